//! Dialects: the ways documentation sites write their steps, and how docrun tells which one a
//! guide is written in.
//!
//! A dialect decides what the reader looks for: which shortcodes and containers exist, and how
//! a shell block splits into commands and output. It is chosen, first to last, by `--dialect`,
//! by `dialect:` in the `docrun.yaml` of the guide's tree, by the site's own files found in the
//! folders above the guide, and by the guide's text.

use std::fmt;
use std::path::{Path, PathBuf};

use serde::Serialize;

/// A documentation dialect.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum Dialect {
    /// istio.io: `{{< text >}}` blocks whose `$ ` lines are commands and the rest output.
    Istio,
    /// Hugo sites (Docsy, Linkerd, Envoy Gateway, kubernetes.io): shortcodes, fences without
    /// prompts, output blocks, `{{< tabpane >}}` tabs, `{{< command-output >}}`.
    Hugo,
    /// MkDocs Material (Knative): `=== "tab"` tabs, `!!! note` admonitions, `--8<--` snippets,
    /// `{{ macro }}` values.
    Mkdocs,
    /// GitHub-flavoured Markdown, with the few build-time substitutions sites such as
    /// cert-manager's add (`[[VAR::name]]`, ```` ```yaml file=./x.yaml ````).
    Markdown,
    /// AsciiDoc (`.adoc`, `.asciidoc`), as Asciidoctor renders it (Sail Operator): `[source,bash]`
    /// + `----` blocks, attributes, conditionals, includes, admonitions.
    Asciidoc,
    /// Docusaurus MDX (`.mdx` pages, or any page under a `docusaurus.config.*`): `import`
    /// lines, JSX components and `{/* comments */}` are not text, `<Tabs>`/`<TabItem>` are
    /// tabs, `:::note` … `:::` are admonitions, and a fence with a file name for its
    /// `title="…"` is a file the reader saves.
    Mdx,
}

impl Dialect {
    pub fn as_str(self) -> &'static str {
        match self {
            Dialect::Istio => "istio",
            Dialect::Hugo => "hugo",
            Dialect::Mkdocs => "mkdocs",
            Dialect::Markdown => "markdown",
            Dialect::Asciidoc => "asciidoc",
            Dialect::Mdx => "mdx",
        }
    }

    /// Whether `{{< ... >}}` shortcodes are read (elsewhere they are text).
    pub fn has_shortcodes(self) -> bool {
        matches!(self, Dialect::Istio | Dialect::Hugo)
    }

    /// Whether a shell fence without prompts is commands (every site but istio.io, where such a
    /// fence is output) and an output block after a command block is that step's output.
    pub fn reads_scripts(self) -> bool {
        self != Dialect::Istio
    }

    /// Reads a dialect's name, as `--dialect` and `docrun.yaml` give it.
    pub fn from_name(name: &str) -> Option<Dialect> {
        [
            Dialect::Istio,
            Dialect::Hugo,
            Dialect::Mkdocs,
            Dialect::Markdown,
            Dialect::Asciidoc,
            Dialect::Mdx,
        ]
        .into_iter()
        .find(|d| d.as_str() == name)
    }
}

impl fmt::Display for Dialect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a dialect was chosen, as `list` and `plan` say it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "by", rename_all = "kebab-case")]
pub enum Reason {
    /// `--dialect` on the command line.
    Flag,
    /// `dialect:` in a tree's `docrun.yaml`.
    Config { file: PathBuf },
    /// A site file found above the guide (`mkdocs.yml`, a Hugo config, istio.io's site data).
    Site { file: PathBuf },
    /// Nothing above the guide says; the guide's own text does.
    Text { what: &'static str },
    /// The file's extension (`.adoc`, `.asciidoc`, `.mdx`): an AsciiDoc page is AsciiDoc, and
    /// an MDX page MDX, whatever the site around it is written in.
    Extension { extension: String },
}

/// A path as a reader knows it: relative to the working directory when it lies below it.
fn shown(path: &Path) -> std::borrow::Cow<'_, Path> {
    std::env::current_dir()
        .ok()
        .and_then(|cwd| cwd.canonicalize().ok())
        .and_then(|cwd| path.strip_prefix(cwd).ok().map(Path::to_path_buf))
        .map_or(std::borrow::Cow::Borrowed(path), std::borrow::Cow::Owned)
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Reason::Flag => f.write_str("--dialect"),
            Reason::Config { file } => write!(f, "set in {}", shown(file).display()),
            Reason::Site { file } => write!(f, "site file {}", shown(file).display()),
            Reason::Text { what } => write!(f, "the guide's text: {what}"),
            Reason::Extension { extension } => write!(f, "the file's extension .{extension}"),
        }
    }
}

/// A dialect and why it was chosen.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Detected {
    pub dialect: Dialect,
    pub reason: Reason,
}

impl Detected {
    pub fn new(dialect: Dialect, reason: Reason) -> Self {
        Detected { dialect, reason }
    }
}

/// The site files that name a dialect, looked for in each folder from the guide's up to the
/// root, nearest first.
const SITE_FILES: &[(&str, Dialect)] = &[
    ("mkdocs.yml", Dialect::Mkdocs),
    ("mkdocs.yaml", Dialect::Mkdocs),
    ("data/args.yml", Dialect::Istio),
    ("hugo.toml", Dialect::Hugo),
    ("hugo.yaml", Dialect::Hugo),
    ("hugo.json", Dialect::Hugo),
    ("config/_default/hugo.yaml", Dialect::Hugo),
    ("config/_default/hugo.toml", Dialect::Hugo),
    ("config/_default/config.toml", Dialect::Hugo),
    ("config/_default/config.yaml", Dialect::Hugo),
    ("config.toml", Dialect::Hugo),
    ("docusaurus.config.js", Dialect::Mdx),
    ("docusaurus.config.ts", Dialect::Mdx),
    ("docusaurus.config.mjs", Dialect::Mdx),
    ("docusaurus.config.cjs", Dialect::Mdx),
];

/// The site files that mark a site written in `dialect` (`docusaurus.config.*` for MDX).
pub fn site_files(dialect: Dialect) -> impl Iterator<Item = &'static str> {
    SITE_FILES
        .iter()
        .filter(move |(_, d)| *d == dialect)
        .map(|(file, _)| *file)
}

/// The dialect a guide's extension names (`.adoc`, `.asciidoc`: AsciiDoc; `.mdx`: MDX), unless `--dialect`
/// (`forced` with [`Reason::Flag`]) names one: a tree's `docrun.yaml` and its site files speak
/// of its Markdown pages.
pub fn from_extension(guide: &Path, forced: Option<&Detected>) -> Option<Detected> {
    if forced.is_some_and(|d| d.reason == Reason::Flag) {
        return None;
    }
    let extension = guide.extension()?.to_str()?;
    let dialect = match extension {
        "adoc" | "asciidoc" => Dialect::Asciidoc,
        "mdx" => Dialect::Mdx,
        _ => return None,
    };
    Some(Detected::new(
        dialect,
        Reason::Extension {
            extension: extension.to_owned(),
        },
    ))
}

/// The dialect the site above `guide` is written in, from its site files; `None` when no
/// folder above the guide has one.
pub fn from_tree(guide: &Path) -> Option<Detected> {
    let dir = guide.parent()?;
    let dir = if dir.as_os_str().is_empty() {
        Path::new(".")
    } else {
        dir
    };
    // Up to the documentation root, and only files no other user could have written.
    for folder in crate::boundary::folders_up_to_root(dir) {
        for (file, dialect) in SITE_FILES {
            let path = folder.join(file);
            if crate::boundary::trusted(&path) {
                return Some(Detected::new(*dialect, Reason::Site { file: path }));
            }
        }
    }
    None
}

/// The dialect a guide's text is written in, for a guide with no site files above it.
pub fn from_text(text: &str) -> Detected {
    let (dialect, what) = if text.contains("{{< text") {
        (Dialect::Istio, "istio.io `{{< text >}}` blocks")
    } else if text.contains("{{<") || text.contains("{{%") {
        (Dialect::Hugo, "Hugo shortcodes")
    } else if text.lines().any(|l| {
        let l = l.trim_start();
        l.starts_with("=== \"") || l.starts_with("!!! ") || l.starts_with("--8<--")
    }) {
        (Dialect::Mkdocs, "MkDocs tabs, admonitions or snippets")
    } else if text.lines().any(is_docusaurus_line) {
        (
            Dialect::Mdx,
            "Docusaurus tabs, admonitions or theme imports",
        )
    } else {
        (Dialect::Markdown, "plain Markdown")
    };
    Detected::new(dialect, Reason::Text { what })
}

/// A line only a Docusaurus page writes: an import from its theme, a `<Tabs>`/`<TabItem>`
/// tag, or an admonition's opening `:::note`.
fn is_docusaurus_line(line: &str) -> bool {
    let l = line.trim_start();
    (l.starts_with("import ") && (l.contains("'@theme/") || l.contains("\"@theme/")))
        || l.starts_with("<Tabs")
        || l.starts_with("<TabItem")
        || l.strip_prefix(":::").is_some_and(|kind| {
            [
                "note",
                "tip",
                "info",
                "caution",
                "warning",
                "danger",
                "important",
            ]
            .iter()
            .any(|k| kind.starts_with(k))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_text_names_the_dialect_when_no_site_file_does() {
        let cases = [
            ("{{< text bash >}}\n$ ls\n{{< /text >}}\n", Dialect::Istio),
            ("{{< note >}}\nx\n{{< /note >}}\n", Dialect::Hugo),
            (
                "=== \"kubectl\"\n\n    ```bash\n    ls\n    ```\n",
                Dialect::Mkdocs,
            ),
            ("!!! note\n    x\n", Dialect::Mkdocs),
            ("```bash\nls\n```\n", Dialect::Markdown),
            ("import Tabs from '@theme/Tabs';\n\nx\n", Dialect::Mdx),
            (":::tip\nx\n:::\n", Dialect::Mdx),
            ("<Tabs>\n<TabItem value=\"a\">\n", Dialect::Mdx),
        ];
        for (text, dialect) in cases {
            assert_eq!(from_text(text).dialect, dialect, "{text}");
        }
    }

    #[test]
    fn the_nearest_site_file_wins() {
        let dir = tempfile::tempdir().unwrap();
        let docs = dir.path().join("docs/sub");
        std::fs::create_dir_all(&docs).unwrap();
        std::fs::write(dir.path().join("hugo.toml"), "").unwrap();
        let guide = docs.join("g.md");
        let found = from_tree(&guide).unwrap();
        assert_eq!(found.dialect, Dialect::Hugo);
        // Folders are looked at once per process (the tree does not move under a command):
        // the same tree with a site file nearer the guide is another tree.
        let dir = tempfile::tempdir().unwrap();
        let docs = dir.path().join("docs/sub");
        std::fs::create_dir_all(&docs).unwrap();
        std::fs::write(dir.path().join("hugo.toml"), "").unwrap();
        let guide = docs.join("g.md");
        std::fs::write(dir.path().join("docs/mkdocs.yml"), "site_name: x\n").unwrap();
        let found = from_tree(&guide).unwrap();
        assert_eq!(found.dialect, Dialect::Mkdocs);
        assert!(found.reason.to_string().contains("mkdocs.yml"));
    }
}
