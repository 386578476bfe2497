//! `yrd import DIR`: validate a dataset directory, then import it in one transaction.

use std::path::Path;
use std::process::ExitCode;

use anyhow::Context;
use yrd_store::ImportSummary;

use super::{Database, author};

pub async fn run(database: &Database, dir: &Path) -> anyhow::Result<ExitCode> {
    // Everything is validated before the database is touched, so a bad row writes nothing.
    let dataset = match yrd_dataset::read_dir(dir) {
        Ok(dataset) => dataset,
        Err(errors) => {
            eprintln!("{errors}");
            eprintln!("{} not imported: nothing was written", dir.display());
            return Ok(ExitCode::FAILURE);
        }
    };
    let store = database.connect().await?;
    store.migrate().await.context("migrating the database")?;
    let summary = store
        .import(&author("import"), &dataset)
        .await
        .context("importing")?;
    print_summary(dir, &summary);
    store.close().await;
    Ok(ExitCode::SUCCESS)
}

pub fn print_summary(dir: &Path, summary: &ImportSummary) {
    println!(
        "imported {}: {} records changed",
        dir.display(),
        summary.changed()
    );
    println!(
        "{:<15} {:>9} {:>9} {:>10}",
        "kind", "inserted", "updated", "unchanged"
    );
    for (kind, counts) in &summary.kinds {
        println!(
            "{kind:<15} {:>9} {:>9} {:>10}",
            counts.inserted, counts.updated, counts.unchanged
        );
    }
}
