//! The checks that wait for a state: `kube.pods-ready`, `kube.rollout` and `kube.condition`.
//! Each is a typed [`Condition`] followed by a [`Watch`]; the wait timeout is applied here, once,
//! for all three (see [`follow`]).

use std::fmt::Debug;
use std::time::Duration;

use k8s_openapi::api::apps::v1::{DaemonSet, Deployment, StatefulSet};
use k8s_openapi::api::core::v1::Pod;
use kube::runtime::watcher;
use kube::Api;
use serde::de::DeserializeOwned;

use super::client::Clients;
use super::conditions::{Condition, HasCondition, PodsReady, RolledOut};
use super::objects;
use super::outcome::Outcome;
use super::watch::{Watch, WatchError};
use crate::check::ObjectRef;

use crate::check::CURRENT_CONTEXT;

/// `context`, or for [`CURRENT_CONTEXT`] the kubeconfig's current context; an error when the
/// kubeconfig names none.
fn resolve<'a>(clients: &'a Clients, context: &'a str) -> Result<&'a str, String> {
    if context != CURRENT_CONTEXT {
        return Ok(context);
    }
    clients.current_context().ok_or_else(|| {
        "the guide's kubectl command names no --context and the kubeconfig has no current-context; set one (kubectl config use-context NAME) or run with --no-native".to_owned()
    })
}

/// Follows a watch on `context` until `condition` holds, for at most `wait`. Until the initial
/// list is in, the server must answer within the call timeout (when that is the shorter bound).
async fn follow<K>(
    clients: &Clients,
    context: &str,
    api: Api<K>,
    config: watcher::Config,
    condition: &impl Condition<K>,
    wait: Duration,
) -> Result<String, WatchError>
where
    K: kube::Resource + Clone + DeserializeOwned + Debug + Send + 'static,
{
    let per_call = clients.per_call();
    let first_list_within = (per_call < wait).then_some(per_call);
    let mut watch = Watch::new(clients.server(context));
    match tokio::time::timeout(wait, watch.until(api, config, condition, first_list_within)).await {
        Ok(result) => result,
        Err(_) => Err(watch.timed_out(wait)),
    }
}

/// `kube.pods-ready`.
pub(crate) async fn pods_ready(
    clients: &Clients,
    context: &str,
    namespace: &str,
    selector: Option<&str>,
    prefix: Option<&str>,
    count: usize,
    wait: Duration,
) -> Outcome {
    let what: Vec<String> = [
        selector.map(|s| format!("selector {s}")),
        prefix.map(|p| format!("name prefix {p}")),
    ]
    .into_iter()
    .flatten()
    .collect();
    let target = if what.is_empty() {
        format!("pods in {namespace}")
    } else {
        format!("pods in {namespace} ({})", what.join(", "))
    };
    let context = match resolve(clients, context) {
        Ok(c) => c,
        Err(e) => return Outcome::failed(context, target, e),
    };
    let client = match clients.get(context).await {
        Ok(c) => c,
        Err(e) => return Outcome::failed(context, target, e),
    };
    let api: Api<Pod> = Api::namespaced(client, namespace);
    let mut config = watcher::Config::default();
    if let Some(s) = selector {
        config = config.labels(s);
    }
    let condition = PodsReady {
        context,
        namespace,
        prefix,
        count,
    };
    let result = follow(clients, context, api, config, &condition, wait).await;
    let why = format!("{target} in context {context} are not ready");
    outcome(context, target, result, &why)
}

/// The result of a wait on `target`: passed with the condition's message, or failed with `why`
/// and the reason the wait ended.
fn outcome(
    context: &str,
    target: String,
    result: Result<String, WatchError>,
    why: &str,
) -> Outcome {
    match result {
        Ok(m) => Outcome::passed(context, target, m),
        Err(e) => Outcome::failed(context, target, format!("{why}: {e}")),
    }
}

/// The kinds `kube.rollout` follows, by the names kubectl takes for them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum WorkloadKind {
    Deployment,
    StatefulSet,
    DaemonSet,
}

impl WorkloadKind {
    fn parse(kind: &str) -> Option<Self> {
        match kind.to_ascii_lowercase().as_str() {
            "deployment" | "deployments" | "deploy" => Some(WorkloadKind::Deployment),
            "statefulset" | "statefulsets" | "sts" => Some(WorkloadKind::StatefulSet),
            "daemonset" | "daemonsets" | "ds" => Some(WorkloadKind::DaemonSet),
            _ => None,
        }
    }
}

/// `kube.rollout`: one path for the three kinds, the type chosen once.
pub(crate) async fn rollout(
    clients: &Clients,
    context: &str,
    namespace: &str,
    kind: &str,
    name: &str,
    wait: Duration,
) -> Outcome {
    let lower = kind.to_ascii_lowercase();
    let target = format!("{lower} {namespace}/{name}");
    let context = match resolve(clients, context) {
        Ok(c) => c,
        Err(e) => return Outcome::failed(context, target, e),
    };
    let client = match clients.get(context).await {
        Ok(c) => c,
        Err(e) => return Outcome::failed(context, target, e),
    };
    let Some(workload) = WorkloadKind::parse(kind) else {
        return Outcome::failed(
            context,
            target,
            format!("kube.rollout follows Deployment, StatefulSet or DaemonSet, not {kind}"),
        );
    };
    let missing = format!("{target} does not exist");
    let condition = RolledOut { missing: &missing };
    let config = watcher::Config::default().fields(&format!("metadata.name={name}"));
    let result = match workload {
        WorkloadKind::Deployment => {
            let api: Api<Deployment> = Api::namespaced(client, namespace);
            follow(clients, context, api, config, &condition, wait).await
        }
        WorkloadKind::StatefulSet => {
            let api: Api<StatefulSet> = Api::namespaced(client, namespace);
            follow(clients, context, api, config, &condition, wait).await
        }
        WorkloadKind::DaemonSet => {
            let api: Api<DaemonSet> = Api::namespaced(client, namespace);
            follow(clients, context, api, config, &condition, wait).await
        }
    };
    let result = result.map(|m| format!("{m} in context {context}"));
    let why = format!("{target} in context {context} has not rolled out");
    outcome(context, target, result, &why)
}

/// `kube.condition`: the object (any kind, by discovery) has condition `type_` = `status`.
pub(crate) async fn condition(
    clients: &Clients,
    object: &ObjectRef,
    type_: &str,
    status: &str,
    wait: Duration,
) -> Outcome {
    let described = object.describe();
    let target = format!("{described} condition {type_}={status}");
    let resolved = match resolve(clients, &object.context) {
        Ok(c) => ObjectRef {
            context: c.to_owned(),
            ..object.clone()
        },
        Err(e) => return Outcome::failed(&object.context, target, e),
    };
    let object = &resolved;
    let context = object.context.as_str();
    let api = match clients.get(context).await {
        Ok(client) => objects::api_of(clients, client, object).await,
        Err(e) => Err(e),
    };
    let api = match api {
        Ok(api) => api,
        Err(e) => return Outcome::failed(context, target, e),
    };
    let config = watcher::Config::default().fields(&format!("metadata.name={}", object.name));
    let condition = HasCondition {
        context,
        object: &described,
        type_,
        status,
    };
    let result = follow(clients, context, api, config, &condition, wait).await;
    let why = format!("{described} in context {context} does not have condition {type_}={status}");
    outcome(context, target, result, &why)
}
