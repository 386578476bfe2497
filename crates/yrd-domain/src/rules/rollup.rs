//! Progress roll-ups (plan × area × member).
//!
//! A task without a progress report is neither 0 % nor 100 % done: we do not know. Counting
//! it as 0 % would silently punish a member whose report is merely late (its cell drops the
//! moment a task is added, before anyone could have reported); counting it as 100 % would
//! claim work nobody has reported. So a cell keeps unreported tasks apart, takes the mean over
//! reported tasks only, and shows [`RollupCell::coverage`] next to the mean: "62 % on 3 of 5
//! tasks" is honest where a single blended number is not.

use serde::{Deserialize, Serialize};

use super::matter::DONE_PERCENT;

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
    /// Builds a cell from aggregates, as set-based SQL computes them: the number of tasks, how
    /// many have a report, the sum of their latest percentages, and how many are at 100 %.
    ///
    /// The counts must satisfy `done ≤ reported ≤ tasks`. They come from our own queries, not
    /// from users, so a violation is a bug: debug builds (and so every test) panic on it,
    /// while release builds clamp the counts so that a summary page still renders a
    /// consistent cell (`reported + unreported == tasks`) instead of failing a request. The
    /// mean is still `percent_sum / reported`, since sum and count describe the same rows.
    pub fn from_counts(tasks: u64, reported: u64, percent_sum: f64, done: u64) -> RollupCell {
        debug_assert!(
            reported <= tasks,
            "{reported} reported tasks out of {tasks}"
        );
        debug_assert!(
            done <= reported,
            "{done} done tasks but only {reported} reported"
        );
        let mean_percent = (reported > 0).then(|| percent_sum / reported as f64);
        let reported_in_cell = reported.min(tasks);
        RollupCell {
            tasks,
            reported: reported_in_cell,
            unreported: tasks - reported_in_cell,
            mean_percent,
            done: done.min(reported_in_cell),
        }
    }

    /// The share of tasks with a report, 0.0–1.0; `None` for a cell without tasks, where
    /// there is nothing to cover (0 % would read as "nobody reported").
    pub fn coverage(&self) -> Option<f64> {
        (self.tasks > 0).then(|| self.reported as f64 / self.tasks as f64)
    }
}

/// Rolls up tasks' latest percentages (`None`: no report yet).
///
/// Percentages above 100 (which validation rejects) count as 100, as they do for a matter's
/// status.
pub fn rollup(percents: impl IntoIterator<Item = Option<u8>>) -> RollupCell {
    let (mut tasks, mut reported, mut sum, mut done) = (0u64, 0u64, 0u64, 0u64);
    for percent in percents {
        tasks += 1;
        if let Some(p) = percent {
            let p = p.min(DONE_PERCENT);
            reported += 1;
            sum += u64::from(p);
            if p == DONE_PERCENT {
                done += 1;
            }
        }
    }
    // Sums of whole percentages stay far below 2^52, so the conversion is exact.
    RollupCell::from_counts(tasks, reported, sum as f64, done)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unreported_tasks_count_neither_as_0_nor_as_100() {
        let cell = rollup([Some(100), Some(50), None, None]);
        assert_eq!(cell.tasks, 4);
        assert_eq!(cell.reported, 2);
        assert_eq!(cell.unreported, 2);
        assert_eq!(cell.done, 1);
        // Not 37.5 (unreported as 0 %), not 87.5 (unreported as 100 %).
        assert_eq!(cell.mean_percent, Some(75.0));
        assert_eq!(cell.coverage(), Some(0.5));
    }

    #[test]
    fn a_zero_report_is_a_report() {
        let cell = rollup([Some(0), None]);
        assert_eq!(cell.reported, 1);
        assert_eq!(cell.unreported, 1);
        assert_eq!(cell.mean_percent, Some(0.0));
        assert_eq!(cell.done, 0);
    }

    #[test]
    fn no_report_at_all_has_no_mean() {
        let cell = rollup([None, None, None]);
        assert_eq!(cell.tasks, 3);
        assert_eq!(cell.unreported, 3);
        assert_eq!(cell.mean_percent, None);
        assert_eq!(cell.coverage(), Some(0.0));
    }

    #[test]
    fn no_tasks_has_no_mean_and_no_coverage() {
        let cell = rollup([]);
        assert_eq!(
            cell,
            RollupCell {
                tasks: 0,
                reported: 0,
                unreported: 0,
                mean_percent: None,
                done: 0
            }
        );
        assert_eq!(cell.coverage(), None);
    }

    #[test]
    fn fully_reported_cell() {
        let cell = rollup([Some(100), Some(100), Some(40)]);
        assert_eq!(cell.mean_percent, Some(80.0));
        assert_eq!(cell.done, 2);
        assert_eq!(cell.unreported, 0);
        assert_eq!(cell.coverage(), Some(1.0));
    }

    #[test]
    fn percentages_above_100_count_as_100() {
        let cell = rollup([Some(120), Some(80)]);
        assert_eq!(cell.mean_percent, Some(90.0));
        assert_eq!(cell.done, 1);
    }

    #[test]
    fn from_counts_agrees_with_rollup() {
        let percents = [Some(10), None, Some(100), Some(35), None];
        assert_eq!(RollupCell::from_counts(5, 3, 145.0, 1), rollup(percents));
        let cell = RollupCell::from_counts(8, 2, 90.0, 0);
        assert_eq!(cell.unreported, 6);
        assert_eq!(cell.mean_percent, Some(45.0));
        assert_eq!(cell.coverage(), Some(0.25));
    }

    #[test]
    #[cfg(debug_assertions)]
    #[should_panic(expected = "5 reported tasks out of 3")]
    fn from_counts_rejects_more_reports_than_tasks() {
        let _ = RollupCell::from_counts(3, 5, 250.0, 0);
    }

    #[test]
    #[cfg(debug_assertions)]
    #[should_panic(expected = "2 done tasks but only 1 reported")]
    fn from_counts_rejects_more_done_than_reported() {
        let _ = RollupCell::from_counts(3, 1, 100.0, 2);
    }
}
