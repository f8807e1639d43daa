//! docrun's operations as a library: one per subcommand, a typed request in, a typed result
//! out, callable without the command line (as cargo's `ops` sit under its commands).
//!
//! - [`guide`]: what every operation on one guide starts from: the guide, its site data, its
//!   dialect and the values given; reading it (once, with its chain) and planning it;
//! - [`plan`], [`run`], [`check`]: one guide's plan, run and preflight;
//! - [`test`], [`lint`], [`graph`]: whole trees;
//! - [`feedback`]: where an operation says what it has to say on the way.
//!
//! An operation prints nothing itself: its warnings, notes and questions go to the
//! [`Feedback`] the caller gives, and its result says what happened. The caller prints the
//! result, and [`crate::outcome`] turns it into the exit code.

pub mod check;
pub mod feedback;
pub mod graph;
pub mod guide;
pub mod hygiene;
pub mod lint;
pub mod plan;
pub mod run;
pub mod test;

pub use feedback::{Collected, Feedback};
pub use guide::GuideRequest;

use crate::error::Error;

/// The async runtime of an operation: one thread is enough, the work is waiting on processes
/// and API servers.
pub fn runtime() -> Result<tokio::runtime::Runtime, Error> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::Internal(format!("cannot start the async runtime: {e}")))
}

/// Before the first step: makes sure the steps' processes cannot outlive docrun, and warns of
/// what could not be set up.
pub fn protect_processes(feedback: &mut dyn Feedback) {
    for problem in crate::guard::protect() {
        feedback.warn(&problem);
    }
}
