//! `docrun lint`: static problems in guides, found without running anything.
//!
//! Each guide is parsed and made into a runbook as `docrun plan` makes it (overlay, site data
//! and boilerplates included); the rules then look at the document and at the steps a run would
//! take. A [`Finding`] names `file:line:column`, a [`Severity`], a stable rule id, a message and a
//! hint. The rules:
//!
//! | rule | severity | what |
//! |---|---|---|
//! | `parse` | error | the guide does not parse (front matter, shortcodes, unclosed blocks) |
//! | `overlay` | error | the overlay or the `runbook:` front matter is invalid |
//! | `no-command` | warning | istio.io: a shell block whose first line reads as a command but has no `$ ` prompt |
//! | `orphan-output` | warning | output in a shell block that follows no shell block, before any command; in other dialects, an output block with no command block before it |
//! | `pasted-output` | warning | other dialects: a command block with output pasted after its command (a reader who copies the block pastes the output into the shell) |
//! | `prompt-in-script` | warning | other dialects: a `bash`/`sh` block whose commands carry a `$ ` prompt but that shows no output (copying it copies the prompt) |
//! | `not-shell` | warning | a block that is not a shell block (`{{< text bask >}}`) starts with a `$ ` command |
//! | `exec-it` | error in `test: yes` guides, else warning | `kubectl exec -it` in a step a run takes |
//! | `hidden-characters` | error in `test: yes` guides, else warning | control, bidi or zero-width characters in a command |
//! | `step-id` | error | a step id that is not one plain file-name component (`[A-Za-z0-9_.-]`) |
//! | `undefined-var` | warning | `$VAR` used before any step, the variable table or the overlay defines it |
//! | `placeholder` | error | a `<placeholder>` in a step of a `test: yes` guide with no declared variable |
//! | `bash-syntax` | error (warning for a heredoc without its end) | `bash -n` rejects a step |
//! | `duplicate-snip-id` | error | two blocks with the same `snip_id=` |
//! | `duplicate-anchor` | error | two headings with the same explicit `{#anchor}` |
//! | `lint-comment` | warning | a `docrun lint off:`/`on:` comment names a rule docrun does not have (see [`switch`]) |
//! | `tree` | warning (error for a folder that cannot be listed) | a `*.md` entry that is not read: a FIFO, socket or device, a symlink out of the tree or to something not a regular file, a file over 16 MiB |
//!
//! Besides reading the guides (and their overlays, site data and boilerplates), the only effect
//! is `bash-syntax`, which hands each guide's steps to `bash -n`: bash parses them and executes
//! nothing.

mod bash_syntax;
pub mod switch;

use std::collections::{HashMap, HashSet};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::{Arc, LazyLock};

use regex::Regex;
use serde::Serialize;

use crate::doc::{self, bash, Doc, Item, TestMode, TextBlock};
use crate::error::{Error, SourceError};
use crate::front::{ReadOptions, Reader};
use crate::runbook::subst::{self, Found};
use crate::runbook::{self, BuildOptions, Runbook, Step, StepKind};
use crate::site::SiteData;
use crate::source::Source;

/// How bad a finding is. Any error makes `docrun lint` exit 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        }
    }
}

/// One problem in a guide.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct Finding {
    pub file: PathBuf,
    /// 1-based.
    pub line: usize,
    /// 1-based, in characters.
    pub column: usize,
    pub severity: Severity,
    /// A stable id: `parse`, `exec-it`, `undefined-var`, ... (see the module documentation).
    pub rule: &'static str,
    pub message: String,
    /// What to do about it.
    pub hint: String,
}

/// The findings over all the guides under the paths given.
#[derive(Debug, Default)]
pub struct Report {
    /// By guide in the order they were linted; within a guide by line, column and rule.
    pub findings: Vec<Finding>,
    /// How many guides were read (those that do not parse included).
    pub guides: usize,
    /// Paths that do not exist or cannot be read.
    pub unreadable: Vec<Error>,
}

impl Report {
    pub fn errors(&self) -> usize {
        self.count(Severity::Error)
    }

    pub fn warnings(&self) -> usize {
        self.count(Severity::Warning)
    }

    fn count(&self, severity: Severity) -> usize {
        self.findings
            .iter()
            .filter(|f| f.severity == severity)
            .count()
    }

    /// `path:line:col: severity[rule]: message`, an indented hint, and a summary line.
    pub fn render_text(&self) -> String {
        let mut out = String::new();
        for f in &self.findings {
            let _ = writeln!(
                out,
                "{}:{}:{}: {}[{}]: {}\n  hint: {}",
                f.file.display(),
                f.line,
                f.column,
                f.severity.as_str(),
                f.rule,
                f.message,
                f.hint
            );
        }
        let plural = |n: usize, word: &str| format!("{n} {word}{}", if n == 1 { "" } else { "s" });
        let _ = writeln!(
            out,
            "{}, {} in {}",
            plural(self.errors(), "error"),
            plural(self.warnings(), "warning"),
            plural(self.guides, "guide")
        );
        out
    }

    /// The `docrun.lint/v1` JSON document.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "schema": "docrun.lint/v1",
            "findings": self.findings,
            "summary": {
                "errors": self.errors(),
                "warnings": self.warnings(),
                "guides": self.guides,
            },
        })
    }
}

/// Lints every guide under `paths`; see [`crate::tree`] for which files that is. A `*.md`
/// entry the walk does not read (a FIFO, a link out of the tree, a file over the limit) is a
/// `tree` warning, a folder that cannot be listed a `tree` error; the rest is linted.
///
/// The rules in `off` (the tree's `docrun.yaml`) and those a guide's comments turn off are not
/// reported (see [`switch`]).
pub fn run(paths: &[PathBuf], dialect: Option<crate::doc::Detected>, off: &[String]) -> Report {
    let crate::tree::Tree {
        files,
        skipped,
        unlisted,
        errors,
    } = crate::tree::walk(paths);
    let mut report = Report {
        unreadable: errors,
        ..Report::default()
    };
    report.findings.extend(skipped.iter().map(|entry| Finding {
        file: entry.path.clone(),
        line: 1,
        column: 1,
        severity: Severity::Warning,
        rule: "tree",
        message: format!("the entry {}; not read as a guide", entry.reason),
        hint: "a guide is a regular file of at most 16 MiB inside the tree; remove or rename the entry".to_owned(),
    }));
    report.findings.extend(unlisted.iter().map(|folder| {
        Finding {
            file: folder.path.clone(),
            line: 1,
            column: 1,
            severity: Severity::Error,
            rule: "tree",
            message: format!(
                "the folder cannot be listed ({}); its guides are not read",
                folder.source
            ),
            hint:
                "give the user running docrun read and search permission on the folder (chmod a+rx)"
                    .to_owned(),
        }
    }));
    let mut reader = match Reader::new(&ReadOptions {
        site_data: None,
        dialect,
    }) {
        Ok(reader) => reader,
        Err(err) => {
            report.unreadable.push(err);
            return report;
        }
    };
    // Site data that does not load is said once, and the guides are linted without it.
    let mut site_errors = HashSet::new();
    let no_includes = runbook::Includes::default();
    let mut seen = HashSet::new();
    // Each guide's findings, and the steps of each waiting for bash-syntax with its guide's index.
    // With the switches of the guide, for the bash-syntax findings that come at the end.
    let mut per_guide: Vec<(Vec<Finding>, switch::Switches)> = Vec::new();
    let mut pending = Vec::new();
    for path in files {
        let source = match crate::file::load(&path) {
            Ok(source) => source,
            Err(Error::Source(err)) => {
                report.guides += 1;
                per_guide.push((vec![parse_finding(&err)], switch::Switches::default()));
                continue;
            }
            Err(err) => {
                report.unreadable.push(err);
                continue;
            }
        };
        report.guides += 1;
        let dialect = reader.dialect(&path, source.text());
        if let Err(err) = reader.site(&path) {
            if site_errors.insert(err.to_string()) {
                report.unreadable.push(err);
            }
        }
        let (site, includes) = reader
            .site_and_includes(&path)
            .unwrap_or((None, &no_includes));
        let (switches, unknown) = switch::Switches::of(source.text(), off);
        let (mut findings, syntax) = lint_guide(source, dialect, site, Some(includes));
        findings.extend(unknown.into_iter().map(|(line, rule)| Finding {
            file: path.clone(),
            line,
            column: 1,
            severity: Severity::Warning,
            rule: "lint-comment",
            message: format!("the comment names `{rule}`, which is not a rule that can be turned off; it changes nothing"),
            hint: "the rules are listed in `docrun lint --help`; parse, overlay and tree cannot be turned off".to_owned(),
        }));
        findings.retain(|f| switches.keeps(f));
        // An include's parse error is found again when the include is linted itself.
        let findings = findings
            .into_iter()
            .filter(|f| seen.insert(f.clone()))
            .collect();
        per_guide.push((findings, switches));
        pending.extend(syntax.map(|s| (per_guide.len() - 1, s)));
    }
    // bash-syntax over the whole tree at once: one bash for many guides.
    let scripts: Vec<&bash_syntax::GuideScripts> = pending.iter().map(|(_, s)| s).collect();
    for (i, finding) in bash_syntax::check(&scripts) {
        let guide = pending[i].0;
        let (findings, switches) = &mut per_guide[guide];
        if switches.keeps(&finding) {
            findings.push(finding);
        }
    }
    for (mut findings, _) in per_guide {
        sort_findings(&mut findings);
        report.findings.extend(findings);
    }
    report
}

/// Lints one guide's text: every rule, findings sorted by line, column and rule.
/// `includes` shares the boilerplates read across the guides of a tree.
pub fn lint_source(
    source: Arc<Source>,
    dialect: crate::doc::Detected,
    site: Option<&SiteData>,
    includes: Option<&runbook::Includes>,
) -> Vec<Finding> {
    let (findings, syntax) = lint_guide(source, dialect, site, includes);
    with_syntax(findings, syntax)
}

/// Lints a parsed guide, with the runbook built from `options`.
pub fn lint_doc(doc: &Doc, options: BuildOptions<'_>) -> Vec<Finding> {
    let (findings, syntax) = lint_parsed(doc, options);
    with_syntax(findings, syntax)
}

/// `findings` and the bash-syntax findings of one guide's steps, sorted.
fn with_syntax(
    mut findings: Vec<Finding>,
    syntax: Option<bash_syntax::GuideScripts>,
) -> Vec<Finding> {
    if let Some(syntax) = syntax {
        findings.extend(bash_syntax::check(&[&syntax]).into_iter().map(|(_, f)| f));
        sort_findings(&mut findings);
    }
    findings
}

/// Every rule but bash-syntax, whose steps are returned to be checked with other guides'.
fn lint_guide(
    source: Arc<Source>,
    dialect: crate::doc::Detected,
    site: Option<&SiteData>,
    includes: Option<&runbook::Includes>,
) -> (Vec<Finding>, Option<bash_syntax::GuideScripts>) {
    let options = BuildOptions {
        site,
        overlay: None,
        includes,
    };
    match doc::parse_recovering(source, dialect) {
        Ok((doc, errors)) if errors.is_empty() => lint_parsed(&doc, options),
        // Every structural problem, then every rule on what the reader recovered (an unclosed
        // block runs to the end of the guide).
        Ok((doc, errors)) => {
            let (mut findings, syntax) = lint_parsed(&doc, options);
            findings.extend(errors.iter().map(parse_finding));
            sort_findings(&mut findings);
            findings.dedup();
            (findings, syntax)
        }
        Err(err) => (vec![parse_finding(&err)], None),
    }
}

/// Every rule but bash-syntax over a parsed guide, and the steps bash-syntax is to check.
fn lint_parsed(
    doc: &Doc,
    options: BuildOptions<'_>,
) -> (Vec<Finding>, Option<bash_syntax::GuideScripts>) {
    let mut lint = GuideLint::new(doc);
    lint.duplicate_anchors();
    lint.duplicate_snip_ids();
    lint.block_shapes();
    lint.unread();
    let mut syntax = None;
    match runbook::build(doc, options) {
        Ok(runbook) => {
            let own: Vec<&Step> = runbook
                .steps
                .iter()
                .filter(|s| s.runs && *s.file == *doc.path())
                .collect();
            lint.exec_it(&own);
            lint.hidden_characters(&own);
            lint.step_ids(&own);
            lint.undefined_vars(&runbook);
            if lint.tested {
                lint.placeholders(&runbook, &own);
            }
            syntax = Some(bash_syntax::GuideScripts::new(doc.source.clone(), &own));
        }
        Err(Error::Source(err)) => lint.findings.push(parse_finding(&err)),
        Err(err) => lint.findings.push(unlocated_finding(doc.path(), &err)),
    }
    let mut findings = lint.findings;
    sort_findings(&mut findings);
    (findings, syntax)
}

/// Findings by file, line, column and rule.
fn sort_findings(findings: &mut [Finding]) {
    findings.sort_by(|a, b| {
        (&a.file, a.line, a.column, a.rule).cmp(&(&b.file, b.line, b.column, b.rule))
    });
}

/// A located error as a finding: `overlay` for an overlay's, `parse` for the guide's.
fn parse_finding(err: &SourceError) -> Finding {
    let (line, column) = err.line_col();
    let overlay = err.kind().is_overlay();
    Finding {
        file: err.path().to_path_buf(),
        line,
        column,
        severity: Severity::Error,
        rule: if overlay { "overlay" } else { "parse" },
        message: err.kind().to_string(),
        hint: err.help.clone().unwrap_or_else(|| {
            if overlay {
                "see \"Overlays\" in the README for the keys it takes"
            } else {
                "fix the guide so that it reads as a guide"
            }
            .to_owned()
        }),
    }
}

/// An error that points at no line of a file: at the guide's first line.
fn unlocated_finding(guide: &Path, err: &Error) -> Finding {
    Finding {
        file: guide.to_path_buf(),
        line: 1,
        column: 1,
        severity: Severity::Error,
        rule: "overlay",
        message: err.to_string(),
        hint: "see \"Overlays\" in the README for the keys it takes".to_owned(),
    }
}

/// The rules over one guide, collecting findings.
struct GuideLint<'a> {
    doc: &'a Doc,
    /// `test: yes`: doc CI runs the guide unattended.
    tested: bool,
    findings: Vec<Finding>,
}

impl<'a> GuideLint<'a> {
    fn new(doc: &'a Doc) -> Self {
        GuideLint {
            doc,
            tested: doc.front_matter.test == TestMode::Yes,
            findings: Vec::new(),
        }
    }

    fn push(
        &mut self,
        (line, column): (usize, usize),
        severity: Severity,
        rule: &'static str,
        message: String,
        hint: impl Into<String>,
    ) {
        self.findings.push(Finding {
            file: self.doc.path().to_path_buf(),
            line,
            column,
            severity,
            rule,
            message,
            hint: hint.into(),
        });
    }

    /// Where `needle` is on a line; see [`column_of`].
    fn at(&self, line: usize, needle: &str) -> (usize, usize) {
        (line, column_of(&self.doc.source, line, needle))
    }

    fn duplicate_anchors(&mut self) {
        let anchors = self.doc.items.iter().filter_map(|item| match item {
            Item::Heading(h) => h.anchor.as_deref().map(|a| (a, h.line)),
            _ => None,
        });
        for (anchor, line, first) in repeated(anchors) {
            self.push(
                self.at(line, "{#"),
                Severity::Error,
                "duplicate-anchor",
                format!("anchor `#{anchor}` is already the anchor of the heading at line {first}"),
                "give this heading an anchor of its own: links to the anchor reach only the first heading, and step ids and overlays keyed on it mix the two sections",
            );
        }
    }

    fn duplicate_snip_ids(&mut self) {
        let ids = self.doc.blocks().filter_map(|block| {
            let id = block.snip_id.as_deref().filter(|id| *id != "none")?;
            Some((id, block.line))
        });
        for (id, line, first) in repeated(ids) {
            self.push(
                self.at(line, "snip_id"),
                Severity::Error,
                "duplicate-snip-id",
                format!("snip_id `{id}` is already the id of the block at line {first}"),
                "give each block its own snip_id: it names the step, and istio.io's snips.sh would define the same function twice",
            );
        }
    }

    /// `no-command`, `orphan-output` and `not-shell`: blocks whose shape says something was
    /// left out. A block shown as output is fine when it follows another shell block of its
    /// section (the output of that block's commands, shown apart).
    /// What the page renders that the reader left out (an MDX `<CodeBlock>` of an expression):
    /// a run does not have it.
    fn unread(&mut self) {
        let unread: Vec<&doc::Unread> = self
            .doc
            .items
            .iter()
            .filter_map(|item| match item {
                Item::Unread(u) => Some(u),
                _ => None,
            })
            .collect();
        for u in unread {
            self.push(
                self.at(u.line, "<"),
                Severity::Warning,
                "unread",
                format!("docrun does not read `{}`: {}; it is not a step", u.what, u.why),
                "import the code from a file (`import Script from '!!raw-loader!./script.sh'`, then `<CodeBlock language=\"bash\">{Script}</CodeBlock>`), or write it in a fence",
            );
        }
    }

    fn block_shapes(&mut self) {
        let mut previous: Option<&TextBlock> = None;
        for item in &self.doc.items {
            match item {
                Item::Heading(_) | Item::Table(_) => previous = None,
                Item::Block(block) => {
                    if !block.commented {
                        self.block_shape(block, previous);
                    }
                    previous = Some(block);
                }
                _ => {}
            }
        }
    }

    fn block_shape(&mut self, block: &TextBlock, previous: Option<&TextBlock>) {
        if block.syntax == doc::RECOVERED_SYNTAX {
            return;
        }
        let Some(first) = block.body.iter().find(|l| !l.text.trim().is_empty()) else {
            return;
        };
        let dialect = self.doc.dialect.dialect;
        if dialect.reads_scripts() {
            self.script_shape(block, previous, first.line);
            return;
        }
        let prompted = first.text.starts_with("$ ") || first.text == "$";
        if !block.is_shell() {
            if prompted && block.form == doc::BlockForm::Shortcode {
                let near = ["bash", "sh", "shell", "console"]
                    .into_iter()
                    .find(|s| strsim::levenshtein(&block.syntax, s) <= 2);
                self.push(
                    self.at(block.line, &block.syntax),
                    Severity::Warning,
                    "not-shell",
                    format!(
                        "this `{}` block starts with a `$ ` command, but `{}` is not a shell syntax: the command is shown, never run",
                        block.syntax, block.syntax
                    ),
                    match near {
                        Some(s) => format!("did you mean `{s}`? write `{{{{< text {s} >}}}}`"),
                        None => "write `{{< text bash >}}` if it is meant to run, or drop the `$ ` prompt if it is only shown".to_owned(),
                    },
                );
            }
            return;
        }
        if prompted {
            return;
        }
        let has_commands = bash::split(&block.body)
            .iter()
            .any(|s| !s.commands.is_empty());
        let at = self.at(first.line, "");
        if looks_like_command(&first.text) {
            self.push(
                at,
                Severity::Warning,
                "no-command",
                format!(
                    "`{}` reads as a command but has no `$ ` prompt: docrun takes it for expected output and never runs it",
                    first.text.trim()
                ),
                "start each command with `$ `; lines without it are the output the commands print",
            );
        } else if !previous.is_some_and(TextBlock::is_shell) {
            let message = if has_commands {
                "this shell block starts with output before its first `$ ` command, and no shell block comes before it: no command prints that output"
            } else {
                "this shell block has output but no `$ ` command, and no shell block comes before it: no command prints that output"
            };
            self.push(
                at,
                Severity::Warning,
                "orphan-output",
                message.to_owned(),
                "put the output after the `$ ` command that prints it, in the same block; if it is not output, give the block the syntax of what it shows (e.g. `{{< text plain >}}`)",
            );
        }
    }

    /// The shapes of blocks in dialects whose shell fences hold commands without prompts.
    fn script_shape(&mut self, block: &TextBlock, previous: Option<&TextBlock>, first: usize) {
        use crate::runbook::reading::{self, Reading};
        let dialect = self.doc.dialect.dialect;
        if !reading::is_shell(block, dialect) {
            return;
        }
        let follows_commands = previous.is_some_and(|p| {
            reading::is_shell(p, dialect)
                && matches!(reading::read_shell(p, dialect), Reading::Commands(_))
        });
        let read = reading::read_shell(block, dialect);
        if let Some(line) = reading::pasted_output_line(block, dialect, &read) {
            self.push(
                self.at(line, ""),
                Severity::Warning,
                "pasted-output",
                "output is pasted after the command in this block: a reader who copies the block pastes the output into the shell".to_owned(),
                "move the output to a block of its own after this one (```text), or mark the commands with `$ ` prompts",
            );
            return;
        }
        match read {
            Reading::Output(_) if !follows_commands => self.push(
                self.at(first, ""),
                Severity::Warning,
                "orphan-output",
                "this block shows output, but no command block comes before it: no command prints that output".to_owned(),
                "put the command that prints it in a block right before, or give the block the syntax of what it shows (```text)",
            ),
            Reading::Commands(segments)
                if matches!(block.syntax.as_str(), "bash" | "sh" | "shell" | "zsh")
                    && reading::transcript_prompt(&block.body).is_some()
                    && segments.iter().all(|s| s.expected.is_none()) =>
            {
                self.push(
                    self.at(first, "$"),
                    Severity::Warning,
                    "prompt-in-script",
                    "these commands carry a prompt but show no output: a reader who copies the block copies the prompt too".to_owned(),
                    "drop the prompts; on this site a shell block without prompts is commands to paste",
                );
            }
            _ => {}
        }
    }

    /// `kubectl exec -it` (`-ti`, `-i -t`, `--stdin --tty`) in a step a run takes.
    /// Control, bidi and zero-width characters in a command: the command shown (in the
    /// guide's page, in `plan`) is not the command that runs. An error in a tested guide.
    fn hidden_characters(&mut self, steps: &[&Step]) {
        let severity = if self.tested {
            Severity::Error
        } else {
            Severity::Warning
        };
        for command in steps.iter().flat_map(|s| &s.commands) {
            let Some(offset) = command.text.find(crate::visible::is_hidden) else {
                continue;
            };
            let line = command.line + command.text[..offset].matches('\n').count();
            let hidden = crate::visible::hidden_in(&command.text).join(", ");
            let line_start = command.text[..offset].rfind('\n').map_or(0, |n| n + 1);
            let column = command.text[line_start..offset].chars().count() + 1;
            self.push(
                (line, column),
                severity,
                "hidden-characters",
                format!(
                    "the command holds characters a reader does not see ({hidden}): a terminal or a page shows another command than the one that runs"
                ),
                "remove them; docrun shows them written out (`\\e`, `<U+202E>`) in plans and reports",
            );
        }
    }

    /// Step ids that are not one plain file-name component: docrun names files after steps
    /// (`--full-output`), and ids from an overlay are the guide's own words.
    fn step_ids(&mut self, steps: &[&Step]) {
        for step in steps {
            let plain = !step.id.is_empty()
                && step.id != "."
                && step.id != ".."
                && step
                    .id
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "_.-".contains(c));
            if plain {
                continue;
            }
            self.push(
                (step.line, 1),
                Severity::Error,
                "step-id",
                format!(
                    "step id `{}` is not made of letters, digits, `_`, `.` and `-`: it names files and appears in commands like `--only`",
                    crate::visible::visible(&step.id)
                ),
                "give the block or its section an id of plain characters (an anchor such as `{#install-istio}`, or the overlay's key)",
            );
        }
    }

    fn exec_it(&mut self, steps: &[&Step]) {
        let severity = if self.tested {
            Severity::Error
        } else {
            Severity::Warning
        };
        for command in steps.iter().flat_map(|s| &s.commands) {
            let Some((offset, flags)) = exec_it_at(&command.text) else {
                continue;
            };
            let line = command.line + command.text[..offset].matches('\n').count();
            self.push(
                self.at(line, &flags),
                severity,
                "exec-it",
                format!(
                    "`kubectl exec {flags}` asks for a terminal and keeps stdin open: a run has no terminal (and doc CI runs `test: yes` guides unattended), so the step hangs or fails"
                ),
                "drop `-i` and `-t` when a command follows `--`; a step that opens an interactive shell cannot run unattended: mark its block `snip_id=none`",
            );
        }
    }

    /// `$VAR` in a step a run takes that nothing defines before it: not an earlier step (one
    /// a run skips too, such as `export CTX=<your context>` marked `snip_id=none` or the other
    /// tab of a tabset: the reader runs it), the variable table, the overlay, nor the shell
    /// itself. One finding per name.
    fn undefined_vars(&mut self, runbook: &Runbook) {
        let commands = |s: &&Step| s.kind == StepKind::Command;
        let mut defined: HashSet<String> = runbook
            .vars
            .iter()
            .filter(|v| v.declared_by.iter().any(|d| d.is_explicit()))
            .map(|v| v.name.clone())
            .collect();
        // Where each name is set at all, to say so when it is set too late.
        let mut set_at: HashMap<String, usize> = HashMap::new();
        for step in runbook.steps.iter().filter(commands) {
            for command in &step.commands {
                for (offset, name) in runbook::assignments(&command.text) {
                    let line = command.line + command.text[..offset].matches('\n').count();
                    set_at.entry(name).or_insert(line);
                }
            }
        }
        let mut reported = HashSet::new();
        for step in runbook.steps.iter().filter(commands) {
            let checked = step.runs && *step.file == *self.doc.path();
            for command in &step.commands {
                let assigned = runbook::assignments(&command.text);
                for occ in subst::scan(&command.text) {
                    let Found::VarRef(name) = &occ.found else {
                        continue;
                    };
                    let set_before = assigned
                        .iter()
                        .any(|(at, n)| n == name && *at < occ.range.start);
                    if !checked
                        || defined.contains(name)
                        || set_before
                        || runbook::is_environment_name(name)
                        || !reported.insert(name.clone())
                    {
                        continue;
                    }
                    let line = command.line + command.text[..occ.range.start].matches('\n').count();
                    let later = match set_at.get(name) {
                        Some(set) => format!(" (a step sets it later, at line {set})"),
                        None => String::new(),
                    };
                    let (heredoc, hint) = if occ.context == subst::Context::HeredocExpanding {
                        (
                            ", in a heredoc whose delimiter is not quoted, so the shell expands it when the step runs",
                            "if the text is meant for another shell or a file (`$` kept as written), quote the delimiter: `<<'EOF'`; "
                        )
                    } else {
                        ("", "")
                    };
                    self.push(
                        self.at(line, &command.text[occ.range.clone()]),
                        Severity::Warning,
                        "undefined-var",
                        format!(
                            "`${name}` is used before any step, the variable table or the overlay defines it{later}{heredoc}; a run takes it from the environment, and `docrun plan` lists it as a variable the reader must set"
                        ),
                        format!(
                            "{hint}if the reader is meant to set it, list `{name}` in the guide's `Variable | Description` table or the overlay's `vars:`; otherwise set it in an earlier step"
                        ),
                    );
                }
                defined.extend(assigned.into_iter().map(|(_, n)| n));
            }
        }
    }

    /// A `<placeholder>` in a step of a `test: yes` guide whose variable neither the table
    /// nor the overlay declares: doc CI has no value for it. One finding per variable.
    fn placeholders(&mut self, runbook: &Runbook, steps: &[&Step]) {
        let mut reported = HashSet::new();
        for command in steps.iter().flat_map(|s| &s.commands) {
            for occ in subst::scan(&command.text) {
                let Found::Placeholder(text) = &occ.found else {
                    continue;
                };
                let before = &command.text[..occ.range.start];
                let (name, _) = runbook::placeholder_var(before, text, &runbook.vars);
                let declared = runbook
                    .var(&name)
                    .is_some_and(|v| v.declared_by.iter().any(|d| d.is_explicit()));
                if declared || !reported.insert(name.clone()) {
                    continue;
                }
                let line = command.line + before.matches('\n').count();
                self.push(
                    self.at(line, &format!("<{text}>")),
                    Severity::Error,
                    "placeholder",
                    format!(
                        "placeholder `<{text}>` is left in a step of a tested guide (`test: yes`), and no variable table row or overlay declares `{name}` for it: doc CI has no value to put here"
                    ),
                    format!(
                        "declare `{name}` in the guide's `Variable | Description` table or in the overlay's `vars:` (with a default for CI), or mark the block `snip_id=none` if it is not meant to run"
                    ),
                );
            }
        }
    }
}

/// The 1-based column of `needle` on a 1-based line of `source`, or of the line's first
/// non-blank character when the line does not hold it (commands are compared after value
/// shortcodes are rendered).
fn column_of(source: &Source, line: usize, needle: &str) -> usize {
    let text = source.text();
    let rest = &text[source.line_start(line)..];
    let text = &rest[..rest.find('\n').unwrap_or(rest.len())];
    let byte = (!needle.is_empty())
        .then(|| text.find(needle))
        .flatten()
        .unwrap_or(text.len() - text.trim_start().len());
    text[..byte].chars().count() + 1
}

/// The first words of lines that are commands, not output.
const COMMAND_WORDS: &[&str] = &[
    "kubectl", "istioctl", "helm", "curl", "kind", "docker", "export", "cat", "echo", "for",
    "while", "if", "cd", "git", "make", "sed", "awk", "grep", "go", "minikube", "gcloud", "aws",
    "az", "openssl", "mkdir", "rm", "cp", "mv", "source", "wget", "chmod", "tar", "unset", "sleep",
    "watch", "bash", "sh", "ln", "touch", "printf", "kubectx",
];

/// Whether a line without a prompt reads as a command someone forgot to prompt.
fn looks_like_command(line: &str) -> bool {
    let line = line.trim();
    let word = line.split_whitespace().next().unwrap_or("");
    COMMAND_WORDS.contains(&word) && line.len() > word.len()
}

/// The first `kubectl exec` with both `-i` and `-t`: the offset of the first of those flags in
/// the command, and the flags as written (`-it`, `-i -t`, ...).
fn exec_it_at(command: &str) -> Option<(usize, String)> {
    static EXEC: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"\bkubectl\s+(?:[^|;&\n]*?\s)?exec\s([^|;&\n]*)").unwrap());
    // A line continuation is a blank; replacing it keeps the offsets.
    let flat = command.replace("\\\n", "  ");
    for caps in EXEC.captures_iter(&flat) {
        let args = caps.get(1)?;
        let (mut stdin, mut tty) = (None, None);
        let mut flags = Vec::new();
        let mut pos = args.start();
        for word in args.as_str().split(' ') {
            let start = pos;
            pos += word.len() + 1;
            if word == "--" {
                break;
            }
            let (i, t) = match word {
                "--stdin" | "--stdin=true" => (true, false),
                "--tty" | "--tty=true" => (false, true),
                w if w.starts_with('-')
                    && !w.starts_with("--")
                    && w.len() > 1
                    && w[1..].chars().all(|c| c.is_ascii_alphabetic()) =>
                {
                    (w.contains('i'), w.contains('t'))
                }
                _ => (false, false),
            };
            if i || t {
                flags.push(word);
                stdin = stdin.or(i.then_some(start));
                tty = tty.or(t.then_some(start));
            }
        }
        if let (Some(i), Some(t)) = (stdin, tty) {
            return Some((i.min(t), flags.join(" ")));
        }
    }
    None
}

/// The names seen before, as (name, line, line of its first use), in order.
fn repeated<'a>(names: impl Iterator<Item = (&'a str, usize)>) -> Vec<(&'a str, usize, usize)> {
    let mut first: HashMap<&str, usize> = HashMap::new();
    let mut again = Vec::new();
    for (name, line) in names {
        match first.get(name) {
            Some(&at) => again.push((name, line, at)),
            None => {
                first.insert(name, line);
            }
        }
    }
    again
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lint(text: &str) -> Vec<Finding> {
        lint_source(
            Arc::new(Source::new("g.md", text)),
            crate::doc::dialect::from_text(text),
            None,
            None,
        )
    }

    /// Each finding as (rule, line, column).
    fn shape(text: &str) -> Vec<(&'static str, usize, usize)> {
        lint(text)
            .into_iter()
            .map(|f| (f.rule, f.line, f.column))
            .collect()
    }

    const TESTED: &str = "---\ntitle: T\ntest: yes\n---\n";
    const UNTESTED: &str = "---\ntitle: T\n---\n";

    #[test]
    fn a_clean_guide_has_no_findings() {
        let text = format!(
            "{TESTED}\n## A {{#a}}\n\n| Variable | Description |\n|---|---|\n| `CTX` | the context |\n\n{{{{< text bash >}}}}\n$ export CTX=<your context>\n$ kubectl --context=\"$CTX\" get pods\nNAME READY\n{{{{< /text >}}}}\n\n{{{{< text bash >}}}}\n$ for i in 1 2; do echo \"$i $HOME\"; done\n{{{{< /text >}}}}\n\nIt prints:\n\n{{{{< text plain >}}}}\n1\n{{{{< /text >}}}}\n"
        );
        assert_eq!(lint(&text), vec![]);
    }

    #[test]
    fn parse_errors_keep_the_parsers_location_and_hint() {
        let found = lint(&format!("{TESTED}\n{{{{< text bash >}}}}\n$ echo\n"));
        assert_eq!(found.len(), 1);
        assert_eq!(
            (found[0].rule, found[0].line, found[0].column),
            ("parse", 6, 1)
        );
        assert_eq!(found[0].severity, Severity::Error);
        assert!(found[0].message.contains("never closed"), "{found:?}");
        assert!(found[0].hint.contains("{{< /text >}}"), "{found:?}");
    }

    #[test]
    fn no_command_when_a_line_reads_as_a_command_without_a_prompt() {
        let text = format!(
            "{UNTESTED}\n{{{{< text bash >}}}}\nkubectl apply -f x.yaml\n{{{{< /text >}}}}\n"
        );
        assert_eq!(shape(&text), vec![("no-command", 6, 1)]);
        // Output shown in a block of its own after the command's block is fine.
        let text = format!("{UNTESTED}\n{{{{< text bash >}}}}\n$ kubectl get pods\n{{{{< /text >}}}}\n\nYou see:\n\n{{{{< text bash >}}}}\nNAME READY\n{{{{< /text >}}}}\n");
        assert_eq!(shape(&text), vec![]);
    }

    #[test]
    fn orphan_output_when_no_shell_block_comes_before() {
        let text = format!("{UNTESTED}\n## A\n\n{{{{< text bash >}}}}\n$ echo hi\n{{{{< /text >}}}}\n\n## B\n\n    {{{{< text bash >}}}}\n    NAME READY\n    {{{{< /text >}}}}\n");
        assert_eq!(shape(&text), vec![("orphan-output", 14, 5)]);
        let text =
            format!("{UNTESTED}\n{{{{< text bash >}}}}\nNAME\n$ echo hi\n{{{{< /text >}}}}\n");
        let found = lint(&text);
        assert_eq!(found.len(), 1);
        assert_eq!((found[0].rule, found[0].line), ("orphan-output", 6));
        assert!(found[0].message.contains("before its first"), "{found:?}");
    }

    #[test]
    fn not_shell_for_a_misspelt_syntax_with_a_command() {
        let text = format!("{UNTESTED}\n    {{{{< text bask >}}}}\n    $ istioctl install\n    {{{{< /text >}}}}\n\n{{{{< text yaml >}}}}\nkind: X\n{{{{< /text >}}}}\n");
        let found = lint(&text);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(
            (found[0].rule, found[0].line, found[0].column),
            ("not-shell", 5, 14)
        );
        assert!(found[0].hint.contains("did you mean `bash`"), "{found:?}");
    }

    #[test]
    fn exec_it_is_an_error_in_tested_guides_and_a_warning_elsewhere() {
        let body = "\n{{< text bash >}}\n$ kubectl exec deploy/curl -- true\n$ kubectl -n x exec -it deploy/curl -- sh\n$ kubectl exec deploy/curl -i -t -- sh\n$ kubectl exec \\\n    --stdin --tty pod -- sh\n$ kubectl exec pod -c c -- curl -i -t x\n{{< /text >}}\n";
        let found = lint(&format!("{TESTED}{body}"));
        let got: Vec<_> = found
            .iter()
            .map(|f| (f.rule, f.line, f.column, f.severity))
            .collect();
        assert_eq!(
            got,
            vec![
                ("exec-it", 8, 21, Severity::Error),
                ("exec-it", 9, 28, Severity::Error),
                ("exec-it", 11, 5, Severity::Error),
            ]
        );
        assert!(
            found[1].message.contains("`kubectl exec -i -t`"),
            "{found:?}"
        );
        let found = lint(&format!("{UNTESTED}{body}"));
        assert!(found.iter().all(|f| f.severity == Severity::Warning));
        assert_eq!(found.len(), 3);
        // A block a run does not take is not linted for it.
        let text = format!("{TESTED}\n{{{{< text syntax=bash snip_id=none >}}}}\n$ kubectl exec -it pod -- sh\n{{{{< /text >}}}}\n");
        assert_eq!(shape(&text), vec![]);
    }

    #[test]
    fn undefined_var_once_per_name_unless_defined_before() {
        let text = format!(
            "{UNTESTED}\n| Variable | Description |\n|---|---|\n| `CTX` | a context |\n\n{{{{< text bash >}}}}\n$ echo \"$CTX $HOME $LATER\"\n$ export A=1; echo $A ${{B}}\n$ echo $B\n{{{{< /text >}}}}\n\n{{{{< text bash >}}}}\n$ LATER=x\n$ read -r name; echo $name\n$ echo '$SINGLE'\n{{{{< /text >}}}}\n"
        );
        let found = lint(&text);
        let got: Vec<_> = found.iter().map(|f| (f.rule, f.line, f.column)).collect();
        assert_eq!(
            got,
            vec![("undefined-var", 10, 20), ("undefined-var", 11, 23)]
        );
        assert!(found[0].message.contains("`$LATER`"), "{found:?}");
        assert!(found[0].message.contains("later, at line 16"), "{found:?}");
        assert!(found[1].message.contains("`$B`"), "{found:?}");
        assert!(found.iter().all(|f| f.severity == Severity::Warning));
    }

    #[test]
    fn a_variable_set_in_a_block_a_run_skips_is_defined_for_the_reader() {
        let text = format!(
            "{UNTESTED}\n{{{{< text syntax=bash snip_id=none >}}}}\n$ export CTX=<your context>\n{{{{< /text >}}}}\n\n{{{{< tabset >}}}}\n{{{{< tab name=a >}}}}\nSet `HOST` as shown elsewhere.\n{{{{< /tab >}}}}\n{{{{< tab name=b >}}}}\n{{{{< text bash >}}}}\n$ export HOST=h\n{{{{< /text >}}}}\n{{{{< /tab >}}}}\n{{{{< /tabset >}}}}\n\n{{{{< text bash >}}}}\n$ kubectl --context=$CTX get pods -o $HOST\n{{{{< /text >}}}}\n"
        );
        assert_eq!(shape(&text), vec![]);
    }

    #[test]
    fn undefined_var_in_an_expanding_heredoc_says_how_to_keep_it_literal() {
        let text = format!(
            "{UNTESTED}\n{{{{< text bash >}}}}\n$ cat <<EOF > a.yaml\nrun: echo ${{CHECK}}\nEOF\n$ cat <<'EOF' > b.yaml\nrun: echo ${{KEPT}}\nEOF\n{{{{< /text >}}}}\n"
        );
        let found = lint(&text);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(
            (found[0].rule, found[0].line, found[0].column),
            ("undefined-var", 7, 11)
        );
        assert!(found[0].message.contains("`$CHECK`"), "{found:?}");
        assert!(found[0].hint.contains("<<'EOF'"), "{found:?}");
    }

    #[test]
    fn placeholder_without_a_declared_variable_in_a_tested_guide() {
        let body = "\n| Variable | Description |\n|---|---|\n| `CTX_CLUSTER1` | a context |\n\n{{< text bash >}}\n$ export CTX_CLUSTER1=<your cluster1 context>\n$ gcloud container clusters create --name <my-cluster-name> \\\n    --zone <zone>\n$ echo <my-cluster-name>\n{{< /text >}}\n";
        let got = shape(&format!("{TESTED}{body}"));
        assert_eq!(got, vec![("placeholder", 12, 43), ("placeholder", 13, 12)]);
        assert_eq!(shape(&format!("{UNTESTED}{body}")), vec![]);
    }

    #[test]
    fn a_declared_overlay_var_covers_a_placeholder() {
        let text = format!(
            "{TESTED}\n{{{{< text bash >}}}}\n$ echo <my-cluster-name>\n{{{{< /text >}}}}\n"
        );
        let doc = doc::parse(Arc::new(Source::new("g.md", &text))).unwrap();
        let overlay = runbook::overlay::read(
            "vars:\n  MY_CLUSTER_NAME: {default: c1}\n",
            Path::new("g.docrun.yaml"),
        )
        .unwrap();
        let options = |overlay| BuildOptions {
            site: None,
            overlay: Some(overlay),
            includes: None,
        };
        assert_eq!(lint_doc(&doc, options(overlay)), vec![]);
        let found = lint_doc(&doc, BuildOptions::default());
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].rule, "placeholder");
        let bad = runbook::overlay::read("steps:\n  nope_1: {}\n", Path::new("x")).unwrap();
        let found = lint_doc(&doc, options(bad));
        let at = (
            found[0].rule,
            found[0].file.as_path(),
            found[0].line,
            found[0].column,
        );
        assert_eq!(at, ("overlay", Path::new("x"), 2, 3), "{found:?}");
        assert!(found[0].message.contains("`nope_1`"), "{found:?}");
    }

    #[test]
    fn bash_syntax_names_the_step_and_the_guide_line() {
        let text = format!(
            "{UNTESTED}\n{{{{< text bash >}}}}\n$ for i in 1 2; do \\\n    echo $i; \\\n  done done\n{{{{< /text >}}}}\n\n{{{{< text bash >}}}}\n$ echo ok\n$ echo \"open\n  quote\n{{{{< /text >}}}}\n\n{{{{< text bash >}}}}\n$ export X=<your value> # comment only\n$ cat <<EOF\nbody\n{{{{< /text >}}}}\n"
        );
        let found = lint(&text);
        let got: Vec<_> = found
            .iter()
            .map(|f| (f.rule, f.line, f.column, f.severity))
            .collect();
        assert_eq!(
            got,
            vec![
                ("bash-syntax", 8, 3, Severity::Error),
                ("bash-syntax", 13, 8, Severity::Error),
                ("bash-syntax", 19, 7, Severity::Warning),
            ],
            "{found:#?}"
        );
        assert!(
            found[0].message.contains("unexpected token `done'"),
            "{found:?}"
        );
        assert!(found[1].message.contains("matching `\"'"), "{found:?}");
        assert!(found[2].message.contains("here-document"), "{found:?}");
    }

    #[test]
    fn a_tree_checked_in_one_bash_still_names_each_broken_guide() {
        let dir = tempfile::tempdir().unwrap();
        let good = format!("{UNTESTED}\n{{{{< text bash >}}}}\n$ for i in 1 2; do echo $i; done\n{{{{< /text >}}}}\n");
        let broken = format!(
            "{UNTESTED}\n{{{{< text bash >}}}}\n$ if true; then echo x; done\n{{{{< /text >}}}}\n"
        );
        // Quotes left open at the end are read alone, not in the shared bash.
        let open = format!("{UNTESTED}\n{{{{< text bash >}}}}\n$ echo \"open\n{{{{< /text >}}}}\n");
        for i in 0..40 {
            let text = match i {
                7 | 31 => &broken,
                20 => &open,
                _ => &good,
            };
            std::fs::write(dir.path().join(format!("g{i:02}.md")), text).unwrap();
        }
        let report = run(&[dir.path().to_path_buf()], None, &[]);
        let got: Vec<(String, &str, usize)> = report
            .findings
            .iter()
            .map(|f| {
                let file = f.file.file_name().unwrap().to_string_lossy().into_owned();
                (file, f.rule, f.line)
            })
            .collect();
        assert_eq!(
            got,
            vec![
                ("g07.md".to_owned(), "bash-syntax", 6),
                ("g20.md".to_owned(), "bash-syntax", 6),
                ("g31.md".to_owned(), "bash-syntax", 6),
            ],
            "{:#?}",
            report.findings
        );
    }

    #[test]
    fn duplicate_snip_ids_and_anchors_point_at_the_second() {
        let text = format!(
            "{UNTESTED}\n## One {{#one}}\n\n{{{{< text syntax=bash snip_id=a >}}}}\n$ echo\n{{{{< /text >}}}}\n\n## Two {{#one}}\n\n{{{{< text syntax=bash snip_id=a >}}}}\n$ echo\n{{{{< /text >}}}}\n\n{{{{< text syntax=bash snip_id=none >}}}}\n$ echo\n{{{{< /text >}}}}\n\n{{{{< text syntax=bash snip_id=none >}}}}\n$ echo\n{{{{< /text >}}}}\n"
        );
        let found = lint(&text);
        let got: Vec<_> = found.iter().map(|f| (f.rule, f.line, f.column)).collect();
        assert_eq!(
            got,
            vec![("duplicate-anchor", 11, 8), ("duplicate-snip-id", 13, 22)]
        );
        assert!(found[0].message.contains("line 5"), "{found:?}");
        assert!(found[1].message.contains("line 7"), "{found:?}");
    }

    #[test]
    fn exec_it_flags_are_read_from_the_exec_arguments_only() {
        let cases = [
            ("kubectl exec -it pod -- sh", Some((13, "-it"))),
            ("kubectl exec -ti pod -- sh", Some((13, "-ti"))),
            ("kubectl exec pod -i -t -- sh", Some((17, "-i -t"))),
            ("kubectl exec pod -- curl -it x", None),
            ("kubectl exec -i pod -- sh", None),
            ("kubectl get pods | grep -it x", None),
            ("kubectl -n ns exec -c c -it pod", Some((24, "-it"))),
        ];
        for (command, expected) in cases {
            let got = exec_it_at(command);
            let got = got.as_ref().map(|(o, f)| (*o, f.as_str()));
            assert_eq!(got, expected, "{command}");
        }
    }

    #[test]
    fn a_report_renders_text_and_json() {
        let report = Report {
            findings: lint(&format!("{UNTESTED}\n## A {{#a}}\n\n## B {{#a}}\n")),
            guides: 1,
            unreadable: Vec::new(),
        };
        assert_eq!(
            report.render_text(),
            "g.md:7:6: error[duplicate-anchor]: anchor `#a` is already the anchor of the heading at line 5\n  hint: give this heading an anchor of its own: links to the anchor reach only the first heading, and step ids and overlays keyed on it mix the two sections\n1 error, 0 warnings in 1 guide\n"
        );
        assert_eq!(report.errors(), 1);
        let json = report.to_json();
        assert_eq!(json["schema"], "docrun.lint/v1");
        assert_eq!(json["summary"]["errors"], 1);
        assert_eq!(json["findings"][0]["rule"], "duplicate-anchor");
        assert_eq!(json["findings"][0]["column"], 6);
        assert_eq!(json["findings"][0]["severity"], "error");
    }
}
