//! MkDocs' macros plugin (mkdocs-macros): what its Jinja pass leaves of a page's blocks.
//!
//! When a site's `mkdocs.yml` turns the plugin on, the page is a Jinja template rendered before
//! Markdown is read. Two things follow for the blocks docrun reads:
//!
//! - `{% raw %}` … `{% endraw %}` (also `{%- raw -%}`) mark text the plugin leaves as it is,
//!   `{{ }}` included (a Go template in `kubectl -o go-template='{{ .x }}'`). The markers
//!   themselves are not on the page: a line that holds only a marker is dropped, and a marker
//!   inside a line is cut out of it. A command or output with text inside such a region is
//!   taken literally: no macro is rendered in it, and it is no "macro docrun cannot render".
//! - any other statement (`{% include "x.md" %}`, `{% if %}`, `{% endfilter %}`) that is a
//!   line of its own outside a raw region renders to something else or nothing: it is not a
//!   command, and the line is dropped from the block.
//!
//! Dropping a line keeps every other line's number (each body line carries its own), so
//! errors and steps still point at the page. Everything here is one pass over the page's lines.

use std::borrow::Cow;

use crate::doc::{BodyLine, TextBlock};

/// What the macros pass says of each line of one page.
#[derive(Debug, Default)]
pub(super) struct Marks {
    /// Per line (index 0 is line 1): whether the line is a statement alone, dropped.
    statement: Vec<bool>,
    /// Per line: whether some of the line's text is inside a raw region (or a raw marker).
    literal: Vec<bool>,
}

impl Marks {
    /// Reads a page's text. Linear in its length.
    pub(super) fn of(text: &str) -> Marks {
        let mut marks = Marks::default();
        let mut raw = false;
        for line in text.split('\n') {
            let mut literal = raw;
            let trimmed = line.trim();
            let mut rest = line;
            let mut tags = 0;
            while let Some((tag, after)) = next_tag(rest) {
                tags += 1;
                match tag {
                    Tag::Raw => {
                        raw = true;
                        literal = true;
                    }
                    Tag::EndRaw if raw => {
                        raw = false;
                        literal = true;
                    }
                    _ => {}
                }
                rest = after;
            }
            // A line that is exactly one statement, outside a raw region (or the marker that
            // opens or closes one).
            let statement = tags == 1
                && trimmed.starts_with("{%")
                && next_tag(trimmed).is_some_and(|(_, after)| after.is_empty())
                && (!literal || is_raw_marker(trimmed));
            marks.statement.push(statement);
            marks.literal.push(literal);
        }
        marks
    }

    /// Whether line `line` (1-based) is a statement of its own, not on the rendered page.
    fn is_statement(&self, line: usize) -> bool {
        line.checked_sub(1)
            .and_then(|i| self.statement.get(i))
            .copied()
            .unwrap_or(false)
    }

    /// Whether any of `count` lines from `line` (1-based) holds text of a raw region.
    pub(super) fn any_literal(&self, line: usize, count: usize) -> bool {
        let start = line.saturating_sub(1).min(self.literal.len());
        let end = start.saturating_add(count.max(1)).min(self.literal.len());
        self.literal[start..end].iter().any(|l| *l)
    }

    /// The block as the plugin renders it: statement lines dropped, raw markers cut out of
    /// the others. Borrowed when nothing changes.
    pub(super) fn render<'b>(&self, block: Cow<'b, TextBlock>) -> Cow<'b, TextBlock> {
        let touched = block
            .body
            .iter()
            .any(|l| self.is_statement(l.line) || l.text.contains("{%"));
        if !touched {
            return block;
        }
        let mut owned = block.into_owned();
        let body = std::mem::take(&mut owned.body);
        owned.body = body
            .into_iter()
            .filter(|l| !self.is_statement(l.line) && !is_raw_marker(l.text.trim()))
            .map(|l| BodyLine {
                text: without_raw_markers(&l.text).into_owned(),
                line: l.line,
            })
            .collect();
        Cow::Owned(owned)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tag {
    Raw,
    EndRaw,
    Other,
}

/// The first `{% ... %}` tag in `text`, and the text after it.
fn next_tag(text: &str) -> Option<(Tag, &str)> {
    let open = text.find("{%")?;
    let inner_start = open + 2;
    let close = text[inner_start..].find("%}")? + inner_start;
    let inner = text[inner_start..close]
        .trim_start_matches(['-', '+'])
        .trim_end_matches(['-', '+'])
        .trim();
    let tag = match inner {
        "raw" => Tag::Raw,
        "endraw" => Tag::EndRaw,
        _ => Tag::Other,
    };
    Some((tag, &text[close + 2..]))
}

/// A line that is only `{% raw %}` or `{% endraw %}`.
fn is_raw_marker(trimmed: &str) -> bool {
    trimmed.starts_with("{%")
        && next_tag(trimmed)
            .is_some_and(|(tag, after)| tag != Tag::Other && after.trim().is_empty())
}

/// `text` with every `{% raw %}` and `{% endraw %}` marker cut out; other tags stay.
fn without_raw_markers(text: &str) -> Cow<'_, str> {
    if !text.contains("{%") {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(open) = rest.find("{%") {
        match next_tag(&rest[open..]) {
            Some((Tag::Raw | Tag::EndRaw, after)) => {
                out.push_str(&rest[..open]);
                rest = after;
            }
            Some((Tag::Other, after)) => {
                let end = rest.len() - after.len();
                out.push_str(&rest[..end]);
                rest = after;
            }
            None => break,
        }
    }
    out.push_str(rest);
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raw_regions_statements_and_markers_inside_lines() {
        let page = "text\n{% raw %}\nget -o '{{ .x }}'\n{% endraw %}\n{% include \"a.md\" %}\n\
                    a {% raw %}{{ b }}{% endraw %} c\n{{ version }}\n{% raw %}\n{% if x %}\n{% endraw %}\n";
        let marks = Marks::of(page);
        let statements: Vec<usize> = (1..=11).filter(|n| marks.is_statement(*n)).collect();
        assert_eq!(statements, vec![2, 4, 5, 8, 10]);
        let literal: Vec<usize> = (1..=11).filter(|n| marks.any_literal(*n, 1)).collect();
        assert_eq!(literal, vec![2, 3, 4, 6, 8, 9, 10]);
        assert_eq!(
            without_raw_markers("a {% raw %}{{ b }}{%- endraw -%} c"),
            "a {{ b }} c"
        );
        assert_eq!(without_raw_markers("{% if x %}y"), "{% if x %}y");
        assert_eq!(without_raw_markers("{% unclosed"), "{% unclosed");
        assert!(!marks.any_literal(100, 3));
    }
}
