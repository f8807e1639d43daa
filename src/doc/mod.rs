//! A guide as a document: Markdown with Hugo shortcodes, read into a flat list of [`Item`]s.
//!
//! Parsing is pure: [`parse`] is a function of the text. Text blocks (`{{< text >}}` and fenced
//! code) keep their lines exactly, so later stages can both interpret them ([`bash::split`]) and
//! reproduce istio.io's extractor byte for byte ([`crate::istio`]).

mod asciidoc;
pub mod bash;
pub mod dialect;
mod fence;
pub mod front_matter;
mod mdx;
mod mkdocs;
mod parser;
mod pieces;
pub mod shortcode;
pub mod words;

use std::path::Path;
use std::sync::Arc;

pub use dialect::{Detected, Dialect};
pub use front_matter::{FrontMatter, TestMode};
pub use mdx::SITE_PREFIX as MDX_SITE_PREFIX;
pub use mkdocs::snippet_path;
#[doc(hidden)]
pub use parser::parse_recovering_in_pieces;
pub use parser::{parse, parse_as, parse_recovering};

use crate::error::Error;
use crate::source::{Source, Span};

/// A parsed guide.
#[derive(Debug, Clone)]
pub struct Doc {
    pub source: Arc<Source>,
    pub front_matter: FrontMatter,
    /// The dialect the guide was read in, and why.
    pub dialect: Detected,
    /// Headings, blocks, callouts, tables and includes, in the order they appear.
    pub items: Vec<Item>,
}

impl Doc {
    /// Reads and parses a guide from disk, in the dialect its site's files (or else its text)
    /// name.
    pub fn load(path: &Path) -> Result<Doc, Error> {
        Doc::load_as(path, None)
    }

    /// Reads and parses a guide from disk, in `dialect` when one is given.
    pub fn load_as(path: &Path, dialect: Option<Detected>) -> Result<Doc, Error> {
        let source = crate::file::load(path)?;
        let detected = dialect::from_extension(path, dialect.as_ref())
            .or(dialect)
            .or_else(|| dialect::from_tree(path))
            .unwrap_or_else(|| dialect::from_text(source.text()));
        Ok(parse_as(source, detected)?)
    }

    pub fn path(&self) -> &Path {
        self.source.path()
    }

    /// The text blocks, in order.
    pub fn blocks(&self) -> impl Iterator<Item = &TextBlock> {
        self.items.iter().filter_map(|item| match item {
            Item::Block(b) => Some(&**b),
            _ => None,
        })
    }
}

/// One element of a guide that docrun cares about.
#[derive(Debug, Clone, PartialEq)]
pub enum Item {
    Heading(Heading),
    Block(Box<TextBlock>),
    Callout(Callout),
    Table(Table),
    Include(Include),
    /// Something the page renders that the reader cannot read, left out (see [`Unread`]).
    Unread(Unread),
}

/// A part of the page whose rendered text the reader cannot know, so it is no step: an MDX
/// `<CodeBlock>` whose code is an expression other than a raw import of a file. `lint` reports
/// each one, so that a writer knows what a run leaves out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unread {
    pub line: usize,
    /// The construct as the page writes it, shortened (`<CodeBlock>{example}</CodeBlock>`).
    pub what: String,
    /// Why it is not read, for a reader of the guide.
    pub why: String,
}

impl Item {
    pub fn line(&self) -> usize {
        match self {
            Item::Heading(h) => h.line,
            Item::Block(b) => b.line,
            Item::Callout(c) => c.line,
            Item::Table(t) => t.line,
            Item::Include(b) => b.line,
            Item::Unread(u) => u.line,
        }
    }
}

/// A Markdown heading, with its explicit anchor (`## 配置信任关系 {#configure-trust}`) if any.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Heading {
    pub level: u8,
    pub text: String,
    pub anchor: Option<String>,
    pub line: usize,
}

/// One line of a block's body, with the block's indent removed and no line end.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct BodyLine {
    pub line: usize,
    pub text: String,
}

/// Where a block came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum BlockForm {
    /// `{{< text ... >}}` ... `{{< /text >}}`.
    Shortcode,
    /// A fenced code block (```` ```bash ````).
    Fenced,
}

/// The tab of a tabset a block sits in: tabs are alternatives, of which a run takes one.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct TabRef {
    /// Counts the tabsets of the guide from 0.
    pub tabset: usize,
    /// Counts the tabs of the tabset from 0.
    pub index: usize,
    /// What the page shows on the tab (MDX `label=`, Hugo `name=`, MkDocs `=== "name"`).
    pub name: String,
    /// The tab's key where it has one besides its label (MDX `<TabItem value="helm"
    /// label="Helm">`): `--tab` takes it as well as the label.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    /// The page whose tabset this is, when it is not the file of the step that stands in the
    /// tab (the steps an include brings take the tab the include stands in): tabsets are
    /// counted per page.
    #[serde(skip)]
    pub page: Option<Arc<Path>>,
}

impl TabRef {
    /// Whether `--tab NAME` names this tab: its label or its value, in any case.
    pub fn answers_to(&self, name: &str) -> bool {
        name.eq_ignore_ascii_case(&self.name)
            || self
                .value
                .as_deref()
                .is_some_and(|v| name.eq_ignore_ascii_case(v))
    }

    /// The tab as the plan names it: `"Helm"`, or `"Helm" (value "helm")` when `--tab` also
    /// takes a value that differs from the label.
    pub fn describe(&self) -> String {
        match self.value.as_deref() {
            Some(v) if !v.eq_ignore_ascii_case(&self.name) => {
                format!("\"{}\" (value \"{v}\")", self.name)
            }
            _ => format!("\"{}\"", self.name),
        }
    }
}

/// A text block: a bash block with commands and expected output, or yaml, plain text and others.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TextBlock {
    pub form: BlockForm,
    /// The line of the opening tag or fence.
    pub line: usize,
    /// The line of the closing tag or fence.
    pub end_line: usize,
    /// The opening tag or fence.
    pub span: Span,
    /// The whitespace before the opening tag; stripped from body lines that start with it.
    pub indent: String,
    /// `bash`, `yaml`, `plain`, ... (`syntax=` or the first positional argument).
    pub syntax: String,
    /// The syntax of the expected output (`outputis=` or the second positional argument).
    pub output_syntax: Option<String>,
    /// `snip_id=`: `Some("none")` marks a block that is shown but not run.
    pub snip_id: Option<String>,
    pub body: Vec<BodyLine>,
    /// Inside an HTML comment: Hugo does not show it, so docrun does not run it.
    pub commented: bool,
    pub tab: Option<Box<TabRef>>,
    /// Marked as not for copying (`{ .bash .no-copy }`, `{class=disable-copy}`): sites mark
    /// output blocks so.
    pub no_copy: bool,
    /// ```` ```yaml file=./x.yaml ````: the block shows this file's content.
    pub file: Option<String>,
    /// ```` ```bash title="install.sh" ````: the caption the page shows above the block (in
    /// Docusaurus, usually the name of the file the reader saves the block as).
    pub title: Option<String>,
    /// The prose between the previous block or heading and this block (its last 400 bytes),
    /// for the words that announce output ("The output is similar to:").
    pub lead: String,
    /// The container the block sits in, when that says what the block is.
    pub wrapper: Option<Box<Wrapper>>,
    /// Why the rendered page does not show the block, when it does not (an AsciiDoc
    /// `ifdef::NAME[]` region whose attribute the page never sets): it is not run unless a
    /// tag asks for it.
    pub hidden: Option<String>,
    /// The doc tests the block is a step of (Sail Operator's `name="NAME"` and
    /// `ifdef::NAME[]`), which `--tag NAME` selects.
    pub tags: Vec<String>,
}

/// A container that says what the blocks in it are.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "wrapper", rename_all = "kebab-case")]
pub enum Wrapper {
    /// Linkerd's `{{< command-output "label" >}}`: `$ ` lines are commands, the rest output.
    CommandOutput { label: String },
    /// An MkDocs admonition (`!!! success "Expected output"`) or a Hugo callout.
    Admonition { kind: String, title: String },
}

impl TextBlock {
    /// Whether the block holds shell commands.
    pub fn is_shell(&self) -> bool {
        is_shell_syntax(&self.syntax)
    }
}

/// The syntax of a block whose opening tag could not be read: the block is kept so that reading
/// goes on, and no rule or run takes it.
pub const RECOVERED_SYNTAX: &str = "(unreadable tag)";

/// The syntax words that mean a shell session.
pub fn is_shell_syntax(syntax: &str) -> bool {
    matches!(
        syntax,
        "bash" | "sh" | "shell" | "console" | "shell-session" | "zsh"
    )
}

/// A callout: `{{< tip >}}`, `{{< warning >}}`, `{{< idea >}}` (and `quote`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Callout {
    pub kind: String,
    pub line: usize,
    /// The callout's prose, lines joined with spaces, text blocks left out.
    pub text: String,
}

/// A Markdown table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Table {
    pub line: usize,
    pub header: Vec<String>,
    pub rows: Vec<TableRow>,
}

/// A table row: each cell's text, code spans without backticks, links as their text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableRow {
    pub line: usize,
    pub cells: Vec<String>,
}

/// The steps of another file included here.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Include {
    pub kind: IncludeKind,
    /// The boilerplate's name, or the included file's path as written.
    pub name: String,
    pub line: usize,
    /// The tab the include sits in: the included steps are in it too.
    pub tab: Option<Box<TabRef>>,
}

/// How a page includes another.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum IncludeKind {
    /// istio.io's `{{< boilerplate name >}}`: `boilerplates/name.md` in a folder above.
    Boilerplate,
    /// Hugo's `{{< include "file" >}}`: beside the page, or in an `includes` folder above.
    Hugo,
    /// MkDocs' `--8<-- "file"` snippet: beside the page, or from the MkDocs root.
    Snippet,
    /// AsciiDoc's `include::path[]`: relative to the page.
    Asciidoc,
    /// The MkDocs macros plugin's `{% include "file" %}`: from the plugin's `include_dir`, else
    /// the docs folder. Read only where the site runs the plugin.
    Macro,
}
