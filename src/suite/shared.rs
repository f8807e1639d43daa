//! `docrun test --with-prereqs`: prerequisites that several guides of a shard share run once,
//! and those guides continue from a fork of their state.
//!
//! The steps before a guide's own (its chain's prefix) are compared step by step (file, line,
//! commands after substitution, checks) across the guides of the shard, as a tree: the steps
//! that a group of guides has in common run once, then the group splits where their chains
//! part, each branch continuing from a fork of the state reached so far, down to each guide's
//! own steps. So `ingress-control#determining-the-ingress-ip-and-ports` runs once for every
//! guide whose chain starts with it, and Bookinfo's deployment once for those that go on to it.
//! A guide whose prefix no other shares runs its chain whole, as without sharing.
//!
//! A fork is a new session in a copy of the working directory the shared steps ran in, with
//! their exported variables re-applied and the working directory moved into the copy (read
//! with `export -p` and `pwd` through the session's protocol). Not forked: shell variables that
//! were not exported, functions, aliases and `set` options, background processes the shared
//! steps started, files written outside the working directory (`/tmp`, `$HOME`), and cluster
//! state, which every guide shares by nature. Shared steps that fail skip every guide that
//! continues from them, each step with that reason.

use std::collections::BTreeMap;
use std::future::Future;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::time::{Duration, Instant};

use futures::stream::{self, StreamExt};

use super::GuideResult;
use crate::error::Error;
use crate::events::{Collect, Event, Masked, Masker, Reporter, RunStatus};
use crate::exec::runner::{self, RunOptions, RunSummary};
use crate::exec::shell::SessionState;
use crate::plan::Plan;
use crate::report::human::{Human, HumanOptions};

/// A guide to run whose first `shared` steps come from its prerequisites.
pub struct Dependent {
    pub path: PathBuf,
    pub plan: Plan,
    pub shared: usize,
}

/// Groups dependents by the first step of their prerequisites. A first step only one guide
/// has makes no group: that guide runs its chain whole.
pub fn groups(dependents: Vec<Dependent>) -> (Vec<Vec<Dependent>>, Vec<Dependent>) {
    let mut by_key: BTreeMap<String, Vec<Dependent>> = BTreeMap::new();
    let mut alone = Vec::new();
    for d in dependents {
        if d.shared == 0 {
            alone.push(d);
            continue;
        }
        by_key.entry(step_key(&d, 0)).or_default().push(d);
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

/// What makes two steps the same run: file, line, scripts as they will run, native checks.
fn step_key(d: &Dependent, index: usize) -> String {
    let s = &d.plan.steps[index];
    format!(
        "{}:{}:{}:{:?}:{:?}",
        s.file.display(),
        s.line,
        s.selected,
        s.scripts,
        s.native
    )
}

/// The plan of steps `from..to` of a dependent, as the shared run of `users` guides.
fn segment_plan(d: &Dependent, from: usize, to: usize, users: usize) -> Plan {
    let mut plan = d.plan.clone();
    plan.steps.truncate(to);
    plan.steps.drain(..from);
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

/// The plan of a dependent from step `from` on: what it has not shared, and its own steps.
fn rest_plan(d: &Dependent, from: usize) -> Plan {
    let mut plan = d.plan.clone();
    plan.steps.drain(..from);
    plan
}

/// Where a branch starts: the state and directory of the shared steps run so far.
#[derive(Clone)]
struct Start {
    state: SessionState,
    dir: PathBuf,
}

/// Runs one group of guides whose prerequisites begin alike.
pub async fn run_group(
    group: Vec<Dependent>,
    jobs: usize,
    template: &RunOptions,
    human: HumanOptions,
    progress: Option<&indicatif::ProgressBar>,
) -> Result<Vec<GuideResult>, Error> {
    Ok(run_level(group, 0, None, jobs, template, human, progress).await)
}

type Level<'a> = Pin<Box<dyn Future<Output = Vec<GuideResult>> + 'a>>;

/// The guides of `group` have run their first `depth` steps (shared) and stand at `start`:
/// runs the steps they still have in common once, then each branch.
fn run_level<'a>(
    group: Vec<Dependent>,
    depth: usize,
    start: Option<Start>,
    jobs: usize,
    template: &'a RunOptions,
    human: HumanOptions,
    progress: Option<&'a indicatif::ProgressBar>,
) -> Level<'a> {
    Box::pin(async move {
        let mut results = Vec::new();
        // How far the group goes on together.
        let mut common = depth;
        while group.iter().all(|d| d.shared > common)
            && group
                .iter()
                .all(|d| step_key(d, common) == step_key(&group[0], common))
        {
            common += 1;
        }
        let mut here = start;
        let mut dir_here: Option<tempfile::TempDir> = None;
        if common > depth {
            let plan = segment_plan(&group[0], depth, common, group.len());
            let (dir, options) = match fork(here.as_ref(), template, true, None) {
                Ok(x) => x,
                Err(e) => {
                    let reason = format!("not run: {e}");
                    for d in &group {
                        results.push(skipped(d, depth, &reason, human, progress));
                    }
                    return results;
                }
            };
            let (summary, duration, events) = run_one(&plan, &options).await;
            results.push(report(
                plan.guide.clone(),
                summary.as_ref(),
                duration,
                events,
                human,
                progress,
            ));
            match summary {
                Ok(RunSummary {
                    status: RunStatus::Passed,
                    end_state: Some(state),
                    ..
                }) => {
                    here = Some(Start {
                        state,
                        dir: dir.path().to_path_buf(),
                    });
                    dir_here = Some(dir);
                }
                _ => {
                    let reason = format!(
                        "not run: its prerequisites failed ({})",
                        plan.guide.display()
                    );
                    for d in &group {
                        results.push(skipped(d, common, &reason, human, progress));
                    }
                    forget(dir);
                    return results;
                }
            }
        }
        // Where the group parts: guides whose prerequisites end here run their own steps; the
        // others go on by their next step, together when several share it.
        let mut leaves: Vec<Dependent> = Vec::new();
        let mut branches: Vec<(String, Vec<Dependent>)> = Vec::new();
        for d in group {
            if d.shared == common {
                leaves.push(d);
                continue;
            }
            let key = step_key(&d, common);
            match branches.iter_mut().find(|(k, _)| *k == key) {
                Some((_, b)) => b.push(d),
                None => branches.push((key, vec![d])),
            }
        }
        let mut deeper = Vec::new();
        for (_, branch) in branches {
            if branch.len() == 1 {
                leaves.extend(branch);
            } else {
                deeper.push(branch);
            }
        }
        let runs = stream::iter(leaves.into_iter().map(|d| {
            let here = here.clone();
            async move {
                let plan = rest_plan(&d, common);
                let full_output = template
                    .full_output
                    .as_ref()
                    .map(|f| f.join(super::log_folder(&d.path)));
                match fork(here.as_ref(), template, false, full_output) {
                    Ok((dir, options)) => {
                        let (summary, duration, events) = run_one(&plan, &options).await;
                        forget(dir);
                        (d.path, summary, duration, events)
                    }
                    Err(e) => (d.path, Err(e), Duration::ZERO, Vec::new()),
                }
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
        for branch in deeper {
            if crate::exec::stop::requested().is_some() {
                break;
            }
            results.extend(
                run_level(
                    branch,
                    common,
                    here.clone(),
                    jobs,
                    template,
                    human,
                    progress,
                )
                .await,
            );
        }
        if let Some(dir) = dir_here {
            forget(dir);
        }
        results
    })
}

/// A new working directory for a run: a copy of `start`'s directory with its state moved
/// into the copy, or an empty one.
fn fork(
    start: Option<&Start>,
    template: &RunOptions,
    keep_state: bool,
    full_output: Option<PathBuf>,
) -> Result<(tempfile::TempDir, RunOptions), Error> {
    let dir = workdir()?;
    let mut start_state = None;
    if let Some(start) = start {
        copy_tree(&start.dir, dir.path()).map_err(|e| {
            Error::Internal(format!("cannot copy the prerequisites' directory: {e}"))
        })?;
        let mut state = start.state.clone();
        if let Ok(rel) = state.cwd.strip_prefix(&start.dir) {
            state.cwd = dir.path().join(rel);
        }
        start_state = Some(state);
    }
    let options = RunOptions {
        workdir: dir.path().to_path_buf(),
        start_state,
        keep_state,
        full_output,
        ..template.clone()
    };
    Ok((dir, options))
}

fn workdir() -> Result<tempfile::TempDir, Error> {
    // Private (0700): a guide's files, kubeconfigs and keys are its own.
    let dir = tempfile::Builder::new()
        .prefix("docrun-test-")
        .permissions(std::os::unix::fs::PermissionsExt::from_mode(0o700))
        .tempdir()
        .map_err(|e| Error::Internal(format!("cannot make a working directory: {e}")))?;
    crate::guard::register_dir(dir.path());
    Ok(dir)
}

fn forget(dir: tempfile::TempDir) {
    let path = dir.path().to_path_buf();
    drop(dir);
    crate::guard::unregister_dir(&path);
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

async fn run_one(
    plan: &Plan,
    options: &RunOptions,
) -> (Result<RunSummary, Error>, Duration, Vec<Masked>) {
    let started = Instant::now();
    if let Err(e) = plan.check_runnable() {
        return (Err(e), started.elapsed(), Vec::new());
    }
    let events = Collect::for_reports();
    let mut reporters: Vec<Box<dyn Reporter>> = vec![Box::new(events.clone())];
    let summary = runner::run(plan, options, &mut reporters).await;
    (summary, started.elapsed(), events.take())
}

/// A finished run as a guide's result, its report printed whole.
fn report(
    path: PathBuf,
    summary: Result<&RunSummary, &Error>,
    duration: Duration,
    events: Vec<Masked>,
    human: HumanOptions,
    progress: Option<&indicatif::ProgressBar>,
) -> GuideResult {
    let (status, passed, failed, skipped) = match summary {
        Ok(s) => (s.status, s.passed, s.failed, s.skipped),
        Err(e) => {
            let text = format!("ERROR {}: {e}\n", path.display());
            let text = crate::report::github::guard(human.stop_commands, &text);
            crate::report::write_results(progress, human.to_stdout, &text);
            (RunStatus::Failed, 0, 1, 0)
        }
    };
    let mut text = Human::buffered(human);
    for e in &events {
        text.event(e);
    }
    crate::report::write_results(progress, human.to_stdout, &text.take_text());
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
        flaky: false,
        earlier: Vec::new(),
    }
}

/// A guide whose shared steps failed: every step it has left skipped with the reason. It counts as not
/// passed, so that the run fails with its prerequisite.
fn skipped(
    d: &Dependent,
    from: usize,
    reason: &str,
    human: HumanOptions,
    progress: Option<&indicatif::ProgressBar>,
) -> GuideResult {
    let own = rest_plan(d, from);
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
        events.push(runner::skipped(s, reason));
    }
    events.push(Event::RunFinished {
        guide: d.path.clone(),
        status: RunStatus::Failed,
        passed: 0,
        failed: 0,
        skipped: steps.len(),
        duration_ms: 0,
    });
    // The commands shown hold the plan's values: masked as a run's events are.
    let masker = Masker::new(&own.secrets);
    let events: Vec<Masked> = events.into_iter().map(|e| masker.mask(e)).collect();
    let mut text = Human::buffered(human);
    for e in &events {
        text.event(e);
    }
    let skip = format!("SKIP {}: {reason}\n", d.path.display());
    let text = format!(
        "{}{}",
        crate::report::github::guard(human.stop_commands, &skip),
        text.take_text()
    );
    crate::report::write_results(progress, human.to_stdout, &text);
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
        flaky: false,
        earlier: Vec::new(),
    }
}
