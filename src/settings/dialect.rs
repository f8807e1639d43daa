//! The dialect a tree's guides are read in: forced (`--dialect`, `dialect:` in `docrun.yaml`),
//! else detected from the site's files once per folder.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use crate::doc::dialect::{self, Reason};
use crate::doc::{Detected, Dialect};
use crate::error::Error;

/// The dialect every guide under `path` is read in, when one is forced: `--dialect`, else
/// `dialect:` in the nearest `docrun.yaml` at or above `path`. `None` leaves each guide's
/// dialect to detection ([`dialect::from_tree`], then [`dialect::from_text`]).
pub fn forced_dialect(flag: Option<Dialect>, path: &Path) -> Result<Option<Detected>, Error> {
    if let Some(dialect) = flag {
        return Ok(Some(Detected::new(dialect, Reason::Flag)));
    }
    Ok(super::Settings::find(path)?.and_then(|(file, settings)| settings.dialect(&file)))
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
