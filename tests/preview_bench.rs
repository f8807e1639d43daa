//! Rough measurement of `docrun plan --preview` against fake API servers (ignored by default):
//!
//! ```text
//! cargo test --release --test preview_bench -- --ignored --nocapture
//! ```
//!
//! A generated guide of 50 steps, each applying one manifest (ConfigMap, Service or Deployment,
//! in turn) to two contexts through a heredoc: 100 object previews. Timed twice, median of 5
//! runs of the binary each: on clusters that have the namespace but none of the objects (a
//! lookup and a dry-run create per object), and after the objects were applied (a lookup, a
//! dry-run server-side apply and a diff per object); then, for scale, `kubectl apply
//! --dry-run=server` of the same objects. fakekube is a Python stand-in: the figures
//! say more about docrun's overhead than about a real cluster's.

mod support;

use std::fmt::Write;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::Value;
use support::fakekube::FakeKube;

const MANIFESTS: usize = 50;

fn manifest(i: usize) -> String {
    match i % 3 {
        0 => format!(
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: config-{i}\n  namespace: bench\ndata:\n  index: \"{i}\"\n"
        ),
        1 => format!(
            "apiVersion: v1\nkind: Service\nmetadata:\n  name: svc-{i}\n  namespace: bench\nspec:\n  selector:\n    app: app-{i}\n  ports:\n  - port: 80\n    name: http\n"
        ),
        _ => format!(
            "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: app-{i}\n  namespace: bench\nspec:\n  selector:\n    matchLabels:\n      app: app-{i}\n  template:\n    metadata:\n      labels:\n        app: app-{i}\n    spec:\n      containers:\n      - name: app\n        image: example.com/app:{i}\n"
        ),
    }
}

fn guide(dir: &Path) -> std::path::PathBuf {
    let mut text = String::from("# Fifty manifests\n\n");
    for i in 0..MANIFESTS {
        let _ = writeln!(text, "## Part {i}\n\n```bash");
        for ctx in ["CTX_CLUSTER1", "CTX_CLUSTER2"] {
            let _ = write!(
                text,
                "kubectl apply --context=\"${{{ctx}}}\" -f - <<EOF\n{}EOF\n",
                manifest(i)
            );
        }
        text.push_str("```\n\n");
    }
    let path = dir.join("fifty.md");
    std::fs::write(&path, text).unwrap();
    path
}

fn preview(kube: &FakeKube, guide: &Path) -> (Duration, Value) {
    let start = Instant::now();
    let out = Command::new(env!("CARGO_BIN_EXE_docrun"))
        .env(
            "DOCRUN_STATE_DIR",
            std::env::temp_dir().join(format!("docrun-test-state-{}", std::process::id())),
        )
        .env("KUBECONFIG", &kube.kubeconfig_path)
        .env("HOME", kube.dir.path())
        .args(["plan", guide.to_str().unwrap(), "--set", "CTX_CLUSTER1=c1"])
        .args(["--set", "CTX_CLUSTER2=c2", "--preview", "--format", "json"])
        .output()
        .unwrap();
    let took = start.elapsed();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let plan: Value = serde_json::from_slice(&out.stdout).unwrap();
    (took, plan["preview"]["counts"].clone())
}

fn median(kube: &FakeKube, guide: &Path) -> (Duration, Value) {
    let mut runs: Vec<(Duration, Value)> = (0..5).map(|_| preview(kube, guide)).collect();
    runs.sort_by_key(|r| r.0);
    runs.swap_remove(2)
}

#[test]
#[ignore = "benchmark: run with --ignored --nocapture"]
fn preview_of_fifty_manifests_on_two_contexts() {
    let kube = FakeKube::start();
    let guide = guide(kube.dir.path());
    let ns = "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: bench\n";
    for ctx in ["c1", "c2"] {
        assert!(kube
            .kubectl(ctx, &["apply", "-f", "-"], Some(ns))
            .status
            .success());
    }
    let (fresh, counts) = median(&kube, &guide);
    assert_eq!(counts, serde_json::json!({"would create": 2 * MANIFESTS}));
    eprintln!(
        "{} objects, none there yet: {fresh:.2?} (median of 5)",
        2 * MANIFESTS
    );

    let all: String = (0..MANIFESTS).map(|i| manifest(i) + "---\n").collect();
    for ctx in ["c1", "c2"] {
        let out = kube.kubectl(ctx, &["apply", "-f", "-"], Some(&all));
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let (applied, counts) = median(&kube, &guide);
    assert_eq!(counts, serde_json::json!({"unchanged": 2 * MANIFESTS}));
    eprintln!(
        "{} objects, all applied: {applied:.2?} (median of 5)",
        2 * MANIFESTS
    );

    // For scale: kubectl's own server-side dry run of the same objects, one process per
    // context (it does not say what would change, only that the server accepts them).
    let file = kube.dir.path().join("all.yaml");
    std::fs::write(&file, &all).unwrap();
    let mut runs: Vec<Duration> = (0..5)
        .map(|_| {
            let start = Instant::now();
            for ctx in ["c1", "c2"] {
                let args = ["apply", "--dry-run=server", "-f", file.to_str().unwrap()];
                let out = kube.kubectl(ctx, &args, None);
                assert!(
                    out.status.success(),
                    "{}",
                    String::from_utf8_lossy(&out.stderr)
                );
            }
            start.elapsed()
        })
        .collect();
    runs.sort();
    eprintln!(
        "kubectl apply --dry-run=server of the same objects, one context after the other: {:.2?} (median of 5)",
        runs[2]
    );
}
