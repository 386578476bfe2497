//! Agreements as users run them: drafted by the office, opened for signature, signed by each
//! party with that member's Ed25519 key, in force once every party has signed the current
//! text, and terminated or expired; and the members' keys themselves.
//!
//! # What a signature binds
//!
//! The text of an agreement is both languages together. Its hash is the lowercase hex SHA-256
//! of the UTF-8 bytes of
//!
//! ```text
//! "zh\n" + text_zh + "\nen\n" + text_en
//! ```
//!
//! ([`text_hash`]), and a party's signature is an Ed25519 signature over the UTF-8 bytes of
//!
//! ```text
//! "yrd-agreement-signature-v1\n" + agreement key + "\n" + member code + "\n" + text_hash
//! ```
//!
//! ([`signed_message`]), so it names the agreement, the party and the exact text, and cannot
//! be moved to another of them. A changed text has a new hash: earlier signatures stay
//! stored, bound to a hash that is no longer the text's, and no longer count.
//!
//! # Keys
//!
//! Each member has at most one active key. Its public half is in `member_keys` (its id is the
//! first 16 hex digits of the SHA-256 of the 32 public-key bytes); its private half is a
//! PKCS#8 PEM file `<keys dir>/<member code>.pem`, mode 0600, which only the server reads: it
//! signs for the member when the member's coordinator signs in yrd. Keys are made and retired
//! with `yrd key`, each step journalled as a `member_key` record.

use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use ed25519_dalek::pkcs8::spki::der::pem::LineEnding;
use ed25519_dalek::pkcs8::{DecodePrivateKey, EncodePrivateKey};
use ed25519_dalek::{Signature, Signer, SigningKey, Verifier, VerifyingKey};
use serde::{Deserialize, Serialize};
use serde_json::json;
use sha2::{Digest, Sha256};
use time::format_description::well_known::Rfc3339;
use time::{Date, OffsetDateTime};
use yrd_domain::access::DraftVisibility;
use yrd_domain::{AdminCode, Agreement, PartialDate, Text};

use crate::accounts::random_bytes;
use crate::codec::{code, enum_name, parse_enum};
use crate::exec::Arg;
use crate::journal::{Author, Change, JournalTx, hex};
use crate::read::{Conditions, add_draft_condition};
use crate::{Store, StoreError, entered_by};

/// The first line of every signed message: what is signed, and in which version of the
/// format.
pub const SIGNATURE_CONTEXT: &str = "yrd-agreement-signature-v1";

/// Where an agreement is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AgreementState {
    /// Being drafted by the office; seen only by the office and auditors.
    Draft,
    /// Open for signature by its parties.
    Open,
    /// Every party has signed (for agreements of the public record: on paper).
    InForce,
    /// Was in force and its `expires_on` has passed; derived when read, never stored.
    Expired,
    /// Ended by the office.
    Terminated,
}

impl AgreementState {
    /// Whether an agreement in this state is still a draft (unpublished).
    pub fn is_draft(self) -> bool {
        self == AgreementState::Draft
    }
}

/// One party's signature over one version of an agreement's text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AgreementSignature {
    pub member: AdminCode,
    /// The id of the member's key that made it.
    pub key_id: String,
    /// That key's public half, 64 hex digits.
    pub public_key: String,
    /// The hash of the text signed.
    pub text_hash: String,
    /// 128 hex digits.
    pub signature: String,
    /// The username of the coordinator who signed.
    pub signed_by: String,
    /// RFC 3339, UTC.
    pub signed_at: String,
    /// The signature verifies against the stored public key and the message it must sign.
    pub valid: bool,
    /// It was made over the agreement's current text.
    pub current: bool,
}

/// A matter that carries out an agreement's obligations.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Obligation {
    pub matter: String,
    pub title: Text,
}

/// An agreement with its lifecycle: state, text, signatures and obligations.
#[derive(Clone, Debug, PartialEq)]
pub struct AgreementRecord {
    pub agreement: Agreement,
    /// As of the day it was read: `Expired` when in force past `expires_on`.
    pub state: AgreementState,
    /// The text the parties sign; empty for agreements of the public record (signed on paper).
    pub text: Text,
    /// [`text_hash`] of `text`; None when there is no text.
    pub text_hash: Option<String>,
    pub version: i64,
    pub expires_on: Option<Date>,
    pub ended_on: Option<Date>,
    /// Oldest first.
    pub signatures: Vec<AgreementSignature>,
    pub obligations: Vec<Obligation>,
}

impl AgreementRecord {
    /// Whether every party has a valid signature over the current text.
    pub fn fully_signed(&self) -> bool {
        !self.agreement.parties.is_empty()
            && self.agreement.parties.iter().all(|p| {
                self.signatures
                    .iter()
                    .any(|s| s.member == p.jurisdiction && s.valid && s.current)
            })
    }
}

/// What the policy needs to know of an agreement: whether it is still a draft, and its
/// parties.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AgreementAccess {
    /// As stored (a draft is unpublished).
    pub state: AgreementState,
    pub parties: Vec<AdminCode>,
}

impl AgreementAccess {
    pub fn published(&self) -> bool {
        !self.state.is_draft()
    }
}

/// A party of a new agreement.
#[derive(Clone, Debug, PartialEq)]
pub struct NewParty {
    pub member: AdminCode,
    /// Who signs for it, e.g. the provincial department; may be empty.
    pub signatory: Text,
}

/// An agreement as the office drafts it.
#[derive(Clone, Debug, PartialEq)]
pub struct NewAgreement {
    pub key: String,
    pub title: Text,
    pub summary: Text,
    pub text: Text,
    pub parties: Vec<NewParty>,
    /// The meeting at which it is to be signed, if any.
    pub meeting: Option<String>,
    pub expires_on: Option<Date>,
}

/// Which agreements a list holds.
#[derive(Clone, Debug, Default)]
pub struct AgreementFilter {
    /// Only those this jurisdiction is a party to.
    pub party: Option<AdminCode>,
    /// Drafts too (for the office and auditors).
    pub drafts: bool,
}

pub use yrd_domain::MemberKey;

/// Why a key could not be made or retired.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The key directory or file could not be written or removed.
    #[error("{path}: {reason}")]
    File { path: PathBuf, reason: String },
}

/// The hash a signature binds: lowercase hex SHA-256 of `"zh\n" + zh + "\nen\n" + en`. Defined
/// once, in the domain, so that a dataset's agreements are checked against the same hash.
pub fn text_hash(text: &Text) -> String {
    yrd_domain::agreement_text_hash(text)
}

/// The message a party signs.
pub fn signed_message(agreement: &str, member: AdminCode, text_hash: &str) -> String {
    format!("{SIGNATURE_CONTEXT}\n{agreement}\n{member}\n{text_hash}")
}

/// The id of a public key: the first 16 hex digits of its SHA-256.
pub fn key_id(public_key: &[u8; 32]) -> String {
    hex(&Sha256::digest(public_key))[..16].to_owned()
}

/// The private key file of a member in a key directory.
pub fn key_file(dir: &Path, member: AdminCode) -> PathBuf {
    dir.join(format!("{member}.pem"))
}

/// The public key (hex) of the private key in a member's file in `dir`, or why there is none
/// to use.
pub fn key_file_public_key(dir: &Path, member: AdminCode) -> Result<String, String> {
    load_signing_key(dir, member)
        .map(|key| hex(key.verifying_key().as_bytes()))
        .map_err(|e| match e {
            StoreError::Conflict(_) => "missing".to_owned(),
            other => other.to_string(),
        })
}

fn unhex<const N: usize>(text: &str) -> Option<[u8; N]> {
    if text.len() != 2 * N || !text.is_ascii() {
        return None;
    }
    let mut bytes = [0u8; N];
    for (i, byte) in bytes.iter_mut().enumerate() {
        *byte = u8::from_str_radix(&text[2 * i..2 * i + 2], 16).ok()?;
    }
    Some(bytes)
}

/// Whether `signature` (hex) is `public_key`'s (hex) signature of `message`.
pub fn verifies(public_key: &str, message: &str, signature: &str) -> bool {
    let (Some(public), Some(signature)) = (unhex::<32>(public_key), unhex::<64>(signature)) else {
        return false;
    };
    let Ok(key) = VerifyingKey::from_bytes(&public) else {
        return false;
    };
    key.verify(message.as_bytes(), &Signature::from_bytes(&signature))
        .is_ok()
}

/// Whether `hash` is a hash as [`text_hash`] writes them.
pub fn is_text_hash(hash: &str) -> bool {
    hash.len() == 64
        && hash
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

fn now() -> String {
    OffsetDateTime::now_utc()
        .format(&Rfc3339)
        .expect("the current time formats as RFC 3339")
}

fn text_json(text: &Text) -> serde_json::Value {
    json!({"zh": text.zh, "en": text.en})
}

#[derive(sqlx::FromRow, serde::Deserialize)]
struct LifecycleRow {
    key: String,
    state: String,
    text_zh: String,
    text_en: String,
    text_hash: Option<String>,
    version: i64,
    expires_on: Option<Date>,
    ended_on: Option<Date>,
}

#[derive(sqlx::FromRow, serde::Deserialize)]
struct SignatureRow {
    agreement: String,
    jurisdiction: String,
    text_hash: String,
    key_id: String,
    public_key: String,
    signature: String,
    signed_by: String,
    signed_at: String,
}

#[derive(sqlx::FromRow, serde::Deserialize)]
struct ObligationRow {
    agreement: String,
    matter: String,
    title_zh: String,
    title_en: String,
}

#[derive(sqlx::FromRow, serde::Deserialize)]
struct KeyRow {
    id: String,
    jurisdiction: String,
    public_key: String,
    created_at: String,
    retired_at: Option<String>,
}

impl KeyRow {
    fn into_key(self) -> Result<MemberKey, StoreError> {
        Ok(MemberKey {
            jurisdiction: code("key member", &self.jurisdiction)?,
            id: self.id,
            public_key: self.public_key,
            created_at: self.created_at,
            retired_at: self.retired_at,
        })
    }
}

/// The state an agreement shows on `today`: one in force past its expiry has expired.
fn derived_state(stored: AgreementState, expires_on: Option<Date>, today: Date) -> AgreementState {
    match (stored, expires_on) {
        (AgreementState::InForce, Some(expires)) if expires < today => AgreementState::Expired,
        _ => stored,
    }
}

/// Which agreements a read loads.
#[derive(Clone, Copy, Debug)]
enum Selection<'a> {
    One(&'a str),
    Filter(&'a AgreementFilter),
}

/// Restricts `column` (an agreement's key) to the agreements `selection` names.
fn select(conditions: &mut Conditions, column: &str, selection: Selection<'_>) {
    let filter = match selection {
        Selection::One(key) => {
            conditions.add(&format!("{column} = ?"), vec![key.into()]);
            return;
        }
        Selection::Filter(filter) => filter,
    };
    if let Some(party) = filter.party {
        conditions.add(
            &format!(
                "{column} IN (SELECT agreement FROM agreement_parties WHERE jurisdiction = ?)"
            ),
            vec![party.to_string().into()],
        );
    }
    if !filter.drafts {
        conditions.add(
            &format!("{column} IN (SELECT key FROM agreements WHERE state <> ?)"),
            vec![enum_name(&AgreementState::Draft).into()],
        );
    }
}

/// The matters linked to the selected agreements that the reader may see, by agreement.
fn obligations_query(selection: Selection<'_>, drafts: &DraftVisibility) -> (String, Vec<Arg>) {
    let mut conditions = Conditions::default();
    conditions.add("m.key = ma.matter", vec![]);
    select(&mut conditions, "ma.agreement", selection);
    add_draft_condition(&mut conditions, drafts, "m.");
    // CROSS JOIN keeps SQLite's outer loop on the links: left to itself, its planner walked
    // every matter (ordered by key) and looked each one's links up.
    (
        format!(
            "SELECT ma.agreement, m.key AS matter, m.title_zh, m.title_en FROM matter_agreements ma \
             CROSS JOIN matters m {} ORDER BY ma.agreement, m.key",
            conditions.where_clause()
        ),
        conditions.args,
    )
}

impl Store {
    /// The access facts of an agreement, or None if there is no such agreement.
    pub async fn agreement_access(&self, key: &str) -> Result<Option<AgreementAccess>, StoreError> {
        let rows: Vec<(String,)> = self
            .fetch(
                "SELECT state FROM agreements WHERE key = $1".into(),
                vec![key.into()],
            )
            .await?;
        let Some((state,)) = rows.into_iter().next() else {
            return Ok(None);
        };
        let parties: Vec<(String,)> = self
            .fetch(
                "SELECT jurisdiction FROM agreement_parties WHERE agreement = $1 ORDER BY seq"
                    .into(),
                vec![key.into()],
            )
            .await?;
        Ok(Some(AgreementAccess {
            state: parse_enum("agreement state", &state)?,
            parties: parties
                .into_iter()
                .map(|(c,)| code("party jurisdiction", &c))
                .collect::<Result<_, _>>()?,
        }))
    }

    /// One agreement with its lifecycle, as of `today`; obligations as `drafts` allows.
    pub async fn agreement_record(
        &self,
        key: &str,
        today: Date,
        drafts: &DraftVisibility,
    ) -> Result<Option<AgreementRecord>, StoreError> {
        Ok(self
            .load_agreement_records(Selection::One(key), today, drafts)
            .await?
            .pop())
    }

    /// Agreements with their lifecycle, as of `today`, newest signature first (drafts, never
    /// signed, last).
    pub async fn agreement_records(
        &self,
        filter: &AgreementFilter,
        today: Date,
        drafts: &DraftVisibility,
    ) -> Result<Vec<AgreementRecord>, StoreError> {
        let mut records = self
            .load_agreement_records(Selection::Filter(filter), today, drafts)
            .await?;
        records.sort_by(|a, b| {
            (b.agreement.signed_on, &a.agreement.key)
                .cmp(&(a.agreement.signed_on, &b.agreement.key))
        });
        Ok(records)
    }

    async fn load_agreement_records(
        &self,
        selection: Selection<'_>,
        today: Date,
        drafts: &DraftVisibility,
    ) -> Result<Vec<AgreementRecord>, StoreError> {
        let mut conditions = Conditions::default();
        select(&mut conditions, "key", selection);
        let filter = conditions.where_clause();
        let args = conditions.args;
        let agreements = self.load_agreements(&filter, args.clone()).await?;
        let lifecycle: Vec<LifecycleRow> = self
            .fetch(
                format!(
                    "SELECT key, state, text_zh, text_en, text_hash, version, expires_on, ended_on \
                     FROM agreements {filter}"
                ),
                args.clone(),
            )
            .await?;
        let mut lifecycle: HashMap<String, LifecycleRow> =
            lifecycle.into_iter().map(|r| (r.key.clone(), r)).collect();
        let signatures: Vec<SignatureRow> = self
            .fetch(
                format!(
                    "SELECT s.agreement, s.jurisdiction, s.text_hash, s.key_id, k.public_key, s.signature, \
                     s.signed_by, s.signed_at FROM agreement_signatures s JOIN member_keys k ON k.id = s.key_id \
                     WHERE s.agreement IN (SELECT key FROM agreements {filter}) \
                     ORDER BY s.agreement, s.signed_at, s.jurisdiction"
                ),
                args,
            )
            .await?;
        let mut by_agreement: HashMap<String, Vec<SignatureRow>> = HashMap::new();
        for s in signatures {
            by_agreement.entry(s.agreement.clone()).or_default().push(s);
        }
        let (sql, args) = obligations_query(selection, drafts);
        let obligations: Vec<ObligationRow> = self.fetch(sql, args).await?;
        let mut obligations_of: HashMap<String, Vec<Obligation>> = HashMap::new();
        for o in obligations {
            obligations_of
                .entry(o.agreement)
                .or_default()
                .push(Obligation {
                    matter: o.matter,
                    title: Text::new(o.title_zh, o.title_en),
                });
        }
        agreements
            .into_iter()
            .map(|agreement| {
                let row = lifecycle
                    .remove(&agreement.key)
                    .ok_or_else(|| crate::codec::corrupt("agreement", agreement.key.clone()))?;
                let stored: AgreementState = parse_enum("agreement state", &row.state)?;
                let signatures = by_agreement
                    .remove(&agreement.key)
                    .unwrap_or_default()
                    .into_iter()
                    .map(|s| {
                        let member = code("signature member", &s.jurisdiction)?;
                        let message = signed_message(&agreement.key, member, &s.text_hash);
                        Ok(AgreementSignature {
                            member,
                            valid: verifies(&s.public_key, &message, &s.signature),
                            current: row.text_hash.as_deref() == Some(s.text_hash.as_str()),
                            key_id: s.key_id,
                            public_key: s.public_key,
                            text_hash: s.text_hash,
                            signature: s.signature,
                            signed_by: s.signed_by,
                            signed_at: s.signed_at,
                        })
                    })
                    .collect::<Result<Vec<_>, StoreError>>()?;
                Ok(AgreementRecord {
                    state: derived_state(stored, row.expires_on, today),
                    text: Text::new(row.text_zh, row.text_en),
                    text_hash: row.text_hash,
                    version: row.version,
                    expires_on: row.expires_on,
                    ended_on: row.ended_on,
                    signatures,
                    obligations: obligations_of.remove(&agreement.key).unwrap_or_default(),
                    agreement,
                })
            })
            .collect()
    }

    /// Drafts a new agreement (state `draft`, unpublished).
    pub async fn create_agreement(
        &self,
        author: &Author,
        new: &NewAgreement,
    ) -> Result<(), StoreError> {
        if !yrd_domain::is_valid_key(&new.key) {
            return Err(StoreError::invalid(
                "key",
                "1–100 characters: lowercase letters, digits, '-', '_' or '.', starting with a letter or digit",
            ));
        }
        if new.title.is_empty() {
            return Err(StoreError::invalid(
                "title",
                "required in at least one language",
            ));
        }
        if new.text.is_empty() {
            return Err(StoreError::invalid(
                "text",
                "the text the parties sign is required in at least one language",
            ));
        }
        let mut members: Vec<AdminCode> = new.parties.iter().map(|p| p.member).collect();
        members.sort();
        members.dedup();
        if members.len() != new.parties.len() {
            return Err(StoreError::invalid("parties", "a member is named twice"));
        }
        if members.len() < 2 {
            return Err(StoreError::invalid(
                "parties",
                "an agreement has at least two distinct parties",
            ));
        }
        let mut tx = JournalTx::begin(self, author).await?;
        let taken: Vec<(String,)> = tx
            .fetch(
                "SELECT key FROM agreements WHERE key = $1",
                vec![new.key.clone().into()],
            )
            .await?;
        if !taken.is_empty() {
            return Err(StoreError::Conflict(format!(
                "an agreement with the key {:?} already exists",
                new.key
            )));
        }
        for member in &members {
            let found: Vec<(String,)> = tx
                .fetch(
                    "SELECT code FROM jurisdictions WHERE code = $1",
                    vec![member.to_string().into()],
                )
                .await?;
            if found.is_empty() {
                return Err(StoreError::invalid(
                    "parties",
                    format!("{member} is not a jurisdiction in the register"),
                ));
            }
        }
        if let Some(meeting) = &new.meeting {
            let found: Vec<(String,)> = tx
                .fetch(
                    "SELECT key FROM meetings WHERE key = $1",
                    vec![meeting.clone().into()],
                )
                .await?;
            if found.is_empty() {
                return Err(StoreError::invalid(
                    "meeting",
                    format!("there is no meeting {meeting:?}"),
                ));
            }
        }
        let hash = text_hash(&new.text);
        let source = entered_by(author);
        tx.execute(
            "INSERT INTO agreements (key, title_zh, title_en, summary_zh, summary_en, meeting, signed_on, \
             in_force_on, source, state, text_zh, text_en, text_hash, version, expires_on, ended_on) \
             VALUES ($1, $2, $3, $4, $5, $6, NULL, NULL, $7, $8, $9, $10, $11, 1, $12, NULL)",
            vec![
                new.key.clone().into(),
                new.title.zh.clone().into(),
                new.title.en.clone().into(),
                new.summary.zh.clone().into(),
                new.summary.en.clone().into(),
                new.meeting.clone().into(),
                source.clone().into(),
                enum_name(&AgreementState::Draft).into(),
                new.text.zh.clone().into(),
                new.text.en.clone().into(),
                hash.clone().into(),
                new.expires_on.into(),
            ],
        )
        .await?;
        for (i, party) in new.parties.iter().enumerate() {
            tx.execute(
                "INSERT INTO agreement_parties (agreement, jurisdiction, seq, signatory_zh, signatory_en, signed_on) \
                 VALUES ($1, $2, $3, $4, $5, NULL)",
                vec![
                    new.key.clone().into(),
                    party.member.to_string().into(),
                    (i as i64 + 1).into(),
                    party.signatory.zh.clone().into(),
                    party.signatory.en.clone().into(),
                ],
            )
            .await?;
        }
        tx.record(Change::new(
            "agreement",
            &new.key,
            "create",
            None,
            Some(json!({
                "title": text_json(&new.title),
                "summary": text_json(&new.summary),
                "text": text_json(&new.text),
                "text_hash": hash,
                "parties": new.parties.iter().map(|p| json!({
                    "member": p.member.to_string(),
                    "signatory": text_json(&p.signatory),
                })).collect::<Vec<_>>(),
                "meeting": new.meeting,
                "expires_on": new.expires_on.map(|d| PartialDate::Day(d).to_string()),
                "state": enum_name(&AgreementState::Draft),
                "version": 1,
                "source": source,
            })),
        ));
        tx.commit().await?;
        Ok(())
    }

    /// Replaces the text of a draft or open agreement, if it is still at `expected` version.
    /// Signatures over the old text stay stored but no longer count: every party's signature
    /// date is cleared. Returns false when the text is unchanged.
    pub async fn edit_agreement_text(
        &self,
        author: &Author,
        key: &str,
        text: &Text,
        expected: i64,
    ) -> Result<bool, StoreError> {
        if text.is_empty() {
            return Err(StoreError::invalid(
                "text",
                "the text the parties sign is required in at least one language",
            ));
        }
        let mut tx = JournalTx::begin(self, author).await?;
        let (state, version, old_text, old_hash) = lock_agreement(&mut tx, key).await?;
        StoreError::check_version("agreement", version, Some(expected))?;
        if !matches!(state, AgreementState::Draft | AgreementState::Open) {
            return Err(StoreError::Conflict(format!(
                "the agreement is {}: only a draft or an agreement open for signature has its text changed",
                describe(state)
            )));
        }
        let hash = text_hash(text);
        if old_hash.as_deref() == Some(hash.as_str()) {
            return Ok(false);
        }
        bump(
            &mut tx,
            "UPDATE agreements SET text_zh = $3, text_en = $4, text_hash = $5, version = version + 1 \
             WHERE key = $1 AND version = $2",
            vec![
                key.into(),
                version.into(),
                text.zh.clone().into(),
                text.en.clone().into(),
                hash.clone().into(),
            ],
        )
        .await?;
        let signed: Vec<(String,)> = tx
            .fetch(
                "SELECT jurisdiction FROM agreement_parties WHERE agreement = $1 AND signed_on IS NOT NULL \
                 ORDER BY seq",
                vec![key.into()],
            )
            .await?;
        tx.execute(
            "UPDATE agreement_parties SET signed_on = NULL WHERE agreement = $1",
            vec![key.into()],
        )
        .await?;
        let signed: Vec<String> = signed.into_iter().map(|(c,)| c).collect();
        let mut before =
            json!({"text": text_json(&old_text), "text_hash": old_hash, "version": version});
        let mut after = json!({"text": text_json(text), "text_hash": hash, "version": version + 1});
        if !signed.is_empty() {
            // Their signatures bind the old hash and no longer count.
            before["signed_parties"] = json!(signed);
            after["signed_parties"] = json!([]);
        }
        tx.record(Change::new(
            "agreement",
            key,
            "edit_text",
            Some(before),
            Some(after),
        ));
        tx.commit().await?;
        Ok(true)
    }

    /// Opens a draft for signature (it becomes public), if still at `expected` version.
    pub async fn open_agreement(
        &self,
        author: &Author,
        key: &str,
        expected: Option<i64>,
    ) -> Result<(), StoreError> {
        let mut tx = JournalTx::begin(self, author).await?;
        let (state, version, _, _) = lock_agreement(&mut tx, key).await?;
        StoreError::check_version("agreement", version, expected)?;
        if state != AgreementState::Draft {
            return Err(StoreError::Conflict(format!(
                "the agreement is {}: only a draft is opened for signature",
                describe(state)
            )));
        }
        bump(
            &mut tx,
            "UPDATE agreements SET state = $3, version = version + 1 WHERE key = $1 AND version = $2",
            vec![
                key.into(),
                version.into(),
                enum_name(&AgreementState::Open).into(),
            ],
        )
        .await?;
        tx.record(Change::new(
            "agreement",
            key,
            "open",
            Some(json!({"state": enum_name(&state), "version": version})),
            Some(json!({"state": enum_name(&AgreementState::Open), "version": version + 1})),
        ));
        tx.commit().await?;
        Ok(())
    }

    /// Ends an agreement that is open or in force, on `ended_on`, with an optional reason
    /// (kept with the agreement and in the journal), if still at `expected` version.
    pub async fn terminate_agreement(
        &self,
        author: &Author,
        key: &str,
        reason: &Text,
        ended_on: Date,
        today: Date,
        expected: Option<i64>,
    ) -> Result<(), StoreError> {
        let mut tx = JournalTx::begin(self, author).await?;
        let (state, version, _, _) = lock_agreement(&mut tx, key).await?;
        StoreError::check_version("agreement", version, expected)?;
        let expires: Vec<(Option<Date>,)> = tx
            .fetch(
                "SELECT expires_on FROM agreements WHERE key = $1",
                vec![key.into()],
            )
            .await?;
        let expires_on = expires.into_iter().next().and_then(|(d,)| d);
        let shown = derived_state(state, expires_on, today);
        if !matches!(shown, AgreementState::Open | AgreementState::InForce) {
            return Err(StoreError::Conflict(format!(
                "the agreement is {}: only an agreement open for signature or in force is terminated",
                describe(shown)
            )));
        }
        bump(
            &mut tx,
            "UPDATE agreements SET state = $3, ended_on = $4, ended_reason_zh = $5, ended_reason_en = $6, \
             version = version + 1 WHERE key = $1 AND version = $2",
            vec![
                key.into(),
                version.into(),
                enum_name(&AgreementState::Terminated).into(),
                ended_on.into(),
                reason.zh.clone().into(),
                reason.en.clone().into(),
            ],
        )
        .await?;
        let mut after = json!({
            "state": enum_name(&AgreementState::Terminated),
            "ended_on": PartialDate::Day(ended_on).to_string(),
            "version": version + 1,
        });
        if !reason.is_empty() {
            after["reason"] = text_json(reason);
        }
        tx.record(Change::new(
            "agreement",
            key,
            "terminate",
            Some(json!({"state": enum_name(&state), "ended_on": null, "version": version})),
            Some(after),
        ));
        tx.commit().await?;
        Ok(())
    }

    /// Signs an open agreement for `member` with the member's key from `keys`, over the text
    /// whose hash the signer read (`read_hash`). The party's signature date becomes `today`;
    /// when every party then has a valid signature over the current text, the agreement comes
    /// into force on `today`. Returns whether it did.
    pub async fn sign_agreement(
        &self,
        author: &Author,
        key: &str,
        member: AdminCode,
        read_hash: &str,
        keys: &Path,
        today: Date,
    ) -> Result<bool, StoreError> {
        if !is_text_hash(read_hash) {
            return Err(StoreError::invalid(
                "text_hash",
                "the hash of the text you read: 64 lowercase hex digits, as the agreement's text_hash shows it",
            ));
        }
        let signed_by = match author {
            Author::User(name) => name.clone(),
            other => other.label(),
        };
        let mut tx = JournalTx::begin(self, author).await?;
        let (state, version, _, current_hash) = lock_agreement(&mut tx, key).await?;
        let parties: Vec<(String, Option<String>)> = tx
            .fetch(
                "SELECT jurisdiction, signed_on FROM agreement_parties WHERE agreement = $1 ORDER BY seq",
                vec![key.into()],
            )
            .await?;
        let member_code = member.to_string();
        let Some((_, signed_before)) = parties.iter().find(|(c, _)| *c == member_code) else {
            return Err(StoreError::invalid(
                "member",
                format!("{member} is not a party to this agreement"),
            ));
        };
        let signed_before = signed_before.clone();
        if state != AgreementState::Open {
            return Err(StoreError::Conflict(format!(
                "the agreement is {}: only an agreement open for signature is signed",
                describe(state)
            )));
        }
        let Some(current_hash) = current_hash else {
            return Err(StoreError::Conflict(
                "the agreement has no text to sign".into(),
            ));
        };
        if read_hash != current_hash {
            return Err(StoreError::Conflict(format!(
                "the text changed since you read it: read the agreement again and sign its current text \
                 (hash {current_hash})"
            )));
        }
        let already: Vec<(String,)> = tx
            .fetch(
                "SELECT key_id FROM agreement_signatures WHERE agreement = $1 AND jurisdiction = $2 \
                 AND text_hash = $3",
                vec![key.into(), member_code.clone().into(), current_hash.clone().into()],
            )
            .await?;
        if !already.is_empty() {
            return Err(StoreError::Conflict(format!(
                "{member} has already signed this text"
            )));
        }
        let active: Vec<(String, String)> = tx
            .fetch(
                "SELECT id, public_key FROM member_keys WHERE jurisdiction = $1 AND retired_at IS NULL",
                vec![member_code.clone().into()],
            )
            .await?;
        let Some((key_id, public_key)) = active.into_iter().next() else {
            return Err(StoreError::Conflict(format!(
                "{member} has no signing key: an operator of the server creates one with \
                 `yrd key generate --member {member}`"
            )));
        };
        let signing_key = load_signing_key(keys, member)?;
        let file_public = hex(signing_key.verifying_key().as_bytes());
        if file_public != public_key {
            return Err(StoreError::Conflict(format!(
                "the server's key file for {member} is not the member's active key {key_id}: an operator \
                 makes a new key with `yrd key generate --member {member} --replace`"
            )));
        }
        let message = signed_message(key, member, &current_hash);
        let signature = hex(&signing_key.sign(message.as_bytes()).to_bytes());
        let signed_at = now();
        tx.execute(
            "INSERT INTO agreement_signatures (agreement, jurisdiction, text_hash, key_id, signature, signed_by, signed_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
            vec![
                key.into(),
                member_code.clone().into(),
                current_hash.clone().into(),
                key_id.clone().into(),
                signature.clone().into(),
                signed_by.clone().into(),
                signed_at.clone().into(),
            ],
        )
        .await?;
        let day = PartialDate::Day(today).to_string();
        tx.execute(
            "UPDATE agreement_parties SET signed_on = $3 WHERE agreement = $1 AND jurisdiction = $2",
            vec![key.into(), member_code.clone().into(), day.clone().into()],
        )
        .await?;
        bump(
            &mut tx,
            "UPDATE agreements SET version = version + 1 WHERE key = $1 AND version = $2",
            vec![key.into(), version.into()],
        )
        .await?;
        tx.record(Change::new(
            "agreement",
            key,
            "sign",
            Some(json!({"party": member_code, "signed_on": signed_before, "version": version})),
            Some(json!({
                "party": member_code,
                "signed_on": day,
                "text_hash": current_hash,
                "key_id": key_id,
                "signature": signature,
                "signed_by": signed_by,
                "signed_at": signed_at,
                "version": version + 1,
            })),
        ));
        // In force once every party has a valid signature over the current text.
        let current: Vec<(String, String, String)> = tx
            .fetch(
                "SELECT s.jurisdiction, k.public_key, s.signature FROM agreement_signatures s \
                 JOIN member_keys k ON k.id = s.key_id WHERE s.agreement = $1 AND s.text_hash = $2",
                vec![key.into(), current_hash.clone().into()],
            )
            .await?;
        let all_signed = parties.iter().all(|(party, _)| {
            current.iter().any(|(signer, public, signature)| {
                signer == party
                    && party.parse().is_ok_and(|p| {
                        verifies(public, &signed_message(key, p, &current_hash), signature)
                    })
            })
        });
        if all_signed {
            tx.execute(
                "UPDATE agreements SET state = $2, in_force_on = $3, signed_on = $3 WHERE key = $1",
                vec![
                    key.into(),
                    enum_name(&AgreementState::InForce).into(),
                    day.clone().into(),
                ],
            )
            .await?;
            tx.record(Change::new(
                "agreement",
                key,
                "enter_into_force",
                Some(json!({"state": enum_name(&AgreementState::Open), "in_force_on": null, "signed_on": null})),
                Some(json!({
                    "state": enum_name(&AgreementState::InForce),
                    "in_force_on": day,
                    "signed_on": day,
                })),
            ));
        }
        tx.commit().await?;
        Ok(all_signed)
    }

    // -----------------------------------------------------------------------------------
    // Members' keys.

    /// Every key, active and retired, by member and age.
    pub async fn member_keys(&self) -> Result<Vec<MemberKey>, StoreError> {
        let rows: Vec<KeyRow> = self
            .fetch(
                "SELECT id, jurisdiction, public_key, created_at, retired_at FROM member_keys \
                 ORDER BY jurisdiction, created_at, id"
                    .into(),
                vec![],
            )
            .await?;
        rows.into_iter().map(KeyRow::into_key).collect()
    }

    /// Makes a new Ed25519 key for `member`: the private key as `<dir>/<member>.pem` (mode
    /// 0600), the public key registered as the member's active one. With `replace`, the
    /// active key is retired first; without, a member that has one is refused.
    pub async fn generate_member_key(
        &self,
        author: &Author,
        member: AdminCode,
        dir: &Path,
        replace: bool,
    ) -> Result<MemberKey, KeyError> {
        let found: Vec<(String,)> = self
            .fetch(
                "SELECT code FROM jurisdictions WHERE code = $1".into(),
                vec![member.to_string().into()],
            )
            .await?;
        if found.is_empty() {
            return Err(StoreError::invalid(
                "member",
                format!("{member} is not a jurisdiction in the register"),
            )
            .into());
        }
        let signing_key = SigningKey::from_bytes(&random_bytes::<32>());
        let public = signing_key.verifying_key().to_bytes();
        let key = MemberKey {
            id: key_id(&public),
            jurisdiction: member,
            public_key: hex(&public),
            created_at: now(),
            retired_at: None,
        };
        let pem = signing_key
            .to_pkcs8_pem(LineEnding::LF)
            .map_err(|e| KeyError::File {
                path: key_file(dir, member),
                reason: format!("encoding the key: {e}"),
            })?;
        // Written beside its final name first, and moved there only once the key is
        // registered: a refused or failed registration leaves the member's file as it was.
        let pending = write_private_file(dir, member, pem.as_bytes())?;
        let registered = self.register_member_key(author, &key, replace).await;
        if let Err(e) = registered {
            let _ = std::fs::remove_file(&pending);
            return Err(e.into());
        }
        let path = key_file(dir, member);
        std::fs::rename(&pending, &path).map_err(|e| KeyError::File {
            path: path.clone(),
            reason: format!(
                "the key {} is registered but its file could not be put in place ({e}); run the command \
                 again with --replace",
                key.id
            ),
        })?;
        Ok(key)
    }

    async fn register_member_key(
        &self,
        author: &Author,
        key: &MemberKey,
        replace: bool,
    ) -> Result<(), StoreError> {
        let mut tx = JournalTx::begin(self, author).await?;
        let active: Vec<(String,)> = tx
            .fetch(
                "SELECT id FROM member_keys WHERE jurisdiction = $1 AND retired_at IS NULL",
                vec![key.jurisdiction.to_string().into()],
            )
            .await?;
        if let Some((old,)) = active.into_iter().next() {
            if !replace {
                return Err(StoreError::Conflict(format!(
                    "{} already has an active key {old}: pass --replace to retire it and make a new one",
                    key.jurisdiction
                )));
            }
            retire_key(&mut tx, &old, &key.created_at).await?;
        }
        tx.execute(
            "INSERT INTO member_keys (id, jurisdiction, public_key, created_at, retired_at) \
             VALUES ($1, $2, $3, $4, NULL)",
            vec![
                key.id.clone().into(),
                key.jurisdiction.to_string().into(),
                key.public_key.clone().into(),
                key.created_at.clone().into(),
            ],
        )
        .await?;
        tx.record(Change::new(
            "member_key",
            &key.id,
            "register",
            None,
            Some(json!({
                "member": key.jurisdiction.to_string(),
                "public_key": key.public_key,
                "created_at": key.created_at,
            })),
        ));
        tx.commit().await?;
        Ok(())
    }

    /// Retires `member`'s active key: it signs nothing more, and its file in `dir` is removed
    /// (signatures it made stay valid: they are checked against the stored public key).
    /// Returns the key and whether a file was removed.
    pub async fn retire_member_key(
        &self,
        author: &Author,
        member: AdminCode,
        dir: &Path,
    ) -> Result<(MemberKey, bool), KeyError> {
        let mut tx = JournalTx::begin(self, author).await?;
        let rows: Vec<KeyRow> = tx
            .fetch(
                "SELECT id, jurisdiction, public_key, created_at, retired_at FROM member_keys \
                 WHERE jurisdiction = $1 AND retired_at IS NULL",
                vec![member.to_string().into()],
            )
            .await?;
        let Some(row) = rows.into_iter().next() else {
            return Err(StoreError::NotFound(format!("an active key of {member}")).into());
        };
        let mut key = row.into_key()?;
        let at = now();
        retire_key(&mut tx, &key.id, &at).await?;
        tx.commit().await?;
        key.retired_at = Some(at);
        // Only the retired key's own file is removed; a file holding another key is left.
        let path = key_file(dir, member);
        let removed = match load_signing_key(dir, member) {
            Ok(file_key) if hex(file_key.verifying_key().as_bytes()) == key.public_key => {
                std::fs::remove_file(&path).map_err(|e| KeyError::File {
                    path: path.clone(),
                    reason: format!("the key is retired but its file could not be removed: {e}"),
                })?;
                true
            }
            _ => false,
        };
        Ok((key, removed))
    }
}

async fn retire_key(tx: &mut JournalTx, id: &str, at: &str) -> Result<(), StoreError> {
    tx.execute(
        "UPDATE member_keys SET retired_at = $2 WHERE id = $1 AND retired_at IS NULL",
        vec![id.into(), at.into()],
    )
    .await?;
    tx.record(Change::new(
        "member_key",
        id,
        "retire",
        Some(json!({"retired_at": null})),
        Some(json!({"retired_at": at})),
    ));
    Ok(())
}

/// Reads an agreement's state, version and text under the transaction's lock.
async fn lock_agreement(
    tx: &mut JournalTx,
    key: &str,
) -> Result<(AgreementState, i64, Text, Option<String>), StoreError> {
    let rows: Vec<(String, i64, String, String, Option<String>)> = tx
        .fetch(
            "SELECT state, version, text_zh, text_en, text_hash FROM agreements WHERE key = $1",
            vec![key.into()],
        )
        .await?;
    let Some((state, version, zh, en, hash)) = rows.into_iter().next() else {
        return Err(StoreError::NotFound(format!("agreement {key:?}")));
    };
    Ok((
        parse_enum("agreement state", &state)?,
        version,
        Text::new(zh, en),
        hash,
    ))
}

/// Runs a compare-and-swap update of an agreement (`WHERE key = $1 AND version = $2`).
async fn bump(tx: &mut JournalTx, sql: &'static str, args: Vec<Arg>) -> Result<(), StoreError> {
    if tx.execute(sql, args).await? == 0 {
        return Err(StoreError::stale("agreement"));
    }
    Ok(())
}

/// How a refusal names a state.
fn describe(state: AgreementState) -> &'static str {
    match state {
        AgreementState::Draft => "still a draft",
        AgreementState::Open => "open for signature",
        AgreementState::InForce => "in force",
        AgreementState::Expired => "expired",
        AgreementState::Terminated => "terminated",
    }
}

/// The member's private key from its file in `dir`.
fn load_signing_key(dir: &Path, member: AdminCode) -> Result<SigningKey, StoreError> {
    let path = key_file(dir, member);
    let pem = match std::fs::read_to_string(&path) {
        Ok(pem) => pem,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(StoreError::Conflict(format!(
                "the server has no key file for {member}: an operator makes one with \
                 `yrd key generate --member {member} --replace`"
            )));
        }
        Err(e) => {
            return Err(StoreError::Corrupt {
                what: "key file",
                reason: format!("{}: {e}", path.display()),
            });
        }
    };
    SigningKey::from_pkcs8_pem(&pem).map_err(|e| StoreError::Corrupt {
        what: "key file",
        reason: format!("{}: {e}", path.display()),
    })
}

/// Writes `bytes` to a new file beside the member's key file, readable by its owner only;
/// returns its path.
fn write_private_file(dir: &Path, member: AdminCode, bytes: &[u8]) -> Result<PathBuf, KeyError> {
    let failed = |path: &Path, e: std::io::Error| KeyError::File {
        path: path.to_owned(),
        reason: e.to_string(),
    };
    if !dir.exists() {
        let mut builder = std::fs::DirBuilder::new();
        builder.recursive(true);
        #[cfg(unix)]
        std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
        builder.create(dir).map_err(|e| failed(dir, e))?;
    }
    let path = dir.join(format!(".{member}.pem.{}.tmp", hex(&random_bytes::<6>())));
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(&path).map_err(|e| failed(&path, e))?;
    file.write_all(bytes)
        .and_then(|()| file.sync_all())
        .map_err(|e| failed(&path, e))?;
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::read::query_plan::plan;
    use crate::testing::ScratchStore;

    /// An agreement's obligations are found from the agreement, never by walking the matters:
    /// at a million tasks a walk took 40–70 ms for three linked matters.
    #[tokio::test]
    async fn obligations_are_found_from_their_agreement() {
        let scratch = ScratchStore::sqlite().await.expect("scratch");
        let party: AdminCode = "310000".parse().unwrap();
        let by_party = AgreementFilter {
            party: Some(party),
            drafts: false,
        };
        let public = AgreementFilter {
            party: None,
            drafts: false,
        };
        let every = AgreementFilter {
            party: None,
            drafts: true,
        };
        for drafts in [
            DraftVisibility::OfBodies(vec![]),
            DraftVisibility::OfBodies(vec!["group".into()]),
            DraftVisibility::All,
        ] {
            for selection in [
                Selection::One("pact"),
                Selection::Filter(&by_party),
                Selection::Filter(&public),
                Selection::Filter(&every),
            ] {
                let (sql, args) = obligations_query(selection, &drafts);
                let steps = plan(&scratch.store, &sql, args).await;
                let walks_matters = steps
                    .iter()
                    .any(|step| step == "SCAN m" || step.starts_with("SCAN m "));
                let by_agreement = matches!(selection, Selection::Filter(f) if f.party.is_none())
                    || steps
                        .iter()
                        .any(|step| step.contains("matter_agreements_agreement"));
                assert!(
                    !walks_matters && by_agreement,
                    "{selection:?} with {drafts:?}: {steps:?}"
                );
            }
        }
        scratch.cleanup().await.expect("cleanup");
    }

    #[test]
    fn the_text_hash_covers_both_languages_and_their_boundary() {
        let hash = text_hash(&Text::new("甲", "a"));
        assert!(is_text_hash(&hash), "{hash}");
        // Moving a line from one language to the other changes the hash.
        assert_ne!(hash, text_hash(&Text::new("甲\nen\na", "")));
        assert_ne!(hash, text_hash(&Text::new("甲", "a ")));
        assert_eq!(
            text_hash(&Text::new("", "")),
            hex(&Sha256::digest(b"zh\n\nen\n"))
        );
    }

    #[test]
    fn a_signature_verifies_only_for_its_message_and_key() {
        let key = SigningKey::from_bytes(&[7; 32]);
        let public = hex(key.verifying_key().as_bytes());
        let member: AdminCode = "320000".parse().unwrap();
        let message = signed_message("pact", member, &"a".repeat(64));
        assert_eq!(
            message,
            format!(
                "yrd-agreement-signature-v1\npact\n320000\n{}",
                "a".repeat(64)
            )
        );
        let signature = hex(&key.sign(message.as_bytes()).to_bytes());
        assert!(verifies(&public, &message, &signature));
        let other = signed_message("pact", "330000".parse().unwrap(), &"a".repeat(64));
        assert!(!verifies(&public, &other, &signature));
        let mut tampered = signature.clone();
        tampered.replace_range(0..2, if &signature[0..2] == "00" { "01" } else { "00" });
        assert!(!verifies(&public, &message, &tampered));
        assert!(!verifies(&public, &message, "zz"));
        assert_eq!(key_id(key.verifying_key().as_bytes()).len(), 16);
    }

    #[test]
    fn an_agreement_in_force_expires_after_its_day() {
        let day = |d: u8| Date::from_calendar_date(2026, time::Month::March, d).unwrap();
        let in_force = AgreementState::InForce;
        assert_eq!(derived_state(in_force, Some(day(2)), day(2)), in_force);
        assert_eq!(
            derived_state(in_force, Some(day(1)), day(2)),
            AgreementState::Expired
        );
        assert_eq!(
            derived_state(AgreementState::Open, Some(day(1)), day(2)),
            AgreementState::Open
        );
        assert_eq!(derived_state(in_force, None, day(2)), in_force);
    }
}
