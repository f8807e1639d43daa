//! Objects of any kind, found by discovery: `kube.exists` and `kube.absent`, and the
//! discovery that `kube.condition` waits on too.

use kube::api::{ApiResource, DynamicObject, GroupVersionKind};
use kube::discovery::Scope;
use kube::{Api, Client};

use super::client::Clients;
use super::explain::CallError;
use super::outcome::Outcome;
use crate::check::ObjectRef;

/// The API of `object`'s kind on its context: discovery resolves the kind (so CRD kinds work)
/// and its scope. [`CallError::KindNotServed`] when the server does not serve it.
pub(crate) async fn api_of(
    clients: &Clients,
    client: Client,
    object: &ObjectRef,
) -> Result<Api<DynamicObject>, CallError> {
    let ObjectRef {
        context,
        api_version,
        kind,
        namespace,
        ..
    } = object;
    let (group, version) = match api_version.split_once('/') {
        Some((g, v)) => (g, v),
        None => ("", api_version.as_str()),
    };
    let gvk = GroupVersionKind::gvk(group, version, kind);
    let not_served = || CallError::KindNotServed {
        server: clients.server(context),
        kind: kind.clone(),
        api_version: api_version.clone(),
    };
    let found = tokio::time::timeout(
        clients.per_call(),
        kube::discovery::pinned_kind(&client, &gvk),
    )
    .await;
    let (resource, namespaced) = match found {
        Ok(Ok((ar, caps))) => (ar, caps.scope == Scope::Namespaced),
        Ok(Err(kube::Error::Discovery(_))) => return Err(not_served()),
        Ok(Err(kube::Error::Api(s))) if s.code == 404 => return Err(not_served()),
        Ok(Err(e)) => return Err(CallError::from_kube(clients.server(context), &e)),
        Err(_) => return Err(clients.timed_out(context)),
    };
    Ok(dynamic_api(
        client,
        &resource,
        namespaced,
        namespace.as_deref(),
    ))
}

fn dynamic_api(
    client: Client,
    ar: &ApiResource,
    namespaced: bool,
    namespace: Option<&str>,
) -> Api<DynamicObject> {
    if namespaced {
        let ns = namespace
            .map(str::to_string)
            .unwrap_or_else(|| client.default_namespace().to_string());
        Api::namespaced_with(client, &ns, ar)
    } else {
        Api::all_with(client, ar)
    }
}

/// The object, `None` when it does not exist.
async fn lookup(clients: &Clients, object: &ObjectRef) -> Result<Option<DynamicObject>, CallError> {
    let client = clients.get(&object.context).await?;
    let api = api_of(clients, client, object).await?;
    clients
        .call(&object.context, api.get_opt(&object.name))
        .await
}

/// `kube.exists` (`want`) or `kube.absent` (`!want`): one look, no wait.
pub(crate) async fn presence(clients: &Clients, object: &ObjectRef, want: bool) -> Outcome {
    let context = object.context.as_str();
    let target = object.describe();
    let pass = |m: String| Outcome::passed(context, target.clone(), m);
    let fail = |m: String| Outcome::failed(context, target.clone(), m);
    match lookup(clients, object).await {
        Err(e @ CallError::KindNotServed { .. }) if !want => {
            pass(format!("{e}: so no {target} exists"))
        }
        Err(e) => fail(e.to_string()),
        Ok(Some(o)) if want => pass(format!(
            "{target} exists in context {context} (created {})",
            o.metadata
                .creation_timestamp
                .as_ref()
                .map(|t| t.0.to_string())
                .unwrap_or_else(|| "at an unknown time".into())
        )),
        Ok(Some(_)) => fail(format!(
            "{target} still exists in context {context}; expected it to be gone (delete it, or wait for its \
             deletion to finish)"
        )),
        Ok(None) if want => fail(format!(
            "{target} not found in context {context}; expected it to exist (did an earlier step fail or run \
             against another context?)"
        )),
        Ok(None) => pass(format!("{target} does not exist in context {context}")),
    }
}
