//! The rules users rely on, as pure functions: each derives a status from records and a date,
//! so the same inputs always give the same answer and nothing derived is ever stored.

pub mod consensus;
pub mod indicator;
pub mod matter;
pub mod rollup;
pub mod rotation;

pub use consensus::{DecisionStatus, decision_status};
pub use indicator::{IndicatorStatus, indicator_status};
pub use matter::{MatterStatus, TaskProgress, matter_status};
pub use rollup::{RollupCell, rollup};
pub use rotation::next_host;
