//! Native checks as text: one check on a line (for plans), and the results of a preflight.

use std::fmt::Write;
use std::path::Path;

use crate::check::{CheckSpec, CheckStatus};
use crate::preflight::{Group, GroupKind, Summary};

/// A check on one line, fields in their declared order:
/// `kube.secret context=c1 namespace=istio-system name=cacerts keys=[ca-cert.pem, ca-key.pem]`.
pub fn spec(check: &CheckSpec) -> String {
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
            let _ = write!(out, " {key}={value}");
        }
    }
    out
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

/// `PASS`, `WARN`, `FAIL`.
pub fn status_word(status: CheckStatus) -> &'static str {
    match status {
        CheckStatus::Passed => "PASS",
        CheckStatus::Warning => "WARN",
        CheckStatus::Failed => "FAIL",
    }
}

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
                status_word(r.status),
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
            spec(&c),
            "kube.pods-ready context=c1 namespace=sample selector=app=x count=2"
        );
        let c: CheckSpec =
            serde_yaml::from_str("{check: trust.common-root, contexts: [c1, c2]}").unwrap();
        assert_eq!(spec(&c), "trust.common-root contexts=[c1, c2]");
    }
}
