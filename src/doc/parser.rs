//! Markdown + Hugo shortcodes -> [`Doc`].
//!
//! Two passes over the body. The first follows lines: it finds shortcodes, cuts out text blocks
//! (their content is verbatim, never Markdown), follows HTML comments and fences, and checks
//! that block shortcodes are closed. The second hands the rest, with text blocks blanked out so
//! offsets stay true, to pulldown-cmark for headings, tables and fenced code.

use std::sync::Arc;

use pulldown_cmark::{CodeBlockKind, Event, HeadingLevel, Options, Parser, Tag, TagEnd};

use super::shortcode::{self, Shortcode};
use super::{
    front_matter, BlockForm, BodyLine, BoilerplateRef, Callout, Doc, Heading, Item, TabRef, Table,
    TableRow, TextBlock,
};
use crate::error::SourceError;
use crate::source::{Source, Span};

/// Shortcodes that wrap content and must be closed.
const CONTAINERS: &[&str] = &["tip", "warning", "idea", "quote", "tabset", "tab"];
/// Callout kinds, listed as steps of kind `callout`.
const CALLOUTS: &[&str] = &["tip", "warning", "idea", "quote"];

/// Parses a guide. Errors point at the offending tag with a hint; the function never panics.
pub fn parse(source: Arc<Source>) -> Result<Doc, SourceError> {
    let (front_matter, body_start) = front_matter::parse(&source)?;
    let mut scan = LineScan::new(&source, body_start);
    scan.run()?;
    let LineScan {
        mut items, masked, ..
    } = scan;
    items.extend(markdown_items(&source, &masked, body_start));
    items.sort_by_key(|item| item.line());
    Ok(Doc {
        source,
        front_matter,
        items,
    })
}

struct OpenContainer {
    name: String,
    span: Span,
    item: Option<usize>,
}

struct OpenBlock {
    block: TextBlock,
}

struct LineScan<'a> {
    src: &'a Source,
    body_start: usize,
    items: Vec<Item>,
    /// The text with text-block lines blanked, for the Markdown pass.
    masked: String,
    containers: Vec<OpenContainer>,
    tabsets: usize,
    tab: Option<TabRef>,
    in_comment: bool,
    fence: Option<(char, usize)>,
}

impl<'a> LineScan<'a> {
    fn new(src: &'a Source, body_start: usize) -> Self {
        LineScan {
            src,
            body_start,
            items: Vec::new(),
            masked: String::with_capacity(src.text().len()),
            containers: Vec::new(),
            tabsets: 0,
            tab: None,
            in_comment: false,
            fence: None,
        }
    }

    fn run(&mut self) -> Result<(), SourceError> {
        let text = self.src.text();
        // Blank the front matter so the Markdown pass does not read it.
        let front = &text[..self.body_start];
        self.mask(front);
        let mut open: Option<OpenBlock> = None;
        let mut offset = self.body_start;
        // The end of a shortcode tag that went on over several lines.
        let mut tag_end = 0;
        for raw in text[self.body_start..].split_inclusive('\n') {
            let line = raw.strip_suffix('\n').unwrap_or(raw);
            let line_no = self.src.line_of(offset);
            if let Some(current) = open.as_mut() {
                if is_text_close(line) {
                    current.block.end_line = line_no;
                    let block = open.take().map(|o| o.block);
                    self.items.extend(block.map(Item::Block));
                    if line.contains("-->") {
                        self.in_comment = false;
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
            let codes = shortcode::scan_line(self.src, offset, line.len())?;
            tag_end = codes.last().map_or(0, |c| c.span.end);
            let mut opened = None;
            for code in codes {
                if let Some(block) = self.shortcode(code, line, line_no, comment_before)? {
                    opened = Some(block);
                }
            }
            if let Some(block) = opened {
                open = Some(OpenBlock { block });
                self.mask(raw);
            } else {
                self.masked.push_str(raw);
                if !line.trim().is_empty() {
                    self.add_callout_text(line);
                }
            }
            offset += raw.len();
        }
        if let Some(o) = open {
            let span = o.block.span;
            return Err(self
                .src
                .error(span, "text block is never closed", "opened here")
                .with_help("close it with `{{< /text >}}` on a line of its own"));
        }
        if let Some(c) = self.containers.last() {
            return Err(self
                .src
                .error(
                    c.span,
                    format!("`{}` is never closed", c.name),
                    "opened here",
                )
                .with_help(format!("close it with `{{{{< /{} >}}}}`", c.name)));
        }
        Ok(())
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
    ) -> Result<Option<TextBlock>, SourceError> {
        let commented = comment_before
            || line[..code.span.start - self.src.line_start(line_no)].contains("<!--");
        match code.name.as_str() {
            "text" if code.closing => Err(self
                .src
                .error(
                    code.span,
                    "`{{< /text >}}` without an opening `text` tag",
                    "here",
                )
                .with_help("remove it, or open the block with `{{< text bash >}}`")),
            "text" => self.open_text(code, line, line_no, commented).map(Some),
            name if CONTAINERS.contains(&name) => {
                if commented {
                    return Ok(None);
                }
                if code.closing {
                    self.close_container(&code)?;
                } else {
                    self.open_container(code, line_no);
                }
                Ok(None)
            }
            "boilerplate" if !code.closing && !commented => {
                if let Some(name) = code.positional(0).or(code.named("name")) {
                    self.items.push(Item::Boilerplate(BoilerplateRef {
                        name: name.to_owned(),
                        line: line_no,
                    }));
                }
                Ok(None)
            }
            _ => Ok(None),
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
                    format!(
                        "unknown `text` argument `{}`",
                        arg.key.as_deref().unwrap_or("")
                    ),
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
        let indent: String = line.chars().take_while(|c| c.is_whitespace()).collect();
        Ok(TextBlock {
            form: BlockForm::Shortcode,
            line: line_no,
            end_line: line_no,
            span: code.span,
            opener: line.to_owned(),
            indent,
            syntax: syntax_word,
            output_syntax,
            snip_id: code.named("snip_id").map(str::to_owned),
            body: Vec::new(),
            commented,
            tab: self.tab.clone(),
        })
    }

    fn open_container(&mut self, code: Shortcode, line_no: usize) {
        let mut item = None;
        match code.name.as_str() {
            "tabset" => {
                self.tabsets += 1;
            }
            "tab" => {
                let index = self
                    .containers
                    .iter()
                    .rev()
                    .find(|c| c.name == "tabset")
                    .map_or(0, |c| c.item.unwrap_or(0));
                let name = code
                    .named("name")
                    .or(code.positional(0))
                    .unwrap_or("")
                    .to_owned();
                self.tab = Some(TabRef {
                    tabset: self.tabsets.saturating_sub(1),
                    index,
                    name,
                });
            }
            kind if CALLOUTS.contains(&kind) => {
                self.items.push(Item::Callout(Callout {
                    kind: kind.to_owned(),
                    line: line_no,
                    text: String::new(),
                }));
                item = Some(self.items.len() - 1);
            }
            _ => {}
        }
        // For a tabset, `item` counts the tabs opened in it so far.
        let item = if code.name == "tabset" { Some(0) } else { item };
        self.containers.push(OpenContainer {
            name: code.name,
            span: code.span,
            item,
        });
    }

    fn close_container(&mut self, code: &Shortcode) -> Result<(), SourceError> {
        match self.containers.last() {
            Some(top) if top.name == code.name => {
                let top = self.containers.pop();
                if code.name == "tab" {
                    self.tab = None;
                    if let Some(set) = self
                        .containers
                        .iter_mut()
                        .rev()
                        .find(|c| c.name == "tabset")
                    {
                        set.item = Some(set.item.unwrap_or(0) + 1);
                    }
                }
                drop(top);
                Ok(())
            }
            Some(top) => {
                let (line, _) = self.src.line_col(top.span.start);
                Err(self
                    .src
                    .error(code.span, format!("`{{{{< /{} >}}}}` closes `{}`, opened at line {line}, which is still open", code.name, top.name), "here")
                    .with_help(format!("close `{}` first with `{{{{< /{} >}}}}`", top.name, top.name)))
            }
            None => Err(self
                .src
                .error(
                    code.span,
                    format!("`{{{{< /{} >}}}}` without an opening tag", code.name),
                    "here",
                )
                .with_help(format!(
                    "remove it, or open it with `{{{{< {} >}}}}`",
                    code.name
                ))),
        }
    }

    fn add_callout_text(&mut self, line: &str) {
        let Some(index) = self
            .containers
            .iter()
            .rev()
            .find(|c| CALLOUTS.contains(&c.name.as_str()))
            .and_then(|c| c.item)
        else {
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

/// `{{< /text >}}` anywhere in the line closes a text block, whatever its indent.
fn is_text_close(line: &str) -> bool {
    let mut rest = line;
    while let Some(i) = rest.find("{{<") {
        let after = rest[i + 3..].trim_start();
        if let Some(after) = after.strip_prefix('/') {
            let after = after.trim_start();
            if let Some(after) = after.strip_prefix("text") {
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

/// Headings, tables and fenced code blocks, from pulldown-cmark over the masked text.
fn markdown_items(src: &Source, masked: &str, body_start: usize) -> Vec<Item> {
    let mut options = Options::empty();
    options.insert(Options::ENABLE_TABLES);
    options.insert(Options::ENABLE_HEADING_ATTRIBUTES);
    let mut items = Vec::new();
    let mut heading: Option<(u8, Option<String>, usize, String)> = None;
    let mut table: Option<Table> = None;
    let mut cell: Option<String> = None;
    let mut row: Option<TableRow> = None;
    let mut code: Option<(TextBlock, String)> = None;
    for (event, range) in Parser::new_ext(masked, options).into_offset_iter() {
        if range.start < body_start {
            continue;
        }
        match event {
            Event::Start(Tag::Heading { level, id, .. }) => {
                heading = Some((
                    heading_level(level),
                    id.map(|s| s.to_string()),
                    src.line_of(range.start),
                    String::new(),
                ));
            }
            Event::End(TagEnd::Heading(_)) => {
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
            Event::Start(Tag::Table(_)) => {
                table = Some(Table {
                    line: src.line_of(range.start),
                    header: Vec::new(),
                    rows: Vec::new(),
                });
            }
            Event::End(TagEnd::Table) => items.extend(table.take().map(Item::Table)),
            Event::Start(Tag::TableHead) | Event::Start(Tag::TableRow) => {
                row = Some(TableRow {
                    line: src.line_of(range.start),
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
                let line = src.line_of(range.start);
                let opener_end = masked[range.start..]
                    .find('\n')
                    .map_or(masked.len(), |i| range.start + i);
                let opener = &src.text()[range.start..opener_end];
                let indent: String = src.text()[src.line_start(line)..range.start].to_owned();
                let syntax = info
                    .split(|c: char| c.is_whitespace() || c == ',' || c == '{')
                    .next()
                    .unwrap_or("")
                    .to_owned();
                let block = TextBlock {
                    form: BlockForm::Fenced,
                    line,
                    end_line: src.line_of(range.end.saturating_sub(1)),
                    span: Span::new(range.start, opener_end),
                    opener: format!("{indent}{opener}"),
                    indent,
                    syntax: if syntax.is_empty() {
                        "plain".to_owned()
                    } else {
                        syntax
                    },
                    output_syntax: None,
                    snip_id: None,
                    body: Vec::new(),
                    commented: false,
                    tab: None,
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
                }
            }
            Event::SoftBreak | Event::HardBreak => {
                if let Some((_, _, _, text)) = heading.as_mut() {
                    text.push(' ');
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
                    items.push(Item::Block(block));
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
            .any(|i| matches!(i, Item::Boilerplate(b) if b.name == "args" && b.line == 27)));
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
    fn structural_errors_name_the_line_and_give_a_hint() {
        let cases = [
            (
                "a\n{{< text bash >}}\n$ ls\n",
                "text block is never closed",
                "g.md:2:1",
            ),
            ("{{< tip >}}\nx\n", "`tip` is never closed", "g.md:1:1"),
            ("x\n{{< /text >}}\n", "without an opening", "g.md:2:1"),
            ("{{< tip >}}\n{{< /warning >}}\n", "still open", "g.md:2:1"),
            (
                "{{< text bash foo=1 >}}\n{{< /text >}}\n",
                "unknown `text` argument `foo`",
                "g.md:1:1",
            ),
        ];
        for (text, message, location) in cases {
            let e = err(text);
            assert!(e.message.contains(message), "{text}: {}", e.message);
            assert_eq!(e.location(), location, "{text}");
            assert!(e.help.is_some(), "{text}");
        }
    }
}
