//! No kubeconfig makes docrun panic: the bytes of a file go through docrun's checks (encoding,
//! YAML) and, when they pass, through the kube crate's reader, as `docrun check` reads them.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = docrun::checker::kubeconfig::check_bytes(data) {
        let _ = docrun::checker::kubeconfig::check_yaml(&text);
    }
    let dir = std::env::temp_dir().join(format!("docrun-fuzz-kubeconfig-{}", std::process::id()));
    let _ = std::fs::create_dir_all(&dir);
    let path = dir.join("config");
    if std::fs::write(&path, data).is_ok() {
        let _ = docrun::checker::kubeconfig::load_file(&path);
    }
});
