use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    docrun::run(docrun::cli::Cli::parse())
}
