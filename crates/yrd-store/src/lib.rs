//! Durable storage for yrd: one [`Store`] over SQLite (the embedded default) and PostgreSQL.
//!
//! Every query is written once and runs on both engines: SQL here sticks to the dialect the
//! two share (`$n` parameters, `ON CONFLICT`, correlated subqueries), and [`on_backend!`]
//! instantiates each method body once per engine so that rows decode into the engines' native
//! types. Schemas differ only where the engines do, in `migrations/<engine>/`. On SQLite, reads
//! outside a transaction run on connections of their own, on the thread that asks
//! (`sqlite_reads`), rather than on sqlx's thread per connection.
//!
//! Reads are set-based: a list is one query per record kind, never one query per record, and
//! every filter is answered by an index.

mod account_cache;
mod accounts;
mod agreements;
mod bulk;
mod codec;
mod exec;
mod freshness;
mod import;
mod journal;
mod meetings;
mod plans;
mod problems;
mod read;
mod register_cache;
mod report_queue;
mod rows;
mod search;
mod sqlite_reads;
#[cfg(feature = "testing")]
pub mod testing;
mod write;

use std::num::NonZeroU32;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use sqlx::migrate::Migrator;
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};

pub use account_cache::RECHECK as ACCOUNT_RECHECK;
pub use accounts::*;
pub use agreements::{
    AgreementAccess, AgreementFilter, AgreementRecord, AgreementSignature, AgreementState,
    KeyError, MemberKey, NewAgreement, NewParty, Obligation, SIGNATURE_CONTEXT, is_text_hash,
    key_file, key_file_public_key, key_id, signed_message, text_hash, verifies,
};
pub use bulk::BulkBatch;
pub use freshness::RecordScope;
pub use import::ImportSummary;
pub use journal::{Author, BrokenLink, Change, GENESIS_HASH, JournalEntry, Verification};
pub use meetings::{
    CLOSED_DECISIONS, ClosedMeeting, DecisionRecord, Document, MeetingAccess, MeetingDetails,
    MeetingRecord, MeetingState, NewDecision, NewMeeting,
};
pub use plans::{
    CarryOver, NewArea, NewMatter, NewMilestone, NewPlan, NewSubtask, RECENT_TASK_REPORTS,
    TaskDetail, TaskEdit, TaskShare,
};
pub use problems::{
    ESCALATION_PERIOD_DAYS, Escalation, NewProblem, ProblemAccess, ProblemFilter, ProblemRecord,
    ProblemState, overdue_reason,
};
pub use read::*;
pub use register_cache::RECHECK as REGISTER_RECHECK;
pub use search::{MAX_QUERY_CHARS, OwedTask, SearchHit};
pub use write::*;
pub use yrd_domain;

static SQLITE_MIGRATIONS: Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES_MIGRATIONS: Migrator = sqlx::migrate!("./migrations/postgres");

/// Errors of the storage layer.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("migration failed: {0}")]
    Migration(#[from] sqlx::migrate::MigrateError),
    #[error("invalid database URL {url:?}: {reason}")]
    Url { url: String, reason: String },
    /// A stored value could not be read back into the domain (a schema/code mismatch).
    #[error("corrupt {what} in the database: {reason}")]
    Corrupt { what: &'static str, reason: String },
    /// A read of SQLite that failed ([`sqlite_reads`]).
    #[error("database error: {0}")]
    Read(String),
    #[error("invalid cursor")]
    InvalidCursor,
    /// A write refused because of the record's current state (a taken key, a stale version).
    #[error("conflict: {0}")]
    Conflict(String),
    #[error("not found: {0}")]
    NotFound(String),
    /// A write refused because a value is unacceptable.
    #[error("{field}: {reason}")]
    Invalid { field: &'static str, reason: String },
    /// A write whose outcome is unknown because what was writing it stopped.
    #[error("interrupted: {0}")]
    Interrupted(&'static str),
    /// A write taken on the tip this process knew found that another process had appended
    /// first; nothing was written. Retried under the lock inside the store, so never returned
    /// by its public methods.
    #[error("conflict: another process wrote at the same time")]
    TipMoved,
}

impl StoreError {
    pub fn invalid(field: &'static str, reason: impl Into<String>) -> StoreError {
        StoreError::Invalid {
            field,
            reason: reason.into(),
        }
    }

    /// A change made against a version of `record` (`task`, `meeting`, …) that is no longer
    /// current: refused, so that no update is silently lost.
    pub fn stale(record: &str) -> StoreError {
        StoreError::Conflict(format!(
            "the {record} changed since you read it: reload and try again"
        ))
    }

    /// Refuses a step on a version of `record` other than the one the caller read, when the
    /// caller names one.
    pub fn check_version(
        record: &str,
        current: i64,
        expected: Option<i64>,
    ) -> Result<(), StoreError> {
        match expected {
            Some(expected) if expected != current => Err(StoreError::stale(record)),
            _ => Ok(()),
        }
    }
}

/// Which engine a [`Store`] runs on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Engine {
    Sqlite,
    Postgres,
}

#[derive(Clone, Debug)]
enum Backend {
    Sqlite(SqlitePool),
    /// Reads take connections from `reads`; journalled writes from `writes`, apart.
    Postgres {
        reads: PgPool,
        writes: PgPool,
    },
}

/// How many connections a PostgreSQL store opens at most: some for reads, and apart from them
/// some for journalled writes. The writes' own connections mean a write never waits behind
/// reads for one; few of them in all keep few statements running at once, so that on a small
/// machine the database's processes do not crowd each other (and the writer holding the
/// journal's tip) out of the cores. Requests beyond them wait in the pool instead.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PostgresConnections {
    pub reads: NonZeroU32,
    /// Writes take the journal's tip one at a time; the others wait for it with a connection
    /// in hand, having read what they could before their turn.
    pub writes: NonZeroU32,
}

impl PostgresConnections {
    /// Measured on two cores at 1,000,000 tasks (BENCHMARKS.md): with 6 and 3, reports and
    /// positions answered faster at p99 than with 16 shared, and every read type within its
    /// target; with 4 for reads, writes faster still but the signed-in workspace over it.
    pub const DEFAULT: PostgresConnections = PostgresConnections {
        reads: NonZeroU32::new(6).expect("non-zero"),
        writes: NonZeroU32::new(3).expect("non-zero"),
    };
}

/// The storage of one yrd deployment. Cheap to clone: clones share the connection pools.
#[derive(Clone, Debug)]
pub struct Store {
    backend: Backend,
    /// Taken by a write before the journal's tip and held to its commit, so this process's
    /// writers queue here in order instead of all waiting on the database's lock (PostgreSQL
    /// wakes waiters of a row lock in no order; SQLite's waiters poll with sleeps). The
    /// database's lock still serialises writers of other processes. It keeps the tip as this
    /// process last committed or locked it ([`journal::Tip::Known`]).
    writers: Arc<tokio::sync::Mutex<journal::KnownTip>>,
    /// The highest sequence number of the journal this handle (or a clone) has committed or
    /// read ([`Store::known_head`]), and what the changes up to it touched.
    freshness: Arc<freshness::Freshness>,
    /// This process's progress reports waiting to be written together.
    reports: Arc<report_queue::ReportQueue>,
    /// Accounts recently read for signed-in requests.
    accounts: Arc<account_cache::AccountCache>,
    /// The register of jurisdictions as last read.
    register: Arc<register_cache::RegisterCache>,
    /// SQLite's connections for reads outside a transaction ([`sqlite_reads`]).
    sqlite_reads: Option<Arc<sqlite_reads::SqliteReaders>>,
}

/// Runs `$body` with `$pool` bound to the engine's pool; the body is compiled once per engine.
macro_rules! on_backend {
    ($store:expr, $pool:ident => $body:expr) => {
        match &$store.backend {
            $crate::Backend::Sqlite($pool) => $body,
            $crate::Backend::Postgres { reads: $pool, .. } => $body,
        }
    };
}
pub(crate) use on_backend;

impl Store {
    fn new(backend: Backend, sqlite_reads: Option<Arc<sqlite_reads::SqliteReaders>>) -> Store {
        Store {
            backend,
            sqlite_reads,
            writers: Arc::default(),
            freshness: Arc::default(),
            reports: Arc::default(),
            accounts: Arc::default(),
            register: Arc::default(),
        }
    }

    /// Connects to the database a URL names: `postgres://…` (or `postgresql://…`) selects
    /// PostgreSQL; `sqlite://PATH`, `sqlite:PATH` or a plain file path selects SQLite, creating
    /// the file if it does not exist.
    pub async fn connect(url: &str) -> Result<Store, StoreError> {
        Store::connect_with(url, PostgresConnections::DEFAULT).await
    }

    /// [`Store::connect`], opening as many PostgreSQL connections as `connections` says.
    pub async fn connect_with(
        url: &str,
        connections: PostgresConnections,
    ) -> Result<Store, StoreError> {
        let bad = |reason: String| StoreError::Url {
            url: url.to_owned(),
            reason,
        };
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let options = PgConnectOptions::from_str(url).map_err(|e| bad(e.to_string()))?;
            return Store::postgres(options, connections).await;
        }
        let path = url
            .strip_prefix("sqlite://")
            .or_else(|| url.strip_prefix("sqlite:"))
            .unwrap_or(url);
        if path.is_empty() || path.contains("://") {
            return Err(bad(
                "expected postgres://…, sqlite://PATH or a file path".into()
            ));
        }
        let options = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(true)
            // WAL lets readers proceed while a writer commits; NORMAL sync is durable in WAL
            // mode except for the last transactions on power loss, the usual trade-off.
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(5))
            // 4 MiB of page cache per connection (the default is 2 MiB) keeps the upper levels
            // of a large region's indexes in memory. 16 MiB read no faster (the file stays in
            // the system's cache) and, filled by reads alone, took eight connections' caches
            // past the server's memory budget.
            .pragma("cache_size", "-4096")
            // Rows cross from the connection's worker thread to the request through a bounded
            // channel: at sqlx's 50, a list of a few hundred rows stops the worker several
            // times, each stop a wait and a wake of two threads.
            .row_buffer_size(1024);
        let pool = SqlitePoolOptions::new()
            .max_connections(8)
            .connect_with(options)
            .await?;
        let readers = sqlite_reads::SqliteReaders::new(std::path::Path::new(path));
        Ok(Store::new(Backend::Sqlite(pool), Some(readers)))
    }

    /// A PostgreSQL store with its two pools.
    pub(crate) async fn postgres(
        options: PgConnectOptions,
        connections: PostgresConnections,
    ) -> Result<Store, StoreError> {
        let pool = |size: u32| {
            PgPoolOptions::new()
                .max_connections(size)
                .acquire_timeout(Duration::from_secs(10))
        };
        let reads = pool(connections.reads.get())
            .connect_with(options.clone())
            .await?;
        let writes = pool(connections.writes.get()).connect_with(options).await?;
        Ok(Store::new(Backend::Postgres { reads, writes }, None))
    }

    pub fn engine(&self) -> Engine {
        match self.backend {
            Backend::Sqlite(_) => Engine::Sqlite,
            Backend::Postgres { .. } => Engine::Postgres,
        }
    }

    /// Applies every pending migration of this engine.
    pub async fn migrate(&self) -> Result<(), StoreError> {
        match &self.backend {
            Backend::Sqlite(pool) => SQLITE_MIGRATIONS.run(pool).await?,
            Backend::Postgres { reads: pool, .. } => POSTGRES_MIGRATIONS.run(pool).await?,
        }
        Ok(())
    }

    /// Reverts the applied migrations newer than `version` (their down scripts, newest
    /// first). Refuses a version this yrd does not know, so a typo cannot empty the schema.
    pub async fn revert_migrations_after(&self, version: i64) -> Result<(), StoreError> {
        let migrator = match &self.backend {
            Backend::Sqlite(_) => &SQLITE_MIGRATIONS,
            Backend::Postgres { .. } => &POSTGRES_MIGRATIONS,
        };
        if !migrator.iter().any(|m| m.version == version) {
            return Err(StoreError::invalid(
                "version",
                format!(
                    "no migration {version}: this yrd knows migrations 1 to {}",
                    migrator.iter().map(|m| m.version).max().unwrap_or(0)
                ),
            ));
        }
        match &self.backend {
            Backend::Sqlite(pool) => SQLITE_MIGRATIONS.undo(pool, version).await?,
            Backend::Postgres { reads: pool, .. } => {
                POSTGRES_MIGRATIONS.undo(pool, version).await?
            }
        }
        Ok(())
    }

    /// Reverts every migration (the down scripts), leaving an empty schema.
    pub async fn revert_all_migrations(&self) -> Result<(), StoreError> {
        match &self.backend {
            Backend::Sqlite(pool) => SQLITE_MIGRATIONS.undo(pool, 0).await?,
            Backend::Postgres { reads: pool, .. } => POSTGRES_MIGRATIONS.undo(pool, 0).await?,
        }
        Ok(())
    }

    /// Checks that the database answers.
    pub async fn ping(&self) -> Result<(), StoreError> {
        on_backend!(self, pool => {
            sqlx::query("SELECT 1").execute(pool).await?;
        });
        Ok(())
    }

    /// Whether the database holds no jurisdictions yet (a fresh database).
    pub async fn is_empty(&self) -> Result<bool, StoreError> {
        let count: i64 = on_backend!(self, pool => {
            sqlx::query_scalar("SELECT COUNT(*) FROM jurisdictions").fetch_one(pool).await?
        });
        Ok(count == 0)
    }

    /// Runs one statement of constant SQL (no parameters), e.g. administrative DDL.
    pub async fn execute_raw(&self, sql: &str) -> Result<(), StoreError> {
        let sql = sqlx::AssertSqlSafe(sql.to_owned());
        on_backend!(self, pool => {
            sqlx::raw_sql(sql).execute(pool).await?;
        });
        // It may have changed anything, accounts included.
        self.accounts.accounts_changed();
        Ok(())
    }

    /// The same database as seen by another process: the same connections, but a queue of
    /// writers and a known tip of its own.
    #[cfg(feature = "testing")]
    pub fn as_another_process(&self) -> Store {
        Store::new(self.backend.clone(), self.sqlite_reads.clone())
    }

    /// Takes this process's turn at the journal's tip and keeps it until the returned guard is
    /// dropped: the writers that come meanwhile queue behind it, in the order they come.
    #[cfg(feature = "testing")]
    pub async fn hold_writers_turn(&self) -> impl Send + 'static {
        self.writers.clone().lock_owned().await
    }

    /// Closes the pools, waiting for connections to be returned.
    pub async fn close(&self) {
        if let Some(readers) = &self.sqlite_reads {
            readers.close();
        }
        if let Backend::Postgres { writes, .. } = &self.backend {
            writes.close().await;
        }
        on_backend!(self, pool => pool.close().await)
    }
}
