//! Native checks: read-only questions to Kubernetes API servers that docrun asks before, between
//! and after the steps of a guide ("is this context there?", "do these clusters share a root
//! CA?", "are the helloworld pods ready yet?").
//!
//! A [`CheckSpec`] says what to check; a [`Checker`] runs specs against the contexts of one
//! kubeconfig and returns [`CheckResult`]s. Checks never write to a cluster. Every network call
//! has a timeout ([`Checker::with_timeout`], 5 s by default), so an unreachable cluster fails
//! fast with a message that names the context and the server URL. Waits
//! (`kube.pods-ready`, `kube.rollout`, `kube.condition`) follow a watch and pass the moment the
//! condition holds; they give up after the wait timeout passed to [`Checker::run`], saying what
//! they saw last.
//!
//! Spec strings arrive resolved: this module expands no `$VARIABLES`.

pub mod conditions;
mod credentials;
pub mod kubeconfig;
mod trust;

use std::collections::{BTreeMap, HashMap};
use std::fmt::Debug;
use std::future::Future;
use std::net::IpAddr;
use std::time::{Duration, Instant};

use futures::future::join_all;
use futures::StreamExt;
use k8s_openapi::api::apps::v1::{DaemonSet, Deployment, StatefulSet};
use k8s_openapi::api::core::v1::{Namespace, Pod, Secret};
use kube::api::{ApiResource, DynamicObject, GroupVersionKind};
use kube::config::{KubeConfigOptions, Kubeconfig};
use kube::discovery::Scope;
use kube::runtime::{watcher, WatchStreamExt};
use kube::{Api, Client, ResourceExt};
use serde::de::DeserializeOwned;
use tokio::sync::OnceCell;

pub use trust::{fingerprint, CACERTS_KEYS};

use conditions::Rollout;

/// One native check, as declared in a guide's front matter or overlay, or derived from a guide.
///
/// The YAML form is a map whose `check` key names the check; field names are kebab-case and
/// unknown fields are rejected:
///
/// ```yaml
/// - {check: kube.context, context: cluster1}
/// - {check: kube.reachable, context: cluster1}
/// - {check: kube.version, context: cluster1, versions: ["1.31", "1.32", "1.33"]}
/// - {check: kube.distinct, contexts: [cluster1, cluster2]}
/// - {check: kube.exists, context: cluster1, api-version: v1, kind: ConfigMap, namespace: istio-system, name: istio}
/// - {check: kube.absent, context: cluster1, api-version: apps/v1, kind: Deployment, namespace: sample, name: sleep}
/// - {check: kube.secret, context: cluster1, namespace: istio-system, name: cacerts, keys: [ca-cert.pem, ca-key.pem]}
/// - {check: kube.pods-ready, context: cluster1, namespace: sample, selector: app=helloworld, name-prefix: helloworld-v1, count: 1}
/// - {check: kube.rollout, context: cluster1, namespace: sample, kind: Deployment, name: helloworld-v1}
/// - {check: kube.condition, context: cluster1, api-version: gateway.networking.k8s.io/v1, kind: Gateway,
///    namespace: istio-system, name: eastwest, condition: Programmed}
/// - {check: trust.common-root, contexts: [cluster1, cluster2]}
/// ```
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "check", deny_unknown_fields, rename_all_fields = "kebab-case")]
pub enum CheckSpec {
    /// Passes when `context` is a context of the kubeconfig; otherwise lists the contexts there
    /// and suggests the closest name.
    #[serde(rename = "kube.context")]
    Context { context: String },
    /// Passes when the API server of `context` answers `/version` within the call timeout.
    /// Gives a warning instead when the server address is loopback (`127.0.0.0/8`, `::1`,
    /// `localhost`, `0.0.0.0`): other clusters cannot reach it, which the multicluster guides need.
    #[serde(rename = "kube.reachable")]
    Reachable { context: String },
    /// Passes when the server's `major.minor` version (a `+` suffix ignored) is one of `versions`
    /// (`"1.30"`, `"v1.30"` and `"1.30.2"` all mean 1.30).
    #[serde(rename = "kube.version")]
    Version {
        context: String,
        versions: Vec<String>,
    },
    /// Passes when the contexts are different clusters: different server URLs and different
    /// `kube-system` namespace uids. Needs at least two contexts.
    #[serde(rename = "kube.distinct")]
    Distinct { contexts: Vec<String> },
    /// Passes when the object exists. Any kind the server serves (found by discovery, so CRD kinds
    /// work); `namespace` is ignored for cluster-scoped kinds and defaults to the context's
    /// namespace (else `default`) for namespaced ones.
    #[serde(rename = "kube.exists")]
    Exists {
        context: String,
        api_version: String,
        kind: String,
        namespace: Option<String>,
        name: String,
    },
    /// Passes when the object does not exist (also when the server does not serve the kind).
    /// Same fields as `kube.exists`. A one-off look, not a wait.
    #[serde(rename = "kube.absent")]
    Absent {
        context: String,
        api_version: String,
        kind: String,
        namespace: Option<String>,
        name: String,
    },
    /// Passes when the secret exists and holds every key in `keys` (in `data` or `stringData`).
    /// Messages name keys, never values.
    #[serde(rename = "kube.secret")]
    Secret {
        context: String,
        namespace: String,
        name: String,
        keys: Vec<String>,
    },
    /// A wait: passes once at least `count` (default 1) pods match and every matching pod is
    /// Running and Ready. Pods match the label `selector` (if any) and the `name-prefix` (if any,
    /// see [`conditions::name_has_prefix`]). Pods being deleted and pods that have `Succeeded`
    /// are ignored.
    #[serde(rename = "kube.pods-ready")]
    PodsReady {
        context: String,
        namespace: String,
        selector: Option<String>,
        name_prefix: Option<String>,
        count: Option<usize>,
    },
    /// A wait: passes once the `Deployment`, `StatefulSet` or `DaemonSet` has rolled out, by the
    /// rules of `kubectl rollout status` (see [`conditions`]). Waits for the object to appear.
    #[serde(rename = "kube.rollout")]
    Rollout {
        context: String,
        namespace: String,
        kind: String,
        name: String,
    },
    /// A wait: passes once the object (any kind, by discovery) has a status condition of type
    /// `condition` whose status is `status` (default `"True"`). Waits for the object to appear.
    #[serde(rename = "kube.condition")]
    Condition {
        context: String,
        api_version: String,
        kind: String,
        namespace: Option<String>,
        name: String,
        condition: String,
        status: Option<String>,
    },
    /// Reads the plug-in CA secret (`secret`, default `cacerts`, in `namespace`, default
    /// `istio-system`) of every context. Each must hold `ca-cert.pem`, `ca-key.pem`,
    /// `root-cert.pem` and `cert-chain.pem`; the root must be a self-signed CA; `ca-cert.pem` must
    /// be a CA whose signature verifies against the root's key (directly or through
    /// `cert-chain.pem`); `cert-chain.pem` should end with the root (a warning otherwise). Yields
    /// one result per context, then one comparing the roots: every context must have the same
    /// root certificate (compared as DER).
    #[serde(rename = "trust.common-root")]
    CommonRoot {
        contexts: Vec<String>,
        namespace: Option<String>,
        secret: Option<String>,
    },
}

impl CheckSpec {
    /// The check's name as written in YAML (`"kube.secret"`), also [`CheckResult::check`].
    pub fn name(&self) -> &'static str {
        match self {
            CheckSpec::Context { .. } => "kube.context",
            CheckSpec::Reachable { .. } => "kube.reachable",
            CheckSpec::Version { .. } => "kube.version",
            CheckSpec::Distinct { .. } => "kube.distinct",
            CheckSpec::Exists { .. } => "kube.exists",
            CheckSpec::Absent { .. } => "kube.absent",
            CheckSpec::Secret { .. } => "kube.secret",
            CheckSpec::PodsReady { .. } => "kube.pods-ready",
            CheckSpec::Rollout { .. } => "kube.rollout",
            CheckSpec::Condition { .. } => "kube.condition",
            CheckSpec::CommonRoot { .. } => "trust.common-root",
        }
    }

    /// The contexts the check talks to, in the order given.
    pub fn contexts(&self) -> Vec<&str> {
        match self {
            CheckSpec::Distinct { contexts } | CheckSpec::CommonRoot { contexts, .. } => {
                contexts.iter().map(String::as_str).collect()
            }
            CheckSpec::Context { context }
            | CheckSpec::Reachable { context }
            | CheckSpec::Version { context, .. }
            | CheckSpec::Exists { context, .. }
            | CheckSpec::Absent { context, .. }
            | CheckSpec::Secret { context, .. }
            | CheckSpec::PodsReady { context, .. }
            | CheckSpec::Rollout { context, .. }
            | CheckSpec::Condition { context, .. } => vec![context.as_str()],
        }
    }

    /// True for the checks that wait for a state (and so use the wait timeout), false for the
    /// checks that look once.
    pub fn is_wait(&self) -> bool {
        matches!(
            self,
            CheckSpec::PodsReady { .. } | CheckSpec::Rollout { .. } | CheckSpec::Condition { .. }
        )
    }
}

/// The verdict of a check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CheckStatus {
    /// The condition holds.
    Passed,
    /// The condition does not hold, or could not be checked (unreachable server, unknown context).
    Failed,
    /// The condition holds but something will likely bite later (a loopback API server, a
    /// `cert-chain.pem` without the root).
    Warning,
}

/// The outcome of a check (one [`CheckSpec`] may yield several, e.g. one per context).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct CheckResult {
    /// The check's name, as in [`CheckSpec::name`] (`"kube.secret"`).
    pub check: String,
    /// The context the result is about; `None` for results about several contexts
    /// (`kube.distinct`, the root comparison of `trust.common-root`).
    pub context: Option<String>,
    /// What was checked, for humans: `secret istio-system/cacerts`, `deployment sample/helloworld-v1`.
    pub target: String,
    /// The verdict.
    pub status: CheckStatus,
    /// What was expected, what was found and, on failure, what to do. Never holds secret values.
    pub message: String,
    /// How long the spec took (the same for every result of one spec).
    #[serde(serialize_with = "serialize_millis", rename = "duration_ms")]
    pub duration: Duration,
}

fn serialize_millis<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_u64(d.as_millis() as u64)
}

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
    kubeconfig: Kubeconfig,
    per_call: Duration,
    /// Context names: the kubeconfig's, in its order, then those added by `with_client`.
    names: Vec<String>,
    clients: HashMap<String, OnceCell<Result<Client, String>>>,
}

/// One check's outcome before the check name and duration are added.
struct Outcome {
    context: Option<String>,
    target: String,
    status: CheckStatus,
    message: String,
}

impl Outcome {
    fn new(
        context: Option<&str>,
        target: impl Into<String>,
        status: CheckStatus,
        message: impl Into<String>,
    ) -> Self {
        Outcome {
            context: context.map(str::to_string),
            target: target.into(),
            status,
            message: message.into(),
        }
    }
}

/// How a call to an API server went wrong.
enum CallError {
    Timeout(Duration),
    Api(Box<kube::core::Status>),
    Transport(String),
}

/// What a wait's judge says about the objects seen so far.
enum Verdict {
    Done(String),
    Pending(String),
    Failed(String),
}

/// What a lookup of one object found.
enum Lookup {
    Found(Box<DynamicObject>),
    NotFound,
    KindNotServed(String),
}

impl Checker {
    /// A checker for the kubeconfig named by `KUBECONFIG` (several files joined with `:` are
    /// merged, the first file to set a value wins), else `~/.kube/config`.
    ///
    /// Each file is checked before it is parsed (see [`kubeconfig`]): a damaged file is an error
    /// naming the file and what is wrong, never a crash.
    pub fn from_env() -> Result<Self, CheckError> {
        let source_hint = match std::env::var_os("KUBECONFIG") {
            Some(v) if !v.is_empty() => format!("KUBECONFIG={}", v.to_string_lossy()),
            _ => "~/.kube/config".to_string(),
        };
        let kc = kubeconfig::load().map_err(|message| CheckError::Kubeconfig {
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
        let names: Vec<String> = kc.contexts.iter().map(|c| c.name.clone()).collect();
        let clients = names.iter().map(|n| (n.clone(), OnceCell::new())).collect();
        Checker {
            kubeconfig: kc,
            per_call: DEFAULT_CALL_TIMEOUT,
            names,
            clients,
        }
    }

    /// Sets the timeout of every network call (connecting, and each request; default 5 s). Waits
    /// use the wait timeout of [`Checker::run`] instead, but their first list still has to answer
    /// within this timeout.
    pub fn with_timeout(mut self, per_call: Duration) -> Self {
        self.per_call = per_call;
        self
    }

    /// Uses `client` for `context` instead of building one from the kubeconfig (the context is
    /// added if the kubeconfig lacks it). For tests with a mock service, or for callers that
    /// already hold a client.
    pub fn with_client(mut self, context: &str, client: Client) -> Self {
        if !self.clients.contains_key(context) {
            self.names.push(context.to_string());
        }
        self.clients
            .insert(context.to_string(), OnceCell::new_with(Some(Ok(client))));
        self
    }

    /// The client of `context` as the checks use it (built on first use, credentials plugin
    /// and connection bounded by the call timeout), for other read-only or dry-run callers.
    /// `Err` holds a complete message naming the context.
    pub async fn client_for(&self, context: &str) -> Result<Client, String> {
        self.client(context).await
    }

    /// The kubeconfig's `current-context`, if it names one.
    pub fn current_context(&self) -> Option<&str> {
        self.kubeconfig.current_context.as_deref()
    }

    /// The timeout of one network call.
    pub fn call_timeout(&self) -> Duration {
        self.per_call
    }

    /// "the API server of context NAME at URL", for messages.
    pub fn describe_server(&self, context: &str) -> String {
        self.api_server(context)
    }

    /// The context names of the kubeconfig, in its order (for prompting).
    pub fn contexts(&self) -> Vec<String> {
        self.names.clone()
    }

    /// Runs one check. Looks use the call timeout; waits (see [`CheckSpec::is_wait`]) give up
    /// after `wait_timeout`. Never panics on a cluster's answer and never returns an empty vector:
    /// every problem becomes a `Failed` result.
    pub async fn run(&self, spec: &CheckSpec, wait_timeout: Duration) -> Vec<CheckResult> {
        let start = Instant::now();
        let outcomes = match spec {
            CheckSpec::Context { context } => vec![self.check_context(context)],
            CheckSpec::Reachable { context } => vec![self.check_reachable(context).await],
            CheckSpec::Version { context, versions } => {
                vec![self.check_version(context, versions).await]
            }
            CheckSpec::Distinct { contexts } => vec![self.check_distinct(contexts).await],
            CheckSpec::Exists {
                context,
                api_version,
                kind,
                namespace,
                name,
            } => vec![
                self.check_presence(context, api_version, kind, namespace.as_deref(), name, true)
                    .await,
            ],
            CheckSpec::Absent {
                context,
                api_version,
                kind,
                namespace,
                name,
            } => vec![
                self.check_presence(
                    context,
                    api_version,
                    kind,
                    namespace.as_deref(),
                    name,
                    false,
                )
                .await,
            ],
            CheckSpec::Secret {
                context,
                namespace,
                name,
                keys,
            } => vec![self.check_secret(context, namespace, name, keys).await],
            CheckSpec::PodsReady {
                context,
                namespace,
                selector,
                name_prefix,
                count,
            } => vec![
                self.wait_pods_ready(
                    context,
                    namespace,
                    selector.as_deref(),
                    name_prefix.as_deref(),
                    count.unwrap_or(1),
                    wait_timeout,
                )
                .await,
            ],
            CheckSpec::Rollout {
                context,
                namespace,
                kind,
                name,
            } => vec![
                self.wait_rollout(context, namespace, kind, name, wait_timeout)
                    .await,
            ],
            CheckSpec::Condition {
                context,
                api_version,
                kind,
                namespace,
                name,
                condition,
                status,
            } => vec![
                self.wait_condition(
                    context,
                    api_version,
                    kind,
                    namespace.as_deref(),
                    name,
                    condition,
                    status.as_deref().unwrap_or("True"),
                    wait_timeout,
                )
                .await,
            ],
            CheckSpec::CommonRoot {
                contexts,
                namespace,
                secret,
            } => {
                self.check_common_root(
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

    // ------------------------------------------------------------------------------- clients

    /// The server URL of a context, from the kubeconfig.
    fn server(&self, context: &str) -> Option<String> {
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

    /// "the API server of context c1 at https://..."
    fn api_server(&self, context: &str) -> String {
        match self.server(context) {
            Some(url) => format!("the API server of context {context} at {url}"),
            None => format!("the API server of context {context}"),
        }
    }

    fn unknown_context(&self, context: &str) -> String {
        if self.names.is_empty() {
            return format!("context {context} is not in the kubeconfig, which has no contexts");
        }
        let closest = self
            .names
            .iter()
            .min_by_key(|n| strsim::levenshtein(n, context))
            .expect("names is not empty");
        format!(
            "context {context} is not in the kubeconfig; did you mean {closest}? Available contexts: {}",
            self.names.join(", ")
        )
    }

    /// The client of a context, built on first use; `Err` holds a complete message.
    async fn client(&self, context: &str) -> Result<Client, String> {
        let Some(cell) = self.clients.get(context) else {
            return Err(self.unknown_context(context));
        };
        cell.get_or_init(|| self.build_client(context))
            .await
            .clone()
    }

    /// Builds a context's client. Each part is bounded by the call timeout: loading the context,
    /// and running its exec credential plugin (if any) as a child process that is killed when
    /// the time is up (see [`credentials`]); creating the client itself then runs no plugin.
    async fn build_client(&self, context: &str) -> Result<Client, String> {
        let options = KubeConfigOptions {
            context: Some(context.to_string()),
            ..Default::default()
        };
        let load = kube::Config::from_custom_kubeconfig(self.kubeconfig.clone(), &options);
        let mut config = match tokio::time::timeout(self.per_call, load).await {
            Ok(Ok(c)) => c,
            Ok(Err(e)) => {
                return Err(format!(
                    "cannot use context {context} of the kubeconfig: {}",
                    error_chain(&e)
                ))
            }
            Err(_) => {
                return Err(format!(
                    "loading context {context} of the kubeconfig took more than {}",
                    fmt_duration(self.per_call)
                ))
            }
        };
        if let Some(exec) = config.auth_info.exec.clone() {
            credentials::resolve(&exec, context, self.per_call, &mut config.auth_info).await?;
        }
        config.connect_timeout = Some(self.per_call);
        config.write_timeout = Some(self.per_call);
        // No read timeout: it would cut watches that are idle between events. Every request
        // is wrapped in `tokio::time::timeout` instead (see `call`), and waits in their own.
        config.read_timeout = None;
        Client::try_from(config).map_err(|e| {
            format!(
                "cannot create a client for context {context}: {}",
                error_chain(&e)
            )
        })
    }

    /// Runs one request with the call timeout.
    async fn call<T>(&self, fut: impl Future<Output = kube::Result<T>>) -> Result<T, CallError> {
        match tokio::time::timeout(self.per_call, fut).await {
            Ok(Ok(v)) => Ok(v),
            Ok(Err(kube::Error::Api(status))) => Err(CallError::Api(status)),
            Ok(Err(e)) => Err(CallError::Transport(root_cause(&e))),
            Err(_) => Err(CallError::Timeout(self.per_call)),
        }
    }

    /// A message for a failed call to a context's API server.
    fn explain(&self, context: &str, err: &CallError) -> String {
        let server = self.api_server(context);
        match err {
            CallError::Timeout(d) => format!(
                "{server} did not answer within {}: is the cluster running and reachable from here?",
                fmt_duration(*d)
            ),
            CallError::Transport(e) => {
                let hint = if e.contains("certificate") {
                    "does the certificate-authority of the context's cluster match the server's certificate?"
                } else {
                    "is the cluster running and the address right?"
                };
                format!("cannot reach {server}: {e}; {hint}")
            }
            CallError::Api(s) => {
                let hint = match s.code {
                    401 => ": check the credentials of the context (token or client certificate)",
                    403 => ": the context's user lacks permission to read this",
                    _ => "",
                };
                format!("{server} answered {} {}: {}{hint}", s.code, s.reason, s.message)
            }
        }
    }

    // ---------------------------------------------------------------------------- the checks

    fn check_context(&self, context: &str) -> Outcome {
        let target = format!("context {context}");
        if self.clients.contains_key(context) {
            let server = self
                .server(context)
                .unwrap_or_else(|| "a client given by the caller".into());
            Outcome::new(
                Some(context),
                target,
                CheckStatus::Passed,
                format!("context {context} is in the kubeconfig (server {server})"),
            )
        } else {
            Outcome::new(
                Some(context),
                target,
                CheckStatus::Failed,
                self.unknown_context(context),
            )
        }
    }

    async fn check_reachable(&self, context: &str) -> Outcome {
        let target = match self.server(context) {
            Some(url) => format!("API server {url}"),
            None => "API server".to_string(),
        };
        let fail = |m: String| Outcome::new(Some(context), target.clone(), CheckStatus::Failed, m);
        let client = match self.client(context).await {
            Ok(c) => c,
            Err(m) => return fail(m),
        };
        let info = match self.call(client.apiserver_version()).await {
            Ok(i) => i,
            Err(e) => return fail(self.explain(context, &e)),
        };
        let server = self.api_server(context);
        let answered = format!("{server} answered /version ({})", info.git_version);
        match self.server(context) {
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
            _ => Outcome::new(Some(context), target, CheckStatus::Passed, answered),
        }
    }

    async fn check_version(&self, context: &str, versions: &[String]) -> Outcome {
        let target = "Kubernetes version".to_string();
        let fail = |m: String| Outcome::new(Some(context), target.clone(), CheckStatus::Failed, m);
        let wanted: Vec<(u32, u32)> = versions.iter().filter_map(|v| major_minor(v)).collect();
        if wanted.is_empty() || wanted.len() != versions.len() {
            return fail(format!(
                "kube.version needs versions written as MAJOR.MINOR (got [{}])",
                versions.join(", ")
            ));
        }
        let client = match self.client(context).await {
            Ok(c) => c,
            Err(m) => return fail(m),
        };
        let info = match self.call(client.apiserver_version()).await {
            Ok(i) => i,
            Err(e) => return fail(self.explain(context, &e)),
        };
        let found = major_minor(&format!("{}.{}", info.major, info.minor))
            .or_else(|| major_minor(&info.git_version));
        let list = wanted
            .iter()
            .map(|(a, b)| format!("{a}.{b}"))
            .collect::<Vec<_>>()
            .join(", ");
        match found {
            Some(mm) if wanted.contains(&mm) => Outcome::new(
                Some(context),
                target,
                CheckStatus::Passed,
                format!(
                    "context {context} runs Kubernetes {}.{} ({}), one of {list}",
                    mm.0, mm.1, info.git_version
                ),
            ),
            Some(mm) => fail(format!(
                "context {context} runs Kubernetes {}.{} ({}), but this guide supports {list}: use a cluster of a \
                 supported version",
                mm.0, mm.1, info.git_version
            )),
            None => fail(format!(
                "{} reports a version docrun cannot read (major {:?}, minor {:?}, gitVersion {:?}); expected one of {list}",
                self.api_server(context),
                info.major,
                info.minor,
                info.git_version
            )),
        }
    }

    async fn check_distinct(&self, contexts: &[String]) -> Outcome {
        let target = format!("contexts {}", contexts.join(", "));
        let fail = |m: String| Outcome::new(None, target.clone(), CheckStatus::Failed, m);
        if contexts.len() < 2 {
            return fail(format!(
                "kube.distinct needs at least two contexts, got [{}]",
                contexts.join(", ")
            ));
        }
        for c in contexts {
            if !self.clients.contains_key(c) {
                return fail(self.unknown_context(c));
            }
        }
        for (i, a) in contexts.iter().enumerate() {
            for b in &contexts[i + 1..] {
                if a == b {
                    return fail(format!(
                        "context {a} is listed twice: the guide needs different clusters"
                    ));
                }
                if let (Some(ua), Some(ub)) = (self.server(a), self.server(b)) {
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
            let client = self.client(c).await?;
            let api: Api<Namespace> = Api::all(client);
            match self.call(api.get("kube-system")).await {
                Ok(ns) => ns.metadata.uid.ok_or_else(|| {
                    format!(
                        "{} returned namespace kube-system without a uid",
                        self.api_server(c)
                    )
                }),
                Err(e) => Err(self.explain(c, &e)),
            }
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

    /// Finds an object of any kind by discovery.
    async fn lookup(
        &self,
        context: &str,
        client: Client,
        api_version: &str,
        kind: &str,
        namespace: Option<&str>,
        name: &str,
    ) -> Result<Lookup, String> {
        let (ar, namespaced) = match self.discover(context, &client, api_version, kind).await? {
            Ok(found) => found,
            Err(why) => return Ok(Lookup::KindNotServed(why)),
        };
        let api = dynamic_api(client, &ar, namespaced, namespace);
        match self.call(api.get_opt(name)).await {
            Ok(Some(o)) => Ok(Lookup::Found(Box::new(o))),
            Ok(None) => Ok(Lookup::NotFound),
            Err(e) => Err(self.explain(context, &e)),
        }
    }

    /// Resolves a kind by discovery: `Ok(Ok((resource, namespaced)))`, `Ok(Err(why))` when the
    /// server does not serve the kind, `Err(message)` when the server could not be asked.
    async fn discover(
        &self,
        context: &str,
        client: &Client,
        api_version: &str,
        kind: &str,
    ) -> Result<Result<(ApiResource, bool), String>, String> {
        let (group, version) = match api_version.split_once('/') {
            Some((g, v)) => (g, v),
            None => ("", api_version),
        };
        let gvk = GroupVersionKind::gvk(group, version, kind);
        let not_served = format!(
            "{} does not serve kind {kind} in {api_version} (is its CRD installed? is the apiVersion right?)",
            self.api_server(context)
        );
        match tokio::time::timeout(self.per_call, kube::discovery::pinned_kind(client, &gvk)).await
        {
            Ok(Ok((ar, caps))) => Ok(Ok((ar, caps.scope == Scope::Namespaced))),
            Ok(Err(kube::Error::Discovery(_))) => Ok(Err(not_served)),
            Ok(Err(kube::Error::Api(s))) if s.code == 404 => Ok(Err(not_served)),
            Ok(Err(kube::Error::Api(s))) => Err(self.explain(context, &CallError::Api(s))),
            Ok(Err(e)) => Err(self.explain(context, &CallError::Transport(root_cause(&e)))),
            Err(_) => Err(self.explain(context, &CallError::Timeout(self.per_call))),
        }
    }

    async fn check_presence(
        &self,
        context: &str,
        api_version: &str,
        kind: &str,
        namespace: Option<&str>,
        name: &str,
        want: bool,
    ) -> Outcome {
        let target = object_target(kind, namespace, name);
        let fail = |m: String| Outcome::new(Some(context), target.clone(), CheckStatus::Failed, m);
        let pass = |m: String| Outcome::new(Some(context), target.clone(), CheckStatus::Passed, m);
        let client = match self.client(context).await {
            Ok(c) => c,
            Err(m) => return fail(m),
        };
        match self.lookup(context, client, api_version, kind, namespace, name).await {
            Err(m) => fail(m),
            Ok(Lookup::KindNotServed(why)) if want => fail(why),
            Ok(Lookup::KindNotServed(why)) => pass(format!("{why}: so no {target} exists")),
            Ok(Lookup::Found(o)) if want => pass(format!(
                "{target} exists in context {context} (created {})",
                o.metadata
                    .creation_timestamp
                    .as_ref()
                    .map(|t| t.0.to_string())
                    .unwrap_or_else(|| "at an unknown time".into())
            )),
            Ok(Lookup::Found(_)) => fail(format!(
                "{target} still exists in context {context}; expected it to be gone (delete it, or wait for its \
                 deletion to finish)"
            )),
            Ok(Lookup::NotFound) if want => fail(format!(
                "{target} not found in context {context}; expected it to exist (did an earlier step fail or run \
                 against another context?)"
            )),
            Ok(Lookup::NotFound) => pass(format!("{target} does not exist in context {context}")),
        }
    }

    async fn check_secret(
        &self,
        context: &str,
        namespace: &str,
        name: &str,
        keys: &[String],
    ) -> Outcome {
        let target = format!("secret {namespace}/{name}");
        let fail = |m: String| Outcome::new(Some(context), target.clone(), CheckStatus::Failed, m);
        let client = match self.client(context).await {
            Ok(c) => c,
            Err(m) => return fail(m),
        };
        let data = match self.secret_data(context, client, namespace, name).await {
            Ok(Some(d)) => d,
            Ok(None) => {
                return fail(format!(
                    "secret {namespace}/{name} not found in context {context}; expected keys {}",
                    keys.join(", ")
                ))
            }
            Err(m) => return fail(m),
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
            Outcome::new(
                Some(context),
                target,
                CheckStatus::Passed,
                format!("secret {namespace}/{name} in context {context} holds {present}"),
            )
        } else {
            fail(format!(
                "secret {namespace}/{name} in context {context} lacks key(s) {}; it holds {present}",
                missing.join(", ")
            ))
        }
    }

    /// A secret's keys and decoded values (`data` and `stringData`), `None` when it is missing.
    async fn secret_data(
        &self,
        context: &str,
        client: Client,
        namespace: &str,
        name: &str,
    ) -> Result<Option<BTreeMap<String, Vec<u8>>>, String> {
        let api: Api<Secret> = Api::namespaced(client, namespace);
        let secret = match self.call(api.get_opt(name)).await {
            Ok(Some(s)) => s,
            Ok(None) => return Ok(None),
            Err(e) => return Err(self.explain(context, &e)),
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

    async fn check_common_root(
        &self,
        contexts: &[String],
        namespace: &str,
        secret: &str,
    ) -> Vec<Outcome> {
        let label = format!("{namespace}/{secret}");
        let target = format!("secret {label}");
        let fetched = join_all(contexts.iter().map(|c| async move {
            let client = self.client(c).await?;
            self.secret_data(c, client, namespace, secret).await
        }))
        .await;
        let mut verdicts = Vec::new();
        for (c, data) in contexts.iter().zip(fetched) {
            let verdict = match data {
                Ok(Some(d)) => trust::check_context(c, &label, &d),
                Ok(None) => trust::ContextVerdict {
                    context: c.clone(),
                    status: CheckStatus::Failed,
                    message: format!(
                        "secret {label} not found in context {c}: create it from the shared root CA and an \
                         intermediate for this cluster before installing Istio"
                    ),
                    roots: vec![],
                },
                Err(m) => trust::ContextVerdict {
                    context: c.clone(),
                    status: CheckStatus::Failed,
                    message: m,
                    roots: vec![],
                },
            };
            verdicts.push(verdict);
        }
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

    // --------------------------------------------------------------------------------- waits

    /// Follows a watch until `judge` says done or failed, or `wait` runs out. `judge` sees every
    /// object the watch holds (keyed `namespace/name`) after the initial list and after each
    /// change. Ok: the judge's done message; Err: a complete failure message, with what was seen
    /// last on a timeout.
    async fn watch_until<K>(
        &self,
        context: &str,
        api: Api<K>,
        config: watcher::Config,
        wait: Duration,
        mut judge: impl FnMut(&BTreeMap<String, K>) -> Verdict,
    ) -> Result<String, String>
    where
        K: kube::Resource + Clone + DeserializeOwned + Debug + Send + 'static,
    {
        let deadline = tokio::time::Instant::now() + wait;
        let mut stream = std::pin::pin!(watcher(api, config).default_backoff());
        let key = |o: &K| format!("{}/{}", o.namespace().unwrap_or_default(), o.name_any());
        let mut objects: BTreeMap<String, K> = BTreeMap::new();
        let mut buffer: BTreeMap<String, K> = BTreeMap::new();
        let mut listed = false;
        let mut last = "nothing listed yet".to_string();
        let mut last_error: Option<String> = None;
        loop {
            let remaining = deadline.saturating_duration_since(tokio::time::Instant::now());
            // Until the first list is in, the server must answer within the call timeout.
            let step = if listed {
                remaining
            } else {
                remaining.min(self.per_call)
            };
            let event = match tokio::time::timeout(step, stream.next()).await {
                Ok(Some(Ok(ev))) => ev,
                Ok(Some(Err(e))) => {
                    let msg = match e {
                        watcher::Error::InitialListFailed(kube::Error::Api(s))
                        | watcher::Error::WatchStartFailed(kube::Error::Api(s)) => {
                            self.explain(context, &CallError::Api(s))
                        }
                        other => self.explain(context, &CallError::Transport(root_cause(&other))),
                    };
                    if !listed {
                        return Err(msg);
                    }
                    last_error = Some(msg);
                    continue;
                }
                Ok(None) => return Err(format!("the watch on {} ended", self.api_server(context))),
                Err(_) if !listed && remaining > self.per_call => {
                    return Err(self.explain(context, &CallError::Timeout(self.per_call)))
                }
                Err(_) => {
                    let mut msg =
                        format!("timed out after {}; last seen: {last}", fmt_duration(wait));
                    if let Some(e) = last_error {
                        msg.push_str(&format!("; last error: {e}"));
                    }
                    return Err(msg);
                }
            };
            match event {
                watcher::Event::Init => {
                    buffer.clear();
                    continue;
                }
                watcher::Event::InitApply(o) => {
                    buffer.insert(key(&o), o);
                    continue;
                }
                watcher::Event::InitDone => {
                    objects = std::mem::take(&mut buffer);
                    listed = true;
                }
                watcher::Event::Apply(o) => {
                    objects.insert(key(&o), o);
                }
                watcher::Event::Delete(o) => {
                    objects.remove(&key(&o));
                }
            }
            if !listed {
                continue;
            }
            last_error = None;
            match judge(&objects) {
                Verdict::Done(m) => return Ok(m),
                Verdict::Failed(m) => return Err(m),
                Verdict::Pending(m) => last = m,
            }
        }
    }

    async fn wait_pods_ready(
        &self,
        context: &str,
        namespace: &str,
        selector: Option<&str>,
        prefix: Option<&str>,
        count: usize,
        wait: Duration,
    ) -> Outcome {
        let mut what = Vec::new();
        if let Some(s) = selector {
            what.push(format!("selector {s}"));
        }
        if let Some(p) = prefix {
            what.push(format!("name prefix {p}"));
        }
        let target = if what.is_empty() {
            format!("pods in {namespace}")
        } else {
            format!("pods in {namespace} ({})", what.join(", "))
        };
        let fail = |m: String| Outcome::new(Some(context), target.clone(), CheckStatus::Failed, m);
        let client = match self.client(context).await {
            Ok(c) => c,
            Err(m) => return fail(m),
        };
        let api: Api<Pod> = Api::namespaced(client, namespace);
        let mut config = watcher::Config::default();
        if let Some(s) = selector {
            config = config.labels(s);
        }
        let judge = |pods: &BTreeMap<String, Pod>| {
            let matching: Vec<&Pod> = pods
                .values()
                .filter(|p| {
                    prefix.is_none_or(|pre| conditions::name_has_prefix(&p.name_any(), pre))
                })
                .filter(|p| p.metadata.deletion_timestamp.is_none())
                .filter(|p| p.status.as_ref().and_then(|s| s.phase.as_deref()) != Some("Succeeded"))
                .collect();
            if matching.is_empty() {
                return Verdict::Pending(format!("no matching pod in namespace {namespace}"));
            }
            let not_ready: Vec<String> = matching
                .iter()
                .filter(|p| !conditions::pod_ready(p))
                .map(|p| conditions::pod_summary(p))
                .collect();
            let names: Vec<String> = matching.iter().map(|p| p.name_any()).collect();
            if !not_ready.is_empty() {
                Verdict::Pending(not_ready.join("; "))
            } else if matching.len() < count {
                Verdict::Pending(format!(
                    "{} of {count} expected pods exist, all ready: {}",
                    matching.len(),
                    names.join(", ")
                ))
            } else {
                Verdict::Done(format!(
                    "{} pod(s) Running and Ready in context {context}: {}",
                    matching.len(),
                    names.join(", ")
                ))
            }
        };
        match self.watch_until(context, api, config, wait, judge).await {
            Ok(m) => Outcome::new(Some(context), target.clone(), CheckStatus::Passed, m),
            Err(m) => fail(format!("{target} in context {context} are not ready: {m}")),
        }
    }

    async fn wait_rollout(
        &self,
        context: &str,
        namespace: &str,
        kind: &str,
        name: &str,
        wait: Duration,
    ) -> Outcome {
        let lower = kind.to_ascii_lowercase();
        let target = format!("{lower} {namespace}/{name}");
        let fail = |m: String| Outcome::new(Some(context), target.clone(), CheckStatus::Failed, m);
        let client = match self.client(context).await {
            Ok(c) => c,
            Err(m) => return fail(m),
        };
        let config = watcher::Config::default().fields(&format!("metadata.name={name}"));
        let missing = format!("{lower} {namespace}/{name} does not exist");
        let result = match lower.as_str() {
            "deployment" | "deployments" | "deploy" => {
                let api: Api<Deployment> = Api::namespaced(client, namespace);
                self.watch_rollout(
                    context,
                    api,
                    config,
                    wait,
                    &missing,
                    conditions::deployment_progress,
                )
                .await
            }
            "statefulset" | "statefulsets" | "sts" => {
                let api: Api<StatefulSet> = Api::namespaced(client, namespace);
                self.watch_rollout(
                    context,
                    api,
                    config,
                    wait,
                    &missing,
                    conditions::statefulset_progress,
                )
                .await
            }
            "daemonset" | "daemonsets" | "ds" => {
                let api: Api<DaemonSet> = Api::namespaced(client, namespace);
                self.watch_rollout(
                    context,
                    api,
                    config,
                    wait,
                    &missing,
                    conditions::daemonset_progress,
                )
                .await
            }
            _ => {
                return fail(format!(
                    "kube.rollout follows Deployment, StatefulSet or DaemonSet, not {kind}"
                ))
            }
        };
        match result {
            Ok(m) => Outcome::new(
                Some(context),
                target.clone(),
                CheckStatus::Passed,
                format!("{m} in context {context}"),
            ),
            Err(m) => fail(format!(
                "{target} in context {context} has not rolled out: {m}"
            )),
        }
    }

    /// Watches one workload of kind `K` until `progress` says it has rolled out (or failed).
    async fn watch_rollout<K>(
        &self,
        context: &str,
        api: Api<K>,
        config: watcher::Config,
        wait: Duration,
        missing: &str,
        progress: fn(&K) -> Rollout,
    ) -> Result<String, String>
    where
        K: kube::Resource + Clone + DeserializeOwned + Debug + Send + 'static,
    {
        self.watch_until(
            context,
            api,
            config,
            wait,
            |m: &BTreeMap<String, K>| match m.values().next().map(progress) {
                None => Verdict::Pending(missing.to_owned()),
                Some(Rollout::Complete(m)) => Verdict::Done(m),
                Some(Rollout::Pending(m)) => Verdict::Pending(m),
                Some(Rollout::Failed(m)) => Verdict::Failed(m),
            },
        )
        .await
    }

    #[allow(clippy::too_many_arguments)]
    async fn wait_condition(
        &self,
        context: &str,
        api_version: &str,
        kind: &str,
        namespace: Option<&str>,
        name: &str,
        condition: &str,
        status: &str,
        wait: Duration,
    ) -> Outcome {
        let object = object_target(kind, namespace, name);
        let target = format!("{object} condition {condition}={status}");
        let fail = |m: String| Outcome::new(Some(context), target.clone(), CheckStatus::Failed, m);
        let client = match self.client(context).await {
            Ok(c) => c,
            Err(m) => return fail(m),
        };
        let (ar, namespaced) = match self.discover(context, &client, api_version, kind).await {
            Ok(Ok(found)) => found,
            Ok(Err(why)) | Err(why) => return fail(why),
        };
        let api = dynamic_api(client, &ar, namespaced, namespace);
        let config = watcher::Config::default().fields(&format!("metadata.name={name}"));
        let judge = |m: &BTreeMap<String, DynamicObject>| match m.values().next() {
            None => Verdict::Pending(format!("{object} does not exist")),
            Some(o) if conditions::has_condition(o, condition, status) => Verdict::Done(format!(
                "{object} in context {context} has condition {condition}={status}"
            )),
            Some(o) => Verdict::Pending(format!(
                "{object} has {}",
                conditions::describe_condition(o, condition)
            )),
        };
        match self.watch_until(context, api, config, wait, judge).await {
            Ok(m) => Outcome::new(Some(context), target.clone(), CheckStatus::Passed, m),
            Err(m) => fail(format!(
                "{object} in context {context} does not have condition {condition}={status}: {m}"
            )),
        }
    }
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

/// `configmap istio-system/istio`, or `customresourcedefinition gateways.gateway.networking.k8s.io`.
fn object_target(kind: &str, namespace: Option<&str>, name: &str) -> String {
    match namespace {
        Some(ns) => format!("{} {ns}/{name}", kind.to_ascii_lowercase()),
        None => format!("{} {name}", kind.to_ascii_lowercase()),
    }
}

/// An error and its sources, joined with ": ", skipping sources already quoted by their parent.
pub(crate) fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
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
fn root_cause(e: &(dyn std::error::Error + 'static)) -> String {
    let mut cur = e;
    while let Some(s) = cur.source() {
        cur = s;
    }
    cur.to_string()
}

/// `5s`, `1.5s`, `250ms`.
fn fmt_duration(d: Duration) -> String {
    if d.as_millis() < 1000 {
        format!("{}ms", d.as_millis())
    } else if d.subsec_millis() == 0 {
        format!("{}s", d.as_secs())
    } else {
        format!("{:.1}s", d.as_secs_f64())
    }
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
mod tests;
