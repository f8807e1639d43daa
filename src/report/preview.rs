//! `docrun plan --preview` as text: per context, in step order, what each change would do to
//! each object, with diffs; then what could not be previewed, and the counts.

use std::fmt::Write;

use crate::preview::{Outcome, Preview};

/// The preview section that follows a plan. Secrets' data is already masked in the diffs; the
/// caller masks the variables' secret values.
pub fn preview(preview: &Preview) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "\nPreview (server-side dry run, dryRun=All: nothing changes on any cluster):"
    );
    if preview.contexts.is_empty() {
        let _ = writeln!(out, "  (no kubectl change to preview)");
    }
    for context in &preview.contexts {
        let _ = writeln!(out, "  context {}:", context.context);
        let mut last: Option<(&str, usize)> = None;
        for o in &context.objects {
            if last != Some((o.step.as_str(), o.at.line)) {
                let _ = writeln!(out, "    {}  {}  {}", o.step, o.at, o.command);
                last = Some((o.step.as_str(), o.at.line));
            }
            let name = match (&o.namespace, &o.scope) {
                // A selection that matched nothing: the scope, not a name.
                (_, Some(scope)) if o.name.is_empty() => format!("({scope})"),
                (Some(ns), _) => format!("{ns}/{}", o.name),
                (None, _) => o.name.clone(),
            };
            let picked = match &o.scope {
                Some(scope) if !o.name.is_empty() => format!("  [{scope}]"),
                _ => String::new(),
            };
            let source = o
                .source
                .as_ref()
                .map(|s| format!("  ({s})"))
                .unwrap_or_default();
            let _ = writeln!(
                out,
                "      {:<17} {} {name}{picked}{source}",
                o.outcome.as_str(),
                o.kind
            );
            match &o.outcome {
                Outcome::Rejected { reason } => {
                    let _ = writeln!(out, "          {reason}");
                }
                Outcome::WouldChange(change) => {
                    for line in change.diff.lines() {
                        let _ = writeln!(out, "          {line}");
                    }
                }
                _ => {}
            }
            if let Some(note) = &o.note {
                let _ = writeln!(out, "          note: {note}");
            }
        }
        if let Some(why) = &context.unreachable {
            let _ = writeln!(out, "    cannot be reached: {why}");
        }
    }
    if !preview.not_previewed.is_empty() {
        let _ = writeln!(out, "\nNot previewed:");
        for n in &preview.not_previewed {
            let context = n
                .context
                .as_ref()
                .map(|c| format!(" [{c}]"))
                .unwrap_or_default();
            let _ = writeln!(out, "  {}  {}  {}{context}", n.step, n.at, n.command);
            let _ = writeln!(out, "      {}", n.reason);
        }
    }
    let counts: Vec<String> = preview
        .counts
        .iter()
        .map(|(k, n)| format!("{n} {k}"))
        .collect();
    let unreachable = preview
        .contexts
        .iter()
        .filter(|c| c.unreachable.is_some())
        .count();
    let _ = writeln!(
        out,
        "\nPreview summary: {}{}{}",
        if counts.is_empty() {
            "no object".to_owned()
        } else {
            counts.join(", ")
        },
        if preview.not_previewed.is_empty() {
            String::new()
        } else {
            format!("; {} change(s) not previewed", preview.not_previewed.len())
        },
        if unreachable == 0 {
            String::new()
        } else {
            format!("; {unreachable} context(s) not reached")
        }
    );
    out
}
