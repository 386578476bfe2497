//! The bench's result: per request type and in total, the count, errors, throughput and exact
//! latency percentiles (nearest rank over the sorted samples; the sample counts of a bench run
//! are small enough to keep and sort); the settings, the engine and the server's peak memory.
//! Printed as a table, and written as JSON whose field names are stable, so that runs can be
//! compared by script.

use std::fmt::Write as _;
use std::time::Duration;

use serde::Serialize;
use yrd_store::PostgresConnections;

use super::BenchArgs;
use super::load::{KindSamples, Samples};
use super::server::Memory;
use super::targets::Mix;

/// A bench run's result.
#[derive(Debug, Serialize)]
pub struct Report {
    pub yrd_version: &'static str,
    pub settings: Settings,
    /// The database engine the server ran on: `sqlite` or `postgres`.
    pub database: String,
    /// From the end of the warm-up until the last counted request finished.
    pub measured_seconds: f64,
    pub server: ServerFigures,
    /// One row per request type, in the mix's order.
    pub requests: Vec<Row>,
    pub total: Row,
    /// The server's last output lines when a request failed, to print after the table.
    #[serde(skip)]
    server_log: String,
}

/// The command-line settings of the run.
#[derive(Debug, Serialize)]
pub struct Settings {
    pub duration_seconds: f64,
    pub warmup_seconds: f64,
    pub connections: u16,
    pub seed: u64,
    /// Whether the sample was drawn from the seed alone (`--fixed-sample`).
    pub fixed_sample: bool,
    pub sample: Sample,
    /// The server's PostgreSQL connections, for reads and for writes (unused on SQLite).
    pub postgres_connections: [u32; 2],
    pub listen: String,
    /// The request-type prefixes the run was limited to; empty for the whole mix.
    pub only: Vec<String>,
    /// Whether gzip was asked for (`--gzip`).
    pub gzip: bool,
}

impl Settings {
    pub fn new(args: &BenchArgs, sample: Sample, connections: PostgresConnections) -> Settings {
        Settings {
            duration_seconds: args.duration.as_secs_f64(),
            warmup_seconds: args.warmup.as_secs_f64(),
            connections: args.connections,
            seed: args.seed,
            fixed_sample: args.fixed_sample,
            sample,
            postgres_connections: [connections.reads.get(), connections.writes.get()],
            listen: args.listen.to_string(),
            only: args.only.clone(),
            gzip: args.gzip,
        }
    }
}

/// What the run's sample of plans, matters and tasks was drawn with.
#[derive(Clone, Copy, Debug, Serialize)]
pub struct Sample {
    pub seed: u64,
    /// The journal's length when the run started, mixed into the seed unless the sample is
    /// fixed.
    pub journal_length: i64,
}

/// What the server used.
#[derive(Debug, Serialize)]
pub struct ServerFigures {
    /// The peak resident memory (the kernel's high-water mark), in MiB; `null` where the
    /// system does not tell.
    pub peak_memory_mib: Option<f64>,
    /// The largest resident memory of the samples taken every 100 ms, in MiB.
    pub sampled_rss_max_mib: Option<f64>,
}

/// The figures of one request type, or of all of them.
#[derive(Debug, Serialize)]
pub struct Row {
    pub name: String,
    /// The HTTP method (absent from the total).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub method: Option<String>,
    /// The type's weight in the mix (absent from the total).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub weight: Option<u32>,
    /// Requests counted (failed ones included).
    pub count: u64,
    pub errors: u64,
    /// Requests the server answered from its cache of visitors' responses.
    pub cached: u64,
    /// Answers that came gzipped (only `--gzip` asks for them).
    pub gzipped: u64,
    /// Counted requests per second of the measured time.
    pub throughput_per_second: f64,
    /// `null` when nothing was counted.
    pub latency_ms: Option<Latency>,
    /// The first few failures, as `METHOD PATH: what happened`.
    pub first_errors: Vec<String>,
}

/// Latency percentiles, in milliseconds.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Latency {
    pub p50: f64,
    pub p90: f64,
    pub p99: f64,
    pub max: f64,
}

impl Latency {
    /// The percentiles of `samples`, which it sorts; `None` if there are none.
    fn of(samples: &mut [Duration]) -> Option<Latency> {
        samples.sort_unstable();
        let max = *samples.last()?;
        Some(Latency {
            p50: millis(percentile(samples, 50)),
            p90: millis(percentile(samples, 90)),
            p99: millis(percentile(samples, 99)),
            max: millis(max),
        })
    }
}

/// The nearest-rank percentile of sorted, non-empty samples: the smallest sample with at least
/// `p` percent of the samples at or below it.
fn percentile(sorted: &[Duration], p: usize) -> Duration {
    let rank = (p * sorted.len()).div_ceil(100).max(1);
    sorted[rank.min(sorted.len()) - 1]
}

/// Milliseconds, to the microsecond.
fn millis(duration: Duration) -> f64 {
    (duration.as_secs_f64() * 1_000_000.0).round() / 1000.0
}

fn row(
    name: String,
    method: Option<String>,
    weight: Option<u32>,
    mut samples: KindSamples,
    seconds: f64,
) -> Row {
    let count = samples.latencies.len() as u64;
    Row {
        name,
        method,
        weight,
        count,
        errors: samples.errors,
        cached: samples.cached,
        gzipped: samples.gzipped,
        throughput_per_second: if seconds > 0.0 {
            (count as f64 / seconds * 100.0).round() / 100.0
        } else {
            0.0
        },
        latency_ms: Latency::of(&mut samples.latencies),
        first_errors: samples.first_errors,
    }
}

impl Report {
    pub fn new(
        settings: Settings,
        engine: &str,
        mix: &Mix,
        samples: Samples,
        memory: Memory,
        server_log: String,
    ) -> Report {
        let seconds = samples.measured.as_secs_f64();
        let mut all = KindSamples::default();
        let mut requests = Vec::with_capacity(mix.kinds.len());
        for (kind, own) in mix.kinds.iter().zip(samples.kinds) {
            all.latencies.extend_from_slice(&own.latencies);
            all.errors += own.errors;
            all.cached += own.cached;
            all.gzipped += own.gzipped;
            requests.push(row(
                kind.name.to_owned(),
                Some(kind.method.to_string()),
                Some(kind.weight),
                own,
                seconds,
            ));
        }
        Report {
            yrd_version: env!("CARGO_PKG_VERSION"),
            settings,
            database: engine.to_owned(),
            measured_seconds: (seconds * 1000.0).round() / 1000.0,
            server: ServerFigures {
                peak_memory_mib: memory.peak_mib.map(round_tenth),
                sampled_rss_max_mib: memory.sampled_rss_mib.map(round_tenth),
            },
            requests,
            total: row("total".to_owned(), None, None, all, seconds),
            server_log,
        }
    }

    /// Whether any request failed.
    pub fn failed(&self) -> bool {
        self.total.errors > 0
    }

    /// The report as a table, with the failures (if any) after it.
    pub fn table(&self) -> String {
        let mut out = String::new();
        let width = self
            .requests
            .iter()
            .map(|r| r.name.len())
            .max()
            .unwrap_or(0)
            .max("REQUEST TYPE".len());
        let _ = writeln!(
            out,
            "{:<width$}  {:>8}  {:>6}  {:>6}  {:>9}  {:>8}  {:>8}  {:>8}  {:>8}",
            "REQUEST TYPE",
            "COUNT",
            "ERRORS",
            "CACHED",
            "REQ/S",
            "P50 MS",
            "P90 MS",
            "P99 MS",
            "MAX MS"
        );
        for row in self.requests.iter().chain(std::iter::once(&self.total)) {
            let figure = |pick: fn(&Latency) -> f64| {
                row.latency_ms
                    .as_ref()
                    .map_or_else(|| "-".to_owned(), |l| format!("{:.2}", pick(l)))
            };
            let _ = writeln!(
                out,
                "{:<width$}  {:>8}  {:>6}  {:>5.0}%  {:>9.1}  {:>8}  {:>8}  {:>8}  {:>8}",
                row.name,
                row.count,
                row.errors,
                if row.count > 0 {
                    row.cached as f64 * 100.0 / row.count as f64
                } else {
                    0.0
                },
                row.throughput_per_second,
                figure(|l| l.p50),
                figure(|l| l.p90),
                figure(|l| l.p99),
                figure(|l| l.max),
            );
        }
        let _ = writeln!(
            out,
            "measured {:.2} s after a {} s warm-up; {} connections{}; {}; seed {}, {}; yrd {}",
            self.measured_seconds,
            self.settings.warmup_seconds,
            self.settings.connections,
            if self.settings.gzip {
                ", gzip accepted"
            } else {
                ""
            },
            if self.database == "postgres" {
                let [reads, writes] = self.settings.postgres_connections;
                format!("postgres ({reads} connections for reads, {writes} for writes)")
            } else {
                self.database.clone()
            },
            self.settings.seed,
            if self.settings.fixed_sample {
                "sample fixed".to_owned()
            } else {
                format!(
                    "sample drawn with {} (journal at {})",
                    self.settings.sample.seed, self.settings.sample.journal_length
                )
            },
            self.yrd_version
        );
        let _ = writeln!(
            out,
            "server peak memory: {}",
            self.server
                .peak_memory_mib
                .map_or_else(|| "unknown".to_owned(), |mib| format!("{mib:.1} MiB"))
        );
        if self.failed() {
            let _ = writeln!(
                out,
                "{} of {} requests failed; the first of each type:",
                self.total.errors, self.total.count
            );
            for row in &self.requests {
                for message in &row.first_errors {
                    let _ = writeln!(out, "  {}: {message}", row.name);
                }
            }
            if !self.server_log.is_empty() {
                let _ = writeln!(out, "{}", self.server_log.trim_start());
            }
        }
        out
    }

    /// The report as pretty JSON.
    pub fn json(&self) -> anyhow::Result<String> {
        Ok(serde_json::to_string_pretty(self)? + "\n")
    }
}

fn round_tenth(value: f64) -> f64 {
    (value * 10.0).round() / 10.0
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::{Latency, percentile};

    fn ms(values: &[u64]) -> Vec<Duration> {
        values.iter().map(|&v| Duration::from_millis(v)).collect()
    }

    #[test]
    fn percentiles_are_nearest_rank() {
        let sorted = ms(&(1..=100).collect::<Vec<_>>());
        assert_eq!(percentile(&sorted, 50), Duration::from_millis(50));
        assert_eq!(percentile(&sorted, 90), Duration::from_millis(90));
        assert_eq!(percentile(&sorted, 99), Duration::from_millis(99));
        let one = ms(&[7]);
        assert_eq!(percentile(&one, 50), Duration::from_millis(7));
        assert_eq!(percentile(&one, 99), Duration::from_millis(7));
        // Ten samples: the 99th percentile is the largest, the median the fifth.
        let ten = ms(&[10, 1, 9, 2, 8, 3, 7, 4, 6, 5]);
        let latency = Latency::of(&mut ten.clone()).unwrap();
        assert_eq!(
            latency,
            Latency {
                p50: 5.0,
                p90: 9.0,
                p99: 10.0,
                max: 10.0
            }
        );
        assert_eq!(Latency::of(&mut []), None);
    }
}
