//! Indicators of integration, their observations (each with its source) and where each stands
//! against its targets.

use axum::extract::State;
use serde::Serialize;
use utoipa::ToSchema;
use yrd_domain::rules::indicator::assess_indicator;
use yrd_domain::{Indicator, Lang, Observation, Scope, Target, Zone};
use yrd_store::{IndicatorWithObservations, Store};

use crate::AppState;
use crate::dto::{
    Direction, IndicatorStatus, JurisdictionRef, Names, Qualifier, ValueResponse, opt_text, text,
};
use crate::error::{ApiError, ProblemResponse};
use crate::extract::{self, Language, PageQuery, Parse, Path, Query, encode_cursor};
use crate::response::Localized;

/// A measure of integration with its current status.
#[derive(Debug, Serialize, ToSchema)]
pub struct IndicatorResponse {
    #[schema(example = "taipu-river-water-quality")]
    pub key: String,
    pub name: String,
    pub description: Option<String>,
    /// The unit of numeric values; `null` for categorical indicators.
    pub unit: Option<String>,
    /// For categorical indicators: the class labels, best first. Empty for numeric ones.
    pub classes: Vec<String>,
    pub direction: Direction,
    /// What the indicator measures.
    pub scope: ScopeResponse,
    /// The starting point of the target path, if the record gives one.
    pub baseline: Option<TargetResponse>,
    /// Values to reach by dates, in date order.
    pub targets: Vec<TargetResponse>,
    /// Where the latest observation of the indicator's own scope stands against the path.
    pub assessment: AssessmentResponse,
    pub source: String,
}

/// What an indicator is about: a jurisdiction, a zone, or a named site.
#[derive(Debug, Serialize, ToSchema)]
pub struct ScopeResponse {
    pub kind: ScopeKind,
    /// A six-digit code, a zone key, or a site's name.
    pub id: String,
    /// The jurisdiction's or zone's name; `null` for a site.
    pub name: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ScopeKind {
    Jurisdiction,
    Zone,
    Site,
}

/// A value an indicator should have (or had) by a date.
#[derive(Debug, Serialize, ToSchema)]
pub struct TargetResponse {
    /// As precise as the record: `YYYY`, `YYYY-MM` or `YYYY-MM-DD`.
    #[schema(example = "2025")]
    pub date: String,
    pub value: ValueResponse,
    pub source: String,
}

/// The status with what it was derived from ("expected class III by 2024, observed class II").
#[derive(Debug, Serialize, ToSchema)]
pub struct AssessmentResponse {
    pub status: IndicatorStatus,
    /// The date of the observation judged.
    pub observed_on: Option<String>,
    pub observed: Option<ValueResponse>,
    /// Where the path says the indicator should be on `observed_on`: a number, or for a
    /// categorical indicator the class, rounded to the lenient side.
    pub expected: Option<ValueResponse>,
}

/// A page of the indicators, ordered by key.
#[derive(Debug, Serialize, ToSchema)]
pub struct IndicatorList {
    pub items: Vec<IndicatorResponse>,
    /// Continues the list (`cursor`) where this page ends; `null` on the last page.
    pub next_cursor: Option<String>,
}

/// An indicator with all its observations.
#[derive(Debug, Serialize, ToSchema)]
pub struct IndicatorDetailResponse {
    #[serde(flatten)]
    pub indicator: IndicatorResponse,
    /// Oldest first.
    pub observations: Vec<ObservationResponse>,
}

/// A measured value of an indicator.
#[derive(Debug, Serialize, ToSchema)]
pub struct ObservationResponse {
    pub key: String,
    /// As precise as the record: `YYYY`, `YYYY-MM` or `YYYY-MM-DD`.
    pub date: String,
    pub value: ValueResponse,
    /// How exactly the source states the value ("more than", "about").
    pub qualifier: Qualifier,
    /// Set when the value is one member's share of the indicator.
    pub jurisdiction: Option<JurisdictionRef>,
    /// Set when the value is one monitoring site's.
    pub site: Option<String>,
    pub note: Option<String>,
    /// Where the value comes from: a URL, or `seed:<file>` for a cited news article.
    pub source: String,
}

fn target(t: &Target) -> TargetResponse {
    TargetResponse {
        date: t.date.to_string(),
        value: (&t.value).into(),
        source: t.source.clone(),
    }
}

/// Reads the zones only when some scope needs a zone's name.
async fn zones_for(store: &Store, indicators: &[&Indicator]) -> Result<Vec<Zone>, ApiError> {
    if indicators.iter().any(|i| matches!(i.scope, Scope::Zone(_))) {
        Ok(store.zones().await?)
    } else {
        Ok(Vec::new())
    }
}

fn indicator(
    i: &Indicator,
    observations: &[Observation],
    names: &Names,
    zones: &[Zone],
    lang: Lang,
) -> IndicatorResponse {
    let scope = match &i.scope {
        Scope::Jurisdiction(code) => ScopeResponse {
            kind: ScopeKind::Jurisdiction,
            id: code.to_string(),
            name: Some(names.of(*code).name),
        },
        Scope::Zone(key) => ScopeResponse {
            kind: ScopeKind::Zone,
            id: key.clone(),
            name: zones
                .iter()
                .find(|z| &z.key == key)
                .map(|z| text(&z.name, lang)),
        },
        Scope::Site(site) => ScopeResponse {
            kind: ScopeKind::Site,
            id: site.clone(),
            name: None,
        },
    };
    let assessment = assess_indicator(i, observations);
    let mut targets: Vec<&Target> = i.targets.iter().collect();
    targets.sort_by_key(|t| t.date);
    IndicatorResponse {
        key: i.key.clone(),
        name: text(&i.name, lang),
        description: opt_text(&i.description, lang),
        unit: opt_text(&i.unit, lang),
        classes: i.classes.clone(),
        direction: i.direction.into(),
        scope,
        baseline: i.baseline.as_ref().map(target),
        targets: targets.into_iter().map(target).collect(),
        assessment: AssessmentResponse {
            status: assessment.status.into(),
            observed_on: assessment.observed_on.map(|d| d.to_string()),
            observed: assessment.observed.as_ref().map(Into::into),
            expected: assessment.expected.as_ref().map(Into::into),
        },
        source: i.source.clone(),
    }
}

fn observation(o: &Observation, names: &Names, lang: Lang) -> ObservationResponse {
    ObservationResponse {
        key: o.key.clone(),
        date: o.date.to_string(),
        value: (&o.value).into(),
        qualifier: o.qualifier.into(),
        jurisdiction: o.jurisdiction.map(|c| names.of(c)),
        site: o.site.clone(),
        note: opt_text(&o.note, lang),
        source: o.source.clone(),
    }
}

/// Lists the indicators with their current status, a page at a time in key order.
#[utoipa::path(
    get,
    path = "/api/v1/indicators",
    tag = "indicators",
    params(PageQuery),
    responses(
        (status = 200, description = "A page of the indicators", body = IndicatorList),
        (status = 400, description = "Invalid parameters, each named", body = ProblemResponse,
            content_type = "application/problem+json"),
    )
)]
pub async fn list_indicators(
    State(state): State<AppState>,
    Language(lang): Language,
    Query(page): Query<PageQuery>,
) -> Result<Localized<IndicatorList>, ApiError> {
    let mut parse = Parse::default();
    let page = page.parse(LIST, &mut parse);
    parse.finish()?;
    let store = state.store();
    let found = store
        .indicators_for_assessment_page(page.cursor.as_deref(), page.limit)
        .await?;
    Ok(Localized::new(
        lang,
        IndicatorList {
            items: responses(store, &found.items, lang).await?,
            next_cursor: found.next_cursor.map(|c| encode_cursor(LIST, &c)),
        },
    ))
}

/// The list's name in its cursors.
const LIST: &str = "indicators";

/// Every indicator with its current status, in key order, or those whose scope is
/// `scope_id` (a member's own): for the open-data export, which is whole, and a member's page.
pub async fn every_indicator(
    state: &AppState,
    lang: Lang,
    scope_id: Option<&str>,
) -> Result<Vec<IndicatorResponse>, ApiError> {
    let store = state.store();
    let all = match scope_id {
        None => store.indicators_for_assessment().await?,
        Some(scope_id) => store.indicators_for_assessment_of(scope_id).await?,
    };
    responses(store, &all, lang).await
}

/// The indicators as the API shows them, with the names and zones they refer to.
async fn responses(
    store: &Store,
    found: &[IndicatorWithObservations],
    lang: Lang,
) -> Result<Vec<IndicatorResponse>, ApiError> {
    let names = Names::load(store, lang).await?;
    let zones = zones_for(
        store,
        &found.iter().map(|i| &i.indicator).collect::<Vec<_>>(),
    )
    .await?;
    Ok(found
        .iter()
        .map(|i| indicator(&i.indicator, &i.observations, &names, &zones, lang))
        .collect())
}

/// Shows one indicator with its observations, targets and status.
#[utoipa::path(
    get,
    path = "/api/v1/indicators/{key}",
    tag = "indicators",
    params(("key" = String, Path, description = "The indicator's key")),
    responses(
        (status = 200, description = "The indicator", body = IndicatorDetailResponse),
        (status = 404, description = "No indicator has this key", body = ProblemResponse,
            content_type = "application/problem+json"),
    )
)]
pub async fn get_indicator(
    State(state): State<AppState>,
    Language(lang): Language,
    Path(key): Path<String>,
) -> Result<Localized<IndicatorDetailResponse>, ApiError> {
    let key = extract::key(&key).map_err(|reason| ApiError::invalid("key", reason))?;
    let store = state.store();
    let found = store
        .indicator(&key)
        .await?
        .ok_or_else(|| ApiError::not_found("indicator", &key))?;
    let names = Names::load(store, lang).await?;
    let zones = zones_for(store, &[&found.indicator]).await?;
    Ok(Localized::new(
        lang,
        IndicatorDetailResponse {
            indicator: indicator(&found.indicator, &found.observations, &names, &zones, lang),
            observations: found
                .observations
                .iter()
                .map(|o| observation(o, &names, lang))
                .collect(),
        },
    ))
}
