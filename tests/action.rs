//! The composite GitHub Action (`action.yml`) and the README workflow that uses it:
//! - `action.yml` is valid YAML, a composite action, with exactly the inputs the README
//!   documents, each described;
//! - the README's workflow is valid YAML, runs a matrix, and passes the action only inputs it has;
//! - the action's "Run the guides" script, run here with bash as GitHub would (inputs as
//!   environment variables, defaults filled in), runs `docrun test` with those inputs and writes
//!   the JUnit and HTML reports.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

use serde_yaml::Value;

const INPUTS: &[&str] = &[
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
    let install = steps[0]["run"].as_str().unwrap();
    assert!(install.contains("cargo install --locked --path \"$GITHUB_ACTION_PATH\""));
    for step in steps {
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
    let step = action["runs"]["steps"]
        .as_sequence()
        .unwrap()
        .iter()
        .find(|s| s["name"] == "Run the guides")
        .unwrap()
        .clone();
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
    let bin = Path::new(env!("CARGO_BIN_EXE_docrun")).parent().unwrap();
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
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert!(err.contains("1 guide run: 1 passed, 0 failed"), "{err}");
    assert!(std::fs::read_to_string(&junit)
        .unwrap()
        .contains("alpha.md"));
    assert!(std::fs::read_to_string(&report)
        .unwrap()
        .contains("tests/fixtures/tree/content/alpha.md"));
}
