//! The documentation tree is the boundary: a guide reads only regular files inside its tree
//! (a `file=` block, an include, a snippet, a boilerplate, a `requires:`), whatever path,
//! `..`, symlink or device it names, and settings above the tree or written by another user
//! are not believed.

mod support;

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use support::docrun::docrun;

/// A tree (a git work tree: `.git` marks its top) inside a folder that holds a secret.
fn tree() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let tree = dir.path().join("docs");
    std::fs::create_dir_all(tree.join(".git")).unwrap();
    std::fs::create_dir_all(tree.join("guides")).unwrap();
    std::fs::write(dir.path().join("secret.yaml"), "token: s3cret-outside\n").unwrap();
    (dir, tree)
}

fn guide_naming(tree: &Path, file: &str) -> PathBuf {
    let path = tree.join("guides/guide.md");
    std::fs::write(
        &path,
        format!("# Guide\n\n```bash\nkubectl apply -f x.yaml\n```\n\n```yaml file={file}\n```\n"),
    )
    .unwrap();
    path
}

fn plan(dir: &Path, guide: &Path) -> (Option<i32>, String, Duration) {
    let started = Instant::now();
    let out = docrun(dir)
        .args(["plan", "--format", "json"])
        .arg(guide)
        .env("DOCRUN_TEST_CANARY", "canary-in-the-environment")
        .output()
        .unwrap();
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.code(), said, started.elapsed())
}

#[test]
fn a_file_block_outside_the_tree_is_an_error_at_its_line() {
    let (dir, tree) = tree();
    std::os::unix::fs::symlink(
        dir.path().join("secret.yaml"),
        tree.join("guides/link.yaml"),
    )
    .unwrap();
    for name in [
        "/proc/self/environ",
        "../../secret.yaml",
        "./link.yaml",
        "/etc/passwd",
    ] {
        let guide = guide_naming(&tree, name);
        let (code, said, _) = plan(dir.path(), &guide);
        assert_eq!(code, Some(2), "{name}: {said}");
        assert!(said.contains("guide.md:7"), "{name}: {said}");
        assert!(
            said.contains("outside the documentation tree"),
            "{name}: {said}"
        );
        assert!(
            !said.contains("canary-in-the-environment") && !said.contains("s3cret-outside"),
            "{name} was read: {said}"
        );
    }
}

#[test]
fn devices_and_fifos_are_never_read() {
    let (dir, tree) = tree();
    let fifo = tree.join("guides/fifo.yaml");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(made.success());
    std::os::unix::fs::symlink("/dev/zero", tree.join("guides/zero.yaml")).unwrap();
    for name in ["./fifo.yaml", "/dev/zero", "./zero.yaml", "/dev/stdin"] {
        let guide = guide_naming(&tree, name);
        let (code, said, took) = plan(dir.path(), &guide);
        assert_eq!(code, Some(2), "{name}: {said}");
        assert!(took < Duration::from_secs(10), "{name} took {took:?}");
        assert!(
            said.contains("not a regular file") || said.contains("outside the documentation tree"),
            "{name}: {said}"
        );
    }
}

#[test]
fn a_file_inside_the_tree_is_read() {
    let (dir, tree) = tree();
    std::fs::write(tree.join("guides/x.yaml"), "kind: ConfigMap\n").unwrap();
    let guide = guide_naming(&tree, "./x.yaml");
    let (code, said, _) = plan(dir.path(), &guide);
    assert_eq!(code, Some(0), "{said}");
}

#[test]
fn boilerplates_and_settings_above_the_tree_or_from_others_are_not_believed() {
    let (dir, tree) = tree();
    // istio.io guides include boilerplates from a folder above them.
    std::fs::create_dir_all(dir.path().join("boilerplates")).unwrap();
    std::fs::write(
        dir.path().join("boilerplates/evil.md"),
        "{{< text bash >}}\n$ touch planted\n{{< /text >}}\n",
    )
    .unwrap();
    let guide = tree.join("guides/guide.md");
    std::fs::write(
        &guide,
        "# Guide\n\n{{< boilerplate evil >}}\n\n{{< text bash >}}\n$ echo own\n{{< /text >}}\n",
    )
    .unwrap();
    let out = docrun(dir.path())
        .args(["plan", "--dialect", "istio"])
        .arg(&guide)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(!stdout.contains("touch planted"), "{stdout}");
    assert!(stdout.contains("echo own"), "{stdout}");

    // A docrun.yaml above the tree, or one others may write, sets nothing.
    std::fs::write(dir.path().join("docrun.yaml"), "dialect: istio\n").unwrap();
    let settings = tree.join("docrun.yaml");
    std::fs::write(&settings, "dialect: istio\n").unwrap();
    std::fs::set_permissions(&settings, std::fs::Permissions::from_mode(0o666)).unwrap();
    let plain = tree.join("guides/plain.md");
    std::fs::write(&plain, "# Plain\n\n```bash\necho plain\n```\n").unwrap();
    let out = docrun(dir.path())
        .args(["plan", "--format", "json"])
        .arg(&plain)
        .output()
        .unwrap();
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["dialect"]["dialect"], "markdown", "{json}");
    // ... and the user is told which file was passed over, and why.
    let stderr = String::from_utf8_lossy(&out.stderr);
    let said = format!(
        "warning: {}: not read, as anyone may write it (mode 0666)",
        settings.display()
    );
    assert_eq!(stderr.matches(&said).count(), 1, "{stderr}");
    assert!(stderr.contains("hint: `chmod go-w`"), "{stderr}");
}

/// The preview reads manifests and `--from-file` data under the same rule: nothing outside the
/// tree, never a device.
#[test]
fn the_preview_reads_no_manifest_outside_the_tree() {
    let kube = support::fakekube::FakeKube::start();
    let (dir, tree) = tree();
    std::fs::write(
        dir.path().join("outside.yaml"),
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: from-outside\ndata:\n  token: s3cret-outside\n",
    )
    .unwrap();
    let guide = tree.join("guides/preview.md");
    std::fs::write(
        &guide,
        "# Preview\n\n```bash\nkubectl --context c1 apply -f ../../outside.yaml\nkubectl --context c1 create secret generic env --from-file=/proc/self/environ\nkubectl --context c1 create configmap zero --from-file=/dev/zero\n```\n",
    )
    .unwrap();
    let out = support::docrun::docrun_with_kube(&kube, &kube.kubeconfig_path, &tree.join("guides"))
        .env("DOCRUN_TEST_CANARY", "canary-in-the-environment")
        .args(["plan", "--preview"])
        .arg(&guide)
        .output()
        .unwrap();
    let said = support::docrun::printed(&out);
    assert!(
        !said.contains("canary-in-the-environment") && !said.contains("s3cret-outside"),
        "{said}"
    );
    assert_eq!(
        said.matches("outside the documentation tree").count(),
        3,
        "{said}"
    );
}

/// A file a guide names is read as every text file is: UTF-16 or a NUL byte is the guide's
/// error at the line that names it, never silently read.
#[test]
fn a_named_file_that_is_not_text_is_an_error_at_its_line() {
    let (dir, tree) = tree();
    std::fs::write(tree.join("guides/nul.yaml"), "kind: ConfigMap\0\n").unwrap();
    let guide = guide_naming(&tree, "./nul.yaml");
    let (code, said, _) = plan(dir.path(), &guide);
    assert_eq!(code, Some(2), "{said}");
    assert!(
        said.contains("guide.md:7") && said.contains("NUL"),
        "{said}"
    );
}

/// A macros-plugin `{% include %}` is read inside the tree only: a name that climbs out of the
/// plugin's folder, or a link out of the tree, is the guide's error at the statement's line, and
/// the file outside is never read.
#[test]
fn a_macro_include_outside_the_tree_is_an_error_at_its_line() {
    let (dir, tree) = tree();
    std::fs::write(
        dir.path().join("secret.md"),
        "```bash\necho s3cret-outside\n```\n",
    )
    .unwrap();
    std::fs::create_dir_all(tree.join("guides/snippets")).unwrap();
    std::os::unix::fs::symlink(
        dir.path().join("secret.md"),
        tree.join("guides/snippets/link.md"),
    )
    .unwrap();
    std::fs::write(
        tree.join("mkdocs.yml"),
        "site_name: x\ndocs_dir: guides\nplugins:\n  - macros:\n      include_dir: guides/snippets\n",
    )
    .unwrap();
    for name in ["../../../secret.md", "link.md"] {
        let guide = tree.join("guides/page.md");
        std::fs::write(
            &guide,
            format!("# Page\n\n=== \"A\"\n    Text.\n\n{{% include \"{name}\" %}}\n"),
        )
        .unwrap();
        let (code, said, _) = plan(dir.path(), &guide);
        assert_eq!(code, Some(2), "{name}: {said}");
        assert!(said.contains("page.md:6"), "{name}: {said}");
        assert!(!said.contains("s3cret-outside"), "{name} was read: {said}");
    }
}
