//! `--resume`: where a run stopped, per guide and set of variable values, so a later run can go
//! on after the last step that passed, with the session's exported variables and working
//! directory restored.
//!
//! A checkpoint knows the guide it belongs to: a hash of each shell step's content (commands as
//! shown, expected output) in order. When the steps up to the checkpoint are no longer the same
//! (a step inserted before it, changed, removed or moved), skipping them could skip work the
//! guide now needs, so `--resume` refuses, saying what changed ([`changes`]).
//!
//! Checkpoints live in `$DOCRUN_STATE_DIR`, else `$XDG_STATE_HOME/docrun`, else
//! `~/.local/state/docrun`. A checkpoint never holds a secret: variables whose value contains
//! one are left out (the run exports its bound variables again anyway).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::shell::SessionState;
use crate::plan::{Binding, Plan};
use crate::runbook::StepKind;

/// Where a run stopped.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Checkpoint {
    pub guide: PathBuf,
    /// The last step that passed.
    pub last_passed: String,
    /// The working directory and the variables the guide's steps exported.
    pub state: SessionState,
    /// The guide's shell steps when the checkpoint was saved, in order (empty in a checkpoint
    /// of a docrun that did not record them).
    #[serde(default)]
    pub steps: Vec<StepPrint>,
}

/// A shell step of the guide, as a checkpoint remembers it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StepPrint {
    pub id: String,
    /// SHA-256 of the step's commands (as shown, secrets masked) and expected output.
    pub hash: String,
}

/// The shell steps of a plan, in order, whatever the selection.
pub fn fingerprint(plan: &Plan) -> Vec<StepPrint> {
    plan.steps
        .iter()
        .filter(|s| s.kind == StepKind::Command)
        .map(|s| {
            let mut hash = Sha256::new();
            for c in &s.commands {
                hash.update(c.as_bytes());
                hash.update(b"\0");
            }
            hash.update(b"\x01");
            hash.update(s.expected.as_deref().unwrap_or("").as_bytes());
            StepPrint {
                id: s.id.clone(),
                hash: hash.finalize().iter().map(|b| format!("{b:02x}")).collect(),
            }
        })
        .collect()
}

/// What changed in the guide's steps up to and including `last_passed`, between a checkpoint's
/// steps and the guide's now; empty when they are the same (or the checkpoint has none).
pub fn changes(saved: &[StepPrint], now: &[StepPrint], last_passed: &str) -> Vec<String> {
    if saved.is_empty() {
        return Vec::new();
    }
    let prefix = |steps: &[StepPrint]| -> Option<Vec<StepPrint>> {
        let end = steps.iter().position(|s| s.id == last_passed)?;
        Some(steps[..=end].to_vec())
    };
    let Some(before) = prefix(saved) else {
        return vec![format!("the checkpoint does not list step {last_passed}")];
    };
    let Some(after) = prefix(now) else {
        return vec![format!(
            "step {last_passed}, where the earlier run stopped, is no longer in the guide"
        )];
    };
    if before == after {
        return Vec::new();
    }
    let mut out = Vec::new();
    for s in &after {
        match before.iter().find(|b| b.id == s.id) {
            None => out.push(format!("step {} is new", s.id)),
            Some(b) if b.hash != s.hash => out.push(format!("step {} changed", s.id)),
            _ => {}
        }
    }
    for b in &before {
        if !after.iter().any(|s| s.id == b.id) {
            out.push(format!("step {} was removed", b.id));
        }
    }
    if out.is_empty() {
        out.push("the steps are in another order".to_owned());
    }
    out
}

/// The checkpoint file of one guide and one set of variable values.
#[derive(Debug, Clone)]
pub struct ResumeStore {
    path: PathBuf,
}

impl ResumeStore {
    /// The store for `guide` run with `bindings`: another value for any variable is another run.
    pub fn for_run(guide: &Path, bindings: &BTreeMap<String, Binding>) -> ResumeStore {
        let mut hash = Sha256::new();
        let canonical = guide.canonicalize().unwrap_or_else(|_| guide.to_path_buf());
        hash.update(canonical.to_string_lossy().as_bytes());
        for (name, binding) in bindings {
            hash.update(b"\0");
            hash.update(name.as_bytes());
            hash.update(b"=");
            hash.update(Sha256::digest(binding.value.as_bytes()));
        }
        let key: String = hash
            .finalize()
            .iter()
            .take(12)
            .map(|b| format!("{b:02x}"))
            .collect();
        let stem = guide
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        ResumeStore {
            path: state_dir().join(format!("{stem}-{key}.json")),
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The checkpoint, if an earlier run left one.
    pub fn load(&self) -> Option<Checkpoint> {
        let text = std::fs::read_to_string(&self.path).ok()?;
        serde_json::from_str(&text).ok()
    }

    /// Saves a checkpoint; a failure to save is reported, not fatal.
    pub fn save(&self, checkpoint: &Checkpoint) -> std::io::Result<()> {
        if let Some(dir) = self.path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let text = serde_json::to_string_pretty(checkpoint).map_err(std::io::Error::other)?;
        let tmp = self.path.with_extension("json.tmp");
        std::fs::write(&tmp, text)?;
        std::fs::rename(&tmp, &self.path)
    }

    /// Forgets the checkpoint (after a run that passed to the end).
    pub fn clear(&self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

/// The part of a session's state a checkpoint keeps: what the guide exported beyond the
/// session's starting environment, without anything holding a secret.
pub fn guide_state(now: &SessionState, start: &SessionState, secrets: &[String]) -> SessionState {
    let exported = now
        .exported
        .iter()
        .filter(|(name, value)| {
            start.exported.iter().all(|(n, v)| n != name || v != value)
                && !secrets
                    .iter()
                    .any(|s| !s.is_empty() && value.contains(s.as_str()))
        })
        .cloned()
        .collect();
    SessionState {
        cwd: now.cwd.clone(),
        exported,
    }
}

fn state_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("DOCRUN_STATE_DIR") {
        return PathBuf::from(dir);
    }
    if let Some(dir) = std::env::var_os("XDG_STATE_HOME") {
        return PathBuf::from(dir).join("docrun");
    }
    match std::env::var_os("HOME") {
        Some(home) => PathBuf::from(home).join(".local/state/docrun"),
        None => std::env::temp_dir().join("docrun-state"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state(vars: &[(&str, &str)]) -> SessionState {
        SessionState {
            cwd: "/tmp".into(),
            exported: vars
                .iter()
                .map(|(a, b)| (a.to_string(), b.to_string()))
                .collect(),
        }
    }

    #[test]
    fn keeps_what_the_guide_exported_and_no_secret() {
        let start = state(&[("PATH", "/bin"), ("CTX", "c1")]);
        let now = state(&[
            ("PATH", "/bin"),
            ("CTX", "c1"),
            ("POD", "curl-1"),
            ("TOKEN_COPY", "x-s3cret-y"),
        ]);
        let kept = guide_state(&now, &start, &["s3cret".to_owned()]);
        assert_eq!(kept.exported, vec![("POD".to_owned(), "curl-1".to_owned())]);
    }

    fn print(id: &str, hash: &str) -> StepPrint {
        StepPrint {
            id: id.into(),
            hash: hash.into(),
        }
    }

    #[test]
    fn changes_before_the_checkpoint_are_named() {
        let saved = [print("a", "1"), print("b", "2"), print("c", "3")];
        assert!(changes(&saved, &saved, "b").is_empty());
        // Later steps may change freely.
        assert!(changes(
            &saved,
            &[print("a", "1"), print("b", "2"), print("c", "9")],
            "b"
        )
        .is_empty());
        assert_eq!(
            changes(
                &saved,
                &[print("a", "1"), print("n", "5"), print("b", "2")],
                "b"
            ),
            vec!["step n is new"]
        );
        assert_eq!(
            changes(&saved, &[print("a", "7"), print("b", "2")], "b"),
            vec!["step a changed"]
        );
        assert_eq!(
            changes(&saved, &[print("b", "2")], "b"),
            vec!["step a was removed"]
        );
        assert_eq!(
            changes(&saved, &[print("b", "2"), print("a", "1")], "b"),
            vec!["step a was removed"]
        );
        assert_eq!(
            changes(&saved, &[print("a", "1")], "b"),
            vec!["step b, where the earlier run stopped, is no longer in the guide"]
        );
        assert!(changes(&[], &saved, "b").is_empty());
    }

    #[test]
    fn another_value_is_another_checkpoint() {
        let bind = |v: &str| {
            BTreeMap::from([(
                "CTX".to_owned(),
                Binding {
                    value: v.to_owned(),
                    source: crate::plan::ValueSource::Flag,
                },
            )])
        };
        let a = ResumeStore::for_run(Path::new("g.md"), &bind("c1"));
        let b = ResumeStore::for_run(Path::new("g.md"), &bind("c2"));
        assert_ne!(a.path(), b.path());
        assert_eq!(
            a.path(),
            ResumeStore::for_run(Path::new("g.md"), &bind("c1")).path()
        );
    }
}
