//! What a dry run would change in an object: the live object and the API server's dry-run
//! result, both without what the server keeps for itself (managed fields, resource version,
//! status, kubectl's last-applied annotation), secrets' values masked, compared as YAML.

use serde::Serialize;
use serde_json::Value;

/// The difference between a live object and what a change would make of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Change {
    /// A unified diff of the two as YAML (`--- live`, `+++ dry run`).
    pub diff: String,
    /// The changed fields as JSON Pointer paths (`/metadata/labels/istio-injection`).
    pub fields: Vec<String>,
}

/// What the comparison leaves out: fields the server sets on every write or keeps for its
/// controllers, which a change of the manifest does not decide.
pub fn comparable(object: &Value) -> Value {
    let mut o = object.clone();
    if let Some(md) = o.get_mut("metadata").and_then(Value::as_object_mut) {
        for key in [
            "managedFields",
            "resourceVersion",
            "generation",
            "creationTimestamp",
            "uid",
            "selfLink",
        ] {
            md.remove(key);
        }
        if let Some(a) = md.get_mut("annotations").and_then(Value::as_object_mut) {
            a.remove("kubectl.kubernetes.io/last-applied-configuration");
            a.remove("deployment.kubernetes.io/revision");
            if a.is_empty() {
                md.remove("annotations");
            }
        }
    }
    if let Some(map) = o.as_object_mut() {
        map.remove("status");
    }
    o
}

/// Masks the values of a Secret's `data` and `stringData` in both objects: equal values become
/// `***`, changed ones `*** (changed)` in the new object, so a diff says that a value changes
/// without showing it.
pub fn mask_secrets(live: &mut Value, new: &mut Value) {
    let is_secret = |o: &Value| o["kind"] == "Secret";
    if !is_secret(live) && !is_secret(new) {
        return;
    }
    for field in ["data", "stringData"] {
        let before = live.get(field).cloned();
        if let Some(map) = new.get_mut(field).and_then(Value::as_object_mut) {
            for (k, v) in map.iter_mut() {
                let same = before.as_ref().and_then(|b| b.get(k)) == Some(v);
                let known = before.as_ref().and_then(|b| b.get(k)).is_some();
                *v = Value::String(
                    if same || !known {
                        "***"
                    } else {
                        "*** (changed)"
                    }
                    .into(),
                );
            }
        }
        if let Some(map) = live.get_mut(field).and_then(Value::as_object_mut) {
            for v in map.values_mut() {
                *v = Value::String("***".into());
            }
        }
    }
    mask_object(live);
    mask_object(new);
}

/// Masks a Secret's values (for an object shown whole, as a would-create).
pub fn mask_object(object: &mut Value) {
    if object["kind"] != "Secret" {
        return;
    }
    for field in ["data", "stringData"] {
        if let Some(map) = object.get_mut(field).and_then(Value::as_object_mut) {
            for v in map.values_mut() {
                if !v.as_str().is_some_and(|s| s.starts_with("***")) {
                    *v = Value::String("***".into());
                }
            }
        }
    }
    if let Some(a) = object
        .pointer_mut("/metadata/annotations")
        .and_then(Value::as_object_mut)
    {
        // kubectl's last-applied annotation holds the whole secret.
        a.remove("kubectl.kubernetes.io/last-applied-configuration");
    }
}

/// `None` when the two objects are the same once [`comparable`] and secrets masked.
pub fn change(live: &Value, new: &Value) -> Option<Change> {
    let mut before = comparable(live);
    let mut after = comparable(new);
    mask_secrets(&mut before, &mut after);
    if before == after {
        return None;
    }
    let fields = json_patch::diff(&before, &after)
        .iter()
        .map(|op| match op {
            json_patch::PatchOperation::Add(o) => o.path.to_string(),
            json_patch::PatchOperation::Remove(o) => o.path.to_string(),
            json_patch::PatchOperation::Replace(o) => o.path.to_string(),
            json_patch::PatchOperation::Move(o) => o.path.to_string(),
            json_patch::PatchOperation::Copy(o) => o.path.to_string(),
            json_patch::PatchOperation::Test(o) => o.path.to_string(),
        })
        .collect();
    let yaml = |v: &Value| serde_yaml::to_string(v).unwrap_or_default();
    let (a, b) = (yaml(&before), yaml(&after));
    let diff = similar::TextDiff::from_lines(&a, &b)
        .unified_diff()
        .context_radius(3)
        .header("live", "dry run")
        .to_string();
    Some(Change { diff, fields })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn server_fields_are_not_changes() {
        let live = json!({"kind": "Service", "metadata": {"name": "a", "resourceVersion": "7", "managedFields": [{}],
            "annotations": {"kubectl.kubernetes.io/last-applied-configuration": "{}"}}, "spec": {"x": 1}, "status": {"y": 1}});
        let new = json!({"kind": "Service", "metadata": {"name": "a", "resourceVersion": "8"}, "spec": {"x": 1}});
        assert_eq!(change(&live, &new), None);
    }

    #[test]
    fn a_label_is_a_change_with_its_path() {
        let live = json!({"kind": "Namespace", "metadata": {"name": "sample"}});
        let new = json!({"kind": "Namespace", "metadata": {"name": "sample", "labels": {"istio-injection": "enabled"}}});
        let c = change(&live, &new).unwrap();
        assert_eq!(c.fields, ["/metadata/labels"]);
        assert!(
            c.diff
                .contains("+  labels:\n+    istio-injection: enabled\n"),
            "{}",
            c.diff
        );
        assert!(c.diff.starts_with("--- live\n+++ dry run\n"), "{}", c.diff);
    }

    #[test]
    fn secret_values_never_show() {
        let live = json!({"kind": "Secret", "metadata": {"name": "s"}, "data": {"a": "c2VjcmV0MQ==", "b": "eA=="}});
        let new = json!({"kind": "Secret", "metadata": {"name": "s"}, "data": {"a": "c2VjcmV0Mg==", "b": "eA=="}});
        let c = change(&live, &new).unwrap();
        assert!(!c.diff.contains("c2VjcmV0"), "{}", c.diff);
        assert!(c.diff.contains("+  a: '*** (changed)'"), "{}", c.diff);
        assert_eq!(c.fields, ["/data/a"]);
        let same = json!({"kind": "Secret", "metadata": {"name": "s"}, "data": {"a": "c2VjcmV0MQ==", "b": "eA=="}});
        assert_eq!(change(&live, &same), None);
    }
}
