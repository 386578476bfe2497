//! Problems raised on matters: raised at the execution tier by anyone with a role on the
//! matter, escalated one tier up on request (or by the daily sweep when unresolved past due),
//! resolved by the tier that holds them; and the list of open problems by tier and age.
//!
//! The steps are shared with the page forms (`pages::problem_pages`): [`raise`], [`escalate`]
//! and [`resolve`] take the fields as both read them, so a form is checked exactly as its JSON
//! equivalent is, under the same policy.

use axum::extract::{FromRequest, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use time::{Date, OffsetDateTime};
use utoipa::{IntoParams, ToSchema};
use yrd_domain::access::{Action, Publication, Target};
use yrd_domain::{Lang, Text};
use yrd_store::{
    Escalation, NewProblem, ProblemAccess, ProblemFilter, ProblemRecord, ProblemState,
};

use crate::AppState;
use crate::auth::{Principal, matter_target};
use crate::dto::{self, Tier, opt_date, opt_text, text};
use crate::error::{ApiError, FieldError, ProblemResponse};
use crate::extract::{
    self, JsonBody, Language, PageQuery, Parse, Path, Query, choice, encode_cursor,
};
use crate::response::{if_match_version, json_response, versioned_response};
use crate::routes::tasks::TextBody;

/// The matter a problem was raised on.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct ProblemMatter {
    pub key: String,
    pub title: String,
}

/// A problem as lists show it.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct ProblemSummary {
    pub key: String,
    pub matter: ProblemMatter,
    /// The task of the matter it concerns, if any.
    pub task: Option<String>,
    pub title: String,
    /// The tier that holds it now.
    pub tier: Tier,
    #[schema(format = Date)]
    pub raised_on: String,
    /// When the tier holding it should have resolved it.
    #[schema(format = Date)]
    pub due_date: Option<String>,
    /// The day of its latest escalation.
    #[schema(format = Date)]
    pub escalated_on: Option<String>,
    #[schema(format = Date)]
    pub resolved_on: Option<String>,
    /// The tier that resolved it.
    pub resolved_tier: Option<Tier>,
    /// Days from the day it was raised to `as_of`, or to its resolution if it is resolved.
    pub age_days: i64,
    /// Unresolved and past its due date on `as_of`.
    pub overdue: bool,
}

/// A problem with everything its page shows.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct ProblemDetail {
    #[serde(flatten)]
    pub summary: ProblemSummary,
    pub description: Option<String>,
    /// How it was resolved; `null` while open.
    pub resolution: Option<String>,
    /// Incremented by every step; the `ETag` carries it for `If-Match`.
    pub version: i64,
    /// Who entered it: `yrd:user:<username>` for problems raised in yrd.
    pub source: String,
}

/// Problems by tier (decision first) and age (oldest first).
#[derive(Debug, Serialize, ToSchema)]
pub struct ProblemList {
    pub items: Vec<ProblemSummary>,
    /// Continues the list (`cursor`) where this page ends; `null` on the last page.
    pub next_cursor: Option<String>,
}

/// Filters of the problem list.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ProblemListQuery {
    /// Only problems this tier holds.
    #[param(value_type = Option<Tier>, inline)]
    pub tier: Option<String>,
    /// `open` (default), `resolved` or `all`.
    #[param(example = "open")]
    pub state: Option<String>,
    /// Only problems raised on this matter.
    pub matter: Option<String>,
    /// Only problems on matters this member leads or takes part in (six-digit code).
    #[param(example = "320000", pattern = "^[0-9]{6}$")]
    pub member: Option<String>,
    /// The day ages and lateness are reckoned on, `YYYY-MM-DD`. Default: today (UTC).
    #[param(format = Date, example = "2026-09-30")]
    pub as_of: Option<String>,
}

/// The day ages are reckoned on.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AsOfQuery {
    /// `YYYY-MM-DD`. Default: today (UTC).
    #[param(format = Date, example = "2026-09-30")]
    pub as_of: Option<String>,
}

/// A problem as it is raised.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RaiseBody {
    pub title: TextBody,
    #[serde(default)]
    pub description: Option<TextBody>,
    /// A task of the matter the problem concerns.
    #[serde(default)]
    pub task: Option<String>,
    /// When the execution tier should have resolved it; not before `raised_on`.
    #[schema(format = Date, example = "2026-08-31")]
    pub due_date: String,
    /// Default: today (UTC).
    #[serde(default)]
    #[schema(format = Date)]
    pub raised_on: Option<String>,
}

/// An escalation on request. Every field is optional, and so is the body.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EscalateBody {
    #[serde(default)]
    pub reason: Option<TextBody>,
    /// The tier above's due date; default 30 days after `on`.
    #[serde(default)]
    #[schema(format = Date)]
    pub due_date: Option<String>,
    /// The day of the escalation; default today (UTC).
    #[serde(default)]
    #[schema(format = Date)]
    pub on: Option<String>,
}

/// A resolution.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResolveBody {
    pub resolution: TextBody,
    /// Default: today (UTC).
    #[serde(default)]
    #[schema(format = Date)]
    pub resolved_on: Option<String>,
}

/// The fields of a raised problem, as the API body and the form both give them.
#[derive(Debug, Default)]
pub struct RaiseInput {
    pub title: Text,
    pub description: Text,
    pub task: Option<String>,
    pub due_date: Option<String>,
    pub raised_on: Option<String>,
}

/// The fields of an escalation.
#[derive(Debug, Default)]
pub struct EscalateInput {
    pub reason: Text,
    pub due_date: Option<String>,
    pub on: Option<String>,
}

/// The fields of a resolution.
#[derive(Debug, Default)]
pub struct ResolveInput {
    pub resolution: Text,
    pub resolved_on: Option<String>,
}

/// How the policy sees a problem.
pub fn problem_target(access: &ProblemAccess) -> Target<'_> {
    Target::Problem {
        publication: Publication {
            published: access.access.published,
            body: access.access.body.as_deref(),
        },
        members: &access.access.members,
        tier: access.tier,
        tier_bodies: &access.tier_bodies,
    }
}

fn today() -> Date {
    OffsetDateTime::now_utc().date()
}

/// An optional date field: today when absent; an error naming the field when it is no date.
fn date_field(
    errors: &mut Vec<FieldError>,
    field: &str,
    value: Option<&str>,
) -> Option<Option<Date>> {
    match value.map(str::trim).filter(|v| !v.is_empty()) {
        None => Some(None),
        Some(v) => match extract::full_date(v) {
            Ok(date) => Some(Some(date)),
            Err(e) => {
                errors.push(FieldError::new(field, e));
                None
            }
        },
    }
}

fn unprocessable(errors: Vec<FieldError>) -> Result<(), ApiError> {
    if errors.is_empty() {
        Ok(())
    } else {
        Err(ApiError::Unprocessable(errors))
    }
}

/// A problem as lists show it, aged on `as_of`.
pub fn summary(p: &ProblemRecord, lang: Lang, as_of: Date) -> ProblemSummary {
    ProblemSummary {
        key: p.key.clone(),
        matter: ProblemMatter {
            key: p.matter.clone(),
            title: text(&p.matter_title, lang),
        },
        task: p.task.clone(),
        title: text(&p.title, lang),
        tier: p.tier.into(),
        raised_on: dto::date(p.raised_on),
        due_date: opt_date(p.due),
        escalated_on: opt_date(p.escalated_on),
        resolved_on: opt_date(p.resolved_on),
        resolved_tier: p.resolved_tier.map(Into::into),
        age_days: p.age_days(as_of),
        overdue: p.overdue(as_of),
    }
}

/// A problem with everything its page shows, aged on `as_of`.
pub fn detail(p: &ProblemRecord, lang: Lang, as_of: Date) -> ProblemDetail {
    ProblemDetail {
        summary: summary(p, lang, as_of),
        description: opt_text(&p.description, lang),
        resolution: opt_text(&p.resolution, lang),
        version: p.version,
        source: p.source.clone(),
    }
}

async fn access(state: &AppState, key: &str) -> Result<ProblemAccess, ApiError> {
    state
        .store()
        .problem_access(key)
        .await?
        .ok_or_else(|| ApiError::not_found("problem", key))
}

async fn stored(state: &AppState, key: &str) -> Result<ProblemRecord, ApiError> {
    state
        .store()
        .problem(key)
        .await?
        .ok_or_else(|| ApiError::not_found("problem", key))
}

/// The filter a list query names, as `principal` may see it, and the day ages are reckoned on.
fn filter_of(
    principal: &Principal,
    query: &ProblemListQuery,
    parse: &mut Parse,
) -> (ProblemFilter, Date) {
    let tier = parse.opt(
        "tier",
        query.tier.as_deref(),
        choice(Tier::NAMES, Tier::parse),
    );
    let problem_state = parse.opt(
        "state",
        query.state.as_deref(),
        choice(&["open", "resolved", "all"], |s| match s {
            "open" => Some(ProblemState::Open),
            "resolved" => Some(ProblemState::Resolved),
            "all" => Some(ProblemState::All),
            _ => None,
        }),
    );
    let matter = parse.opt("matter", query.matter.as_deref(), extract::key);
    let member = parse.opt("member", query.member.as_deref(), extract::code);
    let as_of = parse.opt("as_of", query.as_of.as_deref(), extract::full_date);
    let filter = ProblemFilter {
        tier: tier.map(Into::into),
        state: problem_state.unwrap_or_default(),
        matter,
        member,
        drafts: principal.draft_visibility(),
    };
    (filter, as_of.unwrap_or_else(today))
}

/// A page of the problems a list query asks for, as `principal` may see them, with the
/// encoded cursor of the next page and the day they are aged on. Bad parameters, the cursor
/// among them, are 400 naming each.
pub async fn list(
    state: &AppState,
    principal: &Principal,
    lang: Lang,
    query: &ProblemListQuery,
    page: &PageQuery,
) -> Result<(Vec<ProblemSummary>, Option<String>, Date), ApiError> {
    let mut parse = Parse::default();
    let (filter, as_of) = filter_of(principal, query, &mut parse);
    let page = page.parse(LIST, &mut parse);
    parse.finish()?;
    let found = state
        .store()
        .problems_page(&filter, page.cursor.as_deref(), page.limit)
        .await?;
    Ok((
        found
            .items
            .iter()
            .map(|p| summary(p, lang, as_of))
            .collect(),
        found.next_cursor.map(|c| encode_cursor(LIST, &c)),
        as_of,
    ))
}

/// One problem as `principal` may see it, with its access facts.
pub async fn one(
    state: &AppState,
    principal: &Principal,
    key: &str,
) -> Result<(ProblemRecord, ProblemAccess), ApiError> {
    extract::key(key).map_err(|e| ApiError::invalid("key", e))?;
    let facts = access(state, key).await?;
    principal.require(
        Action::Read,
        &problem_target(&facts),
        &format!("problem {key:?}"),
    )?;
    Ok((stored(state, key).await?, facts))
}

/// Raises a problem on a matter: the policy's `RaiseProblem`, then the store.
pub async fn raise(
    state: &AppState,
    principal: &Principal,
    matter: &str,
    input: RaiseInput,
) -> Result<ProblemRecord, ApiError> {
    let store = state.store();
    let facts = store
        .matter_access(matter)
        .await?
        .ok_or_else(|| ApiError::not_found("matter", matter))?;
    principal.require(
        Action::RaiseProblem,
        &matter_target(&facts),
        &format!("matter {matter:?}"),
    )?;
    let author = principal.author()?;
    let mut errors = Vec::new();
    if input.title.is_empty() {
        errors.push(FieldError::new(
            "title",
            "required in at least one language",
        ));
    }
    let due = match input.due_date.as_deref().map(str::trim) {
        None | Some("") => {
            errors.push(FieldError::new(
                "due_date",
                "required: the day by which the problem should be resolved",
            ));
            None
        }
        Some(v) => extract::full_date(v)
            .map_err(|e| errors.push(FieldError::new("due_date", e)))
            .ok(),
    };
    let raised_on = date_field(&mut errors, "raised_on", input.raised_on.as_deref());
    let task = input
        .task
        .as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty());
    if let Some(task) = task
        && let Err(e) = extract::key(task)
    {
        errors.push(FieldError::new("task", e));
    }
    unprocessable(errors)?;
    let (Some(due), Some(raised_on)) = (due, raised_on) else {
        unreachable!("a missing or bad date was reported above");
    };
    Ok(store
        .raise_problem(
            &author,
            matter,
            &NewProblem {
                title: input.title,
                description: input.description,
                task: task.map(str::to_owned),
                due,
                raised_on: raised_on.unwrap_or_else(today),
            },
        )
        .await?)
}

/// Escalates a problem one tier up: the policy's `EscalateProblem`, then the store, which
/// refuses (409) a resolved problem, one at the decision tier, or a stale `expected` version
/// (the version `If-Match` or the form names, if any; a malformed one is refused after the
/// policy has been asked).
pub async fn escalate(
    state: &AppState,
    principal: &Principal,
    key: &str,
    input: EscalateInput,
    expected: Result<Option<i64>, ApiError>,
) -> Result<ProblemRecord, ApiError> {
    let facts = access(state, key).await?;
    principal.require(
        Action::EscalateProblem,
        &problem_target(&facts),
        &format!("problem {key:?}"),
    )?;
    let author = principal.author()?;
    let expected = expected?;
    let mut errors = Vec::new();
    let due = date_field(&mut errors, "due_date", input.due_date.as_deref());
    let on = date_field(&mut errors, "on", input.on.as_deref());
    unprocessable(errors)?;
    let (Some(due), Some(on)) = (due, on) else {
        unreachable!("a bad date was reported above");
    };
    Ok(state
        .store()
        .escalate_problem(
            &author,
            key,
            &Escalation {
                reason: input.reason,
                due,
                on: on.unwrap_or_else(today),
            },
            expected,
        )
        .await?)
}

/// Resolves a problem at the tier that holds it: the policy's `ResolveProblem`, then the
/// store, which refuses (409) a resolved problem or a stale `expected` version (as for
/// [`escalate`]).
pub async fn resolve(
    state: &AppState,
    principal: &Principal,
    key: &str,
    input: ResolveInput,
    expected: Result<Option<i64>, ApiError>,
) -> Result<ProblemRecord, ApiError> {
    let facts = access(state, key).await?;
    principal.require(
        Action::ResolveProblem,
        &problem_target(&facts),
        &format!("problem {key:?}"),
    )?;
    let author = principal.author()?;
    let expected = expected?;
    let mut errors = Vec::new();
    if input.resolution.is_empty() {
        errors.push(FieldError::new(
            "resolution",
            "say how the problem was resolved, in at least one language",
        ));
    }
    let resolved_on = date_field(&mut errors, "resolved_on", input.resolved_on.as_deref());
    unprocessable(errors)?;
    let Some(resolved_on) = resolved_on else {
        unreachable!("a bad date was reported above");
    };
    Ok(state
        .store()
        .resolve_problem(
            &author,
            key,
            &input.resolution,
            resolved_on.unwrap_or_else(today),
            expected,
        )
        .await?)
}

fn text_of(body: Option<TextBody>) -> Text {
    body.map(|t| t.to_text()).unwrap_or_default()
}

/// A problem after a step, tagged with its new version.
fn answer(p: &ProblemRecord, lang: Lang) -> Response {
    versioned_response(&detail(p, lang, today()), lang, p.version)
}

/// Raises a problem on a matter, at the execution tier: anyone with a role on the matter (its
/// members' officers and coordinators, the office, the responsible body's roles).
#[utoipa::path(
    post,
    path = "/api/v1/matters/{key}/problems",
    tag = "problems",
    params(("key" = String, Path, description = "The matter's key")),
    request_body = RaiseBody,
    responses(
        (status = 201, description = "The problem raised, with its ETag", body = ProblemDetail),
        (status = 401, description = "Not signed in", body = ProblemResponse),
        (status = 403, description = "No role on the matter", body = ProblemResponse),
        (status = 404, description = "No such matter, or one the caller may not see", body = ProblemResponse),
        (status = 422, description = "A field is invalid: a missing title, a bad date, a due date before the day raised, a task of another matter", body = ProblemResponse),
    )
)]
pub async fn raise_problem(
    State(state): State<AppState>,
    principal: Principal,
    Language(lang): Language,
    Path(key): Path<String>,
    JsonBody(body): JsonBody<RaiseBody>,
) -> Result<Response, ApiError> {
    let problem = raise(
        &state,
        &principal,
        &key,
        RaiseInput {
            title: body.title.to_text(),
            description: text_of(body.description),
            task: body.task,
            due_date: Some(body.due_date),
            raised_on: body.raised_on,
        },
    )
    .await?;
    Ok((StatusCode::CREATED, answer(&problem, lang)).into_response())
}

/// Lists problems by tier (decision first, then coordination, then execution) and age (oldest
/// first), with their age in days and whether they are overdue on `as_of`. Problems on drafts
/// the reader may not see are left out.
#[utoipa::path(
    get,
    path = "/api/v1/problems",
    tag = "problems",
    params(ProblemListQuery, PageQuery),
    responses(
        (status = 200, description = "A page of the problems", body = ProblemList),
        (status = 400, description = "Invalid parameters, each named", body = ProblemResponse),
    )
)]
pub async fn list_problems(
    State(state): State<AppState>,
    principal: Principal,
    Language(lang): Language,
    Query(query): Query<ProblemListQuery>,
    Query(page): Query<PageQuery>,
) -> Result<Response, ApiError> {
    let (items, next_cursor, _) = list(&state, &principal, lang, &query, &page).await?;
    Ok(json_response(
        &ProblemList { items, next_cursor },
        Some(lang),
    ))
}

/// The list's name in its cursors.
const LIST: &str = "problems";

/// One problem, with its description, resolution and version; the `ETag` carries the version
/// that `If-Match` on its escalation or resolution names.
#[utoipa::path(
    get,
    path = "/api/v1/problems/{key}",
    tag = "problems",
    params(("key" = String, Path, description = "The problem's key"), AsOfQuery),
    responses(
        (status = 200, description = "The problem", body = ProblemDetail),
        (status = 400, description = "Invalid parameters, each named", body = ProblemResponse),
        (status = 404, description = "No such problem, or one the caller may not see", body = ProblemResponse),
    )
)]
pub async fn get_problem(
    State(state): State<AppState>,
    principal: Principal,
    Language(lang): Language,
    Path(key): Path<String>,
    Query(query): Query<AsOfQuery>,
) -> Result<Response, ApiError> {
    let mut parse = Parse::default();
    let as_of = parse.opt("as_of", query.as_of.as_deref(), extract::full_date);
    parse.finish()?;
    let (problem, _) = one(&state, &principal, &key).await?;
    Ok(versioned_response(
        &detail(&problem, lang, as_of.unwrap_or_else(today)),
        lang,
        problem.version,
    ))
}

/// Escalates an unresolved problem one tier up (execution → coordination → decision), with a
/// new due date: the office, the tier that holds it, or a coordinator of a member of the
/// matter. `If-Match` is optional; when sent, the step fails with 409 if the problem changed
/// since. The body, and each of its fields, may be left out.
#[utoipa::path(
    post,
    path = "/api/v1/problems/{key}/escalate",
    tag = "problems",
    params(("key" = String, Path, description = "The problem's key")),
    request_body = EscalateBody,
    responses(
        (status = 200, description = "The problem one tier up, with its new ETag", body = ProblemDetail),
        (status = 401, description = "Not signed in", body = ProblemResponse),
        (status = 403, description = "Not the office, the tier holding it, or a coordinator of a member of the matter", body = ProblemResponse),
        (status = 404, description = "No such problem, or one the caller may not see", body = ProblemResponse),
        (status = 409, description = "Resolved, already at the decision tier, or changed since read (If-Match)", body = ProblemResponse),
        (status = 422, description = "A field is invalid, or If-Match is not an ETag of this record", body = ProblemResponse),
    )
)]
pub async fn escalate_problem(
    State(state): State<AppState>,
    principal: Principal,
    Language(lang): Language,
    Path(key): Path<String>,
    headers: HeaderMap,
    request: Request,
) -> Result<Response, ApiError> {
    let expected = if_match_version(&headers);
    // No body at all is an escalation with every default.
    let empty = !headers.contains_key(header::CONTENT_TYPE)
        && headers
            .get(header::CONTENT_LENGTH)
            .is_none_or(|v| v.as_bytes() == b"0");
    let body = if empty {
        EscalateBody::default()
    } else {
        JsonBody::<EscalateBody>::from_request(request, &state)
            .await?
            .0
    };
    let problem = escalate(
        &state,
        &principal,
        &key,
        EscalateInput {
            reason: text_of(body.reason),
            due_date: body.due_date,
            on: body.on,
        },
        expected,
    )
    .await?;
    Ok(answer(&problem, lang))
}

/// Resolves a problem at the tier that holds it, which the problem records as `resolved_tier`:
/// at the execution tier the office or the matter's responsible body, above it a secretary of
/// a body of that tier. `If-Match` is optional.
#[utoipa::path(
    post,
    path = "/api/v1/problems/{key}/resolve",
    tag = "problems",
    params(("key" = String, Path, description = "The problem's key")),
    request_body = ResolveBody,
    responses(
        (status = 200, description = "The problem resolved, with its new ETag", body = ProblemDetail),
        (status = 401, description = "Not signed in", body = ProblemResponse),
        (status = 403, description = "Not of the tier that holds the problem", body = ProblemResponse),
        (status = 404, description = "No such problem, or one the caller may not see", body = ProblemResponse),
        (status = 409, description = "Already resolved, or changed since read (If-Match)", body = ProblemResponse),
        (status = 422, description = "No resolution, a bad date, or If-Match is not an ETag of this record", body = ProblemResponse),
    )
)]
pub async fn resolve_problem(
    State(state): State<AppState>,
    principal: Principal,
    Language(lang): Language,
    Path(key): Path<String>,
    headers: HeaderMap,
    JsonBody(body): JsonBody<ResolveBody>,
) -> Result<Response, ApiError> {
    let expected = if_match_version(&headers);
    let problem = resolve(
        &state,
        &principal,
        &key,
        ResolveInput {
            resolution: body.resolution.to_text(),
            resolved_on: body.resolved_on,
        },
        expected,
    )
    .await?;
    Ok(answer(&problem, lang))
}
