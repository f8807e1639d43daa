//! `docrun.yaml`'s `hygiene:` section, and what a leak does.

use std::time::Duration;

use serde::Deserialize;

/// What a leak does (`--hygiene`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum Mode {
    /// No snapshots.
    Off,
    /// Report leaks; the guide's result stands.
    Warn,
    /// A guide that leaks fails.
    Fail,
}

/// The `hygiene:` section of a tree's `docrun.yaml`.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct HygieneSettings {
    pub mode: Option<Mode>,
    /// How long to wait for deletions to settle, e.g. `2m`.
    #[serde(default, deserialize_with = "crate::duration::deserialize_opt")]
    pub settle: Option<Duration>,
    /// Namespaces whose objects never count (replaces the default list).
    pub exclude_namespaces: Option<Vec<String>>,
    /// Kinds that never count (replaces the default list).
    pub exclude_kinds: Option<Vec<String>>,
}
