//! `docrun plan --effects`: what each step would do, worked out from its commands.
//!
//! - the multicluster verify guide: its classes and its per-context summary, text and JSON;
//! - the istio.io corpus: every command step classified, consistently with the retry logic (a
//!   step it takes as only looking never changes anything here), few unknowns, and ten steps
//!   checked by hand.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use docrun::effects::{Class, GuideEffects};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn markdown_files(dir: &Path, found: &mut Vec<PathBuf>) {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            markdown_files(&path, found);
        } else if path.extension().is_some_and(|e| e == "md") {
            found.push(path);
        }
    }
}

/// The plan of a corpus guide (no variable values) and its effects.
fn effects_of(file: &Path, site: &docrun::site::SiteData) -> (docrun::plan::Plan, GuideEffects) {
    let doc = docrun::doc::Doc::load(file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
    let runbook = docrun::runbook::build(
        &doc,
        docrun::runbook::BuildOptions {
            site: Some(site),
            ..Default::default()
        },
    )
    .unwrap();
    let plan = docrun::plan::build(&runbook, Default::default(), &Default::default()).unwrap();
    let effects = docrun::effects::of_plan(&plan);
    (plan, effects)
}

#[test]
fn the_corpus_is_classified_consistently_with_the_retry_logic() {
    let mut files = Vec::new();
    markdown_files(&root().join("tests/corpus/istio/content"), &mut files);
    let site = docrun::site::SiteData::load(&root().join("tests/corpus/istio/data")).unwrap();
    let mut counts: BTreeMap<Class, usize> = BTreeMap::new();
    let mut steps = 0;
    let mut disagreements = Vec::new();
    for file in &files {
        let (plan, effects) = effects_of(file, &site);
        for step in &effects.steps {
            let planned = plan.steps.iter().find(|s| s.id == step.id).unwrap();
            assert!(
                step.commands.iter().all(|c| !c.effects.is_empty()),
                "{}:{}: a command with no effect",
                file.display(),
                step.line
            );
            if planned.read_only
                && step
                    .classes
                    .iter()
                    .any(|c| matches!(c, Class::ChangesCluster | Class::ChangesLocal))
            {
                disagreements.push(format!(
                    "{}:{} is retried as only looking, but classified {:?}",
                    file.display(),
                    step.line,
                    step.classes
                ));
            }
            if step.classes.contains(&Class::ChangesCluster) {
                assert!(!planned.read_only, "{}:{}", file.display(), step.line);
            }
        }
        for (class, n) in &effects.counts {
            *counts.entry(*class).or_default() += n;
        }
        steps += effects.steps.iter().filter(|s| s.selected).count();
    }
    assert!(disagreements.is_empty(), "{disagreements:#?}");
    eprintln!(
        "{steps} command steps to run over {} guides: {counts:?}",
        files.len()
    );
    assert_eq!(counts.values().sum::<usize>(), steps);
    assert!(steps > 1000, "{steps}");
    // Unknown stays unknown, but docrun knows most of what istio.io's guides run.
    let unknown = counts.get(&Class::Unknown).copied().unwrap_or(0);
    assert!(unknown * 20 < steps, "{unknown} unknown of {steps}");
    assert!(counts[&Class::ChangesCluster] > counts[&Class::ReadsCluster] / 2);
}

/// Ten corpus steps, read by hand: the class docrun gives them and why.
#[test]
fn ten_corpus_steps_checked_by_hand() {
    let site = docrun::site::SiteData::load(&root().join("tests/corpus/istio/data")).unwrap();
    let content = root().join("tests/corpus/istio/content/en/docs");
    // (guide, line of the step, headline class, a word of its first reason)
    let cases = [
        (
            "setup/getting-started/index.md",
            "istioctl install",
            Class::ChangesCluster,
        ),
        (
            "setup/getting-started/index.md",
            "kubectl label namespace default istio-injection=enabled",
            Class::ChangesCluster,
        ),
        ("setup/getting-started/index.md", "curl -L", Class::Unknown),
        (
            "tasks/traffic-management/request-routing/index.md",
            "kubectl get destinationrules",
            Class::ReadsCluster,
        ),
        (
            "tasks/security/cert-management/plugin-ca-cert/index.md",
            "mkdir -p certs",
            Class::ChangesLocal,
        ),
        (
            "tasks/security/cert-management/plugin-ca-cert/index.md",
            "kubectl create secret generic cacerts",
            Class::ChangesCluster,
        ),
        (
            "tasks/security/cert-management/plugin-ca-cert/index.md",
            "openssl verify",
            Class::Local,
        ),
        (
            "tasks/security/cert-management/plugin-ca-cert/index.md",
            "rm -rf certs",
            Class::ChangesLocal,
        ),
        (
            "setup/install/helm/index.md",
            "helm repo add istio",
            Class::ChangesLocal,
        ),
        (
            "setup/install/helm/index.md",
            "helm install istio-base",
            Class::ChangesCluster,
        ),
    ];
    for (guide, command, class) in cases {
        let file = content.join(guide);
        let (plan, effects) = effects_of(&file, &site);
        let step = plan
            .steps
            .iter()
            .find(|s| s.commands.iter().any(|c| c.contains(command)))
            .unwrap_or_else(|| panic!("{guide}: no step runs `{command}`"));
        let got = effects.steps.iter().find(|s| s.id == step.id).unwrap();
        assert_eq!(
            got.class, class,
            "{guide}:{} `{command}`: {got:#?}",
            step.line
        );
    }
}

#[test]
fn the_verify_guide_changes_both_contexts_and_says_how() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_docrun"))
        .env(
            "DOCRUN_STATE_DIR",
            std::env::temp_dir().join(format!("docrun-test-state-{}", std::process::id())),
        )
        .current_dir(root())
        .env_remove("CTX_CLUSTER1")
        .env_remove("CTX_CLUSTER2")
        .args([
            "plan",
            "runbooks/istio/multicluster/verify.en.md",
            "--set",
            "CTX_CLUSTER1=c1",
            "--set",
            "CTX_CLUSTER2=c2",
            "--effects",
            "--format",
            "json",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let plan: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let effects = &plan["effects"];
    assert_eq!(
        effects["counts"],
        serde_json::json!({"changes-cluster": 6, "reads-cluster": 7})
    );
    let label = effects["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["id"] == "deploy_the_helloworld_service_2")
        .unwrap();
    assert_eq!(
        label["commands"][1]["effects"][0],
        serde_json::json!({"class": "changes-cluster",
            "reason": "kubectl label namespace sample istio-injection=enabled",
            "context": "c2", "action": "labels namespace sample istio-injection=enabled"})
    );
    let c2 = &effects["contexts"][1];
    assert_eq!(c2["context"], "c2");
    assert_eq!(
        c2["changes"][0],
        serde_json::json!(["creates namespace sample", 1])
    );
    assert_eq!(
        c2["changes"][3],
        serde_json::json!([
            "applies samples/helloworld/helloworld.yaml (-l version=v2) in namespace sample",
            1
        ])
    );

    let out = std::process::Command::new(env!("CARGO_BIN_EXE_docrun"))
        .env(
            "DOCRUN_STATE_DIR",
            std::env::temp_dir().join(format!("docrun-test-state-{}", std::process::id())),
        )
        .current_dir(root())
        .args([
            "plan",
            "runbooks/istio/multicluster/verify.en.md",
            "--set",
            "CTX_CLUSTER1=c1",
            "--set",
            "CTX_CLUSTER2=c2",
            "--effects",
        ])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("  13 command steps to run: 6 changes-cluster, 7 reads-cluster\n"),
        "{text}"
    );
    assert!(
        text.contains("  changes c1: creates namespace sample; labels namespace sample istio-injection=enabled; applies samples/helloworld/helloworld.yaml (-l service=helloworld) in namespace sample;"),
        "{text}"
    );
    assert!(
        text.contains("      line 164  reads-cluster    kubectl exec runs `curl -sS helloworld.sample:5000/hello` in pod $(kubectl get pod --context=\"${CTX_CLUSTER1}\"... (not retried: docrun cannot see what it changes)  [c1]\n"),
        "{text}"
    );
}

/// Every change to a cluster that `--effects` finds in the corpus is either previewed or listed
/// as not previewed with a reason, never dropped; how many can be previewed at plan time.
#[test]
fn every_cluster_change_of_the_corpus_is_previewed_or_said_not_to_be() {
    let mut files = Vec::new();
    markdown_files(&root().join("tests/corpus/istio/content"), &mut files);
    let site = docrun::site::SiteData::load(&root().join("tests/corpus/istio/data")).unwrap();
    let (mut changes, mut previewed, mut not) = (0, 0, 0);
    let mut reasons: BTreeMap<String, usize> = BTreeMap::new();
    for file in &files {
        let (plan, effects) = effects_of(file, &site);
        let requests = docrun::preview::request::of_plan(&plan, root());
        let found = effects
            .steps
            .iter()
            .filter(|s| s.selected)
            .flat_map(|s| &s.commands)
            .flat_map(|c| &c.effects)
            .filter(|e| e.class == Class::ChangesCluster)
            .count();
        let not_here = requests
            .not_previewed
            .iter()
            .filter(|n| !n.reason.ends_with("it may change a cluster"))
            .count();
        assert_eq!(
            requests.requests.len() + not_here,
            found,
            "{}: {found} changes, {} previewed, {not_here} not",
            file.display(),
            requests.requests.len()
        );
        changes += found;
        previewed += requests.requests.len();
        not += not_here;
        for n in &requests.not_previewed {
            let key: String = n
                .reason
                .split([':', '`'])
                .next()
                .unwrap_or("")
                .chars()
                .take(40)
                .collect();
            *reasons.entry(key).or_default() += 1;
        }
    }
    eprintln!("{changes} cluster changes: {previewed} previewable at plan time, {not} not; reasons: {reasons:#?}");
    assert!(previewed > 0 && not > 0);
}
