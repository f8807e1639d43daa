//! What you see is what runs: characters from a guide that a terminal would act on or hide
//! (escape sequences, bidi controls, zero-width characters) are written out in every line
//! docrun writes itself; `lint` reports them and `run` warns before such a step. A step's own
//! output stays as the step printed it.

mod support;

use std::path::{Path, PathBuf};

use support::docrun::docrun;

const ESC: char = '\u{1b}';
const RLO: char = '\u{202e}';

fn guide(dir: &Path, test: bool) -> PathBuf {
    let path = dir.join("guide.md");
    let text = format!(
        "---\ntest: {}\n---\n\n# Demo{ESC}]0;pwned\x07 guide\n\n## Install {{#install{RLO}txt.sh}}\n\n```bash\necho done # {ESC}[2K{ESC}[1G$ echo \"installing demo\"\necho \"a{RLO}b\"\nprintf '\\033[1mbold\\033[0m\\n'\n```\n",
        if test { "yes" } else { "no" }
    );
    std::fs::write(&path, text).unwrap();
    path
}

fn no_raw_controls(what: &str, text: &str) {
    assert!(
        !text.contains(ESC) && !text.contains(RLO) && !text.contains('\x07'),
        "{what} shows raw control characters: {text:?}"
    );
}

#[test]
fn plan_shows_hidden_characters_written_out() {
    let dir = tempfile::tempdir().unwrap();
    let path = guide(dir.path(), false);
    for args in [
        vec!["plan"],
        vec!["plan", "--format", "text"],
        vec!["list"],
        vec!["run", "--dry-run"],
    ] {
        let out = docrun(dir.path()).args(&args).arg(&path).output().unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        no_raw_controls(&format!("{args:?} stdout"), &stdout);
        no_raw_controls(&format!("{args:?} stderr"), &stderr);
        if args[0] != "list" {
            assert!(
                stdout.contains("# \\e[2K\\e[1G$ echo"),
                "{args:?}: {stdout}"
            );
            assert!(stdout.contains("a<U+202E>b"), "{args:?}: {stdout}");
        }
    }
}

#[test]
fn lint_reports_hidden_characters_as_errors_in_tested_guides() {
    let dir = tempfile::tempdir().unwrap();
    let path = guide(dir.path(), true);
    let out = docrun(dir.path()).arg("lint").arg(&path).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    no_raw_controls("lint", &stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.contains("guide.md:10:13: error[hidden-characters]"),
        "{stdout}"
    );
    assert!(
        stdout.contains("guide.md:11:8: error[hidden-characters]"),
        "{stdout}"
    );
    assert!(stdout.contains("<U+202E>"), "{stdout}");
    // The anchor makes a step id that is not a plain file name.
    assert!(stdout.contains("error[step-id]"), "{stdout}");
}

#[test]
fn run_warns_before_the_step_and_keeps_the_steps_own_output() {
    let dir = tempfile::tempdir().unwrap();
    let path = guide(dir.path(), false);
    let out = docrun(dir.path()).arg("run").arg(&path).output().unwrap();
    // The warning (stderr) is written before the step runs, its report (stdout) after.
    let stderr = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stderr),
        String::from_utf8_lossy(&out.stdout)
    );
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let warning = stderr
        .find("characters a reader does not see")
        .expect("a warning");
    let started = stderr.find("PASS").unwrap_or(usize::MAX);
    assert!(
        warning < started,
        "the warning comes before the step: {stderr}"
    );
    // docrun's own lines are written out ...
    let printed_by_the_step = |l: &&str| l.contains("bold") || *l == format!("a{RLO}b");
    for line in stderr.lines().filter(|l| !printed_by_the_step(l)) {
        no_raw_controls("run's own lines", line);
    }
    // ... the step's output is what it printed.
    assert!(stderr.contains("\u{1b}[1mbold\u{1b}[0m"), "{stderr:?}");
    assert!(
        stderr.lines().any(|l| l == format!("a{RLO}b")),
        "{stderr:?}"
    );
}

#[test]
fn errors_show_the_guides_line_written_out() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("broken.md");
    std::fs::write(
        &path,
        format!("# Broken\n\n{{{{< text bash >}}}}\n$ echo {ESC}]0;pwned\x07\n"),
    )
    .unwrap();
    let out = docrun(dir.path())
        .args(["plan", "--dialect", "istio"])
        .arg(&path)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    no_raw_controls("the error", &stderr);
    assert!(stderr.contains("\\e]0;pwned\\x07"), "{stderr}");
}
