//! Publishing and withdrawing plans and matters: drafts become visible to everyone, or cease
//! to be. A matter is public only while its plan is too.

use axum::extract::State;
use axum::response::Response;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use yrd_domain::access::Action;

use crate::AppState;
use crate::auth::{Principal, matter_target};
use crate::error::{ApiError, ProblemResponse};
use crate::extract::{JsonBody, Path};
use crate::response::json_response;
use crate::routes::plans::plan_target;

/// Whether a plan or matter is published.
#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PublicationBody {
    pub published: bool,
}

/// Publishes or withdraws a matter for `principal`; the pages' form shares it. What is asked
/// for (`published`) is read after the policy allows the caller to ask.
pub(crate) async fn publish_matter(
    state: &AppState,
    principal: &Principal,
    key: &str,
    published: Result<bool, ApiError>,
) -> Result<(), ApiError> {
    let store = state.store();
    let access = store
        .matter_access(key)
        .await?
        .ok_or_else(|| ApiError::not_found("matter", key))?;
    principal.require(
        Action::Publish,
        &matter_target(&access),
        &format!("matter {key:?}"),
    )?;
    // Allowed above, so signed in.
    let author = principal.author()?;
    store.set_matter_published(&author, key, published?).await?;
    Ok(())
}

/// Publishes or withdraws a plan for `principal`; the pages' form shares it.
pub(crate) async fn publish_plan(
    state: &AppState,
    principal: &Principal,
    key: &str,
    published: Result<bool, ApiError>,
) -> Result<(), ApiError> {
    let store = state.store();
    let was = store
        .plan_published(key)
        .await?
        .ok_or_else(|| ApiError::not_found("plan", key))?;
    principal.require(Action::Publish, &plan_target(was), &format!("plan {key:?}"))?;
    let author = principal.author()?;
    store.set_plan_published(&author, key, published?).await?;
    Ok(())
}

/// Publishes or withdraws a matter: the office (region-wide, or of the matter's body) only.
#[utoipa::path(
    put,
    path = "/api/v1/matters/{key}/publication",
    tag = "plans",
    params(("key" = String, Path, description = "The matter's key")),
    request_body = PublicationBody,
    responses(
        (status = 200, description = "The matter's publication state now", body = PublicationBody),
        (status = 401, description = "Not signed in", body = ProblemResponse),
        (status = 403, description = "Not the office", body = ProblemResponse),
        (status = 404, description = "No such matter, or a draft the caller may not see", body = ProblemResponse),
    )
)]
pub async fn set_publication(
    State(state): State<AppState>,
    principal: Principal,
    Path(key): Path<String>,
    JsonBody(body): JsonBody<PublicationBody>,
) -> Result<Response, ApiError> {
    publish_matter(&state, &principal, &key, Ok(body.published)).await?;
    Ok(json_response(&body, None))
}

/// Publishes or withdraws a plan, and with it the plan's published matters: the office
/// (region-wide) only. Journalled on the plan (`publish` / `unpublish`).
#[utoipa::path(
    put,
    path = "/api/v1/plans/{key}/publication",
    tag = "plans",
    params(("key" = String, Path, description = "The plan's key")),
    request_body = PublicationBody,
    responses(
        (status = 200, description = "The plan's publication state now", body = PublicationBody),
        (status = 401, description = "Not signed in", body = ProblemResponse),
        (status = 403, description = "Not the office", body = ProblemResponse),
        (status = 404, description = "No such plan, or a draft the caller may not see", body = ProblemResponse),
    )
)]
pub async fn set_plan_publication(
    State(state): State<AppState>,
    principal: Principal,
    Path(key): Path<String>,
    JsonBody(body): JsonBody<PublicationBody>,
) -> Result<Response, ApiError> {
    publish_plan(&state, &principal, &key, Ok(body.published)).await?;
    Ok(json_response(&body, None))
}
