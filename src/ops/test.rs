//! `test`: doc CI over whole trees: the guides that declare themselves tested, each run in a
//! session of its own, several at a time, with reports for CI.
//!
//! Three phases, so that a caller can list, announce and print between them: [`select`] finds
//! and plans the guides, [`run`] runs those selected, [`write_reports`] writes the files CI
//! reads.

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::changed::Scope;
use crate::doc::dialect::Reason;
use crate::doc::{Detected, Dialect};
use crate::duration::{default, defaults};
use crate::error::Error;
use crate::events::{Masked, Reporter, RunStatus};
use crate::exec::runner::RunOptions;
use crate::exec::stop::Stop;
use crate::outcome::Outcome;
use crate::plan::Inputs;
use crate::report;
use crate::report::human::HumanOptions;
use crate::report::progress::Progress;
use crate::settings::{Mode, Settings};
use crate::suite::{self, Candidate, Decision, GuideResult, SuiteOptions};

use super::hygiene::HygieneRequest;
use super::Feedback;

/// A test of trees.
#[derive(Debug, Clone, Default)]
pub struct TestRequest {
    pub paths: Vec<PathBuf>,
    /// Only guides whose path or test name holds one of these.
    pub filters: Vec<String>,
    /// Every guide with runnable steps, whatever its `test:` says.
    pub all: bool,
    /// Doc tests: only the steps tagged with one of these.
    pub tags: Vec<String>,
    /// `K/N`: the K-th of N shards.
    pub partition: Option<String>,
    /// `NAME=VALUE` values for every guide.
    pub set: Vec<String>,
    pub values: Option<PathBuf>,
    pub site_data: Option<PathBuf>,
    pub dialect: Option<Dialect>,
    pub with_prereqs: bool,
    /// Only the guides a change since this git reference touches.
    pub changed_since: Option<String>,
    /// Select only: no report is written, so none is checked writable.
    pub list: bool,
    pub step_timeout: Option<Duration>,
    pub retry: Option<Duration>,
    /// Guides at a time; the number of cores when not given.
    pub jobs: Option<usize>,
    /// Run a failed guide again, up to this many times.
    pub rerun_failed: u32,
    pub full_output: Option<PathBuf>,
    pub bless: bool,
    pub hygiene: HygieneRequest,
    pub junit: Option<PathBuf>,
    pub html: Option<PathBuf>,
    /// GitHub's job summary file (`GITHUB_STEP_SUMMARY`).
    pub step_summary: Option<PathBuf>,
}

/// The guides found under the paths, with the settings they were found with.
pub struct Selected {
    /// The `docrun.yaml` that applies, when there is one.
    pub settings_path: Option<PathBuf>,
    pub settings: Settings,
    pub candidates: Vec<Candidate>,
    /// What `--changed-since` made of the tree.
    pub scope: Option<Scope>,
    /// The command line as a report shows it, secrets masked.
    pub command_line: String,
}

impl Selected {
    /// The guides that run.
    pub fn to_run(&self) -> usize {
        self.count(|d| *d == Decision::Run)
    }

    /// The guides that do not read.
    pub fn unreadable(&self) -> usize {
        self.count(|d| matches!(d, Decision::Unreadable(_)))
    }

    /// The guides skipped, for any reason.
    pub fn skipped(&self) -> usize {
        self.candidates.len() - self.to_run() - self.unreadable()
    }

    /// Nothing would be tested: no guide runs, none fails to read.
    pub fn none_tested(&self) -> bool {
        self.to_run() == 0 && self.unreadable() == 0
    }

    fn count(&self, is: impl Fn(&Decision) -> bool) -> usize {
        self.candidates.iter().filter(|c| is(&c.decision)).count()
    }

    /// A listing fails when a guide does not read.
    pub fn list_outcome(&self) -> Outcome {
        match self.unreadable() {
            0 => Outcome::Passed,
            _ => Outcome::Failed,
        }
    }
}

/// The guides under the paths, read and planned with `docrun.yaml`'s settings (found from the
/// first path) below the request's. Unless only listing, the reports' paths are checked
/// writable first. A path that does not exist, a bad `docrun.yaml`, values file or partition
/// is an error, and nothing runs.
pub fn select(request: &TestRequest) -> Result<Selected, Error> {
    let (settings_path, settings) = match request.paths.first() {
        Some(path) => Settings::find(path)?,
        None => None,
    }
    .map_or((None, Settings::default()), |(p, s)| (Some(p), s));
    let mut inputs = Inputs::parse(&request.set, request.values.as_deref())?;
    inputs.config = settings.vars.clone();
    let options = SuiteOptions {
        filters: request.filters.clone(),
        all: request.all,
        select: settings.select,
        tags: request.tags.clone(),
        partition: request.partition.as_deref().map(str::parse).transpose()?,
        inputs,
        site_data: request.site_data.clone().or(settings.site_data.clone()),
        dialect: match (request.dialect, &settings_path) {
            (Some(d), _) => Some(Detected::new(d, Reason::Flag)),
            (None, Some(file)) => settings.dialect(file),
            (None, None) => None,
        },
        with_prereqs: request.with_prereqs,
    };
    if !request.list {
        if let Some(path) = &request.junit {
            report::check_writable("--junit", path)?;
        }
        if let Some(path) = &request.html {
            report::check_writable("--report", path)?;
        }
    }
    let mut candidates = suite::discover(&request.paths, &options)?;
    let plans: Vec<_> = candidates.iter().filter_map(|c| c.plan.as_ref()).collect();
    let command_line = report::invocation::of_this_run(&plans);
    let mut scope = None;
    if let (Some(reference), Some(first)) = (&request.changed_since, request.paths.first()) {
        let changes = crate::changed::since(reference, first)?;
        let (kept, s) = crate::changed::select(
            candidates,
            &changes,
            &request.paths,
            options.site_data.as_deref(),
            settings_path.as_deref(),
        );
        candidates = kept;
        scope = Some(s);
    }
    Ok(Selected {
        settings_path,
        settings,
        candidates,
        scope,
        command_line,
    })
}

/// How many guides run at a time (`-j`, else one per core), once this host can run them.
/// `-j 0` is an error.
pub fn ready(request: &TestRequest) -> Result<usize, Error> {
    let jobs = match request.jobs {
        Some(0) => Err(Error::Usage(
            "-j 0: at least one guide must run at a time\nhint: -j 1 runs the guides one after the other".into(),
        )),
        Some(n) => Ok(n),
        None => Ok(std::thread::available_parallelism().map_or(1, |n| n.get())),
    }?;
    crate::exec::host::check()?;
    Ok(jobs)
}

/// A test that ended.
pub struct Tested {
    pub results: Vec<GuideResult>,
    /// Guides selected but skipped, for the summary.
    pub skipped: usize,
    /// No guide was tested.
    pub none_tested: bool,
    /// The command line as a report shows it, secrets masked.
    pub command_line: String,
}

impl Tested {
    /// The events of every guide, in order.
    pub fn events(&self) -> impl Iterator<Item = &Masked> {
        self.results.iter().flat_map(|r| &r.events)
    }

    /// Stopped when a guide was interrupted, failed when one did not pass, or when none was
    /// tested and `fail_if_none` asks for one; else passed.
    pub fn outcome(&self, fail_if_none: bool) -> Outcome {
        if self.none_tested && fail_if_none {
            return Outcome::Failed;
        }
        let interrupted = self
            .results
            .iter()
            .any(|r| r.status == RunStatus::Interrupted);
        if interrupted {
            Outcome::Stopped(crate::exec::stop::requested().unwrap_or(Stop::Interrupt))
        } else if self.results.iter().any(|r| r.status != RunStatus::Passed) {
            Outcome::Failed
        } else {
            Outcome::Passed
        }
    }
}

/// Runs the selected guides, `jobs` at a time, each in a session of its own in the temporary
/// folder, under leak detection when one uses a cluster. `human` says how each guide's events
/// are rendered into its result; `live` shows progress while they run.
pub fn run(
    selected: Selected,
    request: &TestRequest,
    jobs: usize,
    human: HumanOptions,
    live: Progress,
    feedback: &mut dyn Feedback,
) -> Result<Tested, Error> {
    let settings = &selected.settings;
    // The flag, then docrun.yaml, then the default.
    let template = RunOptions {
        workdir: std::env::temp_dir(),
        default_timeout: request
            .step_timeout
            .or(settings.timeout)
            .unwrap_or_else(|| default(defaults::STEP_TIMEOUT)),
        default_retry: request
            .retry
            .or(settings.retry)
            .unwrap_or_else(|| default(defaults::RETRY)),
        keep_going: false,
        resume: false,
        checkpoint: false,
        no_native: false,
        wait_timeout: default(defaults::WAIT_TIMEOUT),
        full_output: request.full_output.clone(),
        start_state: None,
        keep_state: false,
        bless: request.bless,
        source: settings.source.clone(),
    };
    let skipped = selected.skipped();
    let none_tested = selected.none_tested();
    let hygiene = super::hygiene::for_plans(
        &request.hygiene,
        Mode::Warn,
        settings.hygiene.as_ref(),
        selected
            .candidates
            .iter()
            .filter(|c| c.decision == Decision::Run)
            .filter_map(|c| c.plan.as_ref()),
        feedback,
    )?;
    let runtime = super::runtime()?;
    super::protect_processes(feedback);
    let results = runtime.block_on(suite::run(
        selected.candidates,
        jobs,
        template,
        human,
        live,
        hygiene,
        request.rerun_failed,
    ))?;
    Ok(Tested {
        results,
        skipped,
        none_tested,
        command_line: selected.command_line,
    })
}

/// Writes the reports the request names: JUnit, the HTML report, GitHub's job summary. The
/// first that cannot be written is an error naming it.
pub fn write_reports(tested: &Tested, request: &TestRequest) -> Result<(), Error> {
    if let Some(path) = &request.junit {
        let mut junit = report::junit::JUnit::new(path);
        for r in &tested.results {
            if let Some(s) = report::junit::JUnit::suite_with_reruns(&r.events, &r.earlier) {
                junit.add_suite(s);
            }
        }
        junit.finish().map_err(|e| {
            Error::Failed(format!("{}: cannot write the report: {e}", path.display()))
        })?;
    }
    let title = format!(
        "docrun test {}",
        request
            .paths
            .iter()
            .map(|p| p.display().to_string())
            .collect::<Vec<_>>()
            .join(" ")
    );
    if let Some(path) = &request.html {
        let info = report::html::RunInfo::now(title.clone(), tested.command_line.clone());
        suite::write_html(path, &info, &tested.results)
            .map_err(|e| Error::Failed(format!("--report: cannot write the report: {e}")))?;
    }
    if let Some(path) = &request.step_summary {
        suite::write_step_summary(Path::new(path), &title, &tested.results).map_err(|e| {
            Error::Failed(format!(
                "GITHUB_STEP_SUMMARY: cannot write the job summary: {e}"
            ))
        })?;
    }
    Ok(())
}
