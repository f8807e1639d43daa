//! Cluster hygiene end to end: `docrun test --hygiene` against two fake API servers
//! (tests/support/fakekube.rs; a test double, not Kubernetes: it keeps a deleted namespace
//! `Terminating` for `--namespace-deletion-delay` seconds, as a real namespace controller takes
//! a while to empty it). The guides are in tests/fixtures/hygiene, whose docrun.yaml excludes
//! the namespace `scratch` besides the system ones.
//!
//! - a guide that creates a namespace and a ConfigMap and deletes them passes;
//! - one that leaves a ConfigMap fails under `--hygiene fail` (warns under `warn`), naming
//!   context/kind/namespace/name in the terminal, in JUnit and in the JSON events;
//! - one whose namespace is still terminating after its last step passes once the deletion
//!   settles, and fails when the settle budget is too short for it;
//! - objects left in excluded namespaces never count;
//! - a guide that uses no cluster takes no snapshot; an unreachable context is reported once;
//! - under `--hygiene fail` a context that cannot be read, before or after the guide, fails the
//!   guide (exit 1, JUnit failure `unreadable`); under `warn` it is a warning.

mod support;

use std::path::Path;
use std::process::{Command, Output};

use support::fakekube::{ContextEntry, FakeKube, Options};

const TREE: &str = "tests/fixtures/hygiene";

fn docrun(kube: &FakeKube, kubeconfig: &Path, args: &[&str]) -> (Output, String) {
    let project = Path::new(env!("CARGO_MANIFEST_DIR"));
    let out = support::docrun::docrun_with_kube(kube, kubeconfig, project)
        .arg("test")
        .arg(TREE)
        .args(args)
        .output()
        .unwrap();
    let text = support::docrun::printed(&out);
    (out, text)
}

fn test(kube: &FakeKube, args: &[&str]) -> (Output, String) {
    docrun(kube, &kube.kubeconfig_path, args)
}

fn kubectl_ok(kube: &FakeKube, context: &str, args: &[&str]) -> String {
    let out = kube.kubectl(context, args, None);
    assert!(
        out.status.success(),
        "kubectl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn a_guide_that_deletes_what_it_made_passes_and_one_that_leaks_fails_naming_the_object() {
    let kube = FakeKube::start();
    let dir = tempfile::tempdir().unwrap();
    let junit = dir.path().join("report.xml");
    let (out, text) = test(
        &kube,
        &[
            "--filter",
            "clean",
            "--filter",
            "leaky",
            "--hygiene",
            "fail",
            "-j",
            "2",
            "--junit",
            junit.to_str().unwrap(),
        ],
    );
    if std::env::var_os("DOCRUN_SHOW").is_some() {
        eprintln!("{text}");
    }
    assert_eq!(out.status.code(), Some(1), "{text}");
    // The terminal: the clean guide's hygiene passes, the leaky one's fails naming the object.
    assert!(
        text.contains("PASS hygiene  (c1)"),
        "the clean guide passes hygiene: {text}"
    );
    assert!(text.contains("FAIL hygiene  (c1)"), "{text}");
    assert!(
        text.contains("leaked   c1/ConfigMap/default/leftover"),
        "names context/kind/namespace/name: {text}"
    );
    assert!(
        !text.contains("hyg-clean") && !text.contains("Namespace/hyg-leaky"),
        "deleted namespaces are not leaks: {text}"
    );
    let summary: Vec<&str> = text
        .lines()
        .filter(|l| l.contains("fixtures/hygiene/"))
        .collect();
    assert!(
        summary
            .iter()
            .any(|l| l.contains("clean.md") && l.ends_with("passed")),
        "{summary:?}"
    );
    assert!(
        summary
            .iter()
            .any(|l| l.contains("leaky.md") && l.ends_with("FAILED")),
        "{summary:?}"
    );
    // The cluster itself still holds the leak (docrun reports, it does not clean up).
    kubectl_ok(
        &kube,
        "c1",
        &["-n", "default", "get", "configmap", "leftover"],
    );

    // JUnit: a testcase `hygiene` per guide, failed for the leak, naming the object.
    let xml = std::fs::read_to_string(&junit).unwrap();
    let lint = Command::new("xmllint")
        .args(["--noout", "--schema", "tests/schemas/junit-10.xsd"])
        .arg(&junit)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output();
    if let Ok(lint) = lint {
        assert!(
            lint.status.success(),
            "{}",
            String::from_utf8_lossy(&lint.stderr)
        );
    }
    assert_eq!(
        xml.matches("<testcase name=\"hygiene\"").count(),
        2,
        "{xml}"
    );
    let leaky = &xml[xml.find("leaky.md").unwrap()..];
    let case = &leaky[leaky.find("<testcase name=\"hygiene\"").unwrap()..];
    let case = &case[..case.find("</testcase>").unwrap()];
    assert!(case.contains("<failure"), "{case}");
    assert!(
        case.contains("leaked c1/ConfigMap/default/leftover"),
        "{case}"
    );
}

#[test]
fn warn_reports_the_leak_and_keeps_the_result_and_json_events_carry_it() {
    let kube = FakeKube::start();
    let (out, text) = test(&kube, &["--filter", "leaky", "--json"]);
    assert_eq!(out.status.code(), Some(0), "warn is the default: {text}");
    assert!(text.contains("WARN hygiene  (c1)"), "{text}");
    assert!(
        text.contains("leaked   c1/ConfigMap/default/leftover"),
        "{text}"
    );
    let events: Vec<serde_json::Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let hygiene: Vec<&serde_json::Value> =
        events.iter().filter(|e| e["type"] == "hygiene").collect();
    assert_eq!(hygiene.len(), 1, "{events:?}");
    assert_eq!(hygiene[0]["status"], "leaked");
    assert_eq!(hygiene[0]["fails"], false);
    assert_eq!(
        hygiene[0]["leaked"],
        serde_json::json!([{"context": "c1", "kind": "ConfigMap", "namespace": "default", "name": "leftover"}])
    );
    let types: Vec<&str> = events.iter().filter_map(|e| e["type"].as_str()).collect();
    assert_eq!(
        &types[types.len() - 2..],
        ["hygiene", "run_finished"],
        "hygiene comes just before the guide's end: {types:?}"
    );
}

#[test]
fn a_deletion_that_completes_after_the_last_step_passes_once_it_settles() {
    let kube = FakeKube::start_with(Options {
        namespace_deletion_delay: 3.0,
        ..Options::default()
    });
    let (out, text) = test(&kube, &["--filter", "slow", "--hygiene", "fail"]);
    assert_eq!(out.status.code(), Some(0), "{text}");
    let line = text
        .lines()
        .find(|l| l.starts_with("PASS hygiene"))
        .unwrap_or_else(|| panic!("{text}"));
    // It took the namespace's deletion delay: docrun looked again until it was gone.
    let took: f64 = line
        .split_whitespace()
        .find_map(|w| w.strip_suffix('s').and_then(|n| n.parse().ok()))
        .unwrap();
    assert!(took >= 2.0, "waited for the deletion: {line}");
    assert!(kube
        .kubectl("c1", &["get", "namespace", "hyg-slow"], None)
        .stderr
        .starts_with(b"Error from server (NotFound)"));

    // With a settle budget shorter than the deletion, the same guide fails, naming what was
    // still there.
    let kube = FakeKube::start_with(Options {
        namespace_deletion_delay: 5.0,
        ..Options::default()
    });
    let (out, text) = test(
        &kube,
        &[
            "--filter",
            "slow",
            "--hygiene",
            "fail",
            "--hygiene-settle",
            "1s",
        ],
    );
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(text.contains("leaked   c1/Namespace/hyg-slow"), "{text}");
    assert!(
        text.contains("leaked   c1/ConfigMap/hyg-slow/settings"),
        "{text}"
    );
}

#[test]
fn objects_in_excluded_namespaces_never_count() {
    let kube = FakeKube::start();
    let (out, text) = test(&kube, &["--filter", "excluded", "--hygiene", "fail"]);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(text.contains("PASS hygiene  (c2)"), "{text}");
    // The objects are there; they are just not counted.
    kubectl_ok(
        &kube,
        "c2",
        &["-n", "kube-system", "get", "configmap", "cache"],
    );
    kubectl_ok(&kube, "c2", &["-n", "scratch", "get", "configmap", "notes"]);
}

#[test]
fn a_guide_without_a_cluster_takes_no_snapshot_and_an_unreachable_context_is_said_once_under_warn()
{
    let kube = FakeKube::start();
    let kubeconfig = kube.dir.path().join("with-gone");
    let mut entries = kube.entries_named("c1", "c2");
    entries.push(ContextEntry {
        name: "gone".into(),
        server: format!("http://127.0.0.1:{}", support::fakekube::free_port()),
        ca: None,
        insecure: false,
        token: "x".into(),
    });
    kube.write_kubeconfig(&kubeconfig, &entries);
    let dir = tempfile::tempdir().unwrap();
    let junit = dir.path().join("report.xml");
    let (out, text) = docrun(
        &kube,
        &kubeconfig,
        &[
            "--filter",
            "unreachable",
            "--filter",
            "local",
            "--hygiene",
            "warn",
            "-j",
            "1",
            "--junit",
            junit.to_str().unwrap(),
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert_eq!(
        text.matches("context gone cannot be read").count(),
        1,
        "said once for two guides: {text}"
    );
    assert!(!text.contains("leaked"), "{text}");
    let xml = std::fs::read_to_string(&junit).unwrap();
    let local = &xml[xml.find("local.md").unwrap()..];
    let local = &local[..local.find("</testsuite>").unwrap()];
    assert!(
        !local.contains("hygiene"),
        "no snapshot for a guide without a cluster: {local}"
    );
    assert_eq!(
        xml.matches("cannot read context gone").count(),
        2,
        "each guide on it says it was not checked: {xml}"
    );
}

#[test]
fn a_removed_object_is_reported_and_flags_add_exclusions() {
    let kube = FakeKube::start();
    kubectl_ok(
        &kube,
        "c2",
        &[
            "-n",
            "default",
            "create",
            "configmap",
            "keep-me",
            "--from-literal=a=b",
        ],
    );
    let (out, text) = test(&kube, &["--filter", "remover", "--hygiene", "fail"]);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(text.contains("FAIL hygiene  (c2)"), "{text}");
    assert!(text.contains("1 leaked, 1 removed"), "{text}");
    assert!(
        text.contains("leaked   c2/Secret/default/made-here"),
        "{text}"
    );
    assert!(
        text.contains("removed  c2/ConfigMap/default/keep-me"),
        "{text}"
    );

    // Excluding the kinds by flag (by kind, and by plural) makes the same change clean.
    kubectl_ok(
        &kube,
        "c2",
        &[
            "-n",
            "default",
            "create",
            "configmap",
            "keep-me",
            "--from-literal=a=b",
        ],
    );
    kubectl_ok(
        &kube,
        "c2",
        &["-n", "default", "delete", "secret", "made-here"],
    );
    let (out, text) = test(
        &kube,
        &[
            "--filter",
            "remover",
            "--hygiene",
            "fail",
            "--hygiene-exclude-kind",
            "secrets",
            "--hygiene-exclude-kind",
            "ConfigMap",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(text.contains("PASS hygiene  (c2)"), "{text}");
}

#[test]
fn a_server_that_never_answers_costs_one_call_timeout_not_a_hang() {
    let kube = FakeKube::start();
    // Connections are accepted (by the kernel's backlog) and never answered.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let kubeconfig = kube.dir.path().join("with-hang");
    let mut entries = kube.entries_named("c1", "c2");
    entries.push(ContextEntry {
        name: "hang".into(),
        server: format!("http://{}", silent.local_addr().unwrap()),
        ca: None,
        insecure: false,
        token: "x".into(),
    });
    kube.write_kubeconfig(&kubeconfig, &entries);
    let started = std::time::Instant::now();
    let (out, text) = docrun(
        &kube,
        &kubeconfig,
        &["--filter", "hanging", "--hygiene", "fail"],
    );
    let took = started.elapsed();
    if std::env::var_os("DOCRUN_SHOW").is_some() {
        eprintln!("{took:?}\n{text}");
    }
    // Not read is not clean: under `fail` the guide fails.
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(
        text.contains("context hang cannot be read") && text.contains("did not answer within 5"),
        "{text}"
    );
    assert!(
        took < std::time::Duration::from_secs(30),
        "bounded by the call timeout, not the settle budget: {took:?}"
    );
    drop(silent);
}

#[test]
fn the_contexts_of_included_pages_are_snapshotted_too() {
    let kube = FakeKube::start();
    let (out, text) = test(&kube, &["--filter", "included", "--hygiene", "fail"]);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(text.contains("FAIL hygiene  (c2)"), "{text}");
    assert!(
        text.contains("leaked   c2/ConfigMap/default/from-boilerplate"),
        "{text}"
    );
}

#[test]
fn a_500_on_the_first_discovery_call_does_not_make_a_context_unreadable() {
    let kube = FakeKube::start();
    // c1 answers through a proxy whose first answer is a 500 (to docrun's discovery).
    let proxy = support::faultproxy::FaultProxy::start(&kube.c1.url, "e500:1", kube.dir.path());
    let kubeconfig = kube.dir.path().join("flaky-c1");
    let mut entries = kube.entries_named("c1", "c2");
    entries[0].server = proxy.url.clone();
    kube.write_kubeconfig(&kubeconfig, &entries);
    let (out, text) = docrun(
        &kube,
        &kubeconfig,
        &["--filter", "clean", "--hygiene", "fail"],
    );
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(!text.contains("cannot be read"), "{text}");
    assert!(text.contains("PASS hygiene  (c1)"), "{text}");
    let requests = proxy.requests();
    assert!(
        requests[0].starts_with("GET /api"),
        "the 500 went to discovery: {requests:?}"
    );
}

/// The JUnit testcase `hygiene` of the guide whose file name contains `guide`.
fn hygiene_case(xml: &str, guide: &str) -> String {
    let from = &xml[xml.find(guide).unwrap()..];
    let case = &from[from.find("<testcase name=\"hygiene\"").unwrap()..];
    case[..case.find("</testcase>").unwrap()].to_string()
}

#[test]
fn under_fail_a_context_that_cannot_be_read_fails_each_guide_that_uses_it() {
    let kube = FakeKube::start();
    let kubeconfig = kube.dir.path().join("with-gone");
    let mut entries = kube.entries_named("c1", "c2");
    entries.push(ContextEntry {
        name: "gone".into(),
        server: format!("http://127.0.0.1:{}", support::fakekube::free_port()),
        ca: None,
        insecure: false,
        token: "x".into(),
    });
    kube.write_kubeconfig(&kubeconfig, &entries);
    let dir = tempfile::tempdir().unwrap();
    let junit = dir.path().join("report.xml");
    let (out, text) = docrun(
        &kube,
        &kubeconfig,
        &[
            "--filter",
            "unreachable",
            "--hygiene",
            "fail",
            "-j",
            "1",
            "--junit",
            junit.to_str().unwrap(),
        ],
    );
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert_eq!(
        text.matches("context gone cannot be read, so every guide that uses it fails")
            .count(),
        1,
        "the reason is said once: {text}"
    );
    assert_eq!(
        text.matches("FAIL hygiene  (gone)").count(),
        2,
        "each guide fails: {text}"
    );
    let xml = std::fs::read_to_string(&junit).unwrap();
    for guide in ["unreachable-1.md", "unreachable-2.md"] {
        let case = hygiene_case(&xml, guide);
        assert!(
            case.contains("<failure") && case.contains("type=\"unreadable\""),
            "{case}"
        );
        assert!(case.contains("cannot read context gone"), "{case}");
    }
}

#[test]
fn a_guide_that_leaks_and_leaves_its_context_unreadable_fails_under_fail() {
    let kube = FakeKube::start();
    let guides = tempfile::tempdir().unwrap();
    let junit = guides.path().join("report.xml");
    for (mode, code) in [("warn", 0), ("fail", 1)] {
        // c1 is reached through a proxy that the guide stops after leaking a ConfigMap: the
        // snapshot after the guide cannot be taken, so the leak cannot be seen.
        let proxy = support::faultproxy::FaultProxy::start(&kube.c1.url, "", kube.dir.path());
        let kubeconfig = kube.dir.path().join(format!("vanishing-{mode}"));
        let mut entries = kube.entries_named("c1", "c2");
        entries[0].server = proxy.url.clone();
        kube.write_kubeconfig(&kubeconfig, &entries);
        let guide = guides.path().join(format!("vanishing-{mode}.md"));
        std::fs::write(
            &guide,
            format!(
                "---\ntitle: Vanishing\n---\nLeaks, then its cluster goes away.\n\n## Leak {{#leak}}\n\n\
                 ```bash\nkubectl --context=c1 -n default create configmap left-{mode} --from-literal=a=b\n\
                 kill {}\n```\n",
                proxy.pid()
            ),
        )
        .unwrap();
        let out = support::docrun::docrun_with_kube(&kube, &kubeconfig, guides.path())
            .arg("run")
            .arg(&guide)
            .args(["--hygiene", mode, "--junit"])
            .arg(&junit)
            .output()
            .unwrap();
        let text = support::docrun::printed(&out);
        assert_eq!(out.status.code(), Some(code), "--hygiene {mode}: {text}");
        assert!(text.contains("context c1 cannot be read"), "{text}");
        let case = hygiene_case(&std::fs::read_to_string(&junit).unwrap(), "vanishing");
        assert_eq!(case.contains("<failure"), mode == "fail", "{case}");
    }
}

#[test]
fn under_fail_a_kubeconfig_that_cannot_be_read_stops_the_run_before_it_starts() {
    let kube = FakeKube::start();
    let missing = kube.dir.path().join("no-such-kubeconfig");
    let (out, text) = docrun(&kube, &missing, &["--filter", "clean", "--hygiene", "fail"]);
    assert_eq!(out.status.code(), Some(2), "{text}");
    assert!(
        text.contains("hygiene: cannot read the kubeconfig") && text.contains("--hygiene warn"),
        "{text}"
    );
    assert!(!text.contains("PASS"), "nothing ran: {text}");
    let (out, text) = docrun(&kube, &missing, &["--filter", "local", "--hygiene", "warn"]);
    assert_eq!(out.status.code(), Some(0), "{text}");
}
