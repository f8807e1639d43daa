//! docrun under faults and hostile input: stop signals from CI (`SIGTERM`, `SIGHUP`) and
//! `SIGKILL`, processes a step detaches, reports that cannot be written, values a run must
//! refuse, unclear flags and environment. Each test checks what a user would notice: the exit
//! code, the cleanup, the reports, and by pid that no process is left behind.

mod support;
use support::docrun::both;

use support::process::alive;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/faults")
        .join(name)
}

/// docrun in `dir`, with its temporary files in `dir/tmp` and its state in `dir/.state`.
fn docrun(dir: &Path) -> Command {
    let tmp = dir.join("tmp");
    std::fs::create_dir_all(&tmp).unwrap();
    let mut cmd = support::docrun::docrun(dir);
    cmd.env("TMPDIR", &tmp);
    cmd
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn pids(dir: &Path) -> Vec<i32> {
    std::fs::read_to_string(dir.join("pids"))
        .unwrap_or_default()
        .lines()
        .map(|l| l.trim().parse().unwrap())
        .collect()
}

/// Polls `done` for up to 10 s (a bound for a slow machine, not a timing assertion).
fn eventually(mut done: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        if done() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    done()
}

fn no_process_left(dir: &Path) {
    let pids = pids(dir);
    assert!(!pids.is_empty(), "the guide recorded no pid");
    for pid in pids {
        assert!(eventually(|| !alive(pid)), "process {pid} outlived docrun");
    }
}

fn tmp_is_empty(dir: &Path) {
    let tmp = dir.join("tmp");
    assert!(
        eventually(|| std::fs::read_dir(&tmp).unwrap().next().is_none()),
        "docrun left temporary files: {:?}",
        std::fs::read_dir(&tmp)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect::<Vec<_>>()
    );
}

/// Starts `docrun run|test` on the signals guide and waits until its long step is running.
fn start_stoppable(dir: &Path, command: &str, extra: &[&str]) -> Child {
    let out = format!("OUT={}", dir.display());
    let junit = dir.join("report.xml");
    let mut child = docrun(dir)
        .arg(command)
        .arg(fixture("signals.md"))
        .args(["--set", &out, "--junit", junit.to_str().unwrap()])
        .args(extra)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    if !eventually(|| dir.join("started").exists()) {
        let _ = child.kill();
        panic!("the step never started");
    }
    child
}

fn stop_with(signal: Signal, command: &str, extra: &[&str]) -> (tempfile::TempDir, Output) {
    let dir = tempfile::tempdir().unwrap();
    let child = start_stoppable(dir.path(), command, extra);
    kill(Pid::from_raw(child.id() as i32), signal).unwrap();
    let out = child.wait_with_output().unwrap();
    (dir, out)
}

fn stopped_cleanly(signal: Signal, command: &str, code: i32) {
    let extra: &[&str] = if command == "run" { &["--json"] } else { &[] };
    let (dir, out) = stop_with(signal, command, extra);
    let dir = dir.path();
    assert_eq!(
        out.status.code(),
        Some(code),
        "{signal} to docrun {command}"
    );
    assert_eq!(
        std::fs::read_to_string(dir.join("cleanup.txt")).unwrap(),
        "cleaned\n",
        "the cleanup step ran once"
    );
    let xml = std::fs::read_to_string(dir.join("report.xml")).unwrap();
    assert!(xml.contains("interrupted"), "{xml}");
    if command == "run" {
        let stdout = text(&out.stdout);
        let last: serde_json::Value = serde_json::from_str(stdout.lines().last().unwrap()).unwrap();
        assert_eq!(last["type"], "run_finished");
        assert_eq!(last["status"], "interrupted");
    }
    no_process_left(dir);
    tmp_is_empty(dir);
}

#[test]
fn sigterm_stops_run_like_ctrl_c_and_exits_143() {
    stopped_cleanly(Signal::SIGTERM, "run", 143);
}

#[test]
fn sighup_stops_run_like_ctrl_c_and_exits_129() {
    stopped_cleanly(Signal::SIGHUP, "run", 129);
}

#[test]
fn sigterm_stops_test_like_ctrl_c_and_exits_143() {
    stopped_cleanly(Signal::SIGTERM, "test", 143);
}

#[test]
fn sighup_stops_test_like_ctrl_c_and_exits_129() {
    stopped_cleanly(Signal::SIGHUP, "test", 129);
}

fn killed_leaves_nothing(command: &str) {
    let (dir, out) = stop_with(Signal::SIGKILL, command, &[]);
    assert_eq!(
        std::os::unix::process::ExitStatusExt::signal(&out.status),
        Some(9)
    );
    no_process_left(dir.path());
    tmp_is_empty(dir.path());
}

#[test]
fn sigkill_of_run_leaves_no_process_and_no_temporary_file() {
    killed_leaves_nothing("run");
}

#[test]
fn sigkill_of_test_leaves_no_process_and_no_temporary_file() {
    killed_leaves_nothing("test");
}

#[test]
fn processes_a_step_detaches_with_setsid_end_with_the_run() {
    let dir = tempfile::tempdir().unwrap();
    let out = docrun(dir.path())
        .arg("run")
        .arg(fixture("detach.md"))
        .args(["--set", &format!("OUT={}", dir.path().display())])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(pids(dir.path()).len(), 2);
    no_process_left(dir.path());
    tmp_is_empty(dir.path());
}

const KUBE_GUIDE: &str = "runbooks/istio/multicluster/before-you-begin.zh.md";

/// Runs `cmd`, killing it if it has not ended after `limit` (then the test fails).
fn output_within(mut cmd: Command, limit: Duration) -> Output {
    let child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let pid = child.id() as i32;
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        if rx.recv_timeout(limit).is_err() {
            let _ = kill(Pid::from_raw(pid), Signal::SIGKILL);
        }
    });
    let out = child.wait_with_output().unwrap();
    let _ = tx.send(());
    assert!(
        out.status.code().is_some(),
        "docrun did not end by itself: {}",
        text(&out.stderr)
    );
    out
}

fn kube_docrun(dir: &Path, kubeconfig: &Path, args: &[&str]) -> Command {
    let mut cmd = docrun(dir);
    cmd.current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("KUBECONFIG", kubeconfig)
        .env("HOME", dir)
        .args(args)
        .args([
            KUBE_GUIDE,
            "--set",
            "CTX_CLUSTER1=c1",
            "--set",
            "CTX_CLUSTER2=c2",
        ]);
    cmd
}

/// A kubeconfig of two contexts whose users' exec plugins record their pid and hang.
fn hanging_plugins(dir: &Path) -> PathBuf {
    let pids = dir.join("pids");
    let user = |name: &str| {
        format!(
            "- name: {name}\n  user:\n    exec:\n      apiVersion: client.authentication.k8s.io/v1\n      command: sh\n      args: [\"-c\", \"echo $$ >> {}; exec sleep 100\"]\n",
            pids.display()
        )
    };
    let config = format!(
        "apiVersion: v1\nkind: Config\nclusters:\n- name: k1\n  cluster: {{server: \"https://127.0.0.1:1\"}}\n- name: k2\n  cluster: {{server: \"https://127.0.0.1:2\"}}\ncontexts:\n- name: c1\n  context: {{cluster: k1, user: u1}}\n- name: c2\n  context: {{cluster: k2, user: u2}}\nusers:\n{}{}",
        user("u1"),
        user("u2")
    );
    let path = dir.join("kubeconfig");
    std::fs::write(&path, config).unwrap();
    path
}

#[test]
fn a_hanging_credential_plugin_is_bounded_by_the_timeout_named_and_stopped() {
    let dir = tempfile::tempdir().unwrap();
    let kubeconfig = hanging_plugins(dir.path());
    let out = output_within(
        kube_docrun(dir.path(), &kubeconfig, &["check", "--timeout", "2s"]),
        Duration::from_secs(60),
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    for context in ["c1", "c2"] {
        assert!(
            stdout.lines().any(|l| l.contains("kube.reachable")
                && l.contains("credential plugin `sh -c")
                && l.contains(&format!("of context {context} did not answer within 2"))),
            "{stdout}"
        );
    }
    no_process_left(dir.path());
}

#[test]
fn a_hanging_credential_plugin_does_not_hang_the_preflight_of_run() {
    let dir = tempfile::tempdir().unwrap();
    let kubeconfig = hanging_plugins(dir.path());
    let out = output_within(
        kube_docrun(dir.path(), &kubeconfig, &["run"]),
        Duration::from_secs(60),
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let stderr = text(&out.stderr);
    assert!(stderr.contains("credential plugin"), "{stderr}");
    assert!(stderr.contains("no step ran"), "{stderr}");
    no_process_left(dir.path());
}

#[test]
fn a_damaged_kubeconfig_is_named_and_exits_2_instead_of_panicking() {
    let dir = tempfile::tempdir().unwrap();
    let kubeconfig = dir.path().join("kubeconfig");
    for bytes in [
        &b"\xff\xfeA"[..],
        b"\xfe\xff\x00",
        b"clusters: [\xc3(",
        b"clusters: 7",
    ] {
        std::fs::write(&kubeconfig, bytes).unwrap();
        for command in ["check", "run"] {
            let out = kube_docrun(dir.path(), &kubeconfig, &[command])
                .output()
                .unwrap();
            let stderr = text(&out.stderr);
            assert_eq!(out.status.code(), Some(2), "{command} {bytes:?}: {stderr}");
            assert!(!stderr.contains("panicked"), "{stderr}");
            assert!(
                stderr.contains(&format!("{}:", kubeconfig.display())),
                "the message names the file: {stderr}"
            );
        }
    }
}

/// A guide whose one step leaves a file behind, so a test can tell whether anything ran.
fn touch_guide(dir: &Path) -> PathBuf {
    let guide = dir.join("touch.md");
    std::fs::write(
        &guide,
        "---\ntitle: Touch\ntest: yes\n---\n## Touch {#touch}\n\n{{< text bash >}}\n$ touch ran.txt; echo done\ndone\n{{< /text >}}\n",
    )
    .unwrap();
    guide
}

#[test]
fn a_junit_report_that_cannot_be_written_fails_before_anything_runs() {
    let dir = tempfile::tempdir().unwrap();
    let guide = touch_guide(dir.path());
    let out = docrun(dir.path())
        .args(["run", guide.to_str().unwrap(), "--junit", "/proc/nope.xml"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("--junit /proc/nope.xml"));
    assert!(!dir.path().join("ran.txt").exists());
    let out = docrun(dir.path())
        .args(["test", guide.to_str().unwrap(), "--junit", "/proc/nope.xml"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
}

#[test]
fn json_events_that_cannot_be_written_fail_the_run() {
    let dir = tempfile::tempdir().unwrap();
    let guide = touch_guide(dir.path());
    let full = std::fs::OpenOptions::new()
        .write(true)
        .open("/dev/full")
        .unwrap();
    let out = docrun(dir.path())
        .args(["run", guide.to_str().unwrap(), "--json"])
        .stdout(full)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("cannot write the JSON Lines events"));
}

#[test]
fn a_value_with_a_line_break_in_a_heredoc_is_refused_by_run_as_by_plan() {
    let dir = tempfile::tempdir().unwrap();
    let guide = dir.path().join("heredoc.md");
    std::fs::write(
        &guide,
        "---\ntitle: Heredoc\ntest: yes\n---\n## Write {#write}\n\n{{< text bash >}}\n$ touch ran.txt; cat <<EOF > out.txt\nvalue: <your value>\nEOF\n{{< /text >}}\n",
    )
    .unwrap();
    for command in ["plan", "run"] {
        let out = docrun(dir.path())
            .args([command, guide.to_str().unwrap(), "--set", "YOUR_VALUE=a\nb"])
            .output()
            .unwrap();
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{command}: {stderr}");
        assert!(
            stderr.contains("heredoc.md:8: step write_1: the value of YOUR_VALUE has a line break"),
            "{stderr}"
        );
    }
    assert!(!dir.path().join("ran.txt").exists());
    let out = docrun(dir.path())
        .args(["test", guide.to_str().unwrap(), "--set", "YOUR_VALUE=a\nb"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    assert!(!dir.path().join("ran.txt").exists());
}

/// A guide that echoes `$MY_VALUE` and leaves a file behind.
fn value_guide(dir: &Path) -> PathBuf {
    let guide = dir.join("value.md");
    std::fs::write(
        &guide,
        "---\ntitle: Value\ntest: yes\n---\n## Go {#go}\n\n{{< text bash >}}\n$ touch ran.txt; echo \"$MY_VALUE\" | wc -c\n{{< /text >}}\n",
    )
    .unwrap();
    guide
}

/// Runs docrun with `args` (`GUIDE` stands for the value guide) and `env`; returns its stderr
/// after checking it exited 2, ran nothing, and said `expected`.
/// Runs docrun, which must refuse with exit 2, say each of `expected` and run nothing; its
/// standard error.
fn refused(args: &[&str], env: &[(&str, &str)], expected: &[&str]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let guide = value_guide(dir.path());
    let args: Vec<&str> = args
        .iter()
        .map(|a| {
            if *a == "GUIDE" {
                guide.to_str().unwrap()
            } else {
                a
            }
        })
        .collect();
    let mut cmd = docrun(dir.path());
    cmd.args(&args);
    for (k, v) in env {
        cmd.env(k, v);
    }
    std::fs::write(dir.path().join("nul.yaml"), "MY_VALUE: \"a\\0b\"\n").unwrap();
    std::fs::write(
        dir.path().join("big.yaml"),
        format!("MY_VALUE: {}\n", "x".repeat(140_000)),
    )
    .unwrap();
    let out = cmd.output().unwrap();
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
    for e in expected {
        assert!(stderr.contains(e), "{args:?}: expected {e:?} in {stderr}");
    }
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(!dir.path().join("ran.txt").exists(), "{args:?} ran a step");
    stderr
}

#[test]
fn a_nul_byte_in_a_values_file_is_named_with_its_file_and_variable() {
    refused(
        &["run", "GUIDE", "--values", "nul.yaml"],
        &[],
        &["nul.yaml:1:11: MY_VALUE: the value has a NUL byte"],
    );
}

#[test]
fn a_value_too_large_for_the_environment_is_named() {
    refused(
        &["run", "GUIDE", "--values", "big.yaml"],
        &[],
        &["big.yaml:1:11: MY_VALUE: the value is 140000 bytes"],
    );
    let stderr = refused(
        &["test", "GUIDE", "--values", "big.yaml"],
        &[],
        &["big.yaml:1:11: MY_VALUE: the value is 140000 bytes"],
    );
    // A line that long is not shown whole: the error stays a few lines.
    assert!(stderr.len() < 2_000, "{} bytes of error", stderr.len());
}

#[test]
fn a_path_without_bash_is_named() {
    refused(
        &["run", "GUIDE", "--set", "MY_VALUE=1"],
        &[("PATH", "/nonexistent-bin")],
        &["PATH=/nonexistent-bin: no executable `bash`"],
    );
}

#[test]
fn a_missing_tmpdir_is_named() {
    for command in ["run", "test"] {
        refused(
            &[command, "GUIDE", "--set", "MY_VALUE=1"],
            &[("TMPDIR", "/nonexistent-tmp")],
            &["TMPDIR=/nonexistent-tmp: no such directory"],
        );
    }
}

#[test]
fn zero_timeouts_and_zero_jobs_are_named() {
    refused(
        &["run", "GUIDE", "--set", "MY_VALUE=1", "--timeout", "0s"],
        &[],
        &["'0s' for '--timeout <DUR>'", "must be more than zero"],
    );
    refused(
        &["test", "GUIDE", "--set", "MY_VALUE=1", "--timeout", "0"],
        &[],
        &["'0' for '--timeout <DUR>'", "must be more than zero"],
    );
    refused(
        &["check", "GUIDE", "--set", "MY_VALUE=1", "--timeout", "0s"],
        &[],
        &["--timeout", "must be more than zero"],
    );
    refused(
        &["test", "GUIDE", "--set", "MY_VALUE=1", "-j", "0"],
        &[],
        &["-j 0: at least one guide"],
    );
}

#[test]
fn resume_refuses_when_steps_before_the_checkpoint_changed_and_says_which() {
    let dir = tempfile::tempdir().unwrap();
    let guide = dir.path().join("resume.md");
    let original = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/run/resume.md"),
    )
    .unwrap();
    std::fs::write(&guide, &original).unwrap();
    let run = |args: &[&str]| {
        docrun(dir.path())
            .arg("run")
            .arg(&guide)
            .args(args)
            .output()
            .unwrap()
    };
    assert_eq!(run(&[]).status.code(), Some(1), "the gate is closed");
    // A step inserted before the checkpoint (after prepare_1).
    let inserted = original.replacen(
        "## Gate {#gate}",
        "## Extra {#extra}\n\n{{< text bash >}}\n$ touch extra-ran\n{{< /text >}}\n\n## Gate {#gate}",
        1,
    );
    let changed = original.replace("mkdir -p place", "mkdir -p elsewhere");
    std::fs::write(dir.path().join("open"), "").unwrap();
    for (text_now, says) in [
        (&changed, "step prepare_1 changed"),
        (&original.replacen("## Prepare {#prepare}", "## Setup {#setup}\n\n{{< text bash >}}\n$ touch extra-ran\n{{< /text >}}\n\n## Prepare {#prepare}", 1), "step setup_1 is new"),
    ] {
        std::fs::write(&guide, text_now).unwrap();
        let out = run(&["--resume"]);
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{stderr}");
        assert!(stderr.contains("the guide changed since the run that left the checkpoint"), "{stderr}");
        assert!(stderr.contains(says), "{stderr}");
        assert!(!dir.path().join("extra-ran").exists());
    }
    // A step inserted after the checkpoint is no reason to refuse: it runs (in the directory
    // the checkpoint restored).
    std::fs::write(&guide, &inserted).unwrap();
    let out = run(&["--resume"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(dir.path().join("place/extra-ran").exists());
}

fn secret_guide() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/run/secret.md")
}

#[test]
fn a_secret_too_short_to_mask_is_refused_before_anything_runs() {
    let dir = tempfile::tempdir().unwrap();
    for command in ["run", "test", "plan"] {
        let out = docrun(dir.path())
            .arg(command)
            .arg(secret_guide())
            .args(["--set", "DB_PASSWORD=a"])
            .output()
            .unwrap();
        let stderr = both(&out);
        assert_ne!(out.status.code(), Some(0), "{command}: {stderr}");
        assert!(
            stderr
                .contains("DB_PASSWORD: a secret of 1 character cannot be kept out of the output"),
            "{command}: {stderr}"
        );
        assert!(
            !stderr.contains("***"),
            "{command}: nothing is wrecked: {stderr}"
        );
    }
}

#[test]
fn secrets_are_masked_in_output_and_values_never_in_docruns_own_words() {
    let dir = tempfile::tempdir().unwrap();
    // A secret that is also part of docrun's words ("expected") and of the guide's output.
    let out = docrun(dir.path())
        .arg("run")
        .arg(secret_guide())
        .args(["--set", "DB_PASSWORD=pected", "--json", "--retry", "0"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    let finished: serde_json::Value = stdout
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .find(|e| e["type"] == "step_finished")
        .unwrap();
    let diff = finished["diff"].as_str().unwrap();
    assert!(
        diff.starts_with("expected line 1 `connecting with something else`"),
        "{diff}"
    );
    assert!(diff.contains("\n--- expected\n+++ actual\n"), "{diff}");
    assert!(diff.contains("+connecting with ***"), "{diff}");
    assert_eq!(finished["output"], "connecting with ***\n");
    assert!(!text(&out.stderr).contains("connecting with pected"));
}

#[test]
fn a_huge_step_output_is_capped_in_the_reports_and_kept_whole_on_request() {
    let dir = tempfile::tempdir().unwrap();
    let guide = dir.path().join("big.md");
    // 3 MiB without a line break, then 3 MiB in lines.
    std::fs::write(
        &guide,
        "---\ntitle: Big\ntest: yes\n---\n## Big {#big}\n\n{{< text bash >}}\n$ head -c 3145728 /dev/zero | tr '\\0' x; yes 'a line of output' | head -c 3145728\n{{< /text >}}\n",
    )
    .unwrap();
    let junit = dir.path().join("report.xml");
    let full = dir.path().join("full");
    let out = docrun(dir.path())
        .args(["run", guide.to_str().unwrap(), "--json", "--junit"])
        .arg(&junit)
        .arg("--full-output")
        .arg(&full)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(
        stdout.len() < 2 << 20,
        "JSON Lines of {} bytes",
        stdout.len()
    );
    let finished: serde_json::Value = stdout
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .find(|e| e["type"] == "step_finished")
        .unwrap();
    let kept = finished["output"].as_str().unwrap();
    assert!(kept.len() < 100 << 10, "{} bytes kept", kept.len());
    assert!(kept.starts_with("xxxx"));
    assert!(
        kept.ends_with("a line of output\na line of outp"),
        "{}",
        &kept[kept.len() - 40..]
    );
    assert!(
        kept.contains(" bytes left out (the full output is in "),
        "{kept:.200}"
    );
    let log = std::fs::read(full.join("big_1.log")).unwrap();
    assert_eq!(log.len(), 6 << 20);
    let xml = std::fs::read_to_string(&junit).unwrap();
    assert!(xml.len() < 200 << 10);
    let check = Command::new("xmllint")
        .arg("--noout")
        .arg("--schema")
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/schemas/junit-10.xsd"))
        .arg(&junit)
        .output()
        .unwrap();
    assert!(check.status.success(), "{}", text(&check.stderr));
}

#[test]
fn output_without_a_line_break_shows_while_the_step_runs() {
    let dir = tempfile::tempdir().unwrap();
    let guide = dir.path().join("wait.md");
    std::fs::write(
        &guide,
        "---\ntitle: Wait\ntest: yes\n---\n## Wait {#wait}\n\n{{< text bash >}}\n$ printf 'waiting for the gate...'; head -c 20000 /dev/zero | tr '\\0' .; while [ ! -e gate ]; do sleep 0.05; done; echo open\n{{< /text >}}\n",
    )
    .unwrap();
    let mut child = docrun(dir.path())
        .args(["run", guide.to_str().unwrap(), "--json", "--timeout", "60s"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut lines = std::io::BufRead::lines(std::io::BufReader::new(stdout));
    // The gate opens only once the partial line has been reported.
    let seen = lines
        .by_ref()
        .map(|l| l.unwrap())
        .find(|l| l.contains("\"type\":\"output\"") && l.contains("waiting for the gate"));
    std::fs::write(dir.path().join("gate"), "").unwrap();
    assert!(seen.is_some(), "no output event before the line ended");
    for _ in lines {}
    assert_eq!(child.wait().unwrap().code(), Some(0));
}

#[test]
fn a_credential_plugin_that_answers_gives_the_client_its_token() {
    let kube = support::fakekube::FakeKube::start();
    let dir = tempfile::tempdir().unwrap();
    let credential = format!(
        r#"{{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{{"token":"{}"}}}}"#,
        support::fakekube::C2_TOKEN
    );
    let plugin = dir.path().join("plugin.sh");
    std::fs::write(&plugin, format!("#!/bin/sh\necho '{credential}'\n")).unwrap();
    std::fs::set_permissions(&plugin, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let original = std::fs::read_to_string(&kube.kubeconfig_path).unwrap();
    let token_line = format!("    token: \"{}\"\n", support::fakekube::C2_TOKEN);
    assert!(original.contains(&token_line), "{original}");
    let with_plugin = original.replace(
        &token_line,
        &format!(
            "    exec:\n      apiVersion: client.authentication.k8s.io/v1\n      command: {}\n",
            plugin.display()
        ),
    );
    let kubeconfig = dir.path().join("kubeconfig");
    std::fs::write(&kubeconfig, with_plugin).unwrap();
    let out = output_within(
        kube_docrun(dir.path(), &kubeconfig, &["check", "--timeout", "10s"]),
        Duration::from_secs(60),
    );
    let stdout = text(&out.stdout);
    let reachable: Vec<&str> = stdout
        .lines()
        .filter(|l| l.contains("kube.reachable") && l.contains(" c2 "))
        .collect();
    assert_eq!(reachable.len(), 1, "{stdout}");
    assert!(
        reachable[0].contains("answered /version"),
        "the plugin's token was used: {stdout}\n{}",
        text(&out.stderr)
    );
}

/// Writes `markdown` as `dir/name`, a guide of the test's own.
fn write_guide(dir: &Path, name: &str, markdown: &str) -> PathBuf {
    let guide = dir.join(name);
    std::fs::write(&guide, markdown).unwrap();
    guide
}

/// Starts `docrun run GUIDE ARGS` in `dir` without waiting for it; its stdout and stderr go
/// where the test says.
fn spawn_run(dir: &Path, guide: &Path, args: &[&str], stdout: Stdio, stderr: Stdio) -> Child {
    docrun(dir)
        .current_dir(dir)
        .arg("run")
        .arg(guide)
        .args(args)
        .stdout(stdout)
        .stderr(stderr)
        .spawn()
        .unwrap()
}

/// The `step_finished` events of a run's JSON Lines.
fn finished_steps(out: &Output) -> Vec<serde_json::Value> {
    text(&out.stdout)
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|e| e["type"] == "step_finished")
        .collect()
}

/// A step that times out loses every process it started, however it detached: a double fork
/// into a new session (re-parented away from the shell) is gone before the next step runs.
#[test]
fn a_timed_out_step_loses_its_double_forked_daemons_before_the_next_step() {
    let dir = tempfile::tempdir().unwrap();
    let guide = write_guide(
        dir.path(),
        "daemons.md",
        "# Daemons\n\n## Hangs\n\n```bash\n(setsid sh -c 'sleep 1008 & echo $! > daemon.pid' &); (nohup setsid sleep 1009 >/dev/null 2>&1 &); sleep 60\n```\n\n## Next\n\n```bash\nfor n in 1008 1009; do pgrep -f \"^sleep $n\\$\" >/dev/null && echo \"$n alive\" || echo \"$n gone\"; done\n```\n",
    );
    let out = docrun(dir.path())
        .current_dir(dir.path())
        .args(["run", "--keep-going", "--timeout", "2s", "--json"])
        .arg(&guide)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let next = finished_steps(&out)
        .into_iter()
        .find(|e| e["id"] == "next_1")
        .expect("the next step ran");
    let output = next["output"].as_str().unwrap_or_default();
    assert!(output.contains("1008 gone"), "{output}");
    assert!(output.contains("1009 gone"), "{output}");
}

/// A guide whose first step is not idempotent and whose second waits for `release` to exist.
fn death_guide(dir: &Path) -> PathBuf {
    write_guide(
        dir,
        "death.md",
        "# Death\n\n## Make\n\n```bash\nmkdir made\nexport MADE_AT=$PWD/made\n```\n\n## Wait\n\n```bash\ntouch waiting\nwhile [ ! -e release ]; do sleep 0.05; done\necho \"made at $MADE_AT\"\n```\n",
    )
}

/// docrun killed with SIGKILL in the middle of a step: `--resume` starts at that step (not at
/// the first, whose `mkdir` would fail), with the state of the steps before it, and says the
/// step may have half-run.
#[test]
fn after_sigkill_resume_starts_at_the_step_that_was_running() {
    let dir = tempfile::tempdir().unwrap();
    let guide = death_guide(dir.path());
    let mut first = spawn_run(dir.path(), &guide, &[], Stdio::null(), Stdio::null());
    assert!(eventually(|| dir.path().join("waiting").exists()));
    kill(Pid::from_raw(first.id() as i32), Signal::SIGKILL).unwrap();
    first.wait().unwrap();
    std::fs::write(dir.path().join("release"), "").unwrap();
    let out = docrun(dir.path())
        .current_dir(dir.path())
        .args(["run", "--resume"])
        .arg(&guide)
        .output()
        .unwrap();
    let stderr = both(&out);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("step wait_1 was running"), "{stderr}");
    assert!(stderr.contains("may have half-run"), "{stderr}");
    assert!(
        stderr.contains(&format!(
            "made at {}",
            dir.path().join("made").canonicalize().unwrap().display()
        )),
        "{stderr}"
    );
}

/// Two runs of one guide with the same values at once: the second is refused before it runs
/// anything, so they never write one checkpoint.
#[test]
fn a_second_run_of_the_same_guide_is_refused_while_the_first_runs() {
    let dir = tempfile::tempdir().unwrap();
    let guide = death_guide(dir.path());
    let mut first = spawn_run(dir.path(), &guide, &[], Stdio::null(), Stdio::null());
    assert!(eventually(|| dir.path().join("waiting").exists()));
    std::fs::remove_dir(dir.path().join("made")).unwrap();
    let second = docrun(dir.path())
        .current_dir(dir.path())
        .arg("run")
        .arg(&guide)
        .output()
        .unwrap();
    std::fs::write(dir.path().join("release"), "").unwrap();
    assert!(first.wait().unwrap().success());
    assert_eq!(second.status.code(), Some(2), "{}", text(&second.stderr));
    assert!(text(&second.stderr).contains("another docrun is running this guide"));
    assert!(
        !dir.path().join("made").exists(),
        "the second run ran a step"
    );
}

/// A small file system of its own (tmpfs, needs root), unmounted when dropped.
struct SmallDisk(PathBuf);

impl SmallDisk {
    fn mount(at: &Path, size: &str) -> Option<SmallDisk> {
        std::fs::create_dir_all(at).ok()?;
        let ok = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(at)
            .stderr(Stdio::null())
            .status()
            .ok()?
            .success();
        ok.then(|| SmallDisk(at.to_path_buf()))
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.0).status();
    }
}

/// `--full-output` on a disk that fills up: the step whose log misses output fails and says
/// why, instead of the run passing with a cut log.
#[test]
fn full_output_on_a_full_disk_fails_the_step_and_says_why() {
    let dir = tempfile::tempdir().unwrap();
    let Some(disk) = SmallDisk::mount(&dir.path().join("disk"), "64k") else {
        eprintln!("skipped: mounting a small tmpfs needs root");
        return;
    };
    let guide = write_guide(
        dir.path(),
        "noisy.md",
        "# Noisy\n\n```bash\nhead -c 300000 /dev/zero | tr '\\0' x\n```\n",
    );
    let out = docrun(dir.path())
        .arg("run")
        .arg(&guide)
        .arg("--full-output")
        .arg(disk.0.join("logs"))
        .output()
        .unwrap();
    let stderr = both(&out);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("cannot write the full output"), "{stderr}");
    assert!(stderr.contains("No space left on device"), "{stderr}");
}

/// `docrun run --json | head -1`: once nobody reads stdout, the run stops as Ctrl-C would:
/// the steps after do not run, and docrun exits as a pipeline's writer does (141).
///
/// Step one prints again half a second after its first line: a write lands in the pipe without
/// error while any process still holds its reading end, and a thread of this test binary that
/// is starting another test's process holds every open descriptor until it runs the program.
#[test]
fn a_closed_stdout_stops_the_run() {
    use std::io::BufRead;
    let dir = tempfile::tempdir().unwrap();
    let guide = write_guide(
        dir.path(),
        "steps.md",
        "# Steps\n\n## One\n\n```bash\nwhile [ ! -e go ]; do sleep 0.05; done\necho one\nsleep 0.5\necho one again\n```\n\n## Two\n\n```bash\ntouch two\n```\n\n## Three\n\n```bash\ntouch three\n```\n",
    );
    let mut child = spawn_run(
        dir.path(),
        &guide,
        &["--json"],
        Stdio::piped(),
        Stdio::null(),
    );
    let mut stdout = std::io::BufReader::new(child.stdout.take().unwrap());
    let mut first = String::new();
    stdout.read_line(&mut first).unwrap();
    assert!(first.contains("run_started"), "{first}");
    drop(stdout);
    std::fs::write(dir.path().join("go"), "").unwrap();
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(141));
    assert!(!dir.path().join("two").exists() && !dir.path().join("three").exists());
}

/// A guide whose step fails and whose cleanup waits for `go` before it says it cleaned.
fn cleanup_guide(dir: &Path) -> PathBuf {
    write_guide(
        dir,
        "cleanup.md",
        "---\nrunbook:\n  cleanup: [cleanup]\n---\n# Cleanup\n\n## Fails\n\n```bash\nfalse\n```\n\n## Cleanup\n\n```bash\ntouch cleaning\nwhile [ ! -e go ]; do sleep 0.05; done\ntouch cleaned\n```\n",
    )
}

fn start_cleanup(dir: &Path) -> Child {
    let child = spawn_run(dir, &cleanup_guide(dir), &[], Stdio::null(), Stdio::piped());
    assert!(
        eventually(|| dir.join("cleaning").exists()),
        "cleanup never started"
    );
    child
}

/// The first Ctrl-C during a cleanup step lets it finish, and says so.
#[test]
fn one_ctrl_c_during_cleanup_lets_it_finish() {
    let dir = tempfile::tempdir().unwrap();
    let child = start_cleanup(dir.path());
    kill(Pid::from_raw(child.id() as i32), Signal::SIGINT).unwrap();
    std::thread::sleep(Duration::from_millis(300));
    std::fs::write(dir.path().join("go"), "").unwrap();
    let out = child.wait_with_output().unwrap();
    let stderr = text(&out.stderr);
    assert!(dir.path().join("cleaned").exists(), "{stderr}");
    assert!(stderr.contains("runs to its end"), "{stderr}");
    assert_eq!(out.status.code(), Some(130), "{stderr}");
}

/// A second Ctrl-C aborts the cleanup step.
#[test]
fn a_second_ctrl_c_aborts_cleanup() {
    let dir = tempfile::tempdir().unwrap();
    let child = start_cleanup(dir.path());
    let pid = Pid::from_raw(child.id() as i32);
    kill(pid, Signal::SIGINT).unwrap();
    std::thread::sleep(Duration::from_millis(300));
    kill(pid, Signal::SIGINT).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(!dir.path().join("cleaned").exists());
    assert_eq!(out.status.code(), Some(130), "{}", text(&out.stderr));
}

/// A step that closes the descriptors docrun talks to its shell through, or lowers the limit
/// on them, fails itself; the next step runs in a new session and passes.
#[test]
fn a_step_that_breaks_the_sessions_descriptors_is_blamed_and_the_next_runs() {
    let dir = tempfile::tempdir().unwrap();
    let mut markdown = String::from("# Descriptors\n\n");
    for (name, command) in [
        (
            "close",
            "exec 3>&- 4>&- 5>&- 10>&- 11>&- 12>&- 13>&- 61>&- 62>&- 255>&-",
        ),
        ("limit", "ulimit -n 12"),
    ] {
        markdown.push_str(&format!(
            "## {name}\n\n```bash\n{command}\n```\n\n## after {name}\n\n```bash\necho fine\n```\n\n"
        ));
    }
    let guide = write_guide(dir.path(), "fds.md", &markdown);
    let out = docrun(dir.path())
        .args(["run", "--keep-going", "--json"])
        .arg(&guide)
        .output()
        .unwrap();
    let events = finished_steps(&out);
    let status = |id: &str| {
        events
            .iter()
            .find(|e| e["id"] == id)
            .map(|e| e["status"].as_str().unwrap_or("").to_owned())
            .unwrap_or_default()
    };
    assert_eq!(status("after_close_1"), "passed", "{events:?}");
    assert_eq!(status("after_limit_1"), "passed", "{events:?}");
    assert_eq!(status("limit_1"), "failed", "{events:?}");
}
