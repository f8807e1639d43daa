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
    let mut text = String::from(
        "---\nrunbook:\n  steps:\n    optin_1: {retry: 1s}\n    looks_1: {read_only: true}\n---\n",
    );
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
    text.push_str(
        "## looks\n\n```bash\n$ kubectl exec deploy/shop -- cat /data/ready\nready\n```\n",
    );
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
    // So is `read_only: true`: the step is retried within `--retry` as a look would be.
    let looks = finished(&events, "looks_1");
    assert!(looks["attempts"].as_u64().unwrap() >= 2, "{looks}");
    let calls = std::fs::read_to_string(dir.path().join("kubectl.log")).unwrap();
    assert_eq!(
        calls.lines().count(),
        commands.len()
            + optin["attempts"].as_u64().unwrap() as usize
            + looks["attempts"].as_u64().unwrap() as usize
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

// G4: state is private.

/// A guide whose first step exports a plain variable, a secret-named one and loader variables,
/// whose second step fails until the file `open` exists, and whose third prints them.
fn resume_guide(dir: &Path) -> PathBuf {
    guide(
        dir,
        "resume.md",
        "# Resume\n\n## Prepare\n\n```bash\nexport POD=curl-1 API_TOKEN=tok-123 PATH=\"$PWD/evilbin:$PATH\" LD_LIBRARY_PATH=/nowhere\n```\n\n\
         ## Gate\n\n```bash\ntest -e open\n```\n\n\
         ## Use\n\n```bash\necho \"pod=$POD token=${API_TOKEN-} ld=${LD_LIBRARY_PATH-} preload=${LD_PRELOAD-}\"; echo \"path=$PATH\"\n```\n",
    )
}

/// `docrun run` of `guide` in `dir` with `args`, state in `dir/.state`.
fn run(dir: &Path, guide: &Path, args: &[&str]) -> Output {
    docrun(dir)
        .arg("run")
        .arg(guide)
        .args(args)
        .output()
        .unwrap()
}

fn mode(path: &Path) -> u32 {
    std::fs::symlink_metadata(path)
        .unwrap()
        .permissions()
        .mode()
        & 0o7777
}

/// The one checkpoint in `dir/.state` (beside the guide's lock, which is private too).
fn checkpoint(dir: &Path) -> PathBuf {
    let files: Vec<PathBuf> = std::fs::read_dir(dir.join(".state"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            let lock = p.extension().is_some_and(|e| e == "lock");
            if lock {
                assert_eq!(mode(p), 0o600, "{}", p.display());
            }
            !lock
        })
        .collect();
    assert_eq!(files.len(), 1, "{files:?}");
    files.into_iter().next().unwrap()
}

#[test]
fn checkpoints_are_private_files_in_a_private_folder_without_secret_or_loader_variables() {
    let dir = tempfile::tempdir().unwrap();
    let guide = resume_guide(dir.path());
    let out = run(dir.path(), &guide, &[]);
    assert_eq!(out.status.code(), Some(1), "{}", printed(&out));
    assert_eq!(mode(&dir.path().join(".state")), 0o700);
    let file = checkpoint(dir.path());
    assert!(file.extension().is_some_and(|e| e == "json"), "{file:?}");
    assert_eq!(mode(&file), 0o600);
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(text.contains("curl-1"), "{text}");
    for kept_out in ["API_TOKEN", "tok-123", "LD_LIBRARY_PATH", "evilbin"] {
        assert!(!text.contains(kept_out), "{kept_out} in {text}");
    }
}

#[test]
fn resume_refuses_a_checkpoint_others_could_have_written() {
    let dir = tempfile::tempdir().unwrap();
    let guide = resume_guide(dir.path());
    assert_eq!(run(dir.path(), &guide, &[]).status.code(), Some(1));
    std::fs::write(dir.path().join("open"), "").unwrap();
    let state = dir.path().join(".state");
    let file = checkpoint(dir.path());
    let refused = |named: &Path| {
        let out = run(dir.path(), &guide, &["--resume", "--json"]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{}", printed(&out));
        assert!(stderr.contains(&named.display().to_string()), "{stderr}");
        assert!(events(&out).is_empty(), "{}", printed(&out));
    };
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o666)).unwrap();
    refused(&file);
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600)).unwrap();
    std::fs::set_permissions(&state, std::fs::Permissions::from_mode(0o777)).unwrap();
    refused(&state);
    std::fs::set_permissions(&state, std::fs::Permissions::from_mode(0o700)).unwrap();
    // A link in the checkpoint's place, even to a private file of the user.
    let elsewhere = dir.path().join("elsewhere.json");
    std::fs::rename(&file, &elsewhere).unwrap();
    std::os::unix::fs::symlink(&elsewhere, &file).unwrap();
    refused(&file);
    std::fs::remove_file(&file).unwrap();
    std::fs::rename(&elsewhere, &file).unwrap();
    let out = run(dir.path(), &guide, &["--resume", "--json"]);
    assert_eq!(out.status.code(), Some(0), "{}", printed(&out));
}

#[test]
fn resume_restores_what_the_guide_exported_and_never_shell_loader_or_secret_variables() {
    let dir = tempfile::tempdir().unwrap();
    let guide = resume_guide(dir.path());
    assert_eq!(run(dir.path(), &guide, &[]).status.code(), Some(1));
    std::fs::write(dir.path().join("open"), "").unwrap();
    // A checkpoint changed by hand (the file stays the user's, 0600).
    let file = checkpoint(dir.path());
    let mut saved: Value = serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    let script = canary_script(dir.path());
    let exported = saved["state"]["exported"].as_array_mut().unwrap();
    for (name, value) in [
        ("PATH", "/evil"),
        ("LD_PRELOAD", "/evil.so"),
        ("BASH_ENV", script.to_str().unwrap()),
        ("API_TOKEN", "tok-999"),
    ] {
        exported.push(serde_json::json!([name, value]));
    }
    std::fs::write(&file, serde_json::to_string(&saved).unwrap()).unwrap();
    let out = run(dir.path(), &guide, &["--resume", "--json"]);
    assert_eq!(out.status.code(), Some(0), "{}", printed(&out));
    let events = events(&out);
    let output = finished(&events, "use_1")["output"].as_str().unwrap();
    assert!(output.starts_with("pod=curl-1 token= ld="), "{output}");
    assert!(output.contains(" preload=\npath="), "{output}");
    for not_restored in ["/evil", "/nowhere", "tok-"] {
        assert!(!output.contains(not_restored), "{output}");
    }
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("PATH, LD_PRELOAD, BASH_ENV, API_TOKEN"),
        "{stderr}"
    );
    assert!(!dir.path().join("canary").exists());
}

#[test]
fn without_a_state_folder_no_checkpoint_goes_to_a_shared_temporary_folder() {
    let dir = tempfile::tempdir().unwrap();
    let guide = resume_guide(dir.path());
    let tmp = dir.path().join("tmp");
    std::fs::create_dir(&tmp).unwrap();
    let homeless = |args: &[&str]| {
        docrun(dir.path())
            .env_remove("DOCRUN_STATE_DIR")
            .env_remove("XDG_STATE_HOME")
            .env_remove("HOME")
            .env("TMPDIR", &tmp)
            .arg("run")
            .arg(&guide)
            .args(args)
            .output()
            .unwrap()
    };
    let out = homeless(&[]);
    assert_eq!(out.status.code(), Some(1), "{}", printed(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("DOCRUN_STATE_DIR"), "{stderr}");
    let left: Vec<_> = std::fs::read_dir(&tmp).unwrap().collect();
    assert!(left.is_empty(), "{left:?}");
    let out = homeless(&["--resume"]);
    assert_eq!(out.status.code(), Some(2), "{}", printed(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("--resume") && stderr.contains("DOCRUN_STATE_DIR"),
        "{stderr}"
    );
}

#[test]
fn docrun_test_runs_each_guide_in_a_private_folder() {
    let dir = tempfile::tempdir().unwrap();
    let tree = dir.path().join("tree");
    std::fs::create_dir(&tree).unwrap();
    guide(
        &tree,
        "private.md",
        "---\ntitle: Private\ntest: yes\n---\n# Private\n\n```bash\n$ stat -c %a .\n700\n```\n",
    );
    let out = docrun(dir.path())
        .args(["test", "--with-prereqs"])
        .arg(&tree)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", printed(&out));
    let out = docrun(dir.path()).arg("test").arg(&tree).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", printed(&out));
}
