//! The forms that run meetings: scheduling one (the host select pre-filled with the host the
//! rotation proposes), editing a scheduled meeting's agenda and documents, adding decision
//! items, closing it, and each member's coordinator's position on each decision.
//!
//! Every form post reads its fields, converts them as the API converts its JSON (the same
//! conversions, so a field has the same name and the same errors in both), and calls the
//! function the API handler calls, which asks the policy and leaves the rules to the store.

use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::http::Uri;
use axum::response::Response;
use axum::routing::{get, post};
use serde::Deserialize;
use yrd_domain::access::{Action, Target, decide};
use yrd_domain::{Lang, Text};
use yrd_store::{Document, MeetingDetails};

use super::forms::{FormFields, PageForm, failure};
use super::plans::KeyPath;
use super::{Chrome, PageLang, render};
use crate::AppState;
use crate::auth::Principal;
use crate::dto::text;
use crate::error::{ApiError, FieldError};
use crate::extract::{self, Path, Query};
use crate::routes::decisions;
use crate::routes::meetings::{self, NewDecisionBody, SubjectBody};
use crate::routes::tasks::TextBody;

/// This module's routes, as (method, path).
pub const ROUTES: &[(&str, &str)] = &[
    ("GET", "/{lang}/meetings/new"),
    ("POST", "/{lang}/meetings"),
    ("POST", "/{lang}/meetings/{key}/agenda"),
    ("POST", "/{lang}/meetings/{key}/decisions"),
    ("POST", "/{lang}/meetings/{key}/close"),
    ("POST", "/{lang}/decisions/{key}/positions"),
];

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/{lang}/meetings/new", get(new_meeting))
        .route("/{lang}/meetings", post(schedule))
        .route("/{lang}/meetings/{key}/agenda", post(edit_agenda))
        .route("/{lang}/meetings/{key}/decisions", post(add_decision))
        .route("/{lang}/meetings/{key}/close", post(close))
        .route("/{lang}/decisions/{key}/positions", post(position))
}

/// How many agenda items and documents the schedule form offers; the agenda form offers the
/// meeting's own and as many blank rows again.
const AGENDA_ROWS: usize = 5;
const DOCUMENT_ROWS: usize = 3;
/// The most rows a form post is read for.
const MAX_ROWS: usize = 100;

/// An option of a select: value and label.
pub struct Choice {
    pub value: String,
    pub label: String,
}

/// One agenda row of a form, in both languages.
pub struct AgendaRow {
    pub zh: String,
    pub en: String,
}

/// One document row of a form.
pub struct DocumentRow {
    pub title_zh: String,
    pub title_en: String,
    pub url: String,
}

/// Agenda rows for `agenda`, with `blank` empty rows after them.
pub fn agenda_rows(agenda: &[Text], blank: usize) -> Vec<AgendaRow> {
    agenda
        .iter()
        .map(|t| AgendaRow {
            zh: t.zh.clone(),
            en: t.en.clone(),
        })
        .chain((0..blank).map(|_| AgendaRow {
            zh: String::new(),
            en: String::new(),
        }))
        .collect()
}

/// Document rows for `documents`, with `blank` empty rows after them.
pub fn document_rows(documents: &[Document], blank: usize) -> Vec<DocumentRow> {
    documents
        .iter()
        .map(|d| DocumentRow {
            title_zh: d.title.zh.clone(),
            title_en: d.title.en.clone(),
            url: d.url.clone(),
        })
        .chain((0..blank).map(|_| DocumentRow {
            title_zh: String::new(),
            title_en: String::new(),
            url: String::new(),
        }))
        .collect()
}

/// The text of the fields `zh` and `en`, each trimmed (blank when absent).
fn pair(fields: &FormFields, zh: &str, en: &str) -> Text {
    Text::new(
        fields.optional(zh).unwrap_or_default(),
        fields.optional(en).unwrap_or_default(),
    )
}

/// The agenda the rows `agenda_zh_<n>` / `agenda_en_<n>` hold, blank rows left out.
fn agenda_from(fields: &FormFields) -> Vec<Text> {
    (1..=MAX_ROWS)
        .map(|n| pair(fields, &format!("agenda_zh_{n}"), &format!("agenda_en_{n}")))
        .filter(|t| !t.is_empty())
        .collect()
}

/// The documents the rows `doc_title_zh_<n>`, `doc_title_en_<n>`, `doc_url_<n>` hold, blank
/// rows left out (a half-filled row is kept, for the store to name what it lacks).
fn documents_from(fields: &FormFields) -> Vec<Document> {
    (1..=MAX_ROWS)
        .map(|n| Document {
            title: pair(
                fields,
                &format!("doc_title_zh_{n}"),
                &format!("doc_title_en_{n}"),
            ),
            url: fields.optional(&format!("doc_url_{n}")).unwrap_or_default(),
        })
        .filter(|d| !(d.title.is_empty() && d.url.is_empty()))
        .collect()
}

/// A version sent as a hidden field: what `If-Match` is to the API.
fn version(fields: &FormFields) -> Result<Option<i64>, ApiError> {
    match fields.optional("version") {
        None => Ok(None),
        Some(v) => v.parse().map(Some).map_err(|_| {
            ApiError::Unprocessable(vec![FieldError::new(
                "version",
                format!("{v:?} is not a version: reload the page"),
            )])
        }),
    }
}

/// The query of the schedule form.
#[derive(Debug, Deserialize)]
pub struct NewMeetingQuery {
    /// The body whose meeting is scheduled.
    pub body: Option<String>,
}

#[derive(Template)]
#[template(path = "meeting_new.html")]
struct NewMeetingPage {
    chrome: Chrome,
    body: String,
    body_name: String,
    /// The proposed host's code and name.
    proposed: Option<Choice>,
    hosts: Vec<Choice>,
    agenda: Vec<AgendaRow>,
    documents: Vec<DocumentRow>,
}

/// The jurisdictions a host may be chosen from: every one of the register, by code.
pub async fn host_choices(state: &AppState, lang: Lang) -> Result<Vec<Choice>, ApiError> {
    let mut hosts: Vec<Choice> = state
        .store()
        .jurisdictions()
        .await?
        .into_iter()
        .map(|j| Choice {
            value: j.code.to_string(),
            label: format!("{} ({})", text(&j.name, lang), j.code),
        })
        .collect();
    hosts.sort_by(|a, b| a.value.cmp(&b.value));
    Ok(hosts)
}

/// `GET /{lang}/meetings/new?body=<key>`: the form that schedules a meeting of a body, for
/// those who record its meetings.
async fn new_meeting(
    State(state): State<AppState>,
    PageLang(lang): PageLang,
    principal: Principal,
    Query(query): Query<NewMeetingQuery>,
    uri: Uri,
) -> Response {
    match new_meeting_page(&state, lang, &principal, query, &uri).await {
        Ok(response) => response,
        Err(error) => failure(lang, &principal, None, error),
    }
}

async fn new_meeting_page(
    state: &AppState,
    lang: Lang,
    principal: &Principal,
    query: NewMeetingQuery,
    uri: &Uri,
) -> Result<Response, ApiError> {
    let body = query
        .body
        .ok_or_else(|| ApiError::invalid("body", "name the body whose meeting is scheduled"))?;
    let body = extract::key(&body).map_err(|e| ApiError::invalid("body", e))?;
    let store = state.store();
    let found = store
        .bodies()
        .await?
        .into_iter()
        .find(|b| b.body.key == body)
        .ok_or_else(|| ApiError::not_found("body", &body))?;
    principal.require(
        Action::RecordMeeting,
        &Target::Meeting { body: &body },
        &format!("body {body:?}"),
    )?;
    let hosts = host_choices(state, lang).await?;
    let proposed = store.proposed_next_host(&body).await?.map(|code| {
        let value = code.to_string();
        let label = hosts
            .iter()
            .find(|h| h.value == value)
            .map_or_else(|| value.clone(), |h| h.label.clone());
        Choice { value, label }
    });
    render(&NewMeetingPage {
        chrome: Chrome::new(lang, uri, principal),
        body_name: text(&found.body.name, lang),
        body,
        proposed,
        hosts,
        agenda: agenda_rows(&[], AGENDA_ROWS),
        documents: document_rows(&[], DOCUMENT_ROWS),
    })
}

/// The details of a meeting a form holds, converted as the API converts its body.
fn details_from(fields: &FormFields) -> Result<MeetingDetails, ApiError> {
    let both = |name: &str| {
        let t = fields.optional_text(name);
        TextBody { zh: t.zh, en: t.en }
    };
    meetings::MeetingBody {
        title: both("title"),
        start_date: fields.optional("start_date").unwrap_or_default(),
        end_date: fields.optional("end_date"),
        host: fields.optional("host"),
        host_reason: Some(both("host_reason")),
        theme: Some(both("theme")),
        agenda: agenda_from(fields)
            .into_iter()
            .map(|t| TextBody { zh: t.zh, en: t.en })
            .collect(),
        documents: documents_from(fields)
            .into_iter()
            .map(|d| meetings::DocumentBody {
                title: TextBody {
                    zh: d.title.zh,
                    en: d.title.en,
                },
                url: d.url,
            })
            .collect(),
    }
    .details()
}

/// `POST /{lang}/meetings`: schedules a meeting; on to its page.
async fn schedule(State(state): State<AppState>, form: PageForm) -> Response {
    let outcome = async {
        let body = form
            .fields
            .required("body")
            .map_err(|e| ApiError::Unprocessable(vec![e]))?;
        let input = details_from(&form.fields).map(|d| (form.fields.optional("key"), d));
        let key = meetings::schedule(&state, &form.principal, &body, input).await?;
        Ok(format!("/meetings/{key}"))
    }
    .await;
    form.finish(outcome)
}

/// `POST /{lang}/meetings/{key}/agenda`: replaces a scheduled meeting's agenda and documents,
/// if the meeting is still at the version the form was shown with.
async fn edit_agenda(
    State(state): State<AppState>,
    Path(KeyPath { key }): Path<KeyPath>,
    form: PageForm,
) -> Response {
    let outcome = async {
        let current = state
            .store()
            .meeting(&key)
            .await?
            .ok_or_else(|| ApiError::not_found("meeting", &key))?;
        let version = version(&form.fields).and_then(|v| {
            v.ok_or_else(|| {
                ApiError::Unprocessable(vec![FieldError::new(
                    "version",
                    "the form lacks the version it was shown with: reload the page",
                )])
            })
        });
        // Everything else stays as it is: the host the meeting has, with its reason.
        let details = MeetingDetails {
            title: current.meeting.title.clone(),
            start: current.meeting.start,
            end: current.meeting.end,
            host: current.meeting.host,
            host_reason: current.record.host_reason.clone(),
            theme: current.meeting.theme.clone(),
            agenda: agenda_from(&form.fields),
            documents: documents_from(&form.fields),
        };
        meetings::edit(&state, &form.principal, &key, version, Ok(details)).await?;
        Ok(format!("/meetings/{key}"))
    }
    .await;
    form.finish(outcome)
}

/// `POST /{lang}/meetings/{key}/decisions`: adds a decision item to a scheduled meeting.
async fn add_decision(
    State(state): State<AppState>,
    Path(KeyPath { key }): Path<KeyPath>,
    form: PageForm,
) -> Response {
    let outcome = async {
        let fields = &form.fields;
        let title = fields.optional_text("title");
        let input = NewDecisionBody {
            title: TextBody {
                zh: title.zh,
                en: title.en,
            },
            subject: SubjectBody {
                kind: fields.optional("kind").unwrap_or_default(),
                plan: fields.optional("plan"),
                host: fields.optional("host"),
            },
            supersedes: fields.optional("supersedes"),
        }
        .decision();
        meetings::add_decision(&state, &form.principal, &key, version(fields), input).await?;
        Ok(format!("/meetings/{key}"))
    }
    .await;
    form.finish(outcome)
}

/// `POST /{lang}/meetings/{key}/close`: closes a scheduled meeting, freezing its outcomes.
async fn close(
    State(state): State<AppState>,
    Path(KeyPath { key }): Path<KeyPath>,
    form: PageForm,
) -> Response {
    let outcome = async {
        let closed_on = meetings::closed_on(form.fields.optional("closed_on").as_deref());
        meetings::close(
            &state,
            &form.principal,
            &key,
            version(&form.fields),
            closed_on,
        )
        .await?;
        Ok(format!("/meetings/{key}"))
    }
    .await;
    form.finish(outcome)
}

/// `POST /{lang}/decisions/{key}/positions`: records a member's position; back to the
/// decision's meeting.
async fn position(
    State(state): State<AppState>,
    Path(KeyPath { key }): Path<KeyPath>,
    form: PageForm,
) -> Response {
    let outcome = async {
        let fields = &form.fields;
        let member = fields
            .required("member")
            .and_then(|m| extract::code(&m).map_err(|e| FieldError::new("member", e)))
            .map_err(|e| ApiError::Unprocessable(vec![e]))?;
        let input = fields
            .required("stance")
            .map_err(|e| ApiError::Unprocessable(vec![e]))
            .and_then(|s| decisions::stance(&s))
            .map(|s| (s, fields.optional_text("comment")));
        decisions::record(&state, &form.principal, &key, member, input).await?;
        let meeting = state
            .store()
            .decision_meeting(&key)
            .await?
            .ok_or_else(|| ApiError::not_found("decision", &key))?;
        Ok(format!("/meetings/{meeting}"))
    }
    .await;
    form.finish(outcome)
}

/// What the meeting page offers the signed-in user: the organisers' forms while the meeting is
/// scheduled, and a position form for each member whose positions they record.
pub struct MeetingForms {
    /// The session's CSRF token, for every form.
    pub csrf: String,
    /// Whether the user records this body's meetings (and the meeting is scheduled).
    pub organise: bool,
    /// The members whose positions the user records, by code.
    pub members: Vec<String>,
    pub agenda: Vec<AgendaRow>,
    pub documents: Vec<DocumentRow>,
    pub plans: Vec<Choice>,
    pub hosts: Vec<Choice>,
    /// Decisions of the body's closed meetings, which a new decision may supersede.
    pub superseded: Vec<Choice>,
}

impl MeetingForms {
    /// Whether the user states `member`'s positions here.
    pub fn states_for(&self, member: impl AsRef<str>) -> bool {
        let member = member.as_ref();
        self.members.iter().any(|m| m == member)
    }
}

/// The forms of a scheduled meeting's page that `principal` may use; None when there are
/// none (a closed meeting, a visitor, or a user with no part in it).
pub async fn meeting_forms(
    state: &AppState,
    lang: Lang,
    principal: &Principal,
    chrome: &Chrome,
    meeting: &meetings::MeetingResponse,
) -> Result<Option<MeetingForms>, ApiError> {
    let Some(csrf) = chrome.csrf() else {
        return Ok(None);
    };
    if meeting.state != meetings::MeetingState::Scheduled {
        return Ok(None);
    }
    let actor = principal.actor();
    let body = meeting.body.as_str();
    let organise = decide(
        actor.as_ref(),
        Action::RecordMeeting,
        &Target::Meeting { body },
    )
    .is_allowed();
    let members: Vec<String> = meeting
        .decisions
        .first()
        .map(|d| {
            d.positions
                .iter()
                .filter(|p| {
                    p.jurisdiction.code.parse().is_ok_and(|member| {
                        decide(
                            actor.as_ref(),
                            Action::RecordPosition,
                            &Target::Decision { body, member },
                        )
                        .is_allowed()
                    })
                })
                .map(|p| p.jurisdiction.code.clone())
                .collect()
        })
        .unwrap_or_default();
    if !organise && members.is_empty() {
        return Ok(None);
    }
    let mut forms = MeetingForms {
        csrf: csrf.to_owned(),
        organise,
        members,
        agenda: Vec::new(),
        documents: Vec::new(),
        plans: Vec::new(),
        hosts: Vec::new(),
        superseded: Vec::new(),
    };
    if organise {
        let store = state.store();
        let current = store
            .meeting(&meeting.key)
            .await?
            .ok_or_else(|| ApiError::not_found("meeting", &meeting.key))?;
        forms.agenda = agenda_rows(&current.meeting.agenda, AGENDA_ROWS);
        forms.documents = document_rows(&current.record.documents, DOCUMENT_ROWS);
        let visibility = principal.draft_visibility();
        forms.plans = store
            .plans()
            .await?
            .into_iter()
            .filter(|p| {
                visibility.sees(yrd_domain::access::Publication {
                    published: p.published,
                    body: None,
                })
            })
            .map(|p| Choice {
                label: format!("{} ({})", text(&p.title, lang), p.key),
                value: p.key,
            })
            .collect();
        forms.hosts = host_choices(state, lang).await?;
        let earlier = store
            .meetings(
                &yrd_store::MeetingFilter {
                    body: Some(meeting.body.clone()),
                },
                None,
                yrd_store::MAX_PAGE,
            )
            .await?;
        forms.superseded = earlier
            .items
            .iter()
            .filter(|m| m.record.state == yrd_store::MeetingState::Closed)
            .flat_map(|m| {
                m.decisions.iter().map(move |d| Choice {
                    value: d.key.clone(),
                    label: format!("{} — {} ({})", m.meeting.start, text(&d.title, lang), d.key),
                })
            })
            .collect();
    }
    Ok(Some(forms))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blank_rows_are_left_out_and_half_filled_ones_kept() {
        let fields = FormFields::parse(
            b"agenda_zh_1=%E8%AE%AE%E7%A8%8B&agenda_en_1=&agenda_zh_2=&agenda_en_2=&agenda_en_3=Item\
              &doc_title_zh_1=&doc_title_en_1=&doc_url_1=&doc_title_en_2=Draft&doc_url_2=",
        );
        let agenda = agenda_from(&fields);
        assert_eq!(agenda, vec![Text::new("议程", ""), Text::new("", "Item")]);
        let documents = documents_from(&fields);
        assert_eq!(documents.len(), 1);
        assert_eq!(documents[0].title, Text::new("", "Draft"));
        assert_eq!(documents[0].url, "");
        assert!(matches!(
            version(&FormFields::parse(b"version=x")),
            Err(ApiError::Unprocessable(_))
        ));
        assert_eq!(
            version(&FormFields::parse(b"version=7")).ok(),
            Some(Some(7))
        );
    }
}
