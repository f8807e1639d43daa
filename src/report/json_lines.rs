//! JSON Lines: each event on a line of its own, naming its schema.

use crate::events::{Masked, Reporter};

/// The schema every line of the JSON Lines stream names (`docrun.events/v1`, its first field),
/// so that a line read alone, out of `docrun test`'s stream or a log, says what it is.
pub const EVENTS_SCHEMA: &str = "docrun.events/v1";

/// One event as a line of the stream: `{"schema":"docrun.events/v1","type":...}`, the
/// event's own fields after, in the order they have in [`Event`].
pub fn json_line(event: &Masked) -> serde_json::Result<String> {
    let object = serde_json::to_string(event)?;
    // An event serialises to an object with at least its `type`: `{"type":...}`.
    let fields = object.strip_prefix('{').unwrap_or(&object);
    Ok(format!("{{\"schema\":\"{EVENTS_SCHEMA}\",{fields}"))
}

/// JSON Lines on stdout, each line naming its schema ([`json_line`]). A write that fails (a full disk, a closed pipe) stops the stream and is
/// returned by [`Reporter::finish`]: a report that could not be written fails the run.
///
/// Every line is one JSON value and nothing else. Strings from steps cannot make a line a
/// GitHub Actions workflow command: a line starts with `{`, and `##[` is written `##\u005b`
/// ([`super::github::json_without_commands`]), the same JSON value.
#[derive(Default)]
pub struct JsonLines {
    error: Option<std::io::Error>,
}

impl Reporter for JsonLines {
    fn event(&mut self, event: &Masked) {
        use std::io::Write;
        if self.error.is_some() {
            return;
        }
        if let Ok(line) = json_line(event) {
            let line = super::github::json_without_commands(line);
            let mut out = std::io::stdout().lock();
            if let Err(e) = writeln!(out, "{line}").and_then(|()| out.flush()) {
                // Nobody reads the results any more: stop the run as Ctrl-C would.
                if e.kind() == std::io::ErrorKind::BrokenPipe {
                    crate::exec::stop::request(crate::exec::stop::Stop::ClosedOutput);
                }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::events::*;
    use crate::report::human::{Human, HumanOptions};
    use crate::report::junit::JUnit;
    use std::path::PathBuf;
    use std::sync::{Arc, Mutex};

    const SECRET: &str = "hunter2-s3cret";

    /// One event of every kind, with the secret in every text it has.
    fn every_event() -> Vec<Event> {
        let s = |prefix: &str| format!("{prefix} {SECRET}");
        let p = || PathBuf::from(format!("guides/{SECRET}.md"));
        vec![
            Event::RunStarted {
                guide: p(),
                title: Some(s("title")),
                steps: 1,
                resumed_after: Some(s("step")),
            },
            Event::StepStarted {
                id: s("id"),
                section: s("section"),
                file: p(),
                line: 3,
                index: 1,
                total: 1,
                commands: vec![s("echo")],
                cleanup: false,
            },
            Event::Output {
                id: s("id"),
                text: s("printed"),
            },
            Event::StepFinished {
                id: s("id"),
                section: s("section"),
                file: p(),
                line: 3,
                status: StepStatus::Failed,
                exit_status: Some(1),
                duration_ms: 5,
                attempts: 1,
                mode: Some("like".into()),
                message: Some(s("the output differs, it printed")),
                diff: Some(format!(
                    "--- expected\n+++ actual\n@@ -1 +1 @@\n-x\n+{SECRET}\n"
                )),
                output: s("printed"),
                commands: vec![s("echo")],
            },
            Event::Hygiene {
                guide: p(),
                status: HygieneStatus::Leaked,
                fails: true,
                contexts: vec![s("ctx")],
                leaked: vec![ClusterObject {
                    context: s("ctx"),
                    kind: s("Kind"),
                    namespace: Some(s("ns")),
                    name: s("name"),
                }],
                removed: Vec::new(),
                unreachable: vec![UnreachableContext {
                    context: s("ctx"),
                    reason: Some(s("because")),
                }],
                duration_ms: 5,
            },
            Event::RunFinished {
                guide: p(),
                status: RunStatus::Failed,
                passed: 0,
                failed: 1,
                skipped: 0,
                duration_ms: 5,
            },
        ]
    }

    struct Json(Arc<Mutex<String>>);

    impl Reporter for Json {
        fn event(&mut self, event: &Masked) {
            let line = serde_json::to_string(event).unwrap();
            self.0.lock().unwrap().push_str(&line);
        }
    }

    struct Keep(Arc<Mutex<Vec<Masked>>>);

    impl Reporter for Keep {
        fn event(&mut self, event: &Masked) {
            self.0.lock().unwrap().push(event.clone());
        }
    }

    #[test]
    fn no_reporter_sees_a_secret_in_any_event() {
        let json = Arc::new(Mutex::new(String::new()));
        let kept = Arc::new(Mutex::new(Vec::new()));
        let mut reporters: Vec<Box<dyn Reporter>> =
            vec![Box::new(Json(json.clone())), Box::new(Keep(kept.clone()))];
        let mut sink = Sink::new(Masker::new(&[SECRET.to_owned()]), &mut reporters);
        for event in every_event() {
            sink.emit(event);
        }
        let json = json.lock().unwrap().clone();
        assert!(!json.contains(SECRET), "{json}");
        assert_eq!(json.matches("***").count(), 25, "{json}");
        // The diff's headers are docrun's words, kept; its lines are masked.
        assert!(
            json.contains("--- expected\\n+++ actual\\n@@ -1 +1 @@\\n-x\\n+***"),
            "{json}"
        );

        let kept = kept.lock().unwrap().clone();
        let mut human = Human::buffered(HumanOptions {
            color: false,
            quiet: false,
            verbose: true,
            progress: false,
            live_output: true,
            stop_commands: false,
            to_stdout: false,
        });
        for event in &kept {
            human.event(event);
        }
        let text = human.take_text();
        assert!(text.contains("***") && !text.contains(SECRET), "{text}");
        let junit = JUnit::suite(&kept).expect("a testsuite");
        let mut report = JUnit::new(std::path::Path::new("r.xml"));
        report.add_suite(junit);
        let xml = report.to_xml().unwrap();
        assert!(xml.contains("***") && !xml.contains(SECRET), "{xml}");
    }

    #[test]
    fn without_secrets_events_pass_unchanged() {
        let masker = Masker::none();
        for event in every_event() {
            let before = serde_json::to_string(&event).unwrap();
            let after = serde_json::to_string(&masker.mask(event)).unwrap();
            assert_eq!(before, after);
        }
    }

    /// What `docrun test` keeps of a guide until the end of the run is what its reports read:
    /// every event but the live output chunks, whose text each `step_finished` carries (up to
    /// 64 KiB), so memory does not grow with every byte every step printed.
    #[test]
    fn a_collector_for_reports_keeps_no_live_output() {
        let masker = Masker::none();
        let mut all = Collect::default();
        let mut reports = Collect::for_reports();
        for event in every_event() {
            let masked = masker.mask(event);
            all.event(&masked);
            reports.event(&masked);
        }
        let (all, kept) = (all.take(), reports.take());
        let is_output = |e: &&Masked| matches!(e.event(), Event::Output { .. });
        assert!(all.iter().any(|e| is_output(&e)));
        assert!(!kept.iter().any(|e| is_output(&e)));
        assert_eq!(kept.len(), all.iter().filter(|e| !is_output(e)).count());
    }
}
