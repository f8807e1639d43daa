//! MkDocs Material's containers: content tabs (`=== "kubectl"`), admonitions (`!!! note`,
//! `??? tip "Title"`) and snippets (`--8<-- "file"`); and the macros plugin's includes
//! (`{% include "file" %}`), inside `{% filter indent(width=4) %}` where a tab holds them.
//!
//! A container's content is the lines after its marker that are blank or indented four spaces
//! more than the marker, as Python-Markdown reads them. A marker counts at the start of a
//! container's content or of a list item's content, at any depth (a tab holding a numbered list
//! whose step holds an admonition holding a fence). [`containers`] blanks the markers, removes
//! the containers' indentation (so pulldown-cmark sees the fences inside as fences, not as
//! indented code; a container inside a list item keeps the item's indentation, so the item goes
//! on around it) and keeps every line where it was, so line numbers stay true.

use super::fence::Fence;
use super::parser::{Region, RegionKind};
use super::{Include, IncludeKind, TabRef, Wrapper};

/// What the MkDocs pass found.
pub(super) struct Found {
    /// The text with markers blanked and container indentation removed, line for line.
    pub view: String,
    pub regions: Vec<Region>,
    pub includes: Vec<Include>,
}

/// An open container: where its content starts, and what it is.
struct Open {
    /// The indentation (in columns) of the content.
    content_indent: usize,
    /// The columns removed from the content's lines in the view.
    strip: usize,
    start: usize,
    kind: RegionKind,
}

/// The tabset a run of `===` markers at one indentation belongs to.
struct Tabset {
    indent: usize,
    id: usize,
    next_index: usize,
}

/// Reads the containers of an MkDocs page. `text` is the page with its front matter blanked.
pub(super) fn containers(text: &str) -> Found {
    let mut view = String::with_capacity(text.len());
    let mut regions = Vec::new();
    let mut includes = Vec::new();
    let mut open: Vec<Open> = Vec::new();
    let mut tabset: Option<Tabset> = None;
    let mut tabsets = 0;
    let mut fence: Option<Fence> = None;
    // The open list items, innermost last: (marker column, content column), absolute.
    let mut items: Vec<(usize, usize)> = Vec::new();
    let mut last_line = 0;
    // The widths of the macros plugin's `{% filter indent(width=N) %}` regions open here: the
    // page renders their lines indented by these columns more.
    let mut filters: Vec<usize> = Vec::new();
    for (index, raw) in text.split_inclusive('\n').enumerate() {
        let line_no = index + 1;
        last_line = line_no;
        let line = raw.strip_suffix('\n').unwrap_or(raw);
        if fence.is_none() {
            if let Some(filter) = filter_statement(line.trim()) {
                match filter {
                    Filter::Indent(width) => filters.push(width),
                    Filter::End => {
                        filters.pop();
                    }
                }
                push_blank(&mut view, raw);
                continue;
            }
        }
        let indent = indentation(line) + filters.iter().sum::<usize>();
        let blank = line.trim().is_empty();
        if !blank && fence.is_none() {
            while open.last().is_some_and(|o| indent < o.content_indent) {
                if let Some(o) = open.pop() {
                    regions.push(Region {
                        start: o.start,
                        end: line_no - 1,
                        kind: o.kind,
                    });
                }
            }
        }
        if !blank && fence.is_none() {
            while items.last().is_some_and(|(marker, _)| indent <= *marker) {
                items.pop();
            }
        }
        let depth = open.last().map_or(0, |o| o.content_indent);
        let strip = open.last().map_or(0, |o| o.strip);
        let trimmed = line.trim_start();
        // Where a container's marker may stand: the start of the innermost list item's content
        // (inside the innermost container), else the start of the container's content.
        let item = items.last().copied().filter(|(marker, _)| *marker >= depth);
        let base = item.map_or(depth, |(_, content)| content.max(depth));
        let at_marker = indent >= base.saturating_sub(3) && indent < base + 4;
        if let Some(open) = fence {
            if open.closed_by(trimmed) {
                fence = None;
            }
        } else if let Some(marker) = Fence::opened_by(trimmed) {
            fence = Some(marker);
        } else if at_marker {
            // Inside a list item the container keeps the item's indentation in the view.
            let strip = if item.is_some() {
                strip + 4
            } else {
                indent + 4
            };
            if let Some(name) = tab_title(trimmed) {
                let set = match tabset.as_mut() {
                    Some(set) if set.indent == indent => set,
                    _ => {
                        tabsets += 1;
                        tabset.insert(Tabset {
                            indent,
                            id: tabsets - 1,
                            next_index: 0,
                        })
                    }
                };
                let tab = TabRef {
                    tabset: set.id,
                    index: set.next_index,
                    name,
                    value: None,
                    page: None,
                };
                set.next_index += 1;
                open.push(Open {
                    content_indent: indent + 4,
                    strip,
                    start: line_no,
                    kind: RegionKind::Tab(tab),
                });
                push_blank(&mut view, raw);
                continue;
            }
            if let Some((kind, title)) = admonition(trimmed) {
                open.push(Open {
                    content_indent: indent + 4,
                    strip,
                    start: line_no,
                    kind: RegionKind::Wrapper(Wrapper::Admonition { kind, title }),
                });
                push_blank(&mut view, raw);
                continue;
            }
            if let Some(path) = snippet_path(trimmed) {
                includes.push(Include {
                    kind: IncludeKind::Snippet,
                    name: path,
                    line: line_no,
                    tab: None,
                });
                push_blank(&mut view, raw);
                continue;
            }
        }
        if fence.is_none() {
            if let Some(name) = include_statement(trimmed) {
                includes.push(Include {
                    kind: IncludeKind::Macro,
                    name,
                    line: line_no,
                    tab: None,
                });
                push_blank(&mut view, raw);
                continue;
            }
        }
        if !blank && tabset.as_ref().is_some_and(|t| indent <= t.indent) {
            tabset = None;
        }
        if fence.is_none() {
            if let Some(width) = list_marker(trimmed) {
                items.push((indent, indent + width));
            }
        }
        view.push_str(strip_columns(raw, strip));
    }
    while let Some(o) = open.pop() {
        regions.push(Region {
            start: o.start,
            end: last_line,
            kind: o.kind,
        });
    }
    Found {
        view,
        regions,
        includes,
    }
}

/// Columns of leading whitespace, a tab counting as four.
pub(super) fn indentation(line: &str) -> usize {
    line.chars()
        .take_while(|c| *c == ' ' || *c == '\t')
        .map(|c| if c == '\t' { 4 } else { 1 })
        .sum()
}

/// `line` with up to `columns` columns of leading whitespace removed.
pub(super) fn strip_columns(line: &str, columns: usize) -> &str {
    let mut seen = 0;
    for (i, c) in line.char_indices() {
        if seen >= columns || (c != ' ' && c != '\t') {
            return &line[i..];
        }
        seen += if c == '\t' { 4 } else { 1 };
    }
    line.trim_start_matches([' ', '\t'])
}

/// The width of a list item's marker with the blank after it (`- `, `* `, `+ `, `1. `, `2) `),
/// if the line (without its indentation) starts a list item.
fn list_marker(trimmed: &str) -> Option<usize> {
    let digits = trimmed.bytes().take_while(u8::is_ascii_digit).count();
    let marker = match trimmed.as_bytes().first()? {
        b'-' | b'*' | b'+' => 1,
        _ if (1..=9).contains(&digits)
            && matches!(trimmed.as_bytes().get(digits), Some(b'.' | b')')) =>
        {
            digits + 1
        }
        _ => return None,
    };
    let rest = &trimmed[marker..];
    let blanks = rest.len() - rest.trim_start_matches([' ', '\t']).len();
    (blanks > 0 && !rest.trim().is_empty()).then_some(marker + blanks.min(4))
}

fn push_blank(view: &mut String, raw: &str) {
    view.extend(raw.chars().filter(|c| *c == '\n'));
}

/// `=== "Title"` (also `===! "Title"`, `===+ "Title"`): a content tab.
fn tab_title(trimmed: &str) -> Option<String> {
    let rest = trimmed.strip_prefix("===")?;
    let rest = rest.strip_prefix(['!', '+']).unwrap_or(rest);
    let title = rest.trim();
    let title = title.strip_prefix('"')?.strip_suffix('"')?;
    Some(title.to_owned())
}

/// `!!! kind "Title"`, `??? kind`, `???+ kind "Title"`: an admonition's kind and title.
fn admonition(trimmed: &str) -> Option<(String, String)> {
    let rest = trimmed
        .strip_prefix("!!!")
        .or_else(|| trimmed.strip_prefix("???+"))
        .or_else(|| trimmed.strip_prefix("???"))?;
    if !rest.starts_with(' ') {
        return None;
    }
    let rest = rest.trim();
    let (kind, title) = match rest.find('"') {
        Some(i) => (
            rest[..i].trim(),
            rest[i..].trim().trim_matches('"').to_owned(),
        ),
        None => (rest, String::new()),
    };
    let kind = kind.split_whitespace().next()?.to_lowercase();
    Some((kind, title))
}

/// A `{% filter … %}` or `{% endfilter %}` statement line of the macros plugin (Jinja).
enum Filter {
    /// `{% filter indent(width=N) %}` (also `indent(N)`): the lines up to `{% endfilter %}` are
    /// rendered N columns further in.
    Indent(usize),
    /// `{% endfilter %}`.
    End,
}

/// The Jinja statement inside `{%`…`%}` (whitespace control `-` taken off), if `trimmed` is
/// one statement and nothing else.
fn statement(trimmed: &str) -> Option<&str> {
    let inner = trimmed.strip_prefix("{%")?.strip_suffix("%}")?;
    let inner = inner.strip_prefix('-').unwrap_or(inner);
    let inner = inner.strip_suffix('-').unwrap_or(inner).trim();
    (!inner.contains("%}")).then_some(inner)
}

fn filter_statement(trimmed: &str) -> Option<Filter> {
    let inner = statement(trimmed)?;
    if inner == "endfilter" {
        return Some(Filter::End);
    }
    let args = inner
        .strip_prefix("filter")?
        .trim_start()
        .strip_prefix("indent(")?
        .strip_suffix(')')?;
    // `indent(4)`, `indent(width=4)`, `indent(width=4, first=true)`: the first argument.
    let width = args.split(',').next()?.trim();
    let width = width.strip_prefix("width=").unwrap_or(width).trim();
    width.parse().ok().filter(|w| *w <= 64).map(Filter::Indent)
}

/// `{% include "file" %}` (or `'file'`): the file the macros plugin puts in its place.
fn include_statement(trimmed: &str) -> Option<String> {
    let inner = statement(trimmed)?;
    let rest = inner.strip_prefix("include")?;
    if !rest.starts_with([' ', '\t']) {
        return None;
    }
    let rest = rest.trim();
    let name = rest
        .strip_prefix('"')
        .and_then(|r| r.strip_suffix('"'))
        .or_else(|| rest.strip_prefix('\'').and_then(|r| r.strip_suffix('\'')))?;
    (!name.is_empty() && !name.contains(['"', '\''])).then(|| name.to_owned())
}

/// `--8<-- "path"` (a line without its indentation): the path of a snippet to include.
pub fn snippet_path(trimmed: &str) -> Option<String> {
    let rest = trimmed.strip_prefix("--8<--")?.trim();
    let path = rest
        .strip_prefix('"')
        .and_then(|r| r.strip_suffix('"'))
        .or_else(|| rest.strip_prefix('\'').and_then(|r| r.strip_suffix('\'')))?;
    (!path.is_empty()).then(|| path.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tabs_lose_their_indentation_and_keep_their_lines() {
        let text = "Intro\n\n=== \"kubectl\"\n\n    ```bash\n    kubectl get pods\n    ```\n\n=== \"helm\"\n\n    ```bash\n    helm list\n    ```\n\nAfter\n";
        let found = containers(text);
        assert_eq!(found.view.lines().count(), text.lines().count());
        assert_eq!(found.view.lines().nth(4), Some("```bash"));
        assert_eq!(found.view.lines().nth(14), Some("After"));
        let tabs: Vec<(usize, usize, usize, String)> = found
            .regions
            .iter()
            .filter_map(|r| match &r.kind {
                RegionKind::Tab(t) => Some((r.start, t.tabset, t.index, t.name.clone())),
                _ => None,
            })
            .collect();
        assert_eq!(
            tabs,
            vec![
                (3, 0, 0, "kubectl".to_owned()),
                (9, 0, 1, "helm".to_owned())
            ]
        );
    }

    #[test]
    fn macro_statements_are_read_as_jinja_writes_them() {
        assert_eq!(
            include_statement("{% include \"dns.md\" %}"),
            Some("dns.md".into())
        );
        assert_eq!(
            include_statement("{%- include 'a/b.md' -%}"),
            Some("a/b.md".into())
        );
        assert_eq!(include_statement("{% include \"x.md\" %} trailing"), None);
        assert_eq!(include_statement("{% included \"x.md\" %}"), None);
        assert!(matches!(
            filter_statement("{% filter indent(width=4) %}"),
            Some(Filter::Indent(4))
        ));
        assert!(matches!(
            filter_statement("{% filter indent(8, first=true) %}"),
            Some(Filter::Indent(8))
        ));
        assert!(matches!(
            filter_statement("{% endfilter %}"),
            Some(Filter::End)
        ));
        assert!(filter_statement("{% filter upper %}").is_none());
    }

    #[test]
    fn an_include_in_a_filtered_indent_under_a_tab_is_in_the_tab() {
        let text = "=== \"One\"\n{% filter indent(width=4) %}\n{% include \"one.md\" %}\n{% endfilter %}\n=== \"Two\"\n{% filter indent(width=4) %}\n{% include \"two.md\" %}\n{% endfilter %}\n\nAfter.\n";
        let found = containers(text);
        let names: Vec<(&str, usize)> = found
            .includes
            .iter()
            .map(|i| (i.name.as_str(), i.line))
            .collect();
        assert_eq!(names, [("one.md", 3), ("two.md", 7)]);
        let tabs: Vec<(usize, usize, &str)> = found
            .regions
            .iter()
            .filter_map(|r| match &r.kind {
                RegionKind::Tab(t) => Some((r.start, r.end, t.name.as_str())),
                _ => None,
            })
            .collect();
        assert_eq!(tabs, [(1, 4, "One"), (5, 9, "Two")]);
        assert_eq!(found.view.lines().count(), text.lines().count());
    }

    #[test]
    fn admonitions_and_snippets() {
        let text = "!!! success \"Expected output\"\n\n    ```\n    ok\n    ```\n\n--8<-- \"snippets/setup.md\"\n";
        let found = containers(text);
        assert!(matches!(
            &found.regions[0].kind,
            RegionKind::Wrapper(Wrapper::Admonition { kind, title }) if kind == "success" && title == "Expected output"
        ));
        assert_eq!((found.regions[0].start, found.regions[0].end), (1, 6));
        assert_eq!(found.includes[0].name, "snippets/setup.md");
        assert_eq!(found.includes[0].line, 7);
    }

    #[test]
    fn markers_inside_fences_are_text() {
        let text = "```\n=== \"not a tab\"\n!!! note\n```\n";
        let found = containers(text);
        assert!(found.regions.is_empty());
        assert_eq!(found.view, text);
    }

    #[test]
    fn containers_in_list_items_at_any_depth() {
        let text = "=== \"CLI\"\n\n    1. Create it:\n\n        ```bash\n        qctl create q\n        ```\n\n        !!! note \"Tags\"\n\n            ```bash\n            qctl tag q\n            ```\n\n        - Then:\n\n            ???+ success \"Verify\"\n\n                ```bash\n                qctl status q\n                ```\n\n    1. Done.\n";
        let found = containers(text);
        assert_eq!(found.view.lines().count(), text.lines().count());
        let lines: Vec<&str> = found.view.lines().collect();
        // A fence keeps its list item's indentation in the view; the containers' is gone.
        assert_eq!(lines[4], "    ```bash");
        assert_eq!(lines[10], "    ```bash");
        assert_eq!(lines[18], "        ```bash");
        assert_eq!(lines[8], "", "the marker is blanked");
        let wrappers: Vec<(usize, usize, String)> = found
            .regions
            .iter()
            .filter_map(|r| match &r.kind {
                RegionKind::Wrapper(Wrapper::Admonition { title, .. }) => {
                    Some((r.start, r.end, title.clone()))
                }
                _ => None,
            })
            .collect();
        assert_eq!(
            wrappers,
            vec![(9, 14, "Tags".to_owned()), (17, 22, "Verify".to_owned())]
        );
    }

    #[test]
    fn list_items_hold_no_marker_in_an_indented_code_block() {
        // A top-level indented code block (no list, no container) shows markers as text.
        let text = "Text\n\n        !!! note\n";
        assert!(containers(text).regions.is_empty());
    }
}
