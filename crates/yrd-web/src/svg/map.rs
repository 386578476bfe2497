//! A map of members, cities and zone members as labelled points — no coastlines or borders,
//! which would be external data; the points alone show where things are relative to each
//! other.
//!
//! Longitude and latitude are projected equirectangularly, longitude scaled by the cosine of
//! the points' mean latitude (true to shape at the YRD's scale), and fitted to the points'
//! bounding box with a margin that leaves room for the longest label. Labels go beside their
//! point: members first, then zone members, then cities, each trying right, left, above, below
//! and the four diagonals in turn and taking the first spot that overlaps no label or marker
//! already placed. A member always gets a label (the least-overlapping spot if none is free);
//! a zone member's or city's label that finds no free spot is left out — the point keeps its
//! tooltip and link name, and the page's table lists it anyway.

use super::{BLUE, INK, NO_DATA, Svg, TEAL, VERMILION, WHITE, num, text_width_em};

/// What a point stands for; it decides the marker's shape and the label's weight.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PointKind {
    /// A member (a province or municipality): a large circle and a bold label.
    Member,
    /// A city: a small square.
    City,
    /// A point in a zone (e.g. the demonstration zone): a diamond inside a ring.
    ZoneMember,
}

impl PointKind {
    /// Label priority: lower is placed first.
    fn priority(self) -> u8 {
        match self {
            PointKind::Member => 0,
            PointKind::ZoneMember => 1,
            PointKind::City => 2,
        }
    }

    /// Half the marker's extent, in user units.
    fn radius(self) -> f64 {
        match self {
            PointKind::Member => 7.0,
            PointKind::City => 3.5,
            PointKind::ZoneMember => 8.0,
        }
    }

    fn font_size(self) -> f64 {
        match self {
            PointKind::Member => 15.0,
            PointKind::City | PointKind::ZoneMember => 12.0,
        }
    }
}

/// One point on the map. Points without coordinates are not drawn: the caller leaves them out.
#[derive(Debug, Clone, PartialEq)]
pub struct MapPoint {
    pub label: String,
    pub lat: f64,
    pub lon: f64,
    pub kind: PointKind,
    /// Where the point links to (its page), if anywhere.
    pub href: Option<String>,
}

/// The viewBox width; the height follows from the points' extent.
const WIDTH: f64 = 640.0;
/// The tallest the plotted area may be.
const MAX_PLOT_HEIGHT: f64 = 560.0;
/// The least height of the whole graphic.
const MIN_HEIGHT: f64 = 160.0;
/// Margin above and below the outermost points: a line of label.
const MARGIN_Y: f64 = 30.0;
/// Gap between a marker and its label.
const GAP: f64 = 4.0;

/// An axis-aligned box: left, top, right, bottom.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Rect(f64, f64, f64, f64);

impl Rect {
    fn overlap(&self, o: &Rect) -> f64 {
        let w = self.2.min(o.2) - self.0.max(o.0);
        let h = self.3.min(o.3) - self.1.max(o.1);
        if w > 0.0 && h > 0.0 { w * h } else { 0.0 }
    }

    fn inside(&self, width: f64, height: f64) -> bool {
        self.0 >= 0.0 && self.1 >= 0.0 && self.2 <= width && self.3 <= height
    }
}

/// Where a label goes: its anchor point, `text-anchor` and the box it covers.
#[derive(Debug, Clone, PartialEq)]
struct Label {
    x: f64,
    y: f64,
    anchor: &'static str,
    bounds: Rect,
}

/// The computed layout: viewBox height, each point's position, each point's label if placed.
#[derive(Debug)]
struct Layout {
    height: f64,
    positions: Vec<(f64, f64)>,
    labels: Vec<Option<Label>>,
}

/// Projects the points and fits them into the viewBox; returns the height and the positions.
fn project(points: &[MapPoint], margin_x: f64) -> (f64, Vec<(f64, f64)>) {
    let mean_lat = points.iter().map(|p| p.lat).sum::<f64>() / points.len() as f64;
    let k = mean_lat.to_radians().cos();
    let raw: Vec<(f64, f64)> = points.iter().map(|p| (p.lon * k, -p.lat)).collect();
    let min = |f: fn(&(f64, f64)) -> f64| raw.iter().map(f).fold(f64::INFINITY, f64::min);
    let max = |f: fn(&(f64, f64)) -> f64| raw.iter().map(f).fold(f64::NEG_INFINITY, f64::max);
    let (x0, x1, y0, y1) = (min(|p| p.0), max(|p| p.0), min(|p| p.1), max(|p| p.1));
    let (dx, dy) = (x1 - x0, y1 - y0);
    let plot_width = WIDTH - 2.0 * margin_x;
    let scale = match (dx > 0.0, dy > 0.0) {
        (true, true) => (plot_width / dx).min(MAX_PLOT_HEIGHT / dy),
        (true, false) => plot_width / dx,
        (false, true) => MAX_PLOT_HEIGHT / dy,
        (false, false) => 1.0,
    };
    let height = (dy * scale + 2.0 * MARGIN_Y).max(MIN_HEIGHT);
    let (ox, oy) = ((WIDTH - dx * scale) / 2.0, (height - dy * scale) / 2.0);
    let positions = raw
        .iter()
        .map(|(x, y)| (ox + (x - x0) * scale, oy + (y - y0) * scale))
        .collect();
    (height, positions)
}

/// The spots a label may take around a point at (`px`, `py`), in order of preference.
fn candidates(px: f64, py: f64, kind: PointKind, label: &str) -> Vec<Label> {
    let r = kind.radius();
    let fs = kind.font_size();
    let w = text_width_em(label) * fs;
    let half = 0.6 * fs;
    // (anchor, x of the anchor, vertical centre of the text)
    let spots: [(&'static str, f64, f64); 8] = [
        ("start", px + r + GAP, py),
        ("end", px - r - GAP, py),
        ("middle", px, py - r - GAP - half),
        ("middle", px, py + r + GAP + half),
        ("start", px + r, py - r - half),
        ("start", px + r, py + r + half),
        ("end", px - r, py - r - half),
        ("end", px - r, py + r + half),
    ];
    spots
        .into_iter()
        .map(|(anchor, x, cy)| {
            let (left, right) = match anchor {
                "start" => (x, x + w),
                "end" => (x - w, x),
                _ => (x - w / 2.0, x + w / 2.0),
            };
            Label {
                x,
                // The baseline sits a little below the centre of the em box.
                y: cy + 0.35 * fs,
                anchor,
                bounds: Rect(left, cy - half, right, cy + half),
            }
        })
        .collect()
}

fn layout(points: &[MapPoint]) -> Layout {
    let longest = points
        .iter()
        .map(|p| text_width_em(&p.label) * p.kind.font_size() + p.kind.radius() + GAP + 4.0)
        .fold(0.0, f64::max);
    let margin_x = longest.clamp(24.0, 180.0);
    let (height, positions) = project(points, margin_x);
    let markers: Vec<Rect> = points
        .iter()
        .zip(&positions)
        .map(|(p, &(x, y))| {
            let r = p.kind.radius();
            Rect(x - r, y - r, x + r, y + r)
        })
        .collect();
    let mut order: Vec<usize> = (0..points.len()).collect();
    order.sort_by_key(|&i| points[i].kind.priority());
    let mut labels: Vec<Option<Label>> = vec![None; points.len()];
    let mut placed: Vec<Rect> = Vec::new();
    for i in order {
        let p = &points[i];
        let (px, py) = positions[i];
        // Overlap with placed labels and other markers; a spot outside the viewBox is
        // unusable.
        let cost = |l: &Label| {
            let padded = Rect(
                l.bounds.0 - 1.0,
                l.bounds.1 - 1.0,
                l.bounds.2 + 1.0,
                l.bounds.3 + 1.0,
            );
            let labels: f64 = placed.iter().map(|r| r.overlap(&padded)).sum();
            let others: f64 = markers
                .iter()
                .enumerate()
                .filter(|&(j, _)| j != i)
                .map(|(_, r)| r.overlap(&padded))
                .sum();
            labels + others
        };
        let spots: Vec<Label> = candidates(px, py, p.kind, &p.label)
            .into_iter()
            .filter(|l| l.bounds.inside(WIDTH, height))
            .collect();
        let free = spots.iter().find(|l| cost(l) == 0.0).cloned();
        let chosen = match (free, p.kind) {
            (Some(l), _) => Some(l),
            (None, PointKind::Member) => spots
                .into_iter()
                .min_by(|a, b| cost(a).total_cmp(&cost(b)))
                .or_else(|| candidates(px, py, p.kind, &p.label).into_iter().next()),
            (None, _) => None,
        };
        if let Some(l) = &chosen {
            placed.push(l.bounds);
        }
        labels[i] = chosen;
    }
    Layout {
        height,
        positions,
        labels,
    }
}

/// Draws `kind`'s marker centred on (`x`, `y`).
fn marker(svg: &mut Svg, kind: PointKind, x: f64, y: f64) {
    let r = kind.radius();
    match kind {
        PointKind::Member => svg.empty(
            "circle",
            &[
                ("cx", &num(x)),
                ("cy", &num(y)),
                ("r", &num(r)),
                ("fill", BLUE),
                ("stroke", WHITE),
                ("stroke-width", "1.5"),
            ],
        ),
        PointKind::City => svg.empty(
            "rect",
            &[
                ("x", &num(x - r)),
                ("y", &num(y - r)),
                ("width", &num(2.0 * r)),
                ("height", &num(2.0 * r)),
                ("fill", TEAL),
                ("stroke", WHITE),
                ("stroke-width", "1"),
            ],
        ),
        PointKind::ZoneMember => {
            svg.empty(
                "circle",
                &[
                    ("cx", &num(x)),
                    ("cy", &num(y)),
                    ("r", &num(r - 0.75)),
                    ("fill", WHITE),
                    ("stroke", VERMILION),
                    ("stroke-width", "1.5"),
                ],
            );
            let d = r - 3.0;
            let diamond = format!(
                "{},{} {},{} {},{} {},{}",
                num(x),
                num(y - d),
                num(x + d),
                num(y),
                num(x),
                num(y + d),
                num(x - d),
                num(y)
            );
            svg.empty("polygon", &[("points", &diamond), ("fill", VERMILION)]);
        }
    }
}

/// A map of `points`, as an SVG document with id prefix `id` (see the module documentation for
/// projection and labelling). Points with an `href` are links named by their label, in the
/// order members, zone members, cities — the order keyboard users tab through them.
pub fn map(id: &str, title: &str, description: &str, points: &[MapPoint]) -> String {
    let points: Vec<MapPoint> = points
        .iter()
        .filter(|p| p.lat.is_finite() && p.lon.is_finite())
        .cloned()
        .collect();
    let interactive = points.iter().any(|p| p.href.is_some());
    if points.is_empty() {
        let mut svg = Svg::new(id, title, description, WIDTH, MIN_HEIGHT, false);
        svg.text(
            WIDTH / 2.0,
            MIN_HEIGHT / 2.0,
            "middle",
            &[("fill", INK)],
            NO_DATA,
        );
        return svg.finish();
    }
    let layout = layout(&points);
    let mut svg = Svg::new(id, title, description, WIDTH, layout.height, interactive);
    let mut order: Vec<usize> = (0..points.len()).collect();
    order.sort_by_key(|&i| points[i].kind.priority());
    for i in order {
        let p = &points[i];
        let (x, y) = layout.positions[i];
        match &p.href {
            Some(href) => svg.open("a", &[("href", href), ("aria-label", &p.label)]),
            None => svg.open("g", &[]),
        }
        svg.element("title", &[], &p.label);
        marker(&mut svg, p.kind, x, y);
        if let Some(l) = &layout.labels[i] {
            let size = num(p.kind.font_size());
            let mut attrs = vec![("font-size", size.as_str()), ("fill", INK)];
            if p.kind == PointKind::Member {
                attrs.push(("font-weight", "700"));
            }
            svg.text(l.x, l.y, l.anchor, &attrs, &p.label);
        }
        svg.close(if p.href.is_some() { "a" } else { "g" });
    }
    svg.finish()
}

/// `kind`'s marker alone, as a small decorative SVG (hidden from assistive technology) for a
/// legend the page writes in its own language beside it.
pub fn marker_symbol(kind: PointKind) -> String {
    let mut svg = Svg::default();
    svg.open(
        "svg",
        &[
            ("xmlns", "http://www.w3.org/2000/svg"),
            ("viewBox", "0 0 20 20"),
            ("width", "1em"),
            ("height", "1em"),
            ("aria-hidden", "true"),
            ("focusable", "false"),
        ],
    );
    marker(&mut svg, kind, 10.0, 10.0);
    svg.finish()
}

#[cfg(test)]
mod tests {
    use super::super::testing::{NASTY, Tag, check, parse, title_and_desc};
    use super::*;

    fn point(label: &str, lat: f64, lon: f64, kind: PointKind, href: Option<&str>) -> MapPoint {
        MapPoint {
            label: label.to_string(),
            lat,
            lon,
            kind,
            href: href.map(str::to_string),
        }
    }

    /// The four members, at their capitals, plus cities, one of them at a capital, and two
    /// zone members very close together.
    fn yrd() -> Vec<MapPoint> {
        vec![
            point(
                "上海市",
                31.23,
                121.47,
                PointKind::Member,
                Some("/j/310000"),
            ),
            point(
                "江苏省",
                32.06,
                118.80,
                PointKind::Member,
                Some("/j/320000"),
            ),
            point(
                "浙江省",
                30.27,
                120.16,
                PointKind::Member,
                Some("/j/330000"),
            ),
            point(
                "安徽省",
                31.82,
                117.23,
                PointKind::Member,
                Some("/j/340000"),
            ),
            point("南京市", 32.06, 118.80, PointKind::City, Some("/j/320100")),
            point("苏州市", 31.30, 120.59, PointKind::City, None),
            point(
                "青浦区",
                31.15,
                121.12,
                PointKind::ZoneMember,
                Some("/j/310118"),
            ),
            point("吴江区", 31.16, 120.64, PointKind::ZoneMember, None),
            point("嘉善县", 30.84, 120.92, PointKind::ZoneMember, None),
            point("黄山市", 29.71, 118.34, PointKind::City, None),
        ]
    }

    /// The position of each point's marker, by label: the first circle, rect or polygon after
    /// its `<title>`.
    fn markers(tags: &[(Tag, String)]) -> Vec<(String, f64, f64)> {
        let mut out = Vec::new();
        for (i, (t, text)) in tags.iter().enumerate().skip(3) {
            if t.name != "title" {
                continue;
            }
            let m = &tags[i + 1].0;
            let (x, y) = match m.name.as_str() {
                "circle" => (m.num("cx"), m.num("cy")),
                "rect" => (
                    m.num("x") + m.num("width") / 2.0,
                    m.num("y") + m.num("height") / 2.0,
                ),
                other => panic!("unexpected marker {other}"),
            };
            out.push((text.clone(), x, y));
        }
        out
    }

    #[test]
    fn well_formed_and_accessible() {
        let svg = map("yrd-map", "长三角", "四省市及城市", &yrd());
        let tags = check(&svg);
        assert_eq!(title_and_desc(&tags), ("长三角", "四省市及城市"));
        assert!(svg.contains(r#"role="group""#));
        assert!(svg.contains(r#"aria-labelledby="yrd-map-title yrd-map-desc""#));
        assert!(svg.contains("font-family=\"&#39;Noto Sans CJK SC&#39;"));
        // Links are named, members come first in tab order.
        let links: Vec<&str> = tags
            .iter()
            .filter(|(t, _)| t.name == "a")
            .map(|(t, _)| t.attr("aria-label").unwrap())
            .collect();
        assert_eq!(
            links,
            ["上海市", "江苏省", "浙江省", "安徽省", "青浦区", "南京市"]
        );
        // Members' labels are bold and every member is labelled.
        for m in ["上海市", "江苏省", "浙江省", "安徽省"] {
            assert!(tags.iter().any(|(t, text)| t.name == "text"
                && text == m
                && t.attr("font-weight") == Some("700")));
        }
    }

    #[test]
    fn without_links_it_is_an_image() {
        let points = [point("合肥市", 31.82, 117.23, PointKind::City, None)];
        let svg = map("m", "t", "d", &points);
        check(&svg);
        assert!(svg.contains(r#"role="img""#));
    }

    #[test]
    fn escapes_labels_and_hrefs() {
        let points = [
            point(
                NASTY,
                31.0,
                120.5,
                PointKind::ZoneMember,
                Some("/x?a=1&b=\"2\""),
            ),
            point("上海市", 31.23, 121.47, PointKind::Member, None),
        ];
        let svg = map("m<1>", NASTY, NASTY, &points);
        let tags = check(&svg);
        assert!(!svg.contains("<A&B>"));
        assert!(svg.contains("太浦河 &lt;A&amp;B&gt; &quot;x&quot; &#39;y&#39;"));
        assert_eq!(title_and_desc(&tags), (NASTY, NASTY));
        let link = tags.iter().find(|(t, _)| t.name == "a").unwrap();
        assert_eq!(link.0.attr("href"), Some("/x?a=1&b=\"2\""));
        assert_eq!(link.0.attr("aria-label"), Some(NASTY));
        assert_eq!(tags[0].0.attr("id"), Some("m-1-"));
    }

    #[test]
    fn west_is_left_and_north_is_up() {
        let svg = map("m", "t", "d", &yrd());
        let m = markers(&check(&svg));
        let at = |label: &str| m.iter().find(|(l, _, _)| l == label).unwrap();
        // Anhui (Hefei) is westmost, Shanghai eastmost; Nanjing northmost, Huangshan southmost.
        let xs: Vec<f64> = m.iter().map(|p| p.1).collect();
        let ys: Vec<f64> = m.iter().map(|p| p.2).collect();
        assert_eq!(
            at("安徽省").1,
            xs.iter().cloned().fold(f64::INFINITY, f64::min)
        );
        assert_eq!(
            at("上海市").1,
            xs.iter().cloned().fold(f64::NEG_INFINITY, f64::max)
        );
        assert_eq!(
            at("江苏省").2,
            ys.iter().cloned().fold(f64::INFINITY, f64::min)
        );
        assert_eq!(
            at("黄山市").2,
            ys.iter().cloned().fold(f64::NEG_INFINITY, f64::max)
        );
        assert!(at("安徽省").1 < at("上海市").1);
        assert!(at("江苏省").2 < at("黄山市").2);
    }

    #[test]
    fn projection_keeps_shape() {
        // One degree of longitude at 60° is half a degree of latitude on the ground.
        let points = [
            point("a", 60.0, 10.0, PointKind::City, None),
            point("b", 60.0, 12.0, PointKind::City, None),
            point("c", 61.0, 10.0, PointKind::City, None),
        ];
        let l = layout(&points);
        let dx = l.positions[1].0 - l.positions[0].0;
        let dy = l.positions[0].1 - l.positions[2].1;
        let mean: f64 = (60.0 + 60.0 + 61.0) / 3.0;
        let expected = 2.0 * mean.to_radians().cos();
        assert!((dx / dy - expected).abs() < 1e-6, "{dx} {dy}");
        assert!(dy > 0.0, "north is up");
    }

    #[test]
    fn everything_stays_in_the_view_box() {
        let l = layout(&yrd());
        for &(x, y) in &l.positions {
            assert!((0.0..=WIDTH).contains(&x) && (0.0..=l.height).contains(&y));
        }
        for label in l.labels.iter().flatten() {
            assert!(label.bounds.inside(WIDTH, l.height), "{label:?}");
        }
    }

    #[test]
    fn close_points_get_distinct_non_overlapping_labels() {
        let mut points = vec![
            point("上海市", 31.2300, 121.4700, PointKind::Member, None),
            point("上海市区", 31.2301, 121.4701, PointKind::Member, None),
            point("浦东新区", 31.2302, 121.4699, PointKind::City, None),
            point("黄浦区", 31.2299, 121.4702, PointKind::City, None),
            point("静安区", 31.2300, 121.4698, PointKind::ZoneMember, None),
        ];
        points.extend(yrd());
        let l = layout(&points);
        let placed: Vec<&Label> = l.labels.iter().flatten().collect();
        for (i, a) in placed.iter().enumerate() {
            for b in &placed[i + 1..] {
                assert!((a.x, a.y) != (b.x, b.y), "{a:?} and {b:?} share a position");
                if placed.len() > 1 {
                    assert_eq!(a.bounds.overlap(&b.bounds), 0.0, "{a:?} overlaps {b:?}");
                }
            }
        }
        // Both close members are labelled; the rendered texts' positions differ too.
        assert!(l.labels[0].is_some() && l.labels[1].is_some());
        let svg = map("m", "t", "d", &points);
        let tags = check(&svg);
        let mut positions: Vec<(String, String)> = tags
            .iter()
            .filter(|(t, _)| t.name == "text")
            .map(|(t, _)| (t.attr("x").unwrap().into(), t.attr("y").unwrap().into()))
            .collect();
        let n = positions.len();
        positions.sort();
        positions.dedup();
        assert_eq!(positions.len(), n);
        // A left-out label keeps its point's name as a tooltip.
        for p in &points {
            assert!(
                tags.iter()
                    .any(|(t, text)| t.name == "title" && text == &p.label)
            );
        }
    }

    #[test]
    fn kinds_differ_in_shape() {
        let shapes = |kind| {
            parse(&marker_symbol(kind))
                .iter()
                .skip(1)
                .map(|(t, _)| t.name.clone())
                .collect::<Vec<_>>()
        };
        assert_eq!(shapes(PointKind::Member), ["circle"]);
        assert_eq!(shapes(PointKind::City), ["rect"]);
        assert_eq!(shapes(PointKind::ZoneMember), ["circle", "polygon"]);
        assert!(marker_symbol(PointKind::Member).contains(r#"aria-hidden="true""#));
    }

    #[test]
    fn degenerate_inputs() {
        let empty = map("m", "t", "d", &[]);
        let tags = check(&empty);
        assert!(
            tags.iter()
                .any(|(t, text)| t.name == "text" && text == NO_DATA)
        );
        let one = map(
            "m",
            "t",
            "d",
            &[point("上海市", 31.2, 121.5, PointKind::Member, None)],
        );
        let m = markers(&check(&one));
        assert_eq!((m[0].1, m[0].2), (WIDTH / 2.0, MIN_HEIGHT / 2.0));
        // Points on one parallel or one meridian.
        let line = [
            point("a", 31.0, 120.0, PointKind::City, None),
            point("b", 31.0, 121.0, PointKind::City, None),
        ];
        check(&map("m", "t", "d", &line));
        let nan = [point("a", f64::NAN, 120.0, PointKind::City, None)];
        check(&map("m", "t", "d", &nan));
    }
}
