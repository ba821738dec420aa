//! Official French codes: INSEE region, postal, INSEE commune and INSEE legal-category codes (docs/domain.md B.3.2, B.4).

use std::fmt;

use super::{Invalid, is_ascii_digits};
use crate::domain::message::msg;

/// The 18 regions (INSEE COG since 2016), code and name, from docs/domain.md B.3.2.
const REGIONS: [(&str, &str); 18] = [
    ("01", "Guadeloupe"),
    ("02", "Martinique"),
    ("03", "Guyane"),
    ("04", "La Réunion"),
    ("06", "Mayotte"),
    ("11", "Île-de-France"),
    ("24", "Centre-Val de Loire"),
    ("27", "Bourgogne-Franche-Comté"),
    ("28", "Normandie"),
    ("32", "Hauts-de-France"),
    ("44", "Grand Est"),
    ("52", "Pays de la Loire"),
    ("53", "Bretagne"),
    ("75", "Nouvelle-Aquitaine"),
    ("76", "Occitanie"),
    ("84", "Auvergne-Rhône-Alpes"),
    ("93", "Provence-Alpes-Côte d'Azur"),
    ("94", "Corse"),
];

/// The departments of each region (INSEE COG since 2016): 101 departments, overseas ones by
/// their 3-digit code. Saint-Pierre-et-Miquelon (975) and the collectivities 977 and beyond
/// belong to no region.
const DEPARTMENTS: [(&str, &[&str]); 18] = [
    ("01", &["971"]),
    ("02", &["972"]),
    ("03", &["973"]),
    ("04", &["974"]),
    ("06", &["976"]),
    ("11", &["75", "77", "78", "91", "92", "93", "94", "95"]),
    ("24", &["18", "28", "36", "37", "41", "45"]),
    ("27", &["21", "25", "39", "58", "70", "71", "89", "90"]),
    ("28", &["14", "27", "50", "61", "76"]),
    ("32", &["02", "59", "60", "62", "80"]),
    ("44", &["08", "10", "51", "52", "54", "55", "57", "67", "68", "88"]),
    ("52", &["44", "49", "53", "72", "85"]),
    ("53", &["22", "29", "35", "56"]),
    (
        "75",
        &["16", "17", "19", "23", "24", "33", "40", "47", "64", "79", "86", "87"],
    ),
    (
        "76",
        &[
            "09", "11", "12", "30", "31", "32", "34", "46", "48", "65", "66", "81", "82",
        ],
    ),
    (
        "84",
        &["01", "03", "07", "15", "26", "38", "42", "43", "63", "69", "73", "74"],
    ),
    ("93", &["04", "05", "06", "13", "83", "84"]),
    ("94", &["2A", "2B"]),
];

/// An INSEE region code: one of the 18 current regions, each with its own Cress.
/// Pre-2016 codes (21, 22, 23…) and 05 (which never existed) are refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegionCode {
    code: &'static str,
    name: &'static str,
}

impl RegionCode {
    /// Every valid code, in INSEE order.
    pub const ALL: [&'static str; 18] = {
        let mut all = [""; 18];
        let mut i = 0;
        while i < REGIONS.len() {
            all[i] = REGIONS[i].0;
            i += 1;
        }
        all
    };

    pub fn parse(input: &str) -> Result<Self, Invalid> {
        let code = input.trim();
        if let Some(&(code, name)) = REGIONS.iter().find(|(known, _)| *known == code) {
            return Ok(Self { code, name });
        }
        if is_ascii_digits(code, 2) {
            return Err(Invalid::new(
                Invalid::UNKNOWN_CODE,
                msg!("codes-region-unknown", code = code, valid = Self::ALL.join(" ")),
            ));
        }
        Err(Invalid::new(Invalid::INVALID_FORMAT, msg!("codes-region-format")))
    }

    pub fn as_str(&self) -> &str {
        self.code
    }

    /// The region's name, e.g. "Occitanie" for 76.
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// The region of a department (`34`, `2A`, `974`), if it belongs to one.
    pub fn of_department(department: &str) -> Option<Self> {
        let (code, _) = DEPARTMENTS
            .iter()
            .find(|(_, departments)| departments.contains(&department))?;
        Self::parse(code).ok()
    }
}

impl fmt::Display for RegionCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code)
    }
}

/// A La Poste postal code: 5 digits. Corsica uses 20xxx here, never 2A/2B (those are
/// department codes), and no postal code starts with 00.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PostalCode(String);

impl PostalCode {
    pub fn parse(input: &str) -> Result<Self, Invalid> {
        let code = input.trim();
        if is_ascii_digits(code, 5) {
            if code.starts_with("00") {
                return Err(Invalid::new(
                    Invalid::UNKNOWN_CODE,
                    msg!("codes-postal-unknown", code = code),
                ));
            }
            return Ok(Self(code.to_owned()));
        }
        let upper = code.to_ascii_uppercase();
        if upper.starts_with("2A") || upper.starts_with("2B") {
            return Err(Invalid::new(Invalid::INVALID_FORMAT, msg!("codes-postal-corsica")));
        }
        Err(Invalid::new(Invalid::INVALID_FORMAT, msg!("codes-postal-format")))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The region of the department the code starts with (`20` is Corsica, `97x` an overseas
    /// department): where the address is, give or take the rare post offices that serve
    /// communes of a neighbouring department.
    pub fn region(&self) -> Option<RegionCode> {
        match &self.0[..2] {
            "20" => RegionCode::parse("94").ok(),
            "97" => RegionCode::of_department(&self.0[..3]),
            department => RegionCode::of_department(department),
        }
    }
}

impl fmt::Display for PostalCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// An INSEE commune code (COG): a department (2 characters) then 3 digits, or an overseas
/// department (971–974, 976) then 2 digits, e.g. 34142 for Lodève, 2A004 for Ajaccio.
///
/// The pattern is the one docs/domain.md B.4 gives, followed exactly:
/// `^((0[1-9]|[1-8]\d|9[0-5]|2[AB])\d{3}|97[1-46]\d{2})$`. Its `[1-8]\d` admits 20xxx although
/// Corsican communes have been coded 2A/2B since 1976; membership in the yearly COG list is not
/// checked, so such a code is accepted like any other well-formed one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommuneCode(String);

impl CommuneCode {
    /// Accepts lowercase Corsican codes ("2a004" → "2A004").
    pub fn parse(input: &str) -> Result<Self, Invalid> {
        let code = input.trim().to_ascii_uppercase();
        if matches_commune_pattern(&code) {
            return Ok(Self(code));
        }
        let b = code.as_bytes();
        let well_formed = b.len() == 5
            && ((b[0].is_ascii_digit() && b[1].is_ascii_digit()) || &b[..2] == b"2A" || &b[..2] == b"2B")
            && b[2..].iter().all(u8::is_ascii_digit);
        if well_formed {
            return Err(Invalid::new(
                Invalid::UNKNOWN_CODE,
                msg!("codes-commune-unknown", code = &code),
            ));
        }
        Err(Invalid::new(Invalid::INVALID_FORMAT, msg!("codes-commune-format")))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The region of the commune's department.
    pub fn region(&self) -> Option<RegionCode> {
        match &self.0[..2] {
            "97" => RegionCode::of_department(&self.0[..3]),
            department => RegionCode::of_department(department),
        }
    }
}

impl fmt::Display for CommuneCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// `^((0[1-9]|[1-8]\d|9[0-5]|2[AB])\d{3}|97[1-46]\d{2})$`, on an already uppercased string.
fn matches_commune_pattern(code: &str) -> bool {
    let b = code.as_bytes();
    if b.len() != 5 || !b[2..].iter().all(u8::is_ascii_digit) {
        return false;
    }
    let metropolitan = matches!(
        (b[0], b[1]),
        (b'0', b'1'..=b'9') | (b'1'..=b'8', b'0'..=b'9') | (b'9', b'0'..=b'5') | (b'2', b'A' | b'B')
    );
    let overseas = b[0] == b'9' && b[1] == b'7' && matches!(b[2], b'1'..=b'4' | b'6');
    metropolitan || overseas
}

/// An INSEE legal category (catégorie juridique, level III): 4 digits, the first not 0,
/// e.g. 9220 for a declared association. The list itself is not checked: codes are added and
/// retired over time, and old records carry retired ones.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LegalCategoryCode(String);

impl LegalCategoryCode {
    pub fn parse(input: &str) -> Result<Self, Invalid> {
        let code = input.trim();
        if is_ascii_digits(code, 4) && !code.starts_with('0') {
            Ok(Self(code.to_owned()))
        } else {
            Err(Invalid::new(
                Invalid::INVALID_FORMAT,
                msg!("codes-legal-category-format"),
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for LegalCategoryCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The OpenAPI schema of a region code where it travels as a plain string: INSEE code of a
/// region (COG since 2016), the 18 regions, each with a Cress.
pub struct RegionCodeSchema;

impl utoipa::PartialSchema for RegionCodeSchema {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{ObjectBuilder, SchemaType, Type};
        let description = RegionCode::ALL
            .iter()
            .filter_map(|code| {
                RegionCode::parse(code)
                    .ok()
                    .map(|region| format!("`{code}` {}", region.name()))
            })
            .collect::<Vec<_>>()
            .join(", ");
        ObjectBuilder::new()
            .schema_type(SchemaType::new(Type::String))
            .description(Some(format!("INSEE region code: {description}.")))
            .enum_values(Some(RegionCode::ALL.to_vec()))
            // No example: Swagger UI would fill the region filter of every list with it.
            .into()
    }
}

impl utoipa::ToSchema for RegionCodeSchema {
    fn name() -> std::borrow::Cow<'static, str> {
        std::borrow::Cow::Borrowed("RegionCode")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::test_support::any_text;
    use proptest::prelude::*;

    #[test]
    fn region_code_parse_accepts_when_code_is_one_of_the_18() {
        for code in RegionCode::ALL {
            let region = RegionCode::parse(code).unwrap_or_else(|e| panic!("{code} refused: {e}"));
            assert_eq!(region.as_str(), code, "as_str of {code}");
            assert!(!region.name().is_empty(), "{code} has a name");
        }
        assert_eq!(RegionCode::ALL.len(), 18);
    }

    #[test]
    fn region_code_name_matches_domain_table_when_asked() {
        for (code, name) in [
            ("76", "Occitanie"),
            ("94", "Corse"),
            ("11", "Île-de-France"),
            ("04", "La Réunion"),
            ("93", "Provence-Alpes-Côte d'Azur"),
        ] {
            let region = RegionCode::parse(code).expect("known region");
            assert_eq!(region.name(), name, "name of {code}");
        }
        let region = RegionCode::parse(" 76\t").expect("trimmed");
        assert_eq!(region.to_string(), "76", "surrounding whitespace is trimmed");
    }

    #[test]
    fn region_code_parse_refuses_when_code_is_unknown_or_malformed() {
        for (input, code, why) in [
            ("05", Invalid::UNKNOWN_CODE, "05 never existed"),
            ("91", Invalid::UNKNOWN_CODE, "pre-2016 Languedoc-Roussillon"),
            ("00", Invalid::UNKNOWN_CODE, "00"),
            ("7", Invalid::INVALID_FORMAT, "one digit"),
            ("076", Invalid::INVALID_FORMAT, "three digits"),
            ("7 6", Invalid::INVALID_FORMAT, "inner space"),
            ("", Invalid::INVALID_FORMAT, "empty"),
            ("OC", Invalid::INVALID_FORMAT, "letters"),
        ] {
            let err = RegionCode::parse(input).expect_err(why);
            assert_eq!(err.code, code, "{why}: {input:?} gave {err}");
        }
    }

    #[test]
    fn region_code_parse_lists_valid_codes_when_code_is_unknown() {
        let err = RegionCode::parse("05").expect_err("05 is not a region");
        assert_eq!(
            err.message.to_string(),
            "05 is not a region code; valid codes are 01 02 03 04 06 11 24 27 28 32 44 52 53 75 76 84 93 94"
        );
    }

    #[test]
    fn postal_code_parse_accepts_when_five_digits() {
        for (input, why) in [
            ("34700", "Lodève"),
            ("20000", "Ajaccio: Corsica uses 20xxx"),
            ("97400", "La Réunion"),
            ("01000", "leading zero kept"),
            ("98000", "Monaco"),
        ] {
            let postal = PostalCode::parse(input).unwrap_or_else(|e| panic!("{why}: {e}"));
            assert_eq!(postal.as_str(), input, "{why}");
        }
        assert_eq!(PostalCode::parse(" 34700 ").map(|p| p.to_string()), Ok("34700".into()));
    }

    #[test]
    fn postal_code_parse_refuses_when_not_a_postal_code() {
        for (input, code, why) in [
            ("00123", Invalid::UNKNOWN_CODE, "starts with 00"),
            ("2A000", Invalid::INVALID_FORMAT, "2A is a department code"),
            ("2b200", Invalid::INVALID_FORMAT, "2b is a department code"),
            ("3470", Invalid::INVALID_FORMAT, "4 digits"),
            ("347000", Invalid::INVALID_FORMAT, "6 digits"),
            ("34 700", Invalid::INVALID_FORMAT, "inner space"),
            ("", Invalid::INVALID_FORMAT, "empty"),
        ] {
            let err = PostalCode::parse(input).expect_err(why);
            assert_eq!(err.code, code, "{why}: {input:?} gave {err}");
        }
        let err = PostalCode::parse("2A000").expect_err("Corsican department code");
        assert!(
            err.message.to_string().contains("start with 20"),
            "hint for Corsica: {}",
            err.message
        );
    }

    #[test]
    fn commune_code_parse_accepts_when_pattern_matches() {
        for (input, expected, why) in [
            ("34142", "34142", "Lodève"),
            ("01001", "01001", "first department"),
            ("95690", "95690", "last metropolitan department"),
            ("2A004", "2A004", "Ajaccio"),
            ("2b033", "2B033", "lowercase Corsican code uppercased"),
            ("97411", "97411", "La Réunion"),
            ("97611", "97611", "Mayotte"),
            ("20004", "20004", "the docs/domain.md pattern admits 20xxx via [1-8]\\d"),
            (" 34142 ", "34142", "trimmed"),
        ] {
            let commune = CommuneCode::parse(input).unwrap_or_else(|e| panic!("{why}: {e}"));
            assert_eq!(commune.as_str(), expected, "{why}");
        }
    }

    #[test]
    fn commune_code_parse_refuses_when_pattern_fails() {
        for (input, code, why) in [
            ("00123", Invalid::UNKNOWN_CODE, "department 00"),
            ("96123", Invalid::UNKNOWN_CODE, "department 96"),
            (
                "97512",
                Invalid::UNKNOWN_CODE,
                "975 (Saint-Pierre-et-Miquelon) has no region",
            ),
            ("97712", Invalid::UNKNOWN_CODE, "977"),
            ("98000", Invalid::UNKNOWN_CODE, "98"),
            ("2C004", Invalid::INVALID_FORMAT, "2C"),
            ("3414", Invalid::INVALID_FORMAT, "4 characters"),
            ("341420", Invalid::INVALID_FORMAT, "6 characters"),
            ("2A0B4", Invalid::INVALID_FORMAT, "letter among the last 3"),
            ("", Invalid::INVALID_FORMAT, "empty"),
        ] {
            let err = CommuneCode::parse(input).expect_err(why);
            assert_eq!(err.code, code, "{why}: {input:?} gave {err}");
        }
    }

    #[test]
    fn legal_category_code_parse_accepts_when_four_digits_not_starting_with_zero() {
        for input in ["9220", "5195", "8210", "1000", "9999"] {
            let code = LegalCategoryCode::parse(input).unwrap_or_else(|e| panic!("{input}: {e}"));
            assert_eq!(code.as_str(), input);
        }
        assert_eq!(
            LegalCategoryCode::parse("\t9300\n").map(|c| c.to_string()),
            Ok("9300".into())
        );
    }

    #[test]
    fn legal_category_code_parse_refuses_when_shape_is_wrong() {
        for (input, why) in [
            ("0220", "starts with 0"),
            ("922", "3 digits"),
            ("92200", "5 digits"),
            ("92A0", "letter"),
            ("92 20", "inner space"),
            ("", "empty"),
        ] {
            let err = LegalCategoryCode::parse(input).expect_err(why);
            assert_eq!(err.code, Invalid::INVALID_FORMAT, "{why}: {input:?}");
        }
    }

    proptest! {
        #[test]
        fn parse_never_panics_and_round_trips_when_given_any_text(input in any_text()) {
            if let Ok(region) = RegionCode::parse(&input) {
                prop_assert_eq!(RegionCode::parse(region.as_str()), Ok(region));
            }
            if let Ok(postal) = PostalCode::parse(&input) {
                prop_assert_eq!(PostalCode::parse(postal.as_str()), Ok(postal));
            }
            if let Ok(commune) = CommuneCode::parse(&input) {
                prop_assert_eq!(CommuneCode::parse(commune.as_str()), Ok(commune));
            }
            if let Ok(legal) = LegalCategoryCode::parse(&input) {
                prop_assert_eq!(LegalCategoryCode::parse(legal.as_str()), Ok(legal));
            }
        }

        #[test]
        fn parse_round_trips_when_value_is_valid(
            region in proptest::sample::select(RegionCode::ALL.to_vec()),
            postal in "0[1-9][0-9]{3}|[1-9][0-9]{4}",
            commune in "(0[1-9]|[1-8][0-9]|9[0-5]|2[ABab])[0-9]{3}|97[1-46][0-9]{2}",
            legal in "[1-9][0-9]{3}",
        ) {
            let region = RegionCode::parse(region).expect("listed region");
            prop_assert_eq!(RegionCode::parse(region.as_str()), Ok(region.clone()));
            let postal = PostalCode::parse(&postal).expect("5 digits, not 00");
            prop_assert_eq!(PostalCode::parse(postal.as_str()), Ok(postal.clone()));
            let commune = CommuneCode::parse(&commune).expect("matches the COG pattern");
            prop_assert_eq!(CommuneCode::parse(commune.as_str()), Ok(commune.clone()));
            let legal = LegalCategoryCode::parse(&legal).expect("4 digits, no leading 0");
            prop_assert_eq!(LegalCategoryCode::parse(legal.as_str()), Ok(legal.clone()));
        }
    }

    #[test]
    fn departments_cover_the_101_and_addresses_name_their_region() {
        let count: usize = DEPARTMENTS.iter().map(|(_, d)| d.len()).sum();
        assert_eq!(count, 101);
        assert!(DEPARTMENTS.iter().all(|(code, _)| RegionCode::parse(code).is_ok()));
        let region = |code: &PostalCode| code.region().map(|r| r.as_str().to_owned());
        let postal = |raw: &str| PostalCode::parse(raw).expect("a postal code");
        assert_eq!(region(&postal("34700")).as_deref(), Some("76"), "Lodève, Hérault");
        assert_eq!(region(&postal("75011")).as_deref(), Some("11"));
        assert_eq!(region(&postal("20000")).as_deref(), Some("94"), "Ajaccio");
        assert_eq!(
            region(&postal("97400")).as_deref(),
            Some("04"),
            "Saint-Denis de La Réunion"
        );
        assert_eq!(region(&postal("97500")), None, "Saint-Pierre-et-Miquelon has no region");
        let commune = |raw: &str| {
            CommuneCode::parse(raw)
                .expect("a commune code")
                .region()
                .map(|r| r.as_str().to_owned())
        };
        assert_eq!(commune("34142").as_deref(), Some("76"));
        assert_eq!(commune("2A004").as_deref(), Some("94"));
        assert_eq!(commune("97611").as_deref(), Some("06"), "Mamoudzou, Mayotte");
        assert_eq!(commune("35238").as_deref(), Some("53"), "Rennes");
    }
}
