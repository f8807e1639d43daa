//! The reading classes of the field that the first dialects missed, each on a small guide of the
//! tests' own under tests/fixtures/reading/, written in the manner of a site that uses it:
//!
//! - `knative/` (MkDocs Material): fences in list items inside tabs and admonitions at any depth,
//!   a `???+ success "Verify"` admonition holding the command that verifies, and a
//!   `!!! success "Expected output"` admonition holding its output;
//! - `envoy/` (Hugo): output in shell fences (`curl -v` exchanges, `redis-cli` style answers,
//!   indented JSON), an output fence right after its command with no prose between, and prose that
//!   announces output without the word or asks to run and then look;
//! - `k8s/` (Hugo, as kubernetes.io): `{{{< tab >}}` (a literal brace before the shortcode) and
//!   `{{< tabs >}}`, a `console`-less output block right after its command;
//! - `quote/` (Markdown, as helm.sh's provenance guide): a transcript that shows its output, then
//!   prose and a block that quotes the line of that output the reader is to look for;
//! - `mkdocs-macros/` (MkDocs with `pymdownx.snippets`' `base_path` and the macros plugin): a
//!   page that shows a snippet of its own file name, `{% raw %}` markers around Go templates
//!   (whole lines and inside a line), `{% ... %}` statement lines, and `{% include %}` under
//!   content tabs inside `{% filter indent(width=4) %}`, as Knative's install pages write it;
//! - `edit/` (Markdown): a block after "Replace … with:" is text to put in the editor the command
//!   before opened, not that command's output;
//! - `envoy/content/en/docs/pasted.md`: output pasted into an unprompted shell fence after its
//!   command (time stamps, an HTTP response, a kernel log, an emoji, JSON), and scripts whose
//!   groups, tests and heredocs stay commands.
//!
//! Each test reads `docrun plan FILE --allow-missing --format json`, as a reviewer would, and
//! asserts each block's step: a command that runs, an alternative, or output paired with the
//! command it belongs to.

mod support;

use std::path::{Path, PathBuf};

use serde_json::Value;

fn site(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/reading")
        .join(name)
}

/// `docrun plan FILE --allow-missing --format json` in the site's folder, which must succeed.
fn plan(site_name: &str, file: &str) -> Value {
    plan_in(&site(site_name), file, &[])
}

/// `docrun plan FILE --allow-missing --format json ARGS...` in `dir`, which must succeed.
fn plan_in(dir: &Path, file: &str, args: &[&str]) -> Value {
    let out = support::docrun::docrun(dir)
        .args(["plan", file, "--allow-missing", "--format", "json"])
        .args(args)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        support::docrun::both(&out)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// The first command of each step of a plan (empty for a step without one).
fn first_commands(plan: &Value) -> Vec<&str> {
    plan["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["commands"][0].as_str().unwrap_or_default())
        .collect()
}

/// What a reader sees of a step: where its block opens, what it is, whether it runs, its first
/// command, and where its expected output starts.
#[derive(Debug, PartialEq, Eq)]
struct Seen {
    line: u64,
    kind: String,
    runs: bool,
    command: String,
    output_at: Option<u64>,
}

fn seen(plan: &Value) -> Vec<Seen> {
    plan["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| Seen {
            line: s["line"].as_u64().unwrap(),
            kind: s["kind"].as_str().unwrap().to_owned(),
            runs: s["selected"].as_bool().unwrap(),
            command: s["commands"][0].as_str().unwrap_or("").to_owned(),
            output_at: s["expected_line"].as_u64(),
        })
        .collect()
}

fn step(line: u64, runs: bool, command: &str, output_at: Option<u64>) -> Seen {
    Seen {
        line,
        kind: "command".to_owned(),
        runs,
        command: command.to_owned(),
        output_at,
    }
}

#[test]
fn mkdocs_fences_in_list_items_inside_tabs_and_admonitions_at_any_depth_are_steps() {
    let plan = plan("knative", "docs/deep.md");
    assert_eq!(plan["dialect"]["dialect"], "mkdocs");
    assert_eq!(
        seen(&plan),
        vec![
            // Tab 1, list item 1 (8 spaces).
            step(
                9,
                true,
                "fnctl service create hello --image example.org/hello",
                None
            ),
            // Tab 1, list item 2, nested bullet (12 spaces).
            step(17, true, "fnctl revision tag hello-00001 stable", None),
            // Tab 1, list item 2, a note admonition in the item (12 spaces).
            step(25, true, "fnctl revision list hello", None),
            // Tab 2: an alternative, shown, not run.
            step(33, false, "kubectl apply -f hello.yaml", None),
            // `???+ success "Verify"` holds the command that verifies; the
            // `!!! success "Expected output"` after it is that command's output.
            step(41, true, "fnctl service describe hello", Some(48)),
            // A collapsed tip inside a list item.
            step(56, true, "kubectl get pods --watch", None),
        ]
    );
    let steps = plan["steps"].as_array().unwrap();
    assert_eq!(
        steps[3]["reason"],
        "in tab \"With YAML\", an alternative to the first tab"
    );
    assert_eq!(
        steps[4]["expected"],
        "Name:       hello\nReady:      True\n"
    );
}

#[test]
fn output_in_shell_fences_pairs_with_the_command_before_it() {
    let plan = plan("envoy", "content/en/docs/http.md");
    assert_eq!(plan["dialect"]["dialect"], "hugo");
    assert_eq!(
        seen(&plan),
        vec![
            // A `curl -v` exchange in a shell fence right after its command, no prose between:
            // its `* `, `> `, `< ` lines are curl's, not prompts.
            step(
                9,
                true,
                "curl -v -H \"Host: www.example.com\" http://$GATEWAY_HOST/get",
                Some(13)
            ),
            // "Query ... and check the result:" asks to run; "which returns:" announces.
            step(28, true, "cachectl -h cache keys '*'", Some(35)),
            // An indented JSON fragment after "should have the default value of:".
            step(
                43,
                true,
                "kubectl get httproute backend -o json | jq '.status.parents[0].conditions[0]'",
                Some(50)
            ),
            // "After running the command, you should see something like this:" announces.
            step(
                57,
                true,
                "kubectl get gateway eg -o json | jq '.status.listeners[0]'",
                Some(64)
            ),
            // Output pasted after the command in its own fence.
            step(72, true, "curl -sv http://$GATEWAY_HOST/headers", Some(74)),
        ]
    );
    let steps = plan["steps"].as_array().unwrap();
    assert_eq!(
        steps[1]["expected"],
        "1) \"session:42\"\n2) \"session:43\"\n"
    );
    assert_eq!(steps[4]["commands"].as_array().unwrap().len(), 1);
}

#[test]
fn a_literal_brace_before_a_hugo_tab_leaves_the_page_readable() {
    let plan = plan("k8s", "content/en/docs/tabs.md");
    assert_eq!(plan["dialect"]["dialect"], "hugo");
    assert_eq!(
        seen(&plan),
        vec![
            step(
                9,
                true,
                "curl -LO https://dl.example.org/release/linux/tool",
                None
            ),
            // The second tab of `{{< tabs >}}` is an alternative.
            step(
                14,
                false,
                "curl -LO https://dl.example.org/release/darwin/tool",
                None
            ),
            // An untagged fence right after the command, no prose between.
            step(22, true, "tool version --client", Some(26)),
            // "The result looks like this:" before a shell fence of a table.
            step(31, true, "kubectl get pods -n demo", Some(38)),
        ]
    );
}

#[test]
fn a_block_that_quotes_a_transcripts_output_is_what_that_output_must_contain() {
    let plan = plan("quote", "guide.md");
    assert_eq!(
        seen(&plan),
        vec![
            // The transcript shows the whole listing; the block at 15 quotes its key line.
            step(
                7,
                true,
                "printf 'sec   2048R/1FC18762 2016-07-25\\nuid                  Ada (example) <ada@example.com>\\n'",
                Some(16)
            ),
            step(21, true, "echo signed", Some(23)),
            // Not a line of the output before it: a block of its own, not run.
            Seen {
                line: 28,
                kind: "text".to_owned(),
                runs: false,
                command: String::new(),
                output_at: None,
            },
        ]
    );
    let steps = plan["steps"].as_array().unwrap();
    assert_eq!(steps[0]["expected"], "Ada (example) <ada@example.com>\n");
    assert_eq!(steps[0]["mode"], "contains");
    assert_eq!(steps[1]["mode"], "like");
}

#[test]
fn a_run_passes_when_the_output_holds_the_quoted_line_and_fails_when_not() {
    let dir = tempfile::tempdir().unwrap();
    let guide = std::fs::read_to_string(site("quote").join("guide.md")).unwrap();
    // Another date and key id: the listing differs, the quoted line is there.
    let other = guide.replace(
        "printf 'sec   2048R/1FC18762 2016-07-25",
        "printf 'sec   4096R/00AA11BB 2024-01-02",
    );
    std::fs::write(dir.path().join("guide.md"), &other).unwrap();
    let run = |dir: &Path| {
        support::docrun::docrun(dir)
            .args([
                "run",
                "guide.md",
                "--only",
                "find_your_key_1",
                "--retry",
                "0",
            ])
            .output()
            .unwrap()
    };
    let out = run(dir.path());
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        support::docrun::both(&out)
    );
    // Another identity: the quoted line is missing.
    let other = guide.replace(
        "printf 'sec   2048R/1FC18762 2016-07-25\\nuid                  Ada",
        "printf 'sec   2048R/1FC18762 2016-07-25\\nuid                  Bob",
    );
    std::fs::write(dir.path().join("guide.md"), other).unwrap();
    let out = run(dir.path());
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        support::docrun::both(&out)
    );
}

#[test]
fn a_snippet_comes_from_the_base_path_not_the_page_of_the_same_name() {
    let plan = plan("mkdocs-macros", "docs/serving/install-fnctl.md");
    let steps = plan["steps"].as_array().unwrap();
    let commands = first_commands(&plan);
    // The snippet's command (with the site's `extra:` value), then the page's own: the page
    // is not read again as its own snippet.
    assert_eq!(
        commands,
        vec![
            "curl -LO https://dl.example.org/fnctl/v0.9.2/fnctl-linux-amd64",
            "fnctl version"
        ]
    );
    assert!(steps[0]["file"]
        .as_str()
        .unwrap()
        .ends_with("docs/snippets/install-fnctl.md"));
    assert_eq!(plan["warnings"], serde_json::json!([]));
}

#[test]
fn a_base_path_outside_the_tree_is_not_read_and_a_missing_snippet_is_said_once() {
    let dir = tempfile::tempdir().unwrap();
    let tree = dir.path().join("site");
    std::fs::create_dir_all(tree.join("docs/snippets")).unwrap();
    std::fs::create_dir_all(dir.path().join("outside")).unwrap();
    std::fs::write(
        tree.join("mkdocs.yml"),
        "site_name: x\nmarkdown_extensions:\n  - pymdownx.snippets:\n      base_path: [../outside, docs/snippets]\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("outside/setup.md"),
        "```bash\necho from-outside-the-tree\n```\n",
    )
    .unwrap();
    std::fs::write(
        tree.join("docs/snippets/setup.md"),
        "```bash\necho from-the-snippets\n```\n",
    )
    .unwrap();
    std::fs::write(
        tree.join("docs/guide.md"),
        "# Guide\n\n--8<-- \"setup.md\"\n--8<-- \"missing.md\"\n--8<-- \"guide.md\"\n",
    )
    .unwrap();
    let plan = plan_in(&tree, "docs/guide.md", &[]);
    assert_eq!(first_commands(&plan), vec!["echo from-the-snippets"]);
    let warnings: Vec<&str> = plan["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w.as_str().unwrap())
        .collect();
    // `missing.md` once; `guide.md` names no snippet there is (never the page itself).
    assert_eq!(warnings.len(), 2, "{warnings:?}");
    assert!(warnings[0].contains("docs/guide.md:4: include `missing.md` not found"));
    assert!(warnings[1].contains("docs/guide.md:5: include `guide.md` not found"));
    assert!(!plan.to_string().contains("outside-the-tree"));
}

#[test]
fn the_macros_plugin_leaves_raw_text_literal_and_its_markers_are_no_commands() {
    let plan = plan("mkdocs-macros", "docs/serving/templates.md");
    assert_eq!(plan["dialect"]["dialect"], "mkdocs");
    let steps = plan["steps"].as_array().unwrap();
    let commands: Vec<Vec<&str>> = steps
        .iter()
        .map(|s| {
            s["commands"]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| c.as_str().unwrap())
                .collect()
        })
        .collect();
    assert_eq!(
        commands,
        vec![
            // Whole-line markers are dropped; the Go template stays as written.
            vec![
                "labels=$(kubectl get service web -o go-template='{{range $k, $v := .spec.selector}}{{ $k }}={{ $v }},{{ end }}')",
                "kubectl get pods -l \"$labels\"",
            ],
            // Markers inside the line are cut out of it.
            vec!["TOKEN=$(kubectl get secret web-token --template='{{index .data \"token\"}}' | base64 -d)"],
            vec!["kubectl get namespace serving -o 'go-template={{index .metadata.labels \"app.kubernetes.io/version\"}}'"],
            vec!["kubectl get namespace eventing -o 'go-template={{index .metadata.labels \"app.kubernetes.io/version\"}}'"],
            // Outside raw text, the site's values are rendered as before.
            vec!["fnctl install --version v0.9.2"],
            // `{% if %}` / `{% endif %}` lines are not commands.
            vec!["kubectl apply -f serving.yaml"],
        ]
    );
    // Lines stay true: each command points at its own line of the page.
    let lines: Vec<Vec<u64>> = steps
        .iter()
        .map(|s| {
            s["command_lines"]
                .as_array()
                .unwrap()
                .iter()
                .map(|n| n.as_u64().unwrap())
                .collect()
        })
        .collect();
    assert_eq!(
        lines,
        vec![
            vec![9, 10],
            vec![17],
            vec![26],
            vec![33],
            vec![37],
            vec![44]
        ]
    );
    // Go templates in raw text are no macro docrun failed to render.
    assert_eq!(plan["warnings"], serde_json::json!([]));
}

#[test]
fn output_pasted_after_an_unprompted_command_is_its_expected_output() {
    let plan = plan("envoy", "content/en/docs/pasted.md");
    assert_eq!(plan["dialect"]["dialect"], "hugo");
    assert_eq!(
        seen(&plan),
        vec![
            // A blank line, then a log's time stamps.
            step(9, true, "kubectl logs -l app=first --tail=-1", Some(12)),
            // A blank line, then an HTTP status line: headers and body are output too.
            step(
                18,
                true,
                "curl -i \"http://${GATEWAY_HOST}:8088/\"",
                Some(21)
            ),
            // A kernel stamp right after the command.
            step(30, true, "dmesg | grep -i iommu", Some(32)),
            // An emoji first, right after the command.
            step(
                37,
                true,
                "kubectl logs -l app=display -c user-container",
                Some(39)
            ),
            // Several commands and a comment; the output of the last, stamped.
            step(
                46,
                true,
                "kubectl logs -n gateway-system <pod-name>",
                Some(52)
            ),
            // JSON on one line after a blank line.
            step(
                57,
                true,
                "curl -s \"http://${GATEWAY_HOST}/status\"",
                Some(60)
            ),
            // A group, a test and a heredoc of stamped lines are commands.
            step(
                65,
                true,
                "{ echo \"first\"; echo \"second\"; } > lines.txt",
                None
            ),
        ]
    );
    let steps = plan["steps"].as_array().unwrap();
    let count = |i: usize| steps[i]["commands"].as_array().unwrap().len();
    assert_eq!(
        (0..7).map(count).collect::<Vec<_>>(),
        vec![1, 1, 1, 1, 3, 1, 4]
    );
    assert_eq!(
        steps[1]["expected"],
        "HTTP/1.1 200 OK\nContent-Type: application/json\nContent-Length: 18\n\n{\"path\": \"/\"}\n"
    );
    assert_eq!(
        steps[6]["commands"][2],
        "cat <<EOF > stamp.txt\n2024/06/11 09:14:02 a line of data, not output\n[    0.912345] also data\nEOF"
    );
}

#[test]
fn a_block_the_prose_asks_to_put_somewhere_is_not_the_commands_output() {
    let plan = plan("edit", "guide.md");
    assert_eq!(
        seen(&plan),
        vec![
            // `kubectl edit` opens an editor: the block after "Replace ... with" is what to
            // write there, shown and not run, and not what the command prints.
            step(5, true, "kubectl edit gateway demo-gateway -n demo", None),
            Seen {
                line: 11,
                kind: "text".to_owned(),
                runs: false,
                command: String::new(),
                output_at: None,
            },
            // Prose that announces output still pairs.
            step(17, true, "kubectl get gateways -n demo", Some(24)),
        ]
    );
}

/// The macros plugin's `{% include "file" %}` puts the file's steps where the statement stands,
/// from the plugin's `include_dir`; inside `{% filter indent(width=4) %}` under a content tab,
/// they are that tab's steps, so only the first tab's run unless `--tab` names another.
#[test]
fn macro_includes_bring_their_steps_into_the_tab_they_stand_in() {
    // Each step's file, whether the run takes it, and why not.
    let steps_of = |plan: &Value| -> Vec<(String, bool, String)> {
        plan["steps"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| {
                (
                    s["file"].as_str().unwrap().to_owned(),
                    s["selected"].as_bool().unwrap(),
                    s["reason"].as_str().unwrap_or_default().to_owned(),
                )
            })
            .collect()
    };
    let plan = plan("mkdocs-macros", "docs/serving/install-dns.md");
    assert_eq!(plan["warnings"], serde_json::json!([]));
    let steps = steps_of(&plan);
    assert_eq!(
        first_commands(&plan),
        [
            "kubectl apply -f serving-default-domain.yaml",
            "kubectl patch configmap/config-domain -n knative-serving --type merge -p '{\"data\":{\"example.com\":\"\"}}'",
            "kubectl get ksvc",
        ]
    );
    assert!(
        steps[0].0.ends_with("docs/snippets/magic-dns.md"),
        "{steps:?}"
    );
    assert!(
        steps[1].0.ends_with("docs/snippets/real-dns.md"),
        "{steps:?}"
    );
    let taken: Vec<(bool, &str)> = steps.iter().map(|s| (s.1, s.2.as_str())).collect();
    assert_eq!(
        taken,
        [
            (true, ""),
            (
                false,
                "in tab \"Real DNS\", an alternative to the first tab"
            ),
            (true, "")
        ],
        "the first tab's included step runs, the other is its alternative"
    );

    let chosen = plan_in(
        &site("mkdocs-macros"),
        "docs/serving/install-dns.md",
        &["--tab", "Real DNS"],
    );
    let taken: Vec<bool> = steps_of(&chosen).iter().map(|s| s.1).collect();
    assert_eq!(taken, [false, true, true], "--tab takes the other include");
}

/// Where the site does not run the macros plugin, `{% include %}` is text the page shows: no
/// steps come of it and nothing is looked for.
#[test]
fn without_the_macros_plugin_an_include_statement_brings_nothing() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join(".git")).unwrap();
    std::fs::create_dir_all(dir.path().join("docs")).unwrap();
    std::fs::write(
        dir.path().join("mkdocs.yml"),
        "site_name: x\nplugins:\n  - search\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("docs/step.md"),
        "```bash\necho included\n```\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("docs/page.md"),
        "# Page\n\n{% include \"step.md\" %}\n\n```bash\necho own\n```\n",
    )
    .unwrap();
    let plan = plan_in(dir.path(), "docs/page.md", &[]);
    assert_eq!(first_commands(&plan), ["echo own"]);
    assert_eq!(plan["warnings"], serde_json::json!([]));
}
