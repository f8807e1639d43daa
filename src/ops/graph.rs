//! `graph`: the prerequisite graph of a tree's guides.

use std::path::PathBuf;

use crate::chain::{Graph, ReadOptions};
use crate::doc::Dialect;
use crate::error::Error;

use super::Feedback;

/// The trees or guides whose graph to draw.
#[derive(Debug, Clone, Default)]
pub struct GraphRequest {
    pub paths: Vec<PathBuf>,
    pub site_data: Option<PathBuf>,
    pub dialect: Option<Dialect>,
}

/// The graph of the guides under the paths. A guide that does not read is a warning and is left
/// out.
pub fn graph(request: &GraphRequest, feedback: &mut dyn Feedback) -> Result<Graph, Error> {
    let options = ReadOptions {
        site_data: request.site_data.clone(),
        dialect: match request.paths.first() {
            Some(path) => crate::settings::forced_dialect(request.dialect, path)?,
            None => None,
        },
    };
    let graph = crate::chain::graph::build(&request.paths, options)?;
    for problem in &graph.unreadable {
        feedback.warn(problem);
    }
    Ok(graph)
}
