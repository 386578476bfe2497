//! Meetings as users run them: the office or a body's secretary schedules a meeting (with the
//! host the rotation proposes, or another one for a stated reason), edits its agenda and
//! documents, adds the decision items the members state their positions on, and closes it.
//! Closing freezes every decision's outcome under the consensus rule and carries out what was
//! decided: a plan adopted (in principle or outright) becomes `adopted`, and a decision naming
//! the next host schedules the body's next meeting there.
//!
//! Each step is one journalled transaction, and every change to a meeting (its decisions'
//! positions included) increments the meeting's version, which `If-Match` is checked against.
//! Meetings of the public dataset are historical: they are imported `closed`, and their
//! decisions' outcomes follow from their recorded positions.

use std::collections::HashMap;

use serde_json::{Map, Value, json};
use time::Date;
use yrd_domain::rules::DecisionStatus;
use yrd_domain::rules::consensus::decision_status;
use yrd_domain::rules::rotation::{hosted_by, next_host};
use yrd_domain::{AdminCode, DecisionSubject, PartialDate, Position, Text, is_valid_key};

use crate::codec::{code, enum_name, from_json, json as to_json, parse_enum};
use crate::exec::Arg;
use crate::journal::{Author, Change, JournalTx};
use crate::write::entered_by;
use crate::{Store, StoreError};

pub use yrd_domain::{Document, MeetingState};

/// What the organisers of a meeting set: everything but its body and key.
#[derive(Clone, Debug, PartialEq)]
pub struct MeetingDetails {
    pub title: Text,
    pub start: PartialDate,
    pub end: Option<PartialDate>,
    /// The host; None for the one the rotation proposes.
    pub host: Option<AdminCode>,
    /// Why the host is not the one the rotation proposes; required exactly then (kept empty
    /// otherwise).
    pub host_reason: Text,
    pub theme: Text,
    pub agenda: Vec<Text>,
    pub documents: Vec<Document>,
}

/// A meeting to schedule.
#[derive(Clone, Debug, PartialEq)]
pub struct NewMeeting {
    pub body: String,
    /// None: `<body>-<start year>`.
    pub key: Option<String>,
    pub details: MeetingDetails,
}

/// A decision item added to a scheduled meeting.
#[derive(Clone, Debug, PartialEq)]
pub struct NewDecision {
    pub title: Text,
    pub subject: DecisionSubject,
    /// A decision of an earlier, closed meeting of the same body that this one replaces.
    pub supersedes: Option<String>,
}

/// What a meeting has beyond the public record's fields: its state in yrd.
#[derive(Clone, Debug, PartialEq)]
pub struct MeetingRecord {
    pub state: MeetingState,
    pub version: i64,
    /// Why the host differs from the proposed one; empty when it does not.
    pub host_reason: Text,
    pub documents: Vec<Document>,
    pub closed_on: Option<Date>,
    /// The host the rotation proposes for this meeting, from the hosts of the body's meetings
    /// before it; None for a body without a rotation.
    pub proposed_host: Option<AdminCode>,
}

/// What a decision has beyond the public record's fields.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DecisionRecord {
    /// The status frozen when its meeting closed; None while the meeting is open, and for
    /// the dataset's decisions (whose outcome follows from their recorded positions).
    pub outcome: Option<DecisionStatus>,
    pub supersedes: Option<String>,
}

/// What closing a meeting carried out.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ClosedMeeting {
    /// Plans that became adopted, in decision order.
    pub adopted_plans: Vec<String>,
    /// The body's next meeting, scheduled by an adopted `next_host` decision.
    pub next_meeting: Option<String>,
}

/// What the policy needs of a meeting, and what a change checks first.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MeetingAccess {
    pub body: String,
    pub state: MeetingState,
    pub version: i64,
}

/// The reason every change to a closed meeting's decisions is refused with.
pub const CLOSED_DECISIONS: &str = "the meeting is closed: its decisions can no longer change; a later decision can supersede them";

/// The host the rotation proposes for a meeting that sorts at `before` (start date as stored,
/// then key) among the body's meetings: the rotation's next host after the hosts of the
/// meetings before it, in date order. A host city counts for the member containing it (see
/// [`next_host`]). None for a body without a rotation.
pub(crate) fn proposed_host(
    rotation: &[AdminCode],
    hosts: &[(String, String, AdminCode)],
    before: (&str, &str),
) -> Option<AdminCode> {
    let mut past: Vec<&(String, String, AdminCode)> = hosts
        .iter()
        // The meeting itself never counts, whatever date it had before an edit.
        .filter(|(start, key, _)| key != before.1 && (start.as_str(), key.as_str()) < before)
        .collect();
    // Stored dates are `YYYY`, `YYYY-MM` or `YYYY-MM-DD`, whose byte order is chronological;
    // sorting here rather than in SQL keeps the order independent of the database collation.
    past.sort();
    let past: Vec<AdminCode> = past.into_iter().map(|(_, _, host)| *host).collect();
    next_host(rotation, &past)
}

/// Checks what needs no database: required texts, dates in order, links.
fn check_details(details: &MeetingDetails) -> Result<(), StoreError> {
    if details.title.is_empty() {
        return Err(StoreError::invalid(
            "title",
            "is required in at least one language",
        ));
    }
    if let Some(end) = details.end
        && end.last_day() < details.start.first_day()
    {
        return Err(StoreError::invalid(
            "end_date",
            format!("{end} is before the start date {}", details.start),
        ));
    }
    if let Some(i) = details.agenda.iter().position(Text::is_empty) {
        return Err(StoreError::invalid(
            "agenda",
            format!("item {} is empty in both languages", i + 1),
        ));
    }
    for (i, document) in details.documents.iter().enumerate() {
        if document.title.is_empty() {
            return Err(StoreError::invalid(
                "documents",
                format!("document {} has no title", i + 1),
            ));
        }
        let url = document.url.as_str();
        if !(url.starts_with("https://") || url.starts_with("http://"))
            || url.contains(char::is_whitespace)
            || url.len() > 2000
        {
            return Err(StoreError::invalid(
                "documents",
                format!("document {}: {url:?} is not an http(s) URL", i + 1),
            ));
        }
    }
    Ok(())
}

/// The fields of a meeting as the journal shows them.
fn fields(
    details: &MeetingDetails,
    host: Option<AdminCode>,
    host_reason: &Text,
) -> Map<String, Value> {
    let value = json!({
        "title": details.title,
        "start_date": details.start.to_string(),
        "end_date": details.end.map(|d| d.to_string()),
        "host": host.map(|h| h.to_string()),
        "host_reason": host_reason,
        "theme": details.theme,
        "agenda": details.agenda,
        "documents": details.documents,
    });
    match value {
        Value::Object(map) => map,
        _ => unreachable!("a JSON object literal"),
    }
}

/// A meeting as stored, for changes to compare against.
#[derive(sqlx::FromRow)]
struct StoredMeeting {
    body: String,
    state: String,
    version: i64,
    title_zh: String,
    title_en: String,
    start_date: String,
    end_date: Option<String>,
    host: Option<String>,
    host_reason_zh: String,
    host_reason_en: String,
    theme_zh: String,
    theme_en: String,
    agenda: String,
    documents: String,
}

impl StoredMeeting {
    fn state(&self) -> Result<MeetingState, StoreError> {
        parse_enum("meeting state", &self.state)
    }

    fn details(&self) -> Result<MeetingDetails, StoreError> {
        Ok(MeetingDetails {
            title: Text::new(&self.title_zh, &self.title_en),
            start: crate::codec::date("meeting start", &self.start_date)?,
            end: crate::codec::opt_date("meeting end", self.end_date.as_deref())?,
            host: crate::codec::opt_code("meeting host", self.host.as_deref())?,
            host_reason: Text::new(&self.host_reason_zh, &self.host_reason_en),
            theme: Text::new(&self.theme_zh, &self.theme_en),
            agenda: from_json("meeting agenda", &self.agenda)?,
            documents: from_json("meeting documents", &self.documents)?,
        })
    }
}

async fn stored_meeting(tx: &mut JournalTx, key: &str) -> Result<StoredMeeting, StoreError> {
    let rows: Vec<StoredMeeting> = tx
        .fetch(
            "SELECT body, state, version, title_zh, title_en, start_date, end_date, host, \
             host_reason_zh, host_reason_en, theme_zh, theme_en, agenda, documents \
             FROM meetings WHERE key = $1",
            vec![key.into()],
        )
        .await?;
    rows.into_iter()
        .next()
        .ok_or_else(|| StoreError::NotFound(format!("meeting {key:?}")))
}

async fn exists(tx: &mut JournalTx, sql: &'static str, key: &str) -> Result<bool, StoreError> {
    let rows: Vec<(String,)> = tx.fetch(sql, vec![key.into()]).await?;
    Ok(!rows.is_empty())
}

/// The host a meeting gets and the reason stored with it: the one asked for, or the one the
/// rotation proposes; a host outside the proposed member needs a reason.
async fn resolve_host(
    tx: &mut JournalTx,
    body: &str,
    key: &str,
    details: &MeetingDetails,
) -> Result<(Option<AdminCode>, Text), StoreError> {
    let rotation: Vec<(String,)> = tx
        .fetch(
            "SELECT jurisdiction FROM body_members WHERE body = $1 AND rotation_seq IS NOT NULL \
             ORDER BY rotation_seq",
            vec![body.into()],
        )
        .await?;
    let rotation = rotation
        .iter()
        .map(|(c,)| code("body rotation", c))
        .collect::<Result<Vec<_>, _>>()?;
    let hosts: Vec<(String, String, String)> = tx
        .fetch(
            "SELECT start_date, key, host FROM meetings WHERE body = $1 AND host IS NOT NULL",
            vec![body.into()],
        )
        .await?;
    let hosts = hosts
        .into_iter()
        .map(|(start, key, host)| Ok((start, key, code("meeting host", &host)?)))
        .collect::<Result<Vec<_>, StoreError>>()?;
    let start = details.start.to_string();
    let proposed = proposed_host(&rotation, &hosts, (&start, key));
    let Some(host) = details.host else {
        return Ok((proposed, Text::default()));
    };
    if !exists(
        tx,
        "SELECT code FROM jurisdictions WHERE code = $1",
        &host.to_string(),
    )
    .await?
    {
        return Err(StoreError::invalid(
            "host",
            format!("{host} is not a jurisdiction of the register"),
        ));
    }
    match proposed {
        Some(proposed) if !hosted_by(proposed, host) => {
            if details.host_reason.is_empty() {
                return Err(StoreError::invalid(
                    "host_reason",
                    format!(
                        "the rotation proposes {proposed} as host: say why {host} hosts instead"
                    ),
                ));
            }
            Ok((Some(host), details.host_reason.clone()))
        }
        // The proposed host (or a city of it), or a body without a rotation: nothing to explain.
        _ => Ok((Some(host), Text::default())),
    }
}

#[derive(sqlx::FromRow)]
struct ClosingDecision {
    key: String,
    subject_kind: String,
    subject_plan: Option<String>,
    subject_host: Option<String>,
}

impl Store {
    /// The facts about a meeting the policy and a change need, or None if there is no such
    /// meeting.
    pub async fn meeting_access(&self, key: &str) -> Result<Option<MeetingAccess>, StoreError> {
        let rows: Vec<(String, String, i64)> = self
            .fetch(
                "SELECT body, state, version FROM meetings WHERE key = $1".into(),
                vec![key.into()],
            )
            .await?;
        rows.into_iter()
            .next()
            .map(|(body, state, version)| {
                Ok(MeetingAccess {
                    body,
                    state: parse_enum("meeting state", &state)?,
                    version,
                })
            })
            .transpose()
    }

    /// The meeting a decision was taken at, or None if there is no such decision.
    pub async fn decision_meeting(&self, key: &str) -> Result<Option<String>, StoreError> {
        let rows: Vec<(String,)> = self
            .fetch(
                "SELECT meeting FROM decisions WHERE key = $1".into(),
                vec![key.into()],
            )
            .await?;
        Ok(rows.into_iter().next().map(|(m,)| m))
    }

    /// The host the rotation proposes for a body's next meeting, after all its meetings
    /// recorded so far; None for a body without a rotation.
    pub async fn proposed_next_host(&self, body: &str) -> Result<Option<AdminCode>, StoreError> {
        let rotation: Vec<(String,)> = self
            .fetch(
                "SELECT jurisdiction FROM body_members WHERE body = $1 AND rotation_seq IS NOT NULL \
                 ORDER BY rotation_seq"
                    .into(),
                vec![body.into()],
            )
            .await?;
        let rotation = rotation
            .iter()
            .map(|(c,)| code("body rotation", c))
            .collect::<Result<Vec<_>, _>>()?;
        let hosts: Vec<(String, String, String)> = self
            .fetch(
                "SELECT start_date, key, host FROM meetings WHERE body = $1 AND host IS NOT NULL"
                    .into(),
                vec![body.into()],
            )
            .await?;
        let hosts = hosts
            .into_iter()
            .map(|(start, key, host)| Ok((start, key, code("meeting host", &host)?)))
            .collect::<Result<Vec<_>, StoreError>>()?;
        // `~` sorts after every stored date, so every meeting counts as before this one.
        Ok(proposed_host(&rotation, &hosts, ("~", "")))
    }

    /// What the meetings `filter` selects have beyond the public record's fields: the host
    /// the rotation proposes for each (by meeting key), and their decisions' frozen outcomes
    /// and superseded decisions (by decision key). `meetings` are (key, body, start date as
    /// stored) of the meetings `filter` selects.
    pub(crate) async fn meeting_context(
        &self,
        filter: &str,
        args: Vec<Arg>,
        meetings: &[(&str, &str, &str)],
    ) -> Result<
        (
            HashMap<String, Option<AdminCode>>,
            HashMap<String, DecisionRecord>,
        ),
        StoreError,
    > {
        let rotations: Vec<(String, String)> = self
            .fetch(
                format!(
                    "SELECT body, jurisdiction FROM body_members WHERE rotation_seq IS NOT NULL \
                     AND body IN (SELECT body FROM meetings {filter}) ORDER BY body, rotation_seq"
                ),
                args.clone(),
            )
            .await?;
        let mut rotation: HashMap<String, Vec<AdminCode>> = HashMap::new();
        for (body, member) in rotations {
            rotation
                .entry(body)
                .or_default()
                .push(code("body rotation", &member)?);
        }
        // Only bodies that host by rotation have a proposed host: the others' meetings (a
        // working group meets hundreds of times) need not be read. Starting from the rotation
        // (its first place, one row per body) lets the body's index find its meetings.
        let hosts: Vec<(String, String, String, String)> = self
            .fetch(
                format!(
                    "SELECT m.body, m.start_date, m.key, m.host FROM body_members bm \
                     JOIN meetings m ON m.body = bm.body \
                     WHERE bm.rotation_seq = 1 AND m.host IS NOT NULL \
                     AND bm.body IN (SELECT body FROM meetings {filter})"
                ),
                args.clone(),
            )
            .await?;
        let mut hosts_of: HashMap<String, Vec<(String, String, AdminCode)>> = HashMap::new();
        for (body, start, key, host) in hosts {
            let host = code("meeting host", &host)?;
            hosts_of.entry(body).or_default().push((start, key, host));
        }
        let proposed = meetings
            .iter()
            .map(|&(key, body, start)| {
                let proposed = rotation.get(body).and_then(|rotation| {
                    let hosts = hosts_of.get(body).map_or(&[][..], Vec::as_slice);
                    proposed_host(rotation, hosts, (start, key))
                });
                (key.to_owned(), proposed)
            })
            .collect();
        let decisions: Vec<(String, Option<String>, Option<String>)> = self
            .fetch(
                format!(
                    "SELECT key, outcome, supersedes FROM decisions \
                     WHERE meeting IN (SELECT key FROM meetings {filter})"
                ),
                args,
            )
            .await?;
        let decisions = decisions
            .into_iter()
            .map(|(key, outcome, supersedes)| {
                let outcome = outcome
                    .map(|o| parse_enum("decision outcome", &o))
                    .transpose()?;
                Ok((
                    key,
                    DecisionRecord {
                        outcome,
                        supersedes,
                    },
                ))
            })
            .collect::<Result<_, StoreError>>()?;
        Ok((proposed, decisions))
    }

    /// Schedules a meeting of a body; returns its key.
    ///
    /// Without a host, the rotation's proposed host hosts; a host outside the proposed member
    /// needs a reason (422 `host_reason`). The key defaults to `<body>-<start year>`; a taken
    /// key is a conflict (the caller then names another).
    pub async fn schedule_meeting(
        &self,
        author: &Author,
        new: &NewMeeting,
    ) -> Result<String, StoreError> {
        check_details(&new.details)?;
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
        let mut tx = JournalTx::begin(self, author).await?;
        if !exists(&mut tx, "SELECT key FROM bodies WHERE key = $1", &new.body).await? {
            return Err(StoreError::invalid(
                "body",
                format!("there is no body {:?}", new.body),
            ));
        }
        let key = new
            .key
            .clone()
            .unwrap_or_else(|| format!("{}-{}", new.body, new.details.start.year()));
        if exists(&mut tx, "SELECT key FROM meetings WHERE key = $1", &key).await? {
            return Err(StoreError::Conflict(format!(
                "there is already a meeting {key:?}: give this one another key"
            )));
        }
        let (host, host_reason) = resolve_host(&mut tx, &new.body, &key, &new.details).await?;
        insert_meeting(
            &mut tx,
            &key,
            &new.body,
            &new.details,
            host,
            &host_reason,
            &entered_by(author),
        )
        .await?;
        let mut after = fields(&new.details, host, &host_reason);
        after.insert("body".into(), json!(new.body));
        after.insert("state".into(), json!("scheduled"));
        after.insert("version".into(), json!(1));
        tx.record(Change::new(
            "meeting",
            &key,
            "schedule",
            None,
            Some(Value::Object(after)),
        ));
        tx.commit().await?;
        Ok(key)
    }

    /// Replaces what the organisers set of a scheduled meeting, if it is still at `expected`
    /// version. Returns false when nothing differed (nothing is written then).
    pub async fn edit_meeting(
        &self,
        author: &Author,
        key: &str,
        expected: i64,
        details: &MeetingDetails,
    ) -> Result<bool, StoreError> {
        check_details(details)?;
        let mut tx = JournalTx::begin(self, author).await?;
        let stored = stored_meeting(&mut tx, key).await?;
        if stored.state()? == MeetingState::Closed {
            return Err(StoreError::Conflict(
                "the meeting is closed: it can no longer be edited; a later meeting can take up \
                 what it left open"
                    .into(),
            ));
        }
        if stored.version != expected {
            return Err(StoreError::stale("meeting"));
        }
        let (host, host_reason) = resolve_host(&mut tx, &stored.body, key, details).await?;
        let current = stored.details()?;
        let mut before = fields(&current, current.host, &current.host_reason);
        let mut after = fields(details, host, &host_reason);
        let same: Vec<String> = after
            .iter()
            .filter(|(field, value)| before.get(*field) == Some(*value))
            .map(|(field, _)| field.clone())
            .collect();
        for field in same {
            before.remove(&field);
            after.remove(&field);
        }
        if after.is_empty() {
            return Ok(false);
        }
        let updated = tx
            .execute(
                "UPDATE meetings SET title_zh = $3, title_en = $4, start_date = $5, end_date = $6, \
                 host = $7, host_reason_zh = $8, host_reason_en = $9, theme_zh = $10, theme_en = $11, \
                 agenda = $12, documents = $13, version = version + 1 \
                 WHERE key = $1 AND version = $2",
                vec![
                    key.into(),
                    expected.into(),
                    details.title.zh.clone().into(),
                    details.title.en.clone().into(),
                    details.start.to_string().into(),
                    details.end.map(|d| d.to_string()).into(),
                    host.map(|h| h.to_string()).into(),
                    host_reason.zh.clone().into(),
                    host_reason.en.clone().into(),
                    details.theme.zh.clone().into(),
                    details.theme.en.clone().into(),
                    to_json(&details.agenda).into(),
                    to_json(&details.documents).into(),
                ],
            )
            .await?;
        if updated == 0 {
            return Err(StoreError::stale("meeting"));
        }
        before.insert("version".into(), json!(expected));
        after.insert("version".into(), json!(expected + 1));
        tx.record(Change::new(
            "meeting",
            key,
            "edit",
            Some(Value::Object(before)),
            Some(Value::Object(after)),
        ));
        tx.commit().await?;
        Ok(true)
    }

    /// Adds a decision item to a scheduled meeting (if still at `expected` version, when
    /// given); returns the decision's key, `<meeting>.<n>`.
    pub async fn add_decision(
        &self,
        author: &Author,
        meeting: &str,
        expected: Option<i64>,
        new: &NewDecision,
    ) -> Result<String, StoreError> {
        if new.title.is_empty() {
            return Err(StoreError::invalid(
                "title",
                "is required in at least one language",
            ));
        }
        let mut tx = JournalTx::begin(self, author).await?;
        let stored = stored_meeting(&mut tx, meeting).await?;
        if stored.state()? == MeetingState::Closed {
            return Err(StoreError::Conflict(
                "the meeting is closed: no decision can be added to it; a decision of a later \
                 meeting can supersede its decisions"
                    .into(),
            ));
        }
        if let Some(expected) = expected
            && stored.version != expected
        {
            return Err(StoreError::stale("meeting"));
        }
        let (kind, plan, host) = match &new.subject {
            DecisionSubject::AdoptPlan { plan } => {
                if !exists(&mut tx, "SELECT key FROM plans WHERE key = $1", plan).await? {
                    return Err(StoreError::invalid(
                        "subject.plan",
                        format!("there is no plan {plan:?}"),
                    ));
                }
                ("adopt_plan", Some(plan.clone()), None)
            }
            DecisionSubject::NextHost { host } => {
                if !exists(
                    &mut tx,
                    "SELECT code FROM jurisdictions WHERE code = $1",
                    &host.to_string(),
                )
                .await?
                {
                    return Err(StoreError::invalid(
                        "subject.host",
                        format!("{host} is not a jurisdiction of the register"),
                    ));
                }
                ("next_host", None, Some(host.to_string()))
            }
            DecisionSubject::Other => ("other", None, None),
        };
        if let Some(superseded) = &new.supersedes {
            let found: Vec<(String, String)> = tx
                .fetch(
                    "SELECT m.body, m.state FROM decisions d JOIN meetings m ON m.key = d.meeting \
                     WHERE d.key = $1",
                    vec![superseded.as_str().into()],
                )
                .await?;
            let reason = match found.first() {
                None => Some(format!("there is no decision {superseded:?}")),
                Some((body, _)) if *body != stored.body => Some(format!(
                    "{superseded:?} is a decision of another body: only the body's own decisions \
                     can be superseded by it"
                )),
                Some((_, state)) if state.as_str() != "closed" => Some(format!(
                    "{superseded:?} belongs to a meeting that is not closed: change that meeting \
                     rather than supersede it"
                )),
                Some(_) => None,
            };
            if let Some(reason) = reason {
                return Err(StoreError::invalid("supersedes", reason));
            }
        }
        let last: Vec<(i64,)> = tx
            .fetch(
                "SELECT COALESCE(MAX(seq), 0) FROM decisions WHERE meeting = $1",
                vec![meeting.into()],
            )
            .await?;
        let mut seq = last.first().map_or(0, |(s,)| *s) + 1;
        // Keys of the public record are free-form: step past one that happens to be taken.
        while exists(
            &mut tx,
            "SELECT key FROM decisions WHERE key = $1",
            &format!("{meeting}.{seq}"),
        )
        .await?
        {
            seq += 1;
        }
        let key = format!("{meeting}.{seq}");
        tx.execute(
            "INSERT INTO decisions (key, meeting, seq, title_zh, title_en, subject_kind, subject_plan, \
             subject_host, source, supersedes) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
            vec![
                key.clone().into(),
                meeting.into(),
                seq.into(),
                new.title.zh.clone().into(),
                new.title.en.clone().into(),
                kind.into(),
                plan.into(),
                host.into(),
                entered_by(author).into(),
                new.supersedes.clone().into(),
            ],
        )
        .await?;
        tx.execute(
            "UPDATE meetings SET version = version + 1 WHERE key = $1",
            vec![meeting.into()],
        )
        .await?;
        tx.record(Change::new(
            "meeting",
            meeting,
            "add_decision",
            Some(json!({"version": stored.version})),
            Some(json!({
                "version": stored.version + 1,
                "decision": {
                    "key": key,
                    "title": new.title,
                    "subject": new.subject,
                    "supersedes": new.supersedes,
                },
            })),
        ));
        tx.commit().await?;
        Ok(key)
    }

    /// Closes a scheduled meeting (if still at `expected` version, when given), on
    /// `closed_on`. In the same transaction every decision's outcome is frozen at its current
    /// consensus status; each plan adopted (outright or in principle) that is still a draft
    /// becomes `adopted` on the meeting's start date (a plan already adopted or beyond keeps
    /// its stage); and the first adopted `next_host` decision schedules the body's meeting
    /// of the following year at the host it names (unless that meeting already exists, which
    /// is then named as the next one and left as it is).
    pub async fn close_meeting(
        &self,
        author: &Author,
        key: &str,
        expected: Option<i64>,
        closed_on: Date,
    ) -> Result<ClosedMeeting, StoreError> {
        let mut tx = JournalTx::begin(self, author).await?;
        let stored = stored_meeting(&mut tx, key).await?;
        if stored.state()? == MeetingState::Closed {
            return Err(StoreError::Conflict(
                "the meeting is already closed: its outcomes are frozen".into(),
            ));
        }
        if let Some(expected) = expected
            && stored.version != expected
        {
            return Err(StoreError::stale("meeting"));
        }
        let details = stored.details()?;
        if closed_on < details.start.first_day() {
            return Err(StoreError::invalid(
                "closed_on",
                format!(
                    "the meeting starts {}: it cannot close before",
                    details.start
                ),
            ));
        }
        let members: Vec<(String,)> = tx
            .fetch(
                "SELECT jurisdiction FROM body_members WHERE body = $1 AND member_seq IS NOT NULL \
                 ORDER BY member_seq",
                vec![stored.body.as_str().into()],
            )
            .await?;
        let members = members
            .iter()
            .map(|(c,)| code("body member", c))
            .collect::<Result<Vec<_>, _>>()?;
        let decisions: Vec<ClosingDecision> = tx
            .fetch(
                "SELECT key, subject_kind, subject_plan, subject_host FROM decisions \
                 WHERE meeting = $1 ORDER BY seq",
                vec![key.into()],
            )
            .await?;
        let positions: Vec<(String, String, String)> = tx
            .fetch(
                "SELECT p.decision, p.jurisdiction, p.stance FROM positions p \
                 JOIN decisions d ON d.key = p.decision WHERE d.meeting = $1 \
                 ORDER BY p.decision, p.seq",
                vec![key.into()],
            )
            .await?;
        let mut by_decision: HashMap<String, Vec<Position>> = HashMap::new();
        for (decision, member, stance) in positions {
            by_decision.entry(decision).or_default().push(Position {
                jurisdiction: code("position jurisdiction", &member)?,
                stance: parse_enum("position stance", &stance)?,
                comment: Text::default(),
            });
        }

        let mut outcomes = Map::new();
        let mut adopted_plans = Vec::new();
        let mut next_host_decision = None;
        let mut changes = Vec::new();
        for decision in &decisions {
            let status = decision_status(
                &members,
                by_decision
                    .get(&decision.key)
                    .map_or(&[][..], Vec::as_slice),
            );
            tx.execute(
                "UPDATE decisions SET outcome = $2 WHERE key = $1",
                vec![decision.key.as_str().into(), enum_name(&status).into()],
            )
            .await?;
            changes.push(Change::new(
                "decision",
                &decision.key,
                "freeze",
                Some(json!({"outcome": null})),
                Some(json!({"outcome": status})),
            ));
            outcomes.insert(decision.key.clone(), json!(status));
            let adopted = matches!(
                status,
                DecisionStatus::Adopted | DecisionStatus::AdoptedInPrinciple
            );
            match (decision.subject_kind.as_str(), adopted) {
                ("adopt_plan", true) => {
                    let plan = decision.subject_plan.clone().ok_or_else(|| {
                        crate::codec::corrupt("decision plan", decision.key.clone())
                    })?;
                    let current: Vec<(String, Option<String>)> = tx
                        .fetch(
                            "SELECT stage, adopted_on FROM plans WHERE key = $1",
                            vec![plan.as_str().into()],
                        )
                        .await?;
                    if let Some((stage, adopted_on)) = current.into_iter().next()
                        && stage == "draft"
                    {
                        tx.execute(
                            "UPDATE plans SET stage = 'adopted', adopted_on = $2 WHERE key = $1",
                            vec![plan.as_str().into(), details.start.to_string().into()],
                        )
                        .await?;
                        changes.push(Change::new(
                            "plan",
                            &plan,
                            "adopt",
                            Some(json!({"stage": stage, "adopted_on": adopted_on})),
                            Some(json!({
                                "stage": "adopted",
                                "adopted_on": details.start.to_string(),
                                "decision": decision.key,
                                "outcome": status,
                            })),
                        ));
                        adopted_plans.push(plan);
                    }
                }
                ("next_host", true) if next_host_decision.is_none() => {
                    let host = code(
                        "decision host",
                        decision.subject_host.as_deref().unwrap_or(""),
                    )?;
                    next_host_decision = Some((decision.key.clone(), host));
                }
                _ => {}
            }
        }

        let updated = tx
            .execute(
                "UPDATE meetings SET state = 'closed', closed_on = $3, version = version + 1 \
                 WHERE key = $1 AND version = $2",
                vec![key.into(), stored.version.into(), closed_on.into()],
            )
            .await?;
        if updated == 0 {
            return Err(StoreError::stale("meeting"));
        }
        tx.record(Change::new(
            "meeting",
            key,
            "close",
            Some(json!({"state": "scheduled", "closed_on": null, "version": stored.version})),
            Some(json!({
                "state": "closed",
                "closed_on": PartialDate::Day(closed_on).to_string(),
                "version": stored.version + 1,
                "outcomes": outcomes,
            })),
        ));
        for change in changes {
            tx.record(change);
        }

        let next_meeting = match next_host_decision {
            None => None,
            Some((decision, host)) => Some(
                schedule_next(
                    &mut tx,
                    &stored.body,
                    details.start.year() + 1,
                    &decision,
                    host,
                    author,
                )
                .await?,
            ),
        };
        tx.commit().await?;
        Ok(ClosedMeeting {
            adopted_plans,
            next_meeting,
        })
    }
}

/// Schedules the body's meeting of `year` at `host`, as decided by `decision`; returns its
/// key. A meeting with that key already there is left as it is.
async fn schedule_next(
    tx: &mut JournalTx,
    body: &str,
    year: i32,
    decision: &str,
    host: AdminCode,
    author: &Author,
) -> Result<String, StoreError> {
    let key = format!("{body}-{year}");
    if exists(tx, "SELECT key FROM meetings WHERE key = $1", &key).await? {
        return Ok(key);
    }
    let names: Vec<(String, String)> = tx
        .fetch(
            "SELECT name_zh, name_en FROM bodies WHERE key = $1",
            vec![body.into()],
        )
        .await?;
    let (name_zh, name_en) = names.into_iter().next().unwrap_or_default();
    let details = MeetingDetails {
        title: Text::new(
            format!("{year}年度{name_zh}"),
            if name_en.is_empty() {
                String::new()
            } else {
                format!("{year} {name_en}")
            },
        ),
        start: PartialDate::Year(year),
        end: None,
        host: Some(host),
        // Kept only if the decided host is not the rotation's: then the decision is the reason.
        host_reason: Text::new(
            format!("依据决定 {decision}"),
            format!("as decided ({decision})"),
        ),
        theme: Text::default(),
        agenda: Vec::new(),
        documents: Vec::new(),
    };
    let (host, host_reason) = resolve_host(tx, body, &key, &details).await?;
    insert_meeting(
        tx,
        &key,
        body,
        &details,
        host,
        &host_reason,
        &entered_by(author),
    )
    .await?;
    let mut after = fields(&details, host, &host_reason);
    after.insert("body".into(), json!(body));
    after.insert("state".into(), json!("scheduled"));
    after.insert("version".into(), json!(1));
    after.insert("decision".into(), json!(decision));
    tx.record(Change::new(
        "meeting",
        &key,
        "schedule",
        None,
        Some(Value::Object(after)),
    ));
    Ok(key)
}

async fn insert_meeting(
    tx: &mut JournalTx,
    key: &str,
    body: &str,
    details: &MeetingDetails,
    host: Option<AdminCode>,
    host_reason: &Text,
    source: &str,
) -> Result<(), StoreError> {
    tx.execute(
        "INSERT INTO meetings (key, body, title_zh, title_en, start_date, end_date, host, theme_zh, \
         theme_en, attendees, agenda, outcomes, source, state, host_reason_zh, host_reason_en, \
         documents, version) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, '[]', $10, '[]', $11, 'scheduled', $12, $13, $14, 1)",
        vec![
            key.into(),
            body.into(),
            details.title.zh.clone().into(),
            details.title.en.clone().into(),
            details.start.to_string().into(),
            details.end.map(|d| d.to_string()).into(),
            host.map(|h| h.to_string()).into(),
            details.theme.zh.clone().into(),
            details.theme.en.clone().into(),
            to_json(&details.agenda).into(),
            source.into(),
            host_reason.zh.clone().into(),
            host_reason.en.clone().into(),
            to_json(&details.documents).into(),
        ],
    )
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(s: &str) -> AdminCode {
        s.parse().unwrap()
    }

    fn host(start: &str, key: &str, host: &str) -> (String, String, AdminCode) {
        (start.into(), key.into(), code(host))
    }

    #[test]
    fn the_proposed_host_follows_the_meetings_before_this_one() {
        let rotation = ["340000", "330000", "320000", "310000"].map(code);
        let hosts = [
            host("2025-05-20", "s-2025", "320100"),
            host("2023-06", "s-2023", "340100"),
            host("2024-06-05", "s-2024", "330300"),
        ];
        // After Nanjing (Jiangsu), Shanghai; stored order does not matter.
        assert_eq!(
            proposed_host(&rotation, &hosts, ("2026", "s-2026")),
            Some(code("310000"))
        );
        // The 2024 meeting's own proposal ignores itself and what came after.
        assert_eq!(
            proposed_host(&rotation, &hosts, ("2024-06-05", "s-2024")),
            Some(code("330000"))
        );
        // A year sorts before its days: a meeting dated "2025" precedes the 2025-05-20 one.
        assert_eq!(
            proposed_host(&rotation, &hosts, ("2025", "s-2025b")),
            Some(code("320000"))
        );
        assert_eq!(proposed_host(&[], &hosts, ("2026", "x")), None);
        // A meeting moved later does not count its own earlier date.
        assert_eq!(
            proposed_host(&rotation, &hosts, ("2025-06", "s-2025")),
            Some(code("320000"))
        );
    }

    #[test]
    fn details_are_checked_before_anything_is_written() {
        let details = MeetingDetails {
            title: Text::new("会议", ""),
            start: "2026-06-05".parse().unwrap(),
            end: Some("2026-06-04".parse().unwrap()),
            host: None,
            host_reason: Text::default(),
            theme: Text::default(),
            agenda: vec![],
            documents: vec![],
        };
        let field = |d: &MeetingDetails| match check_details(d) {
            Err(StoreError::Invalid { field, .. }) => Some(field),
            _ => None,
        };
        assert_eq!(field(&details), Some("end_date"));
        let ok = MeetingDetails {
            end: Some("2026-06".parse().unwrap()),
            ..details.clone()
        };
        assert_eq!(field(&ok), None);
        let untitled = MeetingDetails {
            title: Text::default(),
            ..ok.clone()
        };
        assert_eq!(field(&untitled), Some("title"));
        let bad_link = MeetingDetails {
            documents: vec![Document {
                title: Text::new("草案", "Draft"),
                url: "ftp://example.org/x".into(),
            }],
            ..ok.clone()
        };
        assert_eq!(field(&bad_link), Some("documents"));
        let blank_item = MeetingDetails {
            agenda: vec![Text::new("议程", ""), Text::default()],
            ..ok
        };
        assert_eq!(field(&blank_item), Some("agenda"));
    }
}
