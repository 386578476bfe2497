//! The cascade of plans, a plan with its progress by area × member and its matters a page at
//! a time (filtered by member and area), and a matter with its tasks, sub-tasks and reports.
//! Each page offers the forms of `plan_forms` to those the policy lets use them.

use std::collections::HashMap;

use askama::Template;
use axum::extract::State;
use axum::http::Uri;
use axum::response::Response;
use serde::Deserialize;
use time::OffsetDateTime;
use yrd_domain::Text;
use yrd_domain::access::{Action, Publication, Target};
use yrd_store::TaskAccess;

use super::plan_forms::may;
use super::{Chrome, ListPager, MATTERS_LISTED, PageLang, render};
use crate::AppState;
use crate::auth::{Principal, matter_target, task_target};
use crate::dto::{Names, ProgressBasis, ReportState, text};
use crate::error::ApiError;
use crate::extract::{self, Language, Path, Query};
use crate::routes::matters::{
    self, MatterDetailResponse, MatterLineView, MatterListQuery, ReportResponse,
};
use crate::routes::plans::{self, PlanDetailResponse, PlanResponse, ProgressStats, plan_target};

#[derive(Template)]
#[template(path = "plans.html")]
struct PlansPage {
    chrome: Chrome,
    /// Each plan with the plan it carries out (key, title), if any: the cascade.
    plans: Vec<(PlanResponse, Option<(String, String)>)>,
    /// Whether the reader drafts plans (the office).
    can_draft: bool,
}

/// `/{lang}/plans`: every plan the reader may see, in the order of the cascade.
pub async fn list(
    State(state): State<AppState>,
    PageLang(lang): PageLang,
    principal: Principal,
    uri: Uri,
) -> Result<Response, ApiError> {
    let can_draft = may(&principal, Action::Draft, &plan_target(true));
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
    render(&PlansPage {
        chrome,
        plans,
        can_draft,
    })
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
    /// One page of the matters the filters let through, each with the mean reported and the
    /// mean verified progress of its tasks (`None` when none has a figure on that basis).
    matters: Vec<MatterLineView>,
    /// The filter form's options, "all" first: the members and the areas.
    member_choices: Vec<Choice>,
    area_choices: Vec<Choice>,
    /// How many matters the page shows, and its links to the list's other pages.
    pager: ListPager,
    /// Whether the reader creates matters in the plan (the office).
    can_draft: bool,
    /// Whether the reader publishes or withdraws the plan.
    can_publish: bool,
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

/// How many matters the plan page lists at once: enough to scan, few enough that the page
/// stays fast however many matters the plan has (the roll-up above covers all of them).
const MATTERS_PER_PAGE: u32 = 50;

/// The plan page's filters of its matter list, as the matter list of the API takes them. An
/// empty value is no filter: the form's "all" options send one.
#[derive(Deserialize)]
pub struct PlanPageQuery {
    /// Only matters this member leads or takes part in (six-digit code).
    pub member: Option<String>,
    /// Only matters of this area of the plan.
    pub area: Option<String>,
    /// Where the page starts: the API's opaque cursor, from the previous page's next link.
    pub cursor: Option<String>,
}

/// One option of a filter of the plan page, selected when the list is filtered by it; the
/// option "all" has the empty value, selected when the filter is not given.
struct Choice {
    value: String,
    label: String,
    selected: bool,
}

impl Choice {
    fn new(value: &str, label: &str, given: Option<&str>) -> Choice {
        Choice {
            selected: given.unwrap_or_default() == value,
            value: value.to_owned(),
            label: label.to_owned(),
        }
    }
}

/// `/{lang}/plans/{key}`: a plan, its progress by area × member, and its matters a page at a
/// time, filtered by member and area (`?member=&area=&cursor=`, as the API's matter list).
pub async fn detail(
    State(state): State<AppState>,
    PageLang(lang): PageLang,
    principal: Principal,
    Path(KeyPath { key }): Path<KeyPath>,
    Query(query): Query<PlanPageQuery>,
    uri: Uri,
) -> Result<Response, ApiError> {
    let given = |value: Option<String>| value.filter(|v| !v.is_empty());
    let (member, area, cursor) = (given(query.member), given(query.area), given(query.cursor));
    let key = extract::key(&key).map_err(|reason| ApiError::invalid("key", reason))?;
    let names = Names::load(state.store(), lang).await?;
    // The plan and its list are read at once (on PostgreSQL their round trips wait together
    // instead of in turn). The list holds only what the reader may see, and is dropped unread
    // when the plan is refused; the plan's answer is judged first, as if read first.
    let (plan, page) = tokio::join!(
        plans::plan_detail(&state, &principal, lang, &key, Some(&names)),
        super::matter_lines(
            &state,
            &principal,
            lang,
            Some(&names),
            MatterListQuery {
                plan: Some(key.clone()),
                area: area.clone(),
                member: member.clone(),
                status: None,
            },
            cursor.clone(),
            MATTERS_PER_PAGE,
        ),
    );
    let plan = plan?;
    // The API would list nothing for an area of another plan; the page names the mistake,
    // since its form offers only the plan's own areas.
    if let Some(area) = &area
        && !plan.plan.areas.iter().any(|a| &a.key == area)
    {
        return Err(ApiError::invalid(
            "area",
            format!("{area:?} is not an area of the plan {key:?}"),
        ));
    }
    let page = page?;
    let chrome = Chrome::new(lang, &uri, &principal)
        .with_json(format!("/api/v1/plans/{key}?lang={}", lang.code()))
        .with_csv(format!("/{}/plans/{key}/matters.csv", lang.code()));
    // The roll-up stays the whole plan's: the filters narrow only the list of matters.
    let (members, rows) = progress_rows(&plan, &chrome);
    let heatmap = progress_heatmap(&chrome, &members, &rows);

    // The members are the roll-up's columns: those with tasks in the plan.
    let mut member_choices: Vec<Choice> = plan
        .rollup
        .members
        .iter()
        .map(|m| Choice::new(&m.code, &m.name, member.as_deref()))
        .collect();
    // A member may lead or take part in matters without a task of its own in the plan, so be
    // missing from the columns: the form still shows the filter in force.
    if let Some(code) = &member
        && !member_choices.iter().any(|c| c.selected)
    {
        let name = page
            .items
            .iter()
            .flat_map(|m| m.leads.iter().chain(&m.participants))
            .find(|j| &j.code == code)
            .map_or(code.as_str(), |j| j.name.as_str());
        member_choices.push(Choice::new(code, name, Some(code)));
    }
    member_choices.insert(
        0,
        Choice::new("", &chrome.t("pl-all-members"), member.as_deref()),
    );
    let area_choices = std::iter::once(Choice::new("", &chrome.t("pl-all-areas"), area.as_deref()))
        .chain(
            plan.plan
                .areas
                .iter()
                .map(|a| Choice::new(&a.key, &a.name, area.as_deref())),
        )
        .collect();
    let pager = ListPager::new(
        &chrome,
        MATTERS_LISTED,
        &format!("/plans/{key}"),
        &[("member", member.as_deref()), ("area", area.as_deref())],
        cursor.as_deref(),
        page.next_cursor.as_deref(),
        page.items.len(),
        MATTERS_PER_PAGE,
    );
    let matters = page.items;
    let target = plan_target(plan.plan.published);
    render(&PlanPage {
        chrome,
        can_draft: may(&principal, Action::Draft, &target),
        can_publish: may(&principal, Action::Publish, &target),
        plan,
        members,
        rows,
        heatmap,
        matters,
        member_choices,
        area_choices,
        pager,
    })
}

/// A task (or sub-task) as the matter page lists it, with the forms its reader may use.
pub struct TaskView {
    pub key: String,
    pub member: String,
    pub unit: String,
    pub title: String,
    pub due: String,
    /// Latest reported and verified progress: percent and, for tasks, the day it describes.
    pub reported: Option<(u8, Option<String>)>,
    pub verified: Option<(u8, Option<String>)>,
    /// Sub-tasks follow their task, marked so.
    pub parent: Option<String>,
    /// What the edit form starts from: the version it edits and both languages' texts.
    pub version: i64,
    pub unit_text: Text,
    pub title_text: Text,
    pub start: String,
    pub can_report: bool,
    pub can_edit: bool,
    pub can_change_due: bool,
    pub can_split: bool,
}

impl TaskView {
    /// Whether any form shows for this task.
    pub fn has_forms(&self) -> bool {
        self.can_report || self.can_edit || self.can_split
    }
}

/// A report as the matter page lists it, with the review steps its reader may take.
pub struct ReportView {
    pub report: ReportResponse,
    pub can_approve: bool,
    pub can_verify: bool,
}

#[derive(Template)]
#[template(path = "matter.html")]
struct MatterPage {
    chrome: Chrome,
    matter: MatterDetailResponse,
    tasks: Vec<TaskView>,
    reports: Vec<ReportView>,
    /// The plans the matter can be carried over into, as (key, title); empty when the reader
    /// may not, or it was carried over already.
    carry_plans: Vec<(String, String)>,
    can_publish: bool,
    can_raise_problem: bool,
    today: String,
}

/// `/{lang}/matters/{key}`: a matter, its tasks per member with their sub-tasks, milestones,
/// problems and reports, and the forms its reader may use.
pub async fn matter(
    State(state): State<AppState>,
    PageLang(lang): PageLang,
    principal: Principal,
    Path(KeyPath { key }): Path<KeyPath>,
    uri: Uri,
) -> Result<Response, ApiError> {
    let today = OffsetDateTime::now_utc().date();
    // One read gives the response and the stored record, whose both languages of each task's
    // texts fill the edit forms (the response has one).
    let read = matters::matter_read(
        &state,
        &principal,
        lang,
        &key,
        ProgressBasis::Reported,
        today,
    )
    .await?;
    let (mut matter, stored, access) = (read.response, read.record, read.access);
    let chrome = Chrome::new(lang, &uri, &principal)
        .with_json(format!("/api/v1/matters/{key}?lang={}", lang.code()));
    let store = state.store();
    let texts: HashMap<String, (Text, Text, Option<time::Date>)> = stored
        .state
        .tasks
        .iter()
        .chain(&stored.state.subtasks)
        .map(|t| {
            (
                t.task.key.clone(),
                (t.task.unit.clone(), t.task.title.clone(), t.task.start),
            )
        })
        .collect();
    let matter_target = matter_target(&access);
    let can_change_due = may(&principal, Action::Draft, &matter_target);
    let view = |key: &str,
                member: &crate::dto::JurisdictionRef,
                parent: Option<&str>,
                version: i64|
     -> Result<TaskView, ApiError> {
        let facts = TaskAccess {
            member: member
                .code
                .parse()
                .map_err(|e| ApiError::internal(format!("a task's member code: {e}")))?,
            matter: matter.matter.key.clone(),
            access: access.clone(),
            parent: parent.map(str::to_owned),
            plan: matter.matter.plan.clone(),
        };
        let (unit_text, title_text, start) = texts.get(key).cloned().unwrap_or_default();
        let target = task_target(&facts);
        let view = TaskView {
            key: key.to_owned(),
            member: member.name.clone(),
            unit: String::new(),
            title: String::new(),
            due: String::new(),
            reported: None,
            verified: None,
            parent: parent.map(str::to_owned),
            version,
            unit_text,
            title_text,
            start: start.map(|d| d.to_string()).unwrap_or_default(),
            can_report: may(&principal, Action::ReportProgress, &target),
            can_edit: may(&principal, Action::EditTask, &target),
            can_change_due,
            can_split: parent.is_none() && may(&principal, Action::AddSubtask, &target),
        };
        Ok(view)
    };
    let mut tasks = Vec::new();
    for t in &matter.matter.tasks {
        let mut task = view(&t.key, &t.jurisdiction, None, t.version)?;
        task.unit = t.unit.clone();
        task.title = t.title.clone();
        task.due = t.due.clone();
        task.reported = t
            .reported
            .as_ref()
            .map(|r| (r.percent, Some(r.as_of.clone())));
        task.verified = t
            .verified
            .as_ref()
            .map(|v| (v.percent, Some(v.as_of.clone())));
        tasks.push(task);
        for s in &t.subtasks {
            let version = stored
                .state
                .subtasks
                .iter()
                .find(|x| x.task.key == s.key)
                .map_or(1, |x| x.version);
            let mut sub = view(&s.key, &t.jurisdiction, Some(&t.key), version)?;
            sub.unit = s.unit.clone();
            sub.title = s.title.clone();
            sub.due = s.due_date.clone();
            sub.reported = s.reported_percent.map(|p| (p, None));
            sub.verified = s.verified_percent.map(|p| (p, None));
            tasks.push(sub);
        }
    }
    let reports = std::mem::take(&mut matter.recent_reports)
        .into_iter()
        .map(|r| {
            let member = r.jurisdiction.as_ref().and_then(|j| j.code.parse().ok());
            let (can_approve, can_verify) = match member {
                Some(member) => {
                    let target = Target::Report {
                        publication: Publication {
                            published: access.published,
                            body: access.body.as_deref(),
                        },
                        member,
                        submitted_by: r.submitted_by.as_deref(),
                    };
                    (
                        r.state == ReportState::Submitted
                            && may(&principal, Action::ApproveReport, &target),
                        matches!(r.state, ReportState::Submitted | ReportState::Approved)
                            && may(&principal, Action::VerifyReport, &target),
                    )
                }
                None => (false, false),
            };
            ReportView {
                report: r,
                can_approve,
                can_verify,
            }
        })
        .collect();
    let plan_published = store
        .plan_published(&matter.matter.plan)
        .await?
        .unwrap_or(false);
    let carry_plans = if matter.matter.carried_to.is_none()
        && may(&principal, Action::Draft, &plan_target(plan_published))
    {
        store
            .plans()
            .await?
            .into_iter()
            .filter(|p| p.key != matter.matter.plan)
            .filter(|p| may(&principal, Action::Draft, &plan_target(p.published)))
            .map(|p| (p.key.clone(), text(&p.title, lang)))
            .collect()
    } else {
        Vec::new()
    };
    render(&MatterPage {
        chrome,
        can_publish: may(&principal, Action::Publish, &matter_target),
        can_raise_problem: may(&principal, Action::RaiseProblem, &matter_target),
        matter,
        tasks,
        reports,
        carry_plans,
        today: today.to_string(),
    })
}
