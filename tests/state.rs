//! `docrun state`: the checkpoints a run leaves are announced, listed and cleared, and the
//! suite's commands never write into the real state folder.

mod support;

use std::path::Path;
use std::process::Output;

use support::docrun::{docrun, printed};

fn write(dir: &Path, name: &str, text: &str) {
    std::fs::write(dir.join(name), text).unwrap();
}

/// A guide whose first step exports a variable and passes, and whose second fails.
fn failing_guide(title: &str) -> String {
    format!(
        "# {title}\n\n## Setup\n\n```bash\nexport VISIBLE_VALUE=kept-but-not-shown\n```\n\n## Break\n\n```bash\nfalse\n```\n"
    )
}

fn text(out: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn a_run_says_where_its_checkpoint_is_and_state_lists_and_clears_it() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(d, "one.md", &failing_guide("One"));
    write(d, "two.md", &failing_guide("Two"));
    write(d, "v.yaml", "UNUSED: 1\n");
    let state = d.join(".state");

    let run = docrun(d)
        .args(["run", "one.md", "--values", "v.yaml"])
        .output()
        .unwrap();
    assert_eq!(run.status.code(), Some(1), "{}", printed(&run));
    let (_, stderr) = text(&run);
    let notes: Vec<_> = stderr
        .lines()
        .filter(|l| l.starts_with("note: checkpoint in "))
        .collect();
    assert_eq!(notes.len(), 1, "{stderr}");
    let named = notes[0]
        .trim_start_matches("note: checkpoint in ")
        .split(" (")
        .next()
        .unwrap();
    assert!(Path::new(named).starts_with(&state), "{named}");
    assert!(Path::new(named).is_file(), "{named}");
    let two = docrun(d).args(["run", "two.md"]).output().unwrap();
    assert_eq!(two.status.code(), Some(1), "{}", printed(&two));

    let list = docrun(d).args(["state", "list"]).output().unwrap();
    assert!(list.status.success(), "{}", printed(&list));
    let (listed, _) = text(&list);
    let one = d.canonicalize().unwrap().join("one.md");
    assert!(
        listed.contains(&format!(
            "{}\n  step reached: setup_1 passed\n",
            one.display()
        )),
        "{listed}"
    );
    assert!(listed.contains("  values: v.yaml\n"), "{listed}");
    assert!(listed.contains("  saved: 20"), "{listed}");
    assert!(listed.contains("two.md\n"), "{listed}");
    assert!(listed.contains("2 checkpoints in"), "{listed}");
    assert!(!listed.contains("kept-but-not-shown"), "{listed}");

    let clear = docrun(d)
        .args(["state", "clear", "one.md"])
        .output()
        .unwrap();
    assert!(clear.status.success(), "{}", printed(&clear));
    assert!(!Path::new(named).exists());
    let (listed, _) = text(&docrun(d).args(["state", "list"]).output().unwrap());
    assert!(!listed.contains("one.md"), "{listed}");
    assert!(listed.contains("1 checkpoint in"), "{listed}");

    let resume = docrun(d)
        .args(["run", "one.md", "--resume"])
        .output()
        .unwrap();
    assert!(
        text(&resume).1.contains("no checkpoint for"),
        "{}",
        printed(&resume)
    );

    let all = docrun(d).args(["state", "clear"]).output().unwrap();
    assert!(all.status.success(), "{}", printed(&all));
    let (listed, _) = text(&docrun(d).args(["state", "list"]).output().unwrap());
    assert!(listed.starts_with("no checkpoints"), "{listed}");
}

#[test]
fn state_without_a_place_for_checkpoints_is_a_usage_error() {
    let dir = tempfile::tempdir().unwrap();
    let out = docrun(dir.path())
        .env_remove("DOCRUN_STATE_DIR")
        .env_remove("XDG_STATE_HOME")
        .env_remove("HOME")
        .args(["state", "list"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", printed(&out));
    assert!(
        text(&out).1.contains("DOCRUN_STATE_DIR"),
        "{}",
        printed(&out)
    );
}

/// The suite's commands as its tests start them ([`docrun`]) write nothing under HOME, even
/// with XDG_STATE_HOME unset: a run that leaves a checkpoint, one that passes, `--resume`,
/// `plan`, `check`, `test`, `lint` and `state`.
#[test]
fn the_tests_docrun_never_writes_under_home() {
    let dir = tempfile::tempdir().unwrap();
    let home = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(d, "fail.md", &failing_guide("Fail"));
    write(
        d,
        "pass.md",
        "---\ntitle: Pass\ntest: yes\n---\n\n## Ok\n\n```bash\necho ok\n```\n",
    );
    let commands: &[&[&str]] = &[
        &["run", "fail.md"],
        &["run", "fail.md", "--resume"],
        &["run", "pass.md"],
        &["plan", "pass.md"],
        &["check", "pass.md"],
        &["test", ".", "--all"],
        &["lint", "."],
        &["state", "list"],
    ];
    for args in commands {
        let out = docrun(d)
            .env("HOME", home.path())
            .env_remove("XDG_STATE_HOME")
            .args(*args)
            .output()
            .unwrap();
        assert!(out.status.code().is_some(), "{args:?}: {}", printed(&out));
    }
    assert!(d.join(".state").is_dir(), "the runs kept their checkpoints");
    let written: Vec<_> = walk(home.path());
    assert!(written.is_empty(), "written under HOME: {written:?}");
}

fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            found.extend(walk(&path));
        }
        found.push(path);
    }
    found
}
