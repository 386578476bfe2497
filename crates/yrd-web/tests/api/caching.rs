//! Cases for the cache of visitors' responses: what it keeps, for how long, and what it never
//! keeps. Each response says where it came from in `x-cache` (`hit`, `stale`, `miss`, or absent
//! when the cache does not apply).

use std::time::{Duration, Instant};

use libtest_mimic::Failed;
use time::macros::date;
use yrd_domain::Text;
use yrd_domain::access::{Role, Scope};
use yrd_store::{CarryOver, NewReport, NewSubtask, RecordScope, ReportTransition};
use yrd_web::AppState;

use crate::app::{Reply, TestApp};
use crate::fixtures::{JS, code};
use crate::people::{setup_author, with_token};
use crate::{cases, ensure, ensure_eq, fail};

cases!(
    a_visitors_response_is_kept_until_the_records_change,
    a_visitor_may_be_answered_stale_within_the_bound,
    a_change_by_another_process_is_seen_within_the_recheck,
    languages_are_kept_apart,
    personal_and_uncacheable_responses_are_never_kept,
    a_position_leaves_every_records_response_kept,
    kept_responses_are_sent_gzipped_to_clients_that_accept_it,
);

/// Cases on the YRD dataset, whose several plans let a change be seen to leave the others' pages.
pub const YRD_CASES: &[(&str, crate::app::Case)] = &[(
    "a_change_to_a_tasks_progress_makes_only_its_records_responses_again",
    |app| Box::pin(a_change_to_a_tasks_progress_makes_only_its_records_responses_again(app)),
)];

fn outcome(reply: &Reply) -> Option<&str> {
    reply.header("x-cache")
}

/// Jiangsu's reported figure on the technology matter, as a response shows it.
fn jiangsu_reported(reply: &Reply) -> Result<serde_json::Value, Failed> {
    let matter = reply.json()?;
    let task = matter["tasks"]
        .as_array()
        .and_then(|t| t.iter().find(|t| t["key"] == "t-tech-js"))
        .ok_or("Jiangsu's task")?;
    Ok(task["reported"]["percent"].clone())
}

async fn report(store: &yrd_store::Store, as_of: time::Date, percent: u8) -> Result<(), Failed> {
    store
        .submit_report(
            &setup_author(),
            "t-tech-js",
            &NewReport {
                as_of,
                percent,
                narrative: Text::new("进展", "Progress"),
                evidence: vec![],
            },
        )
        .await
        .map_err(|e| fail("a report", e))?;
    Ok(())
}

async fn a_visitors_response_is_kept_until_the_records_change(app: TestApp) -> Result<(), Failed> {
    for path in [
        "/api/v1/matters/m-tech",
        "/zh/matters/m-tech",
        "/api/v1/plans/plan-a",
    ] {
        let first = app.get(path).await?;
        ensure_eq!(first.status, 200, "GET {path}");
        ensure_eq!(outcome(&first), Some("miss"), "{path}: first request");
        let again = app.get(path).await?;
        ensure_eq!(outcome(&again), Some("hit"), "{path}: second request");
        ensure!(again.body == first.body, "{path}: the same body");
        ensure_eq!(
            again.header("etag"),
            first.header("etag"),
            "{path}: the same tag"
        );
        ensure_eq!(
            again.header("content-type"),
            first.header("content-type"),
            "{path}: the same media type"
        );
        ensure_eq!(
            again.header("content-security-policy").is_some(),
            true,
            "{path}: security headers on a kept response"
        );
        // A conditional request is answered from what is kept.
        let tag = first.header("etag").ok_or("a tag")?.to_owned();
        let not_modified = app.get_with(path, &[("if-none-match", &tag)]).await?;
        ensure_eq!(not_modified.status, 304, "{path}: If-None-Match");
        ensure_eq!(
            outcome(&not_modified),
            Some("hit"),
            "{path}: 304 from the cache"
        );
        ensure_eq!(
            not_modified.header("etag"),
            Some(tag.as_str()),
            "{path}: 304 tag"
        );
        ensure!(not_modified.body.is_empty(), "{path}: a 304 has no body");
    }
    let before = app.json("/api/v1/matters/m-tech").await?;

    // A report recorded through the server's own store moves the head it keeps responses
    // under at once, so nothing kept before it is served again.
    report(&app.store, date!(2025 - 02 - 28), 45).await?;
    let after = app.get("/api/v1/matters/m-tech").await?;
    ensure_eq!(outcome(&after), Some("miss"), "after a write");
    ensure!(
        after.json()? != before,
        "the matter changed with the report"
    );
    ensure_eq!(
        jiangsu_reported(&after)?,
        serde_json::json!(45),
        "the new report shows"
    );
    let page = app.get("/zh/matters/m-tech").await?;
    ensure_eq!(outcome(&page), Some("miss"), "the page after a write");

    // A write through the API moves it too.
    let coordinator = with_token(
        &app,
        "js-coordinator",
        &[(Role::MemberCoordinator, Scope::Jurisdiction(code(JS)))],
    )
    .await?;
    let report =
        serde_json::json!({"as_of": "2025-03-31", "percent": 55, "narrative": {"zh": "进展"}});
    let posted = app
        .send(
            "POST",
            "/api/v1/tasks/t-tech-js/reports",
            &[("authorization", coordinator)],
            Some(("application/json", report.to_string().into_bytes())),
        )
        .await?;
    ensure_eq!(posted.status, 201, "a report through the API");
    let after = app.get("/api/v1/matters/m-tech").await?;
    ensure_eq!(
        outcome(&after),
        Some("miss"),
        "after a write through the API"
    );
    ensure_eq!(
        jiangsu_reported(&after)?,
        serde_json::json!(55),
        "the API's report shows"
    );
    Ok(())
}

/// With a stale bound (the shared server of these cases has none), a visitor asking right
/// after a change is answered the kept response, marked `stale`; past half the bound, such an
/// answer has the new one made in the background, answered next; past the bound, the visitor
/// waits for the new one.
async fn a_visitor_may_be_answered_stale_within_the_bound(app: TestApp) -> Result<(), Failed> {
    let bound = Duration::from_secs(2);
    let second = app
        .second_server(AppState::new(app.store.clone()).with_stale_bound(bound))
        .await?;
    let visitor = &second.app;
    let path = "/api/v1/matters/m-tech";
    let first = visitor.get(path).await?;
    ensure_eq!(outcome(&first), Some("miss"), "the first request");
    let before = jiangsu_reported(&first)?;

    report(&app.store, date!(2025 - 02 - 28), 45).await?;
    let stale = visitor.get(path).await?;
    ensure_eq!(outcome(&stale), Some("stale"), "right after the change");
    ensure!(
        stale.body == first.body,
        "the response kept before the change"
    );
    ensure_eq!(stale.header("etag"), first.header("etag"), "its own tag");
    // Past half the bound, a stale answer has the new response made: it is kept, and
    // answered, within moments.
    let started = Instant::now();
    let refreshed = loop {
        let reply = visitor.get(path).await?;
        match outcome(&reply) {
            Some("stale") if started.elapsed() < bound => {
                ensure!(reply.body == first.body, "stale is the kept response");
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
            _ => break reply,
        }
    };
    ensure_eq!(
        outcome(&refreshed),
        Some("hit"),
        "made in the background, not while a visitor waited"
    );
    ensure_eq!(
        jiangsu_reported(&refreshed)?,
        serde_json::json!(45),
        "the new report shows (before: {before})"
    );

    // Past the bound, the kept response is not answered: the visitor waits for a new one.
    report(&app.store, date!(2025 - 03 - 31), 55).await?;
    tokio::time::sleep(bound).await;
    let late = visitor.get(path).await?;
    ensure_eq!(outcome(&late), Some("miss"), "past the bound");
    ensure_eq!(
        jiangsu_reported(&late)?,
        serde_json::json!(55),
        "the newest report shows"
    );
    Ok(())
}

async fn a_change_by_another_process_is_seen_within_the_recheck(
    app: TestApp,
) -> Result<(), Failed> {
    let path = "/api/v1/matters/m-tech";
    app.get(path).await?;
    let kept = app.get(path).await?;
    ensure_eq!(outcome(&kept), Some("hit"), "kept");
    // Another process on the same database: the server hears of its change only by reading
    // the head from the database.
    let other = yrd_store::Store::connect(&app.database_url)
        .await
        .map_err(|e| fail("a second store on the database", e))?;
    report(&other, date!(2025 - 02 - 28), 35).await?;
    other.close().await;
    // One request starts the read of the head (which may answer from what is kept), then
    // after the recheck interval the next one must see the change.
    app.get(path).await?;
    tokio::time::sleep(yrd_web::CACHE_RECHECK * 2).await;
    let after = app.get(path).await?;
    ensure_eq!(
        outcome(&after),
        Some("miss"),
        "made afresh after the recheck"
    );
    ensure_eq!(
        jiangsu_reported(&after)?,
        serde_json::json!(35),
        "the other process's report shows"
    );
    Ok(())
}

async fn languages_are_kept_apart(app: TestApp) -> Result<(), Failed> {
    let path = "/api/v1/plans/plan-a";
    let en = app.get_with(path, &[("accept-language", "en")]).await?;
    let zh = app.get_with(path, &[("accept-language", "zh-CN")]).await?;
    ensure_eq!(outcome(&en), Some("miss"), "English first");
    ensure_eq!(outcome(&zh), Some("miss"), "Chinese is another response");
    ensure!(en.body != zh.body, "the two languages differ");
    for (lang, first) in [("en", &en), ("zh-CN", &zh)] {
        let again = app.get_with(path, &[("accept-language", lang)]).await?;
        ensure_eq!(outcome(&again), Some("hit"), "{lang} again");
        ensure!(again.body == first.body, "{lang}: its own body");
        ensure_eq!(
            again.header("content-language"),
            first.header("content-language"),
            "{lang}: its language"
        );
    }
    // The query is part of what is asked.
    let query = app.get(&format!("{path}?lang=en")).await?;
    ensure_eq!(outcome(&query), Some("miss"), "?lang=en is another request");
    Ok(())
}

async fn personal_and_uncacheable_responses_are_never_kept(app: TestApp) -> Result<(), Failed> {
    let path = "/api/v1/matters/m-tech";
    // A token holder's response may show drafts: it is neither kept nor served from the cache
    // (which a visitor has just filled).
    app.get(path).await?;
    let token = with_token(
        &app,
        "js-coordinator",
        &[(Role::MemberCoordinator, Scope::Jurisdiction(code(JS)))],
    )
    .await?;
    for _ in 0..2 {
        let reply = app.get_with(path, &[("authorization", &token)]).await?;
        ensure_eq!(reply.status, 200, "with a token");
        ensure_eq!(outcome(&reply), None, "with a token");
        ensure_eq!(
            reply.header("cache-control"),
            Some("private, no-store"),
            "with a token"
        );
    }
    // Any cookie may be a session.
    for _ in 0..2 {
        let reply = app
            .get_with(path, &[("cookie", "yrd_session=unknown")])
            .await?;
        ensure_eq!(reply.status, 200, "with a cookie");
        ensure_eq!(outcome(&reply), None, "with a cookie");
    }
    // The sign-in form sets a fresh CSRF cookie each time.
    let first = app.get("/sign-in").await?;
    let second = app.get("/sign-in").await?;
    ensure_eq!(first.status, 200, "the sign-in form");
    ensure!(
        outcome(&second) != Some("hit"),
        "the sign-in form is made afresh"
    );
    ensure!(first.body != second.body, "each form has its own token");
    // The health check reaches the database each time.
    for _ in 0..2 {
        let reply = app.get("/api/v1/healthz").await?;
        ensure_eq!(reply.status, 200, "healthz");
        ensure!(
            outcome(&reply) != Some("hit"),
            "healthz is checked each time"
        );
    }
    // Errors are not kept.
    for _ in 0..2 {
        let reply = app.get("/api/v1/matters/m-nothing").await?;
        ensure_eq!(reply.status, 404, "an unknown matter");
        ensure!(outcome(&reply) != Some("hit"), "a 404 is not kept");
    }
    // Nor other methods' answers.
    let head = app.request(reqwest::Method::HEAD, path).await?;
    ensure_eq!(head.status, 200, "HEAD");
    ensure_eq!(outcome(&head), None, "HEAD");
    Ok(())
}

/// A response a case watches, and the record whose changes alone may make it again (`None`:
/// every change does).
struct Watched {
    path: String,
    record: Option<RecordScope>,
}

/// Every response the cache may keep across changes, for every published plan with matters:
/// each plan's pages (both languages), record and list of matters; each matter's page and
/// record; each task's record and its sub-tasks'. Then a few taken to show every record.
async fn watched(app: &TestApp) -> Result<Vec<Watched>, Failed> {
    let mut watched = Vec::new();
    let mut watch =
        |path: String, record: Option<RecordScope>| watched.push(Watched { path, record });
    for plan in app.all_pages("/api/v1/plans?limit=100").await? {
        let plan = plan["key"].as_str().ok_or("a plan's key")?.to_owned();
        let matters = app
            .all_pages(&format!("/api/v1/matters?plan={plan}"))
            .await?;
        if matters.is_empty() {
            continue;
        }
        for path in [
            format!("/zh/plans/{plan}"),
            format!("/en/plans/{plan}"),
            format!("/api/v1/plans/{plan}"),
            format!("/api/v1/matters?plan={plan}"),
        ] {
            watch(path, Some(RecordScope::Plan(plan.clone())));
        }
        for matter in &matters {
            let key = matter["key"].as_str().ok_or("a matter's key")?.to_owned();
            for path in [
                format!("/zh/matters/{key}"),
                format!("/api/v1/matters/{key}"),
            ] {
                watch(path, Some(RecordScope::Matter(key.clone())));
            }
            let tasks = matter["tasks"].as_array().ok_or("a matter's tasks")?;
            for task in tasks {
                let subtasks = task["subtasks"].as_array().into_iter().flatten();
                for task in std::iter::once(task).chain(subtasks) {
                    let key = task["key"].as_str().ok_or("a task's key")?.to_owned();
                    watch(format!("/api/v1/tasks/{key}"), Some(RecordScope::Task(key)));
                }
            }
        }
    }
    for path in [
        "/zh/",
        "/api/v1/matters",
        "/zh/meetings",
        "/api/v1/meetings",
    ] {
        watch(path.to_owned(), None);
    }
    Ok(watched)
}

/// Asks the server for every watched response, and a server without a cache on the same
/// database for the same: each must be answered as the records are, made again (`miss`) if
/// the change since the last look (`None`: none) touched its record or it shows every record,
/// as kept (`hit`) if not.
async fn look(
    app: &TestApp,
    truth: &TestApp,
    watched: &[Watched],
    touched: Option<&[RecordScope]>,
    after: &str,
) -> Result<(), Failed> {
    for Watched { path, record } in watched {
        let answered = app.get(path).await?;
        let made = truth.get(path).await?;
        ensure_eq!(answered.status, 200, "{after}: GET {path}");
        ensure!(
            answered.body == made.body,
            "{after}: GET {path} is answered as the records are"
        );
        ensure_eq!(
            answered.header("etag"),
            made.header("etag"),
            "{after}: GET {path}: the tag"
        );
        let expected = match (touched, record) {
            (None, _) => "hit",
            (Some(touched), Some(record)) if !touched.contains(record) => "hit",
            _ => "miss",
        };
        ensure_eq!(outcome(&answered), Some(expected), "{after}: GET {path}");
    }
    Ok(())
}

/// The records a change to `task`'s progress touches, as the case knows them.
fn progress_of(task: &str, parent: Option<&str>, matter: &str, plan: &str) -> Vec<RecordScope> {
    let mut records = vec![
        RecordScope::Task(task.into()),
        RecordScope::Matter(matter.into()),
        RecordScope::Plan(plan.into()),
    ];
    records.extend(parent.map(|p| RecordScope::Task(p.into())));
    records
}

/// A report, its verification, a sub-task (a change not confined to records), a report on the
/// sub-task and its return: after each, every response of the other plans, matters and tasks
/// is still answered as kept, and every response is as the records are.
async fn a_change_to_a_tasks_progress_makes_only_its_records_responses_again(
    app: TestApp,
) -> Result<(), Failed> {
    let truth = app
        .second_server(AppState::new(app.store.clone()).with_response_cache(0))
        .await?;
    let truth = &truth.app;
    // The dataset's matters are all the action plan's: one carried over into a work plan
    // gives a second plan with matters.
    let first = truth
        .json("/api/v1/matters?plan=action-plan-2024-2026")
        .await?;
    let carried = first["items"][0]["key"].as_str().ok_or("a matter")?;
    let carried = app
        .store
        .carry_over(
            &setup_author(),
            carried,
            &CarryOver {
                plan: "work-plan-2024".into(),
                due: None,
            },
        )
        .await
        .map_err(|e| fail("carrying a matter over", e))?;
    app.store
        .set_matter_published(&setup_author(), &carried, true)
        .await
        .map_err(|e| fail("publishing the carried matter", e))?;
    // Two tasks of matters of two plans.
    let mut chosen = Vec::new();
    for plan in truth.all_pages("/api/v1/plans?limit=100").await? {
        let plan = plan["key"].as_str().ok_or("a plan's key")?.to_owned();
        let matters = truth
            .all_pages(&format!("/api/v1/matters?plan={plan}"))
            .await?;
        if let Some(matter) = matters.first() {
            let key = |v: &serde_json::Value| v["key"].as_str().map(str::to_owned);
            let task = key(&matter["tasks"][0]).ok_or("a task of the matter")?;
            chosen.push((task, key(matter).ok_or("a matter's key")?, plan));
        }
    }
    let [
        (task, matter, plan),
        (parent, parent_matter, parent_plan),
        ..,
    ] = chosen.as_slice()
    else {
        return Err("the dataset has two plans with matters".into());
    };

    let mut watching = watched(truth).await?;
    for Watched { path, .. } in &watching {
        app.get(path).await?;
    }
    look(&app, truth, &watching, None, "before any change").await?;

    let new = NewReport {
        as_of: date!(2024 - 11 - 30),
        percent: 40,
        narrative: Text::new("进展", "Progress"),
        evidence: vec![],
    };
    let report = app
        .store
        .submit_report(&setup_author(), task, &new)
        .await
        .map_err(|e| fail("a report", e))?;
    let touched = progress_of(task, None, matter, plan);
    look(&app, truth, &watching, Some(&touched), "a report").await?;

    app.store
        .review_report(
            &setup_author(),
            &report.key,
            &ReportTransition::Verify,
            None,
        )
        .await
        .map_err(|e| fail("verifying", e))?;
    look(&app, truth, &watching, Some(&touched), "its verification").await?;

    let subtask = app
        .store
        .add_subtask(
            &setup_author(),
            parent,
            &NewSubtask {
                unit: Text::new("处室", "A division"),
                title: Text::new("分项", "A part"),
                due: date!(2024 - 12 - 31),
            },
        )
        .await
        .map_err(|e| fail("a sub-task", e))?;
    watching.push(Watched {
        path: format!("/api/v1/tasks/{subtask}"),
        record: Some(RecordScope::Task(subtask.clone())),
    });
    // Not confined: every response is made again.
    let everything: Vec<RecordScope> = watching.iter().filter_map(|w| w.record.clone()).collect();
    look(&app, truth, &watching, Some(&everything), "a sub-task").await?;

    let report = app
        .store
        .submit_report(&setup_author(), &subtask, &new)
        .await
        .map_err(|e| fail("a report on the sub-task", e))?;
    let touched = progress_of(&subtask, Some(parent), parent_matter, parent_plan);
    look(
        &app,
        truth,
        &watching,
        Some(&touched),
        "a report on the sub-task",
    )
    .await?;

    let reason = Text::new("材料不全", "Evidence missing");
    app.store
        .review_report(
            &setup_author(),
            &report.key,
            &ReportTransition::Return { reason },
            None,
        )
        .await
        .map_err(|e| fail("returning", e))?;
    look(&app, truth, &watching, Some(&touched), "its return").await
}

/// A member's position shows on no plan's, matter's or task's page.
async fn a_position_leaves_every_records_response_kept(app: TestApp) -> Result<(), Failed> {
    let truth = app
        .second_server(AppState::new(app.store.clone()).with_response_cache(0))
        .await?;
    let truth = &truth.app;
    let decision = crate::meetings::scheduled_decision(&app).await?;
    let watching = watched(truth).await?;
    for Watched { path, .. } in &watching {
        app.get(path).await?;
    }
    look(&app, truth, &watching, None, "before the position").await?;
    app.store
        .record_position(
            &setup_author(),
            &decision,
            code(crate::fixtures::AH),
            yrd_domain::Stance::Consent,
            &Text::new("同意", "Agreed"),
        )
        .await
        .map_err(|e| fail("a position", e))?;
    look(&app, truth, &watching, Some(&[]), "a position").await
}

/// A client that accepts gzip gets the kept body gzipped, under a tag of its own; one that does
/// not gets it as made. Both say the response varies with `Accept-Encoding`.
async fn kept_responses_are_sent_gzipped_to_clients_that_accept_it(
    app: TestApp,
) -> Result<(), Failed> {
    use std::io::Read;
    for path in ["/zh/plans/plan-a", "/api/v1/matters/m-tech"] {
        let plain = app.get(path).await?;
        let gzip = [("accept-encoding", "gzip, deflate, br")];
        for expected in ["miss", "hit"] {
            // The first is made for a client of the other kind: each is answered as it asks.
            let (first, second) = if expected == "miss" {
                (app.get_with(path, &gzip).await?, app.get(path).await?)
            } else {
                (app.get(path).await?, app.get_with(path, &gzip).await?)
            };
            let (gzipped, identity) = if expected == "miss" {
                (&first, &second)
            } else {
                (&second, &first)
            };
            ensure_eq!(gzipped.status, 200, "{path}: gzipped");
            ensure_eq!(
                gzipped.header("content-encoding"),
                Some("gzip"),
                "{path}: gzipped"
            );
            let mut body = Vec::new();
            flate2::read::GzDecoder::new(&gzipped.body[..])
                .read_to_end(&mut body)
                .map_err(|e| fail(&format!("{path}: gunzipping"), e))?;
            ensure!(body == plain.body, "{path}: the same body once gunzipped");
            ensure!(
                gzipped.body.len() * 2 < plain.body.len(),
                "{path}: {} bytes gzipped against {}",
                gzipped.body.len(),
                plain.body.len()
            );
            ensure_eq!(identity.header("content-encoding"), None, "{path}: as made");
            ensure!(identity.body == plain.body, "{path}: as made");
            ensure_eq!(
                identity.header("etag"),
                plain.header("etag"),
                "{path}: the tag of the body as made"
            );
            ensure!(
                gzipped.header("etag") != plain.header("etag"),
                "{path}: gzipped, a representation with a tag of its own"
            );
            for reply in [gzipped, identity] {
                let vary = reply
                    .headers
                    .get_all("vary")
                    .iter()
                    .filter_map(|v| v.to_str().ok())
                    .collect::<Vec<_>>()
                    .join(",");
                ensure!(
                    vary.to_ascii_lowercase().contains("accept-encoding"),
                    "{path}: Vary names Accept-Encoding: {vary:?}"
                );
            }
        }
        // The gzipped representation's tag answers a conditional request for it.
        let gzipped = app.get_with(path, &[("accept-encoding", "gzip")]).await?;
        let tag = gzipped.header("etag").ok_or("a tag")?.to_owned();
        let not_modified = app
            .get_with(
                path,
                &[("accept-encoding", "gzip"), ("if-none-match", &tag)],
            )
            .await?;
        ensure_eq!(not_modified.status, 304, "{path}: If-None-Match, gzipped");
        // Kept again after a change, before which the two requests above were made.
        report(&app.store, date!(2025 - 02 - 28), 45).await?;
    }
    Ok(())
}
