//! What docrun tells a user about a guide's steps: bash's errors at the guide's file:line, and
//! the commands a guide needs that the machine lacks, named before the first step.

mod support;

use std::path::Path;
use std::process::Output;

use serde_json::Value;
use support::docrun::{docrun, printed};

fn write(dir: &Path, name: &str, text: &str) {
    std::fs::write(dir.join(name), text).unwrap();
}

fn run(dir: &Path, args: &[&str]) -> Output {
    docrun(dir).arg("run").args(args).output().unwrap()
}

/// The `output` of each `step_finished` event of a `--json` run.
fn finished_output(out: &Output) -> Vec<String> {
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|e| e["type"] == "step_finished")
        .map(|e| e["output"].as_str().unwrap_or_default().to_owned())
        .collect()
}

const FAILING: &str = "# Guide

## Install

```bash
echo start
echo one \\
  two
cat <<EOF
body
EOF
nosuchcmd-docrun --flag
```

## Check

```bash
if true; then
  echo in
  nosuchcmd-docrun-too
fi
```
";

#[test]
fn a_bash_error_names_the_guides_line_not_docruns_script() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "guide.md", FAILING);
    let out = run(
        dir.path(),
        &["guide.md", "--no-preflight", "--keep-going", "--json"],
    );
    assert_eq!(out.status.code(), Some(1), "{}", printed(&out));
    let outputs = finished_output(&out);
    assert_eq!(
        outputs,
        [
            "start\none two\nbody\nguide.md:12: nosuchcmd-docrun: command not found\n",
            "in\nguide.md:20: nosuchcmd-docrun-too: command not found\n",
        ],
        "{}",
        printed(&out)
    );
    let human = run(dir.path(), &["guide.md", "--no-preflight"]);
    let shown = printed(&human);
    assert!(
        shown.contains("guide.md:12: nosuchcmd-docrun: command not found"),
        "{shown}"
    );
    assert!(!shown.contains("/step: line"), "{shown}");
}

const NEEDS_A_MISSING_COMMAND: &str = "# Guide

## Setup

```bash
touch first-step-ran
```

## Use

```bash
echo using
nosuchcmd-docrun --version
```
";

#[test]
fn a_command_no_step_installs_and_not_on_path_fails_the_preflight_before_any_step() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "guide.md", NEEDS_A_MISSING_COMMAND);
    let out = run(dir.path(), &["guide.md"]);
    assert_eq!(out.status.code(), Some(1), "{}", printed(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(
            "nosuchcmd-docrun is not on PATH (needed by step use_1 at guide.md:13); no step before it installs it"
        ),
        "{stderr}"
    );
    assert!(stderr.contains("preflight failed"), "{stderr}");
    assert!(!dir.path().join("first-step-ran").exists());

    let anyway = run(dir.path(), &["guide.md", "--no-preflight"]);
    assert_eq!(anyway.status.code(), Some(1), "{}", printed(&anyway));
    assert!(dir.path().join("first-step-ran").exists());

    let check = docrun(dir.path())
        .args(["check", "guide.md"])
        .output()
        .unwrap();
    assert_eq!(check.status.code(), Some(0), "{}", printed(&check));
    let report = String::from_utf8_lossy(&check.stdout);
    assert!(
        report.contains(
            "MISS  nosuchcmd-docrun is not on PATH (needed by step use_1 at guide.md:13)"
        ),
        "{report}"
    );
}

#[test]
fn a_command_an_earlier_step_may_install_is_a_warning_and_the_run_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "guide.md",
        "# Guide

## Install

```bash
echo 'mkdir -p bin && printf \"#!/bin/sh\\necho tool-ran\\n\" > bin/docrun-made-tool && chmod +x bin/docrun-made-tool' | sh
export PATH=\"$PWD/bin:$PATH\"
```

## Use

```bash
docrun-made-tool
```
",
    );
    let out = run(dir.path(), &["guide.md"]);
    assert_eq!(out.status.code(), Some(0), "{}", printed(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(
            "warning: docrun-made-tool is not on PATH (needed by step use_1 at guide.md:13); step install_1 at guide.md:6 (it pipes a script into sh) may provide it"
        ),
        "{stderr}"
    );
}

// ------------------------------------------------------- native waits on the current context

use k8s_openapi::api::core::v1::{Namespace, Pod};
use kube::api::{Api, Patch, PatchParams, PostParams};
use serde_json::json;
use support::fakekube::FakeKube;

/// A Running and Ready pod `waiter-…` (label app=waiter) in namespace sample of `context`.
async fn ready_pod(kube: &FakeKube, context: &str) {
    let client = kube.client(context).await;
    let ns: Api<Namespace> = Api::all(client.clone());
    let sample = serde_json::from_value(json!({"metadata": {"name": "sample"}})).unwrap();
    ns.create(&PostParams::default(), &sample).await.unwrap();
    let pods: Api<Pod> = Api::namespaced(client, "sample");
    let name = "waiter-7d4b9c8f6d-q2x7z";
    let pod: Pod = serde_json::from_value(json!({
        "metadata": {"name": name, "labels": {"app": "waiter"}},
        "spec": {"containers": [{"name": "app", "image": "registry.example/app:1"}]},
    }))
    .unwrap();
    pods.create(&PostParams::default(), &pod).await.unwrap();
    let ready = json!({"status": {"phase": "Running",
        "conditions": [{"type": "Ready", "status": "True"}, {"type": "ContainersReady", "status": "True"}],
        "containerStatuses": [{"name": "app", "ready": true, "restartCount": 0,
                               "image": "registry.example/app:1", "imageID": "",
                               "state": {"running": {}}}]}});
    pods.patch_status(name, &PatchParams::default(), &Patch::Merge(ready))
        .await
        .unwrap();
}

const LIST_PODS: &str = "```bash
kubectl get pod -n sample -l app=waiter
```

```text
NAME                      READY   STATUS    RESTARTS   AGE
waiter-7d4b9c8f6d-q2x7z   1/1     Running   0          5s
```
";

/// Runs `guide` against the fakes (current context c1) and returns the `step_finished` event of
/// `step` and everything printed.
fn run_against(kube: &FakeKube, dir: &Path, guide: &str, step: &str) -> (Value, String) {
    write(dir, "guide.md", guide);
    let out = support::docrun::docrun_with_kube(kube, &kube.kubeconfig_path, dir)
        .args(["run", "guide.md", "--json", "--wait-timeout", "5s"])
        .output()
        .unwrap();
    let text = printed(&out);
    let event = String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .find(|e| e["type"] == "step_finished" && e["id"] == step)
        .unwrap_or_else(|| panic!("no step_finished for {step}\n{text}"));
    (event, text)
}

#[tokio::test]
async fn a_pod_listing_without_context_waits_natively_in_the_current_context() {
    let kube = FakeKube::start();
    ready_pod(&kube, "c1").await;
    let dir = tempfile::tempdir().unwrap();
    let (step, text) = run_against(
        &kube,
        dir.path(),
        &format!("# Guide\n\n## Check\n\n{LIST_PODS}"),
        "check_1",
    );
    assert_eq!(step["status"], "passed", "{text}");
    assert_eq!(step["mode"], "native", "{text}");
    assert!(
        step["output"].as_str().unwrap().contains("in context c1"),
        "{text}"
    );
}

#[tokio::test]
async fn a_use_context_earlier_in_the_guide_is_where_the_native_wait_looks() {
    let kube = FakeKube::start();
    ready_pod(&kube, "c2").await;
    let dir = tempfile::tempdir().unwrap();
    let guide = format!(
        "# Guide\n\n## Switch\n\n```bash\nkubectl config use-context c2\n```\n\n## Check\n\n{LIST_PODS}"
    );
    let (step, text) = run_against(&kube, dir.path(), &guide, "check_1");
    assert_eq!(step["status"], "passed", "{text}");
    assert_eq!(step["mode"], "native", "{text}");
    assert!(
        step["output"].as_str().unwrap().contains("in context c2"),
        "{text}"
    );
}

#[test]
fn a_context_docrun_cannot_tell_keeps_the_command_and_plan_says_why() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "guide.md",
        &format!(
            "# Guide\n\n## Switch\n\n```bash\nkubectl config use-context \"$(cat picked)\"\n```\n\n## Check\n\n{LIST_PODS}"
        ),
    );
    let out = docrun(dir.path())
        .args(["plan", "guide.md"])
        .output()
        .unwrap();
    let text = printed(&out);
    assert!(out.status.success(), "{text}");
    assert!(
        text.contains("step check_1 runs its commands, not native checks: its kubectl names no --context and the guide switches to a context docrun cannot tell before the run at guide.md:6"),
        "{text}"
    );
    let json = docrun(dir.path())
        .args(["plan", "guide.md", "--format", "json"])
        .output()
        .unwrap();
    let plan: Value = serde_json::from_slice(&json.stdout).unwrap();
    let check = plan["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["id"] == "check_1")
        .unwrap();
    assert_eq!(check["runs_as"], "command", "{check}");
}
