//! French legal identifiers: SIREN, SIRET and RNA numbers, and the Luhn check they share (docs/domain.md B.4).

use std::fmt;

use super::{Invalid, is_ascii_digits, without_spaces};
use crate::domain::message::msg;

/// La Poste's SIREN: its establishments' SIRETs follow their own check rule (see [`Siret`]).
const LA_POSTE_SIREN: &str = "356000000";
/// La Poste's head office: Luhn-valid, the one La Poste SIRET outside the digit-sum rule.
const LA_POSTE_HEAD_OFFICE: &str = "35600000000048";

/// Luhn (mod 10) check: from the right, double every second digit, subtract 9 from results
/// above 9, and require the sum to be a multiple of 10. False for an empty string or any
/// character that is not an ASCII digit.
pub fn luhn_valid(digits: &str) -> bool {
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return false;
    }
    let sum = digits.bytes().rev().enumerate().fold(0u32, |sum, (position, byte)| {
        let digit = u32::from(byte - b'0');
        let value = if position % 2 == 1 {
            let doubled = digit * 2;
            if doubled > 9 { doubled - 9 } else { doubled }
        } else {
            digit
        };
        (sum + value) % 10
    });
    sum == 0
}

/// The 9-digit number INSEE gives a legal unit (company, association…), Luhn-checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Siren(String);

impl Siren {
    /// Accepts 9 digits, with any spaces people paste ("775 672 272").
    pub fn parse(input: &str) -> Result<Self, Invalid> {
        let digits = without_spaces(input);
        if !is_ascii_digits(&digits, 9) {
            return Err(Invalid::new(Invalid::INVALID_FORMAT, msg!("identifiers-siren-format")));
        }
        if !luhn_valid(&digits) {
            return Err(Invalid::new(
                Invalid::INVALID_CHECKSUM,
                msg!("identifiers-siren-checksum", digits = &digits),
            ));
        }
        Ok(Self(digits))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Siren {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The 14-digit number of one establishment: its SIREN (9 digits) then a NIC (5 digits).
///
/// Checked with Luhn over the 14 digits. La Poste registers all its establishments under one
/// SIREN (356000000) and their NICs do not follow Luhn: its SIRETs are valid when the sum of
/// their 14 digits is a multiple of 5. Its head office, 35600000000048, passes Luhn but not
/// that rule (digit sum 26): it is the one exception (docs/domain.md B.4).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Siret(String);

impl Siret {
    /// Accepts 14 digits, with any spaces people paste ("356 000 000 00048").
    pub fn parse(input: &str) -> Result<Self, Invalid> {
        let digits = without_spaces(input);
        if !is_ascii_digits(&digits, 14) {
            return Err(Invalid::new(Invalid::INVALID_FORMAT, msg!("identifiers-siret-format")));
        }
        if digits.starts_with(LA_POSTE_SIREN) {
            let digit_sum: u32 = digits.bytes().map(|b| u32::from(b - b'0')).sum();
            if digit_sum.is_multiple_of(5) || digits == LA_POSTE_HEAD_OFFICE {
                return Ok(Self(digits));
            }
            return Err(Invalid::new(
                Invalid::INVALID_CHECKSUM,
                msg!("identifiers-siret-la-poste-checksum", digits = &digits),
            ));
        }
        if luhn_valid(&digits) {
            return Ok(Self(digits));
        }
        Err(Invalid::new(
            Invalid::INVALID_CHECKSUM,
            msg!("identifiers-siret-checksum", digits = &digits),
        ))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The SIREN of the legal unit this establishment belongs to (the first 9 digits).
    pub fn siren(&self) -> &str {
        &self.0[..9]
    }
}

impl fmt::Display for Siret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// An association's number in the Répertoire national des associations: `W` + digit +
/// letter-or-digit + 7 digits (e.g. W751245606), or a legacy Waldec number `0ddd00dddd`
/// (e.g. 0653005592). There is no check digit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rna(String);

impl Rna {
    /// Accepts either form, with spaces and lowercase letters ("w751245606" → "W751245606").
    pub fn parse(input: &str) -> Result<Self, Invalid> {
        let number = without_spaces(input).to_ascii_uppercase();
        if is_rna(&number) || is_legacy_rna(&number) {
            Ok(Self(number))
        } else {
            Err(Invalid::new(Invalid::INVALID_FORMAT, msg!("identifiers-rna-format")))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Rna {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// `^W\d[A-Z0-9]\d{7}$`
fn is_rna(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 10
        && b[0] == b'W'
        && b[1].is_ascii_digit()
        && (b[2].is_ascii_uppercase() || b[2].is_ascii_digit())
        && b[3..].iter().all(u8::is_ascii_digit)
}

/// `^0\d{3}00\d{4}$`
fn is_legacy_rna(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 10
        && b[0] == b'0'
        && b[1..4].iter().all(u8::is_ascii_digit)
        && &b[4..6] == b"00"
        && b[6..].iter().all(u8::is_ascii_digit)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::test_support::any_text;
    use proptest::prelude::*;

    /// Appends the Luhn check digit to `body`.
    fn with_check_digit(body: &str) -> String {
        (0..=9)
            .map(|d| format!("{body}{d}"))
            .find(|candidate| luhn_valid(candidate))
            .expect("exactly one check digit completes any body")
    }

    #[test]
    fn luhn_valid_is_false_when_input_is_empty_or_not_digits() {
        for (input, why) in [
            ("", "empty"),
            ("12a4", "letter"),
            ("0 0", "space"),
            ("٣", "Arabic-Indic digit"),
        ] {
            assert!(!luhn_valid(input), "{why}: {input:?}");
        }
        assert!(luhn_valid("0"), "a single 0 has sum 0");
    }

    #[test]
    fn siren_parse_accepts_when_luhn_holds() {
        for (input, expected, why) in [
            ("775672272", "775672272", "ordinary SIREN"),
            ("356000000", "356000000", "La Poste's SIREN is itself Luhn-valid"),
            ("732829320", "732829320", "ordinary SIREN"),
            ("  775672272 ", "775672272", "surrounding spaces are trimmed"),
            ("775 672 272", "775672272", "inner spaces are removed"),
            ("775\u{a0}672\u{202f}272", "775672272", "no-break spaces are removed"),
        ] {
            let siren = Siren::parse(input).unwrap_or_else(|e| panic!("{why}: {input:?} refused: {e}"));
            assert_eq!(siren.as_str(), expected, "{why}");
            assert_eq!(siren.to_string(), expected, "{why}: Display");
        }
    }

    #[test]
    fn siren_parse_refuses_when_shape_or_check_digit_is_wrong() {
        for (input, code, why) in [
            ("123456789", Invalid::INVALID_CHECKSUM, "check digit wrong"),
            ("775672273", Invalid::INVALID_CHECKSUM, "last digit changed"),
            ("12345678", Invalid::INVALID_FORMAT, "8 digits"),
            ("7756722720", Invalid::INVALID_FORMAT, "10 digits"),
            (
                "775672272\n",
                Invalid::INVALID_FORMAT,
                "a line break is no space people type in a number",
            ),
            ("775\t672\t272", Invalid::INVALID_FORMAT, "neither is a tab"),
            ("77567227A", Invalid::INVALID_FORMAT, "letter"),
            ("775-672-272", Invalid::INVALID_FORMAT, "dashes are not removed"),
            ("", Invalid::INVALID_FORMAT, "empty"),
            ("７７５６７２２７２", Invalid::INVALID_FORMAT, "full-width digits"),
        ] {
            let err = Siren::parse(input).expect_err(why);
            assert_eq!(err.code, code, "{why}: {input:?} gave {err}");
        }
    }

    #[test]
    fn siren_parse_explains_the_refusal_when_check_digit_is_wrong() {
        let err = Siren::parse("775672273").expect_err("bad check digit");
        assert_eq!(err.message.to_string(), "775672273 fails the SIREN check digit (Luhn)");
        let err = Siren::parse("12345678").expect_err("too short");
        assert_eq!(err.message.to_string(), "a SIREN is 9 digits");
    }

    #[test]
    fn siret_parse_accepts_when_luhn_or_la_poste_rule_holds() {
        for (input, siren, why) in [
            ("73282932000074", "732829320", "ordinary SIRET, Luhn-valid"),
            (
                "35600000000048",
                "356000000",
                "La Poste head office: Luhn-valid, digit sum 26",
            ),
            ("356 000 000 00048", "356000000", "pasted with spaces"),
            ("35600000000001", "356000000", "La Poste: fails Luhn, digit sum 15"),
        ] {
            let siret = Siret::parse(input).unwrap_or_else(|e| panic!("{why}: {input:?} refused: {e}"));
            assert_eq!(siret.siren(), siren, "{why}");
            assert_eq!(siret.as_str().len(), 14, "{why}");
        }
    }

    #[test]
    fn siret_parse_refuses_when_shape_or_check_is_wrong() {
        for (input, code, why) in [
            (
                "73282932000075",
                Invalid::INVALID_CHECKSUM,
                "ordinary SIRET, Luhn fails",
            ),
            (
                "35600000000000",
                Invalid::INVALID_CHECKSUM,
                "La Poste: fails Luhn, digit sum 14",
            ),
            (
                "35600000000014",
                Invalid::INVALID_CHECKSUM,
                "La Poste: Luhn-valid but digit sum 19, and not the head office",
            ),
            (
                "35600000000002",
                Invalid::INVALID_CHECKSUM,
                "La Poste: fails Luhn, digit sum 16",
            ),
            ("7328293200007", Invalid::INVALID_FORMAT, "13 digits"),
            ("732829320000740", Invalid::INVALID_FORMAT, "15 digits"),
            ("732829320O0074", Invalid::INVALID_FORMAT, "letter O for zero"),
        ] {
            let err = Siret::parse(input).expect_err(why);
            assert_eq!(err.code, code, "{why}: {input:?} gave {err}");
        }
    }

    #[test]
    fn rna_parse_accepts_and_normalises_when_either_form_matches() {
        for (input, expected, why) in [
            ("W751245606", "W751245606", "current form"),
            ("w751245606", "W751245606", "lowercase w is uppercased"),
            ("W2A1000123", "W2A1000123", "letter in third position"),
            ("w2b1000123", "W2B1000123", "lowercase letters in both places"),
            ("0653005592", "0653005592", "legacy Waldec form"),
            (" W75 1245 606 ", "W751245606", "spaces removed"),
        ] {
            let rna = Rna::parse(input).unwrap_or_else(|e| panic!("{why}: {input:?} refused: {e}"));
            assert_eq!(rna.as_str(), expected, "{why}");
        }
    }

    #[test]
    fn rna_parse_refuses_when_shape_is_wrong() {
        for (input, why) in [
            ("W75124560", "9 characters"),
            ("W7512456060", "11 characters"),
            ("X751245606", "wrong leading letter"),
            ("WA51245606", "letter in second position"),
            ("W7512A5606", "letter after third position"),
            ("0653105592", "legacy form needs 00 in positions 5-6"),
            ("1653005592", "legacy form starts with 0"),
            ("", "empty"),
            ("W75124560é", "non-ASCII"),
        ] {
            let err = Rna::parse(input).expect_err(why);
            assert_eq!(err.code, Invalid::INVALID_FORMAT, "{why}: {input:?}");
        }
    }

    proptest! {
        #[test]
        fn siren_parse_accepts_when_any_9_digit_string_satisfies_luhn(body in "[0-9]{8}") {
            let digits = with_check_digit(&body);
            let siren = Siren::parse(&digits);
            prop_assert_eq!(siren.map(|s| s.as_str().to_owned()), Ok(digits));
        }

        #[test]
        fn siren_parse_refuses_when_one_digit_of_a_valid_siren_changes(
            body in "[0-9]{8}", position in 0usize..9, shift in 1u8..10,
        ) {
            let valid = with_check_digit(&body);
            let mut bytes = valid.into_bytes();
            bytes[position] = b'0' + (bytes[position] - b'0' + shift) % 10;
            let mutated = String::from_utf8(bytes).expect("still ASCII digits");
            let err = Siren::parse(&mutated).expect_err("Luhn catches every single-digit error");
            prop_assert_eq!(err.code, Invalid::INVALID_CHECKSUM);
        }

        #[test]
        fn siret_parse_accepts_when_any_14_digit_string_satisfies_luhn(body in "[0-9]{13}") {
            let digits = with_check_digit(&body);
            prop_assert!(Siret::parse(&digits).is_ok(), "{} refused", digits);
        }

        #[test]
        fn parse_never_panics_and_round_trips_when_given_any_text(input in any_text()) {
            if let Ok(siren) = Siren::parse(&input) {
                prop_assert_eq!(Siren::parse(siren.as_str()), Ok(siren));
            }
            if let Ok(siret) = Siret::parse(&input) {
                prop_assert_eq!(Siret::parse(siret.as_str()), Ok(siret));
            }
            if let Ok(rna) = Rna::parse(&input) {
                prop_assert_eq!(Rna::parse(rna.as_str()), Ok(rna));
            }
            let _ = luhn_valid(&input);
        }

        #[test]
        fn parse_round_trips_when_value_is_valid(
            siren_body in "[0-9]{8}",
            siret_body in "[0-9]{13}",
            rna in "[Ww][0-9][A-Za-z0-9][0-9]{7}|0[0-9]{3}00[0-9]{4}",
        ) {
            let siren = Siren::parse(&with_check_digit(&siren_body)).expect("Luhn-valid");
            prop_assert_eq!(Siren::parse(siren.as_str()), Ok(siren.clone()));
            let siret = Siret::parse(&with_check_digit(&siret_body)).expect("Luhn-valid");
            prop_assert_eq!(Siret::parse(siret.as_str()), Ok(siret.clone()));
            let rna = Rna::parse(&rna).expect("matches the RNA pattern");
            prop_assert_eq!(Rna::parse(rna.as_str()), Ok(rna.clone()));
        }
    }
}
