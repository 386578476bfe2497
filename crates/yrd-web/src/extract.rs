//! Reading requests: the response language, and path and query extractors whose rejections
//! are [`ApiError`]s (axum's own would answer in plain text), plus the parsers that turn raw
//! parameter strings into domain values, naming the parameter in every error.
//!
//! Query structs hold raw strings and handlers parse them with [`Parse`]: serde's messages
//! for a bad enum or number do not say which parameter was wrong, and collecting every error
//! before answering spares a client one round trip per mistake.

use std::fmt::Display;

use axum::extract::FromRequestParts;
use axum::extract::path::ErrorKind;
use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::http::header::ACCEPT_LANGUAGE;
use axum::http::request::Parts;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use time::Date;
use utoipa::{IntoParams, ToSchema};
use yrd_domain::{AdminCode, Lang, is_valid_key};
use yrd_store::MAX_PAGE;

use crate::error::{ApiError, FieldError};

/// The page size when a request does not give one.
pub const DEFAULT_LIMIT: u32 = 50;

/// The language of a response: the `lang` parameter if given (it must be `zh` or `en`), else
/// the best supported language of `Accept-Language`, else Chinese.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Language(pub Lang);

/// A response language.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum LangParam {
    Zh,
    En,
}

/// The `lang` parameter every localised endpoint accepts.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LangQuery {
    /// The response language; wins over `Accept-Language`. Default `zh`.
    #[param(value_type = Option<LangParam>, inline)]
    pub lang: Option<String>,
}

impl<S: Send + Sync> FromRequestParts<S> for Language {
    type Rejection = ApiError;

    #[expect(
        clippy::disallowed_types,
        reason = "this wrapper is built on axum's extractor"
    )]
    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, ApiError> {
        let query =
            axum::extract::Query::<LangQuery>::try_from_uri(&parts.uri).map_err(query_rejection)?;
        if let Some(value) = query.0.lang {
            return match value.as_str() {
                "zh" => Ok(Language(Lang::Zh)),
                "en" => Ok(Language(Lang::En)),
                other => Err(ApiError::invalid(
                    "lang",
                    format!("{other:?} is not a language of this API: expected zh or en"),
                )),
            };
        }
        // A malformed or unsupported header is not an error: the default language serves.
        let lang = parts
            .headers
            .get(ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok())
            .and_then(Lang::negotiate)
            .unwrap_or_default();
        Ok(Language(lang))
    }
}

/// `axum::extract::Query` with rejections as problem documents.
#[derive(Debug)]
pub struct Query<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for Query<T> {
    type Rejection = ApiError;

    #[expect(
        clippy::disallowed_types,
        reason = "this wrapper is built on axum's extractor"
    )]
    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, ApiError> {
        axum::extract::Query::<T>::try_from_uri(&parts.uri)
            .map(|q| Query(q.0))
            .map_err(query_rejection)
    }
}

/// Query structs hold strings, so what can still fail is the query string itself: a repeated
/// parameter, or percent-encoding that is not UTF-8.
fn query_rejection(rejection: QueryRejection) -> ApiError {
    let message = match &rejection {
        QueryRejection::FailedToDeserializeQueryString(e) => e.body_text(),
        other => other.body_text(),
    };
    // serde names a repeated field in backticks ("duplicate field `status`").
    let field = message
        .split('`')
        .nth(1)
        .filter(|f| !f.is_empty())
        .unwrap_or("query");
    ApiError::invalid(
        field,
        message.trim_start_matches("Failed to deserialize query string: "),
    )
}

/// `axum::extract::Path` with rejections as problem documents naming the parameter.
#[derive(Debug)]
pub struct Path<T>(pub T);

impl<T, S> FromRequestParts<S> for Path<T>
where
    T: DeserializeOwned + Send,
    S: Send + Sync,
{
    type Rejection = ApiError;

    #[expect(
        clippy::disallowed_types,
        reason = "this wrapper is built on axum's extractor"
    )]
    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        match axum::extract::Path::<T>::from_request_parts(parts, state).await {
            Ok(path) => Ok(Path(path.0)),
            Err(rejection) => Err(path_rejection(rejection)),
        }
    }
}

fn path_rejection(rejection: PathRejection) -> ApiError {
    match rejection {
        PathRejection::FailedToDeserializePathParams(e) => {
            let field = match e.kind() {
                ErrorKind::ParseErrorAtKey { key, .. }
                | ErrorKind::InvalidUtf8InPathParam { key }
                | ErrorKind::DeserializeError { key, .. } => key.clone(),
                _ => "path".to_owned(),
            };
            ApiError::invalid(field, e.body_text())
        }
        // The handler asked for parameters its route does not have: our bug, not the client's.
        other => ApiError::internal(other),
    }
}

/// Collects parameter errors while parsing, so one answer lists them all.
#[derive(Debug, Default)]
pub struct Parse {
    errors: Vec<FieldError>,
}

impl Parse {
    /// Parses an optional parameter: `None` when absent, and also when invalid (the error is
    /// kept, and [`Parse::finish`] reports it).
    pub fn opt<T, E: Display>(
        &mut self,
        field: &str,
        value: Option<&str>,
        parse: impl FnOnce(&str) -> Result<T, E>,
    ) -> Option<T> {
        match parse(value?) {
            Ok(v) => Some(v),
            Err(e) => {
                self.errors.push(FieldError::new(field, e.to_string()));
                None
            }
        }
    }

    /// Records an error that no single parameter's parser can see (a combination of them).
    pub fn reject(&mut self, field: &str, reason: impl Into<String>) {
        self.errors.push(FieldError::new(field, reason.into()));
    }

    /// Fails with every error collected, if any.
    pub fn finish(self) -> Result<(), ApiError> {
        if self.errors.is_empty() {
            Ok(())
        } else {
            Err(ApiError::InvalidParams(self.errors))
        }
    }
}

/// A six-digit administrative division code.
pub fn code(value: &str) -> Result<AdminCode, String> {
    value.parse().map_err(|e| format!("{e}"))
}

/// A record key (a lowercase slug).
pub fn key(value: &str) -> Result<String, String> {
    if is_valid_key(value) {
        Ok(value.to_owned())
    } else {
        Err(format!(
            "{value:?} is not a record key: lowercase letters, digits, '-', '_' and '.', at most 100"
        ))
    }
}

/// A full date `YYYY-MM-DD` that exists.
pub fn full_date(value: &str) -> Result<Date, String> {
    yrd_domain::date::parse_date(value).map_err(|e| e.to_string())
}

/// A page size, 1–[`MAX_PAGE`].
pub fn limit(value: &str) -> Result<u32, String> {
    value
        .parse::<u32>()
        .ok()
        .filter(|n| (1..=MAX_PAGE).contains(n))
        .ok_or_else(|| {
            format!("{value:?} is not a page size: expected a whole number from 1 to {MAX_PAGE}")
        })
}

/// One of an enum's wire names.
pub fn choice<T>(
    names: &'static [&'static str],
    parse: impl FnOnce(&str) -> Option<T>,
) -> impl FnOnce(&str) -> Result<T, String> {
    move |value| {
        parse(value).ok_or_else(|| {
            format!(
                "{value:?} is not valid: expected one of {}",
                names.join(", ")
            )
        })
    }
}

/// Paging parameters of a list.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// Continues a list where the previous page ended: the `next_cursor` of that page.
    pub cursor: Option<String>,
    /// The most items to return, 1–500. Default 50.
    #[param(value_type = Option<u32>, minimum = 1, maximum = 500)]
    pub limit: Option<String>,
}

/// A validated page request: the store's cursor and the page size.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageRequest {
    pub cursor: Option<String>,
    pub limit: u32,
}

impl PageQuery {
    /// Validates the parameters of a page of `list` (cursors are tied to their list).
    pub fn parse(&self, list: &str, parse: &mut Parse) -> PageRequest {
        let cursor = parse.opt("cursor", self.cursor.as_deref(), |c| decode_cursor(list, c));
        let limit = parse.opt("limit", self.limit.as_deref(), limit);
        PageRequest {
            cursor,
            limit: limit.unwrap_or(DEFAULT_LIMIT),
        }
    }
}

/// The API's cursor for a store cursor of `list`: the list's name and the store cursor in hex.
///
/// Wrapping makes cursors opaque to clients whatever the store's format, and ties each to its
/// list, so a cursor that was not handed out by this list is a clear 400 instead of a
/// silently wrong page.
pub fn encode_cursor(list: &str, store_cursor: &str) -> String {
    let mut out = String::with_capacity(list.len() + 1 + store_cursor.len() * 2);
    out.push_str(list);
    out.push('.');
    for byte in store_cursor.bytes() {
        out.push_str(&format!("{byte:02x}"));
    }
    out
}

fn decode_cursor(list: &str, cursor: &str) -> Result<String, String> {
    let bad = || "not a cursor returned by this list".to_owned();
    let hex = cursor
        .strip_prefix(list)
        .and_then(|rest| rest.strip_prefix('.'))
        .filter(|hex| !hex.is_empty() && hex.len() % 2 == 0 && hex.len() <= 1024)
        .ok_or_else(bad)?;
    let bytes = (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16))
        .collect::<Result<Vec<u8>, _>>()
        .map_err(|_| bad())?;
    String::from_utf8(bytes).map_err(|_| bad())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_belong_to_their_list() {
        let cursor = encode_cursor("meetings", "2024-06-05|symposium-2024");
        assert!(cursor.starts_with("meetings."));
        assert_eq!(
            decode_cursor("meetings", &cursor).unwrap(),
            "2024-06-05|symposium-2024"
        );
        assert!(decode_cursor("matters", &cursor).is_err());
        for bad in [
            "",
            "meetings",
            "meetings.",
            "meetings.zz",
            "meetings.abc",
            "garbage",
        ] {
            assert!(decode_cursor("meetings", bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn parse_collects_every_error_with_its_field() {
        let mut parse = Parse::default();
        assert_eq!(
            parse.opt("member", Some("310000"), code),
            Some("310000".parse().unwrap())
        );
        assert_eq!(parse.opt("member", None, code), None);
        assert_eq!(parse.opt("as_of", Some("2024-02-30"), full_date), None);
        assert_eq!(parse.opt("limit", Some("0"), limit), None);
        assert_eq!(parse.opt("limit", Some("501"), limit), None);
        assert_eq!(parse.opt("limit", Some("500"), limit), Some(500));
        let Err(ApiError::InvalidParams(errors)) = parse.finish() else {
            panic!("expected invalid parameters");
        };
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["as_of", "limit", "limit"]);
        assert!(
            errors[0].reason.contains("no day 30"),
            "{}",
            errors[0].reason
        );
    }

    #[test]
    fn keys_and_codes_are_checked_before_the_store_sees_them() {
        assert!(key("symposium-2024").is_ok());
        assert!(key("Symposium 2024").is_err());
        assert!(code("33030").is_err());
        assert!(code("330300").is_ok());
    }

    async fn language(uri: &str, accept: Option<&str>) -> Result<Lang, ApiError> {
        let mut request = axum::http::Request::builder().uri(uri);
        if let Some(accept) = accept {
            request = request.header(ACCEPT_LANGUAGE, accept);
        }
        let (mut parts, ()) = request.body(()).unwrap().into_parts();
        Language::from_request_parts(&mut parts, &())
            .await
            .map(|l| l.0)
    }

    #[tokio::test]
    async fn the_lang_parameter_wins_over_the_header() {
        assert_eq!(language("/x", None).await.unwrap(), Lang::Zh);
        assert_eq!(
            language("/x", Some("en-GB,en;q=0.9")).await.unwrap(),
            Lang::En
        );
        assert_eq!(language("/x", Some("fr")).await.unwrap(), Lang::Zh);
        assert_eq!(language("/x?lang=zh", Some("en")).await.unwrap(), Lang::Zh);
        assert_eq!(language("/x?lang=en", None).await.unwrap(), Lang::En);
        let Err(ApiError::InvalidParams(errors)) = language("/x?lang=fr", Some("en")).await else {
            panic!("expected invalid parameters");
        };
        assert_eq!(errors[0].field, "lang");
    }
}

/// The most a request body may hold. Every write yrd accepts is a small document.
pub const BODY_LIMIT: usize = 64 * 1024;

/// A JSON request body, with rejections as problem documents: 415 without a JSON media type,
/// 413 when too large, 400 when not JSON, 422 naming the field when it does not fit.
#[derive(Debug)]
pub struct JsonBody<T>(pub T);

impl<T, S> axum::extract::FromRequest<S> for JsonBody<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    #[expect(
        clippy::disallowed_types,
        reason = "this wrapper is built on axum's extractor"
    )]
    async fn from_request(request: axum::extract::Request, state: &S) -> Result<Self, ApiError> {
        use axum::extract::rejection::JsonRejection;
        match axum::Json::<T>::from_request(request, state).await {
            Ok(body) => Ok(JsonBody(body.0)),
            Err(JsonRejection::JsonDataError(e)) => Err(body_field_error(&e.body_text())),
            Err(JsonRejection::JsonSyntaxError(e)) => Err(ApiError::invalid(
                "body",
                format!(
                    "not valid JSON: {}",
                    e.body_text().rsplit(": ").next().unwrap_or("")
                ),
            )),
            Err(JsonRejection::MissingJsonContentType(_)) => Err(ApiError::UnsupportedMediaType(
                "send the body as application/json".into(),
            )),
            Err(JsonRejection::BytesRejection(_)) => {
                Err(ApiError::PayloadTooLarge { limit: BODY_LIMIT })
            }
            Err(other) => Err(ApiError::invalid("body", other.body_text())),
        }
    }
}

/// A form body (`application/x-www-form-urlencoded`), with rejections as problem documents.
#[derive(Debug)]
pub struct FormBody<T>(pub T);

impl<T, S> axum::extract::FromRequest<S> for FormBody<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(request: axum::extract::Request, state: &S) -> Result<Self, ApiError> {
        use axum::extract::rejection::FormRejection;
        match axum::Form::<T>::from_request(request, state).await {
            Ok(body) => Ok(FormBody(body.0)),
            Err(FormRejection::FailedToDeserializeForm(e)) => Err(body_field_error(&e.body_text())),
            Err(FormRejection::InvalidFormContentType(_)) => Err(ApiError::UnsupportedMediaType(
                "send the form as application/x-www-form-urlencoded".into(),
            )),
            Err(FormRejection::BytesRejection(_)) => {
                Err(ApiError::PayloadTooLarge { limit: BODY_LIMIT })
            }
            Err(other) => Err(ApiError::invalid("body", other.body_text())),
        }
    }
}

/// serde's message for a body that does not fit names the field as `path: reason`, or in
/// backticks for a missing one.
fn body_field_error(message: &str) -> ApiError {
    let detail = message
        .split_once("target type: ")
        .or_else(|| message.split_once("Failed to deserialize form body: "))
        .map_or(message, |(_, rest)| rest);
    let (field, reason) = match detail.split_once(": ") {
        Some((path, reason)) if !path.contains(' ') => (path.to_owned(), reason.to_owned()),
        _ => (
            detail
                .split('`')
                .nth(1)
                .filter(|f| !f.is_empty())
                .unwrap_or("body")
                .to_owned(),
            detail.to_owned(),
        ),
    };
    ApiError::Unprocessable(vec![FieldError::new(field, reason)])
}
