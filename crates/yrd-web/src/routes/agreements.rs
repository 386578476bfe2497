//! Multi-party cooperation agreements and who has signed them.

use axum::extract::State;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use yrd_domain::{Agreement, Lang};

use crate::AppState;
use crate::dto::{JurisdictionRef, Names, opt_text, partial, text};
use crate::error::{ApiError, ProblemResponse};
use crate::extract::{self, Language, Parse, Path, Query};
use crate::response::Localized;

/// A multi-party cooperation agreement.
#[derive(Debug, Serialize, ToSchema)]
pub struct AgreementResponse {
    pub key: String,
    pub title: String,
    pub summary: Option<String>,
    /// The key of the meeting at which it was signed, if any.
    pub meeting: Option<String>,
    /// As precise as the record: `YYYY`, `YYYY-MM` or `YYYY-MM-DD`.
    pub signed_on: Option<String>,
    pub in_force_on: Option<String>,
    /// The parties in the agreement's order.
    pub parties: Vec<PartyResponse>,
    /// Whether every party has signed.
    pub all_signed: bool,
    pub source: String,
}

/// A party to an agreement and its signature.
#[derive(Debug, Serialize, ToSchema)]
pub struct PartyResponse {
    pub jurisdiction: JurisdictionRef,
    /// Who signs (or signed) for the party, where the record names them.
    pub signatory: Option<String>,
    /// Whether a signature by this party is recorded.
    pub signed: bool,
    pub signed_on: Option<String>,
}

/// Agreements, newest signature first.
#[derive(Debug, Serialize, ToSchema)]
pub struct AgreementList {
    pub items: Vec<AgreementResponse>,
}

/// Filters of the agreement list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AgreementListQuery {
    /// Only agreements this jurisdiction is a party to (six-digit code).
    #[param(example = "340000", pattern = "^[0-9]{6}$")]
    pub party: Option<String>,
}

fn agreement(a: &Agreement, names: &Names, lang: Lang) -> AgreementResponse {
    AgreementResponse {
        key: a.key.clone(),
        title: text(&a.title, lang),
        summary: opt_text(&a.summary, lang),
        meeting: a.meeting.clone(),
        signed_on: partial(a.signed_on),
        in_force_on: partial(a.in_force_on),
        parties: a
            .parties
            .iter()
            .map(|p| PartyResponse {
                jurisdiction: names.of(p.jurisdiction),
                signatory: opt_text(&p.signatory, lang),
                signed: p.signed_on.is_some(),
                signed_on: partial(p.signed_on),
            })
            .collect(),
        all_signed: !a.parties.is_empty() && a.parties.iter().all(|p| p.signed_on.is_some()),
        source: a.source.clone(),
    }
}

/// Lists agreements with their parties and signatures.
#[utoipa::path(
    get,
    path = "/api/v1/agreements",
    tag = "agreements",
    params(AgreementListQuery),
    responses((status = 200, description = "The agreements", body = AgreementList))
)]
pub async fn list_agreements(
    State(state): State<AppState>,
    Language(lang): Language,
    Query(query): Query<AgreementListQuery>,
) -> Result<Localized<AgreementList>, ApiError> {
    let mut parse = Parse::default();
    let party = parse.opt("party", query.party.as_deref(), extract::code);
    parse.finish()?;
    let store = state.store();
    let found = store.agreements(party).await?;
    let names = Names::load(store, lang).await?;
    let items = found.iter().map(|a| agreement(a, &names, lang)).collect();
    Ok(Localized::new(lang, AgreementList { items }))
}

/// Shows one agreement.
#[utoipa::path(
    get,
    path = "/api/v1/agreements/{key}",
    tag = "agreements",
    params(("key" = String, Path, description = "The agreement's key")),
    responses(
        (status = 200, description = "The agreement", body = AgreementResponse),
        (status = 404, description = "No agreement has this key", body = ProblemResponse,
            content_type = "application/problem+json"),
    )
)]
pub async fn get_agreement(
    State(state): State<AppState>,
    Language(lang): Language,
    Path(key): Path<String>,
) -> Result<Localized<AgreementResponse>, ApiError> {
    let key = extract::key(&key).map_err(|reason| ApiError::invalid("key", reason))?;
    let store = state.store();
    let found = store
        .agreement(&key)
        .await?
        .ok_or_else(|| ApiError::not_found("agreement", &key))?;
    let names = Names::load(store, lang).await?;
    Ok(Localized::new(lang, agreement(&found, &names, lang)))
}
