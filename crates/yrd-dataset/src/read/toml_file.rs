//! TOML files: one array of tables per file (`[[zone]]`, `[[meeting]]`, …), each table a
//! record. Records are deserialized one at a time from the spanned document, so that one bad
//! record does not hide the others, and every error lands on the line of its field.

use std::collections::HashMap;

use serde::de::DeserializeOwned;
use toml::Spanned;
use toml::de::{DeTable, DeValue, ValueDeserializer};

use super::{Ctx, RecordLines};
use crate::kind::Kind;

/// A parsed record: its table and where it is.
pub(super) type Record<'a> = Spanned<DeValue<'a>>;

/// One TOML file of a dataset.
pub(super) struct TomlDoc<'a> {
    kind: Kind,
    text: &'a str,
    /// Byte offsets of the line breaks, to turn spans into line numbers.
    newlines: Vec<usize>,
}

impl<'a> TomlDoc<'a> {
    pub fn new(kind: Kind, text: &'a str) -> TomlDoc<'a> {
        let newlines = text
            .bytes()
            .enumerate()
            .filter(|&(_, b)| b == b'\n')
            .map(|(i, _)| i)
            .collect();
        TomlDoc {
            kind,
            text,
            newlines,
        }
    }

    pub fn line(&self, offset: usize) -> usize {
        self.newlines.partition_point(|&n| n < offset) + 1
    }

    fn error(&self, ctx: &mut Ctx, offset: usize, reason: impl Into<String>) {
        ctx.error(self.kind.file(), self.line(offset), reason);
    }

    /// Parses the file and returns the tables of its array `table`, or `None` if the file as a
    /// whole cannot be read (a syntax error: what follows it is not reliable).
    pub fn records(&self, table: &str, ctx: &mut Ctx) -> Option<Vec<Record<'a>>> {
        let (doc, errors) = DeTable::parse_recoverable(self.text);
        if !errors.is_empty() {
            for e in errors {
                let offset = e.span().map_or(0, |span| span.start);
                self.error(ctx, offset, format!("TOML syntax error: {}", e.message()));
            }
            return None;
        }
        let mut records = Vec::new();
        let mut readable = true;
        for (key, value) in doc.into_inner() {
            if key.get_ref() != table {
                self.error(
                    ctx,
                    key.span().start,
                    format!(
                        "{}: unknown table; this file holds [[{table}]] records",
                        key.get_ref()
                    ),
                );
                continue;
            }
            let span = value.span();
            match value.into_inner() {
                DeValue::Array(array) => {
                    for element in array {
                        if element.get_ref().is_table() {
                            records.push(element);
                        } else {
                            self.error(
                                ctx,
                                element.span().start,
                                format!("{table}: each record must be a table"),
                            );
                            readable = false;
                        }
                    }
                }
                _ => {
                    self.error(
                        ctx,
                        span.start,
                        format!("{table}: expected an array of tables, [[{table}]]"),
                    );
                    readable = false;
                }
            }
        }
        readable.then_some(records)
    }

    /// Deserializes one record (or nested table) into its raw form, reporting why it cannot
    /// be: an unknown key, a missing one, a value of the wrong type.
    pub fn deserialize<T: DeserializeOwned>(
        &self,
        record: &Record<'a>,
        ctx: &mut Ctx,
    ) -> Option<T> {
        match T::deserialize(ValueDeserializer::from(record.clone())) {
            Ok(value) => Some(value),
            Err(e) => {
                let (offset, reason) = self.describe(record, &e);
                self.error(ctx, offset, reason);
                None
            }
        }
    }

    /// Rephrases a deserialization error so that it starts with the field at fault.
    fn describe(&self, record: &Record<'a>, e: &toml::de::Error) -> (usize, String) {
        let message = e.message();
        let Some(span) = e.span() else {
            return (record.span().start, message.to_owned());
        };
        let path = record
            .get_ref()
            .as_table()
            .and_then(|t| path_at(t, span.start, ""))
            .unwrap_or_default();
        let field = |path: &str| self.kind.display_field(path);
        let reason = if let Some(name) = message
            .strip_prefix("missing field `")
            .and_then(|m| m.strip_suffix('`'))
        {
            format!("{}: required, but missing", field(&join(&path, name)))
        } else if let Some(rest) = message.strip_prefix("unknown field `") {
            let expected = rest.split_once("`, ").map_or("", |(_, expected)| expected);
            format!("{}: unknown field ({expected})", field(&path))
        } else if path.is_empty() {
            message.to_owned()
        } else {
            format!("{}: {message}", field(&path))
        };
        (span.start, reason)
    }

    /// The line of the record and of each of its fields, by path.
    pub fn lines(&self, record: &Record<'a>) -> RecordLines {
        let mut fields = HashMap::new();
        if let Some(table) = record.get_ref().as_table() {
            self.walk(table, "", &mut fields);
        }
        RecordLines {
            line: self.line(record.span().start),
            fields,
        }
    }

    fn walk(&self, table: &DeTable<'a>, prefix: &str, out: &mut HashMap<String, usize>) {
        for (key, value) in table {
            let path = join(prefix, key.get_ref());
            out.insert(path.clone(), self.line(value.span().start));
            match value.get_ref() {
                DeValue::Table(inner) => self.walk(inner, &path, out),
                DeValue::Array(array) => {
                    for (i, element) in array.iter().enumerate() {
                        let path = format!("{path}[{i}]");
                        out.insert(path.clone(), self.line(element.span().start));
                        if let DeValue::Table(inner) = element.get_ref() {
                            self.walk(inner, &path, out);
                        }
                    }
                }
                _ => {}
            }
        }
    }
}

/// A string field of a record as written, even if the record as a whole does not parse.
pub(super) fn string_field(record: &Record<'_>, key: &str) -> Option<String> {
    record
        .get_ref()
        .as_table()?
        .get(key)?
        .get_ref()
        .as_str()
        .map(str::to_owned)
}

/// The tables of an array field of a record (`[[meeting.decisions]]`).
pub(super) fn array_field<'r, 'a>(record: &'r Record<'a>, key: &str) -> &'r [Record<'a>] {
    record
        .get_ref()
        .as_table()
        .and_then(|t| t.get(key))
        .and_then(|v| v.get_ref().as_array())
        .map_or(&[], |array| array.as_ref())
}

fn join(prefix: &str, key: &str) -> String {
    if prefix.is_empty() {
        key.to_owned()
    } else {
        format!("{prefix}.{key}")
    }
}

/// The path of the deepest key or value at `offset`. Tables written with a header keep their
/// entries outside the header's span, so every entry is searched rather than only the ones
/// whose span contains the offset.
fn path_at(table: &DeTable<'_>, offset: usize, prefix: &str) -> Option<String> {
    table.iter().find_map(|(key, value)| {
        let path = join(prefix, key.get_ref());
        if key.span().contains(&offset) {
            Some(path.clone())
        } else {
            value_path_at(value, offset, &path)
        }
    })
}

fn value_path_at(value: &Spanned<DeValue<'_>>, offset: usize, path: &str) -> Option<String> {
    let inner = match value.get_ref() {
        DeValue::Table(table) => path_at(table, offset, path),
        DeValue::Array(array) => array
            .iter()
            .enumerate()
            .find_map(|(i, element)| value_path_at(element, offset, &format!("{path}[{i}]"))),
        _ => None,
    };
    inner.or_else(|| value.span().contains(&offset).then(|| path.to_owned()))
}
