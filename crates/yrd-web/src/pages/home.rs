//! The home page: the region in numbers, the members on a map, the current action plan's
//! progress by area × member, the latest meeting and its decisions, and what is overdue.

use askama::Template;
use axum::extract::State;
use axum::http::Uri;
use axum::response::Response;

use super::plans::{ProgressRow, progress_heatmap, progress_rows};
use super::{Chrome, PageLang, render};
use crate::AppState;
use crate::auth::Principal;
use crate::dto::{Names, text};
use crate::error::ApiError;
use crate::routes::matters::{MatterLineView, MatterListQuery};
use crate::routes::meetings::{self, MeetingResponse};
use crate::routes::plans::{self, PlanDetailResponse};
use crate::svg::{MapPoint, PointKind, map};
use yrd_domain::code::Level;

/// How many headline figures the home page shows.
const HEADLINES: u32 = 8;
/// The zone that is the whole region: its indicators are the headline figures.
const REGION_ZONE: &str = "yrd";

/// A place on the map, for the table that gives the map's content in text.
pub struct Place {
    pub name: String,
    pub kind: &'static str,
    pub lat: f64,
    pub lon: f64,
}

/// The members (the region's zone), the places of the demonstration zone, and the
/// prefecture-level cities, each where the register puts it.
async fn map_of_members(
    state: &AppState,
    chrome: &Chrome,
    all: &[yrd_domain::Jurisdiction],
) -> Result<(String, Vec<Place>), ApiError> {
    let zones = state.store().zones().await?;
    let in_zone = |key: &str, code: &yrd_domain::AdminCode| {
        zones
            .iter()
            .any(|z| z.key == key && z.members.contains(code))
    };
    // A member recorded without coordinates is placed at the mean of its cities'.
    let placed = |j: &yrd_domain::Jurisdiction| {
        j.centroid.or_else(|| {
            let cities: Vec<_> = all
                .iter()
                .filter(|c| c.parent == Some(j.code))
                .filter_map(|c| c.centroid)
                .collect();
            (!cities.is_empty()).then(|| yrd_domain::LatLon {
                lat: cities.iter().map(|c| c.lat).sum::<f64>() / cities.len() as f64,
                lon: cities.iter().map(|c| c.lon).sum::<f64>() / cities.len() as f64,
            })
        })
    };
    // Two places may share an English name (泰州 and 台州 are both Taizhou): those are
    // labelled with their province.
    let name_of = |j: &yrd_domain::Jurisdiction| text(&j.name, chrome.lang);
    let label = |j: &yrd_domain::Jurisdiction| {
        let name = name_of(j);
        let shared = all
            .iter()
            .filter(|o| o.code != j.code && o.centroid.is_some() && name_of(o) == name)
            .count()
            > 0;
        match all.iter().find(|p| Some(p.code) == j.parent) {
            Some(parent) if shared => format!("{name} ({})", name_of(parent)),
            _ => name,
        }
    };
    let mut points = Vec::new();
    let mut places = Vec::new();
    for j in all {
        let Some(at) = placed(j) else { continue };
        let (kind, label_key) = if in_zone("yrd", &j.code) {
            (PointKind::Member, "map-member")
        } else if in_zone("demonstration-zone", &j.code) {
            (PointKind::ZoneMember, "map-zone-member")
        } else if j.code.level() == Level::Prefecture {
            (PointKind::City, "map-city")
        } else {
            continue;
        };
        let name = label(j);
        places.push(Place {
            name: name.clone(),
            kind: label_key,
            lat: at.lat,
            lon: at.lon,
        });
        points.push(MapPoint {
            label: name,
            lat: at.lat,
            lon: at.lon,
            kind,
            href: Some(chrome.href(&format!("/jurisdictions/{}", j.code))),
        });
    }
    let svg = map(
        "members",
        &chrome.t("home-map"),
        &chrome.t("home-map-desc"),
        &points,
    );
    Ok((svg, places))
}

/// A headline figure: an indicator's latest observation.
pub struct Headline {
    pub name: String,
    pub value: String,
    pub unit: String,
    pub observed_on: String,
    pub source: String,
}

#[derive(Template)]
#[template(path = "home.html")]
struct HomePage {
    chrome: Chrome,
    headlines: Vec<Headline>,
    plan: Option<PlanDetailResponse>,
    members: Vec<String>,
    rows: Vec<ProgressRow>,
    heatmap: String,
    map: String,
    places: Vec<Place>,
    meeting: Option<MeetingResponse>,
    overdue: Vec<MatterLineView>,
}

/// `/{lang}/`: the state of integration at a glance.
pub async fn page(
    State(state): State<AppState>,
    PageLang(lang): PageLang,
    principal: Principal,
    uri: Uri,
) -> Result<Response, ApiError> {
    let chrome = Chrome::new(lang, &uri, &principal);
    // The register is read once, for the map and for every part's names.
    let register = state.store().jurisdictions().await?;
    let names = Names::of_register(&register, lang);
    // The region in numbers: the region's own indicators first, the most tracked first,
    // each with its latest observation.
    let headlines = state
        .store()
        .headline_indicators(REGION_ZONE, HEADLINES)
        .await?
        .into_iter()
        .map(|(indicator, latest)| {
            let value = match &latest.value {
                yrd_domain::Value::Number(n) => chrome.number(*n),
                yrd_domain::Value::Class(c) => c.clone(),
            };
            Headline {
                name: text(&indicator.name, lang),
                value,
                unit: text(&indicator.unit, lang),
                observed_on: chrome.date(latest.date.to_string()),
                source: latest.source.clone(),
            }
        })
        .collect();

    // The current action plan: the latest in force, else the latest of any stage, among those
    // the reader may see (only the action plans are read: a large region has hundreds of
    // other plans).
    let visible = principal.draft_visibility();
    let current = state
        .store()
        .plans_of_kind(yrd_domain::PlanKind::ActionPlan)
        .await?
        .into_iter()
        .filter(|p| visible.sees(plans::publication(p)))
        .max_by_key(|p| {
            (
                p.stage == yrd_domain::PlanStage::InForce,
                p.period_end,
                p.period_start,
            )
        })
        .map(|p| p.key);
    let plan = match current {
        Some(key) => Some(plans::plan_detail(&state, &principal, lang, &key, Some(&names)).await?),
        None => None,
    };
    let (members, rows) = plan
        .as_ref()
        .map(|p| progress_rows(p, &chrome))
        .unwrap_or_default();
    let heatmap = progress_heatmap(&chrome, &members, &rows);
    let (map, places) = map_of_members(&state, &chrome, &register).await?;

    // The latest meeting held: scheduled ones have taken no decisions yet.
    let meeting = match state.store().latest_closed_meeting().await? {
        Some(key) => Some(
            meetings::meeting_response(&state, lang, &key, Some(&names))
                .await?
                .0,
        ),
        None => None,
    };

    let overdue = super::matter_lines(
        &state,
        &principal,
        lang,
        Some(&names),
        MatterListQuery {
            plan: None,
            area: None,
            member: None,
            status: Some("overdue".into()),
        },
        None,
        20,
    )
    .await?
    .items;

    render(&HomePage {
        chrome,
        headlines,
        plan,
        members,
        rows,
        heatmap,
        map,
        places,
        meeting,
        overdue,
    })
}
