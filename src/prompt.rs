//! Asking the operator for missing variables on a terminal: each with its description, a
//! kube context chosen from the kubeconfig's contexts, a secret read without echo.
//!
//! Never used when stdin is not a terminal or `--no-prompt` is given.

use std::io::{BufRead, Write};

use crate::error::Error;
use crate::plan::PlanVar;
use crate::runbook::VarKind;

/// Asks for each variable in turn; returns the answers as (name, value).
pub fn ask(
    vars: &[&PlanVar],
    contexts: &dyn Fn() -> Vec<String>,
) -> Result<Vec<(String, String)>, Error> {
    let stdin = std::io::stdin();
    let mut answers = Vec::new();
    let mut err = std::io::stderr();
    for var in vars {
        let _ = writeln!(err, "\n{} ({})", var.name, var.kind.as_str());
        if let Some(d) = &var.description {
            let _ = writeln!(err, "  {d}");
        }
        let choices = if var.kind == VarKind::KubeContext {
            contexts()
        } else {
            Vec::new()
        };
        for (i, c) in choices.iter().enumerate() {
            let _ = writeln!(err, "  {}) {c}", i + 1);
        }
        let hint = var.placeholder.as_deref().unwrap_or("value");
        let _ = write!(
            err,
            "  {} {hint}: ",
            if choices.is_empty() {
                "enter"
            } else {
                "number or name for"
            }
        );
        let _ = err.flush();
        let value = if var.kind == VarKind::Secret {
            read_hidden(&stdin)?
        } else {
            read_line(&stdin)?
        };
        let value = match value.trim().parse::<usize>() {
            Ok(n) if n >= 1 && n <= choices.len() => choices[n - 1].clone(),
            _ => value.trim().to_owned(),
        };
        if value.is_empty() {
            return Err(Error::Usage(format!("no value given for {}", var.name)));
        }
        answers.push((var.name.clone(), value));
    }
    Ok(answers)
}

fn read_line(stdin: &std::io::Stdin) -> Result<String, Error> {
    let mut line = String::new();
    stdin
        .lock()
        .read_line(&mut line)
        .map_err(|e| Error::Usage(format!("cannot read the answer: {e}")))?;
    Ok(line.trim_end_matches(['\n', '\r']).to_owned())
}

/// Reads a line with the terminal's echo off, and puts the echo back however the read ends: an
/// answer, an error, or a stop signal (Ctrl-C, `SIGTERM`, `SIGHUP`), after which docrun ends as
/// the signal asks.
fn read_hidden(stdin: &std::io::Stdin) -> Result<String, Error> {
    use nix::sys::termios::{tcgetattr, tcsetattr, LocalFlags, SetArg};
    let fd = std::io::stdin();
    let saved = tcgetattr(&fd).ok();
    let guard = saved.as_ref().map(|saved| {
        let mut quiet = saved.clone();
        quiet.local_flags.remove(LocalFlags::ECHO);
        let guard = echo_guard::install(saved);
        let _ = tcsetattr(&fd, SetArg::TCSANOW, &quiet);
        guard
    });
    let line = read_line(stdin);
    if let Some(saved) = &saved {
        let _ = tcsetattr(&fd, SetArg::TCSANOW, saved);
    }
    drop(guard);
    eprintln!();
    line
}

/// Puts the terminal's settings back when a stop signal arrives while the echo is off, then lets
/// the signal end docrun as it would have.
mod echo_guard {
    use std::sync::OnceLock;

    use nix::libc;
    use nix::sys::signal::{sigaction, SaFlags, SigAction, SigHandler, SigSet, Signal};
    use nix::sys::termios::Termios;

    /// The settings to put back: set once, read by the handler (a lock-free load).
    static SAVED: OnceLock<libc::termios> = OnceLock::new();
    const SIGNALS: [Signal; 3] = [Signal::SIGINT, Signal::SIGTERM, Signal::SIGHUP];

    /// The handlers in place before; put back when the guard is dropped.
    pub struct Guard(Vec<(Signal, SigAction)>);

    pub fn install(saved: &Termios) -> Guard {
        let _ = SAVED.set(libc::termios::from(saved.clone()));
        let action = SigAction::new(
            SigHandler::Handler(restore_and_stop),
            SaFlags::SA_RESETHAND,
            SigSet::empty(),
        );
        let mut previous = Vec::new();
        for signal in SIGNALS {
            // SAFETY: the handler only calls async-signal-safe functions (tcsetattr, raise).
            if let Ok(old) = unsafe { sigaction(signal, &action) } {
                previous.push((signal, old));
            }
        }
        Guard(previous)
    }

    impl Drop for Guard {
        fn drop(&mut self) {
            for (signal, old) in &self.0 {
                // SAFETY: puts back the handler that was in place before `install`.
                let _ = unsafe { sigaction(*signal, old) };
            }
        }
    }

    extern "C" fn restore_and_stop(signal: libc::c_int) {
        if let Some(saved) = SAVED.get() {
            // SAFETY: tcsetattr and raise are async-signal-safe; `saved` is a plain C struct.
            unsafe {
                libc::tcsetattr(libc::STDIN_FILENO, libc::TCSANOW, saved);
            }
        }
        // SA_RESETHAND put the default action back: the signal now ends docrun as it would have.
        unsafe {
            libc::raise(signal);
        }
    }
}
