//! The composite GitHub Action (`action.yml`) and the README workflow that uses it:
//! - `action.yml` is valid YAML, a composite action, with exactly the inputs the README
//!   documents, each described;
//! - it picks the release archive for the runner's OS and architecture by the name the release
//!   workflow publishes and `cargo binstall` reads, and installs it only when its SHA-256 is the
//!   published one;
//! - the README's workflow is valid YAML, runs a matrix, and passes the action only inputs it has;
//! - the action's "Run the guides" script, run here with bash as GitHub would (inputs as
//!   environment variables, defaults filled in), runs `docrun test` with those inputs and writes
//!   the JUnit and HTML reports.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

use serde_yaml::Value;

const INPUTS: &[&str] = &[
    "version",
    "paths",
    "partition",
    "junit",
    "report",
    "hygiene",
    "changed-since",
    "rerun-failed",
    "args",
    "working-directory",
];

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn action() -> Value {
    let text = std::fs::read_to_string(root().join("action.yml")).unwrap();
    serde_yaml::from_str(&text).expect("action.yml is YAML")
}

fn step(action: &Value, name: &str) -> Value {
    action["runs"]["steps"]
        .as_sequence()
        .unwrap()
        .iter()
        .find(|s| s["name"] == name)
        .unwrap_or_else(|| panic!("a step named {name}"))
        .clone()
}

/// A step's script run with bash as GitHub would: its `env` with `${{ ... }}` replaced by what
/// `given` says for each expression, `RUNNER_TEMP` and `GITHUB_OUTPUT`/`GITHUB_PATH` files in
/// `dir`.
fn run_step(
    step: &Value,
    dir: &Path,
    given: &dyn Fn(&str) -> String,
    extra_env: &[(&str, &str)],
) -> std::process::Output {
    let mut cmd = Command::new("bash");
    cmd.arg("-c")
        .arg(step["run"].as_str().unwrap())
        .current_dir(dir)
        .env("RUNNER_TEMP", dir.join("runner-temp"))
        .env("GITHUB_OUTPUT", dir.join("output"))
        .env("GITHUB_PATH", dir.join("path"));
    std::fs::create_dir_all(dir.join("runner-temp")).unwrap();
    for (var, value) in step["env"].as_mapping().unwrap() {
        let value = value.as_str().unwrap();
        let mut text = String::new();
        let mut rest = value;
        while let Some(at) = rest.find("${{ ") {
            text.push_str(&rest[..at]);
            let end = rest[at..].find(" }}").unwrap() + at;
            text.push_str(&given(&rest[at + 4..end]));
            rest = &rest[end + 3..];
        }
        text.push_str(rest);
        cmd.env(var.as_str().unwrap(), text);
    }
    for (var, value) in extra_env {
        cmd.env(var, value);
    }
    cmd.output().unwrap()
}

/// `name=value` lines a step wrote to GITHUB_OUTPUT.
fn outputs(dir: &Path) -> std::collections::BTreeMap<String, String> {
    std::fs::read_to_string(dir.join("output"))
        .unwrap_or_default()
        .lines()
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// The archive `cargo binstall` downloads for `version` and `target`, from Cargo.toml's
/// `[package.metadata.binstall]`.
fn binstall_archive(version: &str, target: &str) -> (String, String) {
    let manifest = std::fs::read_to_string(root().join("Cargo.toml")).unwrap();
    let field = |name: &str| {
        let line = manifest
            .lines()
            .find(|l| l.starts_with(&format!("{name} = ")))
            .unwrap();
        line.split('"').nth(1).unwrap().to_string()
    };
    let fill = |text: String| {
        text.replace("{ name }", "docrun")
            .replace("{ version }", version)
            .replace("{ target }", target)
            .replace("{ bin }", "docrun")
            .replace("{ binary-ext }", "")
    };
    let url = fill(field("pkg-url"));
    (
        url.rsplit('/').next().unwrap().to_string(),
        fill(field("bin-dir")),
    )
}

#[test]
fn the_action_picks_the_archive_the_release_publishes_and_binstall_reads() {
    let action = action();
    let choose = step(&action, "Choose the docrun build");
    let cases = [
        ("Linux", "X64", "x86_64-unknown-linux-musl"),
        ("Linux", "ARM64", "aarch64-unknown-linux-musl"),
        ("macOS", "X64", "x86_64-apple-darwin"),
        ("macOS", "ARM64", "aarch64-apple-darwin"),
    ];
    let release = std::fs::read_to_string(root().join(".github/workflows/release.yml")).unwrap();
    for (os, arch, target) in cases {
        let dir = tempfile::tempdir().unwrap();
        let given = |expr: &str| match expr {
            "inputs.version" => "".into(),
            "github.action_ref" => "v1.2.3".into(),
            "github.server_url" => "https://github.com".into(),
            "github.action_repository" => "someone/docrun".into(),
            other => panic!("{other}"),
        };
        let out = run_step(
            &choose,
            dir.path(),
            &given,
            &[("RUNNER_OS", os), ("RUNNER_ARCH", arch)],
        );
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let got = outputs(dir.path());
        let (archive, bin) = binstall_archive("1.2.3", target);
        assert_eq!(got["archive"], archive, "{os}/{arch}");
        assert_eq!(
            got["url"],
            format!("https://github.com/someone/docrun/releases/download/v1.2.3/{archive}")
        );
        assert_eq!(bin, format!("docrun-v1.2.3-{target}/docrun"));
        assert_eq!(got["cache-key"], format!("docrun-1.2.3-{os}-{arch}"));
        assert!(release.contains(target), "the release builds {target}");
    }
    // `version: source` builds instead; a runner with no binary is told so.
    let dir = tempfile::tempdir().unwrap();
    let given = |expr: &str| match expr {
        "inputs.version" => "source".into(),
        _ => "x".into(),
    };
    let out = run_step(&choose, dir.path(), &given, &[]);
    assert!(out.status.success());
    assert_eq!(outputs(dir.path())["source"], "true");
    let dir = tempfile::tempdir().unwrap();
    let given = |expr: &str| match expr {
        "inputs.version" => "v0.1.0".into(),
        _ => "x".into(),
    };
    let out = run_step(
        &choose,
        dir.path(),
        &given,
        &[("RUNNER_OS", "Windows"), ("RUNNER_ARCH", "X64")],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stdout).contains("no binary for Windows/X64"));
}

#[test]
fn the_action_installs_a_release_archive_only_when_its_sha256_is_the_published_one() {
    let action = action();
    let install = step(&action, "Install docrun");
    let (archive, bin) = binstall_archive("0.1.0", "x86_64-unknown-linux-musl");
    for tampered in [false, true] {
        let dir = tempfile::tempdir().unwrap();
        // A release folder as the workflow publishes it: the archive and its sum file.
        let release = dir.path().join("release");
        let inner = release.join(bin.split('/').next().unwrap());
        std::fs::create_dir_all(&inner).unwrap();
        std::fs::write(
            inner.join("docrun"),
            "#!/bin/sh\necho 'docrun 0.1.0 (fake)'\n",
        )
        .unwrap();
        let tar = Command::new("tar")
            .args(["-czf", &archive, bin.split('/').next().unwrap()])
            .current_dir(&release)
            .status()
            .unwrap();
        assert!(tar.success());
        let sum = Command::new("sha256sum")
            .arg(&archive)
            .current_dir(&release)
            .output()
            .unwrap();
        std::fs::write(release.join(format!("{archive}.sha256")), &sum.stdout).unwrap();
        if tampered {
            let path = release.join(&archive);
            let mut bytes = std::fs::read(&path).unwrap();
            bytes.extend_from_slice(b"more");
            std::fs::write(&path, bytes).unwrap();
        }
        let url = format!("file://{}/{archive}", release.display());
        let given = |expr: &str| match expr {
            "steps.choose.outputs.source" => "false".into(),
            "steps.cache.outputs.cache-hit" => "".into(),
            "steps.choose.outputs.url" => url.clone(),
            "steps.choose.outputs.archive" => archive.clone(),
            "steps.choose.outputs.version" => "0.1.0".into(),
            "steps.choose.outputs.target" => "x86_64-unknown-linux-musl".into(),
            other => panic!("{other}"),
        };
        let out = run_step(&install, dir.path(), &given, &[]);
        let installed = dir.path().join("runner-temp/docrun/bin/docrun");
        if tampered {
            assert_eq!(out.status.code(), Some(1));
            assert!(String::from_utf8_lossy(&out.stdout).contains("not the published"));
            assert!(!installed.exists());
        } else {
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
            assert!(String::from_utf8_lossy(&out.stdout).contains("docrun 0.1.0 (fake)"));
            let path = std::fs::read_to_string(dir.path().join("path")).unwrap();
            assert_eq!(
                path.trim(),
                installed.parent().unwrap().display().to_string()
            );
        }
    }
}

fn readme() -> String {
    std::fs::read_to_string(root().join("README.md")).unwrap()
}

#[test]
fn the_action_is_composite_with_the_documented_inputs() {
    let action = action();
    assert_eq!(action["runs"]["using"], "composite");
    let inputs: BTreeSet<&str> = action["inputs"]
        .as_mapping()
        .unwrap()
        .keys()
        .map(|k| k.as_str().unwrap())
        .collect();
    assert_eq!(inputs, INPUTS.iter().copied().collect());
    for name in INPUTS {
        let input = &action["inputs"][name];
        assert!(
            input["description"].as_str().is_some_and(|d| d.len() > 10),
            "{name} is described"
        );
    }
    let steps = action["runs"]["steps"].as_sequence().unwrap();
    let install = step(&action, "Install docrun")["run"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(install.contains("cargo install --locked --path \"$GITHUB_ACTION_PATH\""));
    for step in steps.iter().filter(|s| s.get("uses").is_none()) {
        assert_eq!(step["shell"], "bash", "a composite step names its shell");
        let run = step["run"].as_str().unwrap();
        assert!(
            !run.contains("${{"),
            "inputs reach scripts as environment variables only: {run}"
        );
    }
    // The README documents each input.
    let readme = readme();
    let section = &readme[readme.find("#### Doc CI in GitHub Actions").unwrap()..];
    for name in INPUTS {
        assert!(
            section.contains(&format!("`{name}`")),
            "README documents `{name}`"
        );
    }
}

#[test]
fn the_readme_workflow_runs_a_matrix_through_the_action() {
    let readme = readme();
    let section = &readme[readme.find("#### Doc CI in GitHub Actions").unwrap()..];
    let start = section.find("```yaml\n").unwrap() + "```yaml\n".len();
    let end = start + section[start..].find("```").unwrap();
    let workflow: Value = serde_yaml::from_str(&section[start..end]).expect("the workflow is YAML");
    let job = &workflow["jobs"]["docs"];
    assert_eq!(
        job["strategy"]["matrix"]["shard"],
        serde_yaml::from_str::<Value>("[1, 2, 3, 4]").unwrap()
    );
    let steps = job["steps"].as_sequence().unwrap();
    let step = steps
        .iter()
        .find(|s| s["uses"].as_str().is_some_and(|u| u.contains("/docrun@")))
        .expect("a step uses the action");
    let action = action();
    for (key, _) in step["with"].as_mapping().unwrap() {
        let key = key.as_str().unwrap();
        assert!(
            action["inputs"].get(key).is_some(),
            "the action has an input `{key}`"
        );
    }
    assert_eq!(step["with"]["partition"], "${{ matrix.shard }}/4");
}

#[test]
fn the_action_script_runs_docrun_test_with_its_inputs() {
    let action = action();
    let step = step(&action, "Run the guides");
    assert!(step["run"].as_str().unwrap().contains("--fail-if-none"));
    let dir = tempfile::tempdir().unwrap();
    let junit = dir.path().join("junit.xml");
    let report = dir.path().join("report.html");
    let given = |name: &str| -> String {
        match name {
            "paths" => "tests/fixtures/tree".into(),
            "junit" => junit.display().to_string(),
            "report" => report.display().to_string(),
            "args" => "--filter alpha -j 1".into(),
            other => action["inputs"][other]["default"]
                .as_str()
                .unwrap_or("")
                .to_string(),
        }
    };
    let bin = Path::new(env!("CARGO_BIN_EXE_docrun"))
        .parent()
        .unwrap()
        .to_path_buf();
    let mut cmd = Command::new("bash");
    cmd.arg("-c")
        .arg(step["run"].as_str().unwrap())
        .current_dir(root())
        .env(
            "PATH",
            format!("{}:{}", bin.display(), std::env::var("PATH").unwrap()),
        )
        .env("NO_COLOR", "1")
        .env(
            "DOCRUN_STATE_DIR",
            std::env::temp_dir().join(format!("docrun-test-state-{}", std::process::id())),
        )
        .env_remove("GITHUB_ACTIONS")
        .env_remove("GITHUB_STEP_SUMMARY");
    for (var, value) in step["env"].as_mapping().unwrap() {
        let value = value.as_str().unwrap();
        let input = value
            .trim_start_matches("${{ inputs.")
            .trim_end_matches(" }}");
        cmd.env(var.as_str().unwrap(), given(input));
    }
    let out = cmd.output().unwrap();
    let err = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert!(err.contains("1 guide run: 1 passed, 0 failed"), "{err}");
    assert!(std::fs::read_to_string(&junit)
        .unwrap()
        .contains("alpha.md"));
    assert!(std::fs::read_to_string(&report)
        .unwrap()
        .contains("tests/fixtures/tree/content/alpha.md"));
}
