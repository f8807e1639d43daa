//! What docrun prints: plans and listings as text or JSON, run events, JUnit.

pub mod check;
pub mod plan;
