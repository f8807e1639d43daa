//! `docrun run` end to end on fixture guides: state between steps, output modes, retries,
//! timeouts that leave no process behind, safe values, masked secrets, selection, resume, and
//! exit codes 0, 1, 2 and 130.

mod support;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use serde_json::Value;
use support::process::alive;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/run")
        .join(name)
}

use support::docrun::docrun;

fn run(dir: &Path, guide: &str, args: &[&str]) -> Output {
    docrun(dir)
        .arg("run")
        .arg(fixture(guide))
        .args(args)
        .output()
        .unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// The JSON Lines events of a run.
fn events(out: &Output) -> Vec<Value> {
    text(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect()
}

fn finished(events: &[Value]) -> Vec<(String, String)> {
    events
        .iter()
        .filter(|e| e["type"] == "step_finished")
        .map(|e| {
            (
                e["id"].as_str().unwrap().to_owned(),
                e["status"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

fn pairs(items: &[(&str, &str)]) -> Vec<(String, String)> {
    items
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect()
}

#[test]
fn state_carries_from_step_to_step() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(dir.path(), "state.md", &["--json"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(
        finished(&events(&out)),
        pairs(&[("set_1", "passed"), ("use_1", "passed")])
    );
}

#[test]
fn every_mode_passes_on_matching_output() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(dir.path(), "modes.md", &["--json", "--retry", "0"]);
    let got = finished(&events(&out));
    assert_eq!(got.len(), 10, "{}", text(&out.stderr));
    assert!(
        got.iter().all(|(_, s)| s == "passed"),
        "{got:?}\n{}",
        text(&out.stderr)
    );
    assert_eq!(out.status.code(), Some(0));
}

#[test]
fn every_mode_fails_on_output_that_does_not_match() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(
        dir.path(),
        "modes-fail.md",
        &["--json", "--retry", "0", "--keep-going"],
    );
    assert_eq!(out.status.code(), Some(1));
    let events = events(&out);
    let got = finished(&events);
    assert_eq!(got.len(), 9);
    for (id, status) in &got {
        assert_eq!(status, "failed", "{id} should fail");
    }
    let like = events
        .iter()
        .find(|e| e["id"] == "modes_5" && e["type"] == "step_finished")
        .unwrap();
    assert_eq!(like["mode"], "like");
    assert!(like["diff"].as_str().unwrap().contains("Pending"), "{like}");
    let stderr = text(&out.stderr);
    assert!(stderr.contains("modes-fail.md:"), "{stderr}");
    assert!(stderr.contains("output differs from the guide"), "{stderr}");
}

#[test]
fn verification_steps_are_retried_and_mutating_ones_are_not() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(
        dir.path(),
        "retry.md",
        &["--json", "--keep-going", "--retry", "10s"],
    );
    let events = events(&out);
    let attempts = |id: &str| {
        let e = events
            .iter()
            .find(|e| e["type"] == "step_finished" && e["id"] == id)
            .unwrap();
        (
            e["status"].as_str().unwrap().to_owned(),
            e["attempts"].as_u64().unwrap(),
        )
    };
    assert_eq!(attempts("counter_1"), ("passed".to_owned(), 3));
    let (status, tries) = attempts("background_2");
    assert_eq!(status, "passed");
    assert!(tries >= 2, "{tries}");
    assert_eq!(attempts("mutating_1"), ("failed".to_owned(), 1));
    assert_eq!(
        std::fs::read_to_string(dir.path().join("log.txt")).unwrap(),
        "x\n"
    );
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn a_timeout_kills_the_step_and_its_children_and_cleanup_still_runs() {
    let dir = tempfile::tempdir().unwrap();
    let junit = dir.path().join("report.xml");
    let out = run(
        dir.path(),
        "timeout.md",
        &["--json", "--junit", junit.to_str().unwrap()],
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    assert_eq!(
        finished(&events(&out)),
        pairs(&[
            ("slow_1", "timed_out"),
            ("after_1", "skipped"),
            ("cleanup_1", "passed")
        ])
    );
    let pids: Vec<i32> = std::fs::read_to_string(dir.path().join("pids"))
        .unwrap()
        .lines()
        .map(|l| l.trim().parse().unwrap())
        .collect();
    assert_eq!(pids.len(), 3);
    for pid in pids {
        assert!(!alive(pid), "process {pid} of the timed-out step survived");
    }
    assert!(!dir.path().join("after.txt").exists());
    assert_eq!(
        std::fs::read_to_string(dir.path().join("cleanup.txt")).unwrap(),
        "cleaned\n"
    );
    assert!(std::fs::read_to_string(&junit)
        .unwrap()
        .contains("timed out after"));
}

#[test]
fn an_injection_attempt_through_a_variable_stays_one_value() {
    let dir = tempfile::tempdir().unwrap();
    let pwned = dir.path().join("PWNED");
    let value = format!("x\"; touch {}; echo \"", pwned.display());
    // The placeholder `<your target>` stands for TARGET, the variable its `export` line names.
    let out = run(
        dir.path(),
        "inject.md",
        &["--set", &format!("TARGET={value}"), "--json"],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let printed: String = events(&out)
        .iter()
        .filter(|e| e["type"] == "output")
        .map(|e| e["text"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(printed, format!("[{value}]\n[{value}]\n"));
    assert!(!pwned.exists());
}

#[test]
fn a_secret_never_reaches_the_terminal_json_or_junit() {
    let dir = tempfile::tempdir().unwrap();
    let junit = dir.path().join("report.xml");
    let secret = "hunter2-s3cr3t";
    let out = run(
        dir.path(),
        "secret.md",
        &[
            "--set",
            &format!("DB_PASSWORD={secret}"),
            "--json",
            "--junit",
            junit.to_str().unwrap(),
            "--retry",
            "0",
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    let xml = std::fs::read_to_string(&junit).unwrap();
    for (what, output) in [
        ("stdout", text(&out.stdout)),
        ("stderr", text(&out.stderr)),
        ("junit", xml.clone()),
    ] {
        assert!(
            !output.contains(secret),
            "the secret is in {what}:\n{output}"
        );
        assert!(output.contains("***"), "no mask in {what}:\n{output}");
    }
    let plan = docrun(dir.path())
        .args(["plan", "--format", "json"])
        .arg(fixture("secret.md"))
        .args(["--set", &format!("DB_PASSWORD={secret}")])
        .output()
        .unwrap();
    assert!(!text(&plan.stdout).contains(secret));
    // Nor a plan, text or JSON, where the secret is a field of a declared check.
    for format in ["text", "json"] {
        let plan = docrun(dir.path())
            .args(["plan", "--format", format])
            .arg(fixture("secret-check.md"))
            .args(["--set", "API_TOKEN=tok-s3cret"])
            .output()
            .unwrap();
        assert_eq!(plan.status.code(), Some(0), "{}", text(&plan.stderr));
        let shown = text(&plan.stdout);
        assert!(shown.contains("kube.secret"), "{shown}");
        assert!(!shown.contains("tok-s3cret"), "{format}: {shown}");
    }
}

#[test]
fn from_only_skip_and_keep_going_choose_the_steps() {
    let cases: &[(&[&str], &str, i32)] = &[
        (&[], "one\ntwo\n", 1),
        (&["--keep-going"], "one\ntwo\nthree\nfour\n", 1),
        (&["--from", "three_1"], "three\nfour\n", 0),
        (&["--only", "four_1", "--only", "one_1"], "one\nfour\n", 0),
        (&["--skip", "two_1"], "one\nthree\nfour\n", 0),
        // A --cleanup step still runs after the failure of two_1.
        (&["--cleanup", "four_1"], "one\ntwo\nfour\n", 1),
    ];
    for (args, log, code) in cases {
        let dir = tempfile::tempdir().unwrap();
        let out = run(
            dir.path(),
            "steps.md",
            &[&["--set", "LOG=log.txt"], *args].concat(),
        );
        assert_eq!(
            out.status.code(),
            Some(*code),
            "{args:?}: {}",
            text(&out.stderr)
        );
        assert_eq!(
            std::fs::read_to_string(dir.path().join("log.txt")).unwrap(),
            *log,
            "{args:?}"
        );
    }
    let dir = tempfile::tempdir().unwrap();
    let out = run(
        dir.path(),
        "steps.md",
        &["--set", "LOG=x", "--from", "thre_1"],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("did you mean `three_1`"));
    let out = run(
        dir.path(),
        "steps.md",
        &["--set", "LOG=x", "--cleanup", "fuor_1"],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("did you mean `four_1`"));
}

#[test]
fn resume_goes_on_after_the_last_step_that_passed_with_its_state() {
    let dir = tempfile::tempdir().unwrap();
    let first = run(dir.path(), "resume.md", &["--json"]);
    assert_eq!(first.status.code(), Some(1));
    assert_eq!(
        finished(&events(&first)),
        pairs(&[
            ("prepare_1", "passed"),
            ("gate_1", "failed"),
            ("use_1", "skipped")
        ])
    );
    // The failed run says where its checkpoint is and how to go on from it.
    let said = text(&first.stderr);
    assert!(
        said.contains("note: checkpoint saved in")
            && said.contains("--resume` (with the same values) goes on after step prepare_1"),
        "{said}"
    );
    std::fs::write(dir.path().join("open"), "").unwrap();
    let second = run(dir.path(), "resume.md", &["--json", "--resume"]);
    assert_eq!(second.status.code(), Some(0), "{}", text(&second.stderr));
    let events = events(&second);
    assert_eq!(
        finished(&events),
        pairs(&[
            ("prepare_1", "skipped"),
            ("gate_1", "passed"),
            ("use_1", "passed")
        ])
    );
    assert_eq!(events[0]["resumed_after"], "prepare_1");
    // A run that passed leaves no checkpoint: the next --resume starts over.
    let third = run(dir.path(), "resume.md", &["--json", "--resume"]);
    assert_eq!(
        finished(&self::events(&third))[0],
        ("prepare_1".to_owned(), "passed".to_owned())
    );
}

#[test]
fn missing_variables_exit_2_before_anything_runs() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(dir.path(), "steps.md", &["--no-prompt"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("LOG"));
    assert!(
        std::fs::read_dir(dir.path()).unwrap().next().is_none(),
        "something ran"
    );
}

#[test]
fn dry_run_executes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(
        dir.path(),
        "steps.md",
        &["--set", "LOG=log.txt", "--dry-run"],
    );
    assert_eq!(out.status.code(), Some(0));
    assert!(text(&out.stdout).contains("Dry run: nothing is executed."));
    assert!(!dir.path().join("log.txt").exists());
}

#[test]
fn ctrl_c_kills_the_step_runs_cleanup_writes_the_report_and_exits_130() {
    let dir = tempfile::tempdir().unwrap();
    let junit = dir.path().join("report.xml");
    let mut child = docrun(dir.path())
        .arg("run")
        .arg(fixture("slow.md"))
        .args(["--junit", junit.to_str().unwrap()])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // Wait until the step has printed (its output is on stdout, with the report), then
    // interrupt.
    let mut stdout = child.stdout.take().unwrap();
    let mut seen = String::new();
    let deadline = Instant::now() + Duration::from_secs(20);
    while !seen.contains("started") && Instant::now() < deadline {
        let mut buf = [0u8; 256];
        let n = std::io::Read::read(&mut stdout, &mut buf).unwrap();
        if n == 0 {
            break;
        }
        seen.push_str(&String::from_utf8_lossy(&buf[..n]));
    }
    assert!(seen.contains("started"), "{seen}");
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(child.id() as i32),
        nix::sys::signal::Signal::SIGINT,
    )
    .unwrap();
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(130));
    assert_eq!(
        std::fs::read_to_string(dir.path().join("cleanup.txt")).unwrap(),
        "cleaned\n"
    );
    let xml = std::fs::read_to_string(&junit).unwrap();
    assert!(xml.contains("interrupted"), "{xml}");
}

#[test]
fn the_junit_report_is_valid_against_the_schema() {
    let dir = tempfile::tempdir().unwrap();
    let junit = dir.path().join("report.xml");
    let out = run(
        dir.path(),
        "modes-fail.md",
        &[
            "--junit",
            junit.to_str().unwrap(),
            "--keep-going",
            "--retry",
            "0",
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    let schema = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/schemas/junit-10.xsd");
    let check = Command::new("xmllint")
        .arg("--noout")
        .arg("--schema")
        .arg(&schema)
        .arg(&junit)
        .output()
        .unwrap();
    assert!(
        check.status.success(),
        "{}\n{}",
        text(&check.stderr),
        std::fs::read_to_string(&junit).unwrap()
    );
    let xml = std::fs::read_to_string(&junit).unwrap();
    assert_eq!(xml.matches("<testcase").count(), 9);
    assert_eq!(xml.matches("<failure").count(), 9);
}

#[test]
fn the_local_configure_trust_guide_runs_green() {
    let dir = tempfile::tempdir().unwrap();
    let ca_dir = dir.path().join("ca");
    let out = docrun(dir.path())
        .arg("run")
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("runbooks/local/configure-trust.md"))
        .args(["--set", &format!("CA_DIR={}", ca_dir.display()), "--json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let got = finished(&events(&out));
    assert_eq!(
        got.iter().filter(|(_, s)| s == "passed").count(),
        10,
        "{got:?}"
    );
}

/// Starts a shell command line on a terminal (a pty from `script`) in `dir`.
fn spawn_on_a_terminal(dir: &Path, command: &str) -> std::process::Child {
    Command::new("script")
        .args(["-qec", command, "/dev/null"])
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env("DOCRUN_STATE_DIR", dir.join(".state"))
        .env_remove("GITHUB_ACTIONS")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap()
}

/// Runs docrun on a terminal, typing `answer` after a second.
fn on_a_terminal(dir: &Path, args: &str, answer: &str) -> Output {
    let command = format!("{} {args}", env!("CARGO_BIN_EXE_docrun"));
    let mut child = spawn_on_a_terminal(dir, &command);
    std::thread::sleep(Duration::from_secs(1));
    let mut stdin = child.stdin.take().unwrap();
    // docrun may have ended already (when it asks nothing).
    let _ = std::io::Write::write_all(&mut stdin, format!("{answer}\n").as_bytes());
    child.wait_with_output().unwrap()
}

#[test]
fn on_a_terminal_missing_variables_are_asked_for_and_secrets_are_not_echoed() {
    let dir = tempfile::tempdir().unwrap();
    let out = on_a_terminal(
        dir.path(),
        &format!("run {} --only one_1", fixture("steps.md").display()),
        "asked.txt",
    );
    let screen = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{screen}");
    assert!(screen.contains("LOG (string)"), "{screen}");
    assert_eq!(
        std::fs::read_to_string(dir.path().join("asked.txt")).unwrap(),
        "one\n"
    );

    let out = on_a_terminal(
        dir.path(),
        &format!("run {} --retry 0", fixture("secret.md").display()),
        "typed-s3cret",
    );
    let screen = text(&out.stdout);
    assert!(screen.contains("DB_PASSWORD (secret)"), "{screen}");
    assert!(!screen.contains("typed-s3cret"), "{screen}");
    assert!(screen.contains("connecting with ***"), "{screen}");

    // Without a terminal, or with --no-prompt, nothing is asked.
    let out = on_a_terminal(
        dir.path(),
        &format!("run {} --no-prompt", fixture("steps.md").display()),
        "x",
    );
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stdout));
}

#[test]
fn a_stop_signal_during_a_secret_prompt_leaves_the_terminal_echoing() {
    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("report.xml");
    let docrun = env!("CARGO_BIN_EXE_docrun");
    let command = format!(
        "{docrun} run {} --retry 0 --junit {}; stty -a",
        fixture("secret.md").display(),
        report.display()
    );
    let child = spawn_on_a_terminal(dir.path(), &command);
    // docrun is asking for the secret, with the echo off: Ctrl-C, as its own signal.
    std::thread::sleep(Duration::from_secs(1));
    let asking: Vec<String> = std::fs::read_dir("/proc")
        .unwrap()
        .flatten()
        .filter_map(|e| e.file_name().to_str().map(str::to_owned))
        .filter(|pid| pid.bytes().all(|b| b.is_ascii_digit()))
        .filter(|pid| {
            let exe = std::fs::read_link(format!("/proc/{pid}/exe")).ok();
            let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
            exe.is_some_and(|e| e == Path::new(docrun))
                && String::from_utf8_lossy(&cmdline).contains(report.to_str().unwrap())
        })
        .collect();
    assert_eq!(asking.len(), 1, "{asking:?}");
    Command::new("kill")
        .args(["-INT", &asking[0]])
        .status()
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let screen = text(&out.stdout);
    assert!(screen.contains("DB_PASSWORD (secret)"), "{screen}");
    let settings = screen
        .lines()
        .find(|l| l.contains("icanon"))
        .unwrap_or_default();
    assert!(
        settings.split_whitespace().any(|w| w == "echo"),
        "the terminal's echo stayed off: {settings}\n{screen}"
    );
}
