//! `yrd export DIR`: write the database as a dataset directory.

use std::path::Path;
use std::process::ExitCode;

use anyhow::Context;

use super::Database;

pub async fn run(database: &Database, dir: &Path) -> anyhow::Result<ExitCode> {
    let store = database.connect().await?;
    store.migrate().await.context("migrating the database")?;
    let dataset = store.export().await.context("reading the database")?;
    store.close().await;
    yrd_dataset::write_dir(&dataset, dir).with_context(|| format!("writing {}", dir.display()))?;
    println!(
        "exported {} jurisdictions, {} meetings, {} plans, {} matters, {} tasks, {} indicators to {}",
        dataset.jurisdictions.len(),
        dataset.meetings.len(),
        dataset.plans.len(),
        dataset.matters.len(),
        dataset.tasks.len(),
        dataset.indicators.len(),
        dir.display()
    );
    Ok(ExitCode::SUCCESS)
}
