//! The record pages that are lists and details of one kind each: indicators with their
//! charts, agreements with their signatures, the jurisdictions and their members' pages, and
//! the mechanism's bodies and seats.

use askama::Template;
use axum::extract::State;
use axum::http::Uri;
use axum::response::Response;
use serde::Deserialize;

use super::plans::KeyPath;
use super::{Chrome, ListPager, Listed, MATTERS_LISTED, PageLang, render};
use crate::AppState;
use crate::auth::Principal;
use crate::dto::ValueResponse;
use crate::error::ApiError;
use crate::extract::{Language, PageQuery, Path, Query};
use crate::routes::agreements::{self, AgreementListQuery, AgreementResponse};
use crate::routes::bodies::{self, BodyResponse};
use crate::routes::indicators::{self, IndicatorDetailResponse, IndicatorResponse};
use crate::routes::jurisdictions::{self, JurisdictionDetailResponse, JurisdictionResponse};
use crate::routes::matters::{MatterLineView, MatterListQuery};
use crate::svg::{ChartSpec, Scale, chart};

/// A value as the page shows it: a number formatted for the language, or a class label.
fn value_label(chrome: &Chrome, value: &ValueResponse) -> String {
    match value {
        ValueResponse::Number(n) => chrome.number(*n),
        ValueResponse::Class(c) => c.clone(),
    }
}

/// A wire date as a fractional year, for placing it on a time axis: `2024` is mid-2024.
fn year_fraction(date: &str) -> Option<f64> {
    let mut parts = date.split('-').map(|p| p.parse::<f64>().ok());
    let year = parts.next()??;
    Some(match (parts.next(), parts.next()) {
        (Some(Some(month)), Some(Some(day))) => year + (month - 1.0) / 12.0 + (day - 1.0) / 365.0,
        (Some(Some(month)), _) => year + (month - 0.5) / 12.0,
        _ => year + 0.5,
    })
}

#[derive(Template)]
#[template(path = "indicators.html")]
struct IndicatorsPage {
    chrome: Chrome,
    indicators: Vec<IndicatorResponse>,
    pager: ListPager,
}

/// Indicators the list page shows at most.
const INDICATORS_PER_PAGE: u32 = 50;

/// Indicators, as their list page lists them.
const INDICATORS_LISTED: Listed = Listed {
    shown: "indicators-shown",
    pages: "indicator-pages",
};

/// Where the indicator list page starts: the API's cursor, from the previous page's link.
#[derive(Deserialize)]
pub struct IndicatorsPageQuery {
    pub cursor: Option<String>,
}

/// `/{lang}/indicators`: the indicators with their latest assessment, a page at a time in
/// key order.
pub async fn indicator_list(
    State(state): State<AppState>,
    PageLang(lang): PageLang,
    principal: Principal,
    Query(query): Query<IndicatorsPageQuery>,
    uri: Uri,
) -> Result<Response, ApiError> {
    let cursor = query.cursor.filter(|c| !c.is_empty());
    let page = PageQuery {
        cursor: cursor.clone(),
        limit: Some(INDICATORS_PER_PAGE.to_string()),
    };
    let list = indicators::list_indicators(State(state), Language(lang), Query(page))
        .await?
        .body;
    let chrome = Chrome::new(lang, &uri, &principal)
        .with_json(format!("/api/v1/indicators?lang={}", lang.code()))
        .with_csv(format!("/{}/indicators.csv", lang.code()));
    let pager = ListPager::new(
        &chrome,
        INDICATORS_LISTED,
        "/indicators",
        &[],
        cursor.as_deref(),
        list.next_cursor.as_deref(),
        list.items.len(),
        INDICATORS_PER_PAGE,
    );
    render(&IndicatorsPage {
        chrome,
        indicators: list.items,
        pager,
    })
}

/// One observation as the page's table shows it.
pub struct ObservationRow {
    pub date: String,
    pub value: String,
    pub place: String,
    pub note: String,
    pub source: String,
}

#[derive(Template)]
#[template(path = "indicator.html")]
struct IndicatorPage {
    chrome: Chrome,
    indicator: IndicatorDetailResponse,
    chart: String,
    rows: Vec<ObservationRow>,
}

/// `/{lang}/indicators/{key}`: an indicator's chart and every observation with its source.
pub async fn indicator(
    State(state): State<AppState>,
    PageLang(lang): PageLang,
    principal: Principal,
    Path(KeyPath { key }): Path<KeyPath>,
    uri: Uri,
) -> Result<Response, ApiError> {
    let indicator = indicators::get_indicator(State(state), Language(lang), Path(key.clone()))
        .await?
        .body;
    let chrome = Chrome::new(lang, &uri, &principal)
        .with_json(format!("/api/v1/indicators/{key}?lang={}", lang.code()));
    let classes = &indicator.indicator.classes;
    // Categorical indicators are drawn on their class scale, best class at the top.
    let y = |value: &ValueResponse| match value {
        ValueResponse::Number(n) => Some(*n),
        ValueResponse::Class(c) => classes.iter().position(|k| k == c).map(|i| i as f64),
    };
    let point = |date: &str, value: &ValueResponse| Some((year_fraction(date)?, y(value)?));
    let observations = indicator
        .observations
        .iter()
        .filter_map(|o| {
            let (x, v) = point(&o.date, &o.value)?;
            Some((
                x,
                v,
                format!(
                    "{}: {}",
                    chrome.date(&o.date),
                    value_label(&chrome, &o.value)
                ),
            ))
        })
        .collect();
    let baseline = indicator
        .indicator
        .baseline
        .as_ref()
        .and_then(|b| point(&b.date, &b.value));
    let target = indicator
        .indicator
        .targets
        .last()
        .and_then(|t| point(&t.date, &t.value));
    let svg = chart(&ChartSpec {
        id: "indicator".into(),
        title: indicator.indicator.name.clone(),
        description: indicator
            .indicator
            .description
            .clone()
            .unwrap_or_else(|| chrome.t("chart-desc")),
        unit: indicator.indicator.unit.clone().unwrap_or_default(),
        observations,
        baseline,
        target,
        scale: if classes.is_empty() {
            Scale::Linear
        } else {
            Scale::Categories(classes.clone())
        },
        x_label_years: true,
    });
    let rows = indicator
        .observations
        .iter()
        .map(|o| ObservationRow {
            date: chrome.date(&o.date),
            value: value_label(&chrome, &o.value),
            place: o
                .jurisdiction
                .as_ref()
                .map(|j| j.name.clone())
                .or_else(|| o.site.clone())
                .unwrap_or_default(),
            note: o.note.clone().unwrap_or_default(),
            source: o.source.clone(),
        })
        .collect();
    render(&IndicatorPage {
        chrome,
        indicator,
        chart: svg,
        rows,
    })
}

#[derive(Template)]
#[template(path = "agreements.html")]
struct AgreementsPage {
    chrome: Chrome,
    agreements: Vec<AgreementResponse>,
    /// The party the list is filtered by, and its name.
    party: Option<(String, String)>,
    members: Vec<JurisdictionResponse>,
    /// Whether the viewer may draft agreements (and is shown the link to the form).
    may_draft: bool,
}

/// The party filter of the agreements page.
#[derive(Debug, Deserialize)]
pub struct PartyQuery {
    party: Option<String>,
}

/// `/{lang}/agreements[?party=330000]`: agreements with their state, newest signature first;
/// drafts for those who may see them.
pub async fn agreement_list(
    State(state): State<AppState>,
    PageLang(lang): PageLang,
    principal: Principal,
    Query(query): Query<PartyQuery>,
    uri: Uri,
) -> Result<Response, ApiError> {
    let party = query.party.filter(|p| !p.is_empty());
    let agreements = agreements::visible(
        &state,
        &principal,
        lang,
        &AgreementListQuery {
            party: party.clone(),
        },
    )
    .await?
    .into_iter()
    .map(|d| d.agreement)
    .collect();
    let members = member_jurisdictions(&state, lang).await?;
    let party = party.map(|code| {
        let name = members
            .iter()
            .find(|m| m.code == code)
            .map_or_else(|| code.clone(), |m| m.name.clone());
        (code, name)
    });
    let json = match &party {
        Some((code, _)) => format!("/api/v1/agreements?party={code}&lang={}", lang.code()),
        None => format!("/api/v1/agreements?lang={}", lang.code()),
    };
    let chrome = Chrome::new(lang, &uri, &principal)
        .with_json(json)
        .with_csv(format!("/{}/agreements.csv", lang.code()));
    render(&AgreementsPage {
        chrome,
        agreements,
        party,
        members,
        may_draft: super::agreement_forms::may_draft(&principal),
    })
}

/// The jurisdictions without a parent: the members.
async fn member_jurisdictions(
    state: &AppState,
    lang: yrd_domain::Lang,
) -> Result<Vec<JurisdictionResponse>, ApiError> {
    Ok(
        jurisdictions::list_jurisdictions(State(state.clone()), Language(lang))
            .await?
            .body
            .items
            .into_iter()
            .filter(|j| j.parent.is_none())
            .collect(),
    )
}

#[derive(Template)]
#[template(path = "jurisdictions.html")]
struct JurisdictionsPage {
    chrome: Chrome,
    /// Each member with the jurisdictions under it.
    tree: Vec<(JurisdictionResponse, Vec<JurisdictionResponse>)>,
}

/// `/{lang}/jurisdictions`: the administrative tree.
pub async fn jurisdiction_list(
    State(state): State<AppState>,
    PageLang(lang): PageLang,
    principal: Principal,
    uri: Uri,
) -> Result<Response, ApiError> {
    let all = jurisdictions::list_jurisdictions(State(state), Language(lang))
        .await?
        .body
        .items;
    let tree = all
        .iter()
        .filter(|j| j.parent.is_none())
        .map(|root| {
            let children = all
                .iter()
                .filter(|j| j.parent.as_ref().is_some_and(|p| p.code == root.code))
                .cloned()
                .collect();
            (root.clone(), children)
        })
        .collect();
    let chrome = Chrome::new(lang, &uri, &principal)
        .with_json(format!("/api/v1/jurisdictions?lang={}", lang.code()));
    render(&JurisdictionsPage { chrome, tree })
}

#[derive(Template)]
#[template(path = "jurisdiction.html")]
struct JurisdictionPage {
    chrome: Chrome,
    jurisdiction: JurisdictionDetailResponse,
    matters: Vec<MatterLineView>,
    /// How many matters the page shows, and its links to the list's other pages.
    pager: ListPager,
    tasks: Vec<super::member::Owed>,
    indicators: Vec<IndicatorResponse>,
    agreements: Vec<AgreementResponse>,
}

/// Tasks a jurisdiction's page lists, the earliest due first.
const TASKS_SHOWN: u32 = 200;
/// Matters a jurisdiction's page lists at a time; a member of a large region has thousands.
const MATTERS_PER_PAGE: u32 = 50;

/// What a jurisdiction's page is asked for.
#[derive(Deserialize)]
pub struct JurisdictionPageQuery {
    /// Where its list of matters starts: the API's opaque cursor, from the previous page's
    /// next link.
    cursor: Option<String>,
}

/// The code in a jurisdiction page's path.
#[derive(Deserialize)]
pub struct CodePath {
    code: String,
}

/// `/{lang}/jurisdictions/{code}`: a jurisdiction, its matters a page at a time
/// (`?cursor=`, as the API's matter list), its tasks and its signed agreements.
pub async fn jurisdiction(
    State(state): State<AppState>,
    PageLang(lang): PageLang,
    principal: Principal,
    Path(CodePath { code }): Path<CodePath>,
    Query(query): Query<JurisdictionPageQuery>,
    uri: Uri,
) -> Result<Response, ApiError> {
    let cursor = query.cursor.filter(|c| !c.is_empty());
    let jurisdiction =
        jurisdictions::get_jurisdiction(State(state.clone()), Language(lang), Path(code.clone()))
            .await?
            .body;
    let matters = super::matter_lines(
        &state,
        &principal,
        lang,
        None,
        MatterListQuery {
            plan: None,
            area: None,
            member: Some(code.clone()),
            status: None,
        },
        cursor.clone(),
        MATTERS_PER_PAGE,
    )
    .await?;
    let agreements = agreements::list_agreements(
        State(state.clone()),
        Language(lang),
        Query(AgreementListQuery {
            party: Some(code.clone()),
        }),
    )
    .await?
    .body
    .items;
    let indicators = indicators::every_indicator(&state, lang, Some(&code)).await?;
    let chrome = Chrome::new(lang, &uri, &principal)
        .with_json(format!("/api/v1/jurisdictions/{code}?lang={}", lang.code()));
    let member: yrd_domain::AdminCode = code
        .parse()
        .map_err(|e| ApiError::invalid("code", format!("{e}")))?;
    let (tasks, _) =
        super::member::owed(&state, &chrome, &principal, member, None, TASKS_SHOWN).await?;
    let pager = ListPager::new(
        &chrome,
        MATTERS_LISTED,
        &format!("/jurisdictions/{code}"),
        &[],
        cursor.as_deref(),
        matters.next_cursor.as_deref(),
        matters.items.len(),
        MATTERS_PER_PAGE,
    );
    render(&JurisdictionPage {
        chrome,
        jurisdiction,
        matters: matters.items,
        pager,
        tasks,
        indicators,
        agreements,
    })
}

#[derive(Template)]
#[template(path = "mechanism.html")]
struct MechanismPage {
    chrome: Chrome,
    /// The bodies by tier: decision, coordination, execution.
    tiers: Vec<(&'static str, Vec<BodyResponse>)>,
}

/// `/{lang}/mechanism`: the three tiers, their bodies, and the seats and who holds them.
pub async fn mechanism(
    State(state): State<AppState>,
    PageLang(lang): PageLang,
    principal: Principal,
    uri: Uri,
) -> Result<Response, ApiError> {
    let mut bodies = bodies::list_bodies(State(state), Language(lang))
        .await?
        .body
        .items;
    let tiers = ["decision", "coordination", "execution"]
        .into_iter()
        .map(|tier| {
            let (these, rest): (Vec<_>, Vec<_>) =
                bodies.drain(..).partition(|b| b.tier.name() == tier);
            bodies = rest;
            (tier, these)
        })
        .collect();
    let chrome = Chrome::new(lang, &uri, &principal)
        .with_json(format!("/api/v1/bodies?lang={}", lang.code()));
    render(&MechanismPage { chrome, tiers })
}
