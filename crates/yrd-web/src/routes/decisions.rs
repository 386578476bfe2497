//! Members' positions on the decisions of the mechanism's meetings. A position can be stated
//! or changed while the decision's meeting is scheduled; once it is closed, the outcome is
//! frozen and positions are refused (409).

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use utoipa::ToSchema;
use yrd_domain::access::{Action, Target};
use yrd_domain::{AdminCode, Text};

use crate::AppState;
use crate::auth::Principal;
use crate::dto::Stance;
use crate::error::{ApiError, FieldError, ProblemResponse};
use crate::extract::{self, JsonBody, Path};
use crate::routes::tasks::TextBody;

/// A member's position on a decision.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PositionBody {
    /// `consent`, `consent_in_principle` or `object`.
    #[schema(example = "consent")]
    pub stance: String,
    #[serde(default)]
    pub comment: TextBody,
}

/// A stance by its wire name, or 422 naming `stance`.
pub(crate) fn stance(name: &str) -> Result<Stance, ApiError> {
    Stance::parse(name).ok_or_else(|| {
        ApiError::Unprocessable(vec![FieldError::new(
            "stance",
            format!(
                "{name:?} is not a stance: expected one of {}",
                Stance::NAMES.join(", ")
            ),
        )])
    })
}

/// Records (or changes) `member`'s position on a decision: the member's coordinator only,
/// while the decision's meeting is scheduled. The pages' position form shares it.
pub(crate) async fn record(
    state: &AppState,
    principal: &Principal,
    key: &str,
    member: AdminCode,
    input: Result<(Stance, Text), ApiError>,
) -> Result<(), ApiError> {
    let store = state.store();
    let decision_body = store
        .decision_body(key)
        .await?
        .ok_or_else(|| ApiError::not_found("decision", key))?;
    principal.require(
        Action::RecordPosition,
        &Target::Decision {
            body: &decision_body,
            member,
        },
        &format!("decision {key:?}"),
    )?;
    // Allowed above, so signed in.
    let author = principal.author()?;
    let (stance, comment) = input?;
    store
        .record_position(&author, key, member, stance.into(), &comment)
        .await?;
    Ok(())
}

/// Records (or changes) a member's position on a decision: the member's coordinator only,
/// while the meeting is scheduled. Each change increments the meeting's version.
#[utoipa::path(
    put,
    path = "/api/v1/decisions/{key}/positions/{member}",
    tag = "meetings",
    params(
        ("key" = String, Path, description = "The decision's key"),
        ("member" = String, Path, description = "The member's six-digit code"),
    ),
    request_body = PositionBody,
    responses(
        (status = 204, description = "Recorded"),
        (status = 401, description = "Not signed in", body = ProblemResponse),
        (status = 403, description = "Not the member's coordinator", body = ProblemResponse),
        (status = 404, description = "No such decision", body = ProblemResponse),
        (status = 409, description = "The meeting is closed: its outcomes are frozen", body = ProblemResponse),
        (status = 422, description = "A field is invalid, or the member is not one of the body's", body = ProblemResponse),
    )
)]
pub async fn record_position(
    State(state): State<AppState>,
    principal: Principal,
    Path((key, member)): Path<(String, String)>,
    JsonBody(body): JsonBody<PositionBody>,
) -> Result<Response, ApiError> {
    let member = extract::code(&member).map_err(|e| ApiError::invalid("member", e))?;
    let input = stance(&body.stance).map(|s| (s, body.comment.to_text()));
    record(&state, &principal, &key, member, input).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
