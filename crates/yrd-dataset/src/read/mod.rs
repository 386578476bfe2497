//! Reading a dataset directory: loading each file, parsing its rows or records into the
//! domain types, and turning every problem into a `file:line: reason`.
//!
//! Parsing reports what is wrong with one record on its own (syntax, columns, unknown keys,
//! codes, dates, enum values); [`crate::validate`] then checks the records against each other
//! and against the rules of the format, and its findings are placed on the lines the
//! [`Locator`] remembered while parsing. A record that cannot be parsed is left out of the
//! dataset, but its key is remembered as [`Broken`] so that references to it do not cause a
//! second, misleading "unknown …" error.

mod csv_file;
mod fields;
pub(crate) mod records;
mod toml_file;

use std::collections::HashMap;
use std::fs;
use std::io;
use std::path::Path;

use yrd_domain::Dataset;

use crate::kind::{FILES, Kind};
use crate::validate::{self, Broken};
use crate::{DatasetErrors, RowError, order};

/// The lines of one parsed record: where it starts and where each of its fields is, by path
/// (`name`, `name.zh`, `members[2]`, `positions[0].jurisdiction`).
#[derive(Debug, Default)]
pub(crate) struct RecordLines {
    pub line: usize,
    pub fields: HashMap<String, usize>,
}

impl RecordLines {
    pub fn row(line: usize) -> RecordLines {
        RecordLines {
            line,
            fields: HashMap::new(),
        }
    }

    /// The line of a field, or of the nearest enclosing value that is in the file (a missing
    /// `zh` is reported on the line of its text, a missing text on the record's first line).
    pub fn line_of(&self, path: &str) -> usize {
        let mut path = path;
        loop {
            if let Some(&line) = self.fields.get(path) {
                return line;
            }
            match path.rfind(['.', '[']) {
                Some(end) => path = &path[..end],
                None => return self.line,
            }
        }
    }
}

/// Where each parsed record came from, by kind and index in the dataset's vector (before the
/// dataset is put in canonical order).
#[derive(Debug, Default)]
pub(crate) struct Locator {
    records: HashMap<(Kind, usize), RecordLines>,
}

impl Locator {
    fn add(&mut self, kind: Kind, index: usize, lines: RecordLines) {
        self.records.insert((kind, index), lines);
    }

    fn line(&self, kind: Kind, index: usize, path: &str) -> usize {
        self.records
            .get(&(kind, index))
            .map_or(0, |lines| lines.line_of(path))
    }
}

/// The state of one `read_dir`.
#[derive(Debug, Default)]
pub(crate) struct Ctx {
    errors: Vec<RowError>,
    broken: Broken,
    locator: Locator,
}

impl Ctx {
    fn error(&mut self, file: &str, line: usize, reason: impl Into<String>) {
        self.errors.push(RowError {
            file: file.to_owned(),
            line,
            reason: reason.into(),
        });
    }
}

/// Reads the dataset in `dir`: every file of the format that is present (an absent file means
/// no records of its kind), then validates the whole dataset.
///
/// On success the records are in canonical order (see [`crate::canonicalize`]). On failure
/// every problem found is returned, in file and line order, each naming the field at fault.
pub fn read_dir(dir: &Path) -> Result<Dataset, DatasetErrors> {
    let mut ctx = Ctx::default();
    let entries = match fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) => {
            ctx.error(
                &dir.display().to_string(),
                0,
                format!("cannot read the dataset directory: {e}"),
            );
            return Err(DatasetErrors::sorted(ctx.errors));
        }
    };
    // A misspelt file name would otherwise read as "no records of this kind" and silently drop
    // a whole file of data.
    let mut unknown: Vec<String> = entries
        .flatten()
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .filter(|name| {
            !name.starts_with('.')
                && (name.ends_with(".toml") || name.ends_with(".csv"))
                && !FILES.contains(&name.as_str())
        })
        .collect();
    unknown.sort();
    for name in unknown {
        ctx.error(
            &name,
            0,
            format!(
                "not a file of the dataset format (expected one of {})",
                FILES.join(", ")
            ),
        );
    }

    let mut ds = Dataset::default();
    // Indicators come before observations: an observation's value is read as a number or a
    // class label according to its indicator.
    for file in FILES {
        let kinds: Vec<Kind> = Kind::ALL.into_iter().filter(|k| k.file() == file).collect();
        let text = match load(&dir.join(file)) {
            Ok(Some(text)) => text,
            Ok(None) => continue,
            Err((line, reason)) => {
                ctx.error(file, line, reason);
                for &kind in &kinds {
                    ctx.broken.all(kind);
                }
                continue;
            }
        };
        records::parse(&mut ctx, kinds[0], &text, &mut ds);
    }

    for issue in validate::check(&ds, &ctx.broken) {
        let line = ctx.locator.line(issue.kind, issue.index, &issue.field);
        let reason = issue.reason_in_file();
        ctx.error(issue.kind.file(), line, reason);
    }
    if !ctx.errors.is_empty() {
        return Err(DatasetErrors::sorted(ctx.errors));
    }
    order::canonicalize(&mut ds);
    Ok(ds)
}

/// Reads a file as UTF-8 text: `None` if it does not exist, the line and reason if it cannot
/// be read. A leading byte-order mark is dropped, since spreadsheet programs add one to the
/// CSV files they save.
fn load(path: &Path) -> Result<Option<String>, (usize, String)> {
    let bytes = match fs::read(path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err((0, format!("cannot read the file: {e}"))),
    };
    match String::from_utf8(bytes) {
        Ok(text) => Ok(Some(match text.strip_prefix('\u{feff}') {
            Some(rest) => rest.to_owned(),
            None => text,
        })),
        Err(e) => {
            let valid = e.utf8_error().valid_up_to();
            let line = e.as_bytes()[..valid]
                .iter()
                .filter(|&&b| b == b'\n')
                .count()
                + 1;
            Err((line, "the file is not UTF-8 text".to_owned()))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_field_is_placed_on_the_nearest_enclosing_line() {
        let mut lines = RecordLines::row(10);
        lines.fields.insert("name".into(), 12);
        lines.fields.insert("positions[1]".into(), 15);
        assert_eq!(lines.line_of("name.zh"), 12);
        assert_eq!(lines.line_of("positions[1].jurisdiction"), 15);
        assert_eq!(lines.line_of("positions[3].jurisdiction"), 10);
        assert_eq!(lines.line_of("title"), 10);
    }
}
