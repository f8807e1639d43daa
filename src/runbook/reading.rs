//! How a block of a guide becomes commands and expected output, in the guide's dialect.
//!
//! istio.io's blocks are read as istio.io's own extractor reads them: `$ ` lines are commands,
//! the rest output, and a shell fence without a prompt is output. Every other dialect reads a
//! shell fence as its site's readers do:
//!
//! - a **transcript** is a shell or console fence whose first command line starts with a prompt:
//!   `$ `, `% ` or `> ` (whichever comes first; only that one counts in the block). Lines after a
//!   command are its output. A continuation may repeat the prompt or use bash's `> `.
//! - `# ` is never a prompt: in the field's trees a `# ` line in a shell or console fence is a
//!   comment (`# Export our cert ...`), and reading it as a root prompt would make the commands
//!   after it output.
//! - a **script** is a shell fence with no prompt: every line is a command. When a line after the
//!   first command looks like output (a column header such as `NAME   READY`, `Key   : value`,
//!   box-drawing characters) or cannot begin a command (a time stamp, a kernel stamp, an HTTP
//!   status line, a symbol or emoji first, JSON after a blank line: see [`super::pasted`]),
//!   the rest of the block is that command's output, pasted in; lint reports it.
//! - a shell fence whose first line no one types (`* Trying ...` and `< HTTP/1.1 200` of
//!   `curl -v`, `1) "key"` and `(integer) 1` of `redis-cli`, a JSON member `"status": "True"`, a
//!   column header) is output, whatever its tag says; so is the rest of a script from such a
//!   line on (see [`unmistakable_output_line`], [`looks_like_output_line`]).
//! - a fence whose commands are all flags (`--feature-gates=...`) is a fragment: shown, not run.
//! - an **output block** is not a step of its own but the expected output of the command block
//!   before it (see [`is_output_block`]): by its syntax, by a wrapper or admonition that says so,
//!   or by the prose before it, whose last sentence either announces output ("you should see",
//!   "which returns") or asks to run and look ("Query the cache and check the result:", a
//!   command). A block right after a command block with no prose between is its output when it
//!   does not start with a command (see [`is_bare_output_after_command`]).

use crate::doc::bash::{self, Command, Expected, Prompt, Segment};
use crate::doc::{BodyLine, Dialect, TextBlock, Wrapper};

/// Syntaxes that hold shell commands to paste.
const SCRIPT_SYNTAXES: &[&str] = &["bash", "sh", "shell", "zsh"];
/// Syntaxes of transcripts: commands after a prompt, then their output.
const TRANSCRIPT_SYNTAXES: &[&str] = &["console", "terminal", "shell-session", "shellsession"];
/// Syntaxes sites use for output.
const OUTPUT_SYNTAXES: &[&str] = &[
    "text",
    "plain",
    "plaintext",
    "txt",
    "none",
    "output",
    "console",
    "terminal",
    "log",
];

/// How a shell block reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reading {
    /// Commands, each with the output shown after it.
    Commands(Vec<Segment>),
    /// Shell text that is not a command to run (flags, a syntax sample), and why.
    Fragment(&'static str),
    /// Output only.
    Output(Expected),
}

/// Whether a block holds shell text in this dialect: a shell or transcript fence, a block in
/// Linkerd's `command-output`, or an untagged or text fence whose first line is a `$ ` prompt.
pub fn is_shell(block: &TextBlock, dialect: Dialect) -> bool {
    if block.is_shell() {
        return true;
    }
    if !dialect.reads_scripts() {
        return false;
    }
    let syntax = block.syntax.as_str();
    TRANSCRIPT_SYNTAXES.contains(&syntax)
        || matches!(
            block.wrapper.as_deref(),
            Some(Wrapper::CommandOutput { .. })
        )
        || (matches!(syntax, "plain" | "text" | "none")
            && transcript_prompt(&block.body) == Some(Prompt::Dollar))
}

/// Reads a shell block (see [`is_shell`]) into commands and output.
pub fn read_shell(block: &TextBlock, dialect: Dialect) -> Reading {
    if !dialect.reads_scripts() {
        return segments_reading(bash::split(&block.body), &block.body);
    }
    if is_output_block(block, dialect) {
        return Reading::Output(output_of(&block.body));
    }
    if let Some(prompt) = transcript_prompt(&block.body) {
        let mut segments = bash::split_transcript(&block.body, prompt, true);
        // Sites leave a blank line between a command and its output; no command prints it.
        for expected in segments.iter_mut().filter_map(|s| s.expected.as_mut()) {
            let blank = expected.text.len() - expected.text.trim_start_matches('\n').len();
            if blank < expected.text.len() {
                expected.text.drain(..blank);
                expected.line += blank;
            }
        }
        return segments_reading(segments, &block.body);
    }
    if matches!(
        block.wrapper.as_deref(),
        Some(Wrapper::CommandOutput { .. })
    ) || looks_like_data(&block.body)
        || first_line_is_output(&block.body)
    {
        return Reading::Output(output_of(&block.body));
    }
    let transcript_syntax = TRANSCRIPT_SYNTAXES.contains(&block.syntax.as_str());
    if transcript_syntax && (announces_console_output(block) || first_line_is_output(&block.body)) {
        return Reading::Output(output_of(&block.body));
    }
    if block.no_copy {
        return Reading::Output(output_of(&block.body));
    }
    script(&block.body)
}

fn segments_reading(segments: Vec<Segment>, body: &[BodyLine]) -> Reading {
    if segments.iter().all(|s| s.commands.is_empty()) {
        return Reading::Output(output_of(body));
    }
    Reading::Commands(segments)
}

/// Reads a script: every line a command, until output pasted in.
fn script(body: &[BodyLine]) -> Reading {
    let commands = bash::split_script(body);
    if commands.is_empty() {
        return Reading::Fragment("no command in it, only comments");
    }
    if commands
        .iter()
        .all(|c| c.text.trim_start().starts_with('-'))
    {
        return Reading::Fragment("flags of a command, not a command");
    }
    // Output pasted in after the first command: the rest of the block. Only a line that starts
    // a command (as the lexer reads it) or lies outside every command counts: a heredoc's body
    // or a command's continuation is the command's own text.
    let first_end = commands[0].line + commands[0].text.lines().count();
    // Marked in one pass over the commands' lines, so a long script stays linear.
    let base = body.first().map_or(0, |l| l.line);
    let last = body.last().map_or(0, |l| l.line);
    let mut inside = vec![false; last.saturating_sub(base) + 1];
    for c in &commands {
        let end = (c.line + c.text.lines().count()).min(last + 1);
        for line in (c.line + 1).max(base)..end {
            inside[line - base] = true;
        }
    }
    let pasted = body.iter().enumerate().position(|(i, l)| {
        l.line >= first_end
            && !inside
                .get(l.line.wrapping_sub(base))
                .copied()
                .unwrap_or(false)
            && (looks_like_output_line(&l.text)
                || opens_json(&body[i..])
                || super::pasted::starts_output(
                    &l.text,
                    i > 0 && body[i - 1].text.trim().is_empty(),
                ))
    });
    let Some(at) = pasted else {
        return Reading::Commands(vec![Segment {
            commands,
            expected: None,
        }]);
    };
    let output_line = body[at].line;
    let kept: Vec<Command> = commands
        .into_iter()
        .filter(|c| c.line < output_line)
        .collect();
    let rest = &body[at..];
    Reading::Commands(vec![Segment {
        commands: kept,
        expected: Some(output_of(rest)),
    }])
}

/// Output pasted after a command in a script: the line where it starts, if any.
///
/// `reading` is the block's [`read_shell`] in `dialect`.
pub fn pasted_output_line(block: &TextBlock, dialect: Dialect, reading: &Reading) -> Option<usize> {
    match reading {
        Reading::Commands(segments)
            if transcript_prompt(&block.body).is_none() && dialect.reads_scripts() =>
        {
            segments.first()?.expected.as_ref().map(|e| e.line)
        }
        _ => None,
    }
}

/// The prompt of a transcript: the prompt the first line that is not blank or a comment starts
/// with; `None` for a script.
///
/// A `> ` line of an HTTP exchange (`> GET /get HTTP/1.1`, `> Host: x`, as `curl -v` prints
/// the request it sends) is not a prompt: such a block is output.
pub fn transcript_prompt(body: &[BodyLine]) -> Option<Prompt> {
    let first = body
        .iter()
        .map(|l| l.text.as_str())
        .find(|t| !t.trim().is_empty() && !t.trim_start().starts_with('#'))?;
    if unmistakable_output_line(first) {
        return None;
    }
    Prompt::of_line(first)
}

fn output_of(body: &[BodyLine]) -> Expected {
    let mut text = String::new();
    for line in body {
        text.push_str(&line.text);
        text.push('\n');
    }
    Expected {
        text,
        line: body.first().map_or(0, |l| l.line),
        as_written: true,
    }
}

/// Whether a block is the output of the command block just before it: a fence of an output
/// syntax (or untagged), or marked not for copying, or inside an admonition or wrapper that
/// says output, holding no prompt, after prose that does not ask to write it somewhere
/// ([`asks_to_edit`]); a shell fence qualifies only when the prose before it
/// announces output and its first line does not read as a command, or when it holds data
/// (JSON, YAML, HTML) or starts with a line no one types (see [`looks_like_output_line`]).
///
/// A `success` or `example` admonition holds output, unless it holds a shell fence that starts
/// with a command or its title asks to do something (`???+ success "Verify"`): then it holds
/// the commands that verify.
pub fn is_output_block(block: &TextBlock, dialect: Dialect) -> bool {
    if !dialect.reads_scripts()
        || transcript_prompt(&block.body).is_some()
        || asks_to_edit(&block.lead)
    {
        return false;
    }
    let shell_fence = SCRIPT_SYNTAXES.contains(&block.syntax.as_str());
    let said = match block.wrapper.as_deref() {
        Some(Wrapper::Admonition { kind, title }) => {
            announces_output(title)
                || ((kind == "success" || kind == "example")
                    && !(shell_fence
                        && (bash::first_line_is_command(&block.body) || title_asks(title))))
        }
        Some(Wrapper::CommandOutput { .. }) => true,
        None => false,
    };
    if said || block.no_copy {
        return true;
    }
    let syntax = match block.syntax.as_str() {
        "" => "plain",
        other => other,
    };
    if OUTPUT_SYNTAXES.contains(&syntax) {
        return syntax != "console" && syntax != "terminal"
            || announces_console_output(block)
            || first_line_is_output(&block.body);
    }
    if SCRIPT_SYNTAXES.contains(&syntax) {
        // Output no one would run pairs when nothing stands between, or the prose says so;
        // after other prose it is output of its own (see `read_shell`).
        let prose_allows = block.lead.trim().is_empty() || announces_output(&block.lead);
        return looks_like_data(&block.body)
            || (first_line_is_output(&block.body) && prose_allows)
            || (announces_output_in_words(&block.lead)
                && !asks_to_run(&block.lead)
                && !bash::first_line_is_command(&block.body));
    }
    false
}

/// A transcript fence without a prompt after prose that announces output, whose first line is
/// no command: "Configure it like this:" before `helm install ...` asks for that command.
fn announces_console_output(block: &TextBlock) -> bool {
    announces_output(&block.lead) && !bash::first_line_is_command(&block.body)
}

/// Prose that announces output: "The output is similar to:", "You should see", "Expected
/// output", "输出", or an example ("e.g.:"). Only its last sentence counts.
pub fn announces_output(prose: &str) -> bool {
    announces_output_in_words(prose) || last_sentence(prose).trim_end().ends_with("e.g.:")
}

/// Prose that says in words that output follows ("output", "you should see", "returns", "the
/// result looks like", "should have the default value of"); an "e.g.:" alone does not, since
/// it as often introduces an example command.
fn announces_output_in_words(prose: &str) -> bool {
    last_cue(&last_sentence(prose).to_lowercase()).is_some()
}

/// Words that announce output, as the field's guides write them.
const CUES: &[&str] = &[
    "output",
    "you should see",
    "you'll see",
    "you will see",
    "should see",
    "should look like",
    "should return",
    "should get",
    "you'll get",
    "you will get",
    "should print",
    "should show",
    "should display",
    "should have",
    "should contain",
    "should read",
    "should be similar",
    "will print",
    "will show",
    "will display",
    "similar to",
    "something like",
    "looks like",
    "look like",
    "like this",
    "like the following",
    "returns",
    "will return",
    "is returned",
    "are returned",
    "get back",
    "prints",
    "displays",
    "result",
    "response",
    "default value",
    "输出",
    "结果",
];

/// Where the last cue of [`CUES`] in `sentence` (lower case) starts, if any. A cue counts as
/// words of its own: the `output` of `command-output` or `--output` is none.
fn last_cue(sentence: &str) -> Option<usize> {
    let joined = |c: char| c.is_alphanumeric() || matches!(c, '-' | '_' | '/' | '.');
    CUES.iter()
        .flat_map(|c| {
            sentence.match_indices(c).filter(|(at, _)| {
                let before = sentence[..*at].chars().next_back();
                let after = sentence[at + c.len()..].chars().next();
                !before.is_some_and(joined) && !after.is_some_and(|a| matches!(a, '-' | '_' | '/'))
            })
        })
        .map(|(at, _)| at)
        .max()
}

/// Verbs that, opening a clause, ask the reader to do something: run a command, or look at
/// what it printed.
const REQUESTS: &[&str] = &[
    "run", "execute", "send", "call", "query", "invoke", "issue", "type", "enter", "use", "try",
    "copy", "paste", "save", "export", "set", "apply", "create", "fetch", "curl", "ping", "access",
    "deploy", "install", "get", "list", "describe", "open", "start", "launch", "hit", "make",
    "retrieve", "request", "generate", "submit", "post", "delete", "update", "patch", "edit",
    "add", "remove", "scale", "restart", "watch", "test", "connect", "check", "verify", "inspect",
    "confirm", "look", "examine", "view", "review", "observe", "validate", "ensure", "compare",
    "note",
];

/// Prose that asks the reader to run something, even if it then names the output: "run:",
/// "by running", "Query the cache and check the result:", "Send a request and inspect the
/// response:", "Then, copy the output and save it". The clause that holds the last output cue
/// decides: one that opens with a request asks, one that states ("you should see", "which
/// returns", "the result looks like") announces.
fn asks_to_run(prose: &str) -> bool {
    let last = last_sentence(prose).to_lowercase();
    let end = last.trim_end().trim_end_matches(':').trim_end();
    if [
        " run",
        "running",
        "execute",
        "command",
        "commands",
        "following",
        "below",
    ]
    .iter()
    .any(|w| end.ends_with(w))
        || end == "run"
        || [
            "by running",
            "run:",
            "the following command",
            "the command below",
        ]
        .iter()
        .any(|w| last.contains(w))
    {
        return true;
    }
    let Some(cue) = last_cue(&last) else {
        return REQUESTS.contains(&first_word(&last));
    };
    let clause_start = [", ", "; ", " and ", " then ", " or "]
        .iter()
        .filter_map(|b| last[..cue].rfind(b).map(|i| i + b.len()))
        .max()
        .unwrap_or(0);
    let clause = &last[clause_start..];
    // "The vault command will look like this:": the command's shape, not what it prints.
    let shows_command = clause[..cue - clause_start].contains("command")
        && !PRINTS.iter().any(|p| clause.contains(p));
    shows_command || REQUESTS.contains(&first_word(clause))
}

/// Cues that say a command prints something, as against how a command looks.
const PRINTS: &[&str] = &[
    "output", "return", "print", "show", "display", "see", "result", "response", "get",
];

/// Whether prose asks the reader to put the block that follows somewhere ("Replace the label
/// selector with the label of your service:", "Add the following to `values.yaml`:", "Change it
/// to:"): its last sentence starts with a verb of editing and announces no output. Such a block
/// is text to write, not what the command before it printed.
pub fn asks_to_edit(prose: &str) -> bool {
    const EDITS: &[&str] = &[
        "replace", "add", "change", "update", "set", "edit", "modify", "insert", "append", "paste",
        "put", "copy", "save", "create",
    ];
    let sentence = last_sentence(prose).to_lowercase();
    EDITS.contains(&first_word(&sentence)) && !announces_output_in_words(prose)
}

/// The first word of a clause, past words that only order steps ("then", "now", "next").
fn first_word(clause: &str) -> &str {
    const FILLERS: &[&str] = &[
        "then", "now", "next", "finally", "first", "also", "and", "simply", "please", "again",
    ];
    clause
        .split(|c: char| !(c.is_alphanumeric() || c == '-' || c == '\''))
        .filter(|w| !w.is_empty())
        .find(|w| !FILLERS.contains(w))
        .unwrap_or("")
}

/// The last sentence of a paragraph, the one right before a block.
fn last_sentence(prose: &str) -> &str {
    let trimmed = prose.trim_end();
    let body = trimmed.trim_end_matches(':');
    let cut = body
        .rmatch_indices(". ")
        .next()
        .map_or(0, |(i, _)| i + 2)
        .min(trimmed.len());
    &trimmed[cut..]
}

/// Whether a `success` or `example` admonition's title asks to do something ("Verify",
/// "Check the service"): its shell fence holds the commands that do it.
fn title_asks(title: &str) -> bool {
    REQUESTS.contains(&first_word(&title.to_lowercase()))
}

/// Whether a block that follows a command block with no prose between them (the `lead` is
/// empty) is that command's output though no syntax or prose says so: a transcript fence
/// without a prompt whose first line is no command, or a shell fence whose first line reads
/// as output or opens with a word no command is written with (a capital, a digit).
pub fn is_bare_output_after_command(block: &TextBlock, dialect: Dialect) -> bool {
    if !dialect.reads_scripts()
        || !block.lead.trim().is_empty()
        || transcript_prompt(&block.body).is_some()
        || bash::first_line_is_command(&block.body)
    {
        return false;
    }
    let syntax = block.syntax.as_str();
    if TRANSCRIPT_SYNTAXES.contains(&syntax) {
        return true;
    }
    if !SCRIPT_SYNTAXES.contains(&syntax) {
        return false;
    }
    let Some(first) = body_first_line(&block.body) else {
        return false;
    };
    first_line_is_output(&block.body)
        || first
            .chars()
            .next()
            .is_some_and(|c| c.is_uppercase() || c.is_ascii_digit())
}

/// Whether an output block quotes the output a transcript before it already shows: it has a
/// line that is not blank, and each such line (spaces at its ends aside) is part of a line of
/// `shown`. ("Note that your key has an identifier string:" and one line of the listing
/// above.) Linear in the two texts times the quote's lines, which are few: a quote longer
/// than [`QUOTE_LINES`] is no quote.
pub fn quotes_output(body: &[BodyLine], shown: &str) -> bool {
    let quoted: Vec<&str> = body
        .iter()
        .map(|l| l.text.trim())
        .filter(|t| !t.is_empty())
        .collect();
    !quoted.is_empty()
        && quoted.len() <= QUOTE_LINES
        && quoted
            .iter()
            .all(|q| shown.lines().any(|line| line.contains(q)))
}

/// The most lines a quote of shown output has.
const QUOTE_LINES: usize = 8;

fn body_first_line(body: &[BodyLine]) -> Option<&str> {
    body.iter()
        .map(|l| l.text.trim())
        .find(|t| !t.is_empty() && !t.starts_with('#'))
}

/// A `{` or `[` alone on its line, with a JSON member or value on the next line that is not
/// blank: JSON printed by a command, not a shell group.
fn opens_json(lines: &[BodyLine]) -> bool {
    let Some((first, rest)) = lines.split_first() else {
        return false;
    };
    if !matches!(first.text.trim(), "{" | "[") {
        return false;
    }
    rest.iter()
        .map(|l| l.text.trim())
        .find(|t| !t.is_empty())
        .is_some_and(|t| json_member(t) || t.starts_with('{') || t.starts_with('"'))
}

/// `"key": value`: a member of a JSON object.
fn json_member(trimmed: &str) -> bool {
    let Some(rest) = trimmed.strip_prefix('"') else {
        return false;
    };
    let Some(close) = rest.find('"') else {
        return false;
    };
    rest[close + 1..].trim_start().starts_with(':')
}

/// A line that only a program prints, never a reader types, in any fence:
///
/// - `curl -v`'s exchange: `* Trying ...` (what curl does), `> GET /get HTTP/1.1` and
///   `> Host: x` (the request), `< HTTP/1.1 200 OK` and `< content-type: x` (the response),
///   a bare `<` or `>` after the headers;
/// - `redis-cli`'s answers: `1) "key"`, `(integer) 1`, `(nil)`, `(empty array)`, `(error) ...`;
/// - a JSON member, `"status": "True",`, as a fragment of JSON is printed.
pub fn unmistakable_output_line(line: &str) -> bool {
    let trimmed = line.trim();
    if let Some(rest) = trimmed.strip_prefix("* ") {
        return rest
            .trim_start()
            .chars()
            .next()
            .is_some_and(char::is_alphabetic);
    }
    if let Some(rest) = trimmed
        .strip_prefix("> ")
        .or_else(|| trimmed.strip_prefix("< "))
    {
        return http_line(rest, trimmed.starts_with('>'));
    }
    if let Some((n, rest)) = trimmed.split_once(") ") {
        if !n.is_empty() && n.len() <= 6 && n.bytes().all(|b| b.is_ascii_digit()) {
            return rest.starts_with('"')
                || rest.starts_with('(')
                || rest.starts_with(char::is_numeric);
        }
    }
    const REDIS: &[&str] = &[
        "(integer) ",
        "(error) ",
        "(nil)",
        "(empty array)",
        "(empty list or set)",
    ];
    if REDIS.iter().any(|r| trimmed.starts_with(r)) {
        return true;
    }
    json_member(trimmed)
}

/// The text after curl's `> ` (a request) or `< ` (a response): a request line, a status line
/// or a header.
fn http_line(rest: &str, request: bool) -> bool {
    const METHODS: &[&str] = &[
        "GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS", "CONNECT",
    ];
    let mut words = rest.split_whitespace();
    let first = words.next().unwrap_or("");
    if request && METHODS.contains(&first) {
        return words.nth(1).is_some_and(|v| v.starts_with("HTTP/"));
    }
    if !request && first.starts_with("HTTP/") {
        return words
            .next()
            .is_some_and(|c| c.len() == 3 && c.bytes().all(|b| b.is_ascii_digit()));
    }
    // `Header-Name: value`
    first.len() > 1
        && first.ends_with(':')
        && first[..first.len() - 1]
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-')
        && first
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic())
}

/// JSON, YAML documents or HTML: data, not commands.
fn looks_like_data(body: &[BodyLine]) -> bool {
    let Some(first) = body.iter().map(|l| l.text.trim()).find(|t| !t.is_empty()) else {
        return false;
    };
    first == "{"
        || first == "["
        || first.starts_with("{\"")
        || first.starts_with("<!")
        || first.starts_with("<html")
        || first == "---"
        || first.starts_with("apiVersion:")
        || json_member(first)
        || opens_json(&body[body.iter().take_while(|l| l.text.trim().is_empty()).count()..])
}

fn first_line_is_output(body: &[BodyLine]) -> bool {
    body.iter()
        .map(|l| l.text.as_str())
        .find(|t| !t.trim().is_empty())
        .is_some_and(looks_like_output_line)
}

/// A line no one types at a shell: a column header (`NAME      READY   STATUS`), `Key  : value`,
/// box drawing or check marks.
pub fn looks_like_output_line(line: &str) -> bool {
    let trimmed = line.trim();
    if trimmed.is_empty() {
        return false;
    }
    if unmistakable_output_line(trimmed) {
        return true;
    }
    if trimmed.starts_with(['└', '├', '│', '√', '✔', '×', '✖', '‼']) {
        return true;
    }
    // A Prometheus sample: `metric_name{label="value"} 1` or `metric_name{` alone.
    if let Some((name, rest)) = trimmed.split_once('{') {
        let metric = !name.is_empty()
            && name.contains('_')
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':');
        if metric && (rest.is_empty() || rest.contains("=\"")) {
            return true;
        }
    }
    // Two or more upper-case words, each followed by at least two blanks: a table header.
    let words: Vec<&str> = trimmed.split("  ").filter(|w| !w.is_empty()).collect();
    let header = words.len() >= 2
        && words.iter().all(|w| {
            let w = w.trim();
            !w.is_empty()
                && w.chars().any(|c| c.is_ascii_uppercase())
                && w.chars()
                    .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || " _-()%/.".contains(c))
        });
    if header {
        return true;
    }
    // `Entry ID      : ac5e...`: a label padded to a colon.
    // `Status:`, `Name:         web`: a describe's fields.
    if let Some((label, _)) = trimmed.split_once(':') {
        let describe = !label.is_empty()
            && label.len() <= 40
            && label.chars().next().is_some_and(|c| c.is_ascii_uppercase())
            && label.chars().all(|c| c.is_ascii_alphanumeric() || c == ' ')
            && (trimmed.len() == label.len() + 1 || trimmed[label.len() + 1..].starts_with(' '));
        if describe {
            return true;
        }
    }
    if let Some((label, _)) = trimmed
        .split_once(" : ")
        .or_else(|| trimmed.split_once("  :"))
    {
        let label = label.trim();
        return !label.is_empty()
            && label.len() <= 40
            && label
                .chars()
                .all(|c| c.is_alphanumeric() || c == ' ' || c == '-')
            && label.chars().next().is_some_and(char::is_uppercase);
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::doc::{BlockForm, Dialect};
    use crate::source::Span;

    fn block(syntax: &str, body: &str, lead: &str) -> TextBlock {
        TextBlock {
            form: BlockForm::Fenced,
            line: 1,
            end_line: 1 + body.lines().count() + 1,
            span: Span::default(),
            indent: String::new(),
            syntax: syntax.to_owned(),
            output_syntax: None,
            snip_id: None,
            body: body
                .lines()
                .enumerate()
                .map(|(i, l)| BodyLine {
                    line: i + 2,
                    text: l.to_owned(),
                })
                .collect(),
            commented: false,
            tab: None,
            no_copy: false,
            file: None,
            title: None,
            lead: lead.to_owned(),
            wrapper: None,
            hidden: None,
            tags: Vec::new(),
        }
    }

    fn commands(reading: &Reading) -> Vec<&str> {
        match reading {
            Reading::Commands(segments) => segments
                .iter()
                .flat_map(|s| s.commands.iter().map(|c| c.text.as_str()))
                .collect(),
            _ => Vec::new(),
        }
    }

    #[test]
    fn a_script_is_commands_and_compound_commands_stay_whole() {
        let b = block(
            "bash",
            "# first, the CRDs\nlinkerd install --crds \\\n  | kubectl apply -f -\n\nfor ctx in west east; do\n  linkerd --context=${ctx} check || break\ndone\n",
            "",
        );
        let r = read_shell(&b, Dialect::Hugo);
        assert_eq!(
            commands(&r),
            vec![
                "linkerd install --crds \\\n  | kubectl apply -f -",
                "for ctx in west east; do\n  linkerd --context=${ctx} check || break\ndone"
            ]
        );
    }

    #[test]
    fn pipes_if_case_and_heredocs_go_on() {
        let b = block(
            "sh",
            "kubectl get pods |\n  grep web\nif true; then\n  echo a\nfi\ncase $x in\n  a) echo a ;;\nesac\ncat <<EOF > f\nkind: X\nEOF\necho done\n",
            "",
        );
        assert_eq!(
            commands(&read_shell(&b, Dialect::Markdown)),
            vec![
                "kubectl get pods |\n  grep web",
                "if true; then\n  echo a\nfi",
                "case $x in\n  a) echo a ;;\nesac",
                "cat <<EOF > f\nkind: X\nEOF",
                "echo done"
            ]
        );
    }

    #[test]
    fn transcripts_split_by_their_own_prompt() {
        let angle = block(
            "console",
            "> linkerd --context west multicluster install \\\n>   --set a=b |\n>   kubectl apply -f -\n> linkerd check\nok\n",
            "",
        );
        let Reading::Commands(segments) = read_shell(&angle, Dialect::Hugo) else {
            panic!("a transcript")
        };
        assert_eq!(
            segments[0].commands[0].text,
            "linkerd --context west multicluster install \\\n  --set a=b |\n  kubectl apply -f -"
        );
        assert_eq!(segments[0].commands[1].text, "linkerd check");
        assert_eq!(segments[0].expected.as_ref().unwrap().text, "ok\n");
        let spaced = block("console", "$ kubectl get pods\n\nNAME   READY\n", "");
        let Reading::Commands(segments) = read_shell(&spaced, Dialect::Markdown) else {
            panic!("a transcript")
        };
        let expected = segments[0].expected.as_ref().unwrap();
        assert_eq!(
            (expected.text.as_str(), expected.line),
            ("NAME   READY\n", 4)
        );
        let dollar = block("bash", "$ kubectl auth can-i create x\nyes\n", "");
        assert_eq!(
            commands(&read_shell(&dollar, Dialect::Hugo)),
            vec!["kubectl auth can-i create x"]
        );
    }

    #[test]
    fn a_comment_is_not_a_root_prompt() {
        let b = block(
            "console",
            "# Export our cert\nkubectl get secret x > ca.pem\n\n# Look at it\nopenssl x509 -in ca.pem\n",
            "As such, we'll export our Root CA.",
        );
        assert_eq!(
            commands(&read_shell(&b, Dialect::Markdown)),
            vec!["kubectl get secret x > ca.pem", "openssl x509 -in ca.pem"]
        );
    }

    #[test]
    fn output_pasted_after_a_command_is_its_output() {
        let b = block(
            "bash",
            "linkerd viz stat-outbound deploy/webapp\nNAME    SERVICE       ROUTE      TYPE\nwebapp  books:7002    [default]\n",
            "",
        );
        let Reading::Commands(segments) = read_shell(&b, Dialect::Hugo) else {
            panic!("commands")
        };
        assert_eq!(segments[0].commands.len(), 1);
        assert_eq!(segments[0].expected.as_ref().unwrap().line, 3);
        let reading = read_shell(&b, Dialect::Hugo);
        assert_eq!(pasted_output_line(&b, Dialect::Hugo, &reading), Some(3));
    }

    #[test]
    fn flags_alone_are_a_fragment() {
        let b = block("bash", "--cluster-resource-namespace=my-namespace\n", "");
        assert!(matches!(
            read_shell(&b, Dialect::Markdown),
            Reading::Fragment(_)
        ));
    }

    #[test]
    fn istio_keeps_reading_a_fence_without_prompt_as_output() {
        let b = block("bash", "kubectl get pods\n", "");
        assert!(matches!(read_shell(&b, Dialect::Istio), Reading::Output(_)));
    }

    #[test]
    fn output_blocks_by_syntax_marker_and_prose() {
        let cases = [
            (block("text", "NAME READY\n", ""), true),
            (block("", "anything\n", ""), true),
            (
                block("console", "Status:\n  Acme:\n", "Example output"),
                true,
            ),
            (block("terminal", "Containers:\n    ...\n", ""), true),
            (block("console", "kubectl get pods\n", ""), false),
            (
                block(
                    "bash",
                    "linkerd-init linkerd-proxy\n",
                    "If everything was successful, you'll see `linkerd-proxy` in the output, e.g.:",
                ),
                true,
            ),
            (
                block("bash", "kubectl logs x\n", "To check the output, run:"),
                false,
            ),
            (
                block("bash", "{\n  \"a\": 1\n}\n", "It returns JSON like:"),
                true,
            ),
            (block("bash", "kubectl get pods\n", "Then run:"), false),
            (
                block(
                    "bash",
                    "glooctl add route --path-prefix=/\n",
                    "Now simply add a route to the upstream, e.g.:",
                ),
                false,
            ),
            (
                block(
                    "bash",
                    "export IP_ADDRESS=192.0.2.100\n",
                    "Then, copy the output and save it into an environment variable:",
                ),
                false,
            ),
            (block("yaml", "a: 1\n", "The output is:"), false),
        ];
        for (b, expected) in cases {
            assert_eq!(
                is_output_block(&b, Dialect::Hugo),
                expected,
                "{} {:?} after {:?}",
                b.syntax,
                b.body[0].text,
                b.lead
            );
        }
        let mut marked = block("bash", "x\n", "");
        marked.no_copy = true;
        assert!(is_output_block(&marked, Dialect::Mkdocs));
        assert!(!is_output_block(&block("text", "x\n", ""), Dialect::Istio));
    }

    #[test]
    fn output_lines_and_command_lines() {
        for line in [
            "NAME    SERVICE       ROUTE      TYPE",
            "Entry ID      : ac5e2354",
            "    └──────────────────►  books:7002",
            "√ can initialize the client",
            "outbound_http_route_request_statuses_total{",
            "request_total{pod=\"web-1\", namespace=\"demo\"} 12",
        ] {
            assert!(looks_like_output_line(line), "{line}");
        }
        for line in [
            "SPIRE-server entry create -parentID x",
            "kubectl get pods",
            "NAME=foo",
            "export CTX=west",
            "echo {a,b}",
        ] {
            assert!(!looks_like_output_line(line), "{line}");
        }
    }

    #[test]
    fn lines_only_a_program_prints() {
        for line in [
            "*   Trying 192.0.2.10:80...",
            "* Connected to example.org (192.0.2.10) port 80",
            "> GET /status HTTP/1.1",
            "> Host: example.org",
            "< HTTP/2 404",
            "< content-type: text/plain",
            "1) \"queue:jobs\"",
            "(integer) 42",
            "(nil)",
            "  \"phase\": \"Running\",",
        ] {
            assert!(unmistakable_output_line(line), "{line}");
        }
        for line in [
            "> out.txt",
            "< input.txt wc -l",
            "1) echo one ;;",
            "* ",
            "echo \"a\": b",
            "kubectl get pods",
        ] {
            assert!(!unmistakable_output_line(line), "{line}");
        }
    }

    #[test]
    fn a_shell_fence_of_output_is_output_and_output_pasted_after_a_command_is_found() {
        let exchange = block(
            "bash",
            "> POST /orders HTTP/1.1\n> Host: shop\n>\n< HTTP/1.1 201 Created\n",
            "",
        );
        assert_eq!(transcript_prompt(&exchange.body), None);
        assert!(matches!(
            read_shell(&exchange, Dialect::Hugo),
            Reading::Output(_)
        ));
        let answers = block("sh", "1) \"queue:jobs\"\n2) \"queue:mail\"\n", "");
        assert!(matches!(
            read_shell(&answers, Dialect::Mkdocs),
            Reading::Output(_)
        ));
        let json = block(
            "bash",
            "kvctl get config -o json\n{\n  \"replicas\": 3\n}\n",
            "",
        );
        let Reading::Commands(segments) = read_shell(&json, Dialect::Markdown) else {
            panic!("commands")
        };
        assert_eq!(segments[0].commands.len(), 1);
        assert_eq!(segments[0].expected.as_ref().unwrap().line, 3);
        // A heredoc's JSON is the command's own text, not output.
        let heredoc = block(
            "bash",
            "cat <<EOF > policy.json\n{\n  \"Version\": \"1\"\n}\nEOF\nkvctl apply policy.json\n",
            "",
        );
        assert_eq!(
            commands(&read_shell(&heredoc, Dialect::Markdown)).len(),
            2,
            "{:?}",
            read_shell(&heredoc, Dialect::Markdown)
        );
    }

    #[test]
    fn prose_that_asks_to_edit_introduces_text_to_write() {
        for prose in [
            "Replace the label selector with the label of your service:",
            "Then add the following to `values.yaml`:",
            "Change the `replicas` field to:",
        ] {
            assert!(asks_to_edit(prose), "{prose}");
        }
        for prose in [
            "The output is similar to:",
            "Update the chart. The output shows the new revision:",
            "You should see:",
            "Copy the output of the command:",
        ] {
            assert!(!asks_to_edit(prose), "{prose}");
        }
    }

    #[test]
    fn prose_that_announces_and_prose_that_asks() {
        let announces = [
            "You should see something like this:",
            "The result looks like:",
            "which returns:",
            "The field should have the default value of:",
            "After running the command, you should see:",
            "If it worked, the response is:",
        ];
        for lead in announces {
            assert!(
                is_output_block(&block("sh", "queue-7 ready\n", lead), Dialect::Hugo),
                "{lead}"
            );
        }
        let asks = [
            "Query the queue and check the result:",
            "Send a request and inspect the response:",
            "Then, copy the output and save it:",
            "To see the result, run:",
            "The qctl command will look like this:",
            "Check the output of the following command:",
        ];
        for lead in asks {
            assert!(
                !is_output_block(&block("sh", "qctl status\n", lead), Dialect::Hugo),
                "{lead}"
            );
        }
    }

    #[test]
    fn a_success_admonition_that_asks_to_verify_holds_commands() {
        let mut verify = block("bash", "qctl status\n", "");
        verify.wrapper = Some(Box::new(Wrapper::Admonition {
            kind: "success".to_owned(),
            title: "Verify".to_owned(),
        }));
        assert!(!is_output_block(&verify, Dialect::Mkdocs));
        assert_eq!(
            commands(&read_shell(&verify, Dialect::Mkdocs)),
            vec!["qctl status"]
        );
        let mut expected = block("bash", "queue-7 ready\n", "");
        expected.wrapper = Some(Box::new(Wrapper::Admonition {
            kind: "success".to_owned(),
            title: "Expected output".to_owned(),
        }));
        assert!(is_output_block(&expected, Dialect::Mkdocs));
        let mut untitled = block("text", "queue-7 ready\n", "");
        untitled.wrapper = Some(Box::new(Wrapper::Admonition {
            kind: "success".to_owned(),
            title: String::new(),
        }));
        assert!(is_output_block(&untitled, Dialect::Mkdocs));
    }

    #[test]
    fn a_block_right_after_a_command_with_no_prose_between() {
        let bare = [
            (block("console", "queue-7 ready\n", ""), true),
            (block("bash", "Queue: ready\n", ""), true),
            (block("bash", "200\n", ""), true),
            (block("bash", "qctl drain\n", ""), false),
            (block("bash", "kubectl get pods\n", ""), false),
            (block("console", "$ qctl drain\n", ""), false),
            (block("console", "queue-7 ready\n", "Now drain it:"), false),
        ];
        for (b, expected) in bare {
            assert_eq!(
                is_bare_output_after_command(&b, Dialect::Hugo),
                expected,
                "{} {:?} after {:?}",
                b.syntax,
                b.body[0].text,
                b.lead
            );
        }
    }
}
