//! The portal: server-rendered, bilingual pages for the public and for members, built from
//! compiled templates (`templates/`) that share one layout.
//!
//! Pages take their data from the JSON API's own handlers, so a page shows exactly what its
//! JSON equivalent (linked from the page) returns, under the same access policy. The language
//! is the first segment of every page's URL (`/zh/…`, `/en/…`): URLs are stable and shareable
//! in either language, and the switch links to the same page in the other one.

mod agreement_forms;
mod format;
pub(crate) mod forms;
mod home;
pub(crate) mod i18n;
mod meeting_forms;
mod meetings;
mod member;
mod open_data;
mod plan_forms;
mod plans;
mod problem_pages;
mod records;

use askama::Template;
use axum::Router;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;
use yrd_domain::Lang;

use crate::AppState;
use crate::auth::{Credential, Principal};
use crate::error::ApiError;
use crate::extract::Query;

pub use format::{date_label, number, percent};

/// Every page route and form, as (method, path): the authorization matrix checks it covers
/// them.
pub fn page_routes() -> Vec<(&'static str, &'static str)> {
    PAGE_ROUTES
        .iter()
        .chain(meeting_forms::ROUTES)
        .chain(plan_forms::ROUTES)
        .chain(problem_pages::ROUTES)
        .chain(agreement_forms::ROUTES)
        .copied()
        .collect()
}

/// The pages that show the records.
const PAGE_ROUTES: &[(&str, &str)] = &[
    ("GET", "/"),
    ("GET", "/static/style.css"),
    ("GET", "/{lang}/"),
    ("GET", "/{lang}/plans"),
    ("GET", "/{lang}/plans/{key}"),
    ("GET", "/{lang}/matters/{key}"),
    ("GET", "/{lang}/meetings"),
    ("GET", "/{lang}/meetings/{key}"),
    ("GET", "/{lang}/indicators"),
    ("GET", "/{lang}/indicators/{key}"),
    ("GET", "/{lang}/agreements"),
    ("GET", "/{lang}/jurisdictions"),
    ("GET", "/{lang}/jurisdictions/{code}"),
    ("GET", "/{lang}/mechanism"),
    ("GET", "/{lang}/search"),
    ("GET", "/{lang}/workspace"),
    ("GET", "/{lang}/plans.csv"),
    ("GET", "/{lang}/plans/{key}/matters.csv"),
    ("GET", "/{lang}/meetings.csv"),
    ("GET", "/{lang}/agreements.csv"),
    ("GET", "/{lang}/indicators.csv"),
    ("GET", "/{lang}/feed.atom"),
];

/// The page routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(root))
        .route("/static/style.css", get(style))
        .route("/{lang}/", get(home::page))
        .route("/{lang}/plans", get(plans::list))
        .route("/{lang}/plans/{key}", get(plans::detail))
        .route("/{lang}/matters/{key}", get(plans::matter))
        .route("/{lang}/meetings", get(meetings::list))
        .route("/{lang}/meetings/{key}", get(meetings::detail))
        .route("/{lang}/indicators", get(records::indicator_list))
        .route("/{lang}/indicators/{key}", get(records::indicator))
        .route("/{lang}/agreements", get(records::agreement_list))
        .route("/{lang}/jurisdictions", get(records::jurisdiction_list))
        .route("/{lang}/jurisdictions/{code}", get(records::jurisdiction))
        .route("/{lang}/mechanism", get(records::mechanism))
        .route("/{lang}/search", get(member::search))
        .route("/{lang}/workspace", get(member::workspace))
        .route("/{lang}/plans.csv", get(open_data::plans_csv))
        .route(
            "/{lang}/plans/{key}/matters.csv",
            get(open_data::matters_csv),
        )
        .route("/{lang}/meetings.csv", get(open_data::meetings_csv))
        .route("/{lang}/agreements.csv", get(open_data::agreements_csv))
        .route("/{lang}/indicators.csv", get(open_data::indicators_csv))
        .route("/{lang}/feed.atom", get(open_data::feed))
        .merge(meeting_forms::router())
        .merge(plan_forms::router())
        .merge(problem_pages::router())
        .merge(agreement_forms::router())
}

/// `/`: the home page in the visitor's language (`Accept-Language`, else Chinese).
async fn root(parts: axum::http::HeaderMap) -> Redirect {
    let lang = parts
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .and_then(Lang::negotiate)
        .unwrap_or_default();
    Redirect::to(&format!("/{}/", lang.code()))
}

const STYLE: &str = include_str!("../../static/style.css");

/// The stylesheet's version: pages link `/static/style.css?v=<version>`, so a changed sheet
/// has a new URL and a versioned one can be cached for good.
static STYLE_VERSION: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    use sha2::{Digest, Sha256};
    Sha256::digest(STYLE.as_bytes())[..6]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
});

/// The query that versions the stylesheet.
#[derive(serde::Deserialize)]
struct StyleQuery {
    v: Option<String>,
}

async fn style(Query(query): Query<StyleQuery>) -> Response {
    let mut response = STYLE.into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/css; charset=utf-8"),
    );
    if query.v.as_deref() == Some(STYLE_VERSION.as_str()) {
        headers.insert(
            header::CACHE_CONTROL,
            HeaderValue::from_static("public, max-age=31536000, immutable"),
        );
    }
    response
}

/// The language of a page, from the first segment of its path.
#[derive(Clone, Copy, Debug)]
pub struct PageLang(pub Lang);

impl<S: Send + Sync> FromRequestParts<S> for PageLang {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, ApiError> {
        match parts.uri.path().split('/').nth(1) {
            Some("zh") => Ok(PageLang(Lang::Zh)),
            Some("en") => Ok(PageLang(Lang::En)),
            _ => Err(ApiError::NotFound(format!(
                "there is nothing at {}",
                parts.uri.path()
            ))),
        }
    }
}

/// What the layout shows around every page: language, navigation, the language switch, and
/// who is signed in.
pub struct Chrome {
    pub lang: Lang,
    /// The page's path and query without the language prefix, e.g. `/plans?x=1`.
    pub here: String,
    /// The signed-in user's display name, and the session's CSRF token for the sign-out form.
    pub user: Option<(String, Option<String>)>,
    /// The page's JSON and CSV equivalents.
    pub json: Option<String>,
    pub csv: Option<String>,
    /// Where the language switch leads, for pages outside `/zh/` and `/en/`.
    pub switch: Option<String>,
}

impl Chrome {
    pub fn new(lang: Lang, parts_uri: &axum::http::Uri, principal: &Principal) -> Chrome {
        // Pages live at `/zh/…` and `/en/…`: what follows the prefix starts with `/`.
        let rest = parts_uri
            .path()
            .get(3..)
            .filter(|r| !r.is_empty())
            .unwrap_or("/");
        let here = match parts_uri.query() {
            Some(q) => format!("{rest}?{q}"),
            None => rest.to_owned(),
        };
        Chrome {
            lang,
            here,
            user: principal.0.as_ref().map(|s| {
                let csrf = match &s.credential {
                    Credential::Session { csrf_token, .. } => Some(csrf_token.clone()),
                    Credential::Token => None,
                };
                (s.user.display_name.clone(), csrf)
            }),
            json: None,
            csv: None,
            switch: None,
        }
    }

    /// The layout of a page outside the language prefixes (the sign-in form), in `lang`, whose
    /// language switch leads to `switch`.
    pub fn outside(lang: Lang, switch: String) -> Chrome {
        Chrome {
            lang,
            here: "/".into(),
            user: None,
            json: None,
            csv: None,
            switch: Some(switch),
        }
    }

    pub fn with_json(mut self, json: impl Into<String>) -> Chrome {
        self.json = Some(json.into());
        self
    }

    pub fn with_csv(mut self, csv: impl Into<String>) -> Chrome {
        self.csv = Some(csv.into());
        self
    }

    /// Whether a content text is shown in the other language because the record has none in
    /// this one. Chinese texts carry Han characters and English ones none, which tells them
    /// apart without the record.
    pub fn falls_back(&self, text: impl AsRef<str>) -> bool {
        let text = text.as_ref();
        let han = text.chars().any(|c| {
            ('\u{4e00}'..='\u{9fff}').contains(&c) || ('\u{3400}'..='\u{4dbf}').contains(&c)
        });
        match self.lang {
            Lang::En => han,
            Lang::Zh => !han && text.chars().any(|c| c.is_ascii_alphabetic()),
        }
    }

    /// A content text as HTML: escaped, and where it falls back to the other language, marked
    /// with that language and a visible note.
    pub fn content(&self, text: impl AsRef<str>) -> String {
        let text = text.as_ref();
        let escaped = crate::svg::escape(text);
        if self.falls_back(text) {
            format!(
                "<span lang=\"{}\">{escaped}</span> <small class=\"fallback\">{}</small>",
                self.other_html_lang(),
                crate::svg::escape(&self.t("falls-back"))
            )
        } else {
            escaped
        }
    }

    /// The stylesheet's versioned URL.
    pub fn style_href(&self) -> String {
        format!("/static/style.css?v={}", *STYLE_VERSION)
    }

    /// An interface label.
    pub fn t(&self, key: &str) -> String {
        i18n::t(self.lang, key)
    }

    /// An interface label with one argument.
    pub fn t1(&self, key: &str, name: &'static str, value: impl AsRef<str>) -> String {
        i18n::t_with(self.lang, key, name, value.as_ref())
    }

    /// The label of an enum value: `prefix-value`, e.g. `matter-status-on_track`.
    pub fn label(&self, prefix: &str, value: impl AsRef<str>) -> String {
        i18n::t(self.lang, &format!("{prefix}-{}", value.as_ref()))
    }

    /// `zh-CN` or `en`, for `<html lang>`.
    pub fn html_lang(&self) -> &'static str {
        match self.lang {
            Lang::Zh => "zh-CN",
            Lang::En => "en",
        }
    }

    /// A path of this site in the page's language.
    pub fn href(&self, path: &str) -> String {
        format!("/{}{path}", self.lang.code())
    }

    /// This page in the other language.
    pub fn switch_href(&self) -> String {
        if let Some(switch) = &self.switch {
            return switch.clone();
        }
        format!("/{}{}", other(self.lang).code(), self.here)
    }

    /// The other language's tag, for the switch link's `hreflang` and `lang`.
    pub fn other_html_lang(&self) -> &'static str {
        match self.lang {
            Lang::Zh => "en",
            Lang::En => "zh-CN",
        }
    }

    /// A date as its language writes it.
    pub fn date(&self, value: impl AsRef<str>) -> String {
        date_label(value.as_ref(), self.lang)
    }

    /// A number as its language writes it.
    pub fn number(&self, value: impl AsNumber) -> String {
        number(value.as_number())
    }

    /// A percentage, rounded.
    pub fn percent(&self, value: impl AsNumber) -> String {
        percent(value.as_number())
    }

    /// Where a record's `source` leads: its first URL, if it has one (`seed:` sources name
    /// articles kept with the dataset).
    pub fn source_href(&self, source: impl AsRef<str>) -> Option<String> {
        source
            .as_ref()
            .split(" ; ")
            .find(|s| s.starts_with("https://") || s.starts_with("http://"))
            .map(str::to_owned)
    }

    /// The path after the language prefix, for the sign-in form's `next`.
    /// The session's CSRF token, which every form on a page carries as its `csrf` field; None
    /// for visitors who are not signed in with a session.
    pub fn csrf(&self) -> Option<&str> {
        self.user.as_ref().and_then(|(_, csrf)| csrf.as_deref())
    }

    pub fn sign_in_href(&self) -> String {
        format!("/sign-in?next={}", self.href(&self.here))
    }
}

/// A number however many references a template holds it through.
pub trait AsNumber {
    fn as_number(&self) -> f64;
}

impl AsNumber for f64 {
    fn as_number(&self) -> f64 {
        *self
    }
}

impl<T: AsNumber + ?Sized> AsNumber for &T {
    fn as_number(&self) -> f64 {
        (**self).as_number()
    }
}

/// Matters as the matter list of the API returns them to `principal` (drafts as visible),
/// with statuses derived for today on reported progress.
pub async fn matters_where(
    state: &AppState,
    principal: &Principal,
    lang: Lang,
    filter: crate::routes::matters::MatterListQuery,
    limit: u32,
) -> Result<Vec<crate::routes::matters::MatterResponse>, ApiError> {
    use crate::extract::PageQuery;
    use crate::routes::matters::{self, StatusQuery};
    let page = matters::matter_list(
        state,
        principal,
        lang,
        None,
        filter,
        StatusQuery {
            basis: None,
            as_of: None,
        },
        PageQuery {
            cursor: None,
            limit: Some(limit.to_string()),
        },
    )
    .await?;
    Ok(page.items)
}

/// The same matters as [`matters_where`], as the lines of a page's list: one page of them,
/// the one `cursor` (the API's opaque cursor, validated as the API does) starts, with the
/// cursor of the next. `names`, when the page has read them already, saves reading them again.
pub(crate) async fn matter_lines(
    state: &AppState,
    principal: &Principal,
    lang: Lang,
    names: Option<&crate::dto::Names>,
    filter: crate::routes::matters::MatterListQuery,
    cursor: Option<String>,
    limit: u32,
) -> Result<crate::routes::matters::MatterLinePage, ApiError> {
    use crate::extract::PageQuery;
    crate::routes::matters::matter_lines(
        state,
        principal,
        lang,
        names,
        filter,
        PageQuery {
            cursor,
            limit: Some(limit.to_string()),
        },
    )
    .await
}

/// What a list shown a page at a time is of: the messages that count its items and name its
/// pages.
#[derive(Clone, Copy)]
pub(crate) struct Listed {
    /// Takes `$count`, the items on the page.
    pub shown: &'static str,
    /// The name of the links between the pages.
    pub pages: &'static str,
}

/// Matters, as a plan's and a member's pages list them.
pub(crate) const MATTERS_LISTED: Listed = Listed {
    shown: "pl-matters-shown",
    pages: "pl-matter-pages",
};

/// How a list shown a page at a time says how many it shows, and links to its other pages.
pub(crate) struct ListPager {
    /// How many items the page shows, as a sentence with the page size.
    pub shown: String,
    /// The name of the links between the pages.
    pub label: String,
    /// The next page with the same filters, if there is one.
    pub next_href: Option<String>,
    /// The first page with the same filters, when this page is a later one.
    pub first_href: Option<String>,
}

impl ListPager {
    /// The pager of the page at `path` (within the reader's language) whose list of `listed`
    /// `filters` (name, value; those not given left out) narrow: it started at `cursor`, shows
    /// `count` items of at most `per_page`, and `next` leads on.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        chrome: &Chrome,
        listed: Listed,
        path: &str,
        filters: &[(&str, Option<&str>)],
        cursor: Option<&str>,
        next: Option<&str>,
        count: usize,
        per_page: u32,
    ) -> ListPager {
        let next_href = next.map(|next| {
            let mut query = filters.to_vec();
            query.push(("cursor", Some(next)));
            list_href(chrome, path, &query)
        });
        ListPager {
            shown: format!(
                "{} · {}",
                chrome.t1(listed.shown, "count", count.to_string()),
                chrome.t1("list-per-page", "size", per_page.to_string()),
            ),
            label: chrome.t(listed.pages),
            next_href,
            first_href: cursor.is_some().then(|| list_href(chrome, path, filters)),
        }
    }
}

/// The address of the page at `path` with `query` (name, value) in its query string, leaving
/// out those not given.
fn list_href(chrome: &Chrome, path: &str, query: &[(&str, Option<&str>)]) -> String {
    let mut serializer = form_urlencoded::Serializer::new(String::new());
    for (name, value) in query {
        if let Some(value) = value {
            serializer.append_pair(name, value);
        }
    }
    let query = serializer.finish();
    let path = chrome.href(path);
    if query.is_empty() {
        path
    } else {
        format!("{path}?{query}")
    }
}

/// The other language.
pub fn other(lang: Lang) -> Lang {
    match lang {
        Lang::Zh => Lang::En,
        Lang::En => Lang::Zh,
    }
}

/// Renders a page template into a response.
pub fn render(page: &impl Template) -> Result<Response, ApiError> {
    let html = page.render().map_err(ApiError::internal)?;
    Ok((StatusCode::OK, Html(html)).into_response())
}
