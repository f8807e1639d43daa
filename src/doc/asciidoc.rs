//! AsciiDoc -> [`Doc`], read as Asciidoctor renders it, and Sail Operator's doc tests as its
//! harness reads them.
//!
//! Two passes over the lines, each visiting a line a bounded number of times, so reading is
//! linear in the guide's size and line numbers stay those of the file:
//!
//! 1. **Preprocessor** ([`preprocess`]): `ifdef::`/`ifndef::`/`ifeval::` ... `endif::[]`
//!    (and the single-line `ifdef::x[content]`) are resolved against the attributes the page
//!    has set so far, as Asciidoctor's reader does. An `ifdef::NAME[]` region whose attribute
//!    the page never sets is not rendered; when its lines read as shell (not AsciiDoc markup) it
//!    is a *hidden* block: Sail Operator's doc-test harness runs those lines as a step of the
//!    test `NAME`, so it becomes a shell block tagged `NAME`, not run unless `--tag NAME` asks.
//! 2. **Blocks** ([`Blocks`]): section titles (`== Title`, with the `[[anchor]]` or `[#anchor]`
//!    before them), block attribute lines (`[source,bash,subs="attributes+",name="t"]`), block
//!    titles (`.Title`), listing (`----`, ```` ``` ````) and literal (`....`) blocks, source
//!    paragraphs, comment blocks (`////`) and lines (`//`), attribute entries (`:name: value`,
//!    `:name!:`), admonition paragraphs (`NOTE: ...`) and blocks (`[NOTE]` + `====`), the
//!    compound blocks that hold others (`====`, `****`, `____`, `--`), tables and passthroughs
//!    (skipped) and `include::path[]` (an [`Include`] at block level; inside a listing block
//!    that holds only it, the block shows that file). List continuations (`+`) only attach a
//!    block to a list item, which changes nothing for its steps.
//!
//! Values: `{name}` is replaced in a block whose `subs` adds attributes (`attributes+`,
//! `+attributes`, `normal`), with the value the attribute has at that point, as Asciidoctor
//! does; a reference to an attribute not set stays as written. A block that belongs to a doc
//! test (a `name="NAME"` attribute, or a hidden `ifdef::NAME[]` region) is read as the harness
//! reads it instead: every `{name}` that any `:name: value` line of the file defines is
//! replaced by the first such value, its blanks removed.
//!
//! Malformed input (a block, comment block, compound block or conditional region never closed)
//! is an error at the line that opens it; reading goes on to the end of the page so that every
//! error is found.

use std::collections::HashMap;
use std::sync::Arc;

use super::dialect::Detected;
use super::front_matter::FrontMatter;
use super::{
    BlockForm, BodyLine, Callout, Doc, Heading, Include, IncludeKind, Item, TextBlock, Wrapper,
};
use crate::error::{ErrorKind, SourceError};
use crate::source::{Source, Span};

/// The bytes of prose kept before a block, for the words that announce output.
const LEAD_BYTES: usize = 400;
/// Admonition labels, as paragraphs (`NOTE: text`) and block styles (`[NOTE]`).
const ADMONITIONS: &[&str] = &["NOTE", "TIP", "IMPORTANT", "WARNING", "CAUTION"];

/// Reads an AsciiDoc page. Every structural error is returned, in the order found; the `Doc`
/// holds what could be read.
pub(super) fn parse(source: Arc<Source>, detected: Detected) -> (Doc, Vec<SourceError>) {
    let mut errors = Vec::new();
    let pre = preprocess(&source, &mut errors);
    let harness_values = harness_attributes(source.text());
    let mut blocks = Blocks {
        source: &source,
        attributes: HashMap::new(),
        harness_values: &harness_values,
        items: Vec::new(),
        errors: &mut errors,
        pending: Pending::default(),
        lead: String::new(),
        in_paragraph: false,
        containers: Vec::new(),
    };
    blocks.run(&pre.lines);
    let mut items = blocks.items;
    for hidden in pre.hidden {
        items.push(Item::Block(Box::new(hidden_block(
            &source,
            hidden,
            &harness_values,
        ))));
    }
    items.sort_by_key(Item::line);
    let mut front_matter = FrontMatter::empty();
    front_matter.title = items.iter().find_map(|i| match i {
        Item::Heading(h) if h.level == 1 => Some(h.text.clone()),
        _ => None,
    });
    let doc = Doc {
        source,
        front_matter,
        dialect: detected,
        items,
    };
    (doc, errors)
}

/// A line after the preprocessor: its number in the file and its text.
#[derive(Debug, Clone)]
struct Line {
    no: usize,
    text: String,
}

/// An `ifdef::NAME[]` ... `endif::[]` region the page does not render.
#[derive(Debug)]
struct HiddenRegion {
    name: String,
    line: usize,
    end_line: usize,
    body: Vec<BodyLine>,
}

struct Preprocessed {
    lines: Vec<Line>,
    hidden: Vec<HiddenRegion>,
}

/// A conditional directive: `ifdef`, `ifndef`, `ifeval` or `endif`, with its target and the
/// text between its brackets.
struct Directive<'a> {
    name: &'a str,
    target: &'a str,
    content: &'a str,
}

fn directive(line: &str) -> Option<Directive<'_>> {
    let (name, rest) = line.split_once("::")?;
    if !matches!(name, "ifdef" | "ifndef" | "ifeval" | "endif") {
        return None;
    }
    let open = rest.find('[')?;
    if !rest.ends_with(']') {
        return None;
    }
    Some(Directive {
        name,
        target: &rest[..open],
        content: &rest[open + 1..rest.len() - 1],
    })
}

/// Whether `target` (`a`, `a,b` for any, `a+b` for all) names attributes that are set.
fn targets_set(target: &str, set: &HashMap<String, String>) -> bool {
    if target.contains(',') {
        target.split(',').any(|t| set.contains_key(t.trim()))
    } else {
        target.split('+').all(|t| set.contains_key(t.trim()))
    }
}

/// A delimiter line that opens a block whose lines are verbatim (no directive or attribute
/// entry inside is the page's, except conditionals, which Asciidoctor resolves everywhere).
fn verbatim_delimiter(line: &str) -> bool {
    is_run_of(line, '-', 4)
        || is_run_of(line, '.', 4)
        || is_run_of(line, '+', 4)
        || is_run_of(line, '/', 4)
        || line.starts_with("```")
}

fn is_run_of(line: &str, c: char, min: usize) -> bool {
    line.len() >= min && line.chars().all(|x| x == c)
}

/// Resolves conditionals. Attribute entries outside verbatim blocks are followed so that
/// `ifdef` sees what the page set before it.
fn preprocess(source: &Source, errors: &mut Vec<SourceError>) -> Preprocessed {
    let lines: Vec<&str> = source.text().lines().collect();
    let mut out = Preprocessed {
        lines: Vec::with_capacity(lines.len()),
        hidden: Vec::new(),
    };
    let mut set: HashMap<String, String> = HashMap::new();
    // Open conditionals: the line that opened each, and whether its content is rendered.
    let mut open: Vec<(usize, bool)> = Vec::new();
    let mut verbatim: Option<String> = None;
    let mut i = 0;
    while i < lines.len() {
        let no = i + 1;
        let text = lines[i];
        i += 1;
        let rendering = open.iter().all(|(_, on)| *on);
        if let Some(d) = directive(text) {
            match d.name {
                "endif" => {
                    open.pop();
                }
                "ifeval" => open.push((no, rendering)),
                _ => {
                    let on = targets_set(d.target, &set) == (d.name == "ifdef");
                    if !d.content.is_empty() {
                        if rendering && on {
                            out.lines.push(Line {
                                no,
                                text: d.content.to_owned(),
                            });
                        }
                        continue;
                    }
                    let test = d.name == "ifdef" && !on && rendering && is_test_name(d.target);
                    if !test {
                        open.push((no, rendering && on));
                        continue;
                    }
                    // A hidden region: its lines up to the first `endif::`, as the harness reads.
                    let start = i;
                    let end = (start..lines.len()).find(|&j| lines[j].starts_with("endif::"));
                    let Some(end) = end else {
                        errors.push(line_error(
                            source,
                            no,
                            ErrorKind::NeverClosed(text.to_owned()),
                        ));
                        i = lines.len();
                        continue;
                    };
                    let body: Vec<BodyLine> = (start..end)
                        .map(|j| BodyLine {
                            line: j + 1,
                            text: lines[j].to_owned(),
                        })
                        .collect();
                    i = end + 1;
                    if reads_as_markup(&body) {
                        continue;
                    }
                    out.hidden.push(HiddenRegion {
                        name: d.target.to_owned(),
                        line: no,
                        end_line: end + 1,
                        body,
                    });
                }
            }
            continue;
        }
        if !rendering {
            continue;
        }
        match &verbatim {
            Some(delimiter) if text == delimiter => verbatim = None,
            Some(_) => {}
            None if verbatim_delimiter(text) => verbatim = Some(text.to_owned()),
            None => {
                if let Some((name, value)) = attribute_entry(text) {
                    match value {
                        Some(value) => set.insert(name, value),
                        None => set.remove(&name),
                    };
                }
            }
        }
        out.lines.push(Line {
            no,
            text: text.to_owned(),
        });
    }
    if let Some((no, _)) = open.first() {
        let text = lines[no - 1];
        errors.push(line_error(
            source,
            *no,
            ErrorKind::NeverClosed(text.to_owned()),
        ));
    }
    out
}

/// A name a doc test can have: one attribute, no `,` or `+`.
fn is_test_name(target: &str) -> bool {
    !target.is_empty()
        && target
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

/// Whether a region's lines are AsciiDoc markup (attribute entries, blocks, includes, titles)
/// rather than shell: such a region is content for another build, not a step.
fn reads_as_markup(body: &[BodyLine]) -> bool {
    body.iter()
        .map(|l| l.text.trim_end())
        .filter(|t| !t.is_empty() && !t.starts_with("//"))
        .any(|t| {
            attribute_entry(t).is_some()
                || verbatim_delimiter(t)
                || is_run_of(t, '=', 4)
                || t.starts_with("include::")
                || t.starts_with("image::")
                || t.starts_with("= ")
                || t.starts_with("== ")
                || (t.starts_with('[') && t.ends_with(']') && !t.contains(' '))
        })
}

/// An attribute entry: `:name: value` (value `Some`, maybe empty), `:name!:` or `:!name:`
/// (unset: `None`).
fn attribute_entry(line: &str) -> Option<(String, Option<String>)> {
    let rest = line.strip_prefix(':')?;
    let end = rest.find(':')?;
    let name = &rest[..end];
    let value = &rest[end + 1..];
    if !value.is_empty() && !value.starts_with([' ', '\t']) {
        return None;
    }
    let (name, unset) = match (name.strip_prefix('!'), name.strip_suffix('!')) {
        (Some(n), _) | (_, Some(n)) => (n, true),
        _ => (name, false),
    };
    let valid = name
        .chars()
        .next()
        .is_some_and(|c| c.is_alphanumeric() || c == '_')
        && name
            .chars()
            .all(|c| c.is_alphanumeric() || c == '_' || c == '-');
    if !valid {
        return None;
    }
    let value = (!unset).then(|| value.trim().to_owned());
    Some((name.to_owned(), value))
}

/// The values the doc-test harness puts in for `{name}`: the first `:name: value` line of each
/// name (letters, digits and `_`), its value with every blank removed.
fn harness_attributes(text: &str) -> Vec<(String, String)> {
    let mut found: Vec<(String, String)> = Vec::new();
    for line in text.lines() {
        let Some(rest) = line.strip_prefix(':') else {
            continue;
        };
        let Some((name, value)) = rest.split_once(':') else {
            continue;
        };
        let valid = name
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
            && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        if valid && !found.iter().any(|(n, _)| n == name) {
            found.push((name.to_owned(), value.replace(' ', "")));
        }
    }
    found
}

/// `text` with `{name}` replaced for each `(name, value)`, in order, as the harness's `sed`s do.
fn substitute_harness(text: &str, values: &[(String, String)]) -> String {
    let mut out = text.to_owned();
    for (name, value) in values {
        let reference = format!("{{{name}}}");
        if out.contains(&reference) {
            out = out.replace(&reference, value);
        }
    }
    out
}

/// `text` with each `{name}` whose attribute is set replaced by its value (one pass: a value
/// is never read again).
fn substitute(text: &str, set: &HashMap<String, String>) -> String {
    if !text.contains('{') {
        return text.to_owned();
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        match after.find(['}', '{']) {
            Some(close) if after.as_bytes()[close] == b'}' => {
                let name = &after[..close];
                match set.get(name) {
                    Some(value) => out.push_str(value),
                    None => {
                        out.push('{');
                        out.push_str(name);
                        out.push('}');
                    }
                }
                rest = &after[close + 1..];
            }
            _ => {
                out.push('{');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

fn line_span(source: &Source, no: usize) -> Span {
    let start = source.line_start(no.max(1));
    let text = source.text();
    let end = text[start..].find('\n').map_or(text.len(), |n| start + n);
    Span::new(start, end.max(start))
}

fn line_error(source: &Source, no: usize, kind: ErrorKind) -> SourceError {
    source
        .error(line_span(source, no), kind, "opened here")
        .with_help("close it with the same delimiter line, or remove it")
}

fn hidden_block(source: &Source, region: HiddenRegion, values: &[(String, String)]) -> TextBlock {
    let body = region
        .body
        .into_iter()
        .map(|l| BodyLine {
            line: l.line,
            text: substitute_harness(&l.text, values),
        })
        .collect();
    TextBlock {
        form: BlockForm::Fenced,
        line: region.line,
        end_line: region.end_line,
        span: line_span(source, region.line),
        indent: String::new(),
        syntax: "bash".to_owned(),
        output_syntax: None,
        snip_id: None,
        body,
        commented: false,
        tab: None,
        no_copy: false,
        file: None,
        title: None,
        lead: String::new(),
        wrapper: None,
        hidden: Some(format!(
            "hidden: the page shows it only when `{}` is set (ifdef::{}[])",
            region.name, region.name
        )),
        tags: vec![region.name],
    }
}

/// A block attribute line read: positional values and named ones.
#[derive(Debug, Default, Clone)]
struct Attrs {
    line: usize,
    text: String,
    positional: Vec<String>,
    named: Vec<(String, String)>,
}

impl Attrs {
    fn style(&self) -> &str {
        self.positional.first().map_or("", |s| s.as_str())
    }

    fn named(&self, key: &str) -> Option<&str> {
        self.named
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// The language of a source block: `[source,bash]`, `[,bash]`, `[bash]` never (a style).
    fn language(&self) -> Option<&str> {
        match self.style() {
            "source" | "" | "listing" => self
                .positional
                .get(1)
                .map(|s| s.as_str())
                .filter(|s| !s.is_empty()),
            _ => None,
        }
    }

    /// Whether `subs` adds attribute references (`attributes+`, `+attributes`, `attributes`,
    /// `normal`) and does not take them away.
    fn substitutes_attributes(&self) -> bool {
        let Some(subs) = self.named("subs") else {
            return false;
        };
        let tokens: Vec<&str> = subs.split(',').map(str::trim).collect();
        !tokens.contains(&"-attributes")
            && tokens
                .iter()
                .any(|t| matches!(t.trim_matches('+'), "attributes" | "normal" | "a" | "n"))
    }
}

/// Reads `[a,b,key="v, w",key2=v]` into values; `None` when the line is no attribute line.
fn block_attributes(line: &str, no: usize) -> Option<Attrs> {
    let inner = line.strip_prefix('[')?.strip_suffix(']')?;
    if inner.starts_with('[') || line.contains("]]") && line.starts_with("[[") {
        return None;
    }
    let mut attrs = Attrs {
        line: no,
        text: line.to_owned(),
        ..Attrs::default()
    };
    let mut parts = Vec::new();
    let mut current = String::new();
    let mut quote: Option<char> = None;
    for c in inner.chars() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), c) => current.push(c),
            (None, '"' | '\'') => quote = Some(c),
            (None, ',') => parts.push(std::mem::take(&mut current)),
            (None, c) => current.push(c),
        }
    }
    parts.push(current);
    for part in parts {
        match part.split_once('=') {
            Some((key, value)) if !key.trim().is_empty() && !key.trim().contains(' ') => attrs
                .named
                .push((key.trim().to_owned(), value.trim().to_owned())),
            _ => attrs.positional.push(part.trim().to_owned()),
        }
    }
    Some(attrs)
}

/// An anchor line: `[[id]]`, `[[id,text]]` or `[#id]` (with roles after a `.`).
fn anchor_line(line: &str) -> Option<String> {
    if let Some(inner) = line.strip_prefix("[[").and_then(|l| l.strip_suffix("]]")) {
        let id = inner.split(',').next().unwrap_or("").trim();
        return (!id.is_empty() && !id.contains(' ')).then(|| id.to_owned());
    }
    let inner = line.strip_prefix("[#")?.strip_suffix(']')?;
    let id = inner.split(['.', '%', ',']).next().unwrap_or("").trim();
    (!id.is_empty() && !id.contains(' ')).then(|| id.to_owned())
}

/// A section title: `== Title` (level 2) ... `====== Title`; `= Title` is the page's title.
fn section_title(line: &str) -> Option<(u8, &str)> {
    let level = line.chars().take_while(|&c| c == '=').count();
    if !(1..=6).contains(&level) {
        return None;
    }
    let rest = &line[level..];
    let title = rest.strip_prefix([' ', '\t'])?.trim();
    (!title.is_empty()).then_some((level as u8, title))
}

/// What the lines just read say of the next block.
#[derive(Debug, Default)]
struct Pending {
    attrs: Option<Attrs>,
    anchor: Option<String>,
    title: Option<String>,
}

/// A compound block open around the lines being read.
struct Container {
    delimiter: String,
    line: usize,
    /// `[NOTE]` and the like: a callout whose text is gathered as the lines go.
    admonition: Option<(String, String)>,
    callout: Option<usize>,
}

/// The block pass.
struct Blocks<'a> {
    source: &'a Source,
    attributes: HashMap<String, String>,
    harness_values: &'a [(String, String)],
    items: Vec<Item>,
    errors: &'a mut Vec<SourceError>,
    pending: Pending,
    /// Prose since the last block.
    lead: String,
    /// Whether the last line read was a paragraph's (an indented line then continues it).
    in_paragraph: bool,
    containers: Vec<Container>,
}

impl Blocks<'_> {
    fn run(&mut self, lines: &[Line]) {
        let mut i = 0;
        // The indent of a literal paragraph that holds block markup, stripped from its lines.
        let mut dedent: Option<String> = None;
        while i < lines.len() {
            let line = &lines[i];
            let raw = line.text.as_str();
            let text = match &dedent {
                Some(indent) => match raw.strip_prefix(indent.as_str()) {
                    Some(rest) => rest,
                    None => {
                        dedent = None;
                        raw
                    }
                },
                None => raw,
            };
            let text = text.trim_end();
            i += 1;
            if text.is_empty() {
                self.end_paragraph();
                dedent = None;
                continue;
            }
            if dedent.is_none() && !self.in_paragraph && text.starts_with([' ', '\t']) {
                let trimmed = text.trim_start();
                let markup =
                    block_attributes(trimmed, line.no).is_some() || is_run_of(trimmed, '-', 4);
                if markup {
                    // Indented markup, meant as a block (a list item's, written indented).
                    dedent = Some(text[..text.len() - trimmed.len()].to_owned());
                    i -= 1;
                    continue;
                }
                // A literal paragraph: shown as it is, never run; a list continuation ends it.
                let start = i - 1;
                while i < lines.len()
                    && !lines[i].text.trim().is_empty()
                    && lines[i].text.trim_end() != "+"
                {
                    i += 1;
                }
                self.literal_paragraph(&lines[start..i]);
                continue;
            }
            if text.starts_with("//") && !text.starts_with("///") {
                continue;
            }
            if is_run_of(text, '/', 4) {
                i = self.skip_to(lines, i, line.no, text);
                continue;
            }
            if let Some((name, value)) = attribute_entry(text) {
                match value {
                    Some(value) => {
                        let value = substitute(&value, &self.attributes);
                        self.attributes.insert(name, value)
                    }
                    None => self.attributes.remove(&name),
                };
                continue;
            }
            if let Some(id) = anchor_line(text) {
                self.pending.anchor = Some(id);
                continue;
            }
            if let Some(attrs) = block_attributes(text, line.no) {
                self.pending.attrs = Some(attrs);
                continue;
            }
            if text == "+" {
                self.end_paragraph();
                continue;
            }
            if let Some((level, title)) = section_title(text) {
                self.heading(line.no, level, title);
                continue;
            }
            if text.starts_with('.')
                && !text.starts_with("..")
                && text.len() > 1
                && !text[1..].starts_with([' ', '\t'])
            {
                self.pending.title = Some(substitute(&text[1..], &self.attributes));
                continue;
            }
            if is_run_of(text, '-', 4) || is_run_of(text, '.', 4) || text.starts_with("```") {
                i = self.verbatim(lines, i, line.no, text, dedent.as_deref());
                if dedent.is_some() {
                    dedent = None;
                }
                continue;
            }
            if is_run_of(text, '+', 4) || text.starts_with("|===") {
                i = self.skip_to(lines, i, line.no, text);
                continue;
            }
            if is_run_of(text, '=', 4)
                || is_run_of(text, '*', 4)
                || is_run_of(text, '_', 4)
                || text == "--"
            {
                self.compound(line.no, text);
                continue;
            }
            if let Some(target) = text
                .strip_prefix("include::")
                .and_then(|r| r.rfind('[').map(|at| &r[..at]))
                .filter(|_| text.ends_with(']'))
            {
                self.end_paragraph();
                self.pending = Pending::default();
                self.items.push(Item::Include(Include {
                    kind: IncludeKind::Asciidoc,
                    name: substitute(target, &self.attributes),
                    line: line.no,
                    tab: None,
                }));
                continue;
            }
            // A paragraph line.
            let attrs = self.pending.attrs.take();
            if let Some(attrs) = attrs {
                let style = attrs.style().to_owned();
                if attrs.language().is_some() && attrs.style() == "source" {
                    // A source paragraph: the block runs to the next blank line.
                    let start = i - 1;
                    while i < lines.len() && !lines[i].text.trim().is_empty() {
                        i += 1;
                    }
                    let end_line = lines[i - 1].no;
                    self.block(
                        &attrs_or(Some(attrs), line.no),
                        &lines[start..i],
                        end_line,
                        None,
                    );
                    continue;
                }
                if ADMONITIONS.contains(&style.as_str()) {
                    self.callout(line.no, &style, text);
                    self.pending = Pending::default();
                    continue;
                }
            }
            if let Some((label, rest)) = text.split_once(": ") {
                if ADMONITIONS.contains(&label) {
                    self.callout(line.no, label, rest);
                    self.pending = Pending::default();
                    continue;
                }
            }
            self.pending = Pending::default();
            let prose = substitute(text, &self.attributes);
            self.add_prose(&prose);
        }
        for open in std::mem::take(&mut self.containers) {
            let text = self
                .source
                .text()
                .lines()
                .nth(open.line - 1)
                .unwrap_or("")
                .to_owned();
            self.errors.push(line_error(
                self.source,
                open.line,
                ErrorKind::NeverClosed(text),
            ));
        }
    }

    fn add_prose(&mut self, prose: &str) {
        if let Some(Container {
            callout: Some(index),
            ..
        }) = self.containers.last()
        {
            if let Some(Item::Callout(c)) = self.items.get_mut(*index) {
                if !c.text.is_empty() {
                    c.text.push(' ');
                }
                c.text.push_str(prose.trim());
            }
        }
        if !self.lead.is_empty() {
            self.lead.push(' ');
        }
        self.lead.push_str(prose.trim());
        self.in_paragraph = true;
        if self.lead.len() > LEAD_BYTES * 2 {
            let mut cut = self.lead.len() - LEAD_BYTES;
            while !self.lead.is_char_boundary(cut) {
                cut += 1;
            }
            self.lead.drain(..cut);
        }
    }

    fn end_paragraph(&mut self) {
        self.in_paragraph = false;
    }

    /// Skips a block whose lines docrun does not read (comment, passthrough, table) to its
    /// closing delimiter; returns the index after it.
    fn skip_to(&mut self, lines: &[Line], from: usize, no: usize, delimiter: &str) -> usize {
        self.pending = Pending::default();
        match lines[from..]
            .iter()
            .position(|l| l.text.trim_end() == delimiter)
        {
            Some(at) => from + at + 1,
            None => {
                self.errors.push(line_error(
                    self.source,
                    no,
                    ErrorKind::NeverClosed(delimiter.to_owned()),
                ));
                lines.len()
            }
        }
    }

    /// A listing, fenced or literal block: its lines verbatim up to the closing delimiter.
    fn verbatim(
        &mut self,
        lines: &[Line],
        from: usize,
        no: usize,
        delimiter: &str,
        dedent: Option<&str>,
    ) -> usize {
        let closing = if delimiter.starts_with("```") {
            "```"
        } else {
            delimiter
        };
        let strip = |l: &Line| -> String {
            let text = dedent
                .and_then(|d| l.text.strip_prefix(d))
                .unwrap_or(&l.text);
            text.to_owned()
        };
        let end = lines[from..]
            .iter()
            .position(|l| strip(l).trim_end() == closing);
        let (body_end, next, end_line) = match end {
            Some(at) => (from + at, from + at + 1, lines[from + at].no),
            None => {
                self.errors.push(line_error(
                    self.source,
                    no,
                    ErrorKind::NeverClosed(delimiter.to_owned()),
                ));
                (lines.len(), lines.len(), lines.last().map_or(no, |l| l.no))
            }
        };
        let body: Vec<Line> = lines[from..body_end]
            .iter()
            .map(|l| Line {
                no: l.no,
                text: strip(l),
            })
            .collect();
        let mut attrs = attrs_or(self.pending.attrs.take(), no);
        if attrs.text.is_empty() {
            attrs.text = delimiter.to_owned();
        }
        if let Some(lang) = delimiter.strip_prefix("```").map(str::trim) {
            if !lang.is_empty() && attrs.language().is_none() {
                attrs.positional = vec!["source".to_owned(), lang.to_owned()];
            }
        }
        let literal = delimiter.starts_with('.') && attrs.language().is_none();
        self.block(&attrs, &body, end_line, literal.then_some("text"));
        next
    }

    /// A block from its attribute line (or its opening line) and body.
    fn block(&mut self, attrs: &Attrs, body: &[Line], end_line: usize, syntax: Option<&str>) {
        self.in_paragraph = false;
        let tag = attrs
            .named("name")
            .filter(|n| !n.is_empty())
            .map(str::to_owned);
        let substitutes = attrs.substitutes_attributes();
        let mut body: Vec<BodyLine> = body
            .iter()
            .map(|l| BodyLine {
                line: l.no,
                text: if tag.is_some() {
                    substitute_harness(&l.text, self.harness_values)
                } else if substitutes {
                    substitute(&l.text, &self.attributes)
                } else {
                    l.text.clone()
                },
            })
            .collect();
        // A listing that holds only an include shows that file.
        let mut file = None;
        let filled: Vec<&BodyLine> = body.iter().filter(|l| !l.text.trim().is_empty()).collect();
        if let [only] = filled.as_slice() {
            if let Some(target) = only
                .text
                .trim()
                .strip_prefix("include::")
                .and_then(|r| r.rfind('[').map(|at| &r[..at]))
            {
                file = Some(substitute(target, &self.attributes));
                body.clear();
            }
        }
        let syntax = syntax
            .map(str::to_owned)
            .or_else(|| attrs.language().map(str::to_lowercase))
            .unwrap_or_else(|| untagged_syntax(&body));
        let mut lead = std::mem::take(&mut self.lead);
        if let Some(title) = self.pending.title.take() {
            if !lead.is_empty() {
                lead.push(' ');
            }
            lead.push_str(&title);
        }
        if lead.len() > LEAD_BYTES {
            let mut cut = lead.len() - LEAD_BYTES;
            while !lead.is_char_boundary(cut) {
                cut += 1;
            }
            lead.drain(..cut);
        }
        let wrapper = self
            .containers
            .iter()
            .rev()
            .find_map(|c| c.admonition.clone())
            .map(|(kind, title)| Wrapper::Admonition { kind, title });
        self.pending = Pending::default();
        self.items.push(Item::Block(Box::new(TextBlock {
            form: BlockForm::Fenced,
            line: attrs.line,
            end_line,
            span: line_span(self.source, attrs.line),
            indent: String::new(),
            syntax,
            output_syntax: None,
            snip_id: None,
            body,
            commented: false,
            tab: None,
            no_copy: false,
            file,
            title: None,
            lead,
            wrapper: wrapper.map(Box::new),
            hidden: None,
            tags: tag.into_iter().collect(),
        })));
    }

    fn literal_paragraph(&mut self, lines: &[Line]) {
        let attrs = attrs_or(self.pending.attrs.take(), lines[0].no);
        let end_line = lines.last().map_or(attrs.line, |l| l.no);
        let indent = lines
            .iter()
            .map(|l| l.text.len() - l.text.trim_start().len())
            .min()
            .unwrap_or(0);
        let body: Vec<Line> = lines
            .iter()
            .map(|l| Line {
                no: l.no,
                text: l.text.get(indent..).unwrap_or("").to_owned(),
            })
            .collect();
        self.block(&attrs, &body, end_line, Some("text"));
    }

    fn heading(&mut self, no: usize, level: u8, title: &str) {
        self.in_paragraph = false;
        // `== Title [[id]]` carries its anchor at the end.
        let (title, inline) = match title.strip_suffix("]]").and_then(|t| t.rsplit_once("[[")) {
            Some((text, id)) => (text.trim(), Some(id.to_owned())),
            None => (title, None),
        };
        let anchor = inline.or_else(|| self.pending.anchor.take());
        self.pending = Pending::default();
        self.lead.clear();
        self.items.push(Item::Heading(Heading {
            level,
            text: substitute(title, &self.attributes),
            anchor,
            line: no,
        }));
    }

    fn callout(&mut self, no: usize, label: &str, text: &str) {
        self.in_paragraph = false;
        self.lead.clear();
        self.items.push(Item::Callout(Callout {
            kind: label.to_lowercase(),
            line: no,
            text: substitute(text.trim(), &self.attributes),
        }));
    }

    fn compound(&mut self, no: usize, delimiter: &str) {
        self.in_paragraph = false;
        if self
            .containers
            .last()
            .is_some_and(|c| c.delimiter == delimiter)
        {
            self.containers.pop();
            self.pending = Pending::default();
            return;
        }
        let attrs = self.pending.attrs.take();
        let style = attrs
            .as_ref()
            .map(|a| a.style().to_owned())
            .unwrap_or_default();
        let mut container = Container {
            delimiter: delimiter.to_owned(),
            line: no,
            admonition: None,
            callout: None,
        };
        if ADMONITIONS.contains(&style.as_str()) {
            let title = self.pending.title.take().unwrap_or_default();
            container.admonition = Some((style.to_lowercase(), title));
            container.callout = Some(self.items.len());
            self.items.push(Item::Callout(Callout {
                kind: style.to_lowercase(),
                line: attrs.as_ref().map_or(no, |a| a.line),
                text: String::new(),
            }));
        }
        self.pending = Pending::default();
        self.containers.push(container);
    }
}

/// The syntax of a listing with no language: `shell` when its first line is a command (a
/// common command, an assignment, a `$ ` prompt), as the pages that write commands in bare
/// `----` blocks mean it; else none (shown, not run).
fn untagged_syntax(body: &[BodyLine]) -> String {
    let prompt = body
        .iter()
        .find(|l| !l.text.trim().is_empty())
        .is_some_and(|l| l.text.starts_with("$ "));
    if prompt || super::bash::first_line_is_command(body) {
        "shell".to_owned()
    } else {
        String::new()
    }
}

/// The attribute line read before a block, else an empty one at the block's opening line.
fn attrs_or(attrs: Option<Attrs>, no: usize) -> Attrs {
    attrs.unwrap_or(Attrs {
        line: no,
        ..Attrs::default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::doc::dialect::{Dialect, Reason};

    fn read(text: &str) -> (Doc, Vec<SourceError>) {
        parse(
            Arc::new(Source::new("g.adoc", text)),
            Detected::new(Dialect::Asciidoc, Reason::Flag),
        )
    }

    fn blocks(doc: &Doc) -> Vec<&TextBlock> {
        doc.blocks().collect()
    }

    #[test]
    fn block_attributes_keep_quoted_commas_and_empty_positions() {
        let a = block_attributes(r#"[source,bash,subs="attributes+",,name="t-1"]"#, 1).unwrap();
        assert_eq!(a.language(), Some("bash"));
        assert_eq!(a.named("name"), Some("t-1"));
        assert!(a.substitutes_attributes());
        let b = block_attributes(r#"[source, console, subs="+attributes,quotes"]"#, 1).unwrap();
        assert_eq!(b.language(), Some("console"));
        assert!(b.substitutes_attributes());
        assert!(block_attributes("[[anchor]]", 1).is_none());
    }

    #[test]
    fn substitution_leaves_unknown_references_and_braces_alone() {
        let set: HashMap<String, String> = [("v".to_owned(), "1.2".to_owned())].into();
        assert_eq!(substitute("a{v}b{w}c{", &set), "a1.2b{w}c{");
        assert_eq!(substitute("'{\"spec\":{v}}'", &set), "'{\"spec\":1.2}'");
    }

    #[test]
    fn a_hidden_region_of_markup_is_no_step() {
        let (doc, errors) = read("ifdef::env-github[]\n:tip-caption: :bulb:\nendif::[]\n");
        assert!(errors.is_empty());
        assert!(blocks(&doc).is_empty());
    }

    #[test]
    fn nothing_panics_on_truncated_markup() {
        for text in [
            "[",
            "[source",
            "----",
            "ifdef::",
            "ifdef::x[",
            ":",
            "::",
            "== ",
            ".",
            "+",
            "|===",
            "include::[",
            "    [source,bash]\n    ----\n",
            "[[",
            "[#]",
            "====\n----\n",
        ] {
            let _ = read(text);
        }
    }
}
