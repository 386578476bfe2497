//! The pieces every response is built from: references to jurisdictions, values and dates in
//! their wire form, texts picked in the negotiated language, and the API's own enums.
//!
//! The enums mirror the domain's rather than reuse them: the wire contract (names, schema) is
//! spelt out here, next to the OpenAPI annotations, and a variant added to the domain fails to
//! compile until the API decides how to show it.

use std::collections::HashMap;

use serde::Serialize;
use time::Date;
use utoipa::ToSchema;
use yrd_domain::{AdminCode, Lang, PartialDate, Text, Value};
use yrd_store::{Store, StoreError};

/// A text in `lang`, or in the other language where `lang` has none.
pub(crate) fn text(text: &Text, lang: Lang) -> String {
    text.pick(lang).0.to_owned()
}

/// Like [`text`], but `None` for a text that is empty in both languages (an optional field
/// the record leaves out), so clients need not tell `""` from "not given".
pub(crate) fn opt_text(value: &Text, lang: Lang) -> Option<String> {
    (!value.is_empty()).then(|| text(value, lang))
}

/// Texts of a list, each in `lang`, empty ones left out.
pub(crate) fn texts(values: &[Text], lang: Lang) -> Vec<String> {
    values.iter().filter_map(|t| opt_text(t, lang)).collect()
}

/// A full date as `YYYY-MM-DD`.
pub(crate) fn date(date: Date) -> String {
    PartialDate::Day(date).to_string()
}

pub(crate) fn opt_date(value: Option<Date>) -> Option<String> {
    value.map(date)
}

pub(crate) fn partial(value: Option<PartialDate>) -> Option<String> {
    value.map(|d| d.to_string())
}

/// A jurisdiction named where it is referred to, so a client need not look the code up.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, ToSchema)]
pub(crate) struct JurisdictionRef {
    /// GB/T 2260 administrative division code.
    #[schema(example = "330300", pattern = "^[0-9]{6}$")]
    pub code: String,
    /// The name in the response language; the code itself if the jurisdiction is not in the
    /// register.
    #[schema(example = "温州市")]
    pub name: String,
}

/// The names of every jurisdiction, for turning codes into [`JurisdictionRef`]s.
///
/// One query per request: the register is a small table (a few thousand rows for all of
/// China), and reading it per request keeps names right after an import without any cache to
/// invalidate. A page made of several parts reads it once and passes it to each.
#[derive(Clone)]
pub(crate) struct Names {
    names: HashMap<AdminCode, Text>,
    lang: Lang,
}

impl Names {
    pub async fn load(store: &Store, lang: Lang) -> Result<Names, StoreError> {
        Ok(Names::of_register(&store.jurisdictions().await?, lang))
    }

    /// `given` when the caller has read the names already; else the register's, as the store
    /// keeps it between requests ([`Store::jurisdictions`]), so reading it beside a check that
    /// may refuse the request costs next to nothing.
    pub async fn given_or_load<'a>(
        given: Option<&'a Names>,
        store: &Store,
        lang: Lang,
    ) -> Result<std::borrow::Cow<'a, Names>, StoreError> {
        Ok(match given {
            Some(names) => std::borrow::Cow::Borrowed(names),
            None => std::borrow::Cow::Owned(Names::load(store, lang).await?),
        })
    }

    /// The names of a register the caller has read already.
    pub fn of_register(register: &[yrd_domain::Jurisdiction], lang: Lang) -> Names {
        let names = register.iter().map(|j| (j.code, j.name.clone())).collect();
        Names { names, lang }
    }

    pub fn of(&self, code: AdminCode) -> JurisdictionRef {
        JurisdictionRef {
            code: code.to_string(),
            name: self
                .names
                .get(&code)
                .map_or_else(|| code.to_string(), |name| text(name, self.lang)),
        }
    }

    pub fn all(&self, codes: &[AdminCode]) -> Vec<JurisdictionRef> {
        codes.iter().map(|&c| self.of(c)).collect()
    }
}

/// A reference to another record by key, with its name in the response language.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, ToSchema)]
pub(crate) struct KeyRef {
    pub key: String,
    pub name: String,
}

/// A measured or planned value: a number, or a class label of a categorical indicator.
#[derive(Clone, Debug, PartialEq, Serialize, ToSchema)]
#[serde(untagged)]
pub(crate) enum ValueResponse {
    Number(f64),
    Class(String),
}

impl ValueResponse {
    /// The value as the portal shows it: numbers grouped by thousands, classes as named.
    pub fn label(&self) -> String {
        match self {
            ValueResponse::Number(n) => crate::pages::number(*n),
            ValueResponse::Class(c) => c.clone(),
        }
    }
}

impl From<&Value> for ValueResponse {
    fn from(value: &Value) -> Self {
        match value {
            Value::Number(n) => ValueResponse::Number(*n),
            Value::Class(c) => ValueResponse::Class(c.clone()),
        }
    }
}

/// Declares an API enum mirroring a domain enum variant for variant, with the conversions and
/// the list of wire names (for parsing query parameters and naming the allowed values). Wire
/// names are the variants' snake_case names, as in the domain; a test checks they agree.
macro_rules! api_enum {
    (
        $(#[$meta:meta])*
        $name:ident mirrors $domain:ident {
            $( $(#[$vmeta:meta])* $variant:ident = $wire:literal ),+ $(,)?
        }
    ) => {
        $(#[$meta])*
        // `rename_all` rather than a `rename` per variant: the schema derive reads attributes
        // as written, and does not see names passed in as macro fragments.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, ToSchema)]
        #[serde(rename_all = "snake_case")]
        pub(crate) enum $name {
            $( $(#[$vmeta])* $variant ),+
        }

        impl From<$domain> for $name {
            fn from(value: $domain) -> Self {
                match value {
                    $( $domain::$variant => $name::$variant ),+
                }
            }
        }

        impl From<$name> for $domain {
            fn from(value: $name) -> Self {
                match value {
                    $( $name::$variant => $domain::$variant ),+
                }
            }
        }

        impl $name {
            /// The wire names, in declaration order.
            #[allow(dead_code, reason = "only the enums used as query parameters parse")]
            pub const NAMES: &'static [&'static str] = &[$($wire),+];

            /// The variant with this wire name.
            #[allow(dead_code, reason = "only the enums used as query parameters parse")]
            pub fn parse(name: &str) -> Option<Self> {
                match name {
                    $( $wire => Some($name::$variant), )+
                    _ => None,
                }
            }

            /// The wire name, which the portal's labels are keyed by.
            #[allow(dead_code, reason = "only the enums the pages label are named")]
            pub fn name(self) -> &'static str {
                match self {
                    $( $name::$variant => $wire, )+
                }
            }
        }
    };
}

use yrd_domain::code::Level as DomainLevel;
use yrd_domain::rules::{
    DecisionStatus as DomainDecisionStatus, IndicatorStatus as DomainIndicatorStatus,
    MatterStatus as DomainMatterStatus,
};
use yrd_domain::{
    Direction as DomainDirection, PlanKind as DomainPlanKind, PlanStage as DomainPlanStage,
    Qualifier as DomainQualifier, ReportState as DomainReportState, Stance as DomainStance,
    Tier as DomainTier,
};
use yrd_store::AgreementState as DomainAgreementState;
use yrd_store::ProgressBasis as DomainBasis;

api_enum! {
    /// The level of a jurisdiction in the administrative tree.
    Level mirrors DomainLevel {
        Province = "province",
        Prefecture = "prefecture",
        County = "county",
    }
}

api_enum! {
    /// The tier of the mechanism a body (or a problem) belongs to.
    Tier mirrors DomainTier {
        Decision = "decision",
        Coordination = "coordination",
        Execution = "execution",
    }
}

api_enum! {
    /// A member's recorded stance on a decision.
    Stance mirrors DomainStance {
        Consent = "consent",
        ConsentInPrinciple = "consent_in_principle",
        Object = "object",
    }
}

api_enum! {
    /// A decision's outcome under the consensus rule: `blocked` as soon as one member objects;
    /// `adopted` when every member consents; `adopted_in_principle` when every member consents
    /// and at least one only in principle; `pending` while a member has not answered.
    DecisionStatus mirrors DomainDecisionStatus {
        Pending = "pending",
        Adopted = "adopted",
        AdoptedInPrinciple = "adopted_in_principle",
        Blocked = "blocked",
    }
}

api_enum! {
    /// The kind of document in the cascade of plans.
    PlanKind mirrors DomainPlanKind {
        Outline = "outline",
        ActionPlan = "action_plan",
        WorkPlan = "work_plan",
        MatterList = "matter_list",
        ImplementationPlan = "implementation_plan",
    }
}

api_enum! {
    /// Where a plan is in its lifecycle.
    PlanStage mirrors DomainPlanStage {
        Draft = "draft",
        Adopted = "adopted",
        InForce = "in_force",
        Superseded = "superseded",
    }
}

api_enum! {
    /// A matter's status, derived on the `as_of` day from its tasks and milestones (first match
    /// wins): `done` (every task at 100 % and every milestone done), `overdue` (an unfinished
    /// task or milestone past its due date), `not_started` (no progress above 0 % reported),
    /// `at_risk` (a task behind its linear schedule or due soon, or a milestone due soon),
    /// `on_track`.
    MatterStatus mirrors DomainMatterStatus {
        NotStarted = "not_started",
        OnTrack = "on_track",
        AtRisk = "at_risk",
        Overdue = "overdue",
        Done = "done",
    }
}

api_enum! {
    /// Which progress figures count: `reported` (the owners' latest reports that were not
    /// returned) or `verified` (the latest reports the Office verified).
    ProgressBasis mirrors DomainBasis {
        Reported = "reported",
        Verified = "verified",
    }
}

api_enum! {
    /// Where a progress report stands.
    ReportState mirrors DomainReportState {
        Submitted = "submitted",
        Approved = "approved",
        Verified = "verified",
        Returned = "returned",
    }
}

api_enum! {
    /// Where an agreement is in its life: `draft` (being drafted by the office, seen only by
    /// the office and auditors), `open` (for signature by its parties), `in_force` (every party
    /// has a valid signature over the current text, or signed on paper), `expired` (was in
    /// force and its `expires_on` has passed) or `terminated` (ended by the office).
    AgreementState mirrors DomainAgreementState {
        Draft = "draft",
        Open = "open",
        InForce = "in_force",
        Expired = "expired",
        Terminated = "terminated",
    }
}

api_enum! {
    /// Whether more of an indicator is better.
    Direction mirrors DomainDirection {
        HigherIsBetter = "higher_is_better",
        LowerIsBetter = "lower_is_better",
        Neutral = "neutral",
    }
}

api_enum! {
    /// How exactly the source states a value.
    Qualifier mirrors DomainQualifier {
        Exact = "exact",
        About = "about",
        MoreThan = "more_than",
        LessThan = "less_than",
    }
}

api_enum! {
    /// Where an indicator stands against the straight-line path from its baseline through its
    /// targets: `no_target` when there is nothing to judge against, `no_data` without a usable
    /// observation of the indicator's own scope.
    IndicatorStatus mirrors DomainIndicatorStatus {
        OnTrack = "on_track",
        AtRisk = "at_risk",
        OffTrack = "off_track",
        NoTarget = "no_target",
        NoData = "no_data",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each name parses, serialises back to itself, converts to the domain variant with the
    /// same serde name (the name the store and the data files use), and is the name the
    /// OpenAPI schema lists.
    macro_rules! check_wire_names {
        ($($api:ident / $domain:ident),+ $(,)?) => {$({
            let schema = serde_json::to_value(<$api as utoipa::PartialSchema>::schema()).unwrap();
            assert_eq!(schema["enum"], serde_json::json!($api::NAMES), stringify!($api));
            for name in $api::NAMES {
                let parsed = $api::parse(name).unwrap();
                assert_eq!(serde_json::to_value(parsed).unwrap(), *name);
                let domain: $domain = parsed.into();
                assert_eq!(serde_json::to_value(domain).unwrap(), *name);
                assert_eq!($api::from(domain), parsed);
            }
            assert_eq!($api::parse("no-such-name"), None);
        })+};
    }

    #[test]
    fn api_enums_use_the_domain_wire_names() {
        check_wire_names!(
            Level / DomainLevel,
            Tier / DomainTier,
            Stance / DomainStance,
            DecisionStatus / DomainDecisionStatus,
            PlanKind / DomainPlanKind,
            PlanStage / DomainPlanStage,
            MatterStatus / DomainMatterStatus,
            ProgressBasis / DomainBasis,
            ReportState / DomainReportState,
            Direction / DomainDirection,
            Qualifier / DomainQualifier,
            IndicatorStatus / DomainIndicatorStatus,
            AgreementState / DomainAgreementState,
        );
    }

    #[test]
    fn optional_texts_are_absent_rather_than_empty() {
        assert_eq!(opt_text(&Text::default(), Lang::En), None);
        assert_eq!(
            opt_text(&Text::new("温州市", ""), Lang::En).as_deref(),
            Some("温州市")
        );
    }
}
