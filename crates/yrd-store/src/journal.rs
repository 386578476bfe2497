//! The journal: every change to a record, appended in the same transaction as the change, each
//! entry chained to the one before by a SHA-256 hash so that editing, deleting or reordering
//! past entries is detectable ([`Store::verify_history`]).
//!
//! All application writes go through [`JournalTx`]: it opens the transaction by locking the
//! chain's tip (`journal_head`), which serialises writers on both engines, lets the caller read
//! and write under that lock, and appends the caller's [`Change`]s when it commits. Within one
//! process, writers first queue in order for their turn at the tip (`Store::writers`), so the
//! database's lock is only ever contended by other processes.
//!
//! On PostgreSQL a write may take its turn on the tip this process last committed or locked
//! ([`Tip::Known`]) instead of reading it under the database's lock, and then needs no
//! transaction: its reads run on their own, and its writes, its entries and the tip's move go
//! in one statement that commits itself ([`Tx::Statement`]). That is one round trip at the tip
//! where there were four (the lock, the append, the commit, and the transaction's start
//! before), while every other writer of the process waits. The statement moves the tip only
//! from the known entry, and fails whole if another process has appended since; the write is
//! then taken again under the lock ([`with_known_tip`]).

use std::borrow::Cow;
use std::future::Future;

use std::sync::Arc;

use serde::Serialize;
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};
use sqlx::pool::PoolConnection;
use sqlx::postgres::{PgPool, Postgres};
use sqlx::sqlite::{Sqlite, SqlitePool};
use sqlx::{AssertSqlSafe, Transaction};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use tokio::sync::{Mutex, OwnedMutexGuard};

use crate::account_cache::AccountCache;
use crate::accounts::ACCOUNT_RECORD_KIND;
use crate::exec::{Arg, Row, bind_args, push_values, shift_placeholders};
use crate::freshness::{Freshness, RecordScope};
use crate::{Backend, Store, StoreError};

/// The hash the first entry links to.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// Who made a change, as the journal names them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Author {
    /// A signed-in user, by username.
    User(String),
    /// A command run on the server, e.g. `import`, with the operating-system user who ran it.
    Command { command: String, os_user: String },
}

impl Author {
    pub fn label(&self) -> String {
        match self {
            Author::User(name) => format!("user:{name}"),
            Author::Command { command, os_user } => format!("cli:{command}:{os_user}"),
        }
    }
}

/// One change to one record: the fields it had before and has after (only those that differ,
/// or every field when the record is created or deleted).
#[derive(Clone, Debug, PartialEq)]
pub struct Change {
    pub kind: &'static str,
    pub key: String,
    pub action: String,
    pub before: Option<Value>,
    pub after: Option<Value>,
    /// The records whose pages the change alters, if its writer confined it: `None` (the
    /// default) for a change that may alter any page. See [`crate::freshness`].
    pub within: Option<Vec<RecordScope>>,
}

impl Change {
    /// A change with explicit before and after values.
    pub fn new(
        kind: &'static str,
        key: impl Into<String>,
        action: impl Into<String>,
        before: Option<Value>,
        after: Option<Value>,
    ) -> Change {
        Change {
            kind,
            key: key.into(),
            action: action.into(),
            before,
            after,
            within: None,
        }
    }

    /// The same change, confined to `records`: no page but theirs, and those that show every
    /// record, shows what it alters.
    pub fn within(mut self, records: Vec<RecordScope>) -> Change {
        self.within = Some(records);
        self
    }

    /// The change from `before` to `after` of a serialisable record; the action is `create`,
    /// `update` or `delete`. `None` when nothing differs.
    pub fn between<T: Serialize>(
        kind: &'static str,
        key: impl Into<String>,
        before: Option<&T>,
        after: Option<&T>,
    ) -> Option<Change> {
        let to_object = |record: &T| match serde_json::to_value(record) {
            Ok(Value::Object(map)) => map,
            Ok(other) => Map::from_iter([("value".to_owned(), other)]),
            Err(e) => unreachable!("records serialise to JSON: {e}"),
        };
        let (before, after, action) = match (before.map(to_object), after.map(to_object)) {
            (None, None) => return None,
            (None, Some(after)) => (None, Some(after), "create"),
            (Some(before), None) => (Some(before), None, "delete"),
            (Some(mut before), Some(mut after)) => {
                let same: Vec<String> = after
                    .iter()
                    .filter(|(field, value)| before.get(*field) == Some(*value))
                    .map(|(field, _)| field.clone())
                    .collect();
                for field in same {
                    before.remove(&field);
                    after.remove(&field);
                }
                if before.is_empty() && after.is_empty() {
                    return None;
                }
                (Some(before), Some(after), "update")
            }
        };
        Some(Change::new(
            kind,
            key,
            action,
            before.map(Value::Object),
            after.map(Value::Object),
        ))
    }
}

/// A journal entry as stored.
#[derive(Clone, Debug, PartialEq, Serialize, sqlx::FromRow, serde::Deserialize)]
pub struct JournalEntry {
    pub seq: i64,
    /// RFC 3339, UTC.
    pub at: String,
    pub actor: String,
    pub record_kind: String,
    pub record_key: String,
    pub action: String,
    /// JSON text of the changed fields before the change.
    pub before: Option<String>,
    pub after: Option<String>,
    pub prev_hash: String,
    pub hash: String,
}

impl JournalEntry {
    /// The hash this entry must carry: over its content and the previous entry's hash.
    pub fn expected_hash(&self) -> String {
        let content = serde_json::to_string(&(
            self.seq,
            &self.at,
            &self.actor,
            &self.record_kind,
            &self.record_key,
            &self.action,
            &self.before,
            &self.after,
            &self.prev_hash,
        ))
        .expect("strings and integers serialise");
        hex(&Sha256::digest(content.as_bytes()))
    }
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The outcome of walking the chain.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Verification {
    /// Entries checked.
    pub entries: i64,
    /// The hash of the last entry: a digest of the whole history, to compare across copies.
    pub head_hash: String,
    /// The first broken link, if any.
    pub broken: Option<BrokenLink>,
}

/// Where and why the chain breaks.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct BrokenLink {
    /// The entry that fails its check (for a missing tail, the last entry the tip names).
    pub seq: i64,
    pub reason: String,
}

/// The tip as this process last committed or locked it: `(seq, hash)`, or None when unknown
/// (before the first write, and while a commit's outcome is not known).
pub(crate) type KnownTip = Option<(i64, String)>;

/// How a write finds the journal's tip when it takes its turn.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Tip {
    /// Read under the database's lock in a transaction, which waits for other processes'
    /// writers.
    Locked,
    /// Taken from this process's [`KnownTip`] if there is one (on PostgreSQL; SQLite locks
    /// with its first write anyway), the write then made in one statement. For a write that
    /// can be retried with [`Tip::Locked`] when it fails with [`StoreError::TipMoved`].
    Known,
}

/// Runs `write` on the known tip and, if another process moved the tip first, once more under
/// the database's lock, where nothing can move it.
pub(crate) async fn with_known_tip<T, F, Fut>(mut write: F) -> Result<T, StoreError>
where
    F: FnMut(Tip) -> Fut,
    Fut: Future<Output = Result<T, StoreError>>,
{
    match write(Tip::Known).await {
        Err(StoreError::TipMoved) => write(Tip::Locked).await,
        outcome => outcome,
    }
}

/// An open transaction on either engine, or a write made in one statement.
pub(crate) enum Tx {
    Sqlite(Transaction<'static, Sqlite>),
    Postgres(Transaction<'static, Postgres>),
    /// PostgreSQL without a transaction, on the tip this process knows: each read runs on its
    /// own, and every write waits for the commit, where all of them go in one statement.
    Statement(PoolConnection<Postgres>),
}

macro_rules! on_tx {
    ($tx:expr, $conn:ident => $body:expr) => {
        match $tx {
            Tx::Sqlite($conn) => $body,
            Tx::Postgres($conn) => $body,
            Tx::Statement(_) => return Err(write_outside_statement()),
        }
    };
}

/// A write made on its own where every write must wait for the commit's one statement: a
/// mistake in the store, refused rather than committed alone.
fn write_outside_statement() -> StoreError {
    StoreError::Corrupt {
        what: "write",
        reason: "a statement run before the commit of a write made in one statement".into(),
    }
}

impl Tx {
    async fn begin(store: &Store) -> Result<Tx, StoreError> {
        Ok(match &store.backend {
            Backend::Sqlite(pool) => Tx::Sqlite(SqlitePool::begin(pool).await?),
            Backend::Postgres { writes, .. } => Tx::Postgres(PgPool::begin(writes).await?),
        })
    }

    pub(crate) async fn fetch<R: Row>(
        &mut self,
        sql: impl Into<String>,
        args: Vec<Arg>,
    ) -> Result<Vec<R>, StoreError> {
        let sql = AssertSqlSafe(sql.into());
        let rows = match self {
            Tx::Statement(conn) => {
                bind_args!(sqlx::query_as::<_, R>(sql), args)
                    .fetch_all(&mut **conn)
                    .await?
            }
            _ => on_tx!(self, tx => {
                bind_args!(sqlx::query_as::<_, R>(sql), args).fetch_all(&mut **tx).await?
            }),
        };
        Ok(rows)
    }

    /// Runs one statement; returns the number of rows it affected.
    pub(crate) async fn execute(
        &mut self,
        sql: &'static str,
        args: Vec<Arg>,
    ) -> Result<u64, StoreError> {
        let affected = on_tx!(self, tx => {
            bind_args!(sqlx::query(sql), args).execute(&mut **tx).await?.rows_affected()
        });
        Ok(affected)
    }

    /// Runs one statement assembled at run time from constant fragments; returns the number
    /// of rows it affected.
    async fn execute_assembled(&mut self, sql: String, args: Vec<Arg>) -> Result<u64, StoreError> {
        let sql = AssertSqlSafe(sql);
        let affected = on_tx!(self, tx => {
            bind_args!(sqlx::query(sql), args).execute(&mut **tx).await?.rows_affected()
        });
        Ok(affected)
    }

    /// Inserts `rows` (values in the order of `columns`) with as many rows per statement as the
    /// engines' limit on bound parameters allows.
    pub(crate) async fn insert_rows(
        &mut self,
        table: &str,
        columns: &str,
        rows: Vec<Vec<Arg>>,
    ) -> Result<(), StoreError> {
        let width = columns.split(',').count();
        let per_statement = (MAX_PARAMETERS / width).clamp(1, MAX_ROWS_PER_STATEMENT);
        let anonymous = matches!(self, Tx::Sqlite(_));
        let mut rows = rows.into_iter().peekable();
        while rows.peek().is_some() {
            let chunk: Vec<Vec<Arg>> = rows.by_ref().take(per_statement).collect();
            debug_assert!(
                chunk.iter().all(|row| row.len() == width),
                "{table}: every row has {width} values"
            );
            let mut sql = format!("INSERT INTO {table} ({columns}) VALUES ");
            let mut args = Vec::with_capacity(chunk.len() * width);
            push_values(&mut sql, chunk, &mut args, anonymous);
            let sql = AssertSqlSafe(sql);
            on_tx!(self, tx => {
                bind_args!(sqlx::query(sql), args).execute(&mut **tx).await?;
            });
        }
        Ok(())
    }

    async fn commit(self) -> Result<(), StoreError> {
        match self {
            // Its one statement committed itself.
            Tx::Statement(_) => {}
            _ => on_tx!(self, tx => tx.commit().await?),
        }
        Ok(())
    }
}

/// A transaction holding the journal's tip: reads see the latest committed state, writes and
/// their [`Change`]s commit together or not at all.
pub(crate) struct JournalTx {
    tx: Tx,
    author: String,
    /// The chain's tip, once locked: the last entry's sequence number and hash.
    tip: Option<(i64, String)>,
    /// The store's queue of writers, and this transaction's turn once the tip is locked.
    writers: Arc<Mutex<KnownTip>>,
    /// The store's known head and what changes touched, moved once this transaction commits.
    freshness: Arc<Freshness>,
    /// The known head when the transaction began, before it read anything.
    opened_at: i64,
    /// The store's kept accounts, read again once this transaction commits an account change.
    accounts: Arc<AccountCache>,
    turn: Option<OwnedMutexGuard<KnownTip>>,
    /// The changes to journal, each with its author's label.
    changes: Vec<(String, Change)>,
    /// Statements to run once the tip is locked, just before the entries are appended.
    at_commit: Vec<Deferred>,
    /// Queries that must each find a row for a write in one statement to commit: that what
    /// it read before its turn still stands ([`JournalTx::guard_at_commit`]).
    guards: Vec<Deferred>,
}

/// Whether what a write read before its turn ([`JournalTx::begin_before_turn`]) may stand.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum EarlyReads {
    /// It may: the write is made in one statement, whose guards check it at commit, or the
    /// reads were made under the tip's lock.
    Stand,
    /// It is to be read again: no tip was known, so the write is a transaction, now holding
    /// the tip's lock.
    Stale,
}

/// A statement run at commit ([`JournalTx::execute_at_commit`]).
struct Deferred {
    sql: Cow<'static, str>,
    args: Vec<Arg>,
}

impl JournalTx {
    /// Opens a transaction and locks the chain's tip. The first statement is a write so that
    /// SQLite takes its write lock now (waiting for other writers) rather than failing to
    /// upgrade a read later, and PostgreSQL locks the tip row until commit.
    pub(crate) async fn begin(store: &Store, author: &Author) -> Result<JournalTx, StoreError> {
        JournalTx::begin_on(store, author, Tip::Locked).await
    }

    /// [`JournalTx::begin`], finding the tip as `tip` says. Reads after it see every write of
    /// this process committed before. With [`Tip::Known`] on PostgreSQL, once this process has
    /// a known tip, the write is made in one statement at commit ([`JournalTx::in_one_statement`]),
    /// and a write another process commits meanwhile makes that fail with
    /// [`StoreError::TipMoved`].
    pub(crate) async fn begin_on(
        store: &Store,
        author: &Author,
        tip: Tip,
    ) -> Result<JournalTx, StoreError> {
        let (tx, _) = JournalTx::begin_before_turn(store, author, tip)
            .await?
            .take_turn()
            .await?;
        Ok(tx)
    }

    /// [`JournalTx::begin_on`], but with [`Tip::Known`] on PostgreSQL, the turn is taken only
    /// at [`JournalTx::take_turn`]: what is read before runs alongside the other writers, and
    /// holds the turn for no round trip. Whatever the write concludes from it must be checked
    /// at commit ([`JournalTx::guard_at_commit`]).
    pub(crate) async fn begin_before_turn(
        store: &Store,
        author: &Author,
        tip: Tip,
    ) -> Result<JournalTx, StoreError> {
        match (tip, &store.backend) {
            (Tip::Known, Backend::Postgres { writes, .. }) => {
                // The connection before the turn, as every writer takes them: one waiting for a
                // connection with the turn taken would wait for writers waiting for the turn.
                let conn = writes.acquire().await?;
                Ok(JournalTx::new(store, author, Tx::Statement(conn)))
            }
            _ => {
                let mut tx = JournalTx::begin_unlocked(store, author).await?;
                tx.lock_tip().await?;
                Ok(tx)
            }
        }
    }

    /// Takes the turn of a write begun with [`JournalTx::begin_before_turn`] (a no-op for one
    /// already in it), and tells whether what it read before may stand.
    pub(crate) async fn take_turn(mut self) -> Result<(JournalTx, EarlyReads), StoreError> {
        if self.tip.is_some() {
            return Ok((self, EarlyReads::Stand));
        }
        let turn = self.writers.clone().lock_owned().await;
        if let Some(known) = turn.clone() {
            self.tip = Some(known);
            self.turn = Some(turn);
            return Ok((self, EarlyReads::Stand));
        }
        // No tip known yet (the process's first write, or one after a failed commit): a
        // transaction on the same connection, in its turn like any other.
        drop(turn);
        self.tx = match self.tx {
            Tx::Statement(conn) => Tx::Postgres(Transaction::begin(conn, None).await?),
            other => other,
        };
        self.lock_tip().await?;
        Ok((self, EarlyReads::Stale))
    }

    fn new(store: &Store, author: &Author, tx: Tx) -> JournalTx {
        JournalTx {
            tx,
            author: author.label(),
            tip: None,
            writers: store.writers.clone(),
            freshness: store.freshness.clone(),
            opened_at: store.freshness.known_head(),
            accounts: store.accounts.clone(),
            turn: None,
            changes: Vec::new(),
            at_commit: Vec::new(),
            guards: Vec::new(),
        }
    }

    /// Whether every write waits for the commit's one statement: nothing may be executed
    /// before it, only deferred ([`JournalTx::execute_at_commit`]).
    pub(crate) fn in_one_statement(&self) -> bool {
        matches!(self.tx, Tx::Statement(_))
    }

    /// Opens a transaction that takes the chain's tip only at [`JournalTx::lock_tip`] (or at
    /// commit), so that what comes before runs alongside other writers. For a step whose
    /// reads before that point need no serialising (an insert of a new record). On SQLite,
    /// where a transaction that has read cannot take the write lock once another writer has
    /// committed, the tip is locked at once as with [`JournalTx::begin`].
    pub(crate) async fn begin_unlocked(
        store: &Store,
        author: &Author,
    ) -> Result<JournalTx, StoreError> {
        let mut tx = JournalTx::new(store, author, Tx::begin(store).await?);
        if matches!(tx.tx, Tx::Sqlite(_)) {
            tx.lock_tip().await?;
        }
        Ok(tx)
    }

    /// Locks the chain's tip until commit, if not yet locked: from here on, writers are
    /// serialised, and each statement sees every write committed before.
    pub(crate) async fn lock_tip(&mut self) -> Result<(), StoreError> {
        if self.tip.is_some() {
            return Ok(());
        }
        let mut turn = match self.turn.take() {
            Some(turn) => turn,
            None => self.writers.clone().lock_owned().await,
        };
        // SQLite takes its write lock only with a write; PostgreSQL locks the row without
        // writing a new version of it, which every later writer would have to step over.
        let lock = match self.tx {
            Tx::Sqlite(_) => "UPDATE journal_head SET seq = seq WHERE id = 1 RETURNING seq, hash",
            // (A write in one statement has its tip once it takes its turn, so never comes here.)
            Tx::Postgres(_) | Tx::Statement(_) => {
                "SELECT seq, hash FROM journal_head WHERE id = 1 FOR UPDATE"
            }
        };
        let head: Vec<(i64, String)> = self.tx.fetch(lock, vec![]).await?;
        let tip = head.into_iter().next().ok_or(StoreError::Corrupt {
            what: "journal",
            reason: "the journal's tip row is missing".into(),
        })?;
        *turn = Some(tip.clone());
        self.tip = Some(tip);
        self.turn = Some(turn);
        Ok(())
    }

    /// The sequence number of the last committed entry when the tip was locked.
    pub(crate) fn head_seq(&self) -> i64 {
        self.tip.as_ref().map_or(0, |(seq, _)| *seq)
    }

    pub(crate) async fn fetch<R: Row>(
        &mut self,
        sql: impl Into<String>,
        args: Vec<Arg>,
    ) -> Result<Vec<R>, StoreError> {
        self.tx.fetch(sql, args).await
    }

    pub(crate) async fn execute(
        &mut self,
        sql: &'static str,
        args: Vec<Arg>,
    ) -> Result<u64, StoreError> {
        self.tx.execute(sql, args).await
    }

    pub(crate) async fn insert_rows(
        &mut self,
        table: &str,
        columns: &str,
        rows: Vec<Vec<Arg>>,
    ) -> Result<(), StoreError> {
        self.tx.insert_rows(table, columns, rows).await
    }

    /// Records a change to be journalled at commit.
    pub(crate) fn record(&mut self, change: Change) {
        self.changes.push((self.author.clone(), change));
    }

    /// Records a change made by `author`, who need not be the transaction's: reports
    /// submitted by several people are written in one transaction, each journalled as its
    /// own author's.
    pub(crate) fn record_by(&mut self, author: &Author, change: Change) {
        self.changes.push((author.label(), change));
    }

    /// Runs a statement at commit, under the tip's lock, so that it sees every write committed
    /// before this one (e.g. recomputing a task's latest progress from all its reports). On
    /// PostgreSQL it travels in the same statement as the journal entries, so the tip is held
    /// for fewer round trips.
    /// `sql` is constant, or assembled at run time from constant fragments.
    pub(crate) fn execute_at_commit(&mut self, sql: impl Into<Cow<'static, str>>, args: Vec<Arg>) {
        self.at_commit.push(Deferred {
            sql: sql.into(),
            args,
        });
    }

    /// Makes a write in one statement commit only if `sql`, a query, finds a row then: that
    /// what the write read before its turn still stands. Otherwise nothing is written, and the
    /// write is taken again under the lock ([`StoreError::TipMoved`]). Not needed, so not
    /// kept, in a transaction, whose reads in its turn see every write before it.
    pub(crate) fn guard_at_commit(&mut self, sql: impl Into<Cow<'static, str>>, args: Vec<Arg>) {
        if self.in_one_statement() {
            self.guards.push(Deferred {
                sql: sql.into(),
                args,
            });
        }
    }

    /// Appends the recorded changes to the chain and commits everything. Returns the entries.
    pub(crate) async fn commit(mut self) -> Result<Vec<JournalEntry>, StoreError> {
        self.lock_tip().await?;
        let (head_seq, head_hash) = self.tip.clone().expect("the tip is locked");
        let at = OffsetDateTime::now_utc()
            .format(&Rfc3339)
            .expect("the current time formats as RFC 3339");
        let mut entries = Vec::with_capacity(self.changes.len());
        let mut prev_hash = head_hash.clone();
        // Confined if every change is, to all their records together.
        let mut within = Some(Vec::new());
        for (i, (actor, change)) in std::mem::take(&mut self.changes).into_iter().enumerate() {
            within = within.zip(change.within).map(|(mut all, records)| {
                all.extend(records);
                all
            });
            let mut entry = JournalEntry {
                seq: head_seq + 1 + i as i64,
                at: at.clone(),
                actor,
                record_kind: change.kind.to_owned(),
                record_key: change.key,
                action: change.action,
                before: change.before.map(|v| v.to_string()),
                after: change.after.map(|v| v.to_string()),
                prev_hash,
                hash: String::new(),
            };
            entry.hash = entry.expected_hash();
            prev_hash = entry.hash.clone();
            entries.push(entry);
        }
        let rows: Vec<Vec<Arg>> = entries
            .iter()
            .map(|e| {
                vec![
                    e.seq.into(),
                    e.at.clone().into(),
                    e.actor.clone().into(),
                    e.record_kind.clone().into(),
                    e.record_key.clone().into(),
                    e.action.clone().into(),
                    e.before.clone().into(),
                    e.after.clone().into(),
                    e.prev_hash.clone().into(),
                    e.hash.clone().into(),
                ]
            })
            .collect();
        let at_commit = std::mem::take(&mut self.at_commit);
        let fits_one_statement = rows.len() <= MAX_ROWS_PER_STATEMENT;
        let _committing = entries
            .last()
            .map(|last| self.freshness.committing(head_seq, last.seq));
        // Unknown from here until the commit's outcome is known.
        let known = self.turn.as_mut().expect("the turn is taken").take();
        let one_statement = self.in_one_statement();
        let moved = match entries.last() {
            None if one_statement && !at_commit.is_empty() => {
                return Err(write_outside_statement());
            }
            None => {
                for stmt in at_commit {
                    self.tx
                        .execute_assembled(stmt.sql.into_owned(), stmt.args)
                        .await?;
                }
                true
            }
            // One statement that commits itself: it moves the tip from the known entry, or
            // fails whole, having written nothing.
            Some(last) if one_statement => {
                let guards = std::mem::take(&mut self.guards);
                let (sql, args) = append_statement(
                    at_commit,
                    rows,
                    last,
                    head_seq,
                    &head_hash,
                    Finish::Checked(guards),
                );
                self.tx.run_one_statement(sql, args).await?;
                true
            }
            // PostgreSQL: one round trip under the lock for the deferred statements, the
            // entries and the tip, as data-modifying parts of one statement.
            Some(last) if matches!(self.tx, Tx::Postgres(_)) && fits_one_statement => {
                let (sql, args) =
                    append_statement(at_commit, rows, last, head_seq, &head_hash, Finish::Counted);
                self.tx.execute_assembled(sql, args).await? == 1
            }
            Some(last) => {
                self.tx
                    .append_apart(at_commit, rows, last, head_seq, &head_hash)
                    .await?
                    == 1
            }
        };
        if !moved {
            return Err(StoreError::Corrupt {
                what: "journal",
                reason: "the journal's tip moved while it was locked".into(),
            });
        }
        self.tx.commit().await?;
        **self.turn.as_mut().expect("the turn is taken") = match entries.last() {
            Some(last) => Some((last.seq, last.hash.clone())),
            None => known,
        };
        if let Some(last) = entries.last() {
            self.freshness
                .committed(self.opened_at, head_seq, last.seq, within);
        }
        // Accounts, their roles and their tokens are all journalled as `user` records.
        if entries.iter().any(|e| e.record_kind == ACCOUNT_RECORD_KIND) {
            self.accounts.accounts_changed();
        }
        Ok(entries)
    }
}

impl Tx {
    /// Runs the one statement of a [`Tx::Statement`], which commits itself.
    async fn run_one_statement(&mut self, sql: String, args: Vec<Arg>) -> Result<(), StoreError> {
        let Tx::Statement(conn) = self else {
            return Err(write_outside_statement());
        };
        match bind_args!(sqlx::query(AssertSqlSafe(sql)), args)
            .execute(&mut **conn)
            .await
        {
            Ok(_) => Ok(()),
            // Refused by the database, so not committed: another process appended first (the
            // tip is not where it was known, or the entries' sequence numbers are taken), or a
            // write failed; either is taken again under the lock. Any other failure (a lost
            // connection) leaves the outcome unknown.
            Err(sqlx::Error::Database(_)) => Err(StoreError::TipMoved),
            Err(e) => Err(e.into()),
        }
    }

    /// Runs `at_commit`, appends the entries and moves the tip from `head_seq` to `last`, each
    /// in statements of its own. Returns the number of tips moved (1, or 0 if the tip was not
    /// at `head_seq`).
    async fn append_apart(
        &mut self,
        at_commit: Vec<Deferred>,
        rows: Vec<Vec<Arg>>,
        last: &JournalEntry,
        head_seq: i64,
        head_hash: &str,
    ) -> Result<u64, StoreError> {
        for stmt in at_commit {
            self.execute_assembled(stmt.sql.into_owned(), stmt.args)
                .await?;
        }
        // Many rows per statement: a bulk load appends millions of entries.
        self.insert_rows("journal", ENTRY_COLUMNS, rows).await?;
        self.execute(
            MOVE_TIP,
            vec![
                last.seq.into(),
                last.hash.clone().into(),
                head_seq.into(),
                head_hash.into(),
            ],
        )
        .await
    }
}

/// Moves the tip to `$1` (sequence number) and `$2` (hash) from `$3` and `$4`: it affects no
/// row if the tip is not there.
const MOVE_TIP: &str =
    "UPDATE journal_head SET seq = $1, hash = $2 WHERE id = 1 AND seq = $3 AND hash = $4";

/// How the statement of [`append_statement`] tells whether it moved the tip.
enum Finish {
    /// It affects one row, or none if the tip was not at `head_seq`: for a transaction, which
    /// is then not committed.
    Counted,
    /// It fails (dividing by the rows moved) if the tip was not at `head_seq`, or if one of
    /// the guards finds no row, so that a statement committing itself then writes nothing.
    Checked(Vec<Deferred>),
}

/// One PostgreSQL statement that runs `at_commit`, appends the entries (`rows`) and moves the
/// tip from `head_seq` to `last`: each part a data-modifying `WITH` query, renumbered to share
/// the parameters.
fn append_statement(
    at_commit: Vec<Deferred>,
    rows: Vec<Vec<Arg>>,
    last: &JournalEntry,
    head_seq: i64,
    head_hash: &str,
    finish: Finish,
) -> (String, Vec<Arg>) {
    let mut sql = String::from("WITH ");
    let mut args = Vec::new();
    for (i, stmt) in at_commit.into_iter().enumerate() {
        sql.push_str(&format!(
            "deferred_{i} AS ({}), ",
            shift_placeholders(&stmt.sql, args.len())
        ));
        args.extend(stmt.args);
    }
    sql.push_str(&format!(
        "appended AS (INSERT INTO journal ({ENTRY_COLUMNS}) VALUES "
    ));
    push_values(&mut sql, rows, &mut args, false);
    let move_tip = shift_placeholders(MOVE_TIP, args.len());
    args.push(last.seq.into());
    args.push(last.hash.clone().into());
    args.push(head_seq.into());
    args.push(head_hash.into());
    match finish {
        Finish::Counted => sql.push_str(&format!(") {move_tip}")),
        Finish::Checked(guards) => {
            sql.push_str(&format!("), moved AS ({move_tip} RETURNING seq)"));
            let mut check = String::from(" SELECT 1 / (SELECT COUNT(*) FROM moved)");
            for (i, guard) in guards.into_iter().enumerate() {
                sql.push_str(&format!(
                    ", guard_{i} AS ({})",
                    shift_placeholders(&guard.sql, args.len())
                ));
                args.extend(guard.args);
                check.push_str(&format!(" / (SELECT COUNT(*) FROM guard_{i})"));
            }
            sql.push_str(&check);
        }
    }
    (sql, args)
}

const ENTRY_COLUMNS: &str =
    "seq, at, actor, record_kind, record_key, action, before, after, prev_hash, hash";

/// Bound parameters per statement: under SQLite's limit (32,766) and PostgreSQL's (65,535).
const MAX_PARAMETERS: usize = 30_000;

/// Rows per multi-row insert, whatever their width: longer statements gain nothing.
const MAX_ROWS_PER_STATEMENT: usize = 500;

/// Entries read per query while walking the chain.
const VERIFY_BATCH: i64 = 5_000;

impl Store {
    /// The sequence number and hash of the journal's last entry.
    pub async fn journal_head(&self) -> Result<(i64, String), StoreError> {
        let rows: Vec<(i64, String)> = self
            .fetch(
                "SELECT seq, hash FROM journal_head WHERE id = 1".into(),
                vec![],
            )
            .await?;
        let head = rows.into_iter().next().ok_or(StoreError::Corrupt {
            what: "journal",
            reason: "the journal's tip row is missing".into(),
        })?;
        self.freshness.observed(head.0);
        Ok(head)
    }

    /// The highest sequence number of the journal this store handle or any of its clones has
    /// committed, or read with [`Store::journal_head`], without asking the database. Every
    /// change made through this process has moved it by the time its call returns; a change
    /// made by another process is seen at the next [`Store::journal_head`].
    pub fn known_head(&self) -> i64 {
        self.freshness.known_head()
    }

    /// Walks the whole chain from the first entry and reports the first broken link: an entry
    /// whose content no longer matches its hash, that does not link to the entry before it, or
    /// that is missing (a gap in the sequence, or a tip that names entries that are gone).
    pub async fn verify_history(&self) -> Result<Verification, StoreError> {
        let mut expected_seq = 1_i64;
        let mut prev_hash = GENESIS_HASH.to_owned();
        let broken = |seq: i64, reason: String, entries: i64, head: &str| Verification {
            entries,
            head_hash: head.to_owned(),
            broken: Some(BrokenLink { seq, reason }),
        };
        loop {
            let batch: Vec<JournalEntry> = self
                .fetch(
                    format!(
                        "SELECT {ENTRY_COLUMNS} FROM journal WHERE seq >= $1 ORDER BY seq LIMIT {VERIFY_BATCH}"
                    ),
                    vec![expected_seq.into()],
                )
                .await?;
            let done = (batch.len() as i64) < VERIFY_BATCH;
            for entry in batch {
                let checked = expected_seq - 1;
                if entry.seq != expected_seq {
                    return Ok(broken(
                        expected_seq,
                        format!(
                            "entry {expected_seq} is missing (the next entry is {})",
                            entry.seq
                        ),
                        checked,
                        &prev_hash,
                    ));
                }
                if entry.prev_hash != prev_hash {
                    return Ok(broken(
                        entry.seq,
                        "does not link to the entry before it (entries were removed, inserted or reordered)".into(),
                        checked,
                        &prev_hash,
                    ));
                }
                if entry.expected_hash() != entry.hash {
                    return Ok(broken(
                        entry.seq,
                        "its content does not match its hash (the entry was edited)".into(),
                        checked,
                        &prev_hash,
                    ));
                }
                prev_hash = entry.hash;
                expected_seq += 1;
            }
            if done {
                break;
            }
        }
        let entries = expected_seq - 1;
        let (head_seq, head_hash) = self.journal_head().await?;
        if head_seq != entries || head_hash != prev_hash {
            let reason = if head_seq > entries {
                format!(
                    "the journal ends at entry {entries} but its tip names entry {head_seq}: entries were removed"
                )
            } else {
                format!(
                    "the journal's tip names entry {head_seq} with another hash than the chain's end (entry {entries})"
                )
            };
            return Ok(broken(entries + 1, reason, entries, &prev_hash));
        }
        Ok(Verification {
            entries,
            head_hash: prev_hash,
            broken: None,
        })
    }

    /// A record's journal entries, oldest first; `after` continues from a sequence number.
    pub async fn history(
        &self,
        kind: &str,
        key: &str,
        after: Option<i64>,
        limit: u32,
    ) -> Result<Vec<JournalEntry>, StoreError> {
        self.fetch(
            format!(
                "SELECT {ENTRY_COLUMNS} FROM journal WHERE record_kind = $1 AND record_key = $2 \
                 AND seq > $3 ORDER BY seq LIMIT {}",
                limit.min(crate::MAX_PAGE)
            ),
            vec![kind.into(), key.into(), after.unwrap_or(0).into()],
        )
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Serialize)]
    struct Rec {
        a: u8,
        b: &'static str,
    }

    #[test]
    fn a_change_keeps_only_the_fields_that_differ() {
        let before = Rec { a: 1, b: "x" };
        let after = Rec { a: 2, b: "x" };
        let change = Change::between("rec", "k", Some(&before), Some(&after)).unwrap();
        assert_eq!(change.action, "update");
        assert_eq!(change.before, Some(serde_json::json!({"a": 1})));
        assert_eq!(change.after, Some(serde_json::json!({"a": 2})));
        assert_eq!(
            Change::between("rec", "k", Some(&before), Some(&before)),
            None
        );
        let created = Change::between::<Rec>("rec", "k", None, Some(&after)).unwrap();
        assert_eq!(created.action, "create");
        assert_eq!(created.after, Some(serde_json::json!({"a": 2, "b": "x"})));
    }

    #[test]
    fn the_hash_covers_every_field_and_the_link() {
        let entry = JournalEntry {
            seq: 1,
            at: "2026-01-01T00:00:00Z".into(),
            actor: "user:a".into(),
            record_kind: "task".into(),
            record_key: "t".into(),
            action: "update".into(),
            before: Some("{}".into()),
            after: None,
            prev_hash: GENESIS_HASH.into(),
            hash: String::new(),
        };
        let hash = entry.expected_hash();
        assert_eq!(hash.len(), 64);
        let variants = [
            JournalEntry {
                seq: 2,
                ..entry.clone()
            },
            JournalEntry {
                actor: "user:b".into(),
                ..entry.clone()
            },
            JournalEntry {
                before: None,
                ..entry.clone()
            },
            JournalEntry {
                after: Some("{}".into()),
                ..entry.clone()
            },
            JournalEntry {
                prev_hash: "1".repeat(64),
                ..entry.clone()
            },
        ];
        for variant in variants {
            assert_ne!(variant.expected_hash(), hash, "{variant:?}");
        }
    }
}
