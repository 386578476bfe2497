//! Problems raised on matters and how they climb the tiers: raised at the execution tier with a
//! due date for their resolution, escalated one tier up on request or when they are still
//! unresolved past that date (coordination, then decision), and resolved by the tier that
//! holds them, which the record keeps.
//!
//! Every step is one journalled transaction on the problem (`problem`/key: `raise`,
//! `escalate`, `resolve`) that increments its version, so a step sent with the version it was
//! read at (`If-Match`) fails with a conflict if another step came first. Who may take a step
//! is the policy's business (`Target::Problem`); [`Store::problem_access`] gives it the facts.

use serde_json::{Value, json};
use time::{Date, Duration};
use yrd_domain::access::DraftVisibility;
use yrd_domain::{AdminCode, Text, Tier, is_valid_key};

use crate::accounts::random_bytes;
use crate::codec::{enum_name, parse_enum};
use crate::exec::Arg;
use crate::journal::{Author, Change, JournalTx, hex};
use crate::read::{Conditions, add_draft_condition};
use crate::write::{MatterAccess, entered_by};
use crate::{Store, StoreError};

/// How long the tier a problem escalates to has to resolve it, unless a due date is given.
pub const ESCALATION_PERIOD_DAYS: i64 = 30;

/// The longest title, and the longest description, resolution or reason, in characters.
const MAX_TITLE_CHARS: usize = 300;
const MAX_TEXT_CHARS: usize = 5_000;

/// A problem with everything its page and the API show.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProblemRecord {
    pub key: String,
    pub matter: String,
    pub matter_title: Text,
    /// The task of the matter it concerns, if any.
    pub task: Option<String>,
    pub title: Text,
    pub description: Text,
    /// The tier that holds it now.
    pub tier: Tier,
    pub raised_on: Date,
    /// When the tier holding it should have resolved it.
    pub due: Option<Date>,
    /// The day of its latest escalation.
    pub escalated_on: Option<Date>,
    pub resolved_on: Option<Date>,
    /// The tier that resolved it.
    pub resolved_tier: Option<Tier>,
    pub resolution: Text,
    /// Incremented by every step; what `If-Match` is checked against.
    pub version: i64,
    pub source: String,
}

impl ProblemRecord {
    /// Its age in days on `as_of`: from the day it was raised to that day, or to the day it
    /// was resolved if it was; never negative.
    pub fn age_days(&self, as_of: Date) -> i64 {
        let end = self.resolved_on.unwrap_or(as_of);
        (end - self.raised_on).whole_days().max(0)
    }

    /// Unresolved and past its due date on `as_of` (the due date itself is not late).
    pub fn overdue(&self, as_of: Date) -> bool {
        self.resolved_on.is_none() && self.due.is_some_and(|due| due < as_of)
    }
}

/// What the policy needs to know of a problem: its matter's facts, the tier that holds it and
/// the bodies of that tier, whose secretaries decide on it above the execution tier.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProblemAccess {
    pub matter: String,
    pub access: MatterAccess,
    pub tier: Tier,
    /// Keys of the bodies of `tier`, sorted.
    pub tier_bodies: Vec<String>,
}

/// Which problems a list holds, by their current state.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ProblemState {
    /// Not resolved.
    #[default]
    Open,
    Resolved,
    All,
}

/// Filters of the problem list.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ProblemFilter {
    pub tier: Option<Tier>,
    pub state: ProblemState,
    pub matter: Option<String>,
    /// Problems on matters this member leads or takes part in.
    pub member: Option<AdminCode>,
    /// Which problems on unpublished matters to include (by default none).
    pub drafts: DraftVisibility,
}

/// A problem as it is raised.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewProblem {
    pub title: Text,
    pub description: Text,
    /// A task of the matter.
    pub task: Option<String>,
    pub due: Date,
    pub raised_on: Date,
}

/// An escalation one tier up.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Escalation {
    /// Why (may be empty).
    pub reason: Text,
    /// The new due date; by default [`ESCALATION_PERIOD_DAYS`] after `on`.
    pub due: Option<Date>,
    pub on: Date,
}

/// What the sweep gives as the reason of an escalation it makes.
pub fn overdue_reason() -> Text {
    Text::new("逾期未解决", "overdue")
}

#[derive(sqlx::FromRow, serde::Deserialize)]
struct ProblemRow {
    key: String,
    matter: String,
    matter_title_zh: String,
    matter_title_en: String,
    task: Option<String>,
    title_zh: String,
    title_en: String,
    description_zh: String,
    description_en: String,
    tier: String,
    raised_on: Date,
    due_date: Option<Date>,
    escalated_on: Option<Date>,
    resolved_on: Option<Date>,
    resolved_tier: Option<String>,
    resolution_zh: String,
    resolution_en: String,
    version: i64,
    source: String,
}

const PROBLEM_SELECT: &str = "SELECT pr.key, pr.matter, m.title_zh AS matter_title_zh, \
     m.title_en AS matter_title_en, pr.task, pr.title_zh, pr.title_en, pr.description_zh, \
     pr.description_en, pr.tier, pr.raised_on, pr.due_date, pr.escalated_on, pr.resolved_on, \
     pr.resolved_tier, pr.resolution_zh, pr.resolution_en, pr.version, pr.source \
     FROM problems pr JOIN matters m ON m.key = pr.matter";

/// Decision first, then coordination, then execution; oldest first within a tier.
const PROBLEM_ORDER: &str = "ORDER BY CASE pr.tier WHEN 'decision' THEN 0 \
     WHEN 'coordination' THEN 1 ELSE 2 END, pr.raised_on, pr.key";

/// The conditions a filter puts on problems (`pr`) and their matters (`m`).
fn problem_conditions(filter: &ProblemFilter) -> Conditions {
    let mut conditions = Conditions::default();
    if let Some(tier) = filter.tier {
        conditions.add("pr.tier = ?", vec![enum_name(&tier).into()]);
    }
    match filter.state {
        ProblemState::Open => conditions.add("pr.resolved_on IS NULL", vec![]),
        ProblemState::Resolved => conditions.add("pr.resolved_on IS NOT NULL", vec![]),
        ProblemState::All => {}
    }
    if let Some(matter) = &filter.matter {
        conditions.add("pr.matter = ?", vec![matter.clone().into()]);
    }
    if let Some(member) = filter.member {
        conditions.add(
            "EXISTS (SELECT 1 FROM matter_members mm WHERE mm.matter = pr.matter AND mm.jurisdiction = ?)",
            vec![member.to_string().into()],
        );
    }
    add_draft_condition(&mut conditions, &filter.drafts, "m.");
    conditions
}

/// The tiers in the order problems are listed: the highest first.
const TIERS_DOWN: [Tier; 3] = [Tier::Decision, Tier::Coordination, Tier::Execution];

fn record(row: ProblemRow) -> Result<ProblemRecord, StoreError> {
    Ok(ProblemRecord {
        tier: parse_enum("problem tier", &row.tier)?,
        resolved_tier: row
            .resolved_tier
            .as_deref()
            .map(|t| parse_enum("problem resolved tier", t))
            .transpose()?,
        key: row.key,
        matter: row.matter,
        matter_title: Text::new(row.matter_title_zh, row.matter_title_en),
        task: row.task,
        title: Text::new(row.title_zh, row.title_en),
        description: Text::new(row.description_zh, row.description_en),
        raised_on: row.raised_on,
        due: row.due_date,
        escalated_on: row.escalated_on,
        resolved_on: row.resolved_on,
        resolution: Text::new(row.resolution_zh, row.resolution_en),
        version: row.version,
        source: row.source,
    })
}

fn text_json(text: &Text) -> Value {
    json!({"zh": text.zh, "en": text.en})
}

fn date_json(date: Option<Date>) -> Value {
    date.map_or(Value::Null, |d| Value::String(d.to_string()))
}

/// Checks a text's length in each language.
fn check_length(field: &'static str, text: &Text, max: usize) -> Result<(), StoreError> {
    if text.zh.chars().count() > max || text.en.chars().count() > max {
        return Err(StoreError::invalid(
            field,
            format!("at most {max} characters in each language"),
        ));
    }
    Ok(())
}

/// The state of a problem as a step reads it under the journal's lock.
#[derive(sqlx::FromRow)]
struct Current {
    tier: String,
    raised_on: Date,
    due_date: Option<Date>,
    escalated_on: Option<Date>,
    resolved_on: Option<Date>,
    version: i64,
}

async fn current(tx: &mut JournalTx, key: &str) -> Result<Current, StoreError> {
    let rows: Vec<Current> = tx
        .fetch(
            "SELECT tier, raised_on, due_date, escalated_on, resolved_on, version \
             FROM problems WHERE key = $1",
            vec![key.into()],
        )
        .await?;
    rows.into_iter()
        .next()
        .ok_or_else(|| StoreError::NotFound(format!("problem {key:?}")))
}

/// Moves a problem one tier up within `tx`; the caller has checked it is open and below the
/// decision tier. Returns the tier it reached.
async fn escalate_in(
    tx: &mut JournalTx,
    key: &str,
    current: &Current,
    escalation: &Escalation,
) -> Result<Tier, StoreError> {
    let tier: Tier = parse_enum("problem tier", &current.tier)?;
    let Some(above) = tier.above() else {
        return Err(StoreError::Conflict(
            "the problem is already at the decision tier, the highest: only its resolution closes it"
                .to_owned(),
        ));
    };
    let due = escalation
        .due
        .unwrap_or(escalation.on + Duration::days(ESCALATION_PERIOD_DAYS));
    let updated = tx
        .execute(
            "UPDATE problems SET tier = $1, escalated_on = $2, due_date = $3, version = version + 1 \
             WHERE key = $4 AND version = $5",
            vec![
                enum_name(&above).into(),
                escalation.on.into(),
                due.into(),
                key.into(),
                current.version.into(),
            ],
        )
        .await?;
    if updated == 0 {
        return Err(StoreError::stale("problem"));
    }
    let mut after = json!({
        "tier": enum_name(&above),
        "due_date": due.to_string(),
        "escalated_on": escalation.on.to_string(),
    });
    if !escalation.reason.is_empty() {
        after["reason"] = text_json(&escalation.reason);
    }
    tx.record(Change::new(
        "problem",
        key,
        "escalate",
        Some(json!({
            "tier": current.tier,
            "due_date": date_json(current.due_date),
            "escalated_on": date_json(current.escalated_on),
        })),
        Some(after),
    ));
    Ok(above)
}

impl Store {
    /// One problem, or None if there is no such problem.
    pub async fn problem(&self, key: &str) -> Result<Option<ProblemRecord>, StoreError> {
        let rows: Vec<ProblemRow> = self
            .fetch(
                format!("{PROBLEM_SELECT} WHERE pr.key = $1"),
                vec![key.into()],
            )
            .await?;
        rows.into_iter().next().map(record).transpose()
    }

    /// The access facts of a problem, or None if there is no such problem.
    pub async fn problem_access(&self, key: &str) -> Result<Option<ProblemAccess>, StoreError> {
        let rows: Vec<(String, String)> = self
            .fetch(
                "SELECT matter, tier FROM problems WHERE key = $1".into(),
                vec![key.into()],
            )
            .await?;
        let Some((matter, tier)) = rows.into_iter().next() else {
            return Ok(None);
        };
        let access = self
            .matter_access(&matter)
            .await?
            .ok_or_else(|| StoreError::Corrupt {
                what: "problem",
                reason: format!("problem {key:?} names a missing matter"),
            })?;
        let tier: Tier = parse_enum("problem tier", &tier)?;
        Ok(Some(ProblemAccess {
            matter,
            access,
            tier,
            tier_bodies: self.tier_bodies(tier).await?,
        }))
    }

    /// The tier of a body, or None if there is no such body.
    pub async fn body_tier(&self, body: &str) -> Result<Option<Tier>, StoreError> {
        let rows: Vec<(String,)> = self
            .fetch(
                "SELECT tier FROM bodies WHERE key = $1".into(),
                vec![body.into()],
            )
            .await?;
        rows.into_iter()
            .next()
            .map(|(tier,)| parse_enum("body tier", &tier))
            .transpose()
    }

    /// The keys of the bodies of a tier, sorted.
    pub async fn tier_bodies(&self, tier: Tier) -> Result<Vec<String>, StoreError> {
        let rows: Vec<(String,)> = self
            .fetch(
                "SELECT key FROM bodies WHERE tier = $1 ORDER BY key".into(),
                vec![enum_name(&tier).into()],
            )
            .await?;
        Ok(rows.into_iter().map(|(k,)| k).collect())
    }

    /// Problems by tier (decision first, then coordination, then execution), oldest first
    /// within a tier.
    pub async fn problems(&self, filter: &ProblemFilter) -> Result<Vec<ProblemRecord>, StoreError> {
        let conditions = problem_conditions(filter);
        let rows: Vec<ProblemRow> = self
            .fetch(
                format!(
                    "{PROBLEM_SELECT} {} {PROBLEM_ORDER}",
                    conditions.where_clause()
                ),
                conditions.args,
            )
            .await?;
        rows.into_iter().map(record).collect()
    }

    /// A page of the problems `filter` selects, in the order of [`Store::problems`]: tier by
    /// tier, each walked oldest first along its index and stopped at the page's end, so that a
    /// page costs the same however many problems a region has. The cursor names the last
    /// problem of the previous page.
    pub async fn problems_page(
        &self,
        filter: &ProblemFilter,
        cursor: Option<&str>,
        limit: u32,
    ) -> Result<crate::Page<ProblemRecord>, StoreError> {
        let limit = limit.clamp(1, crate::MAX_PAGE) as usize;
        let after = match cursor {
            None => None,
            Some(cursor) => {
                let parts = crate::read::decode_cursor(cursor, 3)?;
                let tier: Tier =
                    parse_enum("cursor", &parts[0]).map_err(|_| StoreError::InvalidCursor)?;
                let raised_on = yrd_domain::date::parse_date(&parts[1])
                    .map_err(|_| StoreError::InvalidCursor)?;
                if !is_valid_key(&parts[2]) {
                    return Err(StoreError::InvalidCursor);
                }
                Some((tier, raised_on, parts[2].clone()))
            }
        };
        let first = after.as_ref().map_or(0, |(tier, _, _)| {
            TIERS_DOWN.iter().position(|t| t == tier).unwrap_or(0)
        });
        let mut items = Vec::new();
        for tier in &TIERS_DOWN[first..] {
            if filter.tier.is_some_and(|t| t != *tier) {
                continue;
            }
            let mut conditions = problem_conditions(&ProblemFilter {
                tier: Some(*tier),
                ..filter.clone()
            });
            if let Some((after_tier, raised_on, key)) = &after
                && after_tier == tier
            {
                conditions.add(
                    "(pr.raised_on > ? OR (pr.raised_on = ? AND pr.key > ?))",
                    vec![(*raised_on).into(), (*raised_on).into(), key.clone().into()],
                );
            }
            let wanted = limit + 1 - items.len();
            let rows: Vec<ProblemRow> = self
                .fetch(
                    format!(
                        "{PROBLEM_SELECT} {} ORDER BY pr.raised_on, pr.key LIMIT {wanted}",
                        conditions.where_clause()
                    ),
                    conditions.args,
                )
                .await?;
            for row in rows {
                items.push(record(row)?);
            }
            if items.len() > limit {
                items.truncate(limit);
                let next_cursor = items.last().map(|p| {
                    crate::read::encode_cursor(&[
                        &enum_name(&p.tier),
                        &p.raised_on.to_string(),
                        &p.key,
                    ])
                });
                return Ok(crate::Page { items, next_cursor });
            }
        }
        Ok(crate::Page {
            items,
            next_cursor: None,
        })
    }

    /// The open problems a tier holds, oldest first: what a scheduled meeting of a body of that
    /// tier has on its agenda (the decision tier's symposium takes up what reached it). Only
    /// problems on published matters of published plans are listed, since an agenda is public.
    pub async fn open_problems_at(&self, tier: Tier) -> Result<Vec<ProblemRecord>, StoreError> {
        self.problems(&ProblemFilter {
            tier: Some(tier),
            state: ProblemState::Open,
            ..ProblemFilter::default()
        })
        .await
    }

    /// Raises a problem on a matter, at the execution tier.
    pub async fn raise_problem(
        &self,
        author: &Author,
        matter: &str,
        new: &NewProblem,
    ) -> Result<ProblemRecord, StoreError> {
        if new.title.is_empty() {
            return Err(StoreError::invalid(
                "title",
                "required in at least one language",
            ));
        }
        check_length("title", &new.title, MAX_TITLE_CHARS)?;
        check_length("description", &new.description, MAX_TEXT_CHARS)?;
        if new.due < new.raised_on {
            return Err(StoreError::invalid(
                "due_date",
                format!(
                    "{} precedes the day the problem is raised ({})",
                    new.due, new.raised_on
                ),
            ));
        }
        let mut tx = JournalTx::begin(self, author).await?;
        let found: Vec<(String,)> = tx
            .fetch(
                "SELECT key FROM matters WHERE key = $1",
                vec![matter.into()],
            )
            .await?;
        if found.is_empty() {
            return Err(StoreError::NotFound(format!("matter {matter:?}")));
        }
        if let Some(task) = &new.task {
            let tasks: Vec<(String,)> = tx
                .fetch(
                    "SELECT key FROM tasks WHERE key = $1 AND matter = $2",
                    vec![task.clone().into(), matter.into()],
                )
                .await?;
            if tasks.is_empty() {
                return Err(StoreError::invalid(
                    "task",
                    format!("{task:?} is not a task of the matter {matter:?}"),
                ));
            }
        }
        let key = format!("problem-{}", hex(&random_bytes::<6>()));
        let tier = Tier::Execution;
        tx.execute(
            "INSERT INTO problems (key, matter, task, title_zh, title_en, description_zh, \
             description_en, tier, raised_on, due_date, resolution_zh, resolution_en, source) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, '', '', $11)",
            vec![
                key.clone().into(),
                matter.into(),
                new.task.clone().into(),
                new.title.zh.clone().into(),
                new.title.en.clone().into(),
                new.description.zh.clone().into(),
                new.description.en.clone().into(),
                enum_name(&tier).into(),
                new.raised_on.into(),
                new.due.into(),
                entered_by(author).into(),
            ],
        )
        .await?;
        tx.record(Change::new(
            "problem",
            &key,
            "raise",
            None,
            Some(json!({
                "matter": matter,
                "task": new.task,
                "title": text_json(&new.title),
                "description": text_json(&new.description),
                "tier": enum_name(&tier),
                "raised_on": new.raised_on.to_string(),
                "due_date": new.due.to_string(),
            })),
        ));
        tx.commit().await?;
        self.problem(&key)
            .await?
            .ok_or_else(|| StoreError::Corrupt {
                what: "problem",
                reason: format!("problem {key:?} vanished after it was raised"),
            })
    }

    /// Moves an open problem one tier up (execution → coordination → decision), with a new due
    /// date; `expected` is the version the caller read, if it names one.
    pub async fn escalate_problem(
        &self,
        author: &Author,
        key: &str,
        escalation: &Escalation,
        expected: Option<i64>,
    ) -> Result<ProblemRecord, StoreError> {
        check_length("reason", &escalation.reason, MAX_TEXT_CHARS)?;
        if let Some(due) = escalation.due
            && due < escalation.on
        {
            return Err(StoreError::invalid(
                "due_date",
                format!(
                    "{due} precedes the day of the escalation ({})",
                    escalation.on
                ),
            ));
        }
        let mut tx = JournalTx::begin(self, author).await?;
        let current = current(&mut tx, key).await?;
        StoreError::check_version("problem", current.version, expected)?;
        if let Some(resolved_on) = current.resolved_on {
            return Err(StoreError::Conflict(format!(
                "the problem was resolved on {resolved_on}: a resolved problem does not escalate"
            )));
        }
        let since = current.escalated_on.unwrap_or(current.raised_on);
        if escalation.on < since {
            return Err(StoreError::invalid(
                "on",
                format!(
                    "{} precedes the day the problem reached its tier ({since})",
                    escalation.on
                ),
            ));
        }
        escalate_in(&mut tx, key, &current, escalation).await?;
        tx.commit().await?;
        self.problem(key)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("problem {key:?}")))
    }

    /// Resolves an open problem at the tier that holds it, which the record keeps as the tier
    /// that resolved it; `expected` is the version the caller read, if it names one.
    pub async fn resolve_problem(
        &self,
        author: &Author,
        key: &str,
        resolution: &Text,
        resolved_on: Date,
        expected: Option<i64>,
    ) -> Result<ProblemRecord, StoreError> {
        if resolution.is_empty() {
            return Err(StoreError::invalid(
                "resolution",
                "say how the problem was resolved, in at least one language",
            ));
        }
        check_length("resolution", resolution, MAX_TEXT_CHARS)?;
        let mut tx = JournalTx::begin(self, author).await?;
        let current = current(&mut tx, key).await?;
        StoreError::check_version("problem", current.version, expected)?;
        if let Some(on) = current.resolved_on {
            return Err(StoreError::Conflict(format!(
                "the problem was already resolved on {on}"
            )));
        }
        let since = current.escalated_on.unwrap_or(current.raised_on);
        if resolved_on < since {
            return Err(StoreError::invalid(
                "resolved_on",
                format!("{resolved_on} precedes the day the problem reached its tier ({since})"),
            ));
        }
        let updated = tx
            .execute(
                "UPDATE problems SET resolved_on = $1, resolved_tier = tier, resolution_zh = $2, \
                 resolution_en = $3, version = version + 1 WHERE key = $4 AND version = $5",
                vec![
                    resolved_on.into(),
                    resolution.zh.clone().into(),
                    resolution.en.clone().into(),
                    key.into(),
                    current.version.into(),
                ],
            )
            .await?;
        if updated == 0 {
            return Err(StoreError::stale("problem"));
        }
        tx.record(Change::new(
            "problem",
            key,
            "resolve",
            Some(json!({"resolved_on": null, "resolved_tier": null})),
            Some(json!({
                "resolved_on": resolved_on.to_string(),
                "resolved_tier": current.tier,
                "resolution": text_json(resolution),
            })),
        ));
        tx.commit().await?;
        self.problem(key)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("problem {key:?}")))
    }

    /// Escalates every problem still unresolved past its due date on `as_of` one tier up, in
    /// one transaction with one journal entry each (action `escalate`, reason
    /// [`overdue_reason`]); the new due date is [`ESCALATION_PERIOD_DAYS`] after `as_of`.
    /// Problems at the decision tier stay where they are. Returns the keys moved, in order of
    /// due date.
    pub async fn escalate_overdue(
        &self,
        author: &Author,
        as_of: Date,
    ) -> Result<Vec<String>, StoreError> {
        let mut tx = JournalTx::begin(self, author).await?;
        let rows: Vec<(String,)> = tx
            .fetch(
                "SELECT key FROM problems WHERE resolved_on IS NULL AND tier <> 'decision' \
                 AND due_date IS NOT NULL AND due_date < $1 ORDER BY due_date, key",
                vec![Arg::from(as_of)],
            )
            .await?;
        let escalation = Escalation {
            reason: overdue_reason(),
            due: None,
            on: as_of,
        };
        let mut moved = Vec::with_capacity(rows.len());
        for (key,) in rows {
            let current = current(&mut tx, &key).await?;
            escalate_in(&mut tx, &key, &current, &escalation).await?;
            moved.push(key);
        }
        if !moved.is_empty() {
            tx.commit().await?;
        }
        Ok(moved)
    }
}

#[cfg(test)]
mod tests {
    use time::macros::date;

    use super::*;

    fn problem(raised_on: Date, due: Option<Date>, resolved_on: Option<Date>) -> ProblemRecord {
        ProblemRecord {
            key: "p".into(),
            matter: "m".into(),
            matter_title: Text::default(),
            task: None,
            title: Text::new("问题", "Problem"),
            description: Text::default(),
            tier: Tier::Execution,
            raised_on,
            due,
            escalated_on: None,
            resolved_on,
            resolved_tier: None,
            resolution: Text::default(),
            version: 1,
            source: "yrd:user:x".into(),
        }
    }

    #[test]
    fn age_runs_to_the_day_asked_or_to_the_resolution() {
        let open = problem(date!(2025 - 01 - 01), Some(date!(2025 - 01 - 31)), None);
        assert_eq!(open.age_days(date!(2025 - 01 - 31)), 30);
        assert!(
            !open.overdue(date!(2025 - 01 - 31)),
            "due today is not late"
        );
        assert!(open.overdue(date!(2025 - 02 - 01)));
        assert_eq!(open.age_days(date!(2024 - 12 - 01)), 0, "never negative");
        let resolved = problem(
            date!(2025 - 01 - 01),
            Some(date!(2025 - 01 - 31)),
            Some(date!(2025 - 03 - 01)),
        );
        assert_eq!(resolved.age_days(date!(2026 - 01 - 01)), 59);
        assert!(!resolved.overdue(date!(2026 - 01 - 01)));
        let undated = problem(date!(2025 - 01 - 01), None, None);
        assert!(!undated.overdue(date!(2030 - 01 - 01)));
    }
}
