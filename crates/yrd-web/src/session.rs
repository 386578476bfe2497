//! Signing in and out with a form. The forms carry CSRF tokens: sign-in a random token that
//! must match a cookie set with the form (there is no session yet), sign-out the session's
//! own token. Failed sign-ins are throttled per account and per client address.

use std::net::SocketAddr;

use axum::extract::State;
use axum::extract::connect_info::ConnectInfo;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use serde::Deserialize;
use yrd_store::{SignIn, random_secret};

use askama::Template;
use yrd_domain::Lang;

use crate::AppState;
use crate::auth::{
    FORM_CSRF_COOKIE, SESSION_COOKIE, SESSION_LIFETIME, cookie_value, same_secret, set_cookie,
};
use crate::error::ApiError;
use crate::extract::{FormBody, Query};
use crate::pages::Chrome;

/// The sign-in form's fields.
#[derive(Debug, Deserialize)]
pub struct SignInForm {
    pub username: String,
    pub password: String,
    pub csrf: String,
    /// Where to go afterwards (a path of this site).
    pub next: Option<String>,
}

/// The sign-out form's fields.
#[derive(Debug, Deserialize)]
pub struct SignOutForm {
    pub csrf: String,
}

/// The client's IP address, as the socket saw it ("unknown" when served without one).
pub struct ClientAddress(pub String);

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for ClientAddress {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        _state: &S,
    ) -> Result<Self, Self::Rejection> {
        Ok(ClientAddress(
            parts
                .extensions
                .get::<ConnectInfo<SocketAddr>>()
                .map_or_else(|| "unknown".to_owned(), |c| c.0.ip().to_string()),
        ))
    }
}

/// Whether the request arrived over TLS (directly, or at a proxy that says so).
fn over_tls(headers: &HeaderMap) -> bool {
    headers
        .get("x-forwarded-proto")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("https"))
}

/// Only a path of this site, never another origin (`//host` or `/\host`).
fn safe_next(next: Option<&str>) -> &str {
    match next {
        Some(n) if n.starts_with('/') && !n.starts_with("//") && !n.starts_with("/\\") => n,
        _ => "/",
    }
}

#[derive(Template)]
#[template(path = "sign_in.html")]
struct SignInPage {
    chrome: Chrome,
    message: Option<String>,
    csrf: String,
    next: String,
}

/// The language of the sign-in form: that of the page it returns to.
fn form_lang(next: &str) -> Lang {
    if next.starts_with("/en/") || next == "/en" {
        Lang::En
    } else {
        Lang::Zh
    }
}

/// The sign-in form, in the language of the page it returns to, with `message` (a label of
/// the catalog, with its argument) as an alert.
fn sign_in_page(
    status: StatusCode,
    message: Option<(&str, Option<(&'static str, String)>)>,
    csrf: &str,
    next: &str,
    tls: bool,
) -> Response {
    let lang = form_lang(next);
    let other = crate::pages::other(lang);
    // The same page in the other language returns to the same page in that language.
    let other_next = match next.get(3..) {
        Some(rest) if next.starts_with(&format!("/{}", lang.code())) => {
            format!("/{}{rest}", other.code())
        }
        _ => format!("/{}/", other.code()),
    };
    let chrome = Chrome::outside(lang, format!("/sign-in?next={other_next}"));
    let message = message.map(|(key, arg)| match arg {
        Some((name, value)) => chrome.t1(key, name, value),
        None => chrome.t(key),
    });
    let page = SignInPage {
        chrome,
        message,
        csrf: csrf.to_owned(),
        next: next.to_owned(),
    };
    let mut response = match page.render() {
        Ok(html) => (status, Html(html)).into_response(),
        Err(e) => return ApiError::internal(e).into_response(),
    };
    response.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(FORM_CSRF_COOKIE, csrf, 60 * 60, tls),
    );
    response
}

/// Where to go after signing in.
#[derive(Debug, Deserialize)]
pub struct NextQuery {
    next: Option<String>,
}

/// `GET /sign-in`: the form.
pub async fn sign_in_form(headers: HeaderMap, Query(query): Query<NextQuery>) -> Response {
    sign_in_page(
        StatusCode::OK,
        None,
        &random_secret(),
        safe_next(query.next.as_deref()),
        over_tls(&headers),
    )
}

/// `POST /sign-in`: checks the form's CSRF token and the password, then starts a session.
pub async fn sign_in(
    State(state): State<AppState>,
    ClientAddress(address): ClientAddress,
    headers: HeaderMap,
    FormBody(form): FormBody<SignInForm>,
) -> Result<Response, ApiError> {
    let tls = over_tls(&headers);
    let next = safe_next(form.next.as_deref()).to_owned();
    let expected = cookie_value(&headers, FORM_CSRF_COOKIE).unwrap_or_default();
    if expected.is_empty() || !same_secret(&form.csrf, &expected) {
        return Ok(sign_in_page(
            StatusCode::FORBIDDEN,
            Some(("sign-in-expired", None)),
            &random_secret(),
            &next,
            tls,
        ));
    }
    let store = state.store();
    match store
        .check_sign_in(form.username.trim(), &form.password, &address)
        .await?
    {
        SignIn::Accepted => {
            let (id, _) = store
                .create_session(form.username.trim(), SESSION_LIFETIME)
                .await?;
            let mut response = (StatusCode::SEE_OTHER, [(header::LOCATION, next)]).into_response();
            let headers = response.headers_mut();
            headers.append(
                header::SET_COOKIE,
                set_cookie(SESSION_COOKIE, &id, SESSION_LIFETIME, tls),
            );
            headers.append(header::SET_COOKIE, set_cookie(FORM_CSRF_COOKIE, "", 0, tls));
            tracing::info!(username = %form.username.trim(), "signed in");
            Ok(response)
        }
        SignIn::Rejected => {
            tracing::info!(username = %form.username.trim(), %address, "sign-in rejected");
            Ok(sign_in_page(
                StatusCode::UNAUTHORIZED,
                Some(("sign-in-wrong", None)),
                &random_secret(),
                &next,
                tls,
            ))
        }
        SignIn::Throttled { retry_after } => {
            tracing::warn!(username = %form.username.trim(), %address, "sign-in throttled");
            let mut response = sign_in_page(
                StatusCode::TOO_MANY_REQUESTS,
                Some((
                    "sign-in-throttled",
                    Some(("seconds", retry_after.to_string())),
                )),
                &random_secret(),
                &next,
                tls,
            );
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(retry_after.max(1)));
            Ok(response)
        }
    }
}

/// `POST /sign-out`: ends the session, if the form carries its CSRF token.
pub async fn sign_out(
    State(state): State<AppState>,
    headers: HeaderMap,
    FormBody(form): FormBody<SignOutForm>,
) -> Result<Response, ApiError> {
    let store = state.store();
    let Some(id) = cookie_value(&headers, SESSION_COOKIE) else {
        return Ok((StatusCode::SEE_OTHER, [(header::LOCATION, "/")]).into_response());
    };
    let Some(session) = store.session(&id).await? else {
        return Ok((StatusCode::SEE_OTHER, [(header::LOCATION, "/")]).into_response());
    };
    if !same_secret(&form.csrf, &session.csrf_token) {
        return Err(ApiError::Forbidden(
            "the sign-out form must carry the session's CSRF token".into(),
        ));
    }
    store.end_session(&id).await?;
    let mut response = (StatusCode::SEE_OTHER, [(header::LOCATION, "/")]).into_response();
    response.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(SESSION_COOKIE, "", 0, over_tls(&headers)),
    );
    Ok(response)
}
