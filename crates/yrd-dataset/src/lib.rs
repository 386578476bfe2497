//! Reads and writes yrd datasets: directories of TOML and CSV files in the format specified
//! by `data/FORMAT.md`, which people read, review and correct in a text editor.
//!
//! * [`read_dir`] parses every file and checks the whole dataset, and on failure reports every
//!   problem at once as `file:line: reason`, the reason naming the field at fault.
//! * [`write_dir`] writes a dataset deterministically in the same format.
//! * [`validate`] applies the same checks to a dataset built in code.
//! * [`canonicalize`] puts records in the order `read_dir` returns them, so that
//!   `read_dir(write_dir(ds)) == canonicalize(ds)` for every valid `ds`.
//!
//! The in-memory form is [`yrd_domain::Dataset`]; this crate owns only the file format and
//! the checks that a set of records is complete and consistent.

mod error;
mod kind;
mod order;
mod read;
mod validate;
mod write;

pub use error::{DatasetErrors, RowError};
pub use order::canonicalize;
pub use read::read_dir;
pub use validate::validate;
pub use write::write_dir;
