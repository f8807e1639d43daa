//! `--resume`: where a run stopped, per guide and set of variable values, so a later run can go
//! on after the last step that passed, with the session's exported variables and working
//! directory restored.
//!
//! Checkpoints live in `$DOCRUN_STATE_DIR`, else `$XDG_STATE_HOME/docrun`, else
//! `~/.local/state/docrun`. A checkpoint never holds a secret: variables whose value contains
//! one are left out (the run exports its bound variables again anyway).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::shell::SessionState;
use crate::plan::Binding;

/// Where a run stopped.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Checkpoint {
    pub guide: PathBuf,
    /// The last step that passed.
    pub last_passed: String,
    /// The working directory and the variables the guide's steps exported.
    pub state: SessionState,
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
