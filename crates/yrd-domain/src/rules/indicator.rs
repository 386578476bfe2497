//! An indicator's status against its target trajectory.

use serde::{Deserialize, Serialize};

use crate::{Indicator, Observation};

/// Where an indicator stands against its trajectory.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IndicatorStatus {
    OnTrack,
    AtRisk,
    OffTrack,
    /// No target, or a neutral direction: nothing to judge against.
    NoTarget,
    /// No observation to judge.
    NoData,
}

/// Derives the status from the latest observation of the indicator's own scope.
pub fn indicator_status(indicator: &Indicator, observations: &[Observation]) -> IndicatorStatus {
    todo!("{indicator:?} {observations:?}")
}
