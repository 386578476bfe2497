//! From plan to tasks: plans drafted and published by the office, matters created under a
//! plan's areas and split into members' tasks, sub-tasks, task edits under If-Match (two
//! officers at once), carrying a matter over, returned reports with their reason, and the
//! forms that do all of it from the pages.
//!
//! The synthetic plan `plan-a` (areas `tech`, `green`) holds `m-tech` (lead Shanghai,
//! participant Jiangsu; tasks `t-tech-sh` reported 60 / verified 40 and `t-tech-js`
//! unreported; its one milestone done).

use libtest_mimic::Failed;
use serde_json::{Value, json};
use time::macros::date;
use yrd_domain::access::{Role, Scope};
use yrd_domain::{PlanKind, Text};
use yrd_store::{NewArea, NewMatter, NewPlan, NewReport};

use crate::access::{ALL_200, DRAFT_SEEN, Row, row};
use crate::app::{Reply, TestApp};
use crate::fixtures::{JS, SH, ZJ, code};
use crate::people::{setup_author, with_session};
use crate::{ensure, ensure_eq, fail};

crate::cases!(
    plans_are_drafted_unpublished_and_published_by_the_office,
    a_matter_splits_into_one_task_per_member,
    a_task_shows_its_subtasks_reports_and_version,
    task_edits_name_their_version_and_only_the_office_moves_a_due_date,
    two_officers_editing_the_same_task_at_once,
    coordinators_split_tasks_and_splitting_changes_no_figures,
    an_unfinished_matter_carries_over_keeping_its_history,
    returned_reports_keep_their_reason_and_progress_stays_apart,
    the_forms_run_plans_and_tasks_over_http,
);

/// Only the office (region-wide) drafts plans and matters.
const OFFICE_201: [u16; 9] = [401, 403, 403, 201, 403, 403, 403, 403, 403];
const OFFICE_200: [u16; 9] = [401, 403, 403, 200, 403, 403, 403, 403, 403];
const OFFICE_303: [u16; 9] = [401, 403, 403, 303, 403, 403, 403, 403, 403];
/// A form page: visitors are sent to sign in.
const OFFICE_PAGE: [u16; 9] = [303, 403, 403, 200, 403, 403, 403, 403, 403];
/// A draft plan is seen by the office and the auditor only (it has no responsible body).
const DRAFT_PLAN_OFFICE_201: [u16; 9] = [404, 404, 404, 201, 404, 404, 404, 404, 403];
const DRAFT_PLAN_OFFICE_200: [u16; 9] = [404, 404, 404, 200, 404, 404, 404, 404, 403];

/// This part's rows of the authorization matrix.
pub const ROWS: &[Row] = &[
    // Plans: drafted unpublished, published, and given matters by the office.
    row(
        "POST",
        "/api/v1/plans",
        "/api/v1/plans",
        Some(
            r#"{"key":"mx-plan-{profile}","kind":"work_plan","title":{"zh":"工作计划"},"period":[2027,2027]}"#,
        ),
        OFFICE_201,
    ),
    row(
        "PUT",
        "/api/v1/plans/{key}/publication",
        "/api/v1/plans/{plans-draft}/publication",
        Some(r#"{"published":false}"#),
        DRAFT_PLAN_OFFICE_200,
    ),
    row(
        "PUT",
        "/api/v1/plans/{key}/publication",
        "/api/v1/plans/plan-a/publication",
        Some(r#"{"published":true}"#),
        OFFICE_200,
    ),
    row(
        "POST",
        "/api/v1/plans/{key}/matters",
        "/api/v1/plans/plan-a/matters",
        Some(
            r#"{"key":"mx-m-{profile}","title":{"zh":"事项"},"lead":["320000"],"due_date":"2026-12-31"}"#,
        ),
        OFFICE_201,
    ),
    row(
        "POST",
        "/api/v1/plans/{key}/matters",
        "/api/v1/plans/{plans-draft}/matters",
        Some(
            r#"{"key":"mx-dm-{profile}","title":{"zh":"事项"},"lead":["320000"],"due_date":"2027-12-31"}"#,
        ),
        DRAFT_PLAN_OFFICE_201,
    ),
    row(
        "POST",
        "/api/v1/matters/{key}/carry-over",
        "/api/v1/matters/{plans-carry}/carry-over",
        Some(r#"{"plan":"{plans-next}"}"#),
        OFFICE_201,
    ),
    // Tasks: read as their matter; edited by the member and the office (an edit without
    // If-Match gets as far as the precondition only for those allowed); split by the
    // member's coordinator.
    row(
        "GET",
        "/api/v1/tasks/{key}",
        "/api/v1/tasks/t-tech-js",
        None,
        ALL_200,
    ),
    row(
        "GET",
        "/api/v1/tasks/{key}",
        "/api/v1/tasks/t-draft-js",
        None,
        DRAFT_SEEN,
    ),
    row(
        "GET",
        "/api/v1/tasks/{key}/reports",
        "/api/v1/tasks/t-tech-js/reports",
        None,
        ALL_200,
    ),
    row(
        "GET",
        "/api/v1/tasks/{key}/reports",
        "/api/v1/tasks/t-draft-js/reports",
        None,
        DRAFT_SEEN,
    ),
    row(
        "PATCH",
        "/api/v1/tasks/{key}",
        "/api/v1/tasks/t-tech-js",
        Some(r#"{"unit":{"zh":"江苏省科技厅"}}"#),
        [401, 428, 428, 428, 403, 403, 403, 403, 403],
    ),
    row(
        "PATCH",
        "/api/v1/tasks/{key}",
        "/api/v1/tasks/t-draft-js",
        Some(r#"{"unit":{"zh":"江苏省科技厅"}}"#),
        [404, 404, 404, 428, 428, 403, 404, 404, 403],
    ),
    row(
        "POST",
        "/api/v1/tasks/{key}/subtasks",
        "/api/v1/tasks/t-tech-js/subtasks",
        Some(r#"{"unit":{"zh":"南京市"},"title":{"zh":"子任务"},"due_date":"2025-06-30"}"#),
        [401, 403, 201, 403, 403, 403, 403, 403, 403],
    ),
    // The forms.
    row(
        "GET",
        "/{lang}/plans/new",
        "/zh/plans/new",
        None,
        OFFICE_PAGE,
    ),
    row(
        "POST",
        "/{lang}/plans",
        "/zh/plans",
        Some(
            "csrf={csrf}&key=mx-fp-{profile}&kind=work_plan&title_zh=%E8%AE%A1%E5%88%92&period_start=2027&period_end=2027",
        ),
        OFFICE_303,
    ),
    row(
        "POST",
        "/{lang}/plans/{key}/publication",
        "/en/plans/plan-a/publication",
        Some("csrf={csrf}&published=true"),
        OFFICE_303,
    ),
    row(
        "GET",
        "/{lang}/plans/{key}/matters/new",
        "/en/plans/plan-a/matters/new?agreement=pact",
        None,
        OFFICE_PAGE,
    ),
    row(
        "POST",
        "/{lang}/plans/{key}/matters",
        "/zh/plans/plan-a/matters",
        Some(
            "csrf={csrf}&key=mx-fm-{profile}&title_zh=%E4%BA%8B%E9%A1%B9&lead=320000&due_date=2026-12-31",
        ),
        OFFICE_303,
    ),
    row(
        "POST",
        "/{lang}/matters/{key}/carry-over",
        "/zh/matters/{plans-carry-form}/carry-over",
        Some("csrf={csrf}&plan={plans-next}"),
        OFFICE_303,
    ),
    row(
        "POST",
        "/{lang}/matters/{key}/publication",
        "/en/matters/m-draft/publication",
        Some("csrf={csrf}&published=false"),
        [401, 404, 404, 303, 303, 403, 404, 404, 403],
    ),
    // A form edit that changes nothing still goes through the policy and the version check.
    row(
        "POST",
        "/{lang}/tasks/{key}",
        "/zh/tasks/{plans-task}",
        Some("csrf={csrf}&version=1&unit_zh=%E6%B1%9F%E8%8B%8F%E7%9C%81&unit_en=Jiangsu"),
        [401, 303, 303, 303, 403, 403, 403, 403, 403],
    ),
    row(
        "POST",
        "/{lang}/tasks/{key}/reports",
        "/zh/tasks/t-tech-js/reports",
        Some("csrf={csrf}&percent=30&as_of=2025-05-31&narrative_zh=%E8%BF%9B%E5%B1%95"),
        [401, 303, 303, 403, 403, 403, 403, 403, 403],
    ),
    row(
        "POST",
        "/{lang}/tasks/{key}/subtasks",
        "/en/tasks/t-tech-js/subtasks",
        Some("csrf={csrf}&unit_en=Nanjing&title_en=Sub-task&due_date=2025-09-30"),
        [401, 403, 303, 403, 403, 403, 403, 403, 403],
    ),
    row(
        "POST",
        "/{lang}/reports/{key}/approve",
        "/zh/reports/{plans-report-a}/approve",
        Some("csrf={csrf}&state=submitted"),
        [401, 403, 303, 403, 403, 403, 403, 403, 403],
    ),
    row(
        "POST",
        "/{lang}/reports/{key}/verify",
        "/zh/reports/{plans-report-b}/verify",
        Some("csrf={csrf}&state=submitted"),
        OFFICE_303,
    ),
    row(
        "POST",
        "/{lang}/reports/{key}/return",
        "/en/reports/{plans-report-c}/return",
        Some("csrf={csrf}&state=submitted&reason_en=No+evidence"),
        OFFICE_303,
    ),
];

fn work_plan(key: &str, year: i32) -> NewPlan {
    NewPlan {
        key: key.into(),
        kind: PlanKind::WorkPlan,
        title: Text::new(format!("{year}年度工作计划"), format!("{year} work plan")),
        parent: Some("plan-a".into()),
        period_start: year,
        period_end: year,
        issuer: Text::default(),
        summary: Text::default(),
        areas: vec![NewArea {
            key: "tech".into(),
            name: Text::new("科技", "Technology"),
        }],
    }
}

fn matter(key: &str, lead: &str) -> NewMatter {
    NewMatter {
        key: Some(key.into()),
        area: Some("tech".into()),
        title: Text::new("矩阵事项", "Matrix matter"),
        objective: Text::default(),
        body: None,
        leads: vec![code(lead)],
        participants: vec![],
        start: None,
        due: date!(2026 - 12 - 31),
        milestones: vec![],
        indicators: vec![],
        agreements: vec![],
        tasks: vec![],
        published: true,
    }
}

/// Adds what this part's matrix rows need: a draft plan, a published next plan, matters to
/// carry over (by the API and by the form), a task to edit, and three submitted reports.
pub async fn setup(app: &TestApp) -> Result<Vec<(&'static str, String)>, Failed> {
    let store = &app.store;
    let author = setup_author();
    let err = |what: &'static str| move |e| fail(what, e);
    store
        .create_plan(&author, &work_plan("mx-draft", 2027))
        .await
        .map_err(err("a draft plan"))?;
    store
        .create_plan(&author, &work_plan("mx-next", 2027))
        .await
        .map_err(err("the next plan"))?;
    store
        .set_plan_published(&author, "mx-next", true)
        .await
        .map_err(err("publishing the next plan"))?;
    for key in ["mx-carry", "mx-carry-form"] {
        store
            .create_matter(&author, "plan-a", &matter(key, JS))
            .await
            .map_err(err("a matter to carry over"))?;
    }
    store
        .create_matter(&author, "plan-a", &matter("mx-edit", JS))
        .await
        .map_err(err("a matter to edit"))?;
    let mut reports = Vec::new();
    for percent in [15, 25, 35] {
        let report = store
            .submit_report(
                &author,
                "t-tech-js",
                &NewReport {
                    as_of: date!(2025 - 02 - 28),
                    percent,
                    narrative: Text::new("进展", "Progress"),
                    evidence: vec![],
                },
            )
            .await
            .map_err(err("a report to review"))?;
        reports.push(report.key);
    }
    Ok(vec![
        ("{plans-draft}", "mx-draft".into()),
        ("{plans-next}", "mx-next".into()),
        ("{plans-carry}", "mx-carry".into()),
        ("{plans-carry-form}", "mx-carry-form".into()),
        ("{plans-task}", format!("mx-edit.{JS}")),
        ("{plans-report-a}", reports[0].clone()),
        ("{plans-report-b}", reports[1].clone()),
        ("{plans-report-c}", reports[2].clone()),
    ])
}

// ---------------------------------------------------------------------------------------
// Helpers.

/// A signed-in browser: its session cookie and the session's CSRF token.
#[derive(Clone, Debug, Default)]
struct Session {
    name: String,
    cookie: Option<String>,
    csrf: Option<String>,
}

impl Session {
    fn anonymous() -> Session {
        Session::default()
    }

    fn headers(&self, write: bool) -> Vec<(&'static str, String)> {
        let mut headers = Vec::new();
        if let Some(cookie) = &self.cookie {
            headers.push(("cookie", cookie.clone()));
        }
        if write && let Some(csrf) = &self.csrf {
            headers.push(("x-csrf-token", csrf.clone()));
        }
        headers
    }
}

/// Creates a user with `roles` and signs them in.
async fn user(app: &TestApp, name: &str, roles: &[(Role, Scope)]) -> Result<Session, Failed> {
    let (cookie, csrf) = with_session(app, name, roles).await?;
    Ok(Session {
        name: name.into(),
        cookie: Some(cookie),
        csrf: Some(csrf),
    })
}

fn of(member: &str) -> Scope {
    Scope::Jurisdiction(code(member))
}

async fn office(app: &TestApp) -> Result<Session, Failed> {
    user(app, "office", &[(Role::OfficeStaff, Scope::Region)]).await
}

/// Sends JSON as `who`, with extra headers.
async fn send(
    app: &TestApp,
    who: &Session,
    method: &str,
    path: &str,
    body: Option<Value>,
    extra: &[(&'static str, String)],
) -> Result<Reply, Failed> {
    let mut headers = who.headers(method != "GET");
    headers.extend(extra.iter().cloned());
    let body = body.map(|b| ("application/json", b.to_string().into_bytes()));
    app.send(method, path, &headers, body).await
}

/// Expects `status`, showing the body otherwise.
fn expect(reply: &Reply, status: u16) -> Result<Value, Failed> {
    ensure!(
        reply.status == status,
        "{}: expected {status}, got {}: {}",
        reply.path,
        reply.status,
        String::from_utf8_lossy(&reply.body)
    );
    if reply.body.is_empty() {
        return Ok(Value::Null);
    }
    reply.json().or(Ok(Value::Null))
}

/// GETs JSON as `who`.
async fn get(app: &TestApp, who: &Session, path: &str) -> Result<Value, Failed> {
    let reply = send(app, who, "GET", path, None, &[]).await?;
    expect(&reply, 200)
}

/// A record's journal entries, as an auditor reads them.
async fn history(app: &TestApp, auditor: &Session, record: &str) -> Result<Vec<Value>, Failed> {
    let page = get(
        app,
        auditor,
        &format!("/api/v1/history?record={record}&limit=500"),
    )
    .await?;
    Ok(page["items"].as_array().cloned().unwrap_or_default())
}

/// Checks that an entry names who made it and when.
fn check_entry(entry: &Value, action: &str, actor: &str) -> Result<(), Failed> {
    ensure_eq!(entry["action"], json!(action), "the action of {entry}");
    ensure_eq!(entry["actor"], json!(actor), "who: {entry}");
    ensure!(
        entry["at"]
            .as_str()
            .is_some_and(|at| at.len() >= 20 && at.contains('T')),
        "when: {entry}"
    );
    Ok(())
}

fn actions(entries: &[Value]) -> Vec<String> {
    entries
        .iter()
        .filter_map(|e| e["action"].as_str().map(str::to_owned))
        .collect()
}

async fn auditor(app: &TestApp) -> Result<Session, Failed> {
    user(app, "auditor", &[(Role::Auditor, Scope::Region)]).await
}

/// Posts a page form as `who`, the session's CSRF token added unless `csrf` is false.
async fn post_form(
    app: &TestApp,
    who: &Session,
    path: &str,
    fields: &[(&str, &str)],
    csrf: bool,
) -> Result<Reply, Failed> {
    let mut serializer = form_urlencoded::Serializer::new(String::new());
    if csrf && let Some(token) = &who.csrf {
        serializer.append_pair("csrf", token);
    }
    for (name, value) in fields {
        serializer.append_pair(name, value);
    }
    app.send(
        "POST",
        path,
        &who.headers(false),
        Some((
            "application/x-www-form-urlencoded",
            serializer.finish().into_bytes(),
        )),
    )
    .await
}

fn location(reply: &Reply) -> Result<String, Failed> {
    ensure_eq!(
        reply.status,
        303,
        "{}: {}",
        reply.path,
        String::from_utf8_lossy(&reply.body)
    );
    Ok(reply.header("location").ok_or("a Location")?.to_owned())
}

fn page_text(reply: &Reply) -> String {
    String::from_utf8_lossy(&reply.body).into_owned()
}

// ---------------------------------------------------------------------------------------
// Cases.

async fn plans_are_drafted_unpublished_and_published_by_the_office(
    app: TestApp,
) -> Result<(), Failed> {
    let office = office(&app).await?;
    let auditor = auditor(&app).await?;
    let coordinator = user(&app, "js-coordinator", &[(Role::MemberCoordinator, of(JS))]).await?;
    let anonymous = Session::anonymous();
    let body = json!({
        "key": "work-plan-2026",
        "kind": "work_plan",
        "title": {"zh": "2026年度工作计划", "en": "2026 work plan"},
        "parent": "plan-a",
        "period": [2026, 2026],
        "issuer": {"zh": "长三角区域合作办公室"},
        "areas": [
            {"key": "sci-tech", "name": {"zh": "科技创新", "en": "S&T innovation"}},
            {"key": "green", "name": {"zh": "绿色发展"}},
        ],
    });
    let refused = send(
        &app,
        &anonymous,
        "POST",
        "/api/v1/plans",
        Some(body.clone()),
        &[],
    )
    .await?;
    refused.expect_problem(401, None)?;
    let refused = send(
        &app,
        &coordinator,
        "POST",
        "/api/v1/plans",
        Some(body.clone()),
        &[],
    )
    .await?;
    refused.expect_problem(403, None)?;

    let created = send(
        &app,
        &office,
        "POST",
        "/api/v1/plans?lang=en",
        Some(body.clone()),
        &[],
    )
    .await?;
    let plan = expect(&created, 201)?;
    ensure_eq!(
        created.header("location"),
        Some("/api/v1/plans/work-plan-2026"),
        "Location"
    );
    ensure_eq!(plan["stage"], json!("draft"), "stage: {plan}");
    ensure_eq!(plan["published"], json!(false), "published");
    ensure_eq!(plan["kind"], json!("work_plan"), "kind");
    ensure_eq!(plan["parent"], json!("plan-a"), "parent");
    ensure_eq!(
        plan["period"],
        json!({"start": 2026, "end": 2026}),
        "period"
    );
    ensure_eq!(plan["title"], json!("2026 work plan"), "title");
    ensure_eq!(plan["areas"][0]["key"], json!("sci-tech"), "areas: {plan}");
    ensure_eq!(
        plan["areas"][1]["name"],
        json!("绿色发展"),
        "an area without English"
    );
    ensure_eq!(
        plan["rollup"]["total"]["reported"]["tasks"],
        json!(0),
        "no tasks yet"
    );
    // As GET shows it.
    let shown = get(&app, &office, "/api/v1/plans/work-plan-2026?lang=en").await?;
    ensure_eq!(shown, plan, "201 shows the plan as GET does");

    // A draft is the office's (and the auditor's) until published.
    for who in [&anonymous, &coordinator] {
        send(&app, who, "GET", "/api/v1/plans/work-plan-2026", None, &[])
            .await?
            .expect_problem(404, None)?;
        let list = get(&app, who, "/api/v1/plans").await?;
        ensure!(
            !list.to_string().contains("work-plan-2026"),
            "{} lists the draft",
            who.name
        );
    }
    get(&app, &auditor, "/api/v1/plans/work-plan-2026").await?;

    // Refusals name the field; nothing is written.
    let invalid = [
        (json!({"kind": "weekly"}), "kind"),
        (json!({"period": [2027, 2026]}), "period"),
        (json!({"parent": "no-such-plan"}), "parent"),
        (json!({"title": {"zh": " "}}), "title"),
        (json!({"key": "Work Plan"}), "key"),
        (
            json!({"areas": [{"key": "a", "name": {"zh": "甲"}}, {"key": "a", "name": {"zh": "乙"}}]}),
            "areas",
        ),
        (json!({"areas": [{"key": "a", "name": {}}]}), "areas"),
        (json!({"period": [2026]}), "period"),
    ];
    for (change, field) in invalid {
        let mut bad = body.clone();
        bad["key"] = json!("work-plan-bad");
        for (name, value) in change.as_object().ok_or("an object")? {
            bad[name] = value.clone();
        }
        let reply = send(
            &app,
            &office,
            "POST",
            "/api/v1/plans",
            Some(bad.clone()),
            &[],
        )
        .await?;
        reply.expect_problem(422, Some(field))?;
    }
    let plans = get(&app, &office, "/api/v1/plans").await?;
    ensure!(
        !plans.to_string().contains("work-plan-bad"),
        "a refused plan was written"
    );
    let taken = send(
        &app,
        &office,
        "POST",
        "/api/v1/plans",
        Some(body.clone()),
        &[],
    )
    .await?;
    taken.expect_problem(409, None)?;

    // Publishing: the office only; then everyone reads it.
    let publish = json!({"published": true});
    send(
        &app,
        &coordinator,
        "PUT",
        "/api/v1/plans/work-plan-2026/publication",
        Some(publish.clone()),
        &[],
    )
    .await?
    .expect_problem(404, None)?;
    send(
        &app,
        &auditor,
        "PUT",
        "/api/v1/plans/work-plan-2026/publication",
        Some(publish.clone()),
        &[],
    )
    .await?
    .expect_problem(403, None)?;
    let published = send(
        &app,
        &office,
        "PUT",
        "/api/v1/plans/work-plan-2026/publication",
        Some(publish),
        &[],
    )
    .await?;
    ensure_eq!(
        expect(&published, 200)?,
        json!({"published": true}),
        "published"
    );
    let public = get(&app, &anonymous, "/api/v1/plans/work-plan-2026").await?;
    ensure_eq!(public["published"], json!(true), "public now");
    ensure_eq!(
        public["stage"],
        json!("draft"),
        "still a draft in its lifecycle"
    );

    let entries = history(&app, &auditor, "plan/work-plan-2026").await?;
    ensure_eq!(
        actions(&entries),
        vec!["create", "publish"],
        "the plan's history"
    );
    check_entry(&entries[0], "create", "user:office")?;
    ensure_eq!(
        entries[0]["after"]["stage"],
        json!("draft"),
        "created as a draft"
    );
    ensure_eq!(
        entries[0]["after"]["areas"][0]["key"],
        json!("sci-tech"),
        "with its areas"
    );
    check_entry(&entries[1], "publish", "user:office")?;
    ensure_eq!(entries[1]["before"], json!({"published": false}), "before");
    ensure_eq!(entries[1]["after"], json!({"published": true}), "after");
    Ok(())
}

async fn a_matter_splits_into_one_task_per_member(app: TestApp) -> Result<(), Failed> {
    let office = office(&app).await?;
    let auditor = auditor(&app).await?;
    let coordinator = user(&app, "js-coordinator", &[(Role::MemberCoordinator, of(JS))]).await?;
    let anonymous = Session::anonymous();
    let body = json!({
        "area": "tech",
        "title": {"zh": "联合攻关", "en": "Joint research"},
        "objective": {"zh": "组建创新联合体"},
        "lead": [SH],
        "participants": [JS, ZJ],
        "start_date": "2025-03-01",
        "due_date": "2026-12-31",
        "milestones": [{"title": {"zh": "启动", "en": "Launch"}, "due_date": "2025-06-30"}],
        "indicators": ["rail-km"],
        "agreements": ["pact"],
        "tasks": [{"member": JS, "unit": {"zh": "江苏省科技厅", "en": "Jiangsu S&T Department"}, "due_date": "2026-06-30"}],
    });
    let path = "/api/v1/plans/plan-a/matters";
    send(&app, &anonymous, "POST", path, Some(body.clone()), &[])
        .await?
        .expect_problem(401, None)?;
    send(&app, &coordinator, "POST", path, Some(body.clone()), &[])
        .await?
        .expect_problem(403, None)?;
    send(
        &app,
        &office,
        "POST",
        "/api/v1/plans/no-such-plan/matters",
        Some(body.clone()),
        &[],
    )
    .await?
    .expect_problem(404, None)?;

    // Each refusal names its field and writes nothing.
    let invalid = [
        (json!({"lead": []}), "lead"),
        (json!({"lead": [SH, SH]}), "lead"),
        (json!({"participants": [SH]}), "participants"),
        (json!({"participants": [JS, JS]}), "participants"),
        (
            json!({"participants": ["370000"], "tasks": []}),
            "participants",
        ),
        (json!({"lead": ["31"]}), "lead"),
        (json!({"area": "green-and-blue"}), "area"),
        (json!({"indicators": ["no-such-indicator"]}), "indicators"),
        (json!({"agreements": ["no-such-agreement"]}), "agreements"),
        (json!({"tasks": [{"member": "340000"}]}), "tasks"),
        (
            json!({"tasks": [{"member": JS, "due_date": "2027-01-31"}]}),
            "tasks",
        ),
        (json!({"due_date": "2026-02-30"}), "due_date"),
        (json!({"start_date": "2027-01-01"}), "due_date"),
        (
            json!({"milestones": [{"title": {"zh": "启动"}, "due_date": "soon"}]}),
            "milestones",
        ),
        (json!({"body": "no-such-body"}), "body"),
        (json!({"title": {}}), "title"),
    ];
    for (change, field) in invalid {
        let mut bad = body.clone();
        for (name, value) in change.as_object().ok_or("an object")? {
            bad[name] = value.clone();
        }
        send(&app, &office, "POST", path, Some(bad), &[])
            .await?
            .expect_problem(422, Some(field))?;
    }
    let mut taken = body.clone();
    taken["key"] = json!("m-tech");
    send(&app, &office, "POST", path, Some(taken), &[])
        .await?
        .expect_problem(409, None)?;
    let all = app
        .all_pages("/api/v1/matters?plan=plan-a&limit=50")
        .await?;
    ensure_eq!(
        all.len(),
        5,
        "nothing half-written: the fixture's five matters"
    );

    let created = send(
        &app,
        &office,
        "POST",
        "/api/v1/plans/plan-a/matters",
        Some(body.clone()),
        &[],
    )
    .await?;
    let matter = expect(&created, 201)?;
    // The plan's sixth matter.
    let key = "plan-a.6";
    ensure_eq!(matter["key"], json!(key), "the default key: {matter}");
    ensure_eq!(
        created.header("location"),
        Some("/api/v1/matters/plan-a.6"),
        "Location"
    );
    ensure_eq!(matter["published"], json!(false), "a draft by default");
    ensure_eq!(matter["area"]["key"], json!("tech"), "area");
    ensure_eq!(matter["leads"][0]["code"], json!(SH), "lead");
    ensure_eq!(
        matter["participants"].as_array().map(Vec::len),
        Some(2),
        "participants"
    );
    ensure_eq!(
        matter["indicators"][0]["key"],
        json!("rail-km"),
        "indicators"
    );
    ensure_eq!(matter["agreements"][0]["key"], json!("pact"), "agreements");
    ensure_eq!(
        matter["milestones"][0]["due"],
        json!("2025-06-30"),
        "milestones"
    );
    ensure_eq!(matter["carried_from"], Value::Null, "not carried");
    let tasks = matter["tasks"].as_array().ok_or("tasks")?;
    let keys: Vec<&str> = tasks.iter().filter_map(|t| t["key"].as_str()).collect();
    ensure_eq!(
        keys,
        vec!["plan-a.6.310000", "plan-a.6.320000", "plan-a.6.330000"],
        "one task per member"
    );
    let task = |member: &str| tasks.iter().find(|t| t["jurisdiction"]["code"] == member);
    let js = task(JS).ok_or("Jiangsu's task")?;
    ensure_eq!(js["unit"], json!("江苏省科技厅"), "the unit given");
    ensure_eq!(js["due"], json!("2026-06-30"), "its own due date");
    ensure_eq!(js["start"], json!("2025-03-01"), "the matter's start");
    ensure_eq!(js["version"], json!(1), "version");
    let zj = task(ZJ).ok_or("Zhejiang's task")?;
    ensure_eq!(zj["unit"], json!("浙江省"), "the member's name by default");
    ensure_eq!(
        zj["title"],
        json!("联合攻关（浙江省）"),
        "the default title"
    );
    ensure_eq!(zj["due"], json!("2026-12-31"), "the matter's due date");
    let en = get(
        &app,
        &office,
        &format!("/api/v1/tasks/{key}.330000?lang=en"),
    )
    .await?;
    ensure_eq!(
        en["title"],
        json!("Joint research (Zhejiang)"),
        "in English"
    );
    ensure_eq!(en["unit"], json!("Zhejiang"), "unit in English");

    // A draft until published: hidden from others, left out of their roll-up.
    send(
        &app,
        &anonymous,
        "GET",
        &format!("/api/v1/matters/{key}"),
        None,
        &[],
    )
    .await?
    .expect_problem(404, None)?;
    let public = get(&app, &anonymous, "/api/v1/plans/plan-a").await?;
    let office_view = get(&app, &office, "/api/v1/plans/plan-a").await?;
    ensure_eq!(
        office_view["rollup"]["total"]["reported"]["tasks"].as_u64(),
        public["rollup"]["total"]["reported"]["tasks"]
            .as_u64()
            .map(|n| n + 3),
        "the office's roll-up counts the draft's three tasks"
    );

    let entries = history(&app, &auditor, &format!("matter/{key}")).await?;
    ensure_eq!(actions(&entries), vec!["create"], "the matter's history");
    check_entry(&entries[0], "create", "user:office")?;
    ensure_eq!(
        entries[0]["after"]["participants"],
        json!([JS, ZJ]),
        "members journalled"
    );
    ensure_eq!(
        entries[0]["after"]["agreements"],
        json!(["pact"]),
        "agreements journalled"
    );
    let entries = history(&app, &auditor, &format!("task/{key}.{JS}")).await?;
    check_entry(&entries[0], "create", "user:office")?;
    ensure_eq!(
        entries[0]["after"]["unit"]["zh"],
        json!("江苏省科技厅"),
        "the task's unit"
    );

    // A key of one's own, published at once.
    let mut own = body.clone();
    own["key"] = json!("joint-research");
    own["published"] = json!(true);
    own["tasks"] = json!([]);
    expect(
        &send(&app, &office, "POST", path, Some(own), &[]).await?,
        201,
    )?;
    let public = get(&app, &anonymous, "/api/v1/matters/joint-research").await?;
    ensure_eq!(
        public["tasks"].as_array().map(Vec::len),
        Some(3),
        "published with its tasks"
    );
    Ok(())
}

async fn a_task_shows_its_subtasks_reports_and_version(app: TestApp) -> Result<(), Failed> {
    let anonymous = Session::anonymous();
    let reply = send(
        &app,
        &anonymous,
        "GET",
        "/api/v1/tasks/t-tech-sh?lang=en",
        None,
        &[],
    )
    .await?;
    let task = expect(&reply, 200)?;
    let tag = reply.header("etag").ok_or("an ETag")?;
    ensure!(tag.starts_with("\"v1.en."), "a versioned tag: {tag}");
    ensure_eq!(task["key"], json!("t-tech-sh"), "key");
    ensure_eq!(
        task["matter"],
        json!({"key": "m-tech", "title": "Matter m-tech"}),
        "matter"
    );
    ensure_eq!(
        task["member"],
        json!({"code": SH, "name": "Shanghai"}),
        "member"
    );
    ensure_eq!(
        task["unit"],
        json!("Development and Reform Commission"),
        "unit"
    );
    ensure_eq!(task["start_date"], json!("2024-01-01"), "start");
    ensure_eq!(task["due_date"], json!("2025-12-31"), "due");
    ensure_eq!(task["parent"], Value::Null, "a member's share");
    ensure_eq!(task["subtasks"], json!([]), "no sub-tasks");
    ensure_eq!(task["version"], json!(1), "version");
    // Reported and verified progress apart.
    ensure_eq!(task["reported_percent"], json!(60), "reported");
    ensure_eq!(
        task["reported_as_of"],
        json!("2024-12-31"),
        "reported as of"
    );
    ensure_eq!(task["verified_percent"], json!(40), "verified");
    ensure_eq!(
        task["verified_as_of"],
        json!("2024-06-30"),
        "verified as of"
    );
    ensure_eq!(
        task["reports"],
        json!([
            {"key": "r-1", "as_of": "2024-06-30", "percent": 40, "state": "verified", "return_reason": null},
            {"key": "r-2", "as_of": "2024-12-31", "percent": 60, "state": "submitted", "return_reason": null},
        ]),
        "its reports, oldest first"
    );
    ensure_eq!(task["reports_total"], json!(2), "all counted");
    // The whole history, a page at a time, in the record's order.
    let first = send(
        &app,
        &anonymous,
        "GET",
        "/api/v1/tasks/t-tech-sh/reports?lang=en&limit=1",
        None,
        &[],
    )
    .await?;
    let first = expect(&first, 200)?;
    ensure_eq!(
        first["items"],
        json!([{"key": "r-1", "as_of": "2024-06-30", "percent": 40, "state": "verified", "return_reason": null}]),
        "the first page"
    );
    let cursor = first["next_cursor"].as_str().ok_or("a next page")?;
    let second = send(
        &app,
        &anonymous,
        "GET",
        &format!("/api/v1/tasks/t-tech-sh/reports?lang=en&limit=1&cursor={cursor}"),
        None,
        &[],
    )
    .await?;
    let second = expect(&second, 200)?;
    ensure_eq!(
        second["items"],
        json!([{"key": "r-2", "as_of": "2024-12-31", "percent": 60, "state": "submitted", "return_reason": null}]),
        "the second page"
    );
    ensure_eq!(second["next_cursor"], Value::Null, "the last page");
    send(
        &app,
        &anonymous,
        "GET",
        "/api/v1/tasks/t-tech-sh/reports?cursor=meetings.00",
        None,
        &[],
    )
    .await?
    .expect_problem(400, Some("cursor"))?;
    send(
        &app,
        &anonymous,
        "GET",
        "/api/v1/tasks/no-such-task/reports",
        None,
        &[],
    )
    .await?
    .expect_problem(404, None)?;
    // Revalidation against the tag.
    let again = app
        .get_with("/api/v1/tasks/t-tech-sh?lang=en", &[("If-None-Match", tag)])
        .await?;
    ensure_eq!(again.status, 304, "not modified");
    send(
        &app,
        &anonymous,
        "GET",
        "/api/v1/tasks/no-such-task",
        None,
        &[],
    )
    .await?
    .expect_problem(404, None)?;
    Ok(())
}

/// The task's current ETag.
async fn etag(app: &TestApp, who: &Session, task: &str) -> Result<String, Failed> {
    let reply = send(app, who, "GET", &format!("/api/v1/tasks/{task}"), None, &[]).await?;
    expect(&reply, 200)?;
    Ok(reply.header("etag").ok_or("an ETag")?.to_owned())
}

async fn task_edits_name_their_version_and_only_the_office_moves_a_due_date(
    app: TestApp,
) -> Result<(), Failed> {
    let officer = user(&app, "js-officer", &[(Role::MemberOfficer, of(JS))]).await?;
    let zj_officer = user(&app, "zj-officer", &[(Role::MemberOfficer, of(ZJ))]).await?;
    let office = office(&app).await?;
    let auditor = auditor(&app).await?;
    let path = "/api/v1/tasks/t-tech-js";
    let unit = json!({"unit": {"zh": "江苏省科技厅", "en": "Jiangsu S&T Department"}});

    send(&app, &zj_officer, "PATCH", path, Some(unit.clone()), &[])
        .await?
        .expect_problem(403, None)?;
    send(&app, &officer, "PATCH", path, Some(unit.clone()), &[])
        .await?
        .expect_problem(428, None)?;
    send(
        &app,
        &officer,
        "PATCH",
        path,
        Some(unit.clone()),
        &[("if-match", "\"whatever\"".into())],
    )
    .await?
    .expect_problem(422, Some("If-Match"))?;
    let tag = etag(&app, &officer, "t-tech-js").await?;
    let stale = tag.replacen("\"v1.", "\"v0.", 1);
    send(
        &app,
        &officer,
        "PATCH",
        path,
        Some(unit.clone()),
        &[("if-match", stale)],
    )
    .await?
    .expect_problem(409, None)?;

    let reply = send(
        &app,
        &officer,
        "PATCH",
        path,
        Some(unit.clone()),
        &[("if-match", tag.clone())],
    )
    .await?;
    let task = expect(&reply, 200)?;
    ensure_eq!(task["unit"], json!("江苏省科技厅"), "the new unit");
    ensure_eq!(task["version"], json!(2), "a new version");
    let new_tag = reply.header("etag").ok_or("a new ETag")?.to_owned();
    ensure!(new_tag.starts_with("\"v2."), "{new_tag}");
    // The old tag is stale now.
    send(
        &app,
        &officer,
        "PATCH",
        path,
        Some(json!({"title": {"zh": "再改"}})),
        &[("if-match", tag)],
    )
    .await?
    .expect_problem(409, None)?;

    // Only the office moves a due date; the same date is no change.
    let moved = json!({"due_date": "2026-03-31"});
    let refused = send(
        &app,
        &officer,
        "PATCH",
        path,
        Some(moved.clone()),
        &[("if-match", new_tag.clone())],
    )
    .await?;
    let problem = refused.expect_problem(403, None)?;
    ensure_eq!(
        problem["detail"],
        json!("only the office changes a due date"),
        "the reason"
    );
    let same = json!({"due_date": "2025-12-31", "start_date": null});
    let cleared = expect(
        &send(
            &app,
            &officer,
            "PATCH",
            path,
            Some(same),
            &[("if-match", new_tag.clone())],
        )
        .await?,
        200,
    )?;
    ensure_eq!(cleared["start_date"], Value::Null, "the start date cleared");
    ensure_eq!(
        cleared["due_date"],
        json!("2025-12-31"),
        "the due date kept"
    );
    let tag = etag(&app, &office, "t-tech-js").await?;
    for (bad, field) in [
        (json!({"unit": {"zh": ""}}), "unit"),
        (json!({"due_date": "2026-02-30"}), "due_date"),
        (json!({"start_date": "soon"}), "start_date"),
        (json!({"start_date": "2027-01-01"}), "start_date"),
        // The matter is due at the end of 2026: its tasks are too.
        (json!({"due_date": "2027-03-31"}), "due_date"),
        (json!({"colour": "red"}), "colour"),
    ] {
        send(
            &app,
            &office,
            "PATCH",
            path,
            Some(bad),
            &[("if-match", tag.clone())],
        )
        .await?
        .expect_problem(422, Some(field))?;
    }
    let task = expect(
        &send(
            &app,
            &office,
            "PATCH",
            path,
            Some(moved),
            &[("if-match", tag)],
        )
        .await?,
        200,
    )?;
    ensure_eq!(task["due_date"], json!("2026-03-31"), "moved by the office");
    ensure_eq!(task["version"], json!(4), "each change a version");

    let entries = history(&app, &auditor, "task/t-tech-js").await?;
    let edits: Vec<&Value> = entries.iter().filter(|e| e["action"] == "edit").collect();
    ensure_eq!(edits.len(), 3, "three edits: {entries:?}");
    check_entry(edits[0], "edit", "user:js-officer")?;
    ensure_eq!(
        edits[0]["before"],
        json!({"unit": {"zh": "发展改革委", "en": "Development and Reform Commission"}}),
        "only the changed field before"
    );
    ensure_eq!(
        edits[0]["after"],
        json!({"unit": {"zh": "江苏省科技厅", "en": "Jiangsu S&T Department"}}),
        "and after"
    );
    ensure_eq!(
        edits[1]["after"],
        json!({"start_date": null}),
        "the cleared start"
    );
    check_entry(edits[2], "edit", "user:office")?;
    ensure_eq!(
        edits[2]["before"],
        json!({"due_date": "2025-12-31"}),
        "due before"
    );
    ensure_eq!(
        edits[2]["after"],
        json!({"due_date": "2026-03-31"}),
        "due after"
    );
    Ok(())
}

async fn two_officers_editing_the_same_task_at_once(app: TestApp) -> Result<(), Failed> {
    let a = user(&app, "js-officer-a", &[(Role::MemberOfficer, of(JS))]).await?;
    let b = user(&app, "js-officer-b", &[(Role::MemberOfficer, of(JS))]).await?;
    let auditor = auditor(&app).await?;
    // Both read the task in the same version.
    let tag_a = etag(&app, &a, "t-tech-js").await?;
    let tag_b = etag(&app, &b, "t-tech-js").await?;
    ensure_eq!(tag_a, tag_b, "both read the same version");
    let edit = |who: &Session, unit: &str, title: &str| {
        let body = json!({"unit": {"zh": unit}, "title": {"zh": title}});
        let headers = [("if-match", tag_a.clone())];
        let app = &app;
        let who = who.clone();
        async move {
            send(
                app,
                &who,
                "PATCH",
                "/api/v1/tasks/t-tech-js",
                Some(body),
                &headers,
            )
            .await
        }
    };
    let (first, second) = tokio::join!(
        edit(&a, "南京市科技局", "甲的标题"),
        edit(&b, "苏州市科技局", "乙的标题"),
    );
    let (first, second) = (first?, second?);
    let statuses = [first.status, second.status];
    ensure!(
        statuses.contains(&200) && statuses.contains(&409),
        "exactly one succeeds and the other conflicts: {statuses:?}"
    );
    let (winner, unit, title, loser) = if first.status == 200 {
        ("js-officer-a", "南京市科技局", "甲的标题", &second)
    } else {
        ("js-officer-b", "苏州市科技局", "乙的标题", &first)
    };
    let problem = loser.expect_problem(409, None)?;
    ensure!(
        problem["detail"]
            .as_str()
            .is_some_and(|d| d.contains("changed since you read it")),
        "{problem}"
    );
    // The task holds everything the winner wrote.
    let task = get(&app, &a, "/api/v1/tasks/t-tech-js").await?;
    ensure_eq!(task["unit"], json!(unit), "the winner's unit");
    ensure_eq!(task["title"], json!(title), "the winner's title");
    ensure_eq!(task["version"], json!(2), "one change");
    let entries = history(&app, &auditor, "task/t-tech-js").await?;
    let edits: Vec<&Value> = entries.iter().filter(|e| e["action"] == "edit").collect();
    ensure_eq!(edits.len(), 1, "exactly one edit: {entries:?}");
    check_entry(edits[0], "edit", &format!("user:{winner}"))?;
    ensure_eq!(
        edits[0]["after"]["unit"]["zh"],
        json!(unit),
        "the winner's edit"
    );
    // The loser reloads and edits on top of the winner's version.
    let tag = etag(&app, &a, "t-tech-js").await?;
    let retried = send(
        &app,
        &b,
        "PATCH",
        "/api/v1/tasks/t-tech-js",
        Some(json!({"title": {"zh": "合并后的标题"}})),
        &[("if-match", tag)],
    )
    .await?;
    let task = expect(&retried, 200)?;
    ensure_eq!(task["unit"], json!(unit), "the winner's unit stays");
    ensure_eq!(task["title"], json!("合并后的标题"), "the retry");
    Ok(())
}

async fn coordinators_split_tasks_and_splitting_changes_no_figures(
    app: TestApp,
) -> Result<(), Failed> {
    let officer = user(&app, "js-officer", &[(Role::MemberOfficer, of(JS))]).await?;
    let coordinator = user(&app, "js-coordinator", &[(Role::MemberCoordinator, of(JS))]).await?;
    let office = office(&app).await?;
    let auditor = auditor(&app).await?;
    let before_plan = get(&app, &office, "/api/v1/plans/plan-a").await?;
    let before_matter = get(&app, &office, "/api/v1/matters/m-tech").await?;
    let path = "/api/v1/tasks/t-tech-js/subtasks";
    let body = json!({
        "unit": {"zh": "南京市发展改革委", "en": "Nanjing DRC"},
        "title": {"zh": "南京段", "en": "Nanjing section"},
        "due_date": "2025-09-30",
    });
    for who in [&officer, &office] {
        send(&app, who, "POST", path, Some(body.clone()), &[])
            .await?
            .expect_problem(403, None)?;
    }
    let mut late = body.clone();
    late["due_date"] = json!("2026-01-01");
    send(&app, &coordinator, "POST", path, Some(late), &[])
        .await?
        .expect_problem(422, Some("due_date"))?;
    let mut untitled = body.clone();
    untitled["title"] = json!({});
    send(&app, &coordinator, "POST", path, Some(untitled), &[])
        .await?
        .expect_problem(422, Some("title"))?;
    let created = send(&app, &coordinator, "POST", path, Some(body.clone()), &[]).await?;
    let sub = expect(&created, 201)?;
    ensure_eq!(
        sub["key"],
        json!("t-tech-js.1"),
        "keyed under its task: {sub}"
    );
    ensure_eq!(
        created.header("location"),
        Some("/api/v1/tasks/t-tech-js.1"),
        "Location"
    );
    ensure_eq!(sub["parent"], json!("t-tech-js"), "parent");
    ensure_eq!(sub["member"]["code"], json!(JS), "the task's member");
    ensure_eq!(sub["due_date"], json!("2025-09-30"), "due");
    // Not split further.
    send(
        &app,
        &coordinator,
        "POST",
        "/api/v1/tasks/t-tech-js.1/subtasks",
        Some(body.clone()),
        &[],
    )
    .await?
    .expect_problem(422, Some("key"))?;
    // Another member's task is not the coordinator's to split.
    send(
        &app,
        &coordinator,
        "POST",
        "/api/v1/tasks/t-tech-sh/subtasks",
        Some(body.clone()),
        &[],
    )
    .await?
    .expect_problem(403, None)?;

    let parent = get(&app, &officer, "/api/v1/tasks/t-tech-js").await?;
    ensure_eq!(
        parent["subtasks"],
        json!([{"key": "t-tech-js.1", "unit": "南京市发展改革委", "title": "南京段",
                "due_date": "2025-09-30", "reported_percent": null, "verified_percent": null}]),
        "the parent lists it"
    );
    ensure_eq!(
        parent["version"],
        json!(1),
        "adding a sub-task is no edit of the task"
    );
    // The officer reports the sub-task done: its own figure, none of the member's.
    let report = json!({"as_of": "2025-03-31", "percent": 100, "narrative": {"zh": "完成"}});
    expect(
        &send(
            &app,
            &officer,
            "POST",
            "/api/v1/tasks/t-tech-js.1/reports",
            Some(report),
            &[],
        )
        .await?,
        201,
    )?;
    let matter = get(&app, &office, "/api/v1/matters/m-tech").await?;
    let js = matter["tasks"]
        .as_array()
        .and_then(|t| t.iter().find(|t| t["key"] == "t-tech-js"))
        .ok_or("Jiangsu's task")?;
    ensure_eq!(
        js["subtasks"][0]["reported_percent"],
        json!(100),
        "shown under its task"
    );
    ensure_eq!(
        js["reported"],
        Value::Null,
        "the member's task is still unreported"
    );
    ensure_eq!(
        matter["tasks"].as_array().map(Vec::len),
        before_matter["tasks"].as_array().map(Vec::len),
        "the matter still has its two shares"
    );
    ensure_eq!(
        matter["status"],
        before_matter["status"],
        "the matter's status"
    );
    let after_plan = get(&app, &office, "/api/v1/plans/plan-a").await?;
    ensure_eq!(
        after_plan["rollup"],
        before_plan["rollup"],
        "the plan's roll-up is unchanged"
    );

    // The task cannot be moved before its sub-task.
    let tag = etag(&app, &office, "t-tech-js").await?;
    send(
        &app,
        &office,
        "PATCH",
        "/api/v1/tasks/t-tech-js",
        Some(json!({"due_date": "2025-08-31"})),
        &[("if-match", tag)],
    )
    .await?
    .expect_problem(422, Some("due_date"))?;
    let entries = history(&app, &auditor, "task/t-tech-js.1").await?;
    check_entry(&entries[0], "create", "user:js-coordinator")?;
    ensure_eq!(
        entries[0]["after"]["parent"],
        json!("t-tech-js"),
        "journalled with its parent"
    );
    let entries = history(&app, &auditor, "task/t-tech-js").await?;
    let added = entries
        .iter()
        .find(|e| e["action"] == "add_subtask")
        .ok_or("add_subtask")?;
    check_entry(added, "add_subtask", "user:js-coordinator")?;
    ensure_eq!(
        added["after"],
        json!({"subtask": "t-tech-js.1"}),
        "names the sub-task"
    );
    Ok(())
}

async fn an_unfinished_matter_carries_over_keeping_its_history(app: TestApp) -> Result<(), Failed> {
    let office = office(&app).await?;
    let auditor = auditor(&app).await?;
    let coordinator = user(&app, "js-coordinator", &[(Role::MemberCoordinator, of(JS))]).await?;
    let sh_officer = user(&app, "sh-officer", &[(Role::MemberOfficer, of(SH))]).await?;
    let mut plan = json!({
        "key": "work-plan-2027", "kind": "work_plan", "title": {"zh": "2027年度工作计划"},
        "parent": "plan-a", "period": [2027, 2027],
        "areas": [{"key": "tech", "name": {"zh": "科技"}}],
    });
    expect(
        &send(
            &app,
            &office,
            "POST",
            "/api/v1/plans",
            Some(plan.clone()),
            &[],
        )
        .await?,
        201,
    )?;
    plan["key"] = json!("work-plan-2028");
    plan["areas"] = json!([]);
    expect(
        &send(&app, &office, "POST", "/api/v1/plans", Some(plan), &[]).await?,
        201,
    )?;
    // Shanghai's share is done and verified; Jiangsu's is not.
    let report = json!({"as_of": "2025-06-30", "percent": 100, "narrative": {"zh": "已完成"}});
    let submitted = expect(
        &send(
            &app,
            &sh_officer,
            "POST",
            "/api/v1/tasks/t-tech-sh/reports",
            Some(report),
            &[],
        )
        .await?,
        201,
    )?;
    let report_key = submitted["key"].as_str().ok_or("a report key")?.to_owned();
    expect(
        &send(
            &app,
            &office,
            "POST",
            &format!("/api/v1/reports/{report_key}/verify"),
            None,
            &[],
        )
        .await?,
        200,
    )?;

    let path = "/api/v1/matters/m-tech/carry-over";
    let body = json!({"plan": "work-plan-2027"});
    send(&app, &coordinator, "POST", path, Some(body.clone()), &[])
        .await?
        .expect_problem(403, None)?;
    send(
        &app,
        &office,
        "POST",
        path,
        Some(json!({"plan": "plan-a"})),
        &[],
    )
    .await?
    .expect_problem(422, Some("plan"))?;
    send(
        &app,
        &office,
        "POST",
        path,
        Some(json!({"plan": "no-such-plan"})),
        &[],
    )
    .await?
    .expect_problem(422, Some("plan"))?;
    send(
        &app,
        &office,
        "POST",
        path,
        Some(json!({"plan": "work-plan-2027", "due_date": "someday"})),
        &[],
    )
    .await?
    .expect_problem(422, Some("due_date"))?;
    let created = send(&app, &office, "POST", path, Some(body.clone()), &[]).await?;
    let new = expect(&created, 201)?;
    let key = new["key"].as_str().ok_or("a key")?.to_owned();
    ensure_eq!(key, "work-plan-2027.1", "the next plan's first matter");
    ensure_eq!(
        created.header("location"),
        Some("/api/v1/matters/work-plan-2027.1"),
        "Location"
    );
    ensure_eq!(new["plan"], json!("work-plan-2027"), "in the next plan");
    ensure_eq!(new["carried_from"], json!("m-tech"), "carried_from");
    ensure_eq!(
        new["area"]["key"],
        json!("tech"),
        "the same area, which the next plan has"
    );
    ensure_eq!(new["title"], json!("事项m-tech"), "the same title");
    ensure_eq!(new["leads"][0]["code"], json!(SH), "the same lead");
    ensure_eq!(
        new["participants"][0]["code"],
        json!(JS),
        "the same participant"
    );
    ensure_eq!(
        new["due"],
        json!("2027-12-31"),
        "due at the end of the next plan"
    );
    ensure_eq!(
        new["milestones"],
        json!([]),
        "the done milestone stays behind"
    );
    ensure_eq!(new["indicators"][0]["key"], json!("rail-km"), "indicators");
    ensure_eq!(new["agreements"][0]["key"], json!("pact"), "agreements");
    ensure_eq!(new["published"], json!(false), "a draft of the next plan");
    let tasks = new["tasks"].as_array().ok_or("tasks")?;
    ensure_eq!(tasks.len(), 1, "only the unfinished share: {tasks:?}");
    ensure_eq!(
        tasks[0]["key"],
        json!("work-plan-2027.1.320000"),
        "Jiangsu's task"
    );
    ensure_eq!(tasks[0]["unit"], json!("发展改革委"), "with its unit");
    ensure_eq!(tasks[0]["reported"], Value::Null, "starting afresh");

    let old = get(&app, &office, "/api/v1/matters/m-tech").await?;
    ensure_eq!(old["carried_to"], json!(key), "the old names the new");
    ensure!(
        old["recent_reports"]
            .as_array()
            .is_some_and(|r| r.iter().any(|r| r["key"] == "r-1")),
        "the old keeps its reports"
    );
    // Once only.
    for plan in ["work-plan-2027", "work-plan-2028"] {
        send(
            &app,
            &office,
            "POST",
            path,
            Some(json!({"plan": plan})),
            &[],
        )
        .await?
        .expect_problem(409, None)?;
    }
    // An area the next plan lacks is left out; a due date may be given.
    let carried = send(
        &app,
        &office,
        "POST",
        "/api/v1/matters/m-new/carry-over",
        Some(json!({"plan": "work-plan-2028", "due_date": "2028-06-30"})),
        &[],
    )
    .await?;
    let other = expect(&carried, 201)?;
    ensure_eq!(other["area"], Value::Null, "no such area in the next plan");
    ensure_eq!(other["due"], json!("2028-06-30"), "the due date given");
    ensure_eq!(
        other["tasks"][0]["due"],
        json!("2028-06-30"),
        "its tasks' too"
    );

    let entries = history(&app, &auditor, &format!("matter/{key}")).await?;
    ensure_eq!(
        entries.first().map(|e| e["action"].clone()),
        Some(json!("carry_over")),
        "{entries:?}"
    );
    check_entry(&entries[0], "carry_over", "user:office")?;
    ensure_eq!(
        entries[0]["after"]["carried_from"],
        json!("m-tech"),
        "names the old"
    );
    let entries = history(&app, &auditor, "matter/m-tech").await?;
    ensure_eq!(
        actions(&entries),
        vec!["create", "carried_over"],
        "the old keeps its history and notes where it went"
    );
    check_entry(&entries[1], "carried_over", "user:office")?;
    ensure_eq!(
        entries[1]["after"]["carried_to"],
        json!(key),
        "names the new"
    );
    Ok(())
}

async fn returned_reports_keep_their_reason_and_progress_stays_apart(
    app: TestApp,
) -> Result<(), Failed> {
    let officer = user(&app, "js-officer", &[(Role::MemberOfficer, of(JS))]).await?;
    let coordinator = user(&app, "js-coordinator", &[(Role::MemberCoordinator, of(JS))]).await?;
    let office = office(&app).await?;
    let submit = |percent: u8, as_of: &str| {
        let body = json!({"as_of": as_of, "percent": percent, "narrative": {"zh": "进展"}});
        let app = &app;
        let officer = officer.clone();
        async move {
            let reply = send(
                app,
                &officer,
                "POST",
                "/api/v1/tasks/t-tech-js/reports",
                Some(body),
                &[],
            )
            .await?;
            let report = expect(&reply, 201)?;
            Ok::<String, Failed>(report["key"].as_str().ok_or("a key")?.to_owned())
        }
    };
    // Returned: the reason stays with the report, and it counts on neither basis.
    let returned = submit(80, "2025-03-31").await?;
    send(
        &app,
        &office,
        "POST",
        &format!("/api/v1/reports/{returned}/return"),
        Some(json!({"reason": {}})),
        &[],
    )
    .await?
    .expect_problem(422, Some("reason"))?;
    expect(
        &send(
            &app,
            &office,
            "POST",
            &format!("/api/v1/reports/{returned}/return"),
            Some(json!({"reason": {"zh": "缺少佐证材料", "en": "No evidence"}})),
            &[],
        )
        .await?,
        200,
    )?;
    let report = get(
        &app,
        &officer,
        &format!("/api/v1/reports/{returned}?lang=en"),
    )
    .await?;
    ensure_eq!(report["state"], json!("returned"), "returned");
    ensure_eq!(
        report["return_reason"],
        json!("No evidence"),
        "with its reason"
    );
    let task = get(&app, &officer, "/api/v1/tasks/t-tech-js").await?;
    ensure_eq!(
        task["reports"][0]["return_reason"],
        json!("缺少佐证材料"),
        "on the task"
    );
    ensure_eq!(
        task["reported_percent"],
        Value::Null,
        "a returned report does not count"
    );
    let matter = get(&app, &officer, "/api/v1/matters/m-tech").await?;
    let listed = matter["recent_reports"]
        .as_array()
        .and_then(|r| r.iter().find(|r| r["key"] == returned.as_str()))
        .ok_or("listed on the matter")?;
    ensure_eq!(
        listed["return_reason"],
        json!("缺少佐证材料"),
        "on the matter"
    );
    ensure_eq!(
        listed["submitted_by"],
        json!("js-officer"),
        "who submitted it"
    );

    // Approved then verified at 50, then 70 reported: the two bases part.
    let verified = submit(50, "2025-04-30").await?;
    expect(
        &send(
            &app,
            &coordinator,
            "POST",
            &format!("/api/v1/reports/{verified}/approve"),
            None,
            &[],
        )
        .await?,
        200,
    )?;
    expect(
        &send(
            &app,
            &office,
            "POST",
            &format!("/api/v1/reports/{verified}/verify"),
            None,
            &[],
        )
        .await?,
        200,
    )?;
    submit(70, "2025-05-31").await?;
    let task = get(&app, &officer, "/api/v1/tasks/t-tech-js").await?;
    ensure_eq!(
        (
            task["reported_percent"].clone(),
            task["verified_percent"].clone()
        ),
        (json!(70), json!(50)),
        "reported and verified apart"
    );
    let matter = get(&app, &officer, "/api/v1/matters/m-tech?as_of=2025-06-30").await?;
    let js = matter["tasks"]
        .as_array()
        .and_then(|t| t.iter().find(|t| t["key"] == "t-tech-js"))
        .ok_or("Jiangsu's task")?;
    ensure_eq!(
        js["reported"]["percent"],
        json!(70),
        "the matter shows reported"
    );
    ensure_eq!(js["verified"]["percent"], json!(50), "and verified apart");
    let plan = get(&app, &officer, "/api/v1/plans/plan-a").await?;
    let cell = plan["rollup"]["member_totals"]
        .as_array()
        .and_then(|c| c.iter().find(|c| c["jurisdiction"]["code"] == JS))
        .ok_or("Jiangsu's column")?;
    // Jiangsu's tasks: t-tech-js (70 / 50) and t-late-js (unreported).
    ensure_eq!(
        cell["reported"]["mean_percent"],
        json!(70.0),
        "the roll-up's reported mean"
    );
    ensure_eq!(
        cell["verified"]["mean_percent"],
        json!(50.0),
        "its verified mean"
    );
    // Reviewing one's own report stays refused.
    let own = submit(75, "2025-06-15").await?;
    let problem = send(
        &app,
        &officer,
        "POST",
        &format!("/api/v1/reports/{own}/approve"),
        None,
        &[],
    )
    .await?
    .expect_problem(403, None)?;
    ensure!(
        problem["detail"].to_string().contains("own report"),
        "{problem}"
    );
    Ok(())
}

async fn the_forms_run_plans_and_tasks_over_http(app: TestApp) -> Result<(), Failed> {
    let office = office(&app).await?;
    let officer = user(&app, "js-officer", &[(Role::MemberOfficer, of(JS))]).await?;
    let coordinator = user(&app, "js-coordinator", &[(Role::MemberCoordinator, of(JS))]).await?;
    let anonymous = Session::anonymous();

    // The plan form: for the office; visitors are sent to sign in.
    let form = app
        .send("GET", "/zh/plans/new", &office.headers(false), None)
        .await?;
    ensure_eq!(form.status, 200, "the plan form");
    let html = page_text(&form);
    ensure!(
        html.contains("name=\"csrf\"") && html.contains("<label for=\"area-1-key\""),
        "labelled fields"
    );
    let redirect = app.send("GET", "/en/plans/new", &[], None).await?;
    ensure!(
        location(&redirect)?.starts_with("/sign-in?next="),
        "visitors sign in first"
    );
    let refused = app
        .send("GET", "/en/plans/new", &officer.headers(false), None)
        .await?;
    ensure_eq!(refused.status, 403, "an officer drafts no plans");
    let plans = app
        .send("GET", "/en/plans", &office.headers(false), None)
        .await?;
    ensure!(
        page_text(&plans).contains("/en/plans/new"),
        "the plans page links the form for the office"
    );

    let fields = [
        ("key", "work-plan-2026"),
        ("kind", "work_plan"),
        ("title_zh", "2026年度工作计划"),
        ("title_en", "2026 work plan"),
        ("parent", "plan-a"),
        ("period_start", "2026"),
        ("period_end", "2026"),
        ("area_1_key", "tech"),
        ("area_1_name_zh", "科技"),
        ("area_2_key", "green"),
        ("area_2_name_en", "Green"),
    ];
    let without = post_form(&app, &office, "/zh/plans", &fields, false).await?;
    ensure_eq!(without.status, 403, "refused without the CSRF token");
    let nobody = post_form(&app, &anonymous, "/zh/plans", &fields, false).await?;
    ensure_eq!(nobody.status, 401, "refused without a session");
    let mut bad = fields.to_vec();
    bad[5] = ("period_start", "twenty");
    let failed = post_form(&app, &office, "/zh/plans", &bad, true).await?;
    ensure_eq!(failed.status, 422, "a bad year");
    ensure!(
        page_text(&failed).contains("<code>period</code>"),
        "names the field"
    );
    let created = post_form(&app, &office, "/zh/plans", &fields, true).await?;
    ensure_eq!(
        location(&created)?,
        "/zh/plans/work-plan-2026",
        "to the new plan"
    );
    let plan = get(&app, &office, "/api/v1/plans/work-plan-2026?lang=en").await?;
    ensure_eq!(
        plan["areas"][1]["name"],
        json!("Green"),
        "its areas: {plan}"
    );
    let page = app
        .send(
            "GET",
            "/zh/plans/work-plan-2026",
            &office.headers(false),
            None,
        )
        .await?;
    let html = page_text(&page);
    ensure!(
        html.contains("/zh/plans/work-plan-2026/matters/new"),
        "links the matter form"
    );
    ensure!(
        html.contains("/zh/plans/work-plan-2026/publication"),
        "offers publication"
    );
    let published = post_form(
        &app,
        &office,
        "/zh/plans/work-plan-2026/publication",
        &[("published", "true")],
        true,
    )
    .await?;
    ensure_eq!(
        location(&published)?,
        "/zh/plans/work-plan-2026",
        "published"
    );
    get(&app, &anonymous, "/api/v1/plans/work-plan-2026").await?;

    // The matter form, with an agreement's obligation ticked from its page's link.
    let form = app
        .send(
            "GET",
            "/en/plans/plan-a/matters/new?agreement=pact",
            &office.headers(false),
            None,
        )
        .await?;
    ensure_eq!(form.status, 200, "the matter form");
    let html = page_text(&form);
    ensure!(
        html.contains("id=\"agreement-pact\" name=\"agreements\" value=\"pact\" checked"),
        "the agreement starts ticked"
    );
    ensure!(
        html.contains("<label for=\"lead-320000\">"),
        "member checkboxes are labelled"
    );
    let fields = [
        ("key", "joint-lab"),
        ("title_zh", "联合实验室"),
        ("area", "tech"),
        ("lead", JS),
        ("participants", ZJ),
        ("unit_320000_zh", "江苏省科技厅"),
        ("due_330000", "2026-06-30"),
        ("due_date", "2026-12-31"),
        ("milestone_1_title_zh", "挂牌"),
        ("milestone_1_due", "2025-12-31"),
        ("agreements", "pact"),
        ("published", "true"),
    ];
    let created = post_form(&app, &office, "/en/plans/plan-a/matters", &fields, true).await?;
    ensure_eq!(
        location(&created)?,
        "/en/matters/joint-lab",
        "to the new matter"
    );
    let matter = get(&app, &anonymous, "/api/v1/matters/joint-lab").await?;
    ensure_eq!(
        matter["tasks"][0]["unit"],
        json!("江苏省科技厅"),
        "the unit given"
    );
    ensure_eq!(
        matter["tasks"][1]["due"],
        json!("2026-06-30"),
        "the due date given"
    );
    ensure_eq!(
        matter["agreements"][0]["key"],
        json!("pact"),
        "the obligation"
    );
    ensure_eq!(
        matter["milestones"][0]["title"],
        json!("挂牌"),
        "the milestone"
    );

    // The matter page offers each reader their forms only.
    let page = app
        .send("GET", "/zh/matters/m-tech", &officer.headers(false), None)
        .await?;
    let html = page_text(&page);
    ensure!(
        html.contains("action=\"/zh/tasks/t-tech-js/reports\""),
        "Jiangsu's officer reports on Jiangsu's task"
    );
    ensure!(
        !html.contains("action=\"/zh/tasks/t-tech-sh/reports\""),
        "but not on Shanghai's"
    );
    ensure!(!html.contains("/subtasks\""), "nor splits tasks");
    ensure!(!html.contains("carry-over"), "nor carries over");
    let public = app.send("GET", "/zh/matters/m-tech", &[], None).await?;
    ensure!(
        !page_text(&public).contains("<form method=\"post\" action=\"/zh/tasks"),
        "no forms for visitors"
    );

    let report = [
        ("percent", "45"),
        ("as_of", "2025-05-31"),
        ("narrative_zh", "完成可研"),
        ("evidence", "https://example.org/a\nhttps://example.org/b"),
    ];
    let without = post_form(
        &app,
        &officer,
        "/zh/tasks/t-tech-js/reports",
        &report,
        false,
    )
    .await?;
    ensure_eq!(without.status, 403, "no CSRF token, no report");
    let sent = post_form(&app, &officer, "/zh/tasks/t-tech-js/reports", &report, true).await?;
    ensure_eq!(
        location(&sent)?,
        "/zh/matters/m-tech#task-t-tech-js",
        "back to the task"
    );
    let task = get(&app, &officer, "/api/v1/tasks/t-tech-js").await?;
    ensure_eq!(
        task["reported_percent"],
        json!(45),
        "reported through the form"
    );
    let report_key = task["reports"][0]["key"]
        .as_str()
        .ok_or("the report")?
        .to_owned();
    let stored = get(&app, &officer, &format!("/api/v1/reports/{report_key}")).await?;
    ensure_eq!(
        stored["evidence"],
        json!(["https://example.org/a", "https://example.org/b"]),
        "one link a line"
    );

    // Editing with the version the page showed; a stale one is a conflict.
    let edit = [
        ("version", "1"),
        ("unit_zh", "江苏省科技厅"),
        ("unit_en", "Jiangsu S&T"),
    ];
    let edited = post_form(&app, &officer, "/zh/tasks/t-tech-js", &edit, true).await?;
    ensure_eq!(
        location(&edited)?,
        "/zh/matters/m-tech#task-t-tech-js",
        "edited"
    );
    let stale = post_form(&app, &officer, "/zh/tasks/t-tech-js", &edit, true).await?;
    ensure_eq!(stale.status, 409, "a stale version");
    let due = post_form(
        &app,
        &officer,
        "/zh/tasks/t-tech-js",
        &[("version", "2"), ("due_date", "2026-01-31")],
        true,
    )
    .await?;
    ensure_eq!(due.status, 403, "the officer moves no due date");
    ensure!(
        page_text(&due).contains("only the office changes a due date"),
        "says why"
    );

    // The coordinator splits the task and approves; the office verifies and returns.
    let split = post_form(
        &app,
        &coordinator,
        "/zh/tasks/t-tech-js/subtasks",
        &[
            ("title_zh", "苏州段"),
            ("unit_zh", "苏州市"),
            ("due_date", "2025-10-31"),
        ],
        true,
    )
    .await?;
    ensure_eq!(
        location(&split)?,
        "/zh/matters/m-tech#task-t-tech-js.1",
        "to the sub-task"
    );
    let page = app
        .send(
            "GET",
            "/zh/matters/m-tech",
            &coordinator.headers(false),
            None,
        )
        .await?;
    let html = page_text(&page);
    ensure!(
        html.contains("id=\"task-t-tech-js.1\""),
        "the sub-task under its task"
    );
    ensure!(
        html.contains(&format!("action=\"/zh/reports/{report_key}/approve\"")),
        "the coordinator may approve"
    );
    let approved = post_form(
        &app,
        &coordinator,
        &format!("/zh/reports/{report_key}/approve"),
        &[("state", "submitted")],
        true,
    )
    .await?;
    ensure_eq!(
        location(&approved)?,
        format!("/zh/matters/m-tech#report-{report_key}"),
        "approved"
    );
    let again = post_form(
        &app,
        &coordinator,
        &format!("/zh/reports/{report_key}/approve"),
        &[("state", "submitted")],
        true,
    )
    .await?;
    ensure_eq!(again.status, 409, "the state the form saw is gone");
    let verified = post_form(
        &app,
        &office,
        &format!("/en/reports/{report_key}/verify"),
        &[("state", "approved")],
        true,
    )
    .await?;
    ensure_eq!(
        location(&verified)?,
        format!("/en/matters/m-tech#report-{report_key}"),
        "verified"
    );
    let task = get(&app, &officer, "/api/v1/tasks/t-tech-js").await?;
    ensure_eq!(
        task["verified_percent"],
        json!(45),
        "verified through the form"
    );
    let second = post_form(
        &app,
        &officer,
        "/zh/tasks/t-tech-js/reports",
        &[
            ("percent", "60"),
            ("as_of", "2025-06-30"),
            ("narrative_en", "More"),
        ],
        true,
    )
    .await?;
    location(&second)?;
    let task = get(&app, &officer, "/api/v1/tasks/t-tech-js").await?;
    let second_key = task["reports"][1]["key"]
        .as_str()
        .ok_or("the second report")?
        .to_owned();
    let no_reason = post_form(
        &app,
        &office,
        &format!("/en/reports/{second_key}/return"),
        &[("state", "submitted")],
        true,
    )
    .await?;
    ensure_eq!(no_reason.status, 422, "a return needs a reason");
    ensure!(
        page_text(&no_reason).contains("<code>reason</code>"),
        "names the field"
    );
    let returned = post_form(
        &app,
        &office,
        &format!("/en/reports/{second_key}/return"),
        &[("state", "submitted"), ("reason_en", "Evidence missing")],
        true,
    )
    .await?;
    location(&returned)?;
    let page = app
        .send("GET", "/en/matters/m-tech", &officer.headers(false), None)
        .await?;
    ensure!(
        page_text(&page).contains("Evidence missing"),
        "the page shows why it was returned"
    );

    // The office withdraws and publishes, and carries the matter over.
    let page = app
        .send("GET", "/zh/matters/m-tech", &office.headers(false), None)
        .await?;
    ensure!(
        page_text(&page).contains("/zh/matters/m-tech/carry-over"),
        "the office may carry it over"
    );
    let withdrawn = post_form(
        &app,
        &office,
        "/zh/matters/m-tech/publication",
        &[("published", "false")],
        true,
    )
    .await?;
    location(&withdrawn)?;
    send(&app, &anonymous, "GET", "/api/v1/matters/m-tech", None, &[])
        .await?
        .expect_problem(404, None)?;
    let republished = post_form(
        &app,
        &office,
        "/zh/matters/m-tech/publication",
        &[("published", "true")],
        true,
    )
    .await?;
    location(&republished)?;
    let carried = post_form(
        &app,
        &office,
        "/zh/matters/m-tech/carry-over",
        &[("plan", "work-plan-2026")],
        true,
    )
    .await?;
    ensure_eq!(
        location(&carried)?,
        "/zh/matters/work-plan-2026.1",
        "to the new matter"
    );
    let page = app
        .send(
            "GET",
            "/zh/matters/work-plan-2026.1",
            &office.headers(false),
            None,
        )
        .await?;
    ensure!(
        page_text(&page).contains("href=\"/zh/matters/m-tech\""),
        "links where it came from"
    );
    let page = app
        .send("GET", "/zh/matters/m-tech", &office.headers(false), None)
        .await?;
    let html = page_text(&page);
    ensure!(
        html.contains("href=\"/zh/matters/work-plan-2026.1\""),
        "links where it went"
    );
    ensure!(!html.contains("/carry-over"), "carried over once");
    Ok(())
}
