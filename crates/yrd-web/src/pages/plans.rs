//! The cascade of plans, a plan with its progress by area × member, and a matter with its
//! tasks.

use askama::Template;
use axum::extract::State;
use axum::http::Uri;
use axum::response::Response;
use serde::Deserialize;

use super::{Chrome, PageLang, render};
use crate::AppState;
use crate::auth::Principal;
use crate::error::ApiError;
use crate::extract::{Language, Path, Query};
use crate::routes::matters::{
    self, MatterDetailResponse, MatterListQuery, MatterResponse, StatusQuery,
};
use crate::routes::plans::{self, PlanDetailResponse, PlanResponse, ProgressStats};

#[derive(Template)]
#[template(path = "plans.html")]
struct PlansPage {
    chrome: Chrome,
    /// Each plan with the plan it carries out (key, title), if any: the cascade.
    plans: Vec<(PlanResponse, Option<(String, String)>)>,
}

/// `/{lang}/plans`: every plan the reader may see, in the order of the cascade.
pub async fn list(
    State(state): State<AppState>,
    PageLang(lang): PageLang,
    principal: Principal,
    uri: Uri,
) -> Result<Response, ApiError> {
    let plans = plans::list_plans(State(state), principal.clone(), Language(lang))
        .await?
        .body
        .items;
    let titles: std::collections::HashMap<String, String> = plans
        .iter()
        .map(|p| (p.key.clone(), p.title.clone()))
        .collect();
    let plans = plans
        .into_iter()
        .map(|p| {
            let parent = p.parent.as_ref().map(|k| {
                (
                    k.clone(),
                    titles.get(k).cloned().unwrap_or_else(|| k.clone()),
                )
            });
            (p, parent)
        })
        .collect();
    let chrome = Chrome::new(lang, &uri, &principal)
        .with_json(format!("/api/v1/plans?lang={}", lang.code()))
        .with_csv(format!("/{}/plans.csv", lang.code()));
    render(&PlansPage { chrome, plans })
}

#[derive(Deserialize)]
pub struct KeyPath {
    pub key: String,
}

/// One row of the progress table: the area, each member's cell, and the row's total.
pub struct ProgressRow {
    pub area: String,
    pub cells: Vec<Option<ProgressStats>>,
    pub total: ProgressStats,
}

#[derive(Template)]
#[template(path = "plan.html")]
struct PlanPage {
    chrome: Chrome,
    plan: PlanDetailResponse,
    members: Vec<String>,
    rows: Vec<ProgressRow>,
    heatmap: String,
    /// Each matter with the mean reported progress of its tasks (`None` when none reported).
    matters: Vec<(MatterResponse, Option<u8>)>,
}

/// The mean reported progress of a matter's tasks, over those that reported.
fn mean_reported(matter: &MatterResponse) -> Option<u8> {
    let reported: Vec<u32> = matter
        .tasks
        .iter()
        .filter_map(|t| t.reported.as_ref().map(|r| u32::from(r.percent)))
        .collect();
    (!reported.is_empty()).then(|| {
        let mean = f64::from(reported.iter().sum::<u32>()) / reported.len() as f64;
        mean.round() as u8
    })
}

/// The heat map of a plan's progress: the same numbers as its table, as a picture.
pub fn progress_heatmap(chrome: &Chrome, members: &[String], rows: &[ProgressRow]) -> String {
    let labels: Vec<(String, Option<String>)> =
        rows.iter().map(|r| (r.area.clone(), None)).collect();
    let cells: Vec<Vec<Option<f64>>> = rows
        .iter()
        .map(|r| {
            r.cells
                .iter()
                .map(|c| c.as_ref().and_then(|s| s.mean_percent))
                .collect()
        })
        .collect();
    crate::svg::heatmap(
        "progress",
        &chrome.t("rollup-title"),
        &chrome.t("rollup-desc"),
        &labels,
        members,
        &cells,
    )
}

/// The progress table of a plan: areas × members, `None` where a member has no task.
pub fn progress_rows(
    plan: &PlanDetailResponse,
    chrome: &Chrome,
) -> (Vec<String>, Vec<ProgressRow>) {
    let members = plan.rollup.members.iter().map(|m| m.name.clone()).collect();
    let rows = plan
        .rollup
        .rows
        .iter()
        .map(|row| ProgressRow {
            area: row
                .area
                .as_ref()
                .map_or_else(|| chrome.t("area-none"), |a| a.name.clone()),
            cells: plan
                .rollup
                .members
                .iter()
                .map(|m| {
                    row.cells
                        .iter()
                        .find(|c| c.jurisdiction.code == m.code)
                        .map(|c| c.reported)
                        .filter(|s| s.tasks > 0)
                })
                .collect(),
            total: row.total.reported,
        })
        .collect();
    (members, rows)
}

/// `/{lang}/plans/{key}`: a plan, its progress by area × member, and its matters.
pub async fn detail(
    State(state): State<AppState>,
    PageLang(lang): PageLang,
    principal: Principal,
    Path(KeyPath { key }): Path<KeyPath>,
    uri: Uri,
) -> Result<Response, ApiError> {
    let plan = plans::get_plan(
        State(state.clone()),
        principal.clone(),
        Language(lang),
        Path(key.clone()),
    )
    .await?
    .body;
    let matters = super::matters_where(
        &state,
        &principal,
        lang,
        MatterListQuery {
            plan: Some(key.clone()),
            area: None,
            member: None,
            status: None,
        },
        500,
    )
    .await?;
    let chrome = Chrome::new(lang, &uri, &principal)
        .with_json(format!("/api/v1/plans/{key}?lang={}", lang.code()))
        .with_csv(format!("/{}/plans/{key}/matters.csv", lang.code()));
    let (members, rows) = progress_rows(&plan, &chrome);
    let heatmap = progress_heatmap(&chrome, &members, &rows);
    let matters = matters
        .into_iter()
        .map(|m| {
            let mean = mean_reported(&m);
            (m, mean)
        })
        .collect();
    render(&PlanPage {
        chrome,
        plan,
        members,
        rows,
        heatmap,
        matters,
    })
}

#[derive(Template)]
#[template(path = "matter.html")]
struct MatterPage {
    chrome: Chrome,
    matter: MatterDetailResponse,
}

/// `/{lang}/matters/{key}`: a matter, its tasks per member, milestones and reports.
pub async fn matter(
    State(state): State<AppState>,
    PageLang(lang): PageLang,
    principal: Principal,
    Path(KeyPath { key }): Path<KeyPath>,
    uri: Uri,
) -> Result<Response, ApiError> {
    let matter = matters::get_matter(
        State(state),
        principal.clone(),
        Language(lang),
        Path(key.clone()),
        Query(StatusQuery {
            basis: None,
            as_of: None,
        }),
    )
    .await?
    .body;
    let chrome = Chrome::new(lang, &uri, &principal)
        .with_json(format!("/api/v1/matters/{key}?lang={}", lang.code()));
    render(&MatterPage { chrome, matter })
}
