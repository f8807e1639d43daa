//! Guides as a chain: the prerequisites of a guide across guides, found before the plan.
//!
//! - [`links`]: the links of a guide, and whether each names a prerequisite (a prerequisite
//!   section, a "follow these instructions" sentence, or neither);
//! - [`resolve`]: where a link leads on disk (site-absolute links against the content root,
//!   own language first);
//! - [`graph`]: edges from a guide to the parts of other guides it needs, derived from links
//!   and variables or declared with `requires:`, and the graph of a tree for `docrun graph`;
//! - [`compose`]: a guide's chain in dependency order, as one runbook that `plan`, `run` and
//!   `test` take like any other (`--with-prereqs`).
//!
//! Everything here is pure: it reads guides and builds values; nothing runs.

pub mod compose;
pub mod graph;
pub mod links;
pub mod resolve;

pub use compose::{chain, runbook, Chain};
pub use graph::{Edge, Graph, Guides, Missing, Origin, Part, ReadOptions};
