//! The command line a report shows: the arguments as given, each one that a shell would split
//! quoted, with the value of every `--set NAME=VALUE` whose variable is a secret masked, every
//! known secret value masked wherever it stands, and hidden characters written out
//! ([`crate::visible`]), so that the line reads as what was typed and holds nothing that must
//! not be shown.

use std::ffi::OsString;

/// This process's command line as a report shows it, masking what the `plans` of the run
/// hold secret: their secret values, and the `--set` values of variables that are secrets in
/// any of them or whose name says so ([`crate::runbook::is_secret_name`]).
pub fn of_this_run(plans: &[&crate::plan::Plan]) -> String {
    let args: Vec<OsString> = std::env::args_os().skip(1).collect();
    let secrets: Vec<String> = plans.iter().flat_map(|p| p.secrets.clone()).collect();
    let is_secret = |name: &str| {
        crate::runbook::is_secret_name(name)
            || plans.iter().any(|p| {
                p.vars
                    .iter()
                    .any(|v| v.name == name && v.kind == crate::runbook::VarKind::Secret)
            })
    };
    shown(&args, &is_secret, &secrets)
}

/// The command line `docrun ARGS...` as a report shows it. `args` are the arguments after the
/// program's name (the name is always shown as `docrun`); `is_secret` says whether a variable
/// name is a secret's; `secrets` are the run's secret values (see [`crate::plan::mask`]).
pub fn shown(args: &[OsString], is_secret: &dyn Fn(&str) -> bool, secrets: &[String]) -> String {
    let mut words = vec!["docrun".to_owned()];
    let mut after_set = false;
    for arg in args {
        let arg = arg.to_string_lossy();
        let masked = if after_set {
            mask_assignment(&arg, is_secret)
        } else if let Some(assignment) = arg.strip_prefix("--set=") {
            format!("--set={}", mask_assignment(assignment, is_secret))
        } else {
            arg.into_owned()
        };
        after_set = masked == "--set";
        let masked = crate::plan::mask(&masked, secrets);
        words.push(quoted(&crate::visible::visible(&masked)));
    }
    words.join(" ")
}

/// `NAME=***` when `NAME` is a secret's, else the assignment as it is.
fn mask_assignment(assignment: &str, is_secret: &dyn Fn(&str) -> bool) -> String {
    match assignment.split_once('=') {
        Some((name, _)) if is_secret(name) => format!("{name}=***"),
        _ => assignment.to_owned(),
    }
}

/// The word as a shell would read it back: as it is when nothing in it splits or changes it
/// (a mask's `***` included), else in single quotes.
fn quoted(word: &str) -> String {
    let plain = !word.is_empty()
        && !word
            .chars()
            .any(|c| c.is_whitespace() || "'\"\\$`;&|<>(){}#!~?[".contains(c));
    if plain {
        word.to_owned()
    } else {
        format!("'{}'", word.replace('\'', r"'\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(words: &[&str]) -> Vec<OsString> {
        words.iter().map(OsString::from).collect()
    }

    fn password(name: &str) -> bool {
        name == "DB_PASSWORD"
    }

    #[test]
    fn a_secret_variable_set_on_the_command_line_is_masked_in_both_spellings() {
        let line = shown(
            &args(&[
                "run",
                "g.md",
                "--set",
                "DB_PASSWORD=x",
                "--set=DB_PASSWORD=y",
                "--set",
                "USER=admin",
            ]),
            &password,
            &[],
        );
        assert_eq!(
            line,
            "docrun run g.md --set DB_PASSWORD=*** --set=DB_PASSWORD=*** --set USER=admin"
        );
    }

    #[test]
    fn a_known_secret_value_is_masked_anywhere_and_words_are_quoted_as_typed() {
        let line = shown(
            &args(&["run", "my guide.md", "--filter", "hunter22"]),
            &|_| false,
            &["hunter22".to_owned()],
        );
        assert_eq!(line, "docrun run 'my guide.md' --filter ***");
    }

    #[test]
    fn hidden_characters_are_written_out() {
        let line = shown(&args(&["run", "a\u{202e}b.md"]), &|_| false, &[]);
        assert_eq!(line, "docrun run 'a<U+202E>b.md'");
    }
}
