//! The subcommands, and how they find the database.

pub mod bench;
mod export;
pub mod generate;
mod import;
pub mod key;
mod migrate;
pub mod problems;
mod serve;
pub mod token;
pub mod user;
mod verify;

use std::path::Path;
use std::process::ExitCode;

use anyhow::Context;
use yrd_store::{Author, PostgresConnections, Store, StoreError};

use crate::{Cli, Command};

/// Where yrd keeps its database when none is configured.
pub const DEFAULT_SQLITE_PATH: &str = "yrd-data/yrd.db";

/// The database a command works on, whether it is the unconfigured default, and how many
/// connections to open to it (PostgreSQL).
pub struct Database {
    pub url: String,
    pub is_default: bool,
    pub connections: PostgresConnections,
}

impl Database {
    fn from_cli(configured: Option<String>, connections: PostgresConnections) -> Database {
        match configured.filter(|url| !url.trim().is_empty()) {
            Some(url) => Database {
                url,
                is_default: false,
                connections,
            },
            None => Database {
                url: format!("sqlite://{DEFAULT_SQLITE_PATH}"),
                is_default: true,
                connections,
            },
        }
    }

    /// Connects, creating the default SQLite file's directory first if needed.
    pub async fn connect(&self) -> anyhow::Result<Store> {
        if self.is_default {
            let dir = Path::new(DEFAULT_SQLITE_PATH)
                .parent()
                .unwrap_or(Path::new("."));
            std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        }
        Store::connect_with(&self.url, self.connections)
            .await
            .with_context(|| format!("connecting to {}", redact(&self.url)))
    }
}

/// How the journal names a write made by `command` (e.g. `user add`): with the operating-system
/// user who ran it, from `USER`.
pub fn author(command: &str) -> Author {
    let os_user = std::env::var("USER")
        .ok()
        .filter(|user| !user.trim().is_empty())
        .unwrap_or_else(|| "unknown".to_owned());
    Author::Command {
        command: command.to_owned(),
        os_user,
    }
}

/// A storage error as one line for a person at a terminal: what is wrong, in the words of the
/// command line (a refused field is named by its flag).
pub fn store_error(error: StoreError) -> anyhow::Error {
    match error {
        StoreError::Conflict(what) => anyhow::anyhow!("{what}"),
        StoreError::NotFound(what) => anyhow::anyhow!("{what} does not exist"),
        StoreError::Invalid { field, reason } => {
            let field = match field {
                "display_name" | "name" => "--name",
                other => other,
            };
            anyhow::anyhow!("{field}: {reason}")
        }
        other => anyhow::Error::new(other),
    }
}

/// The URL without its password, for messages.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let credentials = &url[scheme + 3..at];
            match credentials.find(':') {
                Some(colon) => format!(
                    "{}{}:***{}",
                    &url[..scheme + 3],
                    &credentials[..colon],
                    &url[at..]
                ),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

pub async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let connections = PostgresConnections {
        reads: cli.postgres_read_connections,
        writes: cli.postgres_write_connections,
    };
    let database = Database::from_cli(cli.database, connections);
    match cli.command {
        Command::Serve {
            listen,
            keys,
            response_cache_mib,
            response_stale_ms,
        } => {
            let stale_bound = std::time::Duration::from_millis(response_stale_ms);
            serve::run(&database, listen, &keys, response_cache_mib, stale_bound).await
        }
        Command::Migrate { down_to } => migrate::run(&database, down_to).await,
        Command::Import { dir } => import::run(&database, &dir).await,
        Command::Export { dir } => export::run(&database, &dir).await,
        Command::User(command) => user::run(&database, command).await,
        Command::Token(command) => token::run(&database, command).await,
        Command::Key(command) => key::run(&database, command).await,
        Command::Problems(command) => problems::run(&database, command).await,
        Command::VerifyHistory => verify::run(&database).await,
        Command::Bench(args) => bench::run(&database, args).await,
        Command::Generate(args) => generate::run(&database, args).await,
    }
}

#[cfg(test)]
mod tests {
    use super::redact;

    #[test]
    fn passwords_never_reach_messages() {
        assert_eq!(
            redact("postgres://yrd:secret@127.0.0.1:5432/yrd"),
            "postgres://yrd:***@127.0.0.1:5432/yrd"
        );
        assert_eq!(redact("postgres://yrd@host/db"), "postgres://yrd@host/db");
        assert_eq!(
            redact("sqlite://yrd-data/yrd.db"),
            "sqlite://yrd-data/yrd.db"
        );
    }
}
