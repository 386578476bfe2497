//! Forms on the pages: how a browser's form post is authenticated and how its outcome is
//! answered, shared by every form of the portal.
//!
//! A form post carries the session cookie and, as its `csrf` field, the session's CSRF token
//! (a page embeds it with [`Chrome::csrf`](super::Chrome::csrf)); without both it is refused.
//! Its fields are read by name with [`FormFields`], whose errors name the field, so a form is
//! checked exactly as its JSON equivalent is. Success answers 303 See Other to the record's
//! page; a failure is shown on a page of its own, with the reasons and a way back, and the
//! status the API would give.

use askama::Template;
use axum::extract::{FromRequest, Request};
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use yrd_domain::{Lang, Text};

use super::Chrome;
use crate::AppState;
use crate::auth::{Credential, Principal, SESSION_COOKIE, SignedIn, cookie_value, same_secret};
use crate::error::{ApiError, FieldError};
use crate::extract::BODY_LIMIT;

/// A form posted from a page by a signed-in user, its CSRF token checked.
pub struct PageForm {
    pub lang: Lang,
    pub principal: Principal,
    pub fields: FormFields,
    /// The page the form was on (from `Referer`, when it is one of ours), to go back to.
    pub back: Option<String>,
}

impl PageForm {
    /// The outcome of the form: 303 to `/{lang}{path}` on success, the failure page otherwise.
    pub fn finish(&self, outcome: Result<String, ApiError>) -> Response {
        match outcome {
            Ok(path) => see_other(self.lang, &path),
            Err(error) => failure(self.lang, &self.principal, self.back.clone(), error),
        }
    }
}

/// 303 See Other to a page, `path` written without the language prefix.
pub fn see_other(lang: Lang, path: &str) -> Response {
    (
        StatusCode::SEE_OTHER,
        [(header::LOCATION, format!("/{}{path}", lang.code()))],
    )
        .into_response()
}

impl FromRequest<AppState> for PageForm {
    type Rejection = Response;

    async fn from_request(request: Request, state: &AppState) -> Result<Self, Response> {
        let lang = match request.uri().path().split('/').nth(1) {
            Some("en") => Lang::En,
            _ => Lang::Zh,
        };
        let headers = request.headers().clone();
        let back = headers
            .get(header::REFERER)
            .and_then(|v| v.to_str().ok())
            .and_then(same_site_path);
        let fail = |error: ApiError| failure(lang, &Principal(None), back.clone(), error);
        let is_form = headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
        if !is_form {
            return Err(fail(ApiError::UnsupportedMediaType(
                "send the form as application/x-www-form-urlencoded".into(),
            )));
        }
        let bytes = axum::body::to_bytes(request.into_body(), BODY_LIMIT)
            .await
            .map_err(|_| fail(ApiError::PayloadTooLarge { limit: BODY_LIMIT }))?;
        let fields = FormFields::parse(&bytes);
        let store = state.store();
        let session = match cookie_value(&headers, SESSION_COOKIE) {
            Some(id) => store
                .session(&id)
                .await
                .map_err(|e| fail(e.into()))?
                .map(|s| (id, s)),
            None => None,
        };
        let Some((id, session)) = session else {
            return Err(fail(ApiError::Unauthenticated(
                "sign in first: the form was sent without a session".into(),
            )));
        };
        if !same_secret(fields.get("csrf").unwrap_or(""), &session.csrf_token) {
            return Err(fail(ApiError::Forbidden(
                "the form has expired or did not come from this site: reload the page and send it again"
                    .into(),
            )));
        }
        let user = store
            .session_account(&session.username)
            .await
            .map_err(|e| fail(e.into()))?
            .ok_or_else(|| {
                fail(ApiError::Unauthenticated(
                    "the account no longer exists".into(),
                ))
            })?;
        Ok(PageForm {
            lang,
            principal: Principal(Some(SignedIn {
                user,
                credential: Credential::Session {
                    id,
                    csrf_token: session.csrf_token,
                },
            })),
            fields,
            back,
        })
    }
}

/// The path of a `Referer` that is a page of this site (`/zh/…` or `/en/…`).
fn same_site_path(referer: &str) -> Option<String> {
    let rest = referer
        .strip_prefix("http://")
        .or_else(|| referer.strip_prefix("https://"))?;
    let path = &rest[rest.find('/')?..];
    (path.starts_with("/zh/") || path.starts_with("/en/")).then(|| path.to_owned())
}

/// A form's fields by name, in the order sent; a name may repeat (multi-selects, checkboxes).
#[derive(Clone, Debug, Default)]
pub struct FormFields(Vec<(String, String)>);

impl FormFields {
    pub fn parse(body: &[u8]) -> FormFields {
        FormFields(form_urlencoded::parse(body).into_owned().collect())
    }

    /// The first value of a field, if sent.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// Every value of a field, blanks left out.
    pub fn all(&self, name: &str) -> Vec<String> {
        self.0
            .iter()
            .filter(|(n, v)| n == name && !v.trim().is_empty())
            .map(|(_, v)| v.trim().to_owned())
            .collect()
    }

    /// A field's trimmed value; None when absent or blank.
    pub fn optional(&self, name: &str) -> Option<String> {
        self.get(name)
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(str::to_owned)
    }

    /// A field that must be filled in.
    pub fn required(&self, name: &str) -> Result<String, FieldError> {
        self.optional(name)
            .ok_or_else(|| FieldError::new(name, "is required"))
    }

    /// A text in both languages from the fields `{name}_zh` and `{name}_en`, at least one of
    /// them filled in.
    pub fn text(&self, name: &str) -> Result<Text, FieldError> {
        let zh = self.optional(&format!("{name}_zh")).unwrap_or_default();
        let en = self.optional(&format!("{name}_en")).unwrap_or_default();
        if zh.is_empty() && en.is_empty() {
            return Err(FieldError::new(
                name,
                "is required in at least one language",
            ));
        }
        Ok(Text::new(zh, en))
    }

    /// Like [`FormFields::text`], but both languages may be left blank.
    pub fn optional_text(&self, name: &str) -> Text {
        Text::new(
            self.optional(&format!("{name}_zh")).unwrap_or_default(),
            self.optional(&format!("{name}_en")).unwrap_or_default(),
        )
    }

    /// A whole number within `range`.
    pub fn number(
        &self,
        name: &str,
        range: std::ops::RangeInclusive<i64>,
    ) -> Result<i64, FieldError> {
        let value = self.required(name)?;
        let number: i64 = value
            .parse()
            .map_err(|_| FieldError::new(name, format!("{value:?} is not a whole number")))?;
        if range.contains(&number) {
            Ok(number)
        } else {
            Err(FieldError::new(
                name,
                format!("must be between {} and {}", range.start(), range.end()),
            ))
        }
    }
}

/// A form page for a signed-in user the policy allows: anonymous visitors are sent to sign
/// in, everyone else who may not gets the failure page with the policy's reason.
pub async fn form_page(
    lang: Lang,
    principal: &Principal,
    chrome: &Chrome,
    page: impl Future<Output = Result<Response, ApiError>>,
) -> Response {
    if principal.0.is_none() {
        return Redirect::to(&chrome.sign_in_href()).into_response();
    }
    match page.await {
        Ok(response) => response,
        Err(error) => failure(lang, principal, None, error),
    }
}

#[derive(Template)]
#[template(path = "form_failure.html")]
struct FailurePage {
    chrome: Chrome,
    status: u16,
    reason: String,
    fields: Vec<FieldError>,
    back: Option<String>,
    sign_in: bool,
}

/// A failed form's page: what went wrong, in the API's words, with the status the API would
/// answer and a link back to the form.
pub fn failure(
    lang: Lang,
    principal: &Principal,
    back: Option<String>,
    error: ApiError,
) -> Response {
    let status = error.status();
    if status.is_server_error() {
        // Logged with its cause, shown without it, exactly as the API does.
        return error.into_response();
    }
    let (reason, fields) = match &error {
        ApiError::Unprocessable(fields) | ApiError::InvalidParams(fields) => {
            (String::new(), fields.clone())
        }
        other => (other.to_string(), Vec::new()),
    };
    let uri: axum::http::Uri = format!("/{}/", lang.code())
        .parse()
        .expect("a language prefix is a valid URI");
    let page = FailurePage {
        chrome: Chrome::new(lang, &uri, principal),
        status: status.as_u16(),
        reason,
        fields,
        sign_in: status == StatusCode::UNAUTHORIZED,
        back,
    };
    match page.render() {
        Ok(html) => (status, Html(html)).into_response(),
        Err(e) => ApiError::internal(e).into_response(),
    }
}
