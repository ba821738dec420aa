//! Health checks, and what every answer carries: a request id, CORS for allowed origins only,
//! `nosniff`; and a server whose database is down.

use std::net::TcpListener;

use reqwest::{Method, Response, StatusCode};
use serde_json::json;

use crate::helpers::{ALLOWED_ORIGIN, Backend, TestApp, json_of, problem_of, settings_for};
use crate::on_both_backends;

const REQUEST_ID: &str = "x-request-id";

fn header(response: &Response, name: &str) -> Option<String> {
    response
        .headers()
        .get(name)
        .map(|value| String::from_utf8_lossy(value.as_bytes()).into_owned())
}

async fn get_with(app: &TestApp, path: &str, headers: &[(&str, &str)]) -> Response {
    headers
        .iter()
        .fold(app.client.get(app.url(path)), |request, (name, value)| {
            request.header(*name, *value)
        })
        .send()
        .await
        .expect("the server answers")
}

#[tokio::test]
async fn live_returns_200_ok_when_the_process_runs() {
    // Arrange
    let app = TestApp::spawn(Backend::Sqlite).await;
    // Act
    let response = app.get("/health/live").await;
    // Assert
    let body = json_of(response, StatusCode::OK).await;
    assert_eq!(body, json!({"status": "ok"}), "liveness body");
}

on_both_backends! {
    async fn ready_returns_200_naming_the_backend_when_the_database_answers(app: TestApp) {
        // Arrange
        let expected = match app.backend {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        };
        // Act
        let response = app.get("/health/ready").await;
        // Assert
        let body = json_of(response, StatusCode::OK).await;
        assert_eq!(body, json!({"status": "ok", "database": expected}), "readiness body");
    }
}

#[tokio::test]
async fn request_echoes_the_request_id_when_the_caller_sends_a_sensible_one() {
    // Arrange
    let app = TestApp::spawn(Backend::Sqlite).await;
    for (path, why) in [("/health/live", "a 200"), ("/api/v1/nothing", "a 404 problem")] {
        // Act
        let response = get_with(&app, path, &[(REQUEST_ID, "abc-123")]).await;
        // Assert
        assert_eq!(header(&response, REQUEST_ID).as_deref(), Some("abc-123"), "{why}");
    }
}

#[tokio::test]
async fn request_gets_a_generated_request_id_when_none_is_sent() {
    // Arrange
    let app = TestApp::spawn(Backend::Sqlite).await;
    // Act
    let first = app.get("/health/live").await;
    let second = app.get("/api/v1/nothing").await;
    // Assert
    let first = header(&first, REQUEST_ID).unwrap_or_default();
    let second = header(&second, REQUEST_ID).unwrap_or_default();
    assert!(!first.trim().is_empty(), "a request id is generated on a 200");
    assert!(!second.trim().is_empty(), "a request id is generated on a 404");
    assert_ne!(first, second, "two requests get two ids");
}

#[tokio::test]
async fn request_gets_a_generated_request_id_when_the_sent_one_is_unreasonable() {
    // Arrange
    let app = TestApp::spawn(Backend::Sqlite).await;
    let long = "a".repeat(200);
    let cases = [
        (long.as_str(), "200 characters"),
        ("abc 123", "a space"),
        ("abc\t123", "a tab"),
    ];
    for (sent, why) in cases {
        // Act
        let response = get_with(&app, "/health/live", &[(REQUEST_ID, sent)]).await;
        // Assert
        let answered = header(&response, REQUEST_ID).unwrap_or_default();
        assert_eq!(response.status(), StatusCode::OK, "{why}: the request is still served");
        assert!(!answered.trim().is_empty(), "{why}: a request id is generated");
        assert_ne!(answered, sent, "{why}: replaced");
        assert!(
            answered.bytes().all(|b| b.is_ascii_graphic()),
            "{why}: {answered:?} is visible ASCII"
        );
        assert!(answered.len() <= 128, "{why}: {answered:?} is short");
    }
}

#[tokio::test]
async fn request_gets_a_generated_request_id_when_the_sent_one_is_not_ascii() {
    // Arrange
    let app = TestApp::spawn(Backend::Sqlite).await;
    let sent = reqwest::header::HeaderValue::from_bytes("identifiant-é".as_bytes()).expect("obs-text is allowed");
    // Act
    let response = app
        .client
        .get(app.url("/health/live"))
        .header(REQUEST_ID, sent)
        .send()
        .await
        .expect("the server answers");
    // Assert
    assert_eq!(response.status(), StatusCode::OK, "the request is still served");
    let answered = header(&response, REQUEST_ID).unwrap_or_default();
    assert!(
        !answered.is_empty() && answered.is_ascii() && answered != "identifiant-é",
        "replaced by a generated id: {answered:?}"
    );
}

#[tokio::test]
async fn request_gets_cors_headers_when_origin_is_allowed() {
    // Arrange
    let app = TestApp::spawn(Backend::Sqlite).await;
    // Act
    let response = get_with(&app, "/api/v1/organisations", &[("origin", ALLOWED_ORIGIN)]).await;
    // Assert
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        header(&response, "access-control-allow-origin").as_deref(),
        Some(ALLOWED_ORIGIN),
        "allowed origin echoed"
    );
    let exposed = header(&response, "access-control-expose-headers")
        .unwrap_or_default()
        .to_ascii_lowercase();
    for name in ["location", REQUEST_ID] {
        assert!(exposed.contains(name), "{name} is exposed to browsers: {exposed:?}");
    }
}

#[tokio::test]
async fn preflight_succeeds_when_origin_is_allowed() {
    // Arrange
    let app = TestApp::spawn(Backend::Sqlite).await;
    for (method, path) in [
        ("POST", "/api/v1/organisations"),
        ("PATCH", "/api/v1/organisations/0193a1f2-7c4e-7d2a-9b1e-2f5c8a9d0e11"),
    ] {
        // Act
        let response = app
            .client
            .request(Method::OPTIONS, app.url(path))
            .header("origin", ALLOWED_ORIGIN)
            .header("access-control-request-method", method)
            .header("access-control-request-headers", "content-type, x-request-id")
            .send()
            .await
            .expect("the server answers");
        // Assert
        assert!(
            response.status().is_success(),
            "preflight for {method} {path} answered {}",
            response.status()
        );
        assert_eq!(
            header(&response, "access-control-allow-origin").as_deref(),
            Some(ALLOWED_ORIGIN),
            "preflight for {method} {path}"
        );
        let methods = header(&response, "access-control-allow-methods").unwrap_or_default();
        assert!(
            methods.contains(method),
            "{method} allowed by the preflight: {methods:?}"
        );
        let headers = header(&response, "access-control-allow-headers")
            .unwrap_or_default()
            .to_ascii_lowercase();
        assert!(
            headers.contains("content-type"),
            "content-type allowed by the preflight: {headers:?}"
        );
    }
}

#[tokio::test]
async fn request_gets_no_cors_headers_when_origin_is_not_allowed() {
    // Arrange
    let app = TestApp::spawn(Backend::Sqlite).await;
    let evil = "https://evil.example";
    // Act
    let simple = get_with(&app, "/api/v1/organisations", &[("origin", evil)]).await;
    let preflight = app
        .client
        .request(Method::OPTIONS, app.url("/api/v1/organisations"))
        .header("origin", evil)
        .header("access-control-request-method", "POST")
        .send()
        .await
        .expect("the server answers");
    // Assert
    assert_eq!(
        header(&simple, "access-control-allow-origin"),
        None,
        "simple request from {evil}"
    );
    assert_eq!(
        header(&preflight, "access-control-allow-origin"),
        None,
        "preflight from {evil}"
    );
    assert!(
        !preflight.status().is_success(),
        "preflight from {evil} answered {}",
        preflight.status()
    );
}

#[tokio::test]
async fn request_gets_nosniff_when_answered() {
    // Arrange
    let app = TestApp::spawn(Backend::Sqlite).await;
    for (path, why) in [
        ("/health/live", "a 200"),
        ("/api/v1/organisations", "a list"),
        ("/api/v1/nothing", "a 404 problem"),
        ("/api/v1/organisations?limit=0", "a 400 problem"),
        ("/swagger-ui/", "the Swagger UI page"),
    ] {
        // Act
        let response = app.get(path).await;
        // Assert
        assert_eq!(
            header(&response, "x-content-type-options").as_deref(),
            Some("nosniff"),
            "{why}: {path}"
        );
    }
}

/// A server whose PostgreSQL refuses connections (nothing listens on port 1): the pool connects
/// lazily, so the server starts, and every request that needs the database waits at most a second.
async fn spawn_with_database_down() -> String {
    let settings = cress_api::config::Settings {
        database_timeout_seconds: 1,
        ..settings_for("postgres://nobody@127.0.0.1:1/none")
    };
    let store = cress_api::store::Store::connect(&settings)
        .await
        .expect("a lazy pool opens without its database");
    let listener = TcpListener::bind("127.0.0.1:0").expect("a free port");
    let port = listener.local_addr().expect("a bound address").port();
    let server = cress_api::run(&settings, store, listener).expect("the server starts without its database");
    tokio::spawn(server);
    format!("http://127.0.0.1:{port}")
}

#[tokio::test]
async fn ready_returns_503_with_retry_after_when_the_database_is_down() {
    // Arrange
    let address = spawn_with_database_down().await;
    // Act
    let response = reqwest::get(format!("{address}/health/ready"))
        .await
        .expect("the server answers");
    // Assert
    let retry_after = header(&response, "retry-after").unwrap_or_default();
    problem_of(response, StatusCode::SERVICE_UNAVAILABLE, "service_unavailable").await;
    assert!(
        retry_after.parse::<u64>().is_ok_and(|seconds| seconds > 0),
        "Retry-After is a number of seconds: {retry_after:?}"
    );
}

#[tokio::test]
async fn list_returns_503_when_the_database_is_down() {
    // Arrange
    let address = spawn_with_database_down().await;
    // Act
    let response = reqwest::get(format!("{address}/api/v1/organisations"))
        .await
        .expect("the server answers");
    // Assert
    let retry_after = header(&response, "retry-after");
    problem_of(response, StatusCode::SERVICE_UNAVAILABLE, "service_unavailable").await;
    assert!(retry_after.is_some(), "Retry-After on a 503");
}

#[tokio::test]
async fn create_returns_503_when_the_database_is_down() {
    // Arrange
    let address = spawn_with_database_down().await;
    let body = crate::helpers::organisation("Alpha", json!({}));
    // Act
    let response = reqwest::Client::new()
        .post(format!("{address}/api/v1/organisations"))
        .bearer_auth(crate::helpers::sign_test_token(&cress_api::core::Role::Admin))
        .json(&body)
        .send()
        .await
        .expect("the server answers");
    // Assert
    problem_of(response, StatusCode::SERVICE_UNAVAILABLE, "service_unavailable").await;
}

#[tokio::test]
async fn live_returns_200_when_the_database_is_down() {
    // Arrange
    let address = spawn_with_database_down().await;
    // Act
    let response = reqwest::get(format!("{address}/health/live"))
        .await
        .expect("the server answers");
    // Assert
    let body = json_of(response, StatusCode::OK).await;
    assert_eq!(
        body,
        json!({"status": "ok"}),
        "liveness does not depend on the database"
    );
}
