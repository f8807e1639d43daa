//! The command line: subcommands and flags (clap derive). Validation of what clap cannot check
//! happens when the command runs, before anything is read or executed.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::time::Duration;

use crate::duration::defaults;
use clap::{Args, Parser, Subcommand, ValueEnum};

mod help;

/// Make documentation executable: preview, run and check the steps of Markdown guides.
#[derive(Debug, Parser)]
#[command(
    name = "docrun",
    version = env!("DOCRUN_VERSION"),
    about,
    max_term_width = 100,
    after_help = help::TOP
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
    #[command(flatten)]
    pub global: GlobalArgs,
}

/// The options every subcommand takes, listed under their own heading in each help.
#[derive(Debug, Args, Clone)]
#[command(next_help_heading = "Global options")]
pub struct GlobalArgs {
    /// When to use colours on the terminal.
    #[arg(long, global = true, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
    /// Print only results and errors.
    #[arg(short, long, global = true)]
    pub quiet: bool,
    /// Print more about what docrun is doing.
    #[arg(short, long, global = true)]
    pub verbose: bool,
    /// Force the dialect.
    #[arg(
        long,
        global = true,
        value_enum,
        value_name = "DIALECT",
        long_help = help::DIALECT
    )]
    pub dialect: Option<crate::doc::Dialect>,
}

impl GlobalArgs {
    /// Whether stderr gets colours: `--color always|never`, else only on a terminal without
    /// `NO_COLOR`.
    pub fn color(&self) -> bool {
        match self.color {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => {
                auto_color(std::env::var_os("NO_COLOR"), std::env::var_os("TERM"))
                    && std::io::stderr().is_terminal()
            }
        }
    }
}

/// `--color auto` away from the terminal question: off when `NO_COLOR` is set to anything
/// but the empty string (no-color.org) or the terminal is `dumb`.
fn auto_color(no_color: Option<std::ffi::OsString>, term: Option<std::ffi::OsString>) -> bool {
    no_color.is_none_or(|v| v.is_empty()) && term.is_none_or(|t| t != "dumb")
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum Format {
    #[default]
    Text,
    Json,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// List the steps of guides: id, kind, section and source line.
    #[command(after_help = help::LIST)]
    List(ListArgs),
    /// Show the variables a guide needs, with descriptions, kinds and values.
    #[command(after_help = help::VARS)]
    Vars(VarsArgs),
    /// Dry run: the resolved plan of a guide. Executes nothing.
    #[command(after_help = help::PLAN)]
    Plan(PlanArgs),
    /// Run a guide step by step in one shell session.
    #[command(after_help = help::RUN)]
    Run(RunArgs),
    /// Preflight: prerequisites and read-only native checks; runs no command of the guide.
    #[command(after_help = help::CHECK)]
    Check(CheckArgs),
    /// Doc CI: run every tested guide under the given paths.
    #[command(after_help = help::TEST)]
    Test(TestArgs),
    /// Report static problems in guides, with file:line.
    #[command(after_help = help::LINT)]
    Lint(LintArgs),
    /// Write the istio.io `snips.sh` of a guide to stdout.
    #[command(after_help = help::SNIPS)]
    Snips(SnipsArgs),
    /// The prerequisite graph of guides, as Mermaid, DOT or JSON.
    #[command(after_help = help::GRAPH)]
    Graph(GraphArgs),
    /// The checkpoints `run` leaves for `--resume`: list them, or clear them.
    #[command(subcommand, after_help = help::STATE)]
    State(StateCommand),
    /// Print a shell completion script for docrun to stdout.
    #[command(after_help = help::COMPLETIONS)]
    Completions(CompletionsArgs),
    /// Print docrun's manual page (roff) to stdout.
    #[command(after_help = help::MAN)]
    Man,
}

/// `docrun state list` and `docrun state clear [GUIDE]`.
#[derive(Debug, Subcommand)]
pub enum StateCommand {
    /// The saved checkpoints: guide, step reached, when, values file (never a value).
    List,
    /// Remove the checkpoints: all of them, or those of one guide.
    Clear {
        /// The guide whose checkpoints to remove (every set of values); all when not given.
        #[arg(value_name = "GUIDE")]
        guide: Option<PathBuf>,
    },
}

/// Where variable values come from: `--set` > `--values` > environment > defaults.
#[derive(Debug, Args, Clone, Default)]
pub struct VarArgs {
    /// Give a variable a value (repeatable).
    #[arg(long = "set", value_name = "NAME=VALUE")]
    pub set: Vec<String>,
    /// Read variable values from a YAML mapping of NAME: value.
    #[arg(long, value_name = "FILE.yaml")]
    pub values: Option<PathBuf>,
    /// The Hugo `data` folder (args.yml); found by walking up from the guide when not given.
    #[arg(long, value_name = "DIR")]
    pub site_data: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct ListArgs {
    /// Guides (Markdown files) whose steps to list.
    #[arg(required = true, value_name = "DOC")]
    pub docs: Vec<PathBuf>,
    /// Output: a table, or one JSON document.
    #[arg(long, value_enum, default_value_t)]
    pub format: Format,
    /// The Hugo `data` folder (args.yml); found by walking up from the guide when not given.
    #[arg(long, value_name = "DIR")]
    pub site_data: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct VarsArgs {
    /// The guide (a Markdown file) whose variables to show.
    #[arg(value_name = "DOC")]
    pub doc: PathBuf,
    #[command(flatten)]
    pub vars: VarArgs,
    /// Output: a table, or one JSON document.
    #[arg(long, value_enum, default_value_t)]
    pub format: Format,
}

#[derive(Debug, Args)]
pub struct PlanArgs {
    /// The guide (a Markdown file) to plan.
    #[arg(value_name = "DOC")]
    pub doc: PathBuf,
    #[command(flatten)]
    pub vars: VarArgs,
    /// Output: text, or one JSON document.
    #[arg(long, value_enum, default_value_t)]
    pub format: Format,
    /// Show the plan even when variables have no value (they stay as placeholders) or a value
    /// cannot be placed safely in its command (the command is shown unfilled).
    #[arg(long)]
    pub allow_missing: bool,
    #[command(flatten)]
    pub selection: Selection,
    /// Put the steps of the guides this one needs (its prerequisites, found from its links and
    /// variables or declared with `requires:`) before its own, in dependency order.
    #[arg(long)]
    pub with_prereqs: bool,
    /// Also show what each step would do: read or change a cluster, change local files, use
    /// the network (or unknown), with the reason, and a summary per kube context.
    #[arg(long)]
    pub effects: bool,
    /// Also ask each kube context's API server what the steps' kubectl changes would do, in
    /// step order, as a server-side dry run (dryRun=All): nothing changes on any cluster.
    #[arg(long)]
    pub preview: bool,
    /// How long --preview waits for each call to an API server, e.g. 2s, 500ms.
    #[arg(long, value_name = "DUR", default_value = "5s", value_parser = parse_duration)]
    pub timeout: Duration,
}

/// Which steps a run takes.
#[derive(Debug, Args, Clone, Default)]
pub struct Selection {
    /// Start at this step.
    #[arg(long, value_name = "ID")]
    pub from: Option<String>,
    /// Run only these steps (repeatable).
    #[arg(long, value_name = "ID")]
    pub only: Vec<String>,
    /// Skip these steps (repeatable).
    #[arg(long, value_name = "ID")]
    pub skip: Vec<String>,
    /// A step that cleans up: it runs even after a failure, a timeout or Ctrl-C (repeatable).
    #[arg(long, value_name = "ID")]
    pub cleanup: Vec<String>,
    /// In each tabset with a tab of this name (any case), run that tab instead of the first
    /// (repeatable). A tab is named by its label (Hugo `name=`, MkDocs `=== "name"`, MDX
    /// `label=`); an MDX `<TabItem>` also by its `value=`.
    #[arg(long, value_name = "NAME")]
    pub tab: Vec<String>,
    /// Run only the steps of this doc test (repeatable): AsciiDoc blocks with `name="NAME"`
    /// and hidden `ifdef::NAME[]` regions, as Sail Operator's harness runs them.
    #[arg(long, value_name = "NAME")]
    pub tag: Vec<String>,
}

#[derive(Debug, Args)]
pub struct RunArgs {
    /// The guide (a Markdown file) to run.
    #[arg(value_name = "DOC")]
    pub doc: PathBuf,
    #[command(flatten)]
    pub vars: VarArgs,
    #[command(flatten)]
    pub selection: Selection,
    /// Show the plan and execute nothing (the same as `docrun plan`).
    #[arg(long)]
    pub dry_run: bool,
    /// Put the steps of the guides this one needs (its prerequisites, found from its links and
    /// variables or declared with `requires:`) before its own, in dependency order.
    #[arg(long)]
    pub with_prereqs: bool,
    /// Go on after a failed step.
    #[arg(long)]
    pub keep_going: bool,
    /// Default timeout of a step, e.g. 30s, 5m.
    #[arg(long, value_name = "DUR", default_value = defaults::STEP_TIMEOUT, value_parser = parse_duration)]
    pub timeout: Duration,
    /// How long a verification step (expected output, commands that only look) is retried,
    /// with exponential backoff, before it fails; 0 to never retry.
    #[arg(long, value_name = "DUR", default_value = defaults::RETRY, value_parser = crate::duration::parse)]
    pub retry: Duration,
    /// How long a native wait (pods ready, rollout, condition) may take unless the step's
    /// overlay gives a timeout.
    #[arg(long, value_name = "DUR", default_value = defaults::WAIT_TIMEOUT, value_parser = parse_duration)]
    pub wait_timeout: Duration,
    /// JSON Lines events on stdout.
    #[arg(long)]
    pub json: bool,
    /// Write a JUnit XML report.
    #[arg(long, value_name = "FILE")]
    pub junit: Option<PathBuf>,
    /// Write each step's whole output to DIR/STEP_ID.log (reports keep its first and last 32 KiB).
    #[arg(long, value_name = "DIR")]
    pub full_output: Option<PathBuf>,
    /// Run the guide's own commands instead of native checks.
    #[arg(long)]
    pub no_native: bool,
    /// Continue after the last step that passed in an earlier run.
    #[arg(long)]
    pub resume: bool,
    /// Never ask for missing variables.
    #[arg(long)]
    pub no_prompt: bool,
    /// Do not check the guide's prerequisites (contexts, versions, trust) before the first step.
    #[arg(long)]
    pub no_preflight: bool,
    /// Write a self-contained HTML report of the run.
    #[arg(long, value_name = "FILE")]
    pub report: Option<PathBuf>,
    #[command(flatten)]
    pub hygiene: HygieneArgs,
    /// Write what each step printed into the guide where its output differs from the guide's
    /// expected output (see README, Bless).
    #[arg(long, conflicts_with = "dry_run")]
    pub bless: bool,
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// The guide (a Markdown file) whose prerequisites to check.
    #[arg(value_name = "DOC")]
    pub doc: PathBuf,
    #[command(flatten)]
    pub vars: VarArgs,
    /// Output: text, or one JSON document.
    #[arg(long, value_enum, default_value_t)]
    pub format: Format,
    /// Timeout of each call to an API server, e.g. 2s, 500ms.
    #[arg(long, value_name = "DUR", default_value = "5s", value_parser = parse_duration)]
    pub timeout: Duration,
}

/// A duration more than zero, as [`crate::duration::parse`] reads it (`500ms`, `30s`, `1m30s`, a
/// bare number of seconds).
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    crate::duration::parse_positive(text)
}

#[derive(Debug, Args)]
pub struct TestArgs {
    /// Guides or folders (walked for `*.md`).
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// Guides run at once (default: the number of CPUs).
    #[arg(short = 'j', long, value_name = "N")]
    pub jobs: Option<usize>,
    /// Run shard K of N (1-based): each guide belongs to exactly one shard, by a hash of its path.
    #[arg(long, value_name = "K/N")]
    pub partition: Option<String>,
    /// Write one JUnit file for the whole run.
    #[arg(long, value_name = "FILE")]
    pub junit: Option<PathBuf>,
    /// Write each step's whole output to DIR/GUIDE/STEP_ID.log (GUIDE: the guide's path, `/` as
    /// `__`); reports keep its first and last 32 KiB.
    #[arg(long, value_name = "DIR")]
    pub full_output: Option<PathBuf>,
    /// Only guides whose path contains this text (repeatable: any of them).
    #[arg(long, value_name = "TEXT")]
    pub filter: Vec<String>,
    /// Only the guides a change since this git reference touches: their file, overlay,
    /// included pages or snippets, or the site data they use (`--list` says which change
    /// selected each).
    #[arg(long, value_name = "REF")]
    pub changed_since: Option<String>,
    /// Run every guide with runnable steps, whatever its `test:` says (`select: all` in
    /// docrun.yaml does the same for a tree).
    #[arg(long)]
    pub all: bool,
    /// Fail (exit 1) when no guide is tested: a tree with no `test: yes` guide, a filter or
    /// a shard that selects nothing.
    #[arg(long)]
    pub fail_if_none: bool,
    /// Run the doc test of this name (repeatable) in each guide that has one, and only its
    /// steps: AsciiDoc `name="NAME"` blocks and hidden `ifdef::NAME[]` regions.
    #[arg(long, value_name = "NAME")]
    pub tag: Vec<String>,
    /// Show what would run and why the rest is skipped; run nothing.
    #[arg(long)]
    pub list: bool,
    /// Output of --list.
    #[arg(long, value_enum, default_value_t)]
    pub format: Format,
    #[command(flatten)]
    pub vars: VarArgs,
    /// Default timeout of a step (else `docrun.yaml`'s `timeout`, else 5m).
    #[arg(long, value_name = "DUR", value_parser = parse_duration)]
    pub timeout: Option<Duration>,
    /// How long a verification step is retried (else `docrun.yaml`'s `retry`, else 30s).
    #[arg(long, value_name = "DUR", value_parser = crate::duration::parse)]
    pub retry: Option<Duration>,
    /// Run each guide after its prerequisites; a prerequisite several guides of the shard
    /// share runs once, and they continue from its state.
    #[arg(long)]
    pub with_prereqs: bool,
    /// Write a self-contained HTML report of the run.
    #[arg(long, value_name = "FILE")]
    pub report: Option<PathBuf>,
    /// Run a failed guide again, in a fresh session, up to N times; one that then passes is
    /// reported as flaky (JUnit `flakyFailure`), not as passed.
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub rerun_failed: u32,
    /// Every guide's events as JSON Lines on stdout (each guide's when it has ended, in path
    /// order).
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub hygiene: HygieneArgs,
    /// Write what each step printed into its guide where its output differs from the guide's
    /// expected output (see README, Bless).
    #[arg(long, conflicts_with_all = ["list", "with_prereqs"])]
    pub bless: bool,
}

/// Cluster hygiene: snapshots of the clusters a guide uses, before and after it.
#[derive(Debug, Args, Clone, Default)]
pub struct HygieneArgs {
    /// What a guide that leaves objects behind does: off, warn, fail (default: warn for
    /// `test`, off for `run`; also `hygiene: {mode: ...}` in docrun.yaml).
    #[arg(long, value_enum, value_name = "MODE")]
    pub hygiene: Option<crate::settings::Mode>,
    /// How long to wait for deletions to settle before a leak counts (default 2m).
    #[arg(long, value_name = "DUR", value_parser = crate::duration::parse)]
    pub hygiene_settle: Option<Duration>,
    /// A namespace whose objects never count, besides the excluded ones (repeatable).
    #[arg(long, value_name = "NAMESPACE")]
    pub hygiene_exclude_namespace: Vec<String>,
    /// A kind that never counts (`Kind`, plural, or either with `.group`), besides the excluded
    /// ones (repeatable).
    #[arg(long, value_name = "KIND")]
    pub hygiene_exclude_kind: Vec<String>,
}

#[derive(Debug, Args)]
pub struct LintArgs {
    /// Guides or folders (walked for `*.md`).
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// Output: one finding a line, or one JSON document.
    #[arg(long, value_enum, default_value_t)]
    pub format: Format,
}

#[derive(Debug, Args)]
pub struct SnipsArgs {
    /// The istio.io guide (a Markdown file) whose snippets to write.
    #[arg(value_name = "DOC")]
    pub doc: PathBuf,
    /// The Hugo `data` folder with args.yml; found by walking up from the guide when not given.
    #[arg(long, value_name = "DIR")]
    pub site_data: Option<PathBuf>,
    /// The folder of boilerplate snips: `{{< boilerplate x >}}` is sourced when DIR/x.sh exists.
    #[arg(long, value_name = "DIR")]
    pub boilerplate_snips: Option<PathBuf>,
    /// Snippet id prefix.
    #[arg(long, value_name = "P", default_value = "snip")]
    pub prefix: String,
}

/// How `docrun graph` draws.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum GraphFormat {
    #[default]
    Mermaid,
    Dot,
    Json,
}

#[derive(Debug, Args)]
pub struct GraphArgs {
    /// Guides or folders (walked for `*.md`).
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// How to draw the graph.
    #[arg(long, value_enum, default_value_t)]
    pub format: GraphFormat,
    /// The Hugo `data` folder (args.yml); found by walking up from each guide when not given.
    #[arg(long, value_name = "DIR")]
    pub site_data: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell to complete docrun in.
    #[arg(value_enum, value_name = "SHELL")]
    pub shell: clap_complete::Shell,
}

#[cfg(test)]
mod color_tests {
    use super::auto_color;

    #[test]
    fn an_empty_no_color_keeps_colour_and_a_dumb_terminal_has_none() {
        let os = |s: &str| Some(std::ffi::OsString::from(s));
        assert!(auto_color(None, os("xterm-256color")));
        assert!(auto_color(os(""), os("xterm")));
        assert!(!auto_color(os("1"), os("xterm")));
        assert!(!auto_color(None, os("dumb")));
        assert!(auto_color(None, None));
    }
}
