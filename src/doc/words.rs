//! A command line read into simple commands: words with their quotes removed and the
//! variables docrun knows expanded, redirections, heredoc bodies and pipes.
//!
//! This is what classifying a command's effects and reading the manifests it sends need: the
//! program and its arguments, where its standard input comes from, where its output goes. It
//! is not a shell: it follows quotes, `\` escapes, `$(...)`, backticks, heredocs and the
//! operators `|`, `||`, `&&`, `;`, `&`, `(`, `)` and newlines. Command substitutions are read
//! as commands of their own ([`SimpleCommand::nested`]); a word that holds one, or a variable
//! without a known value, is not [`Word::literal`]. It never fails: text it cannot follow ends
//! up in words, and a classifier that does not know a word says "unknown".

/// One word of a simple command, after quote removal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Word {
    /// The word's text: quotes removed, known variables expanded, anything else kept as written
    /// (`$POD`, `$(kubectl get ...)`).
    pub text: String,
    /// Whether the text is exactly what the shell would see: no variable without a value, no
    /// command substitution, no glob.
    pub literal: bool,
}

impl Word {
    /// The word as a message shows it: its text, or, for a word known only when the step runs,
    /// its text on one line and at most 48 characters.
    pub fn shown(&self) -> String {
        if self.literal {
            return self.text.clone();
        }
        let one_line = self
            .text
            .replace("\\\n", " ")
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        if one_line.chars().count() <= 48 {
            return one_line;
        }
        let cut: String = one_line.chars().take(45).collect();
        format!("{cut}...")
    }
}

/// A redirection of a simple command (`> file`, `2>/dev/null`, `<<EOF`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Redirect {
    /// The file descriptor written before the operator, if any (`2` in `2>`).
    pub fd: Option<u32>,
    /// The operator: `>`, `>>`, `<`, `<<`, `<<-`, `<<<`, `>&`, `<&`, `&>`, `&>>`, `>|`.
    pub op: &'static str,
    /// The target (a file, a descriptor, or the heredoc's delimiter).
    pub target: Word,
}

impl Redirect {
    /// Whether the redirection writes to a file other than `/dev/null` (or a descriptor).
    pub fn writes_file(&self) -> bool {
        matches!(self.op, ">" | ">>" | "&>" | "&>>" | ">|") && self.target.text != "/dev/null"
    }
}

/// The body of a heredoc.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Heredoc {
    /// The body, known variables expanded unless the delimiter was quoted.
    pub body: String,
    /// The body's first line (0-based) from the first line of the whole command text.
    pub line: usize,
    /// Whether the body is exactly what the command would read: no variable without a value,
    /// no command substitution.
    pub literal: bool,
}

/// One simple command: assignments, words, redirections, and where its input comes from.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SimpleCommand {
    /// `NAME=value` words before the program.
    pub assignments: Vec<(String, Word)>,
    /// The program and its arguments (reserved words such as `if`, `then`, `do`, `!` dropped).
    pub words: Vec<Word>,
    pub redirects: Vec<Redirect>,
    /// The heredoc on the command's standard input, if any.
    pub heredoc: Option<Heredoc>,
    /// Whether the command's standard input is the output of the command before it (`a | b`).
    pub piped: bool,
    /// Whether the command was written inside `$(...)` or backticks of another command.
    pub nested: bool,
    /// The line (0-based, from the first line of the whole command text) the command starts on.
    pub line: usize,
    /// The first word of a compound command that `words` belongs to (`for`, `case`), if any.
    pub control: Option<&'static str>,
}

impl SimpleCommand {
    /// The program's name without its folder (`/usr/bin/kubectl` → `kubectl`), if any.
    pub fn program(&self) -> Option<&str> {
        let w = self.words.first()?;
        Some(w.text.rsplit('/').next().unwrap_or(&w.text))
    }

    /// The arguments after the program.
    pub fn args(&self) -> &[Word] {
        self.words.get(1..).unwrap_or(&[])
    }
}

/// Reads `text` (one command as a guide writes it, possibly over several lines) into its simple
/// commands in order. `value` gives the values of variables docrun knows; others stay unexpanded.
pub fn read(text: &str, value: &dyn Fn(&str) -> Option<String>) -> Vec<SimpleCommand> {
    let mut out = Vec::new();
    Reader {
        chars: text.chars().collect(),
        pos: 0,
        line: 0,
        value,
    }
    .commands(false, &mut out, None);
    out
}

const RESERVED_DROPPED: &[&str] = &[
    "if", "then", "else", "elif", "fi", "do", "done", "while", "until", "!", "{", "}", "esac",
    "time", "in",
];

/// The line of a heredoc whose body has not been read yet.
const OPEN: usize = usize::MAX;

struct Reader<'a> {
    chars: Vec<char>,
    pos: usize,
    line: usize,
    value: &'a dyn Fn(&str) -> Option<String>,
}

/// A heredoc whose body starts after the current line.
struct PendingHeredoc {
    delimiter: String,
    strip_tabs: bool,
    expand: bool,
}

impl Reader<'_> {
    fn peek(&self, ahead: usize) -> Option<char> {
        self.chars.get(self.pos + ahead).copied()
    }

    /// Reads commands until the end, or until `closing` when inside `$(` ... `)`.
    fn commands(&mut self, nested: bool, out: &mut Vec<SimpleCommand>, closing: Option<char>) {
        let mut current = SimpleCommand {
            nested,
            line: self.line,
            ..Default::default()
        };
        let mut heredocs: Vec<PendingHeredoc> = Vec::new();
        let mut piped_next = false;
        let mut depth = 0usize;
        while let Some(c) = self.peek(0) {
            match c {
                ' ' | '\t' => self.pos += 1,
                '\\' if self.peek(1) == Some('\n') => {
                    self.pos += 2;
                    self.line += 1;
                }
                '#' => {
                    while self.peek(0).is_some_and(|c| c != '\n') {
                        self.pos += 1;
                    }
                }
                '\n' => {
                    self.pos += 1;
                    self.line += 1;
                    finish(&mut current, out, nested, self.line, &mut piped_next, false);
                    for h in std::mem::take(&mut heredocs) {
                        let line = self.line;
                        let (body, literal) = self.heredoc_body(&h);
                        // Bodies follow in the order the commands opened them.
                        if let Some(cmd) = out
                            .iter_mut()
                            .find(|c| c.heredoc.as_ref().is_some_and(|h| h.line == OPEN))
                        {
                            cmd.heredoc = Some(Heredoc {
                                body,
                                line,
                                literal,
                            });
                        }
                    }
                    current.line = self.line;
                }
                ')' if closing == Some(')') && depth == 0 => {
                    self.pos += 1;
                    break;
                }
                '`' if closing == Some('`') => {
                    self.pos += 1;
                    break;
                }
                '(' if is_empty(&current) => {
                    depth += 1;
                    self.pos += 1;
                }
                ')' => {
                    depth = depth.saturating_sub(1);
                    self.pos += 1;
                    finish(&mut current, out, nested, self.line, &mut piped_next, false);
                }
                '|' | '&' | ';' => {
                    let two = self.peek(1);
                    if c == '&' && two == Some('>') {
                        // `&>file`: a redirection.
                        self.pos += 1;
                        let op = if self.peek(1) == Some('>') {
                            self.pos += 2;
                            "&>>"
                        } else {
                            self.pos += 1;
                            "&>"
                        };
                        let target = self.word_after();
                        current.redirects.push(Redirect {
                            fd: None,
                            op,
                            target,
                        });
                        continue;
                    }
                    let pipe = c == '|' && two != Some('|');
                    self.pos += if two == Some(c) { 2 } else { 1 };
                    if c == ';' && self.peek(0) == Some(';') {
                        self.pos += 1;
                    }
                    finish(&mut current, out, nested, self.line, &mut piped_next, pipe);
                }
                '<' | '>' if self.peek(1) == Some('(') => {
                    // Process substitution: `<(cmd)` is a word naming the command's output.
                    let start = self.pos;
                    self.pos += 2;
                    let first = out.len();
                    self.commands(true, out, Some(')'));
                    mark_nested(out, first);
                    let text = self.text(start);
                    push_word(
                        &mut current,
                        Word {
                            text,
                            literal: false,
                        },
                    );
                }
                '<' | '>' => self.redirect(&mut current, None, &mut heredocs),
                _ => {
                    let (word, fd) = self.word(out);
                    if let Some(fd) = fd {
                        self.redirect(&mut current, Some(fd), &mut heredocs);
                        continue;
                    }
                    let Some(word) = word else { continue };
                    push_word(&mut current, word);
                }
            }
        }
        finish(&mut current, out, nested, self.line, &mut piped_next, false);
        // A heredoc whose body never came (the text ended on the opening line) is empty.
        if !heredocs.is_empty() {
            for c in out.iter_mut() {
                if let Some(h) = c.heredoc.as_mut().filter(|h| h.line == OPEN) {
                    h.line = self.line;
                }
            }
        }
    }

    /// Reads the lines of a heredoc body up to its delimiter line (consumed).
    fn heredoc_body(&mut self, h: &PendingHeredoc) -> (String, bool) {
        let mut body = String::new();
        let mut literal = true;
        while self.pos < self.chars.len() {
            let start = self.pos;
            while self.peek(0).is_some_and(|c| c != '\n') {
                self.pos += 1;
            }
            let line: String = self.chars[start..self.pos].iter().collect();
            if self.peek(0) == Some('\n') {
                self.pos += 1;
            }
            self.line += 1;
            let line = if h.strip_tabs {
                line.trim_start_matches('\t').to_owned()
            } else {
                line
            };
            if line == h.delimiter {
                break;
            }
            let line = if h.expand {
                let (text, known) = expand_text(&line, self.value);
                literal &= known && !text.contains("$(") && !text.contains('`');
                text
            } else {
                line
            };
            body.push_str(&line);
            body.push('\n');
        }
        (body, literal)
    }

    fn redirect(
        &mut self,
        current: &mut SimpleCommand,
        fd: Option<u32>,
        heredocs: &mut Vec<PendingHeredoc>,
    ) {
        let rest: String = self.chars[self.pos..].iter().take(3).collect();
        let op: &'static str = [
            "<<<", "<<-", "&>>", ">>", "<<", ">&", "<&", ">|", "<>", ">", "<",
        ]
        .into_iter()
        .find(|op| rest.starts_with(op))
        .unwrap_or(">");
        self.pos += op.len();
        if op == "<<" || op == "<<-" {
            while matches!(self.peek(0), Some(' ' | '\t')) {
                self.pos += 1;
            }
            let quoted = matches!(self.peek(0), Some('\'' | '"' | '\\'));
            let raw = self.raw_word();
            let delimiter: String = raw
                .chars()
                .filter(|c| !matches!(c, '\'' | '"' | '\\'))
                .collect();
            heredocs.push(PendingHeredoc {
                delimiter: delimiter.clone(),
                strip_tabs: op == "<<-",
                expand: !quoted,
            });
            current.redirects.push(Redirect {
                fd,
                op,
                target: Word {
                    text: delimiter,
                    literal: true,
                },
            });
            current.heredoc = Some(Heredoc {
                body: String::new(),
                line: OPEN,
                literal: true,
            });
            return;
        }
        let target = self.word_after();
        current.redirects.push(Redirect { fd, op, target });
    }

    fn word_after(&mut self) -> Word {
        while matches!(self.peek(0), Some(' ' | '\t')) {
            self.pos += 1;
        }
        let mut sink = Vec::new();
        self.word(&mut sink).0.unwrap_or(Word {
            text: String::new(),
            literal: false,
        })
    }

    /// The raw characters of the next word (for a heredoc delimiter), quotes kept.
    fn raw_word(&mut self) -> String {
        let mut s = String::new();
        let mut quote = None;
        while let Some(c) = self.peek(0) {
            match quote {
                Some(q) if c == q => quote = None,
                Some(_) => {}
                None if c == '\'' || c == '"' => quote = Some(c),
                None if c.is_whitespace() || "|&;<>()".contains(c) => break,
                None => {}
            }
            s.push(c);
            self.pos += 1;
        }
        s
    }

    /// Reads one word; returns it, or the file descriptor number when the word is digits
    /// directly followed by `<` or `>` (`2>`). Command substitutions inside it are read into
    /// `out` as nested commands.
    fn word(&mut self, out: &mut Vec<SimpleCommand>) -> (Option<Word>, Option<u32>) {
        let start = self.pos;
        let mut text = String::new();
        let mut literal = true;
        let mut any = false;
        while let Some(c) = self.peek(0) {
            match c {
                ' ' | '\t' | '\n' | '|' | '&' | ';' | '<' | '>' | '(' | ')' => {
                    if (c == '<' || c == '>')
                        && any
                        && self.chars[start..self.pos]
                            .iter()
                            .all(|c| c.is_ascii_digit())
                    {
                        return (None, text.parse().ok());
                    }
                    if c == '(' && text.ends_with(['@', '?', '*', '+', '!']) {
                        // extglob: keep going as text
                        text.push(c);
                        self.pos += 1;
                        literal = false;
                        continue;
                    }
                    break;
                }
                '\\' => {
                    match self.peek(1) {
                        Some('\n') => self.line += 1,
                        Some(n) => text.push(n),
                        None => {}
                    }
                    self.pos = (self.pos + 2).min(self.chars.len());
                }
                '\'' => {
                    self.pos += 1;
                    while let Some(c) = self.peek(0) {
                        self.pos += 1;
                        if c == '\'' {
                            break;
                        }
                        if c == '\n' {
                            self.line += 1;
                        }
                        text.push(c);
                    }
                }
                '"' => {
                    self.pos += 1;
                    while let Some(c) = self.peek(0) {
                        match c {
                            '"' => {
                                self.pos += 1;
                                break;
                            }
                            '\\' if matches!(self.peek(1), Some('"' | '\\' | '$' | '`')) => {
                                text.push(self.peek(1).unwrap_or('\\'));
                                self.pos += 2;
                            }
                            '\\' if self.peek(1) == Some('\n') => {
                                self.pos += 2;
                                self.line += 1;
                            }
                            '$' | '`' => {
                                let (t, lit) = self.dollar(out);
                                text.push_str(&t);
                                literal &= lit;
                            }
                            _ => {
                                if c == '\n' {
                                    self.line += 1;
                                }
                                text.push(c);
                                self.pos += 1;
                            }
                        }
                    }
                }
                '$' | '`' => {
                    let (t, lit) = self.dollar(out);
                    text.push_str(&t);
                    literal &= lit;
                }
                '*' | '?' | '[' => {
                    literal = false;
                    text.push(c);
                    self.pos += 1;
                }
                _ => {
                    text.push(c);
                    self.pos += 1;
                }
            }
            any = true;
        }
        if !any {
            // A lone character this reader does not take as a word: skip it.
            if self.pos == start {
                self.pos += 1;
            }
            return (None, None);
        }
        (Some(Word { text, literal }), None)
    }

    /// Reads `$NAME`, `${NAME}`, `$(...)`, `$((...))` or a backtick substitution at `pos`.
    fn dollar(&mut self, out: &mut Vec<SimpleCommand>) -> (String, bool) {
        let start = self.pos;
        if self.peek(0) == Some('`') {
            self.pos += 1;
            let first = out.len();
            self.commands(true, out, Some('`'));
            mark_nested(out, first);
            return (self.text(start), false);
        }
        self.pos += 1;
        match self.peek(0) {
            Some('(') if self.peek(1) == Some('(') => {
                let mut depth = 0;
                while let Some(c) = self.peek(0) {
                    self.pos += 1;
                    match c {
                        '(' => depth += 1,
                        ')' => {
                            depth -= 1;
                            if depth == 0 {
                                break;
                            }
                        }
                        _ => {}
                    }
                }
                (self.text(start), false)
            }
            Some('(') => {
                self.pos += 1;
                let first = out.len();
                self.commands(true, out, Some(')'));
                mark_nested(out, first);
                (self.text(start), false)
            }
            Some('{') => {
                let close = self.chars[self.pos..].iter().position(|&c| c == '}');
                let Some(close) = close else {
                    self.pos = self.chars.len();
                    return (self.text(start), false);
                };
                let inner: String = self.chars[self.pos + 1..self.pos + close].iter().collect();
                self.pos += close + 1;
                if super::bash::is_var_name(&inner) {
                    if let Some(v) = (self.value)(&inner) {
                        return (v, true);
                    }
                }
                (self.text(start), false)
            }
            Some(c) if c.is_ascii_alphabetic() || c == '_' => {
                let name_start = self.pos;
                while self
                    .peek(0)
                    .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_')
                {
                    self.pos += 1;
                }
                let name: String = self.chars[name_start..self.pos].iter().collect();
                match (self.value)(&name) {
                    Some(v) => (v, true),
                    None => (self.text(start), false),
                }
            }
            Some(c) if c.is_ascii_digit() || "@*#?$!-".contains(c) => {
                self.pos += 1;
                (self.text(start), false)
            }
            _ => ("$".to_owned(), true),
        }
    }

    fn text(&self, start: usize) -> String {
        let end = self.pos.min(self.chars.len());
        self.chars[start.min(end)..end].iter().collect()
    }
}

fn mark_nested(out: &mut [SimpleCommand], first: usize) {
    for c in &mut out[first..] {
        c.nested = true;
    }
}

fn is_empty(c: &SimpleCommand) -> bool {
    c.words.is_empty() && c.assignments.is_empty() && c.redirects.is_empty()
}

fn push_word(current: &mut SimpleCommand, word: Word) {
    if current.words.is_empty() {
        if let Some((name, value)) = word.text.split_once('=') {
            if super::bash::is_var_name(name) {
                current.assignments.push((
                    name.to_owned(),
                    Word {
                        text: value.to_owned(),
                        literal: word.literal,
                    },
                ));
                return;
            }
        }
        if current.control.is_none() && RESERVED_DROPPED.contains(&word.text.as_str()) {
            return;
        }
        if matches!(word.text.as_str(), "for" | "case" | "select") && current.control.is_none() {
            current.control = Some(match word.text.as_str() {
                "for" => "for",
                "case" => "case",
                _ => "select",
            });
        }
    }
    current.words.push(word);
}

/// Ends the current simple command (if it has anything) and starts the next one.
fn finish(
    current: &mut SimpleCommand,
    out: &mut Vec<SimpleCommand>,
    nested: bool,
    line: usize,
    piped_next: &mut bool,
    pipe: bool,
) {
    if !is_empty(current) {
        let mut done = std::mem::take(current);
        done.piped = *piped_next;
        out.push(done);
        *piped_next = pipe;
    } else {
        *piped_next = pipe && *piped_next;
    }
    current.nested = nested;
    current.line = line;
}

/// Expands `$NAME` and `${NAME}` with known values in a heredoc line; the flag says whether
/// every expansion was known.
fn expand_text(line: &str, value: &dyn Fn(&str) -> Option<String>) -> (String, bool) {
    let mut out = String::with_capacity(line.len());
    let mut all = true;
    let bytes: Vec<char> = line.chars().collect();
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        if c == '\\' && i + 1 < bytes.len() && matches!(bytes[i + 1], '$' | '\\' | '`') {
            out.push(bytes[i + 1]);
            i += 2;
            continue;
        }
        if c == '$' {
            let (name, end) = if bytes.get(i + 1) == Some(&'{') {
                match bytes[i + 2..].iter().position(|&c| c == '}') {
                    Some(close) => (
                        bytes[i + 2..i + 2 + close].iter().collect::<String>(),
                        i + 3 + close,
                    ),
                    None => (String::new(), i + 1),
                }
            } else {
                let mut j = i + 1;
                while j < bytes.len() && (bytes[j].is_ascii_alphanumeric() || bytes[j] == '_') {
                    j += 1;
                }
                (bytes[i + 1..j].iter().collect(), j)
            };
            if super::bash::is_var_name(&name) {
                if let Some(v) = value(&name) {
                    out.push_str(&v);
                } else {
                    all = false;
                    out.extend(&bytes[i..end]);
                }
                i = end;
                continue;
            }
        }
        out.push(c);
        i += 1;
    }
    (out, all)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(c: &SimpleCommand) -> Vec<&str> {
        c.words.iter().map(|w| w.text.as_str()).collect()
    }

    fn value(name: &str) -> Option<String> {
        (name == "CTX").then(|| "kind-one".to_owned())
    }

    #[test]
    fn quotes_are_removed_and_known_variables_expanded() {
        let cmds = read(
            "kubectl get pod --context=\"${CTX}\" -n 'sam ple' -l app=$APP",
            &value,
        );
        assert_eq!(cmds.len(), 1);
        assert_eq!(
            words(&cmds[0]),
            [
                "kubectl",
                "get",
                "pod",
                "--context=kind-one",
                "-n",
                "sam ple",
                "-l",
                "app=$APP"
            ]
        );
        assert!(cmds[0].words[3].literal);
        assert!(!cmds[0].words[7].literal);
    }

    #[test]
    fn pipes_lists_and_redirections() {
        let cmds = read(
            "curl -s http://x | grep -o y > out.txt 2>/dev/null && echo ok; ls",
            &value,
        );
        let programs: Vec<_> = cmds.iter().map(|c| c.program().unwrap()).collect();
        assert_eq!(programs, ["curl", "grep", "echo", "ls"]);
        assert!(cmds[1].piped && !cmds[2].piped);
        assert_eq!(cmds[1].redirects.len(), 2);
        assert!(cmds[1].redirects[0].writes_file());
        assert_eq!(cmds[1].redirects[1].fd, Some(2));
        assert!(!cmds[1].redirects[1].writes_file());
    }

    #[test]
    fn a_heredoc_body_belongs_to_its_command_with_its_line() {
        let text = "cat <<EOF | kubectl apply --context=\"$CTX\" -f -\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: $NS\nEOF";
        let cmds = read(text, &value);
        assert_eq!(cmds.len(), 2);
        let h = cmds[0].heredoc.clone().unwrap();
        assert_eq!(
            h.body,
            "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: $NS\n"
        );
        assert_eq!(h.line, 1);
        assert!(!h.literal);
        assert!(cmds[1].piped);
        assert_eq!(words(&cmds[1])[2], "--context=kind-one");

        let cmds = read(
            "kubectl apply -f - <<'EOF'\nkind: X\nname: $CTX\nEOF\necho done",
            &value,
        );
        let h = cmds[0].heredoc.as_ref().unwrap();
        assert_eq!(h.body, "kind: X\nname: $CTX\n");
        assert!(h.literal);
        assert_eq!(cmds[1].program(), Some("echo"));
        assert_eq!(cmds[1].line, 4);
    }

    #[test]
    fn command_substitutions_are_nested_commands() {
        let text = "kubectl exec -n sample \"$(kubectl get pod -l app=curl -o jsonpath='{.items[0].metadata.name}')\" -- curl -sS helloworld:5000";
        let cmds = read(text, &value);
        let outer = cmds.iter().find(|c| !c.nested).unwrap();
        assert_eq!(outer.program(), Some("kubectl"));
        assert!(!outer.words[4].literal);
        let inner = cmds.iter().find(|c| c.nested).unwrap();
        assert_eq!(words(inner)[..2], ["kubectl", "get"]);
    }

    #[test]
    fn assignments_continuations_and_reserved_words() {
        let cmds = read(
            "export A=1\nB=2 kubectl \\\n  get ns\nif true; then rm -f x; fi",
            &value,
        );
        assert_eq!(words(&cmds[0]), ["export", "A=1"]);
        assert_eq!(cmds[1].assignments[0].0, "B");
        assert_eq!(words(&cmds[1]), ["kubectl", "get", "ns"]);
        assert_eq!(cmds[1].line, 1);
        let programs: Vec<_> = cmds.iter().filter_map(|c| c.program()).collect();
        assert_eq!(programs, ["export", "kubectl", "true", "rm"]);
    }

    #[test]
    fn process_substitution_is_a_word_and_a_nested_command() {
        let cmds = read("openssl verify -CAfile <(cat a.pem b.pem) ./c.pem", &value);
        let outer = cmds.iter().find(|c| !c.nested).unwrap();
        assert_eq!(
            words(outer),
            [
                "openssl",
                "verify",
                "-CAfile",
                "<(cat a.pem b.pem)",
                "./c.pem"
            ]
        );
        assert!(outer.redirects.is_empty());
        assert_eq!(
            cmds.iter().find(|c| c.nested).unwrap().program(),
            Some("cat")
        );
    }

    /// Not a fuzzer: a deterministic sweep of pseudo-random command lines made of the
    /// characters this reader treats specially. Every one is read, without a panic or a hang.
    #[test]
    fn random_command_lines_never_panic() {
        let alphabet: Vec<char> = "ab $(){}<>|&;'\"\\`\n=#-*?[]!EOF0123".chars().collect();
        let mut seed: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        for _ in 0..20_000 {
            let len = (next() % 40) as usize;
            let text: String = (0..len)
                .map(|_| alphabet[(next() % alphabet.len() as u64) as usize])
                .collect();
            for cmd in read(&text, &value) {
                let _ = crate::effects::classify::classify(&cmd);
            }
        }
    }

    #[test]
    fn odd_input_never_panics() {
        for text in [
            "",
            "\\",
            "'",
            "\"",
            "$(",
            "${",
            "<<",
            "cat <<",
            "a | | b",
            "))((",
            "`",
            "2>",
            "&>",
            "$((1+",
            "x <<EOF",
            "kubectl apply -f - <<EOF\nkind: X",
            "a=\"b",
            "ä'ö\"ü$",
        ] {
            let _ = read(text, &value);
        }
    }
}
