//! `yrd bench`: the load harness. It owns the whole run, from the bench accounts to the
//! report: it prepares accounts and credentials in the database (`setup`), starts `yrd serve`
//! on that database as a child process and watches its memory (`server`), finds what to
//! request over HTTP as a visitor would (`targets`), drives a weighted mix of reads and writes
//! with closed-loop workers over loopback (`load`), and reports throughput and latency
//! percentiles per request type as a table and as JSON (`report`).
//!
//! The harness writes into the database it measures (progress reports, members' positions,
//! bench accounts, possibly a scheduled meeting): run it on a copy, or on a generated region.

mod load;
mod report;
mod server;
mod setup;
mod targets;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context, bail};
use clap::Args;

use super::Database;

/// How the run is set up; the report repeats these settings.
#[derive(Debug, Args)]
pub struct BenchArgs {
    /// How long to measure, after the warm-up: a number with a unit, e.g. 30s, 2m, 500ms (a
    /// bare number is seconds).
    #[arg(long, default_value = "30s", value_parser = parse_duration, value_name = "TIME")]
    pub duration: Duration,
    /// How many workers send requests at once, each waiting for its answer before sending the
    /// next (closed loop), each over its own kept-alive connection.
    #[arg(long, default_value_t = 16, value_parser = clap::value_parser!(u16).range(1..=1024), value_name = "N")]
    pub connections: u16,
    /// How long to drive the mix before measuring, so that caches and connection pools are
    /// warm; its requests are not counted.
    #[arg(long, default_value = "3s", value_parser = parse_duration, value_name = "TIME")]
    pub warmup: Duration,
    /// The seed of every random choice: the order of requests, and with the journal's length
    /// the sample of plans, matters and tasks requested. Each run on a kept database thus
    /// samples afresh, so its reports do not pile up on the same tasks run after run; a run
    /// on a copy of the same database repeats.
    #[arg(long, default_value_t = 1, value_name = "N")]
    pub seed: u64,
    /// Draw the sample from the seed alone: every run requests the same matters and tasks,
    /// and reports on the same tasks, whatever the database has become.
    #[arg(long)]
    pub fixed_sample: bool,
    /// Also write the report as JSON to this file.
    #[arg(long, value_name = "PATH")]
    pub json: Option<PathBuf>,
    /// Drive only the request types whose names start with one of these (repeat or separate
    /// with commas), e.g. `--only write:` to measure write throughput alone, or
    /// `--only page:home,page:plan`.
    #[arg(long, value_delimiter = ',', value_name = "PREFIX")]
    pub only: Vec<String>,
    /// Where the server under test listens; port 0 picks a free one.
    #[arg(long, default_value = "127.0.0.1:0", value_name = "ADDR")]
    pub listen: SocketAddr,
    /// Ask for gzip as browsers do (`Accept-Encoding: gzip`), and time each answer to its last
    /// byte as sent, without unzipping it (a browser's own work). Without it, every answer
    /// comes unzipped.
    #[arg(long)]
    pub gzip: bool,
}

pub async fn run(database: &Database, args: BenchArgs) -> anyhow::Result<ExitCode> {
    if args.duration.is_zero() {
        bail!("--duration: give a time longer than zero, e.g. 30s");
    }
    // Sessions must outlive the run; they are ended when it finishes anyway.
    let lifetime = args.warmup + args.duration + Duration::from_secs(3600);
    let setup::Prepared {
        accounts,
        journal_length,
    } = setup::prepare(database, lifetime).await?;
    let sample = report::Sample {
        seed: if args.fixed_sample {
            args.seed
        } else {
            sample_seed(args.seed, journal_length)
        },
        journal_length,
    };
    let outcome = tokio::select! {
        outcome = measure(database, &args, &accounts, sample) => outcome,
        () = super::serve::shutdown_signal() => Err(anyhow::anyhow!("interrupted: the server was stopped, nothing is reported")),
    };
    // Whatever happened, the bench's credentials stop working with the run.
    if let Err(e) = setup::retire(database, &accounts).await {
        eprintln!("warning: the bench's tokens and sessions could not be ended: {e:#}");
    }
    let report = outcome?;
    print!("{}", report.table());
    if let Some(path) = &args.json {
        std::fs::write(path, report.json()?)
            .with_context(|| format!("writing {}", path.display()))?;
        eprintln!("bench: wrote {}", path.display());
    }
    Ok(if report.failed() {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

/// Starts the server, finds the targets, drives the mix and stops the server. The server is
/// stopped on every path out of here: when this future returns, fails or is dropped (on an
/// interrupt), the child process goes with it.
async fn measure(
    database: &Database,
    args: &BenchArgs,
    accounts: &setup::Accounts,
    sample: report::Sample,
) -> anyhow::Result<report::Report> {
    let scratch = tempfile::tempdir().context("creating a temporary directory")?;
    let keys = scratch.path().join("keys");
    std::fs::create_dir(&keys).with_context(|| format!("creating {}", keys.display()))?;
    let client = load::client(usize::from(args.connections))?;
    eprintln!(
        "bench: starting the server on {}",
        super::redact(&database.url)
    );
    let server = server::Server::start(
        &client,
        database,
        args.listen,
        &keys,
        &scratch.path().join("server.log"),
    )
    .await?;
    eprintln!(
        "bench: server {} on {} ({}); finding targets",
        server.pid(),
        server.base(),
        server.engine()
    );
    let mut mix = targets::discover(&client, server.base(), accounts, sample.seed)
        .await
        .with_context(|| format!("finding what to request{}", server.log_tail()))?;
    if !args.only.is_empty() {
        let chosen = mix
            .kinds
            .iter()
            .filter(|k| {
                args.only
                    .iter()
                    .any(|prefix| k.name.starts_with(prefix.as_str()))
            })
            .cloned()
            .collect::<Vec<_>>();
        mix.kinds = std::sync::Arc::new(chosen);
        if mix.kinds.is_empty() {
            bail!(
                "--only: no request type starts with {}",
                args.only.join(" or ")
            );
        }
    }
    eprintln!(
        "bench: {} request types; warming up for {} s, then measuring for {} s with {} connections",
        mix.kinds.len(),
        args.warmup.as_secs_f64(),
        args.duration.as_secs_f64(),
        args.connections
    );
    let samples = load::drive(
        &client,
        server.base(),
        mix.clone(),
        &load::Settings {
            warmup: args.warmup,
            duration: args.duration,
            connections: usize::from(args.connections),
            seed: args.seed,
            gzip: args.gzip,
        },
    )
    .await?;
    let engine = server.engine().to_owned();
    let failed = samples.kinds.iter().any(|k| k.errors > 0);
    let log_tail = if failed {
        server.log_tail()
    } else {
        String::new()
    };
    let memory = server.stop().await;
    Ok(report::Report::new(
        report::Settings::new(args, sample, database.connections),
        &engine,
        &mix,
        samples,
        memory,
        log_tail,
    ))
}

/// The seed of a run's sample: the run's seed mixed with the journal's length (a multiplicative
/// hash, so that neighbouring lengths draw unrelated samples).
fn sample_seed(seed: u64, journal_length: i64) -> u64 {
    seed ^ (journal_length as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15)
}

/// A duration as the command line writes it: a number and a unit (`ms`, `s`, `m`, `h`), or a
/// bare number of seconds; fractions are allowed (`1.5s`).
fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let seconds_per_unit = match unit.trim() {
        "ms" => 0.001,
        "" | "s" => 1.0,
        "m" | "min" => 60.0,
        "h" => 3600.0,
        other => {
            return Err(format!(
                "{other:?} is not a unit of time: use ms, s, m or h, e.g. 30s"
            ));
        }
    };
    let number: f64 = number
        .parse()
        .map_err(|_| format!("{text:?} is not a duration: write a number and a unit, e.g. 30s"))?;
    Duration::try_from_secs_f64(number * seconds_per_unit)
        .map_err(|_| format!("{text:?} is not a duration this command can wait for"))
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::parse_duration;

    #[test]
    fn durations_read_as_written() {
        assert_eq!(parse_duration("30s"), Ok(Duration::from_secs(30)));
        assert_eq!(parse_duration("3"), Ok(Duration::from_secs(3)));
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("1.5s"), Ok(Duration::from_millis(1500)));
        assert_eq!(parse_duration("2m"), Ok(Duration::from_secs(120)));
        assert_eq!(parse_duration("0s"), Ok(Duration::ZERO));
        assert!(parse_duration("30 parsecs").is_err());
        assert!(parse_duration("s").is_err());
        assert!(parse_duration("-1s").is_err());
    }
}
