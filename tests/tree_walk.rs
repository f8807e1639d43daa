//! Which guides a walk of a tree finds: what git ignores, `node_modules` and a site's build
//! output are not the tree's pages, while a path the user names is read whatever they say.

mod support;

use std::path::Path;
use std::process::Command;

const GUIDE: &str = "---\ntest: yes\n---\n# Guide\n\n```bash\necho ran\n```\n";

/// A git work tree at `dir`: a site (`mkdocs.yml`) whose pages are under `docs/`, with a
/// `.gitignore` of its own, a `node_modules` package that ships Markdown, and a built site.
fn site(dir: &Path) {
    let git = Command::new("git")
        .args(["init", "-q"])
        .arg(dir)
        .status()
        .unwrap();
    assert!(git.success());
    let write = |name: &str, text: &str| {
        let path = dir.join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    };
    write("mkdocs.yml", "site_name: t\n");
    write(".gitignore", "drafts/\n*.draft.md\n");
    write("docs/install.md", GUIDE);
    write("docs/upgrade.md", GUIDE);
    write("docs/drafts/new.md", GUIDE);
    write("docs/notes.draft.md", GUIDE);
    write("docs/node_modules/pkg/README.md", GUIDE);
    write("node_modules/other/docs/guide.md", GUIDE);
    write("site/install/index.md", GUIDE);
    write("docs/.hidden/secret.md", GUIDE);
    // `.ignore` files are read as ripgrep and fd read them.
    write("docs/vendor/.ignore", "*.md\n");
    write("docs/vendor/copied.md", GUIDE);
}

/// The guides `docrun test --list` lists for `args`, in `dir`.
fn listed(dir: &Path, args: &[&str]) -> (i32, String) {
    let out = support::docrun::docrun(dir)
        .args(["test", "--list"])
        .args(args)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr);
    (out.status.code().unwrap(), format!("{stdout}{stderr}"))
}

#[test]
fn a_walk_skips_what_git_ignores_node_modules_and_the_built_site() {
    let dir = tempfile::tempdir().unwrap();
    site(dir.path());
    let (code, out) = listed(dir.path(), &["."]);
    assert_eq!(code, 0, "{out}");
    for read in ["docs/install.md", "docs/upgrade.md"] {
        assert!(out.contains(read), "{read} not listed: {out}");
    }
    for left in [
        "drafts/new.md",
        "notes.draft.md",
        "node_modules",
        "site/install",
        "secret.md",
        "copied.md",
    ] {
        assert!(!out.contains(left), "{left} listed: {out}");
    }
    // The same from inside `docs`: the `.gitignore` above the walked folder applies.
    let (code, out) = listed(dir.path(), &["docs"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("docs/install.md"), "{out}");
    assert!(!out.contains("drafts/new.md"), "{out}");
}

#[test]
fn a_path_the_user_names_is_read_whatever_ignores_it() {
    let dir = tempfile::tempdir().unwrap();
    site(dir.path());
    let (code, out) = listed(
        dir.path(),
        &[
            "docs/notes.draft.md",
            "docs/drafts",
            "docs/node_modules/pkg",
            "site",
        ],
    );
    assert_eq!(code, 0, "{out}");
    for read in [
        "docs/notes.draft.md",
        "docs/drafts/new.md",
        "docs/node_modules/pkg/README.md",
        "site/install/index.md",
    ] {
        assert!(out.contains(read), "{read} not listed: {out}");
    }
}

#[test]
fn a_folder_named_like_build_output_holds_pages_where_no_site_builds_into_it() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join(".git")).unwrap();
    for page in ["content/public/guide.md", "content/site/guide.md"] {
        let path = dir.path().join(page);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, GUIDE).unwrap();
    }
    let (code, out) = listed(dir.path(), &["content"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("content/public/guide.md"), "{out}");
    assert!(out.contains("content/site/guide.md"), "{out}");
}
