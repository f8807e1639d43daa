//! What docrun prints: plans and listings as text or JSON, run events for the terminal, JSON
//! Lines, JUnit and a self-contained HTML page.

pub mod check;
pub mod effects;
pub mod forge;
pub mod github;
pub mod graph;
pub mod html;
pub mod human;
pub mod invocation;
pub mod json_lines;
pub mod junit;
pub mod plan;
pub mod preview;
pub mod progress;

/// Writes to stderr above a progress line (which is redrawn after), or plainly without one.
pub fn write_stderr(bar: Option<&indicatif::ProgressBar>, text: &str) {
    write_results(bar, false, text)
}

/// Writes a run's results (its report of steps, its summary): to stdout, or to stderr when
/// stdout holds something else (`--json`). Above the progress line, if there is one.
pub fn write_results(bar: Option<&indicatif::ProgressBar>, to_stdout: bool, text: &str) {
    use std::io::Write;
    let write = || {
        // A closed stream (`| head`) loses the text, not the run.
        if to_stdout {
            let mut out = std::io::stdout().lock();
            let _ = out.write_all(text.as_bytes());
            let _ = out.flush();
        } else {
            let mut err = std::io::stderr().lock();
            let _ = err.write_all(text.as_bytes());
            let _ = err.flush();
        }
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
