//! End-to-end tests of docrun's native checks against two fake API servers (fakekube: a test
//! double, not Kubernetes; see tests/fakekube/fakekube.py). Each test starts its own pair of
//! servers (about 0.2 s), so the tests run in parallel without sharing state.

mod support;

use std::fmt::Debug;
use std::time::{Duration, Instant};

use docrun::check::{CheckResult, CheckSpec, CheckStatus};
use docrun::checker::Checker;
use k8s_openapi::api::apps::v1::{DaemonSet, Deployment, StatefulSet};
use k8s_openapi::api::core::v1::{ConfigMap, Namespace, Pod};
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use kube::api::{
    Api, ApiResource, DynamicObject, GroupVersionKind, Patch, PatchParams, PostParams,
};
use kube::Client;
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::json;
use support::fakekube::{free_port, ContextEntry, FakeKube, Options, C2_TOKEN};
use support::faultproxy::FaultProxy;
use support::pki::{Cert, Pki};
use support::trust::{cacerts, put_cacerts};

const WAIT: Duration = Duration::from_secs(10);

async fn create<K>(api: &Api<K>, v: serde_json::Value) -> K
where
    K: Clone + DeserializeOwned + Serialize + Debug,
{
    api.create(&PostParams::default(), &serde_json::from_value(v).unwrap())
        .await
        .unwrap()
}

async fn namespace(client: &Client, name: &str) {
    let api: Api<Namespace> = Api::all(client.clone());
    if api.get_opt(name).await.unwrap().is_none() {
        create(&api, json!({"metadata": {"name": name}})).await;
    }
}

/// The root, two intermediates signed by it, and an independent root with its own intermediate.
struct Trust {
    root_a: Cert,
    inter1: Cert,
    inter2: Cert,
    root_b: Cert,
    inter_b: Cert,
}

impl Trust {
    fn new(pki: &Pki) -> Trust {
        let root_a = pki.root("root-a", "Root A");
        let root_b = pki.root("root-b", "Root B");
        Trust {
            inter1: pki.intermediate("inter-1", "Intermediate cluster1", &root_a),
            inter2: pki.intermediate("inter-2", "Intermediate cluster2", &root_a),
            inter_b: pki.intermediate("inter-b", "Intermediate B", &root_b),
            root_a,
            root_b,
        }
    }
}

fn spec(yaml: &str) -> CheckSpec {
    serde_yaml::from_str(yaml).unwrap_or_else(|e| panic!("{yaml}: {e}"))
}

fn show(results: &[CheckResult]) -> String {
    results
        .iter()
        .map(|r| {
            format!(
                "{} {:?} [{:?}] {}: {}",
                r.check, r.context, r.status, r.target, r.message
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

async fn run1(checker: &Checker, yaml: &str) -> CheckResult {
    let mut r = checker.run(&spec(yaml), WAIT).await;
    assert_eq!(r.len(), 1, "{}", show(&r));
    r.remove(0)
}

fn deployment(name: &str, replicas: i32) -> serde_json::Value {
    json!({"metadata": {"name": name}, "spec": {"replicas": replicas,
        "selector": {"matchLabels": {"app": name}},
        "template": {"metadata": {"labels": {"app": name}},
                     "spec": {"containers": [{"name": "app", "image": "registry.example/app:1"}]}}}})
}

#[tokio::test]
async fn a_prepared_pair_of_clusters_passes_every_check() {
    let kube = FakeKube::start();
    let (k1, k2) = (kube.client("c1").await, kube.client("c2").await);
    let t = Trust::new(&kube.pki);
    put_cacerts(&k1, &cacerts(&t.root_a, &t.inter1)).await;
    put_cacerts(&k2, &cacerts(&t.root_a, &t.inter2)).await;
    let cms: Api<ConfigMap> = Api::namespaced(k1.clone(), "istio-system");
    create(
        &cms,
        json!({"metadata": {"name": "istio"}, "data": {"mesh": "{}"}}),
    )
    .await;
    let deps: Api<Deployment> = Api::namespaced(k1.clone(), "default");
    create(&deps, deployment("helloworld-v1", 2)).await;

    let specs: Vec<CheckSpec> = serde_yaml::from_str(
        r#"
- {check: kube.context, context: c1}
- {check: kube.context, context: c2}
- {check: kube.reachable, context: c2}
- {check: kube.version, context: c1, versions: ["1.29", "1.30"]}
- {check: kube.version, context: c2, versions: ["v1.31"]}
- {check: kube.distinct, contexts: [c1, c2]}
- {check: kube.secret, context: c2, namespace: istio-system, name: cacerts, keys: [ca-cert.pem, ca-key.pem, root-cert.pem, cert-chain.pem]}
- {check: kube.exists, context: c1, api-version: v1, kind: ConfigMap, namespace: istio-system, name: istio}
- {check: kube.absent, context: c2, api-version: v1, kind: ConfigMap, namespace: istio-system, name: istio}
- {check: kube.pods-ready, context: c1, namespace: default, selector: app=helloworld-v1, name-prefix: helloworld-v1, count: 2}
- {check: kube.rollout, context: c1, namespace: default, kind: Deployment, name: helloworld-v1}
- {check: kube.condition, context: c1, api-version: apps/v1, kind: Deployment, namespace: default, name: helloworld-v1, condition: Available}
- {check: trust.common-root, contexts: [c1, c2]}
"#,
    )
    .unwrap();
    let start = Instant::now();
    let results = kube.checker().run_all(&specs, WAIT).await;
    let took = start.elapsed();
    let text = show(&results);
    // In spec order; common-root gives one result per context plus the comparison.
    let names: Vec<&str> = results.iter().map(|r| r.check.as_str()).collect();
    let mut expected: Vec<&str> = specs.iter().map(|s| s.name()).collect();
    expected.extend(["trust.common-root", "trust.common-root"]);
    assert_eq!(names, expected, "{text}");
    for r in &results {
        let want = if r.check == "kube.reachable" {
            CheckStatus::Warning // every fake server is on 127.0.0.1
        } else {
            CheckStatus::Passed
        };
        assert_eq!(r.status, want, "{text}");
    }
    let reach = &results[2];
    assert!(
        reach
            .message
            .contains(&format!("the API server of context c2 at {}", kube.c2.url))
            && reach
                .message
                .contains("is on loopback: other clusters cannot reach it"),
        "{}",
        reach.message
    );
    let roots = &results[results.len() - 1];
    assert!(
        roots
            .message
            .starts_with("c1, c2 share the root O=docrun tests, CN=Root A (SHA256 "),
        "{}",
        roots.message
    );
    assert!(
        !text.contains("PRIVATE KEY") && !text.contains("BEGIN CERTIFICATE"),
        "{text}"
    );
    assert!(took < Duration::from_secs(5), "checks took {took:?}");
}

#[tokio::test]
async fn the_kubeconfig_comes_from_several_files_in_kubeconfig() {
    // The only test of this binary that touches KUBECONFIG.
    let kube = FakeKube::start();
    let (one, two) = (
        kube.dir.path().join("one.yaml"),
        kube.dir.path().join("two.yaml"),
    );
    let entry = |name: &str, server: &str, ca: bool, token: &str| ContextEntry {
        name: name.into(),
        server: server.into(),
        ca: ca.then(|| kube.tls_ca.cert.clone()),
        token: token.into(),
        insecure: false,
    };
    kube.write_kubeconfig(&one, &[entry("c1", &kube.c1.url, false, "x")]);
    kube.write_kubeconfig(&two, &[entry("c2", &kube.c2.url, true, C2_TOKEN)]);
    std::env::set_var("KUBECONFIG", format!("{}:{}", one.display(), two.display()));
    let checker = Checker::from_env().unwrap();
    assert_eq!(checker.contexts(), vec!["c1", "c2"]);
    let r = run1(&checker, "{check: kube.distinct, contexts: [c1, c2]}").await;
    assert_eq!(r.status, CheckStatus::Passed, "{}", r.message);

    std::env::set_var("KUBECONFIG", kube.dir.path().join("missing.yaml"));
    let err = Checker::from_env()
        .err()
        .expect("a missing kubeconfig is an error");
    assert!(
        err.to_string().starts_with(&format!(
            "cannot read the kubeconfig (KUBECONFIG={}): ",
            kube.dir.path().join("missing.yaml").display()
        )),
        "{err}"
    );
    std::env::remove_var("KUBECONFIG");
}

#[tokio::test]
async fn a_wrong_server_version_fails_with_found_and_expected() {
    let kube = FakeKube::start_with(Options {
        c1_version: "v1.28.3".into(),
        ..Options::default()
    });
    let checker = kube.checker();
    let r = run1(
        &checker,
        r#"{check: kube.version, context: c1, versions: ["1.29", "1.30", "1.31"]}"#,
    )
    .await;
    assert_eq!(r.status, CheckStatus::Failed);
    assert_eq!(
        r.message,
        "context c1 runs Kubernetes 1.28 (v1.28.3), but this guide supports 1.29, 1.30, 1.31: use a cluster of \
         a supported version"
    );
    let r = run1(
        &checker,
        r#"{check: kube.version, context: c2, versions: ["1.29", "1.30"]}"#,
    )
    .await;
    assert_eq!(r.status, CheckStatus::Failed, "{}", r.message);
    assert!(
        r.message.contains("runs Kubernetes 1.31 (v1.31.0)"),
        "{}",
        r.message
    );
}

#[tokio::test]
async fn contexts_on_the_same_cluster_are_not_distinct() {
    let kube = FakeKube::start();
    let by_name = kube.c1.url.replace("127.0.0.1", "localhost");
    let checker = Checker::from_kubeconfig(kube.kubeconfig_with(&[
        ("c1-again", kube.c1.url.as_str()),
        ("c1-by-name", by_name.as_str()),
    ]));
    let r = run1(
        &checker,
        "{check: kube.distinct, contexts: [c1, c2, c1-again]}",
    )
    .await;
    assert_eq!(r.status, CheckStatus::Failed);
    assert_eq!(
        r.message,
        format!(
            "contexts c1 and c1-again point at the same API server {}: the guide needs different clusters; point \
             one of them at another cluster",
            kube.c1.url
        )
    );
    // Different URLs, same cluster: caught by the kube-system namespace uid.
    let r = run1(
        &checker,
        "{check: kube.distinct, contexts: [c1-by-name, c2, c1]}",
    )
    .await;
    assert_eq!(r.status, CheckStatus::Failed);
    assert!(
        r.message.starts_with(
            "contexts c1-by-name and c1 reach the same cluster (namespace kube-system has uid"
        ),
        "{}",
        r.message
    );
    let r = run1(&checker, "{check: kube.distinct, contexts: [c1, c2]}").await;
    assert_eq!(r.status, CheckStatus::Passed, "{}", r.message);
}

#[tokio::test]
async fn a_missing_cacerts_key_is_named() {
    let kube = FakeKube::start();
    let (k1, k2) = (kube.client("c1").await, kube.client("c2").await);
    let t = Trust::new(&kube.pki);
    let mut partial = cacerts(&t.root_a, &t.inter1);
    partial.retain(|(k, _)| *k != "ca-key.pem");
    put_cacerts(&k1, &partial).await;
    put_cacerts(&k2, &cacerts(&t.root_a, &t.inter2)).await;
    let checker = kube.checker();
    let results = checker
        .run(
            &spec("{check: trust.common-root, contexts: [c1, c2]}"),
            WAIT,
        )
        .await;
    let text = show(&results);
    assert_eq!(results.len(), 3, "{text}");
    assert_eq!(results[0].context.as_deref(), Some("c1"));
    assert_eq!(results[0].status, CheckStatus::Failed, "{text}");
    assert_eq!(
        results[0].message,
        "secret istio-system/cacerts in context c1 lacks key(s) ca-key.pem; it has ca-cert.pem, cert-chain.pem, \
         root-cert.pem. Recreate it with all of ca-cert.pem, ca-key.pem, root-cert.pem, cert-chain.pem"
    );
    assert_eq!(results[1].status, CheckStatus::Passed, "{text}");
    assert_eq!(results[2].status, CheckStatus::Failed, "{text}");
    assert!(
        results[2].message.contains("no usable cacerts in c1"),
        "{text}"
    );

    let r = run1(
        &checker,
        "{check: kube.secret, context: c1, namespace: istio-system, name: cacerts, keys: [ca-cert.pem, ca-key.pem]}",
    )
    .await;
    assert_eq!(r.status, CheckStatus::Failed);
    assert_eq!(
        r.message,
        "secret istio-system/cacerts in context c1 lacks key(s) ca-key.pem; it holds keys ca-cert.pem, \
         cert-chain.pem, root-cert.pem"
    );
    // A cluster without the secret at all.
    let r = checker
        .run(
            &spec("{check: trust.common-root, contexts: [c1, c2], namespace: other-ns}"),
            WAIT,
        )
        .await;
    assert!(
        r[0].message
            .starts_with("secret other-ns/cacerts not found in context c1"),
        "{}",
        show(&r)
    );
}

#[tokio::test]
async fn clusters_with_different_roots_fail_the_comparison() {
    let kube = FakeKube::start();
    let (k1, k2) = (kube.client("c1").await, kube.client("c2").await);
    let t = Trust::new(&kube.pki);
    put_cacerts(&k1, &cacerts(&t.root_a, &t.inter1)).await;
    put_cacerts(&k2, &cacerts(&t.root_b, &t.inter_b)).await;
    let results = kube
        .checker()
        .run(
            &spec("{check: trust.common-root, contexts: [c1, c2]}"),
            WAIT,
        )
        .await;
    let text = show(&results);
    assert_eq!(results[0].status, CheckStatus::Passed, "{text}");
    assert_eq!(results[1].status, CheckStatus::Passed, "{text}");
    let cmp = &results[2];
    assert_eq!(cmp.status, CheckStatus::Failed, "{text}");
    assert_eq!(cmp.context, None);
    assert!(
        cmp.message.starts_with(
            "the clusters do not share a root: c1 has O=docrun tests, CN=Root A (SHA256 "
        ) && cmp
            .message
            .contains("c2 has O=docrun tests, CN=Root B (SHA256 ")
            && cmp
                .message
                .contains("plug in intermediates signed by one shared root"),
        "{}",
        cmp.message
    );
}

#[tokio::test]
async fn an_intermediate_not_signed_by_the_root_fails() {
    let kube = FakeKube::start();
    let (k1, k2) = (kube.client("c1").await, kube.client("c2").await);
    let t = Trust::new(&kube.pki);
    put_cacerts(&k1, &cacerts(&t.root_a, &t.inter1)).await;
    // c2 claims root A but its intermediate comes from root B.
    let mut wrong = cacerts(&t.root_a, &t.inter_b);
    wrong[3].1 = format!("{}{}", t.inter_b.cert_pem, t.root_a.cert_pem);
    put_cacerts(&k2, &wrong).await;
    // And a chain without the root: a warning.
    let results = kube
        .checker()
        .run(
            &spec("{check: trust.common-root, contexts: [c1, c2]}"),
            WAIT,
        )
        .await;
    let text = show(&results);
    assert_eq!(results[0].status, CheckStatus::Passed, "{text}");
    assert_eq!(results[1].status, CheckStatus::Failed, "{text}");
    assert!(
        results[1].message.starts_with(
            "secret istio-system/cacerts in context c2: the intermediate in ca-cert.pem, O=docrun tests, CN=Intermediate B"
        ) && results[1].message.contains("issued by O=docrun tests, CN=Root B, is not signed by the root in root-cert.pem, O=docrun tests, CN=Root A"),
        "{text}"
    );
    assert_eq!(results[2].status, CheckStatus::Failed, "{text}");
}

#[tokio::test]
async fn a_chain_without_the_root_is_a_warning() {
    let kube = FakeKube::start();
    let k1 = kube.client("c1").await;
    let t = Trust::new(&kube.pki);
    let mut data = cacerts(&t.root_a, &t.inter1);
    data[3].1 = t.inter1.cert_pem.clone();
    put_cacerts(&k1, &data).await;
    let results = kube
        .checker()
        .run(&spec("{check: trust.common-root, contexts: [c1]}"), WAIT)
        .await;
    assert_eq!(
        results[0].status,
        CheckStatus::Warning,
        "{}",
        show(&results)
    );
    assert!(results[0]
        .message
        .contains("cert-chain.pem ends with O=docrun tests, CN=Intermediate cluster1"));
    assert_eq!(results[1].status, CheckStatus::Passed, "{}", show(&results));
}

#[tokio::test]
async fn an_unreachable_server_fails_fast_and_is_named() {
    let kube = FakeKube::start();
    let port = free_port();
    let gone = format!("http://127.0.0.1:{port}");
    // A server that accepts connections but never answers.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let silent_url = format!("http://127.0.0.1:{}", silent.local_addr().unwrap().port());
    let checker = Checker::from_kubeconfig(
        kube.kubeconfig_with(&[("gone", gone.as_str()), ("silent", silent_url.as_str())]),
    )
    .with_timeout(Duration::from_millis(500));
    let specs: Vec<CheckSpec> = [
        "{check: kube.reachable, context: gone}",
        "{check: kube.version, context: gone, versions: ['1.30']}",
        "{check: kube.secret, context: gone, namespace: istio-system, name: cacerts, keys: [a]}",
        "{check: kube.exists, context: gone, api-version: v1, kind: ConfigMap, namespace: x, name: y}",
        "{check: kube.pods-ready, context: gone, namespace: sample}",
        "{check: kube.rollout, context: gone, namespace: sample, kind: Deployment, name: web}",
        "{check: kube.distinct, contexts: [c1, gone]}",
        "{check: kube.reachable, context: silent}",
        "{check: kube.pods-ready, context: silent, namespace: sample}",
    ]
    .iter()
    .map(|y| spec(y))
    .collect();
    let start = Instant::now();
    let results = checker.run_all(&specs, Duration::from_secs(30)).await;
    let took = start.elapsed();
    let text = show(&results);
    assert!(took < Duration::from_secs(3), "took {took:?}\n{text}");
    for r in &results[..7] {
        assert_eq!(r.status, CheckStatus::Failed, "{text}");
        assert!(
            r.message.contains(&format!(
                "cannot reach the API server of context gone at {gone}"
            )),
            "{text}"
        );
    }
    for r in &results[7..] {
        assert_eq!(r.status, CheckStatus::Failed, "{text}");
        assert!(
            r.message.contains(&format!(
                "the API server of context silent at {silent_url} did not answer within 500ms"
            )),
            "{text}"
        );
    }
}

#[tokio::test]
async fn bad_credentials_and_unknown_cas_are_explained() {
    let kube = FakeKube::start();
    let entry = |name: &str, ca: bool, token: &str| ContextEntry {
        name: name.into(),
        server: kube.c2.url.clone(),
        ca: ca.then(|| kube.tls_ca.cert.clone()),
        token: token.into(),
        insecure: false,
    };
    let insecure = ContextEntry {
        insecure: true,
        ..entry("insecure", false, C2_TOKEN)
    };
    let checker = Checker::from_kubeconfig(kube.kubeconfig_with_entries(vec![
        entry("untrusted", false, C2_TOKEN),
        entry("wrong-token", true, "nope"),
        insecure,
    ]));
    let r = run1(
        &checker,
        "{check: kube.version, context: insecure, versions: ['1.31']}",
    )
    .await;
    assert_eq!(
        r.status,
        CheckStatus::Passed,
        "insecure-skip-tls-verify: {}",
        r.message
    );
    let r = run1(&checker, "{check: kube.reachable, context: untrusted}").await;
    assert_eq!(r.status, CheckStatus::Failed);
    assert_eq!(
        r.message,
        format!(
            "cannot reach the API server of context untrusted at {}: invalid peer certificate: UnknownIssuer; \
             does the certificate-authority of the context's cluster match the server's certificate?",
            kube.c2.url
        )
    );
    let r = run1(
        &checker,
        "{check: kube.secret, context: wrong-token, namespace: a, name: b, keys: [c]}",
    )
    .await;
    assert_eq!(r.status, CheckStatus::Failed);
    assert_eq!(
        r.message,
        format!(
            "the API server of context wrong-token at {} answered 401 Unauthorized: Unauthorized: check the \
             credentials of the context (token or client certificate)",
            kube.c2.url
        )
    );
}

fn pod(name: &str, app: &str) -> serde_json::Value {
    json!({"metadata": {"name": name, "labels": {"app": app}},
           "spec": {"containers": [{"name": "app", "image": "registry.example/app:1"}]},
           "status": {"phase": "Pending", "conditions": [{"type": "PodScheduled", "status": "True"}],
                      "containerStatuses": [{"name": "app", "ready": false, "restartCount": 0, "image": "registry.example/app:1",
                                             "imageID": "", "state": {"waiting": {"reason": "ContainerCreating"}}}]}})
}

fn ready_status() -> serde_json::Value {
    json!({"status": {"phase": "Running",
        "conditions": [{"type": "PodScheduled", "status": "True"}, {"type": "Ready", "status": "True"},
                       {"type": "ContainersReady", "status": "True"}],
        "containerStatuses": [{"name": "app", "ready": true, "restartCount": 0, "image": "registry.example/app:1",
                               "imageID": "", "state": {"running": {}}}]}})
}

#[tokio::test]
async fn a_pod_wait_passes_when_the_pod_becomes_ready() {
    let kube = FakeKube::start();
    let k2 = kube.client("c2").await;
    namespace(&k2, "sample").await;
    let pods: Api<Pod> = Api::namespaced(k2.clone(), "sample");
    create(&pods, pod("helloworld-v1-776f57d5f6-s7zfc", "helloworld")).await;
    create(&pods, pod("helloworld-v2-5d4f8b9c7d-x2x9q", "helloworld")).await;
    let checker = kube.checker();

    let ready_v1 = spec(
        "{check: kube.pods-ready, context: c2, namespace: sample, selector: app=helloworld, name-prefix: helloworld-v1}",
    );
    let wait = checker.run(&ready_v1, WAIT);
    let make_ready = async {
        tokio::time::sleep(Duration::from_millis(300)).await;
        pods.patch_status(
            "helloworld-v1-776f57d5f6-s7zfc",
            &PatchParams::default(),
            &Patch::Merge(ready_status()),
        )
        .await
        .unwrap();
        Instant::now()
    };
    let (results, ready_at) = tokio::join!(wait, make_ready);
    let passed_at = Instant::now();
    let r = &results[0];
    assert_eq!(r.status, CheckStatus::Passed, "{}", r.message);
    assert_eq!(
        r.message,
        "1 pod(s) Running and Ready in context c2: helloworld-v1-776f57d5f6-s7zfc"
    );
    assert!(
        r.duration >= Duration::from_millis(300),
        "passed before the pod was ready"
    );
    assert!(
        passed_at - ready_at < Duration::from_secs(1),
        "the wait lagged"
    );

    // The other pod never becomes ready, and no pod matches app=nothing: the failures say what
    // was seen last. (One second: the initial list must be in before the timeout.)
    let v2 = spec(
        "{check: kube.pods-ready, context: c2, namespace: sample, name-prefix: helloworld-v2}",
    );
    let nothing =
        spec("{check: kube.pods-ready, context: c2, namespace: sample, selector: app=nothing}");
    let specs = [v2, nothing];
    let r = checker.run_all(&specs, Duration::from_secs(1)).await;
    assert_eq!(r[0].status, CheckStatus::Failed);
    assert_eq!(
        r[0].message,
        "pods in sample (name prefix helloworld-v2) in context c2 are not ready: timed out after 1s; last \
         seen: pod helloworld-v2-5d4f8b9c7d-x2x9q is Pending, 0/1 ready (app: ContainerCreating)"
    );
    assert!(
        r[1].message
            .ends_with("timed out after 1s; last seen: no matching pod in namespace sample"),
        "{}",
        r[1].message
    );
}

#[tokio::test]
async fn rollouts_follow_workloads() {
    let kube = FakeKube::start();
    let (k1, k2) = (kube.client("c1").await, kube.client("c2").await);
    namespace(&k1, "sample").await;
    let deps: Api<Deployment> = Api::namespaced(k1.clone(), "sample");
    create(&deps, deployment("helloworld-v1", 2)).await;
    let sts: Api<StatefulSet> = Api::namespaced(k1.clone(), "sample");
    let mut s = deployment("db", 2);
    s["spec"]["serviceName"] = json!("db");
    create(&sts, s).await;
    let ds: Api<DaemonSet> = Api::namespaced(k1.clone(), "sample");
    let mut d = deployment("ztunnel", 1);
    d["spec"].as_object_mut().unwrap().remove("replicas");
    create(&ds, d).await;

    let checker = kube.checker();
    let specs: Vec<CheckSpec> = [
        "{check: kube.rollout, context: c1, namespace: sample, kind: Deployment, name: helloworld-v1}",
        "{check: kube.rollout, context: c1, namespace: sample, kind: StatefulSet, name: db}",
        "{check: kube.rollout, context: c1, namespace: sample, kind: DaemonSet, name: ztunnel}",
        "{check: kube.pods-ready, context: c1, namespace: sample, name-prefix: db, count: 2}",
        "{check: kube.pods-ready, context: c1, namespace: sample, name-prefix: helloworld-v1, count: 2}",
    ]
    .iter()
    .map(|y| spec(y))
    .collect();
    let results = checker.run_all(&specs, WAIT).await;
    let text = show(&results);
    assert!(
        results.iter().all(|r| r.status == CheckStatus::Passed),
        "{text}"
    );
    assert_eq!(
        results[0].message,
        "deployment helloworld-v1 rolled out: 2/2 replicas available in context c1"
    );

    // Created after the wait started: the wait sees it appear.
    let late =
        spec("{check: kube.rollout, context: c1, namespace: sample, kind: Deployment, name: late}");
    let wait = checker.run(&late, WAIT);
    let later = async {
        tokio::time::sleep(Duration::from_millis(200)).await;
        create(&deps, deployment("late", 1)).await;
    };
    let (r, ()) = tokio::join!(wait, later);
    assert_eq!(r[0].status, CheckStatus::Passed, "{}", show(&r));

    // Without controllers (c2) nothing rolls out.
    namespace(&k2, "sample").await;
    let deps2: Api<Deployment> = Api::namespaced(k2.clone(), "sample");
    create(&deps2, deployment("helloworld-v1", 1)).await;
    let r = checker
        .run(
            &spec("{check: kube.rollout, context: c2, namespace: sample, kind: Deployment, name: helloworld-v1}"),
            Duration::from_secs(1),
        )
        .await;
    assert_eq!(r[0].status, CheckStatus::Failed);
    assert_eq!(
        r[0].message,
        "deployment sample/helloworld-v1 in context c2 has not rolled out: timed out after 1s; last seen: \
         deployment helloworld-v1 has no status yet (no controller has seen it)"
    );
    let r = run1(
        &checker,
        "{check: kube.rollout, context: c2, namespace: sample, kind: Job, name: x}",
    )
    .await;
    assert_eq!(
        r.message,
        "kube.rollout follows Deployment, StatefulSet or DaemonSet, not Job"
    );
}

#[tokio::test]
async fn objects_of_any_kind_exist_or_not() {
    let kube = FakeKube::start();
    let k2 = kube.client("c2").await;
    namespace(&k2, "istio-system").await;
    let cms: Api<ConfigMap> = Api::namespaced(k2.clone(), "istio-system");
    create(&cms, json!({"metadata": {"name": "istio"}})).await;
    let crds: Api<CustomResourceDefinition> = Api::all(k2.clone());
    create(
        &crds,
        json!({"metadata": {"name": "widgets.example.com"}, "spec": {"group": "example.com", "scope": "Namespaced",
            "names": {"plural": "widgets", "singular": "widget", "kind": "Widget", "listKind": "WidgetList"},
            "versions": [{"name": "v1", "served": true, "storage": true,
                          "schema": {"openAPIV3Schema": {"type": "object", "x-kubernetes-preserve-unknown-fields": true}}}]}}),
    )
    .await;
    let ar = ApiResource::from_gvk(&GroupVersionKind::gvk("example.com", "v1", "Widget"));
    let widgets: Api<DynamicObject> = Api::namespaced_with(k2.clone(), "istio-system", &ar);
    widgets
        .create(
            &PostParams::default(),
            &DynamicObject::new("blue", &ar).data(json!({"spec": {"size": 3}})),
        )
        .await
        .unwrap();

    let checker = kube.checker();
    let specs: Vec<CheckSpec> = [
        "{check: kube.exists, context: c2, api-version: v1, kind: ConfigMap, namespace: istio-system, name: istio}",
        "{check: kube.absent, context: c2, api-version: v1, kind: ConfigMap, namespace: istio-system, name: other}",
        "{check: kube.exists, context: c2, api-version: example.com/v1, kind: Widget, namespace: istio-system, name: blue}",
        "{check: kube.absent, context: c2, api-version: example.com/v1, kind: Widget, namespace: istio-system, name: red}",
        "{check: kube.exists, context: c2, api-version: apiextensions.k8s.io/v1, kind: CustomResourceDefinition, name: widgets.example.com}",
        "{check: kube.absent, context: c2, api-version: gadgets.example.com/v1, kind: Gadget, name: g}",
        "{check: kube.condition, context: c2, api-version: apiextensions.k8s.io/v1, kind: CustomResourceDefinition, name: widgets.example.com, condition: Established}",
    ]
    .iter()
    .map(|y| spec(y))
    .collect();
    let results = checker.run_all(&specs, WAIT).await;
    let text = show(&results);
    assert!(
        results.iter().all(|r| r.status == CheckStatus::Passed),
        "{text}"
    );

    let r = run1(&checker, "{check: kube.exists, context: c2, api-version: v1, kind: ConfigMap, namespace: istio-system, name: other}").await;
    assert_eq!(r.status, CheckStatus::Failed);
    assert_eq!(r.target, "configmap istio-system/other");
    assert!(
        r.message
            .starts_with("configmap istio-system/other not found in context c2"),
        "{}",
        r.message
    );
    let r = run1(&checker, "{check: kube.absent, context: c2, api-version: example.com/v1, kind: Widget, namespace: istio-system, name: blue}").await;
    assert_eq!(r.status, CheckStatus::Failed);
    assert!(
        r.message
            .starts_with("widget istio-system/blue still exists in context c2"),
        "{}",
        r.message
    );
    let r = run1(&checker, "{check: kube.exists, context: c2, api-version: example.com/v1, kind: Gadget, namespace: istio-system, name: g}").await;
    assert_eq!(r.status, CheckStatus::Failed);
    assert!(
        r.message.contains(&format!(
            "the API server of context c2 at {} does not serve kind Gadget in example.com/v1",
            kube.c2.url
        )),
        "{}",
        r.message
    );
    // A condition that never comes: the failure says what the object has.
    let r = checker
        .run(
            &spec("{check: kube.condition, context: c2, api-version: example.com/v1, kind: Widget, namespace: istio-system, name: blue, condition: Ready}"),
            Duration::from_secs(1),
        )
        .await;
    assert!(
        r[0].message.ends_with("last seen: widget istio-system/blue has no condition Ready (the object has no status conditions)"),
        "{}",
        r[0].message
    );
}

/// A context `name` whose server is a fault proxy (`mode`) in front of c1.
fn behind_proxy(kube: &FakeKube, name: &str, mode: &str) -> (FaultProxy, Checker) {
    let proxy = FaultProxy::start(&kube.c1.url, mode, kube.dir.path());
    let checker = Checker::from_kubeconfig(kube.kubeconfig_with(&[(name, proxy.url.as_str())]));
    (proxy, checker)
}

#[tokio::test]
async fn transient_errors_of_reads_are_retried_within_the_call_timeout() {
    let kube = FakeKube::start();
    namespace(&kube.client("c1").await, "sample").await;
    // The first two requests get 500: /version, then discovery.
    let (proxy, checker) = behind_proxy(&kube, "flaky", "e500:2");
    let r = run1(&checker, "{check: kube.reachable, context: flaky}").await;
    assert_ne!(r.status, CheckStatus::Failed, "{}", r.message);
    let r = run1(
        &checker,
        "{check: kube.exists, context: flaky, api-version: v1, kind: Namespace, name: sample}",
    )
    .await;
    assert_eq!(r.status, CheckStatus::Passed, "{}", r.message);
    let requests = proxy.requests();
    assert_eq!(
        requests.iter().filter(|r| *r == "GET /version").count(),
        3,
        "two 500s, then the answer: {requests:?}"
    );
    // 429 with Retry-After: waited for, then answered.
    let (_busy, checker) = behind_proxy(&kube, "busy", "r429:1:1");
    let r = run1(
        &checker,
        "{check: kube.version, context: busy, versions: ['1.30']}",
    )
    .await;
    assert_eq!(r.status, CheckStatus::Passed, "{}", r.message);
    // A server that keeps failing is reported with its own answer, within the call timeout.
    let (_down, checker) = behind_proxy(&kube, "down", "e500:100000");
    let checker = checker.with_timeout(Duration::from_secs(1));
    let r = run1(&checker, "{check: kube.reachable, context: down}").await;
    assert_eq!(r.status, CheckStatus::Failed, "{}", r.message);
    assert!(
        r.message.contains("the API server of context down at")
            && r.message.contains("answered 500")
            && r.message.contains("injected 500"),
        "{}",
        r.message
    );
}

#[tokio::test]
async fn an_endless_answer_fails_the_check_naming_the_context_and_what_was_too_large() {
    let kube = FakeKube::start();
    let (proxy, checker) = behind_proxy(&kube, "flood", "allflood");
    let r = run1(&checker, "{check: kube.reachable, context: flood}").await;
    assert_eq!(r.status, CheckStatus::Failed, "{}", r.message);
    assert!(
        r.message.starts_with(&format!(
            "the API server of context flood at {} sent too much: the answer to GET /version is \
             larger than 1 MiB",
            proxy.url
        )),
        "{}",
        r.message
    );
}

#[tokio::test]
async fn an_endless_watch_event_ends_the_wait_naming_what_was_too_large() {
    let kube = FakeKube::start();
    namespace(&kube.client("c1").await, "sample").await;
    let (_proxy, checker) = behind_proxy(&kube, "flood", "watchflood");
    let r = run1(
        &checker,
        "{check: kube.pods-ready, context: flood, namespace: sample}",
    )
    .await;
    assert_eq!(r.status, CheckStatus::Failed, "{}", r.message);
    assert!(
        r.message
            .contains("sent too much: an event of the watch GET /api/v1/namespaces/sample/pods?")
            && r.message.contains("is larger than 16 MiB"),
        "{}",
        r.message
    );
    assert!(!r.message.contains("timed out"), "{}", r.message);
}
