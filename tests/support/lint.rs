//! Reading `docrun lint --format json`.

/// The (rule, line) of each finding of a `docrun lint --format json` report, in order.
pub fn rules_and_lines(stdout: &[u8]) -> Vec<(String, u64)> {
    let report: serde_json::Value = serde_json::from_slice(stdout).unwrap();
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["rule"].as_str().unwrap().to_owned(),
                f["line"].as_u64().unwrap(),
            )
        })
        .collect()
}
