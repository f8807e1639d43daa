//! Run events: what happened, in order. Reporters turn them into terminal lines, JSON Lines and
//! JUnit. Every text in an event has secret values masked already.

use std::path::PathBuf;

use serde::Serialize;

/// How a step ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum StepStatus {
    Passed,
    Failed,
    TimedOut,
    Skipped,
    Interrupted,
}

impl StepStatus {
    pub fn label(self) -> &'static str {
        match self {
            StepStatus::Passed => "PASS",
            StepStatus::Failed => "FAIL",
            StepStatus::TimedOut => "TIMEOUT",
            StepStatus::Skipped => "SKIP",
            StepStatus::Interrupted => "INTERRUPTED",
        }
    }

    pub fn is_failure(self) -> bool {
        matches!(
            self,
            StepStatus::Failed | StepStatus::TimedOut | StepStatus::Interrupted
        )
    }
}

/// How the whole run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RunStatus {
    Passed,
    Failed,
    Interrupted,
}

/// One event of a run. Serialised as one JSON object per line with a `type` field.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Event {
    RunStarted {
        guide: PathBuf,
        title: Option<String>,
        /// Steps this run takes.
        steps: usize,
        /// The step after which a `--resume` run continues.
        resumed_after: Option<String>,
    },
    StepStarted {
        id: String,
        section: String,
        file: PathBuf,
        line: usize,
        /// 1-based position among the steps this run takes.
        index: usize,
        total: usize,
        commands: Vec<String>,
        cleanup: bool,
    },
    Output {
        id: String,
        text: String,
    },
    StepFinished {
        id: String,
        section: String,
        file: PathBuf,
        line: usize,
        status: StepStatus,
        exit_status: Option<i32>,
        duration_ms: u64,
        attempts: u32,
        /// The output comparison mode, when the step has expected output.
        mode: Option<String>,
        /// Why it failed or was skipped.
        message: Option<String>,
        /// Expected vs actual, when the output did not match.
        diff: Option<String>,
        /// The step's whole output.
        output: String,
        commands: Vec<String>,
    },
    RunFinished {
        guide: PathBuf,
        status: RunStatus,
        passed: usize,
        failed: usize,
        skipped: usize,
        duration_ms: u64,
    },
}

/// Something that receives the events of a run.
pub trait Reporter: Send {
    fn event(&mut self, event: &Event);
    /// Called once after the last event.
    fn finish(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// JSON Lines on stdout. A write that fails (a full disk, a closed pipe) stops the stream and is
/// returned by [`Reporter::finish`]: a report that could not be written fails the run.
#[derive(Default)]
pub struct JsonLines {
    error: Option<std::io::Error>,
}

impl Reporter for JsonLines {
    fn event(&mut self, event: &Event) {
        use std::io::Write;
        if self.error.is_some() {
            return;
        }
        if let Ok(line) = serde_json::to_string(event) {
            let mut out = std::io::stdout().lock();
            if let Err(e) = writeln!(out, "{line}").and_then(|()| out.flush()) {
                self.error = Some(e);
            }
        }
    }

    fn finish(&mut self) -> std::io::Result<()> {
        match self.error.take() {
            Some(e) => Err(std::io::Error::new(
                e.kind(),
                format!("cannot write the JSON Lines events to stdout: {e}"),
            )),
            None => Ok(()),
        }
    }
}
