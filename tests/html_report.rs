//! The HTML report (`--report FILE`) of a run with a failing step and a leak, against the fake
//! clusters (tests/support/fakekube.rs), opened in a real browser: headless Chromium from the
//! distribution's packages (`chromium`). Where it is not installed the browser checks are
//! skipped with a message saying so; the file checks still run.
//!
//! The browser checks: the page renders (Chromium's DOM after its script ran), the failing step
//! is open inside its open guide, the page's script ran without error (it marks `<html
//! data-script="ok">`, and Chromium's console shows no uncaught error), and a screenshot is
//! taken to `target/tmp/html-report.png` for a person to look at.

mod support;
use support::docrun::both;

use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use support::fakekube::FakeKube;

fn chromium() -> Option<PathBuf> {
    ["chromium", "chromium-browser"].iter().find_map(|name| {
        std::env::var_os("PATH").and_then(|paths| {
            std::env::split_paths(&paths)
                .map(|d| d.join(name))
                .find(|p| p.is_file())
        })
    })
}

/// Runs headless Chromium on `args` in its own process group, killed whole after 90 s or when
/// done (it starts helper processes).
fn run_chromium(bin: &Path, profile: &Path, args: &[&str]) -> Output {
    let mut child = Command::new(bin)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-dev-shm-usage",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0)
        .spawn()
        .expect("start chromium");
    let pid = child.id() as i32;
    let (stdout, stderr) = (child.stdout.take().unwrap(), child.stderr.take().unwrap());
    let read = |mut r: Box<dyn std::io::Read + Send>| {
        std::thread::spawn(move || {
            let mut buf = Vec::new();
            let _ = r.read_to_end(&mut buf);
            buf
        })
    };
    let (out, err) = (read(Box::new(stdout)), read(Box::new(stderr)));
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if started.elapsed() > Duration::from_secs(90) {
            let _ = nix::sys::signal::killpg(
                nix::unistd::Pid::from_raw(pid),
                nix::sys::signal::Signal::SIGKILL,
            );
            break child.wait().unwrap();
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let _ = nix::sys::signal::killpg(
        nix::unistd::Pid::from_raw(pid),
        nix::sys::signal::Signal::SIGKILL,
    );
    Output {
        status,
        stdout: out.join().unwrap(),
        stderr: err.join().unwrap(),
    }
}

/// The report of `docrun test` on the broken guide (a failed step with hostile output, and a
/// ConfigMap left behind) and the clean one.
/// The run is told it is in GitHub Actions' job (`GITHUB_STEP_SUMMARY` and the variables
/// that make links), so it also appends the job summary to `dir/summary.md`.
fn make_report(kube: &FakeKube, dir: &Path) -> (PathBuf, String) {
    let report = dir.join("report.html");
    let out = Command::new(env!("CARGO_BIN_EXE_docrun"))
        .env(
            "DOCRUN_STATE_DIR",
            std::env::temp_dir().join(format!("docrun-test-state-{}", std::process::id())),
        )
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("KUBECONFIG", &kube.kubeconfig_path)
        .env("HOME", kube.dir.path())
        .env("NO_COLOR", "1")
        .env_remove("GITHUB_ACTIONS")
        .env("GITHUB_STEP_SUMMARY", dir.join("summary.md"))
        .env("GITHUB_SERVER_URL", "https://github.com")
        .env("GITHUB_REPOSITORY", "docs-org/docs")
        .env("GITHUB_SHA", "0123abc")
        .env("GITHUB_WORKSPACE", env!("CARGO_MANIFEST_DIR"))
        .args(["test", "tests/fixtures/hygiene", "--filter", "broken"])
        .args([
            "--filter",
            "clean",
            "--hygiene",
            "fail",
            "-j",
            "1",
            "--report",
        ])
        .arg(&report)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(1), "{text}");
    (report, text)
}

#[test]
fn the_report_of_a_failing_leaking_run_renders_in_chromium_with_the_failure_open() {
    let kube = FakeKube::start();
    let dir = tempfile::tempdir().unwrap();
    let (report, _) = make_report(&kube, dir.path());
    let html = std::fs::read_to_string(&report).unwrap();

    // Self-contained: nothing loaded from elsewhere; the only addresses outside it are the
    // links of steps to their lines on the forge, at the commit.
    for external in ["http://", "src=\"", "<link", "url("] {
        assert!(
            !html.contains(external),
            "the page refers to something outside itself ({external})"
        );
    }
    let forge = "<a class=\"where\" href=\"https://github.com/docs-org/docs/blob/0123abc/";
    assert_eq!(
        html.matches("https://").count(),
        html.matches(forge).count(),
        "every address is a link to a line on the forge"
    );
    assert!(
        html.contains(&format!(
            "{forge}tests/fixtures/hygiene/broken.md#L15\">tests/fixtures/hygiene/broken.md:15</a>"
        )),
        "the failing step links to its line"
    );
    // Hostile output is shown as text, never as markup.
    assert!(!html.contains("<script>document.title"), "unescaped output");
    assert!(html.contains("&lt;script&gt;document.title=&quot;pwned&quot;&lt;/script&gt;"));
    // What it says: the failing step with its file:line, the leak by context/kind/namespace/name.
    assert!(
        html.contains("tests/fixtures/hygiene/broken.md:15"),
        "file:line"
    );
    assert!(html.contains("<code>debris</code>"), "the leak");
    assert!(html.contains("1 leaked, 0 removed: the guide fails"));

    let Some(bin) = chromium() else {
        eprintln!(
            "SKIPPED the browser checks: chromium is not installed (Debian package `chromium`); \
             the file checks above ran"
        );
        return;
    };
    let url = format!("file://{}", report.display());
    let dom = run_chromium(
        &bin,
        &dir.path().join("profile-dom"),
        &[
            "--enable-logging=stderr",
            "--v=0",
            "--dump-dom",
            url.as_str(),
        ],
    );
    let dom_text = String::from_utf8_lossy(&dom.stdout);
    let console = String::from_utf8_lossy(&dom.stderr);
    assert!(dom.status.success(), "chromium: {console}");
    assert!(
        dom_text.contains("data-script=\"ok\""),
        "the page's script ran without error: {}",
        &dom_text[..dom_text.len().min(300)]
    );
    assert!(!console.contains("Uncaught"), "script errors: {console}");
    assert!(
        !dom_text.contains("pwned\"</script>"),
        "the hostile output stayed text"
    );
    // The failing step is open, inside its open guide, and listed under Failures.
    let guide = dom_text
        .find("<details class=\"guide failed\" id=\"g0\" open=\"\">")
        .unwrap_or_else(|| panic!("the failed guide is open: {dom_text}"));
    let step = dom_text[guide..]
        .find("<details class=\"step failed\" id=\"g0-s1\" open=\"\">")
        .expect("the failing step is open");
    assert!(dom_text[guide..guide + step].matches("</details>").count() == 1);
    assert!(
        dom_text.contains("<a href=\"#g0-s1\">"),
        "listed under Failures"
    );

    let shot = Path::new(env!("CARGO_TARGET_TMPDIR")).join("html-report.png");
    let _ = std::fs::remove_file(&shot);
    let out = run_chromium(
        &bin,
        &dir.path().join("profile-shot"),
        &[
            &format!("--screenshot={}", shot.display()),
            "--window-size=1280,2000",
            "--hide-scrollbars",
            url.as_str(),
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let png = std::fs::read(&shot).unwrap();
    assert!(
        png.starts_with(b"\x89PNG") && png.len() > 10_000,
        "a real picture"
    );
    eprintln!("screenshot: {}", shot.display());
}

#[test]
fn run_writes_the_same_report_for_one_guide() {
    let kube = FakeKube::start();
    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("run.html");
    let out = Command::new(env!("CARGO_BIN_EXE_docrun"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("KUBECONFIG", &kube.kubeconfig_path)
        .env("HOME", kube.dir.path())
        .env("NO_COLOR", "1")
        .env_remove("GITHUB_ACTIONS")
        .env("DOCRUN_STATE_DIR", dir.path().join("state"))
        .args([
            "run",
            "tests/fixtures/hygiene/leaky.md",
            "--hygiene",
            "fail",
        ])
        .arg("--report")
        .arg(&report)
        .output()
        .unwrap();
    let text = both(&out);
    assert_eq!(out.status.code(), Some(1), "the leak fails the run: {text}");
    assert!(
        text.contains("leaked   c1/ConfigMap/default/leftover"),
        "{text}"
    );
    let html = std::fs::read_to_string(&report).unwrap();
    assert!(html.contains("<title>docrun: docrun run tests/fixtures/hygiene/leaky.md</title>"));
    assert!(html.contains("<code>leftover</code>"));
    assert!(
        html.contains(
            "<dd class=\"command\">docrun run tests/fixtures/hygiene/leaky.md --hygiene fail --report "
        ),
        "the command line as given"
    );
    assert!(
        html.contains("tests/fixtures/hygiene/leaky.md:16"),
        "file:line of a step"
    );
    assert!(html.contains("1 failed"), "the leak failed the run");
}

#[test]
fn the_job_summary_has_a_row_per_guide_and_links_failures_to_their_line() {
    let kube = FakeKube::start();
    let dir = tempfile::tempdir().unwrap();
    let summary = dir.path().join("summary.md");
    std::fs::write(&summary, "earlier step's summary\n").unwrap();
    make_report(&kube, dir.path());
    let md = std::fs::read_to_string(&summary).unwrap();
    assert!(
        md.starts_with("earlier step's summary\n## docrun test tests/fixtures/hygiene\n"),
        "appended: {md}"
    );
    assert!(md.contains("❌ 1 failed · 1 passed · 2 guides in "), "{md}");
    assert!(md.contains("| Status | Guide | Steps passed | Steps failed | Duration | Hygiene |"));
    let rows: Vec<&str> = md
        .lines()
        .filter(|l| l.starts_with("| ") && l.contains("fixtures"))
        .collect();
    assert_eq!(rows.len(), 2, "{md}");
    assert!(
        rows[0].starts_with("| ❌ failed | tests/fixtures/hygiene/broken.md | 1 | 1 |"),
        "{}",
        rows[0]
    );
    assert!(
        rows[0].ends_with("| ❌ leaked c1/ConfigMap/default/debris |"),
        "{}",
        rows[0]
    );
    assert!(
        rows[1].starts_with("| ✅ passed | tests/fixtures/hygiene/clean.md | 2 | 0 |"),
        "{}",
        rows[1]
    );
    assert!(rows[1].ends_with("| clean |"), "{}", rows[1]);
    assert!(
        md.contains("- **tests/fixtures/hygiene/broken.md** step <code>check\\_1</code> at [tests/fixtures/hygiene/broken.md:15](https://github.com/docs-org/docs/blob/0123abc/tests/fixtures/hygiene/broken.md#L15): "),
        "{md}"
    );
    assert!(
        md.contains("&lt;script&gt;"),
        "hostile output escaped: {md}"
    );
    assert!(!md.contains("<script>"), "{md}");
}

#[test]
fn a_secret_never_reaches_the_report() {
    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("secret.html");
    let secret = "hunter2-s3cr3t";
    let out = Command::new(env!("CARGO_BIN_EXE_docrun"))
        .current_dir(dir.path())
        .env("NO_COLOR", "1")
        .env_remove("GITHUB_ACTIONS")
        .env("DOCRUN_STATE_DIR", dir.path().join("state"))
        .arg("run")
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/run/secret.md"))
        .args([
            "--set",
            &format!("DB_PASSWORD={secret}"),
            "--retry",
            "0",
            "--report",
        ])
        .arg(&report)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let html = std::fs::read_to_string(&report).unwrap();
    assert!(!html.contains(secret), "the secret is in the report");
    assert!(html.contains("***"), "masked where it was");
    assert!(
        html.contains("--set DB_PASSWORD=*** --retry 0 --report "),
        "the command line shows the secret's --set masked"
    );
}

/// A guide in a git work tree whose step prints kubectl's columns, one cell off from the guide,
/// and a step that fails with a message of its own.
fn columns_guide(dir: &Path) -> PathBuf {
    std::fs::create_dir_all(dir.join(".git")).unwrap();
    std::fs::create_dir_all(dir.join("docs/my guides")).unwrap();
    let guide = dir.join("docs/my guides/pods.md");
    std::fs::write(
        &guide,
        "---\ntitle: Pods\n---\n# Pods\n\n## List {#list}\n\n{{< text bash >}}\n\
         $ printf 'NAME    READY   STATUS\\nweb-1   1/1     Running\\nweb-2   0/1     Pending\\n'\n\
         NAME    READY   STATUS\nweb-1   1/1     Running\nweb-2   1/1     Running\n{{< /text >}}\n",
    )
    .unwrap();
    guide
}

fn run_report(dir: &Path, env: &[(&str, &str)]) -> String {
    let guide = columns_guide(dir);
    let report = dir.join("report.html");
    let mut cmd = support::docrun::docrun(dir);
    for name in ["GITHUB_SERVER_URL", "GITHUB_REPOSITORY", "GITHUB_SHA"] {
        cmd.env_remove(name);
    }
    cmd.envs(env.iter().copied())
        .arg("run")
        .arg(&guide)
        .args([
            "--retry",
            "0",
            "--no-preflight",
            "--set",
            "NOT_USED=a\u{202e}b",
        ])
        .arg("--report")
        .arg(&report);
    let out = cmd.output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        support::docrun::printed(&out)
    );
    std::fs::read_to_string(&report).unwrap()
}

#[test]
fn a_failure_is_stated_once_in_preformatted_text_with_its_changed_cells_marked() {
    let dir = tempfile::tempdir().unwrap();
    let html = run_report(dir.path(), &[]);
    let message = "expected line 3 `web-2   1/1     Running` does not match actual line 3 `web-2   0/1     Pending`";
    assert!(
        html.contains(&format!("<pre class=\"message\">{message}</pre>")),
        "the message, spaces kept, in preformatted text: {html}"
    );
    assert_eq!(
        html.matches("does not match actual line").count(),
        1,
        "stated once: {html}"
    );
    assert!(html.contains("pre.message{") && html.contains("white-space:pre-wrap"));
    // The changed cells of the changed line are marked, the rest of the line is not.
    assert!(
        html.contains(
            "<span class=\"del\">-web-2   <mark>1/1</mark>     <mark>Running</mark></span>"
        ),
        "{html}"
    );
    assert!(
        html.contains(
            "<span class=\"add\">+web-2   <mark>0/1</mark>     <mark>Pending</mark></span>"
        ),
        "{html}"
    );
    // Without a forge to link to, file:line is text.
    assert!(
        !html.contains("href=\"http"),
        "no link without the forge's variables"
    );
    assert!(html.contains("<span class=\"where\">"));
}

#[test]
fn the_header_says_which_docrun_when_and_the_command_line_with_hidden_characters_shown() {
    let dir = tempfile::tempdir().unwrap();
    let html = run_report(dir.path(), &[]);
    let version = env!("CARGO_PKG_VERSION");
    assert!(
        html.contains(&format!("<dd class=\"version\">{version}")),
        "the version: {html}"
    );
    let date = html
        .split("<time class=\"date\" datetime=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("a date");
    let shape = regex::Regex::new(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$").unwrap();
    assert!(shape.is_match(date), "RFC 3339 in UTC: {date}");
    assert!(
        html.contains(
            "--retry 0 --no-preflight --set &#39;NOT_USED=a&lt;U+202E&gt;b&#39; --report "
        ),
        "the bidi control is written out: {html}"
    );
    assert!(!html.contains('\u{202e}'));
}

#[test]
fn with_the_forges_variables_each_step_links_to_its_line_at_the_commit() {
    let dir = tempfile::tempdir().unwrap();
    let html = run_report(
        dir.path(),
        &[
            ("GITHUB_SERVER_URL", "https://git.example"),
            ("GITHUB_REPOSITORY", "docs-org/docs"),
            ("GITHUB_SHA", "0123abc"),
        ],
    );
    let link = "<a class=\"where\" href=\"https://git.example/docs-org/docs/blob/0123abc/docs/my%20guides/pods.md#L8\">";
    // In the failures list and in the step.
    assert_eq!(html.matches(link).count(), 2, "{html}");
}
