//! `docrun test --changed-since REF` on a git repository the test builds: an istio.io-shaped
//! tree (site data in `data/args.yml`, boilerplates in `content/boilerplates/`, an overlay),
//! committed, then changed in the work tree.
//!
//! - a change to a boilerplate selects exactly the guides that include it;
//! - a change to site data selects the guides that use its shortcodes;
//! - a change to an overlay selects its guide; an untracked new guide is selected;
//! - a deleted or renamed guide is reported, not an error;
//! - a reference git does not know is an input error (exit 2), and nothing runs.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Command, Output};

use serde_json::Value;

fn git(dir: &Path, args: &[&str]) {
    let out = Command::new("git")
        .current_dir(dir)
        .args([
            "-c",
            "user.name=docrun tests",
            "-c",
            "user.email=tests@docrun.invalid",
            "-c",
            "commit.gpgsign=false",
            "-c",
            "init.defaultBranch=main",
        ])
        .args(args)
        .env_remove("GIT_DIR")
        .env_remove("GIT_WORK_TREE")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn write(dir: &Path, path: &str, text: &str) {
    let path = dir.join(path);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

fn guide(title: &str, body: &str) -> String {
    format!("---\ntitle: {title}\ntest: yes\n---\n## Steps {{#steps}}\n\n{body}\n")
}

fn step(command: &str) -> String {
    format!("{{{{< text bash >}}}}\n$ {command}\n{{{{< /text >}}}}\n")
}

/// The tree, committed on `main`:
/// - `alpha` and `beta` include the boilerplate `setup`; `gamma` includes `other`;
/// - `delta` uses `{{< istio_version >}}`; `epsilon` has an overlay; `zeta` is plain.
fn repo() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(
        d,
        "data/args.yml",
        "version: \"1.27\"\nfull_version: \"1.27.0\"\n",
    );
    write(
        d,
        "content/boilerplates/setup.md",
        &format!("---\ntitle: Setup\n---\n{}", step("echo setting up")),
    );
    write(
        d,
        "content/boilerplates/other.md",
        &format!("---\ntitle: Other\n---\n{}", step("echo other")),
    );
    for name in ["alpha", "beta"] {
        write(
            d,
            &format!("content/{name}/index.md"),
            &guide(
                name,
                &format!("{{{{< boilerplate setup >}}}}\n\n{}", step("echo go")),
            ),
        );
    }
    write(
        d,
        "content/gamma/index.md",
        &guide(
            "gamma",
            &format!("{{{{< boilerplate other >}}}}\n\n{}", step("echo go")),
        ),
    );
    write(
        d,
        "content/delta/index.md",
        &guide("delta", &step("echo istio {{< istio_version >}}")),
    );
    write(
        d,
        "content/epsilon/index.md",
        &guide("epsilon", &step("echo e")),
    );
    write(
        d,
        "content/epsilon/index.docrun.yaml",
        "steps:\n  steps_1:\n    timeout: 10s\n",
    );
    write(d, "content/zeta/index.md", &guide("zeta", &step("echo z")));
    git(d, &["init", "-q"]);
    git(d, &["add", "-A"]);
    git(d, &["commit", "-q", "-m", "docs"]);
    dir
}

fn docrun(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_docrun"))
        .env(
            "DOCRUN_STATE_DIR",
            std::env::temp_dir().join(format!("docrun-test-state-{}", std::process::id())),
        )
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env_remove("GITHUB_ACTIONS")
        .env_remove("GITHUB_STEP_SUMMARY")
        .args(["test", "content"])
        .args(args)
        .output()
        .unwrap()
}

/// `--list --format json --changed-since main`: guide name -> the reasons that selected it.
fn selected(dir: &Path) -> (BTreeMap<String, Vec<String>>, Value) {
    let out = docrun(
        dir,
        &["--changed-since", "main", "--list", "--format", "json"],
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let list: Value = serde_json::from_slice(&out.stdout).unwrap();
    let guides = list["guides"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| {
            let path = g["path"].as_str().unwrap();
            let name = path
                .trim_start_matches("content/")
                .trim_end_matches(".md")
                .trim_end_matches("/index")
                .to_string();
            let why = g["selected_by"]
                .as_array()
                .map(|a| a.iter().map(|r| r.as_str().unwrap().to_string()).collect())
                .unwrap_or_default();
            (name, why)
        })
        .collect();
    (guides, list)
}

fn names(m: &BTreeMap<String, Vec<String>>) -> Vec<&str> {
    m.keys().map(String::as_str).collect()
}

#[test]
fn a_boilerplate_change_selects_exactly_the_guides_that_include_it() {
    let repo = repo();
    let d = repo.path();
    let (none, list) = selected(d);
    assert!(none.is_empty(), "nothing changed: {none:?}");
    assert_eq!(list["changed_since"]["unchanged"], 8);

    write(
        d,
        "content/boilerplates/setup.md",
        &format!("---\ntitle: Setup\n---\n{}", step("echo setting up again")),
    );
    let (picked, _) = selected(d);
    assert_eq!(
        names(&picked),
        ["alpha", "beta", "boilerplates/setup"],
        "the includers, and the boilerplate page itself: {picked:?}"
    );
    assert_eq!(
        picked["alpha"],
        ["it includes content/boilerplates/setup.md (changed)"]
    );

    // The text listing says which change selected each guide, and what was left out.
    let out = docrun(d, &["--changed-since", "main", "--list"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("content/alpha/index.md\n")
            && text.contains("selected: it includes content/boilerplates/setup.md (changed)"),
        "{text}"
    );
    assert!(
        text.contains("5 guides unchanged since main (not selected)"),
        "{text}"
    );
}

#[test]
fn a_site_data_change_selects_the_guides_that_use_its_shortcodes() {
    let repo = repo();
    let d = repo.path();
    write(
        d,
        "data/args.yml",
        "version: \"1.28\"\nfull_version: \"1.28.0\"\n",
    );
    let (picked, _) = selected(d);
    assert_eq!(names(&picked), ["delta"], "{picked:?}");
    assert_eq!(
        picked["delta"],
        ["site data data/args.yml (changed): it uses {{< istio_version >}}"]
    );
}

#[test]
fn overlays_new_guides_deletions_and_renames() {
    let repo = repo();
    let d = repo.path();
    write(
        d,
        "content/epsilon/index.docrun.yaml",
        "steps:\n  steps_1:\n    timeout: 20s\n",
    );
    write(d, "content/eta/index.md", &guide("eta", &step("echo new")));
    std::fs::remove_file(d.join("content/zeta/index.md")).unwrap();
    git(
        d,
        &["mv", "content/gamma/index.md", "content/gamma/renamed.md"],
    );
    let (picked, list) = selected(d);
    assert_eq!(
        names(&picked),
        ["epsilon", "eta", "gamma/renamed"],
        "{picked:?}"
    );
    assert_eq!(
        picked["epsilon"],
        ["its overlay content/epsilon/index.docrun.yaml (changed)"]
    );
    assert_eq!(picked["eta"], ["the guide itself (added (untracked))"]);
    assert_eq!(
        picked["gamma/renamed"],
        ["the guide itself (renamed from content/gamma/index.md)"]
    );
    assert_eq!(
        list["changed_since"]["deleted"],
        serde_json::json!(["content/zeta/index.md"])
    );
    assert_eq!(
        list["changed_since"]["renamed"],
        serde_json::json!([["content/gamma/index.md", "content/gamma/renamed.md"]])
    );

    // A run says so too, and runs just the selected guides.
    let out = docrun(d, &["--changed-since", "main", "-j", "1"]);
    let err = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert!(
        err.contains("deleted since main: content/zeta/index.md (nothing to run)"),
        "{err}"
    );
    assert!(
        err.contains("renamed since main: content/gamma/index.md -> content/gamma/renamed.md"),
        "{err}"
    );
    assert!(err.contains("3 guides run: 3 passed, 0 failed"), "{err}");
}

#[test]
fn an_unknown_reference_is_an_input_error() {
    let repo = repo();
    let out = docrun(
        repo.path(),
        &["--changed-since", "no-such-branch", "--list"],
    );
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("--changed-since no-such-branch: git knows no commit by that name"),
        "{err}"
    );
    assert!(out.stdout.is_empty());

    let plain = tempfile::tempdir().unwrap();
    write(plain.path(), "content/a.md", &guide("a", &step("echo a")));
    let out = docrun(plain.path(), &["--changed-since", "main", "--list"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("is not in a git repository"));
}

/// A stranger's pull request can commit a bare repository (`HEAD`, `config`, `objects/`,
/// `refs/`) as the docs folder itself, with a config that names a command as its
/// `core.fsmonitor` and the folder as its work tree. Git run inside the folder would use that
/// repository and run the command. docrun runs git hardened: it never uses a bare repository it
/// was not pointed at, nor any fsmonitor or hook, so selecting guides runs nothing of the tree's.
#[test]
fn a_bare_repository_committed_in_the_tested_tree_runs_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let canary = d.join("canary");
    write(d, "content/a/index.md", &guide("a", &step("echo a")));
    git(d, &["init", "-q"]);
    git(d, &["init", "-q", "--bare", "content"]);
    git(
        d,
        &[
            "--git-dir=content",
            "--work-tree=content",
            "commit",
            "-q",
            "--allow-empty",
            "-m",
            "the stranger's commit, so that HEAD resolves in it",
        ],
    );
    write(
        d,
        "content/config",
        &format!(
            "[core]\n\trepositoryformatversion = 0\n\tbare = false\n\tworktree = .\n\
             \tfsmonitor = \"touch '{}'; false\"\n",
            canary.display()
        ),
    );
    git(d, &["add", "-A"]);
    git(
        d,
        &["commit", "-q", "-m", "docs with a bare repository in them"],
    );
    // The trap is armed: plain git inside the folder runs the command.
    let plain = Command::new("git")
        .current_dir(d.join("content"))
        .args(["ls-files", "--others"])
        .env_remove("GIT_DIR")
        .output()
        .unwrap();
    assert!(plain.status.success() && canary.exists(), "{plain:?}");
    std::fs::remove_file(&canary).unwrap();

    let out = docrun(d, &["--changed-since", "HEAD", "--list"]);
    assert!(
        !canary.exists(),
        "docrun ran the bare repository's fsmonitor command: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    // It fails cleanly: an input error that says why, and nothing listed.
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("--changed-since HEAD: content") && err.contains("bare repository"),
        "{err}"
    );
    assert!(out.stdout.is_empty());
}

/// docrun reads the repository that holds the tested path, whatever `GIT_DIR` and
/// `GIT_WORK_TREE` in its environment say (a hook or a wrapper may have set them for another
/// repository).
#[test]
fn git_variables_in_the_environment_do_not_redirect_the_scope() {
    let repo = repo();
    let d = repo.path();
    let other = tempfile::tempdir().unwrap();
    git(other.path(), &["init", "-q"]);
    write(d, "content/eta/index.md", &guide("eta", &step("echo new")));
    let out = Command::new(env!("CARGO_BIN_EXE_docrun"))
        .env(
            "DOCRUN_STATE_DIR",
            std::env::temp_dir().join(format!("docrun-test-state-{}", std::process::id())),
        )
        .current_dir(d)
        .env("NO_COLOR", "1")
        .env_remove("GITHUB_ACTIONS")
        .env("GIT_DIR", other.path().join(".git"))
        .env("GIT_WORK_TREE", other.path())
        .args(["test", "content", "--changed-since", "main", "--list"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        text.contains("content/eta/index.md\n")
            && text.contains("8 guides unchanged since main (not selected)"),
        "{text}"
    );
}
