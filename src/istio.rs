//! istio.io compatibility: the `snips.sh` file istio.io's extractor (`scripts/snip.py`) writes
//! for a guide, byte for byte.
//!
//! istio.io's own tests source these files, so the export has to reproduce the extractor's
//! behaviour, quirks included (see `tests/corpus/istio/CORPUS.md`): it works on raw lines the
//! way the extractor does, rather than on docrun's reading of the guide. Each quirk kept on
//! purpose is named where it is implemented.

use std::path::{Path, PathBuf};
use std::sync::LazyLock;

use regex::Regex;

use crate::site::SiteData;
use crate::source::Source;

/// The fixed header of every `snips.sh`; `%s` is the guide's path below `content/en/`.
pub const HEADER: &str = r####"#!/bin/bash
# shellcheck disable=SC2034,SC2153,SC2155,SC2164

# Copyright Istio Authors. All Rights Reserved.
#
# Licensed under the Apache License, Version 2.0 (the "License");
# you may not use this file except in compliance with the License.
# You may obtain a copy of the License at
#
#    http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS,
# WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
# See the License for the specific language governing permissions and
# limitations under the License.

####################################################################################################
# WARNING: THIS IS AN AUTO-GENERATED FILE, DO NOT EDIT. PLEASE MODIFY THE ORIGINAL MARKDOWN FILE:
#          %s
####################################################################################################
"####;

static START_SNIP: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r#"^(\s*)\{\{< text (?:syntax=)?"?(\w+)"? .*>\}\}$"#).unwrap());
static BOILERPLATE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r#"^\s*\{\{< boilerplate\s*"?([a-zA-Z0-9-]+)"? >\}\}$"#).unwrap());
static SNIP_ID: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"snip_id=(\w+)").unwrap());
static EXEC_IT: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^(.*kubectl exec.*) -it (.*)$").unwrap());
static HEREDOC: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"<<\s*\\?EOF").unwrap());
static INVALID_CHAR: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"[^0-9a-zA-Z_]").unwrap());

/// Options of `docrun snips`, as istio.io's extractor takes them.
#[derive(Debug, Clone)]
pub struct SnipsOptions {
    /// Snippet id prefix: `snip`, or `bpsnip_<name>` for a boilerplate.
    pub prefix: String,
    /// The folder of boilerplate `snips.sh` files: a boilerplate is sourced only when
    /// `<dir>/<name>.sh` exists, and the `source` line names it with this path as given.
    pub boilerplate_snips: Option<PathBuf>,
}

impl Default for SnipsOptions {
    fn default() -> Self {
        SnipsOptions {
            prefix: "snip".to_owned(),
            boilerplate_snips: None,
        }
    }
}

/// What the extractor found in a guide.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Snips {
    /// The path the header names: the guide's path below `content/en/`.
    pub source_name: String,
    pub boilerplates: Vec<String>,
    pub snippets: Vec<Snippet>,
    /// Warnings the extractor prints (e.g. `kubectl exec -it`), with line numbers.
    pub warnings: Vec<String>,
}

/// One extracted snippet, as the lines the extractor writes for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Snippet {
    pub id: String,
    pub kind: String,
    pub line: usize,
    script: Vec<String>,
}

impl Snips {
    /// Whether the extractor would write a file at all (it skips guides with nothing to write).
    pub fn is_empty(&self) -> bool {
        self.snippets.is_empty() && self.boilerplates.is_empty()
    }

    /// The `snips.sh` text.
    pub fn render(&self, options: &SnipsOptions) -> String {
        let mut out = HEADER.replace("%s", &self.source_name);
        let dir = options
            .boilerplate_snips
            .as_deref()
            .map(|d| d.display().to_string())
            .unwrap_or_default();
        for name in &self.boilerplates {
            out.push_str(&format!("source \"{dir}/{name}.sh\"\n"));
        }
        for snippet in &self.snippets {
            for line in &snippet.script {
                out.push_str(line);
            }
        }
        out
    }
}

/// The header's path: the part after `content/en/`, or the path as given outside such a tree.
pub fn source_name(path: &Path) -> String {
    let text = path.to_string_lossy();
    match text.split("content/en/").nth(1) {
        Some(rest) => rest.to_owned(),
        None => text.into_owned(),
    }
}

/// Extracts the snippets of a guide the way istio.io's extractor does.
pub fn extract(src: &Source, site: &SiteData, options: &SnipsOptions) -> Snips {
    let branch = site.value("source_branch_name").unwrap_or_default();
    let github_url = format!("https://raw.githubusercontent.com/istio/istio/{branch}");
    let values: Vec<(String, String)> = [
        "istio_version",
        "istio_full_version",
        "istio_previous_version",
        "istio_full_version_revision",
        "istio_previous_version_revision",
        "k8s_gateway_api_version",
    ]
    .iter()
    .filter_map(|name| {
        site.render(name)
            .map(|v| (format!("{{{{< {name} >}}}}"), v.to_owned()))
    })
    .collect();

    let mut snips = Snips {
        source_name: source_name(src.path()),
        ..Snips::default()
    };
    let mut section = String::new();
    let mut snipnum = 0usize;
    let mut current: Option<usize> = None;
    let mut indent = String::new();
    let mut multiline_cmd = false;
    let mut output_started = false;
    let mut last_id = String::new();

    for (index, raw) in src.text().split_inclusive('\n').enumerate() {
        let linenum = index + 1;
        let mut line = raw.replace("{{< github_file >}}", &github_url).replace(
            "kubectl delete gtw",
            "kubectl delete gtw --cascade=foreground",
        );
        let bare = line.strip_suffix('\n').unwrap_or(&line);

        if let Some(name) = section_head(bare) {
            snipnum = 0;
            section = INVALID_CHAR
                .replace_all(&name.trim().replace(' ', "_"), "")
                .to_lowercase();
            continue;
        }
        if let Some(caps) = START_SNIP.captures(bare) {
            snipnum += 1;
            let block_indent = caps[1].to_owned();
            let kind = caps[2].to_owned();
            let id = match SNIP_ID.captures(bare) {
                Some(m) if &m[1] == "none" => continue,
                Some(m) => format!("{}_{}", options.prefix, &m[1]),
                None => format!("{}_{}_{}", options.prefix, section, snipnum),
            };
            let opening = if kind == "bash" {
                format!("\n{id}() {{\n")
            } else {
                format!("\n! IFS=$'\\n' read -r -d '' {id} <<\\ENDSNIP\n")
            };
            last_id = id.clone();
            snips.snippets.push(Snippet {
                id,
                kind,
                line: linenum,
                script: vec![String::new(), opening],
            });
            current = Some(snips.snippets.len() - 1);
            indent = block_indent;
            continue;
        }
        if let Some(caps) = BOILERPLATE.captures(bare) {
            let name = caps[1].to_owned();
            let exists = options
                .boilerplate_snips
                .as_ref()
                .is_some_and(|d| d.join(format!("{name}.sh")).is_file());
            if exists && !snips.boilerplates.contains(&name) {
                snips.boilerplates.push(name);
            }
            continue;
        }
        let Some(snippet) = current.map(|i| &mut snips.snippets[i]) else {
            continue;
        };
        if !indent.is_empty() {
            if let Some(rest) = line.strip_prefix(indent.as_str()) {
                line = rest.to_owned();
            }
        }
        if line.contains("{{< /text >}}") {
            let closing = if snippet.kind == "bash" && !output_started {
                "}\n"
            } else {
                "ENDSNIP\n"
            };
            snippet.script.push(closing.to_owned());
            current = None;
            multiline_cmd = false;
            output_started = false;
            continue;
        }
        if snippet.kind == "bash" {
            if let Some(rest) = line.strip_prefix("$ ") {
                line = rest.to_owned();
            } else if multiline_cmd {
                if line == "EOF\n" {
                    multiline_cmd = false;
                }
            } else if !snippet.script.last().is_some_and(|l| l.ends_with("\\\n")) && !output_started
            {
                // Quirk kept: once output has started, later `$ ` lines are output too.
                snippet.script.push(format!(
                    "}}\n\n! IFS=$'\\n' read -r -d '' {last_id}_out <<\\ENDSNIP\n"
                ));
                output_started = true;
            }
            while let Some(stripped) = strip_github_token(&line) {
                line = stripped;
            }
            if EXEC_IT.is_match(line.strip_suffix('\n').unwrap_or(&line)) {
                let msg = format!("ERROR: 'kubectl exec -it' will not work in test environment. Please remove -it from .md line: {linenum}");
                line.push_str(&format!(">>> {msg}\n"));
                snips.warnings.push(msg);
            }
            if HEREDOC.is_match(&line) {
                multiline_cmd = true;
            }
        }
        for (tag, value) in &values {
            if line.contains(tag.as_str()) {
                line = line.replace(tag.as_str(), value);
            }
        }
        snippet.script.push(line);
    }
    snips
}

/// The extractor's section-head rule, `^##+ ([^{]*)({.*})?$`: returns the heading text.
///
/// A heading with a `{` that does not end the line (a shortcode in the title) is no section head
/// to the extractor.
fn section_head(line: &str) -> Option<&str> {
    let hashes = line.len() - line.trim_start_matches('#').len();
    if hashes < 2 {
        return None;
    }
    let body = line[hashes..].strip_prefix(' ')?;
    match body.find('{') {
        None => Some(body),
        Some(i) if body.ends_with('}') => Some(&body[..i]),
        Some(_) => None,
    }
}

/// `@path@` names a file of the Istio source tree: every such token of `text` (any number of
/// lines) becomes `path`, by the extractor's rule.
pub fn strip_path_tokens(text: &str) -> String {
    if !text.contains('@') {
        return text.to_owned();
    }
    let mut out = String::with_capacity(text.len());
    for line in text.split_inclusive('\n') {
        let had_newline = line.ends_with('\n');
        let mut line = line.to_owned();
        let mut changed = false;
        while let Some(stripped) = strip_github_token(&line) {
            line = stripped;
            changed = true;
        }
        // The extractor's rule ends every line it rewrites with a newline.
        if changed && !had_newline {
            line.pop();
        }
        out.push_str(&line);
    }
    out
}

/// One step of the extractor's `@path@` rule: the last `@word@` not preceded by a letter or
/// digit loses its `@`s. Returns `None` when there is none left.
fn strip_github_token(line: &str) -> Option<String> {
    let body = line.strip_suffix('\n').unwrap_or(line);
    let chars: Vec<(usize, char)> = body.char_indices().collect();
    let is_path_char =
        |c: char| c.is_alphanumeric() || c == '_' || c == '.' || c == '-' || c == '/';
    for start in (0..chars.len()).rev() {
        let (at, c) = chars[start];
        if c != '@' {
            continue;
        }
        if start > 0 && chars[start - 1].1.is_ascii_alphanumeric() {
            continue;
        }
        let mut end = start + 1;
        while end < chars.len() && is_path_char(chars[end].1) {
            end += 1;
        }
        if end > start + 1 && end < chars.len() && chars[end].1 == '@' {
            let close = chars[end].0;
            return Some(format!(
                "{}{}{}\n",
                &body[..at],
                &body[at + 1..close],
                &body[close + 1..]
            ));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn section_heads_follow_the_extractor_rule() {
        let cases = [
            ("## Before you begin", Some("Before you begin")),
            (
                "### Configure trust {#configure-trust}",
                Some("Configure trust "),
            ),
            ("# Title", None),
            ("##NoSpace", None),
            ("## Use {{< gloss >}}x{{< /gloss >}} here", None),
        ];
        for (line, expected) in cases {
            assert_eq!(section_head(line), expected, "{line}");
        }
    }

    #[test]
    fn github_tokens_lose_their_at_signs() {
        let cases = [
            (
                "kubectl apply -f @samples/x.yaml@\n",
                Some("kubectl apply -f samples/x.yaml\n"),
            ),
            ("mail me@host.com@x\n", None),
            ("a @b@ @c@\n", Some("a @b@ c\n")),
            ("@@\n", None),
        ];
        for (line, expected) in cases {
            assert_eq!(strip_github_token(line).as_deref(), expected, "{line}");
        }
    }

    #[test]
    fn every_path_token_of_a_command_goes() {
        assert_eq!(
            strip_path_tokens("kubectl apply -f @a/x.yaml@ \\\n  -f @b.yaml@"),
            "kubectl apply -f a/x.yaml \\\n  -f b.yaml"
        );
        assert_eq!(strip_path_tokens("mail me@host.com"), "mail me@host.com");
    }

    #[test]
    fn source_name_is_relative_to_content_en() {
        assert_eq!(
            source_name(Path::new("x/content/en/docs/a/index.md")),
            "docs/a/index.md"
        );
        assert_eq!(source_name(Path::new("guide.md")), "guide.md");
    }
}
