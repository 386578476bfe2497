//! Successful responses: JSON in the negotiated language, labelled as such; and the entity
//! tags of versioned records, which `If-Match` sends back.

use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use yrd_domain::Lang;

use crate::error::ApiError;

/// A JSON body whose texts are in `lang`.
///
/// It carries `Content-Language`, and `Vary: Accept-Language` because the same URL answers in
/// another language for another header, so a shared cache must key on it.
pub struct Localized<T> {
    pub lang: Lang,
    pub body: T,
}

impl<T> Localized<T> {
    pub fn new(lang: Lang, body: T) -> Self {
        Localized { lang, body }
    }
}

impl<T: Serialize> IntoResponse for Localized<T> {
    fn into_response(self) -> Response {
        json_response(&self.body, Some(self.lang))
    }
}

/// Serialises `body` as `application/json`, labelled with `lang` where it has one.
pub fn json_response<T: Serialize>(body: &T, lang: Option<Lang>) -> Response {
    let bytes = match serde_json::to_vec(body) {
        Ok(bytes) => bytes,
        Err(e) => return ApiError::internal(e).into_response(),
    };
    let mut response = bytes.into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    if let Some(lang) = lang {
        headers.insert(
            header::CONTENT_LANGUAGE,
            HeaderValue::from_static(lang.code()),
        );
        headers.insert(header::VARY, HeaderValue::from_static("Accept-Language"));
    }
    response
}

/// A versioned record (a task, meeting, problem or agreement) as JSON, tagged
/// `"v<version>.<lang>.<digest>"`: the version is what a change's `If-Match` is checked
/// against; the digest of the body makes the tag change with anything derived that the body
/// shows (a new report, a recorded position), so `If-None-Match` never serves a stale copy.
pub fn versioned_response<T: Serialize>(body: &T, lang: Lang, version: i64) -> Response {
    use sha2::{Digest, Sha256};
    let bytes = match serde_json::to_vec(body) {
        Ok(bytes) => bytes,
        Err(e) => return ApiError::internal(e).into_response(),
    };
    let digest: String = Sha256::digest(&bytes)[..8]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let tag = format!("\"v{version}.{}.{digest}\"", lang.code());
    let mut response = json_response(body, Some(lang));
    if let Ok(value) = HeaderValue::from_str(&tag) {
        response.headers_mut().insert(header::ETAG, value);
    }
    response
}

/// The version a change's `If-Match` names: None without the header; 422 naming `If-Match`
/// when it is not a tag [`versioned_response`] gave.
pub fn if_match_version(headers: &axum::http::HeaderMap) -> Result<Option<i64>, ApiError> {
    let Some(value) = headers.get(header::IF_MATCH) else {
        return Ok(None);
    };
    value
        .to_str()
        .ok()
        .map(|v| v.trim().trim_start_matches("W/").trim_matches('"'))
        .and_then(|v| v.strip_prefix('v'))
        .and_then(|v| v.split('.').next())
        .and_then(|v| v.parse::<i64>().ok())
        .map(Some)
        .ok_or_else(|| {
            ApiError::Unprocessable(vec![crate::error::FieldError::new(
                "If-Match",
                "not an ETag of this record: GET the record and send its ETag",
            )])
        })
}

/// Like [`if_match_version`], for changes that must name the version they change: without
/// the header, 428.
pub fn required_if_match(headers: &axum::http::HeaderMap) -> Result<i64, ApiError> {
    if_match_version(headers)?.ok_or_else(|| {
        ApiError::PreconditionRequired(
            "send If-Match with the record's ETag, so that a change made since you read it is not overwritten"
                .into(),
        )
    })
}
