//! What docrun prints: plans and listings as text or JSON, run events for the terminal, JSON
//! Lines, JUnit and a self-contained HTML page.

pub mod check;
pub mod effects;
pub mod events;
pub mod forge;
pub mod github;
pub mod graph;
pub mod html;
pub mod human;
pub mod invocation;
pub mod junit;
pub mod plan;
pub mod preview;

/// Writes to stderr above a progress line (which is redrawn after), or plainly without one.
pub fn write_stderr(bar: Option<&indicatif::ProgressBar>, text: &str) {
    use std::io::Write;
    let write = || {
        let mut err = std::io::stderr().lock();
        let _ = err.write_all(text.as_bytes());
        let _ = err.flush();
    };
    match bar {
        Some(bar) => bar.suspend(write),
        None => write(),
    }
}

/// Checks before a run that a report file can be written, so that a wrong `--junit` path is an
/// input error (exit 2) before anything runs, not a report lost at the end. An existing file is
/// left as it is; a file this check creates is removed again.
pub fn check_writable(flag: &str, path: &std::path::Path) -> Result<(), crate::error::Error> {
    let existed = path.exists();
    let opened = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(false)
        .open(path);
    match opened {
        Ok(_) => {
            if !existed {
                let _ = std::fs::remove_file(path);
            }
            Ok(())
        }
        Err(e) => Err(crate::error::Error::Usage(format!(
            "{flag} {}: cannot write the report there: {e}",
            path.display()
        ))),
    }
}
