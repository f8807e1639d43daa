//! Doc (+ overlay + site data) -> [`Runbook`]: the steps, variables and prerequisites of a guide.
//!
//! Building a runbook is pure: a function of the parsed guide, its overlay, the site data and
//! the boilerplates it includes. Nothing here binds values or runs anything.

pub mod checkrefs;
pub mod derive;
pub mod effects;
mod file_step;
mod macros;
pub mod overlay;
mod pasted;
pub mod reading;
pub mod shell_reader;
pub mod subst;
mod vars;

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::Serialize;

pub(crate) use vars::{assignments, is_environment_name, placeholder_var};
pub use vars::{is_secret_name, DeclaredBy, VarKind, Variable};

use crate::check::CheckSpec;
use crate::doc::bash::{self, Command, Expected};
use crate::doc::{BodyLine, Detected, Doc, Include, IncludeKind, Item, TestMode, TextBlock};
use crate::error::{Error, ErrorKind};
use crate::site::{render_values, SiteData};
use crate::yaml::{Key, Places};
use overlay::{At, LoadedOverlay, Overlay, OverlayPlaces, StepOverlay};

/// What kind of step a guide item is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum StepKind {
    /// A shell block with commands (and maybe expected output).
    Command,
    /// A shell block with only output, no command.
    Output,
    /// A yaml, plain or other text block: shown, never run.
    Text,
    /// A tip, warning or idea: shown, never run.
    Callout,
    /// A block the reader saves as a file (a Docusaurus fence titled with a file name): a
    /// run writes the block's text to that file in its working folder (see
    /// [`file_step`](mod@file_step)).
    File,
}

impl StepKind {
    /// Whether a run executes steps of this kind in the shell session: commands, and the
    /// writes of files the guide has the reader save.
    pub fn is_executed(self) -> bool {
        matches!(self, StepKind::Command | StepKind::File)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            StepKind::File => "file",
            StepKind::Command => "command",
            StepKind::Output => "output",
            StepKind::Text => "text",
            StepKind::Callout => "callout",
        }
    }
}

/// The section a step sits in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Default)]
pub struct Section {
    /// The heading's anchor (`configure-trust`), or a slug of its text; empty before any heading.
    pub anchor: String,
    pub title: String,
}

/// One step of a runbook.
#[derive(Debug, Clone, Serialize)]
pub struct Step {
    /// Stable and readable: the `snip_id`, else `<section anchor>_<n>`.
    pub id: String,
    pub section: Arc<Section>,
    /// The file the step comes from (the guide, or an included boilerplate), shared by its
    /// steps.
    pub file: Arc<Path>,
    pub line: usize,
    pub kind: StepKind,
    /// The block's syntax (`bash`, `yaml`, ...) or the callout's kind (`tip`, ...).
    pub syntax: String,
    /// The commands, value shortcodes rendered, placeholders still in place.
    pub commands: Vec<Command>,
    /// The output the guide shows after the commands, if any.
    pub expected: Option<Expected>,
    /// The text of a text block or callout.
    pub text: Option<String>,
    /// Whether a run takes this step unless told otherwise, and if not, why.
    pub runs: bool,
    pub skip_reason: Option<String>,
    /// The tab of a tabset the step sits in: tabs are alternatives, the first one runs unless
    /// `--tab` names another.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tab: Option<Box<crate::doc::TabRef>>,
    /// A command step in a later tab, not taken only because the first tab is: `--tab` naming
    /// its tab takes it.
    #[serde(skip)]
    pub alternative: bool,
    /// Native checks that can replace the step's commands: the overlay's `native:` when it
    /// gives one, else the checks derived from the commands (see [`derive::step_checks`]);
    /// empty when the step has no native equivalent. Variable references are unresolved; the
    /// plan resolves them.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub native: Vec<CheckSpec>,
    /// Overlay settings for this step.
    #[serde(skip)]
    pub settings: StepOverlay,
    /// The doc tests the step belongs to (AsciiDoc `name="NAME"` blocks and `ifdef::NAME[]`
    /// regions), which `--tag NAME` selects.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
}

/// A requirement the guide states: a cluster, a version, a set-up done beforehand.
#[derive(Debug, Clone, Serialize)]
pub struct Prerequisite {
    pub section: String,
    pub line: usize,
    pub text: String,
    /// Kubernetes versions the requirement allows, when it is a version requirement.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub versions: Vec<String>,
    /// Native checks that verify it: declared by the overlay, or derived from the guide (see
    /// [`derive`](mod@derive)). Variable references are unresolved; the plan resolves them.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub checks: Vec<CheckSpec>,
    /// Whether docrun read it from the guide itself or the overlay declared it.
    pub origin: Origin,
}

/// Where a prerequisite comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Origin {
    /// Read from the guide's own words.
    Guide,
    /// Declared in the overlay.
    Overlay,
}

impl std::fmt::Display for Origin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Origin::Guide => "guide",
            Origin::Overlay => "overlay",
        })
    }
}

/// A kube context a guide names literally, and the line of the first command that does.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NamedContext {
    pub name: String,
    pub line: usize,
}

/// A guide made ready to plan and run.
#[derive(Debug, Clone)]
pub struct Runbook {
    pub path: PathBuf,
    /// The dialect the guide was read in, and why.
    pub dialect: Detected,
    pub title: Option<String>,
    pub test: TestMode,
    pub steps: Vec<Step>,
    pub vars: Vec<Variable>,
    /// Kube contexts the guide's commands name literally (`--context=west`), in order.
    pub contexts: Vec<NamedContext>,
    pub prerequisites: Vec<Prerequisite>,
    /// Problems that do not stop a plan: an include not found, a shortcode without site data.
    pub warnings: Vec<String>,
    pub overlay: Overlay,
    pub overlay_path: Option<PathBuf>,
    /// Every other file whose text went into the runbook (included pages, snippets, files
    /// named by blocks), each once, in the order read: what a change to the guide may be in.
    pub sources: Vec<PathBuf>,
}

impl Runbook {
    pub fn step(&self, id: &str) -> Option<&Step> {
        self.steps.iter().find(|s| s.id == id)
    }

    pub fn var(&self, name: &str) -> Option<&Variable> {
        self.vars.iter().find(|v| v.name == name)
    }

    /// The variable a placeholder stands for: the one it was found for, else the name the
    /// placeholder's words make (`<my-cluster-name>` -> `MY_CLUSTER_NAME`).
    pub fn placeholder_var(&self, text: &str) -> String {
        self.vars
            .iter()
            .find(|v| v.placeholders.iter().any(|p| p == text))
            .map(|v| v.name.clone())
            .unwrap_or_else(|| subst::placeholder_var_name(text))
    }
}

/// Everything a runbook is built from besides the guide.
#[derive(Debug, Default)]
pub struct BuildOptions<'a> {
    pub site: Option<&'a SiteData>,
    /// Use this overlay instead of looking for one beside the guide.
    pub overlay: Option<LoadedOverlay>,
    /// Boilerplates already read, shared by the guides of a tree; `None` reads each include.
    pub includes: Option<&'a Includes>,
}

/// Boilerplates read once for all the guides of a tree that include them (`docrun test`,
/// `docrun lint`), instead of once per guide.
#[derive(Debug, Default)]
pub struct Includes {
    read: std::cell::RefCell<std::collections::HashMap<PathBuf, Arc<Doc>>>,
    /// (root, page) pairs [`crate::boundary::resolve`] allowed: asked once per tree.
    resolved: std::cell::RefCell<std::collections::HashSet<(PathBuf, PathBuf)>>,
}

impl Includes {
    /// Reads an included page in the dialect of the page that includes it.
    /// Whether `path` was found a readable page inside `root` before.
    fn resolved(&self, root: &Path, path: &Path) -> bool {
        self.resolved
            .borrow()
            .contains(&(root.to_path_buf(), path.to_path_buf()))
    }

    fn note_resolved(&self, root: &Path, path: &Path) {
        self.resolved
            .borrow_mut()
            .insert((root.to_path_buf(), path.to_path_buf()));
    }

    fn load(&self, path: &Path, dialect: &Detected) -> Result<Arc<Doc>, Error> {
        if let Some(doc) = self.read.borrow().get(path) {
            return Ok(doc.clone());
        }
        let doc = Arc::new(Doc::load_as(path, Some(dialect.clone()))?);
        self.read
            .borrow_mut()
            .insert(path.to_path_buf(), doc.clone());
        Ok(doc)
    }
}

/// Builds the runbook of a guide: the overlay beside it is read when there is one, and
/// included boilerplates are resolved when their files are found.
pub fn build(doc: &Doc, options: BuildOptions<'_>) -> Result<Runbook, Error> {
    let path = doc.path().to_path_buf();
    let mut overlay = match options.overlay {
        Some(o) => Some(o),
        None => overlay::overlay_path(&path)
            .map(|p| overlay::load(&p))
            .transpose()?,
    };
    if let Some((value, line)) = &doc.front_matter.runbook {
        let places = front_matter_places(doc);
        let declared = overlay::from_value(value.clone(), &places)?;
        overlay = Some(merge_front_matter(overlay, declared, places, &path, *line));
    }
    let (overlay, overlay_path, places) = match overlay {
        Some(o) => (o.overlay, Some(o.path), o.places),
        None => (Overlay::default(), None, OverlayPlaces::default()),
    };
    let own_includes = Includes::default();
    let mut builder = Builder {
        site: options.site,
        read: options.includes.unwrap_or(&own_includes),
        warnings: Vec::new(),
        steps: Vec::new(),
        ids: HashSet::new(),
        includes: Vec::new(),
        sources: Vec::new(),
        root: crate::boundary::root(doc.path()),
        refused: None,
        macros: None,
    };
    builder.add_doc(doc, "", 0)?;
    if let Some(err) = builder.refused.take() {
        return Err(err);
    }
    let Builder {
        mut steps,
        mut warnings,
        sources,
        ..
    } = builder;

    for (id, settings) in &overlay.steps {
        match steps.iter_mut().find(|s| &s.id == id) {
            Some(step) => {
                step.settings = settings.clone();
                if !settings.native.is_empty() {
                    step.native = settings.native.clone();
                }
                if let Some(run) = settings.run {
                    step.runs = run && step.kind == StepKind::Command;
                    step.skip_reason = (!run).then(|| "the overlay says run: false".to_owned());
                }
            }
            None => {
                let err = places.error(
                    &[Key::Name("steps"), Key::Name(id)],
                    At::Key,
                    ErrorKind::UnknownStep(id.clone()),
                );
                let hint = format!(
                    "`docrun list {}` shows the step ids{}",
                    path.display(),
                    did_you_mean(id, steps.iter().map(|s| s.id.as_str()))
                );
                return Err(with_help(err, hint));
            }
        }
    }

    derive::follow_current_context(&mut steps, &mut warnings);
    let vars = vars::collect(doc, &steps, &overlay);
    check_references(&overlay, &vars, &places)?;
    let mut contexts: Vec<NamedContext> = Vec::new();
    for step in steps
        .iter()
        .filter(|s| s.kind == StepKind::Command && *s.file == *path)
    {
        for command in &step.commands {
            for name in derive::literal_contexts(&command.text) {
                if !contexts.iter().any(|c| c.name == name) {
                    contexts.push(NamedContext {
                        name,
                        line: command.line,
                    });
                }
            }
        }
    }
    let mut prerequisites = prerequisites(doc, &vars, &overlay, options.site, &mut warnings);
    if !contexts.is_empty() {
        let names: Vec<&str> = contexts.iter().map(|c| c.name.as_str()).collect();
        prerequisites.push(clusters_prerequisite(
            contexts[0].line,
            &format!("{}, named in the guide's commands", names.join(", ")),
            &names,
            derive::literal_context_checks(&names),
        ));
        prerequisites.sort_by_key(|p| p.line);
    }
    // A page included twice (or a block read twice) says the same thing twice: once is enough.
    let mut said = HashSet::new();
    warnings.retain(|w| said.insert(w.clone()));
    Ok(Runbook {
        path,
        dialect: doc.dialect.clone(),
        title: doc.front_matter.title.clone(),
        test: doc.front_matter.test.clone(),
        steps,
        vars,
        contexts,
        prerequisites,
        warnings,
        overlay,
        overlay_path,
        sources,
    })
}

/// Where the YAML of a guide's front matter is, between its `---` lines.
fn front_matter_places(doc: &Doc) -> Places {
    let text = doc.source.text();
    let block = doc.front_matter.span;
    let start = text[block.start..block.end]
        .find('\n')
        .map_or(block.end, |i| block.start + i + 1);
    let end = text[..block.end]
        .trim_end_matches('\n')
        .rfind('\n')
        .map_or(start, |i| (i + 1).max(start));
    Places::read(doc.source.clone(), start, end - start)
}

/// Adds a hint to a located error.
fn with_help(err: Error, hint: String) -> Error {
    match err {
        Error::Source(e) => Error::Source(Box::new(e.with_help(hint))),
        other => other,
    }
}

fn merge_front_matter(
    file: Option<LoadedOverlay>,
    declared: Overlay,
    front_matter: Places,
    path: &Path,
    line: usize,
) -> LoadedOverlay {
    match file {
        None => LoadedOverlay {
            overlay: declared,
            path: path.to_path_buf(),
            line,
            places: OverlayPlaces::default().with_front_matter(front_matter),
        },
        Some(mut loaded) => {
            loaded.places = loaded.places.with_front_matter(front_matter);
            let o = &mut loaded.overlay;
            o.vars.extend(declared.vars);
            o.prerequisites.extend(declared.prerequisites);
            o.steps.extend(declared.steps);
            o.cleanup.extend(declared.cleanup);
            if declared.requires.is_some() {
                o.requires = declared.requires;
            }
            loaded
        }
    }
}

/// A step of a later tab that would run is an alternative to the first tab's: it runs when
/// `--tab` names its tab.
fn set_aside_for_first_tab(step: &mut Step, tab: &crate::doc::TabRef) {
    step.runs = false;
    step.alternative = true;
    step.skip_reason = Some(format!(
        "in tab {}, an alternative to the first tab",
        tab.describe()
    ));
}

/// " (did you mean `x`?)" when a known name is close to `wanted`.
pub fn did_you_mean<'a>(wanted: &str, known: impl Iterator<Item = &'a str>) -> String {
    known
        .map(|k| (strsim::levenshtein(wanted, k), k))
        .filter(|(d, k)| *d <= 3.max(k.len() / 3))
        .min()
        .map(|(_, k)| format!(" (did you mean `{k}`?)"))
        .unwrap_or_default()
}

struct Builder<'a> {
    site: Option<&'a SiteData>,
    read: &'a Includes,
    warnings: Vec<String>,
    steps: Vec<Step>,
    ids: HashSet<String>,
    /// Boilerplates being included, to stop include cycles.
    includes: Vec<PathBuf>,
    /// Files read besides the guide (see [`Runbook::sources`]).
    sources: Vec<PathBuf>,
    /// The documentation tree the guide is in: nothing outside it is read.
    root: PathBuf,
    /// The first file a guide named that is not read (outside the tree, not a regular
    /// file, too large): the guide's error.
    refused: Option<Error>,
    /// The macros plugin's marks of the page being read, when the site runs the plugin.
    macros: Option<macros::Marks>,
}

impl Builder<'_> {
    /// Reads a file the guide names at `line`, inside the tree; `None` when there is no such
    /// file (a warning), and the guide's error when it names one it may not read.
    fn read_named(&mut self, doc: &Doc, line: usize, path: &Path, name: &str) -> Option<String> {
        use crate::boundary::Refused;
        match crate::boundary::read_text(&self.root, path, name) {
            Ok(text) => Some(text),
            Err(Refused::Unreadable { .. }) if !path.exists() => None,
            Err(refused) => {
                if self.refused.is_none() {
                    let source = &doc.source;
                    let start = source.line_start(line.max(1));
                    let end = source.text()[start..]
                        .find('\n')
                        .map_or(source.text().len(), |n| start + n);
                    let err = source
                        .error(
                            crate::source::Span::new(start, end.max(start + 1).min(source.text().len())),
                            crate::error::ErrorKind::NotInTree(refused.to_string()),
                            "named here",
                        )
                        .with_help("a guide reads only regular files inside its documentation tree (the git top level, or the folder with docrun.yaml or the site's files): copy the file into the tree and name it relative to the guide");
                    self.refused = Some(err.into());
                }
                None
            }
        }
    }

    fn source(&mut self, path: PathBuf) {
        if !self.sources.contains(&path) {
            self.sources.push(path);
        }
    }

    fn add_doc(&mut self, doc: &Doc, prefix: &str, depth: usize) -> Result<(), Error> {
        let macros = (doc.dialect.dialect == crate::doc::Dialect::Mkdocs
            && self.site.is_some_and(SiteData::mkdocs_macros)
            && doc.source.text().contains("{%"))
        .then(|| macros::Marks::of(doc.source.text()));
        let outer = std::mem::replace(&mut self.macros, macros);
        let result = self.add_doc_items(doc, prefix, depth);
        self.macros = outer;
        result
    }

    /// Whether the `count` lines from `line` hold text the macros plugin leaves literal.
    fn literal(&self, line: usize, count: usize) -> bool {
        self.macros
            .as_ref()
            .is_some_and(|m| m.any_literal(line, count))
    }

    /// Site values rendered in the text of `count` lines from `line`, unless the macros plugin
    /// leaves some of it literal (`{% raw %}`): then the text as written.
    fn render(&self, text: &str, line: usize, count: usize) -> String {
        if self.literal(line, count) {
            text.to_owned()
        } else {
            render_values(text, self.site)
        }
    }

    fn add_doc_items(&mut self, doc: &Doc, prefix: &str, depth: usize) -> Result<(), Error> {
        let dialect = doc.dialect.dialect;
        let file: Arc<Path> = Arc::from(doc.path());
        let mut section = Arc::new(Section::default());
        let mut block_count = 0;
        let mut callout_count = 0;
        let mut sections_seen = 0;
        // The step of the command block just before, while its output may still follow.
        let mut awaiting_output: Option<usize> = None;
        // The step of the transcript just before, which shows its output: an output block
        // right after it may quote that output.
        let mut showing_output: Option<usize> = None;
        for item in &doc.items {
            match item {
                Item::Heading(h) if h.level >= 2 => {
                    awaiting_output = None;
                    showing_output = None;
                    sections_seen += 1;
                    let anchor = h.anchor.clone().unwrap_or_else(|| {
                        let slug = slug(&h.text);
                        if slug.is_empty() {
                            format!("section{sections_seen}")
                        } else {
                            slug
                        }
                    });
                    section = Arc::new(Section {
                        anchor,
                        title: h.text.clone(),
                    });
                    block_count = 0;
                    callout_count = 0;
                }
                Item::Block(block) => {
                    let mut block = self.with_file_content(doc, block);
                    if let Some(marks) = &self.macros {
                        block = marks.render(block);
                    }
                    // Lines read from another file, or rewritten by the macros plugin, are not
                    // the guide's own to rewrite.
                    let from_file = matches!(block, std::borrow::Cow::Owned(_));
                    let block = block.as_ref();
                    // An output block pairs with the command block before it, but not across
                    // tabs: the next tab's block is an alternative, not output.
                    let pairs = |index: &usize| {
                        let step = &self.steps[*index];
                        (step.tab.is_none() || block.tab.is_none() || step.tab == block.tab)
                            && (reading::is_output_block(block, dialect)
                                || reading::is_bare_output_after_command(block, dialect))
                    };
                    if let Some(index) = awaiting_output.filter(pairs) {
                        awaiting_output = None;
                        if !block.body.is_empty() {
                            let text: String =
                                block.body.iter().map(|l| format!("{}\n", l.text)).collect();
                            let rendered = self.render(&text, block.body[0].line, block.body.len());
                            self.steps[index].expected = Some(Expected {
                                text: rendered,
                                line: block.body[0].line,
                                as_written: !from_file,
                            });
                            self.steps[index].native = output_block_checks(&self.steps[index]);
                        }
                        continue;
                    }
                    let quoting = showing_output.take().filter(|index| {
                        let step = &self.steps[*index];
                        (step.tab.is_none() || block.tab.is_none() || step.tab == block.tab)
                            && reading::is_output_block(block, dialect)
                            && step
                                .expected
                                .as_ref()
                                .is_some_and(|e| reading::quotes_output(&block.body, &e.text))
                    });
                    if let Some(index) = quoting {
                        // The lines the guide points at in the output it showed: what the
                        // output must contain, wherever the rest differs.
                        let text: String =
                            block.body.iter().map(|l| format!("{}\n", l.text)).collect();
                        let step = &mut self.steps[index];
                        step.expected = Some(Expected {
                            text: render_values(&text, self.site),
                            line: block.body[0].line,
                            as_written: !from_file,
                        });
                        step.settings
                            .mode
                            .get_or_insert(crate::matching::MatchMode::Contains);
                        step.native = output_block_checks(step);
                        continue;
                    }
                    block_count += 1;
                    let id = match block.snip_id.as_deref() {
                        Some(id) if id != "none" => id.to_owned(),
                        _ => format!("{}_{block_count}", section_key(&section)),
                    };
                    let at = (&file, &section);
                    let mut step = self.block_step(doc, block, at, &format!("{prefix}{id}"));
                    if let Some(expected) = step.expected.as_mut().filter(|_| from_file) {
                        expected.as_written = false;
                    }
                    let awaits = step.kind == StepKind::Command
                        && step.expected.is_none()
                        && !step.commands.is_empty();
                    let shows = step.kind == StepKind::Command
                        && step.expected.as_ref().is_some_and(|e| e.as_written);
                    self.push(step);
                    awaiting_output = awaits.then(|| self.steps.len() - 1);
                    showing_output = shows.then(|| self.steps.len() - 1);
                }
                Item::Callout(c) => {
                    awaiting_output = None;
                    showing_output = None;
                    callout_count += 1;
                    let id = format!(
                        "{prefix}{}_{}_{callout_count}",
                        section_key(&section),
                        c.kind
                    );
                    self.push(Step {
                        id,
                        section: section.clone(),
                        file: file.clone(),
                        line: c.line,
                        kind: StepKind::Callout,
                        syntax: c.kind.clone(),
                        commands: Vec::new(),
                        expected: None,
                        text: Some(render_values(&c.text, self.site)),
                        runs: false,
                        skip_reason: Some("a callout is read, not run".to_owned()),
                        tab: None,
                        alternative: false,
                        native: Vec::new(),
                        settings: StepOverlay::default(),
                        tags: Vec::new(),
                    });
                }
                Item::Include(include) => {
                    awaiting_output = None;
                    showing_output = None;
                    self.include(doc, include, depth)?
                }
                _ => {}
            }
        }
        Ok(())
    }

    /// A block whose content comes from elsewhere, with that content: cert-manager's
    /// ```` ```yaml file=./x.yaml ````, an AsciiDoc listing that holds an `include::`, an MDX
    /// `<CodeBlock>{Script}</CodeBlock>` of a raw import (`@site/…` from the Docusaurus site's
    /// folder), or MkDocs `--8<-- "file"` lines inside a fence. A file not found leaves the
    /// block as written, with a warning; a file outside the documentation tree is the guide's
    /// error.
    fn with_file_content<'b>(
        &mut self,
        doc: &Doc,
        block: &'b TextBlock,
    ) -> std::borrow::Cow<'b, TextBlock> {
        let dir = doc.path().parent().unwrap_or(Path::new("."));
        let warn = |warnings: &mut Vec<String>, name: &str| {
            warnings.push(format!(
                "{}:{}: `{name}` not found beside the guide; the block shows nothing from it",
                doc.path().display(),
                block.line
            ));
        };
        if let Some(file) = &block.file {
            let path = match file.strip_prefix(crate::doc::MDX_SITE_PREFIX) {
                Some(rest) if doc.dialect.dialect == crate::doc::Dialect::Mdx => {
                    docusaurus_site(doc.path(), &self.root).join(rest)
                }
                _ => dir.join(file),
            };
            let Some(text) = self.read_named(doc, block.line, &path, file) else {
                warn(&mut self.warnings, file);
                return std::borrow::Cow::Borrowed(block);
            };
            self.source(path);
            let mut owned = block.clone();
            owned.body = text
                .lines()
                .map(|l| BodyLine {
                    line: block.line,
                    text: l.to_owned(),
                })
                .collect();
            return std::borrow::Cow::Owned(owned);
        }
        if doc.dialect.dialect != crate::doc::Dialect::Mkdocs
            || !block
                .body
                .iter()
                .any(|l| l.text.trim_start().starts_with("--8<--"))
        {
            return std::borrow::Cow::Borrowed(block);
        }
        let mut owned = block.clone();
        owned.body.clear();
        for line in &block.body {
            let Some(name) = crate::doc::snippet_path(line.text.trim()) else {
                owned.body.push(line.clone());
                continue;
            };
            let found = find_snippet(doc.path(), &name, &self.root, self.site);
            if let Some(path) = &found {
                self.source(path.clone());
            }
            match found.and_then(|p| self.read_named(doc, line.line, &p, &name)) {
                Some(text) => owned.body.extend(text.lines().map(|l| BodyLine {
                    line: line.line,
                    text: l.to_owned(),
                })),
                None => {
                    warn(&mut self.warnings, &name);
                    owned.body.push(line.clone());
                }
            }
        }
        std::borrow::Cow::Owned(owned)
    }

    fn push(&mut self, mut step: Step) {
        if !self.ids.insert(step.id.clone()) {
            let base = step.id.clone();
            let mut n = 2;
            while !self.ids.insert(format!("{base}_{n}")) {
                n += 1;
            }
            step.id = format!("{base}_{n}");
        }
        self.steps.push(step);
    }

    fn block_step(
        &mut self,
        doc: &Doc,
        block: &TextBlock,
        (file, section): (&Arc<Path>, &Arc<Section>),
        id: &str,
    ) -> Step {
        let mut step = Step {
            id: id.to_owned(),
            section: section.clone(),
            file: file.clone(),
            line: block.line,
            kind: StepKind::Text,
            syntax: block.syntax.clone(),
            commands: Vec::new(),
            expected: None,
            text: None,
            runs: false,
            skip_reason: None,
            tab: block.tab.clone(),
            alternative: false,
            native: Vec::new(),
            settings: StepOverlay::default(),
            tags: block.tags.clone(),
        };
        let dialect = doc.dialect.dialect;
        if let Some(path) = file_step::saved_as(block, dialect) {
            let lines = block.body.iter().map(|l| l.text.as_str());
            step.kind = StepKind::File;
            step.commands = vec![file_step::write_command(path, lines, block.line)];
            let body: String = block.body.iter().map(|l| format!("{}\n", l.text)).collect();
            step.text = Some(body);
        } else if reading::is_shell(block, dialect) {
            let (segments, fragment) = match reading::read_shell(block, dialect) {
                reading::Reading::Commands(segments) => (segments, None),
                reading::Reading::Output(expected) => (
                    vec![bash::Segment {
                        commands: Vec::new(),
                        expected: Some(expected),
                    }],
                    None,
                ),
                reading::Reading::Fragment(why) => (
                    vec![bash::Segment {
                        commands: bash::split_script(&block.body),
                        expected: None,
                    }],
                    Some(why),
                ),
            };
            // Each command with the output shown right after it, for derived native checks.
            let mut shown: Vec<(usize, Option<String>)> = Vec::new();
            for segment in segments {
                for mut command in segment.commands {
                    command.text = self.render(
                        &crate::istio::strip_path_tokens(&command.text),
                        command.line,
                        command.text.lines().count(),
                    );
                    shown.push((step.commands.len(), None));
                    step.commands.push(command);
                }
                if let Some(expected) = segment.expected {
                    let text =
                        self.render(&expected.text, expected.line, expected.text.lines().count());
                    if let Some(last) = shown.last_mut().filter(|s| s.1.is_none()) {
                        last.1 = Some(text.clone());
                    }
                    match step.expected.as_mut() {
                        Some(e) => {
                            // The outputs of several commands, compared as one.
                            e.text.push_str(&text);
                            e.as_written = false;
                        }
                        None => {
                            step.expected = Some(Expected {
                                text,
                                line: expected.line,
                                as_written: expected.as_written,
                            })
                        }
                    }
                }
            }
            // A guide may hold many thousands of steps: each keeps only the room it uses.
            step.commands.shrink_to_fit();
            step.kind = if step.commands.is_empty() {
                StepKind::Output
            } else {
                StepKind::Command
            };
            let pairs: Vec<(&str, Option<&str>)> = shown
                .iter()
                .map(|(i, out)| (step.commands[*i].text.as_str(), out.as_deref()))
                .collect();
            step.native = derive::step_checks(&pairs).unwrap_or_default();
            for command in &step.commands {
                let literal = self.literal(command.line, command.text.lines().count());
                let unrendered = if literal {
                    None
                } else if command.text.contains("{{<") {
                    Some("shortcode")
                } else if dialect == crate::doc::Dialect::Mkdocs && command.text.contains("{{") {
                    Some("macro")
                } else {
                    None
                };
                if let Some(what) = unrendered {
                    self.warnings.push(format!(
                        "{}:{}: step {} has a {what} docrun cannot render{}",
                        doc.path().display(),
                        command.line,
                        step.id,
                        if self.site.is_none() {
                            " (no site data found: give --site-data)"
                        } else {
                            ""
                        }
                    ));
                }
            }
            if let Some(why) = fragment {
                step.runs = false;
                step.skip_reason = Some(format!("a fragment: {why}"));
                return step;
            }
        } else {
            let body: String = block.body.iter().map(|l| format!("{}\n", l.text)).collect();
            step.text = Some(self.render(
                &body,
                block.line,
                (block.end_line + 1).saturating_sub(block.line),
            ));
        }
        step.runs = step.kind.is_executed();
        if step.kind == StepKind::Output && dialect.reads_scripts() {
            step.skip_reason = Some("output with no command before it".to_owned());
        } else if !step.kind.is_executed() {
            step.skip_reason = Some(format!("a {} block is shown, not run", block.syntax));
        } else if block.commented {
            step.runs = false;
            step.skip_reason = Some("inside an HTML comment".to_owned());
        } else if let Some(why) = &block.hidden {
            step.runs = false;
            step.skip_reason = Some(why.clone());
        } else if block.snip_id.as_deref() == Some("none") {
            step.runs = false;
            step.skip_reason = Some("marked snip_id=none".to_owned());
        } else if let Some(tab) = block.tab.as_ref().filter(|t| t.index > 0) {
            set_aside_for_first_tab(&mut step, tab);
        }
        step
    }

    fn include(&mut self, doc: &Doc, include: &Include, depth: usize) -> Result<(), Error> {
        let (name, line) = (include.name.as_str(), include.line);
        let found = match include.kind {
            IncludeKind::Boilerplate => find_boilerplate(doc.path(), name, &self.root),
            IncludeKind::Hugo => find_hugo_include(doc.path(), name, &self.root),
            IncludeKind::Snippet => find_snippet(doc.path(), name, &self.root, self.site),
            IncludeKind::Asciidoc => doc
                .path()
                .parent()
                .map(|dir| dir.join(name))
                .filter(|p| p.exists()),
            // Without the plugin, the page shows the statement as it is: nothing to include.
            IncludeKind::Macro if !self.site.is_some_and(SiteData::mkdocs_macros) => return Ok(()),
            IncludeKind::Macro => self
                .site
                .and_then(SiteData::macros_include_dir)
                .map(|dir| dir.join(name))
                .filter(|p| crate::boundary::exists(p)),
        };
        let Some(path) = found else {
            let looked = match include.kind {
                IncludeKind::Boilerplate => format!("boilerplates/{name}.md above the guide"),
                IncludeKind::Hugo => format!("{name} beside the guide and in includes/ above it"),
                IncludeKind::Snippet => {
                    format!("{name} in the snippets' base_path, beside the guide and from the MkDocs root")
                }
                IncludeKind::Asciidoc => format!("{name} relative to the page"),
                IncludeKind::Macro => format!("{name} in the macros plugin's include_dir"),
            };
            self.warnings.push(format!(
                "{}:{line}: include `{name}` not found (looked for {looked}); its steps are not included",
                doc.path().display()
            ));
            return Ok(());
        };
        let page = match include.kind {
            IncludeKind::Asciidoc => ["adoc", "asciidoc"].as_slice(),
            _ => ["md"].as_slice(),
        };
        if path
            .extension()
            .is_none_or(|e| !page.iter().any(|p| e == *p))
        {
            self.warnings.push(format!(
                "{}:{line}: include `{name}` is not a Markdown page; its steps are not included",
                doc.path().display()
            ));
            return Ok(());
        }
        if depth >= 8 || self.includes.contains(&path) {
            self.warnings.push(format!(
                "{}:{line}: boilerplate `{name}` includes itself; included once",
                doc.path().display()
            ));
            return Ok(());
        }
        // A page read before was resolved inside the tree then (a tree does not move under a
        // command): boilerplates shared by many guides are resolved once.
        let resolved = if self.read.resolved(&self.root, &path) {
            Ok(path.clone())
        } else {
            crate::boundary::resolve(&self.root, &path, name)
                .inspect(|_| self.read.note_resolved(&self.root, &path))
        };
        if let Err(refused) = resolved {
            self.read_named(doc, line, &path, name);
            if self.refused.is_none() {
                self.warnings
                    .push(format!("{}:{line}: {refused}", doc.path().display()));
            }
            return Ok(());
        }
        let included = self.read.load(&path, &doc.dialect)?;
        self.source(path.clone());
        self.includes.push(path);
        let prefix = match include.kind {
            IncludeKind::Boilerplate => format!("{}_", name.replace('-', "_")),
            _ => format!("{}_", slug(&file_stem(name)).replace('-', "_")),
        };
        let first = self.steps.len();
        let result = self.add_doc(&included, &prefix, depth + 1);
        self.includes.pop();
        // The included steps stand where the include does: in its tab.
        if let Some(tab) = &include.tab {
            let mut tab = tab.clone();
            tab.page.get_or_insert_with(|| Arc::from(doc.path()));
            for step in self.steps[first..].iter_mut().filter(|s| s.tab.is_none()) {
                step.tab = Some(tab.clone());
                if tab.index > 0 && step.runs {
                    set_aside_for_first_tab(step, &tab);
                }
            }
        }
        result
    }
}

/// A heading's explicit anchor, or the one Hugo would generate from its text.
pub fn effective_anchor(heading: &crate::doc::Heading) -> String {
    heading
        .anchor
        .clone()
        .unwrap_or_else(|| slug(&heading.text))
}

/// The id part of a section: its anchor in lower case with `-` as `_`, or `intro` before any
/// heading.
fn section_key(section: &Section) -> String {
    if section.anchor.is_empty() {
        "intro".to_owned()
    } else {
        section.anchor.replace('-', "_").to_lowercase()
    }
}

/// The anchor Hugo gives a heading without an explicit one: lower case, `-` for blanks, ASCII
/// letters, digits, `-` and `_` kept (so `Environment Variables` -> `environment-variables`,
/// the same as the explicit anchor the translation carries).
fn slug(text: &str) -> String {
    text.trim()
        .to_lowercase()
        .chars()
        .filter_map(|c| match c {
            ' ' => Some('-'),
            c if c.is_ascii_alphanumeric() || c == '-' || c == '_' => Some(c),
            _ => None,
        })
        .collect::<String>()
        .trim_matches('-')
        .to_owned()
}

/// Native checks of a command step whose output came in a block of its own: its last command
/// with that output.
fn output_block_checks(step: &Step) -> Vec<CheckSpec> {
    let last = step.commands.len().saturating_sub(1);
    let pairs: Vec<(&str, Option<&str>)> = step
        .commands
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let shown = step.expected.as_ref().filter(|_| i == last);
            (c.text.as_str(), shown.map(|e| e.text.as_str()))
        })
        .collect();
    derive::step_checks(&pairs).unwrap_or_default()
}

fn file_stem(name: &str) -> String {
    Path::new(name)
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// Hugo's `{{< include "file" >}}`: beside the guide, else in an `includes` folder above it.
fn find_hugo_include(guide: &Path, name: &str, root: &Path) -> Option<PathBuf> {
    let start = guide.parent()?;
    let beside = start.join(name);
    if crate::boundary::exists(&beside) {
        return Some(beside);
    }
    crate::boundary::folders_up_to_root(guide)
        .into_iter()
        .take_while(|d| d.starts_with(root))
        .map(|dir| dir.join("includes").join(name))
        .find(|p| crate::boundary::exists(p))
}

/// The Docusaurus site a page belongs to, for its `@site/…` imports: the nearest folder above
/// it, up to the documentation root, with a `docusaurus.config.*`; else the root.
fn docusaurus_site(guide: &Path, root: &Path) -> PathBuf {
    crate::boundary::folders_up_to_root(guide)
        .into_iter()
        .find(|d| {
            crate::doc::dialect::site_files(crate::doc::Dialect::Mdx)
                .any(|c| crate::boundary::exists(&d.join(c)))
        })
        .unwrap_or_else(|| root.to_path_buf())
}

/// An MkDocs snippet, where `pymdownx.snippets` looks first: in each `base_path` the site's
/// `mkdocs.yml` gives (a folder, or a file that is itself the snippet), in order; else beside
/// the guide, else relative to a folder above it that holds `mkdocs.yml` or to its `docs`
/// folder. A candidate outside the documentation tree is passed by, not read (a `base_path`
/// out of the tree reads nothing), and so is the guide itself: a page that names a snippet
/// with its own file name means the snippet, never itself.
fn find_snippet(guide: &Path, name: &str, root: &Path, site: Option<&SiteData>) -> Option<PathBuf> {
    let start = guide.parent()?;
    let this = crate::boundary::resolve(root, guide, name).ok();
    let not_the_guide =
        |p: &PathBuf| this.is_none() || crate::boundary::resolve(root, p, name).ok() != this;
    // A base path is the site's setting, not the guide's word: out of the tree, it is passed by.
    let inside = |p: &PathBuf| crate::boundary::resolve(root, p, name).is_ok();
    let bases = site.map_or(&[][..], SiteData::snippet_bases);
    let from_base = bases.iter().find_map(|base| {
        let candidate = if base.is_file() {
            let file = base.parent()?.join(name);
            (file == *base).then_some(file)?
        } else {
            base.join(name)
        };
        (crate::boundary::exists(&candidate) && inside(&candidate) && not_the_guide(&candidate))
            .then_some(candidate)
    });
    if from_base.is_some() {
        return from_base;
    }
    let beside = start.join(name);
    if crate::boundary::exists(&beside) && not_the_guide(&beside) {
        return Some(beside);
    }
    crate::boundary::folders_up_to_root(guide)
        .into_iter()
        .take_while(|d| d.starts_with(root))
        .find_map(|dir| {
            [dir.join(name), dir.join("docs").join(name)]
                .into_iter()
                .find(|p| {
                    crate::boundary::exists(p)
                        && not_the_guide(p)
                        && crate::boundary::trusted(&dir.join("mkdocs.yml"))
                })
        })
}

/// istio.io's `boilerplates/NAME.md` in the nearest folder above the guide, up to its root.
fn find_boilerplate(guide: &Path, name: &str, root: &Path) -> Option<PathBuf> {
    crate::boundary::folders_up_to_root(guide)
        .into_iter()
        .take_while(|d| d.starts_with(root))
        .map(|dir| dir.join("boilerplates").join(format!("{name}.md")))
        .find(|p| crate::boundary::exists(p))
}

fn prerequisites(
    doc: &Doc,
    vars: &[Variable],
    overlay: &Overlay,
    site: Option<&SiteData>,
    warnings: &mut Vec<String>,
) -> Vec<Prerequisite> {
    let mut found = Vec::new();
    let contexts: Vec<&str> = vars
        .iter()
        .filter(|v| v.kind == VarKind::KubeContext)
        .map(|v| v.name.as_str())
        .collect();
    let mut section = String::new();
    let text = doc.source.text();
    // Blocks in order of their lines, passed by as the lines go: linear in the guide.
    let mut blocks = doc.blocks().map(|b| (b.line, b.end_line)).peekable();
    let mut in_block = |line: usize| {
        while blocks.peek().is_some_and(|(_, end)| *end < line) {
            blocks.next();
        }
        blocks.peek().is_some_and(|(start, _)| *start <= line)
    };
    let mut heading_iter = doc.items.iter().filter_map(|i| match i {
        Item::Heading(h) if h.level >= 2 => Some(h),
        _ => None,
    });
    let mut next_heading = heading_iter.next();
    for (index, line) in text.lines().enumerate() {
        let line_no = index + 1;
        while let Some(h) = next_heading.filter(|h| h.line <= line_no) {
            section = effective_anchor(h);
            next_heading = heading_iter.next();
        }
        if in_block(line_no) {
            continue;
        }
        if line.contains("{{< supported_kubernetes_versions >}}") {
            let versions = site
                .map(|s| s.supported_kubernetes_versions().to_vec())
                .unwrap_or_default();
            if versions.is_empty() {
                warnings.push(format!(
                    "{}:{line_no}: the guide requires a supported Kubernetes version, but no site data gives the list (give --site-data)",
                    doc.path().display()
                ));
            }
            let clusters = match contexts.len() {
                0 | 1 => "each cluster".to_owned(),
                n => format!("each of the {n} clusters ({})", contexts.join(", ")),
            };
            found.push(Prerequisite {
                section: section.clone(),
                line: line_no,
                text: format!(
                    "{clusters} runs a supported Kubernetes version: {}",
                    if versions.is_empty() {
                        "unknown without site data".to_owned()
                    } else {
                        versions.join(", ")
                    }
                ),
                checks: derive::version_checks(&contexts, &versions),
                versions,
                origin: Origin::Guide,
            });
        }
    }
    if !contexts.is_empty() {
        let first = vars
            .iter()
            .find(|v| v.kind == VarKind::KubeContext)
            .map_or(0, |v| v.line);
        found.push(clusters_prerequisite(
            first,
            &format!("in {}", contexts.join(", ")),
            &contexts,
            derive::context_checks(&contexts),
        ));
    }
    for p in &overlay.prerequisites {
        let line = p
            .section
            .as_deref()
            .and_then(|anchor| {
                doc.items.iter().find_map(|i| match i {
                    Item::Heading(h) if effective_anchor(h) == anchor => Some(h.line),
                    _ => None,
                })
            })
            .unwrap_or(0);
        found.push(Prerequisite {
            section: p.section.clone().unwrap_or_default(),
            line,
            text: p.text.clone(),
            versions: Vec::new(),
            checks: p.checks.clone(),
            origin: Origin::Overlay,
        });
    }
    // A derived check the overlay also declares is checked once, where the overlay puts it.
    let declared: Vec<CheckSpec> = overlay
        .prerequisites
        .iter()
        .flat_map(|p| p.checks.iter().map(checkrefs::canonical))
        .collect();
    for p in found.iter_mut().filter(|p| p.origin == Origin::Guide) {
        p.checks
            .retain(|c| !declared.contains(&checkrefs::canonical(c)));
    }
    found.sort_by_key(|p| p.line);
    found
}

/// "N Kubernetes clusters reachable through the kube contexts WHICH": the clusters a guide's
/// contexts name, with the checks that verify them.
fn clusters_prerequisite(
    line: usize,
    which: &str,
    contexts: &[&str],
    checks: Vec<CheckSpec>,
) -> Prerequisite {
    let plural = if contexts.len() == 1 { "" } else { "s" };
    Prerequisite {
        section: String::new(),
        line,
        text: format!(
            "{} Kubernetes cluster{plural} reachable through the kube context{plural} {which}",
            contexts.len()
        ),
        versions: Vec::new(),
        checks,
        origin: Origin::Guide,
    }
}

/// Every `$NAME` in the overlay's checks must name a variable of the guide (or of the overlay's
/// `vars:`); the error points at the first mention of the reference.
fn check_references(
    overlay: &Overlay,
    vars: &[Variable],
    places: &OverlayPlaces,
) -> Result<(), Error> {
    let declared = overlay
        .prerequisites
        .iter()
        .flat_map(|p| p.checks.iter())
        .chain(overlay.steps.values().flat_map(|s| s.native.iter()));
    for check in declared {
        for name in checkrefs::references(check) {
            if vars.iter().any(|v| v.name == name) {
                continue;
            }
            let kind = ErrorKind::UnknownCheckVariable {
                check: check.name().to_owned(),
                name: name.clone(),
            };
            let braced = format!("${{{name}}}");
            let needle = if places.mentions(&braced) {
                braced
            } else {
                format!("${name}")
            };
            let err = places.error_at_mention(&[], &needle, kind);
            let hint = format!(
                "declare it under `vars:` in the overlay, or fix the name{}",
                did_you_mean(&name, vars.iter().map(|v| v.name.as_str()))
            );
            return Err(with_help(err, hint));
        }
    }
    Ok(())
}
