//! Doc trees: the guides under some paths, and the dialect of each folder.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use crate::doc::dialect::{self, Reason};
use crate::doc::{Detected, Dialect};
use crate::error::Error;

/// The guides under `paths`, in order: a file is taken as it is; a directory is walked for
/// `*.md` files in sorted order, skipping hidden entries and `target` folders. Paths that do not
/// exist or cannot be listed come back as errors.
pub fn guides(paths: &[PathBuf]) -> (Vec<PathBuf>, Vec<Error>) {
    let mut files = Vec::new();
    let mut errors = Vec::new();
    for path in paths {
        match std::fs::metadata(path) {
            Ok(meta) if meta.is_dir() => walk(path, &mut files, &mut errors),
            Ok(_) => files.push(path.clone()),
            Err(source) => errors.push(Error::Io {
                path: path.clone(),
                source,
            }),
        }
    }
    (files, errors)
}

fn walk(dir: &Path, files: &mut Vec<PathBuf>, errors: &mut Vec<Error>) {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(source) => {
            errors.push(Error::Io {
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
        // Symbolic links to folders are not followed, so a link cycle cannot loop.
        match entry.file_type() {
            Ok(t) if t.is_dir() && name != "target" => walk(&path, files, errors),
            Ok(_) if name.ends_with(".md") => files.push(path),
            _ => {}
        }
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
