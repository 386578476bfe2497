//! Jurisdictions (the administrative tree) and zones (named sets of jurisdictions across it).

use std::collections::HashMap;

use axum::extract::State;
use serde::Serialize;
use utoipa::ToSchema;
use yrd_domain::{AdminCode, Jurisdiction, Lang, Text, Zone};

use crate::AppState;
use crate::dto::{JurisdictionRef, KeyRef, Level, Names, opt_text, text};
use crate::error::{ApiError, ProblemResponse};
use crate::extract::{self, Language, Path};
use crate::response::Localized;

/// A node of the administrative tree (GB/T 2260).
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct JurisdictionResponse {
    #[schema(example = "330300")]
    pub code: String,
    /// `null` for the provincial-level members at the top of the tree.
    pub parent: Option<JurisdictionRef>,
    pub level: Level,
    #[schema(example = "温州市")]
    pub name: String,
    /// A reference point in WGS 84 degrees, where known.
    pub centroid: Option<Centroid>,
    /// Where the record comes from: a URL, or `seed:<file>` for a cited news article.
    pub source: String,
}

/// A reference point in WGS 84 degrees.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Centroid {
    pub lat: f64,
    pub lon: f64,
}

/// Every jurisdiction, ordered by code.
#[derive(Debug, Serialize, ToSchema)]
pub struct JurisdictionList {
    pub items: Vec<JurisdictionResponse>,
}

/// A jurisdiction with its children and the zones it belongs to.
#[derive(Debug, Serialize, ToSchema)]
pub struct JurisdictionDetailResponse {
    #[serde(flatten)]
    pub jurisdiction: JurisdictionResponse,
    /// The jurisdictions directly below it, ordered by code.
    pub children: Vec<JurisdictionResponse>,
    /// The zones it is a member of.
    pub zones: Vec<KeyRef>,
}

/// A named set of jurisdictions across the tree (the Demonstration Zone, the G60 corridor, …).
#[derive(Debug, Serialize, ToSchema)]
pub struct ZoneResponse {
    pub key: String,
    pub name: String,
    pub description: Option<String>,
    pub members: Vec<JurisdictionRef>,
    pub source: String,
}

/// Every zone, ordered by key.
#[derive(Debug, Serialize, ToSchema)]
pub struct ZoneList {
    pub items: Vec<ZoneResponse>,
}

fn jurisdiction(j: &Jurisdiction, parent_name: Option<&Text>, lang: Lang) -> JurisdictionResponse {
    JurisdictionResponse {
        code: j.code.to_string(),
        parent: j.parent.map(|code| JurisdictionRef {
            code: code.to_string(),
            name: parent_name.map_or_else(|| code.to_string(), |n| text(n, lang)),
        }),
        level: j.code.level().into(),
        name: text(&j.name, lang),
        centroid: j.centroid.map(|c| Centroid {
            lat: c.lat,
            lon: c.lon,
        }),
        source: j.source.clone(),
    }
}

/// Lists every jurisdiction.
#[utoipa::path(
    get,
    path = "/api/v1/jurisdictions",
    tag = "jurisdictions",
    responses((status = 200, description = "Every jurisdiction", body = JurisdictionList))
)]
pub async fn list_jurisdictions(
    State(state): State<AppState>,
    Language(lang): Language,
) -> Result<Localized<JurisdictionList>, ApiError> {
    let all = state.store().jurisdictions().await?;
    let names: HashMap<AdminCode, &Text> = all.iter().map(|j| (j.code, &j.name)).collect();
    let items = all
        .iter()
        .map(|j| jurisdiction(j, j.parent.and_then(|p| names.get(&p).copied()), lang))
        .collect();
    Ok(Localized::new(lang, JurisdictionList { items }))
}

/// Shows one jurisdiction with its parent, children and zones.
#[utoipa::path(
    get,
    path = "/api/v1/jurisdictions/{code}",
    tag = "jurisdictions",
    params(("code" = String, Path, description = "Six-digit GB/T 2260 code", example = "330300")),
    responses(
        (status = 200, description = "The jurisdiction", body = JurisdictionDetailResponse),
        (status = 404, description = "No jurisdiction has this code", body = ProblemResponse,
            content_type = "application/problem+json"),
    )
)]
pub async fn get_jurisdiction(
    State(state): State<AppState>,
    Language(lang): Language,
    Path(code): Path<String>,
) -> Result<Localized<JurisdictionDetailResponse>, ApiError> {
    let code = extract::code(&code).map_err(|reason| ApiError::invalid("code", reason))?;
    let detail = state
        .store()
        .jurisdiction(code)
        .await?
        .ok_or_else(|| ApiError::not_found("jurisdiction", &code.to_string()))?;
    let own = &detail.jurisdiction;
    let parent_name = detail.parent.as_ref().map(|p| &p.name);
    Ok(Localized::new(
        lang,
        JurisdictionDetailResponse {
            jurisdiction: jurisdiction(own, parent_name, lang),
            children: detail
                .children
                .iter()
                .map(|child| jurisdiction(child, Some(&own.name), lang))
                .collect(),
            zones: detail
                .zones
                .iter()
                .map(|z| KeyRef {
                    key: z.key.clone(),
                    name: text(&z.name, lang),
                })
                .collect(),
        },
    ))
}

pub fn zone(zone: &Zone, names: &Names, lang: Lang) -> ZoneResponse {
    ZoneResponse {
        key: zone.key.clone(),
        name: text(&zone.name, lang),
        description: opt_text(&zone.description, lang),
        members: names.all(&zone.members),
        source: zone.source.clone(),
    }
}

/// Lists every zone with its members.
#[utoipa::path(
    get,
    path = "/api/v1/zones",
    tag = "jurisdictions",
    responses((status = 200, description = "Every zone", body = ZoneList))
)]
pub async fn list_zones(
    State(state): State<AppState>,
    Language(lang): Language,
) -> Result<Localized<ZoneList>, ApiError> {
    let zones = state.store().zones().await?;
    let names = Names::load(state.store(), lang).await?;
    let items = zones.iter().map(|z| zone(z, &names, lang)).collect();
    Ok(Localized::new(lang, ZoneList { items }))
}
