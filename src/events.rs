//! Run events: what happened, in order. A run emits them to [`Reporter`]s through a [`Sink`]
//! and knows no printer; the printers (terminal lines, JSON Lines, JUnit, HTML) implement
//! [`Reporter`] above this module.
//!
//! Secrets are taken out in one place: a reporter receives a [`Masked`] event, which only
//! [`Masker::mask`] makes, and `mask` names every field of every variant (no `_` arm), so a new
//! event or field does not compile until it says how it is masked.

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

/// The outcome of a guide's cluster hygiene.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum HygieneStatus {
    /// The clusters hold what they held before.
    Clean,
    /// Something was left behind or removed.
    Leaked,
    /// No context the guide uses could be read.
    Unchecked,
}

/// An object on a cluster, as hygiene names it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ClusterObject {
    pub context: String,
    /// `ConfigMap`, or `Kind.group` outside the core group (`Deployment.apps`).
    pub kind: String,
    pub namespace: Option<String>,
    pub name: String,
}

impl std::fmt::Display for ClusterObject {
    /// `c1/ConfigMap/demo/settings`; `c1/Namespace/demo` for a cluster-scoped object.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}/", self.context, self.kind)?;
        if let Some(ns) = &self.namespace {
            write!(f, "{ns}/")?;
        }
        f.write_str(&self.name)
    }
}

/// A context hygiene could not read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UnreachableContext {
    pub context: String,
    /// Why, the first time a run meets it; `None` after (it was reported once).
    pub reason: Option<String>,
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
    /// An attempt of a verification step failed and it runs again after `wait_ms`, with
    /// `left_ms` of its retry budget left. Its output is shown once, from the last attempt.
    StepRetry {
        id: String,
        /// The attempt that just failed (1-based).
        attempt: u32,
        wait_ms: u64,
        left_ms: u64,
        /// Why the attempt failed.
        message: Option<String>,
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
    /// Cluster hygiene after a guide (`--hygiene`): what it left on, or took from, the clusters
    /// it used, compared with before its first step. Comes just before `RunFinished`.
    Hygiene {
        guide: PathBuf,
        status: HygieneStatus,
        /// A leak, or a context that could not be read, fails the guide (`--hygiene fail`),
        /// rather than warning; see [`Event::hygiene_fails`].
        fails: bool,
        /// The contexts compared.
        contexts: Vec<String>,
        leaked: Vec<ClusterObject>,
        removed: Vec<ClusterObject>,
        /// Contexts that could not be read: the reason is given the first time only.
        unreachable: Vec<UnreachableContext>,
        /// Time spent taking snapshots and waiting for deletions to settle.
        duration_ms: u64,
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

/// An event whose text has had the run's secrets masked. Only [`Masker::mask`] makes one, so
/// a reporter cannot be handed an event that was not masked:
///
/// ```compile_fail
/// use docrun::events::{Event, Masked};
/// let unmasked = Event::Output { id: "a".into(), text: "s3cret".into() };
/// let _ = Masked(unmasked); // the field is private
/// ```
#[derive(Debug, Clone, Serialize)]
#[serde(transparent)]
pub struct Masked(Event);

impl Event {
    /// Whether this is a hygiene event that fails its guide: under `--hygiene fail`, a leak, or
    /// a context the guide uses that could not be read before or after it (fail closed: a
    /// cluster that was not read is not a clean one). Under `warn` nothing fails a guide.
    pub fn hygiene_fails(&self) -> bool {
        matches!(
            self,
            Event::Hygiene { status, fails: true, unreachable, .. }
                if *status == HygieneStatus::Leaked || !unreachable.is_empty()
        )
    }
}

impl Masked {
    /// The event, masked.
    pub fn event(&self) -> &Event {
        &self.0
    }
}

impl std::ops::Deref for Masked {
    type Target = Event;

    fn deref(&self) -> &Event {
        &self.0
    }
}

/// Masks a run's secrets (of [`crate::plan::MIN_SECRET_LEN`] characters or more) in events
/// on their way to the reporters.
#[derive(Debug, Clone, Default)]
pub struct Masker {
    secrets: Vec<String>,
}

impl Masker {
    pub fn new(secrets: &[String]) -> Self {
        Masker {
            secrets: secrets.to_vec(),
        }
    }

    /// For events that hold no value of a run (a guide that could not be read).
    pub fn none() -> Self {
        Masker::default()
    }

    /// The event with every text masked. Diffs keep their headers, which are docrun's own
    /// words ([`crate::plan::mask_diff`]); everything else that is text is masked.
    pub fn mask(&self, event: Event) -> Masked {
        if self.secrets.is_empty() {
            return Masked(event);
        }
        let text = |t: String| crate::plan::mask(&t, &self.secrets);
        let texts = |ts: Vec<String>| ts.into_iter().map(text).collect();
        let path = |p: PathBuf| PathBuf::from(text(p.to_string_lossy().into_owned()));
        Masked(match event {
            Event::RunStarted {
                guide,
                title,
                steps,
                resumed_after,
            } => Event::RunStarted {
                guide: path(guide),
                title: title.map(text),
                steps,
                resumed_after: resumed_after.map(text),
            },
            Event::StepStarted {
                id,
                section,
                file,
                line,
                index,
                total,
                commands,
                cleanup,
            } => Event::StepStarted {
                id: text(id),
                section: text(section),
                file: path(file),
                line,
                index,
                total,
                commands: texts(commands),
                cleanup,
            },
            Event::Output { id, text: output } => Event::Output {
                id: text(id),
                text: text(output),
            },
            Event::StepRetry {
                id,
                attempt,
                wait_ms,
                left_ms,
                message,
            } => Event::StepRetry {
                id: text(id),
                attempt,
                wait_ms,
                left_ms,
                message: message.map(text),
            },
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
                output,
                commands,
            } => Event::StepFinished {
                id: text(id),
                section: text(section),
                file: path(file),
                line,
                status,
                exit_status,
                duration_ms,
                attempts,
                mode,
                message: message.map(text),
                diff: diff.map(|d| crate::plan::mask_diff(&d, &self.secrets)),
                output: text(output),
                commands: texts(commands),
            },
            Event::Hygiene {
                guide,
                status,
                fails,
                contexts,
                leaked,
                removed,
                unreachable,
                duration_ms,
            } => {
                let object = |o: ClusterObject| ClusterObject {
                    context: text(o.context),
                    kind: text(o.kind),
                    namespace: o.namespace.map(text),
                    name: text(o.name),
                };
                Event::Hygiene {
                    guide: path(guide),
                    status,
                    fails,
                    contexts: texts(contexts),
                    leaked: leaked.into_iter().map(object).collect(),
                    removed: removed.into_iter().map(object).collect(),
                    unreachable: unreachable
                        .into_iter()
                        .map(|u| UnreachableContext {
                            context: text(u.context),
                            reason: u.reason.map(text),
                        })
                        .collect(),
                    duration_ms,
                }
            }
            Event::RunFinished {
                guide,
                status,
                passed,
                failed,
                skipped,
                duration_ms,
            } => Event::RunFinished {
                guide: path(guide),
                status,
                passed,
                failed,
                skipped,
                duration_ms,
            },
        })
    }
}

/// Something that receives the events of a run, masked.
pub trait Reporter: Send {
    fn event(&mut self, event: &Masked);
    /// Called once after the last event.
    fn finish(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// The reporters of a run, behind the run's [`Masker`]: the only way events reach them.
pub struct Sink<'r> {
    masker: Masker,
    reporters: &'r mut [Box<dyn Reporter>],
}

impl<'r> Sink<'r> {
    pub fn new(masker: Masker, reporters: &'r mut [Box<dyn Reporter>]) -> Self {
        Sink { masker, reporters }
    }

    /// Masks the event and hands it to every reporter.
    pub fn emit(&mut self, event: Event) {
        let event = self.masker.mask(event);
        for r in self.reporters.iter_mut() {
            r.event(&event);
        }
    }
}

/// A reporter that keeps every event for the caller to take after the run (`docrun test`
/// prints and reports each guide whole when it ends). Clones share the events.
#[derive(Clone, Default)]
pub struct Collect {
    events: std::sync::Arc<std::sync::Mutex<Vec<Masked>>>,
    /// Leave out `Output` events: what the reports of a whole tree keep is each step's
    /// `step_finished` (its output up to 64 KiB), so memory does not grow with every byte
    /// every step printed.
    without_output: bool,
}

impl Collect {
    /// A collector of the events reports read, without the live `Output` chunks (see the
    /// field): `docrun test` keeps each guide's events until the end of the run.
    pub fn for_reports() -> Self {
        Collect {
            events: Default::default(),
            without_output: true,
        }
    }

    /// The events received so far, leaving none behind.
    pub fn take(&self) -> Vec<Masked> {
        std::mem::take(&mut *self.events.lock().unwrap_or_else(|e| e.into_inner()))
    }
}

impl Reporter for Collect {
    fn event(&mut self, event: &Masked) {
        if self.without_output && matches!(event.event(), Event::Output { .. }) {
            return;
        }
        if let Ok(mut events) = self.events.lock() {
            events.push(event.clone());
        }
    }
}

/// Writes a note line while a progress line is drawn on stderr: it steps the line aside.
pub type NoteWriter = Box<dyn Fn(&str) + Send>;

/// Where notes said during a run go, while a progress line is drawn (see [`set_note_writer`]).
static NOTE_WRITER: std::sync::Mutex<Option<NoteWriter>> = std::sync::Mutex::new(None);

/// Says `line` on stderr as a line of its own: a note of the run loop (where the checkpoint
/// is, a checkpoint that could not be saved), which a progress line drawn at the same time
/// would otherwise leave half overwritten.
pub fn note(line: &str) {
    match NOTE_WRITER.lock() {
        Ok(writer) if writer.is_some() => {
            if let Some(write) = writer.as_ref() {
                write(line);
            }
        }
        _ => eprintln!("{line}"),
    }
}

/// While a printer draws a progress line on stderr, `Some` writer clears the line, writes a
/// note and draws the line again; `None` when the line is gone, and notes are plain lines again.
pub fn set_note_writer(writer: Option<NoteWriter>) {
    if let Ok(mut slot) = NOTE_WRITER.lock() {
        *slot = writer;
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    #[test]
    fn notes_go_through_the_progress_lines_writer_while_there_is_one() {
        let said = Arc::new(Mutex::new(Vec::<String>::new()));
        let kept = said.clone();
        super::set_note_writer(Some(Box::new(move |line: &str| {
            kept.lock().unwrap().push(line.to_owned())
        })));
        super::note("note: checkpoint in /state/guide.json");
        super::set_note_writer(None);
        // Without a writer the note is a plain stderr line, not kept.
        super::note("note: after the progress line");
        assert_eq!(
            *said.lock().unwrap(),
            ["note: checkpoint in /state/guide.json"]
        );
    }
}
