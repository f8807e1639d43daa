//! No YAML makes docrun expand it far past its size: arbitrary text goes through the alias
//! budget (`yaml::within_budget`) and docrun's YAML readers (values file, overlay, kubeconfig).
//! An input that gets past the budget and still expands hugely shows as an out-of-memory
//! crash under libFuzzer's `-rss_limit_mb` (2 GB by default); one the budget refuses must
//! also be refused by every reader.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::path::Path;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let within = docrun::yaml::within_budget(&text).is_ok();
    let values = docrun::plan::parse_values(&text, Path::new("values.yaml"));
    let overlay = docrun::runbook::overlay::parse(&text, Path::new("g.docrun.yaml"));
    let kubeconfig = docrun::checker::kubeconfig::check_yaml(&text);
    if !within {
        assert!(values.is_err() && overlay.is_err() && kubeconfig.is_err());
    }
});
