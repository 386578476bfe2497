//! Scratch databases for tests: a fresh SQLite file, or a fresh schema in the PostgreSQL
//! server that `YRD_TEST_POSTGRES_URL` names, each migrated and private to one test.

use std::num::NonZeroU32;
use std::str::FromStr;
use std::sync::atomic::{AtomicU32, Ordering};

use sqlx::postgres::PgConnectOptions;

use crate::{PostgresConnections, Store, StoreError};

/// The variable that names the PostgreSQL server tests may use.
pub const POSTGRES_URL_VAR: &str = "YRD_TEST_POSTGRES_URL";

/// The PostgreSQL URL for tests, if one is configured.
pub fn postgres_url() -> Option<String> {
    std::env::var(POSTGRES_URL_VAR)
        .ok()
        .filter(|u| !u.trim().is_empty())
}

/// A migrated, empty database that belongs to one test.
pub struct ScratchStore {
    pub store: Store,
    /// What a `yrd` process would be given to reach the same database.
    pub url: String,
    _dir: Option<tempfile::TempDir>,
    pg_schema: Option<(String, String)>,
}

impl ScratchStore {
    /// A fresh SQLite database file in a temporary directory.
    pub async fn sqlite() -> Result<ScratchStore, StoreError> {
        let dir = tempfile::tempdir().map_err(|e| StoreError::Url {
            url: "tempdir".into(),
            reason: e.to_string(),
        })?;
        let url = format!("sqlite://{}", dir.path().join("yrd.db").display());
        let store = Store::connect(&url).await?;
        store.migrate().await?;
        Ok(ScratchStore {
            store,
            url,
            _dir: Some(dir),
            pg_schema: None,
        })
    }

    /// A fresh schema in the PostgreSQL server at `url`, first on the search path of every
    /// connection of the returned store.
    pub async fn postgres(url: &str) -> Result<ScratchStore, StoreError> {
        static COUNTER: AtomicU32 = AtomicU32::new(0);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or_default();
        let schema = format!(
            "yrd_test_{}_{}_{}",
            std::process::id(),
            nanos,
            COUNTER.fetch_add(1, Ordering::Relaxed)
        );
        let admin = Store::connect(url).await?;
        admin
            .execute_raw(&format!("CREATE SCHEMA {schema}"))
            .await?;
        admin.close().await;
        let options = PgConnectOptions::from_str(url)
            .map_err(|e| StoreError::Url {
                url: url.to_owned(),
                reason: e.to_string(),
            })?
            .options([("search_path", schema.as_str())]);
        // Writes on connections of their own, as served; few of each, so that the cases also
        // meet the waits for one.
        let store = Store::postgres(
            options,
            PostgresConnections {
                reads: NonZeroU32::new(4).expect("non-zero"),
                writes: NonZeroU32::new(2).expect("non-zero"),
            },
        )
        .await?;
        store.migrate().await?;
        let separator = if url.contains('?') { '&' } else { '?' };
        let scoped_url = format!("{url}{separator}options=-c%20search_path%3D{schema}");
        Ok(ScratchStore {
            store,
            url: scoped_url,
            _dir: None,
            pg_schema: Some((url.to_owned(), schema)),
        })
    }

    /// Closes the store and drops a PostgreSQL scratch schema (a SQLite file goes with its
    /// temporary directory).
    pub async fn cleanup(self) -> Result<(), StoreError> {
        self.store.close().await;
        if let Some((url, schema)) = &self.pg_schema {
            let admin = Store::connect(url).await?;
            admin
                .execute_raw(&format!("DROP SCHEMA {schema} CASCADE"))
                .await?;
            admin.close().await;
        }
        Ok(())
    }
}
