//! What a run needs from the machine, checked before anything runs so that a missing piece is
//! an input error (exit 2) naming the variable to fix, not a failure of the first step.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use crate::error::Error;

/// Checks that `bash` can be found on `PATH` and that the temporary directory (`TMPDIR`, else
/// `/tmp`) exists and can be written.
pub fn check() -> Result<(), Error> {
    find_bash()?;
    check_tmpdir()
}

/// The `bash` a session starts, looked up on `PATH` as the session's `Command` does.
pub fn find_bash() -> Result<PathBuf, Error> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .map(|dir| dir.join("bash"))
        .find(|p| is_executable(p))
        .ok_or_else(|| {
            Error::Usage(format!(
                "PATH={}: no executable `bash` in any of its folders; docrun runs the steps in bash\nhint: add the folder that holds bash (often /bin or /usr/bin) to PATH",
                path.to_string_lossy()
            ))
        })
}

fn is_executable(path: &Path) -> bool {
    std::fs::metadata(path).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

fn check_tmpdir() -> Result<(), Error> {
    let dir = std::env::temp_dir();
    let named = match std::env::var_os("TMPDIR") {
        Some(_) => format!("TMPDIR={}", dir.display()),
        None => format!("the temporary directory {}", dir.display()),
    };
    let hint = "hint: point TMPDIR at a directory docrun may write to, or unset it to use /tmp";
    if !dir.is_dir() {
        return Err(Error::Usage(format!(
            "{named}: no such directory; docrun keeps each session's files there\n{hint}"
        )));
    }
    tempfile::Builder::new()
        .prefix("docrun-check-")
        .tempfile_in(&dir)
        .map(drop)
        .map_err(|e| Error::Usage(format!("{named}: cannot write there: {e}\n{hint}")))
}
