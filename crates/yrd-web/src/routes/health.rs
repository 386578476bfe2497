//! `GET /api/v1/healthz`: whether the service can reach its database.

use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::Response;
use serde::Serialize;
use utoipa::ToSchema;
use yrd_store::Engine;

use crate::AppState;
use crate::error::{ApiError, ProblemResponse};
use crate::response::json_response;

/// The service and its database answer.
#[derive(Debug, Serialize, ToSchema)]
pub struct HealthResponse {
    /// Always `ok` (a failing check answers 503 instead).
    pub status: HealthStatus,
    /// The database engine in use.
    pub database: Database,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum HealthStatus {
    Ok,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Database {
    Sqlite,
    Postgres,
}

/// Checks that the database answers.
#[utoipa::path(
    get,
    path = "/api/v1/healthz",
    tag = "health",
    responses(
        (status = 200, description = "The service and its database answer", body = HealthResponse),
        (status = 503, description = "The database does not answer", body = ProblemResponse,
            content_type = "application/problem+json"),
    )
)]
pub async fn healthz(State(state): State<AppState>) -> Result<Response, ApiError> {
    state.store().ping().await.map_err(ApiError::Unavailable)?;
    let database = match state.store().engine() {
        Engine::Sqlite => Database::Sqlite,
        Engine::Postgres => Database::Postgres,
    };
    let mut response = json_response(
        &HealthResponse {
            status: HealthStatus::Ok,
            database,
        },
        None,
    );
    // Each check must reach the database: no cache, ours or another, may answer for it.
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}
