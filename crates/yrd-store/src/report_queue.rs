//! Progress reports submitted at about the same time, written together.
//!
//! Every write takes the journal's tip in turn, and a turn costs a lock, an append and a
//! commit whatever the write. Reports are the most frequent write by far (every member's
//! officers report on every task, month after month), so a report does not take a turn of its
//! own: it joins this process's queue of reports, and one writer takes everything queued, writes
//! it in one transaction and commits it with one turn at the tip. While a batch is being
//! written the next one queues, so batches grow with the load and a lone report is written at
//! once, as before.
//!
//! On PostgreSQL, once this process knows the journal's tip, a batch is written in one statement
//! that commits itself ([`crate::journal::Tip::Known`]): the reports, their tasks' latest
//! progress (found among the task's stored reports and the batch's, since the statement's
//! parts do not see each other's rows), their entries and the tip's move. The records each
//! task's progress shows on are those its submitter read with the task's access facts
//! ([`Store::submit_report_on`]), or else read before the batch's turn; a task found by its
//! submitter but gone since fails the statement (its reports' reference to it), and the batch
//! is taken again in a transaction, which refuses that report alone.
//!
//! Each report keeps its own outcome: a report on a task that does not exist is refused alone,
//! and if the batch's transaction fails for any other reason, its reports are written again one
//! by one, so that an error reaches only the report that causes it. A report is journalled as
//! its own author's, and its task's latest progress is recomputed under the tip as before.

use std::collections::{HashMap, HashSet};
use std::sync::{Mutex, MutexGuard, PoisonError};

use tokio::sync::oneshot;
use yrd_domain::{ProgressReport, ReportState};

use crate::exec::{Arg, push_values};
use crate::freshness::{RecordScope, progress_scopes_query, scopes_by_task, task_scopes};
use crate::journal::{Author, Change, JournalTx, Tip, with_known_tip};
use crate::rows::{REPORT_COLUMNS, report as report_row};
use crate::{Engine, Store, StoreError};

/// Reports one transaction writes at most: 11 parameters each, well under the engines' limits.
const MAX_BATCH: usize = 256;

/// This process's reports waiting to be written, and whether a writer is at work on them.
#[derive(Debug, Default)]
pub(crate) struct ReportQueue {
    state: Mutex<QueueState>,
}

#[derive(Debug, Default)]
struct QueueState {
    waiting: Vec<Queued>,
    /// A writer is taking batches from `waiting`; it stops, clearing this, once it is empty.
    writing: bool,
}

/// A report waiting to be written, and where its outcome goes.
#[derive(Debug)]
struct Queued {
    author: Author,
    report: ProgressReport,
    /// The records its task's progress shows on, if its submitter knew them.
    scopes: Option<Vec<RecordScope>>,
    outcome: oneshot::Sender<Result<(), StoreError>>,
}

impl ReportQueue {
    fn state(&self) -> MutexGuard<'_, QueueState> {
        // The state is a list and a flag, whole at every step: a panic elsewhere leaves it usable.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Clears the queue's `writing` flag if the writer stops without doing so (it panicked), failing
/// the reports still waiting instead of leaving them, and every later one, waiting forever.
struct StopGuard<'a> {
    queue: &'a ReportQueue,
    finished: bool,
}

impl Drop for StopGuard<'_> {
    fn drop(&mut self) {
        if !self.finished {
            let mut state = self.queue.state();
            state.writing = false;
            // Dropping the senders tells each waiting report that it was not written.
            state.waiting.clear();
        }
    }
}

impl Store {
    /// Writes a new report through the queue and returns once it is committed (or refused).
    /// `scopes` are the records its task's progress shows on, if known.
    pub(crate) async fn write_report(
        &self,
        author: &Author,
        report: &ProgressReport,
        scopes: Option<Vec<RecordScope>>,
    ) -> Result<(), StoreError> {
        let (outcome, written) = oneshot::channel();
        let start_writer = {
            let mut state = self.reports.state();
            state.waiting.push(Queued {
                author: author.clone(),
                report: report.clone(),
                scopes,
                outcome,
            });
            !std::mem::replace(&mut state.writing, true)
        };
        if start_writer {
            // The writer runs apart from the request that started it, so that a request
            // abandoned by its client does not take the others' reports down with it.
            let store = self.clone();
            tokio::spawn(async move { store.write_queued_reports().await });
        }
        written
            .await
            .map_err(|_| StoreError::Interrupted("the writer of queued reports stopped"))?
    }

    /// Writes batches of queued reports until none is left.
    async fn write_queued_reports(&self) {
        let mut guard = StopGuard {
            queue: &self.reports,
            finished: false,
        };
        loop {
            let batch: Vec<Queued> = {
                let mut state = self.reports.state();
                if state.waiting.is_empty() {
                    // Under the lock that queues reports: one queued after this sees the flag
                    // cleared and starts a writer itself.
                    state.writing = false;
                    guard.finished = true;
                    return;
                }
                let taken = state.waiting.len().min(MAX_BATCH);
                state.waiting.drain(..taken).collect()
            };
            self.write_batch(batch).await;
        }
    }

    /// Writes one batch and tells each report its outcome.
    async fn write_batch(&self, batch: Vec<Queued>) {
        let outcomes = match self.insert_reports(&batch).await {
            Ok(written) => batch
                .iter()
                .map(|q| written_or_missing(&written, &q.report))
                .collect(),
            // Which report failed is unknown: each is tried alone, so only it fails.
            Err(_) if batch.len() > 1 => {
                let mut outcomes = Vec::with_capacity(batch.len());
                for queued in &batch {
                    let alone = std::slice::from_ref(queued);
                    outcomes.push(
                        self.insert_reports(alone)
                            .await
                            .and_then(|written| written_or_missing(&written, &queued.report)),
                    );
                }
                outcomes
            }
            Err(e) => vec![Err(e)],
        };
        for (queued, outcome) in batch.into_iter().zip(outcomes) {
            // The submitter may have gone (its request abandoned): the report stands anyway.
            let _ = queued.outcome.send(outcome);
        }
    }

    /// Inserts the reports whose tasks exist, recomputes those tasks' latest progress under
    /// the journal's tip and journals each report as its author's, in one transaction.
    /// Returns the keys of the reports written.
    async fn insert_reports(&self, batch: &[Queued]) -> Result<HashSet<String>, StoreError> {
        with_known_tip(|tip| self.insert_reports_on(batch, tip)).await
    }

    /// [`Store::insert_reports`], taking the tip as `tip` says.
    async fn insert_reports_on(
        &self,
        batch: &[Queued],
        tip: Tip,
    ) -> Result<HashSet<String>, StoreError> {
        let Some(first) = batch.first() else {
            return Ok(HashSet::new());
        };
        // A submitted report moves only its task's reported figures, which one statement can
        // find among the batch's reports and the stored ones.
        let all_submitted = batch
            .iter()
            .all(|q| q.report.state == ReportState::Submitted);
        let mut tx = if tip == Tip::Known && all_submitted && self.engine() == Engine::Postgres {
            let known: Option<HashMap<String, Vec<RecordScope>>> = batch
                .iter()
                .map(|q| Some((q.report.task.clone(), q.scopes.clone()?)))
                .collect();
            let scopes = match known {
                Some(scopes) => scopes,
                // Read before the turn at the tip, so as not to hold it for another round trip.
                None => {
                    let tasks: Vec<&str> = batch.iter().map(|q| q.report.task.as_str()).collect();
                    let (sql, args) = progress_scopes_query(&tasks);
                    scopes_by_task(self.fetch(sql, args).await?)
                }
            };
            let tx = JournalTx::begin_on(self, &first.author, Tip::Known).await?;
            if tx.in_one_statement() {
                return in_one_statement(tx, batch, &scopes).await;
            }
            // No tip known yet: written in the transaction, as below.
            tx
        } else {
            // New reports need no other writer's: only the refresh of their tasks' progress
            // runs under the tip, at commit.
            JournalTx::begin_unlocked(self, &first.author).await?
        };
        let (sql, args) = insert_statement(batch);
        let inserted: Vec<Inserted> = tx.fetch(sql, args).await?;
        let written: HashSet<String> = inserted.iter().map(|row| row.key.clone()).collect();
        if written.is_empty() {
            return Ok(written);
        }
        // The records each task's progress shows on, read with the insert.
        let scopes: HashMap<String, Vec<RecordScope>> = inserted
            .into_iter()
            .filter_map(|row| {
                let scopes = task_scopes(&row.task, row.parent, row.matter?, row.plan?);
                Some((row.task, scopes))
            })
            .collect();
        let written_reports: Vec<&Queued> = batch
            .iter()
            .filter(|q| written.contains(&q.report.key))
            .collect();
        let mut refreshed = HashSet::new();
        for queued in &written_reports {
            let task = queued.report.task.as_str();
            if !refreshed.insert(task) {
                continue;
            }
            // Submitted reports move only their task's reported figures.
            let only_submitted = written_reports
                .iter()
                .filter(|q| q.report.task == task)
                .all(|q| q.report.state == ReportState::Submitted);
            let refresh = if only_submitted {
                crate::import::REFRESH_REPORTED_PROGRESS
            } else {
                crate::import::REFRESH_TASK_PROGRESS
            };
            tx.execute_at_commit(refresh, vec![task.into()]);
        }
        record_reports(&mut tx, written_reports, &scopes);
        tx.commit().await?;
        Ok(written)
    }
}

/// Writes the batch's reports on tasks that exist (those `scopes` names), their tasks' latest
/// reported progress and their entries with `tx`'s commit, in one statement. Returns the keys
/// of the reports written.
async fn in_one_statement(
    mut tx: JournalTx,
    batch: &[Queued],
    scopes: &HashMap<String, Vec<RecordScope>>,
) -> Result<HashSet<String>, StoreError> {
    let written: Vec<&Queued> = batch
        .iter()
        .filter(|q| scopes.contains_key(&q.report.task))
        .collect();
    if written.is_empty() {
        return Ok(HashSet::new());
    }
    let mut values = String::new();
    let mut args = Vec::with_capacity(written.len() * 11);
    push_values(
        &mut values,
        written.iter().map(|q| report_row(&q.report)),
        &mut args,
        false,
    );
    tx.execute_at_commit(
        format!("INSERT INTO reports ({REPORT_COLUMNS}) VALUES {values}"),
        args,
    );
    let mut tasks: Vec<&str> = written.iter().map(|q| q.report.task.as_str()).collect();
    tasks.sort_unstable();
    tasks.dedup();
    for task in tasks {
        let (sql, args) = refresh_with_new_reports(
            task,
            written.iter().map(|q| &q.report).filter(|r| r.task == task),
        );
        tx.execute_at_commit(sql, args);
    }
    record_reports(&mut tx, written.iter().copied(), scopes);
    tx.commit().await?;
    Ok(written.iter().map(|q| q.report.key.clone()).collect())
}

/// Journals each new report as its author's, confined to the records its task's progress shows
/// on (`scopes`, by task). A task not found there (gone since the insert) leaves its report
/// unconfined: taken to alter every page.
fn record_reports<'a>(
    tx: &mut JournalTx,
    reports: impl IntoIterator<Item = &'a Queued>,
    scopes: &HashMap<String, Vec<RecordScope>>,
) {
    for queued in reports {
        let report = &queued.report;
        let change = Change::between("report", &report.key, None, Some(report))
            .expect("a new record is a change");
        let change = match scopes.get(&report.task) {
            Some(records) => change.within(records.clone()),
            None => change,
        };
        tx.record_by(&queued.author, change);
    }
}

/// A statement setting `task`'s latest reported progress to the latest of its stored reports
/// not returned and the `new` ones (submitted in the same statement, so not yet among the
/// stored), by the order of [`crate::import::REFRESH_REPORTED_PROGRESS`].
fn refresh_with_new_reports<'a>(
    task: &str,
    new: impl Iterator<Item = &'a ProgressReport>,
) -> (String, Vec<Arg>) {
    let mut args: Vec<Arg> = vec![task.into()];
    let mut values = String::new();
    push_values(
        &mut values,
        new.map(|r| {
            vec![
                i64::from(r.percent).into(),
                r.as_of.into(),
                r.key.clone().into(),
            ]
        }),
        &mut args,
        false,
    );
    (
        format!(
            "UPDATE tasks SET reported_percent = latest.percent, reported_as_of = latest.as_of \
             FROM (SELECT percent, as_of FROM (\
             (SELECT r.percent, r.as_of, r.key FROM reports r WHERE r.task = $1 AND r.state <> 'returned' \
             ORDER BY r.as_of DESC, r.key DESC LIMIT 1) \
             UNION ALL VALUES {values}) AS candidates (percent, as_of, key) \
             ORDER BY as_of DESC, key DESC LIMIT 1) AS latest \
             WHERE tasks.key = $1"
        ),
        args,
    )
}

/// A report's outcome once its batch is committed: written, or refused for want of its task.
fn written_or_missing(
    written: &HashSet<String>,
    report: &ProgressReport,
) -> Result<(), StoreError> {
    if written.contains(&report.key) {
        Ok(())
    } else {
        Err(StoreError::NotFound(format!("task {:?}", report.task)))
    }
}

/// A report the batch's statement wrote, with the records its task's progress shows on.
#[derive(sqlx::FromRow)]
struct Inserted {
    key: String,
    task: String,
    parent: Option<String>,
    matter: Option<String>,
    plan: Option<String>,
}

/// One statement inserting the batch's reports whose tasks exist, returning their keys and
/// their tasks' parent tasks, matters and plans.
fn insert_statement(batch: &[Queued]) -> (String, Vec<Arg>) {
    let mut values = String::new();
    let mut args = Vec::with_capacity(batch.len() * 11);
    push_values(
        &mut values,
        batch.iter().map(|queued| report_row(&queued.report)),
        &mut args,
        false,
    );
    (
        format!(
            "WITH submitted ({REPORT_COLUMNS}) AS (VALUES {values}) \
             INSERT INTO reports ({REPORT_COLUMNS}) SELECT {REPORT_COLUMNS} FROM submitted \
             WHERE EXISTS (SELECT 1 FROM tasks t WHERE t.key = submitted.task) \
             RETURNING key, task, (SELECT t.parent FROM tasks t WHERE t.key = reports.task) AS parent, \
             (SELECT t.matter FROM tasks t WHERE t.key = reports.task) AS matter, \
             (SELECT m.plan FROM tasks t JOIN matters m ON m.key = t.matter WHERE t.key = reports.task) AS plan"
        ),
        args,
    )
}

#[cfg(feature = "testing")]
impl Store {
    /// Writes `reports` as one batch, as the queue's writer would had they queued together,
    /// and returns each one's outcome in order. For tests of a batch's failure, which
    /// submitted reports (with fresh keys, on checked tasks) cannot bring about.
    pub async fn write_reports_as_one_batch(
        &self,
        reports: Vec<(Author, ProgressReport)>,
    ) -> Vec<Result<(), StoreError>> {
        let (batch, outcomes): (Vec<Queued>, Vec<_>) = reports
            .into_iter()
            .map(|(author, report)| {
                let (outcome, written) = oneshot::channel();
                (
                    Queued {
                        author,
                        report,
                        scopes: None,
                        outcome,
                    },
                    written,
                )
            })
            .unzip();
        self.write_batch(batch).await;
        let mut results = Vec::with_capacity(outcomes.len());
        for written in outcomes {
            results.push(written.await.unwrap_or(Err(StoreError::Interrupted(
                "the batch gave this report no outcome",
            ))));
        }
        results
    }
}
