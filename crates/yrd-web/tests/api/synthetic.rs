//! Cases over the synthetic dataset (see `fixtures::synthetic`), whose derived numbers are
//! known exactly: roll-ups, statuses, positions, next host, fallback texts.

use libtest_mimic::Failed;
use serde_json::{Value, json};

use crate::app::TestApp;
use crate::fixtures::{AH, AS_OF, JS, SH, ZJ};
use crate::{cases, ensure, ensure_eq};

cases!(
    rollup_counts_unreported_tasks_apart_and_averages_reported_ones_only,
    matter_statuses_are_derived_for_the_as_of_day_on_either_basis,
    matter_detail_shows_tasks_milestones_links_problems_and_reports,
    a_member_that_has_not_answered_shows_as_null_and_keeps_the_decision_pending,
    next_host_follows_the_rotation_from_the_last_host,
    a_missing_english_text_falls_back_to_chinese,
    pages_mark_a_missing_english_text_visibly,
    reminders_list_what_is_overdue_or_due_soon_and_not_done,
    indicator_status_compares_the_latest_observation_with_the_path,
    plan_and_member_pages_list_matters_a_page_at_a_time,
    indicators_are_listed_a_page_at_a_time,
);

/// The expected statistics of one basis: tasks, reported, mean, done.
fn stats(tasks: u64, reported: u64, mean: Option<f64>, done: u64) -> Value {
    json!({
        "tasks": tasks,
        "reported": reported,
        "unreported": tasks - reported,
        "mean_percent": mean,
        "coverage": (tasks > 0).then(|| reported as f64 / tasks as f64),
        "done": done,
    })
}

async fn rollup_counts_unreported_tasks_apart_and_averages_reported_ones_only(
    app: TestApp,
) -> Result<(), Failed> {
    let plan = app.json("/api/v1/plans/plan-a?lang=en").await?;
    let rollup = &plan["rollup"];
    let members: Vec<&str> = rollup["members"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|m| m["code"].as_str())
        .collect();
    ensure_eq!(
        members,
        vec![SH, JS, ZJ, AH],
        "columns: members with tasks, by code"
    );

    let row = |i: usize| rollup["rows"][i].clone();
    let areas: Vec<Value> = (0..3).map(|i| row(i)["area"]["key"].clone()).collect();
    ensure_eq!(
        areas,
        vec![json!("tech"), json!("green"), Value::Null],
        "rows: areas in order, then no area"
    );
    ensure_eq!(row(0)["area"]["name"], "Technology", "area name in English");
    ensure!(
        rollup["rows"].as_array().is_some_and(|r| r.len() == 3),
        "exactly three rows"
    );

    // tech: Shanghai reported 60 (verified 40); Jiangsu and Zhejiang have not reported.
    let tech = row(0);
    ensure_eq!(
        tech["cells"][0]["reported"],
        stats(1, 1, Some(60.0), 0),
        "tech × SH reported"
    );
    ensure_eq!(
        tech["cells"][0]["verified"],
        stats(1, 1, Some(40.0), 0),
        "tech × SH verified"
    );
    ensure_eq!(
        tech["cells"][1]["reported"],
        stats(1, 0, None, 0),
        "tech × JS"
    );
    ensure_eq!(
        tech["cells"][2]["reported"],
        stats(1, 0, None, 0),
        "tech × ZJ"
    );
    ensure_eq!(
        tech["cells"][3]["reported"],
        stats(0, 0, None, 0),
        "tech × AH (no tasks)"
    );
    ensure_eq!(
        tech["cells"][3]["reported"]["coverage"],
        Value::Null,
        "no tasks, no coverage"
    );
    // 60 over the one reported task, not 20 (unreported as 0 %) nor 86.7 (as 100 %).
    ensure_eq!(
        tech["total"]["reported"],
        stats(3, 1, Some(60.0), 0),
        "tech total reported"
    );
    ensure_eq!(
        tech["total"]["verified"],
        stats(3, 1, Some(40.0), 0),
        "tech total verified"
    );

    // green: Shanghai finished (verified); Anhui reported 50, not yet verified.
    let green = row(1);
    ensure_eq!(
        green["cells"][0]["reported"],
        stats(1, 1, Some(100.0), 1),
        "green × SH"
    );
    ensure_eq!(
        green["cells"][3]["reported"],
        stats(1, 1, Some(50.0), 0),
        "green × AH reported"
    );
    ensure_eq!(
        green["cells"][3]["verified"],
        stats(1, 0, None, 0),
        "green × AH verified"
    );
    ensure_eq!(
        green["total"]["reported"],
        stats(2, 2, Some(75.0), 1),
        "green total reported"
    );
    ensure_eq!(
        green["total"]["verified"],
        stats(2, 1, Some(100.0), 1),
        "green total verified"
    );

    // No area: Jiangsu's late task, whose only report was returned.
    let none = row(2);
    ensure_eq!(
        none["cells"][1]["reported"],
        stats(1, 0, None, 0),
        "no area × JS (returned report)"
    );
    ensure_eq!(
        none["total"]["reported"],
        stats(1, 0, None, 0),
        "no area total"
    );

    let member = |i: usize| rollup["member_totals"][i].clone();
    ensure_eq!(member(0)["jurisdiction"]["code"], SH, "first member total");
    ensure_eq!(
        member(0)["reported"],
        stats(2, 2, Some(80.0), 1),
        "SH total reported"
    );
    ensure_eq!(
        member(0)["verified"],
        stats(2, 2, Some(70.0), 1),
        "SH total verified"
    );
    ensure_eq!(member(1)["reported"], stats(2, 0, None, 0), "JS total");
    ensure_eq!(member(2)["reported"], stats(1, 0, None, 0), "ZJ total");
    ensure_eq!(
        member(3)["reported"],
        stats(1, 1, Some(50.0), 0),
        "AH total reported"
    );
    ensure_eq!(
        member(3)["verified"],
        stats(1, 0, None, 0),
        "AH total verified"
    );

    // 60, 100 and 50 reported of six tasks: 70, not 35 (unreported as 0 %) nor 85 (as 100 %).
    ensure_eq!(
        rollup["total"]["reported"],
        stats(6, 3, Some(70.0), 1),
        "plan total reported"
    );
    ensure_eq!(
        rollup["total"]["verified"],
        stats(6, 2, Some(70.0), 1),
        "plan total verified"
    );
    Ok(())
}

async fn statuses(app: &TestApp, query: &str) -> Result<Vec<(String, String)>, Failed> {
    let page = app.json(&format!("/api/v1/matters?{query}")).await?;
    Ok(page["items"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|m| {
            (
                m["key"].as_str().unwrap_or_default().to_owned(),
                m["status"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect())
}

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(k, s)| ((*k).to_owned(), (*s).to_owned()))
        .collect()
}

async fn matter_statuses_are_derived_for_the_as_of_day_on_either_basis(
    app: TestApp,
) -> Result<(), Failed> {
    let reported = statuses(&app, &format!("as_of={AS_OF}")).await?;
    ensure_eq!(
        reported,
        pairs(&[
            ("m-green", "done"),
            ("m-late", "overdue"),
            ("m-new", "not_started"),
            // Shanghai is ahead, but Jiangsu has reported nothing half-way through.
            ("m-tech", "at_risk"),
            ("m-track", "on_track"),
        ]),
        "statuses on the reported basis"
    );
    let page = app.json(&format!("/api/v1/matters?as_of={AS_OF}")).await?;
    ensure_eq!(page["as_of"], AS_OF, "as_of echoed");
    ensure_eq!(page["basis"], "reported", "default basis");

    let verified = statuses(&app, &format!("as_of={AS_OF}&basis=verified")).await?;
    ensure_eq!(
        verified,
        pairs(&[
            ("m-green", "done"),
            ("m-late", "overdue"),
            ("m-new", "not_started"),
            ("m-tech", "at_risk"),
            // Anhui's 50 % is not verified yet.
            ("m-track", "not_started"),
        ]),
        "statuses on the verified basis"
    );

    // Work finished on the due day is on time: the late task is overdue only the day after.
    ensure_eq!(
        statuses(&app, "as_of=2024-06-30&status=overdue").await?,
        vec![],
        "nothing overdue on the due day"
    );
    ensure_eq!(
        statuses(&app, "as_of=2024-07-01&status=overdue").await?,
        pairs(&[("m-late", "overdue")]),
        "overdue the day after"
    );

    // Filters combine: plan, area, member, status.
    ensure_eq!(
        statuses(&app, &format!("as_of={AS_OF}&status=overdue")).await?,
        pairs(&[("m-late", "overdue")]),
        "status filter"
    );
    ensure_eq!(
        statuses(&app, &format!("as_of={AS_OF}&member={JS}")).await?,
        pairs(&[("m-late", "overdue"), ("m-tech", "at_risk")]),
        "member filter: leads and participants"
    );
    ensure_eq!(
        statuses(
            &app,
            &format!("as_of={AS_OF}&plan=plan-a&area=tech&status=not_started")
        )
        .await?,
        pairs(&[("m-new", "not_started")]),
        "plan, area and status filters"
    );
    ensure_eq!(
        statuses(&app, "plan=no-such-plan").await?,
        vec![],
        "an unknown plan has no matters"
    );

    // A status filter keeps paging correct although status is derived after the query.
    let walked = app
        .all_pages(&format!(
            "/api/v1/matters?as_of={AS_OF}&basis=verified&status=not_started&limit=1"
        ))
        .await?;
    let keys: Vec<&str> = walked.iter().filter_map(|m| m["key"].as_str()).collect();
    ensure_eq!(keys, vec!["m-new", "m-track"], "pages of a status filter");
    Ok(())
}

async fn matter_detail_shows_tasks_milestones_links_problems_and_reports(
    app: TestApp,
) -> Result<(), Failed> {
    let m = app
        .json(&format!("/api/v1/matters/m-tech?as_of={AS_OF}&lang=en"))
        .await?;
    ensure_eq!(m["status"], "at_risk", "status");
    ensure_eq!(
        m["area"],
        json!({"key": "tech", "name": "Technology"}),
        "area"
    );
    ensure_eq!(m["leads"][0]["code"], SH, "lead");
    ensure_eq!(m["participants"][0]["code"], JS, "participant");
    ensure_eq!(
        m["tasks"][0],
        json!({
            "key": "t-tech-js",
            "jurisdiction": {"code": JS, "name": "Jiangsu"},
            "unit": "Development and Reform Commission",
            "title": "Task t-tech-js",
            "start": "2024-01-01",
            "due": "2025-12-31",
            "reported": null,
            "verified": null,
            "version": 1,
            "subtasks": [],
        }),
        "Jiangsu's task, unreported"
    );
    ensure_eq!(
        m["tasks"][1]["reported"],
        json!({"percent": 60, "as_of": "2024-12-31"}),
        "Shanghai reported"
    );
    ensure_eq!(
        m["tasks"][1]["verified"],
        json!({"percent": 40, "as_of": "2024-06-30"}),
        "Shanghai verified"
    );
    ensure_eq!(
        m["milestones"],
        json!([{"title": "Launch", "due": "2024-06-30", "done_on": "2024-06-01", "done": true}]),
        "milestones"
    );
    ensure_eq!(
        m["indicators"],
        json!([{"key": "rail-km", "name": "Railway mileage"}]),
        "linked indicators"
    );
    ensure_eq!(
        m["agreements"],
        json!([{"key": "pact", "name": "Cooperation agreement"}]),
        "linked agreements"
    );
    ensure_eq!(m["problems"][0]["key"], "p-1", "problem");
    ensure_eq!(m["problems"][0]["resolved"], false, "open problem");
    ensure_eq!(m["problems"][0]["tier"], "execution", "problem tier");
    let reports: Vec<(&str, &str)> = m["recent_reports"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|r| {
            (
                r["key"].as_str().unwrap_or(""),
                r["state"].as_str().unwrap_or(""),
            )
        })
        .collect();
    ensure_eq!(
        reports,
        vec![("r-2", "submitted"), ("r-1", "verified")],
        "reports, newest first"
    );
    ensure_eq!(
        m["recent_reports"][0]["jurisdiction"]["code"],
        SH,
        "report's member"
    );

    let verified = app
        .json(&format!(
            "/api/v1/matters/m-track?as_of={AS_OF}&basis=verified"
        ))
        .await?;
    ensure_eq!(
        verified["status"],
        "not_started",
        "detail on the verified basis"
    );
    ensure_eq!(verified["basis"], "verified", "basis echoed");
    Ok(())
}

async fn a_member_that_has_not_answered_shows_as_null_and_keeps_the_decision_pending(
    app: TestApp,
) -> Result<(), Failed> {
    let meeting = app.json("/api/v1/meetings/symposium-2024?lang=en").await?;
    let decision = &meeting["decisions"][0];
    ensure_eq!(decision["status"], "pending", "status");
    let positions: Vec<(Value, Value)> = decision["positions"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|p| (p["jurisdiction"]["code"].clone(), p["stance"].clone()))
        .collect();
    ensure_eq!(
        positions,
        vec![
            (json!(SH), json!("consent")),
            (json!(JS), json!("consent_in_principle")),
            (json!(ZJ), json!("consent")),
            (json!(AH), Value::Null),
        ],
        "one position per member, in member order"
    );
    ensure_eq!(
        decision["subject"],
        json!({"kind": "adopt_plan", "plan": "plan-a", "host": null}),
        "subject"
    );
    ensure_eq!(
        meeting["host"],
        json!({"code": "330300", "name": "Wenzhou"}),
        "host"
    );
    Ok(())
}

async fn next_host_follows_the_rotation_from_the_last_host(app: TestApp) -> Result<(), Failed> {
    let bodies = app.json("/api/v1/bodies").await?;
    let symposium = &bodies["items"][0];
    // Rotation Anhui → Zhejiang → Jiangsu → Shanghai; the last meeting was in Wenzhou
    // (Zhejiang), so Jiangsu is next.
    ensure_eq!(
        symposium["next_host"],
        json!({"code": JS, "name": "江苏省"}),
        "next host"
    );
    Ok(())
}

async fn a_missing_english_text_falls_back_to_chinese(app: TestApp) -> Result<(), Failed> {
    let anhui = app.get("/api/v1/jurisdictions/340000?lang=en").await?;
    ensure_eq!(anhui.json()?["name"], "安徽省", "Anhui has no English name");
    ensure_eq!(
        anhui.header("content-language"),
        Some("en"),
        "still an English response"
    );
    let list = app.json("/api/v1/jurisdictions?lang=en").await?;
    let names: Vec<&str> = list["items"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|j| j["name"].as_str())
        .collect();
    ensure_eq!(
        names,
        vec!["Shanghai", "Jiangsu", "Zhejiang", "Wenzhou", "安徽省"],
        "names in English where there are any, by code"
    );
    let wenzhou = app.json("/api/v1/jurisdictions/330300?lang=en").await?;
    ensure_eq!(wenzhou["parent"]["name"], "Zhejiang", "parent in English");
    // Optional texts left empty are null rather than "".
    let plan = app.json("/api/v1/plans/plan-a").await?;
    ensure!(
        plan["summary"].is_null() && plan["issuer"].is_null(),
        "empty texts: {plan}"
    );
    Ok(())
}

async fn indicator_status_compares_the_latest_observation_with_the_path(
    app: TestApp,
) -> Result<(), Failed> {
    let indicator = app.json("/api/v1/indicators/rail-km?lang=en").await?;
    let assessment = &indicator["assessment"];
    ensure_eq!(assessment["status"], "at_risk", "status");
    ensure_eq!(assessment["observed_on"], "2024", "observation judged");
    ensure_eq!(assessment["observed"], 180.0, "observed value");
    let expected = assessment["expected"].as_f64().ok_or("no expected value")?;
    ensure!(
        (185.71..185.73).contains(&expected),
        "expected about 185.7, got {expected}"
    );
    ensure_eq!(indicator["unit"], "km", "unit");
    ensure_eq!(
        indicator["scope"],
        json!({"kind": "jurisdiction", "id": SH, "name": "Shanghai"}),
        "scope"
    );
    ensure_eq!(indicator["baseline"]["value"], 100.0, "baseline");
    ensure_eq!(
        indicator["observations"],
        json!([{
            "key": "rail-km.2024",
            "date": "2024",
            "value": 180.0,
            "qualifier": "about",
            "jurisdiction": null,
            "site": null,
            "note": null,
            "source": "https://example.org/rail-2024",
        }]),
        "observations"
    );
    let list = app.json("/api/v1/indicators").await?;
    ensure_eq!(
        list["items"][0]["assessment"],
        *assessment,
        "status in the list"
    );
    Ok(())
}

async fn pages_mark_a_missing_english_text_visibly(app: TestApp) -> Result<(), Failed> {
    let marked = "<span lang=\"zh-CN\">安徽省</span> <small class=\"fallback\">(not yet available in English)</small>";
    for path in [
        "/en/plans/plan-a",
        "/en/jurisdictions/340000",
        "/en/jurisdictions",
    ] {
        let reply = app.get(path).await?;
        ensure_eq!(reply.status, 200, "{path}");
        let body = String::from_utf8_lossy(&reply.body);
        ensure!(body.contains(marked), "{path} marks Anhui's Chinese name");
        ensure!(
            !body.contains("<span lang=\"zh-CN\">Shanghai</span>"),
            "{path} marks only what falls back"
        );
    }
    // Matters with reported progress show it as a bar; the others say they have none.
    let plan = String::from_utf8_lossy(&app.get("/en/plans/plan-a").await?.body).into_owned();
    ensure!(
        plan.contains("<progress max=\"100\" value=\""),
        "progress bars"
    );
    ensure!(plan.contains("Unreported"), "a matter without reports");
    // In Chinese nothing falls back.
    let zh = app.get("/zh/plans/plan-a").await?;
    ensure!(
        !String::from_utf8_lossy(&zh.body).contains("class=\"fallback\""),
        "the Chinese page has every text"
    );
    Ok(())
}

async fn reminders_list_what_is_overdue_or_due_soon_and_not_done(
    app: TestApp,
) -> Result<(), Failed> {
    let tasks = |list: &Value| -> Vec<(String, bool)> {
        list["items"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|r| {
                (
                    r["task"].as_str().unwrap_or_default().to_owned(),
                    r["overdue"].as_bool().unwrap_or_default(),
                )
            })
            .collect()
    };
    // Jiangsu on 2025-01-01: the late task is overdue (its only report was returned); the
    // other is due at the end of 2025, beyond the default 30 days.
    let soon = app
        .json("/api/v1/reminders?member=320000&as_of=2025-01-01")
        .await?;
    ensure_eq!(
        tasks(&soon),
        vec![("t-late-js".to_owned(), true)],
        "within 30 days"
    );
    let year = app
        .json("/api/v1/reminders?member=320000&as_of=2025-01-01&within=365")
        .await?;
    ensure_eq!(
        tasks(&year),
        vec![
            ("t-late-js".to_owned(), true),
            ("t-tech-js".to_owned(), false)
        ],
        "within a year, by due date"
    );
    // Shanghai's finished task is not a reminder though its due date has passed.
    let shanghai = app
        .json("/api/v1/reminders?member=310000&as_of=2025-01-01&within=0")
        .await?;
    ensure!(
        !tasks(&shanghai).iter().any(|(t, _)| t == "t-green-sh"),
        "a task reported complete is not owed: {shanghai}"
    );
    app.get("/api/v1/reminders")
        .await?
        .expect_problem(400, Some("member"))?;
    app.get("/api/v1/reminders?member=320000&within=1000")
        .await?
        .expect_problem(400, Some("within"))?;
    Ok(())
}

/// A page's HTML, expecting 200.
async fn page_html(app: &TestApp, path: &str) -> Result<String, Failed> {
    let reply = app.get(path).await?;
    let body = String::from_utf8_lossy(&reply.body).into_owned();
    ensure_eq!(reply.status, 200, "GET {path}: {body}");
    Ok(body)
}

/// The matters a plan page lists, in order: the keys its links to matter pages name.
fn listed_matters(html: &str) -> Vec<String> {
    html.split("href=\"/en/matters/")
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

/// The page's progress section (heat map and table).
fn progress_section(html: &str) -> Option<&str> {
    let start = html.find("<section aria-labelledby=\"progress-heading\">")?;
    let length = html[start..].find("</section>")?;
    Some(&html[start..start + length])
}

/// A plan's page lists its matters by member and area, and a member's page lists the
/// member's, each a page at a time with links to the next and the first page.
async fn plan_and_member_pages_list_matters_a_page_at_a_time(app: TestApp) -> Result<(), Failed> {
    let all = page_html(&app, "/en/plans/plan-a").await?;
    ensure_eq!(
        listed_matters(&all),
        ["m-green", "m-late", "m-new", "m-tech", "m-track"],
        "every matter, by key"
    );
    ensure!(
        all.contains("<form method=\"get\" action=\"/en/plans/plan-a\" class=\"filters\">")
            && all.contains("<label for=\"matters-member\">")
            && all.contains("<label for=\"matters-area\">"),
        "a GET form with labelled filters"
    );
    ensure!(
        all.contains("<option value=\"\" selected>All members</option>")
            && all.contains("<option value=\"\" selected>All areas</option>")
            && all.contains("<option value=\"320000\">Jiangsu</option>")
            && all.contains("<option value=\"green\">Ecology</option>"),
        "no filter chosen; the plan's members and areas offered"
    );
    ensure!(
        all.contains("Matters on this page: 5 · at most 50 per page"),
        "how many are shown"
    );
    ensure!(
        rel_link(&all, "next").is_none() && rel_link(&all, "first").is_none(),
        "one page: no page links"
    );

    // Jiangsu leads m-late and takes part in m-tech.
    let jiangsu = page_html(&app, "/en/plans/plan-a?member=320000").await?;
    ensure_eq!(
        listed_matters(&jiangsu),
        ["m-late", "m-tech"],
        "led or taken part in"
    );
    ensure!(
        jiangsu.contains("<option value=\"320000\" selected>Jiangsu</option>")
            && jiangsu.contains("<option value=\"\" selected>All areas</option>"),
        "the filter in force is selected"
    );
    ensure!(
        jiangsu.contains("class=\"lang-switch\" href=\"/zh/plans/plan-a?member=320000\""),
        "the language switch keeps the filter"
    );
    ensure!(
        progress_section(&all).is_some() && progress_section(&jiangsu) == progress_section(&all),
        "the roll-up stays the whole plan's"
    );
    let tech = page_html(&app, "/en/plans/plan-a?area=tech").await?;
    ensure_eq!(listed_matters(&tech), ["m-new", "m-tech"], "the tech area");
    ensure!(
        tech.contains("<option value=\"tech\" selected>Technology</option>"),
        "the area selected"
    );
    let both = page_html(&app, "/en/plans/plan-a?member=320000&area=tech").await?;
    ensure_eq!(listed_matters(&both), ["m-tech"], "Jiangsu in tech");
    // The form's "all" options send empty values: no filter.
    let unfiltered = page_html(&app, "/en/plans/plan-a?member=&area=&cursor=").await?;
    ensure_eq!(
        listed_matters(&unfiltered),
        listed_matters(&all),
        "empty filters"
    );
    let none = page_html(&app, "/en/plans/plan-a?member=340000&area=tech").await?;
    ensure!(
        listed_matters(&none).is_empty() && none.contains("<p>None</p>"),
        "nothing matches: said so"
    );

    // Bad values answer as the API's matter list does, naming the parameter.
    app.get("/api/v1/matters?plan=plan-a&member=32")
        .await?
        .expect_problem(400, Some("member"))?;
    app.get("/en/plans/plan-a?member=32")
        .await?
        .expect_problem(400, Some("member"))?;
    app.get("/en/plans/plan-a?cursor=meetings.00")
        .await?
        .expect_problem(400, Some("cursor"))?;
    // An area of no plan, or of another one, can match nothing: the page says so.
    for area in ["Tech!", "nowhere"] {
        app.get(&format!("/en/plans/plan-a?area={area}"))
            .await?
            .expect_problem(400, Some("area"))?;
    }

    // More than a page: fifty more matters, led by Zhejiang, in ecology.
    let author = crate::people::setup_author();
    for n in 0..50 {
        app.store
            .create_matter(
                &author,
                "plan-a",
                &yrd_store::NewMatter {
                    key: Some(format!("m-page-{n:02}")),
                    area: Some("green".into()),
                    title: yrd_domain::Text::new("分页事项", "Paged matter"),
                    objective: yrd_domain::Text::default(),
                    body: None,
                    leads: vec![crate::fixtures::code(ZJ)],
                    participants: vec![],
                    start: None,
                    due: time::macros::date!(2026 - 12 - 31),
                    milestones: vec![],
                    indicators: vec![],
                    agreements: vec![],
                    tasks: vec![],
                    published: true,
                },
            )
            .await
            .map_err(|e| crate::fail("a matter", e))?;
    }
    let every: Vec<String> = app.json("/api/v1/matters?plan=plan-a&limit=500").await?["items"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|m| m["key"].as_str().map(str::to_owned))
        .collect();
    ensure_eq!(every.len(), 55, "the plan's matters");
    let first = page_html(&app, "/en/plans/plan-a").await?;
    ensure_eq!(
        listed_matters(&first),
        every[..50].to_vec(),
        "the first fifty"
    );
    ensure!(rel_link(&first, "first").is_none(), "the first page");
    let next = rel_link(&first, "next").ok_or("a link to the next page")?;
    ensure!(
        next.starts_with("/en/plans/plan-a?cursor=matters."),
        "the next page: {next}"
    );
    let second = page_html(&app, &next).await?;
    ensure_eq!(listed_matters(&second), every[50..].to_vec(), "the rest");
    ensure!(
        second.contains("Matters on this page: 5 · at most 50 per page"),
        "how many are shown"
    );
    ensure!(rel_link(&second, "next").is_none(), "the last page");
    ensure_eq!(
        rel_link(&second, "first"),
        Some("/en/plans/plan-a".to_owned()),
        "back to the first page"
    );

    // The filters go with the pages: Zhejiang leads m-new and the fifty.
    let zhejiang = page_html(&app, "/en/plans/plan-a?member=330000").await?;
    let mut keys = listed_matters(&zhejiang);
    ensure_eq!(keys.len(), 50, "a full page");
    let next = rel_link(&zhejiang, "next").ok_or("a link to Zhejiang's next page")?;
    ensure!(
        next.starts_with("/en/plans/plan-a?member=330000&cursor=matters."),
        "the next page keeps the filter: {next}"
    );
    let rest = page_html(&app, &next).await?;
    ensure!(
        rest.contains("<option value=\"330000\" selected>Zhejiang</option>"),
        "the later page keeps the filter selected"
    );
    ensure_eq!(
        rel_link(&rest, "first"),
        Some("/en/plans/plan-a?member=330000".to_owned()),
        "back to the first page, filtered"
    );
    keys.extend(listed_matters(&rest));
    let mut expected = vec!["m-new".to_owned()];
    expected.extend((0..50).map(|n| format!("m-page-{n:02}")));
    ensure_eq!(keys, expected, "every matter Zhejiang leads, once");

    // A member's page lists its matters a page at a time too, as the API lists them.
    let zhejiang_matters: Vec<String> = app.json("/api/v1/matters?member=330000&limit=500").await?
        ["items"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|m| m["key"].as_str().map(str::to_owned))
        .collect();
    ensure!(
        zhejiang_matters.len() > 50,
        "more than a page: {zhejiang_matters:?}"
    );
    let matters_section = |html: &str| {
        let start = html
            .find("<section aria-labelledby=\"matters\">")
            .unwrap_or(0);
        let length = html[start..].find("</section>").unwrap_or(0);
        html[start..start + length].to_owned()
    };
    let first = page_html(&app, "/en/jurisdictions/330000").await?;
    ensure_eq!(
        listed_matters(&matters_section(&first)),
        zhejiang_matters[..50].to_vec(),
        "the member's first fifty"
    );
    ensure!(
        rel_link(&first, "first").is_none(),
        "the member's first page"
    );
    let next = rel_link(&first, "next").ok_or("a link to the member's next page")?;
    ensure!(
        next.starts_with("/en/jurisdictions/330000?cursor=matters."),
        "the member's next page: {next}"
    );
    let second = page_html(&app, &next).await?;
    ensure_eq!(
        listed_matters(&matters_section(&second)),
        zhejiang_matters[50..].to_vec(),
        "the member's other matters"
    );
    ensure!(
        second.contains(&format!(
            "Matters on this page: {} · at most 50 per page",
            zhejiang_matters.len() - 50
        )),
        "how many of the member's are shown"
    );
    ensure!(
        rel_link(&second, "next").is_none(),
        "the member's last page"
    );
    ensure_eq!(
        rel_link(&second, "first"),
        Some("/en/jurisdictions/330000".to_owned()),
        "back to the member's first page"
    );
    app.get("/en/jurisdictions/330000?cursor=meetings.00")
        .await?
        .expect_problem(400, Some("cursor"))?;
    Ok(())
}

/// The indicator list, in the API and on its page, goes fifty at a time in key order; the
/// pages join up without a gap or a repeat, and a cursor of another list is refused.
async fn indicators_are_listed_a_page_at_a_time(app: TestApp) -> Result<(), Failed> {
    let template = app
        .dataset
        .indicators
        .first()
        .cloned()
        .ok_or("the fixture has an indicator")?;
    let mut more = yrd_domain::Dataset::default();
    for n in 0..60 {
        let mut indicator = template.clone();
        indicator.key = format!("paged-{n:02}");
        more.indicators.push(indicator);
    }
    app.store
        .import(&crate::people::setup_author(), &more)
        .await
        .map_err(|e| crate::fail("importing indicators", e))?;
    let total = app.dataset.indicators.len() + 60;

    let keys = |page: &Value| -> Vec<String> {
        page["items"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|i| i["key"].as_str().map(str::to_owned))
            .collect()
    };
    let first = app.json("/api/v1/indicators").await?;
    ensure_eq!(keys(&first).len(), 50, "fifty by default");
    let cursor = first["next_cursor"]
        .as_str()
        .ok_or("a cursor to the next page")?;
    let second = app
        .json(&format!("/api/v1/indicators?cursor={cursor}"))
        .await?;
    ensure!(second["next_cursor"].is_null(), "the last page");
    let mut listed = keys(&first);
    listed.extend(keys(&second));
    let mut sorted = listed.clone();
    sorted.sort();
    sorted.dedup();
    ensure_eq!(listed, sorted, "in key order, none twice");
    ensure_eq!(listed.len(), total, "every indicator once");
    let whole = app.json("/api/v1/indicators?limit=500").await?;
    ensure_eq!(keys(&whole), listed, "one page of 500 lists the same");

    let html = app.get("/en/indicators").await?;
    ensure_eq!(html.status, 200, "the list page");
    let html = String::from_utf8_lossy(&html.body).into_owned();
    ensure!(
        html.contains("Indicators on this page: 50 · at most 50 per page"),
        "how many are shown"
    );
    let next = rel_link(&html, "next").ok_or("a link to the next page")?;
    ensure!(
        next.starts_with("/en/indicators?cursor=indicators."),
        "the next page: {next}"
    );
    let rest = app.get(&next).await?;
    ensure_eq!(rest.status, 200, "the next page");
    let rest = String::from_utf8_lossy(&rest.body).into_owned();
    ensure!(
        rest.contains(&format!(
            "Indicators on this page: {} · at most 50 per page",
            total - 50
        )) && rel_link(&rest, "first") == Some("/en/indicators".to_owned()),
        "the rest, with a link back to the first page"
    );
    for path in [
        "/api/v1/indicators?cursor=problems.00",
        "/en/indicators?cursor=x",
    ] {
        app.get(path).await?.expect_problem(400, Some("cursor"))?;
    }
    // A member's page shows the member's own indicators, all of them: the sixty copy
    // Shanghai's rail mileage.
    let shanghai = app.get(&format!("/en/jurisdictions/{SH}")).await?;
    let shanghai = String::from_utf8_lossy(&shanghai.body).into_owned();
    ensure!(
        shanghai.matches("href=\"/en/indicators/paged-").count() == 60
            && shanghai.contains("href=\"/en/indicators/rail-km\""),
        "Shanghai's page lists its 61 indicators"
    );
    let jiangsu = app.get(&format!("/en/jurisdictions/{JS}")).await?;
    let jiangsu = String::from_utf8_lossy(&jiangsu.body).into_owned();
    ensure!(
        !jiangsu.contains("id=\"indicators\""),
        "Jiangsu has no indicator of its own"
    );
    // The export stays whole.
    let csv = app.get("/en/indicators.csv").await?;
    let lines = String::from_utf8_lossy(&csv.body).lines().count();
    ensure_eq!(
        lines,
        total + 1,
        "a header and every indicator in the export"
    );
    Ok(())
}
