//! `docrun test` over a fixture doc tree (local commands, no cluster): which guides run and why
//! the rest is skipped, JUnit for the whole run, the same results whatever `-j`, shards that
//! cover every guide once, GitHub annotations, and a tree with a broken guide running nothing.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::{Command, Output};

use serde_json::Value;

const TREE: &str = "tests/fixtures/tree";

mod support;
use support::docrun::both;

fn docrun(args: &[&str]) -> Output {
    support::docrun::docrun_in_project()
        .env_remove("GREETING")
        .args(args)
        .output()
        .unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn list(extra: &[&str]) -> Value {
    let out = docrun(&[&["test", TREE, "--list", "--format", "json"], extra].concat());
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

fn guide_names(list: &Value, decision: &str) -> BTreeSet<String> {
    list["guides"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|g| g["decision"] == decision)
        .map(|g| {
            g["path"]
                .as_str()
                .unwrap()
                .trim_start_matches("tests/fixtures/tree/content/")
                .to_owned()
        })
        .collect()
}

#[test]
fn list_says_what_runs_and_why_the_rest_is_skipped() {
    let list = list(&[]);
    let reasons: Vec<(String, String)> = list["guides"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| {
            (
                g["path"]
                    .as_str()
                    .unwrap()
                    .trim_start_matches("tests/fixtures/tree/content/")
                    .to_owned(),
                g["reason"].as_str().unwrap_or("run").to_owned(),
            )
        })
        .collect();
    let expected = [
        ("alpha.md", "run"),
        ("beta.md", "run"),
        ("delta.md", "test: no"),
        ("epsilon.md", "test: n/a"),
        ("eta.md", "test: table-of-contents"),
        ("gamma.md", "run"),
        ("nested/iota.md", "needs variables: YOUR_NAME"),
        ("nested/theta.md", "run"),
        ("zeta.md", "no runnable step"),
    ];
    let expected: Vec<(String, String)> = expected
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect();
    assert_eq!(reasons, expected);
    let coverage = &list["coverage"];
    assert_eq!(coverage["guides"], 9);
    assert_eq!(coverage["to_run"], 4);
    assert_eq!(coverage["by_test"]["yes"], 6);
    assert_eq!(coverage["runnable_steps_to_run"], 7);
    // A value given on the command line makes the guide that needed it runnable.
    assert!(guide_names(&self::list(&["--set", "YOUR_NAME=Ada"]), "run").contains("nested/iota.md"));
    assert_eq!(
        guide_names(&self::list(&["--filter", "nested"]), "run"),
        BTreeSet::from(["nested/theta.md".to_owned()])
    );
}

/// The JUnit report without timings: what must not depend on `-j`.
fn junit_without_times(path: &Path) -> String {
    let xml = std::fs::read_to_string(path).unwrap();
    let re = regex::Regex::new(r#" (time|timestamp)="[^"]*""#).unwrap();
    re.replace_all(&xml, "").into_owned()
}

#[test]
fn a_run_gives_junit_exit_1_and_the_same_results_for_any_jobs() {
    let dir = tempfile::tempdir().unwrap();
    let mut reports = Vec::new();
    for jobs in ["1", "4"] {
        let junit = dir.path().join(format!("report-{jobs}.xml"));
        let out = docrun(&["test", TREE, "-j", jobs, "--junit", junit.to_str().unwrap()]);
        assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
        let stderr = both(&out);
        assert!(
            stderr.contains("4 guides run: 3 passed, 1 failed; 5 skipped"),
            "{stderr}"
        );
        let schema = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/schemas/junit-10.xsd");
        let check = Command::new("xmllint")
            .arg("--noout")
            .arg("--schema")
            .arg(&schema)
            .arg(&junit)
            .output()
            .unwrap();
        assert!(check.status.success(), "{}", text(&check.stderr));
        reports.push(junit_without_times(&junit));
    }
    assert_eq!(reports[0], reports[1]);
    let xml = &reports[0];
    assert_eq!(xml.matches("<testsuite ").count(), 4, "{xml}");
    assert_eq!(xml.matches("<testcase ").count(), 7, "{xml}");
    assert_eq!(xml.matches("<failure").count(), 1, "{xml}");
    assert!(xml.contains(r#"<testcase name="break_1""#), "{xml}");
    assert!(
        xml.contains(r#"<testcase name="never_1" classname="never">"#),
        "{xml}"
    );
    // Each guide ran in its own directory: gamma found no out.txt from alpha.
    assert!(xml.contains("clean directory"), "{xml}");
}

#[test]
fn partitions_cover_every_guide_exactly_once() {
    let all: BTreeSet<String> = guide_names(&list(&[]), "run")
        .union(&guide_names(&list(&[]), "skip"))
        .cloned()
        .collect();
    for n in 1..=5 {
        let mut seen = Vec::new();
        for k in 1..=n {
            let shard = list(&["--partition", &format!("{k}/{n}")]);
            for g in shard["guides"].as_array().unwrap() {
                assert_eq!(g["shard"], k, "{g}");
                seen.push(
                    g["path"]
                        .as_str()
                        .unwrap()
                        .trim_start_matches("tests/fixtures/tree/content/")
                        .to_owned(),
                );
            }
        }
        let unique: BTreeSet<String> = seen.iter().cloned().collect();
        assert_eq!(seen.len(), unique.len(), "a guide in two shards of {n}");
        assert_eq!(unique, all, "shards of {n} miss a guide");
    }
    let out = docrun(&["test", TREE, "--list", "--partition", "3/2"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn github_actions_get_error_annotations_at_the_failing_line() {
    let out = Command::new(env!("CARGO_BIN_EXE_docrun"))
        .env(
            "DOCRUN_STATE_DIR",
            std::env::temp_dir().join(format!("docrun-test-state-{}", std::process::id())),
        )
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("GITHUB_ACTIONS", "true")
        .args(["test", TREE, "--filter", "beta"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        obeyed(&both(&out)).commands,
        ["::error file=tests/fixtures/tree/content/beta.md,line=16,title=docrun%3A step break_1 failed::expected line 1 `three` does not match actual line 1 `two`"]
    );
    // The annotation is in the stream of the report it follows: stdout.
    assert!(
        text(&out.stdout).contains("::error file="),
        "{}",
        text(&out.stdout)
    );
}

/// A GitHub Actions log as the runner reads it: the workflow commands it would obey (lines
/// outside `::stop-commands::TOKEN` ... `::TOKEN::`, in the `::` or the older `##[` form), and
/// the tokens of the regions, with the lines inside each.
struct Log {
    commands: Vec<String>,
    regions: Vec<(String, Vec<String>)>,
}

fn obeyed(log: &str) -> Log {
    let mut commands = Vec::new();
    let mut regions: Vec<(String, Vec<String>)> = Vec::new();
    let mut stopped: Option<String> = None;
    for line in log.lines() {
        let command = line.trim_start();
        match &stopped {
            Some(token) => {
                if command.eq_ignore_ascii_case(&format!("::{token}::"))
                    || line.to_ascii_lowercase().contains(&format!("##[{token}]"))
                {
                    stopped = None;
                } else {
                    regions.last_mut().unwrap().1.push(line.to_owned());
                }
            }
            None => {
                if let Some(token) = command.strip_prefix("::stop-commands::") {
                    stopped = Some(token.to_ascii_lowercase());
                    regions.push((token.to_owned(), Vec::new()));
                } else if command.starts_with("::") || line.contains("##[") {
                    commands.push(line.to_owned());
                }
            }
        }
    }
    assert!(stopped.is_none(), "a region is left open:\n{log}");
    Log { commands, regions }
}

/// A guide whose failing step prints workflow commands, and a passing one.
fn commanding_tree() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("pwn.md"),
        "---\ntest: yes\n---\n## Steps {#steps}\n\n{{< text bash >}}\n\
         $ echo '::error::pwned'; echo '::add-mask::x'; echo '  ##[set-output name=a]b'; \
         echo '::stop-commands::mine'; echo '::mine::'; printf '::warning::'; sleep 0.2; echo 'late'; (exit 3)\n\
         {{< /text >}}\n",
    )
    .unwrap();
    dir
}

#[test]
fn in_github_actions_step_output_cannot_issue_workflow_commands() {
    let tree = commanding_tree();
    let run = || {
        support::docrun::docrun(tree.path())
            .env("GITHUB_ACTIONS", "true")
            .args(["test", "."])
            .output()
            .unwrap()
    };
    let (first, second) = (run(), run());
    assert_eq!(
        first.status.code(),
        Some(1),
        "{}",
        support::docrun::printed(&first)
    );
    let log = obeyed(&both(&first));
    // The one command the runner obeys is docrun's annotation of the failure.
    assert_eq!(
        log.commands.len(),
        1,
        "{:?}\n{}",
        log.commands,
        both(&first)
    );
    assert!(
        log.commands[0]
            .starts_with("::error file=./pwn.md,line=6,title=docrun%3A step steps_1 failed::"),
        "{:?}",
        log.commands
    );
    // The step's lines are in the log, inside a region.
    let inside: Vec<&String> = log.regions.iter().flat_map(|(_, lines)| lines).collect();
    for printed in [
        "::error::pwned",
        "::add-mask::x",
        "##[set-output name=a]b",
        "::mine::",
        "::warning::late",
    ] {
        assert!(
            inside.iter().any(|l| l.trim() == printed),
            "{printed:?} is not shown inside a region: {inside:?}"
        );
    }
    // Tokens are long, random and new each time.
    let tokens = |out: &Output| -> Vec<String> {
        obeyed(&both(out))
            .regions
            .into_iter()
            .map(|(t, _)| t)
            .collect()
    };
    let (a, b) = (tokens(&first), tokens(&second));
    assert!(a.iter().all(|t| t.len() >= 32), "{a:?}");
    assert!(a.iter().all(|t| !b.contains(t)), "{a:?} {b:?}");
    let unique: BTreeSet<&String> = a.iter().collect();
    assert_eq!(unique.len(), a.len(), "{a:?}");

    // `docrun run` echoes the output as it comes, inside a region too.
    let out = support::docrun::docrun(tree.path())
        .env("GITHUB_ACTIONS", "true")
        .args(["run", "pwn.md", "--no-preflight"])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        support::docrun::printed(&out)
    );
    let log = obeyed(&both(&out));
    assert!(
        log.commands.is_empty(),
        "{:?}\n{}",
        log.commands,
        both(&out)
    );
    let inside: Vec<&String> = log.regions.iter().flat_map(|(_, lines)| lines).collect();
    assert!(
        inside.iter().any(|l| l.trim() == "::warning::late"),
        "{inside:?}"
    );
}

#[test]
fn in_github_actions_json_output_is_json_lines_only() {
    let tree = commanding_tree();
    let out = support::docrun::docrun(tree.path())
        .env("GITHUB_ACTIONS", "true")
        .args(["test", ".", "--json"])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        support::docrun::printed(&out)
    );
    let stdout = text(&out.stdout);
    let mut output = String::new();
    for line in stdout.lines() {
        let event: Value = serde_json::from_str(line)
            .unwrap_or_else(|e| panic!("not a JSON line ({e}): {line}\n{stdout}"));
        if event["type"] == "step_finished" {
            output.push_str(event["output"].as_str().unwrap_or_default());
        }
        assert!(!line.contains("##["), "the runner would obey {line}");
    }
    // The step's text is in the events as it was printed.
    assert!(
        output.contains("::add-mask::x\n  ##[set-output name=a]b\n"),
        "{stdout}"
    );
    // The annotation is on stderr, outside the regions.
    let log = obeyed(&text(&out.stderr));
    assert_eq!(log.commands.len(), 1, "{:?}", log.commands);
    assert!(
        log.commands[0].starts_with("::error file=./pwn.md"),
        "{:?}",
        log.commands
    );
}

#[test]
fn a_broken_guide_fails_alone_and_the_rest_of_the_tree_runs() {
    let dir = tempfile::tempdir().unwrap();
    let marker = dir.path().join("ran");
    std::fs::write(
        dir.path().join("good.md"),
        format!(
            "---\ntest: yes\n---\n{{{{< text bash >}}}}\n$ touch {}\n{{{{< /text >}}}}\n",
            marker.display()
        ),
    )
    .unwrap();
    std::fs::write(
        dir.path().join("bad.md"),
        "---\ntest: yes\n---\n{{< text bash >}}\n$ ls\n",
    )
    .unwrap();
    let junit = dir.path().join("junit.xml");
    let out = docrun(&[
        "test",
        dir.path().to_str().unwrap(),
        "--junit",
        junit.to_str().unwrap(),
    ]);
    let stderr = both(&out);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("bad.md:4:1"), "{stderr}");
    assert!(stderr.contains("text block is never closed"), "{stderr}");
    assert!(marker.exists(), "the readable guide ran");
    let report = std::fs::read_to_string(&junit).unwrap();
    assert!(report.contains("bad.md"), "{report}");
    assert!(report.contains("cannot be read"), "{report}");
    let listed = docrun(&["test", dir.path().to_str().unwrap(), "--list"]);
    assert_eq!(listed.status.code(), Some(1));
    assert!(
        text(&listed.stdout).contains("error "),
        "{}",
        text(&listed.stdout)
    );
}

/// An error that shows a line of a stranger's guide (`##[add-mask]x` is a command anywhere in
/// a line) is fenced in a GitHub Actions log as the reports are.
#[test]
fn in_github_actions_an_error_quoting_the_guide_issues_no_command() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("bad.md"),
        "---\ntest: yes\n---\n{{< text bash >}} ##[add-mask]x\n$ ls\n",
    )
    .unwrap();
    let out = support::docrun::docrun(dir.path())
        .env("GITHUB_ACTIONS", "true")
        .args(["run", "bad.md"])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(2),
        "{}",
        support::docrun::printed(&out)
    );
    let log = obeyed(&text(&out.stderr));
    assert!(log.commands.is_empty(), "{:?}", log.commands);
    assert!(
        log.regions
            .iter()
            .flat_map(|(_, lines)| lines)
            .any(|l| l.contains("##[add-mask]x")),
        "{}",
        text(&out.stderr)
    );
}

/// A plan as JSON holds the guide's commands as written, in a form no line of which the
/// runner obeys (`##[` anywhere in a line is a command to it).
#[test]
fn a_plan_as_json_holds_no_workflow_command() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("g.md"),
        "# G\n\n```bash\necho '##[add-mask]x'\n```\n",
    )
    .unwrap();
    let out = support::docrun::docrun(dir.path())
        .args(["plan", "g.md", "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        support::docrun::printed(&out)
    );
    let stdout = text(&out.stdout);
    assert!(!stdout.contains("##["), "{stdout}");
    let plan: Value = serde_json::from_str(&stdout).unwrap();
    assert!(plan.to_string().contains("echo '##[add-mask]x'"), "{plan}");
}
