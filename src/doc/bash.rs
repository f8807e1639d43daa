//! The inside of a bash block: which lines are commands and which are the expected output.
//!
//! A `$ ` line starts a command. The command goes on over lines that end in `\`, over the body
//! of every heredoc it opens (`<<EOF`, `<<\EOF`, `<<'EOF'`, `<<"EOF"`, `<<-EOF`, any delimiter
//! word) and over a quote left open at the end of a line. The first other line starts the
//! expected output, which runs until the next `$ ` line or the end of the block.

use crate::doc::BodyLine;

/// One command as the reader would type it, without the `$ ` prompt.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Command {
    /// The command's lines joined with `\n`, continuations and heredoc bodies included.
    pub text: String,
    /// The 1-based line of the `$ ` prompt in the guide.
    pub line: usize,
}

/// Expected output: the lines that followed a run of commands.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Expected {
    /// The output lines, each ending in `\n`.
    pub text: String,
    pub line: usize,
}

/// Commands followed by the output they are expected to print.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Segment {
    pub commands: Vec<Command>,
    pub expected: Option<Expected>,
}

/// Splits a bash block's lines into segments of commands and expected output.
///
/// Lines before the first `$ ` prompt are output with no command (a segment with no commands).
pub fn split(lines: &[BodyLine]) -> Vec<Segment> {
    let mut segments: Vec<Segment> = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let line = &lines[i];
        if let Some(first) = prompt(&line.text) {
            let start = line.line;
            let mut text = first.to_owned();
            let mut state = LexState::default();
            let mut heredocs = state.scan(first);
            i += 1;
            loop {
                if let Some(delim) = heredocs.first().cloned() {
                    // Heredoc body lines are taken as they are, up to the delimiter line.
                    let Some(next) = lines.get(i) else { break };
                    text.push('\n');
                    text.push_str(&next.text);
                    i += 1;
                    let candidate = if delim.strip_tabs {
                        next.text.trim_start_matches('\t')
                    } else {
                        next.text.as_str()
                    };
                    if candidate == delim.word {
                        heredocs.remove(0);
                    }
                    continue;
                }
                let continues = state.in_quote() || ends_with_continuation(&text);
                if !continues {
                    break;
                }
                let Some(next) = lines.get(i) else { break };
                let next_text = prompt(&next.text).filter(|_| !state.in_quote());
                let next_text = next_text.unwrap_or(&next.text);
                text.push('\n');
                text.push_str(next_text);
                heredocs.extend(state.scan(next_text));
                i += 1;
            }
            let command = Command { text, line: start };
            match segments.last_mut() {
                Some(seg) if seg.expected.is_none() => seg.commands.push(command),
                _ => segments.push(Segment {
                    commands: vec![command],
                    expected: None,
                }),
            }
        } else {
            let start = line.line;
            let mut text = String::new();
            while i < lines.len() && prompt(&lines[i].text).is_none() {
                text.push_str(&lines[i].text);
                text.push('\n');
                i += 1;
            }
            let expected = Some(Expected { text, line: start });
            match segments.last_mut() {
                Some(seg) if seg.expected.is_none() => seg.expected = expected,
                _ => segments.push(Segment {
                    commands: Vec::new(),
                    expected,
                }),
            }
        }
    }
    segments
}

/// The command after a `$ ` prompt (a bare `$` is an empty command).
fn prompt(line: &str) -> Option<&str> {
    line.strip_prefix("$ ")
        .or(if line == "$" { Some("") } else { None })
}

fn ends_with_continuation(text: &str) -> bool {
    let trailing = text.len() - text.trim_end_matches('\\').len();
    trailing % 2 == 1
}

/// A heredoc a command opened, still waiting for its delimiter line.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Heredoc {
    word: String,
    strip_tabs: bool,
}

/// Just enough of bash's lexer to follow quotes, comments and heredoc openings across lines.
#[derive(Debug, Default)]
struct LexState {
    quote: Option<char>,
}

impl LexState {
    fn in_quote(&self) -> bool {
        self.quote.is_some()
    }

    /// Reads one line, updating the quote state; returns the heredocs the line opens.
    fn scan(&mut self, line: &str) -> Vec<Heredoc> {
        let chars: Vec<char> = line.chars().collect();
        let mut found = Vec::new();
        let mut i = 0;
        while i < chars.len() {
            let c = chars[i];
            match self.quote {
                Some('\'') => {
                    if c == '\'' {
                        self.quote = None;
                    }
                }
                Some(q) => {
                    if c == '\\' {
                        i += 1;
                    } else if c == q {
                        self.quote = None;
                    }
                }
                None => match c {
                    '\\' => i += 1,
                    // Arithmetic `$(( a << b ))` is no heredoc.
                    '$' if chars.get(i + 1) == Some(&'(') && chars.get(i + 2) == Some(&'(') => {
                        let mut depth = 0usize;
                        i += 1;
                        while i < chars.len() {
                            match chars[i] {
                                '(' => depth += 1,
                                ')' => {
                                    depth = depth.saturating_sub(1);
                                    if depth == 0 {
                                        break;
                                    }
                                }
                                _ => {}
                            }
                            i += 1;
                        }
                    }
                    '\'' | '"' => self.quote = Some(c),
                    '#' if i == 0 || chars[i - 1].is_whitespace() => break,
                    // A here-string `<<<` opens no heredoc.
                    '<' if chars.get(i + 1) == Some(&'<') && chars.get(i + 2) == Some(&'<') => {
                        i += 3;
                        continue;
                    }
                    '<' if chars.get(i + 1) == Some(&'<') => {
                        let (doc, next) = heredoc_at(&chars, i + 2);
                        if let Some(doc) = doc {
                            found.push(doc);
                        }
                        i = next;
                        continue;
                    }
                    _ => {}
                },
            }
            i += 1;
        }
        found
    }
}

/// Reads a heredoc delimiter after `<<` (at `i`): `-`, blanks, then a word that may be quoted.
fn heredoc_at(chars: &[char], mut i: usize) -> (Option<Heredoc>, usize) {
    let strip_tabs = chars.get(i) == Some(&'-');
    if strip_tabs {
        i += 1;
    }
    while chars.get(i).is_some_and(|c| *c == ' ' || *c == '\t') {
        i += 1;
    }
    let mut word = String::new();
    while let Some(&c) = chars.get(i) {
        match c {
            '\'' | '"' => {
                let q = c;
                i += 1;
                while let Some(&d) = chars.get(i) {
                    i += 1;
                    if d == q {
                        break;
                    }
                    word.push(d);
                }
            }
            '\\' => {
                if let Some(&d) = chars.get(i + 1) {
                    word.push(d);
                }
                i += 2;
            }
            c if c.is_whitespace() || ";|&<>()".contains(c) => break,
            c => {
                word.push(c);
                i += 1;
            }
        }
    }
    if word.is_empty() {
        (None, i)
    } else {
        (Some(Heredoc { word, strip_tabs }), i)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(text: &str) -> Vec<BodyLine> {
        text.lines()
            .enumerate()
            .map(|(i, l)| BodyLine {
                line: i + 10,
                text: l.to_owned(),
            })
            .collect()
    }

    /// Each segment as (commands with their lines, expected output with its line).
    type Shape = Vec<(Vec<(&'static str, usize)>, Option<(String, usize)>)>;

    fn shape(text: &str) -> Shape {
        split(&lines(text))
            .into_iter()
            .map(|s| {
                (
                    s.commands
                        .into_iter()
                        .map(|c| (&*Box::leak(c.text.into_boxed_str()), c.line))
                        .collect(),
                    s.expected.map(|e| (e.text, e.line)),
                )
            })
            .collect()
    }

    #[test]
    fn commands_then_output() {
        let got = shape("$ kubectl get pods\n$ echo hi\nNAME READY\npod 1/1\n");
        assert_eq!(
            got,
            vec![(
                vec![("kubectl get pods", 10), ("echo hi", 11)],
                Some(("NAME READY\npod 1/1\n".to_owned(), 12))
            )]
        );
    }

    #[test]
    fn continuations_heredocs_and_open_quotes_belong_to_the_command() {
        let cases: &[(&str, &[&str], Option<&str>)] = &[
            (
                "$ a \\\n  --b \\\n  --c\nout\n",
                &["a \\\n  --b \\\n  --c"],
                Some("out\n"),
            ),
            (
                "$ cat <<EOF | kubectl apply -f -\nkind: X\nEOF\n",
                &["cat <<EOF | kubectl apply -f -\nkind: X\nEOF"],
                None,
            ),
            (
                "$ cat <<\\EOF > f\n$HOME\nEOF\n",
                &["cat <<\\EOF > f\n$HOME\nEOF"],
                None,
            ),
            (
                "$ cat <<'END' > f\nx\nEND\nout\n",
                &["cat <<'END' > f\nx\nEND"],
                Some("out\n"),
            ),
            (
                "$ cat <<-EOF\n\tx\n\tEOF\n",
                &["cat <<-EOF\n\tx\n\tEOF"],
                None,
            ),
            (
                "$ kubectl patch x -p '{\"a\":\n  1}'\nok\n",
                &["kubectl patch x -p '{\"a\":\n  1}'"],
                Some("ok\n"),
            ),
            (
                "$ echo a # don't\nout\n",
                &["echo a # don't"],
                Some("out\n"),
            ),
            (
                "$ echo \"it's\"\nit's\n",
                &["echo \"it's\""],
                Some("it's\n"),
            ),
            (
                "$ echo $((1 << 2))\n4\n",
                &["echo $((1 << 2))"],
                Some("4\n"),
            ),
            ("$ cat <<<word\nword\n", &["cat <<<word"], Some("word\n")),
        ];
        for (text, commands, expected) in cases {
            let segments = split(&lines(text));
            assert_eq!(segments.len(), 1, "{text}");
            let got: Vec<&str> = segments[0]
                .commands
                .iter()
                .map(|c| c.text.as_str())
                .collect();
            assert_eq!(&got, commands, "{text}");
            assert_eq!(
                segments[0].expected.as_ref().map(|e| e.text.as_str()),
                *expected,
                "{text}"
            );
        }
    }

    #[test]
    fn a_prompt_after_output_starts_a_new_segment() {
        let got = shape("$ a\nA\n$ b\nB\n");
        assert_eq!(
            got,
            vec![
                (vec![("a", 10)], Some(("A\n".to_owned(), 11))),
                (vec![("b", 12)], Some(("B\n".to_owned(), 13))),
            ]
        );
    }

    #[test]
    fn output_without_a_command_and_an_unterminated_heredoc() {
        assert_eq!(
            shape("just text\n"),
            vec![(vec![], Some(("just text\n".to_owned(), 10)))]
        );
        let got = shape("$ cat <<EOF\nnever closed\n");
        assert_eq!(got[0].0[0].0, "cat <<EOF\nnever closed");
    }
}
