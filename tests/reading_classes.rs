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
//!   prose and a block that quotes the line of that output the reader is to look for.
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
    let out = support::docrun::docrun(&site(site_name))
        .args(["plan", file, "--allow-missing", "--format", "json"])
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
