//! Running a plan: the shell session, checking what steps print against the output the guide
//! shows, and the step loop.

pub mod capture;
pub mod guard;
pub mod host;
pub mod procs;
pub mod resume;
pub mod runner;
pub mod shell;
pub mod stop;
