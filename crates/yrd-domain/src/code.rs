//! Administrative division codes (GB/T 2260): the key of every jurisdiction.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// A six-digit GB/T 2260 administrative division code, e.g. `330300` (Wenzhou).
///
/// Jurisdictions are keyed by code, never by name: two pairs of YRD cities share an English
/// name (苏州/宿州 "Suzhou", 泰州/台州 "Taizhou").
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct AdminCode(u32);

/// Why a string is not an administrative division code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AdminCodeError {
    #[error("an administrative division code has exactly six digits, got {0:?}")]
    NotSixDigits(String),
    #[error("{0:?} has no province part: the first two digits must be 11–82")]
    NoProvince(String),
}

/// The level of a jurisdiction in the administrative tree, read off its code.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    /// Province, autonomous region or municipality (省级): `xx0000`.
    Province,
    /// Prefecture-level city (地级): `xxyy00`.
    Prefecture,
    /// County-level (县级): district, county, county-level city.
    County,
}

impl AdminCode {
    /// The code as a number, e.g. `330300`.
    pub fn value(self) -> u32 {
        self.0
    }

    /// The level this code denotes. Municipal districts of Shanghai (`3101xx`) are county level.
    pub fn level(self) -> Level {
        if self.0.is_multiple_of(10_000) {
            Level::Province
        } else if self.0.is_multiple_of(100) {
            Level::Prefecture
        } else {
            Level::County
        }
    }

    /// The provincial-level jurisdiction that contains this one (itself for a province).
    pub fn province(self) -> AdminCode {
        AdminCode(self.0 / 10_000 * 10_000)
    }

    /// The parent implied by the code: county → prefecture → province. For the county-level
    /// districts of a municipality (`3101xx`) the parent is the municipality itself, since the
    /// `3101` "municipal district" grouping is not a jurisdiction of its own.
    pub fn implied_parent(self) -> Option<AdminCode> {
        match self.level() {
            Level::Province => None,
            Level::Prefecture => Some(self.province()),
            Level::County => {
                let prefecture = AdminCode(self.0 / 100 * 100);
                if self.0 / 100 % 100 == 1 && is_municipality(self.province()) {
                    Some(self.province())
                } else {
                    Some(prefecture)
                }
            }
        }
    }
}

/// The four province-level municipalities (Beijing, Tianjin, Shanghai, Chongqing).
fn is_municipality(code: AdminCode) -> bool {
    matches!(code.0, 110000 | 120000 | 310000 | 500000)
}

impl FromStr for AdminCode {
    type Err = AdminCodeError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        if s.len() != 6 || !s.bytes().all(|b| b.is_ascii_digit()) {
            return Err(AdminCodeError::NotSixDigits(s.to_owned()));
        }
        let value: u32 = s
            .parse()
            .map_err(|_| AdminCodeError::NotSixDigits(s.to_owned()))?;
        if !(110_000..830_000).contains(&value) {
            return Err(AdminCodeError::NoProvince(s.to_owned()));
        }
        Ok(AdminCode(value))
    }
}

impl TryFrom<String> for AdminCode {
    type Error = AdminCodeError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

impl From<AdminCode> for String {
    fn from(code: AdminCode) -> String {
        code.to_string()
    }
}

impl fmt::Display for AdminCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:06}", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(s: &str) -> AdminCode {
        s.parse().unwrap()
    }

    #[test]
    fn parses_and_prints_six_digits() {
        assert_eq!(code("330300").to_string(), "330300");
        assert!("33030".parse::<AdminCode>().is_err());
        assert!("3303000".parse::<AdminCode>().is_err());
        assert!("33a300".parse::<AdminCode>().is_err());
        assert!("000100".parse::<AdminCode>().is_err());
    }

    #[test]
    fn levels_and_parents_follow_the_code() {
        assert_eq!(code("320000").level(), Level::Province);
        assert_eq!(code("320500").level(), Level::Prefecture);
        assert_eq!(code("320509").level(), Level::County);
        assert_eq!(code("320509").implied_parent(), Some(code("320500")));
        assert_eq!(code("330421").implied_parent(), Some(code("330400")));
        assert_eq!(code("330300").implied_parent(), Some(code("330000")));
        assert_eq!(code("330000").implied_parent(), None);
        // Qingpu sits directly under Shanghai.
        assert_eq!(code("310118").implied_parent(), Some(code("310000")));
        assert_eq!(code("341300").province(), code("340000"));
    }
}
