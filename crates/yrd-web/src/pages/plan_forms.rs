//! The forms that turn a plan into matters and tasks and keep them moving: drafting a plan
//! and publishing it, creating a matter under it, and, on a matter's page, reporting
//! progress, editing and splitting tasks, reviewing reports, carrying the matter over and
//! publishing it.
//!
//! Every post reads its fields with the API's field names, converts them into the API's
//! request body and calls the function the API handler calls, which asks the policy first and
//! leaves the rules to the store; a form is therefore judged and checked exactly as its JSON
//! equivalent. The form pages themselves show only to those the policy lets use them.

use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::http::Uri;
use axum::response::Response;
use axum::routing::{get, post};
use serde::Deserialize;
use time::OffsetDateTime;
use yrd_domain::access::{Action, decide};

use super::forms::{FormFields, PageForm, form_page};
use super::plans::KeyPath;
use super::{Chrome, PageLang, render};
use crate::AppState;
use crate::auth::Principal;
use crate::dto::{PlanKind, ReportState, text};
use crate::error::{ApiError, FieldError};
use crate::extract::{Path, Query};
use crate::routes::matters::{self, CarryOverBody, NewMatterBody, NewMilestoneBody, TaskShareBody};
use crate::routes::plans::{self, NewAreaBody, NewPlanBody, plan_target};
use crate::routes::publication;
use crate::routes::reports::{self, Step};
use crate::routes::tasks::{self, NewReportBody, NewSubtaskBody, TaskEditBody, TextBody};

/// This module's routes, as (method, path).
pub const ROUTES: &[(&str, &str)] = &[
    ("GET", "/{lang}/plans/new"),
    ("POST", "/{lang}/plans"),
    ("POST", "/{lang}/plans/{key}/publication"),
    ("GET", "/{lang}/plans/{key}/matters/new"),
    ("POST", "/{lang}/plans/{key}/matters"),
    ("POST", "/{lang}/matters/{key}/carry-over"),
    ("POST", "/{lang}/matters/{key}/publication"),
    ("POST", "/{lang}/tasks/{key}"),
    ("POST", "/{lang}/tasks/{key}/reports"),
    ("POST", "/{lang}/tasks/{key}/subtasks"),
    ("POST", "/{lang}/reports/{key}/approve"),
    ("POST", "/{lang}/reports/{key}/verify"),
    ("POST", "/{lang}/reports/{key}/return"),
];

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/{lang}/plans/new", get(new_plan))
        .route("/{lang}/plans", post(create_plan))
        .route("/{lang}/plans/{key}/publication", post(publish_plan))
        .route("/{lang}/plans/{key}/matters/new", get(new_matter))
        .route("/{lang}/plans/{key}/matters", post(create_matter))
        .route("/{lang}/matters/{key}/carry-over", post(carry_over))
        .route("/{lang}/matters/{key}/publication", post(publish_matter))
        .route("/{lang}/tasks/{key}", post(edit_task))
        .route("/{lang}/tasks/{key}/reports", post(submit_report))
        .route("/{lang}/tasks/{key}/subtasks", post(add_subtask))
        .route("/{lang}/reports/{key}/approve", post(approve))
        .route("/{lang}/reports/{key}/verify", post(verify))
        .route("/{lang}/reports/{key}/return", post(return_report))
}

/// How many area rows the plan form offers, and milestone rows the matter form.
pub const AREA_ROWS: usize = 9;
pub const MILESTONE_ROWS: usize = 4;

/// The fields `{name}_zh` and `{name}_en` as a request's bilingual text.
fn text_body(fields: &FormFields, name: &str) -> TextBody {
    TextBody {
        zh: fields.optional(&format!("{name}_zh")).unwrap_or_default(),
        en: fields.optional(&format!("{name}_en")).unwrap_or_default(),
    }
}

/// Like [`text_body`], but None when both are blank.
fn opt_text_body(fields: &FormFields, name: &str) -> Option<TextBody> {
    let body = text_body(fields, name);
    (!body.zh.is_empty() || !body.en.is_empty()).then_some(body)
}

/// Fails with every field error, if any.
fn checked<T>(value: T, errors: Vec<FieldError>) -> Result<T, ApiError> {
    if errors.is_empty() {
        Ok(value)
    } else {
        Err(ApiError::Unprocessable(errors))
    }
}

// ---------------------------------------------------------------------------------------
// Plans.

#[derive(Template)]
#[template(path = "plan_new.html")]
struct NewPlanPage {
    chrome: Chrome,
    kinds: &'static [&'static str],
    /// Every plan the reader sees, as (key, title), for the parent.
    plans: Vec<(String, String)>,
    areas: Vec<usize>,
    year: i32,
}

/// `/{lang}/plans/new`: the form that drafts a plan, for the office.
async fn new_plan(
    State(state): State<AppState>,
    PageLang(lang): PageLang,
    principal: Principal,
    uri: Uri,
) -> Response {
    let chrome = Chrome::new(lang, &uri, &principal);
    let page = async {
        principal.require(Action::Draft, &plan_target(true), "plans")?;
        let plans = state
            .store()
            .plans()
            .await?
            .into_iter()
            .filter(|p| principal.draft_visibility().sees(plan_publication(p)))
            .map(|p| (p.key.clone(), text(&p.title, lang)))
            .collect();
        render(&NewPlanPage {
            chrome: Chrome::new(lang, &uri, &principal),
            kinds: PlanKind::NAMES,
            plans,
            areas: (1..=AREA_ROWS).collect(),
            year: OffsetDateTime::now_utc().year(),
        })
    };
    form_page(lang, &principal, &chrome, page).await
}

fn plan_publication(plan: &yrd_domain::Plan) -> yrd_domain::access::Publication<'static> {
    yrd_domain::access::Publication {
        published: plan.published,
        body: None,
    }
}

/// The plan form as the API's request body.
fn plan_body(fields: &FormFields) -> Result<NewPlanBody, ApiError> {
    let mut errors = Vec::new();
    let mut year = |name: &str| match fields.number(name, 1900..=2200) {
        Ok(y) => y as i32,
        Err(e) => {
            errors.push(FieldError::new("period", e.reason));
            0
        }
    };
    let period = [year("period_start"), year("period_end")];
    let areas = (1..=AREA_ROWS)
        .filter_map(|i| {
            let key = fields.optional(&format!("area_{i}_key"));
            let name = text_body(fields, &format!("area_{i}_name"));
            if key.is_none() && name.zh.is_empty() && name.en.is_empty() {
                return None;
            }
            Some(NewAreaBody {
                key: key.unwrap_or_default(),
                name,
            })
        })
        .collect();
    let body = NewPlanBody {
        key: fields.optional("key").unwrap_or_default(),
        kind: fields.optional("kind").unwrap_or_default(),
        title: text_body(fields, "title"),
        parent: fields.optional("parent"),
        period,
        issuer: opt_text_body(fields, "issuer"),
        summary: opt_text_body(fields, "summary"),
        areas,
    };
    checked(body, errors)
}

/// `POST /{lang}/plans`: drafts a plan, then shows it.
async fn create_plan(State(state): State<AppState>, form: PageForm) -> Response {
    let body = plan_body(&form.fields);
    let outcome = plans::create(&state, &form.principal, body)
        .await
        .map(|key| format!("/plans/{key}"));
    form.finish(outcome)
}

/// Whether a publication form publishes (`true`) or withdraws.
fn published(fields: &FormFields) -> Result<bool, ApiError> {
    match fields.get("published") {
        Some("true") => Ok(true),
        Some("false") => Ok(false),
        _ => Err(ApiError::Unprocessable(vec![FieldError::new(
            "published",
            "expected true or false",
        )])),
    }
}

/// `POST /{lang}/plans/{key}/publication`: publishes or withdraws a plan.
async fn publish_plan(
    State(state): State<AppState>,
    Path(KeyPath { key }): Path<KeyPath>,
    form: PageForm,
) -> Response {
    let outcome = publication::publish_plan(&state, &form.principal, &key, published(&form.fields))
        .await
        .map(|()| format!("/plans/{key}"));
    form.finish(outcome)
}

// ---------------------------------------------------------------------------------------
// Matters.

/// A member that can lead or take part, with the current form's choice.
pub struct MemberChoice {
    pub code: String,
    pub name: String,
}

/// A record that can be linked, and whether the form starts with it ticked.
pub struct LinkChoice {
    pub key: String,
    pub name: String,
    pub checked: bool,
}

#[derive(Template)]
#[template(path = "matter_new.html")]
struct NewMatterPage {
    chrome: Chrome,
    plan_key: String,
    plan_title: String,
    /// The plan's areas, as (key, name).
    areas: Vec<(String, String)>,
    members: Vec<MemberChoice>,
    /// Bodies that can be responsible, as (key, name).
    bodies: Vec<(String, String)>,
    indicators: Vec<LinkChoice>,
    agreements: Vec<LinkChoice>,
    milestones: Vec<usize>,
}

/// The agreement a new matter carries out, when the agreement's page links here.
#[derive(Debug, Deserialize)]
pub struct NewMatterQuery {
    agreement: Option<String>,
}

/// `/{lang}/plans/{key}/matters/new[?agreement=<key>]`: the form that creates a matter, for
/// the office; an agreement named in the query starts ticked.
async fn new_matter(
    State(state): State<AppState>,
    PageLang(lang): PageLang,
    principal: Principal,
    Path(KeyPath { key }): Path<KeyPath>,
    Query(query): Query<NewMatterQuery>,
    uri: Uri,
) -> Response {
    let chrome = Chrome::new(lang, &uri, &principal);
    let page = async {
        let store = state.store();
        let plan = store
            .plan(&key)
            .await?
            .ok_or_else(|| ApiError::not_found("plan", &key))?;
        principal.require(
            Action::Draft,
            &plan_target(plan.published),
            &format!("plan {key:?}"),
        )?;
        let members = store
            .jurisdictions()
            .await?
            .into_iter()
            .filter(|j| j.parent.is_none())
            .map(|j| MemberChoice {
                code: j.code.to_string(),
                name: text(&j.name, lang),
            })
            .collect();
        let bodies = store
            .bodies()
            .await?
            .into_iter()
            .map(|b| (b.body.key.clone(), text(&b.body.name, lang)))
            .collect();
        let indicators = store
            .indicators()
            .await?
            .into_iter()
            .map(|i| LinkChoice {
                name: text(&i.name, lang),
                key: i.key,
                checked: false,
            })
            .collect();
        let wanted = query.agreement.as_deref().unwrap_or("");
        let agreements = store
            .agreements(None)
            .await?
            .into_iter()
            .map(|a| LinkChoice {
                name: text(&a.title, lang),
                checked: a.key == wanted,
                key: a.key,
            })
            .collect();
        render(&NewMatterPage {
            chrome: Chrome::new(lang, &uri, &principal),
            plan_title: text(&plan.title, lang),
            areas: plan
                .areas
                .iter()
                .map(|a| (a.key.clone(), text(&a.name, lang)))
                .collect(),
            plan_key: plan.key,
            members,
            bodies,
            indicators,
            agreements,
            milestones: (1..=MILESTONE_ROWS).collect(),
        })
    };
    form_page(lang, &principal, &chrome, page).await
}

/// The matter form as the API's request body. Each member's unit and due date come from
/// `unit_<code>_zh`, `unit_<code>_en` and `due_<code>`.
fn matter_body(fields: &FormFields) -> Result<NewMatterBody, ApiError> {
    let lead = fields.all("lead");
    let participants = fields.all("participants");
    let tasks = lead
        .iter()
        .chain(&participants)
        .filter_map(|code| {
            let unit = opt_text_body(fields, &format!("unit_{code}"));
            let due_date = fields.optional(&format!("due_{code}"));
            (unit.is_some() || due_date.is_some()).then(|| TaskShareBody {
                member: code.clone(),
                unit,
                title: None,
                due_date,
            })
        })
        .collect();
    let milestones = (1..=MILESTONE_ROWS)
        .filter_map(|i| {
            let title = text_body(fields, &format!("milestone_{i}_title"));
            let due_date = fields.optional(&format!("milestone_{i}_due"));
            if title.zh.is_empty() && title.en.is_empty() && due_date.is_none() {
                return None;
            }
            Some(NewMilestoneBody {
                title,
                due_date: due_date.unwrap_or_default(),
            })
        })
        .collect();
    Ok(NewMatterBody {
        key: fields.optional("key"),
        area: fields.optional("area"),
        title: text_body(fields, "title"),
        objective: opt_text_body(fields, "objective"),
        body: fields.optional("body"),
        lead,
        participants,
        start_date: fields.optional("start_date"),
        due_date: fields.optional("due_date").unwrap_or_default(),
        milestones,
        indicators: fields.all("indicators"),
        agreements: fields.all("agreements"),
        tasks,
        published: fields.get("published") == Some("true"),
    })
}

/// `POST /{lang}/plans/{key}/matters`: creates a matter, then shows it.
async fn create_matter(
    State(state): State<AppState>,
    Path(KeyPath { key }): Path<KeyPath>,
    form: PageForm,
) -> Response {
    let body = matter_body(&form.fields);
    let outcome = matters::create(&state, &form.principal, &key, body)
        .await
        .map(|matter| format!("/matters/{matter}"));
    form.finish(outcome)
}

/// `POST /{lang}/matters/{key}/carry-over`: carries the matter over, then shows the new one.
async fn carry_over(
    State(state): State<AppState>,
    Path(KeyPath { key }): Path<KeyPath>,
    form: PageForm,
) -> Response {
    let body = Ok(CarryOverBody {
        plan: form.fields.optional("plan").unwrap_or_default(),
        due_date: form.fields.optional("due_date"),
    });
    let outcome = matters::carry(&state, &form.principal, &key, body)
        .await
        .map(|new| format!("/matters/{new}"));
    form.finish(outcome)
}

/// `POST /{lang}/matters/{key}/publication`: publishes or withdraws a matter.
async fn publish_matter(
    State(state): State<AppState>,
    Path(KeyPath { key }): Path<KeyPath>,
    form: PageForm,
) -> Response {
    let outcome =
        publication::publish_matter(&state, &form.principal, &key, published(&form.fields))
            .await
            .map(|()| format!("/matters/{key}"));
    form.finish(outcome)
}

// ---------------------------------------------------------------------------------------
// Tasks and reports.

/// The matter page a task's form returns to, at the task.
async fn task_page(state: &AppState, task: &str) -> Result<String, ApiError> {
    let access = state
        .store()
        .task_access(task)
        .await?
        .ok_or_else(|| ApiError::not_found("task", task))?;
    Ok(format!("/matters/{}#task-{task}", access.matter))
}

/// `POST /{lang}/tasks/{key}`: edits a task; the hidden `version` is the edit's `If-Match`.
async fn edit_task(
    State(state): State<AppState>,
    Path(KeyPath { key }): Path<KeyPath>,
    form: PageForm,
) -> Response {
    let fields = &form.fields;
    let version = fields
        .required("version")
        .and_then(|v| {
            v.parse::<i64>()
                .map_err(|_| FieldError::new("version", "not a version of this task"))
        })
        .map_err(|e| ApiError::Unprocessable(vec![e]));
    let body = Ok(TaskEditBody {
        unit: opt_text_body(fields, "unit"),
        title: opt_text_body(fields, "title"),
        // A blank start date clears it; a form without the field leaves it.
        start_date: fields
            .get("start_date")
            .map(|s| Some(s.trim().to_owned()).filter(|s| !s.is_empty())),
        due_date: fields.optional("due_date"),
    });
    let outcome = async {
        tasks::edit(&state, &form.principal, &key, version, body).await?;
        task_page(&state, &key).await
    }
    .await;
    form.finish(outcome)
}

/// `POST /{lang}/tasks/{key}/reports`: submits a progress report; evidence links one a line.
async fn submit_report(
    State(state): State<AppState>,
    Path(KeyPath { key }): Path<KeyPath>,
    form: PageForm,
) -> Response {
    let fields = &form.fields;
    let percent = fields
        .number("percent", 0..=100)
        .map(|p| p as u8)
        .map_err(|e| ApiError::Unprocessable(vec![e]));
    let body = percent.map(|percent| NewReportBody {
        as_of: fields.optional("as_of").unwrap_or_default(),
        percent,
        narrative: text_body(fields, "narrative"),
        evidence: fields
            .get("evidence")
            .unwrap_or("")
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(str::to_owned)
            .collect(),
    });
    let outcome = async {
        tasks::report(&state, &form.principal, &key, body).await?;
        task_page(&state, &key).await
    }
    .await;
    form.finish(outcome)
}

/// `POST /{lang}/tasks/{key}/subtasks`: adds a sub-task under a member's task.
async fn add_subtask(
    State(state): State<AppState>,
    Path(KeyPath { key }): Path<KeyPath>,
    form: PageForm,
) -> Response {
    let fields = &form.fields;
    let body = Ok(NewSubtaskBody {
        unit: text_body(fields, "unit"),
        title: text_body(fields, "title"),
        due_date: fields.optional("due_date").unwrap_or_default(),
    });
    let outcome = async {
        let subtask = tasks::add(&state, &form.principal, &key, body).await?;
        task_page(&state, &subtask).await
    }
    .await;
    form.finish(outcome)
}

/// One review step from a form: the hidden `state` is the state the reviewer saw.
async fn review(state: AppState, key: String, form: PageForm, step: Step) -> Response {
    let fields = &form.fields;
    let expected = fields
        .required("state")
        .and_then(|s| {
            ReportState::parse(&s)
                .map(|s| Some(s.into()))
                .ok_or_else(|| FieldError::new("state", "not a state of a report"))
        })
        .map_err(|e| ApiError::Unprocessable(vec![e]));
    let reason = reports::return_reason(yrd_domain::Text::new(
        fields.optional("reason_zh").unwrap_or_default(),
        fields.optional("reason_en").unwrap_or_default(),
    ));
    let outcome = async {
        reports::review(&state, &form.principal, &key, step, expected, reason).await?;
        let access = state
            .store()
            .report_access(&key)
            .await?
            .ok_or_else(|| ApiError::not_found("report", &key))?;
        Ok(format!("/matters/{}#report-{key}", access.task.matter))
    }
    .await;
    form.finish(outcome)
}

async fn approve(
    State(state): State<AppState>,
    Path(KeyPath { key }): Path<KeyPath>,
    form: PageForm,
) -> Response {
    review(state, key, form, Step::Approve).await
}

async fn verify(
    State(state): State<AppState>,
    Path(KeyPath { key }): Path<KeyPath>,
    form: PageForm,
) -> Response {
    review(state, key, form, Step::Verify).await
}

async fn return_report(
    State(state): State<AppState>,
    Path(KeyPath { key }): Path<KeyPath>,
    form: PageForm,
) -> Response {
    review(state, key, form, Step::Return).await
}

/// Whether `principal` may take `action` on the target: what decides which forms a page
/// shows. The post is judged again by the same policy.
pub fn may(principal: &Principal, action: Action, target: &yrd_domain::access::Target<'_>) -> bool {
    decide(principal.actor().as_ref(), action, target).is_allowed()
}
