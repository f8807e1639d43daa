//! docrun: make documentation executable.
//!
//! The pipeline: [`doc`] reads a guide, [`runbook`] turns it into steps and variables, [`plan`]
//! binds the variables and says what a run would do. Everything up to the plan is pure.

pub mod doc;
pub mod error;
pub mod source;
