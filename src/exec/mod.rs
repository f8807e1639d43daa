//! Execution of guide steps: the persistent shell session that runs them.
pub mod shell;
