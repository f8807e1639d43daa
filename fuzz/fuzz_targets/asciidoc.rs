//! No input makes the AsciiDoc reader panic: parse as AsciiDoc, build the runbook, and plan
//! it plainly and with `--tag` for each doc test it names, all from arbitrary bytes.
#![no_main]

use std::sync::Arc;

use docrun::doc::dialect::{Detected, Dialect, Reason};
use docrun::plan::{self, Selection};
use docrun::runbook::{self, BuildOptions};
use docrun::source::Source;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let source = Arc::new(Source::new("/nonexistent/fuzz/guide.adoc", &text));
    let detected = Detected::new(Dialect::Asciidoc, Reason::Flag);
    let _ = docrun::doc::parse_recovering(source.clone(), detected.clone());
    let Ok(doc) = docrun::doc::parse_as(source, detected) else { return };
    let Ok(rb) = runbook::build(&doc, BuildOptions::default()) else { return };
    let _ = plan::build(&rb, Default::default(), &Selection::default());
    let mut tags: Vec<String> = rb.steps.iter().flat_map(|s| s.tags.clone()).collect();
    tags.dedup();
    for tag in tags.into_iter().take(4) {
        let selection = Selection { tags: vec![tag], ..Selection::default() };
        let _ = plan::build(&rb, Default::default(), &selection);
    }
});
