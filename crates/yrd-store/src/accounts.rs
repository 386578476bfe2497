//! Accounts and credentials: users and their role assignments (journalled like every record),
//! password hashing, server-side sessions, API tokens and the throttling of failed sign-ins.
//!
//! Secrets never rest in the database: passwords are stored as argon2id hashes, session ids
//! and API tokens as SHA-256 digests (they are long random strings, so a fast hash suffices).
//! Sessions and throttling counters are operational state, not records of the mechanism, and
//! are not journalled; account and role changes and token creation and revocation are.

use std::time::Instant;

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use serde::Serialize;
use serde_json::json;
use sha2::{Digest, Sha256};
use time::OffsetDateTime;
use yrd_domain::Lang;
use yrd_domain::access::{Assignment, Role, Scope};

use crate::account_cache::Credential;
use crate::journal::{Author, Change, JournalTx, hex};
use crate::{Store, StoreError};

/// A user account with its roles. Never carries the password hash.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct User {
    pub username: String,
    pub display_name: String,
    pub lang: Lang,
    pub disabled: bool,
    pub has_password: bool,
    pub assignments: Vec<Assignment>,
}

/// What creating an account needs.
#[derive(Clone, Debug)]
pub struct NewUser {
    pub username: String,
    pub display_name: String,
    pub lang: Lang,
    /// An argon2id hash from [`hash_password`], or None for a token-only account.
    pub password_hash: Option<String>,
}

/// An API token's public part.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, sqlx::FromRow, serde::Deserialize)]
pub struct TokenInfo {
    pub id: String,
    pub username: String,
    pub name: String,
    pub created_at: i64,
    pub revoked_at: Option<i64>,
}

/// A signed-in session.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Session {
    pub username: String,
    /// The token forms must echo back (synchroniser-token CSRF protection).
    pub csrf_token: String,
    pub expires_at: i64,
}

/// Throttling of failed sign-ins.
pub mod throttle {
    /// Failures counted per window.
    pub const WINDOW_SECONDS: i64 = 15 * 60;
    /// Failures an account may have in a window before sign-in is refused for the rest of it.
    pub const MAX_PER_ACCOUNT: i64 = 5;
    /// Failures one client address may have in a window (it may be a shared office gateway).
    pub const MAX_PER_ADDRESS: i64 = 30;
}

/// Whether a username is acceptable: 2–64 of lowercase letters, digits, `.`, `_`, `-`.
pub fn is_valid_username(name: &str) -> bool {
    (2..=64).contains(&name.len())
        && name.as_bytes()[0].is_ascii_alphanumeric()
        && name.bytes().all(|b| {
            b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'.' | b'_' | b'-')
        })
}

/// The shortest password accepted.
pub const MIN_PASSWORD_CHARS: usize = 12;

/// Hashes a password with argon2id (the crate's default, OWASP-recommended parameters) and a
/// random salt, into a PHC string.
pub fn hash_password(password: &str) -> String {
    let salt = SaltString::encode_b64(&random_bytes::<16>()).expect("16 bytes is a valid salt");
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .expect("argon2id hashes any password with default parameters")
        .to_string()
}

/// Whether `password` matches a PHC hash. A malformed hash matches nothing.
pub fn verify_password(hash: &str, password: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|parsed| {
        Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok()
    })
}

/// A hash to verify against when the account does not exist, so that a wrong username costs
/// as long as a wrong password and timing does not reveal which accounts exist.
pub fn decoy_hash() -> &'static str {
    static DECOY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DECOY.get_or_init(|| hash_password("decoy password that matches nothing"))
}

pub(crate) fn random_bytes<const N: usize>() -> [u8; N] {
    let mut bytes = [0u8; N];
    getrandom::fill(&mut bytes).expect("the operating system provides randomness");
    bytes
}

/// A fresh random secret (256 bits), as 64 hex digits: session ids, tokens, CSRF tokens.
pub fn random_secret() -> String {
    hex(&random_bytes::<32>())
}

/// The record kind every change to an account, its roles or its tokens is journalled under.
pub(crate) const ACCOUNT_RECORD_KIND: &str = "user";

fn digest(secret: &str) -> String {
    hex(&Sha256::digest(secret.as_bytes()))
}

fn now() -> i64 {
    OffsetDateTime::now_utc().unix_timestamp()
}

#[derive(sqlx::FromRow, serde::Deserialize)]
struct UserRow {
    username: String,
    display_name: String,
    lang: String,
    disabled: bool,
    password_hash: Option<String>,
    /// One of the account's role assignments; all three `None` when it has none.
    role: Option<String>,
    scope_kind: Option<String>,
    scope_key: Option<String>,
}

fn assignment_from_row(
    role: &str,
    scope_kind: &str,
    scope_key: &str,
) -> Result<Assignment, StoreError> {
    let corrupt = |reason: String| StoreError::Corrupt {
        what: "role assignment",
        reason,
    };
    let role: Role = role.parse().map_err(corrupt)?;
    let scope = Scope::from_parts(scope_kind, scope_key).map_err(corrupt)?;
    Assignment::new(role, scope).map_err(corrupt)
}

fn lang_name(lang: Lang) -> &'static str {
    match lang {
        Lang::Zh => "zh",
        Lang::En => "en",
    }
}

/// The (username, role, scope_kind, scope_key) parameters of a role assignment row.
fn assignment_args(username: &str, assignment: &Assignment) -> Vec<crate::exec::Arg> {
    let (kind, key) = assignment.scope().parts();
    vec![
        username.into(),
        assignment.role().name().into(),
        kind.into(),
        key.into(),
    ]
}

fn assignment_json(assignment: &Assignment) -> serde_json::Value {
    let (kind, key) = assignment.scope().parts();
    json!({"role": assignment.role().name(), "scope": kind, "scope_key": key})
}

impl Store {
    /// Whether any account exists (a new deployment has none).
    pub async fn has_users(&self) -> Result<bool, StoreError> {
        let rows: Vec<(i64,)> = self
            .fetch("SELECT COUNT(*) FROM users".into(), vec![])
            .await?;
        Ok(rows.first().is_some_and(|(n,)| *n > 0))
    }

    /// One account with its roles.
    pub async fn user(&self, username: &str) -> Result<Option<User>, StoreError> {
        Ok(self
            .load_users("WHERE u.username = $1", vec![username.into()])
            .await?
            .into_iter()
            .next())
    }

    /// Every account, by username.
    pub async fn users(&self) -> Result<Vec<User>, StoreError> {
        self.load_users("", vec![]).await
    }

    /// The accounts `filter` (a `WHERE` clause on `users u`) selects, each with its roles: one
    /// query, one row per assignment, since every signed-in request reads its account.
    async fn load_users(
        &self,
        filter: &'static str,
        args: Vec<crate::exec::Arg>,
    ) -> Result<Vec<User>, StoreError> {
        let rows: Vec<UserRow> = self
            .fetch(
                format!(
                    "SELECT u.username, u.display_name, u.lang, u.disabled, u.password_hash, \
                     a.role, a.scope_kind, a.scope_key \
                     FROM users u LEFT JOIN role_assignments a ON a.username = u.username {filter} \
                     ORDER BY u.username, a.role, a.scope_kind, a.scope_key"
                ),
                args,
            )
            .await?;
        let mut users: Vec<User> = Vec::new();
        for row in rows {
            if users.last().is_none_or(|u| u.username != row.username) {
                users.push(User {
                    assignments: Vec::new(),
                    lang: if row.lang == "en" { Lang::En } else { Lang::Zh },
                    has_password: row.password_hash.is_some(),
                    username: row.username,
                    display_name: row.display_name,
                    disabled: row.disabled,
                });
            }
            if let (Some(role), Some(kind), Some(key)) =
                (&row.role, &row.scope_kind, &row.scope_key)
            {
                let user = users.last_mut().expect("pushed above");
                user.assignments.push(assignment_from_row(role, kind, key)?);
            }
        }
        Ok(users)
    }

    /// Creates an account with its first roles, in one journalled transaction.
    pub async fn create_user(
        &self,
        author: &Author,
        new: &NewUser,
        assignments: &[Assignment],
    ) -> Result<User, StoreError> {
        if !is_valid_username(&new.username) {
            return Err(StoreError::invalid(
                "username",
                "2–64 lowercase letters, digits, '.', '_' or '-', starting with a letter or digit",
            ));
        }
        if new.display_name.trim().is_empty() {
            return Err(StoreError::invalid("display_name", "required, but empty"));
        }
        let mut tx = JournalTx::begin(self, author).await?;
        let inserted = tx
            .execute(
                "INSERT INTO users (username, display_name, lang, password_hash, disabled, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (username) DO NOTHING",
                vec![
                    new.username.clone().into(),
                    new.display_name.clone().into(),
                    lang_name(new.lang).into(),
                    new.password_hash.clone().into(),
                    false.into(),
                    now().into(),
                ],
            )
            .await?;
        if inserted == 0 {
            return Err(StoreError::Conflict(format!(
                "the username {:?} is taken",
                new.username
            )));
        }
        tx.record(Change::new(
            ACCOUNT_RECORD_KIND,
            &new.username,
            "create",
            None,
            Some(json!({
                "display_name": new.display_name,
                "lang": lang_name(new.lang),
                // Only whether a password is set is journalled, never the hash.
                "password": if new.password_hash.is_some() { "set" } else { "none" },
            })),
        ));
        for assignment in assignments {
            insert_assignment(&mut tx, &new.username, assignment).await?;
        }
        tx.commit().await?;
        self.user(&new.username)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("user {:?}", new.username)))
    }

    /// Replaces an account's password hash.
    pub async fn set_password(
        &self,
        author: &Author,
        username: &str,
        password_hash: &str,
    ) -> Result<(), StoreError> {
        let mut tx = JournalTx::begin(self, author).await?;
        let changed = tx
            .execute(
                "UPDATE users SET password_hash = $1 WHERE username = $2",
                vec![password_hash.into(), username.into()],
            )
            .await?;
        if changed == 0 {
            return Err(StoreError::NotFound(format!("user {username:?}")));
        }
        // Every session of the account ends with its old password.
        tx.execute(
            "DELETE FROM sessions WHERE username = $1",
            vec![username.into()],
        )
        .await?;
        tx.record(Change::new(
            ACCOUNT_RECORD_KIND,
            username,
            "set_password",
            None,
            Some(json!({"password": "changed"})),
        ));
        tx.commit().await?;
        Ok(())
    }

    /// Grants a role. Returns false when the account already held it (nothing is written).
    pub async fn grant(
        &self,
        author: &Author,
        username: &str,
        assignment: &Assignment,
    ) -> Result<bool, StoreError> {
        let mut tx = JournalTx::begin(self, author).await?;
        let exists: Vec<(String,)> = tx
            .fetch(
                "SELECT username FROM users WHERE username = $1",
                vec![username.into()],
            )
            .await?;
        if exists.is_empty() {
            return Err(StoreError::NotFound(format!("user {username:?}")));
        }
        let granted = insert_assignment(&mut tx, username, assignment).await?;
        tx.commit().await?;
        Ok(granted)
    }

    /// Revokes a role. Returns false when the account did not hold it (nothing is written).
    pub async fn revoke(
        &self,
        author: &Author,
        username: &str,
        assignment: &Assignment,
    ) -> Result<bool, StoreError> {
        let mut tx = JournalTx::begin(self, author).await?;
        let removed = tx
            .execute(
                "DELETE FROM role_assignments WHERE username = $1 AND role = $2 AND scope_kind = $3 \
                 AND scope_key = $4",
                assignment_args(username, assignment),
            )
            .await?;
        if removed > 0 {
            tx.record(Change::new(
                ACCOUNT_RECORD_KIND,
                username,
                "revoke",
                Some(assignment_json(assignment)),
                None,
            ));
        }
        tx.commit().await?;
        Ok(removed > 0)
    }

    /// Checks a password sign-in, honouring and updating the failure throttle. Returns the
    /// account on success.
    pub async fn check_sign_in(
        &self,
        username: &str,
        password: &str,
        address: &str,
    ) -> Result<SignIn, StoreError> {
        let now = now();
        if let Some(retry_after) = self.throttled(username, address, now).await? {
            return Ok(SignIn::Throttled { retry_after });
        }
        let rows: Vec<(Option<String>, bool)> = self
            .fetch(
                "SELECT password_hash, disabled FROM users WHERE username = $1".into(),
                vec![username.into()],
            )
            .await?;
        let (hash, disabled) = rows.into_iter().next().unwrap_or((None, true));
        let hash_to_check = hash.clone().unwrap_or_else(|| decoy_hash().to_owned());
        let password = password.to_owned();
        let matches =
            tokio::task::spawn_blocking(move || verify_password(&hash_to_check, &password))
                .await
                .unwrap_or(false);
        if matches && hash.is_some() && !disabled {
            self.execute_batch(vec![crate::exec::Stmt {
                sql: "DELETE FROM sign_in_failures WHERE scope = 'account' AND key = $1",
                args: vec![username.into()],
            }])
            .await?;
            return Ok(SignIn::Accepted);
        }
        self.count_failure("account", username, now).await?;
        self.count_failure("address", address, now).await?;
        Ok(SignIn::Rejected)
    }

    /// Seconds until sign-in may be tried again, if the account or address is throttled.
    async fn throttled(
        &self,
        username: &str,
        address: &str,
        now: i64,
    ) -> Result<Option<i64>, StoreError> {
        let rows: Vec<(String, i64, i64)> = self
            .fetch(
                "SELECT scope, window_start, failures FROM sign_in_failures \
                 WHERE (scope = 'account' AND key = $1) OR (scope = 'address' AND key = $2)"
                    .into(),
                vec![username.into(), address.into()],
            )
            .await?;
        Ok(rows
            .into_iter()
            .filter(|(scope, start, failures)| {
                let limit = if scope == "account" {
                    throttle::MAX_PER_ACCOUNT
                } else {
                    throttle::MAX_PER_ADDRESS
                };
                now < start + throttle::WINDOW_SECONDS && *failures >= limit
            })
            .map(|(_, start, _)| start + throttle::WINDOW_SECONDS - now)
            .max())
    }

    async fn count_failure(&self, scope: &str, key: &str, now: i64) -> Result<(), StoreError> {
        // A window that has passed starts again at one failure.
        self.execute_batch(vec![crate::exec::Stmt {
            sql: "INSERT INTO sign_in_failures (scope, key, window_start, failures) VALUES ($1, $2, $3, 1) \
                  ON CONFLICT (scope, key) DO UPDATE SET \
                  failures = CASE WHEN sign_in_failures.window_start + $4 <= $3 THEN 1 \
                                  ELSE sign_in_failures.failures + 1 END, \
                  window_start = CASE WHEN sign_in_failures.window_start + $4 <= $3 THEN $3 \
                                      ELSE sign_in_failures.window_start END",
            args: vec![
                scope.into(),
                key.into(),
                now.into(),
                throttle::WINDOW_SECONDS.into(),
            ],
        }])
        .await
    }

    /// Starts a session; returns its id (for the cookie) and the session.
    pub async fn create_session(
        &self,
        username: &str,
        lifetime_seconds: i64,
    ) -> Result<(String, Session), StoreError> {
        let id = random_secret();
        let session = Session {
            username: username.to_owned(),
            csrf_token: random_secret(),
            expires_at: now() + lifetime_seconds,
        };
        self.execute_batch(vec![
            // Expired sessions are swept as new ones start.
            crate::exec::Stmt {
                sql: "DELETE FROM sessions WHERE expires_at <= $1",
                args: vec![now().into()],
            },
            crate::exec::Stmt {
                sql: "INSERT INTO sessions (id_hash, username, csrf_token, created_at, expires_at) \
                      VALUES ($1, $2, $3, $4, $5)",
                args: vec![
                    digest(&id).into(),
                    session.username.clone().into(),
                    session.csrf_token.clone().into(),
                    now().into(),
                    session.expires_at.into(),
                ],
            },
        ])
        .await?;
        Ok((id, session))
    }

    /// The live session a cookie names, if any.
    pub async fn session(&self, id: &str) -> Result<Option<Session>, StoreError> {
        let rows: Vec<(String, String, i64)> = self
            .fetch(
                "SELECT s.username, s.csrf_token, s.expires_at FROM sessions s \
                 JOIN users u ON u.username = s.username \
                 WHERE s.id_hash = $1 AND s.expires_at > $2 AND NOT u.disabled"
                    .into(),
                vec![digest(id).into(), now().into()],
            )
            .await?;
        Ok(rows
            .into_iter()
            .next()
            .map(|(username, csrf_token, expires_at)| Session {
                username,
                csrf_token,
                expires_at,
            }))
    }

    /// Ends a session.
    pub async fn end_session(&self, id: &str) -> Result<(), StoreError> {
        self.execute_batch(vec![crate::exec::Stmt {
            sql: "DELETE FROM sessions WHERE id_hash = $1",
            args: vec![digest(id).into()],
        }])
        .await
    }

    /// Creates an API token for `username`; returns its public part and the secret, which is
    /// shown once and never stored.
    pub async fn create_token(
        &self,
        author: &Author,
        username: &str,
        name: &str,
    ) -> Result<(TokenInfo, String), StoreError> {
        if name.trim().is_empty() || name.chars().count() > 100 {
            return Err(StoreError::invalid("name", "1–100 characters"));
        }
        let id = hex(&random_bytes::<6>());
        let secret = format!("yrd_{id}_{}", random_secret());
        let created_at = now();
        let mut tx = JournalTx::begin(self, author).await?;
        let exists: Vec<(String,)> = tx
            .fetch(
                "SELECT username FROM users WHERE username = $1",
                vec![username.into()],
            )
            .await?;
        if exists.is_empty() {
            return Err(StoreError::NotFound(format!("user {username:?}")));
        }
        tx.execute(
            "INSERT INTO api_tokens (id, username, name, secret_hash, created_at) VALUES ($1, $2, $3, $4, $5)",
            vec![
                id.clone().into(),
                username.into(),
                name.into(),
                digest(&secret).into(),
                created_at.into(),
            ],
        )
        .await?;
        tx.record(Change::new(
            ACCOUNT_RECORD_KIND,
            username,
            "create_token",
            None,
            Some(json!({"token": id, "name": name})),
        ));
        tx.commit().await?;
        let info = TokenInfo {
            id,
            username: username.to_owned(),
            name: name.to_owned(),
            created_at,
            revoked_at: None,
        };
        Ok((info, secret))
    }

    /// One token's public part.
    pub async fn token(&self, id: &str) -> Result<Option<TokenInfo>, StoreError> {
        Ok(self
            .fetch(
                "SELECT id, username, name, created_at, revoked_at FROM api_tokens WHERE id = $1"
                    .into(),
                vec![id.into()],
            )
            .await?
            .into_iter()
            .next())
    }

    /// An account's tokens, revoked ones included.
    pub async fn tokens(&self, username: &str) -> Result<Vec<TokenInfo>, StoreError> {
        self.fetch(
            "SELECT id, username, name, created_at, revoked_at FROM api_tokens WHERE username = $1 \
             ORDER BY created_at, id"
                .into(),
            vec![username.into()],
        )
        .await
    }

    /// Revokes a token. Returns false when it was already revoked.
    pub async fn revoke_token(&self, author: &Author, id: &str) -> Result<bool, StoreError> {
        let mut tx = JournalTx::begin(self, author).await?;
        let owner: Vec<(String,)> = tx
            .fetch(
                "UPDATE api_tokens SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL \
                 RETURNING username",
                vec![now().into(), id.into()],
            )
            .await?;
        let Some((owner,)) = owner.into_iter().next() else {
            return Ok(false);
        };
        tx.record(Change::new(
            ACCOUNT_RECORD_KIND,
            owner,
            "revoke_token",
            Some(json!({"token": id})),
            None,
        ));
        tx.commit().await?;
        Ok(true)
    }

    /// The account (with its roles) a bearer token signs in, if the token is live and the
    /// account enabled. Kept for the next requests until an account change commits here, or for
    /// [`crate::ACCOUNT_RECHECK`] against changes by another process.
    pub async fn token_account(&self, secret: &str) -> Result<Option<User>, StoreError> {
        let digest = digest(secret);
        self.kept_account(Credential::TokenDigest(digest.clone()), || {
            self.load_users(
                "WHERE u.username = (SELECT t.username FROM api_tokens t \
                 JOIN users holder ON holder.username = t.username \
                 WHERE t.secret_hash = $1 AND t.revoked_at IS NULL AND NOT holder.disabled)",
                vec![digest.into()],
            )
        })
        .await
    }

    /// The account a live session names, as [`Store::user`] reads it, but kept as
    /// [`Store::token_account`] keeps it: the session is checked on every request, its account
    /// need not be read on every one.
    pub async fn session_account(&self, username: &str) -> Result<Option<User>, StoreError> {
        self.kept_account(Credential::Session(username.to_owned()), || {
            self.load_users("WHERE u.username = $1", vec![username.into()])
        })
        .await
    }

    /// The account kept for `credential`, or the one `load` reads, then kept.
    async fn kept_account<F>(
        &self,
        credential: Credential,
        load: impl FnOnce() -> F,
    ) -> Result<Option<User>, StoreError>
    where
        F: Future<Output = Result<Vec<User>, StoreError>>,
    {
        if let Some(user) = self.accounts.get(&credential) {
            return Ok(Some(user));
        }
        let (generation, read_at) = (self.accounts.generation(), Instant::now());
        let user = load().await?.into_iter().next();
        if let Some(user) = &user {
            self.accounts
                .keep(credential, user.clone(), generation, read_at);
        }
        Ok(user)
    }
}

/// The outcome of a password sign-in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SignIn {
    Accepted,
    /// Wrong username or password (the two are not told apart).
    Rejected,
    /// Too many failures; try again after this many seconds.
    Throttled {
        retry_after: i64,
    },
}

async fn insert_assignment(
    tx: &mut JournalTx,
    username: &str,
    assignment: &Assignment,
) -> Result<bool, StoreError> {
    let (kind, key) = assignment.scope().parts();
    // The scope must name a record that exists.
    let found: Vec<(String,)> = match assignment.scope() {
        Scope::Region => vec![(String::new(),)],
        Scope::Jurisdiction(code) => {
            tx.fetch(
                "SELECT code FROM jurisdictions WHERE code = $1",
                vec![code.to_string().into()],
            )
            .await?
        }
        Scope::Body(body) => {
            tx.fetch(
                "SELECT key FROM bodies WHERE key = $1",
                vec![body.clone().into()],
            )
            .await?
        }
    };
    if found.is_empty() {
        return Err(StoreError::invalid(
            "scope",
            format!("no {kind} {key:?} is recorded"),
        ));
    }
    let inserted = tx
        .execute(
            "INSERT INTO role_assignments (username, role, scope_kind, scope_key) VALUES ($1, $2, $3, $4) \
             ON CONFLICT DO NOTHING",
            assignment_args(username, assignment),
        )
        .await?;
    if inserted > 0 {
        tx.record(Change::new(
            ACCOUNT_RECORD_KIND,
            username,
            "grant",
            None,
            Some(assignment_json(assignment)),
        ));
    }
    Ok(inserted > 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_hash_with_argon2id_and_verify() {
        let hash = hash_password("correct horse battery staple");
        assert!(hash.starts_with("$argon2id$"), "{hash}");
        assert!(verify_password(&hash, "correct horse battery staple"));
        assert!(!verify_password(&hash, "correct horse battery stapler"));
        assert!(!verify_password("not a hash", "x"));
        // Salted: the same password hashes differently each time.
        assert_ne!(hash, hash_password("correct horse battery staple"));
    }

    #[test]
    fn usernames_are_plain_slugs() {
        assert!(is_valid_username("js.officer"));
        assert!(!is_valid_username("J"));
        assert!(!is_valid_username("Alice"));
        assert!(!is_valid_username("a b"));
        assert!(!is_valid_username("-a"));
    }
}
