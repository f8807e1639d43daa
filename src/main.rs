use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some(docrun::guard::WATCHDOG_ARG) {
        return docrun::guard::watchdog_main(&args[2..]);
    }
    docrun::run(docrun::cli::Cli::parse())
}
