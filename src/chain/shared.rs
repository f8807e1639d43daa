//! `docrun test --with-prereqs`: prerequisites that several guides of a shard share run once,
//! and those guides continue from a fork of their state.
//!
//! Guides share a prerequisite run when the steps before their own are the same (same guides,
//! same parts, same commands after substitution): the chain's prefix. The prefix runs once in
//! its own session and directory; its state is read at the end (`export -p` and `pwd` through
//! the session's protocol). Each dependent then starts a fresh session in a copy of that
//! directory, with the exported variables re-applied and the working directory moved into the
//! copy, and runs its own steps.
//!
//! What the fork carries: exported variables, the working directory and the files under the
//! prefix's directory. What it does not: shell variables that were not exported, functions,
//! aliases and `set` options, background processes the prerequisite started, files it wrote
//! elsewhere (`/tmp`, `$HOME`), and cluster state, which is shared by nature (every dependent
//! sees the same clusters). A failed prefix skips its dependents, each step with that reason.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use futures::stream::{self, StreamExt};

use crate::error::Error;
use crate::exec::runner::{self, RunOptions, RunSummary};
use crate::plan::Plan;
use crate::report::events::{Event, Reporter, RunStatus, StepStatus};
use crate::report::human::{Human, HumanOptions};
use crate::suite::GuideResult;

/// A guide to run whose first `shared` steps come from its prerequisites.
pub struct Dependent {
    pub path: PathBuf,
    pub plan: Plan,
    pub shared: usize,
}

/// Groups dependents by the prefix they share. A prefix only one guide has is no group: that
/// guide runs its chain whole.
pub fn groups(dependents: Vec<Dependent>) -> (Vec<Vec<Dependent>>, Vec<Dependent>) {
    let mut by_key: BTreeMap<String, Vec<Dependent>> = BTreeMap::new();
    let mut alone = Vec::new();
    for d in dependents {
        if d.shared == 0 {
            alone.push(d);
            continue;
        }
        by_key.entry(key(&d)).or_default().push(d);
    }
    let mut shared = Vec::new();
    for (_, group) in by_key {
        if group.len() >= 2 {
            shared.push(group);
        } else {
            alone.extend(group);
        }
    }
    (shared, alone)
}

/// What makes two prefixes the same run: each step's file, line and scripts as they will run.
fn key(d: &Dependent) -> String {
    d.plan.steps[..d.shared]
        .iter()
        .filter(|s| s.selected)
        .map(|s| {
            format!(
                "{}:{}:{:?}:{:?}",
                s.file.display(),
                s.line,
                s.scripts,
                s.native
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The plan of the shared prefix, named after the guides it comes from.
fn prefix_plan(first: &Dependent, users: usize) -> Plan {
    let mut plan = first.plan.clone();
    plan.steps.truncate(first.shared);
    let mut guides: Vec<String> = Vec::new();
    for s in &plan.steps {
        let g = s.file.display().to_string();
        if !guides.contains(&g) {
            guides.push(g);
        }
    }
    plan.guide = PathBuf::from(format!(
        "prerequisites of {users} guides: {}",
        guides.join(" -> ")
    ));
    plan.title = Some("shared prerequisites".to_owned());
    plan
}

/// The plan of a dependent's own steps.
fn own_plan(d: &Dependent) -> Plan {
    let mut plan = d.plan.clone();
    plan.steps.drain(..d.shared);
    plan
}

/// Runs one group: the prefix once, then each dependent from a fork of its state, `jobs` at a
/// time. Results come in no particular order.
pub async fn run_group(
    group: Vec<Dependent>,
    jobs: usize,
    template: &RunOptions,
    human: HumanOptions,
    progress: Option<&indicatif::ProgressBar>,
) -> Result<Vec<GuideResult>, Error> {
    let prefix = prefix_plan(&group[0], group.len());
    let dir = workdir()?;
    let options = RunOptions {
        workdir: dir.path().to_path_buf(),
        keep_state: true,
        full_output: None,
        ..template.clone()
    };
    let (summary, duration, events) = run_one(&prefix, &options).await;
    let mut results = vec![report(
        prefix.guide.clone(),
        summary.as_ref(),
        duration,
        events,
        human,
        progress,
    )];
    let state = match summary {
        Ok(RunSummary {
            status: RunStatus::Passed,
            end_state: Some(state),
            ..
        }) => Some(state),
        _ => None,
    };
    let Some(state) = state else {
        let reason = format!(
            "not run: its prerequisites failed ({})",
            prefix.guide.display()
        );
        for d in &group {
            results.push(skipped(d, &reason, human, progress));
        }
        forget(dir);
        return Ok(results);
    };
    let base = dir.path().to_path_buf();
    let runs = stream::iter(group.into_iter().map(|d| {
        let state = state.clone();
        let base = base.clone();
        async move {
            let own = own_plan(&d);
            let fork = match workdir() {
                Ok(f) => f,
                Err(e) => return (d.path, Err(e), Duration::ZERO, Vec::new()),
            };
            if let Err(e) = copy_tree(&base, fork.path()) {
                return (
                    d.path,
                    Err(Error::Internal(format!(
                        "cannot copy the prerequisites' directory: {e}"
                    ))),
                    Duration::ZERO,
                    Vec::new(),
                );
            }
            let mut start = state;
            if let Ok(rel) = start.cwd.strip_prefix(&base) {
                start.cwd = fork.path().join(rel);
            }
            let options = RunOptions {
                workdir: fork.path().to_path_buf(),
                start_state: Some(start),
                keep_state: false,
                full_output: template
                    .full_output
                    .as_ref()
                    .map(|f| f.join(crate::suite::log_folder(&d.path))),
                ..template.clone()
            };
            let (summary, duration, events) = run_one(&own, &options).await;
            forget(fork);
            (d.path, summary, duration, events)
        }
    }))
    .buffer_unordered(jobs.max(1));
    let done: Vec<_> = runs.collect().await;
    for (path, summary, duration, events) in done {
        results.push(report(
            path,
            summary.as_ref(),
            duration,
            events,
            human,
            progress,
        ));
    }
    forget(dir);
    Ok(results)
}

fn workdir() -> Result<tempfile::TempDir, Error> {
    let dir = tempfile::Builder::new()
        .prefix("docrun-test-")
        .tempdir()
        .map_err(|e| Error::Internal(format!("cannot make a working directory: {e}")))?;
    crate::exec::guard::register_dir(dir.path());
    Ok(dir)
}

fn forget(dir: tempfile::TempDir) {
    let path = dir.path().to_path_buf();
    drop(dir);
    crate::exec::guard::unregister_dir(&path);
}

/// Copies the files and folders under `from` into `to` (symbolic links as links).
fn copy_tree(from: &Path, to: &Path) -> std::io::Result<()> {
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let target = to.join(entry.file_name());
        let kind = entry.file_type()?;
        if kind.is_dir() {
            std::fs::create_dir_all(&target)?;
            copy_tree(&entry.path(), &target)?;
        } else if kind.is_symlink() {
            std::os::unix::fs::symlink(std::fs::read_link(entry.path())?, &target)?;
        } else {
            std::fs::copy(entry.path(), &target)?;
        }
    }
    Ok(())
}

/// Collects a run's events where the caller can take them after the run.
struct Collect(std::sync::Arc<std::sync::Mutex<Vec<Event>>>);

impl Reporter for Collect {
    fn event(&mut self, event: &Event) {
        if let Ok(mut events) = self.0.lock() {
            events.push(event.clone());
        }
    }
}

async fn run_one(
    plan: &Plan,
    options: &RunOptions,
) -> (Result<RunSummary, Error>, Duration, Vec<Event>) {
    let started = Instant::now();
    if let Err(e) = plan.check_runnable() {
        return (Err(e), started.elapsed(), Vec::new());
    }
    let events = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let mut reporters: Vec<Box<dyn Reporter>> = vec![Box::new(Collect(events.clone()))];
    let summary = runner::run(plan, options, &mut reporters).await;
    drop(reporters);
    let events = std::mem::take(&mut *events.lock().unwrap_or_else(|e| e.into_inner()));
    (summary, started.elapsed(), events)
}

/// A finished run as a guide's result, its report printed whole.
fn report(
    path: PathBuf,
    summary: Result<&RunSummary, &Error>,
    duration: Duration,
    events: Vec<Event>,
    human: HumanOptions,
    progress: Option<&indicatif::ProgressBar>,
) -> GuideResult {
    let (status, passed, failed, skipped) = match summary {
        Ok(s) => (s.status, s.passed, s.failed, s.skipped),
        Err(e) => {
            crate::report::write_stderr(progress, &format!("ERROR {}: {e}\n", path.display()));
            (RunStatus::Failed, 0, 1, 0)
        }
    };
    let mut text = Human::buffered(human);
    for e in &events {
        text.event(e);
    }
    crate::report::write_stderr(progress, &text.take_text());
    if let Some(bar) = progress {
        bar.inc(1);
    }
    GuideResult {
        path,
        status,
        passed,
        failed,
        skipped,
        duration,
        events,
    }
}

/// A dependent of a failed prefix: every own step skipped with the reason. It counts as not
/// passed, so that the run fails with its prerequisite.
fn skipped(
    d: &Dependent,
    reason: &str,
    human: HumanOptions,
    progress: Option<&indicatif::ProgressBar>,
) -> GuideResult {
    let own = own_plan(d);
    let steps: Vec<_> = own
        .steps
        .iter()
        .filter(|s| s.selected && s.kind == crate::runbook::StepKind::Command)
        .collect();
    let mut events = vec![Event::RunStarted {
        guide: d.path.clone(),
        title: own.title.clone(),
        steps: steps.len(),
        resumed_after: None,
    }];
    for s in &steps {
        events.push(Event::StepFinished {
            id: s.id.clone(),
            section: s.section.clone(),
            file: s.file.clone(),
            line: s.line,
            status: StepStatus::Skipped,
            exit_status: None,
            duration_ms: 0,
            attempts: 0,
            mode: None,
            message: Some(reason.to_owned()),
            diff: None,
            output: String::new(),
            commands: s.commands.clone(),
        });
    }
    events.push(Event::RunFinished {
        guide: d.path.clone(),
        status: RunStatus::Failed,
        passed: 0,
        failed: 0,
        skipped: steps.len(),
        duration_ms: 0,
    });
    let mut text = Human::buffered(human);
    for e in &events {
        text.event(e);
    }
    let text = format!("SKIP {}: {reason}\n{}", d.path.display(), text.take_text());
    crate::report::write_stderr(progress, &text);
    if let Some(bar) = progress {
        bar.inc(1);
    }
    GuideResult {
        path: d.path.clone(),
        status: RunStatus::Failed,
        passed: 0,
        failed: 0,
        skipped: steps.len(),
        duration: Duration::ZERO,
        events,
    }
}
