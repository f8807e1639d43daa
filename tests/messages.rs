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
