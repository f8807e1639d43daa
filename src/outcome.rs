//! How a command ended, and the exit code that says so. Every exit code docrun returns is
//! decided here, in [`exit_code`], from the [`Outcome`] of a command that did its work or the
//! [`Error`] of one that could not:
//!
//! | code | meaning |
//! |---|---|
//! | 0 | everything asked for passed |
//! | 1 | something docrun judged failed: a step, a check, a preview, a lint error, a guide of a tree, a report that could not be written after steps ran |
//! | 2 | input docrun cannot take: a guide, overlay, values file, setting, flag or path; nothing ran |
//! | 128 + N | stopped by signal N (130 for Ctrl-C, 143 for SIGTERM, 129 for SIGHUP), or by a closed output |

use crate::error::Error;
use crate::exec::stop::Stop;

/// How a command that did its work ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Everything asked for passed (warnings allowed).
    Passed,
    /// Something the command judged failed: a step, a check, a preview, a lint error, a guide
    /// of a tree, an unreadable guide in a listing, no guide tested under `--fail-if-none`, or
    /// a report that could not be written after steps ran.
    Failed,
    /// Input the command could not take, found while it worked: a path lint cannot read, a
    /// report that could not be written before any step ran.
    Unusable,
    /// Stopped by a signal, or because nobody reads its output any more.
    Stopped(Stop),
}

/// The exit code of a command's result.
pub fn exit_code(result: &Result<Outcome, Error>) -> u8 {
    match result {
        Ok(Outcome::Passed) => 0,
        Ok(Outcome::Failed) => 1,
        Ok(Outcome::Unusable) => 2,
        Ok(Outcome::Stopped(stop)) => stop.exit_code(),
        Err(err) => of_error(err),
    }
}

/// The exit code of a command that could not do its work.
pub fn of_error(err: &Error) -> u8 {
    match err {
        Error::Failed(_) | Error::Internal(_) => 1,
        Error::Interrupted => Stop::Interrupt.exit_code(),
        Error::Source(_) | Error::Io { .. } | Error::Usage(_) | Error::MissingVars(_) => 2,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_outcome_and_error_has_its_documented_code() {
        assert_eq!(exit_code(&Ok(Outcome::Passed)), 0);
        assert_eq!(exit_code(&Ok(Outcome::Failed)), 1);
        assert_eq!(exit_code(&Ok(Outcome::Unusable)), 2);
        assert_eq!(exit_code(&Ok(Outcome::Stopped(Stop::Terminate))), 143);
        assert_eq!(exit_code(&Err(Error::Usage("x".into()))), 2);
        assert_eq!(exit_code(&Err(Error::Failed("x".into()))), 1);
        assert_eq!(exit_code(&Err(Error::Interrupted)), 130);
    }
}
