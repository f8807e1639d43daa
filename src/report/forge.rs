//! Links from a report to a guide's line on the forge, at the commit being tested:
//! `{GITHUB_SERVER_URL}/{GITHUB_REPOSITORY}/blob/{GITHUB_SHA}/{path}#L{line}`, the path taken
//! relative to the top of the git work tree the guide is in. Without all three variables, or
//! for a file outside a git work tree, there is no link and a report shows `file:line` as text.
//!
//! The variables come from the CI runner, not from a guide; all the same, the server must be an
//! `http(s)` URL, and the repository, commit and path are percent-encoded segment by segment.

use std::path::{Path, PathBuf};

/// Where links point: the blob URL of the commit, `https://github.com/OWNER/REPO/blob/SHA/`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Forge {
    blob: Option<String>,
}

impl Forge {
    /// From `GITHUB_SERVER_URL`, `GITHUB_REPOSITORY` and `GITHUB_SHA`; no links unless all
    /// three are set, not empty, and the server is an `http(s)` URL.
    pub fn from_env() -> Self {
        let var = |n: &str| std::env::var(n).ok().filter(|v| !v.is_empty());
        match (
            var("GITHUB_SERVER_URL"),
            var("GITHUB_REPOSITORY"),
            var("GITHUB_SHA"),
        ) {
            (Some(server), Some(repository), Some(sha)) => Forge::at(&server, &repository, &sha),
            _ => Forge::default(),
        }
    }

    /// Links into `repository` (`owner/name`) at commit `sha` on `server`.
    pub fn at(server: &str, repository: &str, sha: &str) -> Self {
        let is_web = server.starts_with("https://") || server.starts_with("http://");
        if !is_web {
            return Forge::default();
        }
        Forge {
            blob: Some(format!(
                "{}/{}/blob/{}/",
                server.trim_end_matches('/'),
                encode_path(repository),
                url_segment(sha)
            )),
        }
    }

    /// The blob URL of the commit, ending in `/`, when there is one.
    pub fn blob(&self) -> Option<&str> {
        self.blob.as_deref()
    }

    /// The URL of `line` of `file` (relative to the current folder, or absolute), when there
    /// is a forge to link to and the file is in a git work tree.
    pub fn line_url(&self, file: &Path, line: usize) -> Option<String> {
        let blob = self.blob.as_ref()?;
        let relative = relative_to_git_top(file)?;
        let path = relative
            .components()
            .map(|c| url_segment(&c.as_os_str().to_string_lossy()))
            .collect::<Vec<_>>()
            .join("/");
        Some(format!("{blob}{path}#L{line}"))
    }
}

/// `file`'s path from the top of the git work tree it is in (the nearest folder above it
/// with a `.git`).
fn relative_to_git_top(file: &Path) -> Option<PathBuf> {
    let absolute = std::env::current_dir().ok()?.join(file);
    let absolute = absolute.canonicalize().unwrap_or(absolute);
    let top = absolute
        .ancestors()
        .skip(1)
        .find(|d| d.join(".git").exists())?;
    absolute.strip_prefix(top).ok().map(Path::to_path_buf)
}

/// `owner/name` with each segment encoded.
fn encode_path(path: &str) -> String {
    path.split('/')
        .map(url_segment)
        .collect::<Vec<_>>()
        .join("/")
}

/// Percent-encodes what a URL path segment cannot hold as it is.
pub fn url_segment(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_line_links_to_its_file_from_the_git_top_with_each_segment_encoded() {
        let top = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(top.path().join(".git")).unwrap();
        std::fs::create_dir_all(top.path().join("docs/a b")).unwrap();
        let file = top.path().join("docs/a b/g#1.md");
        std::fs::write(&file, "x").unwrap();
        let forge = Forge::at("https://git.example/", "o w/r", "abc");
        assert_eq!(
            forge.line_url(&file, 7).as_deref(),
            Some("https://git.example/o%20w/r/blob/abc/docs/a%20b/g%231.md#L7")
        );
    }

    #[test]
    fn no_link_without_a_web_server_or_outside_a_work_tree() {
        assert_eq!(
            Forge::at("javascript:alert(1)//", "o/r", "abc"),
            Forge::default()
        );
        let forge = Forge::at("https://git.example", "o/r", "abc");
        let outside = tempfile::tempdir().unwrap();
        let file = outside.path().join("g.md");
        std::fs::write(&file, "x").unwrap();
        // /tmp is in no work tree (unless a test machine keeps one above it).
        if !outside.path().ancestors().any(|d| d.join(".git").exists()) {
            assert_eq!(forge.line_url(&file, 1), None);
        }
        assert_eq!(Forge::default().line_url(Path::new("Cargo.toml"), 1), None);
    }
}
