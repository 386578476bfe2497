//! Changes users make to the mechanism's records, each in one journalled transaction, and the
//! facts the access policy needs about a record before it is read or changed.

use serde_json::json;
use time::Date;
use yrd_domain::{AdminCode, ProgressReport, ReportState, Stance, Text};

use crate::accounts::random_bytes;
use crate::codec::{code, enum_name};
use crate::freshness::{RecordScope, progress_scopes, task_scopes};
use crate::journal::{Author, Change, EarlyReads, JournalTx, Tip, hex, with_known_tip};
use crate::{Store, StoreError};

/// What the policy needs to know of a plan or matter: whether it (and the plan it belongs to)
/// is published, and the body responsible for it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MatterAccess {
    pub published: bool,
    pub body: Option<String>,
    /// Lead and participating members.
    pub members: Vec<AdminCode>,
}

/// A task's member and its matter's access facts, and where the task sits.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TaskAccess {
    pub member: AdminCode,
    pub matter: String,
    pub access: MatterAccess,
    /// The task it is a sub-task of, if any.
    pub parent: Option<String>,
    /// Its matter's plan.
    pub plan: String,
}

/// A progress report as a member submits it.
#[derive(Clone, Debug, PartialEq)]
pub struct NewReport {
    pub as_of: Date,
    pub percent: u8,
    pub narrative: Text,
    pub evidence: Vec<String>,
}

/// The source recorded on records entered in yrd: who entered them.
pub fn entered_by(author: &Author) -> String {
    format!("yrd:{}", author.label())
}

#[derive(sqlx::FromRow, serde::Deserialize)]
struct MatterAccessRow {
    published: bool,
    body: Option<String>,
    members: Option<String>,
}

#[derive(sqlx::FromRow, serde::Deserialize)]
struct TaskAccessRow {
    jurisdiction: String,
    matter: String,
    parent: Option<String>,
    plan: String,
    // The matter's access facts, as in `MatterAccessRow`: spelled out, since serde's flattening
    // would read SQLite's integer `published` before knowing it for a boolean.
    published: bool,
    body: Option<String>,
    members: Option<String>,
}

/// Selects a matter's access facts; the plan's publication counts too.
const MATTER_ACCESS: &str = "SELECT (m.published AND p.published) AS published, m.body, \
     (SELECT GROUP_CONCAT_MEMBERS FROM matter_members mm WHERE mm.matter = m.key) AS members \
     FROM matters m JOIN plans p ON p.key = m.plan WHERE m.key = $1";

/// Selects a task's member and matter with the matter's access facts, in one query: every
/// report and task edit asks it first.
const TASK_ACCESS: &str = "SELECT t.jurisdiction, t.matter, t.parent, m.plan, (m.published AND p.published) AS published, m.body, \
     (SELECT GROUP_CONCAT_MEMBERS FROM matter_members mm WHERE mm.matter = m.key) AS members \
     FROM tasks t JOIN matters m ON m.key = t.matter JOIN plans p ON p.key = m.plan WHERE t.key = $1";

impl Store {
    /// `query` with the engine's way of joining the members' codes with commas.
    fn with_member_concat(&self, query: &str) -> String {
        let concat = match self.engine() {
            crate::Engine::Sqlite => "group_concat(mm.jurisdiction, ',')",
            crate::Engine::Postgres => "string_agg(mm.jurisdiction, ',')",
        };
        query.replace("GROUP_CONCAT_MEMBERS", concat)
    }

    /// The access facts of a matter, or None if there is no such matter.
    pub async fn matter_access(&self, key: &str) -> Result<Option<MatterAccess>, StoreError> {
        let rows: Vec<MatterAccessRow> = self
            .fetch(self.with_member_concat(MATTER_ACCESS), vec![key.into()])
            .await?;
        rows.into_iter().next().map(matter_access).transpose()
    }

    /// The access facts of a task, or None if there is no such task.
    pub async fn task_access(&self, key: &str) -> Result<Option<TaskAccess>, StoreError> {
        let rows: Vec<TaskAccessRow> = self
            .fetch(self.with_member_concat(TASK_ACCESS), vec![key.into()])
            .await?;
        let Some(row) = rows.into_iter().next() else {
            return Ok(None);
        };
        Ok(Some(TaskAccess {
            member: code("task jurisdiction", &row.jurisdiction)?,
            matter: row.matter,
            access: matter_access(MatterAccessRow {
                published: row.published,
                body: row.body,
                members: row.members,
            })?,
            parent: row.parent,
            plan: row.plan,
        }))
    }

    /// The body whose meeting took a decision, or None if there is no such decision.
    pub async fn decision_body(&self, key: &str) -> Result<Option<String>, StoreError> {
        let rows: Vec<(String,)> = self
            .fetch(
                "SELECT m.body FROM decisions d JOIN meetings m ON m.key = d.meeting WHERE d.key = $1"
                    .into(),
                vec![key.into()],
            )
            .await?;
        Ok(rows.into_iter().next().map(|(b,)| b))
    }

    /// Whether a plan is published, or None if there is no such plan.
    pub async fn plan_published(&self, key: &str) -> Result<Option<bool>, StoreError> {
        let rows: Vec<(bool,)> = self
            .fetch(
                "SELECT published FROM plans WHERE key = $1".into(),
                vec![key.into()],
            )
            .await?;
        Ok(rows.into_iter().next().map(|(p,)| p))
    }

    /// Submits a progress report on a task and updates the task's latest reported progress.
    pub async fn submit_report(
        &self,
        author: &Author,
        task: &str,
        new: &NewReport,
    ) -> Result<ProgressReport, StoreError> {
        self.submit(author, task, None, new).await
    }

    /// [`Store::submit_report`] on a task whose access facts the caller has read (`facts`,
    /// from [`Store::task_access`]): the records its progress shows on are known from them and
    /// not read again.
    pub async fn submit_report_on(
        &self,
        author: &Author,
        task: &str,
        facts: &TaskAccess,
        new: &NewReport,
    ) -> Result<ProgressReport, StoreError> {
        let scopes = task_scopes(
            task,
            facts.parent.clone(),
            facts.matter.clone(),
            facts.plan.clone(),
        );
        self.submit(author, task, Some(scopes), new).await
    }

    async fn submit(
        &self,
        author: &Author,
        task: &str,
        scopes: Option<Vec<RecordScope>>,
        new: &NewReport,
    ) -> Result<ProgressReport, StoreError> {
        if new.percent > 100 {
            return Err(StoreError::invalid("percent", "must be between 0 and 100"));
        }
        if new.narrative.zh.trim().is_empty() && new.narrative.en.trim().is_empty() {
            return Err(StoreError::invalid(
                "narrative",
                "required in at least one language",
            ));
        }
        for link in &new.evidence {
            if !(link.starts_with("https://") || link.starts_with("http://"))
                || link.contains(char::is_whitespace)
            {
                return Err(StoreError::invalid(
                    "evidence",
                    format!("{link:?} is not an http(s) URL"),
                ));
            }
        }
        let report = ProgressReport {
            key: format!("report-{}", hex(&random_bytes::<8>())),
            task: task.to_owned(),
            as_of: new.as_of,
            percent: new.percent,
            narrative: new.narrative.clone(),
            evidence: new.evidence.clone(),
            state: ReportState::Submitted,
            return_reason: Text::default(),
            source: entered_by(author),
        };
        // Written with the other reports queued at the time, committed together.
        self.write_report(author, &report, scopes).await?;
        Ok(report)
    }

    /// Records (or changes) a member's position on a decision of a scheduled meeting; each
    /// change increments the meeting's version. Refused once the meeting is closed: its
    /// outcomes are frozen.
    pub async fn record_position(
        &self,
        author: &Author,
        decision: &str,
        member: AdminCode,
        stance: Stance,
        comment: &Text,
    ) -> Result<(), StoreError> {
        with_known_tip(|tip| {
            self.record_position_on(author, decision, member, stance, comment, tip)
        })
        .await
    }

    /// [`Store::record_position`], taking the tip as `tip` says.
    async fn record_position_on(
        &self,
        author: &Author,
        decision: &str,
        member: AdminCode,
        stance: Stance,
        comment: &Text,
        tip: Tip,
    ) -> Result<(), StoreError> {
        // The meeting's state, the member's seat on its body and the position it replaces, read
        // in one round trip: on the known tip before the turn (checked at commit), else under
        // the tip's lock.
        let context = || {
            (
                "SELECT m.key AS meeting, m.state, \
                 (SELECT COUNT(*) FROM body_members bm WHERE bm.body = m.body AND bm.jurisdiction = $2) AS seats, \
                 p.stance, p.comment_zh, p.comment_en \
                 FROM decisions d JOIN meetings m ON m.key = d.meeting \
                 LEFT JOIN positions p ON p.decision = d.key AND p.jurisdiction = $2 WHERE d.key = $1",
                vec![decision.into(), member.to_string().into()],
            )
        };
        let mut tx = JournalTx::begin_before_turn(self, author, tip).await?;
        let (sql, args) = context();
        let mut found: Vec<PositionContext> = tx.fetch(sql, args).await?;
        let (mut tx, early) = tx.take_turn().await?;
        if early == EarlyReads::Stale {
            let (sql, args) = context();
            found = tx.fetch(sql, args).await?;
        }
        let Some(found) = found.into_iter().next() else {
            return Err(StoreError::NotFound(format!("decision {decision:?}")));
        };
        if found.state != "scheduled" {
            return Err(StoreError::Conflict(crate::CLOSED_DECISIONS.into()));
        }
        if found.seats == 0 {
            return Err(StoreError::invalid(
                "member",
                format!("{member} is not a member of the body that took this decision"),
            ));
        }
        let position = |stance: &str, zh: &str, en: &str| json!({"member": member.to_string(), "stance": stance, "comment": {"zh": zh, "en": en}});
        let before = found.stance.as_deref().map(|stance| {
            position(
                stance,
                found.comment_zh.as_deref().unwrap_or_default(),
                found.comment_en.as_deref().unwrap_or_default(),
            )
        });
        let after = position(&enum_name(&stance), &comment.zh, &comment.en);
        if before.as_ref() == Some(&after) {
            return Ok(());
        }
        tx.execute_at_commit(
            "INSERT INTO positions (decision, jurisdiction, seq, stance, comment_zh, comment_en) \
             VALUES ($1, $2, (SELECT COALESCE(MAX(seq), 0) + 1 FROM positions WHERE decision = $1), $3, $4, $5) \
             ON CONFLICT (decision, jurisdiction) DO UPDATE SET stance = excluded.stance, \
             comment_zh = excluded.comment_zh, comment_en = excluded.comment_en",
            vec![
                decision.into(),
                member.to_string().into(),
                enum_name(&stance).into(),
                comment.zh.clone().into(),
                comment.en.clone().into(),
            ],
        );
        tx.execute_at_commit(
            "UPDATE meetings SET version = version + 1 WHERE key = $1",
            vec![found.meeting.into()],
        );
        // What was read holds at commit: the meeting still scheduled, the seat still held, the
        // position replaced still the member's.
        let mut still = vec![decision.into(), member.to_string().into()];
        let guard = match &found.stance {
            Some(stance) => {
                still.extend([
                    stance.clone().into(),
                    found.comment_zh.clone().unwrap_or_default().into(),
                    found.comment_en.clone().unwrap_or_default().into(),
                ]);
                POSITION_STILL_REPLACES
            }
            None => POSITION_STILL_FIRST,
        };
        tx.guard_at_commit(guard, still);
        // A position shows on no plan's, matter's or task's page: only on those taken to show
        // every record (the meetings', the home page).
        tx.record(
            Change::new("decision", decision, "record_position", before, Some(after))
                .within(Vec::new()),
        );
        tx.commit().await?;
        Ok(())
    }

    /// Publishes or withdraws a matter. Returns false when it already was in that state.
    pub async fn set_matter_published(
        &self,
        author: &Author,
        matter: &str,
        published: bool,
    ) -> Result<bool, StoreError> {
        let mut tx = JournalTx::begin(self, author).await?;
        let current: Vec<(bool,)> = tx
            .fetch(
                "SELECT published FROM matters WHERE key = $1",
                vec![matter.into()],
            )
            .await?;
        let Some((was,)) = current.into_iter().next() else {
            return Err(StoreError::NotFound(format!("matter {matter:?}")));
        };
        if was == published {
            return Ok(false);
        }
        tx.execute(
            "UPDATE matters SET published = $1 WHERE key = $2",
            vec![published.into(), matter.into()],
        )
        .await?;
        tx.record(Change::new(
            "matter",
            matter,
            if published { "publish" } else { "unpublish" },
            Some(json!({"published": was})),
            Some(json!({"published": published})),
        ));
        tx.commit().await?;
        Ok(true)
    }
}

fn matter_access(row: MatterAccessRow) -> Result<MatterAccess, StoreError> {
    let mut members = row
        .members
        .unwrap_or_default()
        .split(',')
        .filter(|s| !s.is_empty())
        .map(|s| code("matter member", s))
        .collect::<Result<Vec<_>, _>>()?;
    members.sort();
    members.dedup();
    Ok(MatterAccess {
        published: row.published,
        body: row.body,
        members,
    })
}

/// A step of a report's review.
#[derive(Clone, Debug, PartialEq)]
pub enum ReportTransition {
    /// The member's coordinator approves an officer's report.
    Approve,
    /// The office verifies the report: its figure counts as verified progress.
    Verify,
    /// The office returns the report, with the reason; it no longer counts.
    Return { reason: Text },
}

impl ReportTransition {
    fn verb(&self) -> &'static str {
        match self {
            ReportTransition::Approve => "approved",
            ReportTransition::Verify => "verified",
            ReportTransition::Return { .. } => "returned",
        }
    }

    fn target(&self) -> ReportState {
        match self {
            ReportTransition::Approve => ReportState::Approved,
            ReportTransition::Verify => ReportState::Verified,
            ReportTransition::Return { .. } => ReportState::Returned,
        }
    }

    /// The states a report may be in for this step.
    fn from(&self) -> &'static [ReportState] {
        match self {
            ReportTransition::Approve => &[ReportState::Submitted],
            ReportTransition::Verify | ReportTransition::Return { .. } => {
                &[ReportState::Submitted, ReportState::Approved]
            }
        }
    }
}

/// What the policy needs to know of a report: its task, state and who submitted it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReportAccess {
    pub task: TaskAccess,
    pub state: ReportState,
    /// The user who submitted it in yrd; None for reports of the public record.
    pub submitted_by: Option<String>,
}

/// The user a record entered in yrd names in its source (`yrd:user:<name>`); None for
/// records of the public record or entered by a command.
pub fn entered_by_user(source: &str) -> Option<String> {
    source.strip_prefix("yrd:user:").map(str::to_owned)
}

impl Store {
    /// One progress report.
    pub async fn report(&self, key: &str) -> Result<Option<ProgressReport>, StoreError> {
        Ok(self
            .load_reports("WHERE key = $1", vec![key.into()])
            .await?
            .into_iter()
            .next())
    }

    /// The access facts of a report, or None if there is no such report.
    pub async fn report_access(&self, key: &str) -> Result<Option<ReportAccess>, StoreError> {
        let rows: Vec<(String, String, String)> = self
            .fetch(
                "SELECT task, state, source FROM reports WHERE key = $1".into(),
                vec![key.into()],
            )
            .await?;
        let Some((task, state, source)) = rows.into_iter().next() else {
            return Ok(None);
        };
        let task = self
            .task_access(&task)
            .await?
            .ok_or_else(|| StoreError::Corrupt {
                what: "report",
                reason: format!("report {key:?} names a missing task"),
            })?;
        Ok(Some(ReportAccess {
            task,
            state: crate::codec::parse_enum("report state", &state)?,
            submitted_by: entered_by_user(&source),
        }))
    }

    /// Moves a report one step through its review, if it is in a state that allows the step
    /// and (when `expected` is given) still in the state the caller saw. The task's latest
    /// reported and verified progress follow.
    pub async fn review_report(
        &self,
        author: &Author,
        key: &str,
        step: &ReportTransition,
        expected: Option<ReportState>,
    ) -> Result<ReportState, StoreError> {
        let mut tx = JournalTx::begin(self, author).await?;
        let rows: Vec<(String, String)> = tx
            .fetch(
                "SELECT task, state FROM reports WHERE key = $1",
                vec![key.into()],
            )
            .await?;
        let Some((task, state)) = rows.into_iter().next() else {
            return Err(StoreError::NotFound(format!("report {key:?}")));
        };
        let state: ReportState = crate::codec::parse_enum("report state", &state)?;
        if let Some(expected) = expected
            && expected != state
        {
            return Err(StoreError::Conflict(format!(
                "the report is {} now, not {} as when it was read: reload it and decide again",
                enum_name(&state),
                enum_name(&expected)
            )));
        }
        if !step.from().contains(&state) {
            return Err(StoreError::Conflict(format!(
                "a {} report cannot be {}",
                enum_name(&state),
                step.verb()
            )));
        }
        let target = step.target();
        // The reason is kept with the report, so that whoever reads it sees why it no longer
        // counts; other steps leave it empty.
        let reason = match step {
            ReportTransition::Return { reason } => reason.clone(),
            _ => Text::default(),
        };
        tx.execute(
            "UPDATE reports SET state = $1, return_reason_zh = $2, return_reason_en = $3 WHERE key = $4",
            vec![
                enum_name(&target).into(),
                reason.zh.into(),
                reason.en.into(),
                key.into(),
            ],
        )
        .await?;
        tx.execute(
            crate::import::REFRESH_TASK_PROGRESS,
            vec![task.as_str().into()],
        )
        .await?;
        let mut after = json!({"state": enum_name(&target)});
        if let ReportTransition::Return { reason } = step {
            after["reason"] = json!({"zh": reason.zh, "en": reason.en});
        }
        let mut change = Change::new(
            "report",
            key,
            match step {
                ReportTransition::Approve => "approve",
                ReportTransition::Verify => "verify",
                ReportTransition::Return { .. } => "return",
            },
            Some(json!({"state": enum_name(&state)})),
            Some(after),
        );
        if let Some(records) = progress_scopes(&mut tx, &[task.as_str()])
            .await?
            .remove(&task)
        {
            change = change.within(records);
        }
        tx.record(change);
        tx.commit().await?;
        Ok(target)
    }
}

/// A position's write stands if its decision's meeting is still scheduled and the member
/// still sits on its body (`$1` the decision, `$2` the member)…
macro_rules! position_still {
    ($replaced:literal) => {
        concat!(
            "SELECT 1 FROM decisions d JOIN meetings m ON m.key = d.meeting \
             WHERE d.key = $1 AND m.state = 'scheduled' \
             AND EXISTS (SELECT 1 FROM body_members bm WHERE bm.body = m.body AND bm.jurisdiction = $2) AND ",
            $replaced
        )
    };
}
/// … and the position it replaces is still the member's (`$3` to `$5`: stance and comment) …
const POSITION_STILL_REPLACES: &str = position_still!(
    "EXISTS (SELECT 1 FROM positions p WHERE p.decision = $1 AND p.jurisdiction = $2 \
     AND p.stance = $3 AND p.comment_zh = $4 AND p.comment_en = $5)"
);
/// … or the member still has none.
const POSITION_STILL_FIRST: &str = position_still!(
    "NOT EXISTS (SELECT 1 FROM positions p WHERE p.decision = $1 AND p.jurisdiction = $2)"
);

/// What recording a position reads first: the decision's meeting, the member's seats on the
/// meeting's body (0 or 1), and the member's current position, if any.
#[derive(sqlx::FromRow)]
struct PositionContext {
    meeting: String,
    state: String,
    seats: i64,
    stance: Option<String>,
    comment_zh: Option<String>,
    comment_en: Option<String>,
}
