//! The top-level modules form layers: none uses a module that uses it back, however far round.
//! `scripts/module_cycles.py` reads every `crate::` path of `src/` and names each circle it
//! finds, with a place each edge is used; this test fails on its findings.

use std::process::Command;

#[test]
fn the_top_level_modules_have_no_circle_of_dependence() {
    let root = env!("CARGO_MANIFEST_DIR");
    let out = Command::new("python3")
        .arg(format!("{root}/scripts/module_cycles.py"))
        .arg(format!("{root}/src"))
        .output()
        .expect("python3 runs scripts/module_cycles.py");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "circles among modules:\n{text}");
    assert!(text.starts_with("no circle among "), "{text}");
}

#[test]
fn the_circle_check_finds_a_circle_when_there_is_one() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("src");
    std::fs::create_dir(&src).unwrap();
    std::fs::write(src.join("a.rs"), "use crate::b::B;\n").unwrap();
    std::fs::write(src.join("b.rs"), "pub fn f() { crate::a::g() }\n").unwrap();
    std::fs::write(src.join("c.rs"), "use crate::a;\n").unwrap();
    let root = env!("CARGO_MANIFEST_DIR");
    let out = Command::new("python3")
        .arg(format!("{root}/scripts/module_cycles.py"))
        .arg(&src)
        .output()
        .expect("python3 runs scripts/module_cycles.py");
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(text.contains("circle of 2 modules: a, b"), "{text}");
}
