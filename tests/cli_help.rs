//! What a user learns from docrun itself: each command's help gives its exit codes and examples
//! that parse, every argument is described, global options sit under their own heading,
//! `--version` names the commit, and `docrun completions` / `docrun man` print a script each
//! shell accepts and a manual page `man` renders.

mod support;

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

use clap::{CommandFactory, Parser};
use docrun::cli::Cli;
use support::docrun::{docrun_in_project, printed};

fn run(args: &[&str]) -> Output {
    docrun_in_project().args(args).output().unwrap()
}

fn stdout(args: &[&str]) -> String {
    let out = run(args);
    assert_eq!(out.status.code(), Some(0), "{}", printed(&out));
    String::from_utf8(out.stdout).unwrap()
}

/// The lines of `section:` up to the next blank line.
fn section<'a>(help: &'a str, title: &str) -> Vec<&'a str> {
    let start = help
        .find(&format!("\n{title}:\n"))
        .unwrap_or_else(|| panic!("no `{title}:` in:\n{help}"));
    help[start + title.len() + 3..]
        .lines()
        .take_while(|line| !line.trim().is_empty())
        .collect()
}

fn command_names() -> Vec<String> {
    Cli::command()
        .get_subcommands()
        .map(|sub| sub.get_name().to_string())
        .collect()
}

#[test]
fn test_help_gives_its_exit_codes_and_examples() {
    let help = stdout(&["test", "--help"]);
    let codes = section(&help, "Exit codes");
    for code in ["0", "1", "2", "130"] {
        assert!(
            codes.iter().any(|line| line.trim_start().starts_with(code)),
            "exit code {code} in:\n{help}"
        );
    }
    let examples = section(&help, "Examples");
    assert!(examples.len() >= 2, "{help}");
    assert!(examples
        .iter()
        .all(|line| line.trim_start().starts_with("docrun test ")));
    // -h shows them too.
    let short = stdout(&["test", "-h"]);
    assert!(short.contains("Exit codes:") && short.contains("Examples:"));
}

#[test]
fn every_commands_examples_parse_with_the_flags_docrun_has() {
    for name in command_names() {
        let help = stdout(&["help", &name]);
        assert!(!section(&help, "Exit codes").is_empty(), "{name}: {help}");
        let examples = section(&help, "Examples");
        assert!(
            (2..=4).contains(&examples.len()),
            "{name} has 2-4 examples: {examples:?}"
        );
        for example in examples {
            // The command, without what a shell does around it.
            let line = example.trim();
            let line = line[line.find("docrun ").unwrap()..]
                .split(['|', '>'])
                .next()
                .unwrap();
            let words = shlex::split(line).unwrap();
            if let Err(err) = Cli::try_parse_from(&words) {
                panic!("`{line}` in the help of {name} does not parse: {err}");
            }
        }
    }
}

#[test]
fn every_argument_is_described_and_global_options_are_described_once() {
    let mut cli = Cli::command();
    cli.build();
    for sub in cli.get_subcommands() {
        for arg in sub.get_arguments() {
            assert!(
                arg.get_help().is_some(),
                "docrun {} {} has no description",
                sub.get_name(),
                arg.get_id()
            );
        }
    }
    for name in command_names() {
        let help = stdout(&[&name, "-h"]);
        let globals = section(&help, "Global options").join("\n");
        for flag in ["--color", "--quiet", "--verbose", "--dialect"] {
            assert!(
                globals.contains(flag),
                "{name}: {flag} under Global options"
            );
            assert_eq!(
                help.matches(flag).count(),
                1,
                "{name}: {flag} once:\n{help}"
            );
        }
    }
}

#[test]
fn dialect_takes_one_line_in_short_help_and_explains_itself_in_long_help() {
    let short = stdout(&["plan", "-h"]);
    let at = short.find("--dialect").unwrap();
    // One sentence and the values, which the terminal's width may wrap.
    let entry: Vec<&str> = short[at..]
        .lines()
        .take_while(|l| !l.trim().is_empty())
        .collect();
    let line = entry.iter().map(|l| l.trim()).collect::<Vec<_>>().join(" ");
    assert!(
        line.contains("[possible values: istio, hugo, mkdocs, markdown, asciidoc, mdx]"),
        "{line}"
    );
    assert!(entry.len() <= 2, "one line and its values: {line}");
    assert!(!short.contains("MkDocs Material"));

    let long = stdout(&["plan", "--help"]);
    assert!(long.contains("mkdocs.yml -> mkdocs"), "{long}");
    assert!(
        long.contains("mkdocs:   MkDocs Material (Knative)"),
        "{long}"
    );
}

#[test]
fn version_names_the_commit_of_a_git_checkout() {
    let version = stdout(&["--version"]);
    let expected = format!("docrun {} ", env!("CARGO_PKG_VERSION"));
    assert!(version.starts_with(expected.trim_end()), "{version}");
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let git = |args: &[&str]| {
        Command::new("git")
            .args(args)
            .current_dir(root)
            .output()
            .ok()
            .filter(|out| out.status.success())
            .map(|out| String::from_utf8_lossy(&out.stdout).trim().to_string())
    };
    let top = git(&["rev-parse", "--show-toplevel"]);
    if top
        .is_some_and(|top| Path::new(&top).canonicalize().unwrap() == root.canonicalize().unwrap())
    {
        let hash = git(&["rev-parse", "--short", "HEAD"]).unwrap();
        let date = git(&["log", "-1", "--format=%cs"]).unwrap();
        assert!(
            version.starts_with(&format!("{expected}({hash}")),
            "{version} names {hash}"
        );
        assert!(
            version.trim_end().ends_with(&format!(" {date})")),
            "{version}"
        );
    }
}

/// Whether `shell` accepts `script` without running it, or None when the shell is not installed.
fn shell_accepts(shell: &str, flag: &str, script: &str) -> Option<Result<(), String>> {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("completion");
    std::fs::write(&file, script).unwrap();
    let out = Command::new(shell)
        .arg(flag)
        .arg(&file)
        .stdin(Stdio::null())
        .output()
        .ok()?;
    Some(if out.status.success() {
        Ok(())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).into_owned())
    })
}

#[test]
fn each_shell_gets_a_completion_script_it_accepts() {
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let script = stdout(&["completions", shell]);
        for word in ["changed-since", "completions", "dialect"] {
            assert!(script.contains(word), "{shell} completes {word}");
        }
        let check = match shell {
            "bash" => shell_accepts("bash", "-n", &script),
            "zsh" => shell_accepts("zsh", "-n", &script),
            "fish" => shell_accepts("fish", "--no-execute", &script),
            _ => None,
        };
        if let Some(Err(err)) = check {
            panic!("{shell} rejects its completion script: {err}");
        }
        if shell == "bash" {
            assert!(check.is_some(), "bash is installed where the tests run");
        }
    }
    let out = run(&["completions", "tcsh"]);
    assert_eq!(out.status.code(), Some(2), "{}", printed(&out));
}

#[test]
fn man_prints_a_page_with_every_command_that_man_renders() {
    let page = stdout(&["man"]);
    assert!(
        page.lines().any(|line| line.starts_with(".TH docrun 1 ")),
        "a .TH header: {}",
        &page[..200]
    );
    for name in command_names() {
        assert!(
            page.contains(&format!(".SH \"DOCRUN {}\"", name.to_uppercase())),
            "the page has a section for {name}"
        );
    }
    let Ok(mut man) = Command::new("man")
        .args(["-l", "-"])
        .env("MANWIDTH", "80")
        .env("MANPAGER", "cat")
        .env("PAGER", "cat")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
    else {
        return; // no man here: the .TH header is what can be checked
    };
    man.stdin
        .take()
        .unwrap()
        .write_all(page.as_bytes())
        .unwrap();
    let out = man.wait_with_output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains("DOCRUN TEST"), "{text}");
    assert!(text.contains("every guide that ran passed"), "{text}");
    assert!(!text.contains(".SH"), "no roff left unrendered");
}
