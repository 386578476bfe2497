//! Multi-party cooperation agreements, from draft to in force: the office drafts one and
//! opens it for signature; each party's coordinator signs it, the server signing with that
//! member's Ed25519 key over the hash of the exact text; it comes into force with the last
//! valid signature, and the office may terminate it. A changed text leaves the earlier
//! signatures visibly bound to an older hash (`current: false`).
//!
//! The functions the pages' forms share with the API ([`create`], [`edit_text`], [`open`],
//! [`sign`], [`terminate`], [`detail`]) ask the policy first, so a caller who may not act
//! learns nothing about their input, then report the input's field errors, then let the store
//! apply the rules.

use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;
use serde::{Deserialize, Serialize};
use time::{Date, OffsetDateTime};
use utoipa::{IntoParams, ToSchema};
use yrd_domain::access::{Action, Publication, Target, decide};
use yrd_domain::{AdminCode, Lang, Text};
use yrd_store::{
    AgreementAccess, AgreementFilter, AgreementRecord, AgreementSignature, NewAgreement, NewParty,
};

use crate::AppState;
use crate::auth::Principal;
use crate::dto::{AgreementState, JurisdictionRef, Names, opt_date, opt_text, partial, text};
use crate::error::{ApiError, FieldError, ProblemResponse};
use crate::extract::{self, JsonBody, Language, Parse, Path, Query};
use crate::response::{Localized, if_match_version, required_if_match, versioned_response};
use crate::routes::tasks::TextBody;

/// A multi-party cooperation agreement.
#[derive(Debug, Serialize, ToSchema)]
pub struct AgreementResponse {
    pub key: String,
    pub title: String,
    pub summary: Option<String>,
    pub state: AgreementState,
    /// The key of the meeting at which it was signed, if any.
    pub meeting: Option<String>,
    /// As precise as the record: `YYYY`, `YYYY-MM` or `YYYY-MM-DD`.
    pub signed_on: Option<String>,
    pub in_force_on: Option<String>,
    /// The day after which it no longer applies, if it has one.
    #[schema(format = Date)]
    pub expires_on: Option<String>,
    /// The day it was terminated.
    #[schema(format = Date)]
    pub ended_on: Option<String>,
    /// Why it was terminated, where the office gave a reason.
    pub ended_reason: Option<String>,
    /// The parties in the agreement's order.
    pub parties: Vec<PartyResponse>,
    /// Whether every party has signed (the current text, for agreements signed in yrd).
    pub all_signed: bool,
    pub source: String,
}

/// A party to an agreement and its signature.
#[derive(Debug, Serialize, ToSchema)]
pub struct PartyResponse {
    pub jurisdiction: JurisdictionRef,
    /// Who signs (or signed) for the party, where the record names them.
    pub signatory: Option<String>,
    /// Whether a signature by this party is recorded (over the current text, for agreements
    /// signed in yrd).
    pub signed: bool,
    pub signed_on: Option<String>,
}

/// An agreement with its text, signatures and obligations.
#[derive(Debug, Serialize, ToSchema)]
pub struct AgreementDetail {
    #[serde(flatten)]
    pub agreement: AgreementResponse,
    /// The exact text the parties sign, in both languages (a signature binds both);
    /// `null` for agreements of the public record, which were signed on paper.
    pub text: Option<AgreementText>,
    /// Lowercase hex SHA-256 of the UTF-8 bytes of `"zh\n" + text.zh + "\nen\n" + text.en`:
    /// what a signature binds, and what a signer sends back as the text they read.
    #[schema(example = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08")]
    pub text_hash: Option<String>,
    /// Incremented by every change; the `ETag` carries it, and changes send it back in
    /// `If-Match`.
    pub version: i64,
    /// Every signature made in yrd, oldest first, those over earlier texts included.
    pub signatures: Vec<SignatureResponse>,
    /// The matters that carry out its obligations.
    pub obligations: Vec<ObligationResponse>,
}

/// An agreement's text in both languages.
#[derive(Debug, Serialize, ToSchema)]
pub struct AgreementText {
    pub zh: String,
    pub en: String,
}

/// A party's Ed25519 signature over one version of the text. The signed message is the UTF-8
/// bytes of `"yrd-agreement-signature-v1\n" + agreement key + "\n" + member + "\n" +
/// text_hash`.
#[derive(Debug, Serialize, ToSchema)]
pub struct SignatureResponse {
    /// The party's code.
    #[schema(example = "320000", pattern = "^[0-9]{6}$")]
    pub member: String,
    /// The id of the member's key: the first 16 hex digits of the SHA-256 of the public key.
    pub key_id: String,
    /// The Ed25519 public key, 64 hex digits.
    pub public_key: String,
    /// The hash of the text signed.
    pub text_hash: String,
    /// The Ed25519 signature, 128 hex digits.
    pub signature: String,
    /// The coordinator who signed.
    pub signed_by: String,
    /// RFC 3339, UTC.
    pub signed_at: String,
    /// The signature verifies against the stored public key and the message.
    pub valid: bool,
    /// It was made over the current text (its hash is the text's).
    pub current: bool,
}

/// A matter that carries out an obligation of the agreement.
#[derive(Debug, Serialize, ToSchema)]
pub struct ObligationResponse {
    pub key: String,
    pub title: String,
}

/// Agreements, newest signature first.
#[derive(Debug, Serialize, ToSchema)]
pub struct AgreementList {
    pub items: Vec<AgreementResponse>,
}

/// Agreements, newest signature first, each as `GET /api/v1/agreements/{key}` shows it.
#[derive(Debug, Serialize, ToSchema)]
pub struct AgreementDetailList {
    pub items: Vec<AgreementDetail>,
}

/// Filters of the agreement list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AgreementListQuery {
    /// Only agreements this jurisdiction is a party to (six-digit code).
    #[param(example = "340000", pattern = "^[0-9]{6}$")]
    pub party: Option<String>,
}

/// A party of a new agreement.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PartyBody {
    /// The member's code.
    #[schema(example = "310000", pattern = "^[0-9]{6}$")]
    pub member: String,
    /// Who signs for it, e.g. the provincial department.
    pub signatory: Option<TextBody>,
}

/// An agreement as the office drafts it.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewAgreementBody {
    #[schema(example = "g60-science-corridor-2026")]
    pub key: String,
    pub title: TextBody,
    pub summary: Option<TextBody>,
    /// The exact text the parties sign; at least one language.
    pub text: TextBody,
    /// At least two distinct parties.
    pub parties: Vec<PartyBody>,
    /// The meeting at which it is to be signed.
    pub meeting: Option<String>,
    #[schema(format = Date, example = "2030-12-31")]
    pub expires_on: Option<String>,
}

/// A new text for a draft or open agreement.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TextChangeBody {
    pub text: TextBody,
}

/// A party's signature, over the text the signer read.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SignatureBody {
    /// The `text_hash` of the agreement as the signer read it.
    pub text_hash: String,
}

/// Why and when an agreement ends.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TerminationBody {
    pub reason: Option<TextBody>,
    /// Default: today.
    #[schema(format = Date)]
    pub ended_on: Option<String>,
}

fn today() -> Date {
    OffsetDateTime::now_utc().date()
}

/// How the policy sees an agreement; `party` when the action concerns that party.
pub(crate) fn target(access: &AgreementAccess, party: Option<AdminCode>) -> Target<'static> {
    Target::Agreement {
        publication: Publication {
            published: access.published(),
            body: None,
        },
        party,
    }
}

/// Whether the principal sees draft agreements, as the policy says.
fn sees_drafts(principal: &Principal) -> bool {
    let draft = Target::Agreement {
        publication: Publication {
            published: false,
            body: None,
        },
        party: None,
    };
    decide(principal.actor().as_ref(), Action::Read, &draft).is_allowed()
}

async fn access(state: &AppState, key: &str) -> Result<AgreementAccess, ApiError> {
    state
        .store()
        .agreement_access(key)
        .await?
        .ok_or_else(|| ApiError::not_found("agreement", key))
}

fn agreement(record: &AgreementRecord, names: &Names, lang: Lang) -> AgreementResponse {
    let a = &record.agreement;
    AgreementResponse {
        key: a.key.clone(),
        title: text(&a.title, lang),
        summary: opt_text(&a.summary, lang),
        state: record.state.into(),
        meeting: a.meeting.clone(),
        signed_on: partial(a.signed_on),
        in_force_on: partial(a.in_force_on),
        expires_on: opt_date(record.expires_on),
        ended_on: opt_date(record.ended_on),
        ended_reason: opt_text(&a.ended_reason, lang),
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

fn signature(s: &AgreementSignature) -> SignatureResponse {
    SignatureResponse {
        member: s.member.to_string(),
        key_id: s.key_id.clone(),
        public_key: s.public_key.clone(),
        text_hash: s.text_hash.clone(),
        signature: s.signature.clone(),
        signed_by: s.signed_by.clone(),
        signed_at: s.signed_at.clone(),
        valid: s.valid,
        current: s.current,
    }
}

fn agreement_detail(record: &AgreementRecord, names: &Names, lang: Lang) -> AgreementDetail {
    AgreementDetail {
        agreement: agreement(record, names, lang),
        text: record.text_hash.as_ref().map(|_| AgreementText {
            zh: record.text.zh.clone(),
            en: record.text.en.clone(),
        }),
        text_hash: record.text_hash.clone(),
        version: record.version,
        signatures: record.signatures.iter().map(signature).collect(),
        obligations: record
            .obligations
            .iter()
            .map(|o| ObligationResponse {
                key: o.matter.clone(),
                title: text(&o.title, lang),
            })
            .collect(),
    }
}

/// The agreements `principal` may see (drafts only for the office and auditors), filtered.
pub(crate) async fn visible(
    state: &AppState,
    principal: &Principal,
    lang: Lang,
    query: &AgreementListQuery,
) -> Result<Vec<AgreementDetail>, ApiError> {
    let mut parse = Parse::default();
    let party = parse.opt("party", query.party.as_deref(), extract::code);
    parse.finish()?;
    let store = state.store();
    let filter = AgreementFilter {
        party,
        drafts: sees_drafts(principal),
    };
    let found = store
        .agreement_records(&filter, today(), &principal.draft_visibility())
        .await?;
    let names = Names::load(store, lang).await?;
    Ok(found
        .iter()
        .map(|a| agreement_detail(a, &names, lang))
        .collect())
}

/// The agreements as the public sees them (no drafts): for open data and the feed.
pub async fn list_agreements(
    State(state): State<AppState>,
    Language(lang): Language,
    Query(query): Query<AgreementListQuery>,
) -> Result<Localized<AgreementList>, ApiError> {
    let items = visible(&state, &Principal::default(), lang, &query)
        .await?
        .into_iter()
        .map(|d| d.agreement)
        .collect();
    Ok(Localized::new(lang, AgreementList { items }))
}

/// Lists agreements, each as its own GET shows it (state, text, parties, signatures,
/// obligations); drafts only for the office and auditors.
#[utoipa::path(
    get,
    path = "/api/v1/agreements",
    operation_id = "list_agreements",
    tag = "agreements",
    params(AgreementListQuery),
    responses((status = 200, description = "The agreements", body = AgreementDetailList))
)]
pub async fn list_visible_agreements(
    State(state): State<AppState>,
    principal: Principal,
    Language(lang): Language,
    Query(query): Query<AgreementListQuery>,
) -> Result<Localized<AgreementDetailList>, ApiError> {
    let items = visible(&state, &principal, lang, &query).await?;
    Ok(Localized::new(lang, AgreementDetailList { items }))
}

/// One agreement as `principal` may see it, and its version.
pub(crate) async fn detail(
    state: &AppState,
    principal: &Principal,
    lang: Lang,
    key: &str,
) -> Result<AgreementDetail, ApiError> {
    let key = extract::key(key).map_err(|reason| ApiError::invalid("key", reason))?;
    let facts = access(state, &key).await?;
    principal.require(
        Action::Read,
        &target(&facts, None),
        &format!("agreement {key:?}"),
    )?;
    let store = state.store();
    let record = store
        .agreement_record(&key, today(), &principal.draft_visibility())
        .await?
        .ok_or_else(|| ApiError::not_found("agreement", &key))?;
    let names = Names::load(store, lang).await?;
    Ok(agreement_detail(&record, &names, lang))
}

/// The agreement after a change, with its ETag; `created` answers 201 with its location.
async fn changed(
    state: &AppState,
    principal: &Principal,
    lang: Lang,
    key: &str,
    created: bool,
) -> Result<Response, ApiError> {
    let body = detail(state, principal, lang, key).await?;
    let mut response = versioned_response(&body, lang, body.version);
    if created {
        *response.status_mut() = StatusCode::CREATED;
        if let Ok(location) = HeaderValue::from_str(&format!("/api/v1/agreements/{key}")) {
            response.headers_mut().insert(header::LOCATION, location);
        }
    }
    Ok(response)
}

/// Shows one agreement: its state, text and hash, each party's signatures, and the matters
/// that carry out its obligations. A draft is seen only by the office and auditors.
#[utoipa::path(
    get,
    path = "/api/v1/agreements/{key}",
    tag = "agreements",
    params(("key" = String, Path, description = "The agreement's key")),
    responses(
        (status = 200, description = "The agreement; its ETag carries the version", body = AgreementDetail),
        (status = 404, description = "No agreement has this key, or it is a draft the caller may not see",
            body = ProblemResponse, content_type = "application/problem+json"),
    )
)]
pub async fn get_agreement(
    State(state): State<AppState>,
    principal: Principal,
    Language(lang): Language,
    Path(key): Path<String>,
) -> Result<Response, ApiError> {
    let body = detail(&state, &principal, lang, &key).await?;
    Ok(versioned_response(&body, lang, body.version))
}

/// The field errors of an input, or the input.
pub(crate) type Checked<T> = Result<T, Vec<FieldError>>;

fn unprocessable(errors: Vec<FieldError>) -> ApiError {
    ApiError::Unprocessable(errors)
}

/// The office drafts an agreement: asks the policy, then checks the input, then stores it.
pub(crate) async fn create(
    state: &AppState,
    principal: &Principal,
    input: Checked<NewAgreement>,
) -> Result<String, ApiError> {
    // The agreement does not exist yet, so there is no draft to hide: whoever may not draft
    // is told so (403), not that it is missing.
    let to_be = Target::Agreement {
        publication: Publication {
            published: true,
            body: None,
        },
        party: None,
    };
    principal.require(Action::Draft, &to_be, "agreement")?;
    let new = input.map_err(unprocessable)?;
    let author = principal.author()?;
    state.store().create_agreement(&author, &new).await?;
    Ok(new.key)
}

/// Converts the JSON body of a new agreement, naming every field in error.
fn new_agreement(body: NewAgreementBody) -> Checked<NewAgreement> {
    let mut errors = Vec::new();
    let mut parties = Vec::new();
    for (i, p) in body.parties.iter().enumerate() {
        match extract::code(&p.member) {
            Ok(member) => parties.push(NewParty {
                member,
                signatory: p
                    .signatory
                    .as_ref()
                    .map(TextBody::to_text)
                    .unwrap_or_default(),
            }),
            Err(e) => errors.push(FieldError::new(format!("parties[{i}].member"), e)),
        }
    }
    let expires_on = match body.expires_on.as_deref().map(extract::full_date) {
        Some(Ok(d)) => Some(d),
        Some(Err(e)) => {
            errors.push(FieldError::new("expires_on", e));
            None
        }
        None => None,
    };
    let meeting = match body.meeting.as_deref().map(extract::key) {
        Some(Ok(k)) => Some(k),
        Some(Err(e)) => {
            errors.push(FieldError::new("meeting", e));
            None
        }
        None => None,
    };
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(NewAgreement {
        key: body.key.trim().to_owned(),
        title: body.title.to_text(),
        summary: body
            .summary
            .as_ref()
            .map(TextBody::to_text)
            .unwrap_or_default(),
        text: body.text.to_text(),
        parties,
        meeting,
        expires_on,
    })
}

/// Drafts an agreement: the office (region-wide). It stays a draft, seen only by the office
/// and auditors, until opened for signature.
#[utoipa::path(
    post,
    path = "/api/v1/agreements",
    tag = "agreements",
    request_body = NewAgreementBody,
    responses(
        (status = 201, description = "Drafted; the agreement as GET shows it", body = AgreementDetail),
        (status = 401, description = "Not signed in", body = ProblemResponse),
        (status = 403, description = "Not the office", body = ProblemResponse),
        (status = 409, description = "The key is taken", body = ProblemResponse),
        (status = 422, description = "A field is invalid (fewer than two distinct parties: `parties`)",
            body = ProblemResponse),
    )
)]
pub async fn create_agreement(
    State(state): State<AppState>,
    principal: Principal,
    Language(lang): Language,
    JsonBody(body): JsonBody<NewAgreementBody>,
) -> Result<Response, ApiError> {
    let key = create(&state, &principal, new_agreement(body)).await?;
    changed(&state, &principal, lang, &key, true).await
}

/// Replaces the text of a draft or open agreement at `version`.
pub(crate) async fn edit_text(
    state: &AppState,
    principal: &Principal,
    key: &str,
    text: Checked<Text>,
    version: i64,
) -> Result<(), ApiError> {
    let facts = access(state, key).await?;
    principal.require(
        Action::Draft,
        &target(&facts, None),
        &format!("agreement {key:?}"),
    )?;
    let text = text.map_err(unprocessable)?;
    let author = principal.author()?;
    state
        .store()
        .edit_agreement_text(&author, key, &text, version)
        .await?;
    Ok(())
}

/// Changes the text of a draft or open agreement: the office, with the `ETag` it read in
/// `If-Match`. Signatures over the old text stay, no longer current.
#[utoipa::path(
    put,
    path = "/api/v1/agreements/{key}/text",
    tag = "agreements",
    params(
        ("key" = String, Path, description = "The agreement's key"),
        ("If-Match" = String, Header, description = "The agreement's ETag as read"),
    ),
    request_body = TextChangeBody,
    responses(
        (status = 200, description = "The agreement with its new text and hash", body = AgreementDetail),
        (status = 401, description = "Not signed in", body = ProblemResponse),
        (status = 403, description = "Not the office", body = ProblemResponse),
        (status = 404, description = "No such agreement, or a draft the caller may not see", body = ProblemResponse),
        (status = 409, description = "Changed since read, or in force, expired or terminated", body = ProblemResponse),
        (status = 422, description = "No text, or If-Match is not an ETag of this record", body = ProblemResponse),
        (status = 428, description = "No If-Match", body = ProblemResponse),
    )
)]
pub async fn edit_agreement_text(
    State(state): State<AppState>,
    principal: Principal,
    Language(lang): Language,
    Path(key): Path<String>,
    headers: HeaderMap,
    JsonBody(body): JsonBody<TextChangeBody>,
) -> Result<Response, ApiError> {
    let facts = access(&state, &key).await?;
    principal.require(
        Action::Draft,
        &target(&facts, None),
        &format!("agreement {key:?}"),
    )?;
    let version = required_if_match(&headers)?;
    edit_text(&state, &principal, &key, Ok(body.text.to_text()), version).await?;
    changed(&state, &principal, lang, &key, false).await
}

/// Opens a draft for signature.
pub(crate) async fn open(
    state: &AppState,
    principal: &Principal,
    key: &str,
    expected: Option<i64>,
) -> Result<(), ApiError> {
    let facts = access(state, key).await?;
    principal.require(
        Action::Draft,
        &target(&facts, None),
        &format!("agreement {key:?}"),
    )?;
    let author = principal.author()?;
    state.store().open_agreement(&author, key, expected).await?;
    Ok(())
}

/// Opens a draft for signature: the office. It becomes public.
#[utoipa::path(
    post,
    path = "/api/v1/agreements/{key}/open",
    tag = "agreements",
    params(
        ("key" = String, Path, description = "The agreement's key"),
        ("If-Match" = Option<String>, Header, description = "The agreement's ETag as read (optional)"),
    ),
    responses(
        (status = 200, description = "Open for signature", body = AgreementDetail),
        (status = 401, description = "Not signed in", body = ProblemResponse),
        (status = 403, description = "Not the office", body = ProblemResponse),
        (status = 404, description = "No such agreement, or a draft the caller may not see", body = ProblemResponse),
        (status = 409, description = "Not a draft, or changed since read", body = ProblemResponse),
        (status = 422, description = "If-Match is not an ETag of this record", body = ProblemResponse),
    )
)]
pub async fn open_agreement(
    State(state): State<AppState>,
    principal: Principal,
    Language(lang): Language,
    Path(key): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let facts = access(&state, &key).await?;
    principal.require(
        Action::Draft,
        &target(&facts, None),
        &format!("agreement {key:?}"),
    )?;
    let expected = if_match_version(&headers)?;
    open(&state, &principal, &key, expected).await?;
    changed(&state, &principal, lang, &key, false).await
}

/// Signs for `member`, over the text whose hash the signer read.
pub(crate) async fn sign(
    state: &AppState,
    principal: &Principal,
    key: &str,
    member: &str,
    text_hash: Checked<String>,
) -> Result<(), ApiError> {
    let facts = access(state, key).await?;
    let member = extract::code(member).map_err(|reason| ApiError::invalid("member", reason))?;
    principal.require(
        Action::SignAgreement,
        &target(&facts, Some(member)),
        &format!("agreement {key:?}"),
    )?;
    let text_hash = text_hash.map_err(unprocessable)?;
    let author = principal.author()?;
    state
        .store()
        .sign_agreement(&author, key, member, &text_hash, state.keys(), today())
        .await?;
    Ok(())
}

/// Signs the agreement for a party: that member's coordinator only. The server signs with the
/// member's Ed25519 key over the text whose hash the signer read; when every party has a valid
/// signature over the current text, the agreement comes into force today.
#[utoipa::path(
    post,
    path = "/api/v1/agreements/{key}/signatures/{member}",
    tag = "agreements",
    params(
        ("key" = String, Path, description = "The agreement's key"),
        ("member" = String, Path, description = "The party's code"),
    ),
    request_body = SignatureBody,
    responses(
        (status = 201, description = "Signed; the agreement as GET shows it", body = AgreementDetail),
        (status = 400, description = "The member is not a code", body = ProblemResponse),
        (status = 401, description = "Not signed in", body = ProblemResponse),
        (status = 403, description = "Not the coordinator of this member", body = ProblemResponse),
        (status = 404, description = "No such agreement, or a draft the caller may not see", body = ProblemResponse),
        (status = 409, description = "Not open for signature, the text changed since read, already signed, \
            or the member has no usable key (`yrd key generate --member <code>`)", body = ProblemResponse),
        (status = 422, description = "The member is not a party, or text_hash is not a hash", body = ProblemResponse),
    )
)]
pub async fn sign_agreement(
    State(state): State<AppState>,
    principal: Principal,
    Language(lang): Language,
    Path((key, member)): Path<(String, String)>,
    JsonBody(body): JsonBody<SignatureBody>,
) -> Result<Response, ApiError> {
    sign(&state, &principal, &key, &member, Ok(body.text_hash)).await?;
    changed(&state, &principal, lang, &key, true).await
}

/// Ends an agreement that is open or in force.
pub(crate) async fn terminate(
    state: &AppState,
    principal: &Principal,
    key: &str,
    input: Checked<(Text, Option<Date>)>,
    expected: Option<i64>,
) -> Result<(), ApiError> {
    let facts = access(state, key).await?;
    principal.require(
        Action::Draft,
        &target(&facts, None),
        &format!("agreement {key:?}"),
    )?;
    let (reason, ended_on) = input.map_err(unprocessable)?;
    let author = principal.author()?;
    let today = today();
    state
        .store()
        .terminate_agreement(
            &author,
            key,
            &reason,
            ended_on.unwrap_or(today),
            today,
            expected,
        )
        .await?;
    Ok(())
}

/// A request body that may be left out: JSON when sent.
fn optional_json<T: Default + serde::de::DeserializeOwned>(
    headers: &HeaderMap,
    bytes: &[u8],
) -> Result<T, ApiError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(T::default());
    }
    let is_json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if !is_json {
        return Err(ApiError::UnsupportedMediaType(
            "send the body as application/json".into(),
        ));
    }
    serde_json::from_slice(bytes).map_err(|e| {
        let message = e.to_string();
        let field = message
            .split('`')
            .nth(1)
            .filter(|f| !f.is_empty() && e.is_data())
            .unwrap_or("body")
            .to_owned();
        ApiError::Unprocessable(vec![FieldError::new(field, message)])
    })
}

/// Terminates an agreement that is open or in force: the office. The reason is kept in the
/// agreement's history; the end date defaults to today.
#[utoipa::path(
    post,
    path = "/api/v1/agreements/{key}/terminate",
    tag = "agreements",
    params(
        ("key" = String, Path, description = "The agreement's key"),
        ("If-Match" = Option<String>, Header, description = "The agreement's ETag as read (optional)"),
    ),
    request_body(content = Option<TerminationBody>, description = "Optional: the reason and the end date"),
    responses(
        (status = 200, description = "Terminated", body = AgreementDetail),
        (status = 401, description = "Not signed in", body = ProblemResponse),
        (status = 403, description = "Not the office", body = ProblemResponse),
        (status = 404, description = "No such agreement, or a draft the caller may not see", body = ProblemResponse),
        (status = 409, description = "A draft, expired or already terminated, or changed since read", body = ProblemResponse),
        (status = 415, description = "A body that is not JSON", body = ProblemResponse),
        (status = 422, description = "A field is invalid", body = ProblemResponse),
    )
)]
pub async fn terminate_agreement(
    State(state): State<AppState>,
    principal: Principal,
    Language(lang): Language,
    Path(key): Path<String>,
    headers: HeaderMap,
    bytes: axum::body::Bytes,
) -> Result<Response, ApiError> {
    let facts = access(&state, &key).await?;
    principal.require(
        Action::Draft,
        &target(&facts, None),
        &format!("agreement {key:?}"),
    )?;
    let expected = if_match_version(&headers)?;
    let body: TerminationBody = optional_json(&headers, &bytes)?;
    let input = match body.ended_on.as_deref().map(extract::full_date) {
        Some(Err(e)) => Err(vec![FieldError::new("ended_on", e)]),
        ended_on => Ok((
            body.reason
                .as_ref()
                .map(TextBody::to_text)
                .unwrap_or_default(),
            ended_on.and_then(Result::ok),
        )),
    };
    terminate(&state, &principal, &key, input, expected).await?;
    changed(&state, &principal, lang, &key, false).await
}
