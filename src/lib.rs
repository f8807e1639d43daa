//! docrun: make documentation executable.
