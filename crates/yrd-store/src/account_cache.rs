//! Accounts recently read for a signed-in request, by API token or by a session's username, so
//! that a caller signing in again and again (a script sending reports) is not read from the
//! database on every request.
//!
//! A kept account is used only while both hold:
//!
//! * no account change has committed through this process since it was read: every change to
//!   accounts, roles or tokens is journalled with the record kind `user`, and the commit of such
//!   a change moves [`AccountCache::generation`], so a revocation made here applies to the very
//!   next request;
//! * it was read less than [`RECHECK`] ago, so a change made by another process on the same
//!   database (the command line revoking a token while the server runs) applies within that.
//!
//! Only accounts found are kept: an unknown or revoked token is asked of the database each time.

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use crate::User;

/// How long a kept account is used before it is read again, for changes made by another
/// process; the same bound as for the responses a server keeps for visitors.
pub const RECHECK: Duration = Duration::from_millis(250);

/// Accounts kept at most; past this, the whole map is cleared (a deployment has far fewer
/// live credentials than this, so clearing is a guard against a flood of distinct ones).
const MAX_KEPT: usize = 4_096;

/// What an account was looked up by.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Credential {
    /// The SHA-256 digest of an API token's secret (the secret itself is never kept).
    TokenDigest(String),
    /// The username a live session names.
    Session(String),
}

struct Kept {
    user: User,
    generation: u64,
    read_at: Instant,
}

#[derive(Default)]
pub(crate) struct AccountCache {
    /// Moved by every committed account change made through this process.
    generation: AtomicU64,
    kept: Mutex<HashMap<Credential, Kept>>,
}

impl std::fmt::Debug for AccountCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AccountCache")
            .field("generation", &self.generation.load(Ordering::SeqCst))
            .finish_non_exhaustive()
    }
}

impl AccountCache {
    /// The generation to read an account under: take it before reading the database, so that
    /// an account change committed during the read leaves the account kept under an old one.
    pub(crate) fn generation(&self) -> u64 {
        self.generation.load(Ordering::SeqCst)
    }

    /// Called after an account change commits: every kept account is read again.
    pub(crate) fn accounts_changed(&self) {
        self.generation.fetch_add(1, Ordering::SeqCst);
    }

    /// The account kept for `credential`, if it is still to be used.
    pub(crate) fn get(&self, credential: &Credential) -> Option<User> {
        let kept = self
            .kept
            .lock()
            .expect("the account cache's lock is never poisoned");
        let entry = kept.get(credential)?;
        (entry.generation == self.generation() && entry.read_at.elapsed() < RECHECK)
            .then(|| entry.user.clone())
    }

    /// Keeps `user`, read from the database under `generation` at `read_at`.
    pub(crate) fn keep(
        &self,
        credential: Credential,
        user: User,
        generation: u64,
        read_at: Instant,
    ) {
        let mut kept = self
            .kept
            .lock()
            .expect("the account cache's lock is never poisoned");
        if kept.len() >= MAX_KEPT && !kept.contains_key(&credential) {
            kept.clear();
        }
        kept.insert(
            credential,
            Kept {
                user,
                generation,
                read_at,
            },
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(name: &str) -> User {
        User {
            username: name.into(),
            display_name: name.into(),
            lang: yrd_domain::Lang::En,
            disabled: false,
            has_password: false,
            assignments: Vec::new(),
        }
    }

    fn token(n: usize) -> Credential {
        Credential::TokenDigest(format!("{n:064x}"))
    }

    #[test]
    fn an_account_is_used_until_the_recheck_or_an_account_change() {
        let cache = AccountCache::default();
        let now = Instant::now();
        cache.keep(token(1), user("fresh"), cache.generation(), now);
        cache.keep(token(2), user("old"), cache.generation(), now - RECHECK);
        assert_eq!(
            cache.get(&token(1)).map(|u| u.username),
            Some("fresh".into())
        );
        assert_eq!(cache.get(&token(2)), None, "read a recheck ago");
        assert_eq!(cache.get(&token(3)), None, "never kept");
        assert_eq!(
            cache.get(&Credential::Session("fresh".into())),
            None,
            "a session's username is not a token"
        );

        // Read before a change committed: kept under the old generation, never used.
        let before = cache.generation();
        cache.accounts_changed();
        assert_eq!(cache.get(&token(1)), None, "kept before the change");
        cache.keep(token(4), user("raced"), before, Instant::now());
        assert_eq!(
            cache.get(&token(4)),
            None,
            "read while the change committed"
        );
        cache.keep(token(5), user("after"), cache.generation(), Instant::now());
        assert_eq!(
            cache.get(&token(5)).map(|u| u.username),
            Some("after".into())
        );
    }

    #[test]
    fn a_flood_of_credentials_clears_the_cache_rather_than_grow() {
        let cache = AccountCache::default();
        let now = Instant::now();
        for n in 0..MAX_KEPT {
            cache.keep(token(n), user("u"), cache.generation(), now);
        }
        assert!(cache.get(&token(0)).is_some());
        // Kept again: the map does not grow, nothing is dropped.
        cache.keep(token(0), user("u"), cache.generation(), now);
        assert!(cache.get(&token(MAX_KEPT - 1)).is_some());
        cache.keep(token(MAX_KEPT), user("u"), cache.generation(), now);
        assert!(cache.get(&token(MAX_KEPT)).is_some());
        assert_eq!(cache.get(&token(0)), None, "cleared to make room");
        assert_eq!(cache.kept.lock().unwrap().len(), 1);
    }
}
