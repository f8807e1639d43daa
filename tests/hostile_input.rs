//! docrun on input written to hurt it: trees with FIFOs, links to devices and huge files named
//! `*.md`, folders it may not list, YAML whose aliases multiply it, guides in UTF-16 or with NUL
//! bytes. Each test checks what a user would notice: that docrun ends (a watchdog kills it
//! otherwise and the test fails), its exit code, and what it names; every docrun here runs
//! with its address space capped, so reading without bound fails instead of filling the machine.

mod support;
use support::docrun::both;

use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;

/// The address space a docrun of these tests may use: far above what reading a tree of small
/// guides takes, far below what reading `/dev/zero` or expanding a YAML bomb would.
const ADDRESS_SPACE: u64 = 4 << 30;

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// docrun in `dir` (its temporary files in `dir/tmp`), its address space capped.
fn docrun(dir: &Path) -> Command {
    let tmp = dir.join("tmp");
    std::fs::create_dir_all(&tmp).unwrap();
    let mut cmd = support::docrun::docrun(dir);
    cmd.env("TMPDIR", &tmp);
    // SAFETY: setrlimit is async-signal-safe; nothing else runs between fork and exec.
    unsafe {
        cmd.pre_exec(|| {
            let limit = nix::libc::rlimit {
                rlim_cur: ADDRESS_SPACE,
                rlim_max: ADDRESS_SPACE,
            };
            if nix::libc::setrlimit(nix::libc::RLIMIT_AS, &limit) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    cmd
}

/// Runs `cmd`; the test fails when docrun has not ended by itself after a minute (a bound for a
/// slow machine: every run here takes well under a second when it works).
fn finished(mut cmd: Command) -> Output {
    let child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let pid = child.id() as i32;
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        if rx.recv_timeout(Duration::from_secs(60)).is_err() {
            let _ = kill(Pid::from_raw(pid), Signal::SIGKILL);
        }
    });
    let out = child.wait_with_output().unwrap();
    let _ = tx.send(());
    assert!(
        out.status.code().is_some(),
        "docrun did not end by itself (hung, or killed by {:?}): {}",
        std::os::unix::process::ExitStatusExt::signal(&out.status),
        text(&out.stderr)
    );
    out
}

fn run(dir: &Path, args: &[&str]) -> (i32, String, String) {
    let mut cmd = docrun(dir);
    cmd.args(args);
    let out = finished(cmd);
    (
        out.status.code().unwrap(),
        text(&out.stdout),
        text(&out.stderr),
    )
}

const GUIDE: &str = "---\ntest: yes\n---\n# Guide\n\n```bash\necho ran >> \"$OUT\"\n```\n";

fn mkfifo(path: &Path) {
    let made = Command::new("mkfifo").arg(path).status().unwrap();
    assert!(made.success());
}

/// A git work tree at `dir` with the guide `docs/a.md`.
fn tree(dir: &Path) {
    std::fs::create_dir_all(dir.join("docs")).unwrap();
    std::fs::create_dir(dir.join(".git")).unwrap();
    std::fs::write(dir.join("docs/a.md"), GUIDE).unwrap();
}

#[test]
fn entries_named_md_that_are_no_guide_are_skipped_with_a_warning_naming_them() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    tree(d);
    let docs = d.join("docs");
    mkfifo(&docs.join("fifo.md"));
    std::os::unix::fs::symlink("/dev/zero", docs.join("zero.md")).unwrap();
    std::os::unix::fs::symlink("/etc/hostname", docs.join("outside.md")).unwrap();
    let _socket = std::os::unix::net::UnixListener::bind(docs.join("socket.md")).unwrap();
    // Sparse: over the limit without taking the disk space.
    let huge = std::fs::File::create(docs.join("huge.md")).unwrap();
    huge.set_len(16 * 1024 * 1024 + 1).unwrap();
    std::fs::write(docs.join("b.md"), GUIDE).unwrap();
    std::os::unix::fs::symlink("b.md", docs.join("link-to-b.md")).unwrap();
    let skipped = ["fifo.md", "zero.md", "outside.md", "socket.md", "huge.md"];

    let (code, stdout, stderr) = run(d, &["test", "docs", "--list"]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    for name in skipped {
        assert!(
            stderr.contains(&format!("warning: docs/{name} ")),
            "{name}: {stderr}"
        );
        assert!(!stdout.contains(name), "{name} listed: {stdout}");
    }
    assert!(stderr.contains("docs/fifo.md is a FIFO"), "{stderr}");
    assert!(
        stderr.contains("docs/huge.md is 16777217 bytes"),
        "{stderr}"
    );
    for name in ["docs/a.md", "docs/b.md", "docs/link-to-b.md"] {
        assert!(stdout.contains(name), "{name}: {stdout}");
    }

    let (code, stdout, stderr) = run(d, &["lint", "docs", "--format", "json"]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    let report: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    let tree: Vec<&serde_json::Value> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == "tree")
        .collect();
    assert_eq!(tree.len(), skipped.len(), "{stdout}");
    assert!(tree.iter().all(|f| f["severity"] == "warning"), "{stdout}");
    for name in skipped {
        assert!(
            tree.iter()
                .any(|f| f["file"].as_str().unwrap().ends_with(name)),
            "{name}: {stdout}"
        );
    }
    assert_eq!(report["summary"]["guides"], 3, "{stdout}");

    let out = d.join("out");
    let mut cmd = docrun(d);
    cmd.args(["test", "docs", "-j", "1"]).env("OUT", &out);
    let done = finished(cmd);
    assert_eq!(done.status.code(), Some(0), "{}", text(&done.stderr));
    assert_eq!(std::fs::read_to_string(&out).unwrap(), "ran\nran\nran\n");
}

#[test]
fn a_guide_named_on_the_command_line_that_is_no_regular_file_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    tree(d);
    mkfifo(&d.join("docs/fifo.md"));
    std::os::unix::fs::symlink("/dev/zero", d.join("docs/zero.md")).unwrap();
    for name in ["docs/fifo.md", "docs/zero.md"] {
        let (code, _, stderr) = run(d, &["plan", name]);
        assert_eq!(code, 2, "{name}: {stderr}");
        assert!(
            stderr.contains(name) && stderr.contains("not a regular file"),
            "{name}: {stderr}"
        );
    }
}

#[test]
fn a_folder_that_cannot_be_listed_is_one_failed_entry_and_the_rest_runs() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    tree(d);
    let locked = d.join("docs/locked");
    std::fs::create_dir(&locked).unwrap();
    std::fs::write(locked.join("c.md"), GUIDE).unwrap();
    let out = d.join("out");
    // Root lists any folder whatever its mode, so as root docrun runs as `nobody`: the tree is
    // made readable to it (and `out`, `tmp` writable), the locked folder to no one.
    let root = nix::unistd::geteuid().is_root();
    let as_user = |cmd: &mut Command| {
        if root {
            cmd.uid(65534).gid(65534);
        }
    };
    if root {
        use std::os::unix::fs::PermissionsExt;
        for folder in [d, &d.join("docs"), &d.join(".git")] {
            std::fs::set_permissions(folder, std::fs::Permissions::from_mode(0o755)).unwrap();
        }
        std::fs::create_dir_all(d.join("tmp")).unwrap();
        std::fs::set_permissions(d.join("tmp"), std::fs::Permissions::from_mode(0o1777)).unwrap();
        std::fs::write(&out, "").unwrap();
        std::fs::set_permissions(&out, std::fs::Permissions::from_mode(0o666)).unwrap();
    }
    std::fs::set_permissions(&locked, std::os::unix::fs::PermissionsExt::from_mode(0o000)).unwrap();

    let mut list = docrun(d);
    list.args(["test", "docs", "--list"]);
    as_user(&mut list);
    let listed = finished(list);
    let stdout = text(&listed.stdout);
    assert_eq!(listed.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.contains("docs/locked") && stdout.contains("cannot be listed"),
        "{stdout}"
    );
    assert!(stdout.contains("docs/a.md"), "{stdout}");

    let mut lint = docrun(d);
    lint.args(["lint", "docs", "--format", "json"]);
    as_user(&mut lint);
    let linted = finished(lint);
    let report: serde_json::Value = serde_json::from_slice(&linted.stdout).unwrap();
    assert_eq!(linted.status.code(), Some(1), "{report}");
    let findings = report["findings"].as_array().unwrap();
    let tree: Vec<_> = findings.iter().filter(|f| f["rule"] == "tree").collect();
    assert_eq!(tree.len(), 1, "{report}");
    assert_eq!(tree[0]["severity"], "error");
    assert!(tree[0]["file"].as_str().unwrap().ends_with("docs/locked"));
    assert_eq!(report["summary"]["guides"], 1, "{report}");

    let mut test = docrun(d);
    test.args(["test", "docs", "-j", "1"]).env("OUT", &out);
    as_user(&mut test);
    let tested = finished(test);
    let stderr = both(&tested);
    assert_eq!(tested.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("docs/locked"), "{stderr}");
    assert_eq!(std::fs::read_to_string(&out).unwrap(), "ran\n", "{stderr}");
}

/// YAML of about 1.2 MB (after `head`): one string of a megabyte and `aliases` keys naming it,
/// a gigabyte when expanded.
fn alias_bomb(head: &str, aliases: usize) -> String {
    let mut yaml = format!("{head}big: &a \"{}\"\n", "x".repeat(1_000_000));
    for i in 0..aliases {
        yaml.push_str(&format!("k{i}: *a\n"));
    }
    yaml
}

/// Runs docrun in `dir`, which must refuse with exit 2 and name `at` (`file:line:col`) and the
/// aliases.
fn refused_bomb(dir: &Path, args: &[&str], at: &str) {
    let (code, stdout, stderr) = run(dir, args);
    assert_eq!(code, 2, "{args:?}: {stdout}{stderr}");
    assert!(stderr.contains(at), "{args:?}: expected {at} in {stderr}");
    assert!(stderr.contains("aliases expand"), "{args:?}: {stderr}");
}

#[test]
fn yaml_aliases_that_expand_past_the_budget_are_refused_naming_the_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    tree(d);
    // A values file: today a 1.2 MB one aborts docrun (exit 134).
    std::fs::write(d.join("values.yaml"), alias_bomb("", 200_000 / 10)).unwrap();
    refused_bomb(
        d,
        &["plan", "docs/a.md", "--values", "values.yaml"],
        "values.yaml:6:5:",
    );
    // Front matter.
    let front = alias_bomb("---\ntitle: T\n", 1000) + "---\n# Guide\n";
    std::fs::write(d.join("docs/front.md"), front).unwrap();
    refused_bomb(d, &["plan", "docs/front.md"], "docs/front.md:8:5:");
    // An overlay beside the guide.
    std::fs::write(d.join("docs/a.docrun.yaml"), alias_bomb("", 1000)).unwrap();
    refused_bomb(d, &["plan", "docs/a.md"], "docs/a.docrun.yaml:6:5:");
    std::fs::remove_file(d.join("docs/a.docrun.yaml")).unwrap();
    // The tree's docrun.yaml.
    std::fs::write(d.join("docrun.yaml"), alias_bomb("", 1000)).unwrap();
    refused_bomb(d, &["test", "docs", "--list"], "docrun.yaml:6:5:");
    std::fs::remove_file(d.join("docrun.yaml")).unwrap();
    // lint reads the front matter and overlays the same way, as findings.
    let (code, stdout, _) = run(d, &["lint", "docs/front.md"]);
    assert_eq!(code, 1, "{stdout}");
    assert!(
        stdout.contains("docs/front.md:8:5: error[parse]") && stdout.contains("aliases expand"),
        "{stdout}"
    );
}

#[test]
fn a_kubeconfig_whose_aliases_expand_past_the_budget_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let kubeconfig = dir.path().join("kubeconfig");
    let mut yaml = format!(
        "apiVersion: v1\nkind: Config\npreferences: &a {{x: \"{}\"}}\nclusters:\n",
        "x".repeat(1_000_000)
    );
    for i in 0..1000 {
        yaml.push_str(&format!("- {{name: c{i}, cluster: *a}}\n"));
    }
    std::fs::write(&kubeconfig, yaml).unwrap();
    let mut cmd = docrun(dir.path());
    cmd.current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("KUBECONFIG", &kubeconfig)
        .env("HOME", dir.path())
        .args([
            "check",
            "runbooks/istio/multicluster/before-you-begin.zh.md",
            "--set",
            "CTX_CLUSTER1=c1",
            "--set",
            "CTX_CLUSTER2=c2",
        ]);
    let out = finished(cmd);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains(&format!(
            "{}: line 9: its aliases expand",
            kubeconfig.display()
        )),
        "{stderr}"
    );
}

#[test]
fn guides_in_utf16_or_with_a_nul_byte_are_refused_at_their_line_by_every_command() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    tree(d);
    let utf16: Vec<u8> = GUIDE.encode_utf16().flat_map(u16::to_le_bytes).collect();
    std::fs::write(d.join("docs/utf16.md"), utf16).unwrap();
    std::fs::write(
        d.join("docs/nul.md"),
        GUIDE.replace("echo ran", "echo r\0an"),
    )
    .unwrap();
    for (name, at, what) in [
        ("docs/utf16.md", "docs/utf16.md:1:1:", "UTF-16LE"),
        ("docs/nul.md", "docs/nul.md:7:7:", "NUL byte"),
    ] {
        let (code, _, stderr) = run(d, &["plan", name]);
        assert_eq!(code, 2, "{name}: {stderr}");
        assert!(stderr.contains(at) && stderr.contains(what), "{stderr}");
        let (code, stdout, _) = run(d, &["lint", name]);
        assert_eq!(code, 1, "{stdout}");
        assert!(stdout.contains(&format!("{at} error[parse]")), "{stdout}");
    }
    assert!(run(d, &["plan", "docs/utf16.md"])
        .2
        .contains("re-save the file as UTF-8"));
    // In a tree, each is a failed guide; the others run.
    let out = d.join("out");
    let mut cmd = docrun(d);
    cmd.args(["test", "docs", "-j", "1"]).env("OUT", &out);
    let tested = finished(cmd);
    let stderr = both(&tested);
    assert_eq!(tested.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("docs/utf16.md") && stderr.contains("docs/nul.md"));
    assert_eq!(std::fs::read_to_string(&out).unwrap(), "ran\n", "{stderr}");
}

#[test]
fn ignore_files_that_are_no_regular_file_are_never_read_and_their_folder_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    tree(d);
    for (folder, make) in [
        ("docs/fifo", "fifo"),
        ("docs/zero", "zero"),
        ("docs/out", "outside"),
    ] {
        let folder = d.join(folder);
        std::fs::create_dir_all(&folder).unwrap();
        std::fs::write(folder.join("c.md"), GUIDE).unwrap();
        let ignore = folder.join(".gitignore");
        match make {
            "fifo" => mkfifo(&ignore),
            "zero" => std::os::unix::fs::symlink("/dev/zero", &ignore).unwrap(),
            _ => std::os::unix::fs::symlink("/etc/hostname", &ignore).unwrap(),
        }
    }
    // A git file (a linked work tree's) that is a FIFO would block the walk that reads it.
    std::fs::create_dir_all(d.join("docs/worktree")).unwrap();
    mkfifo(&d.join("docs/worktree/.git"));

    let (code, stdout, stderr) = run(d, &["test", "docs", "--list"]);
    assert_eq!(code, 1, "{stdout}{stderr}");
    for folder in ["docs/fifo", "docs/zero", "docs/out", "docs/worktree"] {
        assert!(
            stdout.contains(folder) && stdout.contains("docrun does not read"),
            "{folder}: {stdout}"
        );
    }
    assert!(stdout.contains("docs/a.md"), "{stdout}");
    assert!(!stdout.contains("docs/zero/c.md"), "{stdout}");

    // Walking the folder itself: its own ignore file is refused the same way.
    let (code, stdout, stderr) = run(d, &["test", "docs/zero", "--list"]);
    assert_eq!(code, 1, "{stdout}{stderr}");
    assert!(stdout.contains("docs/zero"), "{stdout}");
}

/// A plan of thousands of steps is written as JSON a step at a time, far more than one write
/// holds, and is still the one document a reader expects: it parses, its keys are in order,
/// the secret is masked in every step, no line holds a command a CI runner obeys (`##[`), and
/// a character a reader cannot see is written out.
#[test]
fn a_plan_of_thousands_of_steps_written_as_json_is_whole_masked_and_safe() {
    let dir = tempfile::tempdir().unwrap();
    let mut guide = String::from("# Many\n\n```bash\nexport API_TOKEN=<your token>\n```\n\n");
    for i in 0..3000 {
        guide.push_str(&format!(
            "## Step {i}\n\n```bash\necho \"{i} $API_TOKEN hunter2-long\" # ##[set-output name=a]b \u{200b}\n```\n\n"
        ));
    }
    std::fs::write(dir.path().join("g.md"), guide).unwrap();
    let out = finished({
        let mut cmd = docrun(dir.path());
        cmd.args(["plan", "g.md", "--format", "json"])
            .args(["--set", "API_TOKEN=hunter2-long"]);
        cmd
    });
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{}", both(&out));
    let plan: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    let keys: Vec<&String> = plan.as_object().unwrap().keys().collect();
    let mut sorted = keys.clone();
    sorted.sort();
    assert_eq!(keys, sorted, "the plan's keys are in order");
    let steps = plan["steps"].as_array().unwrap();
    assert_eq!(steps.len(), 3001);
    let last = steps[3000]["commands"][0].as_str().unwrap();
    assert_eq!(
        last,
        "echo \"2999 '***' ***\" # ##[set-output name=a]b <U+200B>"
    );
    assert!(!stdout.contains("hunter2"), "the secret is printed");
    assert!(
        stdout.lines().all(|l| !l.contains("##[")),
        "a line a runner obeys"
    );
    assert!(stdout.ends_with("}\n"));
}
