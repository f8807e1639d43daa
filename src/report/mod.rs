//! What docrun prints: plans and listings as text or JSON, run events for the terminal, JSON
//! Lines and JUnit.

pub mod check;
pub mod events;
pub mod human;
pub mod junit;
pub mod plan;

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
