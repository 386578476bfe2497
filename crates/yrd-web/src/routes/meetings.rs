//! Meetings of the bodies and the decisions taken at them, with each member's position.

use axum::extract::State;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use yrd_domain::rules::consensus::effective_stance;
use yrd_domain::rules::decision_status;
use yrd_domain::{Decision, DecisionSubject, Lang};
use yrd_store::{MeetingFilter, MeetingWithDecisions};

use crate::AppState;
use crate::dto::{DecisionStatus, JurisdictionRef, Names, Stance, opt_text, text, texts};
use crate::error::{ApiError, ProblemResponse};
use crate::extract::{self, Language, PageQuery, Parse, Path, Query, encode_cursor};
use crate::response::Localized;

/// The name that ties cursors to this list.
const LIST: &str = "meetings";

/// A session of a body.
#[derive(Debug, Serialize, ToSchema)]
pub struct MeetingResponse {
    #[schema(example = "symposium-2024")]
    pub key: String,
    /// The key of the body that met.
    pub body: String,
    pub title: String,
    /// As precise as the record: `YYYY`, `YYYY-MM` or `YYYY-MM-DD`.
    #[schema(example = "2024-06-05")]
    pub start: String,
    pub end: Option<String>,
    /// The host city or member; `null` where the record does not say.
    pub host: Option<JurisdictionRef>,
    pub theme: Option<String>,
    pub attendees: Vec<AttendeeResponse>,
    pub agenda: Vec<String>,
    pub outcomes: Vec<String>,
    /// Outcomes that need the members' consent, in order.
    pub decisions: Vec<DecisionResponse>,
    pub source: String,
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

fn decision(
    d: &Decision,
    members: &[yrd_domain::AdminCode],
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
    DecisionResponse {
        key: d.key.clone(),
        seq: d.seq,
        title: text(&d.title, lang),
        subject,
        status: decision_status(members, &d.positions).into(),
        positions,
        source: d.source.clone(),
    }
}

fn meeting(m: &MeetingWithDecisions, names: &Names, lang: Lang) -> MeetingResponse {
    let meeting = &m.meeting;
    MeetingResponse {
        key: meeting.key.clone(),
        body: meeting.body.clone(),
        title: text(&meeting.title, lang),
        start: meeting.start.to_string(),
        end: meeting.end.map(|d| d.to_string()),
        host: meeting.host.map(|c| names.of(c)),
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
        outcomes: texts(&meeting.outcomes, lang),
        decisions: m
            .decisions
            .iter()
            .map(|d| decision(d, &m.body_members, names, lang))
            .collect(),
        source: meeting.source.clone(),
    }
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

/// Shows one meeting with its decisions and each member's position.
#[utoipa::path(
    get,
    path = "/api/v1/meetings/{key}",
    tag = "meetings",
    params(("key" = String, Path, description = "The meeting's key", example = "symposium-2024")),
    responses(
        (status = 200, description = "The meeting", body = MeetingResponse),
        (status = 404, description = "No meeting has this key", body = ProblemResponse,
            content_type = "application/problem+json"),
    )
)]
pub async fn get_meeting(
    State(state): State<AppState>,
    Language(lang): Language,
    Path(key): Path<String>,
) -> Result<Localized<MeetingResponse>, ApiError> {
    let key = extract::key(&key).map_err(|reason| ApiError::invalid("key", reason))?;
    let store = state.store();
    let found = store
        .meeting(&key)
        .await?
        .ok_or_else(|| ApiError::not_found("meeting", &key))?;
    let names = Names::load(store, lang).await?;
    Ok(Localized::new(lang, meeting(&found, &names, lang)))
}
