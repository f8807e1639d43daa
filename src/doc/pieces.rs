//! Where a long Markdown text can be cut into pieces that read the same apart as together.
//!
//! pulldown-cmark builds a tree of all the text it is given before it yields an event, about
//! three times the text's size. A guide of megabytes is therefore read in pieces (see
//! [`pieces`]), each cut just before a top-level heading that nothing before it can still be
//! open around: a heading at the line's start, after a blank line, outside any fenced block,
//! HTML comment or raw HTML block. A heading there ends every paragraph, list and block quote
//! before it, so the events of each piece are those of the whole text at the same places.
//!
//! What crosses a cut is the link reference definitions: `[text][ref]` in one piece may be
//! defined in another. [`ReferenceLabels`] holds every label the text defines, so that a piece
//! reading a reference defined elsewhere takes it as a link, as the whole text would.

use std::collections::HashSet;
use std::ops::Range;

use pulldown_cmark::{Options, Parser};

use super::fence::Fence;

/// The pieces of `text` to read one after another: one piece (the whole text) when it is no
/// longer than `piece_bytes`, else pieces of at least `piece_bytes` each (but the last), cut
/// only where the module documentation says, and never before `body_start` (in the front
/// matter). A text with no such place stays whole.
pub fn pieces(text: &str, body_start: usize, piece_bytes: usize) -> Vec<Range<usize>> {
    let mut cuts = vec![0];
    if text.len() > piece_bytes {
        let mut open = Open::default();
        let mut after_blank = true;
        let mut offset = 0;
        for line in text.split_inclusive('\n') {
            let last_cut = cuts.last().copied().unwrap_or(0);
            if offset - last_cut >= piece_bytes
                && offset >= body_start
                && after_blank
                && open.is_closed()
                && is_top_level_heading(line)
            {
                cuts.push(offset);
            }
            open.read(line);
            after_blank = line.trim().is_empty();
            offset += line.len();
        }
    }
    cuts.iter()
        .zip(cuts.iter().skip(1).chain(std::iter::once(&text.len())))
        .map(|(&start, &end)| start..end)
        .collect()
}

/// `# Title` to `###### Title` at the very start of the line.
fn is_top_level_heading(line: &str) -> bool {
    let hashes = line.bytes().take_while(|&b| b == b'#').count();
    (1..=6).contains(&hashes)
        && line[hashes..]
            .chars()
            .next()
            .is_none_or(|c| c == ' ' || c == '\t' || c == '\n' || c == '\r')
}

/// What is open at the end of the lines read so far: a cut is only made where nothing is.
#[derive(Default)]
struct Open {
    /// An open fenced block.
    fence: Option<Fence>,
    /// Inside `<!--` not yet closed by `-->`.
    comment: bool,
    /// What closes an open raw HTML block: `</pre>`, `</script>`, `?>` after `<?`, `]]>`
    /// after `<![CDATA[`, `>` after a declaration (`<!DOCTYPE`).
    raw: Option<&'static str>,
}

impl Open {
    fn is_closed(&self) -> bool {
        self.fence.is_none() && !self.comment && self.raw.is_none()
    }

    fn read(&mut self, line: &str) {
        let trimmed = line.trim_start();
        if let Some(fence) = self.fence {
            if fence.closed_by(trimmed) {
                self.fence = None;
            }
            return;
        }
        if self.comment {
            self.comment = !line.contains("-->");
            return;
        }
        if let Some(close) = self.raw {
            self.raw = (!line.to_ascii_lowercase().contains(close)).then_some(close);
            return;
        }
        if let Some(fence) = Fence::opened_by(trimmed) {
            self.fence = Some(fence);
            return;
        }
        if let Some(at) = line.rfind("<!--") {
            self.comment = !line[at + 4..].contains("-->");
        }
        let lower = trimmed.to_ascii_lowercase();
        for (open, close) in [
            ("<pre", "</pre>"),
            ("<script", "</script>"),
            ("<style", "</style>"),
            ("<textarea", "</textarea>"),
            ("<?", "?>"),
            ("<![cdata[", "]]>"),
        ] {
            if lower.starts_with(open) && !lower[open.len()..].contains(close) {
                self.raw = Some(close);
            }
        }
        let declaration = lower
            .strip_prefix("<!")
            .is_some_and(|rest| rest.starts_with(|c: char| c.is_ascii_alphabetic()));
        if declaration && !lower.contains('>') {
            self.raw = Some(">");
        }
    }
}

/// The labels of the link reference definitions of a text (`[label]: url`) read in pieces,
/// normalised as CommonMark matches them: case folded, inner whitespace collapsed.
#[derive(Debug, Default)]
pub struct ReferenceLabels(HashSet<String>);

impl ReferenceLabels {
    /// The labels pulldown-cmark finds defined in each of the `pieces` of `text`: what it
    /// takes for a definition, it takes in the whole text too, the pieces being cut where no
    /// paragraph runs across.
    pub fn of(text: &str, pieces: &[Range<usize>], options: Options) -> ReferenceLabels {
        let mut labels = HashSet::new();
        for piece in pieces {
            let parser = Parser::new_ext(&text[piece.clone()], options);
            labels.extend(
                parser
                    .reference_definitions()
                    .iter()
                    .map(|(label, _)| normalise(label)),
            );
        }
        ReferenceLabels(labels)
    }

    /// Whether `reference` (as a link writes it) names a defined label.
    pub fn defines(&self, reference: &str) -> bool {
        self.0.contains(&normalise(reference))
    }
}

fn normalise(label: &str) -> String {
    label
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cut(text: &str) -> Vec<&str> {
        pieces(text, 0, 1).into_iter().map(|r| &text[r]).collect()
    }

    #[test]
    fn a_text_no_longer_than_a_piece_is_one_piece() {
        let text = "# A\n\ntext\n\n# B\n";
        assert_eq!(pieces(text, 0, text.len()), vec![0..text.len()]);
    }

    #[test]
    fn cuts_fall_before_headings_after_a_blank_line_only() {
        let text = "# A\n\nsome text\n\n## B\ntext\n# not after a blank line\n\n #indented\n";
        assert_eq!(
            cut(text),
            vec![
                "# A\n\nsome text\n\n",
                "## B\ntext\n# not after a blank line\n\n #indented\n"
            ]
        );
    }

    #[test]
    fn no_cut_inside_a_fence_a_comment_or_raw_html() {
        let inside = [
            "```bash\necho\n\n# a comment\n```\n",
            "````md\n```\n\n# shown\n```\n````\n",
            "~~~\n\n# x\n~~~\n",
            "- item\n\n    ```bash\n\n# x\n    ```\n",
            "<!-- a note\n\n# hidden heading\n-->\n",
            "<pre>\n\n# pre\n</pre>\n",
            "<?php\n\n# php\n?>\n",
            "<![CDATA[\n\n# data\n]]>\n",
            "<!DOCTYPE html\n\n# doctype\n>\n",
        ];
        for block in inside {
            let text = format!("# A\n\n{block}\n# B\n");
            let got = cut(&text);
            assert_eq!(got.len(), 2, "{block:?}: {got:?}");
            assert!(got[1].starts_with("# B"), "{block:?}: {got:?}");
        }
    }

    #[test]
    fn no_cut_in_the_front_matter() {
        let text = "---\ntitle: x\n\n# a YAML comment\n---\n\n# A\n";
        let body = text.find("\n\n# A").unwrap() + 2;
        let got: Vec<&str> = pieces(text, body, 1)
            .into_iter()
            .map(|r| &text[r])
            .collect();
        assert_eq!(got, vec![&text[..body], "# A\n"]);
    }

    #[test]
    fn a_backtick_line_with_backticks_after_it_opens_no_fence() {
        let text = "# A\n\n```inline``` code\n\n# B\n";
        assert_eq!(cut(text), vec!["# A\n\n```inline``` code\n\n", "# B\n"]);
    }

    #[test]
    fn reference_labels_are_those_commonmark_defines_in_any_piece() {
        let text = "# A\n\n[Istio  Docs]: https://istio.io\n\n# B\n\n```\n[not]: x\n```\n\n\
            [^1]: a footnote, no definition\n";
        let labels = ReferenceLabels::of(text, &pieces(text, 0, 1), Options::empty());
        assert!(labels.defines("istio docs"));
        assert!(labels.defines("ISTIO\n docs"));
        assert!(!labels.defines("not"));
        assert!(!labels.defines("^1"));
    }
}
