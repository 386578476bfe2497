//! The consensus rule for decisions of a body.

use serde::{Deserialize, Serialize};

use crate::{AdminCode, Position};

/// A decision's outcome, derived from the members' positions.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DecisionStatus {
    /// Not every member has answered, and nobody objects.
    Pending,
    /// Every member consented without reservation.
    Adopted,
    /// Every member consented, at least one in principle.
    AdoptedInPrinciple,
    /// At least one member objects.
    Blocked,
}

/// Derives a decision's status from the body's member jurisdictions and the recorded
/// positions. Positions of jurisdictions that are not members do not count.
pub fn decision_status(members: &[AdminCode], positions: &[Position]) -> DecisionStatus {
    todo!("{members:?} {positions:?}")
}
