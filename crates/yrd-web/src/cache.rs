//! The response cache: what a visitor (no session, no token) is answered to a `GET`, kept
//! until the records change.
//!
//! Every change to the records commits together with a move of the journal's head, and a
//! visitor's response depends only on the records, the request and the date (statuses and
//! deadlines are judged on today). So a response is kept under the head's sequence number,
//! today's date and the request, and found again only while all three are the same.
//!
//! The head is the store's known head ([`yrd_store::Store::known_head`]): a change made
//! through this server has moved it before its request is answered, so it is seen at once,
//! with no query per request. A change made by another process on the same database (a second
//! server, a command-line import) is seen when the head is next read from the database: by the
//! first request once [`RECHECK`] has passed since the last read. When the head moves, the
//! entries of older heads are dropped.
//!
//! Concurrent requests for the same missing entry wait for the first to produce it instead
//! of each computing it. The cache sits inside the tagging layer (`etag`), which tags what it
//! answers and turns a matching `If-None-Match` into a 304, kept or not. Anything personal or
//! not a plain document is not kept: requests with a cookie or an `Authorization` header,
//! other methods, and responses other than a 200 of a tagged type, or that set a cookie or
//! forbid storing.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use axum::body::{Body, Bytes, to_bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use quick_cache::Weighter;
use time::{Date, OffsetDateTime};

use crate::AppState;
use crate::error::ApiError;
use crate::etag;

/// Says whether a response came from the cache (`hit`) or was produced and kept (`miss`).
/// Responses the cache does not apply to carry no such header.
pub const CACHE_HEADER: HeaderName = HeaderName::from_static("x-cache");

/// The request headers a visitor's response may depend on besides the path and query: the
/// negotiated language and format, and whether the visitor came over TLS.
const VARYING: [HeaderName; 3] = [
    header::ACCEPT_LANGUAGE,
    header::ACCEPT,
    HeaderName::from_static("x-forwarded-proto"),
];

/// How long a change made by another process may go unseen (see the module's documentation).
pub const RECHECK: Duration = Duration::from_millis(250);

/// The largest response kept, as a share of the budget: a few very large exports must not
/// push out every page.
const LARGEST_SHARE: u64 = 16;

/// Fixed cost counted per entry besides its body and key: its headers and bookkeeping.
const ENTRY_OVERHEAD: u64 = 1024;

/// What identifies a visitor's response.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
struct Key {
    head: i64,
    day: Date,
    /// The path and query, then the varying headers, each on its own line.
    request: String,
}

#[derive(Clone)]
enum Entry {
    Kept(Arc<Kept>),
    /// A response that must be produced afresh each time (see the module's documentation):
    /// remembered so that concurrent requests for it do not wait for one another.
    NotKept,
}

struct Kept {
    headers: HeaderMap,
    body: Bytes,
}

#[derive(Clone)]
struct Size;

impl Weighter<Key, Entry> for Size {
    fn weight(&self, key: &Key, entry: &Entry) -> u64 {
        let body = match entry {
            Entry::Kept(kept) => kept.body.len() as u64,
            Entry::NotKept => 0,
        };
        ENTRY_OVERHEAD + key.request.len() as u64 + body
    }
}

/// Visitors' responses, up to a budget of bytes.
pub struct ResponseCache {
    entries: quick_cache::sync::Cache<Key, Entry, Size>,
    largest: u64,
    /// When the cache was made: the clock of `next_check`.
    started: Instant,
    /// When the head is next read from the database, in milliseconds from `started`.
    next_check: AtomicU64,
    /// The newest head entries are kept under: those of older ones are dropped.
    newest: AtomicI64,
}

impl std::fmt::Debug for ResponseCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ResponseCache")
            .field("entries", &self.entries.len())
            .field("bytes", &self.entries.weight())
            .finish()
    }
}

impl ResponseCache {
    /// A cache holding up to `budget` bytes of responses.
    pub fn new(budget: u64) -> Self {
        // Pages weigh tens of kilobytes: the estimate only sizes the tables up front.
        let estimated_entries = (budget / 16_384).clamp(64, 65_536) as usize;
        ResponseCache {
            entries: quick_cache::sync::Cache::with_weighter(estimated_entries, budget, Size),
            largest: budget / LARGEST_SHARE,
            started: Instant::now(),
            next_check: AtomicU64::new(0),
            newest: AtomicI64::new(i64::MIN),
        }
    }

    /// The head to keep responses under now. When [`RECHECK`] has passed since the head was
    /// last read from the database, this request reads it (one request per interval: the
    /// others go on with the known head).
    async fn head(&self, store: &yrd_store::Store) -> i64 {
        let now = self.started.elapsed().as_millis() as u64;
        let due = self.next_check.load(Ordering::Relaxed);
        let recheck = RECHECK.as_millis() as u64;
        if now >= due
            && self
                .next_check
                .compare_exchange(due, now + recheck, Ordering::Relaxed, Ordering::Relaxed)
                .is_ok()
        {
            // A failed read leaves the known head as it is: the request goes on, and fails if
            // it must as its handler says (a health check with 503, say).
            let _ = store.journal_head().await;
        }
        store.known_head()
    }

    /// Drops the entries of heads older than `head`, once per head.
    fn forget_before(&self, head: i64, day: Date) {
        if self.newest.fetch_max(head, Ordering::SeqCst) < head {
            self.entries
                .retain(|key, _| key.head >= head && key.day >= day);
        }
    }
}

/// Middleware: answers visitors' `GET`s from the cache, keeping what it may.
pub async fn respond(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let Some(cache) = state.responses.clone() else {
        return next.run(request).await;
    };
    if !is_visitor_get(&request) {
        return next.run(request).await;
    }
    let day = today();
    // The head is taken before anything the response is made of is read, so what is kept
    // under it is at least as new as it.
    let head = cache.head(state.store()).await;
    cache.forget_before(head, day);
    let key = Key {
        head,
        day,
        request: request_line(&request),
    };
    let guard = match cache.entries.get_value_or_guard_async(&key).await {
        Ok(Entry::Kept(kept)) => return answer(&kept, "hit"),
        Ok(Entry::NotKept) => return next.run(request).await,
        Err(guard) => guard,
    };
    let response = next.run(request).await;
    if !may_keep(&response) || today() != day {
        // A response begun on one day and finished on the next may mix the two.
        let _ = guard.insert(Entry::NotKept);
        return response;
    }
    let (parts, body) = response.into_parts();
    let body = match to_bytes(body, usize::MAX).await {
        Ok(body) => body,
        Err(e) => return ApiError::internal(e).into_response(),
    };
    let kept = Arc::new(Kept {
        headers: parts.headers,
        body,
    });
    if (kept.body.len() as u64) < cache.largest {
        let _ = guard.insert(Entry::Kept(kept.clone()));
    } else {
        let _ = guard.insert(Entry::NotKept);
    }
    answer(&kept, "miss")
}

/// A `GET` without credentials of any kind, for something made from the records. A cookie
/// may be a session, or a form's token, so any cookie makes the request personal. Static files
/// are served from memory already: the cache would only add a read of the head.
fn is_visitor_get(request: &Request) -> bool {
    request.method() == Method::GET
        && !request.headers().contains_key(header::AUTHORIZATION)
        && !request.headers().contains_key(header::COOKIE)
        && !request.uri().path().starts_with("/static/")
}

fn request_line(request: &Request) -> String {
    let mut line = request
        .uri()
        .path_and_query()
        .map_or("/", |p| p.as_str())
        .to_owned();
    for name in &VARYING {
        line.push('\n');
        for value in request.headers().get_all(name) {
            line.push_str(&String::from_utf8_lossy(value.as_bytes()));
            line.push(',');
        }
    }
    line
}

/// A 200 document the tagging layer tags, that sets no cookie and does not forbid storing.
fn may_keep(response: &Response) -> bool {
    let headers = response.headers();
    response.status() == StatusCode::OK
        && etag::is_tagged(headers)
        && !headers.contains_key(header::SET_COOKIE)
        && !headers
            .get_all(header::CACHE_CONTROL)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .any(|v| v.contains("no-store") || v.contains("private"))
}

fn answer(kept: &Kept, outcome: &'static str) -> Response {
    let mut headers = kept.headers.clone();
    headers.insert(CACHE_HEADER, HeaderValue::from_static(outcome));
    (StatusCode::OK, headers, Body::from(kept.body.clone())).into_response()
}

fn today() -> Date {
    OffsetDateTime::now_utc().date()
}
