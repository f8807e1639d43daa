//! Reading the field's dialects: each construct on guides of the tests' own, the two real trees
//! copied into tests/corpus (Linkerd, cert-manager, with their licenses) read whole, and the
//! hand-labelled blocks of tests/corpus/labels scored as `dialect_score.py` scores them.

mod support;
use support::docrun::both;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Output;

use assert_cmd::Command;
use serde_json::Value;

const LINKERD: &str = "tests/corpus/linkerd/linkerd.io/content/2-edge";
const CERT_MANAGER: &str = "tests/corpus/cert-manager/content/docs";
const ISTIO: &str = "tests/corpus/istio/content";

fn docrun_in(dir: &Path, args: &[&str]) -> Output {
    support::docrun::docrun(dir).args(args).output().unwrap()
}

fn docrun(args: &[&str]) -> Output {
    docrun_in(Path::new(env!("CARGO_MANIFEST_DIR")), args)
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// `docrun plan FILE --allow-missing --format json`, parsed.
fn plan_json(dir: &Path, file: &str, extra: &[&str]) -> Value {
    let out = docrun_in(
        dir,
        &[
            &["plan", file, "--allow-missing", "--format", "json"],
            extra,
        ]
        .concat(),
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

/// A site of the test's own: files written under a temporary folder.
fn site(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (path, content) in files {
        let path = dir.path().join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, content).unwrap();
    }
    dir
}

fn steps(plan: &Value) -> &Vec<Value> {
    plan["steps"].as_array().unwrap()
}

/// (kind, selected, first command, expected output) of each step.
fn shape(plan: &Value) -> Vec<(String, bool, String, String)> {
    steps(plan)
        .iter()
        .map(|s| {
            (
                s["kind"].as_str().unwrap_or("").to_owned(),
                s["selected"].as_bool().unwrap_or(false),
                s["commands"][0].as_str().unwrap_or("").to_owned(),
                s["expected"].as_str().unwrap_or("").to_owned(),
            )
        })
        .collect()
}

#[test]
fn a_hugo_site_reads_fences_transcripts_output_blocks_and_command_output() {
    let dir = site(&[
        ("hugo.toml", "title = 'x'\n"),
        (
            "content/guide.md",
            "---\ntitle: G\n---\n\n{{< production-note >}}\n\n## Install\n\nInstall the CLI:\n\n```bash\nfor ctx in west east; do\n  kubectl --context=${ctx} create ns demo\ndone\n```\n\nCheck it. The output is similar to:\n\n```text {class=disable-copy}\nnamespace/demo created\n```\n\n{{< command-output \"You should see:\" >}}\n\n```bash\n$ kubectl auth can-i create pods\nyes\n```\n\n{{< /command-output >}}\n\n```console\n> echo one \\\n>   two\none two\n```\n\nShortcodes are written {{</* note */>}} on this page.\n\n{{< note >}}\nA note.\n{{< /note >}}\n",
        ),
    ]);
    let plan = plan_json(dir.path(), "content/guide.md", &[]);
    assert_eq!(plan["dialect"]["dialect"], "hugo");
    assert_eq!(plan["dialect"]["reason"]["by"], "site");
    let got = shape(&plan);
    let commands: Vec<_> = got.iter().filter(|s| s.0 == "command").collect();
    assert_eq!(commands.len(), 3, "{got:#?}");
    assert_eq!(
        commands[0].2,
        "for ctx in west east; do\n  kubectl --context=${ctx} create ns demo\ndone"
    );
    assert_eq!(commands[0].3, "namespace/demo created\n", "paired output");
    assert_eq!(
        (commands[1].2.as_str(), commands[1].3.as_str()),
        ("kubectl auth can-i create pods", "yes\n")
    );
    assert_eq!(
        (commands[2].2.as_str(), commands[2].3.as_str()),
        ("echo one \\\n  two", "one two\n")
    );
    assert!(
        got.iter().all(|s| s.0 != "output"),
        "no output step: {got:#?}"
    );
    assert!(steps(&plan)
        .iter()
        .any(|s| s["kind"] == "callout" && s["syntax"] == "note"));
    // The contexts the loop names are kube contexts with derived checks.
    let contexts: Vec<&str> = plan["contexts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(contexts, vec!["west", "east"]);
}

#[test]
fn hugo_tabs_with_fences_and_code_tabs_are_alternatives() {
    let dir = site(&[
        ("hugo.toml", ""),
        (
            "g.md",
            "## Install\n\n{{< tabpane >}}\n{{< tab header=\"kubectl\" lang=\"bash\" >}}\nkubectl apply -f app.yaml\n{{< /tab >}}\n{{< tab header=\"helm\" lang=\"bash\" >}}\nhelm install app ./chart\n{{< /tab >}}\n{{< /tabpane >}}\n\n{{< tabpane text=true >}}\n{{% tab header=\"Linux\" %}}\n\n```bash\necho linux\n```\n\n{{% /tab %}}\n{{% tab header=\"macOS\" %}}\n\n```bash\necho mac\n```\n\n{{% /tab %}}\n{{< /tabpane >}}\n",
        ),
    ]);
    let plan = plan_json(dir.path(), "g.md", &[]);
    let got: Vec<(String, bool)> = shape(&plan)
        .into_iter()
        .map(|(_, selected, command, _)| (command, selected))
        .collect();
    assert_eq!(
        got,
        vec![
            ("kubectl apply -f app.yaml".to_owned(), true),
            ("helm install app ./chart".to_owned(), false),
            ("echo linux".to_owned(), true),
            ("echo mac".to_owned(), false),
        ]
    );
    let reason = steps(&plan)[1]["reason"].as_str().unwrap();
    assert!(reason.contains("helm"), "{reason}");
    // A tab name chooses another tab in every tabset that has it.
    let chosen = plan_json(dir.path(), "g.md", &["--tab", "Helm", "--tab", "macos"]);
    let got: Vec<bool> = steps(&chosen)
        .iter()
        .map(|s| s["selected"].as_bool().unwrap())
        .collect();
    assert_eq!(got, vec![false, true, false, true]);
    let reason = steps(&chosen)[0]["reason"].as_str().unwrap();
    assert_eq!(reason, "in tab \"kubectl\"; --tab chose \"helm\"");
}

#[test]
fn an_mkdocs_site_reads_tabs_admonitions_snippets_and_macros() {
    let dir = site(&[
        (
            "mkdocs.yml",
            "site_name: x\nextra:\n  version: v1.2.3\nmarkdown_extensions:\n  - pymdownx.snippets\n",
        ),
        ("docs/snippets/prepare.md", "```bash\nexport NS=demo\n```\n"),
        ("docs/snippets/check.sh", "kubectl get ns \"$NS\"\n"),
        (
            "docs/guide.md",
            "# Guide\n\n--8<-- \"snippets/prepare.md\"\n\n## Install\n\n=== \"kubectl\"\n\n    ```bash\n    kubectl apply -f https://example.com/{{ version }}/app.yaml\n    ```\n\n=== \"helm\"\n\n    ```bash\n    helm install app --version {{ version }}\n    ```\n\nCheck:\n\n```bash\n--8<-- \"snippets/check.sh\"\n```\n\n!!! success \"Expected output\"\n\n    ```\n    NAME   STATUS\n    demo   Active\n    ```\n",
        ),
    ]);
    let plan = plan_json(dir.path(), "docs/guide.md", &[]);
    assert_eq!(plan["dialect"]["dialect"], "mkdocs");
    let got = shape(&plan);
    assert_eq!(
        got,
        vec![
            (
                "command".into(),
                true,
                "export NS=demo".into(),
                String::new()
            ),
            (
                "command".into(),
                true,
                "kubectl apply -f https://example.com/v1.2.3/app.yaml".into(),
                String::new()
            ),
            (
                "command".into(),
                false,
                "helm install app --version v1.2.3".into(),
                String::new()
            ),
            (
                "command".into(),
                true,
                "kubectl get ns \"$NS\"".into(),
                "NAME   STATUS\ndemo   Active\n".into()
            ),
        ]
    );
    // Lines stay true through the tabs' indentation.
    assert_eq!(steps(&plan)[1]["line"], 9);
    // A macro the site data cannot render stays as written, with a warning.
    std::fs::write(
        dir.path().join("docs/other.md"),
        "```bash\ncurl -LO {{ artifact(repo='serving', file='serving-core.yaml') }}\n```\n",
    )
    .unwrap();
    let plan = plan_json(dir.path(), "docs/other.md", &[]);
    let warnings = plan["warnings"].to_string();
    assert!(
        warnings.contains("has a macro docrun cannot render"),
        "{warnings}"
    );
}

#[test]
fn plain_markdown_reads_site_variables_file_blocks_transcripts_and_fragments() {
    let dir = site(&[
        ("docs/variables.json", "{\"latest\": \"v9.9.9\"}\n"),
        ("docs/example/issuer.yaml", "kind: Issuer\n"),
        (
            "docs/guide.md",
            "# Guide\n\n```bash\nhelm install x --version [[VAR::latest]]\n```\n\n```yaml file=./example/issuer.yaml\n```\n\n```console\n$ kubectl get issuer\nNAME   READY\nx      True\n```\n\nSet the flag on the controller:\n\n```bash\n--feature-gates=X=true\n```\n\n```bash\nlinkerd viz stat deploy\nNAME    MESHED   SUCCESS\nweb     1/1      100.00%\n```\n\n``` { .bash .no-copy }\nno copy output\n```\n",
        ),
    ]);
    let plan = plan_json(dir.path(), "docs/guide.md", &[]);
    assert_eq!(plan["dialect"]["dialect"], "markdown");
    let all = steps(&plan);
    assert_eq!(all[0]["commands"][0], "helm install x --version v9.9.9");
    assert_eq!(all[1]["text"], "kind: Issuer\n");
    assert_eq!(
        (&all[2]["commands"][0], &all[2]["expected"]),
        (
            &Value::from("kubectl get issuer"),
            &Value::from("NAME   READY\nx      True\n")
        )
    );
    assert_eq!(all[3]["selected"], false);
    assert!(all[3]["reason"].as_str().unwrap().contains("fragment"));
    assert_eq!(all[4]["commands"].as_array().unwrap().len(), 1);
    assert_eq!(
        all[4]["expected"],
        "NAME    MESHED   SUCCESS\nweb     1/1      100.00%\n"
    );
    assert_eq!(all[4]["selected"], true);
    // The step before already has its output, so the block marked not for copying stands
    // alone: output, not run.
    assert_eq!(all[5]["kind"], "output");
    assert_eq!(all[5]["selected"], false);
}

#[test]
fn the_dialect_can_be_forced_by_flag_or_docrun_yaml_and_list_says_why() {
    let dir = site(&[("g.md", "```bash\nkubectl get pods\n```\n")]);
    let plan = plan_json(dir.path(), "g.md", &[]);
    assert_eq!(plan["steps"][0]["kind"], "command");
    let forced = plan_json(dir.path(), "g.md", &["--dialect", "istio"]);
    assert_eq!(forced["dialect"]["reason"]["by"], "flag");
    assert_eq!(
        forced["steps"][0]["kind"], "output",
        "istio reads it as output"
    );
    std::fs::write(dir.path().join("docrun.yaml"), "dialect: istio\n").unwrap();
    let out = docrun_in(dir.path(), &["list", "g.md"]);
    let listed = text(&out.stdout);
    assert!(listed.contains("read as istio (set in "), "{listed}");
    assert!(listed.contains("docrun.yaml"), "{listed}");
    std::fs::write(dir.path().join("docrun.yaml"), "dialect: sphinx\n").unwrap();
    let out = docrun_in(dir.path(), &["list", "g.md"]);
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(
        err.contains("docrun.yaml:1:10: unknown dialect `sphinx`"),
        "{err}"
    );
}

#[test]
fn a_markdown_guide_runs_block_by_block_and_compares_output_blocks() {
    let dir = site(&[(
        "g.md",
        "## Try\n\n```bash\nGREETING=hello\nfor w in $GREETING world; do\n  echo \"$w\"\ndone\n```\n\nThe output is:\n\n```text\nhello\nworld\n```\n\n```sh\necho \"$GREETING again\"\n```\n\nYou should see:\n\n```\nbye again\n```\n",
    )]);
    let out = docrun_in(dir.path(), &["run", "g.md", "--no-prompt", "--keep-going"]);
    let err = both(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("try_1"), "{err}");
    // The first step's output matched its output block; the second's did not.
    assert!(err.contains("1 passed, 1 failed"), "{err}");
    assert!(
        err.contains("bye again"),
        "the diff shows the expected line: {err}"
    );
}

/// The trees read whole: `docrun test --all --list` over each reads every page.
#[test]
fn every_page_of_the_three_trees_reads() {
    for tree in [LINKERD, CERT_MANAGER, ISTIO] {
        let out = docrun(&["test", tree, "--all", "--list", "--format", "json"]);
        assert_eq!(out.status.code(), Some(0), "{tree}: {}", text(&out.stderr));
        let list: Value = serde_json::from_slice(&out.stdout).unwrap();
        let unreadable: Vec<&Value> = list["guides"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|g| g["decision"] == "unreadable")
            .collect();
        assert!(unreadable.is_empty(), "{tree}: {unreadable:#?}");
        let coverage = &list["coverage"];
        // Most pages with shell blocks have steps a run takes.
        assert!(
            coverage["runnable_steps"].as_u64().unwrap() > 300,
            "{tree}: {coverage}"
        );
    }
}

#[test]
fn linkerds_multicluster_guide_is_each_block_a_step_with_west_and_east() {
    let plan = plan_json(
        Path::new(env!("CARGO_MANIFEST_DIR")),
        &format!("{LINKERD}/tasks/multicluster.md"),
        &[],
    );
    let source = std::fs::read_to_string(format!(
        "{}/{LINKERD}/tasks/multicluster.md",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap();
    let bash_blocks: Vec<usize> = source
        .lines()
        .enumerate()
        .filter(|(_, l)| l.trim() == "```bash")
        .map(|(i, _)| i + 1)
        .collect();
    let command_steps: Vec<u64> = steps(&plan)
        .iter()
        .filter(|s| s["kind"] == "command" && s["selected"] == true)
        .map(|s| s["line"].as_u64().unwrap())
        .collect();
    assert_eq!(
        command_steps,
        bash_blocks.iter().map(|l| *l as u64).collect::<Vec<_>>()
    );
    let out = docrun(&["vars", &format!("{LINKERD}/tasks/multicluster.md")]);
    let vars = text(&out.stdout);
    assert!(vars.contains("west  [kube-context]"), "{vars}");
    assert!(vars.contains("east  [kube-context]"), "{vars}");
}

/// `docrun check` of Linkerd's multicluster guide with `kubeconfig`: the output and the report.
fn check_multicluster(kubeconfig: &Path) -> (Output, String) {
    let home = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_docrun"))
        .env(
            "DOCRUN_STATE_DIR",
            std::env::temp_dir().join(format!("docrun-test-state-{}", std::process::id())),
        )
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("KUBECONFIG", kubeconfig)
        .env("HOME", home.path())
        .env("NO_COLOR", "1")
        .args(["check", &format!("{LINKERD}/tasks/multicluster.md")])
        .output()
        .unwrap();
    let report = format!("{}{}", text(&out.stdout), text(&out.stderr));
    (out, report)
}

#[tokio::test]
async fn linkerds_multicluster_guide_checks_west_and_east_on_the_fake_clusters() {
    let kube = support::fakekube::FakeKube::start();
    let kubeconfig = kube.dir.path().join("renamed");
    kube.write_kubeconfig(&kubeconfig, &kube.entries_named("west", "east"));
    let (out, report) = check_multicluster(&kubeconfig);
    assert_eq!(out.status.code(), Some(0), "{report}");
    for (check, context) in [
        ("kube.context", "west"),
        ("kube.reachable", "west"),
        ("kube.context", "east"),
        ("kube.reachable", "east"),
    ] {
        assert!(
            report.lines().any(|l| {
                let words: Vec<&str> = l.split_whitespace().collect();
                words.len() >= 3
                    && (words[0] == "PASS" || words[0] == "WARN")
                    && words[1] == check
                    && words[2] == context
            }),
            "{check} {context}\n{report}"
        );
    }
    assert!(report.contains("kube.distinct"), "{report}");
    // With only one of the two contexts, the guide's preflight fails and names the other.
    kube.write_kubeconfig(&kubeconfig, &kube.entries_named("west", "north"));
    let (out, report) = check_multicluster(&kubeconfig);
    assert_eq!(out.status.code(), Some(1), "{report}");
    assert!(report.contains("east"), "{report}");
}

/// One labelled block: where it is and what a careful reader sees in it.
struct Label {
    file: String,
    line: u64,
    end_line: u64,
    label: String,
    pairs_with: Option<u64>,
}

fn labels(name: &str) -> BTreeMap<String, Vec<Label>> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/corpus/labels")
        .join(name);
    let mut by_file: BTreeMap<String, Vec<Label>> = BTreeMap::new();
    for line in std::fs::read_to_string(path).unwrap().lines() {
        let v: Value = serde_json::from_str(line).unwrap();
        let label = Label {
            file: v["file"].as_str().unwrap().to_owned(),
            line: v["line"].as_u64().unwrap(),
            end_line: v["end_line"].as_u64().unwrap(),
            label: v["label"].as_str().unwrap().to_owned(),
            pairs_with: v["pairs_with"].as_u64(),
        };
        by_file.entry(label.file.clone()).or_default().push(label);
    }
    by_file
}

/// (command recall, run precision, output pairing) as `dialect_score.py` counts them.
fn score(root: &str, labels_file: &str) -> [(u32, u32); 3] {
    let mut recall = (0, 0);
    let mut precision = (0, 0);
    let mut pairing = (0, 0);
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join(root);
    for (file, labels) in labels(labels_file) {
        let plan = plan_json(&root, &file, &[]);
        let steps = steps(&plan);
        for lab in labels {
            let here: Vec<&Value> = steps
                .iter()
                .filter(|s| {
                    let line = s["line"].as_u64().unwrap_or(0);
                    lab.line <= line && line <= lab.end_line
                })
                .collect();
            let is_command = here.iter().any(|s| s["kind"] == "command");
            let runs = here
                .iter()
                .any(|s| s["kind"] == "command" && s["selected"] == true);
            let is_command_label = matches!(lab.label.as_str(), "command" | "prompted" | "other");
            if is_command_label {
                recall.1 += 1;
                recall.0 += u32::from(is_command);
            }
            if runs {
                precision.1 += 1;
                precision.0 += u32::from(is_command_label);
            }
            if lab.label == "output" {
                pairing.1 += 1;
                let paired = lab.pairs_with.is_none_or(|with| {
                    steps.iter().any(|s| {
                        s["kind"] == "command"
                            && s["line"].as_u64().is_some_and(|l| l <= with)
                            && s["expected_line"]
                                .as_u64()
                                .is_some_and(|e| lab.line <= e && e <= lab.end_line)
                    })
                });
                pairing.0 += u32::from(!runs && paired);
            }
        }
    }
    [recall, precision, pairing]
}

#[test]
fn labelled_blocks_of_both_trees_read_as_a_careful_reader_reads_them() {
    for (root, labels_file) in [
        (
            "tests/corpus/linkerd/linkerd.io/content/2-edge",
            "linkerd.jsonl",
        ),
        (
            "tests/corpus/cert-manager/content/docs",
            "cert-manager.jsonl",
        ),
    ] {
        let [recall, precision, pairing] = score(root, labels_file);
        let share = |(a, b): (u32, u32)| f64::from(a) / f64::from(b.max(1));
        assert!(share(recall) >= 0.95, "{labels_file}: recall {recall:?}");
        assert!(
            share(precision) >= 0.95,
            "{labels_file}: precision {precision:?}"
        );
        assert!(share(pairing) >= 0.80, "{labels_file}: pairing {pairing:?}");
    }
}

#[test]
fn lint_reports_pasted_output_and_prompts_in_scripts_outside_istio() {
    let dir = site(&[(
        "g.md",
        "## Check\n\n```bash\nlinkerd viz stat deploy\nNAME    MESHED   SUCCESS\nweb     1/1      100.00%\n```\n\n```bash\n$ kubectl apply -f app.yaml\n```\n\n```console\n$ kubectl get pods\nNAME   READY\n```\n\n```bash\nkubectl get ns\n```\n",
    )]);
    let out = docrun_in(dir.path(), &["lint", "g.md", "--format", "json"]);
    let found = support::lint::rules_and_lines(&out.stdout);
    assert_eq!(
        found,
        vec![
            ("pasted-output".to_owned(), 5),
            ("prompt-in-script".to_owned(), 10)
        ]
    );
}
