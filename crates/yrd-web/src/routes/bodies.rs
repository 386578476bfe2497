//! Bodies of the mechanism, their seats, and whose turn it is to host.

use axum::extract::State;
use serde::Serialize;
use utoipa::ToSchema;
use yrd_domain::rules::next_host;

use crate::AppState;
use crate::dto::{JurisdictionRef, Names, Tier, opt_text, partial, text};
use crate::error::ApiError;
use crate::extract::Language;
use crate::response::Localized;

/// How many of a body's latest hosts the rotation rule looks at: the most recent host in the
/// rotation decides whose turn it is, and a century of yearly meetings is ample.
const HOST_HISTORY: u32 = 100;

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
            let history = store.past_hosts(&body.key, HOST_HISTORY).await?;
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
