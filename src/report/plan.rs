//! Plans, step lists and variable tables as text for a reader.

use std::fmt::Write;

use crate::plan::{Plan, PlanVar, RunsAs};
use crate::runbook::{NamedContext, Runbook, StepKind};

/// `docrun list`: one line per step: id, kind, section, line, and whether a run takes it.
pub fn list(runbook: &Runbook) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{}", runbook.path.display());
    let _ = writeln!(
        out,
        "  read as {} ({})",
        runbook.dialect.dialect, runbook.dialect.reason
    );
    let width = runbook
        .steps
        .iter()
        .map(|s| s.id.len())
        .max()
        .unwrap_or(2)
        .max(2);
    let kind_of = |step: &crate::runbook::Step| match step.kind {
        StepKind::Text | StepKind::Callout => format!("{}:{}", step.kind.as_str(), step.syntax),
        k => k.as_str().to_owned(),
    };
    let section_of = |step: &crate::runbook::Step| {
        if step.section.anchor.is_empty() {
            "-".to_owned()
        } else {
            step.section.anchor.clone()
        }
    };
    let kinds = runbook.steps.iter().map(|s| kind_of(s).chars().count());
    let kind_width = kinds.max().unwrap_or(4).max(4);
    let sections = runbook.steps.iter().map(|s| section_of(s).chars().count());
    let section_width = sections.max().unwrap_or(7).max(7);
    let _ = writeln!(
        out,
        "  {:<width$}  {:<kind_width$}  {:<5}  {:<section_width$}  RUNS",
        "ID", "KIND", "LINE", "SECTION"
    );
    for step in &runbook.steps {
        let kind = kind_of(step);
        let runs = if step.runs {
            "yes".to_owned()
        } else {
            format!(
                "no ({})",
                step.skip_reason.as_deref().unwrap_or("not runnable")
            )
        };
        let line = if *step.file == *runbook.path {
            step.line.to_string()
        } else {
            format!(
                "{}:{}",
                step.file
                    .file_name()
                    .map(|f| f.to_string_lossy())
                    .unwrap_or_default(),
                step.line
            )
        };
        let _ = writeln!(
            out,
            "  {:<width$}  {:<kind_width$}  {:<5}  {:<section_width$}  {runs}",
            step.id,
            kind,
            line,
            section_of(step),
        );
    }
    out
}

/// `docrun vars`: each variable with kind, value and source, description and placeholder, then
/// the kube contexts the guide names literally.
pub fn vars(vars: &[PlanVar], contexts: &[NamedContext]) -> String {
    let mut out = String::new();
    for context in contexts {
        let _ = writeln!(
            out,
            "{}  [kube-context]  line {}",
            context.name, context.line
        );
        let _ = writeln!(
            out,
            "    value:       {}  (named in the guide's commands; rename your kube contexts to match)",
            context.name
        );
    }
    if vars.is_empty() {
        if contexts.is_empty() {
            out.push_str("This guide needs no variables.\n");
        }
        return out;
    }
    for var in vars {
        let value = match (&var.value, var.source) {
            (Some(v), Some(s)) => format!("{v}  (from {})", s.describe()),
            _ if var.required => "(no value: required)".to_owned(),
            _ => "(no value: set by the guide's own steps)".to_owned(),
        };
        let _ = writeln!(
            out,
            "{}  [{}]  line {}",
            var.name,
            var.kind.as_str(),
            var.line
        );
        let _ = writeln!(out, "    value:       {value}");
        if let Some(d) = &var.description {
            let _ = writeln!(out, "    description: {d}");
        }
        if let Some(p) = &var.placeholder {
            let _ = writeln!(out, "    placeholder: {p}");
        }
    }
    out
}

/// `docrun plan`: variables, prerequisites and the steps in order, commands resolved.
pub fn plan(plan: &Plan) -> String {
    plan_in_chain(plan, None)
}

/// The guides a guide's chain puts before it, for the plan's prerequisites: the chain, and
/// whether their steps are in the plan (`--with-prereqs`) or only listed.
pub struct ChainView<'a> {
    pub chain: &'a crate::chain::Chain,
    pub with_prereqs: bool,
}

/// [`plan`], with the prerequisite guides of a chain named under "Prerequisites", each with
/// the part taken and the number of steps it adds to the plan (or would add, without
/// `--with-prereqs`).
pub fn plan_in_chain(plan: &Plan, chain: Option<ChainView<'_>>) -> String {
    let mut out = String::new();
    let _ = write_plan_in_chain(&mut out, plan, chain);
    out
}

/// [`plan_in_chain`] written to `out` a line at a time, so that the plan of a guide of many
/// thousand steps is never one string.
pub fn write_plan_in_chain(
    out: &mut impl Write,
    plan: &Plan,
    chain: Option<ChainView<'_>>,
) -> std::fmt::Result {
    let title = plan
        .title
        .as_deref()
        .map(|t| format!(" ({t})"))
        .unwrap_or_default();
    let _ = writeln!(out, "Plan for {}{title}", plan.guide.display());
    let _ = writeln!(out, "Dry run: nothing is executed.");
    let _ = writeln!(
        out,
        "Read as {} ({}).",
        plan.dialect.dialect, plan.dialect.reason
    );
    let selected = plan.steps.iter().filter(|s| s.selected).count();
    let n = plan.steps.len();
    let _ = writeln!(
        out,
        "{n} step{}, {selected} to run.",
        if n == 1 { "" } else { "s" }
    );

    let _ = writeln!(out, "\nVariables:");
    if plan.vars.is_empty() {
        let _ = writeln!(out, "  (none)");
    }
    for var in &plan.vars {
        let value = match (&var.value, var.source) {
            (Some(v), Some(s)) => format!("{v}  (from {})", s.describe()),
            _ if var.required => "MISSING".to_owned(),
            _ => "(set by the guide's steps)".to_owned(),
        };
        let _ = writeln!(out, "  {} = {value}  [{}]", var.name, var.kind.as_str());
        if let Some(d) = &var.description {
            let _ = writeln!(out, "      {d}");
        }
    }
    if !plan.missing.is_empty() {
        let _ = writeln!(out, "  Missing: {}", plan.missing.join(", "));
    }

    let _ = writeln!(out, "\nPrerequisites:");
    let guides = chain
        .as_ref()
        .map_or(&[][..], |c| &c.chain.prerequisites[..]);
    if plan.prerequisites.is_empty() && guides.is_empty() {
        let _ = writeln!(out, "  (none declared)");
    }
    for link in guides {
        let with = chain.as_ref().is_some_and(|c| c.with_prereqs);
        let part = link
            .parts_text()
            .unwrap_or_else(|| "whole guide".to_owned());
        let n = link.adds;
        let s = if n == 1 { "" } else { "s" };
        let adds = if with {
            format!("adds {n} step{s}")
        } else {
            format!("would add {n} step{s} with --with-prereqs")
        };
        let _ = writeln!(
            out,
            "  - guide {} ({part}): {adds}",
            plan.mask(&link.guide.display().to_string())
        );
    }
    for p in &plan.prerequisites {
        let section = if p.section.is_empty() {
            String::new()
        } else {
            format!("[{}] ", p.section)
        };
        let place = if p.line == 0 {
            p.origin.to_string()
        } else {
            format!("line {}, {}", p.line, p.origin)
        };
        let _ = writeln!(out, "  - {section}{}  ({place})", p.text);
        for check in &p.checks {
            let _ = writeln!(out, "      check: {}", plan.mask(&check.to_string()));
        }
    }

    let _ = writeln!(out, "\nSteps:");
    for (i, step) in plan.steps.iter().enumerate() {
        let status = if step.selected && step.runs_as == RunsAs::Native {
            "run as native checks; --no-native runs the commands".to_owned()
        } else if step.selected {
            "run".to_owned()
        } else {
            format!(
                "not run: {}",
                step.reason.as_deref().unwrap_or("not runnable")
            )
        };
        let _ = writeln!(
            out,
            "  {}. {}  [{}]  {}:{}  section {}  ({status})",
            i + 1,
            step.id,
            step.kind.as_str(),
            step.file.display(),
            step.line,
            if step.section.is_empty() {
                "-"
            } else {
                &step.section
            },
        );
        for command in &step.commands {
            for (n, line) in command.lines().enumerate() {
                let _ = writeln!(out, "       {} {line}", if n == 0 { "$" } else { " " });
            }
        }
        if let Some(expected) = &step.expected {
            let _ = writeln!(out, "       expected output:");
            for line in expected.lines() {
                let _ = writeln!(out, "       | {line}");
            }
        }
        for check in &step.native {
            let _ = writeln!(out, "       native: {}", plan.mask(&check.to_string()));
        }
        if step.kind == StepKind::Callout {
            if let Some(text) = &step.text {
                let _ = writeln!(out, "       {}", text);
            }
        }
    }
    if !plan.warnings.is_empty() {
        let _ = writeln!(out, "\nWarnings:");
        for w in &plan.warnings {
            let _ = writeln!(out, "  {w}");
        }
    }
    Ok(())
}
