//! Meetings and their decisions as users run them: scheduling with the rotation's proposed
//! host, agendas, positions, closing with frozen outcomes.
//!
//! The synthetic symposium (rotation Anhui → Zhejiang → Jiangsu → Shanghai) last met in 2024
//! in Wenzhou, Zhejiang: the rotation proposes Jiangsu for its next meeting.

use libtest_mimic::Failed;
use serde_json::{Value, json};
use yrd_domain::access::{Role, Scope};
use yrd_domain::{DecisionSubject, PartialDate, Plan, PlanKind, PlanStage, Stance, Text};
use yrd_store::{MeetingDetails, NewDecision, NewMeeting};

use crate::access::{ALL_200, Row, row};
use crate::app::{Reply, TestApp};
use crate::fixtures::{AH, JS, SH, ZJ, code};
use crate::people::{PROFILES, setup_author, with_session};
use crate::{ensure, ensure_eq, fail};

crate::cases!(
    the_rotation_proposes_the_host_and_another_one_needs_a_reason,
    positions_follow_consensus_until_closing_freezes_and_carries_them_out,
    a_later_decision_supersedes_a_closed_one_and_bad_items_name_their_field,
    edits_name_the_version_they_read,
    the_forms_run_a_meeting_over_http,
);

/// The profiles who record the group's meetings (the office and the group's secretary), and
/// only the office for the symposium's; positions are the member's coordinator's.
const GROUP_RECORDERS_201: [u16; 9] = [401, 403, 403, 201, 403, 201, 403, 403, 403];
const GROUP_RECORDERS_200: [u16; 9] = [401, 403, 403, 200, 403, 200, 403, 403, 403];
const GROUP_RECORDERS_303: [u16; 9] = [401, 403, 403, 303, 403, 303, 403, 403, 403];

/// This part's rows of the authorization matrix.
pub const ROWS: &[Row] = &[
    row(
        "GET",
        "/api/v1/meetings/{key}",
        "/api/v1/meetings/{group-meeting}",
        None,
        ALL_200,
    ),
    // Scheduling: the symposium's by the office; the group's also by its secretary.
    row(
        "POST",
        "/api/v1/meetings",
        "/api/v1/meetings",
        Some(
            r#"{"body":"symposium","key":"sym-{profile}","title":{"zh":"座谈会"},"start_date":"2027"}"#,
        ),
        [401, 403, 403, 201, 403, 403, 403, 403, 403],
    ),
    row(
        "POST",
        "/api/v1/meetings",
        "/api/v1/meetings",
        Some(
            r#"{"body":"group-a","key":"ga-{profile}","title":{"zh":"小组会议"},"start_date":"2026-03"}"#,
        ),
        GROUP_RECORDERS_201,
    ),
    // An edit without If-Match gets as far as the precondition only for those allowed.
    row(
        "PUT",
        "/api/v1/meetings/{key}",
        "/api/v1/meetings/{group-meeting}",
        Some(r#"{"title":{"zh":"小组会议"},"start_date":"2026-04"}"#),
        [401, 403, 403, 428, 403, 428, 403, 403, 403],
    ),
    row(
        "POST",
        "/api/v1/meetings/{key}/decisions",
        "/api/v1/meetings/{group-meeting}/decisions",
        Some(r#"{"title":{"zh":"议题"},"subject":{"kind":"other"}}"#),
        GROUP_RECORDERS_201,
    ),
    row(
        "POST",
        "/api/v1/meetings/{key}/close",
        "/api/v1/meetings/ga-close-{profile}/close",
        Some(r#"{"closed_on":null}"#),
        GROUP_RECORDERS_200,
    ),
    // Positions: the member's coordinator only, while the meeting is scheduled; the dataset's
    // meetings are closed, so even the coordinator is refused there.
    row(
        "PUT",
        "/api/v1/decisions/{key}/positions/{member}",
        "/api/v1/decisions/{scheduled-decision}/positions/320000",
        Some(r#"{"stance":"consent_in_principle","comment":{"zh":"原则同意"}}"#),
        [401, 403, 204, 403, 403, 403, 403, 403, 403],
    ),
    row(
        "PUT",
        "/api/v1/decisions/{key}/positions/{member}",
        "/api/v1/decisions/{scheduled-decision}/positions/330000",
        Some(r#"{"stance":"consent"}"#),
        [401, 403, 403, 403, 403, 403, 403, 403, 403],
    ),
    row(
        "PUT",
        "/api/v1/decisions/{key}/positions/{member}",
        "/api/v1/decisions/symposium-2024.plan/positions/320000",
        Some(r#"{"stance":"object"}"#),
        [401, 403, 409, 403, 403, 403, 403, 403, 403],
    ),
    // The forms.
    row(
        "GET",
        "/{lang}/meetings/new",
        "/zh/meetings/new?body=group-a",
        None,
        [401, 403, 403, 200, 403, 200, 403, 403, 403],
    ),
    row(
        "POST",
        "/{lang}/meetings",
        "/zh/meetings",
        Some(
            "csrf={csrf}&body=group-a&key=gf-{profile}&title_zh=%E5%B0%8F%E7%BB%84&start_date=2026-09",
        ),
        GROUP_RECORDERS_303,
    ),
    row(
        "POST",
        "/{lang}/meetings/{key}/agenda",
        "/en/meetings/ga-agenda-{profile}/agenda",
        Some("csrf={csrf}&version=1&agenda_zh_1=%E8%AE%AE%E7%A8%8B&agenda_en_1=Item"),
        GROUP_RECORDERS_303,
    ),
    row(
        "POST",
        "/{lang}/meetings/{key}/decisions",
        "/zh/meetings/{group-meeting}/decisions",
        Some("csrf={csrf}&title_zh=%E8%AE%AE%E9%A2%98&kind=other"),
        GROUP_RECORDERS_303,
    ),
    row(
        "POST",
        "/{lang}/meetings/{key}/close",
        "/zh/meetings/ga-form-close-{profile}/close",
        Some("csrf={csrf}&closed_on=2026-05-01"),
        GROUP_RECORDERS_303,
    ),
    row(
        "POST",
        "/{lang}/decisions/{key}/positions",
        "/en/decisions/{scheduled-decision}/positions",
        Some("csrf={csrf}&member=320000&stance=consent"),
        [401, 403, 303, 403, 403, 403, 403, 403, 403],
    ),
];

fn details(title: &str, start: &str) -> Result<MeetingDetails, Failed> {
    Ok(MeetingDetails {
        title: Text::new(title, ""),
        start: start
            .parse::<PartialDate>()
            .map_err(|e| fail("a start date", e))?,
        end: None,
        host: None,
        host_reason: Text::default(),
        theme: Text::default(),
        agenda: Vec::new(),
        documents: Vec::new(),
    })
}

async fn schedule(app: &TestApp, body: &str, key: &str, start: &str) -> Result<(), Failed> {
    app.store
        .schedule_meeting(
            &setup_author(),
            &NewMeeting {
                body: body.into(),
                key: Some(key.into()),
                details: details("会议", start)?,
            },
        )
        .await
        .map_err(|e| fail(&format!("scheduling {key}"), e))?;
    Ok(())
}

/// Schedules the symposium's 2026 meeting with one decision (on plan-a) that Shanghai and
/// Zhejiang consented to and Jiangsu in principle, as the 2024 one has; returns the
/// decision's key. For cases that need a decision that still takes positions.
pub async fn scheduled_decision(app: &TestApp) -> Result<String, Failed> {
    schedule(app, "symposium", "symposium-2026", "2026-06-05").await?;
    let key = app
        .store
        .add_decision(
            &setup_author(),
            "symposium-2026",
            None,
            &NewDecision {
                title: Text::new("审议行动计划", "Consider the action plan"),
                subject: DecisionSubject::AdoptPlan {
                    plan: "plan-a".into(),
                },
                supersedes: None,
            },
        )
        .await
        .map_err(|e| fail("adding a decision", e))?;
    for (member, stance) in [
        (SH, Stance::Consent),
        (JS, Stance::ConsentInPrinciple),
        (ZJ, Stance::Consent),
    ] {
        app.store
            .record_position(
                &setup_author(),
                &key,
                code(member),
                stance,
                &Text::default(),
            )
            .await
            .map_err(|e| fail("recording a position", e))?;
    }
    Ok(key)
}

/// Adds what this part's matrix rows need to the synthetic fixture (whose group `group-a`
/// the matrix adds first); returns the placeholders its rows use and their values.
pub async fn setup(app: &TestApp) -> Result<Vec<(&'static str, String)>, Failed> {
    let decision = scheduled_decision(app).await?;
    schedule(app, "group-a", "ga-matrix", "2026-02").await?;
    // A meeting of its own per profile for the rows that close or edit under a version.
    for profile in PROFILES {
        for prefix in ["ga-close", "ga-agenda", "ga-form-close"] {
            schedule(app, "group-a", &format!("{prefix}-{profile}"), "2026-01").await?;
        }
    }
    Ok(vec![
        ("{group-meeting}", "ga-matrix".into()),
        ("{scheduled-decision}", decision),
    ])
}

/// A signed-in browser: its cookie and the session's CSRF token.
struct Browser {
    cookie: String,
    csrf: String,
}

impl Browser {
    fn headers(&self) -> Vec<(&'static str, String)> {
        vec![
            ("cookie", self.cookie.clone()),
            ("x-csrf-token", self.csrf.clone()),
        ]
    }

    fn with_if_match(&self, tag: &str) -> Vec<(&'static str, String)> {
        let mut headers = self.headers();
        headers.push(("if-match", tag.to_owned()));
        headers
    }
}

/// Creates a user with `roles` and signs them in.
async fn sign_in(app: &TestApp, name: &str, roles: &[(Role, Scope)]) -> Result<Browser, Failed> {
    let (cookie, csrf) = with_session(app, name, roles).await?;
    Ok(Browser { cookie, csrf })
}

async fn office(app: &TestApp) -> Result<Browser, Failed> {
    sign_in(app, "office", &[(Role::OfficeStaff, Scope::Region)]).await
}

async fn coordinator(app: &TestApp, member: &str) -> Result<Browser, Failed> {
    sign_in(
        app,
        &format!("coordinator-{member}"),
        &[(Role::MemberCoordinator, Scope::Jurisdiction(code(member)))],
    )
    .await
}

fn json_body(value: &Value) -> Option<(&'static str, Vec<u8>)> {
    Some(("application/json", value.to_string().into_bytes()))
}

fn form_body(fields: &[(&str, &str)]) -> Option<(&'static str, Vec<u8>)> {
    let encoded = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(fields)
        .finish();
    Some(("application/x-www-form-urlencoded", encoded.into_bytes()))
}

fn body_text(reply: &Reply) -> String {
    String::from_utf8_lossy(&reply.body).into_owned()
}

/// Sends and expects `status`, returning the reply.
async fn expect(
    app: &TestApp,
    method: &str,
    path: &str,
    headers: &[(&str, String)],
    body: Option<(&str, Vec<u8>)>,
    status: u16,
) -> Result<Reply, Failed> {
    let reply = app.send(method, path, headers, body).await?;
    ensure_eq!(
        reply.status,
        status,
        "{method} {path}: {}",
        body_text(&reply)
    );
    Ok(reply)
}

/// The history of a record, oldest first, as a signed-in reader sees it.
async fn history(app: &TestApp, who: &Browser, record: &str) -> Result<Vec<Value>, Failed> {
    let reply = expect(
        app,
        "GET",
        &format!("/api/v1/history?record={record}"),
        &who.headers(),
        None,
        200,
    )
    .await?;
    Ok(reply.json()?["items"]
        .as_array()
        .cloned()
        .unwrap_or_default())
}

/// The actions of a history, in order, each checked to say who and when.
fn actions(entries: &[Value], record: &str) -> Result<Vec<String>, Failed> {
    entries
        .iter()
        .map(|e| {
            ensure!(
                e["actor"].as_str().is_some_and(|a| !a.is_empty())
                    && e["at"].as_str().is_some_and(|a| a.contains('T')),
                "{record}: an entry without who or when: {e}"
            );
            Ok(e["action"].as_str().unwrap_or_default().to_owned())
        })
        .collect()
}

fn decision<'a>(meeting: &'a Value, key: &str) -> Result<&'a Value, Failed> {
    meeting["decisions"]
        .as_array()
        .and_then(|ds| ds.iter().find(|d| d["key"] == key))
        .ok_or_else(|| Failed::from(format!("no decision {key} in {meeting}")))
}

async fn the_rotation_proposes_the_host_and_another_one_needs_a_reason(
    app: TestApp,
) -> Result<(), Failed> {
    let office = office(&app).await?;
    let new = json!({
        "body": "symposium",
        "title": {"zh": "2026年度主要领导座谈会", "en": "2026 symposium"},
        "start_date": "2026-06-05",
        "end_date": null,
        "host": null,
        "host_reason": null,
        "theme": {"zh": "一体化", "en": "Integration"},
        "agenda": [{"zh": "审议工作计划", "en": "The work plan"}],
        "documents": [{"title": {"zh": "计划草案", "en": "Draft plan"}, "url": "https://example.org/draft.pdf"}],
        "key": null
    });
    let created = expect(
        &app,
        "POST",
        "/api/v1/meetings",
        &office.headers(),
        json_body(&new),
        201,
    )
    .await?;
    ensure_eq!(
        created.header("location"),
        Some("/api/v1/meetings/symposium-2026"),
        "Location"
    );
    let meeting = created.json()?;
    // After Wenzhou (Zhejiang) comes Jiangsu.
    ensure_eq!(meeting["key"], json!("symposium-2026"), "the default key");
    ensure_eq!(meeting["state"], json!("scheduled"), "state");
    ensure_eq!(meeting["host"]["code"], json!(JS), "host: {meeting}");
    ensure_eq!(meeting["proposed_host"]["code"], json!(JS), "proposed");
    ensure_eq!(meeting["host_reason"], Value::Null, "no reason needed");
    ensure_eq!(meeting["version"], json!(1), "version");
    ensure_eq!(meeting["closed_on"], Value::Null, "not closed");
    ensure_eq!(
        meeting["documents"],
        json!([{"title": "计划草案", "url": "https://example.org/draft.pdf"}]),
        "documents"
    );
    ensure_eq!(meeting["agenda"], json!(["审议工作计划"]), "agenda");
    let read = app.get("/api/v1/meetings/symposium-2026?lang=en").await?;
    ensure_eq!(read.status, 200, "GET");
    ensure!(
        read.header("etag")
            .is_some_and(|t| t.starts_with("\"v1.en.")),
        "a versioned ETag: {:?}",
        read.header("etag")
    );
    ensure_eq!(read.json()?["theme"], json!("Integration"), "theme in en");
    let list = app.json("/api/v1/meetings?body=symposium").await?;
    ensure_eq!(
        list["items"][0]["state"],
        json!("scheduled"),
        "the list shows the state: {list}"
    );
    ensure_eq!(
        list["items"][1]["state"],
        json!("closed"),
        "the dataset's meeting is closed"
    );

    // The same default key again is taken.
    expect(
        &app,
        "POST",
        "/api/v1/meetings",
        &office.headers(),
        json_body(&new),
        409,
    )
    .await?
    .expect_problem(409, None)?;

    // Another host needs a reason; a city of the proposed member does not.
    let mut other = new.clone();
    other["key"] = json!("symposium-2026-zj");
    other["host"] = json!(ZJ);
    expect(
        &app,
        "POST",
        "/api/v1/meetings",
        &office.headers(),
        json_body(&other),
        422,
    )
    .await?
    .expect_problem(422, Some("host_reason"))?;
    other["host_reason"] = json!({"zh": "配合重大活动", "en": "A major event there"});
    let moved = expect(
        &app,
        "POST",
        "/api/v1/meetings",
        &office.headers(),
        json_body(&other),
        201,
    )
    .await?
    .json()?;
    ensure_eq!(moved["host"]["code"], json!(ZJ), "the host asked for");
    ensure_eq!(moved["host_reason"], json!("配合重大活动"), "the reason");
    let en = app
        .json("/api/v1/meetings/symposium-2026-zj?lang=en")
        .await?;
    ensure_eq!(
        en["host_reason"],
        json!("A major event there"),
        "the reason in English"
    );
    let page = app.get("/en/meetings/symposium-2026-zj").await?;
    ensure!(
        body_text(&page).contains("A major event there"),
        "the page shows the reason"
    );
    // (Dated before the meetings above, so that Jiangsu is still the rotation's turn.)
    let mut proposed = new.clone();
    proposed["key"] = json!("symposium-2025-js");
    proposed["start_date"] = json!("2025-12");
    proposed["host"] = json!(JS);
    proposed["host_reason"] = json!({"zh": "无需理由"});
    let kept = expect(
        &app,
        "POST",
        "/api/v1/meetings",
        &office.headers(),
        json_body(&proposed),
        201,
    )
    .await?
    .json()?;
    ensure_eq!(
        kept["host_reason"],
        Value::Null,
        "the proposed host has nothing to explain"
    );

    // Bad fields are named.
    for (field, change) in [
        ("start_date", json!({"start_date": "2026-13"})),
        ("end_date", json!({"end_date": "2026-06-01"})),
        ("title", json!({"title": {"zh": " "}})),
        ("body", json!({"body": "no-such-body"})),
        ("host", json!({"host": "33"})),
        ("host", json!({"host": "110000"})),
        ("key", json!({"key": "Not A Key"})),
        (
            "documents",
            json!({"documents": [{"title": {"zh": "文件"}, "url": "javascript:alert(1)"}]}),
        ),
        ("agenda", json!({"agenda": [{"zh": "", "en": ""}]})),
    ] {
        let mut bad = new.clone();
        bad["key"] = json!("symposium-bad");
        for (name, value) in change.as_object().into_iter().flatten() {
            bad[name] = value.clone();
        }
        expect(
            &app,
            "POST",
            "/api/v1/meetings",
            &office.headers(),
            json_body(&bad),
            422,
        )
        .await?
        .expect_problem(422, Some(field))?;
    }
    let mut unknown = new.clone();
    unknown["hostess"] = json!("x");
    expect(
        &app,
        "POST",
        "/api/v1/meetings",
        &office.headers(),
        json_body(&unknown),
        422,
    )
    .await?
    .expect_problem(422, Some("hostess"))?;
    expect(
        &app,
        "GET",
        "/api/v1/meetings/symposium-bad",
        &[],
        None,
        404,
    )
    .await?;

    // Scheduling is journalled, with who and when.
    let entries = history(&app, &office, "meeting/symposium-2026-zj").await?;
    ensure_eq!(
        actions(&entries, "meeting")?,
        vec!["schedule"],
        "the history"
    );
    ensure_eq!(entries[0]["actor"], json!("user:office"), "who");
    ensure_eq!(
        entries[0]["after"]["host"],
        json!(ZJ),
        "the host in the entry"
    );
    ensure_eq!(
        entries[0]["after"]["host_reason"]["zh"],
        json!("配合重大活动"),
        "the reason in the entry"
    );
    Ok(())
}

/// Imports a draft work plan for the symposium to adopt.
async fn add_draft_plan(app: &TestApp, key: &str) -> Result<(), Failed> {
    let mut dataset = (*app.dataset).clone();
    let mut plan: Plan = dataset.plans[0].clone();
    plan.key = key.into();
    plan.kind = PlanKind::WorkPlan;
    plan.stage = PlanStage::Draft;
    plan.adopted_on = None;
    plan.parent = Some("plan-a".into());
    plan.period_start = 2026;
    plan.period_end = 2026;
    dataset.plans.push(plan);
    app.store
        .import(&setup_author(), &dataset)
        .await
        .map_err(|e| fail("adding a draft plan", e))?;
    Ok(())
}

async fn positions_follow_consensus_until_closing_freezes_and_carries_them_out(
    app: TestApp,
) -> Result<(), Failed> {
    add_draft_plan(&app, "work-plan-2026").await?;
    let office = office(&app).await?;
    let created = expect(
        &app,
        "POST",
        "/api/v1/meetings",
        &office.headers(),
        json_body(&json!({
            "body": "symposium",
            "title": {"zh": "2026年度座谈会", "en": "2026 symposium"},
            "start_date": "2026-06-05"
        })),
        201,
    )
    .await?
    .json()?;
    let key = created["key"].as_str().ok_or("a key")?.to_owned();
    let add = |title: &str, subject: Value| json!({"title": {"zh": title}, "subject": subject, "supersedes": null});
    let mut decisions = Vec::new();
    for (title, subject) in [
        (
            "审议2026年度工作计划",
            json!({"kind": "adopt_plan", "plan": "work-plan-2026"}),
        ),
        (
            "确定下次会议承办方",
            json!({"kind": "next_host", "host": SH}),
        ),
        ("其他事项", json!({"kind": "other"})),
    ] {
        let added = expect(
            &app,
            "POST",
            &format!("/api/v1/meetings/{key}/decisions"),
            &office.headers(),
            json_body(&add(title, subject)),
            201,
        )
        .await?
        .json()?;
        ensure_eq!(added["status"], json!("pending"), "a new item: {added}");
        ensure_eq!(added["outcome"], Value::Null, "no outcome while open");
        decisions.push(added["key"].as_str().ok_or("a decision key")?.to_owned());
    }
    ensure_eq!(
        decisions,
        vec![format!("{key}.1"), format!("{key}.2"), format!("{key}.3")],
        "decision keys"
    );
    let (plan, next, other) = (&decisions[0], &decisions[1], &decisions[2]);

    // The members' coordinators state their positions; the status follows live.
    let mut coordinators = Vec::new();
    for member in [SH, JS, ZJ, AH] {
        coordinators.push((member, coordinator(&app, member).await?));
    }
    let put = |decision: &str, member: &str, stance: &str| {
        (
            format!("/api/v1/decisions/{decision}/positions/{member}"),
            json!({"stance": stance, "comment": {"zh": "意见", "en": "Comment"}}),
        )
    };
    let mut version = 4; // scheduled (1) and three items added
    let steps: [(&str, &str, &str, &str); 9] = [
        (plan, SH, "consent", "pending"),
        (plan, JS, "consent_in_principle", "pending"),
        (plan, ZJ, "consent", "pending"),
        (plan, AH, "consent", "adopted_in_principle"),
        (next, SH, "consent", "pending"),
        (next, JS, "consent", "pending"),
        (next, ZJ, "object", "blocked"),
        (next, ZJ, "consent", "pending"),
        (next, AH, "consent", "adopted"),
    ];
    for (decision_key, member, stance, status) in steps {
        let who = &coordinators
            .iter()
            .find(|(m, _)| *m == member)
            .ok_or("a coordinator")?
            .1;
        let (path, body) = put(decision_key, member, stance);
        expect(&app, "PUT", &path, &who.headers(), json_body(&body), 204).await?;
        version += 1;
        let meeting = app.json(&format!("/api/v1/meetings/{key}")).await?;
        ensure_eq!(
            decision(&meeting, decision_key)?["status"],
            json!(status),
            "{decision_key} after {member} {stance}"
        );
        ensure_eq!(
            meeting["version"],
            json!(version),
            "each position increments the meeting's version"
        );
    }
    let (path, body) = put(other, ZJ, "object");
    let zj = &coordinators[2].1;
    expect(&app, "PUT", &path, &zj.headers(), json_body(&body), 204).await?;
    // A coordinator states only its own member's position.
    let (path, body) = put(other, SH, "consent");
    expect(&app, "PUT", &path, &zj.headers(), json_body(&body), 403).await?;

    // Closing under a stale version is refused and changes nothing.
    let read = app.get(&format!("/api/v1/meetings/{key}")).await?;
    let tag = read.header("etag").ok_or("an ETag")?.to_owned();
    let stale = tag.replacen(&format!("\"v{}.", version + 1), "\"v3.", 1);
    ensure!(stale != tag, "a stale tag from {tag}");
    expect(
        &app,
        "POST",
        &format!("/api/v1/meetings/{key}/close"),
        &office.with_if_match(&stale),
        json_body(&json!({"closed_on": "2026-06-06"})),
        409,
    )
    .await?
    .expect_problem(409, None)?;
    expect(
        &app,
        "POST",
        &format!("/api/v1/meetings/{key}/close"),
        &office.with_if_match(&tag),
        json_body(&json!({"closed_on": "2026-06-04"})),
        422,
    )
    .await?
    .expect_problem(422, Some("closed_on"))?;
    let closed = expect(
        &app,
        "POST",
        &format!("/api/v1/meetings/{key}/close"),
        &office.with_if_match(&tag),
        json_body(&json!({"closed_on": "2026-06-06"})),
        200,
    )
    .await?
    .json()?;
    ensure_eq!(
        closed["adopted_plans"],
        json!(["work-plan-2026"]),
        "adopted: {closed}"
    );
    ensure_eq!(
        closed["next_meeting"],
        json!("symposium-2027"),
        "the next meeting"
    );
    let meeting = &closed["meeting"];
    ensure_eq!(meeting["state"], json!("closed"), "closed");
    ensure_eq!(meeting["closed_on"], json!("2026-06-06"), "closed on");
    for (decision_key, outcome) in [
        (plan, "adopted_in_principle"),
        (next, "adopted"),
        (other, "blocked"),
    ] {
        let d = decision(meeting, decision_key)?;
        ensure_eq!(d["outcome"], json!(outcome), "{decision_key} frozen");
        ensure_eq!(d["status"], json!(outcome), "{decision_key} status");
    }

    // Positions are refused once closed, and nothing changes.
    let before = app.json(&format!("/api/v1/meetings/{key}")).await?;
    let (path, body) = put(other, ZJ, "consent");
    let refused = expect(&app, "PUT", &path, &zj.headers(), json_body(&body), 409)
        .await?
        .expect_problem(409, None)?;
    ensure!(
        refused["detail"]
            .as_str()
            .is_some_and(|d| d.contains("closed") && d.contains("supersede")),
        "a clear reason: {refused}"
    );
    let after = app.json(&format!("/api/v1/meetings/{key}")).await?;
    ensure_eq!(after, before, "a refused position changes nothing");
    // Nor can it be closed again, edited, or given another item.
    let closed_tag = app
        .get(&format!("/api/v1/meetings/{key}"))
        .await?
        .header("etag")
        .ok_or("an ETag")?
        .to_owned();
    expect(
        &app,
        "POST",
        &format!("/api/v1/meetings/{key}/close"),
        &office.headers(),
        None,
        409,
    )
    .await?;
    expect(
        &app,
        "PUT",
        &format!("/api/v1/meetings/{key}"),
        &office.with_if_match(&closed_tag),
        json_body(&json!({"title": {"zh": "改"}, "start_date": "2026-06-05"})),
        409,
    )
    .await?;
    expect(
        &app,
        "POST",
        &format!("/api/v1/meetings/{key}/decisions"),
        &office.headers(),
        json_body(&add("再议", json!({"kind": "other"}))),
        409,
    )
    .await?;

    // The plan is adopted on the meeting's date; the next meeting is scheduled at the host named.
    let plan_json = app.json("/api/v1/plans/work-plan-2026").await?;
    let plan_json = plan_json.get("plan").unwrap_or(&plan_json);
    ensure_eq!(plan_json["stage"], json!("adopted"), "the plan's stage");
    ensure_eq!(plan_json["adopted_on"], json!("2026-06-05"), "adopted on");
    let next_meeting = app.json("/api/v1/meetings/symposium-2027").await?;
    ensure_eq!(next_meeting["state"], json!("scheduled"), "scheduled");
    ensure_eq!(next_meeting["start"], json!("2027"), "next year");
    ensure_eq!(next_meeting["host"]["code"], json!(SH), "the host named");
    ensure_eq!(
        next_meeting["title"],
        json!("2027年度主要领导座谈会"),
        "its title"
    );
    let next_en = app.json("/api/v1/meetings/symposium-2027?lang=en").await?;
    ensure_eq!(
        next_en["title"],
        json!("2027 Main Leaders' Symposium"),
        "its English title"
    );
    // Shanghai is also the rotation's turn after Jiangsu: no reason to give.
    ensure_eq!(next_meeting["proposed_host"]["code"], json!(SH), "proposed");
    ensure_eq!(next_meeting["host_reason"], Value::Null, "no reason");

    // Every transition is in the histories, with who and when.
    let auditor = sign_in(&app, "auditor", &[(Role::Auditor, Scope::Region)]).await?;
    let meeting_history = history(&app, &auditor, &format!("meeting/{key}")).await?;
    ensure_eq!(
        actions(&meeting_history, "meeting")?,
        vec![
            "schedule",
            "add_decision",
            "add_decision",
            "add_decision",
            "close"
        ],
        "the meeting's history"
    );
    let close_entry = meeting_history.last().ok_or("a close entry")?;
    ensure_eq!(close_entry["actor"], json!("user:office"), "who closed");
    ensure_eq!(
        close_entry["after"]["outcomes"][other.as_str()],
        json!("blocked"),
        "outcomes in the entry: {close_entry}"
    );
    let plan_history = history(&app, &auditor, &format!("decision/{plan}")).await?;
    ensure_eq!(
        actions(&plan_history, "decision")?,
        vec![
            "record_position",
            "record_position",
            "record_position",
            "record_position",
            "freeze"
        ],
        "the decision's history"
    );
    ensure_eq!(
        plan_history[1]["actor"],
        json!(format!("user:coordinator-{JS}")),
        "who stated Jiangsu's position"
    );
    ensure_eq!(
        plan_history[4]["after"]["outcome"],
        json!("adopted_in_principle"),
        "the frozen outcome"
    );
    let adopted = history(&app, &auditor, "plan/work-plan-2026").await?;
    let adoption = adopted
        .iter()
        .find(|e| e["action"] == "adopt")
        .ok_or("an adopt entry")?;
    ensure_eq!(adoption["actor"], json!("user:office"), "who adopted");
    ensure_eq!(
        adoption["after"]["decision"],
        json!(plan),
        "by which decision"
    );
    ensure_eq!(adoption["before"]["stage"], json!("draft"), "from draft");
    let scheduled = history(&app, &auditor, "meeting/symposium-2027").await?;
    ensure_eq!(
        actions(&scheduled, "meeting")?,
        vec!["schedule"],
        "the next meeting's history"
    );
    ensure_eq!(
        scheduled[0]["after"]["decision"],
        json!(next),
        "scheduled by the decision"
    );
    Ok(())
}

async fn a_later_decision_supersedes_a_closed_one_and_bad_items_name_their_field(
    app: TestApp,
) -> Result<(), Failed> {
    let office = office(&app).await?;
    schedule(&app, "symposium", "symposium-2026", "2026-06").await?;
    // The dataset's 2024 decision is closed: a later one can supersede it.
    let added = expect(
        &app,
        "POST",
        "/api/v1/meetings/symposium-2026/decisions",
        &office.headers(),
        json_body(&json!({
            "title": {"zh": "修订行动计划", "en": "Revise the action plan"},
            "subject": {"kind": "adopt_plan", "plan": "plan-a"},
            "supersedes": "symposium-2024.plan"
        })),
        201,
    )
    .await?
    .json()?;
    ensure_eq!(
        added["supersedes"],
        json!("symposium-2024.plan"),
        "supersedes: {added}"
    );
    ensure_eq!(added["subject"]["plan"], json!("plan-a"), "subject");
    let meeting = app.json("/api/v1/meetings/symposium-2026").await?;
    ensure_eq!(
        decision(&meeting, "symposium-2026.1")?["supersedes"],
        json!("symposium-2024.plan"),
        "shown on the meeting"
    );
    // The dataset's decision keeps its positions and shows the status they give as outcome.
    let old = app.json("/api/v1/meetings/symposium-2024").await?;
    let old_decision = decision(&old, "symposium-2024.plan")?;
    ensure_eq!(old["state"], json!("closed"), "the dataset's meeting");
    ensure_eq!(
        old_decision["outcome"],
        old_decision["status"],
        "a dataset decision's outcome: {old_decision}"
    );
    ensure_eq!(
        old_decision["outcome"],
        json!("pending"),
        "Anhui never answered"
    );

    // Items that name what does not exist, or cannot be superseded, are refused by field.
    schedule(&app, "symposium", "symposium-2027", "2027").await?;
    for (field, body) in [
        (
            "subject.plan",
            json!({"title": {"zh": "x"}, "subject": {"kind": "adopt_plan", "plan": "no-such-plan"}}),
        ),
        (
            "subject.plan",
            json!({"title": {"zh": "x"}, "subject": {"kind": "adopt_plan"}}),
        ),
        (
            "subject.host",
            json!({"title": {"zh": "x"}, "subject": {"kind": "next_host", "host": "110000"}}),
        ),
        (
            "subject.host",
            json!({"title": {"zh": "x"}, "subject": {"kind": "next_host", "host": "11"}}),
        ),
        (
            "subject.kind",
            json!({"title": {"zh": "x"}, "subject": {"kind": "vote"}}),
        ),
        (
            "supersedes",
            json!({"title": {"zh": "x"}, "subject": {"kind": "other"}, "supersedes": "no-such-decision"}),
        ),
        // A decision of a meeting still open is changed there, not superseded.
        (
            "supersedes",
            json!({"title": {"zh": "x"}, "subject": {"kind": "other"}, "supersedes": "symposium-2026.1"}),
        ),
        (
            "title",
            json!({"title": {"zh": "", "en": " "}, "subject": {"kind": "other"}}),
        ),
    ] {
        expect(
            &app,
            "POST",
            "/api/v1/meetings/symposium-2027/decisions",
            &office.headers(),
            json_body(&body),
            422,
        )
        .await?
        .expect_problem(422, Some(field))?;
    }
    let untouched = app.json("/api/v1/meetings/symposium-2027").await?;
    ensure_eq!(untouched["decisions"], json!([]), "nothing was added");
    ensure_eq!(untouched["version"], json!(1), "nor the version changed");
    expect(
        &app,
        "POST",
        "/api/v1/meetings/no-such-meeting/decisions",
        &office.headers(),
        json_body(&json!({"title": {"zh": "x"}, "subject": {"kind": "other"}})),
        404,
    )
    .await?;
    Ok(())
}

async fn edits_name_the_version_they_read(app: TestApp) -> Result<(), Failed> {
    let office = office(&app).await?;
    schedule(&app, "symposium", "symposium-2026", "2026-06").await?;
    let path = "/api/v1/meetings/symposium-2026";
    let edit = json!({
        "title": {"zh": "2026年度座谈会", "en": "2026 symposium"},
        "start_date": "2026-06-05",
        "end_date": "2026-06-06",
        "agenda": [{"zh": "审议", "en": "Consider"}],
        "documents": [{"title": {"en": "Draft"}, "url": "https://example.org/d"}]
    });
    expect(&app, "PUT", path, &office.headers(), json_body(&edit), 428)
        .await?
        .expect_problem(428, None)?;
    expect(
        &app,
        "PUT",
        path,
        &office.with_if_match("yesterday"),
        json_body(&edit),
        422,
    )
    .await?
    .expect_problem(422, Some("If-Match"))?;
    let tag = app
        .get(path)
        .await?
        .header("etag")
        .ok_or("an ETag")?
        .to_owned();
    ensure!(tag.starts_with("\"v1."), "{tag}");
    // Two edits from the same read: the first wins, the second is told to reload.
    let edited = expect(
        &app,
        "PUT",
        path,
        &office.with_if_match(&tag),
        json_body(&edit),
        200,
    )
    .await?;
    ensure!(
        edited
            .header("etag")
            .is_some_and(|t| t.starts_with("\"v2.")),
        "the new version's tag: {:?}",
        edited.header("etag")
    );
    let mut second = edit.clone();
    second["title"] = json!({"zh": "被覆盖的标题"});
    expect(
        &app,
        "PUT",
        path,
        &office.with_if_match(&tag),
        json_body(&second),
        409,
    )
    .await?
    .expect_problem(409, None)?;
    let now = app.json(path).await?;
    ensure_eq!(
        now["title"],
        json!("2026年度座谈会"),
        "the first edit stands"
    );
    ensure_eq!(now["end"], json!("2026-06-06"), "end");
    ensure_eq!(now["agenda"], json!(["审议"]), "agenda");
    ensure_eq!(now["version"], json!(2), "version");
    // Bad fields are named, whatever the version.
    let current = app
        .get(path)
        .await?
        .header("etag")
        .ok_or("an ETag")?
        .to_owned();
    let mut bad = edit.clone();
    bad["start_date"] = json!("June");
    expect(
        &app,
        "PUT",
        path,
        &office.with_if_match(&current),
        json_body(&bad),
        422,
    )
    .await?
    .expect_problem(422, Some("start_date"))?;
    let mut with_body = edit.clone();
    with_body["body"] = json!("symposium");
    expect(
        &app,
        "PUT",
        path,
        &office.with_if_match(&current),
        json_body(&with_body),
        422,
    )
    .await?
    .expect_problem(422, Some("body"))?;
    // The edit is journalled with only what changed.
    let entries = history(&app, &office, "meeting/symposium-2026").await?;
    ensure_eq!(
        actions(&entries, "meeting")?,
        vec!["schedule", "edit"],
        "the history"
    );
    let change = &entries[1];
    ensure_eq!(change["actor"], json!("user:office"), "who");
    ensure_eq!(
        change["before"]["start_date"],
        json!("2026-06"),
        "before: {change}"
    );
    ensure_eq!(change["after"]["start_date"], json!("2026-06-05"), "after");
    ensure_eq!(change["after"]["version"], json!(2), "the version");
    ensure!(
        change["after"].get("host").is_none(),
        "an unchanged field is left out: {change}"
    );
    // Not the symposium's recorder: refused before anything else.
    let js = coordinator(&app, JS).await?;
    expect(
        &app,
        "PUT",
        path,
        &js.with_if_match(&current),
        json_body(&edit),
        403,
    )
    .await?;
    Ok(())
}

async fn the_forms_run_a_meeting_over_http(app: TestApp) -> Result<(), Failed> {
    add_draft_plan(&app, "work-plan-2026").await?;
    let office = office(&app).await?;
    let js = coordinator(&app, JS).await?;
    let cookie = |b: &Browser| vec![("cookie", b.cookie.clone())];

    // The list offers the office the schedule form; the form proposes Jiangsu.
    let list = expect(&app, "GET", "/en/meetings", &cookie(&office), None, 200).await?;
    ensure!(
        body_text(&list).contains("/en/meetings/new?body=symposium"),
        "the list links to the schedule form"
    );
    let visitor_list = app.get("/en/meetings").await?;
    ensure!(
        !body_text(&visitor_list).contains("/meetings/new"),
        "no link for visitors"
    );
    let form = expect(
        &app,
        "GET",
        "/zh/meetings/new?body=symposium",
        &cookie(&office),
        None,
        200,
    )
    .await?;
    let form = body_text(&form);
    ensure!(
        form.contains(r#"<option value="320000" selected>"#),
        "the proposed host is selected"
    );
    ensure!(
        form.contains(&format!(r#"name="csrf" value="{}""#, office.csrf)),
        "the form carries the session's token"
    );
    expect(
        &app,
        "GET",
        "/en/meetings/new?body=symposium",
        &cookie(&js),
        None,
        403,
    )
    .await?;

    // Schedule.
    let scheduled = expect(
        &app,
        "POST",
        "/zh/meetings",
        &cookie(&office),
        form_body(&[
            ("csrf", &office.csrf),
            ("body", "symposium"),
            ("title_zh", "2026年度座谈会"),
            ("title_en", "2026 symposium"),
            ("start_date", "2026-06-05"),
            ("host", "320000"),
            ("host_reason_zh", ""),
            ("agenda_zh_1", "审议工作计划"),
            ("agenda_en_1", ""),
            ("doc_title_zh_1", "计划草案"),
            ("doc_url_1", "https://example.org/draft.pdf"),
        ]),
        303,
    )
    .await?;
    ensure_eq!(
        scheduled.header("location"),
        Some("/zh/meetings/symposium-2026"),
        "on to the meeting"
    );
    let meeting = app.json("/api/v1/meetings/symposium-2026").await?;
    ensure_eq!(meeting["host"]["code"], json!(JS), "host");
    let list = body_text(&app.get("/en/meetings").await?);
    ensure!(
        list.contains(r#"symposium-2026">2026 symposium</a>"#)
            && list.contains(r#"<strong class="badge">Scheduled</strong>"#),
        "the list marks the scheduled meeting"
    );
    ensure_eq!(meeting["agenda"], json!(["审议工作计划"]), "agenda");
    // Another host without a reason is refused, naming the field, on a page.
    let refused = expect(
        &app,
        "POST",
        "/en/meetings",
        &cookie(&office),
        form_body(&[
            ("csrf", &office.csrf),
            ("body", "symposium"),
            ("key", "symposium-elsewhere"),
            ("title_en", "Elsewhere"),
            ("start_date", "2026-07"),
            ("host", "340000"),
        ]),
        422,
    )
    .await?;
    ensure!(
        body_text(&refused).contains("host_reason"),
        "the failure page names the field"
    );

    // The page offers the office its forms, with the version.
    let page = expect(
        &app,
        "GET",
        "/zh/meetings/symposium-2026",
        &cookie(&office),
        None,
        200,
    )
    .await?;
    let page = body_text(&page);
    for part in [
        "/zh/meetings/symposium-2026/agenda",
        "/zh/meetings/symposium-2026/decisions",
        "/zh/meetings/symposium-2026/close",
        r#"name="version" value="1""#,
    ] {
        ensure!(page.contains(part), "the page lacks {part}");
    }
    ensure!(
        !page.contains("/positions"),
        "no position form for the office"
    );

    // Agenda and documents, under the version shown; a stale one is refused.
    expect(
        &app,
        "POST",
        "/zh/meetings/symposium-2026/agenda",
        &cookie(&office),
        form_body(&[
            ("csrf", &office.csrf),
            ("version", "1"),
            ("agenda_zh_1", "审议工作计划"),
            ("agenda_zh_2", "确定下次会议"),
            ("agenda_en_2", "The next meeting"),
            ("doc_title_en_1", "Draft plan"),
            ("doc_url_1", "https://example.org/plan.pdf"),
        ]),
        303,
    )
    .await?;
    expect(
        &app,
        "POST",
        "/zh/meetings/symposium-2026/agenda",
        &cookie(&office),
        form_body(&[("csrf", &office.csrf), ("version", "1")]),
        409,
    )
    .await?;
    let meeting = app.json("/api/v1/meetings/symposium-2026?lang=en").await?;
    ensure_eq!(
        meeting["agenda"],
        json!(["审议工作计划", "The next meeting"]),
        "agenda"
    );
    ensure_eq!(
        meeting["documents"],
        json!([{"title": "Draft plan", "url": "https://example.org/plan.pdf"}]),
        "documents"
    );
    ensure_eq!(meeting["host"]["code"], json!(JS), "the host kept");

    // A decision item.
    expect(
        &app,
        "POST",
        "/zh/meetings/symposium-2026/decisions",
        &cookie(&office),
        form_body(&[
            ("csrf", &office.csrf),
            ("title_zh", "审议2026年度工作计划"),
            ("kind", "adopt_plan"),
            ("plan", "work-plan-2026"),
            ("host", ""),
            ("supersedes", ""),
        ]),
        303,
    )
    .await?;
    let meeting = app.json("/api/v1/meetings/symposium-2026").await?;
    ensure_eq!(
        meeting["decisions"][0]["subject"]["plan"],
        json!("work-plan-2026"),
        "the item: {meeting}"
    );

    // Jiangsu's coordinator sees a position form for Jiangsu only, and states it.
    let page = expect(
        &app,
        "GET",
        "/en/meetings/symposium-2026",
        &cookie(&js),
        None,
        200,
    )
    .await?;
    let page = body_text(&page);
    ensure!(
        page.contains(r#"name="member" value="320000""#)
            && !page.contains(r#"name="member" value="330000""#),
        "one position form, Jiangsu's"
    );
    ensure!(
        !page.contains("/agenda"),
        "no organiser's forms for a coordinator"
    );
    let stated = expect(
        &app,
        "POST",
        "/en/decisions/symposium-2026.1/positions",
        &cookie(&js),
        form_body(&[
            ("csrf", &js.csrf),
            ("member", JS),
            ("stance", "consent_in_principle"),
            ("comment_zh", "原则同意"),
        ]),
        303,
    )
    .await?;
    ensure_eq!(
        stated.header("location"),
        Some("/en/meetings/symposium-2026"),
        "back to the meeting"
    );
    // Without the CSRF field, refused and nothing changes.
    let before = app.json("/api/v1/meetings/symposium-2026").await?;
    expect(
        &app,
        "POST",
        "/en/decisions/symposium-2026.1/positions",
        &cookie(&js),
        form_body(&[("member", JS), ("stance", "object")]),
        403,
    )
    .await?;
    expect(
        &app,
        "POST",
        "/zh/meetings/symposium-2026/close",
        &cookie(&office),
        form_body(&[("closed_on", "2026-06-06")]),
        403,
    )
    .await?;
    expect(
        &app,
        "POST",
        "/zh/meetings",
        &cookie(&office),
        form_body(&[
            ("body", "symposium"),
            ("key", "symposium-forged"),
            ("title_zh", "伪造"),
            ("start_date", "2026"),
        ]),
        403,
    )
    .await?;
    ensure_eq!(
        app.json("/api/v1/meetings/symposium-2026").await?,
        before,
        "refused forms change nothing"
    );
    expect(
        &app,
        "GET",
        "/api/v1/meetings/symposium-forged",
        &[],
        None,
        404,
    )
    .await?;
    let position = &before["decisions"][0]["positions"][1];
    ensure_eq!(position["jurisdiction"]["code"], json!(JS), "Jiangsu");
    ensure_eq!(
        position["stance"],
        json!("consent_in_principle"),
        "the stance"
    );
    ensure_eq!(position["comment"], json!("原则同意"), "the comment");

    // Close, under the version shown.
    let version = before["version"].to_string();
    expect(
        &app,
        "POST",
        "/zh/meetings/symposium-2026/close",
        &cookie(&office),
        form_body(&[
            ("csrf", &office.csrf),
            ("version", &version),
            ("closed_on", "2026-06-06"),
        ]),
        303,
    )
    .await?;
    let meeting = app.json("/api/v1/meetings/symposium-2026").await?;
    ensure_eq!(meeting["state"], json!("closed"), "closed");
    ensure_eq!(
        meeting["decisions"][0]["outcome"],
        json!("pending"),
        "three members never answered"
    );
    // A closed meeting shows its frozen outcomes and no forms.
    for who in [&office, &js] {
        let page = expect(
            &app,
            "GET",
            "/en/meetings/symposium-2026",
            &cookie(who),
            None,
            200,
        )
        .await?;
        let page = body_text(&page);
        ensure!(
            !page.contains("<form method=\"post\" action=\"/en/meetings/symposium-2026")
                && !page.contains("/positions\""),
            "no forms on a closed meeting"
        );
        ensure!(
            page.contains("Outcome") && page.contains("Closed"),
            "the frozen outcome is shown"
        );
    }
    let late = expect(
        &app,
        "POST",
        "/en/decisions/symposium-2026.1/positions",
        &cookie(&js),
        form_body(&[("csrf", &js.csrf), ("member", JS), ("stance", "consent")]),
        409,
    )
    .await?;
    ensure!(
        body_text(&late).contains("closed"),
        "the failure page gives the reason"
    );
    Ok(())
}
