//! The `bash-syntax` rule: `bash -n` over the steps a run sources.
//!
//! bash parses and executes nothing under `-n`, so a guide's text can do no harm here. Starting
//! a bash per guide is what costs on a tree of thousands of guides, so the steps of many guides
//! go to one bash, each step as a function, and only when bash has something to say is the batch
//! halved, down to one guide, whose steps are then checked one by one as a run sources them, so
//! that every finding names the right step and line. A clean tree takes one bash per
//! [`BATCH_BYTES`] of steps; each guide with a finding adds about log2 of its batch.

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::PathBuf;
use std::process::{Command as Process, Stdio};
use std::sync::{Arc, LazyLock, Once};

use regex::Regex;

use super::{column_of, Finding, Severity};
use crate::doc::bash;
use crate::runbook::subst::{self, Found};
use crate::runbook::Step;
use crate::source::Source;

/// About how many bytes of steps one bash reads at once.
const BATCH_BYTES: usize = 1 << 20;

/// The steps of one guide that a run sources, waiting for `bash -n`.
pub struct GuideScripts {
    file: PathBuf,
    source: Arc<Source>,
    scripts: Vec<StepScript>,
    /// The steps, read by docrun's own lexer, leave no quote, heredoc or compound command open:
    /// only then can they share a bash with other guides without hiding each other's errors.
    closed: bool,
}

impl GuideScripts {
    /// The steps of `steps`, all from the guide in `source`.
    pub fn new(source: Arc<Source>, steps: &[&Step]) -> Self {
        let scripts: Vec<StepScript> = steps.iter().map(|s| StepScript::new(s)).collect();
        let closed = scripts.iter().all(|s| bash::is_closed(&s.text));
        GuideScripts {
            file: source.path().to_path_buf(),
            source,
            scripts,
            closed,
        }
    }

    fn bytes(&self) -> usize {
        self.scripts.iter().map(|s| s.text.len() + 32).sum()
    }
}

/// The `bash-syntax` findings of the guides given, each with the index of its guide.
pub fn check(guides: &[&GuideScripts]) -> Vec<(usize, Finding)> {
    let mut findings = Vec::new();
    let mut batch: Vec<(usize, &GuideScripts)> = Vec::new();
    let mut bytes = 0;
    for (i, guide) in guides
        .iter()
        .enumerate()
        .filter(|(_, g)| !g.scripts.is_empty())
    {
        if !guide.closed {
            check_alone(i, guide, &mut findings);
            continue;
        }
        bytes += guide.bytes();
        batch.push((i, guide));
        if bytes >= BATCH_BYTES {
            check_batch(&batch, &mut findings);
            batch.clear();
            bytes = 0;
        }
    }
    check_batch(&batch, &mut findings);
    findings
}

/// One bash for the whole batch; halves of it when bash has something to say.
fn check_batch(batch: &[(usize, &GuideScripts)], findings: &mut Vec<(usize, Finding)>) {
    match batch {
        [] => {}
        [(i, guide)] => check_alone(*i, guide, findings),
        _ => {
            let mut whole = String::new();
            for (g, (_, guide)) in batch.iter().enumerate() {
                write_functions(&mut whole, &guide.scripts, &format!("{g}_"));
            }
            match bash_n(&whole) {
                Some(stderr) if !stderr.trim().is_empty() => {
                    let (left, right) = batch.split_at(batch.len() / 2);
                    check_batch(left, findings);
                    check_batch(right, findings);
                }
                _ => {}
            }
        }
    }
}

/// One guide: all its steps in one bash, then each step alone if bash has something to say.
fn check_alone(index: usize, guide: &GuideScripts, findings: &mut Vec<(usize, Finding)>) {
    let mut whole = String::new();
    write_functions(&mut whole, &guide.scripts, "");
    match bash_n(&whole) {
        Some(stderr) if !stderr.trim().is_empty() => {}
        _ => return,
    }
    for script in &guide.scripts {
        let Some(stderr) = bash_n(&script.text) else {
            return;
        };
        for diag in diagnostics(&stderr) {
            let line = script.guide_line(diag.line);
            let token = diag.token.as_deref().unwrap_or("");
            findings.push((index, Finding {
                file: guide.file.clone(),
                line,
                column: column_of(&guide.source, line, token),
                severity: diag.severity,
                rule: "bash-syntax",
                message: format!("bash -n: {}", diag.message),
                hint: if diag.severity == Severity::Error {
                    "bash stops reading the step here when a run sources it; look for an unclosed quote, bracket or `$(`, or a missing `fi`, `done` or `esac`"
                } else {
                    "end the heredoc with its delimiter on a line of its own, as the first thing on the line"
                }
                .to_owned(),
            }));
        }
    }
}

/// Each script as a function named by `prefix` and its index. `:` keeps a body of only
/// comments valid; the blank line ends a trailing `\`.
fn write_functions(out: &mut String, scripts: &[StepScript], prefix: &str) {
    for (i, script) in scripts.iter().enumerate() {
        let _ = write!(
            out,
            "__docrun_step_{prefix}{i}() {{\n:\n{}\n\n}}\n",
            script.text
        );
    }
}
/// One step as a run sources it: its commands one per line, placeholders filled with a word
/// (`export CTX=<your context>` is not a syntax error once the reader has filled it in).
struct StepScript {
    text: String,
    /// The guide line of each script line.
    lines: Vec<usize>,
}

impl StepScript {
    fn new(step: &Step) -> Self {
        let mut text = String::new();
        let mut lines = Vec::new();
        for command in &step.commands {
            let occurrences = subst::scan(&command.text);
            let filled = subst::substitute(&command.text, &occurrences, |occ| match occ.found {
                Found::Placeholder(_) => Some(("placeholder".to_owned(), "placeholder".to_owned())),
                Found::VarRef(_) | Found::ArithName(_) => None,
            })
            .unwrap_or_else(|_| command.text.clone());
            lines.extend((0..filled.split('\n').count()).map(|i| command.line + i));
            text.push_str(&filled);
            text.push('\n');
        }
        StepScript { text, lines }
    }

    /// The guide line of a 1-based script line; past the end (bash reports an unexpected end
    /// of file there), the step's last line.
    fn guide_line(&self, line: usize) -> usize {
        self.lines
            .get(line.saturating_sub(1))
            .or(self.lines.last())
            .copied()
            .unwrap_or(1)
    }
}

/// Runs `bash -n` on a script; its stderr, or `None` when bash cannot be started (the rule is
/// then skipped, with one note on stderr).
fn bash_n(script: &str) -> Option<String> {
    static MISSING: Once = Once::new();
    // From a file, not a pipe: bash reads a pipe a byte at a time, so as not to read past the
    // command it runs, and a megabyte of steps becomes a million reads.
    let mut file = match tempfile::Builder::new().prefix("docrun-lint-").tempfile() {
        Ok(file) => file,
        Err(err) => {
            MISSING.call_once(|| {
                eprintln!("warning: cannot write a temporary file ({err}); the bash-syntax rule is skipped")
            });
            return None;
        }
    };
    if file
        .write_all(script.as_bytes())
        .and_then(|()| file.flush())
        .is_err()
    {
        return None;
    }
    let (Some(dir), Some(name)) = (file.path().parent(), file.path().file_name()) else {
        return None;
    };
    let output = Process::new("bash")
        .args(["--norc", "--noprofile", "-O", "extglob", "-n"])
        .arg(name)
        .current_dir(dir)
        .env_remove("BASH_ENV")
        .env_remove("ENV")
        .env("LC_ALL", "C")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .output();
    match output {
        Ok(output) => Some(String::from_utf8_lossy(&output.stderr).into_owned()),
        Err(err) => {
            MISSING.call_once(|| {
                eprintln!("warning: cannot start bash ({err}); the bash-syntax rule is skipped")
            });
            None
        }
    }
}

/// One message of `bash -n`.
#[derive(Debug, PartialEq, Eq)]
struct Diagnostic {
    /// The script line it is about.
    line: usize,
    severity: Severity,
    message: String,
    /// The token bash complains about, to find its column.
    token: Option<String>,
}

/// Reads `bash -n` messages (`FILE: line N: message`). The line bash quotes after a
/// syntax error is left out; a heredoc ended by the end of the step is a warning, placed at
/// the heredoc's opening line.
fn diagnostics(stderr: &str) -> Vec<Diagnostic> {
    static LINE: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"^[^:\n]+: line (\d+): (.*)$").unwrap());
    static HEREDOC: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"^warning: here-document at line (\d+) ").unwrap());
    static TOKEN: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"unexpected token `(.+)'$|matching `(.)'$").unwrap());
    let mut found = Vec::new();
    for text in stderr.lines() {
        let Some(caps) = LINE.captures(text) else {
            continue;
        };
        let line: usize = caps[1].parse().unwrap_or(1);
        let message = caps[2].to_owned();
        if message.starts_with('`') && message.ends_with('\'') {
            continue;
        }
        if let Some(h) = HEREDOC.captures(&message) {
            found.push(Diagnostic {
                line: h[1].parse().unwrap_or(line),
                severity: Severity::Warning,
                message: message.trim_start_matches("warning: ").to_owned(),
                token: Some("<<".to_owned()),
            });
            continue;
        }
        let token = TOKEN
            .captures(&message)
            .and_then(|c| c.get(1).or(c.get(2)))
            .map(|m| m.as_str().to_owned())
            .filter(|t| t != "newline");
        found.push(Diagnostic {
            line,
            severity: Severity::Error,
            message,
            token,
        });
    }
    found
}
