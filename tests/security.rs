//! What docrun guarantees when a guide comes from a stranger (a pull request) and runs in CI
//! next to secrets, with an environment and values an attacker may influence: checkpoints and
//! working folders are private, step ids never lead a file outside its folder, only commands
//! that look are retried, and the shell session starts clean.

mod support;

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Output;

use serde_json::Value;
use support::docrun::{docrun, printed};

/// Writes `text` as the guide `name` in `dir` and returns its path.
fn guide(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

/// The JSON Lines events of a run.
fn events(out: &Output) -> Vec<Value> {
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| l.starts_with('{'))
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect()
}

/// The `step_finished` event of step `id`.
fn finished<'a>(events: &'a [Value], id: &str) -> &'a Value {
    events
        .iter()
        .find(|e| e["type"] == "step_finished" && e["id"] == id)
        .unwrap_or_else(|| panic!("no step_finished for {id}: {events:#?}"))
}

/// A folder `bin` in `dir` with a fake `kubectl` that logs its arguments to `dir/kubectl.log`
/// and always answers `not yet`; the PATH that finds it first.
fn fake_kubectl(dir: &Path) -> String {
    let bin = dir.join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let kubectl = bin.join("kubectl");
    std::fs::write(
        &kubectl,
        format!(
            "#!/bin/sh\necho \"$*\" >> '{}'\necho 'not yet'\n",
            dir.join("kubectl.log").display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&kubectl, std::fs::Permissions::from_mode(0o755)).unwrap();
    format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    )
}

// G9: only looks are retried.

#[test]
fn a_step_that_runs_or_opens_something_in_a_pod_is_never_retried_unless_its_overlay_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let path = fake_kubectl(dir.path());
    let mut text = String::from("---\nrunbook:\n  steps:\n    optin_1: {retry: 1s}\n---\n");
    let commands = [
        (
            "exec",
            "kubectl exec deploy/shop -- sh -c 'echo order >> /data/orders; cat /data/ok'",
        ),
        ("run", "kubectl run tmp --image=busybox --rm -i -- cat /ok"),
        (
            "debug",
            "kubectl debug node/n1 -i --image=busybox -- cat /ok",
        ),
        ("attach", "kubectl attach pod/x -i"),
        ("cp", "kubectl cp ./payload pod:/tmp/payload"),
        ("reconcile", "kubectl auth reconcile -f rbac.yaml"),
        ("forward", "kubectl port-forward svc/x 8080:80"),
        ("proxy", "kubectl proxy --port=8001"),
        ("unknown", "kubectl frobnicate pods"),
    ];
    for (id, command) in commands {
        text.push_str(&format!("## {id}\n\n```bash\n$ {command}\nready\n```\n\n"));
    }
    text.push_str("## optin\n\n```bash\n$ kubectl exec deploy/shop -- cat /data/ok\nready\n```\n");
    let guide = guide(dir.path(), "pods.md", &text);
    let out = docrun(dir.path())
        .env("PATH", &path)
        .args(["run", "--json", "--keep-going", "--retry", "3s"])
        .arg(&guide)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", printed(&out));
    let events = events(&out);
    for (id, _) in commands {
        let step = finished(&events, &format!("{id}_1"));
        assert_eq!(step["status"], "failed", "{step}");
        assert_eq!(step["attempts"], 1, "{id} was retried: {step}");
    }
    // The overlay's retry budget is the opt-in for a step docrun takes as changing things.
    let optin = finished(&events, "optin_1");
    assert!(optin["attempts"].as_u64().unwrap() >= 2, "{optin}");
    let calls = std::fs::read_to_string(dir.path().join("kubectl.log")).unwrap();
    assert_eq!(
        calls.lines().count(),
        commands.len() + optin["attempts"].as_u64().unwrap() as usize
    );
}

// G6: names become safe file names.

/// Every file under `dir`, as paths relative to it.
fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                todo.push(path);
            } else {
                found.push(path.strip_prefix(dir).unwrap().to_path_buf());
            }
        }
    }
    found.sort();
    found
}

#[test]
fn a_step_id_with_a_path_in_it_writes_its_full_output_inside_the_folder() {
    let dir = tempfile::tempdir().unwrap();
    let outside = dir.path().join("abs");
    let text = format!(
        "# Ids\n\n## Up {{#../../../escape}}\n\n```bash\necho up\n```\n\n\
         ## Absolute {{#{}}}\n\n```bash\necho absolute\n```\n\n\
         ## Hidden {{#.hidden}}\n\n```bash\necho hidden\n```\n",
        outside.display()
    );
    let guide = guide(dir.path(), "ids.md", &text);
    let out_dir = dir.path().join("x/y/z/out");
    let out = docrun(dir.path())
        .args(["run", "--full-output"])
        .arg(&out_dir)
        .arg(&guide)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", printed(&out));
    let logs: Vec<PathBuf> = files_under(dir.path())
        .into_iter()
        .filter(|p| p.extension().is_some_and(|e| e == "log"))
        .collect();
    assert_eq!(logs.len(), 3, "{logs:?}");
    let mut said = Vec::new();
    for log in &logs {
        assert_eq!(log.parent(), Some(Path::new("x/y/z/out")), "{logs:?}");
        let name = log.file_name().unwrap().to_string_lossy();
        assert!(!name.starts_with('.'), "{logs:?}");
        said.push(std::fs::read_to_string(dir.path().join(log)).unwrap());
    }
    said.sort();
    assert_eq!(said, ["absolute\n", "hidden\n", "up\n"]);
}
