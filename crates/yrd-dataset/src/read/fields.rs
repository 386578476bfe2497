//! Parsing the values of one record's fields, each error reported on its field's line.
//!
//! Every parser returns `None` after reporting, so that a record's fields are all checked
//! before the record is dropped: one pass shows every bad field of the row.

use std::fmt::Display;

use serde::de::DeserializeOwned;
use serde::de::value::{Error as ValueError, StrDeserializer};
use time::Date;
use yrd_domain::{AdminCode, PartialDate, Value};

use super::RecordLines;
use crate::RowError;
use crate::kind::Kind;

enum At<'a> {
    Row(usize),
    Toml(&'a RecordLines),
}

/// The fields of one record being parsed.
pub(super) struct Fields<'a> {
    kind: Kind,
    at: At<'a>,
    errors: &'a mut Vec<RowError>,
    failed: bool,
}

impl<'a> Fields<'a> {
    pub fn row(kind: Kind, line: usize, errors: &'a mut Vec<RowError>) -> Fields<'a> {
        Fields {
            kind,
            at: At::Row(line),
            errors,
            failed: false,
        }
    }

    pub fn toml(kind: Kind, lines: &'a RecordLines, errors: &'a mut Vec<RowError>) -> Fields<'a> {
        Fields {
            kind,
            at: At::Toml(lines),
            errors,
            failed: false,
        }
    }

    /// Whether any field was reported.
    pub fn failed(&self) -> bool {
        self.failed
    }

    pub fn fail(&mut self, field: &str, reason: impl Display) {
        let line = match &self.at {
            At::Row(line) => *line,
            At::Toml(lines) => lines.line_of(field),
        };
        self.errors.push(RowError {
            file: self.kind.file().to_owned(),
            line,
            reason: format!("{}: {reason}", self.kind.display_field(field)),
        });
        self.failed = true;
    }

    /// A value that may be absent: `Some(None)` when it is, `None` when it is present but bad.
    pub fn opt<S: ?Sized, T>(
        &mut self,
        value: Option<&S>,
        parse: impl FnOnce(&mut Self, &S) -> Option<T>,
    ) -> Option<Option<T>> {
        match value {
            None => Some(None),
            Some(value) => parse(self, value).map(Some),
        }
    }

    /// A CSV cell that must not be empty.
    pub fn required<'v>(&mut self, field: &str, value: &'v str) -> Option<&'v str> {
        if value.is_empty() {
            self.fail(field, "required, but empty");
            None
        } else {
            Some(value)
        }
    }

    pub fn code(&mut self, field: &str, value: &str) -> Option<AdminCode> {
        value.parse().map_err(|e| self.fail(field, e)).ok()
    }

    pub fn codes(&mut self, field: &str, values: &[String]) -> Option<Vec<AdminCode>> {
        let codes: Vec<Option<AdminCode>> = values
            .iter()
            .enumerate()
            .map(|(i, v)| self.code(&format!("{field}[{i}]"), v))
            .collect();
        codes.into_iter().collect()
    }

    pub fn partial_date(&mut self, field: &str, value: &str) -> Option<PartialDate> {
        value.parse().map_err(|e| self.fail(field, e)).ok()
    }

    /// A *full date*: `YYYY-MM-DD`, and a day that exists.
    pub fn full_date(&mut self, field: &str, value: &str) -> Option<Date> {
        match self.partial_date(field, value)? {
            PartialDate::Day(date) => Some(date),
            _ => {
                self.fail(
                    field,
                    format!("{value:?} is not a full date: YYYY-MM-DD is required here"),
                );
                None
            }
        }
    }

    /// The text of a TOML date: dates are written as quoted strings, since partial dates
    /// (`"2024"`, `"2024-06"`) have no TOML literal and one spelling for all keeps files uniform.
    pub fn date_text<'v>(&mut self, field: &str, value: &'v toml::Value) -> Option<&'v str> {
        match value {
            toml::Value::String(s) => Some(s),
            toml::Value::Datetime(d) => {
                self.fail(field, format!("write the date as a quoted string, \"{d}\""));
                None
            }
            toml::Value::Integer(year) => {
                self.fail(
                    field,
                    format!("write the year as a quoted string, \"{year}\""),
                );
                None
            }
            other => {
                self.fail(
                    field,
                    format!(
                        "expected a date string such as \"2024-06-05\", found a {}",
                        other.type_str()
                    ),
                );
                None
            }
        }
    }

    pub fn toml_partial_date(&mut self, field: &str, value: &toml::Value) -> Option<PartialDate> {
        let text = self.date_text(field, value)?;
        self.partial_date(field, text)
    }

    pub fn toml_full_date(&mut self, field: &str, value: &toml::Value) -> Option<Date> {
        let text = self.date_text(field, value)?;
        self.full_date(field, text)
    }

    /// One of an enum's snake_case values (`consent_in_principle`).
    pub fn choice<T: DeserializeOwned>(&mut self, field: &str, value: &str) -> Option<T> {
        T::deserialize(StrDeserializer::<ValueError>::new(value))
            .map_err(|e| {
                self.fail(
                    field,
                    e.to_string().replace("unknown variant", "unknown value"),
                )
            })
            .ok()
    }

    /// A finite decimal number.
    pub fn number(&mut self, field: &str, value: &str) -> Option<f64> {
        match value.parse::<f64>() {
            Ok(n) if n.is_finite() => Some(n),
            _ => {
                self.fail(field, format!("{value:?} is not a number"));
                None
            }
        }
    }

    /// A TOML number (integer or float) or class label.
    pub fn value(&mut self, field: &str, value: &toml::Value) -> Option<Value> {
        match value {
            toml::Value::Integer(i) => Some(Value::Number(*i as f64)),
            toml::Value::Float(f) if f.is_finite() => Some(Value::Number(*f)),
            toml::Value::String(s) => Some(Value::Class(s.clone())),
            other => {
                self.fail(
                    field,
                    format!("expected a number or a class label, found {other}"),
                );
                None
            }
        }
    }

    /// An integer in `min..=max`, from TOML.
    pub fn int_in<T: TryFrom<i64>>(
        &mut self,
        field: &str,
        value: i64,
        min: i64,
        max: i64,
    ) -> Option<T> {
        if (min..=max).contains(&value) {
            T::try_from(value).ok()
        } else {
            self.fail(field, format!("{value} is outside {min}–{max}"));
            None
        }
    }
}
