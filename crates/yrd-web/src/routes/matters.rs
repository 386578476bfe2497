//! Key cooperation matters: each member's tasks and progress, and the status derived from them
//! on a given day.

use std::collections::HashMap;

use axum::extract::State;
use serde::{Deserialize, Serialize};
use time::{Date, OffsetDateTime};
use utoipa::{IntoParams, ToSchema};
use yrd_domain::access::Action;
use yrd_domain::rules::matter::milestone_done;
use yrd_domain::{Lang, Plan, Text};
use yrd_store::{MatterFilter, MatterState, TaskState};

use crate::AppState;
use crate::auth::{Principal, matter_target};
use crate::dto::{
    self, JurisdictionRef, KeyRef, MatterStatus, Names, ProgressBasis, ReportState, Tier, opt_date,
    opt_text, text,
};
use crate::error::{ApiError, ProblemResponse};
use crate::extract::{self, Language, PageQuery, Parse, Path, Query, choice, encode_cursor};
use crate::response::Localized;

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
    /// Each member's share, by key.
    pub tasks: Vec<TaskResponse>,
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

fn task(t: &TaskState, names: &Names, lang: Lang) -> TaskResponse {
    TaskResponse {
        key: t.task.key.clone(),
        jurisdiction: names.of(t.task.jurisdiction),
        unit: text(&t.task.unit, lang),
        title: text(&t.task.title, lang),
        start: opt_date(t.task.start),
        due: dto::date(t.task.due),
        reported: figure(t.reported_percent, t.reported_as_of),
        verified: figure(t.verified_percent, t.verified_as_of),
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
        tasks: state.tasks.iter().map(|t| task(t, names, lang)).collect(),
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

    let store = state.store();
    let found = store
        .matters(
            &filter,
            as_of,
            basis.into(),
            page.cursor.as_deref(),
            page.limit,
        )
        .await?;
    let plans = store.plans().await?;
    let areas = AreaNames::new(&plans);
    let names = Names::load(store, lang).await?;
    Ok(Localized::new(
        lang,
        MatterPage {
            items: found
                .items
                .iter()
                .map(|m| matter(m, &areas, &names, lang))
                .collect(),
            next_cursor: found.next_cursor.map(|c| encode_cursor(LIST, &c)),
            as_of: dto::date(as_of),
            basis,
        },
    ))
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

    let store = state.store();
    let access = store
        .matter_access(&key)
        .await?
        .ok_or_else(|| ApiError::not_found("matter", &key))?;
    principal.require(
        Action::Read,
        &matter_target(&access),
        &format!("matter {key:?}"),
    )?;
    let detail = store
        .matter(&key, as_of, basis.into())
        .await?
        .ok_or_else(|| ApiError::not_found("matter", &key))?;
    let m = &detail.state.matter;
    let plans: Vec<Plan> = store.plan(&m.plan).await?.into_iter().collect();
    let areas = AreaNames::new(&plans);
    let names = Names::load(store, lang).await?;
    let indicators = if m.indicators.is_empty() {
        Vec::new()
    } else {
        store.indicators().await?
    };
    let agreements = if m.agreements.is_empty() {
        Vec::new()
    } else {
        store.agreements(None).await?
    };
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
        agreements: m
            .agreements
            .iter()
            .map(|k| KeyRef {
                key: k.clone(),
                name: agreements
                    .iter()
                    .find(|a| &a.key == k)
                    .map_or_else(|| k.clone(), |a| text(&a.title, lang)),
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
                source: r.source.clone(),
            })
            .collect(),
    };
    Ok(Localized::new(lang, response))
}
