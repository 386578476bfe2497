//! The HTTP face of yrd: the read-only JSON API under `/api/v1` and the OpenAPI 3.1 document
//! that describes it, served at `/api/openapi.json`.
//!
//! Layers, outermost first: request tracing; a panic guard that turns a panicking handler into
//! an opaque 500 problem; security headers; entity tags and conditional GETs (`etag`);
//! visitors' responses kept until the records change (`cache`); then thin handlers
//! (`routes`) that extract and parse parameters, call the [`Store`], and map records to
//! response types. The router and the OpenAPI document are built from one list of handlers, so
//! every route served is documented and every documented path is served.
//!
//! Conventions every endpoint follows: texts in the language negotiated from `?lang=` or
//! `Accept-Language` (Chinese by default); errors as `application/problem+json` naming each
//! invalid parameter; lists as `{ "items": [...] }`, with `next_cursor` where paged.

mod auth;
mod cache;
mod dto;
mod error;
mod etag;
mod extract;
mod hardening;
mod openapi;
mod pages;
mod response;
mod routes;
mod session;
mod svg;

use std::any::Any;
use std::future::Future;

use axum::Router;
use axum::response::{IntoResponse, Response};
use tokio::net::TcpListener;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::trace::TraceLayer;
use yrd_store::Store;

use crate::error::ApiError;

/// What every handler shares: the store, the directory of the members' signing keys, and the
/// cache of visitors' responses. Cheap to clone (the store's pool and the cache are shared).
#[derive(Clone, Debug)]
pub struct AppState {
    store: Store,
    keys: std::sync::Arc<std::path::Path>,
    responses: Option<std::sync::Arc<cache::ResponseCache>>,
}

/// Where the members' private signing keys are when no directory is configured.
pub const DEFAULT_KEYS_DIR: &str = "keys";

/// How many MiB of visitors' responses are kept when no budget is configured.
pub const DEFAULT_RESPONSE_CACHE_MIB: u64 = 64;

pub use cache::{CACHE_HEADER, DEFAULT_STALE_BOUND, RECHECK as CACHE_RECHECK};

impl AppState {
    /// State over `store`, which must be migrated, with keys in [`DEFAULT_KEYS_DIR`] and
    /// [`DEFAULT_RESPONSE_CACHE_MIB`] of visitors' responses kept, answered up to
    /// [`DEFAULT_STALE_BOUND`] behind the records.
    pub fn new(store: Store) -> Self {
        AppState {
            store,
            keys: std::path::Path::new(DEFAULT_KEYS_DIR).into(),
            responses: None,
        }
        .with_response_cache(DEFAULT_RESPONSE_CACHE_MIB)
    }

    /// The same state keeping up to `mib` MiB of visitors' responses; 0 keeps none.
    pub fn with_response_cache(mut self, mib: u64) -> Self {
        let stale_bound = self
            .responses
            .as_ref()
            .map_or(DEFAULT_STALE_BOUND, |c| c.stale_bound());
        self.responses = (mib > 0).then(|| {
            std::sync::Arc::new(cache::ResponseCache::new(
                mib.saturating_mul(1 << 20),
                stale_bound,
            ))
        });
        self
    }

    /// The same state answering a visitor a kept response up to `bound` after it was made
    /// although the records have changed since ([`DEFAULT_STALE_BOUND`] unless set); zero
    /// answers only responses as new as the records.
    pub fn with_stale_bound(mut self, bound: std::time::Duration) -> Self {
        self.responses = self
            .responses
            .map(|c| std::sync::Arc::new(cache::ResponseCache::new(c.budget(), bound)));
        self
    }

    /// The same state with the members' signing keys (`<member code>.pem`) in `dir`.
    pub fn with_keys(mut self, dir: impl Into<std::path::PathBuf>) -> Self {
        self.keys = dir.into().into();
        self
    }

    /// The store handlers read from.
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// The directory of the members' private signing keys.
    pub fn keys(&self) -> &std::path::Path {
        &self.keys
    }
}

/// The application: every API route, the OpenAPI document, and problem documents for unknown
/// paths and methods.
pub fn router(state: AppState) -> Router {
    let (api, _) = routes::api().split_for_parts();
    api.merge(forms())
        .merge(pages::router())
        .fallback(no_route)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            cache::respond,
        ))
        .layer(axum::middleware::from_fn(etag::etag))
        .layer(axum::extract::DefaultBodyLimit::max(extract::BODY_LIMIT))
        .layer(axum::middleware::from_fn(hardening::security_headers))
        .layer(CatchPanicLayer::custom(panic_response))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}

/// The HTML forms that change state, each CSRF-protected. They are not part of the JSON API
/// or its document.
pub fn forms() -> Router<AppState> {
    use axum::routing::{get, post};
    Router::new()
        .route(
            "/sign-in",
            get(session::sign_in_form).post(session::sign_in),
        )
        .route("/sign-out", post(session::sign_out))
}

/// Every form route, as (method, path): the authorization matrix test checks it covers them.
pub const FORM_ROUTES: &[(&str, &str)] = &[
    ("GET", "/sign-in"),
    ("POST", "/sign-in"),
    ("POST", "/sign-out"),
];

/// Every page route, as (method, path): the authorization matrix test checks it covers them.
pub fn page_routes() -> Vec<(&'static str, &'static str)> {
    pages::page_routes()
}

/// Serves [`router`] on `listener` until `shutdown` completes, then finishes the requests in
/// flight.
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    // The peer address is kept for throttling failed sign-ins per client.
    let app = router(state).into_make_service_with_connect_info::<std::net::SocketAddr>();
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await
}

/// The OpenAPI 3.1 document of the API, as served at `/api/openapi.json`.
pub fn openapi() -> utoipa::openapi::OpenApi {
    openapi::document()
}

async fn no_route(uri: axum::http::Uri) -> ApiError {
    ApiError::NotFound(format!("there is nothing at {}", uri.path()))
}

async fn method_not_allowed() -> ApiError {
    ApiError::MethodNotAllowed
}

fn panic_response(panic: Box<dyn Any + Send + 'static>) -> Response {
    let message = panic
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a handler panicked".to_owned());
    ApiError::internal(format!("handler panicked: {message}")).into_response()
}
