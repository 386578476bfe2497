//! The response cache: what a visitor (no session, no token) is answered to a `GET`, kept
//! until the records change, and for a bounded while after.
//!
//! Every change to the records commits together with a move of the journal's head, and a
//! visitor's response depends only on the records, the request and the date (statuses and
//! deadlines are judged on today). So a response is kept for the request and today's date,
//! with the head it was made under, and answered as it is (`hit`) while the head is the same.
//!
//! When the head has moved, a kept response made less than the stale bound ago
//! ([`DEFAULT_STALE_BOUND`], 250 ms) is still answered (`stale`), and the first such request
//! starts the making of the new one in the background; until it is kept, the stale one is
//! answered. So a page asked for while changes come faster than it can be made is answered
//! from memory, and a visitor's answer never shows the records as they were more than the
//! bound ago. Older than the bound, the visitor waits for a new one (`miss`). Signed-in
//! requests are never answered from here, so whoever makes a change sees it at once. A bound
//! of zero answers nothing stale.
//!
//! The head is the store's known head ([`yrd_store::Store::known_head`]): a change made
//! through this server has moved it before its request is answered, with no query per request.
//! A change made by another process on the same database (a second server, a command-line
//! import) is seen when the head is next read from the database: by the first request once
//! [`RECHECK`] has passed since the last read, so a visitor sees it within the recheck and the
//! stale bound together. When the head moves, what is older than the bound is dropped.
//!
//! Concurrent requests for a response that must be made wait for the first to make it
//! instead of each making it. The cache sits inside the tagging layer (`etag`), which tags what
//! it answers and turns a matching `If-None-Match` into a 304, kept or not. Anything personal
//! or not a plain document is not kept: requests with a cookie or an `Authorization` header,
//! other methods, and responses other than a 200 of a tagged type, or that set a cookie or
//! forbid storing.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use axum::body::{Body, Bytes, to_bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use quick_cache::Weighter;
use quick_cache::sync::{EntryAction, EntryResult};
use time::{Date, OffsetDateTime};

use crate::AppState;
use crate::error::ApiError;
use crate::etag;

/// Says whether a response came from the cache as kept (`hit`), came from it though the
/// records have changed since (`stale`), or was made and kept (`miss`). Responses the cache
/// does not apply to carry no such header.
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

/// How long after it was made a kept response may still be answered once the records have
/// changed (see the module's documentation).
pub const DEFAULT_STALE_BOUND: Duration = Duration::from_millis(250);

/// The largest response kept, as a share of the budget: a few very large exports must not
/// push out every page.
const LARGEST_SHARE: u64 = 16;

/// Fixed cost counted per entry besides its body and key: its headers and bookkeeping.
const ENTRY_OVERHEAD: u64 = 1024;

/// What identifies a visitor's response.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
struct Key {
    day: Date,
    /// The path and query, then the varying headers, each on its own line.
    request: String,
}

#[derive(Clone)]
enum Entry {
    Kept(Arc<Kept>),
    /// A response that must be made afresh each time (see the module's documentation),
    /// remembered under the head it was found at, so that concurrent requests for it do not
    /// wait for one another.
    NotKept {
        head: i64,
    },
}

struct Kept {
    /// The head the response was made under: it shows every change up to it.
    head: i64,
    /// When its making began (when `head` was read).
    made: Instant,
    /// Whether a request has begun making its successor.
    refreshing: AtomicBool,
    headers: HeaderMap,
    body: Bytes,
}

/// What a request finds kept for it.
enum Found {
    /// A response made under the current head.
    Fresh(Arc<Kept>),
    /// A response of an older head, within the stale bound.
    Stale(Arc<Kept>),
    /// Nothing to answer from: the response is made afresh, without waiting for anyone.
    Uncacheable,
}

/// What to do with the entry a request finds: answer from it, or (outside the stale bound)
/// replace it, the other requests waiting for the new one.
fn judge(entry: &Entry, head: i64, now: Instant, stale_bound: Duration) -> EntryAction<Found> {
    match entry {
        Entry::Kept(kept) if kept.head >= head => EntryAction::Retain(Found::Fresh(kept.clone())),
        Entry::Kept(kept) if now.saturating_duration_since(kept.made) < stale_bound => {
            EntryAction::Retain(Found::Stale(kept.clone()))
        }
        Entry::NotKept { head: found_at } if *found_at >= head => {
            EntryAction::Retain(Found::Uncacheable)
        }
        _ => EntryAction::ReplaceWithGuard,
    }
}

#[derive(Clone)]
struct Size;

impl Weighter<Key, Entry> for Size {
    fn weight(&self, key: &Key, entry: &Entry) -> u64 {
        let body = match entry {
            Entry::Kept(kept) => kept.body.len() as u64,
            Entry::NotKept { .. } => 0,
        };
        ENTRY_OVERHEAD + key.request.len() as u64 + body
    }
}

/// Visitors' responses, up to a budget of bytes.
pub struct ResponseCache {
    entries: quick_cache::sync::Cache<Key, Entry, Size>,
    budget: u64,
    largest: u64,
    stale_bound: Duration,
    /// When the cache was made: the clock of `next_check`.
    started: Instant,
    /// When the head is next read from the database, in milliseconds from `started`.
    next_check: AtomicU64,
    /// The newest head seen: when it moves, what is past the stale bound is dropped.
    newest: AtomicI64,
}

impl std::fmt::Debug for ResponseCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ResponseCache")
            .field("entries", &self.entries.len())
            .field("bytes", &self.entries.weight())
            .field("stale_bound", &self.stale_bound)
            .finish()
    }
}

impl ResponseCache {
    /// A cache holding up to `budget` bytes of responses, answering them up to `stale_bound`
    /// after they were made once the records have changed.
    pub fn new(budget: u64, stale_bound: Duration) -> Self {
        // Pages weigh tens of kilobytes: the estimate only sizes the tables up front.
        let estimated_entries = (budget / 16_384).clamp(64, 65_536) as usize;
        ResponseCache {
            entries: quick_cache::sync::Cache::with_weighter(estimated_entries, budget, Size),
            budget,
            largest: budget / LARGEST_SHARE,
            stale_bound,
            started: Instant::now(),
            next_check: AtomicU64::new(0),
            newest: AtomicI64::new(i64::MIN),
        }
    }

    /// The budget in bytes this cache was made with.
    pub fn budget(&self) -> u64 {
        self.budget
    }

    /// How long after it was made a kept response may be answered stale.
    pub fn stale_bound(&self) -> Duration {
        self.stale_bound
    }

    /// The head to judge kept responses by now. When [`RECHECK`] has passed since the head
    /// was last read from the database, this request reads it (one request per interval: the
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

    /// Once per head: drops the entries of other days, and those of older heads that are past
    /// the stale bound, so they do not take the room of current ones.
    fn forget_before(&self, head: i64, day: Date) {
        if self.newest.fetch_max(head, Ordering::SeqCst) < head {
            let now = Instant::now();
            self.entries.retain(|key, entry| {
                key.day >= day
                    && !matches!(
                        judge(entry, head, now, self.stale_bound),
                        EntryAction::ReplaceWithGuard
                    )
            });
        }
    }

    /// Keeps what a background refresh made, unless something newer was kept meanwhile.
    fn keep_refreshed(&self, key: Key, kept: Arc<Kept>) {
        if let Some(Entry::Kept(current)) = self.entries.peek(&key)
            && current.head > kept.head
        {
            return;
        }
        self.entries.insert(key, Entry::Kept(kept));
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
    let made = Instant::now();
    cache.forget_before(head, day);
    let key = Key {
        day,
        request: request_line(&request),
    };
    let guard = match cache
        .entries
        .entry_async(&key, |_, entry| judge(entry, head, made, cache.stale_bound))
        .await
    {
        EntryResult::Retained(Found::Fresh(kept)) => return answer(&kept, "hit"),
        EntryResult::Retained(Found::Stale(kept)) => {
            if !kept.refreshing.swap(true, Ordering::AcqRel) {
                refresh(cache.clone(), key, head, made, &request, next);
            }
            return answer(&kept, "stale");
        }
        EntryResult::Retained(Found::Uncacheable)
        | EntryResult::Removed(..)
        | EntryResult::Timeout => return next.run(request).await,
        EntryResult::Replaced(guard, _) | EntryResult::Vacant(guard) => guard,
    };
    let response = next.run(request).await;
    match keepable(&cache, response, head, made, day).await {
        Ok((kept, response)) => {
            let _ = guard.insert(kept.map_or(Entry::NotKept { head }, Entry::Kept));
            response
        }
        Err(response) => response,
    }
}

/// Makes the response to a copy of `request` in the background, and keeps it.
fn refresh(
    cache: Arc<ResponseCache>,
    key: Key,
    head: i64,
    made: Instant,
    request: &Request,
    next: Next,
) {
    // A visitor's `GET` has no body that matters: the copy has the request's head alone.
    let copy = Request::from_parts(request_parts(request), Body::empty());
    tokio::spawn(async move {
        let response = next.run(copy).await;
        if let Ok((Some(kept), _)) = keepable(&cache, response, head, made, key.day).await {
            cache.keep_refreshed(key, kept);
        }
    });
}

fn request_parts(request: &Request) -> axum::http::request::Parts {
    let mut copy = Request::new(());
    *copy.method_mut() = request.method().clone();
    *copy.uri_mut() = request.uri().clone();
    *copy.version_mut() = request.version();
    *copy.headers_mut() = request.headers().clone();
    *copy.extensions_mut() = request.extensions().clone();
    copy.into_parts().0
}

/// What of `response` may be kept (None when it must be made afresh each time), and the
/// response to answer; an error response if its body could not be read.
async fn keepable(
    cache: &ResponseCache,
    response: Response,
    head: i64,
    made: Instant,
    day: Date,
) -> Result<(Option<Arc<Kept>>, Response), Response> {
    // A response begun on one day and finished on the next may mix the two.
    if !may_keep(&response) || today() != day {
        return Ok((None, response));
    }
    let (parts, body) = response.into_parts();
    let body = match to_bytes(body, usize::MAX).await {
        Ok(body) => body,
        Err(e) => return Err(ApiError::internal(e).into_response()),
    };
    let kept = Arc::new(Kept {
        head,
        made,
        refreshing: AtomicBool::new(false),
        headers: parts.headers,
        body,
    });
    let answered = answer(&kept, "miss");
    let small_enough = (kept.body.len() as u64) < cache.largest;
    Ok((small_enough.then_some(kept), answered))
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

#[cfg(test)]
mod tests {
    use super::*;

    fn kept(head: i64, made: Instant) -> Entry {
        Entry::Kept(Arc::new(Kept {
            head,
            made,
            refreshing: AtomicBool::new(false),
            headers: HeaderMap::new(),
            body: Bytes::from_static(b"page"),
        }))
    }

    fn verdict(action: EntryAction<Found>) -> &'static str {
        match action {
            EntryAction::Retain(Found::Fresh(_)) => "fresh",
            EntryAction::Retain(Found::Stale(_)) => "stale",
            EntryAction::Retain(Found::Uncacheable) => "uncacheable",
            EntryAction::Remove => "remove",
            EntryAction::ReplaceWithGuard => "make",
        }
    }

    #[test]
    fn a_kept_response_is_answered_stale_only_within_the_bound() {
        let made = Instant::now();
        let bound = Duration::from_millis(250);
        let within = made + Duration::from_millis(249);
        let past = made + bound;
        let cases = [
            // Made under the current head (or a newer one, by a concurrent request): as kept.
            (kept(7, made), 7, past, bound, "fresh"),
            (kept(8, made), 7, past, bound, "fresh"),
            // The head has moved: stale within the bound, made anew from it on.
            (kept(6, made), 7, within, bound, "stale"),
            (kept(6, made), 7, past, bound, "make"),
            // A bound of zero answers nothing stale.
            (kept(6, made), 7, made, Duration::ZERO, "make"),
            // A response that is never kept is made by each request under its head, and
            // once more by one request, the others waiting, after the head moves.
            (Entry::NotKept { head: 7 }, 7, within, bound, "uncacheable"),
            (Entry::NotKept { head: 6 }, 7, within, bound, "make"),
        ];
        for (entry, head, now, bound, expected) in cases {
            assert_eq!(
                verdict(judge(&entry, head, now, bound)),
                expected,
                "head {head}, {:?} after making, bound {bound:?}",
                now - made
            );
        }
    }
}
