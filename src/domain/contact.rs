//! Contact details: e-mail address, website URL and phone number.

use std::fmt;

use url::Url;

use super::Invalid;
use crate::domain::message::msg;

const EMAIL_MAX_CHARS: usize = 254;
const EMAIL_LOCAL_MAX_CHARS: usize = 64;
const URL_MAX_CHARS: usize = 2048;
const PHONE_MAX_CHARS: usize = 30;
const PHONE_MIN_DIGITS: usize = 6;
const PHONE_MAX_DIGITS: usize = 20;

/// An e-mail address: one `@`, a non-empty local part of at most 64 characters, a domain with
/// at least one dot, no spaces, at most 254 characters. The domain is lowercased (it is
/// case-insensitive); the local part is kept as typed, since its case may matter to the server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email(String);

impl Email {
    pub fn parse(input: &str) -> Result<Self, Invalid> {
        let email = input.trim();
        if email.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(Invalid::new(Invalid::INVALID_FORMAT, msg!("contact-email-spaces")));
        }
        let Some((local, domain)) = email.split_once('@') else {
            return Err(Invalid::new(Invalid::INVALID_FORMAT, msg!("contact-email-no-at")));
        };
        if domain.contains('@') {
            return Err(Invalid::new(Invalid::INVALID_FORMAT, msg!("contact-email-two-at")));
        }
        if local.is_empty() {
            return Err(Invalid::new(
                Invalid::INVALID_FORMAT,
                msg!("contact-email-no-local-part"),
            ));
        }
        if local.chars().count() > EMAIL_LOCAL_MAX_CHARS {
            return Err(Invalid::new(
                Invalid::TOO_LONG,
                msg!("contact-email-local-part-too-long", max = EMAIL_LOCAL_MAX_CHARS),
            ));
        }
        let labels: Vec<&str> = domain.split('.').collect();
        if labels.len() < 2 || labels.iter().any(|label| label.is_empty()) {
            return Err(Invalid::new(Invalid::INVALID_FORMAT, msg!("contact-email-domain")));
        }
        // Checked after lowercasing, which can lengthen a few non-ASCII characters, so that
        // the stored value always parses again.
        let email = format!("{local}@{}", domain.to_lowercase());
        if email.chars().count() > EMAIL_MAX_CHARS {
            return Err(Invalid::new(
                Invalid::TOO_LONG,
                msg!("contact-email-too-long", max = EMAIL_MAX_CHARS),
            ));
        }
        Ok(Self(email))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A website address: an absolute http or https URL with a host, at most 2048 characters,
/// stored as the `url` crate serialises it (lowercase scheme and host, punycode for
/// international domains, "/" for an empty path).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebsiteUrl(String);

impl WebsiteUrl {
    pub fn parse(input: &str) -> Result<Self, Invalid> {
        let text = input.trim();
        let too_long = || Invalid::new(Invalid::TOO_LONG, msg!("contact-url-too-long", max = URL_MAX_CHARS));
        if text.chars().count() > URL_MAX_CHARS {
            return Err(too_long());
        }
        let url = Url::parse(text).map_err(|e| {
            Invalid::new(
                Invalid::INVALID_FORMAT,
                msg!("contact-url-unreadable", reason = e.to_string()),
            )
        })?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(Invalid::new(
                Invalid::INVALID_FORMAT,
                msg!("contact-url-scheme", scheme = url.scheme()),
            ));
        }
        if url.host_str().is_none_or(str::is_empty) {
            return Err(Invalid::new(Invalid::INVALID_FORMAT, msg!("contact-url-no-host")));
        }
        let serialised = String::from(url);
        if serialised.chars().count() > URL_MAX_CHARS {
            return Err(too_long());
        }
        Ok(Self(serialised))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for WebsiteUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A phone number, kept as typed (after trimming): digits, spaces, `.`, `-`, `(`, `)` and a
/// leading `+`; 6 to 20 digits; at most 30 characters. "+33 4 67 00 00 00", "04.67.00.00.00".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Phone(String);

impl Phone {
    pub fn parse(input: &str) -> Result<Self, Invalid> {
        let phone = input.trim();
        if phone.chars().count() > PHONE_MAX_CHARS {
            return Err(Invalid::new(
                Invalid::TOO_LONG,
                msg!("contact-phone-too-long", max = PHONE_MAX_CHARS),
            ));
        }
        let allowed = |(position, c): (usize, char)| {
            c.is_ascii_digit() || matches!(c, ' ' | '.' | '-' | '(' | ')') || (c == '+' && position == 0)
        };
        if !phone.char_indices().all(allowed) {
            return Err(Invalid::new(Invalid::INVALID_FORMAT, msg!("contact-phone-characters")));
        }
        let digits = phone.chars().filter(char::is_ascii_digit).count();
        if !(PHONE_MIN_DIGITS..=PHONE_MAX_DIGITS).contains(&digits) {
            return Err(Invalid::new(
                Invalid::INVALID_FORMAT,
                msg!(
                    "contact-phone-digits",
                    min = PHONE_MIN_DIGITS,
                    max = PHONE_MAX_DIGITS,
                    digits = digits
                ),
            ));
        }
        Ok(Self(phone.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Phone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::test_support::any_text;
    use proptest::prelude::*;

    #[test]
    fn email_parse_accepts_and_lowercases_domain_when_valid() {
        for (input, expected, why) in [
            ("contact@cress-occitanie.org", "contact@cress-occitanie.org", "plain"),
            (
                "  Contact@Cress-Occitanie.ORG ",
                "Contact@cress-occitanie.org",
                "domain lowercased, local kept",
            ),
            (
                "a.b+tag@sub.example.fr",
                "a.b+tag@sub.example.fr",
                "dots and plus in local part",
            ),
            ("élodie@mutuelle.fr", "élodie@mutuelle.fr", "non-ASCII local part"),
        ] {
            let email = Email::parse(input).unwrap_or_else(|e| panic!("{why}: {input:?} refused: {e}"));
            assert_eq!(email.as_str(), expected, "{why}");
            assert_eq!(email.to_string(), expected, "{why}: Display");
        }
        let longest_local = format!("{}@example.org", "a".repeat(64));
        assert!(Email::parse(&longest_local).is_ok(), "64-character local part");
    }

    #[test]
    fn email_parse_refuses_when_shape_or_length_is_wrong() {
        let long_local = format!("{}@example.org", "a".repeat(65));
        let long_total = format!("a@{}.org", "b".repeat(250));
        for (input, code, why) in [
            ("", Invalid::INVALID_FORMAT, "empty"),
            ("contact.example.org", Invalid::INVALID_FORMAT, "no @"),
            ("a@b@example.org", Invalid::INVALID_FORMAT, "two @"),
            ("@example.org", Invalid::INVALID_FORMAT, "empty local part"),
            ("contact@localhost", Invalid::INVALID_FORMAT, "domain without a dot"),
            ("contact@example.", Invalid::INVALID_FORMAT, "trailing dot"),
            ("contact@.org", Invalid::INVALID_FORMAT, "leading dot"),
            ("contact@example..org", Invalid::INVALID_FORMAT, "empty label"),
            ("contact@", Invalid::INVALID_FORMAT, "empty domain"),
            ("jean dupont@example.org", Invalid::INVALID_FORMAT, "space inside"),
            ("a\0@example.org", Invalid::INVALID_FORMAT, "control character"),
            (&long_local, Invalid::TOO_LONG, "65-character local part"),
            (&long_total, Invalid::TOO_LONG, "256 characters in all"),
        ] {
            let err = Email::parse(input).expect_err(why);
            assert_eq!(err.code, code, "{why}: {input:?} gave {err}");
        }
    }

    #[test]
    fn website_url_parse_accepts_and_normalises_when_http_or_https() {
        for (input, expected, why) in [
            (
                "https://www.cress-occitanie.org",
                "https://www.cress-occitanie.org/",
                "root path added",
            ),
            (
                " HTTP://Example.ORG/Path?q=1 ",
                "http://example.org/Path?q=1",
                "scheme and host lowercased",
            ),
            (
                "https://exemple.fr/économie",
                "https://exemple.fr/%C3%A9conomie",
                "path percent-encoded",
            ),
            (
                "https://économie.fr/",
                "https://xn--conomie-9xa.fr/",
                "international domain in punycode",
            ),
            ("https://127.0.0.1:8080/", "https://127.0.0.1:8080/", "IP host and port"),
        ] {
            let url = WebsiteUrl::parse(input).unwrap_or_else(|e| panic!("{why}: {input:?} refused: {e}"));
            assert_eq!(url.as_str(), expected, "{why}");
        }
    }

    #[test]
    fn website_url_parse_refuses_when_not_a_web_address() {
        let long = format!("https://example.org/{}", "a".repeat(2048));
        for (input, code, why) in [
            ("", Invalid::INVALID_FORMAT, "empty"),
            ("www.example.org", Invalid::INVALID_FORMAT, "no scheme"),
            ("ftp://example.org", Invalid::INVALID_FORMAT, "ftp"),
            ("mailto:contact@example.org", Invalid::INVALID_FORMAT, "mailto"),
            ("javascript:alert(1)", Invalid::INVALID_FORMAT, "javascript"),
            ("file:///etc/passwd", Invalid::INVALID_FORMAT, "file"),
            ("https://", Invalid::INVALID_FORMAT, "no host"),
            ("https://exa mple.org", Invalid::INVALID_FORMAT, "space in host"),
            (&long, Invalid::TOO_LONG, "over 2048 characters"),
        ] {
            let err = WebsiteUrl::parse(input).expect_err(why);
            assert_eq!(err.code, code, "{why}: {input:?} gave {err}");
        }
    }

    #[test]
    fn phone_parse_keeps_trimmed_input_when_valid() {
        for (input, expected, why) in [
            ("04 67 00 00 00", "04 67 00 00 00", "French format"),
            (" +33 4 67 00 00 00 ", "+33 4 67 00 00 00", "international, trimmed"),
            ("04.67.00.00.00", "04.67.00.00.00", "dots"),
            ("+33 (0)4-67-00-00-00", "+33 (0)4-67-00-00-00", "parentheses and dashes"),
            ("123456", "123456", "6 digits"),
            ("12345678901234567890", "12345678901234567890", "20 digits"),
        ] {
            let phone = Phone::parse(input).unwrap_or_else(|e| panic!("{why}: {input:?} refused: {e}"));
            assert_eq!(phone.as_str(), expected, "{why}");
        }
    }

    #[test]
    fn phone_parse_refuses_when_characters_digits_or_length_are_wrong() {
        for (input, code, why) in [
            ("", Invalid::INVALID_FORMAT, "empty"),
            ("12345", Invalid::INVALID_FORMAT, "5 digits"),
            ("123456789012345678901", Invalid::INVALID_FORMAT, "21 digits"),
            ("04 67 00 00 0x", Invalid::INVALID_FORMAT, "letter"),
            ("33+4 67 00 00 00", Invalid::INVALID_FORMAT, "+ not first"),
            ("++33467000000", Invalid::INVALID_FORMAT, "two +"),
            ("04/67/00/00/00", Invalid::INVALID_FORMAT, "slashes"),
            (
                "04\u{a0}67\u{a0}00\u{a0}00\u{a0}00",
                Invalid::INVALID_FORMAT,
                "no-break spaces",
            ),
            ("0 4 6 7 0 0 0 0 0 0 0 0 0 0 0 0", Invalid::TOO_LONG, "31 characters"),
        ] {
            let err = Phone::parse(input).expect_err(why);
            assert_eq!(err.code, code, "{why}: {input:?} gave {err}");
        }
    }

    proptest! {
        #[test]
        fn parse_never_panics_and_round_trips_when_given_any_text(input in any_text()) {
            if let Ok(email) = Email::parse(&input) {
                prop_assert_eq!(Email::parse(email.as_str()), Ok(email));
            }
            if let Ok(url) = WebsiteUrl::parse(&input) {
                prop_assert_eq!(WebsiteUrl::parse(url.as_str()), Ok(url));
            }
            if let Ok(phone) = Phone::parse(&input) {
                prop_assert_eq!(Phone::parse(phone.as_str()), Ok(phone));
            }
        }

        #[test]
        fn parse_never_panics_and_round_trips_when_given_url_like_text(
            scheme in "[hH][tT][tT][pP][sS]?:(//)?",
            rest in "\\PC{0,40}",
        ) {
            let input = format!("{scheme}{rest}");
            if let Ok(url) = WebsiteUrl::parse(&input) {
                prop_assert_eq!(WebsiteUrl::parse(url.as_str()), Ok(url));
            }
        }

        #[test]
        fn parse_round_trips_when_value_is_valid(
            local in "[A-Za-z0-9._%+-]{1,64}",
            domain in "[A-Za-zÀ-ÿ0-9-]{1,20}(\\.[A-Za-z]{2,6}){1,3}",
            // Not `xn--…`: a label that says it is punycode must be valid punycode.
            host in "[a-wyz0-9][a-z0-9-]{0,19}\\.(fr|org|com)",
            path in "(/[A-Za-z0-9é._~-]{0,10}){0,4}",
            phone in "\\+?[0-9 .()-]{0,10}[0-9]{6}",
        ) {
            let email = Email::parse(&format!("{local}@{domain}")).expect("valid e-mail");
            prop_assert_eq!(Email::parse(email.as_str()), Ok(email.clone()));
            let url = WebsiteUrl::parse(&format!("https://{host}{path}")).expect("valid URL");
            prop_assert_eq!(WebsiteUrl::parse(url.as_str()), Ok(url.clone()));
            let phone = Phone::parse(&phone).expect("valid phone");
            prop_assert_eq!(Phone::parse(phone.as_str()), Ok(phone.clone()));
        }
    }
}
