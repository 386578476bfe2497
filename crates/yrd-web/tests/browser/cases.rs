//! The cases: every page type loads in both languages, the language switch keeps the page,
//! the keyboard reaches the content first, axe-core finds nothing serious, and screenshots of
//! the home page for a person to look at.

use std::path::PathBuf;
use std::sync::OnceLock;

use fantoccini::Locator;
use fantoccini::actions::{InputSource, KeyAction, KeyActions};
use fantoccini::key::Key;
use libtest_mimic::Failed;
use serde_json::Value;

use crate::harness::{Browser, WINDOW, artifacts_dir};
use crate::{Lang, Page, ensure, fail};

/// Whether text has a Han character.
fn has_han(text: &str) -> bool {
    text.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c))
}

/// The page opens where it should with a title, the right `<html lang>`, a visible `h1` in its
/// language, the stylesheet applied and nothing wider than the window.
pub async fn page_loads(b: Browser, page: Page, lang: Lang) -> Result<(), Failed> {
    let path = b.resolve(&page, lang).await?;
    b.goto(&path).await?;
    let at = b.path().await?;
    // `path()` is the location's path; the query stays with the request.
    let wanted = path.split('?').next().unwrap_or(&path);
    ensure!(at == wanted, "{path}: ended up at {at}");

    let title = b.client.title().await.map_err(|e| fail("title", e))?;
    let own = title.split('·').next().unwrap_or_default().trim();
    ensure!(
        !own.is_empty(),
        "{path}: the title {title:?} does not name the page"
    );

    let html_lang = b.script("return document.documentElement.lang").await?;
    ensure!(
        html_lang == lang.html_lang(),
        "{path}: <html lang> is {html_lang}, expected {}",
        lang.html_lang()
    );

    let h1 = b.h1().await?;
    match lang {
        Lang::Zh => ensure!(has_han(&h1), "{path}: the h1 {h1:?} is not in Chinese"),
        Lang::En => ensure!(
            h1.chars().any(|c| c.is_ascii_alphabetic()),
            "{path}: the h1 {h1:?} is not in English"
        ),
    }

    // `body { margin: 0 }` in the portal's stylesheet: the sheet loaded and the CSP let it.
    let margin = b
        .script("return getComputedStyle(document.body).marginTop")
        .await?;
    ensure!(
        margin == "0px",
        "{path}: the stylesheet is not applied (body margin {margin})"
    );
    let widths = b
        .script(
            "return [document.documentElement.scrollWidth, document.documentElement.clientWidth]",
        )
        .await?;
    ensure!(
        widths[0].as_u64() <= widths[1].as_u64(),
        "{path}: the page is wider than the window (scroll width, window width: {widths})"
    );
    Ok(())
}

/// On `/zh/plans` the switch leads to `/en/plans` with the English heading, and back.
pub async fn language_switch_keeps_the_page(b: Browser) -> Result<(), Failed> {
    b.goto("/en/plans").await?;
    let en = b.h1().await?;
    b.goto("/zh/plans").await?;
    let zh = b.h1().await?;
    ensure!(
        en != zh,
        "the plans page has one heading in both languages: {en}"
    );

    for (to, lang, heading) in [("/en/plans", Lang::En, &en), ("/zh/plans", Lang::Zh, &zh)] {
        let from = b.path().await?;
        b.client
            .find(Locator::Css("a.lang-switch"))
            .await
            .map_err(|e| fail(&format!("{from}: the language switch"), e))?
            .click()
            .await
            .map_err(|e| fail(&format!("{from}: clicking the language switch"), e))?;
        b.wait_for_path(to).await?;
        let html_lang = b.script("return document.documentElement.lang").await?;
        ensure!(
            html_lang == lang.html_lang(),
            "{to} after the switch: <html lang> is {html_lang}"
        );
        let h1 = b.h1().await?;
        ensure!(
            &h1 == heading,
            "{to} after the switch from {from}: the h1 is {h1:?}, expected {heading:?}"
        );
    }
    Ok(())
}

async fn press(b: &Browser, key: Key) -> Result<(), Failed> {
    let key: char = key.into();
    let keys = KeyActions::new("keyboard".into())
        .then(KeyAction::Down { value: key })
        .then(KeyAction::Up { value: key });
    b.client
        .perform_actions(keys)
        .await
        .map_err(|e| fail("pressing a key", e))
}

/// The first Tab on a page focuses the skip link, visibly, and following it moves the focus to
/// the main content.
pub async fn tab_focuses_the_skip_link_first(b: Browser) -> Result<(), Failed> {
    for lang in Lang::ALL {
        let path = format!("/{}/", lang.code());
        b.goto(&path).await?;
        press(&b, Key::Tab).await?;
        let focused = b
            .client
            .active_element()
            .await
            .map_err(|e| fail("the focused element", e))?;
        let html = focused.html(false).await.map_err(|e| fail("html", e))?;
        let class = focused.attr("class").await.map_err(|e| fail("class", e))?;
        ensure!(
            class.as_deref() == Some("skip"),
            "{path}: the first Tab focuses {html}, not the skip link"
        );
        let href = focused.attr("href").await.map_err(|e| fail("href", e))?;
        ensure!(
            href.as_deref() == Some("#main"),
            "{path}: the skip link leads to {href:?}"
        );
        let (x, y, width, height) = focused
            .rectangle()
            .await
            .map_err(|e| fail("the skip link's place", e))?;
        let (w, h) = WINDOW;
        ensure!(
            x >= 0.0
                && y >= 0.0
                && width > 0.0
                && height > 0.0
                && x + width <= f64::from(w)
                && y + height <= f64::from(h),
            "{path}: the focused skip link is not in view: {html} at ({x}, {y}), {width}×{height}"
        );
        let outline = focused
            .css_value("outline-style")
            .await
            .map_err(|e| fail("outline", e))?;
        ensure!(
            outline != "none",
            "{path}: the focused skip link shows no focus outline"
        );

        press(&b, Key::Enter).await?;
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        loop {
            let id = b
                .script("return document.activeElement && document.activeElement.id")
                .await?;
            if id == "main" {
                break;
            }
            ensure!(
                std::time::Instant::now() < deadline,
                "{path}: after following the skip link the focus is on #{id}, not #main"
            );
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        let url = b.client.current_url().await.map_err(|e| fail("URL", e))?;
        ensure!(
            url.fragment() == Some("main"),
            "{path}: following the skip link leads to {url}"
        );
    }
    Ok(())
}

/// axe-core's browser build, from `npm ci --prefix crates/yrd-web/tests/browser`.
fn axe_source() -> Result<&'static str, Failed> {
    static SOURCE: OnceLock<Result<String, String>> = OnceLock::new();
    SOURCE
        .get_or_init(|| {
            let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
                .join("tests/browser/node_modules/axe-core/axe.min.js");
            std::fs::read_to_string(&path).map_err(|e| {
                format!(
                    "reading {}: {e}; install axe-core with \
                     `npm ci --prefix crates/yrd-web/tests/browser`",
                    path.display()
                )
            })
        })
        .as_deref()
        .map_err(|e| Failed::from(e.to_owned()))
}

/// Runs axe on the loaded page and returns its version, the rules that passed, and its
/// violations and results to review, each with its rule, impact, help and nodes.
const AXE_RUN: &str = r#"
const done = arguments[arguments.length - 1];
const result = v => ({
  id: v.id,
  impact: v.impact,
  help: v.help,
  helpUrl: v.helpUrl,
  nodes: v.nodes.map(n => ({
    target: n.target.join(' '),
    html: n.html,
    summary: n.failureSummary,
  })),
});
axe.run(document)
  .then(r => done({
    version: r.testEngine.version,
    passes: r.passes.map(p => p.id),
    violations: r.violations.map(result),
    incomplete: r.incomplete.map(result),
  }))
  .catch(e => done({ error: String((e && e.stack) || e) }));
"#;

/// Signs in through the sign-in form and lands on `next`.
async fn sign_in(
    b: &Browser,
    (username, password): (&str, &str),
    next: &str,
) -> Result<(), Failed> {
    b.goto(&format!("/sign-in?next={next}")).await?;
    for (selector, value) in [("input#username", username), ("input#password", password)] {
        b.client
            .find(Locator::Css(selector))
            .await
            .map_err(|e| fail(selector, e))?
            .send_keys(value)
            .await
            .map_err(|e| fail(&format!("typing into {selector}"), e))?;
    }
    b.click("form[action='/sign-in'] button[type='submit']")
        .await?;
    let path = next.split('?').next().unwrap_or(next);
    b.wait_for_path(path).await
}

/// A page with forms, signed in as the user who sees them: axe finds nothing serious (every
/// input labelled, every fieldset named) and the page does have a form.
pub async fn axe_signed_in(
    b: Browser,
    user: (&str, &str),
    path: &str,
    name: &str,
    lang: Lang,
) -> Result<(), Failed> {
    let path = format!("/{}{path}", lang.code());
    sign_in(&b, user, &path).await?;
    let forms = b
        .script("return document.querySelectorAll('main form[method=post]').length")
        .await?;
    ensure!(
        forms.as_u64().is_some_and(|n| n > 0),
        "{path}: {} sees no form",
        user.0
    );
    let report = run_axe(&b, &path).await?;
    let file = artifacts_dir().join(format!("axe-forms-{name}-{}.json", lang.code()));
    let pretty = serde_json::to_string_pretty(&report).map_err(|e| fail("axe report", e))?;
    std::fs::write(&file, pretty).map_err(|e| fail(&format!("writing {}", file.display()), e))?;
    let violations = serious(&report["violations"], &[]);
    let to_review = serious(&report["incomplete"], REVIEWED);
    ensure!(
        violations.is_empty() && to_review.is_empty(),
        "{path} as {}: axe found\n{}\n{}",
        user.0,
        violations.join("\n"),
        to_review.join("\n")
    );
    Ok(())
}

/// Jiangsu's coordinator opens the scheduled symposium, chooses "consent in principle" with a
/// comment and sends the form: the page comes back with Jiangsu's position recorded.
pub async fn a_coordinator_states_the_members_position(b: Browser) -> Result<(), Failed> {
    use crate::harness::{COORDINATOR, SCHEDULED_DECISION, SCHEDULED_MEETING};
    let page = format!("/en/meetings/{SCHEDULED_MEETING}");
    sign_in(&b, COORDINATOR, &page).await?;
    let radio = format!("input[id='stance-{SCHEDULED_DECISION}-320000-consent_in_principle']");
    b.click(&radio).await?;
    let comment = format!("input[id='comment-en-{SCHEDULED_DECISION}-320000']");
    b.client
        .find(Locator::Css(&comment))
        .await
        .map_err(|e| fail(&comment, e))?
        .send_keys("Agreed, subject to the land quota")
        .await
        .map_err(|e| fail("typing the comment", e))?;
    b.click_to_new_page("form.position button[type='submit']")
        .await?;
    b.wait_for_path(&page).await?;
    let row = b
        .script(&format!(
            "return [...document.querySelectorAll(\"[id='decision-{SCHEDULED_DECISION}'] tbody tr\")]\
             .map(r => r.textContent).find(t => t.includes('Jiangsu')) || ''"
        ))
        .await?;
    let row = row.as_str().unwrap_or_default();
    ensure!(
        row.contains("in principle") && row.contains("subject to the land quota"),
        "Jiangsu's row shows the position and comment: {row:?}"
    );
    Ok(())
}

/// axe-core finds no serious or critical violation on the page, nor a serious or critical
/// result it leaves to review but for [`REVIEWED`]; its whole report goes to
/// `target/browser-artifacts/axe-<page>-<lang>.json`.
pub async fn axe(b: Browser, page: Page, lang: Lang) -> Result<(), Failed> {
    let path = b.resolve(&page, lang).await?;
    b.goto(&path).await?;
    let report = run_axe(&b, &path).await?;
    let file = artifacts_dir().join(format!("axe-{}-{}.json", page.name, lang.code()));
    let pretty = serde_json::to_string_pretty(&report).map_err(|e| fail("axe report", e))?;
    std::fs::write(&file, pretty).map_err(|e| fail(&format!("writing {}", file.display()), e))?;
    let passed = report["passes"].as_array().map_or(0, Vec::len);
    ensure!(
        passed > 0,
        "{path}: axe checked nothing (no rule passed): {report}"
    );
    let violations = serious(&report["violations"], &[]);
    // Some rules report what they find as "needs review" (a duplicate id referenced by ARIA,
    // an ARIA attribute the element's role prohibits): those count as violations too.
    let to_review = serious(&report["incomplete"], REVIEWED);
    if violations.is_empty() && to_review.is_empty() {
        return Ok(());
    }
    let mut message = format!(
        "{path}: axe-core {} found {} serious or critical violation(s) and {} such result(s) \
         to review (report: {})",
        report["version"].as_str().unwrap_or("?"),
        violations.len(),
        to_review.len(),
        file.display(),
    );
    for (heading, lines) in [("violations", violations), ("to review", to_review)] {
        if !lines.is_empty() {
            message.push_str(&format!("\n {heading}:\n{}", lines.join("\n")));
        }
    }
    Err(message.into())
}

/// The "needs review" results the suite accepts, as (rule, the start of the node's HTML): axe
/// cannot tell the contrast of SVG text, whose colours are checked where the graphics are drawn
/// (`src/svg`).
const REVIEWED: &[(&str, &str)] = &[("color-contrast", "<text ")];

/// axe, as the suite runs it, does find what it should: on a page built with faults it
/// reports them as serious or critical.
pub async fn axe_finds_known_faults(b: Browser) -> Result<(), Failed> {
    let faulty = "data:text/html;charset=utf-8,<!doctype html><title>faults</title>\
        <img src='data:,'><button></button><p style='color:%23aaa;background:%23fff'>pale</p>";
    b.client
        .goto(faulty)
        .await
        .map_err(|e| fail("opening a page with faults", e))?;
    let report = run_axe(&b, "a page with faults").await?;
    let serious = serious(&report["violations"], &[]).join("\n");
    for rule in [
        "image-alt",
        "button-name",
        "html-has-lang",
        "color-contrast",
    ] {
        ensure!(
            serious.contains(&format!("  {rule} (")),
            "axe did not report {rule} on a page with that fault; it reported:\n{serious}"
        );
    }
    Ok(())
}

/// Injects axe-core into the loaded page and runs it.
async fn run_axe(b: &Browser, path: &str) -> Result<Value, Failed> {
    let source = axe_source()?;
    b.client
        .execute(source, Vec::new())
        .await
        .map_err(|e| fail(&format!("{path}: injecting axe-core"), e))?;
    let report = b
        .client
        .execute_async(AXE_RUN, Vec::new())
        .await
        .map_err(|e| fail(&format!("{path}: running axe"), e))?;
    if let Some(error) = report.get("error") {
        return Err(format!("{path}: axe failed: {error}").into());
    }
    Ok(report)
}

/// The serious and critical results of an axe list (violations, or results to review), one
/// line each: rule, impact, help, and the first few targets. Nodes that `except` accepts do
/// not count.
fn serious(results: &Value, except: &[(&str, &str)]) -> Vec<String> {
    let results = results.as_array().map(Vec::as_slice).unwrap_or_default();
    results
        .iter()
        .filter(|v| matches!(v["impact"].as_str(), Some("serious" | "critical")))
        .filter_map(|v| {
            let rule = v["id"].as_str().unwrap_or("?");
            let nodes: Vec<&Value> = v["nodes"]
                .as_array()
                .map(Vec::as_slice)
                .unwrap_or_default()
                .iter()
                .filter(|n| {
                    let html = n["html"].as_str().unwrap_or_default();
                    !except
                        .iter()
                        .any(|(r, start)| *r == rule && html.starts_with(start))
                })
                .collect();
            if nodes.is_empty() {
                return None;
            }
            let mut targets: Vec<String> = nodes
                .iter()
                .take(5)
                .filter_map(|n| n["target"].as_str().map(str::to_owned))
                .collect();
            if nodes.len() > 5 {
                targets.push(format!("… {} more", nodes.len() - 5));
            }
            Some(format!(
                "  {rule} ({}): {} — {}",
                v["impact"].as_str().unwrap_or("?"),
                v["help"].as_str().unwrap_or("?"),
                targets.join(", ")
            ))
        })
        .collect()
}

/// Answers once the page's fonts have loaded.
const FONTS_READY: &str =
    "const done = arguments[arguments.length - 1]; document.fonts.ready.then(() => done(true));";

/// Waits for the page's fonts, then saves the viewport of the home page as
/// `target/browser-artifacts/home-<lang>.png`.
pub async fn screenshot_home(b: Browser, lang: Lang) -> Result<(), Failed> {
    let path = format!("/{}/", lang.code());
    b.goto(&path).await?;
    b.client
        .execute_async(FONTS_READY, Vec::new())
        .await
        .map_err(|e| fail("waiting for fonts", e))?;
    // The window is a little taller than its viewport: size it so the viewport is `WINDOW`.
    let (width, height) = WINDOW;
    let frame = b
        .script("return [outerWidth - innerWidth, outerHeight - innerHeight]")
        .await?;
    let frame = |i: usize| frame[i].as_u64().and_then(|v| u32::try_from(v).ok());
    let (Some(frame_width), Some(frame_height)) = (frame(0), frame(1)) else {
        return Err("the window's frame size".into());
    };
    b.client
        .set_window_size(width + frame_width, height + frame_height)
        .await
        .map_err(|e| fail("sizing the window", e))?;
    let png = b
        .client
        .screenshot()
        .await
        .map_err(|e| fail(&format!("{path}: screenshot"), e))?;
    let file = artifacts_dir().join(format!("home-{}.png", lang.code()));
    std::fs::write(&file, &png).map_err(|e| fail(&format!("writing {}", file.display()), e))?;
    ensure!(
        png.len() > 10 * 1024,
        "{}: only {} bytes, the page looks empty",
        file.display(),
        png.len()
    );
    ensure!(
        png.starts_with(b"\x89PNG\r\n\x1a\n") && png.len() > 24,
        "{}: not a PNG",
        file.display()
    );
    let size = |at: usize| u32::from_be_bytes([png[at], png[at + 1], png[at + 2], png[at + 3]]);
    let (width, height) = (size(16), size(20));
    ensure!(
        (width, height) == WINDOW,
        "{}: {width}×{height}, expected the window's {}×{}",
        file.display(),
        WINDOW.0,
        WINDOW.1
    );
    Ok(())
}

/// On the home page's map, a member's point leads to the member's page.
pub async fn the_map_leads_to_a_member(b: Browser) -> Result<(), Failed> {
    b.goto("/zh/").await?;
    b.click("svg a[href='/zh/jurisdictions/310000']").await?;
    b.wait_for_path("/zh/jurisdictions/310000").await?;
    let h1 = b.h1().await?;
    ensure!(h1 == "上海市", "the member's page: the h1 is {h1:?}");
    Ok(())
}

/// Typing 太浦河 into the search form finds the Taipu River's water quality, whose page has
/// its chart.
pub async fn a_chinese_search_finds_the_taipu_river(b: Browser) -> Result<(), Failed> {
    b.goto("/zh/search").await?;
    let field = b
        .client
        .find(Locator::Css("input#q"))
        .await
        .map_err(|e| fail("the search field", e))?;
    field
        .send_keys("太浦河")
        .await
        .map_err(|e| fail("typing into the search field", e))?;
    b.click_to_new_page("form[role='search'] button[type='submit']")
        .await?;
    b.wait_for_path("/zh/search").await?;
    b.click("ul.hits a[href='/zh/indicators/taipu-river-water-quality']")
        .await?;
    b.wait_for_path("/zh/indicators/taipu-river-water-quality")
        .await?;
    let h1 = b.h1().await?;
    ensure!(
        h1.contains("太浦河"),
        "the indicator's page: the h1 is {h1:?}"
    );
    let chart = b
        .script("return document.querySelectorAll('main svg').length")
        .await?;
    ensure!(chart.as_u64() == Some(1), "the indicator's chart: {chart}");
    Ok(())
}

/// A visitor who opens the workspace is asked to sign in, and after signing in sees what
/// their member owes.
pub async fn signing_in_leads_to_the_workspace(b: Browser) -> Result<(), Failed> {
    let (username, password) = crate::harness::OFFICER;
    b.goto("/en/workspace").await?;
    b.wait_for_path("/sign-in").await?;
    for (selector, value) in [("input#username", username), ("input#password", password)] {
        b.client
            .find(Locator::Css(selector))
            .await
            .map_err(|e| fail(selector, e))?
            .send_keys(value)
            .await
            .map_err(|e| fail(&format!("typing into {selector}"), e))?;
    }
    b.click("form[action='/sign-in'] button[type='submit']")
        .await?;
    b.wait_for_path("/en/workspace").await?;
    let h1 = b.h1().await?;
    ensure!(h1 == "My workspace", "the workspace: the h1 is {h1:?}");
    let rows = b
        .script("return document.querySelectorAll('main table tbody tr').length")
        .await?;
    ensure!(
        rows.as_u64().is_some_and(|n| n > 0),
        "Anhui's tasks are listed: {rows} rows"
    );
    let text = b
        .script("return document.querySelector('main h2').textContent")
        .await?;
    ensure!(
        text.as_str().is_some_and(|t| t.contains("Anhui")),
        "the member is named: {text}"
    );
    Ok(())
}
