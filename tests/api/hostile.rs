//! Hostile input beyond organisations (errors.rs covers their bodies, ids, cursors and `q`):
//! the numbers, sizes, forms, query values and headers a careless or malicious client sends to
//! sponsorships, events, lists and the logout form. Each gets its documented problem, and
//! reading the data back shows that nothing changed.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{TestApp, failing_fields, json_of, organisation, problem_of};
use crate::on_both_backends;

const SPONSORSHIPS: &str = "/api/v1/sponsorships";
const EVENTS: &str = "/api/v1/events";
const JSON: Option<&str> = Some("application/json");

/// A sponsor, a beneficiary and one sponsorship between them; returns the sponsorship.
async fn seed_sponsorship(app: &TestApp) -> Value {
    let sponsor = app
        .create_organisation(organisation("Mutuelle hostile", json!({"category": "mutual"})))
        .await;
    let beneficiary = app.create_organisation(organisation("Asso hostile", json!({}))).await;
    let body = sponsorship_body(&sponsor["id"], &beneficiary["id"]);
    json_of(app.post_json(SPONSORSHIPS, &body).await, StatusCode::CREATED).await
}

fn sponsorship_body(sponsor: &Value, beneficiary: &Value) -> Value {
    json!({
        "sponsor_id": sponsor,
        "beneficiary": {"type": "organisation", "id": beneficiary},
        "kind": "financial_patronage",
        "amount_cents": 1_500_000,
        "counterparts_cents": 100_000,
        "starts_on": "2026-01-01",
    })
}

/// Every sponsorship, as the administrator reads them.
async fn all_sponsorships(app: &TestApp) -> Vec<Value> {
    app.all_pages(&format!("{SPONSORSHIPS}?limit=200")).await
}

/// `body` with the raw JSON `value` (any text, valid or not) in place of `field`'s value.
fn with_raw(body: &Value, field: &str, value: &str) -> Vec<u8> {
    let mut object = body.as_object().expect("an object").clone();
    object.remove(field);
    let rest = serde_json::to_string(&Value::Object(object)).expect("JSON");
    format!("{{\"{field}\":{value},{}", &rest[1..]).into_bytes()
}

on_both_backends! {
    async fn create_sponsorship_returns_422_naming_the_amount_when_it_is_not_an_integer_in_range(app: TestApp) {
        let existing = seed_sponsorship(&app).await;
        let before = all_sponsorships(&app).await;
        let body = sponsorship_body(&existing["sponsor_id"], &existing["beneficiary"]["id"]);
        for (raw, why) in [
            ("1.5", "a fraction of a cent"),
            ("-100", "negative"),
            ("0", "zero"),
            ("10000000000001", "above 10^13"),
            ("9223372036854775807", "i64::MAX"),
            ("9223372036854775808", "i64::MAX + 1"),
            ("99999999999999999999999999", "beyond any integer type"),
            ("-9223372036854775809", "below i64::MIN"),
            ("1e300", "an exponent beyond i64"),
            ("9007199254740993.0", "beyond what a decimal point keeps exactly"),
            ("\"1500000\"", "a string of digits"),
            ("true", "a boolean"),
            ("[1500000]", "an array"),
            ("{\"value\":1}", "an object"),
        ] {
            let response = app
                .send_raw(Method::POST, SPONSORSHIPS, JSON, with_raw(&body, "amount_cents", raw))
                .await;
            let problem = problem_of(response, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
            assert_eq!(failing_fields(&problem), ["amount_cents"], "{why} ({raw}): {problem}");
        }
        assert_eq!(all_sponsorships(&app).await, before, "a refused create changed the sponsorships");
    }

    async fn create_sponsorship_accepts_an_amount_written_with_a_zero_fraction(app: TestApp) {
        // JSON Schema's "integer" is a value, not a spelling: 1500000.0 is the integer 1500000.
        let existing = seed_sponsorship(&app).await;
        let body = sponsorship_body(&existing["sponsor_id"], &existing["beneficiary"]["id"]);
        let response = app
            .send_raw(Method::POST, SPONSORSHIPS, JSON, with_raw(&body, "amount_cents", "1500000.0"))
            .await;
        let created = json_of(response, StatusCode::CREATED).await;
        assert_eq!(created["amount_cents"], json!(1_500_000));
        let read = json_of(app.get(&format!("{SPONSORSHIPS}/{}", created["id"].as_str().unwrap())).await, StatusCode::OK).await;
        assert_eq!(read["amount_cents"], json!(1_500_000));
    }

    async fn update_sponsorship_changes_nothing_when_the_patch_is_hostile(app: TestApp) {
        let existing = seed_sponsorship(&app).await;
        let path = format!("{SPONSORSHIPS}/{}", existing["id"].as_str().unwrap());
        let huge_notes = "n".repeat(5001);
        let cases: Vec<(Vec<u8>, StatusCode, &str, &str)> = vec![
            (br#"{"amount_cents": 1e400}"#.to_vec(), StatusCode::BAD_REQUEST, "malformed_json", "a number beyond f64"),
            (br#"{"amount_cents": 12.5}"#.to_vec(), StatusCode::UNPROCESSABLE_ENTITY, "validation_failed", "a fraction"),
            (br#"{"amount_cents": null}"#.to_vec(), StatusCode::UNPROCESSABLE_ENTITY, "validation_failed", "the amount cleared"),
            (br#"{"counterparts_cents": 18446744073709551616}"#.to_vec(), StatusCode::UNPROCESSABLE_ENTITY, "validation_failed", "2^64"),
            (br#"{"notes": "a", "notes": "b"}"#.to_vec(), StatusCode::UNPROCESSABLE_ENTITY, "validation_failed", "a duplicate key"),
            (br#"{"note": "typo"}"#.to_vec(), StatusCode::UNPROCESSABLE_ENTITY, "validation_failed", "an unknown field"),
            (format!(r#"{{"notes": "{huge_notes}"}}"#).into_bytes(), StatusCode::UNPROCESSABLE_ENTITY, "validation_failed", "notes of 5001 characters"),
            (b"{\"notes\": \"a\xff\xfeb\"}".to_vec(), StatusCode::BAD_REQUEST, "malformed_json", "invalid UTF-8"),
            (br#"{"notes": "a\u0000b"}"#.to_vec(), StatusCode::UNPROCESSABLE_ENTITY, "validation_failed", "an escaped NUL"),
            (br#"{"status": "ended""#.to_vec(), StatusCode::BAD_REQUEST, "malformed_json", "truncated"),
            (Vec::new(), StatusCode::BAD_REQUEST, "malformed_json", "an empty body"),
        ];
        for (body, status, code, why) in cases {
            let response = app
                .send_raw(Method::PATCH, &path, Some("application/merge-patch+json"), body)
                .await;
            let problem = json_of(response, status).await;
            assert_eq!(problem["code"], json!(code), "{why}: {problem}");
            let read = json_of(app.get(&path).await, StatusCode::OK).await;
            assert_eq!(read, existing, "{why}: the sponsorship changed");
        }
    }

    async fn create_sponsorship_returns_415_when_the_body_is_not_sent_as_json(app: TestApp) {
        let existing = seed_sponsorship(&app).await;
        let before = all_sponsorships(&app).await;
        let body = serde_json::to_vec(&sponsorship_body(&existing["sponsor_id"], &existing["beneficiary"]["id"])).unwrap();
        for content_type in [None, Some("text/plain"), Some("application/x-www-form-urlencoded"), Some("application/xml"), Some("multipart/form-data; boundary=x")] {
            let response = app.send_raw(Method::POST, SPONSORSHIPS, content_type, body.clone()).await;
            problem_of(response, StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type").await;
        }
        assert_eq!(all_sponsorships(&app).await, before);
    }

    async fn create_event_returns_422_when_strings_and_arrays_are_huge(app: TestApp) {
        let before = app.all_pages(&format!("{EVENTS}?limit=200")).await;
        let base = json!({
            "title": "Forum", "kind": "conference",
            "starts_at": "2026-11-05T09:00:00+01:00", "ends_at": "2026-11-05T17:00:00+01:00",
        });
        // Large, but under the test servers' 64 KiB body limit (beyond it: 413, errors.rs).
        let themes: Vec<String> = (0..2000).map(|i| format!("t{i}")).collect();
        let organisers: Vec<Value> = (0..300)
            .map(|_| json!({"organisation_id": "0193a1f2-7c4e-7d2a-9b1e-2f5c8a9d0e11", "role": "organiser"}))
            .collect();
        for (field, value, why) in [
            ("title", json!("t".repeat(30_000)), "a title of 30 000 characters"),
            ("themes", json!(themes), "2000 themes"),
            ("organisers", json!(organisers), "300 organisers"),
            ("capacity", json!(1.25), "a fractional capacity"),
            ("capacity", json!("80"), "a capacity as a string"),
        ] {
            let mut body = base.clone();
            body[field] = value;
            let response = app.post_json(EVENTS, &body).await;
            let problem = problem_of(response, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
            assert!(
                failing_fields(&problem).iter().any(|f| f.starts_with(field)),
                "{why}: {problem}"
            );
        }
        assert_eq!(app.all_pages(&format!("{EVENTS}?limit=200")).await, before);
    }

    async fn list_returns_400_invalid_parameter_when_limit_or_window_is_out_of_shape(app: TestApp) {
        for query in [
            "limit=0", "limit=-1", "limit=201", "limit=9223372036854775807", "limit=9223372036854775808",
            "limit=-9223372036854775809", "limit=1.5", "limit=1e3", "limit=ten", "limit=%00",
        ] {
            for list in ["/api/v1/organisations", SPONSORSHIPS, EVENTS, "/api/v1/clubs"] {
                let response = app.get(&format!("{list}?{query}")).await;
                problem_of(response, StatusCode::BAD_REQUEST, "invalid_parameter").await;
            }
        }
        for window in [
            "from=2026-1-5", "from=%202026-01-05", "from=2026-02-30", "to=2026-13-01",
            "to=9827-07-16t72:70:90Z", "to=2026-01-01T10:00:00", "from=yesterday", "from=2026-01-01%00",
        ] {
            let response = app.get(&format!("{EVENTS}?{window}")).await;
            problem_of(response, StatusCode::BAD_REQUEST, "invalid_parameter").await;
        }
    }

    async fn sponsorship_paths_return_404_when_the_id_is_not_a_uuid(app: TestApp) {
        let existing = seed_sponsorship(&app).await;
        let before = all_sponsorships(&app).await;
        for id in ["1", "not-a-uuid", "0193a1f2-7c4e-7d2a-9b1e-2f5c8a9d0e1", "%27%20or%201%3D1%20--", "%F0%9F%8C%B1"] {
            let path = format!("{SPONSORSHIPS}/{id}");
            problem_of(app.get(&path).await, StatusCode::NOT_FOUND, "not_found").await;
            problem_of(app.patch_json(&path, &json!({"notes": "x"})).await, StatusCode::NOT_FOUND, "not_found").await;
            problem_of(app.delete(&path).await, StatusCode::NOT_FOUND, "not_found").await;
        }
        assert_eq!(all_sponsorships(&app).await, before);
        assert!(before.iter().any(|s| s["id"] == existing["id"]));
    }

    async fn literal_paths_return_405_not_404_for_a_method_they_do_not_answer(app: TestApp) {
        // PATCH /sponsorships/summary used to reach PATCH /sponsorships/{id} and answer a 404
        // about the id "summary" (found by schemathesis' unsupported_method check).
        for method in [Method::PATCH, Method::DELETE, Method::POST] {
            let response = app.as_admin().request(method.clone(), &format!("{SPONSORSHIPS}/summary")).send().await.unwrap();
            let allow = response.headers().get("allow").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
            problem_of(response, StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed").await;
            assert_eq!(allow, "GET", "{method}: Allow");
        }
    }

    async fn logout_returns_400_when_the_form_has_an_unknown_or_empty_parameter(app: TestApp) {
        // A misspelt parameter must not be silently ignored (found by schemathesis).
        let form = Some("application/x-www-form-urlencoded");
        for (body, why) in [
            ("refresh_token=abc&x=1", "an unknown parameter"),
            ("refresh_tokn=abc", "a misspelt parameter"),
            ("refresh_token=", "an empty token"),
            ("refresh_token=a&refresh_token=b", "a repeated parameter"),
        ] {
            let response = app.as_anonymous().send_raw(Method::POST, "/api/v1/auth/logout", form, body.into()).await;
            problem_of(response, StatusCode::BAD_REQUEST, "invalid_request").await;
            let _ = why;
        }
        let response = app
            .as_anonymous()
            .send_raw(Method::POST, "/api/v1/auth/logout", JSON, br#"{"refresh_token": ""}"#.to_vec())
            .await;
        problem_of(response, StatusCode::BAD_REQUEST, "invalid_request").await;
    }

    async fn requests_with_header_floods_are_refused_and_change_nothing(app: TestApp) {
        let existing = seed_sponsorship(&app).await;
        let before = all_sponsorships(&app).await;
        let body = sponsorship_body(&existing["sponsor_id"], &existing["beneficiary"]["id"]);
        // 200 headers: more than actix-http parses (96). It refuses the request with a bare 431
        // before any of our code runs (so without a problem body), and nothing is written.
        // A client of its own: the server closes the connection after its 431, which must not
        // be the pooled connection the next request of the test reuses.
        let mut flood = reqwest::Client::new()
            .post(app.url(SPONSORSHIPS))
            .bearer_auth(crate::helpers::sign_test_token(&cress_api::core::Role::Admin))
            .json(&body);
        for i in 0..200 {
            flood = flood.header(format!("x-flood-{i}"), "x");
        }
        let status = flood.send().await.map(|r| r.status());
        assert!(
            status.as_ref().map_or(true, |s| *s == StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE),
            "200 headers answered {status:?}"
        );
        // 90 headers of 512 bytes each: within the limits, an ordinary read.
        let mut many = app.as_admin().request(Method::GET, SPONSORSHIPS);
        for i in 0..90 {
            many = many.header(format!("x-many-{i}"), "m".repeat(512));
        }
        json_of(many.send().await.expect("the server answers"), StatusCode::OK).await;
        assert_eq!(all_sponsorships(&app).await, before, "a flooded request wrote something");
        // The server still serves.
        json_of(app.get(SPONSORSHIPS).await, StatusCode::OK).await;
    }
}
