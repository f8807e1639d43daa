//! `docrun test` over a fixture doc tree (local commands, no cluster): which guides run and why
//! the rest is skipped, JUnit for the whole run, the same results whatever `-j`, shards that
//! cover every guide once, GitHub annotations, and a tree with a broken guide running nothing.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::{Command, Output};

use serde_json::Value;

const TREE: &str = "tests/fixtures/tree";

mod support;

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
        let stderr = text(&out.stderr);
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
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("GITHUB_ACTIONS", "true")
        .args(["test", TREE, "--filter", "beta"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stdout = text(&out.stdout);
    assert_eq!(
        stdout.lines().collect::<Vec<_>>(),
        ["::error file=tests/fixtures/tree/content/beta.md,line=16,title=docrun%3A step break_1 failed::expected line 1 `three` does not match actual line 1 `two`"]
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
    let stderr = text(&out.stderr);
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
