//! Cases for what every endpoint shares: problem documents, entity tags, language
//! negotiation, the health check and the OpenAPI document.

use libtest_mimic::Failed;
use serde_json::Value;

use crate::app::TestApp;
use crate::{cases, ensure, ensure_eq};

cases!(
    invalid_parameters_are_400_problems_naming_each_field,
    unknown_keys_and_paths_are_404_problems,
    an_etag_sent_back_in_if_none_match_gives_304,
    the_lang_parameter_wins_over_accept_language,
    healthz_names_the_database_engine,
    openapi_document_is_3_1_and_describes_every_route,
    server_failures_are_opaque_500s_and_a_lost_database_is_a_503,
);

/// The paths the API serves. The document must describe exactly these.
const ROUTES: &[&str] = &[
    "/api/openapi.json",
    "/api/v1/agreements",
    "/api/v1/agreements/{key}",
    "/api/v1/agreements/{key}/open",
    "/api/v1/agreements/{key}/signatures/{member}",
    "/api/v1/agreements/{key}/terminate",
    "/api/v1/agreements/{key}/text",
    "/api/v1/bodies",
    "/api/v1/decisions/{key}/positions/{member}",
    "/api/v1/healthz",
    "/api/v1/history",
    "/api/v1/indicators",
    "/api/v1/indicators/{key}",
    "/api/v1/jurisdictions",
    "/api/v1/jurisdictions/{code}",
    "/api/v1/matters",
    "/api/v1/matters/{key}",
    "/api/v1/matters/{key}/carry-over",
    "/api/v1/matters/{key}/problems",
    "/api/v1/matters/{key}/publication",
    "/api/v1/me",
    "/api/v1/meetings",
    "/api/v1/meetings/{key}",
    "/api/v1/meetings/{key}/close",
    "/api/v1/meetings/{key}/decisions",
    "/api/v1/plans",
    "/api/v1/plans/{key}",
    "/api/v1/plans/{key}/matters",
    "/api/v1/plans/{key}/publication",
    "/api/v1/problems",
    "/api/v1/problems/{key}",
    "/api/v1/problems/{key}/escalate",
    "/api/v1/problems/{key}/resolve",
    "/api/v1/reminders",
    "/api/v1/reports/{key}",
    "/api/v1/reports/{key}/approve",
    "/api/v1/reports/{key}/return",
    "/api/v1/reports/{key}/verify",
    "/api/v1/tasks/{key}",
    "/api/v1/tasks/{key}/reports",
    "/api/v1/tasks/{key}/subtasks",
    "/api/v1/tokens",
    "/api/v1/tokens/{id}",
    "/api/v1/users",
    "/api/v1/users/{username}",
    "/api/v1/users/{username}/roles",
    "/api/v1/users/{username}/roles/{role}/{scope}",
    "/api/v1/zones",
];

/// The documented paths that need a signed-in caller or a parameter, or change records; the
/// authorization matrix (`access`) requests those, as every role.
fn is_public_read(path: &str) -> bool {
    ![
        "/me",
        "/users",
        "/tokens",
        "/history",
        "/positions",
        "/publication",
        "/reports",
        "/reminders",
        "/problems",
        "/close",
        "/decisions",
        "/open",
        "/signatures",
        "/terminate",
        "/text",
        "/tasks",
        "/carry-over",
        "}/matters",
    ]
    .iter()
    .any(|part| path.contains(part))
}

async fn invalid_parameters_are_400_problems_naming_each_field(app: TestApp) -> Result<(), Failed> {
    let cases: &[(&str, &str)] = &[
        ("/api/v1/matters?status=late", "status"),
        ("/api/v1/matters?status=done&status=overdue", "status"),
        ("/api/v1/matters?as_of=2024-02-30", "as_of"),
        ("/api/v1/matters?as_of=yesterday", "as_of"),
        ("/api/v1/matters?basis=rumoured", "basis"),
        ("/api/v1/matters?member=33", "member"),
        ("/api/v1/matters?plan=Not%20A%20Key", "plan"),
        ("/api/v1/matters?limit=0", "limit"),
        ("/api/v1/matters?limit=501", "limit"),
        ("/api/v1/matters?limit=ten", "limit"),
        ("/api/v1/matters?area=tech", "area"),
        ("/api/v1/matters?cursor=garbage", "cursor"),
        ("/api/v1/matters/some-matter?as_of=2023-02-29", "as_of"),
        ("/api/v1/meetings?cursor=garbage", "cursor"),
        ("/api/v1/meetings?body=%2F%2F", "body"),
        ("/api/v1/jurisdictions/33030", "code"),
        ("/api/v1/jurisdictions/abcdef", "code"),
        ("/api/v1/agreements?party=3100000", "party"),
        ("/api/v1/plans?lang=fr", "lang"),
        ("/api/v1/meetings/Symposium-2024", "key"),
    ];
    for (path, field) in cases {
        app.get(path).await?.expect_problem(400, Some(field))?;
    }
    // A cursor of one list is not a cursor of another.
    let page = app.json("/api/v1/meetings?limit=1").await?;
    let cursor = page["next_cursor"]
        .as_str()
        .ok_or("no second page of meetings")?;
    app.get(&format!("/api/v1/matters?cursor={cursor}"))
        .await?
        .expect_problem(400, Some("cursor"))?;
    // Every invalid parameter is reported at once.
    let problem = app
        .get("/api/v1/matters?status=late&as_of=2024-02-30&limit=0")
        .await?
        .expect_problem(400, Some("status"))?;
    let fields: Vec<&str> = problem["errors"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|e| e["field"].as_str())
        .collect();
    ensure_eq!(fields, vec!["status", "as_of", "limit"], "fields named");
    ensure!(
        problem["errors"][1]["reason"]
            .as_str()
            .is_some_and(|r| r.contains("2024-02-30")),
        "the reason quotes the value: {problem}"
    );
    Ok(())
}

async fn unknown_keys_and_paths_are_404_problems(app: TestApp) -> Result<(), Failed> {
    for path in [
        "/api/v1/meetings/no-such-meeting",
        "/api/v1/plans/no-such-plan",
        "/api/v1/matters/no-such-matter",
        "/api/v1/agreements/no-such-agreement",
        "/api/v1/indicators/no-such-indicator",
        // A well-formed code that is not in the register.
        "/api/v1/jurisdictions/110000",
        "/api/v1/no-such-resource",
        "/api/v2/meetings",
        "/nothing/here",
    ] {
        let problem = app.get(path).await?.expect_problem(404, None)?;
        ensure!(
            problem.get("errors").is_none(),
            "{path}: a 404 lists no parameters: {problem}"
        );
    }
    let reply = app
        .request(reqwest::Method::DELETE, "/api/v1/meetings")
        .await?;
    reply.expect_problem(405, None)?;
    Ok(())
}

async fn an_etag_sent_back_in_if_none_match_gives_304(app: TestApp) -> Result<(), Failed> {
    for path in [
        "/api/v1/jurisdictions",
        "/api/v1/meetings?limit=3",
        "/api/openapi.json",
    ] {
        let first = app.get(path).await?;
        ensure_eq!(first.status, 200, "status of {path}");
        let tag = first.header("etag").ok_or("no ETag")?.to_owned();
        ensure!(
            tag.len() == 34 && tag.starts_with('"') && tag.ends_with('"'),
            "{path}: not a strong tag of 16 bytes in hex: {tag}"
        );
        let again = app.get(path).await?;
        ensure_eq!(
            again.header("etag"),
            Some(tag.as_str()),
            "{path}: the tag is stable"
        );

        let not_modified = app.get_with(path, &[("If-None-Match", &tag)]).await?;
        ensure_eq!(not_modified.status, 304, "{path} with a matching tag");
        ensure!(not_modified.body.is_empty(), "{path}: a 304 has no body");
        ensure_eq!(
            not_modified.header("etag"),
            Some(tag.as_str()),
            "{path}: a 304 repeats the tag"
        );

        let weak = format!("\"other\", W/{tag}");
        ensure_eq!(
            app.get_with(path, &[("If-None-Match", &weak)])
                .await?
                .status,
            304,
            "{path} with a list"
        );
        let other = app.get_with(path, &[("If-None-Match", "\"0123\"")]).await?;
        ensure_eq!(other.status, 200, "{path} with another tag");
        ensure_eq!(other.body, first.body, "{path}: same body");
    }
    // Another language is another body, so another tag.
    let zh = app.get("/api/v1/jurisdictions").await?;
    let en = app.get("/api/v1/jurisdictions?lang=en").await?;
    ensure!(
        zh.header("etag") != en.header("etag"),
        "languages share a tag"
    );
    // Errors carry no tag.
    let missing = app.get("/api/v1/plans/no-such-plan").await?;
    ensure!(missing.header("etag").is_none(), "a problem has a tag");
    Ok(())
}

async fn the_lang_parameter_wins_over_accept_language(app: TestApp) -> Result<(), Failed> {
    let path = "/api/v1/jurisdictions/330300";
    let name =
        |reply: &crate::app::Reply| -> Result<Value, Failed> { Ok(reply.json()?["name"].clone()) };

    let default = app.get(path).await?;
    ensure_eq!(name(&default)?, "温州市", "default language");
    ensure_eq!(
        default.header("content-language"),
        Some("zh"),
        "Content-Language by default"
    );
    ensure_eq!(default.header("vary"), Some("Accept-Language"), "Vary");

    let header = app
        .get_with(path, &[("Accept-Language", "en-GB,en;q=0.9,zh;q=0.5")])
        .await?;
    ensure_eq!(name(&header)?, "Wenzhou", "Accept-Language: en");
    ensure_eq!(
        header.header("content-language"),
        Some("en"),
        "Content-Language for en"
    );

    let unsupported = app.get_with(path, &[("Accept-Language", "fr-FR")]).await?;
    ensure_eq!(
        name(&unsupported)?,
        "温州市",
        "an unsupported language means Chinese"
    );

    let param = app
        .get_with(&format!("{path}?lang=zh"), &[("Accept-Language", "en")])
        .await?;
    ensure_eq!(name(&param)?, "温州市", "lang=zh over Accept-Language: en");
    ensure_eq!(
        param.header("content-language"),
        Some("zh"),
        "Content-Language follows lang"
    );

    let param = app
        .get_with(&format!("{path}?lang=en"), &[("Accept-Language", "zh-CN")])
        .await?;
    ensure_eq!(name(&param)?, "Wenzhou", "lang=en over Accept-Language: zh");
    Ok(())
}

async fn healthz_names_the_database_engine(app: TestApp) -> Result<(), Failed> {
    let health = app.json("/api/v1/healthz").await?;
    ensure_eq!(health["status"], "ok", "status");
    ensure_eq!(health["database"], app.engine, "engine");
    Ok(())
}

async fn openapi_document_is_3_1_and_describes_every_route(app: TestApp) -> Result<(), Failed> {
    let doc = app.json("/api/openapi.json").await?;
    ensure!(
        doc["openapi"]
            .as_str()
            .is_some_and(|v| v.starts_with("3.1")),
        "not OpenAPI 3.1: {}",
        doc["openapi"]
    );
    let paths: Vec<&str> = doc["paths"]
        .as_object()
        .map(|p| p.keys().map(String::as_str).collect())
        .unwrap_or_default();
    ensure_eq!(paths, ROUTES.to_vec(), "documented paths");
    ensure_eq!(
        doc,
        serde_json::to_value(yrd_web::openapi()).map_err(|e| crate::fail("serialising", e))?,
        "served and built documents"
    );

    // Every operation is documented with a summary and a success response.
    for path in &paths {
        let item = doc["paths"][*path].as_object().cloned().unwrap_or_default();
        ensure!(!item.is_empty(), "{path} documents no operation");
        for (method, operation) in item {
            ensure!(
                operation["summary"].as_str().is_some_and(|s| !s.is_empty()),
                "{method} {path} has no summary"
            );
            let responses = operation["responses"]
                .as_object()
                .cloned()
                .unwrap_or_default();
            ensure!(
                responses.keys().any(|status| status.starts_with('2')),
                "{method} {path} documents no success"
            );
        }
    }

    // Every documented public read is served: request each, with a real key from its list.
    let first_key = |list: Value| list["items"][0]["key"].as_str().map(str::to_owned);
    let matter = first_key(app.json("/api/v1/matters?limit=1").await?).ok_or("no matter")?;
    let agreement = first_key(app.json("/api/v1/agreements").await?).ok_or("no agreement")?;
    let indicator = first_key(app.json("/api/v1/indicators").await?).ok_or("no indicator")?;
    for path in paths.iter().filter(|p| is_public_read(p)) {
        let key = match path.split('/').nth(3) {
            Some("meetings") => "symposium-2024",
            Some("plans") => "action-plan-2024-2026",
            Some("matters") => &matter,
            Some("agreements") => &agreement,
            Some("indicators") => &indicator,
            _ => "",
        };
        let url = path.replace("{code}", "330300").replace("{key}", key);
        let operation = &doc["paths"][*path]["get"];
        ensure!(operation.is_object(), "{path} documents no GET");
        ensure!(
            operation["responses"]["200"].is_object(),
            "{path} documents no 200"
        );
        app.json(&url).await?;
    }
    // Parameters the handlers read are documented.
    let parameters = |path: &str| -> Vec<String> {
        doc["paths"][path]["get"]["parameters"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|p| p["name"].as_str().map(str::to_owned))
            .collect()
    };
    for name in [
        "plan",
        "area",
        "member",
        "status",
        "basis",
        "as_of",
        "cursor",
        "limit",
        "lang",
        "Accept-Language",
    ] {
        ensure!(
            parameters("/api/v1/matters").iter().any(|p| p == name),
            "/api/v1/matters does not document {name}"
        );
    }
    ensure!(
        parameters("/api/v1/jurisdictions/{code}")
            .iter()
            .any(|p| p == "code"),
        "code is undocumented"
    );
    let statuses = &doc["paths"]["/api/v1/matters"]["get"]["parameters"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|p| p["name"] == "status")
        .map(|p| p["schema"]["enum"].clone())
        .unwrap_or_default();
    ensure_eq!(
        statuses,
        &serde_json::json!(["not_started", "on_track", "at_risk", "overdue", "done"]),
        "status values"
    );
    let rollup = doc["components"]["schemas"]["RollupResponse"]["description"]
        .as_str()
        .unwrap_or_default();
    ensure!(
        rollup.contains("not counted as 0 % or 100 %"),
        "the roll-up schema does not state how unreported tasks count: {rollup}"
    );
    Ok(())
}

async fn server_failures_are_opaque_500s_and_a_lost_database_is_a_503(
    app: TestApp,
) -> Result<(), Failed> {
    // A table the agreement list reads disappears: the query fails inside the store.
    app.store
        .execute_raw("DROP TABLE agreement_parties")
        .await
        .map_err(|e| crate::fail("dropping a table", e))?;
    let failed = app.get("/api/v1/agreements").await?;
    let problem = failed.expect_problem(500, None)?;
    let body = String::from_utf8_lossy(&failed.body).to_lowercase();
    for leak in [
        "agreement_parties",
        "select",
        "sql",
        "table",
        "database error",
    ] {
        ensure!(
            !body.contains(leak),
            "the 500 body reveals {leak:?}: {problem}"
        );
    }
    // The rest of the API is unaffected, and the database still answers.
    app.json("/api/v1/plans").await?;
    ensure_eq!(
        app.json("/api/v1/healthz").await?["status"],
        "ok",
        "health with a table gone"
    );

    // Without a database the health check fails.
    app.store.close().await;
    app.get("/api/v1/healthz")
        .await?
        .expect_problem(503, None)?;
    Ok(())
}
