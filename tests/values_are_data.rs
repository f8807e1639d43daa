//! A value is data in every shell context: placeholders filled into commands and variables the
//! session exports never run as code, whatever quotes, substitutions, arithmetic or second
//! shells stand around them. Values come from a hostile alphabet; each command runs in bash
//! with a canary file that any injected code would create. Where docrun cannot place a value
//! safely it refuses it; it never runs it.

mod support;

use std::path::Path;
use std::process::Command;

use docrun::runbook::subst::{self, Found};
use proptest::prelude::*;

/// Commands with a placeholder in every context docrun reads. `{C}` is the canary path.
const PLACEHOLDER_TEMPLATES: &[&str] = &[
    "printf '[%s]\\n' <your value>",
    "printf '[%s]\\n' '<your value>'",
    "printf '[%s]\\n' \"<your value>\"",
    "printf '[%s]\\n' \"pre <your value> post\"",
    "printf '[%s]\\n' 'pre <your value> post'",
    "echo `echo <your value>`",
    "echo \"`echo <your value>`\"",
    "echo $(echo <your value>)",
    "echo \"$(echo \"<your value>\")\"",
    "echo $(( <your value> + 1 ))",
    "(( <your value> > 1 )) || true",
    "let \"n = <your value>\" || true",
    "[[ <your value> -gt 1 ]] || true",
    "sh -c 'printf \"[%s]\\n\" <your value>'",
    "sh -c \"printf '[%s]\\n' <your value>\"",
    "sh -c \"echo '<your value>'\"",
    "bash -c \"echo 'pre <your value> post'\"",
    "eval echo <your value>",
    "eval \"echo <your value>\"",
    "echo echo <your value> | sh",
    "echo \"echo <your value>\" | bash",
    "cat <<EOF\n<your value>\nEOF",
    "cat <<'EOF'\n<your value>\nEOF",
    "bash <<EOF\necho <your value>\nEOF",
    "bash <<'EOF'\necho <your value>\nEOF",
    "cat <<EOF | sh\necho \"x <your value> y\"\nEOF",
    "sh <<'EOF'\necho 'x <your value> y'\nEOF",
    "bash -c \"sh -c 'echo <your value>'\"",
    "source <(echo echo <your value>)",
    "cat <<EOF | tee /dev/null | sh\necho <your value>\nEOF",
    "xargs -I{} sh -c \"echo {} <your value>\" <<< x",
    "kubectl version --client >/dev/null 2>&1; echo \"$(( <your value> ))\"",
];

/// Commands that use an exported variable `V` where a shell could read its value as code.
const VARIABLE_TEMPLATES: &[&str] = &[
    "echo $(( V + 1 ))",
    "echo $(( $V + 1 ))",
    "(( V > 1 )) || true",
    "[[ $V -gt 1 ]] || true",
    "[[ \"$V\" -eq 1 ]] || true",
    "let n=V+1 || true",
    "a=(1 2); echo ${a[$V]}",
    "sh -c \"echo $V\"",
    "bash -lc \"echo x $V\"",
    "eval \"echo $V\"",
    "eval echo $V",
    "echo \"echo $V\" | sh",
    "bash <<EOF\necho $V\nEOF",
    "cat <<EOF | bash\necho $V\nEOF",
    "echo \"$V\" '$V' $V",
    "sh -c 'echo \"$V\"'",
    "bash <<'EOF'\necho \"$V\"\nEOF",
    "declare -i n=$V",
    "local_n() { local -i n=V; }; local_n",
    "a[$V]=1",
    "echo ${PWD:0:$V}",
    "echo ${PWD:V}",
    "echo \"echo $V\" | tee /dev/null | bash",
    "source <(echo echo $V)",
];

/// Pieces of hostile values: each tries another way out of a context.
const FRAGMENTS: &[&str] = &[
    "$(touch {C})",
    "`touch {C}`",
    ";touch {C};",
    "a[$(touch {C})]",
    "x[`touch {C}`]",
    "'",
    "\"",
    "\\",
    "\n",
    "\nEOF\ntouch {C}\n",
    "'; touch {C}; '",
    "\"; touch {C}; \"",
    "\\\"; touch {C} #",
    "$((",
    "))",
    " && touch {C}",
    "| touch {C}",
    "<(touch {C})",
    ">{C}",
    "${IFS}",
    "*",
    "#",
    "!",
    "{",
    "}",
    "~",
    "1",
    "42",
    "value",
    " ",
];

fn hostile_value() -> impl Strategy<Value = String> {
    proptest::collection::vec(0..FRAGMENTS.len(), 1..5)
        .prop_map(|picks| picks.into_iter().map(|i| FRAGMENTS[i]).collect())
}

/// Runs `script` in bash with `env`, in `dir`, bounded to a few seconds.
fn bash(dir: &Path, script: &str, env: &[(&str, &str)]) {
    let mut child = Command::new("timeout")
        .args(["5", "bash", "-c", script])
        .current_dir(dir)
        .envs(env.iter().copied())
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("bash runs");
    child.wait().expect("bash ends");
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 16, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn a_placeholder_value_never_runs(raw in hostile_value()) {
        a_placeholder_value_never_runs_with(&raw);
    }

    #[test]
    fn an_exported_value_never_runs(raw in hostile_value()) {
        an_exported_value_never_runs_with(&raw);
    }
}

/// Each way out of a context, whole, in every context.
#[test]
fn no_single_way_out_runs() {
    for fragment in FRAGMENTS {
        a_placeholder_value_never_runs_with(fragment);
        an_exported_value_never_runs_with(fragment);
    }
}

fn a_placeholder_value_never_runs_with(raw: &str) {
    let dir = tempfile::tempdir().unwrap();
    let canary = dir.path().join("canary");
    let value = raw.replace("{C}", &canary.display().to_string());
    for template in PLACEHOLDER_TEMPLATES {
        let occurrences = subst::scan(template);
        assert!(
            occurrences
                .iter()
                .any(|o| matches!(&o.found, Found::Placeholder(t) if t == "your value")),
            "no placeholder found in {template:?}"
        );
        let filled = subst::substitute(template, &occurrences, |o| match &o.found {
            Found::Placeholder(_) => Some(("VALUE".to_owned(), value.clone())),
            _ => None,
        });
        // A refusal is safe: nothing runs.
        let Ok(command) = filled else { continue };
        bash(dir.path(), &command, &[]);
        assert!(
            !canary.exists(),
            "{template:?} with {value:?} ran code: {command}"
        );
    }
}

fn an_exported_value_never_runs_with(raw: &str) {
    let dir = tempfile::tempdir().unwrap();
    let canary = dir.path().join("canary");
    let value = raw.replace("{C}", &canary.display().to_string());
    for template in VARIABLE_TEMPLATES {
        let refused = subst::scan(template).iter().any(|o| match &o.found {
            Found::VarRef(n) | Found::ArithName(n) if n == "V" => {
                subst::check_use(&value, o, n).is_err()
            }
            _ => false,
        });
        if !refused {
            bash(dir.path(), template, &[("V", &value)]);
            assert!(!canary.exists(), "{template:?} with V={value:?} ran code");
        }
    }
}

/// Values that are data in a context reach the command exactly.
#[test]
fn values_that_fit_reach_the_command_exactly() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let cases: &[(&str, &str, &str)] = &[
        ("echo $(( <your count> + 1 )) > OUT", "41", "42\n"),
        (
            "echo \"$(echo \"<your value>\")\" > OUT",
            "a \"b\" $c",
            "a \"b\" $c\n",
        ),
        (
            "sh -c \"echo '<your value>'\" > OUT",
            "it's $HOME",
            "it's $HOME\n",
        ),
        (
            "bash <<EOF > OUT\necho <your value>\nEOF",
            "a;b $c",
            "a;b $c\n",
        ),
        ("bash <<'EOF' > OUT\necho <your value>\nEOF", "a'b", "a'b\n"),
        ("eval echo <your value> > OUT", "x; y", "x; y\n"),
        ("echo `echo <your value>` > OUT", "two words", "two words\n"),
    ];
    for (template, value, expected) in cases {
        let template = template.replace("OUT", &out.display().to_string());
        let occurrences = subst::scan(&template);
        let command = subst::substitute(&template, &occurrences, |o| match &o.found {
            Found::Placeholder(_) => Some(("V".to_owned(), value.to_string())),
            _ => None,
        })
        .unwrap_or_else(|e| panic!("{template:?} with {value:?}: {e}"));
        bash(dir.path(), &command, &[]);
        let got = std::fs::read_to_string(&out).unwrap_or_default();
        assert_eq!(
            &got, expected,
            "{template:?} with {value:?} ran {command:?}"
        );
    }
}

fn write(dir: &Path, name: &str, text: &str) -> std::path::PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

/// `docrun run` refuses a value that would run as code, names the variable, the file and line
/// and the context, exits 2, and runs nothing; `plan` says the same as a warning.
#[test]
fn run_refuses_a_value_that_would_run_and_plan_says_where() {
    let dir = tempfile::tempdir().unwrap();
    let canary = dir.path().join("canary");
    let marker = dir.path().join("first-step-ran");
    let guide = write(
        dir.path(),
        "guide.md",
        &format!(
            "# Scale\n\n```bash\ntouch {}\n```\n\n```bash\necho $(( REPLICAS + 1 ))\n```\n\n```bash\nsh -c \"echo scaled to $REPLICAS\"\n```\n",
            marker.display()
        ),
    );
    let value = format!("a[$(touch {})]", canary.display());
    let out = support::docrun::docrun(dir.path())
        .args(["run", guide.to_str().unwrap(), "--set"])
        .arg(format!("REPLICAS={value}"))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        !canary.exists() && !marker.exists(),
        "something ran: {stderr}"
    );
    assert!(stderr.contains("REPLICAS"), "{stderr}");
    assert!(stderr.contains("guide.md:8"), "{stderr}");
    assert!(stderr.contains("arithmetic"), "{stderr}");
    assert!(stderr.contains("guide.md:12"), "{stderr}");

    let plan = support::docrun::docrun(dir.path())
        .args(["plan", guide.to_str().unwrap(), "--set"])
        .arg(format!("REPLICAS={value}"))
        .output()
        .unwrap();
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&plan.stdout),
        String::from_utf8_lossy(&plan.stderr)
    );
    assert!(
        said.contains("guide.md:8") && said.contains("arithmetic"),
        "{said}"
    );
    assert!(!canary.exists());

    // An integer is data there, and the run goes through.
    let ok = support::docrun::docrun(dir.path())
        .args(["run", guide.to_str().unwrap(), "--set", "REPLICAS=3"])
        .output()
        .unwrap();
    assert_eq!(
        ok.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, failure_persistence: None, ..ProptestConfig::default() })]

    /// The reader never panics on any command text, and its places are in order, apart, and on
    /// character boundaries, so filling them never splits a character.
    #[test]
    fn the_reader_takes_any_text(command in "[a-zA-Z0-9 <>$(){}\\[\\]`'\"\\\\|;&#=\n\t*!é\u{202e}-]{0,60}") {
        let found = subst::scan(&command);
        let mut end = 0;
        for occ in &found {
            prop_assert!(occ.range.start >= end && occ.range.end <= command.len(), "{command:?}: {found:?}");
            prop_assert!(command.is_char_boundary(occ.range.start) && command.is_char_boundary(occ.range.end));
            end = occ.range.end;
        }
        let _ = subst::substitute(&command, &found, |o| match &o.found {
            Found::Placeholder(_) => Some(("V".to_owned(), "x'\"$(y)`z`".to_owned())),
            _ => None,
        });
    }
}
