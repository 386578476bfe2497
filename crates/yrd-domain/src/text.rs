//! Bilingual text: every string a person reads exists in Simplified Chinese and English.

use serde::{Deserialize, Serialize};

/// A language yrd speaks. Simplified Chinese is the primary one.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    #[default]
    Zh,
    En,
}

impl Lang {
    /// Picks a language from a `lang` parameter or an `Accept-Language` header value:
    /// the first supported tag by quality wins; anything unknown falls back to Chinese.
    pub fn negotiate(value: &str) -> Option<Lang> {
        let mut best: Option<(f32, Lang)> = None;
        for part in value.split(',') {
            let mut pieces = part.split(';');
            let tag = pieces.next().unwrap_or("").trim().to_ascii_lowercase();
            let quality = pieces
                .find_map(|p| {
                    p.trim()
                        .strip_prefix("q=")
                        .and_then(|q| q.parse::<f32>().ok())
                })
                .unwrap_or(1.0);
            let lang = if tag == "zh" || tag.starts_with("zh-") {
                Lang::Zh
            } else if tag == "en" || tag.starts_with("en-") {
                Lang::En
            } else {
                continue;
            };
            if quality > 0.0 && best.is_none_or(|(q, _)| quality > q) {
                best = Some((quality, lang));
            }
        }
        best.map(|(_, lang)| lang)
    }

    pub fn code(self) -> &'static str {
        match self {
            Lang::Zh => "zh",
            Lang::En => "en",
        }
    }
}

/// A text in both languages. The Chinese text is required wherever a text is required; the
/// English may be missing (empty) only where the public record has no translation, and
/// readers then see the Chinese with a visible fallback marker.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Text {
    pub zh: String,
    #[serde(default)]
    pub en: String,
}

impl Text {
    pub fn new(zh: impl Into<String>, en: impl Into<String>) -> Self {
        Text {
            zh: zh.into(),
            en: en.into(),
        }
    }

    /// The text in `lang`, and whether it had to fall back to the other language.
    pub fn pick(&self, lang: Lang) -> (&str, bool) {
        let (wanted, other) = match lang {
            Lang::Zh => (&self.zh, &self.en),
            Lang::En => (&self.en, &self.zh),
        };
        if wanted.trim().is_empty() {
            (other, true)
        } else {
            (wanted, false)
        }
    }

    pub fn is_empty(&self) -> bool {
        self.zh.trim().is_empty() && self.en.trim().is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn negotiates_by_quality_and_ignores_unknown_tags() {
        assert_eq!(Lang::negotiate("en"), Some(Lang::En));
        assert_eq!(Lang::negotiate("zh-CN,zh;q=0.9,en;q=0.8"), Some(Lang::Zh));
        assert_eq!(
            Lang::negotiate("fr-FR, en-GB;q=0.7, zh;q=0.5"),
            Some(Lang::En)
        );
        assert_eq!(Lang::negotiate("de"), None);
        assert_eq!(Lang::negotiate("en;q=0, zh;q=0.1"), Some(Lang::Zh));
    }

    #[test]
    fn picks_with_visible_fallback() {
        let t = Text::new("温州市", "");
        assert_eq!(t.pick(Lang::Zh), ("温州市", false));
        assert_eq!(t.pick(Lang::En), ("温州市", true));
    }
}
