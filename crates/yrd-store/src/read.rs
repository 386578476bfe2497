//! Reading records: whole-collection loaders (for export and the small reference tables) and
//! the paged, filtered reads the API serves. Each loader fetches a record kind and its child
//! rows with one query each and assembles them in memory, so a page costs a fixed number of
//! queries however many records it holds.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};
use time::Date;
use yrd_domain::access::DraftVisibility;
use yrd_domain::rules::matter::DONE_PERCENT;
use yrd_domain::rules::{MatterStatus, TaskProgress, matter_status};
use yrd_domain::*;

use crate::codec::*;
use crate::exec::Arg;
use crate::{Store, StoreError};

/// Most records a page may hold.
pub const MAX_PAGE: u32 = 500;

/// One page of a list, and the cursor that continues it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// Opaque; `None` on the last page.
    pub next_cursor: Option<String>,
}

/// A jurisdiction with its place in the tree and the zones it belongs to.
#[derive(Clone, Debug, PartialEq)]
pub struct JurisdictionDetail {
    pub jurisdiction: Jurisdiction,
    pub parent: Option<Jurisdiction>,
    pub children: Vec<Jurisdiction>,
    pub zones: Vec<Zone>,
}

/// A body with its seats.
#[derive(Clone, Debug, PartialEq)]
pub struct BodyWithSeats {
    pub body: Body,
    pub seats: Vec<Seat>,
}

/// A meeting with its decisions and the member jurisdictions of its body (whose consent the
/// decisions need).
#[derive(Clone, Debug, PartialEq)]
pub struct MeetingWithDecisions {
    pub meeting: Meeting,
    pub body_members: Vec<AdminCode>,
    pub decisions: Vec<Decision>,
    /// The meeting's state in yrd: scheduled or closed, version, documents, proposed host.
    pub record: crate::MeetingRecord,
    /// Each decision's frozen outcome and the decision it supersedes, by decision key.
    pub decision_records: HashMap<String, crate::DecisionRecord>,
}

/// Filters of the meeting list.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
pub struct MeetingFilter {
    pub body: Option<String>,
}

/// Which progress figures count: what owners reported, or what the Office verified.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProgressBasis {
    #[default]
    Reported,
    Verified,
}

impl ProgressBasis {
    /// Of a pair of things, reported first, the one of this basis.
    pub fn pick<T>(self, reported: T, verified: T) -> T {
        match self {
            ProgressBasis::Reported => reported,
            ProgressBasis::Verified => verified,
        }
    }
}

/// A task with its latest reported and verified progress.
#[derive(Clone, Debug, PartialEq)]
pub struct TaskState {
    pub task: Task,
    pub reported_percent: Option<u8>,
    pub reported_as_of: Option<Date>,
    pub verified_percent: Option<u8>,
    pub verified_as_of: Option<Date>,
    /// The task this one is a sub-task of; None for a member's share of a matter.
    pub parent: Option<String>,
    /// Incremented by every edit; what `If-Match` is checked against.
    pub version: i64,
}

impl TaskState {
    pub fn percent(&self, basis: ProgressBasis) -> Option<u8> {
        basis.pick(self.reported_percent, self.verified_percent)
    }
}

/// A matter with its tasks and derived status (as of a given day).
#[derive(Clone, Debug, PartialEq)]
pub struct MatterState {
    pub matter: Matter,
    /// The members' shares (top-level tasks): what the status and every roll-up count.
    pub tasks: Vec<TaskState>,
    /// Sub-tasks the members' coordinators added under those tasks; they never count in the
    /// matter's figures, so that splitting a task does not change its member's.
    pub subtasks: Vec<TaskState>,
    pub status: MatterStatus,
    /// The matter of an earlier plan this one carries over, if any.
    pub carried_from: Option<String>,
    /// The matter of a later plan this one was carried over into, if any.
    pub carried_to: Option<String>,
}

/// A matter as a list shows it, as of a given day: what identifies it, its members, its
/// status and its members' mean progress, without its tasks, objective or links (a list of
/// a large plan reads a small part of what its matters' full records hold).
#[derive(Clone, Debug, PartialEq)]
pub struct MatterLine {
    pub key: String,
    pub plan: String,
    pub area: Option<String>,
    pub title: Text,
    pub leads: Vec<AdminCode>,
    pub participants: Vec<AdminCode>,
    pub start: Option<Date>,
    pub due: Option<Date>,
    pub status: MatterStatus,
    /// The mean of the members' tasks' latest reported figures, rounded; `None` when none has
    /// one.
    pub mean_reported: Option<u8>,
    /// The same for verified figures.
    pub mean_verified: Option<u8>,
}

/// A record a walk over matters in key order lists: how a batch of them is read, and what the
/// walk needs of each.
trait Listed: Sized {
    /// The records of the matters whose keys `page` (a statement, with `args`) selects, in
    /// key order, with statuses on `today`.
    fn load(
        store: &Store,
        page: String,
        args: Vec<Arg>,
        today: Date,
        basis: ProgressBasis,
    ) -> impl Future<Output = Result<Vec<Self>, StoreError>> + Send;
    fn key(&self) -> &str;
    fn status(&self) -> MatterStatus;
}

impl Listed for MatterState {
    async fn load(
        store: &Store,
        page: String,
        args: Vec<Arg>,
        today: Date,
        basis: ProgressBasis,
    ) -> Result<Vec<Self>, StoreError> {
        // The page's keys first, once: each of the statements that read the matters' parts
        // then finds them by key instead of running the page's query again.
        let keys: Vec<(String,)> = store.fetch(page, args).await?;
        if keys.is_empty() {
            return Ok(Vec::new());
        }
        let keys: Vec<&str> = keys.iter().map(|(k,)| k.as_str()).collect();
        let (marks, args) = key_list(&keys);
        store
            .load_matter_states(&format!("WHERE key IN ({marks})"), args, today, basis)
            .await
    }
    fn key(&self) -> &str {
        &self.matter.key
    }
    fn status(&self) -> MatterStatus {
        self.status
    }
}

impl Listed for MatterLine {
    async fn load(
        store: &Store,
        page: String,
        args: Vec<Arg>,
        today: Date,
        basis: ProgressBasis,
    ) -> Result<Vec<Self>, StoreError> {
        // Lines are read in one statement, which runs the page's query once as its filter.
        store
            .load_matter_lines(&format!("WHERE key IN ({page})"), args, today, basis)
            .await
    }
    fn key(&self) -> &str {
        &self.key
    }
    fn status(&self) -> MatterStatus {
        self.status
    }
}

/// The mean of the figures present, rounded; `None` when there are none.
fn mean_percent(figures: impl Iterator<Item = Option<u8>>) -> Option<u8> {
    let (sum, count) = figures.flatten().fold((0u32, 0u32), |(sum, count), p| {
        (sum + u32::from(p), count + 1)
    });
    // A mean of percentages is within 0..=100, so the rounded value fits.
    (count > 0).then(|| (f64::from(sum) / f64::from(count)).round() as u8)
}

/// A progress figure: the percentage and the day it describes.
type Figure = (u8, Date);

/// The latest reported figure (a report not returned) and the latest verified figure among a
/// task's reports in date order, each as (percent, as of).
fn latest_figures(reports: Option<&Vec<ProgressReport>>) -> (Option<Figure>, Option<Figure>) {
    let reports = reports.map(Vec::as_slice).unwrap_or(&[]);
    // Reports are in date order, so the last match is the latest.
    let reported = reports.iter().rfind(|r| r.state != ReportState::Returned);
    let verified = reports.iter().rfind(|r| r.state == ReportState::Verified);
    (
        reported.map(|r| (r.percent, r.as_of)),
        verified.map(|r| (r.percent, r.as_of)),
    )
}

/// A matter with everything its page shows.
#[derive(Clone, Debug, PartialEq)]
pub struct MatterDetail {
    pub state: MatterState,
    pub problems: Vec<Problem>,
    /// The most recent reports on the matter's tasks, newest first.
    pub recent_reports: Vec<ProgressReport>,
}

/// Filters of the matter list.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
pub struct MatterFilter {
    pub plan: Option<String>,
    pub area: Option<String>,
    /// A member jurisdiction that leads or participates.
    pub member: Option<AdminCode>,
    pub status: Option<MatterStatus>,
    /// Which unpublished matters to include (by default none).
    #[serde(skip)]
    pub drafts: DraftVisibility,
}

/// Aggregated progress of the tasks in one (area, member) cell of a plan.
#[derive(Clone, Debug, PartialEq)]
pub struct RollupRow {
    pub area: Option<String>,
    pub jurisdiction: AdminCode,
    pub tasks: u64,
    pub reported: u64,
    pub reported_sum: u64,
    pub reported_done: u64,
    pub verified: u64,
    pub verified_sum: u64,
    pub verified_done: u64,
}

/// An indicator with all its observations, oldest first.
#[derive(Clone, Debug, PartialEq)]
pub struct IndicatorWithObservations {
    pub indicator: Indicator,
    pub observations: Vec<Observation>,
}

// ---------------------------------------------------------------------------------------
// Rows as stored.

#[derive(sqlx::FromRow, serde::Deserialize)]
struct JurisdictionRow {
    code: String,
    parent: Option<String>,
    name_zh: String,
    name_en: String,
    lat: Option<f64>,
    lon: Option<f64>,
    source: String,
}

const JURISDICTION_COLUMNS: &str = "code, parent, name_zh, name_en, lat, lon, source";

impl JurisdictionRow {
    fn into_domain(self) -> Result<Jurisdiction, StoreError> {
        Ok(Jurisdiction {
            code: code("jurisdiction code", &self.code)?,
            parent: opt_code("jurisdiction parent", self.parent.as_deref())?,
            name: Text::new(self.name_zh, self.name_en),
            centroid: match (self.lat, self.lon) {
                (Some(lat), Some(lon)) => Some(LatLon { lat, lon }),
                _ => None,
            },
            source: self.source,
        })
    }
}

#[derive(sqlx::FromRow, serde::Deserialize)]
struct ZoneRow {
    key: String,
    name_zh: String,
    name_en: String,
    description_zh: String,
    description_en: String,
    source: String,
}

#[derive(sqlx::FromRow, serde::Deserialize)]
struct MemberRow {
    owner: String,
    jurisdiction: String,
}

#[derive(sqlx::FromRow, serde::Deserialize)]
struct BodyRow {
    key: String,
    name_zh: String,
    name_en: String,
    tier: String,
    description_zh: String,
    description_en: String,
    source: String,
}

#[derive(sqlx::FromRow, serde::Deserialize)]
struct BodyMemberRow {
    body: String,
    jurisdiction: String,
    member_seq: Option<i64>,
    rotation_seq: Option<i64>,
}

#[derive(sqlx::FromRow, serde::Deserialize)]
struct SeatRow {
    key: String,
    body: String,
    jurisdiction: String,
    role_zh: String,
    role_en: String,
    holder_zh: String,
    holder_en: String,
    term_start: String,
    term_end: Option<String>,
    source: String,
}

#[derive(sqlx::FromRow, serde::Deserialize)]
struct MeetingRow {
    key: String,
    body: String,
    title_zh: String,
    title_en: String,
    start_date: String,
    end_date: Option<String>,
    host: Option<String>,
    theme_zh: String,
    theme_en: String,
    attendees: String,
    agenda: String,
    outcomes: String,
    source: String,
    state: String,
    host_reason_zh: String,
    host_reason_en: String,
    documents: String,
    version: i64,
    closed_on: Option<Date>,
}

const MEETING_COLUMNS: &str = "key, body, title_zh, title_en, start_date, end_date, host, theme_zh, theme_en, attendees, agenda, outcomes, source, \
     state, host_reason_zh, host_reason_en, documents, version, closed_on";

#[derive(sqlx::FromRow, serde::Deserialize)]
struct DecisionRow {
    key: String,
    meeting: String,
    seq: i64,
    title_zh: String,
    title_en: String,
    subject_kind: String,
    subject_plan: Option<String>,
    subject_host: Option<String>,
    source: String,
    outcome: Option<String>,
    supersedes: Option<String>,
}

#[derive(sqlx::FromRow, serde::Deserialize)]
struct PositionRow {
    decision: String,
    jurisdiction: String,
    stance: String,
    comment_zh: String,
    comment_en: String,
}

#[derive(sqlx::FromRow, serde::Deserialize)]
struct PlanRow {
    key: String,
    kind: String,
    title_zh: String,
    title_en: String,
    parent: Option<String>,
    period_start: i64,
    period_end: i64,
    stage: String,
    adopted_on: Option<String>,
    issued_on: Option<String>,
    issuer_zh: String,
    issuer_en: String,
    summary_zh: String,
    summary_en: String,
    source: String,
    published: bool,
    /// The plan's areas in order, gathered by [`gathered`] as `[key, seq, name zh, name en,
    /// stated task count]`.
    areas: Option<String>,
}

/// An area of a plan: its key, place, names, and the task count its plan states.
type AreaCell<'a> = (&'a str, i64, String, String, Option<i64>);

#[derive(sqlx::FromRow, serde::Deserialize)]
struct MatterRow {
    key: String,
    plan: String,
    area: Option<String>,
    title_zh: String,
    title_en: String,
    objective_zh: String,
    objective_en: String,
    start_date: Option<Date>,
    due_date: Option<Date>,
    source: String,
    body: Option<String>,
    published: bool,
    carried_from: Option<String>,
    /// JSON arrays gathered by [`matters_query`] (`NULL` on PostgreSQL when there are none):
    /// each member as `[role, jurisdiction]`, each milestone as `[title zh, title en, due,
    /// done]`, each indicator and agreement as `[key]`.
    members: Option<String>,
    milestones: Option<String>,
    indicators: Option<String>,
    agreements: Option<String>,
    /// Read only when asked for: the newest matter that carries this one over.
    #[sqlx(default)]
    #[serde(default)]
    carried_to: Option<String>,
}

/// A milestone of a matter: its title in Chinese and English, due date, and the day it was
/// done.
type MilestoneRecordCell<'a> = (String, String, &'a str, Option<&'a str>);

const MATTER_COLUMNS: &str = "key, plan, area, title_zh, title_en, objective_zh, objective_en, start_date, due_date, \
     source, body, published, carried_from";

/// A matter's columns that a list shows.
#[derive(sqlx::FromRow, serde::Deserialize)]
struct MatterLineRow {
    key: String,
    plan: String,
    area: Option<String>,
    title_zh: String,
    title_en: String,
    start_date: Option<Date>,
    due_date: Option<Date>,
    /// JSON arrays gathered by [`lines_query`] (`NULL` on PostgreSQL when there are none):
    /// each member as `[role, jurisdiction]`, each milestone as `[due, done]`, each of the
    /// members' tasks as `[key, start, due, reported %, reported as of, verified %, verified
    /// as of]`.
    members: Option<String>,
    milestones: Option<String>,
    tasks: Option<String>,
}

/// A member of a matter, as gathered: its role and jurisdiction.
type MemberCell<'a> = (&'a str, &'a str);
/// A milestone of a list line's matter: its due date, and the day it was done.
type MilestoneCell<'a> = (&'a str, Option<&'a str>);
/// A member's task of a list line's matter: its key, start and due dates, and its latest
/// reported and verified figures with their dates.
type TaskCell<'a> = (
    &'a str,
    Option<&'a str>,
    &'a str,
    Option<i64>,
    Option<&'a str>,
    Option<i64>,
    Option<&'a str>,
);

/// The cells of a JSON array a statement gathered ([`gathered`]); none when it gathered none.
fn cells<'a, T: Deserialize<'a>>(
    what: &'static str,
    json: &'a Option<String>,
) -> Result<Vec<T>, StoreError> {
    json.as_deref()
        .map_or(Ok(Vec::new()), |json| from_json(what, json))
}

#[derive(sqlx::FromRow, serde::Deserialize)]
struct TaskRow {
    key: String,
    matter: String,
    jurisdiction: String,
    unit_zh: String,
    unit_en: String,
    title_zh: String,
    title_en: String,
    start_date: Option<Date>,
    due_date: Date,
    source: String,
    reported_percent: Option<i64>,
    reported_as_of: Option<Date>,
    verified_percent: Option<i64>,
    verified_as_of: Option<Date>,
    parent: Option<String>,
    version: i64,
    /// The title of the task's matter, read only where a statement joins it
    /// ([`Store::owed_by`]).
    #[sqlx(default)]
    #[serde(default)]
    matter_title_zh: Option<String>,
    #[sqlx(default)]
    #[serde(default)]
    matter_title_en: Option<String>,
}

pub(crate) const TASK_COLUMNS: &str = "key, matter, jurisdiction, unit_zh, unit_en, title_zh, title_en, start_date, due_date, source, reported_percent, reported_as_of, verified_percent, verified_as_of, parent, version";

#[derive(sqlx::FromRow, serde::Deserialize)]
struct ReportRow {
    key: String,
    task: String,
    as_of: Date,
    percent: i64,
    state: String,
    narrative_zh: String,
    narrative_en: String,
    evidence: String,
    source: String,
    return_reason_zh: String,
    return_reason_en: String,
}

/// The most reports a matter's page shows, newest first.
const RECENT_REPORTS: usize = 200;

const REPORT_COLUMNS: &str = "key, task, as_of, percent, state, narrative_zh, narrative_en, evidence, source, \
     return_reason_zh, return_reason_en";

#[derive(sqlx::FromRow, serde::Deserialize)]
struct ProblemRow {
    key: String,
    matter: String,
    task: Option<String>,
    title_zh: String,
    title_en: String,
    tier: String,
    raised_on: Date,
    due_date: Option<Date>,
    resolved_on: Option<Date>,
    resolution_zh: String,
    resolution_en: String,
    source: String,
    description_zh: String,
    description_en: String,
    escalated_on: Option<Date>,
    resolved_tier: Option<String>,
}

const PROBLEM_COLUMNS: &str = "key, matter, task, title_zh, title_en, tier, raised_on, due_date, resolved_on, resolution_zh, resolution_en, source, \
     description_zh, description_en, escalated_on, resolved_tier";

#[derive(sqlx::FromRow, serde::Deserialize)]
struct AgreementRow {
    key: String,
    title_zh: String,
    title_en: String,
    summary_zh: String,
    summary_en: String,
    meeting: Option<String>,
    signed_on: Option<String>,
    in_force_on: Option<String>,
    source: String,
    state: String,
    text_zh: String,
    text_en: String,
    text_hash: Option<String>,
    expires_on: Option<Date>,
    ended_on: Option<Date>,
    ended_reason_zh: String,
    ended_reason_en: String,
}

const AGREEMENT_COLUMNS: &str = "key, title_zh, title_en, summary_zh, summary_en, meeting, signed_on, in_force_on, source, \
     state, text_zh, text_en, text_hash, expires_on, ended_on, ended_reason_zh, ended_reason_en";

#[derive(sqlx::FromRow, serde::Deserialize)]
struct SignatureRow {
    agreement: String,
    jurisdiction: String,
    text_hash: String,
    key_id: String,
    signature: String,
    signed_by: String,
    signed_at: String,
}

#[derive(sqlx::FromRow, serde::Deserialize)]
struct MemberKeyRow {
    id: String,
    jurisdiction: String,
    public_key: String,
    created_at: String,
    retired_at: Option<String>,
}

#[derive(sqlx::FromRow, serde::Deserialize)]
struct PartyRow {
    agreement: String,
    jurisdiction: String,
    signatory_zh: String,
    signatory_en: String,
    signed_on: Option<String>,
}

#[derive(sqlx::FromRow, serde::Deserialize)]
struct IndicatorRow {
    key: String,
    name_zh: String,
    name_en: String,
    description_zh: String,
    description_en: String,
    unit_zh: String,
    unit_en: String,
    classes: String,
    direction: String,
    scope_kind: String,
    scope_id: String,
    baseline: Option<String>,
    targets: String,
    source: String,
}

const INDICATOR_COLUMNS: &str = "key, name_zh, name_en, description_zh, description_en, unit_zh, unit_en, classes, direction, scope_kind, scope_id, baseline, targets, source";

#[derive(sqlx::FromRow, serde::Deserialize)]
struct ObservationRow {
    key: String,
    indicator: String,
    obs_date: String,
    value_number: Option<f64>,
    value_class: Option<String>,
    jurisdiction: Option<String>,
    site: Option<String>,
    qualifier: String,
    note_zh: String,
    note_en: String,
    source: String,
}

const OBSERVATION_COLUMNS: &str = "key, indicator, obs_date, value_number, value_class, jurisdiction, site, qualifier, note_zh, note_en, source";

#[derive(sqlx::FromRow, serde::Deserialize)]
struct RollupDbRow {
    area: Option<String>,
    jurisdiction: String,
    tasks: i64,
    reported: i64,
    reported_sum: i64,
    reported_done: i64,
    verified: i64,
    verified_sum: i64,
    verified_done: i64,
}

/// A `WHERE` clause assembled from constant fragments, holding only the conditions that
/// apply, so that each query the planners see is one an index can answer (an
/// `$1 IS NULL OR col = $1` catch-all would hide the index from SQLite's planner).
#[derive(Debug, Default)]
pub(crate) struct Conditions {
    clauses: Vec<String>,
    pub(crate) args: Vec<Arg>,
}

impl Conditions {
    /// Adds a condition in which each `?` stands for the next of `values`.
    pub(crate) fn add(&mut self, fragment: &str, values: Vec<Arg>) {
        let mut values = values.into_iter();
        let mut clause = String::with_capacity(fragment.len() + 8);
        for (i, piece) in fragment.split('?').enumerate() {
            if i > 0 {
                self.args
                    .push(values.next().expect("one value per placeholder"));
                clause.push_str(&format!("${}", self.args.len()));
            }
            clause.push_str(piece);
        }
        debug_assert!(
            values.next().is_none(),
            "one value per placeholder in {fragment}"
        );
        self.clauses.push(clause);
    }

    pub(crate) fn where_clause(&self) -> String {
        if self.clauses.is_empty() {
            String::new()
        } else {
            format!("WHERE {}", self.clauses.join(" AND "))
        }
    }
}

/// The keys of one page of meetings, newest first, after `after` (start date, key).
fn meeting_page_query(
    filter: &MeetingFilter,
    after: Option<(String, String)>,
    limit: u32,
) -> (String, Vec<Arg>) {
    let mut conditions = Conditions::default();
    if let Some(body) = &filter.body {
        conditions.add("body = ?", vec![body.clone().into()]);
    }
    if let Some((date, key)) = after {
        conditions.add("(start_date, key) < (?, ?)", vec![date.into(), key.into()]);
    }
    let sql = format!(
        "SELECT key FROM meetings {} ORDER BY start_date DESC, key DESC LIMIT {limit}",
        conditions.where_clause()
    );
    (sql, conditions.args)
}

/// Restricts matters (columns qualified by `prefix`, e.g. `m.`) to those published in a
/// published plan, or drafts of the bodies `drafts` names.
pub(crate) fn add_draft_condition(
    conditions: &mut Conditions,
    drafts: &DraftVisibility,
    prefix: &str,
) {
    let DraftVisibility::OfBodies(bodies) = drafts else {
        return;
    };
    // A correlated test of the plan (not `plan IN (…)`) keeps the planner walking matters in
    // key order, so a page stops at its limit instead of sorting every published matter.
    let table = if prefix.is_empty() {
        "matters."
    } else {
        prefix
    };
    let published = format!(
        "({prefix}published = ? AND EXISTS (SELECT 1 FROM plans pp WHERE pp.key = {table}plan \
         AND pp.published = ?))"
    );
    let mut values: Vec<Arg> = vec![true.into(), true.into()];
    if bodies.is_empty() {
        conditions.add(&published, values);
    } else {
        let marks = vec!["?"; bodies.len()].join(", ");
        values.extend(bodies.iter().map(|b| Arg::from(b.as_str())));
        conditions.add(
            &format!("({published} OR {prefix}body IN ({marks}))"),
            values,
        );
    }
}

/// The region's own indicators that have observations, the most tracked first.
const HEADLINE_REGIONAL: &str = "SELECT i.key FROM indicators i \
     WHERE i.scope_kind = 'zone' AND i.scope_id = $1 \
     AND EXISTS (SELECT 1 FROM observations o WHERE o.indicator = i.key) \
     ORDER BY (SELECT COUNT(*) FROM observations o WHERE o.indicator = i.key) DESC, i.key LIMIT $2";

/// Other indicators that have observations, in key order.
const HEADLINE_OTHERS: &str = "SELECT i.key FROM indicators i \
     WHERE NOT (i.scope_kind = 'zone' AND i.scope_id = $1) \
     AND EXISTS (SELECT 1 FROM observations o WHERE o.indicator = i.key) ORDER BY i.key LIMIT $2";

/// The newest closed meeting, from the end of its index.
const LATEST_CLOSED_MEETING: &str =
    "SELECT key FROM meetings WHERE state = 'closed' ORDER BY start_date DESC, key DESC LIMIT 1";

/// A plan's roll-up by area and member, from the groups the writes keep up to date
/// (`plan_rollups`, migration 0009): a few rows per plan, whatever its number of tasks.
fn rollup_query(plan: &str, drafts: &DraftVisibility) -> (String, Vec<Arg>) {
    let mut conditions = Conditions::default();
    conditions.add("r.plan = ?", vec![plan.into()]);
    add_draft_condition(&mut conditions, drafts, "r.");
    let sql = format!(
        "SELECT NULLIF(r.area, '') AS area, r.jurisdiction AS jurisdiction, \
         CAST(SUM(r.tasks) AS BIGINT) AS tasks, CAST(SUM(r.reported) AS BIGINT) AS reported, \
         CAST(SUM(r.reported_sum) AS BIGINT) AS reported_sum, \
         CAST(SUM(r.reported_done) AS BIGINT) AS reported_done, \
         CAST(SUM(r.verified) AS BIGINT) AS verified, \
         CAST(SUM(r.verified_sum) AS BIGINT) AS verified_sum, \
         CAST(SUM(r.verified_done) AS BIGINT) AS verified_done \
         FROM plan_rollups r {} \
         GROUP BY r.area, r.jurisdiction HAVING SUM(r.tasks) > 0 ORDER BY r.area, r.jurisdiction",
        conditions.where_clause()
    );
    (sql, conditions.args)
}

/// The same roll-up counted from the tasks themselves: what the kept groups must always
/// agree with.
#[cfg(any(test, feature = "testing"))]
fn counted_rollup_query(plan: &str, drafts: &DraftVisibility) -> (String, Vec<Arg>) {
    let mut conditions = Conditions::default();
    conditions.add("m.plan = ?", vec![plan.into()]);
    conditions.add("t.parent IS NULL", vec![]);
    add_draft_condition(&mut conditions, drafts, "m.");
    let sql = format!(
        "SELECT m.area AS area, t.jurisdiction AS jurisdiction, COUNT(*) AS tasks, \
         COUNT(t.reported_percent) AS reported, \
         CAST(COALESCE(SUM(t.reported_percent), 0) AS BIGINT) AS reported_sum, \
         CAST(COALESCE(SUM(CASE WHEN t.reported_percent = 100 THEN 1 ELSE 0 END), 0) AS BIGINT) AS reported_done, \
         COUNT(t.verified_percent) AS verified, \
         CAST(COALESCE(SUM(t.verified_percent), 0) AS BIGINT) AS verified_sum, \
         CAST(COALESCE(SUM(CASE WHEN t.verified_percent = 100 THEN 1 ELSE 0 END), 0) AS BIGINT) AS verified_done \
         FROM tasks t JOIN matters m ON m.key = t.matter {} \
         GROUP BY m.area, t.jurisdiction ORDER BY m.area, t.jurisdiction",
        conditions.where_clause()
    );
    (sql, conditions.args)
}

/// A subquery that gathers the rows `from` (a `FROM … WHERE …`) selects, in `order`, into
/// one JSON array of arrays of `columns`, as text: `NULL` on PostgreSQL when there are none,
/// `[]` on SQLite. Dates come as ISO 8601 text on both engines.
fn gathered(engine: crate::Engine, columns: &str, from: &str, order: &str) -> String {
    match engine {
        crate::Engine::Sqlite => {
            format!("(SELECT json_group_array(json_array({columns}) ORDER BY {order}) {from})")
        }
        crate::Engine::Postgres => format!(
            "(SELECT CAST(json_agg(json_build_array({columns}) ORDER BY {order}) AS TEXT) {from})"
        ),
    }
}

/// A matter's members in their recorded order, gathered as [`MemberCell`]s.
fn gathered_members(engine: crate::Engine) -> String {
    gathered(
        engine,
        "mm.role, mm.jurisdiction",
        "FROM matter_members mm WHERE mm.matter = matters.key",
        "mm.seq",
    )
}

/// A matter's leads and participants, in their recorded order, from its gathered members.
fn leads_and_participants(
    members: &Option<String>,
) -> Result<(Vec<AdminCode>, Vec<AdminCode>), StoreError> {
    let (mut leads, mut participants) = (Vec::new(), Vec::new());
    for (role, jurisdiction) in cells::<MemberCell>("matter members", members)? {
        let code = code("matter member", jurisdiction)?;
        if role == "lead" {
            leads.push(code)
        } else {
            participants.push(code)
        }
    }
    Ok((leads, participants))
}

/// The statement of the matters `filter` (a `WHERE` clause on `matters`) selects, in key
/// order: each one's columns, with its members, milestones, indicators and agreements
/// gathered into JSON arrays (see [`lines_query`] for why one statement), and, `with_carried`,
/// the newest matter that carries it over.
fn matters_query(engine: crate::Engine, filter: &str, with_carried: bool) -> String {
    let members = gathered_members(engine);
    let milestones = gathered(
        engine,
        "ms.title_zh, ms.title_en, ms.due_date, ms.done_on",
        "FROM milestones ms WHERE ms.matter = matters.key",
        "ms.seq",
    );
    let indicators = gathered(
        engine,
        "mi.indicator",
        "FROM matter_indicators mi WHERE mi.matter = matters.key",
        "mi.indicator",
    );
    let agreements = gathered(
        engine,
        "ma.agreement",
        "FROM matter_agreements ma WHERE ma.matter = matters.key",
        "ma.agreement",
    );
    let carried = if with_carried {
        ", (SELECT c.key FROM matters c WHERE c.carried_from = matters.key \
         ORDER BY c.key DESC LIMIT 1) AS carried_to"
    } else {
        ""
    };
    format!(
        "SELECT {MATTER_COLUMNS}, {members} AS members, {milestones} AS milestones, \
         {indicators} AS indicators, {agreements} AS agreements{carried} \
         FROM matters {filter} ORDER BY key"
    )
}

/// The statement of the list lines of the matters `filter` (a `WHERE` clause on `matters`)
/// selects, in key order: each matter's columns, with its members, its milestones' dates and
/// its members' tasks' dates and figures gathered into JSON arrays by correlated subqueries
/// along their tables' keys. One statement instead of one per part: on PostgreSQL each is a
/// round trip, planned and executed in a backend that competes for the same cores.
/// Sub-tasks count in no status or figure, so only the members' tasks are read.
fn lines_query(engine: crate::Engine, filter: &str) -> String {
    let gathered = |columns: &str, from: &str, order: &str| gathered(engine, columns, from, order);
    let members = gathered_members(engine);
    let milestones = gathered(
        "ms.due_date, ms.done_on",
        "FROM milestones ms WHERE ms.matter = matters.key",
        "ms.seq",
    );
    let tasks = gathered(
        "t.key, t.start_date, t.due_date, t.reported_percent, t.reported_as_of, \
         t.verified_percent, t.verified_as_of",
        "FROM tasks t WHERE t.matter = matters.key AND t.parent IS NULL",
        "t.key",
    );
    format!(
        "SELECT key, plan, area, title_zh, title_en, start_date, due_date, {members} AS members, \
         {milestones} AS milestones, {tasks} AS tasks FROM matters {filter} ORDER BY key"
    )
}

/// The keys of one batch of matters in key order, after the key `after`.
fn matter_page_query(
    filter: &MatterFilter,
    after: Option<&str>,
    limit: usize,
    today: Date,
    basis: ProgressBasis,
) -> (String, Vec<Arg>) {
    let mut conditions = Conditions::default();
    if filter.status == Some(MatterStatus::Overdue) {
        // Only matters that can be overdue: a members' task unfinished past its due date or
        // an open milestone past due. One EXISTS over both (not two joined by OR, which
        // PostgreSQL answers by hashing every overdue task of the region first). A task whose
        // latest figure postdates `today` might have been unfinished then, so it stays a
        // candidate; the derived status decides.
        let (percent, as_of) = basis.pick(
            ("reported_percent", "reported_as_of"),
            ("verified_percent", "verified_as_of"),
        );
        conditions.add(
            &format!(
                "EXISTS (SELECT 1 FROM tasks t WHERE t.matter = matters.key AND t.parent IS NULL \
                 AND t.due_date < ? AND (t.{percent} IS NULL OR t.{percent} < {DONE_PERCENT} OR t.{as_of} > ?) \
                 UNION ALL SELECT 1 FROM milestones ms WHERE ms.matter = matters.key AND ms.due_date < ? \
                 AND (ms.done_on IS NULL OR ms.done_on > ?))"
            ),
            vec![today.into(), today.into(), today.into(), today.into()],
        );
    }
    if let Some(plan) = &filter.plan {
        conditions.add("plan = ?", vec![plan.clone().into()]);
    }
    if let Some(area) = &filter.area {
        conditions.add("area = ?", vec![area.clone().into()]);
    }
    if let Some(member) = filter.member {
        // A test per matter (by the members' primary key) keeps the walk in key order that
        // stops at the page's limit; `key IN (…)` would first list every matter of the member.
        conditions.add(
            "EXISTS (SELECT 1 FROM matter_members mm WHERE mm.matter = matters.key AND mm.jurisdiction = ?)",
            vec![member.to_string().into()],
        );
    }
    add_draft_condition(&mut conditions, &filter.drafts, "");
    if let Some(after) = after {
        conditions.add("key > ?", vec![after.into()]);
    }
    let sql = format!(
        "SELECT key FROM matters {} ORDER BY key LIMIT {limit}",
        conditions.where_clause()
    );
    (sql, conditions.args)
}

/// `$1, $2, …` for a list of keys, and the keys as arguments, for `IN (…)`. The list is padded
/// (the last key repeated) to a power of two up to 64, then to a multiple of 64: each length
/// is a statement of its own, and with a page's keys at every length from 1 to 50 each was
/// too rare for PostgreSQL to plan once and keep, or for either engine's statement cache to
/// hold. An empty list stays empty.
pub(crate) fn key_list(keys: &[&str]) -> (String, Vec<Arg>) {
    let len = padded_len(keys.len());
    let marks: Vec<String> = (1..=len).map(|i| format!("${i}")).collect();
    let padding = keys.last().into_iter().cycle().take(len - keys.len());
    (
        marks.join(", "),
        keys.iter().chain(padding).map(|k| Arg::from(*k)).collect(),
    )
}

/// The length a key list of `n` keys is padded to.
fn padded_len(n: usize) -> usize {
    match n {
        0 => 0,
        1..=64 => n.next_power_of_two(),
        _ => n.div_ceil(64) * 64,
    }
}

/// Each indicator with those of `observations` that are its own, in the order given.
fn with_observations(
    indicators: Vec<Indicator>,
    observations: Vec<Observation>,
) -> Vec<IndicatorWithObservations> {
    let mut observations = group(observations.into_iter().map(|o| (o.indicator.clone(), o)));
    indicators
        .into_iter()
        .map(|indicator| IndicatorWithObservations {
            observations: observations.remove(&indicator.key).unwrap_or_default(),
            indicator,
        })
        .collect()
}

/// Groups child rows by their owner's key, keeping their order.
fn group<T>(rows: impl IntoIterator<Item = (String, T)>) -> HashMap<String, Vec<T>> {
    let mut map: HashMap<String, Vec<T>> = HashMap::new();
    for (owner, item) in rows {
        map.entry(owner).or_default().push(item);
    }
    map
}

fn percent(what: &'static str, value: Option<i64>) -> Result<Option<u8>, StoreError> {
    value
        .map(|v| {
            u8::try_from(v)
                .ok()
                .filter(|p| *p <= 100)
                .ok_or_else(|| corrupt(what, format!("{v}")))
        })
        .transpose()
}

/// Encodes a keyset-pagination position. Keys never contain `|`, so it separates fields.
pub(crate) fn encode_cursor(parts: &[&str]) -> String {
    parts.join("|")
}

pub(crate) fn decode_cursor(cursor: &str, fields: usize) -> Result<Vec<String>, StoreError> {
    let parts: Vec<String> = cursor.split('|').map(str::to_owned).collect();
    if parts.len() != fields || parts.iter().any(|p| p.is_empty() || p.len() > 120) {
        return Err(StoreError::InvalidCursor);
    }
    Ok(parts)
}

impl Store {
    // -----------------------------------------------------------------------------------
    // Jurisdictions and zones.

    /// Every jurisdiction, ordered by code: kept between calls while no import can have
    /// changed it ([`crate::register_cache`]).
    pub async fn jurisdictions(&self) -> Result<Vec<Jurisdiction>, StoreError> {
        let unchanged_since = |head| self.freshness.unchanged_since(head, &[]);
        if let Some(register) = self.register.get(unchanged_since) {
            return Ok(register.to_vec());
        }
        // The head before the read: a change committed during it leaves the register kept
        // under an older head, so it is read again.
        let (head, read_at) = (self.freshness.known_head(), std::time::Instant::now());
        let rows: Vec<JurisdictionRow> = self
            .fetch(
                format!("SELECT {JURISDICTION_COLUMNS} FROM jurisdictions ORDER BY code"),
                vec![],
            )
            .await?;
        let register = rows
            .into_iter()
            .map(JurisdictionRow::into_domain)
            .collect::<Result<Vec<_>, _>>()?;
        self.register
            .keep(register.as_slice().into(), head, read_at);
        Ok(register)
    }

    /// One jurisdiction with its parent, children and zones.
    pub async fn jurisdiction(
        &self,
        code: AdminCode,
    ) -> Result<Option<JurisdictionDetail>, StoreError> {
        let key = code.to_string();
        let mut rows: Vec<JurisdictionRow> = self
            .fetch(
                format!(
                    "SELECT {JURISDICTION_COLUMNS} FROM jurisdictions WHERE code = $1 \
                     OR code = (SELECT parent FROM jurisdictions WHERE code = $1) \
                     OR parent = $1 ORDER BY code"
                ),
                vec![key.clone().into()],
            )
            .await?;
        let Some(own) = rows.iter().position(|r| r.code == key) else {
            return Ok(None);
        };
        let jurisdiction = rows.remove(own).into_domain()?;
        let mut parent = None;
        let mut children = Vec::new();
        for row in rows {
            let other = row.into_domain()?;
            if Some(other.code) == jurisdiction.parent {
                parent = Some(other);
            } else {
                children.push(other);
            }
        }
        let zones = self
            .load_zones(
                "WHERE key IN (SELECT zone FROM zone_members WHERE jurisdiction = $1)",
                vec![key.into()],
            )
            .await?;
        Ok(Some(JurisdictionDetail {
            jurisdiction,
            parent,
            children,
            zones,
        }))
    }

    /// Every zone with its members.
    pub async fn zones(&self) -> Result<Vec<Zone>, StoreError> {
        self.load_zones("", vec![]).await
    }

    async fn load_zones(&self, filter: &str, args: Vec<Arg>) -> Result<Vec<Zone>, StoreError> {
        let rows: Vec<ZoneRow> = self
            .fetch(
                format!(
                    "SELECT key, name_zh, name_en, description_zh, description_en, source \
                     FROM zones {filter} ORDER BY key"
                ),
                args.clone(),
            )
            .await?;
        let members: Vec<MemberRow> = self
            .fetch(
                format!(
                    "SELECT zone AS owner, jurisdiction FROM zone_members \
                     WHERE zone IN (SELECT key FROM zones {filter}) ORDER BY zone, seq"
                ),
                args,
            )
            .await?;
        let mut members = group(members.into_iter().map(|m| (m.owner, m.jurisdiction)));
        rows.into_iter()
            .map(|r| {
                Ok(Zone {
                    members: members
                        .remove(&r.key)
                        .unwrap_or_default()
                        .iter()
                        .map(|c| code("zone member", c))
                        .collect::<Result<_, _>>()?,
                    key: r.key,
                    name: Text::new(r.name_zh, r.name_en),
                    description: Text::new(r.description_zh, r.description_en),
                    source: r.source,
                })
            })
            .collect()
    }

    // -----------------------------------------------------------------------------------
    // Bodies and seats.

    /// Every body with its members, rotation and seats, ordered by tier then key.
    pub async fn bodies(&self) -> Result<Vec<BodyWithSeats>, StoreError> {
        let bodies = self.load_bodies().await?;
        let mut seats = group(
            self.load_seats()
                .await?
                .into_iter()
                .map(|s| (s.body.clone(), s)),
        );
        Ok(bodies
            .into_iter()
            .map(|body| BodyWithSeats {
                seats: seats.remove(&body.key).unwrap_or_default(),
                body,
            })
            .collect())
    }

    async fn load_bodies(&self) -> Result<Vec<Body>, StoreError> {
        let rows: Vec<BodyRow> = self
            .fetch(
                "SELECT key, name_zh, name_en, tier, description_zh, description_en, source FROM bodies \
                 ORDER BY CASE tier WHEN 'decision' THEN 0 WHEN 'coordination' THEN 1 ELSE 2 END, key"
                    .into(),
                vec![],
            )
            .await?;
        let member_rows: Vec<BodyMemberRow> = self
            .fetch(
                "SELECT body, jurisdiction, member_seq, rotation_seq FROM body_members ORDER BY body, jurisdiction"
                    .into(),
                vec![],
            )
            .await?;
        let mut by_body = group(member_rows.into_iter().map(|m| (m.body.clone(), m)));
        rows.into_iter()
            .map(|r| {
                let mut rows = by_body.remove(&r.key).unwrap_or_default();
                rows.sort_by_key(|m| m.member_seq);
                let members = rows
                    .iter()
                    .filter(|m| m.member_seq.is_some())
                    .map(|m| code("body member", &m.jurisdiction))
                    .collect::<Result<_, _>>()?;
                rows.sort_by_key(|m| m.rotation_seq);
                let host_rotation = rows
                    .iter()
                    .filter(|m| m.rotation_seq.is_some())
                    .map(|m| code("body rotation", &m.jurisdiction))
                    .collect::<Result<_, _>>()?;
                Ok(Body {
                    tier: parse_enum("body tier", &r.tier)?,
                    key: r.key,
                    name: Text::new(r.name_zh, r.name_en),
                    description: Text::new(r.description_zh, r.description_en),
                    members,
                    host_rotation,
                    source: r.source,
                })
            })
            .collect()
    }

    async fn load_seats(&self) -> Result<Vec<Seat>, StoreError> {
        let rows: Vec<SeatRow> = self
            .fetch(
                "SELECT key, body, jurisdiction, role_zh, role_en, holder_zh, holder_en, term_start, term_end, source \
                 FROM seats ORDER BY body, jurisdiction, key"
                    .into(),
                vec![],
            )
            .await?;
        rows.into_iter()
            .map(|r| {
                Ok(Seat {
                    jurisdiction: code("seat jurisdiction", &r.jurisdiction)?,
                    term_start: date("seat term start", &r.term_start)?,
                    term_end: opt_date("seat term end", r.term_end.as_deref())?,
                    key: r.key,
                    body: r.body,
                    role: Text::new(r.role_zh, r.role_en),
                    holder: Text::new(r.holder_zh, r.holder_en),
                    source: r.source,
                })
            })
            .collect()
    }

    // -----------------------------------------------------------------------------------
    // Meetings and decisions.

    /// The key of the newest meeting held (closed), in the meeting list's order.
    pub async fn latest_closed_meeting(&self) -> Result<Option<String>, StoreError> {
        let rows: Vec<(String,)> = self.fetch(LATEST_CLOSED_MEETING.into(), vec![]).await?;
        Ok(rows.into_iter().next().map(|(key,)| key))
    }

    /// Meetings, newest first, with their decisions.
    pub async fn meetings(
        &self,
        filter: &MeetingFilter,
        cursor: Option<&str>,
        limit: u32,
    ) -> Result<Page<MeetingWithDecisions>, StoreError> {
        let limit = limit.clamp(1, MAX_PAGE);
        let (after_date, after_key) = match cursor {
            Some(c) => {
                let mut parts = decode_cursor(c, 2)?;
                let key = parts.pop();
                (parts.pop(), key)
            }
            None => (None, None),
        };
        // One more than asked tells whether a next page exists.
        let (page, args) = meeting_page_query(filter, after_date.zip(after_key), limit + 1);
        let mut meetings = self
            .load_meetings(&format!("WHERE key IN ({page})"), args)
            .await?;
        meetings.sort_by(|a, b| {
            (b.meeting.start, &b.meeting.key).cmp(&(a.meeting.start, &a.meeting.key))
        });
        let next_cursor = if meetings.len() > limit as usize {
            meetings.truncate(limit as usize);
            meetings
                .last()
                .map(|m| encode_cursor(&[&m.meeting.start.to_string(), &m.meeting.key]))
        } else {
            None
        };
        Ok(Page {
            items: meetings,
            next_cursor,
        })
    }

    /// One meeting with its decisions.
    pub async fn meeting(&self, key: &str) -> Result<Option<MeetingWithDecisions>, StoreError> {
        Ok(self
            .load_meetings("WHERE key = $1", vec![key.into()])
            .await?
            .pop())
    }

    async fn load_meetings(
        &self,
        filter: &str,
        args: Vec<Arg>,
    ) -> Result<Vec<MeetingWithDecisions>, StoreError> {
        let rows: Vec<MeetingRow> = self
            .fetch(
                format!("SELECT {MEETING_COLUMNS} FROM meetings {filter} ORDER BY start_date, key"),
                args.clone(),
            )
            .await?;
        let decisions = self
            .load_decisions(
                &format!("WHERE meeting IN (SELECT key FROM meetings {filter})"),
                args.clone(),
            )
            .await?;
        let members: Vec<MemberRow> = self
            .fetch(
                format!(
                    "SELECT body AS owner, jurisdiction FROM body_members \
                     WHERE member_seq IS NOT NULL AND body IN (SELECT body FROM meetings {filter}) \
                     ORDER BY body, member_seq"
                ),
                args.clone(),
            )
            .await?;
        let listed: Vec<(&str, &str, &str)> = rows
            .iter()
            .map(|r| (r.key.as_str(), r.body.as_str(), r.start_date.as_str()))
            .collect();
        let (mut proposed, mut decision_records) =
            self.meeting_context(filter, args, &listed).await?;
        let mut decisions = group(decisions.into_iter().map(|d| (d.meeting.clone(), d)));
        let members = group(members.into_iter().map(|m| (m.owner, m.jurisdiction)));
        rows.into_iter()
            .map(|r| {
                let host_reason = Text::new(r.host_reason_zh, r.host_reason_en);
                let record = crate::MeetingRecord {
                    state: parse_enum("meeting state", &r.state)?,
                    version: r.version,
                    host_reason: host_reason.clone(),
                    documents: from_json("meeting documents", &r.documents)?,
                    closed_on: r.closed_on,
                    proposed_host: proposed.remove(&r.key).flatten(),
                };
                let body_members = members
                    .get(&r.body)
                    .into_iter()
                    .flatten()
                    .map(|c| code("body member", c))
                    .collect::<Result<_, _>>()?;
                let meeting = Meeting {
                    start: date("meeting start", &r.start_date)?,
                    end: opt_date("meeting end", r.end_date.as_deref())?,
                    host: opt_code("meeting host", r.host.as_deref())?,
                    attendees: from_json("meeting attendees", &r.attendees)?,
                    agenda: from_json("meeting agenda", &r.agenda)?,
                    outcomes: from_json("meeting outcomes", &r.outcomes)?,
                    documents: from_json("meeting documents", &r.documents)?,
                    state: parse_enum("meeting state", &r.state)?,
                    closed_on: r.closed_on,
                    host_reason,
                    title: Text::new(r.title_zh, r.title_en),
                    theme: Text::new(r.theme_zh, r.theme_en),
                    body: r.body,
                    source: r.source,
                    key: r.key,
                };
                let decisions = decisions.remove(&meeting.key).unwrap_or_default();
                let decision_records = decisions
                    .iter()
                    .map(|d| {
                        let record = decision_records.remove(&d.key).unwrap_or_default();
                        (d.key.clone(), record)
                    })
                    .collect();
                Ok(MeetingWithDecisions {
                    decisions,
                    decision_records,
                    meeting,
                    body_members,
                    record,
                })
            })
            .collect()
    }

    /// The hosts of a body's latest `limit` meetings that record one, oldest first: what the
    /// rotation rule needs (only the most recent hosts can decide whose turn it is).
    pub async fn past_hosts(&self, body: &str, limit: u32) -> Result<Vec<AdminCode>, StoreError> {
        let rows: Vec<(String,)> = self
            .fetch(
                format!(
                    "SELECT host FROM meetings WHERE body = $1 AND host IS NOT NULL \
                     ORDER BY start_date DESC, key DESC LIMIT {}",
                    limit.clamp(1, MAX_PAGE)
                ),
                vec![body.into()],
            )
            .await?;
        rows.iter()
            .rev()
            .map(|(c,)| code("meeting host", c))
            .collect()
    }

    async fn load_decisions(
        &self,
        filter: &str,
        args: Vec<Arg>,
    ) -> Result<Vec<Decision>, StoreError> {
        let rows: Vec<DecisionRow> = self
            .fetch(
                format!(
                    "SELECT key, meeting, seq, title_zh, title_en, subject_kind, subject_plan, subject_host, source, \
                     outcome, supersedes FROM decisions {filter} ORDER BY meeting, seq"
                ),
                args.clone(),
            )
            .await?;
        let positions: Vec<PositionRow> = self
            .fetch(
                format!(
                    "SELECT decision, jurisdiction, stance, comment_zh, comment_en FROM positions \
                     WHERE decision IN (SELECT key FROM decisions {filter}) ORDER BY decision, seq"
                ),
                args,
            )
            .await?;
        let mut positions = group(positions.into_iter().map(|p| (p.decision.clone(), p)));
        rows.into_iter()
            .map(|r| {
                let subject = match r.subject_kind.as_str() {
                    "adopt_plan" => DecisionSubject::AdoptPlan {
                        plan: r
                            .subject_plan
                            .clone()
                            .ok_or_else(|| corrupt("decision plan", r.key.clone()))?,
                    },
                    "next_host" => DecisionSubject::NextHost {
                        host: code("decision host", r.subject_host.as_deref().unwrap_or(""))?,
                    },
                    _ => DecisionSubject::Other,
                };
                let positions = positions
                    .remove(&r.key)
                    .unwrap_or_default()
                    .into_iter()
                    .map(|p| {
                        Ok(Position {
                            jurisdiction: code("position jurisdiction", &p.jurisdiction)?,
                            stance: parse_enum("position stance", &p.stance)?,
                            comment: Text::new(p.comment_zh, p.comment_en),
                        })
                    })
                    .collect::<Result<_, StoreError>>()?;
                Ok(Decision {
                    seq: u32::try_from(r.seq)
                        .map_err(|_| corrupt("decision seq", r.seq.to_string()))?,
                    key: r.key,
                    meeting: r.meeting,
                    title: Text::new(r.title_zh, r.title_en),
                    subject,
                    positions,
                    outcome: r
                        .outcome
                        .as_deref()
                        .map(|o| parse_enum("decision outcome", o))
                        .transpose()?,
                    supersedes: r.supersedes,
                    source: r.source,
                })
            })
            .collect()
    }

    // -----------------------------------------------------------------------------------
    // Plans.

    /// Every plan with its areas, in cascade order (by start year, then key).
    pub async fn plans(&self) -> Result<Vec<Plan>, StoreError> {
        self.load_plans("", vec![]).await
    }

    /// One plan with its areas.
    pub async fn plan(&self, key: &str) -> Result<Option<Plan>, StoreError> {
        Ok(self
            .load_plans("WHERE key = $1", vec![key.into()])
            .await?
            .pop())
    }

    /// The plans of one kind (e.g. the action plans), with their areas, in cascade order.
    pub async fn plans_of_kind(&self, kind: PlanKind) -> Result<Vec<Plan>, StoreError> {
        self.load_plans("WHERE kind = $1", vec![enum_name(&kind).into()])
            .await
    }

    /// The plans with these keys, with their areas, in cascade order; keys of no plan are
    /// skipped.
    pub async fn plans_named(&self, keys: &[&str]) -> Result<Vec<Plan>, StoreError> {
        if keys.is_empty() {
            return Ok(Vec::new());
        }
        let (marks, args) = key_list(keys);
        self.load_plans(&format!("WHERE key IN ({marks})"), args)
            .await
    }

    async fn load_plans(&self, filter: &str, args: Vec<Arg>) -> Result<Vec<Plan>, StoreError> {
        // One statement, the areas gathered into each plan's row: on PostgreSQL each statement
        // is a round trip, planned and executed in a backend competing for the same cores.
        let areas = gathered(
            self.engine(),
            "a.key, a.seq, a.name_zh, a.name_en, a.stated_task_count",
            "FROM plan_areas a WHERE a.plan = plans.key",
            "a.seq",
        );
        let rows: Vec<PlanRow> = self
            .fetch(
                format!(
                    "SELECT key, kind, title_zh, title_en, parent, period_start, period_end, stage, adopted_on, \
                     issued_on, issuer_zh, issuer_en, summary_zh, summary_en, source, published, \
                     {areas} AS areas FROM plans {filter} ORDER BY period_start, key"
                ),
                args,
            )
            .await?;
        rows.into_iter()
            .map(|r| {
                let areas = cells::<AreaCell>("plan areas", &r.areas)?
                    .into_iter()
                    .map(|(key, seq, name_zh, name_en, stated_task_count)| {
                        Ok(Area {
                            seq: u32::try_from(seq)
                                .map_err(|_| corrupt("area seq", seq.to_string()))?,
                            stated_task_count: stated_task_count
                                .map(|c| {
                                    u32::try_from(c)
                                        .map_err(|_| corrupt("area task count", c.to_string()))
                                })
                                .transpose()?,
                            key: key.to_owned(),
                            name: Text::new(name_zh, name_en),
                        })
                    })
                    .collect::<Result<_, StoreError>>()?;
                let year =
                    |y: i64| i32::try_from(y).map_err(|_| corrupt("plan period", y.to_string()));
                Ok(Plan {
                    kind: parse_enum("plan kind", &r.kind)?,
                    stage: parse_enum("plan stage", &r.stage)?,
                    period_start: year(r.period_start)?,
                    period_end: year(r.period_end)?,
                    adopted_on: opt_date("plan adoption", r.adopted_on.as_deref())?,
                    issued_on: opt_date("plan issue", r.issued_on.as_deref())?,
                    key: r.key,
                    title: Text::new(r.title_zh, r.title_en),
                    parent: r.parent,
                    issuer: Text::new(r.issuer_zh, r.issuer_en),
                    summary: Text::new(r.summary_zh, r.summary_en),
                    areas,
                    published: r.published,
                    source: r.source,
                })
            })
            .collect()
    }

    /// Progress of a plan's tasks grouped by area × member jurisdiction, from the groups the
    /// writes keep (sums cast to BIGINT: PostgreSQL widens a BIGINT sum to NUMERIC). Only the
    /// members' shares count: sub-tasks are how a member organises its share, and adding one
    /// must not change the member's figures.
    pub async fn plan_rollup(
        &self,
        plan: &str,
        drafts: &DraftVisibility,
    ) -> Result<Vec<RollupRow>, StoreError> {
        let (sql, args) = rollup_query(plan, drafts);
        self.load_rollup(sql, args).await
    }

    /// [`Store::plan_rollup`] counted afresh from the tasks, sorted as it is: for tests that
    /// check the kept groups against the records.
    #[cfg(any(test, feature = "testing"))]
    pub async fn plan_rollup_counted(
        &self,
        plan: &str,
        drafts: &DraftVisibility,
    ) -> Result<Vec<RollupRow>, StoreError> {
        let (sql, args) = counted_rollup_query(plan, drafts);
        let mut rows = self.load_rollup(sql, args).await?;
        // Engines sort a missing area differently (SQLite first, PostgreSQL last); the kept
        // groups hold it as '', first on both.
        rows.sort_by(|a, b| {
            (a.area.as_deref().unwrap_or(""), a.jurisdiction)
                .cmp(&(b.area.as_deref().unwrap_or(""), b.jurisdiction))
        });
        Ok(rows)
    }

    async fn load_rollup(&self, sql: String, args: Vec<Arg>) -> Result<Vec<RollupRow>, StoreError> {
        let rows: Vec<RollupDbRow> = self.fetch(sql, args).await?;
        let count = |v: i64| u64::try_from(v).map_err(|_| corrupt("roll-up count", v.to_string()));
        rows.into_iter()
            .map(|r| {
                Ok(RollupRow {
                    jurisdiction: code("roll-up jurisdiction", &r.jurisdiction)?,
                    area: r.area,
                    tasks: count(r.tasks)?,
                    reported: count(r.reported)?,
                    reported_sum: count(r.reported_sum)?,
                    reported_done: count(r.reported_done)?,
                    verified: count(r.verified)?,
                    verified_sum: count(r.verified_sum)?,
                    verified_done: count(r.verified_done)?,
                })
            })
            .collect()
    }

    // -----------------------------------------------------------------------------------
    // Matters and tasks.

    /// Matters matching `filter`, in key order, with their tasks and status on `today`.
    pub async fn matters(
        &self,
        filter: &MatterFilter,
        today: Date,
        basis: ProgressBasis,
        cursor: Option<&str>,
        limit: u32,
    ) -> Result<Page<MatterState>, StoreError> {
        self.walk_matters(filter, today, basis, cursor, limit).await
    }

    /// [`Store::matters`] as lists show them: [`MatterLine`]s, each read with a few columns
    /// of its matter and of its members' tasks.
    pub async fn matter_lines(
        &self,
        filter: &MatterFilter,
        today: Date,
        basis: ProgressBasis,
        cursor: Option<&str>,
        limit: u32,
    ) -> Result<Page<MatterLine>, StoreError> {
        self.walk_matters(filter, today, basis, cursor, limit).await
    }

    /// Walks the matters matching `filter` in key order, reading them batch by batch as `T`s,
    /// until a page is full.
    ///
    /// Status is derived, not stored, so a status filter is applied to each fetched batch;
    /// the scan continues batch by batch (each a fixed number of queries) until the page is
    /// full or the matters run out.
    async fn walk_matters<T: Listed>(
        &self,
        filter: &MatterFilter,
        today: Date,
        basis: ProgressBasis,
        cursor: Option<&str>,
        limit: u32,
    ) -> Result<Page<T>, StoreError> {
        let limit = limit.clamp(1, MAX_PAGE) as usize;
        let mut after = match cursor {
            Some(c) => {
                let key = decode_cursor(c, 1)?.pop();
                if !key.as_deref().is_some_and(is_valid_key) {
                    return Err(StoreError::InvalidCursor);
                }
                key
            }
            None => None,
        };
        // Other statuses are derived only here, so a page of them is sifted from large
        // batches; overdue candidates are chosen by the database and nearly all are overdue.
        let batch = match filter.status {
            Some(MatterStatus::Overdue) | None => limit + 1,
            Some(_) => MAX_PAGE as usize,
        };
        let mut items = Vec::new();
        loop {
            let (page, args) = matter_page_query(filter, after.as_deref(), batch, today, basis);
            let fetched = T::load(self, page, args, today, basis).await?;
            let exhausted = fetched.len() < batch;
            for record in fetched {
                after = Some(record.key().to_owned());
                if filter.status.is_none_or(|s| s == record.status()) {
                    items.push(record);
                    if items.len() > limit {
                        items.truncate(limit);
                        let next_cursor = items.last().map(|s| encode_cursor(&[s.key()]));
                        return Ok(Page { items, next_cursor });
                    }
                }
            }
            if exhausted {
                return Ok(Page {
                    items,
                    next_cursor: None,
                });
            }
        }
    }

    /// One matter with its tasks, status, problems and recent reports.
    pub async fn matter(
        &self,
        key: &str,
        today: Date,
        basis: ProgressBasis,
    ) -> Result<Option<MatterDetail>, StoreError> {
        // Sent together (see `load_plans`); the problems of an unknown matter are none.
        let (mut states, problems) = tokio::try_join!(
            self.load_matter_states("WHERE key = $1", vec![key.into()], today, basis),
            self.load_problems("WHERE matter = $1", vec![key.into()]),
        )?;
        let Some(state) = states.pop() else {
            return Ok(None);
        };
        // Reports on sub-tasks are the matter's too.
        let tasks: Vec<&str> = state
            .tasks
            .iter()
            .chain(&state.subtasks)
            .map(|t| t.task.key.as_str())
            .collect();
        let recent_reports = self.recent_reports(&tasks).await?;
        Ok(Some(MatterDetail {
            state,
            problems,
            recent_reports,
        }))
    }

    /// The newest reports on `tasks` (a matter's), at most [`RECENT_REPORTS`], newest first.
    async fn recent_reports(&self, tasks: &[&str]) -> Result<Vec<ProgressReport>, StoreError> {
        if tasks.is_empty() {
            return Ok(Vec::new());
        }
        let order = format!("ORDER BY as_of DESC, key DESC LIMIT {RECENT_REPORTS}");
        match self.engine() {
            // SQLite reads the index and the rows of every report of the tasks and keeps the
            // newest cheaply; merging per-task lists, which it sorts one by one, cost it more.
            crate::Engine::Sqlite => {
                let (marks, args) = key_list(tasks);
                self.load_reports(&format!("WHERE task IN ({marks}) {order}"), args)
                    .await
            }
            // PostgreSQL merges each task's newest reports, read backwards along
            // `reports_task`, and stops at the limit: it reads about as many rows as it shows,
            // however many reports the tasks have. Given the tasks as one list, it read every
            // report of every task, each from its own page, and sorted them all.
            crate::Engine::Postgres => {
                // Padded with NULL, which matches no task, so that matters of different
                // sizes share a few statements.
                let len = padded_len(tasks.len());
                let newest: Vec<String> = (1..=len)
                    .map(|i| {
                        format!("(SELECT {REPORT_COLUMNS} FROM reports WHERE task = ${i} {order})")
                    })
                    .collect();
                let mut args: Vec<Arg> = tasks.iter().map(|t| Arg::from(*t)).collect();
                args.resize(len, Arg::Text(None));
                self.fetch_reports(
                    format!(
                        "SELECT {REPORT_COLUMNS} FROM ({}) reports {order}",
                        newest.join(" UNION ALL ")
                    ),
                    args,
                )
                .await
            }
        }
    }

    async fn load_matter_states(
        &self,
        filter: &str,
        args: Vec<Arg>,
        today: Date,
        basis: ProgressBasis,
    ) -> Result<Vec<MatterState>, StoreError> {
        let task_filter = format!("WHERE matter IN (SELECT key FROM matters {filter})");
        let task_order = format!("{task_filter} ORDER BY matter, key");
        // Independent statements, sent together (see `load_plans`).
        let (matters, mut tasks) = tokio::try_join!(
            self.load_matter_records(filter, args.clone(), true),
            self.load_tasks(&task_order, args.clone()),
        )?;
        self.rewind_progress(&mut tasks, &task_filter, args, today)
            .await?;
        let (tasks, subtasks): (Vec<TaskState>, Vec<TaskState>) =
            tasks.into_iter().partition(|t| t.parent.is_none());
        let mut tasks = group(tasks.into_iter().map(|t| (t.task.matter.clone(), t)));
        let mut subtasks = group(subtasks.into_iter().map(|t| (t.task.matter.clone(), t)));
        Ok(matters
            .into_iter()
            .map(|(matter, carried_to)| {
                let tasks = tasks.remove(&matter.key).unwrap_or_default();
                let subtasks = subtasks.remove(&matter.key).unwrap_or_default();
                let carried_from = matter.carried_from.clone();
                let progress: Vec<TaskProgress> = tasks
                    .iter()
                    .map(|t| TaskProgress {
                        start: t.task.start,
                        due: t.task.due,
                        percent: t.percent(basis),
                    })
                    .collect();
                let status = matter_status(matter.start, &progress, &matter.milestones, today);
                MatterState {
                    matter,
                    tasks,
                    subtasks,
                    status,
                    carried_from,
                    carried_to,
                }
            })
            .collect())
    }

    /// Statuses are derived for `today`, so a report dated after it must not count. The
    /// tasks' maintained progress is the latest overall; only when some of it postdates
    /// `today` (a look into the past) are the batch's reports up to `today` read to find the
    /// progress as it stood then.
    async fn rewind_progress(
        &self,
        tasks: &mut [TaskState],
        task_filter: &str,
        args: Vec<Arg>,
        today: Date,
    ) -> Result<(), StoreError> {
        let as_ofs = tasks.iter().map(|t| (t.reported_as_of, t.verified_as_of));
        let Some(by_task) = self.reports_up_to(as_ofs, task_filter, args, today).await? else {
            return Ok(());
        };
        for task in tasks.iter_mut() {
            let (reported, verified) = latest_figures(by_task.get(&task.task.key));
            task.reported_percent = reported.map(|(p, _)| p);
            task.reported_as_of = reported.map(|(_, d)| d);
            task.verified_percent = verified.map(|(p, _)| p);
            task.verified_as_of = verified.map(|(_, d)| d);
        }
        Ok(())
    }

    /// The reports up to `today` of the tasks `task_filter` selects, by task in date order;
    /// `None` (nothing read) when none of the tasks' latest figures, given as their
    /// (reported, verified) dates, postdates `today`.
    async fn reports_up_to(
        &self,
        mut as_ofs: impl Iterator<Item = (Option<Date>, Option<Date>)>,
        task_filter: &str,
        mut args: Vec<Arg>,
        today: Date,
    ) -> Result<Option<HashMap<String, Vec<ProgressReport>>>, StoreError> {
        let later = |d: Option<Date>| d.is_some_and(|d| d > today);
        if !as_ofs.any(|(reported, verified)| later(reported) || later(verified)) {
            return Ok(None);
        }
        let today_arg = args.len() + 1;
        args.push(today.into());
        let reports = self
            .load_reports(
                &format!(
                    "WHERE task IN (SELECT key FROM tasks {task_filter}) AND as_of <= ${today_arg} \
                     ORDER BY task, as_of, key"
                ),
                args,
            )
            .await?;
        Ok(Some(group(
            reports.into_iter().map(|r| (r.task.clone(), r)),
        )))
    }

    /// [`MatterLine`]s of the matters `filter` (a `WHERE` clause on `matters`) selects, read
    /// in one statement ([`lines_query`]).
    async fn load_matter_lines(
        &self,
        filter: &str,
        args: Vec<Arg>,
        today: Date,
        basis: ProgressBasis,
    ) -> Result<Vec<MatterLine>, StoreError> {
        let rows: Vec<MatterLineRow> = self
            .fetch(lines_query(self.engine(), filter), args.clone())
            .await?;
        let mut tasks = Vec::with_capacity(rows.len());
        for row in &rows {
            tasks.push(cells::<TaskCell>("list line tasks", &row.tasks)?);
        }
        let mut as_ofs = Vec::new();
        for (_, _, _, _, reported_as_of, _, verified_as_of) in tasks.iter().flatten() {
            as_ofs.push((
                opt_full_date("task reported as of", *reported_as_of)?,
                opt_full_date("task verified as of", *verified_as_of)?,
            ));
        }
        let task_filter =
            format!("WHERE parent IS NULL AND matter IN (SELECT key FROM matters {filter})");
        let rewound = self
            .reports_up_to(as_ofs.into_iter(), &task_filter, args, today)
            .await?;
        rows.iter()
            .zip(tasks)
            .map(|(r, tasks)| {
                let (leads, participants) = leads_and_participants(&r.members)?;
                let milestones = cells::<MilestoneCell>("list line milestones", &r.milestones)?
                    .into_iter()
                    .map(|(due, done_on)| {
                        Ok(Milestone {
                            title: Text::default(),
                            due: full_date("milestone due", due)?,
                            done_on: opt_full_date("milestone done", done_on)?,
                        })
                    })
                    .collect::<Result<Vec<_>, StoreError>>()?;
                // Each task's (reported, verified) percentages as they stood on `today`.
                let figures = tasks
                    .into_iter()
                    .map(|(key, start, due, reported, _, verified, _)| {
                        let (reported, verified) = match &rewound {
                            Some(by_task) => {
                                let (reported, verified) = latest_figures(by_task.get(key));
                                (reported.map(|(p, _)| p), verified.map(|(p, _)| p))
                            }
                            None => (
                                percent("task reported percent", reported)?,
                                percent("task verified percent", verified)?,
                            ),
                        };
                        let progress = TaskProgress {
                            start: opt_full_date("task start", start)?,
                            due: full_date("task due", due)?,
                            percent: basis.pick(reported, verified),
                        };
                        Ok((progress, reported, verified))
                    })
                    .collect::<Result<Vec<_>, StoreError>>()?;
                let progress: Vec<TaskProgress> = figures.iter().map(|(p, _, _)| *p).collect();
                Ok(MatterLine {
                    status: matter_status(r.start_date, &progress, &milestones, today),
                    mean_reported: mean_percent(figures.iter().map(|(_, r, _)| *r)),
                    mean_verified: mean_percent(figures.iter().map(|(_, _, v)| *v)),
                    key: r.key.clone(),
                    plan: r.plan.clone(),
                    area: r.area.clone(),
                    title: Text::new(r.title_zh.clone(), r.title_en.clone()),
                    leads,
                    participants,
                    start: r.start_date,
                    due: r.due_date,
                })
            })
            .collect()
    }

    pub(crate) async fn load_matters(
        &self,
        filter: &str,
        args: Vec<Arg>,
    ) -> Result<Vec<Matter>, StoreError> {
        let matters = self.load_matter_records(filter, args, false).await?;
        Ok(matters.into_iter().map(|(matter, _)| matter).collect())
    }

    /// The matters `filter` (a `WHERE` clause on `matters`) selects, in key order, read in one
    /// statement ([`matters_query`]); each, `with_carried`, with the newest matter that
    /// carries it over.
    async fn load_matter_records(
        &self,
        filter: &str,
        args: Vec<Arg>,
        with_carried: bool,
    ) -> Result<Vec<(Matter, Option<String>)>, StoreError> {
        let rows: Vec<MatterRow> = self
            .fetch(matters_query(self.engine(), filter, with_carried), args)
            .await?;
        rows.into_iter()
            .map(|r| {
                let (leads, participants) = leads_and_participants(&r.members)?;
                let milestones = cells::<MilestoneRecordCell>("matter milestones", &r.milestones)?
                    .into_iter()
                    .map(|(zh, en, due, done_on)| {
                        Ok(Milestone {
                            title: Text::new(zh, en),
                            due: full_date("milestone due", due)?,
                            done_on: opt_full_date("milestone done", done_on)?,
                        })
                    })
                    .collect::<Result<Vec<_>, StoreError>>()?;
                let keys = |what, json| -> Result<Vec<String>, StoreError> {
                    Ok(cells::<(String,)>(what, json)?
                        .into_iter()
                        .map(|(key,)| key)
                        .collect())
                };
                let matter = Matter {
                    milestones,
                    indicators: keys("matter indicators", &r.indicators)?,
                    agreements: keys("matter agreements", &r.agreements)?,
                    leads,
                    participants,
                    key: r.key,
                    plan: r.plan,
                    area: r.area,
                    title: Text::new(r.title_zh, r.title_en),
                    objective: Text::new(r.objective_zh, r.objective_en),
                    start: r.start_date,
                    due: r.due_date,
                    body: r.body,
                    published: r.published,
                    carried_from: r.carried_from,
                    source: r.source,
                };
                Ok((matter, r.carried_to))
            })
            .collect()
    }

    /// `filter` includes the ORDER BY.
    pub(crate) async fn load_tasks(
        &self,
        filter: &str,
        args: Vec<Arg>,
    ) -> Result<Vec<TaskState>, StoreError> {
        let rows = self
            .load_task_rows(format!("SELECT {TASK_COLUMNS} FROM tasks {filter}"), args)
            .await?;
        Ok(rows.into_iter().map(|(state, _)| state).collect())
    }

    /// The tasks `sql` reads (the columns of [`TASK_COLUMNS`], and perhaps their matters'
    /// titles as `matter_title_zh` and `matter_title_en`), each with its matter's title when read.
    pub(crate) async fn load_task_rows(
        &self,
        sql: String,
        args: Vec<Arg>,
    ) -> Result<Vec<(TaskState, Option<Text>)>, StoreError> {
        let rows: Vec<TaskRow> = self.fetch(sql, args).await?;
        rows.into_iter()
            .map(|r| {
                let matter_title = match (r.matter_title_zh, r.matter_title_en) {
                    (Some(zh), Some(en)) => Some(Text::new(zh, en)),
                    _ => None,
                };
                let state = TaskState {
                    reported_percent: percent("task reported percent", r.reported_percent)?,
                    verified_percent: percent("task verified percent", r.verified_percent)?,
                    reported_as_of: r.reported_as_of,
                    verified_as_of: r.verified_as_of,
                    parent: r.parent.clone(),
                    version: r.version,
                    task: Task {
                        jurisdiction: code("task jurisdiction", &r.jurisdiction)?,
                        key: r.key,
                        matter: r.matter,
                        parent: r.parent,
                        unit: Text::new(r.unit_zh, r.unit_en),
                        title: Text::new(r.title_zh, r.title_en),
                        start: r.start_date,
                        due: r.due_date,
                        source: r.source,
                    },
                };
                Ok((state, matter_title))
            })
            .collect()
    }

    /// `filter` includes the ORDER BY.
    pub(crate) async fn load_reports(
        &self,
        filter: &str,
        args: Vec<Arg>,
    ) -> Result<Vec<ProgressReport>, StoreError> {
        self.fetch_reports(
            format!("SELECT {REPORT_COLUMNS} FROM reports {filter}"),
            args,
        )
        .await
    }

    /// The reports a whole statement selects, by [`REPORT_COLUMNS`].
    async fn fetch_reports(
        &self,
        sql: String,
        args: Vec<Arg>,
    ) -> Result<Vec<ProgressReport>, StoreError> {
        let rows: Vec<ReportRow> = self.fetch(sql, args).await?;
        rows.into_iter()
            .map(|r| {
                Ok(ProgressReport {
                    percent: percent("report percent", Some(r.percent))?.unwrap_or_default(),
                    state: parse_enum("report state", &r.state)?,
                    evidence: from_json("report evidence", &r.evidence)?,
                    key: r.key,
                    task: r.task,
                    as_of: r.as_of,
                    narrative: Text::new(r.narrative_zh, r.narrative_en),
                    return_reason: Text::new(r.return_reason_zh, r.return_reason_en),
                    source: r.source,
                })
            })
            .collect()
    }

    pub(crate) async fn load_problems(
        &self,
        filter: &str,
        args: Vec<Arg>,
    ) -> Result<Vec<Problem>, StoreError> {
        let rows: Vec<ProblemRow> = self
            .fetch(
                format!("SELECT {PROBLEM_COLUMNS} FROM problems {filter} ORDER BY raised_on, key"),
                args,
            )
            .await?;
        rows.into_iter()
            .map(|r| {
                Ok(Problem {
                    tier: parse_enum("problem tier", &r.tier)?,
                    resolved_tier: r
                        .resolved_tier
                        .as_deref()
                        .map(|t| parse_enum("problem resolved tier", t))
                        .transpose()?,
                    key: r.key,
                    matter: r.matter,
                    task: r.task,
                    title: Text::new(r.title_zh, r.title_en),
                    description: Text::new(r.description_zh, r.description_en),
                    raised_on: r.raised_on,
                    due: r.due_date,
                    escalated_on: r.escalated_on,
                    resolved_on: r.resolved_on,
                    resolution: Text::new(r.resolution_zh, r.resolution_en),
                    source: r.source,
                })
            })
            .collect()
    }

    // -----------------------------------------------------------------------------------
    // Agreements.

    /// Agreements, newest signature first; with `party`, only those it is party to.
    pub async fn agreements(&self, party: Option<AdminCode>) -> Result<Vec<Agreement>, StoreError> {
        let filter = "WHERE $1 IS NULL OR key IN (SELECT agreement FROM agreement_parties WHERE jurisdiction = $1)";
        let mut agreements = self
            .load_agreements(filter, vec![party.map(|c| c.to_string()).into()])
            .await?;
        agreements.sort_by(|a, b| (b.signed_on, &a.key).cmp(&(a.signed_on, &b.key)));
        Ok(agreements)
    }

    /// One agreement.
    pub async fn agreement(&self, key: &str) -> Result<Option<Agreement>, StoreError> {
        Ok(self
            .load_agreements("WHERE key = $1", vec![key.into()])
            .await?
            .pop())
    }

    pub(crate) async fn load_agreements(
        &self,
        filter: &str,
        args: Vec<Arg>,
    ) -> Result<Vec<Agreement>, StoreError> {
        let rows: Vec<AgreementRow> = self
            .fetch(
                format!("SELECT {AGREEMENT_COLUMNS} FROM agreements {filter} ORDER BY key"),
                args.clone(),
            )
            .await?;
        let parties: Vec<PartyRow> = self
            .fetch(
                format!(
                    "SELECT agreement, jurisdiction, signatory_zh, signatory_en, signed_on FROM agreement_parties \
                     WHERE agreement IN (SELECT key FROM agreements {filter}) ORDER BY agreement, seq"
                ),
                args.clone(),
            )
            .await?;
        let signatures: Vec<SignatureRow> = self
            .fetch(
                format!(
                    "SELECT agreement, jurisdiction, text_hash, key_id, signature, signed_by, signed_at \
                     FROM agreement_signatures WHERE agreement IN (SELECT key FROM agreements {filter})"
                ),
                args,
            )
            .await?;
        let mut parties = group(parties.into_iter().map(|p| (p.agreement.clone(), p)));
        let mut signatures = group(signatures.into_iter().map(|s| (s.agreement.clone(), s)));
        rows.into_iter()
            .map(|r| {
                let parties = parties
                    .remove(&r.key)
                    .unwrap_or_default()
                    .into_iter()
                    .map(|p| {
                        Ok(Party {
                            jurisdiction: code("party jurisdiction", &p.jurisdiction)?,
                            signatory: Text::new(p.signatory_zh, p.signatory_en),
                            signed_on: opt_date("party signature", p.signed_on.as_deref())?,
                        })
                    })
                    .collect::<Result<_, StoreError>>()?;
                let mut signatures = signatures
                    .remove(&r.key)
                    .unwrap_or_default()
                    .into_iter()
                    .map(|s| {
                        Ok(PartySignature {
                            jurisdiction: code("signature jurisdiction", &s.jurisdiction)?,
                            text_hash: s.text_hash,
                            key_id: s.key_id,
                            signature: s.signature,
                            signed_by: s.signed_by,
                            signed_at: s.signed_at,
                        })
                    })
                    .collect::<Result<Vec<_>, StoreError>>()?;
                // Ordered here rather than in SQL: the engines' collations order text alike
                // only for plain ASCII letters and digits.
                signatures.sort_by(|a, b| a.order().cmp(&b.order()));
                Ok(Agreement {
                    signed_on: opt_date("agreement signature", r.signed_on.as_deref())?,
                    in_force_on: opt_date("agreement entry into force", r.in_force_on.as_deref())?,
                    state: parse_enum("agreement state", &r.state)?,
                    key: r.key,
                    title: Text::new(r.title_zh, r.title_en),
                    summary: Text::new(r.summary_zh, r.summary_en),
                    meeting: r.meeting,
                    expires_on: r.expires_on,
                    ended_on: r.ended_on,
                    ended_reason: Text::new(r.ended_reason_zh, r.ended_reason_en),
                    text: Text::new(r.text_zh, r.text_en),
                    text_hash: r.text_hash,
                    parties,
                    signatures,
                    source: r.source,
                })
            })
            .collect()
    }

    // -----------------------------------------------------------------------------------
    // Indicators and observations.

    /// Every indicator, ordered by key.
    pub async fn indicators(&self) -> Result<Vec<Indicator>, StoreError> {
        self.load_indicators("", vec![]).await
    }

    /// One indicator with all its observations.
    pub async fn indicator(
        &self,
        key: &str,
    ) -> Result<Option<IndicatorWithObservations>, StoreError> {
        let Some(indicator) = self
            .load_indicators("WHERE key = $1", vec![key.into()])
            .await?
            .pop()
        else {
            return Ok(None);
        };
        let observations = self
            .load_observations(
                "WHERE indicator = $1 ORDER BY obs_date, key",
                vec![key.into()],
            )
            .await?;
        Ok(Some(IndicatorWithObservations {
            indicator,
            observations,
        }))
    }

    /// The headline figures: up to `limit` indicators, each with its latest observation.
    /// Those of `zone` (the region's own) come first, the most tracked (most observations)
    /// first; when they are fewer than `limit`, others follow in key order. Indicators
    /// without observations have no figure to show and are left out.
    ///
    /// Only the region's indicators are counted: counting every indicator's observations
    /// would read them all, and a large region has millions.
    pub async fn headline_indicators(
        &self,
        zone: &str,
        limit: u32,
    ) -> Result<Vec<(Indicator, Observation)>, StoreError> {
        let mut keys: Vec<(String,)> = self
            .fetch(
                HEADLINE_REGIONAL.into(),
                vec![zone.into(), i64::from(limit).into()],
            )
            .await?;
        if keys.len() < limit as usize {
            let rest = (limit as usize - keys.len()) as i64;
            keys.extend(
                self.fetch::<(String,)>(HEADLINE_OTHERS.into(), vec![zone.into(), rest.into()])
                    .await?,
            );
        }
        if keys.is_empty() {
            return Ok(vec![]);
        }
        let names: Vec<&str> = keys.iter().map(|(k,)| k.as_str()).collect();
        let mut indicators: HashMap<String, Indicator> = self
            .indicators_named(&names)
            .await?
            .into_iter()
            .map(|i| (i.key.clone(), i))
            .collect();
        let (marks, args) = key_list(&names);
        let latest = self
            .load_observations(
                &format!(
                    "WHERE key IN (SELECT (SELECT o.key FROM observations o WHERE o.indicator = i.key \
                     ORDER BY o.obs_date DESC, o.key DESC LIMIT 1) FROM indicators i WHERE i.key IN ({marks})) \
                     ORDER BY key"
                ),
                args,
            )
            .await?;
        let mut latest: HashMap<String, Observation> = latest
            .into_iter()
            .map(|o| (o.indicator.clone(), o))
            .collect();
        Ok(keys
            .into_iter()
            .filter_map(|(key,)| Some((indicators.remove(&key)?, latest.remove(&key)?)))
            .collect())
    }

    /// The indicators with these keys, in key order; keys of no indicator are skipped.
    pub async fn indicators_named(&self, keys: &[&str]) -> Result<Vec<Indicator>, StoreError> {
        if keys.is_empty() {
            return Ok(Vec::new());
        }
        let (marks, args) = key_list(keys);
        self.load_indicators(&format!("WHERE key IN ({marks})"), args)
            .await
    }

    /// Every indicator with the observations its assessment reads: all of them for an
    /// indicator with targets, none for one without (it has nothing to be judged against).
    /// What the list of indicators shows, without reading the observations of thousands of
    /// monitoring series.
    pub async fn indicators_for_assessment(
        &self,
    ) -> Result<Vec<IndicatorWithObservations>, StoreError> {
        self.indicators_with(
            "WHERE indicator IN (SELECT key FROM indicators WHERE targets <> '[]')",
        )
        .await
    }

    /// A page of the indicators in key order, each with the observations its assessment
    /// reads (as [`Store::indicators_for_assessment`]); the cursor names the last indicator
    /// of the previous page. Three queries, whatever the number of indicators.
    pub async fn indicators_for_assessment_page(
        &self,
        cursor: Option<&str>,
        limit: u32,
    ) -> Result<Page<IndicatorWithObservations>, StoreError> {
        let limit = limit.clamp(1, MAX_PAGE);
        let (filter, args) = match cursor {
            None => (String::new(), vec![]),
            Some(cursor) => {
                let after = decode_cursor(cursor, 1)?.remove(0);
                if !is_valid_key(&after) {
                    return Err(StoreError::InvalidCursor);
                }
                ("WHERE key > $1".to_owned(), vec![after.into()])
            }
        };
        let mut indicators = self
            .load_indicators_limited(&filter, args, Some(limit + 1))
            .await?;
        let next_cursor = (indicators.len() > limit as usize).then(|| {
            indicators.truncate(limit as usize);
            encode_cursor(&[&indicators.last().expect("a full page").key])
        });
        let judged: Vec<&str> = indicators
            .iter()
            .filter(|i| !i.targets.is_empty())
            .map(|i| i.key.as_str())
            .collect();
        let observations = if judged.is_empty() {
            Vec::new()
        } else {
            let (marks, args) = key_list(&judged);
            self.load_observations(
                &format!("WHERE indicator IN ({marks}) ORDER BY indicator, obs_date, key"),
                args,
            )
            .await?
        };
        Ok(Page {
            items: with_observations(indicators, observations),
            next_cursor,
        })
    }

    /// The indicators whose scope is `scope_id` (a member's code, a zone's or a site's key),
    /// each with the observations its assessment reads: what a member's page shows, without
    /// reading every indicator of the region.
    pub async fn indicators_for_assessment_of(
        &self,
        scope_id: &str,
    ) -> Result<Vec<IndicatorWithObservations>, StoreError> {
        let indicators = self
            .load_indicators("WHERE scope_id = $1", vec![scope_id.into()])
            .await?;
        let observations = self
            .load_observations(
                "WHERE indicator IN (SELECT key FROM indicators WHERE scope_id = $1 AND targets <> '[]') \
                 ORDER BY indicator, obs_date, key",
                vec![scope_id.into()],
            )
            .await?;
        Ok(with_observations(indicators, observations))
    }

    /// Every indicator with all its observations (two queries in all).
    pub async fn indicators_with_observations(
        &self,
    ) -> Result<Vec<IndicatorWithObservations>, StoreError> {
        self.indicators_with("").await
    }

    /// Every indicator, each with those of its observations `filter` keeps.
    async fn indicators_with(
        &self,
        filter: &str,
    ) -> Result<Vec<IndicatorWithObservations>, StoreError> {
        let indicators = self.indicators().await?;
        let observations = self
            .load_observations(
                &format!("{filter} ORDER BY indicator, obs_date, key"),
                vec![],
            )
            .await?;
        Ok(with_observations(indicators, observations))
    }

    async fn load_indicators(
        &self,
        filter: &str,
        args: Vec<Arg>,
    ) -> Result<Vec<Indicator>, StoreError> {
        self.load_indicators_limited(filter, args, None).await
    }

    /// The indicators `filter` selects in key order, at most `limit` of them.
    async fn load_indicators_limited(
        &self,
        filter: &str,
        args: Vec<Arg>,
        limit: Option<u32>,
    ) -> Result<Vec<Indicator>, StoreError> {
        let limit = limit.map_or(String::new(), |n| format!(" LIMIT {n}"));
        let rows: Vec<IndicatorRow> = self
            .fetch(
                format!("SELECT {INDICATOR_COLUMNS} FROM indicators {filter} ORDER BY key{limit}"),
                args,
            )
            .await?;
        rows.into_iter()
            .map(|r| {
                let scope = match r.scope_kind.as_str() {
                    "jurisdiction" => Scope::Jurisdiction(code("indicator scope", &r.scope_id)?),
                    "zone" => Scope::Zone(r.scope_id),
                    _ => Scope::Site(r.scope_id),
                };
                Ok(Indicator {
                    classes: from_json("indicator classes", &r.classes)?,
                    direction: parse_enum("indicator direction", &r.direction)?,
                    baseline: r
                        .baseline
                        .as_deref()
                        .map(|b| from_json("indicator baseline", b))
                        .transpose()?,
                    targets: from_json("indicator targets", &r.targets)?,
                    key: r.key,
                    name: Text::new(r.name_zh, r.name_en),
                    description: Text::new(r.description_zh, r.description_en),
                    unit: Text::new(r.unit_zh, r.unit_en),
                    scope,
                    source: r.source,
                })
            })
            .collect()
    }

    /// `filter` includes the ORDER BY.
    pub(crate) async fn load_observations(
        &self,
        filter: &str,
        args: Vec<Arg>,
    ) -> Result<Vec<Observation>, StoreError> {
        let rows: Vec<ObservationRow> = self
            .fetch(
                format!("SELECT {OBSERVATION_COLUMNS} FROM observations {filter}"),
                args,
            )
            .await?;
        rows.into_iter()
            .map(|r| {
                let value = match (r.value_number, r.value_class) {
                    (Some(n), None) => Value::Number(n),
                    (None, Some(c)) => Value::Class(c),
                    _ => return Err(corrupt("observation value", r.key)),
                };
                Ok(Observation {
                    date: date("observation date", &r.obs_date)?,
                    jurisdiction: opt_code("observation jurisdiction", r.jurisdiction.as_deref())?,
                    qualifier: parse_enum("observation qualifier", &r.qualifier)?,
                    key: r.key,
                    indicator: r.indicator,
                    value,
                    site: r.site,
                    note: Text::new(r.note_zh, r.note_en),
                    source: r.source,
                })
            })
            .collect()
    }

    /// Every member's public keys, active and retired, by id.
    async fn load_member_keys(&self) -> Result<Vec<MemberKey>, StoreError> {
        let rows: Vec<MemberKeyRow> = self
            .fetch(
                "SELECT id, jurisdiction, public_key, created_at, retired_at FROM member_keys"
                    .into(),
                vec![],
            )
            .await?;
        let mut keys = rows
            .into_iter()
            .map(|r| {
                Ok(MemberKey {
                    jurisdiction: code("key member", &r.jurisdiction)?,
                    id: r.id,
                    public_key: r.public_key,
                    created_at: r.created_at,
                    retired_at: r.retired_at,
                })
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        keys.sort_by(|a, b| a.id.cmp(&b.id));
        Ok(keys)
    }

    // -----------------------------------------------------------------------------------
    // The whole dataset.

    /// Everything in the database as a dataset (what `yrd export` writes).
    pub async fn export(&self) -> Result<Dataset, StoreError> {
        Ok(Dataset {
            jurisdictions: self.jurisdictions().await?,
            zones: self.zones().await?,
            bodies: self.load_bodies().await?,
            seats: self.load_seats().await?,
            meetings: self
                .load_meetings("", vec![])
                .await?
                .into_iter()
                .map(|m| m.meeting)
                .collect(),
            decisions: self.load_decisions("", vec![]).await?,
            plans: self.plans().await?,
            matters: self.load_matters("", vec![]).await?,
            tasks: self
                .load_tasks("ORDER BY key", vec![])
                .await?
                .into_iter()
                .map(|t| t.task)
                .collect(),
            reports: self.load_reports("ORDER BY key", vec![]).await?,
            problems: self.load_problems("", vec![]).await?,
            agreements: self.load_agreements("", vec![]).await?,
            member_keys: self.load_member_keys().await?,
            indicators: self.indicators().await?,
            observations: self
                .load_observations("ORDER BY indicator, obs_date, key", vec![])
                .await?,
        })
    }
}

/// SQLite's query plans, for the tests that check a query is answered by an index.
#[cfg(test)]
pub(crate) mod query_plan {
    use crate::Store;
    use crate::exec::Arg;

    /// What SQLite's planner will do with a query, one line per step.
    pub(crate) async fn plan(store: &Store, sql: &str, args: Vec<Arg>) -> Vec<String> {
        let rows: Vec<(i64, i64, i64, String)> = store
            .fetch(format!("EXPLAIN QUERY PLAN {sql}"), args)
            .await
            .expect("explain");
        rows.into_iter().map(|(_, _, _, detail)| detail).collect()
    }

    /// "SCAN t" without an index reads every row; "SCAN t USING INDEX" walks an index in
    /// order and stops at the LIMIT.
    pub(crate) fn reads_whole_table(plan: &[String]) -> bool {
        plan.iter()
            .any(|step| step.starts_with("SCAN ") && !step.contains("USING"))
    }

    /// A whole table read, or a temp B-tree that sorts the whole matching set.
    pub(crate) fn scans_whole_table(plan: &[String]) -> bool {
        reads_whole_table(plan) || plan.iter().any(|step| step.contains("TEMP B-TREE"))
    }
}

#[cfg(test)]
mod tests {
    use super::query_plan::{plan, reads_whole_table, scans_whole_table};
    use super::*;
    use crate::testing::ScratchStore;

    #[tokio::test]
    async fn page_queries_are_answered_by_indexes() {
        let scratch = ScratchStore::sqlite().await.expect("scratch");
        let member: AdminCode = "320000".parse().unwrap();
        let filters = [
            MatterFilter::default(),
            MatterFilter {
                plan: Some("p".into()),
                ..Default::default()
            },
            MatterFilter {
                plan: Some("p".into()),
                area: Some("a".into()),
                ..Default::default()
            },
            MatterFilter {
                member: Some(member),
                ..Default::default()
            },
            MatterFilter {
                drafts: DraftVisibility::OfBodies(vec!["group".into()]),
                ..Default::default()
            },
            MatterFilter {
                drafts: DraftVisibility::All,
                ..Default::default()
            },
            MatterFilter {
                status: Some(MatterStatus::Overdue),
                ..Default::default()
            },
        ];
        for filter in &filters {
            for after in [None, Some("m-1")] {
                let (sql, args) = matter_page_query(
                    filter,
                    after,
                    50,
                    time::macros::date!(2026 - 06 - 01),
                    ProgressBasis::Verified,
                );
                let steps = plan(&scratch.store, &sql, args).await;
                assert!(
                    !scans_whole_table(&steps),
                    "{filter:?} after {after:?}: {steps:?}"
                );
            }
        }
        for body in [None, Some("symposium".to_string())] {
            for after in [
                None,
                Some(("2024-06-05".to_string(), "symposium-2024".to_string())),
            ] {
                let filter = MeetingFilter { body: body.clone() };
                let (sql, args) = meeting_page_query(&filter, after.clone(), 50);
                let steps = plan(&scratch.store, &sql, args).await;
                assert!(
                    !scans_whole_table(&steps),
                    "{filter:?} after {after:?}: {steps:?}"
                );
            }
        }
        // A roll-up reads only its plan's kept groups, by their primary key.
        for drafts in [
            DraftVisibility::OfBodies(vec![]),
            DraftVisibility::OfBodies(vec!["group".into()]),
            DraftVisibility::All,
        ] {
            let (sql, args) = rollup_query("p", &drafts);
            let steps = plan(&scratch.store, &sql, args).await;
            assert!(
                !reads_whole_table(&steps)
                    && steps
                        .iter()
                        .any(|step| step.contains("SEARCH r USING PRIMARY KEY (plan=?)")),
                "roll-up with {drafts:?}: {steps:?}"
            );
        }
        // A list's lines read their matters by key, and each one's members, milestones and
        // members' tasks by matter.
        let (page, args) = matter_page_query(
            &MatterFilter {
                plan: Some("p".into()),
                ..Default::default()
            },
            None,
            51,
            time::macros::date!(2026 - 06 - 01),
            ProgressBasis::Reported,
        );
        let sql = lines_query(crate::Engine::Sqlite, &format!("WHERE key IN ({page})"));
        let steps = plan(&scratch.store, &sql, args).await;
        // Each of `indexes` answers a step, and no step reads a whole table.
        let searches_by = |steps: &[String], indexes: &[&str], what: &str| {
            for index in indexes {
                assert!(
                    steps.iter().any(|step| step.contains(index)) && !reads_whole_table(steps),
                    "{what} by {index}: {steps:?}"
                );
            }
        };
        searches_by(
            &steps,
            &[
                "SEARCH t USING INDEX tasks_matter_parent (matter=? AND parent=?)",
                "SEARCH mm USING INDEX sqlite_autoindex_matter_members_1 (matter=?)",
                "SEARCH ms USING INDEX sqlite_autoindex_milestones_1 (matter=?)",
            ],
            "a list's lines",
        );
        // A page of matters reads each one's parts by matter, and the matter that carries it
        // over by the index of carried-over matters.
        let sql = matters_query(crate::Engine::Sqlite, "WHERE key IN ($1, $2)", true);
        let steps = plan(&scratch.store, &sql, vec!["m-1".into(), "m-2".into()]).await;
        searches_by(
            &steps,
            &[
                "SEARCH mm USING INDEX sqlite_autoindex_matter_members_1 (matter=?)",
                "SEARCH ms USING INDEX sqlite_autoindex_milestones_1 (matter=?)",
                "SEARCH mi USING COVERING INDEX sqlite_autoindex_matter_indicators_1 (matter=?)",
                "SEARCH ma USING COVERING INDEX sqlite_autoindex_matter_agreements_1 (matter=?)",
                "SEARCH c USING INDEX",
            ],
            "a page of matters",
        );
        // A plan's areas are read by plan.
        let steps = plan(
            &scratch.store,
            &format!(
                "SELECT key, {} AS areas FROM plans WHERE key = $1",
                gathered(
                    crate::Engine::Sqlite,
                    "a.key",
                    "FROM plan_areas a WHERE a.plan = plans.key",
                    "a.seq"
                )
            ),
            vec!["p".into()],
        )
        .await;
        assert!(
            steps
                .iter()
                .any(|step| step.starts_with("SEARCH a USING") && step.contains("(plan=?)"))
                && !reads_whole_table(&steps),
            "a plan's areas: {steps:?}"
        );
        // Each page and detail query of the portal and the API, by the index that answers it.
        // The headline figures sort only the region's own indicators, found by their scope.
        let steps = plan(
            &scratch.store,
            HEADLINE_REGIONAL,
            vec!["yrd".into(), 8_i64.into()],
        )
        .await;
        assert!(
            steps.iter().any(|step| step.contains("indicators_scope"))
                && !reads_whole_table(&steps),
            "headline figures: {steps:?}"
        );
        let answered_by = [
            (
                HEADLINE_OTHERS,
                vec!["yrd".into(), 8_i64.into()],
                "observations_indicator",
            ),
            (
                "SELECT key FROM observations WHERE indicator = $1 ORDER BY obs_date DESC, key DESC LIMIT 1",
                vec!["i".into()],
                "observations_indicator",
            ),
            (
                "SELECT key FROM reports WHERE task = $1 ORDER BY as_of, key",
                vec!["t".into()],
                "reports_task",
            ),
            (
                "SELECT seq FROM journal WHERE record_kind = $1 AND record_key = $2 AND seq > $3 ORDER BY seq LIMIT 50",
                vec!["task".into(), "t".into(), 0_i64.into()],
                "journal_record",
            ),
            (
                "SELECT key FROM tasks WHERE jurisdiction = $1 ORDER BY due_date, key LIMIT 50",
                vec!["320000".into()],
                "tasks_jurisdiction_due",
            ),
            (
                "SELECT key FROM problems WHERE resolved_on IS NULL AND tier = $1 ORDER BY raised_on",
                vec!["execution".into()],
                "problems_open",
            ),
            (LATEST_CLOSED_MEETING, vec![], "meetings_closed_by_date"),
        ];
        for (sql, args, index) in answered_by {
            let steps = plan(&scratch.store, sql, args).await;
            assert!(
                steps.iter().any(|step| step.contains(index)) && !scans_whole_table(&steps),
                "{sql} by {index}: {steps:?}"
            );
        }
        scratch.cleanup().await.expect("cleanup");
    }

    #[test]
    fn key_lists_come_in_a_few_lengths() {
        let lengths: std::collections::BTreeSet<usize> = (0..=200).map(padded_len).collect();
        assert_eq!(
            lengths.into_iter().collect::<Vec<_>>(),
            [0, 1, 2, 4, 8, 16, 32, 64, 128, 192, 256]
        );
        let (marks, args) = key_list(&["a", "b", "c"]);
        assert_eq!(marks, "$1, $2, $3, $4");
        assert_eq!(args, ["a", "b", "c", "c"].map(Arg::from).to_vec());
        assert_eq!(key_list(&[]), (String::new(), vec![]));
    }

    #[test]
    fn conditions_number_their_placeholders_in_order() {
        let mut conditions = Conditions::default();
        conditions.add("a = ?", vec!["x".into()]);
        conditions.add("(b, c) < (?, ?)", vec!["y".into(), "z".into()]);
        assert_eq!(
            conditions.where_clause(),
            "WHERE a = $1 AND (b, c) < ($2, $3)"
        );
        assert_eq!(conditions.args.len(), 3);
        assert_eq!(Conditions::default().where_clause(), "");
    }
}
