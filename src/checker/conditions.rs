//! What a wait waits for: a [`Condition`] judges the objects a watch holds and gives a
//! [`Verdict`]; the conditions of docrun's waits are here as types ([`PodsReady`], [`RolledOut`],
//! [`HasCondition`]), with the pure functions they are made of.
//!
//! None of these talk to a server: each looks at objects (as last seen by a watch, see
//! `watch.rs`) and says whether the condition holds and, if not, what it is waiting for,
//! in words a reader of a failed check can act on. A closure
//! `Fn(&BTreeMap<String, K>) -> Verdict` is a condition too.

use std::collections::BTreeMap;
use std::fmt::Debug;

use k8s_openapi::api::apps::v1::{DaemonSet, Deployment, StatefulSet};
use k8s_openapi::api::core::v1::Pod;
use k8s_openapi::NamespaceResourceScope;
use kube::api::DynamicObject;
use kube::ResourceExt;
use serde::de::DeserializeOwned;

/// What a condition says about what a watch has seen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// The condition holds; the text says what was observed.
    Done(String),
    /// Not yet; the text says what it is waiting for (a timeout reports it as "last seen").
    Pending(String),
    /// The condition cannot hold or cannot be followed (a rollout's progress deadline exceeded,
    /// an update strategy without rollout status): the wait ends at once.
    Failed(String),
}

impl Verdict {
    /// True when the verdict is [`Verdict::Done`].
    pub fn is_done(&self) -> bool {
        matches!(self, Verdict::Done(_))
    }
}

/// A state that a wait waits for, judged on every object the watch holds, keyed
/// `namespace/name`, after the initial list and after each change. The model is kube-rs's
/// `kube::runtime::wait::Condition`, with a verdict in words instead of a bool.
pub trait Condition<K> {
    /// The verdict on the objects seen.
    fn judge(&self, objects: &BTreeMap<String, K>) -> Verdict;
}

impl<K, F: Fn(&BTreeMap<String, K>) -> Verdict> Condition<K> for F {
    fn judge(&self, objects: &BTreeMap<String, K>) -> Verdict {
        self(objects)
    }
}

/// `kube.pods-ready`: at least `count` pods match and every matching pod is Running and Ready.
/// Pods match by `prefix` (see [`name_has_prefix`]; the label selector is the watch's); pods
/// being deleted and pods that have `Succeeded` are ignored.
pub struct PodsReady<'a> {
    pub context: &'a str,
    pub namespace: &'a str,
    pub prefix: Option<&'a str>,
    pub count: usize,
}

impl Condition<Pod> for PodsReady<'_> {
    fn judge(&self, pods: &BTreeMap<String, Pod>) -> Verdict {
        let PodsReady {
            context,
            namespace,
            prefix,
            count,
        } = *self;
        let matching: Vec<&Pod> = pods
            .values()
            .filter(|p| prefix.is_none_or(|pre| name_has_prefix(&p.name_any(), pre)))
            .filter(|p| p.metadata.deletion_timestamp.is_none())
            .filter(|p| p.status.as_ref().and_then(|s| s.phase.as_deref()) != Some("Succeeded"))
            .collect();
        if matching.is_empty() {
            return Verdict::Pending(format!("no matching pod in namespace {namespace}"));
        }
        let not_ready: Vec<String> = matching
            .iter()
            .filter(|p| !pod_ready(p))
            .map(|p| pod_summary(p))
            .collect();
        let names: Vec<String> = matching.iter().map(|p| p.name_any()).collect();
        if !not_ready.is_empty() {
            Verdict::Pending(not_ready.join("; "))
        } else if matching.len() < count {
            Verdict::Pending(format!(
                "{} of {count} expected pods exist, all ready: {}",
                matching.len(),
                names.join(", ")
            ))
        } else {
            Verdict::Done(format!(
                "{} pod(s) Running and Ready in context {context}: {}",
                matching.len(),
                names.join(", ")
            ))
        }
    }
}

/// A kind whose rollout `kubectl rollout status` follows.
pub trait Workload:
    kube::Resource<Scope = NamespaceResourceScope, DynamicType = ()>
    + Clone
    + DeserializeOwned
    + Debug
    + Send
    + 'static
{
    /// Where the object's rollout stands.
    fn progress(&self) -> Verdict;
}

impl Workload for Deployment {
    fn progress(&self) -> Verdict {
        deployment_progress(self)
    }
}

impl Workload for StatefulSet {
    fn progress(&self) -> Verdict {
        statefulset_progress(self)
    }
}

impl Workload for DaemonSet {
    fn progress(&self) -> Verdict {
        daemonset_progress(self)
    }
}

/// `kube.rollout`: the one object the watch holds has rolled out; `missing` is what to say
/// while it does not exist.
pub struct RolledOut<'a> {
    pub missing: &'a str,
}

impl<K: Workload> Condition<K> for RolledOut<'_> {
    fn judge(&self, objects: &BTreeMap<String, K>) -> Verdict {
        match objects.values().next() {
            None => Verdict::Pending(self.missing.to_owned()),
            Some(o) => o.progress(),
        }
    }
}

/// `kube.condition`: the one object the watch holds has a status condition `type_` whose
/// status is `status` (see [`has_condition`]); `object` names it in messages.
pub struct HasCondition<'a> {
    pub context: &'a str,
    pub object: &'a str,
    pub type_: &'a str,
    pub status: &'a str,
}

impl Condition<DynamicObject> for HasCondition<'_> {
    fn judge(&self, objects: &BTreeMap<String, DynamicObject>) -> Verdict {
        let HasCondition {
            context,
            object,
            type_,
            status,
        } = *self;
        match objects.values().next() {
            None => Verdict::Pending(format!("{object} does not exist")),
            Some(o) if has_condition(o, type_, status) => Verdict::Done(format!(
                "{object} in context {context} has condition {type_}={status}"
            )),
            Some(o) => Verdict::Pending(format!("{object} has {}", describe_condition(o, type_))),
        }
    }
}

/// A pod is ready when its phase is `Running` and its `Ready` condition is `True`.
pub fn pod_ready(pod: &Pod) -> bool {
    let Some(status) = &pod.status else {
        return false;
    };
    status.phase.as_deref() == Some("Running")
        && status
            .conditions
            .iter()
            .flatten()
            .any(|c| c.type_ == "Ready" && c.status == "True")
}

/// One line about a pod for messages: `pod helloworld-v1-abc is Pending, 0/1 ready`, plus the
/// reason a container is waiting or terminated (`ImagePullBackOff`, `CrashLoopBackOff`, ...) when
/// there is one, and `(being deleted)` for a pod with a deletion timestamp.
pub fn pod_summary(pod: &Pod) -> String {
    let name = pod.name_any();
    let status = pod.status.as_ref();
    let phase = status.and_then(|s| s.phase.as_deref()).unwrap_or("Pending");
    let containers = pod.spec.as_ref().map(|s| s.containers.len()).unwrap_or(0);
    let statuses = status.and_then(|s| s.container_statuses.as_ref());
    let ready = statuses
        .map(|cs| cs.iter().filter(|c| c.ready).count())
        .unwrap_or(0);
    let total = containers.max(statuses.map(|cs| cs.len()).unwrap_or(0));
    let mut out = format!("pod {name} is {phase}, {ready}/{total} ready");
    let reasons: Vec<String> = statuses
        .into_iter()
        .flatten()
        .filter_map(|c| {
            let state = c.state.as_ref()?;
            let reason = state
                .waiting
                .as_ref()
                .and_then(|w| w.reason.clone())
                .or_else(|| state.terminated.as_ref().and_then(|t| t.reason.clone()))?;
            Some(format!("{}: {reason}", c.name))
        })
        .collect();
    if !reasons.is_empty() {
        out.push_str(&format!(" ({})", reasons.join(", ")));
    }
    if phase == "Running" && !pod_ready(pod) && reasons.is_empty() {
        out.push_str(" (Ready condition not True)");
    }
    if pod.metadata.deletion_timestamp.is_some() {
        out.push_str(" (being deleted)");
    }
    out
}

pub use crate::check::name_has_prefix;

/// kubectl follows the rollout of the `RollingUpdate` strategy only (the default when
/// `strategy` is `None`); a failure for any other.
fn unfollowable(kind: &str, name: &str, strategy: Option<&str>) -> Option<Verdict> {
    let strategy = strategy.unwrap_or("RollingUpdate");
    (strategy != "RollingUpdate").then(|| {
        Verdict::Failed(format!(
            "{kind} {name} uses the {strategy} update strategy: rollout status is only available for RollingUpdate"
        ))
    })
}

/// A workload without a status: no controller has seen it yet.
fn unseen(kind: &str, name: &str) -> Verdict {
    Verdict::Pending(format!(
        "{kind} {name} has no status yet (no controller has seen it)"
    ))
}

/// A workload whose controller has not observed its latest generation yet.
fn unobserved(kind: &str, name: &str, generation: i64) -> Verdict {
    Verdict::Pending(format!(
        "{kind} {name}: waiting for the controller to observe generation {generation}"
    ))
}

/// Where a Deployment's rollout stands, with the rules of `kubectl rollout status`: the controller
/// has observed the latest generation, every desired replica is updated, no old replica is left,
/// and every updated replica is available. A `Progressing` condition with reason
/// `ProgressDeadlineExceeded` is a failure.
pub fn deployment_progress(d: &Deployment) -> Verdict {
    let name = d.name_any();
    let generation = d.metadata.generation.unwrap_or(0);
    let Some(status) = &d.status else {
        return unseen("deployment", &name);
    };
    if generation > status.observed_generation.unwrap_or(0) {
        return unobserved("deployment", &name, generation);
    }
    if let Some(c) = status.conditions.iter().flatten().find(|c| {
        c.type_ == "Progressing" && c.reason.as_deref() == Some("ProgressDeadlineExceeded")
    }) {
        return Verdict::Failed(format!(
            "deployment {name} exceeded its progress deadline: {}",
            c.message.as_deref().unwrap_or("no message")
        ));
    }
    let want = d.spec.as_ref().and_then(|s| s.replicas).unwrap_or(1);
    let updated = status.updated_replicas.unwrap_or(0);
    let replicas = status.replicas.unwrap_or(0);
    let available = status.available_replicas.unwrap_or(0);
    if updated < want {
        return Verdict::Pending(format!(
            "deployment {name}: {updated} of {want} new replicas have been updated"
        ));
    }
    if replicas > updated {
        return Verdict::Pending(format!(
            "deployment {name}: {} old replicas are pending termination",
            replicas - updated
        ));
    }
    if available < updated {
        return Verdict::Pending(format!(
            "deployment {name}: {available} of {updated} updated replicas are available"
        ));
    }
    Verdict::Done(format!(
        "deployment {name} rolled out: {available}/{want} replicas available"
    ))
}

/// Where a StatefulSet's rollout stands, with the rules of `kubectl rollout status`: only the
/// `RollingUpdate` strategy (the default) can be followed; the controller has observed the latest
/// generation; every desired replica is ready; with a partition, the replicas above it are updated;
/// otherwise the current revision has caught up with the update revision.
pub fn statefulset_progress(s: &StatefulSet) -> Verdict {
    let name = s.name_any();
    let spec = s.spec.as_ref();
    let strategy = spec.and_then(|s| s.update_strategy.as_ref());
    if let Some(failed) = unfollowable(
        "statefulset",
        &name,
        strategy.and_then(|u| u.type_.as_deref()),
    ) {
        return failed;
    }
    let Some(status) = &s.status else {
        return unseen("statefulset", &name);
    };
    let generation = s.metadata.generation.unwrap_or(0);
    let observed = status.observed_generation.unwrap_or(0);
    if observed == 0 || generation > observed {
        return unobserved("statefulset", &name, generation);
    }
    let want = spec.and_then(|s| s.replicas).unwrap_or(1);
    let ready = status.ready_replicas.unwrap_or(0);
    if ready < want {
        return Verdict::Pending(format!(
            "statefulset {name}: {ready} of {want} pods are ready"
        ));
    }
    let partition = strategy
        .and_then(|u| u.rolling_update.as_ref())
        .and_then(|r| r.partition);
    if let Some(partition) = partition.filter(|p| *p > 0) {
        let updated = status.updated_replicas.unwrap_or(0);
        let target = (want - partition).max(0);
        if updated < target {
            return Verdict::Pending(format!(
                "statefulset {name}: partitioned roll out, {updated} of {target} new pods have been updated"
            ));
        }
        return Verdict::Done(format!(
            "statefulset {name}: partitioned roll out complete, {updated} new pods have been updated"
        ));
    }
    if status.update_revision != status.current_revision {
        return Verdict::Pending(format!(
            "statefulset {name}: rolling update in progress, {} pods at revision {}",
            status.updated_replicas.unwrap_or(0),
            status.update_revision.as_deref().unwrap_or("?")
        ));
    }
    Verdict::Done(format!(
        "statefulset {name} rolled out: {ready}/{want} pods ready"
    ))
}

/// Where a DaemonSet's rollout stands, with the rules of `kubectl rollout status`: only the
/// `RollingUpdate` strategy (the default) can be followed; the controller has observed the latest
/// generation; every scheduled pod is updated and available.
pub fn daemonset_progress(d: &DaemonSet) -> Verdict {
    let name = d.name_any();
    let strategy = d
        .spec
        .as_ref()
        .and_then(|s| s.update_strategy.as_ref())
        .and_then(|u| u.type_.as_deref());
    if let Some(failed) = unfollowable("daemonset", &name, strategy) {
        return failed;
    }
    let Some(status) = &d.status else {
        return unseen("daemonset", &name);
    };
    let generation = d.metadata.generation.unwrap_or(0);
    if generation > status.observed_generation.unwrap_or(0) {
        return unobserved("daemonset", &name, generation);
    }
    let desired = status.desired_number_scheduled;
    let updated = status.updated_number_scheduled.unwrap_or(0);
    let available = status.number_available.unwrap_or(0);
    if updated < desired {
        return Verdict::Pending(format!(
            "daemonset {name}: {updated} of {desired} new pods have been updated"
        ));
    }
    if available < desired {
        return Verdict::Pending(format!(
            "daemonset {name}: {available} of {desired} updated pods are available"
        ));
    }
    Verdict::Done(format!(
        "daemonset {name} rolled out: {available}/{desired} pods available"
    ))
}

/// True when the object's `status.conditions` holds an entry of type `type_` whose status equals
/// `status` (`"True"`, `"False"`, `"Unknown"`; compared case-insensitively, as kubectl does).
pub fn has_condition(obj: &DynamicObject, type_: &str, status: &str) -> bool {
    find_condition(obj, type_)
        .and_then(|c| c.get("status").and_then(|s| s.as_str()))
        .is_some_and(|s| s.eq_ignore_ascii_case(status))
}

/// What the object's conditions say, for messages: `condition Available is False
/// (MinimumReplicasUnavailable: Deployment does not have minimum availability)`, or, when the
/// condition is absent, the conditions that are there.
pub fn describe_condition(obj: &DynamicObject, type_: &str) -> String {
    match find_condition(obj, type_) {
        Some(c) => {
            let field = |k: &str| c.get(k).and_then(|v| v.as_str()).unwrap_or("");
            let mut out = format!("condition {type_} is {}", field("status"));
            match (field("reason"), field("message")) {
                ("", "") => {}
                (r, "") => out.push_str(&format!(" ({r})")),
                ("", m) => out.push_str(&format!(" ({m})")),
                (r, m) => out.push_str(&format!(" ({r}: {m})")),
            }
            out
        }
        None => {
            let present: Vec<String> = conditions(obj)
                .iter()
                .filter_map(|c| {
                    Some(format!(
                        "{}={}",
                        c.get("type")?.as_str()?,
                        c.get("status").and_then(|s| s.as_str()).unwrap_or("?")
                    ))
                })
                .collect();
            if present.is_empty() {
                format!("no condition {type_} (the object has no status conditions)")
            } else {
                format!("no condition {type_} (conditions: {})", present.join(", "))
            }
        }
    }
}

fn conditions(obj: &DynamicObject) -> &[serde_json::Value] {
    obj.data
        .get("status")
        .and_then(|s| s.get("conditions"))
        .and_then(|c| c.as_array())
        .map(Vec::as_slice)
        .unwrap_or(&[])
}

fn find_condition<'a>(obj: &'a DynamicObject, type_: &str) -> Option<&'a serde_json::Value> {
    conditions(obj)
        .iter()
        .find(|c| c.get("type").and_then(|t| t.as_str()) == Some(type_))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn rolled_out<K: Workload>(k: &K) -> bool {
        k.progress().is_done()
    }

    fn pod(v: serde_json::Value) -> Pod {
        serde_json::from_value(v).unwrap()
    }

    #[test]
    fn pod_ready_needs_running_and_ready_condition() {
        let running = pod(
            json!({"metadata": {"name": "p"}, "spec": {"containers": [{"name": "c"}]},
            "status": {"phase": "Running", "conditions": [{"type": "Ready", "status": "True"}],
                       "containerStatuses": [{"name": "c", "ready": true, "restartCount": 0, "image": "i", "imageID": ""}]}}),
        );
        assert!(pod_ready(&running));
        assert_eq!(pod_summary(&running), "pod p is Running, 1/1 ready");

        let not_ready = pod(
            json!({"metadata": {"name": "p"}, "spec": {"containers": [{"name": "c"}]},
            "status": {"phase": "Running", "conditions": [{"type": "Ready", "status": "False"}]}}),
        );
        assert!(!pod_ready(&not_ready));
        assert_eq!(
            pod_summary(&not_ready),
            "pod p is Running, 0/1 ready (Ready condition not True)"
        );

        let pending = pod(
            json!({"metadata": {"name": "helloworld-v1-abc"}, "spec": {"containers": [{"name": "c"}]},
            "status": {"phase": "Pending", "containerStatuses": [{"name": "c", "ready": false, "restartCount": 0,
                "image": "i", "imageID": "", "state": {"waiting": {"reason": "ImagePullBackOff"}}}]}}),
        );
        assert!(!pod_ready(&pending));
        assert_eq!(
            pod_summary(&pending),
            "pod helloworld-v1-abc is Pending, 0/1 ready (c: ImagePullBackOff)"
        );

        let no_status = pod(json!({"metadata": {"name": "p"}}));
        assert!(!pod_ready(&no_status));
        assert_eq!(pod_summary(&no_status), "pod p is Pending, 0/0 ready");
    }

    #[test]
    fn typed_conditions_judge_what_the_watch_holds() {
        let ready = |name: &str| {
            pod(
                json!({"metadata": {"name": name}, "spec": {"containers": [{"name": "c"}]},
                "status": {"phase": "Running", "conditions": [{"type": "Ready", "status": "True"}],
                "containerStatuses": [{"name": "c", "ready": true, "restartCount": 0, "image": "i", "imageID": ""}]}}),
            )
        };
        let held = |pods: Vec<Pod>| -> BTreeMap<String, Pod> {
            pods.into_iter()
                .map(|p| (format!("ns/{}", p.name_any()), p))
                .collect()
        };
        let two = PodsReady {
            context: "c1",
            namespace: "ns",
            prefix: Some("web"),
            count: 2,
        };
        assert_eq!(
            two.judge(&held(vec![])),
            Verdict::Pending("no matching pod in namespace ns".into())
        );
        assert_eq!(
            two.judge(&held(vec![ready("web-0"), ready("other-0")])),
            Verdict::Pending("1 of 2 expected pods exist, all ready: web-0".into())
        );
        assert_eq!(
            two.judge(&held(vec![ready("web-0"), ready("web-1")])),
            Verdict::Done("2 pod(s) Running and Ready in context c1: web-0, web-1".into())
        );

        let rolled = RolledOut {
            missing: "deployment ns/web does not exist",
        };
        let none: BTreeMap<String, Deployment> = BTreeMap::new();
        assert_eq!(
            rolled.judge(&none),
            Verdict::Pending("deployment ns/web does not exist".into())
        );
        let ds: DaemonSet = serde_json::from_value(json!({"metadata": {"name": "ds"},
            "spec": {"selector": {}, "template": {}, "updateStrategy": {"type": "OnDelete"}}}))
        .unwrap();
        assert!(matches!(
            rolled.judge(&BTreeMap::from([("ns/ds".to_string(), ds)])),
            Verdict::Failed(_)
        ));

        let gw: DynamicObject = serde_json::from_value(json!({"apiVersion": "v1", "kind": "Gateway",
            "metadata": {"name": "gw"}, "status": {"conditions": [{"type": "Programmed", "status": "True"}]}}))
        .unwrap();
        let programmed = HasCondition {
            context: "c1",
            object: "gateway ns/gw",
            type_: "Programmed",
            status: "True",
        };
        assert_eq!(
            programmed.judge(&BTreeMap::from([("ns/gw".to_string(), gw)])),
            Verdict::Done("gateway ns/gw in context c1 has condition Programmed=True".into())
        );
        assert_eq!(
            programmed.judge(&BTreeMap::new()),
            Verdict::Pending("gateway ns/gw does not exist".into())
        );
    }

    #[test]
    fn name_prefix_matches_generated_suffixes_only() {
        assert!(name_has_prefix(
            "helloworld-v1-776f57d5f6-s7zfc",
            "helloworld-v1"
        ));
        assert!(name_has_prefix("helloworld-v1", "helloworld-v1"));
        assert!(name_has_prefix("web-0", "web"));
        assert!(name_has_prefix("web-12", "web"));
        assert!(name_has_prefix("ztunnel-x7k2p", "ztunnel"));
        assert!(!name_has_prefix(
            "helloworld-v1-776f57d5f6-s7zfc",
            "helloworld"
        ));
        assert!(!name_has_prefix(
            "helloworld-v2-776f57d5f6-s7zfc",
            "helloworld-v1"
        ));
        assert!(!name_has_prefix(
            "helloworld-v10-776f57d5f6-s7zfc",
            "helloworld-v1"
        ));
        assert!(!name_has_prefix("helloworld-v1x", "helloworld-v1"));
        assert!(!name_has_prefix("sleep-abc", "sleep"));
        assert!(!name_has_prefix("sleep-ABCDE", "sleep"));
    }

    fn deployment(v: serde_json::Value) -> Deployment {
        serde_json::from_value(v).unwrap()
    }

    #[test]
    fn deployment_rollout_follows_kubectl() {
        let base = |status: serde_json::Value| {
            deployment(
                json!({"metadata": {"name": "web", "generation": 2}, "spec": {"replicas": 2,
                "selector": {}, "template": {}}, "status": status}),
            )
        };
        assert!(rolled_out::<Deployment>(&base(
            json!({"observedGeneration": 2, "replicas": 2,
            "updatedReplicas": 2, "availableReplicas": 2})
        )));
        assert_eq!(
            deployment_progress(&base(json!({"observedGeneration": 1, "replicas": 2,
                "updatedReplicas": 2, "availableReplicas": 2}))),
            Verdict::Pending(
                "deployment web: waiting for the controller to observe generation 2".into()
            )
        );
        assert_eq!(
            deployment_progress(&base(
                json!({"observedGeneration": 2, "replicas": 2, "updatedReplicas": 1,
                "availableReplicas": 1})
            )),
            Verdict::Pending("deployment web: 1 of 2 new replicas have been updated".into())
        );
        assert_eq!(
            deployment_progress(&base(
                json!({"observedGeneration": 2, "replicas": 3, "updatedReplicas": 2,
                "availableReplicas": 2})
            )),
            Verdict::Pending("deployment web: 1 old replicas are pending termination".into())
        );
        assert_eq!(
            deployment_progress(&base(
                json!({"observedGeneration": 2, "replicas": 2, "updatedReplicas": 2,
                "availableReplicas": 1})
            )),
            Verdict::Pending("deployment web: 1 of 2 updated replicas are available".into())
        );
        assert!(matches!(
            deployment_progress(&base(json!({"observedGeneration": 2, "conditions": [{"type": "Progressing",
                "status": "False", "reason": "ProgressDeadlineExceeded", "message": "too slow"}]}))),
            Verdict::Failed(m) if m.contains("too slow")
        ));
        let no_status = deployment(
            json!({"metadata": {"name": "web"}, "spec": {"selector": {}, "template": {}}}),
        );
        assert!(!rolled_out::<Deployment>(&no_status));
    }

    #[test]
    fn statefulset_and_daemonset_rollouts() {
        let sts = |spec: serde_json::Value, status: serde_json::Value| -> StatefulSet {
            let mut s = json!({"selector": {}, "template": {}, "serviceName": "s", "replicas": 2});
            s.as_object_mut()
                .unwrap()
                .extend(spec.as_object().unwrap().clone());
            serde_json::from_value(
                json!({"metadata": {"name": "db", "generation": 1}, "spec": s, "status": status}),
            )
            .unwrap()
        };
        let done = json!({"observedGeneration": 1, "replicas": 2, "readyReplicas": 2,
            "currentRevision": "db-1", "updateRevision": "db-1"});
        assert!(rolled_out::<StatefulSet>(&sts(json!({}), done.clone())));
        assert!(!rolled_out::<StatefulSet>(&sts(
            json!({}),
            json!({"observedGeneration": 1, "replicas": 2,
            "readyReplicas": 1})
        )));
        assert!(!rolled_out::<StatefulSet>(&sts(
            json!({}),
            json!({"observedGeneration": 1, "replicas": 2,
            "readyReplicas": 2, "currentRevision": "db-1", "updateRevision": "db-2"})
        )));
        assert!(matches!(
            statefulset_progress(&sts(json!({"updateStrategy": {"type": "OnDelete"}}), done)),
            Verdict::Failed(_)
        ));
        assert!(rolled_out::<StatefulSet>(&sts(
            json!({"updateStrategy": {"type": "RollingUpdate", "rollingUpdate": {"partition": 1}}}),
            json!({"observedGeneration": 1, "replicas": 2, "readyReplicas": 2, "updatedReplicas": 1,
                "currentRevision": "db-1", "updateRevision": "db-2"})
        )));

        let ds = |status: serde_json::Value| -> DaemonSet {
            serde_json::from_value(json!({"metadata": {"name": "ztunnel", "generation": 3},
                "spec": {"selector": {}, "template": {}}, "status": status}))
            .unwrap()
        };
        let counts = |upd: i32, avail: i32| {
            json!({"observedGeneration": 3, "desiredNumberScheduled": 2, "currentNumberScheduled": 2,
                "numberMisscheduled": 0, "numberReady": avail, "updatedNumberScheduled": upd, "numberAvailable": avail})
        };
        assert!(rolled_out::<DaemonSet>(&ds(counts(2, 2))));
        assert_eq!(
            daemonset_progress(&ds(counts(1, 2))),
            Verdict::Pending("daemonset ztunnel: 1 of 2 new pods have been updated".into())
        );
        assert_eq!(
            daemonset_progress(&ds(counts(2, 1))),
            Verdict::Pending("daemonset ztunnel: 1 of 2 updated pods are available".into())
        );
    }

    #[test]
    fn conditions_of_any_object() {
        let obj: DynamicObject = serde_json::from_value(json!({"apiVersion": "gateway.networking.k8s.io/v1",
            "kind": "Gateway", "metadata": {"name": "gw"}, "status": {"conditions": [
                {"type": "Accepted", "status": "True"},
                {"type": "Programmed", "status": "False", "reason": "Pending", "message": "no address"}]}}))
        .unwrap();
        assert!(has_condition(&obj, "Accepted", "True"));
        assert!(has_condition(&obj, "Accepted", "true"));
        assert!(!has_condition(&obj, "Programmed", "True"));
        assert!(has_condition(&obj, "Programmed", "False"));
        assert!(!has_condition(&obj, "Ready", "True"));
        assert_eq!(
            describe_condition(&obj, "Programmed"),
            "condition Programmed is False (Pending: no address)"
        );
        assert_eq!(
            describe_condition(&obj, "Ready"),
            "no condition Ready (conditions: Accepted=True, Programmed=False)"
        );
    }
}
