//! The text `docrun -h` and `docrun help COMMAND` print after the options: each command's exit
//! codes and examples, and the long help of `--dialect`. Every example is a command line a user
//! can paste; the exit codes are those `commands.rs` returns (see `Error::exit_code`).

/// After the list of commands in `docrun --help`.
pub const TOP: &str = "\
Exit codes:
  0    success
  1    a step, check or guide failed
  2    the input is wrong: command line, guide, overlay, variables (file:line says where)
  130  interrupted by Ctrl-C (143 by SIGTERM, 129 by SIGHUP)

Examples:
  docrun plan runbooks/local/configure-trust.md
  docrun run runbooks/local/configure-trust.md --set CA_DIR=/tmp/ca
  docrun test content/ --junit junit.xml

`docrun help COMMAND` shows each command's options, exit codes and examples.";

pub const LIST: &str = "\
Exit codes:
  0  the steps were listed
  2  a guide cannot be read or parsed

Examples:
  docrun list runbooks/local/configure-trust.md
  docrun list content/en/docs/setup/*.md --format json";

pub const VARS: &str = "\
Exit codes:
  0  the variables were shown
  2  the guide, an overlay or a --values file cannot be read, or a --set is malformed

Examples:
  docrun vars runbooks/local/configure-trust.md
  docrun vars guide.md --values values.yaml --format json";

pub const PLAN: &str = "\
Exit codes:
  0  the plan was shown
  1  with --preview: an API server rejected a change or a context was not reached
  2  the input is wrong: unreadable guide, unknown step id, variables without a value

Examples:
  docrun plan runbooks/local/configure-trust.md
  docrun plan guide.md --allow-missing --effects
  docrun plan guide.md --set CTX_CLUSTER1=kind-east --preview --format json";

pub const RUN: &str = "\
Exit codes:
  0    every step passed
  1    a step, the preflight or a report failed
  2    the input is wrong: unreadable guide, unknown step id, variables without a value
  130  interrupted by Ctrl-C (143 by SIGTERM, 129 by SIGHUP); --resume goes on from there

Examples:
  docrun run runbooks/local/configure-trust.md
  docrun run guide.md --values values.yaml --junit junit.xml
  docrun run guide.md --resume --keep-going --skip cleanup_1";

pub const CHECK: &str = "\
Exit codes:
  0  every check passed (warnings allowed)
  1  a check failed
  2  the guide, the variables or the kubeconfig are wrong

Examples:
  docrun check guide.md --set CTX_CLUSTER1=kind-east --set CTX_CLUSTER2=kind-west
  KUBECONFIG=~/.kube/lab docrun check guide.md --format json --timeout 2s";

pub const TEST: &str = "\
Exit codes:
  0    every guide that ran passed (also when none ran: the first line says why)
  1    a guide failed or cannot be read (the others still run); with --fail-if-none, no guide ran
  2    the command line or docrun.yaml is wrong, or a path does not exist (nothing runs)
  130  interrupted by Ctrl-C (143 by SIGTERM, 129 by SIGHUP)

Examples:
  docrun test runbooks/local
  docrun test docs/ --all --fail-if-none
  docrun test content/ --partition 2/4 --junit junit.xml --report report.html
  docrun test content/ --changed-since origin/main --rerun-failed 1";

pub const LINT: &str = "\
Exit codes:
  0  no errors (warnings allowed)
  1  a guide has an error
  2  a path does not exist or cannot be read (the others are still linted)

Examples:
  docrun lint content/
  docrun lint guide.md --format json";

pub const SNIPS: &str = "\
Exit codes:
  0  the snippets were written
  2  the guide cannot be read or parsed

Examples:
  docrun snips content/en/docs/setup/install/multicluster/verify/index.md
  docrun snips index.md --boilerplate-snips content/en/boilerplates/snips > snips.sh";

pub const GRAPH: &str = "\
Exit codes:
  0  the graph was written
  2  a path does not exist or a guide cannot be read

Examples:
  docrun graph content/ --format dot | dot -Tsvg > guides.svg
  docrun graph content/ --format json";

pub const COMPLETIONS: &str = "\
Exit codes:
  0  the script was written
  2  the shell is not one of those listed

Examples:
  docrun completions bash > ~/.local/share/bash-completion/completions/docrun
  docrun completions zsh > \"${fpath[1]}/_docrun\"
  docrun completions fish > ~/.config/fish/completions/docrun.fish";

pub const STATE: &str = "\
Exit codes:
  0  the checkpoints were listed or removed
  2  the state folder cannot be read, or a checkpoint cannot be removed

Examples:
  docrun state list
  docrun state clear runbooks/local/configure-trust.md
  docrun state clear";

pub const MAN: &str = "\
Exit codes:
  0  the page was written

Examples:
  docrun man | man -l -
  docrun man > /usr/local/share/man/man1/docrun.1";

/// `--dialect` in `--help`; `-h` shows only its first line. clap adds the values and what each
/// reads.
pub const DIALECT: &str = "\
Force the dialect guides are read in, instead of the one detected.

Without it, the dialect is, first to last: `asciidoc` for `*.adoc` and `*.asciidoc` files, `mdx` \
for `*.mdx` files; `dialect:` in the nearest docrun.yaml at or above the guide; the site's files in the folders above the guide, nearest first (mkdocs.yml -> mkdocs, \
data/args.yml -> istio, hugo.toml|yaml|json, config/_default/..., config.toml -> hugo, \
docusaurus.config.js|ts|mjs|cjs -> mdx); else the \
guide's text (`{{< text` -> istio, other shortcodes -> hugo, `=== \"`, `!!! ` or `--8<--` -> \
mkdocs, Docusaurus `<Tabs>`, `:::note` or `@theme/` imports -> mdx, else markdown). `docrun list` and `docrun plan` say which dialect they used and why.";
