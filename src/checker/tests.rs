//! Unit tests of the checks that need no server (specs, helpers) and of a few checks against
//! kube's `tower-test` mock service.

use std::time::Instant;

use super::*;
use crate::check::ObjectRef;
use http::{Request, Response};
use kube::client::Body;
use serde_json::json;

#[test]
fn specs_read_from_yaml() {
    let specs: Vec<CheckSpec> = serde_yaml::from_str(
        r#"
- {check: kube.context, context: c1}
- {check: kube.version, context: c1, versions: ["1.29", "1.30"]}
- {check: kube.secret, context: c1, namespace: istio-system, name: cacerts, keys: [ca-cert.pem, ca-key.pem]}
- {check: kube.exists, context: c1, api-version: v1, kind: ConfigMap, namespace: istio-system, name: istio}
- {check: kube.pods-ready, context: c1, namespace: sample, name-prefix: helloworld-v1}
- {check: kube.condition, context: c1, api-version: apps/v1, kind: Deployment, name: web, condition: Available}
- {check: trust.common-root, contexts: [c1, c2]}
"#,
    )
    .unwrap();
    assert_eq!(
        specs[2],
        CheckSpec::Secret {
            context: "c1".into(),
            namespace: "istio-system".into(),
            name: "cacerts".into(),
            keys: vec!["ca-cert.pem".into(), "ca-key.pem".into()],
        }
    );
    assert_eq!(
        specs[4],
        CheckSpec::PodsReady {
            context: "c1".into(),
            namespace: "sample".into(),
            selector: None,
            name_prefix: Some("helloworld-v1".into()),
            count: None,
        }
    );
    assert_eq!(
        specs[3],
        CheckSpec::Exists {
            object: ObjectRef {
                context: "c1".into(),
                api_version: "v1".into(),
                kind: "ConfigMap".into(),
                namespace: Some("istio-system".into()),
                name: "istio".into(),
            }
        }
    );
    assert!(matches!(
        &specs[5],
        CheckSpec::Condition {
            status: None,
            object: ObjectRef {
                namespace: None,
                ..
            },
            ..
        }
    ));
    assert_eq!(specs[6].name(), "trust.common-root");
    assert_eq!(specs[6].contexts(), vec!["c1", "c2"]);
    assert!(specs[4].is_wait());
    assert!(!specs[2].is_wait());

    // Round trip through YAML keeps the kebab-case names.
    let text = serde_yaml::to_string(&specs[4]).unwrap();
    assert!(
        text.contains("check: kube.pods-ready") && text.contains("name-prefix: helloworld-v1"),
        "{text}"
    );
}

#[test]
fn specs_reject_unknown_fields_and_checks() {
    let typo = serde_yaml::from_str::<CheckSpec>(
        "{check: kube.secret, context: c1, namespace: n, name: s, key: [a]}",
    );
    assert!(typo.is_err());
    let snake = serde_yaml::from_str::<CheckSpec>(
        "{check: kube.pods-ready, context: c1, namespace: n, name_prefix: a}",
    );
    assert!(snake.is_err());
    let unknown = serde_yaml::from_str::<CheckSpec>("{check: kube.nope, context: c1}");
    assert!(unknown.is_err());
}

fn kubeconfig(contexts: &[(&str, &str)]) -> Kubeconfig {
    let clusters: Vec<String> = contexts
        .iter()
        .map(|(c, url)| format!("- {{name: k-{c}, cluster: {{server: \"{url}\"}}}}"))
        .collect();
    let ctxs: Vec<String> = contexts
        .iter()
        .map(|(c, _)| format!("- {{name: {c}, context: {{cluster: k-{c}, user: u}}}}"))
        .collect();
    Kubeconfig::from_yaml(&format!(
        "apiVersion: v1\nkind: Config\nclusters:\n{}\nusers:\n- {{name: u, user: {{token: t}}}}\ncontexts:\n{}\n",
        clusters.join("\n"),
        ctxs.join("\n")
    ))
    .unwrap()
}

#[tokio::test]
async fn unknown_context_suggests_the_closest() {
    let checker = Checker::from_kubeconfig(kubeconfig(&[
        ("kind-cluster1", "https://10.0.0.1:6443"),
        ("kind-cluster2", "https://10.0.0.2:6443"),
    ]));
    assert_eq!(checker.contexts(), vec!["kind-cluster1", "kind-cluster2"]);
    let ok = checker
        .run(
            &CheckSpec::Context {
                context: "kind-cluster2".into(),
            },
            Duration::from_secs(1),
        )
        .await;
    assert_eq!(ok[0].status, CheckStatus::Passed, "{}", ok[0].message);
    let r = checker
        .run(
            &CheckSpec::Context {
                context: "kind-cluster-2".into(),
            },
            Duration::from_secs(1),
        )
        .await;
    assert_eq!(r.len(), 1);
    assert_eq!(r[0].status, CheckStatus::Failed);
    assert_eq!(
        r[0].message,
        "context kind-cluster-2 is not in the kubeconfig; did you mean kind-cluster2? Available contexts: \
         kind-cluster1, kind-cluster2"
    );
    // Every check reports an unknown context the same way, without touching the network.
    let r = checker
        .run(
            &CheckSpec::Reachable {
                context: "nope".into(),
            },
            Duration::from_secs(1),
        )
        .await;
    assert!(r[0]
        .message
        .starts_with("context nope is not in the kubeconfig"));
}

#[tokio::test]
async fn distinct_fails_on_the_same_server_url_without_calling_it() {
    let checker = Checker::from_kubeconfig(kubeconfig(&[
        ("a", "https://10.0.0.1:6443"),
        ("b", "https://10.0.0.1:6443/"),
    ]));
    let r = checker
        .run(
            &CheckSpec::Distinct {
                contexts: vec!["a".into(), "b".into()],
            },
            Duration::from_secs(1),
        )
        .await;
    assert_eq!(r[0].status, CheckStatus::Failed);
    assert!(
        r[0].message
            .contains("contexts a and b point at the same API server https://10.0.0.1:6443"),
        "{}",
        r[0].message
    );
    assert_eq!(r[0].context, None);
}

type Handle = tower_test::mock::Handle<Request<Body>, Response<Body>>;

fn mock_checker(context: &str) -> (Checker, Handle) {
    let (service, handle) = tower_test::mock::pair::<Request<Body>, Response<Body>>();
    let client = Client::new(service, "default");
    (
        Checker::from_kubeconfig(Kubeconfig::default()).with_client(context, client),
        handle,
    )
}

fn json_response(code: u16, body: serde_json::Value) -> Response<Body> {
    Response::builder()
        .status(code)
        .header("content-type", "application/json")
        .body(Body::from(serde_json::to_vec(&body).unwrap()))
        .unwrap()
}

#[tokio::test]
async fn secret_check_with_a_mock_server() {
    let (checker, mut handle) = mock_checker("mock");
    let server = tokio::spawn(async move {
        let (req, send) = handle.next_request().await.expect("a request");
        assert_eq!(req.method(), http::Method::GET);
        assert_eq!(
            req.uri().path(),
            "/api/v1/namespaces/istio-system/secrets/cacerts"
        );
        send.send_response(json_response(
            200,
            json!({"apiVersion": "v1", "kind": "Secret",
                   "metadata": {"name": "cacerts", "namespace": "istio-system"},
                   "data": {"ca-cert.pem": "VkFMVUUtTk9ULVRPLVNIT1c=", "root-cert.pem": "VkFMVUUtTk9ULVRPLVNIT1c="}}),
        ));
        let (_, send) = handle.next_request().await.expect("a second request");
        send.send_response(json_response(
            404,
            json!({"kind": "Status", "apiVersion": "v1", "status": "Failure", "reason": "NotFound", "code": 404,
                   "message": "secrets \"cacerts\" not found"}),
        ));
    });
    let spec = CheckSpec::Secret {
        context: "mock".into(),
        namespace: "istio-system".into(),
        name: "cacerts".into(),
        keys: vec![
            "ca-cert.pem".into(),
            "ca-key.pem".into(),
            "root-cert.pem".into(),
        ],
    };
    let r = checker.run(&spec, Duration::from_secs(1)).await;
    assert_eq!(r[0].status, CheckStatus::Failed);
    assert_eq!(r[0].check, "kube.secret");
    assert_eq!(r[0].target, "secret istio-system/cacerts");
    assert_eq!(
        r[0].message,
        "secret istio-system/cacerts in context mock lacks key(s) ca-key.pem; it holds keys ca-cert.pem, root-cert.pem"
    );
    assert!(!r[0].message.contains("VALUE"));
    let r = checker.run(&spec, Duration::from_secs(1)).await;
    assert_eq!(
        r[0].message,
        "secret istio-system/cacerts not found in context mock; expected keys ca-cert.pem, ca-key.pem, root-cert.pem"
    );
    server.await.unwrap();
}

#[tokio::test]
async fn version_check_with_a_mock_server() {
    let (checker, mut handle) = mock_checker("mock");
    let server = tokio::spawn(async move {
        for minor in ["30+", "28"] {
            let (req, send) = handle.next_request().await.expect("a request");
            assert_eq!(req.uri().path(), "/version");
            send.send_response(json_response(
                200,
                json!({"major": "1", "minor": minor, "gitVersion": format!("v1.{}.1-gke.1", minor.trim_end_matches('+')),
                       "gitCommit": "", "gitTreeState": "", "buildDate": "", "goVersion": "", "compiler": "", "platform": ""}),
            ));
        }
    });
    let spec = CheckSpec::Version {
        context: "mock".into(),
        versions: vec!["1.29".into(), "1.30".into()],
    };
    let ok = checker.run(&spec, Duration::from_secs(1)).await;
    assert_eq!(ok[0].status, CheckStatus::Passed, "{}", ok[0].message);
    let bad = checker.run(&spec, Duration::from_secs(1)).await;
    assert_eq!(bad[0].status, CheckStatus::Failed);
    assert_eq!(
        bad[0].message,
        "context mock runs Kubernetes 1.28 (v1.28.1-gke.1), but this guide supports 1.29, 1.30: use a cluster of a \
         supported version"
    );
    server.await.unwrap();
}

#[tokio::test]
async fn a_silent_server_times_out_per_call() {
    let (checker, _handle) = mock_checker("mock");
    let checker = checker.with_timeout(Duration::from_millis(200));
    let start = Instant::now();
    let r = checker
        .run(
            &CheckSpec::Reachable {
                context: "mock".into(),
            },
            Duration::from_secs(10),
        )
        .await;
    assert!(start.elapsed() < Duration::from_secs(2));
    assert_eq!(r[0].status, CheckStatus::Failed);
    assert!(
        r[0].message.contains("did not answer within 200ms"),
        "{}",
        r[0].message
    );
}

#[test]
fn checker_and_its_futures_can_cross_threads() {
    fn send_sync<T: Send + Sync>(_: &T) {}
    fn send<T: Send>(_: &T) {}
    let checker = Checker::from_kubeconfig(Kubeconfig::default());
    send_sync(&checker);
    let spec = CheckSpec::Context {
        context: "x".into(),
    };
    send(&checker.run(&spec, Duration::from_secs(1)));
    send(&checker.run_all(std::slice::from_ref(&spec), Duration::from_secs(1)));
}

#[tokio::test]
async fn a_wait_whose_watch_keeps_failing_reports_what_it_saw_and_the_last_error() {
    let (checker, mut handle) = mock_checker("mock");
    let server = tokio::spawn(async move {
        let mut watches = 0;
        while let Some((req, send)) = handle.next_request().await {
            let query = req.uri().query().unwrap_or_default().to_owned();
            if query.contains("watch=true") {
                watches += 1;
                send.send_response(json_response(
                    500,
                    json!({"kind": "Status", "apiVersion": "v1", "status": "Failure",
                           "reason": "InternalError", "code": 500, "message": "etcd is down"}),
                ));
            } else {
                send.send_response(json_response(
                    200,
                    json!({"apiVersion": "v1", "kind": "PodList",
                           "metadata": {"resourceVersion": "7"}, "items": []}),
                ));
            }
        }
        watches
    });
    let spec: CheckSpec =
        serde_yaml::from_str("{check: kube.pods-ready, context: mock, namespace: sample}").unwrap();
    let start = Instant::now();
    let r = checker.run(&spec, Duration::from_millis(1500)).await;
    assert!(start.elapsed() < Duration::from_secs(3));
    assert_eq!(r[0].status, CheckStatus::Failed);
    assert_eq!(
        r[0].message,
        "pods in sample in context mock are not ready: timed out after 1.5s; last seen: no matching pod in \
         namespace sample; last error: the API server of context mock answered 500 InternalError: etcd is down"
    );
    drop(checker);
    assert!(server.await.unwrap() >= 1);
}

#[tokio::test]
async fn a_silent_server_ends_a_wait_by_the_shorter_of_the_call_and_wait_timeouts() {
    let spec: CheckSpec =
        serde_yaml::from_str("{check: kube.pods-ready, context: mock, namespace: sample}").unwrap();
    // The call timeout is shorter: the initial list must come within it.
    let (checker, _handle) = mock_checker("mock");
    let checker = checker.with_timeout(Duration::from_millis(200));
    let start = Instant::now();
    let r = checker.run(&spec, Duration::from_secs(10)).await;
    assert!(start.elapsed() < Duration::from_secs(2));
    assert_eq!(
        r[0].message,
        "pods in sample in context mock are not ready: the API server of context mock did not answer within \
         200ms: is the cluster running and reachable from here?"
    );
    // The wait is shorter: it ends the wait, having listed nothing.
    let (checker, _handle) = mock_checker("mock");
    let r = checker.run(&spec, Duration::from_millis(300)).await;
    assert_eq!(
        r[0].message,
        "pods in sample in context mock are not ready: timed out after 300ms; last seen: nothing listed yet"
    );
}
