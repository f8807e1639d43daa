//! A guide read by pulldown-cmark in pieces has the items it has read whole, whatever its
//! text: as plain Markdown, as an istio.io page (shortcodes) and as an MkDocs page (tabs and
//! admonitions). The smallest pieces cut at every place the cutter allows.
#![no_main]

use std::sync::Arc;

use docrun::doc::dialect::Reason;
use docrun::doc::{Detected, Dialect};
use docrun::source::Source;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let source = Arc::new(Source::new("/nonexistent/fuzz/guide.md", &text));
    for dialect in [Dialect::Markdown, Dialect::Istio, Dialect::Mkdocs] {
        let detected = Detected::new(dialect, Reason::Flag);
        let whole = docrun::doc::parse_recovering_in_pieces(source.clone(), detected.clone(), usize::MAX);
        let pieces = docrun::doc::parse_recovering_in_pieces(source.clone(), detected, 1);
        match (whole, pieces) {
            (Ok((whole, _)), Ok((pieces, _))) => assert_eq!(whole.items, pieces.items),
            (whole, pieces) => assert_eq!(whole.is_ok(), pieces.is_ok()),
        }
    }
});
