//! The portal's pages over real HTTP, on the built-in YRD dataset: every page type in both
//! languages, the language switch, what a newcomer should be able to read off them, and
//! labels that are never left untranslated.

use libtest_mimic::Failed;

use crate::app::{Reply, TestApp};
use crate::{ensure, ensure_eq};

crate::cases!(
    every_page_type_renders_in_both_languages_with_a_switch,
    the_home_page_shows_the_region_at_a_glance,
    the_2024_symposium_page_shows_its_host_decisions_and_positions,
    the_action_plan_page_shows_progress_by_area_and_member,
    the_taipu_river_chart_is_drawn_on_the_class_scale_with_its_numbers,
    zhejiangs_page_and_the_party_filter_list_what_it_signed,
    the_mechanism_page_shows_the_three_tiers_and_who_holds_the_seats,
    a_search_for_chinese_terms_finds_what_contains_them,
    a_members_officer_sees_what_the_member_owes_by_due_date,
    list_pages_link_their_csv_and_json_and_the_feed_lists_decisions_and_agreements,
);

/// The page types, by a path after the language prefix.
const PAGES: &[&str] = &[
    "/",
    "/plans",
    "/plans/action-plan-2024-2026",
    "/meetings",
    "/meetings/symposium-2024",
    "/indicators",
    "/indicators/taipu-river-water-quality",
    "/agreements",
    "/jurisdictions",
    "/jurisdictions/330000",
    "/mechanism",
];

fn html(reply: &Reply) -> Result<String, Failed> {
    ensure_eq!(reply.status, 200, "status of {}", reply.path);
    ensure!(
        reply
            .header("content-type")
            .is_some_and(|v| v.starts_with("text/html")),
        "{} is not HTML",
        reply.path
    );
    Ok(String::from_utf8_lossy(&reply.body).into_owned())
}

/// The text of HTML with the entities the templates escape to put back, so a test can look
/// for a record's text as the record has it.
fn unescaped(html: &str) -> String {
    [
        ("&#38;", "&"),
        ("&#34;", "\""),
        ("&#39;", "'"),
        ("&#60;", "<"),
        ("&#62;", ">"),
        ("&quot;", "\""),
        ("&lt;", "<"),
        ("&gt;", ">"),
        ("&amp;", "&"),
    ]
    .iter()
    .fold(html.to_owned(), |text, (entity, plain)| {
        text.replace(entity, plain)
    })
}

async fn page(app: &TestApp, path: &str) -> Result<String, Failed> {
    html(&app.get(path).await?)
}

async fn every_page_type_renders_in_both_languages_with_a_switch(
    app: TestApp,
) -> Result<(), Failed> {
    // A matter of the action plan, for the matter page.
    let matters = app
        .json("/api/v1/matters?plan=action-plan-2024-2026&limit=1")
        .await?;
    let matter = matters["items"][0]["key"]
        .as_str()
        .ok_or("a matter")?
        .to_owned();
    let mut pages: Vec<String> = PAGES.iter().map(|p| (*p).to_owned()).collect();
    pages.push(format!("/matters/{matter}"));
    for path in &pages {
        for (lang, html_lang, other) in [("zh", "zh-CN", "en"), ("en", "en", "zh")] {
            let url = format!("/{lang}{path}");
            let body = page(&app, &url).await?;
            ensure!(
                body.contains(&format!("<html lang=\"{html_lang}\">")),
                "{url}: html lang"
            );
            ensure!(
                body.contains(&format!("class=\"lang-switch\" href=\"/{other}{path}\"")),
                "{url}: the switch does not lead to the same page in {other}"
            );
            ensure!(
                body.contains("<main id=\"main\""),
                "{url}: no main landmark"
            );
            ensure!(
                !body.contains("Unknown localization"),
                "{url}: a missing label"
            );
            ensure!(
                !body.contains("nav-plans") && !body.contains("site-name"),
                "{url}: a label shown as its key"
            );
        }
    }
    // The root sends visitors to their language.
    let root = app
        .get_with("/", &[("accept-language", "en-GB,en;q=0.9")])
        .await?;
    ensure_eq!(root.status, 303, "the root redirects");
    ensure_eq!(root.header("location"), Some("/en/"), "to English");
    let root = app.get("/").await?;
    ensure_eq!(
        root.header("location"),
        Some("/zh/"),
        "to Chinese by default"
    );
    // Pages are hardened like every response, and a language that is not ours is not a page.
    let home = app.get("/zh/").await?;
    ensure!(
        home.header("content-security-policy")
            .is_some_and(|csp| csp.contains("default-src 'self'")),
        "the home page's CSP"
    );
    app.get("/fr/").await?.expect_problem(404, None)?;
    // The sign-in form shares the layout, in the language of the page it returns to.
    let form = page(&app, "/sign-in?next=/en/workspace").await?;
    ensure!(form.contains("<html lang=\"en\">"), "the form in English");
    ensure!(
        form.contains("<label for=\"username\">Username</label>"),
        "labelled fields"
    );
    ensure!(
        form.contains("class=\"lang-switch\" href=\"/sign-in?next=/zh/workspace\""),
        "the switch keeps the form and where it returns to"
    );
    let form = page(&app, "/sign-in").await?;
    ensure!(
        form.contains("<label for=\"password\">密码</label>"),
        "Chinese by default"
    );
    // Pages are tagged and revalidated like the API; the versioned stylesheet is cached for
    // good.
    let tag = home
        .header("etag")
        .ok_or("the home page has an ETag")?
        .to_owned();
    let again = app
        .get_with("/zh/", &[("if-none-match", tag.as_str())])
        .await?;
    ensure_eq!(again.status, 304, "an unchanged page is not sent again");
    let body = String::from_utf8_lossy(&home.body).into_owned();
    let start = body
        .find("/static/style.css?v=")
        .ok_or("a versioned stylesheet")?;
    let href = &body[start..start + body[start..].find('"').ok_or("a closed href")?];
    let style = app.get(href).await?;
    ensure_eq!(style.status, 200, "the stylesheet");
    ensure_eq!(
        style.header("cache-control"),
        Some("public, max-age=31536000, immutable"),
        "the versioned stylesheet's caching"
    );
    Ok(())
}

async fn the_home_page_shows_the_region_at_a_glance(app: TestApp) -> Result<(), Failed> {
    let zh = page(&app, "/zh/").await?;
    let en = page(&app, "/en/").await?;
    // The latest meeting: the 2025 symposium in Nanjing.
    ensure!(zh.contains("南京"), "the latest meeting's host in Chinese");
    ensure!(
        en.contains("Nanjing"),
        "the latest meeting's host in English"
    );
    // The action plan's progress, with one row per area and a column per member.
    for (body, name) in [
        (&zh, "长三角地区一体化发展三年行动计划"),
        (&en, "Action Plan"),
    ] {
        ensure!(body.contains(name), "the action plan is named: {name}");
        ensure_eq!(
            body.matches("<tr><th scope=\"row\">").count() >= 9,
            true,
            "nine areas in the progress table"
        );
    }
    for member in ["上海市", "江苏省", "浙江省", "安徽省"] {
        ensure!(zh.contains(member), "{member} on the home page");
    }
    // Figures carry their date, written as the language writes dates.
    ensure!(zh.contains("年"), "Chinese dates");
    ensure!(en.contains("class=\"figure\""), "figures in English");
    Ok(())
}

async fn the_2024_symposium_page_shows_its_host_decisions_and_positions(
    app: TestApp,
) -> Result<(), Failed> {
    let zh = page(&app, "/zh/meetings/symposium-2024").await?;
    let en = page(&app, "/en/meetings/symposium-2024").await?;
    ensure!(zh.contains("温州"), "the 2024 host in Chinese");
    ensure!(en.contains("Wenzhou"), "the 2024 host in English");
    ensure!(
        en.contains("5 June 2024") || en.contains("June 2024"),
        "an English date"
    );
    ensure!(zh.contains("2024年6月"), "a Chinese date");
    ensure!(
        unescaped(&en).contains("Members' positions"),
        "the positions table"
    );
    // What it adopted: every decision of the meeting, with its outcome under the consensus
    // rule.
    let decisions: Vec<_> = app
        .dataset
        .decisions
        .iter()
        .filter(|d| d.meeting == "symposium-2024")
        .collect();
    ensure!(!decisions.is_empty(), "the 2024 symposium took decisions");
    let zh = unescaped(&zh);
    for d in decisions {
        ensure!(
            zh.contains(d.title.zh.as_str()),
            "the decision {} is shown",
            d.key
        );
    }
    ensure!(
        zh.contains("已通过") || zh.contains("原则通过"),
        "the outcome of its decisions"
    );
    Ok(())
}

async fn the_action_plan_page_shows_progress_by_area_and_member(
    app: TestApp,
) -> Result<(), Failed> {
    let en = page(&app, "/en/plans/action-plan-2024-2026").await?;
    ensure!(
        en.contains("Progress by area and member"),
        "the progress table"
    );
    ensure!(en.contains("Anhui"), "Anhui's column");
    ensure!(
        en.contains("href=\"/api/v1/plans/action-plan-2024-2026?lang=en\""),
        "the JSON equivalent is linked"
    );
    let zh = page(&app, "/zh/plans").await?;
    ensure!(zh.contains("行动计划"), "plan kinds in Chinese");
    Ok(())
}

async fn the_taipu_river_chart_is_drawn_on_the_class_scale_with_its_numbers(
    app: TestApp,
) -> Result<(), Failed> {
    let zh = page(&app, "/zh/indicators/taipu-river-water-quality").await?;
    ensure!(zh.contains("太浦河"), "the indicator's name");
    let svg_start = zh.find("<svg").ok_or("a chart")?;
    let svg = &zh[svg_start..zh[svg_start..].find("</svg>").ok_or("a closed chart")? + svg_start];
    ensure!(svg.contains("<title"), "the chart has a title");
    for class in ["I", "II", "III", "IV", "V"] {
        ensure!(
            svg.contains(&format!(">{class}<")),
            "class {class} on the scale"
        );
    }
    // The same numbers, in a table: Class IV in 2019, Class II in June 2024.
    let table = &zh[zh.find("<table").ok_or("a table")?..];
    ensure!(
        table.contains("2019年") && table.contains("IV"),
        "the 2019 observation"
    );
    ensure!(
        table.contains("2024年6月") && table.contains("II"),
        "the 2024 observation"
    );
    Ok(())
}

async fn zhejiangs_page_and_the_party_filter_list_what_it_signed(
    app: TestApp,
) -> Result<(), Failed> {
    let signed = app.json("/api/v1/agreements?party=330000&lang=en").await?;
    let titles: Vec<String> = signed["items"]
        .as_array()
        .ok_or("items")?
        .iter()
        .filter_map(|a| a["title"].as_str().map(str::to_owned))
        .collect();
    ensure!(!titles.is_empty(), "Zhejiang signed agreements");
    let filtered = unescaped(&page(&app, "/en/agreements?party=330000").await?);
    let member = unescaped(&page(&app, "/en/jurisdictions/330000").await?);
    for title in &titles {
        ensure!(
            filtered.contains(title.as_str()),
            "the filtered list shows {title}"
        );
        ensure!(
            member.contains(title.as_str()),
            "Zhejiang's page shows {title}"
        );
    }
    ensure!(filtered.contains("Zhejiang"), "the filter names the party");
    // The member's page also lists its tasks by due date.
    let tasks = app
        .dataset
        .tasks
        .iter()
        .filter(|t| t.jurisdiction.to_string() == "330000")
        .count();
    ensure!(tasks > 0, "Zhejiang has tasks in the dataset");
    ensure!(
        member.contains("<h2 id=\"tasks\">Tasks</h2>"),
        "Zhejiang's tasks"
    );
    ensure!(
        filtered.contains("<option value=\"330000\" selected>"),
        "the filter keeps its choice"
    );
    Ok(())
}

async fn the_mechanism_page_shows_the_three_tiers_and_who_holds_the_seats(
    app: TestApp,
) -> Result<(), Failed> {
    let zh = page(&app, "/zh/mechanism").await?;
    for tier in ["决策层", "协调层", "执行层"] {
        ensure!(zh.contains(tier), "{tier}");
    }
    ensure!(zh.contains("主要领导座谈会"), "the symposium");
    let en = page(&app, "/en/mechanism").await?;
    ensure!(
        en.contains("Decision tier") && en.contains("Holder"),
        "the English page"
    );
    Ok(())
}

async fn a_search_for_chinese_terms_finds_what_contains_them(app: TestApp) -> Result<(), Failed> {
    let zh = page(&app, "/zh/search?q=%E5%A4%AA%E6%B5%A6%E6%B2%B3").await?; // 太浦河
    ensure!(
        zh.contains("href=\"/zh/indicators/taipu-river-water-quality\""),
        "太浦河 finds the Taipu River's water quality"
    );
    let rail = page(&app, "/zh/search?q=%E8%BD%A8%E9%81%93%E4%BA%A4%E9%80%9A").await?; // 轨道交通
    ensure!(rail.contains("class=\"hits\""), "轨道交通 finds something");
    let en = page(&app, "/en/search?q=taipu").await?;
    ensure!(
        en.contains("/en/indicators/taipu-river-water-quality"),
        "an English search ignores case"
    );
    let none = page(&app, "/en/search?q=%25%25%25").await?;
    ensure!(none.contains("Nothing matches."), "wildcards are literal");
    ensure!(
        unescaped(&page(&app, "/en/search?q=%3Cb%3E").await?).contains("Results for “<b>”"),
        "the query is shown as text"
    );
    ensure!(
        !page(&app, "/en/search?q=%3Cb%3E").await?.contains("“<b>”"),
        "the query is escaped"
    );
    Ok(())
}

async fn a_members_officer_sees_what_the_member_owes_by_due_date(
    app: TestApp,
) -> Result<(), Failed> {
    use yrd_domain::access::{Assignment, Role, Scope};
    let anonymous = app.get("/en/workspace").await?;
    ensure_eq!(anonymous.status, 303, "visitors are sent to sign in");
    ensure_eq!(
        anonymous.header("location"),
        Some("/sign-in?next=/en/workspace"),
        "and come back"
    );
    let author = yrd_store::Author::Command {
        command: "test".into(),
        os_user: "pages".into(),
    };
    let anhui = Assignment::new(Role::MemberOfficer, Scope::Jurisdiction("340000".parse()?))?;
    app.store
        .create_user(
            &author,
            &yrd_store::NewUser {
                username: "ah-officer".into(),
                display_name: "Anhui officer".into(),
                lang: yrd_domain::Lang::En,
                password_hash: None,
            },
            &[anhui],
        )
        .await?;
    let (id, _) = app.store.create_session("ah-officer", 600).await?;
    let cookie = [("cookie", format!("yrd_session={id}"))];
    // Anhui owes more than a page: 45 more tasks, each a day later than one of its own.
    let mut dataset = (*app.dataset).clone();
    let anhuis = dataset
        .tasks
        .iter()
        .find(|t| t.jurisdiction.to_string() == "340000" && t.parent.is_none())
        .ok_or("the dataset has an Anhui task")?
        .clone();
    for i in 1..=45 {
        let mut task = anhuis.clone();
        task.key = format!("{}-ws-{i}", anhuis.key);
        task.due += time::Duration::days(i);
        dataset.tasks.push(task);
    }
    app.store.import(&author, &dataset).await?;
    let reply = app.send("GET", "/en/workspace", &cookie, None).await?;
    let body = html(&reply)?;
    ensure!(body.contains("What Anhui"), "the member is named: {body}");
    ensure!(
        body.contains("My workspace"),
        "the workspace is in the navigation"
    );
    // Every Anhui task of the dataset is listed, by due date, a page at a time: the pages'
    // next links lead through all of them, and each page says how many it shows.
    let mut rows: Vec<String> = Vec::new();
    let mut body = body;
    let mut pages = 0;
    loop {
        pages += 1;
        let shown: Vec<String> = body
            .split("<tr><th scope=\"row\">")
            .skip(1)
            .filter_map(|row| row.split('<').next())
            .map(str::to_owned)
            .collect();
        ensure!(
            !shown.is_empty() && shown.len() <= 50,
            "page {pages} shows 1–50 tasks: {}",
            shown.len()
        );
        ensure!(
            body.contains(&format!("Tasks on this page: {}", shown.len())),
            "page {pages} counts its tasks"
        );
        rows.extend(shown);
        let Some(next) = body
            .split("rel=\"next\"")
            .next()
            .filter(|before| before.len() < body.len())
            .and_then(|before| before.rsplit("href=\"").next())
            .and_then(|href| href.split('"').next())
        else {
            break;
        };
        let next = next.replace("&#38;", "&").replace("&amp;", "&");
        ensure!(
            next.starts_with("/en/workspace?member=340000&cursor="),
            "the next page goes on with Anhui's list: {next}"
        );
        let reply = app.send("GET", &next, &cookie, None).await?;
        body = html(&reply)?;
        ensure!(
            body.contains("rel=\"first\""),
            "a later page links back to the first"
        );
    }
    ensure!(pages > 1, "Anhui's list takes more than one page");
    let due: Vec<&str> = rows.iter().map(String::as_str).collect();
    let expected = dataset
        .tasks
        .iter()
        .filter(|t| t.jurisdiction.to_string() == "340000")
        .count();
    ensure_eq!(due.len(), expected, "Anhui's tasks");
    let mut dates: Vec<time::Date> = dataset
        .tasks
        .iter()
        .filter(|t| t.jurisdiction.to_string() == "340000")
        .map(|t| t.due)
        .collect();
    dates.sort();
    let first = dates.first().ok_or("Anhui has tasks")?;
    let first_label = format!("{} {} {}", first.day(), first.month(), first.year());
    ensure!(
        due.first().is_some_and(|d| d.starts_with(&first_label)),
        "the earliest due date comes first: {:?} vs {first_label}",
        due.first()
    );
    // A member the account does not act for, a cursor without its member, and a cursor no
    // page gave are refused, naming the field.
    for (path, field) in [
        ("/en/workspace?member=310000", "member"),
        ("/en/workspace?member=shanghai", "member"),
        ("/en/workspace?cursor=2026-01-01%7Ct-1", "cursor"),
        ("/en/workspace?member=340000&cursor=nonsense", "cursor"),
    ] {
        let reply = app.send("GET", path, &cookie, None).await?;
        ensure_eq!(reply.status, 400, "{path}");
        let body = String::from_utf8_lossy(&reply.body);
        ensure!(body.contains(field), "{path} names {field}: {body}");
    }
    Ok(())
}

async fn list_pages_link_their_csv_and_json_and_the_feed_lists_decisions_and_agreements(
    app: TestApp,
) -> Result<(), Failed> {
    for (page_path, csv, json) in [
        ("/en/plans", "/en/plans.csv", "/api/v1/plans?lang=en"),
        (
            "/zh/meetings",
            "/zh/meetings.csv",
            "/api/v1/meetings?lang=zh",
        ),
        (
            "/en/agreements",
            "/en/agreements.csv",
            "/api/v1/agreements?lang=en",
        ),
        (
            "/zh/indicators",
            "/zh/indicators.csv",
            "/api/v1/indicators?lang=zh",
        ),
        (
            "/en/plans/action-plan-2024-2026",
            "/en/plans/action-plan-2024-2026/matters.csv",
            "/api/v1/plans/action-plan-2024-2026?lang=en",
        ),
    ] {
        let body = page(&app, page_path).await?;
        ensure!(
            body.contains(&format!("href=\"{csv}\"")),
            "{page_path} links {csv}"
        );
        ensure!(
            body.contains(&format!("href=\"{json}\"")),
            "{page_path} links {json}"
        );
        let reply = app.get(csv).await?;
        ensure_eq!(reply.status, 200, "{csv}");
        ensure!(
            reply
                .header("content-type")
                .is_some_and(|v| v.starts_with("text/csv")),
            "{csv} is CSV"
        );
        app.json(json).await?;
    }
    // The agreements CSV has a row per party: Zhejiang's signatures are there.
    let csv = String::from_utf8(app.get("/en/agreements.csv").await?.body)?;
    let mut reader = csv::Reader::from_reader(csv.as_bytes());
    let header = reader.headers()?.clone();
    let party = header
        .iter()
        .position(|h| h == "party")
        .ok_or("a party column")?;
    let rows: Vec<csv::StringRecord> = reader.records().collect::<Result<_, _>>()?;
    let parties: usize = app.dataset.agreements.iter().map(|a| a.parties.len()).sum();
    ensure_eq!(rows.len(), parties, "one row per agreement and party");
    ensure!(
        rows.iter().any(|r| &r[party] == "330000"),
        "Zhejiang's rows"
    );
    // The feed: one entry per decision and per agreement, as Atom.
    let feed = app.get("/zh/feed.atom").await?;
    ensure!(
        feed.header("content-type")
            .is_some_and(|v| v.starts_with("application/atom+xml")),
        "the feed's media type"
    );
    let feed = String::from_utf8(feed.body)?;
    ensure!(
        feed.starts_with("<?xml") && feed.contains("<feed xmlns=\"http://www.w3.org/2005/Atom\""),
        "Atom"
    );
    let expected = app.dataset.decisions.len() + app.dataset.agreements.len();
    ensure_eq!(feed.matches("<entry>").count(), expected, "entries");
    ensure_eq!(
        feed.matches("<entry>").count(),
        feed.matches("</entry>").count(),
        "closed entries"
    );
    Ok(())
}
