//! A record's journal: every change to it, who made it and when, with the hash chain's links,
//! shown to those who may see the record.

use axum::extract::State;
use axum::response::Response;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use yrd_domain::access::{Action, Publication, Target};
use yrd_store::JournalEntry;

use crate::AppState;
use crate::auth::{Principal, matter_target, report_target, task_target};
use crate::error::{ApiError, ProblemResponse};
use crate::extract::{DEFAULT_LIMIT, Query};
use crate::response::json_response;

/// Which record's history.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct HistoryQuery {
    /// `<kind>/<key>`: `matter/…`, `task/…`, `report/…`, `plan/…`, `decision/…`, `user/…`,
    /// or any other record kind (`meeting`, `agreement`, `indicator`, `jurisdiction`, …).
    #[param(example = "matter/yangtze-water-quality")]
    pub record: Option<String>,
    /// Continue after this entry's sequence number.
    pub after: Option<String>,
    pub limit: Option<String>,
}

/// One change to a record.
#[derive(Debug, Serialize, ToSchema)]
pub struct HistoryEntry {
    /// The entry's position in the journal.
    pub seq: i64,
    /// When (RFC 3339, UTC).
    pub at: String,
    /// Who: `user:<username>` or `cli:<command>:<system user>`.
    pub actor: String,
    pub action: String,
    /// The changed fields before the change (`null` on creation).
    #[schema(value_type = Option<Object>)]
    pub before: Option<serde_json::Value>,
    /// The changed fields after the change (`null` on deletion).
    #[schema(value_type = Option<Object>)]
    pub after: Option<serde_json::Value>,
    /// The previous entry's hash, and this entry's: the links of the chain.
    pub prev_hash: String,
    pub hash: String,
}

/// A record's history, oldest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct HistoryPage {
    pub record: String,
    pub items: Vec<HistoryEntry>,
    /// Pass as `after` for the next page; `null` on the last.
    pub next_after: Option<i64>,
}

fn entry(e: JournalEntry) -> HistoryEntry {
    let parse = |s: Option<String>| s.and_then(|s| serde_json::from_str(&s).ok());
    HistoryEntry {
        seq: e.seq,
        at: e.at,
        actor: e.actor,
        action: e.action,
        before: parse(e.before),
        after: parse(e.after),
        prev_hash: e.prev_hash,
        hash: e.hash,
    }
}

/// The history of one record.
#[utoipa::path(
    get,
    path = "/api/v1/history",
    tag = "history",
    params(HistoryQuery),
    responses(
        (status = 200, body = HistoryPage),
        (status = 400, description = "Invalid parameters", body = ProblemResponse),
        (status = 401, description = "Not signed in", body = ProblemResponse),
        (status = 404, description = "No such record, or one the caller may not see", body = ProblemResponse),
    )
)]
pub async fn get_history(
    State(state): State<AppState>,
    principal: Principal,
    Query(query): Query<HistoryQuery>,
) -> Result<Response, ApiError> {
    let record = query
        .record
        .ok_or_else(|| ApiError::invalid("record", "required: <kind>/<key>"))?;
    let (kind, key) = record
        .split_once('/')
        .filter(|(kind, key)| !kind.is_empty() && !key.is_empty())
        .ok_or_else(|| ApiError::invalid("record", "expected <kind>/<key>, e.g. matter/<key>"))?;
    let after = query
        .after
        .map(|a| a.parse::<i64>())
        .transpose()
        .map_err(|_| ApiError::invalid("after", "expected an entry's sequence number"))?;
    let limit = match query.limit {
        None => DEFAULT_LIMIT,
        Some(l) => l
            .parse::<u32>()
            .ok()
            .filter(|l| (1..=yrd_store::MAX_PAGE).contains(l))
            .ok_or_else(|| {
                ApiError::invalid("limit", format!("expected 1–{}", yrd_store::MAX_PAGE))
            })?,
    };
    let what = format!("record {record:?}");
    authorize(&state, &principal, kind, key, &what).await?;
    let entries = state.store().history(kind, key, after, limit + 1).await?;
    let more = entries.len() > limit as usize;
    let items: Vec<HistoryEntry> = entries
        .into_iter()
        .take(limit as usize)
        .map(entry)
        .collect();
    let next_after = more.then(|| items.last().map(|e| e.seq)).flatten();
    Ok(json_response(
        &HistoryPage {
            record,
            items,
            next_after,
        },
        None,
    ))
}

/// Describes the record to the policy and asks whether its history may be read.
async fn authorize(
    state: &AppState,
    principal: &Principal,
    kind: &str,
    key: &str,
    what: &str,
) -> Result<(), ApiError> {
    let store = state.store();
    let missing = || ApiError::NotFound(format!("there is no {what}"));
    let check = |target: &Target<'_>| principal.require(Action::ReadHistory, target, what);
    match kind {
        "matter" => {
            let access = store.matter_access(key).await?.ok_or_else(missing)?;
            check(&matter_target(&access))
        }
        "task" => {
            let access = store.task_access(key).await?.ok_or_else(missing)?;
            check(&task_target(&access))
        }
        "report" => {
            let access = store.report_access(key).await?.ok_or_else(missing)?;
            check(&report_target(&access))
        }
        "plan" => {
            let published = store.plan_published(key).await?.ok_or_else(missing)?;
            check(&Target::Plan(Publication {
                published,
                body: None,
            }))
        }
        "user" => {
            let user = store.user(key).await?.ok_or_else(missing)?;
            check(&Target::Account {
                username: &user.username,
                assignments: &user.assignments,
            })
        }
        "problem" => {
            let access = store.problem_access(key).await?.ok_or_else(missing)?;
            check(&crate::routes::problems::problem_target(&access))
        }
        "agreement" => {
            let access = store.agreement_access(key).await?.ok_or_else(missing)?;
            check(&crate::routes::agreements::target(&access, None))
        }
        // Every other kind is public by nature; its history still needs a signed-in reader.
        _ => check(&Target::Open),
    }
}
