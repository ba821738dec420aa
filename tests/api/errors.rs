//! Every error class answers an RFC 9457 problem and leaves the data as it was; hostile but
//! valid input (Unicode names, SQL syntax in searches) is served normally.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{BODY_LIMIT, TestApp, failing_fields, json_of, organisation, problem_of};
use crate::on_both_backends;

const ORGANISATIONS: &str = "/api/v1/organisations";
const JSON: Option<&str> = Some("application/json");

/// Names the table row being checked when an assertion fails, including those inside
/// `problem_of`, whose messages cannot carry it.
struct Case<'a>(&'a str);

impl Drop for Case<'_> {
    fn drop(&mut self) {
        if std::thread::panicking() {
            eprintln!("failing case: {}", self.0);
        }
    }
}

/// A request body that must be refused, and how.
struct Bad {
    why: &'static str,
    content_type: Option<&'static str>,
    body: Vec<u8>,
    status: StatusCode,
    code: &'static str,
}

impl Bad {
    fn new(why: &'static str, body: impl Into<Vec<u8>>, status: StatusCode, code: &'static str) -> Self {
        Self {
            why,
            content_type: JSON,
            body: body.into(),
            status,
            code,
        }
    }

    fn malformed(why: &'static str, body: impl Into<Vec<u8>>) -> Self {
        Self::new(why, body, StatusCode::BAD_REQUEST, "malformed_json")
    }

    fn invalid(why: &'static str, body: impl Into<Vec<u8>>) -> Self {
        Self::new(why, body, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed")
    }

    fn with_content_type(mut self, content_type: Option<&'static str>) -> Self {
        self.content_type = content_type;
        self
    }
}

fn organisation_path(id: &Value) -> String {
    format!("{ORGANISATIONS}/{}", id.as_str().expect("an id is a string"))
}

/// Creates an organisation so that "nothing changed" is checked against a non-empty register.
async fn seed(app: &TestApp, name: &str) -> Value {
    app.create_organisation(organisation(name, json!({}))).await
}

/// The names of the organisations of a list page, in order.
fn names(page: &Value) -> Vec<&str> {
    page["items"]
        .as_array()
        .expect("a page has items")
        .iter()
        .filter_map(|o| o["name"].as_str())
        .collect()
}

async fn read(app: &TestApp, id: &Value) -> Value {
    json_of(app.get(&organisation_path(id)).await, StatusCode::OK).await
}

/// POSTs `bad` and checks the problem it answers and that nothing was stored.
async fn assert_create_refused(app: &TestApp, bad: &Bad) -> Value {
    let _case = Case(bad.why);
    let before = app.organisation_count().await;
    let response = app
        .send_raw(Method::POST, ORGANISATIONS, bad.content_type, bad.body.clone())
        .await;
    let problem = problem_of(response, bad.status, bad.code).await;
    assert_eq!(
        app.organisation_count().await,
        before,
        "{}: the number of organisations changed",
        bad.why
    );
    problem
}

/// PATCHes the organisation `target` with `bad` and checks the problem it answers and that the
/// organisation, and the number of organisations, are unchanged.
async fn assert_update_refused(app: &TestApp, target: &Value, bad: &Bad) -> Value {
    let _case = Case(bad.why);
    let before = read(app, &target["id"]).await;
    let count = app.organisation_count().await;
    let response = app
        .send_raw(
            Method::PATCH,
            &organisation_path(&target["id"]),
            bad.content_type,
            bad.body.clone(),
        )
        .await;
    let problem = problem_of(response, bad.status, bad.code).await;
    assert_eq!(
        read(app, &target["id"]).await,
        before,
        "{}: the organisation changed",
        bad.why
    );
    assert_eq!(
        app.organisation_count().await,
        count,
        "{}: the number of organisations changed",
        bad.why
    );
    problem
}

/// A valid creation body, with `extra` appended verbatim after it.
fn valid_body_then(extra: &str) -> Vec<u8> {
    let mut body = serde_json::to_vec(&organisation("Alpha", json!({}))).expect("serialises");
    body.extend_from_slice(extra.as_bytes());
    body
}

/// A creation body with `field` set to the raw JSON text `value` (which may be invalid JSON).
fn body_with_raw(field: &str, value: &str) -> Vec<u8> {
    let mut fields = vec![
        ("name".to_owned(), r#""Alpha""#.to_owned()),
        ("category".to_owned(), r#""association""#.to_owned()),
        ("region_code".to_owned(), r#""76""#.to_owned()),
    ];
    match fields.iter_mut().find(|(key, _)| key == field) {
        Some((_, raw)) => *raw = value.to_owned(),
        None => fields.push((field.to_owned(), value.to_owned())),
    }
    let members: Vec<String> = fields.iter().map(|(key, raw)| format!("\"{key}\":{raw}")).collect();
    format!("{{{}}}", members.join(",")).into_bytes()
}

/// Bodies that are not readable JSON: 400 `malformed_json` on POST and PATCH.
fn unreadable_bodies() -> Vec<Bad> {
    let mut invalid_utf8 = br#"{"name":"Al"#.to_vec();
    invalid_utf8.extend_from_slice(&[0xff, 0xfe, 0xc3]);
    invalid_utf8.extend_from_slice(br#"pha","category":"association","region_code":"76"}"#);
    let mut raw_nul = br#"{"name":"a"#.to_vec();
    raw_nul.push(0);
    raw_nul.extend_from_slice(br#"b","category":"association","region_code":"76"}"#);
    vec![
        Bad::malformed("a value is missing", r#"{"name": }"#),
        Bad::malformed("truncated object", r#"{"name":"Alpha","category":"association""#),
        Bad::malformed("truncated inside a string", r#"{"name":"Alp"#),
        Bad::malformed("empty body", ""),
        Bad::malformed("whitespace only", " \n\t "),
        Bad::malformed("trailing garbage after the object", valid_body_then(" garbage")),
        Bad::malformed("a second object after the first", valid_body_then(r#"{"name":"Beta"}"#)),
        Bad::malformed(
            "trailing comma",
            r#"{"name":"Alpha","category":"association","region_code":"76",}"#,
        ),
        Bad::malformed(
            "single quotes",
            r#"{'name':'Alpha','category':'association','region_code':'76'}"#,
        ),
        Bad::malformed("invalid UTF-8 bytes in a string", invalid_utf8),
        Bad::malformed("unescaped NUL byte in a string", raw_nul),
        Bad::malformed("lone surrogate escape", body_with_raw("name", r#""\ud800x""#)),
        Bad::malformed("number beyond f64", body_with_raw("name", "1e999")),
    ]
}

/// Bodies that are JSON but not of the right shape: 422 naming the field.
fn misshapen_bodies() -> Vec<(Bad, &'static str)> {
    vec![
        (Bad::invalid("name is a number", body_with_raw("name", "123")), "name"),
        (Bad::invalid("name is a boolean", body_with_raw("name", "true")), "name"),
        (
            Bad::invalid("name is an array", body_with_raw("name", r#"["Alpha"]"#)),
            "name",
        ),
        (
            Bad::invalid("name is an object", body_with_raw("name", r#"{"fr":"Alpha"}"#)),
            "name",
        ),
        (
            Bad::invalid(
                "name is an integer beyond i64 and u64",
                body_with_raw("name", "99999999999999999999"),
            ),
            "name",
        ),
        (
            Bad::invalid(
                "siren is an integer beyond i64",
                body_with_raw("siren", "99999999999999999999"),
            ),
            "siren",
        ),
        (
            Bad::invalid(
                "siren is a negative integer beyond i64",
                body_with_raw("siren", "-99999999999999999999"),
            ),
            "siren",
        ),
        (
            Bad::invalid(
                "category is not one of the names",
                body_with_raw("category", r#""charity""#),
            ),
            "category",
        ),
        (
            Bad::invalid("region_code is a number", body_with_raw("region_code", "76")),
            "region_code",
        ),
        (
            Bad::invalid(
                "founded_on is not a date",
                body_with_raw("founded_on", r#""yesterday""#),
            ),
            "founded_on",
        ),
        (
            Bad::invalid("founded_on is a number", body_with_raw("founded_on", "19470301")),
            "founded_on",
        ),
        (
            Bad::invalid("an unknown field", body_with_raw("colour", r#""green""#)),
            "colour",
        ),
        (
            Bad::invalid("a misspelt field", body_with_raw("regoin_code", r#""76""#)),
            "regoin_code",
        ),
        (
            Bad::invalid(
                "a duplicate key",
                r#"{"name":"Alpha","name":"Beta","category":"association","region_code":"76"}"#,
            ),
            "name",
        ),
        (
            Bad::invalid("escaped NUL in name", body_with_raw("name", r#""a\u0000b""#)),
            "name",
        ),
        (
            Bad::invalid("escaped NUL in city", body_with_raw("city", r#""Lod\u0000ve""#)),
            "city",
        ),
        (
            Bad::invalid(
                "escaped NUL in description",
                body_with_raw("description", r#""x\u0000""#),
            ),
            "description",
        ),
    ]
}

/// Bodies sent with a media type other than JSON: 415.
fn non_json_media_types() -> Vec<Bad> {
    let unsupported = |why, content_type| {
        Bad::new(
            why,
            valid_body_then(""),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
        )
        .with_content_type(content_type)
    };
    vec![
        unsupported("Content-Type text/plain", Some("text/plain")),
        unsupported("no Content-Type", None),
        unsupported("Content-Type form", Some("application/x-www-form-urlencoded")),
        unsupported("Content-Type XML", Some("application/xml")),
        unsupported(
            "Content-Type with json only as a suffix of the essence",
            Some("application/jsonp"),
        ),
    ]
}

/// A body one byte over the test servers' limit, otherwise valid.
fn oversized_body() -> Bad {
    let filler = "a".repeat(usize::try_from(BODY_LIMIT).expect("fits") + 1);
    Bad::new(
        "a body larger than the limit",
        serde_json::to_vec(&organisation("Alpha", json!({ "description": filler }))).expect("serialises"),
        StatusCode::PAYLOAD_TOO_LARGE,
        "payload_too_large",
    )
}

/// A query string that must be refused, and the parameter its detail must name.
fn invalid_queries() -> Vec<(&'static str, &'static str, &'static str)> {
    vec![
        ("limit=0", "limit", "limit below 1"),
        ("limit=201", "limit", "limit above 200"),
        ("limit=-1", "limit", "negative limit"),
        ("limit=abc", "limit", "limit not a number"),
        ("limit=", "limit", "empty limit"),
        ("limit=1.5", "limit", "fractional limit"),
        ("limit=99999999999999999999", "limit", "limit beyond i64"),
        ("regoin_code=76", "regoin_code", "misspelt parameter"),
        ("limit=10&limit=20", "limit", "repeated limit"),
        ("is_ess=maybe", "is_ess", "is_ess neither true nor false"),
        ("region_code=05", "region_code", "unknown region code"),
        ("region_code=7", "region_code", "region code of one digit"),
        ("siren=123", "siren", "siren too short"),
        ("siren=775672273", "siren", "siren with a wrong check digit"),
        ("category=charity", "category", "unknown category"),
        ("sort=size", "sort", "unknown sort"),
        ("sort=NAME", "sort", "sort in capitals"),
    ]
}

on_both_backends! {
    async fn create_returns_400_malformed_json_when_body_is_not_readable_json(app: TestApp) {
        // Arrange
        seed(&app, "Existante").await;
        for bad in unreadable_bodies() {
            // Act + Assert
            assert_create_refused(&app, &bad).await;
        }
    }

    async fn update_returns_400_malformed_json_when_body_is_not_readable_json(app: TestApp) {
        // Arrange
        let target = seed(&app, "Existante").await;
        for bad in unreadable_bodies() {
            // Act + Assert
            assert_update_refused(&app, &target, &bad).await;
        }
    }

    async fn create_returns_400_malformed_json_when_json_is_nested_10000_deep(app: TestApp) {
        // Arrange
        seed(&app, "Existante").await;
        let cases = [
            Bad::malformed("10 000 unclosed [", "[".repeat(10_000)),
            Bad::malformed("10 000 balanced [ ]", format!("{}{}", "[".repeat(10_000), "]".repeat(10_000))),
            Bad::malformed("10 000 unclosed [ in name", format!(r#"{{"name":{}"#, "[".repeat(10_000))),
            Bad::malformed(
                "10 000 nested objects",
                format!("{}1{}", r#"{"a":"#.repeat(10_000), "}".repeat(10_000)),
            ),
        ];
        for bad in &cases {
            // Act + Assert
            assert_create_refused(&app, bad).await;
        }
    }

    async fn create_returns_422_naming_the_field_when_json_has_the_wrong_shape(app: TestApp) {
        // Arrange
        seed(&app, "Existante").await;
        for (bad, field) in misshapen_bodies() {
            // Act
            let problem = assert_create_refused(&app, &bad).await;
            // Assert
            assert!(
                failing_fields(&problem).iter().any(|f| f == field),
                "{}: {field} is not named in {problem}",
                bad.why
            );
        }
    }

    async fn update_returns_422_naming_the_field_when_json_has_the_wrong_shape(app: TestApp) {
        // Arrange
        let target = seed(&app, "Existante").await;
        let cases = [
            (Bad::invalid("name is a number", r#"{"name":123}"#), "name"),
            (Bad::invalid("city is an integer beyond i64", r#"{"city":99999999999999999999}"#), "city"),
            (Bad::invalid("an unknown field", r#"{"colour":"green"}"#), "colour"),
            (Bad::invalid("a duplicate key", r#"{"city":"Sète","city":"Agde"}"#), "city"),
            (Bad::invalid("escaped NUL in name", r#"{"name":"a\u0000b"}"#), "name"),
            (Bad::invalid("name cleared", r#"{"name":null}"#), "name"),
        ];
        for (bad, field) in &cases {
            // Act
            let problem = assert_update_refused(&app, &target, bad).await;
            // Assert
            assert!(
                failing_fields(&problem).iter().any(|f| f == field),
                "{}: {field} is not named in {problem}",
                bad.why
            );
        }
    }

    async fn create_returns_422_naming_category_when_category_is_valid_json_but_not_a_string(app: TestApp) {
        // Arrange
        seed(&app, "Existante").await;
        let cases = [
            Bad::invalid("category is a number", body_with_raw("category", "5")),
            Bad::invalid("category is a boolean", body_with_raw("category", "true")),
            Bad::invalid("category is an array", body_with_raw("category", r#"["association"]"#)),
        ];
        for bad in &cases {
            // Act
            let problem = assert_create_refused(&app, bad).await;
            // Assert
            assert_eq!(failing_fields(&problem), ["category"], "{}: {problem}", bad.why);
        }
    }

    async fn create_stores_nothing_when_body_is_a_json_array(app: TestApp) {
        // Arrange
        seed(&app, "Existante").await;
        let body = r#"["Tableau","association",null,null,null,null,"76"]"#;
        // Act
        let response = app.send_raw(Method::POST, ORGANISATIONS, JSON, body.into()).await;
        // Assert
        assert!(
            matches!(response.status(), StatusCode::BAD_REQUEST | StatusCode::UNPROCESSABLE_ENTITY),
            "an array body answered {} with {}",
            response.status(),
            response.text().await.unwrap_or_default()
        );
        assert_eq!(app.organisation_count().await, 1, "an array body stored an organisation");
    }

    async fn create_returns_a_readable_problem_when_body_is_a_json_scalar(app: TestApp) {
        // Arrange
        seed(&app, "Existante").await;
        for (why, body) in [("a string", r#""Alpha""#), ("a number", "42"), ("null", "null"), ("true", "true")] {
            let _case = Case(why);
            // Act
            let response = app.send_raw(Method::POST, ORGANISATIONS, JSON, body.into()).await;
            // Assert
            let status = response.status();
            let code = match status {
                StatusCode::BAD_REQUEST => "malformed_json",
                StatusCode::UNPROCESSABLE_ENTITY => "validation_failed",
                other => panic!("{why}: answered {other}, not 400 or 422"),
            };
            let problem = problem_of(response, status, code).await;
            let detail = problem["detail"].as_str().unwrap_or_default();
            assert!(!detail.contains("field  "), "{why}: the detail names an empty field: {problem}");
            assert_eq!(app.organisation_count().await, 1, "{why}: the number of organisations changed");
        }
    }

    async fn create_returns_415_when_content_type_is_not_json(app: TestApp) {
        // Arrange
        seed(&app, "Existante").await;
        for bad in non_json_media_types() {
            // Act + Assert
            assert_create_refused(&app, &bad).await;
        }
    }

    async fn update_returns_415_when_content_type_is_not_json(app: TestApp) {
        // Arrange
        let target = seed(&app, "Existante").await;
        for bad in non_json_media_types() {
            // Act + Assert
            assert_update_refused(&app, &target, &bad).await;
        }
    }

    async fn create_returns_201_when_content_type_has_a_charset(app: TestApp) {
        // Arrange
        let body = serde_json::to_vec(&organisation("Jeu de paume", json!({}))).expect("serialises");
        // Act
        let response = app
            .send_raw(Method::POST, ORGANISATIONS, Some("application/json; charset=utf-8"), body)
            .await;
        // Assert
        let created = json_of(response, StatusCode::CREATED).await;
        assert_eq!(created["name"], "Jeu de paume", "created from {created}");
    }

    async fn update_applies_the_patch_when_content_type_is_merge_patch_json(app: TestApp) {
        // Arrange
        let target = seed(&app, "Existante").await;
        let body = br#"{"city":"Lod\u00e8ve","postal_code":"34700"}"#.to_vec();
        // Act
        let response = app
            .send_raw(Method::PATCH, &organisation_path(&target["id"]), Some("application/merge-patch+json"), body)
            .await;
        // Assert
        let updated = json_of(response, StatusCode::OK).await;
        assert_eq!(updated["city"], "Lodève", "patched: {updated}");
        let stored = read(&app, &target["id"]).await;
        assert_eq!(stored["city"], "Lodève", "read back: {stored}");
        assert_eq!(stored["postal_code"], "34700", "read back: {stored}");
        assert_eq!(stored["name"], "Existante", "a field left out is kept: {stored}");
    }

    async fn create_returns_413_when_body_is_larger_than_the_limit(app: TestApp) {
        // Arrange
        seed(&app, "Existante").await;
        // Act + Assert
        assert_create_refused(&app, &oversized_body()).await;
    }

    async fn update_returns_413_when_body_is_larger_than_the_limit(app: TestApp) {
        // Arrange
        let target = seed(&app, "Existante").await;
        // Act + Assert
        assert_update_refused(&app, &target, &oversized_body()).await;
    }

    async fn request_returns_404_not_found_when_route_is_unknown(app: TestApp) {
        // Arrange
        let existing = seed(&app, "Existante").await;
        let id = existing["id"].as_str().expect("an id");
        let cases = [
            (Method::GET, "/api/v1/nothing".to_owned(), "unknown resource"),
            (Method::GET, "/api/v2/organisations".to_owned(), "unknown version"),
            (Method::GET, "/api/v1/organisation".to_owned(), "singular resource name"),
            (Method::GET, format!("{ORGANISATIONS}/{id}/extra"), "segment after an id"),
            (Method::POST, "/api/v1/nothing".to_owned(), "POST to an unknown resource"),
            (Method::DELETE, "/nothing".to_owned(), "DELETE at an unknown root path"),
        ];
        for (method, path, why) in cases {
            let _case = Case(why);
            let before = app.organisation_count().await;
            // Act
            let response = app.send_raw(method, &path, JSON, valid_body_then("")).await;
            // Assert
            problem_of(response, StatusCode::NOT_FOUND, "not_found").await;
            assert_eq!(app.organisation_count().await, before, "{why}: the number of organisations changed");
        }
        assert_eq!(read(&app, &existing["id"]).await, existing, "the existing organisation changed");
    }

    async fn request_returns_405_with_allow_when_method_is_wrong_for_a_known_path(app: TestApp) {
        // Arrange
        let existing = seed(&app, "Existante").await;
        let item = organisation_path(&existing["id"]);
        let cases = [
            (Method::PUT, item.clone(), &["DELETE", "GET", "PATCH"][..], "PUT on an organisation"),
            (Method::POST, item.clone(), &["DELETE", "GET", "PATCH"][..], "POST on an organisation"),
            (Method::DELETE, ORGANISATIONS.to_owned(), &["GET", "POST"][..], "DELETE on the collection"),
            (Method::PUT, ORGANISATIONS.to_owned(), &["GET", "POST"][..], "PUT on the collection"),
            (Method::PATCH, ORGANISATIONS.to_owned(), &["GET", "POST"][..], "PATCH on the collection"),
            (Method::POST, "/health/live".to_owned(), &["GET"][..], "POST on liveness"),
        ];
        for (method, path, expected, why) in cases {
            let _case = Case(why);
            let before = app.organisation_count().await;
            // Act
            let response = app.send_raw(method, &path, JSON, valid_body_then("")).await;
            // Assert
            let allow = response
                .headers()
                .get("allow")
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_owned();
            problem_of(response, StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed").await;
            let mut allowed: Vec<&str> = allow.split(',').map(str::trim).filter(|m| !m.is_empty()).collect();
            allowed.sort_unstable();
            assert_eq!(allowed, expected, "{why}: Allow header {allow:?}");
            assert_eq!(app.organisation_count().await, before, "{why}: the number of organisations changed");
        }
        assert_eq!(read(&app, &existing["id"]).await, existing, "the existing organisation changed");
    }

    async fn request_returns_404_not_found_when_id_is_not_a_uuid(app: TestApp) {
        // Arrange
        let existing = seed(&app, "Existante").await;
        let ids = [
            ("not-a-uuid", "words"),
            ("123", "a number"),
            ("0193a1f2-7c4e-7d2a-9b1e-2f5c8a9d0e1", "a UUID one digit short"),
            ("0193a1f2-7c4e-7d2a-9b1e-2f5c8a9d0e11x", "a UUID with a trailing letter"),
            ("%27%20or%201%3D1%20--", "SQL in the id"),
            ("%00", "a NUL byte"),
        ];
        for (id, why) in ids {
            let path = format!("{ORGANISATIONS}/{id}");
            for method in [Method::GET, Method::PATCH, Method::DELETE] {
                let why = format!("{method} with {why}");
                let _case = Case(&why);
                let before = app.organisation_count().await;
                // Act
                let response = app.send_raw(method, &path, JSON, r#"{"city":"Sète"}"#.into()).await;
                // Assert
                problem_of(response, StatusCode::NOT_FOUND, "not_found").await;
                assert_eq!(app.organisation_count().await, before, "{why}: the number of organisations changed");
            }
        }
        assert_eq!(read(&app, &existing["id"]).await, existing, "the existing organisation changed");
    }

    async fn request_returns_404_not_found_when_id_is_an_unknown_uuid(app: TestApp) {
        // Arrange
        let existing = seed(&app, "Existante").await;
        let path = format!("{ORGANISATIONS}/{}", uuid::Uuid::now_v7());
        for method in [Method::GET, Method::PATCH, Method::DELETE] {
            let why = format!("{method} on an unknown id");
            let _case = Case(&why);
            // Act
            let response = app.send_raw(method, &path, JSON, r#"{"city":"Sète"}"#.into()).await;
            // Assert
            problem_of(response, StatusCode::NOT_FOUND, "not_found").await;
            assert_eq!(app.organisation_count().await, 1, "{why}: the number of organisations changed");
        }
        assert_eq!(read(&app, &existing["id"]).await, existing, "the existing organisation changed");
    }

    async fn request_returns_404_not_found_when_id_is_empty(app: TestApp) {
        // Arrange
        let existing = seed(&app, "Existante").await;
        for method in [Method::GET, Method::PATCH, Method::DELETE] {
            let why = format!("{method} {ORGANISATIONS}/ (an empty id)");
            let _case = Case(&why);
            // Act
            let response = app
                .send_raw(method, &format!("{ORGANISATIONS}/"), JSON, r#"{"city":"Sète"}"#.into())
                .await;
            // Assert
            problem_of(response, StatusCode::NOT_FOUND, "not_found").await;
        }
        assert_eq!(read(&app, &existing["id"]).await, existing, "the existing organisation changed");
        assert_eq!(app.organisation_count().await, 1, "the number of organisations changed");
    }

    async fn list_returns_400_invalid_parameter_when_query_is_invalid(app: TestApp) {
        // Arrange
        seed(&app, "Existante").await;
        for (query, parameter, why) in invalid_queries() {
            let _case = Case(why);
            // Act
            let response = app.get(&format!("{ORGANISATIONS}?{query}")).await;
            // Assert
            let problem = problem_of(response, StatusCode::BAD_REQUEST, "invalid_parameter").await;
            let detail = problem["detail"].as_str().unwrap_or_default();
            assert!(detail.contains(parameter), "{why} ({query}): the detail does not name {parameter}: {problem}");
        }
        assert_eq!(app.organisation_count().await, 1, "the number of organisations changed");
    }

    async fn list_returns_400_invalid_parameter_when_q_is_longer_than_200_characters(app: TestApp) {
        // Arrange
        seed(&app, "Existante").await;
        // Act
        let response = app.get(&format!("{ORGANISATIONS}?q={}", "é".repeat(201))).await;
        // Assert
        let problem = problem_of(response, StatusCode::BAD_REQUEST, "invalid_parameter").await;
        assert!(problem["detail"].as_str().unwrap_or_default().contains('q'), "q is named in {problem}");
    }

    async fn list_returns_400_invalid_cursor_when_cursor_is_not_one_of_ours(app: TestApp) {
        // Arrange
        for name in ["Alpha", "Beta", "Gamma"] {
            seed(&app, name).await;
        }
        let first = json_of(app.get(&format!("{ORGANISATIONS}?limit=1")).await, StatusCode::OK).await;
        let real = first["next_cursor"].as_str().expect("a next cursor after one of three").to_owned();
        let forge = |json: Value| URL_SAFE_NO_PAD.encode(json.to_string());
        let nil = uuid::Uuid::nil().to_string();
        let cases = [
            ("abc".to_owned(), "", "three letters"),
            ("!!!!".to_owned(), "", "not base64url"),
            (String::new(), "", "empty"),
            (real[..real.len() / 2].to_owned(), "", "a real cursor cut in half"),
            (real[..real.len() - 3].to_owned(), "", "a real cursor missing its end"),
            (URL_SAFE_NO_PAD.encode("not json"), "", "base64 of text"),
            (forge(json!({"s": "name", "k": "alpha"})), "", "JSON without an id"),
            (forge(json!({"s": "name", "k": "alpha", "i": "not-a-uuid"})), "", "JSON with a bad id"),
            (forge(json!([1, 2, 3])), "", "base64 of an array"),
            (
                forge(json!({"s": "created_at", "k": "yesterday", "i": nil})),
                "&sort=created_at",
                "a created_at cursor whose key is not a time",
            ),
            ("A".repeat(2000), "", "2000 characters"),
        ];
        for (cursor, extra, why) in cases {
            let _case = Case(why);
            // Act
            let response = app.get(&format!("{ORGANISATIONS}?limit=1&cursor={cursor}{extra}")).await;
            // Assert
            problem_of(response, StatusCode::BAD_REQUEST, "invalid_cursor").await;
        }
        assert_eq!(app.organisation_count().await, 3, "the number of organisations changed");
    }

    async fn list_returns_400_invalid_cursor_when_cursor_was_made_for_another_sort(app: TestApp) {
        // Arrange
        for name in ["Alpha", "Beta", "Gamma"] {
            seed(&app, name).await;
        }
        let pairs = [("name", "-created_at"), ("name", "-name"), ("-created_at", "created_at"), ("created_at", "name")];
        for (made_for, used_with) in pairs {
            let why = format!("a cursor made for sort={made_for} used with sort={used_with}");
            let _case = Case(&why);
            let first = app.get(&format!("{ORGANISATIONS}?limit=1&sort={made_for}")).await;
            let page = json_of(first, StatusCode::OK).await;
            let cursor = page["next_cursor"].as_str().expect("a next cursor after one of three");
            // Act
            let response = app.get(&format!("{ORGANISATIONS}?limit=1&sort={used_with}&cursor={cursor}")).await;
            // Assert
            let problem = problem_of(response, StatusCode::BAD_REQUEST, "invalid_cursor").await;
            assert!(problem["detail"].as_str().unwrap_or_default().contains("sort"), "{why}: {problem}");
        }
    }

    async fn create_returns_201_and_reads_back_identically_when_name_has_unusual_unicode(app: TestApp) {
        // Arrange
        let names = [
            ("🌱 Jardin partagé 🐝", "emoji"),
            ("Famille 👩‍👩‍👧 et 🇫🇷 solidaires", "zero-width-joiner sequence and a flag"),
            ("جمعية التضامن الاجتماعي", "Arabic, right to left"),
            ("עמותת סולידריות", "Hebrew, right to left"),
            ("Café \u{200F}شريك\u{200E} Montpellier", "mixed directions with direction marks"),
            ("Lode\u{0300}ve solidaire", "a combining grave accent (not NFC)"),
            ("Z\u{0351}\u{0352}\u{0357}algo a\u{0301}\u{0302}\u{0303}", "stacked combining marks"),
            ("合作社 協同組合", "CJK"),
            ("𝐂𝐫𝐞𝐬𝐬 ﬁnance", "mathematical letters and a ligature"),
            ("L'Atelier d'à côté", "apostrophes"),
            ("Robert'); drop table organisations; --", "SQL in a name"),
        ];
        for (name, why) in names {
            let _case = Case(why);
            // Act
            let response = app.post_json(ORGANISATIONS, &organisation(name, json!({}))).await;
            // Assert
            let created = json_of(response, StatusCode::CREATED).await;
            assert_eq!(created["name"], name, "{why}: answered name");
            let stored = read(&app, &created["id"]).await;
            assert_eq!(stored["name"], name, "{why}: read-back name");
        }
        assert_eq!(app.organisation_count().await, names.len(), "every name is stored, the table is intact");
    }

    async fn list_returns_only_matching_rows_when_q_holds_sql_syntax(app: TestApp) {
        // Arrange
        seed(&app, "Alpha solidaire").await;
        seed(&app, "Beta coopérative").await;
        let cases = [
            ("%27%20or%201%3D1%20--", &[][..], "' or 1=1 --"),
            ("%27%20or%20%271%27%3D%271", &[][..], "' or '1'='1"),
            ("%22%3B%20drop%20table%20organisations%3B%20--", &[][..], "\"; drop table organisations; --"),
            ("alpha%25", &["Alpha solidaire"][..], "alpha%"),
            ("_eta", &["Beta coopérative"][..], "_eta"),
            ("cooperative", &["Beta coopérative"][..], "accent-folded word"),
        ];
        for (q, expected, why) in cases {
            let _case = Case(why);
            // Act
            let page = json_of(app.get(&format!("{ORGANISATIONS}?q={q}")).await, StatusCode::OK).await;
            // Assert
            assert_eq!(names(&page), expected, "q={why}");
        }
        assert_eq!(app.organisation_count().await, 2, "the table is intact");
    }

    async fn list_returns_no_rows_when_q_is_only_like_wildcards(app: TestApp) {
        // Arrange
        seed(&app, "Alpha solidaire").await;
        seed(&app, "Beta coopérative").await;
        for (q, why) in [("%25", "%"), ("_", "_"), ("%25%25", "%%"), ("%5C", "\\"), ("%25_%25", "%_%")] {
            let _case = Case(why);
            // Act
            let page = json_of(app.get(&format!("{ORGANISATIONS}?q={q}")).await, StatusCode::OK).await;
            // Assert
            let names = names(&page);
            assert!(names.is_empty(), "q={why} matches no name, yet returned {names:?}");
        }
    }
}
