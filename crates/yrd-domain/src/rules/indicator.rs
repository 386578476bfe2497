//! An indicator's status against its target trajectory.
//!
//! The trajectory is the straight-line path from the starting point through each target in
//! date order: the baseline if the indicator has one, else its earliest observation. The
//! latest observation is compared with where the path says the indicator should be on the
//! observation's date. Straight lines between dated points are what a reader of a plan assumes
//! ("2,000 km by 2025") and need no modelling assumptions of our own.
//!
//! Dates are compared by the last day they may denote: an observation for "2024" is the value
//! at the end of 2024, and a target "by 2025" is due at the end of 2025.
//!
//! Values are taken as stated: an observation qualified "more than" or "about" is judged on
//! its number, because guessing how much more would invent data.
//!
//! Categorical indicators (water quality classes I–V) are judged by class rank, index 0 being
//! the best class, whatever their `direction` says: the class list is ordered best first by
//! definition. Interpolating between classes yields a fractional rank, which is rounded to the
//! worse class, the lenient side: a river cannot be "half a class" better, and only a full
//! class short of the path counts as a shortfall.

use crate::{Direction, Indicator, Observation, PartialDate, Value};
use serde::{Deserialize, Serialize};

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

/// A numeric indicator short of its path by at most this percentage of the planned change
/// (|final target − start|) is at risk rather than off track: close enough that an ordinary
/// year can close the gap.
pub const AT_RISK_PERCENT_OF_PLANNED_CHANGE: f64 = 10.0;

/// A categorical indicator this many classes worse than its path is at risk; more is off
/// track.
pub const AT_RISK_CLASSES: usize = 1;

/// Relative tolerance for "meets the path": interpolation in floating point must not turn an
/// observation exactly on the path into a shortfall.
const ON_PATH_TOLERANCE: f64 = 1e-9;

/// The status together with what it was derived from, for pages that explain it
/// ("expected class IV by 2024, observed class II").
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct IndicatorAssessment {
    pub status: IndicatorStatus,
    /// Date of the observation judged; `None` when none was usable.
    pub observed_on: Option<PartialDate>,
    pub observed: Option<Value>,
    /// Where the trajectory says the indicator should be on `observed_on`: a number, or for a
    /// categorical indicator the class after rounding to the lenient side.
    pub expected: Option<Value>,
}

impl IndicatorAssessment {
    fn bare(status: IndicatorStatus) -> IndicatorAssessment {
        IndicatorAssessment {
            status,
            observed_on: None,
            observed: None,
            expected: None,
        }
    }
}

/// Whether an observation is about the indicator's own scope, rather than a member's share of
/// a regional indicator or one monitoring site of it.
pub fn is_own_scope(observation: &Observation) -> bool {
    observation.jurisdiction.is_none() && observation.site.is_none()
}

/// Whether the indicator is categorical (has class labels).
pub fn is_categorical(indicator: &Indicator) -> bool {
    !indicator.classes.is_empty()
}

/// The rank of a class label (0 = best), `None` for a label the indicator does not define.
pub fn class_rank(indicator: &Indicator, label: &str) -> Option<usize> {
    indicator.classes.iter().position(|c| c == label)
}

/// How many classes a categorical indicator improved going from class `from` to class `to`:
/// positive for better, negative for worse, `None` if either label is not one of the
/// indicator's classes. Class IV → II on a I–V scale is `Some(2)`.
pub fn class_change(indicator: &Indicator, from: &str, to: &str) -> Option<i32> {
    let from = i32::try_from(class_rank(indicator, from)?).ok()?;
    let to = i32::try_from(class_rank(indicator, to)?).ok()?;
    Some(from - to)
}

/// A value as a point on the indicator's scale: the number itself, or a class's rank.
/// `None` for a value the indicator cannot use: a class label on a numeric indicator, a number
/// or an unknown label on a categorical one, or a non-finite number. Such values are skipped
/// rather than failing the whole indicator, since one bad record should not hide the others.
fn level(indicator: &Indicator, value: &Value) -> Option<f64> {
    match (is_categorical(indicator), value) {
        (false, Value::Number(n)) if n.is_finite() => Some(*n),
        (true, Value::Class(label)) => class_rank(indicator, label).map(|r| r as f64),
        _ => None,
    }
}

/// A dated point of the trajectory, as a day number for interpolation.
#[derive(Clone, Copy, Debug)]
struct Point {
    day: i32,
    level: f64,
}

fn day(date: PartialDate) -> i32 {
    date.last_day().to_julian_day()
}

/// The trajectory's level on `day`: flat before the first point and after the last one, linear
/// in days between consecutive points. `points` is sorted by day and not empty.
fn interpolate(points: &[Point], day: i32) -> f64 {
    let (Some(first), Some(last)) = (points.first(), points.last()) else {
        return f64::NAN;
    };
    if day < first.day {
        return first.level;
    }
    if day >= last.day {
        return last.level;
    }
    for pair in points.windows(2) {
        let (a, b) = (pair[0], pair[1]);
        if a.day <= day && day < b.day {
            let fraction = f64::from(day - a.day) / f64::from(b.day - a.day);
            return a.level + (b.level - a.level) * fraction;
        }
    }
    last.level
}

struct Trajectory {
    points: Vec<Point>,
    start: f64,
    /// The latest target's level.
    end: f64,
}

impl Trajectory {
    /// The baseline (if usable, else `fallback_start`) and the usable targets in date order;
    /// `None` without a usable target or start.
    fn new(
        indicator: &Indicator,
        fallback_start: Option<(PartialDate, &Value)>,
    ) -> Option<Trajectory> {
        let mut targets: Vec<Point> = indicator
            .targets
            .iter()
            .filter_map(|t| {
                Some(Point {
                    day: day(t.date),
                    level: level(indicator, &t.value)?,
                })
            })
            .collect();
        targets.sort_by_key(|p| p.day);
        let end = targets.last()?.level;
        let start = indicator
            .baseline
            .as_ref()
            .and_then(|b| {
                Some(Point {
                    day: day(b.date),
                    level: level(indicator, &b.value)?,
                })
            })
            .or_else(|| {
                let (date, value) = fallback_start?;
                Some(Point {
                    day: day(date),
                    level: level(indicator, value)?,
                })
            })?;
        let mut points = vec![start];
        points.extend(targets);
        // Stable: a start dated like a target stays before it, so the target wins from then on.
        points.sort_by_key(|p| p.day);
        Some(Trajectory {
            points,
            start: start.level,
            end,
        })
    }

    fn level_on(&self, day: i32) -> f64 {
        interpolate(&self.points, day)
    }

    /// A categorical level rounded to the lenient (worse) class.
    fn lenient_rank(indicator: &Indicator, level: f64) -> usize {
        let worst = indicator.classes.len().saturating_sub(1);
        let rank = (level - ON_PATH_TOLERANCE).ceil().max(0.0);
        // Ranks are small non-negative whole numbers here, so the cast is exact.
        (rank as usize).min(worst)
    }

    fn value_of(&self, indicator: &Indicator, level: f64) -> Value {
        if is_categorical(indicator) {
            let rank = Self::lenient_rank(indicator, level);
            indicator
                .classes
                .get(rank)
                .map_or(Value::Number(level), |c| Value::Class(c.clone()))
        } else {
            Value::Number(level)
        }
    }
}

/// Judges an observed level against the expected one.
fn judge(
    indicator: &Indicator,
    trajectory: &Trajectory,
    observed: f64,
    expected: f64,
) -> IndicatorStatus {
    if is_categorical(indicator) {
        let expected_rank = Trajectory::lenient_rank(indicator, expected);
        // Observed levels of categorical indicators are ranks, whole and non-negative.
        let classes_worse = (observed as usize).saturating_sub(expected_rank);
        return match classes_worse {
            0 => IndicatorStatus::OnTrack,
            n if n <= AT_RISK_CLASSES => IndicatorStatus::AtRisk,
            _ => IndicatorStatus::OffTrack,
        };
    }
    let shortfall = match indicator.direction {
        Direction::HigherIsBetter => expected - observed,
        Direction::LowerIsBetter => observed - expected,
        Direction::Neutral => return IndicatorStatus::NoTarget,
    };
    if shortfall <= ON_PATH_TOLERANCE * expected.abs().max(1.0) {
        return IndicatorStatus::OnTrack;
    }
    let planned_change = (trajectory.end - trajectory.start).abs();
    // With no change planned (hold the level), there is no scale for "close": any shortfall
    // is a miss.
    if planned_change > 0.0
        && shortfall <= planned_change * AT_RISK_PERCENT_OF_PLANNED_CHANGE / 100.0
    {
        IndicatorStatus::AtRisk
    } else {
        IndicatorStatus::OffTrack
    }
}

/// Derives the status with its evidence from the latest usable observation of the indicator's
/// own scope (see the module documentation for the rule).
///
/// * `NoTarget` for a numeric indicator with a neutral direction, or one without a usable
///   target: there is nothing to judge against. This is checked first, so a context-only
///   indicator never shows as lacking data.
/// * `NoData` when no observation of the indicator's own scope is usable. Observations of other
///   indicators (by key), of a member's share or of a site are not the indicator's own value.
/// * Of several observations with the same last day, the more precise date wins
///   (`2024-12-31` over `2024`), then the later one in the list (a later record corrects an
///   earlier one).
pub fn assess_indicator(
    indicator: &Indicator,
    observations: &[Observation],
) -> IndicatorAssessment {
    if !is_categorical(indicator) && indicator.direction == Direction::Neutral {
        return IndicatorAssessment::bare(IndicatorStatus::NoTarget);
    }
    if !indicator
        .targets
        .iter()
        .any(|t| level(indicator, &t.value).is_some())
    {
        return IndicatorAssessment::bare(IndicatorStatus::NoTarget);
    }
    let usable: Vec<(&Observation, f64)> = observations
        .iter()
        .filter(|o| o.indicator == indicator.key && is_own_scope(o))
        .filter_map(|o| Some((o, level(indicator, &o.value)?)))
        .collect();
    let by_date = |(o, _): &&(&Observation, f64)| (o.date.last_day(), o.date);
    let (Some(&(latest, observed)), Some(&(earliest, _))) = (
        usable.iter().max_by_key(by_date),
        usable.iter().min_by_key(by_date),
    ) else {
        return IndicatorAssessment::bare(IndicatorStatus::NoData);
    };
    let Some(trajectory) = Trajectory::new(indicator, Some((earliest.date, &earliest.value)))
    else {
        return IndicatorAssessment::bare(IndicatorStatus::NoTarget);
    };
    let expected = trajectory.level_on(day(latest.date));
    IndicatorAssessment {
        status: judge(indicator, &trajectory, observed, expected),
        observed_on: Some(latest.date),
        observed: Some(latest.value.clone()),
        expected: Some(trajectory.value_of(indicator, expected)),
    }
}

/// Derives the status from the latest observation of the indicator's own scope.
pub fn indicator_status(indicator: &Indicator, observations: &[Observation]) -> IndicatorStatus {
    assess_indicator(indicator, observations).status
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{AdminCode, Qualifier, Scope, Target, Text};

    fn date(s: &str) -> PartialDate {
        s.parse().unwrap()
    }

    fn target(d: &str, value: Value) -> Target {
        Target {
            date: date(d),
            value,
            source: String::new(),
        }
    }

    fn num(n: f64) -> Value {
        Value::Number(n)
    }

    fn class(c: &str) -> Value {
        Value::Class(c.to_owned())
    }

    fn numeric(direction: Direction, baseline: Option<Target>, targets: Vec<Target>) -> Indicator {
        Indicator {
            key: "railway-km".into(),
            name: Text::default(),
            description: Text::default(),
            unit: Text::new("km", "km"),
            classes: Vec::new(),
            direction,
            scope: Scope::Zone("yrd".into()),
            baseline,
            targets,
            source: String::new(),
        }
    }

    /// 100 on 2024-01-01, 200 by 2024-01-11: 150 expected on 2024-01-06, at-risk band 10.
    fn mileage() -> Indicator {
        numeric(
            Direction::HigherIsBetter,
            Some(target("2024-01-01", num(100.0))),
            vec![target("2024-01-11", num(200.0))],
        )
    }

    fn taipu() -> Indicator {
        Indicator {
            key: "taipu-water-class".into(),
            name: Text::default(),
            description: Text::default(),
            unit: Text::default(),
            classes: ["I", "II", "III", "IV", "V"].map(String::from).to_vec(),
            direction: Direction::HigherIsBetter,
            scope: Scope::Site("taipu-river".into()),
            baseline: Some(target("2018", class("IV"))),
            targets: vec![target("2025", class("III"))],
            source: String::new(),
        }
    }

    fn obs(indicator: &Indicator, d: &str, value: Value) -> Observation {
        Observation {
            key: format!("{}-{d}", indicator.key),
            indicator: indicator.key.clone(),
            date: date(d),
            value,
            jurisdiction: None,
            site: None,
            qualifier: Qualifier::Exact,
            note: Text::default(),
            source: String::new(),
        }
    }

    fn status_of(indicator: &Indicator, observed: &[(&str, Value)]) -> IndicatorStatus {
        let observations: Vec<Observation> = observed
            .iter()
            .map(|(d, v)| obs(indicator, d, v.clone()))
            .collect();
        indicator_status(indicator, &observations)
    }

    #[test]
    fn taipu_improved_two_classes_beats_its_target() {
        let taipu = taipu();
        let observations = [
            obs(&taipu, "2020", class("III")),
            obs(&taipu, "2024", class("II")),
        ];
        let assessment = assess_indicator(&taipu, &observations);
        assert_eq!(assessment.status, IndicatorStatus::OnTrack);
        assert_eq!(assessment.observed_on, Some(date("2024")));
        assert_eq!(assessment.observed, Some(class("II")));
        // Between IV (2018) and III (2025) the path is still in class IV by the lenient rounding.
        assert_eq!(assessment.expected, Some(class("IV")));
        assert_eq!(class_change(&taipu, "IV", "II"), Some(2));
    }

    #[test]
    fn class_change_signs_and_unknown_labels() {
        let taipu = taipu();
        assert_eq!(class_change(&taipu, "II", "IV"), Some(-2));
        assert_eq!(class_change(&taipu, "III", "III"), Some(0));
        assert_eq!(class_change(&taipu, "V", "I"), Some(4));
        assert_eq!(class_change(&taipu, "IV", "VI"), None);
        assert_eq!(class_change(&taipu, "劣V", "II"), None);
        assert_eq!(class_change(&mileage(), "IV", "II"), None);
        assert_eq!(class_rank(&taipu, "I"), Some(0));
    }

    #[test]
    fn categorical_one_class_behind_is_at_risk_two_is_off_track() {
        let mut river = taipu();
        river.baseline = Some(target("2020", class("IV")));
        river.targets = vec![target("2025", class("II"))];
        // At the target date the path is exactly class II.
        assert_eq!(
            status_of(&river, &[("2025", class("II"))]),
            IndicatorStatus::OnTrack
        );
        assert_eq!(
            status_of(&river, &[("2025", class("III"))]),
            IndicatorStatus::AtRisk
        );
        assert_eq!(
            status_of(&river, &[("2025", class("IV"))]),
            IndicatorStatus::OffTrack
        );
        assert_eq!(
            status_of(&river, &[("2025", class("V"))]),
            IndicatorStatus::OffTrack
        );
        // After the final target the path stays at class II.
        assert_eq!(
            status_of(&river, &[("2030", class("III"))]),
            IndicatorStatus::AtRisk
        );
    }

    #[test]
    fn categorical_expected_rank_rounds_to_the_lenient_side() {
        let mut river = taipu();
        river.baseline = Some(target("2024-01-01", class("IV")));
        river.targets = vec![target("2024-01-11", class("II"))];
        // Halfway (rank 2.0) the path is class III; a bit later (rank 1.8) still III, not II.
        let a = assess_indicator(&river, &[obs(&river, "2024-01-06", class("III"))]);
        assert_eq!(
            (a.status, a.expected),
            (IndicatorStatus::OnTrack, Some(class("III")))
        );
        let a = assess_indicator(&river, &[obs(&river, "2024-01-07", class("III"))]);
        assert_eq!(
            (a.status, a.expected),
            (IndicatorStatus::OnTrack, Some(class("III")))
        );
        // One day before the end (rank 1.2) the path still allows class III …
        assert_eq!(
            status_of(&river, &[("2024-01-10", class("III"))]),
            IndicatorStatus::OnTrack
        );
        // … and on the target day it does not.
        assert_eq!(
            status_of(&river, &[("2024-01-11", class("III"))]),
            IndicatorStatus::AtRisk
        );
    }

    #[test]
    fn categorical_ignores_direction() {
        let mut river = taipu();
        river.direction = Direction::LowerIsBetter;
        assert_eq!(
            status_of(&river, &[("2025", class("II"))]),
            IndicatorStatus::OnTrack
        );
        river.direction = Direction::Neutral;
        assert_eq!(
            status_of(&river, &[("2025", class("II"))]),
            IndicatorStatus::OnTrack
        );
        assert_eq!(
            status_of(&river, &[("2025", class("V"))]),
            IndicatorStatus::OffTrack
        );
    }

    #[test]
    fn unusable_categorical_observations_are_skipped() {
        let taipu = taipu();
        // The later observations carry an unknown label and a number: the 2023 class V counts.
        let observations = [
            obs(&taipu, "2023", class("V")),
            obs(&taipu, "2024", class("VI")),
            obs(&taipu, "2024-06", num(2.0)),
        ];
        let a = assess_indicator(&taipu, &observations);
        assert_eq!(a.observed_on, Some(date("2023")));
        // Class V against a path still in class IV: one class short.
        assert_eq!(a.status, IndicatorStatus::AtRisk);
        // Nothing usable at all is no data.
        assert_eq!(
            status_of(&taipu, &[("2024", class("ii"))]),
            IndicatorStatus::NoData
        );
    }

    #[test]
    fn numeric_higher_is_better() {
        let m = mileage();
        let a = assess_indicator(&m, &[obs(&m, "2024-01-06", num(150.0))]);
        assert_eq!(a.status, IndicatorStatus::OnTrack);
        assert_eq!(a.expected, Some(num(150.0)));
        assert_eq!(
            status_of(&m, &[("2024-01-06", num(170.0))]),
            IndicatorStatus::OnTrack
        );
        assert_eq!(
            status_of(&m, &[("2024-01-06", num(141.0))]),
            IndicatorStatus::AtRisk
        );
        assert_eq!(
            status_of(&m, &[("2024-01-06", num(140.0))]),
            IndicatorStatus::AtRisk
        );
        assert_eq!(
            status_of(&m, &[("2024-01-06", num(139.0))]),
            IndicatorStatus::OffTrack
        );
    }

    #[test]
    fn numeric_lower_is_better() {
        // PM2.5 from 40 to 30 µg/m³: 35 expected halfway, at-risk band 1.
        let pm = numeric(
            Direction::LowerIsBetter,
            Some(target("2024-01-01", num(40.0))),
            vec![target("2024-01-11", num(30.0))],
        );
        assert_eq!(
            status_of(&pm, &[("2024-01-06", num(33.0))]),
            IndicatorStatus::OnTrack
        );
        assert_eq!(
            status_of(&pm, &[("2024-01-06", num(35.0))]),
            IndicatorStatus::OnTrack
        );
        assert_eq!(
            status_of(&pm, &[("2024-01-06", num(36.0))]),
            IndicatorStatus::AtRisk
        );
        assert_eq!(
            status_of(&pm, &[("2024-01-06", num(37.0))]),
            IndicatorStatus::OffTrack
        );
        // The same numbers read the other way round for a higher-is-better indicator.
        let mut more = pm.clone();
        more.direction = Direction::HigherIsBetter;
        assert_eq!(
            status_of(&more, &[("2024-01-06", num(37.0))]),
            IndicatorStatus::OnTrack
        );
        assert_eq!(
            status_of(&more, &[("2024-01-06", num(33.0))]),
            IndicatorStatus::OffTrack
        );
    }

    #[test]
    fn before_the_first_point_the_path_is_flat() {
        // Baseline 100 at the end of 2020, 200 by 2025. A 2019 value is held to 100,
        // not to a back-extrapolated 80.
        let m = numeric(
            Direction::HigherIsBetter,
            Some(target("2020", num(100.0))),
            vec![target("2025", num(200.0))],
        );
        let a = assess_indicator(&m, &[obs(&m, "2019", num(95.0))]);
        assert_eq!(a.expected, Some(num(100.0)));
        assert_eq!(a.status, IndicatorStatus::AtRisk);
        assert_eq!(
            status_of(&m, &[("2019", num(100.0))]),
            IndicatorStatus::OnTrack
        );
        assert_eq!(
            status_of(&m, &[("2019", num(85.0))]),
            IndicatorStatus::OffTrack
        );
    }

    #[test]
    fn after_the_final_target_the_path_stays_at_it() {
        let m = numeric(
            Direction::HigherIsBetter,
            Some(target("2020", num(100.0))),
            vec![target("2025", num(200.0))],
        );
        let a = assess_indicator(&m, &[obs(&m, "2027", num(200.0))]);
        assert_eq!(a.expected, Some(num(200.0)));
        assert_eq!(a.status, IndicatorStatus::OnTrack);
        assert_eq!(
            status_of(&m, &[("2027", num(195.0))]),
            IndicatorStatus::AtRisk
        );
        assert_eq!(
            status_of(&m, &[("2027", num(150.0))]),
            IndicatorStatus::OffTrack
        );
    }

    #[test]
    fn several_targets_are_sorted_and_joined_piece_by_piece() {
        // Given out of order: 0 → 100 in ten days, then flat for ten days, then 200.
        let m = numeric(
            Direction::HigherIsBetter,
            Some(target("2024-01-01", num(0.0))),
            vec![
                target("2024-01-31", num(200.0)),
                target("2024-01-11", num(100.0)),
                target("2024-01-21", num(100.0)),
            ],
        );
        let expected = |d: &str| assess_indicator(&m, &[obs(&m, d, num(0.0))]).expected;
        assert_eq!(expected("2024-01-06"), Some(num(50.0)));
        assert_eq!(expected("2024-01-16"), Some(num(100.0)));
        assert_eq!(expected("2024-01-26"), Some(num(150.0)));
        // The planned change runs from the start to the final target (200), band 20.
        assert_eq!(
            status_of(&m, &[("2024-01-16", num(81.0))]),
            IndicatorStatus::AtRisk
        );
        assert_eq!(
            status_of(&m, &[("2024-01-16", num(79.0))]),
            IndicatorStatus::OffTrack
        );
    }

    #[test]
    fn without_a_baseline_the_earliest_observation_starts_the_path() {
        let m = numeric(
            Direction::HigherIsBetter,
            None,
            vec![target("2024-01-11", num(200.0))],
        );
        let observations = [
            obs(&m, "2024-01-06", num(150.0)),
            obs(&m, "2024-01-01", num(100.0)),
        ];
        let a = assess_indicator(&m, &observations);
        assert_eq!(a.observed_on, Some(date("2024-01-06")));
        assert_eq!(a.expected, Some(num(150.0)));
        assert_eq!(a.status, IndicatorStatus::OnTrack);
        // A single observation is its own start: on the path by definition before the target.
        assert_eq!(
            status_of(&m, &[("2024-01-06", num(10.0))]),
            IndicatorStatus::OnTrack
        );
    }

    #[test]
    fn an_unusable_baseline_falls_back_to_the_earliest_observation() {
        let mut m = mileage();
        m.baseline = Some(target("2024-01-01", class("IV")));
        let observations = [
            obs(&m, "2024-01-01", num(0.0)),
            obs(&m, "2024-01-06", num(100.0)),
        ];
        assert_eq!(
            assess_indicator(&m, &observations).expected,
            Some(num(100.0))
        );
    }

    #[test]
    fn no_planned_change_makes_any_shortfall_off_track() {
        let hold = numeric(
            Direction::HigherIsBetter,
            Some(target("2020", num(100.0))),
            vec![target("2025", num(100.0))],
        );
        assert_eq!(
            status_of(&hold, &[("2023", num(100.0))]),
            IndicatorStatus::OnTrack
        );
        assert_eq!(
            status_of(&hold, &[("2023", num(99.9))]),
            IndicatorStatus::OffTrack
        );
    }

    #[test]
    fn the_latest_observation_is_judged_by_its_last_day() {
        let m = numeric(
            Direction::HigherIsBetter,
            Some(target("2020", num(100.0))),
            vec![target("2021", num(200.0))],
        );
        // "2021" ends on 2021-12-31, after "2021-06-30": the yearly value is the latest.
        let a = assess_indicator(
            &m,
            &[obs(&m, "2021", num(200.0)), obs(&m, "2021-06-30", num(0.0))],
        );
        assert_eq!(a.observed_on, Some(date("2021")));
        assert_eq!(a.status, IndicatorStatus::OnTrack);
        // Same last day: the more precise date wins.
        let a = assess_indicator(
            &m,
            &[
                obs(&m, "2021-12-31", num(50.0)),
                obs(&m, "2021", num(200.0)),
            ],
        );
        assert_eq!(a.observed_on, Some(date("2021-12-31")));
        assert_eq!(a.status, IndicatorStatus::OffTrack);
    }

    #[test]
    fn no_data_without_own_scope_observations() {
        let m = mileage();
        assert_eq!(indicator_status(&m, &[]), IndicatorStatus::NoData);
        let mut member = obs(&m, "2024-01-06", num(150.0));
        member.jurisdiction = Some("320000".parse::<AdminCode>().unwrap());
        let mut site = obs(&m, "2024-01-06", num(150.0));
        site.site = Some("station-1".into());
        let mut other = obs(&m, "2024-01-06", num(150.0));
        other.indicator = "another".into();
        assert_eq!(
            indicator_status(&m, &[member.clone(), site, other]),
            IndicatorStatus::NoData
        );
        // A member's value does not shadow an older value of the indicator itself.
        let own = obs(&m, "2024-01-02", num(100.0));
        let a = assess_indicator(&m, &[own, member]);
        assert_eq!(a.observed_on, Some(date("2024-01-02")));
        // Class labels on a numeric indicator are not usable either.
        assert_eq!(
            status_of(&m, &[("2024-01-06", class("II"))]),
            IndicatorStatus::NoData
        );
    }

    #[test]
    fn neutral_numeric_indicators_have_no_target() {
        let mut m = mileage();
        m.direction = Direction::Neutral;
        assert_eq!(
            status_of(&m, &[("2024-01-06", num(150.0))]),
            IndicatorStatus::NoTarget
        );
        assert_eq!(indicator_status(&m, &[]), IndicatorStatus::NoTarget);
    }

    #[test]
    fn no_target_comes_before_no_data() {
        let m = numeric(
            Direction::HigherIsBetter,
            Some(target("2020", num(1.0))),
            Vec::new(),
        );
        assert_eq!(indicator_status(&m, &[]), IndicatorStatus::NoTarget);
        assert_eq!(
            status_of(&m, &[("2024", num(5.0))]),
            IndicatorStatus::NoTarget
        );
        // Targets the indicator cannot read do not count as targets.
        let mut river = taipu();
        river.targets = vec![target("2025", class("Class III"))];
        assert_eq!(
            status_of(&river, &[("2024", class("II"))]),
            IndicatorStatus::NoTarget
        );
    }
}
