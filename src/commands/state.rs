//! `docrun state`: the checkpoints `run --resume` keeps.

use crate::cli::StateCommand;
use crate::error::Error;
use crate::outcome::Outcome;

pub fn state(command: &StateCommand) -> Result<Outcome, Error> {
    let out = match command {
        StateCommand::List => crate::state::list()?,
        StateCommand::Clear { guide } => crate::state::clear(guide.as_deref())?,
    };
    super::write_stdout(out.as_bytes())?;
    Ok(Outcome::Passed)
}
