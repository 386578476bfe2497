//! From plan to work: creating plans and their matters, splitting a matter into one task per
//! member and a member's task into sub-tasks, editing a task under optimistic concurrency,
//! and carrying an unfinished matter over into the next plan.
//!
//! Each operation is one journalled transaction: everything a request names is checked
//! before anything is written, so a refused request leaves nothing behind, and every record
//! created or changed gets its own journal entry holding the fields that changed.

use std::collections::{BTreeSet, HashMap};

use serde_json::{Map, Value, json};
use time::Date;
use yrd_domain::{
    AdminCode, Matter, Milestone, PlanKind, ProgressReport, Task, Text, is_valid_key,
};

use crate::codec::enum_name;
use crate::exec::Arg;
use crate::journal::{Author, Change, JournalTx};
use crate::read::{MAX_PAGE, Page, TaskState, decode_cursor, encode_cursor};
use crate::write::entered_by;
use crate::{Store, StoreError};

/// A priority area of a new plan.
#[derive(Clone, Debug, PartialEq)]
pub struct NewArea {
    pub key: String,
    pub name: Text,
}

/// A plan as the office drafts it. It starts as an unpublished draft.
#[derive(Clone, Debug, PartialEq)]
pub struct NewPlan {
    pub key: String,
    pub kind: PlanKind,
    pub title: Text,
    /// The plan this one carries out.
    pub parent: Option<String>,
    pub period_start: i32,
    pub period_end: i32,
    pub issuer: Text,
    pub summary: Text,
    pub areas: Vec<NewArea>,
}

/// A dated checkpoint of a new matter.
#[derive(Clone, Debug, PartialEq)]
pub struct NewMilestone {
    pub title: Text,
    pub due: Date,
}

/// How a member's share of a new matter differs from the defaults (the member's name as the
/// unit, the matter's title with the member's name, the matter's due date). Empty texts take
/// the default.
#[derive(Clone, Debug, PartialEq)]
pub struct TaskShare {
    pub member: AdminCode,
    pub unit: Text,
    pub title: Text,
    pub due: Option<Date>,
}

/// A matter as the office creates it under a plan. It splits into one task per lead and
/// participant, keyed `<matter>.<member>`.
#[derive(Clone, Debug, PartialEq)]
pub struct NewMatter {
    /// None: `<plan>.<n>`, the first free n.
    pub key: Option<String>,
    pub area: Option<String>,
    pub title: Text,
    pub objective: Text,
    /// The responsible body (e.g. a thematic group), whose roles see the matter as a draft.
    pub body: Option<String>,
    pub leads: Vec<AdminCode>,
    pub participants: Vec<AdminCode>,
    pub start: Option<Date>,
    pub due: Date,
    pub milestones: Vec<NewMilestone>,
    pub indicators: Vec<String>,
    /// Agreements whose obligation the matter carries out.
    pub agreements: Vec<String>,
    pub tasks: Vec<TaskShare>,
    pub published: bool,
}

/// The fields of a task an edit changes; None leaves a field as it is.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct TaskEdit {
    pub unit: Option<Text>,
    pub title: Option<Text>,
    /// `Some(None)` clears the start date.
    pub start: Option<Option<Date>>,
    pub due: Option<Date>,
}

/// A sub-task a member's coordinator adds under the member's task.
#[derive(Clone, Debug, PartialEq)]
pub struct NewSubtask {
    pub unit: Text,
    pub title: Text,
    pub due: Date,
}

/// Where an unfinished matter is carried over to.
#[derive(Clone, Debug, PartialEq)]
pub struct CarryOver {
    /// The next plan's key.
    pub plan: String,
    /// The new matter's due date; by default the last day of the next plan's period.
    pub due: Option<Date>,
}

/// A task with what its own view shows.
#[derive(Clone, Debug, PartialEq)]
pub struct TaskDetail {
    pub state: TaskState,
    pub matter_title: Text,
    /// Its sub-tasks, by key (none for a sub-task).
    pub subtasks: Vec<TaskState>,
    /// Its newest reports, at most [`RECENT_TASK_REPORTS`], oldest first: a task's record
    /// must not grow with its history ([`Store::task_reports`] pages through all of it).
    pub reports: Vec<ProgressReport>,
    /// How many reports it has in all.
    pub reports_total: u64,
}

/// The most reports a task's record shows.
pub const RECENT_TASK_REPORTS: usize = 200;

fn required_text(field: &'static str, text: &Text) -> Result<(), StoreError> {
    if text.zh.trim().is_empty() && text.en.trim().is_empty() {
        return Err(StoreError::invalid(
            field,
            "required in at least one language",
        ));
    }
    Ok(())
}

fn text_json(text: &Text) -> Value {
    json!({"zh": text.zh, "en": text.en})
}

fn date_json(date: Option<Date>) -> Value {
    date.map_or(Value::Null, |d| Value::String(d.to_string()))
}

/// `$1, $2, …, $n` for an `IN` list.
fn marks(n: usize) -> String {
    (1..=n)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A matter and its tasks as they are written, whether created or carried over.
struct MatterRecord {
    key: String,
    plan: String,
    area: Option<String>,
    title: Text,
    objective: Text,
    body: Option<String>,
    leads: Vec<AdminCode>,
    participants: Vec<AdminCode>,
    start: Option<Date>,
    due: Date,
    milestones: Vec<NewMilestone>,
    indicators: Vec<String>,
    agreements: Vec<String>,
    published: bool,
    carried_from: Option<String>,
    source: String,
    tasks: Vec<TaskRecord>,
}

struct TaskRecord {
    key: String,
    member: AdminCode,
    unit: Text,
    title: Text,
    start: Option<Date>,
    due: Date,
}

impl MatterRecord {
    /// The matter as its journal entry records it.
    fn to_json(&self) -> Value {
        let codes = |c: &[AdminCode]| c.iter().map(|c| c.to_string()).collect::<Vec<_>>();
        json!({
            "plan": self.plan,
            "area": self.area,
            "title": text_json(&self.title),
            "objective": text_json(&self.objective),
            "body": self.body,
            "leads": codes(&self.leads),
            "participants": codes(&self.participants),
            "start_date": date_json(self.start),
            "due_date": self.due.to_string(),
            "milestones": self.milestones.iter().map(|m| json!({
                "title": text_json(&m.title),
                "due_date": m.due.to_string(),
            })).collect::<Vec<_>>(),
            "indicators": self.indicators,
            "agreements": self.agreements,
            "tasks": self.tasks.iter().map(|t| t.key.clone()).collect::<Vec<_>>(),
            "published": self.published,
            "carried_from": self.carried_from,
        })
    }
}

impl TaskRecord {
    fn to_json(&self, matter: &str) -> Value {
        json!({
            "matter": matter,
            "member": self.member.to_string(),
            "unit": text_json(&self.unit),
            "title": text_json(&self.title),
            "start_date": date_json(self.start),
            "due_date": self.due.to_string(),
        })
    }
}

/// The first free key `<prefix>.<n>` counting from `from`, among `taken`.
fn next_key(prefix: &str, from: usize, taken: &BTreeSet<String>) -> Result<String, StoreError> {
    let mut n = from;
    loop {
        let key = format!("{prefix}.{n}");
        if !is_valid_key(&key) {
            return Err(StoreError::invalid(
                "key",
                format!("{key:?} is too long to be a key: give a shorter key"),
            ));
        }
        if !taken.contains(&key) {
            return Ok(key);
        }
        n += 1;
    }
}

impl Store {
    /// Creates a plan as an unpublished draft, with its areas.
    pub async fn create_plan(&self, author: &Author, new: &NewPlan) -> Result<(), StoreError> {
        if !is_valid_key(&new.key) {
            return Err(StoreError::invalid(
                "key",
                format!(
                    "{:?} is not a record key: lowercase letters, digits, '-', '_' and '.', at most 100",
                    new.key
                ),
            ));
        }
        required_text("title", &new.title)?;
        if !(1900..=2200).contains(&new.period_start) || !(1900..=2200).contains(&new.period_end) {
            return Err(StoreError::invalid(
                "period",
                "years must lie between 1900 and 2200",
            ));
        }
        if new.period_end < new.period_start {
            return Err(StoreError::invalid(
                "period",
                "the last year precedes the first",
            ));
        }
        let mut seen = BTreeSet::new();
        for (i, area) in new.areas.iter().enumerate() {
            if !is_valid_key(&area.key) {
                return Err(StoreError::invalid(
                    "areas",
                    format!("area {}: {:?} is not a key", i + 1, area.key),
                ));
            }
            if !seen.insert(area.key.as_str()) {
                return Err(StoreError::invalid(
                    "areas",
                    format!("area {}: the key {:?} is used twice", i + 1, area.key),
                ));
            }
            if area.name.is_empty() {
                return Err(StoreError::invalid(
                    "areas",
                    format!(
                        "area {}: a name is required in at least one language",
                        i + 1
                    ),
                ));
            }
        }
        let mut tx = JournalTx::begin(self, author).await?;
        let taken: Vec<(String,)> = tx
            .fetch(
                "SELECT key FROM plans WHERE key = $1",
                vec![new.key.clone().into()],
            )
            .await?;
        if !taken.is_empty() {
            return Err(StoreError::Conflict(format!(
                "a plan with the key {:?} exists already: choose another key",
                new.key
            )));
        }
        if let Some(parent) = &new.parent {
            let found: Vec<(String,)> = tx
                .fetch(
                    "SELECT key FROM plans WHERE key = $1",
                    vec![parent.clone().into()],
                )
                .await?;
            if found.is_empty() {
                return Err(StoreError::invalid(
                    "parent",
                    format!("there is no plan {parent:?}"),
                ));
            }
        }
        tx.execute(
            "INSERT INTO plans (key, kind, title_zh, title_en, parent, period_start, period_end, stage, \
             adopted_on, issued_on, issuer_zh, issuer_en, summary_zh, summary_en, source, published) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, 'draft', NULL, NULL, $8, $9, $10, $11, $12, $13)",
            vec![
                new.key.clone().into(),
                enum_name(&new.kind).into(),
                new.title.zh.clone().into(),
                new.title.en.clone().into(),
                new.parent.clone().into(),
                i64::from(new.period_start).into(),
                i64::from(new.period_end).into(),
                new.issuer.zh.clone().into(),
                new.issuer.en.clone().into(),
                new.summary.zh.clone().into(),
                new.summary.en.clone().into(),
                entered_by(author).into(),
                false.into(),
            ],
        )
        .await?;
        for (i, area) in new.areas.iter().enumerate() {
            tx.execute(
                "INSERT INTO plan_areas (plan, key, seq, name_zh, name_en, stated_task_count) \
                 VALUES ($1, $2, $3, $4, $5, NULL)",
                vec![
                    new.key.clone().into(),
                    area.key.clone().into(),
                    (i as i64 + 1).into(),
                    area.name.zh.clone().into(),
                    area.name.en.clone().into(),
                ],
            )
            .await?;
        }
        tx.record(Change::new(
            "plan",
            &new.key,
            "create",
            None,
            Some(json!({
                "kind": enum_name(&new.kind),
                "title": text_json(&new.title),
                "parent": new.parent,
                "period": [new.period_start, new.period_end],
                "stage": "draft",
                "issuer": text_json(&new.issuer),
                "summary": text_json(&new.summary),
                "areas": new.areas.iter().map(|a| json!({"key": a.key, "name": text_json(&a.name)})).collect::<Vec<_>>(),
                "published": false,
            })),
        ));
        tx.commit().await?;
        Ok(())
    }

    /// Publishes or withdraws a plan (and so every matter in it). Returns false when it
    /// already was in that state.
    pub async fn set_plan_published(
        &self,
        author: &Author,
        plan: &str,
        published: bool,
    ) -> Result<bool, StoreError> {
        let mut tx = JournalTx::begin(self, author).await?;
        let current: Vec<(bool,)> = tx
            .fetch(
                "SELECT published FROM plans WHERE key = $1",
                vec![plan.into()],
            )
            .await?;
        let Some((was,)) = current.into_iter().next() else {
            return Err(StoreError::NotFound(format!("plan {plan:?}")));
        };
        if was == published {
            return Ok(false);
        }
        tx.execute(
            "UPDATE plans SET published = $1 WHERE key = $2",
            vec![published.into(), plan.into()],
        )
        .await?;
        tx.record(Change::new(
            "plan",
            plan,
            if published { "publish" } else { "unpublish" },
            Some(json!({"published": was})),
            Some(json!({"published": published})),
        ));
        tx.commit().await?;
        Ok(true)
    }

    /// The plan a matter belongs to, or None if there is no such matter.
    pub async fn matter_plan(&self, matter: &str) -> Result<Option<String>, StoreError> {
        let rows: Vec<(String,)> = self
            .fetch(
                "SELECT plan FROM matters WHERE key = $1".into(),
                vec![matter.into()],
            )
            .await?;
        Ok(rows.into_iter().next().map(|(p,)| p))
    }

    /// Creates a matter under `plan` and splits it into one task per lead and participant.
    /// Returns the matter's key.
    pub async fn create_matter(
        &self,
        author: &Author,
        plan: &str,
        new: &NewMatter,
    ) -> Result<String, StoreError> {
        required_text("title", &new.title)?;
        if let Some(key) = &new.key
            && !is_valid_key(key)
        {
            return Err(StoreError::invalid(
                "key",
                format!(
                    "{key:?} is not a record key: lowercase letters, digits, '-', '_' and '.', at most 100"
                ),
            ));
        }
        if new.leads.is_empty() {
            return Err(StoreError::invalid("lead", "name at least one lead member"));
        }
        let mut members = BTreeSet::new();
        for lead in &new.leads {
            if !members.insert(*lead) {
                return Err(StoreError::invalid(
                    "lead",
                    format!("{lead} is named twice: each member appears once"),
                ));
            }
        }
        for participant in &new.participants {
            if !members.insert(*participant) {
                return Err(StoreError::invalid(
                    "participants",
                    format!(
                        "{participant} is named twice (or also leads): each member appears once"
                    ),
                ));
            }
        }
        if let Some(start) = new.start
            && start > new.due
        {
            return Err(StoreError::invalid(
                "due_date",
                format!("the matter starts on {start}, after it is due"),
            ));
        }
        for (i, milestone) in new.milestones.iter().enumerate() {
            if milestone.title.is_empty() {
                return Err(StoreError::invalid(
                    "milestones",
                    format!("milestone {}: a title is required", i + 1),
                ));
            }
        }
        let mut shares: HashMap<AdminCode, &TaskShare> = HashMap::new();
        for share in &new.tasks {
            if !members.contains(&share.member) {
                return Err(StoreError::invalid(
                    "tasks",
                    format!(
                        "{} is neither a lead nor a participant of the matter",
                        share.member
                    ),
                ));
            }
            if shares.insert(share.member, share).is_some() {
                return Err(StoreError::invalid(
                    "tasks",
                    format!("{} has two entries: one task per member", share.member),
                ));
            }
            if let Some(due) = share.due {
                if due > new.due {
                    return Err(StoreError::invalid(
                        "tasks",
                        format!(
                            "{}'s task is due on {due}, after the matter ({})",
                            share.member, new.due
                        ),
                    ));
                }
                if new.start.is_some_and(|start| due < start) {
                    return Err(StoreError::invalid(
                        "tasks",
                        format!(
                            "{}'s task is due on {due}, before the matter starts",
                            share.member
                        ),
                    ));
                }
            }
        }

        let mut tx = JournalTx::begin(self, author).await?;
        let areas: Vec<(String,)> = tx
            .fetch(
                "SELECT key FROM plan_areas WHERE plan = $1 ORDER BY seq",
                vec![plan.into()],
            )
            .await?;
        let plan_exists: Vec<(String,)> = tx
            .fetch("SELECT key FROM plans WHERE key = $1", vec![plan.into()])
            .await?;
        if plan_exists.is_empty() {
            return Err(StoreError::NotFound(format!("plan {plan:?}")));
        }
        if let Some(area) = &new.area
            && !areas.iter().any(|(a,)| a == area)
        {
            let keys: Vec<&str> = areas.iter().map(|(a,)| a.as_str()).collect();
            return Err(StoreError::invalid(
                "area",
                if keys.is_empty() {
                    format!("the plan has no areas, so not {area:?}")
                } else {
                    format!(
                        "{area:?} is not an area of the plan: expected one of {}",
                        keys.join(", ")
                    )
                },
            ));
        }
        check_references(&mut tx, new).await?;
        let names = member_names(&mut tx, &members).await?;
        for member in &members {
            if !names.contains_key(member) {
                let field = if new.leads.contains(member) {
                    "lead"
                } else {
                    "participants"
                };
                return Err(StoreError::invalid(
                    field,
                    format!("there is no jurisdiction {member}"),
                ));
            }
        }
        let key = match &new.key {
            Some(key) => {
                let taken: Vec<(String,)> = tx
                    .fetch(
                        "SELECT key FROM matters WHERE key = $1",
                        vec![key.clone().into()],
                    )
                    .await?;
                if !taken.is_empty() {
                    return Err(StoreError::Conflict(format!(
                        "a matter with the key {key:?} exists already: choose another key"
                    )));
                }
                key.clone()
            }
            None => next_matter_key(&mut tx, plan).await?,
        };
        let tasks = new
            .leads
            .iter()
            .chain(&new.participants)
            .map(|member| {
                let share = shares.get(member);
                let name = &names[member];
                let unit = share
                    .map(|s| s.unit.clone())
                    .filter(|u| !u.is_empty())
                    .unwrap_or_else(|| name.clone());
                let title = share
                    .map(|s| s.title.clone())
                    .filter(|t| !t.is_empty())
                    .unwrap_or_else(|| member_title(&new.title, name));
                TaskRecord {
                    key: format!("{key}.{member}"),
                    member: *member,
                    unit,
                    title,
                    start: new.start,
                    due: share.and_then(|s| s.due).unwrap_or(new.due),
                }
            })
            .collect();
        let record = MatterRecord {
            key: key.clone(),
            plan: plan.to_owned(),
            area: new.area.clone(),
            title: new.title.clone(),
            objective: new.objective.clone(),
            body: new.body.clone(),
            leads: new.leads.clone(),
            participants: new.participants.clone(),
            start: new.start,
            due: new.due,
            milestones: new.milestones.clone(),
            indicators: new.indicators.clone(),
            agreements: new.agreements.clone(),
            published: new.published,
            carried_from: None,
            source: entered_by(author),
            tasks,
        };
        insert_matter(&mut tx, &record).await?;
        tx.record(Change::new(
            "matter",
            &key,
            "create",
            None,
            Some(record.to_json()),
        ));
        for task in &record.tasks {
            tx.record(Change::new(
                "task",
                &task.key,
                "create",
                None,
                Some(task.to_json(&key)),
            ));
        }
        tx.commit().await?;
        Ok(key)
    }
}

/// Checks that the body, indicators and agreements a new matter names exist.
async fn check_references(tx: &mut JournalTx, new: &NewMatter) -> Result<(), StoreError> {
    if let Some(body) = &new.body {
        let found: Vec<(String,)> = tx
            .fetch(
                "SELECT key FROM bodies WHERE key = $1",
                vec![body.clone().into()],
            )
            .await?;
        if found.is_empty() {
            return Err(StoreError::invalid(
                "body",
                format!("there is no body {body:?}"),
            ));
        }
    }
    for (field, table, keys) in [
        ("indicators", "indicators", &new.indicators),
        ("agreements", "agreements", &new.agreements),
    ] {
        let wanted: BTreeSet<&String> = keys.iter().collect();
        if wanted.len() != keys.len() {
            return Err(StoreError::invalid(field, "a key is named twice"));
        }
        if wanted.is_empty() {
            continue;
        }
        let found: Vec<(String,)> = tx
            .fetch(
                format!(
                    "SELECT key FROM {table} WHERE key IN ({})",
                    marks(wanted.len())
                ),
                wanted.iter().map(|k| Arg::from(k.as_str())).collect(),
            )
            .await?;
        let found: BTreeSet<String> = found.into_iter().map(|(k,)| k).collect();
        let missing: Vec<&str> = wanted
            .iter()
            .filter(|k| !found.contains(k.as_str()))
            .map(|k| k.as_str())
            .collect();
        if !missing.is_empty() {
            return Err(StoreError::invalid(
                field,
                format!("there is no such record: {}", missing.join(", ")),
            ));
        }
    }
    Ok(())
}

impl Store {
    /// A task with its sub-tasks and its newest reports.
    pub async fn task(&self, key: &str) -> Result<Option<TaskDetail>, StoreError> {
        let mut tasks = self
            .load_tasks(
                "WHERE key = $1 OR parent = $1 ORDER BY key",
                vec![key.into()],
            )
            .await?;
        let Some(at) = tasks.iter().position(|t| t.task.key == key) else {
            return Ok(None);
        };
        let state = tasks.remove(at);
        let titles: Vec<(String, String)> = self
            .fetch(
                "SELECT title_zh, title_en FROM matters WHERE key = $1".into(),
                vec![state.task.matter.clone().into()],
            )
            .await?;
        let matter_title = titles
            .into_iter()
            .next()
            .map(|(zh, en)| Text::new(zh, en))
            .unwrap_or_default();
        // Read backwards along `reports_task`, stopping at the limit.
        let mut reports = self
            .load_reports(
                &format!(
                    "WHERE task = $1 ORDER BY as_of DESC, key DESC LIMIT {RECENT_TASK_REPORTS}"
                ),
                vec![key.into()],
            )
            .await?;
        reports.reverse();
        let reports_total = if reports.len() < RECENT_TASK_REPORTS {
            reports.len() as u64
        } else {
            let counted: Vec<(i64,)> = self
                .fetch(
                    "SELECT COUNT(*) FROM reports WHERE task = $1".into(),
                    vec![key.into()],
                )
                .await?;
            counted
                .first()
                .map_or(0, |(n,)| u64::try_from(*n).unwrap_or_default())
        };
        Ok(Some(TaskDetail {
            state,
            matter_title,
            subtasks: tasks,
            reports,
            reports_total,
        }))
    }

    /// Every report on a task, oldest first, `limit` at a time (at most [`MAX_PAGE`]) after
    /// `cursor`; `None` if there is no such task.
    pub async fn task_reports(
        &self,
        key: &str,
        cursor: Option<&str>,
        limit: u32,
    ) -> Result<Option<Page<ProgressReport>>, StoreError> {
        let after = match cursor {
            Some(c) => {
                let parts = decode_cursor(c, 2)?;
                let as_of = yrd_domain::date::parse_date(&parts[0])
                    .map_err(|_| StoreError::InvalidCursor)?;
                if !is_valid_key(&parts[1]) {
                    return Err(StoreError::InvalidCursor);
                }
                Some((as_of, parts[1].clone()))
            }
            None => None,
        };
        let found: Vec<(String,)> = self
            .fetch(
                "SELECT key FROM tasks WHERE key = $1".into(),
                vec![key.into()],
            )
            .await?;
        if found.is_empty() {
            return Ok(None);
        }
        let limit = limit.clamp(1, MAX_PAGE);
        let mut args: Vec<Arg> = vec![key.into()];
        let mut filter = "WHERE task = $1".to_owned();
        if let Some((as_of, after_key)) = after {
            filter.push_str(" AND (as_of > $2 OR (as_of = $2 AND key > $3))");
            args.push(as_of.into());
            args.push(after_key.into());
        }
        // One more than asked tells whether a next page exists.
        filter.push_str(&format!(" ORDER BY as_of, key LIMIT {}", limit + 1));
        let mut items = self.load_reports(&filter, args).await?;
        let next_cursor = if items.len() > limit as usize {
            items.truncate(limit as usize);
            items
                .last()
                .map(|r| encode_cursor(&[&r.as_of.to_string(), &r.key]))
        } else {
            None
        };
        Ok(Some(Page { items, next_cursor }))
    }

    /// Edits a task if it is still at `version` (409 otherwise); returns the new version.
    /// Only the fields that change are journalled (`edit`); an edit that changes nothing
    /// writes nothing.
    pub async fn edit_task(
        &self,
        author: &Author,
        key: &str,
        version: i64,
        edit: &TaskEdit,
    ) -> Result<i64, StoreError> {
        if let Some(unit) = &edit.unit {
            required_text("unit", unit)?;
        }
        if let Some(title) = &edit.title {
            required_text("title", title)?;
        }
        let mut tx = JournalTx::begin(self, author).await?;
        let rows: Vec<TaskEditRow> = tx
            .fetch(
                "SELECT unit_zh, unit_en, title_zh, title_en, start_date, due_date, parent, version \
                 FROM tasks WHERE key = $1",
                vec![key.into()],
            )
            .await?;
        let Some(row) = rows.into_iter().next() else {
            return Err(StoreError::NotFound(format!("task {key:?}")));
        };
        if row.version != version {
            return Err(StoreError::stale("task"));
        }
        let unit_before = Text::new(row.unit_zh, row.unit_en);
        let title_before = Text::new(row.title_zh, row.title_en);
        let unit = edit.unit.clone().unwrap_or_else(|| unit_before.clone());
        let title = edit.title.clone().unwrap_or_else(|| title_before.clone());
        let start = edit.start.unwrap_or(row.start_date);
        let due = edit.due.unwrap_or(row.due_date);
        if let Some(start) = start
            && start > due
        {
            let field = if edit.due.is_some() {
                "due_date"
            } else {
                "start_date"
            };
            return Err(StoreError::invalid(
                field,
                format!("the task would start on {start}, after it is due on {due}"),
            ));
        }
        if due != row.due_date {
            self.check_due_against_family(&mut tx, key, row.parent.as_deref(), due)
                .await?;
        }
        let mut before = Map::new();
        let mut after = Map::new();
        let mut note = |field: &str, old: Value, new: Value| {
            if old != new {
                before.insert(field.to_owned(), old);
                after.insert(field.to_owned(), new);
            }
        };
        note("unit", text_json(&unit_before), text_json(&unit));
        note("title", text_json(&title_before), text_json(&title));
        note("start_date", date_json(row.start_date), date_json(start));
        note(
            "due_date",
            date_json(Some(row.due_date)),
            date_json(Some(due)),
        );
        if after.is_empty() {
            return Ok(row.version);
        }
        let updated = tx
            .execute(
                "UPDATE tasks SET unit_zh = $1, unit_en = $2, title_zh = $3, title_en = $4, start_date = $5, \
                 due_date = $6, version = version + 1 WHERE key = $7 AND version = $8",
                vec![
                    unit.zh.into(),
                    unit.en.into(),
                    title.zh.into(),
                    title.en.into(),
                    start.into(),
                    due.into(),
                    key.into(),
                    version.into(),
                ],
            )
            .await?;
        if updated == 0 {
            return Err(StoreError::stale("task"));
        }
        tx.record(Change::new(
            "task",
            key,
            "edit",
            Some(Value::Object(before)),
            Some(Value::Object(after)),
        ));
        tx.commit().await?;
        Ok(version + 1)
    }

    /// A sub-task is due no later than its task; a task no earlier than its sub-tasks.
    async fn check_due_against_family(
        &self,
        tx: &mut JournalTx,
        key: &str,
        parent: Option<&str>,
        due: Date,
    ) -> Result<(), StoreError> {
        if let Some(parent) = parent {
            let rows: Vec<(Date,)> = tx
                .fetch(
                    "SELECT due_date FROM tasks WHERE key = $1",
                    vec![parent.into()],
                )
                .await?;
            if let Some((parent_due,)) = rows.into_iter().next()
                && due > parent_due
            {
                return Err(StoreError::invalid(
                    "due_date",
                    format!("a sub-task is due no later than its task {parent:?} ({parent_due})"),
                ));
            }
        } else {
            // A member's task is due within its matter, as when the matter was created.
            let matter: Vec<(String, Option<Date>)> = tx
                .fetch(
                    "SELECT m.key, m.due_date FROM tasks t JOIN matters m ON m.key = t.matter WHERE t.key = $1",
                    vec![key.into()],
                )
                .await?;
            if let Some((matter, Some(matter_due))) = matter.into_iter().next()
                && due > matter_due
            {
                return Err(StoreError::invalid(
                    "due_date",
                    format!("a task is due no later than its matter {matter:?} ({matter_due})"),
                ));
            }
            let rows: Vec<(String, Date)> = tx
                .fetch(
                    "SELECT key, due_date FROM tasks WHERE parent = $1 AND due_date > $2 ORDER BY due_date DESC, key",
                    vec![key.into(), due.into()],
                )
                .await?;
            if let Some((subtask, subtask_due)) = rows.into_iter().next() {
                return Err(StoreError::invalid(
                    "due_date",
                    format!(
                        "the sub-task {subtask:?} is due on {subtask_due}, after {due}: move it first"
                    ),
                ));
            }
        }
        Ok(())
    }

    /// Adds a sub-task under a member's task, keyed `<task>.<n>`; returns its key.
    pub async fn add_subtask(
        &self,
        author: &Author,
        parent: &str,
        new: &NewSubtask,
    ) -> Result<String, StoreError> {
        required_text("unit", &new.unit)?;
        required_text("title", &new.title)?;
        let mut tx = JournalTx::begin(self, author).await?;
        let rows: Vec<(String, String, Date, Option<String>)> = tx
            .fetch(
                "SELECT matter, jurisdiction, due_date, parent FROM tasks WHERE key = $1",
                vec![parent.into()],
            )
            .await?;
        let Some((matter, member, parent_due, grandparent)) = rows.into_iter().next() else {
            return Err(StoreError::NotFound(format!("task {parent:?}")));
        };
        if let Some(grandparent) = grandparent {
            return Err(StoreError::invalid(
                "key",
                format!(
                    "{parent:?} is itself a sub-task of {grandparent:?}: sub-tasks are not split further; add it under {grandparent:?}"
                ),
            ));
        }
        if new.due > parent_due {
            return Err(StoreError::invalid(
                "due_date",
                format!("a sub-task is due no later than its task ({parent_due})"),
            ));
        }
        let siblings: Vec<(String,)> = tx
            .fetch(
                "SELECT key FROM tasks WHERE parent = $1 OR key LIKE $2",
                vec![parent.into(), format!("{parent}.%").into()],
            )
            .await?;
        let taken: BTreeSet<String> = siblings.into_iter().map(|(k,)| k).collect();
        let key = next_key(parent, taken.len() + 1, &taken)?;
        tx.execute(
            "INSERT INTO tasks (key, matter, jurisdiction, unit_zh, unit_en, title_zh, title_en, start_date, \
             due_date, source, parent) VALUES ($1, $2, $3, $4, $5, $6, $7, NULL, $8, $9, $10)",
            vec![
                key.clone().into(),
                matter.clone().into(),
                member.clone().into(),
                new.unit.zh.clone().into(),
                new.unit.en.clone().into(),
                new.title.zh.clone().into(),
                new.title.en.clone().into(),
                new.due.into(),
                entered_by(author).into(),
                parent.into(),
            ],
        )
        .await?;
        tx.record(Change::new(
            "task",
            &key,
            "create",
            None,
            Some(json!({
                "matter": matter,
                "parent": parent,
                "member": member,
                "unit": text_json(&new.unit),
                "title": text_json(&new.title),
                "due_date": new.due.to_string(),
            })),
        ));
        tx.record(Change::new(
            "task",
            parent,
            "add_subtask",
            None,
            Some(json!({"subtask": key})),
        ));
        tx.commit().await?;
        Ok(key)
    }

    /// Carries an unfinished matter over into the next plan: a new matter with the same
    /// members, units and the milestones not yet done, and a task for each member whose task
    /// is not verified at 100 %. The old matter keeps its history and reports; each names
    /// the other. Returns the new matter's key.
    pub async fn carry_over(
        &self,
        author: &Author,
        matter: &str,
        to: &CarryOver,
    ) -> Result<String, StoreError> {
        let mut tx = JournalTx::begin(self, author).await?;
        let rows: Vec<CarriedRow> = tx
            .fetch(
                "SELECT plan, area, title_zh, title_en, objective_zh, objective_en, body FROM matters WHERE key = $1",
                vec![matter.into()],
            )
            .await?;
        let Some(old) = rows.into_iter().next() else {
            return Err(StoreError::NotFound(format!("matter {matter:?}")));
        };
        let carried: Vec<(String, String)> = tx
            .fetch(
                "SELECT key, plan FROM matters WHERE carried_from = $1 ORDER BY key",
                vec![matter.into()],
            )
            .await?;
        if let Some((key, plan)) = carried.into_iter().next() {
            return Err(StoreError::Conflict(format!(
                "the matter was carried over into plan {plan:?} already, as {key:?}: carry that one over instead"
            )));
        }
        if to.plan == old.plan {
            return Err(StoreError::invalid(
                "plan",
                "a matter is carried over into another plan than its own",
            ));
        }
        let plans: Vec<(i64,)> = tx
            .fetch(
                "SELECT period_end FROM plans WHERE key = $1",
                vec![to.plan.clone().into()],
            )
            .await?;
        let Some((period_end,)) = plans.into_iter().next() else {
            return Err(StoreError::invalid(
                "plan",
                format!("there is no plan {:?}", to.plan),
            ));
        };
        let due = match to.due {
            Some(due) => due,
            None => i32::try_from(period_end)
                .ok()
                .and_then(|year| Date::from_calendar_date(year, time::Month::December, 31).ok())
                .ok_or_else(|| {
                    StoreError::invalid("due_date", "the plan's period gives no due date: give one")
                })?,
        };
        let area = match old.area {
            Some(area) => {
                let found: Vec<(String,)> = tx
                    .fetch(
                        "SELECT key FROM plan_areas WHERE plan = $1 AND key = $2",
                        vec![to.plan.clone().into(), area.clone().into()],
                    )
                    .await?;
                (!found.is_empty()).then_some(area)
            }
            None => None,
        };
        let members: Vec<(String, String)> = tx
            .fetch(
                "SELECT jurisdiction, role FROM matter_members WHERE matter = $1 ORDER BY seq",
                vec![matter.into()],
            )
            .await?;
        let mut leads = Vec::new();
        let mut participants = Vec::new();
        for (code, role) in members {
            let code: AdminCode = crate::codec::code("matter member", &code)?;
            if role == "lead" {
                leads.push(code);
            } else {
                participants.push(code);
            }
        }
        let milestones: Vec<(String, String, Date)> = tx
            .fetch(
                "SELECT title_zh, title_en, due_date FROM milestones WHERE matter = $1 AND done_on IS NULL ORDER BY seq",
                vec![matter.into()],
            )
            .await?;
        let indicators: Vec<(String,)> = tx
            .fetch(
                "SELECT indicator FROM matter_indicators WHERE matter = $1 ORDER BY indicator",
                vec![matter.into()],
            )
            .await?;
        let agreements: Vec<(String,)> = tx
            .fetch(
                "SELECT agreement FROM matter_agreements WHERE matter = $1 ORDER BY agreement",
                vec![matter.into()],
            )
            .await?;
        let old_tasks: Vec<(String, String, String, String, String, Option<i64>)> = tx
            .fetch(
                "SELECT jurisdiction, unit_zh, unit_en, title_zh, title_en, verified_percent FROM tasks \
                 WHERE matter = $1 AND parent IS NULL ORDER BY key",
                vec![matter.into()],
            )
            .await?;
        let key = next_matter_key(&mut tx, &to.plan).await?;
        let mut tasks = Vec::new();
        for (member, unit_zh, unit_en, title_zh, title_en, verified) in old_tasks {
            if verified == Some(100) {
                continue;
            }
            let member: AdminCode = crate::codec::code("task jurisdiction", &member)?;
            tasks.push(TaskRecord {
                key: format!("{key}.{member}"),
                member,
                unit: Text::new(unit_zh, unit_en),
                title: Text::new(title_zh, title_en),
                start: None,
                due,
            });
        }
        let record = MatterRecord {
            key: key.clone(),
            plan: to.plan.clone(),
            area,
            title: Text::new(old.title_zh, old.title_en),
            objective: Text::new(old.objective_zh, old.objective_en),
            body: old.body,
            leads,
            participants,
            start: None,
            due,
            milestones: milestones
                .into_iter()
                .map(|(zh, en, due)| NewMilestone {
                    title: Text::new(zh, en),
                    due,
                })
                .collect(),
            indicators: indicators.into_iter().map(|(k,)| k).collect(),
            agreements: agreements.into_iter().map(|(k,)| k).collect(),
            published: false,
            carried_from: Some(matter.to_owned()),
            source: entered_by(author),
            tasks,
        };
        insert_matter(&mut tx, &record).await?;
        tx.record(Change::new(
            "matter",
            &key,
            "carry_over",
            None,
            Some(record.to_json()),
        ));
        for task in &record.tasks {
            tx.record(Change::new(
                "task",
                &task.key,
                "create",
                None,
                Some(task.to_json(&key)),
            ));
        }
        tx.record(Change::new(
            "matter",
            matter,
            "carried_over",
            None,
            Some(json!({"carried_to": key, "plan": to.plan})),
        ));
        tx.commit().await?;
        Ok(key)
    }
}

#[derive(sqlx::FromRow)]
struct TaskEditRow {
    unit_zh: String,
    unit_en: String,
    title_zh: String,
    title_en: String,
    start_date: Option<Date>,
    due_date: Date,
    parent: Option<String>,
    version: i64,
}

#[derive(sqlx::FromRow)]
struct CarriedRow {
    plan: String,
    area: Option<String>,
    title_zh: String,
    title_en: String,
    objective_zh: String,
    objective_en: String,
    body: Option<String>,
}

/// A member's task title: the matter's, with the member's name.
fn member_title(matter: &Text, member: &Text) -> Text {
    let part = |title: &str, name: &str, open: &str, close: &str| {
        if title.is_empty() {
            String::new()
        } else if name.is_empty() {
            title.to_owned()
        } else {
            format!("{title}{open}{name}{close}")
        }
    };
    Text::new(
        part(&matter.zh, &member.zh, "（", "）"),
        part(&matter.en, &member.en, " (", ")"),
    )
}

/// The names of `members` that exist in the register.
async fn member_names(
    tx: &mut JournalTx,
    members: &BTreeSet<AdminCode>,
) -> Result<HashMap<AdminCode, Text>, StoreError> {
    if members.is_empty() {
        return Ok(HashMap::new());
    }
    let rows: Vec<(String, String, String)> = tx
        .fetch(
            format!(
                "SELECT code, name_zh, name_en FROM jurisdictions WHERE code IN ({})",
                marks(members.len())
            ),
            members.iter().map(|c| Arg::from(c.to_string())).collect(),
        )
        .await?;
    rows.into_iter()
        .map(|(code, zh, en)| {
            Ok((
                crate::codec::code("jurisdiction", &code)?,
                Text::new(zh, en),
            ))
        })
        .collect()
}

/// The first free `<plan>.<n>`, counting on from the plan's matters.
async fn next_matter_key(tx: &mut JournalTx, plan: &str) -> Result<String, StoreError> {
    let rows: Vec<(String,)> = tx
        .fetch(
            "SELECT key FROM matters WHERE plan = $1 OR key LIKE $2",
            vec![plan.into(), format!("{plan}.%").into()],
        )
        .await?;
    let taken: BTreeSet<String> = rows.into_iter().map(|(k,)| k).collect();
    next_key(plan, taken.len() + 1, &taken)
}

/// Writes a matter, its members, milestones, links and tasks, in the tables' shared layout.
async fn insert_matter(tx: &mut JournalTx, m: &MatterRecord) -> Result<(), StoreError> {
    let matter = Matter {
        key: m.key.clone(),
        plan: m.plan.clone(),
        area: m.area.clone(),
        title: m.title.clone(),
        objective: m.objective.clone(),
        leads: m.leads.clone(),
        participants: m.participants.clone(),
        start: m.start,
        due: Some(m.due),
        milestones: m
            .milestones
            .iter()
            .map(|ms| Milestone {
                title: ms.title.clone(),
                due: ms.due,
                done_on: None,
            })
            .collect(),
        indicators: m.indicators.clone(),
        agreements: m.agreements.clone(),
        body: m.body.clone(),
        published: m.published,
        carried_from: m.carried_from.clone(),
        source: m.source.clone(),
    };
    crate::bulk::write_matters(tx, std::slice::from_ref(&matter)).await?;
    let tasks = m
        .tasks
        .iter()
        .map(|t| {
            crate::rows::task(&Task {
                key: t.key.clone(),
                matter: m.key.clone(),
                parent: None,
                jurisdiction: t.member,
                unit: t.unit.clone(),
                title: t.title.clone(),
                start: t.start,
                due: t.due,
                source: m.source.clone(),
            })
        })
        .collect();
    tx.insert_rows("tasks", crate::rows::TASK_COLUMNS, tasks)
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn member_titles_name_the_member_in_each_language() {
        let title = member_title(
            &Text::new("联合基金", "Joint fund"),
            &Text::new("江苏省", "Jiangsu"),
        );
        assert_eq!(
            title,
            Text::new("联合基金（江苏省）", "Joint fund (Jiangsu)")
        );
        // A name without English leaves the English title as the matter's.
        let title = member_title(
            &Text::new("联合基金", "Joint fund"),
            &Text::new("安徽省", ""),
        );
        assert_eq!(title.en, "Joint fund");
        assert_eq!(
            member_title(&Text::new("基金", ""), &Text::new("安徽省", "Anhui")).en,
            ""
        );
    }

    #[test]
    fn generated_keys_skip_the_taken_ones() {
        let taken: BTreeSet<String> = ["p.1", "p.3"].map(String::from).into();
        assert_eq!(next_key("p", 1, &taken).unwrap(), "p.2");
        assert_eq!(next_key("p", 3, &taken).unwrap(), "p.4");
        assert!(matches!(
            next_key(&"p".repeat(99), 1, &taken),
            Err(StoreError::Invalid { field: "key", .. })
        ));
    }
}
