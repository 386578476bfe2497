//! Bulk loading: many new records written at once, with the journal entries their creation
//! implies, for generated regions and large first loads. Each batch is one transaction that
//! holds the journal's tip like any other write, so the chain stays whole and
//! `verify-history` checks a bulk-loaded database exactly as any other.
//!
//! Unlike import, a batch is not compared with what is stored: every record must be new, and
//! a taken key fails the whole batch (nothing of it is written).

use std::collections::{HashMap, HashSet};

use serde_json::json;
use yrd_domain::*;

use crate::codec::enum_name;
use crate::exec::Arg;
use crate::journal::{Author, Change, JournalTx};
use crate::rows;
use crate::{Store, StoreError};

/// New records to write together.
#[derive(Clone, Debug, Default)]
pub struct BulkBatch {
    pub plans: Vec<Plan>,
    pub meetings: Vec<Meeting>,
    pub decisions: Vec<Decision>,
    pub indicators: Vec<Indicator>,
    pub matters: Vec<Matter>,
    /// Tasks; a sub-task may come before or after its parent in the list.
    pub tasks: Vec<Task>,
    /// Reports on tasks of this batch: a task's latest progress is derived from them here.
    pub reports: Vec<ProgressReport>,
    pub problems: Vec<Problem>,
    pub observations: Vec<Observation>,
}

impl BulkBatch {
    /// Records in the batch, over all kinds (a plan's areas, a decision's positions and a
    /// matter's members and milestones count with their record).
    pub fn records(&self) -> usize {
        self.plans.len()
            + self.meetings.len()
            + self.decisions.len()
            + self.indicators.len()
            + self.matters.len()
            + self.tasks.len()
            + self.reports.len()
            + self.problems.len()
            + self.observations.len()
    }
}

/// The creation of `record`, as the journal records it.
fn created<T: serde::Serialize>(kind: &'static str, key: &str, record: &T) -> Change {
    Change::between(kind, key, None, Some(record)).expect("a new record is a change")
}

/// The latest figure of the reports that count, by date then key (as the write path keeps it).
#[derive(Clone, Copy, Default)]
struct Latest<'a> {
    reported: Option<&'a ProgressReport>,
    verified: Option<&'a ProgressReport>,
}

fn later<'a>(current: Option<&'a ProgressReport>, r: &'a ProgressReport) -> &'a ProgressReport {
    match current {
        Some(c) if (c.as_of, &c.key) > (r.as_of, &r.key) => c,
        _ => r,
    }
}

impl Store {
    /// Prepares the database for reads after bulk writes. On PostgreSQL, `VACUUM (ANALYZE)`:
    /// freshly written rows are not yet marked visible to all, so every index-only read went
    /// to the table too, and the first reads after a load set each row's hint bits while
    /// autovacuum caught up, under the first load put on the server. SQLite's planner keeps
    /// to its fixed rules, which the query-plan tests check, so SQLite is left as it is.
    pub async fn settle_after_bulk(&self) -> Result<(), StoreError> {
        if let crate::Backend::Postgres { reads: pool, .. } = &self.backend {
            sqlx::raw_sql("VACUUM (ANALYZE)").execute(pool).await?;
        }
        Ok(())
    }

    /// Writes a batch of new records and their journal in one transaction; returns the number
    /// of journal entries appended.
    ///
    /// Each record is journalled as created. A report is journalled as submitted, then with
    /// the review step that brought it to its state (approved, verified or returned), as
    /// the write path journals it.
    pub async fn bulk_insert(&self, author: &Author, batch: &BulkBatch) -> Result<u64, StoreError> {
        let batch_tasks: HashSet<&str> = batch.tasks.iter().map(|t| t.key.as_str()).collect();
        let mut latest: HashMap<&str, Latest> = HashMap::new();
        for r in &batch.reports {
            if !batch_tasks.contains(r.task.as_str()) {
                return Err(StoreError::invalid(
                    "reports",
                    format!(
                        "report {:?} is on task {:?}, which is not in the batch",
                        r.key, r.task
                    ),
                ));
            }
            let entry = latest.entry(r.task.as_str()).or_default();
            if r.state != ReportState::Returned {
                entry.reported = Some(later(entry.reported, r));
            }
            if r.state == ReportState::Verified {
                entry.verified = Some(later(entry.verified, r));
            }
        }

        let mut tx = JournalTx::begin(self, author).await?;
        if !batch.plans.is_empty() {
            tx.insert_rows(
                "plans",
                rows::PLAN_COLUMNS,
                batch.plans.iter().map(rows::plan).collect(),
            )
            .await?;
            let areas = batch
                .plans
                .iter()
                .flat_map(|p| {
                    p.areas
                        .iter()
                        .enumerate()
                        .map(|(i, a)| rows::area(&p.key, i, a))
                })
                .collect();
            tx.insert_rows("plan_areas", rows::AREA_COLUMNS, areas)
                .await?;
        }
        tx.insert_rows(
            "meetings",
            rows::MEETING_COLUMNS,
            batch.meetings.iter().map(rows::meeting).collect(),
        )
        .await?;
        tx.insert_rows(
            "decisions",
            rows::DECISION_COLUMNS,
            batch.decisions.iter().map(rows::decision).collect(),
        )
        .await?;
        let positions = batch
            .decisions
            .iter()
            .flat_map(|d| {
                d.positions
                    .iter()
                    .enumerate()
                    .map(|(i, p)| rows::position(&d.key, i, p))
            })
            .collect();
        tx.insert_rows("positions", rows::POSITION_COLUMNS, positions)
            .await?;
        tx.insert_rows(
            "indicators",
            rows::INDICATOR_COLUMNS,
            batch.indicators.iter().map(rows::indicator).collect(),
        )
        .await?;
        write_matters(&mut tx, &batch.matters).await?;

        // Members' tasks before sub-tasks, so that every parent exists when its part is written;
        // each with its latest progress, as the write path maintains it.
        let ordered = batch
            .tasks
            .iter()
            .filter(|t| t.parent.is_none())
            .chain(batch.tasks.iter().filter(|t| t.parent.is_some()));
        let task_rows = ordered
            .map(|t| {
                let progress = latest.get(t.key.as_str()).copied().unwrap_or_default();
                let mut row = rows::task(t);
                for report in [progress.reported, progress.verified] {
                    row.push(report.map(|r| i64::from(r.percent)).into());
                    row.push(report.map(|r| r.as_of).into());
                }
                row
            })
            .collect();
        tx.insert_rows(
            "tasks",
            &format!(
                "{}, reported_percent, reported_as_of, verified_percent, verified_as_of",
                rows::TASK_COLUMNS
            ),
            task_rows,
        )
        .await?;
        tx.insert_rows(
            "reports",
            rows::REPORT_COLUMNS,
            batch.reports.iter().map(rows::report).collect(),
        )
        .await?;
        tx.insert_rows(
            "problems",
            rows::PROBLEM_COLUMNS,
            batch.problems.iter().map(rows::problem).collect(),
        )
        .await?;
        tx.insert_rows(
            "observations",
            rows::OBSERVATION_COLUMNS,
            batch.observations.iter().map(rows::observation).collect(),
        )
        .await?;

        for p in &batch.plans {
            tx.record(created("plan", &p.key, p));
        }
        for m in &batch.meetings {
            tx.record(created("meeting", &m.key, m));
        }
        for d in &batch.decisions {
            tx.record(created("decision", &d.key, d));
        }
        for i in &batch.indicators {
            tx.record(created("indicator", &i.key, i));
        }
        for m in &batch.matters {
            tx.record(created("matter", &m.key, m));
        }
        for t in &batch.tasks {
            tx.record(created("task", &t.key, t));
        }
        for r in &batch.reports {
            record_report(&mut tx, r);
        }
        for p in &batch.problems {
            tx.record(created("problem", &p.key, p));
        }
        for o in &batch.observations {
            tx.record(created("observation", &o.key, o));
        }
        let entries = tx.commit().await?;
        Ok(entries.len() as u64)
    }
}

/// Writes matters with their members, milestones and links to indicators and agreements.
pub(crate) async fn write_matters(
    tx: &mut JournalTx,
    matters: &[Matter],
) -> Result<(), StoreError> {
    tx.insert_rows(
        "matters",
        rows::MATTER_COLUMNS,
        matters.iter().map(rows::matter).collect(),
    )
    .await?;
    tx.insert_rows(
        "matter_members",
        rows::MATTER_MEMBER_COLUMNS,
        matters.iter().flat_map(rows::matter_members).collect(),
    )
    .await?;
    let milestones = matters
        .iter()
        .flat_map(|m| {
            m.milestones
                .iter()
                .enumerate()
                .map(|(i, ms)| rows::milestone(&m.key, i, ms))
        })
        .collect();
    tx.insert_rows("milestones", rows::MILESTONE_COLUMNS, milestones)
        .await?;
    let links = |list: fn(&Matter) -> &Vec<String>| -> Vec<Vec<Arg>> {
        matters
            .iter()
            .flat_map(|m| {
                list(m)
                    .iter()
                    .map(|linked| vec![m.key.clone().into(), linked.clone().into()])
            })
            .collect()
    };
    tx.insert_rows(
        "matter_indicators",
        "matter, indicator",
        links(|m| &m.indicators),
    )
    .await?;
    tx.insert_rows(
        "matter_agreements",
        "matter, agreement",
        links(|m| &m.agreements),
    )
    .await?;
    Ok(())
}

/// A report's submission and the review steps that brought it to its state.
fn record_report(tx: &mut JournalTx, r: &ProgressReport) {
    let submitted = ProgressReport {
        state: ReportState::Submitted,
        return_reason: Text::default(),
        ..r.clone()
    };
    tx.record(created("report", &r.key, &submitted));
    let steps: &[(&str, ReportState)] = match r.state {
        ReportState::Submitted => &[],
        ReportState::Approved => &[("approve", ReportState::Approved)],
        // The office verifies a submitted report directly, as it may.
        ReportState::Verified => &[("verify", ReportState::Verified)],
        ReportState::Returned => &[("return", ReportState::Returned)],
    };
    let mut state = ReportState::Submitted;
    for (action, next) in steps {
        let mut after = json!({"state": enum_name(next)});
        if *next == ReportState::Returned {
            after["reason"] = json!({"zh": r.return_reason.zh, "en": r.return_reason.en});
        }
        tx.record(Change::new(
            "report",
            &r.key,
            *action,
            Some(json!({"state": enum_name(&state)})),
            Some(after),
        ));
        state = *next;
    }
}
