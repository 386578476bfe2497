//! Signing in and out with a form. The forms carry CSRF tokens: sign-in a random token that
//! must match a cookie set with the form (there is no session yet), sign-out the session's
//! own token. Failed sign-ins are throttled per account and per client address.

use std::net::SocketAddr;

use axum::extract::State;
use axum::extract::connect_info::ConnectInfo;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use serde::Deserialize;
use yrd_store::SignIn;

use crate::AppState;
use crate::auth::{
    FORM_CSRF_COOKIE, SESSION_COOKIE, SESSION_LIFETIME, cookie_value, same_secret, set_cookie,
};
use crate::error::ApiError;
use crate::extract::{FormBody, Query};

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

fn random_token() -> String {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).expect("the operating system provides randomness");
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Only a path of this site, never another origin (`//host` or `/\host`).
fn safe_next(next: Option<&str>) -> &str {
    match next {
        Some(n) if n.starts_with('/') && !n.starts_with("//") && !n.starts_with("/\\") => n,
        _ => "/",
    }
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn sign_in_page(
    status: StatusCode,
    message: Option<&str>,
    csrf: &str,
    next: &str,
    tls: bool,
) -> Response {
    let message = message
        .map(|m| format!("<p role=\"alert\">{}</p>", escape(m)))
        .unwrap_or_default();
    let html = format!(
        "<!doctype html>\n<html lang=\"zh-CN\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>登录 Sign in · yrd</title></head><body><main>\
         <h1>登录 <span lang=\"en\">Sign in</span></h1>{message}\
         <form method=\"post\" action=\"/sign-in\">\
         <input type=\"hidden\" name=\"csrf\" value=\"{csrf}\">\
         <input type=\"hidden\" name=\"next\" value=\"{next}\">\
         <p><label for=\"username\">用户名 <span lang=\"en\">Username</span></label> \
         <input id=\"username\" name=\"username\" autocomplete=\"username\" required></p>\
         <p><label for=\"password\">密码 <span lang=\"en\">Password</span></label> \
         <input id=\"password\" name=\"password\" type=\"password\" autocomplete=\"current-password\" required></p>\
         <p><button type=\"submit\">登录 <span lang=\"en\">Sign in</span></button></p>\
         </form></main></body></html>",
        next = escape(next),
    );
    let mut response = (status, Html(html)).into_response();
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
        &random_token(),
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
            Some(
                "表单已过期，请重试。The form expired or did not come from this site: please try again.",
            ),
            &random_token(),
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
                Some("用户名或密码错误。Wrong username or password."),
                &random_token(),
                &next,
                tls,
            ))
        }
        SignIn::Throttled { retry_after } => {
            tracing::warn!(username = %form.username.trim(), %address, "sign-in throttled");
            let mut response = sign_in_page(
                StatusCode::TOO_MANY_REQUESTS,
                Some(&format!(
                    "登录失败次数过多，请在 {retry_after} 秒后重试。Too many failed sign-ins: try again in {retry_after} seconds."
                )),
                &random_token(),
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
