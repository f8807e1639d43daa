//! Guides as a chain, end to end: `plan`/`run --with-prereqs`, `test --list --with-prereqs`
//! and `docrun graph`, on fixtures (tests/fixtures/chain), the shipped multicluster guides, the
//! istio.io corpus, and the founding guide against two fake API servers.

mod support;

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use serde_json::Value;
use support::fakekube::FakeKube;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn fixture(path: &str) -> PathBuf {
    root().join("tests/fixtures/chain").join(path)
}

/// docrun with ARGS in a private working directory, no colour, no contexts from the caller.
fn docrun(args: &[&str], workdir: &Path) -> Output {
    support::docrun::docrun(workdir)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

fn text(out: &Output) -> String {
    format!(
        "exit {:?}\n--- stdout ---\n{}\n--- stderr ---\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

fn plan_json(args: &[&str]) -> (Output, Value) {
    let dir = tempfile::tempdir().unwrap();
    let out = docrun(&[&["plan", "--format", "json"], args].concat(), dir.path());
    let value = serde_json::from_slice(&out.stdout).unwrap_or(Value::Null);
    (out, value)
}

/// The ids of the steps a plan takes, in order.
fn selected_ids(plan: &Value) -> Vec<String> {
    plan["steps"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["selected"] == true)
        .map(|s| s["id"].as_str().unwrap().to_owned())
        .collect()
}

// ------------------------------------------------------------------ the founding guide

#[test]
fn the_founding_guide_with_prereqs_plans_plugin_ca_cert_before_its_trust_check() {
    let guide = root().join("runbooks/istio/multicluster/before-you-begin.zh.md");
    let (out, plan) = plan_json(&[
        guide.to_str().unwrap(),
        "--with-prereqs",
        "--set",
        "CTX_CLUSTER1=c1",
        "--set",
        "CTX_CLUSTER2=c2",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let steps = plan["steps"].as_array().unwrap();
    let ids = selected_ids(&plan);
    // plugin-ca-cert's steps, from the guide the trust section's "请按照[说明]" points at,
    // each with its own file and line, then the founding guide's trust check as a step.
    assert_eq!(
        ids.first().map(String::as_str),
        Some("plugin-ca-cert/plug_in_certificates_and_key_into_the_cluster_1"),
        "{ids:?}"
    );
    let make = steps
        .iter()
        .find(|s| s["id"] == "plugin-ca-cert/plug_in_certificates_and_key_into_the_cluster_2")
        .unwrap();
    assert!(make["file"]
        .as_str()
        .unwrap()
        .ends_with("plugin-ca-cert.zh.md"));
    assert_eq!(make["line"], 52);
    assert!(make["commands"][0]
        .as_str()
        .unwrap()
        .contains("Makefile.selfsigned.mk root-ca"));
    // Its cleanup section is not part of a prerequisite.
    assert!(!ids.iter().any(|id| id.contains("cleanup")), "{ids:?}");
    let check = ids.iter().position(|id| id == "prerequisites").unwrap();
    assert_eq!(check, ids.len() - 1, "{ids:?}");
    let native = &steps.iter().find(|s| s["id"] == "prerequisites").unwrap()["native"];
    assert!(native
        .as_array()
        .unwrap()
        .iter()
        .any(|c| c["check"] == "trust.common-root"));
    // The cluster checks stay in the preflight, before anything runs.
    let preflight: Vec<&str> = plan["prerequisites"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|p| p["checks"].as_array().unwrap())
        .map(|c| c["check"].as_str().unwrap())
        .collect();
    assert!(preflight.contains(&"kube.distinct"), "{preflight:?}");
    assert!(!preflight.contains(&"trust.common-root"), "{preflight:?}");
    assert_eq!(
        plan["chain"]["prerequisites"][0]["needed_by"][0]["origin"],
        "follow"
    );
}

#[test]
fn a_prerequisites_missing_variable_is_located_in_its_own_guide() {
    let dir = tempfile::tempdir().unwrap();
    let guide = root().join("runbooks/istio/multicluster/multi-primary.zh.md");
    let out = docrun(
        &["plan", guide.to_str().unwrap(), "--with-prereqs"],
        dir.path(),
    );
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("CTX_CLUSTER1 (")
            && stderr.contains("multicluster/before-you-begin.zh.md:37)"),
        "{stderr}"
    );
}

#[test]
fn without_the_flag_plan_lists_the_prerequisites_and_what_they_set() {
    let dir = tempfile::tempdir().unwrap();
    let out = docrun(
        &[
            "plan",
            fixture("vars/tracing.md").to_str().unwrap(),
            "--allow-missing",
        ],
        dir.path(),
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(!stdout.contains("gateway/determine"), "{stdout}");
    let section = stdout
        .split("prerequisite guides (not in this plan; --with-prereqs puts their steps first):")
        .nth(1)
        .unwrap_or_else(|| panic!("{stdout}"));
    assert!(
        section.contains("gateway.md  (#determine-the-ingress-ip-and-port; 2 steps)"),
        "{section}"
    );
    assert!(section.contains("needed by"), "{section}");
    assert!(
        section.contains("tracing.md:7 (prerequisite link, derived)"),
        "{section}"
    );
    assert!(section.contains("sets GATEWAY_URL"), "{section}");
}

/// The founding guide, with the test's own overlay (its `requires:` names trust-locally.md in
/// place of plugin-ca-cert, whose Makefiles and istioctl these machines lack), against the
/// fakes: the prerequisite makes the `cacerts` secrets, and the guide's trust check passes.
#[test]
fn the_founding_chain_runs_against_the_fakes_and_its_trust_check_passes() {
    let kube = FakeKube::start();
    let guide = fixture("founding/before-you-begin.zh.md");
    let site = root().join("runbooks/istio/data");
    let run = |extra: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_docrun"))
            .current_dir(kube.dir.path())
            .env("KUBECONFIG", &kube.kubeconfig_path)
            .env("HOME", kube.dir.path())
            .env("DOCRUN_STATE_DIR", kube.dir.path().join("state"))
            .env("NO_COLOR", "1")
            .env_remove("GITHUB_ACTIONS")
            .args([
                "run",
                guide.to_str().unwrap(),
                "--site-data",
                site.to_str().unwrap(),
            ])
            .args([
                "--set",
                "CTX_CLUSTER1=c1",
                "--set",
                "CTX_CLUSTER2=c2",
                "--json",
            ])
            .args(extra)
            .stdin(Stdio::null())
            .output()
            .unwrap()
    };
    // Alone, the guide's preflight finds no cacerts and nothing runs.
    let alone = run(&[]);
    assert_eq!(alone.status.code(), Some(1), "{}", text(&alone));
    assert!(alone.stdout.is_empty(), "{}", text(&alone));

    let out = run(&["--with-prereqs"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let events: Vec<Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let finished: Vec<(&str, &str)> = events
        .iter()
        .filter(|e| e["type"] == "step_finished" && e["status"] != "skipped")
        .map(|e| (e["id"].as_str().unwrap(), e["status"].as_str().unwrap()))
        .collect();
    assert_eq!(
        finished,
        vec![
            ("trust-locally/certificates_1", "passed"),
            ("trust-locally/certificates_2", "passed"),
            ("trust-locally/push_1", "passed"),
            ("prerequisites", "passed"),
        ],
        "{}",
        text(&out)
    );
    let check = events
        .iter()
        .find(|e| e["type"] == "step_finished" && e["id"] == "prerequisites")
        .unwrap();
    assert!(
        check["output"]
            .as_str()
            .unwrap()
            .contains("c1, c2 share the root"),
        "{check}"
    );
    // The secrets are really there, made by the prerequisite's kubectl.
    let got = kube.kubectl(
        "c2",
        &[
            "get",
            "secret",
            "cacerts",
            "-n",
            "istio-system",
            "-o",
            "name",
        ],
        None,
    );
    assert_eq!(
        String::from_utf8_lossy(&got.stdout).trim(),
        "secret/cacerts"
    );
}

// ------------------------------------------------------------------ variables flow

#[test]
fn a_guide_that_needs_gateway_url_runs_after_the_guide_that_exports_it() {
    let dir = tempfile::tempdir().unwrap();
    let guide = fixture("vars/tracing.md");
    let alone = docrun(&["run", guide.to_str().unwrap()], dir.path());
    assert_eq!(alone.status.code(), Some(2), "{}", text(&alone));
    let stderr = String::from_utf8_lossy(&alone.stderr);
    assert!(
        stderr.contains("gateway.md sets GATEWAY_URL; --with-prereqs runs it first"),
        "{stderr}"
    );

    let out = docrun(
        &["run", guide.to_str().unwrap(), "--with-prereqs", "--json"],
        dir.path(),
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    // The value and the working directory the prerequisite left reach the guide's steps.
    assert!(
        stdout.contains("http://127.0.0.1:8080/productpage"),
        "{stdout}"
    );
    let ids: Vec<String> = stdout
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .filter(|e| e["type"] == "step_finished")
        .map(|e| {
            format!(
                "{} {}",
                e["id"].as_str().unwrap(),
                e["status"].as_str().unwrap()
            )
        })
        .collect();
    assert_eq!(
        ids,
        [
            "gateway/determine_the_ingress_ip_and_port_1 passed",
            "gateway/determine_the_ingress_ip_and_port_2 passed",
            "send_1 passed",
            "send_2 passed"
        ]
    );
    // The prerequisite's cleanup did not run: its directory is still there.
    assert!(dir.path().join("sample").is_dir());
}

#[test]
fn a_variable_alone_makes_a_prerequisite_up_to_the_step_that_exports_it() {
    let (out, plan) = plan_json(&[
        fixture("vars/metrics.md").to_str().unwrap(),
        "--with-prereqs",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert_eq!(
        selected_ids(&plan),
        [
            "gateway/determine_the_ingress_ip_and_port_1",
            "gateway/determine_the_ingress_ip_and_port_2",
            "query_1"
        ]
    );
    let link = &plan["chain"]["prerequisites"][0];
    assert_eq!(link["parts"][0]["part"], "up-to");
    assert_eq!(
        link["parts"][0]["at"],
        "determine_the_ingress_ip_and_port_2"
    );
    assert_eq!(link["needed_by"][0]["origin"], "variable");
    assert_eq!(link["sets"][0], "GATEWAY_URL");
    assert!(plan["missing"].as_array().unwrap().is_empty());
}

// ------------------------------------------------------------------ cycle, missing, declared

#[test]
fn a_cycle_is_an_error_that_names_the_guides() {
    let dir = tempfile::tempdir().unwrap();
    for command in ["plan", "run"] {
        let out = docrun(
            &[
                command,
                fixture("cycle/a.md").to_str().unwrap(),
                "--with-prereqs",
            ],
            dir.path(),
        );
        assert_eq!(out.status.code(), Some(2), "{}", text(&out));
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stderr.contains("the prerequisites form a cycle"),
            "{stderr}"
        );
        assert!(
            stderr.contains("cycle/a.md -> ") && stderr.contains("cycle/b.md -> "),
            "{stderr}"
        );
        assert!(out.stdout.is_empty(), "{}", text(&out));
    }
    // Without the flag the guide plans alone, and the cycle is a warning.
    let out = docrun(
        &["plan", fixture("cycle/a.md").to_str().unwrap()],
        dir.path(),
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("warning: the prerequisites form a cycle"),
        "{}",
        text(&out)
    );
}

#[test]
fn a_missing_prerequisite_is_a_warning_in_plan_and_an_error_in_run() {
    let dir = tempfile::tempdir().unwrap();
    let guide = fixture("declared/missing.md");
    let plan = docrun(
        &["plan", guide.to_str().unwrap(), "--with-prereqs"],
        dir.path(),
    );
    assert_eq!(plan.status.code(), Some(0), "{}", text(&plan));
    let stdout = String::from_utf8_lossy(&plan.stdout);
    assert!(
        stdout.contains("warning: ")
            && stdout.contains("missing.md:5: prerequisite `nowhere.md` names no guide"),
        "{stdout}"
    );
    let run = docrun(
        &["run", guide.to_str().unwrap(), "--with-prereqs"],
        dir.path(),
    );
    assert_eq!(run.status.code(), Some(2), "{}", text(&run));
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(
        stderr.contains("missing.md:5: prerequisite `nowhere.md`"),
        "{stderr}"
    );
    assert!(!stderr.contains("PASS"), "nothing runs: {stderr}");
}

#[test]
fn a_declared_requires_overrides_the_derived_prerequisite() {
    let (out, plan) = plan_json(&[
        fixture("declared/overridden.md").to_str().unwrap(),
        "--with-prereqs",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert_eq!(selected_ids(&plan), ["declared/steps_1", "steps_1"]);
    assert_eq!(
        plan["chain"]["prerequisites"][0]["needed_by"][0]["origin"],
        "declared"
    );

    let (out, plan) = plan_json(&[
        fixture("declared/none.md").to_str().unwrap(),
        "--with-prereqs",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert_eq!(selected_ids(&plan), ["steps_1"]);

    // The same link without `requires:` is a derived prerequisite.
    let (out, plan) = plan_json(&[fixture("declared/overridden.md").to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let link = &plan["chain"]["prerequisites"][0];
    assert!(
        link["guide"].as_str().unwrap().ends_with("declared.md"),
        "{link}"
    );
}

// ------------------------------------------------------------------ graph

/// Mermaid's own parser (tests/mermaid, installed by `.ci/run` with `npm ci`).
fn mermaid_parses(text: &str) -> Result<(), String> {
    let dir = root().join("tests/mermaid");
    assert!(
        dir.join("node_modules/mermaid").is_dir(),
        "Mermaid's parser is not installed: run `npm ci --prefix tests/mermaid` (as .ci/run does)"
    );
    let mut child = Command::new("node")
        .arg(dir.join("check.mjs"))
        .current_dir(&dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("node (installed by .ci/run)");
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    if out.status.success() {
        Ok(())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).into_owned())
    }
}

/// Graphviz's `dot` reads the graph and lays it out.
fn dot_parses(text: &str) -> Result<(), String> {
    let mut child = Command::new("dot")
        .arg("-Tsvg")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("graphviz's dot (installed by .ci/run)");
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    if out.status.success() && !stderr.contains("rror") {
        Ok(())
    } else {
        Err(stderr)
    }
}

fn graph(paths: &[&Path], format: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    let mut args = vec!["graph", "--format", format];
    args.extend(paths.iter().map(|p| p.to_str().unwrap()));
    let out = docrun(&args, dir.path());
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn the_graph_of_the_corpus_is_valid_mermaid_and_dot() {
    let corpus = root().join("tests/corpus/istio/content/en/docs");
    let mermaid = graph(&[&corpus], "mermaid");
    mermaid_parses(&mermaid).unwrap_or_else(|e| panic!("{e}\n{mermaid}"));
    let dot = graph(&[&corpus], "dot");
    dot_parses(&dot).unwrap_or_else(|e| panic!("{e}\n{dot}"));
    // A broken graph does not parse, so the checks can fail.
    assert!(mermaid_parses("flowchart LR\n  g0[\"a\"] -->|\"x| g1\n").is_err());
    assert!(dot_parses("digraph { g0 -> }").is_err());

    // Every guide once, linked or not; the tracing guide after Bookinfo, which sets GATEWAY_URL.
    let json: Value = serde_json::from_str(&graph(&[&corpus], "json")).unwrap();
    let guides = json["guides"].as_array().unwrap();
    let md_files = walk(&corpus);
    assert_eq!(guides.len(), md_files);
    let id = |name: &str| {
        guides
            .iter()
            .find(|g| g["name"] == name)
            .unwrap_or_else(|| panic!("no guide {name}"))["id"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let (bookinfo, jaeger) = (
        id("examples/bookinfo"),
        id("tasks/observability/distributed-tracing/jaeger"),
    );
    let edge = json["edges"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["prerequisite"] == bookinfo.as_str() && e["dependent"] == jaeger.as_str())
        .unwrap_or_else(|| panic!("no edge bookinfo -> jaeger"));
    assert_eq!(edge["kind"], "derived");
    assert_eq!(edge["at"], "deploying-the-application");
    assert_eq!(edge["variables"][0], "GATEWAY_URL");
    let nodes = mermaid.lines().filter(|l| l.contains("[\"")).count();
    assert_eq!(nodes, md_files, "{mermaid}");
}

fn walk(dir: &Path) -> usize {
    let mut n = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            n += walk(&path);
        } else if path.extension().is_some_and(|e| e == "md") {
            n += 1;
        }
    }
    n
}

#[test]
fn the_multicluster_graph_shows_the_founding_guide_between_plugin_ca_cert_and_the_installs() {
    let dir = root().join("runbooks/istio/multicluster");
    let json: Value = serde_json::from_str(&graph(&[&dir], "json")).unwrap();
    let name = |id: &str| {
        json["guides"]
            .as_array()
            .unwrap()
            .iter()
            .find(|g| g["id"] == id)
            .unwrap()["name"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let mut edges: Vec<String> = json["edges"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["prerequisite"] != e["dependent"])
        .map(|e| {
            format!(
                "{} -> {}",
                name(e["prerequisite"].as_str().unwrap()),
                name(e["dependent"].as_str().unwrap())
            )
        })
        .filter(|e| e.contains(".zh."))
        .collect();
    edges.sort();
    assert_eq!(
        edges,
        [
            "before-you-begin.zh.md -> multi-primary.zh.md",
            "before-you-begin.zh.md -> multi-primary_multi-network.zh.md",
            "before-you-begin.zh.md -> primary-remote.zh.md",
            "before-you-begin.zh.md -> primary-remote_multi-network.zh.md",
            "before-you-begin.zh.md -> verify.zh.md",
            "plugin-ca-cert.zh.md -> before-you-begin.zh.md",
        ]
    );
    // Declared edges are drawn apart from derived ones.
    let both = [fixture("declared"), fixture("vars")];
    let both: Vec<&Path> = both.iter().map(PathBuf::as_path).collect();
    let declared = graph(&both, "dot");
    assert!(declared.contains("style=bold, kind=declared"), "{declared}");
    assert!(declared.contains("style=solid, kind=derived"), "{declared}");
    dot_parses(&declared).unwrap();
    let declared = graph(&both, "mermaid");
    assert!(
        declared.contains("==>") && declared.contains("-->"),
        "{declared}"
    );
    mermaid_parses(&declared).unwrap();
}

// ------------------------------------------------------------------ doc CI

#[test]
fn test_list_with_prereqs_runs_guides_whose_variables_a_prerequisite_sets() {
    let corpus = root().join("tests/corpus/istio/content/en/docs");
    let dir = tempfile::tempdir().unwrap();
    let list = |extra: &[&str]| {
        let mut args = vec!["test", "--list", corpus.to_str().unwrap()];
        args.extend(extra);
        let out = docrun(&args, dir.path());
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let line_of = |text: &str, guide: &str| {
        text.lines()
            .find(|l| l.ends_with(guide))
            .unwrap_or_else(|| panic!("{guide} not listed:\n{text}"))
            .to_owned()
    };
    let alone = list(&[]);
    let chained = list(&["--with-prereqs"]);
    for guide in [
        "distributed-tracing/jaeger/index.md",
        "metrics/querying-metrics/index.md",
        "authentication/jwt-route/index.md",
    ] {
        assert!(
            line_of(&alone, guide).starts_with("skip  needs variables:"),
            "{alone}"
        );
        assert!(line_of(&chained, guide).starts_with("run "), "{chained}");
    }
    // The chain is shown under the guide.
    let jaeger = chained
        .lines()
        .skip_while(|l| !l.ends_with("distributed-tracing/jaeger/index.md"))
        .nth(1)
        .unwrap();
    assert!(
        jaeger.trim_start().starts_with("after ")
            && jaeger
                .contains("ingress-control/index.md (#determining-the-ingress-ip-and-ports) -> ")
            && jaeger.ends_with("examples/bookinfo/index.md (#deploying-the-application)"),
        "{jaeger}"
    );
    // Contexts stay for a person to give.
    assert!(line_of(&chained, "multicluster/multi-primary/index.md")
        .starts_with("skip  needs variables: CTX_CLUSTER1, CTX_CLUSTER2"));
}

#[test]
fn test_with_prereqs_runs_a_shared_prerequisite_once_and_forks_its_state() {
    let dir = tempfile::tempdir().unwrap();
    let count = dir.path().join("count");
    let junit = dir.path().join("junit.xml");
    let out = docrun(
        &[
            "test",
            "--with-prereqs",
            fixture("shared").to_str().unwrap(),
            "--set",
            &format!("COUNT_FILE={}", count.display()),
            "-j",
            "2",
            "--junit",
            junit.to_str().unwrap(),
        ],
        dir.path(),
    );
    // The broken set-up fails the run.
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    // The summary is on stdout.
    let stderr = String::from_utf8_lossy(&out.stdout);
    // The shared set-up ran once for its two dependents, which both saw its file, its
    // exported variable and its working directory, each in a copy of its own.
    let row = |guide: &str| {
        stderr
            .lines()
            .find(|l| l.contains(guide) && (l.ends_with("passed") || l.ends_with("FAILED")))
            .unwrap_or_else(|| panic!("no summary row for {guide}:\n{stderr}"))
            .split_whitespace()
            .rev()
            .take(5)
            .collect::<Vec<_>>()
    };
    assert_eq!(row("ok/first.md")[0], "passed", "{stderr}");
    assert_eq!(row("ok/second.md")[0], "passed", "{stderr}");
    assert!(stderr.contains("prerequisites of 2 guides: "), "{stderr}");
    // ok/'s set-up ran once; in tree/, the base ran once for its three guides, and the sample
    // on it once for the two that go on to it.
    let mut runs: Vec<String> = std::fs::read_to_string(&count)
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect();
    runs.sort();
    assert_eq!(runs, ["base", "run", "sample"], "{stderr}");
    assert!(stderr.contains("prerequisites of 3 guides: "), "{stderr}");
    for guide in ["tree/x.md", "tree/y.md", "tree/z.md"] {
        assert_eq!(row(guide)[0], "passed", "{stderr}");
    }
    // A failed prerequisite skips its dependents, with that reason.
    for guide in ["broken/third.md", "broken/fourth.md"] {
        let r = row(guide);
        assert_eq!(
            (r[0], r[2], r[3], r[4]),
            ("FAILED", "1", "0", "0"),
            "{stderr}"
        );
        assert!(
            stderr.contains(&format!(
                "SKIP {}: not run: its prerequisites failed",
                fixture("shared").join(guide).display()
            )),
            "{stderr}"
        );
    }
    let xml = std::fs::read_to_string(&junit).unwrap();
    assert!(xml.contains("not run: its prerequisites failed"), "{xml}");
}

/// `docrun test --with-prereqs --list --format json` run in `dir` on `path`: each guide's
/// prerequisites, with `prefix` taken off every path.
fn prerequisites_seen_from(dir: &Path, path: &str, prefix: &str) -> Vec<(String, Vec<String>)> {
    let out = support::docrun::docrun(dir)
        .args(["test", path, "--with-prereqs", "--list", "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let list: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let strip = |s: &str| s.replace(prefix, "");
    list["guides"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| {
            let prerequisites = g["prerequisites"]
                .as_array()
                .map(|p| p.iter().map(|s| strip(s.as_str().unwrap())).collect())
                .unwrap_or_default();
            (strip(g["path"].as_str().unwrap()), prerequisites)
        })
        .collect()
}

#[test]
fn prerequisites_are_the_same_whether_the_tree_is_named_from_inside_outside_or_absolutely() {
    let project = Path::new(env!("CARGO_MANIFEST_DIR"));
    let docs = "tests/corpus/istio/content/en/docs";
    let outside = prerequisites_seen_from(project, docs, &format!("{docs}/"));
    let inside = prerequisites_seen_from(&project.join(docs), ".", "./");
    let absolute = project.join(docs);
    let absolute = prerequisites_seen_from(
        Path::new("/"),
        absolute.to_str().unwrap(),
        &format!("{}/", absolute.display()),
    );
    let chained = outside.iter().filter(|(_, p)| !p.is_empty()).count();
    assert!(chained > 20, "{outside:#?}");
    assert_eq!(inside, outside);
    assert_eq!(absolute, outside);
}

// ------------------------------------------------------------------ precise chains

/// `docrun test --list` of tests/fixtures/chain/precise: each guide's file name and its line
/// (`run   3 steps ...` or `skip  ...`), with or without `--with-prereqs`.
fn precise_list(extra: &[&str]) -> Vec<(String, String)> {
    let dir = tempfile::tempdir().unwrap();
    let tree = fixture("precise");
    let mut args = vec!["test", "--list", tree.to_str().unwrap()];
    args.extend(extra);
    let out = docrun(&args, dir.path());
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| l.starts_with("run ") || l.starts_with("skip "))
        .map(|l| {
            let name = l.rsplit('/').next().unwrap().to_owned();
            (name, l.to_owned())
        })
        .collect()
}

#[test]
fn a_refer_to_link_and_a_summary_section_link_are_not_prerequisites() {
    // routing.md says "Refer to the [Requirements for Pods and Services](requirements.md) for
    // details" and links the same page under "Understanding what happened"; the page asks for
    // a namespace. Only its "Before you begin" link to the sample is a prerequisite.
    let (out, plan) = plan_json(&[
        fixture("precise/routing.md").to_str().unwrap(),
        "--with-prereqs",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let guides: Vec<&str> = plan["chain"]["prerequisites"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["guide"].as_str().unwrap().rsplit('/').next().unwrap())
        .collect();
    assert_eq!(guides, ["sample.md"]);
    assert_eq!(
        selected_ids(&plan),
        ["sample/deploy_1", "sample/deploy_2", "route_1", "route_2"]
    );
    assert!(plan["missing"].as_array().unwrap().is_empty(), "{plan:#}");
    // Nor is either link reported as a prerequisite not followed.
    assert!(
        plan["chain"]["missing"].as_array().unwrap().is_empty(),
        "{:#}",
        plan["chain"]["missing"]
    );
}

#[test]
fn a_before_you_begin_link_is_still_a_prerequisite() {
    // faults.md's "Before you begin" names the sample and the routing task: both run first,
    // in that order, the sample once.
    let (out, plan) = plan_json(&[
        fixture("precise/faults.md").to_str().unwrap(),
        "--with-prereqs",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert_eq!(
        selected_ids(&plan),
        [
            "sample/deploy_1",
            "sample/deploy_2",
            "routing/route_1",
            "routing/route_2",
            "delay_1"
        ]
    );
}

#[test]
fn a_guide_that_runs_alone_is_not_skipped_with_prereqs() {
    let alone = precise_list(&[]);
    let chained = precise_list(&["--with-prereqs"]);
    for (guide, line) in &alone {
        if line.starts_with("run ") {
            let with = &chained.iter().find(|(g, _)| g == guide).unwrap().1;
            assert!(with.starts_with("run "), "{guide}: {with}\n{chained:#?}");
        }
    }
    // authz.md's "follow the installation guide" leads to a guide that asks for install
    // options: not followed from a guide that asks for nothing, and plan says why.
    let dir = tempfile::tempdir().unwrap();
    let out = docrun(
        &[
            "plan",
            fixture("precise/authz.md").to_str().unwrap(),
            "--with-prereqs",
        ],
        dir.path(),
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("authz.md:7: prerequisite `install.md` asks for values a person gives (YOUR_INSTALL_OPTIONS)"),
        "{stdout}"
    );
    // A guide that asks for values itself still takes the installation guide first.
    let multi = &chained.iter().find(|(g, _)| g == "multi.md").unwrap().1;
    assert!(
        multi.starts_with("skip  needs variables: YOUR_INSTALL_OPTIONS, CTX"),
        "{multi}"
    );
}

#[test]
fn plan_names_each_prerequisite_with_the_steps_it_adds() {
    let dir = tempfile::tempdir().unwrap();
    let guide = fixture("precise/faults.md");
    let prerequisites = |extra: &[&str]| {
        let out = docrun(
            &[&["plan", guide.to_str().unwrap()], extra].concat(),
            dir.path(),
        );
        assert_eq!(out.status.code(), Some(0), "{}", text(&out));
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .skip_while(|l| *l != "Prerequisites:")
            .skip(1)
            .take_while(|l| !l.is_empty())
            .map(|l| l.replace(&format!("{}/", fixture("precise").display()), ""))
            .collect::<Vec<_>>()
    };
    assert_eq!(
        prerequisites(&["--with-prereqs"]),
        [
            "  - guide sample.md (whole guide): adds 2 steps",
            "  - guide routing.md (whole guide): adds 2 steps",
        ]
    );
    assert_eq!(
        prerequisites(&[]),
        [
            "  - guide sample.md (whole guide): would add 2 steps with --with-prereqs",
            "  - guide routing.md (whole guide): would add 2 steps with --with-prereqs",
        ]
    );
}

#[test]
fn on_the_istio_corpus_no_guide_that_runs_alone_is_skipped_with_prereqs() {
    let corpus = root().join("tests/corpus/istio/content/en/docs");
    let dir = tempfile::tempdir().unwrap();
    let list = |extra: &[&str]| -> Vec<(String, String)> {
        let mut args = vec!["test", "--list", corpus.to_str().unwrap()];
        args.extend(extra);
        let out = docrun(&args, dir.path());
        assert_eq!(out.status.code(), Some(0), "{}", text(&out));
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter(|l| l.starts_with("run ") || l.starts_with("skip "))
            .map(|l| (l.rsplit(' ').next().unwrap().to_owned(), l.to_owned()))
            .collect()
    };
    let alone = list(&[]);
    let chained = list(&["--with-prereqs"]);
    let skipped: Vec<&String> = alone
        .iter()
        .filter(|(_, l)| l.starts_with("run "))
        .filter_map(|(g, _)| chained.iter().find(|(h, _)| h == g))
        .filter(|(_, l)| !l.starts_with("run "))
        .map(|(_, l)| l)
        .collect();
    assert!(skipped.is_empty(), "{skipped:#?}");
    let for_variables = |l: &[(String, String)]| {
        l.iter()
            .filter(|(_, l)| l.starts_with("skip  needs variables:"))
            .count()
    };
    assert_eq!(for_variables(&alone), 41);
    assert!(for_variables(&chained) <= 24, "{chained:#?}");
}
