//! Meetings of the bodies and the decisions taken at them, with each member's position; and
//! running a meeting: scheduling it (with the host the rotation proposes), editing it while it
//! is scheduled, adding decision items, and closing it, which freezes the outcomes.
//!
//! The functions the pages' forms share with the API ([`schedule`], [`edit`],
//! [`add_decision`], [`close`]) take the request's input already converted, or the field errors
//! its conversion found: they ask the policy first, so a caller who may not act learns nothing
//! about their input, then report the field errors, then let the store apply the rules.

use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use time::Date;
use utoipa::{IntoParams, ToSchema};
use yrd_domain::access::{Action, Target};
use yrd_domain::rules::consensus::effective_stance;
use yrd_domain::rules::decision_status;
use yrd_domain::{AdminCode, Decision, DecisionSubject, Lang, PartialDate};
use yrd_store::{
    ClosedMeeting, DecisionRecord, Document, MeetingDetails, MeetingFilter, MeetingWithDecisions,
    NewDecision, NewMeeting,
};

use crate::AppState;
use crate::auth::Principal;
use crate::dto::{DecisionStatus, JurisdictionRef, KeyRef, Names, Stance, opt_text, text, texts};
use crate::error::{ApiError, FieldError, ProblemResponse};
use crate::extract::{self, JsonBody, Language, PageQuery, Parse, Path, Query, encode_cursor};
use crate::response::{Localized, if_match_version, required_if_match, versioned_response};
use crate::routes::tasks::TextBody;

/// The name that ties cursors to this list.
const LIST: &str = "meetings";

/// Where a meeting is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum MeetingState {
    /// Scheduled in yrd: its agenda, documents and decision items may change, and the
    /// members' coordinators state their positions.
    Scheduled,
    /// Held and closed: its decisions' outcomes are frozen. Meetings of the public record are
    /// closed.
    Closed,
}

impl MeetingState {
    /// The wire name, which the portal's labels are keyed by.
    pub fn name(self) -> &'static str {
        match self {
            MeetingState::Scheduled => "scheduled",
            MeetingState::Closed => "closed",
        }
    }
}

impl From<yrd_store::MeetingState> for MeetingState {
    fn from(state: yrd_store::MeetingState) -> Self {
        match state {
            yrd_store::MeetingState::Scheduled => MeetingState::Scheduled,
            yrd_store::MeetingState::Closed => MeetingState::Closed,
        }
    }
}

/// A session of a body.
#[derive(Debug, Serialize, ToSchema)]
pub struct MeetingResponse {
    #[schema(example = "symposium-2024")]
    pub key: String,
    /// The key of the body that met.
    pub body: String,
    pub title: String,
    pub state: MeetingState,
    /// As precise as the record: `YYYY`, `YYYY-MM` or `YYYY-MM-DD`.
    #[schema(example = "2024-06-05")]
    pub start: String,
    pub end: Option<String>,
    /// The host city or member; `null` where the record does not say.
    pub host: Option<JurisdictionRef>,
    /// The member whose turn it is by the body's rotation, from the hosts of the body's
    /// meetings before this one; `null` for a body without a rotation.
    pub proposed_host: Option<JurisdictionRef>,
    /// Why the host is not the proposed one; `null` when it is.
    pub host_reason: Option<String>,
    pub theme: Option<String>,
    pub attendees: Vec<AttendeeResponse>,
    pub agenda: Vec<String>,
    /// Draft documents attached to the meeting.
    pub documents: Vec<DocumentResponse>,
    pub outcomes: Vec<String>,
    /// Outcomes that need the members' consent, in order.
    pub decisions: Vec<DecisionResponse>,
    /// For a scheduled meeting, in `GET /api/v1/meetings/{key}`: the open problems that have
    /// climbed to its body's tier, oldest first, for the meeting to take up (a symposium takes
    /// up what reached the decision tier). Empty once closed, and in lists.
    pub problems: Vec<AgendaProblem>,
    /// The day it was closed in yrd; `null` while scheduled, and for meetings of the public
    /// record.
    #[schema(format = Date)]
    pub closed_on: Option<String>,
    /// Incremented by every change (positions included); the `ETag` carries it, and changes
    /// send it back in `If-Match`.
    pub version: i64,
    pub source: String,
}

/// An open problem on a meeting's agenda.
#[derive(Debug, Serialize, ToSchema)]
pub struct AgendaProblem {
    pub key: String,
    pub title: String,
    pub matter: KeyRef,
    #[schema(format = Date)]
    pub raised_on: String,
    /// When it reached the tier (its latest escalation).
    #[schema(format = Date)]
    pub escalated_on: Option<String>,
    #[schema(format = Date)]
    pub due_date: Option<String>,
}

/// A document attached to a meeting.
#[derive(Debug, Serialize, ToSchema)]
pub struct DocumentResponse {
    pub title: String,
    pub url: String,
}

/// Someone recorded as attending.
#[derive(Debug, Serialize, ToSchema)]
pub struct AttendeeResponse {
    pub name: String,
    pub role: String,
    pub jurisdiction: Option<JurisdictionRef>,
}

/// An outcome of a meeting that needs the members' consent.
#[derive(Debug, Serialize, ToSchema)]
pub struct DecisionResponse {
    pub key: String,
    /// Order within the meeting, from 1.
    pub seq: u32,
    pub title: String,
    pub subject: SubjectResponse,
    /// Derived from the members' positions by the consensus rule.
    pub status: DecisionStatus,
    /// The outcome frozen when the meeting closed (for the public record's meetings, the
    /// status their recorded positions give); `null` while the meeting is scheduled.
    pub outcome: Option<DecisionStatus>,
    /// The key of the earlier decision this one supersedes, if any.
    pub supersedes: Option<String>,
    /// One entry per member of the body, in the body's member order, so a member that has not
    /// answered is visible as such (`stance: null`).
    pub positions: Vec<PositionResponse>,
    pub source: String,
}

/// What a decision is about.
#[derive(Debug, Serialize, ToSchema)]
pub struct SubjectResponse {
    pub kind: SubjectKind,
    /// For `adopt_plan`: the plan's key.
    pub plan: Option<String>,
    /// For `next_host`: the host decided on.
    pub host: Option<JurisdictionRef>,
}

/// The kinds of decision the mechanism acts on.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SubjectKind {
    AdoptPlan,
    NextHost,
    Other,
}

/// A member's position on a decision.
#[derive(Debug, Serialize, ToSchema)]
pub struct PositionResponse {
    pub jurisdiction: JurisdictionRef,
    /// The member's stance (its latest, if it revised it); `null` if it has not answered.
    pub stance: Option<Stance>,
    pub comment: Option<String>,
}

/// A page of meetings, newest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct MeetingPage {
    pub items: Vec<MeetingResponse>,
    /// Pass as `cursor` to get the next page; `null` on the last page.
    pub next_cursor: Option<String>,
}

/// Filters of the meeting list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MeetingListQuery {
    /// Only meetings of the body with this key.
    #[param(example = "main-leaders-symposium")]
    pub body: Option<String>,
}

/// A document to attach.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DocumentBody {
    pub title: TextBody,
    /// An http(s) URL.
    #[schema(example = "https://example.org/draft.pdf")]
    pub url: String,
}

/// A meeting to schedule: the body that meets, the meeting's key, and what
/// [`MeetingBody`] holds.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewMeetingBody {
    /// The key of the body that meets.
    #[schema(example = "main-leaders-symposium")]
    pub body: String,
    /// The meeting's key; by default `<body>-<start year>` (409 if that is taken: then pass
    /// one).
    #[serde(default)]
    pub key: Option<String>,
    pub title: TextBody,
    /// `YYYY`, `YYYY-MM` or `YYYY-MM-DD`.
    #[schema(example = "2026-06-05")]
    pub start_date: String,
    #[serde(default)]
    pub end_date: Option<String>,
    /// The host (a member or one of its cities); by default the member the rotation proposes.
    /// Another host needs `host_reason`.
    #[serde(default)]
    #[schema(example = "310000")]
    pub host: Option<String>,
    /// Why the host is not the one the rotation proposes (required then, ignored otherwise).
    #[serde(default)]
    pub host_reason: Option<TextBody>,
    #[serde(default)]
    pub theme: Option<TextBody>,
    #[serde(default)]
    pub agenda: Vec<TextBody>,
    #[serde(default)]
    pub documents: Vec<DocumentBody>,
}

impl NewMeetingBody {
    /// The body, the key, and the rest.
    fn split(self) -> (String, Option<String>, MeetingBody) {
        (
            self.body,
            self.key,
            MeetingBody {
                title: self.title,
                start_date: self.start_date,
                end_date: self.end_date,
                host: self.host,
                host_reason: self.host_reason,
                theme: self.theme,
                agenda: self.agenda,
                documents: self.documents,
            },
        )
    }
}

/// What the organisers set of a meeting.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MeetingBody {
    pub title: TextBody,
    /// `YYYY`, `YYYY-MM` or `YYYY-MM-DD`.
    #[schema(example = "2026-06-05")]
    pub start_date: String,
    #[serde(default)]
    pub end_date: Option<String>,
    /// The host (a member or one of its cities); by default the member the rotation proposes.
    /// Another host needs `host_reason`.
    #[serde(default)]
    #[schema(example = "310000")]
    pub host: Option<String>,
    /// Why the host is not the one the rotation proposes (required then, ignored otherwise).
    #[serde(default)]
    pub host_reason: Option<TextBody>,
    #[serde(default)]
    pub theme: Option<TextBody>,
    #[serde(default)]
    pub agenda: Vec<TextBody>,
    #[serde(default)]
    pub documents: Vec<DocumentBody>,
}

/// What a decision is about, as a new decision names it.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SubjectBody {
    /// `adopt_plan`, `next_host` or `other`.
    #[schema(example = "adopt_plan")]
    pub kind: String,
    /// For `adopt_plan`: the plan's key.
    #[serde(default)]
    pub plan: Option<String>,
    /// For `next_host`: the host's code.
    #[serde(default)]
    pub host: Option<String>,
}

/// A decision item to add to a scheduled meeting.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewDecisionBody {
    pub title: TextBody,
    pub subject: SubjectBody,
    /// The key of a decision of an earlier, closed meeting of the same body that this one
    /// supersedes.
    #[serde(default)]
    pub supersedes: Option<String>,
}

/// When a meeting closes.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CloseBody {
    /// `YYYY-MM-DD`; today by default.
    #[serde(default)]
    #[schema(format = Date)]
    pub closed_on: Option<String>,
}

/// A closed meeting and what closing it carried out.
#[derive(Debug, Serialize, ToSchema)]
pub struct CloseResponse {
    /// The meeting as `GET /api/v1/meetings/{key}` now returns it.
    pub meeting: MeetingResponse,
    /// Plans that became `adopted` by its decisions.
    pub adopted_plans: Vec<String>,
    /// The key of the body's next meeting, scheduled by an adopted `next_host` decision.
    pub next_meeting: Option<String>,
}

fn decision(
    d: &Decision,
    record: Option<&DecisionRecord>,
    closed: bool,
    members: &[AdminCode],
    names: &Names,
    lang: Lang,
) -> DecisionResponse {
    let subject = match &d.subject {
        DecisionSubject::AdoptPlan { plan } => SubjectResponse {
            kind: SubjectKind::AdoptPlan,
            plan: Some(plan.clone()),
            host: None,
        },
        DecisionSubject::NextHost { host } => SubjectResponse {
            kind: SubjectKind::NextHost,
            plan: None,
            host: Some(names.of(*host)),
        },
        DecisionSubject::Other => SubjectResponse {
            kind: SubjectKind::Other,
            plan: None,
            host: None,
        },
    };
    let mut seen = Vec::with_capacity(members.len());
    let positions = members
        .iter()
        .filter(|&&m| {
            // A member listed twice is one member, as for the consensus rule.
            let new = !seen.contains(&m);
            seen.push(m);
            new
        })
        .map(|&member| {
            // The position that counts is the member's latest, the same one the rule uses.
            let latest = d.positions.iter().rev().find(|p| p.jurisdiction == member);
            PositionResponse {
                jurisdiction: names.of(member),
                stance: effective_stance(member, &d.positions).map(Stance::from),
                comment: latest.and_then(|p| opt_text(&p.comment, lang)),
            }
        })
        .collect();
    let status = decision_status(members, &d.positions);
    // A closed meeting's positions no longer change, so the status they give is the outcome
    // of the public record's meetings, which were closed before yrd froze anything.
    let outcome = closed.then(|| record.and_then(|r| r.outcome).unwrap_or(status));
    DecisionResponse {
        key: d.key.clone(),
        seq: d.seq,
        title: text(&d.title, lang),
        subject,
        status: status.into(),
        outcome: outcome.map(DecisionStatus::from),
        supersedes: record.and_then(|r| r.supersedes.clone()),
        positions,
        source: d.source.clone(),
    }
}

fn meeting(m: &MeetingWithDecisions, names: &Names, lang: Lang) -> MeetingResponse {
    let meeting = &m.meeting;
    let record = &m.record;
    let closed = record.state == yrd_store::MeetingState::Closed;
    MeetingResponse {
        key: meeting.key.clone(),
        body: meeting.body.clone(),
        title: text(&meeting.title, lang),
        state: record.state.into(),
        start: meeting.start.to_string(),
        end: meeting.end.map(|d| d.to_string()),
        host: meeting.host.map(|c| names.of(c)),
        proposed_host: record.proposed_host.map(|c| names.of(c)),
        host_reason: opt_text(&record.host_reason, lang),
        theme: opt_text(&meeting.theme, lang),
        attendees: meeting
            .attendees
            .iter()
            .map(|a| AttendeeResponse {
                name: text(&a.name, lang),
                role: text(&a.role, lang),
                jurisdiction: a.jurisdiction.map(|c| names.of(c)),
            })
            .collect(),
        agenda: texts(&meeting.agenda, lang),
        documents: record
            .documents
            .iter()
            .map(|d| DocumentResponse {
                title: text(&d.title, lang),
                url: d.url.clone(),
            })
            .collect(),
        outcomes: texts(&meeting.outcomes, lang),
        decisions: m
            .decisions
            .iter()
            .map(|d| {
                decision(
                    d,
                    m.decision_records.get(&d.key),
                    closed,
                    &m.body_members,
                    names,
                    lang,
                )
            })
            .collect(),
        problems: Vec::new(),
        closed_on: record.closed_on.map(crate::dto::date),
        version: record.version,
        source: meeting.source.clone(),
    }
}

/// A meeting as `GET /api/v1/meetings/{key}` returns it, and its version. `names`, when the
/// caller has read them already, saves reading them again.
pub(crate) async fn meeting_response(
    state: &AppState,
    lang: Lang,
    key: &str,
    names: Option<&Names>,
) -> Result<(MeetingResponse, i64), ApiError> {
    let store = state.store();
    let found = store
        .meeting(key)
        .await?
        .ok_or_else(|| ApiError::not_found("meeting", key))?;
    let names = Names::given_or_load(names, store, lang).await?;
    let mut response = meeting(&found, &names, lang);
    if found.record.state == yrd_store::MeetingState::Scheduled
        && let Some(tier) = store.body_tier(&found.meeting.body).await?
    {
        response.problems = store
            .open_problems_at(tier)
            .await?
            .into_iter()
            .map(|p| AgendaProblem {
                key: p.key,
                title: text(&p.title, lang),
                matter: KeyRef {
                    key: p.matter,
                    name: text(&p.matter_title, lang),
                },
                raised_on: crate::dto::date(p.raised_on),
                escalated_on: p.escalated_on.map(crate::dto::date),
                due_date: p.due.map(crate::dto::date),
            })
            .collect();
    }
    Ok((response, found.record.version))
}

/// The key in a path, or 400 naming `key`.
fn path_key(key: &str) -> Result<String, ApiError> {
    extract::key(key).map_err(|reason| ApiError::invalid("key", reason))
}

/// The body of a meeting (for the policy), or 404.
async fn meeting_body(state: &AppState, key: &str) -> Result<String, ApiError> {
    Ok(state
        .store()
        .meeting_access(key)
        .await?
        .ok_or_else(|| ApiError::not_found("meeting", key))?
        .body)
}

/// Asks the policy whether the caller records the meetings of `body`.
fn require_recorder(principal: &Principal, body: &str) -> Result<(), ApiError> {
    principal.require(
        Action::RecordMeeting,
        &Target::Meeting { body },
        &format!("body {body:?}"),
    )
}

/// Collects field errors: Ok when there are none, else 422 naming each.
fn finish<T>(value: T, errors: Vec<FieldError>) -> Result<T, ApiError> {
    if errors.is_empty() {
        Ok(value)
    } else {
        Err(ApiError::Unprocessable(errors))
    }
}

impl MeetingBody {
    /// The details the store takes, or 422 naming every field that does not convert.
    pub fn details(self) -> Result<MeetingDetails, ApiError> {
        let mut errors = Vec::new();
        let start = self
            .start_date
            .parse::<PartialDate>()
            .map_err(|e| errors.push(FieldError::new("start_date", e.to_string())))
            .ok();
        let end = match self.end_date.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(end) => end
                .parse::<PartialDate>()
                .map_err(|e| errors.push(FieldError::new("end_date", e.to_string())))
                .ok(),
        };
        let host = match self.host.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(host) => extract::code(host)
                .map_err(|e| errors.push(FieldError::new("host", e)))
                .ok(),
        };
        let details = start.map(|start| MeetingDetails {
            title: self.title.to_text(),
            start,
            end,
            host,
            host_reason: self.host_reason.unwrap_or_default().to_text(),
            theme: self.theme.unwrap_or_default().to_text(),
            agenda: self.agenda.iter().map(TextBody::to_text).collect(),
            documents: self
                .documents
                .iter()
                .map(|d| Document {
                    title: d.title.to_text(),
                    url: d.url.trim().to_owned(),
                })
                .collect(),
        });
        match details {
            Some(details) => finish(details, errors),
            None => Err(ApiError::Unprocessable(errors)),
        }
    }
}

impl NewDecisionBody {
    /// The decision the store takes, or 422 naming every field that does not convert.
    pub fn decision(self) -> Result<NewDecision, ApiError> {
        let mut errors = Vec::new();
        let subject = match self.subject.kind.as_str() {
            "adopt_plan" => match self.subject.plan.as_deref().map(str::trim) {
                Some(plan) if !plan.is_empty() => match extract::key(plan) {
                    Ok(plan) => Some(DecisionSubject::AdoptPlan { plan }),
                    Err(e) => {
                        errors.push(FieldError::new("subject.plan", e));
                        None
                    }
                },
                _ => {
                    errors.push(FieldError::new(
                        "subject.plan",
                        "an adopt_plan decision names the plan",
                    ));
                    None
                }
            },
            "next_host" => match self.subject.host.as_deref().map(str::trim) {
                Some(host) if !host.is_empty() => match extract::code(host) {
                    Ok(host) => Some(DecisionSubject::NextHost { host }),
                    Err(e) => {
                        errors.push(FieldError::new("subject.host", e));
                        None
                    }
                },
                _ => {
                    errors.push(FieldError::new(
                        "subject.host",
                        "a next_host decision names the host",
                    ));
                    None
                }
            },
            "other" => Some(DecisionSubject::Other),
            other => {
                errors.push(FieldError::new(
                    "subject.kind",
                    format!("{other:?} is not a kind of decision: expected adopt_plan, next_host or other"),
                ));
                None
            }
        };
        let supersedes = match self.supersedes.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(key) => extract::key(key)
                .map_err(|e| errors.push(FieldError::new("supersedes", e)))
                .ok(),
        };
        match subject {
            Some(subject) => finish(
                NewDecision {
                    title: self.title.to_text(),
                    subject,
                    supersedes,
                },
                errors,
            ),
            None => Err(ApiError::Unprocessable(errors)),
        }
    }
}

/// Parses a `closed_on` value: a full date, or nothing for today.
pub(crate) fn closed_on(value: Option<&str>) -> Result<Option<Date>, ApiError> {
    match value.map(str::trim) {
        None | Some("") => Ok(None),
        Some(day) => extract::full_date(day)
            .map(Some)
            .map_err(|e| ApiError::Unprocessable(vec![FieldError::new("closed_on", e)])),
    }
}

/// Schedules a meeting of `body`: the body's secretary or the office. Returns its key.
pub(crate) async fn schedule(
    state: &AppState,
    principal: &Principal,
    body: &str,
    input: Result<(Option<String>, MeetingDetails), ApiError>,
) -> Result<String, ApiError> {
    let store = state.store();
    let known = store.bodies().await?.iter().any(|b| b.body.key == body);
    if !known {
        return Err(ApiError::Unprocessable(vec![FieldError::new(
            "body",
            format!("there is no body {body:?}"),
        )]));
    }
    require_recorder(principal, body)?;
    let author = principal.author()?;
    let (key, details) = input?;
    Ok(store
        .schedule_meeting(
            &author,
            &NewMeeting {
                body: body.to_owned(),
                key,
                details,
            },
        )
        .await?)
}

/// Replaces what the organisers set of a scheduled meeting, if still at `version`.
pub(crate) async fn edit(
    state: &AppState,
    principal: &Principal,
    key: &str,
    version: Result<i64, ApiError>,
    details: Result<MeetingDetails, ApiError>,
) -> Result<(), ApiError> {
    let body = meeting_body(state, key).await?;
    require_recorder(principal, &body)?;
    let author = principal.author()?;
    let version = version?;
    let details = details?;
    state
        .store()
        .edit_meeting(&author, key, version, &details)
        .await?;
    Ok(())
}

/// Adds a decision item to a scheduled meeting (if still at the expected version, when
/// given). Returns the decision's key.
pub(crate) async fn add_decision(
    state: &AppState,
    principal: &Principal,
    key: &str,
    expected: Result<Option<i64>, ApiError>,
    input: Result<NewDecision, ApiError>,
) -> Result<String, ApiError> {
    let body = meeting_body(state, key).await?;
    require_recorder(principal, &body)?;
    let author = principal.author()?;
    let expected = expected?;
    let new = input?;
    Ok(state
        .store()
        .add_decision(&author, key, expected, &new)
        .await?)
}

/// Closes a scheduled meeting (if still at the expected version, when given), on `closed_on`
/// or today.
pub(crate) async fn close(
    state: &AppState,
    principal: &Principal,
    key: &str,
    expected: Result<Option<i64>, ApiError>,
    closed_on: Result<Option<Date>, ApiError>,
) -> Result<ClosedMeeting, ApiError> {
    let body = meeting_body(state, key).await?;
    require_recorder(principal, &body)?;
    let author = principal.author()?;
    let expected = expected?;
    let closed_on = closed_on?.unwrap_or_else(|| time::OffsetDateTime::now_utc().date());
    Ok(state
        .store()
        .close_meeting(&author, key, expected, closed_on)
        .await?)
}

/// Lists meetings, newest first, with their decisions.
#[utoipa::path(
    get,
    path = "/api/v1/meetings",
    tag = "meetings",
    params(MeetingListQuery, PageQuery),
    responses((status = 200, description = "A page of meetings", body = MeetingPage))
)]
pub async fn list_meetings(
    State(state): State<AppState>,
    Language(lang): Language,
    Query(query): Query<MeetingListQuery>,
    Query(page): Query<PageQuery>,
) -> Result<Localized<MeetingPage>, ApiError> {
    let mut parse = Parse::default();
    let body = parse.opt("body", query.body.as_deref(), extract::key);
    let page = page.parse(LIST, &mut parse);
    parse.finish()?;
    let store = state.store();
    let found = store
        .meetings(&MeetingFilter { body }, page.cursor.as_deref(), page.limit)
        .await?;
    let names = Names::load(store, lang).await?;
    Ok(Localized::new(
        lang,
        MeetingPage {
            items: found
                .items
                .iter()
                .map(|m| meeting(m, &names, lang))
                .collect(),
            next_cursor: found.next_cursor.map(|c| encode_cursor(LIST, &c)),
        },
    ))
}

/// Shows one meeting with its decisions and each member's position; the `ETag` carries the
/// meeting's version, which changes send back in `If-Match`.
#[utoipa::path(
    get,
    path = "/api/v1/meetings/{key}",
    tag = "meetings",
    params(("key" = String, Path, description = "The meeting's key", example = "symposium-2024")),
    responses(
        (status = 200, description = "The meeting", body = MeetingResponse),
        (status = 400, description = "The key is malformed", body = ProblemResponse),
        (status = 404, description = "No meeting has this key", body = ProblemResponse,
            content_type = "application/problem+json"),
    )
)]
pub async fn get_meeting(
    State(state): State<AppState>,
    Language(lang): Language,
    Path(key): Path<String>,
) -> Result<Response, ApiError> {
    let key = path_key(&key)?;
    let (body, version) = meeting_response(&state, lang, &key, None).await?;
    Ok(versioned_response(&body, lang, version))
}

/// Schedules a meeting of a body: the body's secretary or the office. The host defaults to
/// the member the rotation proposes; another host needs `host_reason`.
#[utoipa::path(
    post,
    path = "/api/v1/meetings",
    tag = "meetings",
    request_body = NewMeetingBody,
    responses(
        (status = 201, description = "Scheduled; `Location` names it", body = MeetingResponse),
        (status = 401, description = "Not signed in", body = ProblemResponse),
        (status = 403, description = "Not the body's secretary or the office", body = ProblemResponse),
        (status = 409, description = "The key is taken: pass another `key`", body = ProblemResponse),
        (status = 413, description = "The body is too large", body = ProblemResponse),
        (status = 415, description = "Not JSON", body = ProblemResponse),
        (status = 422, description = "A field is invalid (e.g. `host_reason` missing for another host than the proposed one)", body = ProblemResponse),
    )
)]
pub async fn create_meeting(
    State(state): State<AppState>,
    principal: Principal,
    Language(lang): Language,
    JsonBody(request): JsonBody<NewMeetingBody>,
) -> Result<Response, ApiError> {
    let (body, key, details) = request.split();
    let body = extract::key(&body)
        .map_err(|e| ApiError::Unprocessable(vec![FieldError::new("body", e)]))?;
    let details = details.details();
    let key = schedule(&state, &principal, &body, details.map(|d| (key, d))).await?;
    let (meeting, version) = meeting_response(&state, lang, &key, None).await?;
    let mut response = versioned_response(&meeting, lang, version);
    *response.status_mut() = StatusCode::CREATED;
    if let Ok(location) = HeaderValue::from_str(&format!("/api/v1/meetings/{key}")) {
        response.headers_mut().insert(header::LOCATION, location);
    }
    Ok(response)
}

/// Replaces what the organisers set of a scheduled meeting (title, dates, host, theme, agenda,
/// documents): the body's secretary or the office, naming the version they read in `If-Match`.
#[utoipa::path(
    put,
    path = "/api/v1/meetings/{key}",
    tag = "meetings",
    params(
        ("key" = String, Path, description = "The meeting's key"),
        ("If-Match" = String, Header, description = "The meeting's `ETag`"),
    ),
    request_body = MeetingBody,
    responses(
        (status = 200, description = "The meeting as changed", body = MeetingResponse),
        (status = 400, description = "The key is malformed", body = ProblemResponse),
        (status = 401, description = "Not signed in", body = ProblemResponse),
        (status = 403, description = "Not the body's secretary or the office", body = ProblemResponse),
        (status = 404, description = "No such meeting", body = ProblemResponse),
        (status = 409, description = "The meeting is closed, or changed since it was read", body = ProblemResponse),
        (status = 422, description = "A field (or `If-Match`) is invalid", body = ProblemResponse),
        (status = 428, description = "No `If-Match`", body = ProblemResponse),
    )
)]
pub async fn edit_meeting(
    State(state): State<AppState>,
    principal: Principal,
    Language(lang): Language,
    Path(key): Path<String>,
    headers: HeaderMap,
    JsonBody(request): JsonBody<MeetingBody>,
) -> Result<Response, ApiError> {
    let key = path_key(&key)?;
    edit(
        &state,
        &principal,
        &key,
        required_if_match(&headers),
        request.details(),
    )
    .await?;
    let (meeting, version) = meeting_response(&state, lang, &key, None).await?;
    Ok(versioned_response(&meeting, lang, version))
}

/// Adds a decision item to a scheduled meeting: the body's secretary or the office. Its key
/// is `<meeting>.<n>`. `If-Match` is optional.
#[utoipa::path(
    post,
    path = "/api/v1/meetings/{key}/decisions",
    tag = "meetings",
    params(("key" = String, Path, description = "The meeting's key")),
    request_body = NewDecisionBody,
    responses(
        (status = 201, description = "Added", body = DecisionResponse),
        (status = 400, description = "The key is malformed", body = ProblemResponse),
        (status = 401, description = "Not signed in", body = ProblemResponse),
        (status = 403, description = "Not the body's secretary or the office", body = ProblemResponse),
        (status = 404, description = "No such meeting", body = ProblemResponse),
        (status = 409, description = "The meeting is closed, or changed since it was read", body = ProblemResponse),
        (status = 422, description = "A field is invalid: `subject.plan`, `subject.host` or `supersedes` that does not exist, …", body = ProblemResponse),
    )
)]
pub async fn create_decision(
    State(state): State<AppState>,
    principal: Principal,
    Language(lang): Language,
    Path(key): Path<String>,
    headers: HeaderMap,
    JsonBody(request): JsonBody<NewDecisionBody>,
) -> Result<Response, ApiError> {
    let key = path_key(&key)?;
    let added = add_decision(
        &state,
        &principal,
        &key,
        if_match_version(&headers),
        request.decision(),
    )
    .await?;
    let (meeting, _) = meeting_response(&state, lang, &key, None).await?;
    let decision = meeting
        .decisions
        .into_iter()
        .find(|d| d.key == added)
        .ok_or_else(|| ApiError::internal(format!("the decision {added} just added is missing")))?;
    Ok((
        StatusCode::CREATED,
        crate::response::json_response(&decision, Some(lang)),
    )
        .into_response())
}

/// Closes a scheduled meeting: the body's secretary or the office. Every decision's outcome is
/// frozen at its consensus status; plans adopted (outright or in principle) become `adopted`;
/// an adopted `next_host` decision schedules the body's meeting of the next year at that
/// host. `If-Match` is optional; the body may be left out (closed today).
#[utoipa::path(
    post,
    path = "/api/v1/meetings/{key}/close",
    tag = "meetings",
    params(("key" = String, Path, description = "The meeting's key")),
    request_body(content = CloseBody, description = "Optional"),
    responses(
        (status = 200, description = "Closed", body = CloseResponse),
        (status = 400, description = "The key is malformed", body = ProblemResponse),
        (status = 401, description = "Not signed in", body = ProblemResponse),
        (status = 403, description = "Not the body's secretary or the office", body = ProblemResponse),
        (status = 404, description = "No such meeting", body = ProblemResponse),
        (status = 409, description = "Already closed, or changed since it was read", body = ProblemResponse),
        (status = 422, description = "`closed_on` (or `If-Match`) is invalid", body = ProblemResponse),
    )
)]
pub async fn close_meeting(
    State(state): State<AppState>,
    principal: Principal,
    Language(lang): Language,
    Path(key): Path<String>,
    headers: HeaderMap,
    OptionalBody(request): OptionalBody<CloseBody>,
) -> Result<Response, ApiError> {
    let key = path_key(&key)?;
    let closed = close(
        &state,
        &principal,
        &key,
        if_match_version(&headers),
        closed_on(request.closed_on.as_deref()),
    )
    .await?;
    let (meeting, _) = meeting_response(&state, lang, &key, None).await?;
    let body = CloseResponse {
        meeting,
        adopted_plans: closed.adopted_plans,
        next_meeting: closed.next_meeting,
    };
    Ok(crate::response::json_response(&body, Some(lang)))
}

/// A JSON body that may be left out entirely (no `Content-Type` and no bytes): then the
/// default. A body that is sent is read exactly as [`JsonBody`] reads it.
pub struct OptionalBody<T>(pub T);

impl<T, S> axum::extract::FromRequest<S> for OptionalBody<T>
where
    T: serde::de::DeserializeOwned + Default,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(request: axum::extract::Request, state: &S) -> Result<Self, ApiError> {
        let headers = request.headers();
        let empty = !headers.contains_key(header::CONTENT_TYPE)
            && headers
                .get(header::CONTENT_LENGTH)
                .is_none_or(|length| length.as_bytes() == b"0")
            && !headers.contains_key(header::TRANSFER_ENCODING);
        if empty {
            return Ok(OptionalBody(T::default()));
        }
        let JsonBody(body) = JsonBody::<T>::from_request(request, state).await?;
        Ok(OptionalBody(body))
    }
}
