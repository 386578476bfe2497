//! The bench's accounts and credentials, made directly in the store before the server starts:
//! a coordinator for each member jurisdiction and one region-wide office account, each with a
//! fresh API token, and a session for each coordinator (for the signed-in pages, so that no
//! request in the loop pays for a password check). The accounts stay between runs (creating
//! them is idempotent); the tokens and sessions are ended when the run ends. Also the
//! journal's length once they are made, which the run's sample is drawn from.

use std::time::Duration;

use anyhow::{Context, bail};
use yrd_domain::AdminCode;
use yrd_domain::access::{Assignment, Role, Scope};
use yrd_store::{Author, NewUser, Store};

use crate::builtin;
use crate::commands::{Database, author, store_error};

/// The office account: schedules a meeting when the database has none to take positions on.
const OFFICE: &str = "bench-office";

/// What a worker signs in with.
#[derive(Clone, Debug)]
pub struct Credential {
    pub username: String,
    /// The token's id, to revoke it afterwards.
    pub token_id: String,
    /// Sent as `Authorization: Bearer …`.
    pub token: String,
    /// The session id, sent as the session cookie; only coordinators have one.
    pub session: Option<String>,
}

/// The bench's accounts, with live credentials.
#[derive(Debug)]
pub struct Accounts {
    pub office: Credential,
    /// One coordinator per member jurisdiction, by code.
    pub coordinators: Vec<(AdminCode, Credential)>,
}

impl Accounts {
    /// The coordinator of `member`, if it is a member jurisdiction.
    pub fn coordinator(&self, member: &str) -> Option<&Credential> {
        self.coordinators
            .iter()
            .find(|(code, _)| code.to_string() == member)
            .map(|(_, credential)| credential)
    }
}

/// What the run starts from: its accounts, and the journal's length once they are made.
#[derive(Debug)]
pub struct Prepared {
    pub accounts: Accounts,
    /// Grows with every run (its tokens and writes are journaled), so a sample drawn from it
    /// differs run after run on a kept database, and repeats on a copy of the same one.
    pub journal_length: i64,
}

/// Creates (or finds) the bench accounts and gives each fresh credentials whose sessions last
/// `lifetime`. An empty default database gets the built-in YRD dataset first, as `yrd serve`
/// would load it.
pub async fn prepare(database: &Database, lifetime: Duration) -> anyhow::Result<Prepared> {
    let store = database.connect().await?;
    store.migrate().await.context("migrating the database")?;
    let outcome = prepare_in(&store, database, lifetime).await;
    store.close().await;
    outcome
}

async fn prepare_in(
    store: &Store,
    database: &Database,
    lifetime: Duration,
) -> anyhow::Result<Prepared> {
    let author = author("bench");
    if store.is_empty().await? {
        if !database.is_default {
            bail!("the database is empty: load a dataset first, e.g. `yrd import data/yrd`");
        }
        let dataset = builtin::yrd_dataset().context("reading the built-in YRD dataset")?;
        store
            .import(&author, &dataset)
            .await
            .context("loading the built-in YRD dataset")?;
    }
    // The members are the jurisdictions at the top of the tree, whatever the region.
    let members: Vec<AdminCode> = store
        .jurisdictions()
        .await?
        .into_iter()
        .filter(|j| j.parent.is_none())
        .map(|j| j.code)
        .collect();
    if members.is_empty() {
        bail!("the database has no member jurisdictions (jurisdictions without a parent)");
    }
    let lifetime = i64::try_from(lifetime.as_secs()).unwrap_or(i64::MAX / 2);
    let office = account(
        store,
        &author,
        OFFICE,
        "Bench office",
        Assignment::new(Role::OfficeStaff, Scope::Region),
        None,
    )
    .await?;
    let mut coordinators = Vec::with_capacity(members.len());
    for code in members {
        let credential = account(
            store,
            &author,
            &format!("bench-coordinator-{code}"),
            &format!("Bench coordinator {code}"),
            Assignment::new(Role::MemberCoordinator, Scope::Jurisdiction(code)),
            Some(lifetime),
        )
        .await?;
        coordinators.push((code, credential));
    }
    let (journal_length, _) = store.journal_head().await?;
    Ok(Prepared {
        accounts: Accounts {
            office,
            coordinators,
        },
        journal_length,
    })
}

/// The account `username` holding `assignment` (created token-only, or granted the role if it
/// exists without it), with a new token and, given a lifetime, a new session.
async fn account(
    store: &Store,
    author: &Author,
    username: &str,
    display_name: &str,
    assignment: Result<Assignment, String>,
    session_lifetime: Option<i64>,
) -> anyhow::Result<Credential> {
    let assignment = assignment.map_err(anyhow::Error::msg)?;
    if store.user(username).await?.is_some() {
        store
            .grant(author, username, &assignment)
            .await
            .map_err(store_error)?;
    } else {
        let new = NewUser {
            username: username.to_owned(),
            display_name: display_name.to_owned(),
            lang: yrd_domain::Lang::Zh,
            // Token-only: the bench never signs in with a password.
            password_hash: None,
        };
        store
            .create_user(author, &new, std::slice::from_ref(&assignment))
            .await
            .map_err(store_error)?;
    }
    let (info, token) = store
        .create_token(author, username, "yrd bench")
        .await
        .map_err(store_error)?;
    let session = match session_lifetime {
        Some(lifetime) => Some(store.create_session(username, lifetime).await?.0),
        None => None,
    };
    Ok(Credential {
        username: username.to_owned(),
        token_id: info.id,
        token,
        session,
    })
}

/// Revokes the run's tokens and ends its sessions.
pub async fn retire(database: &Database, accounts: &Accounts) -> anyhow::Result<()> {
    let store = database.connect().await?;
    let author = author("bench");
    let mut outcome = Ok(());
    let all = std::iter::once(&accounts.office).chain(accounts.coordinators.iter().map(|(_, c)| c));
    for credential in all {
        let revoked = store
            .revoke_token(&author, &credential.token_id)
            .await
            .map(|_| ());
        let ended = match &credential.session {
            Some(id) => store.end_session(id).await,
            None => Ok(()),
        };
        if let Err(e) = revoked.and(ended) {
            outcome = Err(anyhow::Error::new(e).context(format!("for {}", credential.username)));
        }
    }
    store.close().await;
    outcome
}
