//! One `kube::Client` per context of a kubeconfig, built on first use, and every request to a
//! server bounded by the call timeout.
//!
//! Building a client is bounded too: reading the files the context names (see
//! [`kubeconfig::inline_files`]), loading the context from the kubeconfig, and running its
//! exec credential plugin (see [`super::credentials`]) as a child process killed when the time is
//! up. A client, or the error that prevented it, is kept for the rest of the run, so concurrent
//! checks of one context share one connection pool and a broken context is diagnosed once.
//!
//! A client built here sends every request through [`super::transport`]: reads are retried on
//! transient failures within the call timeout, and every answer's body is capped.

use std::collections::HashMap;
use std::future::Future;
use std::time::Duration;

use kube::config::{KubeConfigOptions, Kubeconfig};
use kube::Client;
use tokio::sync::OnceCell;

use super::credentials;
use super::explain::{error_chain, fmt_duration, ApiServer, CallError};
use super::kubeconfig;
use super::transport;

/// The clients of one kubeconfig's contexts. `Send + Sync`: shared by concurrent checks.
pub(crate) struct Clients {
    kubeconfig: Kubeconfig,
    per_call: Duration,
    /// Context names: the kubeconfig's, in its order, then those added by [`Clients::insert`].
    names: Vec<String>,
    cells: HashMap<String, OnceCell<Result<Client, CallError>>>,
}

impl Clients {
    /// Clients for the contexts of `kubeconfig`, none built yet; `per_call` bounds every call.
    pub fn new(kubeconfig: Kubeconfig, per_call: Duration) -> Self {
        let names: Vec<String> = kubeconfig.contexts.iter().map(|c| c.name.clone()).collect();
        let cells = names.iter().map(|n| (n.clone(), OnceCell::new())).collect();
        Clients {
            kubeconfig,
            per_call,
            names,
            cells,
        }
    }

    /// Sets the call timeout.
    pub fn set_timeout(&mut self, per_call: Duration) {
        self.per_call = per_call;
    }

    /// The timeout of one call (and of building a client).
    pub fn per_call(&self) -> Duration {
        self.per_call
    }

    /// Uses `client` for `context`, adding the context if the kubeconfig lacks it.
    pub fn insert(&mut self, context: &str, client: Client) {
        if !self.cells.contains_key(context) {
            self.names.push(context.to_string());
        }
        self.cells
            .insert(context.to_string(), OnceCell::new_with(Some(Ok(client))));
    }

    /// The context names, in the kubeconfig's order.
    pub fn names(&self) -> &[String] {
        &self.names
    }

    /// The kubeconfig's `current-context`, if it names one.
    pub fn current_context(&self) -> Option<&str> {
        self.kubeconfig.current_context.as_deref()
    }

    /// Whether `context` is known (in the kubeconfig or given a client).
    pub fn knows(&self, context: &str) -> bool {
        self.cells.contains_key(context)
    }

    /// The server URL of a context, from the kubeconfig.
    pub fn url(&self, context: &str) -> Option<String> {
        let ctx = self
            .kubeconfig
            .contexts
            .iter()
            .find(|c| c.name == context)?
            .context
            .as_ref()?;
        self.kubeconfig
            .clusters
            .iter()
            .find(|c| c.name == ctx.cluster)?
            .cluster
            .as_ref()?
            .server
            .clone()
    }

    /// The API server of a context, for messages.
    pub fn server(&self, context: &str) -> ApiServer {
        ApiServer {
            context: context.to_string(),
            url: self.url(context),
        }
    }

    /// The error of a context that is not known.
    pub fn unknown(&self, context: &str) -> CallError {
        CallError::UnknownContext {
            context: context.to_string(),
            known: self.names.clone(),
        }
    }

    /// The client of a context, built on first use.
    pub async fn get(&self, context: &str) -> Result<Client, CallError> {
        let Some(cell) = self.cells.get(context) else {
            return Err(self.unknown(context));
        };
        cell.get_or_init(|| self.build(context)).await.clone()
    }

    /// Builds a context's client; each part is bounded by the call timeout. Creating the client
    /// itself runs no plugin: credentials are resolved before.
    async fn build(&self, context: &str) -> Result<Client, CallError> {
        let options = KubeConfigOptions {
            context: Some(context.to_string()),
            ..Default::default()
        };
        let kubeconfig = self.read_files(context).await?;
        let load = kube::Config::from_custom_kubeconfig(kubeconfig, &options);
        let mut config = match tokio::time::timeout(self.per_call, load).await {
            Ok(Ok(c)) => c,
            Ok(Err(e)) => {
                return Err(CallError::Client(format!(
                    "cannot use context {context} of the kubeconfig: {}",
                    error_chain(&e)
                )))
            }
            Err(_) => {
                return Err(CallError::Client(format!(
                    "loading context {context} of the kubeconfig took more than {}",
                    fmt_duration(self.per_call)
                )))
            }
        };
        if let Some(exec) = config.auth_info.exec.clone() {
            credentials::resolve(&exec, context, self.per_call, &mut config.auth_info)
                .await
                .map_err(CallError::Client)?;
        }
        config.connect_timeout = Some(self.per_call);
        config.write_timeout = Some(self.per_call);
        // No read timeout: it would cut watches that are idle between events. Every request
        // is wrapped in `tokio::time::timeout` instead (see `call`), and waits in their own.
        config.read_timeout = None;
        // kube's own retries (429/503/504, up to 15 times, waits up to 1000 s) know nothing of
        // the call timeout: the guard retries instead, within it.
        config.default_retry = false;
        let inner = Client::try_from(config).map_err(|e| {
            CallError::Client(format!(
                "cannot create a client for context {context}: {}",
                error_chain(&e)
            ))
        })?;
        Ok(transport::guarded(inner, self.per_call))
    }

    /// The kubeconfig with the files `context` names (certificate authority, client certificate
    /// and key) read into it, each only if it is a regular file under the size cap, all within
    /// the call timeout (on the blocking pool: a stalled file system does not hold the run).
    async fn read_files(&self, context: &str) -> Result<Kubeconfig, CallError> {
        let mut kubeconfig = self.kubeconfig.clone();
        let name = context.to_string();
        let read = tokio::task::spawn_blocking(move || {
            kubeconfig::inline_files(&mut kubeconfig, &name).map(|()| kubeconfig)
        });
        match tokio::time::timeout(self.per_call, read).await {
            Ok(Ok(Ok(kubeconfig))) => Ok(kubeconfig),
            Ok(Ok(Err(message))) => Err(CallError::Client(message)),
            Ok(Err(e)) => Err(CallError::Client(format!(
                "context {context}: reading the files it names failed: {e}"
            ))),
            Err(_) => Err(CallError::Client(format!(
                "context {context}: reading the files it names (certificate authority, client \
                 certificate and key) took more than {}; is one on a mount that does not answer?",
                fmt_duration(self.per_call)
            ))),
        }
    }

    /// Runs one request to `context`'s server with the call timeout.
    pub async fn call<T>(
        &self,
        context: &str,
        request: impl Future<Output = kube::Result<T>>,
    ) -> Result<T, CallError> {
        match tokio::time::timeout(self.per_call, request).await {
            Ok(Ok(v)) => Ok(v),
            Ok(Err(e)) => Err(CallError::from_kube(self.server(context), &e)),
            Err(_) => Err(self.timed_out(context)),
        }
    }

    /// The error of a call to `context` that took longer than the call timeout.
    pub fn timed_out(&self, context: &str) -> CallError {
        CallError::Timeout {
            server: self.server(context),
            after: self.per_call,
        }
    }
}
