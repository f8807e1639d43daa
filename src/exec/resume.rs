//! `--resume`: where a run stopped, per guide and set of variable values, so a later run can go
//! on after the last step that passed, with the session's exported variables and working
//! directory restored.
//!
//! A checkpoint knows the guide it belongs to: a hash of each shell step's content (commands as
//! shown, expected output) in order. When the steps up to the checkpoint are no longer the same
//! (a step inserted before it, changed, removed or moved), skipping them could skip work the
//! guide now needs, so `--resume` refuses, saying what changed ([`changes`]).
//!
//! # Private state
//!
//! Checkpoints live in `$DOCRUN_STATE_DIR`, else `$XDG_STATE_HOME/docrun`, else
//! `$HOME/.local/state/docrun`; with none of the three set there is no place for them (no shared
//! fallback such as `/tmp`): a run warns that it keeps no checkpoint and `--resume` is an error.
//! The folder is created with mode 0700; one that is not the user's or that others may write is
//! refused ([`private_folder`]). A checkpoint is written 0600 through a new file of a random
//! name in the same folder (`O_CREAT|O_EXCL|O_NOFOLLOW`), then renamed over the old one. A
//! checkpoint that is a link, not the user's, or writable by others is refused by `--resume`
//! (exit 2, naming the file).
//!
//! # What a checkpoint keeps
//!
//! Only variables the guide exported beyond the session's starting environment, and of those
//! only what [`restorable`] allows: never a shell-control variable
//! ([`super::shell::is_shell_control`]), a loader or search-path variable ([`is_loader`]), or a
//! variable whose name or value says it holds a secret (the run exports its bound variables
//! again anyway). `--resume` applies the same rule to what it reads, so a checkpoint edited by
//! hand cannot bring them in either.

use std::collections::BTreeMap;
use std::fs::OpenOptions;
use std::io::{Read, Write};
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::shell::{is_shell_control, SessionState};
use crate::error::Error;
use crate::plan::{Binding, Plan};
use crate::runbook::is_secret_name;

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
    /// The step that had started and not ended when the checkpoint was written: after docrun
    /// was killed (SIGKILL, the OOM killer, a lost machine) it may have half-run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub running: Option<String>,
    /// The `--values` file of the run, as it was given (`docrun state list` shows it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub values: Option<PathBuf>,
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
        .filter(|s| s.kind.is_executed())
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
    /// The checkpoint's path, or why there is no place for one.
    path: Result<PathBuf, String>,
    /// Whether this run said where its checkpoint is (once, at the first save).
    announced: Arc<AtomicBool>,
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
        let name = super::capture::file_name(&format!("{stem}-{key}.json"));
        ResumeStore {
            path: state_dir().map(|dir| dir.join(name)),
            announced: Arc::default(),
        }
    }

    /// The checkpoint's path; `None` when none of `DOCRUN_STATE_DIR`, `XDG_STATE_HOME` and
    /// `HOME` is set.
    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref().ok()
    }

    /// The checkpoint, if an earlier run left one. An error (exit 2) when there is no place
    /// for checkpoints, when the folder is not private ([`private_folder`]), or when the file
    /// is a link, is not the user's, or others may write it. A checkpoint that is not valid
    /// JSON is reported and taken as none.
    pub fn load(&self) -> Result<Option<Checkpoint>, Error> {
        let path = self.path.as_ref().map_err(|why| {
            Error::Usage(format!(
                "--resume: {why}\nhint: set DOCRUN_STATE_DIR to a folder only you can write"
            ))
        })?;
        let dir = path.parent().unwrap_or(Path::new("."));
        if !dir.exists() {
            return Ok(None);
        }
        private_folder(dir)?;
        let refuse = |what: String| {
            Error::Usage(format!(
                "{}: {what}; --resume does not trust this checkpoint\nhint: remove it (docrun then starts from the first step), and check who else can write to {}",
                path.display(),
                dir.display()
            ))
        };
        let mut file = match OpenOptions::new()
            .read(true)
            .custom_flags(nix::libc::O_NOFOLLOW)
            .open(path)
        {
            Ok(file) => file,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) if e.raw_os_error() == Some(nix::libc::ELOOP) => {
                return Err(refuse("it is a symbolic link".to_owned()))
            }
            Err(source) => {
                return Err(Error::Io {
                    path: path.clone(),
                    source,
                })
            }
        };
        let meta = file.metadata().map_err(|source| Error::Io {
            path: path.clone(),
            source,
        })?;
        if let Some(problem) = not_private(&meta) {
            return Err(refuse(problem));
        }
        if !meta.is_file() {
            return Err(refuse("it is not a regular file".to_owned()));
        }
        let mut text = String::new();
        if let Err(e) = file.read_to_string(&mut text) {
            eprintln!(
                "warning: {}: cannot read the checkpoint ({e}); starting from the first step",
                path.display()
            );
            return Ok(None);
        }
        match serde_json::from_str(&text) {
            Ok(checkpoint) => Ok(Some(checkpoint)),
            Err(e) => {
                eprintln!(
                    "warning: {}: not a checkpoint docrun can read ({e}); starting from the first step",
                    path.display()
                );
                Ok(None)
            }
        }
    }

    /// Saves a checkpoint (0600, in a private folder, through a new file renamed over the old
    /// one); a failure to save is reported by the caller, not fatal. The guide is kept as an
    /// absolute path, so that `docrun state` finds it from any folder. The first save of a
    /// store says where the checkpoint is on stderr (`note: checkpoint in PATH`).
    pub fn save(&self, checkpoint: &Checkpoint) -> Result<(), String> {
        let path = self.path.as_ref().map_err(Clone::clone)?;
        let dir = path.parent().unwrap_or(Path::new("."));
        private_folder(dir).map_err(|e| e.to_string())?;
        let mut checkpoint = checkpoint.clone();
        checkpoint.guide = absolute(&checkpoint.guide);
        let text = serde_json::to_string_pretty(&checkpoint).map_err(|e| e.to_string())?;
        let name = path.file_name().unwrap_or_default().to_string_lossy();
        let tmp = dir.join(format!(".{name}.{}.tmp", super::shell::random_hex()));
        let written = OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .custom_flags(nix::libc::O_NOFOLLOW | nix::libc::O_CLOEXEC)
            .open(&tmp)
            .and_then(|mut file| {
                file.write_all(text.as_bytes())?;
                file.sync_all()
            })
            .and_then(|()| std::fs::rename(&tmp, path));
        written.map_err(|e| {
            let _ = std::fs::remove_file(&tmp);
            format!("{}: {e}", path.display())
        })?;
        if !self.announced.swap(true, Ordering::Relaxed) {
            crate::events::note(&format!(
                "note: checkpoint in {} (`docrun state list` shows it, `docrun state clear` removes it)",
                crate::visible::visible(&path.display().to_string())
            ));
        }
        Ok(())
    }

    /// Holds the guide's lock for as long as the returned file is open: one run of a guide
    /// with these values at a time, so two never write each other's checkpoint. An error (exit
    /// 2) when another run holds it. `None` where there is no place for checkpoints.
    pub fn lock(&self) -> Result<Option<std::fs::File>, Error> {
        let Ok(path) = &self.path else {
            return Ok(None);
        };
        let dir = path.parent().unwrap_or(Path::new("."));
        private_folder(dir)?;
        let lock = path.with_extension("lock");
        let file = OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(false)
            .mode(0o600)
            .custom_flags(nix::libc::O_NOFOLLOW | nix::libc::O_CLOEXEC)
            .open(&lock)
            .map_err(|source| Error::Io {
                path: lock.clone(),
                source,
            })?;
        match file.try_lock() {
            Ok(()) => Ok(Some(file)),
            Err(std::fs::TryLockError::WouldBlock) => Err(Error::Usage(format!(
                "another docrun is running this guide with these values (it holds {})\nhint: wait for it to end; two runs of one guide would change the same things and write one checkpoint",
                lock.display()
            ))),
            Err(std::fs::TryLockError::Error(source)) => Err(Error::Io { path: lock, source }),
        }
    }

    /// Forgets the checkpoint (after a run that passed to the end).
    pub fn clear(&self) {
        if let Ok(path) = &self.path {
            let _ = std::fs::remove_file(path);
        }
    }
}

/// Makes sure `dir` is a private folder for checkpoints: creates it (and its missing parents)
/// with mode 0700, and refuses (exit 2, naming the folder, with a hint) one that is not a
/// folder, is not the user's, or that the group or others may write: whoever can write there
/// can hand `--resume` a checkpoint.
pub fn private_folder(dir: &Path) -> Result<(), Error> {
    if let Err(source) = std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
    {
        return Err(Error::Io {
            path: dir.to_path_buf(),
            source,
        });
    }
    let meta = std::fs::metadata(dir).map_err(|source| Error::Io {
        path: dir.to_path_buf(),
        source,
    })?;
    let problem = if !meta.is_dir() {
        Some("it is not a folder".to_owned())
    } else {
        not_private(&meta)
    };
    match problem {
        None => Ok(()),
        Some(problem) => Err(Error::Usage(format!(
            "{}: the folder of --resume checkpoints is not private: {problem}; docrun neither reads nor writes checkpoints there\nhint: `chmod 700` it if it is yours, or point DOCRUN_STATE_DIR at a folder only you can write",
            dir.display()
        ))),
    }
}

/// What makes a file or folder not private to the user running docrun, if anything: another
/// owner, or write permission for the group or others.
fn not_private(meta: &std::fs::Metadata) -> Option<String> {
    // SAFETY: geteuid(2) always succeeds and touches no memory.
    let me = unsafe { nix::libc::geteuid() };
    if meta.uid() != me {
        return Some(format!(
            "it belongs to user id {}, not to {me} who runs docrun",
            meta.uid()
        ));
    }
    let mode = meta.mode() & 0o7777;
    (mode & 0o022 != 0).then(|| format!("the group or others may write it (mode {mode:04o})"))
}

/// The part of a session's state a checkpoint keeps: what the guide exported beyond the
/// session's starting environment, only [`restorable`] names, and no value holding a secret.
pub fn guide_state(now: &SessionState, start: &SessionState, secrets: &[String]) -> SessionState {
    let exported = now
        .exported
        .iter()
        .filter(|(name, value)| {
            start.exported.iter().all(|(n, v)| n != name || v != value)
                && restorable(name)
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

/// The state `--resume` restores from a checkpoint: its working directory and the exported
/// variables [`restorable`] allows; and the names it leaves out, for the user to be told.
pub fn resumable(saved: &SessionState) -> (SessionState, Vec<String>) {
    let (kept, dropped): (Vec<_>, Vec<_>) = saved
        .exported
        .iter()
        .cloned()
        .partition(|(name, _)| restorable(name));
    (
        SessionState {
            cwd: saved.cwd.clone(),
            exported: kept,
        },
        dropped.into_iter().map(|(name, _)| name).collect(),
    )
}

/// Whether a checkpoint may keep and restore the exported variable `name`: not one that
/// controls the shell ([`is_shell_control`]), a loader or search path ([`is_loader`]), or a
/// secret by its name ([`is_secret_name`]).
pub fn restorable(name: &str) -> bool {
    !is_shell_control(name) && !is_loader(name) && !is_secret_name(name)
}

/// Variables that decide which programs, libraries or modules run, or who the user is:
/// `PATH`, `HOME`, `SHELL`, the dynamic loader's (`LD_*`, `DYLD_*`), every other search path
/// (a name ending in `PATH`: `PYTHONPATH`, `NODE_PATH`, `CLASSPATH`, `GOPATH`, ...), and the
/// start-up hooks of common interpreters (`PERL5LIB`, `PERL5OPT`, `RUBYLIB`, `RUBYOPT`,
/// `NODE_OPTIONS`, `PYTHONSTARTUP`, `PYTHONHOME`, `JAVA_TOOL_OPTIONS`, `_JAVA_OPTIONS`). A guide
/// that changes one changes it again when its step runs; `--resume` never restores one.
pub fn is_loader(name: &str) -> bool {
    const NAMES: &[&str] = &[
        "HOME",
        "SHELL",
        "PERL5LIB",
        "PERL5OPT",
        "PERLLIB",
        "RUBYLIB",
        "RUBYOPT",
        "NODE_OPTIONS",
        "PYTHONSTARTUP",
        "PYTHONHOME",
        "JAVA_TOOL_OPTIONS",
        "_JAVA_OPTIONS",
    ];
    NAMES.contains(&name)
        || name.ends_with("PATH")
        || name.starts_with("LD_")
        || name.starts_with("DYLD_")
}

/// `path` made absolute against the working directory, its links resolved where it exists.
pub fn absolute(path: &Path) -> PathBuf {
    path.canonicalize().unwrap_or_else(|_| {
        std::env::current_dir()
            .map(|cwd| cwd.join(path))
            .unwrap_or_else(|_| path.to_path_buf())
    })
}

/// Where checkpoints live, or why there is no such place.
pub fn state_dir() -> Result<PathBuf, String> {
    let set = |name: &str| std::env::var_os(name).filter(|v| !v.is_empty());
    if let Some(dir) = set("DOCRUN_STATE_DIR") {
        return Ok(PathBuf::from(dir));
    }
    if let Some(dir) = set("XDG_STATE_HOME") {
        return Ok(PathBuf::from(dir).join("docrun"));
    }
    match set("HOME") {
        Some(home) => Ok(PathBuf::from(home).join(".local/state/docrun")),
        None => Err(
            "no private folder for checkpoints: none of DOCRUN_STATE_DIR, XDG_STATE_HOME and HOME is set (docrun keeps no checkpoint in a shared temporary folder)"
                .to_owned(),
        ),
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
    fn shell_control_loader_and_secret_variables_are_never_kept_or_restored() {
        for name in [
            "PATH",
            "LD_PRELOAD",
            "LD_LIBRARY_PATH",
            "DYLD_INSERT_LIBRARIES",
            "BASH_ENV",
            "ENV",
            "SHELLOPTS",
            "BASHOPTS",
            "PS4",
            "PROMPT_COMMAND",
            "CDPATH",
            "GLOBIGNORE",
            "IFS",
            "BASH_FUNC_ls%%",
            "HOME",
            "SHELL",
            "PYTHONPATH",
            "NODE_OPTIONS",
            "DB_PASSWORD",
            "GITHUB_TOKEN",
            "client_secret",
            "SSH_PRIVATE",
            "GPG_PASSPHRASE",
            "AWS_CREDENTIALS",
            "SIGNING_KEY",
            "OLDPWD",
            "BASIC_AUTH",
        ] {
            assert!(!restorable(name), "{name}");
        }
        for name in [
            "POD",
            "CTX_CLUSTER1",
            "KUBECONFIG",
            "ISTIO_VERSION",
            "KEYS_DIR",
        ] {
            assert!(restorable(name), "{name}");
        }
        let saved = state(&[("PATH", "/evil"), ("POD", "p"), ("LD_PRELOAD", "x.so")]);
        let (kept, dropped) = resumable(&saved);
        assert_eq!(kept.exported, vec![("POD".to_owned(), "p".to_owned())]);
        assert_eq!(dropped, vec!["PATH", "LD_PRELOAD"]);
        let start = state(&[]);
        let now = state(&[("API_TOKEN", "t"), ("POD", "p"), ("PATH", "/x:/bin")]);
        assert_eq!(guide_state(&now, &start, &[]).exported, kept.exported);
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
