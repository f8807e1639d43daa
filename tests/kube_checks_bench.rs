//! Rough measurements of the native checks against fake API servers (ignored by default):
//!
//! ```text
//! cargo test --test kube_checks_bench -- --ignored --nocapture --test-threads=1
//! ```
//!
//! - 100 secret reads over two contexts: natively (one after the other, and all at once) vs
//!   100 `kubectl get secret` processes;
//! - the latency from a pod turning Ready (its status patched through the API) to a
//!   `kube.pods-ready` wait passing, median over 20 tries.
//!
//! Figures depend on the build profile and the machine; fakekube is a Python stand-in, so they
//! say more about docrun's overhead than about a real cluster's.

mod support;

use std::time::{Duration, Instant};

use docrun::check::{CheckSpec, CheckStatus};
use k8s_openapi::api::core::v1::{Namespace, Pod, Secret};
use kube::api::{Api, Patch, PatchParams, PostParams};
use serde_json::json;
use support::fakekube::FakeKube;

fn secret_spec(context: &str) -> CheckSpec {
    CheckSpec::Secret {
        context: context.into(),
        namespace: "istio-system".into(),
        name: "cacerts".into(),
        keys: vec!["ca-cert.pem".into()],
    }
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "benchmark: run with --ignored --nocapture"]
async fn secret_reads_native_vs_kubectl() {
    let kube = FakeKube::start();
    for c in ["c1", "c2"] {
        let client = kube.client(c).await;
        let ns: Api<Namespace> = Api::all(client.clone());
        ns.create(
            &PostParams::default(),
            &serde_json::from_value(json!({"metadata": {"name": "istio-system"}})).unwrap(),
        )
        .await
        .unwrap();
        let secrets: Api<Secret> = Api::namespaced(client, "istio-system");
        secrets
            .create(
                &PostParams::default(),
                &serde_json::from_value(
                    json!({"metadata": {"name": "cacerts"}, "stringData": {"ca-cert.pem": "x"}}),
                )
                .unwrap(),
            )
            .await
            .unwrap();
    }
    let specs: Vec<CheckSpec> = (0..100)
        .map(|i| secret_spec(if i % 2 == 0 { "c1" } else { "c2" }))
        .collect();
    let checker = kube.checker();
    // Warm up: build both clients (TLS handshake for c2).
    checker.run_all(&specs[..2], Duration::from_secs(5)).await;

    let start = Instant::now();
    for s in &specs {
        let r = checker.run(s, Duration::from_secs(5)).await;
        assert_eq!(r[0].status, CheckStatus::Passed, "{}", r[0].message);
    }
    let sequential = start.elapsed();

    let start = Instant::now();
    let results = checker.run_all(&specs, Duration::from_secs(5)).await;
    let concurrent = start.elapsed();
    assert!(results.iter().all(|r| r.status == CheckStatus::Passed));

    // kubectl: warm its discovery cache once per context, then 100 processes.
    for c in ["c1", "c2"] {
        assert!(kube
            .kubectl(
                c,
                &[
                    "get",
                    "secret",
                    "cacerts",
                    "-n",
                    "istio-system",
                    "-o",
                    "name"
                ],
                None
            )
            .status
            .success());
    }
    let start = Instant::now();
    for i in 0..100 {
        let c = if i % 2 == 0 { "c1" } else { "c2" };
        let out = kube.kubectl(
            c,
            &[
                "get",
                "secret",
                "cacerts",
                "-n",
                "istio-system",
                "-o",
                "name",
            ],
            None,
        );
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let kubectl = start.elapsed();

    println!("100 secret reads over 2 contexts:");
    println!(
        "  native, one after the other: {sequential:?} ({:?} each)",
        sequential / 100
    );
    println!("  native, run_all concurrently: {concurrent:?}");
    println!(
        "  kubectl get secret processes: {kubectl:?} ({:?} each)",
        kubectl / 100
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "benchmark: run with --ignored --nocapture"]
async fn pod_ready_to_wait_passed_latency() {
    let kube = FakeKube::start();
    let client = kube.client("c2").await;
    let ns: Api<Namespace> = Api::all(client.clone());
    ns.create(
        &PostParams::default(),
        &serde_json::from_value(json!({"metadata": {"name": "sample"}})).unwrap(),
    )
    .await
    .unwrap();
    let pods: Api<Pod> = Api::namespaced(client, "sample");
    let checker = kube.checker();
    let mut after_response = Vec::new();
    let mut after_request = Vec::new();
    for i in 0..20 {
        let name = format!("helloworld-v{i}-776f57d5f6-s7zfc");
        let pod: Pod = serde_json::from_value(json!({"metadata": {"name": name, "labels": {"app": "helloworld"}},
            "spec": {"containers": [{"name": "app", "image": "app"}]}, "status": {"phase": "Pending"}}))
        .unwrap();
        pods.create(&PostParams::default(), &pod).await.unwrap();
        let spec = CheckSpec::PodsReady {
            context: "c2".into(),
            namespace: "sample".into(),
            selector: None,
            name_prefix: Some(format!("helloworld-v{i}")),
            count: None,
        };
        let wait = async {
            let r = checker.run(&spec, Duration::from_secs(10)).await;
            (r, Instant::now())
        };
        let ready = async {
            tokio::time::sleep(Duration::from_millis(150)).await;
            let sent = Instant::now();
            pods.patch_status(
                &name,
                &PatchParams::default(),
                &Patch::Merge(json!({"status": {"phase": "Running",
                    "conditions": [{"type": "Ready", "status": "True"}]}})),
            )
            .await
            .unwrap();
            (sent, Instant::now())
        };
        let ((r, passed), (sent, answered)) = tokio::join!(wait, ready);
        assert_eq!(r[0].status, CheckStatus::Passed, "{}", r[0].message);
        after_request.push(passed - sent);
        after_response.push(passed.saturating_duration_since(answered));
    }
    println!("pod Ready → kube.pods-ready passed, 20 tries:");
    println!(
        "  from sending the status patch: median {:?} (max {:?})",
        median(after_request.clone()),
        after_request.iter().max().unwrap()
    );
    println!(
        "  from its answer: median {:?} (max {:?})",
        median(after_response.clone()),
        after_response.iter().max().unwrap()
    );
}
