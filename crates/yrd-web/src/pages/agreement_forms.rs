//! An agreement's page and the forms that draft, open, sign and end it.

use axum::Router;

use crate::AppState;

/// This module's routes, as (method, path).
pub const ROUTES: &[(&str, &str)] = &[];

pub fn router() -> Router<AppState> {
    Router::new()
}
