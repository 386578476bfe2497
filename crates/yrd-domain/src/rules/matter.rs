//! A matter's status, derived from its tasks, milestones and a date.

use serde::{Deserialize, Serialize};
use time::Date;

use crate::Milestone;

/// A matter's derived status.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MatterStatus {
    NotStarted,
    OnTrack,
    AtRisk,
    Overdue,
    Done,
}

/// What the status rule needs to know about one task.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TaskProgress {
    pub start: Option<Date>,
    pub due: Date,
    /// The latest reported percentage, `None` when no report exists yet.
    pub percent: Option<u8>,
}

/// Derives a matter's status on `today`.
pub fn matter_status(
    matter_start: Option<Date>,
    tasks: &[TaskProgress],
    milestones: &[Milestone],
    today: Date,
) -> MatterStatus {
    todo!("{matter_start:?} {tasks:?} {milestones:?} {today}")
}
