//! Property-based fuzzing of what reads untrusted text: the domain parsers (SIREN, SIRET, RNA,
//! codes, contacts), the list cursors, the query strings and every request body. Whatever the
//! input, nothing panics, every refusal is a 4xx problem, and what is accepted round-trips.
//!
//! `FUZZ_CASES` sets the number of cases per property (default 256, as for any `cargo test`);
//! CI runs a larger, bounded number (`.ci/run`).

use cress_api::domain::codes::{CommuneCode, LegalCategoryCode, PostalCode, RegionCode};
use cress_api::domain::contact::{Email, Phone, WebsiteUrl};
use cress_api::domain::identifiers::{Rna, Siren, Siret, luhn_valid};
use cress_api::http::error::ApiError;
use cress_api::http::extract::parse_json;
use cress_api::http::pagination::{decode_cursor, encode_cursor};
use proptest::prelude::*;
use serde_json::{Value, json};

fn config() -> ProptestConfig {
    let cases = std::env::var("FUZZ_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(256);
    ProptestConfig {
        cases,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

/// Text as hostile clients send it: any Unicode, control characters, digits, separators.
fn hostile_text() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "[0-9 ]{0,20}",
        "[0-9A-Za-z]{0,16}",
        "[\\x00-\\x1f\\u{200e}\\u{202e}\\u{0300}0-9W]{0,16}",
        ".{0,64}",
    ]
}

/// The status of a refusal must be a client error.
fn assert_client_error(error: &ApiError) {
    use actix_web::ResponseError;
    let status = error.status_code();
    assert!(status.is_client_error(), "{error:?} answered {status}");
}

/// Any JSON value, shallow or deep, with the field names of the request bodies among the keys.
fn json_value() -> impl Strategy<Value = Value> {
    let key = prop_oneof![
        Just("name".to_owned()),
        Just("siren".to_owned()),
        Just("siret".to_owned()),
        Just("rna".to_owned()),
        Just("amount_cents".to_owned()),
        Just("counterparts_cents".to_owned()),
        Just("capacity".to_owned()),
        Just("region_code".to_owned()),
        Just("starts_on".to_owned()),
        Just("starts_at".to_owned()),
        Just("beneficiary".to_owned()),
        Just("organisers".to_owned()),
        Just("email".to_owned()),
        Just("role".to_owned()),
        "[a-z_]{1,12}",
    ];
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>().prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)),
        hostile_text().prop_map(Value::from),
        Just(json!("2026-01-01")),
        Just(json!("775672272")),
        Just(json!("0193a1f2-7c4e-7d2a-9b1e-2f5c8a9d0e11")),
    ];
    leaf.prop_recursive(4, 64, 8, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..8).prop_map(Value::Array),
            prop::collection::vec((key.clone(), inner), 0..8)
                .prop_map(|pairs| Value::Object(pairs.into_iter().collect())),
        ]
    })
}

/// Parses `bytes` as every request body (a PATCH body as the merge patch it is); a refusal must
/// be a 400 or 422.
fn parse_every_body(bytes: &[u8]) {
    let refusal = |body: &str, error: ApiError| {
        assert_client_error(&error);
        let code = error.code();
        assert!(
            ["malformed_json", "validation_failed"].contains(&code),
            "{body} answered {code} for {:?}",
            String::from_utf8_lossy(bytes)
        );
    };
    macro_rules! each {
        ($($layer:ident :: $module:ident :: $body:ident),* ; patches: $($patch_module:ident :: $patch:ident),* $(,)?) => {
            $(
                if let Err(error) = parse_json::<cress_api::$layer::$module::$body>(bytes) {
                    refusal(stringify!($body), error);
                }
            )*
            $(
                if let Err(error) = cress_api::http::$patch_module::$patch::from_json(bytes) {
                    refusal(stringify!($patch), error);
                }
            )*
        };
    }
    each!(
        domain::organisation::OrganisationDraft,
        http::esus::CreateEsusAccreditationRequest,
        http::esus::UpdateEsusAccreditationRequest,
        domain::club::ClubDraft,
        http::clubs::AddClubMemberRequest,
        http::clubs::UpdateClubMemberRequest,
        domain::event::EventDraft,
        domain::sponsorship::SponsorshipDraft,
        http::users::CreateUserRequest,
        http::users::UpdateUserRequest,
        http::clients::CreateApiClientRequest,
        http::clients::UpdateApiClientRequest;
        patches:
        organisations::UpdateOrganisationRequest,
        clubs::UpdateClubRequest,
        events::UpdateEventRequest,
        sponsorships::UpdateSponsorshipRequest,
    );
}

/// A valid SIREN-like number: `stem` followed by the Luhn check digit that completes it.
fn with_check_digit(stem: &str) -> String {
    (0..10)
        .map(|d| format!("{stem}{d}"))
        .find(|candidate| luhn_valid(candidate))
        .expect("one digit completes any stem")
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn identifier_parsers_never_panic_and_accepted_values_round_trip(input in hostile_text()) {
        if let Ok(siren) = Siren::parse(&input) {
            prop_assert_eq!(siren.as_str().len(), 9);
            prop_assert!(luhn_valid(siren.as_str()));
            prop_assert_eq!(Siren::parse(siren.as_str()).unwrap().as_str().to_owned(), siren.as_str());
        }
        if let Ok(siret) = Siret::parse(&input) {
            prop_assert_eq!(siret.as_str().len(), 14);
            prop_assert_eq!(Siret::parse(siret.as_str()).unwrap().as_str().to_owned(), siret.as_str());
            prop_assert!(siret.as_str().starts_with(siret.siren()));
        }
        if let Ok(rna) = Rna::parse(&input) {
            prop_assert_eq!(rna.as_str().len(), 10);
            prop_assert_eq!(Rna::parse(rna.as_str()).unwrap().as_str().to_owned(), rna.as_str());
        }
    }

    #[test]
    fn a_siren_with_its_check_digit_is_accepted_and_any_other_last_digit_is_not(stem in "[0-9]{8}", wrong in 1u8..10) {
        let good = with_check_digit(&stem);
        prop_assert_eq!(Siren::parse(&good).unwrap().as_str().to_owned(), good.as_str());
        let last = good.as_bytes()[8] - b'0';
        let bad = format!("{stem}{}", (last + wrong) % 10);
        prop_assert!(Siren::parse(&bad).is_err(), "{} passed", bad);
    }

    #[test]
    fn code_parsers_never_panic_and_accepted_values_round_trip(input in hostile_text()) {
        if let Ok(code) = RegionCode::parse(&input) {
            prop_assert_eq!(RegionCode::parse(code.as_str()).unwrap().as_str().to_owned(), code.as_str());
            prop_assert!(RegionCode::ALL.contains(&code.as_str()));
        }
        if let Ok(code) = PostalCode::parse(&input) {
            prop_assert_eq!(PostalCode::parse(code.as_str()).unwrap().as_str().to_owned(), code.as_str());
        }
        if let Ok(code) = CommuneCode::parse(&input) {
            prop_assert_eq!(CommuneCode::parse(code.as_str()).unwrap().as_str().to_owned(), code.as_str());
        }
        if let Ok(code) = LegalCategoryCode::parse(&input) {
            prop_assert_eq!(LegalCategoryCode::parse(code.as_str()).unwrap().as_str().to_owned(), code.as_str());
        }
    }

    #[test]
    fn contact_parsers_never_panic_and_accepted_values_round_trip(input in hostile_text()) {
        if let Ok(email) = Email::parse(&input) {
            prop_assert_eq!(Email::parse(email.as_str()).unwrap().as_str().to_owned(), email.as_str());
        }
        if let Ok(phone) = Phone::parse(&input) {
            prop_assert_eq!(Phone::parse(phone.as_str()).unwrap().as_str().to_owned(), phone.as_str());
        }
        if let Ok(url) = WebsiteUrl::parse(&input) {
            prop_assert_eq!(WebsiteUrl::parse(url.as_str()).unwrap().as_str().to_owned(), url.as_str());
        }
    }

    #[test]
    fn cursors_decode_only_when_made_here_and_never_panic(raw in prop_oneof![any::<String>(), "[A-Za-z0-9_-]{0,200}"], sort in "-?[a-z_]{1,12}") {
        if let Err(error) = decode_cursor(&raw, &sort) {
            assert_client_error(&error);
            prop_assert_eq!(error.code(), "invalid_cursor");
        }
    }

    #[test]
    fn cursors_round_trip_and_refuse_any_truncation(key in "[^\\p{Cc}]{0,60}", id in any::<[u8; 16]>(), cut in 1usize..40) {
        let id = uuid::Uuid::from_bytes(id);
        let cursor = encode_cursor("name", &key, id);
        prop_assert_eq!(decode_cursor(&cursor, "name").unwrap(), (key, id));
        let truncated = &cursor[..cursor.len().saturating_sub(cut)];
        prop_assert!(decode_cursor(truncated, "name").is_err(), "truncated cursor {} was accepted", truncated);
    }

    #[test]
    fn request_bodies_never_panic_on_any_json(value in json_value()) {
        parse_every_body(&serde_json::to_vec(&value).unwrap());
    }

    #[test]
    fn request_bodies_never_panic_on_any_bytes(bytes in prop_oneof![
        prop::collection::vec(any::<u8>(), 0..256),
        json_value().prop_map(|v| { let mut b = serde_json::to_vec(&v).unwrap(); let n = b.len() / 2; b.truncate(n); b }),
    ]) {
        parse_every_body(&bytes);
    }

    #[test]
    fn query_strings_never_panic_and_refusals_are_400(query in prop_oneof![
        any::<String>(),
        "(limit|cursor|q|region_code|siren|sort|from|to|year)=[-0-9a-zA-Z%_.]{0,24}(&(limit|q|x)=[0-9a-z%]{0,8}){0,3}",
    ]) {
        macro_rules! each {
            ($($module:ident :: $params:ident),* $(,)?) => {
                $(
                    if let Err(error) = cress_api::http::extract::parse_query::<cress_api::http::$module::$params>(&query) {
                        assert_client_error(&error);
                        prop_assert_eq!(error.status_code().as_u16(), 400);
                    }
                )*
            };
        }
        use actix_web::ResponseError;
        each!(
            organisations::ListOrganisationsParams,
            clubs::ListClubsParams,
            events::ListEventsParams,
            sponsorships::ListSponsorshipsParams,
            sponsorships::SummaryParams,
        );
    }
}
