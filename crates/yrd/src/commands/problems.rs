//! `yrd problems …`: problems raised on matters. Unresolved past their due date, they escalate
//! one tier up by themselves: `yrd problems escalate-overdue` runs that sweep once, and
//! `yrd serve` runs it at start and then every day ([`spawn_daily_sweep`]).

use std::process::ExitCode;

use anyhow::{Context, anyhow};
use clap::Subcommand;
use time::{Date, OffsetDateTime, Time};
use yrd_store::{Author, Store, StoreError};

use super::{Database, author, store_error};

#[derive(Debug, Subcommand)]
pub enum ProblemsCommand {
    /// Escalate every problem still unresolved past its due date one tier up.
    ///
    /// Execution-tier problems go to the coordination tier, coordination-tier ones to the
    /// decision tier, each due 30 days later; problems at the decision tier stay. Each move
    /// is recorded in the problem's history under this command and the operating-system user
    /// who ran it. Prints what moved.
    EscalateOverdue {
        /// The day lateness is judged on (a problem is overdue the day after its due date),
        /// YYYY-MM-DD; default today (UTC).
        #[arg(long, value_name = "DATE")]
        as_of: Option<String>,
    },
}

pub async fn run(database: &Database, command: ProblemsCommand) -> anyhow::Result<ExitCode> {
    match command {
        ProblemsCommand::EscalateOverdue { as_of } => {
            let as_of = match as_of {
                Some(value) => {
                    yrd_domain::date::parse_date(&value).map_err(|e| anyhow!("--as-of: {e}"))?
                }
                None => OffsetDateTime::now_utc().date(),
            };
            let store = database.connect().await?;
            store.migrate().await.context("migrating the database")?;
            let moved = sweep(&store, &author("problems escalate-overdue"), as_of)
                .await
                .map_err(store_error)?;
            if moved.is_empty() {
                println!(
                    "no problem is unresolved past its due date on {as_of}: nothing escalated"
                );
            }
            for line in &moved {
                println!("{line}");
            }
            store.close().await;
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// Runs the sweep and describes each problem it moved, one line each.
async fn sweep(store: &Store, author: &Author, as_of: Date) -> Result<Vec<String>, StoreError> {
    let keys = store.escalate_overdue(author, as_of).await?;
    let mut lines = Vec::with_capacity(keys.len());
    for key in keys {
        let line = match store.problem(&key).await? {
            Some(p) => format!(
                "escalated {key} (matter {}) to the {} tier, due {}",
                p.matter,
                tier_name(p.tier),
                p.due.map_or_else(|| "-".to_owned(), |d| d.to_string())
            ),
            None => format!("escalated {key}"),
        };
        lines.push(line);
    }
    Ok(lines)
}

fn tier_name(tier: yrd_domain::Tier) -> &'static str {
    match tier {
        yrd_domain::Tier::Decision => "decision",
        yrd_domain::Tier::Coordination => "coordination",
        yrd_domain::Tier::Execution => "execution",
    }
}

/// Runs the sweep now and then shortly after every midnight (UTC), for as long as the server
/// runs; the journal names `yrd serve` as the author. A failed sweep is logged and tried again
/// the next day: it must not stop the server.
pub fn spawn_daily_sweep(store: Store) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let author = author("serve");
        loop {
            let now = OffsetDateTime::now_utc();
            match sweep(&store, &author, now.date()).await {
                Ok(moved) if moved.is_empty() => {
                    tracing::debug!("no problem is overdue: nothing escalated");
                }
                Ok(moved) => {
                    for line in moved {
                        tracing::info!("{line} (unresolved past its due date)");
                    }
                }
                Err(e) => tracing::warn!(error = %e, "escalating overdue problems failed"),
            }
            tokio::time::sleep(until_next_day(now)).await;
        }
    })
}

/// How long from `now` until a minute past the next midnight (UTC).
fn until_next_day(now: OffsetDateTime) -> std::time::Duration {
    let next = now
        .date()
        .next_day()
        .map(|d| d.with_time(Time::MIDNIGHT).assume_utc() + time::Duration::minutes(1));
    next.and_then(|next| std::time::Duration::try_from(next - now).ok())
        .unwrap_or(std::time::Duration::from_secs(24 * 60 * 60))
}

#[cfg(test)]
mod tests {
    use time::macros::datetime;

    use super::until_next_day;

    #[test]
    fn the_sweep_waits_until_just_after_midnight() {
        assert_eq!(
            until_next_day(datetime!(2026-06-15 23:00 UTC)).as_secs(),
            61 * 60
        );
        assert_eq!(
            until_next_day(datetime!(2026-06-15 00:01 UTC)).as_secs(),
            24 * 60 * 60
        );
    }
}
