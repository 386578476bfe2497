//! A progress report and its review: the member's coordinator approves, the office verifies
//! or returns with a reason, which the report keeps. Each step names the state it expects in
//! `If-Match` (the report's `ETag`), so two reviewers acting on the same report cannot both
//! succeed: the second gets 409. The pages' review forms share [`review`].

use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use yrd_domain::access::Action;
use yrd_domain::{ReportState as DomainState, Text};
use yrd_store::{ReportAccess, ReportTransition};

use crate::AppState;
use crate::auth::{Principal, report_target};
use crate::dto::{ReportState, opt_text};
use crate::error::{ApiError, ProblemResponse};
use crate::extract::{JsonBody, Language, Path};
use crate::response::json_response;
use crate::routes::tasks::TextBody;

/// A progress report.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReportDetail {
    pub key: String,
    pub task: String,
    #[schema(format = Date)]
    pub as_of: String,
    pub percent: u8,
    pub state: ReportState,
    pub narrative: Option<String>,
    pub evidence: Vec<String>,
    /// The user who submitted it in yrd; `null` for reports of the public record.
    pub submitted_by: Option<String>,
    /// Why the Office returned it; `null` unless it was returned.
    pub return_reason: Option<String>,
    pub source: String,
}

/// Why a report is returned.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReturnBody {
    pub reason: TextBody,
}

/// The report's state after a step.
#[derive(Debug, Serialize, ToSchema)]
pub struct Reviewed {
    pub state: ReportState,
}

/// The entity tag of a report in a state and language: the version `If-Match` names.
fn tag(state: DomainState, lang: &str) -> String {
    format!("\"{}.{lang}\"", ReportState::from(state).name())
}

/// The state an `If-Match` header expects, if it names one.
pub(crate) fn expected(headers: &HeaderMap) -> Result<Option<DomainState>, ApiError> {
    let Some(value) = headers.get(header::IF_MATCH) else {
        return Ok(None);
    };
    let state = value
        .to_str()
        .ok()
        .map(|v| v.trim().trim_start_matches("W/").trim_matches('"'))
        .and_then(|v| v.split('.').next())
        .and_then(ReportState::parse)
        .ok_or_else(|| {
            ApiError::invalid(
                "If-Match",
                "not an ETag of this report: GET the report first",
            )
        })?;
    Ok(Some(state.into()))
}

async fn access(state: &AppState, key: &str) -> Result<ReportAccess, ApiError> {
    state
        .store()
        .report_access(key)
        .await?
        .ok_or_else(|| ApiError::not_found("report", key))
}

/// One progress report, with its state as the `ETag` that review steps send in `If-Match`.
#[utoipa::path(
    get,
    path = "/api/v1/reports/{key}",
    tag = "tasks",
    params(("key" = String, Path, description = "The report's key")),
    responses(
        (status = 200, body = ReportDetail),
        (status = 404, description = "No such report, or one the caller may not see", body = ProblemResponse),
    )
)]
pub async fn get_report(
    State(state): State<AppState>,
    principal: Principal,
    Language(lang): Language,
    Path(key): Path<String>,
) -> Result<Response, ApiError> {
    let facts = access(&state, &key).await?;
    principal.require(
        Action::Read,
        &report_target(&facts),
        &format!("report {key:?}"),
    )?;
    let reports = state
        .store()
        .report(&key)
        .await?
        .ok_or_else(|| ApiError::not_found("report", &key))?;
    let body = ReportDetail {
        key: reports.key.clone(),
        task: reports.task.clone(),
        as_of: reports.as_of.to_string(),
        percent: reports.percent,
        state: reports.state.into(),
        narrative: opt_text(&reports.narrative, lang),
        evidence: reports.evidence.clone(),
        submitted_by: facts.submitted_by.clone(),
        return_reason: opt_text(&reports.return_reason, lang),
        source: reports.source.clone(),
    };
    let mut response = json_response(&body, Some(lang));
    if let Ok(value) = HeaderValue::from_str(&tag(reports.state, lang.code())) {
        response.headers_mut().insert(header::ETAG, value);
    }
    Ok(response)
}

/// A step of a report's review, as a request names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Step {
    Approve,
    Verify,
    Return,
}

/// The reason a return gives, or 422 naming `reason`.
pub(crate) fn return_reason(reason: Text) -> Result<Text, ApiError> {
    if reason.is_empty() {
        return Err(ApiError::Unprocessable(vec![
            crate::error::FieldError::new(
                "reason",
                "say why the report is returned, in at least one language",
            ),
        ]));
    }
    Ok(reason)
}

/// Takes one step of a report's review for `principal`: the policy first, then what the
/// request says (the state it expects, the reason of a return). The pages' forms share it.
pub(crate) async fn review(
    state: &AppState,
    principal: &Principal,
    key: &str,
    step: Step,
    expected: Result<Option<DomainState>, ApiError>,
    reason: Result<Text, ApiError>,
) -> Result<DomainState, ApiError> {
    let facts = access(state, key).await?;
    let action = match step {
        Step::Approve => Action::ApproveReport,
        Step::Verify | Step::Return => Action::VerifyReport,
    };
    principal.require(action, &report_target(&facts), &format!("report {key:?}"))?;
    let expected = expected?;
    let transition = match step {
        Step::Approve => ReportTransition::Approve,
        Step::Verify => ReportTransition::Verify,
        Step::Return => ReportTransition::Return { reason: reason? },
    };
    // Allowed above, so signed in.
    let author = principal.author()?;
    Ok(state
        .store()
        .review_report(&author, key, &transition, expected)
        .await?)
}

async fn respond(
    state: AppState,
    principal: Principal,
    key: String,
    headers: HeaderMap,
    step: Step,
    reason: Result<Text, ApiError>,
) -> Result<Response, ApiError> {
    let now = review(&state, &principal, &key, step, expected(&headers), reason).await?;
    Ok(json_response(&Reviewed { state: now.into() }, None).into_response())
}

/// Approves an officer's report: the member's coordinator, never for their own report.
#[utoipa::path(
    post,
    path = "/api/v1/reports/{key}/approve",
    tag = "tasks",
    params(("key" = String, Path, description = "The report's key")),
    responses(
        (status = 200, body = Reviewed),
        (status = 401, description = "Not signed in", body = ProblemResponse),
        (status = 403, description = "Not the member's coordinator, or their own report", body = ProblemResponse),
        (status = 404, description = "No such report", body = ProblemResponse),
        (status = 409, description = "Not submitted, or changed since read (If-Match)", body = ProblemResponse),
    )
)]
pub async fn approve_report(
    State(state): State<AppState>,
    principal: Principal,
    Path(key): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    respond(
        state,
        principal,
        key,
        headers,
        Step::Approve,
        Ok(Text::default()),
    )
    .await
}

/// Verifies a report: the office, never for its own report. Its figure then counts as verified
/// progress.
#[utoipa::path(
    post,
    path = "/api/v1/reports/{key}/verify",
    tag = "tasks",
    params(("key" = String, Path, description = "The report's key")),
    responses(
        (status = 200, body = Reviewed),
        (status = 401, description = "Not signed in", body = ProblemResponse),
        (status = 403, description = "Not the office, or its own report", body = ProblemResponse),
        (status = 404, description = "No such report", body = ProblemResponse),
        (status = 409, description = "Already verified or returned, or changed since read (If-Match)", body = ProblemResponse),
    )
)]
pub async fn verify_report(
    State(state): State<AppState>,
    principal: Principal,
    Path(key): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    respond(
        state,
        principal,
        key,
        headers,
        Step::Verify,
        Ok(Text::default()),
    )
    .await
}

/// Returns a report with the reason: the office. It no longer counts as progress.
#[utoipa::path(
    post,
    path = "/api/v1/reports/{key}/return",
    tag = "tasks",
    params(("key" = String, Path, description = "The report's key")),
    request_body = ReturnBody,
    responses(
        (status = 200, body = Reviewed),
        (status = 401, description = "Not signed in", body = ProblemResponse),
        (status = 403, description = "Not the office, or its own report", body = ProblemResponse),
        (status = 404, description = "No such report", body = ProblemResponse),
        (status = 409, description = "Already verified or returned, or changed since read (If-Match)", body = ProblemResponse),
        (status = 422, description = "No reason given", body = ProblemResponse),
    )
)]
pub async fn return_report(
    State(state): State<AppState>,
    principal: Principal,
    Path(key): Path<String>,
    headers: HeaderMap,
    JsonBody(body): JsonBody<ReturnBody>,
) -> Result<Response, ApiError> {
    let reason = return_reason(body.reason.to_text());
    respond(state, principal, key, headers, Step::Return, reason).await
}
