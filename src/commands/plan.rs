//! `docrun plan`: what a run would do, printed as text or JSON.

use crate::cli::{Format, GlobalArgs, PlanArgs};
use crate::error::Error;
use crate::ops::plan::{self, PlanRequest, Planned};
use crate::outcome::Outcome;
use crate::report;

use serde::ser::{SerializeMap, SerializeSeq};
use serde::Serialize;

use super::{json_value, mask_strings, write_json_stdout, Console};

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
    match args.format {
        Format::Text => write_text(&planned, args.with_prereqs)?,
        Format::Json => write_json(planned)?,
    }
    Ok(outcome)
}

/// Writes the plan, its chain, then what was asked beside it, the plan a line at a time.
fn write_text(planned: &Planned, with_prereqs: bool) -> Result<(), Error> {
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
    // An error writing is kept by `out` and said by `finish`.
    let mut out = super::StdoutLines::text();
    let _ = report::plan::write_plan_in_chain(&mut out, plan, view);
    let mut rest = chain
        .as_ref()
        .map(|c| {
            report::graph::chain_text(c, with_prereqs, &|p| plan.mask(&p.display().to_string()))
        })
        .unwrap_or_default();
    if let Some(effects) = effects {
        rest.push_str(&report::effects::effects(effects));
    }
    if let Some(preview) = preview {
        rest.push_str(&plan.mask(&report::preview::preview(preview)));
    }
    let _ = std::fmt::Write::write_str(&mut out, &rest);
    out.finish()
}

/// Writes the plan's JSON with `chain`, and `effects` and `preview` when asked, secrets masked,
/// keys in order. Every field but the steps becomes a JSON tree; the steps are written one at a
/// time, so the document is never whole in memory, as text or as a tree.
fn write_json(planned: Planned) -> Result<(), Error> {
    let Planned {
        mut plan,
        chain,
        effects,
        preview,
    } = planned;
    let steps = std::mem::take(&mut plan.steps);
    let secrets = std::mem::take(&mut plan.secrets);
    let mut head = json_value(&plan)?;
    head["chain"] = json_value(&chain)?;
    if let Some(effects) = &effects {
        head["effects"] = json_value(effects)?;
    }
    if let Some(preview) = &preview {
        head["preview"] = json_value(preview)?;
    }
    drop((plan, chain, effects, preview));
    mask_strings(&mut head, &secrets);
    let serde_json::Value::Object(fields) = head else {
        return Err(Error::Internal("a plan is not a JSON object".to_owned()));
    };
    write_json_stdout(&PlanDocument {
        fields,
        steps: EachMasked {
            items: &steps,
            secrets: &secrets,
        },
    })
}

/// The plan as JSON: its fields in key order, the steps in their place among them.
struct PlanDocument<'a, T> {
    fields: serde_json::Map<String, serde_json::Value>,
    steps: EachMasked<'a, T>,
}

impl<T: Serialize> Serialize for PlanDocument<'_, T> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.fields.len()))?;
        for (key, value) in &self.fields {
            if key == "steps" {
                map.serialize_entry(key, &self.steps)?;
            } else {
                map.serialize_entry(key, value)?;
            }
        }
        map.end()
    }
}

/// A list written one item at a time, each as a JSON tree (keys in order, as the rest of the
/// document) with secrets masked.
struct EachMasked<'a, T> {
    items: &'a [T],
    secrets: &'a [String],
}

impl<T: Serialize> Serialize for EachMasked<'_, T> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut seq = serializer.serialize_seq(Some(self.items.len()))?;
        for item in self.items {
            let mut value = serde_json::to_value(item).map_err(serde::ser::Error::custom)?;
            mask_strings(&mut value, self.secrets);
            seq.serialize_element(&value)?;
        }
        seq.end()
    }
}
