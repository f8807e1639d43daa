//! Doc trees: the guides under some paths, and the dialect of each folder.
//!
//! A tree in a pull request is a stranger's: the walk reads only what can be a guide. A `*.md`
//! entry is taken when it is a regular file, or a symlink that resolves to a regular file inside
//! the documentation root ([`crate::boundary::root`]), of at most [`MAX_FILE`] bytes. Anything
//! else with that name (a FIFO, a socket, a device, a link to `/dev/zero` or out of the tree, a
//! file over the limit) is [`Skipped`] with the reason, never opened. A folder that cannot be
//! listed is an [`UnlistedFolder`]: the walk goes on with the rest of the tree.

use std::collections::HashMap;
use std::fmt;
use std::os::unix::fs::FileTypeExt;
use std::path::{Path, PathBuf};

use crate::boundary::MAX_FILE;
use crate::doc::dialect::{self, Reason};
use crate::doc::{Detected, Dialect};
use crate::error::Error;

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
/// [`crate::source::Source::load`]); a folder is walked for `*.md` entries (and MDX's `*.mdx`,
/// AsciiDoc's `*.adoc`, `*.asciidoc`) in sorted order,
/// skipping hidden entries and `target` folders, never following a symlink to a folder (so a
/// link cycle cannot loop), and taking only what the module documentation says.
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

fn walk_dir(dir: &Path, root: &Path, tree: &mut Tree) {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(source) => {
            tree.unlisted.push(UnlistedFolder {
                path: dir.to_path_buf(),
                source,
            });
            return;
        }
    };
    let mut entries: Vec<_> = entries.filter_map(Result::ok).collect();
    entries.sort_by_key(|e| e.file_name());
    for entry in entries {
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if name.starts_with('.') {
            continue;
        }
        let path = entry.path();
        let Ok(kind) = entry.file_type() else {
            continue;
        };
        if kind.is_dir() {
            if name != "target" {
                walk_dir(&path, root, tree);
            }
        } else if [".md", ".mdx", ".adoc", ".asciidoc"]
            .iter()
            .any(|e| name.ends_with(e))
        {
            match guide_file(&path, kind, root) {
                Ok(()) => tree.files.push(path),
                Err(reason) => tree.skipped.push(Skipped { path, reason }),
            }
        }
    }
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

/// The dialect every guide under `path` is read in, when one is forced: `--dialect`, else
/// `dialect:` in the nearest `docrun.yaml` at or above `path`. `None` leaves each guide's
/// dialect to detection ([`dialect::from_tree`], then [`dialect::from_text`]).
pub fn forced_dialect(flag: Option<Dialect>, path: &Path) -> Result<Option<Detected>, Error> {
    if let Some(dialect) = flag {
        return Ok(Some(Detected::new(dialect, Reason::Flag)));
    }
    Ok(crate::suite::Settings::find(path)?.and_then(|(file, settings)| settings.dialect(&file)))
}

/// The dialects of a tree's guides, detected once per folder.
#[derive(Debug, Default)]
pub struct DialectCache {
    forced: Option<Detected>,
    by_folder: HashMap<PathBuf, Option<Detected>>,
}

impl DialectCache {
    /// A cache that gives `forced`, when there is one, for every guide.
    pub fn new(forced: Option<Detected>) -> Self {
        DialectCache {
            forced,
            by_folder: HashMap::new(),
        }
    }

    /// The dialect of `guide`: the forced one, else the one its site's files name; `None`
    /// leaves it to the guide's text.
    pub fn for_guide(&mut self, guide: &Path) -> Option<Detected> {
        if let Some(forced) = &self.forced {
            return Some(forced.clone());
        }
        let folder = guide.parent().unwrap_or(Path::new("")).to_path_buf();
        self.by_folder
            .entry(folder)
            .or_insert_with(|| dialect::from_tree(guide))
            .clone()
    }
}
