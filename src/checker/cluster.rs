//! Checks about clusters themselves: `kube.context` (in the kubeconfig?), `kube.reachable`
//! (answers?), `kube.version` (a supported version?) and `kube.distinct` (different clusters?).

use std::net::IpAddr;

use futures::future::join_all;
use k8s_openapi::api::core::v1::Namespace;
use kube::Api;

use super::client::Clients;
use super::outcome::Outcome;
use crate::check::CheckStatus;

/// `kube.context`: the context is in the kubeconfig. Looks at no server.
pub(crate) fn context(clients: &Clients, context: &str) -> Outcome {
    let target = format!("context {context}");
    if !clients.knows(context) {
        return Outcome::failed(context, target, clients.unknown(context));
    }
    let server = clients
        .url(context)
        .unwrap_or_else(|| "a client given by the caller".into());
    Outcome::passed(
        context,
        target,
        format!("context {context} is in the kubeconfig (server {server})"),
    )
}

/// `kube.reachable`: the server answers `/version`; a warning when its address is loopback.
pub(crate) async fn reachable(clients: &Clients, context: &str) -> Outcome {
    let target = match clients.url(context) {
        Some(url) => format!("API server {url}"),
        None => "API server".to_string(),
    };
    let info = match version_info(clients, context).await {
        Ok(i) => i,
        Err(e) => return Outcome::failed(context, target, e),
    };
    let server = clients.server(context);
    match clients.url(context) {
        Some(url) if server_host(&url).is_some_and(|h| is_loopback(&h)) => Outcome::new(
            Some(context),
            target,
            CheckStatus::Warning,
            format!(
                "{server} is on loopback: other clusters cannot reach it; the multicluster guides need each API \
                 server reachable from the other clusters (it answered /version: {})",
                info.git_version
            ),
        ),
        _ => Outcome::passed(
            context,
            target,
            format!("{server} answered /version ({})", info.git_version),
        ),
    }
}

async fn version_info(
    clients: &Clients,
    context: &str,
) -> Result<k8s_openapi::apimachinery::pkg::version::Info, super::explain::CallError> {
    let client = clients.get(context).await?;
    clients.call(context, client.apiserver_version()).await
}

/// `kube.version`: the server's `major.minor` is one of `versions`.
pub(crate) async fn version(clients: &Clients, context: &str, versions: &[String]) -> Outcome {
    let target = "Kubernetes version";
    let wanted: Vec<(u32, u32)> = versions.iter().filter_map(|v| major_minor(v)).collect();
    if wanted.is_empty() || wanted.len() != versions.len() {
        return Outcome::failed(
            context,
            target,
            format!(
                "kube.version needs versions written as MAJOR.MINOR (got [{}])",
                versions.join(", ")
            ),
        );
    }
    let info = match version_info(clients, context).await {
        Ok(i) => i,
        Err(e) => return Outcome::failed(context, target, e),
    };
    let found = major_minor(&format!("{}.{}", info.major, info.minor))
        .or_else(|| major_minor(&info.git_version));
    let list = wanted
        .iter()
        .map(|(a, b)| format!("{a}.{b}"))
        .collect::<Vec<_>>()
        .join(", ");
    match found {
        Some(mm) if wanted.contains(&mm) => Outcome::passed(
            context,
            target,
            format!(
                "context {context} runs Kubernetes {}.{} ({}), one of {list}",
                mm.0, mm.1, info.git_version
            ),
        ),
        Some(mm) => Outcome::failed(
            context,
            target,
            format!(
                "context {context} runs Kubernetes {}.{} ({}), but this guide supports {list}: use a cluster of a \
                 supported version",
                mm.0, mm.1, info.git_version
            ),
        ),
        None => Outcome::failed(
            context,
            target,
            format!(
                "{} reports a version docrun cannot read (major {:?}, minor {:?}, gitVersion {:?}); expected one of {list}",
                clients.server(context),
                info.major,
                info.minor,
                info.git_version
            ),
        ),
    }
}

/// `kube.distinct`: the contexts are different clusters (server URLs first, without a call;
/// then the uids of their `kube-system` namespaces).
pub(crate) async fn distinct(clients: &Clients, contexts: &[String]) -> Outcome {
    let target = format!("contexts {}", contexts.join(", "));
    let fail = |m: String| Outcome::new(None, target.clone(), CheckStatus::Failed, m);
    if contexts.len() < 2 {
        return fail(format!(
            "kube.distinct needs at least two contexts, got [{}]",
            contexts.join(", ")
        ));
    }
    if let Some(c) = contexts.iter().find(|c| !clients.knows(c)) {
        return fail(clients.unknown(c).to_string());
    }
    for (i, a) in contexts.iter().enumerate() {
        for b in &contexts[i + 1..] {
            if a == b {
                return fail(format!(
                    "context {a} is listed twice: the guide needs different clusters"
                ));
            }
            if let (Some(ua), Some(ub)) = (clients.url(a), clients.url(b)) {
                if normalize_url(&ua) == normalize_url(&ub) {
                    return fail(format!(
                        "contexts {a} and {b} point at the same API server {ua}: the guide needs different \
                         clusters; point one of them at another cluster"
                    ));
                }
            }
        }
    }
    let uids = join_all(contexts.iter().map(|c| async move {
        let client = clients.get(c).await.map_err(|e| e.to_string())?;
        let api: Api<Namespace> = Api::all(client);
        let ns = clients
            .call(c, api.get("kube-system"))
            .await
            .map_err(|e| e.to_string())?;
        ns.metadata.uid.ok_or_else(|| {
            format!(
                "{} returned namespace kube-system without a uid",
                clients.server(c)
            )
        })
    }))
    .await;
    let mut seen: Vec<(&str, String)> = Vec::new();
    for (c, uid) in contexts.iter().zip(uids) {
        let uid = match uid {
            Ok(u) => u,
            Err(m) => return fail(m),
        };
        if let Some((other, _)) = seen.iter().find(|(_, u)| *u == uid) {
            return fail(format!(
                "contexts {other} and {c} reach the same cluster (namespace kube-system has uid {uid} in both): \
                 the guide needs different clusters"
            ));
        }
        seen.push((c, uid));
    }
    let list: Vec<String> = seen.iter().map(|(c, u)| format!("{c}: {u}")).collect();
    Outcome::new(
        None,
        target,
        CheckStatus::Passed,
        format!(
            "different clusters (kube-system namespace uids {})",
            list.join(", ")
        ),
    )
}

/// `(major, minor)` of `1.30`, `v1.30.2`, `1.30+`, `v1.30.2-eks-1234`.
fn major_minor(v: &str) -> Option<(u32, u32)> {
    let v = v.trim().trim_start_matches('v');
    let mut parts = v.split('.');
    let num = |p: &str| -> Option<u32> {
        let digits: String = p.chars().take_while(char::is_ascii_digit).collect();
        digits.parse().ok()
    };
    Some((num(parts.next()?)?, num(parts.next()?)?))
}

/// The host of a server URL (`https://[::1]:6443/` → `::1`).
fn server_host(url: &str) -> Option<String> {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let authority = rest.split(['/', '?', '#']).next()?;
    let hostport = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    if let Some(v6) = hostport.strip_prefix('[') {
        return v6.split_once(']').map(|(h, _)| h.to_string());
    }
    hostport.split(':').next().map(str::to_string)
}

/// Loopback or unspecified addresses, and `localhost` names: not reachable from another cluster.
fn is_loopback(host: &str) -> bool {
    let h = host.to_ascii_lowercase();
    h == "localhost"
        || h.ends_with(".localhost")
        || h.parse::<IpAddr>()
            .is_ok_and(|ip| ip.is_loopback() || ip.is_unspecified())
}

fn normalize_url(url: &str) -> String {
    url.trim().trim_end_matches('/').to_ascii_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_hosts_and_loopback() {
        assert_eq!(major_minor("1.30"), Some((1, 30)));
        assert_eq!(major_minor("v1.30.2"), Some((1, 30)));
        assert_eq!(major_minor("1.30+"), Some((1, 30)));
        assert_eq!(major_minor("v1.29.4-eks-036c24b"), Some((1, 29)));
        assert_eq!(major_minor("latest"), None);

        assert_eq!(
            server_host("https://127.0.0.1:6443").as_deref(),
            Some("127.0.0.1")
        );
        assert_eq!(server_host("https://[::1]:6443/").as_deref(), Some("::1"));
        assert_eq!(
            server_host("http://localhost").as_deref(),
            Some("localhost")
        );
        assert_eq!(
            server_host("https://api.example.com:443/k8s").as_deref(),
            Some("api.example.com")
        );
        assert!(is_loopback("127.0.0.1") && is_loopback("127.1.2.3") && is_loopback("::1"));
        assert!(is_loopback("localhost") && is_loopback("LOCALHOST") && is_loopback("0.0.0.0"));
        assert!(!is_loopback("10.0.0.1") && !is_loopback("api.example.com"));
    }
}
