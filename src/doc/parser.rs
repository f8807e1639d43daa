//! Markdown + shortcodes -> [`Doc`], in the guide's [`Dialect`].
//!
//! Two passes over the body. The first follows lines: in dialects with shortcodes it finds
//! them, cuts out shortcode text blocks (their content is verbatim, never Markdown), follows
//! HTML comments and fences, and checks that block shortcodes are closed; in MkDocs it finds
//! tabs, admonitions and snippets ([`super::mkdocs`]). The second hands the rest to
//! pulldown-cmark for headings, tables and fenced code. The first pass gives the second a
//! *view* of the text with the same lines: text blocks blanked, container markers blanked and
//! container indentation removed, so every line number stays true.
//!
//! Reading is linear in the guide's size: each line is visited a bounded number of times.

use std::sync::Arc;

use pulldown_cmark::{
    BrokenLink, CodeBlockKind, CowStr, Event, HeadingLevel, Options, Parser, Tag, TagEnd,
};

use super::dialect::{self, Detected, Dialect};
use super::shortcode::{self, ParagraphEnds, Shortcode};
use super::{
    front_matter, BlockForm, BodyLine, Callout, Doc, Heading, Include, IncludeKind, Item, TabRef,
    Table, TableRow, TextBlock, Wrapper,
};
use crate::error::{ErrorKind, SourceError};
use crate::source::{Source, Span};

/// Shortcodes that wrap content and must be closed, in every dialect with shortcodes.
const CONTAINERS: &[&str] = &["tip", "warning", "idea", "quote", "tabset", "tab"];
/// Callout kinds, listed as steps of kind `callout`.
const CALLOUTS: &[&str] = &["tip", "warning", "idea", "quote"];
/// More callouts of Hugo sites (Docsy, Linkerd, kubernetes.io).
const HUGO_CALLOUTS: &[&str] = &[
    "note",
    "caution",
    "alert",
    "info",
    "production-note",
    "edge-note",
];
/// Containers of Hugo sites besides their callouts.
/// (`tabs` is kubernetes.io's tabset, `tabpane` Docsy's.)
const HUGO_CONTAINERS: &[&str] = &["tabpane", "tabs", "command-output"];
/// The bytes of prose kept before a block, for the words that announce output.
const LEAD_BYTES: usize = 400;

/// Parses a guide in the dialect its text names (see [`dialect::from_text`]).
pub fn parse(source: Arc<Source>) -> Result<Doc, SourceError> {
    let detected = dialect::from_text(source.text());
    parse_as(source, detected)
}

/// Parses a guide in a given dialect. Errors point at the offending tag with a hint; the
/// function never panics. The first problem in the guide is the error.
pub fn parse_as(source: Arc<Source>, detected: Detected) -> Result<Doc, SourceError> {
    let (doc, mut errors) = parse_recovering(source, detected)?;
    if errors.is_empty() {
        Ok(doc)
    } else {
        Err(errors.swap_remove(0))
    }
}

/// Parses a guide as a compiler reads a program: every structural problem is reported, in the
/// order they are found (what is never closed comes last), and reading goes on past each (an unclosed block ends with the guide, a
/// malformed or stray tag is skipped), so that `lint` reports them all in one pass. Only a
/// front matter that does not parse stops the reading.
pub fn parse_recovering(
    source: Arc<Source>,
    detected: Detected,
) -> Result<(Doc, Vec<SourceError>), SourceError> {
    parse_recovering_in_pieces(source, detected, PIECE_BYTES)
}

/// [`parse_recovering`], pulldown-cmark given pieces of about `piece_bytes`: the same
/// document whatever the size (a fuzz target and the tests compare sizes).
#[doc(hidden)]
pub fn parse_recovering_in_pieces(
    source: Arc<Source>,
    detected: Detected,
    piece_bytes: usize,
) -> Result<(Doc, Vec<SourceError>), SourceError> {
    if detected.dialect == Dialect::Asciidoc {
        return Ok(super::asciidoc::parse(source, detected));
    }
    let (front_matter, body_start) = front_matter::parse(&source)?;
    let dialect = detected.dialect;
    let mut scan = LineScan::new(&source, body_start, dialect);
    scan.run();
    let LineScan {
        mut items,
        masked,
        mut regions,
        mut errors,
        ..
    } = scan;
    // Blocks a pass finds outside the Markdown (MDX `<CodeBlock>`s), placed in regions with
    // the fenced ones.
    let mut found_blocks = Vec::new();
    let view = match dialect {
        Dialect::Mkdocs => {
            let found = super::mkdocs::containers(&masked);
            items.extend(found.includes.into_iter().map(Item::Include));
            regions.extend(found.regions);
            found.view
        }
        Dialect::Mdx => {
            let found = super::mdx::read(&source, &masked);
            items.extend(found.callouts.into_iter().map(Item::Callout));
            items.extend(found.unread.into_iter().map(Item::Unread));
            found_blocks.extend(found.blocks.into_iter().map(|b| Item::Block(Box::new(b))));
            regions.extend(found.regions);
            errors.extend(found.errors);
            found.view
        }
        _ => masked,
    };
    let mut blocks = markdown_items(&source, &view, body_start, piece_bytes);
    if !found_blocks.is_empty() {
        blocks.extend(found_blocks);
        blocks.sort_by_key(|item| item.line());
    }
    items.extend(blocks);
    place_in_regions(&mut items, &mut regions);
    items.sort_by_key(|item| item.line());
    let doc = Doc {
        source,
        front_matter,
        dialect: detected,
        items,
    };
    Ok((doc, errors))
}

/// A stretch of lines inside a container, and what the container says of the blocks in it.
#[derive(Debug, Clone)]
pub(super) struct Region {
    pub start: usize,
    pub end: usize,
    pub kind: RegionKind,
}

#[derive(Debug, Clone)]
pub(super) enum RegionKind {
    Tab(TabRef),
    Wrapper(Wrapper),
}

/// Where an item takes what the regions around it say: a fenced block its tab and wrapper, an
/// include (MkDocs snippets and macros) its tab.
struct Placed<'a> {
    line: usize,
    tab: &'a mut Option<Box<TabRef>>,
    wrapper: Option<&'a mut Option<Box<Wrapper>>>,
}

/// Gives each fenced block the tab and wrapper of the innermost regions around it, and each
/// include its tab.
///
/// Regions nest (they come from containers, which close innermost first), so the regions
/// around a block are a stack; each entry keeps the innermost tab and wrapper at or below it,
/// and placing a block costs no more than the regions it pushes and pops: linear in the
/// guide however deep its containers nest.
fn place_in_regions(items: &mut [Item], regions: &mut [Region]) {
    if regions.is_empty() {
        return;
    }
    // By start, outer before inner when two start on the same line.
    regions.sort_by_key(|r| (r.start, std::cmp::Reverse(r.end)));
    let mut next = 0;
    // Regions that have started and not ended, innermost last, each with the innermost tab
    // and wrapper among it and the regions below it.
    let mut open: Vec<(&Region, Option<&TabRef>, Option<&Wrapper>)> = Vec::new();
    let mut placed: Vec<Placed> = items
        .iter_mut()
        .filter_map(|i| match i {
            Item::Block(b) if b.form == BlockForm::Fenced => {
                let b = &mut **b;
                Some(Placed {
                    line: b.line,
                    tab: &mut b.tab,
                    wrapper: Some(&mut b.wrapper),
                })
            }
            Item::Include(i) => Some(Placed {
                line: i.line,
                tab: &mut i.tab,
                wrapper: None,
            }),
            _ => None,
        })
        .collect();
    placed.sort_by_key(|p| p.line);
    for Placed {
        line,
        tab: block_tab,
        wrapper: block_wrapper,
    } in placed
    {
        while next < regions.len() && regions[next].start <= line {
            let region = &regions[next];
            next += 1;
            while open.last().is_some_and(|(r, ..)| r.end < region.start) {
                open.pop();
            }
            let (tab, wrapper) = open.last().map_or((None, None), |(_, t, w)| (*t, *w));
            match &region.kind {
                RegionKind::Tab(t) => open.push((region, Some(t), wrapper)),
                RegionKind::Wrapper(w) => open.push((region, tab, Some(w))),
            }
        }
        while open.last().is_some_and(|(r, ..)| r.end < line) {
            open.pop();
        }
        if let Some((_, tab, wrapper)) = open.last() {
            if block_tab.is_none() {
                *block_tab = tab.cloned().map(Box::new);
            }
            if let Some(block_wrapper) = block_wrapper.filter(|w| w.is_none()) {
                *block_wrapper = wrapper.cloned().map(Box::new);
            }
        }
    }
}

struct OpenContainer {
    name: String,
    span: Span,
    item: Option<usize>,
    line: usize,
    /// What the blocks inside are, for containers that say.
    wrapper: Option<Wrapper>,
    /// `lang=` of a Hugo `tabpane`: its tabs hold code without a fence.
    lang: Option<String>,
    /// Where in the stack of open containers the innermost callout, tab set (`tabset` or
    /// `tabpane`) and `tabpane` are, among this container and those below it: what the
    /// scan asks on every line, answered without walking the stack.
    callout: Option<usize>,
    set: Option<usize>,
    pane: Option<usize>,
}

struct OpenBlock {
    block: TextBlock,
    /// The shortcode whose closing tag ends the block: `text`, or a code `tab`.
    closer: &'static str,
}

struct LineScan<'a> {
    src: &'a Source,
    body_start: usize,
    dialect: Dialect,
    items: Vec<Item>,
    /// The text with text-block lines blanked, for the Markdown pass.
    masked: String,
    containers: Vec<OpenContainer>,
    regions: Vec<Region>,
    tabsets: usize,
    tab: Option<TabRef>,
    in_comment: bool,
    fence: Option<(char, usize)>,
    /// In a Hugo site, the shortcodes the page closes somewhere (`{{< /name >}}`).
    closed: Vec<String>,
    /// The problems found so far, in the order of the text.
    errors: Vec<SourceError>,
}

/// The names of the shortcodes a text closes: `{{< /name >}}`, `{{% /name %}}`.
fn closed_names(text: &str) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    for (i, _) in text.match_indices("{{") {
        let rest = text[i + 2..].trim_start_matches(['<', '%']).trim_start();
        let Some(rest) = rest.strip_prefix('/') else {
            continue;
        };
        let name: String = rest
            .trim_start()
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || "_-.".contains(*c))
            .collect();
        if !name.is_empty() && !names.contains(&name) {
            names.push(name);
        }
    }
    names
}

impl<'a> LineScan<'a> {
    fn new(src: &'a Source, body_start: usize, dialect: Dialect) -> Self {
        LineScan {
            src,
            body_start,
            dialect,
            items: Vec::new(),
            masked: String::with_capacity(src.text().len()),
            containers: Vec::new(),
            regions: Vec::new(),
            tabsets: 0,
            tab: None,
            in_comment: false,
            fence: None,
            closed: if dialect == Dialect::Hugo {
                closed_names(src.text())
            } else {
                Vec::new()
            },
            errors: Vec::new(),
        }
    }

    /// Whether a shortcode wraps content. istio.io's containers always do, and must be closed.
    /// Other Hugo sites' shortcodes wrap content only where the page closes them somewhere
    /// (Linkerd's `{{< production-note >}}` stands alone), so only those are containers there.
    fn is_container(&self, name: &str) -> bool {
        CONTAINERS.contains(&name)
            || (self.dialect == Dialect::Hugo
                && (HUGO_CONTAINERS.contains(&name) || HUGO_CALLOUTS.contains(&name))
                && self.closed.iter().any(|c| c == name))
    }

    /// The open container that `which` of the top of the stack names (e.g. the innermost
    /// callout), in constant time.
    fn innermost(&self, which: fn(&OpenContainer) -> Option<usize>) -> Option<&OpenContainer> {
        self.containers
            .last()
            .and_then(which)
            .and_then(|i| self.containers.get(i))
    }

    fn is_callout(&self, name: &str) -> bool {
        CALLOUTS.contains(&name) || (self.dialect == Dialect::Hugo && HUGO_CALLOUTS.contains(&name))
    }

    fn run(&mut self) {
        let text = self.src.text();
        // Blank the front matter so the Markdown pass does not read it.
        let front = &text[..self.body_start];
        self.mask(front);
        if !self.dialect.has_shortcodes() {
            self.masked.push_str(&text[self.body_start..]);
            return;
        }
        let mut open: Option<OpenBlock> = None;
        let mut offset = self.body_start;
        let mut paragraphs = ParagraphEnds::default();
        // The end of a shortcode tag that went on over several lines.
        let mut tag_end = 0;
        for raw in text[self.body_start..].split_inclusive('\n') {
            let line = raw.strip_suffix('\n').unwrap_or(raw);
            let line_no = self.src.line_of(offset);
            if let Some(current) = open.as_mut() {
                if is_close(line, current.closer) {
                    current.block.end_line = line_no;
                    let closer = current.closer;
                    let block = open.take().map(|o| o.block);
                    self.items.extend(block.map(|b| Item::Block(Box::new(b))));
                    if line.contains("-->") {
                        self.in_comment = false;
                    }
                    if closer == "tab" {
                        let span = Span::new(offset, offset + line.len());
                        if let Err(e) = self.close_container("tab", span, line_no) {
                            self.errors.push(e);
                        }
                    }
                } else {
                    let body = line
                        .strip_prefix(current.block.indent.as_str())
                        .unwrap_or(line);
                    current.block.body.push(BodyLine {
                        line: line_no,
                        text: body.to_owned(),
                    });
                }
                self.mask(raw);
                offset += raw.len();
                continue;
            }
            if self.follow_fence(line) {
                self.masked.push_str(raw);
                offset += raw.len();
                continue;
            }
            if offset < tag_end {
                self.masked.push_str(raw);
                offset += raw.len();
                continue;
            }
            let comment_before = self.in_comment;
            self.follow_comment(line);
            let codes = if line.contains("{{") {
                let end = paragraphs.at(text, offset);
                match shortcode::scan_line(self.src, offset, line.len(), end) {
                    Ok(codes) => codes,
                    Err(e) => {
                        self.errors.push(e);
                        // A malformed `text` tag still opens a block, so that its closing tag
                        // is no second error and its lines are not read as Markdown.
                        if line.contains("{{< text") || line.contains("{{<text") {
                            let span = Span::new(offset, offset + line.len());
                            let block = self.code_block(
                                span,
                                line,
                                line_no,
                                super::RECOVERED_SYNTAX.to_owned(),
                            );
                            open = Some(OpenBlock {
                                block,
                                closer: "text",
                            });
                            self.mask(raw);
                            offset += raw.len();
                            continue;
                        }
                        Vec::new()
                    }
                }
            } else {
                Vec::new()
            };
            tag_end = codes.last().map_or(0, |c| c.span.end);
            let mut opened = None;
            for code in codes {
                match self.shortcode(code, line, line_no, comment_before) {
                    Ok(Some(block)) => opened = Some(block),
                    Ok(None) => {}
                    Err(e) => self.errors.push(e),
                }
            }
            if let Some(block) = opened {
                open = Some(block);
                self.mask(raw);
            } else {
                self.masked.push_str(raw);
                if !line.trim().is_empty() {
                    self.add_callout_text(line);
                }
            }
            offset += raw.len();
        }
        if let Some(mut o) = open {
            let span = o.block.span;
            self.errors.push(
                self.src
                    .error(span, ErrorKind::TextBlockNeverClosed, "opened here")
                    .with_help(format!(
                        "close it with `{{{{< /{} >}}}}` on a line of its own",
                        o.closer
                    )),
            );
            // The block ends with the guide, so the rules can still look at it.
            o.block.end_line = self.src.line_of(text.len());
            self.items.push(Item::Block(Box::new(o.block)));
        }
        for c in std::mem::take(&mut self.containers) {
            self.errors.push(
                self.src
                    .error(
                        c.span,
                        ErrorKind::NeverClosed(c.name.clone()),
                        "opened here",
                    )
                    .with_help(format!("close it with `{{{{< /{} >}}}}`", c.name)),
            );
        }
    }

    /// Blanks text for the Markdown pass byte for byte, so offsets stay the same.
    fn mask(&mut self, raw: &str) {
        self.masked
            .extend(raw.bytes().map(|b| if b == b'\n' { '\n' } else { ' ' }));
    }
    /// Tracks fenced code so that shortcodes shown inside fences are left alone.
    fn follow_fence(&mut self, line: &str) -> bool {
        let trimmed = line.trim_start();
        let marker = trimmed.chars().next();
        let run = |c: char| trimmed.chars().take_while(|x| *x == c).count();
        match (self.fence, marker) {
            (Some((c, n)), Some(m))
                if m == c && run(c) >= n && trimmed.trim_end().chars().all(|x| x == c) =>
            {
                self.fence = None;
                true
            }
            (Some(_), _) => true,
            (None, Some(c @ ('`' | '~')))
                if run(c) >= 3 && line.len() - trimmed.len() < 4
                    || (c == '`' || c == '~') && run(c) >= 3 && self.in_list_indent(line) =>
            {
                self.fence = Some((c, run(c)));
                true
            }
            _ => false,
        }
    }

    fn in_list_indent(&self, line: &str) -> bool {
        line.starts_with(' ') && !self.in_comment
    }

    fn follow_comment(&mut self, line: &str) {
        let mut rest = line;
        loop {
            if self.in_comment {
                match rest.find("-->") {
                    Some(i) => {
                        self.in_comment = false;
                        rest = &rest[i + 3..];
                    }
                    None => return,
                }
            } else {
                match rest.find("<!--") {
                    Some(i) => {
                        self.in_comment = true;
                        rest = &rest[i + 4..];
                    }
                    None => return,
                }
            }
        }
    }

    /// Handles one shortcode on a prose line; returns a text block it opens.
    fn shortcode(
        &mut self,
        code: Shortcode,
        line: &str,
        line_no: usize,
        comment_before: bool,
    ) -> Result<Option<OpenBlock>, SourceError> {
        let commented = comment_before
            || line[..code.span.start - self.src.line_start(line_no)].contains("<!--");
        match code.name.as_str() {
            "text" if code.closing => Err(self
                .src
                .error(code.span, ErrorKind::TextCloserWithoutOpener, "here")
                .with_help("remove it, or open the block with `{{< text bash >}}`")),
            "text" => Ok(Some(OpenBlock {
                block: self.open_text(code, line, line_no, commented)?,
                closer: "text",
            })),
            name if self.is_container(name) => {
                if commented {
                    return Ok(None);
                }
                if code.closing {
                    self.close_container(&code.name, code.span, line_no)?;
                    return Ok(None);
                }
                // A Hugo tab with a language holds code without a fence.
                let lang = (self.dialect == Dialect::Hugo && name == "tab")
                    .then(|| self.code_tab_lang(&code))
                    .flatten();
                let span = code.span;
                self.open_container(code, line_no);
                Ok(lang.map(|syntax| OpenBlock {
                    block: self.code_block(span, line, line_no, syntax),
                    closer: "tab",
                }))
            }
            "boilerplate" | "include" if !code.closing && !commented => {
                let kind = if code.name == "boilerplate" {
                    IncludeKind::Boilerplate
                } else {
                    IncludeKind::Hugo
                };
                if let Some(name) = code.positional(0).or(code.named("name")) {
                    self.items.push(Item::Include(Include {
                        kind,
                        name: name.to_owned(),
                        line: line_no,
                        tab: None,
                    }));
                }
                Ok(None)
            }
            _ => Ok(None),
        }
    }

    /// The language of a Docsy tab whose content is code: its own `lang=`/`codelang=`, or its
    /// tabpane's, unless it says `text=true`.
    fn code_tab_lang(&self, code: &Shortcode) -> Option<String> {
        if code.named("text") == Some("true") {
            return None;
        }
        code.named("lang")
            .or(code.named("codelang"))
            .map(str::to_owned)
            .or_else(|| self.innermost(|c| c.pane).and_then(|c| c.lang.clone()))
    }

    fn code_block(&self, span: Span, line: &str, line_no: usize, syntax: String) -> TextBlock {
        TextBlock {
            form: BlockForm::Shortcode,
            line: line_no,
            end_line: line_no,
            span,
            indent: line.chars().take_while(|c| c.is_whitespace()).collect(),
            syntax,
            output_syntax: None,
            snip_id: None,
            body: Vec::new(),
            commented: false,
            tab: self.tab.clone().map(Box::new),
            no_copy: false,
            file: None,
            title: None,
            lead: String::new(),
            wrapper: None,
            hidden: None,
            tags: Vec::new(),
        }
    }

    fn open_text(
        &mut self,
        code: Shortcode,
        line: &str,
        line_no: usize,
        commented: bool,
    ) -> Result<TextBlock, SourceError> {
        const KNOWN: &[&str] = &[
            "syntax",
            "outputis",
            "snip_id",
            "downloadas",
            "expandlinks",
            "repo",
            "prefix",
        ];
        if let Some(arg) = code
            .args
            .iter()
            .find(|a| a.key.as_deref().is_some_and(|k| !KNOWN.contains(&k)))
        {
            return Err(self
                .src
                .error(
                    code.span,
                    ErrorKind::UnknownTextArgument(arg.key.clone().unwrap_or_default()),
                    "in this tag",
                )
                .with_help(format!("known arguments: {}", KNOWN.join(", "))));
        }
        let syntax = code
            .named("syntax")
            .or(code.positional(0))
            .unwrap_or("plain");
        // `syntax="bash yaml"` names the output syntax after the command syntax.
        let mut words = syntax.split_whitespace();
        let syntax_word = words.next().unwrap_or("plain").to_owned();
        let output_syntax = code
            .named("outputis")
            .or(code.positional(1))
            .or(words.next())
            .map(str::to_owned);
        let mut block = self.code_block(code.span, line, line_no, syntax_word);
        block.output_syntax = output_syntax;
        block.snip_id = code.named("snip_id").map(str::to_owned);
        block.commented = commented;
        Ok(block)
    }

    fn open_container(&mut self, code: Shortcode, line_no: usize) {
        let mut item = None;
        let mut wrapper = None;
        match code.name.as_str() {
            "tabset" | "tabpane" | "tabs" => {
                self.tabsets += 1;
            }
            "tab" => {
                let index = self.innermost(|c| c.set).map_or(0, |c| c.item.unwrap_or(0));
                let name = code
                    .named("name")
                    .or(code.named("header"))
                    .or(code.positional(0))
                    .unwrap_or("")
                    .to_owned();
                self.tab = Some(TabRef {
                    tabset: self.tabsets.saturating_sub(1),
                    index,
                    name,
                    value: None,
                    page: None,
                });
            }
            "command-output" => {
                wrapper = Some(Wrapper::CommandOutput {
                    label: code
                        .positional(0)
                        .or(code.named("label"))
                        .unwrap_or("Example output:")
                        .to_owned(),
                });
            }
            kind if self.is_callout(kind) => {
                self.items.push(Item::Callout(Callout {
                    kind: kind.to_owned(),
                    line: line_no,
                    text: String::new(),
                }));
                item = Some(self.items.len() - 1);
                wrapper = Some(Wrapper::Admonition {
                    kind: kind.to_owned(),
                    title: code
                        .positional(0)
                        .or(code.named("title"))
                        .unwrap_or("")
                        .to_owned(),
                });
            }
            _ => {}
        }
        // For a tabset, `item` counts the tabs opened in it so far.
        let is_set = matches!(code.name.as_str(), "tabset" | "tabpane" | "tabs");
        let item = if is_set { Some(0) } else { item };
        let lang = code
            .named("lang")
            .or(code.named("codelang"))
            .filter(|_| code.name == "tabpane")
            .map(str::to_owned);
        let here = self.containers.len();
        let below = self.containers.last();
        let callout = if self.is_callout(&code.name) {
            Some(here)
        } else {
            below.and_then(|c| c.callout)
        };
        let set = if is_set {
            Some(here)
        } else {
            below.and_then(|c| c.set)
        };
        let pane = if code.name == "tabpane" {
            Some(here)
        } else {
            below.and_then(|c| c.pane)
        };
        self.containers.push(OpenContainer {
            name: code.name,
            span: code.span,
            item,
            line: line_no,
            wrapper,
            lang,
            callout,
            set,
            pane,
        });
    }

    fn close_container(
        &mut self,
        name: &str,
        span: Span,
        line_no: usize,
    ) -> Result<(), SourceError> {
        match self.containers.last() {
            Some(top) if top.name == name => {
                let Some(top) = self.containers.pop() else {
                    return Ok(());
                };
                if let Some(wrapper) = top.wrapper {
                    self.regions.push(Region {
                        start: top.line,
                        end: line_no,
                        kind: RegionKind::Wrapper(wrapper),
                    });
                }
                if name == "tab" {
                    if let Some(tab) = self.tab.take() {
                        self.regions.push(Region {
                            start: top.line,
                            end: line_no,
                            kind: RegionKind::Tab(tab),
                        });
                    }
                    let set = self.containers.last().and_then(|c| c.set);
                    if let Some(set) = set.and_then(|i| self.containers.get_mut(i)) {
                        set.item = Some(set.item.unwrap_or(0) + 1);
                    }
                }
                Ok(())
            }
            Some(top) => {
                let (line, _) = self.src.line_col(top.span.start);
                Err(self
                    .src
                    .error(
                        span,
                        ErrorKind::CloserOutOfOrder {
                            name: name.to_owned(),
                            open: top.name.clone(),
                            line,
                        },
                        "here",
                    )
                    .with_help(format!(
                        "close `{}` first with `{{{{< /{} >}}}}`",
                        top.name, top.name
                    )))
            }
            None => Err(self
                .src
                .error(
                    span,
                    ErrorKind::CloserWithoutOpener(name.to_owned()),
                    "here",
                )
                .with_help(format!("remove it, or open it with `{{{{< {name} >}}}}`"))),
        }
    }

    fn add_callout_text(&mut self, line: &str) {
        let Some(index) = self.innermost(|c| c.callout).and_then(|c| c.item) else {
            return;
        };
        let cleaned = strip_shortcodes(line);
        if cleaned.is_empty() {
            return;
        }
        if let Some(Item::Callout(callout)) = self.items.get_mut(index) {
            if !callout.text.is_empty() {
                callout.text.push(' ');
            }
            callout.text.push_str(&cleaned);
        }
    }
}

/// `{{< /name >}}` anywhere in the line closes a block opened by `name`, whatever its indent.
fn is_close(line: &str, name: &str) -> bool {
    let mut rest = line;
    while let Some(i) = rest.find("{{<") {
        let after = rest[i + 3..].trim_start();
        if let Some(after) = after.strip_prefix('/') {
            let after = after.trim_start();
            if let Some(after) = after.strip_prefix(name) {
                if after.trim_start().starts_with(">}}") {
                    return true;
                }
            }
        }
        rest = &rest[i + 3..];
    }
    false
}

fn strip_shortcodes(line: &str) -> String {
    let mut out = String::new();
    let mut rest = line.trim();
    while let Some(i) = rest.find("{{") {
        out.push_str(&rest[..i]);
        match rest[i..].find("}}") {
            Some(j) => rest = &rest[i + j + 2..],
            None => {
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out.trim().to_owned()
}

/// A fence's info string: ```` ```bash ````, ```` ```text {class=disable-copy} ````,
/// ```` ``` { .bash .no-copy } ````, ```` ```yaml file=./x.yaml ````,
/// ```` ```bash title="install my app.sh" showLineNumbers ````.
#[derive(Debug, Default, PartialEq, Eq)]
struct FenceInfo {
    syntax: String,
    no_copy: bool,
    file: Option<String>,
    title: Option<String>,
}

/// `title="…"` (or `title='…'`, or `title=word`) in an info string: the value, quotes
/// removed, spaces kept; and the info string without it.
fn take_title(info: &str) -> (Option<String>, String) {
    let mut search = 0;
    while let Some(found) = info[search..].find("title=") {
        let at = search + found;
        search = at + "title=".len();
        let starts_word = info[..at]
            .chars()
            .next_back()
            .is_none_or(|c| c.is_whitespace() || c == ',' || c == '{');
        if !starts_word {
            continue;
        }
        let rest = &info[search..];
        let (value, len) = match rest.chars().next() {
            Some(q @ ('"' | '\'')) => match rest[1..].find(q) {
                Some(end) => (&rest[1..1 + end], end + 2),
                None => (&rest[1..], rest.len()),
            },
            _ => {
                let end = rest.find(char::is_whitespace).unwrap_or(rest.len());
                (&rest[..end], end)
            }
        };
        let without = format!("{}{}", &info[..at], &info[search + len..]);
        return (Some(value.to_owned()), without);
    }
    (None, info.to_owned())
}

impl FenceInfo {
    fn parse(info: &str) -> FenceInfo {
        let (title, info) = take_title(info);
        let info = info.as_str();
        let (words, attrs) = match info.find('{') {
            Some(i) => (&info[..i], info[i + 1..].trim_end().trim_end_matches('}')),
            None => (info, ""),
        };
        let mut parsed = FenceInfo {
            title,
            ..FenceInfo::default()
        };
        let mut words = words.split(|c: char| c.is_whitespace() || c == ',');
        parsed.syntax = words.next().unwrap_or("").to_owned();
        for word in words.chain(attrs.split_whitespace()) {
            if let Some(class) = word.strip_prefix('.') {
                if parsed.syntax.is_empty() {
                    parsed.syntax = class.to_owned();
                }
                parsed.no_copy |= class == "no-copy";
            } else if let Some((key, value)) = word.split_once('=') {
                let value = value.trim_matches(|c| c == '"' || c == '\'');
                match key {
                    "file" => parsed.file = Some(value.to_owned()),
                    "class" => {
                        parsed.no_copy |= value
                            .split_whitespace()
                            .any(|c| c == "disable-copy" || c == "no-copy")
                    }
                    _ => {}
                }
            }
        }
        if parsed.syntax.is_empty() {
            parsed.syntax = "plain".to_owned();
        }
        parsed
    }
}

/// Line numbers of a view of the guide: the same lines as the guide, and the guide's own
/// offsets unless a pass removed indentation (MkDocs), when the view is indexed itself.
enum LineIndex<'a> {
    Source(&'a Source),
    View(Vec<usize>),
}

impl<'a> LineIndex<'a> {
    fn new(src: &'a Source, view: &str) -> Self {
        if view.len() == src.text().len() {
            return LineIndex::Source(src);
        }
        let mut starts = vec![0];
        starts.extend(view.match_indices('\n').map(|(i, _)| i + 1));
        LineIndex::View(starts)
    }

    /// The 1-based line of a byte offset.
    fn line_of(&self, offset: usize) -> usize {
        match self {
            LineIndex::Source(src) => src.line_of(offset),
            LineIndex::View(starts) => starts.partition_point(|s| *s <= offset),
        }
    }

    fn line_start(&self, line: usize) -> usize {
        match self {
            LineIndex::Source(src) => src.line_start(line),
            LineIndex::View(starts) => starts[line.saturating_sub(1).min(starts.len() - 1)],
        }
    }
}

/// Keeps the last [`LEAD_BYTES`] of prose, cut at a character boundary.
fn push_lead(lead: &mut String, text: &str) {
    lead.push_str(text);
    if lead.len() > 2 * LEAD_BYTES {
        let mut cut = lead.len() - LEAD_BYTES;
        while !lead.is_char_boundary(cut) {
            cut += 1;
        }
        lead.drain(..cut);
    }
}

/// The most text pulldown-cmark is given at once: a longer guide is read in pieces (see
/// [`super::pieces`]), so that reading it takes memory near its size, not three times it.
const PIECE_BYTES: usize = 256 * 1024;

/// Headings, tables and fenced code blocks, from pulldown-cmark over the view of the guide,
/// read in pieces of about `piece_bytes`: the same items whatever the size (a test reads the
/// corpora's guides in the smallest pieces to show it).
fn markdown_items(src: &Source, view: &str, body_start: usize, piece_bytes: usize) -> Vec<Item> {
    let mut options = Options::empty();
    options.insert(Options::ENABLE_TABLES);
    options.insert(Options::ENABLE_HEADING_ATTRIBUTES);
    let lines = LineIndex::new(src, view);
    let span_of = |start: usize, end: usize| {
        if matches!(lines, LineIndex::Source(_)) {
            Span::new(start, end)
        } else {
            let line = lines.line_of(start);
            let at = src.line_start(line);
            Span::new(at, at)
        }
    };
    let mut items = Vec::new();
    let mut heading: Option<(u8, Option<String>, usize, String)> = None;
    let mut table: Option<Table> = None;
    let mut cell: Option<String> = None;
    let mut row: Option<TableRow> = None;
    let mut code: Option<(TextBlock, String)> = None;
    let mut lead = String::new();
    let pieces = super::pieces::pieces(view, body_start, piece_bytes);
    let labels = if pieces.len() > 1 {
        super::pieces::ReferenceLabels::of(view, &pieces, options)
    } else {
        super::pieces::ReferenceLabels::default()
    };
    let events = pieces.into_iter().flat_map(|piece| {
        // A reference defined in another piece is a link, as in the whole text.
        let defined_elsewhere = |link: BrokenLink<'_>| {
            labels
                .defines(&link.reference)
                .then_some((CowStr::Borrowed(""), CowStr::Borrowed("")))
        };
        let parser = Parser::new_with_broken_link_callback(
            &view[piece.clone()],
            options,
            Some(defined_elsewhere),
        );
        parser
            .into_offset_iter()
            .map(move |(event, range)| (event, range.start + piece.start..range.end + piece.start))
    });
    for (event, range) in events {
        if range.start < body_start {
            continue;
        }
        match event {
            Event::Start(Tag::Heading { level, id, .. }) => {
                heading = Some((
                    heading_level(level),
                    id.map(|s| s.to_string()),
                    lines.line_of(range.start),
                    String::new(),
                ));
            }
            Event::End(TagEnd::Heading(_)) => {
                lead.clear();
                if let Some((level, anchor, line, text)) = heading.take() {
                    let (text, anchor) = match anchor {
                        Some(a) => (text.trim().to_owned(), Some(a)),
                        None => split_anchor(text.trim()),
                    };
                    items.push(Item::Heading(Heading {
                        level,
                        text,
                        anchor,
                        line,
                    }));
                }
            }
            Event::Start(Tag::Paragraph) => push_lead(&mut lead, " "),
            Event::Start(Tag::Table(_)) => {
                table = Some(Table {
                    line: lines.line_of(range.start),
                    header: Vec::new(),
                    rows: Vec::new(),
                });
            }
            Event::End(TagEnd::Table) => items.extend(table.take().map(Item::Table)),
            Event::Start(Tag::TableHead) | Event::Start(Tag::TableRow) => {
                row = Some(TableRow {
                    line: lines.line_of(range.start),
                    cells: Vec::new(),
                });
            }
            Event::End(TagEnd::TableHead) => {
                if let (Some(t), Some(r)) = (table.as_mut(), row.take()) {
                    t.header = r.cells;
                }
            }
            Event::End(TagEnd::TableRow) => {
                if let (Some(t), Some(r)) = (table.as_mut(), row.take()) {
                    t.rows.push(r);
                }
            }
            Event::Start(Tag::TableCell) => cell = Some(String::new()),
            Event::End(TagEnd::TableCell) => {
                if let (Some(r), Some(c)) = (row.as_mut(), cell.take()) {
                    r.cells.push(c.trim().to_owned());
                }
            }
            Event::Start(Tag::CodeBlock(CodeBlockKind::Fenced(info))) => {
                let line = lines.line_of(range.start);
                let opener_end = view[range.start..]
                    .find('\n')
                    .map_or(view.len(), |i| range.start + i);
                let indent: String = view[lines.line_start(line)..range.start].to_owned();
                let info = FenceInfo::parse(&info);
                let block = TextBlock {
                    form: BlockForm::Fenced,
                    line,
                    end_line: lines.line_of(range.end.saturating_sub(1)),
                    span: span_of(range.start, opener_end),
                    indent,
                    syntax: info.syntax,
                    output_syntax: None,
                    snip_id: None,
                    body: Vec::new(),
                    commented: false,
                    tab: None,
                    no_copy: info.no_copy,
                    file: info.file,
                    title: info.title,
                    lead: std::mem::take(&mut lead).trim().to_owned(),
                    wrapper: None,
                    hidden: None,
                    tags: Vec::new(),
                };
                code = Some((block, String::new()));
            }
            Event::Text(t) | Event::Code(t) => {
                if let Some((_, body)) = code.as_mut() {
                    body.push_str(&t);
                } else if let Some(c) = cell.as_mut() {
                    c.push_str(&t);
                } else if let Some((_, _, _, text)) = heading.as_mut() {
                    text.push_str(&t);
                } else {
                    push_lead(&mut lead, &t);
                }
            }
            Event::SoftBreak | Event::HardBreak => {
                if let Some((_, _, _, text)) = heading.as_mut() {
                    text.push(' ');
                } else if code.is_none() {
                    push_lead(&mut lead, " ");
                }
            }
            Event::End(TagEnd::CodeBlock) => {
                if let Some((mut block, body)) = code.take() {
                    let first = block.line + 1;
                    block.body = body
                        .lines()
                        .enumerate()
                        .map(|(i, text)| BodyLine {
                            line: first + i,
                            text: text.to_owned(),
                        })
                        .collect();
                    items.push(Item::Block(Box::new(block)));
                }
            }
            _ => {}
        }
    }
    items
}

fn heading_level(level: HeadingLevel) -> u8 {
    match level {
        HeadingLevel::H1 => 1,
        HeadingLevel::H2 => 2,
        HeadingLevel::H3 => 3,
        HeadingLevel::H4 => 4,
        HeadingLevel::H5 => 5,
        HeadingLevel::H6 => 6,
    }
}

/// Hugo's `{#anchor}` attribute when pulldown-cmark did not take it (e.g. `{#a .class}` forms).
fn split_anchor(text: &str) -> (String, Option<String>) {
    if let Some(open) = text.rfind("{#") {
        if let Some(rest) = text[open + 2..].strip_suffix('}') {
            let anchor = rest.split_whitespace().next().unwrap_or("").to_owned();
            if !anchor.is_empty() {
                return (text[..open].trim().to_owned(), Some(anchor));
            }
        }
    }
    (text.to_owned(), None)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(text: &str) -> Doc {
        parse(Arc::new(Source::new("g.md", text))).unwrap()
    }

    /// The items of `source` read whole and read in the smallest pieces.
    fn whole_and_in_pieces(source: Arc<Source>, detected: Detected) -> Option<(Doc, Doc)> {
        let whole = parse_recovering_in_pieces(source.clone(), detected.clone(), usize::MAX);
        let pieces = parse_recovering_in_pieces(source, detected, 1);
        Some((whole.ok()?.0, pieces.ok()?.0))
    }

    #[test]
    fn a_guide_read_in_pieces_has_the_items_it_has_read_whole() {
        let text = "# Guide\n\nSee [the setup][setup] first.\n\n\
            ## Install [Istio][istio]\n\nRun:\n\n```bash\necho a\n\n# a comment, not a heading\necho b\n```\n\n\
            <!-- a note\n\n# not a heading\n-->\n\n\
            # Variables\n\n| Name | Description |\n|---|---|\n| `CTX` | the [context][istio] |\n\n\
            - a list\n\n    ```bash\n\n    # in the list\n    ```\n\n\
            # Last [setup]\n\nThe output is similar to:\n\n```text\nok\n```\n\n\
            [setup]: https://example.com/setup\n[Istio]: https://istio.io\n";
        let source = Arc::new(Source::new("g.md", text));
        let detected = dialect::from_text(text);
        let (whole, pieces) = whole_and_in_pieces(source, detected).unwrap();
        assert_eq!(whole.items, pieces.items);
        let headings: Vec<&str> = whole
            .items
            .iter()
            .filter_map(|i| match i {
                Item::Heading(h) => Some(h.text.as_str()),
                _ => None,
            })
            .collect();
        assert_eq!(
            headings,
            ["Guide", "Install Istio", "Variables", "Last setup"],
            "references defined at the end are links in every piece"
        );
    }

    #[test]
    fn every_guide_of_the_corpora_reads_the_same_in_pieces() {
        let project = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut read = 0;
        let mut stack: Vec<_> = ["tests/corpus", "tests/fixtures", "runbooks"]
            .iter()
            .map(|d| project.join(d))
            .collect();
        while let Some(dir) = stack.pop() {
            for entry in std::fs::read_dir(&dir).unwrap().flatten() {
                let path = entry.path();
                if path.is_dir() {
                    stack.push(path);
                    continue;
                }
                let markdown = path.extension().is_some_and(|e| e == "md" || e == "mdx");
                let Some(doc) = markdown.then(|| Doc::load(&path).ok()).flatten() else {
                    continue;
                };
                let (whole, pieces) =
                    whole_and_in_pieces(doc.source.clone(), doc.dialect.clone()).unwrap();
                assert_eq!(whole.items, doc.items, "{}", path.display());
                assert_eq!(pieces.items, whole.items, "{}", path.display());
                read += 1;
            }
        }
        assert!(read > 500, "only {read} guides read");
    }

    fn err(text: &str) -> SourceError {
        parse(Arc::new(Source::new("g.md", text))).unwrap_err()
    }

    #[test]
    fn headings_with_anchors_in_any_language() {
        let d =
            doc("---\ntitle: t\n---\n## 配置信任关系 {#configure-trust}\n\n### Plain heading\n");
        let headings: Vec<_> = d
            .items
            .iter()
            .filter_map(|i| match i {
                Item::Heading(h) => Some((h.level, h.text.as_str(), h.anchor.as_deref(), h.line)),
                _ => None,
            })
            .collect();
        assert_eq!(
            headings,
            vec![
                (2, "配置信任关系", Some("configure-trust"), 4),
                (3, "Plain heading", None, 6)
            ]
        );
    }

    #[test]
    fn text_blocks_keep_lines_strip_indent_and_read_arguments() {
        let d = doc("1. Step:\n\n    {{< text syntax=bash snip_id=none >}}\n    $ echo hi\n      indented\n    hi\n    {{< /text >}}\n");
        let b = d.blocks().next().unwrap();
        assert_eq!((b.line, b.end_line, b.indent.as_str()), (3, 7, "    "));
        assert_eq!(
            (b.syntax.as_str(), b.snip_id.as_deref()),
            ("bash", Some("none"))
        );
        let body: Vec<(usize, &str)> = b.body.iter().map(|l| (l.line, l.text.as_str())).collect();
        assert_eq!(body, vec![(4, "$ echo hi"), (5, "  indented"), (6, "hi")]);
    }

    #[test]
    fn block_forms_from_the_corpus() {
        let cases = [
            ("{{< text bash yaml >}}", "bash", Some("yaml")),
            (
                "{{< text syntax=\"bash yaml\" snip_id=x >}}",
                "bash",
                Some("yaml"),
            ),
            (
                "{{< text syntax=\"bash\" outputis=\"yaml\" >}}",
                "bash",
                Some("yaml"),
            ),
            ("{{< text plain>}}", "plain", None),
            ("{{< text bask >}}", "bask", None),
        ];
        for (opener, syntax, output) in cases {
            let d = doc(&format!("{opener}\nx\n{{{{< /text >}}}}\n"));
            let b = d.blocks().next().unwrap();
            assert_eq!(
                (b.syntax.as_str(), b.output_syntax.as_deref()),
                (syntax, output),
                "{opener}"
            );
        }
    }

    #[test]
    fn fenced_blocks_tables_callouts_tabs_and_includes() {
        let text = "Intro\n\n```bash\n$ ls\n```\n\nVariable | Description\n-------- | -----------\n`CTX_A` | The [context](x) of A.\n\n{{< tip >}}\nMind the gap.\n{{< /tip >}}\n\n{{< tabset category-name=\"x\" >}}\n{{< tab name=\"One\" >}}\n{{< text bash >}}\n$ one\n{{< /text >}}\n{{< /tab >}}\n{{< tab name=\"Two\" >}}\n{{< text bash >}}\n$ two\n{{< /text >}}\n{{< /tab >}}\n{{< /tabset >}}\n{{< boilerplate args >}}\n";
        let d = doc(text);
        let fenced = d.blocks().next().unwrap();
        assert_eq!(
            (fenced.form, fenced.line, fenced.body[0].text.as_str()),
            (BlockForm::Fenced, 3, "$ ls")
        );
        let table = d
            .items
            .iter()
            .find_map(|i| {
                if let Item::Table(t) = i {
                    Some(t)
                } else {
                    None
                }
            })
            .unwrap();
        assert_eq!(table.header, vec!["Variable", "Description"]);
        assert_eq!(table.rows[0].cells, vec!["CTX_A", "The context of A."]);
        assert_eq!(table.rows[0].line, 9);
        let callout = d
            .items
            .iter()
            .find_map(|i| {
                if let Item::Callout(c) = i {
                    Some(c)
                } else {
                    None
                }
            })
            .unwrap();
        assert_eq!(
            (callout.kind.as_str(), callout.text.as_str(), callout.line),
            ("tip", "Mind the gap.", 11)
        );
        let tabs: Vec<_> = d
            .blocks()
            .filter_map(|b| b.tab.clone())
            .map(|t| (t.tabset, t.index, t.name))
            .collect();
        assert_eq!(
            tabs,
            vec![(0, 0, "One".to_owned()), (0, 1, "Two".to_owned())]
        );
        assert!(d
            .items
            .iter()
            .any(|i| matches!(i, Item::Include(b) if b.name == "args" && b.line == 27)));
    }

    #[test]
    fn lines_stay_true_after_wide_characters_in_blocks() {
        let d = doc(
            "{{< text plain >}}\n配置信任关系配置信任关系\n{{< /text >}}\n\n## 部署 {#deploy}\n",
        );
        let line = d.items.iter().find_map(|i| {
            if let Item::Heading(h) = i {
                Some(h.line)
            } else {
                None
            }
        });
        assert_eq!(line, Some(5));
    }

    #[test]
    fn shell_lines_inside_blocks_are_not_markdown() {
        let d =
            doc("{{< text bash >}}\n$ echo x\n# not a heading\n| not | a table |\n{{< /text >}}\n");
        assert!(!d
            .items
            .iter()
            .any(|i| matches!(i, Item::Heading(_) | Item::Table(_))));
    }

    #[test]
    fn crlf_and_a_missing_final_newline_read_the_same() {
        let lf = "---\ntest: yes\n---\n## A {#a}\n\n{{< text bash >}}\n$ echo x\nx\n{{< /text >}}\n\nVariable | Description\n--- | ---\n`V` | v\n";
        let crlf = lf.replace('\n', "\r\n");
        let bare = lf.trim_end_matches('\n');
        let (a, b, c) = (doc(lf), doc(&crlf), doc(bare));
        assert_eq!(a.items, b.items);
        assert_eq!(a.items, c.items);
        assert_eq!(b.front_matter.test, crate::doc::TestMode::Yes);
    }

    #[test]
    fn commented_blocks_are_marked() {
        let d = doc("<!-- {{< text syntax=bash snip_id=x >}} -->\n$ a\n<!-- {{< /text >}} -->\n");
        assert!(d.blocks().next().unwrap().commented);
    }

    #[test]
    fn containers_nested_ten_thousand_deep_give_each_block_its_innermost_tab_and_callout() {
        const DEPTH: usize = 10_000;
        let mut text = String::from("# Guide\n\n");
        for i in 0..DEPTH {
            text.push_str(&format!(
                "{{{{< tabset category-name=\"c{i}\" >}}}}\n{{{{< tab name=\"t{i}\" >}}}}\n"
            ));
        }
        text.push_str(
            "{{< warning >}}\nInner note.\n\n```bash\necho inner\n```\n\n{{< /warning >}}\n",
        );
        // The innermost set's second tab.
        text.push_str("{{< /tab >}}\n{{< tab name=\"second\" >}}\n\n```bash\necho second\n```\n\n");
        for _ in 0..DEPTH {
            text.push_str("{{< /tab >}}\n{{< /tabset >}}\n");
        }
        let detected = Detected::new(Dialect::Hugo, crate::doc::dialect::Reason::Flag);
        let doc = parse_as(Arc::new(Source::new("g.md", &text)), detected).unwrap();
        let blocks: Vec<&TextBlock> = doc.blocks().collect();
        assert_eq!(blocks.len(), 2);
        let tab = |i: usize| TabRef {
            tabset: i,
            index: 0,
            name: format!("t{i}"),
            value: None,
            page: None,
        };
        assert_eq!(blocks[0].tab.as_deref(), Some(&tab(DEPTH - 1)));
        assert_eq!(
            blocks[0].wrapper.as_deref(),
            Some(&Wrapper::Admonition {
                kind: "warning".into(),
                title: String::new()
            })
        );
        let second = TabRef {
            tabset: DEPTH - 1,
            index: 1,
            name: "second".into(),
            value: None,
            page: None,
        };
        assert_eq!(blocks[1].tab.as_deref(), Some(&second));
        assert_eq!(blocks[1].wrapper, None);
        let callouts: Vec<&Callout> = doc
            .items
            .iter()
            .filter_map(|i| match i {
                Item::Callout(c) => Some(c),
                _ => None,
            })
            .collect();
        assert_eq!(callouts.len(), 1);
        assert_eq!(callouts[0].text, "Inner note.");
    }

    #[test]
    fn structural_errors_name_the_line_and_give_a_hint() {
        let cases = [
            (
                "a\n{{< text bash >}}\n$ ls\n",
                ErrorKind::TextBlockNeverClosed,
                (2, 1),
            ),
            (
                "{{< tip >}}\nx\n",
                ErrorKind::NeverClosed("tip".into()),
                (1, 1),
            ),
            (
                "x\n{{< /text >}}\n",
                ErrorKind::TextCloserWithoutOpener,
                (2, 1),
            ),
            (
                "{{< tip >}}\n{{< /warning >}}\n",
                ErrorKind::CloserOutOfOrder {
                    name: "warning".into(),
                    open: "tip".into(),
                    line: 1,
                },
                (2, 1),
            ),
            (
                "{{< text bash foo=1 >}}\n{{< /text >}}\n",
                ErrorKind::UnknownTextArgument("foo".into()),
                (1, 1),
            ),
        ];
        for (text, kind, line_col) in cases {
            let e = err(text);
            assert_eq!((e.kind(), e.line_col()), (&kind, line_col), "{text}");
            assert!(e.help.is_some(), "{text}");
        }
    }
}
