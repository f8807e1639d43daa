//! Checks that read secrets: `kube.secret` (the keys are there) and `trust.common-root` (the
//! plug-in CA secrets of several clusters share one root, verified in [`super::trust`]).
//! Messages name keys, never values.

use std::collections::BTreeMap;

use futures::future::join_all;
use k8s_openapi::api::core::v1::Secret;
use kube::Api;

use super::client::Clients;
use super::explain::CallError;
use super::outcome::Outcome;
use super::trust;
use crate::check::CheckStatus;

/// A secret's keys and decoded values (`data`, then `stringData` for keys `data` lacks);
/// `None` when the secret does not exist.
async fn secret_data(
    clients: &Clients,
    context: &str,
    namespace: &str,
    name: &str,
) -> Result<Option<BTreeMap<String, Vec<u8>>>, CallError> {
    let client = clients.get(context).await?;
    let api: Api<Secret> = Api::namespaced(client, namespace);
    let Some(secret) = clients.call(context, api.get_opt(name)).await? else {
        return Ok(None);
    };
    let mut data: BTreeMap<String, Vec<u8>> = secret
        .data
        .unwrap_or_default()
        .into_iter()
        .map(|(k, v)| (k, v.0))
        .collect();
    for (k, v) in secret.string_data.unwrap_or_default() {
        data.entry(k).or_insert_with(|| v.into_bytes());
    }
    Ok(Some(data))
}

/// `kube.secret`: the secret exists and holds every key in `keys`.
pub(crate) async fn secret(
    clients: &Clients,
    context: &str,
    namespace: &str,
    name: &str,
    keys: &[String],
) -> Outcome {
    let target = format!("secret {namespace}/{name}");
    let fail = |m: String| Outcome::failed(context, target.clone(), m);
    let data = match secret_data(clients, context, namespace, name).await {
        Ok(Some(d)) => d,
        Ok(None) => {
            return fail(format!(
                "secret {namespace}/{name} not found in context {context}; expected keys {}",
                keys.join(", ")
            ))
        }
        Err(e) => return fail(e.to_string()),
    };
    let missing: Vec<&str> = keys
        .iter()
        .map(String::as_str)
        .filter(|k| !data.contains_key(*k))
        .collect();
    let present: Vec<&str> = data.keys().map(String::as_str).collect();
    let present = if present.is_empty() {
        "no keys".to_string()
    } else {
        format!("keys {}", present.join(", "))
    };
    if missing.is_empty() {
        Outcome::passed(
            context,
            target,
            format!("secret {namespace}/{name} in context {context} holds {present}"),
        )
    } else {
        fail(format!(
            "secret {namespace}/{name} in context {context} lacks key(s) {}; it holds {present}",
            missing.join(", ")
        ))
    }
}

/// `trust.common-root`: one result per context (its secret verified alone), then one comparing
/// the roots.
pub(crate) async fn common_root(
    clients: &Clients,
    contexts: &[String],
    namespace: &str,
    secret: &str,
) -> Vec<Outcome> {
    let label = format!("{namespace}/{secret}");
    let target = format!("secret {label}");
    let fetched = join_all(
        contexts
            .iter()
            .map(|c| secret_data(clients, c, namespace, secret)),
    )
    .await;
    let failed = |context: &str, message: String| trust::ContextVerdict {
        context: context.to_string(),
        status: CheckStatus::Failed,
        message,
        roots: vec![],
    };
    let verdicts: Vec<trust::ContextVerdict> = contexts
        .iter()
        .zip(fetched)
        .map(|(c, data)| match data {
            Ok(Some(d)) => trust::check_context(c, &label, &d),
            Ok(None) => failed(
                c,
                format!(
                    "secret {label} not found in context {c}: create it from the shared root CA and an \
                     intermediate for this cluster before installing Istio"
                ),
            ),
            Err(e) => failed(c, e.to_string()),
        })
        .collect();
    let common = trust::check_common(&verdicts);
    let mut out: Vec<Outcome> = verdicts
        .iter()
        .map(|v| {
            Outcome::new(
                Some(&v.context),
                target.clone(),
                v.status,
                v.message.clone(),
            )
        })
        .collect();
    out.push(Outcome::new(
        None,
        format!("root CA of {target} in {}", contexts.join(", ")),
        common.status,
        common.message,
    ));
    out
}
