//! Server-rendered SVG for the public portal's pages: the map of members and cities
//! ([`map`]), indicator charts ([`chart`]) and the progress heat map ([`heatmap`]).
//!
//! Everything here is a pure function from data to SVG text, built by hand: the output is
//! small and regular, and writing it directly keeps every attribute under our control. What
//! this module owns, for every graphic it draws:
//!
//! - **Escaping.** Every text and attribute value passes through [`escape`]; ids are reduced to
//!   name tokens ([`id_token`]) so they are safe inside `aria-labelledby`.
//! - **Accessibility.** Each `<svg>` carries a `<title>` and `<desc>` whose ids derive from the
//!   caller's id prefix (so several graphics on one page do not clash), and `aria-labelledby`
//!   naming both. A graphic without links is `role="img"`; one that contains links is
//!   `role="group"` instead, because `img` makes its children presentational and would hide
//!   the links from assistive technology (axe's `nested-interactive`). The data is always in
//!   an accessible table on the page as well: a label the layout has to leave out is still
//!   there, and in the point's tooltip.
//! - **Layout without text measurement.** Text is placed with `text-anchor` at fixed positions;
//!   where room must be reserved, [`text_width_em`] estimates a label's width by counting
//!   characters (a CJK character ≈ 1 em, others ≈ 0.6 em).
//! - **Colour.** The palette below reaches WCAG AA on white (4.5:1 for text, 3:1 for lines and
//!   markers), and no distinction rests on colour alone: kinds of point differ in shape, the
//!   target is dashed, missing cells are hatched and marked "—".
//! - **A strict CSP.** No scripts, no external references, no `style` attributes: only
//!   presentation attributes (`fill=`, `stroke=`, `font-size=`). The graphics have a `viewBox`
//!   and `width="100%"`, so they scale to the page.

// The indicator pages will use the charts; until they do, only the tests draw them.
#![cfg_attr(not(test), allow(dead_code, unused_imports))]

pub mod chart;
pub mod heatmap;
pub mod map;

pub use chart::{ChartSpec, Scale, chart};
pub use heatmap::heatmap;
pub use map::{MapPoint, PointKind, map};

/// The font stack: CJK faces first, so Chinese labels render with a proper CJK font.
pub const FONT_FAMILY: &str =
    "'Noto Sans CJK SC','WenQuanYi Micro Hei','Microsoft YaHei','PingFang SC',sans-serif";

/// Body text: 17.4:1 on white.
pub const INK: &str = "#1a1a1a";
/// Secondary text, axes and the baseline: 7.0:1 on white.
pub const MUTED: &str = "#595959";
/// Members (provinces) and observations: 8.3:1 on white.
pub const BLUE: &str = "#1f4e8c";
/// Cities: 6.6:1 on white.
pub const TEAL: &str = "#00695c";
/// Zone members and targets: 6.0:1 on white.
pub const VERMILION: &str = "#b5350c";
/// Cell borders: 3.4:1 on white (a graphic, so 3:1 suffices).
pub const BORDER: &str = "#8c8c8c";
/// Grid lines: decorative, deliberately faint.
pub const GRID: &str = "#dddddd";
/// Hatching of cells with no value: decorative (each also says "—").
pub const HATCH: &str = "#c8c8c8";
/// Black, for numbers on the heat map's light and middle fills.
pub const BLACK: &str = "#000000";
/// White, for text on dark fills and marker outlines.
pub const WHITE: &str = "#ffffff";
/// The lightest and darkest fills of the sequential scale (0 % and 100 %).
pub const SCALE_LIGHT: (u8, u8, u8) = (0xf0, 0xf5, 0xfb);
pub const SCALE_DARK: (u8, u8, u8) = (0x08, 0x30, 0x6b);

/// What a graphic with no data says, in both of the portal's languages (the functions take
/// no language).
pub const NO_DATA: &str = "暂无数据 · No data";

/// `s` escaped for XML text and attribute values: `&`, `<`, `>`, `"` and `'`.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            // Characters XML 1.0 forbids (controls other than tab, newline, return) are dropped
            // rather than emitted, which would make the document ill-formed.
            c if (c as u32) < 0x20 && !matches!(c, '\t' | '\n' | '\r') => {}
            c => out.push(c),
        }
    }
    out
}

/// `id` as an XML name token usable in `id=` and `aria-labelledby=`: ASCII letters, digits,
/// `-` and `_` are kept, anything else becomes `-`; an id not starting with a letter is
/// prefixed with `svg-`.
pub fn id_token(id: &str) -> String {
    let mut out: String = id
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '-'
            }
        })
        .collect();
    if !out.starts_with(|c: char| c.is_ascii_alphabetic()) {
        out.insert_str(0, "svg-");
    }
    out
}

/// Whether `c` is drawn about one em wide (CJK ideographs, kana, hangul, full-width forms).
fn is_wide(c: char) -> bool {
    matches!(c as u32,
        0x1100..=0x115F
        | 0x2E80..=0x303E
        | 0x3041..=0x33FF
        | 0x3400..=0x4DBF
        | 0x4E00..=0x9FFF
        | 0xA960..=0xA97F
        | 0xAC00..=0xD7A3
        | 0xF900..=0xFAFF
        | 0xFE30..=0xFE4F
        | 0xFF00..=0xFF60
        | 0xFFE0..=0xFFE6
        | 0x20000..=0x3FFFD)
}

/// An estimate of `s`'s width in ems, by counting characters: wide (CJK) ones count 1 em,
/// others 0.6 em. Good enough to reserve margins; nothing depends on it being exact.
pub fn text_width_em(s: &str) -> f64 {
    s.chars().map(|c| if is_wide(c) { 1.0 } else { 0.6 }).sum()
}

/// A coordinate or length for an attribute: at most one decimal, no trailing `.0`, no `-0`.
pub fn num(v: f64) -> String {
    let v = if v.is_finite() { v } else { 0.0 };
    let s = format!("{:.1}", v);
    let s = s.strip_suffix(".0").unwrap_or(&s).to_string();
    if s == "-0" { "0".to_string() } else { s }
}

/// The WCAG relative luminance of an sRGB colour.
pub fn luminance((r, g, b): (u8, u8, u8)) -> f64 {
    let channel = |c: u8| {
        let c = f64::from(c) / 255.0;
        if c <= 0.03928 {
            c / 12.92
        } else {
            ((c + 0.055) / 1.055).powf(2.4)
        }
    };
    0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)
}

/// The WCAG contrast ratio between two colours (1 to 21).
pub fn contrast(a: (u8, u8, u8), b: (u8, u8, u8)) -> f64 {
    let (la, lb) = (luminance(a), luminance(b));
    let (hi, lo) = if la > lb { (la, lb) } else { (lb, la) };
    (hi + 0.05) / (lo + 0.05)
}

/// `#rrggbb` parsed; anything else is black.
pub fn rgb(hex: &str) -> (u8, u8, u8) {
    let h = hex.trim_start_matches('#');
    let part = |i: usize| {
        h.get(i..i + 2)
            .and_then(|p| u8::from_str_radix(p, 16).ok())
            .unwrap_or(0)
    };
    if h.len() == 6 {
        (part(0), part(2), part(4))
    } else {
        (0, 0, 0)
    }
}

/// `(r, g, b)` as `#rrggbb`.
pub fn hex((r, g, b): (u8, u8, u8)) -> String {
    format!("#{r:02x}{g:02x}{b:02x}")
}

/// A small writer of SVG elements: every attribute value and every text is escaped on the way
/// in, so callers cannot forget.
#[derive(Debug, Default)]
pub struct Svg {
    out: String,
}

impl Svg {
    /// Opens an `<svg>` of `width` × `height` user units (the `viewBox`; the element itself is
    /// `width="100%"`), with its `<title>` and `<desc>`. `interactive` graphics (ones containing
    /// links) are `role="group"` rather than `role="img"`, see the module documentation.
    pub fn new(
        id: &str,
        title: &str,
        description: &str,
        width: f64,
        height: f64,
        interactive: bool,
    ) -> Self {
        let id = id_token(id);
        let title_id = format!("{id}-title");
        let desc_id = format!("{id}-desc");
        let mut svg = Svg::default();
        svg.open(
            "svg",
            &[
                ("xmlns", "http://www.w3.org/2000/svg"),
                ("id", &id),
                ("viewBox", &format!("0 0 {} {}", num(width), num(height))),
                ("width", "100%"),
                ("preserveAspectRatio", "xMidYMid meet"),
                ("role", if interactive { "group" } else { "img" }),
                ("aria-labelledby", &format!("{title_id} {desc_id}")),
                ("font-family", FONT_FAMILY),
                ("font-size", "13"),
            ],
        );
        svg.element("title", &[("id", &title_id)], title);
        svg.element("desc", &[("id", &desc_id)], description);
        svg
    }

    /// `<name attrs…>`.
    pub fn open(&mut self, name: &str, attrs: &[(&str, &str)]) {
        self.out.push('<');
        self.out.push_str(name);
        self.attrs(attrs);
        self.out.push('>');
    }

    /// `</name>`.
    pub fn close(&mut self, name: &str) {
        self.out.push_str("</");
        self.out.push_str(name);
        self.out.push('>');
    }

    /// `<name attrs…/>`.
    pub fn empty(&mut self, name: &str, attrs: &[(&str, &str)]) {
        self.out.push('<');
        self.out.push_str(name);
        self.attrs(attrs);
        self.out.push_str("/>");
    }

    /// `<name attrs…>text</name>`.
    pub fn element(&mut self, name: &str, attrs: &[(&str, &str)], text: &str) {
        self.open(name, attrs);
        self.out.push_str(&escape(text));
        self.close(name);
    }

    /// A `<text>` at (`x`, `y`) with the given anchor and extra attributes.
    pub fn text(&mut self, x: f64, y: f64, anchor: &str, attrs: &[(&str, &str)], text: &str) {
        let (x, y) = (num(x), num(y));
        let mut all: Vec<(&str, &str)> = vec![("x", &x), ("y", &y), ("text-anchor", anchor)];
        all.extend_from_slice(attrs);
        self.element("text", &all, text);
    }

    /// Closes the `<svg>` and returns the document.
    pub fn finish(mut self) -> String {
        self.close("svg");
        self.out
    }

    fn attrs(&mut self, attrs: &[(&str, &str)]) {
        for (name, value) in attrs {
            self.out.push(' ');
            self.out.push_str(name);
            self.out.push_str("=\"");
            self.out.push_str(&escape(value));
            self.out.push('"');
        }
    }
}

/// The checks every graphic's tests share.
#[cfg(test)]
pub(crate) mod testing {
    use std::collections::HashSet;

    /// A label with every character that needs escaping.
    pub const NASTY: &str = "太浦河 <A&B> \"x\" 'y'";

    /// One element start tag: its name and attributes (values unescaped).
    #[derive(Debug, Clone)]
    pub struct Tag {
        pub name: String,
        pub attrs: Vec<(String, String)>,
    }

    impl Tag {
        pub fn attr(&self, name: &str) -> Option<&str> {
            self.attrs
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, v)| v.as_str())
        }

        pub fn num(&self, name: &str) -> f64 {
            self.attr(name)
                .unwrap_or_else(|| panic!("<{}> has no {name}", self.name))
                .parse()
                .unwrap()
        }
    }

    fn check_entities(s: &str, context: &str) -> String {
        let mut out = String::new();
        let mut rest = s;
        while let Some(i) = rest.find('&') {
            out.push_str(&rest[..i]);
            let after = &rest[i..];
            let end = after
                .find(';')
                .unwrap_or_else(|| panic!("bare & in {context}: {s}"));
            let entity = &after[..=end];
            out.push_str(match entity {
                "&amp;" => "&",
                "&lt;" => "<",
                "&gt;" => ">",
                "&quot;" => "\"",
                "&#39;" => "'",
                _ => panic!("unknown entity {entity} in {context}"),
            });
            rest = &after[end + 1..];
        }
        out.push_str(rest);
        out
    }

    fn is_name(s: &str) -> bool {
        !s.is_empty()
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | ':'))
    }

    /// Checks that `svg` is one well-formed element: tags balance, attributes are quoted and
    /// unique, entities are known, there is no stray `<`; and that it keeps to what a strict CSP
    /// and the module promise (no scripts, no `style`, no external references, unique ids,
    /// `role`, `aria-labelledby` naming its own `<title>` and `<desc>`). Returns every start
    /// tag in document order, each with the text that directly follows it.
    pub fn check(svg: &str) -> Vec<(Tag, String)> {
        let tags = parse(svg);
        let root = &tags.first().expect("no elements").0;
        assert_eq!(root.name, "svg");
        assert_eq!(root.attr("width"), Some("100%"));
        assert!(root.attr("height").is_none(), "no fixed height");
        let view_box: Vec<f64> = root
            .attr("viewBox")
            .expect("viewBox")
            .split(' ')
            .map(|v| v.parse().unwrap())
            .collect();
        assert_eq!(view_box.len(), 4);
        assert!(view_box[2] > 0.0 && view_box[3] > 0.0);
        let role = root.attr("role").expect("role");
        let links = tags.iter().any(|(t, _)| t.name == "a");
        assert_eq!(role, if links { "group" } else { "img" });
        let labelled: Vec<&str> = root.attr("aria-labelledby").unwrap().split(' ').collect();
        assert_eq!(labelled.len(), 2);
        assert_eq!(tags[1].0.name, "title");
        assert_eq!(tags[1].0.attr("id"), Some(labelled[0]));
        assert_eq!(tags[2].0.name, "desc");
        assert_eq!(tags[2].0.attr("id"), Some(labelled[1]));
        // Every link has an accessible name.
        for (t, _) in &tags {
            if t.name == "a" {
                assert!(t.attr("href").is_some());
                assert!(!t.attr("aria-label").unwrap_or("").is_empty());
            }
        }
        tags
    }

    /// The well-formedness and CSP half of [`check`], for fragments that need no title (such as
    /// decorative legend symbols).
    pub fn parse(svg: &str) -> Vec<(Tag, String)> {
        let mut stack: Vec<String> = Vec::new();
        let mut tags: Vec<(Tag, String)> = Vec::new();
        let mut ids = HashSet::new();
        let mut rest = svg;
        let mut closed_root = false;
        while !rest.is_empty() {
            let lt = rest.find('<').unwrap_or(rest.len());
            let text = &rest[..lt];
            assert!(!text.contains('>'), "stray > in text {text:?}");
            let text = check_entities(text, "text");
            if stack.is_empty() {
                assert!(text.trim().is_empty(), "text outside the root: {text:?}");
            } else if let Some(last) = tags.last_mut() {
                last.1.push_str(&text);
            }
            rest = &rest[lt..];
            if rest.is_empty() {
                break;
            }
            assert!(!closed_root, "content after the root element");
            let gt = rest.find('>').expect("unterminated tag");
            let inner = &rest[1..gt];
            rest = &rest[gt + 1..];
            assert!(!inner.contains('<'), "< inside tag: {inner}");
            if let Some(name) = inner.strip_prefix('/') {
                let open = stack
                    .pop()
                    .unwrap_or_else(|| panic!("</{name}> with none open"));
                assert_eq!(open, name, "</{name}> closes <{open}>");
                closed_root = stack.is_empty();
                continue;
            }
            let (inner, self_closing) = match inner.strip_suffix('/') {
                Some(i) => (i, true),
                None => (inner, false),
            };
            let name_end = inner.find(char::is_whitespace).unwrap_or(inner.len());
            let name = &inner[..name_end];
            assert!(is_name(name), "bad element name {name:?}");
            assert!(tags.is_empty() || !stack.is_empty(), "two root elements");
            let mut attrs: Vec<(String, String)> = Vec::new();
            let mut a = inner[name_end..].trim_start();
            while !a.is_empty() {
                let eq = a
                    .find('=')
                    .unwrap_or_else(|| panic!("attribute without value: {a}"));
                let attr = &a[..eq];
                assert!(is_name(attr), "bad attribute name {attr:?}");
                let v = &a[eq + 1..];
                assert!(v.starts_with('"'), "unquoted attribute {attr}");
                let close = v[1..].find('"').expect("unterminated attribute") + 1;
                let value = check_entities(&v[1..close], attr);
                assert!(
                    attrs.iter().all(|(n, _)| n != attr),
                    "duplicate attribute {attr} on <{name}>"
                );
                attrs.push((attr.to_string(), value));
                a = v[close + 1..].trim_start();
                assert!(
                    a.is_empty() || v[close + 1..].starts_with(char::is_whitespace),
                    "attributes not separated on <{name}>"
                );
            }
            let tag = Tag {
                name: name.to_string(),
                attrs,
            };
            assert_ne!(tag.name, "script", "scripts are not allowed");
            assert_ne!(tag.name, "foreignObject");
            assert_ne!(tag.name, "image", "no external references");
            assert_ne!(tag.name, "use", "no references");
            for (n, v) in &tag.attrs {
                assert_ne!(n, "style", "inline style would be blocked by the CSP");
                assert!(!n.starts_with("on"), "event handler {n}");
                assert_ne!(n, "xlink:href");
                if v.contains("url(") {
                    assert!(v.starts_with("url(#"), "external url in {n}: {v}");
                }
                if n == "href" {
                    assert_eq!(tag.name, "a", "href only on links");
                }
            }
            if let Some(id) = tag.attr("id") {
                assert!(ids.insert(id.to_string()), "duplicate id {id}");
            }
            tags.push((tag, String::new()));
            if self_closing {
                closed_root = stack.is_empty();
            } else {
                stack.push(name.to_string());
            }
        }
        assert!(stack.is_empty(), "unclosed elements: {stack:?}");
        assert!(!tags.is_empty(), "no elements");
        tags
    }

    /// The `<title>` and `<desc>` texts of a checked graphic.
    pub fn title_and_desc(tags: &[(Tag, String)]) -> (&str, &str) {
        (tags[1].1.as_str(), tags[2].1.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_covers_markup_and_quotes() {
        assert_eq!(
            escape(testing::NASTY),
            "太浦河 &lt;A&amp;B&gt; &quot;x&quot; &#39;y&#39;"
        );
        assert_eq!(escape("a\u{1}b\tc"), "ab\tc");
    }

    #[test]
    fn ids_are_name_tokens() {
        assert_eq!(id_token("map-1"), "map-1");
        assert_eq!(id_token("a b\"c"), "a-b-c");
        assert_eq!(id_token("1x"), "svg-1x");
        assert_eq!(id_token(""), "svg-");
    }

    #[test]
    fn widths_count_cjk_as_one_em() {
        assert_eq!(text_width_em("上海市"), 3.0);
        assert!((text_width_em("G60 科创走廊") - (4.0 * 0.6 + 4.0)).abs() < 1e-9);
    }

    #[test]
    fn numbers_are_short() {
        assert_eq!(num(12.0), "12");
        assert_eq!(num(12.345), "12.3");
        assert_eq!(num(-0.01), "0");
        assert_eq!(num(f64::NAN), "0");
    }

    #[test]
    fn palette_reaches_wcag_aa_on_white() {
        let white = rgb(WHITE);
        for text in [INK, MUTED, BLUE, TEAL, VERMILION] {
            assert!(contrast(rgb(text), white) >= 4.5, "{text}");
        }
        assert!(contrast(rgb(BORDER), white) >= 3.0);
        assert!(contrast(SCALE_DARK, white) >= 4.5);
        assert_eq!(hex(rgb("#1f4e8c")), "#1f4e8c");
    }

    #[test]
    fn graphics_on_one_page_do_not_clash() {
        let point = MapPoint {
            label: "上海市".into(),
            lat: 31.23,
            lon: 121.47,
            kind: PointKind::Member,
            href: None,
        };
        let spec = ChartSpec {
            id: "b".into(),
            title: "t".into(),
            description: "d".into(),
            unit: String::new(),
            observations: vec![(2024.0, 1.0, "2024: 1".into())],
            baseline: None,
            target: None,
            scale: Scale::Linear,
            x_label_years: true,
        };
        let graphics = [
            map("a", "t", "d", &[point]),
            chart(&spec),
            heatmap("c", "t", "d", &[("r".into(), None)], &["c".into()], &[]),
            heatmap("d", "t", "d", &[("r".into(), None)], &["c".into()], &[]),
        ];
        let mut ids = std::collections::HashSet::new();
        for svg in &graphics {
            for (tag, _) in testing::check(svg) {
                if let Some(id) = tag.attr("id") {
                    assert!(ids.insert(id.to_string()), "{id} used twice");
                }
            }
        }
        assert!(ids.contains("c-none") && ids.contains("d-none"));
    }

    #[test]
    fn the_checker_rejects_what_it_should() {
        let ok = |s: &str| std::panic::catch_unwind(|| testing::check(s)).is_ok();
        let head = r#"<svg viewBox="0 0 1 1" width="100%" role="img" aria-labelledby="t d"><title id="t">T</title><desc id="d">D</desc>"#;
        assert!(ok(&format!("{head}</svg>")));
        assert!(!ok(&format!("{head}<g></svg>")));
        assert!(!ok(&format!("{head}<g></text></svg>")));
        assert!(!ok(&format!("{head}<text>a & b</text></svg>")));
        assert!(!ok(&format!("{head}<text>a < b</text></svg>")));
        assert!(!ok(&format!(r#"{head}<g fill="a"b"/></svg>"#)));
        assert!(!ok(&format!(r#"{head}<g style="x"/></svg>"#)));
        assert!(!ok(&format!(r#"{head}<g id="t"/></svg>"#)));
    }
}
