//! JUnit XML: one testsuite per guide, one testcase per step, with failures and captured output.

use std::path::{Path, PathBuf};
use std::time::Duration;

use quick_junit::{NonSuccessKind, Report, TestCase, TestCaseStatus, TestRerun, TestSuite};

use crate::events::{Event, HygieneStatus, Masked, Reporter, StepStatus};

/// Collects the events of one or more guides and writes one JUnit file at the end.
pub struct JUnit {
    path: PathBuf,
    report: Report,
    suite: Option<TestSuite>,
}

impl JUnit {
    pub fn new(path: &Path) -> Self {
        JUnit {
            path: path.to_path_buf(),
            report: Report::new("docrun"),
            suite: None,
        }
    }

    /// Adds the testsuite of a guide run elsewhere (doc CI collects them from parallel runs).
    pub fn add_suite(&mut self, suite: TestSuite) {
        self.report.add_test_suite(suite);
    }

    /// Builds the testsuite of one guide from its events.
    pub fn suite(events: &[Masked]) -> Option<TestSuite> {
        let mut junit = JUnit::new(Path::new(""));
        for e in events {
            junit.event(e);
        }
        junit
            .suite
            .take()
            .or_else(|| junit.report.test_suites.pop())
    }

    /// The testsuite of a guide that ran more than once (`--rerun-failed`): the last
    /// attempt's testcases, each step that failed in an earlier attempt carrying that failure
    /// as a `flakyFailure` (when the step passed at last) or `rerunFailure` (when it failed
    /// again).
    pub fn suite_with_reruns(events: &[Masked], earlier: &[Vec<Masked>]) -> Option<TestSuite> {
        let mut suite = Self::suite(events)?;
        for attempt in earlier {
            let Some(old) = Self::suite(attempt) else {
                continue;
            };
            for old_case in old.test_cases {
                let (kind, message, description, ty) = match &old_case.status {
                    TestCaseStatus::NonSuccess {
                        kind,
                        message,
                        description,
                        ty,
                        ..
                    } => (*kind, message.clone(), description.clone(), ty.clone()),
                    _ => continue,
                };
                let Some(case) = suite
                    .test_cases
                    .iter_mut()
                    .find(|c| c.name == old_case.name && c.classname == old_case.classname)
                else {
                    continue;
                };
                let mut rerun = TestRerun::new(kind);
                rerun.set_type(ty.unwrap_or_else(|| "failure".into()));
                if let Some(m) = message {
                    rerun.set_message(m);
                }
                if let Some(d) = description {
                    rerun.set_description(d);
                }
                if let Some(out) = &old_case.system_out {
                    rerun.set_system_out(out.clone());
                }
                case.status.add_rerun(rerun);
            }
        }
        Some(suite)
    }

    /// The report as XML, valid against the JUnit schema of Jenkins' xUnit plugin. That schema
    /// has no `disabled` attribute on `testsuite`, which quick-junit always writes, so it is
    /// left out (docrun never disables a test case).
    pub fn to_xml(&self) -> std::io::Result<String> {
        static DISABLED: std::sync::LazyLock<regex::Regex> =
            std::sync::LazyLock::new(|| regex::Regex::new(r#" disabled="\d+""#).unwrap());
        let xml = self
            .report
            .to_string()
            .map_err(|e| std::io::Error::other(e.to_string()))?;
        Ok(DISABLED.replace_all(&xml, "").into_owned())
    }
}

impl Reporter for JUnit {
    fn event(&mut self, event: &Masked) {
        match event.event() {
            Event::RunStarted { guide, .. } => {
                self.suite = Some(TestSuite::new(guide.display().to_string()));
            }
            Event::StepFinished {
                id,
                section,
                file,
                line,
                status,
                exit_status,
                duration_ms,
                message,
                diff,
                output,
                commands,
                attempts,
                ..
            } => {
                let mut case_status = match status {
                    StepStatus::Passed => TestCaseStatus::success(),
                    StepStatus::Skipped => TestCaseStatus::skipped(),
                    StepStatus::Failed | StepStatus::TimedOut | StepStatus::Interrupted => {
                        TestCaseStatus::non_success(NonSuccessKind::Failure)
                    }
                };
                if status.is_failure() || *status == StepStatus::Skipped {
                    if let Some(m) = message {
                        case_status.set_message(m.as_str());
                    }
                }
                if status.is_failure() {
                    case_status.set_type(match status {
                        StepStatus::TimedOut => "timeout",
                        StepStatus::Interrupted => "interrupted",
                        _ => "failure",
                    });
                    let mut description = format!("{}:{line}\n", file.display());
                    for c in commands {
                        description.push_str(&format!("$ {c}\n"));
                    }
                    if let Some(code) = exit_status {
                        description
                            .push_str(&format!("exit status {code}, {attempts} attempt(s)\n"));
                    }
                    if let Some(d) = diff {
                        description.push_str(d);
                    }
                    case_status.set_description(description);
                }
                let mut case = TestCase::new(id.as_str(), case_status);
                case.set_classname(if section.is_empty() {
                    "intro"
                } else {
                    section.as_str()
                });
                case.set_time(Duration::from_millis(*duration_ms));
                if !output.is_empty() {
                    case.set_system_out(output.as_str());
                }
                if let Some(suite) = self.suite.as_mut() {
                    suite.add_test_case(case);
                }
            }
            Event::Hygiene { .. } => {
                if let (Some(case), Some(suite)) = (hygiene_case(event), self.suite.as_mut()) {
                    suite.add_test_case(case);
                }
            }
            Event::RunFinished { duration_ms, .. } => {
                if let Some(mut suite) = self.suite.take() {
                    suite.set_time(Duration::from_millis(*duration_ms));
                    self.report.add_test_suite(suite);
                }
            }
            _ => {}
        }
    }

    fn finish(&mut self) -> std::io::Result<()> {
        if let Some(suite) = self.suite.take() {
            self.report.add_test_suite(suite);
        }
        if self.path.as_os_str().is_empty() {
            return Ok(());
        }
        let xml = self.to_xml()?;
        std::fs::write(&self.path, xml)
            .map_err(|e| std::io::Error::new(e.kind(), format!("{}: {e}", self.path.display())))
    }
}

/// The testcase `hygiene` of a guide: failed when it leaked, or a context it uses could not be
/// read, under `--hygiene fail`; passed with the leaks in its output under `warn`, skipped
/// there when no context could be read.
fn hygiene_case(event: &Event) -> Option<TestCase> {
    let Event::Hygiene {
        status,
        leaked,
        removed,
        unreachable,
        duration_ms,
        ..
    } = event
    else {
        return None;
    };
    let mut listing = String::new();
    for o in leaked {
        listing.push_str(&format!("leaked {o}\n"));
    }
    for o in removed {
        listing.push_str(&format!("removed {o}\n"));
    }
    let summary = format!(
        "the guide left {} object(s) behind and removed {}",
        leaked.len(),
        removed.len()
    );
    let names: Vec<&str> = unreachable.iter().map(|u| u.context.as_str()).collect();
    let unread = format!(
        "cannot read context {}, so the guide is not checked for leaks there",
        names.join(", ")
    );
    let case_status = if event.hygiene_fails() {
        let mut s = TestCaseStatus::non_success(NonSuccessKind::Failure);
        match (*status == HygieneStatus::Leaked, names.is_empty()) {
            (true, true) => {
                s.set_type("leak");
                s.set_message(summary.clone());
            }
            (true, false) => {
                s.set_type("leak");
                s.set_message(format!("{summary}; {unread}"));
            }
            (false, _) => {
                s.set_type("unreadable");
                s.set_message(unread);
            }
        }
        s.set_description(listing.clone());
        s
    } else {
        match status {
            HygieneStatus::Clean | HygieneStatus::Leaked => TestCaseStatus::success(),
            HygieneStatus::Unchecked => {
                let mut s = TestCaseStatus::skipped();
                s.set_message(format!("cannot read context {}", names.join(", ")));
                s
            }
        }
    };
    let mut case = TestCase::new("hygiene", case_status);
    case.set_classname("hygiene");
    case.set_time(Duration::from_millis(*duration_ms));
    if *status == HygieneStatus::Leaked {
        case.set_system_out(format!("{summary}\n{listing}"));
    }
    Some(case)
}
