//! What each step of a plan would do to the world, worked out from its commands without running
//! them: `docrun plan --effects`.
//!
//! Each command is read into simple commands ([`words`]), each simple command classified
//! ([`classify`]), and the classes gathered per step and summed up per guide and per kube
//! context. Building this is pure, like the plan: it executes nothing and reads no file.

pub mod classify;
pub mod kubectl;

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::Serialize;

pub use classify::{Class, Effect};

use crate::doc::words;
use crate::plan::{Plan, PlanStep};
use crate::runbook::StepKind;

/// The effects of one command of a step.
#[derive(Debug, Clone, Serialize)]
pub struct CommandEffects {
    /// The command's line in its file.
    pub line: usize,
    /// The effects of its simple commands, in order (secrets masked).
    pub effects: Vec<Effect>,
}

/// The effects of one command step.
#[derive(Debug, Clone, Serialize)]
pub struct StepEffects {
    pub id: String,
    pub file: PathBuf,
    pub line: usize,
    /// Whether the plan takes the step.
    pub selected: bool,
    /// The most consequential class of its commands (see [`Class`]'s order).
    pub class: Class,
    /// Every class its commands have, most consequential first.
    pub classes: Vec<Class>,
    pub commands: Vec<CommandEffects>,
}

/// What a guide's steps would change in one kube context.
#[derive(Debug, Clone, Serialize)]
pub struct ContextSummary {
    /// The context as the commands name it, resolved; `(current context)` when a command names
    /// none.
    pub context: String,
    /// What the steps change there, in step order, each with how many times it happens.
    pub changes: Vec<(String, usize)>,
    /// How many commands only read there.
    pub reads: usize,
}

/// The effects of a plan's steps, and their summary.
#[derive(Debug, Clone, Serialize)]
pub struct GuideEffects {
    pub schema: &'static str,
    pub guide: PathBuf,
    pub steps: Vec<StepEffects>,
    /// Selected command steps per headline class.
    pub counts: BTreeMap<Class, usize>,
    pub contexts: Vec<ContextSummary>,
}

/// The name the summary gives the kubeconfig's current context.
pub const CURRENT_CONTEXT: &str = "(current context)";

/// The effects of every command step of `plan`, variables resolved as the plan binds them.
pub fn of_plan(plan: &Plan) -> GuideEffects {
    let value = |name: &str| plan.bindings.get(name).map(|b| b.value.clone());
    let mut steps = Vec::new();
    for step in plan.steps.iter().filter(|s| s.kind == StepKind::Command) {
        steps.push(of_step(step, &value, plan));
    }
    let mut counts = BTreeMap::new();
    let mut contexts: Vec<ContextSummary> = Vec::new();
    for step in steps.iter().filter(|s| s.selected) {
        *counts.entry(step.class).or_insert(0) += 1;
        for effect in step.commands.iter().flat_map(|c| &c.effects) {
            if !matches!(effect.class, Class::ChangesCluster | Class::ReadsCluster) {
                continue;
            }
            let name = effect
                .context
                .clone()
                .unwrap_or_else(|| CURRENT_CONTEXT.to_owned());
            let at = match contexts.iter().position(|c| c.context == name) {
                Some(i) => i,
                None => {
                    contexts.push(ContextSummary {
                        context: name,
                        changes: Vec::new(),
                        reads: 0,
                    });
                    contexts.len() - 1
                }
            };
            let summary = &mut contexts[at];
            match (&effect.action, effect.class) {
                (Some(action), Class::ChangesCluster) => {
                    match summary.changes.iter_mut().find(|(a, _)| a == action) {
                        Some((_, n)) => *n += 1,
                        None => summary.changes.push((action.clone(), 1)),
                    }
                }
                _ => summary.reads += 1,
            }
        }
    }
    GuideEffects {
        schema: "docrun.effects/v1",
        guide: plan.guide.clone(),
        steps,
        counts,
        contexts,
    }
}

fn of_step(step: &PlanStep, value: &dyn Fn(&str) -> Option<String>, plan: &Plan) -> StepEffects {
    let mut commands = Vec::new();
    for (i, script) in step.scripts.iter().enumerate() {
        let mut effects: Vec<Effect> = words::read(script, value)
            .iter()
            .flat_map(classify::classify)
            .map(|mut e| {
                e.reason = plan.mask(&e.reason);
                e.context = e.context.map(|c| plan.mask(&c));
                e.action = e.action.map(|a| plan.mask(&a));
                e
            })
            .collect();
        if effects.is_empty() {
            // `do`, `done`, `fi` on a line of their own, or only a comment.
            effects.push(Effect::new(Class::Local, "no command of its own"));
        }
        commands.push(CommandEffects {
            line: step.command_lines.get(i).copied().unwrap_or(step.line),
            effects,
        });
    }
    let mut classes: Vec<Class> = commands
        .iter()
        .flat_map(|c| c.effects.iter().map(|e| e.class))
        .collect();
    classes.sort();
    classes.dedup();
    StepEffects {
        id: step.id.clone(),
        file: step.file.to_path_buf(),
        line: step.line,
        selected: step.selected,
        class: classes.first().copied().unwrap_or(Class::Local),
        classes,
        commands,
    }
}
