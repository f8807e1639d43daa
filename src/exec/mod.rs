//! Running a plan: executing a guide's steps and checking what they print
//! against the output the guide shows.

pub mod matching;
