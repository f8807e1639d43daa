//! `docrun snips` reproduces istio.io's committed `snips.sh` files byte for byte: all 95 guide
//! goldens and all 19 boilerplate goldens of the corpus in `tests/corpus/istio`.
//!
//! The test lays out an istio.io-shaped tree in a temporary folder (`data/`, `content/en/`),
//! generates the boilerplate snips first, as istio.io's `gen_snips.sh` does, then the guides,
//! and compares every file with the `snips.sh` rebuilt from its golden (CORPUS.md says how).

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

const CORPUS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/corpus/istio");

/// Rebuilds a `snips.sh` from a golden, following CORPUS.md exactly.
fn render_golden(golden: &Value) -> String {
    let header = std::fs::read_to_string(Path::new(CORPUS).join("golden/HEADER.txt")).unwrap();
    let mut out = header.replace("%s", golden["source"].as_str().unwrap());
    for name in golden["boilerplates"].as_array().unwrap() {
        out.push_str(&format!(
            "source \"content/en/boilerplates/snips/{}.sh\"\n",
            name.as_str().unwrap()
        ));
    }
    for s in golden["snippets"].as_array().unwrap() {
        let id = s["id"].as_str().unwrap();
        if s["kind"] == "bash" {
            out.push_str(&format!(
                "\n{id}() {{\n{}}}\n",
                s["commands"].as_str().unwrap()
            ));
            if let Some(output) = s["output"].as_str() {
                out.push_str(&format!(
                    "\n! IFS=$'\\n' read -r -d '' {id}_out <<\\ENDSNIP\n{output}ENDSNIP\n"
                ));
            }
        } else {
            out.push_str(&format!(
                "\n! IFS=$'\\n' read -r -d '' {id} <<\\ENDSNIP\n{}ENDSNIP\n",
                s["text"].as_str().unwrap()
            ));
        }
    }
    out
}

fn goldens(dir: &Path, found: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            goldens(&path, found);
        } else if path.extension().is_some_and(|e| e == "json") {
            found.push(path);
        }
    }
}

fn snips(cwd: &Path, args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_docrun"))
        .env(
            "DOCRUN_STATE_DIR",
            std::env::temp_dir().join(format!("docrun-test-state-{}", std::process::id())),
        )
        .arg("snips")
        .args(args)
        .current_dir(cwd)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "docrun snips {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn first_difference(expected: &str, actual: &str) -> String {
    for (i, (e, a)) in expected.lines().zip(actual.lines()).enumerate() {
        if e != a {
            return format!("line {}: expected {e:?}, got {a:?}", i + 1);
        }
    }
    format!(
        "lengths differ: expected {} lines, got {}",
        expected.lines().count(),
        actual.lines().count()
    )
}

#[test]
fn every_corpus_golden_is_reproduced_byte_for_byte() {
    let tree = tempfile::tempdir().unwrap();
    let root = tree.path();
    let corpus = Path::new(CORPUS);
    std::os::unix::fs::symlink(corpus.join("data"), root.join("data")).unwrap();
    std::fs::create_dir_all(root.join("content/en/boilerplates/snips")).unwrap();
    std::os::unix::fs::symlink(corpus.join("content/en/docs"), root.join("content/en/docs"))
        .unwrap();
    for entry in std::fs::read_dir(corpus.join("content/en/boilerplates")).unwrap() {
        let path = entry.unwrap().path();
        std::os::unix::fs::symlink(
            &path,
            root.join("content/en/boilerplates")
                .join(path.file_name().unwrap()),
        )
        .unwrap();
    }

    let mut all = Vec::new();
    goldens(&corpus.join("golden"), &mut all);
    all.sort();
    let (boilerplates, docs): (Vec<_>, Vec<_>) = all
        .into_iter()
        .partition(|p| p.starts_with(corpus.join("golden/boilerplates")));
    assert_eq!((docs.len(), boilerplates.len()), (95, 19));

    let mut matched = 0;
    let mut failures = Vec::new();
    // Boilerplates first, in alphabetical order, each able to source the ones before it.
    for golden_path in &boilerplates {
        let name = golden_path.file_stem().unwrap().to_str().unwrap();
        let golden: Value =
            serde_json::from_str(&std::fs::read_to_string(golden_path).unwrap()).unwrap();
        let prefix = format!("bpsnip_{}", name.replace('-', "_"));
        let md = format!("content/en/boilerplates/{name}.md");
        let actual = snips(
            root,
            &[
                &md,
                "--prefix",
                &prefix,
                "--boilerplate-snips",
                "content/en/boilerplates/snips",
            ],
        );
        std::fs::write(
            root.join(format!("content/en/boilerplates/snips/{name}.sh")),
            &actual,
        )
        .unwrap();
        let expected = render_golden(&golden);
        if actual == expected {
            matched += 1;
        } else {
            failures.push(format!("{md}: {}", first_difference(&expected, &actual)));
        }
    }
    // Committed in istio.io though its Markdown no longer yields a snippet (CORPUS.md).
    std::fs::write(
        root.join("content/en/boilerplates/snips/revision-tags-prologue.sh"),
        "",
    )
    .unwrap();

    for golden_path in &docs {
        let golden: Value =
            serde_json::from_str(&std::fs::read_to_string(golden_path).unwrap()).unwrap();
        let md = format!("content/en/{}", golden["source"].as_str().unwrap());
        let actual = snips(
            root,
            &[&md, "--boilerplate-snips", "content/en/boilerplates/snips"],
        );
        let expected = render_golden(&golden);
        if actual == expected {
            matched += 1;
        } else {
            failures.push(format!("{md}: {}", first_difference(&expected, &actual)));
        }
    }
    assert!(
        failures.is_empty(),
        "{matched}/114 goldens reproduced; differences:\n{}",
        failures.join("\n")
    );
    assert_eq!(matched, 114);
}
