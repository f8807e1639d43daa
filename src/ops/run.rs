//! `run`: one guide, step by step, in one shell session.
//!
//! Two phases, so that a caller can show the plan between them: [`prepare`] reads and plans
//! (asking for missing values when someone can answer), [`execute`] runs the plan.

use std::path::PathBuf;
use std::time::Duration;

use crate::chain::Chain;
use crate::checker::Checker;
use crate::error::Error;
use crate::events::{Reporter, RunStatus};
use crate::exec::runner::{self, RunOptions, RunSummary};
use crate::exec::stop::Stop;
use crate::outcome::Outcome;
use crate::plan::{self, Binding, Plan, PlanVar, Selection, ValueSource};
use crate::preflight::{self, Summary};
use crate::report;
use crate::report::human::{Human, HumanOptions};
use crate::report::json_lines::JsonLines;
use crate::report::junit::JUnit;
use crate::settings::{Mode, Settings};

use super::hygiene::HygieneRequest;
use super::{guide, Feedback, GuideRequest};

/// A run to make.
#[derive(Debug, Clone)]
pub struct RunRequest {
    pub guide: GuideRequest,
    pub selection: Selection,
    /// Run the guide's prerequisites' steps first.
    pub with_prereqs: bool,
    /// Plan only: [`prepare`] asks no value, and nothing is to be executed.
    pub dry_run: bool,
    /// Where the session starts.
    pub workdir: PathBuf,
    pub step_timeout: Duration,
    pub retry: Duration,
    pub wait_timeout: Duration,
    /// Go on after a failed step.
    pub keep_going: bool,
    /// Start after the last step that passed in the previous run of this guide.
    pub resume: bool,
    /// Run verification steps as the guide writes them, not as native checks.
    pub no_native: bool,
    /// Check the guide's prerequisites before the first step.
    pub preflight: bool,
    /// Say the preflight report only when a check fails.
    pub quiet: bool,
    /// Collect what failing steps printed, for `--bless` to say what to change.
    pub bless: bool,
    /// Where each step's whole output is written.
    pub full_output: Option<PathBuf>,
    pub hygiene: HygieneRequest,
    pub output: RunOutput,
}

/// Where a run's events go.
#[derive(Debug, Clone)]
pub struct RunOutput {
    pub human: HumanOptions,
    /// JSON Lines on stdout.
    pub json_lines: bool,
    pub junit: Option<PathBuf>,
    pub html: Option<PathBuf>,
}

/// A guide read and planned, ready to run.
pub struct Prepared {
    pub plan: Plan,
    pub chain: Option<Chain>,
    /// The site's helper scripts sourced into the session first (`docrun.yaml`'s `source:`).
    pub source: Vec<PathBuf>,
}

/// A run that ended.
pub struct Ran {
    pub summary: RunSummary,
    /// A report could not be written (said to the feedback as an error).
    pub report_failed: bool,
}

impl Ran {
    /// Passed, failed or stopped as the run was; a report that cannot be written fails the run
    /// (CI would read nothing), and fails it as unusable when no step ran.
    pub fn outcome(&self) -> Outcome {
        let summary = &self.summary;
        if self.report_failed && summary.status != RunStatus::Interrupted {
            let ran = summary.passed + summary.failed > 0;
            return if ran {
                Outcome::Failed
            } else {
                Outcome::Unusable
            };
        }
        match summary.status {
            RunStatus::Passed => Outcome::Passed,
            RunStatus::Failed => Outcome::Failed,
            RunStatus::Interrupted => Outcome::Stopped(summary.stop.unwrap_or(Stop::Interrupt)),
        }
    }
}

/// Reads the guide once, with its chain, and plans it. Variables with no value are asked of the
/// feedback (not on a dry run); unanswered, they are an error naming them. A plan with a step
/// that cannot run as written is an error.
pub fn prepare(request: &RunRequest, feedback: &mut dyn Feedback) -> Result<Prepared, Error> {
    let source = match Settings::find(&request.guide.path)? {
        Some((_, settings)) => settings.source,
        None => Vec::new(),
    };
    let chained = guide::chained(&request.guide, request.with_prereqs, feedback)?;
    if let Some(chain) = chained.chain.as_ref().filter(|_| request.with_prereqs) {
        // A prerequisite declared but not found would leave the chain short: refuse to run it.
        if let Some(missing) = chain.declared_missing() {
            return Err(Error::Usage(format!(
                "{missing}\nhint: fix the path in `requires:`, or run without --with-prereqs"
            )));
        }
    }
    let runbook = &chained.runbook;
    let mut plan = guide::plan(runbook, &request.guide, &request.selection, feedback)?;
    if !plan.missing.is_empty() {
        let missing: Vec<&PlanVar> = plan
            .vars
            .iter()
            .filter(|v| plan.missing.contains(&v.name))
            .collect();
        let answers = match request.dry_run {
            true => None,
            false => feedback.ask(&missing)?,
        };
        let Some(answers) = answers else {
            super::plan::say_where_missing_come_from(chained.chain.as_ref(), &plan, feedback);
            return Err(Error::MissingVars(plan.missing_vars()));
        };
        let mut bindings = plan.bindings.clone();
        for (name, value) in answers {
            let source = ValueSource::Prompt;
            bindings.insert(name, Binding { value, source });
        }
        plan = plan::build(runbook, bindings, &request.selection)?;
    }
    plan.check_runnable()?;
    Ok(Prepared {
        plan,
        chain: chained.chain,
        source,
    })
}

/// Runs a prepared plan: the reports' paths are checked writable, the guide's prerequisite
/// checks pass (unless `preflight` is off), then the steps run with their events sent to the
/// request's outputs, under leak detection when a cluster is used. A failed preflight is an
/// error before any step (exit 1).
pub fn execute(
    prepared: &Prepared,
    request: &RunRequest,
    feedback: &mut dyn Feedback,
) -> Result<Ran, Error> {
    let plan = &prepared.plan;
    // A command that does not look like what runs is said before anything runs.
    for warning in &plan.concealed {
        feedback.warn(warning);
    }
    let output = &request.output;
    if let Some(path) = &output.junit {
        report::check_writable("--junit", path)?;
    }
    if let Some(path) = &output.html {
        report::check_writable("--report", path)?;
    }
    crate::exec::host::check()?;
    let hygiene = super::hygiene::for_plans(
        &request.hygiene,
        Mode::Off,
        None,
        std::iter::once(plan),
        feedback,
    )?;
    let runtime = super::runtime()?;
    if request.preflight {
        preflight::commands_before_run(plan, request.no_native)?;
        runtime.block_on(preflight_before_run(plan, request.quiet, feedback))?;
    }
    let options = RunOptions {
        workdir: request.workdir.clone(),
        default_timeout: request.step_timeout,
        default_retry: request.retry,
        keep_going: request.keep_going,
        resume: request.resume,
        checkpoint: true,
        no_native: request.no_native,
        wait_timeout: request.wait_timeout,
        full_output: request.full_output.clone(),
        start_state: None,
        keep_state: false,
        bless: request.bless,
        source: prepared.source.clone(),
    };
    let reporters = reporters(plan, request);
    super::protect_processes(feedback);
    let (summary, mut reporters) = runtime.block_on(crate::hygiene::run_checked(
        hygiene.as_deref(),
        plan,
        reporters,
        |mut r| {
            let options = &options;
            async move {
                let summary = runner::run(plan, options, &mut r).await;
                (summary, r)
            }
        },
    ));
    let summary = summary?;
    if request.bless {
        feedback.say(&crate::bless::bless(plan, &summary.failures).render());
    }
    let mut report_failed = false;
    for r in reporters.iter_mut() {
        if let Err(e) = r.finish() {
            feedback.error(&format!("cannot write the report: {e}"));
            report_failed = true;
        }
    }
    Ok(Ran {
        summary,
        report_failed,
    })
}

/// The reporters a run's events go to: the terminal always, then what the request asks.
fn reporters(plan: &Plan, request: &RunRequest) -> Vec<Box<dyn Reporter>> {
    let output = &request.output;
    let mut reporters: Vec<Box<dyn Reporter>> = vec![Box::new(Human::new(output.human))];
    if output.json_lines {
        reporters.push(Box::new(JsonLines::default()));
    }
    if let Some(path) = &output.junit {
        reporters.push(Box::new(JUnit::new(path)));
    }
    if let Some(path) = &output.html {
        let title = format!("docrun run {}", request.guide.path.display());
        let info = report::html::RunInfo::now(title, report::invocation::of_this_run(&[plan]));
        reporters.push(Box::new(report::html::HtmlReport::new(path, info)));
    }
    reporters
}

/// Before a run: the guide's prerequisite checks. A failed one stops the run before its first
/// step (exit 1); warnings are said and the run goes on.
async fn preflight_before_run(
    plan: &Plan,
    quiet: bool,
    feedback: &mut dyn Feedback,
) -> Result<(), Error> {
    let mut groups: Vec<preflight::Group> = preflight::groups(plan)
        .into_iter()
        .filter(|g| g.kind == preflight::GroupKind::Prerequisite)
        .collect();
    if groups.is_empty() {
        return Ok(());
    }
    let checker = Checker::from_env().map_err(|e| {
        Error::Usage(format!(
            "{e}\nhint: the guide's prerequisites need the kubeconfig of its contexts; point KUBECONFIG at it, or give --no-preflight"
        ))
    })?;
    let timeout = crate::checker::DEFAULT_CALL_TIMEOUT;
    preflight::run(&checker.with_timeout(timeout), &mut groups, timeout).await;
    let summary = Summary::of(&groups);
    if !quiet || summary.failed > 0 {
        feedback.say(&plan.mask(&report::check::preflight(
            &plan.guide,
            plan.title.as_deref(),
            &groups,
        )));
    }
    if summary.failed > 0 {
        return Err(Error::Failed(format!(
            "preflight: {} of {} checks failed; no step ran\nhint: fix what they say, or give --no-preflight to run anyway",
            summary.failed,
            summary.total()
        )));
    }
    Ok(())
}
