//! docrun as a library: each operation called with a typed request, no command line between.
//! What an operation says goes to the feedback given; what it did is in its result.

use std::path::{Path, PathBuf};
use std::time::Duration;

use docrun::error::Error;
use docrun::events::RunStatus;
use docrun::ops::feedback::{Collected, Feedback};
use docrun::ops::hygiene::HygieneRequest;
use docrun::ops::lint::LintRequest;
use docrun::ops::plan::PlanRequest;
use docrun::ops::run::{RunOutput, RunRequest};
use docrun::ops::test::TestRequest;
use docrun::ops::{self, GuideRequest};
use docrun::outcome::Outcome;
use docrun::plan::{PlanVar, ValueSource};
use docrun::report::human::HumanOptions;
use docrun::settings::Mode;

/// A guide that asks for a greeting, says it, and expects `expected` back.
fn greeting_guide(dir: &Path, expected: &str) -> PathBuf {
    let path = dir.join("greeting.md");
    std::fs::write(
        &path,
        format!(
            "---\ntest: yes\n---\n# Greeting\n\nSet the greeting:\n\n```bash\nexport GREETING=<your greeting>\n```\n\n\
             Say it:\n\n```bash\necho \"$GREETING\"\n```\n\nThe output is:\n\n```text\n{expected}\n```\n"
        ),
    )
    .unwrap();
    path
}

fn guide(path: &Path, set: &[&str]) -> GuideRequest {
    GuideRequest {
        set: set.iter().map(|s| s.to_string()).collect(),
        ..GuideRequest::new(path)
    }
}

#[test]
fn a_plan_is_made_from_a_request_and_its_warnings_reach_the_feedback() {
    let dir = tempfile::tempdir().unwrap();
    let path = greeting_guide(dir.path(), "hello");
    let mut feedback = Collected::default();
    let request = PlanRequest {
        guide: guide(&path, &["GREETING=hello", "UNUSED=1"]),
        ..PlanRequest::default()
    };
    let planned = ops::plan::plan(&request, &mut feedback).unwrap();
    let commands: Vec<String> = planned
        .plan
        .steps
        .iter()
        .flat_map(|s| s.commands.clone())
        .collect();
    assert_eq!(commands, ["export GREETING=hello", "echo \"hello\""]);
    assert_eq!(planned.outcome(), Outcome::Passed);
    assert_eq!(feedback.warnings.len(), 1, "{:?}", feedback.warnings);
    assert!(feedback.warnings[0].contains("--set UNUSED"));
    assert!(
        planned.chain.is_some(),
        "the chain is found from the one reading"
    );

    // Without the value, the plan is refused, naming the variable (exit 2).
    let request = PlanRequest {
        guide: guide(&path, &[]),
        ..PlanRequest::default()
    };
    let err = ops::plan::plan(&request, &mut Collected::default())
        .err()
        .unwrap();
    assert!(matches!(&err, Error::MissingVars(_)), "{err}");
    assert_eq!(docrun::outcome::of_error(&err), 2);
}

/// Feedback that answers every question with one value, and counts the questions.
#[derive(Default)]
struct Answers {
    asked: Vec<String>,
}

impl Feedback for Answers {
    fn warn(&mut self, _: &str) {}
    fn error(&mut self, _: &str) {}
    fn say(&mut self, _: &str) {}
    fn ask(&mut self, missing: &[&PlanVar]) -> Result<Option<Vec<(String, String)>>, Error> {
        self.asked.extend(missing.iter().map(|v| v.name.clone()));
        Ok(Some(
            missing
                .iter()
                .map(|v| (v.name.clone(), "hello".to_owned()))
                .collect(),
        ))
    }
}

fn run_request(path: &Path, workdir: &Path, dry_run: bool) -> RunRequest {
    RunRequest {
        guide: guide(path, &[]),
        selection: Default::default(),
        with_prereqs: false,
        dry_run,
        workdir: workdir.to_path_buf(),
        step_timeout: Duration::from_secs(20),
        retry: Duration::ZERO,
        wait_timeout: Duration::from_secs(20),
        keep_going: false,
        resume: false,
        no_native: false,
        preflight: false,
        quiet: true,
        bless: false,
        full_output: None,
        hygiene: HygieneRequest {
            mode: Some(Mode::Off),
            ..HygieneRequest::default()
        },
        output: RunOutput {
            human: HumanOptions {
                color: false,
                quiet: true,
                verbose: false,
                progress: false,
                live_output: false,
                stop_commands: false,
                to_stdout: false,
            },
            json_lines: false,
            junit: None,
            html: None,
        },
    }
}

#[test]
fn a_run_asks_the_feedback_for_missing_values_and_ends_as_its_steps_do() {
    let dir = tempfile::tempdir().unwrap();
    std::env::set_var("DOCRUN_STATE_DIR", dir.path().join("state"));
    let workdir = dir.path().join("work");
    std::fs::create_dir(&workdir).unwrap();

    // A dry run asks nothing: the missing value is an error.
    let passing = greeting_guide(dir.path(), "hello");
    let mut answers = Answers::default();
    let dry = run_request(&passing, &workdir, true);
    assert!(ops::run::prepare(&dry, &mut answers).is_err());
    assert!(answers.asked.is_empty());

    // A real run asks, binds the answer, and passes when the output matches.
    let request = run_request(&passing, &workdir, false);
    let prepared = ops::run::prepare(&request, &mut answers).unwrap();
    assert_eq!(answers.asked, ["GREETING"]);
    assert_eq!(
        prepared.plan.bindings["GREETING"].source,
        ValueSource::Prompt
    );
    let ran = ops::run::execute(&prepared, &request, &mut answers).unwrap();
    assert_eq!(
        (ran.summary.status, ran.summary.passed),
        (RunStatus::Passed, 2)
    );
    assert_eq!(ran.outcome(), Outcome::Passed);

    // Output that differs from the guide's fails the run.
    let other = tempfile::tempdir().unwrap();
    let failing = greeting_guide(other.path(), "goodbye");
    let request = run_request(&failing, &workdir, false);
    let prepared = ops::run::prepare(&request, &mut answers).unwrap();
    let ran = ops::run::execute(&prepared, &request, &mut answers).unwrap();
    assert_eq!(ran.summary.status, RunStatus::Failed);
    assert_eq!(ran.outcome(), Outcome::Failed);
}

#[test]
fn a_tree_is_selected_and_linted_without_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    greeting_guide(dir.path(), "hello");
    std::fs::write(dir.path().join("notes.md"), "# Notes\n\nNothing to run.\n").unwrap();
    std::fs::write(
        dir.path().join("broken.md"),
        "---\ntitle: [unclosed\n---\n# Broken\n",
    )
    .unwrap();

    let request = TestRequest {
        paths: vec![dir.path().to_path_buf()],
        set: vec!["GREETING=hello".into()],
        list: true,
        ..TestRequest::default()
    };
    let selected = ops::test::select(&request).unwrap();
    assert_eq!(selected.candidates.len(), 3);
    assert_eq!(
        (selected.to_run(), selected.unreadable(), selected.skipped()),
        (1, 1, 1)
    );
    assert_eq!(selected.list_outcome(), Outcome::Failed);

    let report = ops::lint::lint(&LintRequest {
        paths: vec![dir.path().to_path_buf()],
        dialect: None,
    })
    .unwrap();
    // The front matter that does not read, and a tested guide's placeholder that nothing
    // declares, are error findings, which fail the lint.
    let text = report.render_text();
    assert_eq!(report.errors(), 2, "{text}");
    assert!(text.contains("broken.md:3:1: error[parse]"), "{text}");
    assert!(
        text.contains("greeting.md:9:17: error[placeholder]"),
        "{text}"
    );
    assert_eq!(ops::lint::outcome(&report), Outcome::Failed);
}
