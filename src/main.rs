use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some(docrun::exec::guard::WATCHDOG_ARG) {
        return docrun::exec::guard::watchdog_main(&args[2..]);
    }
    docrun::run(docrun::cli::Cli::parse())
}
