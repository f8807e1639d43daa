//! docrun: make documentation executable.

pub mod exec;
