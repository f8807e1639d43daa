//! `docrun state`: the checkpoints `run` leaves for `--resume`, listed and removed.
//!
//! Contracts:
//! * Only the state folder ([`crate::exec::resume::state_dir`]) is read or changed, and in it
//!   only checkpoint files (`*.json`, regular files, not links) and their locks.
//! * A listing names the guide, the step reached, when the checkpoint was saved and the values
//!   file of the run; never a variable's value (a checkpoint holds no secret, and the values it
//!   does hold are not shown either).
//! * A checkpoint whose run is still going (its lock is held) is left in place, and said so.

use std::fs::OpenOptions;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use crate::error::Error;
use crate::exec::resume::{absolute, state_dir, Checkpoint};
use crate::visible::visible;

/// A checkpoint found in the state folder.
#[derive(Debug, Clone)]
pub struct Saved {
    /// The checkpoint file.
    pub path: PathBuf,
    pub checkpoint: Checkpoint,
    /// When it was last written (the file's modification time).
    pub saved: Option<SystemTime>,
}

/// The state folder, or a usage error (exit 2) saying why there is none.
fn folder() -> Result<PathBuf, Error> {
    state_dir().map_err(|why| {
        Error::Usage(format!(
            "{why}\nhint: set DOCRUN_STATE_DIR to a folder only you can write"
        ))
    })
}

/// The checkpoints in the state folder, by guide then file; files that are not checkpoints
/// docrun can read are named in the returned warnings.
pub fn saved() -> Result<(PathBuf, Vec<Saved>, Vec<String>), Error> {
    let dir = folder()?;
    let mut found = Vec::new();
    let mut warnings = Vec::new();
    let entries = match std::fs::read_dir(&dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok((dir, found, warnings)),
        Err(source) => return Err(Error::Io { path: dir, source }),
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with('.') || !name.ends_with(".json") {
            continue;
        }
        let Ok(meta) = std::fs::symlink_metadata(&path) else {
            continue;
        };
        if !meta.is_file() {
            continue;
        }
        let text = std::fs::read_to_string(&path).map_err(|e| e.to_string());
        match text.and_then(|t| serde_json::from_str::<Checkpoint>(&t).map_err(|e| e.to_string())) {
            Ok(checkpoint) => found.push(Saved {
                path,
                checkpoint,
                saved: meta.modified().ok(),
            }),
            Err(e) => warnings.push(format!(
                "{}: not a checkpoint docrun can read ({e})",
                visible(&path.display().to_string())
            )),
        }
    }
    found.sort_by(|a, b| (&a.checkpoint.guide, &a.path).cmp(&(&b.checkpoint.guide, &b.path)));
    Ok((dir, found, warnings))
}

/// `docrun state list`: one paragraph per checkpoint, then how many there are and where.
pub fn list() -> Result<String, Error> {
    let (dir, found, warnings) = saved()?;
    for warning in &warnings {
        eprintln!("warning: {warning}");
    }
    let dir_shown = visible(&dir.display().to_string()).into_owned();
    if found.is_empty() {
        return Ok(format!("no checkpoints (in {dir_shown})\n"));
    }
    let mut out = String::new();
    for s in &found {
        let cp = &s.checkpoint;
        out.push_str(&visible(&cp.guide.display().to_string()));
        out.push('\n');
        out.push_str(&format!(
            "  step reached: {} passed",
            visible(&cp.last_passed)
        ));
        if let Some(running) = &cp.running {
            out.push_str(&format!(
                "; {} was running when the run stopped",
                visible(running)
            ));
        }
        out.push('\n');
        if let Some(when) = s.saved {
            out.push_str(&format!("  saved: {}\n", utc(when)));
        }
        if let Some(values) = &cp.values {
            out.push_str(&format!(
                "  values: {}\n",
                visible(&values.display().to_string())
            ));
        }
        out.push_str(&format!(
            "  file: {}\n",
            visible(&s.path.display().to_string())
        ));
    }
    out.push_str(&format!(
        "{} checkpoint{} in {dir_shown}; `docrun run GUIDE --resume` goes on from one, `docrun state clear [GUIDE]` removes them\n",
        found.len(),
        if found.len() == 1 { "" } else { "s" }
    ));
    Ok(out)
}

/// `docrun state clear [GUIDE]`: removes every checkpoint, or those of `guide` (any set of
/// values), except those a running docrun holds.
pub fn clear(guide: Option<&Path>) -> Result<String, Error> {
    let (dir, found, _) = saved()?;
    let wanted = guide.map(absolute);
    let mut removed = 0;
    let mut out = String::new();
    for s in found {
        if wanted
            .as_ref()
            .is_some_and(|g| *g != s.checkpoint.guide && *g != absolute(&s.checkpoint.guide))
        {
            continue;
        }
        let lock = s.path.with_extension("lock");
        if in_use(&lock) {
            out.push_str(&format!(
                "kept {}: a docrun running {} holds it\n",
                visible(&s.path.display().to_string()),
                visible(&s.checkpoint.guide.display().to_string())
            ));
            continue;
        }
        std::fs::remove_file(&s.path).map_err(|source| Error::Io {
            path: s.path.clone(),
            source,
        })?;
        let _ = std::fs::remove_file(&lock);
        removed += 1;
    }
    let dir_shown = visible(&dir.display().to_string()).into_owned();
    out.push_str(&match (removed, guide) {
        (0, Some(g)) => format!(
            "no checkpoint of {} to remove (in {dir_shown})\n",
            visible(&g.display().to_string())
        ),
        (n, _) => format!(
            "removed {n} checkpoint{} from {dir_shown}\n",
            if n == 1 { "" } else { "s" }
        ),
    });
    Ok(out)
}

/// Whether a running docrun holds the lock file `lock`.
fn in_use(lock: &Path) -> bool {
    let Ok(file) = OpenOptions::new()
        .write(true)
        .custom_flags(nix::libc::O_NOFOLLOW | nix::libc::O_CLOEXEC)
        .open(lock)
    else {
        return false;
    };
    matches!(file.try_lock(), Err(std::fs::TryLockError::WouldBlock))
}

/// `when` as `YYYY-MM-DD HH:MM:SS UTC`.
fn utc(when: SystemTime) -> String {
    let secs = when
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let (days, rest) = (secs / 86_400, secs % 86_400);
    let (y, m, d) = civil_from_days(days as i64);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02} UTC",
        rest / 3600,
        rest % 3600 / 60,
        rest % 60
    )
}

/// The proleptic Gregorian date of `days` after 1970-01-01 (Howard Hinnant's algorithm).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_gregorian_in_utc() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(19_723), (2024, 1, 1));
        assert_eq!(civil_from_days(19_782), (2024, 2, 29));
        assert_eq!(
            utc(UNIX_EPOCH + std::time::Duration::from_secs(951_782_400 + 3661)),
            "2000-02-29 01:01:01 UTC"
        );
    }
}
