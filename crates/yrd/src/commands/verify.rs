//! `yrd verify-history`: walk the hash-chained journal and report the first broken link.

use std::process::ExitCode;

use anyhow::Context;

use super::{Database, store_error};

pub async fn run(database: &Database) -> anyhow::Result<ExitCode> {
    let store = database.connect().await?;
    store.migrate().await.context("migrating the database")?;
    let verification = store.verify_history().await.map_err(store_error)?;
    store.close().await;
    match verification.broken {
        None => {
            println!(
                "history intact: {} entries, head {}",
                verification.entries, verification.head_hash
            );
            Ok(ExitCode::SUCCESS)
        }
        Some(broken) => {
            eprintln!("history broken at entry {}: {}", broken.seq, broken.reason);
            eprintln!(
                "the {} entries before it are intact, ending with hash {}",
                verification.entries, verification.head_hash
            );
            Ok(ExitCode::FAILURE)
        }
    }
}
