//! `docrun.yaml`'s `lint:` section, and the names of the rules it may turn off. `docrun lint`
//! has these rules; its tests check that every finding names one of them.

use serde::Deserialize;

/// The rules that cannot be turned off.
pub const ALWAYS_ON_RULES: &[&str] = &["parse", "overlay", "tree"];

/// Every rule `docrun lint` has, for checking the names a setting or a comment gives.
pub const LINT_RULES: &[&str] = &[
    "parse",
    "overlay",
    "no-command",
    "orphan-output",
    "pasted-output",
    "prompt-in-script",
    "not-shell",
    "unread",
    "exec-it",
    "hidden-characters",
    "step-id",
    "undefined-var",
    "placeholder",
    "bash-syntax",
    "duplicate-snip-id",
    "duplicate-anchor",
    "lint-comment",
    "tree",
];

/// `docrun.yaml`'s `lint:`.
#[derive(Debug, Clone, Default, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct LintSettings {
    /// Rules turned off in every guide of the tree (`disable:` says the same).
    #[serde(default, alias = "disable")]
    pub off: Vec<String>,
}

impl LintSettings {
    /// The first rule named that docrun does not have, or cannot turn off.
    pub fn unknown_rule(&self) -> Option<&str> {
        self.off
            .iter()
            .map(String::as_str)
            .find(|r| !LINT_RULES.contains(r) || ALWAYS_ON_RULES.contains(r))
    }
}
