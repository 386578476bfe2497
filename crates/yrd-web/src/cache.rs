//! The response cache: what a visitor (no session, no token) is answered to a `GET`, kept
//! until the records change, and for a bounded while after.
//!
//! Every change to the records commits together with a move of the journal's head, and a
//! visitor's response depends only on the records, the request and the date (statuses and
//! deadlines are judged on today). So a response is kept under the head's sequence number,
//! today's date and the request, and answered as kept (`hit`) while all three are the same.
//!
//! A response that shows only some records (a plan's, a matter's or a task's, see
//! [`shown_records`]) stays current beyond its head: it is answered as kept (`hit`) under
//! later heads for as long as no change has touched its records
//! ([`yrd_store::Store::unchanged_since`]). The frequent writes (progress reports, their
//! review, members' positions) touch only the records they alter, so a report on one plan's
//! task leaves every other plan's, matter's and task's response kept.
//!
//! When the head has moved and the response is not current, the newest response made for the
//! request is still answered (`stale`) if it was made less than the stale bound ago
//! ([`DEFAULT_STALE_BOUND`], one second); the first request to find it past half the bound has
//! its successor made in the background. Past the bound, the visitor waits for a new one
//! (`miss`). So a visitor's answer never shows the records as they were more than the bound
//! ago, and a page asked for many times a second is made a few times a second however often the
//! records change, instead of once per change with every visitor waiting for it. Signed-in
//! requests are never answered from here, so whoever makes a change sees it at once. A bound of
//! zero answers nothing stale.
//!
//! The head is the store's known head ([`yrd_store::Store::known_head`]): a change made
//! through this server has moved it before its request is answered, with no query per request.
//! A change made by another process on the same database (a second server, a command-line
//! import) is seen when the head is next read from the database: by the first request once
//! [`RECHECK`] has passed since the last read, and counts as touching every record. When the
//! head moves, the entries of older heads are dropped, but for the newest response of each
//! request.
//!
//! Kept bodies are held gzipped, a fifth of their size or less, and sent so to clients that
//! accept gzip, under an entity tag of their own; others are sent them unzipped.
//!
//! Concurrent requests for the same missing entry wait for the first to produce it instead
//! of each computing it. The cache sits inside the tagging layer (`etag`), which tags what it
//! answers and turns a matching `If-None-Match` into a 304, kept or not. Anything personal or
//! not a plain document is not kept: requests with a cookie or an `Authorization` header,
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
use time::{Date, OffsetDateTime};

use yrd_store::RecordScope;

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
pub const DEFAULT_STALE_BOUND: Duration = Duration::from_secs(1);

/// The largest response kept, as a share of the budget: a few very large exports must not
/// push out every page.
const LARGEST_SHARE: u64 = 16;

/// Fixed cost counted per entry besides its body and key: its headers and bookkeeping.
const ENTRY_OVERHEAD: u64 = 1024;

/// What identifies a visitor's response.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
struct Key {
    head: i64,
    request: Asked,
}

/// What is asked, whatever the head: the newest response made for it is kept under this.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
struct Asked {
    day: Date,
    /// The path and query, then the varying headers, each on its own line.
    line: String,
}

#[derive(Clone)]
enum Entry {
    Kept(Arc<Kept>),
    /// A response that must be made afresh each time (see the module's documentation):
    /// remembered so that concurrent requests for it do not wait for one another.
    NotKept,
}

struct Kept {
    /// The head the response was made under: it shows every change up to it.
    head: i64,
    /// When its making began (when `head` was read).
    made: Instant,
    /// Whether a request has begun making its successor.
    refreshing: AtomicBool,
    /// The records the response shows, if it shows only them ([`shown_records`]): it stays
    /// current under later heads for as long as no change touches them.
    shows: Option<Box<[RecordScope]>>,
    /// The response's headers, its entity tag (of the body as made) among them.
    headers: HeaderMap,
    /// The body, gzipped: kept responses are text, a fifth of it or less once compressed.
    gzipped: Bytes,
    /// The entity tag of the gzipped body, a representation of its own.
    gzipped_tag: HeaderValue,
}

/// The newest response kept for a request, as it may be answered.
enum Newest {
    /// As kept: it shows the records as they are.
    Current(Arc<Kept>),
    /// Stale, and whether this request is the one to have its successor made.
    Stale { kept: Arc<Kept>, refresh: bool },
}

/// How a request may use the newest response kept for it, made under an older head.
#[derive(Debug, PartialEq, Eq)]
enum Staleness {
    /// Answer it: it is younger than the stale bound.
    Answer,
    /// Answer it, and have its successor made: it is past half the bound.
    AnswerAndRefresh,
    /// Do not: it is past the bound.
    TooOld,
}

/// How a response made at `made` under an older head may be used at `now`. A successor is made
/// only once half the bound has passed, so that a page asked for many times a second while the
/// records change as often is made a few times a second, not once per change.
fn staleness(made: Instant, now: Instant, bound: Duration) -> Staleness {
    let age = now.saturating_duration_since(made);
    if age >= bound {
        Staleness::TooOld
    } else if age >= bound / 2 {
        Staleness::AnswerAndRefresh
    } else {
        Staleness::Answer
    }
}

#[derive(Clone)]
struct Size;

impl Weighter<Key, Entry> for Size {
    fn weight(&self, key: &Key, entry: &Entry) -> u64 {
        let body = match entry {
            Entry::Kept(kept) => kept.gzipped.len() as u64,
            Entry::NotKept => 0,
        };
        ENTRY_OVERHEAD + key.request.line.len() as u64 + body
    }
}

impl Weighter<Asked, Arc<Kept>> for Size {
    fn weight(&self, request: &Asked, kept: &Arc<Kept>) -> u64 {
        ENTRY_OVERHEAD + request.line.len() as u64 + kept.gzipped.len() as u64
    }
}

/// Visitors' responses, up to a budget of bytes.
pub struct ResponseCache {
    /// Responses by the head they were made under: answered as kept.
    entries: quick_cache::sync::Cache<Key, Entry, Size>,
    /// The newest response made for each request, whatever its head: answered as current
    /// while nothing it shows has changed, or stale within the bound.
    newest: quick_cache::sync::Cache<Asked, Arc<Kept>, Size>,
    budget: u64,
    largest: u64,
    stale_bound: Duration,
    /// When the cache was made: the clock of `next_check`.
    started: Instant,
    /// When the head is next read from the database, in milliseconds from `started`.
    next_check: AtomicU64,
    /// The newest head entries are kept under: those of older ones are dropped.
    newest_head: AtomicI64,
}

impl std::fmt::Debug for ResponseCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ResponseCache")
            .field("entries", &self.entries.len())
            .field("bytes", &(self.entries.weight() + self.newest.weight()))
            .field("stale_bound", &self.stale_bound)
            .finish()
    }
}

impl ResponseCache {
    /// A cache holding up to `budget` bytes of responses (and up to a quarter more, in the
    /// worst case, of the current head's), answering them up to `stale_bound`
    /// after they were made once the records have changed.
    pub fn new(budget: u64, stale_bound: Duration) -> Self {
        // The newest response of each request, answered as current while what it shows is
        // unchanged (or stale), may fill the budget. The current head's responses are mostly
        // the same bodies, shared, not copied: a quarter more bounds what they hold besides.
        let (current, newest) = (budget / 4, budget);
        // Pages weigh tens of kilobytes: the estimate only sizes the tables up front.
        let estimated = |bytes: u64| (bytes / 16_384).clamp(64, 65_536) as usize;
        ResponseCache {
            entries: quick_cache::sync::Cache::with_weighter(estimated(current), current, Size),
            newest: quick_cache::sync::Cache::with_weighter(estimated(newest), newest, Size),
            budget,
            largest: current / LARGEST_SHARE,
            stale_bound,
            started: Instant::now(),
            next_check: AtomicU64::new(0),
            newest_head: AtomicI64::new(i64::MIN),
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

    /// Drops the entries of heads older than `head`, once per head, and the newest responses
    /// of other days.
    fn forget_before(&self, head: i64, day: Date) {
        if self.newest_head.fetch_max(head, Ordering::SeqCst) < head {
            self.entries
                .retain(|key, _| key.head >= head && key.request.day >= day);
            self.newest.retain(|request, _| request.day >= day);
        }
    }

    /// The newest response made for `request`, if it may be answered now. One made under
    /// `head` (dropped from `entries` to make room), or under an older head when `unchanged`
    /// says that nothing it shows has changed since, is current; one of an older head within
    /// the stale bound is answered stale, and the first request past half the bound has its
    /// successor made.
    fn newest(
        &self,
        request: &Asked,
        head: i64,
        now: Instant,
        unchanged: impl Fn(&Kept) -> bool,
    ) -> Option<Newest> {
        let kept = self.newest.get(request)?;
        if kept.head >= head || unchanged(&kept) {
            return Some(Newest::Current(kept));
        }
        if self.stale_bound.is_zero() {
            return None;
        }
        match staleness(kept.made, now, self.stale_bound) {
            Staleness::Answer => Some(Newest::Stale {
                kept,
                refresh: false,
            }),
            Staleness::AnswerAndRefresh => {
                let refresh = !kept.refreshing.swap(true, Ordering::AcqRel);
                Some(Newest::Stale { kept, refresh })
            }
            Staleness::TooOld => None,
        }
    }

    /// Keeps a response made under `key.head`, unless something newer is kept for its request.
    fn keep(&self, key: &Key, kept: &Arc<Kept>) {
        // With no stale answers, only a response that shows some records alone may outlive
        // its head.
        if self.stale_bound.is_zero() && kept.shows.is_none() {
            return;
        }
        if let Some(current) = self.newest.peek(&key.request)
            && current.head > kept.head
        {
            return;
        }
        self.newest.insert(key.request.clone(), kept.clone());
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
    let started = Instant::now();
    cache.forget_before(head, day);
    let key = Key {
        head,
        request: Asked {
            day,
            line: request_line(&request),
        },
    };
    let gzip = accepts_gzip(request.headers());
    match cache.entries.get(&key) {
        Some(Entry::Kept(kept)) => return answer(&kept, "hit", gzip),
        Some(Entry::NotKept) => return next.run(request).await,
        None => {}
    }
    let shows = shown_records(&request);
    let unchanged = |kept: &Kept| {
        kept.shows
            .as_deref()
            .is_some_and(|records| state.store().unchanged_since(kept.head, records))
    };
    match cache.newest(&key.request, head, started, unchanged) {
        Some(Newest::Current(kept)) => return answer(&kept, "hit", gzip),
        Some(Newest::Stale { kept, refresh }) => {
            if refresh {
                let copy = Request::from_parts(request_parts(&request), Body::empty());
                tokio::spawn(make(cache.clone(), key, shows, started, copy, next));
            }
            return answer(&kept, "stale", gzip);
        }
        None => {}
    }
    make(cache, key, shows, started, request, next).await
}

/// Makes the response to `request` under `key.head`, once however many ask for it at the same
/// time, and keeps it if it may.
async fn make(
    cache: Arc<ResponseCache>,
    key: Key,
    shows: Option<Box<[RecordScope]>>,
    started: Instant,
    request: Request,
    next: Next,
) -> Response {
    let gzip = accepts_gzip(request.headers());
    let guard = match cache.entries.get_value_or_guard_async(&key).await {
        Ok(Entry::Kept(kept)) => return answer(&kept, "hit", gzip),
        Ok(Entry::NotKept) => return next.run(request).await,
        Err(guard) => guard,
    };
    let response = next.run(request).await;
    if !may_keep(&response) || today() != key.request.day {
        // A response begun on one day and finished on the next may mix the two.
        let _ = guard.insert(Entry::NotKept);
        return response;
    }
    let (parts, body) = response.into_parts();
    let body = match to_bytes(body, usize::MAX).await {
        Ok(body) => body,
        Err(e) => return ApiError::internal(e).into_response(),
    };
    let mut headers = parts.headers;
    // Tagged here, once, so that the tagging layer does not hash the body of every answer. A
    // handler that versions its resource has set its own tag.
    let tag = match headers.get(header::ETAG).and_then(|v| v.to_str().ok()) {
        Some(own) => own.to_owned(),
        None => etag::entity_tag(&body),
    };
    let gzipped_tag =
        HeaderValue::from_str(&gzipped_tag(&tag)).expect("hex in quotes is a valid header value");
    headers.insert(
        header::ETAG,
        HeaderValue::from_str(&tag).expect("hex in quotes is a valid header value"),
    );
    headers.append(header::VARY, HeaderValue::from_static("accept-encoding"));
    headers.remove(header::CONTENT_LENGTH);
    let kept = Arc::new(Kept {
        head: key.head,
        made: started,
        refreshing: AtomicBool::new(false),
        shows,
        headers,
        gzipped: gzip_body(&body),
        gzipped_tag,
    });
    if (kept.gzipped.len() as u64) < cache.largest {
        let _ = guard.insert(Entry::Kept(kept.clone()));
        cache.keep(&key, &kept);
    } else {
        let _ = guard.insert(Entry::NotKept);
    }
    if gzip {
        answer(&kept, "miss", true)
    } else {
        with_outcome(&kept, "miss", body)
    }
}

/// The entity tag of the gzipped representation of a body whose tag is `tag`.
fn gzipped_tag(tag: &str) -> String {
    format!("{}-gzip\"", tag.trim_end_matches('"'))
}

fn gzip_body(body: &[u8]) -> Bytes {
    use std::io::Write;
    // The fastest level: compressing is paid on every response made, and pages and JSON
    // shrink five- to tenfold even so.
    let mut encoder = flate2::write::GzEncoder::new(
        Vec::with_capacity(body.len() / 4),
        flate2::Compression::fast(),
    );
    encoder
        .write_all(body)
        .and_then(|()| encoder.finish())
        .map(Bytes::from)
        .expect("writing to memory does not fail")
}

fn gunzip(gzipped: &[u8]) -> std::io::Result<Bytes> {
    use std::io::Read;
    let mut body = Vec::with_capacity(gzipped.len() * 6);
    flate2::read::GzDecoder::new(gzipped).read_to_end(&mut body)?;
    Ok(Bytes::from(body))
}

/// Whether `Accept-Encoding` accepts gzip: `gzip`, `x-gzip` or `*`, with a weight above zero.
fn accepts_gzip(headers: &HeaderMap) -> bool {
    headers
        .get_all(header::ACCEPT_ENCODING)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|coding| {
            let mut parts = coding.split(';');
            let name = parts.next().unwrap_or_default().trim();
            let weight = parts
                .filter_map(|p| p.trim().strip_prefix("q="))
                .find_map(|q| q.trim().parse::<f32>().ok())
                .unwrap_or(1.0);
            ["gzip", "x-gzip", "*"]
                .iter()
                .any(|g| name.eq_ignore_ascii_case(g))
                && weight > 0.0
        })
}

/// A copy of the request's head, for making its response in the background: a visitor's
/// `GET` has no body that matters.
fn request_parts(request: &Request) -> axum::http::request::Parts {
    let mut copy = Request::new(());
    *copy.method_mut() = request.method().clone();
    *copy.uri_mut() = request.uri().clone();
    *copy.version_mut() = request.version();
    *copy.headers_mut() = request.headers().clone();
    *copy.extensions_mut() = request.extensions().clone();
    copy.into_parts().0
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

/// The records a visitor's response to `request` shows, when it shows only them: a plan's
/// page and record and the list of its matters (the plan), a matter's page and record (the
/// matter), a task's record (the task). Besides them these show only names (of members,
/// areas, plans…) that changes confined to records never alter. `None` for any other request,
/// taken to show every record: the home page's figures, lists across plans, the meetings.
/// Anything unexpected in the path or the query gives `None` too.
fn shown_records(request: &Request) -> Option<Box<[RecordScope]>> {
    let uri = request.uri();
    let segments: Vec<&str> = uri.path().strip_prefix('/')?.split('/').collect();
    let key = |key: &str| {
        (!key.is_empty()
            && key
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b)))
        .then(|| key.to_owned())
    };
    let record = match segments.as_slice() {
        ["zh" | "en", "plans", plan] | ["api", "v1", "plans", plan] => {
            RecordScope::Plan(key(plan)?)
        }
        ["zh" | "en", "matters", matter] | ["api", "v1", "matters", matter] => {
            RecordScope::Matter(key(matter)?)
        }
        ["api", "v1", "tasks", task] => RecordScope::Task(key(task)?),
        ["api", "v1", "matters"] => {
            // The list of one plan's matters, however filtered within it.
            let mut plan = None;
            for pair in uri.query()?.split('&') {
                match pair.split_once('=')? {
                    ("plan", value) if plan.is_none() => plan = Some(key(value)?),
                    (
                        "area" | "member" | "status" | "basis" | "as_of" | "cursor" | "limit"
                        | "lang",
                        _,
                    ) => {}
                    _ => return None,
                }
            }
            RecordScope::Plan(plan?)
        }
        _ => return None,
    };
    Some(Box::new([record]))
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

/// Answers a kept response: gzipped as kept when the client accepts it, else as made.
fn answer(kept: &Kept, outcome: &'static str, gzip: bool) -> Response {
    if gzip {
        let mut headers = kept.headers.clone();
        headers.insert(CACHE_HEADER, HeaderValue::from_static(outcome));
        headers.insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
        headers.insert(header::ETAG, kept.gzipped_tag.clone());
        return (StatusCode::OK, headers, Body::from(kept.gzipped.clone())).into_response();
    }
    match gunzip(&kept.gzipped) {
        Ok(body) => with_outcome(kept, outcome, body),
        Err(e) => ApiError::internal(e).into_response(),
    }
}

/// A kept response's headers and `body` as made.
fn with_outcome(kept: &Kept, outcome: &'static str, body: Bytes) -> Response {
    let mut headers = kept.headers.clone();
    headers.insert(CACHE_HEADER, HeaderValue::from_static(outcome));
    (StatusCode::OK, headers, Body::from(body)).into_response()
}

fn today() -> Date {
    OffsetDateTime::now_utc().date()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_kept_response_is_answered_stale_only_within_the_bound() {
        let made = Instant::now();
        let bound = Duration::from_millis(1000);
        let at = |ms: u64| made + Duration::from_millis(ms);
        assert_eq!(staleness(made, at(0), bound), Staleness::Answer);
        assert_eq!(staleness(made, at(499), bound), Staleness::Answer);
        assert_eq!(staleness(made, at(500), bound), Staleness::AnswerAndRefresh);
        assert_eq!(staleness(made, at(999), bound), Staleness::AnswerAndRefresh);
        assert_eq!(staleness(made, at(1000), bound), Staleness::TooOld);
        assert_eq!(staleness(made, made, Duration::ZERO), Staleness::TooOld);
    }

    fn kept(head: i64, made: Instant) -> Arc<Kept> {
        kept_showing(head, made, None)
    }

    fn kept_showing(head: i64, made: Instant, shows: Option<Box<[RecordScope]>>) -> Arc<Kept> {
        Arc::new(Kept {
            head,
            made,
            refreshing: AtomicBool::new(false),
            shows,
            headers: HeaderMap::new(),
            gzipped: gzip_body(b"page"),
            gzipped_tag: HeaderValue::from_static("\"0-gzip\""),
        })
    }

    #[test]
    fn one_request_past_half_the_bound_has_the_successor_made() {
        let cache = ResponseCache::new(1 << 20, Duration::from_millis(1000));
        let made = Instant::now();
        let at = |ms: u64| made + Duration::from_millis(ms);
        let key = |head: i64| Key {
            head,
            request: Asked {
                day: today(),
                line: "/zh/\n".into(),
            },
        };
        cache.keep(&key(6), &kept(6, made));
        let outcome = |head: i64, ms: u64| {
            cache
                .newest(&key(head).request, head, at(ms), |_| false)
                .map(|newest| match newest {
                    Newest::Current(kept) => (kept.head, false),
                    Newest::Stale { kept, refresh } => (kept.head, refresh),
                })
        };
        assert_eq!(outcome(6, 900), Some((6, false)), "kept under this head");
        assert_eq!(
            outcome(7, 100),
            Some((6, false)),
            "young: answered as it is"
        );
        assert_eq!(outcome(7, 600), Some((6, true)), "the first past half");
        assert_eq!(
            outcome(7, 700),
            Some((6, false)),
            "the successor is on its way"
        );
        assert_eq!(outcome(7, 1000), None, "past the bound");
        // An older response made late does not replace a newer one.
        cache.keep(&key(8), &kept(8, at(800)));
        cache.keep(&key(7), &kept(7, at(900)));
        assert_eq!(outcome(9, 900), Some((8, false)));
        // With a bound of zero, nothing is answered stale.
        let strict = ResponseCache::new(1 << 20, Duration::ZERO);
        strict.keep(&key(6), &kept(6, made));
        assert!(strict.newest(&key(7).request, 7, made, |_| false).is_none());
    }

    #[test]
    fn bodies_are_kept_gzipped_and_given_back_whole() {
        let page = "<p>长三角一体化</p>".repeat(500);
        let gzipped = gzip_body(page.as_bytes());
        assert!(gzipped.len() * 10 < page.len(), "{} bytes", gzipped.len());
        assert_eq!(gunzip(&gzipped).unwrap(), page.as_bytes());
        assert_eq!(gzipped_tag("\"ab12\""), "\"ab12-gzip\"");
    }

    #[test]
    fn gzip_is_sent_to_clients_that_accept_it() {
        let accepts = |value: &str| {
            let mut headers = HeaderMap::new();
            headers.insert(
                header::ACCEPT_ENCODING,
                HeaderValue::from_str(value).unwrap(),
            );
            accepts_gzip(&headers)
        };
        assert!(accepts("gzip"));
        assert!(accepts("gzip, deflate, br, zstd"));
        assert!(accepts("br;q=1.0, GZIP;q=0.5"));
        assert!(accepts("*"));
        assert!(!accepts("gzip;q=0"));
        assert!(!accepts("br, deflate"));
        assert!(!accepts("identity"));
        assert!(!accepts_gzip(&HeaderMap::new()), "no header: identity");
    }

    #[test]
    fn the_records_a_response_shows_are_read_from_its_request() {
        let shown = |uri: &str| {
            let request = Request::builder().uri(uri).body(Body::empty()).unwrap();
            shown_records(&request).map(Vec::from)
        };
        let plan = |key: &str| Some(vec![RecordScope::Plan(key.into())]);
        assert_eq!(shown("/zh/plans/work-plan-2024"), plan("work-plan-2024"));
        assert_eq!(
            shown("/en/plans/p?member=310000&area=tech&cursor=ab12"),
            plan("p")
        );
        assert_eq!(shown("/api/v1/plans/p"), plan("p"));
        assert_eq!(
            shown("/api/v1/matters?plan=p&member=310000&area=tech&status=overdue&limit=5"),
            plan("p")
        );
        assert_eq!(
            shown("/api/v1/matters?member=310000&plan=p"),
            plan("p"),
            "in any order"
        );
        let matter = Some(vec![RecordScope::Matter("m".into())]);
        assert_eq!(shown("/zh/matters/m"), matter);
        assert_eq!(shown("/api/v1/matters/m?basis=verified"), matter);
        assert_eq!(
            shown("/api/v1/tasks/m.310000"),
            Some(vec![RecordScope::Task("m.310000".into())])
        );
        for every in [
            "/",
            "/zh/",
            "/zh/plans",
            "/zh/meetings",
            "/fr/plans/p",
            "/zh/plans/p/matters.csv",
            "/zh/plans/p/",
            "/zh/plans/a%20b",
            "/api/v1/matters",
            "/api/v1/matters?member=310000",
            "/api/v1/matters?plan=a&plan=b",
            "/api/v1/matters?plan=p&q=water",
            "/api/v1/matters?plan",
            "/api/v1/tasks/t/reports",
            "/api/v1/problems",
        ] {
            assert_eq!(shown(every), None, "{every}");
        }
    }

    #[test]
    fn a_response_stays_current_while_what_it_shows_is_unchanged() {
        let cache = ResponseCache::new(1 << 20, Duration::ZERO);
        let made = Instant::now();
        let asked = Asked {
            day: today(),
            line: "/zh/plans/p\n".into(),
        };
        let shown = kept_showing(6, made, Some(Box::new([RecordScope::Plan("p".into())])));
        cache.keep(
            &Key {
                head: 6,
                request: asked.clone(),
            },
            &shown,
        );
        let current = |unchanged: bool| {
            matches!(
                cache.newest(&asked, 9, made, |kept| {
                    assert_eq!(kept.shows.as_deref(), Some(&[RecordScope::Plan("p".into())][..]));
                    unchanged
                }),
                Some(Newest::Current(kept)) if kept.head == 6
            )
        };
        assert!(current(true), "kept across heads, with no stale bound");
        assert!(!current(false), "not once its records change");
    }
}
