//! Cluster hygiene: did a guide leave the clusters as it found them?
//!
//! Before a guide's first step and after its last (cleanup included), docrun takes a
//! [`Snapshot`] of every context the guide uses ([`contexts_of`]) and compares the two by kind,
//! namespace and name ([`compare`]). Deletions take time on a real cluster (a namespace stays
//! `Terminating` while its objects go), so while some leaked object is being deleted, or the
//! leaks still change from one look to the next, docrun looks again, up to the settle budget
//! (2 minutes by default). What is left is reported as an [`Event::Hygiene`]: leaked and
//! removed objects, each named `context/kind/namespace/name`.
//!
//! Snapshots of different contexts are taken at once; every call is bounded by the call
//! timeout. A context that cannot be read is reported once per run and not checked after that,
//! so one unreachable cluster is one message, not a leak in every guide. Under `fail` hygiene
//! fails closed: every guide that uses a context that could not be read, before or after it,
//! fails (the guide may have leaked there); under `warn` it is a warning. Guides that share a
//! context take turns on it ([`Hygiene::lock`]): two guides running at once on one cluster
//! would see each other's objects as leaks.

pub mod compare;
pub mod snapshot;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub use compare::{compare, Comparison};
pub use snapshot::{Exclusions, ObjectRef, Snapshot};

use crate::checker::Checker;
use crate::error::Error;
use crate::events::{
    ClusterObject, Event, HygieneStatus, Masked, Masker, Reporter, RunStatus, UnreachableContext,
};
use crate::exec::runner::RunSummary;
use crate::plan::Plan;
use crate::runbook::{StepKind, VarKind};
use crate::settings::HygieneSettings;
pub use crate::settings::Mode;

/// The settle budget when none is given.
pub const DEFAULT_SETTLE: Duration = Duration::from_secs(120);

/// Time between two looks while deletions settle.
const POLL: Duration = Duration::from_millis(500);

/// Hygiene as a run does it.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    pub mode: Mode,
    pub settle: Duration,
    pub exclusions: Exclusions,
}

impl Config {
    /// The configuration from the flags (which win) and a tree's settings.
    pub fn resolve(
        flag: Option<Mode>,
        default: Mode,
        flag_settle: Option<Duration>,
        settings: Option<&HygieneSettings>,
    ) -> Config {
        let settings = settings.cloned().unwrap_or_default();
        let settle = flag_settle.or(settings.settle).unwrap_or(DEFAULT_SETTLE);
        let mut exclusions = Exclusions::default();
        if let Some(ns) = settings.exclude_namespaces {
            exclusions.namespaces = ns;
        }
        if let Some(kinds) = settings.exclude_kinds {
            exclusions.kinds = kinds;
        }
        Config {
            mode: flag.or(settings.mode).unwrap_or(default),
            settle,
            exclusions,
        }
    }
}

/// Commands that talk to a cluster through the kubeconfig's current context when they name no
/// context.
const CLUSTER_TOOLS: &[&str] = &[
    "kubectl",
    "helm",
    "istioctl",
    "linkerd",
    "cmctl",
    "oc",
    "kustomize",
    "flux",
    "stern",
];

/// The contexts a guide uses, in the order first met: those its commands (and the commands of
/// the pages it includes) name (`--context=x`),
/// the values of its kube-context variables, and those its native checks read. A guide with
/// none of these that runs a cluster tool ([`CLUSTER_TOOLS`]) uses the kubeconfig's current
/// context. Empty: the guide uses no cluster, and hygiene takes no snapshot for it.
pub fn contexts_of(plan: &Plan, current: Option<&str>) -> Vec<String> {
    let mut found: Vec<String> = Vec::new();
    let add = |found: &mut Vec<String>, name: &str| {
        if !name.is_empty() && !found.iter().any(|f| f == name) {
            found.push(name.to_string());
        }
    };
    for c in &plan.contexts {
        add(&mut found, &c.name);
    }
    for v in &plan.vars {
        if v.kind == VarKind::KubeContext {
            if let Some(value) = &v.value {
                add(&mut found, value);
            }
        }
    }
    for p in &plan.prerequisites {
        for check in &p.checks {
            for c in check.contexts() {
                if !c.contains('$') {
                    add(&mut found, c);
                }
            }
        }
    }
    let taken = || plan.steps.iter().filter(|s| s.selected);
    for s in taken() {
        for check in &s.native {
            for c in check.contexts() {
                add(&mut found, c);
            }
        }
        // Included pages' commands too (the plan's `contexts` are the guide's own).
        if s.kind == StepKind::Command {
            for command in &s.commands {
                for c in crate::runbook::derive::literal_contexts(command) {
                    add(&mut found, &c);
                }
            }
        }
    }
    if found.is_empty() {
        let uses_tool = taken()
            .filter(|s| s.kind == StepKind::Command)
            .flat_map(|s| &s.commands)
            .any(|c| runs_cluster_tool(c));
        if let (true, Some(current)) = (uses_tool, current) {
            add(&mut found, current);
        }
    }
    found
}

/// Whether a command line runs one of [`CLUSTER_TOOLS`] as a command word.
fn runs_cluster_tool(command: &str) -> bool {
    command
        .split(|c: char| c.is_whitespace() || ";|&()`$".contains(c))
        .filter(|w| !w.is_empty())
        .any(|w| {
            let base = w.rsplit('/').next().unwrap_or(w);
            CLUSTER_TOOLS.contains(&base)
        })
}

/// The snapshots taken before a guide, per context.
#[derive(Debug, Default)]
pub struct Before {
    contexts: Vec<String>,
    snapshots: Vec<Snapshot>,
    unreachable: Vec<UnreachableContext>,
    spent: Duration,
}

/// Hygiene for one run: the checker whose clients it reads clusters with, the configuration,
/// the contexts found unreachable so far, and a turn-taking lock per context.
pub struct Hygiene {
    pub config: Config,
    checker: Checker,
    unreachable: Mutex<BTreeMap<String, String>>,
    locks: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
}

impl Hygiene {
    pub fn new(config: Config, checker: Checker) -> Self {
        Hygiene {
            config,
            checker,
            unreachable: Mutex::new(BTreeMap::new()),
            locks: Mutex::new(HashMap::new()),
        }
    }

    /// The kubeconfig's current context (what a guide that names none uses).
    pub fn current_context(&self) -> Option<&str> {
        self.checker.current_context()
    }

    /// Waits for this guide's turn on each of `contexts` (taken in name order, so two guides
    /// never wait for each other), and holds it until the guards are dropped.
    pub async fn lock(&self, contexts: &[String]) -> Vec<tokio::sync::OwnedMutexGuard<()>> {
        let mut sorted: Vec<&String> = contexts.iter().collect();
        sorted.sort();
        sorted.dedup();
        let mut guards = Vec::new();
        for c in sorted {
            let lock = {
                let mut locks = self.locks.lock().unwrap_or_else(|e| e.into_inner());
                locks.entry(c.clone()).or_default().clone()
            };
            guards.push(lock.lock_owned().await);
        }
        guards
    }

    /// Snapshots of every context the guide uses, taken at once.
    pub async fn before(&self, contexts: &[String]) -> Before {
        let started = Instant::now();
        let (snapshots, unreachable) = self.take_all(contexts).await;
        Before {
            contexts: contexts.to_vec(),
            snapshots,
            unreachable,
            spent: started.elapsed(),
        }
    }

    /// Compares the clusters now with `before`, looking again while deletions settle, and says
    /// what is left as an [`Event::Hygiene`] for `guide`.
    pub async fn after(&self, guide: PathBuf, before: Before) -> Event {
        let started = Instant::now();
        let deadline = started + self.config.settle;
        let readable: Vec<String> = before.snapshots.iter().map(|s| s.context.clone()).collect();
        let mut unreachable = before.unreachable;
        let mut last: Option<Vec<(String, Comparison)>> = None;
        let comparisons = loop {
            let (now, lost) = self.take_all(&readable).await;
            let mut comparisons = Vec::new();
            for after in &now {
                if let Some(b) = before.snapshots.iter().find(|b| b.context == after.context) {
                    comparisons.push((after.context.clone(), compare(b, after)));
                }
            }
            if !lost.is_empty() {
                unreachable.extend(lost);
                break comparisons;
            }
            let clean = comparisons.iter().all(|(_, c)| c.is_clean());
            let settling = comparisons.iter().any(|(_, c)| c.settling);
            let changed = last.as_ref() != Some(&comparisons);
            if clean || !(settling || changed) || Instant::now() + POLL > deadline {
                break comparisons;
            }
            last = Some(comparisons);
            tokio::time::sleep(POLL).await;
        };
        let named = |context: &str, o: &ObjectRef| ClusterObject {
            context: context.to_string(),
            kind: o.kind.clone(),
            namespace: o.namespace.clone(),
            name: o.name.clone(),
        };
        let mut leaked = Vec::new();
        let mut removed = Vec::new();
        for (context, c) in &comparisons {
            leaked.extend(c.leaked.iter().map(|o| named(context, o)));
            removed.extend(c.removed.iter().map(|o| named(context, o)));
        }
        let checked: BTreeSet<&str> = comparisons.iter().map(|(c, _)| c.as_str()).collect();
        let status = if !leaked.is_empty() || !removed.is_empty() {
            HygieneStatus::Leaked
        } else if checked.is_empty() {
            HygieneStatus::Unchecked
        } else {
            HygieneStatus::Clean
        };
        Event::Hygiene {
            guide,
            status,
            fails: self.config.mode == Mode::Fail,
            contexts: before.contexts,
            leaked,
            removed,
            unreachable,
            duration_ms: (before.spent + started.elapsed()).as_millis() as u64,
        }
    }

    /// Snapshots of the contexts that are not known to be unreachable, at once. A context that
    /// fails joins the unreachable ones; its reason is given the first time only.
    async fn take_all(&self, contexts: &[String]) -> (Vec<Snapshot>, Vec<UnreachableContext>) {
        let per_call = self.checker.call_timeout();
        let known: BTreeMap<String, String> = self
            .unreachable
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        let mut unreachable: Vec<UnreachableContext> = contexts
            .iter()
            .filter(|c| known.contains_key(*c))
            .map(|c| UnreachableContext {
                context: c.clone(),
                reason: None,
            })
            .collect();
        let wanted: Vec<&String> = contexts
            .iter()
            .filter(|c| !known.contains_key(*c))
            .collect();
        let taken = futures::future::join_all(wanted.iter().map(|context| async move {
            let client = self.checker.client_for(context).await?;
            snapshot::take(&client, context, &self.config.exclusions, per_call)
                .await
                .map_err(|e| e.0)
        }))
        .await;
        let mut snapshots = Vec::new();
        for (context, result) in wanted.into_iter().zip(taken) {
            match result {
                Ok(s) => snapshots.push(s),
                Err(reason) => {
                    let mut known = self.unreachable.lock().unwrap_or_else(|e| e.into_inner());
                    let first = !known.contains_key(context);
                    known.insert(context.clone(), reason.clone());
                    unreachable.push(UnreachableContext {
                        context: context.clone(),
                        reason: first.then_some(reason),
                    });
                }
            }
        }
        (snapshots, unreachable)
    }
}

/// Runs a guide (`run` gets the reporters and gives them back) with hygiene around it when
/// `hygiene` is on and the guide uses a cluster: waits for its turn on its contexts, takes the
/// snapshots before, runs, compares after, and reports the [`Event::Hygiene`] before the
/// run's end. Under `fail`, a leak or an unreadable context makes the summary failed. A run that was interrupted or could
/// not run is not compared: its cleanup may not have run.
pub async fn run_checked<F, Fut>(
    hygiene: Option<&Hygiene>,
    plan: &Plan,
    reporters: Vec<Box<dyn Reporter>>,
    run: F,
) -> (Result<RunSummary, Error>, Vec<Box<dyn Reporter>>)
where
    F: FnOnce(Vec<Box<dyn Reporter>>) -> Fut,
    Fut: std::future::Future<Output = (Result<RunSummary, Error>, Vec<Box<dyn Reporter>>)>,
{
    let hygiene = hygiene.filter(|h| h.config.mode != Mode::Off);
    let contexts = hygiene.map_or_else(Vec::new, |h| contexts_of(plan, h.current_context()));
    let Some(h) = hygiene.filter(|_| !contexts.is_empty()) else {
        return run(reporters).await;
    };
    let _turn = h.lock(&contexts).await;
    let before = h.before(&contexts).await;
    let (gate, handle) = Gate::new(reporters);
    let (summary, gated) = run(vec![Box::new(gate)]).await;
    drop(gated);
    let compared = matches!(&summary, Ok(s) if s.status != RunStatus::Interrupted);
    let masker = Masker::new(&plan.secrets);
    if !compared {
        return (summary, handle.release(None, &masker));
    }
    let event = h.after(plan.guide.clone(), before).await;
    let reporters = handle.release(Some(&event), &masker);
    let summary = summary.map(|mut s| {
        if fails_run(&event) {
            if s.status == RunStatus::Passed {
                s.status = RunStatus::Failed;
            }
            s.failed += 1;
        }
        s
    });
    (summary, reporters)
}

/// Applies a hygiene event to a guide's result: with `fails`, a leak or a context that could
/// not be read turns a passed run failed ([`Event::hygiene_fails`]).
pub fn fails_run(event: &Event) -> bool {
    event.hygiene_fails()
}

/// A reporter in front of others that holds back `RunFinished` until hygiene has been
/// compared, then passes on the hygiene event and `RunFinished` (failed if the leak fails the
/// guide). Keeps the order reporters rely on: every event of a guide before its end.
pub struct Gate {
    inner: Arc<Mutex<GateState>>,
}

struct GateState {
    reporters: Vec<Box<dyn Reporter>>,
    held: Option<Masked>,
}

/// The caller's side of a [`Gate`]: releases what it holds.
pub struct GateHandle {
    inner: Arc<Mutex<GateState>>,
}

impl Gate {
    /// A gate in front of `reporters`, and the handle that releases it.
    pub fn new(reporters: Vec<Box<dyn Reporter>>) -> (Gate, GateHandle) {
        let inner = Arc::new(Mutex::new(GateState {
            reporters,
            held: None,
        }));
        (
            Gate {
                inner: inner.clone(),
            },
            GateHandle { inner },
        )
    }
}

impl Reporter for Gate {
    fn event(&mut self, event: &Masked) {
        let mut state = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        if matches!(event.event(), Event::RunFinished { .. }) {
            state.held = Some(event.clone());
            return;
        }
        for r in state.reporters.iter_mut() {
            r.event(event);
        }
    }

    fn finish(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl GateHandle {
    /// Passes on `hygiene` (if any, masked by `masker` as the run's events are), then the held
    /// `RunFinished`, made failed when the hygiene event fails the run. Returns the reporters,
    /// for their `finish`.
    pub fn release(self, hygiene: Option<&Event>, masker: &Masker) -> Vec<Box<dyn Reporter>> {
        let mut state = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        let mut held = state.held.take();
        if let Some(h) = hygiene {
            let masked = masker.mask(h.clone());
            for r in state.reporters.iter_mut() {
                r.event(&masked);
            }
            if fails_run(h) {
                if let Some(end) = held.take() {
                    let mut end = end.event().clone();
                    if let Event::RunFinished { status, failed, .. } = &mut end {
                        if *status == RunStatus::Passed {
                            *status = RunStatus::Failed;
                        }
                        *failed += 1;
                    }
                    held = Some(masker.mask(end));
                }
            }
        }
        if let Some(end) = held {
            for r in state.reporters.iter_mut() {
                r.event(&end);
            }
        }
        std::mem::take(&mut state.reporters)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cluster_tools_are_found_as_command_words() {
        assert!(runs_cluster_tool("kubectl get ns"));
        assert!(runs_cluster_tool(
            "echo x | /usr/local/bin/helm install a b"
        ));
        assert!(runs_cluster_tool("export X=$(kubectl get pod -o name)"));
        assert!(!runs_cluster_tool("echo kubectl-is-a-word"));
        assert!(!runs_cluster_tool("ls -l"));
    }

    #[test]
    fn flags_win_over_settings_and_defaults_fill_in() {
        let settings = HygieneSettings {
            mode: Some(Mode::Fail),
            settle: Some(Duration::from_secs(10)),
            exclude_namespaces: Some(vec!["istio-system".into()]),
            exclude_kinds: None,
        };
        let c = Config::resolve(None, Mode::Warn, None, Some(&settings));
        assert_eq!(c.mode, Mode::Fail);
        assert_eq!(c.settle, Duration::from_secs(10));
        assert_eq!(c.exclusions.namespaces, vec!["istio-system".to_string()]);
        assert!(c.exclusions.kinds.iter().any(|k| k == "Event"));
        let c = Config::resolve(
            Some(Mode::Off),
            Mode::Warn,
            Some(Duration::from_secs(1)),
            Some(&settings),
        );
        assert_eq!((c.mode, c.settle), (Mode::Off, Duration::from_secs(1)));
        let c = Config::resolve(None, Mode::Off, None, None);
        assert_eq!((c.mode, c.settle), (Mode::Off, DEFAULT_SETTLE));
    }
}
