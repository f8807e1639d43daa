//! `docrun graph`: the prerequisite graph of the guides under the paths.

use crate::cli::{GlobalArgs, GraphArgs, GraphFormat};
use crate::error::Error;
use crate::ops::graph::{self, GraphRequest};
use crate::outcome::Outcome;
use crate::report;

use super::Console;

pub fn graph(args: &GraphArgs, global: &GlobalArgs) -> Result<Outcome, Error> {
    let request = GraphRequest {
        paths: args.paths.clone(),
        site_data: args.site_data.clone(),
        dialect: global.dialect,
    };
    let graph = graph::graph(&request, &mut Console::new())?;
    let out = match args.format {
        GraphFormat::Mermaid => report::graph::mermaid(&graph),
        GraphFormat::Dot => report::graph::dot(&graph),
        GraphFormat::Json => report::graph::json(&graph),
    };
    super::write_stdout(out.as_bytes())?;
    Ok(Outcome::Passed)
}
