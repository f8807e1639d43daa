//! `docrun check`: the preflight of a guide. It runs every prerequisite check and, of the steps a
//! run would take as native checks, the checks that look once (never the waits, whose state the
//! guide's own steps create). It runs no command of the guide and writes to no cluster.
//!
//! Choosing the checks ([`groups`]) is pure, from a [`Plan`]; running them ([`run`]) is async
//! and goes through a [`Checker`].
//!
//! It also names the commands the guide's steps need and the machine lacks
//! ([`missing_commands`]), before any step runs: the first word of each simple command of each
//! step a run takes, unless it is a shell builtin or keyword, a function or alias the guide
//! defines, a path, or not known before the step runs. A missing command is `certain` only when
//! no earlier step could have put it there (a package manager, a `curl ... | sh`, a change of
//! `PATH`, a sourced file, a copy into a folder): otherwise it is a warning.

use std::collections::HashMap;
use std::path::PathBuf;
use std::time::Duration;

use futures::future::join_all;
use serde::Serialize;

use crate::check::{CheckResult, CheckSpec, CheckStatus};
use crate::checker::Checker;
use crate::plan::{Plan, RunsAs};

/// What a group of checks verifies.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum GroupKind {
    Prerequisite,
    Step,
}

/// The checks of one prerequisite, or the read-only native checks of one step.
#[derive(Debug, Clone, Serialize)]
pub struct Group {
    pub kind: GroupKind,
    /// The section anchor (empty when none).
    pub section: String,
    /// The step id, for a step.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub step: Option<String>,
    pub file: PathBuf,
    pub line: usize,
    /// What is required, in words (the prerequisite's text, or the step's first command).
    pub text: String,
    /// The checks, variables resolved.
    #[serde(skip)]
    pub checks: Vec<CheckSpec>,
    /// Their results, in the order of `checks` (filled by [`run`]).
    pub results: Vec<CheckResult>,
}

/// How many results passed, warned and failed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    pub passed: usize,
    pub warnings: usize,
    pub failed: usize,
}

impl Summary {
    pub fn of(groups: &[Group]) -> Summary {
        let mut s = Summary::default();
        for r in groups.iter().flat_map(|g| &g.results) {
            match r.status {
                CheckStatus::Passed => s.passed += 1,
                CheckStatus::Warning => s.warnings += 1,
                CheckStatus::Failed => s.failed += 1,
            }
        }
        s
    }

    pub fn total(&self) -> usize {
        self.passed + self.warnings + self.failed
    }
}

/// The checks a preflight runs, grouped: each prerequisite with checks, then each selected step
/// that runs as native checks and has checks that look once. Waits are left out.
pub fn groups(plan: &Plan) -> Vec<Group> {
    let mut groups: Vec<Group> = plan
        .prerequisites
        .iter()
        .filter(|p| !p.checks.is_empty())
        .map(|p| Group {
            kind: GroupKind::Prerequisite,
            section: p.section.clone(),
            step: None,
            file: plan.guide.clone(),
            line: p.line,
            text: p.text.clone(),
            checks: p.checks.clone(),
            results: Vec::new(),
        })
        .collect();
    for step in plan
        .steps
        .iter()
        .filter(|s| s.selected && s.runs_as == RunsAs::Native)
    {
        let checks: Vec<CheckSpec> = step
            .native
            .iter()
            .filter(|c| !c.is_wait())
            .cloned()
            .collect();
        if checks.is_empty() {
            continue;
        }
        groups.push(Group {
            kind: GroupKind::Step,
            section: step.section.clone(),
            step: Some(step.id.clone()),
            file: step.file.to_path_buf(),
            line: step.line,
            text: step.commands.first().cloned().unwrap_or_default(),
            checks,
            results: Vec::new(),
        });
    }
    groups
}

/// Runs the checks of every group concurrently, each distinct check once (a check two groups
/// share is shown in both), and fills in the results.
pub async fn run(checker: &Checker, groups: &mut [Group], wait: Duration) {
    let mut unique: Vec<&CheckSpec> = Vec::new();
    for check in groups.iter().flat_map(|g| &g.checks) {
        if !unique.contains(&check) {
            unique.push(check);
        }
    }
    let results = join_all(unique.iter().map(|c| checker.run(c, wait))).await;
    let by_check: HashMap<String, Vec<CheckResult>> =
        unique.iter().map(|c| key(c)).zip(results).collect();
    for group in groups.iter_mut() {
        group.results = group
            .checks
            .iter()
            .flat_map(|c| by_check.get(&key(c)).cloned().unwrap_or_default())
            .collect();
    }
}

fn key(check: &CheckSpec) -> String {
    serde_json::to_string(check).unwrap_or_default()
}

/// A command a step runs that is not on `PATH` before the run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MissingCommand {
    /// The program's name (`istioctl`).
    pub name: String,
    /// The first step that runs it.
    pub step: String,
    pub file: PathBuf,
    /// The guide's line of the command that runs it.
    pub line: usize,
    /// Where an earlier step may install it (or change `PATH`), in words; `None` when no
    /// earlier step could, so the step is bound to fail.
    pub maybe_installed_by: Option<String>,
}

impl MissingCommand {
    /// Whether no earlier step could provide the command: a run would fail at that step.
    pub fn certain(&self) -> bool {
        self.maybe_installed_by.is_none()
    }
}

impl std::fmt::Display for MissingCommand {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} is not on PATH (needed by step {} at {}:{})",
            crate::visible::visible(&self.name),
            crate::visible::visible(&self.step),
            self.file.display(),
            self.line
        )?;
        match &self.maybe_installed_by {
            Some(by) => write!(f, "; {by} may provide it"),
            None => write!(f, "; no step before it installs it"),
        }
    }
}

/// Before a run: says on stderr which commands the steps need and `PATH` lacks. One that no
/// earlier step may provide fails the preflight (exit 1, nothing runs); the others are
/// warnings, as docrun cannot tell whether the step before installs them.
pub fn commands_before_run(plan: &Plan, no_native: bool) -> Result<(), crate::error::Error> {
    let missing = missing_commands(plan, no_native, &on_path);
    for m in &missing {
        let level = if m.certain() { "error" } else { "warning" };
        eprintln!("{level}: {}", plan.mask(&m.to_string()));
    }
    let certain = missing.iter().filter(|m| m.certain()).count();
    if certain == 0 {
        return Ok(());
    }
    Err(crate::error::Error::Failed(format!(
        "preflight failed: {certain} command{} the guide needs {} not on PATH; no step ran\nhint: install {}, or give --no-preflight to run anyway",
        if certain == 1 { "" } else { "s" },
        if certain == 1 { "is" } else { "are" },
        if certain == 1 { "it" } else { "them" },
    )))
}

/// `docrun check`'s lines for the missing commands: `MISS` when no earlier step may provide
/// one (a run stops at its preflight), `WARN` otherwise; nothing when none is missing. They do
/// not change `check`'s exit status, which is about the clusters: the machine that checks is
/// not always the one that runs.
pub fn missing_text(missing: &[MissingCommand]) -> String {
    if missing.is_empty() {
        return String::new();
    }
    let mut out = String::from("\nCommands the steps need that are not on PATH:\n");
    for m in missing {
        let status = if m.certain() { "MISS" } else { "WARN" };
        out.push_str(&format!("  {status}  {m}\n"));
    }
    out
}

/// Shell builtins and reserved words: never looked up on `PATH`.
const SHELL_WORDS: &[&str] = &[
    "alias",
    "bg",
    "bind",
    "break",
    "builtin",
    "caller",
    "cd",
    "command",
    "compgen",
    "complete",
    "compopt",
    "continue",
    "declare",
    "dirs",
    "disown",
    "echo",
    "enable",
    "eval",
    "exec",
    "exit",
    "export",
    "false",
    "fc",
    "fg",
    "getopts",
    "hash",
    "help",
    "history",
    "jobs",
    "kill",
    "let",
    "local",
    "logout",
    "mapfile",
    "popd",
    "printf",
    "pushd",
    "pwd",
    "read",
    "readarray",
    "readonly",
    "return",
    "set",
    "shift",
    "shopt",
    "source",
    "suspend",
    "test",
    "times",
    "trap",
    "true",
    "type",
    "typeset",
    "ulimit",
    "umask",
    "unalias",
    "unset",
    "wait",
    ".",
    ":",
    "[",
    "[[",
    "]]",
    "]",
    "{",
    "}",
    "!",
    "coproc",
    "function",
    "select",
    "case",
    "esac",
    "for",
    "while",
    "until",
    "if",
    "then",
    "else",
    "elif",
    "fi",
    "do",
    "done",
    "in",
    "time",
    "((",
    "))",
];

/// Programs after which a later command may exist that did not before: package managers,
/// installers, and what puts a file in a folder of `PATH`.
const INSTALLERS: &[&str] = &[
    "apt", "apt-get", "yum", "dnf", "zypper", "pacman", "apk", "brew", "port", "snap", "nix-env",
    "nix", "pip", "pip3", "pipx", "npm", "yarn", "pnpm", "gem", "go", "cargo", "asdf", "mise",
    "install", "sudo", "cp", "mv", "ln", "chmod", "tar", "unzip", "make", "krew", "arkade",
];

/// The commands the steps a run takes need and `on_path` says are missing, each once, at the
/// first step that runs it. Steps that run as native checks are left out unless `no_native`.
pub fn missing_commands(
    plan: &Plan,
    no_native: bool,
    on_path: &dyn Fn(&str) -> bool,
) -> Vec<MissingCommand> {
    let steps: Vec<&crate::plan::PlanStep> = plan
        .steps
        .iter()
        .filter(|s| {
            s.selected
                && s.kind == crate::runbook::StepKind::Command
                && (no_native || s.runs_as != RunsAs::Native)
        })
        .collect();
    let defined = defined_names(steps.iter().flat_map(|s| &s.scripts));
    let mut found: Vec<MissingCommand> = Vec::new();
    let mut provider: Option<String> = None;
    for step in steps {
        let mut provides_here: Option<String> = None;
        for (i, script) in step.scripts.iter().enumerate() {
            let first_line = step.command_lines.get(i).copied().unwrap_or(step.line);
            for command in crate::doc::words::read(script, &|_| None) {
                let line = first_line + command.line;
                if provides_here.is_none() {
                    if let Some(why) = may_install(&command) {
                        provides_here = Some(format!(
                            "step {} at {}:{line} ({why})",
                            crate::visible::visible(&step.id),
                            step.file.display()
                        ));
                    }
                }
                if command.control.is_some() {
                    continue;
                }
                let Some(word) = command.words.first() else {
                    continue;
                };
                let name = word.text.as_str();
                let lookable = word.literal
                    && !name.is_empty()
                    && !name.contains(['/', '=', '(', ')', '*', '?', '$', '`', '\\', '\'', '"'])
                    && !name.chars().any(char::is_whitespace)
                    && !SHELL_WORDS.contains(&name)
                    && !defined.iter().any(|d| d == name);
                if !lookable || found.iter().any(|m| m.name == name) || on_path(name) {
                    continue;
                }
                found.push(MissingCommand {
                    name: name.to_owned(),
                    step: step.id.clone(),
                    file: step.file.to_path_buf(),
                    line,
                    maybe_installed_by: provider.clone().or_else(|| provides_here.clone()),
                });
            }
        }
        if provider.is_none() {
            provider = provides_here;
        }
    }
    found
}

/// Why `command` may make a program appear on `PATH`, if it may.
fn may_install(command: &crate::doc::words::SimpleCommand) -> Option<String> {
    if command.assignments.iter().any(|(name, _)| name == "PATH") {
        return Some("it sets PATH".to_owned());
    }
    let program = command.program()?;
    let args = command.args();
    if matches!(program, "export" | "declare" | "typeset" | "readonly")
        && args.iter().any(|a| a.text.starts_with("PATH="))
    {
        return Some("it sets PATH".to_owned());
    }
    if matches!(program, "source" | ".") {
        return Some(format!("it runs `{program}`"));
    }
    if command.piped && matches!(program, "sh" | "bash" | "zsh" | "dash") {
        return Some(format!("it pipes a script into {program}"));
    }
    if INSTALLERS.contains(&program) {
        return Some(format!("it runs {program}"));
    }
    None
}

/// Functions and aliases the guide's commands define (`name() {`, `function name`,
/// `alias name=`): their calls are not programs.
fn defined_names<'a>(scripts: impl Iterator<Item = &'a String>) -> Vec<String> {
    let mut names = Vec::new();
    for script in scripts {
        for line in script.lines() {
            let line = line.trim_start();
            let rest = line.strip_prefix("function ").map(str::trim_start);
            let name_end = |text: &str| {
                text.find(|c: char| !(c.is_alphanumeric() || matches!(c, '_' | '-' | ':' | '.')))
                    .unwrap_or(text.len())
            };
            if let Some(rest) = rest {
                let end = name_end(rest);
                if end > 0 {
                    names.push(rest[..end].to_owned());
                }
                continue;
            }
            if let Some(rest) = line.strip_prefix("alias ") {
                for def in rest.split_whitespace() {
                    if let Some((name, _)) = def.split_once('=') {
                        names.push(name.to_owned());
                    }
                }
                continue;
            }
            let end = name_end(line);
            if end > 0 && line[end..].trim_start().starts_with("()") {
                names.push(line[..end].to_owned());
            }
        }
    }
    names
}

/// Whether `name` is an executable file in a folder of docrun's `PATH`.
pub fn on_path(name: &str) -> bool {
    use std::os::unix::fs::PermissionsExt;
    let Some(path) = std::env::var_os("PATH") else {
        return false;
    };
    std::env::split_paths(&path).any(|dir| {
        std::fs::metadata(dir.join(name))
            .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::doc::Doc;
    use crate::plan::{self, Inputs, Selection};
    use crate::runbook::{self, BuildOptions};

    fn plan_of(guide: &str) -> Plan {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("g.md");
        std::fs::write(&path, guide).unwrap();
        let doc = Doc::load(&path).unwrap();
        let rb = runbook::build(&doc, BuildOptions::default()).unwrap();
        let inputs = Inputs::parse(&["CTX=c1".to_owned()], None).unwrap();
        let bindings = plan::bind(&rb, &inputs, &|_| None);
        plan::build(&rb, bindings, &Selection::default()).unwrap()
    }

    #[test]
    fn a_preflight_takes_prerequisites_and_the_looks_of_native_steps_not_waits() {
        let plan = plan_of(
            "---\ntitle: t\nrunbook:\n  steps:\n    deploy_1:\n      native:\n        - {check: kube.exists, context: $CTX, api-version: v1, kind: Namespace, name: sample}\n        - {check: kube.rollout, context: $CTX, namespace: sample, kind: Deployment, name: a}\n---\n\
             Variable | Description\n--- | ---\n`CTX` | the context of the cluster\n\n\
             ## Deploy {#deploy}\n\n{{< text bash >}}\n$ kubectl apply --context=\"${CTX}\" -f a.yaml\n{{< /text >}}\n\n\
             {{< text bash >}}\n$ kubectl rollout status deployment/a -n sample --context=\"${CTX}\"\n{{< /text >}}\n",
        );
        let groups = groups(&plan);
        let names: Vec<(GroupKind, Vec<&str>)> = groups
            .iter()
            .map(|g| (g.kind.clone(), g.checks.iter().map(|c| c.name()).collect()))
            .collect();
        assert_eq!(
            names,
            vec![
                (
                    GroupKind::Prerequisite,
                    vec!["kube.context", "kube.reachable"]
                ),
                (GroupKind::Step, vec!["kube.exists"]),
            ]
        );
        assert_eq!(groups[1].step.as_deref(), Some("deploy_1"));
        assert_eq!(
            groups[0].checks[0],
            CheckSpec::Context {
                context: "c1".into()
            }
        );
    }

    #[test]
    fn missing_commands_are_named_once_and_certain_only_when_nothing_before_installs_them() {
        let plan = plan_of(
            "# t\n\n## Use\n\n```bash\nmy_fn() { echo hi; }\nalias k=kubectl\nfor x in a b; do echo \"$x\"; done\nFOO=1 nosuch-one --flag | grep x\nmy_fn\nk get pods\n$(echo nosuch-two)\n./local-script\nnosuch-one again\n```\n\n             ## Install\n\n```bash\ncurl -sL https://example.com/get | sh -\nexport PATH=\"$PWD/bin:$PATH\"\nistioctl version\n```\n",
        );
        let found = missing_commands(&plan, false, &|name| {
            matches!(name, "grep" | "curl" | "sh" | "kubectl")
        });
        let got: Vec<(&str, usize, bool)> = found
            .iter()
            .map(|m| (m.name.as_str(), m.line, m.certain()))
            .collect();
        assert_eq!(got, [("nosuch-one", 9, true), ("istioctl", 22, false)]);
        let said = found[1].to_string();
        let step = &found[1].step;
        assert!(
            said.starts_with(&format!(
                "istioctl is not on PATH (needed by step {step} at "
            )),
            "{said}"
        );
        assert!(
            said.ends_with("g.md:20 (it pipes a script into sh) may provide it"),
            "{said}"
        );
    }
}
