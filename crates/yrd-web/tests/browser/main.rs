//! The browser suite: the portal's pages in headless Chromium, driven over WebDriver
//! (chromedriver), with the axe-core accessibility checker.
//!
//! The server runs in-process over a scratch SQLite database holding the built-in YRD dataset.
//! Chromium and chromedriver come from Debian's `chromium` and `chromium-driver` packages, and
//! axe-core from `npm ci --prefix crates/yrd-web/tests/browser`. Without chromedriver
//! (`/usr/bin/chromedriver`, or the path in `YRD_CHROMEDRIVER`) every case is reported as
//! ignored, with the reason, and a line at the start says the suite did not run, so a missing
//! browser never passes unnoticed.
//!
//! Screenshots and each page's axe report are written to `target/browser-artifacts/`.

mod cases;
mod harness;

use std::path::PathBuf;
use std::sync::Arc;

use libtest_mimic::{Arguments, Completion, Failed, Trial};

use crate::harness::Suite;

/// Where the suite looks for chromedriver unless `YRD_CHROMEDRIVER` names it.
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

/// A page type of the portal, visited in both languages by the page, axe and other cases.
#[derive(Clone, Copy, Debug)]
pub struct Page {
    /// Names the page type in the cases' names.
    pub name: &'static str,
    /// Its path after the language prefix.
    pub path: &'static str,
    /// For a page whose key the dataset decides: the page is where the first link matching
    /// this CSS selector on the page at `path` leads.
    pub via_first: Option<&'static str>,
}

const fn at(name: &'static str, path: &'static str) -> Page {
    Page {
        name,
        path,
        via_first: None,
    }
}

/// Every page type. Add new ones here: each gets the page and axe cases in both languages.
pub const PAGES: &[Page] = &[
    at("home", "/"),
    at("plans", "/plans"),
    at("plan", "/plans/action-plan-2024-2026"),
    // Filtered, on a later page: `matters.61` is the matter list's cursor after the key "a"
    // (so every matter), which brings the link back to the first page.
    at(
        "plan-filtered",
        "/plans/action-plan-2024-2026?member=330000&area=mechanisms&cursor=matters.61",
    ),
    Page {
        name: "matter",
        path: "/plans/action-plan-2024-2026",
        via_first: Some("main a[href*='/matters/']"),
    },
    at("meetings", "/meetings"),
    at("meeting", "/meetings/symposium-2024"),
    at("indicators", "/indicators"),
    at("indicator", "/indicators/taipu-river-water-quality"),
    at("agreements", "/agreements?party=330000"),
    at("jurisdictions", "/jurisdictions"),
    at("jurisdiction", "/jurisdictions/330000"),
    at("mechanism", "/mechanism"),
    at("search", "/search?q=%E8%BD%A8%E9%81%93%E4%BA%A4%E9%80%9A"),
    at("scheduled-meeting", "/meetings/main-leaders-symposium-2026"),
    at("problems", "/problems?state=all"),
    Page {
        name: "problem",
        path: "/problems?state=all",
        via_first: Some("main a[href*='/problems/']"),
    },
    at(
        "agreement",
        "/agreements/zhangjiang-hefei-science-centres-2023",
    ),
];

/// The pages with forms, as the user who sees them: each gets axe in both languages while
/// signed in.
pub const FORM_PAGES: &[(&str, (&str, &str), &str)] = &[
    (
        "position",
        harness::COORDINATOR,
        "/meetings/main-leaders-symposium-2026",
    ),
    (
        "meeting-organiser",
        harness::OFFICE,
        "/meetings/main-leaders-symposium-2026",
    ),
    (
        "schedule-meeting",
        harness::OFFICE,
        "/meetings/new?body=main-leaders-symposium",
    ),
    ("new-plan", harness::OFFICE, "/plans/new"),
    (
        "new-matter",
        harness::OFFICE,
        "/plans/action-plan-2024-2026/matters/new",
    ),
    ("new-agreement", harness::OFFICE, "/agreements/new"),
    (
        "matter-office",
        harness::OFFICE,
        "/matters/rail-transit-operator",
    ),
    (
        "matter-coordinator",
        harness::COORDINATOR,
        "/matters/rail-transit-operator",
    ),
    (
        "raise-problem",
        harness::OFFICE,
        "/matters/rail-transit-operator/problems/new",
    ),
    (
        "agreement-office",
        harness::OFFICE,
        "/agreements/zhangjiang-hefei-science-centres-2023",
    ),
];

/// A case, run with the suite's server and chromedriver.
type Case = Box<dyn FnOnce(&Suite) -> Result<(), Failed> + Send>;

/// A language of the portal.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lang {
    Zh,
    En,
}

impl Lang {
    pub const ALL: [Lang; 2] = [Lang::Zh, Lang::En];

    /// The URL prefix.
    pub fn code(self) -> &'static str {
        match self {
            Lang::Zh => "zh",
            Lang::En => "en",
        }
    }

    /// What `<html lang>` says.
    pub fn html_lang(self) -> &'static str {
        match self {
            Lang::Zh => "zh-CN",
            Lang::En => "en",
        }
    }
}

fn main() {
    let args = Arguments::from_args();
    let chromedriver = std::env::var_os("YRD_CHROMEDRIVER")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(CHROMEDRIVER));
    let skipped = (!chromedriver.exists()).then(|| {
        format!(
            "chromedriver not found at {}: browser suite did not run",
            chromedriver.display()
        )
    });
    if let Some(reason) = &skipped {
        println!("{reason}");
    }
    let suite = Arc::new(Suite::new(chromedriver));

    let mut list: Vec<(String, Case)> = Vec::new();
    for &page in PAGES {
        for lang in Lang::ALL {
            let (name, code) = (page.name, lang.code());
            list.push((
                format!("page_loads::{name}::{code}"),
                Box::new(move |s| harness::run(s, |b| Box::pin(cases::page_loads(b, page, lang)))),
            ));
            list.push((
                format!("axe::{name}::{code}"),
                Box::new(move |s| harness::run(s, |b| Box::pin(cases::axe(b, page, lang)))),
            ));
        }
    }
    for &(name, user, path) in FORM_PAGES {
        for lang in Lang::ALL {
            list.push((
                format!("axe::forms::{name}::{}", lang.code()),
                Box::new(move |s| {
                    harness::run(s, |b| {
                        Box::pin(cases::axe_signed_in(b, user, path, name, lang))
                    })
                }),
            ));
        }
    }
    list.push((
        "a_coordinator_states_the_members_position".into(),
        Box::new(|s| {
            harness::run(s, |b| {
                Box::pin(cases::a_coordinator_states_the_members_position(b))
            })
        }),
    ));
    list.push((
        "axe::finds_known_faults".into(),
        Box::new(|s| harness::run(s, |b| Box::pin(cases::axe_finds_known_faults(b)))),
    ));
    list.push((
        "language_switch_keeps_the_page".into(),
        Box::new(|s| harness::run(s, |b| Box::pin(cases::language_switch_keeps_the_page(b)))),
    ));
    list.push((
        "the_map_leads_to_a_member".into(),
        Box::new(|s| harness::run(s, |b| Box::pin(cases::the_map_leads_to_a_member(b)))),
    ));
    list.push((
        "a_chinese_search_finds_the_taipu_river".into(),
        Box::new(|s| {
            harness::run(s, |b| {
                Box::pin(cases::a_chinese_search_finds_the_taipu_river(b))
            })
        }),
    ));
    list.push((
        "signing_in_leads_to_the_workspace".into(),
        Box::new(|s| harness::run(s, |b| Box::pin(cases::signing_in_leads_to_the_workspace(b)))),
    ));
    list.push((
        "tab_focuses_the_skip_link_first".into(),
        Box::new(|s| harness::run(s, |b| Box::pin(cases::tab_focuses_the_skip_link_first(b)))),
    ));
    for lang in Lang::ALL {
        list.push((
            format!("screenshot::home::{}", lang.code()),
            Box::new(move |s| harness::run(s, |b| Box::pin(cases::screenshot_home(b, lang)))),
        ));
    }
    let trials = list
        .into_iter()
        .map(|(name, case)| {
            let suite = suite.clone();
            let skipped = skipped.clone();
            Trial::ignorable_test(name, move || match skipped {
                Some(reason) => Ok(Completion::ignored_with(reason)),
                None => case(&suite).map(|()| Completion::Completed),
            })
        })
        .collect();

    let conclusion = libtest_mimic::run(&args, trials);
    // The trials are gone: this stops chromedriver (and any browser left) and the server.
    drop(suite);
    conclusion.exit();
}

/// Fails the case with a message unless the condition holds.
#[macro_export]
macro_rules! ensure {
    ($cond:expr, $($msg:tt)+) => {
        if !$cond {
            return Err(libtest_mimic::Failed::from(format!($($msg)+)));
        }
    };
}

/// Lets `?` turn any error into a failure with context.
pub fn fail(context: &str, error: impl std::fmt::Display) -> Failed {
    Failed::from(format!("{context}: {error}"))
}
