//! The front half of every command: from a guide's path to its `Doc` and `Runbook`, the same
//! way for `plan`, `run`, `check`, `vars`, `list`, `test`, `lint` and guide chains.
//!
//! A [`Reader`] decides once what every guide of a run is read with: the dialect (`--dialect`
//! or `docrun.yaml`, else detected per folder), the site data (`--site-data`, else the `data`
//! folder found above the guide, each loaded once) and the boilerplates included (read once
//! across the tree). Site data that does not load is the error of the guides that need it, for
//! every command alike.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use crate::doc::{self, Detected, Doc};
use crate::error::Error;
use crate::runbook::{self, BuildOptions, Includes, Runbook};
use crate::settings::DialectCache;
use crate::site::SiteData;

/// What the guides of a run are read with.
#[derive(Debug, Clone, Default)]
pub struct ReadOptions {
    /// `--site-data`: the site data of every guide, instead of the one found above each.
    pub site_data: Option<PathBuf>,
    /// The dialect `--dialect` or a `docrun.yaml` forces on every guide.
    pub dialect: Option<Detected>,
}

/// Reads guides into docs and runbooks, sharing what guides of one tree have in common.
pub struct Reader {
    given_site: Option<SiteData>,
    /// Site data by the `data` folder found above a guide: loaded, or the error's words.
    sites: HashMap<PathBuf, Result<SiteData, String>>,
    dialects: DialectCache,
    includes: Includes,
}

impl Reader {
    /// A reader; `--site-data` that does not load is an input error at once.
    pub fn new(options: &ReadOptions) -> Result<Reader, Error> {
        let given_site = options
            .site_data
            .as_deref()
            .map(SiteData::load)
            .transpose()?;
        Ok(Reader {
            given_site,
            sites: HashMap::new(),
            dialects: DialectCache::new(options.dialect.clone()),
            includes: Includes::default(),
        })
    }

    /// The dialect of the guide at `path` whose text is `text`: forced, else found from the
    /// site's files above it, else from the text.
    pub fn dialect(&mut self, path: &Path, text: &str) -> Detected {
        let found = self.dialects.for_guide(path);
        doc::dialect::from_extension(path, found.as_ref())
            .or(found)
            .unwrap_or_else(|| doc::dialect::from_text(text))
    }

    /// Reads the guide at `path`.
    pub fn doc(&mut self, path: &Path) -> Result<Doc, Error> {
        Doc::load_as(path, self.dialects.for_guide(path))
    }

    /// The site data for the guide at `path`: `--site-data`, else the `data` folder above it,
    /// else none.
    pub fn site(&mut self, path: &Path) -> Result<Option<&SiteData>, Error> {
        Ok(self.site_and_includes(path)?.0)
    }

    /// The site data for the guide at `path`, as [`Reader::site`] says, and the boilerplates
    /// read so far.
    pub fn site_and_includes(
        &mut self,
        path: &Path,
    ) -> Result<(Option<&SiteData>, &Includes), Error> {
        if self.given_site.is_some() {
            return Ok((self.given_site.as_ref(), &self.includes));
        }
        let Some(dir) = SiteData::find_for(path) else {
            return Ok((None, &self.includes));
        };
        let loaded = self
            .sites
            .entry(dir)
            .or_insert_with_key(|dir| SiteData::load(dir).map_err(|e| e.to_string()));
        match loaded {
            Ok(site) => Ok((Some(site), &self.includes)),
            Err(message) => Err(Error::Usage(message.clone())),
        }
    }

    /// The runbook of a guide read with [`Reader::doc`], with the overlay beside it.
    pub fn runbook(&mut self, doc: &Doc) -> Result<Runbook, Error> {
        let (site, includes) = self.site_and_includes(doc.path())?;
        runbook::build(
            doc,
            BuildOptions {
                site,
                overlay: None,
                includes: Some(includes),
            },
        )
    }

    /// Reads the guide at `path` and builds its runbook.
    pub fn load(&mut self, path: &Path) -> Result<(Doc, Runbook), Error> {
        let doc = self.doc(path)?;
        let runbook = self.runbook(&doc)?;
        Ok((doc, runbook))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn site_data_that_does_not_load_is_the_guides_error_each_time() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("data")).unwrap();
        std::fs::write(dir.path().join("data/args.yml"), "version: [\n").unwrap();
        std::fs::create_dir_all(dir.path().join("content")).unwrap();
        let guide = dir.path().join("content/g.md");
        std::fs::write(&guide, "# G\n\n```bash\necho {{< istio_version >}}\n```\n").unwrap();
        let mut reader = Reader::new(&ReadOptions::default()).unwrap();
        for _ in 0..2 {
            let err = reader.load(&guide).unwrap_err();
            assert_eq!(crate::outcome::of_error(&err), 2);
            assert!(err.to_string().contains("args.yml"), "{err}");
        }
    }
}
