//! Members' tasks: one task with its sub-tasks and reports, editing it under `If-Match`,
//! splitting it into sub-tasks, and the progress reports members submit on it.
//!
//! Each change has one shared function that the JSON handler and the pages' form both call,
//! so a form is judged and checked exactly as its API equivalent.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Deserializer, Serialize};
use utoipa::ToSchema;
use yrd_domain::access::{Action, decide};
use yrd_domain::{Lang, ProgressReport, Text};
use yrd_store::{NewReport, NewSubtask, StoreError, TaskAccess, TaskEdit, TaskState};

use crate::AppState;
use crate::auth::{Principal, matter_target, task_target};
use crate::dto::{self, JurisdictionRef, Names, ReportState, opt_date, opt_text, text};
use crate::error::{ApiError, FieldError, ProblemResponse};
use crate::extract::{self, JsonBody, Language, PageQuery, Parse, Path, Query, encode_cursor};
use crate::response::{Localized, json_response, required_if_match, versioned_response};
use crate::routes::plans::created;

/// A text in both languages; at least one must be given.
#[derive(Clone, Debug, Default, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TextBody {
    #[serde(default)]
    pub zh: String,
    #[serde(default)]
    pub en: String,
}

impl TextBody {
    pub fn to_text(&self) -> Text {
        Text::new(self.zh.trim(), self.en.trim())
    }
}

/// A progress report as a member's officer submits it.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewReportBody {
    /// The day the figure describes.
    #[schema(format = Date, example = "2026-06-30")]
    pub as_of: String,
    #[schema(maximum = 100, example = 40)]
    pub percent: u8,
    pub narrative: TextBody,
    /// Links to evidence (http or https URLs).
    #[serde(default)]
    pub evidence: Vec<String>,
}

/// A submitted progress report.
#[derive(Debug, Serialize, ToSchema)]
pub struct SubmittedReport {
    pub key: String,
    pub task: String,
    #[schema(format = Date)]
    pub as_of: String,
    pub percent: u8,
    pub state: ReportState,
}

/// The matter a task belongs to.
#[derive(Debug, Serialize, ToSchema)]
pub struct MatterRef {
    pub key: String,
    pub title: String,
}

/// A sub-task under a member's task, with its latest progress on both bases.
#[derive(Debug, Serialize, ToSchema)]
pub struct SubtaskResponse {
    pub key: String,
    pub unit: String,
    pub title: String,
    #[schema(format = Date)]
    pub due_date: String,
    /// The latest self-reported percentage (reports not returned); `null` if none.
    pub reported_percent: Option<u8>,
    /// The latest percentage the Office verified; `null` if none.
    pub verified_percent: Option<u8>,
}

/// A report on a task, as the task lists it.
#[derive(Debug, Serialize, ToSchema)]
pub struct TaskReportResponse {
    pub key: String,
    #[schema(format = Date)]
    pub as_of: String,
    pub percent: u8,
    pub state: ReportState,
    /// Why the Office returned it; `null` unless it was returned.
    pub return_reason: Option<String>,
}

/// One task: a member's share of a matter, or a sub-task of one. Reported and verified
/// progress are kept apart.
#[derive(Debug, Serialize, ToSchema)]
pub struct TaskDetailResponse {
    pub key: String,
    pub matter: MatterRef,
    pub member: JurisdictionRef,
    /// The unit of the member that owns the task.
    pub unit: String,
    pub title: String,
    #[schema(format = Date)]
    pub start_date: Option<String>,
    #[schema(format = Date)]
    pub due_date: String,
    /// The task this is a sub-task of; `null` for a member's share of a matter.
    pub parent: Option<String>,
    /// Its sub-tasks, by key.
    pub subtasks: Vec<SubtaskResponse>,
    /// Incremented by every edit; the `ETag` carries it for `If-Match`.
    pub version: i64,
    /// The latest self-reported progress (reports not returned).
    pub reported_percent: Option<u8>,
    #[schema(format = Date)]
    pub reported_as_of: Option<String>,
    /// The latest progress the Office verified.
    pub verified_percent: Option<u8>,
    #[schema(format = Date)]
    pub verified_as_of: Option<String>,
    /// The task's newest reports, at most 200, oldest first; `/api/v1/tasks/{key}/reports`
    /// lists every one, a page at a time.
    pub reports: Vec<TaskReportResponse>,
    /// How many reports the task has in all, shown or not.
    pub reports_total: u64,
}

/// A page of a task's reports, oldest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct TaskReportPage {
    pub items: Vec<TaskReportResponse>,
    /// Pass as `cursor` to get the next page; `null` on the last page.
    pub next_cursor: Option<String>,
}

/// The name the cursors of a task's report list carry.
const REPORT_LIST: &str = "task-reports";

/// A report as a task's record and its report list show it.
fn task_report(r: &ProgressReport, lang: Lang) -> TaskReportResponse {
    TaskReportResponse {
        key: r.key.clone(),
        as_of: dto::date(r.as_of),
        percent: r.percent,
        state: r.state.into(),
        return_reason: opt_text(&r.return_reason, lang),
    }
}

/// A sub-task as its parent and its matter list it.
pub(crate) fn subtask(t: &TaskState, lang: Lang) -> SubtaskResponse {
    SubtaskResponse {
        key: t.task.key.clone(),
        unit: text(&t.task.unit, lang),
        title: text(&t.task.title, lang),
        due_date: dto::date(t.task.due),
        reported_percent: t.reported_percent,
        verified_percent: t.verified_percent,
    }
}

/// What decides who may do what with the task `key`, once `principal` is found allowed to do
/// `action` with it; 404 if there is no such task.
async fn task_allowed(
    state: &AppState,
    principal: &Principal,
    action: Action,
    key: &str,
) -> Result<TaskAccess, ApiError> {
    let access = state
        .store()
        .task_access(key)
        .await?
        .ok_or_else(|| ApiError::not_found("task", key))?;
    principal.require(action, &task_target(&access), &format!("task {key:?}"))?;
    Ok(access)
}

/// A task as `principal` may see it: what `GET /api/v1/tasks/{key}` shows.
pub(crate) async fn task_detail(
    state: &AppState,
    principal: &Principal,
    lang: Lang,
    key: &str,
) -> Result<TaskDetailResponse, ApiError> {
    task_allowed(state, principal, Action::Read, key).await?;
    let store = state.store();
    let detail = store
        .task(key)
        .await?
        .ok_or_else(|| ApiError::not_found("task", key))?;
    let names = Names::load(store, lang).await?;
    let t = &detail.state;
    Ok(TaskDetailResponse {
        key: t.task.key.clone(),
        matter: MatterRef {
            key: t.task.matter.clone(),
            title: text(&detail.matter_title, lang),
        },
        member: names.of(t.task.jurisdiction),
        unit: text(&t.task.unit, lang),
        title: text(&t.task.title, lang),
        start_date: opt_date(t.task.start),
        due_date: dto::date(t.task.due),
        parent: t.parent.clone(),
        subtasks: detail.subtasks.iter().map(|s| subtask(s, lang)).collect(),
        version: t.version,
        reported_percent: t.reported_percent,
        reported_as_of: opt_date(t.reported_as_of),
        verified_percent: t.verified_percent,
        verified_as_of: opt_date(t.verified_as_of),
        reports: detail
            .reports
            .iter()
            .map(|r| task_report(r, lang))
            .collect(),
        reports_total: detail.reports_total,
    })
}

/// Lists every report on a task, oldest first, a page at a time: the whole history that the
/// task's record shortens to its newest reports.
#[utoipa::path(
    get,
    path = "/api/v1/tasks/{key}/reports",
    tag = "tasks",
    params(("key" = String, Path, description = "The task's key"), PageQuery),
    responses(
        (status = 200, description = "A page of the task's reports", body = TaskReportPage),
        (status = 400, description = "The cursor or the limit is malformed", body = ProblemResponse),
        (status = 404, description = "No such task, or one of a draft the caller may not see", body = ProblemResponse),
    )
)]
pub async fn list_reports(
    State(state): State<AppState>,
    principal: Principal,
    Language(lang): Language,
    Path(key): Path<String>,
    Query(page): Query<PageQuery>,
) -> Result<Localized<TaskReportPage>, ApiError> {
    let mut parse = Parse::default();
    let page = page.parse(REPORT_LIST, &mut parse);
    parse.finish()?;
    task_allowed(&state, &principal, Action::Read, &key).await?;
    let store = state.store();
    let found = store
        .task_reports(&key, page.cursor.as_deref(), page.limit)
        .await?
        .ok_or_else(|| ApiError::not_found("task", &key))?;
    Ok(Localized::new(
        lang,
        TaskReportPage {
            items: found.items.iter().map(|r| task_report(r, lang)).collect(),
            next_cursor: found.next_cursor.map(|c| encode_cursor(REPORT_LIST, &c)),
        },
    ))
}

/// Shows one task with its sub-tasks and reports. The `ETag` (`"v<version>.<lang>.…"`) is
/// what an edit sends back in `If-Match`.
#[utoipa::path(
    get,
    path = "/api/v1/tasks/{key}",
    tag = "tasks",
    params(("key" = String, Path, description = "The task's key", example = "basic-research-joint-fund.320000")),
    responses(
        (status = 200, description = "The task", body = TaskDetailResponse,
            headers(("ETag" = String, description = "The task's version, for If-Match"))),
        (status = 404, description = "No such task, or one of a draft the caller may not see", body = ProblemResponse),
    )
)]
pub async fn get_task(
    State(state): State<AppState>,
    principal: Principal,
    Language(lang): Language,
    Path(key): Path<String>,
) -> Result<Response, ApiError> {
    let body = task_detail(&state, &principal, lang, &key).await?;
    Ok(versioned_response(&body, lang, body.version))
}

/// Lets a field tell `null` (present) from absent.
fn present<'de, D: Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Option<T>, D::Error> {
    T::deserialize(d).map(Some)
}

/// The fields of a task to change; the others stay as they are.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TaskEditBody {
    #[serde(default)]
    pub unit: Option<TextBody>,
    #[serde(default)]
    pub title: Option<TextBody>,
    /// `null` clears the start date.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>, format = Date)]
    pub start_date: Option<Option<String>>,
    /// Only the office changes a due date.
    #[serde(default)]
    #[schema(format = Date, example = "2026-10-31")]
    pub due_date: Option<String>,
}

/// Edits a task for `principal`, if it is still at the version `version` names (checked
/// after the policy, so that a refusal is not hidden behind a missing `If-Match`). The pages'
/// edit form shares it.
pub(crate) async fn edit(
    state: &AppState,
    principal: &Principal,
    key: &str,
    version: Result<i64, ApiError>,
    body: Result<TaskEditBody, ApiError>,
) -> Result<(), ApiError> {
    let store = state.store();
    let access = task_allowed(state, principal, Action::EditTask, key).await?;
    let version = version?;
    let body = body?;
    let author = principal.author()?;
    let mut errors = Vec::new();
    let mut date = |field: &str, value: &str| {
        extract::full_date(value)
            .map_err(|e| errors.push(FieldError::new(field, e)))
            .ok()
    };
    let start = body
        .start_date
        .as_ref()
        .map(|s| s.as_deref().and_then(|s| date("start_date", s)));
    let due = body.due_date.as_deref().and_then(|d| date("due_date", d));
    if !errors.is_empty() {
        return Err(ApiError::Unprocessable(errors));
    }
    // A due date binds the whole matter's schedule: the member may reorganise its share, the
    // office alone moves its deadline. Whether the date moves is judged on the version the
    // caller read; the store checks that version again under its lock.
    if let Some(due) = due
        && !decide(
            principal.actor().as_ref(),
            Action::Draft,
            &matter_target(&access.access),
        )
        .is_allowed()
    {
        let current = store
            .task(key)
            .await?
            .ok_or_else(|| ApiError::not_found("task", key))?;
        StoreError::check_version("task", current.state.version, Some(version))?;
        if due != current.state.task.due {
            return Err(ApiError::Forbidden(
                "only the office changes a due date".into(),
            ));
        }
    }
    let edit = TaskEdit {
        unit: body.unit.as_ref().map(TextBody::to_text),
        title: body.title.as_ref().map(TextBody::to_text),
        start,
        due,
    };
    store.edit_task(&author, key, version, &edit).await?;
    Ok(())
}

/// Edits a task's unit, title or dates: the member's officers and coordinators, or the office;
/// a new due date only the office. Send the task's `ETag` in `If-Match`: an edit of a task
/// changed since is refused (409), so two officers editing at once cannot overwrite each
/// other. Journalled (`edit`, the changed fields only).
#[utoipa::path(
    patch,
    path = "/api/v1/tasks/{key}",
    tag = "tasks",
    params(
        ("key" = String, Path, description = "The task's key"),
        ("If-Match" = String, Header, description = "The task's ETag"),
    ),
    request_body = TaskEditBody,
    responses(
        (status = 200, description = "The task as it is now, with its new ETag", body = TaskDetailResponse),
        (status = 401, description = "Not signed in", body = ProblemResponse),
        (status = 403, description = "Not the member's officer or coordinator, nor the office; or a due date changed by other than the office", body = ProblemResponse),
        (status = 404, description = "No such task, or one the caller may not see", body = ProblemResponse),
        (status = 409, description = "The task changed since the ETag was read", body = ProblemResponse),
        (status = 422, description = "A field is invalid (named in `errors`)", body = ProblemResponse),
        (status = 428, description = "No If-Match", body = ProblemResponse),
    )
)]
pub async fn edit_task(
    State(state): State<AppState>,
    principal: Principal,
    Language(lang): Language,
    Path(key): Path<String>,
    headers: HeaderMap,
    JsonBody(body): JsonBody<TaskEditBody>,
) -> Result<Response, ApiError> {
    edit(
        &state,
        &principal,
        &key,
        required_if_match(&headers),
        Ok(body),
    )
    .await?;
    let body = task_detail(&state, &principal, lang, &key).await?;
    Ok(versioned_response(&body, lang, body.version))
}

/// A sub-task as a member's coordinator adds it.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewSubtaskBody {
    pub unit: TextBody,
    pub title: TextBody,
    /// No later than the task's.
    #[schema(format = Date, example = "2026-09-30")]
    pub due_date: String,
}

/// Adds a sub-task under `key` for `principal`; the pages' form shares it. Returns its key.
pub(crate) async fn add(
    state: &AppState,
    principal: &Principal,
    key: &str,
    body: Result<NewSubtaskBody, ApiError>,
) -> Result<String, ApiError> {
    let store = state.store();
    task_allowed(state, principal, Action::AddSubtask, key).await?;
    let author = principal.author()?;
    let body = body?;
    let due = extract::full_date(&body.due_date)
        .map_err(|e| ApiError::Unprocessable(vec![FieldError::new("due_date", e)]))?;
    Ok(store
        .add_subtask(
            &author,
            key,
            &NewSubtask {
                unit: body.unit.to_text(),
                title: body.title.to_text(),
                due,
            },
        )
        .await?)
}

/// Adds a sub-task under a member's task: the member's coordinator only. It is due no later
/// than the task; sub-tasks are not split further. Sub-tasks show under their task but never
/// count in the matter's or plan's figures.
#[utoipa::path(
    post,
    path = "/api/v1/tasks/{key}/subtasks",
    tag = "tasks",
    params(("key" = String, Path, description = "The task's key")),
    request_body = NewSubtaskBody,
    responses(
        (status = 201, description = "The sub-task", body = TaskDetailResponse,
            headers(("Location" = String, description = "The sub-task's address"))),
        (status = 401, description = "Not signed in", body = ProblemResponse),
        (status = 403, description = "Not the member's coordinator", body = ProblemResponse),
        (status = 404, description = "No such task, or one the caller may not see", body = ProblemResponse),
        (status = 422, description = "A field is invalid, or the task is itself a sub-task", body = ProblemResponse),
    )
)]
pub async fn add_subtask(
    State(state): State<AppState>,
    principal: Principal,
    Language(lang): Language,
    Path(key): Path<String>,
    JsonBody(body): JsonBody<NewSubtaskBody>,
) -> Result<Response, ApiError> {
    let subtask = add(&state, &principal, &key, Ok(body)).await?;
    let body = task_detail(&state, &principal, lang, &subtask).await?;
    Ok(created(
        &format!("/api/v1/tasks/{subtask}"),
        versioned_response(&body, lang, body.version),
    ))
}

/// Submits a progress report on `key` for `principal`; the pages' form shares it.
pub(crate) async fn report(
    state: &AppState,
    principal: &Principal,
    key: &str,
    body: Result<NewReportBody, ApiError>,
) -> Result<ProgressReport, ApiError> {
    let store = state.store();
    let task = store
        .task_access(key)
        .await?
        .ok_or_else(|| ApiError::not_found("task", key))?;
    principal.require(
        Action::ReportProgress,
        &task_target(&task),
        &format!("task {key:?}"),
    )?;
    // Allowed above, so signed in.
    let author = principal.author()?;
    let body = body?;
    let as_of = extract::full_date(&body.as_of)
        .map_err(|e| ApiError::Unprocessable(vec![FieldError::new("as_of", e)]))?;
    Ok(store
        .submit_report_on(
            &author,
            key,
            &task,
            &NewReport {
                as_of,
                percent: body.percent,
                narrative: body.narrative.to_text(),
                evidence: body.evidence,
            },
        )
        .await?)
}

/// Submits a progress report on a task: the member's officers and coordinators only.
#[utoipa::path(
    post,
    path = "/api/v1/tasks/{key}/reports",
    tag = "tasks",
    params(("key" = String, Path, description = "The task's key")),
    request_body = NewReportBody,
    responses(
        (status = 201, body = SubmittedReport),
        (status = 401, description = "Not signed in", body = ProblemResponse),
        (status = 403, description = "Not an officer or coordinator of the task's member", body = ProblemResponse),
        (status = 404, description = "No such task, or one the caller may not see", body = ProblemResponse),
        (status = 422, description = "A field is invalid", body = ProblemResponse),
    )
)]
pub async fn submit_report(
    State(state): State<AppState>,
    principal: Principal,
    Path(key): Path<String>,
    JsonBody(body): JsonBody<NewReportBody>,
) -> Result<Response, ApiError> {
    let report = report(&state, &principal, &key, Ok(body)).await?;
    let body = SubmittedReport {
        key: report.key,
        task: report.task,
        as_of: report.as_of.to_string(),
        percent: report.percent,
        state: report.state.into(),
    };
    Ok((StatusCode::CREATED, json_response(&body, None)).into_response())
}
