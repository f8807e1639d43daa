//! `docrun plan --preview`: what the steps' kubectl changes would do, asked of each kube
//! context's API server as server-side dry runs (`dryRun=All`), in step order, before anything
//! runs.
//!
//! [`request`] reads the changes and their objects from the plan (pure); [`client`] sends the
//! dry runs; [`diff`] compares a live object with the server's answer. Contexts are previewed
//! concurrently, each in step order; a context that cannot be reached is reported and the
//! others go on.
//!
//! A dry run changes nothing, so a later step cannot see what an earlier one would have
//! created. A preview keeps, per context, what earlier previewed steps would create, change and
//! delete (`Pending`):
//! - a later change to an object an earlier step creates is computed by docrun on it (no server
//!   holds it), and says so;
//! - a later change to an existing object an earlier step changes is computed on the object as
//!   that step leaves it and sent as a dry-run replace, so the server still validates it (a
//!   strategic or JSON patch is sent against the live object, and the note says so);
//! - an object in a namespace an earlier step creates, or of a kind an earlier step's CRD
//!   defines, is reported as would-create with a note: the server cannot check it yet (a kind
//!   is still checked by discovery when the server serves it).

pub mod client;
pub mod diff;
pub mod manifests;
pub mod request;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::time::Duration;

use futures::future::join_all;
use serde::Serialize;
use serde_json::{json, Value};

use client::{Cluster, Failure, Resource};
use manifests::Origin;
use request::{NotPreviewed, Op, Request, Target};

use crate::checker::Checker;
use crate::error::Error;
use crate::plan::Plan;

/// What a change would do to one object.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case", tag = "outcome")]
pub enum Outcome {
    WouldCreate,
    WouldChange(diff::Change),
    Unchanged,
    WouldDelete,
    NothingToDelete,
    /// The API server (or, for a kind it does not serve, its discovery) refused the change.
    Rejected {
        reason: String,
    },
}

impl Outcome {
    pub fn as_str(&self) -> &'static str {
        match self {
            Outcome::WouldCreate => "would create",
            Outcome::WouldChange(_) => "would change",
            Outcome::Unchanged => "unchanged",
            Outcome::WouldDelete => "would delete",
            Outcome::NothingToDelete => "nothing to delete",
            Outcome::Rejected { .. } => "rejected",
        }
    }
}

/// One object's preview.
#[derive(Debug, Clone, Serialize)]
pub struct ObjectPreview {
    pub step: String,
    /// The command's place in the guide.
    pub at: Origin,
    /// Where the object is written, when not in the guide's command (a manifest file, or a
    /// heredoc line).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<Origin>,
    pub command: String,
    pub kind: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    /// The object's name; empty when a selection matched none (`scope` says which).
    pub name: String,
    /// For objects a selection picked (`-l`, `--field-selector`, `--all`, `-A`): the selection
    /// and where it was listed, as in `-l app=web in every namespace`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    #[serde(flatten)]
    pub outcome: Outcome,
    /// What else the reader should know (the server could not check it; kubectl would fail).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// One context's preview, in step order.
#[derive(Debug, Clone, Serialize)]
pub struct ContextPreview {
    pub context: String,
    /// Why the context could not be reached (then `objects` is empty).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unreachable: Option<String>,
    pub objects: Vec<ObjectPreview>,
}

/// A guide's preview.
#[derive(Debug, Clone, Serialize)]
pub struct Preview {
    pub schema: &'static str,
    pub contexts: Vec<ContextPreview>,
    /// Changes that could not be previewed, with the reason, in step order.
    pub not_previewed: Vec<NotPreviewed>,
    /// Objects per outcome, over every context.
    pub counts: BTreeMap<&'static str, usize>,
}

impl Preview {
    /// No object rejected and every context reached.
    pub fn passed(&self) -> bool {
        self.contexts.iter().all(|c| {
            c.unreachable.is_none()
                && !c
                    .objects
                    .iter()
                    .any(|o| matches!(o.outcome, Outcome::Rejected { .. }))
        })
    }
}

/// Previews `plan`'s kubectl changes against the contexts of the kubeconfig (`KUBECONFIG`),
/// each call bounded by `per_call`. Manifest files are read under the working directory.
pub async fn preview(plan: &Plan, per_call: Duration) -> Result<Preview, Error> {
    let workdir = std::env::current_dir()
        .map_err(|e| Error::Internal(format!("no working directory: {e}")))?;
    let requests = request::of_plan(plan, &workdir);
    let checker = Checker::from_env().map(|c| c.with_timeout(per_call));
    Ok(run(requests, checker.as_ref().map_err(|e| e.to_string())).await)
}

/// Previews `requests` with `checker`'s clients (`Err`: why no context can be reached).
pub async fn run(requests: request::Requests, checker: Result<&Checker, String>) -> Preview {
    let current = checker
        .as_ref()
        .ok()
        .and_then(|c| c.current_context().map(str::to_owned));
    let mut order: Vec<String> = Vec::new();
    let mut by_context: HashMap<String, Vec<Request>> = HashMap::new();
    let mut not_previewed = requests.not_previewed;
    for r in requests.requests {
        let Some(context) = r.context.clone().or_else(|| current.clone()) else {
            not_previewed.push(NotPreviewed {
                step: r.step.clone(),
                at: r.at.clone(),
                context: None,
                command: r.command.clone(),
                reason: "the command names no --context and the kubeconfig has no current context"
                    .into(),
            });
            continue;
        };
        if !order.contains(&context) {
            order.push(context.clone());
        }
        by_context.entry(context).or_default().push(r);
    }
    not_previewed.sort_by_key(|n| (n.at.file.clone(), n.at.line));
    let contexts = join_all(order.iter().map(|context| {
        let requests = by_context.remove(context).unwrap_or_default();
        let checker = checker.clone();
        async move {
            match checker {
                Ok(checker) => preview_context(checker, context, &requests).await,
                Err(why) => ContextPreview {
                    context: context.clone(),
                    unreachable: Some(why),
                    objects: Vec::new(),
                },
            }
        }
    }))
    .await;
    let mut counts = BTreeMap::new();
    for o in contexts.iter().flat_map(|c| &c.objects) {
        *counts.entry(o.outcome.as_str()).or_insert(0) += 1;
    }
    Preview {
        schema: "docrun.preview/v1",
        contexts,
        not_previewed,
        counts,
    }
}

/// An object a target stands for: its manifest (when the guide gives one), namespace and name.
type Named = (Option<Value>, Option<String>, String);

/// An object's identity within a context.
type Key = (String, String, Option<String>, String);

/// What earlier previewed steps would have done in a context.
#[derive(Default)]
struct Pending {
    /// Objects that would exist after the earlier steps, as the server answered their dry runs.
    objects: HashMap<Key, (Value, String)>,
    deleted: HashSet<Key>,
    /// Namespaces an earlier step would create, and the step.
    namespaces: HashMap<String, String>,
    /// Objects of `objects` that no server holds: an earlier step would create them.
    created: HashSet<Key>,
    /// Kinds (`apiVersion`, `kind`) a CustomResourceDefinition an earlier step would create
    /// defines, and the step.
    kinds: HashMap<(String, String), String>,
}

/// What a change docrun computed on an object as an earlier step (`step`) would leave it would
/// store. An object no server holds yet (`created`) is taken as computed, and the note says so;
/// one that exists is sent as a dry-run replace, so the server validates and defaults it.
async fn settle(
    cluster: &Cluster,
    resource: &Resource,
    ns: Option<&str>,
    name: &str,
    object: Value,
    step: &str,
    created: bool,
) -> Result<Result<(Value, String), String>, Failure> {
    if created {
        let note =
            format!("on the object step {step} would create; computed by docrun, not the server");
        return Ok(Ok((object, note)));
    }
    let note = format!("compared with the object as step {step} would leave it");
    Ok(answered(cluster.replace(resource, ns, name, &object).await)?.map(|r| (r, note)))
}

/// `kubectl set image`: sets the image of the named containers (`*`: all) of a workload's pod
/// template (or a pod), init containers included. `Err` when a container is not there.
fn set_images(object: &mut Value, images: &[(String, String)]) -> Result<(), String> {
    let pod = if object["kind"] == "Pod" {
        object.get_mut("spec")
    } else if object["kind"] == "CronJob" {
        object.pointer_mut("/spec/jobTemplate/spec/template/spec")
    } else {
        object.pointer_mut("/spec/template/spec")
    };
    let Some(pod) = pod else {
        return Err("the object has no pod template".into());
    };
    for (container, image) in images {
        let mut found = false;
        for list in ["containers", "initContainers"] {
            for c in pod
                .get_mut(list)
                .and_then(Value::as_array_mut)
                .into_iter()
                .flatten()
            {
                if container == "*" || c["name"] == container.as_str() {
                    c["image"] = Value::String(image.clone());
                    found = true;
                }
            }
        }
        if !found {
            return Err(format!("unable to find container named \"{container}\""));
        }
    }
    Ok(())
}

/// The kinds a CustomResourceDefinition defines, one per served version.
fn crd_kinds(crd: &Value) -> Vec<(String, String)> {
    let spec = &crd["spec"];
    let (Some(group), Some(kind)) = (spec["group"].as_str(), spec["names"]["kind"].as_str()) else {
        return Vec::new();
    };
    spec["versions"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|v| v["name"].as_str())
        .map(|v| (format!("{group}/{v}"), kind.to_owned()))
        .collect()
}

fn key(r: &Resource, namespace: Option<&str>, name: &str) -> Key {
    (
        r.api.group.clone(),
        r.api.kind.clone(),
        namespace.map(str::to_owned),
        name.to_owned(),
    )
}

async fn preview_context(checker: &Checker, context: &str, requests: &[Request]) -> ContextPreview {
    let mut out = ContextPreview {
        context: context.to_owned(),
        unreachable: None,
        objects: Vec::new(),
    };
    let mut cluster = match Cluster::connect(checker, context).await {
        Ok(c) => c,
        Err(why) => {
            out.unreachable = Some(format!(
                "{why}; its {} change{} were not previewed",
                requests.len(),
                if requests.len() == 1 { "" } else { "s" }
            ));
            return out;
        }
    };
    let mut pending = Pending::default();
    for request in requests {
        match preview_request(&mut cluster, request, &mut pending).await {
            Ok(objects) => out.objects.extend(objects),
            Err(why) => {
                out.unreachable = Some(format!(
                    "{why} (at step {}, {}); the rest was not previewed",
                    request.step, request.at
                ));
                return out;
            }
        }
    }
    out
}

/// Previews one request; `Err` when the context stopped answering.
async fn preview_request(
    cluster: &mut Cluster,
    request: &Request,
    pending: &mut Pending,
) -> Result<Vec<ObjectPreview>, String> {
    let mut out = Vec::new();
    for target in &request.targets {
        let shown = |kind: &str, namespace: Option<&str>, name: &str, source: Option<&Origin>| {
            ObjectPreview {
                step: request.step.clone(),
                at: request.at.clone(),
                source: source.filter(|s| **s != request.at).cloned(),
                command: request.command.clone(),
                kind: kind.to_owned(),
                namespace: namespace.map(str::to_owned),
                name: name.to_owned(),
                scope: None,
                outcome: Outcome::Unchanged,
                note: None,
            }
        };
        let mut scope = None;
        // Resolve the target's resource and the names it stands for.
        let (resource, objects): (Result<Resource, String>, Vec<Named>) = match target {
            Target::Object(m) => {
                let r = cluster
                    .kind(m.api_version(), m.kind())
                    .await
                    .map_err(unreachable)?;
                let ns = m
                    .namespace()
                    .map(str::to_owned)
                    .or_else(|| request.namespace.clone());
                (r, vec![(Some(m.object.clone()), ns, m.name().to_owned())])
            }
            Target::Named { resource, name } => {
                let r = cluster.typed(resource).await.map_err(unreachable)?;
                (r, vec![(None, request.namespace.clone(), name.clone())])
            }
            Target::Selected {
                resource,
                labels,
                fields,
                all_namespaces,
            } => {
                let r = cluster.typed(resource).await.map_err(unreachable)?;
                // kubectl lists in the command's namespace (`default` without `-n`), in
                // every namespace with `-A`, and cluster-wide for a cluster-scoped type.
                // A type the server does not serve is taken as namespaced: the scope then says
                // what the command's flags say.
                let namespaced = r.as_ref().map_or(true, |res| res.namespaced);
                let ns = (namespaced && !all_namespaces).then(|| {
                    request
                        .namespace
                        .clone()
                        .unwrap_or_else(|| "default".into())
                });
                scope = target.scope(ns.as_deref(), namespaced);
                let res = match &r {
                    Ok(res) => res,
                    Err(reason) => {
                        let mut p = shown(resource, ns.as_deref(), "", None);
                        p.scope = scope.clone();
                        p.outcome = Outcome::Rejected {
                            reason: reason.clone(),
                        };
                        out.push(p);
                        continue;
                    }
                };
                let listed = cluster
                    .list(res, ns.as_deref(), labels.as_deref(), fields.as_deref())
                    .await;
                let items = match listed {
                    Ok(items) => items,
                    // The server refuses the selection (a field it cannot select on): kubectl
                    // would fail with the same words.
                    Err(Failure::Api {
                        code,
                        reason,
                        message,
                    }) => {
                        let mut p = shown(&res.api.kind, ns.as_deref(), "", None);
                        p.scope = scope.clone();
                        p.outcome = Outcome::Rejected {
                            reason: format!("{message} ({code} {reason})"),
                        };
                        out.push(p);
                        continue;
                    }
                    Err(f) => return Err(unreachable(f)),
                };
                // Objects an earlier step would delete are gone by then: kubectl's list
                // would not hold them.
                let found: Vec<Named> = items
                    .iter()
                    .map(|o| {
                        (
                            None,
                            o["metadata"]["namespace"].as_str().map(str::to_owned),
                            o["metadata"]["name"].as_str().unwrap_or("").to_owned(),
                        )
                    })
                    .filter(|(_, ns, name)| {
                        !pending.deleted.contains(&key(res, ns.as_deref(), name))
                    })
                    .collect();
                if found.is_empty() {
                    let mut p = shown(&res.api.kind, ns.as_deref(), "", None);
                    p.scope = scope.clone();
                    p.outcome = Outcome::NothingToDelete;
                    p.note = Some("no object matches".into());
                    out.push(p);
                    continue;
                }
                (r, found)
            }
        };
        let source = match target {
            Target::Object(m) => Some(m.origin.clone()),
            _ => None,
        };
        let resource = match resource {
            Ok(r) => r,
            Err(reason)
                if matches!(target, Target::Object(_))
                    && matches!(request.op, Op::Apply | Op::Create) =>
            {
                let Target::Object(m) = target else {
                    unreachable!("matched above")
                };
                let defined = (m.api_version().to_owned(), m.kind().to_owned());
                let mut p = shown(
                    m.kind(),
                    m.namespace().or(request.namespace.as_deref()),
                    m.name(),
                    source.as_ref(),
                );
                match pending.kinds.get(&defined) {
                    Some(step) => {
                        p.outcome = Outcome::WouldCreate;
                        p.note = Some(format!(
                            "its kind is defined by a CustomResourceDefinition step {step} creates earlier in this preview: the server could not check the object"
                        ));
                    }
                    None => {
                        p.outcome = Outcome::Rejected { reason };
                    }
                }
                out.push(p);
                continue;
            }
            Err(reason) => {
                let (kind, name, ns) = match target {
                    Target::Object(m) => (
                        m.kind().to_owned(),
                        m.name().to_owned(),
                        m.namespace()
                            .map(str::to_owned)
                            .or_else(|| request.namespace.clone()),
                    ),
                    Target::Named { resource, name } => {
                        (resource.clone(), name.clone(), request.namespace.clone())
                    }
                    Target::Selected { .. } => {
                        unreachable!("a selection whose type is unknown is reported above")
                    }
                };
                let mut p = shown(&kind, ns.as_deref(), &name, source.as_ref());
                p.outcome = Outcome::Rejected { reason };
                out.push(p);
                continue;
            }
        };
        for (object, ns, name) in objects {
            let ns = if resource.namespaced {
                Some(ns.unwrap_or_else(|| "default".to_owned()))
            } else {
                None
            };
            let mut p = shown(&resource.api.kind, ns.as_deref(), &name, source.as_ref());
            p.scope = scope.clone();
            let (outcome, note) = preview_object(
                cluster,
                request,
                &resource,
                ns.as_deref(),
                &name,
                object,
                pending,
            )
            .await
            .map_err(|f| match f {
                Failure::Unreachable(why) => why,
                Failure::Api { message, .. } => message,
            })?;
            p.outcome = outcome;
            p.note = note;
            out.push(p);
        }
    }
    Ok(out)
}

fn unreachable(f: Failure) -> String {
    match f {
        Failure::Unreachable(why) => why,
        Failure::Api {
            code,
            reason,
            message,
        } => format!("{code} {reason}: {message}"),
    }
}

/// The server's answer as an outcome: an error status is a rejection; no answer is `Err`.
fn answered<T>(result: Result<T, Failure>) -> Result<Result<T, String>, Failure> {
    match result {
        Ok(v) => Ok(Ok(v)),
        Err(Failure::Api {
            code,
            reason,
            message,
        }) => Ok(Err(format!("{message} ({code} {reason})"))),
        Err(f) => Err(f),
    }
}

/// Whether a rejection is "namespace NAME not found" for a namespace an earlier step creates.
/// What a change the server settled (or refused) comes to against the live object; what it
/// settled is kept for the later steps.
fn changed(
    pending: &mut Pending,
    k: Key,
    live: &Value,
    settled: Result<(Value, String), String>,
    step: &str,
) -> (Outcome, Option<String>) {
    let (result, note) = match settled {
        Ok((r, note)) => (r, Some(note).filter(|n| !n.is_empty())),
        Err(reason) => return (Outcome::Rejected { reason }, None),
    };
    let outcome = match diff::change(live, &result) {
        None => Outcome::Unchanged,
        Some(c) => Outcome::WouldChange(c),
    };
    pending.objects.insert(k, (result, step.to_owned()));
    (outcome, note)
}

fn in_pending_namespace(pending: &Pending, ns: Option<&str>) -> Option<String> {
    let ns = ns?;
    pending.namespaces.get(ns).cloned()
}

#[allow(clippy::too_many_arguments)]
async fn preview_object(
    cluster: &Cluster,
    request: &Request,
    resource: &Resource,
    ns: Option<&str>,
    name: &str,
    object: Option<Value>,
    pending: &mut Pending,
) -> Result<(Outcome, Option<String>), Failure> {
    let k = key(resource, ns, name);
    let earlier = pending.objects.get(&k).cloned();
    let waiting_namespace = in_pending_namespace(pending, ns);
    let live = match (&earlier, pending.deleted.contains(&k), &waiting_namespace) {
        (Some((o, _)), _, _) => Some(o.clone()),
        (None, true, _) | (None, _, Some(_)) => None,
        (None, false, None) => cluster.get(resource, ns, name).await?,
    };
    let created_by = |step: &str| format!("step {step} would create it earlier in this preview");
    match &request.op {
        Op::Apply | Op::Create => {
            let mut object = object.unwrap_or(Value::Null);
            if let (Some(ns), Some(md)) = (
                ns,
                object.get_mut("metadata").and_then(Value::as_object_mut),
            ) {
                md.insert("namespace".into(), Value::String(ns.to_owned()));
            }
            if let Some(ns_step) = &waiting_namespace {
                if earlier.is_none() {
                    pending.created.insert(k.clone());
                    pending.objects.insert(k, (object, request.step.clone()));
                    return Ok((
                        Outcome::WouldCreate,
                        Some(format!(
                            "namespace {} is created by step {ns_step} earlier in this preview: the server checked the kind only",
                            ns.unwrap_or(""),
                        )),
                    ));
                }
            }
            if request.op == Op::Create {
                if let Some((_, step)) = &earlier {
                    let reason = format!(
                        "{} \"{name}\" would already exist: {}",
                        resource.api.plural,
                        created_by(step)
                    );
                    return Ok((Outcome::Rejected { reason }, None));
                }
                if live.is_some() {
                    // The server says it: 409 AlreadyExists, in its words.
                    return Ok(
                        match answered(cluster.create(resource, ns, &object).await)? {
                            Err(reason) => (Outcome::Rejected { reason }, None),
                            Ok(_) => (Outcome::WouldCreate, None),
                        },
                    );
                }
            }
            let (result, note) = match (&live, &earlier) {
                (None, _) => (
                    answered(cluster.apply(resource, ns, name, &object).await)?,
                    None,
                ),
                (Some(live), Some((_, step))) => {
                    // The server cannot apply to the object as an earlier step would leave it:
                    // docrun merges the manifest into it.
                    let mut merged = live.clone();
                    json_patch::merge(&mut merged, &object);
                    let created = pending.created.contains(&k);
                    match settle(cluster, resource, ns, name, merged, step, created).await? {
                        Ok((r, note)) => (Ok(r), Some(note)),
                        Err(reason) => (Err(reason), None),
                    }
                }
                (Some(_), None) => (
                    answered(cluster.apply(resource, ns, name, &object).await)?,
                    None,
                ),
            };
            let result = match result {
                Ok(r) => r,
                Err(reason) => return Ok((Outcome::Rejected { reason }, None)),
            };
            let outcome = match &live {
                None => Outcome::WouldCreate,
                Some(live) => match diff::change(live, &result) {
                    None => Outcome::Unchanged,
                    Some(c) => Outcome::WouldChange(c),
                },
            };
            if resource.api.kind == "CustomResourceDefinition" && live.is_none() {
                for defined in crd_kinds(&result) {
                    pending.kinds.insert(defined, request.step.clone());
                }
            }
            if resource.api.kind == "Namespace" && live.is_none() {
                pending
                    .namespaces
                    .insert(name.to_owned(), request.step.clone());
            }
            if live.is_none() {
                pending.created.insert(k.clone());
            }
            pending.deleted.remove(&k);
            pending.objects.insert(k, (result, request.step.clone()));
            Ok((outcome, note))
        }
        Op::Delete { ignore_not_found } => {
            let Some(_) = live else {
                let note = (!ignore_not_found).then(|| {
                    format!("kubectl delete would fail: {} \"{name}\" not found (no --ignore-not-found)", resource.api.plural)
                });
                return Ok((Outcome::NothingToDelete, note));
            };
            if let Some((_, step)) = earlier.as_ref().filter(|_| pending.created.contains(&k)) {
                pending.objects.remove(&k);
                pending.created.remove(&k);
                pending.deleted.insert(k);
                return Ok((Outcome::WouldDelete, Some(created_by(step))));
            }
            pending.objects.remove(&k);
            if let Err(reason) = answered(cluster.delete(resource, ns, name).await)? {
                return Ok((Outcome::Rejected { reason }, None));
            }
            pending.deleted.insert(k);
            if resource.api.kind == "Namespace" {
                return Ok((Outcome::WouldDelete, Some("with every object in it".into())));
            }
            Ok((Outcome::WouldDelete, None))
        }
        Op::Patch { .. } | Op::Scale { .. } | Op::SetImage { .. } => {
            let Some(live) = live else {
                let reason = format!("{} \"{name}\" not found", resource.api.plural);
                return Ok((Outcome::Rejected { reason }, None));
            };
            let local = match &request.op {
                Op::Scale { replicas } => {
                    let mut o = live.clone();
                    if o.get("spec").is_none_or(|s| !s.is_object()) {
                        return Ok((
                            Outcome::Rejected {
                                reason: format!(
                                    "{} \"{name}\" has no spec to scale",
                                    resource.api.plural
                                ),
                            },
                            None,
                        ));
                    }
                    o["spec"]["replicas"] = json!(replicas);
                    Some(o)
                }
                Op::SetImage { images } => {
                    let mut o = live.clone();
                    match set_images(&mut o, images) {
                        Ok(()) => Some(o),
                        Err(reason) => return Ok((Outcome::Rejected { reason }, None)),
                    }
                }
                _ => None,
            };
            let created = pending.created.contains(&k);
            let settled = match (&earlier, local, &request.op) {
                (Some((_, step)), Some(o), _) => {
                    settle(cluster, resource, ns, name, o, step, created).await?
                }
                (Some((o, step)), None, Op::Patch { patch_type, body })
                    if patch_type == "merge" =>
                {
                    let mut o = o.clone();
                    json_patch::merge(&mut o, body);
                    settle(cluster, resource, ns, name, o, step, created).await?
                }
                (Some((_, step)), None, Op::Patch { patch_type, body }) => {
                    if created {
                        let reason = format!("a {patch_type} patch of the object step {step} would create cannot be previewed: no server holds it yet");
                        return Ok((Outcome::Rejected { reason }, None));
                    }
                    // The server patches the live object, without the earlier step's change.
                    let Some(server_live) = cluster.get(resource, ns, name).await? else {
                        let reason = format!("{} \"{name}\" not found", resource.api.plural);
                        return Ok((Outcome::Rejected { reason }, None));
                    };
                    let answer =
                        answered(cluster.patch_as(resource, ns, name, patch_type, body).await)?;
                    return Ok(match answer {
                        Err(reason) => (Outcome::Rejected { reason }, None),
                        Ok(r) => (
                            diff::change(&server_live, &r).map_or(Outcome::Unchanged, Outcome::WouldChange),
                            Some(format!("compared with the live object: the change step {step} would make first is not in the server's answer")),
                        ),
                    });
                }
                (None, Some(o), _) => answered(cluster.replace(resource, ns, name, &o).await)?
                    .map(|r| (r, String::new())),
                (None, None, Op::Patch { patch_type, body }) => {
                    answered(cluster.patch_as(resource, ns, name, patch_type, body).await)?
                        .map(|r| (r, String::new()))
                }
                (_, None, _) => unreachable!("scale and set image always compute the object"),
            };
            Ok(changed(pending, k, &live, settled, &request.step))
        }
        Op::Meta {
            field,
            set,
            remove,
            overwrite,
        } => {
            let Some(live) = live else {
                let reason = format!("{} \"{name}\" not found", resource.api.plural);
                return Ok((Outcome::Rejected { reason }, None));
            };
            let current = live["metadata"][field]
                .as_object()
                .cloned()
                .unwrap_or_default();
            for (key, value) in set {
                if let Some(old) = current.get(key).and_then(Value::as_str) {
                    if old != value && !overwrite {
                        let reason = format!(
                            "'{key}' already has a value ({old}), and --overwrite is false"
                        );
                        return Ok((Outcome::Rejected { reason }, None));
                    }
                }
            }
            let mut changes = serde_json::Map::new();
            for (key, value) in set {
                changes.insert(key.clone(), Value::String(value.clone()));
            }
            for key in remove {
                changes.insert(key.clone(), Value::Null);
            }
            let patch_body = json!({"metadata": {(*field): changes}});
            let settled = match &earlier {
                Some((o, step)) => {
                    let mut o = o.clone();
                    json_patch::merge(&mut o, &patch_body);
                    let created = pending.created.contains(&k);
                    settle(cluster, resource, ns, name, o, step, created).await?
                }
                None => answered(cluster.merge(resource, ns, name, &patch_body).await)?
                    .map(|r| (r, String::new())),
            };
            Ok(changed(pending, k, &live, settled, &request.step))
        }
    }
}
