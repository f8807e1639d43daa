//! Every JSON document docrun prints (`--format json` of list, vars, plan, check, lint,
//! `test --list` and graph) names its schema in a top-level `"schema"` field, and every line of
//! the event stream (`--json` of run and test) names `docrun.events/v1`. The schemas ship in
//! `docs/schemas/NAME.json` (JSON Schema draft 2020-12), `docrun.NAME/v1` in `NAME.json`.
//!
//! These tests run the commands on real guides (the corpora in `tests/corpus`, the runbook
//! docrun ships) and validate what they print against the shipped schemas. A document whose
//! schema is not shipped fails, and so does a shipped schema that no document here uses.

mod support;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use serde_json::Value;
use support::docrun::{docrun, docrun_in_project, printed};

const MULTICLUSTER: &str = "tests/corpus/istio/content/en/docs/setup/install/multicluster";
const MULTI_PRIMARY: &str =
    "tests/corpus/istio/content/en/docs/setup/install/multicluster/multi-primary/index.md";
const VERIFY: &str =
    "tests/corpus/istio/content/en/docs/setup/install/multicluster/verify/index.md";
const LINKERD: &str = "tests/corpus/linkerd/linkerd.io/content/2-edge/tasks";
const CERT_MANAGER: &str =
    "tests/corpus/cert-manager/content/docs/tutorials/getting-started-with-trust-manager/README.md";

fn schemas_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/schemas")
}

/// The file that holds the schema `name` (`docrun.plan/v1` is in `plan.json`), read and
/// compiled; an error says which file is missing or wrong.
fn validator(name: &str) -> Result<jsonschema::Validator, String> {
    let stem = name
        .strip_prefix("docrun.")
        .and_then(|rest| rest.strip_suffix("/v1"))
        .ok_or_else(|| format!("`{name}` is not a schema name docrun.NAME/v1"))?;
    let file = schemas_dir().join(format!("{stem}.json"));
    let text = std::fs::read_to_string(&file)
        .map_err(|e| format!("no schema for `{name}`: {}: {e}", file.display()))?;
    let schema: Value =
        serde_json::from_str(&text).map_err(|e| format!("{}: not JSON: {e}", file.display()))?;
    if schema["$schema"] != "https://json-schema.org/draft/2020-12/schema" {
        return Err(format!("{}: not a draft 2020-12 schema", file.display()));
    }
    jsonschema::meta::validate(&schema)
        .map_err(|e| format!("{}: not a valid schema: {e}", file.display()))?;
    // The schema pins the name it is for, so a document of another version does not pass.
    let pinned = schema
        .pointer("/properties/schema/const")
        .or_else(|| schema.pointer("/oneOf/0/properties/schema/const"));
    if pinned != Some(&Value::from(name)) {
        return Err(format!(
            "{}: does not pin `schema` to `{name}`",
            file.display()
        ));
    }
    jsonschema::draft202012::new(&schema).map_err(|e| format!("{}: {e}", file.display()))
}

/// Validates a document against the schema it names, and returns that name.
fn assert_valid(what: &str, document: &Value) -> String {
    let name = document["schema"]
        .as_str()
        .unwrap_or_else(|| panic!("{what}: no top-level \"schema\" field"))
        .to_owned();
    let validator = validator(&name).unwrap_or_else(|e| panic!("{what}: {e}"));
    let errors: Vec<String> = validator
        .iter_errors(document)
        .take(10)
        .map(|e| format!("at {}: {e}", e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "{what} against {name}:\n{}",
        errors.join("\n")
    );
    name
}

/// The JSON docrun printed on stdout; `codes` are the exit codes the command may end with.
fn json_of(what: &str, cmd: &mut std::process::Command, codes: &[i32]) -> Value {
    let out = cmd.output().unwrap();
    assert!(
        out.status.code().is_some_and(|c| codes.contains(&c)),
        "{what}: {}",
        printed(&out)
    );
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{what}: not one JSON document ({e}): {}", printed(&out)))
}

/// A kubeconfig whose two contexts point at a port where no API server listens: `check`
/// reports every check that needs an answer as failed, and prints its document all the same.
fn unreachable_kubeconfig(dir: &Path) -> PathBuf {
    let path = dir.join("kubeconfig");
    std::fs::write(
        &path,
        "apiVersion: v1\nkind: Config\nclusters:\n- name: x\n  cluster: {server: \"https://127.0.0.1:1\"}\n\
         users:\n- name: u\n  user: {token: t}\ncontexts:\n- name: c1\n  context: {cluster: x, user: u}\n\
         - name: c2\n  context: {cluster: x, user: u}\ncurrent-context: c1\n",
    )
    .unwrap();
    path
}

#[test]
fn every_document_names_its_schema_and_is_valid_against_the_shipped_one() {
    let dir = tempfile::tempdir().unwrap();
    let contexts = ["--set", "CTX_CLUSTER1=c1", "--set", "CTX_CLUSTER2=c2"];
    let documents: Vec<(&str, Value)> = vec![
        (
            "list",
            json_of(
                "list",
                docrun_in_project().args(["list", MULTI_PRIMARY, VERIFY, "--format", "json"]),
                &[0],
            ),
        ),
        (
            "vars",
            json_of(
                "vars",
                docrun_in_project()
                    .args(["vars", MULTI_PRIMARY, "--format", "json"])
                    .args(&contexts[..2]),
                &[0],
            ),
        ),
        (
            "plan --effects",
            json_of(
                "plan",
                docrun_in_project()
                    .args(["plan", MULTI_PRIMARY, "--effects", "--format", "json"])
                    .args(contexts),
                &[0],
            ),
        ),
        (
            "plan --with-prereqs",
            json_of(
                "plan --with-prereqs",
                docrun_in_project().args([
                    "plan",
                    VERIFY,
                    "--with-prereqs",
                    "--allow-missing",
                    "--format",
                    "json",
                ]),
                &[0],
            ),
        ),
        (
            "check",
            json_of(
                "check",
                docrun_in_project()
                    .env("KUBECONFIG", unreachable_kubeconfig(dir.path()))
                    .args([
                        "check",
                        MULTI_PRIMARY,
                        "--timeout",
                        "2s",
                        "--format",
                        "json",
                    ])
                    .args(contexts),
                &[1],
            ),
        ),
        (
            "lint",
            json_of(
                "lint",
                docrun_in_project().args(["lint", MULTICLUSTER, LINKERD, "--format", "json"]),
                &[0, 1],
            ),
        ),
        (
            "test --list",
            json_of(
                "test --list",
                docrun_in_project().args(["test", MULTICLUSTER, "--list", "--format", "json"]),
                &[0],
            ),
        ),
        (
            "graph",
            json_of(
                "graph",
                docrun_in_project().args(["graph", MULTICLUSTER, "--format", "json"]),
                &[0],
            ),
        ),
        (
            "list (cert-manager)",
            json_of(
                "list",
                docrun_in_project().args(["list", CERT_MANAGER, "--format", "json"]),
                &[0],
            ),
        ),
    ];
    let mut used = BTreeSet::new();
    for (what, document) in &documents {
        used.insert(assert_valid(what, document));
    }
    // What the documents hold is worth validating: each one has real content.
    assert!(
        documents[0].1["guides"][1]["steps"]
            .as_array()
            .unwrap()
            .len()
            > 5
    );
    assert_eq!(documents[1].1["vars"][0]["source"], "flag");
    assert!(documents[2].1["effects"]["steps"].as_array().unwrap().len() > 5);
    assert!(
        documents[4].1["groups"][0]["results"]
            .as_array()
            .unwrap()
            .len()
            > 1
    );

    // Every shipped schema is used by a document above, or by the event stream below.
    used.insert("docrun.events/v1".to_owned());
    let shipped: BTreeSet<String> = std::fs::read_dir(schemas_dir())
        .unwrap()
        .map(|e| {
            let name = e.unwrap().file_name().to_string_lossy().into_owned();
            format!("docrun.{}/v1", name.strip_suffix(".json").unwrap_or(&name))
        })
        .collect();
    assert_eq!(
        shipped, used,
        "docs/schemas and the documents docrun prints"
    );
}

/// The lines of `--json`, each validated as an event; returns their types.
fn assert_valid_events(what: &str, stdout: &[u8]) -> Vec<String> {
    let text = String::from_utf8_lossy(stdout);
    assert!(!text.is_empty(), "{what}: no events");
    text.lines()
        .map(|line| {
            assert!(
                line.starts_with("{\"schema\":\"docrun.events/v1\","),
                "{what}: every line names its schema first: {line}"
            );
            let event: Value = serde_json::from_str(line).unwrap();
            assert_eq!(assert_valid(what, &event), "docrun.events/v1");
            event["type"].as_str().unwrap().to_owned()
        })
        .collect()
}

#[test]
fn every_event_line_of_run_and_test_names_its_schema_and_is_valid() {
    // The runbook docrun ships, which passes; it needs openssl, no cluster.
    let dir = tempfile::tempdir().unwrap();
    let out = docrun_in_project()
        .args([
            "run",
            "runbooks/local/configure-trust.md",
            "--json",
            "--set",
        ])
        .arg(format!("CA_DIR={}", dir.path().join("ca").display()))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", printed(&out));
    let types = assert_valid_events("run --json", &out.stdout);
    for t in [
        "run_started",
        "step_started",
        "output",
        "step_finished",
        "run_finished",
    ] {
        assert!(types.iter().any(|x| x == t), "{t} in {types:?}");
    }

    // A guide that fails, with a diff and a message, through `docrun test`, after retries.
    std::fs::write(
        dir.path().join("g.md"),
        "---\ntitle: Fails\ntest: yes\n---\n## Check {#check}\n\n{{< text bash >}}\n$ echo two\none\n{{< /text >}}\n",
    )
    .unwrap();
    let out = docrun(dir.path())
        .args(["test", "g.md", "--json", "--retry", "500ms"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", printed(&out));
    let types = assert_valid_events("test --json", &out.stdout);
    assert!(types.iter().any(|t| t == "step_retry"), "{types:?}");
    let failed = String::from_utf8_lossy(&out.stdout);
    assert!(failed.contains("\"status\":\"failed\"") && failed.contains("\"diff\":\""));
}

/// The hygiene event needs clusters to happen: it is made here and written as the stream
/// writes every event.
#[test]
fn a_hygiene_event_line_is_valid() {
    use docrun::events::{ClusterObject, Event, HygieneStatus, Masker};
    use docrun::report::json_lines::json_line;
    let event = Event::Hygiene {
        guide: "g.md".into(),
        status: HygieneStatus::Leaked,
        fails: true,
        contexts: vec!["c1".into()],
        leaked: vec![ClusterObject {
            context: "c1".into(),
            kind: "ConfigMap".into(),
            namespace: Some("default".into()),
            name: "debris".into(),
        }],
        removed: vec![],
        unreachable: vec![],
        duration_ms: 12,
    };
    let line = json_line(&Masker::none().mask(event)).unwrap();
    assert_valid("hygiene", &serde_json::from_str(&line).unwrap());
}

#[test]
fn a_document_whose_schema_is_not_shipped_is_an_error() {
    let Err(err) = validator("docrun.nothing/v1") else {
        panic!("a schema for docrun.nothing/v1")
    };
    assert!(err.contains("no schema for `docrun.nothing/v1`"), "{err}");
    assert!(validator("plan").is_err());
}
