//! Exec credential plugins (`users[].user.exec` in a kubeconfig: `aws eks get-token`,
//! `gke-gcloud-auth-plugin`, `kubelogin`, ...), run by docrun itself.
//!
//! The kube crate runs a plugin synchronously, inside client creation, with no time limit: a
//! plugin that hangs would hang docrun, and stall every other context's checks with it. docrun
//! runs the plugin as an async child process instead, bounded by the call timeout, killed (with
//! its process group) when the time is up, and turns what it prints into the token or client
//! certificate of the client. The message of a plugin that fails or hangs names the plugin and
//! the context.
//!
//! The credential is fetched once per client: a run longer than the credential's lifetime may
//! see `401 Unauthorized` from a context whose plugin gives short-lived tokens.

use std::process::Stdio;
use std::time::Duration;

use base64::Engine;
use kube::config::{AuthInfo, ExecConfig};
use serde::Deserialize;
use tokio::io::AsyncReadExt;

/// What a plugin prints on stdout (`client.authentication.k8s.io` `ExecCredential`).
#[derive(Debug, Deserialize)]
struct ExecCredential {
    status: Option<Status>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Status {
    token: Option<String>,
    client_certificate_data: Option<String>,
    client_key_data: Option<String>,
}

/// Most of a plugin's output docrun reads (a credential is a few kilobytes).
const MAX_OUTPUT: u64 = 1 << 20;

/// Runs the plugin of `exec` for `context` within `limit`, and puts the credential it prints
/// into `auth` (a bearer token, or a client certificate and key), removing the `exec` entry so
/// that the kube crate does not run the plugin again. `Err` is a complete message.
pub async fn resolve(
    exec: &ExecConfig,
    context: &str,
    limit: Duration,
    auth: &mut AuthInfo,
) -> Result<(), String> {
    let command = exec.command.as_deref().ok_or_else(|| {
        format!("the user of context {context} has an exec credential plugin without a command")
    })?;
    let shown = std::iter::once(command)
        .chain(exec.args.iter().flatten().map(String::as_str))
        .collect::<Vec<_>>()
        .join(" ");
    let mut cmd = tokio::process::Command::new(command);
    cmd.args(exec.args.iter().flatten())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .process_group(0);
    for pair in exec.env.iter().flatten() {
        if let (Some(name), Some(value)) = (pair.get("name"), pair.get("value")) {
            cmd.env(name, value);
        }
    }
    for name in exec.drop_env.iter().flatten() {
        cmd.env_remove(name);
    }
    let api_version = exec
        .api_version
        .clone()
        .unwrap_or_else(|| "client.authentication.k8s.io/v1".to_owned());
    let mut spec = serde_json::json!({"interactive": false});
    if exec.provide_cluster_info {
        // As the kube crate passes it: the context's cluster, filled in when the config loaded.
        if let Some(cluster) = exec
            .cluster
            .as_ref()
            .and_then(|c| serde_json::to_value(c).ok())
        {
            spec["cluster"] = cluster;
        }
    }
    let info = serde_json::json!({
        "apiVersion": api_version,
        "kind": "ExecCredential",
        "spec": spec,
    });
    cmd.env("KUBERNETES_EXEC_INFO", info.to_string());
    let mut child = cmd.spawn().map_err(|e| {
        format!("cannot start the credential plugin `{shown}` of context {context}: {e}")
    })?;
    let pid = child.id().map(|p| p as i32);
    if let Some(pid) = pid {
        crate::guard::own(pid);
    }
    let mut stdout = child
        .stdout
        .take()
        .expect("stdout is piped")
        .take(MAX_OUTPUT);
    let mut stderr = child
        .stderr
        .take()
        .expect("stderr is piped")
        .take(MAX_OUTPUT);
    let work = async {
        let mut out = Vec::new();
        let mut err = Vec::new();
        let (read_out, read_err, status) = tokio::join!(
            stdout.read_to_end(&mut out),
            stderr.read_to_end(&mut err),
            child.wait()
        );
        read_out.and(read_err)?;
        Ok::<_, std::io::Error>((status?, out, err))
    };
    let outcome = tokio::time::timeout(limit, work).await;
    let result = match outcome {
        Err(_) => {
            if let Some(pid) = pid {
                // The plugin and whatever it started.
                let _ = nix::sys::signal::killpg(
                    nix::unistd::Pid::from_raw(pid),
                    nix::sys::signal::Signal::SIGKILL,
                );
            }
            let _ = child.kill().await;
            Err(format!(
                "the credential plugin `{shown}` of context {context} did not answer within {}; it was stopped",
                crate::duration::human(limit)
            ))
        }
        Ok(Err(e)) => Err(format!(
            "the credential plugin `{shown}` of context {context} failed: {e}"
        )),
        Ok(Ok((status, _, err))) if !status.success() => {
            let said = String::from_utf8_lossy(&err);
            let said = said.trim();
            Err(format!(
                "the credential plugin `{shown}` of context {context} failed ({status}){}",
                if said.is_empty() {
                    String::new()
                } else {
                    format!(": {}", said.chars().take(500).collect::<String>())
                }
            ))
        }
        Ok(Ok((_, out, _))) => apply(&out, auth).map_err(|e| {
            format!("the credential plugin `{shown}` of context {context} printed no usable credential: {e}")
        }),
    };
    if let Some(pid) = pid {
        crate::guard::disown(pid);
    }
    result
}

/// Puts the credential of a plugin's output into `auth`.
fn apply(out: &[u8], auth: &mut AuthInfo) -> Result<(), String> {
    let cred: ExecCredential =
        serde_json::from_slice(out).map_err(|e| format!("not an ExecCredential: {e}"))?;
    let status = cred.status.ok_or("the ExecCredential has no status")?;
    auth.exec = None;
    match status {
        Status {
            client_certificate_data: Some(cert),
            client_key_data: Some(key),
            ..
        } => {
            // The kubeconfig fields hold base64, the plugin's fields PEM.
            let b64 = base64::engine::general_purpose::STANDARD;
            auth.client_certificate_data = Some(b64.encode(cert));
            auth.client_key_data = Some(b64.encode(key).into());
            Ok(())
        }
        Status {
            token: Some(token), ..
        } => {
            auth.token = Some(token.into());
            Ok(())
        }
        _ => Err("the ExecCredential holds neither a token nor a client certificate".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_or_a_certificate_becomes_the_client_credential() {
        let mut auth = AuthInfo::default();
        apply(br#"{"status": {"token": "abc"}}"#, &mut auth).unwrap();
        assert!(auth.token.is_some());
        let mut auth = AuthInfo::default();
        apply(
            br#"{"status": {"clientCertificateData": "C", "clientKeyData": "K"}}"#,
            &mut auth,
        )
        .unwrap();
        assert_eq!(auth.client_certificate_data.as_deref(), Some("Qw=="));
        assert!(apply(br#"{"status": {}}"#, &mut AuthInfo::default()).is_err());
        assert!(apply(b"not json", &mut AuthInfo::default()).is_err());
    }
}
