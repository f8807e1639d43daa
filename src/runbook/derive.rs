//! Native checks derived from the guide itself: what a careful reader checks by hand, made
//! explicit.
//!
//! - a kube-context variable: the context exists and its API server answers (`kube.context`,
//!   `kube.reachable`); two or more contexts must be different clusters (`kube.distinct`);
//! - a `{{< supported_kubernetes_versions >}}` requirement: `kube.version` on each context;
//! - a step whose commands all have a native equivalent: `kubectl get pods ... -l SELECTOR` with
//!   expected output listing Running pods becomes `kube.pods-ready`, `kubectl rollout status`
//!   becomes `kube.rollout`, `kubectl wait --for=condition=X` becomes `kube.condition` (or
//!   `kube.pods-ready` for pods by selector).
//!
//! Pure: a function of variable names and command text, no server. The checks keep the guide's
//! variable references (`$CTX_CLUSTER1`, `${CTX_CLUSTER1}`) unresolved; the plan resolves them.
//! Translation is conservative: a command with anything docrun does not understand (a pipe, a
//! redirection, a command substitution, an unknown flag) has no native equivalent, and its step
//! stays a shell step.
//!
//! A kubectl command without `--context` talks to the current context. Its checks name
//! [`CURRENT_CONTEXT`] until [`follow_current_context`] reads the guide in document order:
//! after `kubectl config use-context X` (a literal, or a `$NAME` the plan resolves) they name
//! `X`; after a switch docrun cannot follow (a computed context, or the guide pointing
//! `KUBECONFIG` elsewhere) the step runs its commands, and a warning says why. A check still
//! naming [`CURRENT_CONTEXT`] asks the current context of docrun's kubeconfig when it runs.

use std::sync::LazyLock;

use regex::Regex;

use crate::check::{CheckSpec, ObjectRef};

pub use crate::check::CURRENT_CONTEXT;
use crate::runbook::{Step, StepKind};

/// `kube.context` and `kube.reachable` for each context variable (named as `$NAME`), then
/// `kube.distinct` across them when there are two or more.
pub fn context_checks(context_vars: &[&str]) -> Vec<CheckSpec> {
    let refs: Vec<String> = context_vars.iter().map(|v| format!("${v}")).collect();
    checks_of_contexts(refs)
}

/// The same checks for contexts a guide names literally (`--context=west`).
pub fn literal_context_checks(contexts: &[&str]) -> Vec<CheckSpec> {
    checks_of_contexts(contexts.iter().map(|c| (*c).to_owned()).collect())
}

static CONTEXT_FLAG: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r#"--(?:kube-?)?context(?:=|\s+)["']?([^\s"';|&)]+)"#).unwrap());
static FOR_LOOP: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\bfor\s+([A-Za-z_][A-Za-z0-9_]*)\s+in\s+([^;\n]*)").unwrap());

/// The kube contexts a command names literally: `--context=west`, `--context east`, and the
/// words of a `for ctx in west east` loop whose variable is the context (`--context=${ctx}`).
/// Contexts named through the guide's variables (`$CTX_CLUSTER1`) are not literal.
pub fn literal_contexts(command: &str) -> Vec<String> {
    let is_name = |w: &str| {
        !w.is_empty()
            && w.chars().next().is_some_and(|c| c.is_ascii_alphanumeric())
            && w.chars()
                .all(|c| c.is_ascii_alphanumeric() || "._:@/-".contains(c))
    };
    let mut found: Vec<String> = Vec::new();
    if !command.contains("context") {
        return found;
    }
    let mut add = |name: &str| {
        if is_name(name) && !found.iter().any(|f| f == name) {
            found.push(name.to_owned());
        }
    };
    for caps in CONTEXT_FLAG.captures_iter(command) {
        let value = &caps[1];
        let Some(var) = value.strip_prefix('$') else {
            add(value);
            continue;
        };
        let var = var.trim_start_matches('{').trim_end_matches('}');
        for lp in FOR_LOOP.captures_iter(command) {
            if &lp[1] == var {
                lp[2].split_whitespace().for_each(&mut add);
            }
        }
    }
    found
}

fn checks_of_contexts(refs: Vec<String>) -> Vec<CheckSpec> {
    let mut checks = Vec::new();
    for context in &refs {
        checks.push(CheckSpec::Context {
            context: context.clone(),
        });
        checks.push(CheckSpec::Reachable {
            context: context.clone(),
        });
    }
    if refs.len() >= 2 {
        checks.push(CheckSpec::Distinct { contexts: refs });
    }
    checks
}

/// `kube.version` with the allowed `versions` on each context variable; none without versions.
pub fn version_checks(context_vars: &[&str], versions: &[String]) -> Vec<CheckSpec> {
    if versions.is_empty() {
        return Vec::new();
    }
    context_vars
        .iter()
        .map(|v| CheckSpec::Version {
            context: format!("${v}"),
            versions: versions.to_vec(),
        })
        .collect()
}

/// The native checks that replace a step, given each command with the output the guide shows
/// right after it (`None` when another command follows first). `None` unless every command has
/// a native equivalent.
pub fn step_checks(commands: &[(&str, Option<&str>)]) -> Option<Vec<CheckSpec>> {
    if commands.is_empty() {
        return None;
    }
    let mut checks = Vec::new();
    for (command, output) in commands {
        checks.extend(command_checks(command, *output)?);
    }
    Some(checks)
}

/// The native checks equivalent to one shell command, or `None` when it has none.
pub fn command_checks(command: &str, output: Option<&str>) -> Option<Vec<CheckSpec>> {
    let words = words(command)?;
    let (program, args) = words.split_first()?;
    if program != "kubectl" {
        return None;
    }
    let k = Kubectl::parse(args)?;
    let context = k
        .context
        .clone()
        .unwrap_or_else(|| CURRENT_CONTEXT.to_owned());
    let positional: Vec<&str> = k.positional.iter().map(String::as_str).collect();
    match positional.as_slice() {
        ["get", resource] if is_pods(resource) => {
            if k.all_namespaces || k.wait_for.is_some() {
                return None;
            }
            if !matches!(k.output.as_deref(), None | Some("wide")) {
                return None;
            }
            let pods = running_pods(output?)?;
            Some(
                pods.into_iter()
                    .map(|(prefix, count)| CheckSpec::PodsReady {
                        context: context.clone(),
                        namespace: k.namespace_or_default(),
                        selector: k.selector.clone(),
                        name_prefix: Some(prefix),
                        count: Some(count),
                    })
                    .collect(),
            )
        }
        ["rollout", "status", rest @ ..] => {
            if k.selector.is_some() || k.output.is_some() || k.wait_for.is_some() {
                return None;
            }
            let (kind, name) = kind_and_name(rest)?;
            let kind = match kind.to_ascii_lowercase().as_str() {
                "deployment" | "deployments" | "deploy" | "deployment.apps" => "Deployment",
                "statefulset" | "statefulsets" | "sts" | "statefulset.apps" => "StatefulSet",
                "daemonset" | "daemonsets" | "ds" | "daemonset.apps" => "DaemonSet",
                _ => return None,
            };
            Some(vec![CheckSpec::Rollout {
                namespace: k.namespace_or_default(),
                context,
                kind: kind.to_owned(),
                name,
            }])
        }
        ["wait", rest @ ..] => {
            let wait_for = k.wait_for.as_deref()?;
            let spec = wait_for.strip_prefix("condition=")?;
            let (condition, status) = match spec.split_once('=') {
                Some((c, s)) => (c, Some(s.to_owned())),
                None => (spec, None),
            };
            if condition.is_empty() || k.output.is_some() {
                return None;
            }
            let condition = capitalized(condition);
            if let (Some(selector), [kind]) = (&k.selector, rest) {
                // `kubectl wait --for=condition=Ready pod -l app=x`: the pods by selector.
                if !is_pods(kind) || condition != "Ready" || status.is_some() {
                    return None;
                }
                return Some(vec![CheckSpec::PodsReady {
                    namespace: k.namespace_or_default(),
                    context,
                    selector: Some(selector.clone()),
                    name_prefix: None,
                    count: None,
                }]);
            }
            if k.selector.is_some() {
                return None;
            }
            let (kind, name) = kind_and_name(rest)?;
            let (api_version, kind, namespaced) = known_kind(&kind)?;
            Some(vec![CheckSpec::Condition {
                object: ObjectRef {
                    context,
                    api_version: api_version.to_owned(),
                    kind: kind.to_owned(),
                    namespace: if namespaced {
                        k.namespace.clone()
                    } else {
                        None
                    },
                    name,
                },
                condition,
                status,
            }])
        }
        _ => None,
    }
}

/// What the guide has done so far to the context a kubectl command without `--context` uses.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Current {
    /// Nothing: the kubeconfig's current context.
    Kubeconfig,
    /// `kubectl config use-context X`: `X` (or `$NAME`, resolved by the plan).
    Context(String),
    /// A change docrun cannot follow, and where: the steps after it run their commands.
    Unknown(String),
}

/// Reads the steps a run takes in document order and gives the native checks that name
/// [`CURRENT_CONTEXT`] the context the guide switched to before them; a step after a switch
/// docrun cannot follow runs its commands instead, with a warning in `warnings` saying why.
pub fn follow_current_context(steps: &mut [Step], warnings: &mut Vec<String>) {
    let mut current = Current::Kubeconfig;
    for step in steps
        .iter_mut()
        .filter(|s| s.runs && s.kind == StepKind::Command)
    {
        let uses_current = step
            .native
            .iter()
            .any(|c| context_of(c) == Some(CURRENT_CONTEXT));
        match (&current, uses_current) {
            (_, false) | (Current::Kubeconfig, true) => {}
            (Current::Context(context), true) => {
                for check in &mut step.native {
                    if context_of(check) == Some(CURRENT_CONTEXT) {
                        set_context(check, context);
                    }
                }
            }
            (Current::Unknown(why), true) => {
                warnings.push(format!(
                    "{}:{}: step {} runs its commands, not native checks: its kubectl names no --context and {why}",
                    step.file.display(),
                    step.line,
                    step.id
                ));
                step.native.clear();
            }
        }
        for command in &step.commands {
            for simple in crate::doc::words::read(&command.text, &|_| None) {
                let line = command.line + simple.line;
                if let Some(next) = switch(&simple, &step.file, line) {
                    current = next;
                }
            }
        }
    }
}

/// How `command` changes the context later kubectl commands use, if it does.
fn switch(
    command: &crate::doc::words::SimpleCommand,
    file: &std::path::Path,
    line: usize,
) -> Option<Current> {
    let at = format!("{}:{line}", file.display());
    let sets_kubeconfig = command
        .assignments
        .iter()
        .any(|(name, _)| name == "KUBECONFIG")
        && command.words.is_empty()
        || matches!(command.program(), Some("export" | "declare" | "typeset"))
            && command
                .args()
                .iter()
                .any(|a| a.text.starts_with("KUBECONFIG="));
    if sets_kubeconfig {
        return Some(Current::Unknown(format!(
            "the guide points KUBECONFIG elsewhere at {at}, while native checks use docrun's kubeconfig"
        )));
    }
    if command.program() != Some("kubectl") || command.nested {
        return None;
    }
    let words: Vec<&str> = command.args().iter().map(|w| w.text.as_str()).collect();
    let at_use = words
        .windows(2)
        .position(|w| w == ["config", "use-context"])?;
    let target = command.args().get(at_use + 2);
    Some(match target {
        Some(word) if word.literal => Current::Context(word.text.clone()),
        Some(word) if is_var_ref(&word.text) => Current::Context(word.text.clone()),
        _ => Current::Unknown(format!(
            "the guide switches to a context docrun cannot tell before the run at {at}"
        )),
    })
}

/// Whether `text` is exactly one `$NAME` or `${NAME}`.
fn is_var_ref(text: &str) -> bool {
    let Some(name) = text.strip_prefix('$') else {
        return false;
    };
    let name = name
        .strip_prefix('{')
        .and_then(|n| n.strip_suffix('}'))
        .unwrap_or(name);
    crate::runbook::subst::is_var_name(name)
}

/// The context a derived wait names.
fn context_of(check: &CheckSpec) -> Option<&str> {
    match check {
        CheckSpec::PodsReady { context, .. } | CheckSpec::Rollout { context, .. } => Some(context),
        CheckSpec::Condition { object, .. } => Some(&object.context),
        _ => None,
    }
}

fn set_context(check: &mut CheckSpec, to: &str) {
    match check {
        CheckSpec::PodsReady { context, .. } | CheckSpec::Rollout { context, .. } => {
            *context = to.to_owned();
        }
        CheckSpec::Condition { object, .. } => object.context = to.to_owned(),
        _ => {}
    }
}

/// The flags and arguments of a kubectl command line that docrun understands.
#[derive(Debug, Default)]
struct Kubectl {
    context: Option<String>,
    namespace: Option<String>,
    selector: Option<String>,
    output: Option<String>,
    wait_for: Option<String>,
    all_namespaces: bool,
    positional: Vec<String>,
}

impl Kubectl {
    /// Reads kubectl's arguments; `None` at a flag with no native meaning.
    fn parse(args: &[String]) -> Option<Kubectl> {
        let mut k = Kubectl::default();
        let mut i = 0;
        while i < args.len() {
            let arg = &args[i];
            i += 1;
            let (name, inline) = if let Some(long) = arg.strip_prefix("--") {
                match long.split_once('=') {
                    Some((n, v)) => (n.to_owned(), Some(v.to_owned())),
                    None => (long.to_owned(), None),
                }
            } else if arg.len() >= 2 && arg.starts_with('-') && arg != "-" {
                // A short flag is one character, whatever its width (`-é` must not split it).
                let body = &arg[1..];
                let width = body.chars().next().map_or(0, char::len_utf8);
                let (flag, rest) = body.split_at(width);
                let rest = rest.strip_prefix('=').unwrap_or(rest);
                (flag.to_owned(), (!rest.is_empty()).then(|| rest.to_owned()))
            } else {
                k.positional.push(arg.clone());
                continue;
            };
            match name.as_str() {
                "A" | "all-namespaces" if inline.is_none() => {
                    k.all_namespaces = true;
                    continue;
                }
                "context" | "namespace" | "n" | "selector" | "l" | "output" | "o" | "for"
                | "timeout" => {}
                _ => return None,
            }
            let value = match inline {
                Some(v) => v,
                None => {
                    let v = args.get(i)?.clone();
                    i += 1;
                    v
                }
            };
            let slot = match name.as_str() {
                "context" => &mut k.context,
                "namespace" | "n" => &mut k.namespace,
                "selector" | "l" => &mut k.selector,
                "output" | "o" => &mut k.output,
                "for" => &mut k.wait_for,
                // The run's wait timeout governs native waits.
                _ => continue,
            };
            *slot = Some(value);
        }
        Some(k)
    }

    /// The namespace given, else `default` (a context's own namespace is not known here).
    fn namespace_or_default(&self) -> String {
        self.namespace
            .clone()
            .unwrap_or_else(|| "default".to_owned())
    }
}

/// Splits a command into words the way the shell would, or `None` when the command is more
/// than one simple command with literal words and `$NAME` / `${NAME}` references: heredocs,
/// pipes, lists, redirections, command substitutions, single-quoted `$`, globs.
fn words(command: &str) -> Option<Vec<String>> {
    static VAR_REF: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"\$(?:[A-Za-z_][A-Za-z0-9_]*|\{[A-Za-z_][A-Za-z0-9_]*\})").unwrap()
    });
    let joined = command.replace("\\\n", " ");
    if joined.contains('\n')
        || joined.contains('`')
        || (joined.contains('\'') && joined.contains('$'))
    {
        return None;
    }
    let words = shlex::split(&joined)?;
    let plain = |w: &String| {
        !w.contains(['|', ';', '&', '<', '>', '*', '?', '\\'])
            && !VAR_REF.replace_all(w, "").contains('$')
    };
    words.iter().all(plain).then_some(words)
}

fn is_pods(resource: &str) -> bool {
    matches!(resource, "pod" | "pods" | "po")
}

/// `KIND/NAME` or `KIND NAME`.
fn kind_and_name(rest: &[&str]) -> Option<(String, String)> {
    match rest {
        [one] => {
            let (kind, name) = one.split_once('/')?;
            (!kind.is_empty() && !name.is_empty() && !name.contains('/'))
                .then(|| (kind.to_owned(), name.to_owned()))
        }
        [kind, name] if !kind.contains('/') && !name.contains('/') => {
            Some(((*kind).to_owned(), (*name).to_owned()))
        }
        _ => None,
    }
}

/// The API version, kind and scope (namespaced or not) of the kinds guides wait on.
fn known_kind(resource: &str) -> Option<(&'static str, &'static str, bool)> {
    Some(match resource.to_ascii_lowercase().as_str() {
        "pod" | "pods" | "po" => ("v1", "Pod", true),
        "service" | "services" | "svc" => ("v1", "Service", true),
        "namespace" | "namespaces" | "ns" => ("v1", "Namespace", false),
        "node" | "nodes" | "no" => ("v1", "Node", false),
        "persistentvolumeclaim" | "persistentvolumeclaims" | "pvc" => {
            ("v1", "PersistentVolumeClaim", true)
        }
        "deployment" | "deployments" | "deploy" | "deployment.apps" => {
            ("apps/v1", "Deployment", true)
        }
        "statefulset" | "statefulsets" | "sts" | "statefulset.apps" => {
            ("apps/v1", "StatefulSet", true)
        }
        "daemonset" | "daemonsets" | "ds" | "daemonset.apps" => ("apps/v1", "DaemonSet", true),
        "replicaset" | "replicasets" | "rs" => ("apps/v1", "ReplicaSet", true),
        "job" | "jobs" | "job.batch" => ("batch/v1", "Job", true),
        "crd" | "crds" | "customresourcedefinition" | "customresourcedefinitions" => {
            ("apiextensions.k8s.io/v1", "CustomResourceDefinition", false)
        }
        "gateway"
        | "gateways"
        | "gtw"
        | "gateway.gateway.networking.k8s.io"
        | "gateways.gateway.networking.k8s.io" => ("gateway.networking.k8s.io/v1", "Gateway", true),
        "httproute" | "httproutes" | "httproute.gateway.networking.k8s.io" => {
            ("gateway.networking.k8s.io/v1", "HTTPRoute", true)
        }
        _ => return None,
    })
}

/// `ready` -> `Ready`: kubectl matches condition types without regard to case, the check
/// compares exactly, and condition types are written capitalised.
fn capitalized(condition: &str) -> String {
    let mut chars = condition.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// The pods a `kubectl get pods` output lists, as (name prefix, number of pods) in the order
/// they appear, when every listed pod is Running and, if a READY column shows, fully ready.
/// `None` for anything else: no header with NAME and STATUS, no pod, a pod in another state.
/// Elision lines (`...`) are skipped.
fn running_pods(output: &str) -> Option<Vec<(String, usize)>> {
    let mut lines = output
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && *l != "...");
    let header: Vec<&str> = lines.next()?.split_whitespace().collect();
    if header.first() != Some(&"NAME") {
        return None;
    }
    let status_col = header.iter().position(|c| *c == "STATUS")?;
    let ready_col = header.iter().position(|c| *c == "READY");
    let mut pods: Vec<(String, usize)> = Vec::new();
    for line in lines {
        let cells: Vec<&str> = line.split_whitespace().collect();
        if cells.get(status_col) != Some(&"Running") {
            return None;
        }
        if let Some(ready) = ready_col.and_then(|c| cells.get(c)) {
            let (have, want) = ready.split_once('/')?;
            if have != want {
                return None;
            }
        }
        let prefix = name_prefix(cells[0]);
        match pods.iter_mut().find(|(p, _)| *p == prefix) {
            Some((_, n)) => *n += 1,
            None => pods.push((prefix, 1)),
        }
    }
    (!pods.is_empty()).then_some(pods)
}

/// The name a controller's pod name starts with, without the suffix it generated: the inverse of
/// [`crate::check::name_has_prefix`] (`helloworld-v1-86f77cd7bd-cpxhv` ->
/// `helloworld-v1`, `web-0` -> `web`, `ztunnel-x7k2p` -> `ztunnel`); a name without such a
/// suffix is its own prefix.
pub fn name_prefix(pod: &str) -> String {
    let alnum = |s: &str| {
        s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
    };
    let parts: Vec<&str> = pod.split('-').collect();
    let keep = match parts.as_slice() {
        [.., base, hash, random]
            if !base.is_empty()
                && (6..=10).contains(&hash.len())
                && alnum(hash)
                && random.len() == 5
                && alnum(random) =>
        {
            parts.len() - 2
        }
        [.., base, last] if !base.is_empty() => {
            let ordinal = !last.is_empty() && last.bytes().all(|b| b.is_ascii_digit());
            if ordinal || (last.len() == 5 && alnum(last)) {
                parts.len() - 1
            } else {
                parts.len()
            }
        }
        _ => parts.len(),
    };
    parts[..keep].join("-")
}

#[cfg(test)]
mod tests {

    #[test]
    fn a_wide_short_flag_is_read_whole() {
        assert_eq!(
            command_checks("kubectl get pods -é -n x", Some("NAME READY STATUS\n")),
            None
        );
    }

    use super::*;
    use crate::checker::conditions::name_has_prefix;

    fn pods(
        context: &str,
        ns: &str,
        selector: Option<&str>,
        prefix: &str,
        count: usize,
    ) -> CheckSpec {
        CheckSpec::PodsReady {
            context: context.into(),
            namespace: ns.into(),
            selector: selector.map(Into::into),
            name_prefix: Some(prefix.into()),
            count: Some(count),
        }
    }

    const HELLO: &str = "NAME                             READY     STATUS    RESTARTS   AGE\nhelloworld-v1-86f77cd7bd-cpxhv   2/2       Running   0          40s\n";

    #[test]
    fn kubectl_get_pods_with_running_output_becomes_a_pod_wait() {
        let want = vec![pods(
            "${CTX_CLUSTER1}",
            "sample",
            Some("app=helloworld"),
            "helloworld-v1",
            1,
        )];
        for command in [
            r#"kubectl get pod --context="${CTX_CLUSTER1}" -n sample -l app=helloworld"#,
            r#"kubectl get pods --context "${CTX_CLUSTER1}" --namespace sample -l app=helloworld"#,
            r#"kubectl -n sample get pod -l app=helloworld --context=${CTX_CLUSTER1}"#,
            r#"kubectl get pod -lapp=helloworld --namespace=sample --context="${CTX_CLUSTER1}""#,
            "kubectl get pod --context=\"${CTX_CLUSTER1}\" \\\n    -n sample -l app=helloworld",
            r#"kubectl --context="${CTX_CLUSTER1}" get po --selector app=helloworld -n sample -o wide"#,
        ] {
            assert_eq!(
                command_checks(command, Some(HELLO)),
                Some(want.clone()),
                "{command}"
            );
        }
    }

    #[test]
    fn pods_are_counted_per_prefix() {
        let out = "NAME                      READY   STATUS    RESTARTS   AGE\n\
                   istiod-5b8b4cb4b6-qhnqx   1/1     Running   0          2m\n\
                   web-0                     1/1     Running   0          2m\n\
                   web-1                     1/1     Running   0          2m\n\
                   ...\n";
        assert_eq!(
            command_checks("kubectl get pods -n istio-system --context=$CTX", Some(out)),
            Some(vec![
                pods("$CTX", "istio-system", None, "istiod", 1),
                pods("$CTX", "istio-system", None, "web", 2),
            ])
        );
    }

    #[test]
    fn what_has_no_native_equivalent_stays_a_command() {
        let cases: &[(&str, Option<&str>)] = &[
            // Another kubeconfig: the check would not know which cluster.
            (
                "kubectl get pod --kubeconfig=k -n sample -l app=helloworld",
                Some(HELLO),
            ),
            // No output to say what is expected, or a pod that is not Running or not ready.
            ("kubectl get pod --context=c -n sample -l app=x", None),
            (
                "kubectl get pod --context=c -n sample -l app=x",
                Some("NAME READY STATUS\nx-abcde 0/1 Pending\n"),
            ),
            (
                "kubectl get pod --context=c -n sample -l app=x",
                Some("NAME READY STATUS\nx-abcde 1/2 Running\n"),
            ),
            (
                "kubectl get pod --context=c -n sample -l app=x",
                Some("NAME READY STATUS\n"),
            ),
            (
                "kubectl get pod --context=c -n sample -l app=x",
                Some("helloworld\n"),
            ),
            // Shell around the command.
            (
                "kubectl get pod --context=c -n sample -l app=x | grep Running",
                Some(HELLO),
            ),
            (
                "kubectl get pod --context=c -n sample -l app=x > pods.txt",
                Some(HELLO),
            ),
            (
                "kubectl get pod --context=$(kubectl config current-context) -l app=x",
                Some(HELLO),
            ),
            ("kubectl get pod --context='$CTX' -l app=x", Some(HELLO)),
            (
                "kubectl get pod --context=c -l app=x && echo ok",
                Some(HELLO),
            ),
            // Other flags, resources and verbs.
            ("kubectl get pod --context=c -A", Some(HELLO)),
            ("kubectl get pod --context=c -n x -o yaml", Some(HELLO)),
            ("kubectl get pod --context=c -n x -w", Some(HELLO)),
            ("kubectl get svc --context=c -n x", Some(HELLO)),
            ("kubectl get pod mypod --context=c -n x", Some(HELLO)),
            ("kubectl apply --context=c -f x.yaml", None),
            ("kubectl rollout status --context=c -n x job/j", None),
            ("kubectl rollout status --context=c -n x deployment", None),
            (
                "kubectl rollout restart --context=c -n x deployment/d",
                None,
            ),
            ("kubectl wait --context=c -n x --for=delete pod/p", None),
            (
                "kubectl wait --context=c -n x --for=jsonpath={.status.phase}=Running pod/p",
                None,
            ),
            (
                "kubectl wait --context=c -n x --for=condition=Ready pod --all",
                None,
            ),
            (
                "kubectl wait --context=c -n x --for=condition=Ready widget/w",
                None,
            ),
            ("kubectl wait --context=c -n x pod/p", None),
            ("istioctl install --context=c", None),
            ("echo kubectl rollout status --context=c deployment/d", None),
        ];
        for (command, output) in cases {
            assert_eq!(command_checks(command, *output), None, "{command}");
        }
    }

    #[test]
    fn without_context_a_wait_follows_the_current_context_in_document_order() {
        let wait = "kubectl rollout status deployment/d -n x";
        let lines = [
            wait,
            "kubectl config use-context west",
            wait,
            "kubectl config use-context \"$CTX_EAST\"",
            wait,
            "kubectl config use-context $(pick-one)",
            wait,
            "kubectl config use-context east",
            wait,
            "export KUBECONFIG=$HOME/other",
            wait,
        ];
        let mut guide = String::from("# g\n");
        for (i, line) in lines.iter().enumerate() {
            // Line 6 + 6i holds the command of step s{i}, in a fence that starts a line before.
            guide.push_str(&format!("\n## S{i}\n\n```bash\n{line}\n```\n"));
        }
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("g.md");
        std::fs::write(&path, guide).unwrap();
        let doc = crate::doc::Doc::load(&path).unwrap();
        let runbook = crate::runbook::build(&doc, crate::runbook::BuildOptions::default()).unwrap();
        let warnings: Vec<String> = runbook
            .warnings
            .iter()
            .map(|w| w.replace(&dir.path().display().to_string(), ""))
            .collect();
        let steps = runbook.steps;
        let contexts: Vec<(&str, Option<&str>)> = steps
            .iter()
            .filter(|s| s.commands[0].text == wait)
            .map(|s| (s.id.as_str(), s.native.first().and_then(context_of)))
            .collect();
        assert_eq!(
            contexts,
            [
                ("s0_1", Some(CURRENT_CONTEXT)),
                ("s2_1", Some("west")),
                ("s4_1", Some("$CTX_EAST")),
                ("s6_1", None),
                ("s8_1", Some("east")),
                ("s10_1", None),
            ]
        );
        let said: Vec<&String> = warnings
            .iter()
            .filter(|w| w.contains("--context"))
            .collect();
        assert_eq!(said.len(), 2, "{warnings:?}");
        assert!(
            said[0].ends_with("/g.md:41: step s6_1 runs its commands, not native checks: its kubectl names no --context and the guide switches to a context docrun cannot tell before the run at /g.md:36"),
            "{warnings:?}"
        );
        assert!(
            said[1].contains("KUBECONFIG elsewhere at /g.md:60"),
            "{warnings:?}"
        );
    }

    #[test]
    fn rollout_status_becomes_a_rollout_wait() {
        let rollout = |ns: &str, kind: &str, name: &str| CheckSpec::Rollout {
            context: "${CTX_CLUSTER2}".into(),
            namespace: ns.into(),
            kind: kind.into(),
            name: name.into(),
        };
        for (command, want) in [
            (
                r#"kubectl rollout status deployment/helloworld-v2 -n sample --context="${CTX_CLUSTER2}""#,
                rollout("sample", "Deployment", "helloworld-v2"),
            ),
            (
                r#"kubectl --context="${CTX_CLUSTER2}" rollout status deploy/istiod -n istio-system --timeout=5m"#,
                rollout("istio-system", "Deployment", "istiod"),
            ),
            (
                r#"kubectl rollout status deployment istiod --namespace istio-system --context "${CTX_CLUSTER2}""#,
                rollout("istio-system", "Deployment", "istiod"),
            ),
            (
                r#"kubectl rollout status statefulset/web --context=${CTX_CLUSTER2}"#,
                rollout("default", "StatefulSet", "web"),
            ),
            (
                r#"kubectl rollout status ds/ztunnel -n istio-system --context=${CTX_CLUSTER2}"#,
                rollout("istio-system", "DaemonSet", "ztunnel"),
            ),
        ] {
            assert_eq!(
                command_checks(command, Some("deployment \"x\" successfully rolled out\n")),
                Some(vec![want]),
                "{command}"
            );
        }
    }

    #[test]
    fn kubectl_wait_becomes_a_condition_wait() {
        let cond =
            |api: &str, kind: &str, ns: Option<&str>, name: &str, c: &str, s: Option<&str>| {
                CheckSpec::Condition {
                    object: ObjectRef {
                        context: "$CTX".into(),
                        api_version: api.into(),
                        kind: kind.into(),
                        namespace: ns.map(Into::into),
                        name: name.into(),
                    },
                    condition: c.into(),
                    status: s.map(Into::into),
                }
            };
        for (command, want) in [
            (
                "kubectl wait --context=$CTX --for=condition=available --timeout=600s deployment/istiod -n istio-system",
                cond("apps/v1", "Deployment", Some("istio-system"), "istiod", "Available", None),
            ),
            (
                "kubectl wait --context=$CTX --for=condition=Established crd/gateways.gateway.networking.k8s.io",
                cond("apiextensions.k8s.io/v1", "CustomResourceDefinition", None, "gateways.gateway.networking.k8s.io", "Established", None),
            ),
            (
                "kubectl wait --context $CTX -n istio-system --for condition=programmed gtw cross-network-gateway",
                cond("gateway.networking.k8s.io/v1", "Gateway", Some("istio-system"), "cross-network-gateway", "Programmed", None),
            ),
            (
                "kubectl wait --context=$CTX --for=condition=Ready=false pod/p",
                cond("v1", "Pod", None, "p", "Ready", Some("false")),
            ),
        ] {
            assert_eq!(command_checks(command, None), Some(vec![want]), "{command}");
        }
        assert_eq!(
            command_checks(
                "kubectl wait --context=$CTX -n sample --for=condition=ready pod -l app=sleep",
                None
            ),
            Some(vec![CheckSpec::PodsReady {
                context: "$CTX".into(),
                namespace: "sample".into(),
                selector: Some("app=sleep".into()),
                name_prefix: None,
                count: None,
            }])
        );
    }

    #[test]
    fn a_step_is_native_only_if_every_command_is() {
        let rollout = "kubectl rollout status deployment/a -n x --context=$C";
        let wait = "kubectl wait --for=condition=Ready pod/p -n x --context=$C";
        assert_eq!(
            step_checks(&[(rollout, None), (wait, None)]).map(|c| c.len()),
            Some(2)
        );
        assert_eq!(
            step_checks(&[
                (rollout, None),
                ("kubectl apply -f x.yaml --context=$C", None)
            ]),
            None
        );
        assert_eq!(step_checks(&[]), None);
    }

    #[test]
    fn contexts_and_versions_become_prerequisite_checks() {
        assert_eq!(
            context_checks(&["CTX_CLUSTER1", "CTX_CLUSTER2"]),
            vec![
                CheckSpec::Context {
                    context: "$CTX_CLUSTER1".into()
                },
                CheckSpec::Reachable {
                    context: "$CTX_CLUSTER1".into()
                },
                CheckSpec::Context {
                    context: "$CTX_CLUSTER2".into()
                },
                CheckSpec::Reachable {
                    context: "$CTX_CLUSTER2".into()
                },
                CheckSpec::Distinct {
                    contexts: vec!["$CTX_CLUSTER1".into(), "$CTX_CLUSTER2".into()]
                },
            ]
        );
        assert_eq!(
            context_checks(&["CTX"]).len(),
            2,
            "one context: nothing to tell apart"
        );
        let versions = vec!["1.31".to_owned(), "1.32".to_owned()];
        assert_eq!(
            version_checks(&["A"], &versions),
            vec![CheckSpec::Version {
                context: "$A".into(),
                versions: versions.clone()
            }]
        );
        assert_eq!(version_checks(&["A"], &[]), vec![]);
    }

    #[test]
    fn name_prefixes_drop_generated_suffixes() {
        for (pod, prefix) in [
            ("helloworld-v1-86f77cd7bd-cpxhv", "helloworld-v1"),
            ("istiod-5b8b4cb4b6-qhnqx", "istiod"),
            (
                "istio-eastwestgateway-7f6c8b9d4-abcde",
                "istio-eastwestgateway",
            ),
            ("web-0", "web"),
            ("ztunnel-x7k2p", "ztunnel"),
            ("sleep", "sleep"),
            ("helloworld-v1", "helloworld-v1"),
        ] {
            assert_eq!(name_prefix(pod), prefix, "{pod}");
            assert!(name_has_prefix(pod, prefix), "{pod} should match {prefix}");
        }
    }
}
