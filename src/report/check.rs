//! Native checks as text: one check on a line (for plans), and the results of a preflight.

use std::fmt::Write;
use std::path::Path;

use crate::preflight::{Group, GroupKind, Summary};

/// `docrun check`: each group (a prerequisite, or a step's read-only native checks) with one line
/// per result (status, check, context, target, message), then a summary.
pub fn preflight(guide: &Path, title: Option<&str>, groups: &[Group]) -> String {
    let mut out = String::new();
    let title = title.map(|t| format!(" ({t})")).unwrap_or_default();
    let _ = writeln!(out, "Preflight for {}{title}", guide.display());
    let only_prerequisites = groups.iter().all(|g| g.kind == GroupKind::Prerequisite);
    let _ = writeln!(
        out,
        "{}",
        if only_prerequisites && !groups.is_empty() {
            "The guide's prerequisite checks; no command of the guide runs."
        } else {
            "Prerequisite checks and the read-only native checks of the steps; no command of the guide runs."
        }
    );
    if groups.is_empty() {
        let _ = writeln!(
            out,
            "\nNo checks: the guide has no prerequisite with checks and no step with a read-only native check."
        );
    }
    let results = groups.iter().flat_map(|g| &g.results);
    let check_width = results.clone().map(|r| r.check.len()).max().unwrap_or(0);
    let context_width = results
        .clone()
        .map(|r| r.context.as_deref().unwrap_or("-").len())
        .max()
        .unwrap_or(0);
    for group in groups {
        let section = if group.section.is_empty() {
            String::new()
        } else {
            format!("[{}] ", group.section)
        };
        let what = match (&group.kind, &group.step) {
            (GroupKind::Step, Some(id)) => format!("step {id}: $ {}", first_line(&group.text)),
            _ => group.text.clone(),
        };
        let _ = writeln!(out, "\n{section}{what}  (line {})", group.line);
        for r in &group.results {
            let _ = writeln!(
                out,
                "  {}  {:<check_width$}  {:<context_width$}  {}: {}",
                r.status.word(),
                r.check,
                r.context.as_deref().unwrap_or("-"),
                r.target,
                r.message
            );
        }
    }
    let s = Summary::of(groups);
    let _ = writeln!(
        out,
        "\n{} check result{}: {} passed, {} warning{}, {} failed.",
        s.total(),
        if s.total() == 1 { "" } else { "s" },
        s.passed,
        s.warnings,
        if s.warnings == 1 { "" } else { "s" },
        s.failed
    );
    out
}

fn first_line(text: &str) -> &str {
    text.lines().next().unwrap_or_default()
}
