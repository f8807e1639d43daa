//! The terminal side of an operation's [`Feedback`]: stderr, and questions at a terminal.

use std::io::IsTerminal;

use crate::error::Error;
use crate::ops::Feedback;
use crate::plan::PlanVar;
use crate::visible::visible;

/// Says an operation's warnings and notes on stderr, hidden characters written out; asks for
/// missing values when a person is at the terminal and may be asked.
pub struct Console {
    can_ask: bool,
}

impl Console {
    /// A console that asks nothing.
    pub fn new() -> Console {
        Console { can_ask: false }
    }

    /// A console that asks for missing values when stdin and stderr are a terminal, unless
    /// `no_prompt`.
    pub fn asking(no_prompt: bool) -> Console {
        Console {
            can_ask: !no_prompt
                && std::io::stdin().is_terminal()
                && std::io::stderr().is_terminal(),
        }
    }
}

impl Feedback for Console {
    fn warn(&mut self, message: &str) {
        eprintln!("warning: {}", visible(message));
    }

    fn error(&mut self, message: &str) {
        eprintln!("error: {}", visible(message));
    }

    fn say(&mut self, text: &str) {
        eprint!("{}", visible(text));
    }

    fn ask(&mut self, missing: &[&PlanVar]) -> Result<Option<Vec<(String, String)>>, Error> {
        if !self.can_ask {
            return Ok(None);
        }
        let contexts = || {
            crate::checker::Checker::from_env()
                .map(|c| c.contexts())
                .unwrap_or_default()
        };
        crate::prompt::ask(missing, &contexts).map(Some)
    }
}
