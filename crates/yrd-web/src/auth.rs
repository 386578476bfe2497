//! Who is asking, and whether they may: the [`Principal`] extractor resolves a request to a
//! user (from an API token or a session cookie) or to an anonymous visitor, enforces the CSRF
//! token on cookie-authenticated writes, and hands every question to the one access policy,
//! [`yrd_domain::access::decide`].
//!
//! Anonymous requests never touch the session store: without a cookie or a token, resolving
//! the principal costs nothing.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method, header};
use cookie::Cookie;
use yrd_domain::access::{
    Action, Actor, Decision, DraftVisibility, Publication, Refusal, Target, decide,
    draft_visibility,
};
use yrd_store::{Author, MatterAccess, ReportAccess, TaskAccess, User};

use crate::AppState;
use crate::error::ApiError;

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "yrd_session";
/// The cookie that carries the sign-in form's CSRF token before there is a session.
pub const FORM_CSRF_COOKIE: &str = "yrd_form_csrf";
/// The header cookie-authenticated API writes must carry, holding the session's CSRF token.
pub const CSRF_HEADER: &str = "x-csrf-token";
/// How long a session lasts, in seconds.
pub const SESSION_LIFETIME: i64 = 12 * 60 * 60;

/// How a signed-in request proved who it is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Credential {
    /// A session cookie; the session's CSRF token guards its writes.
    Session { id: String, csrf_token: String },
    /// An API token (`Authorization: Bearer …`), which a browser never sends on its own.
    Token,
}

/// A signed-in user.
#[derive(Clone, Debug)]
pub struct SignedIn {
    pub user: User,
    pub credential: Credential,
}

/// Who is asking: a signed-in user, or nobody.
#[derive(Clone, Debug, Default)]
pub struct Principal(pub Option<SignedIn>);

impl Principal {
    pub fn actor(&self) -> Option<Actor<'_>> {
        self.0.as_ref().map(|s| Actor {
            username: &s.user.username,
            assignments: &s.user.assignments,
        })
    }

    /// The user, or 401.
    pub fn signed_in(&self) -> Result<&SignedIn, ApiError> {
        self.0
            .as_ref()
            .ok_or_else(|| ApiError::Unauthenticated("sign in first".into()))
    }

    /// How the journal names this user.
    pub fn author(&self) -> Result<Author, ApiError> {
        Ok(Author::User(self.signed_in()?.user.username.clone()))
    }

    /// Asks the policy; a refusal becomes 401, 403 or (for what the user may not see) 404
    /// naming `what`.
    pub fn require(&self, action: Action, target: &Target<'_>, what: &str) -> Result<(), ApiError> {
        match decide(self.actor().as_ref(), action, target) {
            Decision::Allow => Ok(()),
            Decision::Deny { refusal, reason } => Err(match refusal {
                Refusal::SignIn => ApiError::Unauthenticated(reason.to_owned()),
                Refusal::Forbidden => ApiError::Forbidden(reason.to_owned()),
                Refusal::Hidden => ApiError::NotFound(format!("there is no {what}")),
            }),
        }
    }

    /// Which drafts lists show to this principal.
    pub fn draft_visibility(&self) -> DraftVisibility {
        draft_visibility(self.actor().as_ref())
    }
}

/// How the policy sees a matter.
pub fn matter_target(access: &MatterAccess) -> Target<'_> {
    Target::Matter {
        publication: Publication {
            published: access.published,
            body: access.body.as_deref(),
        },
        members: &access.members,
    }
}

/// How the policy sees a task.
pub fn task_target(task: &TaskAccess) -> Target<'_> {
    Target::Task {
        publication: Publication {
            published: task.access.published,
            body: task.access.body.as_deref(),
        },
        member: task.member,
    }
}

/// How the policy sees a progress report.
pub fn report_target(report: &ReportAccess) -> Target<'_> {
    Target::Report {
        publication: Publication {
            published: report.task.access.published,
            body: report.task.access.body.as_deref(),
        },
        member: report.task.member,
        submitted_by: report.submitted_by.as_deref(),
    }
}

/// The value of a cookie of the request.
pub fn cookie_value(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| Cookie::split_parse(v.to_owned()))
        .filter_map(Result::ok)
        .find(|c| c.name() == name)
        .map(|c| c.value().to_owned())
}

fn is_safe(method: &Method) -> bool {
    matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// Compares secrets in time independent of where they differ.
pub fn same_secret(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

impl FromRequestParts<AppState> for Principal {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        if let Some(principal) = parts.extensions.get::<Principal>() {
            return Ok(principal.clone());
        }
        let principal = resolve(parts, state).await?;
        parts.extensions.insert(principal.clone());
        Ok(principal)
    }
}

async fn resolve(parts: &Parts, state: &AppState) -> Result<Principal, ApiError> {
    let store = state.store();
    if let Some(authorization) = parts.headers.get(header::AUTHORIZATION) {
        let token = authorization
            .to_str()
            .ok()
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim)
            .ok_or_else(|| {
                ApiError::Unauthenticated(
                    "the Authorization header must be \"Bearer <API token>\"".into(),
                )
            })?;
        let user = store.token_account(token).await?.ok_or_else(|| {
            ApiError::Unauthenticated("the API token is not valid or was revoked".into())
        })?;
        return Ok(Principal(Some(SignedIn {
            user,
            credential: Credential::Token,
        })));
    }
    let Some(id) = cookie_value(&parts.headers, SESSION_COOKIE) else {
        return Ok(Principal(None));
    };
    // An expired or ended session is simply no session: the visitor is anonymous.
    let Some(session) = store.session(&id).await? else {
        return Ok(Principal(None));
    };
    if !is_safe(&parts.method) {
        let sent = parts
            .headers
            .get(CSRF_HEADER)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        if !same_secret(sent, &session.csrf_token) {
            return Err(ApiError::Forbidden(format!(
                "a change made with a session cookie must carry the session's CSRF token in the {CSRF_HEADER} header"
            )));
        }
    }
    let user = load_user(state, &session.username).await?;
    Ok(Principal(Some(SignedIn {
        user,
        credential: Credential::Session {
            id,
            csrf_token: session.csrf_token,
        },
    })))
}

async fn load_user(state: &AppState, username: &str) -> Result<User, ApiError> {
    state
        .store()
        .session_account(username)
        .await?
        .ok_or_else(|| ApiError::Unauthenticated("the account no longer exists".into()))
}

/// A `Set-Cookie` value: HttpOnly, SameSite=Lax (so a link from elsewhere arrives signed in,
/// while cross-site form posts do not carry it), Secure when the request came over TLS.
pub fn set_cookie(name: &str, value: &str, max_age: i64, secure: bool) -> HeaderValue {
    let cookie = Cookie::build((name, value))
        .path("/")
        .http_only(true)
        .same_site(cookie::SameSite::Lax)
        .secure(secure)
        .max_age(cookie::time::Duration::seconds(max_age))
        .build();
    HeaderValue::from_str(&cookie.to_string()).expect("cookie values are hex")
}
