//! `yrd migrate`: apply pending migrations.

use std::process::ExitCode;

use anyhow::Context;

use super::{Database, redact};

pub async fn run(database: &Database) -> anyhow::Result<ExitCode> {
    let store = database.connect().await?;
    store.migrate().await.context("migrating the database")?;
    println!("database {} is up to date", redact(&database.url));
    store.close().await;
    Ok(ExitCode::SUCCESS)
}
