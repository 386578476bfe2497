//! Successful responses: JSON in the negotiated language, labelled as such.

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
