//! The links of a guide that may name a prerequisite: each with its line, its text, the
//! sentence around it and the section it sits in.
//!
//! Links are read with pulldown-cmark from the guide's text (front matter blanked, line numbers
//! kept), so inline, reference and autolinks all count. Links in headings and in code are not
//! links a reader follows and are left out. A link in a sentence that only points to reading
//! ("refer to", "see", "review") is never a prerequisite, whatever its text says, and links in
//! asides (callouts) and in sections that lead on or look back (cleanup, next steps,
//! "Understanding what happened", summaries, and the sections under them) are none either.

use std::sync::LazyLock;

use pulldown_cmark::{Event, Options, Parser, Tag, TagEnd};
use regex::Regex;

use crate::doc::{Doc, Item};
use crate::runbook::effective_anchor;
use crate::source::Source;

/// Why a link names a prerequisite, if it does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum LinkRole {
    /// In a prerequisite section ("Before you begin", "准备工作", ...), or a link whose own text
    /// says so ("complete the steps in [before you begin](...)").
    Prerequisites,
    /// In a sentence that tells the reader to follow it ("follow [these instructions](...)",
    /// "请按照[说明](...)"): a prerequisite when the linked section has steps.
    Follow,
    /// Any other link: only a prerequisite when the linked guide exports a variable this guide
    /// uses without defining.
    Other,
}

/// A link as the guide writes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Link {
    pub line: usize,
    /// The destination as written (`/docs/examples/bookinfo/#deploying-the-application`).
    pub target: String,
    pub text: String,
    /// The anchor of the section the link sits in (empty before the first heading).
    pub section: String,
    pub role: LinkRole,
}

/// Words of a prerequisite section's heading or anchor, compared in lower case.
const PREREQUISITE_WORDS: &[&str] = &[
    "before you begin",
    "before-you-begin",
    "prerequisite",
    "requirements",
    "准备工作",
    "开始之前",
    "先决条件",
    "前提条件",
];

/// A sentence that sends the reader to follow a link's steps; not one that offers it as an
/// alternative ("follow the quick start instead").
static FOLLOW: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i)\bfollow\b|按照|遵循|依照").unwrap());
static ALTERNATIVE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i)\binstead\b|\balternatively\b|或者").unwrap());
/// A sentence that points to reading, not doing ("see X for details", "refer to X", "review
/// the X concepts"). Such a sentence never makes its links prerequisites, whatever their text
/// says ("Refer to the [Requirements for Pods and Services](...)").
static REFERENCE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\bsee\b|\brefer to\b|\bfor (?:more )?details\b|\bfor more\b|\blearn (?:more|about)\b|\bread\b|\breview\b|参阅|参见|详见|了解").unwrap()
});
/// Sections whose links lead on, not back: cleanup, next steps, see also.
static LEADS_ON: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)^(?:clean|next|what-?s-next|see-also|uninstall|后续|清理)").unwrap()
});
/// Sections that look back on what the guide did or explain it ("Understanding what happened",
/// "Summary", "How it works"): their links are background, not steps to take first. Matched
/// on the anchor, which istio.io keeps in English in every language.
static SUMMARY: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)^(?:understanding|what-happened|summary|conclusion|recap|wrap-?up|discussion|how-it-works|further-reading|references?$|related|learn-more|总结|小结)").unwrap()
});

/// Whether a heading's text or anchor names a prerequisite section.
pub fn is_prerequisite_heading(text: &str) -> bool {
    let lower = text.to_lowercase();
    PREREQUISITE_WORDS.iter().any(|w| lower.contains(w))
}

/// Whether the sentence tells the reader to follow the link: the word comes before it.
fn is_follow_sentence(before: &str, sentence: &str) -> bool {
    FOLLOW.is_match(before) && !ALTERNATIVE.is_match(sentence)
}

/// The sentence of `text` around the bytes `start..end`: from the end of the sentence before
/// to the end of the one the range is in.
fn sentence_around(text: &str, start: usize, end: usize) -> (usize, usize) {
    let is_end = |c: char| matches!(c, '.' | '!' | '?' | '。' | '！' | '？' | '；');
    let mut from = 0;
    for (i, c) in text[..start.min(text.len())].char_indices() {
        let next = text[i + c.len_utf8()..].chars().next();
        if is_end(c) && (!c.is_ascii() || next.is_none_or(char::is_whitespace)) {
            from = i + c.len_utf8();
        }
    }
    let mut to = text.len();
    let tail_start = end.min(text.len());
    for (i, c) in text[tail_start..].char_indices() {
        let at = tail_start + i;
        let next = text[at + c.len_utf8()..].chars().next();
        if is_end(c) && (!c.is_ascii() || next.is_none_or(char::is_whitespace)) {
            to = at + c.len_utf8();
            break;
        }
    }
    (from, to)
}

/// Line ranges of callouts (`{{< tip >}}` ... `{{< /tip >}}`): asides, not steps.
fn callout_lines(text: &str) -> Vec<(usize, usize)> {
    static OPEN: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"\{\{<\s*(tip|warning|idea|quote|note|caution)\s*>\}\}").unwrap()
    });
    static CLOSE: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"\{\{<\s*/\s*(tip|warning|idea|quote|note|caution)\s*>\}\}").unwrap()
    });
    let mut out = Vec::new();
    let mut open: Option<usize> = None;
    for (i, line) in text.lines().enumerate() {
        if open.is_none() && OPEN.is_match(line) {
            open = Some(i + 1);
        }
        if CLOSE.is_match(line) {
            if let Some(start) = open.take() {
                out.push((start, i + 1));
            }
        }
    }
    out
}

/// The links of a guide, in order. A link's role comes from its section (a heading, or any
/// heading above it, naming prerequisites), its own text, and its sentence.
pub fn extract(doc: &Doc) -> Vec<Link> {
    let text = doc.source.text();
    let body = body_start(text);
    // Headings with their level, line and anchor, for the section of each link, and whether
    // each names a prerequisite section or one whose links are asides (cleanup, summary).
    let headings: Vec<(u8, usize, String, bool, bool)> = doc
        .items
        .iter()
        .filter_map(|item| match item {
            Item::Heading(h) => {
                let anchor = effective_anchor(h);
                let prereq = is_prerequisite_heading(&h.text) || is_prerequisite_heading(&anchor);
                let aside = LEADS_ON.is_match(&anchor) || SUMMARY.is_match(&anchor);
                Some((h.level, h.line, anchor, prereq, aside))
            }
            _ => None,
        })
        .collect();
    let section_of = |line: usize| -> (String, bool, bool) {
        // The nearest heading above, and whether it or a heading it sits under is a
        // prerequisite section, or a section of asides.
        let Some(index) = headings.iter().rposition(|h| h.1 <= line) else {
            return (String::new(), false, false);
        };
        let (mut level, _, anchor, mut prereq, mut aside) = headings[index].clone();
        for h in headings[..index].iter().rev() {
            if h.0 < level {
                level = h.0;
                prereq |= h.3;
                aside |= h.4;
            }
        }
        (anchor, prereq, aside)
    };

    let callouts = callout_lines(text);
    let mut links = Vec::new();
    // Links of the paragraph or list item being read, finished when it ends, so that each link
    // knows its whole sentence: line, target, text, and where it starts and ends in the block.
    type Pending = (usize, String, String, usize, usize);
    let mut pending: Vec<Pending> = Vec::new();
    let mut sentence = String::new();
    let mut open: Option<Pending> = None;
    let mut in_heading = false;
    let flush = |pending: &mut Vec<Pending>, sentence: &mut String, links: &mut Vec<Link>| {
        for (line, target, link_text, start, end) in pending.drain(..) {
            let (section, in_prereq, in_aside) = section_of(line);
            let (from, to) = sentence_around(sentence, start, end);
            let around = &sentence[from..to];
            let before = &sentence[from..start.max(from)];
            let aside = in_aside || callouts.iter().any(|(a, b)| *a <= line && line <= *b);
            let reference = REFERENCE.is_match(around);
            let role = if aside {
                LinkRole::Other
            } else if !reference
                && (is_prerequisite_heading(&link_text)
                    || is_prerequisite_heading(before)
                    || in_prereq)
            {
                LinkRole::Prerequisites
            } else if is_follow_sentence(before, around) {
                LinkRole::Follow
            } else {
                LinkRole::Other
            };
            links.push(Link {
                line,
                target,
                text: link_text,
                section,
                role,
            });
        }
        sentence.clear();
    };
    let heading_lines: Vec<usize> = headings.iter().map(|h| h.1).collect();
    for (from, to) in pieces(&doc.source, body, &heading_lines) {
        let parser = Parser::new_ext(&text[from..to], Options::ENABLE_TABLES).into_offset_iter();
        for (event, range) in parser {
            match event {
                Event::Start(Tag::Heading { .. }) => in_heading = true,
                Event::End(TagEnd::Heading(_)) => in_heading = false,
                Event::Start(Tag::Link { dest_url, .. }) if !in_heading => {
                    open = Some((
                        doc.source.line_of(from + range.start),
                        dest_url.to_string(),
                        String::new(),
                        sentence.len(),
                        sentence.len(),
                    ));
                }
                Event::End(TagEnd::Link) => {
                    if let Some(mut link) = open.take() {
                        link.4 = sentence.len();
                        pending.push(link);
                    }
                }
                Event::Text(t) | Event::Code(t) => {
                    sentence.push_str(&t);
                    if let Some((_, _, link_text, _, _)) = open.as_mut() {
                        link_text.push_str(&t);
                    }
                }
                Event::SoftBreak | Event::HardBreak => sentence.push(' '),
                Event::End(TagEnd::Paragraph | TagEnd::Item | TagEnd::TableCell) => {
                    flush(&mut pending, &mut sentence, &mut links);
                }
                Event::Start(Tag::Item | Tag::Paragraph) => {
                    // A nested list starts inside an item: what came before is its own sentence.
                    flush(&mut pending, &mut sentence, &mut links);
                }
                _ => {}
            }
        }
        // A piece ends before a heading, after a blank line: its last paragraph is done.
        flush(&mut pending, &mut sentence, &mut links);
    }
    links
}

/// The bytes of the guide pulldown-cmark reads at a time: the body is cut into pieces of about
/// this size, so that its tree of a large guide is never held whole.
const PIECE_BYTES: usize = 64 * 1024;

/// The body (`body..`) of the guide cut into pieces that pulldown-cmark reads alone as it reads
/// them in the whole, each of at least [`PIECE_BYTES`] but the last. A cut is made only before
/// a line that is an ATX heading at the start of the line (`# ...`), which the guide's reading
/// found a heading (`heading_lines`, in order), after a blank line, outside any fence and HTML
/// comment a plain line scan sees: there every block has ended, so nothing before the cut
/// changes how what follows reads. A guide with link reference definitions (`[x]: /url`),
/// which links anywhere may use, is read whole.
fn pieces(source: &Source, body: usize, heading_lines: &[usize]) -> Vec<(usize, usize)> {
    let text = source.text();
    let mut out = Vec::new();
    let mut start = body;
    let mut offset = body;
    let first_line = source.line_of(body);
    let mut next_heading = heading_lines.partition_point(|h| *h < first_line);
    let mut fence: Option<(u8, usize)> = None;
    let mut in_comment = false;
    let mut blank_before = true;
    for (line, raw) in (first_line..).zip(text[body..].split_inclusive('\n')) {
        let content = raw.trim_end_matches('\n');
        let trimmed = content.trim_start_matches([' ', '\t', '>']);
        if trimmed.starts_with('[') && trimmed.contains("]:") {
            // A reference definition, maybe: read the guide whole.
            return vec![(body, text.len())];
        }
        while heading_lines.get(next_heading).is_some_and(|h| *h < line) {
            next_heading += 1;
        }
        let is_heading = heading_lines.get(next_heading) == Some(&line);
        if is_heading
            && blank_before
            && fence.is_none()
            && !in_comment
            && content.starts_with('#')
            && offset - start >= PIECE_BYTES
        {
            out.push((start, offset));
            start = offset;
        }
        match fence {
            Some((ch, len)) => {
                let run = trimmed.bytes().take_while(|b| *b == ch).count();
                if run >= len && trimmed[run..].trim().is_empty() {
                    fence = None;
                }
            }
            None => {
                for ch in [b'`', b'~'] {
                    let run = trimmed.bytes().take_while(|b| *b == ch).count();
                    // A backtick fence's info has no backtick (else it is inline code).
                    if run >= 3 && (ch == b'~' || !trimmed[run..].contains('`')) {
                        fence = Some((ch, run));
                    }
                }
            }
        }
        // An HTML comment open at the end of the line (a cut there could split it).
        if let Some(open) = content.rfind("<!--") {
            in_comment = !content[open..].contains("-->");
        } else if in_comment && content.contains("-->") {
            in_comment = false;
        }
        blank_before = content.trim().is_empty();
        offset += raw.len();
    }
    out.push((start, text.len()));
    out
}

/// Where the guide's body starts: after its front matter (`---` ... `---`), else 0. The body
/// is read on its own, offsets shifted by this much, so that line numbers stay true and the
/// YAML is not read as Markdown (blank lines in its place would read the same).
fn body_start(text: &str) -> usize {
    let mut lines = text.split_inclusive('\n');
    if lines.next().is_some_and(|first| first.trim_end() == "---") {
        let mut offset = text.find('\n').map_or(text.len(), |i| i + 1);
        for line in lines {
            offset += line.len();
            if line.trim_end() == "---" {
                return offset;
            }
        }
    }
    0
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::Source;
    use std::sync::Arc;

    fn links(text: &str) -> Vec<(usize, String, String, LinkRole)> {
        let doc = crate::doc::parse(Arc::new(Source::new("g.md", text))).unwrap();
        extract(&doc)
            .into_iter()
            .map(|l| (l.line, l.target, l.section, l.role))
            .collect()
    }

    #[test]
    fn roles_come_from_the_section_the_text_and_the_sentence() {
        let text = "---\ntitle: a\n---\nIntro, see [x](/docs/x/).\n\n## Before you begin\n\n- Deploy [Bookinfo](/docs/examples/bookinfo/).\n\n### Details\n\nAnd [y](/docs/y/).\n\n## Run {#run}\n\n1. Follow [these instructions](/docs/ingress/#ports) to set the ports.\n\n2. Complete [准备工作](/zh/docs/setup/before-you-begin).\n";
        assert_eq!(
            links(text),
            vec![
                (4, "/docs/x/".into(), "".into(), LinkRole::Other),
                (
                    8,
                    "/docs/examples/bookinfo/".into(),
                    "before-you-begin".into(),
                    LinkRole::Prerequisites
                ),
                (
                    12,
                    "/docs/y/".into(),
                    "details".into(),
                    LinkRole::Prerequisites
                ),
                (
                    16,
                    "/docs/ingress/#ports".into(),
                    "run".into(),
                    LinkRole::Follow
                ),
                (
                    18,
                    "/zh/docs/setup/before-you-begin".into(),
                    "run".into(),
                    LinkRole::Prerequisites
                ),
            ]
        );
    }

    #[test]
    fn a_chinese_follow_sentence_and_an_anchor_named_section() {
        let text = "## 配置信任关系 {#configure-trust}\n\n请按照[说明](/zh/docs/tasks/plugin-ca-cert/)，\n生成证书。\n\n## 准备 {#prerequisites}\n\n[a](../a/)\n";
        assert_eq!(
            links(text),
            vec![
                (
                    3,
                    "/zh/docs/tasks/plugin-ca-cert/".into(),
                    "configure-trust".into(),
                    LinkRole::Follow
                ),
                (
                    8,
                    "../a/".into(),
                    "prerequisites".into(),
                    LinkRole::Prerequisites
                ),
            ]
        );
    }

    #[test]
    fn asides_references_alternatives_and_what_comes_after_are_not_prerequisites() {
        let text = "## Before you begin\n\nSee the [concepts](/docs/concepts/) for details.\n\n{{< tip >}}\nFollow [the quick start](/docs/quick/) to try it.\n{{< /tip >}}\n\n## Run {#run}\n\nIf you are new, follow the [quick start](/docs/quick/) instead.\nRun the following command to see [the gateway](/docs/gw/#deploy).\nIn the [next task](/docs/next/) you will follow the same pattern.\n\n## Cleanup {#cleanup}\n\nFollow the [Bookinfo cleanup](/docs/examples/bookinfo/#cleanup).\n\n## Next steps {#next-steps}\n\n- Follow [the next guide](/docs/next/).\n";
        let roles: Vec<(usize, LinkRole)> = links(text).into_iter().map(|l| (l.0, l.3)).collect();
        assert_eq!(
            roles,
            vec![
                (3, LinkRole::Other),
                (6, LinkRole::Other),
                (11, LinkRole::Other),
                (12, LinkRole::Other),
                (13, LinkRole::Other),
                (17, LinkRole::Other),
                (21, LinkRole::Other),
            ]
        );
    }

    #[test]
    fn a_reference_to_requirements_and_a_summary_section_name_no_prerequisite() {
        let text = "## Before you begin\n\n- Deploy [Bookinfo](/docs/bookinfo/).\n- Review the [Traffic Management](/docs/concepts/tm/) concepts doc.\n- Refer to the [Requirements for Pods](/docs/reqs/) for details.\n\n## Run {#run}\n\nComplete the [prerequisites](/docs/setup/prereqs/).\n\n## Understanding what happened\n\nPods must meet the [Requirements for Pods](/docs/reqs/).\n\n### More {#more}\n\nDeploy [Bookinfo](/docs/bookinfo/) again.\n\n## Summary {#summary}\n\n- [Before you begin](/docs/x/)\n";
        let roles: Vec<(usize, LinkRole)> = links(text).into_iter().map(|l| (l.0, l.3)).collect();
        assert_eq!(
            roles,
            vec![
                (3, LinkRole::Prerequisites),
                (4, LinkRole::Other),
                (5, LinkRole::Other),
                (9, LinkRole::Prerequisites),
                (13, LinkRole::Other),
                (17, LinkRole::Other),
                (21, LinkRole::Other),
            ]
        );
    }

    /// A guide of about `bytes`, of sections with a shell block whose comments look like
    /// headings, with a prerequisite section and its link in the middle, and a reference link.
    fn large_guide(bytes: usize, reference: bool) -> (String, usize) {
        let mut text = String::from("---\ntitle: big\n---\n");
        let mut n = 0;
        let mut link_line = 0;
        while text.len() < bytes {
            if n == 40 {
                text.push_str("## Before you begin\n\n- Deploy [Bookinfo](/docs/bookinfo/).\n\n");
                link_line = text.matches('\n').count() - 1;
            }
            text.push_str(&format!(
                "## Step {n}\n\n```bash\necho {n}\n\n# Not a heading [x](/docs/code/)\n```\n\n<!--\n\n# commented [y](/docs/commented/)\n-->\n\nThen follow [step](/docs/s{n}/).\n\n"
            ));
            n += 1;
        }
        if reference {
            text.push_str("## Last\n\nFollow [the setup][setup].\n\n[setup]: /docs/setup/\n");
        }
        (text, link_line)
    }

    #[test]
    fn a_large_guide_read_in_pieces_finds_the_links_it_finds_whole() {
        for reference in [false, true] {
            let (text, link_line) = large_guide(300_000, reference);
            let source = Source::new("g.md", &text);
            let doc = crate::doc::parse(Arc::new(source)).unwrap();
            let headings: Vec<usize> = doc
                .items
                .iter()
                .filter(|i| matches!(i, Item::Heading(_)))
                .map(Item::line)
                .collect();
            let cut = pieces(&doc.source, body_start(&text), &headings).len();
            assert_eq!(cut > 1, !reference, "pieces: {cut}");
            let found = links(&text);
            let targets: Vec<&str> = found.iter().map(|l| l.1.as_str()).collect();
            assert!(!targets.contains(&"/docs/code/"));
            assert_eq!(
                found[40],
                (
                    link_line,
                    "/docs/bookinfo/".into(),
                    "before-you-begin".into(),
                    LinkRole::Prerequisites
                )
            );
            // Every step's own link, in order, each a sentence to follow.
            let steps: Vec<&(usize, String, String, LinkRole)> = found
                .iter()
                .filter(|l| l.1.starts_with("/docs/s") && l.1 != "/docs/setup/")
                .collect();
            assert!(steps.len() > 1000);
            for (i, l) in steps.iter().enumerate() {
                assert_eq!(l.1, format!("/docs/s{i}/"));
                assert_eq!(l.3, LinkRole::Follow);
            }
            if reference {
                assert_eq!(found.last().unwrap().1, "/docs/setup/");
            }
        }
    }

    #[test]
    fn front_matter_keeps_the_lines_of_what_follows() {
        let text = "---\ntitle: \"[not](/a/)\"\n---\n\n[b](/b/)\n";
        assert_eq!(links(text)[0].0, 5);
        assert_eq!(links(text).len(), 1);
    }
}
