//! Bodies of the mechanism, their seats, and whose turn it is to host.

use axum::extract::State;
use serde::Serialize;
use utoipa::ToSchema;
use yrd_domain::AdminCode;
use yrd_domain::rules::next_host;
use yrd_domain::rules::rotation::hosted_by;
use yrd_store::{MeetingFilter, Store, StoreError};

use crate::AppState;
use crate::dto::{JurisdictionRef, Names, Tier, opt_text, partial, text};
use crate::error::ApiError;
use crate::extract::Language;
use crate::response::Localized;

/// Meetings read per step when looking back for the latest host.
const HOST_HISTORY_PAGE: u32 = 20;

/// An organ of the mechanism.
#[derive(Debug, Serialize, ToSchema)]
pub struct BodyResponse {
    #[schema(example = "main-leaders-symposium")]
    pub key: String,
    pub name: String,
    pub tier: Tier,
    pub description: Option<String>,
    /// The members whose consent the body's decisions need, in the body's order.
    pub members: Vec<JurisdictionRef>,
    /// For bodies that meet in rotation: the order in which members host. Empty otherwise.
    pub host_rotation: Vec<JurisdictionRef>,
    /// For bodies with a rotation: the member whose turn it is, from the rotation and the hosts
    /// of the body's recorded meetings (a city host counts for the member containing it).
    pub next_host: Option<JurisdictionRef>,
    pub seats: Vec<SeatResponse>,
    pub source: String,
}

/// A person holding a body's seat for a member, for a term.
#[derive(Debug, Serialize, ToSchema)]
pub struct SeatResponse {
    pub key: String,
    pub jurisdiction: JurisdictionRef,
    /// The office that gives the seat.
    pub role: String,
    pub holder: String,
    pub term: Term,
}

/// A term of office; dates are as precise as the record (`YYYY`, `YYYY-MM` or `YYYY-MM-DD`).
#[derive(Debug, Serialize, ToSchema)]
pub struct Term {
    #[schema(example = "2022-12")]
    pub start: String,
    /// `null` while the term runs.
    pub end: Option<String>,
}

/// Every body, ordered by tier then key.
#[derive(Debug, Serialize, ToSchema)]
pub struct BodyList {
    pub items: Vec<BodyResponse>,
}

/// The hosts of a body's meetings in chronological order, reading back from the newest only
/// until a host that counts for a member of `rotation` is found: older meetings cannot change
/// whose turn it is.
async fn host_history(
    store: &Store,
    body: &str,
    rotation: &[AdminCode],
) -> Result<Vec<AdminCode>, StoreError> {
    let filter = MeetingFilter {
        body: Some(body.to_owned()),
    };
    let mut hosts = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let page = store
            .meetings(&filter, cursor.as_deref(), HOST_HISTORY_PAGE)
            .await?;
        hosts.extend(page.items.iter().filter_map(|m| m.meeting.host));
        let found = hosts
            .iter()
            .any(|&h| rotation.iter().any(|&m| hosted_by(m, h)));
        match page.next_cursor {
            Some(next) if !found => cursor = Some(next),
            _ => break,
        }
    }
    hosts.reverse();
    Ok(hosts)
}

/// Lists every body with its members, rotation, next host and seats.
#[utoipa::path(
    get,
    path = "/api/v1/bodies",
    tag = "bodies",
    responses((status = 200, description = "Every body", body = BodyList))
)]
pub async fn list_bodies(
    State(state): State<AppState>,
    Language(lang): Language,
) -> Result<Localized<BodyList>, ApiError> {
    let store = state.store();
    let bodies = store.bodies().await?;
    let names = Names::load(store, lang).await?;
    let mut items = Vec::with_capacity(bodies.len());
    for entry in bodies {
        let body = &entry.body;
        let next = if body.host_rotation.is_empty() {
            None
        } else {
            let history = host_history(store, &body.key, &body.host_rotation).await?;
            next_host(&body.host_rotation, &history)
        };
        items.push(BodyResponse {
            key: body.key.clone(),
            name: text(&body.name, lang),
            tier: body.tier.into(),
            description: opt_text(&body.description, lang),
            members: names.all(&body.members),
            host_rotation: names.all(&body.host_rotation),
            next_host: next.map(|c| names.of(c)),
            seats: entry
                .seats
                .iter()
                .map(|s| SeatResponse {
                    key: s.key.clone(),
                    jurisdiction: names.of(s.jurisdiction),
                    role: text(&s.role, lang),
                    holder: text(&s.holder, lang),
                    term: Term {
                        start: s.term_start.to_string(),
                        end: partial(s.term_end),
                    },
                })
                .collect(),
            source: body.source.clone(),
        });
    }
    Ok(Localized::new(lang, BodyList { items }))
}
