//! `yrd token …`: API tokens, with which scripts and other systems act for an account.

use std::process::ExitCode;

use anyhow::{Context, bail};
use clap::Subcommand;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::{Database, author, store_error};

#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Create an API token for an account and print its secret.
    ///
    /// The secret (it starts with `yrd_`) is printed alone on standard output, once: yrd keeps
    /// only a digest of it and cannot show it again. Send it as `Authorization: Bearer SECRET`.
    Create {
        /// The account the token acts for.
        username: String,
        /// What the token is for, e.g. "nightly export" (1–100 characters).
        #[arg(long)]
        name: String,
    },
    /// List an account's tokens, revoked ones included (never their secrets).
    List {
        /// The account's username.
        username: String,
    },
    /// Revoke a token: it stops working at once.
    Revoke {
        /// The token's id, as `yrd token list` shows it.
        id: String,
    },
}

pub async fn run(database: &Database, command: TokenCommand) -> anyhow::Result<ExitCode> {
    let store = database.connect().await?;
    store.migrate().await.context("migrating the database")?;
    let outcome = match command {
        TokenCommand::Create { username, name } => {
            let (info, secret) = store
                .create_token(&author("token create"), &username, &name)
                .await
                .map_err(store_error)?;
            println!("{secret}");
            eprintln!(
                "created token {} ({:?}) for {username}: the secret above is shown only this once",
                info.id, info.name
            );
            ExitCode::SUCCESS
        }
        TokenCommand::List { username } => {
            if store.user(&username).await?.is_none() {
                bail!("user {username:?} does not exist");
            }
            let tokens = store.tokens(&username).await?;
            if tokens.is_empty() {
                println!("{username} has no tokens");
            } else {
                let id_width = tokens.iter().map(|t| t.id.len()).max().unwrap_or(0).max(2);
                println!(
                    "{:<id_width$}  {:<20}  {:<20}  NAME",
                    "ID", "CREATED", "REVOKED"
                );
                for token in &tokens {
                    println!(
                        "{:<id_width$}  {:<20}  {:<20}  {}",
                        token.id,
                        timestamp(token.created_at),
                        token.revoked_at.map_or_else(|| "-".to_owned(), timestamp),
                        token.name
                    );
                }
            }
            ExitCode::SUCCESS
        }
        TokenCommand::Revoke { id } => {
            let Some(token) = store.token(&id).await? else {
                bail!("token {id:?} does not exist");
            };
            if let Some(revoked_at) = token.revoked_at {
                println!(
                    "token {id} ({:?}) of {} was already revoked at {}: nothing changed",
                    token.name,
                    token.username,
                    timestamp(revoked_at)
                );
            } else {
                store
                    .revoke_token(&author("token revoke"), &id)
                    .await
                    .map_err(store_error)?;
                println!(
                    "revoked token {id} ({:?}) of {}",
                    token.name, token.username
                );
            }
            ExitCode::SUCCESS
        }
    };
    store.close().await;
    Ok(outcome)
}

/// Seconds since the epoch as an RFC 3339 time in UTC.
fn timestamp(seconds: i64) -> String {
    OffsetDateTime::from_unix_timestamp(seconds)
        .ok()
        .and_then(|t| t.format(&Rfc3339).ok())
        .unwrap_or_else(|| seconds.to_string())
}
