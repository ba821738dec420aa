//! What kind of organisation a record is (its `category`) and how that must agree with its INSEE legal category.

use chrono::Datelike;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::Validate;

use super::codes::RegionCodeSchema;
use super::stored::stored_text;
use super::text::search_key;
use super::{
    CommuneCode, Email, Invalid, LegalCategoryCode, Phone, PostalCode, RegionCode, Rna, Siren, Siret, Violation,
    Violations, WebsiteUrl, clean_text, missing, optional, required, string_enum,
};
use crate::domain::message::{Message, msg};

// utoipa 6 puts only this enum-level comment in the OpenAPI schema (a string enum has no
// per-value descriptions), hence the list above; the variant comments document the Rust side.
string_enum! {
    /// What kind of organisation this is. The first five are the ESS families of the 2014 ESS law
    /// (art. 1) and make `is_ess` true: `association`, `cooperative`, `mutual`, `foundation`,
    /// `ess_company`. The others are partners outside the ESS: `local_authority`, `network` (a Cress,
    /// ESS France or a federation, even when legally an association), `public_body`, `company`.
    pub enum Category("category") {
        /// An association (loi 1901, or local law in Alsace-Moselle). Part of the ESS.
        Association = "association",
        /// A cooperative: SCOP, SCIC, CAE or another cooperative. Part of the ESS.
        Cooperative = "cooperative",
        /// A mutual (code de la mutualité) or a mutual insurance company. Part of the ESS.
        Mutual = "mutual",
        /// A foundation. Part of the ESS.
        Foundation = "foundation",
        /// A commercial company with ESS status. Part of the ESS.
        EssCompany = "ess_company",
        /// A local authority: commune, EPCI, département or région. Not part of the ESS.
        LocalAuthority = "local_authority",
        /// A network of ESS bodies: a Cress, ESS France, a federation. Counted outside the ESS
        /// families even when its legal form is an association.
        Network = "network",
        /// A State service: préfecture, DREETS or DDETS. Not part of the ESS.
        PublicBody = "public_body",
        /// An ordinary company, a partner without ESS status. Not part of the ESS.
        Company = "company",
    }
}

impl Category {
    /// Whether organisations of this category belong to the ESS (the five families of art. 1).
    pub fn is_ess(self) -> bool {
        matches!(
            self,
            Category::Association
                | Category::Cooperative
                | Category::Mutual
                | Category::Foundation
                | Category::EssCompany
        )
    }

    /// "an association", "a cooperative"… for messages.
    fn with_article(self) -> Message {
        match self {
            Category::Association => msg!("organisation-category-association"),
            Category::Cooperative => msg!("organisation-category-cooperative"),
            Category::Mutual => msg!("organisation-category-mutual"),
            Category::Foundation => msg!("organisation-category-foundation"),
            Category::EssCompany => msg!("organisation-category-ess-company"),
            Category::LocalAuthority => msg!("organisation-category-local-authority"),
            Category::Network => msg!("organisation-category-network"),
            Category::PublicBody => msg!("organisation-category-public-body"),
            Category::Company => msg!("organisation-category-company"),
        }
    }
}

/// The category an INSEE legal category code settles, when it settles one (docs/domain.md A,
/// "category"): 92xx and 5195 are associations, 9300 foundations, 8210/8250/8290/6411 mutuals,
/// 5458/5558/5658 SCOPs. Other codes (companies, other cooperatives…) settle nothing.
fn settled_category(code: &LegalCategoryCode) -> Option<Category> {
    match code.as_str() {
        c if c.starts_with("92") || c == "5195" => Some(Category::Association),
        "9300" => Some(Category::Foundation),
        "8210" | "8250" | "8290" | "6411" => Some(Category::Mutual),
        "5458" | "5558" | "5658" => Some(Category::Cooperative),
        _ => None,
    }
}

/// Refuses a category that the legal category code contradicts, e.g. a "cooperative" whose
/// legal category is 9220 (declared association).
pub fn check_legal_category(category: Category, code: &LegalCategoryCode) -> Result<(), Invalid> {
    // A Cress or a federation is a network whatever its legal form (usually a declared
    // association, 9220), so `network` is never contradicted.
    if category == Category::Network {
        return Ok(());
    }
    match settled_category(code) {
        Some(settled) if settled != category => Err(Invalid::new(
            Invalid::MISMATCH,
            msg!(
                "organisation-legal-category-contradicts",
                code = code.as_str(),
                settled = settled.with_article(),
                category = category.as_str()
            ),
        )),
        _ => Ok(()),
    }
}

// What a request says an organisation should be, before any check: the body of a creation, which is
// also what a PATCH makes of the current organisation (`http::patch`). `None` means absent or null.
/// A new organisation. `name`, `category` and `region_code` are required; send `null` or leave
/// out a field to leave it empty. Spaces around values are trimmed.
#[derive(Debug, Clone, Default, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = CreateOrganisationRequest, example = json!({
    "name": "Mutuelle solidaire d'Occitanie",
    "category": "mutual",
    "legal_category_code": "8210",
    "region_code": "76",
    "street": "12 rue de la Loge",
    "postal_code": "34000",
    "city": "Montpellier",
    "commune_code": "34172",
    "website": "https://www.mutuelle-solidaire.example/",
    "email": "contact@mutuelle-solidaire.example",
    "phone": "04 67 00 00 00",
    "description": "Mutuelle santé de l'ESS, partenaire du club des collectivités.",
    "founded_on": "1947-03-01"
}))]
pub struct OrganisationDraft {
    /// The name, 1 to 200 characters.
    #[schema(required = true, value_type = String, min_length = 1, max_length = 200)]
    #[validate(length(max = NAME_MAX))]
    #[serde(default)]
    pub name: Option<String>,
    #[schema(required = true, value_type = Category)]
    #[serde(default)]
    pub category: Option<Category>,
    /// SIREN: 9 digits whose last is a Luhn check digit (La Poste's 356000000 included). Unique.
    /// Spaces and no-break spaces between the digits are allowed ("775 672 272") and dropped.
    #[schema(
        pattern = "^[ \\u00a0\\u202f]*(?:[0-9][ \\u00a0\\u202f]*){9}$",
        example = "775672272"
    )]
    #[serde(default)]
    pub siren: Option<String>,
    /// SIRET: 14 digits, Luhn-checked (La Poste's: digit sum a multiple of 5); starts with the SIREN when both are given. Unique.
    /// Spaces and no-break spaces between the digits are allowed ("356 000 000 00048") and dropped.
    #[schema(
        pattern = "^[ \\u00a0\\u202f]*(?:[0-9][ \\u00a0\\u202f]*){14}$",
        example = "35600000000048"
    )]
    #[serde(default)]
    pub siret: Option<String>,
    /// RNA number of an association: `W` + digit + letter or digit + 7 digits, or the legacy `0ddd00dddd`. Unique.
    /// Lowercase letters are read as capitals, and spaces and no-break spaces are allowed and dropped, as for SIREN.
    #[schema(
        pattern = "^[ \\u00a0\\u202f]*(?:[Ww][ \\u00a0\\u202f]*[0-9][ \\u00a0\\u202f]*[A-Za-z0-9](?:[ \\u00a0\\u202f]*[0-9]){7}|0(?:[ \\u00a0\\u202f]*[0-9]){3}[ \\u00a0\\u202f]*0[ \\u00a0\\u202f]*0(?:[ \\u00a0\\u202f]*[0-9]){4})[ \\u00a0\\u202f]*$",
        example = "W751245606"
    )]
    #[serde(default)]
    pub rna: Option<String>,
    /// INSEE legal category (catégorie juridique), 4 digits. Where it settles the legal family
    /// (92xx and 5195 association, 9300 foundation, 8210/8250/8290/6411 mutual, 5458/5558/5658
    /// cooperative) the category must agree, except `network`.
    #[schema(pattern = "^[1-9][0-9]{3}$", example = "9220")]
    #[serde(default)]
    pub legal_category_code: Option<String>,
    #[schema(required = true, value_type = RegionCodeSchema)]
    #[serde(default)]
    pub region_code: Option<String>,
    /// Street address, up to 300 characters.
    #[schema(min_length = 1, max_length = 300)]
    #[validate(length(max = STREET_MAX))]
    #[serde(default)]
    pub street: Option<String>,
    /// French postal code, 5 digits (Corsica: 20xxx).
    #[schema(pattern = "^[0-9]{5}$", example = "34700")]
    #[serde(default)]
    pub postal_code: Option<String>,
    /// Up to 100 characters.
    #[schema(min_length = 1, max_length = 100, example = "Lodève")]
    #[validate(length(max = CITY_MAX))]
    #[serde(default)]
    pub city: Option<String>,
    /// INSEE commune code (COG), 5 characters; Corsica 2A/2B.
    #[schema(
        pattern = "^((0[1-9]|[1-8][0-9]|9[0-5]|2[AB])[0-9]{3}|97[1-46][0-9]{2})$",
        example = "34142"
    )]
    #[serde(default)]
    pub commune_code: Option<String>,
    /// An http or https URL.
    #[schema(format = "uri", max_length = 2048, example = "https://www.cress-occitanie.example/")]
    #[serde(default)]
    pub website: Option<String>,
    /// Contact e-mail (confidential).
    #[schema(format = Email, max_length = 254, example = "contact@cress-occitanie.example")]
    #[serde(default)]
    pub email: Option<String>,
    /// Contact phone (confidential): digits, spaces, `.`, `-`, parentheses, a leading `+`.
    #[schema(pattern = "^\\+?[0-9 .()-]{6,29}$", example = "+33 4 67 00 00 00")]
    #[serde(default)]
    pub phone: Option<String>,
    /// Up to 5000 characters.
    #[schema(min_length = 1, max_length = 5000)]
    #[validate(length(max = DESCRIPTION_MAX))]
    #[serde(default)]
    pub description: Option<String>,
    /// Date of foundation, not in the future.
    #[schema(example = "2015-06-01")]
    #[serde(default)]
    pub founded_on: Option<chrono::NaiveDate>,
}

stored! {
    /// An organisation's fields, every one and every rule between them checked
    /// ([`OrganisationFields::parse`]), in their stored form: the only form the store accepts,
    /// what it reads back, and the record of the change log.
    #[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
    pub struct OrganisationFields, list organisation_fields, computed(f) {
            name_search: search_key(&f.name),
        } {
        pub name: String,
        pub category: Category,
        pub siren: Option<String>,
        pub siret: Option<String>,
        pub rna: Option<String>,
        pub legal_category_code: Option<String>,
        pub region_code: String,
        pub street: Option<String>,
        pub postal_code: Option<String>,
        pub city: Option<String>,
        pub commune_code: Option<String>,
        pub website: Option<String>,
        pub email: Option<String>,
        pub phone: Option<String>,
        pub description: Option<String>,
        pub founded_on: Option<NaiveDate>,
    }
}

/// Longest accepted lengths, in characters (u64, as `validator` takes them).
pub const NAME_MAX: u64 = 200;
pub const STREET_MAX: u64 = 300;
pub const CITY_MAX: u64 = 100;
pub const DESCRIPTION_MAX: u64 = 5000;

impl OrganisationFields {
    /// Checks every field of the draft, then the rules between fields, and reports every
    /// violation at once. `today` bounds `founded_on`.
    pub fn parse(draft: OrganisationDraft, today: chrono::NaiveDate) -> Result<Self, Vec<Violation>> {
        let mut v = Violations::default();
        let name = v.check(
            "name",
            required(draft.name).and_then(|n| clean_text(&n, NAME_MAX as usize, "name")),
        );
        let category = v.check("category", draft.category.ok_or_else(missing));
        let region_code = v.check(
            "region_code",
            required(draft.region_code).and_then(|c| RegionCode::parse(&c)),
        );
        let siren = v.check("siren", optional(draft.siren, Siren::parse)).flatten();
        let siret = v.check("siret", optional(draft.siret, Siret::parse)).flatten();
        let rna = v.check("rna", optional(draft.rna, Rna::parse)).flatten();
        let legal_category_code = v
            .check(
                "legal_category_code",
                optional(draft.legal_category_code, LegalCategoryCode::parse),
            )
            .flatten();
        let street = v
            .check(
                "street",
                optional(draft.street, |s| clean_text(s, STREET_MAX as usize, "street")),
            )
            .flatten();
        let postal_code = v
            .check("postal_code", optional(draft.postal_code, PostalCode::parse))
            .flatten();
        let city = v
            .check(
                "city",
                optional(draft.city, |s| clean_text(s, CITY_MAX as usize, "city")),
            )
            .flatten();
        let commune_code = v
            .check("commune_code", optional(draft.commune_code, CommuneCode::parse))
            .flatten();
        let website = v.check("website", optional(draft.website, WebsiteUrl::parse)).flatten();
        let email = v.check("email", optional(draft.email, Email::parse)).flatten();
        let phone = v.check("phone", optional(draft.phone, Phone::parse)).flatten();
        let description = v
            .check(
                "description",
                optional(draft.description, |s| {
                    clean_text(s, DESCRIPTION_MAX as usize, "description")
                }),
            )
            .flatten();
        let founded_on = v.check("founded_on", founded_on(draft.founded_on, today)).flatten();

        if let (Some(siren), Some(siret)) = (&siren, &siret)
            && siret.siren() != siren.as_str()
        {
            let message = msg!(
                "organisation-siret-not-of-siren",
                siret = siret.as_str(),
                siren = siren.as_str()
            );
            v.check::<()>("siret", Err(Invalid::new(Invalid::MISMATCH, message)));
        }
        if let (Some(category), Some(code)) = (category, &legal_category_code) {
            v.check("category", check_legal_category(category, code));
        }
        match (name, category, region_code) {
            (Some(name), Some(category), Some(region_code)) if v.is_empty() => Ok(Self {
                name,
                category,
                siren: stored_text(siren),
                siret: stored_text(siret),
                rna: stored_text(rna),
                legal_category_code: stored_text(legal_category_code),
                region_code: region_code.as_str().to_owned(),
                street,
                postal_code: stored_text(postal_code),
                city,
                commune_code: stored_text(commune_code),
                website: stored_text(website),
                email: stored_text(email),
                phone: stored_text(phone),
                description,
                founded_on,
            }),
            _ => Err(v.into_vec()),
        }
    }
}

fn founded_on(date: Option<chrono::NaiveDate>, today: chrono::NaiveDate) -> Result<Option<chrono::NaiveDate>, Invalid> {
    match date {
        Some(date) if date > today => Err(Invalid {
            code: "in_future",
            message: msg!("organisation-founded-in-future", date = date),
        }),
        Some(date) if date.year() < 1800 => Err(Invalid {
            code: "out_of_range",
            message: msg!("organisation-founded-too-early", date = date),
        }),
        other => Ok(other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::test_support::any_text;
    use proptest::prelude::*;

    fn legal(code: &str) -> LegalCategoryCode {
        LegalCategoryCode::parse(code).expect("test code is well-formed")
    }

    #[test]
    fn category_names_are_snake_case_when_serialised() {
        for (category, name) in [
            (Category::Association, "association"),
            (Category::EssCompany, "ess_company"),
            (Category::LocalAuthority, "local_authority"),
            (Category::PublicBody, "public_body"),
        ] {
            assert_eq!(category.as_str(), name, "as_str of {category:?}");
            assert_eq!(category.to_string(), name, "Display of {category:?}");
        }
        for category in Category::ALL {
            let json = serde_json::to_string(&category).expect("serialises");
            assert_eq!(json, format!("\"{}\"", category.as_str()), "serde agrees with as_str");
            let back: Category = serde_json::from_str(&json).expect("deserialises");
            assert_eq!(back, category, "serde round trip of {category:?}");
            assert_eq!(Category::parse(category.as_str()), Some(category), "parse of as_str");
        }
    }

    #[test]
    fn category_schema_lists_the_snake_case_names_when_generated() {
        let schema = serde_json::to_value(<Category as utoipa::PartialSchema>::schema()).expect("schema serialises");
        let names: Vec<&str> = schema["enum"]
            .as_array()
            .unwrap_or_else(|| panic!("a string enum: {schema}"))
            .iter()
            .filter_map(|name| name.as_str())
            .collect();
        let expected: Vec<&str> = Category::ALL.into_iter().map(Category::as_str).collect();
        assert_eq!(names, expected, "OpenAPI enum values in {schema}");
    }

    #[test]
    fn category_parse_returns_none_when_name_is_unknown() {
        for (input, why) in [
            ("", "empty"),
            ("Association", "capitalised"),
            ("ess-company", "kebab case"),
            ("EssCompany", "Rust name"),
            ("union", "not a category"),
        ] {
            assert_eq!(Category::parse(input), None, "{why}: {input:?}");
        }
        assert!(
            serde_json::from_str::<Category>("\"EssCompany\"").is_err(),
            "serde is snake_case only"
        );
    }

    #[test]
    fn category_is_ess_when_one_of_the_five_families() {
        let ess: Vec<Category> = Category::ALL.into_iter().filter(|c| c.is_ess()).collect();
        assert_eq!(
            ess,
            [
                Category::Association,
                Category::Cooperative,
                Category::Mutual,
                Category::Foundation,
                Category::EssCompany
            ],
            "the five ESS families"
        );
        assert!(
            !Category::Network.is_ess(),
            "a network is not an ESS family even as an association"
        );
    }

    #[test]
    fn check_legal_category_accepts_when_code_agrees_settles_nothing_or_category_is_network() {
        for (category, code, why) in [
            (Category::Association, "9220", "declared association"),
            (Category::Association, "9260", "local-law association"),
            (Category::Association, "5195", "cooperative association of local law"),
            (Category::Foundation, "9300", "foundation"),
            (Category::Mutual, "8210", "mutuelle"),
            (Category::Mutual, "6411", "mutual insurance company"),
            (Category::Cooperative, "5458", "SARL SCOP"),
            (Category::Cooperative, "5658", "SA SCOP with directoire"),
            (Category::Cooperative, "5560", "other cooperative: code settles nothing"),
            (Category::EssCompany, "5710", "SAS: code settles nothing"),
            (Category::Company, "5499", "SARL: code settles nothing"),
            (Category::LocalAuthority, "7210", "commune: code settles nothing"),
            (Category::Network, "9220", "a Cress is an association but a network"),
            (Category::Network, "9300", "network never contradicted"),
            (Category::Network, "5458", "network never contradicted"),
        ] {
            assert_eq!(
                check_legal_category(category, &legal(code)),
                Ok(()),
                "{why}: {category} with {code}"
            );
        }
    }

    #[test]
    fn check_legal_category_refuses_with_mismatch_when_code_settles_another_category() {
        for (category, code, why) in [
            (Category::Cooperative, "9220", "association code"),
            (Category::Company, "9230", "RUP association code"),
            (Category::Foundation, "5195", "local-law cooperative association"),
            (Category::Association, "9300", "foundation code"),
            (Category::Cooperative, "8210", "mutual code"),
            (Category::EssCompany, "6411", "mutual insurance code"),
            (Category::Association, "5558", "SCOP code"),
            (Category::LocalAuthority, "8290", "other mutual body"),
        ] {
            let err = check_legal_category(category, &legal(code)).expect_err(why);
            assert_eq!(err.code, Invalid::MISMATCH, "{why}: {category} with {code}");
        }
        let err = check_legal_category(Category::Cooperative, &legal("9220")).expect_err("mismatch");
        assert_eq!(
            err.message.to_string(),
            "legal category 9220 is an association; category cooperative contradicts it"
        );
    }

    proptest! {
        #[test]
        fn category_parse_never_panics_when_given_any_text(input in any_text()) {
            if let Some(category) = Category::parse(&input) {
                prop_assert_eq!(category.as_str(), input.as_str());
            }
        }

        #[test]
        fn check_legal_category_accepts_when_category_is_network_or_agrees(code in "[1-9][0-9]{3}") {
            let code = legal(&code);
            prop_assert_eq!(check_legal_category(Category::Network, &code), Ok(()));
            let agreeing = Category::ALL
                .into_iter()
                .filter(|c| check_legal_category(*c, &code).is_ok())
                .count();
            prop_assert!(agreeing == 2 || agreeing == Category::ALL.len(), "{} fits {} categories", code, agreeing);
        }
    }

    fn today() -> chrono::NaiveDate {
        chrono::NaiveDate::from_ymd_opt(2026, 11, 26).expect("a date")
    }

    fn draft() -> OrganisationDraft {
        OrganisationDraft {
            name: Some("  Cress Occitanie ".into()),
            category: Some(Category::Network),
            region_code: Some("76".into()),
            ..OrganisationDraft::default()
        }
    }

    fn fields(violations: &[Violation]) -> Vec<&str> {
        violations.iter().map(|v| v.field.as_ref()).collect()
    }

    #[test]
    fn parse_trims_the_name_when_the_draft_is_valid() {
        let new = OrganisationFields::parse(draft(), today()).expect("valid");
        assert_eq!(new.name, "Cress Occitanie");
        assert_eq!(new.region_code, "76");
    }

    #[test]
    fn parse_reports_every_violation_when_several_fields_fail() {
        let bad = OrganisationDraft {
            name: None,
            category: None,
            region_code: Some("05".into()),
            siren: Some("123456789".into()),
            email: Some("nope".into()),
            ..OrganisationDraft::default()
        };
        let violations = OrganisationFields::parse(bad, today()).expect_err("invalid");
        let mut names = fields(&violations);
        names.sort_unstable();
        assert_eq!(names, ["category", "email", "name", "region_code", "siren"]);
        let name = violations.iter().find(|v| v.field == "name").expect("name listed");
        assert_eq!(name.invalid.code, "required");
    }

    #[test]
    fn parse_refuses_a_siret_of_another_siren() {
        let bad = OrganisationDraft {
            siren: Some("732829320".into()),
            siret: Some("77567227200017".into()),
            ..draft()
        };
        let violations = OrganisationFields::parse(bad, today()).expect_err("mismatch");
        assert_eq!(fields(&violations), ["siret"]);
        assert_eq!(violations[0].invalid.code, "mismatch");
        let good = OrganisationDraft {
            siren: Some("775672272".into()),
            siret: Some("77567227200017".into()),
            ..draft()
        };
        assert!(OrganisationFields::parse(good, today()).is_ok());
    }

    #[test]
    fn parse_refuses_a_category_the_legal_category_contradicts() {
        let bad = OrganisationDraft {
            category: Some(Category::Cooperative),
            legal_category_code: Some("9220".into()),
            ..draft()
        };
        let violations = OrganisationFields::parse(bad, today()).expect_err("contradiction");
        assert_eq!(fields(&violations), ["category"]);
        assert_eq!(violations[0].invalid.code, "mismatch");
    }

    #[test]
    fn parse_refuses_a_foundation_date_in_the_future_or_before_1800() {
        for (date, code) in [((2026, 11, 27), "in_future"), ((1799, 12, 31), "out_of_range")] {
            let founded = chrono::NaiveDate::from_ymd_opt(date.0, date.1, date.2);
            let bad = OrganisationDraft {
                founded_on: founded,
                ..draft()
            };
            let violations = OrganisationFields::parse(bad, today()).expect_err("bad date");
            assert_eq!(violations[0].invalid.code, code, "{founded:?}");
        }
        let founded_today = OrganisationDraft {
            founded_on: Some(today()),
            ..draft()
        };
        assert!(OrganisationFields::parse(founded_today, today()).is_ok());
    }
}
