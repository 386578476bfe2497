//! Reads of a SQLite database on connections of their own, each query run where it is asked.
//!
//! sqlx runs every SQLite connection on a worker thread of its own and hands each row it steps
//! to the awaiting request through a channel: a list of a few hundred rows costs a few hundred
//! handoffs between threads, and each value is copied out of SQLite to be decoded on the other
//! side. On a two-core server that switching was most of the cost of a list. Here a query is
//! prepared (once per connection, then kept), bound, stepped and decoded on the thread of the
//! request that asks for it: SQLite answers from its page cache and the system's in well under
//! a millisecond a statement, as cheaply as the rendering that follows.
//!
//! A read that runs past [`INLINE_BUDGET`] would hold up the other requests of its runtime
//! thread: SQLite's progress handler interrupts it, and it runs again from the start under
//! [`tokio::task::block_in_place`], which hands the thread's other work to another thread for
//! as long as it lasts. So the everyday reads cost no thread switch, and a long one (an export
//! of a whole region) costs its budget once more.
//!
//! Rows decode with the row types' `serde::Deserialize` (derived beside sqlx's `FromRow`), by
//! column name for structs and by position for tuples, with the conversions sqlx applies to
//! SQLite's values: integers to `bool`, ISO text to [`Date`].
//!
//! Only reads outside a transaction come here ([`Store::fetch`](crate::Store)); writes, and
//! the reads of a write's transaction, stay on sqlx's connections. The connections are
//! `query_only`, and in WAL mode a read sees every transaction committed before it began, so
//! a change is visible here as soon as its write returns.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rusqlite::types::ValueRef;
use rusqlite::{Connection, ErrorCode, OpenFlags};
use serde::de::value::SeqDeserializer;
use serde::de::{self, DeserializeOwned, DeserializeSeed, IntoDeserializer, MapAccess, SeqAccess};
use serde::forward_to_deserialize_any;
use time::Date;

use crate::StoreError;
use crate::codec::ISO_DATE;
use crate::exec::Arg;

/// How long a read may run on the thread of the request that asks for it before it is run
/// again off the runtime's threads (see the module's documentation).
const INLINE_BUDGET: Duration = Duration::from_millis(25);

/// How many of SQLite's virtual machine instructions run between looks at the clock: a few
/// tens of microseconds' worth.
const INSTRUCTIONS_PER_LOOK: i32 = 1000;

/// Statements kept prepared per connection: every distinct SQL text the store reads with,
/// key lists coming in a few lengths.
const STATEMENTS_KEPT: usize = 256;

/// Connections kept open between reads; more are opened when more reads run at once.
const CONNECTIONS_KEPT: usize = 8;

/// The read connections of one SQLite database.
pub(crate) struct SqliteReaders {
    path: PathBuf,
    idle: Mutex<Vec<Reader>>,
    /// The clock of the readers' deadlines.
    epoch: Instant,
}

/// A read connection, and the deadline its progress handler interrupts it at, in nanoseconds
/// from [`SqliteReaders::epoch`] (`u64::MAX`: none).
struct Reader {
    connection: Connection,
    deadline: Arc<AtomicU64>,
}

impl fmt::Debug for SqliteReaders {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SqliteReaders")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

impl SqliteReaders {
    pub(crate) fn new(path: &Path) -> Arc<SqliteReaders> {
        Arc::new(SqliteReaders {
            path: path.to_owned(),
            idle: Mutex::new(Vec::new()),
            epoch: Instant::now(),
        })
    }

    /// Runs `sql` with `args` and decodes every row.
    pub(crate) fn fetch<R: DeserializeOwned>(
        &self,
        sql: &str,
        args: &[Arg],
    ) -> Result<Vec<R>, StoreError> {
        self.with_reader(|reader| {
            let budget = self.epoch.elapsed() + INLINE_BUDGET;
            reader.deadline.store(nanos(budget), Ordering::Relaxed);
            let inline = query(&reader.connection, sql, args);
            reader.deadline.store(u64::MAX, Ordering::Relaxed);
            match inline {
                Err(Interrupted::Yes) => off_the_runtime(|| {
                    query(&reader.connection, sql, args).map_err(Interrupted::into_error)
                }),
                other => other.map_err(Interrupted::into_error),
            }
        })?
    }

    /// Closes the connections kept between reads.
    pub(crate) fn close(&self) {
        self.idle.lock().unwrap_or_else(|e| e.into_inner()).clear();
    }

    fn with_reader<T>(&self, read: impl FnOnce(&Reader) -> T) -> Result<T, StoreError> {
        let kept = self.idle.lock().unwrap_or_else(|e| e.into_inner()).pop();
        let reader = match kept {
            Some(r) => r,
            None => self.open()?,
        };
        let outcome = read(&reader);
        let mut idle = self.idle.lock().unwrap_or_else(|e| e.into_inner());
        if idle.len() < CONNECTIONS_KEPT {
            idle.push(reader);
        }
        Ok(outcome)
    }

    fn open(&self) -> Result<Reader, StoreError> {
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX
            | OpenFlags::SQLITE_OPEN_URI;
        let connection = Connection::open_with_flags(&self.path, flags).map_err(sqlite_error)?;
        connection
            .busy_timeout(Duration::from_secs(5))
            .map_err(sqlite_error)?;
        // Never writes, whatever it is given; the same page cache as the store's other
        // connections (see `Store::connect`).
        connection
            .execute_batch("PRAGMA query_only = ON; PRAGMA cache_size = -4096;")
            .map_err(sqlite_error)?;
        connection.set_prepared_statement_cache_capacity(STATEMENTS_KEPT);
        let deadline = Arc::new(AtomicU64::new(u64::MAX));
        let (epoch, watched) = (self.epoch, Arc::clone(&deadline));
        connection
            .progress_handler(
                INSTRUCTIONS_PER_LOOK,
                Some(move || nanos(epoch.elapsed()) > watched.load(Ordering::Relaxed)),
            )
            .map_err(sqlite_error)?;
        Ok(Reader {
            connection,
            deadline,
        })
    }
}

fn nanos(since_epoch: Duration) -> u64 {
    u64::try_from(since_epoch.as_nanos()).unwrap_or(u64::MAX - 1)
}

/// Runs `read` where it may block for long: under `block_in_place` on the multi-threaded
/// runtime, as it is elsewhere (a current-thread runtime, or none).
fn off_the_runtime<T>(read: impl FnOnce() -> T) -> T {
    use tokio::runtime::{Handle, RuntimeFlavor};
    match Handle::try_current() {
        Ok(handle) if handle.runtime_flavor() == RuntimeFlavor::MultiThread => {
            tokio::task::block_in_place(read)
        }
        _ => read(),
    }
}

/// A read's failure, or its interruption at its deadline.
enum Interrupted {
    Yes,
    No(StoreError),
}

impl Interrupted {
    fn into_error(self) -> StoreError {
        match self {
            Interrupted::Yes => StoreError::Read("interrupted".into()),
            Interrupted::No(e) => e,
        }
    }
}

impl From<rusqlite::Error> for Interrupted {
    fn from(e: rusqlite::Error) -> Interrupted {
        if e.sqlite_error_code() == Some(ErrorCode::OperationInterrupted) {
            Interrupted::Yes
        } else {
            Interrupted::No(sqlite_error(e))
        }
    }
}

impl From<StoreError> for Interrupted {
    fn from(e: StoreError) -> Interrupted {
        Interrupted::No(e)
    }
}

fn sqlite_error(e: rusqlite::Error) -> StoreError {
    StoreError::Read(e.to_string())
}

/// Runs one statement and decodes its rows.
fn query<R: DeserializeOwned>(
    connection: &Connection,
    sql: &str,
    args: &[Arg],
) -> Result<Vec<R>, Interrupted> {
    let mut statement = connection.prepare_cached(sql)?;
    bind(&mut statement, args)?;
    let names: Vec<String> = statement
        .column_names()
        .into_iter()
        .map(str::to_owned)
        .collect();
    let mut rows = statement.raw_query();
    let mut decoded = Vec::new();
    while let Some(row) = rows.next()? {
        let record = R::deserialize(RowDeserializer { row, names: &names }).map_err(|e| {
            StoreError::Corrupt {
                what: "row",
                reason: e.0,
            }
        })?;
        decoded.push(record);
    }
    Ok(decoded)
}

/// Binds `args` as sqlx does: a numbered parameter (`$n`, `?n`) takes the n-th argument, an
/// anonymous one (`?`) the next in order.
fn bind(statement: &mut rusqlite::CachedStatement<'_>, args: &[Arg]) -> Result<(), StoreError> {
    let mut next = 0;
    for index in 1..=statement.parameter_count() {
        let position = match statement.parameter_name(index) {
            Some(name) => name[1..]
                .parse::<usize>()
                .ok()
                .and_then(|n| n.checked_sub(1)),
            None => {
                next += 1;
                Some(next - 1)
            }
        };
        let arg = position.and_then(|p| args.get(p)).ok_or_else(|| {
            StoreError::Read(format!(
                "parameter {index} of a statement has no argument ({} given)",
                args.len()
            ))
        })?;
        let bound = match arg {
            Arg::Text(v) => statement.raw_bind_parameter(index, v.as_deref()),
            Arg::Int(v) => statement.raw_bind_parameter(index, v),
            Arg::Real(v) => statement.raw_bind_parameter(index, v),
            Arg::Bool(v) => statement.raw_bind_parameter(index, v.map(i64::from)),
            Arg::Date(v) => {
                let text = v
                    .map(|d| d.format(ISO_DATE))
                    .transpose()
                    .map_err(|e| StoreError::Read(format!("a date argument: {e}")))?;
                statement.raw_bind_parameter(index, text)
            }
        };
        bound.map_err(sqlite_error)?;
    }
    Ok(())
}

/// Why a row did not decode.
#[derive(Debug)]
struct DecodeError(String);

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for DecodeError {}

impl de::Error for DecodeError {
    fn custom<T: fmt::Display>(message: T) -> Self {
        DecodeError(message.to_string())
    }
}

/// A row, as a struct (columns by name) or a tuple (columns in order).
struct RowDeserializer<'a, 'r> {
    row: &'a rusqlite::Row<'r>,
    names: &'a [String],
}

impl<'de> de::Deserializer<'de> for RowDeserializer<'_, '_> {
    type Error = DecodeError;

    fn deserialize_any<V: de::Visitor<'de>>(self, visitor: V) -> Result<V::Value, DecodeError> {
        self.deserialize_map(visitor)
    }

    fn deserialize_map<V: de::Visitor<'de>>(self, visitor: V) -> Result<V::Value, DecodeError> {
        visitor.visit_map(Columns {
            row: self.row,
            names: self.names,
            next: 0,
        })
    }

    fn deserialize_struct<V: de::Visitor<'de>>(
        self,
        _name: &'static str,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, DecodeError> {
        self.deserialize_map(visitor)
    }

    fn deserialize_seq<V: de::Visitor<'de>>(self, visitor: V) -> Result<V::Value, DecodeError> {
        visitor.visit_seq(Columns {
            row: self.row,
            names: self.names,
            next: 0,
        })
    }

    fn deserialize_tuple<V: de::Visitor<'de>>(
        self,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value, DecodeError> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_tuple_struct<V: de::Visitor<'de>>(
        self,
        _name: &'static str,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value, DecodeError> {
        self.deserialize_seq(visitor)
    }

    forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        option unit unit_struct newtype_struct enum identifier ignored_any
    }
}

/// The columns of a row, visited in order.
struct Columns<'a, 'r> {
    row: &'a rusqlite::Row<'r>,
    names: &'a [String],
    next: usize,
}

impl Columns<'_, '_> {
    fn value(&self, index: usize) -> Result<Value<'_>, DecodeError> {
        let value = self
            .row
            .get_ref(index)
            .map_err(|e| DecodeError(e.to_string()))?;
        Ok(Value {
            value,
            column: &self.names[index],
        })
    }
}

impl<'de> MapAccess<'de> for Columns<'_, '_> {
    type Error = DecodeError;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, DecodeError> {
        let Some(name) = self.names.get(self.next) else {
            return Ok(None);
        };
        seed.deserialize(name.as_str().into_deserializer())
            .map(Some)
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(
        &mut self,
        seed: V,
    ) -> Result<V::Value, DecodeError> {
        let index = self.next;
        self.next += 1;
        seed.deserialize(self.value(index)?)
    }
}

impl<'de> SeqAccess<'de> for Columns<'_, '_> {
    type Error = DecodeError;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, DecodeError> {
        if self.next == self.names.len() {
            return Ok(None);
        }
        let index = self.next;
        self.next += 1;
        seed.deserialize(self.value(index)?).map(Some)
    }
}

/// One column's value.
struct Value<'a> {
    value: ValueRef<'a>,
    column: &'a str,
}

impl Value<'_> {
    fn text(&self) -> Result<&str, DecodeError> {
        match self.value {
            ValueRef::Text(bytes) => std::str::from_utf8(bytes)
                .map_err(|e| DecodeError(format!("column {}: {e}", self.column))),
            _ => Err(self.mismatch("text")),
        }
    }

    fn mismatch(&self, expected: &str) -> DecodeError {
        let found = match self.value {
            ValueRef::Null => "NULL",
            ValueRef::Integer(_) => "an integer",
            ValueRef::Real(_) => "a real",
            ValueRef::Text(_) => "text",
            ValueRef::Blob(_) => "a blob",
        };
        DecodeError(format!(
            "column {}: expected {expected}, found {found}",
            self.column
        ))
    }
}

impl<'de> de::Deserializer<'de> for Value<'_> {
    type Error = DecodeError;

    fn deserialize_any<V: de::Visitor<'de>>(self, visitor: V) -> Result<V::Value, DecodeError> {
        match self.value {
            ValueRef::Null => visitor.visit_none(),
            ValueRef::Integer(n) => visitor.visit_i64(n),
            ValueRef::Real(x) => visitor.visit_f64(x),
            ValueRef::Text(_) => visitor.visit_str(self.text()?),
            ValueRef::Blob(bytes) => visitor.visit_bytes(bytes),
        }
    }

    fn deserialize_option<V: de::Visitor<'de>>(self, visitor: V) -> Result<V::Value, DecodeError> {
        match self.value {
            ValueRef::Null => visitor.visit_none(),
            _ => visitor.visit_some(self),
        }
    }

    fn deserialize_bool<V: de::Visitor<'de>>(self, visitor: V) -> Result<V::Value, DecodeError> {
        match self.value {
            ValueRef::Integer(n) => visitor.visit_bool(n != 0),
            _ => Err(self.mismatch("an integer (a boolean)")),
        }
    }

    fn deserialize_i64<V: de::Visitor<'de>>(self, visitor: V) -> Result<V::Value, DecodeError> {
        match self.value {
            ValueRef::Integer(n) => visitor.visit_i64(n),
            _ => Err(self.mismatch("an integer")),
        }
    }

    fn deserialize_i32<V: de::Visitor<'de>>(self, visitor: V) -> Result<V::Value, DecodeError> {
        self.deserialize_i64(visitor)
    }

    fn deserialize_u32<V: de::Visitor<'de>>(self, visitor: V) -> Result<V::Value, DecodeError> {
        self.deserialize_i64(visitor)
    }

    fn deserialize_f64<V: de::Visitor<'de>>(self, visitor: V) -> Result<V::Value, DecodeError> {
        match self.value {
            ValueRef::Real(x) => visitor.visit_f64(x),
            // A REAL column holds a whole number written as an integer as an integer.
            ValueRef::Integer(n) => visitor.visit_f64(n as f64),
            _ => Err(self.mismatch("a number")),
        }
    }

    fn deserialize_str<V: de::Visitor<'de>>(self, visitor: V) -> Result<V::Value, DecodeError> {
        visitor.visit_str(self.text()?)
    }

    fn deserialize_string<V: de::Visitor<'de>>(self, visitor: V) -> Result<V::Value, DecodeError> {
        visitor.visit_string(self.text()?.to_owned())
    }

    /// A [`Date`] asks for its compact form, the year and the day of the year; SQLite holds
    /// dates as ISO text, as sqlx writes them.
    fn deserialize_tuple<V: de::Visitor<'de>>(
        self,
        len: usize,
        visitor: V,
    ) -> Result<V::Value, DecodeError> {
        if len != 2 {
            return Err(self.mismatch("a date"));
        }
        let date = Date::parse(self.text()?, ISO_DATE)
            .map_err(|e| DecodeError(format!("column {}: not a date: {e}", self.column)))?;
        let parts = [i64::from(date.year()), i64::from(date.ordinal())];
        visitor.visit_seq(SeqDeserializer::new(parts.into_iter()))
    }

    forward_to_deserialize_any! {
        i8 i16 i128 u8 u16 u64 u128 f32 char bytes byte_buf unit unit_struct newtype_struct
        seq tuple_struct map struct enum identifier ignored_any
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::AtomicBool;

    use super::*;

    fn scratch() -> (tempfile::TempDir, Arc<SqliteReaders>) {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let path = dir.path().join("reads.db");
        let setup = Connection::open(&path).expect("the database");
        setup
            .execute_batch(
                "CREATE TABLE t (key TEXT NOT NULL, n INTEGER, x REAL, flag INTEGER NOT NULL, \
                 day TEXT); \
                 INSERT INTO t VALUES ('a', 1, 2.5, 1, '2024-03-07'), ('b', NULL, 3, 0, NULL);",
            )
            .expect("the table");
        (dir, SqliteReaders::new(&path))
    }

    #[derive(Debug, PartialEq, serde::Deserialize)]
    struct Row {
        key: String,
        n: Option<i64>,
        x: Option<f64>,
        flag: bool,
        day: Option<Date>,
    }

    #[test]
    fn rows_decode_by_name_and_position_with_sqlxs_conversions() {
        let (_dir, readers) = scratch();
        let rows: Vec<Row> = readers
            .fetch(
                "SELECT day, flag, x, n, key FROM t WHERE key >= $1 ORDER BY key",
                &[Arg::from("a")],
            )
            .expect("rows by name");
        assert_eq!(
            rows,
            vec![
                Row {
                    key: "a".into(),
                    n: Some(1),
                    x: Some(2.5),
                    flag: true,
                    day: Some(time::macros::date!(2024 - 03 - 07)),
                },
                Row {
                    key: "b".into(),
                    n: None,
                    x: Some(3.0),
                    flag: false,
                    day: None,
                },
            ]
        );
        // Numbered parameters take their own argument wherever they stand.
        let tuples: Vec<(String, Date)> = readers
            .fetch(
                "SELECT key, day FROM t WHERE day = $2 AND key = $1",
                &[
                    Arg::from("a"),
                    Arg::from(time::macros::date!(2024 - 03 - 07)),
                ],
            )
            .expect("rows by position");
        assert_eq!(
            tuples,
            vec![("a".to_owned(), time::macros::date!(2024 - 03 - 07))]
        );
    }

    #[test]
    fn a_value_of_the_wrong_kind_names_its_column() {
        let (_dir, readers) = scratch();
        let outcome = readers.fetch::<(i64,)>("SELECT key FROM t", &[]);
        let Err(StoreError::Corrupt { reason, .. }) = outcome else {
            panic!("text read as an integer must fail: {outcome:?}");
        };
        assert!(reason.contains("column key"), "{reason}");
    }

    #[test]
    fn reads_never_write() {
        let (_dir, readers) = scratch();
        let outcome = readers.fetch::<(i64,)>("DELETE FROM t RETURNING n", &[]);
        assert!(outcome.is_err(), "a read connection wrote: {outcome:?}");
        let left = readers.fetch::<(i64,)>("SELECT count(*) FROM t", &[]);
        assert_eq!(left.expect("the count"), vec![(2,)]);
    }

    /// Far longer than the inline budget.
    const LONG_READ: &str = "WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c \
        WHERE n < 2000000) SELECT count(*) FROM c";

    /// A long read lets its runtime thread's other tasks run: with one runtime thread, a task
    /// that counts while yielding goes on counting while the read runs, and the read answers
    /// in full.
    #[tokio::test(flavor = "multi_thread", worker_threads = 1)]
    async fn a_long_read_leaves_the_runtime_thread_to_other_tasks() {
        let (_dir, readers) = scratch();
        let ticks = Arc::new(AtomicU64::new(0));
        let reading = Arc::new(AtomicBool::new(true));
        let ticker = tokio::spawn({
            let (ticks, reading) = (Arc::clone(&ticks), Arc::clone(&reading));
            async move {
                while reading.load(Ordering::Relaxed) {
                    ticks.fetch_add(1, Ordering::Relaxed);
                    tokio::task::yield_now().await;
                }
            }
        });
        let read = tokio::spawn({
            let (ticks, reading) = (Arc::clone(&ticks), Arc::clone(&reading));
            async move {
                let before = ticks.load(Ordering::Relaxed);
                let started = Instant::now();
                let count = readers.fetch::<(i64,)>(LONG_READ, &[]);
                let took = started.elapsed();
                let during = ticks.load(Ordering::Relaxed) - before;
                reading.store(false, Ordering::Relaxed);
                (count, took, during)
            }
        });
        let (count, took, during) = read.await.expect("the read");
        ticker.await.expect("the ticker");
        assert_eq!(count.expect("the count"), vec![(2_000_000,)]);
        assert!(took > INLINE_BUDGET, "the read was not long: {took:?}");
        assert!(during > 0, "nothing else ran during a read of {took:?}");
    }

    /// Without a multi-threaded runtime there is nothing to hand over: the read runs again
    /// where it is and answers in full.
    #[test]
    fn a_long_read_answers_outside_a_runtime() {
        let (_dir, readers) = scratch();
        let count = readers.fetch::<(i64,)>(LONG_READ, &[]);
        assert_eq!(count.expect("the count"), vec![(2_000_000,)]);
    }
}
