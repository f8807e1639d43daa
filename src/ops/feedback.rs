//! What an operation says on the way, and the questions it asks.

use crate::error::Error;
use crate::plan::PlanVar;

/// Where an operation sends what it has to say before its result: the command line shows it on
/// stderr; a test keeps it ([`Collected`]).
///
/// Text given here comes from guides: whoever shows it writes hidden characters out
/// ([`crate::visible`]) and fences it off where a CI runner obeys commands.
pub trait Feedback {
    /// A warning: the operation goes on.
    fn warn(&mut self, message: &str);

    /// An error that does not stop the operation at once (a report that cannot be written):
    /// its result says how it ended.
    fn error(&mut self, message: &str);

    /// A block of text for the person following the operation: a preflight report, a note on
    /// where missing values come from, what `--bless` would change. Ends with a newline.
    fn say(&mut self, text: &str);

    /// Values for the variables that have none, asked of a person, as `(name, value)` pairs.
    /// `None` when no one can answer (not a terminal, `--no-prompt`): the operation then fails
    /// with the missing variables named.
    fn ask(&mut self, missing: &[&PlanVar]) -> Result<Option<Vec<(String, String)>>, Error> {
        let _ = missing;
        Ok(None)
    }
}

/// Feedback kept in memory, for a caller that shows it later or a test that reads it. It
/// answers no question.
#[derive(Debug, Default)]
pub struct Collected {
    pub warnings: Vec<String>,
    pub errors: Vec<String>,
    pub said: Vec<String>,
}

impl Feedback for Collected {
    fn warn(&mut self, message: &str) {
        self.warnings.push(message.to_owned());
    }

    fn error(&mut self, message: &str) {
        self.errors.push(message.to_owned());
    }

    fn say(&mut self, text: &str) {
        self.said.push(text.to_owned());
    }
}
