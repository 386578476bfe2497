//! `yrd key …`: the members' Ed25519 signing keys, with which the server signs agreements for
//! a member when its coordinator signs in yrd.
//!
//! A key's private half is a PKCS#8 PEM file `<keys dir>/<member code>.pem` (mode 0600) on
//! the server; its public half is registered in the database, where every signature is
//! checked against it. Registering and retiring a key are journalled (`member_key` records).

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, anyhow};
use clap::Subcommand;
use yrd_domain::AdminCode;
use yrd_store::{KeyError, MemberKey, StoreError, key_file, key_file_public_key};

use super::{Database, author, store_error};

#[derive(Debug, Subcommand)]
pub enum KeyCommand {
    /// Make a member's signing key: the private key as <keys>/<member>.pem (mode 0600), the
    /// public key registered as the member's one active key.
    Generate {
        /// The member's six-digit code, e.g. 320000.
        #[arg(long)]
        member: String,
        /// The directory of the private keys, which `yrd serve --keys` reads.
        #[arg(long, env = "YRD_KEYS", default_value = yrd_web::DEFAULT_KEYS_DIR, value_name = "DIR")]
        keys: PathBuf,
        /// Retire the member's active key first (its signatures stay valid).
        #[arg(long)]
        replace: bool,
    },
    /// List every member's keys, retired ones included, and whether the active key's file is
    /// in place.
    List {
        /// The directory of the private keys.
        #[arg(long, env = "YRD_KEYS", default_value = yrd_web::DEFAULT_KEYS_DIR, value_name = "DIR")]
        keys: PathBuf,
    },
    /// Retire a member's active key: it signs nothing more and its file is removed; the
    /// signatures it made stay valid.
    Retire {
        /// The member's six-digit code.
        #[arg(long)]
        member: String,
        /// The directory of the private keys.
        #[arg(long, env = "YRD_KEYS", default_value = yrd_web::DEFAULT_KEYS_DIR, value_name = "DIR")]
        keys: PathBuf,
    },
}

fn member(code: &str) -> anyhow::Result<AdminCode> {
    code.parse().map_err(|e| anyhow!("--member: {e}"))
}

/// A key error as one line, the refused field named by its flag.
fn key_error(error: KeyError) -> anyhow::Error {
    match error {
        KeyError::Store(StoreError::Invalid {
            field: "member",
            reason,
        }) => {
            anyhow!("--member: {reason}")
        }
        KeyError::Store(other) => store_error(other),
        KeyError::File { path, reason } => anyhow!("{}: {reason}", path.display()),
    }
}

/// Whether the active key's file is in place: `ok`, `missing`, or what is wrong with it.
fn file_status(dir: &Path, key: &MemberKey) -> String {
    if key.retired_at.is_some() {
        return "-".into();
    }
    match key_file_public_key(dir, key.jurisdiction) {
        Ok(public) if public == key.public_key => "ok".into(),
        Ok(_) => "another key".into(),
        Err(reason) => reason,
    }
}

pub async fn run(database: &Database, command: KeyCommand) -> anyhow::Result<ExitCode> {
    let store = database.connect().await?;
    store.migrate().await.context("migrating the database")?;
    match command {
        KeyCommand::Generate {
            member: code,
            keys,
            replace,
        } => {
            let member = member(&code)?;
            let key = store
                .generate_member_key(&author("key generate"), member, &keys, replace)
                .await
                .map_err(key_error)?;
            println!(
                "generated key {} for {member}: public key {}; private key in {} (mode 0600)",
                key.id,
                key.public_key,
                key_file(&keys, member).display()
            );
        }
        KeyCommand::List { keys } => {
            let all = store.member_keys().await?;
            if all.is_empty() {
                println!("no keys yet: make one with `yrd key generate --member <code>`");
            } else {
                println!(
                    "{:<16}  {:<6}  {:<30}  {:<30}  {:<11}  PUBLIC KEY",
                    "ID", "MEMBER", "CREATED", "RETIRED", "FILE"
                );
                for key in &all {
                    println!(
                        "{:<16}  {:<6}  {:<30}  {:<30}  {:<11}  {}",
                        key.id,
                        key.jurisdiction.to_string(),
                        key.created_at,
                        key.retired_at.as_deref().unwrap_or("-"),
                        file_status(&keys, key),
                        key.public_key
                    );
                }
            }
        }
        KeyCommand::Retire { member: code, keys } => {
            let member = member(&code)?;
            let (key, removed) = store
                .retire_member_key(&author("key retire"), member, &keys)
                .await
                .map_err(key_error)?;
            let file = key_file(&keys, member);
            if removed {
                println!(
                    "retired key {} of {member}; removed {}",
                    key.id,
                    file.display()
                );
            } else {
                println!(
                    "retired key {} of {member}; {} did not hold it, so it was left alone",
                    key.id,
                    file.display()
                );
            }
        }
    }
    store.close().await;
    Ok(ExitCode::SUCCESS)
}
