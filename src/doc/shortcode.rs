//! Hugo shortcodes: `{{< name args >}}`, `{{% name args %}}` and their closing forms.
//!
//! Arguments are positional or `key=value`, quoted (`"..."`, or raw with backticks) or bare,
//! as Hugo accepts them.

use crate::source::{Source, Span};

use crate::error::{ErrorKind, SourceError};

/// The delimiter pair a shortcode was written with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delim {
    /// `{{< ... >}}`: the inner content is not rendered as Markdown.
    Angle,
    /// `{{% ... %}}`: the inner content is rendered as Markdown.
    Percent,
}

/// One shortcode argument.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Arg {
    pub key: Option<String>,
    pub value: String,
}

/// A shortcode tag as written: an opening (or self-contained) tag, or a closing one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shortcode {
    pub name: String,
    pub args: Vec<Arg>,
    pub closing: bool,
    pub delim: Delim,
    /// The whole tag, from `{{` to `}}`.
    pub span: Span,
}

impl Shortcode {
    /// The value of a `key=value` argument.
    pub fn named(&self, key: &str) -> Option<&str> {
        self.args
            .iter()
            .find(|a| a.key.as_deref() == Some(key))
            .map(|a| a.value.as_str())
    }

    /// The `n`th positional argument (0-based).
    pub fn positional(&self, n: usize) -> Option<&str> {
        self.args
            .iter()
            .filter(|a| a.key.is_none())
            .nth(n)
            .map(|a| a.value.as_str())
    }
}

/// Finds every shortcode tag that starts in the line at byte `offset` of `src` and is
/// `line_len` bytes long. A tag may go on over the following lines (Hugo allows arguments on
/// several lines), but not past a blank line: `paragraph_end` is the offset of the end of the
/// paragraph the line is in (see [`ParagraphEnds`]).
///
/// A `{{<` or `{{%` that does not form a well-made tag is an error pointing at it, with a hint.
pub fn scan_line(
    src: &Source,
    offset: usize,
    line_len: usize,
    paragraph_end: usize,
) -> Result<Vec<Shortcode>, SourceError> {
    let text = src.text();
    let line = &text[offset..paragraph_end.clamp(offset + line_len, text.len())];
    let mut found = Vec::new();
    let mut pos = 0;
    while let Some(rel) = line[pos..line_len.max(pos)].find("{{") {
        let start = pos + rel;
        let rest = &line[start + 2..];
        let delim = match rest.chars().next() {
            Some('<') => Delim::Angle,
            Some('%') => Delim::Percent,
            // `{{{< tab >}}`: the first brace is text before the tag (Hugo renders a `{`
            // and the shortcode), so look again one byte on.
            Some('{') => {
                pos = start + 1;
                continue;
            }
            _ => {
                pos = start + 2;
                continue;
            }
        };
        // Hugo's comment form `{{</* name */>}}` shows a shortcode literally: it is text.
        if let Some(len) = literal_len(&line[start..], delim) {
            pos = start + len;
            continue;
        }
        let (code, len) = parse_tag(&line[start..], delim).map_err(|(at, msg, help)| {
            src.error(
                Span::new(offset + start + at, offset + start + at + 1),
                msg,
                "here",
            )
            .with_help(help)
        })?;
        let span = Span::new(offset + start, offset + start + len);
        found.push(Shortcode { span, ..code });
        pos = start + len;
    }
    Ok(found)
}

/// The length of a shortcode comment `{{</* ... */>}}` (or `{{%/* ... */%}}`) at the start of
/// `text`, which Hugo shows as the literal tag; `None` when `text` does not start with one. An
/// unclosed comment runs to the end of `text`.
fn literal_len(text: &str, delim: Delim) -> Option<usize> {
    let (open, close) = match delim {
        Delim::Angle => ("{{<", "*/>}}"),
        Delim::Percent => ("{{%", "*/%}}"),
    };
    let after = text.strip_prefix(open)?;
    let inner = after.trim_start().strip_prefix("/*")?;
    let body_start = text.len() - inner.len();
    Some(
        inner
            .find(close)
            .map_or(text.len(), |i| body_start + i + close.len()),
    )
}

/// Where the paragraph of a line ends, for lines read in order: each blank line is looked for
/// once, so reading a guide stays linear however long its paragraphs are.
#[derive(Debug, Default)]
pub struct ParagraphEnds {
    end: usize,
}

impl ParagraphEnds {
    /// The offset just past the first line end of the next blank line (`\n\n`) at or after
    /// `offset`, or the text's end.
    pub fn at(&mut self, text: &str, offset: usize) -> usize {
        if self.end <= offset {
            self.end = text[offset..]
                .find("\n\n")
                .map_or(text.len(), |i| offset + i + 1);
        }
        self.end
    }
}

type TagError = (usize, ErrorKind, &'static str);

/// Parses one tag at the start of `text`; returns it and its length in bytes.
fn parse_tag(text: &str, delim: Delim) -> Result<(Shortcode, usize), TagError> {
    let (open, close) = match delim {
        Delim::Angle => ("{{<", ">}}"),
        Delim::Percent => ("{{%", "%}}"),
    };
    let bytes = text.as_bytes();
    let mut i = open.len();
    skip_space(bytes, &mut i);
    // Hugo's comment form `{{</* ... */>}}` shows a shortcode literally; it is not a tag.
    let closing = bytes.get(i) == Some(&b'/');
    if closing {
        i += 1;
        skip_space(bytes, &mut i);
    }
    let name_start = i;
    while i < bytes.len() && is_name_byte(bytes[i]) {
        i += 1;
    }
    if i == name_start {
        return Err((
            i.min(text.len().saturating_sub(1)),
            ErrorKind::ShortcodeWithoutName(open.to_owned()),
            "a shortcode reads `{{< name args >}}`; write `{{</* */>}}` to show one literally",
        ));
    }
    let name = text[name_start..i].to_owned();
    let mut args = Vec::new();
    // `{{< gloss="cni" >}}` (seen in istio.io): Hugo reads the value as the first argument.
    if bytes.get(i) == Some(&b'=') {
        i += 1;
    }
    loop {
        skip_space(bytes, &mut i);
        if text[i..].starts_with(close) {
            let code = Shortcode {
                name,
                args,
                closing,
                delim,
                span: Span::default(),
            };
            return Ok((code, i + close.len()));
        }
        if i >= bytes.len() {
            return Err((
                text.len().saturating_sub(1),
                ErrorKind::ShortcodeNotClosed {
                    name: name.to_owned(),
                    close: close.to_owned(),
                },
                "end the tag before the next blank line, e.g. `{{< text bash >}}`",
            ));
        }
        let (arg, next) = parse_arg(text, i, close)?;
        args.push(arg);
        i = next;
    }
}

fn parse_arg(text: &str, start: usize, close: &str) -> Result<(Arg, usize), TagError> {
    let bytes = text.as_bytes();
    let mut i = start;
    let mut key = None;
    // A key is a bare word directly followed by `=`.
    let word_start = i;
    while i < bytes.len() && is_name_byte(bytes[i]) {
        i += 1;
    }
    if i > word_start && bytes.get(i) == Some(&b'=') {
        key = Some(text[word_start..i].to_owned());
        i += 1;
    } else {
        i = word_start;
    }
    let (value, next) = match bytes.get(i) {
        Some(&q @ (b'"' | b'`')) => {
            let body_start = i + 1;
            let mut j = body_start;
            let mut value = String::new();
            loop {
                match bytes.get(j) {
                    None => {
                        return Err((
                            i,
                            ErrorKind::ShortcodeQuoteNotClosed,
                            "close the quote before the end of the tag",
                        ))
                    }
                    Some(b'\\') if q == b'"' && j + 1 < bytes.len() => {
                        let c = text[j + 1..].chars().next().unwrap_or('\\');
                        value.push(c);
                        j += 1 + c.len_utf8();
                    }
                    Some(&b) if b == q => break,
                    Some(_) => {
                        let c = text[j..].chars().next().unwrap_or(' ');
                        value.push(c);
                        j += c.len_utf8();
                    }
                }
            }
            (value, j + 1)
        }
        _ => {
            let mut j = i;
            // Compared as bytes: the value may hold characters of any width.
            while j < bytes.len()
                && !bytes[j].is_ascii_whitespace()
                && !bytes[j..].starts_with(close.as_bytes())
            {
                if bytes[j] == b'"' {
                    return Err((
                        j,
                        ErrorKind::ShortcodeStrayQuote,
                        "quote the whole value: key=\"a value\"",
                    ));
                }
                j += 1;
            }
            if j == i {
                return Err((
                    i,
                    ErrorKind::ShortcodeArgumentWithoutValue,
                    "write key=value or key=\"a value\"",
                ));
            }
            (text[i..j].to_owned(), j)
        }
    };
    Ok((Arg { key, value }, next))
}

fn skip_space(bytes: &[u8], i: &mut usize) {
    while *i < bytes.len() && bytes[*i].is_ascii_whitespace() {
        *i += 1;
    }
}

fn is_name_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'-' || b == b'.'
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scan(line: &str) -> Result<Vec<Shortcode>, SourceError> {
        let src = Source::new("t.md", line);
        scan_line(
            &src,
            0,
            line.find('\n').unwrap_or(line.len()),
            ParagraphEnds::default().at(line, 0),
        )
    }

    fn args(code: &Shortcode) -> Vec<(Option<&str>, &str)> {
        code.args
            .iter()
            .map(|a| (a.key.as_deref(), a.value.as_str()))
            .collect()
    }

    #[test]
    fn argument_forms_seen_in_the_corpus() {
        type Case<'a> = (&'a str, &'a str, Vec<(Option<&'a str>, &'a str)>);
        let cases: &[Case] = &[
            ("{{< text bash >}}", "text", vec![(None, "bash")]),
            (
                "{{< text syntax=bash snip_id=none >}}",
                "text",
                vec![(Some("syntax"), "bash"), (Some("snip_id"), "none")],
            ),
            (
                r#"{{< text syntax="bash" outputis="yaml" >}}"#,
                "text",
                vec![(Some("syntax"), "bash"), (Some("outputis"), "yaml")],
            ),
            (
                "{{< text bash yaml >}}",
                "text",
                vec![(None, "bash"), (None, "yaml")],
            ),
            ("{{< text plain>}}", "text", vec![(None, "plain")]),
            (
                r#"{{< tab name="Helm" category-value="helm" >}}"#,
                "tab",
                vec![(Some("name"), "Helm"), (Some("category-value"), "helm")],
            ),
            ("{{% tip %}}", "tip", vec![]),
            (r#"{{< gloss="cni" >}}"#, "gloss", vec![(None, "cni")]),
        ];
        for (line, name, expected) in cases {
            let found = scan(line).unwrap();
            assert_eq!(found.len(), 1, "{line}");
            assert_eq!(&found[0].name, name, "{line}");
            assert_eq!(args(&found[0]), *expected, "{line}");
            assert_eq!(found[0].span, Span::new(0, line.len()), "{line}");
        }
    }

    #[test]
    fn closing_tags_and_several_tags_on_one_line() {
        let found = scan("x {{< gloss >}}mesh{{< /gloss >}} {{</warning>}}").unwrap();
        let names: Vec<(&str, bool)> = found.iter().map(|c| (c.name.as_str(), c.closing)).collect();
        assert_eq!(
            names,
            vec![("gloss", false), ("gloss", true), ("warning", true)]
        );
        assert_eq!(found[0].span, Span::new(2, 15));
    }

    #[test]
    fn malformed_tags_are_errors_with_a_column() {
        let not_closed = ErrorKind::ShortcodeNotClosed {
            name: "text".into(),
            close: ">}}".into(),
        };
        let cases = [
            ("{{< text bash", not_closed, 13),
            (
                r#"{{< text syntax="bash >}}"#,
                ErrorKind::ShortcodeQuoteNotClosed,
                17,
            ),
            (
                "ab {{< >}}",
                ErrorKind::ShortcodeWithoutName("{{<".into()),
                8,
            ),
            (r#"{{< text a"b >}}"#, ErrorKind::ShortcodeStrayQuote, 11),
        ];
        for (line, kind, column) in cases {
            let err = scan(line).unwrap_err();
            assert_eq!((err.kind(), err.line_col()), (&kind, (1, column)), "{line}");
            assert!(err.help.is_some());
        }
    }

    #[test]
    fn a_tag_may_go_on_over_lines() {
        let found = scan("{{< image width=\"75%\"\n    link=\"x.svg\"\n    >}}\nafter").unwrap();
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].named("link"), Some("x.svg"));
        assert_eq!(found[0].span.end, 46);
        assert!(scan("{{< image width=1\n\n>}}").is_err());
    }

    #[test]
    fn wide_characters_in_values_are_no_trouble() {
        let found = scan("{{< tab name=配置 >}}").unwrap();
        assert_eq!(found[0].named("name"), Some("配置"));
        let err = scan("{{< x 配\u{FFFD}").unwrap_err();
        assert!(
            matches!(err.kind(), ErrorKind::ShortcodeNotClosed { .. }),
            "{:?}",
            err.kind()
        );
    }

    #[test]
    fn braces_that_are_not_shortcodes_are_left_alone() {
        assert!(scan("kubectl get -o jsonpath='{{.items}}'")
            .unwrap()
            .is_empty());
        assert!(scan("{{ .Values }}").unwrap().is_empty());
    }

    #[test]
    fn a_literal_brace_before_a_tag_leaves_the_tag_whole() {
        let found = scan("{{{< tab name=\"Linux\" >}}").unwrap();
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].name, "tab");
        assert_eq!(found[0].named("name"), Some("Linux"));
        assert_eq!((found[0].span.start, found[0].span.end), (1, 25));
        let found = scan("{{{{% tab %}}").unwrap();
        assert_eq!((found[0].name.as_str(), found[0].span.start), ("tab", 2));
    }
}
