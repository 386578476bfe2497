//! Key cooperation matters: each member's tasks and progress, and the status derived from them
//! on a given day; creating a matter under a plan (split into one task per member) and
//! carrying an unfinished one over into the next plan.

use std::collections::HashMap;

use axum::extract::State;
use axum::response::Response;
use serde::{Deserialize, Serialize};
use time::{Date, OffsetDateTime};
use utoipa::{IntoParams, ToSchema};
use yrd_domain::access::{Action, decide};
use yrd_domain::rules::matter::milestone_done;
use yrd_domain::{AdminCode, Lang, Plan, Text};
use yrd_store::{
    CarryOver, MatterAccess, MatterDetail, MatterFilter, MatterState, NewMatter, NewMilestone,
    TaskShare, TaskState, entered_by_user,
};

use crate::AppState;
use crate::auth::{Principal, matter_target};
use crate::dto::{
    self, JurisdictionRef, KeyRef, MatterStatus, Names, ProgressBasis, ReportState, Tier, opt_date,
    opt_text, text,
};
use crate::error::{ApiError, FieldError, ProblemResponse};
use crate::extract::{
    self, JsonBody, Language, PageQuery, PageRequest, Parse, Path, Query, choice, encode_cursor,
};
use crate::response::{Localized, json_response};
use crate::routes::plans::{created, plan_target};
use crate::routes::tasks::{SubtaskResponse, TextBody, subtask};

/// The name that ties cursors to this list.
const LIST: &str = "matters";

/// A key cooperation matter with its tasks and derived status.
#[derive(Debug, Serialize, ToSchema)]
pub struct MatterResponse {
    pub key: String,
    /// The key of the plan the matter belongs to.
    pub plan: String,
    pub area: Option<KeyRef>,
    pub title: String,
    pub objective: Option<String>,
    pub leads: Vec<JurisdictionRef>,
    pub participants: Vec<JurisdictionRef>,
    #[schema(format = Date)]
    pub start: Option<String>,
    #[schema(format = Date)]
    pub due: Option<String>,
    /// Derived on `as_of` from the tasks' progress on `basis` and the milestones.
    pub status: MatterStatus,
    /// Each member's share, by key. Only these count in the status and in roll-ups; their
    /// sub-tasks are listed under each.
    pub tasks: Vec<TaskResponse>,
    /// The key of the matter of an earlier plan this one carries over; `null` if none.
    pub carried_from: Option<String>,
    /// The key of the matter of a later plan this one was carried over into; `null` if none.
    pub carried_to: Option<String>,
    /// The key of the body responsible for the matter (e.g. a thematic group), whose roles see
    /// the matter before it is published; `null` if none is recorded.
    #[schema(example = "thematic-group-transport")]
    pub body: Option<String>,
    /// Whether the matter is published; unpublished matters are drafts, seen only by those the
    /// access policy lets see them.
    pub published: bool,
    pub source: String,
}

/// One member's share of a matter, with its latest progress on both bases.
#[derive(Debug, Serialize, ToSchema)]
pub struct TaskResponse {
    pub key: String,
    pub jurisdiction: JurisdictionRef,
    /// The unit of the member that owns the task.
    pub unit: String,
    pub title: String,
    #[schema(format = Date)]
    pub start: Option<String>,
    #[schema(format = Date)]
    pub due: String,
    /// The latest self-reported progress (reports not returned); `null` if none.
    pub reported: Option<ProgressFigure>,
    /// The latest progress the Office verified; `null` if none.
    pub verified: Option<ProgressFigure>,
    /// The task's version, which an edit's `If-Match` names (`GET /api/v1/tasks/{key}` gives
    /// the full tag).
    pub version: i64,
    /// Sub-tasks the member's coordinator added, by key. They never count in the matter's
    /// figures.
    pub subtasks: Vec<SubtaskResponse>,
}

/// A progress figure and the day it describes.
#[derive(Debug, Serialize, ToSchema)]
pub struct ProgressFigure {
    #[schema(maximum = 100)]
    pub percent: u8,
    #[schema(format = Date)]
    pub as_of: String,
}

/// A page of matters, by key.
#[derive(Debug, Serialize, ToSchema)]
pub struct MatterPage {
    pub items: Vec<MatterResponse>,
    /// Pass as `cursor` to get the next page; `null` on the last page.
    pub next_cursor: Option<String>,
    /// The day the statuses were derived for.
    #[schema(format = Date)]
    pub as_of: String,
    /// The progress figures the statuses were derived from.
    pub basis: ProgressBasis,
}

/// A matter with everything its page shows.
#[derive(Debug, Serialize, ToSchema)]
pub struct MatterDetailResponse {
    #[serde(flatten)]
    pub matter: MatterResponse,
    /// The day the status was derived for.
    #[schema(format = Date)]
    pub as_of: String,
    /// The progress figures the status was derived from.
    pub basis: ProgressBasis,
    pub milestones: Vec<MilestoneResponse>,
    /// Indicators the matter is meant to move.
    pub indicators: Vec<KeyRef>,
    /// Agreements the matter carries out (`name` is the agreement's title).
    pub agreements: Vec<KeyRef>,
    /// Problems raised on the matter or its tasks, oldest first.
    pub problems: Vec<MatterProblemResponse>,
    /// The latest progress reports on its tasks, newest first.
    pub recent_reports: Vec<ReportResponse>,
}

/// A dated checkpoint of a matter.
#[derive(Debug, Serialize, ToSchema)]
pub struct MilestoneResponse {
    pub title: String,
    #[schema(format = Date)]
    pub due: String,
    #[schema(format = Date)]
    pub done_on: Option<String>,
    /// Done on or before `as_of`.
    pub done: bool,
}

/// A problem raised on a matter or one of its tasks.
#[derive(Debug, Serialize, ToSchema)]
pub struct MatterProblemResponse {
    pub key: String,
    /// The task it concerns, if any.
    pub task: Option<String>,
    pub title: String,
    /// The tier that currently holds it.
    pub tier: Tier,
    #[schema(format = Date)]
    pub raised_on: String,
    #[schema(format = Date)]
    pub due: Option<String>,
    #[schema(format = Date)]
    pub resolved_on: Option<String>,
    pub resolution: Option<String>,
    /// Resolved on or before `as_of`.
    pub resolved: bool,
    pub source: String,
}

/// A progress report on a task.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReportResponse {
    pub key: String,
    pub task: String,
    /// The member whose task it is.
    pub jurisdiction: Option<JurisdictionRef>,
    #[schema(format = Date)]
    pub as_of: String,
    #[schema(maximum = 100)]
    pub percent: u8,
    pub state: ReportState,
    pub narrative: Option<String>,
    /// Links to evidence.
    pub evidence: Vec<String>,
    /// Why the Office returned it; `null` unless it was returned.
    pub return_reason: Option<String>,
    /// The user who submitted it in yrd; `null` for reports of the public record.
    pub submitted_by: Option<String>,
    pub source: String,
}

/// Filters of the matter list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MatterListQuery {
    /// Only matters of the plan with this key.
    #[param(example = "action-plan-2024-2026")]
    pub plan: Option<String>,
    /// Only matters of the area with this key, within `plan` (required with `area`).
    pub area: Option<String>,
    /// Only matters this member jurisdiction leads or takes part in (six-digit code).
    #[param(example = "330000", pattern = "^[0-9]{6}$")]
    pub member: Option<String>,
    /// Only matters with this derived status.
    #[param(value_type = Option<MatterStatus>, inline)]
    pub status: Option<String>,
}

/// How statuses are derived.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct StatusQuery {
    /// Which progress figures count. Default `reported`.
    #[param(value_type = Option<ProgressBasis>, inline)]
    pub basis: Option<String>,
    /// The day statuses are derived for, `YYYY-MM-DD`: due dates and milestones are judged as
    /// of this day, against the latest progress recorded. Default: today (UTC).
    #[param(value_type = Option<String>, format = Date, example = "2025-06-30")]
    pub as_of: Option<String>,
}

impl StatusQuery {
    fn parse(&self, parse: &mut Parse) -> (ProgressBasis, Date) {
        let basis = parse.opt(
            "basis",
            self.basis.as_deref(),
            choice(ProgressBasis::NAMES, ProgressBasis::parse),
        );
        let as_of = parse.opt("as_of", self.as_of.as_deref(), extract::full_date);
        (
            basis.unwrap_or(ProgressBasis::Reported),
            as_of.unwrap_or_else(|| OffsetDateTime::now_utc().date()),
        )
    }
}

fn figure(percent: Option<u8>, as_of: Option<Date>) -> Option<ProgressFigure> {
    Some(ProgressFigure {
        percent: percent?,
        as_of: dto::date(as_of?),
    })
}

fn task(t: &TaskState, subtasks: &[&TaskState], names: &Names, lang: Lang) -> TaskResponse {
    TaskResponse {
        key: t.task.key.clone(),
        jurisdiction: names.of(t.task.jurisdiction),
        unit: text(&t.task.unit, lang),
        title: text(&t.task.title, lang),
        start: opt_date(t.task.start),
        due: dto::date(t.task.due),
        reported: figure(t.reported_percent, t.reported_as_of),
        verified: figure(t.verified_percent, t.verified_as_of),
        version: t.version,
        subtasks: subtasks.iter().map(|s| subtask(s, lang)).collect(),
    }
}

/// Area names by (plan key, area key).
struct AreaNames<'a>(HashMap<(&'a str, &'a str), &'a Text>);

impl<'a> AreaNames<'a> {
    fn new(plans: &'a [Plan]) -> Self {
        AreaNames(
            plans
                .iter()
                .flat_map(|p| {
                    p.areas
                        .iter()
                        .map(move |a| ((p.key.as_str(), a.key.as_str()), &a.name))
                })
                .collect(),
        )
    }

    fn area(&self, plan: &str, area: Option<&str>, lang: Lang) -> Option<KeyRef> {
        let area = area?;
        Some(KeyRef {
            key: area.to_owned(),
            name: self
                .0
                .get(&(plan, area))
                .map_or_else(|| area.to_owned(), |name| text(name, lang)),
        })
    }
}

fn matter(state: &MatterState, areas: &AreaNames<'_>, names: &Names, lang: Lang) -> MatterResponse {
    let m = &state.matter;
    MatterResponse {
        key: m.key.clone(),
        plan: m.plan.clone(),
        area: areas.area(&m.plan, m.area.as_deref(), lang),
        title: text(&m.title, lang),
        objective: opt_text(&m.objective, lang),
        leads: names.all(&m.leads),
        participants: names.all(&m.participants),
        start: opt_date(m.start),
        due: opt_date(m.due),
        status: state.status.into(),
        tasks: state
            .tasks
            .iter()
            .map(|t| {
                let under: Vec<&TaskState> = state
                    .subtasks
                    .iter()
                    .filter(|s| s.parent.as_deref() == Some(t.task.key.as_str()))
                    .collect();
                task(t, &under, names, lang)
            })
            .collect(),
        carried_from: state.carried_from.clone(),
        carried_to: state.carried_to.clone(),
        body: m.body.clone(),
        published: m.published,
        source: m.source.clone(),
    }
}

/// Lists matters by key, with their tasks and derived status.
#[utoipa::path(
    get,
    path = "/api/v1/matters",
    tag = "matters",
    params(MatterListQuery, StatusQuery, PageQuery),
    responses((status = 200, description = "A page of matters", body = MatterPage))
)]
pub async fn list_matters(
    State(state): State<AppState>,
    principal: Principal,
    Language(lang): Language,
    Query(query): Query<MatterListQuery>,
    Query(status_query): Query<StatusQuery>,
    Query(page): Query<PageQuery>,
) -> Result<Localized<MatterPage>, ApiError> {
    Ok(Localized::new(
        lang,
        matter_list(&state, &principal, lang, None, query, status_query, page).await?,
    ))
}

/// What [`list_matters`] answers; `names` are the jurisdictions' names if the caller has read
/// them already (a page of several parts).
pub(crate) async fn matter_list(
    state: &AppState,
    principal: &Principal,
    lang: Lang,
    names: Option<&Names>,
    query: MatterListQuery,
    status_query: StatusQuery,
    page: PageQuery,
) -> Result<MatterPage, ApiError> {
    let request = ListRequest::parse(principal, &query, &status_query, &page)?;
    let store = state.store();
    let found = store
        .matters(
            &request.filter,
            request.as_of,
            request.basis.into(),
            request.page.cursor.as_deref(),
            request.page.limit,
        )
        .await?;
    let plans = plans_of(
        state,
        found.items.iter().map(|m| m.matter.plan.as_str()).collect(),
    )
    .await?;
    let areas = AreaNames::new(&plans);
    let names = Names::given_or_load(names, store, lang).await?;
    Ok(MatterPage {
        items: found
            .items
            .iter()
            .map(|m| matter(m, &areas, &names, lang))
            .collect(),
        next_cursor: found.next_cursor.map(|c| encode_cursor(LIST, &c)),
        as_of: dto::date(request.as_of),
        basis: request.basis,
    })
}

/// A matter as the pages' lists show it: a [`yrd_store::MatterLine`] with its names in one
/// language.
pub struct MatterLineView {
    pub key: String,
    pub title: String,
    pub area: Option<KeyRef>,
    pub leads: Vec<JurisdictionRef>,
    pub participants: Vec<JurisdictionRef>,
    pub due: Option<String>,
    pub status: MatterStatus,
    pub mean_reported: Option<u8>,
    pub mean_verified: Option<u8>,
}

/// A page of [`MatterLineView`]s and the (API) cursor of the next page, if any.
pub struct MatterLinePage {
    pub items: Vec<MatterLineView>,
    pub next_cursor: Option<String>,
}

/// The matters the API's list would return for `query` (statuses for today on reported
/// progress, bad values refused as the API refuses them), read as list lines.
pub(crate) async fn matter_lines(
    state: &AppState,
    principal: &Principal,
    lang: Lang,
    names: Option<&Names>,
    query: MatterListQuery,
    page: PageQuery,
) -> Result<MatterLinePage, ApiError> {
    let status_query = StatusQuery {
        basis: None,
        as_of: None,
    };
    let request = ListRequest::parse(principal, &query, &status_query, &page)?;
    let store = state.store();
    let listing = store.matter_lines(
        &request.filter,
        request.as_of,
        request.basis.into(),
        request.page.cursor.as_deref(),
        request.page.limit,
    );
    let (found, plans) = match request.filter.plan.as_deref() {
        // Every matter listed is of the plan named, so its areas are read alongside the list
        // instead of after it (on PostgreSQL, one wait for a round trip fewer).
        Some(plan) => {
            let named = [plan];
            tokio::try_join!(listing, store.plans_named(&named))?
        }
        None => {
            let found = listing.await?;
            let plans =
                plans_of(state, found.items.iter().map(|m| m.plan.as_str()).collect()).await?;
            (found, plans)
        }
    };
    let areas = AreaNames::new(&plans);
    let names = Names::given_or_load(names, state.store(), lang).await?;
    Ok(MatterLinePage {
        items: found
            .items
            .into_iter()
            .map(|m| MatterLineView {
                area: areas.area(&m.plan, m.area.as_deref(), lang),
                title: text(&m.title, lang),
                leads: names.all(&m.leads),
                participants: names.all(&m.participants),
                due: opt_date(m.due),
                status: m.status.into(),
                mean_reported: m.mean_reported,
                mean_verified: m.mean_verified,
                key: m.key,
            })
            .collect(),
        next_cursor: found.next_cursor.map(|c| encode_cursor(LIST, &c)),
    })
}

/// What a request for a list of matters asks for, every bad value named by its field.
struct ListRequest {
    filter: MatterFilter,
    basis: ProgressBasis,
    as_of: Date,
    page: PageRequest,
}

impl ListRequest {
    fn parse(
        principal: &Principal,
        query: &MatterListQuery,
        status_query: &StatusQuery,
        page: &PageQuery,
    ) -> Result<ListRequest, ApiError> {
        let mut parse = Parse::default();
        let filter = MatterFilter {
            plan: parse.opt("plan", query.plan.as_deref(), extract::key),
            area: parse.opt("area", query.area.as_deref(), extract::key),
            member: parse.opt("member", query.member.as_deref(), extract::code),
            status: parse
                .opt(
                    "status",
                    query.status.as_deref(),
                    choice(MatterStatus::NAMES, MatterStatus::parse),
                )
                .map(Into::into),
            drafts: principal.draft_visibility(),
        };
        // Area keys are unique only within a plan, so an area alone could match several plans.
        if query.area.is_some() && query.plan.is_none() {
            parse.reject("area", "an area is named within a plan: give `plan` too");
        }
        let (basis, as_of) = status_query.parse(&mut parse);
        let page = page.parse(LIST, &mut parse);
        parse.finish()?;
        Ok(ListRequest {
            filter,
            basis,
            as_of,
            page,
        })
    }
}

/// The plans of a page's matters, for their areas' names.
async fn plans_of(state: &AppState, mut plan_keys: Vec<&str>) -> Result<Vec<Plan>, ApiError> {
    plan_keys.sort_unstable();
    plan_keys.dedup();
    Ok(state.store().plans_named(&plan_keys).await?)
}

/// Shows one matter: tasks, milestones, linked indicators and agreements, problems, recent
/// reports and derived status.
#[utoipa::path(
    get,
    path = "/api/v1/matters/{key}",
    tag = "matters",
    params(("key" = String, Path, description = "The matter's key"), StatusQuery),
    responses(
        (status = 200, description = "The matter", body = MatterDetailResponse),
        (status = 404, description = "No matter has this key", body = ProblemResponse,
            content_type = "application/problem+json"),
    )
)]
pub async fn get_matter(
    State(state): State<AppState>,
    principal: Principal,
    Language(lang): Language,
    Path(key): Path<String>,
    Query(status_query): Query<StatusQuery>,
) -> Result<Localized<MatterDetailResponse>, ApiError> {
    let mut parse = Parse::default();
    let key = parse.opt("key", Some(&key), extract::key);
    let (basis, as_of) = status_query.parse(&mut parse);
    parse.finish()?;
    let key = key.unwrap_or_default();
    Ok(Localized::new(
        lang,
        matter_read(&state, &principal, lang, &key, basis, as_of)
            .await?
            .response,
    ))
}

/// A matter as `principal` may see it, its status derived on `as_of` from `basis`: the
/// response `GET /api/v1/matters/{key}` shows, with the stored record and the access facts it
/// was made from (both languages of each text, for a page's forms).
pub(crate) struct MatterRead {
    pub response: MatterDetailResponse,
    pub record: MatterDetail,
    pub access: MatterAccess,
}

pub(crate) async fn matter_read(
    state: &AppState,
    principal: &Principal,
    lang: Lang,
    key: &str,
    basis: ProgressBasis,
    as_of: Date,
) -> Result<MatterRead, ApiError> {
    let store = state.store();
    let access = store
        .matter_access(key)
        .await?
        .ok_or_else(|| ApiError::not_found("matter", key))?;
    principal.require(
        Action::Read,
        &matter_target(&access),
        &format!("matter {key:?}"),
    )?;
    let detail = store
        .matter(key, as_of, basis.into())
        .await?
        .ok_or_else(|| ApiError::not_found("matter", key))?;
    let m = &detail.state.matter;
    let plans: Vec<Plan> = store.plan(&m.plan).await?.into_iter().collect();
    let areas = AreaNames::new(&plans);
    let names = Names::load(store, lang).await?;
    let linked: Vec<&str> = m.indicators.iter().map(String::as_str).collect();
    let indicators = store.indicators_named(&linked).await?;
    // The agreements whose obligation this is, each only if the reader may see it (a matter
    // can be linked to an agreement still in draft).
    let mut agreements = Vec::new();
    for agreement in &m.agreements {
        let Some(access) = store.agreement_access(agreement).await? else {
            continue;
        };
        let target = crate::routes::agreements::target(&access, None);
        if decide(principal.actor().as_ref(), Action::Read, &target).is_allowed()
            && let Some(found) = store.agreement(agreement).await?
        {
            agreements.push(found);
        }
    }
    let owner: HashMap<&str, _> = detail
        .state
        .tasks
        .iter()
        .map(|t| (t.task.key.as_str(), t.task.jurisdiction))
        .collect();

    let response = MatterDetailResponse {
        matter: matter(&detail.state, &areas, &names, lang),
        as_of: dto::date(as_of),
        basis,
        milestones: m
            .milestones
            .iter()
            .map(|ms| MilestoneResponse {
                title: text(&ms.title, lang),
                due: dto::date(ms.due),
                done_on: opt_date(ms.done_on),
                done: milestone_done(ms, as_of),
            })
            .collect(),
        indicators: m
            .indicators
            .iter()
            .map(|k| KeyRef {
                key: k.clone(),
                name: indicators
                    .iter()
                    .find(|i| &i.key == k)
                    .map_or_else(|| k.clone(), |i| text(&i.name, lang)),
            })
            .collect(),
        agreements: agreements
            .iter()
            .map(|a| KeyRef {
                key: a.key.clone(),
                name: text(&a.title, lang),
            })
            .collect(),
        problems: detail
            .problems
            .iter()
            .map(|p| MatterProblemResponse {
                key: p.key.clone(),
                task: p.task.clone(),
                title: text(&p.title, lang),
                tier: p.tier.into(),
                raised_on: dto::date(p.raised_on),
                due: opt_date(p.due),
                resolved_on: opt_date(p.resolved_on),
                resolution: opt_text(&p.resolution, lang),
                resolved: p.resolved_on.is_some_and(|d| d <= as_of),
                source: p.source.clone(),
            })
            .collect(),
        recent_reports: detail
            .recent_reports
            .iter()
            .map(|r| ReportResponse {
                key: r.key.clone(),
                task: r.task.clone(),
                jurisdiction: owner.get(r.task.as_str()).map(|&c| names.of(c)),
                as_of: dto::date(r.as_of),
                percent: r.percent,
                state: r.state.into(),
                narrative: opt_text(&r.narrative, lang),
                evidence: r.evidence.clone(),
                return_reason: opt_text(&r.return_reason, lang),
                submitted_by: entered_by_user(&r.source),
                source: r.source.clone(),
            })
            .collect(),
    };
    Ok(MatterRead {
        response,
        record: detail,
        access,
    })
}

/// A dated checkpoint of a new matter.
#[derive(Clone, Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewMilestoneBody {
    pub title: TextBody,
    #[schema(format = Date, example = "2026-06-30")]
    pub due_date: String,
}

/// How one member's task differs from the defaults.
#[derive(Clone, Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TaskShareBody {
    /// A lead or participant of the matter.
    #[schema(example = "320000", pattern = "^[0-9]{6}$")]
    pub member: String,
    /// The member's unit that owns the task; by default the member's name.
    #[serde(default)]
    pub unit: Option<TextBody>,
    /// By default the matter's title with the member's name.
    #[serde(default)]
    pub title: Option<TextBody>,
    /// By default the matter's due date; no later than it.
    #[serde(default)]
    #[schema(format = Date)]
    pub due_date: Option<String>,
}

/// A matter as the office creates it under a plan.
#[derive(Clone, Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewMatterBody {
    /// By default `<plan>.<n>`.
    #[serde(default)]
    pub key: Option<String>,
    /// One of the plan's areas.
    #[serde(default)]
    #[schema(example = "sci-tech")]
    pub area: Option<String>,
    pub title: TextBody,
    #[serde(default)]
    pub objective: Option<TextBody>,
    /// The responsible body (e.g. a thematic group), whose roles see the matter as a draft.
    #[serde(default)]
    pub body: Option<String>,
    /// The lead members (codes); at least one.
    #[schema(example = json!(["310000"]))]
    pub lead: Vec<String>,
    /// The participating members (codes), each distinct from the leads.
    #[serde(default)]
    #[schema(example = json!(["320000", "330000"]))]
    pub participants: Vec<String>,
    #[serde(default)]
    #[schema(format = Date)]
    pub start_date: Option<String>,
    #[schema(format = Date, example = "2026-12-31")]
    pub due_date: String,
    #[serde(default)]
    pub milestones: Vec<NewMilestoneBody>,
    /// Keys of the indicators the matter is meant to move.
    #[serde(default)]
    pub indicators: Vec<String>,
    /// Keys of the agreements whose obligation the matter carries out.
    #[serde(default)]
    pub agreements: Vec<String>,
    /// Units, titles and due dates of members' tasks, where they differ from the defaults.
    #[serde(default)]
    pub tasks: Vec<TaskShareBody>,
    /// Published at once, or a draft until published (default).
    #[serde(default)]
    pub published: bool,
}

/// Parses the codes of `field`, collecting errors.
fn codes(field: &str, values: &[String], errors: &mut Vec<FieldError>) -> Vec<AdminCode> {
    values
        .iter()
        .filter_map(|v| match extract::code(v.trim()) {
            Ok(c) => Some(c),
            Err(e) => {
                errors.push(FieldError::new(field, e));
                None
            }
        })
        .collect()
}

/// Turns a matter body into what the store takes, or 422 naming every bad field.
fn new_matter(body: NewMatterBody) -> Result<NewMatter, ApiError> {
    let mut errors = Vec::new();
    let date = |field: &str, value: &str, errors: &mut Vec<FieldError>| {
        extract::full_date(value.trim())
            .map_err(|e| errors.push(FieldError::new(field, e)))
            .ok()
    };
    let leads = codes("lead", &body.lead, &mut errors);
    let participants = codes("participants", &body.participants, &mut errors);
    let start = body
        .start_date
        .as_deref()
        .filter(|s| !s.trim().is_empty())
        .and_then(|s| date("start_date", s, &mut errors));
    let due = date("due_date", &body.due_date, &mut errors);
    let milestones = body
        .milestones
        .iter()
        .filter_map(|m| {
            let due = date("milestones", &m.due_date, &mut errors)?;
            Some(NewMilestone {
                title: m.title.to_text(),
                due,
            })
        })
        .collect();
    let tasks = body
        .tasks
        .iter()
        .filter_map(|t| {
            let member = extract::code(t.member.trim())
                .map_err(|e| errors.push(FieldError::new("tasks", e)))
                .ok()?;
            let due = match t.due_date.as_deref().filter(|d| !d.trim().is_empty()) {
                Some(d) => Some(date("tasks", d, &mut errors)?),
                None => None,
            };
            Some(TaskShare {
                member,
                unit: t.unit.as_ref().map(TextBody::to_text).unwrap_or_default(),
                title: t.title.as_ref().map(TextBody::to_text).unwrap_or_default(),
                due,
            })
        })
        .collect();
    let blank_to_none =
        |v: Option<String>| v.map(|v| v.trim().to_owned()).filter(|v| !v.is_empty());
    let key = blank_to_none(body.key);
    let area = blank_to_none(body.area);
    let responsible = blank_to_none(body.body);
    for (field, value) in [("key", &key), ("area", &area), ("body", &responsible)] {
        if let Some(value) = value
            && let Err(e) = extract::key(value)
        {
            errors.push(FieldError::new(field, e));
        }
    }
    let (Some(due), true) = (due, errors.is_empty()) else {
        return Err(ApiError::Unprocessable(errors));
    };
    Ok(NewMatter {
        key,
        area,
        title: body.title.to_text(),
        objective: body
            .objective
            .as_ref()
            .map(TextBody::to_text)
            .unwrap_or_default(),
        body: responsible,
        leads,
        participants,
        start,
        due,
        milestones,
        indicators: body
            .indicators
            .iter()
            .map(|k| k.trim().to_owned())
            .collect(),
        agreements: body
            .agreements
            .iter()
            .map(|k| k.trim().to_owned())
            .collect(),
        tasks,
        published: body.published,
    })
}

/// Creates a matter under `plan` for `principal`; the pages' form shares it. Returns its key.
pub(crate) async fn create(
    state: &AppState,
    principal: &Principal,
    plan: &str,
    body: Result<NewMatterBody, ApiError>,
) -> Result<String, ApiError> {
    let store = state.store();
    let published = store
        .plan_published(plan)
        .await?
        .ok_or_else(|| ApiError::not_found("plan", plan))?;
    principal.require(
        Action::Draft,
        &plan_target(published),
        &format!("plan {plan:?}"),
    )?;
    let author = principal.author()?;
    let new = new_matter(body?)?;
    Ok(store.create_matter(&author, plan, &new).await?)
}

/// Creates a matter under a plan: the office (region-wide) only. It splits into one task per
/// lead and participant (key `<matter>.<member>`), each owned by the unit `tasks` gives for
/// that member (by default the member's name) and due on its own due date or the matter's.
/// Journalled: `create` on the matter and on each task.
#[utoipa::path(
    post,
    path = "/api/v1/plans/{key}/matters",
    tag = "matters",
    params(("key" = String, Path, description = "The plan's key")),
    request_body = NewMatterBody,
    responses(
        (status = 201, description = "The matter, as `GET /api/v1/matters/{key}` shows it", body = MatterDetailResponse,
            headers(("Location" = String, description = "The matter's address"))),
        (status = 401, description = "Not signed in", body = ProblemResponse),
        (status = 403, description = "Not the office", body = ProblemResponse),
        (status = 404, description = "No such plan, or a draft the caller may not see", body = ProblemResponse),
        (status = 409, description = "The key is taken", body = ProblemResponse),
        (status = 422, description = "A field is invalid (named in `errors`): members not distinct, an area not of the plan, an unknown indicator or agreement", body = ProblemResponse),
    )
)]
pub async fn create_matter(
    State(state): State<AppState>,
    principal: Principal,
    Language(lang): Language,
    Path(plan): Path<String>,
    JsonBody(body): JsonBody<NewMatterBody>,
) -> Result<Response, ApiError> {
    let key = create(&state, &principal, &plan, Ok(body)).await?;
    created_matter(&state, &principal, lang, &key).await
}

/// 201 with the matter as its GET shows it today.
async fn created_matter(
    state: &AppState,
    principal: &Principal,
    lang: Lang,
    key: &str,
) -> Result<Response, ApiError> {
    let today = OffsetDateTime::now_utc().date();
    let detail = matter_read(state, principal, lang, key, ProgressBasis::Reported, today)
        .await?
        .response;
    Ok(created(
        &format!("/api/v1/matters/{key}"),
        json_response(&detail, Some(lang)),
    ))
}

/// Where to carry a matter over to.
#[derive(Clone, Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CarryOverBody {
    /// The next plan's key.
    #[schema(example = "work-plan-2027")]
    pub plan: String,
    /// The new matter's due date; by default the last day of the next plan's period.
    #[serde(default)]
    #[schema(format = Date)]
    pub due_date: Option<String>,
}

/// Carries `key` over for `principal`; the pages' form shares it. Returns the new key.
pub(crate) async fn carry(
    state: &AppState,
    principal: &Principal,
    key: &str,
    body: Result<CarryOverBody, ApiError>,
) -> Result<String, ApiError> {
    let store = state.store();
    let access = store
        .matter_access(key)
        .await?
        .ok_or_else(|| ApiError::not_found("matter", key))?;
    let what = format!("matter {key:?}");
    principal.require(Action::Read, &matter_target(&access), &what)?;
    let plan = store
        .matter_plan(key)
        .await?
        .ok_or_else(|| ApiError::not_found("matter", key))?;
    let published = store
        .plan_published(&plan)
        .await?
        .ok_or_else(|| ApiError::not_found("plan", &plan))?;
    principal.require(
        Action::Draft,
        &plan_target(published),
        &format!("plan {plan:?}"),
    )?;
    let body = body?;
    let next = body.plan.trim();
    extract::key(next).map_err(|e| ApiError::Unprocessable(vec![FieldError::new("plan", e)]))?;
    // The next plan must be one the caller drafts in too; an unknown one is the store's 422.
    if let Some(published) = store.plan_published(next).await? {
        principal.require(
            Action::Draft,
            &plan_target(published),
            &format!("plan {next:?}"),
        )?;
    }
    let due = body
        .due_date
        .as_deref()
        .filter(|d| !d.trim().is_empty())
        .map(|d| extract::full_date(d.trim()))
        .transpose()
        .map_err(|e| ApiError::Unprocessable(vec![FieldError::new("due_date", e)]))?;
    let author = principal.author()?;
    Ok(store
        .carry_over(
            &author,
            key,
            &CarryOver {
                plan: next.to_owned(),
                due,
            },
        )
        .await?)
}

/// Carries an unfinished matter over into the next plan: the office, drafting in both plans.
/// The new matter has the same members and units, the milestones not yet done and a task for
/// each member whose task is not verified at 100 %; it names the old one in `carried_from`,
/// which names it in `carried_to`. Its history starts with `carry_over`; the old matter keeps
/// all its history and reports. A matter is carried over once (409 after).
#[utoipa::path(
    post,
    path = "/api/v1/matters/{key}/carry-over",
    tag = "matters",
    params(("key" = String, Path, description = "The matter's key")),
    request_body = CarryOverBody,
    responses(
        (status = 201, description = "The new matter, as `GET /api/v1/matters/{key}` shows it", body = MatterDetailResponse,
            headers(("Location" = String, description = "The new matter's address"))),
        (status = 401, description = "Not signed in", body = ProblemResponse),
        (status = 403, description = "Not the office", body = ProblemResponse),
        (status = 404, description = "No such matter, or a draft the caller may not see", body = ProblemResponse),
        (status = 409, description = "Already carried over", body = ProblemResponse),
        (status = 422, description = "No such plan, the matter's own plan, or a bad date", body = ProblemResponse),
    )
)]
pub async fn carry_over(
    State(state): State<AppState>,
    principal: Principal,
    Language(lang): Language,
    Path(key): Path<String>,
    JsonBody(body): JsonBody<CarryOverBody>,
) -> Result<Response, ApiError> {
    let new = carry(&state, &principal, &key, Ok(body)).await?;
    created_matter(&state, &principal, lang, &new).await
}
