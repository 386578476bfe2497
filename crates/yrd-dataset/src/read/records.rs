//! The records of each file: the raw form the file spells (plain strings and TOML values,
//! so that every field can be checked on its own) and its conversion into the domain types.

use std::collections::HashMap;

use serde::Deserialize;
use serde::de::{DeserializeOwned, IgnoredAny};
use yrd_domain::rules::DecisionStatus;
use yrd_domain::{
    Agreement, AgreementState, Area, Attendee, Body, Dataset, Decision, DecisionSubject, Document,
    Indicator, Jurisdiction, LatLon, Matter, Meeting, MeetingState, MemberKey, Milestone,
    Observation, Party, PartySignature, Plan, Position, Problem, ProgressReport, Qualifier, Scope,
    Seat, Target, Task, Text, Tier, Value, Zone,
};

use super::csv_file::{self, Row};
use super::fields::Fields;
use super::toml_file::{self, TomlDoc};
use super::{Ctx, RecordLines};
use crate::kind::Kind;

pub(crate) const JURISDICTION_COLUMNS: &[&str] = &[
    "code", "parent", "name_zh", "name_en", "lat", "lon", "source",
];
pub(crate) const SEAT_COLUMNS: &[&str] = &[
    "key",
    "body",
    "jurisdiction",
    "role_zh",
    "role_en",
    "holder_zh",
    "holder_en",
    "term_start",
    "term_end",
    "source",
];
pub(crate) const TASK_COLUMNS: &[&str] = &[
    "key",
    "matter",
    "parent",
    "jurisdiction",
    "unit_zh",
    "unit_en",
    "title_zh",
    "title_en",
    "start",
    "due",
    "source",
];
pub(crate) const REPORT_COLUMNS: &[&str] = &[
    "key",
    "task",
    "as_of",
    "percent",
    "state",
    "narrative_zh",
    "narrative_en",
    "evidence",
    "return_reason_zh",
    "return_reason_en",
    "source",
];
pub(crate) const PROBLEM_COLUMNS: &[&str] = &[
    "key",
    "matter",
    "task",
    "title_zh",
    "title_en",
    "description_zh",
    "description_en",
    "tier",
    "raised_on",
    "due",
    "escalated_on",
    "resolved_on",
    "resolved_tier",
    "resolution_zh",
    "resolution_en",
    "source",
];
pub(crate) const MEMBER_KEY_COLUMNS: &[&str] = &[
    "id",
    "jurisdiction",
    "public_key",
    "created_at",
    "retired_at",
];

/// Columns a file may leave out, all added after files of the public record were written:
/// what the mechanism records as it runs (sub-tasks, return reasons, escalations).
const TASK_OPTIONAL_COLUMNS: &[&str] = &["parent"];
const REPORT_OPTIONAL_COLUMNS: &[&str] = &["return_reason_zh", "return_reason_en"];
const PROBLEM_OPTIONAL_COLUMNS: &[&str] = &[
    "description_zh",
    "description_en",
    "escalated_on",
    "resolved_tier",
];
pub(crate) const OBSERVATION_COLUMNS: &[&str] = &[
    "key",
    "indicator",
    "date",
    "value",
    "qualifier",
    "jurisdiction",
    "site",
    "note_zh",
    "note_en",
    "source",
];

/// Parses one file's records into `ds`.
pub(super) fn parse(ctx: &mut Ctx, kind: Kind, text: &str, ds: &mut Dataset) {
    match kind {
        Kind::Jurisdiction => csv_records(
            ctx,
            kind,
            text,
            (JURISDICTION_COLUMNS, &[]),
            &mut ds.jurisdictions,
            jurisdiction,
        ),
        Kind::Zone => toml_records(ctx, kind, text, "zone", &mut ds.zones, zone),
        Kind::Body => toml_records(ctx, kind, text, "body", &mut ds.bodies, body),
        Kind::Seat => csv_records(ctx, kind, text, (SEAT_COLUMNS, &[]), &mut ds.seats, seat),
        Kind::Meeting | Kind::Decision => meetings(ctx, text, ds),
        Kind::Plan => toml_records(ctx, kind, text, "plan", &mut ds.plans, plan),
        Kind::Matter => toml_records(ctx, kind, text, "matter", &mut ds.matters, matter),
        Kind::Task => csv_records(
            ctx,
            kind,
            text,
            (TASK_COLUMNS, TASK_OPTIONAL_COLUMNS),
            &mut ds.tasks,
            task,
        ),
        Kind::Report => csv_records(
            ctx,
            kind,
            text,
            (REPORT_COLUMNS, REPORT_OPTIONAL_COLUMNS),
            &mut ds.reports,
            report,
        ),
        Kind::Problem => csv_records(
            ctx,
            kind,
            text,
            (PROBLEM_COLUMNS, PROBLEM_OPTIONAL_COLUMNS),
            &mut ds.problems,
            problem,
        ),
        Kind::Agreement => {
            toml_records(ctx, kind, text, "agreement", &mut ds.agreements, agreement)
        }
        Kind::MemberKey => csv_records(
            ctx,
            kind,
            text,
            (MEMBER_KEY_COLUMNS, &[]),
            &mut ds.member_keys,
            member_key,
        ),
        Kind::Indicator => {
            toml_records(ctx, kind, text, "indicator", &mut ds.indicators, indicator)
        }
        Kind::Observation => {
            // Whether each indicator is categorical decides how a value cell reads.
            let categorical: HashMap<String, bool> = ds
                .indicators
                .iter()
                .map(|i| (i.key.clone(), !i.classes.is_empty()))
                .collect();
            csv_records(
                ctx,
                kind,
                text,
                (OBSERVATION_COLUMNS, &[]),
                &mut ds.observations,
                |f, row| observation(f, row, &categorical),
            )
        }
    }
}

/// Reads a CSV file's records; `columns` are every column and those of them a file may leave
/// out.
fn csv_records<T>(
    ctx: &mut Ctx,
    kind: Kind,
    text: &str,
    columns: (&'static [&'static str], &[&str]),
    out: &mut Vec<T>,
    convert: impl Fn(&mut Fields<'_>, &Row) -> Option<T>,
) {
    let (columns, optional) = columns;
    let Some(rows) = csv_file::rows(ctx, kind, text, columns, optional) else {
        ctx.broken.all(kind);
        return;
    };
    for row in rows {
        let row = match row {
            Ok(row) => row,
            Err(key) => {
                ctx.broken.key(kind, key);
                continue;
            }
        };
        let mut fields = Fields::row(kind, row.line, &mut ctx.errors);
        match convert(&mut fields, &row).filter(|_| !fields.failed()) {
            Some(record) => {
                ctx.locator.add(kind, out.len(), RecordLines::row(row.line));
                out.push(record);
            }
            None => ctx.broken.key(kind, row.cell(columns[0]).to_owned()),
        }
    }
}

fn toml_records<R: DeserializeOwned, T>(
    ctx: &mut Ctx,
    kind: Kind,
    text: &str,
    table: &str,
    out: &mut Vec<T>,
    convert: impl Fn(&mut Fields<'_>, R) -> Option<T>,
) {
    let doc = TomlDoc::new(kind, text);
    let Some(records) = doc.records(table, ctx) else {
        ctx.broken.all(kind);
        return;
    };
    for record in &records {
        let lines = doc.lines(record);
        let converted = doc.deserialize::<R>(record, ctx).and_then(|raw| {
            let mut fields = Fields::toml(kind, &lines, &mut ctx.errors);
            convert(&mut fields, raw).filter(|_| !fields.failed())
        });
        match converted {
            Some(value) => {
                ctx.locator.add(kind, out.len(), lines);
                out.push(value);
            }
            None => ctx.broken.key(
                kind,
                toml_file::string_field(record, "key").unwrap_or_default(),
            ),
        }
    }
}

/// A bilingual text as TOML spells it: `{ zh = "…", en = "…" }`. Both keys may be left out
/// here; whether the Chinese is required is checked with the record.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawText {
    #[serde(default)]
    zh: String,
    #[serde(default)]
    en: String,
}

impl From<RawText> for Text {
    fn from(raw: RawText) -> Text {
        Text {
            zh: raw.zh,
            en: raw.en,
        }
    }
}

fn text(raw: Option<RawText>) -> Text {
    raw.map(Text::from).unwrap_or_default()
}

/// The text of the CSV columns `<field>_zh` and `<field>_en`.
fn cells_text(row: &Row, field: &str) -> Text {
    Text::new(
        row.cell(&format!("{field}_zh")),
        row.cell(&format!("{field}_en")),
    )
}

fn jurisdiction(f: &mut Fields<'_>, row: &Row) -> Option<Jurisdiction> {
    let code = f
        .required("code", row.cell("code"))
        .and_then(|s| f.code("code", s));
    let parent = f.opt(row.opt("parent"), |f, s| f.code("parent", s));
    let lat = f.opt(row.opt("lat"), |f, s| f.number("lat", s));
    let lon = f.opt(row.opt("lon"), |f, s| f.number("lon", s));
    let centroid = match (lat, lon) {
        (Some(Some(lat)), Some(Some(lon))) => Some(Some(LatLon { lat, lon })),
        (Some(None), Some(None)) => Some(None),
        (Some(Some(_)), Some(None)) => {
            f.fail("lon", "required when lat is given (give both or neither)");
            None
        }
        (Some(None), Some(Some(_))) => {
            f.fail("lat", "required when lon is given (give both or neither)");
            None
        }
        _ => None,
    };
    Some(Jurisdiction {
        code: code?,
        parent: parent?,
        name: cells_text(row, "name"),
        centroid: centroid?,
        source: row.cell("source").to_owned(),
    })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawZone {
    key: String,
    name: RawText,
    description: Option<RawText>,
    members: Vec<String>,
    source: String,
}

fn zone(f: &mut Fields<'_>, raw: RawZone) -> Option<Zone> {
    let members = f.codes("members", &raw.members);
    Some(Zone {
        key: raw.key,
        name: raw.name.into(),
        description: text(raw.description),
        members: members?,
        source: raw.source,
    })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawBody {
    key: String,
    name: RawText,
    tier: String,
    description: Option<RawText>,
    members: Vec<String>,
    #[serde(default)]
    host_rotation: Vec<String>,
    source: String,
}

fn body(f: &mut Fields<'_>, raw: RawBody) -> Option<Body> {
    let tier = f.choice("tier", &raw.tier);
    let members = f.codes("members", &raw.members);
    let host_rotation = f.codes("host_rotation", &raw.host_rotation);
    Some(Body {
        key: raw.key,
        name: raw.name.into(),
        tier: tier?,
        description: text(raw.description),
        members: members?,
        host_rotation: host_rotation?,
        source: raw.source,
    })
}

fn seat(f: &mut Fields<'_>, row: &Row) -> Option<Seat> {
    let jurisdiction = f
        .required("jurisdiction", row.cell("jurisdiction"))
        .and_then(|s| f.code("jurisdiction", s));
    let term_start = f
        .required("term_start", row.cell("term_start"))
        .and_then(|s| f.partial_date("term_start", s));
    let term_end = f.opt(row.opt("term_end"), |f, s| f.partial_date("term_end", s));
    Some(Seat {
        key: row.cell("key").to_owned(),
        body: row.cell("body").to_owned(),
        jurisdiction: jurisdiction?,
        role: cells_text(row, "role"),
        holder: cells_text(row, "holder"),
        term_start: term_start?,
        term_end: term_end?,
        source: row.cell("source").to_owned(),
    })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMeeting {
    key: String,
    body: String,
    title: RawText,
    start: toml::Value,
    end: Option<toml::Value>,
    host: Option<String>,
    host_reason: Option<RawText>,
    theme: Option<RawText>,
    #[serde(default)]
    agenda: Vec<RawText>,
    #[serde(default)]
    outcomes: Vec<RawText>,
    state: Option<String>,
    closed_on: Option<toml::Value>,
    #[serde(default)]
    attendees: Vec<RawAttendee>,
    #[serde(default)]
    documents: Vec<RawDocument>,
    /// Read one by one in [`meetings`], so that a bad decision does not hide its meeting.
    #[serde(default, rename = "decisions")]
    _decisions: IgnoredAny,
    source: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAttendee {
    name: RawText,
    role: RawText,
    jurisdiction: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDocument {
    title: RawText,
    url: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDecision {
    key: String,
    title: RawText,
    subject: RawSubject,
    supersedes: Option<String>,
    outcome: Option<String>,
    source: Option<String>,
    positions: Vec<RawPosition>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSubject {
    kind: String,
    plan: Option<String>,
    host: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPosition {
    jurisdiction: String,
    stance: String,
    comment: Option<RawText>,
}

/// Meetings and the decisions written inside them. A decision's `seq` is its place among the
/// meeting's decisions in the file, and its source defaults to the meeting's.
fn meetings(ctx: &mut Ctx, text: &str, ds: &mut Dataset) {
    let doc = TomlDoc::new(Kind::Meeting, text);
    let decision_doc = TomlDoc::new(Kind::Decision, text);
    let Some(records) = doc.records("meeting", ctx) else {
        ctx.broken.all(Kind::Meeting);
        ctx.broken.all(Kind::Decision);
        return;
    };
    for record in &records {
        let lines = doc.lines(record);
        let converted = doc.deserialize::<RawMeeting>(record, ctx).and_then(|raw| {
            let mut fields = Fields::toml(Kind::Meeting, &lines, &mut ctx.errors);
            meeting(&mut fields, raw).filter(|_| !fields.failed())
        });
        let key = toml_file::string_field(record, "key");
        match converted {
            Some(meeting) => {
                ctx.locator.add(Kind::Meeting, ds.meetings.len(), lines);
                ds.meetings.push(meeting);
            }
            None => ctx
                .broken
                .key(Kind::Meeting, key.clone().unwrap_or_default()),
        }
        let decisions = toml_file::array_field(record, "decisions");
        let Some(meeting_key) = key else {
            // Without its meeting's key a decision cannot be placed; the meeting is reported.
            for decision in decisions {
                ctx.broken.key(
                    Kind::Decision,
                    toml_file::string_field(decision, "key").unwrap_or_default(),
                );
            }
            continue;
        };
        let meeting_source = toml_file::string_field(record, "source").unwrap_or_default();
        let mut seq = 0;
        for element in decisions {
            let lines = decision_doc.lines(element);
            let converted = decision_doc
                .deserialize::<RawDecision>(element, ctx)
                .and_then(|raw| {
                    let mut fields = Fields::toml(Kind::Decision, &lines, &mut ctx.errors);
                    decision(&mut fields, raw, &meeting_key, &meeting_source, seq + 1)
                        .filter(|_| !fields.failed())
                });
            match converted {
                Some(decision) => {
                    seq += 1;
                    ctx.locator.add(Kind::Decision, ds.decisions.len(), lines);
                    ds.decisions.push(decision);
                }
                None => ctx.broken.key(
                    Kind::Decision,
                    toml_file::string_field(element, "key").unwrap_or_default(),
                ),
            }
        }
    }
}

fn meeting(f: &mut Fields<'_>, raw: RawMeeting) -> Option<Meeting> {
    let start = f.toml_partial_date("start", &raw.start);
    let end = f.opt(raw.end.as_ref(), |f, v| f.toml_partial_date("end", v));
    let host = f.opt(raw.host.as_deref(), |f, s| f.code("host", s));
    let state = f.opt(raw.state.as_deref(), |f, s| {
        f.choice::<MeetingState>("state", s)
    });
    let closed_on = f.opt(raw.closed_on.as_ref(), |f, v| {
        f.toml_full_date("closed_on", v)
    });
    let mut attendees = Vec::with_capacity(raw.attendees.len());
    for (i, a) in raw.attendees.into_iter().enumerate() {
        let jurisdiction = f.opt(a.jurisdiction.as_deref(), |f, s| {
            f.code(&format!("attendees[{i}].jurisdiction"), s)
        });
        attendees.push(jurisdiction.map(|jurisdiction| Attendee {
            name: a.name.into(),
            role: a.role.into(),
            jurisdiction,
        }));
    }
    Some(Meeting {
        key: raw.key,
        body: raw.body,
        title: raw.title.into(),
        start: start?,
        end: end?,
        host: host?,
        host_reason: text(raw.host_reason),
        theme: text(raw.theme),
        attendees: attendees.into_iter().collect::<Option<_>>()?,
        agenda: raw.agenda.into_iter().map(Text::from).collect(),
        outcomes: raw.outcomes.into_iter().map(Text::from).collect(),
        documents: raw
            .documents
            .into_iter()
            .map(|d| Document {
                title: d.title.into(),
                url: d.url,
            })
            .collect(),
        state: state?.unwrap_or_default(),
        closed_on: closed_on?,
        source: raw.source,
    })
}

fn decision(
    f: &mut Fields<'_>,
    raw: RawDecision,
    meeting: &str,
    meeting_source: &str,
    seq: u32,
) -> Option<Decision> {
    let subject = subject(f, raw.subject);
    let outcome = f.opt(raw.outcome.as_deref(), |f, s| {
        f.choice::<DecisionStatus>("outcome", s)
    });
    let mut positions = Vec::with_capacity(raw.positions.len());
    for (i, p) in raw.positions.into_iter().enumerate() {
        let jurisdiction = f.code(&format!("positions[{i}].jurisdiction"), &p.jurisdiction);
        let stance = f.choice(&format!("positions[{i}].stance"), &p.stance);
        positions.push(
            jurisdiction
                .zip(stance)
                .map(|(jurisdiction, stance)| Position {
                    jurisdiction,
                    stance,
                    comment: text(p.comment),
                }),
        );
    }
    Some(Decision {
        key: raw.key,
        meeting: meeting.to_owned(),
        seq,
        title: raw.title.into(),
        subject: subject?,
        positions: positions.into_iter().collect::<Option<_>>()?,
        outcome: outcome?,
        supersedes: raw.supersedes,
        source: raw.source.unwrap_or_else(|| meeting_source.to_owned()),
    })
}

fn subject(f: &mut Fields<'_>, raw: RawSubject) -> Option<DecisionSubject> {
    let (needs_plan, needs_host) = match raw.kind.as_str() {
        "adopt_plan" => (true, false),
        "next_host" => (false, true),
        "other" => (false, false),
        kind => {
            f.fail(
                "subject.kind",
                format!(
                    "unknown value {kind:?}, expected one of `adopt_plan`, `next_host`, `other`"
                ),
            );
            return None;
        }
    };
    for (field, given, needed) in [
        ("plan", raw.plan.is_some(), needs_plan),
        ("host", raw.host.is_some(), needs_host),
    ] {
        if given && !needed {
            f.fail(
                &format!("subject.{field}"),
                format!("not a field of a subject of kind {}", raw.kind),
            );
        } else if needed && !given {
            f.fail(
                &format!("subject.{field}"),
                format!("required for a subject of kind {}", raw.kind),
            );
        }
    }
    match (raw.kind.as_str(), raw.plan, raw.host) {
        ("adopt_plan", Some(plan), None) => Some(DecisionSubject::AdoptPlan { plan }),
        ("next_host", None, Some(host)) => f
            .code("subject.host", &host)
            .map(|host| DecisionSubject::NextHost { host }),
        ("other", None, None) => Some(DecisionSubject::Other),
        _ => None,
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPlan {
    key: String,
    kind: String,
    title: RawText,
    parent: Option<String>,
    period: Vec<i64>,
    stage: String,
    adopted_on: Option<toml::Value>,
    issued_on: Option<toml::Value>,
    issuer: Option<RawText>,
    summary: Option<RawText>,
    #[serde(default)]
    areas: Vec<RawArea>,
    published: Option<bool>,
    source: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawArea {
    key: String,
    name: RawText,
    stated_task_count: Option<i64>,
}

fn plan(f: &mut Fields<'_>, raw: RawPlan) -> Option<Plan> {
    let kind = f.choice("kind", &raw.kind);
    let stage = f.choice("stage", &raw.stage);
    let period = match raw.period[..] {
        [first, last] => f
            .int_in::<i32>("period", first, 0, 9999)
            .zip(f.int_in::<i32>("period", last, 0, 9999)),
        _ => {
            f.fail(
                "period",
                format!(
                    "expected [first year, last year], found {} value(s)",
                    raw.period.len()
                ),
            );
            None
        }
    };
    let adopted_on = f.opt(raw.adopted_on.as_ref(), |f, v| {
        f.toml_partial_date("adopted_on", v)
    });
    let issued_on = f.opt(raw.issued_on.as_ref(), |f, v| {
        f.toml_partial_date("issued_on", v)
    });
    let mut areas = Vec::with_capacity(raw.areas.len());
    for (i, a) in raw.areas.into_iter().enumerate() {
        let field = format!("areas[{i}].stated_task_count");
        let count = f.opt(a.stated_task_count.as_ref(), |f, &n| {
            f.int_in::<u32>(&field, n, 0, u32::MAX.into())
        });
        areas.push(count.map(|stated_task_count| Area {
            key: a.key,
            seq: i as u32 + 1,
            name: a.name.into(),
            stated_task_count,
        }));
    }
    let (period_start, period_end) = period?;
    Some(Plan {
        key: raw.key,
        kind: kind?,
        title: raw.title.into(),
        parent: raw.parent,
        period_start,
        period_end,
        stage: stage?,
        adopted_on: adopted_on?,
        issued_on: issued_on?,
        issuer: text(raw.issuer),
        summary: text(raw.summary),
        areas: areas.into_iter().collect::<Option<_>>()?,
        published: raw.published.unwrap_or(true),
        source: raw.source,
    })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMatter {
    key: String,
    plan: String,
    area: Option<String>,
    title: RawText,
    objective: Option<RawText>,
    leads: Vec<String>,
    participants: Vec<String>,
    start: Option<toml::Value>,
    due: Option<toml::Value>,
    #[serde(default)]
    indicators: Vec<String>,
    #[serde(default)]
    agreements: Vec<String>,
    #[serde(default)]
    milestones: Vec<RawMilestone>,
    body: Option<String>,
    published: Option<bool>,
    carried_from: Option<String>,
    source: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMilestone {
    title: RawText,
    due: toml::Value,
    done_on: Option<toml::Value>,
}

fn matter(f: &mut Fields<'_>, raw: RawMatter) -> Option<Matter> {
    let leads = f.codes("leads", &raw.leads);
    let participants = f.codes("participants", &raw.participants);
    let start = f.opt(raw.start.as_ref(), |f, v| f.toml_full_date("start", v));
    let due = f.opt(raw.due.as_ref(), |f, v| f.toml_full_date("due", v));
    let mut milestones = Vec::with_capacity(raw.milestones.len());
    for (i, m) in raw.milestones.into_iter().enumerate() {
        let due = f.toml_full_date(&format!("milestones[{i}].due"), &m.due);
        let done_on = f.opt(m.done_on.as_ref(), |f, v| {
            f.toml_full_date(&format!("milestones[{i}].done_on"), v)
        });
        milestones.push(due.zip(done_on).map(|(due, done_on)| Milestone {
            title: m.title.into(),
            due,
            done_on,
        }));
    }
    Some(Matter {
        key: raw.key,
        plan: raw.plan,
        area: raw.area,
        title: raw.title.into(),
        objective: text(raw.objective),
        leads: leads?,
        participants: participants?,
        start: start?,
        due: due?,
        milestones: milestones.into_iter().collect::<Option<_>>()?,
        indicators: raw.indicators,
        agreements: raw.agreements,
        body: raw.body,
        published: raw.published.unwrap_or(true),
        carried_from: raw.carried_from,
        source: raw.source,
    })
}

fn task(f: &mut Fields<'_>, row: &Row) -> Option<Task> {
    let jurisdiction = f
        .required("jurisdiction", row.cell("jurisdiction"))
        .and_then(|s| f.code("jurisdiction", s));
    let start = f.opt(row.opt("start"), |f, s| f.full_date("start", s));
    let due = f
        .required("due", row.cell("due"))
        .and_then(|s| f.full_date("due", s));
    Some(Task {
        key: row.cell("key").to_owned(),
        matter: row.cell("matter").to_owned(),
        parent: row.opt("parent").map(str::to_owned),
        jurisdiction: jurisdiction?,
        unit: cells_text(row, "unit"),
        title: cells_text(row, "title"),
        start: start?,
        due: due?,
        source: row.cell("source").to_owned(),
    })
}

fn report(f: &mut Fields<'_>, row: &Row) -> Option<ProgressReport> {
    let as_of = f
        .required("as_of", row.cell("as_of"))
        .and_then(|s| f.full_date("as_of", s));
    let percent = f
        .required("percent", row.cell("percent"))
        .and_then(|s| match s.parse::<i64>() {
            Ok(n) => f.int_in::<u8>("percent", n, 0, 100),
            Err(_) => {
                f.fail("percent", format!("{s:?} is not an integer 0–100"));
                None
            }
        });
    let state = f
        .required("state", row.cell("state"))
        .and_then(|s| f.choice("state", s));
    Some(ProgressReport {
        key: row.cell("key").to_owned(),
        task: row.cell("task").to_owned(),
        as_of: as_of?,
        percent: percent?,
        narrative: cells_text(row, "narrative"),
        evidence: row
            .cell("evidence")
            .split_whitespace()
            .map(str::to_owned)
            .collect(),
        state: state?,
        return_reason: cells_text(row, "return_reason"),
        source: row.cell("source").to_owned(),
    })
}

fn problem(f: &mut Fields<'_>, row: &Row) -> Option<Problem> {
    let tier = f
        .required("tier", row.cell("tier"))
        .and_then(|s| f.choice("tier", s));
    let raised_on = f
        .required("raised_on", row.cell("raised_on"))
        .and_then(|s| f.full_date("raised_on", s));
    let due = f.opt(row.opt("due"), |f, s| f.full_date("due", s));
    let escalated_on = f.opt(row.opt("escalated_on"), |f, s| {
        f.full_date("escalated_on", s)
    });
    let resolved_on = f.opt(row.opt("resolved_on"), |f, s| f.full_date("resolved_on", s));
    let resolved_tier = f.opt(row.opt("resolved_tier"), |f, s| {
        f.choice::<Tier>("resolved_tier", s)
    });
    Some(Problem {
        key: row.cell("key").to_owned(),
        matter: row.cell("matter").to_owned(),
        task: row.opt("task").map(str::to_owned),
        title: cells_text(row, "title"),
        description: cells_text(row, "description"),
        tier: tier?,
        raised_on: raised_on?,
        due: due?,
        escalated_on: escalated_on?,
        resolved_on: resolved_on?,
        resolved_tier: resolved_tier?,
        resolution: cells_text(row, "resolution"),
        source: row.cell("source").to_owned(),
    })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAgreement {
    key: String,
    title: RawText,
    summary: Option<RawText>,
    state: Option<String>,
    meeting: Option<String>,
    signed_on: Option<toml::Value>,
    in_force_on: Option<toml::Value>,
    expires_on: Option<toml::Value>,
    ended_on: Option<toml::Value>,
    ended_reason: Option<RawText>,
    text: Option<RawText>,
    text_hash: Option<String>,
    parties: Vec<RawParty>,
    #[serde(default)]
    signatures: Vec<RawSignature>,
    source: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawParty {
    jurisdiction: String,
    signatory: Option<RawText>,
    signed_on: Option<toml::Value>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSignature {
    jurisdiction: String,
    text_hash: String,
    key_id: String,
    signature: String,
    signed_by: String,
    signed_at: String,
}

fn agreement(f: &mut Fields<'_>, raw: RawAgreement) -> Option<Agreement> {
    let signed_on = f.opt(raw.signed_on.as_ref(), |f, v| {
        f.toml_partial_date("signed_on", v)
    });
    let in_force_on = f.opt(raw.in_force_on.as_ref(), |f, v| {
        f.toml_partial_date("in_force_on", v)
    });
    let state = f.opt(raw.state.as_deref(), |f, s| {
        if s == "expired" {
            // The API shows it, but it is never stored: writing it would freeze what the day
            // decides.
            f.fail(
                "state",
                "`expired` follows from expires_on and is not written: write the state it \
                 expired from, `in_force`",
            );
            return None;
        }
        f.choice::<AgreementState>("state", s)
    });
    let expires_on = f.opt(raw.expires_on.as_ref(), |f, v| {
        f.toml_full_date("expires_on", v)
    });
    let ended_on = f.opt(raw.ended_on.as_ref(), |f, v| {
        f.toml_full_date("ended_on", v)
    });
    let mut signatures = Vec::with_capacity(raw.signatures.len());
    for (i, s) in raw.signatures.into_iter().enumerate() {
        let jurisdiction = f.code(&format!("signatures[{i}].jurisdiction"), &s.jurisdiction);
        signatures.push(jurisdiction.map(|jurisdiction| PartySignature {
            jurisdiction,
            text_hash: s.text_hash,
            key_id: s.key_id,
            signature: s.signature,
            signed_by: s.signed_by,
            signed_at: s.signed_at,
        }));
    }
    let mut parties = Vec::with_capacity(raw.parties.len());
    for (i, p) in raw.parties.into_iter().enumerate() {
        let jurisdiction = f.code(&format!("parties[{i}].jurisdiction"), &p.jurisdiction);
        let signed_on = f.opt(p.signed_on.as_ref(), |f, v| {
            f.toml_partial_date(&format!("parties[{i}].signed_on"), v)
        });
        parties.push(
            jurisdiction
                .zip(signed_on)
                .map(|(jurisdiction, signed_on)| Party {
                    jurisdiction,
                    signatory: text(p.signatory),
                    signed_on,
                }),
        );
    }
    Some(Agreement {
        key: raw.key,
        title: raw.title.into(),
        summary: text(raw.summary),
        state: state?.unwrap_or_default(),
        meeting: raw.meeting,
        signed_on: signed_on?,
        in_force_on: in_force_on?,
        expires_on: expires_on?,
        ended_on: ended_on?,
        ended_reason: text(raw.ended_reason),
        text: text(raw.text),
        text_hash: raw.text_hash,
        parties: parties.into_iter().collect::<Option<_>>()?,
        signatures: signatures.into_iter().collect::<Option<_>>()?,
        source: raw.source,
    })
}

fn member_key(f: &mut Fields<'_>, row: &Row) -> Option<MemberKey> {
    let jurisdiction = f
        .required("jurisdiction", row.cell("jurisdiction"))
        .and_then(|s| f.code("jurisdiction", s));
    Some(MemberKey {
        id: row.cell("id").to_owned(),
        jurisdiction: jurisdiction?,
        public_key: row.cell("public_key").to_owned(),
        created_at: row.cell("created_at").to_owned(),
        retired_at: row.opt("retired_at").map(str::to_owned),
    })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawIndicator {
    key: String,
    name: RawText,
    description: Option<RawText>,
    unit: Option<RawText>,
    #[serde(default)]
    classes: Vec<String>,
    direction: String,
    scope: RawScope,
    baseline: Option<RawTarget>,
    #[serde(default)]
    targets: Vec<RawTarget>,
    source: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawScope {
    kind: String,
    id: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTarget {
    date: toml::Value,
    value: toml::Value,
    source: String,
}

fn indicator(f: &mut Fields<'_>, raw: RawIndicator) -> Option<Indicator> {
    let direction = f.choice("direction", &raw.direction);
    let scope = match raw.scope.kind.as_str() {
        "jurisdiction" => f.code("scope.id", &raw.scope.id).map(Scope::Jurisdiction),
        "zone" => Some(Scope::Zone(raw.scope.id)),
        "site" => Some(Scope::Site(raw.scope.id)),
        kind => {
            f.fail(
                "scope.kind",
                format!("unknown value {kind:?}, expected one of `jurisdiction`, `zone`, `site`"),
            );
            None
        }
    };
    let target = |f: &mut Fields<'_>, field: &str, t: RawTarget| {
        let date = f.toml_partial_date(&format!("{field}.date"), &t.date);
        let value = f.value(&format!("{field}.value"), &t.value);
        date.zip(value).map(|(date, value)| Target {
            date,
            value,
            source: t.source,
        })
    };
    let baseline = match raw.baseline {
        None => Some(None),
        Some(t) => target(f, "baseline", t).map(Some),
    };
    let targets: Vec<Option<Target>> = raw
        .targets
        .into_iter()
        .enumerate()
        .map(|(i, t)| target(f, &format!("targets[{i}]"), t))
        .collect();
    Some(Indicator {
        key: raw.key,
        name: raw.name.into(),
        description: text(raw.description),
        unit: text(raw.unit),
        classes: raw.classes,
        direction: direction?,
        scope: scope?,
        baseline: baseline?,
        targets: targets.into_iter().collect::<Option<_>>()?,
        source: raw.source,
    })
}

fn observation(
    f: &mut Fields<'_>,
    row: &Row,
    categorical: &HashMap<String, bool>,
) -> Option<Observation> {
    let date = f
        .required("date", row.cell("date"))
        .and_then(|s| f.partial_date("date", s));
    let value = f.required("value", row.cell("value")).and_then(|s| {
        match categorical.get(row.cell("indicator")) {
            Some(true) => Some(Value::Class(s.to_owned())),
            Some(false) => f.number("value", s).map(Value::Number),
            // An unknown indicator is reported on its own; read the value as best we can.
            None => Some(
                s.parse::<f64>()
                    .ok()
                    .filter(|n| n.is_finite())
                    .map_or_else(|| Value::Class(s.to_owned()), Value::Number),
            ),
        }
    });
    let qualifier = f.opt(row.opt("qualifier"), |f, s| {
        f.choice::<Qualifier>("qualifier", s)
    });
    let jurisdiction = f.opt(row.opt("jurisdiction"), |f, s| f.code("jurisdiction", s));
    Some(Observation {
        key: row.cell("key").to_owned(),
        indicator: row.cell("indicator").to_owned(),
        date: date?,
        value: value?,
        jurisdiction: jurisdiction?,
        site: row.opt("site").map(str::to_owned),
        qualifier: qualifier?.unwrap_or_default(),
        note: cells_text(row, "note"),
        source: row.cell("source").to_owned(),
    })
}
