//! Conversions between domain values and their stored forms: enums as their snake_case
//! names, dates, partial dates and codes as text, short lists as JSON text.

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use time::Date;
use time::format_description::BorrowedFormatItem;
use time::macros::format_description;
use yrd_domain::{AdminCode, PartialDate};

use crate::StoreError;

/// An enum's stored name: the same snake_case name the API and data files use.
pub(crate) fn enum_name<T: Serialize>(value: &T) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(name)) => name,
        other => unreachable!("unit enum variants serialise to strings, got {other:?}"),
    }
}

pub(crate) fn parse_enum<T: DeserializeOwned>(
    what: &'static str,
    name: &str,
) -> Result<T, StoreError> {
    serde_json::from_value(serde_json::Value::String(name.to_owned()))
        .map_err(|e| corrupt(what, format!("{name:?}: {e}")))
}

pub(crate) fn code(what: &'static str, s: &str) -> Result<AdminCode, StoreError> {
    s.parse().map_err(|e| corrupt(what, format!("{e}")))
}

pub(crate) fn opt_code(
    what: &'static str,
    s: Option<&str>,
) -> Result<Option<AdminCode>, StoreError> {
    s.map(|s| code(what, s)).transpose()
}

pub(crate) fn date(what: &'static str, s: &str) -> Result<PartialDate, StoreError> {
    s.parse().map_err(|e| corrupt(what, format!("{e}")))
}

pub(crate) fn opt_date(
    what: &'static str,
    s: Option<&str>,
) -> Result<Option<PartialDate>, StoreError> {
    s.map(|s| date(what, s)).transpose()
}

/// How a full date is written as text: as sqlx writes and reads it, as both engines write it
/// into JSON, and as `Date` displays it.
pub(crate) const ISO_DATE: &[BorrowedFormatItem<'_>] = format_description!("[year]-[month]-[day]");

/// A full date written as [`ISO_DATE`] text.
pub(crate) fn full_date(what: &'static str, s: &str) -> Result<Date, StoreError> {
    Date::parse(s, ISO_DATE).map_err(|_| corrupt(what, s.to_owned()))
}

pub(crate) fn opt_full_date(
    what: &'static str,
    s: Option<&str>,
) -> Result<Option<Date>, StoreError> {
    s.map(|s| full_date(what, s)).transpose()
}

pub(crate) fn json<T: Serialize>(value: &T) -> String {
    serde_json::to_string(value).expect("domain values serialise to JSON")
}

pub(crate) fn from_json<'a, T: Deserialize<'a>>(
    what: &'static str,
    s: &'a str,
) -> Result<T, StoreError> {
    serde_json::from_str(s).map_err(|e| corrupt(what, e.to_string()))
}

pub(crate) fn corrupt(what: &'static str, reason: String) -> StoreError {
    StoreError::Corrupt { what, reason }
}
