//! Free text: the accent- and case-folded search key, and the cleaning of user-typed text fields.

use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

use super::Invalid;
use crate::domain::message::msg;

/// The form names are compared in when searching: without accents, lowercase, ligatures
/// spelled out, and words separated by single spaces.
///
/// Steps: compatibility decomposition (NFKD), drop combining marks (the accents it split off),
/// lowercase, œ → oe, æ → ae, ß → ss, then every run of characters that are not letters or
/// digits (spaces, apostrophes, hyphens, dots…) becomes one space, trimmed at both ends.
/// "Mutuelle  d’Épargne-Sud" → "mutuelle d epargne sud". Applying it twice changes nothing.
///
/// NFKD rather than plain NFD: it does all NFD does and also folds the compatibility forms
/// found in pasted text (full-width "Ｃｒｅｓｓ", the "ﬁ" ligature, "𝐀", "ℂ"), which NFD would
/// leave as letters that have no lowercase form.
pub fn search_key(s: &str) -> String {
    let mut key = String::with_capacity(s.len());
    let mut gap = false;
    let letters = s.nfkd().filter(|c| !is_combining_mark(*c)).flat_map(char::to_lowercase);
    for c in letters {
        if !c.is_alphanumeric() {
            gap = true;
            continue;
        }
        if gap && !key.is_empty() {
            key.push(' ');
        }
        gap = false;
        match c {
            'œ' => key.push_str("oe"),
            'æ' => key.push_str("ae"),
            'ß' => key.push_str("ss"),
            _ => key.push(c),
        }
    }
    key
}

/// Cleans a user-typed text field: trims it, and refuses it when blank, longer than
/// `max_chars` characters (not bytes), or holding control characters other than line breaks
/// and tabs. `field_label` names the field in the messages ("name", "description"…).
pub fn clean_text(s: &str, max_chars: usize, field_label: &str) -> Result<String, Invalid> {
    let text = s.trim();
    if text.is_empty() {
        return Err(Invalid::new(Invalid::BLANK, msg!("text-blank", field = field_label)));
    }
    let length = text.chars().count();
    if length > max_chars {
        return Err(Invalid::new(
            Invalid::TOO_LONG,
            msg!("text-too-long", field = field_label, length = length, max = max_chars),
        ));
    }
    if let Some(c) = text
        .chars()
        .find(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
    {
        let which = if c == '\0' {
            "U+0000, NUL".to_owned()
        } else {
            format!("U+{:04X}", u32::from(c))
        };
        return Err(Invalid::new(
            Invalid::INVALID_FORMAT,
            msg!("text-control-character", field = field_label, which = which),
        ));
    }
    Ok(text.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::test_support::any_text;
    use proptest::prelude::*;

    /// The properties every search key has: stable under a second pass, already lowercase,
    /// no combining marks, no leading, trailing or doubled spaces.
    fn assert_is_search_key(key: &str, from: &str) {
        assert_eq!(search_key(key), key, "idempotent, from {from:?}");
        assert_eq!(key.to_lowercase(), key, "lowercase, from {from:?}");
        assert!(
            !key.chars().any(is_combining_mark),
            "no combining mark in {key:?} from {from:?}"
        );
        assert!(
            !key.starts_with(' ') && !key.ends_with(' '),
            "trimmed: {key:?} from {from:?}"
        );
        assert!(!key.contains("  "), "single spaces: {key:?} from {from:?}");
    }

    #[test]
    fn search_key_folds_accents_case_and_punctuation_when_given_french_names() {
        for (input, expected, why) in [
            ("Lodève", "lodeve", "accent dropped"),
            (
                "Mutuelle  d’Épargne-Sud",
                "mutuelle d epargne sud",
                "apostrophe, hyphen, double space",
            ),
            ("ŒUVRE", "oeuvre", "uppercase ligature"),
            ("Cœur", "coeur", "lowercase ligature"),
            ("Lætitia", "laetitia", "æ"),
            ("Straße", "strasse", "ß"),
            ("STRAẞE", "strasse", "capital sharp s"),
            ("Lode\u{300}ve", "lodeve", "already decomposed accent"),
            ("  l'É.S.S.  ", "l e s s", "dots and apostrophe, trimmed"),
            ("Île-de-France", "ile de france", "circumflex on capital"),
            (
                "Provence-Alpes-Côte d'Azur",
                "provence alpes cote d azur",
                "region name",
            ),
            ("Cress n°76", "cress n 76", "degree sign is a separator, digits kept"),
            ("", "", "empty"),
            (" -–—… ", "", "only punctuation"),
            ("İstanbul", "istanbul", "dotted capital I loses its dot"),
            ("Ｃｒｅｓｓ", "cress", "full-width letters"),
            ("ﬁnance", "finance", "fi ligature"),
            ("ℂ𝐀", "ca", "letterlike and mathematical letters"),
            ("m²", "m2", "superscript digit"),
        ] {
            assert_eq!(search_key(input), expected, "{why}: {input:?}");
        }
    }

    #[test]
    fn search_key_is_stable_lowercase_and_markless_when_given_any_single_character() {
        for c in (0..=u32::from(char::MAX)).filter_map(char::from_u32) {
            let input = format!("a{c}b{c}");
            let key = search_key(&input);
            assert_is_search_key(&key, &input);
            // No uppercase letter survives. The only characters Rust still calls uppercase are
            // the negative circled/squared capitals U+1F150–U+1F189: symbols (So) that Unicode
            // counts as alphabetic but gives no lowercase form.
            assert!(
                key.chars()
                    .filter(|c| c.is_uppercase())
                    .all(|c| ('\u{1F150}'..='\u{1F189}').contains(&c)),
                "uppercase left in {key:?} from {input:?}"
            );
        }
    }

    #[test]
    fn clean_text_returns_trimmed_text_when_valid() {
        for (input, expected, why) in [
            ("  Cress Occitanie ", "Cress Occitanie", "trimmed"),
            (
                "ligne 1\nligne 2\r\n\tfin",
                "ligne 1\nligne 2\r\n\tfin",
                "line breaks and tabs kept",
            ),
        ] {
            assert_eq!(clean_text(input, 100, "name"), Ok(expected.to_owned()), "{why}");
        }
        assert_eq!(
            clean_text(" ééééé ", 5, "name"),
            Ok("ééééé".to_owned()),
            "5 characters (10 bytes) fit in 5: the limit counts characters"
        );
    }

    #[test]
    fn clean_text_refuses_when_blank_too_long_or_holding_control_characters() {
        for (input, max, code, why) in [
            ("", 10, Invalid::BLANK, "empty"),
            (" \n\t ", 10, Invalid::BLANK, "only whitespace"),
            ("abcdef", 5, Invalid::TOO_LONG, "6 characters for 5"),
            ("éééééé", 5, Invalid::TOO_LONG, "6 characters for 5, counted in chars"),
            ("a\0b", 10, Invalid::INVALID_FORMAT, "NUL"),
            ("a\u{1b}[31mb", 10, Invalid::INVALID_FORMAT, "escape sequence"),
            ("a\u{85}b", 10, Invalid::INVALID_FORMAT, "C1 control"),
        ] {
            let err = clean_text(input, max, "name").expect_err(why);
            assert_eq!(err.code, code, "{why}: {input:?} gave {err}");
            assert!(
                err.message.to_string().starts_with("name "),
                "{why}: message names the field: {}",
                err.message
            );
        }
        let err = clean_text("a\0b", 10, "description").expect_err("NUL");
        assert!(err.message.to_string().contains("NUL"), "NUL is named: {}", err.message);
    }

    proptest! {
        #[test]
        fn search_key_is_idempotent_lowercase_and_markless_when_given_any_text(input in any_text()) {
            let key = search_key(&input);
            assert_is_search_key(&key, &input);
        }

        #[test]
        fn clean_text_never_panics_and_is_idempotent_when_given_any_text(
            input in any_text(), max in 0usize..80,
        ) {
            if let Ok(cleaned) = clean_text(&input, max, "name") {
                prop_assert_eq!(clean_text(&cleaned, max, "name"), Ok(cleaned.clone()));
            }
        }
    }
}
