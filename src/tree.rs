//! Doc trees: the guides under some paths, and the dialect of each folder.
//!
//! A tree in a pull request is a stranger's: the walk reads only what can be a guide. A `*.md`
//! entry is taken when it is a regular file, or a symlink that resolves to a regular file inside
//! the documentation root ([`crate::boundary::root`]), of at most [`MAX_FILE`] bytes. Anything
//! else with that name (a FIFO, a socket, a device, a link to `/dev/zero` or out of the tree, a
//! file over the limit) is [`Skipped`] with the reason, never opened. A folder that cannot be
//! listed is an [`UnlistedFolder`]: the walk goes on with the rest of the tree.

use std::fmt;
use std::os::unix::fs::FileTypeExt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use crate::error::Error;
use crate::file::MAX_FILE;

/// What a walk over some paths found.
#[derive(Debug, Default)]
pub struct Tree {
    /// The guides, in order: a path given as a file as it is, then each folder's `*.md` files
    /// in sorted order.
    pub files: Vec<PathBuf>,
    /// `*.md` entries that are not read, with why.
    pub skipped: Vec<Skipped>,
    /// Folders under the paths that cannot be listed; their guides are not known.
    pub unlisted: Vec<UnlistedFolder>,
    /// Paths given that do not exist or cannot be read: the input is wrong.
    pub errors: Vec<Error>,
}

/// A `*.md` entry of a tree that is not read as a guide.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skipped {
    pub path: PathBuf,
    /// Why, as the end of a sentence that starts with the path: "is a FIFO".
    pub reason: String,
}

impl fmt::Display for Skipped {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {}; not read as a guide",
            self.path.display(),
            self.reason
        )
    }
}

/// A folder of a tree that cannot be listed.
#[derive(Debug)]
pub struct UnlistedFolder {
    pub path: PathBuf,
    pub source: std::io::Error,
}

impl fmt::Display for UnlistedFolder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: the folder cannot be listed ({}); its guides are not read",
            self.path.display(),
            self.source
        )
    }
}

impl UnlistedFolder {
    /// As an [`Error`] (input error) naming the folder.
    pub fn to_error(&self) -> Error {
        Error::Io {
            path: self.path.clone(),
            source: std::io::Error::new(
                self.source.kind(),
                format!(
                    "the folder cannot be listed ({}); its guides are not read",
                    self.source
                ),
            ),
        }
    }
}

/// The guides under `paths`; see [`walk`]. Paths that do not exist, and folders that cannot be
/// listed, come back as errors; skipped entries are left out.
pub fn guides(paths: &[PathBuf]) -> (Vec<PathBuf>, Vec<Error>) {
    let tree = walk(paths);
    let mut errors = tree.errors;
    errors.extend(tree.unlisted.iter().map(UnlistedFolder::to_error));
    (tree.files, errors)
}

/// Walks `paths`: a file is taken as it is (reading it checks it, see
/// [`crate::file::load`]); a folder is walked for `*.md` entries (and MDX's `*.mdx`,
/// AsciiDoc's `*.adoc`, `*.asciidoc`) in sorted order, never following a symlink to a folder (so a link
/// cycle cannot loop), and taking only what the module documentation says.
///
/// The walk leaves out what a user does not count as the tree's pages ([`ignore`]'s rules, as
/// ripgrep and fd apply them): hidden entries (a name starting with `.`); what `.gitignore`
/// files, `.git/info/exclude` and git's global excludes ignore, inside a git work tree, and what
/// `.ignore` files ignore; `node_modules` and `target` folders; and a site's build output beside
/// its configuration: Hugo's `public` and `resources` (beside `hugo.*`, `config.toml` or
/// `config/`), MkDocs' `site` (beside `mkdocs.yml`), Docusaurus' `build` (beside
/// `docusaurus.config.js`) and Jekyll's `_site` (beside `_config.yml`). A path given on the
/// command line is walked whatever these say of it (`docrun test node_modules/pkg/docs`).
///
/// The ignore files are a stranger's too: a folder whose `.gitignore`, `.ignore` or `.git`
/// file is not a regular file inside the tree of bounded size (a FIFO, a link to `/dev/zero`
/// or out of the tree) is not read, and is an [`UnlistedFolder`] saying why.
pub fn walk(paths: &[PathBuf]) -> Tree {
    let mut tree = Tree::default();
    for path in paths {
        match std::fs::metadata(path) {
            Ok(meta) if meta.is_dir() => {
                let root = crate::boundary::root(path);
                walk_dir(path, &root, &mut tree);
            }
            Ok(_) => tree.files.push(path.clone()),
            Err(source) => tree.errors.push(Error::Io {
                path: path.clone(),
                source,
            }),
        }
    }
    tree
}

/// What the walk of one folder found, from the walker's thread.
#[derive(Default)]
struct Found {
    files: Vec<PathBuf>,
    skipped: Vec<Skipped>,
    unlisted: Vec<UnlistedFolder>,
}

fn walk_dir(dir: &Path, root: &Path, tree: &mut Tree) {
    // The folders from the documentation root down to `dir` have their ignore files read
    // before the walk starts: each must be one that may be read.
    let absolute = std::path::absolute(dir).unwrap_or_else(|_| dir.to_path_buf());
    let above: Vec<PathBuf> = crate::boundary::folders_up_to_root(&absolute);
    for folder in above.iter().rev() {
        if let Err(source) = ignore_files_readable(folder, root) {
            tree.unlisted.push(UnlistedFolder {
                path: if folder == above.first().unwrap_or(folder) {
                    dir.to_path_buf()
                } else {
                    folder.clone()
                },
                source,
            });
            return;
        }
    }
    let found = Arc::new(Mutex::new(Found::default()));
    let filter_found = Arc::clone(&found);
    let filter_root = root.to_path_buf();
    let mut walker = ignore::WalkBuilder::new(dir);
    walker
        .standard_filters(true)
        .follow_links(false)
        // One worker: the walk's cost is the system's, and the order is restored below.
        .threads(1)
        .filter_entry(move |entry| {
            if entry.depth() == 0 || !entry.file_type().is_some_and(|t| t.is_dir()) {
                return true;
            }
            if build_output(entry.path()) {
                return false;
            }
            match ignore_files_readable(entry.path(), &filter_root) {
                Ok(()) => true,
                Err(source) => {
                    if let Ok(mut found) = filter_found.lock() {
                        found.unlisted.push(UnlistedFolder {
                            path: entry.path().to_path_buf(),
                            source,
                        });
                    }
                    false
                }
            }
        });
    let visit_root = root.to_path_buf();
    walker.build_parallel().run(|| {
        let found = Arc::clone(&found);
        let root = visit_root.clone();
        Box::new(move |entry| {
            let Ok(mut found) = found.lock() else {
                return ignore::WalkState::Quit;
            };
            match entry {
                Ok(entry) => {
                    let Some(kind) = entry.file_type() else {
                        return ignore::WalkState::Continue;
                    };
                    let name = entry.file_name().to_string_lossy();
                    if entry.depth() > 0
                        && !kind.is_dir()
                        && [".md", ".mdx", ".adoc", ".asciidoc"]
                            .iter()
                            .any(|e| name.ends_with(e))
                    {
                        let path = entry.into_path();
                        match guide_file(&path, kind, &root) {
                            Ok(()) => found.files.push(path),
                            Err(reason) => found.skipped.push(Skipped { path, reason }),
                        }
                    }
                }
                Err(error) => {
                    if let Some(folder) = unlisted(error) {
                        found.unlisted.push(folder);
                    }
                }
            }
            ignore::WalkState::Continue
        })
    });
    let found = match Arc::try_unwrap(found) {
        Ok(found) => found.into_inner().unwrap_or_else(|e| e.into_inner()),
        Err(shared) => std::mem::take(&mut *shared.lock().unwrap_or_else(|e| e.into_inner())),
    };
    let Found {
        mut files,
        mut skipped,
        mut unlisted,
    } = found;
    // Paths compare by component: the order of a walk that takes each folder's entries by name.
    files.sort();
    skipped.sort_by(|a, b| a.path.cmp(&b.path));
    unlisted.sort_by(|a, b| a.path.cmp(&b.path));
    tree.files.extend(files);
    tree.skipped.extend(skipped);
    tree.unlisted.extend(unlisted);
}

/// A folder the walk could not list, from the walker's error; `None` for errors that lose no
/// guide (an ignore file with a line that is no pattern).
fn unlisted(error: ignore::Error) -> Option<UnlistedFolder> {
    let mut error = error;
    let mut path = None;
    loop {
        match error {
            ignore::Error::WithPath { path: p, err } => {
                path.get_or_insert(p);
                error = *err;
            }
            ignore::Error::WithDepth { err, .. } | ignore::Error::WithLineNumber { err, .. } => {
                error = *err;
            }
            ignore::Error::Io(source) => {
                return path.map(|path| UnlistedFolder { path, source });
            }
            ignore::Error::Loop { child, .. } => {
                return Some(UnlistedFolder {
                    path: child,
                    source: std::io::Error::other("a symbolic link loop"),
                });
            }
            _ => return None,
        }
    }
}

/// Folders a site builds into, beside the file that configures the build: (folder, any of
/// these files beside it).
const BUILD_OUTPUT: &[(&str, &[&str])] = &[
    (
        "public",
        &[
            "hugo.toml",
            "hugo.yaml",
            "hugo.json",
            "config.toml",
            "config.yaml",
            "config",
        ],
    ),
    (
        "resources",
        &[
            "hugo.toml",
            "hugo.yaml",
            "hugo.json",
            "config.toml",
            "config.yaml",
            "config",
        ],
    ),
    ("site", &["mkdocs.yml", "mkdocs.yaml"]),
    ("build", &["docusaurus.config.js", "docusaurus.config.ts"]),
    ("_site", &["_config.yml"]),
];

/// Whether the folder `path` (met in a walk, not named by the user) holds what a build wrote
/// rather than pages: `node_modules`, `target`, or a site's output beside its configuration.
fn build_output(path: &Path) -> bool {
    let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
        return false;
    };
    if name == "node_modules" || name == "target" {
        return true;
    }
    let Some(parent) = path.parent() else {
        return false;
    };
    BUILD_OUTPUT.iter().any(|(folder, configs)| {
        *folder == name
            && configs
                .iter()
                .any(|c| crate::boundary::may_exist(&parent.join(c)))
    })
}

/// Whether the walker may read the ignore files of `folder` (`.gitignore`, `.ignore`, a `.git`
/// file that points at a work tree's git folder, `.git/info/exclude`): each absent, or a
/// regular file inside `root` of at most [`MAX_FILE`] bytes, as a guide is. Asks the folder's
/// listing ([`crate::boundary::listed`]), and the system only for files that are there.
fn ignore_files_readable(folder: &Path, root: &Path) -> Result<(), std::io::Error> {
    use crate::boundary::{Kind, Listed};
    let absolute = std::path::absolute(folder).unwrap_or_else(|_| folder.to_path_buf());
    let check = |path: &Path| -> Result<(), std::io::Error> {
        let kind = match std::fs::symlink_metadata(path) {
            Ok(meta) => meta.file_type(),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
            Err(e) => return Err(e),
        };
        guide_file(path, kind, root).map_err(|reason| {
            std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                format!(
                    "its {} {reason}, which docrun does not read",
                    path.strip_prefix(&absolute).unwrap_or(path).display()
                ),
            )
        })
    };
    for name in [".gitignore", ".ignore", ".git"] {
        let path = absolute.join(name);
        match crate::boundary::listed(&path) {
            Listed::Absent => {}
            Listed::Present(Kind::Dir) => {
                // A git folder: its `info/exclude` is read.
                if name == ".git" && crate::boundary::may_exist(&path.join("info/exclude")) {
                    check(&path.join("info/exclude"))?;
                }
            }
            Listed::Present(_) | Listed::Unknown => {
                if name == ".git" && path.is_dir() {
                    continue;
                }
                check(&path)?;
            }
        }
    }
    Ok(())
}

/// Whether the `*.md` entry `path` (of type `kind`, not followed) is read as a guide; else why
/// not.
fn guide_file(path: &Path, kind: std::fs::FileType, root: &Path) -> Result<(), String> {
    let meta = if kind.is_symlink() {
        let target = path
            .canonicalize()
            .map_err(|e| format!("is a symlink that resolves to nothing ({e})"))?;
        if !target.starts_with(root) {
            return Err(format!(
                "is a symlink to {}, outside the documentation tree {}",
                target.display(),
                root.display()
            ));
        }
        let meta = std::fs::metadata(&target).map_err(|e| {
            format!(
                "is a symlink to {}, which cannot be read ({e})",
                target.display()
            )
        })?;
        if !meta.is_file() {
            return Err(format!(
                "is a symlink to {}, {}",
                target.display(),
                not_regular(meta.file_type())
            ));
        }
        meta
    } else if kind.is_file() {
        std::fs::metadata(path).map_err(|e| format!("cannot be read ({e})"))?
    } else {
        return Err(format!("is {}", not_regular(kind)));
    };
    if meta.len() > MAX_FILE {
        return Err(format!(
            "is {} bytes, over the {MAX_FILE}-byte limit of a guide",
            meta.len()
        ));
    }
    Ok(())
}

/// What a file that is not a regular file is, for a message.
fn not_regular(kind: std::fs::FileType) -> &'static str {
    if kind.is_fifo() {
        "a FIFO"
    } else if kind.is_socket() {
        "a socket"
    } else if kind.is_block_device() || kind.is_char_device() {
        "a device"
    } else if kind.is_dir() {
        "a folder"
    } else {
        "not a regular file"
    }
}
