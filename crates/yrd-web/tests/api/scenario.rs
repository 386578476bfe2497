//! A year of the cooperation mechanism replayed over HTTP, from the symposium after the
//! dataset's last one to an agreement in force, asserting every roll-up, status and history
//! entry along the way.
//!
//! The year is 2026 on the built-in YRD dataset, whose last Main Leaders' Symposium was held
//! in Nanjing in 2025. Everyone acts through the API with their own token, as the people of
//! the mechanism would: the office, the symposium's and the joint meeting's secretaries, each
//! member's coordinator and officers.

use libtest_mimic::Failed;
use serde_json::{Value, json};
use yrd_domain::access::{Role, Scope};
use yrd_store::Author;

use crate::app::{Reply, TestApp};
use crate::people::with_token;
use crate::{ensure, ensure_eq, fail};

crate::cases!(a_year_of_the_mechanism);

const SH: &str = "310000";
const JS: &str = "320000";
const ZJ: &str = "330000";
const AH: &str = "340000";
const SYMPOSIUM: &str = "main-leaders-symposium";
const JOINT_MEETING: &str = "joint-meeting";
const PLAN: &str = "work-plan-2026";

/// Someone acting through the API with a token of their own.
struct Person {
    username: &'static str,
    /// The `Authorization` header's value.
    authorization: String,
}

async fn person(
    app: &TestApp,
    username: &'static str,
    role: Role,
    scope: Scope,
) -> Result<Person, Failed> {
    let authorization = with_token(app, username, &[(role, scope)]).await?;
    Ok(Person {
        username,
        authorization,
    })
}

fn member(code: &str) -> Scope {
    Scope::Jurisdiction(code.parse().expect("a member code"))
}

impl Person {
    fn actor(&self) -> String {
        format!("user:{}", self.username)
    }

    async fn send(
        &self,
        app: &TestApp,
        method: &str,
        path: &str,
        body: Option<Value>,
        if_match: Option<&str>,
    ) -> Result<Reply, Failed> {
        let mut headers = vec![("authorization", self.authorization.clone())];
        if let Some(tag) = if_match {
            headers.push(("if-match", tag.to_owned()));
        }
        app.send(
            method,
            path,
            &headers,
            body.map(|b| ("application/json", b.to_string().into_bytes())),
        )
        .await
    }

    /// Sends a change and expects `status`; returns the JSON answer.
    async fn expect(
        &self,
        app: &TestApp,
        method: &str,
        path: &str,
        body: Value,
        status: u16,
    ) -> Result<Value, Failed> {
        let reply = self.send(app, method, path, Some(body), None).await?;
        ensure!(
            reply.status == status,
            "{} {method} {path}: expected {status}, got {}: {}",
            self.username,
            reply.status,
            String::from_utf8_lossy(&reply.body)
        );
        if reply.body.is_empty() {
            Ok(Value::Null)
        } else {
            reply.json()
        }
    }

    async fn get(&self, app: &TestApp, path: &str) -> Result<Value, Failed> {
        let reply = self.send(app, "GET", path, None, None).await?;
        ensure_eq!(reply.status, 200, "{} GET {path}", self.username);
        reply.json()
    }
}

/// The actions of a record's history, with who took each, oldest first.
async fn history(
    app: &TestApp,
    auditor: &Person,
    record: &str,
) -> Result<Vec<(String, String)>, Failed> {
    let page = auditor
        .get(app, &format!("/api/v1/history?record={record}&limit=200"))
        .await?;
    let items = page["items"].as_array().cloned().unwrap_or_default();
    for item in &items {
        ensure!(
            item["at"].as_str().is_some_and(|at| at.starts_with("20")),
            "{record}: an entry without its time: {item}"
        );
    }
    Ok(items
        .iter()
        .map(|i| {
            (
                i["action"].as_str().unwrap_or_default().to_owned(),
                i["actor"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect())
}

fn text(zh: &str, en: &str) -> Value {
    json!({"zh": zh, "en": en})
}

/// The cell of `code` in the roll-up's member totals.
fn member_total<'a>(plan: &'a Value, code: &str) -> Option<&'a Value> {
    let members = plan["rollup"]["members"].as_array()?;
    let i = members.iter().position(|m| m["code"] == code)?;
    plan["rollup"]["member_totals"].get(i)
}

async fn a_year_of_the_mechanism(app: TestApp) -> Result<(), Failed> {
    let app = &app;
    let office = person(app, "office", Role::OfficeStaff, Scope::Region).await?;
    let secretary = person(
        app,
        "symposium-secretary",
        Role::BodySecretary,
        Scope::Body(SYMPOSIUM.into()),
    )
    .await?;
    let joint_secretary = person(
        app,
        "joint-meeting-secretary",
        Role::BodySecretary,
        Scope::Body(JOINT_MEETING.into()),
    )
    .await?;
    let auditor = person(app, "auditor", Role::Auditor, Scope::Region).await?;
    let mut coordinators = Vec::new();
    for (name, code) in [
        ("sh-coordinator", SH),
        ("js-coordinator", JS),
        ("zj-coordinator", ZJ),
        ("ah-coordinator", AH),
    ] {
        coordinators.push(person(app, name, Role::MemberCoordinator, member(code)).await?);
    }
    let [sh_coord, js_coord, zj_coord, ah_coord] = &coordinators[..] else {
        unreachable!("four members")
    };
    let js_officer = person(app, "js-officer", Role::MemberOfficer, member(JS)).await?;
    let zj_officer = person(app, "zj-officer", Role::MemberOfficer, member(ZJ)).await?;

    // --- The symposium after Nanjing 2025: the rotation proposes Shanghai. ---
    let bodies = office.get(app, "/api/v1/bodies").await?;
    let symposium_body = bodies["items"]
        .as_array()
        .and_then(|b| b.iter().find(|b| b["key"] == SYMPOSIUM))
        .cloned()
        .ok_or("the symposium body is listed")?;
    ensure_eq!(
        symposium_body["next_host"]["code"],
        json!(SH),
        "after Nanjing 2025 the rotation proposes Shanghai"
    );

    // The office drafts the year's work plan under the action plan, and publishes it so the
    // members can consider it.
    office
        .expect(
            app,
            "POST",
            "/api/v1/plans",
            json!({
                "key": PLAN,
                "kind": "work_plan",
                "title": text("长三角地区一体化发展三年行动计划2026年度工作计划", "2026 Work Plan of the YRD Three-Year Action Plan"),
                "parent": "action-plan-2024-2026",
                "period": [2026, 2026],
                "areas": [
                    {"key": "sci-tech", "name": text("科技创新", "Science and technology innovation")},
                    {"key": "ecology", "name": text("生态环境", "Ecology and environment")},
                ],
            }),
            201,
        )
        .await?;
    office
        .expect(
            app,
            "PUT",
            &format!("/api/v1/plans/{PLAN}/publication"),
            json!({"published": true}),
            200,
        )
        .await?;
    let plan = office.get(app, &format!("/api/v1/plans/{PLAN}")).await?;
    ensure_eq!(
        plan["stage"],
        json!("draft"),
        "the new work plan is a draft"
    );

    // The symposium's secretary schedules the meeting without naming a host.
    let meeting = secretary
        .expect(
            app,
            "POST",
            "/api/v1/meetings",
            json!({
                "body": SYMPOSIUM,
                "title": text("2026年度长三角地区主要领导座谈会", "2026 Main Leaders' Symposium of the Yangtze River Delta Region"),
                "start_date": "2026-06-05",
                "agenda": [text("审议2026年度工作计划", "Consider the 2026 work plan")],
            }),
            201,
        )
        .await?;
    let meeting_key = meeting["key"]
        .as_str()
        .ok_or("the meeting has a key")?
        .to_owned();
    ensure_eq!(
        meeting["host"]["code"],
        json!(SH),
        "host taken from the rotation"
    );
    ensure_eq!(meeting["proposed_host"]["code"], json!(SH), "proposed host");
    ensure_eq!(
        meeting["state"],
        json!("scheduled"),
        "a new meeting is scheduled"
    );

    let adopt = secretary
        .expect(
            app,
            "POST",
            &format!("/api/v1/meetings/{meeting_key}/decisions"),
            json!({
                "title": text("审议通过2026年度工作计划", "Adopt the 2026 work plan"),
                "subject": {"kind": "adopt_plan", "plan": PLAN},
            }),
            201,
        )
        .await?;
    let adopt_key = adopt["key"].as_str().ok_or("a decision key")?.to_owned();
    let next_host = secretary
        .expect(
            app,
            "POST",
            &format!("/api/v1/meetings/{meeting_key}/decisions"),
            json!({
                "title": text("2027年度座谈会由安徽省承办", "Anhui hosts the 2027 symposium"),
                "subject": {"kind": "next_host", "host": AH},
            }),
            201,
        )
        .await?;
    let next_host_key = next_host["key"]
        .as_str()
        .ok_or("a decision key")?
        .to_owned();

    // Four members consent, Zhejiang in principle; the status follows the rule live.
    let position = |stance: &str| json!({"stance": stance, "comment": text("意见", "Comment")});
    let decision_status = |meeting: &Value, key: &str| {
        meeting["decisions"]
            .as_array()
            .and_then(|d| d.iter().find(|d| d["key"] == key))
            .map(|d| d["status"].clone())
            .unwrap_or(Value::Null)
    };
    // An officer may not speak for the member.
    js_officer
        .expect(
            app,
            "PUT",
            &format!("/api/v1/decisions/{adopt_key}/positions/{JS}"),
            position("consent"),
            403,
        )
        .await?;
    for (coordinator, code, stance) in [
        (sh_coord, SH, "consent"),
        (js_coord, JS, "consent"),
        (zj_coord, ZJ, "consent_in_principle"),
    ] {
        coordinator
            .expect(
                app,
                "PUT",
                &format!("/api/v1/decisions/{adopt_key}/positions/{code}"),
                position(stance),
                204,
            )
            .await?;
    }
    let live = office
        .get(app, &format!("/api/v1/meetings/{meeting_key}"))
        .await?;
    ensure_eq!(
        decision_status(&live, &adopt_key),
        json!("pending"),
        "three of four members have answered"
    );
    ah_coord
        .expect(
            app,
            "PUT",
            &format!("/api/v1/decisions/{adopt_key}/positions/{AH}"),
            position("consent"),
            204,
        )
        .await?;
    for (coordinator, code) in [
        (sh_coord, SH),
        (js_coord, JS),
        (zj_coord, ZJ),
        (ah_coord, AH),
    ] {
        coordinator
            .expect(
                app,
                "PUT",
                &format!("/api/v1/decisions/{next_host_key}/positions/{code}"),
                position("consent"),
                204,
            )
            .await?;
    }
    let live = office
        .get(app, &format!("/api/v1/meetings/{meeting_key}"))
        .await?;
    ensure_eq!(
        decision_status(&live, &adopt_key),
        json!("adopted_in_principle"),
        "four consents, one in principle"
    );

    // The secretary closes the meeting: the plan is adopted, next year's meeting exists.
    let closed = secretary
        .expect(
            app,
            "POST",
            &format!("/api/v1/meetings/{meeting_key}/close"),
            json!({"closed_on": "2026-06-05"}),
            200,
        )
        .await?;
    ensure_eq!(closed["meeting"]["state"], json!("closed"), "closed");
    ensure_eq!(closed["adopted_plans"], json!([PLAN]), "the plan adopted");
    let next_meeting = closed["next_meeting"]
        .as_str()
        .ok_or("the next-host decision creates the next meeting")?
        .to_owned();
    let frozen = &closed["meeting"]["decisions"];
    ensure!(
        frozen.as_array().is_some_and(|d| d
            .iter()
            .any(|d| d["key"] == adopt_key.as_str() && d["outcome"] == "adopted_in_principle")),
        "the outcome is frozen: {frozen}"
    );
    let plan = office.get(app, &format!("/api/v1/plans/{PLAN}")).await?;
    ensure_eq!(plan["stage"], json!("adopted"), "closing adopts the plan");
    let next = office
        .get(app, &format!("/api/v1/meetings/{next_meeting}"))
        .await?;
    ensure_eq!(next["host"]["code"], json!(AH), "the next meeting's host");
    ensure_eq!(
        next["state"],
        json!("scheduled"),
        "the next meeting is scheduled"
    );
    // Closed means frozen: a change of position is refused and changes nothing.
    let refused = zj_coord
        .send(
            app,
            "PUT",
            &format!("/api/v1/decisions/{adopt_key}/positions/{ZJ}"),
            Some(position("consent")),
            None,
        )
        .await?;
    refused.expect_problem(409, None)?;
    let after = office
        .get(app, &format!("/api/v1/meetings/{meeting_key}"))
        .await?;
    ensure_eq!(
        decision_status(&after, &adopt_key),
        json!("adopted_in_principle"),
        "the refused change left the decision as it was"
    );

    // --- Three matters assigned under the adopted plan. ---
    let mut matters = Vec::new();
    for (key, area, lead, participants) in [
        ("wp2026-joint-lab", "sci-tech", SH, vec![JS, ZJ]),
        ("wp2026-river-chiefs", "ecology", ZJ, vec![JS, AH]),
        ("wp2026-data-sharing", "sci-tech", JS, vec![AH]),
    ] {
        let matter = office
            .expect(
                app,
                "POST",
                &format!("/api/v1/plans/{PLAN}/matters"),
                json!({
                    "key": key,
                    "area": area,
                    "title": text(&format!("事项 {key}"), &format!("Matter {key}")),
                    "lead": [lead],
                    "participants": participants,
                    "start_date": "2026-06-15",
                    "due_date": "2026-12-31",
                    "milestones": [{"title": text("中期评估", "Mid-term review"), "due_date": "2026-09-30"}],
                    "published": true,
                }),
                201,
            )
            .await?;
        let tasks = matter["tasks"].as_array().cloned().unwrap_or_default();
        ensure_eq!(
            tasks.len(),
            1 + participants.len(),
            "{key}: one task per lead and participant"
        );
        matters.push(matter);
    }
    let task_of = |matter: &Value, code: &str| -> Result<String, Failed> {
        matter["tasks"]
            .as_array()
            .and_then(|t| {
                t.iter()
                    .find(|t| t["jurisdiction"]["code"] == code || t["member"]["code"] == code)
            })
            .and_then(|t| t["key"].as_str())
            .map(str::to_owned)
            .ok_or_else(|| Failed::from(format!("{code} has a task in {}", matter["key"])))
    };
    let js_task = task_of(&matters[0], JS)?;
    let zj_task = task_of(&matters[0], ZJ)?;

    // --- Two members report and are verified; one report is returned. ---
    let report = |percent: u8, as_of: &str| {
        json!({
            "as_of": as_of,
            "percent": percent,
            "narrative": text("完成阶段任务", "Stage completed"),
            "evidence": ["https://example.org/evidence"],
        })
    };
    let js_report = js_officer
        .expect(
            app,
            "POST",
            &format!("/api/v1/tasks/{js_task}/reports"),
            report(60, "2026-09-30"),
            201,
        )
        .await?;
    let zj_report = zj_officer
        .expect(
            app,
            "POST",
            &format!("/api/v1/tasks/{zj_task}/reports"),
            report(40, "2026-09-30"),
            201,
        )
        .await?;
    let zj_overclaim = zj_officer
        .expect(
            app,
            "POST",
            &format!("/api/v1/tasks/{zj_task}/reports"),
            report(90, "2026-10-31"),
            201,
        )
        .await?;
    let key_of = |v: &Value| v["key"].as_str().unwrap_or_default().to_owned();
    let (js_report, zj_report, zj_overclaim) = (
        key_of(&js_report),
        key_of(&zj_report),
        key_of(&zj_overclaim),
    );
    // Nobody verifies their own report; the coordinator approves, the office verifies.
    js_coord
        .expect(
            app,
            "POST",
            &format!("/api/v1/reports/{js_report}/approve"),
            json!({}),
            200,
        )
        .await?;
    office
        .expect(
            app,
            "POST",
            &format!("/api/v1/reports/{js_report}/verify"),
            json!({}),
            200,
        )
        .await?;
    office
        .expect(
            app,
            "POST",
            &format!("/api/v1/reports/{zj_report}/verify"),
            json!({}),
            200,
        )
        .await?;
    office
        .expect(
            app,
            "POST",
            &format!("/api/v1/reports/{zj_overclaim}/return"),
            json!({"reason": text("缺少佐证材料", "No evidence for 90 %")}),
            200,
        )
        .await?;
    let returned = office
        .get(app, &format!("/api/v1/reports/{zj_overclaim}"))
        .await?;
    ensure_eq!(
        returned["state"],
        json!("returned"),
        "the overclaim is returned"
    );
    ensure_eq!(
        returned["return_reason"]["zh"]
            .as_str()
            .or(returned["return_reason"].as_str()),
        Some("缺少佐证材料"),
        "the reason is kept with the report: {returned}"
    );

    // Statuses and roll-ups keep self-reported and verified progress apart; the returned
    // report counts on neither basis.
    let task = office.get(app, &format!("/api/v1/tasks/{zj_task}")).await?;
    ensure_eq!(
        task["verified_percent"],
        json!(40),
        "Zhejiang's verified figure"
    );
    ensure_eq!(
        task["reported_percent"],
        json!(40),
        "the returned 90 % does not count"
    );
    let plan = office.get(app, &format!("/api/v1/plans/{PLAN}")).await?;
    let js_total = member_total(&plan, JS).ok_or("Jiangsu has a column")?;
    ensure_eq!(
        js_total["verified"]["tasks"],
        json!(3),
        "Jiangsu's tasks in the plan"
    );
    ensure_eq!(js_total["verified"]["reported"], json!(1), "one verified");
    ensure_eq!(
        js_total["verified"]["mean_percent"],
        json!(60.0),
        "Jiangsu verified mean"
    );
    let sh_total = member_total(&plan, SH).ok_or("Shanghai has a column")?;
    ensure_eq!(
        sh_total["reported"]["reported"],
        json!(0),
        "Shanghai has not reported"
    );
    ensure_eq!(
        plan["rollup"]["total"]["verified"]["reported"],
        json!(2),
        "two verified tasks"
    );
    ensure_eq!(
        plan["rollup"]["total"]["verified"]["tasks"],
        json!(8),
        "eight tasks in all"
    );

    // --- A problem climbs from the office to the joint meeting and is resolved there. ---
    let matter_key = key_of(&matters[0]);
    let problem = js_officer
        .expect(
            app,
            "POST",
            &format!("/api/v1/matters/{matter_key}/problems"),
            json!({
                "title": text("联合实验室用地指标未落实", "Land quota for the joint lab not settled"),
                "task": js_task,
                "raised_on": "2026-07-01",
                "due_date": "2026-07-31",
            }),
            201,
        )
        .await?;
    let problem_key = key_of(&problem);
    ensure_eq!(
        problem["tier"],
        json!("execution"),
        "raised at the execution tier"
    );
    office
        .expect(
            app,
            "POST",
            &format!("/api/v1/problems/{problem_key}/escalate"),
            json!({"reason": text("需联席会议协调", "Needs the joint meeting"), "on": "2026-08-01"}),
            200,
        )
        .await?;
    let open = office
        .get(app, "/api/v1/problems?tier=coordination&as_of=2026-08-15")
        .await?;
    ensure!(
        open["items"].as_array().is_some_and(|i| i
            .iter()
            .any(|p| p["key"] == problem_key.as_str() && p["age_days"] == 45)),
        "the open coordination-tier list shows the problem, 45 days old: {open}"
    );
    // The joint meeting's next session has it on its agenda.
    let joint = joint_secretary
        .expect(
            app,
            "POST",
            "/api/v1/meetings",
            json!({
                "body": JOINT_MEETING,
                "title": text("2026年长三角地区合作与发展联席会议", "2026 Joint Meeting on YRD Cooperation and Development"),
                "start_date": "2026-09-10",
            }),
            201,
        )
        .await?;
    let joint_key = key_of(&joint);
    let agenda = office
        .get(app, &format!("/api/v1/meetings/{joint_key}"))
        .await?;
    ensure!(
        agenda["problems"]
            .as_array()
            .is_some_and(|p| p.iter().any(|p| p["key"] == problem_key.as_str())),
        "the joint meeting's agenda takes up the problem: {}",
        agenda["problems"]
    );
    let page = app.get(&format!("/zh/meetings/{joint_key}")).await?;
    ensure!(
        String::from_utf8_lossy(&page.body).contains("联合实验室用地指标未落实"),
        "the meeting's page lists the problem before it"
    );
    // Once it sits with the joint meeting, the office cannot settle it; the joint meeting does.
    office
        .expect(
            app,
            "POST",
            &format!("/api/v1/problems/{problem_key}/resolve"),
            json!({"resolution": text("办公室协调", "Office settles")}),
            403,
        )
        .await?;
    let resolved = joint_secretary
        .expect(
            app,
            "POST",
            &format!("/api/v1/problems/{problem_key}/resolve"),
            json!({"resolution": text("联席会议明确由上海市统筹用地指标", "The joint meeting assigns the quota to Shanghai"), "resolved_on": "2026-09-10"}),
            200,
        )
        .await?;
    ensure_eq!(
        resolved["resolved_tier"],
        json!("coordination"),
        "resolved by the joint meeting"
    );
    ensure_eq!(
        resolved["resolved_on"],
        json!("2026-09-10"),
        "resolution date"
    );
    let agenda = office
        .get(app, &format!("/api/v1/meetings/{joint_key}"))
        .await?;
    ensure_eq!(
        agenda["problems"],
        json!([]),
        "a resolved problem leaves the agenda"
    );

    // --- A three-party agreement is signed and comes into force. ---
    scenario_agreement(app, &office, [sh_coord, js_coord, zj_coord], &auditor).await?;

    // --- Every transition is in its record's history, with who. ---
    let meeting_history = history(app, &auditor, &format!("meeting/{meeting_key}")).await?;
    for (action, who) in [
        ("schedule", secretary.actor()),
        ("add_decision", secretary.actor()),
        ("close", secretary.actor()),
    ] {
        ensure!(
            meeting_history.contains(&(action.to_owned(), who.clone())),
            "meeting history lacks {action} by {who}: {meeting_history:?}"
        );
    }
    let decision_history = history(app, &auditor, &format!("decision/{adopt_key}")).await?;
    for coordinator in [sh_coord, js_coord, zj_coord, ah_coord] {
        ensure!(
            decision_history.contains(&("record_position".to_owned(), coordinator.actor())),
            "decision history lacks {}'s position: {decision_history:?}",
            coordinator.username
        );
    }
    let plan_history = history(app, &auditor, &format!("plan/{PLAN}")).await?;
    let plan_actions: Vec<&str> = plan_history.iter().map(|(a, _)| a.as_str()).collect();
    ensure!(
        plan_actions.first() == Some(&"create") && plan_actions.contains(&"adopt"),
        "plan history: {plan_history:?}"
    );
    ensure!(
        plan_history.contains(&("adopt".to_owned(), secretary.actor())),
        "the plan's adoption is the secretary's closing of the meeting: {plan_history:?}"
    );
    ensure!(
        history(app, &auditor, &format!("meeting/{next_meeting}"))
            .await?
            .iter()
            .any(|(a, _)| a == "schedule"),
        "the next meeting's creation is journalled"
    );
    let report_history = history(app, &auditor, &format!("report/{js_report}")).await?;
    ensure_eq!(
        report_history,
        vec![
            ("create".to_owned(), js_officer.actor()),
            ("approve".to_owned(), js_coord.actor()),
            ("verify".to_owned(), office.actor()),
        ],
        "the Jiangsu report's history"
    );
    let returned_history = history(app, &auditor, &format!("report/{zj_overclaim}")).await?;
    ensure!(
        returned_history.contains(&("return".to_owned(), office.actor())),
        "the return is journalled: {returned_history:?}"
    );
    let problem_history = history(app, &auditor, &format!("problem/{problem_key}")).await?;
    ensure_eq!(
        problem_history,
        vec![
            ("raise".to_owned(), js_officer.actor()),
            ("escalate".to_owned(), office.actor()),
            ("resolve".to_owned(), joint_secretary.actor()),
        ],
        "the problem's history"
    );
    let matter_history = history(app, &auditor, &format!("matter/{matter_key}")).await?;
    ensure!(
        matter_history.first() == Some(&("create".to_owned(), office.actor())),
        "the matter's creation: {matter_history:?}"
    );

    // The journal still verifies after the year.
    let verified = app
        .store
        .verify_history()
        .await
        .map_err(|e| fail("verifying the journal", e))?;
    ensure!(
        verified.broken.is_none(),
        "the journal verifies: {:?}",
        verified.broken
    );
    Ok(())
}

/// The office drafts a three-party agreement and opens it; Shanghai, Jiangsu and Zhejiang
/// sign the exact text with their members' keys; it comes into force with the last signature,
/// and its obligation becomes a matter of the year's plan.
async fn scenario_agreement(
    app: &TestApp,
    office: &Person,
    signers: [&Person; 3],
    auditor: &Person,
) -> Result<(), Failed> {
    let author = Author::Command {
        command: "key-generate".into(),
        os_user: "api-tests".into(),
    };
    for code in [SH, JS, ZJ] {
        app.store
            .generate_member_key(
                &author,
                code.parse().map_err(|e| fail("a member code", e))?,
                &app.keys,
                false,
            )
            .await
            .map_err(|e| fail(&format!("a key for {code}"), e))?;
    }
    let key = "g60-joint-lab-agreement-2026";
    let drafted = office
        .expect(
            app,
            "POST",
            "/api/v1/agreements",
            json!({
                "key": key,
                "title": text("共建长三角联合实验室合作协议", "Agreement on a joint YRD laboratory"),
                "text": text("第一条 三方共建联合实验室。第二条 每年报告进展。", "Art. 1 The three parties build a joint laboratory. Art. 2 Progress is reported yearly."),
                "parties": [{"member": SH}, {"member": JS}, {"member": ZJ}],
                "expires_on": "2030-12-31",
            }),
            201,
        )
        .await?;
    ensure_eq!(
        drafted["state"],
        json!("draft"),
        "a new agreement is a draft"
    );
    // Nobody but the office sees a draft.
    let hidden = signers[0]
        .send(app, "GET", &format!("/api/v1/agreements/{key}"), None, None)
        .await?;
    ensure_eq!(
        hidden.status,
        404,
        "a draft agreement is hidden from the parties"
    );
    office
        .expect(
            app,
            "POST",
            &format!("/api/v1/agreements/{key}/open"),
            json!({}),
            200,
        )
        .await?;
    let opened = signers[0]
        .get(app, &format!("/api/v1/agreements/{key}"))
        .await?;
    ensure_eq!(opened["state"], json!("open"), "open for signature");
    let hash = opened["text_hash"]
        .as_str()
        .ok_or("the open agreement shows its text's hash")?
        .to_owned();
    // Jiangsu's coordinator cannot sign for Zhejiang.
    signers[1]
        .expect(
            app,
            "POST",
            &format!("/api/v1/agreements/{key}/signatures/{ZJ}"),
            json!({"text_hash": hash}),
            403,
        )
        .await?;
    for (i, (signer, code)) in signers.iter().zip([SH, JS, ZJ]).enumerate() {
        let signed = signer
            .expect(
                app,
                "POST",
                &format!("/api/v1/agreements/{key}/signatures/{code}"),
                json!({"text_hash": hash}),
                201,
            )
            .await?;
        let expected = if i < 2 { "open" } else { "in_force" };
        ensure_eq!(signed["state"], json!(expected), "after {code}'s signature");
    }
    let in_force = auditor
        .get(app, &format!("/api/v1/agreements/{key}"))
        .await?;
    let signatures = in_force["signatures"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    ensure_eq!(signatures.len(), 3, "three signatures");
    ensure!(
        signatures
            .iter()
            .all(|s| s["valid"] == true && s["current"] == true && s["text_hash"] == hash.as_str()),
        "every signature verifies over the text in force: {signatures:?}"
    );
    ensure!(
        in_force["in_force_on"].as_str().is_some(),
        "the date it came into force: {in_force}"
    );
    // Its obligation becomes a matter of the year's plan.
    office
        .expect(
            app,
            "POST",
            &format!("/api/v1/plans/{PLAN}/matters"),
            json!({
                "key": "wp2026-joint-lab-reporting",
                "area": "sci-tech",
                "title": text("联合实验室年度进展报告", "Yearly progress report of the joint laboratory"),
                "lead": [SH],
                "participants": [JS, ZJ],
                "due_date": "2026-12-31",
                "agreements": [key],
                "published": true,
            }),
            201,
        )
        .await?;
    let with_obligation = auditor
        .get(app, &format!("/api/v1/agreements/{key}"))
        .await?;
    ensure_eq!(
        with_obligation["obligations"][0]["key"],
        json!("wp2026-joint-lab-reporting"),
        "the obligation is a matter"
    );
    let agreement_history = history(app, auditor, &format!("agreement/{key}")).await?;
    let mut expected = vec![
        ("create".to_owned(), office.actor()),
        ("open".to_owned(), office.actor()),
    ];
    for signer in signers {
        expected.push(("sign".to_owned(), signer.actor()));
    }
    ensure!(
        expected.iter().all(|e| agreement_history.contains(e))
            && agreement_history
                .iter()
                .any(|(a, _)| a == "enter_into_force"),
        "the agreement's history {agreement_history:?} has {expected:?} and its entry into force"
    );
    Ok(())
}
