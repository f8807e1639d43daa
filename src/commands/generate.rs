//! `docrun completions SHELL` and `docrun man`: text generated from the command line's own
//! definition (`cli::Cli`), so completions and the manual always name the flags this binary
//! has. Both write to stdout and read nothing.

use clap::CommandFactory;

use crate::cli::Cli;

/// The completion script of `shell` for the `docrun` command.
pub fn completions(shell: clap_complete::Shell) -> Vec<u8> {
    let mut out = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "docrun", &mut out);
    out
}

/// docrun's manual page, `docrun(1)` in roff: the top-level page (synopsis, options, commands,
/// exit codes and examples), then one section per command with its synopsis, options, exit
/// codes and examples.
pub fn man_page() -> Result<Vec<u8>, std::io::Error> {
    let mut cmd = Cli::command().disable_help_subcommand(true);
    cmd.build();
    let mut out = Vec::new();
    clap_mangen::Man::new(cmd.clone())
        .date(commit_date().unwrap_or_default())
        .render(&mut out)?;
    for sub in cmd.get_subcommands() {
        let name = format!("docrun {}", sub.get_name());
        // The global options are described once, in the page's own GLOBAL OPTIONS.
        let globals: Vec<clap::Id> = sub
            .get_arguments()
            .filter(|arg| arg.is_global_set())
            .map(|arg| arg.get_id().clone())
            .collect();
        let sub = globals
            .into_iter()
            .fold(sub.clone(), |sub, id| sub.mut_arg(id, |arg| arg.hide(true)));
        let page = clap_mangen::Man::new(sub.clone().bin_name(&name));
        let mut section = Vec::new();
        page.render_description_section(&mut section)?;
        page.render_synopsis_section(&mut section)?;
        page.render_options_section(&mut section)?;
        if sub.get_after_help().is_some() {
            page.render_extra_section(&mut section)?;
        }
        out.extend_from_slice(format!(".SH \"{}\"\n", name.to_uppercase()).as_bytes());
        out.extend_from_slice(&demote_sections(&String::from_utf8_lossy(&section)).into_bytes());
    }
    Ok(out)
}

/// A command's sections as subsections of the section that names it: `.SH X` becomes `.SS X`,
/// and the generic EXTRA heading says what it holds.
fn demote_sections(roff: &str) -> String {
    roff.lines()
        .filter(|line| *line != ".SH DESCRIPTION")
        .map(|line| match line.strip_prefix(".SH ") {
            Some("EXTRA") => ".SS \"EXIT CODES AND EXAMPLES\"".to_string(),
            Some(title) => format!(".SS {title}"),
            None => line.to_string(),
        })
        .fold(String::new(), |mut text, line| {
            text.push_str(&line);
            text.push('\n');
            text
        })
}

/// The date `--version` names after the commit (`0.1.0 (4d958e3 2026-12-06)`), for the page's
/// footer.
fn commit_date() -> Option<String> {
    let inside = env!("DOCRUN_VERSION")
        .split_once('(')?
        .1
        .trim_end_matches(')');
    let date = inside.split(' ').nth(1)?;
    Some(date.to_string())
}

#[cfg(test)]
mod tests {
    use super::demote_sections;

    #[test]
    fn a_commands_sections_become_subsections_of_its_own() {
        let roff = ".SH DESCRIPTION\nRun a guide\n.SH SYNOPSIS\n\\fBdocrun run\\fR\n.SH EXTRA\nExit codes:\n";
        assert_eq!(
            demote_sections(roff),
            "Run a guide\n.SS SYNOPSIS\n\\fBdocrun run\\fR\n.SS \"EXIT CODES AND EXAMPLES\"\nExit codes:\n"
        );
    }
}
