//! Asking the operator for missing variables on a terminal: each with its description, a
//! kube context chosen from the kubeconfig's contexts, a secret read without echo.
//!
//! Never used when stdin is not a terminal or `--no-prompt` is given.

use std::io::{BufRead, Write};

use crate::error::Error;
use crate::plan::PlanVar;
use crate::runbook::VarKind;

/// Asks for each variable in turn; returns the answers as (name, value).
pub fn ask(
    vars: &[&PlanVar],
    contexts: &dyn Fn() -> Vec<String>,
) -> Result<Vec<(String, String)>, Error> {
    let stdin = std::io::stdin();
    let mut answers = Vec::new();
    let mut err = std::io::stderr();
    for var in vars {
        let _ = writeln!(err, "\n{} ({})", var.name, var.kind.as_str());
        if let Some(d) = &var.description {
            let _ = writeln!(err, "  {d}");
        }
        let choices = if var.kind == VarKind::KubeContext {
            contexts()
        } else {
            Vec::new()
        };
        for (i, c) in choices.iter().enumerate() {
            let _ = writeln!(err, "  {}) {c}", i + 1);
        }
        let hint = var.placeholder.as_deref().unwrap_or("value");
        let _ = write!(
            err,
            "  {} {hint}: ",
            if choices.is_empty() {
                "enter"
            } else {
                "number or name for"
            }
        );
        let _ = err.flush();
        let value = if var.kind == VarKind::Secret {
            read_hidden(&stdin)?
        } else {
            read_line(&stdin)?
        };
        let value = match value.trim().parse::<usize>() {
            Ok(n) if n >= 1 && n <= choices.len() => choices[n - 1].clone(),
            _ => value.trim().to_owned(),
        };
        if value.is_empty() {
            return Err(Error::Usage(format!("no value given for {}", var.name)));
        }
        answers.push((var.name.clone(), value));
    }
    Ok(answers)
}

fn read_line(stdin: &std::io::Stdin) -> Result<String, Error> {
    let mut line = String::new();
    stdin
        .lock()
        .read_line(&mut line)
        .map_err(|e| Error::Usage(format!("cannot read the answer: {e}")))?;
    Ok(line.trim_end_matches(['\n', '\r']).to_owned())
}

fn read_hidden(stdin: &std::io::Stdin) -> Result<String, Error> {
    use nix::sys::termios::{tcgetattr, tcsetattr, LocalFlags, SetArg};
    let fd = std::io::stdin();
    let saved = tcgetattr(&fd).ok();
    if let Some(saved) = &saved {
        let mut quiet = saved.clone();
        quiet.local_flags.remove(LocalFlags::ECHO);
        let _ = tcsetattr(&fd, SetArg::TCSANOW, &quiet);
    }
    let line = read_line(stdin);
    if let Some(saved) = &saved {
        let _ = tcsetattr(&fd, SetArg::TCSANOW, saved);
    }
    eprintln!();
    line
}
