//! Driving the mix: `connections` closed-loop workers share one HTTP client (one kept-alive
//! connection each), each drawing a request type by weight and a target uniformly from its own
//! seeded generator, sending it, reading the whole body, and timing it. Requests started during
//! the warm-up are sent but not counted; every request started before the end is counted,
//! even if it finishes after it.

use std::time::{Duration, Instant};

use anyhow::Context;
use reqwest::header::{ACCEPT_ENCODING, AUTHORIZATION, CONTENT_ENCODING, COOKIE};
use reqwest::{Client, RequestBuilder, StatusCode};
use serde_json::json;
use time::Date;

use super::targets::{Auth, Kind, Mix, Payload};

/// The cookie the server reads a session from (`yrd_web`'s `SESSION_COOKIE`, which the crate
/// does not export). Were it to change, the workspace requests would be redirected to the
/// sign-in page and counted as errors, so the smoke test would say so.
const SESSION_COOKIE: &str = "yrd_session";
/// How long one request may take before it counts as an error.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
/// How many error messages are kept per request type.
const ERRORS_KEPT: usize = 3;
/// The stances a position takes, drawn uniformly.
const STANCES: [&str; 3] = ["consent", "consent_in_principle", "object"];

/// How long and how hard to drive.
#[derive(Clone, Copy, Debug)]
pub struct Settings {
    pub warmup: Duration,
    pub duration: Duration,
    pub connections: usize,
    pub seed: u64,
    /// Ask for gzip, and count the answer's bytes as sent.
    pub gzip: bool,
}

/// What was measured of one request type.
#[derive(Clone, Debug, Default)]
pub struct KindSamples {
    /// Every counted request's latency, failed ones included.
    pub latencies: Vec<Duration>,
    pub errors: u64,
    /// Answers the server took from its cache of visitors' responses (`x-cache: hit` or
    /// `stale`).
    pub cached: u64,
    /// Answers that came gzipped (`Content-Encoding: gzip`), as only `--gzip` asks for.
    pub gzipped: u64,
    /// The first few failures, as `METHOD PATH: what happened`.
    pub first_errors: Vec<String>,
}

impl KindSamples {
    fn merge(&mut self, other: KindSamples) {
        self.latencies.extend(other.latencies);
        self.errors += other.errors;
        self.cached += other.cached;
        self.gzipped += other.gzipped;
        for message in other.first_errors {
            if self.first_errors.len() < ERRORS_KEPT {
                self.first_errors.push(message);
            }
        }
    }
}

/// What was measured, by request type in the mix's order.
#[derive(Debug)]
pub struct Samples {
    pub kinds: Vec<KindSamples>,
    /// From the end of the warm-up until the last counted request finished.
    pub measured: Duration,
}

/// The client every request goes through: no proxy (the server is on loopback), no redirects
/// followed (a redirect is an answer to count, e.g. to the sign-in page), a connection kept
/// alive per worker.
pub fn client(connections: usize) -> anyhow::Result<Client> {
    Client::builder()
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .pool_max_idle_per_host(connections)
        .tcp_nodelay(true)
        .timeout(REQUEST_TIMEOUT)
        .user_agent(concat!("yrd-bench/", env!("CARGO_PKG_VERSION")))
        .build()
        .context("building the HTTP client")
}

/// The request, signed in as `auth` says.
pub fn authorize(request: RequestBuilder, auth: &Auth) -> RequestBuilder {
    match auth {
        Auth::Anonymous => request,
        Auth::Bearer(token) => request.header(AUTHORIZATION, format!("Bearer {token}")),
        Auth::Session(id) => request.header(COOKIE, format!("{SESSION_COOKIE}={id}")),
    }
}

/// The start of a response body, on one line, for a message.
pub fn excerpt(body: &[u8]) -> String {
    const CHARS: usize = 300;
    let text = String::from_utf8_lossy(body);
    let line = text.split_whitespace().collect::<Vec<_>>().join(" ");
    match line.char_indices().nth(CHARS) {
        Some((end, _)) => format!("{}…", &line[..end]),
        None => line,
    }
}

/// Drives `mix` against `base` for the warm-up and then the measured duration.
pub async fn drive(
    client: &Client,
    base: &str,
    mix: Mix,
    settings: &Settings,
) -> anyhow::Result<Samples> {
    let measure_from = Instant::now() + settings.warmup;
    let until = measure_from + settings.duration;
    let today = time::OffsetDateTime::now_utc().date();
    let mut workers = tokio::task::JoinSet::new();
    for n in 0..settings.connections {
        let worker = Worker {
            client: client.clone(),
            base: base.to_owned(),
            mix: mix.clone(),
            rng: fastrand::Rng::with_seed(worker_seed(settings.seed, n)),
            today,
            gzip: settings.gzip,
        };
        workers.spawn(worker.run(measure_from, until));
    }
    let mut kinds = vec![KindSamples::default(); mix.kinds.len()];
    let mut finished = until;
    while let Some(done) = workers.join_next().await {
        let (samples, last) = done.context("a bench worker failed")?;
        for (total, own) in kinds.iter_mut().zip(samples) {
            total.merge(own);
        }
        finished = finished.max(last);
    }
    Ok(Samples {
        kinds,
        measured: finished.saturating_duration_since(measure_from),
    })
}

/// Each worker's own seed: different streams from one seed, the same on every run.
fn worker_seed(seed: u64, worker: usize) -> u64 {
    seed ^ (worker as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15)
}

struct Worker {
    client: Client,
    base: String,
    mix: Mix,
    rng: fastrand::Rng,
    /// Reports describe a day before this one (never the future).
    today: Date,
    /// Ask for gzip (`--gzip`).
    gzip: bool,
}

impl Worker {
    /// Sends requests one after the other until `until`; returns what it counted (from
    /// `measure_from`) and when its last request finished.
    async fn run(mut self, measure_from: Instant, until: Instant) -> (Vec<KindSamples>, Instant) {
        let kinds = self.mix.kinds.clone();
        let total: u32 = kinds.iter().map(|k| k.weight).sum();
        let mut samples = vec![KindSamples::default(); kinds.len()];
        let mut last = Instant::now();
        loop {
            let started = Instant::now();
            if started >= until {
                return (samples, last);
            }
            let index = pick(&kinds, self.rng.u32(0..total));
            let kind = &kinds[index];
            let target = &kind.targets[self.rng.usize(0..kind.targets.len())];
            let request = self.request(kind, &target.path, &target.auth);
            let started = Instant::now();
            let outcome = send(request, kind.expected).await;
            last = Instant::now();
            if started < measure_from {
                continue;
            }
            let counted = &mut samples[index];
            counted.latencies.push(last - started);
            if let Ok(served) = &outcome {
                counted.cached += u64::from(served.from_cache);
                counted.gzipped += u64::from(served.gzipped);
            }
            if let Err(what) = outcome {
                counted.errors += 1;
                if counted.first_errors.len() < ERRORS_KEPT {
                    counted
                        .first_errors
                        .push(format!("{} {}: {what}", kind.method, target.path));
                }
            }
        }
    }

    fn request(&mut self, kind: &Kind, path: &str, auth: &Auth) -> RequestBuilder {
        let request = self
            .client
            .request(kind.method.clone(), format!("{}{path}", self.base));
        let request = match kind.payload {
            Payload::None => request,
            Payload::Report => {
                let as_of = self.today - time::Duration::days(self.rng.i64(1..=30));
                request.json(&json!({
                    "as_of": as_of.to_string(),
                    "percent": self.rng.u8(0..=100),
                    "narrative": {"zh": "负载测试的进度报告。", "en": "A progress report of the load test."},
                }))
            }
            Payload::Position => request.json(&json!({
                "stance": STANCES[self.rng.usize(0..STANCES.len())],
            })),
        };
        // The client has no decoder of its own, so the body is read as it came.
        let request = if self.gzip {
            request.header(ACCEPT_ENCODING, "gzip")
        } else {
            request
        };
        authorize(request, auth)
    }
}

/// The request type a draw in `0..total weight` falls on.
fn pick(kinds: &[Kind], draw: u32) -> usize {
    let mut below = 0;
    for (index, kind) in kinds.iter().enumerate() {
        below += kind.weight;
        if draw < below {
            return index;
        }
    }
    kinds.len() - 1
}

/// How the server answered.
#[derive(Debug, PartialEq, Eq)]
struct Served {
    /// From its cache of visitors' responses, not made for the request.
    from_cache: bool,
    gzipped: bool,
}

/// Sends a request and reads its whole body (latency includes it); an error unless the status
/// is `expected`.
async fn send(request: RequestBuilder, expected: StatusCode) -> Result<Served, String> {
    let response = request.send().await.map_err(|e| causes(&e))?;
    let status = response.status();
    let headers = response.headers();
    let served = Served {
        from_cache: headers
            .get(yrd_web::CACHE_HEADER)
            .is_some_and(|v| v == "hit" || v == "stale"),
        gzipped: headers.get(CONTENT_ENCODING).is_some_and(|v| v == "gzip"),
    };
    let body = response
        .bytes()
        .await
        .map_err(|e| format!("reading the body: {}", causes(&e)))?;
    if status == expected {
        Ok(served)
    } else {
        Err(format!(
            "{status} (expected {expected}): {}",
            excerpt(&body)
        ))
    }
}

/// An error with its causes, on one line (reqwest's own message names only the first).
fn causes(error: &dyn std::error::Error) -> String {
    let mut line = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        line.push_str(": ");
        line.push_str(&cause.to_string());
        source = cause.source();
    }
    line
}

#[cfg(test)]
mod tests {
    use reqwest::{Method, StatusCode};

    use super::{excerpt, pick};
    use crate::commands::bench::targets::{Auth, Kind, Payload, Target};

    fn kind(weight: u32) -> Kind {
        Kind {
            name: "test",
            method: Method::GET,
            weight,
            expected: StatusCode::OK,
            payload: Payload::None,
            targets: vec![Target {
                path: "/".to_owned(),
                auth: Auth::Anonymous,
            }],
        }
    }

    #[test]
    fn draws_fall_on_types_by_weight() {
        let kinds = [kind(2), kind(0), kind(3)];
        let picked: Vec<usize> = (0..5).map(|draw| pick(&kinds, draw)).collect();
        assert_eq!(picked, [0, 0, 2, 2, 2]);
    }

    #[test]
    fn excerpts_are_one_short_line() {
        assert_eq!(
            excerpt(b"{\n  \"title\": \"Not Found\"\n}"),
            "{ \"title\": \"Not Found\" }"
        );
        let long = "字".repeat(400);
        let cut = excerpt(long.as_bytes());
        assert_eq!(cut.chars().count(), 301);
        assert!(cut.ends_with('…'));
    }
}
