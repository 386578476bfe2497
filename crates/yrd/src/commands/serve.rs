//! `yrd serve`: migrate, load the built-in dataset into a fresh default database, and serve.

use std::net::SocketAddr;
use std::process::ExitCode;

use anyhow::Context;
use tokio::net::TcpListener;

use super::{Database, author, redact};
use crate::builtin;

pub async fn run(
    database: &Database,
    listen: SocketAddr,
    keys: &std::path::Path,
    response_cache_mib: u64,
    stale_bound: std::time::Duration,
) -> anyhow::Result<ExitCode> {
    let store = database.connect().await?;
    store.migrate().await.context("migrating the database")?;
    if store.is_empty().await? {
        if database.is_default {
            let dataset = builtin::yrd_dataset().context("reading the built-in YRD dataset")?;
            let summary = store
                .import(&author("serve"), &dataset)
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
    let needs_first_account = !store.has_users().await?;
    let listener = TcpListener::bind(listen)
        .await
        .with_context(|| format!("listening on {listen}"))?;
    let address = listener.local_addr()?;
    println!(
        "yrd serving {} on http://{address}/ (API: http://{address}/api/v1/)",
        redact(&database.url)
    );
    if needs_first_account {
        // There is no default account and no default password: the first administrator is
        // created on the command line, by whoever runs the server.
        println!("no accounts yet: create the first administrator with");
        println!(
            "  yrd{} user add admin --name \"Administrator\" --role administrator --scope region --password-stdin",
            database_flag(database)
        );
    }
    // Problems unresolved past their due date escalate by themselves: now, then daily.
    let sweep = super::problems::spawn_daily_sweep(store.clone());
    yrd_web::serve(
        listener,
        yrd_web::AppState::new(store.clone())
            .with_keys(keys)
            .with_response_cache(response_cache_mib)
            .with_stale_bound(stale_bound),
        shutdown_signal(),
    )
    .await
    .context("serving")?;
    sweep.abort();
    store.close().await;
    Ok(ExitCode::SUCCESS)
}

/// The `--database` flag that reaches the same database from another command, or nothing when
/// the database is the default or comes from `YRD_DATABASE_URL` (which the other command
/// reads too). A password in the URL is never printed.
fn database_flag(database: &Database) -> String {
    let from_environment = std::env::var("YRD_DATABASE_URL").is_ok_and(|url| url == database.url);
    if database.is_default || from_environment {
        return String::new();
    }
    format!(" --database {}", shell_word(&redact(&database.url)))
}

/// A word the shell reads back as itself: quoted when it holds anything but plain characters.
fn shell_word(word: &str) -> String {
    let plain = |c: char| c.is_ascii_alphanumeric() || "/:._-,+=@%".contains(c);
    if !word.is_empty() && word.chars().all(plain) {
        word.to_owned()
    } else {
        format!("'{}'", word.replace('\'', r"'\''"))
    }
}

/// Completes on Ctrl-C or SIGTERM: the server lets in-flight requests finish before the
/// process exits, and the bench stops its server and reports nothing.
pub(super) async fn shutdown_signal() {
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

#[cfg(test)]
mod tests {
    use super::shell_word;

    #[test]
    fn printed_commands_survive_the_shell() {
        assert_eq!(shell_word("sqlite://data/yrd.db"), "sqlite://data/yrd.db");
        assert_eq!(
            shell_word("postgres://yrd:***@db/yrd?sslmode=require"),
            "'postgres://yrd:***@db/yrd?sslmode=require'"
        );
        assert_eq!(shell_word("it's"), r"'it'\''s'");
    }
}
