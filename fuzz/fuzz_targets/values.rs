//! No values file makes docrun panic: arbitrary text read as `--values FILE.yaml`.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let _ = docrun::plan::parse_values(&text, std::path::Path::new("values.yaml"));
});
