//! The meetings of the mechanism: a timeline, and each meeting with its decisions and every
//! member's position.

use askama::Template;
use axum::extract::State;
use axum::http::Uri;
use axum::response::Response;

use super::plans::KeyPath;
use super::{Chrome, PageLang, render};
use crate::AppState;
use crate::auth::Principal;
use crate::error::ApiError;
use crate::extract::{Language, PageQuery, Path, Query};
use crate::routes::meetings::{self, MeetingListQuery, MeetingResponse};

#[derive(Template)]
#[template(path = "meetings.html")]
struct MeetingsPage {
    chrome: Chrome,
    meetings: Vec<MeetingResponse>,
}

/// Every meeting, newest first, page by page from the API's list: a mechanism holds a few
/// dozen a year.
pub async fn all_meetings(
    state: &AppState,
    lang: yrd_domain::Lang,
) -> Result<Vec<MeetingResponse>, ApiError> {
    let mut items = Vec::new();
    let mut cursor = None;
    loop {
        let page = meetings::list_meetings(
            State(state.clone()),
            Language(lang),
            Query(MeetingListQuery { body: None }),
            Query(PageQuery {
                cursor: cursor.take(),
                limit: Some("500".into()),
            }),
        )
        .await?
        .body;
        items.extend(page.items);
        match page.next_cursor {
            Some(next) => cursor = Some(next),
            None => return Ok(items),
        }
    }
}

/// `/{lang}/meetings`: every meeting, newest first.
pub async fn list(
    State(state): State<AppState>,
    PageLang(lang): PageLang,
    principal: Principal,
    uri: Uri,
) -> Result<Response, ApiError> {
    let items = all_meetings(&state, lang).await?;
    let chrome = Chrome::new(lang, &uri, &principal)
        .with_json(format!("/api/v1/meetings?lang={}", lang.code()))
        .with_csv(format!("/{}/meetings.csv", lang.code()));
    render(&MeetingsPage {
        chrome,
        meetings: items,
    })
}

#[derive(Template)]
#[template(path = "meeting.html")]
struct MeetingPage {
    chrome: Chrome,
    meeting: MeetingResponse,
}

/// `/{lang}/meetings/{key}`: a meeting, its decisions and each member's position.
pub async fn detail(
    State(state): State<AppState>,
    PageLang(lang): PageLang,
    principal: Principal,
    Path(KeyPath { key }): Path<KeyPath>,
    uri: Uri,
) -> Result<Response, ApiError> {
    let meeting = meetings::get_meeting(State(state), Language(lang), Path(key.clone()))
        .await?
        .body;
    let chrome = Chrome::new(lang, &uri, &principal)
        .with_json(format!("/api/v1/meetings/{key}?lang={}", lang.code()));
    render(&MeetingPage { chrome, meeting })
}
