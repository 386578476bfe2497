//! The meetings of the mechanism: a timeline (scheduled meetings marked, with links to the
//! schedule form for those who record a body's meetings), and each meeting with its decisions,
//! every member's position and, while it is scheduled, the forms that run it.

use askama::Template;
use axum::extract::State;
use axum::http::Uri;
use axum::response::Response;
use yrd_domain::access::{Action, Target, decide};

use super::meeting_forms::{Choice, MeetingForms, meeting_forms};
use super::plans::KeyPath;
use super::{Chrome, PageLang, render};
use crate::AppState;
use crate::auth::Principal;
use crate::error::ApiError;
use crate::extract::{Language, PageQuery, Path, Query};
use crate::routes::meetings::{self, MeetingListQuery, MeetingResponse};

/// Where a page of a list starts: the API's cursor.
#[derive(Debug, Default, serde::Deserialize)]
pub struct CursorQuery {
    pub cursor: Option<String>,
}

#[derive(Template)]
#[template(path = "meetings.html")]
struct MeetingsPage {
    chrome: Chrome,
    meetings: Vec<MeetingResponse>,
    /// The link to the next (older) page, if there is one.
    older: Option<String>,
    /// Whether this is a later page (so the newest are a link away).
    later_page: bool,
    page_size: String,
    /// The bodies whose meetings the user schedules: key and name.
    schedule: Vec<Choice>,
}

/// A page of the API's list of meetings, newest first: the page `cursor` starts.
async fn meetings_page(
    state: &AppState,
    lang: yrd_domain::Lang,
    cursor: Option<String>,
    limit: u32,
) -> Result<meetings::MeetingPage, ApiError> {
    Ok(meetings::list_meetings(
        State(state.clone()),
        Language(lang),
        Query(MeetingListQuery { body: None }),
        Query(PageQuery {
            cursor,
            limit: Some(limit.to_string()),
        }),
    )
    .await?
    .body)
}

/// The newest `limit` meetings (at most a page of the API's list), newest first.
pub async fn newest_meetings(
    state: &AppState,
    lang: yrd_domain::Lang,
    limit: u32,
) -> Result<Vec<MeetingResponse>, ApiError> {
    Ok(meetings_page(state, lang, None, limit).await?.items)
}

/// Every meeting, newest first, page by page from the API's list (for the full CSV).
pub async fn all_meetings(
    state: &AppState,
    lang: yrd_domain::Lang,
) -> Result<Vec<MeetingResponse>, ApiError> {
    let mut items = Vec::new();
    let mut cursor = None;
    loop {
        let page = meetings_page(state, lang, cursor.take(), 500).await?;
        items.extend(page.items);
        match page.next_cursor {
            Some(next) => cursor = Some(next),
            None => return Ok(items),
        }
    }
}

/// Meetings shown per page of the timeline: a large region holds thousands.
const MEETINGS_PER_PAGE: u32 = 50;

/// `/{lang}/meetings`: the meetings, newest first, a page at a time (`?cursor=` continues).
pub async fn list(
    State(state): State<AppState>,
    PageLang(lang): PageLang,
    principal: Principal,
    Query(page): Query<CursorQuery>,
    uri: Uri,
) -> Result<Response, ApiError> {
    let later_page = page.cursor.is_some();
    let listed = meetings_page(&state, lang, page.cursor, MEETINGS_PER_PAGE).await?;
    let items = listed.items;
    let older = listed.next_cursor.map(|cursor| {
        format!(
            "/{}/meetings?cursor={}",
            lang.code(),
            form_urlencoded::byte_serialize(cursor.as_bytes()).collect::<String>()
        )
    });
    let chrome = Chrome::new(lang, &uri, &principal)
        .with_json(format!("/api/v1/meetings?lang={}", lang.code()))
        .with_csv(format!("/{}/meetings.csv", lang.code()));
    let actor = principal.actor();
    let schedule = if chrome.csrf().is_some() {
        state
            .store()
            .bodies()
            .await?
            .into_iter()
            .filter(|b| {
                decide(
                    actor.as_ref(),
                    Action::RecordMeeting,
                    &Target::Meeting { body: &b.body.key },
                )
                .is_allowed()
            })
            .map(|b| Choice {
                label: crate::dto::text(&b.body.name, lang),
                value: b.body.key,
            })
            .collect()
    } else {
        Vec::new()
    };
    render(&MeetingsPage {
        chrome,
        meetings: items,
        older,
        later_page,
        page_size: MEETINGS_PER_PAGE.to_string(),
        schedule,
    })
}

#[derive(Template)]
#[template(path = "meeting.html")]
struct MeetingPage {
    chrome: Chrome,
    meeting: MeetingResponse,
    /// The forms the user may use here, if any.
    forms: Option<MeetingForms>,
}

/// `/{lang}/meetings/{key}`: a meeting, its decisions and each member's position.
pub async fn detail(
    State(state): State<AppState>,
    PageLang(lang): PageLang,
    principal: Principal,
    Path(KeyPath { key }): Path<KeyPath>,
    uri: Uri,
) -> Result<Response, ApiError> {
    let (meeting, _) = meetings::meeting_response(&state, lang, &key, None).await?;
    let chrome = Chrome::new(lang, &uri, &principal)
        .with_json(format!("/api/v1/meetings/{key}?lang={}", lang.code()));
    let forms = meeting_forms(&state, lang, &principal, &chrome, &meeting).await?;
    render(&MeetingPage {
        chrome,
        meeting,
        forms,
    })
}
