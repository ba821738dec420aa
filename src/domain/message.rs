//! Sentences for people, in French or English: every `title`, `detail`, `message` and
//! `error_description` the API answers is a [`Message`], a key of the catalogues `locales/fr.ftl`
//! and `locales/en.ftl` (Fluent) with its arguments, put into words in the language of the
//! request when the answer is written. The `code`s beside them are for programs and stay as
//! they are.
//!
//! Outside a request (logs, the command line) a message reads in English; the HTTP layer runs
//! each request [`Lang::scope`]d in the language it negotiated from `Accept-Language`.

use std::borrow::Cow;
use std::fmt;
use std::sync::LazyLock;

use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource, FluentValue};
use serde::{Serialize, Serializer};

/// A language the messages are written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Lang {
    Fr,
    En,
}

impl Lang {
    /// Every language, the default first.
    pub const ALL: [Lang; 2] = [Lang::Fr, Lang::En];

    /// The language tag, as in `Content-Language`.
    pub fn tag(self) -> &'static str {
        match self {
            Lang::Fr => "fr",
            Lang::En => "en",
        }
    }

    /// The language of the current request; English outside one.
    pub fn current() -> Lang {
        CURRENT.try_with(|lang| *lang).unwrap_or(Lang::En)
    }

    /// Runs `future` with `self` as the current language.
    pub async fn scope<F: Future>(self, future: F) -> F::Output {
        CURRENT.scope(self, future).await
    }

    /// Runs `f` with `self` as the current language.
    pub fn sync_scope<R>(self, f: impl FnOnce() -> R) -> R {
        CURRENT.sync_scope(self, f)
    }

    /// The language to answer in, from an `Accept-Language` header (RFC 9110 §12.5.4): the
    /// acceptable one with the highest weight, French on a tie; French when the header is absent
    /// or accepts neither.
    pub fn negotiate(accept_language: Option<&str>) -> Lang {
        let Some(header) = accept_language else {
            return Lang::Fr;
        };
        let mut best: Option<(Lang, u16)> = None;
        let mut wildcard: Option<u16> = None;
        let mut refused = Vec::new();
        for range in header.split(',') {
            let mut parts = range.split(';');
            let tag = parts.next().unwrap_or_default().trim().to_ascii_lowercase();
            let weight = parts
                .filter_map(|p| p.trim().strip_prefix("q=").or_else(|| p.trim().strip_prefix("Q=")))
                .find_map(weight_of)
                .unwrap_or(1000);
            let primary = tag.split('-').next().unwrap_or_default();
            let lang = match primary {
                "fr" => Lang::Fr,
                "en" => Lang::En,
                "*" => {
                    wildcard = Some(wildcard.map_or(weight, |w| w.max(weight)));
                    continue;
                }
                _ => continue,
            };
            if weight == 0 {
                refused.push(lang);
                continue;
            }
            let better = match best {
                None => true,
                Some((held, w)) => weight > w || (weight == w && lang == Lang::Fr && held != Lang::Fr),
            };
            if better {
                best = Some((lang, weight));
            }
        }
        match (best, wildcard) {
            (Some((lang, weight)), Some(any)) if any > weight => Lang::ALL
                .into_iter()
                .find(|l| !refused.contains(l) && *l != lang)
                .unwrap_or(lang),
            (Some((lang, _)), _) => lang,
            (None, Some(any)) if any > 0 => Lang::ALL.into_iter().find(|l| !refused.contains(l)).unwrap_or(Lang::Fr),
            _ => Lang::Fr,
        }
    }
}

/// A `q=` weight in thousandths, or `None` when it is not one (RFC 9110 §12.4.2).
fn weight_of(text: &str) -> Option<u16> {
    let value: f64 = text.trim().parse().ok()?;
    (0.0..=1.0).contains(&value).then(|| (value * 1000.0).round() as u16)
}

tokio::task_local! {
    static CURRENT: Lang;
}

/// A sentence for a person: a catalogue key with its arguments, put into words when written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Message {
    /// A key of the catalogues and its arguments.
    Key {
        key: Cow<'static, str>,
        args: Vec<(&'static str, Arg)>,
    },
    /// Text that is not ours to translate (a library's own message), shown as it is.
    Verbatim(String),
    /// Several messages, one after the other, separated by `, `.
    List(Vec<Message>),
}

/// One argument of a [`Message`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Arg {
    Text(String),
    Number(i64),
    Message(Box<Message>),
}

impl Message {
    pub fn new(key: impl Into<Cow<'static, str>>) -> Self {
        Self::Key {
            key: key.into(),
            args: Vec::new(),
        }
    }

    /// The same message with the argument `name` set to `value`.
    pub fn with(mut self, name: &'static str, value: impl Into<Arg>) -> Self {
        if let Self::Key { args, .. } = &mut self {
            args.push((name, value.into()));
        }
        self
    }

    /// Text shown as it is, in every language: a library's own words (a JSON parser's).
    pub fn verbatim(text: impl Into<String>) -> Self {
        Self::Verbatim(text.into())
    }

    /// The message in `lang`. A key missing from `lang`'s catalogue reads in the other
    /// language, then as the key itself (the catalogue tests make sure neither happens).
    pub fn render(&self, lang: Lang) -> String {
        match self {
            Self::Verbatim(text) => text.clone(),
            Self::List(items) => items.iter().map(|m| m.render(lang)).collect::<Vec<_>>().join(", "),
            Self::Key { key, args } => {
                let mut fluent = FluentArgs::new();
                for (name, value) in args {
                    let value = match value {
                        Arg::Text(text) => FluentValue::from(text.as_str()),
                        Arg::Number(n) => FluentValue::from(*n),
                        Arg::Message(message) => FluentValue::from(message.render(lang)),
                    };
                    fluent.set(*name, value.into_owned());
                }
                let other = if lang == Lang::Fr { Lang::En } else { Lang::Fr };
                CATALOGUES
                    .format(lang, key, &fluent)
                    .or_else(|| CATALOGUES.format(other, key, &fluent))
                    .unwrap_or_else(|| key.to_string())
            }
        }
    }
}

/// In English, for logs and the command line.
impl fmt::Display for Message {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.render(Lang::En))
    }
}

/// Written in the language of the current request.
impl Serialize for Message {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.render(Lang::current()))
    }
}

impl From<Message> for Arg {
    fn from(message: Message) -> Self {
        Arg::Message(Box::new(message))
    }
}

/// Text arguments: anything written with `Display`, owned or borrowed.
macro_rules! text_args {
    ($($t:ty),*) => {$(
        impl From<$t> for Arg {
            fn from(value: $t) -> Self {
                Arg::Text(value.to_string())
            }
        }
        impl From<&$t> for Arg {
            fn from(value: &$t) -> Self {
                Arg::Text(value.to_string())
            }
        }
    )*};
}
text_args!(String, Cow<'_, str>, uuid::Uuid, chrono::NaiveDate);

impl From<&str> for Arg {
    fn from(text: &str) -> Self {
        Arg::Text(text.to_owned())
    }
}

macro_rules! number_args {
    ($($t:ty),*) => {$(
        impl From<$t> for Arg {
            fn from(n: $t) -> Self {
                Arg::Number(i64::try_from(n).unwrap_or(i64::MAX))
            }
        }
        impl From<&$t> for Arg {
            fn from(n: &$t) -> Self {
                Arg::Number(i64::try_from(*n).unwrap_or(i64::MAX))
            }
        }
    )*};
}
number_args!(u8, u16, u32, u64, usize, i16, i32, i64);

/// A [`Message`]: `msg!("key")` or `msg!("key", name = value, other = value)`, each value
/// anything that converts into an [`Arg`] (text, a whole number, an id, a date, another message).
macro_rules! msg {
    ($key:expr $(, $name:ident = $value:expr)* $(,)?) => {
        $crate::domain::message::Message::new($key)$(.with(stringify!($name), $value))*
    };
}
pub(crate) use msg;

/// The catalogues, one per language, read once from the files compiled in.
struct Catalogues {
    fr: FluentBundle<FluentResource>,
    en: FluentBundle<FluentResource>,
}

/// The catalogue files: `locales/{fr,en}.ftl`, compiled into the binary.
pub const SOURCES: [(Lang, &str); 2] = [
    (Lang::Fr, include_str!("../../locales/fr.ftl")),
    (Lang::En, include_str!("../../locales/en.ftl")),
];

static CATALOGUES: LazyLock<Catalogues> = LazyLock::new(|| Catalogues {
    fr: bundle(Lang::Fr),
    en: bundle(Lang::En),
});

/// The catalogue of `lang`; a file that does not parse is a fault caught by the tests, so what
/// parses is kept.
fn bundle(lang: Lang) -> FluentBundle<FluentResource> {
    let source = SOURCES
        .iter()
        .find(|(l, _)| *l == lang)
        .map(|(_, s)| *s)
        .unwrap_or_default();
    let resource = FluentResource::try_new(source.to_owned()).unwrap_or_else(|(partial, _)| partial);
    let id = lang.tag().parse().expect("a language tag");
    let mut bundle = FluentBundle::new_concurrent(vec![id]);
    bundle.set_use_isolating(false);
    let _ = bundle.add_resource(resource);
    bundle
}

impl Catalogues {
    fn bundle(&self, lang: Lang) -> &FluentBundle<FluentResource> {
        match lang {
            Lang::Fr => &self.fr,
            Lang::En => &self.en,
        }
    }

    fn format(&self, lang: Lang, key: &str, args: &FluentArgs) -> Option<String> {
        let bundle = self.bundle(lang);
        let pattern = bundle.get_message(key)?.value()?;
        let mut errors = Vec::new();
        let text = bundle.format_pattern(pattern, Some(args), &mut errors);
        errors.is_empty().then(|| text.into_owned())
    }
}

/// Whether `key` has a message in `lang`'s catalogue.
pub fn has_key(lang: Lang, key: &str) -> bool {
    CATALOGUES
        .bundle(lang)
        .get_message(key)
        .is_some_and(|m| m.value().is_some())
}

/// Fails, naming each of them, unless every key has a message in both languages; each key comes
/// with where it was found, for the failure's message.
#[cfg(test)]
pub fn assert_keys(keys: impl IntoIterator<Item = (String, String)>) {
    let missing: Vec<String> = keys
        .into_iter()
        .flat_map(|(key, origin)| {
            Lang::ALL
                .into_iter()
                .filter(|lang| !has_key(*lang, &key))
                .map(|lang| format!("{key} ({origin}) has no {} message", lang.tag()))
                .collect::<Vec<_>>()
        })
        .collect();
    assert!(missing.is_empty(), "{missing:#?}");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_catalogues_parse_and_hold_the_same_keys() {
        let mut keys = Vec::new();
        for (lang, source) in SOURCES {
            let resource = match FluentResource::try_new(source.to_owned()) {
                Ok(resource) => resource,
                Err((_, errors)) => panic!("locales/{}.ftl does not parse: {errors:?}", lang.tag()),
            };
            let mut ids: Vec<String> = resource
                .entries()
                .filter_map(|entry| match entry {
                    fluent_syntax::ast::Entry::Message(m) => Some(m.id.name.to_owned()),
                    _ => None,
                })
                .collect();
            let count = ids.len();
            ids.sort();
            ids.dedup();
            assert_eq!(ids.len(), count, "a key is written twice in locales/{}.ftl", lang.tag());
            keys.push(ids);
        }
        let (fr, en) = (&keys[0], &keys[1]);
        let only_fr: Vec<_> = fr.iter().filter(|k| !en.contains(k)).collect();
        let only_en: Vec<_> = en.iter().filter(|k| !fr.contains(k)).collect();
        assert!(only_fr.is_empty(), "in French but not in English: {only_fr:?}");
        assert!(only_en.is_empty(), "in English but not in French: {only_en:?}");
    }

    #[test]
    fn accept_language_picks_the_preferred_language_and_french_by_default() {
        let cases = [
            (None, Lang::Fr),
            (Some(""), Lang::Fr),
            (Some("en"), Lang::En),
            (Some("en-GB,en;q=0.9"), Lang::En),
            (Some("fr-FR,fr;q=0.9,en;q=0.8"), Lang::Fr),
            (Some("de-DE,en;q=0.5"), Lang::En),
            (Some("de, es"), Lang::Fr),
            (Some("en;q=0.4, fr;q=0.6"), Lang::Fr),
            (Some("fr;q=0.4, en;q=0.6"), Lang::En),
            (Some("en, fr"), Lang::Fr),
            (Some("fr;q=0, en;q=0.1"), Lang::En),
            (Some("*"), Lang::Fr),
            (Some("fr;q=0, *"), Lang::En),
            (Some("EN-us"), Lang::En),
            (Some("en;q=2"), Lang::En),
        ];
        for (header, expected) in cases {
            assert_eq!(Lang::negotiate(header), expected, "{header:?}");
        }
    }

    #[test]
    fn a_message_reads_in_either_language_with_its_arguments_and_plurals() {
        let message = msg!("fields-invalid", count = 2usize, fields = "siren, name");
        assert_eq!(message.render(Lang::Fr), "2 champs sont invalides : siren, name");
        assert_eq!(message.render(Lang::En), "2 fields are invalid: siren, name");
        assert_eq!(
            message.to_string(),
            "2 fields are invalid: siren, name",
            "Display is English"
        );
    }

    #[test]
    fn a_message_nests_another_in_the_same_language() {
        let holders = msg!("resource-event", count = 2usize);
        let message = msg!("record-in-use", kind = "club", holders = holders);
        assert_eq!(
            message.render(Lang::Fr),
            "ce club ne peut pas être supprimé : il est encore référencé par événements"
        );
        assert_eq!(
            message.render(Lang::En),
            "this club cannot be deleted: it is still referenced by events"
        );
    }

    #[test]
    fn plurals_follow_each_language() {
        let noun = |count: usize, lang| msg!("resource-event", count = count).render(lang);
        assert_eq!(noun(0, Lang::Fr), "événement", "French counts 0 as one");
        assert_eq!(noun(0, Lang::En), "events");
        assert_eq!(noun(1, Lang::En), "event");
        assert_eq!(noun(3, Lang::Fr), "événements");
    }

    #[test]
    fn a_message_serializes_in_the_language_of_its_scope() {
        let message = msg!("resource-club_member", count = 1usize);
        let fr = Lang::Fr.sync_scope(|| serde_json::to_string(&message).unwrap());
        let en = Lang::En.sync_scope(|| serde_json::to_string(&message).unwrap());
        assert_eq!((fr.as_str(), en.as_str()), ("\"membre de club\"", "\"club member\""));
        assert_eq!(
            serde_json::to_string(&message).unwrap(),
            "\"club member\"",
            "English outside a request"
        );
    }

    /// The keys the code names: the first argument of every `msg!("…"` in `src/`.
    fn keys_named_in_the_code() -> Vec<(String, String)> {
        let mut found = Vec::new();
        let mut dirs = vec![std::path::PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/src"))];
        while let Some(dir) = dirs.pop() {
            for entry in std::fs::read_dir(&dir).expect("src is readable") {
                let path = entry.expect("an entry").path();
                if path.is_dir() {
                    dirs.push(path);
                } else if path.extension().is_some_and(|e| e == "rs") {
                    let source = std::fs::read_to_string(&path).expect("a source file");
                    let code: Vec<&str> = source.lines().filter(|l| !l.trim_start().starts_with("//")).collect();
                    let code = code.join("\n");
                    // Spelled in two halves so that this scanner does not find itself.
                    let needle = concat!("msg", "!(");
                    for (at, _) in code.match_indices(needle) {
                        let rest = code[at + needle.len()..].trim_start();
                        if let Some(rest) = rest.strip_prefix('"')
                            && let Some(end) = rest.find('"')
                        {
                            found.push((path.display().to_string(), rest[..end].to_owned()));
                        }
                    }
                }
            }
        }
        found
    }

    #[test]
    fn every_key_the_code_names_has_a_message_in_both_languages() {
        let keys = keys_named_in_the_code();
        assert!(
            keys.len() > 100,
            "the scan finds the code's keys ({} found)",
            keys.len()
        );
        assert_keys(keys.into_iter().map(|(file, key)| (key, file)));
    }
}
