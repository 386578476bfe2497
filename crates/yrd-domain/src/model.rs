//! The records of the cooperation mechanism, as stored, imported and exported.
//!
//! Every record has a stable text `key` (a slug such as `symposium-2024`, or the division code
//! for jurisdictions) that appears in URLs and data files. Records taken from the public record
//! carry a `source`: a URL, or `seed:<file>` for one of the news articles the dataset cites.
//! Statuses that the rules derive (a live decision's outcome, a matter's status, an
//! indicator's status) are deliberately absent here: they are computed, never stored. What the
//! mechanism records as users run it (a meeting's state, an outcome frozen when its meeting
//! closed, sub-tasks, escalations, signatures) is here, with defaults that describe the public
//! record as it stands, so that a record of the public record needs none of it.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use time::Date;

use crate::rules::DecisionStatus;
use crate::{AdminCode, PartialDate, Text};

/// A stable record key: lowercase ASCII letters, digits, `-`, `_` and `.`, at most 100 long,
/// starting with a letter or digit.
pub fn is_valid_key(key: &str) -> bool {
    !key.is_empty()
        && key.len() <= 100
        && key.as_bytes()[0].is_ascii_alphanumeric()
        && key.bytes().all(|b| {
            b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'-' | b'_' | b'.')
        })
}

/// A node of the administrative tree (GB/T 2260).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Jurisdiction {
    pub code: AdminCode,
    /// `None` only for the provincial-level members at the top of the tree.
    pub parent: Option<AdminCode>,
    pub name: Text,
    pub centroid: Option<LatLon>,
    pub source: String,
}

/// A reference point in WGS 84 degrees.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct LatLon {
    pub lat: f64,
    pub lon: f64,
}

/// A named set of jurisdictions across the tree (Demonstration Zone, G60 corridor, …).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Zone {
    pub key: String,
    pub name: Text,
    pub description: Text,
    pub members: Vec<AdminCode>,
    pub source: String,
}

/// The three tiers of the mechanism (三级运作).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Tier {
    /// 决策层: the Main Leaders' Symposium.
    Decision,
    /// 协调层: the Joint Meeting and the secretaries-general symposia.
    Coordination,
    /// 执行层: the Regional Cooperation Office and the thematic groups.
    Execution,
}

impl Tier {
    /// The tier a problem escalates to when this one cannot resolve it.
    pub fn above(self) -> Option<Tier> {
        match self {
            Tier::Execution => Some(Tier::Coordination),
            Tier::Coordination => Some(Tier::Decision),
            Tier::Decision => None,
        }
    }
}

/// An organ of the mechanism.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Body {
    pub key: String,
    pub name: Text,
    pub tier: Tier,
    pub description: Text,
    /// The member jurisdictions whose consent the body's decisions need.
    pub members: Vec<AdminCode>,
    /// For bodies that meet by rotation: the order in which members host.
    pub host_rotation: Vec<AdminCode>,
    pub source: String,
}

/// A person holding a body's seat for a member, for a term.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Seat {
    pub key: String,
    pub body: String,
    pub jurisdiction: AdminCode,
    /// The office that gives the seat, e.g. 省委书记 / Party Secretary.
    pub role: Text,
    pub holder: Text,
    pub term_start: PartialDate,
    pub term_end: Option<PartialDate>,
    pub source: String,
}

/// A session of a body.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Meeting {
    pub key: String,
    pub body: String,
    pub title: Text,
    pub start: PartialDate,
    pub end: Option<PartialDate>,
    /// The host city (or member) as a jurisdiction; `None` where the record does not say.
    pub host: Option<AdminCode>,
    /// Why the host is not the one the rotation proposed; empty when it is.
    pub host_reason: Text,
    pub theme: Text,
    pub attendees: Vec<Attendee>,
    pub agenda: Vec<Text>,
    pub outcomes: Vec<Text>,
    /// Draft documents attached while it is prepared.
    pub documents: Vec<Document>,
    pub state: MeetingState,
    /// The day it was closed in yrd; `None` for meetings of the public record.
    pub closed_on: Option<Date>,
    pub source: String,
}

/// Where a meeting is in its life.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MeetingState {
    /// Scheduled: its agenda, documents and decision items may change, and members state
    /// their positions.
    Scheduled,
    /// Held and closed: its decisions' outcomes are frozen. Meetings of the public record
    /// took place, so this is the default.
    #[default]
    Closed,
}

/// A document attached to a meeting.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Document {
    pub title: Text,
    /// An http(s) URL.
    pub url: String,
}

/// Someone recorded as attending a meeting.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Attendee {
    pub name: Text,
    pub role: Text,
    pub jurisdiction: Option<AdminCode>,
}

/// What a decision is about, where the mechanism acts on it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum DecisionSubject {
    /// Adopts (possibly in principle) a plan.
    AdoptPlan { plan: String },
    /// Fixes the host of the body's next meeting.
    NextHost { host: AdminCode },
    /// Anything else the meeting decided.
    Other,
}

/// An outcome of a meeting that needs the members' consent.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Decision {
    pub key: String,
    pub meeting: String,
    pub seq: u32,
    pub title: Text,
    pub subject: DecisionSubject,
    pub positions: Vec<Position>,
    /// The outcome frozen when its meeting closed in yrd. `None` while the meeting is
    /// scheduled, and for decisions of the public record, whose outcome follows from their
    /// positions.
    pub outcome: Option<DecisionStatus>,
    /// A decision of an earlier, closed meeting of the same body that this one replaces.
    pub supersedes: Option<String>,
    pub source: String,
}

/// A member's stance on a decision.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stance {
    Consent,
    ConsentInPrinciple,
    Object,
}

/// One member jurisdiction's recorded position on one decision.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Position {
    pub jurisdiction: AdminCode,
    pub stance: Stance,
    pub comment: Text,
}

/// The kinds of document in the plan cascade.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PlanKind {
    Outline,
    ActionPlan,
    WorkPlan,
    MatterList,
    ImplementationPlan,
}

/// A plan's lifecycle.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PlanStage {
    Draft,
    Adopted,
    InForce,
    Superseded,
}

/// A document in the cascade of plans.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Plan {
    pub key: String,
    pub kind: PlanKind,
    pub title: Text,
    pub parent: Option<String>,
    /// First and last year covered.
    pub period_start: i32,
    pub period_end: i32,
    pub stage: PlanStage,
    pub adopted_on: Option<PartialDate>,
    pub issued_on: Option<PartialDate>,
    pub issuer: Text,
    pub summary: Text,
    pub areas: Vec<Area>,
    /// Unpublished records are drafts, seen only by those the access policy lets see them.
    pub published: bool,
    pub source: String,
}

/// A priority area of a plan.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Area {
    /// Unique within the plan.
    pub key: String,
    pub seq: u32,
    pub name: Text,
    /// The number of key tasks the plan itself states for the area, where it states one.
    pub stated_task_count: Option<u32>,
}

/// A key cooperation matter (重点合作事项).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Matter {
    pub key: String,
    pub plan: String,
    /// An area key of the plan.
    pub area: Option<String>,
    pub title: Text,
    pub objective: Text,
    pub leads: Vec<AdminCode>,
    pub participants: Vec<AdminCode>,
    pub start: Option<Date>,
    pub due: Option<Date>,
    pub milestones: Vec<Milestone>,
    pub indicators: Vec<String>,
    pub agreements: Vec<String>,
    /// The body responsible for the matter, e.g. a thematic group; its roles see the matter
    /// before publication.
    pub body: Option<String>,
    /// Unpublished records are drafts, seen only by those the access policy lets see them.
    pub published: bool,
    /// The unfinished matter of an earlier plan this one carries over.
    pub carried_from: Option<String>,
    pub source: String,
}

/// A dated checkpoint of a matter.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Milestone {
    pub title: Text,
    pub due: Date,
    pub done_on: Option<Date>,
}

/// One member's share of a matter.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Task {
    pub key: String,
    pub matter: String,
    /// For a sub-task a member's coordinator added: the member's task it is part of (same
    /// matter and member, itself not a sub-task).
    pub parent: Option<String>,
    pub jurisdiction: AdminCode,
    /// The unit of the member that owns the task.
    pub unit: Text,
    pub title: Text,
    pub start: Option<Date>,
    pub due: Date,
    pub source: String,
}

/// Where a progress report stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReportState {
    /// Entered by the owner's officer.
    Submitted,
    /// Approved by the member's coordinator.
    Approved,
    /// Verified by the Office.
    Verified,
    /// Returned by the Office with a reason.
    Returned,
}

/// A progress report on a task.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ProgressReport {
    pub key: String,
    pub task: String,
    pub as_of: Date,
    /// 0–100.
    pub percent: u8,
    pub narrative: Text,
    pub evidence: Vec<String>,
    pub state: ReportState,
    /// Why the Office returned it; empty unless it is returned.
    pub return_reason: Text,
    pub source: String,
}

/// A problem raised on a matter or one of its tasks.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Problem {
    pub key: String,
    pub matter: String,
    pub task: Option<String>,
    pub title: Text,
    pub description: Text,
    /// The tier that currently holds the problem.
    pub tier: Tier,
    pub raised_on: Date,
    /// When the tier holding it should resolve it.
    pub due: Option<Date>,
    /// The day of its latest escalation, if it climbed to its tier.
    pub escalated_on: Option<Date>,
    pub resolved_on: Option<Date>,
    /// The tier that resolved it (the one holding it then), where yrd recorded it.
    pub resolved_tier: Option<Tier>,
    pub resolution: Text,
    pub source: String,
}

/// A multi-party cooperation agreement.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Agreement {
    pub key: String,
    pub title: Text,
    pub summary: Text,
    /// As stored: expiry is derived from `expires_on` when it is read.
    pub state: AgreementState,
    /// The meeting at which it was signed, if any.
    pub meeting: Option<String>,
    pub signed_on: Option<PartialDate>,
    pub in_force_on: Option<PartialDate>,
    /// The last day it applies, if it has one.
    pub expires_on: Option<Date>,
    /// The day it was terminated.
    pub ended_on: Option<Date>,
    /// Why it was terminated; empty when no reason was given.
    pub ended_reason: Text,
    /// The exact text the parties sign in yrd; empty for agreements of the public record,
    /// which were signed on paper.
    pub text: Text,
    /// [`agreement_text_hash`] of `text`; `None` exactly when there is no text.
    pub text_hash: Option<String>,
    pub parties: Vec<Party>,
    /// Every signature made in yrd, those over earlier texts included, in the order of
    /// [`PartySignature::order`].
    pub signatures: Vec<PartySignature>,
    pub source: String,
}

/// Where an agreement is in its life, as stored.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AgreementState {
    /// Being drafted by the office; unpublished.
    Draft,
    /// Open for signature by its parties.
    Open,
    /// Every party has signed. Agreements of the public record were signed on paper, so this
    /// is the default.
    #[default]
    InForce,
    /// Ended by the office.
    Terminated,
}

/// A party's Ed25519 signature over one version of an agreement's text.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PartySignature {
    /// The party that signed.
    pub jurisdiction: AdminCode,
    /// The [`agreement_text_hash`] of the text signed.
    pub text_hash: String,
    /// The [`MemberKey`] that made it.
    pub key_id: String,
    /// 128 lowercase hex digits.
    pub signature: String,
    /// Who signed for the party (a username, or the command that did).
    pub signed_by: String,
    /// RFC 3339, UTC.
    pub signed_at: String,
}

impl PartySignature {
    /// The order signatures are listed in: as they were made, then by party and text.
    pub fn order(&self) -> (&str, AdminCode, &str) {
        (&self.signed_at, self.jurisdiction, &self.text_hash)
    }
}

/// A member's Ed25519 public key, with which its signatures are checked. The private half
/// never leaves the server that signs with it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemberKey {
    /// The first 16 hex digits of the SHA-256 of the 32 public-key bytes.
    pub id: String,
    pub jurisdiction: AdminCode,
    /// 64 lowercase hex digits.
    pub public_key: String,
    /// RFC 3339, UTC.
    pub created_at: String,
    /// When it stopped signing; a member has at most one key that is not retired.
    pub retired_at: Option<String>,
}

/// What a signature on an agreement binds: the lowercase hex SHA-256 of the UTF-8 bytes of
/// `"zh\n" + text.zh + "\nen\n" + text.en`, so both languages and the boundary between them.
pub fn agreement_text_hash(text: &Text) -> String {
    let canonical = format!("zh\n{}\nen\n{}", text.zh, text.en);
    Sha256::digest(canonical.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A party to an agreement and its signature.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Party {
    pub jurisdiction: AdminCode,
    /// Who signs (or signed) for the party, e.g. the provincial department.
    pub signatory: Text,
    pub signed_on: Option<PartialDate>,
}

/// Whether more of an indicator is better.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    HigherIsBetter,
    LowerIsBetter,
    /// Context only (e.g. population share): no status is derived.
    Neutral,
}

/// A measure of integration.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Indicator {
    pub key: String,
    pub name: Text,
    pub description: Text,
    /// Unit of numeric values (`km`, `%`, `trillion yuan`); empty for categorical ones.
    pub unit: Text,
    /// For categorical indicators: the class labels, best first (e.g. `I` … `V`).
    /// Empty for numeric indicators.
    pub classes: Vec<String>,
    pub direction: Direction,
    /// The jurisdiction the indicator measures, or a zone key, or a named site.
    pub scope: Scope,
    pub baseline: Option<Target>,
    pub targets: Vec<Target>,
    pub source: String,
}

/// What an indicator or an observation is about.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "id", rename_all = "snake_case")]
pub enum Scope {
    Jurisdiction(AdminCode),
    Zone(String),
    Site(String),
}

/// A value an indicator should have (or had) by a date.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Target {
    pub date: PartialDate,
    pub value: Value,
    pub source: String,
}

/// A numeric value or a class label.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Value {
    Number(f64),
    Class(String),
}

/// A measured value of an indicator.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Observation {
    pub key: String,
    pub indicator: String,
    pub date: PartialDate,
    pub value: Value,
    /// Narrows the indicator's scope (a member's value of a regional indicator), if set.
    pub jurisdiction: Option<AdminCode>,
    pub site: Option<String>,
    /// Qualifies the value as the source words it ("more than", "about").
    pub qualifier: Qualifier,
    pub note: Text,
    pub source: String,
}

/// How exactly the source states a value.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Qualifier {
    #[default]
    Exact,
    About,
    MoreThan,
    LessThan,
}

/// A whole dataset: what `yrd import` reads and `yrd export` writes.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Dataset {
    pub jurisdictions: Vec<Jurisdiction>,
    pub zones: Vec<Zone>,
    pub bodies: Vec<Body>,
    pub seats: Vec<Seat>,
    pub meetings: Vec<Meeting>,
    pub decisions: Vec<Decision>,
    pub plans: Vec<Plan>,
    pub matters: Vec<Matter>,
    pub tasks: Vec<Task>,
    pub reports: Vec<ProgressReport>,
    pub problems: Vec<Problem>,
    pub agreements: Vec<Agreement>,
    pub member_keys: Vec<MemberKey>,
    pub indicators: Vec<Indicator>,
    pub observations: Vec<Observation>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_url_safe_slugs() {
        assert!(is_valid_key("symposium-2024"));
        assert!(is_valid_key("action-plan-2024-2026.area-1"));
        assert!(!is_valid_key(""));
        assert!(!is_valid_key("-x"));
        assert!(!is_valid_key("Symposium"));
        assert!(!is_valid_key("a b"));
        assert!(!is_valid_key(&"a".repeat(101)));
    }

    #[test]
    fn the_text_hash_binds_both_languages_and_their_boundary() {
        // SHA-256 of "zh\n\nen\n".
        assert_eq!(
            agreement_text_hash(&Text::default()),
            "370c9ecac1ffca62be9f70e341fc08b24856331502e6d3efd86d4d2edf5edbc0"
        );
        let hash = agreement_text_hash(&Text::new("甲", "a"));
        assert_eq!(hash.len(), 64);
        assert_ne!(hash, agreement_text_hash(&Text::new("甲\nen\na", "")));
        assert_ne!(hash, agreement_text_hash(&Text::new("甲", "a ")));
    }
}
