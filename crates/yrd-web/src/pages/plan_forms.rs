//! The forms that turn a plan into matters and tasks: creating matters, splitting tasks, editing them, carrying matters over.

use axum::Router;

use crate::AppState;

/// This module's routes, as (method, path).
pub const ROUTES: &[(&str, &str)] = &[];

pub fn router() -> Router<AppState> {
    Router::new()
}
