//! What a native check asks, as guides, overlays and plans write it.
//!
//! The YAML and JSON form of a [`CheckSpec`] is part of docrun's interface (overlays, front
//! matter, the plan JSON): a map whose `check` key names the check, kebab-case field names in a
//! fixed order, unknown fields rejected. Strings may hold `$VARIABLES` until the plan binds them
//! (see `runbook/checkrefs.rs`); this module resolves none.

/// One object in a cluster, by the context that reaches it, its `api-version` and `kind`, its
/// namespace and its name: the target shared by the checks about objects of any kind.
///
/// `namespace` is ignored for cluster-scoped kinds and defaults to the context's namespace
/// (else `default`) for namespaced ones; the kind is found by discovery, so CRD kinds work.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct ObjectRef {
    pub context: String,
    pub api_version: String,
    pub kind: String,
    pub namespace: Option<String>,
    pub name: String,
}

impl ObjectRef {
    /// The object as messages name it: `configmap istio-system/istio`, or
    /// `customresourcedefinition gateways.gateway.networking.k8s.io` without a namespace.
    pub fn describe(&self) -> String {
        let kind = self.kind.to_ascii_lowercase();
        match &self.namespace {
            Some(ns) => format!("{kind} {ns}/{}", self.name),
            None => format!("{kind} {}", self.name),
        }
    }
}

/// One native check, as declared in a guide's front matter or overlay, or derived from a guide.
///
/// The YAML form is a map whose `check` key names the check; field names are kebab-case and
/// unknown fields are rejected:
///
/// Checks about one object of any kind (`kube.exists`, `kube.absent`, `kube.condition`) name it
/// with the fields of an [`ObjectRef`], flattened into the check's map.
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
        #[serde(flatten)]
        object: ObjectRef,
    },
    /// Passes when the object does not exist (also when the server does not serve the kind).
    /// Same fields as `kube.exists`. A one-off look, not a wait.
    #[serde(rename = "kube.absent")]
    Absent {
        #[serde(flatten)]
        object: ObjectRef,
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
    /// see [`super::conditions::name_has_prefix`]). Pods being deleted and pods that have `Succeeded`
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
    /// rules of `kubectl rollout status` (see [`super::conditions`]). Waits for the object to
    /// appear. Its fields are not an [`ObjectRef`]: the kind is one of three (no `api-version`),
    /// the namespace is required, and the fields keep the order plans print them in.
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
        #[serde(flatten)]
        object: ObjectRef,
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
    /// The check's name as written in YAML (`"kube.secret"`), also
    /// [`CheckResult::check`](super::CheckResult::check).
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
            | CheckSpec::Secret { context, .. }
            | CheckSpec::PodsReady { context, .. }
            | CheckSpec::Rollout { context, .. } => vec![context.as_str()],
            CheckSpec::Exists { object }
            | CheckSpec::Absent { object }
            | CheckSpec::Condition { object, .. } => vec![object.context.as_str()],
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

/// A check on one line, fields in their declared order:
/// `kube.secret context=c1 namespace=istio-system name=cacerts keys=[ca-cert.pem, ca-key.pem]`.
impl std::fmt::Display for CheckSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.one_line())
    }
}

impl CheckSpec {
    fn one_line(&self) -> String {
        let check = self;
        let mut out = check.name().to_owned();
        let Ok(serde_yaml::Value::Mapping(fields)) = serde_yaml::to_value(check) else {
            return out;
        };
        for (key, value) in fields {
            let key = key.as_str().unwrap_or_default();
            let value = match value {
                serde_yaml::Value::Null => continue,
                serde_yaml::Value::Sequence(items) => {
                    let items: Vec<String> = items.iter().map(scalar).collect();
                    format!("[{}]", items.join(", "))
                }
                other => scalar(&other),
            };
            if key != "check" {
                let _ = std::fmt::Write::write_fmt(&mut out, format_args!(" {key}={value}"));
            }
        }
        out
    }
}

fn scalar(value: &serde_yaml::Value) -> String {
    match value {
        serde_yaml::Value::String(s) => s.clone(),
        serde_yaml::Value::Number(n) => n.to_string(),
        serde_yaml::Value::Bool(b) => b.to_string(),
        other => serde_yaml::to_string(other)
            .unwrap_or_default()
            .trim()
            .to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_check_reads_on_one_line_in_field_order() {
        let c: CheckSpec = serde_yaml::from_str(
            "{check: kube.pods-ready, context: c1, namespace: sample, selector: app=x, count: 2}",
        )
        .unwrap();
        assert_eq!(
            c.to_string(),
            "kube.pods-ready context=c1 namespace=sample selector=app=x count=2"
        );
        let c: CheckSpec =
            serde_yaml::from_str("{check: trust.common-root, contexts: [c1, c2]}").unwrap();
        assert_eq!(c.to_string(), "trust.common-root contexts=[c1, c2]");
    }

    /// Every check with every field, as overlays write them.
    const ALL: &str = r#"
- {check: kube.context, context: c1}
- {check: kube.reachable, context: c1}
- {check: kube.version, context: c1, versions: ["1.31"]}
- {check: kube.distinct, contexts: [c1, c2]}
- {check: kube.exists, context: c1, api-version: v1, kind: ConfigMap, namespace: ns, name: cm}
- {check: kube.absent, context: c1, api-version: apps/v1, kind: Deployment, name: d}
- {check: kube.secret, context: c1, namespace: ns, name: s, keys: [a]}
- {check: kube.pods-ready, context: c1, namespace: ns, selector: app=x, name-prefix: x, count: 2}
- {check: kube.rollout, context: c1, namespace: ns, kind: Deployment, name: d}
- {check: kube.condition, context: c1, api-version: v1, kind: Pod, namespace: ns, name: p, condition: Ready, status: "False"}
- {check: trust.common-root, contexts: [c1, c2], namespace: ns, secret: s}
"#;

    #[test]
    fn the_plan_json_of_every_check_keeps_its_keys_and_their_order() {
        let specs: Vec<CheckSpec> = serde_yaml::from_str(ALL).unwrap();
        let json: Vec<String> = specs
            .iter()
            .map(|s| serde_json::to_string(s).unwrap())
            .collect();
        assert_eq!(
            json,
            [
                r#"{"check":"kube.context","context":"c1"}"#,
                r#"{"check":"kube.reachable","context":"c1"}"#,
                r#"{"check":"kube.version","context":"c1","versions":["1.31"]}"#,
                r#"{"check":"kube.distinct","contexts":["c1","c2"]}"#,
                r#"{"check":"kube.exists","context":"c1","api-version":"v1","kind":"ConfigMap","namespace":"ns","name":"cm"}"#,
                r#"{"check":"kube.absent","context":"c1","api-version":"apps/v1","kind":"Deployment","namespace":null,"name":"d"}"#,
                r#"{"check":"kube.secret","context":"c1","namespace":"ns","name":"s","keys":["a"]}"#,
                r#"{"check":"kube.pods-ready","context":"c1","namespace":"ns","selector":"app=x","name-prefix":"x","count":2}"#,
                r#"{"check":"kube.rollout","context":"c1","namespace":"ns","kind":"Deployment","name":"d"}"#,
                r#"{"check":"kube.condition","context":"c1","api-version":"v1","kind":"Pod","namespace":"ns","name":"p","condition":"Ready","status":"False"}"#,
                r#"{"check":"trust.common-root","contexts":["c1","c2"],"namespace":"ns","secret":"s"}"#,
            ]
        );
        // What the plan writes, overlays read back as the same check.
        for (spec, text) in specs.iter().zip(&json) {
            assert_eq!(&serde_json::from_str::<CheckSpec>(text).unwrap(), spec);
            assert_eq!(
                &serde_yaml::from_str::<CheckSpec>(&serde_yaml::to_string(spec).unwrap()).unwrap(),
                spec
            );
        }
    }

    #[test]
    fn checks_on_an_object_reject_unknown_and_missing_fields() {
        for yaml in [
            "{check: kube.exists, context: c, api-version: v1, kind: K, name: n, nmae: x}",
            "{check: kube.absent, context: c, api_version: v1, kind: K, name: n}",
            "{check: kube.condition, context: c, api-version: v1, kind: K, name: n, condition: R, satus: x}",
            "{check: kube.condition, context: c, api-version: v1, kind: K, name: n}",
            "{check: kube.exists, context: c, api-version: v1, kind: K}",
        ] {
            assert!(serde_yaml::from_str::<CheckSpec>(yaml).is_err(), "{yaml}");
        }
        let err = serde_yaml::from_str::<CheckSpec>(
            "{check: kube.exists, context: c, api-version: v1, kind: K, name: n, nmae: x}",
        )
        .unwrap_err();
        assert!(err.to_string().contains("unknown field `nmae`"), "{err}");
    }

    #[test]
    fn the_overlays_of_the_project_still_read() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut read = 0;
        let mut checks = 0;
        for dir in ["runbooks", "tests/fixtures"] {
            let mut stack = vec![root.join(dir)];
            while let Some(d) = stack.pop() {
                for entry in std::fs::read_dir(&d).unwrap() {
                    let path = entry.unwrap().path();
                    if path.is_dir() {
                        stack.push(path);
                    } else if path.to_string_lossy().ends_with(".docrun.yaml") {
                        let loaded = crate::runbook::overlay::load(&path)
                            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
                        read += 1;
                        checks += loaded
                            .overlay
                            .prerequisites
                            .iter()
                            .map(|p| p.checks.len())
                            .sum::<usize>()
                            + loaded
                                .overlay
                                .steps
                                .values()
                                .map(|s| s.native.len())
                                .sum::<usize>();
                    }
                }
            }
        }
        assert!(
            read >= 9 && checks >= 10,
            "{read} overlays, {checks} checks"
        );
    }
}
