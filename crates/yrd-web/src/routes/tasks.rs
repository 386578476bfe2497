//! Members' progress reports on their tasks.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use yrd_domain::Text;
use yrd_domain::access::Action;
use yrd_store::NewReport;

use crate::AppState;
use crate::auth::{Principal, task_target};
use crate::dto::ReportState;
use crate::error::{ApiError, FieldError, ProblemResponse};
use crate::extract::{self, JsonBody, Path};
use crate::response::json_response;

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
    let store = state.store();
    let task = store
        .task_access(&key)
        .await?
        .ok_or_else(|| ApiError::not_found("task", &key))?;
    principal.require(
        Action::ReportProgress,
        &task_target(&task),
        &format!("task {key:?}"),
    )?;
    // Allowed above, so signed in.
    let author = principal.author()?;
    let as_of = extract::full_date(&body.as_of)
        .map_err(|e| ApiError::Unprocessable(vec![FieldError::new("as_of", e)]))?;
    let report = store
        .submit_report(
            &author,
            &key,
            &NewReport {
                as_of,
                percent: body.percent,
                narrative: body.narrative.to_text(),
                evidence: body.evidence,
            },
        )
        .await?;
    let body = SubmittedReport {
        key: report.key,
        task: report.task,
        as_of: report.as_of.to_string(),
        percent: report.percent,
        state: report.state.into(),
    };
    Ok((StatusCode::CREATED, json_response(&body, None)).into_response())
}
