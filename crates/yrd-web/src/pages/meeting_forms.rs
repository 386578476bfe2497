//! The forms that run meetings: scheduling, agenda, positions, closing.

use axum::Router;

use crate::AppState;

/// This module's routes, as (method, path).
pub const ROUTES: &[(&str, &str)] = &[];

pub fn router() -> Router<AppState> {
    Router::new()
}
