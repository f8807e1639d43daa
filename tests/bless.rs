//! `--bless` end to end: a step whose output drifted from its guide gets the guide's expected
//! output rewritten, in the guide's own form, with every other byte of the file kept; a second
//! run passes; what cannot be blessed (a failed command, a secret, wildcards) is refused and the
//! file left as it was.

mod support;

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Output;

use support::docrun::{docrun, printed};

/// Writes `text` as `name` in `dir` and runs `docrun run` on it with `args`.
fn run(dir: &Path, name: &str, args: &[&str]) -> Output {
    docrun(dir)
        .arg("run")
        .arg(dir.join(name))
        .args(["--retry", "0"])
        .args(args)
        .output()
        .unwrap()
}

fn read(dir: &Path, name: &str) -> String {
    std::fs::read_to_string(dir.join(name)).unwrap()
}

/// Writes `before` as a guide, runs it with `--bless`, and checks that the file became `after`
/// byte for byte and that a second run, without `--bless`, passes.
fn blessed(name: &str, before: &str, after: &str) -> Output {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join(name), before).unwrap();
    let out = run(dir.path(), name, &["--bless"]);
    assert_eq!(read(dir.path(), name), after, "{}", printed(&out));
    let again = run(dir.path(), name, &[]);
    assert_eq!(again.status.code(), Some(0), "{}", printed(&again));
    out
}

/// Runs `text` with `--bless` and checks the file is left as it was; returns the run.
fn refused(name: &str, text: &str, args: &[&str]) -> Output {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join(name), text).unwrap();
    let mut all = vec!["--bless"];
    all.extend_from_slice(args);
    let out = run(dir.path(), name, &all);
    assert_eq!(read(dir.path(), name), text, "{}", printed(&out));
    assert_eq!(out.status.code(), Some(1), "{}", printed(&out));
    out
}

/// What docrun printed: the report (stdout) and its diagnostics (stderr).
fn stderr(out: &Output) -> String {
    printed(out)
}

#[test]
fn an_istio_text_block_gets_the_lines_after_its_command() {
    let before =
        "# Guide\n\n## Intro\n\n{{< text bash >}}\n$ echo drifted\nold\n{{< /text >}}\n\nAfter.\n";
    let out = blessed(
        "guide.md",
        before,
        &before.replace("\nold\n", "\ndrifted\n"),
    );
    let err = stderr(&out);
    assert!(
        err.contains("blessed ") && err.contains("guide.md:7 (step intro_1): 1 line where 1 was"),
        "{err}"
    );
    assert!(
        err.contains("bless: 1 step rewritten in 1 file, 0 refused"),
        "{err}"
    );
}

#[test]
fn an_istio_block_keeps_the_commands_and_outputs_around_the_drifted_one() {
    // Two commands, the output after the second: only that output changes, and it grows.
    let before = "{{< text bash >}}\n$ true\n$ printf 'a\\nb\\n'\nold\n{{< /text >}}\n";
    blessed("guide.md", before, &before.replace("\nold\n", "\na\nb\n"));
}

#[test]
fn a_markdown_output_block_after_the_command_block_is_rewritten() {
    let before =
        "# Guide\n\nRun:\n\n```bash\necho drifted\n```\n\nThe output is:\n\n```text\nold\n```\n";
    blessed(
        "guide.md",
        before,
        &before.replace("```text\nold\n", "```text\ndrifted\n"),
    );
}

#[test]
fn a_transcript_keeps_its_prompt_line_and_gets_new_output_lines() {
    let before = "# Guide\n\n```console\n$ echo one; echo two\nold\n```\n";
    blessed(
        "guide.md",
        before,
        &before.replace("\nold\n", "\none\ntwo\n"),
    );
}

#[test]
fn an_mkdocs_admonition_that_says_output_is_rewritten_inside_its_indentation() {
    let before = "# Guide\n\n```bash\necho drifted\n```\n\n!!! success \"Expected output\"\n\n    ```\n    old\n    ```\n";
    blessed(
        "guide.md",
        before,
        &before.replace("    old\n", "    drifted\n"),
    );
}

#[test]
fn output_pasted_into_a_script_after_its_command_is_rewritten() {
    let before = "# Guide\n\n```bash\nprintf 'NAME   READY\\nweb    1/1\\n'\nNAME   READY\nweb    0/1\n```\n";
    blessed(
        "guide.md",
        before,
        &before.replace("web    0/1\n", "web    1/1\n"),
    );
}

#[test]
fn hugo_command_output_and_a_no_copy_output_block_are_rewritten() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("hugo.toml"), "").unwrap();
    let before = "---\ntitle: G\n---\n\n## Check\n\n{{< command-output \"You should see:\" >}}\n\n```bash\n$ echo drifted\nold\n```\n\n{{< /command-output >}}\n\n```bash\necho two\n```\n\nThe output is similar to:\n\n```text {class=disable-copy}\nold\n```\n";
    std::fs::write(dir.path().join("guide.md"), before).unwrap();
    let out = run(dir.path(), "guide.md", &["--bless"]);
    assert_eq!(
        read(dir.path(), "guide.md"),
        before
            .replacen("\nold\n", "\ndrifted\n", 1)
            .replacen("\nold\n", "\ntwo\n", 1),
        "{}",
        printed(&out)
    );
    let again = run(dir.path(), "guide.md", &[]);
    assert_eq!(again.status.code(), Some(0), "{}", printed(&again));
}

#[test]
fn a_block_indented_in_a_list_item_keeps_its_indentation() {
    let before = "# Guide\n\n1. First:\n\n    ```bash\n    echo one; echo two\n    ```\n\n    ```text\n    old\n    ```\n\n2. Then.\n";
    blessed(
        "guide.md",
        before,
        &before.replace("    old\n", "    one\n    two\n"),
    );
}

#[test]
fn a_block_in_an_mkdocs_content_tab_keeps_its_indentation() {
    let before = "# Guide\n\n=== \"kubectl\"\n\n    ```bash\n    echo drifted\n    ```\n\n    ```text\n    old\n    ```\n\n=== \"yaml\"\n\n    ```bash\n    echo other\n    ```\n";
    blessed(
        "guide.md",
        before,
        &before.replace("    old\n", "    drifted\n"),
    );
}

#[test]
fn a_block_indented_with_a_tab_keeps_its_tab() {
    let before = "# Guide\n\n-\tItem:\n\n\t```console\n\t$ echo drifted\n\told\n\t```\n";
    blessed(
        "guide.md",
        before,
        &before.replace("\told\n", "\tdrifted\n"),
    );
}

#[test]
fn a_crlf_guide_stays_crlf_and_keeps_its_missing_final_newline() {
    let before = "# Guide\r\n\r\n```console\r\n$ echo one; echo two\r\nold\r\n```";
    blessed(
        "guide.md",
        before,
        &before.replace("\r\nold\r\n", "\r\none\r\ntwo\r\n"),
    );
}

#[test]
fn every_drifted_step_is_blessed_in_one_run_and_the_file_keeps_its_permissions() {
    let dir = tempfile::tempdir().unwrap();
    let before = "# Guide\n\n```console\n$ echo first\nold\n```\n\n```console\n$ echo second\nold too\n```\n";
    let guide = dir.path().join("guide.md");
    std::fs::write(&guide, before).unwrap();
    std::fs::set_permissions(&guide, std::fs::Permissions::from_mode(0o640)).unwrap();
    let out = run(dir.path(), "guide.md", &["--bless"]);
    assert_eq!(
        read(dir.path(), "guide.md"),
        before
            .replace("\nold\n", "\nfirst\n")
            .replace("\nold too\n", "\nsecond\n"),
        "{}",
        printed(&out)
    );
    let mode = std::fs::metadata(&guide).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o640);
    // No temporary file is left beside the guide.
    let names: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .filter(|n| n != ".state")
        .collect();
    assert_eq!(names, vec![std::ffi::OsString::from("guide.md")]);
}

#[test]
fn a_step_that_failed_by_its_exit_status_is_not_blessed() {
    let text = "# Guide\n\n```console\n$ sh -c 'echo drifted; exit 3'\nold\n```\n";
    let out = refused("guide.md", text, &[]);
    let err = stderr(&out);
    assert!(
        err.contains("not blessed ") && err.contains("exited with status 3"),
        "{err}"
    );
    assert!(
        err.contains("0 rewritten") || err.contains("0 steps rewritten"),
        "{err}"
    );
}

#[test]
fn a_step_that_timed_out_is_not_blessed() {
    let text = "# Guide\n\n```console\n$ echo drifted; sleep 5\nold\n```\n";
    let out = refused("guide.md", text, &["--timeout", "1s"]);
    assert!(stderr(&out).contains("timed out"), "{}", stderr(&out));
}

#[test]
fn output_holding_a_secret_is_never_written() {
    let text = "# Guide\n\n```console\n$ echo \"token: $API_TOKEN\"\nold\n```\n";
    let secret = "tok-5ecr3t-value";
    let out = refused("guide.md", text, &["--set", &format!("API_TOKEN={secret}")]);
    let err = stderr(&out);
    assert!(err.contains("secret"), "{err}");
    assert!(!err.contains(secret), "{err}");
}

#[test]
fn expected_output_with_wildcards_is_left_to_the_author() {
    let text = "# Guide\n\n```console\n$ printf 'a\\nb\\n'\nold\n...\n```\n";
    let out = refused("guide.md", text, &[]);
    assert!(stderr(&out).contains("wildcards"), "{}", stderr(&out));
}

#[test]
fn output_that_would_read_as_a_command_is_not_written() {
    // Written back, `$ ls` would be a second command of the transcript.
    let text = "# Guide\n\n```console\n$ echo '$ ls'\nold\n```\n";
    let out = refused("guide.md", text, &[]);
    assert!(stderr(&out).contains("would not read"), "{}", stderr(&out));
}

#[test]
fn bless_with_dry_run_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let text = "# Guide\n\n```console\n$ echo drifted\nold\n```\n";
    std::fs::write(dir.path().join("guide.md"), text).unwrap();
    let out = run(dir.path(), "guide.md", &["--bless", "--dry-run"]);
    assert_eq!(out.status.code(), Some(2), "{}", printed(&out));
    assert!(
        stderr(&out).contains("cannot be used with"),
        "{}",
        printed(&out)
    );
    assert_eq!(read(dir.path(), "guide.md"), text);
}

#[test]
fn docrun_test_blesses_each_guide_of_a_tree() {
    let dir = tempfile::tempdir().unwrap();
    let docs = dir.path().join("docs");
    std::fs::create_dir(&docs).unwrap();
    let a = "# A\n\n```console\n$ echo drifted\nold\n```\n";
    let b = "# B\n\n```console\n$ echo fine\nfine\n```\n";
    std::fs::write(docs.join("a.md"), a).unwrap();
    std::fs::write(docs.join("b.md"), b).unwrap();
    let test = |bless: bool| {
        let mut cmd = docrun(dir.path());
        cmd.args(["test", "docs", "--all", "--retry", "0"]);
        if bless {
            cmd.arg("--bless");
        }
        cmd.output().unwrap()
    };
    let out = test(true);
    assert_eq!(
        std::fs::read_to_string(docs.join("a.md")).unwrap(),
        a.replace("\nold\n", "\ndrifted\n"),
        "{}",
        printed(&out)
    );
    assert_eq!(std::fs::read_to_string(docs.join("b.md")).unwrap(), b);
    assert!(
        stderr(&out).contains("bless: 1 step rewritten in 1 file, 0 refused"),
        "{}",
        printed(&out)
    );
    let again = test(false);
    assert_eq!(again.status.code(), Some(0), "{}", printed(&again));
}

#[test]
fn output_joined_from_several_commands_is_not_split_between_them() {
    // The step's output is compared with both blocks at once: which lines belong to which
    // command is not known, so neither is rewritten.
    let text = "{{< text bash >}}\n$ echo a\nold\n$ echo b\nold too\n{{< /text >}}\n";
    let out = refused("guide.md", text, &[]);
    assert!(
        stderr(&out).contains("several commands"),
        "{}",
        printed(&out)
    );
}

#[test]
fn output_with_colour_codes_is_not_written() {
    let text = "# Guide\n\n```console\n$ printf '\\033[31mred\\033[0m\\n'\nold\n```\n";
    let out = refused("guide.md", text, &[]);
    assert!(stderr(&out).contains("colour codes"), "{}", printed(&out));
}

#[test]
fn a_guide_reached_through_a_link_from_outside_the_tree_is_not_written() {
    let dir = tempfile::tempdir().unwrap();
    let tree = dir.path().join("tree");
    let outside = dir.path().join("outside");
    std::fs::create_dir_all(tree.join(".git")).unwrap();
    std::fs::create_dir(&outside).unwrap();
    let text = "# Guide\n\n```console\n$ echo drifted\nold\n```\n";
    std::fs::write(outside.join("guide.md"), text).unwrap();
    std::os::unix::fs::symlink(outside.join("guide.md"), tree.join("guide.md")).unwrap();
    let out = run(&tree, "guide.md", &["--bless"]);
    assert_eq!(
        std::fs::read_to_string(outside.join("guide.md")).unwrap(),
        text,
        "{}",
        printed(&out)
    );
    assert!(
        stderr(&out).contains("outside the documentation tree"),
        "{}",
        printed(&out)
    );
}
