//! Problems raised on matters, escalated through the tiers and resolved by the tier that holds
//! them: over the API, the overdue sweep, and the page forms with a session.

use libtest_mimic::Failed;
use serde_json::{Value, json};
use time::macros::date;
use yrd_domain::access::{Role, Scope};
use yrd_domain::{Dataset, Problem, Text, Tier};
use yrd_store::{Author, Escalation, NewProblem};

use crate::access::{ALL_200, DRAFT_SEEN, Row, row};
use crate::app::{Reply, TestApp};
use crate::fixtures::{JS, ZJ, code};
use crate::people::{PROFILES, setup_author, with_session};
use crate::{ensure, ensure_eq, fail};

crate::cases!(
    a_member_raises_a_problem_on_its_own_matter_only,
    open_problems_are_listed_by_tier_then_age_with_exact_ages,
    a_coordinator_escalates_and_the_coordination_tier_resolves,
    the_overdue_sweep_moves_exactly_the_overdue_ones,
    forms_raise_escalate_and_resolve_with_a_session,
    the_problem_list_page_shows_a_page_at_a_time,
);

/// The coordination-tier body the cases add to the synthetic fixture (which has only the
/// symposium), whose secretary decides on problems escalated to that tier.
const JOINT: &str = "joint-meeting";

const RAISE: &str = r#"{"title":{"zh":"资金缺口","en":"Funding gap"},"due_date":"2030-12-31"}"#;
const RAISE_FORM: &str = "csrf={csrf}&title_en=Funding+gap&due_date=2030-12-31";
/// Expectations of a change only region-wide office staff may make.
const OFFICE_ONLY: [u16; 9] = [401, 403, 403, 200, 403, 403, 403, 403, 403];

/// This part's rows of the authorization matrix. `mx-…-{profile}` problems are each
/// profile's own, so every profile's step meets the problem in the state the row expects.
pub const ROWS: &[Row] = &[
    // Raising: anyone with a role on the matter. m-tech is Shanghai's, with Jiangsu taking
    // part; m-new Zhejiang's; m-draft the group's draft, led by Jiangsu.
    row(
        "POST",
        "/api/v1/matters/{key}/problems",
        "/api/v1/matters/m-tech/problems",
        Some(RAISE),
        [401, 201, 201, 201, 403, 403, 403, 403, 403],
    ),
    row(
        "POST",
        "/api/v1/matters/{key}/problems",
        "/api/v1/matters/m-new/problems",
        Some(RAISE),
        [401, 403, 403, 201, 403, 403, 403, 403, 403],
    ),
    row(
        "POST",
        "/api/v1/matters/{key}/problems",
        "/api/v1/matters/m-draft/problems",
        Some(RAISE),
        [404, 404, 404, 201, 201, 201, 404, 404, 403],
    ),
    // Reading: public, except problems on drafts.
    row(
        "GET",
        "/api/v1/problems",
        "/api/v1/problems?tier=execution&as_of=2026-06-30",
        None,
        ALL_200,
    ),
    row(
        "GET",
        "/api/v1/problems/{key}",
        "/api/v1/problems/mx-open",
        None,
        ALL_200,
    ),
    row(
        "GET",
        "/api/v1/problems/{key}",
        "/api/v1/problems/mx-draft",
        None,
        DRAFT_SEEN,
    ),
    // Escalation on request: the office, the holding tier, or a coordinator of a member of
    // the matter; past the decision tier, a conflict for those allowed to ask.
    row(
        "POST",
        "/api/v1/problems/{key}/escalate",
        "/api/v1/problems/mx-esc-{profile}/escalate",
        Some(r#"{"reason":{"en":"Needs the joint meeting"}}"#),
        [401, 403, 200, 200, 403, 403, 403, 403, 403],
    ),
    row(
        "POST",
        "/api/v1/problems/{key}/escalate",
        "/api/v1/problems/mx-top/escalate",
        Some("{}"),
        [401, 403, 409, 409, 403, 403, 403, 403, 403],
    ),
    // Resolution by the tier that holds it: at the execution tier the office (m-tech has no
    // responsible body), of a draft also the group's office and secretary; at the
    // coordination tier only the joint meeting's secretary, whom no profile is.
    row(
        "POST",
        "/api/v1/problems/{key}/resolve",
        "/api/v1/problems/mx-res-{profile}/resolve",
        Some(r#"{"resolution":{"zh":"已协调解决"}}"#),
        OFFICE_ONLY,
    ),
    row(
        "POST",
        "/api/v1/problems/{key}/resolve",
        "/api/v1/problems/mx-dres-{profile}/resolve",
        Some(r#"{"resolution":{"zh":"已协调解决"}}"#),
        [404, 404, 404, 200, 200, 200, 404, 404, 403],
    ),
    row(
        "POST",
        "/api/v1/problems/{key}/resolve",
        "/api/v1/problems/mx-coord/resolve",
        Some(r#"{"resolution":{"zh":"已协调解决"}}"#),
        [401, 403, 403, 403, 403, 403, 403, 403, 403],
    ),
    // Pages.
    row("GET", "/{lang}/problems", "/zh/problems", None, ALL_200),
    row(
        "GET",
        "/{lang}/problems",
        "/en/problems?tier=execution&member=320000&state=all",
        None,
        ALL_200,
    ),
    row(
        "GET",
        "/{lang}/problems/{key}",
        "/en/problems/mx-open",
        None,
        ALL_200,
    ),
    row(
        "GET",
        "/{lang}/problems/{key}",
        "/zh/problems/mx-draft",
        None,
        DRAFT_SEEN,
    ),
    row(
        "GET",
        "/{lang}/matters/{key}/problems/new",
        "/zh/matters/m-tech/problems/new",
        None,
        [303, 200, 200, 200, 403, 403, 403, 403, 403],
    ),
    // Forms: the same rules as the API, answered 303; without a session 401, without the
    // session's CSRF token 403.
    row(
        "POST",
        "/{lang}/matters/{key}/problems",
        "/en/matters/m-tech/problems",
        Some(RAISE_FORM),
        [401, 303, 303, 303, 403, 403, 403, 403, 403],
    ),
    row(
        "POST",
        "/{lang}/matters/{key}/problems",
        "/en/matters/m-tech/problems",
        Some("title_en=Funding+gap&due_date=2030-12-31"),
        [401, 403, 403, 403, 403, 403, 403, 403, 403],
    ),
    row(
        "POST",
        "/{lang}/problems/{key}/escalate",
        "/zh/problems/mx-fesc-{profile}/escalate",
        Some("csrf={csrf}&reason_zh=%E9%9C%80%E5%8D%8F%E8%B0%83"),
        [401, 403, 303, 303, 403, 403, 403, 403, 403],
    ),
    row(
        "POST",
        "/{lang}/problems/{key}/resolve",
        "/zh/problems/mx-fres-{profile}/resolve",
        Some("csrf={csrf}&resolution_en=Settled"),
        [401, 403, 403, 303, 403, 403, 403, 403, 403],
    ),
];

/// A problem of the public record, as an import would bring it.
fn recorded(key: &str, matter: &str, tier: Tier) -> Problem {
    Problem {
        key: key.into(),
        matter: matter.into(),
        task: None,
        title: Text::new(format!("问题{key}"), format!("Problem {key}")),
        description: Text::default(),
        tier,
        raised_on: date!(2026 - 01 - 15),
        due: Some(date!(2030 - 12 - 31)),
        escalated_on: None,
        resolved_on: None,
        resolved_tier: None,
        resolution: Text::default(),
        source: "seed:matrix".into(),
    }
}

/// Adds the joint meeting, a coordination-tier body, to the fixture.
async fn add_joint_meeting(app: &TestApp) -> Result<(), Failed> {
    let mut joint = app
        .dataset
        .bodies
        .first()
        .ok_or("the fixture has a body")?
        .clone();
    joint.key = JOINT.into();
    joint.name = Text::new("联席会议", "Joint Meeting");
    joint.tier = Tier::Coordination;
    joint.host_rotation = Vec::new();
    import(
        app,
        Dataset {
            bodies: vec![joint],
            ..Dataset::default()
        },
    )
    .await
}

/// Imports records alongside the fixture (an import adds and updates, never deletes).
async fn import(app: &TestApp, records: Dataset) -> Result<(), Failed> {
    app.store
        .import(&setup_author(), &records)
        .await
        .map_err(|e| fail("importing the cases' records", e))?;
    Ok(())
}

/// Adds what this part's matrix rows need: the joint meeting and the problems they act on.
pub async fn setup(app: &TestApp) -> Result<Vec<(&'static str, String)>, Failed> {
    add_joint_meeting(app).await?;
    let mut problems = vec![
        recorded("mx-open", "m-tech", Tier::Execution),
        recorded("mx-draft", "m-draft", Tier::Execution),
        recorded("mx-top", "m-tech", Tier::Decision),
        recorded("mx-coord", "m-tech", Tier::Coordination),
    ];
    for profile in PROFILES {
        for (prefix, matter) in [
            ("mx-esc", "m-tech"),
            ("mx-res", "m-tech"),
            ("mx-dres", "m-draft"),
            ("mx-fesc", "m-tech"),
            ("mx-fres", "m-tech"),
        ] {
            problems.push(recorded(
                &format!("{prefix}-{profile}"),
                matter,
                Tier::Execution,
            ));
        }
    }
    import(
        app,
        Dataset {
            problems,
            ..Dataset::default()
        },
    )
    .await?;
    Ok(Vec::new())
}

/// A signed-in browser session of a user created for the case.
struct Session {
    username: String,
    cookie: String,
    csrf: String,
}

impl Session {
    /// The headers of an API change made with the session.
    fn headers(&self) -> Vec<(&'static str, String)> {
        vec![
            ("cookie", self.cookie.clone()),
            ("x-csrf-token", self.csrf.clone()),
        ]
    }
}

/// Creates a user with `roles` and starts a session for it.
async fn session(
    app: &TestApp,
    username: &str,
    roles: &[(Role, Scope)],
) -> Result<Session, Failed> {
    let (cookie, csrf) = with_session(app, username, roles).await?;
    Ok(Session {
        username: username.into(),
        cookie,
        csrf,
    })
}

fn js() -> Scope {
    Scope::Jurisdiction(code(JS))
}

async fn post(
    app: &TestApp,
    who: Option<&Session>,
    path: &str,
    body: Option<Value>,
    extra: &[(&'static str, String)],
) -> Result<Reply, Failed> {
    let mut headers = who.map(Session::headers).unwrap_or_default();
    headers.extend(extra.iter().cloned());
    app.send(
        "POST",
        path,
        &headers,
        body.map(|b| ("application/json", b.to_string().into_bytes())),
    )
    .await
}

fn expect_status(reply: &Reply, status: u16) -> Result<(), Failed> {
    ensure!(
        reply.status == status,
        "{}: expected {status}, got {}: {}",
        reply.path,
        reply.status,
        String::from_utf8_lossy(&reply.body)
    );
    Ok(())
}

/// The history of a problem as `who` reads it: (action, actor, before, after) per entry, and
/// checks that every entry says when.
async fn history(
    app: &TestApp,
    who: &Session,
    key: &str,
) -> Result<Vec<(String, String, Value, Value)>, Failed> {
    let reply = app
        .get_with(
            &format!("/api/v1/history?record=problem/{key}"),
            &[("cookie", who.cookie.as_str())],
        )
        .await?;
    expect_status(&reply, 200)?;
    let page = reply.json()?;
    let mut entries = Vec::new();
    for item in page["items"].as_array().cloned().unwrap_or_default() {
        let at = item["at"].as_str().unwrap_or_default();
        ensure!(
            time::OffsetDateTime::parse(at, &time::format_description::well_known::Rfc3339).is_ok(),
            "history entry of {key} without a time: {item}"
        );
        entries.push((
            item["action"].as_str().unwrap_or_default().to_owned(),
            item["actor"].as_str().unwrap_or_default().to_owned(),
            item["before"].clone(),
            item["after"].clone(),
        ));
    }
    Ok(entries)
}

fn today() -> String {
    time::OffsetDateTime::now_utc().date().to_string()
}

async fn a_member_raises_a_problem_on_its_own_matter_only(app: TestApp) -> Result<(), Failed> {
    let officer = session(&app, "js-officer", &[(Role::MemberOfficer, js())]).await?;
    // Jiangsu takes part in m-tech: its officer raises a problem on Jiangsu's task.
    let reply = post(
        &app,
        Some(&officer),
        "/api/v1/matters/m-tech/problems?lang=en",
        Some(json!({
            "title": {"zh": "用地指标不足", "en": "Not enough land quota"},
            "description": {"en": "The depot site lacks quota."},
            "task": "t-tech-js",
            "due_date": "2026-08-31",
            "raised_on": "2026-06-01",
        })),
        &[],
    )
    .await?;
    expect_status(&reply, 201)?;
    let problem = reply.json()?;
    let key = problem["key"].as_str().ok_or("a key")?.to_owned();
    ensure!(
        reply
            .header("etag")
            .is_some_and(|t| t.starts_with("\"v1.en.")),
        "the new problem is tagged with version 1: {:?}",
        reply.header("etag")
    );
    let expected_age = (time::OffsetDateTime::now_utc().date() - date!(2026 - 06 - 01))
        .whole_days()
        .max(0);
    ensure_eq!(
        problem,
        json!({
            "key": key,
            "matter": {"key": "m-tech", "title": "Matter m-tech"},
            "task": "t-tech-js",
            "title": "Not enough land quota",
            "tier": "execution",
            "raised_on": "2026-06-01",
            "due_date": "2026-08-31",
            "escalated_on": null,
            "resolved_on": null,
            "resolved_tier": null,
            "age_days": expected_age,
            "overdue": today().as_str() > "2026-08-31",
            "description": "The depot site lacks quota.",
            "resolution": null,
            "version": 1,
            "source": "yrd:user:js-officer",
        }),
        "the raised problem"
    );
    // The GET answers the same, tagged the same version.
    let got = app
        .get(&format!("/api/v1/problems/{key}?lang=en&as_of=2026-06-11"))
        .await?;
    expect_status(&got, 200)?;
    ensure_eq!(got.json()?["age_days"], json!(10), "age on the day asked");
    ensure!(
        got.header("etag")
            .is_some_and(|t| t.starts_with("\"v1.en.")),
        "{:?}",
        got.header("etag")
    );
    let entries = history(&app, &officer, &key).await?;
    ensure_eq!(entries.len(), 1, "one entry: {entries:?}");
    let (action, actor, before, after) = &entries[0];
    ensure_eq!(
        (action.as_str(), actor.as_str(), before),
        ("raise", "user:js-officer", &Value::Null),
        "raised by the officer"
    );
    ensure_eq!(after["tier"], "execution", "raised at the execution tier");
    ensure_eq!(after["due_date"], "2026-08-31", "with its due date");

    // raised_on defaults to today.
    let reply = post(
        &app,
        Some(&officer),
        "/api/v1/matters/m-tech/problems",
        Some(json!({"title": {"zh": "工期紧张"}, "due_date": "2099-01-01"})),
        &[],
    )
    .await?;
    expect_status(&reply, 201)?;
    ensure_eq!(reply.json()?["raised_on"], json!(today()), "raised today");

    // Zhejiang's matter is not Jiangsu's to raise problems on.
    let reply = post(
        &app,
        Some(&officer),
        "/api/v1/matters/m-new/problems",
        Some(json!({"title": {"zh": "资金缺口"}, "due_date": "2099-01-01"})),
        &[],
    )
    .await?;
    let refused = reply.expect_problem(403, None)?;
    ensure_eq!(
        refused["detail"],
        "only those with a role on the matter raise problems on it",
        "the policy's reason"
    );
    let reply = post(
        &app,
        None,
        "/api/v1/matters/m-tech/problems",
        Some(json!({"title": {"zh": "资金缺口"}, "due_date": "2099-01-01"})),
        &[],
    )
    .await?;
    reply.expect_problem(401, None)?;
    let reply = post(
        &app,
        Some(&officer),
        "/api/v1/matters/no-such-matter/problems",
        Some(json!({"title": {"zh": "资金缺口"}, "due_date": "2099-01-01"})),
        &[],
    )
    .await?;
    reply.expect_problem(404, None)?;

    // Bad input: 422 naming the field, and nothing written.
    let bad: &[(Value, &str)] = &[
        (
            json!({"title": {"zh": "x"}, "due_date": "2026-05-31", "raised_on": "2026-06-01"}),
            "due_date",
        ),
        (
            json!({"title": {"zh": ""}, "due_date": "2099-01-01"}),
            "title",
        ),
        (json!({"title": {"zh": "x"}}), "due_date"),
        (
            json!({"title": {"zh": "x"}, "due_date": "2026-02-30"}),
            "due_date",
        ),
        (
            json!({"title": {"zh": "x"}, "due_date": "2099-01-01", "raised_on": "yesterday"}),
            "raised_on",
        ),
        (
            json!({"title": {"zh": "x"}, "due_date": "2099-01-01", "task": "t-new-zj"}),
            "task",
        ),
        (
            json!({"title": {"zh": "x"}, "due_date": "2099-01-01", "tier": "decision"}),
            "tier",
        ),
    ];
    for (body, field) in bad {
        let reply = post(
            &app,
            Some(&officer),
            "/api/v1/matters/m-tech/problems",
            Some(body.clone()),
            &[],
        )
        .await?;
        reply.expect_problem(422, Some(field))?;
    }
    let all = app.json("/api/v1/problems?matter=m-tech&state=all").await?;
    ensure_eq!(
        all["items"].as_array().map(Vec::len),
        Some(3),
        "p-1 and the two raised, nothing else: {all}"
    );
    Ok(())
}

/// Raises a problem from the command line on `matter`, raised and due on the days given.
async fn raise(
    app: &TestApp,
    matter: &str,
    title: &str,
    raised_on: time::Date,
    due: time::Date,
) -> Result<String, Failed> {
    Ok(app
        .store
        .raise_problem(
            &setup_author(),
            matter,
            &NewProblem {
                title: Text::new(title, title),
                description: Text::default(),
                task: None,
                due,
                raised_on,
            },
        )
        .await
        .map_err(|e| fail("raising a problem", e))?
        .key)
}

/// Escalates a problem from the command line on `on`, due there on `due`.
async fn escalate(app: &TestApp, key: &str, on: time::Date, due: time::Date) -> Result<(), Failed> {
    app.store
        .escalate_problem(
            &setup_author(),
            key,
            &Escalation {
                reason: Text::default(),
                due: Some(due),
                on,
            },
            None,
        )
        .await
        .map_err(|e| fail("escalating a problem", e))?;
    Ok(())
}

async fn open_problems_are_listed_by_tier_then_age_with_exact_ages(
    app: TestApp,
) -> Result<(), Failed> {
    // As of 2026-06-30, besides the fixture's p-1 (execution, raised 2024-07-01, due
    // 2024-09-30):
    let exec_late = raise(
        &app,
        "m-new",
        "exec-late",
        date!(2026 - 03 - 01),
        date!(2026 - 06 - 29),
    )
    .await?;
    let exec_due_today = raise(
        &app,
        "m-tech",
        "exec-due-today",
        date!(2026 - 06 - 01),
        date!(2026 - 06 - 30),
    )
    .await?;
    let coord_old = raise(
        &app,
        "m-new",
        "coord-old",
        date!(2026 - 01 - 10),
        date!(2026 - 02 - 10),
    )
    .await?;
    escalate(
        &app,
        &coord_old,
        date!(2026 - 02 - 11),
        date!(2026 - 07 - 31),
    )
    .await?;
    let coord_new = raise(
        &app,
        "m-tech",
        "coord-new",
        date!(2026 - 05 - 01),
        date!(2026 - 05 - 20),
    )
    .await?;
    escalate(
        &app,
        &coord_new,
        date!(2026 - 05 - 21),
        date!(2026 - 06 - 20),
    )
    .await?;
    let top = raise(
        &app,
        "m-green",
        "top",
        date!(2026 - 02 - 01),
        date!(2026 - 03 - 01),
    )
    .await?;
    escalate(&app, &top, date!(2026 - 03 - 02), date!(2026 - 04 - 01)).await?;
    escalate(&app, &top, date!(2026 - 04 - 02), date!(2026 - 05 - 01)).await?;
    let resolved = raise(
        &app,
        "m-tech",
        "resolved",
        date!(2026 - 01 - 01),
        date!(2026 - 02 - 01),
    )
    .await?;
    app.store
        .resolve_problem(
            &setup_author(),
            &resolved,
            &Text::new("已解决", "Settled"),
            date!(2026 - 01 - 21),
            None,
        )
        .await
        .map_err(|e| fail("resolving", e))?;

    let list = app
        .json("/api/v1/problems?as_of=2026-06-30&lang=en")
        .await?;
    let rows: Vec<(String, String, i64, bool)> = list["items"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|p| {
            (
                p["key"].as_str().unwrap_or_default().to_owned(),
                p["tier"].as_str().unwrap_or_default().to_owned(),
                p["age_days"].as_i64().unwrap_or(-1),
                p["overdue"].as_bool().unwrap_or_default(),
            )
        })
        .collect();
    let row = |key: &str, tier: &str, age: i64, overdue: bool| {
        (key.to_owned(), tier.to_owned(), age, overdue)
    };
    ensure_eq!(
        rows,
        vec![
            row(&top, "decision", 149, true),
            row(&coord_old, "coordination", 171, false),
            row(&coord_new, "coordination", 60, true),
            row("p-1", "execution", 729, true),
            row(&exec_late, "execution", 121, true),
            row(&exec_due_today, "execution", 29, false),
        ],
        "open problems by tier, then oldest first, aged on 2026-06-30"
    );
    let first = &list["items"][0];
    ensure_eq!(
        first["matter"],
        json!({"key": "m-green", "title": "Matter m-green"}),
        "the matter, named"
    );
    ensure_eq!(first["escalated_on"], "2026-04-02", "the latest escalation");
    ensure_eq!(
        first["due_date"],
        "2026-05-01",
        "due at the tier it reached"
    );

    let keys = |list: &Value| -> Vec<String> {
        list["items"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|p| p["key"].as_str().map(str::to_owned))
            .collect()
    };
    let filtered = app
        .json("/api/v1/problems?tier=coordination&as_of=2026-06-30")
        .await?;
    ensure_eq!(
        keys(&filtered),
        vec![coord_old.clone(), coord_new.clone()],
        "tier=coordination"
    );
    let filtered = app.json("/api/v1/problems?state=resolved").await?;
    ensure_eq!(keys(&filtered), vec![resolved.clone()], "state=resolved");
    let filtered = app
        .json("/api/v1/problems?state=resolved&lang=en&as_of=2026-06-30")
        .await?;
    ensure_eq!(
        (
            &filtered["items"][0]["resolved_tier"],
            &filtered["items"][0]["age_days"],
            &filtered["items"][0]["overdue"],
        ),
        (&json!("execution"), &json!(20), &json!(false)),
        "a resolved problem's age runs to its resolution and it is never overdue"
    );
    let filtered = app.json("/api/v1/problems?state=all&matter=m-tech").await?;
    ensure_eq!(
        keys(&filtered),
        vec![
            coord_new.clone(),
            "p-1".to_owned(),
            resolved.clone(),
            exec_due_today.clone()
        ],
        "state=all&matter=m-tech: resolved ones in their place by tier and age"
    );
    // Zhejiang leads m-new; it takes part in nothing else.
    let filtered = app.json(&format!("/api/v1/problems?member={ZJ}")).await?;
    ensure_eq!(
        keys(&filtered),
        vec![coord_old.clone(), exec_late.clone()],
        "member=330000"
    );

    // Problems on a draft are left out for those who may not see it.
    let mut draft = app
        .dataset
        .matters
        .iter()
        .find(|m| m.key == "m-new")
        .ok_or("m-new")?
        .clone();
    draft.key = "m-hidden".into();
    draft.published = false;
    import(
        &app,
        Dataset {
            matters: vec![draft],
            ..Dataset::default()
        },
    )
    .await?;
    let hidden = raise(
        &app,
        "m-hidden",
        "hidden",
        date!(2026 - 06 - 01),
        date!(2026 - 07 - 01),
    )
    .await?;
    let office = session(&app, "office", &[(Role::OfficeStaff, Scope::Region)]).await?;
    let officer = session(&app, "js-officer", &[(Role::MemberOfficer, js())]).await?;
    for (who, sees) in [
        (None, false),
        (Some(&officer), false),
        (Some(&office), true),
    ] {
        let headers: Vec<(&str, &str)> = who
            .map(|s: &Session| vec![("cookie", s.cookie.as_str())])
            .unwrap_or_default();
        let reply = app
            .get_with("/api/v1/problems?tier=execution", &headers)
            .await?;
        expect_status(&reply, 200)?;
        ensure_eq!(
            keys(&reply.json()?).contains(&hidden),
            sees,
            "the draft's problem in the list of {:?}",
            who.map(|s| &s.username)
        );
        let reply = app
            .get_with(&format!("/api/v1/problems/{hidden}"), &headers)
            .await?;
        ensure_eq!(
            reply.status,
            if sees { 200 } else { 404 },
            "GET the draft's problem"
        );
    }

    // Bad parameters: 400 naming each.
    let bad = app
        .get("/api/v1/problems?tier=top&state=closed&member=32&as_of=2026-02-30&matter=Bad%20Key")
        .await?
        .expect_problem(400, Some("tier"))?;
    let fields: Vec<&str> = bad["errors"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|e| e["field"].as_str())
        .collect();
    ensure_eq!(
        fields,
        vec!["tier", "state", "matter", "member", "as_of"],
        "every bad parameter named"
    );
    app.get("/api/v1/problems/p-1?as_of=someday")
        .await?
        .expect_problem(400, Some("as_of"))?;
    app.get("/api/v1/problems/no-such-problem")
        .await?
        .expect_problem(404, None)?;
    Ok(())
}

async fn a_coordinator_escalates_and_the_coordination_tier_resolves(
    app: TestApp,
) -> Result<(), Failed> {
    add_joint_meeting(&app).await?;
    let officer = session(&app, "js-officer", &[(Role::MemberOfficer, js())]).await?;
    let coordinator = session(&app, "js-coordinator", &[(Role::MemberCoordinator, js())]).await?;
    let office = session(&app, "office", &[(Role::OfficeStaff, Scope::Region)]).await?;
    let secretary = session(
        &app,
        "joint-secretary",
        &[(Role::BodySecretary, Scope::Body(JOINT.into()))],
    )
    .await?;
    let reply = post(
        &app,
        Some(&officer),
        "/api/v1/matters/m-tech/problems",
        Some(json!({
            "title": {"zh": "跨省审批不一致", "en": "Approvals differ across the border"},
            "due_date": "2026-07-31",
            "raised_on": "2026-07-01",
        })),
        &[],
    )
    .await?;
    expect_status(&reply, 201)?;
    let key = reply.json()?["key"].as_str().ok_or("a key")?.to_owned();
    let path = |step: &str| format!("/api/v1/problems/{key}/{step}?lang=en");
    let read = app.get(&format!("/api/v1/problems/{key}")).await?;
    let etag = read.header("etag").ok_or("an ETag")?.to_owned();

    // The officer may raise but not escalate; Jiangsu's coordinator may.
    let reply = post(
        &app,
        Some(&officer),
        &path("escalate"),
        Some(json!({})),
        &[],
    )
    .await?;
    reply.expect_problem(403, None)?;
    let reply = post(
        &app,
        Some(&coordinator),
        &path("escalate"),
        Some(json!({"reason": {"zh": "需省际协调", "en": "Needs the provinces to agree"}, "on": "2026-07-10"})),
        &[("if-match", etag.clone())],
    )
    .await?;
    expect_status(&reply, 200)?;
    ensure!(
        reply.header("etag").is_some_and(|t| t.starts_with("\"v2.")),
        "version 2 after the escalation: {:?}",
        reply.header("etag")
    );
    let escalated = reply.json()?;
    ensure_eq!(
        (
            &escalated["tier"],
            &escalated["escalated_on"],
            &escalated["due_date"],
            &escalated["version"],
        ),
        (
            &json!("coordination"),
            &json!("2026-07-10"),
            &json!("2026-08-09"),
            &json!(2),
        ),
        "one tier up, due 30 days after the escalation"
    );
    // A step on the version read before is refused, and changes nothing.
    let reply = post(
        &app,
        Some(&office),
        &path("escalate"),
        Some(json!({})),
        &[("if-match", etag.clone())],
    )
    .await?;
    let stale = reply.expect_problem(409, None)?;
    ensure!(
        stale["detail"]
            .as_str()
            .is_some_and(|d| d.contains("changed since you read it")),
        "{stale}"
    );
    let reply = post(
        &app,
        Some(&office),
        &path("escalate"),
        Some(json!({})),
        &[("if-match", "\"garbage\"".into())],
    )
    .await?;
    reply.expect_problem(422, Some("If-Match"))?;

    // At the coordination tier the office no longer settles it; the joint meeting does.
    let resolution = json!({"resolution": {"zh": "联席会议统一审批标准", "en": "The joint meeting aligned the approvals"}, "resolved_on": "2026-07-20"});
    let reply = post(
        &app,
        Some(&office),
        &path("resolve"),
        Some(resolution.clone()),
        &[],
    )
    .await?;
    let refused = reply.expect_problem(403, None)?;
    ensure_eq!(
        refused["detail"],
        "only the secretary of a body of the problem's tier records its resolution",
        "the policy's reason"
    );
    let reply = post(
        &app,
        Some(&secretary),
        &path("resolve"),
        Some(json!({"resolution": {"zh": ""}})),
        &[],
    )
    .await?;
    reply.expect_problem(422, Some("resolution"))?;
    let reply = post(
        &app,
        Some(&secretary),
        &path("resolve"),
        Some(json!({"resolution": {"zh": "x"}, "resolved_on": "2026-07-05"})),
        &[],
    )
    .await?;
    reply.expect_problem(422, Some("resolved_on"))?;
    let reply = post(
        &app,
        Some(&secretary),
        &path("resolve"),
        Some(resolution.clone()),
        &[("if-match", "\"v2.en.0\"".into())],
    )
    .await?;
    expect_status(&reply, 200)?;
    let resolved = reply.json()?;
    ensure_eq!(
        (
            &resolved["resolved_on"],
            &resolved["resolved_tier"],
            &resolved["tier"],
            &resolved["resolution"],
            &resolved["overdue"],
            &resolved["version"],
        ),
        (
            &json!("2026-07-20"),
            &json!("coordination"),
            &json!("coordination"),
            &json!("The joint meeting aligned the approvals"),
            &json!(false),
            &json!(3),
        ),
        "resolved, by the coordination tier"
    );
    // Twice is a conflict; so is escalating what is resolved.
    let reply = post(
        &app,
        Some(&secretary),
        &path("resolve"),
        Some(resolution.clone()),
        &[],
    )
    .await?;
    let again = reply.expect_problem(409, None)?;
    ensure!(
        again["detail"]
            .as_str()
            .is_some_and(|d| d.contains("already resolved on 2026-07-20")),
        "{again}"
    );
    let reply = post(&app, Some(&office), &path("escalate"), Some(json!({})), &[]).await?;
    reply.expect_problem(409, None)?;

    // Every step in the history, with who and when.
    let entries = history(&app, &office, &key).await?;
    let steps: Vec<(&str, &str)> = entries
        .iter()
        .map(|(action, actor, _, _)| (action.as_str(), actor.as_str()))
        .collect();
    ensure_eq!(
        steps,
        vec![
            ("raise", "user:js-officer"),
            ("escalate", "user:js-coordinator"),
            ("resolve", "user:joint-secretary"),
        ],
        "the problem's history"
    );
    let (_, _, before, after) = &entries[1];
    ensure_eq!(
        (&before["tier"], &after["tier"], &after["reason"]["en"]),
        (
            &json!("execution"),
            &json!("coordination"),
            &json!("Needs the provinces to agree")
        ),
        "the escalation's tiers and reason"
    );
    let (_, _, _, after) = &entries[2];
    ensure_eq!(
        (&after["resolved_tier"], &after["resolved_on"]),
        (&json!("coordination"), &json!("2026-07-20")),
        "the resolution's tier"
    );

    // Escalating past the decision tier is a conflict; a bodiless request takes every default.
    let reply = post(
        &app,
        Some(&officer),
        "/api/v1/matters/m-tech/problems",
        Some(json!({"title": {"zh": "资金缺口"}, "due_date": "2099-01-01", "raised_on": "2026-01-01"})),
        &[],
    )
    .await?;
    expect_status(&reply, 201)?;
    let other = reply.json()?["key"].as_str().ok_or("a key")?.to_owned();
    let escalate_path = format!("/api/v1/problems/{other}/escalate");
    let reply = app
        .send("POST", &escalate_path, &office.headers(), None)
        .await?;
    expect_status(&reply, 200)?;
    let moved = reply.json()?;
    let on = time::OffsetDateTime::now_utc().date();
    ensure_eq!(
        (&moved["tier"], &moved["escalated_on"], &moved["due_date"]),
        (
            &json!("coordination"),
            &json!(on.to_string()),
            &json!((on + time::Duration::days(30)).to_string())
        ),
        "escalated today, due in 30 days"
    );
    let reply = post(
        &app,
        Some(&office),
        &escalate_path,
        Some(json!({"due_date": "2099-02-01"})),
        &[],
    )
    .await?;
    expect_status(&reply, 200)?;
    ensure_eq!(
        (&reply.json()?["tier"], &reply.json()?["due_date"]),
        (&json!("decision"), &json!("2099-02-01")),
        "the decision tier, due when asked"
    );
    let reply = post(&app, Some(&office), &escalate_path, Some(json!({})), &[]).await?;
    let top = reply.expect_problem(409, None)?;
    ensure!(
        top["detail"]
            .as_str()
            .is_some_and(|d| d.contains("already at the decision tier")),
        "{top}"
    );
    let reply = post(
        &app,
        Some(&office),
        &escalate_path,
        Some(json!({"due_date": "someday", "on": "2026-13-01"})),
        &[],
    )
    .await?;
    let bad = reply.expect_problem(422, Some("due_date"))?;
    ensure!(
        bad["errors"].as_array().is_some_and(|e| e.len() == 2),
        "both dates named: {bad}"
    );
    Ok(())
}

async fn the_overdue_sweep_moves_exactly_the_overdue_ones(app: TestApp) -> Result<(), Failed> {
    let as_of = date!(2026 - 06 - 15);
    let late = raise(
        &app,
        "m-tech",
        "late",
        date!(2026 - 05 - 01),
        date!(2026 - 05 - 31),
    )
    .await?;
    let late_coord = raise(
        &app,
        "m-new",
        "late-coord",
        date!(2026 - 04 - 01),
        date!(2026 - 04 - 30),
    )
    .await?;
    escalate(
        &app,
        &late_coord,
        date!(2026 - 05 - 01),
        date!(2026 - 06 - 01),
    )
    .await?;
    let due_today = raise(&app, "m-tech", "due-today", date!(2026 - 06 - 01), as_of).await?;
    let top = raise(
        &app,
        "m-green",
        "top",
        date!(2026 - 01 - 01),
        date!(2026 - 01 - 31),
    )
    .await?;
    escalate(&app, &top, date!(2026 - 02 - 01), date!(2026 - 02 - 28)).await?;
    escalate(&app, &top, date!(2026 - 03 - 01), date!(2026 - 03 - 31)).await?;
    let settled = raise(
        &app,
        "m-tech",
        "settled",
        date!(2026 - 01 - 01),
        date!(2026 - 01 - 31),
    )
    .await?;
    app.store
        .resolve_problem(
            &setup_author(),
            &settled,
            &Text::new("已解决", ""),
            date!(2026 - 01 - 20),
            None,
        )
        .await
        .map_err(|e| fail("resolving", e))?;

    let sweeper = Author::Command {
        command: "problems escalate-overdue".into(),
        os_user: "api-tests".into(),
    };
    let moved = app
        .store
        .escalate_overdue(&sweeper, as_of)
        .await
        .map_err(|e| fail("the sweep", e))?;
    ensure_eq!(
        moved,
        vec!["p-1".to_owned(), late.clone(), late_coord.clone()],
        "the overdue ones, by due date; not the one due today, the decision tier's or the resolved"
    );
    let auditor = session(&app, "auditor", &[(Role::Auditor, Scope::Region)]).await?;
    for (key, tier) in [
        ("p-1", "coordination"),
        (late.as_str(), "coordination"),
        (late_coord.as_str(), "decision"),
        (due_today.as_str(), "execution"),
        (top.as_str(), "decision"),
        (settled.as_str(), "execution"),
    ] {
        let problem = app.json(&format!("/api/v1/problems/{key}")).await?;
        ensure_eq!(problem["tier"], tier, "{key} after the sweep");
        let entries = history(&app, &auditor, key).await?;
        let swept: Vec<_> = entries
            .iter()
            .filter(|(_, actor, _, _)| actor == "cli:problems escalate-overdue:api-tests")
            .collect();
        if moved.iter().any(|m| m == key) {
            ensure_eq!(swept.len(), 1, "one sweep entry for {key}: {entries:?}");
            let (action, _, _, after) = swept[0];
            ensure_eq!(action, "escalate", "{key}");
            ensure_eq!(
                (
                    &after["reason"]["en"],
                    &after["escalated_on"],
                    &after["due_date"],
                    &after["tier"]
                ),
                (
                    &json!("overdue"),
                    &json!("2026-06-15"),
                    &json!("2026-07-15"),
                    &json!(tier)
                ),
                "{key}'s sweep entry"
            );
            ensure_eq!(problem["due_date"], "2026-07-15", "{key} due 30 days on");
        } else {
            ensure!(swept.is_empty(), "{key} was not swept: {entries:?}");
        }
    }
    // Nothing is overdue any more on that day: a second sweep moves nothing.
    let again = app
        .store
        .escalate_overdue(&sweeper, as_of)
        .await
        .map_err(|e| fail("the sweep again", e))?;
    ensure!(again.is_empty(), "nothing moves twice: {again:?}");
    Ok(())
}

/// The hidden CSRF field of a page's form.
fn form_field(page: &str, name: &str) -> Option<String> {
    let marker = format!("name=\"{name}\" value=\"");
    let start = page.find(&marker)? + marker.len();
    let end = page[start..].find('"')? + start;
    Some(page[start..end].to_owned())
}

async fn page(app: &TestApp, who: Option<&Session>, path: &str) -> Result<String, Failed> {
    let headers: Vec<(&str, &str)> = who
        .map(|s| vec![("cookie", s.cookie.as_str())])
        .unwrap_or_default();
    let reply = app.get_with(path, &headers).await?;
    expect_status(&reply, 200)?;
    let html = String::from_utf8_lossy(&reply.body).into_owned();
    ensure!(
        !html.contains("Unknown localization"),
        "{path} shows a label missing from the catalog"
    );
    Ok(html)
}

async fn submit(
    app: &TestApp,
    who: Option<&Session>,
    path: &str,
    fields: &[(&str, &str)],
) -> Result<Reply, Failed> {
    let body: String = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(fields)
        .finish();
    let headers: Vec<(&str, String)> = who
        .map(|s| vec![("cookie", s.cookie.clone())])
        .unwrap_or_default();
    app.send(
        "POST",
        path,
        &headers,
        Some(("application/x-www-form-urlencoded", body.into_bytes())),
    )
    .await
}

async fn forms_raise_escalate_and_resolve_with_a_session(app: TestApp) -> Result<(), Failed> {
    add_joint_meeting(&app).await?;
    let officer = session(&app, "js-officer", &[(Role::MemberOfficer, js())]).await?;
    let coordinator = session(&app, "js-coordinator", &[(Role::MemberCoordinator, js())]).await?;
    let office = session(&app, "office", &[(Role::OfficeStaff, Scope::Region)]).await?;
    let secretary = session(
        &app,
        "joint-secretary",
        &[(Role::BodySecretary, Scope::Body(JOINT.into()))],
    )
    .await?;

    // The raise form, with a label for each field.
    let form = page(&app, Some(&officer), "/zh/matters/m-tech/problems/new").await?;
    let csrf = form_field(&form, "csrf").ok_or("the form carries the CSRF token")?;
    ensure_eq!(csrf, officer.csrf, "the session's token");
    for id in [
        "title-zh",
        "title-en",
        "description-zh",
        "task",
        "due-date",
        "raised-on",
    ] {
        ensure!(
            form.contains(&format!("<label for=\"{id}\">")),
            "a label for {id}"
        );
    }
    ensure!(
        form.contains("value=\"t-tech-js\""),
        "the matter's tasks to choose from"
    );
    let reply = app.get("/zh/matters/m-tech/problems/new").await?;
    ensure_eq!(reply.status, 303, "visitors are sent to sign in");

    let fields = [
        ("csrf", csrf.as_str()),
        ("title_zh", "通关数据不互认"),
        ("title_en", "Customs data not mutually recognised"),
        ("task", "t-tech-js"),
        ("due_date", "2026-09-30"),
        ("raised_on", "2026-09-01"),
    ];
    // Without the session, or without its token, nothing is written.
    let reply = submit(&app, None, "/zh/matters/m-tech/problems", &fields).await?;
    ensure_eq!(reply.status, 401, "without a session");
    let reply = submit(
        &app,
        Some(&officer),
        "/zh/matters/m-tech/problems",
        &fields[1..],
    )
    .await?;
    ensure_eq!(reply.status, 403, "without the CSRF token");
    let failed = String::from_utf8_lossy(&reply.body).into_owned();
    ensure!(
        failed.contains("role=\"alert\""),
        "the failure page says why: {failed}"
    );
    let reply = submit(
        &app,
        Some(&officer),
        "/zh/matters/m-tech/problems",
        &[("csrf", csrf.as_str()), ("due_date", "2026-09-30")],
    )
    .await?;
    ensure_eq!(reply.status, 422, "without a title");
    ensure!(
        String::from_utf8_lossy(&reply.body).contains("<code>title</code>"),
        "the failure names the field"
    );
    let none = app.json("/api/v1/problems?matter=m-tech&state=all").await?;
    ensure_eq!(
        none["items"].as_array().map(Vec::len),
        Some(1),
        "only p-1 so far"
    );

    let reply = submit(&app, Some(&officer), "/zh/matters/m-tech/problems", &fields).await?;
    ensure_eq!(reply.status, 303, "raised");
    let location = reply.header("location").ok_or("a Location")?.to_owned();
    let key = location
        .strip_prefix("/zh/problems/")
        .ok_or_else(|| format!("to the problem's page: {location}"))?
        .to_owned();
    let html = page(&app, Some(&officer), &location).await?;
    ensure!(html.contains("通关数据不互认"), "the title");
    ensure!(
        html.contains("class=\"history-raise\""),
        "the history shows the raise"
    );
    ensure!(html.contains(">js-officer<"), "and who raised it");
    ensure!(!html.contains("/escalate\""), "an officer may not escalate");
    ensure!(!html.contains("/resolve\""), "nor resolve");
    let visitor = page(&app, None, &location).await?;
    ensure!(!visitor.contains(">js-officer<"), "visitors do not see who");
    ensure!(
        !visitor.contains("method=\"post\" action=\"/zh/problems"),
        "nor forms"
    );

    // Jiangsu's coordinator escalates from the page, with the version it shows.
    let html = page(&app, Some(&coordinator), &location).await?;
    ensure!(
        html.contains(&format!("action=\"/zh/problems/{key}/escalate\"")),
        "the escalate form"
    );
    ensure!(
        !html.contains(&format!("action=\"/zh/problems/{key}/resolve\"")),
        "no resolve form"
    );
    let version = form_field(&html, "version").ok_or("the form carries the version")?;
    ensure_eq!(version, "1", "the version shown");
    let escalate_path = format!("/zh/problems/{key}/escalate");
    let reply = submit(
        &app,
        Some(&coordinator),
        &escalate_path,
        &[
            ("csrf", coordinator.csrf.as_str()),
            ("version", "1"),
            ("reason_zh", "需省际协调"),
            ("on", "2026-09-10"),
            ("due_date", "2026-10-31"),
        ],
    )
    .await?;
    ensure_eq!(
        reply.status,
        303,
        "escalated: {}",
        String::from_utf8_lossy(&reply.body)
    );
    ensure_eq!(
        reply.header("location"),
        Some(location.as_str()),
        "back to the problem"
    );
    // A form from the page as it was before is refused.
    let reply = submit(
        &app,
        Some(&office),
        &escalate_path,
        &[("csrf", office.csrf.as_str()), ("version", "1")],
    )
    .await?;
    ensure_eq!(reply.status, 409, "a stale form");

    // At the coordination tier, the office sees no resolve form and may not post one.
    let html = page(&app, Some(&office), &format!("/en/problems/{key}")).await?;
    ensure!(
        html.contains("Coordination tier"),
        "held by the coordination tier"
    );
    ensure!(
        !html.contains(&format!("/en/problems/{key}/resolve\"")),
        "no resolve form for the office"
    );
    let resolve_path = format!("/en/problems/{key}/resolve");
    let reply = submit(
        &app,
        Some(&office),
        &resolve_path,
        &[("csrf", office.csrf.as_str()), ("resolution_en", "Settled")],
    )
    .await?;
    ensure_eq!(reply.status, 403, "the office may not resolve it there");
    let html = page(&app, Some(&secretary), &format!("/en/problems/{key}")).await?;
    ensure!(
        html.contains(&format!("action=\"{resolve_path}\"")),
        "the secretary's resolve form"
    );
    for id in ["resolution-zh", "resolution-en", "resolved-on"] {
        ensure!(
            html.contains(&format!("<label for=\"{id}\">")),
            "a label for {id}"
        );
    }
    let version = form_field(&html, "version").ok_or("the version")?;
    let reply = submit(
        &app,
        Some(&secretary),
        &resolve_path,
        &[
            ("csrf", secretary.csrf.as_str()),
            ("version", version.as_str()),
            ("resolution_en", "Customs agreed to share data"),
            ("resolved_on", "2026-10-15"),
        ],
    )
    .await?;
    ensure_eq!(
        reply.status,
        303,
        "resolved: {}",
        String::from_utf8_lossy(&reply.body)
    );
    let en_page = format!("/en/problems/{key}");
    ensure_eq!(
        reply.header("location"),
        Some(en_page.as_str()),
        "to its page"
    );
    let problem = app.json(&format!("/api/v1/problems/{key}")).await?;
    ensure_eq!(
        (
            &problem["resolved_tier"],
            &problem["resolved_on"],
            &problem["version"]
        ),
        (&json!("coordination"), &json!("2026-10-15"), &json!(3)),
        "resolved by the coordination tier"
    );
    let html = page(&app, Some(&secretary), &format!("/en/problems/{key}")).await?;
    for (class, who) in [
        ("history-raise", "js-officer"),
        ("history-escalate", "js-coordinator"),
        ("history-resolve", "joint-secretary"),
    ] {
        let at = html
            .find(&format!("class=\"{class}\""))
            .ok_or_else(|| format!("a {class} row"))?;
        let row_end = html[at..].find("</tr>").map_or(html.len(), |e| at + e);
        ensure!(
            html[at..row_end].contains(&format!(">{who}<")),
            "{class} by {who}"
        );
        ensure!(
            html[at..row_end].contains("<time datetime=\""),
            "{class} with its time"
        );
    }
    ensure!(!html.contains("/resolve\""), "no more forms once resolved");

    // The list page: a table per tier, with ages and what is overdue marked.
    let html = page(&app, None, "/en/problems?as_of=2026-06-30&state=all").await?;
    for tier in ["decision", "coordination", "execution"] {
        ensure!(
            html.contains(&format!("id=\"tier-{tier}\"")),
            "a table for the {tier} tier"
        );
    }
    ensure!(
        html.contains("data-age-days=\"729\""),
        "p-1's age on 2026-06-30"
    );
    ensure!(html.contains("status-overdue"), "p-1 marked overdue");
    for id in ["problem-tier", "problem-member", "problem-state"] {
        ensure!(
            html.contains(&format!("<label for=\"{id}\">")),
            "a label for the {id} filter"
        );
    }
    let html = page(
        &app,
        None,
        "/zh/problems?tier=coordination&member=&state=resolved",
    )
    .await?;
    ensure!(
        html.contains(&format!("/zh/problems/{key}\"")),
        "the resolved problem, by filters"
    );
    ensure!(
        !html.contains("id=\"tier-execution\""),
        "only the tier asked for"
    );
    Ok(())
}

/// The problems a list page links to, in order: the keys of its links to problem pages.
fn listed_problems(html: &str) -> Vec<String> {
    html.split("<th scope=\"row\"><a href=\"/en/problems/")
        .skip(1)
        .filter_map(|rest| rest.split_once('"'))
        .map(|(key, _)| key.to_owned())
        .collect()
}

/// Where the page's link with `rel` leads, with the entities of the attribute put back.
fn rel_link(html: &str, rel: &str) -> Option<String> {
    let end = html.find(&format!("\" rel=\"{rel}\""))?;
    let start = html[..end].rfind("href=\"")? + "href=\"".len();
    Some(html[start..end].replace("&#38;", "&").replace("&amp;", "&"))
}

/// The list page shows fifty problems at a time, in the API's order (tier by tier, oldest
/// first), with the filters kept in its links to the next and the first page; a tier is shown
/// on the pages that hold its problems.
async fn the_problem_list_page_shows_a_page_at_a_time(app: TestApp) -> Result<(), Failed> {
    let one = page(&app, None, "/en/problems?state=all").await?;
    ensure!(
        rel_link(&one, "next").is_none() && rel_link(&one, "first").is_none(),
        "one page: no page links"
    );
    ensure!(
        one.contains("id=\"tier-decision\"") && one.contains("No problems at this tier."),
        "on a list of one page every tier is shown, an empty one said to be"
    );
    // Sixty more, at the execution tier, on Jiangsu's matter m-tech.
    for n in 0..60 {
        raise(
            &app,
            "m-tech",
            &format!("paged {n:02}"),
            date!(2026 - 01 - 01) + time::Duration::days(n),
            date!(2026 - 12 - 31),
        )
        .await?;
    }
    let listed = app
        .json("/api/v1/problems?member=320000&state=all&limit=500")
        .await?;
    let every: Vec<String> = listed["items"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|p| p["key"].as_str().map(str::to_owned))
        .collect();
    ensure!(every.len() > 60, "Jiangsu's problems: {}", every.len());

    let first = page(&app, None, "/en/problems?member=320000&state=all").await?;
    ensure_eq!(
        listed_problems(&first),
        every[..50].to_vec(),
        "the first fifty"
    );
    ensure!(
        first.contains("Problems on this page: 50 · at most 50 per page"),
        "how many are shown"
    );
    ensure!(rel_link(&first, "first").is_none(), "the first page");
    let next = rel_link(&first, "next").ok_or("a link to the next page")?;
    ensure!(
        next.starts_with("/en/problems?member=320000&state=all&cursor=problems."),
        "the next page keeps the filters: {next}"
    );
    let second = page(&app, None, &next).await?;
    ensure_eq!(listed_problems(&second), every[50..].to_vec(), "the rest");
    ensure!(
        rel_link(&second, "next").is_none(),
        "the last page: no next"
    );
    ensure_eq!(
        rel_link(&second, "first"),
        Some("/en/problems?member=320000&state=all".to_owned()),
        "back to the first page"
    );
    ensure!(
        !second.contains("id=\"tier-decision\"") && second.contains("id=\"tier-execution\""),
        "a later page shows only the tiers it holds"
    );
    // A cursor that is not this list's is refused, naming it.
    app.get("/en/problems?cursor=meetings.00")
        .await?
        .expect_problem(400, Some("cursor"))?;
    Ok(())
}
