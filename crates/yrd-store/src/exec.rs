//! The one place SQL is sent: typed arguments, row fetching and transactional batches, each
//! instantiated for both engines by [`on_backend!`](crate::on_backend).

use sqlx::postgres::PgRow;
use sqlx::sqlite::SqliteRow;
use sqlx::{AssertSqlSafe, FromRow};
use time::Date;

use crate::{Store, StoreError, on_backend};

/// A bound parameter. Everything yrd binds is one of these, so one statement type serves both
/// engines.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Arg {
    Text(Option<String>),
    Int(Option<i64>),
    Real(Option<f64>),
    Date(Option<Date>),
    Bool(Option<bool>),
}

impl From<String> for Arg {
    fn from(v: String) -> Arg {
        Arg::Text(Some(v))
    }
}
impl From<&str> for Arg {
    fn from(v: &str) -> Arg {
        Arg::Text(Some(v.to_owned()))
    }
}
impl From<Option<String>> for Arg {
    fn from(v: Option<String>) -> Arg {
        Arg::Text(v)
    }
}
impl From<i64> for Arg {
    fn from(v: i64) -> Arg {
        Arg::Int(Some(v))
    }
}
impl From<Option<i64>> for Arg {
    fn from(v: Option<i64>) -> Arg {
        Arg::Int(v)
    }
}
impl From<Option<f64>> for Arg {
    fn from(v: Option<f64>) -> Arg {
        Arg::Real(v)
    }
}
impl From<Date> for Arg {
    fn from(v: Date) -> Arg {
        Arg::Date(Some(v))
    }
}
impl From<Option<Date>> for Arg {
    fn from(v: Option<Date>) -> Arg {
        Arg::Date(v)
    }
}
impl From<bool> for Arg {
    fn from(v: bool) -> Arg {
        Arg::Bool(Some(v))
    }
}

/// Appends `rows` to `sql` as the tuples of a `VALUES` list, `(…), (…)`, moving their values
/// onto `args`. Placeholders are numbered on from `args`' length (`$n`), or anonymous (`?`,
/// bound by position): SQLite looks a numbered parameter up by a linear search, so thousands of
/// `$n` in one statement cost it quadratic time.
pub(crate) fn push_values(
    sql: &mut String,
    rows: impl IntoIterator<Item = Vec<Arg>>,
    args: &mut Vec<Arg>,
    anonymous: bool,
) {
    for (i, row) in rows.into_iter().enumerate() {
        sql.push_str(if i == 0 { "(" } else { ", (" });
        for (j, arg) in row.into_iter().enumerate() {
            args.push(arg);
            if j > 0 {
                sql.push_str(", ");
            }
            if anonymous {
                sql.push('?');
            } else {
                sql.push_str(&format!("${}", args.len()));
            }
        }
        sql.push(')');
    }
}

/// One statement of a write batch.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Stmt {
    pub sql: &'static str,
    pub args: Vec<Arg>,
}

/// Binds `$args` to `$query` in order.
macro_rules! bind_args {
    ($query:expr, $args:expr) => {{
        let mut query = $query;
        for arg in $args {
            query = match arg {
                Arg::Text(v) => query.bind(v),
                Arg::Int(v) => query.bind(v),
                Arg::Real(v) => query.bind(v),
                Arg::Date(v) => query.bind(v),
                Arg::Bool(v) => query.bind(v),
            };
        }
        query
    }};
}
pub(crate) use bind_args;

/// A row type that decodes from both engines.
pub(crate) trait Row:
    for<'r> FromRow<'r, SqliteRow> + for<'r> FromRow<'r, PgRow> + Send + Unpin
{
}
impl<T> Row for T where T: for<'r> FromRow<'r, SqliteRow> + for<'r> FromRow<'r, PgRow> + Send + Unpin
{}

impl Store {
    /// Runs a query and decodes every row. `sql` is assembled only from constant fragments;
    /// every value arrives as a bound argument. On SQLite the rows decode through serde
    /// ([`crate::sqlite_reads`]), so a row type read here derives `Deserialize` too.
    pub(crate) async fn fetch<R: Row + serde::de::DeserializeOwned>(
        &self,
        sql: String,
        args: Vec<Arg>,
    ) -> Result<Vec<R>, StoreError> {
        if let Some(readers) = &self.sqlite_reads {
            return readers.fetch(&sql, &args);
        }
        let rows = on_backend!(self, pool => {
            bind_args!(sqlx::query_as::<_, R>(AssertSqlSafe(sql)), args).fetch_all(pool).await?
        });
        Ok(rows)
    }

    /// Runs statements in one transaction: all of them take effect, or none.
    pub(crate) async fn execute_batch(&self, statements: Vec<Stmt>) -> Result<(), StoreError> {
        on_backend!(self, pool => {
            let mut tx = pool.begin().await?;
            for stmt in statements {
                bind_args!(sqlx::query(stmt.sql), stmt.args).execute(&mut *tx).await?;
            }
            tx.commit().await?;
        });
        Ok(())
    }
}

/// `sql` with every numbered placeholder `$n` renamed `$(n + by)`: for a statement, or a
/// condition, whose placeholders are numbered from 1 put after `by` others.
pub(crate) fn shift_placeholders(sql: &str, by: usize) -> String {
    let mut out = String::with_capacity(sql.len() + 8);
    let mut chars = sql.chars().peekable();
    while let Some(c) = chars.next() {
        out.push(c);
        if c != '$' {
            continue;
        }
        let mut digits = String::new();
        while let Some(d) = chars.peek().filter(|d| d.is_ascii_digit()) {
            digits.push(*d);
            chars.next();
        }
        if let Ok(n) = digits.parse::<usize>() {
            out.push_str(&(n + by).to_string());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::shift_placeholders;

    #[test]
    fn shifted_placeholders_keep_their_order_and_text() {
        assert_eq!(
            shift_placeholders("UPDATE t SET a = $1, b = $12 WHERE k = $2 AND c <> '$'", 10),
            "UPDATE t SET a = $11, b = $22 WHERE k = $12 AND c <> '$'"
        );
        assert_eq!(
            shift_placeholders("(published = $1 AND x = $2) OR body IN ($3)", 1),
            "(published = $2 AND x = $3) OR body IN ($4)"
        );
        assert_eq!(shift_placeholders("SELECT 1", 3), "SELECT 1");
    }
}
