//! Native checks: read-only questions to Kubernetes API servers that docrun asks before, between
//! and after the steps of a guide ("is this context there?", "do these clusters share a root
//! CA?", "are the helloworld pods ready yet?").
//!
//! A [`CheckSpec`] (see [`crate::check`]) says what to check; a [`Checker`] runs specs against the contexts of one
//! kubeconfig and returns [`CheckResult`]s. Checks never write to a cluster. Every network call
//! has a timeout ([`Checker::with_timeout`], 5 s by default), so an unreachable cluster fails
//! fast with a message that names the context and the server URL. Waits
//! (`kube.pods-ready`, `kube.rollout`, `kube.condition`) follow a watch and pass the moment the
//! condition holds; they give up after the wait timeout passed to [`Checker::run`], saying what
//! they saw last.
//!
//! Spec strings arrive resolved: this module expands no `$VARIABLES`.
//!
//! The modules, one concept each:
//! - `outcome`: one result as a check builds it;
//! - `client`: one client per context, built on first use, every call bounded;
//! - `transport`: what every request goes through: retries of transient failures of reads
//!   within the call timeout, and a cap on every answer's body;
//! - `explain`: why a server gave no answer, as a typed error in a user's words;
//! - `cluster`, `objects`, `secrets`, `waits`: the checks, by family;
//! - [`conditions`] and `watch`: what a wait waits for, and the engine that follows a watch;
//! - [`kubeconfig`], `credentials`, `trust`: reading kubeconfigs, running credential plugins,
//!   verifying CA certificates.

mod client;
mod cluster;
pub mod conditions;
mod credentials;
mod explain;
pub mod kubeconfig;
mod objects;
mod outcome;
mod secrets;
mod transport;
mod trust;
mod waits;
mod watch;

use std::time::{Duration, Instant};

use futures::future::join_all;
use kube::config::Kubeconfig;
use kube::Client;

use crate::check::{CheckResult, CheckSpec, CheckStatus};
pub use trust::{fingerprint, CACERTS_KEYS};

pub(crate) use explain::error_chain;
pub use explain::{ApiServer, CallError};
pub(crate) use transport::too_large;

use client::Clients;

/// Why a [`Checker`] could not be built.
#[derive(Debug, thiserror::Error)]
pub enum CheckError {
    /// The kubeconfig (from `KUBECONFIG` or `~/.kube/config`) could not be read or parsed.
    #[error("cannot read the kubeconfig ({source_hint}): {message}")]
    Kubeconfig {
        source_hint: String,
        message: String,
    },
}

/// The default timeout of one network call.
pub const DEFAULT_CALL_TIMEOUT: Duration = Duration::from_secs(5);

/// Runs [`CheckSpec`]s against the contexts of one kubeconfig.
///
/// Holds one `kube::Client` per context, created on first use and shared by all the checks of a
/// run (so by concurrent checks too). `Checker` is `Send + Sync`; share it by reference or `Arc`.
pub struct Checker {
    clients: Clients,
}

impl Checker {
    /// A checker for the kubeconfig named by `KUBECONFIG` (several files joined with `:` are
    /// merged, the first file to set a value wins, files that do not exist are skipped, as
    /// kubectl does), else `~/.kube/config`, read within [`DEFAULT_CALL_TIMEOUT`].
    ///
    /// Each file is checked before it is parsed (see [`kubeconfig`]): a damaged file is an error
    /// naming the file and what is wrong, never a crash.
    pub fn from_env() -> Result<Self, CheckError> {
        let source_hint = match std::env::var_os("KUBECONFIG") {
            Some(v) if !v.is_empty() => format!("KUBECONFIG={}", v.to_string_lossy()),
            _ => "~/.kube/config".to_string(),
        };
        let kc =
            kubeconfig::load(DEFAULT_CALL_TIMEOUT).map_err(|message| CheckError::Kubeconfig {
                source_hint,
                message,
            })?;
        Ok(Self::from_kubeconfig(kc))
    }

    /// A checker for an already loaded kubeconfig. Relative file paths in it
    /// (`certificate-authority`, `client-certificate`, ...) must already be absolute, as
    /// `Kubeconfig::read_from` makes them. Supports tokens, client certificates, custom CAs
    /// (`certificate-authority-data` or a file) and `insecure-skip-tls-verify`.
    pub fn from_kubeconfig(kc: Kubeconfig) -> Self {
        Checker {
            clients: Clients::new(kc, DEFAULT_CALL_TIMEOUT),
        }
    }

    /// Sets the timeout of every network call (connecting, and each request; default 5 s). Waits
    /// use the wait timeout of [`Checker::run`] instead, but their first list still has to answer
    /// within this timeout.
    pub fn with_timeout(mut self, per_call: Duration) -> Self {
        self.clients.set_timeout(per_call);
        self
    }

    /// Uses `client` for `context` instead of building one from the kubeconfig (the context is
    /// added if the kubeconfig lacks it). For tests with a mock service, or for callers that
    /// already hold a client.
    pub fn with_client(mut self, context: &str, client: Client) -> Self {
        self.clients.insert(context, client);
        self
    }

    /// The client of `context` as the checks use it (built on first use, credentials plugin
    /// and connection bounded by the call timeout), for other read-only or dry-run callers.
    /// `Err` holds a complete message naming the context.
    pub async fn client_for(&self, context: &str) -> Result<Client, String> {
        self.clients.get(context).await.map_err(|e| e.to_string())
    }

    /// The kubeconfig's `current-context`, if it names one.
    pub fn current_context(&self) -> Option<&str> {
        self.clients.current_context()
    }

    /// The timeout of one network call.
    pub fn call_timeout(&self) -> Duration {
        self.clients.per_call()
    }

    /// The API server of `context`, as messages name it.
    pub fn api_server(&self, context: &str) -> ApiServer {
        self.clients.server(context)
    }

    /// The context names of the kubeconfig, in its order (for prompting).
    pub fn contexts(&self) -> Vec<String> {
        self.clients.names().to_vec()
    }

    /// Runs one check. Looks use the call timeout; waits (see [`CheckSpec::is_wait`]) give up
    /// after `wait_timeout`. Never panics on a cluster's answer and never returns an empty vector:
    /// every problem becomes a `Failed` result.
    pub async fn run(&self, spec: &CheckSpec, wait_timeout: Duration) -> Vec<CheckResult> {
        let start = Instant::now();
        let clients = &self.clients;
        let wait = wait_timeout;
        let outcomes = match spec {
            CheckSpec::Context { context } => vec![cluster::context(clients, context)],
            CheckSpec::Reachable { context } => vec![cluster::reachable(clients, context).await],
            CheckSpec::Version { context, versions } => {
                vec![cluster::version(clients, context, versions).await]
            }
            CheckSpec::Distinct { contexts } => vec![cluster::distinct(clients, contexts).await],
            CheckSpec::Exists { object } => vec![objects::presence(clients, object, true).await],
            CheckSpec::Absent { object } => vec![objects::presence(clients, object, false).await],
            CheckSpec::Secret {
                context,
                namespace,
                name,
                keys,
            } => vec![secrets::secret(clients, context, namespace, name, keys).await],
            CheckSpec::PodsReady {
                context,
                namespace,
                selector,
                name_prefix,
                count,
            } => vec![
                waits::pods_ready(
                    clients,
                    context,
                    namespace,
                    selector.as_deref(),
                    name_prefix.as_deref(),
                    count.unwrap_or(1),
                    wait,
                )
                .await,
            ],
            CheckSpec::Rollout {
                context,
                namespace,
                kind,
                name,
            } => vec![waits::rollout(clients, context, namespace, kind, name, wait).await],
            CheckSpec::Condition {
                object,
                condition,
                status,
            } => {
                let status = status.as_deref().unwrap_or("True");
                vec![waits::condition(clients, object, condition, status, wait).await]
            }
            CheckSpec::CommonRoot {
                contexts,
                namespace,
                secret,
            } => {
                secrets::common_root(
                    clients,
                    contexts,
                    namespace.as_deref().unwrap_or("istio-system"),
                    secret.as_deref().unwrap_or("cacerts"),
                )
                .await
            }
        };
        let duration = start.elapsed();
        outcomes
            .into_iter()
            .map(|o| CheckResult {
                check: spec.name().to_string(),
                context: o.context,
                target: o.target,
                status: o.status,
                message: o.message,
                duration,
            })
            .collect()
    }

    /// Runs all checks concurrently (so checks of different contexts overlap) and returns their
    /// results in the order of `specs`.
    pub async fn run_all(&self, specs: &[CheckSpec], wait_timeout: Duration) -> Vec<CheckResult> {
        join_all(specs.iter().map(|s| self.run(s, wait_timeout)))
            .await
            .into_iter()
            .flatten()
            .collect()
    }
}

#[cfg(test)]
mod tests;
