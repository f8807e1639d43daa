//! Docusaurus MDX: what the page's build takes out of the text, and the containers it renders.
//!
//! [`read`] follows the page line by line, outside fenced code, and hands the Markdown pass a
//! view of the text with the same lines:
//!
//! - `import`/`export` lines (ESM, at the start of a line, up to the next blank line) and
//!   `{/* comments */}` are blanked: the rendered page shows neither.
//! - Lines that hold only JSX tags (`<Tabs>`, `<TabItem value="x" label="X">`, `<Helm4/>`,
//!   `<CodeBlock …>{Example}</CodeBlock>`, a tag over several lines) are blanked: a component
//!   renders what it renders, never commands. `<Tabs>` … `</Tabs>` is a tab set and each
//!   `<TabItem>` in it a tab, named by its `label` (else its `value`); `--tab` picks one by
//!   its label or by its `value`.
//!   MDX has no indented code, so a tab's content loses the indentation of its first line and
//!   the fences in it are fences.
//! - `:::note` (`:::tip Title`, `:::caution[Title]`, `::::info` for nesting) … `:::` is an
//!   admonition: a callout, whose fenced blocks stay steps.
//! - `<CodeBlock language="bash" title="x">{Script}</CodeBlock>`, where the page has
//!   `import Script from '!!raw-loader!./script.sh'` (or `'raw-loader!…'`, `'./script.sh?raw'`,
//!   `'@site/…'`, `'/…'` from the site's folder), is a code block that shows that file: a
//!   [`TextBlock`] with the import as its `file`, in the `language=` given (the runbook reads
//!   the file, inside the documentation tree). A template literal without `${…}`
//!   (``{`echo hi`}``) is the block's text. Any other code (an expression, an import of a
//!   module) is left out as an [`Unread`], which `lint` reports.
//!
//! Blanked text becomes spaces byte for byte, so unless a tab's content was indented, every
//! offset stays the guide's own. Reading is linear: each line is looked at a bounded number of
//! times (a tag is looked for over at most [`TAG_LINES`] lines).
//!
//! A page whose structure is broken (a `<Tabs>` or `:::` never closed, a closing tag that
//! closes nothing or comes out of order, a comment never ended) gives one error per problem,
//! with the line, and the reading goes on.

use std::collections::HashMap;

use super::fence::Fence;
use super::mkdocs::{indentation, strip_columns};
use super::parser::{Region, RegionKind};
use super::{BlockForm, BodyLine, Callout, TabRef, TextBlock, Unread, Wrapper};
use crate::error::{ErrorKind, SourceError};
use crate::source::{Source, Span};

/// The lines a JSX tag may run over: a tag longer than that is read as text.
const TAG_LINES: usize = 20;

/// The prose kept before a `<CodeBlock>`, in bytes, for the words that announce output.
const LEAD_BYTES: usize = 400;

/// Where an `@site/…` (or `/…`) import is read from: the site's folder, which the runbook
/// finds (the folder of `docusaurus.config.*`). [`TextBlock::file`] starts with it.
pub const SITE_PREFIX: &str = "@site/";

/// What the MDX pass found.
pub(super) struct Found {
    /// The text with ESM, comments and JSX blanked and tab content dedented, line for line.
    pub view: String,
    pub regions: Vec<Region>,
    pub callouts: Vec<Callout>,
    /// `<CodeBlock>`s whose code the page names: blocks in the order of the page.
    pub blocks: Vec<TextBlock>,
    /// `<CodeBlock>`s whose code is not known before the site's build.
    pub unread: Vec<Unread>,
    pub errors: Vec<SourceError>,
}

/// A `<CodeBlock>` element and its children, as written.
struct CodeElement {
    tag: Tag,
    line: usize,
    end_line: usize,
    span: Span,
    opener: String,
    /// The text between the opening and the closing tag.
    children: String,
    lead: String,
}

/// A `<CodeBlock>` open over several lines, waiting for its `</CodeBlock>`.
struct OpenCode {
    element: CodeElement,
}

/// An open `<Tabs>` or `<TabItem>`.
struct OpenElement {
    name: String,
    line: usize,
    span: Span,
    /// For a tab, the tab; for a tab set, its number and how many tabs it has opened.
    tab: Option<TabRef>,
    set: Option<(usize, usize)>,
    /// The indentation of the element's content, known at its first line of content.
    indent: Option<usize>,
}

/// An open `:::kind` admonition.
struct OpenAdmonition {
    colons: usize,
    kind: String,
    title: String,
    line: usize,
    span: Span,
    /// Its callout in [`Found::callouts`].
    callout: usize,
}

/// Reads an MDX page. `text` is the page with its front matter blanked, byte for byte.
pub(super) fn read(src: &Source, text: &str) -> Found {
    let lines: Vec<(usize, &str)> = text
        .split_inclusive('\n')
        .scan(0, |offset, raw| {
            let at = *offset;
            *offset += raw.len();
            Some((at, raw))
        })
        .collect();
    let mut pass = Pass {
        src,
        view: String::with_capacity(text.len()),
        regions: Vec::new(),
        callouts: Vec::new(),
        errors: Vec::new(),
        elements: Vec::new(),
        admonitions: Vec::new(),
        tabsets: 0,
        imports: HashMap::new(),
        code: Vec::new(),
        lead: String::new(),
    };
    let mut open_code: Option<OpenCode> = None;
    let mut fence: Option<Fence> = None;
    let mut esm = false;
    let mut comment: Option<Span> = None;
    let mut i = 0;
    while i < lines.len() {
        let (offset, raw) = lines[i];
        let line_no = i + 1;
        let line = raw.strip_suffix('\n').unwrap_or(raw);
        if let Some(open) = fence {
            if open.closed_by(line.trim()) {
                fence = None;
            }
            pass.keep(raw, line);
            i += 1;
            continue;
        }
        if let Some(open) = open_code.as_mut() {
            // The children of a `<CodeBlock>`: up to its closing tag.
            let closer = line.find("</CodeBlock>");
            let part = closer.map_or(line, |at| &line[..at]);
            open.element.children.push('\n');
            open.element.children.push_str(part);
            blank(&mut pass.view, raw);
            if closer.is_some() {
                if let Some(mut done) = open_code.take() {
                    done.element.end_line = line_no;
                    pass.code.push(done.element);
                }
            }
            i += 1;
            continue;
        }
        if esm {
            if line.trim().is_empty() {
                esm = false;
                pass.view.push_str(raw);
            } else {
                pass.esm(line);
                blank(&mut pass.view, raw);
            }
            i += 1;
            continue;
        }
        // Comments first: what is left of the line is read as the page's text.
        let cleaned = match blank_comments(line, &mut comment, offset) {
            Some(cleaned) => cleaned,
            None => line.to_owned(),
        };
        let trimmed = cleaned.trim_start();
        if trimmed.is_empty() {
            if line.trim().is_empty() {
                pass.view.push_str(raw);
            } else {
                blank(&mut pass.view, raw);
            }
            i += 1;
            continue;
        }
        if is_esm(&cleaned) && pass.elements.is_empty() {
            esm = true;
            pass.esm(&cleaned);
            blank(&mut pass.view, raw);
            i += 1;
            continue;
        }
        if let Some(marker) = Fence::opened_by(trimmed) {
            fence = Some(marker);
            pass.lead.clear();
            pass.keep(raw, &cleaned);
            i += 1;
            continue;
        }
        if let Some(colons) = admonition_closer(trimmed) {
            pass.close_admonition(colons, line_no, Span::new(offset, offset + line.len()));
            blank(&mut pass.view, raw);
            i += 1;
            continue;
        }
        if let Some((colons, kind, title)) = admonition_opener(trimmed) {
            pass.callouts.push(Callout {
                kind: kind.clone(),
                line: line_no,
                text: String::new(),
            });
            pass.admonitions.push(OpenAdmonition {
                colons,
                kind,
                title,
                line: line_no,
                span: Span::new(offset, offset + line.len()),
                callout: pass.callouts.len() - 1,
            });
            blank(&mut pass.view, raw);
            i += 1;
            continue;
        }
        if trimmed.starts_with('<') {
            // A tag may go on over the next lines: look at no more than TAG_LINES of them.
            let mut joined = cleaned.clone();
            let mut last = i;
            let tags = loop {
                match parse_tags(&joined) {
                    Tags::Incomplete if last + 1 < lines.len() && last + 1 - i < TAG_LINES => {
                        last += 1;
                        joined.push('\n');
                        joined.push_str(lines[last].1.trim_end_matches('\n'));
                    }
                    Tags::Found(tags) => break Some(tags),
                    _ => break None,
                }
            };
            if let Some(tags) = tags {
                let end = lines[last].0 + lines[last].1.trim_end_matches('\n').len();
                let span = Span::new(offset, end.max(offset));
                if let Some((tag, children)) = code_element(&joined) {
                    let element = CodeElement {
                        tag,
                        line: line_no,
                        end_line: last + 1,
                        span,
                        opener: line.to_owned(),
                        children: children.unwrap_or_default().to_owned(),
                        lead: std::mem::take(&mut pass.lead),
                    };
                    if children.is_some() {
                        pass.code.push(element);
                    } else {
                        open_code = Some(OpenCode { element });
                    }
                }
                for tag in tags {
                    pass.tag(tag, line_no, span);
                }
                for (_, raw) in &lines[i..=last] {
                    blank(&mut pass.view, raw);
                }
                i = last + 1;
                continue;
            }
        }
        pass.prose(trimmed);
        pass.lead_line(trimmed);
        pass.keep_cleaned(raw, &cleaned);
        i += 1;
    }
    let last_line = lines.len().max(1);
    if let Some(span) = comment {
        pass.errors.push(
            src.error(
                span,
                ErrorKind::NeverClosed("{/*".to_owned()),
                "opened here",
            )
            .with_help("end the comment with `*/}`"),
        );
    }
    if let Some(open) = open_code {
        pass.errors.push(
            src.error(
                open.element.span,
                ErrorKind::NeverClosed("<CodeBlock>".to_owned()),
                "opened here",
            )
            .with_help("close it with `</CodeBlock>`"),
        );
    }
    pass.finish(last_line);
    let (blocks, unread) = pass.code_blocks();
    Found {
        view: pass.view,
        regions: pass.regions,
        callouts: pass.callouts,
        blocks,
        unread,
        errors: pass.errors,
    }
}

struct Pass<'a> {
    src: &'a Source,
    view: String,
    regions: Vec<Region>,
    callouts: Vec<Callout>,
    errors: Vec<SourceError>,
    elements: Vec<OpenElement>,
    admonitions: Vec<OpenAdmonition>,
    tabsets: usize,
    /// `import Name from 'spec'` (default imports): the spec of each name.
    imports: HashMap<String, String>,
    /// The `<CodeBlock>` elements of the page, in order.
    code: Vec<CodeElement>,
    /// The prose since the last fence, heading or `<CodeBlock>`.
    lead: String,
}

impl Pass<'_> {
    /// An ESM line: a default import is remembered for the `<CodeBlock>`s that use it.
    fn esm(&mut self, line: &str) {
        for statement in line.split(';') {
            if let Some((name, spec)) = default_import(statement) {
                self.imports.insert(name.to_owned(), spec.to_owned());
            }
        }
    }

    /// A line of prose, kept (its last [`LEAD_BYTES`]) as the lead of a `<CodeBlock>` after it;
    /// a heading starts the lead anew.
    fn lead_line(&mut self, text: &str) {
        if text.starts_with('#') {
            self.lead.clear();
            return;
        }
        if !self.lead.is_empty() {
            self.lead.push(' ');
        }
        self.lead.push_str(text.trim());
        if self.lead.len() > 2 * LEAD_BYTES {
            let mut cut = self.lead.len() - LEAD_BYTES;
            while !self.lead.is_char_boundary(cut) {
                cut += 1;
            }
            self.lead.drain(..cut);
        }
    }

    /// The `<CodeBlock>`s of the page: the blocks whose code is known, and those left out.
    fn code_blocks(&mut self) -> (Vec<TextBlock>, Vec<Unread>) {
        let mut blocks = Vec::new();
        let mut unread = Vec::new();
        for element in std::mem::take(&mut self.code) {
            match code_of(&element, &self.imports) {
                Ok((file, body)) => blocks.push(code_block(element, file, body)),
                Err(why) => unread.push(Unread {
                    line: element.line,
                    what: shorten(element.opener.trim()),
                    why,
                }),
            }
        }
        (blocks, unread)
    }

    /// The columns a line inside the innermost open element loses; the first line of content
    /// sets it.
    fn depth(&mut self, line: &str) -> usize {
        let indent = indentation(line);
        match self.elements.last_mut() {
            Some(e) => *e.indent.get_or_insert(indent),
            None => 0,
        }
    }

    /// Keeps a line of the page (a fence line, prose), without the content indentation of
    /// the element it is in.
    fn keep(&mut self, raw: &str, line: &str) {
        if line.trim().is_empty() {
            self.view.push_str(raw);
            return;
        }
        let depth = self.depth(line);
        self.view.push_str(strip_columns(raw, depth));
    }

    /// Keeps a prose line whose comments were blanked (`cleaned`, the same length as the line).
    fn keep_cleaned(&mut self, raw: &str, cleaned: &str) {
        let depth = self.depth(cleaned);
        let ending = &raw[raw.trim_end_matches('\n').len()..];
        self.view.push_str(strip_columns(cleaned, depth));
        self.view.push_str(ending);
    }

    /// A line of prose: the text of the innermost admonition, when one is open.
    fn prose(&mut self, text: &str) {
        let Some(open) = self.admonitions.last() else {
            return;
        };
        if let Some(callout) = self.callouts.get_mut(open.callout) {
            if !callout.text.is_empty() {
                callout.text.push(' ');
            }
            callout.text.push_str(text.trim());
        }
    }

    fn close_admonition(&mut self, colons: usize, line_no: usize, span: Span) {
        // A closer of N colons closes the innermost admonition opened with no more than N.
        let Some(at) = self.admonitions.iter().rposition(|a| a.colons <= colons) else {
            self.errors.push(
                self.src
                    .error(span, ErrorKind::StrayCloser(":::".to_owned()), "here")
                    .with_help("remove it, or open an admonition before it with `:::note`"),
            );
            return;
        };
        while self.admonitions.len() > at + 1 {
            if let Some(inner) = self.admonitions.pop() {
                self.never_closed_admonition(&inner);
                self.end_admonition(inner, line_no);
            }
        }
        if let Some(open) = self.admonitions.pop() {
            self.end_admonition(open, line_no);
        }
    }

    fn end_admonition(&mut self, open: OpenAdmonition, line_no: usize) {
        self.regions.push(Region {
            start: open.line,
            end: line_no,
            kind: RegionKind::Wrapper(Wrapper::Admonition {
                kind: open.kind,
                title: open.title,
            }),
        });
    }

    fn never_closed_admonition(&mut self, open: &OpenAdmonition) {
        let colons = ":".repeat(open.colons);
        self.errors.push(
            self.src
                .error(
                    open.span,
                    ErrorKind::NeverClosed(format!("{colons}{}", open.kind)),
                    "opened here",
                )
                .with_help(format!("close it with `{colons}` on a line of its own")),
        );
    }

    /// A JSX tag on a line of tags: `<Tabs>` and `<TabItem>` open and close tabs; other
    /// components are left out.
    fn tag(&mut self, tag: Tag, line_no: usize, span: Span) {
        if tag.name != "Tabs" && tag.name != "TabItem" {
            return;
        }
        if tag.closing {
            self.close_element(&tag.name, line_no, span);
            return;
        }
        if tag.self_closing {
            return;
        }
        let (tab, set) = if tag.name == "Tabs" {
            self.tabsets += 1;
            (None, Some((self.tabsets - 1, 0)))
        } else {
            // A tab outside any `<Tabs>` is a tab set of its own.
            let in_set = self
                .elements
                .last()
                .is_some_and(|e| e.name == "Tabs" && e.set.is_some());
            if !in_set {
                self.tabsets += 1;
            }
            let (tabset, index) = match self.elements.last_mut().and_then(|e| e.set.as_mut()) {
                Some((id, count)) if in_set => {
                    *count += 1;
                    (*id, *count - 1)
                }
                _ => (self.tabsets - 1, 0),
            };
            // Docusaurus shows the label (the value when there is none); `?tab=` links and
            // `groupId` sync use the value, so `--tab` takes either.
            let value = tag.attr("value");
            let name = tag
                .attr("label")
                .or_else(|| value.clone())
                .unwrap_or_default();
            (
                Some(TabRef {
                    tabset,
                    index,
                    name,
                    value,
                    page: None,
                }),
                None,
            )
        };
        self.elements.push(OpenElement {
            name: tag.name,
            line: line_no,
            span,
            tab,
            set,
            indent: None,
        });
    }

    fn close_element(&mut self, name: &str, line_no: usize, span: Span) {
        let closer = format!("</{name}>");
        match self.elements.last() {
            Some(top) if top.name == name => {
                if let Some(open) = self.elements.pop() {
                    self.end_element(open, line_no);
                }
            }
            Some(top) => {
                let (open, line) = (format!("<{}>", top.name), top.line);
                self.errors.push(
                    self.src
                        .error(
                            span,
                            ErrorKind::MismatchedCloser {
                                closer: closer.as_str().into(),
                                open: open.as_str().into(),
                                line,
                            },
                            "here",
                        )
                        .with_help(format!("close `{open}` first with `</{}>`", top.name)),
                );
                // Read on as if the inner elements had been closed here, when one is.
                if let Some(at) = self.elements.iter().rposition(|e| e.name == name) {
                    while self.elements.len() > at {
                        if let Some(open) = self.elements.pop() {
                            self.end_element(open, line_no);
                        }
                    }
                }
            }
            None => self.errors.push(
                self.src
                    .error(span, ErrorKind::StrayCloser(closer), "here")
                    .with_help(format!("remove it, or open it with `<{name}>`")),
            ),
        }
    }

    fn end_element(&mut self, open: OpenElement, line_no: usize) {
        if let Some(tab) = open.tab {
            self.regions.push(Region {
                start: open.line,
                end: line_no,
                kind: RegionKind::Tab(tab),
            });
        }
    }

    /// What is still open at the end of the page: an error each, and its region ends there.
    fn finish(&mut self, last_line: usize) {
        while let Some(open) = self.admonitions.pop() {
            self.never_closed_admonition(&open);
            self.end_admonition(open, last_line);
        }
        while let Some(open) = self.elements.pop() {
            self.errors.push(
                self.src
                    .error(
                        open.span,
                        ErrorKind::NeverClosed(format!("<{}>", open.name)),
                        "opened here",
                    )
                    .with_help(format!("close it with `</{}>`", open.name)),
            );
            self.end_element(open, last_line);
        }
        // Errors in the order of the text.
        self.errors.sort_by_key(|e| e.line_col());
    }
}

/// `line` with its `{/* … */}` comments blanked (spaces, byte for byte), following a comment
/// that started on an earlier line (`open` holds where); `None` when the line has none.
fn blank_comments(line: &str, open: &mut Option<Span>, offset: usize) -> Option<String> {
    if open.is_none() && !line.contains("{/*") {
        return None;
    }
    let mut out = String::with_capacity(line.len());
    let mut rest = line;
    let mut at = offset;
    loop {
        if open.is_some() {
            match rest.find("*/}") {
                Some(end) => {
                    push_spaces(&mut out, end + 3);
                    rest = &rest[end + 3..];
                    at += end + 3;
                    *open = None;
                }
                None => {
                    push_spaces(&mut out, rest.len());
                    return Some(out);
                }
            }
        } else {
            match rest.find("{/*") {
                Some(start) => {
                    out.push_str(&rest[..start]);
                    *open = Some(Span::new(at + start, at + start + 3));
                    push_spaces(&mut out, 3);
                    rest = &rest[start + 3..];
                    at += start + 3;
                }
                None => {
                    out.push_str(rest);
                    return Some(out);
                }
            }
        }
    }
}

/// `import Name from 'spec'` (a default import, quotes of either kind): the name and spec.
fn default_import(statement: &str) -> Option<(&str, &str)> {
    let rest = statement.trim().strip_prefix("import")?;
    if !rest.starts_with([' ', '\t']) {
        return None;
    }
    let (name, rest) = rest.trim_start().split_once(char::is_whitespace)?;
    if !is_identifier(name) {
        return None;
    }
    let rest = rest.trim_start().strip_prefix("from")?.trim();
    let quote = rest.chars().next().filter(|c| *c == '\'' || *c == '"')?;
    let inner = &rest[1..];
    let end = inner.find(quote)?;
    Some((name, &inner[..end]))
}

fn is_identifier(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || c == '$')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$')
}

/// The file a raw import reads, as a name relative to the page (`./x.sh`, `../x.sh`) or
/// under the site's folder ([`SITE_PREFIX`]`x.sh`); `Err` says why a spec is no file's text.
fn raw_file(spec: &str) -> Result<String, String> {
    let loader = [
        "!!raw-loader!",
        "!raw-loader!",
        "-!raw-loader!",
        "raw-loader!",
    ]
    .iter()
    .find_map(|p| spec.strip_prefix(p));
    let path = match loader {
        Some(path) => path.split('?').next().unwrap_or(path),
        None => match spec.split_once('?') {
            Some((path, query)) if query.split('&').any(|q| q == "raw") => path,
            _ => {
                return Err(format!(
                    "`{spec}` is a module, not a file's text (a raw import reads `!!raw-loader!./file` or `./file?raw`)"
                ))
            }
        },
    };
    if let Some(rest) = path
        .strip_prefix(SITE_PREFIX)
        .or_else(|| path.strip_prefix('/'))
    {
        return Ok(format!("{SITE_PREFIX}{rest}"));
    }
    if path.starts_with("./") || path.starts_with("../") {
        return Ok(path.to_owned());
    }
    Err(format!(
        "`{spec}` names a package, not a file of the site (write `./{path}` for a file beside the page)"
    ))
}

/// What a `<CodeBlock>` shows: a file (its name, read later) or its own text; `Err` says why
/// it cannot be known before the site's build.
fn code_of(
    element: &CodeElement,
    imports: &HashMap<String, String>,
) -> Result<(Option<String>, Vec<BodyLine>), String> {
    let children = element.children.trim();
    let expression = children
        .strip_prefix('{')
        .and_then(|c| c.strip_suffix('}'))
        .filter(|_| skip_braces(children.as_bytes(), 0) == Some(children.len()))
        .map(str::trim);
    let Some(expression) = expression else {
        return Err("its code is JSX text, which docrun does not read as code".to_owned());
    };
    if is_identifier(expression) {
        let Some(spec) = imports.get(expression) else {
            return Err(format!("`{expression}` is not imported on this page"));
        };
        return raw_file(spec).map(|file| (Some(file), Vec::new()));
    }
    if let Some(literal) = expression
        .strip_prefix('`')
        .and_then(|e| e.strip_suffix('`'))
        .filter(|l| !l.contains(['`', '\\']) && !l.contains("${"))
    {
        return Ok((None, literal_lines(element, literal)));
    }
    Err(format!(
        "its code is the expression `{}`, which only the site's build evaluates",
        shorten(expression)
    ))
}

/// The lines of a template literal, each with its line in the page, without the blank lines
/// that open and end it (Docusaurus trims them).
fn literal_lines(element: &CodeElement, literal: &str) -> Vec<BodyLine> {
    // The children start on the element's line (after the opening tag) and go on one line
    // per `\n`; the literal is found in them once.
    let before = element
        .children
        .find(literal)
        .map_or(0, |at| element.children[..at].matches('\n').count());
    let mut body: Vec<BodyLine> = literal
        .split('\n')
        .enumerate()
        .map(|(n, text)| BodyLine {
            line: element.line + before + n,
            text: text.trim_end_matches('\r').to_owned(),
        })
        .collect();
    while body.last().is_some_and(|l| l.text.trim().is_empty()) {
        body.pop();
    }
    let first = body
        .iter()
        .position(|l| !l.text.trim().is_empty())
        .unwrap_or(body.len());
    body.drain(..first);
    body
}

/// The block a `<CodeBlock>` shows, in its `language=` (or `className="language-x"`).
fn code_block(element: CodeElement, file: Option<String>, body: Vec<BodyLine>) -> TextBlock {
    let tag = &element.tag;
    let syntax = tag
        .attr("language")
        .or_else(|| {
            tag.attr("className").and_then(|c| {
                c.split_whitespace()
                    .find_map(|w| w.strip_prefix("language-").map(str::to_owned))
            })
        })
        .unwrap_or_default()
        .to_lowercase();
    let indent: String = element
        .opener
        .chars()
        .take_while(|c| c.is_whitespace())
        .collect();
    TextBlock {
        form: BlockForm::Fenced,
        line: element.line,
        end_line: element.end_line,
        span: element.span,
        indent,
        syntax,
        output_syntax: None,
        snip_id: None,
        body,
        commented: false,
        tab: None,
        no_copy: false,
        file,
        title: tag.attr("title"),
        lead: element.lead,
        wrapper: None,
        hidden: None,
        tags: Vec::new(),
    }
}

/// A `<CodeBlock …>` in a line of tags: the tag, and its children when its `</CodeBlock>`
/// is in the same text (`None`: the children go on over the next lines).
fn code_element(text: &str) -> Option<(Tag, Option<&str>)> {
    let mut from = 0;
    while let Some(at) = text[from..].find("<CodeBlock").map(|a| a + from) {
        from = at + 1;
        let Ok((tag, next)) = parse_tag(text, at) else {
            continue;
        };
        if tag.name != "CodeBlock" || tag.closing || tag.self_closing {
            continue;
        }
        let children = text[next..]
            .find("</CodeBlock>")
            .map(|end| &text[next..next + end]);
        return Some((tag, children));
    }
    None
}

/// A construct as a message quotes it: at most 80 characters.
fn shorten(text: &str) -> String {
    match text.char_indices().nth(80) {
        Some((at, _)) => format!("{}…", &text[..at]),
        None => text.to_owned(),
    }
}

fn push_spaces(out: &mut String, n: usize) {
    out.extend(std::iter::repeat_n(' ', n));
}

/// Blanks a line byte for byte, keeping its line end.
fn blank(view: &mut String, raw: &str) {
    view.extend(raw.bytes().map(|b| if b == b'\n' { '\n' } else { ' ' }));
}

/// `import x from 'y'` or `export const x = …` at the start of a line.
fn is_esm(line: &str) -> bool {
    ["import", "export"].iter().any(|word| {
        line.strip_prefix(word)
            .is_some_and(|rest| rest.starts_with([' ', '{', '*']) || rest.starts_with('\t'))
    })
}

/// `:::` (three colons or more, alone on the line): the end of an admonition.
fn admonition_closer(trimmed: &str) -> Option<usize> {
    let t = trimmed.trim_end();
    (t.len() >= 3 && t.chars().all(|c| c == ':')).then_some(t.len())
}

/// `:::note`, `:::tip Title`, `:::caution[Title]`, `::::info{title="x"}`: colons, kind, title.
fn admonition_opener(trimmed: &str) -> Option<(usize, String, String)> {
    let colons = trimmed.chars().take_while(|c| *c == ':').count();
    if colons < 3 {
        return None;
    }
    let rest = &trimmed[colons..];
    let kind: String = rest
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .collect();
    if kind.is_empty() {
        return None;
    }
    let rest = rest[kind.len()..].trim();
    let title = if let Some(inner) = rest.strip_prefix('[') {
        inner.split(']').next().unwrap_or("").trim().to_owned()
    } else if let Some(inner) = rest.strip_prefix('{') {
        let inner = inner.trim_end().trim_end_matches('}');
        inner
            .split_once("title=")
            .map(|(_, v)| v.trim().trim_matches(['"', '\'']).to_owned())
            .unwrap_or_default()
    } else {
        rest.to_owned()
    };
    Some((colons, kind.to_lowercase(), title))
}

/// A JSX tag: `<Name attr="v" {...spread}>`, `</Name>`, `<Name/>`.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Tag {
    name: String,
    closing: bool,
    self_closing: bool,
    attrs: Vec<(String, String)>,
}

impl Tag {
    fn attr(&self, key: &str) -> Option<String> {
        self.attrs
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.clone())
    }
}

/// What a piece of text is to the JSX reader.
#[derive(Debug, PartialEq, Eq)]
enum Tags {
    /// Only tags (and `{expressions}` between them), at least one tag.
    Found(Vec<Tag>),
    /// Ends inside a tag: the next line may finish it.
    Incomplete,
    /// Anything else: text.
    Text,
}

/// Reads `text` as a run of JSX tags and expressions separated by whitespace.
fn parse_tags(text: &str) -> Tags {
    let bytes = text.as_bytes();
    let mut i = 0;
    let mut tags = Vec::new();
    loop {
        while i < bytes.len() && bytes[i].is_ascii_whitespace() {
            i += 1;
        }
        if i == bytes.len() {
            return if tags.is_empty() {
                Tags::Text
            } else {
                Tags::Found(tags)
            };
        }
        match bytes[i] {
            b'<' => match parse_tag(text, i) {
                Ok((tag, next)) => {
                    tags.push(tag);
                    i = next;
                }
                Err(incomplete) => {
                    return if incomplete {
                        Tags::Incomplete
                    } else {
                        Tags::Text
                    }
                }
            },
            // An expression between tags may go on over the next lines (a template literal).
            b'{' if !tags.is_empty() => match skip_braces(bytes, i) {
                Some(next) => i = next,
                None => return Tags::Incomplete,
            },
            _ => return Tags::Text,
        }
    }
}

/// One tag starting at `start` (a `<`): the tag and the offset after it, or whether the text
/// ended inside it (`Err(true)`) or it is no tag (`Err(false)`).
fn parse_tag(text: &str, start: usize) -> Result<(Tag, usize), bool> {
    let bytes = text.as_bytes();
    let mut i = start + 1;
    let closing = bytes.get(i) == Some(&b'/');
    if closing {
        i += 1;
    }
    let name_start = i;
    while i < bytes.len() && (bytes[i].is_ascii_alphanumeric() || b"._:-".contains(&bytes[i])) {
        i += 1;
    }
    let name = &text[name_start..i];
    let fragment = name.is_empty() && bytes.get(i) == Some(&b'>');
    if !fragment && !bytes.get(name_start).is_some_and(u8::is_ascii_alphabetic) {
        return Err(bytes.get(name_start).is_none());
    }
    let mut tag = Tag {
        name: name.to_owned(),
        closing,
        self_closing: false,
        attrs: Vec::new(),
    };
    loop {
        let before = i;
        while i < bytes.len() && bytes[i].is_ascii_whitespace() {
            i += 1;
        }
        let Some(&b) = bytes.get(i) else {
            return Err(true);
        };
        match b {
            b'>' => return Ok((tag, i + 1)),
            b'/' if !closing => {
                return match bytes.get(i + 1) {
                    Some(b'>') => {
                        tag.self_closing = true;
                        Ok((tag, i + 2))
                    }
                    Some(_) => Err(false),
                    None => Err(true),
                };
            }
            b'{' if !closing => match skip_braces(bytes, i) {
                Some(next) => i = next,
                None => return Err(true),
            },
            _ if closing || i == before => return Err(false),
            _ => {
                let key_start = i;
                while i < bytes.len()
                    && (bytes[i].is_ascii_alphanumeric() || b"_:-".contains(&bytes[i]))
                {
                    i += 1;
                }
                if i == key_start {
                    return Err(false);
                }
                let key = text[key_start..i].to_owned();
                if bytes.get(i) != Some(&b'=') {
                    tag.attrs.push((key, String::new()));
                    continue;
                }
                i += 1;
                match bytes.get(i) {
                    Some(&q @ (b'"' | b'\'')) => {
                        let Some(end) = text[i + 1..].find(q as char) else {
                            return Err(true);
                        };
                        tag.attrs.push((key, text[i + 1..i + 1 + end].to_owned()));
                        i += end + 2;
                    }
                    Some(b'{') => match skip_braces(bytes, i) {
                        Some(next) => {
                            let value = text[i + 1..next - 1].trim();
                            let value = value.trim_matches(['"', '\'', '`']).to_owned();
                            tag.attrs.push((key, value));
                            i = next;
                        }
                        None => return Err(true),
                    },
                    Some(_) => return Err(false),
                    None => return Err(true),
                }
            }
        }
    }
}

/// The offset after the `}` that closes the `{` at `start`, strings and nested braces
/// skipped; `None` when the text ends first.
fn skip_braces(bytes: &[u8], start: usize) -> Option<usize> {
    let mut depth = 0usize;
    let mut quote: Option<u8> = None;
    let mut i = start;
    while i < bytes.len() {
        let b = bytes[i];
        match quote {
            Some(_) if b == b'\\' => i += 1,
            Some(q) if b == q => quote = None,
            Some(_) => {}
            None => match b {
                b'"' | b'\'' | b'`' => quote = Some(b),
                b'{' => depth += 1,
                b'}' => {
                    depth -= 1;
                    if depth == 0 {
                        return Some(i + 1);
                    }
                }
                _ => {}
            },
        }
        i += 1;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(text: &str) -> Found {
        let src = Source::new("g.mdx", text);
        read(&src, text)
    }

    #[test]
    fn esm_comments_and_components_are_blanked_and_lines_stay() {
        let text = "import Tabs from '@theme/Tabs';\nimport {\n  X,\n} from './x';\n\n{/* hidden */}\nSee <Helm4/> {/* inline */} here.\n<Helm4/>\n<CodeBlock language=\"go\" title=\"a.go\">{Main}</CodeBlock>\n{/* one\n two */}\nEnd\n";
        let f = found(text);
        assert_eq!(f.view.len(), text.len());
        let lines: Vec<&str> = f.view.lines().collect();
        assert!(lines[..4].iter().all(|l| l.trim().is_empty()), "{lines:?}");
        assert_eq!(lines[5].trim(), "");
        let inline = format!("See <Helm4/> {} here.", " ".repeat("{/* inline */}".len()));
        assert_eq!(lines[6], inline);
        assert_eq!(lines[7].trim(), "");
        assert_eq!(lines[8].trim(), "");
        assert_eq!(lines[9].trim(), "");
        assert_eq!(lines[10].trim(), "");
        assert_eq!(lines[11], "End");
        assert!(f.errors.is_empty());
    }

    #[test]
    fn tabs_and_tab_items_are_tabs_and_their_content_loses_its_indent() {
        let text = "<Tabs groupId=\"os\">\n  <TabItem value=\"linux\" label=\"Linux\" default>\n    ```bash\n    echo linux\n    ```\n  </TabItem>\n  <TabItem\n    value=\"mac\">\n\n```bash\necho mac\n```\n\n  </TabItem>\n</Tabs>\n";
        let f = found(text);
        assert!(f.errors.is_empty(), "{:?}", f.errors);
        let lines: Vec<&str> = f.view.lines().collect();
        assert_eq!(lines.len(), text.lines().count());
        assert_eq!(lines[2], "```bash");
        assert_eq!(lines[3], "echo linux");
        let mut tabs: Vec<(usize, usize, usize, usize, String)> = f
            .regions
            .iter()
            .filter_map(|r| match &r.kind {
                RegionKind::Tab(t) => Some((r.start, r.end, t.tabset, t.index, t.name.clone())),
                _ => None,
            })
            .collect();
        tabs.sort();
        assert_eq!(
            tabs,
            vec![
                (2, 6, 0, 0, "Linux".to_owned()),
                (7, 14, 0, 1, "mac".to_owned())
            ]
        );
    }

    #[test]
    fn admonitions_are_callouts_whose_fences_stay() {
        let text = "1. Step\n\n   :::note[Keep the keys]\n   Store them.\n\n   ```bash\n   gpg --import keys\n   ```\n   :::\n\n::::tip Nested\n:::caution\nMind.\n:::\n::::\n";
        let f = found(text);
        assert!(f.errors.is_empty(), "{:?}", f.errors);
        assert_eq!(f.view.lines().nth(6), Some("   gpg --import keys"));
        let callouts: Vec<(String, usize, String)> = f
            .callouts
            .iter()
            .map(|c| (c.kind.clone(), c.line, c.text.clone()))
            .collect();
        assert_eq!(
            callouts,
            vec![
                ("note".to_owned(), 3, "Store them.".to_owned()),
                ("tip".to_owned(), 11, String::new()),
                ("caution".to_owned(), 12, "Mind.".to_owned()),
            ]
        );
        let note = f
            .regions
            .iter()
            .find(|r| r.start == 3)
            .map(|r| (r.end, &r.kind));
        assert!(matches!(
            note,
            Some((9, RegionKind::Wrapper(Wrapper::Admonition { kind, title })))
                if kind == "note" && title == "Keep the keys"
        ));
    }

    #[test]
    fn markers_inside_fences_are_text() {
        let text = "```mdx\nimport X from 'y';\n<Tabs>\n:::note\n{/* x */}\n```\n";
        let f = found(text);
        assert_eq!(f.view, text);
        assert!(f.regions.is_empty() && f.callouts.is_empty() && f.errors.is_empty());
    }

    #[test]
    fn broken_structure_is_an_error_at_its_line() {
        let cases: [(&str, ErrorKind, usize); 6] = [
            (
                "a\n<Tabs>\n<TabItem value=\"x\">\n</TabItem>\n",
                ErrorKind::NeverClosed("<Tabs>".into()),
                2,
            ),
            (
                "x\n\n:::note\ntext\n",
                ErrorKind::NeverClosed(":::note".into()),
                3,
            ),
            ("x\n:::\n", ErrorKind::StrayCloser(":::".into()), 2),
            (
                "</TabItem>\n",
                ErrorKind::StrayCloser("</TabItem>".into()),
                1,
            ),
            (
                "<Tabs>\n<TabItem value=\"a\">\n</Tabs>\n",
                ErrorKind::MismatchedCloser {
                    closer: "</Tabs>".into(),
                    open: "<TabItem>".into(),
                    line: 2,
                },
                3,
            ),
            (
                "ok\n{/* never\nended\n",
                ErrorKind::NeverClosed("{/*".into()),
                2,
            ),
        ];
        for (text, kind, line) in cases {
            let f = found(text);
            let first = f.errors.first().map(|e| (e.kind().clone(), e.line_col().0));
            assert_eq!(first, Some((kind, line)), "{text}");
        }
    }

    #[test]
    fn text_that_only_looks_like_tags_is_text() {
        for line in [
            "<https://example.com>",
            "<command> --help`.",
            "< 5 is less",
            "<br/> then words",
        ] {
            assert_eq!(parse_tags(line), Tags::Text, "{line}");
        }
        assert_eq!(parse_tags("<TabItem value=\"a\""), Tags::Incomplete);
    }

    #[test]
    fn raw_imports_name_files_and_other_imports_do_not() {
        let cases: [(&str, Option<&str>); 9] = [
            ("!!raw-loader!./a.sh", Some("./a.sh")),
            ("raw-loader!../b/a.sh", Some("../b/a.sh")),
            ("./a.sh?raw", Some("./a.sh")),
            ("@site/static/a.sh?raw", Some("@site/static/a.sh")),
            ("!!raw-loader!/sdk/main.go", Some("@site/sdk/main.go")),
            ("!!raw-loader!@site/x.yaml", Some("@site/x.yaml")),
            ("./widget.js", None),
            ("!!raw-loader!lodash/x", None),
            ("./a.sh?url", None),
        ];
        for (spec, want) in cases {
            assert_eq!(raw_file(spec).ok().as_deref(), want, "{spec}");
        }
        assert_eq!(
            default_import("import Main from \"!!raw-loader!./m.go\""),
            Some(("Main", "!!raw-loader!./m.go"))
        );
        for other in [
            "import {A} from './a'",
            "import * as A from './a'",
            "imports",
        ] {
            assert_eq!(default_import(other), None, "{other}");
        }
    }

    /// A block as a test sees it: lines, syntax, file, title, body.
    type Shown<'a> = (
        usize,
        usize,
        &'a str,
        Option<&'a str>,
        Option<&'a str>,
        Vec<(usize, &'a str)>,
    );

    #[test]
    fn code_blocks_are_blocks_and_their_lines_are_blank() {
        let text = "import S from './s.sh?raw';\n\nRun:\n\n<CodeBlock language=\"Bash\" title=\"s.sh\">{S}</CodeBlock>\n<CodeBlock language=\"bash\">\n{`\necho hi\n`}\n</CodeBlock>\n<CodeBlock>{S.trim()}</CodeBlock>\n";
        let f = found(text);
        assert!(f.errors.is_empty(), "{:?}", f.errors);
        assert!(f.view.trim().starts_with("Run:") && f.view.trim() == "Run:");
        let blocks: Vec<Shown> = f
            .blocks
            .iter()
            .map(|b| {
                (
                    b.line,
                    b.end_line,
                    b.syntax.as_str(),
                    b.file.as_deref(),
                    b.title.as_deref(),
                    b.body.iter().map(|l| (l.line, l.text.as_str())).collect(),
                )
            })
            .collect();
        assert_eq!(
            blocks,
            vec![
                (5, 5, "bash", Some("./s.sh"), Some("s.sh"), vec![]),
                (6, 10, "bash", None, None, vec![(8, "echo hi")]),
            ]
        );
        assert_eq!(f.blocks[0].lead, "Run:");
        assert_eq!(f.unread.len(), 1);
        assert_eq!(f.unread[0].line, 11);
        let f = found("<CodeBlock language=\"bash\">\n{S}\n");
        let first = f.errors.first().map(|e| (e.kind().clone(), e.line_col().0));
        assert_eq!(
            first,
            Some((ErrorKind::NeverClosed("<CodeBlock>".into()), 1))
        );
    }

    #[test]
    fn a_tag_that_never_ends_is_read_as_text_after_a_few_lines() {
        let mut text = String::from("<TabItem value=\"x\"\n");
        for _ in 0..50 {
            text.push_str("more words\n");
        }
        let f = found(&text);
        assert_eq!(f.view, text);
        assert!(f.errors.is_empty());
    }
}
