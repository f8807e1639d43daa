//! `docrun test --rerun-failed N` (no cluster): a guide that fails once and then passes is
//! reported as flaky, not as passed (terminal, JUnit `flakyFailure` valid against the schema,
//! HTML, job summary), and the run passes; a guide that fails every time fails after N + 1
//! attempts, its earlier failures as JUnit `rerunFailure`.

use std::path::Path;
use std::process::{Command, Output};

const TREE: &str = "tests/fixtures/rerun";

fn docrun(dir: &Path, args: &[&str]) -> (Output, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_docrun"))
        .env(
            "DOCRUN_STATE_DIR",
            std::env::temp_dir().join(format!("docrun-test-state-{}", std::process::id())),
        )
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("NO_COLOR", "1")
        .env("FLAKY_MARKER", dir.join("marker"))
        .env("GITHUB_STEP_SUMMARY", dir.join("summary.md"))
        .env_remove("GITHUB_ACTIONS")
        .env_remove("GITHUB_SERVER_URL")
        .args(["test", TREE, "-j", "1"])
        .args(args)
        .output()
        .unwrap();
    // The reports, with their FLAKY and "failed all" lines, are the results: stdout.
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    (out, text)
}

fn schema_valid(junit: &Path) {
    if let Ok(lint) = Command::new("xmllint")
        .args(["--noout", "--schema", "tests/schemas/junit-10.xsd"])
        .arg(junit)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
    {
        assert!(
            lint.status.success(),
            "{}",
            String::from_utf8_lossy(&lint.stderr)
        );
    }
}

#[test]
fn a_guide_that_passes_on_a_rerun_is_flaky_not_passed() {
    let dir = tempfile::tempdir().unwrap();
    let junit = dir.path().join("junit.xml");
    let report = dir.path().join("report.html");
    let (out, text) = docrun(
        dir.path(),
        &[
            "--filter",
            "flaky",
            "--rerun-failed",
            "2",
            "--junit",
            junit.to_str().unwrap(),
            "--report",
            report.to_str().unwrap(),
        ],
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "a flake does not fail the run: {text}"
    );
    assert!(
        text.contains("FLAKY tests/fixtures/rerun/flaky.md: failed, then passed on attempt 2"),
        "{text}"
    );
    assert!(
        text.contains("1 guide run: 0 passed, 0 failed, 1 flaky"),
        "{text}"
    );
    let row = text.lines().find(|l| l.contains("flaky.md  ")).unwrap();
    assert!(row.ends_with("FLAKY"), "{row}");

    let xml = std::fs::read_to_string(&junit).unwrap();
    schema_valid(&junit);
    assert_eq!(xml.matches("<flakyFailure").count(), 1, "{xml}");
    let case = &xml[xml.find("<testcase name=\"try_2\"").unwrap()..];
    let case = &case[..case.find("</testcase>").unwrap()];
    assert!(
        case.contains("<flakyFailure"),
        "the step that failed once: {case}"
    );
    assert!(!case.contains("<failure"), "it passed at last: {case}");

    let html = std::fs::read_to_string(&report).unwrap();
    assert!(html.contains("<span class=\"count flaky\">1 flaky</span>"));
    assert!(html.contains("Flaky: failed, then passed on attempt 2 of 2."));
    assert!(
        html.contains("attempt 1 of 2 failed: try_2</summary>"),
        "the earlier failure is shown"
    );

    let md = std::fs::read_to_string(dir.path().join("summary.md")).unwrap();
    assert!(
        md.contains("| ⚠️ flaky (2 attempts) | tests/fixtures/rerun/flaky.md |"),
        "{md}"
    );
}

#[test]
fn a_guide_that_always_fails_fails_after_its_reruns() {
    let dir = tempfile::tempdir().unwrap();
    let junit = dir.path().join("junit.xml");
    let (out, text) = docrun(
        dir.path(),
        &[
            "--filter",
            "broken",
            "--rerun-failed",
            "2",
            "--junit",
            junit.to_str().unwrap(),
        ],
    );
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert_eq!(
        text.matches("FAIL try_1").count(),
        3,
        "three attempts: {text}"
    );
    assert!(
        text.contains("tests/fixtures/rerun/broken.md: failed all 3 attempts"),
        "{text}"
    );
    let xml = std::fs::read_to_string(&junit).unwrap();
    schema_valid(&junit);
    assert_eq!(xml.matches("<rerunFailure").count(), 2, "{xml}");
    assert_eq!(xml.matches("<failure").count(), 1, "{xml}");

    // Without --rerun-failed, a failed guide runs once.
    let (out, text) = docrun(dir.path(), &["--filter", "broken"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(text.matches("FAIL try_1").count(), 1, "{text}");
}
