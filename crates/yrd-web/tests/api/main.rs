//! The API suite: every case runs over real HTTP against a server on a free local port, once
//! with SQLite and once with PostgreSQL when `YRD_TEST_POSTGRES_URL` names a server. Without
//! that variable the PostgreSQL trials are reported as ignored, with the reason, and a line at
//! the start says so, so a skipped engine never passes unnoticed.
//!
//! Cases over the built-in YRD dataset check the API against real records; cases over a small
//! synthetic dataset (see `synthetic`) check derived numbers exactly, since the public record
//! has no progress reports.

mod access;
mod agreements;
mod app;
mod caching;
mod conventions;
mod fixtures;
mod meetings;
mod pages;
mod people;
mod plans;
mod problems;
mod scenario;
mod synthetic;
mod yrd;

use libtest_mimic::{Arguments, Completion, Failed, Trial};
use yrd_store::testing::{POSTGRES_URL_VAR, postgres_url};

use crate::app::{Case, Engine, run_case};
use crate::fixtures::Fixture;

/// Everything the servers of the suite log, so cases can check that no secret reaches a log.
pub static LOG: std::sync::Mutex<Vec<u8>> = std::sync::Mutex::new(Vec::new());

struct LogWriter;

impl std::io::Write for LogWriter {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        LOG.lock()
            .unwrap_or_else(|e| e.into_inner())
            .extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// What has been logged so far.
pub fn logged() -> String {
    String::from_utf8_lossy(&LOG.lock().unwrap_or_else(|e| e.into_inner())).into_owned()
}

fn main() {
    tracing_subscriber::fmt()
        .with_max_level(tracing::Level::DEBUG)
        .with_ansi(false)
        .with_writer(|| LogWriter)
        .init();
    let args = Arguments::from_args();
    let postgres = postgres_url();
    let skipped = format!("{POSTGRES_URL_VAR} not set: PostgreSQL API suite did not run");
    if postgres.is_none() {
        println!("{skipped}");
    }
    let cases: Vec<(&str, Fixture, Case)> = yrd::CASES
        .iter()
        .map(|&(name, case)| (name, Fixture::Yrd, case))
        .chain(
            conventions::CASES
                .iter()
                .map(|&(name, case)| (name, Fixture::Yrd, case)),
        )
        .chain(
            pages::CASES
                .iter()
                .map(|&(name, case)| (name, Fixture::Yrd, case)),
        )
        .chain(
            synthetic::CASES
                .iter()
                .map(|&(name, case)| (name, Fixture::Synthetic, case)),
        )
        .chain(
            access::CASES
                .iter()
                .chain(caching::CASES)
                .chain(meetings::CASES)
                .chain(plans::CASES)
                .chain(problems::CASES)
                .chain(agreements::CASES)
                .map(|&(name, case)| (name, Fixture::Synthetic, case)),
        )
        .chain(
            scenario::CASES
                .iter()
                .chain(caching::YRD_CASES)
                .map(|&(name, case)| (name, Fixture::Yrd, case)),
        )
        .collect();
    let mut trials = Vec::new();
    for (name, fixture, case) in cases {
        trials.push(Trial::test(format!("sqlite::{name}"), move || {
            run_case(Engine::Sqlite, fixture, case)
        }));
        let url = postgres.clone();
        let skipped = skipped.clone();
        trials.push(Trial::ignorable_test(
            format!("postgres::{name}"),
            move || match url {
                Some(url) => {
                    run_case(Engine::Postgres(url), fixture, case).map(|()| Completion::Completed)
                }
                None => Ok(Completion::ignored_with(skipped)),
            },
        ));
    }
    libtest_mimic::run(&args, trials).exit();
}

/// Fails the case with a message unless the condition holds.
#[macro_export]
macro_rules! ensure {
    ($cond:expr, $($msg:tt)+) => {
        if !$cond {
            return Err(libtest_mimic::Failed::from(format!($($msg)+)));
        }
    };
}

/// Fails the case unless both sides are equal, showing both.
#[macro_export]
macro_rules! ensure_eq {
    ($left:expr, $right:expr, $($msg:tt)+) => {{
        let (left, right) = (&$left, &$right);
        if left != right {
            return Err(libtest_mimic::Failed::from(format!(
                "{}\n  left: {:?}\n right: {:?}",
                format!($($msg)+),
                left,
                right
            )));
        }
    }};
}

/// Lets `?` turn any error into a failure with context.
pub fn fail(context: &str, error: impl std::fmt::Display) -> Failed {
    Failed::from(format!("{context}: {error}"))
}
