//! Doc CI (`docrun test`): every tested guide under some paths, each in its own shell session and
//! temporary working directory, several at once, with one JUnit report and a summary.
//!
//! A guide runs when its front matter says `test: yes` (or with `--all`) and it has a runnable
//! step; the rest is skipped with the reason. `--partition K/N` keeps the guides whose path hashes
//! to shard K, so N CI jobs cover every guide exactly once, and adding a guide moves no other.
//! Settings for a tree live in a `docrun.yaml` at its root.

pub mod shared;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use futures::stream::{self, StreamExt};
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::doc::Detected;
use crate::doc::TestMode;
use crate::error::Error;
use crate::events::{Collect, Event, Masked, Masker, Reporter, RunStatus, StepStatus};
use crate::exec::runner::{self, RunOptions};
use crate::front::{ReadOptions, Reader};
use crate::plan::{self, Inputs, Plan, Selection};
use crate::report::human::{Human, HumanOptions};
use crate::settings::Select;

/// `--partition K/N`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Partition {
    /// 1-based shard number.
    pub shard: u64,
    pub shards: u64,
}

impl std::str::FromStr for Partition {
    type Err = Error;

    fn from_str(text: &str) -> Result<Self, Error> {
        let bad = || {
            Error::Usage(format!(
                "--partition {text}: expected K/N with 1 <= K <= N, e.g. 2/8"
            ))
        };
        let (k, n) = text.split_once('/').ok_or_else(bad)?;
        let (shard, shards): (u64, u64) = (
            k.trim().parse().map_err(|_| bad())?,
            n.trim().parse().map_err(|_| bad())?,
        );
        if shard == 0 || shards == 0 || shard > shards {
            return Err(bad());
        }
        Ok(Partition { shard, shards })
    }
}

/// The shard (1-based) of a guide among `shards`: a hash of its path, so a guide keeps its
/// shard when others come and go.
pub fn shard_of(path: &Path, shards: u64) -> u64 {
    let text = path.to_string_lossy();
    let text = text.strip_prefix("./").unwrap_or(&text);
    let digest = Sha256::digest(text.as_bytes());
    let mut first = [0u8; 8];
    first.copy_from_slice(&digest[..8]);
    u64::from_be_bytes(first) % shards + 1
}

/// Whether a guide runs, and if not, why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "decision", content = "reason", rename_all = "kebab-case")]
pub enum Decision {
    Run,
    Skip(#[serde(serialize_with = "display")] Skip),
    /// The guide cannot be read: the error, with its file:line. A run reports it as a failed
    /// guide and goes on with the others.
    Unreadable(String),
}

/// Why a guide found under the paths does not run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Skip {
    /// Its front matter has no `test:` key, and the run tests only `test: yes` guides.
    NoTestKey,
    /// Its `test:` says something other than yes (`no`, `n/a`, `table-of-contents`, ...).
    Test(String),
    /// It has no shell step a run would take.
    NoRunnableStep,
    /// Variables it needs have no value.
    NeedsVariables(Vec<String>),
    /// `--tag` names doc tests, and the guide has a step of none of them.
    NotTagged(Vec<String>),
}

impl std::fmt::Display for Skip {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Skip::NoTestKey => write!(f, "test: unset"),
            Skip::Test(value) => write!(f, "test: {value}"),
            Skip::NoRunnableStep => write!(f, "no runnable step"),
            Skip::NeedsVariables(names) => write!(f, "needs variables: {}", names.join(", ")),
            Skip::NotTagged(tags) => write!(f, "no step tagged {}", tags.join(", ")),
        }
    }
}

fn display<T: std::fmt::Display, S: serde::Serializer>(value: &T, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(value)
}

/// A guide found under the paths, with what a run would do with it.
#[derive(Debug, Clone, Serialize)]
pub struct Candidate {
    pub path: PathBuf,
    pub test: String,
    /// Shell steps a run takes.
    pub runnable_steps: usize,
    pub shard: u64,
    #[serde(flatten)]
    pub decision: Decision,
    #[serde(skip)]
    pub plan: Option<Plan>,
    /// For an unreadable guide, the line its error points at (1 when it names no line).
    #[serde(skip)]
    pub error_line: usize,
    /// With `--with-prereqs`: the guides that run before it, in order, with the part of each.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub prerequisites: Vec<String>,
    /// With `--with-prereqs`: how many of the plan's steps come from its prerequisites.
    #[serde(skip)]
    pub shared_steps: usize,
    /// The files besides the guide that went into its plan: its overlay, included pages,
    /// snippets (see [`crate::runbook::Runbook::sources`]).
    #[serde(skip)]
    pub sources: Vec<PathBuf>,
    /// With `--changed-since`: the changes that selected the guide.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub selected_by: Vec<String>,
}

/// What `docrun test` was asked.
#[derive(Debug, Clone)]
pub struct SuiteOptions {
    pub filters: Vec<String>,
    /// `--all`: every guide with runnable steps, whatever its `test:` says.
    pub all: bool,
    /// The tree's `select`: with `all`, a guide without a `test:` key runs too (one that says
    /// `test: no` still does not).
    pub select: Select,
    /// Doc tests (`--tag`): a guide with a step of one of them runs those steps, whatever its
    /// `test:` says; a guide with none is skipped.
    pub tags: Vec<String>,
    pub partition: Option<Partition>,
    pub inputs: Inputs,
    pub site_data: Option<PathBuf>,
    /// The dialect `--dialect` or the tree's `docrun.yaml` forces on every guide.
    pub dialect: Option<Detected>,
    /// Build each guide's runbook with its prerequisites first (`--with-prereqs`).
    pub with_prereqs: bool,
}

/// Finds and plans the guides. A guide that does not read (bad front matter, an unclosed
/// block) and a folder that cannot be listed are each a candidate [`Decision::Unreadable`], so
/// that one page cannot stop a tree; a `*.md` entry the walk does not read (a FIFO, a link out
/// of the tree, a file over the limit: see [`crate::tree`]) is a warning on standard error; a
/// path that does not exist is an input error, and nothing runs.
pub fn discover(paths: &[PathBuf], options: &SuiteOptions) -> Result<Vec<Candidate>, Error> {
    let crate::tree::Tree {
        files,
        skipped,
        unlisted,
        errors,
    } = crate::tree::walk(paths);
    for entry in &skipped {
        eprintln!("warning: {entry}");
    }
    let selected = |path: &Path| -> Option<u64> {
        if !options.filters.is_empty()
            && !options
                .filters
                .iter()
                .any(|f| path.to_string_lossy().contains(f.as_str()))
        {
            return None;
        }
        let shard = options.partition.map_or(1, |p| shard_of(path, p.shards));
        options
            .partition
            .is_none_or(|p| p.shard == shard)
            .then_some(shard)
    };
    let read_options = ReadOptions {
        site_data: options.site_data.clone(),
        dialect: options.dialect.clone(),
    };
    let mut reader = Reader::new(&read_options)?;
    let mut chains = if options.with_prereqs {
        Some(crate::chain::Guides::new(read_options)?)
    } else {
        None
    };
    let mut found = Vec::new();
    for path in files {
        let Some(shard) = selected(&path) else {
            continue;
        };
        let unreadable = |path: PathBuf, e: Error| unreadable_candidate(path, shard, e);
        let doc = match reader.doc(&path) {
            Ok(doc) => doc,
            Err(e) => {
                found.push(unreadable(path, e));
                continue;
            }
        };
        let mut prerequisites = Vec::new();
        let mut shared_steps = 0;
        let built = match chains.as_mut() {
            Some(guides) => crate::chain::runbook(guides, &path).and_then(|(r, chain)| {
                if let Some(missing) = chain.declared_missing() {
                    return Err(Error::Usage(missing));
                }
                prerequisites = chain
                    .prerequisites
                    .iter()
                    .map(crate::chain::compose::Link::describe)
                    .collect();
                shared_steps = chain.steps_before;
                Ok(r)
            }),
            None => reader.runbook(&doc),
        };
        let runbook = match built {
            Ok(r) => r,
            Err(e) => {
                found.push(unreadable(path, e));
                continue;
            }
        };
        let bindings = plan::bind(&runbook, &options.inputs, &|name| std::env::var(name).ok());
        let tagged = options
            .tags
            .iter()
            .any(|t| runbook.steps.iter().any(|s| s.tags.contains(t)));
        let selection = Selection {
            tags: if tagged {
                options
                    .tags
                    .iter()
                    .filter(|t| runbook.steps.iter().any(|s| s.tags.contains(t)))
                    .cloned()
                    .collect()
            } else {
                Vec::new()
            },
            ..Selection::default()
        };
        let plan = plan::build(&runbook, bindings, &selection)?;
        let runnable_steps = plan
            .steps
            .iter()
            .filter(|s| s.selected && s.kind.is_executed())
            .count();
        let test = runbook.test.clone();
        let sources: Vec<PathBuf> = runbook
            .overlay_path
            .iter()
            .filter(|p| **p != path)
            .chain(&runbook.sources)
            .cloned()
            .collect();
        let tested = options.all
            || tagged
            || test == TestMode::Yes
            || (test == TestMode::Unset && options.select == Select::All);
        let decision = if !options.tags.is_empty() && !tagged {
            Decision::Skip(Skip::NotTagged(options.tags.clone()))
        } else if !tested && test == TestMode::Unset {
            Decision::Skip(Skip::NoTestKey)
        } else if !tested {
            Decision::Skip(Skip::Test(test.as_str().to_owned()))
        } else if runnable_steps == 0 {
            Decision::Skip(Skip::NoRunnableStep)
        } else if !plan.missing.is_empty() {
            Decision::Skip(Skip::NeedsVariables(plan.missing.clone()))
        } else {
            Decision::Run
        };
        found.push(Candidate {
            path,
            test: test.as_str().to_owned(),
            runnable_steps,
            shard,
            decision,
            plan: Some(plan),
            error_line: 0,
            prerequisites,
            shared_steps,
            sources,
            selected_by: Vec::new(),
        });
    }
    for folder in unlisted {
        if let Some(shard) = selected(&folder.path) {
            let error = folder.to_error();
            found.push(unreadable_candidate(folder.path, shard, error));
        }
    }
    if !errors.is_empty() {
        let text: Vec<String> = errors.iter().map(|e| e.to_string()).collect();
        return Err(Error::Usage(format!(
            "{} guide{} cannot be read; nothing ran:\n{}",
            errors.len(),
            if errors.len() == 1 { "" } else { "s" },
            text.join("\n")
        )));
    }
    Ok(found)
}

/// A guide (or folder) that cannot be read, as a candidate that fails with `e`.
fn unreadable_candidate(path: PathBuf, shard: u64, e: Error) -> Candidate {
    Candidate {
        path,
        test: String::new(),
        runnable_steps: 0,
        shard,
        error_line: match &e {
            Error::Source(located) => located.line(),
            _ => 1,
        },
        decision: Decision::Unreadable(e.to_string()),
        plan: None,
        prerequisites: Vec::new(),
        shared_steps: 0,
        sources: Vec::new(),
        selected_by: Vec::new(),
    }
}

/// Counts for `--list`: guides by `test:` value, and runnable steps.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Coverage {
    pub guides: usize,
    pub by_test: BTreeMap<String, usize>,
    pub to_run: usize,
    pub runnable_steps: usize,
    pub runnable_steps_to_run: usize,
}

pub fn coverage(candidates: &[Candidate]) -> Coverage {
    let mut c = Coverage::default();
    for g in candidates {
        c.guides += 1;
        *c.by_test.entry(g.test.clone()).or_default() += 1;
        c.runnable_steps += g.runnable_steps;
        if g.decision == Decision::Run {
            c.to_run += 1;
            c.runnable_steps_to_run += g.runnable_steps;
        }
    }
    c
}

/// Why the guides that do not run are skipped, counted by reason, e.g. "3 without a `test:`
/// key, 1 with `test: no`, 2 needing variables"; empty when none is skipped.
pub fn skip_account(candidates: &[Candidate]) -> String {
    let mut no_key = 0;
    let mut by_value: BTreeMap<&str, usize> = BTreeMap::new();
    let mut no_step = 0;
    let mut needs = 0;
    let mut untagged = 0;
    for c in candidates {
        match &c.decision {
            Decision::Skip(Skip::NoTestKey) => no_key += 1,
            Decision::Skip(Skip::Test(value)) => *by_value.entry(value).or_default() += 1,
            Decision::Skip(Skip::NoRunnableStep) => no_step += 1,
            Decision::Skip(Skip::NeedsVariables(_)) => needs += 1,
            Decision::Skip(Skip::NotTagged(_)) => untagged += 1,
            Decision::Run | Decision::Unreadable(_) => {}
        }
    }
    let mut parts = Vec::new();
    if no_key > 0 {
        parts.push(format!("{no_key} without a `test:` key"));
    }
    for (value, n) in by_value {
        parts.push(format!("{n} with `test: {value}`"));
    }
    if no_step > 0 {
        parts.push(format!("{no_step} with no runnable step"));
    }
    if needs > 0 {
        parts.push(format!("{needs} needing variables (`--list` names them)"));
    }
    if untagged > 0 {
        parts.push(format!(
            "{untagged} with no step of the doc tests --tag names"
        ));
    }
    parts.join(", ")
}

/// What to pass when a run would test nothing, from why its guides are skipped.
pub fn none_selected_hint(candidates: &[Candidate]) -> &'static str {
    let unmarked = candidates.iter().any(|c| {
        matches!(
            c.decision,
            Decision::Skip(Skip::NoTestKey) | Decision::Skip(Skip::Test(_))
        )
    });
    if unmarked {
        "hint: `--all` runs every guide with runnable steps whatever its `test:` says (or put \
         `select: all` in docrun.yaml); `--fail-if-none` fails a run that tests nothing"
    } else if candidates.is_empty() {
        "hint: no guide was found under the paths (docrun test walks folders for `*.md`, `*.adoc` and `*.asciidoc` \
         files); `--fail-if-none` fails a run that tests nothing"
    } else {
        "hint: `docrun test PATH --list` shows each guide and why it is skipped; `--set NAME=VALUE` \
         or `--values FILE` gives variables; `--fail-if-none` fails a run that tests nothing"
    }
}

/// `--list` as text.
pub fn render_list(candidates: &[Candidate]) -> String {
    let mut out = String::new();
    for g in candidates {
        let what = match &g.decision {
            Decision::Run => format!("run   {} steps", g.runnable_steps),
            Decision::Skip(reason) => format!("skip  {reason}"),
            Decision::Unreadable(error) => {
                let first = error.lines().next().unwrap_or("");
                format!("error {first}")
            }
        };
        out.push_str(&format!("{what:<40}  {}\n", g.path.display()));
        if !g.prerequisites.is_empty() {
            out.push_str(&format!("      after {}\n", g.prerequisites.join(" -> ")));
        }
        for why in &g.selected_by {
            out.push_str(&format!("{:<40}    selected: {why}\n", ""));
        }
    }
    let c = coverage(candidates);
    let by_test: Vec<String> = c.by_test.iter().map(|(k, v)| format!("{k}: {v}")).collect();
    out.push_str(&format!(
        "{} ({}); {} to run with {} of {} runnable steps\n",
        guides(c.guides),
        by_test.join(", "),
        c.to_run,
        c.runnable_steps_to_run,
        c.runnable_steps
    ));
    out
}

/// One guide's run: its events, in order.
#[derive(Debug, Clone)]
pub struct GuideResult {
    pub path: PathBuf,
    pub status: RunStatus,
    pub passed: usize,
    pub failed: usize,
    pub skipped: usize,
    pub duration: Duration,
    /// The events of the last attempt.
    pub events: Vec<Masked>,
    /// Failed, then passed on a rerun (`--rerun-failed`): reported as flaky, not as passed.
    pub flaky: bool,
    /// The events of the earlier, failed attempts.
    pub earlier: Vec<Vec<Masked>>,
}

impl GuideResult {
    /// How many times the guide ran.
    pub fn attempts(&self) -> u32 {
        self.earlier.len() as u32 + 1
    }
}

/// Runs the guides, `jobs` at a time, each in its own session and temporary directory. Each
/// guide's report is printed whole when it ends; results come back in path order.
pub async fn run(
    candidates: Vec<Candidate>,
    jobs: usize,
    template: RunOptions,
    human: HumanOptions,
    live: crate::report::progress::Progress,
    hygiene: Option<std::sync::Arc<crate::hygiene::Hygiene>>,
    rerun_failed: u32,
) -> Result<Vec<GuideResult>, Error> {
    let heartbeat = tokio::spawn(live.clone().heartbeat(heartbeat_every()));
    let results = run_guides(
        candidates,
        jobs,
        template,
        human,
        &live,
        hygiene,
        rerun_failed,
    )
    .await;
    heartbeat.abort();
    results
}

/// How often a step that runs long is said to be still running: `DOCRUN_HEARTBEAT` (a
/// duration), else [`crate::report::progress::HEARTBEAT`].
fn heartbeat_every() -> Duration {
    std::env::var("DOCRUN_HEARTBEAT")
        .ok()
        .and_then(|text| crate::duration::parse_positive(&text).ok())
        .unwrap_or(crate::report::progress::HEARTBEAT)
}

async fn run_guides(
    candidates: Vec<Candidate>,
    jobs: usize,
    template: RunOptions,
    human: HumanOptions,
    live: &crate::report::progress::Progress,
    hygiene: Option<std::sync::Arc<crate::hygiene::Hygiene>>,
    rerun_failed: u32,
) -> Result<Vec<GuideResult>, Error> {
    let progress = live.bar().cloned();
    let mut results = Vec::new();
    for candidate in &candidates {
        if let Decision::Unreadable(error) = &candidate.decision {
            let result = unreadable_result(&candidate.path, candidate.error_line, error);
            let mut report = Human::buffered(human);
            for e in &result.events {
                report.event(e);
            }
            crate::report::write_results(progress.as_ref(), human.to_stdout, &report.take_text());
            results.push(result);
        }
    }
    // Guides whose prerequisites are the same run them once (`--with-prereqs`).
    let (shared, alone) = crate::suite::shared::groups(
        candidates
            .into_iter()
            .filter(|c| c.decision == Decision::Run)
            .filter_map(|c| {
                let shared = c.shared_steps;
                c.plan.map(|plan| crate::suite::shared::Dependent {
                    path: c.path,
                    plan,
                    shared,
                })
            })
            .collect(),
    );
    let grouped: usize = shared.iter().map(|g| g.len()).sum();
    if grouped > 0 && (hygiene.is_some() || rerun_failed > 0) {
        crate::report::write_stderr(
            progress.as_ref(),
            &format!(
                "note: {grouped} guides that share prerequisites (--with-prereqs) run without \
                 hygiene snapshots and --rerun-failed; the others have them\n"
            ),
        );
    }
    for group in shared {
        if crate::exec::stop::requested().is_some() {
            break;
        }
        results.extend(
            crate::suite::shared::run_group(group, jobs, &template, human, progress.as_ref())
                .await?,
        );
    }
    let runs = alone.into_iter().map(|d| (d.path, d.plan));
    let mut stream = stream::iter(runs)
        .map(|(path, plan)| {
            let template = template.clone();
            let hygiene = hygiene.clone();
            async move {
                // A guide that fails runs again, in a fresh session, up to `rerun_failed` times;
                // the failed attempts are kept for the reports.
                let mut earlier = Vec::new();
                loop {
                    let (path, summary, duration, events) =
                        attempt(path.clone(), &plan, &template, hygiene.as_deref(), live).await?;
                    let failed = matches!(&summary, Ok(s) if s.status == RunStatus::Failed)
                        || summary.is_err();
                    if failed && earlier.len() < rerun_failed as usize {
                        earlier.push(events);
                        continue;
                    }
                    // Synchronous, between two awaits: no other guide writes at the same time.
                    let blessing = match &summary {
                        Ok(s) if template.bless => Some(crate::bless::bless(&plan, &s.failures)),
                        _ => None,
                    };
                    return Ok::<_, Error>((path, summary, duration, events, earlier, blessing));
                }
            }
        })
        .buffer_unordered(jobs.max(1));
    let mut blessed = crate::bless::Tally::default();
    let blessing_asked = template.bless;
    while let Some(done) = stream.next().await {
        let (path, summary, duration, events, earlier, blessing) = done?;
        let summary = match summary {
            Ok(s) => s,
            Err(e) => {
                let text = format!("ERROR {}: {e}\n", path.display());
                let text = crate::report::github::guard(human.stop_commands, &text);
                crate::report::write_results(progress.as_ref(), human.to_stdout, &text);
                runner::RunSummary {
                    status: RunStatus::Failed,
                    passed: 0,
                    failed: 1,
                    skipped: 0,
                    stop: None,
                    end_state: None,
                    failures: Vec::new(),
                }
            }
        };
        let mut report = Human::buffered(human);
        for e in earlier.iter().flatten().chain(&events) {
            report.event(e);
        }
        let flaky = !earlier.is_empty() && summary.status == RunStatus::Passed;
        let mut text = report.take_text();
        if !earlier.is_empty() {
            let attempts = earlier.len() + 1;
            let line = if flaky {
                format!(
                    "FLAKY {}: failed, then passed on attempt {attempts}\n",
                    path.display()
                )
            } else {
                format!("{}: failed all {attempts} attempts\n", path.display())
            };
            text.push_str(&crate::report::github::guard(human.stop_commands, &line));
        }
        if let Some(b) = blessing.filter(|b| !b.lines.is_empty()) {
            let lines: String = b.lines.iter().map(|l| format!("{l}\n")).collect();
            text.push_str(&crate::report::github::guard(human.stop_commands, &lines));
            blessed.add(b.tally);
        }
        crate::report::write_results(progress.as_ref(), human.to_stdout, &text);
        if let Some(bar) = &progress {
            bar.inc(1);
        }
        results.push(GuideResult {
            path,
            status: summary.status,
            passed: summary.passed,
            failed: summary.failed,
            skipped: summary.skipped,
            duration,
            events,
            flaky,
            earlier,
        });
    }
    if blessing_asked {
        let line = format!("{}\n", blessed.summary());
        crate::report::write_results(progress.as_ref(), human.to_stdout, &line);
    }
    results.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(results)
}

/// One run of a guide in its own shell session and temporary directory, with hygiene around
/// it when asked.
async fn attempt(
    path: PathBuf,
    plan: &Plan,
    template: &RunOptions,
    hygiene: Option<&crate::hygiene::Hygiene>,
    live: &crate::report::progress::Progress,
) -> Result<
    (
        PathBuf,
        Result<runner::RunSummary, Error>,
        Duration,
        Vec<Masked>,
    ),
    Error,
> {
    let template = template.clone();
    let started = Instant::now();
    if let Some(signal) = crate::exec::stop::requested() {
        // Stopped before this guide began: it does not start.
        let summary = runner::RunSummary {
            status: RunStatus::Interrupted,
            passed: 0,
            failed: 0,
            skipped: 0,
            stop: Some(signal),
            end_state: None,
            failures: Vec::new(),
        };
        return Ok((path, Ok(summary), started.elapsed(), Vec::new()));
    }
    // Private (0700): a guide's files, kubeconfigs and keys are its own.
    let dir = tempfile::Builder::new()
        .prefix("docrun-test-")
        .permissions(std::os::unix::fs::PermissionsExt::from_mode(0o700))
        .tempdir()
        .map_err(|e| Error::Internal(format!("cannot make a working directory: {e}")))?;
    if let Err(e) = plan.check_runnable() {
        return Ok((path, Err(e), started.elapsed(), Vec::new()));
    }
    crate::guard::register_dir(dir.path());
    let full_output = template
        .full_output
        .as_ref()
        .map(|d| d.join(log_folder(&path)));
    let options = RunOptions {
        workdir: dir.path().to_path_buf(),
        full_output,
        ..template
    };
    let events = Collect::for_reports();
    let collect: Vec<Box<dyn Reporter>> = vec![Box::new(events.clone()), live.reporter(&path)];
    let (summary, reporters) = crate::hygiene::run_checked(hygiene, plan, collect, |mut r| {
        let (plan, options) = (&plan, &options);
        async move {
            let summary = runner::run(plan, options, &mut r).await;
            (summary, r)
        }
    })
    .await;
    drop(reporters);
    let workdir = dir.path().to_path_buf();
    drop(dir);
    crate::guard::unregister_dir(&workdir);
    Ok((path, summary, started.elapsed(), events.take()))
}

/// A guide that cannot be read, as a failed guide: one failed step `read` at the error's line,
/// so that the terminal report, JUnit and annotations all name it.
fn unreadable_result(path: &Path, line: usize, error: &str) -> GuideResult {
    let events = vec![
        Event::RunStarted {
            guide: path.to_path_buf(),
            title: None,
            steps: 1,
            resumed_after: None,
        },
        Event::StepFinished {
            id: "read".to_owned(),
            section: String::new(),
            file: path.to_path_buf(),
            line,
            status: StepStatus::Failed,
            exit_status: None,
            duration_ms: 0,
            attempts: 1,
            mode: None,
            message: Some(format!("the guide cannot be read: {error}")),
            diff: None,
            output: String::new(),
            commands: Vec::new(),
        },
        Event::RunFinished {
            guide: path.to_path_buf(),
            status: RunStatus::Failed,
            passed: 0,
            failed: 1,
            skipped: 0,
            duration_ms: 0,
        },
    ];
    // No value of the run reached these events: the guide was not read.
    let masker = Masker::none();
    let events = events.into_iter().map(|e| masker.mask(e)).collect();
    GuideResult {
        path: path.to_path_buf(),
        status: RunStatus::Failed,
        passed: 0,
        failed: 1,
        skipped: 0,
        duration: Duration::ZERO,
        events,
        flaky: false,
        earlier: Vec::new(),
    }
}

/// The folder of a guide's full-output logs: its path, `/` written as `__`, without `.md`, made
/// one safe file name ([`crate::exec::capture::file_name`]: never `..`, never a path).
pub(crate) fn log_folder(guide: &Path) -> String {
    let text = guide.to_string_lossy();
    let text = text.trim_start_matches("./");
    crate::exec::capture::file_name(
        &text
            .strip_suffix(".md")
            .unwrap_or(text)
            .replace(['/', '\\'], "__"),
    )
}

/// The table at the end of a run: guide, steps passed/failed/skipped, duration.
pub fn render_summary(results: &[GuideResult], skipped_guides: usize) -> String {
    let mut out = String::from("\n");
    if results.is_empty() {
        out.push_str(&format!("0 guides run; {skipped_guides} skipped\n"));
        return out;
    }
    // Columns align on characters, not bytes: a path may hold any letters.
    let width = results
        .iter()
        .map(|r| r.path.to_string_lossy().chars().count())
        .max()
        .unwrap_or(5)
        .max(5);
    out.push_str(&format!(
        "{:<width$}  {:>6}  {:>6}  {:>7}  {:>9}  STATUS\n",
        "GUIDE", "PASSED", "FAILED", "SKIPPED", "DURATION"
    ));
    for r in results {
        out.push_str(&format!(
            "{:<width$}  {:>6}  {:>6}  {:>7}  {:>9}  {}\n",
            r.path.to_string_lossy(),
            r.passed,
            r.failed,
            r.skipped,
            crate::duration::human(r.duration),
            match r.status {
                RunStatus::Passed if r.flaky => "FLAKY",
                RunStatus::Passed => "passed",
                RunStatus::Failed => "FAILED",
                RunStatus::Interrupted => "interrupted",
            }
        ));
    }
    let failed = results
        .iter()
        .filter(|r| r.status != RunStatus::Passed)
        .count();
    let flaky = results.iter().filter(|r| r.flaky).count();
    let flaky_text = if flaky > 0 {
        format!(", {flaky} flaky (failed, then passed on a rerun)")
    } else {
        String::new()
    };
    out.push_str(&format!(
        "{} run: {} passed, {failed} failed{flaky_text}; {skipped_guides} skipped\n",
        guides(results.len()),
        results.len() - failed - flaky
    ));
    out
}

/// The HTML report of a run (see [`crate::report::html`]).
pub fn write_html(
    path: &Path,
    info: &crate::report::html::RunInfo,
    results: &[GuideResult],
) -> std::io::Result<()> {
    use crate::report::html::{self, GuidePage, Outcome};
    let pages: Vec<GuidePage> = results
        .iter()
        .map(|r| GuidePage {
            path: &r.path,
            outcome: if r.flaky {
                Outcome::Flaky
            } else {
                Outcome::from_run(r.status)
            },
            duration: r.duration,
            events: &r.events,
            attempts: r.attempts(),
            earlier: &r.earlier,
        })
        .collect();
    html::write(path, info, &pages)
}

/// Appends the job summary of a run to the file `GITHUB_STEP_SUMMARY` names (see
/// [`crate::report::github`]).
pub fn write_step_summary(
    path: &Path,
    title: &str,
    results: &[GuideResult],
) -> std::io::Result<()> {
    use crate::report::github::{self, Links, SummaryGuide};
    let guides: Vec<SummaryGuide> = results
        .iter()
        .map(|r| SummaryGuide {
            path: &r.path,
            status: r.status,
            flaky: r.flaky,
            attempts: r.attempts(),
            duration: r.duration,
            events: &r.events,
        })
        .collect();
    github::append(
        path,
        &github::step_summary(title, &guides, &Links::from_env()),
    )
}

/// GitHub Actions annotations (`::error file=...,line=...::message`) for failed steps.
pub fn github_annotations(results: &[GuideResult]) -> String {
    let escape = |s: &str| {
        s.replace('%', "%25")
            .replace('\r', "%0D")
            .replace('\n', "%0A")
    };
    let escape_prop = |s: &str| escape(s).replace(':', "%3A").replace(',', "%2C");
    let mut out = String::new();
    for e in results.iter().flat_map(|r| &r.events) {
        if let Event::StepFinished {
            id,
            file,
            line,
            status,
            message,
            ..
        } = e.event()
        {
            if status.is_failure() {
                let message = message.as_deref().unwrap_or("the step failed");
                out.push_str(&format!(
                    "::error file={},line={line},title={}::{}\n",
                    escape_prop(&file.to_string_lossy()),
                    escape_prop(&format!("docrun: step {id} {}", status_text(*status))),
                    escape(message)
                ));
            }
        }
    }
    out
}

fn status_text(status: StepStatus) -> &'static str {
    match status {
        StepStatus::TimedOut => "timed out",
        StepStatus::Interrupted => "was interrupted",
        _ => "failed",
    }
}

/// `1 guide`, `2 guides`.
pub fn guides(n: usize) -> String {
    if n == 1 {
        "1 guide".to_owned()
    } else {
        format!("{n} guides")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partitions_are_parsed_and_checked() {
        assert_eq!(
            "2/8".parse::<Partition>().unwrap(),
            Partition {
                shard: 2,
                shards: 8
            }
        );
        for bad in ["0/3", "4/3", "x/2", "3", "1/0"] {
            assert!(bad.parse::<Partition>().is_err(), "{bad}");
        }
    }

    #[test]
    fn a_guide_keeps_its_shard_and_shards_spread() {
        let paths: Vec<PathBuf> = (0..200)
            .map(|i| PathBuf::from(format!("content/g{i}/index.md")))
            .collect();
        for n in 1..=5 {
            let mut counts = vec![0; n as usize];
            for p in &paths {
                let s = shard_of(p, n);
                assert!((1..=n).contains(&s));
                assert_eq!(s, shard_of(p, n));
                counts[(s - 1) as usize] += 1;
            }
            assert!(
                counts.iter().all(|c| *c > 200 / (n as usize) / 2),
                "{counts:?}"
            );
        }
        assert_eq!(
            shard_of(Path::new("./a.md"), 7),
            shard_of(Path::new("a.md"), 7)
        );
    }
}
