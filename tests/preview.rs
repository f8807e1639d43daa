//! `docrun plan --preview` and `--effects` end to end against two fake API servers
//! (tests/support/fakekube.rs; a test double, not Kubernetes: its dry runs validate the kind,
//! the namespace and the name, fill the defaults of Deployments and Services, and store nothing;
//! no admission webhooks, no schema validation of fields).
//!
//! - the multicluster verify guide previewed on fresh clusters: every object would be created,
//!   per context, the namespace first;
//! - the same guide after a real run: the applied objects unchanged;
//! - a manifest edited to an unknown kind: rejected with the server's reason and file:line;
//! - delete previews: would delete, nothing to delete;
//! - secrets masked; steps that cannot be previewed listed with the reason;
//! - a preview changes nothing: object count and resourceVersions the same after it;
//! - an unreachable context is said and the others are previewed;
//! - a 500 on the first call to a context (tests/faultproxy) is retried: the preview goes on.

mod support;

use std::path::{Path, PathBuf};
use std::process::Output;

use k8s_openapi::api::core::v1::ConfigMap;
use kube::api::{Api, ListParams, PostParams};
use serde_json::Value;
use support::fakekube::{free_port, ContextEntry, FakeKube, Options, C2_TOKEN};

const VERIFY: &str = "runbooks/istio/multicluster/verify.en.md";

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn fixtures() -> PathBuf {
    root().join("tests/fixtures/preview")
}

/// `docrun ARGS` in `workdir` with `kubeconfig`, a private HOME, no CTX_* from outside.
fn docrun(kube: &FakeKube, kubeconfig: &Path, workdir: &Path, args: &[&str]) -> (Output, String) {
    let out = support::docrun::docrun_with_kube(kube, kubeconfig, workdir)
        .env_remove("DB_PASSWORD")
        .args(args)
        .output()
        .unwrap();
    let text = support::docrun::printed(&out);
    (out, text)
}

fn preview_verify(kube: &FakeKube, workdir: &Path, format: &str) -> (Output, String) {
    let guide = root().join(VERIFY);
    docrun(
        kube,
        &kube.kubeconfig_path,
        workdir,
        &[
            "plan",
            guide.to_str().unwrap(),
            "--set",
            "CTX_CLUSTER1=c1",
            "--set",
            "CTX_CLUSTER2=c2",
            "--preview",
            "--format",
            format,
        ],
    )
}

fn json(out: &Output) -> Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!("{e}: {}", String::from_utf8_lossy(&out.stdout));
    })
}

/// `(kind, namespace/name, outcome)` of a context's objects, in order.
fn objects(preview: &Value, context: &str) -> Vec<(String, String, String)> {
    let ctx = preview["contexts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["context"] == context)
        .unwrap_or_else(|| panic!("no context {context} in {preview:#}"));
    ctx["objects"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| {
            let name = match o["namespace"].as_str() {
                Some(ns) => format!("{ns}/{}", o["name"].as_str().unwrap()),
                None => o["name"].as_str().unwrap().to_owned(),
            };
            (
                o["kind"].as_str().unwrap().to_owned(),
                name,
                o["outcome"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

fn owned(rows: &[(&str, &str, &str)]) -> Vec<(String, String, String)> {
    rows.iter()
        .map(|(a, b, c)| (a.to_string(), b.to_string(), c.to_string()))
        .collect()
}

#[test]
fn the_verify_guide_on_fresh_clusters_would_create_everything_namespace_first() {
    let kube = FakeKube::start();
    let (out, text) = preview_verify(&kube, &fixtures(), "json");
    assert_eq!(out.status.code(), Some(0), "{text}");
    let preview = &json(&out)["preview"];
    let common = [
        ("Namespace", "sample", "would-create"),
        ("Namespace", "sample", "would-change"),
        ("Service", "sample/helloworld", "would-create"),
    ];
    let curl = [
        ("ServiceAccount", "sample/curl", "would-create"),
        ("Service", "sample/curl", "would-create"),
        ("Deployment", "sample/curl", "would-create"),
    ];
    for (context, version) in [("c1", "helloworld-v1"), ("c2", "helloworld-v2")] {
        let deployment = format!("sample/{version}");
        let mut want = common.to_vec();
        want.push(("Deployment", &deployment, "would-create"));
        want.extend(curl);
        assert_eq!(objects(preview, context), owned(&want), "{context}: {text}");
    }
    // The label is compared with the namespace the step before would create; the objects in it
    // say why the server could not check them further.
    let c1 = &preview["contexts"][0]["objects"];
    assert_eq!(c1[1]["fields"], serde_json::json!(["/metadata/labels"]));
    assert!(
        c1[2]["note"]
            .as_str()
            .unwrap()
            .contains("namespace sample is created by step deploy_the_helloworld_service_1 earlier in this preview"),
        "{text}"
    );
    assert_eq!(
        c1[2]["source"]["file"], "samples/helloworld/helloworld.yaml",
        "{text}"
    );

    // The text says the same, per context, with the guide's lines.
    let (out, text) = preview_verify(&kube, &fixtures(), "text");
    assert_eq!(out.status.code(), Some(0), "{text}");
    let c1 = text.find("  context c1:").unwrap();
    let c2 = text.find("  context c2:").unwrap();
    let section = &text[c1..c2];
    let ns = section.find("would create      Namespace sample").unwrap();
    let svc = section
        .find("would create      Service sample/helloworld  (samples/helloworld/helloworld.yaml:1)")
        .unwrap_or_else(|| panic!("{text}"));
    assert!(ns < svc, "{text}");
    assert!(
        section.contains(
            "deploy_the_helloworld_service_1  runbooks/istio/multicluster/verify.en.md:59"
        ) || section.contains("verify.en.md:59"),
        "{text}"
    );
    assert!(
        section.contains("+  labels:\n") || section.contains("+  labels:"),
        "{text}"
    );
}

/// The state of the Istio prerequisites the verify guide checks before a real run.
fn istio_installed(kube: &FakeKube) {
    let text = std::fs::read_to_string(fixtures().join("istio.yaml")).unwrap();
    let (crd_and_ns, istiod) = text.split_once("---\napiVersion: apps/v1").unwrap();
    for (context, manifest) in [("c1", text.clone()), ("c2", crd_and_ns.to_owned())] {
        let out = kube.kubectl(context, &["apply", "-f", "-"], Some(&manifest));
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let _ = istiod;
}

#[test]
fn after_a_real_run_the_applied_objects_are_unchanged() {
    let kube = FakeKube::start_with(Options {
        c2_simulate: true,
        ..Default::default()
    });
    istio_installed(&kube);
    let guide = root().join(VERIFY);
    let mut args = vec![
        "run",
        guide.to_str().unwrap(),
        "--set",
        "CTX_CLUSTER1=c1",
        "--set",
        "CTX_CLUSTER2=c2",
    ];
    for skip in [
        "verify_multicluster_1",
        "verifying_cross_cluster_traffic_1",
        "verifying_cross_cluster_traffic_3",
    ] {
        args.extend(["--skip", skip]);
    }
    let (out, text) = docrun(&kube, &kube.kubeconfig_path, &fixtures(), &args);
    assert_eq!(out.status.code(), Some(0), "the real run: {text}");

    let (out, text) = preview_verify(&kube, &fixtures(), "json");
    // Creating the namespace again would fail: the preview says so, and exits 1.
    assert_eq!(out.status.code(), Some(1), "{text}");
    let preview = &json(&out)["preview"];
    for (context, version) in [("c1", "helloworld-v1"), ("c2", "helloworld-v2")] {
        let deployment = format!("sample/{version}");
        let want = [
            ("Namespace", "sample", "rejected"),
            ("Namespace", "sample", "unchanged"),
            ("Service", "sample/helloworld", "unchanged"),
            ("Deployment", deployment.as_str(), "unchanged"),
            ("ServiceAccount", "sample/curl", "unchanged"),
            ("Service", "sample/curl", "unchanged"),
            ("Deployment", "sample/curl", "unchanged"),
        ];
        assert_eq!(objects(preview, context), owned(&want), "{context}: {text}");
    }
    let rejected = &preview["contexts"][0]["objects"][0];
    assert!(
        rejected["reason"]
            .as_str()
            .unwrap()
            .contains("namespaces \"sample\" already exists"),
        "{text}"
    );
    // Unchanged although the stored objects hold what the server filled in and the manifests
    // do not say: the comparison is with the server's dry-run answer, not the manifest.
    let live = kube.kubectl(
        "c1",
        &[
            "get",
            "deployment",
            "helloworld-v1",
            "-n",
            "sample",
            "-o",
            "json",
        ],
        None,
    );
    let live: Value = serde_json::from_slice(&live.stdout).unwrap();
    assert_eq!(live["spec"]["progressDeadlineSeconds"], 600, "{live:#}");
    assert_eq!(
        live["spec"]["strategy"]["type"], "RollingUpdate",
        "{live:#}"
    );

    // A new image in the manifest: would change, with the field and a diff, on c1 only.
    let work = tempfile::tempdir().unwrap();
    for path in [
        "samples/helloworld/helloworld.yaml",
        "samples/curl/curl.yaml",
    ] {
        let to = work.path().join(path);
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::copy(fixtures().join(path), &to).unwrap();
    }
    let file = work.path().join("samples/helloworld/helloworld.yaml");
    let edited = std::fs::read_to_string(&file)
        .unwrap()
        .replace("examples-helloworld-v1:1.0", "examples-helloworld-v1:1.1");
    std::fs::write(&file, edited).unwrap();
    let (out, text) = preview_verify(&kube, work.path(), "json");
    assert_eq!(out.status.code(), Some(1), "{text}");
    let preview = &json(&out)["preview"];
    assert_eq!(objects(preview, "c1")[3].2, "would-change", "{text}");
    assert_eq!(objects(preview, "c2")[3].2, "unchanged", "{text}");
    let change = &preview["contexts"][0]["objects"][3];
    assert_eq!(
        change["fields"],
        serde_json::json!(["/spec/template/spec/containers/0/image"]),
        "{text}"
    );
    let diff = change["diff"].as_str().unwrap();
    assert!(
        diff.contains("-      - image: docker.io/istio/examples-helloworld-v1:1.0\n+      - image: docker.io/istio/examples-helloworld-v1:1.1\n"),
        "{diff}"
    );
}

#[test]
fn an_unknown_kind_is_rejected_with_the_servers_reason_and_the_line() {
    let kube = FakeKube::start();
    let work = tempfile::tempdir().unwrap();
    for path in [
        "samples/helloworld/helloworld.yaml",
        "samples/curl/curl.yaml",
    ] {
        let to = work.path().join(path);
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::copy(fixtures().join(path), &to).unwrap();
    }
    let file = work.path().join("samples/helloworld/helloworld.yaml");
    let text = std::fs::read_to_string(&file).unwrap();
    // helloworld-v1's Deployment, on the file's line 15, becomes a kind no server serves.
    let edited = text.replacen("kind: Deployment", "kind: Deploymnt", 1);
    let line = 1 + edited[..edited.find("kind: Deploymnt").unwrap()]
        .matches('\n')
        .count();
    std::fs::write(&file, edited).unwrap();

    let (out, text) = preview_verify(&kube, work.path(), "text");
    assert_eq!(out.status.code(), Some(1), "{text}");
    let want = format!(
        "rejected          Deploymnt sample/helloworld-v1  (samples/helloworld/helloworld.yaml:{})",
        line - 1
    );
    let at = text.find(&want).unwrap_or_else(|| panic!("{want}\n{text}"));
    let reason_line = text[at..].lines().nth(1).unwrap();
    assert!(
        reason_line.contains("no matches for kind \"Deploymnt\" in version \"apps/v1\""),
        "{text}"
    );
    // The step's header names the guide's command line.
    let header = text[..at].lines().rev().nth(1).unwrap();
    assert!(
        header.starts_with("    deploy_helloworld_v1_1  ") && header.contains("verify.en.md:88"),
        "{header}"
    );
}

async fn config_map(kube: &FakeKube, context: &str, name: &str) {
    let api: Api<ConfigMap> = Api::namespaced(kube.client(context).await, "default");
    let cm: ConfigMap = serde_json::from_value(serde_json::json!({
        "metadata": {"name": name}, "data": {"a": "1"}
    }))
    .unwrap();
    api.create(&PostParams::default(), &cm).await.unwrap();
}

fn plan(kube: &FakeKube, kubeconfig: &Path, guide: &str, more: &[&str]) -> (Output, String) {
    let guide = fixtures().join(guide);
    let mut args = vec!["plan", guide.to_str().unwrap(), "--preview"];
    args.extend_from_slice(more);
    docrun(kube, kubeconfig, &fixtures(), &args)
}

#[tokio::test]
async fn a_delete_is_would_delete_when_the_object_exists_and_nothing_to_delete_when_not() {
    let kube = FakeKube::start();
    config_map(&kube, "c1", "present").await;
    let (out, text) = plan(
        &kube,
        &kube.kubeconfig_path,
        "delete.md",
        &["--format", "json"],
    );
    assert_eq!(out.status.code(), Some(0), "{text}");
    let preview = &json(&out)["preview"];
    assert_eq!(
        objects(preview, "c1"),
        owned(&[
            ("ConfigMap", "default/present", "would-delete"),
            ("ConfigMap", "default/absent", "nothing-to-delete"),
            // The manifest's objects: the first already deleted by the step before.
            ("ConfigMap", "default/present", "nothing-to-delete"),
            ("ConfigMap", "default/never-made", "nothing-to-delete"),
        ]),
        "{text}"
    );
    let c1 = &preview["contexts"][0]["objects"];
    assert!(
        c1[1]["note"]
            .as_str()
            .unwrap()
            .contains("kubectl delete would fail: configmaps \"absent\" not found"),
        "{text}"
    );
    assert_eq!(c1[3]["note"], Value::Null, "--ignore-not-found: {text}");
    // Nothing was deleted.
    let api: Api<ConfigMap> = Api::namespaced(kube.client("c1").await, "default");
    assert!(api.get_opt("present").await.unwrap().is_some());

    let (_, text) = plan(&kube, &kube.kubeconfig_path, "delete.md", &[]);
    assert!(
        text.contains("would delete      ConfigMap default/present"),
        "{text}"
    );
    assert!(
        text.contains("nothing to delete ConfigMap default/absent"),
        "{text}"
    );
}

#[tokio::test]
async fn secrets_are_masked_and_what_cannot_be_previewed_is_said() {
    let kube = FakeKube::start();
    let password = "old-password-1";
    let api: Api<k8s_openapi::api::core::v1::Secret> =
        Api::namespaced(kube.client("c1").await, "default");
    let secret = serde_json::from_value(serde_json::json!({
        "metadata": {"name": "existing"}, "stringData": {"password": password}
    }))
    .unwrap();
    api.create(&PostParams::default(), &secret).await.unwrap();
    let new = "n3w-s3cret-value";
    let b64 = "bjN3LXMzY3JldC12YWx1ZQ=="; // base64 of the new password
    for format in ["text", "json"] {
        let (out, text) = plan(
            &kube,
            &kube.kubeconfig_path,
            "secret.md",
            &["--set", &format!("DB_PASSWORD={new}"), "--format", format],
        );
        assert!(!text.contains(new) && !text.contains(b64), "{text}");
        assert!(
            !text.contains("b2xkLXBhc3N3b3JkLTE"),
            "the old value: {text}"
        );
        assert_eq!(out.status.code(), Some(0), "{text}");
        if format == "json" {
            let preview = &json(&out)["preview"];
            assert_eq!(
                objects(preview, "c1"),
                owned(&[
                    ("Secret", "default/db", "would-create"),
                    ("Secret", "default/existing", "would-change"),
                ]),
                "{text}"
            );
            let change = &preview["contexts"][0]["objects"][1];
            assert_eq!(
                change["fields"],
                serde_json::json!(["/data/password"]),
                "{text}"
            );
            assert!(
                change["diff"].as_str().unwrap().contains("*** (changed)"),
                "{text}"
            );
            let reasons: Vec<(&str, &str)> = preview["not_previewed"]
                .as_array()
                .unwrap()
                .iter()
                .map(|n| {
                    (
                        n["command"].as_str().unwrap(),
                        n["reason"].as_str().unwrap(),
                    )
                })
                .collect();
            assert_eq!(reasons.len(), 4, "{reasons:?}");
            assert!(reasons[0].0.starts_with("istioctl install"), "{reasons:?}");
            assert!(
                reasons[0]
                    .1
                    .contains("docrun previews kubectl's changes only"),
                "{reasons:?}"
            );
            assert!(reasons[1].0.starts_with("helm install"), "{reasons:?}");
            assert!(
                reasons[2].1.contains(
                    "https://example.com/manifest.yaml is on the network: docrun fetches nothing"
                ),
                "{reasons:?}"
            );
            assert!(
                reasons[3].1.contains("setup.sh: docrun does not read it"),
                "{reasons:?}"
            );
        }
    }
}

/// Every object of every resource the fake serves, with its resourceVersion, and the
/// server's own resourceVersion (it moves on every write, dry runs excepted).
async fn state(kube: &FakeKube, context: &str) -> (String, Vec<(String, String)>) {
    let client = kube.client(context).await;
    let discovery = kube::Discovery::new(client.clone()).run().await.unwrap();
    let mut objects = Vec::new();
    let mut server_rv = String::new();
    for group in discovery.groups() {
        for (ar, caps) in group.recommended_resources() {
            if !caps.supports_operation(kube::discovery::verbs::LIST) {
                continue;
            }
            let api: Api<kube::api::DynamicObject> = Api::all_with(client.clone(), &ar);
            let list = api.list(&ListParams::default()).await.unwrap();
            server_rv = list.metadata.resource_version.clone().unwrap_or_default();
            for o in list.items {
                objects.push((
                    format!(
                        "{}/{}/{}",
                        ar.kind,
                        o.metadata.namespace.clone().unwrap_or_default(),
                        o.metadata.name.clone().unwrap_or_default()
                    ),
                    o.metadata.resource_version.clone().unwrap_or_default(),
                ));
            }
        }
    }
    objects.sort();
    (server_rv, objects)
}

#[tokio::test]
async fn a_preview_changes_nothing() {
    let kube = FakeKube::start_with(Options {
        c2_simulate: true,
        ..Default::default()
    });
    istio_installed(&kube);
    config_map(&kube, "c1", "present").await;
    let before = (state(&kube, "c1").await, state(&kube, "c2").await);
    assert!(before.0 .1.len() > 5, "{before:?}");
    let (out, text) = preview_verify(&kube, &fixtures(), "text");
    assert_eq!(out.status.code(), Some(0), "{text}");
    let (out, text) = plan(&kube, &kube.kubeconfig_path, "delete.md", &[]);
    assert_eq!(out.status.code(), Some(0), "{text}");
    let (out, text) = plan(
        &kube,
        &kube.kubeconfig_path,
        "secret.md",
        &["--set", "DB_PASSWORD=abcdefgh"],
    );
    // `existing` is not there: the apply would create it.
    assert_eq!(out.status.code(), Some(0), "{text}");
    let after = (state(&kube, "c1").await, state(&kube, "c2").await);
    assert_eq!(before, after, "a preview changed a cluster");
}

#[test]
fn an_unreachable_context_is_said_and_the_others_are_previewed() {
    let kube = FakeKube::start();
    let path = kube.dir.path().join("one-unreachable");
    kube.write_kubeconfig(
        &path,
        &[
            ContextEntry {
                name: "c1".into(),
                server: format!("http://127.0.0.1:{}", free_port()),
                ca: None,
                insecure: false,
                token: "anything".into(),
            },
            ContextEntry {
                name: "c2".into(),
                server: kube.c2.url.clone(),
                ca: Some(kube.tls_ca.cert.clone()),
                insecure: false,
                token: C2_TOKEN.into(),
            },
        ],
    );
    let guide = root().join(VERIFY);
    let (out, text) = docrun(
        &kube,
        &path,
        &fixtures(),
        &[
            "plan",
            guide.to_str().unwrap(),
            "--set",
            "CTX_CLUSTER1=c1",
            "--set",
            "CTX_CLUSTER2=c2",
            "--preview",
            "--timeout",
            "2s",
        ],
    );
    assert_eq!(out.status.code(), Some(1), "{text}");
    let c1 = text.find("  context c1:").unwrap();
    let c2 = text.find("  context c2:").unwrap();
    assert!(
        text[c1..c2].contains(
            "cannot be reached: cannot reach the API server of context c1 at http://127.0.0.1:"
        ),
        "{text}"
    );
    assert!(
        text[c2..].contains("would create      Deployment sample/helloworld-v2"),
        "{text}"
    );
    assert!(text.contains("1 context(s) not reached"), "{text}");
}

#[test]
fn a_kind_an_earlier_step_defines_would_be_created_and_a_version_it_does_not_is_rejected() {
    let kube = FakeKube::start();
    let (out, text) = plan(
        &kube,
        &kube.kubeconfig_path,
        "crd.md",
        &["--format", "json"],
    );
    assert_eq!(out.status.code(), Some(1), "{text}");
    let preview = &json(&out)["preview"];
    assert_eq!(
        objects(preview, "c1"),
        owned(&[
            (
                "CustomResourceDefinition",
                "widgets.example.com",
                "would-create"
            ),
            ("Widget", "default/w1", "would-create"),
            ("Widget", "default/w2", "rejected"),
        ]),
        "{text}"
    );
    let c1 = &preview["contexts"][0]["objects"];
    assert!(
        c1[1]["note"]
            .as_str()
            .unwrap()
            .contains("CustomResourceDefinition step intro_1 creates"),
        "{text}"
    );
    assert!(
        c1[2]["reason"]
            .as_str()
            .unwrap()
            .contains("no matches for kind \"Widget\" in version \"example.com/v2\""),
        "{text}"
    );
    assert_eq!(c1[2]["source"]["line"], 34, "{text}");
}

const WEB: &str = "apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: default
spec:
  replicas: 1
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: web
        image: example.com/web:1
";

#[test]
fn scale_set_image_and_patch_are_previewed_on_the_live_object() {
    let kube = FakeKube::start();
    let out = kube.kubectl("c1", &["apply", "-f", "-"], Some(WEB));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let (out, text) = plan(
        &kube,
        &kube.kubeconfig_path,
        "change.md",
        &["--format", "json"],
    );
    assert_eq!(out.status.code(), Some(1), "{text}");
    let preview = &json(&out)["preview"];
    let outcomes: Vec<String> = objects(preview, "c1").into_iter().map(|o| o.2).collect();
    assert_eq!(
        outcomes,
        [
            "would-change",
            "would-change",
            "would-change",
            "would-change",
            "rejected",
            "rejected"
        ],
        "{text}"
    );
    let c1 = &preview["contexts"][0]["objects"];
    // Each change is compared with the object as the steps before would leave it.
    assert_eq!(
        c1[0]["fields"],
        serde_json::json!(["/spec/replicas"]),
        "{text}"
    );
    assert_eq!(
        c1[1]["fields"],
        serde_json::json!(["/spec/template/spec/containers/0/image"]),
        "{text}"
    );
    assert_eq!(
        c1[1]["note"], "compared with the object as step intro_1 would leave it",
        "{text}"
    );
    assert_eq!(
        c1[2]["fields"],
        serde_json::json!(["/metadata/labels"]),
        "{text}"
    );
    assert_eq!(
        c1[3]["fields"],
        serde_json::json!(["/spec/minReadySeconds"]),
        "{text}"
    );
    assert!(
        c1[4]["reason"]
            .as_str()
            .unwrap()
            .contains("deployments \"missing\" not found"),
        "{text}"
    );
    assert!(
        c1[5]["reason"]
            .as_str()
            .unwrap()
            .contains("unable to find container named \"nosuch\""),
        "{text}"
    );
    let not: Vec<&str> = preview["not_previewed"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["reason"].as_str().unwrap())
        .collect();
    assert_eq!(
        not,
        ["docrun does not preview `kubectl rollout` yet"],
        "{text}"
    );
    // Nothing changed.
    let live = kube.kubectl("c1", &["get", "deployment", "web", "-o", "json"], None);
    let live: Value = serde_json::from_slice(&live.stdout).unwrap();
    assert_eq!(live["spec"]["replicas"], 1);
    assert_eq!(
        live["spec"]["template"]["spec"]["containers"][0]["image"],
        "example.com/web:1"
    );
}

#[test]
fn an_unknown_field_is_rejected_by_the_servers_strict_validation() {
    let kube = FakeKube::start();
    let ns = "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: sample\n";
    assert!(kube
        .kubectl("c1", &["apply", "-f", "-"], Some(ns))
        .status
        .success());
    let work = tempfile::tempdir().unwrap();
    for path in [
        "samples/helloworld/helloworld.yaml",
        "samples/curl/curl.yaml",
    ] {
        let to = work.path().join(path);
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::copy(fixtures().join(path), &to).unwrap();
    }
    let file = work.path().join("samples/curl/curl.yaml");
    let edited = std::fs::read_to_string(&file)
        .unwrap()
        .replace("  replicas: 1\n", "  replicass: 1\n");
    std::fs::write(&file, edited).unwrap();
    let (out, text) = preview_verify(&kube, work.path(), "json");
    assert_eq!(out.status.code(), Some(1), "{text}");
    let preview = &json(&out)["preview"];
    let c1 = objects(preview, "c1");
    assert_eq!(
        c1.last().unwrap(),
        &(
            "Deployment".to_owned(),
            "sample/curl".to_owned(),
            "rejected".to_owned()
        ),
        "{text}"
    );
    let curl = preview["contexts"][0]["objects"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .clone();
    assert!(
        curl["reason"]
            .as_str()
            .unwrap()
            .contains(".spec.replicass: field not declared in schema"),
        "{text}"
    );
    assert_eq!(
        curl["source"],
        serde_json::json!({"file": "samples/curl/curl.yaml", "line": 20})
    );
    assert!(
        curl["at"]["file"]
            .as_str()
            .unwrap()
            .ends_with("verify.en.md"),
        "{text}"
    );
    assert_eq!(curl["at"]["line"], 128, "{text}");
    // The other objects in c1's existing namespace were checked by the server and pass.
    assert_eq!(
        c1[2],
        (
            "Service".to_owned(),
            "sample/helloworld".to_owned(),
            "would-create".to_owned()
        )
    );
    assert_eq!(
        preview["contexts"][0]["objects"][2]["note"],
        Value::Null,
        "{text}"
    );
}

/// Config maps in two namespaces of c1: `default/web-a` and `shop/web-b` labelled `app=web`,
/// `default/db` and `shop/other` labelled `app=db`.
async fn labelled_config_maps(kube: &FakeKube) {
    let client = kube.client("c1").await;
    let namespaces: Api<k8s_openapi::api::core::v1::Namespace> = Api::all(client.clone());
    let shop = serde_json::from_value(serde_json::json!({"metadata": {"name": "shop"}})).unwrap();
    namespaces
        .create(&PostParams::default(), &shop)
        .await
        .unwrap();
    for (ns, name, app) in [
        ("default", "web-a", "web"),
        ("default", "db", "db"),
        ("shop", "web-b", "web"),
        ("shop", "other", "db"),
    ] {
        let api: Api<ConfigMap> = Api::namespaced(client.clone(), ns);
        let cm: ConfigMap = serde_json::from_value(serde_json::json!({
            "metadata": {"name": name, "labels": {"app": app}}, "data": {"a": "1"}
        }))
        .unwrap();
        api.create(&PostParams::default(), &cm).await.unwrap();
    }
}

/// The preview (JSON) of a guide whose one step is `command`, with the current context c1.
fn preview_of(kube: &FakeKube, command: &str) -> (Value, String) {
    let dir = tempfile::tempdir().unwrap();
    let guide = dir.path().join("scope.md");
    std::fs::write(&guide, format!("# Scope\n\n```bash\n{command}\n```\n")).unwrap();
    let (out, text) = docrun(
        kube,
        &kube.kubeconfig_path,
        dir.path(),
        &[
            "plan",
            guide.to_str().unwrap(),
            "--preview",
            "--format",
            "json",
        ],
    );
    assert!(!out.stdout.is_empty(), "{command}: {text}");
    (json(&out)["preview"].clone(), text)
}

/// `(kind, namespace/name, outcome)` of c1's objects, sorted.
fn sorted_objects(preview: &Value) -> Vec<(String, String, String)> {
    let mut rows = if preview["contexts"].as_array().unwrap().is_empty() {
        Vec::new()
    } else {
        objects(preview, "c1")
    };
    rows.sort();
    rows
}

#[tokio::test]
async fn a_selector_across_namespaces_previews_each_matching_object() {
    let kube = FakeKube::start();
    labelled_config_maps(&kube).await;
    let (preview, text) = preview_of(&kube, "kubectl delete configmap -l app=web -A");
    assert_eq!(
        sorted_objects(&preview),
        owned(&[
            ("ConfigMap", "default/web-a", "would-delete"),
            ("ConfigMap", "shop/web-b", "would-delete"),
        ]),
        "{text}"
    );
    let first = &preview["contexts"][0]["objects"][0];
    assert_eq!(first["scope"], "-l app=web in every namespace", "{text}");

    // --all in every namespace: each object, in each namespace.
    let (preview, text) = preview_of(&kube, "kubectl delete configmap --all --all-namespaces");
    let names: Vec<String> = sorted_objects(&preview)
        .into_iter()
        .map(|(_, name, _)| name)
        .collect();
    for name in ["default/db", "default/web-a", "shop/other", "shop/web-b"] {
        assert!(names.contains(&name.to_owned()), "{name}: {text}");
    }

    // One namespace, the selector in its `=` spelling, an output flag: not names.
    let (preview, text) = preview_of(
        &kube,
        "kubectl delete configmap -n shop --selector=app=db -o name --context c1",
    );
    assert_eq!(
        sorted_objects(&preview),
        owned(&[("ConfigMap", "shop/other", "would-delete")]),
        "{text}"
    );

    // A field selector narrows the list as the server reads it.
    let (preview, text) = preview_of(
        &kube,
        "kubectl delete cm -l app=web --field-selector metadata.name=web-b -A",
    );
    assert_eq!(
        sorted_objects(&preview),
        owned(&[("ConfigMap", "shop/web-b", "would-delete")]),
        "{text}"
    );

    // Nothing matches: said of the scope, which is no object name.
    let (preview, text) = preview_of(&kube, "kubectl delete configmap -l app=none -A");
    let none = &preview["contexts"][0]["objects"];
    assert_eq!(none.as_array().unwrap().len(), 1, "{text}");
    assert_eq!(none[0]["outcome"], "nothing-to-delete", "{text}");
    assert_eq!(none[0]["name"], "", "{text}");
    assert_eq!(none[0]["scope"], "-l app=none in every namespace", "{text}");
    assert!(!text.contains("default/-l"), "{text}");

    // The text report says the same.
    let dir = tempfile::tempdir().unwrap();
    let guide = dir.path().join("scope.md");
    std::fs::write(
        &guide,
        "# Scope\n\n```bash\nkubectl delete configmap -l app=web -A\nkubectl delete cm -l app=none -A\n```\n",
    )
    .unwrap();
    let (_, text) = docrun(
        &kube,
        &kube.kubeconfig_path,
        dir.path(),
        &["plan", guide.to_str().unwrap(), "--preview"],
    );
    assert!(
        text.contains("would delete      ConfigMap shop/web-b  [-l app=web in every namespace]"),
        "{text}"
    );
    assert!(
        text.contains("nothing to delete ConfigMap (-l app=none in every namespace)\n          note: no object matches"),
        "{text}"
    );

    // Nothing was deleted.
    let api: Api<ConfigMap> = Api::all(kube.client("c1").await);
    assert_eq!(
        api.list(&ListParams::default()).await.unwrap().items.len(),
        4
    );
}

#[tokio::test]
async fn a_scope_docrun_does_not_understand_is_listed_as_not_previewed() {
    let kube = FakeKube::start();
    labelled_config_maps(&kube).await;
    for (command, why) in [
        (
            "kubectl delete configmap --frobnicate web-a",
            "--frobnicate",
        ),
        (
            "kubectl delete configmap web-a -l app=web",
            "name cannot be provided when a selector is specified",
        ),
        (
            "kubectl delete configmap --all -l app=web",
            "--all with a selector",
        ),
        (
            "kubectl delete configmap web-a -A",
            "a resource cannot be retrieved by name across all namespaces",
        ),
    ] {
        let (preview, text) = preview_of(&kube, command);
        assert_eq!(sorted_objects(&preview), [], "{command}: {text}");
        let reasons: Vec<&str> = preview["not_previewed"]
            .as_array()
            .unwrap()
            .iter()
            .map(|n| n["reason"].as_str().unwrap())
            .collect();
        assert_eq!(reasons.len(), 1, "{command}: {text}");
        assert!(reasons[0].contains(why), "{command}: {reasons:?}");
    }
}

#[test]
fn helm_names_its_context_with_kube_context() {
    let kube = FakeKube::start();
    for command in [
        "helm --kube-context c2 upgrade --install web ./chart",
        "helm upgrade --install web ./chart --kube-context=c2",
    ] {
        let (preview, text) = preview_of(&kube, command);
        let n = &preview["not_previewed"][0];
        assert_eq!(n["context"], "c2", "{command}: {text}");
        assert!(
            n["reason"]
                .as_str()
                .unwrap()
                .contains("helm changes the cluster its own way"),
            "{command}: {text}"
        );
    }
}

/// A slow but healthy server (each discovery document takes 0.6 s, the call timeout is 1 s) is
/// previewed: its groups are asked at once, not one after the other within a fixed budget.
#[test]
fn a_slow_but_healthy_server_is_previewed() {
    let kube = FakeKube::start();
    let slow = support::fakekube::Server::start(
        &["--discovery-latency", "0.6"],
        &kube.dir.path().join("slow.log"),
    );
    let kubeconfig = kube.dir.path().join("slow.kubeconfig");
    kube.write_kubeconfig(
        &kubeconfig,
        &[ContextEntry {
            name: "slow".into(),
            server: slow.url.clone(),
            ca: None,
            insecure: false,
            token: "t".into(),
        }],
    );
    let dir = tempfile::tempdir().unwrap();
    let guide = dir.path().join("slow.md");
    std::fs::write(
        &guide,
        "# Slow\n\n```bash\nkubectl --context slow -n default delete deploy web\n```\n",
    )
    .unwrap();
    let (out, text) = docrun(
        &kube,
        &kubeconfig,
        dir.path(),
        &[
            "plan",
            guide.to_str().unwrap(),
            "--preview",
            "--timeout",
            "1s",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(!text.contains("cannot be reached"), "{text}");
    assert!(text.contains("Deployment"), "{text}");
}

#[test]
fn a_500_on_the_first_call_to_a_context_does_not_stop_its_preview() {
    let kube = FakeKube::start();
    // c1 answers through a proxy whose first answer is a 500.
    let proxy = support::faultproxy::FaultProxy::start(&kube.c1.url, "e500:1", kube.dir.path());
    let kubeconfig = kube.dir.path().join("flaky-c1");
    let mut entries = kube.entries_named("c1", "c2");
    entries[0].server = proxy.url.clone();
    kube.write_kubeconfig(&kubeconfig, &entries);
    let guide = root().join(VERIFY);
    let (out, text) = docrun(
        &kube,
        &kubeconfig,
        &fixtures(),
        &[
            "plan",
            guide.to_str().unwrap(),
            "--set",
            "CTX_CLUSTER1=c1",
            "--set",
            "CTX_CLUSTER2=c2",
            "--preview",
            "--format",
            "json",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{text}");
    let c1 = objects(&json(&out)["preview"], "c1");
    assert_eq!(
        c1.first().map(|o| (o.0.as_str(), o.2.as_str())),
        Some(("Namespace", "would-create")),
        "{text}"
    );
    assert!(
        c1.iter().all(|o| o.2.starts_with("would")),
        "every object previewed: {c1:?}"
    );
    assert!(proxy.requests().len() > 1, "{:?}", proxy.requests());
}
