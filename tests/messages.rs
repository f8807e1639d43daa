//! What docrun tells a user about a guide's steps: bash's errors at the guide's file:line, and
//! the commands a guide needs that the machine lacks, named before the first step.

mod support;

use std::path::Path;
use std::process::Output;

use serde_json::Value;
use support::docrun::{docrun, printed};

fn write(dir: &Path, name: &str, text: &str) {
    std::fs::write(dir.join(name), text).unwrap();
}

fn run(dir: &Path, args: &[&str]) -> Output {
    docrun(dir).arg("run").args(args).output().unwrap()
}

/// The `output` of each `step_finished` event of a `--json` run.
fn finished_output(out: &Output) -> Vec<String> {
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|e| e["type"] == "step_finished")
        .map(|e| e["output"].as_str().unwrap_or_default().to_owned())
        .collect()
}

const FAILING: &str = "# Guide

## Install

```bash
echo start
echo one \\
  two
cat <<EOF
body
EOF
nosuchcmd-docrun --flag
```

## Check

```bash
if true; then
  echo in
  nosuchcmd-docrun-too
fi
```
";

#[test]
fn a_bash_error_names_the_guides_line_not_docruns_script() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "guide.md", FAILING);
    let out = run(
        dir.path(),
        &["guide.md", "--no-preflight", "--keep-going", "--json"],
    );
    assert_eq!(out.status.code(), Some(1), "{}", printed(&out));
    let outputs = finished_output(&out);
    assert_eq!(
        outputs,
        [
            "start\none two\nbody\nguide.md:12: nosuchcmd-docrun: command not found\n",
            "in\nguide.md:20: nosuchcmd-docrun-too: command not found\n",
        ],
        "{}",
        printed(&out)
    );
    let human = run(dir.path(), &["guide.md", "--no-preflight"]);
    let shown = printed(&human);
    assert!(
        shown.contains("guide.md:12: nosuchcmd-docrun: command not found"),
        "{shown}"
    );
    assert!(!shown.contains("/step: line"), "{shown}");
}

const NEEDS_A_MISSING_COMMAND: &str = "# Guide

## Setup

```bash
touch first-step-ran
```

## Use

```bash
echo using
nosuchcmd-docrun --version
```
";

#[test]
fn a_command_no_step_installs_and_not_on_path_fails_the_preflight_before_any_step() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "guide.md", NEEDS_A_MISSING_COMMAND);
    let out = run(dir.path(), &["guide.md"]);
    assert_eq!(out.status.code(), Some(1), "{}", printed(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(
            "nosuchcmd-docrun is not on PATH (needed by step use_1 at guide.md:13); no step before it installs it"
        ),
        "{stderr}"
    );
    assert!(stderr.contains("preflight failed"), "{stderr}");
    assert!(!dir.path().join("first-step-ran").exists());

    let anyway = run(dir.path(), &["guide.md", "--no-preflight"]);
    assert_eq!(anyway.status.code(), Some(1), "{}", printed(&anyway));
    assert!(dir.path().join("first-step-ran").exists());

    let check = docrun(dir.path())
        .args(["check", "guide.md"])
        .output()
        .unwrap();
    assert_eq!(check.status.code(), Some(1), "{}", printed(&check));
    let report = String::from_utf8_lossy(&check.stdout);
    assert!(
        report.contains(
            "FAIL  nosuchcmd-docrun is not on PATH (needed by step use_1 at guide.md:13)"
        ),
        "{report}"
    );
}

#[test]
fn a_command_an_earlier_step_may_install_is_a_warning_and_the_run_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "guide.md",
        "# Guide

## Install

```bash
echo 'mkdir -p bin && printf \"#!/bin/sh\\necho tool-ran\\n\" > bin/docrun-made-tool && chmod +x bin/docrun-made-tool' | sh
export PATH=\"$PWD/bin:$PATH\"
```

## Use

```bash
docrun-made-tool
```
",
    );
    let out = run(dir.path(), &["guide.md"]);
    assert_eq!(out.status.code(), Some(0), "{}", printed(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(
            "warning: docrun-made-tool is not on PATH (needed by step use_1 at guide.md:13); step install_1 at guide.md:6 (it pipes a script into sh) may provide it"
        ),
        "{stderr}"
    );
}
