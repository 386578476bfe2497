//! A matter's status, derived from its tasks, milestones and a date.
//!
//! The status is an early-warning signal for the Office and the leaders' one-page summary, so
//! the rule prefers to speak up early (at risk) over staying quiet until a date has passed,
//! and it never lets a good-looking average hide a late task: one overdue task makes the whole
//! matter overdue.
//!
//! Precedence, first match wins:
//!
//! 1. **Done** — at least one task, every task at 100 %, every milestone done.
//! 2. **Overdue** — an unfinished task or an undone milestone is past its due date.
//! 3. **Not started** — no task has reported any progress above 0 % (this includes a matter
//!    without tasks, and tasks without reports).
//! 4. **At risk** — an unfinished task is behind its linear schedule by more than
//!    [`SCHEDULE_SLACK_POINTS`], or is due within [`TASK_DUE_SOON_DAYS`] days below
//!    [`TASK_DUE_SOON_MIN_PERCENT`] %, or an undone milestone is due within
//!    [`MILESTONE_DUE_SOON_DAYS`] days.
//! 5. **On track** — otherwise.
//!
//! "Past its due date" means strictly after it: work finished on the due day is on time.
//! "Within N days" includes both today and the N-th day.

use serde::{Deserialize, Serialize};
use time::Date;

use crate::Milestone;

/// How many percentage points a task may trail its linear schedule before it is at risk.
///
/// Real work is rarely linear (procurement and approvals come first, visible progress later),
/// so a small lag is normal; a quarter of the work is a lag worth a conversation.
pub const SCHEDULE_SLACK_POINTS: f64 = 25.0;

/// A task due within this many days is at risk unless it has reached
/// [`TASK_DUE_SOON_MIN_PERCENT`]: a month is about the least time in which a member can still
/// react (add resources, raise a problem) before the date passes.
pub const TASK_DUE_SOON_DAYS: i64 = 30;

/// See [`TASK_DUE_SOON_DAYS`].
pub const TASK_DUE_SOON_MIN_PERCENT: u8 = 75;

/// An undone milestone due within this many days puts the matter at risk. Milestones are
/// discrete checkpoints without a percentage, so only a short warning window is meaningful.
pub const MILESTONE_DUE_SOON_DAYS: i64 = 14;

/// The percentage at which a task is finished.
pub const DONE_PERCENT: u8 = 100;

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

/// Why an unfinished task puts its matter at risk.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TaskRisk {
    /// Trails its linear schedule by more than [`SCHEDULE_SLACK_POINTS`].
    BehindSchedule,
    /// Due within [`TASK_DUE_SOON_DAYS`] days below [`TASK_DUE_SOON_MIN_PERCENT`] %.
    DueSoon,
}

impl TaskProgress {
    /// Whether the latest report says the work is finished. Anything above 100 (which
    /// validation rejects) is read as finished rather than as a fault of the status rule.
    pub fn is_finished(&self) -> bool {
        self.percent.is_some_and(|p| p >= DONE_PERCENT)
    }

    /// Whether the task reported any progress at all.
    pub fn has_started(&self) -> bool {
        self.percent.is_some_and(|p| p > 0)
    }

    /// Unfinished after its due date.
    pub fn is_overdue(&self, today: Date) -> bool {
        !self.is_finished() && today > self.due
    }

    /// Why the task is at risk on `today`, if it is. A finished or overdue task is neither
    /// (overdue is the stronger signal). The schedule check needs a start date: the task's
    /// own, else the matter's; without either only the due-soon check applies.
    pub fn risk(&self, matter_start: Option<Date>, today: Date) -> Option<TaskRisk> {
        if self.is_finished() || self.is_overdue(today) {
            return None;
        }
        // No report yet counts as 0 %: the schedule says work should be visible by now.
        let percent = self.percent.unwrap_or(0);
        if let Some(start) = self.start.or(matter_start) {
            let expected = expected_percent(start, self.due, today);
            if expected - f64::from(percent) > SCHEDULE_SLACK_POINTS {
                return Some(TaskRisk::BehindSchedule);
            }
        }
        if days_until(today, self.due) <= TASK_DUE_SOON_DAYS && percent < TASK_DUE_SOON_MIN_PERCENT
        {
            return Some(TaskRisk::DueSoon);
        }
        None
    }
}

/// The percentage a task running linearly from `start` to `due` should have reached on
/// `today`: 0 up to the start, 100 from the due date on. A due date on or before the start
/// (a one-day task, or a data error) expects everything by the due date.
pub fn expected_percent(start: Date, due: Date, today: Date) -> f64 {
    let total = (due - start).whole_days();
    if total <= 0 {
        return if today >= due { 100.0 } else { 0.0 };
    }
    let elapsed = (today - start).whole_days().clamp(0, total);
    // Day counts of real plans are far below 2^52, so the conversion is exact.
    elapsed as f64 / total as f64 * 100.0
}

/// Whether a milestone is done as of `today`. A completion date after `today` has not
/// happened yet from `today`'s point of view, so looking back at an earlier date gives the
/// status as it was then.
pub fn milestone_done(milestone: &Milestone, today: Date) -> bool {
    milestone.done_on.is_some_and(|d| d <= today)
}

fn days_until(today: Date, due: Date) -> i64 {
    (due - today).whole_days()
}

/// Derives a matter's status on `today` (see the module documentation for the rule).
///
/// A matter without tasks is never done: nothing has been assigned, so there is nothing to
/// have finished, even when its milestones are ticked off.
pub fn matter_status(
    matter_start: Option<Date>,
    tasks: &[TaskProgress],
    milestones: &[Milestone],
    today: Date,
) -> MatterStatus {
    let milestones_done = milestones.iter().all(|m| milestone_done(m, today));
    if !tasks.is_empty() && tasks.iter().all(TaskProgress::is_finished) && milestones_done {
        return MatterStatus::Done;
    }

    let open_milestones = || milestones.iter().filter(|m| !milestone_done(m, today));
    if tasks.iter().any(|t| t.is_overdue(today)) || open_milestones().any(|m| today > m.due) {
        return MatterStatus::Overdue;
    }

    if !tasks.iter().any(TaskProgress::has_started) {
        return MatterStatus::NotStarted;
    }

    let task_at_risk = tasks.iter().any(|t| t.risk(matter_start, today).is_some());
    let milestone_soon =
        open_milestones().any(|m| days_until(today, m.due) <= MILESTONE_DUE_SOON_DAYS);
    if task_at_risk || milestone_soon {
        return MatterStatus::AtRisk;
    }
    MatterStatus::OnTrack
}

#[cfg(test)]
mod tests {
    use time::Duration;
    use time::macros::date;

    use super::*;
    use crate::Text;

    const TODAY: Date = date!(2025 - 06 - 01);

    fn days(n: i64) -> Date {
        TODAY + Duration::days(n)
    }

    /// A task that runs from 100 days ago to 100 days ahead (so 50 % is expected today).
    fn task(percent: Option<u8>) -> TaskProgress {
        TaskProgress {
            start: Some(days(-100)),
            due: days(100),
            percent,
        }
    }

    fn milestone(due: Date, done_on: Option<Date>) -> Milestone {
        Milestone {
            title: Text::default(),
            due,
            done_on,
        }
    }

    fn status(tasks: &[TaskProgress], milestones: &[Milestone]) -> MatterStatus {
        matter_status(None, tasks, milestones, TODAY)
    }

    #[test]
    fn a_matter_without_tasks_is_not_started() {
        assert_eq!(status(&[], &[]), MatterStatus::NotStarted);
        // Even with every milestone done: nothing assigned is nothing finished.
        assert_eq!(
            status(&[], &[milestone(days(-10), Some(days(-12)))]),
            MatterStatus::NotStarted
        );
    }

    #[test]
    fn a_matter_without_tasks_can_still_be_overdue_on_a_milestone() {
        assert_eq!(
            status(&[], &[milestone(days(-1), None)]),
            MatterStatus::Overdue
        );
    }

    #[test]
    fn tasks_without_reports_are_not_started() {
        assert_eq!(
            status(&[task(None), task(None)], &[]),
            MatterStatus::NotStarted
        );
        assert_eq!(
            status(&[task(Some(0)), task(None)], &[]),
            MatterStatus::NotStarted
        );
    }

    #[test]
    fn not_started_wins_over_at_risk_but_not_over_overdue() {
        // Due in 10 days with nothing reported: at risk by both checks, yet not started.
        let soon = TaskProgress {
            start: Some(days(-100)),
            due: days(10),
            percent: None,
        };
        assert_eq!(status(&[soon], &[]), MatterStatus::NotStarted);
        let late = TaskProgress {
            start: None,
            due: days(-1),
            percent: None,
        };
        assert_eq!(status(&[late, task(None)], &[]), MatterStatus::Overdue);
    }

    #[test]
    fn all_tasks_done_and_milestones_done_is_done() {
        let tasks = [task(Some(100)), task(Some(100))];
        assert_eq!(status(&tasks, &[]), MatterStatus::Done);
        assert_eq!(
            status(&tasks, &[milestone(days(-5), Some(days(-6)))]),
            MatterStatus::Done
        );
        // Late completion is still completion: a finished task past its due date is done.
        let late_but_finished = TaskProgress {
            start: None,
            due: days(-50),
            percent: Some(100),
        };
        assert_eq!(status(&[late_but_finished], &[]), MatterStatus::Done);
    }

    #[test]
    fn all_tasks_done_but_a_milestone_open_is_not_done() {
        let tasks = [task(Some(100)), task(Some(100))];
        assert_eq!(
            status(&tasks, &[milestone(days(60), None)]),
            MatterStatus::OnTrack
        );
        assert_eq!(
            status(&tasks, &[milestone(days(7), None)]),
            MatterStatus::AtRisk
        );
        assert_eq!(
            status(&tasks, &[milestone(days(-7), None)]),
            MatterStatus::Overdue
        );
    }

    #[test]
    fn a_milestone_completed_after_today_is_not_done_yet() {
        let tasks = [task(Some(100))];
        let later = milestone(days(-3), Some(days(2)));
        assert_eq!(
            status(&tasks, std::slice::from_ref(&later)),
            MatterStatus::Overdue
        );
        assert_eq!(
            matter_status(None, &tasks, &[later], days(2)),
            MatterStatus::Done
        );
    }

    #[test]
    fn one_task_short_of_100_is_not_done() {
        assert_eq!(
            status(&[task(Some(100)), task(Some(99))], &[]),
            MatterStatus::OnTrack
        );
    }

    #[test]
    fn overdue_beats_at_risk() {
        let overdue = TaskProgress {
            start: None,
            due: days(-1),
            percent: Some(90),
        };
        let at_risk = TaskProgress {
            start: None,
            due: days(5),
            percent: Some(10),
        };
        assert_eq!(status(&[at_risk], &[]), MatterStatus::AtRisk);
        assert_eq!(status(&[at_risk, overdue], &[]), MatterStatus::Overdue);
        // An overdue milestone beats an at-risk task too.
        assert_eq!(
            status(&[at_risk], &[milestone(days(-1), None)]),
            MatterStatus::Overdue
        );
    }

    #[test]
    fn due_today_is_not_yet_overdue() {
        let due_today = TaskProgress {
            start: None,
            due: TODAY,
            percent: Some(80),
        };
        assert_eq!(status(&[due_today], &[]), MatterStatus::OnTrack);
        assert_eq!(
            matter_status(None, &[due_today], &[], days(1)),
            MatterStatus::Overdue
        );
        assert_eq!(
            status(&[task(Some(60))], &[milestone(TODAY, None)]),
            MatterStatus::AtRisk
        );
    }

    #[test]
    fn behind_linear_schedule_by_more_than_the_slack_is_at_risk() {
        // 50 % expected today.
        assert_eq!(status(&[task(Some(24))], &[]), MatterStatus::AtRisk);
        assert_eq!(status(&[task(Some(25))], &[]), MatterStatus::OnTrack);
        assert_eq!(status(&[task(Some(50))], &[]), MatterStatus::OnTrack);
        assert_eq!(
            task(Some(24)).risk(None, TODAY),
            Some(TaskRisk::BehindSchedule)
        );
    }

    #[test]
    fn an_unreported_task_behind_schedule_puts_a_started_matter_at_risk() {
        assert_eq!(
            status(&[task(Some(60)), task(None)], &[]),
            MatterStatus::AtRisk
        );
    }

    #[test]
    fn the_matter_start_stands_in_for_a_missing_task_start() {
        let t = TaskProgress {
            start: None,
            due: days(100),
            percent: Some(10),
        };
        // No start anywhere: no schedule to be behind, and the due date is far.
        assert_eq!(matter_status(None, &[t], &[], TODAY), MatterStatus::OnTrack);
        // Matter started 100 days ago: 50 % expected, 10 % reported.
        assert_eq!(
            matter_status(Some(days(-100)), &[t], &[], TODAY),
            MatterStatus::AtRisk
        );
        // The task's own start wins over the matter's.
        let own = TaskProgress {
            start: Some(days(-10)),
            ..t
        };
        assert_eq!(
            matter_status(Some(days(-100)), &[own], &[], TODAY),
            MatterStatus::OnTrack
        );
    }

    #[test]
    fn before_its_start_a_task_is_not_behind() {
        let future = TaskProgress {
            start: Some(days(10)),
            due: days(200),
            percent: Some(1),
        };
        assert_eq!(status(&[future], &[]), MatterStatus::OnTrack);
    }

    #[test]
    fn due_within_30_days_below_75_percent_is_at_risk() {
        let at = |due, percent| TaskProgress {
            start: None,
            due,
            percent: Some(percent),
        };
        assert_eq!(status(&[at(days(30), 74)], &[]), MatterStatus::AtRisk);
        assert_eq!(status(&[at(days(30), 75)], &[]), MatterStatus::OnTrack);
        assert_eq!(status(&[at(days(31), 74)], &[]), MatterStatus::OnTrack);
        assert_eq!(at(days(30), 74).risk(None, TODAY), Some(TaskRisk::DueSoon));
    }

    #[test]
    fn a_milestone_due_within_14_days_is_at_risk() {
        let tasks = [task(Some(60))];
        assert_eq!(
            status(&tasks, &[milestone(days(14), None)]),
            MatterStatus::AtRisk
        );
        assert_eq!(
            status(&tasks, &[milestone(days(15), None)]),
            MatterStatus::OnTrack
        );
        assert_eq!(
            status(&tasks, &[milestone(days(3), Some(days(-1)))]),
            MatterStatus::OnTrack
        );
    }

    #[test]
    fn finished_tasks_never_raise_a_flag() {
        let finished = TaskProgress {
            start: Some(days(-100)),
            due: days(3),
            percent: Some(100),
        };
        assert_eq!(finished.risk(None, TODAY), None);
        assert!(!finished.is_overdue(days(10)));
        assert_eq!(
            status(&[finished, task(Some(50))], &[]),
            MatterStatus::OnTrack
        );
    }

    #[test]
    fn expected_percent_is_linear_and_clamped() {
        let (start, due) = (date!(2025 - 01 - 01), date!(2025 - 01 - 11));
        assert_eq!(expected_percent(start, due, date!(2024 - 12 - 01)), 0.0);
        assert_eq!(expected_percent(start, due, start), 0.0);
        assert_eq!(expected_percent(start, due, date!(2025 - 01 - 06)), 50.0);
        assert_eq!(expected_percent(start, due, due), 100.0);
        assert_eq!(expected_percent(start, due, date!(2026 - 01 - 01)), 100.0);
        // Degenerate spans expect everything on the due date.
        assert_eq!(expected_percent(due, start, date!(2024 - 12 - 31)), 0.0);
        assert_eq!(expected_percent(due, start, start), 100.0);
        assert_eq!(expected_percent(start, start, date!(2024 - 12 - 31)), 0.0);
        assert_eq!(expected_percent(start, start, start), 100.0);
    }
}
