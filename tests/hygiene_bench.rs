//! The cost of cluster hygiene (ignored by default):
//!
//! ```text
//! cargo test --test hygiene_bench -- --ignored --nocapture
//! ```
//!
//! Two fake clusters holding 2,000 objects each over 20 kinds (100 of each kind, spread over
//! 10 namespaces; one kind cluster-scoped), and the time to take a snapshot of both at once, as
//! `docrun test --hygiene` does before and after a guide: median and worst of 20.
//!
//! fakekube is a Python stand-in (one lock, JSON encoded by the standard library), so the
//! figure is mostly the fake server's; a real API server answers metadata-only lists faster.

mod support;

use std::time::{Duration, Instant};

use docrun::hygiene::snapshot::{self, Exclusions};
use futures::stream::{self, StreamExt};
use kube::api::{Api, ApiResource, DynamicObject, PostParams};
use serde_json::{json, Value};
use support::fakekube::FakeKube;

/// (apiVersion, kind, plural, namespaced, extra fields)
fn kinds() -> Vec<(&'static str, &'static str, &'static str, bool, Value)> {
    let pod_spec = json!({"containers": [{"name": "c", "image": "busybox"}]});
    let template = json!({"metadata": {"labels": {"app": "x"}}, "spec": pod_spec});
    vec![
        (
            "v1",
            "ConfigMap",
            "configmaps",
            true,
            json!({"data": {"a": "b"}}),
        ),
        (
            "v1",
            "Secret",
            "secrets",
            true,
            json!({"stringData": {"a": "b"}}),
        ),
        (
            "v1",
            "Service",
            "services",
            true,
            json!({"spec": {"ports": [{"port": 80}]}}),
        ),
        ("v1", "ServiceAccount", "serviceaccounts", true, json!({})),
        ("v1", "Pod", "pods", true, json!({"spec": pod_spec})),
        (
            "v1",
            "PersistentVolumeClaim",
            "persistentvolumeclaims",
            true,
            json!({"spec": {}}),
        ),
        (
            "v1",
            "ResourceQuota",
            "resourcequotas",
            true,
            json!({"spec": {}}),
        ),
        ("v1", "LimitRange", "limitranges", true, json!({"spec": {}})),
        (
            "apps/v1",
            "Deployment",
            "deployments",
            true,
            json!({"spec": {"replicas": 0, "selector": {"matchLabels": {"app": "x"}}, "template": template}}),
        ),
        (
            "apps/v1",
            "StatefulSet",
            "statefulsets",
            true,
            json!({"spec": {"replicas": 0, "selector": {"matchLabels": {"app": "x"}}, "template": template}}),
        ),
        (
            "apps/v1",
            "ReplicaSet",
            "replicasets",
            true,
            json!({"spec": {"replicas": 0}}),
        ),
        (
            "batch/v1",
            "Job",
            "jobs",
            true,
            json!({"spec": {"template": template}}),
        ),
        (
            "batch/v1",
            "CronJob",
            "cronjobs",
            true,
            json!({"spec": {"schedule": "* * * * *"}}),
        ),
        (
            "rbac.authorization.k8s.io/v1",
            "Role",
            "roles",
            true,
            json!({"rules": []}),
        ),
        (
            "rbac.authorization.k8s.io/v1",
            "RoleBinding",
            "rolebindings",
            true,
            json!({"roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "r"}}),
        ),
        (
            "networking.k8s.io/v1",
            "Ingress",
            "ingresses",
            true,
            json!({"spec": {}}),
        ),
        (
            "networking.k8s.io/v1",
            "NetworkPolicy",
            "networkpolicies",
            true,
            json!({"spec": {}}),
        ),
        (
            "policy/v1",
            "PodDisruptionBudget",
            "poddisruptionbudgets",
            true,
            json!({"spec": {}}),
        ),
        (
            "autoscaling/v2",
            "HorizontalPodAutoscaler",
            "horizontalpodautoscalers",
            true,
            json!({"spec": {}}),
        ),
        (
            "rbac.authorization.k8s.io/v1",
            "ClusterRole",
            "clusterroles",
            false,
            json!({"rules": []}),
        ),
    ]
}

async fn populate(client: kube::Client) -> usize {
    let namespaces: Vec<String> = (0..10).map(|i| format!("bench-{i}")).collect();
    let ns_api: Api<DynamicObject> = Api::all_with(
        client.clone(),
        &ApiResource::from_gvk(&kube::api::GroupVersionKind::gvk("", "v1", "Namespace")),
    );
    for ns in &namespaces {
        let obj: DynamicObject = serde_json::from_value(json!({"metadata": {"name": ns}})).unwrap();
        ns_api.create(&PostParams::default(), &obj).await.unwrap();
    }
    let mut jobs = Vec::new();
    for (api_version, kind, plural, namespaced, extra) in kinds() {
        let (group, version) = api_version.split_once('/').unwrap_or(("", api_version));
        let ar = ApiResource {
            group: group.into(),
            version: version.into(),
            api_version: api_version.into(),
            kind: kind.into(),
            plural: plural.into(),
        };
        for i in 0..100 {
            let ns = namespaces[i % namespaces.len()].clone();
            let mut body = extra.clone();
            body["metadata"] = json!({"name": format!("{}-{i}", kind.to_lowercase())});
            jobs.push((ar.clone(), namespaced.then_some(ns), body));
        }
    }
    let made = jobs.len();
    stream::iter(jobs)
        .map(|(ar, ns, body)| {
            let client = client.clone();
            async move {
                let api: Api<DynamicObject> = match &ns {
                    Some(ns) => Api::namespaced_with(client, ns, &ar),
                    None => Api::all_with(client, &ar),
                };
                let obj: DynamicObject = serde_json::from_value(body).unwrap();
                api.create(&PostParams::default(), &obj).await.unwrap();
            }
        })
        .buffer_unordered(8)
        .collect::<Vec<_>>()
        .await;
    made
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "benchmark: run with --ignored --nocapture"]
async fn snapshot_of_two_clusters_with_2000_objects_each() {
    let kube = FakeKube::start();
    let (c1, c2) = (kube.client("c1").await, kube.client("c2").await);
    let (n1, n2) = tokio::join!(populate(c1.clone()), populate(c2.clone()));
    assert_eq!((n1, n2), (2000, 2000));
    let exclusions = Exclusions::default();
    let timeout = Duration::from_secs(5);
    let mut times = Vec::new();
    let mut one = Vec::new();
    for _ in 0..20 {
        let started = Instant::now();
        let (s1, s2) = tokio::join!(
            snapshot::take(&c1, "c1", &exclusions, timeout),
            snapshot::take(&c2, "c2", &exclusions, timeout)
        );
        times.push(started.elapsed());
        let (s1, s2) = (s1.unwrap(), s2.unwrap());
        one.push(s1.took.max(s2.took));
        for s in [&s1, &s2] {
            let bench = s
                .objects
                .keys()
                .filter(|o| {
                    o.namespace
                        .as_deref()
                        .is_some_and(|n| n.starts_with("bench-"))
                        || o.kind == "ClusterRole.rbac.authorization.k8s.io"
                })
                .count();
            assert_eq!(bench, 2000, "{}: every object is seen", s.context);
        }
    }
    times.sort();
    one.sort();
    eprintln!(
        "snapshot of both clusters (2 x 2,000 objects, 20 kinds): median {:?}, worst {:?}; \
         slower cluster alone: median {:?}",
        times[times.len() / 2],
        times[times.len() - 1],
        one[one.len() / 2]
    );
}
