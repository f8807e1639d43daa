//! `docrun run` end to end against two fake API servers (tests/support/fakekube.rs; a test
//! double, not Kubernetes: no scheduler, no kubelet, no sidecar injection, no exec):
//! - the founding guide's preflight before the first step, passing and failing;
//! - `--only` on a `snip_id=none` step;
//! - the multicluster verify guide run for real: its kubectl steps against the fakes, its pod
//!   checks as native waits, and the same with `--no-native`;
//! - a native wait that passes when the pod becomes ready while the run waits.
//!
//! Each test starts its own servers.

mod support;

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use k8s_openapi::api::core::v1::{Namespace, Pod};
use kube::api::{Api, DeleteParams, Patch, PatchParams, PostParams};
use serde_json::{json, Value};
use support::fakekube::{FakeKube, Options};
use support::trust::{cacerts, prepare, put_cacerts};
use tokio::io::{AsyncBufReadExt, BufReader};

const BEFORE_YOU_BEGIN: &str = "runbooks/istio/multicluster/before-you-begin.zh.md";
const VERIFY: &str = "runbooks/istio/multicluster/verify.en.md";
const WAIT: &str = "tests/fixtures/kube/wait.md";

fn guide(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(path)
}

/// `docrun run GUIDE ARGS` in `workdir`, with the fakes' kubeconfig and a private HOME (kubectl
/// caches discovery there) and state directory.
fn docrun(kube: &FakeKube, workdir: &Path, path: &str, args: &[&str]) -> Command {
    let mut cmd = support::docrun::docrun_with_kube(kube, &kube.kubeconfig_path, workdir);
    cmd.arg("run").arg(guide(path)).args(args);
    cmd
}

const CONTEXTS: [&str; 4] = ["--set", "CTX_CLUSTER1=c1", "--set", "CTX_CLUSTER2=c2"];

fn run(kube: &FakeKube, workdir: &Path, path: &str, args: &[&str]) -> (Output, String) {
    let out = docrun(kube, workdir, path, &[&CONTEXTS[..], args].concat())
        .output()
        .unwrap();
    let text = support::docrun::printed(&out);
    (out, text)
}

/// The JSON Lines events of a run.
fn events(out: &Output) -> Vec<Value> {
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect()
}

fn of_type<'a>(events: &'a [Value], kind: &str) -> Vec<&'a Value> {
    events.iter().filter(|e| e["type"] == kind).collect()
}

/// The preflight's result lines with a status (`PASS`, `WARN`, `FAIL`) for a check (any when
/// empty): `  FAIL  trust.common-root  c2  ...`.
fn results<'a>(text: &'a str, status: &str, check: &str) -> Vec<&'a str> {
    text.lines()
        .filter(|l| {
            let mut words = l.split_whitespace();
            words.next() == Some(status) && (check.is_empty() || words.next() == Some(check))
        })
        .collect()
}

/// The `step_finished` event of a step.
fn finished<'a>(events: &'a [Value], id: &str) -> &'a Value {
    events
        .iter()
        .find(|e| e["type"] == "step_finished" && e["id"] == id)
        .unwrap_or_else(|| panic!("no step_finished for {id}"))
}

// ------------------------------------------------------------------------ before you begin

#[tokio::test]
async fn the_founding_guide_runs_after_its_preflight_passes() {
    let kube = FakeKube::start();
    prepare(&kube).await; // cacerts from one root in both clusters
    let (out, text) = run(&kube, kube.dir.path(), BEFORE_YOU_BEGIN, &["--json"]);
    assert_eq!(out.status.code(), Some(0), "{text}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        results(&stderr, "PASS", "trust.common-root")
            .iter()
            .any(|l| l.contains("c1, c2 share the root")),
        "{text}"
    );
    assert!(results(&stderr, "FAIL", "").is_empty(), "{text}");
    // Its only shell step is `snip_id=none` (the reader fills in the exports): nothing runs.
    let events = events(&out);
    assert_eq!(of_type(&events, "run_started")[0]["steps"], 0, "{text}");
    assert_eq!(of_type(&events, "run_finished")[0]["status"], "passed");
    assert_eq!(
        finished(&events, "environment_variables_1")["status"],
        "skipped"
    );
}

#[tokio::test]
async fn a_failing_preflight_stops_the_run_before_any_step() {
    let kube = FakeKube::start();
    let root_a = kube.pki.root("root-a", "Root A");
    let root_b = kube.pki.root("root-b", "Root B");
    let inter1 = kube.pki.intermediate("inter-1", "Intermediate 1", &root_a);
    let inter2 = kube.pki.intermediate("inter-2", "Intermediate 2", &root_b);
    put_cacerts(&kube.client("c1").await, &cacerts(&root_a, &inter1)).await;
    put_cacerts(&kube.client("c2").await, &cacerts(&root_b, &inter2)).await;
    let (out, text) = run(
        &kube,
        kube.dir.path(),
        BEFORE_YOU_BEGIN,
        &["--json", "--only", "environment_variables_1"],
    );
    assert_eq!(out.status.code(), Some(1), "{text}");
    // No event at all: the run never started.
    assert!(out.stdout.is_empty(), "{text}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    let failed = results(&stderr, "FAIL", "");
    assert_eq!(failed.len(), 1, "{text}");
    assert!(
        failed[0].contains("trust.common-root")
            && failed[0].contains("c2")
            && failed[0].contains("Root B")
            && failed[0].contains("Root A"),
        "{text}"
    );
    assert!(stderr.contains("no step ran"), "{text}");
}

#[tokio::test]
async fn only_runs_a_snip_id_none_step_and_it_exports_the_values() {
    let kube = FakeKube::start();
    prepare(&kube).await;
    let (out, text) = run(
        &kube,
        kube.dir.path(),
        BEFORE_YOU_BEGIN,
        &["--json", "--only", "environment_variables_1"],
    );
    assert_eq!(out.status.code(), Some(0), "{text}");
    let events = events(&out);
    assert_eq!(of_type(&events, "run_started")[0]["steps"], 1, "{text}");
    // The placeholders `<your cluster1 context>` are filled with the --set values.
    let started = of_type(&events, "step_started");
    assert_eq!(started.len(), 1, "{text}");
    assert_eq!(
        started[0]["commands"],
        json!(["export CTX_CLUSTER1=c1", "export CTX_CLUSTER2=c2"]),
        "{text}"
    );
    let step = finished(&events, "environment_variables_1");
    assert_eq!(step["status"], "passed", "{text}");
    assert_eq!(step["exit_status"], 0, "{text}");
    assert_eq!(step["mode"], Value::Null, "{text}"); // commands, no expected output
}

// ------------------------------------------------------------------------------- verify

const HELLOWORLD_YAML: &str = r#"apiVersion: v1
kind: Service
metadata:
  name: helloworld
  labels:
    app: helloworld
    service: helloworld
spec:
  ports:
  - port: 5000
    name: http
  selector:
    app: helloworld
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: helloworld-v1
  labels:
    app: helloworld
    version: v1
spec:
  replicas: 1
  selector:
    matchLabels:
      app: helloworld
      version: v1
  template:
    metadata:
      labels:
        app: helloworld
        version: v1
    spec:
      containers:
      - name: helloworld
        image: docker.io/istio/examples-helloworld-v1:1.0
        resources:
          requests:
            cpu: "100m"
        imagePullPolicy: IfNotPresent
        ports:
        - containerPort: 5000
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: helloworld-v2
  labels:
    app: helloworld
    version: v2
spec:
  replicas: 1
  selector:
    matchLabels:
      app: helloworld
      version: v2
  template:
    metadata:
      labels:
        app: helloworld
        version: v2
    spec:
      containers:
      - name: helloworld
        image: docker.io/istio/examples-helloworld-v2:1.0
        resources:
          requests:
            cpu: "100m"
        imagePullPolicy: IfNotPresent
        ports:
        - containerPort: 5000
"#;

const CURL_YAML: &str = r#"apiVersion: v1
kind: ServiceAccount
metadata:
  name: curl
---
apiVersion: v1
kind: Service
metadata:
  name: curl
  labels:
    app: curl
    service: curl
spec:
  ports:
  - port: 80
    name: http
  selector:
    app: curl
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: curl
spec:
  replicas: 1
  selector:
    matchLabels:
      app: curl
  template:
    metadata:
      labels:
        app: curl
    spec:
      terminationGracePeriodSeconds: 0
      serviceAccountName: curl
      containers:
      - name: curl
        image: curlimages/curl
        command: ["/bin/sleep", "infinity"]
        imagePullPolicy: IfNotPresent
"#;

/// What the verify guide's overlay checks before the first step: istiod rolled out in cluster1,
/// Istio's CRDs in both clusters (an `istio-system` namespace in cluster2).
const ISTIO_SYSTEM: &str = r#"apiVersion: v1
kind: Namespace
metadata:
  name: istio-system
---
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: peerauthentications.security.istio.io
spec:
  group: security.istio.io
  scope: Namespaced
  names:
    kind: PeerAuthentication
    listKind: PeerAuthenticationList
    plural: peerauthentications
    singular: peerauthentication
    shortNames: [pa]
  versions:
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema:
        type: object
        x-kubernetes-preserve-unknown-fields: true
"#;

const ISTIOD: &str = r#"apiVersion: apps/v1
kind: Deployment
metadata:
  name: istiod
  namespace: istio-system
  labels:
    app: istiod
spec:
  replicas: 1
  selector:
    matchLabels:
      app: istiod
  template:
    metadata:
      labels:
        app: istiod
    spec:
      containers:
      - name: discovery
        image: docker.io/istio/pilot:1.26.0
"#;

fn kubectl_apply(kube: &FakeKube, context: &str, manifest: &str) {
    let out = kube.kubectl(context, &["apply", "-f", "-"], Some(manifest));
    assert!(
        out.status.success(),
        "kubectl apply on {context}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Two clusters that make workloads ready, with Istio "installed" as the prerequisites check it,
/// and a working directory holding the sample manifests the guide applies.
fn verify_setup() -> (FakeKube, tempfile::TempDir) {
    let kube = FakeKube::start_with(Options {
        c2_simulate: true,
        ..Default::default()
    });
    kubectl_apply(&kube, "c1", &format!("{ISTIO_SYSTEM}---\n{ISTIOD}"));
    kubectl_apply(&kube, "c2", ISTIO_SYSTEM);
    let work = tempfile::tempdir().unwrap();
    for (path, text) in [
        ("samples/helloworld/helloworld.yaml", HELLOWORLD_YAML),
        ("samples/curl/curl.yaml", CURL_YAML),
    ] {
        let path = work.path().join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    (kube, work)
}

/// The steps the fakes cannot serve: `istioctl`, and `kubectl exec` (no exec in fakekube).
const UNSERVABLE: [&str; 3] = [
    "verify_multicluster_1",
    "verifying_cross_cluster_traffic_1",
    "verifying_cross_cluster_traffic_3",
];

/// `--skip` for each unservable step, then `more`.
fn skipping<'a>(more: &[&'a str]) -> Vec<&'a str> {
    let mut args: Vec<&str> = UNSERVABLE.iter().flat_map(|id| ["--skip", id]).collect();
    args.extend_from_slice(more);
    args
}

const SHELL_STEPS: [&str; 6] = [
    "deploy_the_helloworld_service_1",
    "deploy_the_helloworld_service_2",
    "deploy_the_helloworld_service_3",
    "deploy_helloworld_v1_1",
    "deploy_helloworld_v2_1",
    "deploy_curl_1",
];

/// The `kubectl get pod` steps, the pod their expected output shows, and its context.
const POD_STEPS: [(&str, &str, &str); 4] = [
    ("deploy_helloworld_v1_2", "helloworld-v1", "c1"),
    ("deploy_helloworld_v2_2", "helloworld-v2", "c2"),
    ("deploy_curl_2", "curl", "c1"),
    ("deploy_curl_3", "curl", "c2"),
];

#[tokio::test]
async fn the_verify_guide_runs_its_kubectl_steps_and_waits_natively_for_pods() {
    let (kube, work) = verify_setup();
    let (out, text) = run(&kube, work.path(), VERIFY, &skipping(&["--json"]));
    assert_eq!(out.status.code(), Some(0), "{text}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    // The overlay's prerequisite was checked before the first step.
    for (check, context, target) in [
        ("kube.rollout", "c1", "deployment istio-system/istiod"),
        (
            "kube.exists",
            "c1",
            "customresourcedefinition peerauthentications.security.istio.io",
        ),
        ("kube.exists", "c2", "namespace istio-system"),
        (
            "kube.exists",
            "c2",
            "customresourcedefinition peerauthentications.security.istio.io",
        ),
    ] {
        assert!(
            results(&stderr, "PASS", check)
                .iter()
                .any(|l| l.split_whitespace().nth(2) == Some(context)
                    && l.contains(&format!("{target}:"))),
            "{check} {context} {target}\n{text}"
        );
    }
    assert!(results(&stderr, "FAIL", "").is_empty(), "{text}");
    let events = events(&out);
    for id in SHELL_STEPS {
        let step = finished(&events, id);
        assert_eq!(step["status"], "passed", "{id}\n{text}");
        assert_eq!(step["exit_status"], 0, "{id}\n{text}");
        assert_eq!(step["mode"], Value::Null, "{id}\n{text}");
    }
    for (id, prefix, context) in POD_STEPS {
        let step = finished(&events, id);
        assert_eq!(step["status"], "passed", "{id}\n{text}");
        assert_eq!(step["mode"], "native", "{id}\n{text}");
        let output = step["output"].as_str().unwrap();
        assert!(
            output.starts_with("PASS kube.pods-ready")
                && output.contains(&format!(
                    "Running and Ready in context {context}: {prefix}-"
                )),
            "{id}: {output}"
        );
    }
    for id in UNSERVABLE {
        let step = finished(&events, id);
        assert_eq!(step["status"], "skipped", "{id}\n{text}");
        assert_eq!(step["message"], "named by --skip", "{id}\n{text}");
    }
    let summary = of_type(&events, "run_finished")[0];
    assert_eq!(
        (&summary["status"], &summary["passed"], &summary["failed"]),
        (&json!("passed"), &json!(10), &json!(0)),
        "{text}"
    );

    // The guide's commands really changed the clusters.
    for context in ["c1", "c2"] {
        let ns: Api<Namespace> = Api::all(kube.client(context).await);
        let sample = ns.get("sample").await.unwrap();
        assert_eq!(
            sample
                .metadata
                .labels
                .unwrap_or_default()
                .get("istio-injection"),
            Some(&"enabled".to_owned()),
            "{context}"
        );
    }
}

#[tokio::test]
async fn without_native_checks_the_pod_listings_are_compared_and_show_the_missing_sidecar() {
    let (kube, work) = verify_setup();
    // --retry 0s: a listing that differs is not polled for 30 s; --keep-going: all four run.
    let (out, text) = run(
        &kube,
        work.path(),
        VERIFY,
        &skipping(&["--json", "--no-native", "--keep-going", "--retry", "0s"]),
    );
    let events = events(&out);
    for id in SHELL_STEPS {
        assert_eq!(finished(&events, id)["status"], "passed", "{id}\n{text}");
    }
    // The steps ran as the guide's `kubectl get pod` commands, compared `like` the guide's
    // output. fakekube injects no sidecar: its pods have one container and READY says 1/1
    // where the guide, written on a cluster with injection, says 2/2. Pod hashes and ages
    // differ too but `like` tolerates them; the READY count it must not.
    for (id, prefix, context) in POD_STEPS {
        let step = finished(&events, id);
        let started = events
            .iter()
            .find(|e| e["type"] == "step_started" && e["id"] == id)
            .unwrap();
        assert_eq!(
            started["commands"][0],
            format!(
                "kubectl get pod --context=\"{context}\" -n sample -l app={}",
                prefix.split('-').next().unwrap()
            ),
            "{id}\n{text}"
        );
        assert_eq!(step["mode"], "like", "{id}\n{text}");
        assert_eq!(step["status"], "failed", "{id}\n{text}");
        assert_eq!(step["exit_status"], 0, "{id}\n{text}");
        assert_eq!(step["attempts"], 1, "{id}\n{text}");
        let output = step["output"].as_str().unwrap();
        assert!(
            output.lines().any(|l| l.starts_with(&format!("{prefix}-"))
                && l.split_whitespace().nth(1) == Some("1/1")
                && l.split_whitespace().nth(2) == Some("Running")),
            "{id}: {output}"
        );
        let diff = step["diff"].as_str().unwrap();
        let removed: Vec<&str> = diff
            .lines()
            .filter(|l| l.starts_with('-') && !l.starts_with("---"))
            .collect();
        let added: Vec<&str> = diff
            .lines()
            .filter(|l| l.starts_with('+') && !l.starts_with("+++"))
            .collect();
        assert!(
            removed.len() == 1 && removed[0].contains("2/2"),
            "{id}: {diff}"
        );
        assert!(added.len() == 1 && added[0].contains("1/1"), "{id}: {diff}");
    }
    assert_eq!(out.status.code(), Some(1), "{text}");
    let summary = of_type(&events, "run_finished")[0];
    assert_eq!(
        (&summary["passed"], &summary["failed"]),
        (&json!(6), &json!(4)),
        "{text}"
    );
}

// ---------------------------------------------------------------------------- pod waits

fn pending_pod(name: &str) -> Pod {
    serde_json::from_value(json!({
        "metadata": {"name": name, "labels": {"app": "waiter"}},
        "spec": {"containers": [{"name": "app", "image": "registry.example/app:1"}]},
        "status": {"phase": "Pending", "conditions": [{"type": "PodScheduled", "status": "True"}],
                   "containerStatuses": [{"name": "app", "ready": false, "restartCount": 0,
                                          "image": "registry.example/app:1", "imageID": "",
                                          "state": {"waiting": {"reason": "ContainerCreating"}}}]}
    }))
    .unwrap()
}

fn ready_status() -> Value {
    json!({"status": {"phase": "Running",
        "conditions": [{"type": "PodScheduled", "status": "True"}, {"type": "Ready", "status": "True"},
                       {"type": "ContainersReady", "status": "True"}],
        "containerStatuses": [{"name": "app", "ready": true, "restartCount": 0,
                               "image": "registry.example/app:1", "imageID": "",
                               "state": {"running": {}}}]}})
}

/// One run of the wait fixture: a pod that is not ready in c2 (where nothing becomes ready on
/// its own), made ready `delay` after the wait step has started.
struct WaitRun {
    exit: Option<i32>,
    events: Vec<Value>,
    stderr: String,
    /// From the pod's status patch being sent, and being answered, to the `step_finished` event
    /// being read. The pod becomes Ready in between: the first is an upper bound of the wait's
    /// latency, the second a lower bound (docrun may finish before the answer reaches the test).
    latency: (Duration, Duration),
}

async fn wait_run(kube: &FakeKube, pods: &Api<Pod>, name: &str, delay: Duration) -> WaitRun {
    pods.create(&PostParams::default(), &pending_pod(name))
        .await
        .unwrap();
    let mut child = tokio::process::Command::from(docrun(
        kube,
        kube.dir.path(),
        WAIT,
        &[
            "--set",
            "CTX_CLUSTER2=c2",
            "--json",
            "--wait-timeout",
            "30s",
        ],
    ))
    .stdout(Stdio::piped())
    .stderr(Stdio::piped())
    .kill_on_drop(true)
    .spawn()
    .unwrap();
    let stderr = child.stderr.take().unwrap();
    let stderr = tokio::spawn(async move {
        let mut text = String::new();
        let mut lines = BufReader::new(stderr).lines();
        while let Ok(Some(l)) = lines.next_line().await {
            text.push_str(&l);
            text.push('\n');
        }
        text
    });
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut events = Vec::new();
    let mut ready_at: Option<(Instant, Instant)> = None;
    let mut latency = (Duration::ZERO, Duration::ZERO);
    let deadline = Duration::from_secs(30);
    while let Some(line) = tokio::time::timeout(deadline, lines.next_line())
        .await
        .expect("docrun said nothing for 30 s")
        .unwrap()
    {
        let event: Value = serde_json::from_str(&line).unwrap();
        if event["type"] == "step_started" && event["id"] == "wait_1" {
            tokio::time::sleep(delay).await;
            let sent = Instant::now();
            pods.patch_status(name, &PatchParams::default(), &Patch::Merge(ready_status()))
                .await
                .unwrap();
            ready_at = Some((sent, Instant::now()));
        }
        if event["type"] == "step_finished" && event["id"] == "wait_1" {
            if let Some((sent, answered)) = ready_at {
                latency = (sent.elapsed(), answered.elapsed());
            }
        }
        events.push(event);
    }
    let status = child.wait().await.unwrap();
    WaitRun {
        exit: status.code(),
        events,
        stderr: stderr.await.unwrap(),
        latency,
    }
}

async fn sample_namespace(client: &kube::Client) {
    let ns: Api<Namespace> = Api::all(client.clone());
    let sample = serde_json::from_value(json!({"metadata": {"name": "sample"}})).unwrap();
    ns.create(&PostParams::default(), &sample).await.unwrap();
}

#[tokio::test]
async fn a_native_wait_in_a_run_passes_when_the_pod_becomes_ready() {
    let kube = FakeKube::start();
    let client = kube.client("c2").await;
    sample_namespace(&client).await;
    let pods: Api<Pod> = Api::namespaced(client, "sample");
    let name = "waiter-7d4b9c8f6d-k8s2p";
    let run = wait_run(&kube, &pods, name, Duration::from_secs(1)).await;
    let text = format!("{:#?}\n--- stderr ---\n{}", run.events, run.stderr);
    assert_eq!(run.exit, Some(0), "{text}");
    let step = finished(&run.events, "wait_1");
    assert_eq!(step["status"], "passed", "{text}");
    assert_eq!(step["mode"], "native", "{text}");
    // The test patched the pod 1 s after reading `step_started`, so the wait lasted about that
    // long (a little slack for scheduling between the event and the step's clock). No upper
    // bound: a loaded machine may be slow.
    assert!(
        step["duration_ms"].as_u64().unwrap() >= 950,
        "the wait passed before the pod was ready\n{text}"
    );
    assert_eq!(
        step["output"],
        format!("PASS kube.pods-ready c2 pods in sample (selector app=waiter, name prefix waiter): 1 pod(s) Running and Ready in context c2: {name}\n"),
        "{text}"
    );
    assert_eq!(
        finished(&run.events, "after_1")["status"],
        "passed",
        "{text}"
    );
}

/// How long after a pod becomes Ready `docrun run`'s native wait step finishes, over ten runs:
/// from the status patch being sent (an upper bound) and being answered (a lower bound) to the
/// `step_finished` event being read.
/// `cargo test --test run_kube -- --ignored --nocapture wait_latency`
#[tokio::test]
#[ignore = "a measurement, not a test: prints figures"]
async fn wait_latency() {
    let kube = FakeKube::start();
    let client = kube.client("c2").await;
    sample_namespace(&client).await;
    let pods: Api<Pod> = Api::namespaced(client, "sample");
    let (mut upper, mut lower) = (Vec::new(), Vec::new());
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    for i in 0..10 {
        let name = format!("waiter-7d4b9c8f6d-run{i:02}");
        let run = wait_run(&kube, &pods, &name, Duration::from_millis(300)).await;
        assert_eq!(run.exit, Some(0), "{:#?}\n{}", run.events, run.stderr);
        println!(
            "run {i}: {:.1} ms from the patch sent, {:.1} ms from its answer",
            ms(run.latency.0),
            ms(run.latency.1)
        );
        upper.push(run.latency.0);
        lower.push(run.latency.1);
        pods.delete(&name, &DeleteParams::default()).await.unwrap();
    }
    for (what, mut figures) in [("patch sent", upper), ("patch answered", lower)] {
        figures.sort();
        println!(
            "pod Ready -> step_finished, from the {what}: median {:.1} ms (min {:.1}, max {:.1}) over {} runs",
            ms((figures[4] + figures[5]) / 2),
            ms(figures[0]),
            ms(figures[9]),
            figures.len()
        );
    }
}
