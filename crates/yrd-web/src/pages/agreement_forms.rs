//! An agreement's page and the forms that draft, open, sign, re-word and end it.
//!
//! The page shows each party's signature as the record holds it (valid over the current text,
//! over an earlier text, not verifying, on paper, or none) and the exact text with its hash.
//! Each form appears only to those the policy lets act, and every post reads its fields,
//! converts them as the API converts its JSON (same field names, same errors) and calls the
//! function the API handler calls, which asks the policy and leaves the rules to the store.

use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::http::Uri;
use axum::response::Response;
use axum::routing::{get, post};
use time::OffsetDateTime;
use yrd_domain::access::{Action, Publication, Target, decide};
use yrd_domain::{AdminCode, PlanKind, PlanStage};
use yrd_store::{AgreementAccess, NewAgreement, NewParty};

use super::forms::{FormFields, PageForm, form_page};
use super::plans::KeyPath;
use super::{Chrome, PageLang, render};
use crate::AppState;
use crate::auth::Principal;
use crate::dto::text;
use crate::error::{ApiError, FieldError};
use crate::extract::{self, Path};
use crate::routes::agreements::{self, AgreementDetail};

/// This module's routes, as (method, path).
pub const ROUTES: &[(&str, &str)] = &[
    ("GET", "/{lang}/agreements/new"),
    ("POST", "/{lang}/agreements"),
    ("GET", "/{lang}/agreements/{key}"),
    ("POST", "/{lang}/agreements/{key}/signatures"),
    ("POST", "/{lang}/agreements/{key}/open"),
    ("POST", "/{lang}/agreements/{key}/text"),
    ("POST", "/{lang}/agreements/{key}/terminate"),
];

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/{lang}/agreements/new", get(new_agreement))
        .route("/{lang}/agreements", post(create))
        .route("/{lang}/agreements/{key}", get(page))
        .route("/{lang}/agreements/{key}/signatures", post(sign))
        .route("/{lang}/agreements/{key}/open", post(open))
        .route("/{lang}/agreements/{key}/text", post(edit_text))
        .route("/{lang}/agreements/{key}/terminate", post(terminate))
}

/// The agreement a new one is described as to the policy: it does not exist yet, so there is
/// nothing to hide.
const TO_BE_DRAFTED: Target<'static> = Target::Agreement {
    publication: Publication {
        published: true,
        body: None,
    },
    party: None,
};

/// Whether the principal may draft agreements (and so sees the link to the form).
pub fn may_draft(principal: &Principal) -> bool {
    decide(principal.actor().as_ref(), Action::Draft, &TO_BE_DRAFTED).is_allowed()
}

fn target(access: &AgreementAccess, party: Option<AdminCode>) -> Target<'static> {
    Target::Agreement {
        publication: Publication {
            published: access.published(),
            body: None,
        },
        party,
    }
}

/// How a party's signature stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SignatureStatus {
    /// A valid signature over the current text.
    Current,
    /// Only over an earlier text.
    Earlier,
    /// A signature that does not verify.
    Invalid,
    /// Signed outside yrd (the public record's agreements, signed on paper).
    Paper,
    Unsigned,
}

impl SignatureStatus {
    /// The label's id suffix: `agreement-signature-<name>`.
    pub fn name(self) -> &'static str {
        match self {
            SignatureStatus::Current => "current",
            SignatureStatus::Earlier => "earlier",
            SignatureStatus::Invalid => "invalid",
            SignatureStatus::Paper => "paper",
            SignatureStatus::Unsigned => "unsigned",
        }
    }
}

/// A party as the page lists it.
pub struct PartyRow {
    pub code: String,
    pub name: String,
    pub signatory: Option<String>,
    pub status: SignatureStatus,
    pub signed_on: Option<String>,
    /// The signature shown: the current one, else the latest.
    pub signed_by: Option<String>,
    pub key_id: Option<String>,
    /// Whether the viewer may sign for this party now.
    pub may_sign: bool,
}

/// A signature as the page's table of signatures lists it.
pub struct SignatureRow {
    /// The party's name.
    pub party: String,
    pub signed_at: String,
    pub signed_by: String,
    pub key_id: String,
    pub text_hash: String,
    /// The hash's first 16 digits, which tell the texts of one agreement apart.
    pub short_hash: String,
    pub valid: bool,
    pub current: bool,
}

#[derive(Template)]
#[template(path = "agreement.html")]
struct AgreementPage {
    chrome: Chrome,
    agreement: AgreementDetail,
    parties: Vec<PartyRow>,
    signatures: Vec<SignatureRow>,
    /// The text's paragraphs in each language.
    text_zh: Vec<String>,
    text_en: Vec<String>,
    may_open: bool,
    may_edit: bool,
    may_terminate: bool,
    /// Where the office adds a matter carrying out an obligation.
    new_matter: Option<String>,
}

fn paragraphs(text: &str) -> Vec<String> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect()
}

/// `GET /{lang}/agreements/{key}`: the agreement, its parties and their signatures, the text
/// with its hash, its obligations, and the forms the viewer may use.
async fn page(
    State(state): State<AppState>,
    PageLang(lang): PageLang,
    principal: Principal,
    Path(KeyPath { key }): Path<KeyPath>,
    uri: Uri,
) -> Result<Response, ApiError> {
    let agreement = agreements::detail(&state, &principal, lang, &key).await?;
    let access = state
        .store()
        .agreement_access(&key)
        .await?
        .ok_or_else(|| ApiError::not_found("agreement", &key))?;
    let actor = principal.actor();
    let allowed =
        |action, party| decide(actor.as_ref(), action, &target(&access, party)).is_allowed();
    let state_name = agreement.agreement.state.name();
    let office = allowed(Action::Draft, None);
    let parties = agreement
        .agreement
        .parties
        .iter()
        .map(|p| {
            let mine: Vec<_> = agreement
                .signatures
                .iter()
                .filter(|s| s.member == p.jurisdiction.code)
                .collect();
            let shown = mine
                .iter()
                .rev()
                .find(|s| s.current && s.valid)
                .or_else(|| mine.last());
            let status = match shown {
                Some(s) if s.current && s.valid => SignatureStatus::Current,
                Some(s) if !s.valid => SignatureStatus::Invalid,
                Some(_) => SignatureStatus::Earlier,
                None if p.signed => SignatureStatus::Paper,
                None => SignatureStatus::Unsigned,
            };
            let party: Option<AdminCode> = p.jurisdiction.code.parse().ok();
            PartyRow {
                code: p.jurisdiction.code.clone(),
                name: p.jurisdiction.name.clone(),
                signatory: p.signatory.clone(),
                status,
                signed_on: p.signed_on.clone(),
                signed_by: shown.map(|s| s.signed_by.clone()),
                key_id: shown.map(|s| s.key_id.clone()),
                may_sign: state_name == "open"
                    && status != SignatureStatus::Current
                    && party.is_some_and(|m| allowed(Action::SignAgreement, Some(m))),
            }
        })
        .collect();
    let signatures = agreement
        .signatures
        .iter()
        .map(|s| SignatureRow {
            party: agreement
                .agreement
                .parties
                .iter()
                .find(|p| p.jurisdiction.code == s.member)
                .map_or_else(|| s.member.clone(), |p| p.jurisdiction.name.clone()),
            signed_at: s.signed_at.clone(),
            signed_by: s.signed_by.clone(),
            key_id: s.key_id.clone(),
            text_hash: s.text_hash.clone(),
            short_hash: s.text_hash.chars().take(16).collect(),
            valid: s.valid,
            current: s.current,
        })
        .collect();
    let new_matter = if office {
        current_action_plan(&state, &principal)
            .await?
            .map(|plan| format!("/plans/{plan}/matters/new?agreement={key}"))
    } else {
        None
    };
    let (text_zh, text_en) = agreement
        .text
        .as_ref()
        .map(|t| (paragraphs(&t.zh), paragraphs(&t.en)))
        .unwrap_or_default();
    let chrome = Chrome::new(lang, &uri, &principal)
        .with_json(format!("/api/v1/agreements/{key}?lang={}", lang.code()));
    render(&AgreementPage {
        chrome,
        parties,
        signatures,
        text_zh,
        text_en,
        may_open: office && state_name == "draft",
        may_edit: office && matches!(state_name, "draft" | "open"),
        may_terminate: office && matches!(state_name, "open" | "in_force"),
        new_matter,
        agreement,
    })
}

/// The action plan in force now (the latest one whose period covers this year, else the
/// latest in force) whose matters carry out agreements' obligations.
async fn current_action_plan(
    state: &AppState,
    principal: &Principal,
) -> Result<Option<String>, ApiError> {
    let year = OffsetDateTime::now_utc().year();
    let drafts = principal.draft_visibility();
    let mut plans: Vec<_> = state
        .store()
        .plans()
        .await?
        .into_iter()
        .filter(|p| p.kind == PlanKind::ActionPlan && p.stage == PlanStage::InForce)
        .filter(|p| {
            drafts.sees(Publication {
                published: p.published,
                body: None,
            })
        })
        .collect();
    plans.sort_by_key(|p| (p.period_start <= year && year <= p.period_end, p.period_end));
    Ok(plans.pop().map(|p| p.key))
}

/// A member of the register as the new-agreement form offers it.
pub struct MemberChoice {
    pub code: String,
    pub name: String,
}

#[derive(Template)]
#[template(path = "agreement_new.html")]
struct NewAgreementPage {
    chrome: Chrome,
    members: Vec<MemberChoice>,
}

/// `GET /{lang}/agreements/new`: the form that drafts an agreement, for the office.
async fn new_agreement(
    State(state): State<AppState>,
    PageLang(lang): PageLang,
    principal: Principal,
    uri: Uri,
) -> Response {
    let chrome = Chrome::new(lang, &uri, &principal);
    let page = async {
        principal.require(Action::Draft, &TO_BE_DRAFTED, "agreement")?;
        let members = state
            .store()
            .jurisdictions()
            .await?
            .into_iter()
            .filter(|j| j.parent.is_none())
            .map(|j| MemberChoice {
                code: j.code.to_string(),
                name: text(&j.name, lang),
            })
            .collect();
        render(&NewAgreementPage {
            chrome: Chrome::new(lang, &uri, &principal),
            members,
        })
    };
    form_page(lang, &principal, &chrome, page).await
}

/// The most parties a form post is read for.
const MAX_PARTIES: usize = 100;

/// A new agreement from the form's fields, converted as the API converts its JSON.
fn new_agreement_from(fields: &FormFields) -> Result<NewAgreement, Vec<FieldError>> {
    let mut errors = Vec::new();
    let key = fields.required("key").map_err(|e| errors.push(e)).ok();
    let title = fields.text("title").map_err(|e| errors.push(e)).ok();
    let text = fields.text("text").map_err(|e| errors.push(e)).ok();
    let mut parties = Vec::new();
    for code in fields.all("party").into_iter().take(MAX_PARTIES) {
        match extract::code(&code) {
            Ok(member) => parties.push(NewParty {
                member,
                signatory: fields.optional_text(&format!("signatory_{code}")),
            }),
            Err(e) => errors.push(FieldError::new("parties", e)),
        }
    }
    let meeting = match fields.optional("meeting").map(|m| extract::key(&m)) {
        Some(Ok(m)) => Some(m),
        Some(Err(e)) => {
            errors.push(FieldError::new("meeting", e));
            None
        }
        None => None,
    };
    let expires_on = match fields
        .optional("expires_on")
        .map(|d| extract::full_date(&d))
    {
        Some(Ok(d)) => Some(d),
        Some(Err(e)) => {
            errors.push(FieldError::new("expires_on", e));
            None
        }
        None => None,
    };
    match (key, title, text) {
        (Some(key), Some(title), Some(text)) if errors.is_empty() => Ok(NewAgreement {
            key,
            title,
            summary: fields.optional_text("summary"),
            text,
            parties,
            meeting,
            expires_on,
        }),
        _ => Err(errors),
    }
}

/// `POST /{lang}/agreements`: drafts an agreement; on to its page.
async fn create(State(state): State<AppState>, form: PageForm) -> Response {
    let input = new_agreement_from(&form.fields);
    let outcome = agreements::create(&state, &form.principal, input)
        .await
        .map(|key| format!("/agreements/{key}"));
    form.finish(outcome)
}

/// A version sent as a hidden field: what `If-Match` is to the API.
fn version(fields: &FormFields) -> Result<Option<i64>, ApiError> {
    match fields.optional("version") {
        None => Ok(None),
        Some(v) => v.parse().map(Some).map_err(|_| {
            ApiError::Unprocessable(vec![FieldError::new(
                "version",
                format!("{v:?} is not a version: reload the page"),
            )])
        }),
    }
}

/// `POST /{lang}/agreements/{key}/signatures`: signs for the party `member`, over the text
/// whose hash the page showed (`text_hash`).
async fn sign(
    State(state): State<AppState>,
    Path(KeyPath { key }): Path<KeyPath>,
    form: PageForm,
) -> Response {
    let member = form.fields.optional("member").unwrap_or_default();
    let text_hash = form.fields.required("text_hash").map_err(|e| vec![e]);
    let outcome = agreements::sign(&state, &form.principal, &key, &member, text_hash)
        .await
        .map(|()| format!("/agreements/{key}"));
    form.finish(outcome)
}

/// `POST /{lang}/agreements/{key}/open`: opens a draft for signature.
async fn open(
    State(state): State<AppState>,
    Path(KeyPath { key }): Path<KeyPath>,
    form: PageForm,
) -> Response {
    let outcome = async {
        let expected = version(&form.fields)?;
        agreements::open(&state, &form.principal, &key, expected).await
    }
    .await
    .map(|()| format!("/agreements/{key}"));
    form.finish(outcome)
}

/// `POST /{lang}/agreements/{key}/text`: replaces the text, at the version the page showed.
async fn edit_text(
    State(state): State<AppState>,
    Path(KeyPath { key }): Path<KeyPath>,
    form: PageForm,
) -> Response {
    let outcome = async {
        let text = form.fields.text("text").map_err(|e| vec![e]);
        let version = match version(&form.fields)? {
            Some(v) => v,
            // The form always carries it; without it, as the API without If-Match.
            None => {
                return Err(ApiError::PreconditionRequired(
                    "the form lacks the version it was read at: reload the page".into(),
                ));
            }
        };
        agreements::edit_text(&state, &form.principal, &key, text, version).await
    }
    .await
    .map(|()| format!("/agreements/{key}"));
    form.finish(outcome)
}

/// `POST /{lang}/agreements/{key}/terminate`: ends the agreement, with an optional reason
/// and end date (default today).
async fn terminate(
    State(state): State<AppState>,
    Path(KeyPath { key }): Path<KeyPath>,
    form: PageForm,
) -> Response {
    let outcome = async {
        let expected = version(&form.fields)?;
        let reason = form.fields.optional_text("reason");
        let input = match form
            .fields
            .optional("ended_on")
            .map(|d| extract::full_date(&d))
        {
            Some(Err(e)) => Err(vec![FieldError::new("ended_on", e)]),
            ended_on => Ok((reason, ended_on.and_then(Result::ok))),
        };
        agreements::terminate(&state, &form.principal, &key, input, expected).await
    }
    .await
    .map(|()| format!("/agreements/{key}"));
    form.finish(outcome)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dto::AgreementState;
    use crate::pages::i18n::t;
    use yrd_domain::Lang;

    /// The labels the pages look up by name (states, signature statuses) exist in both
    /// languages and differ between them.
    #[test]
    fn every_state_and_status_has_a_label_in_both_languages() {
        let statuses = [
            SignatureStatus::Current,
            SignatureStatus::Earlier,
            SignatureStatus::Invalid,
            SignatureStatus::Paper,
            SignatureStatus::Unsigned,
        ];
        let ids = AgreementState::NAMES
            .iter()
            .map(|n| format!("agreement-state-{n}"))
            .chain(
                statuses
                    .iter()
                    .map(|s| format!("agreement-signature-{}", s.name())),
            );
        for id in ids {
            let (zh, en) = (t(Lang::Zh, &id), t(Lang::En, &id));
            assert!(!zh.contains("Unknown localization"), "{id}: {zh}");
            assert!(!en.contains("Unknown localization"), "{id}: {en}");
            assert_ne!(zh, en, "{id}");
        }
    }

    #[test]
    fn the_form_names_each_bad_field() {
        let fields = FormFields::parse(
            b"key=&title_zh=&text_en=Text&party=3200&expires_on=2026-02-30&meeting=Bad%20Key",
        );
        let errors = new_agreement_from(&fields).unwrap_err();
        let named: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(named, ["key", "title", "parties", "meeting", "expires_on"]);
        let fields = FormFields::parse(
            "key=pact-2&title_zh=协议&text_zh=全文&party=310000&party=320000&signatory_320000_en=Jiangsu"
                .as_bytes(),
        );
        let new = new_agreement_from(&fields).unwrap();
        assert_eq!(new.parties.len(), 2);
        assert_eq!(new.parties[1].signatory.en, "Jiangsu");
    }
}
