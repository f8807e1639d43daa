//! `docrun snips`: a guide's snippets as istio.io's `snips.sh`.

use crate::cli::SnipsArgs;
use crate::error::Error;
use crate::front::{ReadOptions, Reader};
use crate::istio::{self, SnipsOptions};
use crate::outcome::Outcome;
use crate::visible::visible;

pub fn snips(args: &SnipsArgs) -> Result<Outcome, Error> {
    // The guide must read cleanly as a guide before it is exported.
    let doc = crate::doc::Doc::load(&args.doc)?;
    let mut reader = Reader::new(&ReadOptions {
        site_data: args.site_data.clone(),
        dialect: None,
    })?;
    let site = reader.site(&args.doc)?.ok_or_else(|| {
        Error::Usage(format!(
            "{}: no site data found (no data/args.yml above the guide)\nhint: name the Hugo data folder with --site-data DIR",
            args.doc.display()
        ))
    })?;
    let options = SnipsOptions {
        prefix: args.prefix.clone(),
        boilerplate_snips: args.boilerplate_snips.clone(),
    };
    let snips = istio::extract(&doc.source, site, &options);
    for warning in &snips.warnings {
        eprintln!(
            "warning: {}",
            visible(&format!("{}: {warning}", doc.path().display()))
        );
    }
    if snips.is_empty() {
        eprintln!(
            "{}: no snippet or boilerplate; nothing to write",
            doc.path().display()
        );
        return Ok(Outcome::Passed);
    }
    super::write_raw_stdout(snips.render(&options).as_bytes())?;
    Ok(Outcome::Passed)
}
