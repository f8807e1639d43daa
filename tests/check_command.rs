//! `docrun check` end to end: the binary runs the founding guide's preflight
//! (`before-you-begin.zh.md`, contexts c1 and c2) against two fake API servers (see
//! tests/support/fakekube.rs). Each test starts its own pair of servers.

mod support;

use std::path::Path;
use std::process::Output;

use assert_cmd::Command;
use support::fakekube::{free_port, ContextEntry, FakeKube, Options, C2_TOKEN};
use support::trust::{cacerts, prepare, put_cacerts};

const GUIDE: &str = "runbooks/istio/multicluster/before-you-begin.zh.md";

/// Every check the founding guide's preflight runs: declared by its overlay or derived.
const CHECKS: &[&str] = &[
    "kube.context",
    "kube.reachable",
    "kube.version",
    "kube.distinct",
    "kube.secret",
    "trust.common-root",
];

/// `docrun check GUIDE --set CTX_CLUSTER1=c1 --set CTX_CLUSTER2=c2` with `kubeconfig`.
fn check(kube: &FakeKube, kubeconfig: &Path, extra: &[&str]) -> (Output, String) {
    let home = tempfile::tempdir().unwrap();
    let out = support::docrun::docrun_in_project()
        .env("KUBECONFIG", kubeconfig)
        .env("HOME", home.path())
        .args([
            "check",
            GUIDE,
            "--set",
            "CTX_CLUSTER1=c1",
            "--set",
            "CTX_CLUSTER2=c2",
        ])
        .args(extra)
        .output()
        .unwrap();
    let text = format!(
        "{}\n--- stderr ---\n{}\n--- servers: c1 {} c2 {} ---",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
        kube.c1.url,
        kube.c2.url
    );
    (out, text)
}

/// The result lines of one check: `  FAIL  kube.version  c2  ...`.
fn lines<'a>(text: &'a str, status: &str, check: &str) -> Vec<&'a str> {
    text.lines()
        .filter(|l| {
            let mut words = l.split_whitespace();
            words.next() == Some(status) && words.next() == Some(check)
        })
        .collect()
}

#[tokio::test]
async fn two_healthy_clusters_pass_every_check() {
    let kube = FakeKube::start(); // v1.30.2 and v1.31.0: both supported (1.29 to 1.32)
    prepare(&kube).await;
    let (out, text) = check(&kube, &kube.kubeconfig_path, &[]);
    assert_eq!(out.status.code(), Some(0), "{text}");
    for name in CHECKS {
        assert!(
            !lines(&text, "PASS", name).is_empty() || !lines(&text, "WARN", name).is_empty(),
            "{name} missing\n{text}"
        );
    }
    assert!(!text.contains("FAIL"), "{text}");
    // Both contexts for each per-context check.
    for name in ["kube.context", "kube.version", "kube.secret"] {
        assert_eq!(lines(&text, "PASS", name).len(), 2, "{name}\n{text}");
    }
    // fakekube listens on 127.0.0.1: reachable, but other clusters could not reach it.
    let warnings = lines(&text, "WARN", "kube.reachable");
    assert_eq!(warnings.len(), 2, "{text}");
    assert!(
        warnings[0].contains("loopback") && warnings[0].contains(" c1 "),
        "{text}"
    );
    // Grouped under the overlay's and the guide's prerequisites, with a summary.
    assert!(
        text.contains("[configure-trust] a cacerts secret in istio-system"),
        "{text}"
    );
    assert!(
        text.contains("runs a supported Kubernetes version: 1.29, 1.30, 1.31, 1.32"),
        "{text}"
    );
    assert!(text.contains("2 warnings, 0 failed."), "{text}");
    // Secrets are named, never shown.
    assert!(!text.contains("PRIVATE KEY"), "{text}");
}

#[tokio::test]
async fn the_json_report_has_groups_and_a_summary() {
    let kube = FakeKube::start();
    prepare(&kube).await;
    let (out, text) = check(&kube, &kube.kubeconfig_path, &["--format", "json"]);
    assert_eq!(out.status.code(), Some(0), "{text}");
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["schema"], "docrun.check/v1");
    assert_eq!(report["summary"]["failed"], 0);
    assert_eq!(report["summary"]["warnings"], 2);
    let groups = report["groups"].as_array().unwrap();
    assert!(groups.iter().all(|g| g["kind"] == "prerequisite"), "{text}");
    let checks: Vec<&str> = groups
        .iter()
        .flat_map(|g| g["results"].as_array().unwrap())
        .map(|r| r["check"].as_str().unwrap())
        .collect();
    for name in CHECKS {
        assert!(checks.contains(name), "{name}: {checks:?}");
    }
}

#[tokio::test]
async fn an_unsupported_version_fails_naming_the_context_and_version() {
    let kube = FakeKube::start_with(Options {
        c1_version: "v1.30.2".into(),
        c2_version: "v1.26.5".into(),
        ..Options::default()
    });
    prepare(&kube).await;
    let (out, text) = check(&kube, &kube.kubeconfig_path, &[]);
    assert_eq!(out.status.code(), Some(1), "{text}");
    let failed = lines(&text, "FAIL", "kube.version");
    assert_eq!(failed.len(), 1, "{text}");
    assert!(
        failed[0].contains(" c2 ") && failed[0].contains("1.26"),
        "{text}"
    );
    assert_eq!(lines(&text, "PASS", "kube.version").len(), 1, "{text}");
    assert!(text.contains("1 failed."), "{text}");
    assert!(text.contains("error: 1 of "), "{text}");
}

#[tokio::test]
async fn two_contexts_on_one_server_are_not_distinct() {
    let kube = FakeKube::start();
    prepare(&kube).await;
    let path = kube.dir.path().join("same-server");
    let entry = |name: &str| ContextEntry {
        name: name.into(),
        server: kube.c1.url.clone(),
        ca: None,
        insecure: false,
        token: "anything".into(),
    };
    kube.write_kubeconfig(&path, &[entry("c1"), entry("c2")]);
    let (out, text) = check(&kube, &path, &[]);
    assert_eq!(out.status.code(), Some(1), "{text}");
    let failed = lines(&text, "FAIL", "kube.distinct");
    assert_eq!(failed.len(), 1, "{text}");
    assert!(
        failed[0].contains("c1") && failed[0].contains("c2") && failed[0].contains(&kube.c1.url),
        "{text}"
    );
}

#[tokio::test]
async fn a_missing_cacerts_key_is_named_with_its_context() {
    let kube = FakeKube::start();
    let root = kube.pki.root("root-a", "Root A");
    let inter1 = kube
        .pki
        .intermediate("inter-1", "Intermediate cluster1", &root);
    let inter2 = kube
        .pki
        .intermediate("inter-2", "Intermediate cluster2", &root);
    put_cacerts(&kube.client("c1").await, &cacerts(&root, &inter1)).await;
    let mut partial = cacerts(&root, &inter2);
    partial.retain(|(k, _)| *k != "ca-key.pem");
    put_cacerts(&kube.client("c2").await, &partial).await;
    let (out, text) = check(&kube, &kube.kubeconfig_path, &[]);
    assert_eq!(out.status.code(), Some(1), "{text}");
    let failed = lines(&text, "FAIL", "kube.secret");
    assert_eq!(failed.len(), 1, "{text}");
    assert!(
        failed[0].contains(" c2 ") && failed[0].contains("ca-key.pem"),
        "{text}"
    );
    assert!(
        lines(&text, "FAIL", "trust.common-root")
            .iter()
            .any(|l| l.contains(" c2 ") && l.contains("ca-key.pem")),
        "{text}"
    );
}

#[tokio::test]
async fn intermediates_of_different_roots_fail_the_common_root() {
    let kube = FakeKube::start();
    let root_a = kube.pki.root("root-a", "Root A");
    let root_b = kube.pki.root("root-b", "Root B");
    let inter1 = kube
        .pki
        .intermediate("inter-1", "Intermediate cluster1", &root_a);
    let inter_b = kube.pki.intermediate("inter-b", "Intermediate B", &root_b);
    put_cacerts(&kube.client("c1").await, &cacerts(&root_a, &inter1)).await;
    put_cacerts(&kube.client("c2").await, &cacerts(&root_b, &inter_b)).await;
    let (out, text) = check(&kube, &kube.kubeconfig_path, &[]);
    assert_eq!(out.status.code(), Some(1), "{text}");
    let failed = lines(&text, "FAIL", "trust.common-root");
    assert_eq!(failed.len(), 1, "{text}");
    assert!(
        failed[0].contains("c2") && failed[0].contains("Root B") && failed[0].contains("Root A"),
        "{text}"
    );
}

#[tokio::test]
async fn an_intermediate_not_signed_by_the_root_fails() {
    let kube = FakeKube::start();
    let root_a = kube.pki.root("root-a", "Root A");
    let root_b = kube.pki.root("root-b", "Root B");
    let inter1 = kube
        .pki
        .intermediate("inter-1", "Intermediate cluster1", &root_a);
    let inter_b = kube.pki.intermediate("inter-b", "Intermediate B", &root_b);
    put_cacerts(&kube.client("c1").await, &cacerts(&root_a, &inter1)).await;
    // c2 claims root A but its intermediate was signed by root B.
    put_cacerts(&kube.client("c2").await, &cacerts(&root_a, &inter_b)).await;
    let (out, text) = check(&kube, &kube.kubeconfig_path, &[]);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(
        lines(&text, "FAIL", "trust.common-root")
            .iter()
            .any(|l| l.contains(" c2 ") && l.contains("is not signed by the root")),
        "{text}"
    );
}

#[tokio::test]
async fn an_unreachable_server_is_named() {
    let kube = FakeKube::start();
    let root = kube.pki.root("root-a", "Root A");
    let inter1 = kube
        .pki
        .intermediate("inter-1", "Intermediate cluster1", &root);
    put_cacerts(&kube.client("c1").await, &cacerts(&root, &inter1)).await;
    let nowhere = format!("http://127.0.0.1:{}", free_port());
    let path = kube.dir.path().join("unreachable");
    kube.write_kubeconfig(
        &path,
        &[
            ContextEntry {
                name: "c1".into(),
                server: kube.c1.url.clone(),
                ca: None,
                insecure: false,
                token: "anything".into(),
            },
            ContextEntry {
                name: "c2".into(),
                server: nowhere.clone(),
                ca: None,
                insecure: false,
                token: C2_TOKEN.into(),
            },
        ],
    );
    let (out, text) = check(&kube, &path, &["--timeout", "2s"]);
    assert_eq!(out.status.code(), Some(1), "{text}");
    let failed = lines(&text, "FAIL", "kube.reachable");
    assert_eq!(failed.len(), 1, "{text}");
    assert!(
        failed[0].contains(" c2 ") && failed[0].contains(&nowhere),
        "{text}"
    );
    assert_eq!(lines(&text, "WARN", "kube.reachable").len(), 1, "{text}");
}

#[test]
fn missing_contexts_exit_2_before_any_check() {
    let out = Command::cargo_bin("docrun")
        .unwrap()
        .env(
            "DOCRUN_STATE_DIR",
            std::env::temp_dir().join(format!("docrun-test-state-{}", std::process::id())),
        )
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("KUBECONFIG", "/nonexistent/kubeconfig")
        .env_remove("CTX_CLUSTER1")
        .env_remove("CTX_CLUSTER2")
        .args(["check", GUIDE])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("CTX_CLUSTER1") && stderr.contains("CTX_CLUSTER2"),
        "{stderr}"
    );
}

/// `docrun check` as [`check`] does, with `KUBECONFIG` set to `kubeconfig` as given (a list
/// too), killed after 60 s (a bound for a slow machine: without it a test of a file that
/// blocks would hang, not fail).
fn check_bounded(kubeconfig: &std::ffi::OsStr) -> (Option<i32>, String) {
    let home = tempfile::tempdir().unwrap();
    let mut cmd = support::docrun::docrun_in_project();
    cmd.env("KUBECONFIG", kubeconfig)
        .env("HOME", home.path())
        .args([
            "check",
            GUIDE,
            "--set",
            "CTX_CLUSTER1=c1",
            "--set",
            "CTX_CLUSTER2=c2",
        ]);
    let out = Command::from_std(cmd)
        .timeout(std::time::Duration::from_secs(60))
        .output()
        .unwrap();
    let text = format!(
        "{}\n--- stderr ---\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.code(), text)
}

fn mkfifo(path: &Path) {
    let made = std::process::Command::new("mkfifo")
        .arg(path)
        .status()
        .unwrap();
    assert!(made.success(), "mkfifo {}", path.display());
}

/// A sparse file of `size` bytes.
fn huge(path: &Path, size: u64) {
    std::fs::File::create(path).unwrap().set_len(size).unwrap();
}

#[tokio::test]
async fn a_kubeconfig_list_with_a_missing_file_is_read_as_kubectl_reads_it() {
    let kube = FakeKube::start();
    prepare(&kube).await;
    let missing = kube.dir.path().join("not-there.yaml");
    let list = std::env::join_paths([missing.as_path(), kube.kubeconfig_path.as_path()]).unwrap();
    let (code, text) = check_bounded(&list);
    assert_eq!(code, Some(0), "{text}");
    assert_eq!(lines(&text, "PASS", "kube.version").len(), 2, "{text}");
    // None of the list exists: said, with every file.
    let other = kube.dir.path().join("neither.yaml");
    let list = std::env::join_paths([missing.as_path(), other.as_path()]).unwrap();
    let (code, text) = check_bounded(&list);
    assert_eq!(code, Some(2), "{text}");
    assert!(
        text.contains("none of the files of the list exists")
            && text.contains("not-there.yaml")
            && text.contains("neither.yaml"),
        "{text}"
    );
}

#[test]
fn a_kubeconfig_that_is_a_fifo_or_too_large_is_refused_not_read() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("kubeconfig-fifo");
    mkfifo(&fifo);
    let (code, text) = check_bounded(fifo.as_os_str());
    assert_eq!(code, Some(2), "{text}");
    assert!(
        text.contains(&format!(
            "{}: is not a regular file (a FIFO, device, socket or folder is never read)",
            fifo.display()
        )),
        "{text}"
    );
    let big = dir.path().join("kubeconfig-huge");
    huge(&big, 17 * 1024 * 1024);
    let (code, text) = check_bounded(big.as_os_str());
    assert_eq!(code, Some(2), "{text}");
    assert!(
        text.contains("is 17825792 bytes, over the 16 MiB limit"),
        "{text}"
    );
}

#[tokio::test]
async fn a_certificate_authority_that_is_a_fifo_or_too_large_fails_its_context_only() {
    let kube = FakeKube::start();
    prepare(&kube).await;
    for (name, make) in [
        ("ca-fifo", mkfifo as fn(&Path)),
        ("ca-huge", |p: &Path| huge(p, 17 * 1024 * 1024)),
    ] {
        let ca = kube.dir.path().join(name);
        make(&ca);
        let mut entries = kube.entries_named("c1", "c2");
        entries[1].ca = Some(ca.clone());
        let kubeconfig = kube.dir.path().join(format!("kubeconfig-{name}"));
        kube.write_kubeconfig(&kubeconfig, &entries);
        let (code, text) = check_bounded(kubeconfig.as_os_str());
        assert_eq!(code, Some(1), "{text}");
        let failed = lines(&text, "FAIL", "kube.version");
        assert_eq!(failed.len(), 1, "{text}");
        assert!(
            failed[0].contains(&format!(
                "context c2: the certificate-authority file {} cannot be used: is ",
                ca.display()
            )),
            "{text}"
        );
        assert_eq!(lines(&text, "PASS", "kube.version").len(), 1, "c1: {text}");
    }
}
