//! `yrd`: the command that runs the Yangtze River Delta cooperation platform.
//!
//! Each subcommand lives in its own module under `commands/`; this file only parses the
//! command line and sets up logging.

mod builtin;
mod commands;
mod generate;

use std::net::SocketAddr;
use std::num::NonZeroU32;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

// The server's allocations come from many threads at once (the runtime's workers and each
// SQLite connection's); mimalloc serves them from per-thread heaps, where the system
// allocator contends on shared arenas. Its `override` feature (Cargo.toml) routes the C
// allocations of the bundled SQLite to it as well.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// The Yangtze River Delta regional cooperation platform.
///
/// yrd keeps one shared, bilingual record of the cooperation mechanism of Shanghai, Jiangsu,
/// Zhejiang and Anhui — who agreed what, who must do what by when, how far each member has
/// got, and what the indicators say — and serves it over a JSON API.
#[derive(Debug, Parser)]
#[command(name = "yrd", version, propagate_version = true)]
struct Cli {
    /// Database URL: postgres://USER:PASSWORD@HOST/DB for PostgreSQL, or sqlite://PATH (or a
    /// plain file path) for SQLite. Without one, yrd uses the SQLite file yrd-data/yrd.db in
    /// the current directory, creating it and loading the built-in YRD dataset on first use.
    #[arg(long, global = true, env = "YRD_DATABASE_URL", value_name = "URL")]
    database: Option<String>,

    /// PostgreSQL: how many connections reads take at most. Requests beyond them wait for one,
    /// so that the database runs few statements at once.
    #[arg(
        long,
        global = true,
        env = "YRD_POSTGRES_READ_CONNECTIONS",
        default_value_t = yrd_store::PostgresConnections::DEFAULT.reads,
        value_name = "N"
    )]
    postgres_read_connections: NonZeroU32,

    /// PostgreSQL: how many connections journalled writes take at most, apart from the reads'.
    #[arg(
        long,
        global = true,
        env = "YRD_POSTGRES_WRITE_CONNECTIONS",
        default_value_t = yrd_store::PostgresConnections::DEFAULT.writes,
        value_name = "N"
    )]
    postgres_write_connections: NonZeroU32,

    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve the API (migrating the database first).
    Serve {
        /// Address to listen on.
        #[arg(
            long,
            env = "YRD_LISTEN",
            default_value = "127.0.0.1:8080",
            value_name = "ADDR"
        )]
        listen: SocketAddr,
        /// The directory of the members' private signing keys (`<member code>.pem`, made
        /// with `yrd key generate`), with which the server signs agreements for them.
        #[arg(
            long,
            env = "YRD_KEYS",
            default_value = yrd_web::DEFAULT_KEYS_DIR,
            value_name = "DIR"
        )]
        keys: PathBuf,
        /// How many MiB of visitors' responses (pages and API reads without a session or a
        /// token) to keep until the records change; 0 keeps none.
        #[arg(
            long,
            env = "YRD_RESPONSE_CACHE_MIB",
            default_value_t = yrd_web::DEFAULT_RESPONSE_CACHE_MIB,
            value_name = "MIB"
        )]
        response_cache_mib: u64,
        /// How many milliseconds after it was made a kept response may still be answered to
        /// visitors once the records have changed, while its successor is made; 0 answers
        /// only responses as new as the records.
        #[arg(
            long,
            env = "YRD_RESPONSE_STALE_MS",
            default_value_t = yrd_web::DEFAULT_STALE_BOUND.as_millis() as u64,
            value_name = "MS"
        )]
        response_stale_ms: u64,
    },
    /// Apply pending database migrations.
    Migrate {
        /// Instead, revert the migrations newer than this version (their down scripts, newest
        /// first): what an older yrd, whose migrations end at VERSION, needs before it can open
        /// the database.
        #[arg(long, value_name = "VERSION")]
        down_to: Option<i64>,
    },
    /// Validate a dataset directory and import it; nothing is written if any row is bad.
    ///
    /// Records are matched by key: new ones are inserted, changed ones updated, identical
    /// ones left alone, so importing the same directory twice changes nothing.
    Import {
        /// The dataset directory (see data/FORMAT.md), e.g. data/yrd.
        dir: PathBuf,
    },
    /// Write everything in the database to a dataset directory, in the format `import` reads.
    Export {
        /// The directory to write (created if missing; dataset files in it are replaced).
        dir: PathBuf,
    },
    /// Manage accounts and their roles: add, grant, revoke, list, password.
    ///
    /// A new deployment has no accounts; create the first administrator with
    /// `yrd user add admin --name "Administrator" --role administrator --scope region
    /// --password-stdin`. Every change is recorded in the history under this command and the
    /// operating-system user who ran it.
    #[command(subcommand)]
    User(commands::user::UserCommand),
    /// Manage API tokens: create, list, revoke.
    #[command(subcommand)]
    Token(commands::token::TokenCommand),
    /// Manage the members' agreement-signing keys: generate, list, retire.
    ///
    /// Each member has one active Ed25519 key. Its private half is a file on the server
    /// (`<keys>/<member code>.pem`, mode 0600), with which the server signs an agreement for
    /// the member when its coordinator signs in yrd; its public half is in the database, where
    /// every signature is checked against it.
    #[command(subcommand)]
    Key(commands::key::KeyCommand),
    /// Problems raised on matters: escalate those unresolved past their due date.
    #[command(subcommand)]
    Problems(commands::problems::ProblemsCommand),
    /// Check that the history of changes is intact.
    ///
    /// Every change is a journal entry that carries a hash of its content and of the entry
    /// before it. This walks the whole chain: it prints `history intact: N entries, head HASH`
    /// and exits 0, or names the first entry that was edited, removed or reordered and exits 1.
    /// Compare the head hash with an earlier run or another copy to see that nothing before it
    /// changed.
    VerifyHistory,
    /// Measure the server under a realistic load: throughput, latency percentiles, memory.
    ///
    /// Starts `yrd serve` on the database, drives a mix of portal pages, API reads, a
    /// signed-in page and writes (progress reports, members' positions) with --connections
    /// concurrent workers over loopback for --warmup and then --duration, and prints one row
    /// per request type (count, errors, requests per second, p50/p90/p99/max latency) with
    /// the server's peak memory; --json writes the same as JSON. Exits 1 if any request
    /// failed. It writes into the database (bench accounts, reports, positions, perhaps a
    /// scheduled meeting): run it on a copy or on a region made with `yrd generate`.
    Bench(commands::bench::BenchArgs),
    /// Grow a large synthetic region in the database, for measuring yrd at scale.
    ///
    /// On top of the YRD dataset (loaded first into an empty database): yearly lists of key
    /// cooperation matters split into members' tasks and sub-tasks, their progress reports
    /// through review, meetings with decisions, indicators with weekly observations, and the
    /// journal entries all of it implies. The same seed, sizes and --as-of give the same
    /// region. Written through the bulk path, one transaction per batch.
    Generate(commands::generate::GenerateArgs),
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(commands::run(cli)) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {}", one_line(&e));
            ExitCode::FAILURE
        }
    }
}

/// An error and its causes on one line, each cause once: some errors repeat their source in
/// their own message.
fn one_line(error: &anyhow::Error) -> String {
    let mut line = String::new();
    for cause in error.chain() {
        let text = cause.to_string();
        if line.contains(&text) {
            continue;
        }
        if !line.is_empty() {
            line.push_str(": ");
        }
        line.push_str(&text);
    }
    line
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    #[test]
    fn causes_are_named_once() {
        let error = anyhow::anyhow!("decoding column 0: mismatched types")
            .context("database error: decoding column 0: mismatched types")
            .context("importing");
        assert_eq!(
            super::one_line(&error),
            "importing: database error: decoding column 0: mismatched types"
        );
    }

    #[test]
    fn command_line_definition_is_consistent() {
        super::Cli::command().debug_assert();
    }
}
