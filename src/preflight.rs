//! `docrun check`: the preflight of a guide. It runs every prerequisite check and, of the steps a
//! run would take as native checks, the checks that look once (never the waits, whose state the
//! guide's own steps create). It runs no command of the guide and writes to no cluster.
//!
//! Choosing the checks ([`groups`]) is pure, from a [`Plan`]; running them ([`run`]) is async
//! and goes through a [`Checker`].

use std::collections::HashMap;
use std::path::PathBuf;
use std::time::Duration;

use futures::future::join_all;
use serde::Serialize;

use crate::check::{CheckResult, CheckSpec, CheckStatus, Checker};
use crate::plan::{Plan, RunsAs};

/// What a group of checks verifies.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum GroupKind {
    Prerequisite,
    Step,
}

/// The checks of one prerequisite, or the read-only native checks of one step.
#[derive(Debug, Clone, Serialize)]
pub struct Group {
    pub kind: GroupKind,
    /// The section anchor (empty when none).
    pub section: String,
    /// The step id, for a step.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub step: Option<String>,
    pub file: PathBuf,
    pub line: usize,
    /// What is required, in words (the prerequisite's text, or the step's first command).
    pub text: String,
    /// The checks, variables resolved.
    #[serde(skip)]
    pub checks: Vec<CheckSpec>,
    /// Their results, in the order of `checks` (filled by [`run`]).
    pub results: Vec<CheckResult>,
}

/// How many results passed, warned and failed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    pub passed: usize,
    pub warnings: usize,
    pub failed: usize,
}

impl Summary {
    pub fn of(groups: &[Group]) -> Summary {
        let mut s = Summary::default();
        for r in groups.iter().flat_map(|g| &g.results) {
            match r.status {
                CheckStatus::Passed => s.passed += 1,
                CheckStatus::Warning => s.warnings += 1,
                CheckStatus::Failed => s.failed += 1,
            }
        }
        s
    }

    pub fn total(&self) -> usize {
        self.passed + self.warnings + self.failed
    }
}

/// The checks a preflight runs, grouped: each prerequisite with checks, then each selected step
/// that runs as native checks and has checks that look once. Waits are left out.
pub fn groups(plan: &Plan) -> Vec<Group> {
    let mut groups: Vec<Group> = plan
        .prerequisites
        .iter()
        .filter(|p| !p.checks.is_empty())
        .map(|p| Group {
            kind: GroupKind::Prerequisite,
            section: p.section.clone(),
            step: None,
            file: plan.guide.clone(),
            line: p.line,
            text: p.text.clone(),
            checks: p.checks.clone(),
            results: Vec::new(),
        })
        .collect();
    for step in plan
        .steps
        .iter()
        .filter(|s| s.selected && s.runs_as == RunsAs::Native)
    {
        let checks: Vec<CheckSpec> = step
            .native
            .iter()
            .filter(|c| !c.is_wait())
            .cloned()
            .collect();
        if checks.is_empty() {
            continue;
        }
        groups.push(Group {
            kind: GroupKind::Step,
            section: step.section.clone(),
            step: Some(step.id.clone()),
            file: step.file.clone(),
            line: step.line,
            text: step.commands.first().cloned().unwrap_or_default(),
            checks,
            results: Vec::new(),
        });
    }
    groups
}

/// Runs the checks of every group concurrently, each distinct check once (a check two groups
/// share is shown in both), and fills in the results.
pub async fn run(checker: &Checker, groups: &mut [Group], wait: Duration) {
    let mut unique: Vec<&CheckSpec> = Vec::new();
    for check in groups.iter().flat_map(|g| &g.checks) {
        if !unique.contains(&check) {
            unique.push(check);
        }
    }
    let results = join_all(unique.iter().map(|c| checker.run(c, wait))).await;
    let by_check: HashMap<String, Vec<CheckResult>> =
        unique.iter().map(|c| key(c)).zip(results).collect();
    for group in groups.iter_mut() {
        group.results = group
            .checks
            .iter()
            .flat_map(|c| by_check.get(&key(c)).cloned().unwrap_or_default())
            .collect();
    }
}

fn key(check: &CheckSpec) -> String {
    serde_json::to_string(check).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::doc::Doc;
    use crate::plan::{self, Inputs, Selection};
    use crate::runbook::{self, BuildOptions};

    fn plan_of(guide: &str) -> Plan {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("g.md");
        std::fs::write(&path, guide).unwrap();
        let doc = Doc::load(&path).unwrap();
        let rb = runbook::build(&doc, BuildOptions::default()).unwrap();
        let inputs = Inputs::parse(&["CTX=c1".to_owned()], None).unwrap();
        let bindings = plan::bind(&rb, &inputs, &|_| None);
        plan::build(&rb, bindings, &Selection::default()).unwrap()
    }

    #[test]
    fn a_preflight_takes_prerequisites_and_the_looks_of_native_steps_not_waits() {
        let plan = plan_of(
            "---\ntitle: t\nrunbook:\n  steps:\n    deploy_1:\n      native:\n        - {check: kube.exists, context: $CTX, api-version: v1, kind: Namespace, name: sample}\n        - {check: kube.rollout, context: $CTX, namespace: sample, kind: Deployment, name: a}\n---\n\
             Variable | Description\n--- | ---\n`CTX` | the context of the cluster\n\n\
             ## Deploy {#deploy}\n\n{{< text bash >}}\n$ kubectl apply --context=\"${CTX}\" -f a.yaml\n{{< /text >}}\n\n\
             {{< text bash >}}\n$ kubectl rollout status deployment/a -n sample --context=\"${CTX}\"\n{{< /text >}}\n",
        );
        let groups = groups(&plan);
        let names: Vec<(GroupKind, Vec<&str>)> = groups
            .iter()
            .map(|g| (g.kind.clone(), g.checks.iter().map(|c| c.name()).collect()))
            .collect();
        assert_eq!(
            names,
            vec![
                (
                    GroupKind::Prerequisite,
                    vec!["kube.context", "kube.reachable"]
                ),
                (GroupKind::Step, vec!["kube.exists"]),
            ]
        );
        assert_eq!(groups[1].step.as_deref(), Some("deploy_1"));
        assert_eq!(
            groups[0].checks[0],
            CheckSpec::Context {
                context: "c1".into()
            }
        );
    }
}
