//! Reading AsciiDoc pages (`.adoc`, `.asciidoc`) as Asciidoctor renders them, and Sail
//! Operator's doc tests (`name="NAME"` blocks, hidden `ifdef::NAME[]` regions) as its harness
//! reads them: each rule on small pages of the tests' own, through the binary.

mod support;

use std::path::Path;
use std::process::Output;

use serde_json::Value;

/// A documentation tree of the test's own: a `docrun.yaml` marks its root.
fn tree(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("docs");
    std::fs::create_dir_all(&root).unwrap();
    if !files.iter().any(|(p, _)| *p == "docrun.yaml") {
        std::fs::write(root.join("docrun.yaml"), "vars: {}\n").unwrap();
    }
    for (path, content) in files {
        let path = root.join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, content).unwrap();
    }
    dir
}

fn docrun(dir: &Path, args: &[&str]) -> Output {
    support::docrun::docrun(&dir.join("docs"))
        .args(args)
        .output()
        .unwrap()
}

fn plan(dir: &Path, file: &str, extra: &[&str]) -> Value {
    let out = docrun(
        dir,
        &[
            &["plan", file, "--allow-missing", "--format", "json"],
            extra,
        ]
        .concat(),
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        support::docrun::printed(&out)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn steps(plan: &Value) -> Vec<Value> {
    plan["steps"].as_array().unwrap().clone()
}

/// The command steps: (line, selected, commands joined with newlines).
fn commands(plan: &Value) -> Vec<(u64, bool, String)> {
    steps(plan)
        .iter()
        .filter(|s| s["kind"] == "command")
        .map(|s| {
            let text: Vec<&str> = s["commands"]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| c.as_str().unwrap())
                .collect();
            (
                s["line"].as_u64().unwrap(),
                s["selected"].as_bool().unwrap(),
                text.join("\n"),
            )
        })
        .collect()
}

/// What the selected steps run, in order.
fn selected(plan: &Value) -> Vec<String> {
    commands(plan)
        .into_iter()
        .filter(|c| c.1)
        .map(|c| c.2)
        .collect()
}

const GUIDE: &str = "\
= Install the mesh
:version: 1.30.3

[[install]]
== Install

. Create the namespace.
+
[source,bash]
----
kubectl create namespace istio-system
----

. Show the versions.
+
[source,console,subs=\"attributes+\"]
----
$ echo v{version}
v{version}
----

....
kubectl delete namespace istio-system
....

[source,bash]
----
echo {version}
----
";

#[test]
fn listing_blocks_attached_with_a_continuation_are_steps_and_literal_blocks_are_not() {
    let dir = tree(&[("g.adoc", GUIDE)]);
    let plan = plan(dir.path(), "g.adoc", &[]);
    assert_eq!(plan["dialect"]["dialect"], "asciidoc", "{plan}");
    let found = commands(&plan);
    assert_eq!(
        found,
        vec![
            (9, true, "kubectl create namespace istio-system".to_owned()),
            (16, true, "echo v1.30.3".to_owned()),
            (26, true, "echo {version}".to_owned()),
        ],
        "the literal block at line 22 is shown, never run"
    );
    let console = steps(&plan).into_iter().find(|s| s["line"] == 16).unwrap();
    assert_eq!(console["expected"], "v1.30.3\n", "{console}");
    assert_eq!(console["expected_line"], 19);
    // The section's anchor names the steps.
    assert_eq!(steps(&plan)[0]["id"], "install_1", "{plan}");
}

#[test]
fn comments_are_not_read() {
    let dir = tree(&[(
        "g.adoc",
        "== Steps\n\n// [source,bash]\n////\n[source,bash]\n----\nrm -rf /tmp/x\n----\n////\n\n[source,bash]\n----\necho kept\n----\n",
    )]);
    let plan = plan(dir.path(), "g.adoc", &[]);
    assert_eq!(commands(&plan), vec![(11, true, "echo kept".to_owned())]);
}

#[test]
fn attributes_are_substituted_where_subs_asks_and_as_set_at_that_point() {
    let dir = tree(&[(
        "g.adoc",
        ":v: 1\n\n[source,bash,subs=\"+attributes\"]\n----\necho {v} {unset}\n----\n\n:v: 2\n\n[source,bash,subs=\"attributes+\"]\n----\necho {v}\n----\n\n[source,bash]\n----\necho {v}\n----\n",
    )]);
    let plan = plan(dir.path(), "g.adoc", &[]);
    assert_eq!(
        selected(&plan),
        vec!["echo 1 {unset}", "echo 2", "echo {v}"],
        "{plan}"
    );
}

#[test]
fn ifdef_and_ifndef_follow_the_attributes_the_page_sets() {
    let dir = tree(&[(
        "g.adoc",
        ":shown:\n\nifdef::shown[]\n[source,bash]\n----\necho shown\n----\nendif::[]\n\nifndef::shown[]\n[source,bash]\n----\necho never\n----\nendif::[]\n\nifdef::shown[NOTE: one line]\nifdef::other,shown[]\n[source,bash]\n----\necho any\n----\nendif::[]\n",
    )]);
    let plan = plan(dir.path(), "g.adoc", &[]);
    assert_eq!(selected(&plan), vec!["echo shown", "echo any"], "{plan}");
    let callout = steps(&plan)
        .into_iter()
        .find(|s| s["kind"] == "callout")
        .expect("the single-line ifdef gives its content");
    assert_eq!(callout["line"], 17);
}

const TESTED: &str = "\
:ver: 1.2 .3

== Update

[source,bash,subs=\"attributes+\",name=\"update-test\"]
----
kubectl apply -f v{ver}.yaml
----

ifdef::update-test[]
wait_ready \"{ver}\"
endif::[]

[source,bash]
----
echo not part of the test
----

[source,bash,name=\"other-test\"]
----
echo other
----

ifdef::other-test[]
check_other
endif::[]
";

#[test]
fn a_tag_selects_its_named_blocks_and_hidden_regions_in_order() {
    let dir = tree(&[("g.adoc", TESTED)]);
    let all = plan(dir.path(), "g.adoc", &[]);
    let hidden: Vec<_> = commands(&all).into_iter().filter(|c| !c.1).collect();
    assert_eq!(
        hidden,
        vec![
            (10, false, "wait_ready \"1.2.3\"".to_owned()),
            (24, false, "check_other".to_owned()),
        ],
        "hidden regions are steps a plain run leaves out: {all}"
    );
    let reason = steps(&all).into_iter().find(|s| s["line"] == 10).unwrap()["reason"].clone();
    assert!(reason.as_str().unwrap().contains("update-test"), "{reason}");

    let tagged = plan(dir.path(), "g.adoc", &["--tag", "update-test"]);
    // As the harness puts attributes in: the first value, its blanks removed.
    assert_eq!(
        selected(&tagged),
        vec!["kubectl apply -f v1.2.3.yaml", "wait_ready \"1.2.3\""],
        "{tagged}"
    );

    let out = docrun(dir.path(), &["plan", "g.adoc", "--tag", "updat-test"]);
    assert_eq!(out.status.code(), Some(2));
    let said = support::docrun::printed(&out);
    assert!(said.contains("update-test"), "{said}");
}

#[test]
fn a_doc_test_needs_only_the_variables_its_own_steps_use() {
    let page = "\
[source,bash]
----
kubectl get pods -n <your-namespace>
----

[source,bash,name=\"t\"]
----
NS=demo
kubectl get pods -n $NS
----
";
    let dir = tree(&[("g.adoc", page)]);
    let out = docrun(dir.path(), &["plan", "g.adoc"]);
    assert_eq!(
        out.status.code(),
        Some(2),
        "the whole guide needs YOUR_NAMESPACE"
    );
    let out = docrun(dir.path(), &["plan", "g.adoc", "--tag", "t"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        support::docrun::printed(&out)
    );
}

#[test]
fn includes_are_read_inside_the_tree_only() {
    let dir = tree(&[
        (
            "g.adoc",
            "== Main\n\ninclude::parts/setup.adoc[]\n\n[source,bash]\n----\ninclude::scripts/run.sh[]\n----\n",
        ),
        (
            "parts/setup.adoc",
            "[source,bash]\n----\necho from the part\n----\n",
        ),
        ("scripts/run.sh", "echo from the script\n"),
    ]);
    let plan = plan(dir.path(), "g.adoc", &[]);
    assert_eq!(
        selected(&plan),
        vec!["echo from the part", "echo from the script"],
        "{plan}"
    );
    let part = steps(&plan)
        .into_iter()
        .find(|s| s["file"].as_str().unwrap().ends_with("setup.adoc"))
        .expect("the included page's step names its own file");
    assert_eq!(part["line"], 1);

    std::fs::write(
        dir.path().join("outside.adoc"),
        "[source,bash]\n----\nsecret\n----\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("docs/bad.adoc"),
        "== Bad\n\n\ninclude::../outside.adoc[]\n",
    )
    .unwrap();
    let out = docrun(dir.path(), &["plan", "bad.adoc", "--allow-missing"]);
    assert_eq!(
        out.status.code(),
        Some(2),
        "{}",
        support::docrun::printed(&out)
    );
    let said = support::docrun::printed(&out);
    assert!(said.contains("bad.adoc:4"), "{said}");
    assert!(!said.contains("secret"), "{said}");
}

#[test]
fn an_unclosed_block_is_an_error_at_its_line() {
    for (text, line) in [
        ("== A\n\n[source,bash]\n----\necho x\n", "g.adoc:4"),
        ("== A\n\nifdef::t[]\necho x\n", "g.adoc:3"),
        ("== A\n\n[NOTE]\n====\ntext\n", "g.adoc:4"),
        ("////\nnever closed\n", "g.adoc:1"),
    ] {
        let dir = tree(&[("g.adoc", text)]);
        let out = docrun(dir.path(), &["plan", "g.adoc", "--allow-missing"]);
        assert_eq!(out.status.code(), Some(2), "{text:?}");
        let said = support::docrun::printed(&out);
        assert!(said.contains(line), "{text:?}: {said}");
        assert!(!said.contains("panicked"), "{said}");
    }
}

#[test]
fn crlf_line_ends_read_the_same() {
    let lf = tree(&[("g.adoc", TESTED)]);
    let crlf = tree(&[("g.adoc", &TESTED.replace('\n', "\r\n"))]);
    for tag in ["update-test", "other-test"] {
        let a = plan(lf.path(), "g.adoc", &["--tag", tag]);
        let b = plan(crlf.path(), "g.adoc", &["--tag", tag]);
        assert_eq!(commands(&a), commands(&b));
        assert!(!selected(&b).is_empty());
    }
}

#[test]
fn admonitions_are_callouts_and_their_output_blocks_pair() {
    let dir = tree(&[(
        "g.adoc",
        "NOTE: Read this first.\n\n[source,bash]\n----\nkubectl get pods\n----\n\nOutput should be similar to:\n\n[source,console]\n----\nNAME   READY\nweb    1/1\n----\n\n[WARNING]\n====\nDo not run this in production.\n====\n",
    )]);
    let plan = plan(dir.path(), "g.adoc", &[]);
    let kinds: Vec<(String, u64)> = steps(&plan)
        .iter()
        .map(|s| {
            (
                s["kind"].as_str().unwrap().to_owned(),
                s["line"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        kinds,
        vec![
            ("callout".to_owned(), 1),
            ("command".to_owned(), 3),
            ("callout".to_owned(), 16),
        ],
        "{plan}"
    );
    let command = &steps(&plan)[1];
    assert_eq!(command["expected"], "NAME   READY\nweb    1/1\n");
    assert_eq!(command["expected_line"], 12);
}

#[test]
fn a_doc_test_runs_with_the_helpers_docrun_yaml_sources() {
    let page = "\
== Greet

[source,console,name=\"greet-test\"]
----
$ greet world
hello world
----

ifdef::greet-test[]
greet again > /dev/null
endif::[]
";
    let helper = "greet() { echo \"hello $1\"; }\n";
    let with = tree(&[
        ("docrun.yaml", "source: [helpers/func.sh]\n"),
        ("helpers/func.sh", helper),
        ("g.adoc", page),
    ]);
    let out = docrun(with.path(), &["test", ".", "--tag", "greet-test"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        support::docrun::printed(&out)
    );

    let without = tree(&[("helpers/func.sh", helper), ("g.adoc", page)]);
    let out = docrun(without.path(), &["test", ".", "--tag", "greet-test"]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "without the helper the step fails: {}",
        support::docrun::printed(&out)
    );
}

#[test]
fn a_source_outside_the_tree_is_refused_where_docrun_yaml_names_it() {
    let dir = tree(&[
        ("docrun.yaml", "vars: {}\nsource:\n  - ../helper.sh\n"),
        ("g.adoc", "[source,bash,name=\"t\"]\n----\necho x\n----\n"),
    ]);
    std::fs::write(dir.path().join("helper.sh"), "echo outside\n").unwrap();
    let out = docrun(dir.path(), &["test", ".", "--tag", "t"]);
    assert_eq!(out.status.code(), Some(2));
    let said = support::docrun::printed(&out);
    assert!(said.contains("docrun.yaml:3"), "{said}");
}
