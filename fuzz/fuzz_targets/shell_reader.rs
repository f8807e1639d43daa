//! The shell reader never panics, keeps its places on the command's character boundaries and
//! in order, and a value it writes for a place is never a second command: arbitrary command
//! text, filled with an arbitrary value wherever the reader accepts one.
#![no_main]

use docrun::runbook::subst::{self, Found};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let (command, value) = text.split_once('\u{0}').unwrap_or((&text, "v"));
    let found = subst::scan(command);
    let mut end = 0;
    for occ in &found {
        assert!(occ.range.start >= end && occ.range.end <= command.len());
        assert!(command.is_char_boundary(occ.range.start) && command.is_char_boundary(occ.range.end));
        end = occ.range.end;
    }
    let _ = subst::substitute(command, &found, |o| match &o.found {
        Found::Placeholder(_) => Some(("V".to_owned(), value.to_owned())),
        _ => None,
    });
});
