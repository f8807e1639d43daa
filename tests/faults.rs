//! docrun under faults and hostile input: stop signals from CI (`SIGTERM`, `SIGHUP`) and
//! `SIGKILL`, processes a step detaches, reports that cannot be written, values a run must
//! refuse, unclear flags and environment. Each test checks what a user would notice: the exit
//! code, the cleanup, the reports, and by pid that no process is left behind.

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
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_docrun"));
    cmd.current_dir(dir)
        .env("NO_COLOR", "1")
        .env("TMPDIR", &tmp)
        .env("DOCRUN_STATE_DIR", dir.join(".state"))
        .env_remove("KUBECONFIG")
        .env_remove("GITHUB_ACTIONS");
    cmd
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn alive(pid: i32) -> bool {
    // A zombie has exited; only a process still running counts.
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(stat) => !stat
            .rsplit(')')
            .next()
            .unwrap_or("")
            .trim_start()
            .starts_with('Z'),
        Err(_) => false,
    }
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
