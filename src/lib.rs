//! docrun: make documentation executable.

pub mod check;
