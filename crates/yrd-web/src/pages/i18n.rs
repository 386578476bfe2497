//! The portal's message catalog: every interface label in Simplified Chinese and English, as
//! Project Fluent files in `locales/`, compiled into the binary.

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::LazyLock;

use fluent_templates::fluent_bundle::FluentValue;
use fluent_templates::{LanguageIdentifier, Loader};
use yrd_domain::Lang;

fluent_templates::static_loader! {
    static LOCALES = {
        locales: "./locales",
        fallback_language: "zh-CN",
        // Unicode isolation marks around arguments would show up in titles and tests.
        customise: |bundle| bundle.set_use_isolating(false),
    };
}

static ZH: LazyLock<LanguageIdentifier> =
    LazyLock::new(|| "zh-CN".parse().expect("a valid language tag"));
static EN: LazyLock<LanguageIdentifier> =
    LazyLock::new(|| "en".parse().expect("a valid language tag"));

fn id(lang: Lang) -> &'static LanguageIdentifier {
    match lang {
        Lang::Zh => &ZH,
        Lang::En => &EN,
    }
}

/// The label `key` in `lang`.
pub fn t(lang: Lang, key: &str) -> String {
    LOCALES.lookup(id(lang), key)
}

/// The label `key` in `lang`, with one argument.
pub fn t_with(lang: Lang, key: &str, name: &str, value: &str) -> String {
    let args: HashMap<Cow<'static, str>, FluentValue<'_>> = HashMap::from([(
        Cow::Owned(name.to_owned()),
        FluentValue::from(value.to_owned()),
    )]);
    LOCALES.lookup_with_args(id(lang), key, &args)
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;
    use std::path::Path;

    use super::*;
    use crate::dto::{
        DecisionStatus, IndicatorStatus, MatterStatus, PlanKind, PlanStage, ReportState, Stance,
        Tier,
    };

    const CRATE: &str = env!("CARGO_MANIFEST_DIR");

    /// The message ids a locale's Fluent files define (the loader reads every `.ftl` file of
    /// the locale's directory).
    fn ids(locale: &str) -> BTreeSet<String> {
        let mut ids = BTreeSet::new();
        for entry in std::fs::read_dir(Path::new(CRATE).join("locales").join(locale)).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "ftl") {
                let text = std::fs::read_to_string(path).unwrap();
                ids.extend(
                    text.lines()
                        .filter(|l| l.chars().next().is_some_and(|c| c.is_ascii_lowercase()))
                        .filter_map(|l| l.split_once(" =").map(|(id, _)| id.trim().to_owned())),
                );
            }
        }
        ids
    }

    /// The variable each message of a locale takes, for those that take one.
    fn arguments(locale: &str) -> std::collections::BTreeMap<String, String> {
        let mut arguments = std::collections::BTreeMap::new();
        for entry in std::fs::read_dir(Path::new(CRATE).join("locales").join(locale)).unwrap() {
            let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
            for line in text.lines() {
                if let Some((id, message)) = line.split_once(" =")
                    && let Some((_, rest)) = message.split_once("{ $")
                    && let Some((name, _)) = rest.split_once(' ')
                {
                    arguments.insert(id.trim().to_owned(), name.to_owned());
                }
            }
        }
        arguments
    }

    /// The ids the templates ask for with `t("…")`, `t1("…"` or `.t(p.kind)`-free literals.
    fn used_in_templates() -> BTreeSet<String> {
        let mut used = BTreeSet::new();
        for entry in std::fs::read_dir(Path::new(CRATE).join("templates")).unwrap() {
            let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
            for call in ["t(\"", "t1(\""] {
                for piece in text.split(call).skip(1) {
                    if let Some((id, _)) = piece.split_once('"') {
                        used.insert(id.to_owned());
                    }
                }
            }
        }
        used
    }

    #[test]
    fn both_catalogs_define_the_same_labels() {
        let zh = ids("zh-CN");
        let en = ids("en");
        assert!(zh.len() > 50, "{zh:?}");
        let only_zh: Vec<_> = zh.difference(&en).collect();
        let only_en: Vec<_> = en.difference(&zh).collect();
        assert!(
            only_zh.is_empty() && only_en.is_empty(),
            "zh only: {only_zh:?}; en only: {only_en:?}"
        );
    }

    #[test]
    fn every_label_the_pages_use_exists_in_both_languages() {
        let defined = ids("en");
        let mut wanted = used_in_templates();
        for (prefix, names) in [
            ("plan-kind", PlanKind::NAMES),
            ("plan-stage", PlanStage::NAMES),
            ("matter-status", MatterStatus::NAMES),
            ("decision-status", DecisionStatus::NAMES),
            ("stance", Stance::NAMES),
            ("indicator-status", IndicatorStatus::NAMES),
            ("tier", Tier::NAMES),
            ("report-state", ReportState::NAMES),
        ] {
            wanted.extend(names.iter().map(|n| format!("{prefix}-{n}")));
        }
        wanted.extend(
            ["matter", "plan", "meeting", "agreement", "indicator"].map(|k| format!("kind-{k}")),
        );
        wanted.extend(["sign-in-expired", "sign-in-wrong", "sign-in-throttled"].map(String::from));
        wanted.extend(["map-member", "map-zone-member", "map-city", "area-none"].map(String::from));
        let missing: Vec<_> = wanted.difference(&defined).collect();
        assert!(
            missing.is_empty(),
            "labels used but not defined: {missing:?}"
        );
        // Labels with an argument are looked up with it, as the pages do: its name is the
        // variable the catalog's message uses.
        let arguments = arguments("en");
        let argument = |id: &str| arguments.get(id).map(String::as_str);
        for id in &wanted {
            let [zh, en] = [Lang::Zh, Lang::En].map(|lang| match argument(id) {
                Some(name) => t_with(lang, id, name, "1"),
                None => t(lang, id),
            });
            assert!(!zh.contains("Unknown localization"), "{id}: {zh}");
            // Names that are the same in every language (a file format) are exempt.
            if id != "json" {
                assert_ne!(zh, en, "{id} is the same in both languages");
            }
        }
    }

    #[test]
    fn arguments_are_filled_in_without_isolation_marks() {
        assert_eq!(
            t_with(Lang::En, "as-of", "date", "5 June 2024"),
            "as of 5 June 2024"
        );
        assert_eq!(
            t_with(Lang::Zh, "as-of", "date", "2024年6月5日"),
            "截至 2024年6月5日"
        );
    }
}
