//! Headers every response carries: a strict Content-Security-Policy, frame denial, no MIME
//! sniffing, a same-origin referrer policy; and, for responses to signed-in requests, no
//! caching by anyone but the browser's own session.

use axum::extract::Request;
use axum::http::{HeaderName, HeaderValue, header};
use axum::middleware::Next;
use axum::response::Response;

/// Only the application's own scripts, styles and images (plus inline `data:` images for
/// charts) load; nothing frames it; forms post only to it.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; img-src 'self' data:; \
     style-src 'self'; script-src 'self'; object-src 'none'; base-uri 'none'; \
     form-action 'self'; frame-ancestors 'none'";

pub async fn security_headers(request: Request, next: Next) -> Response {
    let personal = request.headers().contains_key(header::AUTHORIZATION)
        || request.headers().contains_key(header::COOKIE);
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    let set = |headers: &mut axum::http::HeaderMap, name: HeaderName, value: &'static str| {
        headers.insert(name, HeaderValue::from_static(value));
    };
    set(
        headers,
        header::CONTENT_SECURITY_POLICY,
        CONTENT_SECURITY_POLICY,
    );
    set(headers, header::X_FRAME_OPTIONS, "DENY");
    set(headers, header::X_CONTENT_TYPE_OPTIONS, "nosniff");
    set(headers, header::REFERRER_POLICY, "same-origin");
    set(
        headers,
        HeaderName::from_static("cross-origin-opener-policy"),
        "same-origin",
    );
    // What a signed-in user sees may include drafts: no shared cache may keep it.
    headers.append(
        header::VARY,
        HeaderValue::from_static("Cookie, Authorization"),
    );
    if personal {
        set(headers, header::CACHE_CONTROL, "private, no-store");
    }
    response
}
