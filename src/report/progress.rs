//! Progress of `docrun test` while its guides run, on standard error. Each guide's report is
//! printed whole when the guide ends (so that the reports of guides running at once do not
//! mix); until then this says what is going on, so that a CI log never goes quiet for minutes:
//!
//! - without a terminal (CI), a `START` line when a guide begins, one line per step as it ends
//!   (`  guide.md: PASS step_id 1.2s`), and every [`HEARTBEAT`] a line for each step that has
//!   been running longer than that;
//! - on a terminal, the progress line names the guides running and their current steps.
//!
//! Every line is fenced off from GitHub Actions' workflow commands (`stop_commands`): it holds
//! paths and step ids from the tree.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::duration::human;
use crate::events::{Event, Masked, Reporter, StepStatus};
use crate::visible::visible;

/// How often a long step is said to be still running, and how long it runs before it is.
pub const HEARTBEAT: Duration = Duration::from_secs(60);

/// Where progress goes.
#[derive(Clone)]
pub enum Display {
    /// Nowhere (`-q`).
    Off,
    /// Plain lines (standard error is not a terminal).
    Lines,
    /// The message of this progress bar.
    Bar(indicatif::ProgressBar),
}

/// The progress of the guides of one run, shared by the reporters of its guides.
#[derive(Clone)]
pub struct Progress {
    display: Display,
    stop_commands: bool,
    running: Arc<Mutex<BTreeMap<PathBuf, Running>>>,
}

/// The step a guide is in.
struct Running {
    step: Option<String>,
    since: Instant,
    /// When the step was last said to be running (its start, at first).
    said: Instant,
}

impl Progress {
    pub fn new(display: Display, stop_commands: bool) -> Self {
        Progress {
            display,
            stop_commands,
            running: Arc::default(),
        }
    }

    /// The progress bar, on a terminal: other text is written above it.
    pub fn bar(&self) -> Option<&indicatif::ProgressBar> {
        match &self.display {
            Display::Bar(bar) => Some(bar),
            _ => None,
        }
    }

    /// A reporter for the events of `guide`.
    pub fn reporter(&self, guide: &Path) -> Box<dyn Reporter> {
        Box::new(GuideProgress {
            progress: self.clone(),
            guide: guide.to_path_buf(),
        })
    }

    /// Says, every `every` ([`HEARTBEAT`] unless `DOCRUN_HEARTBEAT` says otherwise), which steps have run longer than it (plain lines only); runs
    /// until dropped.
    pub async fn heartbeat(self, every: Duration) {
        let every = every.max(Duration::from_millis(100));
        // Looked at four times a period, so that a step is said to run long about `every`
        // after it started, or was last said to, whenever that was.
        let look = every / 4;
        let mut tick = tokio::time::interval_at(tokio::time::Instant::now() + look, look);
        loop {
            tick.tick().await;
            if let Display::Lines = self.display {
                let text = self.long_steps(every);
                self.say(&text);
            }
        }
    }

    /// A line for each step not said to be running for `at_least` (since it started, or was
    /// last said to), e.g. `  guide.md: install_1 still running (2m 0s)`.
    fn long_steps(&self, at_least: Duration) -> String {
        let mut running = self.running.lock().unwrap_or_else(|e| e.into_inner());
        let mut text = String::new();
        for (guide, r) in running.iter_mut() {
            let (Some(step), elapsed) = (&r.step, r.since.elapsed()) else {
                continue;
            };
            if r.said.elapsed() >= at_least {
                r.said = Instant::now();
                text.push_str(&format!(
                    "  {}: {step} still running ({})\n",
                    guide.display(),
                    human(Duration::from_secs(elapsed.as_secs()))
                ));
            }
        }
        text
    }

    fn say(&self, text: &str) {
        if text.is_empty() {
            return;
        }
        match &self.display {
            Display::Lines => {
                let text = visible(text);
                super::write_stderr(None, &super::github::guard(self.stop_commands, &text));
            }
            Display::Bar(_) | Display::Off => {}
        }
    }

    fn update(&self, guide: &Path, step: Option<Option<&str>>) {
        let mut running = self.running.lock().unwrap_or_else(|e| e.into_inner());
        match step {
            Some(step) => {
                running.insert(
                    guide.to_path_buf(),
                    Running {
                        step: step.map(str::to_owned),
                        since: Instant::now(),
                        said: Instant::now(),
                    },
                );
            }
            None => {
                running.remove(guide);
            }
        }
        if let Display::Bar(bar) = &self.display {
            let names: Vec<String> = running
                .iter()
                .map(|(g, r)| match &r.step {
                    Some(step) => format!("{} ({step})", g.display()),
                    None => g.display().to_string(),
                })
                .collect();
            bar.set_message(visible(&names.join(", ")).into_owned());
        }
    }
}

struct GuideProgress {
    progress: Progress,
    guide: PathBuf,
}

impl Reporter for GuideProgress {
    fn event(&mut self, event: &Masked) {
        let guide = self.guide.display();
        match event.event() {
            Event::RunStarted { steps, .. } => {
                self.progress.update(&self.guide, Some(None));
                self.progress.say(&format!(
                    "START {guide}: {steps} step{}\n",
                    if *steps == 1 { "" } else { "s" }
                ));
            }
            Event::StepStarted { id, .. } => self.progress.update(&self.guide, Some(Some(id))),
            Event::StepRetry {
                id,
                attempt,
                left_ms,
                ..
            } => self.progress.say(&format!(
                "  {guide}: RETRY {id} attempt {attempt} ({} left)\n",
                human(Duration::from_millis(*left_ms))
            )),
            Event::StepFinished {
                id,
                status,
                duration_ms,
                attempts,
                ..
            } => {
                self.progress.update(&self.guide, Some(None));
                if *status != StepStatus::Skipped {
                    let tries = if *attempts > 1 {
                        format!(", {attempts} attempts")
                    } else {
                        String::new()
                    };
                    self.progress.say(&format!(
                        "  {guide}: {} {id} {}{tries}\n",
                        status.label(),
                        human(Duration::from_millis(*duration_ms))
                    ));
                }
            }
            Event::RunFinished { .. } => self.progress.update(&self.guide, None),
            _ => {}
        }
    }

    fn finish(&mut self) -> std::io::Result<()> {
        self.progress.update(&self.guide, None);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_step_is_long_once_it_has_run_the_heartbeat() {
        let progress = Progress::new(Display::Lines, false);
        progress.update(Path::new("a.md"), Some(Some("install_1")));
        assert_eq!(progress.long_steps(Duration::from_secs(3600)), "");
        let text = progress.long_steps(Duration::ZERO);
        assert!(
            text.starts_with("  a.md: install_1 still running ("),
            "{text}"
        );
        // Said once a period, not at every look.
        assert_eq!(progress.long_steps(Duration::from_secs(3600)), "");
        progress.update(Path::new("a.md"), None);
        assert_eq!(progress.long_steps(Duration::ZERO), "");
    }
}
