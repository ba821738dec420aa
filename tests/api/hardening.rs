//! Hardening and metrics on the main port: security headers on every answer, a content
//! security policy that Swagger UI can live with, a `Server` header without a version, the
//! request time limit, and `/metrics`.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::time::Duration;

use reqwest::{Response, StatusCode};
use serde_json::Value;

use crate::helpers::{Backend, TestApp, organisation, settings_for, sign_test_token};

fn header(response: &Response, name: &str) -> String {
    response
        .headers()
        .get(name)
        .map(|value| String::from_utf8_lossy(value.as_bytes()).into_owned())
        .unwrap_or_default()
}

/// The directives of a content security policy: name → sources.
fn directives(policy: &str) -> Vec<(String, Vec<String>)> {
    policy
        .split(';')
        .filter_map(|directive| {
            let mut words = directive.split_whitespace();
            let name = words.next()?.to_owned();
            Some((name, words.map(str::to_owned).collect()))
        })
        .collect()
}

fn sources<'a>(policy: &'a [(String, Vec<String>)], name: &str) -> &'a [String] {
    policy
        .iter()
        .find(|(directive, _)| directive == name)
        .or_else(|| policy.iter().find(|(directive, _)| directive == "default-src"))
        .map(|(_, sources)| sources.as_slice())
        .unwrap_or_default()
}

#[tokio::test]
async fn every_answer_carries_the_security_headers_and_a_server_header_without_version() {
    // Arrange
    let app = TestApp::spawn(Backend::Sqlite).await;
    for (path, why) in [
        ("/health/live", "a 200"),
        ("/api/v1/organisations", "a list"),
        ("/api/v1/nothing", "a 404 problem"),
        ("/swagger-ui/", "the Swagger UI page"),
        ("/api-docs/openapi.json", "the OpenAPI document"),
        ("/metrics", "a 404: metrics are not on the main port by default"),
    ] {
        // Act
        let response = app.get(path).await;
        // Assert
        assert_eq!(header(&response, "x-content-type-options"), "nosniff", "{why}");
        assert_eq!(header(&response, "x-frame-options"), "DENY", "{why}");
        assert_eq!(header(&response, "referrer-policy"), "no-referrer", "{why}");
        assert_eq!(header(&response, "server"), "cress-api", "{why}: no version");
        let policy = directives(&header(&response, "content-security-policy"));
        assert!(!policy.is_empty(), "{why}: a content security policy");
        assert_eq!(sources(&policy, "frame-ancestors"), ["'none'"], "{why}: never framed");
        for (directive, sources) in &policy {
            assert!(
                !sources.iter().any(|s| s == "'unsafe-eval'" || s == "*"),
                "{why}: {directive} allows {sources:?}"
            );
        }
    }
}

#[tokio::test]
async fn api_answers_may_load_nothing_when_a_browser_opens_them() {
    // Arrange
    let app = TestApp::spawn(Backend::Sqlite).await;
    // Act
    let response = app.get("/api/v1/organisations").await;
    // Assert
    let policy = directives(&header(&response, "content-security-policy"));
    for directive in ["script-src", "style-src", "img-src", "connect-src"] {
        assert_eq!(sources(&policy, directive), ["'none'"], "{directive} of a JSON answer");
    }
}

/// The attribute `name` of an HTML tag's text, such as `src="./x.js"`.
fn attribute(tag: &str, name: &str) -> Option<String> {
    let start = tag.find(&format!("{name}="))? + name.len() + 1;
    let rest = &tag[start..];
    let quote = rest.chars().next()?;
    let rest = &rest[1..];
    Some(rest[..rest.find(quote)?].to_owned())
}

#[tokio::test]
async fn swagger_ui_loads_only_what_its_content_security_policy_allows() {
    // Arrange
    let app = TestApp::spawn(Backend::Sqlite).await;
    // Act
    let page = app.get("/swagger-ui/").await;
    // Assert
    assert_eq!(page.status(), StatusCode::OK);
    let policy = directives(&header(&page, "content-security-policy"));
    let html = page.text().await.expect("the page");
    let scripts: Vec<&str> = html.split("<script").skip(1).collect();
    assert!(!scripts.is_empty(), "Swagger UI has scripts");
    for script in scripts {
        let tag = &script[..script.find('>').expect("a closed tag")];
        let body = &script[script.find('>').unwrap_or_default() + 1..script.find("</script>").unwrap_or_default()];
        assert!(
            body.trim().is_empty(),
            "an inline script, which script-src {:?} blocks: {body}",
            sources(&policy, "script-src")
        );
        let src = attribute(tag, "src").expect("a script with src");
        assert!(!src.contains("://"), "a script from another origin: {src}");
        let file = app.get(&format!("/swagger-ui/{}", src.trim_start_matches("./"))).await;
        assert_eq!(file.status(), StatusCode::OK, "{src} is served");
    }
    assert!(
        sources(&policy, "script-src").iter().any(|s| s == "'self'"),
        "its own scripts run"
    );
    for link in html.split("<link").skip(1) {
        let href = attribute(&link[..link.find('>').unwrap_or_default()], "href").expect("a link with href");
        assert!(!href.contains("://"), "a style or icon from another origin: {href}");
    }
    // React sets style attributes; the icons are data: SVG; the document and tokens come from here.
    assert!(sources(&policy, "style-src").iter().any(|s| s == "'unsafe-inline'"));
    assert!(sources(&policy, "img-src").iter().any(|s| s == "data:"));
    assert!(sources(&policy, "connect-src").iter().any(|s| s == "'self'"));
    let initializer = app
        .get("/swagger-ui/swagger-initializer.js")
        .await
        .text()
        .await
        .expect("a body");
    assert!(
        initializer.contains("\"/api-docs/openapi.json\""),
        "the document is fetched from this origin: {initializer}"
    );
    // oauth2-redirect.html has an inline script; it serves only the redirect flows
    // (authorization code, implicit), which this API does not offer.
    let doc: Value = app
        .get("/api-docs/openapi.json")
        .await
        .json()
        .await
        .expect("the document");
    let schemes = doc["components"]["securitySchemes"]
        .as_object()
        .expect("security schemes");
    let flows: Vec<&String> = schemes
        .values()
        .filter_map(|scheme| scheme["flows"].as_object())
        .flat_map(|flows| flows.keys())
        .collect();
    // The schemes come in name order, as Swagger UI's Authorize dialog lists them: people's
    // password flow first. No other flow: the others need oauth2-redirect.html and its script.
    assert_eq!(flows, ["password", "clientCredentials"]);
}

/// A server whose requests may take one second.
async fn spawn_with_one_second_limit(app: &TestApp) -> String {
    let mut settings = settings_for(&app.database_url);
    settings.server.request_timeout_seconds = 1;
    let store = cress_api::store::Store::connect(&settings)
        .await
        .expect("the store opens");
    let listener = TcpListener::bind("127.0.0.1:0").expect("a free port");
    let address = listener.local_addr().expect("an address").to_string();
    tokio::spawn(cress_api::run(&settings, store, listener).expect("the server starts"));
    address
}

#[tokio::test]
async fn slow_request_gets_503_request_timeout_when_it_takes_longer_than_the_limit() {
    // Arrange: a body announced and never sent.
    let app = TestApp::spawn(Backend::Sqlite).await;
    let address = spawn_with_one_second_limit(&app).await;
    let answer = tokio::task::spawn_blocking(move || {
        let mut stream = TcpStream::connect(&address).expect("the server accepts");
        stream.set_read_timeout(Some(Duration::from_secs(60))).expect("a read timeout");
        write!(
            stream,
            "POST /api/v1/organisations HTTP/1.1\r\nHost: {address}\r\nContent-Type: application/json\r\nContent-Length: 100\r\nConnection: close\r\n\r\n{{\"name\":"
        )
        .expect("the head is sent");
        // Act
        let mut answer = String::new();
        let _ = stream.read_to_string(&mut answer);
        answer
    })
    .await
    .expect("the client runs");
    // Assert
    assert!(answer.starts_with("HTTP/1.1 503"), "a 503: {answer}");
    assert!(answer.contains("application/problem+json"), "a problem: {answer}");
    assert!(
        answer.contains("\"code\":\"request_timeout\""),
        "request_timeout: {answer}"
    );
    assert!(
        answer.to_ascii_lowercase().contains("retry-after:"),
        "Retry-After: {answer}"
    );
    assert_eq!(app.organisation_count().await, 0, "nothing was written");
}

/// Sends an import's head, then `pieces` of its CSV body `pause` apart, on a raw connection to
/// `address` (a server with a one-second limit): the whole answer.
async fn import_in_pieces(address: String, pieces: Vec<String>, length: usize, pause: Duration) -> String {
    let token = sign_test_token(&cress_api::core::Role::Admin);
    tokio::task::spawn_blocking(move || {
        let mut stream = TcpStream::connect(&address).expect("the server accepts");
        stream.set_read_timeout(Some(Duration::from_secs(60))).expect("a read timeout");
        write!(
            stream,
            "POST /api/v1/organisations/import HTTP/1.1\r\nHost: {address}\r\nAuthorization: Bearer {token}\r\nContent-Type: text/csv\r\nContent-Length: {length}\r\nConnection: close\r\n\r\n"
        )
        .expect("the head is sent");
        for piece in pieces {
            std::thread::sleep(pause);
            if stream.write_all(piece.as_bytes()).is_err() {
                break;
            }
        }
        let mut answer = String::new();
        let _ = stream.read_to_string(&mut answer);
        answer
    })
    .await
    .expect("the client runs")
}

#[tokio::test]
async fn an_import_upload_that_keeps_coming_is_not_cut_by_the_time_limit() {
    // Arrange: a CSV file sent a row every 0.3 s, 3 s in all, to a server whose requests may
    // take one second.
    let app = TestApp::spawn(Backend::Sqlite).await;
    let address = spawn_with_one_second_limit(&app).await;
    let mut pieces = vec!["name,category,region_code\n".to_owned()];
    pieces.extend((0..9).map(|n| format!("Envoi lent {n},association,76\n")));
    let length = pieces.iter().map(String::len).sum();
    // Act
    let answer = import_in_pieces(address, pieces, length, Duration::from_millis(300)).await;
    // Assert
    assert!(answer.starts_with("HTTP/1.1 200"), "a 200: {answer}");
    assert!(answer.contains("\"created\":9"), "every row: {answer}");
    assert_eq!(app.organisation_count().await, 9);
}

#[tokio::test]
async fn an_import_upload_that_stalls_gets_408_upload_stalled_and_writes_nothing() {
    // Arrange: half a CSV file, then nothing more, to a server whose requests may take one second.
    let app = TestApp::spawn(Backend::Sqlite).await;
    let address = spawn_with_one_second_limit(&app).await;
    let half = "name,category,region_code\nEnvoi interrompu,association,76\n".to_owned();
    let length = 2 * half.len();
    // Act
    let answer = import_in_pieces(address, vec![half], length, Duration::ZERO).await;
    // Assert
    assert!(answer.starts_with("HTTP/1.1 408"), "a 408: {answer}");
    assert!(
        answer.contains("\"code\":\"upload_stalled\""),
        "upload_stalled: {answer}"
    );
    assert_eq!(app.organisation_count().await, 0, "nothing was written");
}

#[tokio::test]
async fn metrics_count_requests_by_route_template_and_show_the_pool_and_build() {
    // Arrange: metrics chosen explicitly on the main port.
    let app = TestApp::spawn(Backend::Sqlite).await;
    let mut settings = settings_for(&app.database_url);
    settings.server.metrics = cress_api::config::MetricsExposure::Main;
    // The webhook worker takes no connection while the gauges are read (its first look is a
    // minute away).
    settings.webhooks.webhook_poll_milliseconds = 60_000;
    let address = serve(&settings).await;
    let client = reqwest::Client::new();
    let token = sign_test_token(&cress_api::core::Role::Admin);
    let id = "0193a1f2-7c4e-7d2a-9b1e-2f5c8a9d0e11";
    for path in [
        format!("/api/v1/organisations/{id}"),
        format!("/api/v1/organisations/{id}"),
        "/no/such/path/a".to_owned(),
        "/no/such/path/b".to_owned(),
    ] {
        let url = format!("http://{address}{path}");
        client.get(url).bearer_auth(&token).send().await.expect("an answer");
    }
    // Act
    let response = reqwest::get(format!("http://{address}/metrics"))
        .await
        .expect("an answer");
    // Assert
    assert_eq!(response.status(), StatusCode::OK);
    assert!(header(&response, "content-type").starts_with("application/openmetrics-text"));
    let text = response.text().await.expect("a body");
    for expected in [
        r#"cress_api_http_requests_total{route="/api/v1/organisations/{id}",method="GET",status="404"} 2"#,
        r#"cress_api_http_requests_total{route="unmatched",method="GET",status="404"} 2"#,
        r#"cress_api_http_request_duration_seconds_count{route="/api/v1/organisations/{id}",method="GET"} 2"#,
        r#"cress_api_http_request_duration_seconds_bucket{le="+Inf",route="/api/v1/organisations/{id}",method="GET"} 2"#,
        r#"cress_api_db_pool_connections{state="in_use"}"#,
        r#"cress_api_db_pool_connections{state="idle"}"#,
        "cress_api_db_pool_waiting 0",
        "cress_api_db_pool_max_connections 4",
        r#"cress_api_build_info{version=""#,
        "# EOF",
    ] {
        assert!(text.contains(expected), "{expected} in:\n{text}");
    }
    assert!(!text.contains(id), "ids never become labels:\n{text}");
    assert!(
        !text.contains("/no/such/path"),
        "unknown paths never become labels:\n{text}"
    );
}

#[tokio::test]
async fn metrics_are_not_on_the_main_port_unless_chosen_explicitly() {
    // Arrange: the default settings (METRICS=admin, on 127.0.0.1:9090, which `run` does not open).
    let app = TestApp::spawn(Backend::Sqlite).await;
    assert_eq!(
        cress_api::config::ServerSettings::default().metrics,
        cress_api::config::MetricsExposure::Admin
    );
    // Act
    let anonymous = app.as_anonymous().get("/metrics").await;
    let admin = app.get("/metrics").await;
    // Assert
    assert_eq!(anonymous.status(), StatusCode::NOT_FOUND);
    assert_eq!(admin.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn metrics_are_not_served_when_metrics_is_off() {
    // Arrange
    let app = TestApp::spawn(Backend::Sqlite).await;
    let mut settings = settings_for(&app.database_url);
    settings.server.metrics = cress_api::config::MetricsExposure::Off;
    let address = serve(&settings).await;
    // Act
    let response = reqwest::get(format!("http://{address}/metrics"))
        .await
        .expect("an answer");
    // Assert
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
}

/// Starts a server with `settings` on a free port of 127.0.0.1, and gives its address.
async fn serve(settings: &cress_api::config::Settings) -> std::net::SocketAddr {
    let store = cress_api::store::Store::connect(settings)
        .await
        .expect("the store opens");
    let listener = TcpListener::bind("127.0.0.1:0").expect("a free port");
    let address = listener.local_addr().expect("an address");
    tokio::spawn(cress_api::run(settings, store, listener).expect("the server starts"));
    address
}

/// The value of the sample `name` (no labels) in a metrics text, if present.
fn gauge(text: &str, name: &str) -> Option<i64> {
    text.lines()
        .find_map(|line| line.strip_prefix(name)?.strip_prefix(' ')?.trim().parse().ok())
}

/// Polls `/metrics` at `address` until `name` reads `value`; false after 15 s.
async fn wait_for_gauge(address: std::net::SocketAddr, name: &str, value: i64) -> bool {
    for _ in 0..150 {
        let text = reqwest::get(format!("http://{address}/metrics"))
            .await
            .expect("metrics answer")
            .text()
            .await
            .expect("a body");
        if gauge(&text, name) == Some(value) {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    false
}

#[tokio::test]
async fn metrics_count_the_requests_waiting_for_a_database_connection() {
    use sqlx::Connection;
    // Arrange: a server with one database connection, and SQLite's write lock held from outside,
    // so that a write holding that connection cannot finish.
    let app = TestApp::spawn(Backend::Sqlite).await;
    let mut settings = settings_for(&app.database_url);
    settings.database_max_connections = 1;
    settings.database_timeout_seconds = 30;
    settings.server.metrics = cress_api::config::MetricsExposure::Main;
    // The webhook worker takes no connection during the test (its first look is a minute away).
    settings.webhooks.webhook_poll_milliseconds = 60_000;
    let address = serve(&settings).await;
    let mut locker = sqlx::SqliteConnection::connect(&app.database_url)
        .await
        .expect("a second connection");
    sqlx::query("begin immediate")
        .execute(&mut locker)
        .await
        .expect("the write lock");
    let client = reqwest::Client::new();
    let token = sign_test_token(&cress_api::core::Role::Admin);
    // Act: the write takes the only connection and waits for the lock; then a read waits for
    // the connection.
    let write = tokio::spawn(
        client
            .post(format!("http://{address}/api/v1/organisations"))
            .bearer_auth(&token)
            .json(&organisation("Waiting SCOP", serde_json::json!({})))
            .send(),
    );
    let holding = wait_for_gauge(address, r#"cress_api_db_pool_connections{state="in_use"}"#, 1).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let read = tokio::spawn(
        client
            .get(format!("http://{address}/api/v1/organisations"))
            .bearer_auth(&token)
            .send(),
    );
    let waiting = wait_for_gauge(address, "cress_api_db_pool_waiting", 1).await;
    sqlx::query("rollback")
        .execute(&mut locker)
        .await
        .expect("the lock released");
    // Assert
    assert!(holding, "the write holds the only connection");
    assert!(waiting, "the read is counted while it waits for a connection");
    let write = write.await.expect("joined").expect("an answer");
    let read = read.await.expect("joined").expect("an answer");
    assert_eq!(
        write.status(),
        StatusCode::CREATED,
        "the write completes once the lock is released"
    );
    assert_eq!(
        read.status(),
        StatusCode::OK,
        "the read completes once the connection is free"
    );
    assert!(
        wait_for_gauge(address, "cress_api_db_pool_waiting", 0).await,
        "nobody waits any more"
    );
}

#[tokio::test]
async fn answers_to_a_request_with_a_token_say_no_store_and_vary_on_authorization() {
    // Arrange
    let app = TestApp::spawn(Backend::Sqlite).await;
    let created = app
        .create_organisation(organisation(
            "Mutuelle des Garrigues",
            serde_json::json!({"email": "contact@garrigues.example"}),
        ))
        .await;
    let one = format!("/api/v1/organisations/{}", created["id"].as_str().expect("an id"));
    let csv = app
        .as_admin()
        .request(reqwest::Method::GET, "/api/v1/organisations")
        .header("accept", "text/csv")
        .send()
        .await
        .expect("an answer");
    let viewer = cress_api::core::Role::Viewer;
    for (response, why) in [
        (app.get(&one).await, "an administrator's read with contact details"),
        (app.as_role(&viewer).get(&one).await, "a viewer's read"),
        (app.get("/api/v1/organisations").await, "a list"),
        (csv, "a CSV export"),
        (
            app.get("/api/v1/organisations/0193a1f2-7c4e-7d2a-9b1e-2f5c8a9d0e11")
                .await,
            "a 404",
        ),
        (
            app.post_json("/api/v1/organisations", &organisation("Autre", serde_json::json!({})))
                .await,
            "a 201",
        ),
    ] {
        // Assert
        assert_eq!(header(&response, "cache-control"), "no-store", "{why}");
        let vary: Vec<String> = response
            .headers()
            .get_all("vary")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(',').map(|s| s.trim().to_ascii_lowercase()))
            .collect();
        assert!(vary.iter().any(|v| v == "authorization"), "{why}: Vary {vary:?}");
    }
    let anonymous = app.as_anonymous().get(&one).await;
    assert_ne!(
        header(&anonymous, "cache-control"),
        "no-store",
        "public answers may be cached"
    );
}
