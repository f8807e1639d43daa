//! Why a question to a cluster got no answer, in a user's words.
//!
//! Every way a check can fail to ask an API server is a [`CallError`] kind: the context is not
//! in the kubeconfig, its client cannot be built, the server does not answer in time, cannot be
//! reached, answers with an error status, or does not serve a kind. Checks that must tell the
//! cases apart match on the kind (`kube.absent` passes when the kind is not served); the others
//! print it. Its `Display` is the message a user reads: it names the context and the server's
//! URL, says what happened and what to look at.

use std::fmt;
use std::time::Duration;

/// The API server of a context, as messages name it:
/// `the API server of context c1 at https://10.0.0.1:6443`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiServer {
    pub context: String,
    /// The server URL from the kubeconfig; `None` for a client given by the caller.
    pub url: Option<String>,
}

impl fmt::Display for ApiServer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "the API server of context {}", self.context)?;
        if let Some(url) = &self.url {
            write!(f, " at {url}")?;
        }
        Ok(())
    }
}

/// A question to a context's API server that got no usable answer.
#[derive(Debug, Clone, thiserror::Error)]
pub enum CallError {
    /// The context is not in the kubeconfig; `known` lists the contexts that are.
    #[error("{}", unknown_context(context, known))]
    UnknownContext { context: String, known: Vec<String> },
    /// The context's kubeconfig entry cannot be used, or its credential plugin failed. The text
    /// is complete and names the context.
    #[error("{0}")]
    Client(String),
    /// The server did not answer within the call timeout.
    #[error(
        "{server} did not answer within {}: is the cluster running and reachable from here?",
        fmt_duration(*after)
    )]
    Timeout { server: ApiServer, after: Duration },
    /// No connection, or no TLS session: `cause` is the innermost error
    /// (`Connection refused (os error 111)`, `invalid peer certificate: UnknownIssuer`).
    #[error("cannot reach {server}: {cause}; {}", transport_hint(cause))]
    Transport { server: ApiServer, cause: String },
    /// The server answered with an error status (401, 403, 500, ...).
    #[error(
        "{server} answered {} {}: {}{}",
        status.code,
        status.reason,
        status.message,
        status_hint(status.code)
    )]
    Api {
        server: ApiServer,
        status: Box<kube::core::Status>,
    },
    /// The server's answer (or one event of a watch) was larger than docrun reads.
    #[error(
        "{server} sent too much: {cause}; is the address that of a Kubernetes API server, and does \
         nothing between docrun and it (a proxy) alter its answers?"
    )]
    TooLarge {
        server: ApiServer,
        cause: super::transport::TooLarge,
    },
    /// Discovery found no such kind on the server.
    #[error("{server} does not serve kind {kind} in {api_version} (is its CRD installed? is the apiVersion right?)")]
    KindNotServed {
        server: ApiServer,
        kind: String,
        api_version: String,
    },
}

impl CallError {
    /// The kind of a failed request to `server`: an error status stays one, anything else is a
    /// transport failure named by its innermost cause, an answer over its cap is
    /// [`CallError::TooLarge`].
    pub fn from_kube(server: ApiServer, error: &kube::Error) -> Self {
        if let Some(cause) = super::transport::too_large(error) {
            return CallError::TooLarge { server, cause };
        }
        match error {
            kube::Error::Api(status) => CallError::Api {
                server,
                status: status.clone(),
            },
            other => CallError::Transport {
                server,
                cause: root_cause(other),
            },
        }
    }
}

fn unknown_context(context: &str, known: &[String]) -> String {
    let Some(closest) = known.iter().min_by_key(|n| strsim::levenshtein(n, context)) else {
        return format!("context {context} is not in the kubeconfig, which has no contexts");
    };
    format!(
        "context {context} is not in the kubeconfig; did you mean {closest}? Available contexts: {}",
        known.join(", ")
    )
}

fn transport_hint(cause: &str) -> &'static str {
    if cause.contains("certificate") {
        "does the certificate-authority of the context's cluster match the server's certificate?"
    } else {
        "is the cluster running and the address right?"
    }
}

fn status_hint(code: u16) -> &'static str {
    match code {
        401 => ": check the credentials of the context (token or client certificate)",
        403 => ": the context's user lacks permission to read this",
        _ => "",
    }
}

/// An error and its sources, joined with ": ", skipping sources already quoted by their parent.
pub fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut out = e.to_string();
    let mut cur = e.source();
    while let Some(s) = cur {
        let text = s.to_string();
        if !out.contains(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        cur = s.source();
    }
    out
}

/// The innermost source of an error: for transport errors the one that says what happened
/// (`Connection refused (os error 111)`, `invalid peer certificate: UnknownIssuer`), without the
/// layers of client wrappers around it.
pub fn root_cause(e: &(dyn std::error::Error + 'static)) -> String {
    let mut cur = e;
    while let Some(s) = cur.source() {
        cur = s;
    }
    cur.to_string()
}

/// `5s`, `1.5s`, `250ms`.
pub fn fmt_duration(d: Duration) -> String {
    if d.as_millis() < 1000 {
        format!("{}ms", d.as_millis())
    } else if d.subsec_millis() == 0 {
        format!("{}s", d.as_secs())
    } else {
        format!("{:.1}s", d.as_secs_f64())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn server() -> ApiServer {
        ApiServer {
            context: "c1".into(),
            url: Some("https://10.0.0.1:6443".into()),
        }
    }

    #[test]
    fn each_kind_names_the_server_and_says_what_to_look_at() {
        assert_eq!(
            CallError::Timeout {
                server: server(),
                after: Duration::from_millis(500)
            }
            .to_string(),
            "the API server of context c1 at https://10.0.0.1:6443 did not answer within 500ms: is the \
             cluster running and reachable from here?"
        );
        assert_eq!(
            CallError::Transport {
                server: ApiServer {
                    context: "c1".into(),
                    url: None
                },
                cause: "Connection refused (os error 111)".into()
            }
            .to_string(),
            "cannot reach the API server of context c1: Connection refused (os error 111); is the cluster \
             running and the address right?"
        );
        let status = kube::core::Status::failure("forbidden", "Forbidden").with_code(403);
        assert_eq!(
            CallError::Api {
                server: server(),
                status: Box::new(status)
            }
            .to_string(),
            "the API server of context c1 at https://10.0.0.1:6443 answered 403 Forbidden: forbidden: the \
             context's user lacks permission to read this"
        );
        assert_eq!(
            CallError::UnknownContext {
                context: "x".into(),
                known: vec![]
            }
            .to_string(),
            "context x is not in the kubeconfig, which has no contexts"
        );
    }

    #[test]
    fn durations_read_short() {
        assert_eq!(fmt_duration(Duration::from_secs(5)), "5s");
        assert_eq!(fmt_duration(Duration::from_millis(1500)), "1.5s");
        assert_eq!(fmt_duration(Duration::from_millis(250)), "250ms");
    }
}
