//! Plans of the cascade and, on a plan's page, the progress of its tasks by area × member;
//! drafting a new plan.

use std::collections::BTreeSet;

use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use yrd_domain::access::{Action, Publication, Target};
use yrd_domain::rules::RollupCell;
use yrd_domain::{AdminCode, Lang, Plan, PlanKind as DomainPlanKind};
use yrd_store::{NewArea, NewPlan, RollupRow};

use crate::AppState;
use crate::auth::Principal;
use crate::dto::{JurisdictionRef, KeyRef, Names, PlanKind, PlanStage, opt_text, partial, text};
use crate::error::{ApiError, FieldError, ProblemResponse};
use crate::extract::{self, JsonBody, Language, Path};
use crate::response::{Localized, json_response};
use crate::routes::tasks::TextBody;

/// A document in the cascade of plans.
#[derive(Debug, Serialize, ToSchema)]
pub struct PlanResponse {
    #[schema(example = "action-plan-2024-2026")]
    pub key: String,
    pub kind: PlanKind,
    pub stage: PlanStage,
    pub title: String,
    /// The key of the plan this one implements.
    pub parent: Option<String>,
    pub period: Period,
    pub adopted_on: Option<String>,
    pub issued_on: Option<String>,
    pub issuer: Option<String>,
    pub summary: Option<String>,
    /// Priority areas, in the plan's order.
    pub areas: Vec<AreaResponse>,
    /// Whether the plan is published; unpublished plans are drafts, seen only by those the
    /// access policy lets see them.
    pub published: bool,
    pub source: String,
}

/// The years a plan covers, both included.
#[derive(Debug, Serialize, ToSchema)]
pub struct Period {
    #[schema(example = 2024)]
    pub start: i32,
    #[schema(example = 2026)]
    pub end: i32,
}

/// A priority area of a plan.
#[derive(Debug, Serialize, ToSchema)]
pub struct AreaResponse {
    /// Unique within the plan.
    pub key: String,
    pub seq: u32,
    pub name: String,
    /// The number of key tasks the plan itself states for the area, where it states one.
    pub stated_task_count: Option<u32>,
}

/// Every plan, in cascade order (by first year, then key).
#[derive(Debug, Serialize, ToSchema)]
pub struct PlanList {
    pub items: Vec<PlanResponse>,
}

/// A plan with the progress of its tasks.
#[derive(Debug, Serialize, ToSchema)]
pub struct PlanDetailResponse {
    #[serde(flatten)]
    pub plan: PlanResponse,
    pub rollup: RollupResponse,
}

/// The progress of the plan's tasks as a grid: one row per area (in the plan's order, plus a
/// row with `area: null` for tasks of matters without an area, if any) and one column per
/// member jurisdiction that has tasks in the plan (by code), with totals per row, per column
/// and overall. Each cell gives both bases side by side: `reported` (the owners' latest
/// reports) and `verified` (the latest reports the Office verified).
///
/// Tasks without a report are not counted as 0 % or 100 %: they are counted as unreported and
/// excluded from the mean. Read `mean_percent` together with `coverage`.
#[derive(Debug, Serialize, ToSchema)]
pub struct RollupResponse {
    /// The grid's columns.
    pub members: Vec<JurisdictionRef>,
    pub rows: Vec<RollupRowResponse>,
    /// One per member, in column order: the member's tasks over all areas.
    pub member_totals: Vec<RollupCellResponse>,
    /// Every task of the plan.
    pub total: ProgressPair,
}

/// One area's row of the grid.
#[derive(Debug, Serialize, ToSchema)]
pub struct RollupRowResponse {
    /// `null` for the row of tasks whose matter has no area.
    pub area: Option<KeyRef>,
    /// One per member, in column order (a member without tasks in the area has `tasks: 0`).
    pub cells: Vec<RollupCellResponse>,
    /// The area's tasks over all members.
    pub total: ProgressPair,
}

/// One member's cell of a row (or its column total).
#[derive(Debug, Serialize, ToSchema)]
pub struct RollupCellResponse {
    pub jurisdiction: JurisdictionRef,
    pub reported: ProgressStats,
    pub verified: ProgressStats,
}

/// A set of tasks on both bases.
#[derive(Debug, Serialize, ToSchema)]
pub struct ProgressPair {
    pub reported: ProgressStats,
    pub verified: ProgressStats,
}

/// The progress of a set of tasks on one basis. Tasks without a figure on this basis are not
/// counted as 0 % or 100 %: they are counted as unreported and excluded from the mean.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, ToSchema)]
pub struct ProgressStats {
    /// Tasks in the set.
    pub tasks: u64,
    /// Tasks with a figure on this basis.
    pub reported: u64,
    /// Tasks without one: neither 0 % nor 100 %, but unknown.
    pub unreported: u64,
    /// Mean latest percentage over the reported tasks only; `null` when none is reported.
    pub mean_percent: Option<f64>,
    /// `reported / tasks`, 0–1; `null` for an empty set.
    pub coverage: Option<f64>,
    /// Reported tasks at 100 %.
    pub done: u64,
}

impl From<RollupCell> for ProgressStats {
    fn from(cell: RollupCell) -> Self {
        ProgressStats {
            tasks: cell.tasks,
            reported: cell.reported,
            unreported: cell.unreported,
            mean_percent: cell.mean_percent,
            coverage: cell.coverage(),
            done: cell.done,
        }
    }
}

/// Sums of store rows; both bases share the task count.
#[derive(Debug, Default, Clone, Copy)]
struct Sums {
    tasks: u64,
    reported: u64,
    reported_sum: u64,
    reported_done: u64,
    verified: u64,
    verified_sum: u64,
    verified_done: u64,
}

impl Sums {
    fn add(&mut self, row: &RollupRow) {
        self.tasks += row.tasks;
        self.reported += row.reported;
        self.reported_sum += row.reported_sum;
        self.reported_done += row.reported_done;
        self.verified += row.verified;
        self.verified_sum += row.verified_sum;
        self.verified_done += row.verified_done;
    }

    fn of<'a>(rows: impl IntoIterator<Item = &'a RollupRow>) -> Sums {
        let mut sums = Sums::default();
        for row in rows {
            sums.add(row);
        }
        sums
    }

    fn pair(&self) -> ProgressPair {
        // Sums of whole percentages stay far below 2^52, so the conversions are exact.
        ProgressPair {
            reported: RollupCell::from_counts(
                self.tasks,
                self.reported,
                self.reported_sum as f64,
                self.reported_done,
            )
            .into(),
            verified: RollupCell::from_counts(
                self.tasks,
                self.verified,
                self.verified_sum as f64,
                self.verified_done,
            )
            .into(),
        }
    }
}

fn cell(jurisdiction: JurisdictionRef, sums: Sums) -> RollupCellResponse {
    let ProgressPair { reported, verified } = sums.pair();
    RollupCellResponse {
        jurisdiction,
        reported,
        verified,
    }
}

/// Builds the grid from the store's (area, member) rows.
fn rollup(plan: &Plan, rows: &[RollupRow], names: &Names, lang: Lang) -> RollupResponse {
    let members: Vec<AdminCode> = rows
        .iter()
        .map(|r| r.jurisdiction)
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    // Every area of the plan, then the "no area" row, then (defensively) any area key the
    // plan does not list, so no task is ever left out of the grid.
    let mut areas: Vec<Option<KeyRef>> = plan
        .areas
        .iter()
        .map(|a| {
            Some(KeyRef {
                key: a.key.clone(),
                name: text(&a.name, lang),
            })
        })
        .collect();
    if rows.iter().any(|r| r.area.is_none()) {
        areas.push(None);
    }
    let unlisted: BTreeSet<&str> = rows
        .iter()
        .filter_map(|r| r.area.as_deref())
        .filter(|key| !plan.areas.iter().any(|a| a.key == *key))
        .collect();
    areas.extend(unlisted.into_iter().map(|key| {
        Some(KeyRef {
            key: key.to_owned(),
            name: key.to_owned(),
        })
    }));

    let rows_out = areas
        .into_iter()
        .map(|area| {
            let key = area.as_ref().map(|a| a.key.as_str());
            let in_area = || rows.iter().filter(move |r| r.area.as_deref() == key);
            RollupRowResponse {
                cells: members
                    .iter()
                    .map(|&m| {
                        cell(
                            names.of(m),
                            Sums::of(in_area().filter(|r| r.jurisdiction == m)),
                        )
                    })
                    .collect(),
                total: Sums::of(in_area()).pair(),
                area,
            }
        })
        .collect();
    RollupResponse {
        member_totals: members
            .iter()
            .map(|&m| {
                cell(
                    names.of(m),
                    Sums::of(rows.iter().filter(|r| r.jurisdiction == m)),
                )
            })
            .collect(),
        members: names.all(&members),
        rows: rows_out,
        total: Sums::of(rows).pair(),
    }
}

fn plan(plan: &Plan, lang: Lang) -> PlanResponse {
    PlanResponse {
        key: plan.key.clone(),
        kind: plan.kind.into(),
        stage: plan.stage.into(),
        title: text(&plan.title, lang),
        parent: plan.parent.clone(),
        period: Period {
            start: plan.period_start,
            end: plan.period_end,
        },
        adopted_on: partial(plan.adopted_on),
        issued_on: partial(plan.issued_on),
        issuer: opt_text(&plan.issuer, lang),
        summary: opt_text(&plan.summary, lang),
        areas: plan
            .areas
            .iter()
            .map(|a| AreaResponse {
                key: a.key.clone(),
                seq: a.seq,
                name: text(&a.name, lang),
                stated_task_count: a.stated_task_count,
            })
            .collect(),
        published: plan.published,
        source: plan.source.clone(),
    }
}

/// A plan's publication as the policy sees it (plans have no responsible body).
pub(crate) fn publication(plan: &Plan) -> Publication<'static> {
    Publication {
        published: plan.published,
        body: None,
    }
}

/// Lists every plan the caller may see (drafts only for the office and auditors).
#[utoipa::path(
    get,
    path = "/api/v1/plans",
    tag = "plans",
    responses((status = 200, description = "Every plan", body = PlanList))
)]
pub async fn list_plans(
    State(state): State<AppState>,
    principal: Principal,
    Language(lang): Language,
) -> Result<Localized<PlanList>, ApiError> {
    let plans = state.store().plans().await?;
    let visible = principal.draft_visibility();
    let items = plans
        .iter()
        .filter(|p| visible.sees(publication(p)))
        .map(|p| plan(p, lang))
        .collect();
    Ok(Localized::new(lang, PlanList { items }))
}

/// Shows one plan with the progress of its tasks by area × member.
#[utoipa::path(
    get,
    path = "/api/v1/plans/{key}",
    tag = "plans",
    params(("key" = String, Path, description = "The plan's key", example = "action-plan-2024-2026")),
    responses(
        (status = 200, description = "The plan and its roll-up", body = PlanDetailResponse),
        (status = 404, description = "No plan has this key", body = ProblemResponse,
            content_type = "application/problem+json"),
    )
)]
pub async fn get_plan(
    State(state): State<AppState>,
    principal: Principal,
    Language(lang): Language,
    Path(key): Path<String>,
) -> Result<Localized<PlanDetailResponse>, ApiError> {
    let key = extract::key(&key).map_err(|reason| ApiError::invalid("key", reason))?;
    Ok(Localized::new(
        lang,
        plan_detail(&state, &principal, lang, &key, None).await?,
    ))
}

/// A plan and its roll-up as `principal` may see them: what `GET /api/v1/plans/{key}` shows.
/// `names`, when the caller has read them already, saves reading them again.
pub(crate) async fn plan_detail(
    state: &AppState,
    principal: &Principal,
    lang: Lang,
    key: &str,
    names: Option<&Names>,
) -> Result<PlanDetailResponse, ApiError> {
    let store = state.store();
    // Read at once (on PostgreSQL their round trips wait together instead of in turn). The
    // roll-up counts only the matters this reader may see, and is dropped unread when the plan
    // is refused.
    let drafts = principal.draft_visibility();
    let (found, rows, names) = tokio::try_join!(
        store.plan(key),
        store.plan_rollup(key, &drafts),
        Names::given_or_load(names, store, lang),
    )?;
    let found = found.ok_or_else(|| ApiError::not_found("plan", key))?;
    principal.require(
        Action::Read,
        &Target::Plan(publication(&found)),
        &format!("plan {key:?}"),
    )?;
    Ok(PlanDetailResponse {
        plan: plan(&found, lang),
        rollup: rollup(&found, &rows, &names, lang),
    })
}

/// A new priority area of a plan.
#[derive(Clone, Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewAreaBody {
    /// Unique within the plan.
    #[schema(example = "sci-tech")]
    pub key: String,
    pub name: TextBody,
}

/// A plan as the office drafts it.
#[derive(Clone, Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewPlanBody {
    #[schema(example = "work-plan-2026")]
    pub key: String,
    #[schema(value_type = PlanKind)]
    pub kind: String,
    pub title: TextBody,
    /// The key of the plan this one carries out.
    #[serde(default)]
    #[schema(example = "action-plan-2024-2026")]
    pub parent: Option<String>,
    /// The first and last year covered.
    #[schema(example = json!([2026, 2026]))]
    pub period: [i32; 2],
    #[serde(default)]
    pub issuer: Option<TextBody>,
    #[serde(default)]
    pub summary: Option<TextBody>,
    /// Priority areas, in order.
    #[serde(default)]
    pub areas: Vec<NewAreaBody>,
}

/// How the policy sees a plan that is `published` or not (plans have no responsible body).
pub(crate) fn plan_target(published: bool) -> Target<'static> {
    Target::Plan(Publication {
        published,
        body: None,
    })
}

/// Creates a draft plan for `principal`; the plan form of the pages shares it. Returns the
/// plan's key.
pub(crate) async fn create(
    state: &AppState,
    principal: &Principal,
    body: Result<NewPlanBody, ApiError>,
) -> Result<String, ApiError> {
    // The question is whether the caller drafts plans at all: a collection is never hidden,
    // so the policy is asked about a plan that anyone could see once published.
    principal.require(Action::Draft, &plan_target(true), "plans")?;
    let author = principal.author()?;
    let body = body?;
    let kind = DomainPlanKind::from(PlanKind::parse(&body.kind).ok_or_else(|| {
        ApiError::Unprocessable(vec![FieldError::new(
            "kind",
            format!(
                "{:?} is not a kind of plan: expected one of {}",
                body.kind,
                PlanKind::NAMES.join(", ")
            ),
        )])
    })?);
    if let Some(parent) = &body.parent {
        extract::key(parent)
            .map_err(|reason| ApiError::Unprocessable(vec![FieldError::new("parent", reason)]))?;
    }
    let new = NewPlan {
        key: body.key.trim().to_owned(),
        kind,
        title: body.title.to_text(),
        parent: body.parent.clone(),
        period_start: body.period[0],
        period_end: body.period[1],
        issuer: body
            .issuer
            .as_ref()
            .map(TextBody::to_text)
            .unwrap_or_default(),
        summary: body
            .summary
            .as_ref()
            .map(TextBody::to_text)
            .unwrap_or_default(),
        areas: body
            .areas
            .iter()
            .map(|a| NewArea {
                key: a.key.trim().to_owned(),
                name: a.name.to_text(),
            })
            .collect(),
    };
    state.store().create_plan(&author, &new).await?;
    Ok(new.key)
}

/// Drafts a plan: the office (region-wide) only. It starts unpublished, at stage `draft`,
/// seen by the office and auditors until it is published.
#[utoipa::path(
    post,
    path = "/api/v1/plans",
    tag = "plans",
    request_body = NewPlanBody,
    responses(
        (status = 201, description = "The plan, as `GET /api/v1/plans/{key}` shows it", body = PlanDetailResponse,
            headers(("Location" = String, description = "The plan's address"))),
        (status = 401, description = "Not signed in", body = ProblemResponse),
        (status = 403, description = "Not the office", body = ProblemResponse),
        (status = 409, description = "The key is taken", body = ProblemResponse),
        (status = 422, description = "A field is invalid (named in `errors`)", body = ProblemResponse),
    )
)]
pub async fn create_plan(
    State(state): State<AppState>,
    principal: Principal,
    Language(lang): Language,
    JsonBody(body): JsonBody<NewPlanBody>,
) -> Result<Response, ApiError> {
    let key = create(&state, &principal, Ok(body)).await?;
    let detail = plan_detail(&state, &principal, lang, &key, None).await?;
    Ok(created(
        &format!("/api/v1/plans/{key}"),
        json_response(&detail, Some(lang)),
    ))
}

/// A 201 response with `Location`.
pub(crate) fn created(location: &str, mut response: Response) -> Response {
    *response.status_mut() = StatusCode::CREATED;
    if let Ok(value) = HeaderValue::from_str(location) {
        response.headers_mut().insert(header::LOCATION, value);
    }
    response
}
