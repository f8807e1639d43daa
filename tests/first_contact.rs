//! What a new user meets on a first `docrun test` of an ordinary doc tree: a run that tests
//! nothing says why and what to pass, `--fail-if-none` fails it, and `docrun.yaml` can select
//! every guide of a tree that marks none.

use std::path::Path;
use std::process::Output;

mod support;

use support::docrun::{docrun, printed};

const UNMARKED: &str = "# Install\n\n```bash\necho installed\n```\n";
const MARKED_NO: &str = "---\ntest: no\n---\n# Cleanup\n\n```bash\necho cleaned\n```\n";
const MARKED_YES: &str = "---\ntest: yes\n---\n# Tested\n\n```bash\necho tested\n```\n";

/// A doc tree of its own (a git repository, so that it is the documentation root).
fn tree(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::process::Command::new("git")
        .args(["init", "-q"])
        .current_dir(dir.path())
        .status()
        .unwrap();
    for (name, text) in files {
        let path = dir.path().join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    dir
}

fn test(dir: &Path, args: &[&str]) -> Output {
    docrun(dir)
        .arg("test")
        .arg(".")
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn a_tree_without_test_keys_says_why_nothing_ran_and_what_to_pass() {
    let dir = tree(&[
        ("docs/install.md", UNMARKED),
        ("docs/upgrade.md", UNMARKED),
        ("docs/cleanup.md", MARKED_NO),
    ]);
    let out = test(dir.path(), &[]);
    let all = printed(&out);
    assert_eq!(out.status.code(), Some(0), "{all}");
    assert!(
        all.contains("Testing 0 guides (3 skipped: 2 without a `test:` key, 1 with `test: no`)"),
        "{all}"
    );
    assert!(all.contains("`--all`"), "{all}");
    assert!(all.contains("select: all"), "{all}");
    assert!(all.contains("--fail-if-none"), "{all}");
    assert!(!all.contains("installed"), "nothing may run: {all}");
}

#[test]
fn fail_if_none_fails_a_run_that_tests_nothing_and_passes_one_that_tests() {
    let dir = tree(&[("docs/install.md", UNMARKED)]);
    let out = test(dir.path(), &["--fail-if-none"]);
    let all = printed(&out);
    assert_eq!(out.status.code(), Some(1), "{all}");
    assert!(
        all.contains("no guide was tested (--fail-if-none)"),
        "{all}"
    );

    // A filter that selects nothing fails the same way.
    let dir = tree(&[("docs/tested.md", MARKED_YES)]);
    let out = test(dir.path(), &["--fail-if-none", "--filter", "nowhere"]);
    assert_eq!(out.status.code(), Some(1), "{}", printed(&out));

    let out = test(dir.path(), &["--fail-if-none"]);
    assert_eq!(out.status.code(), Some(0), "{}", printed(&out));
}

#[test]
fn all_runs_every_guide_and_select_all_runs_those_not_marked_otherwise() {
    let files = [
        ("docs/install.md", UNMARKED),
        ("docs/cleanup.md", MARKED_NO),
    ];
    let dir = tree(&files);
    let out = test(dir.path(), &["--all", "--fail-if-none"]);
    let all = printed(&out);
    assert_eq!(out.status.code(), Some(0), "{all}");
    assert!(all.contains("2 guides run: 2 passed"), "{all}");

    let dir = tree(&[
        ("docs/install.md", UNMARKED),
        ("docs/cleanup.md", MARKED_NO),
        ("docrun.yaml", "select: all\n"),
    ]);
    let out = test(dir.path(), &["--fail-if-none"]);
    let all = printed(&out);
    assert_eq!(out.status.code(), Some(0), "{all}");
    assert!(
        all.contains("1 guide run: 1 passed, 0 failed; 1 skipped"),
        "a guide that says `test: no` stays skipped under `select: all`: {all}"
    );
    assert!(all.contains("docs/install.md"), "{all}");
}

#[test]
fn an_unknown_select_is_an_error_at_its_line() {
    let dir = tree(&[
        ("docs/install.md", UNMARKED),
        ("docrun.yaml", "timeout: 1m\nselect: everything\n"),
    ]);
    let out = test(dir.path(), &[]);
    let all = printed(&out);
    assert_eq!(out.status.code(), Some(2), "{all}");
    assert!(all.contains("docrun.yaml:2"), "{all}");
}

#[test]
fn the_summary_aligns_columns_on_characters() {
    let dir = tree(&[
        ("docs/é-guide.md", MARKED_YES),
        ("docs/a-guide.md", MARKED_YES),
    ]);
    let out = test(dir.path(), &[]);
    let all = printed(&out);
    assert_eq!(out.status.code(), Some(0), "{all}");
    let rows: Vec<&str> = all
        .lines()
        .filter(|l| l.starts_with("./docs/") || l.starts_with("GUIDE"))
        .collect();
    assert_eq!(rows.len(), 3, "{all}");
    let status_column: Vec<usize> = rows
        .iter()
        .map(|l| l.chars().count() - l.split_whitespace().last().unwrap().chars().count())
        .collect();
    assert!(status_column.windows(2).all(|w| w[0] == w[1]), "{rows:#?}");
}

/// A guide whose one check never matches: its command prints a different line each time.
const DRIFTING: &str = "# Check\n\n```bash\n$ echo \"state: $RANDOM$RANDOM\"\nstate: ready\n```\n";

#[test]
fn a_retried_step_says_each_retry_and_shows_its_output_once() {
    let dir = tree(&[("g.md", DRIFTING)]);
    let out = docrun(dir.path())
        .args(["run", "g.md", "--retry", "2s"])
        .output()
        .unwrap();
    let all = printed(&out);
    assert_eq!(out.status.code(), Some(1), "{all}");
    let retries: Vec<&str> = all.lines().filter(|l| l.starts_with("RETRY ")).collect();
    assert!(retries.len() >= 2, "{all}");
    assert!(
        retries[0].starts_with("RETRY intro_1 attempt 1 (")
            && retries[0].contains(" left): expected line 1"),
        "{all}"
    );
    let attempts = retries.len() + 1;
    assert!(
        all.contains("FAIL intro_1  (-)") && all.contains(&format!("{attempts} attempts")),
        "{all}"
    );
    // The output of the step, once: from the last attempt, the one the diff shows.
    let shown: Vec<&str> = all
        .lines()
        .filter(|l| l.starts_with("state: ") && !l.contains("ready"))
        .collect();
    assert_eq!(shown.len(), 1, "{all}");
    assert!(all.contains(&format!("+{}", shown[0])), "{all}");
    // The message is not said twice when the diff opens with it.
    assert_eq!(
        all.matches("does not match actual line 1 `state: ").count(),
        retries.len() + 1,
        "{all}"
    );

    let out = docrun(dir.path())
        .args(["run", "g.md", "--retry", "1s", "--json"])
        .output()
        .unwrap();
    let events: Vec<serde_json::Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let retried: Vec<&serde_json::Value> = events
        .iter()
        .filter(|e| e["type"] == "step_retry")
        .collect();
    assert!(!retried.is_empty(), "{events:#?}");
    assert_eq!(retried[0]["attempt"], 1);
    assert!(retried[0]["left_ms"].as_u64().unwrap() <= 1000);
    let outputs = events.iter().filter(|e| e["type"] == "output").count();
    assert_eq!(outputs, 1, "{events:#?}");
}

#[test]
fn the_shipped_runbooks_pass_test_and_lint_on_a_machine_without_a_cluster() {
    let out = support::docrun::docrun_in_project()
        .args(["test", "runbooks", "--fail-if-none"])
        .output()
        .unwrap();
    let all = printed(&out);
    assert_eq!(out.status.code(), Some(0), "{all}");
    assert!(all.contains("runbooks/local/configure-trust.md"), "{all}");
    assert!(all.contains("1 guide run: 1 passed, 0 failed"), "{all}");
    let listed = support::docrun::docrun_in_project()
        .args(["test", "runbooks", "--list"])
        .output()
        .unwrap();
    let list = String::from_utf8_lossy(&listed.stdout);
    // What needs clusters or an Istio release says so.
    assert!(
        list.lines()
            .any(|l| l.contains("plugin-ca-cert.en.md") && l.contains("skip  test: no")),
        "{list}"
    );
    assert!(
        list.lines()
            .any(|l| l.contains("multi-primary.en.md")
                && l.contains("needs variables: CTX_CLUSTER1")),
        "{list}"
    );
    let lint = support::docrun::docrun_in_project()
        .args(["lint", "runbooks"])
        .output()
        .unwrap();
    assert_eq!(lint.status.code(), Some(0), "{}", printed(&lint));
}

const UNDEFINED: &str = "# Use\n\n```bash\necho \"$FIRST\"\n```\n\n<!-- docrun lint off: undefined-var -->\n\n```bash\necho \"$SECOND\"\n```\n\n<!-- docrun lint on: undefined-var -->\n\n```bash\necho \"$THIRD\"\n```\n";

fn lint(dir: &Path) -> (Option<i32>, String) {
    let out = docrun(dir).args(["lint", "."]).output().unwrap();
    (out.status.code(), printed(&out))
}

#[test]
fn lint_rules_turn_off_in_a_guide_and_in_docrun_yaml() {
    let dir = tree(&[("g.md", UNDEFINED)]);
    let (_, all) = lint(dir.path());
    assert!(all.contains("$FIRST"), "{all}");
    assert!(!all.contains("$SECOND"), "off between the comments: {all}");
    assert!(all.contains("$THIRD"), "on again after: {all}");

    let dir = tree(&[
        ("g.md", UNDEFINED),
        ("docrun.yaml", "lint:\n  off: [undefined-var]\n"),
    ]);
    let (code, all) = lint(dir.path());
    assert_eq!(code, Some(0), "{all}");
    assert!(
        !all.contains("$FIRST") && all.contains("$THIRD"),
        "the guide's `on` wins after its line: {all}"
    );

    let dir = tree(&[
        ("g.md", UNMARKED),
        ("docrun.yaml", "lint:\n  off: [undefined-var, parse]\n"),
    ]);
    let (code, all) = lint(dir.path());
    assert_eq!(code, Some(2), "{all}");
    assert!(
        all.contains("docrun.yaml:2") && all.contains("`parse`"),
        "{all}"
    );

    let dir = tree(&[("g.md", "# A\n\n<!-- docrun lint off: undefined-vars -->\n")]);
    let (_, all) = lint(dir.path());
    assert!(all.contains("g.md:3:1: warning[lint-comment]"), "{all}");
}

#[test]
fn without_a_terminal_docrun_test_shows_each_guide_and_step_as_it_goes() {
    let dir = tree(&[(
        "docs/long.md",
        "---\ntest: yes\n---\n# Install\n\n```bash\nsleep 2.5; echo installed\n```\n\n```bash\necho done\n```\n",
    )]);
    let out = docrun(dir.path())
        .args(["test", "docs"])
        .env("DOCRUN_HEARTBEAT", "1s")
        .output()
        .unwrap();
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    assert_eq!(out.status.code(), Some(0), "{}", printed(&out));
    // Progress, on stderr, in the order things happened.
    let start = stderr.find("START docs/long.md: 2 steps").expect(&stderr);
    let beat = stderr
        .find("  docs/long.md: intro_1 still running (")
        .expect(&stderr);
    let first = stderr.find("  docs/long.md: PASS intro_1 ").expect(&stderr);
    let second = stderr.find("  docs/long.md: PASS intro_2 ").expect(&stderr);
    assert!(start < beat && beat < first && first < second, "{stderr}");
    // Results, on stdout: the guide's report and the summary, and no progress.
    assert!(stdout.contains("Running docs/long.md: 2 steps"), "{stdout}");
    assert!(stdout.contains("PASS intro_2  (-)"), "{stdout}");
    assert!(
        stdout.contains("1 guide run: 1 passed, 0 failed"),
        "{stdout}"
    );
    assert!(
        !stdout.contains("START") && !stdout.contains("still running"),
        "{stdout}"
    );
    assert!(!stderr.contains("Running docs/long.md"), "{stderr}");
}
