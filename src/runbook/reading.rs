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
//!   box-drawing characters), the rest of the block is that command's output, pasted in; lint
//!   reports it.
//! - a fence whose commands are all flags (`--feature-gates=...`) is a fragment: shown, not run.
//! - an **output block** is not a step of its own but the expected output of the command block
//!   before it (see [`is_output_block`]).

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
        || matches!(block.wrapper, Some(Wrapper::CommandOutput { .. }))
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
    if matches!(block.wrapper, Some(Wrapper::CommandOutput { .. })) || looks_like_data(&block.body)
    {
        return Reading::Output(output_of(&block.body));
    }
    let transcript_syntax = TRANSCRIPT_SYNTAXES.contains(&block.syntax.as_str());
    if transcript_syntax && (announces_output(&block.lead) || first_line_is_output(&block.body)) {
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
    // Output pasted in after the first command: the rest of the block.
    let first_end = commands[0].line + commands[0].text.lines().count();
    let pasted = body
        .iter()
        .position(|l| l.line >= first_end && looks_like_output_line(&l.text));
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
pub fn transcript_prompt(body: &[BodyLine]) -> Option<Prompt> {
    let first = body
        .iter()
        .map(|l| l.text.as_str())
        .find(|t| !t.trim().is_empty() && !t.trim_start().starts_with('#'))?;
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
/// says output, holding no prompt; a shell fence qualifies only when the prose before it
/// announces output and its first line does not read as a command, or when it holds data
/// (JSON, YAML, HTML).
pub fn is_output_block(block: &TextBlock, dialect: Dialect) -> bool {
    if !dialect.reads_scripts() || transcript_prompt(&block.body).is_some() {
        return false;
    }
    let said = match &block.wrapper {
        Some(Wrapper::Admonition { kind, title }) => {
            announces_output(title) || kind == "success" || kind == "example"
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
            || announces_output(&block.lead)
            || first_line_is_output(&block.body);
    }
    if SCRIPT_SYNTAXES.contains(&syntax) {
        return looks_like_data(&block.body)
            || (announces_output_in_words(&block.lead)
                && !asks_to_run(&block.lead)
                && !first_line_is_command(&block.body));
    }
    false
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
pub(crate) fn first_line_is_command(body: &[BodyLine]) -> bool {
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
        .is_some_and(|(name, _)| crate::runbook::subst::is_var_name(name));
    assignment || COMMON_COMMANDS.contains(&word)
}

/// Prose that announces output: "The output is similar to:", "You should see", "Expected
/// output", "输出", or an example ("e.g.:"). Only its last sentence counts.
pub fn announces_output(prose: &str) -> bool {
    announces_output_in_words(prose) || last_sentence(prose).trim_end().ends_with("e.g.:")
}

/// Prose that says in words that output follows ("output", "you should see", "returns"); an
/// "e.g.:" alone does not, since it as often introduces an example command.
fn announces_output_in_words(prose: &str) -> bool {
    let last = last_sentence(prose).to_lowercase();
    const CUES: &[&str] = &[
        "output",
        "you should see",
        "you'll see",
        "you will see",
        "should see",
        "should look like",
        "should return",
        "similar to",
        "looks like",
        "look like",
        "returns",
        "will return",
        "result",
        "response",
        "输出",
        "结果",
    ];
    CUES.iter().any(|c| last.contains(c))
}

/// Prose that asks the reader to run something ("run:", "by running", "the command").
fn asks_to_run(prose: &str) -> bool {
    let last = last_sentence(prose).to_lowercase();
    ["run ", "run:", "running", "execute", "command", "type "]
        .iter()
        .any(|w| last.contains(w))
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
            opener: format!("```{syntax}"),
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
}
