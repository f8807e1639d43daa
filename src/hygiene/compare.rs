//! Comparing two snapshots of one context: a pure function, so that what counts as a leak is
//! decided in one place and tested without a cluster.

use super::snapshot::{ObjectRef, Snapshot};

/// What changed between the snapshot before a guide and one after it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Comparison {
    /// Objects there after that were not there before.
    pub leaked: Vec<ObjectRef>,
    /// Objects there before that are gone after.
    pub removed: Vec<ObjectRef>,
    /// Some leaked object is being deleted (itself or its namespace): waiting may clear it.
    pub settling: bool,
}

impl Comparison {
    pub fn is_clean(&self) -> bool {
        self.leaked.is_empty() && self.removed.is_empty()
    }
}

/// Compares by kind, namespace and name. An object that is still there but being deleted
/// counts as leaked (it may still go: [`Comparison::settling`] says so); an object there before
/// and after counts as unchanged whatever happened to it in between.
pub fn compare(before: &Snapshot, after: &Snapshot) -> Comparison {
    let leaked: Vec<ObjectRef> = after
        .objects
        .keys()
        .filter(|o| !before.objects.contains_key(*o))
        .cloned()
        .collect();
    let removed = before
        .objects
        .keys()
        .filter(|o| !after.objects.contains_key(*o))
        .cloned()
        .collect();
    let settling = leaked.iter().any(|o| {
        after.objects.get(o).copied().unwrap_or(false)
            || o.namespace
                .as_deref()
                .is_some_and(|ns| after.namespace_terminating(ns))
    });
    Comparison {
        leaked,
        removed,
        settling,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn obj(kind: &str, ns: Option<&str>, name: &str) -> ObjectRef {
        ObjectRef {
            kind: kind.into(),
            namespace: ns.map(Into::into),
            name: name.into(),
        }
    }

    fn snap(objects: &[(ObjectRef, bool)]) -> Snapshot {
        Snapshot {
            context: "c1".into(),
            objects: objects.iter().cloned().collect(),
            ..Snapshot::default()
        }
    }

    #[test]
    fn the_same_objects_are_clean() {
        let a = snap(&[(obj("Namespace", None, "default"), false)]);
        let c = compare(&a, &a.clone());
        assert!(c.is_clean());
        assert!(!c.settling);
    }

    #[test]
    fn a_new_object_is_leaked_and_a_missing_one_removed() {
        let before = snap(&[
            (obj("Namespace", None, "default"), false),
            (obj("ConfigMap", Some("default"), "old"), false),
        ]);
        let after = snap(&[
            (obj("Namespace", None, "default"), false),
            (obj("ConfigMap", Some("default"), "new"), false),
        ]);
        let c = compare(&before, &after);
        assert_eq!(c.leaked, vec![obj("ConfigMap", Some("default"), "new")]);
        assert_eq!(c.removed, vec![obj("ConfigMap", Some("default"), "old")]);
        assert!(!c.settling, "nothing is being deleted");
    }

    #[test]
    fn objects_in_a_terminating_namespace_are_settling() {
        let before = snap(&[(obj("Namespace", None, "default"), false)]);
        let after = snap(&[
            (obj("Namespace", None, "default"), false),
            (obj("Namespace", None, "demo"), true),
            (obj("ConfigMap", Some("demo"), "settings"), false),
        ]);
        let c = compare(&before, &after);
        assert_eq!(c.leaked.len(), 2);
        assert!(c.settling);
    }

    #[test]
    fn a_leak_in_an_active_namespace_is_not_settling() {
        let before = snap(&[(obj("Namespace", None, "demo"), false)]);
        let after = snap(&[
            (obj("Namespace", None, "demo"), false),
            (obj("ConfigMap", Some("demo"), "settings"), false),
        ]);
        assert!(!compare(&before, &after).settling);
        let after = snap(&[
            (obj("Namespace", None, "demo"), false),
            (obj("ConfigMap", Some("demo"), "settings"), true),
        ]);
        assert!(
            compare(&before, &after).settling,
            "the object itself is going"
        );
    }
}
