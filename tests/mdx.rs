//! Docusaurus MDX pages read as the site renders them: imports, comments and components are
//! not steps, `<Tabs>`/`<TabItem>` are tabs that `--tab` picks, `:::note` is a callout whose
//! fences stay steps, a fence titled with a file name is a file a run writes, and a page whose
//! structure is broken is an error at its line.

mod support;

use std::path::{Path, PathBuf};
use std::process::Output;

use serde_json::Value;
use support::docrun::{docrun, printed};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

fn project() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn output(dir: &Path, args: &[&str]) -> Output {
    docrun(dir).args(args).output().unwrap()
}

fn plan_json(args: &[&str]) -> Value {
    let guide = fixture("mdx/install.mdx");
    let guide = guide.to_str().unwrap();
    let out = output(
        project(),
        &[&["plan", guide, "--format", "json"], args].concat(),
    );
    assert_eq!(out.status.code(), Some(0), "{}", printed(&out));
    serde_json::from_slice(&out.stdout).unwrap()
}

/// (id, kind, line, selected, first command) of each step.
fn shape(plan: &Value) -> Vec<(String, String, u64, bool, String)> {
    plan["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["id"].as_str().unwrap().to_owned(),
                s["kind"].as_str().unwrap().to_owned(),
                s["line"].as_u64().unwrap(),
                s["selected"].as_bool().unwrap(),
                s["commands"][0].as_str().unwrap_or("").to_owned(),
            )
        })
        .collect()
}

fn step(
    id: &str,
    kind: &str,
    line: u64,
    selected: bool,
    command: &str,
) -> (String, String, u64, bool, String) {
    (id.into(), kind.into(), line, selected, command.into())
}

#[test]
fn plan_shows_the_steps_docusaurus_renders() {
    let plan = plan_json(&[]);
    assert_eq!(plan["dialect"]["dialect"], "mdx", "{}", plan["dialect"]);
    assert_eq!(plan["dialect"]["reason"]["by"], "extension");
    assert_eq!(
        shape(&plan),
        vec![
            // Imports, the `{/* */}` comment (and the fence in it) and `<Greeter/>` are gone;
            // the admonition is a callout, and its fence a step.
            step("prepare_note_1", "callout", 21, false, ""),
            step("prepare_1", "command", 24, true, "echo prepared"),
            // The tabs: the first runs, the second is its alternative.
            step("install_1", "command", 33, true, "echo installing on linux"),
            step("install_2", "command", 41, false, "echo installing on mac"),
            // `title="hello.sh"` is a file to save; `title="Terminal"` a caption.
            step(
                "write_the_script_1",
                "file",
                52,
                true,
                "cat > 'hello.sh' <<'DOCRUN_FILE'\n#!/bin/sh\necho \"hello from $1\"\nDOCRUN_FILE"
            ),
            step(
                "write_the_script_2",
                "command",
                59,
                true,
                "sh hello.sh docs"
            ),
        ]
    );
    let steps = plan["steps"].as_array().unwrap();
    assert_eq!(steps[0]["text"], "Work in an empty folder.");
    assert_eq!(
        steps[3]["reason"],
        "in tab \"macOS\" (value \"mac\"), an alternative to the first tab"
    );
    assert_eq!(steps[5]["expected"], "hello from docs\n");
}

#[test]
fn tab_picks_a_tab_item_by_its_label() {
    let plan = plan_json(&["--tab", "macos"]);
    let selected: Vec<String> = shape(&plan)
        .into_iter()
        .filter(|s| s.3 && s.0.starts_with("install"))
        .map(|s| s.4)
        .collect();
    assert_eq!(selected, vec!["echo installing on mac"]);
}

#[test]
fn tab_picks_a_tab_item_by_its_value_too() {
    // `<TabItem value="mac" label="macOS">`: `?tab=mac` links and `groupId` sync use the value.
    let plan = plan_json(&["--tab", "MAC"]);
    let steps = plan["steps"].as_array().unwrap();
    let taken: Vec<(&str, bool)> = steps
        .iter()
        .filter(|s| s["id"].as_str().unwrap().starts_with("install"))
        .map(|s| {
            (
                s["commands"][0].as_str().unwrap(),
                s["selected"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        taken,
        vec![
            ("echo installing on linux", false),
            ("echo installing on mac", true)
        ]
    );
    assert_eq!(
        steps[2]["reason"],
        "in tab \"Linux\"; --tab chose \"macOS\" (value \"mac\")"
    );
    // A value that names no tab changes nothing.
    let plan = plan_json(&["--tab", "windows"]);
    let first: Vec<bool> = shape(&plan)
        .into_iter()
        .filter(|s| s.0.starts_with("install"))
        .map(|s| s.3)
        .collect();
    assert_eq!(first, vec![true, false]);
}

#[test]
fn a_run_writes_the_titled_file_and_the_next_step_uses_it() {
    let dir = tempfile::tempdir().unwrap();
    let guide = fixture("mdx/install.mdx");
    let out = output(dir.path(), &["run", guide.to_str().unwrap(), "--json"]);
    assert_eq!(out.status.code(), Some(0), "{}", printed(&out));
    assert_eq!(
        std::fs::read_to_string(dir.path().join("hello.sh")).unwrap(),
        "#!/bin/sh\necho \"hello from $1\"\n"
    );
    let finished: Vec<(String, String)> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .filter(|e| e["type"] == "step_finished")
        .map(|e| {
            (
                e["id"].as_str().unwrap().into(),
                e["status"].as_str().unwrap().into(),
            )
        })
        .collect();
    let want: Vec<(String, String)> = [
        ("prepare_1", "passed"),
        ("install_1", "passed"),
        ("install_2", "skipped"),
        ("write_the_script_1", "passed"),
        ("write_the_script_2", "passed"),
    ]
    .iter()
    .map(|(a, b)| (a.to_string(), b.to_string()))
    .collect();
    assert_eq!(finished, want);
}

#[test]
fn broken_structure_is_an_error_at_its_line_and_a_lint_finding() {
    for (file, line, says) in [
        ("unclosed-tabs.mdx", 3, "`<Tabs>` is never closed"),
        ("unclosed-admonition.mdx", 5, "`:::tip` is never closed"),
        (
            "crossed.mdx",
            5,
            "`</Tabs>` comes while `<TabItem>`, opened at line 4",
        ),
    ] {
        let guide = format!("tests/fixtures/mdx-broken/{file}");
        let out = output(project(), &["plan", &guide]);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{}", printed(&out));
        assert!(err.contains(&format!("{guide}:{line}:1: {says}")), "{err}");
        assert!(err.contains("help:"), "{err}");
    }
    let out = output(project(), &["lint", "tests/fixtures/mdx-broken"]);
    let found = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        found.matches("error[parse]").count(),
        3,
        "{}",
        printed(&out)
    );
}

#[test]
fn a_docusaurus_tree_reads_its_md_and_mdx_pages_as_mdx() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("docusaurus.config.js"),
        "module.exports = {};\n",
    )
    .unwrap();
    std::fs::create_dir_all(dir.path().join("docs")).unwrap();
    std::fs::write(
        dir.path().join("docs/intro.md"),
        "# Intro\n\n:::tip\nRead on.\n:::\n\n```bash title=\"setup.sh\"\necho setup\n```\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("docs/guide.mdx"),
        "# Guide\n\n<Tabs>\n<TabItem value=\"a\">\n\n```bash\necho a\n```\n\n</TabItem>\n</Tabs>\n",
    )
    .unwrap();
    // The tree walk finds both pages.
    let out = output(dir.path(), &["lint", "docs"]);
    let linted = String::from_utf8_lossy(&out.stdout);
    assert!(linted.contains("in 2 guides"), "{}", printed(&out));
    let out = output(dir.path(), &["plan", "docs/intro.md", "--format", "json"]);
    assert_eq!(out.status.code(), Some(0), "{}", printed(&out));
    let plan: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(plan["dialect"]["dialect"], "mdx");
    assert_eq!(plan["dialect"]["reason"]["by"], "site");
    let kinds: Vec<&str> = plan["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, vec!["callout", "file"]);
}

/// (id, kind, line, selected, commands) of each step of a plan of `guide`.
fn steps_of(guide: &Path, args: &[&str]) -> Vec<(String, String, u64, bool, Vec<String>)> {
    let out = output(
        project(),
        &[&["plan", guide.to_str().unwrap(), "--format", "json"], args].concat(),
    );
    assert_eq!(out.status.code(), Some(0), "{}", printed(&out));
    let plan: Value = serde_json::from_slice(&out.stdout).unwrap();
    plan["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["id"].as_str().unwrap().to_owned(),
                s["kind"].as_str().unwrap().to_owned(),
                s["line"].as_u64().unwrap(),
                s["selected"].as_bool().unwrap(),
                s["commands"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|c| c.as_str().unwrap().to_owned())
                    .collect(),
            )
        })
        .collect()
}

#[test]
fn a_code_block_of_a_raw_import_shows_the_file_in_its_language() {
    let guide = fixture("mdx-import/docs/install.mdx");
    let script = vec![
        "echo installing from a file".to_owned(),
        "echo done > installed.txt".to_owned(),
    ];
    let checked = vec!["echo checked".to_owned()];
    let want = vec![
        // `!!raw-loader!./install.sh`, `language="bash"`: the script's commands.
        (
            "install_1".into(),
            "command".into(),
            18,
            true,
            script.clone(),
        ),
        // `language="yaml"`: shown, not run (its title names the file it came from).
        ("install_2".into(), "text".into(), 22, false, vec![]),
        // `@site/…?raw`, a tag over several lines with its code on a line of its own.
        (
            "check_1".into(),
            "command".into(),
            26,
            true,
            checked.clone(),
        ),
        // A template literal is the block's own text.
        (
            "check_2".into(),
            "command".into(),
            32,
            true,
            vec!["echo from a literal".to_owned()],
        ),
        // `/static/…` is read from the site's folder too; code blocks in tabs are tabs.
        ("check_3".into(), "command".into(), 38, true, checked),
        ("check_4".into(), "command".into(), 41, false, script),
    ];
    assert_eq!(steps_of(&guide, &[]), want);
    // `--tab here` takes the second tab's code block instead.
    let taken: Vec<String> = steps_of(&guide, &["--tab", "here"])
        .into_iter()
        .filter(|s| s.3)
        .map(|s| s.0)
        .collect();
    assert_eq!(taken, ["install_1", "check_1", "check_2", "check_4"]);
}

#[test]
fn a_run_executes_the_imported_script() {
    let dir = tempfile::tempdir().unwrap();
    let guide = fixture("mdx-import/docs/install.mdx");
    let out = output(dir.path(), &["run", guide.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", printed(&out));
    assert_eq!(
        std::fs::read_to_string(dir.path().join("installed.txt")).unwrap(),
        "done\n"
    );
}

#[test]
fn a_code_block_docrun_cannot_read_is_left_out_and_lint_says_so() {
    let out = output(
        project(),
        &["lint", "tests/fixtures/mdx-import/docs/install.mdx"],
    );
    assert_eq!(out.status.code(), Some(0), "{}", printed(&out));
    let found = String::from_utf8_lossy(&out.stdout);
    let unread: Vec<&str> = found
        .lines()
        .filter(|l| l.contains("warning[unread]"))
        .collect();
    assert_eq!(unread.len(), 2, "{found}");
    assert!(
        unread[0].starts_with("tests/fixtures/mdx-import/docs/install.mdx:47:1:")
            && unread[0].contains("`./widget.js` is a module"),
        "{found}"
    );
    assert!(
        unread[1].starts_with("tests/fixtures/mdx-import/docs/install.mdx:49:1:")
            && unread[1].contains("the expression `makeScript(\"x\")`"),
        "{found}"
    );
}

#[test]
fn an_import_that_leaves_the_tree_is_an_error_at_its_code_block() {
    let dir = tempfile::tempdir().unwrap();
    let site = dir.path().join("site");
    std::fs::create_dir_all(site.join("docs")).unwrap();
    std::fs::write(site.join("docusaurus.config.js"), "module.exports = {};\n").unwrap();
    std::fs::write(dir.path().join("secret.sh"), "echo s3cret\n").unwrap();
    for spec in ["!!raw-loader!../../secret.sh", "@site/../secret.sh?raw"] {
        std::fs::write(
            site.join("docs/g.mdx"),
            format!(
                "import Secret from '{spec}';\n\n# Guide\n\n<CodeBlock language=\"bash\">{{Secret}}</CodeBlock>\n"
            ),
        )
        .unwrap();
        let out = output(&site, &["plan", "docs/g.mdx"]);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{spec}: {}", printed(&out));
        assert!(err.contains("docs/g.mdx:5:1"), "{spec}: {err}");
        assert!(
            err.contains("outside the documentation tree"),
            "{spec}: {err}"
        );
        assert!(!String::from_utf8_lossy(&out.stdout).contains("s3cret"));
    }
}
