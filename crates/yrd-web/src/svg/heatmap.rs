//! A progress heat map: one row per item (e.g. a plan's key matters), one column per member,
//! each cell the share of tasks done, filled on a sequential light-to-dark scale with the
//! number printed in it — black text on light fills, white on dark ones, whichever contrasts
//! more. A cell with no tasks is hatched and marked "—", so it never reads as 0 %.
//!
//! Row labels sit to the left (`text-anchor="end"`) in a margin sized from the longest label's
//! estimated width; column labels sit on top (`text-anchor="middle"`), the columns as wide as
//! the longest of them.

use super::{
    BLACK, BORDER, GRID, HATCH, INK, NO_DATA, SCALE_DARK, SCALE_LIGHT, Svg, WHITE, contrast, hex,
    id_token, num, rgb, text_width_em,
};

const FONT: f64 = 13.0;
const ROW_HEIGHT: f64 = 30.0;
const MIN_CELL_WIDTH: f64 = 56.0;
const TOP: f64 = 30.0;
const PAD: f64 = 8.0;

/// The fill of a cell at `percent` (clamped to 0–100): interpolated from [`SCALE_LIGHT`] to
/// [`SCALE_DARK`].
fn fill((light, dark): ((u8, u8, u8), (u8, u8, u8)), percent: f64) -> (u8, u8, u8) {
    let t = (percent / 100.0).clamp(0.0, 1.0);
    let mix = |a: u8, b: u8| (f64::from(a) + (f64::from(b) - f64::from(a)) * t).round() as u8;
    (
        mix(light.0, dark.0),
        mix(light.1, dark.1),
        mix(light.2, dark.2),
    )
}

/// The text colour for a cell filled with `background`: black or white, whichever contrasts
/// more. Black rather than [`INK`]: mid-scale fills reach 4.5:1 only against pure black or
/// white (the crossover of the two sits at 4.58:1; with `INK` it would sit at 4.2:1).
fn text_on(background: (u8, u8, u8)) -> &'static str {
    if contrast(rgb(BLACK), background) >= contrast(rgb(WHITE), background) {
        BLACK
    } else {
        WHITE
    }
}

/// A heat map, as an SVG document with id prefix `id`. `rows` are `(label, href)`; a row with
/// an href has its label as a link. `cells[r][c]` is row `r`'s percentage (0–100) in column
/// `c`, or `None` when it has no tasks there; missing or non-finite entries count as `None`,
/// entries beyond the columns are ignored.
pub fn heatmap(
    id: &str,
    title: &str,
    description: &str,
    rows: &[(String, Option<String>)],
    columns: &[String],
    cells: &[Vec<Option<f64>>],
) -> String {
    let interactive = rows.iter().any(|(_, href)| href.is_some());
    if rows.is_empty() || columns.is_empty() {
        let mut svg = Svg::new(id, title, description, 640.0, 120.0, false);
        svg.text(320.0, 64.0, "middle", &[("fill", INK)], NO_DATA);
        return svg.finish();
    }
    let widest = |labels: &mut dyn Iterator<Item = &String>| {
        labels.map(|l| text_width_em(l) * FONT).fold(0.0, f64::max)
    };
    let left = widest(&mut rows.iter().map(|(l, _)| l)) + 2.0 * PAD;
    let cell_width = (widest(&mut columns.iter()) + PAD).max(MIN_CELL_WIDTH);
    let width = left + cell_width * columns.len() as f64 + PAD;
    let height = TOP + ROW_HEIGHT * rows.len() as f64 + PAD;
    let hatch_id = format!("{}-none", id_token(id));

    let mut svg = Svg::new(id, title, description, width, height, interactive);
    svg.open("defs", &[]);
    svg.open(
        "pattern",
        &[
            ("id", &hatch_id),
            ("width", "6"),
            ("height", "6"),
            ("patternUnits", "userSpaceOnUse"),
            ("patternTransform", "rotate(45)"),
        ],
    );
    svg.empty("rect", &[("width", "6"), ("height", "6"), ("fill", WHITE)]);
    svg.empty(
        "line",
        &[
            ("x1", "0"),
            ("y1", "0"),
            ("x2", "0"),
            ("y2", "6"),
            ("stroke", HATCH),
            ("stroke-width", "3"),
        ],
    );
    svg.close("pattern");
    svg.close("defs");

    let size = num(FONT);
    svg.open("g", &[("font-size", &size), ("fill", INK)]);
    for (c, label) in columns.iter().enumerate() {
        let x = left + cell_width * (c as f64 + 0.5);
        svg.text(x, TOP - 10.0, "middle", &[], label);
    }
    for (r, (label, href)) in rows.iter().enumerate() {
        let y = TOP + ROW_HEIGHT * (r as f64 + 0.5) + 0.35 * FONT;
        match href {
            Some(href) => {
                svg.open("a", &[("href", href), ("aria-label", label)]);
                svg.text(
                    left - PAD,
                    y,
                    "end",
                    &[("text-decoration", "underline")],
                    label,
                );
                svg.close("a");
            }
            None => svg.text(left - PAD, y, "end", &[], label),
        }
    }
    svg.close("g");

    let none_fill = format!("url(#{hatch_id})");
    for (r, (row, _)) in rows.iter().enumerate() {
        for (c, column) in columns.iter().enumerate() {
            let value = cells
                .get(r)
                .and_then(|row| row.get(c))
                .copied()
                .flatten()
                .filter(|v| v.is_finite());
            let (x, y) = (left + cell_width * c as f64, TOP + ROW_HEIGHT * r as f64);
            let (background, text_colour, text) = match value {
                Some(v) => {
                    let f = fill((SCALE_LIGHT, SCALE_DARK), v);
                    (hex(f), text_on(f), format!("{v:.0}%"))
                }
                None => (none_fill.clone(), INK, "—".to_string()),
            };
            svg.open("g", &[]);
            svg.element("title", &[], &format!("{row} · {column}: {text}"));
            svg.empty(
                "rect",
                &[
                    ("x", &num(x)),
                    ("y", &num(y)),
                    ("width", &num(cell_width)),
                    ("height", &num(ROW_HEIGHT)),
                    ("fill", &background),
                    ("stroke", if value.is_some() { BORDER } else { GRID }),
                    ("stroke-width", "1"),
                ],
            );
            svg.text(
                x + cell_width / 2.0,
                y + ROW_HEIGHT / 2.0 + 0.35 * FONT,
                "middle",
                &[
                    ("fill", text_colour),
                    ("font-size", &size),
                    ("font-weight", if value.is_some() { "400" } else { "700" }),
                ],
                &text,
            );
            svg.close("g");
        }
    }
    svg.finish()
}

#[cfg(test)]
mod tests {
    use super::super::testing::{NASTY, Tag, check, title_and_desc};
    use super::*;

    fn rows(labels: &[&str]) -> Vec<(String, Option<String>)> {
        labels
            .iter()
            .enumerate()
            .map(|(i, l)| (l.to_string(), (i % 2 == 0).then(|| format!("/m/{i}"))))
            .collect()
    }

    fn columns() -> Vec<String> {
        ["上海市", "江苏省", "浙江省", "安徽省"]
            .map(String::from)
            .to_vec()
    }

    /// Each cell's `(fill, text colour, text)`, in row-major order.
    fn cells(tags: &[(Tag, String)]) -> Vec<(String, String, String)> {
        let mut out = Vec::new();
        for (i, (t, _)) in tags.iter().enumerate() {
            if t.name == "rect" && t.attr("height") == Some(&num(ROW_HEIGHT)) {
                let (text, content) = &tags[i + 1];
                assert_eq!(text.name, "text");
                out.push((
                    t.attr("fill").unwrap().to_string(),
                    text.attr("fill").unwrap().to_string(),
                    content.clone(),
                ));
            }
        }
        out
    }

    #[test]
    fn well_formed_and_accessible() {
        let svg = heatmap(
            "hm",
            "重点合作事项进展",
            "各成员任务完成比例",
            &rows(&["生态绿色一体化发展示范区建设", "G60 科创走廊"]),
            &columns(),
            &[
                vec![Some(0.0), Some(50.0), None, Some(100.0)],
                vec![Some(12.4), None, Some(87.6), Some(33.3)],
            ],
        );
        let tags = check(&svg);
        assert_eq!(
            title_and_desc(&tags),
            ("重点合作事项进展", "各成员任务完成比例")
        );
        assert!(svg.contains(r#"role="group""#), "rows link");
        let c = cells(&tags);
        let texts: Vec<&str> = c.iter().map(|(_, _, t)| t.as_str()).collect();
        assert_eq!(texts, ["0%", "50%", "—", "100%", "12%", "—", "88%", "33%"]);
        // Tooltips name row, column and value.
        assert!(
            tags.iter()
                .any(|(t, text)| t.name == "title" && text == "G60 科创走廊 · 浙江省: 88%")
        );
        let link = tags.iter().find(|(t, _)| t.name == "a").unwrap();
        assert_eq!(
            link.0.attr("aria-label"),
            Some("生态绿色一体化发展示范区建设")
        );
    }

    #[test]
    fn labels_are_placed_without_measuring() {
        let long = "生态绿色一体化发展示范区建设";
        let svg = heatmap("hm", "t", "d", &rows(&[long, "x"]), &columns(), &[]);
        let tags = check(&svg);
        let row_label = tags
            .iter()
            .find(|(t, text)| t.name == "text" && text == long)
            .unwrap();
        assert_eq!(row_label.0.attr("text-anchor"), Some("end"));
        // The margin fits the longest label at one em per CJK character.
        assert!(row_label.0.num("x") >= text_width_em(long) * FONT);
        let column = tags
            .iter()
            .find(|(t, text)| t.name == "text" && text == "上海市")
            .unwrap();
        assert_eq!(column.0.attr("text-anchor"), Some("middle"));
        assert!(column.0.num("x") > row_label.0.num("x"));
    }

    #[test]
    fn text_colour_flips_on_dark_fills() {
        let svg = heatmap(
            "hm",
            "t",
            "d",
            &rows(&["a"]),
            &columns(),
            &[vec![Some(0.0), Some(30.0), Some(70.0), Some(100.0)]],
        );
        let c = cells(&check(&svg));
        assert_eq!(c[0].1, BLACK);
        assert_eq!(c[1].1, BLACK);
        assert_eq!(c[3].1, WHITE);
        // Fills darken with the value, and every printed number reaches AA on its fill.
        let lum = |h: &str| super::super::luminance(rgb(h));
        assert!(lum(&c[0].0) > lum(&c[1].0) && lum(&c[1].0) > lum(&c[2].0));
        assert!(lum(&c[2].0) > lum(&c[3].0));
        for p in 0..=100 {
            let f = fill((SCALE_LIGHT, SCALE_DARK), f64::from(p));
            assert!(contrast(rgb(text_on(f)), f) >= 4.5, "{p}%");
        }
    }

    #[test]
    fn none_differs_from_zero() {
        let svg = heatmap(
            "hm-2",
            "t",
            "d",
            &rows(&["a"]),
            &columns()[..2],
            &[vec![Some(0.0), None]],
        );
        let tags = check(&svg);
        let c = cells(&tags);
        assert_ne!(c[0].0, c[1].0, "fill");
        assert_ne!(c[0].2, c[1].2, "text");
        assert_eq!(c[1].0, "url(#hm-2-none)");
        assert_eq!(c[1].2, "—");
        assert!(
            tags.iter()
                .any(|(t, _)| t.name == "pattern" && t.attr("id") == Some("hm-2-none"))
        );
        // Missing rows, missing cells and NaN are no tasks too; values beyond 100 clamp.
        let svg = heatmap(
            "hm",
            "t",
            "d",
            &rows(&["a", "b"]),
            &columns()[..2],
            &[vec![Some(f64::NAN), Some(140.0), Some(1.0)]],
        );
        let c = cells(&check(&svg));
        let texts: Vec<&str> = c.iter().map(|(_, _, t)| t.as_str()).collect();
        assert_eq!(texts, ["—", "140%", "—", "—"]);
        assert_eq!(c[1].0, hex(SCALE_DARK));
    }

    #[test]
    fn escapes_labels() {
        let svg = heatmap(
            NASTY,
            NASTY,
            NASTY,
            &[(NASTY.to_string(), Some("/m?a=1&b=<2>".to_string()))],
            &[NASTY.to_string()],
            &[vec![Some(5.0)]],
        );
        let tags = check(&svg);
        assert!(!svg.contains("<A&B>"));
        assert_eq!(title_and_desc(&tags), (NASTY, NASTY));
        let link = tags.iter().find(|(t, _)| t.name == "a").unwrap();
        assert_eq!(link.0.attr("href"), Some("/m?a=1&b=<2>"));
        assert!(
            tags.iter()
                .any(|(t, text)| t.name == "title" && text == &format!("{NASTY} · {NASTY}: 5%"))
        );
    }

    #[test]
    fn empty_says_so() {
        for svg in [
            heatmap("hm", "t", "d", &[], &columns(), &[]),
            heatmap("hm", "t", "d", &rows(&["a"]), &[], &[]),
        ] {
            let tags = check(&svg);
            assert!(
                tags.iter()
                    .any(|(t, text)| t.name == "text" && text == NO_DATA)
            );
        }
    }
}
