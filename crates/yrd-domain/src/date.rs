//! Dates as precise as the public record: a year, a month, or a day.

use std::cmp::Ordering;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use time::{Date, Month};

/// A date known to a year (`2024`), a month (`2024-05`) or a day (`2024-06-05`).
///
/// Many public facts are dated only to a month or a year ("Dec 2005", "2024"); recording
/// them as a made-up day would invent precision the source does not have. The text form
/// sorts chronologically, which the storage layer relies on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum PartialDate {
    Year(i32),
    Month(i32, Month),
    Day(Date),
}

/// Why a string is not a date of the form `YYYY`, `YYYY-MM` or `YYYY-MM-DD`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{input:?} is not a date: {reason}")]
pub struct DateError {
    pub input: String,
    pub reason: String,
}

impl PartialDate {
    /// The first day the date may denote.
    pub fn first_day(self) -> Date {
        match self {
            PartialDate::Year(y) => {
                Date::from_calendar_date(y, Month::January, 1).expect("valid year")
            }
            PartialDate::Month(y, m) => Date::from_calendar_date(y, m, 1).expect("valid month"),
            PartialDate::Day(d) => d,
        }
    }

    /// The last day the date may denote.
    pub fn last_day(self) -> Date {
        match self {
            PartialDate::Year(y) => {
                Date::from_calendar_date(y, Month::December, 31).expect("valid year")
            }
            PartialDate::Month(y, m) => {
                Date::from_calendar_date(y, m, m.length(y)).expect("valid month")
            }
            PartialDate::Day(d) => d,
        }
    }

    pub fn year(self) -> i32 {
        match self {
            PartialDate::Year(y) | PartialDate::Month(y, _) => y,
            PartialDate::Day(d) => d.year(),
        }
    }
}

/// Parses a full `YYYY-MM-DD` date, rejecting days that do not exist (2023-02-29).
pub fn parse_date(s: &str) -> Result<Date, DateError> {
    match s.parse::<PartialDate>()? {
        PartialDate::Day(d) => Ok(d),
        _ => Err(DateError {
            input: s.to_owned(),
            reason: "a full date YYYY-MM-DD is required".into(),
        }),
    }
}

impl FromStr for PartialDate {
    type Err = DateError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = |reason: &str| DateError {
            input: s.to_owned(),
            reason: reason.to_owned(),
        };
        let parts: Vec<&str> = s.trim().split('-').collect();
        let number = |p: &str, len: usize, what: &str| -> Result<i32, DateError> {
            if p.len() != len || !p.bytes().all(|b| b.is_ascii_digit()) {
                return Err(err(&format!("the {what} must have {len} digits")));
            }
            p.parse().map_err(|_| err(&format!("bad {what}")))
        };
        let year = number(parts[0], 4, "year")?;
        if parts.len() == 1 {
            return Ok(PartialDate::Year(year));
        }
        let month_number = number(parts[1], 2, "month")?;
        let month = Month::try_from(month_number as u8)
            .map_err(|_| err(&format!("there is no month {month_number}")))?;
        match parts.len() {
            2 => Ok(PartialDate::Month(year, month)),
            3 => {
                let day = number(parts[2], 2, "day")?;
                Date::from_calendar_date(year, month, day as u8)
                    .map(PartialDate::Day)
                    .map_err(|_| err(&format!("{year}-{month_number:02} has no day {day}")))
            }
            _ => Err(err("expected YYYY, YYYY-MM or YYYY-MM-DD")),
        }
    }
}

impl TryFrom<String> for PartialDate {
    type Error = DateError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

impl From<PartialDate> for String {
    fn from(d: PartialDate) -> String {
        d.to_string()
    }
}

impl fmt::Display for PartialDate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PartialDate::Year(y) => write!(f, "{y:04}"),
            PartialDate::Month(y, m) => write!(f, "{y:04}-{:02}", *m as u8),
            PartialDate::Day(d) => {
                write!(f, "{:04}-{:02}-{:02}", d.year(), d.month() as u8, d.day())
            }
        }
    }
}

impl PartialOrd for PartialDate {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// Chronological by first day, then coarser before finer (`2024` < `2024-01` < `2024-01-01`),
/// which is also the order of the text forms.
impl Ord for PartialDate {
    fn cmp(&self, other: &Self) -> Ordering {
        self.to_string().cmp(&other.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_each_precision_and_round_trips() {
        for s in ["2005", "2005-12", "2024-06-05"] {
            assert_eq!(s.parse::<PartialDate>().unwrap().to_string(), s);
        }
    }

    #[test]
    fn rejects_days_that_do_not_exist() {
        let e = "2023-02-29".parse::<PartialDate>().unwrap_err();
        assert!(e.reason.contains("no day 29"), "{e}");
        assert!("2024-13".parse::<PartialDate>().is_err());
        assert!("24-01-01".parse::<PartialDate>().is_err());
        assert!(parse_date("2024-06").is_err());
        assert!(parse_date("2024-02-29").is_ok());
    }

    #[test]
    fn spans_and_order() {
        let m: PartialDate = "2024-02".parse().unwrap();
        assert_eq!(m.last_day().day(), 29);
        let y: PartialDate = "2024".parse().unwrap();
        assert!(y < m);
        assert!(m < "2024-02-01".parse().unwrap());
        assert!("2023-12-31".parse::<PartialDate>().unwrap() < y);
    }
}
