//! A snapshot of what a cluster holds, and how docrun takes one.
//!
//! A [`Snapshot`] is a plain value: the objects of one context by kind, namespace and name, each
//! marked when it is being deleted. [`take`] reads it through the API: discovery (the preferred
//! version of every group), then one metadata-only list per kind across all namespaces, all of
//! them at once (bounded), each call under the call timeout. What it lists:
//! - every listable namespaced kind, in the namespaces that are not excluded;
//! - namespaces, and the cluster-scoped kinds guides commonly create ([`CLUSTER_KINDS`]);
//! - never the excluded kinds ([`Exclusions`]).

use std::collections::BTreeMap;
use std::future::Future;
use std::time::{Duration, Instant};

use futures::stream::{self, StreamExt, TryStreamExt};
use kube::api::{ApiResource, DynamicObject, ListParams};
use kube::{Api, Client};
use serde::Serialize;

/// Cluster-scoped kinds a guide commonly creates, compared besides namespaces. Other
/// cluster-scoped kinds (nodes, CSRs, ...) change on their own and are not snapshotted.
pub const CLUSTER_KINDS: &[&str] = &[
    "Namespace",
    "CustomResourceDefinition",
    "ClusterRole",
    "ClusterRoleBinding",
    "MutatingWebhookConfiguration",
    "ValidatingWebhookConfiguration",
    "ValidatingAdmissionPolicy",
    "ValidatingAdmissionPolicyBinding",
    "APIService",
    "PersistentVolume",
    "StorageClass",
    "IngressClass",
    "PriorityClass",
    "RuntimeClass",
    "GatewayClass",
    "ClusterIssuer",
];

/// Namespaces whose objects never count, unless the tree's settings say otherwise.
pub const DEFAULT_EXCLUDED_NAMESPACES: &[&str] = &["kube-system", "kube-public", "kube-node-lease"];

/// Kinds that never count (they come and go on their own), unless the settings say otherwise.
pub const DEFAULT_EXCLUDED_KINDS: &[&str] = &["Event", "Lease", "Endpoints", "EndpointSlice"];

/// Lists are paged by this many objects.
const PAGE: u32 = 500;
/// Calls in flight at once against one API server.
const CONCURRENCY: usize = 16;

/// One object, by what identifies it: its kind (`ConfigMap` for the core group, else
/// `Kind.group`, as in `Deployment.apps`), its namespace (none for cluster-scoped kinds) and name.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct ObjectRef {
    pub kind: String,
    pub namespace: Option<String>,
    pub name: String,
}

impl std::fmt::Display for ObjectRef {
    /// `ConfigMap/demo/settings`, `Namespace/demo`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.namespace {
            Some(ns) => write!(f, "{}/{ns}/{}", self.kind, self.name),
            None => write!(f, "{}/{}", self.kind, self.name),
        }
    }
}

/// What one context held at one moment.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Snapshot {
    pub context: String,
    /// Every object seen, `true` when it was being deleted (a deletion timestamp).
    pub objects: BTreeMap<ObjectRef, bool>,
    /// Kinds that could not be listed (forbidden, gone since discovery), with why: not compared.
    pub unlisted: Vec<String>,
    /// How long taking it took.
    pub took: Duration,
}

impl Snapshot {
    /// Whether a namespace is being deleted in this snapshot.
    pub fn namespace_terminating(&self, namespace: &str) -> bool {
        let key = ObjectRef {
            kind: "Namespace".into(),
            namespace: None,
            name: namespace.into(),
        };
        self.objects.get(&key).copied().unwrap_or(false)
    }
}

/// Namespaces and kinds left out of snapshots.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Exclusions {
    pub namespaces: Vec<String>,
    /// A kind is excluded when an entry equals (in any case) its kind, its plural, or either
    /// followed by `.group` (`Event`, `events`, `events.events.k8s.io`).
    pub kinds: Vec<String>,
}

impl Default for Exclusions {
    fn default() -> Self {
        Exclusions {
            namespaces: DEFAULT_EXCLUDED_NAMESPACES
                .iter()
                .map(|s| s.to_string())
                .collect(),
            kinds: DEFAULT_EXCLUDED_KINDS
                .iter()
                .map(|s| s.to_string())
                .collect(),
        }
    }
}

impl Exclusions {
    pub fn kind_excluded(&self, group: &str, kind: &str, plural: &str) -> bool {
        self.kinds.iter().any(|entry| {
            [kind, plural].iter().any(|name| {
                entry.eq_ignore_ascii_case(name)
                    || (!group.is_empty() && entry.eq_ignore_ascii_case(&format!("{name}.{group}")))
            })
        })
    }

    pub fn namespace_excluded(&self, namespace: &str) -> bool {
        self.namespaces.iter().any(|n| n == namespace)
    }
}

/// A kind to list, as discovery found it.
#[derive(Debug, Clone)]
struct Kind {
    resource: ApiResource,
    namespaced: bool,
}

/// Why a snapshot could not be taken: the context's API server did not answer as it should.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SnapshotError(pub String);

impl std::fmt::Display for SnapshotError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Takes a snapshot of `context` through `client`. Every call is bounded by `per_call`; a
/// server that does not answer discovery or a list within it fails the snapshot. A kind the
/// server refuses to list (403, 404, 405) is left out and named in [`Snapshot::unlisted`].
pub async fn take(
    client: &Client,
    context: &str,
    exclusions: &Exclusions,
    per_call: Duration,
) -> Result<Snapshot, SnapshotError> {
    let started = Instant::now();
    let kinds = discover(client, context, exclusions, per_call).await?;
    let lists = stream::iter(kinds)
        .map(|kind| list(client, context, kind, per_call))
        .buffer_unordered(CONCURRENCY)
        .try_collect::<Vec<_>>()
        .await?;
    let mut snapshot = Snapshot {
        context: context.to_string(),
        ..Snapshot::default()
    };
    for listed in lists {
        match listed {
            Listed::Objects(objects) => {
                for (object, terminating) in objects {
                    let excluded = match &object.namespace {
                        Some(ns) => exclusions.namespace_excluded(ns),
                        None => {
                            object.kind == "Namespace"
                                && exclusions.namespace_excluded(&object.name)
                        }
                    };
                    if !excluded {
                        snapshot.objects.insert(object, terminating);
                    }
                }
            }
            Listed::Refused(why) => snapshot.unlisted.push(why),
        }
    }
    snapshot.unlisted.sort();
    snapshot.took = started.elapsed();
    Ok(snapshot)
}

/// A call under the timeout, its error worded for the context.
async fn bounded<T>(
    context: &str,
    what: &str,
    per_call: Duration,
    call: impl Future<Output = kube::Result<T>>,
) -> Result<T, CallFailure> {
    match tokio::time::timeout(per_call, call).await {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(kube::Error::Api(status))) if matches!(status.code, 403..=405) => {
            Err(CallFailure::Refused(format!("{what}: {}", status.message)))
        }
        Ok(Err(e)) => Err(CallFailure::Broken(SnapshotError(format!(
            "context {context}: {what}: {}",
            match crate::checker::too_large(&e) {
                Some(too_large) => too_large.to_string(),
                None => crate::checker::error_chain(&e),
            }
        )))),
        Err(_) => Err(CallFailure::Broken(SnapshotError(format!(
            "context {context}: {what} did not answer within {}",
            crate::duration::human(per_call)
        )))),
    }
}

enum CallFailure {
    /// The server answered that this cannot be read: leave it out.
    Refused(String),
    /// The server did not answer, or not as an API server does.
    Broken(SnapshotError),
}

impl CallFailure {
    fn broken(self) -> SnapshotError {
        match self {
            CallFailure::Refused(why) | CallFailure::Broken(SnapshotError(why)) => {
                SnapshotError(why)
            }
        }
    }
}

/// The kinds to list: the preferred version of each group, listable, not excluded, namespaced
/// or one of [`CLUSTER_KINDS`].
async fn discover(
    client: &Client,
    context: &str,
    exclusions: &Exclusions,
    per_call: Duration,
) -> Result<Vec<Kind>, SnapshotError> {
    let (core, groups) = futures::join!(
        bounded(
            context,
            "discovery of /api/v1",
            per_call,
            client.list_core_api_resources("v1")
        ),
        bounded(
            context,
            "discovery of /apis",
            per_call,
            client.list_api_groups()
        ),
    );
    let core = core.map_err(CallFailure::broken)?;
    let groups = groups.map_err(CallFailure::broken)?;
    let versions: Vec<String> = groups
        .groups
        .iter()
        .filter_map(|g| {
            g.preferred_version
                .as_ref()
                .map(|v| v.group_version.clone())
                .or_else(|| g.versions.first().map(|v| v.group_version.clone()))
        })
        .collect();
    let mut lists = vec![core];
    let found: Vec<_> = stream::iter(versions)
        .map(|gv| async move {
            let what = format!("discovery of /apis/{gv}");
            bounded(
                context,
                &what,
                per_call,
                client.list_api_group_resources(&gv),
            )
            .await
        })
        .buffer_unordered(CONCURRENCY)
        .collect()
        .await;
    for f in found {
        match f {
            Ok(list) => lists.push(list),
            // A group that went away between /apis and its own discovery (a CRD deleted).
            Err(CallFailure::Refused(_)) => {}
            Err(CallFailure::Broken(e)) => return Err(e),
        }
    }
    let mut kinds = Vec::new();
    for list in lists {
        let (group, version) = match list.group_version.split_once('/') {
            Some((g, v)) => (g.to_string(), v.to_string()),
            None => (String::new(), list.group_version.clone()),
        };
        for r in list.resources {
            if r.name.contains('/') || !r.verbs.iter().any(|v| v == "list") {
                continue;
            }
            if !r.namespaced && !CLUSTER_KINDS.contains(&r.kind.as_str()) {
                continue;
            }
            if exclusions.kind_excluded(&group, &r.kind, &r.name) {
                continue;
            }
            kinds.push(Kind {
                resource: ApiResource {
                    group: group.clone(),
                    version: version.clone(),
                    api_version: list.group_version.clone(),
                    kind: r.kind.clone(),
                    plural: r.name.clone(),
                },
                namespaced: r.namespaced,
            });
        }
    }
    Ok(kinds)
}

enum Listed {
    Objects(Vec<(ObjectRef, bool)>),
    Refused(String),
}

/// Every object of one kind, in all namespaces, by metadata only, page by page.
async fn list(
    client: &Client,
    context: &str,
    kind: Kind,
    per_call: Duration,
) -> Result<Listed, SnapshotError> {
    let api: Api<DynamicObject> = Api::all_with(client.clone(), &kind.resource);
    let label = if kind.resource.group.is_empty() {
        kind.resource.kind.clone()
    } else {
        format!("{}.{}", kind.resource.kind, kind.resource.group)
    };
    let what = format!("list of {}", kind.resource.plural);
    let mut objects = Vec::new();
    let mut params = ListParams::default().limit(PAGE);
    // A bound on pages, so that a server that keeps answering `continue` cannot hold us.
    for _ in 0..10_000 {
        let page = match bounded(context, &what, per_call, api.list_metadata(&params)).await {
            Ok(page) => page,
            Err(CallFailure::Refused(why)) => return Ok(Listed::Refused(why)),
            Err(CallFailure::Broken(e)) => return Err(e),
        };
        for item in page.items {
            let Some(name) = item.metadata.name else {
                continue;
            };
            let namespace = if kind.namespaced {
                item.metadata.namespace
            } else {
                None
            };
            let terminating = item.metadata.deletion_timestamp.is_some();
            objects.push((
                ObjectRef {
                    kind: label.clone(),
                    namespace,
                    name,
                },
                terminating,
            ));
        }
        match page.metadata.continue_.filter(|c| !c.is_empty()) {
            Some(token) => params = params.continue_token(&token),
            None => return Ok(Listed::Objects(objects)),
        }
    }
    Err(SnapshotError(format!(
        "context {context}: {what} did not end after 10000 pages"
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_are_excluded_by_kind_plural_or_group() {
        let ex = Exclusions {
            namespaces: vec![],
            kinds: vec!["event".into(), "leases.coordination.k8s.io".into()],
        };
        assert!(ex.kind_excluded("", "Event", "events"));
        assert!(ex.kind_excluded("events.k8s.io", "Event", "events"));
        assert!(ex.kind_excluded("coordination.k8s.io", "Lease", "leases"));
        assert!(!ex.kind_excluded("other.io", "Lease", "leases"));
        assert!(!ex.kind_excluded("", "ConfigMap", "configmaps"));
    }

    #[test]
    fn an_object_reads_as_kind_namespace_name() {
        let o = ObjectRef {
            kind: "ConfigMap".into(),
            namespace: Some("demo".into()),
            name: "settings".into(),
        };
        assert_eq!(o.to_string(), "ConfigMap/demo/settings");
        let n = ObjectRef {
            kind: "Namespace".into(),
            namespace: None,
            name: "demo".into(),
        };
        assert_eq!(n.to_string(), "Namespace/demo");
    }
}
