//! Problems on the pages: the list by tier and age, a problem's page with its history, and
//! the forms that raise, escalate and resolve them.
//!
//! The pages show what the API's problem routes return, and the forms call the same steps
//! (`routes::problems::{raise, escalate, resolve}`), so a form is checked and authorised
//! exactly as its JSON equivalent. A form appears only for a user the policy allows to take
//! its step, and carries the version the page showed, so a step taken by someone else in the
//! meantime is refused (409) rather than silently built upon.

use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::http::Uri;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde_json::Value;
use time::OffsetDateTime;
use yrd_domain::access::{Action, decide};
use yrd_domain::{AdminCode, Lang, Text};
use yrd_store::{JournalEntry, ProgressBasis};

use super::forms::{PageForm, failure};
use super::plans::KeyPath;
use super::{Chrome, ListPager, Listed, PageLang, render};
use crate::AppState;
use crate::auth::{Principal, matter_target};
use crate::dto::{Names, Tier, text};
use crate::error::{ApiError, FieldError};
use crate::extract::{PageQuery, Path, Query};
use crate::routes::problems::{
    self, EscalateInput, ProblemDetail, ProblemListQuery, ProblemSummary, RaiseInput, ResolveInput,
    problem_target,
};

/// This module's routes, as (method, path).
pub const ROUTES: &[(&str, &str)] = &[
    ("GET", "/{lang}/problems"),
    ("GET", "/{lang}/problems/{key}"),
    ("POST", "/{lang}/problems/{key}/escalate"),
    ("POST", "/{lang}/problems/{key}/resolve"),
    ("GET", "/{lang}/matters/{key}/problems/new"),
    ("POST", "/{lang}/matters/{key}/problems"),
];

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/{lang}/problems", get(list))
        .route("/{lang}/problems/{key}", get(detail))
        .route("/{lang}/problems/{key}/escalate", post(escalate))
        .route("/{lang}/problems/{key}/resolve", post(resolve))
        .route("/{lang}/matters/{key}/problems/new", get(new_form))
        .route("/{lang}/matters/{key}/problems", post(raise))
}

/// Most history entries a problem's page shows: a problem is raised, escalated at most twice
/// and resolved once, so this leaves room for everything.
const HISTORY_SHOWN: u32 = 100;

/// The tiers in the order the list shows them: where decisions are taken first.
const TIERS: [Tier; 3] = [Tier::Decision, Tier::Coordination, Tier::Execution];

/// The problems one tier holds.
struct TierTable {
    tier: Tier,
    items: Vec<ProblemSummary>,
}

/// One option of a filter, selected when the list is filtered by it.
struct Choice {
    value: String,
    label: String,
    selected: bool,
}

impl Choice {
    fn new(value: impl Into<String>, label: String, given: Option<&str>) -> Choice {
        let value = value.into();
        Choice {
            selected: given.unwrap_or_default() == value,
            value,
            label,
        }
    }
}

#[derive(Template)]
#[template(path = "problems.html")]
struct ListPage {
    chrome: Chrome,
    tables: Vec<TierTable>,
    /// The filters' options, those the list is filtered by selected.
    tier_choices: Vec<Choice>,
    member_choices: Vec<Choice>,
    state_choices: Vec<Choice>,
    as_of: String,
    pager: ListPager,
}

/// Problems the list page shows at most.
const PROBLEMS_PER_PAGE: u32 = 50;

/// Problems, as their list page lists them.
const PROBLEMS_LISTED: Listed = Listed {
    shown: "problem-list-shown",
    pages: "problem-list-pages",
};

/// The problem list page's filters, as the API's problem list takes them, and where the page
/// starts: the API's cursor, from the previous page's next link.
#[derive(serde::Deserialize)]
struct ListPageQuery {
    #[serde(flatten)]
    filters: ProblemListQuery,
    cursor: Option<String>,
}

/// `/{lang}/problems`: problems by tier and age, filtered by tier, member and state, a page
/// at a time in the API's order (tier by tier from the top, oldest first).
async fn list(
    State(state): State<AppState>,
    PageLang(lang): PageLang,
    principal: Principal,
    Query(ListPageQuery {
        filters: query,
        cursor,
    }): Query<ListPageQuery>,
    uri: Uri,
) -> Result<Response, ApiError> {
    // A GET form sends its empty choices as empty parameters: they mean "any".
    let blank = |v: &Option<String>| v.clone().filter(|v| !v.trim().is_empty());
    let cursor = blank(&cursor);
    let query = ProblemListQuery {
        tier: blank(&query.tier),
        state: blank(&query.state),
        matter: blank(&query.matter),
        member: blank(&query.member),
        as_of: blank(&query.as_of),
    };
    let page = PageQuery {
        cursor: cursor.clone(),
        limit: Some(PROBLEMS_PER_PAGE.to_string()),
    };
    let (items, next, as_of) = problems::list(&state, &principal, lang, &query, &page).await?;
    // Where the list runs over several pages, a tier appears on the pages that hold its
    // problems; on a list of one page, every tier asked for does, if only to say it has none.
    let one_page = cursor.is_none() && next.is_none();
    let tables = TIERS
        .into_iter()
        .filter(|t| query.tier.is_none() || query.tier.as_deref() == Some(t.name()))
        .filter(|t| one_page || items.iter().any(|p| p.tier == *t))
        .map(|tier| TierTable {
            tier,
            items: items.iter().filter(|p| p.tier == tier).cloned().collect(),
        })
        .collect();
    let store = state.store();
    let mut codes: Vec<AdminCode> = store
        .bodies()
        .await?
        .into_iter()
        .flat_map(|b| b.body.members)
        .collect();
    codes.sort();
    codes.dedup();
    let names = Names::load(store, lang).await?;
    let chrome = Chrome::new(lang, &uri, &principal);
    let pager = ListPager::new(
        &chrome,
        PROBLEMS_LISTED,
        "/problems",
        &[
            ("tier", query.tier.as_deref()),
            ("member", query.member.as_deref()),
            ("state", query.state.as_deref()),
            ("matter", query.matter.as_deref()),
            ("as_of", query.as_of.as_deref()),
        ],
        cursor.as_deref(),
        next.as_deref(),
        items.len(),
        PROBLEMS_PER_PAGE,
    );
    let any = || chrome.t("problem-filter-any");
    let tier_choices = std::iter::once(Choice::new("", any(), query.tier.as_deref()))
        .chain(TIERS.into_iter().map(|t| {
            Choice::new(
                t.name(),
                chrome.label("tier", t.name()),
                query.tier.as_deref(),
            )
        }))
        .collect();
    let member_choices = std::iter::once(Choice::new("", any(), query.member.as_deref()))
        .chain(
            codes
                .into_iter()
                .map(|c| Choice::new(c.to_string(), names.of(c).name, query.member.as_deref())),
        )
        .collect();
    let state_choices = ["open", "resolved", "all"]
        .into_iter()
        .map(|s| {
            Choice::new(
                s,
                chrome.label("problem-state", s),
                Some(query.state.as_deref().unwrap_or("open")),
            )
        })
        .collect();
    let mut json = format!("/api/v1/problems?lang={}", lang.code());
    for (name, value) in [
        ("tier", &query.tier),
        ("state", &query.state),
        ("matter", &query.matter),
        ("member", &query.member),
        ("as_of", &query.as_of),
    ] {
        if let Some(value) = value {
            json.push_str(&format!("&{name}={}", urlencode(value)));
        }
    }
    render(&ListPage {
        chrome: chrome.with_json(json),
        tables,
        tier_choices,
        member_choices,
        state_choices,
        as_of: crate::dto::date(as_of),
        pager,
    })
}

fn urlencode(value: &str) -> String {
    form_urlencoded::byte_serialize(value.as_bytes()).collect()
}

/// One step of a problem's history as the page shows it.
struct HistoryRow {
    /// `raise`, `escalate`, `resolve`, or another journal action.
    action: String,
    /// The user (or the command and system user) who took it.
    who: String,
    /// RFC 3339, for `<time datetime>`.
    at: String,
    /// The day, `YYYY-MM-DD`, and the time of day (UTC).
    day: String,
    time: String,
    /// For an escalation or resolution: the tiers it moved between, or the tier that resolved.
    from_tier: Option<String>,
    to_tier: Option<String>,
    /// Why it was escalated, or how it was resolved.
    note: Option<String>,
}

/// How the journal's actor reads on a page: a username, or the command that ran.
fn who(actor: &str) -> String {
    if let Some(user) = actor.strip_prefix("user:") {
        return user.to_owned();
    }
    if let Some(rest) = actor.strip_prefix("cli:") {
        return match rest.rsplit_once(':') {
            Some((command, os_user)) => format!("yrd {command} ({os_user})"),
            None => format!("yrd {rest}"),
        };
    }
    actor.to_owned()
}

fn history_row(entry: JournalEntry, lang: Lang) -> HistoryRow {
    let parse = |s: &Option<String>| {
        s.as_deref()
            .and_then(|s| serde_json::from_str::<Value>(s).ok())
            .unwrap_or(Value::Null)
    };
    let before = parse(&entry.before);
    let after = parse(&entry.after);
    let tier = |v: &Value| {
        v.as_str()
            .and_then(Tier::parse)
            .map(|t| t.name().to_owned())
    };
    let picked = |v: &Value| {
        let t = Text::new(
            v["zh"].as_str().unwrap_or_default(),
            v["en"].as_str().unwrap_or_default(),
        );
        (!t.is_empty()).then(|| text(&t, lang))
    };
    let (from_tier, to_tier, note) = match entry.action.as_str() {
        "escalate" => (
            tier(&before["tier"]),
            tier(&after["tier"]),
            picked(&after["reason"]),
        ),
        "resolve" => (
            None,
            tier(&after["resolved_tier"]),
            picked(&after["resolution"]),
        ),
        "raise" => (None, tier(&after["tier"]), None),
        _ => (None, None, None),
    };
    HistoryRow {
        day: entry.at.get(..10).unwrap_or_default().to_owned(),
        time: entry.at.get(11..16).unwrap_or_default().to_owned(),
        who: who(&entry.actor),
        at: entry.at,
        action: entry.action,
        from_tier,
        to_tier,
        note,
    }
}

#[derive(Template)]
#[template(path = "problem.html")]
struct DetailPage {
    chrome: Chrome,
    problem: ProblemDetail,
    /// None when the reader may not see who changed it (not signed in).
    history: Option<Vec<HistoryRow>>,
    can_escalate: bool,
    can_resolve: bool,
    can_raise: bool,
    today: String,
}

/// `/{lang}/problems/{key}`: the problem, its matter, tier and ages, its history, and the
/// forms for those allowed to escalate or resolve it.
async fn detail(
    State(state): State<AppState>,
    PageLang(lang): PageLang,
    principal: Principal,
    Path(KeyPath { key }): Path<KeyPath>,
    uri: Uri,
) -> Result<Response, ApiError> {
    let (record, facts) = problems::one(&state, &principal, &key).await?;
    let today = OffsetDateTime::now_utc().date();
    let problem = problems::detail(&record, lang, today);
    let actor = principal.actor();
    let allowed = |action| decide(actor.as_ref(), action, &problem_target(&facts)).is_allowed();
    let open = record.resolved_on.is_none();
    let history = if allowed(Action::ReadHistory) {
        Some(
            state
                .store()
                .history("problem", &key, None, HISTORY_SHOWN)
                .await?
                .into_iter()
                .map(|e| history_row(e, lang))
                .collect(),
        )
    } else {
        None
    };
    let can_raise = decide(
        actor.as_ref(),
        Action::RaiseProblem,
        &matter_target(&facts.access),
    )
    .is_allowed();
    let chrome = Chrome::new(lang, &uri, &principal)
        .with_json(format!("/api/v1/problems/{key}?lang={}", lang.code()));
    render(&DetailPage {
        can_escalate: open && record.tier.above().is_some() && allowed(Action::EscalateProblem),
        can_resolve: open && allowed(Action::ResolveProblem),
        can_raise,
        chrome,
        problem,
        history,
        today: crate::dto::date(today),
    })
}

#[derive(Template)]
#[template(path = "problem_new.html")]
struct NewPage {
    chrome: Chrome,
    matter_key: String,
    matter_title: String,
    /// The matter's tasks: (key, member and title).
    tasks: Vec<(String, String)>,
    today: String,
}

/// `/{lang}/matters/{key}/problems/new`: the form that raises a problem on a matter, for
/// those with a role on it. Visitors are sent to sign in first.
async fn new_form(
    State(state): State<AppState>,
    PageLang(lang): PageLang,
    principal: Principal,
    Path(KeyPath { key }): Path<KeyPath>,
    uri: Uri,
) -> Result<Response, ApiError> {
    let chrome = Chrome::new(lang, &uri, &principal);
    if principal.0.is_none() {
        return Ok(Redirect::to(&chrome.sign_in_href()).into_response());
    }
    let store = state.store();
    let facts = store
        .matter_access(&key)
        .await?
        .ok_or_else(|| ApiError::not_found("matter", &key))?;
    if let Err(refused) = principal.require(
        Action::RaiseProblem,
        &matter_target(&facts),
        &format!("matter {key:?}"),
    ) {
        return Ok(failure(lang, &principal, None, refused));
    }
    let today = OffsetDateTime::now_utc().date();
    let matter = store
        .matter(&key, today, ProgressBasis::Reported)
        .await?
        .ok_or_else(|| ApiError::not_found("matter", &key))?;
    let names = Names::load(store, lang).await?;
    let tasks = matter
        .state
        .tasks
        .iter()
        .map(|t| {
            (
                t.task.key.clone(),
                format!(
                    "{} · {}",
                    names.of(t.task.jurisdiction).name,
                    text(&t.task.title, lang)
                ),
            )
        })
        .collect();
    render(&NewPage {
        chrome,
        matter_key: key,
        matter_title: text(&matter.state.matter.title, lang),
        tasks,
        today: crate::dto::date(today),
    })
}

/// The version a form was rendered with (its hidden `version` field), which the step expects.
fn expected_version(form: &PageForm) -> Result<Option<i64>, ApiError> {
    form.fields
        .optional("version")
        .map(|v| {
            v.parse::<i64>().map_err(|_| {
                ApiError::Unprocessable(vec![FieldError::new(
                    "version",
                    format!("{v:?} is not a version of this problem: reload the page"),
                )])
            })
        })
        .transpose()
}

/// `POST /{lang}/matters/{key}/problems`: raises a problem; 303 to its page.
async fn raise(
    State(state): State<AppState>,
    Path(KeyPath { key }): Path<KeyPath>,
    form: PageForm,
) -> Response {
    let outcome = async {
        let title = form.fields.optional_text("title");
        let input = RaiseInput {
            title,
            description: form.fields.optional_text("description"),
            task: form.fields.optional("task"),
            due_date: form.fields.optional("due_date"),
            raised_on: form.fields.optional("raised_on"),
        };
        let problem = problems::raise(&state, &form.principal, &key, input).await?;
        Ok(format!("/problems/{}", problem.key))
    }
    .await;
    form.finish(outcome)
}

/// `POST /{lang}/problems/{key}/escalate`: escalates a problem one tier up; 303 to its page.
async fn escalate(
    State(state): State<AppState>,
    Path(KeyPath { key }): Path<KeyPath>,
    form: PageForm,
) -> Response {
    let outcome = async {
        let expected = expected_version(&form);
        let input = EscalateInput {
            reason: form.fields.optional_text("reason"),
            due_date: form.fields.optional("due_date"),
            on: form.fields.optional("on"),
        };
        problems::escalate(&state, &form.principal, &key, input, expected).await?;
        Ok(format!("/problems/{key}"))
    }
    .await;
    form.finish(outcome)
}

/// `POST /{lang}/problems/{key}/resolve`: resolves a problem at its tier; 303 to its page.
async fn resolve(
    State(state): State<AppState>,
    Path(KeyPath { key }): Path<KeyPath>,
    form: PageForm,
) -> Response {
    let outcome = async {
        let expected = expected_version(&form);
        let input = ResolveInput {
            resolution: form.fields.optional_text("resolution"),
            resolved_on: form.fields.optional("resolved_on"),
        };
        problems::resolve(&state, &form.principal, &key, input, expected).await?;
        Ok(format!("/problems/{key}"))
    }
    .await;
    form.finish(outcome)
}

#[cfg(test)]
mod tests {
    use super::who;

    #[test]
    fn actors_read_as_a_user_or_the_command_that_ran() {
        assert_eq!(who("user:js-officer"), "js-officer");
        assert_eq!(
            who("cli:problems escalate-overdue:root"),
            "yrd problems escalate-overdue (root)"
        );
        assert_eq!(who("cli:serve"), "yrd serve");
    }
}
