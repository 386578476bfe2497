//! The subcommands, and how they find the database.

mod export;
mod import;
mod migrate;
mod serve;

use std::path::Path;
use std::process::ExitCode;

use anyhow::Context;
use yrd_store::Store;

use crate::{Cli, Command};

/// Where yrd keeps its database when none is configured.
pub const DEFAULT_SQLITE_PATH: &str = "yrd-data/yrd.db";

/// The database a command works on, and whether it is the unconfigured default.
pub struct Database {
    pub url: String,
    pub is_default: bool,
}

impl Database {
    fn from_cli(configured: Option<String>) -> Database {
        match configured.filter(|url| !url.trim().is_empty()) {
            Some(url) => Database {
                url,
                is_default: false,
            },
            None => Database {
                url: format!("sqlite://{DEFAULT_SQLITE_PATH}"),
                is_default: true,
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
        Store::connect(&self.url)
            .await
            .with_context(|| format!("connecting to {}", redact(&self.url)))
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
    let database = Database::from_cli(cli.database);
    match cli.command {
        Command::Serve { listen } => serve::run(&database, listen).await,
        Command::Migrate => migrate::run(&database).await,
        Command::Import { dir } => import::run(&database, &dir).await,
        Command::Export { dir } => export::run(&database, &dir).await,
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
