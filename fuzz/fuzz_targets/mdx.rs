//! No input makes the MDX reader panic or hang: read arbitrary bytes as a Docusaurus page
//! (recovering, as lint does, and strictly, as a plan does), lint it, build the runbook (the
//! `<CodeBlock>` imports read files beside `seeds-mdx/guide.mdx`, inside the tree), and plan
//! it plainly and with `--tab` for each tab's label and value.
#![no_main]

use std::sync::Arc;

use docrun::doc::dialect::{Detected, Dialect, Reason};
use docrun::plan::{self, Selection};
use docrun::runbook::{self, BuildOptions};
use docrun::source::Source;
use libfuzzer_sys::fuzz_target;

const GUIDE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/seeds-mdx/guide.mdx");

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let source = Arc::new(Source::new(GUIDE, &text));
    let detected = Detected::new(Dialect::Mdx, Reason::Flag);
    if let Ok((doc, _)) = docrun::doc::parse_recovering(source.clone(), detected.clone()) {
        let _ = docrun::lint::lint_doc(&doc, BuildOptions::default());
    }
    let Ok(doc) = docrun::doc::parse_as(source, detected) else { return };
    let Ok(rb) = runbook::build(&doc, BuildOptions::default()) else { return };
    let _ = plan::build(&rb, Default::default(), &Selection::default());
    let mut names: Vec<String> = rb
        .steps
        .iter()
        .filter_map(|s| s.tab.as_ref())
        .flat_map(|t| std::iter::once(t.name.clone()).chain(t.value.clone()))
        .collect();
    names.dedup();
    for name in names.into_iter().take(4) {
        let selection = Selection { tabs: vec![name], ..Selection::default() };
        let _ = plan::build(&rb, Default::default(), &selection);
    }
});
