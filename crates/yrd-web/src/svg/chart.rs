//! An indicator's chart: its observations over time as a line with markers, its baseline as a
//! hollow square, and the target trajectory as a dashed line from the baseline to a hollow
//! diamond at the target (or the diamond alone when there is no baseline). Solid against
//! dashed and circle against square against diamond carry the distinctions, not colour alone.
//!
//! The y scale is either linear, with round ticks (1, 2 or 5 × 10ⁿ apart) that always cover
//! the data, or categorical — ordered classes such as water-quality classes I–V — drawn one
//! row per class, the first (best) at the top.

use super::{BLUE, GRID, INK, MUTED, NO_DATA, Svg, VERMILION, WHITE, num, text_width_em};

/// How the y axis maps values.
#[derive(Debug, Clone, PartialEq)]
pub enum Scale {
    /// Values as numbers.
    Linear,
    /// Values are indices into these classes (0 = the first), drawn top (best) to bottom —
    /// e.g. water-quality classes `I`..`V`. Fractional indices fall between rows; indices
    /// outside the classes are clamped to the outermost rows. No classes means linear.
    Categories(Vec<String>),
}

/// What [`chart`] draws.
#[derive(Debug, Clone, PartialEq)]
pub struct ChartSpec {
    /// The id prefix for the graphic's own ids.
    pub id: String,
    pub title: String,
    pub description: String,
    /// The unit, shown above the y axis (e.g. `%`, `亿元`). Empty for none.
    pub unit: String,
    /// `(x, y, label)`: x is a fractional year (or any number when `x_label_years` is false),
    /// y the value (a class index for [`Scale::Categories`]), the label the marker's tooltip
    /// (e.g. `2024: 12.5`). Need not be sorted; non-finite points are left out.
    pub observations: Vec<(f64, f64, String)>,
    /// `(x, y)` of the baseline.
    pub baseline: Option<(f64, f64)>,
    /// `(x, y)` of the target.
    pub target: Option<(f64, f64)>,
    pub scale: Scale,
    /// Whether x is a year: ticks fall on whole years and read as years.
    pub x_label_years: bool,
}

const WIDTH: f64 = 640.0;
const HEIGHT: f64 = 320.0;
const TOP: f64 = 32.0;
const RIGHT: f64 = 28.0;
const BOTTOM: f64 = 36.0;
const FONT: f64 = 12.0;

/// The most ticks an axis gets.
const MAX_TICKS: usize = 8;

/// A round step near `raw`: 1, 2 or 5 × 10ⁿ, at least `raw`.
fn nice_step(raw: f64) -> f64 {
    let magnitude = 10f64.powf(raw.log10().floor());
    let f = raw / magnitude;
    let nice = if f <= 1.0 {
        1.0
    } else if f <= 2.0 {
        2.0
    } else if f <= 5.0 {
        5.0
    } else {
        10.0
    };
    nice * magnitude
}

/// Decimals needed to print multiples of `step`.
fn decimals(step: f64) -> usize {
    (-step.log10().floor()).max(0.0) as usize
}

/// Round ticks covering `lo..=hi`: returns the ticks (first ≤ `lo`, last ≥ `hi`) and the
/// decimals to print them with. An empty range is widened by 10 % of the value (±1 at zero).
fn linear_ticks(lo: f64, hi: f64) -> (Vec<f64>, usize) {
    let (lo, hi) = if hi > lo {
        (lo, hi)
    } else if lo == 0.0 {
        (-1.0, 1.0)
    } else {
        (lo - lo.abs() * 0.1, hi + hi.abs() * 0.1)
    };
    let mut step = nice_step((hi - lo) / 5.0);
    loop {
        let first = (lo / step).floor();
        let last = (hi / step).ceil();
        let count = (last - first) as usize + 1;
        if count <= MAX_TICKS {
            // Multiply rather than accumulate, so the ticks carry no drift.
            let ticks = (0..count).map(|i| (first + i as f64) * step).collect();
            return (ticks, decimals(step));
        }
        step = nice_step(step * 1.01);
    }
}

/// Whole-year ticks within `lo..=hi`, at most [`MAX_TICKS`], on multiples of a round step.
fn year_ticks(lo: f64, hi: f64) -> Vec<f64> {
    let (first, last) = (lo.ceil(), hi.floor());
    let mut step = 1.0;
    for s in [1.0, 2.0, 5.0, 10.0, 20.0, 50.0, 100.0] {
        step = s;
        let count = ((last / s).floor() - (first / s).ceil() + 1.0).max(0.0) as usize;
        if count <= MAX_TICKS {
            break;
        }
    }
    let from = (first / step).ceil() as i64;
    let to = (last / step).floor() as i64;
    (from..=to).map(|k| k as f64 * step).collect()
}

/// A value for a tooltip: whole numbers without decimals, others with up to two.
fn value_text(v: f64) -> String {
    let s = format!("{v:.2}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" { "0".into() } else { s.into() }
}

fn tick_text(v: f64, decimals: usize) -> String {
    let s = format!("{v:.decimals$}");
    // "-0" and "-0.0" read as zero.
    if s.trim_start_matches('-')
        .chars()
        .all(|c| c == '0' || c == '.')
    {
        s.trim_start_matches('-').to_string()
    } else {
        s
    }
}

/// The y axis: how values map to positions, and the labelled ticks.
struct YAxis {
    /// Value at the top and at the bottom of the plot.
    top: f64,
    bottom: f64,
    /// `(value, label)` for each tick or row.
    ticks: Vec<(f64, String)>,
    categorical: bool,
}

impl YAxis {
    fn new(scale: &Scale, values: &[f64]) -> YAxis {
        match scale {
            Scale::Categories(classes) if !classes.is_empty() => YAxis {
                top: -0.5,
                bottom: classes.len() as f64 - 0.5,
                ticks: classes
                    .iter()
                    .enumerate()
                    .map(|(i, c)| (i as f64, c.clone()))
                    .collect(),
                categorical: true,
            },
            _ => {
                let lo = values.iter().cloned().fold(f64::INFINITY, f64::min);
                let hi = values.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
                let (lo, hi) = if lo.is_finite() { (lo, hi) } else { (0.0, 1.0) };
                let (ticks, d) = linear_ticks(lo, hi);
                YAxis {
                    top: *ticks.last().unwrap(),
                    bottom: ticks[0],
                    ticks: ticks.iter().map(|&t| (t, tick_text(t, d))).collect(),
                    categorical: false,
                }
            }
        }
    }

    /// `v` clamped to the axis.
    fn clamp(&self, v: f64) -> f64 {
        let (lo, hi) = if self.top < self.bottom {
            (self.top, self.bottom)
        } else {
            (self.bottom, self.top)
        };
        if self.categorical {
            v.clamp(lo + 0.5, hi - 0.5)
        } else {
            v.clamp(lo, hi)
        }
    }

    /// The tooltip text of value `v`: the class for categories, the number otherwise.
    fn describe(&self, v: f64) -> String {
        if self.categorical {
            let i = self.clamp(v).round() as usize;
            self.ticks[i].1.clone()
        } else {
            value_text(v)
        }
    }
}

/// The chart of `spec`, as an SVG document (see the module documentation).
pub fn chart(spec: &ChartSpec) -> String {
    let finite = |x: f64, y: f64| x.is_finite() && y.is_finite();
    let mut observations: Vec<&(f64, f64, String)> = spec
        .observations
        .iter()
        .filter(|(x, y, _)| finite(*x, *y))
        .collect();
    observations.sort_by(|a, b| a.0.total_cmp(&b.0));
    let baseline = spec.baseline.filter(|&(x, y)| finite(x, y));
    let target = spec.target.filter(|&(x, y)| finite(x, y));
    let points: Vec<(f64, f64)> = observations
        .iter()
        .map(|(x, y, _)| (*x, *y))
        .chain(baseline)
        .chain(target)
        .collect();

    let y_axis = YAxis::new(&spec.scale, &points.iter().map(|p| p.1).collect::<Vec<_>>());
    let label_width = y_axis
        .ticks
        .iter()
        .map(|(_, l)| text_width_em(l) * FONT)
        .fold(0.0, f64::max);
    let left = (label_width + 14.0).clamp(40.0, WIDTH / 3.0);
    let (plot_left, plot_right) = (left, WIDTH - RIGHT);
    let (plot_top, plot_bottom) = (TOP, HEIGHT - BOTTOM);

    // The x domain: padded half a year (or 5 %) so no marker sits on an axis.
    let x_lo = points.iter().map(|p| p.0).fold(f64::INFINITY, f64::min);
    let x_hi = points.iter().map(|p| p.0).fold(f64::NEG_INFINITY, f64::max);
    let (x_ticks, x_min, x_max): (Vec<(f64, String)>, f64, f64) = if points.is_empty() {
        (Vec::new(), 0.0, 1.0)
    } else if spec.x_label_years {
        let (lo, hi) = (x_lo - 0.5, x_hi + 0.5);
        let ticks = year_ticks(lo, hi);
        (
            ticks.iter().map(|&t| (t, format!("{t:.0}"))).collect(),
            lo,
            hi,
        )
    } else {
        let (ticks, d) = linear_ticks(x_lo, x_hi);
        let (lo, hi) = (ticks[0], *ticks.last().unwrap());
        (
            ticks.iter().map(|&t| (t, tick_text(t, d))).collect(),
            lo,
            hi,
        )
    };
    let sx = |x: f64| plot_left + (x - x_min) / (x_max - x_min) * (plot_right - plot_left);
    let sy = |y: f64| {
        let y = y_axis.clamp(y);
        plot_top + (y - y_axis.top) / (y_axis.bottom - y_axis.top) * (plot_bottom - plot_top)
    };
    let x_text = |x: f64| {
        if spec.x_label_years && x.fract() == 0.0 {
            format!("{x:.0}")
        } else {
            value_text(x)
        }
    };

    let mut svg = Svg::new(
        &spec.id,
        &spec.title,
        &spec.description,
        WIDTH,
        HEIGHT,
        false,
    );

    // The unit, above the y axis labels.
    if !spec.unit.is_empty() {
        svg.text(
            4.0,
            plot_top - 14.0,
            "start",
            &[("fill", MUTED), ("font-size", &num(FONT))],
            &spec.unit,
        );
    }

    // Horizontal grid lines and y labels (rows, for categories).
    if !points.is_empty() || y_axis.categorical {
        svg.open("g", &[("font-size", &num(FONT)), ("fill", INK)]);
        for (value, label) in &y_axis.ticks {
            let y = sy(*value);
            let zero = !y_axis.categorical && *value == 0.0 && y_axis.bottom < 0.0;
            svg.empty(
                "line",
                &[
                    ("x1", &num(plot_left)),
                    ("x2", &num(plot_right)),
                    ("y1", &num(y)),
                    ("y2", &num(y)),
                    ("stroke", if zero { MUTED } else { GRID }),
                    ("stroke-width", "1"),
                ],
            );
            svg.text(plot_left - 6.0, y + 4.0, "end", &[], label);
        }
        svg.close("g");
    }

    // The x axis, its ticks and labels.
    svg.empty(
        "line",
        &[
            ("x1", &num(plot_left)),
            ("x2", &num(plot_right)),
            ("y1", &num(plot_bottom)),
            ("y2", &num(plot_bottom)),
            ("stroke", MUTED),
            ("stroke-width", "1"),
        ],
    );
    svg.empty(
        "line",
        &[
            ("x1", &num(plot_left)),
            ("x2", &num(plot_left)),
            ("y1", &num(plot_top)),
            ("y2", &num(plot_bottom)),
            ("stroke", MUTED),
            ("stroke-width", "1"),
        ],
    );
    if !x_ticks.is_empty() {
        svg.open("g", &[("font-size", &num(FONT)), ("fill", INK)]);
        for (value, label) in &x_ticks {
            let x = sx(*value);
            svg.empty(
                "line",
                &[
                    ("x1", &num(x)),
                    ("x2", &num(x)),
                    ("y1", &num(plot_bottom)),
                    ("y2", &num(plot_bottom + 5.0)),
                    ("stroke", MUTED),
                    ("stroke-width", "1"),
                ],
            );
            svg.text(x, plot_bottom + 19.0, "middle", &[], label);
        }
        svg.close("g");
    }

    // The target trajectory, baseline and target.
    if let (Some((bx, by)), Some((tx, ty))) = (baseline, target) {
        svg.empty(
            "line",
            &[
                ("x1", &num(sx(bx))),
                ("y1", &num(sy(by))),
                ("x2", &num(sx(tx))),
                ("y2", &num(sy(ty))),
                ("stroke", VERMILION),
                ("stroke-width", "2"),
                ("stroke-dasharray", "6 4"),
            ],
        );
    }
    if let Some((bx, by)) = baseline {
        let (x, y) = (sx(bx), sy(by));
        svg.open(
            "rect",
            &[
                ("x", &num(x - 5.0)),
                ("y", &num(y - 5.0)),
                ("width", "10"),
                ("height", "10"),
                ("fill", WHITE),
                ("stroke", MUTED),
                ("stroke-width", "2"),
            ],
        );
        svg.element(
            "title",
            &[],
            &format!("{}: {}", x_text(bx), y_axis.describe(by)),
        );
        svg.close("rect");
    }
    if let Some((tx, ty)) = target {
        let (x, y) = (sx(tx), sy(ty));
        let d = 7.0;
        svg.open(
            "polygon",
            &[
                (
                    "points",
                    &format!(
                        "{},{} {},{} {},{} {},{}",
                        num(x),
                        num(y - d),
                        num(x + d),
                        num(y),
                        num(x),
                        num(y + d),
                        num(x - d),
                        num(y)
                    ),
                ),
                ("fill", WHITE),
                ("stroke", VERMILION),
                ("stroke-width", "2"),
            ],
        );
        svg.element(
            "title",
            &[],
            &format!("{}: {}", x_text(tx), y_axis.describe(ty)),
        );
        svg.close("polygon");
    }

    // The observations.
    if observations.len() > 1 {
        let line: Vec<String> = observations
            .iter()
            .map(|(x, y, _)| format!("{},{}", num(sx(*x)), num(sy(*y))))
            .collect();
        svg.empty(
            "polyline",
            &[
                ("points", &line.join(" ")),
                ("fill", "none"),
                ("stroke", BLUE),
                ("stroke-width", "2"),
                ("stroke-linejoin", "round"),
            ],
        );
    }
    for (x, y, label) in &observations {
        svg.open(
            "circle",
            &[
                ("cx", &num(sx(*x))),
                ("cy", &num(sy(*y))),
                ("r", "4.5"),
                ("fill", BLUE),
                ("stroke", WHITE),
                ("stroke-width", "1.5"),
            ],
        );
        svg.element("title", &[], label);
        svg.close("circle");
    }

    if observations.is_empty() {
        svg.text(
            (plot_left + plot_right) / 2.0,
            (plot_top + plot_bottom) / 2.0,
            "middle",
            &[("fill", INK), ("font-size", "14")],
            NO_DATA,
        );
    }
    svg.finish()
}

#[cfg(test)]
mod tests {
    use super::super::testing::{NASTY, Tag, check, title_and_desc};
    use super::*;

    fn spec(observations: &[(f64, f64)]) -> ChartSpec {
        ChartSpec {
            id: "ind-1".into(),
            title: "常住人口城镇化率".into(),
            description: "2018–2024".into(),
            unit: "%".into(),
            observations: observations
                .iter()
                .map(|&(x, y)| (x, y, format!("{x}: {y}")))
                .collect(),
            baseline: None,
            target: None,
            scale: Scale::Linear,
            x_label_years: true,
        }
    }

    fn circles(tags: &[(Tag, String)]) -> Vec<(f64, f64)> {
        tags.iter()
            .filter(|(t, _)| t.name == "circle")
            .map(|(t, _)| (t.num("cx"), t.num("cy")))
            .collect()
    }

    /// The y tick labels: texts anchored at the end (the only ones that are).
    fn y_labels(tags: &[(Tag, String)]) -> Vec<(String, f64)> {
        tags.iter()
            .filter(|(t, _)| t.name == "text" && t.attr("text-anchor") == Some("end"))
            .map(|(t, text)| (text.clone(), t.num("y")))
            .collect()
    }

    #[test]
    fn ticks_are_round_and_cover_the_data() {
        for (lo, hi) in [
            (0.0, 1.0),
            (3.2, 97.5),
            (-12.5, 4.0),
            (-3.0, -1.0),
            (12.5, 12.5),
            (0.0, 0.0),
            (-7.0, -7.0),
            (0.0012, 0.0031),
            (1e6, 3.7e9),
        ] {
            let (ticks, d) = linear_ticks(lo, hi);
            assert!(
                ticks[0] <= lo && *ticks.last().unwrap() >= hi,
                "{lo}..{hi}: {ticks:?}"
            );
            assert!(ticks.len() >= 2 && ticks.len() <= MAX_TICKS, "{ticks:?}");
            assert!(ticks.last().unwrap() > &ticks[0]);
            let labels: Vec<String> = ticks.iter().map(|&t| tick_text(t, d)).collect();
            let mut unique = labels.clone();
            unique.dedup();
            assert_eq!(unique, labels, "labels distinct");
        }
        assert_eq!(
            linear_ticks(3.2, 97.5).0,
            [0.0, 20.0, 40.0, 60.0, 80.0, 100.0]
        );
        let (ticks, d) = linear_ticks(0.1, 0.9);
        assert_eq!(tick_text(ticks[1], d), "0.2");
        assert_eq!(tick_text(-0.0, 1), "0.0");
        assert_eq!(
            year_ticks(2017.5, 2026.5),
            [2018.0, 2020.0, 2022.0, 2024.0, 2026.0]
        );
        assert_eq!(year_ticks(2023.5, 2024.5), [2024.0]);
    }

    #[test]
    fn well_formed_and_accessible() {
        let mut s = spec(&[(2019.0, 68.0), (2020.0, 70.3), (2024.0, 74.1)]);
        s.baseline = Some((2020.0, 70.3));
        s.target = Some((2025.0, 76.0));
        let svg = chart(&s);
        let tags = check(&svg);
        assert_eq!(title_and_desc(&tags), ("常住人口城镇化率", "2018–2024"));
        assert!(svg.contains(r#"role="img""#));
        assert!(svg.contains(r#"aria-labelledby="ind-1-title ind-1-desc""#));
        // Markers carry their labels; the target is dashed and ends in a diamond.
        let titles: Vec<&str> = tags
            .iter()
            .filter(|(t, _)| t.name == "title")
            .map(|(_, text)| text.as_str())
            .collect();
        assert!(titles.contains(&"2024: 74.1"));
        assert!(titles.contains(&"2020: 70.3"), "baseline tooltip");
        assert!(titles.contains(&"2025: 76"), "target tooltip");
        assert!(svg.contains(r#"stroke-dasharray="6 4""#));
        assert!(tags.iter().any(|(t, _)| t.name == "polygon"));
        assert!(tags.iter().any(|(t, _)| t.name == "polyline"));
        // Years on x, the unit shown.
        for year in ["2019", "2021", "2025"] {
            assert!(
                tags.iter()
                    .any(|(t, text)| t.name == "text" && text == year)
            );
        }
        assert!(tags.iter().any(|(t, text)| t.name == "text" && text == "%"));
    }

    #[test]
    fn escapes_labels_and_unit() {
        let mut s = spec(&[]);
        s.observations = vec![(2024.0, 1.0, NASTY.into())];
        s.unit = NASTY.into();
        s.title = NASTY.into();
        s.scale = Scale::Categories(vec![NASTY.into(), "II".into()]);
        let svg = chart(&s);
        let tags = check(&svg);
        assert!(!svg.contains("<A&B>"));
        assert_eq!(title_and_desc(&tags).0, NASTY);
        assert_eq!(
            tags.iter()
                .filter(|(t, text)| (t.name == "text" || t.name == "title") && text == NASTY)
                .count(),
            4
        );
    }

    #[test]
    fn y_ticks_cover_the_data_and_higher_is_up() {
        let s = spec(&[(2019.0, -12.5), (2020.0, 3.0), (2021.0, 41.0)]);
        let tags = check(&chart(&s));
        let labels = y_labels(&tags);
        let values: Vec<f64> = labels.iter().map(|(l, _)| l.parse().unwrap()).collect();
        assert!(
            values[0] <= -12.5 && *values.last().unwrap() >= 41.0,
            "{values:?}"
        );
        // Ticks go up the page as values grow, and markers sit inside the plot.
        assert!(labels.windows(2).all(|w| w[1].1 < w[0].1));
        let c = circles(&tags);
        assert!(c[0].1 > c[1].1 && c[1].1 > c[2].1);
        assert!(c[0].0 < c[1].0 && c[1].0 < c[2].0);
        for &(x, y) in &c {
            assert!(x > 0.0 && x < WIDTH && y > TOP && y < HEIGHT - BOTTOM);
        }
        // Zero gets a darker line when the axis crosses it.
        assert!(tags.iter().any(|(t, _)| t.name == "line"
            && t.attr("stroke") == Some(MUTED)
            && t.attr("y1") == t.attr("y2")
            && t.num("y1") < HEIGHT - BOTTOM));
    }

    #[test]
    fn categorical_best_class_on_top() {
        let mut s = spec(&[(2020.0, 4.0), (2022.0, 2.0), (2024.0, 0.0)]);
        s.scale = Scale::Categories(["I", "II", "III", "IV", "V"].map(String::from).to_vec());
        s.unit = String::new();
        s.target = Some((2025.0, 1.0));
        let svg = chart(&s);
        let tags = check(&svg);
        let labels = y_labels(&tags);
        let y = |class: &str| labels.iter().find(|(l, _)| l == class).unwrap().1;
        assert!(y("I") < y("II") && y("II") < y("V"));
        let c = circles(&tags);
        // 2020 in class V is lowest, 2024 in class I highest, each on its row.
        assert!(c[0].1 > c[1].1 && c[1].1 > c[2].1);
        assert!((c[2].1 - (y("I") - 4.0)).abs() < 0.2);
        assert!((c[0].1 - (y("V") - 4.0)).abs() < 0.2);
        // The target's tooltip names its class; no baseline means no dashed line.
        assert!(
            tags.iter()
                .any(|(t, text)| t.name == "title" && text == "2025: II")
        );
        assert!(!svg.contains("stroke-dasharray"));
    }

    #[test]
    fn one_observation_and_equal_values() {
        let one = check(&chart(&spec(&[(2024.0, 12.5)])));
        let c = circles(&one);
        assert_eq!(c.len(), 1);
        assert!(!one.iter().any(|(t, _)| t.name == "polyline"));
        let values: Vec<f64> = y_labels(&one)
            .iter()
            .map(|(l, _)| l.parse().unwrap())
            .collect();
        assert!(
            values[0] < 12.5 && *values.last().unwrap() > 12.5,
            "{values:?}"
        );
        assert!(
            one.iter()
                .any(|(t, text)| t.name == "text" && text == "2024")
        );

        let flat = check(&chart(&spec(&[
            (2020.0, 5.0),
            (2021.0, 5.0),
            (2022.0, 5.0),
        ])));
        let c = circles(&flat);
        assert!(c.iter().all(|p| p.1 == c[0].1));
        assert!(c[0].1 > TOP && c[0].1 < HEIGHT - BOTTOM);
        let zeros = check(&chart(&spec(&[(2020.0, 0.0), (2021.0, 0.0)])));
        assert!(y_labels(&zeros).len() >= 2);
    }

    #[test]
    fn no_observations_says_so() {
        let tags = check(&chart(&spec(&[])));
        assert!(
            tags.iter()
                .any(|(t, text)| t.name == "text" && text == NO_DATA)
        );
        // With only a target, the target is still drawn.
        let mut s = spec(&[]);
        s.target = Some((2025.0, 80.0));
        let tags = check(&chart(&s));
        assert!(
            tags.iter()
                .any(|(t, text)| t.name == "text" && text == NO_DATA)
        );
        assert!(tags.iter().any(|(t, _)| t.name == "polygon"));
        // Non-finite points are left out.
        let tags = check(&chart(&spec(&[(f64::NAN, 1.0), (2024.0, f64::INFINITY)])));
        assert!(circles(&tags).is_empty());
    }

    #[test]
    fn plain_numbers_on_x() {
        let mut s = spec(&[(0.5, 1.0), (3.7, 2.0)]);
        s.x_label_years = false;
        let tags = check(&chart(&s));
        let c = circles(&tags);
        assert!(c[0].0 < c[1].0);
        assert!(tags.iter().any(|(t, text)| t.name == "text" && text == "0"));
        assert!(tags.iter().any(|(t, text)| t.name == "text" && text == "4"));
    }
}
