//! One kube context as a preview talks to it: kinds and resource names resolved by discovery,
//! reads, and writes that are always server-side dry runs.
//!
//! The contract that makes a preview safe: every request that could change something is built
//! here, with `dryRun=All` set in the one place each kind of request gets its parameters
//! ([`post`], [`apply`], [`patch`], [`delete`]). The API server then validates, defaults and
//! admits the change and answers as if it had made it, and stores nothing. Every call is bounded
//! by the call timeout.

use std::collections::HashMap;
use std::future::Future;
use std::time::Duration;

use kube::api::{
    ApiResource, DeleteParams, DynamicObject, GroupVersionKind, ListParams, Patch, PatchParams,
    PostParams,
};
use kube::discovery::Scope;
use kube::{Api, Client};
use serde_json::Value;

use crate::checker::{ApiServer, CallError, Checker};

/// The field manager a preview's dry runs name.
pub const FIELD_MANAGER: &str = "docrun-preview";

/// How a call went wrong.
#[derive(Debug, Clone)]
pub enum Failure {
    /// The API server answered with an error status: its code and message.
    Api {
        code: u16,
        reason: String,
        message: String,
    },
    /// The server did not answer, or not in time.
    Unreachable(String),
}

/// A resolved resource: what to call and whether its objects live in namespaces.
#[derive(Debug, Clone)]
pub struct Resource {
    pub api: ApiResource,
    pub namespaced: bool,
}

/// A kube context reached for a preview.
pub struct Cluster {
    pub context: String,
    /// The context's API server, as messages name it.
    pub server: ApiServer,
    client: Client,
    per_call: Duration,
    kinds: HashMap<(String, String), Result<Resource, String>>,
    discovery: Option<Served>,
}

/// What a server serves, by discovery: each API group's preferred version's resources, in the
/// server's order (the core group first), and the groups whose list did not come in time.
struct Served {
    groups: Vec<(String, Vec<Resource>)>,
    missed: Vec<String>,
}

/// Short resource names kubectl knows, for typed names on the command line.
const SHORT_NAMES: &[(&str, &str)] = &[
    ("ns", "namespaces"),
    ("svc", "services"),
    ("deploy", "deployments"),
    ("po", "pods"),
    ("cm", "configmaps"),
    ("sa", "serviceaccounts"),
    ("ds", "daemonsets"),
    ("sts", "statefulsets"),
    ("rs", "replicasets"),
    ("crd", "customresourcedefinitions"),
    ("crds", "customresourcedefinitions"),
    ("pvc", "persistentvolumeclaims"),
    ("pv", "persistentvolumes"),
    ("no", "nodes"),
    ("ep", "endpoints"),
    ("ing", "ingresses"),
    ("hpa", "horizontalpodautoscalers"),
    ("pdb", "poddisruptionbudgets"),
    ("netpol", "networkpolicies"),
    ("cj", "cronjobs"),
];

impl Cluster {
    /// Reaches `context` through `checker`'s client (credentials and connection bounded by the
    /// call timeout) and asks its `/version`. `Err` says why it cannot be reached.
    pub async fn connect(checker: &Checker, context: &str) -> Result<Cluster, String> {
        let client = checker.client_for(context).await?;
        let per_call = checker.call_timeout();
        let server = checker.api_server(context);
        match tokio::time::timeout(per_call, client.apiserver_version()).await {
            Ok(Ok(_)) => {}
            Ok(Err(e)) => return Err(CallError::from_kube(server, &e).to_string()),
            Err(_) => {
                let after = per_call;
                return Err(CallError::Timeout { server, after }.to_string());
            }
        }
        Ok(Cluster {
            context: context.to_owned(),
            server,
            client,
            per_call,
            kinds: HashMap::new(),
            discovery: None,
        })
    }

    /// Discovery of everything the server serves, each group asked at once: a slow but healthy
    /// server costs two calls' time (the group list, then every group's resources together),
    /// each within the call timeout, not one call per group in a row. A group whose resources
    /// do not come in time is left out and named ([`Served::missed`]).
    async fn discover(&self) -> Result<Served, Failure> {
        let (groups, core) = futures::join!(
            self.call(self.client.list_api_groups()),
            self.call(self.client.list_core_api_versions())
        );
        let (groups, core) = (groups?, core?);
        let mut versions: Vec<(String, String)> = core
            .versions
            .iter()
            .take(1)
            .map(|v| (String::new(), v.clone()))
            .collect();
        for group in &groups.groups {
            let preferred = group
                .preferred_version
                .as_ref()
                .or_else(|| group.versions.first());
            if let Some(v) = preferred {
                versions.push((group.name.clone(), v.group_version.clone()));
            }
        }
        let lists = futures::future::join_all(versions.iter().map(|(group, gv)| async move {
            if group.is_empty() {
                self.call(self.client.list_core_api_resources(gv)).await
            } else {
                self.call(self.client.list_api_group_resources(gv)).await
            }
        }))
        .await;
        let mut served = Served {
            groups: Vec::new(),
            missed: Vec::new(),
        };
        for ((group, gv), list) in versions.into_iter().zip(lists) {
            let Ok(list) = list else {
                served.missed.push(if group.is_empty() {
                    "core".to_owned()
                } else {
                    group
                });
                continue;
            };
            let version = gv.rsplit('/').next().unwrap_or(&gv).to_owned();
            let resources = list
                .resources
                .iter()
                .filter(|r| !r.name.contains('/'))
                .map(|r| Resource {
                    api: ApiResource::from_gvk_with_plural(
                        &GroupVersionKind::gvk(&group, &version, &r.kind),
                        &r.name,
                    ),
                    namespaced: r.namespaced,
                })
                .collect();
            served.groups.push((group, resources));
        }
        Ok(served)
    }

    async fn call<T>(&self, fut: impl Future<Output = kube::Result<T>>) -> Result<T, Failure> {
        match tokio::time::timeout(self.per_call, fut).await {
            Ok(Ok(v)) => Ok(v),
            Ok(Err(kube::Error::Api(s))) => Err(Failure::Api {
                code: s.code,
                reason: s.reason.clone(),
                message: s.message.clone(),
            }),
            Ok(Err(e)) => Err(self.unreachable(&e)),
            Err(_) => Err(self.timed_out(self.per_call)),
        }
    }

    /// A request that failed on the way, worded as every kube call of docrun words it.
    fn unreachable(&self, e: &kube::Error) -> Failure {
        Failure::Unreachable(CallError::from_kube(self.server.clone(), e).to_string())
    }

    /// A request that took longer than `after`.
    fn timed_out(&self, after: Duration) -> Failure {
        let server = self.server.clone();
        Failure::Unreachable(CallError::Timeout { server, after }.to_string())
    }

    /// The resource of a manifest's `apiVersion` and `kind`: `Ok(Err(reason))` when the server
    /// does not serve it (worded as kubectl words it), `Err` when the server cannot be asked.
    pub async fn kind(
        &mut self,
        api_version: &str,
        kind: &str,
    ) -> Result<Result<Resource, String>, Failure> {
        let key = (api_version.to_owned(), kind.to_owned());
        if let Some(found) = self.kinds.get(&key) {
            return Ok(found.clone());
        }
        let (group, version) = api_version.split_once('/').unwrap_or(("", api_version));
        let gvk = GroupVersionKind::gvk(group, version, kind);
        let not_served = format!(
            "no matches for kind \"{kind}\" in version \"{api_version}\": {} does not serve it (is its CRD installed? is the apiVersion right?)",
            self.server
        );
        let found = match tokio::time::timeout(
            self.per_call,
            kube::discovery::pinned_kind(&self.client, &gvk),
        )
        .await
        {
            Ok(Ok((api, caps))) => Ok(Resource {
                api,
                namespaced: caps.scope == Scope::Namespaced,
            }),
            Ok(Err(kube::Error::Discovery(_))) => Err(not_served),
            Ok(Err(kube::Error::Api(s))) if s.code == 404 => Err(not_served),
            Ok(Err(e)) => return Err(self.unreachable(&e)),
            Err(_) => return Err(self.timed_out(self.per_call)),
        };
        self.kinds.insert(key, found.clone());
        Ok(found)
    }

    /// The resource of a type as typed on a kubectl command line (`deployment`, `deploy`,
    /// `deployments.apps`, `ns`), by discovery of everything the server serves (once).
    pub async fn typed(&mut self, typed: &str) -> Result<Result<Resource, String>, Failure> {
        if self.discovery.is_none() {
            self.discovery = Some(self.discover().await?);
        }
        let served = self.discovery.as_ref().expect("set above");
        let lower = typed.to_lowercase();
        let (name, group) = match lower.split_once('.') {
            Some((n, g)) => (n.to_owned(), Some(g.to_owned())),
            None => (lower.clone(), None),
        };
        let name = SHORT_NAMES
            .iter()
            .find(|(s, _)| *s == name)
            .map_or(name.clone(), |(_, l)| (*l).to_owned());
        for (g, resources) in &served.groups {
            if group.as_deref().is_some_and(|want| want != g) {
                continue;
            }
            for r in resources {
                let kind = r.api.kind.to_lowercase();
                if r.api.plural == name || kind == name || format!("{kind}s") == name {
                    return Ok(Ok(r.clone()));
                }
            }
        }
        if !served.missed.is_empty() {
            return Err(Failure::Unreachable(format!(
                "{} did not list the resources of {} within {:?}, so whether it serves \"{typed}\" is not known",
                self.server,
                served.missed.join(", "),
                self.per_call
            )));
        }
        Ok(Err(format!(
            "the server doesn't have a resource type \"{typed}\" ({} does not serve it)",
            self.server
        )))
    }

    fn api(&self, r: &Resource, namespace: Option<&str>) -> Api<DynamicObject> {
        match (r.namespaced, namespace) {
            (true, Some(ns)) => Api::namespaced_with(self.client.clone(), ns, &r.api),
            _ => Api::all_with(self.client.clone(), &r.api),
        }
    }

    /// The live object, `None` when there is none.
    pub async fn get(
        &self,
        r: &Resource,
        namespace: Option<&str>,
        name: &str,
    ) -> Result<Option<Value>, Failure> {
        let api = self.api(r, namespace);
        let found = self.call(api.get_opt(name)).await?;
        Ok(found.map(to_value))
    }

    /// The live objects matching a label selector and a field selector (all of them without
    /// either), in `namespace`, or in every namespace (`None`, or a cluster-scoped type).
    pub async fn list(
        &self,
        r: &Resource,
        namespace: Option<&str>,
        labels: Option<&str>,
        fields: Option<&str>,
    ) -> Result<Vec<Value>, Failure> {
        let api = self.api(r, namespace);
        let mut params = ListParams::default();
        if let Some(s) = labels {
            params = params.labels(s);
        }
        if let Some(s) = fields {
            params = params.fields(s);
        }
        let list = self.call(api.list(&params)).await?;
        Ok(list.items.into_iter().map(to_value).collect())
    }

    /// A dry-run create: what the server would store.
    pub async fn create(
        &self,
        r: &Resource,
        namespace: Option<&str>,
        object: &Value,
    ) -> Result<Value, Failure> {
        let object = from_value(object)?;
        let api = self.api(r, namespace);
        self.call(api.create(&post(), &object)).await.map(to_value)
    }

    /// A dry-run server-side apply of the whole object: what the server would store. On an
    /// object that does not exist it is a create, with unknown fields refused (a plain create
    /// through kube-rs cannot ask for strict validation).
    pub async fn apply(
        &self,
        r: &Resource,
        namespace: Option<&str>,
        name: &str,
        object: &Value,
    ) -> Result<Value, Failure> {
        let api = self.api(r, namespace);
        self.call(api.patch(name, &apply(), &Patch::Apply(object)))
            .await
            .map(to_value)
    }

    /// A dry-run patch of a kubectl `--type` (`merge`, `json`, `strategic`): what the server
    /// would store.
    pub async fn patch_as(
        &self,
        r: &Resource,
        namespace: Option<&str>,
        name: &str,
        patch_type: &str,
        body: &Value,
    ) -> Result<Value, Failure> {
        let api = self.api(r, namespace);
        let patch_body = match patch_type {
            "json" => {
                Patch::Json(
                    serde_json::from_value(body.clone()).map_err(|e| Failure::Api {
                        code: 400,
                        reason: "BadRequest".into(),
                        message: format!("not a JSON patch: {e}"),
                    })?,
                )
            }
            "merge" => Patch::Merge(body.clone()),
            _ => Patch::Strategic(body.clone()),
        };
        self.call(api.patch(name, &patch(), &patch_body))
            .await
            .map(to_value)
    }

    /// A dry-run replace of the whole object (its resourceVersion guards against a change in
    /// between): what the server would store.
    pub async fn replace(
        &self,
        r: &Resource,
        namespace: Option<&str>,
        name: &str,
        object: &Value,
    ) -> Result<Value, Failure> {
        let object = from_value(object)?;
        let api = self.api(r, namespace);
        self.call(api.replace(name, &post(), &object))
            .await
            .map(to_value)
    }

    /// A dry-run JSON merge patch: what the server would store.
    pub async fn merge(
        &self,
        r: &Resource,
        namespace: Option<&str>,
        name: &str,
        patch_body: &Value,
    ) -> Result<Value, Failure> {
        self.patch_as(r, namespace, name, "merge", patch_body).await
    }

    /// A dry-run delete.
    pub async fn delete(
        &self,
        r: &Resource,
        namespace: Option<&str>,
        name: &str,
    ) -> Result<(), Failure> {
        let api = self.api(r, namespace);
        self.call(api.delete(name, &delete())).await.map(|_| ())
    }
}

/// Parameters of every create a preview sends: a dry run.
fn post() -> PostParams {
    PostParams {
        dry_run: true,
        field_manager: Some(FIELD_MANAGER.to_owned()),
    }
}

/// Parameters of every server-side apply a preview sends: a dry run that takes the fields over
/// (as `kubectl apply --server-side --force-conflicts` would), with unknown fields refused
/// (`fieldValidation=Strict`, as kubectl validates by default).
fn apply() -> PatchParams {
    PatchParams::apply(FIELD_MANAGER)
        .force()
        .dry_run()
        .validation_strict()
}

/// Parameters of every other patch a preview sends: a dry run.
fn patch() -> PatchParams {
    PatchParams {
        field_manager: Some(FIELD_MANAGER.to_owned()),
        ..PatchParams::default()
    }
    .dry_run()
}

/// Parameters of every delete a preview sends: a dry run.
fn delete() -> DeleteParams {
    DeleteParams {
        dry_run: true,
        ..DeleteParams::default()
    }
}

fn to_value(o: DynamicObject) -> Value {
    serde_json::to_value(o).unwrap_or(Value::Null)
}

fn from_value(v: &Value) -> Result<DynamicObject, Failure> {
    serde_json::from_value(v.clone()).map_err(|e| Failure::Api {
        code: 400,
        reason: "BadRequest".into(),
        message: format!("the object cannot be read: {e}"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The one place each write gets its parameters sets a dry run.
    #[test]
    fn every_write_is_a_dry_run() {
        assert!(post().dry_run);
        assert!(apply().dry_run);
        assert!(matches!(
            apply().field_validation,
            Some(kube::api::ValidationDirective::Strict)
        ));
        assert!(patch().dry_run);
        assert!(delete().dry_run);
    }
}
