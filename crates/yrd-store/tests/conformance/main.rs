//! The storage conformance suite: every case runs unchanged against SQLite and, when
//! `YRD_TEST_POSTGRES_URL` names a server, against PostgreSQL. Without that variable the
//! PostgreSQL trials are listed as ignored and a line says so, so a skipped engine is visible.

mod cases;
mod mechanism;
mod rollups;
mod sample;

use std::future::Future;
use std::pin::Pin;

use libtest_mimic::{Arguments, Failed, Trial};
use yrd_store::testing::{POSTGRES_URL_VAR, ScratchStore, postgres_url};

type CaseFuture = Pin<Box<dyn Future<Output = Result<(), Failed>>>>;
type Case = fn(yrd_store::Store) -> CaseFuture;

fn main() {
    let args = Arguments::from_args();
    let postgres = postgres_url();
    if postgres.is_none() {
        println!(
            "{POSTGRES_URL_VAR} not set: the PostgreSQL storage conformance suite did not run"
        );
    }
    let mut trials = Vec::new();
    for (name, case) in cases::ALL {
        trials.push(Trial::test(format!("sqlite::{name}"), move || {
            run(case, || Box::pin(ScratchStore::sqlite()))
        }));
        let url = postgres.clone();
        let trial = Trial::test(format!("postgres::{name}"), move || {
            let url = url.clone().expect("ignored without a URL");
            run(case, move || {
                Box::pin(async move { ScratchStore::postgres(&url).await })
            })
        });
        trials.push(if postgres.is_some() {
            trial
        } else {
            trial.with_ignored_flag(true)
        });
    }
    libtest_mimic::run(&args, trials).exit();
}

type Opened = Pin<Box<dyn Future<Output = Result<ScratchStore, yrd_store::StoreError>>>>;

fn run(case: &Case, open: impl FnOnce() -> Opened) -> Result<(), Failed> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let scratch = open()
            .await
            .map_err(|e| format!("opening a scratch database: {e}"))?;
        let outcome = case(scratch.store.clone()).await;
        scratch
            .cleanup()
            .await
            .map_err(|e| format!("cleaning up: {e}"))?;
        outcome
    })
}

/// Fails the case with a message unless the condition holds.
#[macro_export]
macro_rules! ensure {
    ($cond:expr, $($msg:tt)+) => {
        if !$cond {
            return Err(format!($($msg)+).into());
        }
    };
}
