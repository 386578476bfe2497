//! Reminders: what a member owes that is due soon or overdue, by due date.

use axum::extract::State;
use serde::{Deserialize, Serialize};
use time::{Date, Duration, OffsetDateTime};
use utoipa::{IntoParams, ToSchema};

use crate::AppState;
use crate::auth::Principal;
use crate::dto::{self, text};
use crate::error::{ApiError, ProblemResponse};
use crate::extract::{self, Language, Parse, Query};
use crate::response::Localized;

/// Whose reminders, and how far ahead.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ReminderQuery {
    /// The member (six-digit code). Required.
    #[param(example = "340000", pattern = "^[0-9]{6}$")]
    pub member: Option<String>,
    /// Days ahead of `as_of` that count as due soon, 0–366. Default 30.
    pub within: Option<String>,
    /// The day reminders are computed for, `YYYY-MM-DD`. Default: today (UTC).
    #[param(format = Date)]
    pub as_of: Option<String>,
}

/// A task that is overdue or due soon.
#[derive(Debug, Serialize, ToSchema)]
pub struct Reminder {
    pub task: String,
    pub matter: String,
    pub matter_title: String,
    pub title: String,
    #[schema(format = Date)]
    pub due: String,
    /// Past its due date on `as_of` and not reported complete.
    pub overdue: bool,
    /// The latest self-reported percent, if any.
    pub reported_percent: Option<u8>,
}

/// A member's reminders, overdue first, by due date.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReminderList {
    #[schema(format = Date)]
    pub as_of: String,
    pub items: Vec<Reminder>,
}

/// The most reminders listed for a member, the earliest due first.
const LISTED: u32 = 500;

/// What a member owes that is overdue or due within `within` days, for the member's officers
/// to act on; drafts count only for those who may see them.
#[utoipa::path(
    get,
    path = "/api/v1/reminders",
    tag = "tasks",
    params(ReminderQuery),
    responses(
        (status = 200, body = ReminderList),
        (status = 400, description = "Invalid parameters", body = ProblemResponse),
    )
)]
pub async fn list_reminders(
    State(state): State<AppState>,
    principal: Principal,
    Language(lang): Language,
    Query(query): Query<ReminderQuery>,
) -> Result<Localized<ReminderList>, ApiError> {
    let mut parse = Parse::default();
    let member = parse.opt("member", query.member.as_deref(), extract::code);
    if query.member.is_none() {
        parse.reject("member", "required: the member whose reminders to list");
    }
    let within = parse.opt("within", query.within.as_deref(), |v| {
        v.parse::<i64>()
            .ok()
            .filter(|d| (0..=366).contains(d))
            .ok_or("expected a number of days, 0–366")
    });
    let as_of: Option<Date> = parse.opt("as_of", query.as_of.as_deref(), extract::full_date);
    parse.finish()?;
    let (Some(member), as_of) = (
        member,
        as_of.unwrap_or_else(|| OffsetDateTime::now_utc().date()),
    ) else {
        return Err(ApiError::invalid("member", "required"));
    };
    let horizon = as_of + Duration::days(within.unwrap_or(30));
    let items = state
        .store()
        .owed_by(
            member,
            &principal.draft_visibility(),
            Some(horizon),
            None,
            LISTED,
        )
        .await?
        .items
        .into_iter()
        .map(|o| Reminder {
            overdue: o.state.task.due < as_of,
            task: o.state.task.key.clone(),
            matter: o.matter_key.clone(),
            matter_title: text(&o.matter_title, lang),
            title: text(&o.state.task.title, lang),
            due: dto::date(o.state.task.due),
            reported_percent: o.state.reported_percent,
        })
        .collect();
    Ok(Localized::new(
        lang,
        ReminderList {
            as_of: dto::date(as_of),
            items,
        },
    ))
}
