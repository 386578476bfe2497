//! `yrd serve`: migrate, load the built-in dataset into a fresh default database, and serve.

use std::net::SocketAddr;
use std::process::ExitCode;

use anyhow::Context;
use tokio::net::TcpListener;

use super::{Database, redact};
use crate::builtin;

pub async fn run(database: &Database, listen: SocketAddr) -> anyhow::Result<ExitCode> {
    let store = database.connect().await?;
    store.migrate().await.context("migrating the database")?;
    if store.is_empty().await? {
        if database.is_default {
            let dataset = builtin::yrd_dataset().context("reading the built-in YRD dataset")?;
            let summary = store
                .import(&dataset)
                .await
                .context("loading the built-in YRD dataset")?;
            println!(
                "loaded the built-in YRD dataset ({} records)",
                summary.changed()
            );
        } else {
            println!("the database is empty: load a dataset with `yrd import data/yrd`");
        }
    }
    let listener = TcpListener::bind(listen)
        .await
        .with_context(|| format!("listening on {listen}"))?;
    let address = listener.local_addr()?;
    println!(
        "yrd serving {} on http://{address}/ (API: http://{address}/api/v1/)",
        redact(&database.url)
    );
    yrd_web::serve(
        listener,
        yrd_web::AppState::new(store.clone()),
        shutdown_signal(),
    )
    .await
    .context("serving")?;
    store.close().await;
    Ok(ExitCode::SUCCESS)
}

/// Completes on Ctrl-C or SIGTERM, so in-flight requests finish before the process exits.
async fn shutdown_signal() {
    let interrupt = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = interrupt => {},
        () = terminate => {},
    }
    tracing::info!("shutting down");
}
