//! Variable references (`$NAME`, `${NAME}`) in the string fields of a [`CheckSpec`]: found when
//! the runbook is built (every reference must name a variable of the guide), resolved when the
//! plan binds values.
//!
//! Resolution is one pass of plain text replacement: a value is never read again for references,
//! and no shell is involved.

use std::sync::LazyLock;

use regex::{Captures, Regex};

use crate::check::CheckSpec;

static REFERENCE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\$(?:([A-Za-z_][A-Za-z0-9_]*)|\{([A-Za-z_][A-Za-z0-9_]*)\})").unwrap()
});

fn name<'a>(c: &'a Captures<'_>) -> &'a str {
    c.get(1).or_else(|| c.get(2)).map_or("", |m| m.as_str())
}

/// The variables a check refers to, in order of first appearance.
pub fn references(spec: &CheckSpec) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    map_strings(spec, &mut |s| {
        for c in REFERENCE.captures_iter(s) {
            let n = name(&c);
            if !names.iter().any(|k| k == n) {
                names.push(n.to_owned());
            }
        }
        s.to_owned()
    });
    names
}

/// The check with every reference replaced by `value(name)`; `Err` with the names that have no
/// value (the check is then unusable as it stands).
pub fn resolve(
    spec: &CheckSpec,
    value: &dyn Fn(&str) -> Option<String>,
) -> Result<CheckSpec, Vec<String>> {
    let mut unbound: Vec<String> = Vec::new();
    let resolved = map_strings(spec, &mut |s| {
        REFERENCE
            .replace_all(s, |c: &Captures<'_>| match value(name(c)) {
                Some(v) => v,
                None => {
                    if !unbound.iter().any(|n| n == name(c)) {
                        unbound.push(name(c).to_owned());
                    }
                    c[0].to_owned()
                }
            })
            .into_owned()
    });
    if unbound.is_empty() {
        Ok(resolved)
    } else {
        Err(unbound)
    }
}

/// The check with `${NAME}` written `$NAME`, to compare checks written either way.
pub fn canonical(spec: &CheckSpec) -> CheckSpec {
    map_strings(spec, &mut |s| {
        REFERENCE
            .replace_all(s, |c: &Captures<'_>| format!("${}", name(c)))
            .into_owned()
    })
}

/// Applies `f` to every string field of the check, in the order of the fields (through its
/// serde form, so that every variant and field is covered; the `check` tag holds no `$`).
fn map_strings(spec: &CheckSpec, f: &mut dyn FnMut(&str) -> String) -> CheckSpec {
    fn walk(v: &mut serde_yaml::Value, f: &mut dyn FnMut(&str) -> String) {
        match v {
            serde_yaml::Value::String(s) => *s = f(s),
            serde_yaml::Value::Sequence(items) => items.iter_mut().for_each(|i| walk(i, f)),
            serde_yaml::Value::Mapping(map) => map.values_mut().for_each(|i| walk(i, f)),
            _ => {}
        }
    }
    let mut value = serde_yaml::to_value(spec).expect("a CheckSpec serialises");
    walk(&mut value, f);
    serde_yaml::from_value(value).expect("string replacement keeps a CheckSpec valid")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(yaml: &str) -> CheckSpec {
        serde_yaml::from_str(yaml).unwrap()
    }

    #[test]
    fn references_are_found_in_every_string_field() {
        let s = spec("{check: kube.secret, context: \"${CTX}\", namespace: $NS, name: cacerts, keys: [a, \"$KEY-x\"]}");
        assert_eq!(references(&s), vec!["CTX", "NS", "KEY"]);
        let d = spec("{check: kube.distinct, contexts: [$A, \"${B}\", $A]}");
        assert_eq!(references(&d), vec!["A", "B"]);
    }

    #[test]
    fn resolution_replaces_once_and_reports_what_has_no_value() {
        let s = spec("{check: kube.distinct, contexts: [\"$A\", \"${B}\", \"x-$A\"]}");
        let value = |n: &str| (n == "A").then(|| "c1$B".to_owned());
        assert_eq!(resolve(&s, &value), Err(vec!["B".to_owned()]));
        let both = |n: &str| Some(format!("<{n}>${{A}}"));
        assert_eq!(
            resolve(&s, &both),
            Ok(CheckSpec::Distinct {
                contexts: vec!["<A>${A}".into(), "<B>${A}".into(), "x-<A>${A}".into()]
            })
        );
    }

    #[test]
    fn canonical_form_unifies_braces() {
        assert_eq!(
            canonical(&spec("{check: kube.reachable, context: \"${CTX}\"}")),
            spec("{check: kube.reachable, context: $CTX}")
        );
    }
}
