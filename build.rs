//! Names the commit a binary was built from, for `docrun --version`
//! (`docrun 0.1.0 (4d958e3 2026-12-06)`).
//!
//! Contract: sets `DOCRUN_VERSION` for the crate to
//! - `VERSION (HASH[-dirty] DATE)` when docrun's own source tree is a git checkout (the
//!   short hash of HEAD, `-dirty` when tracked files differ from it, the commit date);
//! - else `VERSION (TEXT)` when the environment variable `DOCRUN_COMMIT` gives TEXT (for builds
//!   from a source archive or an sdist, where there is no `.git`);
//! - else `VERSION` alone.
//!
//! A git repository around the source that is not docrun's own (docrun vendored in another
//! tree) names no commit. The script runs again only when HEAD, the branch it points to, the
//! packed refs, the index (staging, commits, checkouts) or `DOCRUN_COMMIT` change, so an
//! incremental build does not rebuild for it.

use std::path::{Path, PathBuf};
use std::process::Command;

fn main() {
    let version = std::env::var("CARGO_PKG_VERSION").expect("cargo sets CARGO_PKG_VERSION");
    let manifest_dir =
        PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets the manifest dir"));
    println!("cargo:rerun-if-env-changed=DOCRUN_COMMIT");
    let commit = from_git(&manifest_dir).or_else(from_env);
    match commit {
        Some(commit) => println!("cargo:rustc-env=DOCRUN_VERSION={version} ({commit})"),
        None => println!("cargo:rustc-env=DOCRUN_VERSION={version}"),
    }
}

/// `HASH[-dirty] DATE` of HEAD when `dir` is the top of a git work tree; registers the git
/// files whose change moves HEAD or the index.
fn from_git(dir: &Path) -> Option<String> {
    let top = git(dir, &["rev-parse", "--show-toplevel"])?;
    let same_tree = match (Path::new(&top).canonicalize(), dir.canonicalize()) {
        (Ok(top), Ok(dir)) => top == dir,
        _ => false,
    };
    if !same_tree {
        return None;
    }
    let mut watched = vec!["HEAD".to_string(), "packed-refs".into(), "index".into()];
    if let Some(branch) = git(dir, &["symbolic-ref", "-q", "HEAD"]) {
        watched.push(branch);
    }
    for name in watched {
        if let Some(path) = git(dir, &["rev-parse", "--git-path", &name]) {
            let path = dir.join(path);
            // A path that does not exist would make cargo run the script on every build.
            if path.exists() {
                println!("cargo:rerun-if-changed={}", path.display());
            }
        }
    }
    let line = git(dir, &["log", "-1", "--format=%h %cs"])?;
    let (hash, date) = line.split_once(' ')?;
    let dirty = git(dir, &["status", "--porcelain", "--untracked-files=no"]).is_some();
    Some(format!(
        "{hash}{} {date}",
        if dirty { "-dirty" } else { "" }
    ))
}

/// `DOCRUN_COMMIT`, kept to one short printable line.
fn from_env() -> Option<String> {
    let text = std::env::var("DOCRUN_COMMIT").ok()?;
    let text: String = text
        .trim()
        .chars()
        .filter(|c| c.is_ascii_graphic() || *c == ' ')
        .take(64)
        .collect();
    (!text.is_empty()).then_some(text)
}

/// The trimmed stdout of a git command that succeeded.
fn git(dir: &Path, args: &[&str]) -> Option<String> {
    let out = Command::new("git")
        .args(args)
        .current_dir(dir)
        .output()
        .ok()?;
    if !out.status.success() {
        return None;
    }
    let text = String::from_utf8(out.stdout).ok()?.trim().to_string();
    (!text.is_empty()).then_some(text)
}
