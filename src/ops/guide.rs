//! One guide as every operation on it starts: read once, with its chain, and planned with the
//! values given.

use std::path::PathBuf;

use crate::chain::{self, Chain, Guides};
use crate::doc::Dialect;
use crate::error::Error;
use crate::front::{ReadOptions, Reader};
use crate::plan::{self, Inputs, Plan, Selection};
use crate::runbook::Runbook;

use super::Feedback;

/// A guide and what it is read and planned with.
#[derive(Debug, Clone, Default)]
pub struct GuideRequest {
    /// The guide's file.
    pub path: PathBuf,
    /// The Hugo data folder; found above the guide when not given.
    pub site_data: Option<PathBuf>,
    /// The dialect to read it in; else the one a `docrun.yaml` forces, else the one detected.
    pub dialect: Option<Dialect>,
    /// `NAME=VALUE` values, as `--set` gives them.
    pub set: Vec<String>,
    /// A values file, as `--values` names it.
    pub values: Option<PathBuf>,
}

impl GuideRequest {
    /// A guide read with what is found around it and no values.
    pub fn new(path: impl Into<PathBuf>) -> GuideRequest {
        GuideRequest {
            path: path.into(),
            ..GuideRequest::default()
        }
    }

    fn read_options(&self) -> Result<ReadOptions, Error> {
        read_options(self.site_data.clone(), self.dialect, &self.path)
    }
}

/// How the guide at `path` is read: with this site data, in the dialect `dialect` names, else
/// the one the `docrun.yaml` above it forces.
fn read_options(
    site_data: Option<PathBuf>,
    dialect: Option<Dialect>,
    path: &std::path::Path,
) -> Result<ReadOptions, Error> {
    Ok(ReadOptions {
        site_data,
        dialect: crate::settings::forced_dialect(dialect, path)?,
    })
}

/// A guide read, and its chain when it could be followed.
pub struct Chained {
    /// The runbook to plan: with prerequisites, the chain's (their steps first); else the
    /// guide's own.
    pub runbook: Runbook,
    /// The guide's prerequisites; `None` when its links could not be followed (a cycle, run
    /// alone: a warning).
    pub chain: Option<Chain>,
}

/// Reads guide after guide with what they share read once: the site data above them, the
/// boilerplates, the dialect of each folder. Guides under different forced dialects (a flag, or
/// each tree's `docrun.yaml`) get a reader each.
pub struct Shelf {
    site_data: Option<PathBuf>,
    dialect: Option<Dialect>,
    readers: Vec<(Option<crate::doc::Detected>, Reader)>,
}

impl Shelf {
    /// A shelf for guides read with this site data and dialect, when given.
    pub fn new(site_data: Option<PathBuf>, dialect: Option<Dialect>) -> Shelf {
        Shelf {
            site_data,
            dialect,
            readers: Vec::new(),
        }
    }

    /// The runbook of the guide at `path`, built as a reader of its own would build it.
    pub fn runbook(&mut self, path: &std::path::Path) -> Result<Runbook, Error> {
        let options = read_options(self.site_data.clone(), self.dialect, path)?;
        let at = match self.readers.iter().position(|(f, _)| *f == options.dialect) {
            Some(at) => at,
            None => {
                self.readers
                    .push((options.dialect.clone(), Reader::new(&options)?));
                self.readers.len() - 1
            }
        };
        self.readers[at].1.load(path).map(|(_, runbook)| runbook)
    }
}

/// Reads the guide once and finds its chain. With `with_prereqs`, the runbook is the chain's
/// (its prerequisites' steps first), and a chain that cannot be built is an error; without, it
/// is the guide's own, and the chain is found all the same so that a plan can say what it
/// would add (a cycle is then a warning).
pub fn chained(
    request: &GuideRequest,
    with_prereqs: bool,
    feedback: &mut dyn Feedback,
) -> Result<Chained, Error> {
    let mut guides = Guides::new(request.read_options()?)?;
    if with_prereqs {
        let (runbook, chain) = chain::runbook(&mut guides, &request.path)?;
        return Ok(Chained {
            runbook,
            chain: Some(chain),
        });
    }
    guides.read(&request.path)?;
    let chain = match chain::chain(&mut guides, &request.path) {
        Ok(chain) => Some(chain),
        Err(e) => {
            feedback.warn(&e.to_string());
            None
        }
    };
    // The runbook the chain read, moved out: the guide is built once.
    let runbook = guides
        .take_runbook(&request.path)
        .ok_or_else(|| Error::Internal(format!("{}: read, then lost", request.path.display())))?;
    Ok(Chained { runbook, chain })
}

/// The plan of a runbook with the request's values, the environment's and the guide's own.
/// A `--set` the guide does not use is a warning.
pub fn plan(
    runbook: &Runbook,
    request: &GuideRequest,
    selection: &Selection,
    feedback: &mut dyn Feedback,
) -> Result<Plan, Error> {
    let inputs = Inputs::parse(&request.set, request.values.as_deref())?;
    for (name, _) in &inputs.set {
        if runbook.var(name).is_none() {
            feedback.warn(&format!(
                "--set {name}: {} does not use this variable",
                runbook.path.display()
            ));
        }
    }
    let bindings = plan::bind(runbook, &inputs, &|name| std::env::var(name).ok());
    let mut plan = plan::build(runbook, bindings, selection)?;
    plan.values_file = request.values.clone();
    Ok(plan)
}

/// Reads the guide and plans it with the request's values, all of its steps selected.
pub fn plan_alone(request: &GuideRequest, feedback: &mut dyn Feedback) -> Result<Plan, Error> {
    let runbook = Shelf::new(request.site_data.clone(), request.dialect).runbook(&request.path)?;
    plan(&runbook, request, &Selection::default(), feedback)
}
