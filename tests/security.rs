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

// G10: a clean session.

/// A script that leaves `canary` in `dir` when something sources it.
fn canary_script(dir: &Path) -> PathBuf {
    let script = dir.join("canary.sh");
    std::fs::write(
        &script,
        format!("touch '{}'\n", dir.join("canary").display()),
    )
    .unwrap();
    script
}

#[test]
fn shell_control_variables_in_docruns_environment_do_not_reach_the_session() {
    let dir = tempfile::tempdir().unwrap();
    let script = canary_script(dir.path());
    std::fs::create_dir(dir.path().join("elsewhere")).unwrap();
    std::fs::create_dir(dir.path().join("work")).unwrap();
    std::fs::create_dir(dir.path().join("elsewhere/work")).unwrap();
    let guide = guide(
        dir.path(),
        "clean.md",
        "# Clean\n\n```bash\n$ echo hello; cd work && basename \"$(dirname \"$PWD\")\"\nhello\n{}\n```\n"
            .replace("{}", &dir.path().file_name().unwrap().to_string_lossy())
            .as_str(),
    );
    let out = docrun(dir.path())
        .env("BASH_ENV", &script)
        .env("ENV", &script)
        .env("SHELLOPTS", "xtrace")
        .env("BASHOPTS", "xpg_echo")
        .env("PS4", "+ traced ")
        .env("PROMPT_COMMAND", format!(". '{}'", script.display()))
        .env("CDPATH", dir.path().join("elsewhere"))
        .env("GLOBIGNORE", "*")
        .env("BASH_FUNC_echo%%", "() { builtin echo hijacked; }")
        .env("BASH_FUNC_basename%%", "() { builtin echo hijacked; }")
        .args(["run", "--json"])
        .arg(&guide)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", printed(&out));
    let events = events(&out);
    let step = finished(&events, "intro_1");
    let output = step["output"].as_str().unwrap();
    assert!(!output.contains("hijacked"), "{output}");
    assert!(!output.lines().any(|l| l.starts_with('+')), "{output}");
    assert!(
        !dir.path().join("canary").exists(),
        "BASH_ENV or ENV was sourced"
    );
}

#[test]
fn a_guide_variable_that_controls_the_shell_is_refused_before_anything_runs() {
    let dir = tempfile::tempdir().unwrap();
    let script = canary_script(dir.path());
    let declared = guide(
        dir.path(),
        "declared.md",
        "---\nrunbook:\n  vars:\n    BASH_ENV: {description: the shell's start file}\n---\n\
         # Declared\n\n```bash\ntouch ran\n```\n",
    );
    let used = guide(
        dir.path(),
        "used.md",
        "# Used\n\n```bash\ntouch ran; echo \"$PROMPT_COMMAND\"\n```\n",
    );
    let set = format!("BASH_ENV={}", script.display());
    let sourced = format!(". '{}'", script.display());
    /// A guide, its arguments, docrun's environment, and the variable refused.
    type Case<'a> = (&'a Path, &'a [&'a str], &'a [(&'a str, &'a str)], &'a str);
    let cases: [Case; 2] = [
        (&declared, &["--set", &set], &[], "BASH_ENV"),
        (
            &used,
            &[],
            &[("PROMPT_COMMAND", &sourced)],
            "PROMPT_COMMAND",
        ),
    ];
    for (guide, args, env, named) in cases {
        let mut cmd = docrun(dir.path());
        cmd.args(["run", "--no-prompt"]).arg(guide).args(args);
        for (k, v) in env {
            cmd.env(k, v);
        }
        let out = cmd.output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{}", printed(&out));
        let name = guide.file_name().unwrap().to_string_lossy();
        assert!(
            stderr.contains(&format!("{name}:"))
                && stderr.contains(&format!("variable {named} (value from")),
            "{stderr}"
        );
        assert!(!dir.path().join("ran").exists(), "a step ran");
        assert!(
            !dir.path().join("canary").exists(),
            "the canary was sourced"
        );
    }
}
