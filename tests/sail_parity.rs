//! Parity with Sail Operator's own doc-test harness, test by test.
//!
//! The harness (`tests/corpus/sail-operator/tests/documentation_tests/scripts/
//! run-asciidocs-test.sh`, copied unchanged) turns the docs into one bash script per test in
//! its `create_test_files` function: the lines of every `ifdef::NAME[]` region and every
//! `name="NAME"` block of a page, in order, with the page's attributes put in. This test runs
//! that function, and only it (no cluster), on the copied docs, and compares every command line
//! of each script, in order, with the commands `docrun plan FILE --tag NAME --format json`
//! selects. Blank lines and `#` comments are left out on both sides (docrun keeps no comment
//! between commands), and so are the harness's own lines (its header and `test_step` calls).
//!
//! Run it with `--nocapture` to see the parity of each test (`N/N lines`).

mod support;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

const SAIL: &str = "tests/corpus/sail-operator";

fn project() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The harness's `create_test_files` function, cut out of its script.
fn create_test_files_function() -> String {
    let script = std::fs::read_to_string(
        project()
            .join(SAIL)
            .join("tests/documentation_tests/scripts/run-asciidocs-test.sh"),
    )
    .unwrap();
    let start = script.find("function create_test_files() {").unwrap();
    let end = script[start..].find("\n}\n").unwrap() + start + 3;
    script[start..end].to_owned()
}

/// Runs the harness's script generation into `out`; returns the scripts by test name.
fn harness_scripts(out: &Path) -> BTreeMap<String, String> {
    let program = format!(
        "set -eu -o pipefail\n{}\ncreate_test_files >/dev/null\n",
        create_test_files_function()
    );
    let status = Command::new("bash")
        .arg("-c")
        .arg(program)
        .env("DOCS_DIR", project().join(SAIL).join("docs"))
        .env("TEST_DIR", out)
        .status()
        .unwrap();
    assert!(status.success(), "the harness's create_test_files failed");
    std::fs::read_dir(out)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "sh"))
        .map(|p| {
            let name = p.file_stem().unwrap().to_string_lossy().into_owned();
            (name, std::fs::read_to_string(&p).unwrap())
        })
        .collect()
}

/// The page each test comes from, as the harness decides: of the `file:name` pairs found
/// with `^ifdef::NAME[]`, sorted, the last one of a name wins.
fn test_pages() -> BTreeMap<String, PathBuf> {
    let docs = project().join(SAIL).join("docs");
    let mut pairs = Vec::new();
    let mut stack = vec![docs];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "adoc")
                && path.file_name().is_some_and(|n| n != "guidelines.adoc")
            {
                let text = std::fs::read_to_string(&path).unwrap();
                for line in text.lines() {
                    if let Some(rest) = line.strip_prefix("ifdef::") {
                        if let Some(at) = rest.find("[]") {
                            pairs.push(format!("{}:{}", path.display(), &rest[..at]));
                        }
                    }
                }
            }
        }
    }
    pairs.sort();
    pairs.dedup();
    pairs
        .into_iter()
        .map(|pair| {
            let (file, name) = pair.rsplit_once(':').unwrap();
            (name.to_owned(), PathBuf::from(file))
        })
        .collect()
}

/// The command lines of a harness script: its own header and `test_step` calls, blank lines
/// and comments left out.
fn harness_lines(script: &str) -> Vec<String> {
    let body = script
        .split_once("\ntest_start ")
        .map_or(script, |(_, rest)| {
            rest.split_once('\n').map_or("", |r| r.1)
        });
    command_lines(body.lines().filter(|l| !l.starts_with("test_step ")))
}

fn command_lines<'a>(lines: impl Iterator<Item = &'a str>) -> Vec<String> {
    lines
        .map(str::trim_end)
        .filter(|l| !l.trim().is_empty() && !l.trim_start().starts_with('#'))
        .map(str::to_owned)
        .collect()
}

/// The command lines docrun selects for `--tag name` on `page`.
fn docrun_lines(page: &Path, name: &str) -> Vec<String> {
    let out = support::docrun::docrun_in_project()
        .args(["plan", "--allow-missing", "--format", "json", "--tag", name])
        .arg(page)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", support::docrun::printed(&out));
    let plan: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let mut lines = Vec::new();
    for step in plan["steps"].as_array().unwrap() {
        if step["selected"] != true {
            continue;
        }
        for command in step["commands"].as_array().unwrap() {
            lines.extend(command_lines(command.as_str().unwrap().lines()));
        }
    }
    lines
}

#[test]
fn every_sail_doc_test_selects_the_harness_lines_in_order() {
    let out = tempfile::tempdir().unwrap();
    let scripts = harness_scripts(out.path());
    let pages = test_pages();
    assert!(
        scripts.len() >= 5,
        "the harness made {} tests",
        scripts.len()
    );
    let mut report = Vec::new();
    let mut differ = Vec::new();
    for (name, script) in &scripts {
        let page = &pages[name];
        let expected = harness_lines(script);
        let got = docrun_lines(page, name);
        let same = expected.iter().zip(&got).filter(|(a, b)| a == b).count();
        let total = expected.len().max(got.len());
        report.push(format!("{name}: {same}/{total} lines"));
        if same != total {
            let at = expected
                .iter()
                .zip(&got)
                .position(|(a, b)| a != b)
                .unwrap_or(same);
            differ.push(format!(
                "{name} ({}): first difference at line {}:\n  harness: {:?}\n  docrun:  {:?}",
                page.display(),
                at + 1,
                expected.get(at),
                got.get(at)
            ));
        }
    }
    println!("{}", report.join("\n"));
    assert!(differ.is_empty(), "{}", differ.join("\n"));
}
