//! Entity tags for every successful JSON response and page, and conditional GETs against them.
//!
//! The tag is computed from the body actually sent (SHA-256, first 16 bytes in hex), so it is
//! strong and correct by construction: any change to the data, the language or the format
//! changes it, and no handler has to remember to set it. The price is hashing each body,
//! which is small next to the queries that produced it.

use axum::body::{Body, to_bytes};
use axum::extract::Request;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};

use crate::error::ApiError;

/// The strong entity tag of a body, quoted as it appears in `ETag`.
pub fn entity_tag(body: &[u8]) -> String {
    let digest = Sha256::digest(body);
    let mut tag = String::with_capacity(34);
    tag.push('"');
    for byte in &digest[..16] {
        tag.push_str(&format!("{byte:02x}"));
    }
    tag.push('"');
    tag
}

/// Whether an `If-None-Match` value matches `tag`: `*`, or a list containing it. The
/// comparison is weak, as RFC 9110 prescribes for `If-None-Match`, so `W/"…"` matches too.
pub fn none_match_hits(if_none_match: &str, tag: &str) -> bool {
    if if_none_match.trim() == "*" {
        return true;
    }
    if_none_match
        .split(',')
        .map(|candidate| candidate.trim())
        .map(|candidate| candidate.strip_prefix("W/").unwrap_or(candidate))
        .any(|candidate| candidate == tag)
}

/// The media types whose responses are tagged: the API's JSON and the portal's pages, style,
/// open data and feed.
const TAGGED: &[&str] = &[
    "application/json",
    "text/html",
    "text/css",
    "text/csv",
    "application/atom+xml",
];

pub(crate) fn is_tagged(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| TAGGED.iter().any(|t| v.starts_with(t)))
}

/// Middleware: tags 200 responses of [`TAGGED`] types and answers a matching
/// `If-None-Match` with 304.
pub async fn etag(request: Request, next: Next) -> Response {
    let conditional = matches!(*request.method(), Method::GET | Method::HEAD);
    let if_none_match = request
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let response = next.run(request).await;
    if response.status() != StatusCode::OK || !is_tagged(response.headers()) {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let bytes = match to_bytes(body, usize::MAX).await {
        Ok(bytes) => bytes,
        Err(e) => return ApiError::internal(e).into_response(),
    };
    // A handler that versions its resource (for If-Match) sets its own tag.
    let tag = match parts
        .headers
        .get(header::ETAG)
        .and_then(|v| v.to_str().ok())
    {
        Some(own) => own.to_owned(),
        None => {
            let tag = entity_tag(&bytes);
            parts.headers.insert(
                header::ETAG,
                HeaderValue::from_str(&tag).expect("hex in quotes is a valid header value"),
            );
            tag
        }
    };
    if conditional && if_none_match.is_some_and(|v| none_match_hits(&v, &tag)) {
        // A 304 keeps the headers a 200 would have (ETag, Vary, Content-Language) but has
        // no body, so the headers describing one go.
        parts.status = StatusCode::NOT_MODIFIED;
        parts.headers.remove(header::CONTENT_TYPE);
        parts.headers.remove(header::CONTENT_LENGTH);
        return Response::from_parts(parts, Body::empty());
    }
    Response::from_parts(parts, Body::from(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_are_quoted_hex_of_the_first_half_of_the_digest() {
        // SHA-256 of the empty string starts e3b0c442 98fc1c14 9afbf4c8 996fb924.
        assert_eq!(entity_tag(b""), "\"e3b0c44298fc1c149afbf4c8996fb924\"");
        assert_ne!(entity_tag(b"{}"), entity_tag(b"[]"));
    }

    #[test]
    fn if_none_match_accepts_lists_weak_tags_and_star() {
        let tag = "\"abc\"";
        assert!(none_match_hits("\"abc\"", tag));
        assert!(none_match_hits("\"x\", \"abc\"", tag));
        assert!(none_match_hits("W/\"abc\"", tag));
        assert!(none_match_hits("*", tag));
        assert!(!none_match_hits("\"abcd\"", tag));
        assert!(!none_match_hits("abc", tag));
    }
}
