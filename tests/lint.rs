//! `docrun lint` end to end: a fixture with one of each problem, a clean guide, a real problem in
//! a shipped runbook, guides that do not parse, unreadable paths, and the whole istio.io corpus.

mod support;

use std::path::Path;

use assert_cmd::Command;
use serde_json::Value;

const EVERY_PROBLEM: &str = "tests/fixtures/lint/every-problem.md";
const CLEAN: &str = "tests/fixtures/lint/clean.md";
const CORPUS: &str = "tests/corpus/istio/content";
const RULES: &[&str] = &[
    "parse",
    "overlay",
    "no-command",
    "orphan-output",
    "not-shell",
    "exec-it",
    "undefined-var",
    "placeholder",
    "bash-syntax",
    "duplicate-snip-id",
    "duplicate-anchor",
    "hidden-characters",
    "step-id",
    "tree",
];

fn docrun() -> Command {
    Command::from_std(support::docrun::docrun_in_project())
}

/// Runs `docrun lint --format json` on `paths`: the exit code and the document.
fn lint_json(paths: &[&str]) -> (i32, Value) {
    let out = docrun()
        .arg("lint")
        .args(paths)
        .args(["--format", "json"])
        .output()
        .unwrap();
    let json = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "{e}: {}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (out.status.code().unwrap(), json)
}

fn findings(json: &Value) -> &Vec<Value> {
    json["findings"].as_array().unwrap()
}

/// (rule, line) of each finding, in order.
fn rules_and_lines(json: &Value) -> Vec<(String, u64)> {
    findings(json)
        .iter()
        .map(|f| {
            (
                f["rule"].as_str().unwrap().to_owned(),
                f["line"].as_u64().unwrap(),
            )
        })
        .collect()
}

fn has(json: &Value, file: &str, line: u64, rule: &str) -> bool {
    findings(json).iter().any(|f| {
        f["file"].as_str().unwrap().ends_with(file) && f["line"] == line && f["rule"] == rule
    })
}

#[test]
fn every_problem_is_found_once_at_its_line() {
    let (code, json) = lint_json(&[EVERY_PROBLEM]);
    assert_eq!(code, 1);
    let expected = [
        ("no-command", 27),
        ("orphan-output", 33),
        ("duplicate-snip-id", 38),
        ("duplicate-anchor", 42),
        ("exec-it", 45),
        ("undefined-var", 49),
        ("placeholder", 53),
        ("bash-syntax", 57),
        ("not-shell", 62),
    ];
    let expected: Vec<(String, u64)> = expected.iter().map(|(r, l)| (r.to_string(), *l)).collect();
    assert_eq!(rules_and_lines(&json), expected, "{json:#}");
    let severities: Vec<&str> = findings(&json)
        .iter()
        .map(|f| f["severity"].as_str().unwrap())
        .collect();
    assert_eq!(
        severities,
        ["warning", "warning", "error", "error", "error", "warning", "error", "error", "warning"]
    );
    assert_eq!(json["schema"], "docrun.lint/v1");
    assert_eq!(
        json["summary"],
        serde_json::json!({"errors": 5, "warnings": 4, "guides": 1})
    );
}

#[test]
fn text_output_names_file_line_column_rule_and_hint() {
    let out = docrun().args(["lint", EVERY_PROBLEM]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 9 * 2 + 1, "{stdout}");
    assert!(
        lines[8].starts_with(&format!(
            "{EVERY_PROBLEM}:45:44: error[exec-it]: `kubectl exec -it` "
        )),
        "{stdout}"
    );
    assert!(
        lines[9].starts_with("  hint: drop `-i` and `-t`"),
        "{stdout}"
    );
    assert_eq!(lines[18], "5 errors, 4 warnings in 1 guide");
}

#[test]
fn a_clean_guide_has_no_findings_and_exits_0() {
    let out = docrun().args(["lint", CLEAN]).output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        "0 errors, 0 warnings in 1 guide\n"
    );
    let (code, json) = lint_json(&[CLEAN]);
    assert_eq!(code, 0);
    assert_eq!(findings(&json).len(), 0);
}

#[test]
fn warnings_alone_exit_0() {
    let dir = tempfile::tempdir().unwrap();
    let guide = dir.path().join("g.md");
    std::fs::write(
        &guide,
        "---\ntitle: T\n---\n\n{{< text bash >}}\n$ echo \"$UNSET_SOMEWHERE\"\n{{< /text >}}\n",
    )
    .unwrap();
    let (code, json) = lint_json(&[guide.to_str().unwrap()]);
    assert_eq!(code, 0);
    assert_eq!(rules_and_lines(&json), [("undefined-var".to_owned(), 6)]);
}

#[test]
fn the_chinese_verify_page_of_istio_io_repeats_an_anchor() {
    let (code, json) = lint_json(&["tests/fixtures/lint/istio/verify.zh.md"]);
    assert_eq!(code, 1);
    let errors: Vec<&Value> = findings(&json)
        .iter()
        .filter(|f| f["severity"] == "error")
        .collect();
    assert_eq!(errors.len(), 1, "{json:#}");
    let f = errors[0];
    assert_eq!(
        (f["rule"].as_str(), f["line"].as_u64(), f["column"].as_u64()),
        (Some("duplicate-anchor"), Some(95), Some(28))
    );
    assert_eq!(
        f["message"],
        "anchor `#deploy-helloworld-v1` is already the anchor of the heading at line 75"
    );
}

#[test]
fn guides_that_do_not_parse_are_findings_and_the_others_are_still_linted() {
    let (code, json) = lint_json(&["tests/fixtures/bad", CLEAN]);
    assert_eq!(code, 1);
    let got: Vec<(&str, &str, u64, u64)> = findings(&json)
        .iter()
        .map(|f| {
            (
                f["file"].as_str().unwrap(),
                f["rule"].as_str().unwrap(),
                f["line"].as_u64().unwrap(),
                f["column"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            ("tests/fixtures/bad/front-matter.md", "parse", 3, 5),
            ("tests/fixtures/bad/shortcode-arg.md", "parse", 5, 17),
            ("tests/fixtures/bad/unclosed-text.md", "parse", 8, 1),
        ]
    );
    assert!(findings(&json)[2]["message"]
        .as_str()
        .unwrap()
        .contains("never closed"));
    assert_eq!(json["summary"]["guides"], 4);
}

#[test]
fn a_path_that_does_not_exist_exits_2_after_linting_the_rest() {
    let out = docrun()
        .args(["lint", "no/such/guide.md", CLEAN])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("no/such/guide.md"), "{stderr}");
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        "0 errors, 0 warnings in 1 guide\n"
    );
}

/// The whole corpus lints without a crash; every finding is well-formed, and problems that are
/// really in the istio.io guides are found.
#[test]
fn the_corpus_lints_with_well_formed_findings_and_its_real_problems() {
    let (code, json) = lint_json(&[CORPUS]);
    assert!(code == 0 || code == 1, "exit {code}");
    let guides = count_md(Path::new(env!("CARGO_MANIFEST_DIR")).join(CORPUS).as_path());
    assert_eq!(json["summary"]["guides"], guides);
    let mut errors = 0;
    for f in findings(&json) {
        let file = f["file"].as_str().unwrap();
        assert!(file.starts_with(CORPUS) && file.ends_with(".md"), "{f}");
        assert!(f["line"].as_u64().unwrap() >= 1, "{f}");
        assert!(f["column"].as_u64().unwrap() >= 1, "{f}");
        assert!(RULES.contains(&f["rule"].as_str().unwrap()), "{f}");
        assert!(!f["message"].as_str().unwrap().is_empty(), "{f}");
        assert!(!f["hint"].as_str().unwrap().is_empty(), "{f}");
        match f["severity"].as_str().unwrap() {
            "error" => errors += 1,
            "warning" => {}
            other => panic!("severity {other}"),
        }
        // Every corpus guide reads as a guide.
        assert_ne!(f["rule"], "parse", "{f}");
    }
    assert_eq!(json["summary"]["errors"], errors);
    assert_eq!(code, if errors > 0 { 1 } else { 0 });

    // `{{< text bask >}}`: the istioctl command is shown but never extracted or run.
    assert!(has(
        &json,
        "egress/egress-gateway/index.md",
        78,
        "not-shell"
    ));
    // An unquoted `<<EOF` heredoc: the shell expands `${CHECK_FILE}` (and `$(date)`) when it
    // writes istio.yaml, instead of leaving them to the sidecar's own shell.
    assert!(has(
        &json,
        "integrations/spire/index.md",
        226,
        "undefined-var"
    ));
    // `exec -i -t` for a one-shot curl: it needs no terminal and hangs without one.
    assert!(has(
        &json,
        "boilerplates/cve-2020-007-configmap.md",
        19,
        "exec-it"
    ));
    // A tested guide whose first step is `VM_APP="<the name of the application ...>"`.
    assert!(has(
        &json,
        "install/virtual-machine/index.md",
        36,
        "placeholder"
    ));
}

fn count_md(dir: &Path) -> usize {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .map(|p| {
            if p.is_dir() {
                count_md(&p)
            } else {
                usize::from(p.extension().is_some_and(|e| e == "md"))
            }
        })
        .sum()
}

#[test]
fn lint_reports_every_problem_above_an_unclosed_block_in_one_pass() {
    let dir = tempfile::tempdir().unwrap();
    let guide = dir.path().join("g.md");
    std::fs::write(
        &guide,
        "---\ntest: yes\n---\n## A {#a}\n\n{{< text bash >}}\n$ kubectl exec -it web -- sh\n{{< /text >}}\n\n## A {#a}\n\n{{< tip >}}\nnever closed\n\n{{< text bash >}}\n$ echo \"$(ls\n{{< /text >}}\n\n{{< /warning >}}\n\n{{< text bash >}}\n$ ls\n",
    )
    .unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_docrun"))
        .env(
            "DOCRUN_STATE_DIR",
            std::env::temp_dir().join(format!("docrun-test-state-{}", std::process::id())),
        )
        .args(["lint", guide.to_str().unwrap(), "--format", "json"])
        .output()
        .unwrap();
    let found = support::lint::rules_and_lines(&out.stdout);
    for expected in [
        ("exec-it", 7),
        ("duplicate-anchor", 10),
        ("parse", 12),
        ("bash-syntax", 16),
        ("parse", 19),
        ("parse", 21),
    ] {
        assert!(
            found.contains(&(expected.0.to_owned(), expected.1)),
            "{expected:?} in {found:?}"
        );
    }
    assert_eq!(out.status.code(), Some(1));
}
