//! Dates and numbers as each language writes them.

use yrd_domain::Lang;

const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

/// A wire date (`YYYY`, `YYYY-MM` or `YYYY-MM-DD`) in `lang`: `2024年6月5日` or
/// `5 June 2024`. Anything else is shown as given.
pub fn date_label(value: &str, lang: Lang) -> String {
    let parts: Vec<&str> = value.split('-').collect();
    let numbers: Option<Vec<u32>> = parts.iter().map(|p| p.parse().ok()).collect();
    let Some(numbers) = numbers else {
        return value.to_owned();
    };
    let month_name = |m: u32| MONTHS.get(m.wrapping_sub(1) as usize).copied();
    match (lang, numbers.as_slice()) {
        (Lang::Zh, [y]) => format!("{y}年"),
        (Lang::Zh, [y, m]) => format!("{y}年{m}月"),
        (Lang::Zh, [y, m, d]) => format!("{y}年{m}月{d}日"),
        (Lang::En, [y]) => y.to_string(),
        (Lang::En, [y, m]) => month_name(*m).map_or(value.to_owned(), |n| format!("{n} {y}")),
        (Lang::En, [y, m, d]) => {
            month_name(*m).map_or(value.to_owned(), |n| format!("{d} {n} {y}"))
        }
        _ => value.to_owned(),
    }
}

/// A number with thousands separators and at most two decimals, trailing zeros dropped.
pub fn number(value: f64) -> String {
    let rounded = format!("{:.2}", value.abs());
    let (int, frac) = rounded.split_once('.').unwrap_or((&rounded, ""));
    let mut grouped = String::new();
    for (i, digit) in int.chars().enumerate() {
        if i > 0 && (int.len() - i).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(digit);
    }
    let frac = frac.trim_end_matches('0');
    let sign = if value < 0.0 && rounded.chars().any(|c| c != '0' && c != '.') {
        "-"
    } else {
        ""
    };
    if frac.is_empty() {
        format!("{sign}{grouped}")
    } else {
        format!("{sign}{grouped}.{frac}")
    }
}

/// A percentage, rounded to a whole number: `42%`.
pub fn percent(value: f64) -> String {
    format!("{}%", value.round() as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_read_as_each_language_writes_them() {
        assert_eq!(date_label("2024-06-05", Lang::Zh), "2024年6月5日");
        assert_eq!(date_label("2024-06-05", Lang::En), "5 June 2024");
        assert_eq!(date_label("2024-06", Lang::En), "June 2024");
        assert_eq!(date_label("2024", Lang::Zh), "2024年");
        assert_eq!(date_label("soon", Lang::En), "soon");
    }

    #[test]
    fn numbers_group_thousands() {
        assert_eq!(number(1234567.891), "1,234,567.89");
        assert_eq!(number(12.5), "12.5");
        assert_eq!(number(-1000.0), "-1,000");
        assert_eq!(number(0.0), "0");
        assert_eq!(percent(41.6), "42%");
    }
}
