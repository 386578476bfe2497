//! Problems on the pages: the list by tier and age, a problem's page, and the forms that raise, escalate and resolve them.

use axum::Router;

use crate::AppState;

/// This module's routes, as (method, path).
pub const ROUTES: &[(&str, &str)] = &[];

pub fn router() -> Router<AppState> {
    Router::new()
}
