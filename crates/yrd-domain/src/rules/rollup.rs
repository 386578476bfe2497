//! Progress roll-ups (plan × area × member).

use serde::{Deserialize, Serialize};

/// The progress of a set of tasks (one cell of the area × member grid).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct RollupCell {
    pub tasks: u64,
    pub reported: u64,
    pub unreported: u64,
    /// Mean percentage over the reported tasks only; `None` when no task has a report.
    pub mean_percent: Option<f64>,
    pub done: u64,
}

impl RollupCell {
    /// Builds a cell from aggregates, as set-based SQL computes them.
    pub fn from_counts(tasks: u64, reported: u64, percent_sum: f64, done: u64) -> RollupCell {
        todo!("{tasks} {reported} {percent_sum} {done}")
    }
}

/// Rolls up tasks' latest percentages (`None`: no report yet).
pub fn rollup(percents: impl IntoIterator<Item = Option<u8>>) -> RollupCell {
    let _ = percents.into_iter();
    todo!()
}
