//! The signals that stop a run: Ctrl-C (`SIGINT`), `SIGTERM` (what CI systems send when a job is
//! cancelled) and `SIGHUP` (the terminal went away). All three are handled alike: the running
//! step's processes are killed, cleanup steps run, reports are written, what docrun made is
//! removed, and docrun exits `128 + N` (130, 143, 129).
//!
//! The first stop signal docrun receives is remembered for the whole process ([`requested`]), so
//! a guide that `docrun test` starts after the signal does not run, and the exit code names the
//! signal that stopped the run.

use std::io;
use std::sync::atomic::{AtomicU8, Ordering};

use tokio::signal::unix::{signal, Signal, SignalKind};

/// A signal that asks docrun to stop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stop {
    /// `SIGINT`: Ctrl-C on a terminal.
    Interrupt,
    /// `SIGTERM`: a CI job cancelled, `kill`, a container stopping.
    Terminate,
    /// `SIGHUP`: the terminal or SSH connection closed.
    Hangup,
    /// stdout was closed under docrun (`docrun run --json | head -1`): nobody reads the
    /// results any more, so the run stops as a shell pipeline would (SIGPIPE).
    ClosedOutput,
}

impl Stop {
    /// The exit code of a run this signal stopped: `128 + N`, as a shell reports it.
    pub fn exit_code(self) -> u8 {
        match self {
            Stop::Interrupt => 130,
            Stop::Terminate => 143,
            Stop::Hangup => 129,
            Stop::ClosedOutput => 141,
        }
    }

    /// How messages name it: `Ctrl-C`, `SIGTERM`, `SIGHUP`.
    pub fn name(self) -> &'static str {
        match self {
            Stop::Interrupt => "Ctrl-C",
            Stop::Terminate => "SIGTERM",
            Stop::Hangup => "SIGHUP",
            Stop::ClosedOutput => "a closed stdout",
        }
    }

    fn code(self) -> u8 {
        self as u8 + 1
    }

    fn from_code(code: u8) -> Option<Stop> {
        match code {
            1 => Some(Stop::Interrupt),
            2 => Some(Stop::Terminate),
            3 => Some(Stop::Hangup),
            4 => Some(Stop::ClosedOutput),
            _ => None,
        }
    }
}

static FIRST: AtomicU8 = AtomicU8::new(0);

/// The first stop signal any listener of this process received, if one came.
pub fn requested() -> Option<Stop> {
    Stop::from_code(FIRST.load(Ordering::SeqCst))
}

fn record(stop: Stop) -> Stop {
    let _ = FIRST.compare_exchange(0, stop.code(), Ordering::SeqCst, Ordering::SeqCst);
    stop
}

/// Wakes the listeners when docrun itself asks to stop ([`request`]).
static REQUESTED: tokio::sync::Notify = tokio::sync::Notify::const_new();

/// Asks the run to stop as a signal would (a closed stdout): every listener waiting now
/// receives it, and [`requested`] tells those that look later.
pub fn request(stop: Stop) {
    record(stop);
    REQUESTED.notify_waiters();
}

/// Listens for the stop signals. Installing it replaces the default action of the three signals
/// (ending docrun at once) for the rest of the process's life, so install it only where a stop
/// is then acted on. Several listeners may exist at once (one per guide in `docrun test`); each
/// receives every signal.
pub struct StopSignals {
    int: Signal,
    term: Signal,
    hup: Signal,
}

impl StopSignals {
    /// Installs the handlers. Fails only when the runtime cannot register a signal handler.
    pub fn install() -> io::Result<StopSignals> {
        Ok(StopSignals {
            int: signal(SignalKind::interrupt())?,
            term: signal(SignalKind::terminate())?,
            hup: signal(SignalKind::hangup())?,
        })
    }

    /// Waits for the next stop signal (and remembers it as [`requested`] if it is the first).
    /// Cancel-safe: usable as a `tokio::select!` branch.
    pub async fn recv(&mut self) -> Stop {
        let stop = tokio::select! {
            _ = self.int.recv() => Stop::Interrupt,
            _ = self.term.recv() => Stop::Terminate,
            _ = self.hup.recv() => Stop::Hangup,
            _ = REQUESTED.notified() => requested().unwrap_or(Stop::ClosedOutput),
        };
        record(stop)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exit_codes_are_128_plus_the_signal_number() {
        assert_eq!(Stop::Interrupt.exit_code(), 128 + 2);
        assert_eq!(Stop::Terminate.exit_code(), 128 + 15);
        assert_eq!(Stop::Hangup.exit_code(), 128 + 1);
        for s in [
            Stop::Interrupt,
            Stop::Terminate,
            Stop::Hangup,
            Stop::ClosedOutput,
        ] {
            assert_eq!(Stop::from_code(s.code()), Some(s));
        }
    }
}
