//! Turning lint rules off: for a whole tree in `docrun.yaml` (`lint: {off: [rule, ...]}`), and
//! for part of a guide with a comment in it:
//!
//! ```text
//! <!-- docrun lint off: undefined-var, exec-it -->   the rules are off from this line on
//! <!-- docrun lint on: undefined-var -->             ... and on again from this one
//! ```
//!
//! The comment takes HTML (`<!-- -->`, Markdown and MDX) and AsciiDoc (`// `) form, and the
//! words of markdownlint's comments too (`<!-- docrun-lint-disable RULE -->`, `-enable`). A rule
//! turned off stays reported when the guide cannot be read (`parse`, `overlay`, `tree`):
//! those are not the guide's style but whether docrun can read it at all.

use std::collections::BTreeSet;
use std::sync::LazyLock;

use regex::Regex;

use super::Finding;
use crate::settings::{ALWAYS_ON_RULES, LINT_RULES};

/// A comment that turns rules off or on, from its line on.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Switch {
    line: usize,
    on: bool,
    rules: Vec<String>,
}

static SWITCH: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"^\s*(?:<!--|//)\s*docrun[- ]lint[- ](off|on|disable|enable):?\s+([A-Za-z0-9_, -]+?)\s*(?:-->)?\s*$",
    )
        .expect("the switch pattern")
});

/// The rules off at each line of one guide, from the tree's settings and the guide's comments.
#[derive(Debug, Default)]
pub struct Switches {
    tree_off: BTreeSet<String>,
    switches: Vec<Switch>,
}

impl Switches {
    /// Reads the comments of `text` (a guide) over the tree's `off` rules. A comment naming
    /// a rule docrun does not have is reported as a `lint-comment` warning at its line.
    pub fn of(text: &str, tree_off: &[String]) -> (Self, Vec<(usize, String)>) {
        let mut switches = Vec::new();
        let mut unknown = Vec::new();
        for (i, line) in text.lines().enumerate() {
            // Cheap first: most lines hold no switch.
            if !line.contains("docrun lint") && !line.contains("docrun-lint") {
                continue;
            }
            let Some(caps) = SWITCH.captures(line) else {
                continue;
            };
            let rules: Vec<String> = caps[2]
                .split(',')
                .map(|r| r.trim().to_owned())
                .filter(|r| !r.is_empty())
                .collect();
            for rule in &rules {
                if !LINT_RULES.contains(&rule.as_str()) || ALWAYS_ON_RULES.contains(&rule.as_str())
                {
                    unknown.push((i + 1, rule.clone()));
                }
            }
            switches.push(Switch {
                line: i + 1,
                on: matches!(&caps[1], "on" | "enable"),
                rules,
            });
        }
        (
            Switches {
                tree_off: tree_off.iter().cloned().collect(),
                switches,
            },
            unknown,
        )
    }

    /// Whether `finding` stands: its rule is on at its line.
    pub fn keeps(&self, finding: &Finding) -> bool {
        let rule = finding.rule;
        if ALWAYS_ON_RULES.contains(&rule) {
            return true;
        }
        let mut off = self.tree_off.contains(rule);
        for s in self.switches.iter().take_while(|s| s.line <= finding.line) {
            if s.rules.iter().any(|r| r == rule) {
                off = !s.on;
            }
        }
        !off
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lint::Severity;

    fn finding(rule: &'static str, line: usize) -> Finding {
        Finding {
            file: "g.md".into(),
            line,
            column: 1,
            severity: Severity::Warning,
            rule,
            message: String::new(),
            hint: String::new(),
        }
    }

    #[test]
    fn a_comment_turns_a_rule_off_from_its_line_until_one_turns_it_on() {
        let text = "a\n<!-- docrun lint off: undefined-var, exec-it -->\nb\n// docrun lint on: exec-it\nc\n";
        let (s, unknown) = Switches::of(text, &[]);
        assert!(unknown.is_empty());
        assert!(s.keeps(&finding("undefined-var", 1)));
        assert!(!s.keeps(&finding("undefined-var", 3)));
        assert!(!s.keeps(&finding("undefined-var", 5)));
        assert!(!s.keeps(&finding("exec-it", 3)));
        assert!(s.keeps(&finding("exec-it", 5)));
        assert!(s.keeps(&finding("placeholder", 3)));
    }

    #[test]
    fn markdownlint_words_turn_rules_off_and_on_too() {
        let text = "<!-- docrun-lint-disable undefined-var -->\na\n<!-- docrun-lint-enable undefined-var -->\nb\n";
        let (s, unknown) = Switches::of(text, &[]);
        assert!(unknown.is_empty());
        assert!(!s.keeps(&finding("undefined-var", 2)));
        assert!(s.keeps(&finding("undefined-var", 4)));
    }

    #[test]
    fn the_tree_turns_rules_off_and_a_guide_on_again_but_parse_stays() {
        let text = "a\n<!-- docrun lint on: undefined-var -->\nb\n<!-- docrun lint off: parse, nothing -->\n";
        let (s, unknown) = Switches::of(text, &["undefined-var".to_owned()]);
        assert_eq!(
            unknown,
            [(4, "parse".to_owned()), (4, "nothing".to_owned())]
        );
        assert!(!s.keeps(&finding("undefined-var", 1)));
        assert!(s.keeps(&finding("undefined-var", 3)));
        assert!(s.keeps(&finding("parse", 5)));
    }
}
