//! The terminal report: one line per step (status, id, section, duration), the steps' output as
//! it comes, and on failure the source location, the commands, the exit status and the diff. On
//! a terminal an indicatif progress line shows the current step, elapsed time and steps done.
//! The report is the run's result: it goes to stdout, or to stderr when stdout holds the JSON
//! Lines of `--json` (`to_stdout`); the progress line is always on stderr.
//!
//! In a GitHub Actions log (`stop_commands`), what the report prints comes from the guide and
//! its steps, so the runner must not read it as workflow commands: a buffered report comes back
//! from [`Human::take_text`] inside one [`Fence`]; a live report opens a fence at its first line
//! and closes it when the run finishes, and holds a step's output back until its line ends, so
//! that every line is checked whole for the fence's token.

use crate::visible::visible;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use super::github::Fence;
use crate::duration::human;
use crate::events::{Event, HygieneStatus, Masked, Reporter, RunStatus, StepStatus};

/// How much the terminal report says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HumanOptions {
    pub color: bool,
    /// Only failures and the summary.
    pub quiet: bool,
    /// Also steps that are skipped.
    pub verbose: bool,
    /// Draw a progress line (stderr is a terminal).
    pub progress: bool,
    /// Show the steps' output as it comes.
    pub live_output: bool,
    /// The report goes to a GitHub Actions log: fence what it prints so that no line of it is
    /// taken as a workflow command (see the module documentation).
    pub stop_commands: bool,
    /// Write the report to stdout (else stderr: stdout holds `--json`).
    pub to_stdout: bool,
}

pub struct Human {
    options: HumanOptions,
    bar: Option<ProgressBar>,
    /// Output of the current step not yet ended by a newline.
    partial: bool,
    /// When set, the report is written here instead of stderr (doc CI prints each guide's
    /// report whole, when the guide ends).
    buffer: Option<String>,
    /// The fence open on stderr (`stop_commands`, live report).
    fence: Option<Fence>,
    /// Step output not yet printed: the end of a line that has not come yet (`stop_commands`).
    held: String,
}

impl Human {
    pub fn new(options: HumanOptions) -> Self {
        Human {
            options,
            bar: None,
            partial: false,
            buffer: None,
            fence: None,
            held: String::new(),
        }
    }

    /// A report written to a string, without progress line or live output.
    pub fn buffered(options: HumanOptions) -> Self {
        Human {
            options: HumanOptions {
                progress: false,
                live_output: false,
                ..options
            },
            bar: None,
            partial: false,
            buffer: Some(String::new()),
            fence: None,
            held: String::new(),
        }
    }

    /// The text a buffered report has written so far; with `stop_commands`, inside a
    /// [`Fence`] drawn now (empty text stays empty).
    pub fn take_text(&mut self) -> String {
        let text = self.buffer.as_mut().map(std::mem::take).unwrap_or_default();
        super::github::guard(self.options.stop_commands, &text).into_owned()
    }

    fn print(&mut self, text: &str) {
        if let Some(buffer) = self.buffer.as_mut() {
            buffer.push_str(text);
            return;
        }
        if !self.options.stop_commands {
            super::write_results(self.bar.as_ref(), self.options.to_stdout, text);
            return;
        }
        let mut out = String::new();
        let fence = self.fence.get_or_insert_with(|| {
            let fence = Fence::new();
            out.push_str(&fence.start());
            fence
        });
        out.push_str(&fence.defuse(text));
        super::write_results(self.bar.as_ref(), self.options.to_stdout, &out);
    }

    /// Prints the step output held back for its line end (`stop_commands`).
    fn flush_held(&mut self) {
        if !self.held.is_empty() {
            let held = std::mem::take(&mut self.held);
            self.partial = !held.ends_with('\n');
            self.print(&held);
        }
    }

    /// Ends the fence open on stderr, on a line of its own.
    fn close_fence(&mut self) {
        self.flush_held();
        if let Some(fence) = self.fence.take() {
            let newline = if std::mem::take(&mut self.partial) {
                "\n"
            } else {
                ""
            };
            super::write_results(
                self.bar.as_ref(),
                self.options.to_stdout,
                &format!("{newline}{}", fence.end()),
            );
        }
    }

    fn paint(&self, text: &str, code: &str) -> String {
        if self.options.color {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_owned()
        }
    }

    fn status_label(&self, status: StepStatus) -> String {
        let label = format!("{:<4}", status.label());
        match status {
            StepStatus::Passed => self.paint(&label, "32"),
            StepStatus::Skipped => self.paint(&label, "2"),
            _ => self.paint(&label, "31;1"),
        }
    }
}

/// The first line of a message, for a one-line status.
fn first_line(text: &str) -> &str {
    text.lines().next().unwrap_or("")
}

/// A path as shown, hidden characters written out.
fn visible_path(path: &std::path::Path) -> String {
    visible(&path.display().to_string()).into_owned()
}

impl Reporter for Human {
    fn event(&mut self, event: &Masked) {
        if !matches!(event.event(), Event::Output { .. }) {
            self.flush_held();
        }
        match event.event() {
            Event::RunStarted {
                guide,
                title,
                steps,
                resumed_after,
            } => {
                if !self.options.quiet {
                    let title = title
                        .as_deref()
                        .map(|t| format!(" ({t})"))
                        .unwrap_or_default();
                    let resumed = resumed_after
                        .as_deref()
                        .map(|id| format!(", resuming after {id}"))
                        .unwrap_or_default();
                    let line = format!(
                        "Running {}{title}: {steps} step{}{resumed}\n",
                        guide.display(),
                        if *steps == 1 { "" } else { "s" }
                    );
                    self.print(&visible(&line));
                }
                if self.options.progress {
                    let bar = ProgressBar::with_draw_target(
                        Some(*steps as u64),
                        ProgressDrawTarget::stderr(),
                    );
                    bar.set_style(
                        ProgressStyle::with_template(
                            "{spinner} [{elapsed_precise}] {pos}/{len} {wide_msg}",
                        )
                        .unwrap_or_else(|_| ProgressStyle::default_bar()),
                    );
                    bar.enable_steady_tick(Duration::from_millis(120));
                    let line = bar.clone();
                    crate::events::set_note_writer(Some(Box::new(move |note: &str| {
                        line.suspend(|| eprintln!("{note}"))
                    })));
                    self.bar = Some(bar);
                }
            }
            Event::StepStarted {
                id, index, total, ..
            } => {
                if let Some(bar) = &self.bar {
                    bar.set_message(visible(&format!("{id} ({index}/{total})")).into_owned());
                }
                self.partial = false;
            }
            Event::Output { text, .. } => {
                if self.options.live_output && !self.options.quiet {
                    if self.options.stop_commands && self.buffer.is_none() {
                        self.held.push_str(text);
                        if let Some(end) = self.held.rfind('\n') {
                            let lines: String = self.held.drain(..=end).collect();
                            self.partial = false;
                            self.print(&lines);
                        }
                    } else {
                        self.partial = !text.ends_with('\n');
                        self.print(text);
                    }
                }
            }
            Event::StepRetry {
                id,
                attempt,
                left_ms,
                message,
                ..
            } => {
                if !self.options.quiet {
                    let why = message
                        .as_deref()
                        .map(|m| format!(": {}", first_line(m)))
                        .unwrap_or_default();
                    let text = format!(
                        "{} {} attempt {attempt} ({} left){}\n",
                        self.paint("RETRY", "33"),
                        visible(id),
                        human(Duration::from_millis(*left_ms)),
                        visible(&why)
                    );
                    self.print(&text);
                }
            }
            Event::StepFinished {
                id,
                section,
                file,
                line,
                status,
                exit_status,
                duration_ms,
                attempts,
                mode,
                message,
                diff,
                commands,
                output,
                ..
            } => {
                if let Some(bar) = &self.bar {
                    if *status != StepStatus::Skipped {
                        bar.inc(1);
                    }
                }
                let show = match status {
                    StepStatus::Skipped => self.options.verbose,
                    StepStatus::Passed => !self.options.quiet,
                    _ => true,
                };
                if !show {
                    return;
                }
                let mut text = String::new();
                if self.partial {
                    text.push('\n');
                    self.partial = false;
                }
                let section = if section.is_empty() { "-" } else { section };
                // What the guide wrote is shown with its hidden characters written out; the
                // step's own output (live, or under `output:`) as it printed it.
                let id = visible(id);
                let section = visible(section);
                let file = visible_path(file);
                let message = message.as_deref().map(visible);
                let tries = if *attempts > 1 {
                    format!(", {attempts} attempts")
                } else {
                    String::new()
                };
                let duration = human(Duration::from_millis(*duration_ms));
                text.push_str(&format!(
                    "{} {id}  ({section})  {duration}{tries}",
                    self.status_label(*status)
                ));
                if *status == StepStatus::Skipped {
                    if let Some(m) = &message {
                        text.push_str(&format!("  {m}"));
                    }
                }
                text.push('\n');
                if status.is_failure() {
                    text.push_str(&format!("  at {file}:{line}\n"));
                    for c in commands {
                        for (n, l) in visible(c).lines().enumerate() {
                            text.push_str(&format!("  {} {l}\n", if n == 0 { "$" } else { " " }));
                        }
                    }
                    if let Some(code) = exit_status {
                        text.push_str(&format!("  exit status {code}\n"));
                    }
                    // A diff that opens with the message says it already.
                    let said = |m: &str| {
                        diff.as_deref()
                            .and_then(|d| d.lines().next())
                            .is_some_and(|first| first == m)
                    };
                    if let Some(m) = message.as_deref().filter(|m| !said(m)) {
                        text.push_str(&format!("  {m}\n"));
                    }
                    if !self.options.live_output && diff.is_none() && !output.is_empty() {
                        text.push_str("  output:\n");
                        for l in output.lines() {
                            text.push_str(&format!("    {l}\n"));
                        }
                    }
                    if let Some(d) = diff {
                        if let Some(mode) = mode {
                            text.push_str(&format!("  output differs from the guide (mode {mode}; - expected, + actual):\n"));
                        }
                        for l in visible(d).lines() {
                            let painted = if l.starts_with('-') {
                                self.paint(l, "31")
                            } else if l.starts_with('+') {
                                self.paint(l, "32")
                            } else {
                                l.to_owned()
                            };
                            text.push_str(&format!("    {painted}\n"));
                        }
                    }
                }
                self.print(&text);
            }
            Event::Hygiene { .. } => {
                let text = hygiene_text(event, |t, c| self.paint(t, c));
                self.print(&text);
            }
            Event::RunFinished {
                status,
                passed,
                failed,
                skipped,
                duration_ms,
                ..
            } => {
                if let Some(bar) = self.bar.take() {
                    crate::events::set_note_writer(None);
                    bar.finish_and_clear();
                }
                let word = match status {
                    RunStatus::Passed => self.paint("passed", "32;1"),
                    RunStatus::Failed => self.paint("failed", "31;1"),
                    RunStatus::Interrupted => self.paint("interrupted", "33;1"),
                };
                self.print(&format!(
                    "{word}: {passed} passed, {failed} failed, {skipped} skipped in {}\n",
                    human(Duration::from_millis(*duration_ms))
                ));
                self.close_fence();
            }
        }
    }

    fn finish(&mut self) -> std::io::Result<()> {
        self.close_fence();
        if let Some(bar) = self.bar.take() {
            crate::events::set_note_writer(None);
            bar.finish_and_clear();
        }
        Ok(())
    }
}

/// A report dropped without [`Reporter::finish`] (a run that ended in an error) still ends its
/// fence, so that the runner obeys docrun's own commands after it.
impl Drop for Human {
    fn drop(&mut self) {
        self.close_fence();
        if self.bar.take().is_some() {
            crate::events::set_note_writer(None);
        }
    }
}

/// A guide's hygiene in the terminal: one line when the clusters are as they were, else each
/// leaked or removed object as `context/kind/namespace/name`; an unreachable context's reason
/// the first time only, and under `--hygiene fail` a FAIL line for every guide that uses it.
pub fn hygiene_text(event: &Event, paint: impl Fn(&str, &str) -> String) -> String {
    let Event::Hygiene {
        status,
        fails,
        contexts,
        leaked,
        removed,
        unreachable,
        duration_ms,
        ..
    } = event
    else {
        return String::new();
    };
    let mut text = String::new();
    for u in unreachable {
        if let Some(reason) = &u.reason {
            if *fails {
                text.push_str(&format!(
                    "{} hygiene: context {} cannot be read, so every guide that uses it fails \
                     (--hygiene fail; --hygiene warn only warns): {reason}\n",
                    paint("FAIL", "31;1"),
                    u.context
                ));
            } else {
                text.push_str(&format!(
                    "{} hygiene: context {} cannot be read, so no guide is checked for leaks on it: {reason}\n",
                    paint("WARN", "33;1"),
                    u.context
                ));
            }
        }
    }
    let took = human(Duration::from_millis(*duration_ms));
    let unread: Vec<&str> = unreachable.iter().map(|u| u.context.as_str()).collect();
    if *fails && !unread.is_empty() && *status != HygieneStatus::Leaked {
        text.push_str(&format!(
            "{} hygiene  ({})  {took}  context {} cannot be read: not checked for leaks\n",
            paint("FAIL", "31;1"),
            contexts.join(", "),
            unread.join(", ")
        ));
        return text;
    }
    match status {
        HygieneStatus::Clean => text.push_str(&format!(
            "{} hygiene  ({})  {took}  the clusters hold what they held before\n",
            paint("PASS", "32"),
            contexts.join(", ")
        )),
        HygieneStatus::Unchecked => {}
        HygieneStatus::Leaked => {
            let label = if *fails {
                paint("FAIL", "31;1")
            } else {
                paint("WARN", "33;1")
            };
            text.push_str(&format!(
                "{label} hygiene  ({})  {took}  {} leaked, {} removed\n",
                contexts.join(", "),
                leaked.len(),
                removed.len()
            ));
            for o in leaked {
                text.push_str(&format!("  leaked   {o}\n"));
            }
            for o in removed {
                text.push_str(&format!("  removed  {o}\n"));
            }
            if *fails {
                for c in &unread {
                    text.push_str(&format!("  unread   context {c}\n"));
                }
            }
        }
    }
    text
}
