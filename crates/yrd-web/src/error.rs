//! The one error type of the API and how it is shown: every failure is an
//! `application/problem+json` document (RFC 9457).
//!
//! Policy: a client mistake says exactly what is wrong and with which parameter (`errors`
//! names each field and why, all of them at once); a server failure is logged with its cause
//! and answered with an opaque body, so no SQL, path or stack ever reaches a client.
//! Handlers return `Result<_, ApiError>` and use `?` on store calls: `From<StoreError>` decides
//! which store errors are the client's fault.

use std::error::Error as StdError;

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;
use yrd_store::StoreError;

/// The media type of every error response.
pub const PROBLEM_JSON: &str = "application/problem+json";

/// The problem type of invalid parameters; the other problems use `about:blank`, since their
/// HTTP status says all there is to say.
pub const INVALID_PARAMETERS_TYPE: &str = "/api/problems/invalid-parameters";

/// The problem type of invalid request body fields.
pub const INVALID_FIELDS_TYPE: &str = "/api/problems/invalid-fields";

/// Why a request failed.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// One or more parameters are malformed or out of range.
    #[error("invalid parameters: {}", describe(.0))]
    InvalidParams(Vec<FieldError>),
    /// No record, or no route, at this address.
    #[error("{0}")]
    NotFound(String),
    /// The route exists but not for this method.
    #[error("method not allowed")]
    MethodNotAllowed,
    /// Sign in first, or the credentials sent are not valid.
    #[error("{0}")]
    Unauthenticated(String),
    /// Signed in, but the access policy does not allow this.
    #[error("{0}")]
    Forbidden(String),
    /// The record's state does not allow this change (a taken key, a stale version).
    #[error("{0}")]
    Conflict(String),
    /// A change to a versioned record sent without `If-Match`.
    #[error("{0}")]
    PreconditionRequired(String),
    /// Fields of the request body are invalid, each named with why.
    #[error("invalid fields: {}", describe(.0))]
    Unprocessable(Vec<FieldError>),
    #[error("the request body is too large")]
    PayloadTooLarge { limit: usize },
    #[error("{0}")]
    UnsupportedMediaType(String),
    /// The database does not answer (health check).
    #[error("the database does not answer")]
    Unavailable(#[source] StoreError),
    /// Anything else: a bug or an infrastructure failure.
    #[error("internal error")]
    Internal(#[source] Box<dyn StdError + Send + Sync>),
}

/// One invalid parameter and why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, ToSchema)]
pub struct FieldError {
    /// The parameter's name as it appears in the request (`status`, `as_of`, `code`, …).
    #[schema(example = "as_of")]
    pub field: String,
    /// What is wrong with its value.
    #[schema(example = "\"2024-02-30\" is not a date: 2024-02 has no day 30")]
    pub reason: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, reason: impl Into<String>) -> Self {
        FieldError {
            field: field.into(),
            reason: reason.into(),
        }
    }
}

fn describe(errors: &[FieldError]) -> String {
    errors
        .iter()
        .map(|e| format!("{}: {}", e.field, e.reason))
        .collect::<Vec<_>>()
        .join("; ")
}

/// An RFC 9457 problem document.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, ToSchema)]
pub struct ProblemResponse {
    /// Identifies the kind of problem: `/api/problems/invalid-parameters` for bad parameters
    /// (with `errors`), else `about:blank`.
    #[serde(rename = "type")]
    #[schema(example = "/api/problems/invalid-parameters")]
    pub problem_type: String,
    /// A short summary of the kind of problem.
    #[schema(example = "Invalid parameters")]
    pub title: String,
    /// The HTTP status code.
    #[schema(example = 400)]
    pub status: u16,
    /// What went wrong with this request.
    pub detail: String,
    /// For invalid parameters: each invalid parameter and why.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub errors: Option<Vec<FieldError>>,
}

impl ApiError {
    /// A single invalid parameter.
    pub fn invalid(field: impl Into<String>, reason: impl Into<String>) -> ApiError {
        ApiError::InvalidParams(vec![FieldError::new(field, reason)])
    }

    /// No record of the kind `what` has the key `key`.
    pub fn not_found(what: &str, key: &str) -> ApiError {
        ApiError::NotFound(format!("there is no {what} {key:?}"))
    }

    /// A failure that is not the client's fault.
    pub fn internal(error: impl Into<Box<dyn StdError + Send + Sync>>) -> ApiError {
        ApiError::Internal(error.into())
    }

    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::InvalidParams(_) => StatusCode::BAD_REQUEST,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::Unauthenticated(_) => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::Conflict(_) => StatusCode::CONFLICT,
            ApiError::PreconditionRequired(_) => StatusCode::PRECONDITION_REQUIRED,
            ApiError::Unprocessable(_) => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::PayloadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The document a client sees. Causes of server failures are deliberately left out.
    pub fn problem(&self) -> ProblemResponse {
        let status = self.status();
        let title = status.canonical_reason().unwrap_or("Error").to_owned();
        let (problem_type, title, detail, errors) = match self {
            ApiError::InvalidParams(errors) => (
                INVALID_PARAMETERS_TYPE,
                "Invalid parameters".to_owned(),
                describe(errors),
                Some(errors.clone()),
            ),
            ApiError::NotFound(detail) => ("about:blank", title, detail.clone(), None),
            ApiError::MethodNotAllowed => (
                "about:blank",
                title,
                "this resource does not answer this method".to_owned(),
                None,
            ),
            ApiError::Unauthenticated(detail)
            | ApiError::Forbidden(detail)
            | ApiError::Conflict(detail)
            | ApiError::PreconditionRequired(detail)
            | ApiError::UnsupportedMediaType(detail) => {
                ("about:blank", title, detail.clone(), None)
            }
            ApiError::Unprocessable(errors) => (
                INVALID_FIELDS_TYPE,
                "Invalid fields".to_owned(),
                describe(errors),
                Some(errors.clone()),
            ),
            ApiError::PayloadTooLarge { limit } => (
                "about:blank",
                title,
                format!("the request body exceeds {limit} bytes"),
                None,
            ),
            ApiError::Unavailable(_) => (
                "about:blank",
                title,
                "the database does not answer".to_owned(),
                None,
            ),
            ApiError::Internal(_) => (
                "about:blank",
                title,
                "the server failed to answer this request; the failure has been logged".to_owned(),
                None,
            ),
        };
        ProblemResponse {
            problem_type: problem_type.to_owned(),
            title,
            status: status.as_u16(),
            detail,
            errors,
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(error: StoreError) -> Self {
        match error {
            // The only store error a client can cause: a cursor that is not one of ours.
            StoreError::InvalidCursor => {
                ApiError::invalid("cursor", "not a cursor returned by this list")
            }
            StoreError::Invalid { field, reason } => {
                ApiError::Unprocessable(vec![FieldError::new(field, reason)])
            }
            StoreError::NotFound(what) => ApiError::NotFound(format!("there is no {what}")),
            StoreError::Conflict(reason) => ApiError::Conflict(reason),
            other => ApiError::internal(other),
        }
    }
}

/// The error and its causes, outermost first, for the log.
fn chain(error: &(dyn StdError + 'static)) -> String {
    let mut out = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        out.push_str(": ");
        out.push_str(&cause.to_string());
        source = cause.source();
    }
    out
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        match &self {
            ApiError::Internal(_) => tracing::error!(error = %chain(&self), "request failed"),
            ApiError::Unavailable(_) => {
                tracing::warn!(error = %chain(&self), "health check failed")
            }
            _ => {}
        }
        let mut response = problem_response(&self.problem());
        if let ApiError::Unauthenticated(_) = self {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"yrd\""),
            );
        }
        response
    }
}

/// Renders a problem document with its status and media type.
pub fn problem_response(problem: &ProblemResponse) -> Response {
    let status = StatusCode::from_u16(problem.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    // A problem document is plain data and always serialises; the fallback only keeps the
    // response well-formed should that ever change.
    let body = serde_json::to_vec(problem).unwrap_or_else(|_| b"{}".to_vec());
    let mut response = (status, body).into_response();
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invalid_params_name_every_field() {
        let error = ApiError::InvalidParams(vec![
            FieldError::new("status", "expected one of on_track, done"),
            FieldError::new("as_of", "no such day"),
        ]);
        let problem = error.problem();
        assert_eq!(problem.status, 400);
        assert_eq!(problem.problem_type, INVALID_PARAMETERS_TYPE);
        let fields: Vec<_> = problem
            .errors
            .unwrap()
            .into_iter()
            .map(|e| e.field)
            .collect();
        assert_eq!(fields, ["status", "as_of"]);
        assert!(problem.detail.contains("as_of: no such day"));
    }

    #[test]
    fn a_bad_cursor_is_the_clients_fault_and_other_store_errors_are_not() {
        let error = ApiError::from(StoreError::InvalidCursor);
        assert_eq!(error.status(), StatusCode::BAD_REQUEST);
        assert_eq!(error.problem().errors.unwrap()[0].field, "cursor");

        let error = ApiError::from(StoreError::Corrupt {
            what: "meeting host",
            reason: "SELECT secret FROM t".into(),
        });
        assert_eq!(error.status(), StatusCode::INTERNAL_SERVER_ERROR);
        let problem = error.problem();
        // Nothing of the cause leaks into what the client sees.
        assert!(!problem.detail.contains("SELECT"), "{}", problem.detail);
        assert!(problem.errors.is_none());
        let body = serde_json::to_string(&problem).unwrap();
        assert!(!body.contains("meeting host"), "{body}");
    }

    #[test]
    fn problem_responses_have_the_problem_media_type() {
        let response = ApiError::not_found("meeting", "x").into_response();
        assert_eq!(response.status(), StatusCode::NOT_FOUND);
        assert_eq!(response.headers()[header::CONTENT_TYPE], PROBLEM_JSON);
    }
}
