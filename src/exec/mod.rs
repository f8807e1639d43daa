//! Running a plan: the shell session, checking what steps print against the output the guide
//! shows, and the step loop.

pub mod capture;
pub mod host;
pub mod resume;
pub mod runner;
pub mod shell;
pub mod stop;
