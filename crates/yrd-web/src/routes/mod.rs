//! The one list of API handlers. The router and the OpenAPI document are both built from
//! [`api`], so a route cannot be served undocumented or documented unserved.

mod accounts;
pub(crate) mod agreements;
pub(crate) mod bodies;
pub(crate) mod decisions;
mod health;
mod history;
pub(crate) mod indicators;
pub(crate) mod jurisdictions;
pub(crate) mod matters;
pub(crate) mod meetings;
pub(crate) mod plans;
pub(crate) mod problems;
pub(crate) mod publication;
mod reminders;
pub(crate) mod reports;
pub(crate) mod tasks;

use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::openapi;

/// Every route with its handler and its documentation.
pub fn api() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(openapi::base())
        .routes(routes!(health::healthz))
        .routes(routes!(jurisdictions::list_jurisdictions))
        .routes(routes!(jurisdictions::get_jurisdiction))
        .routes(routes!(jurisdictions::list_zones))
        .routes(routes!(bodies::list_bodies))
        .routes(routes!(meetings::list_meetings, meetings::create_meeting))
        .routes(routes!(meetings::get_meeting, meetings::edit_meeting))
        .routes(routes!(meetings::create_decision))
        .routes(routes!(meetings::close_meeting))
        .routes(routes!(plans::list_plans, plans::create_plan))
        .routes(routes!(plans::get_plan))
        .routes(routes!(matters::create_matter))
        .routes(routes!(publication::set_plan_publication))
        .routes(routes!(matters::list_matters))
        .routes(routes!(matters::get_matter))
        .routes(routes!(matters::carry_over))
        .routes(routes!(
            agreements::list_visible_agreements,
            agreements::create_agreement
        ))
        .routes(routes!(agreements::get_agreement))
        .routes(routes!(agreements::edit_agreement_text))
        .routes(routes!(agreements::open_agreement))
        .routes(routes!(agreements::sign_agreement))
        .routes(routes!(agreements::terminate_agreement))
        .routes(routes!(indicators::list_indicators))
        .routes(routes!(indicators::get_indicator))
        .routes(routes!(tasks::get_task, tasks::edit_task))
        .routes(routes!(tasks::add_subtask))
        .routes(routes!(tasks::submit_report, tasks::list_reports))
        .routes(routes!(reminders::list_reminders))
        .routes(routes!(reports::get_report))
        .routes(routes!(reports::approve_report))
        .routes(routes!(reports::verify_report))
        .routes(routes!(reports::return_report))
        .routes(routes!(decisions::record_position))
        .routes(routes!(publication::set_publication))
        .routes(routes!(problems::raise_problem))
        .routes(routes!(problems::list_problems))
        .routes(routes!(problems::get_problem))
        .routes(routes!(problems::escalate_problem))
        .routes(routes!(problems::resolve_problem))
        .routes(routes!(history::get_history))
        .routes(routes!(accounts::get_me))
        .routes(routes!(accounts::list_users, accounts::create_user))
        .routes(routes!(accounts::get_user))
        .routes(routes!(accounts::grant_role))
        .routes(routes!(accounts::revoke_role))
        .routes(routes!(accounts::list_tokens, accounts::create_token))
        .routes(routes!(accounts::revoke_token))
        .routes(routes!(openapi::openapi_json))
}
