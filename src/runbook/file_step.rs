//! Files a guide asks the reader to save: a Docusaurus fence whose `title="…"` is a file name
//! (```` ```bash title="system-info.sh" ````) shows the file's content, not commands to paste.
//!
//! Such a block becomes a step of kind [`StepKind::File`](super::StepKind::File): a run writes
//! the block's text, byte for byte, to that file in the run's working folder (the folders on
//! its path made first), as a reader who saves the file does, and later steps find it there.
//! The write is one command (a quoted heredoc, so nothing in the text is expanded), which the
//! plan shows and the session runs like any other.
//!
//! Only a title that reads as a relative file name inside the working folder is a file: one
//! word of letters, digits and `._-+@/`, with an extension (`get-demo.sh`), a folder
//! (`sdkexamples/main.go`), a leading dot (`.helmignore`) or a name such as `Makefile`. A
//! caption (`title="Terminal"`, `title="Install the chart"`), an absolute path or one with
//! `..` leaves the block what its syntax makes it.

use crate::doc::bash::Command;
use crate::doc::{Dialect, TextBlock};

/// File names without an extension that name files, not captions.
const PLAIN_FILE_NAMES: &[&str] = &[
    "Makefile",
    "Dockerfile",
    "Containerfile",
    "Jenkinsfile",
    "Vagrantfile",
    "Procfile",
    "Gemfile",
    "Rakefile",
    "Tiltfile",
    "Earthfile",
    "Justfile",
    "justfile",
    "OWNERS",
    "LICENSE",
];

/// The file a block is saved as, when the guide's dialect saves titled blocks (MDX) and the
/// block's title is a file name (see the module documentation).
pub(super) fn saved_as(block: &TextBlock, dialect: Dialect) -> Option<&str> {
    if dialect != Dialect::Mdx || block.file.is_some() {
        return None;
    }
    let title = block.title.as_deref()?.trim();
    is_file_name(title).then_some(title)
}

/// Whether a title is a relative file name inside the working folder.
pub(crate) fn is_file_name(title: &str) -> bool {
    let allowed = |c: char| c.is_ascii_alphanumeric() || "._-+@/".contains(c);
    if title.is_empty()
        || title.len() > 255
        || !title.chars().all(allowed)
        || title.starts_with(['/', '-'])
        || title.ends_with('/')
    {
        return false;
    }
    if title
        .split('/')
        .any(|part| part.is_empty() || part == "." || part == "..")
    {
        return false;
    }
    let name = title.rsplit('/').next().unwrap_or(title);
    let has_extension = name
        .rfind('.')
        .is_some_and(|dot| dot + 1 < name.len() && name[..dot].chars().any(|c| c != '.'));
    let dotfile = name.starts_with('.') && name.chars().any(|c| c != '.');
    title.contains('/') || has_extension || dotfile || PLAIN_FILE_NAMES.contains(&name)
}

/// The one command that writes `lines` (each without its line end) to `path`: the folders
/// first, then a heredoc whose delimiter is no line of the text, quoted so that the shell
/// expands nothing in it. `path` is a file name [`is_file_name`] accepts, so single quotes
/// hold it whole.
pub(super) fn write_command<'a>(
    path: &str,
    lines: impl Iterator<Item = &'a str> + Clone,
    line: usize,
) -> Command {
    let mut delimiter = String::from("DOCRUN_FILE");
    let mut n = 1;
    while lines.clone().any(|l| l == delimiter) {
        n += 1;
        delimiter = format!("DOCRUN_FILE_{n}");
    }
    let mut text = String::new();
    if let Some((folder, _)) = path.rsplit_once('/') {
        text.push_str(&format!("mkdir -p '{folder}' && "));
    }
    text.push_str(&format!("cat > '{path}' <<'{delimiter}'\n"));
    for l in lines {
        text.push_str(l);
        text.push('\n');
    }
    text.push_str(&delimiter);
    Command { text, line }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_and_captions() {
        for name in [
            "get-demo.sh",
            "sdkexamples/main.go",
            ".helmignore",
            "Makefile",
            "values.yaml",
            "charts/my-app/templates/_helpers.tpl",
        ] {
            assert!(is_file_name(name), "{name}");
        }
        for caption in [
            "Terminal",
            "Install the chart",
            "/etc/hosts",
            "../outside.sh",
            "a/../../b.sh",
            "-rf.sh",
            "x.sh; rm -rf ~",
            "it's.sh",
            "dir/",
            "...",
            "",
        ] {
            assert!(!is_file_name(caption), "{caption}");
        }
    }

    #[test]
    fn the_write_keeps_the_text_and_picks_a_delimiter_the_text_does_not_hold() {
        let body = ["#!/bin/sh", "echo \"$HOME\"", "DOCRUN_FILE"];
        let command = write_command("dir/x.sh", body.iter().copied(), 7);
        assert_eq!(
            command.text,
            "mkdir -p 'dir' && cat > 'dir/x.sh' <<'DOCRUN_FILE_2'\n#!/bin/sh\necho \"$HOME\"\nDOCRUN_FILE\nDOCRUN_FILE_2"
        );
        assert_eq!(command.line, 7);
    }
}
