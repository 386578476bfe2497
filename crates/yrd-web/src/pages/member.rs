//! Search across the record, and a member's own workspace: what its jurisdiction owes.

use askama::Template;
use axum::extract::State;
use axum::http::Uri;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use time::OffsetDateTime;
use yrd_domain::AdminCode;
use yrd_domain::access::{Role, Scope};

use super::{Chrome, ListPager, Listed, PageLang, render};
use crate::AppState;
use crate::auth::Principal;
use crate::dto::{date, text};
use crate::error::ApiError;
use crate::extract::Query;

/// One search result, ready to show.
pub struct Hit {
    pub kind: &'static str,
    pub href: String,
    pub title: String,
}

#[derive(Template)]
#[template(path = "search.html")]
struct SearchPage {
    chrome: Chrome,
    query: String,
    hits: Vec<Hit>,
}

/// The search form's field.
#[derive(Debug, Deserialize)]
pub struct SearchQuery {
    q: Option<String>,
}

/// Hits shown per kind of record.
const HITS_PER_KIND: u32 = 50;

/// `/{lang}/search?q=…`: matters, plans, meetings, agreements and indicators containing the
/// query, in either language.
pub async fn search(
    State(state): State<AppState>,
    PageLang(lang): PageLang,
    principal: Principal,
    Query(query): Query<SearchQuery>,
    uri: Uri,
) -> Result<Response, ApiError> {
    let chrome = Chrome::new(lang, &uri, &principal);
    let query = query.q.unwrap_or_default();
    let hits = state
        .store()
        .search(&query, &principal.draft_visibility(), HITS_PER_KIND)
        .await?
        .into_iter()
        .map(|hit| Hit {
            kind: hit.kind,
            href: chrome.href(&format!("/{}s/{}", hit.kind, hit.key)),
            title: text(&hit.title, lang),
        })
        .collect();
    render(&SearchPage {
        chrome,
        query,
        hits,
    })
}

/// A task a member owes, ready to show.
pub struct Owed {
    pub matter_href: String,
    pub matter: String,
    pub task: String,
    pub unit: String,
    pub due: String,
    pub overdue: bool,
    pub percent: Option<u8>,
}

#[derive(Template)]
#[template(path = "workspace.html")]
struct WorkspacePage {
    chrome: Chrome,
    /// Each member the user acts for, with what it owes.
    members: Vec<OwedSection>,
}

/// A page of what `member` owes, from `cursor` (a previous page's), as the workspace shows it.
pub async fn owed(
    state: &AppState,
    chrome: &Chrome,
    principal: &Principal,
    member: AdminCode,
    cursor: Option<&str>,
    limit: u32,
) -> Result<(Vec<Owed>, Option<String>), ApiError> {
    let today = OffsetDateTime::now_utc().date();
    let page = state
        .store()
        .owed_by(member, &principal.draft_visibility(), None, cursor, limit)
        .await?;
    let owed = page
        .items
        .into_iter()
        .map(|o| Owed {
            matter_href: chrome.href(&format!("/matters/{}", o.matter_key)),
            matter: text(&o.matter_title, chrome.lang),
            task: text(&o.state.task.title, chrome.lang),
            unit: text(&o.state.task.unit, chrome.lang),
            due: chrome.date(date(o.state.task.due)),
            overdue: o.state.task.due < today && o.state.reported_percent != Some(100),
            percent: o.state.reported_percent,
        })
        .collect();
    Ok((owed, page.next_cursor))
}

/// Tasks shown per member and page: a member owes thousands at the scale of a region, and an
/// officer works from the earliest due.
const OWED_PER_PAGE: u32 = 50;

/// What the workspace shows of one member the user acts for.
struct OwedSection {
    name: String,
    owed: Vec<Owed>,
    pager: ListPager,
}

/// The workspace's narrowing to one member, and where that member's list starts.
#[derive(Debug, Default, Deserialize)]
pub struct WorkspaceQuery {
    member: Option<String>,
    cursor: Option<String>,
}

/// `/{lang}/workspace`: for a signed-in member's officer or coordinator, what their
/// jurisdiction owes, by due date, a page at a time (`?member=…&cursor=…` goes on with one
/// member's list). Visitors are sent to sign in.
pub async fn workspace(
    State(state): State<AppState>,
    PageLang(lang): PageLang,
    principal: Principal,
    Query(query): Query<WorkspaceQuery>,
    uri: Uri,
) -> Result<Response, ApiError> {
    let chrome = Chrome::new(lang, &uri, &principal);
    let Some(signed_in) = principal.0.as_ref() else {
        return Ok(Redirect::to(&chrome.sign_in_href()).into_response());
    };
    let mut codes: Vec<AdminCode> = signed_in
        .user
        .assignments
        .iter()
        .filter(|a| matches!(a.role(), Role::MemberOfficer | Role::MemberCoordinator))
        .filter_map(|a| match a.scope() {
            Scope::Jurisdiction(code) => Some(*code),
            _ => None,
        })
        .collect();
    codes.sort();
    codes.dedup();
    match query.member.as_deref() {
        Some(member) => {
            let member: AdminCode = member
                .parse()
                .map_err(|_| ApiError::invalid("member", "expected a jurisdiction code"))?;
            if !codes.contains(&member) {
                return Err(ApiError::invalid(
                    "member",
                    "not a member this account acts for",
                ));
            }
            codes = vec![member];
        }
        None if query.cursor.is_some() => {
            return Err(ApiError::invalid(
                "cursor",
                "given only with member, whose list it continues",
            ));
        }
        None => {}
    }
    let store = state.store();
    let mut members = Vec::new();
    for code in codes {
        let name = store
            .jurisdiction(code)
            .await?
            .map_or_else(|| code.to_string(), |d| text(&d.jurisdiction.name, lang));
        let cursor = query.cursor.as_deref();
        let (owed, next) = owed(&state, &chrome, &principal, code, cursor, OWED_PER_PAGE).await?;
        let code = code.to_string();
        let pager = ListPager::new(
            &chrome,
            OWED_LISTED,
            "/workspace",
            &[("member", Some(&code))],
            cursor,
            next.as_deref(),
            owed.len(),
            OWED_PER_PAGE,
        );
        members.push(OwedSection { name, owed, pager });
    }
    render(&WorkspacePage { chrome, members })
}

/// A member's owed tasks, as the workspace lists them.
const OWED_LISTED: Listed = Listed {
    shown: "workspace-shown",
    pages: "workspace-pages",
};
