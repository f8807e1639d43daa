//! The documentation tree is the boundary: every file a guide or its settings name is read
//! from inside the tree the guide belongs to, and only if it is a regular file of bounded size.
//!
//! A guide in a pull request is a stranger's text next to CI's secrets. A `file=` block, an
//! include, a snippet, a boilerplate or a preview's `-f` that named `/proc/self/environ`,
//! `../../.ssh/id_rsa`, a symlink out of the tree, `/dev/zero` or a FIFO would put docrun's
//! environment in a report, read without end or block. Here a name resolves (symlinks
//! followed) to a path inside the [`root`], to a regular file, read up to [`MAX_FILE`] bytes,
//! or not at all, with the reason.
//!
//! Settings found by walking up from a guide (`docrun.yaml`, site data, boilerplates, site
//! markers) are looked for up to the root, not above, and only in files that are
//! [`trusted`]: owned by the user (or root) and writable by no one else.

use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

/// The largest file a guide may have docrun read for it (an include, a `file=` block, a
/// manifest): far above any real page, far below what would hurt.
pub const MAX_FILE: u64 = 16 * 1024 * 1024;

/// Files that mark a documentation site's top folder when the tree is not a git work tree.
const MARKERS: &[&str] = &[
    "docrun.yaml",
    "mkdocs.yml",
    "hugo.toml",
    "hugo.yaml",
    "config.toml",
    "docusaurus.config.js",
    "antora.yml",
    "data/args.yml",
    "data/versions.yaml",
    "variables.json",
];

/// Why a named file is not read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refused {
    #[error("`{name}` resolves to {}, outside the documentation tree {}", .path.display(), .root.display())]
    Outside {
        name: String,
        path: PathBuf,
        root: PathBuf,
    },
    #[error("`{name}` is not a regular file (a folder, device, FIFO or socket is never read)")]
    NotRegular { name: String },
    #[error("`{name}` is {size} bytes, over the {MAX_FILE}-byte limit of a file a guide names")]
    TooLarge { name: String, size: u64 },
    #[error("`{name}` cannot be read: {reason}")]
    Unreadable { name: String, reason: String },
}

/// The documentation root of `path` (a guide or a folder): the top level of the git work tree
/// it is in, else the nearest folder above it with a trusted site marker (`docrun.yaml`,
/// `mkdocs.yml`, Hugo's config, site data), else the current folder when the guide is under
/// it (`docrun plan docs/x.md` in a folder of guides), else the guide's own folder. Canonical.
pub fn root(path: &Path) -> PathBuf {
    // Asked for every guide built and every link followed: the answer of a folder is kept
    // for the life of the process (the tree and the current folder do not move under a run).
    static ROOTS: std::sync::LazyLock<
        std::sync::Mutex<std::collections::HashMap<PathBuf, PathBuf>>,
    > = std::sync::LazyLock::new(Default::default);
    let start = start_dir(path);
    if let Some(root) = ROOTS.lock().ok().and_then(|r| r.get(&start).cloned()) {
        return root;
    }
    let root = root_of(&start);
    if let Ok(mut roots) = ROOTS.lock() {
        roots.insert(start, root.clone());
    }
    root
}

fn root_of(start: &Path) -> PathBuf {
    if let Some(top) = start.ancestors().find(|d| d.join(".git").exists()) {
        return top.to_path_buf();
    }
    if let Some(marked) = start
        .ancestors()
        .find(|d| MARKERS.iter().any(|m| trusted(&d.join(m))))
    {
        return marked.to_path_buf();
    }
    match std::env::current_dir().and_then(|d| d.canonicalize()) {
        Ok(cwd) if start.starts_with(&cwd) && cwd.parent().is_some() => cwd,
        _ => start.to_path_buf(),
    }
}

/// The canonical folder of `path` (itself when it is a folder).
fn start_dir(path: &Path) -> PathBuf {
    let dir = if path.is_dir() {
        path
    } else {
        path.parent().unwrap_or(Path::new("."))
    };
    let dir = if dir.as_os_str().is_empty() {
        Path::new(".")
    } else {
        dir
    };
    dir.canonicalize().unwrap_or_else(|_| dir.to_path_buf())
}

/// The folders from `path`'s own up to its root, nearest first: where settings are looked for.
pub fn folders_up_to_root(path: &Path) -> Vec<PathBuf> {
    let root = root(path);
    start_dir(path)
        .ancestors()
        .take_while(|d| d.starts_with(&root))
        .map(Path::to_path_buf)
        .collect()
}

/// Whether a settings file may be believed: a regular file owned by the user running docrun
/// (or by root) that no other user can write.
pub fn trusted(file: &Path) -> bool {
    let Ok(meta) = std::fs::metadata(file) else {
        return false;
    };
    let me = nix::unistd::geteuid().as_raw();
    meta.is_file() && (meta.uid() == me || meta.uid() == 0) && meta.mode() & 0o022 == 0
}

/// Resolves `name` (as the guide wrote it) at `path` to a regular file inside `root`.
pub fn resolve(root: &Path, path: &Path, name: &str) -> Result<PathBuf, Refused> {
    let canonical = path.canonicalize().map_err(|e| Refused::Unreadable {
        name: name.to_owned(),
        reason: e.to_string(),
    })?;
    let root = root.canonicalize().unwrap_or_else(|_| root.to_path_buf());
    if !canonical.starts_with(&root) {
        return Err(Refused::Outside {
            name: name.to_owned(),
            path: canonical,
            root,
        });
    }
    let meta = std::fs::metadata(&canonical).map_err(|e| Refused::Unreadable {
        name: name.to_owned(),
        reason: e.to_string(),
    })?;
    if !meta.is_file() {
        return Err(Refused::NotRegular {
            name: name.to_owned(),
        });
    }
    if meta.len() > MAX_FILE {
        return Err(Refused::TooLarge {
            name: name.to_owned(),
            size: meta.len(),
        });
    }
    Ok(canonical)
}

/// Reads the file `name` names at `path`, if it is a regular file inside `root`, as bytes,
/// never more than [`MAX_FILE`] of them (as every file docrun reads:
/// [`crate::source::read_bounded`]).
pub fn read(root: &Path, path: &Path, name: &str) -> Result<Vec<u8>, Refused> {
    let file = resolve(root, path, name)?;
    crate::source::read_bounded(&file).map_err(|e| unreadable(name, &e))
}

/// [`read`] as text, read as every text file is ([`crate::source::Source::load`]): UTF-8,
/// without a NUL byte (UTF-16 and NUL bytes are refused, naming where).
pub fn read_text(root: &Path, path: &Path, name: &str) -> Result<String, Refused> {
    let file = resolve(root, path, name)?;
    crate::source::Source::load(&file)
        .map(|source| source.text().to_owned())
        .map_err(|e| unreadable(name, &e))
}

fn unreadable(name: &str, e: &crate::error::Error) -> Refused {
    Refused::Unreadable {
        name: name.to_owned(),
        reason: e.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_resolve_inside_the_tree_or_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let tree = dir.path().join("docs");
        std::fs::create_dir_all(tree.join("guide")).unwrap();
        std::fs::write(tree.join("docrun.yaml"), "").unwrap();
        std::fs::write(tree.join("guide/x.yaml"), "a: 1").unwrap();
        std::fs::write(dir.path().join("secret"), "s3cret").unwrap();
        std::os::unix::fs::symlink(dir.path().join("secret"), tree.join("guide/link")).unwrap();
        let root = root(&tree.join("guide/index.md"));
        assert_eq!(root, tree.canonicalize().unwrap());
        let at = |n: &str| tree.join("guide").join(n);
        assert_eq!(read_text(&root, &at("x.yaml"), "x.yaml").unwrap(), "a: 1");
        for name in ["../../secret", "link", "/etc/passwd", "/proc/self/environ"] {
            let err = read(&root, &at(name), name).unwrap_err();
            assert!(matches!(err, Refused::Outside { .. }), "{name}: {err}");
        }
        assert!(matches!(
            read(&root, &at("."), "."),
            Err(Refused::NotRegular { .. })
        ));
    }
}
