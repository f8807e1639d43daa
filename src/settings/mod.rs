//! A doc tree's settings, `docrun.yaml`: read beneath the stages that use them (reading a
//! guide, running it, testing and linting trees), from the nearest file at or above a guide,
//! up to the documentation root and only from a file no other user could have written.
//!
//! - this module: [`Settings`], the file as a whole, and [`Select`];
//! - `hygiene`: the `hygiene:` section and the hygiene [`Mode`];
//! - `lint`: the `lint:` section and the rule names it may give;
//! - `dialect`: the dialect a tree is read in, forced or detected once per folder.

mod dialect;
mod hygiene;
mod lint;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

use crate::doc::dialect::Reason;
use crate::doc::{Detected, Dialect};
use crate::error::{Error, ErrorKind};
use crate::yaml::{Key, Places};

pub use dialect::{forced_dialect, DialectCache};
pub use hygiene::{HygieneSettings, Mode};
pub use lint::{LintSettings, ALWAYS_ON_RULES, LINT_RULES};

/// A doc tree's `docrun.yaml`.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Settings {
    /// Variable values for every guide of the tree (below the environment in precedence).
    #[serde(default)]
    pub vars: BTreeMap<String, String>,
    /// Default step timeout, e.g. `2m`.
    #[serde(
        default,
        deserialize_with = "crate::duration::deserialize_positive_opt"
    )]
    pub timeout: Option<Duration>,
    /// Default retry budget of verification steps, e.g. `30s`.
    #[serde(default, deserialize_with = "crate::duration::deserialize_opt")]
    pub retry: Option<Duration>,
    /// The Hugo `data` folder, relative to the `docrun.yaml`.
    pub site_data: Option<PathBuf>,
    /// The dialect the tree's guides are written in (`istio`, `hugo`, `mkdocs`, `markdown`),
    /// when detection should not decide.
    pub dialect: Option<String>,
    /// Cluster hygiene: mode, settle budget, excluded namespaces and kinds.
    pub hygiene: Option<HygieneSettings>,
    /// Which guides `docrun test` runs without `--all`: `tested` (`test: yes` only, the
    /// default) or `all`.
    #[serde(default)]
    pub select: Select,
    /// `docrun lint` in the tree: rules turned off (`off: [undefined-var]`).
    #[serde(default)]
    pub lint: LintSettings,
    /// Files sourced into each guide's shell session before its first step (a site's helper
    /// functions, such as Sail Operator's `prebuilt-func.sh`), relative to the `docrun.yaml`;
    /// once read, each is a regular file inside the documentation tree, made absolute.
    #[serde(default)]
    pub source: Vec<PathBuf>,
}

impl Settings {
    /// The nearest `docrun.yaml` at or above `path`, read and checked.
    pub fn find(path: &Path) -> Result<Option<(PathBuf, Settings)>, Error> {
        let start = if path.is_dir() {
            path
        } else {
            path.parent().unwrap_or(Path::new("."))
        };
        // Up to the documentation root, and only a file no other user could have written.
        let Some(file) = crate::boundary::folders_up_to_root(start)
            .into_iter()
            .map(|d| d.join("docrun.yaml"))
            .find(|f| crate::boundary::trusted(f))
        else {
            return Ok(None);
        };
        let places = Places::of_file(crate::file::load(&file)?);
        places.within_budget(ErrorKind::InvalidSettings)?;
        let mut settings: Settings =
            serde_yaml::from_str::<Option<Settings>>(places.source().text())
                .map_err(|e| {
                    let message = e.to_string();
                    let message = message.split(" at line ").next().unwrap_or("").to_owned();
                    places
                .error(
                    places.at_line_col(e.location()),
                    ErrorKind::InvalidSettings(message),
                    "here",
                )
                .with_help(
                    "it takes vars, timeout, retry, site-data, dialect, hygiene, select, source and lint",
                )
                })?
                .unwrap_or_default();
        if let (Some(dir), Some(data)) = (file.parent(), settings.site_data.as_ref()) {
            settings.site_data = Some(dir.join(data));
        }
        if let Some(dir) = file.parent() {
            let root = crate::boundary::root(dir);
            for (index, name) in settings.source.iter_mut().enumerate() {
                let shown = name.to_string_lossy().into_owned();
                match crate::boundary::resolve(&root, &dir.join(&*name), &shown) {
                    Ok(path) => *name = path,
                    Err(refused) => {
                        let span = places.value(&[Key::Name("source"), Key::Index(index)]);
                        return Err(places
                            .error(span, ErrorKind::InvalidSettings(refused.to_string()), "here")
                            .with_help("source: names files inside the documentation tree, relative to docrun.yaml")
                            .into());
                    }
                }
            }
        }
        if let Some(rule) = settings.lint.unknown_rule() {
            let at = settings
                .lint
                .off
                .iter()
                .position(|r| r == rule)
                .unwrap_or(0);
            let span = places.value(&[Key::Name("lint"), Key::Name("off"), Key::Index(at)]);
            return Err(places
                .error(
                    span,
                    ErrorKind::InvalidSettings(format!(
                        "lint has no rule `{rule}` that can be turned off"
                    )),
                    "here",
                )
                .with_help(
                    "`docrun lint --help` lists the rules; parse, overlay and tree cannot be \
                     turned off",
                )
                .into());
        }
        if let Some(name) = settings.dialect.as_deref() {
            if Dialect::from_name(name).is_none() {
                let span = places.value(&[Key::Name("dialect")]);
                return Err(places
                    .error(span, ErrorKind::UnknownDialect(name.to_owned()), "here")
                    .with_help("dialect is one of istio, hugo, mkdocs, markdown, asciidoc, mdx")
                    .into());
            }
        }
        Ok(Some((file, settings)))
    }

    /// The dialect the settings name, with the file that names it.
    pub fn dialect(&self, file: &Path) -> Option<Detected> {
        let dialect = Dialect::from_name(self.dialect.as_deref()?)?;
        Some(Detected::new(
            dialect,
            Reason::Config {
                file: file.to_path_buf(),
            },
        ))
    }
}

/// Which guides of a tree `docrun test` runs when no `--all` is given (`docrun.yaml`'s
/// `select`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Select {
    /// Only guides whose front matter says `test: yes` (istio.io's convention).
    #[default]
    Tested,
    /// Every guide with runnable steps but those whose `test:` says otherwise (`no`, `n/a`,
    /// ...): for trees that mark no guide, as most sites.
    All,
}
