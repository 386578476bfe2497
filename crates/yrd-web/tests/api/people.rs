//! The people the cases act as: accounts with roles, signed in with a session (a browser) or
//! holding an API token (a script), and the author of what the cases set up directly.

use libtest_mimic::Failed;
use yrd_domain::Lang;
use yrd_domain::access::{Assignment, Role, Scope};
use yrd_store::{Author, NewUser, hash_password};

use crate::app::TestApp;
use crate::fail;

/// The profiles of the authorization matrix, in the order of each row's expectations.
pub const PROFILES: [&str; 9] = [
    "anonymous",
    "js-officer",
    "js-coordinator",
    "office",
    "group-office",
    "group-secretary",
    "admin",
    "js-admin",
    "auditor",
];

/// Who records what the cases set up through the store.
pub fn setup_author() -> Author {
    Author::Command {
        command: "test-setup".into(),
        os_user: "api-tests".into(),
    }
}

/// Role assignments from (role, scope) pairs.
pub fn assignments(roles: &[(Role, Scope)]) -> Result<Vec<Assignment>, Failed> {
    roles
        .iter()
        .map(|(role, scope)| Assignment::new(*role, scope.clone()).map_err(Failed::from))
        .collect()
}

/// Creates an account holding `roles`, with a password if given.
pub async fn create_user(
    app: &TestApp,
    username: &str,
    password: Option<&str>,
    roles: &[Assignment],
) -> Result<(), Failed> {
    app.store
        .create_user(
            &setup_author(),
            &NewUser {
                username: username.into(),
                display_name: format!("Test {username}"),
                lang: Lang::Zh,
                password_hash: password.map(hash_password),
            },
            roles,
        )
        .await
        .map_err(|e| fail(&format!("creating {username}"), e))?;
    Ok(())
}

/// Creates an account holding `roles` and starts a session for it: the `Cookie` header's
/// value and the session's CSRF token.
pub async fn with_session(
    app: &TestApp,
    username: &str,
    roles: &[(Role, Scope)],
) -> Result<(String, String), Failed> {
    create_user(app, username, None, &assignments(roles)?).await?;
    let (id, session) = app
        .store
        .create_session(username, 3600)
        .await
        .map_err(|e| fail("starting a session", e))?;
    Ok((format!("yrd_session={id}"), session.csrf_token))
}

/// Creates an account holding `roles` and an API token for it: the `Authorization` header's
/// value.
pub async fn with_token(
    app: &TestApp,
    username: &str,
    roles: &[(Role, Scope)],
) -> Result<String, Failed> {
    create_user(app, username, None, &assignments(roles)?).await?;
    let (_, secret) = app
        .store
        .create_token(&setup_author(), username, "tests")
        .await
        .map_err(|e| fail("creating a token", e))?;
    Ok(format!("Bearer {secret}"))
}
