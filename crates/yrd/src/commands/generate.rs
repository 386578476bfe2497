//! `yrd generate`: grows a synthetic region (see [`crate::generate`]) in a database, on top of
//! the YRD dataset, through the storage layer's bulk path.

use std::process::ExitCode;
use std::time::Instant;

use anyhow::Context;
use indicatif::{ProgressBar, ProgressStyle};
use time::Date;
use yrd_domain::code::Level;
use yrd_domain::{PlanKind, Tier};

use super::{Database, author, store_error};
use crate::builtin;
use crate::generate::{Base, Generator, KEY_PREFIX, Sizes};

#[derive(Debug, clap::Args)]
pub struct GenerateArgs {
    /// Tasks (members' tasks and their sub-tasks), in lists of about 500 matters each.
    #[arg(long, default_value_t = 100_000)]
    pub tasks: u64,
    /// Progress reports, spread over the tasks' schedules [default: 10 per task].
    #[arg(long)]
    pub reports: Option<u64>,
    /// Indicator observations, weekly readings of 520 per indicator [default: 1 per task].
    #[arg(long)]
    pub observations: Option<u64>,
    /// Meetings of the working bodies, with their decisions [default: 1 per 100 tasks].
    #[arg(long)]
    pub meetings: Option<u64>,
    /// The seed: the same seed, sizes and --as-of give the same region.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// The day the region is generated as of (YYYY-MM-DD): nothing is reported after it
    /// [default: today].
    #[arg(long, value_parser = parse_day)]
    pub as_of: Option<Date>,
}

fn parse_day(s: &str) -> Result<Date, String> {
    yrd_domain::date::parse_date(s).map_err(|e| e.to_string())
}

pub async fn run(database: &Database, args: GenerateArgs) -> anyhow::Result<ExitCode> {
    let sizes = Sizes {
        tasks: args.tasks,
        reports: args.reports.unwrap_or(args.tasks * 10),
        observations: args.observations.unwrap_or(args.tasks),
        meetings: args.meetings.unwrap_or(args.tasks / 100),
    };
    let today = args
        .as_of
        .unwrap_or_else(|| time::OffsetDateTime::now_utc().date());
    let store = database.connect().await?;
    store.migrate().await.context("migrating the database")?;
    if store.is_empty().await? {
        let dataset = builtin::yrd_dataset().context("reading the built-in YRD dataset")?;
        store
            .import(&author("generate"), &dataset)
            .await
            .context("loading the built-in YRD dataset")?;
        println!("loaded the built-in YRD dataset");
    }
    let plans = store.plans().await.map_err(store_error)?;
    if plans.iter().any(|p| p.key.starts_with(KEY_PREFIX)) {
        anyhow::bail!(
            "this database already holds a generated region (plans {KEY_PREFIX}…): generate into a fresh database"
        );
    }
    let jurisdictions = store.jurisdictions().await.map_err(store_error)?;
    let bodies = store.bodies().await.map_err(store_error)?;
    let base = Base {
        members: jurisdictions
            .iter()
            .filter(|j| j.parent.is_none())
            .map(|j| (j.code, j.name.clone()))
            .collect(),
        places: jurisdictions
            .iter()
            .filter(|j| j.code.level() != Level::Province)
            .map(|j| (j.code, j.name.clone()))
            .collect(),
        groups: bodies
            .iter()
            .filter(|b| b.body.tier == Tier::Execution)
            .map(|b| (b.body.key.clone(), b.body.name.clone()))
            .collect(),
        action_plans: plans
            .iter()
            .filter(|p| p.kind == PlanKind::ActionPlan)
            .map(|p| (p.key.clone(), p.period_start, p.period_end))
            .collect(),
    };
    if base.members.len() < 2 || base.places.is_empty() || base.groups.is_empty() {
        anyhow::bail!(
            "the database's dataset needs at least two members, a city and an execution-tier body to grow a region on"
        );
    }

    let generator = Generator::new(base, sizes, args.seed, today);
    let planned = generator.planned_records();
    let progress = ProgressBar::new(planned).with_style(
        ProgressStyle::with_template(
            "{elapsed_precise} [{wide_bar}] {human_pos}/{human_len} records ({per_sec}, {eta} left)",
        )
        .expect("the template is valid"),
    );
    // Generating (CPU) and writing (the database) overlap: the generator runs on a thread of
    // its own, at most two batches ahead.
    let (sender, mut batches) = tokio::sync::mpsc::channel(2);
    let producer = tokio::task::spawn_blocking(move || {
        for batch in generator {
            if sender.blocking_send(batch).is_err() {
                break;
            }
        }
    });
    let started = Instant::now();
    let who = author("generate");
    let (mut records, mut entries) = (0_u64, 0_u64);
    let mut counts = [0_u64; 4];
    while let Some(batch) = batches.recv().await {
        entries += store
            .bulk_insert(&who, &batch)
            .await
            .map_err(store_error)
            .context("writing a generated batch")?;
        records += batch.records() as u64;
        let before: u64 = counts.iter().sum();
        counts[0] += batch.tasks.len() as u64;
        counts[1] += batch.reports.len() as u64;
        counts[2] += batch.observations.len() as u64;
        counts[3] += batch.meetings.len() as u64;
        let done: u64 = counts.iter().sum();
        progress.set_position(done);
        // Without a terminal the bar is hidden: a line every tenth of the way instead.
        let tenth = (planned / 10).max(1);
        if progress.is_hidden() && done / tenth > before / tenth {
            eprintln!(
                "{} of about {planned} records in {:.0} s",
                done,
                started.elapsed().as_secs_f64()
            );
        }
    }
    producer.await.context("the generator stopped")?;
    progress.finish_and_clear();
    let settling = std::time::Instant::now();
    store
        .settle_after_bulk()
        .await
        .map_err(store_error)
        .context("preparing the database for reads")?;
    let settled = settling.elapsed().as_secs_f64();
    store.close().await;
    let [tasks, reports, observations, meetings] = counts;
    println!(
        "generated {records} records in {:.1} s: {tasks} tasks, {reports} reports, {observations} observations, {meetings} meetings; {entries} journal entries; {settled:.1} s preparing the database for reads",
        started.elapsed().as_secs_f64()
    );
    Ok(ExitCode::SUCCESS)
}
