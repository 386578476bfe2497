//! Open data beside the pages: each list as CSV (the JSON equivalents are the API's own
//! lists), and an Atom feed of decisions and agreements.
//!
//! The feed is a few lines of XML written directly, with every value escaped: the Atom crates
//! bring a date-time library and builders that this one document does not need.

use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};

use super::PageLang;
use super::plans::KeyPath;
use crate::AppState;
use crate::auth::Principal;
use crate::error::ApiError;
use crate::extract::{Language, Path, Query};
use crate::routes::agreements::{self, AgreementListQuery};
use crate::routes::matters::MatterListQuery;
use crate::routes::{indicators, plans};
use crate::svg::escape;

/// Builds a CSV document from a header and rows.
fn csv_response(name: &str, header: &[&str], rows: Vec<Vec<String>>) -> Result<Response, ApiError> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    writer.write_record(header).map_err(ApiError::internal)?;
    for row in rows {
        writer.write_record(&row).map_err(ApiError::internal)?;
    }
    let bytes = writer.into_inner().map_err(ApiError::internal)?;
    let mut response = bytes.into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/csv; charset=utf-8"),
    );
    if let Ok(value) = HeaderValue::from_str(&format!("inline; filename=\"{name}.csv\"")) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    Ok(response)
}

/// `/{lang}/plans.csv`.
pub async fn plans_csv(
    State(state): State<AppState>,
    PageLang(lang): PageLang,
    principal: Principal,
) -> Result<Response, ApiError> {
    let plans = plans::list_plans(State(state), principal, Language(lang))
        .await?
        .body
        .items;
    let rows = plans
        .into_iter()
        .map(|p| {
            vec![
                p.key,
                p.kind.name().to_owned(),
                p.stage.name().to_owned(),
                p.title,
                p.period.start.to_string(),
                p.period.end.to_string(),
                p.issuer.unwrap_or_default(),
                p.source,
            ]
        })
        .collect();
    csv_response(
        "plans",
        &[
            "key",
            "kind",
            "stage",
            "title",
            "period_start",
            "period_end",
            "issuer",
            "source",
        ],
        rows,
    )
}

/// `/{lang}/plans/{key}/matters.csv`: a plan's matters with their derived status.
pub async fn matters_csv(
    State(state): State<AppState>,
    PageLang(lang): PageLang,
    principal: Principal,
    Path(KeyPath { key }): Path<KeyPath>,
) -> Result<Response, ApiError> {
    let matters = super::matters_where(
        &state,
        &principal,
        lang,
        MatterListQuery {
            plan: Some(key.clone()),
            area: None,
            member: None,
            status: None,
        },
        500,
    )
    .await?;
    let names = |refs: &[crate::dto::JurisdictionRef]| {
        refs.iter()
            .map(|j| j.code.clone())
            .collect::<Vec<_>>()
            .join(" ")
    };
    let rows = matters
        .into_iter()
        .map(|m| {
            vec![
                m.key.clone(),
                m.area.map(|a| a.key).unwrap_or_default(),
                m.title.clone(),
                names(&m.leads),
                names(&m.participants),
                m.due.clone().unwrap_or_default(),
                m.status.name().to_owned(),
                m.source.clone(),
            ]
        })
        .collect();
    csv_response(
        &format!("{key}-matters"),
        &[
            "key",
            "area",
            "title",
            "leads",
            "participants",
            "due",
            "status",
            "source",
        ],
        rows,
    )
}

/// `/{lang}/meetings.csv`.
pub async fn meetings_csv(
    State(state): State<AppState>,
    PageLang(lang): PageLang,
) -> Result<Response, ApiError> {
    let rows = super::meetings::all_meetings(&state, lang)
        .await?
        .into_iter()
        .map(|m| {
            vec![
                m.key,
                m.body,
                m.start,
                m.title,
                m.host.map(|h| h.code).unwrap_or_default(),
                m.theme.unwrap_or_default(),
                m.decisions.len().to_string(),
                m.source,
            ]
        })
        .collect();
    csv_response(
        "meetings",
        &[
            "key",
            "body",
            "start",
            "title",
            "host",
            "theme",
            "decisions",
            "source",
        ],
        rows,
    )
}

/// `/{lang}/agreements.csv`: one row per agreement and party.
pub async fn agreements_csv(
    State(state): State<AppState>,
    PageLang(lang): PageLang,
) -> Result<Response, ApiError> {
    let agreements = agreements::list_agreements(
        State(state),
        Language(lang),
        Query(AgreementListQuery { party: None }),
    )
    .await?
    .body
    .items;
    let mut rows = Vec::new();
    for a in agreements {
        for p in &a.parties {
            rows.push(vec![
                a.key.clone(),
                a.title.clone(),
                a.signed_on.clone().unwrap_or_default(),
                p.jurisdiction.code.clone(),
                p.signatory.clone().unwrap_or_default(),
                p.signed.to_string(),
                a.source.clone(),
            ]);
        }
    }
    csv_response(
        "agreements",
        &[
            "key",
            "title",
            "signed_on",
            "party",
            "signatory",
            "party_signed",
            "source",
        ],
        rows,
    )
}

/// `/{lang}/indicators.csv`: each indicator with its latest assessment.
pub async fn indicators_csv(
    State(state): State<AppState>,
    PageLang(lang): PageLang,
) -> Result<Response, ApiError> {
    let indicators = indicators::every_indicator(&state, lang, None).await?;
    let rows = indicators
        .into_iter()
        .map(|i| {
            vec![
                i.key,
                i.name,
                i.unit.unwrap_or_default(),
                i.assessment
                    .observed
                    .map(|v| v.label().replace(',', ""))
                    .unwrap_or_default(),
                i.assessment.observed_on.unwrap_or_default(),
                i.assessment.status.name().to_owned(),
                i.source,
            ]
        })
        .collect();
    csv_response(
        "indicators",
        &[
            "key",
            "name",
            "unit",
            "latest",
            "latest_on",
            "status",
            "source",
        ],
        rows,
    )
}

/// An Atom date from a wire date: partial dates fall on their first day.
fn atom_date(date: &str) -> String {
    let mut parts = date.split('-');
    let year = parts.next().unwrap_or("1970");
    let month = parts.next().unwrap_or("01");
    let day = parts.next().unwrap_or("01");
    format!("{year}-{month}-{day}T00:00:00Z")
}

/// The newest meetings whose decisions the feed reads, and the entries it keeps: a feed is
/// news, and a large region has thousands of meetings.
const FEED_MEETINGS: u32 = 200;
const FEED_ENTRIES: usize = 200;

/// `/{lang}/feed.atom`: the decisions of the newest closed meetings and the agreements the
/// public sees, newest first.
pub async fn feed(
    State(state): State<AppState>,
    PageLang(lang): PageLang,
) -> Result<Response, ApiError> {
    let origin = "tag:yrd,2024:";
    let mut entries: Vec<(String, String, String, String)> = Vec::new();
    // Decisions are news once taken: a scheduled meeting's items are still proposals.
    for m in super::meetings::newest_meetings(&state, lang, FEED_MEETINGS).await? {
        if m.state != crate::routes::meetings::MeetingState::Closed {
            continue;
        }
        for d in &m.decisions {
            entries.push((
                atom_date(&m.start),
                format!("{origin}decision:{}", d.key),
                format!("{} — {}", m.title, d.title),
                format!("/{}/meetings/{}", lang.code(), m.key),
            ));
        }
    }
    let agreements = agreements::list_agreements(
        State(state),
        Language(lang),
        Query(AgreementListQuery { party: None }),
    )
    .await?
    .body
    .items;
    for a in agreements {
        entries.push((
            atom_date(a.signed_on.as_deref().unwrap_or("1970")),
            format!("{origin}agreement:{}", a.key),
            a.title.clone(),
            format!("/{}/agreements/{}", lang.code(), a.key),
        ));
    }
    entries.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
    entries.truncate(FEED_ENTRIES);
    let updated = entries
        .first()
        .map_or_else(|| atom_date("1970"), |e| e.0.clone());
    let title = super::i18n::t(lang, "feed-title");
    let mut xml = format!(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<feed xmlns=\"http://www.w3.org/2005/Atom\" xml:lang=\"{}\">\n\
         <title>{}</title>\n<id>{origin}feed:{}</id>\n<updated>{updated}</updated>\n\
         <link rel=\"self\" href=\"/{}/feed.atom\"/>\n<author><name>{}</name></author>\n",
        lang.code(),
        escape(&title),
        lang.code(),
        lang.code(),
        escape(&super::i18n::t(lang, "site-name")),
    );
    for (date, id, entry_title, href) in &entries {
        xml.push_str(&format!(
            "<entry><title>{}</title><id>{}</id><updated>{date}</updated><link href=\"{}\"/></entry>\n",
            escape(entry_title),
            escape(id),
            escape(href),
        ));
    }
    xml.push_str("</feed>\n");
    let mut response = xml.into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/atom+xml; charset=utf-8"),
    );
    Ok(response)
}
