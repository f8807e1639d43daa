//! What docrun prints: plans and listings as text or JSON, run events for the terminal, JSON
//! Lines and JUnit.

pub mod check;
pub mod events;
pub mod human;
pub mod junit;
pub mod plan;
