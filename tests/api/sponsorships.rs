//! `/api/v1/sponsorships`: create, read, list, change, delete and yearly totals, with the rules of
//! docs/domain.md (Part A "Sponsorships", B.7).

use reqwest::StatusCode;
use serde_json::{Value, json};

use cress_api::core::Role;

use crate::helpers::{As, TestApp, failing_fields, json_of, manager_of, organisation, partner_of, problem_of};
use crate::on_both_backends;

const UNKNOWN_ID: &str = "0193a1f2-7c4e-7d2a-9b1e-2f5c8a9d0e11";

/// Creates an organisation and returns its id.
async fn organisation_id(app: &TestApp, name: &str) -> String {
    let created = app.create_organisation(organisation(name, json!({}))).await;
    created["id"].as_str().expect("an id").to_owned()
}

/// Creates a club of region 76 hosted by `host_id` (through the clubs API) and returns its id.
async fn club_id(app: &TestApp, name: &str, host_id: &str) -> String {
    let body = json!({"name": name, "region_code": "76", "host_organisation_id": host_id});
    let created = json_of(app.post_json("/api/v1/clubs", &body).await, StatusCode::CREATED).await;
    created["id"].as_str().expect("an id").to_owned()
}

/// Creates an event in Montpellier (through the events API) and returns its id.
async fn event_id(app: &TestApp, title: &str) -> String {
    let body = json!({
        "title": title,
        "kind": "conference",
        "starts_at": "2026-11-18T14:00:00+01:00",
        "ends_at": "2026-11-18T17:30:00+01:00",
        "online": false,
        "city": "Montpellier",
        "region_code": "76"
    });
    let created = json_of(app.post_json("/api/v1/events", &body).await, StatusCode::CREATED).await;
    created["id"].as_str().expect("an id").to_owned()
}

/// A valid sponsorship body: 15 000 € of financial patronage in 2026; `overrides` replaces or adds fields.
fn sponsorship(sponsor_id: &str, beneficiary_type: &str, beneficiary_id: &str, overrides: Value) -> Value {
    let mut body = json!({
        "sponsor_id": sponsor_id,
        "beneficiary": {"type": beneficiary_type, "id": beneficiary_id},
        "kind": "financial_patronage",
        "amount_cents": 1_500_000,
        "starts_on": "2026-01-01",
    });
    if let (Some(body), Some(overrides)) = (body.as_object_mut(), overrides.as_object()) {
        for (key, value) in overrides {
            body.insert(key.clone(), value.clone());
        }
    }
    body
}

/// Creates a sponsorship and returns its JSON, failing the test if it is not created.
async fn create_sponsorship(app: &TestApp, body: Value) -> Value {
    let response = app.post_json("/api/v1/sponsorships", &body).await;
    let status = response.status();
    let json: Value = response.json().await.expect("a JSON body");
    assert_eq!(status, StatusCode::CREATED, "creating {body} answered {json}");
    json
}

fn path_of(sponsorship: &Value) -> String {
    format!("/api/v1/sponsorships/{}", sponsorship["id"].as_str().expect("an id"))
}

/// How many sponsorships exist, read through the API.
async fn sponsorship_count(app: &TestApp) -> usize {
    app.all_pages("/api/v1/sponsorships?limit=200").await.len()
}

/// The ids of every sponsorship `query` lists, in order.
async fn listed_ids(app: &TestApp, query: &str) -> Vec<Value> {
    app.all_pages(&format!("/api/v1/sponsorships?{query}"))
        .await
        .iter()
        .map(|s| s["id"].clone())
        .collect()
}

/// Asserts that a 422 problem lists `field` with `code`, and returns the message.
fn error_on(problem: &Value, field: &str, code: &str) -> String {
    let errors = problem["errors"]
        .as_array()
        .unwrap_or_else(|| panic!("errors listed in {problem}"));
    let error = errors
        .iter()
        .find(|e| e["field"] == field && e["code"] == code)
        .unwrap_or_else(|| panic!("expected {field}/{code} in {problem}"));
    let message = error["message"].as_str().unwrap_or_default().to_owned();
    assert!(!message.is_empty(), "a message for {field} in {problem}");
    message
}

on_both_backends! {
    async fn create_returns_201_with_location_names_and_defaults_when_the_body_is_valid(app: TestApp) {
        let mutual = organisation_id(&app, "Mutuelle solidaire d'Occitanie").await;
        let cress = organisation_id(&app, "Cress Occitanie").await;

        let response = app.post_json("/api/v1/sponsorships", &sponsorship(&mutual, "organisation", &cress, json!({}))).await;

        let location = response.headers().get("location").map(|v| v.to_str().unwrap().to_owned());
        let created = json_of(response, StatusCode::CREATED).await;
        assert_eq!(location, Some(path_of(&created)));
        assert_eq!(created["sponsor_id"], mutual.as_str());
        assert_eq!(created["sponsor_name"], "Mutuelle solidaire d'Occitanie");
        assert_eq!(created["beneficiary"], json!({"type": "organisation", "id": cress, "name": "Cress Occitanie"}));
        assert_eq!(created["currency"], "EUR", "default currency");
        assert_eq!(created["counterparts_cents"], 0, "default counterparts");
        assert_eq!(created["status"], "proposed", "default status");
        assert_eq!(created["public"], false, "default visibility");
        assert_eq!(created["ends_on"], Value::Null);
        assert_eq!(created["agreement_reference"], Value::Null);
        assert_eq!(created["version"], 1);
        assert_eq!(created["created_at"], created["updated_at"]);
        let read = json_of(app.get(&path_of(&created)).await, StatusCode::OK).await;
        assert_eq!(read, created, "what is read back is what creation answered");
    }

    async fn create_stores_every_field_of_the_part_c_example(app: TestApp) {
        let mutual = organisation_id(&app, "Mutuelle solidaire d'Occitanie").await;
        let cress = organisation_id(&app, "Cress Occitanie").await;
        let body = sponsorship(&mutual, "organisation", &cress, json!({
            "kind": "financial_patronage",
            "amount_cents": 1_500_000,
            "currency": "EUR",
            "counterparts_cents": 200_000,
            "starts_on": "2026-01-01",
            "ends_on": "2026-12-31",
            "status": "active",
            "public": true,
            "agreement_reference": "  CONV-2026-014 ",
            "notes": "Logo sur les supports du club et invitations aux deux journées en présentiel."
        }));

        let created = create_sponsorship(&app, body).await;

        assert_eq!(created["amount_cents"], 1_500_000);
        assert_eq!(created["counterparts_cents"], 200_000);
        assert_eq!(created["starts_on"], "2026-01-01");
        assert_eq!(created["ends_on"], "2026-12-31");
        assert_eq!(created["status"], "active");
        assert_eq!(created["public"], true);
        assert_eq!(created["agreement_reference"], "CONV-2026-014", "trimmed");
        assert_eq!(created["notes"], "Logo sur les supports du club et invitations aux deux journées en présentiel.");
    }

    async fn create_accepts_the_limits_of_each_rule(app: TestApp) {
        let sponsor = organisation_id(&app, "Sponsor").await;
        let beneficiary = organisation_id(&app, "Bénéficiaire").await;
        let cases = [
            (json!({"amount_cents": 1}), "the smallest amount"),
            (json!({"amount_cents": 10_000_000_000_000_i64}), "10^13 cents"),
            (json!({"amount_cents": 400, "counterparts_cents": 100}), "counterparts of exactly 25 %"),
            (json!({"kind": "in_kind_patronage", "amount_cents": 1_000_000, "counterparts_cents": 250_000}), "25 % in kind"),
            (json!({"kind": "skills_patronage", "amount_cents": 1_000_000, "counterparts_cents": 250_000}), "25 % in skills"),
            (json!({"kind": "commercial_sponsorship", "amount_cents": 100, "counterparts_cents": 10_000}), "no cap for parrainage"),
            (json!({"starts_on": "2026-09-19", "ends_on": "2026-09-19"}), "a one-day sponsorship"),
            (json!({"ends_on": null, "currency": null, "counterparts_cents": null, "status": null, "public": null}), "nulls take the defaults"),
            (json!({"status": "ended", "starts_on": "2024-01-01", "ends_on": "2024-12-31"}), "a past sponsorship recorded as ended"),
            (json!({"agreement_reference": "x".repeat(100), "notes": "é".repeat(5000)}), "texts at their longest"),
        ];
        for (fields, what) in cases {
            let response = app.post_json("/api/v1/sponsorships", &sponsorship(&sponsor, "organisation", &beneficiary, fields)).await;
            assert_eq!(response.status(), StatusCode::CREATED, "{what} should be accepted: {}", response.text().await.unwrap());
        }
    }

    async fn create_returns_422_with_the_rule_broken_when_a_field_is_invalid(app: TestApp) {
        let sponsor = organisation_id(&app, "Sponsor").await;
        let beneficiary = organisation_id(&app, "Bénéficiaire").await;
        let cases = [
            (json!({"amount_cents": 0}), "amount_cents", "out_of_range", "a zero amount"),
            (json!({"amount_cents": -100}), "amount_cents", "out_of_range", "a negative amount"),
            (json!({"amount_cents": 10_000_000_000_001_i64}), "amount_cents", "out_of_range", "over 10^13"),
            (json!({"amount_cents": i64::MAX}), "amount_cents", "out_of_range", "the largest i64"),
            (json!({"amount_cents": 9_223_372_036_854_775_808_u64}), "amount_cents", "invalid_type", "just beyond i64"),
            (json!({"amount_cents": 1e20}), "amount_cents", "invalid_type", "far beyond i64"),
            (json!({"amount_cents": -9_223_372_036_854_775_808_i64}), "amount_cents", "out_of_range", "the smallest i64"),
            (json!({"amount_cents": 12.5}), "amount_cents", "invalid_type", "a fraction of a cent"),
            (json!({"amount_cents": "1500000"}), "amount_cents", "invalid_type", "an amount as text"),
            (json!({"amount_cents": null}), "amount_cents", "required", "no amount"),
            (json!({"currency": "USD"}), "currency", "unsupported_currency", "dollars"),
            (json!({"currency": "eur"}), "currency", "unsupported_currency", "a lower-case code"),
            (json!({"counterparts_cents": -1}), "counterparts_cents", "out_of_range", "negative counterparts"),
            (json!({"counterparts_cents": i64::MIN}), "counterparts_cents", "out_of_range", "the smallest i64 counterparts"),
            (json!({"starts_on": null}), "starts_on", "required", "no start"),
            (json!({"starts_on": "2026-02-30"}), "starts_on", "invalid_type", "a day that does not exist"),
            (json!({"starts_on": "01/01/2026"}), "starts_on", "invalid_type", "a French date format"),
            (json!({"starts_on": "1899-12-31"}), "starts_on", "out_of_range", "before 1900"),
            (json!({"ends_on": "2201-01-01"}), "ends_on", "out_of_range", "after 2200"),
            (json!({"starts_on": "2026-06-01", "ends_on": "2026-05-31"}), "ends_on", "before_start", "an end before the start"),
            (json!({"kind": null}), "kind", "required", "no kind"),
            (json!({"kind": "mecenat"}), "kind", "unknown_value", "an unknown kind"),
            (json!({"status": "paused"}), "status", "unknown_value", "an unknown status"),
            (json!({"public": "yes"}), "public", "invalid_type", "public as text"),
            (json!({"sponsor_id": null}), "sponsor_id", "required", "no sponsor"),
            (json!({"sponsor_id": "not-a-uuid"}), "sponsor_id", "invalid_type", "a sponsor id that is no UUID"),
            (json!({"beneficiary": null}), "beneficiary", "required", "no beneficiary"),
            (json!({"beneficiary": {"id": beneficiary}}), "beneficiary.type", "required", "a beneficiary without type"),
            (json!({"beneficiary": {"type": "organisation"}}), "beneficiary.id", "required", "a beneficiary without id"),
            (json!({"beneficiary": {"type": "cress", "id": beneficiary}}), "beneficiary.type", "unknown_value", "an unknown beneficiary type"),
            (json!({"beneficiary": {"type": "organisation", "id": beneficiary, "name": "x"}}), "beneficiary.name", "unknown_field", "a name sent in the beneficiary"),
            (json!({"agreement_reference": "x".repeat(101)}), "agreement_reference", "too_long", "a reference over 100 characters"),
            (json!({"agreement_reference": "  "}), "agreement_reference", "blank", "a blank reference"),
            (json!({"notes": "x".repeat(5001)}), "notes", "too_long", "notes over 5000 characters"),
            (json!({"notes": "a\u{0}b"}), "notes", "invalid_format", "a NUL byte in the notes"),
            (json!({"sponsor_name": "x"}), "sponsor_name", "unknown_field", "a read-only field"),
        ];
        for (fields, field, code, what) in cases {
            let response = app.post_json("/api/v1/sponsorships", &sponsorship(&sponsor, "organisation", &beneficiary, fields)).await;

            let problem = problem_of(response, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
            assert!(
                problem["errors"].as_array().is_some_and(|errors| errors.iter().any(|e| e["field"] == field && e["code"] == code)),
                "{what}: expected {field}/{code} in {problem}"
            );
        }
        assert_eq!(sponsorship_count(&app).await, 0, "nothing invalid was stored");
    }

    async fn create_returns_422_listing_every_failing_field_when_several_are_invalid(app: TestApp) {
        let beneficiary = organisation_id(&app, "Bénéficiaire").await;
        let body = json!({
            "sponsor_id": UNKNOWN_ID,
            "beneficiary": {"type": "organisation", "id": beneficiary},
            "kind": "skills_patronage",
            "amount_cents": 0,
            "currency": "GBP",
            "starts_on": "2026-06-01",
            "ends_on": "2026-01-01",
            "notes": "x".repeat(5001)
        });

        let response = app.post_json("/api/v1/sponsorships", &body).await;

        let problem = problem_of(response, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
        let mut fields = failing_fields(&problem);
        fields.sort();
        assert_eq!(fields, ["amount_cents", "currency", "ends_on", "notes", "sponsor_id"], "in {problem}");
        error_on(&problem, "sponsor_id", "not_found");
        assert_eq!(sponsorship_count(&app).await, 0);
    }

    async fn create_returns_422_not_found_on_sponsor_id_when_the_sponsor_does_not_exist(app: TestApp) {
        let beneficiary = organisation_id(&app, "Bénéficiaire").await;

        let response = app.post_json("/api/v1/sponsorships", &sponsorship(UNKNOWN_ID, "organisation", &beneficiary, json!({}))).await;

        let problem = problem_of(response, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
        assert_eq!(failing_fields(&problem), ["sponsor_id"]);
        error_on(&problem, "sponsor_id", "not_found");
        assert_eq!(sponsorship_count(&app).await, 0);
    }

    async fn create_returns_422_not_found_on_beneficiary_id_when_the_beneficiary_does_not_exist(app: TestApp) {
        let sponsor = organisation_id(&app, "Sponsor").await;

        for kind in ["club", "event", "organisation"] {
            let response = app.post_json("/api/v1/sponsorships", &sponsorship(&sponsor, kind, UNKNOWN_ID, json!({}))).await;

            let problem = problem_of(response, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
            assert_eq!(failing_fields(&problem), ["beneficiary.id"], "{kind}: {problem}");
            let message = error_on(&problem, "beneficiary.id", "not_found");
            assert!(message.contains(&format!("no {kind}")), "{kind}: the message names the type: {message}");
        }
        let other = organisation_id(&app, "Une organisation, pas un club").await;
        let response = app.post_json("/api/v1/sponsorships", &sponsorship(&sponsor, "club", &other, json!({}))).await;
        let problem = problem_of(response, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
        error_on(&problem, "beneficiary.id", "not_found");
        assert_eq!(sponsorship_count(&app).await, 0);
    }

    async fn create_returns_422_when_the_sponsor_is_its_own_beneficiary(app: TestApp) {
        let sponsor = organisation_id(&app, "Narcisse").await;

        let response = app.post_json("/api/v1/sponsorships", &sponsorship(&sponsor, "organisation", &sponsor, json!({}))).await;

        let problem = problem_of(response, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
        assert_eq!(failing_fields(&problem), ["beneficiary.id"]);
        let message = error_on(&problem, "beneficiary.id", "same_as_sponsor");
        assert!(message.contains("itself"), "{message}");
        assert_eq!(sponsorship_count(&app).await, 0);
    }

    async fn create_returns_422_counterparts_over_25_percent_when_patronage_gives_back_more_than_a_quarter(app: TestApp) {
        let sponsor = organisation_id(&app, "Sponsor").await;
        let beneficiary = organisation_id(&app, "Bénéficiaire").await;

        for kind in ["financial_patronage", "in_kind_patronage", "skills_patronage"] {
            for (amount, counterparts) in [(1_500_000, 375_001), (3, 1), (1_500_000, 1_500_000), (1, i64::MAX)] {
                let body = sponsorship(&sponsor, "organisation", &beneficiary, json!({
                    "kind": kind, "amount_cents": amount, "counterparts_cents": counterparts
                }));

                let response = app.post_json("/api/v1/sponsorships", &body).await;

                let problem = problem_of(response, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
                assert_eq!(failing_fields(&problem), ["counterparts_cents"], "{kind} {counterparts}/{amount}: {problem}");
                let message = error_on(&problem, "counterparts_cents", "counterparts_over_25_percent");
                for part in ["25 %", "mécénat", "commercial_sponsorship"] {
                    assert!(message.contains(part), "the message explains the rule ({part:?}): {message}");
                }
            }
        }
        assert_eq!(sponsorship_count(&app).await, 0);
    }

    async fn get_returns_404_problem_when_the_sponsorship_does_not_exist(app: TestApp) {
        let response = app.get(&format!("/api/v1/sponsorships/{UNKNOWN_ID}")).await;

        problem_of(response, StatusCode::NOT_FOUND, "not_found").await;
        problem_of(app.get("/api/v1/sponsorships/not-a-uuid").await, StatusCode::NOT_FOUND, "not_found").await;
    }

    async fn update_changes_only_the_fields_sent_and_clears_the_null_ones(app: TestApp) {
        let sponsor = organisation_id(&app, "Sponsor").await;
        let beneficiary = organisation_id(&app, "Bénéficiaire").await;
        let created = create_sponsorship(&app, sponsorship(&sponsor, "organisation", &beneficiary, json!({
            "ends_on": "2026-12-31", "agreement_reference": "CONV-1", "notes": "à revoir"
        }))).await;
        let path = path_of(&created);

        let response = app.patch_json(&path, &json!({"amount_cents": 2_000_000, "notes": null, "public": true})).await;

        let updated = json_of(response, StatusCode::OK).await;
        assert_eq!(updated["amount_cents"], 2_000_000);
        assert_eq!(updated["public"], true);
        assert_eq!(updated["notes"], Value::Null, "null clears");
        assert_eq!(updated["agreement_reference"], "CONV-1", "absent stays");
        assert_eq!(updated["ends_on"], "2026-12-31", "absent stays");
        assert_eq!(updated["beneficiary"], created["beneficiary"], "absent stays");
        assert_eq!(updated["sponsor_name"], "Sponsor");
        assert_eq!(updated["version"], 2);
        assert_eq!(updated["created_at"], created["created_at"]);
        assert_ne!(updated["updated_at"], created["updated_at"]);
        assert_eq!(json_of(app.get(&path).await, StatusCode::OK).await, updated);
    }

    async fn update_keeps_the_version_when_the_patch_changes_nothing(app: TestApp) {
        let sponsor = organisation_id(&app, "Sponsor").await;
        let beneficiary = organisation_id(&app, "Bénéficiaire").await;
        let created = create_sponsorship(&app, sponsorship(&sponsor, "organisation", &beneficiary, json!({"notes": "Note"}))).await;

        let response = app.patch_json(&path_of(&created), &json!({
            "notes": " Note ", "status": "proposed", "beneficiary": {"type": "organisation"}, "currency": "EUR"
        })).await;

        assert_eq!(json_of(response, StatusCode::OK).await, created, "same values after trimming: no change");
    }

    async fn update_accepts_merge_patch_json(app: TestApp) {
        let sponsor = organisation_id(&app, "Sponsor").await;
        let beneficiary = organisation_id(&app, "Bénéficiaire").await;
        let created = create_sponsorship(&app, sponsorship(&sponsor, "organisation", &beneficiary, json!({}))).await;

        let response = app
            .send_raw(reqwest::Method::PATCH, &path_of(&created), Some("application/merge-patch+json"), br#"{"status":"active"}"#.to_vec())
            .await;

        assert_eq!(json_of(response, StatusCode::OK).await["status"], "active");
    }

    async fn update_changes_the_beneficiary_and_its_name_when_the_new_one_exists(app: TestApp) {
        let sponsor = organisation_id(&app, "Sponsor").await;
        let first = organisation_id(&app, "Premier bénéficiaire").await;
        let second = organisation_id(&app, "Second bénéficiaire").await;
        let third = organisation_id(&app, "Troisième bénéficiaire").await;
        let created = create_sponsorship(&app, sponsorship(&sponsor, "organisation", &first, json!({}))).await;
        let path = path_of(&created);

        let moved = json_of(app.patch_json(&path, &json!({"beneficiary": {"id": second}})).await, StatusCode::OK).await;
        assert_eq!(moved["beneficiary"], json!({"type": "organisation", "id": second, "name": "Second bénéficiaire"}), "the type is kept");
        let moved = json_of(app.patch_json(&path, &json!({"beneficiary": {"type": "organisation", "id": third}})).await, StatusCode::OK).await;
        assert_eq!(moved["beneficiary"]["name"], "Troisième bénéficiaire");
        assert_eq!(moved["version"], 3);
        let new_sponsor = json_of(app.patch_json(&path, &json!({"sponsor_id": first})).await, StatusCode::OK).await;
        assert_eq!(new_sponsor["sponsor_name"], "Premier bénéficiaire");
        assert_eq!(json_of(app.get(&path).await, StatusCode::OK).await, new_sponsor);
    }

    async fn update_returns_422_and_changes_nothing_when_the_result_breaks_a_rule(app: TestApp) {
        let sponsor = organisation_id(&app, "Sponsor").await;
        let beneficiary = organisation_id(&app, "Bénéficiaire").await;
        let created = create_sponsorship(&app, sponsorship(&sponsor, "organisation", &beneficiary, json!({
            "kind": "commercial_sponsorship", "amount_cents": 1_000_000, "counterparts_cents": 500_000,
            "starts_on": "2026-03-01", "ends_on": "2026-06-30"
        }))).await;
        let path = path_of(&created);
        let cases = [
            (json!({"kind": "financial_patronage"}), "counterparts_cents", "counterparts_over_25_percent", "patronage with the stored 50 % counterparts"),
            (json!({"kind": "financial_patronage", "amount_cents": 1_999_999}), "counterparts_cents", "counterparts_over_25_percent", "patronage with just over 25 %"),
            (json!({"starts_on": "2026-07-01"}), "ends_on", "before_start", "a start after the stored end"),
            (json!({"ends_on": "2026-02-28"}), "ends_on", "before_start", "an end before the stored start"),
            (json!({"amount_cents": -1}), "amount_cents", "out_of_range", "a negative amount"),
            (json!({"amount_cents": 18_446_744_073_709_551_615_u64}), "amount_cents", "invalid_type", "beyond i64"),
            (json!({"currency": "CHF"}), "currency", "unsupported_currency", "another currency"),
            (json!({"sponsor_id": UNKNOWN_ID}), "sponsor_id", "not_found", "an unknown sponsor"),
            (json!({"sponsor_id": beneficiary}), "beneficiary.id", "same_as_sponsor", "the beneficiary becoming the sponsor"),
            (json!({"beneficiary": {"id": sponsor}}), "beneficiary.id", "same_as_sponsor", "the sponsor becoming the beneficiary"),
            (json!({"beneficiary": {"id": UNKNOWN_ID}}), "beneficiary.id", "not_found", "an unknown organisation"),
            (json!({"beneficiary": {"type": "club"}}), "beneficiary.id", "not_found", "the organisation's id taken for a club"),
            (json!({"beneficiary": {"type": "event", "id": UNKNOWN_ID}}), "beneficiary.id", "not_found", "an unknown event"),
            (json!({"beneficiary": null}), "beneficiary", "required", "the beneficiary cleared"),
            (json!({"beneficiary": {"id": null}}), "beneficiary.id", "required", "the beneficiary's id cleared"),
            (json!({"beneficiary": {"type": null}}), "beneficiary.type", "required", "the beneficiary's type cleared"),
            (json!({"sponsor_id": null}), "sponsor_id", "required", "the sponsor cleared"),
            (json!({"kind": null}), "kind", "required", "the kind cleared"),
            (json!({"amount_cents": null}), "amount_cents", "required", "the amount cleared"),
            (json!({"currency": null}), "currency", "required", "the currency cleared"),
            (json!({"counterparts_cents": null}), "counterparts_cents", "required", "the counterparts cleared"),
            (json!({"starts_on": null}), "starts_on", "required", "the start cleared"),
            (json!({"status": null}), "status", "required", "the status cleared"),
            (json!({"public": null}), "public", "required", "the visibility cleared"),
            (json!({"notes": "x".repeat(5001)}), "notes", "too_long", "notes over 5000 characters"),
            (json!({"agreement_reference": "x".repeat(101)}), "agreement_reference", "too_long", "a reference over 100 characters"),
            (json!({"id": UNKNOWN_ID}), "id", "unknown_field", "a read-only field"),
        ];
        for (patch, field, code, what) in cases {
            let response = app.patch_json(&path, &patch).await;

            let problem = problem_of(response, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
            assert!(
                problem["errors"].as_array().is_some_and(|errors| errors.iter().any(|e| e["field"] == field && e["code"] == code)),
                "{what}: expected {field}/{code} in {problem}"
            );
        }
        assert_eq!(json_of(app.get(&path).await, StatusCode::OK).await, created, "nothing changed");
    }

    async fn update_follows_the_status_lifecycle_when_transitions_are_legal(app: TestApp) {
        let sponsor = organisation_id(&app, "Sponsor").await;
        let beneficiary = organisation_id(&app, "Bénéficiaire").await;
        for (steps, why) in [
            (vec!["active", "ended"], "proposed → active → ended"),
            (vec!["cancelled"], "proposed → cancelled"),
            (vec!["active", "cancelled"], "active → cancelled"),
        ] {
            let created = create_sponsorship(&app, sponsorship(&sponsor, "organisation", &beneficiary, json!({}))).await;
            for step in steps {
                let response = app.patch_json(&path_of(&created), &json!({"status": step})).await;
                assert_eq!(json_of(response, StatusCode::OK).await["status"], step, "{why}");
            }
        }
    }

    async fn update_returns_409_illegal_transition_naming_both_statuses_when_the_status_cannot_follow(app: TestApp) {
        let sponsor = organisation_id(&app, "Sponsor").await;
        let beneficiary = organisation_id(&app, "Bénéficiaire").await;
        let cases = [
            ("proposed", "ended"),
            ("active", "proposed"),
            ("ended", "active"),
            ("ended", "proposed"),
            ("ended", "cancelled"),
            ("cancelled", "proposed"),
            ("cancelled", "active"),
            ("cancelled", "ended"),
        ];
        for (from, to) in cases {
            let created = create_sponsorship(&app, sponsorship(&sponsor, "organisation", &beneficiary, json!({"status": from}))).await;
            let path = path_of(&created);

            let response = app.patch_json(&path, &json!({"status": to, "notes": "changed with the status"})).await;

            let problem = problem_of(response, StatusCode::CONFLICT, "illegal_transition").await;
            let detail = problem["detail"].as_str().unwrap();
            assert!(detail.contains(&format!("from {from} to {to}")), "{from} → {to}: {detail}");
            assert_eq!(json_of(app.get(&path).await, StatusCode::OK).await, created, "{from} → {to}: nothing changed");
        }
        let ended = create_sponsorship(&app, sponsorship(&sponsor, "organisation", &beneficiary, json!({"status": "ended"}))).await;
        let response = app.patch_json(&path_of(&ended), &json!({"status": "ended", "notes": "bilan fait"})).await;
        assert_eq!(json_of(response, StatusCode::OK).await["notes"], "bilan fait", "a final sponsorship keeps its status and may be annotated");
    }

    async fn update_returns_404_when_the_sponsorship_does_not_exist(app: TestApp) {
        let response = app.patch_json(&format!("/api/v1/sponsorships/{UNKNOWN_ID}"), &json!({"notes": "x"})).await;

        problem_of(response, StatusCode::NOT_FOUND, "not_found").await;
    }

    async fn delete_returns_204_then_the_sponsorship_is_gone(app: TestApp) {
        let sponsor = organisation_id(&app, "Sponsor").await;
        let beneficiary = organisation_id(&app, "Bénéficiaire").await;
        let created = create_sponsorship(&app, sponsorship(&sponsor, "organisation", &beneficiary, json!({}))).await;
        let path = path_of(&created);

        let response = app.delete(&path).await;

        assert_eq!(response.status(), StatusCode::NO_CONTENT);
        problem_of(app.get(&path).await, StatusCode::NOT_FOUND, "not_found").await;
        problem_of(app.delete(&path).await, StatusCode::NOT_FOUND, "not_found").await;
        assert_eq!(sponsorship_count(&app).await, 0);
    }

    async fn delete_organisation_returns_409_in_use_when_it_sponsors_or_receives_a_sponsorship(app: TestApp) {
        let sponsor = organisation_id(&app, "Sponsor").await;
        let beneficiary = organisation_id(&app, "Bénéficiaire").await;
        let created = create_sponsorship(&app, sponsorship(&sponsor, "organisation", &beneficiary, json!({}))).await;

        for (id, names) in [(&sponsor, "1 sponsorship it gives"), (&beneficiary, "1 sponsorship it receives")] {
            let response = app.delete(&format!("/api/v1/organisations/{id}")).await;

            let problem = problem_of(response, StatusCode::CONFLICT, "in_use").await;
            assert!(problem["detail"].as_str().unwrap().contains(names), "names the holder ({names}): {problem}");
            json_of(app.get(&format!("/api/v1/organisations/{id}")).await, StatusCode::OK).await;
        }
        assert_eq!(json_of(app.get(&path_of(&created)).await, StatusCode::OK).await, created, "the sponsorship is untouched");

        assert_eq!(app.delete(&path_of(&created)).await.status(), StatusCode::NO_CONTENT);
        for id in [&sponsor, &beneficiary] {
            assert_eq!(app.delete(&format!("/api/v1/organisations/{id}")).await.status(), StatusCode::NO_CONTENT);
        }
    }

    async fn list_pages_through_every_sponsorship_once_by_start_date_both_ways(app: TestApp) {
        let sponsor = organisation_id(&app, "Mutuelle").await;
        let beneficiary = organisation_id(&app, "Cress").await;
        let mut created = Vec::new();
        for starts_on in ["2026-03-01", "2024-01-01", "2026-03-01", "2025-06-15", "2026-03-01", "2023-09-19"] {
            created.push(create_sponsorship(&app, sponsorship(&sponsor, "organisation", &beneficiary, json!({"starts_on": starts_on}))).await);
        }
        let mut expected: Vec<(String, String)> = created
            .iter()
            .map(|s| (s["starts_on"].as_str().unwrap().to_owned(), s["id"].as_str().unwrap().to_owned()))
            .collect();
        expected.sort();
        let ascending: Vec<Value> = expected.iter().map(|(_, id)| json!(id)).collect();
        let mut descending = ascending.clone();
        descending.reverse();

        assert_eq!(listed_ids(&app, "limit=2&sort=starts_on").await, ascending);
        assert_eq!(listed_ids(&app, "limit=2&sort=-starts_on").await, descending);
        assert_eq!(listed_ids(&app, "limit=4").await, descending, "latest first by default");
        let items = app.all_pages("/api/v1/sponsorships?limit=1").await;
        assert!(
            items.iter().all(|s| s["sponsor_name"] == "Mutuelle" && s["beneficiary"]["name"] == "Cress"),
            "every item carries the names: {items:?}"
        );
        assert_eq!(items[0], json_of(app.get(&format!("/api/v1/sponsorships/{}", items[0]["id"].as_str().unwrap())).await, StatusCode::OK).await);
    }

    async fn list_filters_by_sponsor_beneficiary_status_kind_and_year(app: TestApp) {
        let mutual = organisation_id(&app, "Mutuelle").await;
        let bank = organisation_id(&app, "Banque coopérative").await;
        let cress = organisation_id(&app, "Cress").await;
        let scop = organisation_id(&app, "Scop").await;
        let a = create_sponsorship(&app, sponsorship(&mutual, "organisation", &cress, json!({
            "starts_on": "2025-01-01", "ends_on": null, "status": "active"
        }))).await["id"].clone();
        let b = create_sponsorship(&app, sponsorship(&mutual, "organisation", &scop, json!({
            "starts_on": "2024-03-01", "ends_on": "2025-12-31", "kind": "skills_patronage", "status": "ended"
        }))).await["id"].clone();
        let c = create_sponsorship(&app, sponsorship(&bank, "organisation", &cress, json!({
            "starts_on": "2026-12-31", "ends_on": "2027-06-30", "kind": "commercial_sponsorship"
        }))).await["id"].clone();
        let d = create_sponsorship(&app, sponsorship(&bank, "organisation", &mutual, json!({
            "starts_on": "2023-01-01", "ends_on": "2025-01-01", "status": "cancelled"
        }))).await["id"].clone();
        let set = |mut ids: Vec<Value>| {
            ids.sort_by_key(|id| id.as_str().unwrap().to_owned());
            ids
        };
        let listed = |query: String| {
            let app = &app;
            async move { set(listed_ids(app, &query).await) }
        };

        assert_eq!(listed(format!("sponsor_id={mutual}")).await, set(vec![a.clone(), b.clone()]));
        assert_eq!(listed(format!("beneficiary_type=organisation&beneficiary_id={cress}")).await, set(vec![a.clone(), c.clone()]));
        assert_eq!(listed(format!("beneficiary_id={cress}")).await, set(vec![a.clone(), c.clone()]), "an id of any type");
        assert_eq!(listed(format!("beneficiary_id={mutual}")).await, set(vec![d.clone()]), "the sponsor of a is the beneficiary of d");
        assert_eq!(listed(format!("beneficiary_type=club&beneficiary_id={cress}")).await, set(vec![]), "no club has this id");
        assert_eq!(listed("beneficiary_type=club".into()).await, set(vec![]));
        assert_eq!(listed("beneficiary_type=organisation".into()).await.len(), 4);
        assert_eq!(listed("status=active".into()).await, set(vec![a.clone()]));
        assert_eq!(listed("status=proposed".into()).await, set(vec![c.clone()]));
        assert_eq!(listed("kind=skills_patronage".into()).await, set(vec![b.clone()]));
        assert_eq!(listed(format!("kind=financial_patronage&sponsor_id={bank}")).await, set(vec![d.clone()]));
        assert_eq!(listed("year=2025".into()).await, set(vec![a.clone(), b.clone(), d.clone()]), "d ends on 1 January 2025");
        assert_eq!(listed("year=2026".into()).await, set(vec![a.clone(), c.clone()]), "c starts on 31 December; a is open-ended");
        assert_eq!(listed("year=2027".into()).await, set(vec![a.clone(), c.clone()]));
        assert_eq!(listed("year=2024".into()).await, set(vec![b.clone(), d.clone()]), "a starts in 2025");
        assert_eq!(listed("year=2022".into()).await, set(vec![]));
        assert_eq!(listed(format!("year=2025&sponsor_id={bank}")).await, set(vec![d.clone()]));
    }

    async fn list_returns_400_when_a_parameter_is_invalid(app: TestApp) {
        let sponsor = organisation_id(&app, "Sponsor").await;
        let beneficiary = organisation_id(&app, "Bénéficiaire").await;
        for starts_on in ["2026-01-01", "2026-02-01"] {
            create_sponsorship(&app, sponsorship(&sponsor, "organisation", &beneficiary, json!({"starts_on": starts_on}))).await;
        }
        let page = json_of(app.get("/api/v1/sponsorships?limit=1&sort=starts_on").await, StatusCode::OK).await;
        let cursor = page["next_cursor"].as_str().expect("a next page").to_owned();
        let cases = [
            ("year=1899".to_owned(), "invalid_parameter", "a year before 1900"),
            ("year=2201".to_owned(), "invalid_parameter", "a year after 2200"),
            ("year=twenty".to_owned(), "invalid_parameter", "a year as words"),
            ("year=99999999999".to_owned(), "invalid_parameter", "a year beyond i32"),
            ("beneficiary_type=cress".to_owned(), "invalid_parameter", "an unknown beneficiary type"),
            ("status=paused".to_owned(), "invalid_parameter", "an unknown status"),
            ("kind=mecenat".to_owned(), "invalid_parameter", "an unknown kind"),
            ("sponsor_id=42".to_owned(), "invalid_parameter", "a sponsor id that is no UUID"),
            ("sort=amount_cents".to_owned(), "invalid_parameter", "an unknown order"),
            ("limit=0".to_owned(), "invalid_parameter", "a limit of 0"),
            ("colour=blue".to_owned(), "invalid_parameter", "an unknown parameter"),
            (format!("sort=-starts_on&cursor={cursor}"), "invalid_cursor", "a cursor of another order"),
            ("cursor=bm90IGEgY3Vyc29y".to_owned(), "invalid_cursor", "a cursor that is not ours"),
        ];
        for (query, code, what) in cases {
            let response = app.get(&format!("/api/v1/sponsorships?{query}")).await;
            let problem = problem_of(response, StatusCode::BAD_REQUEST, code).await;
            assert!(problem["detail"].as_str().is_some_and(|d| !d.is_empty()), "{what}: {problem}");
        }
    }

    async fn update_keeps_every_change_when_requests_run_concurrently(app: TestApp) {
        let sponsor = organisation_id(&app, "Sponsor").await;
        let beneficiary = organisation_id(&app, "Bénéficiaire").await;
        let created = create_sponsorship(&app, sponsorship(&sponsor, "organisation", &beneficiary, json!({}))).await;
        let path = path_of(&created);
        let patches = [
            json!({"notes": "Changée en parallèle"}),
            json!({"agreement_reference": "CONV-42"}),
            json!({"public": true}),
            json!({"ends_on": "2026-12-31"}),
        ];

        let responses = futures_util::future::join_all(patches.iter().map(|patch| app.patch_json(&path, patch))).await;

        for response in responses {
            let status = response.status();
            assert!(status == StatusCode::OK || status == StatusCode::CONFLICT, "unexpected {status}");
        }
        let stored = json_of(app.get(&path).await, StatusCode::OK).await;
        let applied = patches
            .iter()
            .filter(|patch| patch.as_object().unwrap().iter().all(|(field, value)| &stored[field] == value))
            .count();
        assert_eq!(stored["version"].as_i64().unwrap(), 1 + applied as i64, "every applied change counted once: {stored}");
    }

    async fn create_returns_201_when_the_body_is_the_documented_example_with_real_ids(app: TestApp) {
        let doc: Value = serde_json::from_str(&cress_api::app::openapi_json()).expect("the document is JSON");
        let schemas = &doc["components"]["schemas"];
        let mut example = schemas["CreateSponsorshipRequest"]["example"].clone();
        assert!(example.is_object(), "CreateSponsorshipRequest has an example");
        let mutual = organisation_id(&app, "Mutuelle solidaire d'Occitanie").await;
        let cress = organisation_id(&app, "Cress Occitanie").await;
        let club = club_id(&app, "Club des collectivités locales pour l'ESS", &cress).await;
        assert_eq!(example["beneficiary"]["type"], "club", "Part C: the club of local authorities");
        example["sponsor_id"] = json!(mutual);
        example["beneficiary"]["id"] = json!(club);

        let created = json_of(app.post_json("/api/v1/sponsorships", &example).await, StatusCode::CREATED).await;

        assert_eq!(created["amount_cents"], 1_500_000, "Part C: 15 000 € of financial patronage");
        assert_eq!(created["counterparts_cents"], 200_000, "Part C: 2 000 € of counterparts");
        assert_eq!(created["kind"], "financial_patronage");
        assert_eq!(created["public"], true);
        assert_eq!(created["beneficiary"]["name"], "Club des collectivités locales pour l'ESS");
        let keys = |value: &Value| -> Vec<String> {
            let mut keys: Vec<String> = value.as_object().map(|o| o.keys().cloned().collect()).unwrap_or_default();
            keys.sort();
            keys
        };
        let documented = &schemas["SponsorshipResponse"]["example"];
        assert_eq!(keys(&created), keys(documented), "the response example has the fields of a real response");
        assert_eq!(keys(&created["beneficiary"]), keys(&documented["beneficiary"]));
        let update = schemas["UpdateSponsorshipRequest"]["example"].clone();
        let updated = json_of(app.patch_json(&path_of(&created), &update).await, StatusCode::OK).await;
        for (field, value) in update.as_object().expect("an object") {
            assert_eq!(&updated[field], value, "{field} patched from the example: {updated}");
        }
        let summary = json_of(app.get(&format!("/api/v1/sponsorships/summary?sponsor_id={mutual}")).await, StatusCode::OK).await;
        assert_eq!(keys(&summary), keys(&schemas["SponsorshipSummary"]["example"]));
        assert_eq!(keys(&summary["items"][0]), keys(&schemas["SponsorshipSummary"]["example"]["items"][0]));
    }

    async fn create_returns_201_with_the_club_name_or_event_title_when_the_beneficiary_is_a_club_or_an_event(app: TestApp) {
        let mutual = organisation_id(&app, "Mutuelle solidaire d'Occitanie").await;
        let cress = organisation_id(&app, "Cress Occitanie").await;
        let club = club_id(&app, "Club des collectivités locales pour l'ESS", &cress).await;
        let event = event_id(&app, "L'ESS et le mutualisme expliqués aux jeunes").await;

        let for_club = create_sponsorship(&app, sponsorship(&mutual, "club", &club, json!({
            "amount_cents": 1_500_000, "counterparts_cents": 200_000, "status": "active", "public": true,
            "starts_on": "2026-01-01", "ends_on": "2026-12-31"
        }))).await;
        let for_event = create_sponsorship(&app, sponsorship(&mutual, "event", &event, json!({
            "kind": "in_kind_patronage", "amount_cents": 250_000, "starts_on": "2026-11-18", "ends_on": "2026-11-18"
        }))).await;

        assert_eq!(for_club["beneficiary"], json!({"type": "club", "id": club, "name": "Club des collectivités locales pour l'ESS"}));
        assert_eq!(for_club["sponsor_name"], "Mutuelle solidaire d'Occitanie");
        assert_eq!(for_event["beneficiary"], json!({"type": "event", "id": event, "name": "L'ESS et le mutualisme expliqués aux jeunes"}));
        for created in [&for_club, &for_event] {
            assert_eq!(&json_of(app.get(&path_of(created)).await, StatusCode::OK).await, created, "read back as created");
        }
        let listed = app.all_pages("/api/v1/sponsorships?limit=1").await;
        let names: Vec<&Value> = listed.iter().map(|s| &s["beneficiary"]["name"]).collect();
        assert_eq!(names, [&for_event["beneficiary"]["name"], &for_club["beneficiary"]["name"]], "names joined in the page, latest start first");
    }

    async fn create_returns_422_not_found_when_the_beneficiary_id_is_of_another_type(app: TestApp) {
        let sponsor = organisation_id(&app, "Sponsor").await;
        let club = club_id(&app, "Club", &sponsor).await;
        let event = event_id(&app, "Rencontre").await;

        for (kind, id, what) in [
            ("event", &club, "a club's id given as an event"),
            ("organisation", &club, "a club's id given as an organisation"),
            ("club", &event, "an event's id given as a club"),
            ("organisation", &event, "an event's id given as an organisation"),
            ("club", &sponsor, "an organisation's id given as a club"),
            ("event", &sponsor, "an organisation's id given as an event"),
        ] {
            let response = app.post_json("/api/v1/sponsorships", &sponsorship(&sponsor, kind, id, json!({}))).await;

            let problem = problem_of(response, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
            assert_eq!(failing_fields(&problem), ["beneficiary.id"], "{what}: {problem}");
            let message = error_on(&problem, "beneficiary.id", "not_found");
            assert!(message.contains(&format!("no {kind}")), "{what}: {message}");
        }
        assert_eq!(sponsorship_count(&app).await, 0);
    }

    async fn update_moves_the_beneficiary_between_an_organisation_a_club_and_an_event(app: TestApp) {
        let sponsor = organisation_id(&app, "Mutuelle").await;
        let cress = organisation_id(&app, "Cress Occitanie").await;
        let club = club_id(&app, "Club des collectivités", &cress).await;
        let event = event_id(&app, "Journée du club à Lodève").await;
        let created = create_sponsorship(&app, sponsorship(&sponsor, "organisation", &cress, json!({}))).await;
        let path = path_of(&created);

        let to_club = json_of(app.patch_json(&path, &json!({"beneficiary": {"type": "club", "id": club}})).await, StatusCode::OK).await;
        assert_eq!(to_club["beneficiary"], json!({"type": "club", "id": club, "name": "Club des collectivités"}));
        let refused = app.patch_json(&path, &json!({"beneficiary": {"type": "event"}})).await;
        let problem = problem_of(refused, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
        error_on(&problem, "beneficiary.id", "not_found");
        let to_event = json_of(app.patch_json(&path, &json!({"beneficiary": {"type": "event", "id": event}})).await, StatusCode::OK).await;
        assert_eq!(to_event["beneficiary"], json!({"type": "event", "id": event, "name": "Journée du club à Lodève"}));
        assert_eq!(to_event["version"], 3);
        assert_eq!(json_of(app.get(&path).await, StatusCode::OK).await, to_event);

        assert_eq!(listed_ids(&app, &format!("beneficiary_type=event&beneficiary_id={event}")).await, [created["id"].clone()]);
        assert!(listed_ids(&app, &format!("beneficiary_type=club&beneficiary_id={club}")).await.is_empty(), "the club no longer benefits");
        assert_eq!(app.delete(&format!("/api/v1/clubs/{club}")).await.status(), StatusCode::NO_CONTENT, "the former beneficiary is free");
    }

    async fn list_and_summary_filter_by_club_and_event_beneficiaries(app: TestApp) {
        let mutual = organisation_id(&app, "Mutuelle").await;
        let bank = organisation_id(&app, "Banque coopérative").await;
        let cress = organisation_id(&app, "Cress Occitanie").await;
        let club = club_id(&app, "Club des collectivités", &cress).await;
        let event = event_id(&app, "Mois de l'ESS").await;
        let a = create_sponsorship(&app, sponsorship(&mutual, "club", &club, json!({"status": "active", "counterparts_cents": 200_000}))).await["id"].clone();
        let b = create_sponsorship(&app, sponsorship(&bank, "club", &club, json!({"status": "ended", "kind": "skills_patronage", "amount_cents": 400_000, "starts_on": "2025-04-01"}))).await["id"].clone();
        let c = create_sponsorship(&app, sponsorship(&mutual, "event", &event, json!({"status": "active", "kind": "commercial_sponsorship", "amount_cents": 50_000}))).await["id"].clone();
        let d = create_sponsorship(&app, sponsorship(&mutual, "organisation", &cress, json!({"status": "active"}))).await["id"].clone();

        let sorted = |mut ids: Vec<Value>| {
            ids.sort_by_key(|id| id.as_str().unwrap().to_owned());
            ids
        };
        assert_eq!(sorted(listed_ids(&app, &format!("beneficiary_type=club&beneficiary_id={club}")).await), sorted(vec![a.clone(), b.clone()]));
        assert_eq!(sorted(listed_ids(&app, &format!("beneficiary_id={club}")).await), sorted(vec![a.clone(), b.clone()]), "a club's id without its type");
        assert_eq!(listed_ids(&app, &format!("beneficiary_id={event}")).await, vec![c.clone()], "an event's id without its type");
        assert_eq!(listed_ids(&app, "beneficiary_type=event").await, vec![c.clone()]);
        assert_eq!(listed_ids(&app, "beneficiary_type=organisation").await, vec![d]);
        assert!(listed_ids(&app, &format!("beneficiary_type=event&beneficiary_id={club}")).await.is_empty());

        let for_club = json_of(app.get(&format!("/api/v1/sponsorships/summary?beneficiary_type=club&beneficiary_id={club}")).await, StatusCode::OK).await;
        assert_eq!(for_club, json!({
            "items": [
                {"year": 2025, "kind": "skills_patronage", "amount_cents": 400_000, "counterparts_cents": 0, "count": 1},
                {"year": 2026, "kind": "financial_patronage", "amount_cents": 1_500_000, "counterparts_cents": 200_000, "count": 1},
            ],
            "total_amount_cents": 1_900_000
        }));
        let mutual_to_event = json_of(
            app.get(&format!("/api/v1/sponsorships/summary?sponsor_id={mutual}&beneficiary_type=event&beneficiary_id={event}&year=2026")).await,
            StatusCode::OK,
        ).await;
        assert_eq!(mutual_to_event["total_amount_cents"], 50_000);
        assert_eq!(mutual_to_event["items"][0]["kind"], "commercial_sponsorship");
        let mutual_to_clubs = json_of(app.get(&format!("/api/v1/sponsorships/summary?sponsor_id={mutual}&beneficiary_type=club")).await, StatusCode::OK).await;
        assert_eq!(mutual_to_clubs["total_amount_cents"], 1_500_000, "the sponsor's support of clubs only");
    }

    async fn delete_club_or_event_returns_409_in_use_when_it_is_sponsored(app: TestApp) {
        let sponsor = organisation_id(&app, "Mutuelle").await;
        let cress = organisation_id(&app, "Cress Occitanie").await;
        let club = club_id(&app, "Club des collectivités", &cress).await;
        let event = event_id(&app, "Mois de l'ESS").await;
        let for_club = create_sponsorship(&app, sponsorship(&sponsor, "club", &club, json!({}))).await;
        let for_event = create_sponsorship(&app, sponsorship(&sponsor, "event", &event, json!({}))).await;

        for (path, what) in [(format!("/api/v1/clubs/{club}"), "club"), (format!("/api/v1/events/{event}"), "event")] {
            let response = app.delete(&path).await;

            let problem = problem_of(response, StatusCode::CONFLICT, "in_use").await;
            let detail = problem["detail"].as_str().unwrap();
            assert!(detail.contains(what) && detail.contains("1 sponsorship"), "names the sponsorship: {detail}");
            json_of(app.get(&path).await, StatusCode::OK).await;
        }
        for sponsorship in [&for_club, &for_event] {
            assert_eq!(&json_of(app.get(&path_of(sponsorship)).await, StatusCode::OK).await, sponsorship, "untouched");
            assert_eq!(app.delete(&path_of(sponsorship)).await.status(), StatusCode::NO_CONTENT);
        }
        assert_eq!(app.delete(&format!("/api/v1/clubs/{club}")).await.status(), StatusCode::NO_CONTENT);
        assert_eq!(app.delete(&format!("/api/v1/events/{event}")).await.status(), StatusCode::NO_CONTENT);
    }

    async fn summary_totals_active_and_ended_sponsorships_per_year_and_kind(app: TestApp) {
        let mutual = organisation_id(&app, "Mutuelle").await;
        let other = organisation_id(&app, "Autre sponsor").await;
        let cress = organisation_id(&app, "Cress").await;
        let scop = organisation_id(&app, "Scop").await;
        for (sponsor, beneficiary, fields) in [
            (&mutual, &cress, json!({"starts_on": "2026-01-01", "status": "active", "amount_cents": 1_500_000, "counterparts_cents": 200_000})),
            (&mutual, &scop, json!({"starts_on": "2026-09-19", "status": "ended", "amount_cents": 500_000, "counterparts_cents": 100_000})),
            (&mutual, &cress, json!({"starts_on": "2026-11-01", "status": "active", "kind": "in_kind_patronage", "amount_cents": 300_000})),
            (&mutual, &cress, json!({"starts_on": "2025-12-31", "ends_on": "2026-12-31", "status": "ended", "kind": "commercial_sponsorship", "amount_cents": 700_000, "counterparts_cents": 700_000})),
            (&mutual, &cress, json!({"starts_on": "2026-02-01", "status": "proposed", "amount_cents": 9_000_000})),
            (&mutual, &cress, json!({"starts_on": "2026-02-01", "status": "cancelled", "amount_cents": 8_000_000})),
            (&other, &cress, json!({"starts_on": "2026-05-01", "status": "active", "amount_cents": 100})),
        ] {
            create_sponsorship(&app, sponsorship(sponsor, "organisation", beneficiary, fields)).await;
        }

        let summary = json_of(app.get(&format!("/api/v1/sponsorships/summary?sponsor_id={mutual}")).await, StatusCode::OK).await;

        assert_eq!(summary, json!({
            "items": [
                {"year": 2025, "kind": "commercial_sponsorship", "amount_cents": 700_000, "counterparts_cents": 700_000, "count": 1},
                {"year": 2026, "kind": "financial_patronage", "amount_cents": 2_000_000, "counterparts_cents": 300_000, "count": 2},
                {"year": 2026, "kind": "in_kind_patronage", "amount_cents": 300_000, "counterparts_cents": 0, "count": 1},
            ],
            "total_amount_cents": 3_000_000
        }), "proposed and cancelled sponsorships are not counted; the year is that of starts_on");
        let for_cress = json_of(
            app.get(&format!("/api/v1/sponsorships/summary?beneficiary_type=organisation&beneficiary_id={cress}&year=2026")).await,
            StatusCode::OK,
        ).await;
        assert_eq!(for_cress, json!({
            "items": [
                {"year": 2026, "kind": "financial_patronage", "amount_cents": 1_500_100, "counterparts_cents": 200_000, "count": 2},
                {"year": 2026, "kind": "in_kind_patronage", "amount_cents": 300_000, "counterparts_cents": 0, "count": 1},
            ],
            "total_amount_cents": 1_800_100
        }), "year keeps the sponsorships starting in it");
        let both = json_of(
            app.get(&format!("/api/v1/sponsorships/summary?sponsor_id={other}&beneficiary_type=organisation&beneficiary_id={cress}")).await,
            StatusCode::OK,
        ).await;
        assert_eq!(both["total_amount_cents"], 100);
        let none = json_of(app.get(&format!("/api/v1/sponsorships/summary?sponsor_id={scop}")).await, StatusCode::OK).await;
        assert_eq!(none, json!({"items": [], "total_amount_cents": 0}));
        let register = json_of(app.get("/api/v1/sponsorships/summary?year=2026").await, StatusCode::OK).await;
        assert_eq!(register, json!({
            "items": [
                {"year": 2026, "kind": "financial_patronage", "amount_cents": 2_000_100, "counterparts_cents": 300_000, "count": 3},
                {"year": 2026, "kind": "in_kind_patronage", "amount_cents": 300_000, "counterparts_cents": 0, "count": 1},
            ],
            "total_amount_cents": 2_300_100
        }), "without a sponsor nor a beneficiary: the whole register");
    }

    async fn summary_returns_400_when_a_parameter_is_invalid(app: TestApp) {
        let cases = [
            (format!("?beneficiary_id={UNKNOWN_ID}"), "a beneficiary id without its type"),
            (format!("?sponsor_id={UNKNOWN_ID}&year=1800"), "a year out of range"),
            (format!("?sponsor_id={UNKNOWN_ID}&status=active"), "an unknown parameter"),
            ("?sponsor_id=nope".to_owned(), "a sponsor id that is no UUID"),
        ];
        for (query, what) in cases {
            let response = app.get(&format!("/api/v1/sponsorships/summary{query}")).await;
            let problem = problem_of(response, StatusCode::BAD_REQUEST, "invalid_parameter").await;
            assert!(problem["detail"].as_str().is_some_and(|d| !d.is_empty()), "{what}: {problem}");
        }
    }
}

/// The sponsorship at `path` as `caller` reads it, and as the list of its sponsor's
/// sponsorships shows it to `caller`.
async fn read_and_listed(caller: &As<'_>, path: &str, sponsor: &str) -> [Value; 2] {
    let one = json_of(caller.get(path).await, StatusCode::OK).await;
    let page = json_of(
        caller
            .get(&format!("/api/v1/sponsorships?sponsor_id={sponsor}&limit=200"))
            .await,
        StatusCode::OK,
    )
    .await;
    let listed = page["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|item| item["id"] == one["id"])
        .unwrap_or_else(|| panic!("{path} is listed in {page}"))
        .clone();
    [one, listed]
}

/// The `beneficiary_name` column of the sponsorships' CSV export, as `caller` gets it.
async fn beneficiary_names_in_csv(caller: As<'_>) -> Vec<String> {
    let answer = caller
        .request(reqwest::Method::GET, "/api/v1/sponsorships")
        .header("accept", "text/csv")
        .send()
        .await
        .expect("an answer");
    let (header, rows) = crate::helpers::csv_of(answer).await;
    let column = header
        .iter()
        .position(|c| c == "beneficiary_name")
        .expect("a beneficiary_name column");
    rows.into_iter().map(|row| row[column].clone()).collect()
}

/// An organisation of region `region`, as JSON.
async fn organisation_in(app: &TestApp, name: &str, region: &str) -> Value {
    app.create_organisation(organisation(name, json!({"region_code": region})))
        .await
}

fn id_of(record: &Value) -> &str {
    record["id"].as_str().expect("an id")
}

on_both_backends! {
    async fn amounts_and_notes_are_shown_only_to_admins_the_beneficiary_regions_managers_and_the_sponsor(app: TestApp) {
        let mutual = organisation_in(&app, "Mutuelle des Causses", "76").await;
        let other = organisation_in(&app, "Autre structure", "76").await;
        let home = organisation_in(&app, "Cress Occitanie", "76").await;
        let away = organisation_in(&app, "Cress Bretagne", "53").await;
        let fields = json!({"public": true, "counterparts_cents": 100_000, "notes": "Logo sur les supports."});
        let to_home = create_sponsorship(&app, sponsorship(id_of(&mutual), "organisation", id_of(&home), fields.clone())).await;
        let to_away = create_sponsorship(&app, sponsorship(id_of(&mutual), "organisation", id_of(&away), fields)).await;
        let callers = [
            ("anonymous", app.as_anonymous(), false, false),
            ("viewer", app.as_role(&Role::Viewer), false, false),
            ("partner of another organisation", app.as_role(&partner_of(&other["id"])), false, false),
            ("partner of the beneficiary", app.as_role(&partner_of(&home["id"])), false, false),
            ("manager of region 76", app.as_role(&manager_of("76")), true, false),
            ("manager of region 53", app.as_role(&manager_of("53")), false, true),
            ("the sponsor's partner", app.as_role(&partner_of(&mutual["id"])), true, true),
            ("admin", app.as_admin(), true, true),
        ];
        for (who, caller, sees_home, sees_away) in callers {
            for (sponsorship, sees) in [(&to_home, sees_home), (&to_away, sees_away)] {
                for shown in read_and_listed(&caller, &path_of(sponsorship), id_of(&mutual)).await {
                    let what = format!("{who} reading the sponsorship of {}", shown["beneficiary"]["name"]);
                    assert_eq!(shown["sponsor_id"], mutual["id"], "{what}");
                    assert_eq!(shown["kind"], "financial_patronage", "{what}: the rest is shown");
                    for field in ["amount_cents", "counterparts_cents", "notes"] {
                        assert_eq!(shown.get(field).is_some(), sees, "{what} sees {field}: {shown}");
                    }
                    if sees {
                        assert_eq!(shown["amount_cents"], 1_500_000, "{what}");
                        assert_eq!(shown["counterparts_cents"], 100_000, "{what}");
                        assert_eq!(shown["notes"], "Logo sur les supports.", "{what}");
                    }
                }
            }
        }
    }

    async fn anonymous_callers_list_and_read_public_sponsorships_only(app: TestApp) {
        let mutual = organisation_id(&app, "Mutuelle").await;
        let cress = organisation_id(&app, "Cress Occitanie").await;
        let public = create_sponsorship(&app, sponsorship(&mutual, "organisation", &cress, json!({"public": true, "starts_on": "2026-01-01"}))).await;
        let private = create_sponsorship(&app, sponsorship(&mutual, "organisation", &cress, json!({"public": false, "starts_on": "2025-01-01"}))).await;
        let anonymous = app.as_anonymous();

        let page = json_of(anonymous.get("/api/v1/sponsorships?limit=1").await, StatusCode::OK).await;
        assert_eq!(page["items"].as_array().map(Vec::len), Some(1), "{page}");
        assert_eq!(page["items"][0]["id"], public["id"]);
        assert_eq!(page["next_cursor"], Value::Null, "the private one is not even on a next page: {page}");
        let filtered = json_of(anonymous.get(&format!("/api/v1/sponsorships?sponsor_id={mutual}&year=2025")).await, StatusCode::OK).await;
        assert_eq!(filtered["items"], json!([]), "the private one matches no filter either");
        json_of(anonymous.get(&path_of(&public)).await, StatusCode::OK).await;
        let problem = problem_of(anonymous.get(&path_of(&private)).await, StatusCode::UNAUTHORIZED, "unauthenticated").await;
        assert!(!problem.to_string().contains("1500000"), "no amount in the refusal: {problem}");

        let viewer = app.as_role(&Role::Viewer);
        let all = json_of(viewer.get("/api/v1/sponsorships").await, StatusCode::OK).await;
        assert_eq!(all["items"].as_array().map(Vec::len), Some(2), "a viewer lists both: {all}");
        let read = json_of(viewer.get(&path_of(&private)).await, StatusCode::OK).await;
        assert_eq!(read["public"], false);
        assert!(read.get("amount_cents").is_none(), "but without amounts: {read}");
    }

    async fn anonymous_callers_and_viewers_are_refused_every_sponsorship_change_before_the_body_is_read(app: TestApp) {
        let mutual = organisation_id(&app, "Mutuelle").await;
        let cress = organisation_id(&app, "Cress Occitanie").await;
        let created = create_sponsorship(&app, sponsorship(&mutual, "organisation", &cress, json!({"public": true}))).await;
        let invalid = json!({"amount_cents": 0, "currency": "USD", "sponsor_id": UNKNOWN_ID});
        let anonymous = app.as_anonymous();
        let viewer = app.as_role(&Role::Viewer);
        problem_of(anonymous.post_json("/api/v1/sponsorships", &invalid).await, StatusCode::UNAUTHORIZED, "unauthenticated").await;
        problem_of(anonymous.patch_json(&path_of(&created), &invalid).await, StatusCode::UNAUTHORIZED, "unauthenticated").await;
        problem_of(anonymous.delete(&path_of(&created)).await, StatusCode::UNAUTHORIZED, "unauthenticated").await;
        problem_of(viewer.post_json("/api/v1/sponsorships", &invalid).await, StatusCode::FORBIDDEN, "forbidden").await;
        problem_of(viewer.patch_json(&path_of(&created), &invalid).await, StatusCode::FORBIDDEN, "forbidden").await;
        problem_of(viewer.delete(&path_of(&created)).await, StatusCode::FORBIDDEN, "forbidden").await;
        assert_eq!(json_of(app.get(&path_of(&created)).await, StatusCode::OK).await, created, "unchanged");
    }

    async fn a_partner_writes_the_sponsorships_its_organisation_gives_and_no_other(app: TestApp) {
        let mutual = organisation_in(&app, "Mutuelle", "76").await;
        let bank = organisation_in(&app, "Banque coopérative", "76").await;
        let cress = organisation_in(&app, "Cress Bretagne", "53").await;
        let partner = app.as_role(&partner_of(&mutual["id"]));
        let of_bank = create_sponsorship(&app, sponsorship(id_of(&bank), "organisation", id_of(&cress), json!({}))).await;

        problem_of(
            partner.post_json("/api/v1/sponsorships", &sponsorship(id_of(&bank), "organisation", id_of(&cress), json!({}))).await,
            StatusCode::FORBIDDEN,
            "forbidden",
        ).await;
        assert_eq!(sponsorship_count(&app).await, 1, "nothing created in another sponsor's name");

        let response = partner.post_json("/api/v1/sponsorships", &sponsorship(id_of(&mutual), "organisation", id_of(&cress), json!({"notes": "Convention signée."}))).await;
        let own = json_of(response, StatusCode::CREATED).await;
        assert_eq!(own["amount_cents"], 1_500_000, "the partner sees what it gives, wherever the beneficiary is");
        assert_eq!(own["notes"], "Convention signée.");

        problem_of(partner.patch_json(&path_of(&own), &json!({"sponsor_id": bank["id"]})).await, StatusCode::FORBIDDEN, "forbidden").await;
        problem_of(partner.patch_json(&path_of(&of_bank), &json!({"notes": "x"})).await, StatusCode::FORBIDDEN, "forbidden").await;
        problem_of(partner.patch_json(&path_of(&of_bank), &json!({"sponsor_id": mutual["id"]})).await, StatusCode::FORBIDDEN, "forbidden").await;
        problem_of(partner.delete(&path_of(&of_bank)).await, StatusCode::FORBIDDEN, "forbidden").await;
        assert_eq!(json_of(app.get(&path_of(&own)).await, StatusCode::OK).await, own, "its own is unchanged");
        assert_eq!(json_of(app.get(&path_of(&of_bank)).await, StatusCode::OK).await, of_bank, "the other is unchanged");

        let changed = json_of(partner.patch_json(&path_of(&own), &json!({"status": "active", "notes": null})).await, StatusCode::OK).await;
        assert_eq!(changed["status"], "active");
        assert_eq!(changed["notes"], Value::Null, "shown, and cleared");
        assert_eq!(partner.delete(&path_of(&own)).await.status(), StatusCode::NO_CONTENT);
        assert_eq!(sponsorship_count(&app).await, 1, "only the bank's is left");
    }

    async fn a_cress_manager_writes_the_sponsorships_of_beneficiaries_of_its_region_only(app: TestApp) {
        let mutual = organisation_in(&app, "Mutuelle", "53").await;
        let home = organisation_in(&app, "Cress Occitanie", "76").await;
        let away = organisation_in(&app, "Cress Bretagne", "53").await;
        let club = club_id(&app, "Club des collectivités", id_of(&home)).await;
        let event = event_id(&app, "Mois de l'ESS").await;
        let body = json!({"title": "Webinaire national", "kind": "webinar", "starts_at": "2026-11-18T14:00:00+01:00",
            "ends_at": "2026-11-18T15:00:00+01:00", "online": true, "online_url": "https://visio.example/ess"});
        let nowhere = json_of(app.post_json("/api/v1/events", &body).await, StatusCode::CREATED).await;
        assert_eq!(nowhere["region_code"], Value::Null, "an event without a region");
        let manager = app.as_role(&manager_of("76"));
        let of_away = create_sponsorship(&app, sponsorship(id_of(&mutual), "organisation", id_of(&away), json!({}))).await;

        for (kind, id, what) in [("organisation", id_of(&away), "an organisation of region 53"), ("event", id_of(&nowhere), "an event without a region")] {
            let response = manager.post_json("/api/v1/sponsorships", &sponsorship(id_of(&mutual), kind, id, json!({}))).await;
            assert_eq!(response.status(), StatusCode::FORBIDDEN, "{what}: {}", response.text().await.unwrap());
        }
        assert_eq!(sponsorship_count(&app).await, 1, "nothing created outside the manager's region");

        let mut own = Vec::new();
        for (kind, id) in [("organisation", id_of(&home)), ("club", club.as_str()), ("event", event.as_str())] {
            let response = manager.post_json("/api/v1/sponsorships", &sponsorship(id_of(&mutual), kind, id, json!({}))).await;
            let created = json_of(response, StatusCode::CREATED).await;
            assert_eq!(created["amount_cents"], 1_500_000, "a {kind} of region 76: amounts shown");
            own.push(created);
        }
        let to_home = &own[0];

        problem_of(
            manager.patch_json(&path_of(to_home), &json!({"beneficiary": {"id": away["id"]}})).await,
            StatusCode::FORBIDDEN,
            "forbidden",
        ).await;
        problem_of(
            manager.patch_json(&path_of(to_home), &json!({"beneficiary": {"type": "event", "id": nowhere["id"]}})).await,
            StatusCode::FORBIDDEN,
            "forbidden",
        ).await;
        problem_of(manager.patch_json(&path_of(&of_away), &json!({"beneficiary": {"id": home["id"]}})).await, StatusCode::FORBIDDEN, "forbidden").await;
        problem_of(manager.delete(&path_of(&of_away)).await, StatusCode::FORBIDDEN, "forbidden").await;
        assert_eq!(&json_of(app.get(&path_of(to_home)).await, StatusCode::OK).await, to_home, "not moved");
        assert_eq!(json_of(app.get(&path_of(&of_away)).await, StatusCode::OK).await, of_away, "untouched");

        let moved = json_of(manager.patch_json(&path_of(to_home), &json!({"beneficiary": {"type": "club", "id": club}})).await, StatusCode::OK).await;
        assert_eq!(moved["beneficiary"]["id"], club.as_str(), "moved within the region");
        assert_eq!(manager.delete(&path_of(to_home)).await.status(), StatusCode::NO_CONTENT);
    }

    async fn summary_counts_what_the_caller_may_list_and_adds_up_only_the_amounts_it_sees(app: TestApp) {
        let mutual = organisation_in(&app, "Mutuelle", "76").await;
        let bank = organisation_in(&app, "Banque coopérative", "76").await;
        let home = organisation_in(&app, "Cress Occitanie", "76").await;
        let away = organisation_in(&app, "Cress Bretagne", "53").await;
        for (sponsor, beneficiary, fields) in [
            (&mutual, &home, json!({"status": "active", "public": true, "amount_cents": 1_000_000, "counterparts_cents": 100_000})),
            (&mutual, &away, json!({"status": "active", "public": false, "amount_cents": 200_000, "counterparts_cents": 20_000})),
            (&bank, &home, json!({"status": "active", "public": false, "amount_cents": 30_000, "counterparts_cents": 3_000})),
        ] {
            create_sponsorship(&app, sponsorship(id_of(sponsor), "organisation", id_of(beneficiary), fields)).await;
        }
        let of_mutual = format!("/api/v1/sponsorships/summary?sponsor_id={}", id_of(&mutual));
        let for_home = format!("/api/v1/sponsorships/summary?beneficiary_type=organisation&beneficiary_id={}", id_of(&home));
        // (who, caller, summary of the mutual's, summary of what home receives): (count, amounts or None)
        let cases = [
            ("anonymous", app.as_anonymous(), (1, None), (1, None)),
            ("viewer", app.as_role(&Role::Viewer), (2, None), (2, None)),
            ("the mutual's partner", app.as_role(&partner_of(&mutual["id"])), (2, Some((1_200_000, 120_000))), (2, Some((1_000_000, 100_000)))),
            ("the bank's partner", app.as_role(&partner_of(&bank["id"])), (2, Some((0, 0))), (2, Some((30_000, 3_000)))),
            ("manager of region 76", app.as_role(&manager_of("76")), (2, Some((1_000_000, 100_000))), (2, Some((1_030_000, 103_000)))),
            ("manager of region 53", app.as_role(&manager_of("53")), (2, Some((200_000, 20_000))), (2, Some((0, 0)))),
            ("admin", app.as_admin(), (2, Some((1_200_000, 120_000))), (2, Some((1_030_000, 103_000)))),
        ];
        for (who, caller, mutual_expected, home_expected) in cases {
            for (path, (count, amounts)) in [(&of_mutual, mutual_expected), (&for_home, home_expected)] {
                let summary = json_of(caller.get(path).await, StatusCode::OK).await;
                let mut item = json!({"year": 2026, "kind": "financial_patronage", "count": count});
                let mut expected = json!({"items": [item.clone()]});
                if let Some((amount, counterparts)) = amounts {
                    item["amount_cents"] = json!(amount);
                    item["counterparts_cents"] = json!(counterparts);
                    expected = json!({"items": [item], "total_amount_cents": amount});
                }
                assert_eq!(summary, expected, "{who} asking {path}");
            }
        }
    }
}

on_both_backends! {
    async fn an_unpublished_events_title_is_shown_only_to_callers_who_may_read_the_event(app: TestApp) {
        // Arrange: a public sponsorship of an event still in draft.
        let sponsor = organisation_id(&app, "Mutuelle solidaire").await;
        let event = event_id(&app, "Conférence en préparation").await;
        let created = create_sponsorship(&app, sponsorship(&sponsor, "event", &event, json!({"public": true}))).await;
        let path = path_of(&created);
        let anonymous = app.as_anonymous();
        // Act
        let [one, listed] = read_and_listed(&anonymous, &path, &sponsor).await;
        let csv = beneficiary_names_in_csv(app.as_anonymous()).await;
        let viewer = Role::Viewer;
        let [viewers_one, viewers_listed] = read_and_listed(&app.as_role(&viewer), &path, &sponsor).await;
        // Assert: type and id, no title, for the caller who may not read the event.
        for item in [&one, &listed] {
            assert_eq!(item["beneficiary"], json!({"type": "event", "id": event}), "{item}");
        }
        assert_eq!(csv, [""], "no title in the CSV either");
        problem_of(anonymous.get(&format!("/api/v1/events/{event}")).await, StatusCode::UNAUTHORIZED, "unauthenticated").await;
        for item in [&viewers_one, &viewers_listed] {
            assert_eq!(item["beneficiary"]["name"], "Conférence en préparation", "{item}");
        }
        // Once published, anonymous callers read the event, and so its title.
        let published = app.patch_json(&format!("/api/v1/events/{event}"), &json!({"status": "published"})).await;
        json_of(published, StatusCode::OK).await;
        let [one, listed] = read_and_listed(&anonymous, &path, &sponsor).await;
        for item in [&one, &listed] {
            assert_eq!(item["beneficiary"]["name"], "Conférence en préparation", "{item}");
        }
        assert_eq!(beneficiary_names_in_csv(app.as_anonymous()).await, ["Conférence en préparation"]);
    }
}
