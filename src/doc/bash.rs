//! The inside of a shell block: which lines are commands and which are the expected output.
//!
//! Two shapes are read. A *transcript* marks each command with a prompt (`$ `, and on other
//! sites `% ` or `> `): a prompt line starts a command, and the first other line starts the
//! expected output, which runs until the next prompt or the end of the block. A *script* has no
//! prompt: every line is a command to paste, and nothing is output.
//!
//! Either way a command goes on over lines that end in `\`, `|`, `&&` or `||` (scripts only),
//! over the body of every heredoc it opens (`<<EOF`, `<<\EOF`, `<<'EOF'`, `<<"EOF"`, `<<-EOF`,
//! any delimiter word), over a quote left open at the end of a line, and (scripts only) over a
//! compound command until it closes (`for ... done`, `if ... fi`, `case ... esac`, `{ ... }`,
//! `( ... )`).

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
    /// Whether `text` is the guide's own consecutive lines from `line` on, one for each line
    /// of `text` (so `--bless` can find them); false when it was joined from the outputs of
    /// several commands or read from another file.
    #[serde(skip)]
    pub as_written: bool,
}

/// Commands followed by the output they are expected to print.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Segment {
    pub commands: Vec<Command>,
    pub expected: Option<Expected>,
}

/// The prompt a transcript marks its commands with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum Prompt {
    /// `$ `: istio.io and most sites.
    Dollar,
    /// `% `: a zsh prompt.
    Percent,
    /// `> `: Linkerd's console prompt (and PowerShell's).
    Angle,
}

impl Prompt {
    fn marker(self) -> &'static str {
        match self {
            Prompt::Dollar => "$ ",
            Prompt::Percent => "% ",
            Prompt::Angle => "> ",
        }
    }

    /// The command after this prompt on `line` (a bare `$` is an empty command).
    pub fn strip(self, line: &str) -> Option<&str> {
        let marker = self.marker();
        line.strip_prefix(marker).or(if line == marker.trim_end() {
            Some("")
        } else {
            None
        })
    }

    /// The prompt a line starts with, if any.
    pub fn of_line(line: &str) -> Option<Prompt> {
        [Prompt::Dollar, Prompt::Percent, Prompt::Angle]
            .into_iter()
            .find(|p| p.strip(line).is_some())
    }
}

/// Splits an istio.io bash block: `$ ` prompts, continuation lines that repeat the `$ `.
pub fn split(lines: &[BodyLine]) -> Vec<Segment> {
    split_transcript(lines, Prompt::Dollar, false)
}

/// Splits a transcript's lines into segments of commands and expected output.
///
/// Lines before the first prompt are output with no command (a segment with no commands). With
/// `secondary`, lines that go on a command (continuations, heredoc bodies) may start with the
/// `> ` of bash's secondary prompt, which is dropped.
pub fn split_transcript(lines: &[BodyLine], prompt: Prompt, secondary: bool) -> Vec<Segment> {
    let prompted = |text: &str| prompt.strip(text).is_some();
    fn go_on(prompt: Prompt, secondary: bool, text: &str) -> Option<&str> {
        prompt
            .strip(text)
            .or_else(|| secondary.then(|| Prompt::Angle.strip(text)).flatten())
    }
    let mut segments: Vec<Segment> = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let line = &lines[i];
        if let Some(first) = prompt.strip(&line.text) {
            let start = line.line;
            let mut text = first.to_owned();
            let mut state = LexState::default();
            let mut heredocs = state.scan(first);
            i += 1;
            loop {
                if let Some(delim) = heredocs.first().cloned() {
                    // Heredoc body lines are taken as they are, up to the delimiter line.
                    let Some(next) = lines.get(i) else { break };
                    let body = if secondary {
                        go_on(prompt, secondary, &next.text).unwrap_or(&next.text)
                    } else {
                        &next.text
                    };
                    text.push('\n');
                    text.push_str(body);
                    i += 1;
                    let candidate = if delim.strip_tabs {
                        body.trim_start_matches('\t')
                    } else {
                        body
                    };
                    if candidate == delim.word {
                        heredocs.remove(0);
                    }
                    continue;
                }
                // Other sites' transcripts also go on over open pipes and compound commands.
                let continues = state.in_quote()
                    || ends_with_continuation(&text)
                    || (secondary && !state.complete());
                if !continues {
                    break;
                }
                let Some(next) = lines.get(i) else { break };
                let next_text = go_on(prompt, secondary, &next.text).filter(|_| !state.in_quote());
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
            while i < lines.len() && !prompted(&lines[i].text) {
                text.push_str(&lines[i].text);
                text.push('\n');
                i += 1;
            }
            let expected = Some(Expected {
                text,
                line: start,
                as_written: true,
            });
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

fn ends_with_continuation(text: &str) -> bool {
    let trailing = text.len() - text.trim_end_matches('\\').len();
    trailing % 2 == 1
}

/// Whether a script leaves nothing open at its end, as this module's lexer reads it: no quote,
/// no heredoc waiting for its delimiter, no compound command, pipe or `\` going on.
pub fn is_closed(script: &str) -> bool {
    let mut state = LexState::default();
    let mut heredocs: Vec<Heredoc> = Vec::new();
    let mut last = "";
    for line in script.split('\n') {
        if let Some(delim) = heredocs.first() {
            let candidate = if delim.strip_tabs {
                line.trim_start_matches('\t')
            } else {
                line
            };
            if candidate == delim.word {
                heredocs.remove(0);
            }
            continue;
        }
        heredocs.extend(state.scan(line));
        if !line.trim().is_empty() {
            last = line;
        }
    }
    heredocs.is_empty() && state.complete() && !ends_with_continuation(last)
}

/// A heredoc a command opened, still waiting for its delimiter line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Heredoc {
    /// The delimiter, quotes removed.
    pub word: String,
    /// `<<-`: leading tabs are stripped from the body and the delimiter line.
    pub strip_tabs: bool,
    /// Part of the delimiter was quoted: the body is literal, no expansion.
    pub quoted: bool,
}

/// Splits a script (a shell block with no prompt) into its commands: every line is a command,
/// going on as the module documentation says. Blank lines and comment lines between commands
/// are left out; a block with only those has no command.
pub fn split_script(lines: &[BodyLine]) -> Vec<Command> {
    let mut commands = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let first = &lines[i];
        let trimmed = first.text.trim_start();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            i += 1;
            continue;
        }
        let mut text = first.text.clone();
        let mut state = LexState::default();
        let mut heredocs = state.scan(&first.text);
        i += 1;
        while let Some(next) = lines.get(i) {
            if let Some(delim) = heredocs.first() {
                let candidate = if delim.strip_tabs {
                    next.text.trim_start_matches('\t')
                } else {
                    next.text.as_str()
                };
                if candidate == delim.word {
                    heredocs.remove(0);
                }
            } else if state.complete() && !ends_with_continuation(&text) {
                break;
            } else {
                heredocs.extend(state.scan(&next.text));
            }
            text.push('\n');
            text.push_str(&next.text);
            i += 1;
        }
        commands.push(Command {
            text,
            line: first.line,
        });
    }
    commands
}

/// Just enough of bash's lexer to follow quotes, comments, heredoc openings and compound
/// commands across lines.
#[derive(Debug, Default)]
struct LexState {
    quote: Option<char>,
    /// Compound commands open: `if`, `for`, `while`, `until`, `case`, `select`, `{`, `(`.
    depth: i32,
    /// `case` commands open, in which a `)` ends a pattern, not a subshell.
    cases: i32,
    /// The last word of the last line read was an operator that needs more: `|`, `&&`, `||`.
    pipe_open: bool,
}

impl LexState {
    fn in_quote(&self) -> bool {
        self.quote.is_some()
    }

    /// Whether the text read so far is a whole command: no quote, compound or pipe left open.
    fn complete(&self) -> bool {
        self.quote.is_none() && self.depth <= 0 && !self.pipe_open
    }

    /// Notes a word read at a command's start: keywords open and close compound commands.
    fn keyword(&mut self, word: &str) {
        match word {
            "if" | "for" | "while" | "until" | "select" | "{" => self.depth += 1,
            "case" => {
                self.depth += 1;
                self.cases += 1;
            }
            "fi" | "done" | "}" => self.depth -= 1,
            "esac" => {
                self.depth -= 1;
                self.cases -= 1;
            }
            _ => {}
        }
    }

    /// Reads one line, updating the state; returns the heredocs the line opens.
    fn scan(&mut self, line: &str) -> Vec<Heredoc> {
        let chars: Vec<char> = line.chars().collect();
        let mut found = Vec::new();
        let mut i = 0;
        // The word being read, and whether it stands where a command starts.
        let mut word = String::new();
        let mut at_start = true;
        let mut last_operator = false;
        let end_word = |state: &mut LexState, word: &mut String, at_start: &mut bool| {
            if word.is_empty() {
                return;
            }
            if *at_start {
                state.keyword(word);
                // After these a new command starts; after any other word, arguments follow.
                *at_start = matches!(
                    word.as_str(),
                    "do" | "then" | "else" | "elif" | "{" | "!" | "time"
                );
            }
            word.clear();
        };
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
                None => {
                    if !c.is_whitespace() {
                        last_operator = false;
                    }
                    match c {
                        '\\' => {
                            word.push('\\');
                            i += 1;
                        }
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
                            word.push('$');
                        }
                        // `$(` opens a substitution, balanced by its `)`.
                        '$' if chars.get(i + 1) == Some(&'(') => {
                            word.push('$');
                            self.depth += 1;
                            i += 1;
                        }
                        '\'' | '"' => {
                            word.push(c);
                            self.quote = Some(c);
                        }
                        '#' if word.is_empty() => break,
                        // A here-string `<<<` opens no heredoc.
                        '<' if chars.get(i + 1) == Some(&'<') && chars.get(i + 2) == Some(&'<') => {
                            end_word(self, &mut word, &mut at_start);
                            i += 3;
                            continue;
                        }
                        '<' if chars.get(i + 1) == Some(&'<') => {
                            end_word(self, &mut word, &mut at_start);
                            let rest: String = chars[i + 2..].iter().collect();
                            let (doc, used) = heredoc_at(&rest, 0);
                            let next = i + 2 + rest[..used].chars().count();
                            if let Some(doc) = doc {
                                found.push(doc);
                            }
                            i = next;
                            continue;
                        }
                        '(' => {
                            end_word(self, &mut word, &mut at_start);
                            self.depth += 1;
                            at_start = true;
                        }
                        ')' => {
                            end_word(self, &mut word, &mut at_start);
                            // In a `case`, `pattern)` ends a pattern.
                            if self.cases == 0 || self.depth > self.cases {
                                self.depth -= 1;
                            }
                            at_start = true;
                        }
                        ';' | '&' | '|' => {
                            end_word(self, &mut word, &mut at_start);
                            at_start = true;
                            last_operator =
                                c == '|' || (c == '&' && chars.get(i + 1) == Some(&'&'));
                            if chars.get(i + 1) == Some(&c) {
                                i += 1;
                            }
                        }
                        c if c.is_whitespace() => end_word(self, &mut word, &mut at_start),
                        c => word.push(c),
                    }
                }
            }
            i += 1;
        }
        end_word(self, &mut word, &mut at_start);
        self.pipe_open = last_operator && self.quote.is_none();
        found
    }
}

/// Reads a heredoc delimiter after `<<` (at byte `i` of `text`): `-`, blanks, then a word
/// that may be quoted in part. Returns the heredoc, if a word follows, and the byte after it.
/// The one reader of heredoc openings: the step splitter here and the substitution of values
/// (`runbook::subst`) both use it.
pub fn heredoc_at(text: &str, mut i: usize) -> (Option<Heredoc>, usize) {
    let bytes = text.as_bytes();
    let strip_tabs = bytes.get(i) == Some(&b'-');
    if strip_tabs {
        i += 1;
    }
    while bytes.get(i).is_some_and(|b| *b == b' ' || *b == b'\t') {
        i += 1;
    }
    let mut word = String::new();
    let mut quoted = false;
    while let Some(&b) = bytes.get(i) {
        match b {
            b'\'' | b'"' => {
                quoted = true;
                let close = text[i + 1..]
                    .find(b as char)
                    .map_or(text.len(), |n| i + 1 + n);
                word.push_str(&text[i + 1..close]);
                i = (close + 1).min(text.len());
            }
            b'\\' => {
                quoted = true;
                i += 1;
                if let Some(c) = text[i..].chars().next() {
                    word.push(c);
                    i += c.len_utf8();
                }
            }
            b if b.is_ascii_whitespace() || b";|&<>()".contains(&b) => break,
            _ => {
                let c = text[i..].chars().next().unwrap_or(' ');
                word.push(c);
                i += c.len_utf8();
            }
        }
    }
    let heredoc = (!word.is_empty()).then_some(Heredoc {
        word,
        strip_tabs,
        quoted,
    });
    (heredoc, i)
}

/// Commands and builtins that start most lines of the field's guides: a block that starts with
/// one is commands, whatever the prose before it says.
const COMMON_COMMANDS: &[&str] = &[
    "kubectl", "helm", "curl", "wget", "export", "cd", "echo", "cat", "ls", "mkdir", "rm", "cp",
    "mv", "git", "docker", "kind", "k3d", "minikube", "gcloud", "aws", "az", "eksctl", "openssl",
    "linkerd", "istioctl", "cmctl", "step", "watch", "source", "sudo", "for", "while", "if",
    "printf", "grep", "jq", "yq", "go", "make", "brew", "apt-get", "apt", "tar", "chmod", "set",
    "unset", "read", "sleep", "until",
];

/// Whether the block's first line reads as a command: an assignment, or a common command.
pub fn first_line_is_command(body: &[BodyLine]) -> bool {
    let Some(first) = body
        .iter()
        .map(|l| l.text.trim())
        .find(|t| !t.is_empty() && !t.starts_with('#'))
    else {
        return false;
    };
    let word = first.split_whitespace().next().unwrap_or("");
    let assignment = word
        .split_once('=')
        .is_some_and(|(name, _)| is_var_name(name));
    assignment || COMMON_COMMANDS.contains(&word)
}

/// Whether `name` is a shell variable name.
pub fn is_var_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
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
