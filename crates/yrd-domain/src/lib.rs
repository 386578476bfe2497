//! The domain of yrd: the records of a multi-jurisdiction cooperation mechanism (jurisdictions,
//! bodies, meetings, decisions, plans, matters, tasks, reports, problems, agreements,
//! indicators) and the rules that derive their statuses.
//!
//! This crate owns meaning, not storage: it performs no I/O, and everything here is a pure
//! function of its inputs so that the rules users rely on can be unit-tested exhaustively.

pub mod access;
pub mod code;
pub mod date;
pub mod model;
pub mod rules;
pub mod text;

pub use code::AdminCode;
pub use date::PartialDate;
pub use model::*;
pub use text::{Lang, Text};
