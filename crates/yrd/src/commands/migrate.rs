//! `yrd migrate`: apply pending migrations, or revert those after a version.

use std::process::ExitCode;

use anyhow::Context;

use super::{Database, redact};

pub async fn run(database: &Database, down_to: Option<i64>) -> anyhow::Result<ExitCode> {
    let store = database.connect().await?;
    match down_to {
        None => {
            store.migrate().await.context("migrating the database")?;
            println!("database {} is up to date", redact(&database.url));
        }
        Some(version) => {
            store
                .revert_migrations_after(version)
                .await
                .with_context(|| format!("reverting the migrations after {version}"))?;
            println!(
                "database {} is at migration {version}",
                redact(&database.url)
            );
        }
    }
    store.close().await;
    Ok(ExitCode::SUCCESS)
}
