//! Cases for the cache of visitors' responses: what it keeps, for how long, and what it never
//! keeps. Each response says where it came from in `x-cache` (`hit`, `stale`, `miss`, or absent
//! when the cache does not apply).

use std::time::{Duration, Instant};

use libtest_mimic::Failed;
use time::macros::date;
use yrd_domain::Text;
use yrd_domain::access::{Role, Scope};
use yrd_store::NewReport;
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
);

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
