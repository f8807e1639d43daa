//! No input makes the guide reader panic: parse, build the runbook, plan it with a value for
//! every variable, and export istio.io snippets, all from arbitrary bytes; and read the same
//! bytes as a Docusaurus MDX page.
#![no_main]

use std::sync::{Arc, LazyLock};

use docrun::doc::dialect::Reason;
use docrun::doc::{Detected, Dialect};
use docrun::istio::{self, SnipsOptions};
use docrun::plan::{self, Binding, ValueSource};
use docrun::runbook::{self, BuildOptions};
use docrun::site::SiteData;
use docrun::source::Source;
use libfuzzer_sys::fuzz_target;

static SITE: LazyLock<SiteData> = LazyLock::new(|| {
    SiteData::load(std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../runbooks/istio/data"))).unwrap()
});

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let source = Arc::new(Source::new("/nonexistent/fuzz/guide.md", &text));
    let _ = istio::extract(&source, &SITE, &SnipsOptions::default());
    let mdx = Detected::new(Dialect::Mdx, Reason::Flag);
    if let Ok((doc, _)) = docrun::doc::parse_recovering(source.clone(), mdx) {
        let _ = runbook::build(&doc, BuildOptions::default());
    }
    let Ok(doc) = docrun::doc::parse(source) else { return };
    let Ok(rb) = runbook::build(&doc, BuildOptions { site: Some(&SITE), ..Default::default() }) else { return };
    let bindings = rb
        .vars
        .iter()
        .map(|v| (v.name.clone(), Binding { value: "x'\"$(y)\n".to_owned(), source: ValueSource::Flag }))
        .collect();
    let _ = plan::build(&rb, bindings, &Default::default());
});
