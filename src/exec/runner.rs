//! The step loop: a plan's steps, in order, in one shell session.
//!
//! Each step's output streams to the reporters as it comes (secrets masked, bounded: see
//! [`super::capture`]) and is compared with the guide's expected output when the step ends. A verification step (expected
//! output, commands that only look) is retried with exponential backoff until it passes or its
//! retry budget is spent; a step that changes things is never retried. After a failure the run
//! stops (unless `keep_going`), but cleanup steps still run; Ctrl-C kills the running step's
//! processes, runs the cleanup steps and ends the run as interrupted.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use super::capture::{Capture, ScriptLines};
use super::resume::{changes, fingerprint, guide_state, resumable, Checkpoint, ResumeStore};
use super::shell::{CommandResult, SessionConfig, SessionState, ShellError, ShellSession};
use super::stop::{self, Stop, StopSignals};
use crate::check::CheckStatus;
use crate::checker::Checker;
use crate::error::Error;
use crate::events::{Event, Masker, Reporter, RunStatus, Sink, StepStatus};
use crate::matching::{compare, MatchMode};
use crate::plan::{Plan, PlanStep, RunsAs};

/// How a run behaves.
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// The session's starting directory.
    pub workdir: PathBuf,
    /// A step's timeout unless its overlay gives one.
    pub default_timeout: Duration,
    /// How long a verification step is retried unless its overlay gives a budget.
    pub default_retry: Duration,
    /// Go on after a failed step.
    pub keep_going: bool,
    /// Start after the last step that passed in an earlier run, with its state restored.
    pub resume: bool,
    /// Leave a checkpoint for `--resume` when the run does not pass (and forget it when the run
    /// passes); `docrun test` keeps none.
    pub checkpoint: bool,
    /// Run the guide's own commands even where native checks could replace them.
    pub no_native: bool,
    /// How long a native wait (pods ready, rollout, condition) may take.
    pub wait_timeout: Duration,
    /// A directory for the whole output of each step (`STEP_ID.log`, secrets masked, the id made
    /// one safe file name by [`super::capture::file_name`]); reports keep only its beginning and
    /// end (see [`super::capture`]).
    pub full_output: Option<PathBuf>,
    /// Start from this state (exported variables and working directory), as a run that
    /// continues from another's: `docrun test --with-prereqs` forks a shared prerequisite's.
    pub start_state: Option<SessionState>,
    /// Read the session's state after the last step, into [`RunSummary::end_state`].
    pub keep_state: bool,
    /// Keep what `--bless` needs of each failed step in [`RunSummary::failures`]; a step that
    /// fails only because its output differs from the guide's does not stop the run, so one run
    /// finds every drifted step.
    pub bless: bool,
    /// Files sourced into the session before the first step, in order (a site's helper
    /// functions, `docrun.yaml`'s `source:`): paths already resolved inside the tree. A file
    /// that fails to source stops the run before any step.
    pub source: Vec<PathBuf>,
}

/// A step that failed, as `--bless` sees it (kept only when [`RunOptions::bless`] asks).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FailedStep {
    /// The step's index in [`Plan::steps`].
    pub index: usize,
    /// Why it failed, in the words of its report.
    pub message: String,
    /// What it printed, when the comparison with the guide's expected output is all that
    /// failed (exit status 0, no timeout, every byte compared); `None` otherwise.
    pub drift: Option<Drift>,
}

/// The output of a step whose only failure is that it differs from the guide's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Drift {
    /// The whole output, masked as the reports mask it (a secret's value is `***`).
    pub output: String,
    /// Whether masking changed the output: it held the value of a secret variable.
    pub held_secret: bool,
}

/// What a run came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunSummary {
    pub status: RunStatus,
    pub passed: usize,
    pub failed: usize,
    pub skipped: usize,
    /// The signal that stopped the run, when `status` is `Interrupted`.
    pub stop: Option<Stop>,
    /// The session's exported variables and working directory after the last step, when
    /// [`RunOptions::keep_state`] asked for them and the run passed.
    pub end_state: Option<SessionState>,
    /// The steps that failed, in order, when [`RunOptions::bless`] asked for them.
    pub failures: Vec<FailedStep>,
}

/// The first wait between two attempts of a verification step; it doubles up to [`MAX_BACKOFF`].
pub const FIRST_BACKOFF: Duration = Duration::from_millis(200);
pub const MAX_BACKOFF: Duration = Duration::from_secs(5);

/// Sources `file` into the session, as a site's test harness does before its steps.
async fn source_into(
    session: &mut ShellSession,
    file: &std::path::Path,
    timeout: Duration,
) -> Result<(), Error> {
    let quoted = format!("'{}'", file.to_string_lossy().replace('\'', r"'\''"));
    let mut output = Vec::new();
    let result = session
        .run(
            &format!("builtin source {quoted}"),
            timeout,
            &mut |bytes: &[u8]| output.extend_from_slice(bytes),
        )
        .await
        .map_err(|e| {
            Error::Usage(format!(
                "{}: sourcing it into the session failed: {e}",
                file.display()
            ))
        })?;
    if result.exit_status != 0 {
        let said = String::from_utf8_lossy(&output);
        return Err(Error::Usage(format!(
            "{}: sourcing it into the session failed (exit {}){}",
            file.display(),
            result.exit_status,
            if said.trim().is_empty() {
                String::new()
            } else {
                format!(":\n{}", crate::visible::visible(said.trim()))
            }
        )));
    }
    Ok(())
}

/// Runs the selected steps of a plan. The plan must have no missing variables. Every event
/// reaches the reporters masked with the plan's secrets.
pub async fn run(
    plan: &Plan,
    options: &RunOptions,
    reporters: &mut [Box<dyn Reporter>],
) -> Result<RunSummary, Error> {
    let mut sink = Sink::new(Masker::new(&plan.secrets), reporters);
    run_steps(plan, options, &mut sink).await
}

async fn run_steps(
    plan: &Plan,
    options: &RunOptions,
    reporters: &mut Sink<'_>,
) -> Result<RunSummary, Error> {
    let started = Instant::now();
    refuse_shell_control(plan)?;
    // One listener for the whole run, installed before the session starts: a stop signal
    // between two steps is not lost (the next step sees it at once), and none leaves the
    // session behind.
    let mut interrupt = StopSignals::install().map_err(|e| {
        Error::Internal(format!("cannot listen for Ctrl-C, SIGTERM and SIGHUP: {e}"))
    })?;
    let store = ResumeStore::for_run(&plan.guide, &plan.bindings);
    // Held to the end of the run: a second run of this guide with these values is refused.
    let _lock = if options.checkpoint || options.resume {
        store.lock()?
    } else {
        None
    };
    let checkpoint = if options.resume { store.load()? } else { None };
    if let Some(running) = checkpoint.as_ref().and_then(|cp| cp.running.as_deref()) {
        eprintln!(
            "note: step {} was running when the earlier run stopped without ending it (killed, or its machine lost); it may have half-run, and it runs again from its start",
            crate::visible::visible(running)
        );
    }
    if let Some(cp) = &checkpoint {
        let changed = changes(&cp.steps, &fingerprint(plan), &cp.last_passed);
        if !changed.is_empty() {
            return Err(Error::Usage(format!(
                "{}: the guide changed since the run that left the checkpoint (after step {}); --resume would skip steps the guide now has:\n  {}\nhint: run without --resume to start from the first step, or choose where to start with --from ID",
                plan.guide.display(),
                cp.last_passed,
                changed.join("\n  ")
            )));
        }
    }
    let resume_index = checkpoint.as_ref().and_then(|cp| {
        plan.steps
            .iter()
            .position(|s| s.id == cp.last_passed && s.selected)
    });
    if options.resume && resume_index.is_none() {
        eprintln!(
            "note: no checkpoint for {} with these values; starting from the first step",
            plan.guide.display()
        );
    }
    let env: Vec<(String, String)> = plan
        .bindings
        .iter()
        .map(|(name, b)| (name.clone(), b.value.clone()))
        .collect();
    let mut config = SessionConfig::new(options.workdir.clone());
    config.env = env;
    let mut session = ShellSession::start(config)
        .await
        .map_err(|e| Error::Internal(format!("cannot start the shell session: {e}")))?;
    for file in &options.source {
        source_into(&mut session, file, options.default_timeout).await?;
    }
    let start_state = session.state().await.ok();
    if let Some(state) = &options.start_state {
        session.restore(state).await.map_err(|e| {
            Error::Internal(format!("cannot start from the prerequisites' state: {e}"))
        })?;
    }
    if let (Some(cp), Some(_)) = (&checkpoint, resume_index) {
        let (state, dropped) = resumable(&cp.state);
        if !dropped.is_empty() {
            eprintln!(
                "note: --resume leaves out {} from the checkpoint: shell-control, loader and secret-named variables are never restored (run without --resume if a later step needs them)",
                dropped.join(", ")
            );
        }
        session
            .restore(&state)
            .await
            .map_err(|e| Error::Internal(format!("cannot restore the saved session state: {e}")))?;
    }

    let total = plan.steps.iter().filter(|s| s.selected).count();
    emit(
        reporters,
        Event::RunStarted {
            guide: plan.guide.clone(),
            title: plan.title.clone(),
            steps: total,
            resumed_after: resume_index.map(|i| plan.steps[i].id.clone()),
        },
    );

    let mut summary = RunSummary {
        status: RunStatus::Passed,
        passed: 0,
        failed: 0,
        skipped: 0,
        stop: None,
        end_state: None,
        failures: Vec::new(),
    };
    let mut checker: Option<Result<Checker, String>> = None;
    let mut stopped_by: Option<String> = None;
    let mut interrupted = false;
    let mut last_passed: Option<(String, Option<SessionState>)> = None;
    let mut index = 0;
    for (position, step) in plan.steps.iter().enumerate() {
        if !step.kind.is_executed() {
            continue;
        }
        if !step.selected {
            let reason = step
                .reason
                .clone()
                .unwrap_or_else(|| "not selected".to_owned());
            skip(reporters, step, &reason, &mut summary);
            continue;
        }
        index += 1;
        if resume_index.is_some_and(|r| position <= r) {
            skip(
                reporters,
                step,
                "passed in an earlier run (--resume)",
                &mut summary,
            );
            continue;
        }
        if let (None, Some(signal)) = (&stopped_by, stop::requested()) {
            // A signal that reached another listener (another guide of `docrun test`).
            summary.stop = Some(signal);
            interrupted = true;
            stopped_by = Some(signal.name().to_owned());
        }
        if let Some(cause) = &stopped_by {
            if !step.cleanup {
                skip(
                    reporters,
                    step,
                    &format!("not run after {cause}"),
                    &mut summary,
                );
                continue;
            }
        }
        let native = step.runs_as == RunsAs::Native && !options.no_native;
        let commands = if native {
            native_commands(step)
        } else {
            step.commands.clone()
        };
        emit(
            reporters,
            Event::StepStarted {
                id: step.id.clone(),
                section: step.section.clone(),
                file: step.file.to_path_buf(),
                line: step.line,
                index,
                total,
                commands: commands.clone(),
                cleanup: step.cleanup,
            },
        );
        if options.checkpoint && !step.cleanup && store.path().is_some() {
            // Written before the step: a run killed now resumes at this step, and says it may
            // have half-run.
            if let Some((id, Some(state))) = &last_passed {
                save_checkpoint_at(
                    &store,
                    plan,
                    id,
                    state,
                    start_state.as_ref(),
                    Some(&step.id),
                );
            }
        }
        let outcome = if native {
            let checker = checker.get_or_insert_with(|| {
                Checker::from_env().map_err(|e| format!("cannot read the kubeconfig: {e}"))
            });
            let checker = checker.as_ref();
            run_native(step, options, &mut interrupt, checker, reporters, commands).await
        } else {
            run_step(plan, step, options, &mut interrupt, &mut session, reporters).await
        };
        match outcome.status {
            StepStatus::Passed => {
                summary.passed += 1;
                if !step.cleanup {
                    // A step that only looks changes neither exported variables nor the
                    // directory, so the state captured after an earlier step still holds.
                    let state = match last_passed.take() {
                        Some((_, state)) if step.read_only => state,
                        _ => session.state().await.ok(),
                    };
                    last_passed = Some((step.id.clone(), state));
                }
            }
            StepStatus::Interrupted => {
                summary.failed += 1;
                interrupted = true;
                let signal = outcome.stop.unwrap_or(Stop::Interrupt);
                summary.stop.get_or_insert(signal);
                stopped_by.get_or_insert_with(|| signal.name().to_owned());
            }
            _ => {
                summary.failed += 1;
                let drifted = outcome.drift.is_some();
                if options.bless {
                    summary.failures.push(FailedStep {
                        index: position,
                        message: outcome.message.clone().unwrap_or_default(),
                        drift: outcome.drift.clone(),
                    });
                }
                // Under --bless a step that only printed other output than the guide's ran
                // as it should: the run goes on to find the next one.
                if !options.keep_going && !drifted {
                    stopped_by.get_or_insert_with(|| format!("the failure of {}", step.id));
                }
            }
        }
        if outcome.session_lost {
            if let Err(e) = session.restart().await {
                stopped_by
                    .get_or_insert_with(|| format!("the shell session could not restart: {e}"));
            }
        }
    }

    if let (false, Some(signal)) = (interrupted, stop::requested()) {
        // A signal a cleanup step ran on through: the run was still stopped by it.
        interrupted = true;
        summary.stop.get_or_insert(signal);
    }
    summary.status = if interrupted {
        RunStatus::Interrupted
    } else if summary.failed > 0 {
        RunStatus::Failed
    } else {
        RunStatus::Passed
    };
    let resume_note = if options.checkpoint {
        save_checkpoint(
            &store,
            plan,
            summary.status,
            last_passed,
            start_state.as_ref(),
        )
    } else {
        None
    };
    emit(
        reporters,
        Event::RunFinished {
            guide: plan.guide.clone(),
            status: summary.status,
            passed: summary.passed,
            failed: summary.failed,
            skipped: summary.skipped,
            duration_ms: started.elapsed().as_millis() as u64,
        },
    );
    if let Some(note) = resume_note {
        eprintln!("{note}");
    }
    if options.keep_state && summary.status == RunStatus::Passed {
        summary.end_state = session.state().await.ok();
    }
    let _ = session.close().await;
    Ok(summary)
}

/// Refuses a plan that binds a variable controlling the shell itself
/// ([`super::shell::is_shell_control`]: `BASH_ENV`, `SHELLOPTS`, `PS4`, `BASH_FUNC_*`, ...):
/// with a value from `--set`, `--values`, the environment or a default, it would decide what the
/// session sources or runs before any step. The error (exit 2) names each such variable, where
/// the guide declares it and where its value came from; nothing has run.
fn refuse_shell_control(plan: &Plan) -> Result<(), Error> {
    let refused: Vec<String> = plan
        .bindings
        .iter()
        .filter(|(name, _)| super::shell::is_shell_control(name))
        .map(|(name, binding)| {
            // Line 0: declared by the overlay, not at a line of the guide.
            let declared = match plan.vars.iter().find(|v| &v.name == name) {
                Some(v) if v.line > 0 => format!(
                    "{}:{}",
                    v.file.as_deref().unwrap_or(&plan.guide).display(),
                    v.line
                ),
                Some(v) => v
                    .file
                    .as_deref()
                    .unwrap_or(&plan.guide)
                    .display()
                    .to_string(),
                None => plan.guide.display().to_string(),
            };
            format!(
                "{declared}: variable {name} (value from {}) controls the shell session itself",
                binding.source.describe()
            )
        })
        .collect();
    if refused.is_empty() {
        return Ok(());
    }
    Err(Error::Usage(format!(
        "{}\nnothing ran: docrun does not let a guide set how its shell starts or reads commands\nhint: give the guide's variable another name; {} and exported functions (BASH_FUNC_*) never reach the session",
        refused.join("\n"),
        super::shell::SHELL_CONTROL.join(", ")
    )))
}

/// Saves (or, after a run that passed, clears) the checkpoint; returns what to tell the user
/// about it: where it is and how to go on from it.
fn save_checkpoint(
    store: &ResumeStore,
    plan: &Plan,
    status: RunStatus,
    last_passed: Option<(String, Option<SessionState>)>,
    start: Option<&SessionState>,
) -> Option<String> {
    if status == RunStatus::Passed {
        store.clear();
        return None;
    }
    let (id, Some(state)) = last_passed? else {
        return None;
    };
    if !save_checkpoint_at(store, plan, &id, &state, start, None) {
        return None;
    }
    Some(format!(
        "note: checkpoint saved in {}; `docrun run {} --resume` (with the same values) goes on after step {}",
        store.path()?.display(),
        plan.guide.display(),
        crate::visible::visible(&id)
    ))
}

/// Saves the checkpoint of a run whose last passed step is `id`, leaving `state`; `running`
/// names a step that starts now.
fn save_checkpoint_at(
    store: &ResumeStore,
    plan: &Plan,
    id: &str,
    state: &SessionState,
    start: Option<&SessionState>,
    running: Option<&str>,
) -> bool {
    let state = match start {
        Some(start) => guide_state(state, start, &plan.secrets),
        None => SessionState {
            cwd: state.cwd.clone(),
            exported: Vec::new(),
        },
    };
    let checkpoint = Checkpoint {
        guide: plan.guide.clone(),
        last_passed: id.to_owned(),
        state,
        steps: fingerprint(plan),
        running: running.map(str::to_owned),
        values: plan.values_file.clone(),
    };
    match store.save(&checkpoint) {
        Ok(()) => true,
        Err(e) => {
            crate::events::note(&format!(
                "warning: cannot save the checkpoint for --resume: {e}"
            ));
            false
        }
    }
}

/// The event of a step that does not run, and why.
pub fn skipped(step: &PlanStep, reason: &str) -> Event {
    Event::StepFinished {
        id: step.id.clone(),
        section: step.section.clone(),
        file: step.file.to_path_buf(),
        line: step.line,
        status: StepStatus::Skipped,
        exit_status: None,
        duration_ms: 0,
        attempts: 0,
        mode: None,
        message: Some(reason.to_owned()),
        diff: None,
        output: String::new(),
        commands: step.commands.clone(),
    }
}

fn skip(reporters: &mut Sink<'_>, step: &PlanStep, reason: &str, summary: &mut RunSummary) {
    summary.skipped += 1;
    emit(reporters, skipped(step, reason));
}

fn emit(reporters: &mut Sink<'_>, event: Event) {
    reporters.emit(event);
}

struct StepOutcome {
    status: StepStatus,
    /// The signal that interrupted the step.
    stop: Option<Stop>,
    /// The step ended the shell (`exit`, `set -e`): the session must restart.
    session_lost: bool,
    /// Why the step did not pass.
    message: Option<String>,
    /// Under `--bless`, the output of a step whose only failure is its comparison.
    drift: Option<Drift>,
}

/// Whether a failed attempt failed only because its output differs from the guide's expected
/// output: it ended in time with status 0, every byte of its output was compared, and its
/// mode compares output (not `failure`).
fn only_output_differs(step: &PlanStep, result: &CommandResult, verdict: &Verdict) -> bool {
    verdict.status == StepStatus::Failed
        && verdict.diff.is_some()
        && step.expected.is_some()
        && step.mode != MatchMode::Failure
        && !result.timed_out
        && result.exit_status == 0
        && result.output_bytes <= result.output.len() as u64
}

/// The verdict on one attempt of a step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    pub status: StepStatus,
    pub message: Option<String>,
    pub diff: Option<String>,
}

/// Judges a finished attempt: exit status, timeout, and the expected output under the step's mode.
pub fn judge(step: &PlanStep, result: &CommandResult, timeout: Duration) -> Verdict {
    if result.timed_out {
        return Verdict {
            status: StepStatus::TimedOut,
            message: Some(format!(
                "timed out after {}; the step's processes were killed",
                crate::duration::human(timeout)
            )),
            diff: None,
        };
    }
    if step.mode == MatchMode::Failure {
        let outcome = compare(
            &step.mode,
            step.expected.as_deref().unwrap_or(""),
            &result.output,
            result.exit_status,
        );
        return Verdict {
            status: if outcome.passed {
                StepStatus::Passed
            } else {
                StepStatus::Failed
            },
            message: (!outcome.passed)
                .then(|| "the guide expects this command to fail, but it exited 0".to_owned()),
            diff: None,
        };
    }
    let whole = result.output_bytes <= result.output.len() as u64;
    let needs_whole = !matches!(
        step.mode,
        MatchMode::Ignore | MatchMode::FirstLine | MatchMode::Failure
    );
    if step.expected.is_some() && needs_whole && !whole {
        return Verdict {
            status: StepStatus::Failed,
            message: Some(format!(
                "the step printed {} bytes; docrun compares at most {} bytes of output with the guide (mode {})",
                result.output_bytes,
                super::shell::OUTPUT_KEEP,
                step.mode.name()
            )),
            diff: None,
        };
    }
    let compared = step
        .expected
        .as_deref()
        .map(|expected| compare(&step.mode, expected, &result.output, result.exit_status));
    if result.exit_status != 0 {
        return Verdict {
            status: StepStatus::Failed,
            message: Some(format!(
                "the command exited with status {}",
                result.exit_status
            )),
            diff: compared.and_then(|c| c.diff),
        };
    }
    match compared {
        Some(outcome) if !outcome.passed => Verdict {
            status: StepStatus::Failed,
            message: outcome
                .reason
                .or_else(|| Some("the output differs from the guide".to_owned())),
            diff: outcome.diff,
        },
        _ => Verdict {
            status: StepStatus::Passed,
            message: None,
            diff: None,
        },
    }
}

/// Runs a step's commands in the session, retrying a verification step within its budget.
async fn run_step(
    plan: &Plan,
    step: &PlanStep,
    options: &RunOptions,
    interrupt: &mut StopSignals,
    session: &mut ShellSession,
    reporters: &mut Sink<'_>,
) -> StepOutcome {
    let script = step.scripts.join("\n");
    let timeout = step.timeout.unwrap_or(options.default_timeout);
    let retry_budget = match step.retry {
        Some(budget) => budget,
        None if step.read_only && step.expected.is_some() => options.default_retry,
        None => Duration::ZERO,
    };
    let started = Instant::now();
    let mut stopped = None;
    let mut attempts = 0u32;
    let mut backoff = FIRST_BACKOFF;
    // A step that may be retried shows its output once, from its last attempt, rather than
    // again on every attempt: its attempts report to no one until the step ends.
    let held = !retry_budget.is_zero();
    let mut drift = None;
    let (verdict, output, exit_status, session_lost) = loop {
        attempts += 1;
        let log = options
            .full_output
            .as_ref()
            .map(|dir| dir.join(format!("{}.log", super::capture::file_name(&step.id))));
        let mut sink = Capture::new(&step.id, &plan.secrets, log.as_deref()).with_script_lines(
            ScriptLines::new(
                &session.script_path(),
                &step.file,
                &step.scripts,
                &step.command_lines,
            ),
        );
        // A cleanup step is spared the first stop signal of the run: it runs to its end (and
        // says so); a second signal aborts it.
        let mut spared = !step.cleanup || super::stop::requested().is_some();
        let mut quiet = held.then(|| Sink::new(Masker::new(&plan.secrets), &mut []));
        let live: &mut Sink<'_> = match quiet.as_mut() {
            Some(quiet) => quiet,
            None => reporters,
        };
        let result = {
            let mut on_output = |bytes: &[u8]| sink.push(bytes, live);
            let run = session.run(&script, timeout, &mut on_output);
            tokio::pin!(run);
            loop {
                tokio::select! {
                    result = &mut run => break Ok(result),
                    signal = interrupt.recv() => {
                        if spared {
                            break Err(signal);
                        }
                        spared = true;
                        eprintln!(
                            "note: {} during cleanup step {}: it runs to its end so that what it cleans up is not left half done; {} again aborts it",
                            signal.name(),
                            crate::visible::visible(&step.id),
                            signal.name()
                        );
                    }
                }
            }
        };
        let result = match result {
            Ok(result) => result,
            Err(signal) => {
                stopped = Some(signal);
                session.interrupt().await;
                let (output, _) = sink.finish(live);
                break (
                    Verdict {
                        status: StepStatus::Interrupted,
                        message: Some(format!(
                            "interrupted ({}); the step's processes were killed",
                            signal.name()
                        )),
                        diff: None,
                    },
                    output,
                    None,
                    false,
                );
            }
        };
        let (output, lost) = sink.finish(live);
        match result {
            Ok(result) => {
                let mut verdict = judge(step, &result, timeout);
                if let Some(lost) = lost {
                    // `--full-output` promises all of it: a log that misses some fails the step.
                    verdict = Verdict {
                        status: StepStatus::Failed,
                        message: Some(format!(
                            "{lost}; --full-output keeps every byte, so the step fails{}",
                            verdict
                                .message
                                .map(|m| format!(" (and: {m})"))
                                .unwrap_or_default()
                        )),
                        diff: verdict.diff,
                    };
                    break (verdict, output, Some(result.exit_status), false);
                }
                let retry = verdict.status == StepStatus::Failed
                    && started.elapsed() + backoff <= retry_budget;
                if retry {
                    emit(
                        reporters,
                        Event::StepRetry {
                            id: step.id.clone(),
                            attempt: attempts,
                            wait_ms: backoff.as_millis() as u64,
                            left_ms: retry_budget.saturating_sub(started.elapsed()).as_millis()
                                as u64,
                            message: verdict.message.clone().or_else(|| {
                                verdict
                                    .diff
                                    .as_ref()
                                    .map(|_| "the output differs from the guide".to_owned())
                            }),
                        },
                    );
                    tokio::time::sleep(backoff).await;
                    backoff = (backoff * 2).min(MAX_BACKOFF);
                    continue;
                }
                if options.bless && only_output_differs(step, &result, &verdict) {
                    let masked = crate::plan::mask(&result.output, &plan.secrets);
                    drift = Some(Drift {
                        held_secret: masked != result.output,
                        output: masked,
                    });
                }
                break (verdict, output, Some(result.exit_status), false);
            }
            Err(ShellError::SessionEnded {
                status,
                output: ended_output,
            }) => {
                break (
                    Verdict {
                        status: StepStatus::Failed,
                        message: Some(format!(
                            "the step ended the shell session (exit status {status}); docrun starts a new one with the exported variables"
                        )),
                        diff: None,
                    },
                    if output.is_empty() { ended_output } else { output },
                    Some(status),
                    true,
                );
            }
            Err(e) => {
                break (
                    Verdict {
                        status: StepStatus::Failed,
                        message: Some(format!("the shell session failed: {e}")),
                        diff: None,
                    },
                    output,
                    None,
                    true,
                );
            }
        }
    };
    if held && !output.is_empty() {
        // The last attempt's output, as the output of the step (already masked).
        emit(
            reporters,
            Event::Output {
                id: step.id.clone(),
                text: if output.ends_with('\n') {
                    output.clone()
                } else {
                    format!("{output}\n")
                },
            },
        );
    }
    emit(
        reporters,
        Event::StepFinished {
            id: step.id.clone(),
            section: step.section.clone(),
            file: step.file.to_path_buf(),
            line: step.line,
            status: verdict.status,
            exit_status,
            duration_ms: started.elapsed().as_millis() as u64,
            attempts,
            mode: step.expected.as_ref().map(|_| step.mode.name().to_owned()),
            message: verdict.message.clone(),
            diff: verdict.diff,
            output,
            commands: step.commands.clone(),
        },
    );
    StepOutcome {
        status: verdict.status,
        stop: stopped,
        session_lost,
        message: verdict.message,
        drift,
    }
}

/// How a step that runs as native checks is shown: one line per check.
fn native_commands(step: &PlanStep) -> Vec<String> {
    step.native.iter().map(|c| format!("native {c}")).collect()
}

/// Runs a step as its native checks: watches instead of the guide's polling commands, and reads
/// through the Kubernetes API instead of kubectl. Ctrl-C ends the wait.
async fn run_native(
    step: &PlanStep,
    options: &RunOptions,
    interrupt: &mut StopSignals,
    checker: Result<&Checker, &String>,
    reporters: &mut Sink<'_>,
    commands: Vec<String>,
) -> StepOutcome {
    let started = Instant::now();
    let mut stopped = None;
    let wait = step.timeout.unwrap_or(options.wait_timeout);
    let (status, message, output) = match checker {
        Err(e) => (StepStatus::Failed, Some(e.clone()), String::new()),
        Ok(checker) => {
            tokio::select! {
                results = checker.run_all(&step.native, wait) => {
                    let mut output = String::new();
                    for r in &results {
                        output.push_str(&format!(
                            "{} {} {} {}: {}\n",
                            r.status.word(),
                            r.check,
                            r.context.as_deref().unwrap_or("-"),
                            r.target,
                            r.message
                        ));
                    }
                    let failed: Vec<&str> = results
                        .iter()
                        .filter(|r| r.status == CheckStatus::Failed)
                        .map(|r| r.message.as_str())
                        .collect();
                    if failed.is_empty() && !results.is_empty() {
                        (StepStatus::Passed, None, output)
                    } else if results.is_empty() {
                        (StepStatus::Failed, Some("no native check gave a result".to_owned()), output)
                    } else {
                        (StepStatus::Failed, Some(failed.join("; ")), output)
                    }
                }
                signal = interrupt.recv() => {
                    stopped = Some(signal);
                    (
                        StepStatus::Interrupted,
                        Some(format!("interrupted ({}) while waiting", signal.name())),
                        String::new(),
                    )
                }
            }
        }
    };
    if !output.is_empty() {
        emit(
            reporters,
            Event::Output {
                id: step.id.clone(),
                text: output.clone(),
            },
        );
    }
    emit(
        reporters,
        Event::StepFinished {
            id: step.id.clone(),
            section: step.section.clone(),
            file: step.file.to_path_buf(),
            line: step.line,
            status,
            exit_status: None,
            duration_ms: started.elapsed().as_millis() as u64,
            attempts: 1,
            mode: Some("native".to_owned()),
            message: message.clone(),
            diff: None,
            output,
            commands,
        },
    );
    StepOutcome {
        status,
        stop: stopped,
        session_lost: false,
        message: message.map(|m| format!("{m} (the step ran as native checks)")),
        drift: None,
    }
}
