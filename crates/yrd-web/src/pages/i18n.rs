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
pub fn t_with(lang: Lang, key: &str, name: &'static str, value: &str) -> String {
    let args: HashMap<Cow<'static, str>, FluentValue<'_>> =
        HashMap::from([(Cow::Borrowed(name), FluentValue::from(value.to_owned()))]);
    LOCALES.lookup_with_args(id(lang), key, &args)
}
