//! `docrun plan --effects` as text: each command step with the effects of its commands, then
//! the counts per class and what the steps change in each kube context.

use std::fmt::Write;

use crate::effects::{Class, GuideEffects};

/// The effects section that follows a plan.
pub fn effects(effects: &GuideEffects) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "\nEffects (worked out from the commands; nothing is executed):"
    );
    for step in &effects.steps {
        let taken = if step.selected { "" } else { "  (not run)" };
        let _ = writeln!(
            out,
            "  {}  {}:{}  {}{taken}",
            step.id,
            step.file.display(),
            step.line,
            step.class.as_str()
        );
        for command in &step.commands {
            for effect in &command.effects {
                let context = match (&effect.context, effect.class) {
                    (Some(c), Class::ChangesCluster | Class::ReadsCluster) => format!("  [{c}]"),
                    (None, Class::ChangesCluster | Class::ReadsCluster) => {
                        format!("  [{}]", crate::effects::CURRENT_CONTEXT)
                    }
                    _ => String::new(),
                };
                let _ = writeln!(
                    out,
                    "      line {:<4} {:<16} {}{context}",
                    command.line,
                    effect.class.as_str(),
                    effect.reason
                );
            }
        }
    }
    let _ = writeln!(out, "\nSummary:");
    let total: usize = effects.counts.values().sum();
    let counts: Vec<String> = Class::ALL
        .iter()
        .filter_map(|c| effects.counts.get(c).map(|n| format!("{n} {}", c.as_str())))
        .collect();
    let _ = writeln!(
        out,
        "  {total} command step{} to run: {}",
        if total == 1 { "" } else { "s" },
        if counts.is_empty() {
            "none".to_owned()
        } else {
            counts.join(", ")
        }
    );
    for context in &effects.contexts {
        if context.changes.is_empty() {
            let _ = writeln!(
                out,
                "  {}: only reads ({} command{})",
                context.context,
                context.reads,
                if context.reads == 1 { "" } else { "s" }
            );
            continue;
        }
        let changes: Vec<String> = context
            .changes
            .iter()
            .map(|(a, n)| {
                if *n > 1 {
                    format!("{a} (x{n})")
                } else {
                    a.clone()
                }
            })
            .collect();
        let _ = writeln!(out, "  changes {}: {}", context.context, changes.join("; "));
    }
    let unknown: Vec<&str> = effects
        .steps
        .iter()
        .filter(|s| s.selected && s.classes.contains(&Class::Unknown))
        .map(|s| s.id.as_str())
        .collect();
    if !unknown.is_empty() {
        let _ = writeln!(
            out,
            "  unknown: docrun cannot tell what {} would do",
            unknown.join(", ")
        );
    }
    out
}
