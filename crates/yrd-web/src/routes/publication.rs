//! Publishing and withdrawing matters: drafts become visible to everyone, or cease to be.

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

/// Whether a matter is published.
#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PublicationBody {
    pub published: bool,
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
    let store = state.store();
    let access = store
        .matter_access(&key)
        .await?
        .ok_or_else(|| ApiError::not_found("matter", &key))?;
    principal.require(
        Action::Publish,
        &matter_target(&access),
        &format!("matter {key:?}"),
    )?;
    // Allowed above, so signed in.
    let author = principal.author()?;
    store
        .set_matter_published(&author, &key, body.published)
        .await?;
    Ok(json_response(&body, None))
}
