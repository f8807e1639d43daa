//! `docrun plan`: what a run would do, printed as text or JSON.

use crate::cli::{Format, GlobalArgs, PlanArgs};
use crate::error::Error;
use crate::ops::plan::{self, PlanRequest, Planned};
use crate::outcome::Outcome;
use crate::report;

use super::{json_value, Console};

pub fn plan(args: &PlanArgs, global: &GlobalArgs) -> Result<Outcome, Error> {
    let request = PlanRequest {
        guide: super::guide_request(&args.doc, &args.vars, global),
        selection: super::selection(&args.selection),
        with_prereqs: args.with_prereqs,
        allow_missing: args.allow_missing,
        effects: args.effects,
        preview: args.preview.then_some(args.timeout),
    };
    let planned = plan::plan(&request, &mut Console::new())?;
    let outcome = planned.outcome();
    let out = match args.format {
        Format::Text => text(&planned, args.with_prereqs),
        Format::Json => json(planned)?,
    };
    super::write_stdout(out.as_bytes())?;
    Ok(outcome)
}

/// The plan, its chain, then what was asked beside it.
fn text(planned: &Planned, with_prereqs: bool) -> String {
    let Planned {
        plan,
        chain,
        effects,
        preview,
    } = planned;
    let view = chain.as_ref().map(|chain| report::plan::ChainView {
        chain,
        with_prereqs,
    });
    let chain = chain.as_ref().map(|c| {
        report::graph::chain_text(c, with_prereqs, &|p| plan.mask(&p.display().to_string()))
    });
    let mut out = report::plan::plan_in_chain(plan, view) + &chain.unwrap_or_default();
    if let Some(effects) = effects {
        out.push_str(&report::effects::effects(effects));
    }
    if let Some(preview) = preview {
        out.push_str(&plan.mask(&report::preview::preview(preview)));
    }
    out
}

/// The plan's JSON with `chain`, and `effects` and `preview` when asked, secrets masked. The
/// plan is let go once it is a JSON tree, before the tree is written out as text.
fn json(planned: Planned) -> Result<String, Error> {
    let Planned {
        mut plan,
        chain,
        effects,
        preview,
    } = planned;
    let mut value = json_value(&plan)?;
    let secrets = std::mem::take(&mut plan.secrets);
    value["chain"] = json_value(&chain)?;
    if let Some(effects) = &effects {
        value["effects"] = json_value(effects)?;
    }
    if let Some(preview) = &preview {
        value["preview"] = json_value(preview)?;
    }
    drop((plan, chain, effects, preview));
    super::to_json_masked(&value, &secrets)
}
