//! The server process as production runs it: graceful shutdown on SIGTERM and SIGINT, JSON
//! logs that say who did what but never a secret, the container health check, and metrics on
//! an admin listener.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use reqwest::StatusCode;
use serde_json::{Value, json};
use sqlx::Connection;

use crate::process::ServerProcess;

/// Generous bounds for a noisy machine: waits, never speed assertions.
const PATIENCE: Duration = Duration::from_secs(60);

fn sqlite_env(dir: &Path) -> String {
    format!("sqlite://{}", dir.join("cress.db").display())
}

/// Reads one HTTP/1.1 response head (up to the blank line) from `stream`.
fn read_head(stream: &mut TcpStream) -> String {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        match stream.read(&mut byte) {
            Ok(1) => head.push(byte[0]),
            _ => break,
        }
    }
    String::from_utf8_lossy(&head).into_owned()
}

/// Whether the server still accepts connections on `address`.
fn accepts(address: &str) -> bool {
    TcpStream::connect_timeout(&address.parse().expect("a socket address"), Duration::from_secs(2)).is_ok()
}

async fn organisation_names(database: &Path) -> Vec<String> {
    let mut connection = sqlx::SqliteConnection::connect(&format!("sqlite://{}", database.display()))
        .await
        .expect("the SQLite file opens");
    sqlx::query_scalar("select name from organisations")
        .fetch_all(&mut connection)
        .await
        .expect("organisations can be read")
}

/// A POST whose body arrives in two parts, the signal in between: the server stops accepting
/// connections, yet answers the request in flight, then exits 0 having written it.
async fn request_in_flight_completes_when_the_server_is_stopped_by(signal: &str) {
    // Arrange
    let dir = tempfile::tempdir().expect("a temporary folder");
    let database = sqlite_env(dir.path());
    let mut server = ServerProcess::start(
        dir.path(),
        &[
            ("DATABASE_URL", &database),
            ("JWT_SECRET", crate::helpers::TEST_JWT_SECRET),
        ],
    );
    let token = crate::helpers::sign_test_token(&cress_api::core::Role::Admin);
    let name = format!("Arrêt en douceur {signal}");
    let body = json!({"name": name, "category": "association", "region_code": "76"}).to_string();
    let (first, rest) = body.as_bytes().split_at(body.len() / 2);
    let mut stream = TcpStream::connect(&server.address).expect("the server accepts");
    stream.set_read_timeout(Some(PATIENCE)).expect("a read timeout");
    write!(
        stream,
        "POST /api/v1/organisations HTTP/1.1\r\nHost: {}\r\nAuthorization: Bearer {token}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nExpect: 100-continue\r\nConnection: close\r\n\r\n",
        server.address,
        body.len()
    )
    .expect("the head is sent");
    // The interim answer proves that the server has the request in hand.
    let interim = read_head(&mut stream);
    assert!(
        interim.starts_with("HTTP/1.1 100"),
        "100 Continue expected, got {interim:?}"
    );
    stream.write_all(first).expect("the first half of the body is sent");
    // Act
    server.signal(signal);
    let stopping = server.wait_for_line(|line| line.contains("stopping"), PATIENCE);
    assert!(stopping.is_some(), "the server logs that it stops:\n{}", server.log());
    let mut refused = false;
    for _ in 0..100 {
        if !accepts(&server.address) {
            refused = true;
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    stream.write_all(rest).expect("the rest of the body is sent");
    let mut answer = String::new();
    stream.read_to_string(&mut answer).expect("the answer is read");
    let status = server.wait_for_exit(PATIENCE);
    // Assert
    assert!(refused, "new connections are refused once stopping");
    assert!(
        answer.starts_with("HTTP/1.1 201"),
        "the request in flight is answered 201: {answer}\nlog:\n{}",
        server.log()
    );
    let status = status.unwrap_or_else(|| panic!("the process did not exit; log:\n{}", server.log()));
    assert!(status.success(), "exit status {status:?}; log:\n{}", server.log());
    assert!(
        server.lines().iter().any(|line| line.contains("\"stopped\"")),
        "the pool is closed and the server says it stopped:\n{}",
        server.log()
    );
    let names = organisation_names(&dir.path().join("cress.db")).await;
    assert!(names.contains(&name), "{name} was written: {names:?}");
}

#[tokio::test]
async fn request_in_flight_completes_and_the_process_exits_0_when_sigterm_arrives() {
    request_in_flight_completes_when_the_server_is_stopped_by("TERM").await;
}

#[tokio::test]
async fn request_in_flight_completes_and_the_process_exits_0_when_sigint_arrives() {
    request_in_flight_completes_when_the_server_is_stopped_by("INT").await;
}

const ADMIN_EMAIL: &str = "admin@cress-occitanie.example";
const ADMIN_PASSWORD: &str = "correct horse battery staple admin";
const WRONG_PASSWORD: &str = "a wrong guess that must stay secret";
const JWT_SECRET: &str = "the signing secret of the logging test, long enough";

#[tokio::test]
async fn json_logs_say_who_did_what_and_never_a_secret_when_logging_in_and_calling() {
    // Arrange: an administrator created at start; every kind of credential then used.
    let dir = tempfile::tempdir().expect("a temporary folder");
    let database = sqlite_env(dir.path());
    let mut server = ServerProcess::start(
        dir.path(),
        &[
            ("DATABASE_URL", &database),
            ("ADMIN_EMAIL", ADMIN_EMAIL),
            ("ADMIN_PASSWORD", ADMIN_PASSWORD),
            ("JWT_SECRET", JWT_SECRET),
            ("RUST_LOG", "debug"),
        ],
    );
    let client = reqwest::Client::new();
    let token_url = server.url("/api/v1/auth/token");
    // Act
    let wrong = client
        .post(&token_url)
        .json(&json!({"email": ADMIN_EMAIL, "password": WRONG_PASSWORD}))
        .send()
        .await
        .expect("an answer");
    assert_eq!(wrong.status(), StatusCode::BAD_REQUEST);
    let session: Value = client
        .post(&token_url)
        .json(&json!({"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD}))
        .send()
        .await
        .expect("an answer")
        .json()
        .await
        .expect("a JSON session");
    let access = session["access_token"].as_str().expect("an access token").to_owned();
    let refresh = session["refresh_token"].as_str().expect("a refresh token").to_owned();
    let users = client
        .get(server.url("/api/v1/users"))
        .bearer_auth(&access)
        .header("x-request-id", "log-test-users")
        .send()
        .await
        .expect("an answer");
    assert_eq!(users.status(), StatusCode::OK);
    let created: Value = client
        .post(server.url("/api/v1/clients"))
        .bearer_auth(&access)
        .json(&json!({"name": "SI de la mutuelle", "role": "viewer"}))
        .send()
        .await
        .expect("an answer")
        .json()
        .await
        .expect("a JSON client");
    let client_id = created["client_id"].as_str().expect("a client id").to_owned();
    let client_secret = created["client_secret"].as_str().expect("a client secret").to_owned();
    let machine: Value = client
        .post(&token_url)
        .basic_auth(&client_id, Some(&client_secret))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .expect("an answer")
        .json()
        .await
        .expect("a JSON token");
    let machine_access = machine["access_token"].as_str().expect("a machine token").to_owned();
    let renewed: Value = client
        .post(&token_url)
        .form(&[("grant_type", "refresh_token"), ("refresh_token", &refresh)])
        .send()
        .await
        .expect("an answer")
        .json()
        .await
        .expect("a renewed session");
    let renewed_refresh = renewed["refresh_token"]
        .as_str()
        .expect("a new refresh token")
        .to_owned();
    let forged = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJtYWxsb3J5In0.Zm9yZ2VkLXNpZ25hdHVyZS12YWx1ZQ";
    let refused = client
        .get(server.url("/api/v1/users"))
        .bearer_auth(forged)
        .send()
        .await
        .expect("an answer");
    assert_eq!(refused.status(), StatusCode::UNAUTHORIZED);
    server.signal("TERM");
    assert!(server.wait_for_exit(PATIENCE).is_some(), "the server stops");
    // Assert: every stdout line is one JSON object with a timestamp and a level.
    let lines = server.lines();
    for line in &lines {
        let json: Value =
            serde_json::from_str(line).unwrap_or_else(|e| panic!("a log line that is not JSON ({e}): {line}"));
        assert!(
            json["timestamp"].is_string() && json["level"].is_string(),
            "timestamp and level in {line}"
        );
    }
    // The request line of GET /api/v1/users says who, what, how and how long.
    let sub = serde_json::from_slice::<Value>(
        &URL_SAFE_NO_PAD
            .decode(access.split('.').nth(1).expect("a JWT payload"))
            .expect("base64url"),
    )
    .expect("JSON claims")["sub"]
        .as_str()
        .expect("a sub")
        .to_owned();
    let served = lines
        .iter()
        .filter_map(|line| serde_json::from_str::<Value>(line).ok())
        .find(|json| json["span"]["request_id"] == "log-test-users" && json["fields"]["message"] == "request served")
        .unwrap_or_else(|| panic!("no request line for log-test-users in:\n{}", lines.join("\n")));
    assert_eq!(served["level"], "INFO", "{served}");
    assert_eq!(served["span"]["route"], "/api/v1/users", "{served}");
    assert_eq!(served["span"]["method"], "GET", "{served}");
    assert_eq!(served["span"]["caller"], json!(sub), "the caller's subject in {served}");
    assert_eq!(served["fields"]["status"], 200, "{served}");
    assert!(served["fields"]["latency_ms"].is_number(), "latency in {served}");
    // No secret, in any form, at debug level.
    let log = lines.join("\n");
    let basic = STANDARD.encode(format!("{client_id}:{client_secret}"));
    let secrets = [
        ("the administrator's password", ADMIN_PASSWORD.to_owned()),
        ("a wrong password", WRONG_PASSWORD.to_owned()),
        ("the JWT secret", JWT_SECRET.to_owned()),
        ("an access token", access.clone()),
        (
            "the signature of an access token",
            access.rsplit('.').next().unwrap_or_default().to_owned(),
        ),
        ("a refresh token", refresh),
        ("a renewed refresh token", renewed_refresh),
        ("a client secret", client_secret),
        ("Basic credentials", basic),
        ("a machine token", machine_access),
        ("a forged token", forged.to_owned()),
    ];
    for (what, secret) in secrets {
        assert!(!secret.is_empty(), "{what} is known");
        assert!(!log.contains(&secret), "{what} appears in the log:\n{log}");
    }
    // Nor the header itself: its name, or a credential after its scheme.
    let lower = log.to_ascii_lowercase();
    for header in ["authorization", "bearer ey", "basic "] {
        assert!(!lower.contains(header), "{header:?} appears in the log:\n{log}");
    }
}

#[tokio::test]
async fn healthcheck_exits_0_when_the_server_is_ready_and_1_when_nothing_answers() {
    // Arrange
    let dir = tempfile::tempdir().expect("a temporary folder");
    let database = sqlite_env(dir.path());
    let server = ServerProcess::start(dir.path(), &[("DATABASE_URL", &database)]);
    let healthcheck = |address: &str| {
        std::process::Command::new(env!("CARGO_BIN_EXE_cress-api"))
            .current_dir(dir.path())
            .arg("healthcheck")
            .env_clear()
            .env("BIND_ADDRESS", address)
            .output()
            .expect("the binary runs")
    };
    let port = server.address.rsplit(':').next().expect("a port");
    // Act
    let ready = healthcheck(&server.address);
    let unspecified = healthcheck(&format!("0.0.0.0:{port}"));
    drop(server);
    let gone = healthcheck("127.0.0.1:1");
    // Assert
    assert!(ready.status.success(), "{:?}", String::from_utf8_lossy(&ready.stderr));
    assert!(
        unspecified.status.success(),
        "0.0.0.0 means this machine: {:?}",
        String::from_utf8_lossy(&unspecified.stderr)
    );
    assert_eq!(gone.status.code(), Some(1), "nothing listens on port 1");
}

#[tokio::test]
async fn metrics_are_served_on_the_admin_listener_only_when_metrics_is_admin() {
    // Arrange
    let dir = tempfile::tempdir().expect("a temporary folder");
    let database = sqlite_env(dir.path());
    let server = ServerProcess::start(
        dir.path(),
        &[
            ("DATABASE_URL", &database),
            ("METRICS", "admin"),
            ("METRICS_BIND_ADDRESS", "127.0.0.1:0"),
        ],
    );
    let line = server
        .wait_for_line(|line| line.contains("serving metrics"), PATIENCE)
        .expect("the admin listener is announced");
    let admin: Value = serde_json::from_str(&line).expect("a JSON line");
    let admin = admin["fields"]["address"]
        .as_str()
        .expect("an admin address")
        .to_owned();
    reqwest::get(server.url("/health/live")).await.expect("an answer");
    // Act
    let on_main = reqwest::get(server.url("/metrics")).await.expect("an answer");
    let on_admin = reqwest::get(format!("http://{admin}/metrics"))
        .await
        .expect("an answer");
    // Assert
    assert_eq!(on_main.status(), StatusCode::NOT_FOUND, "no metrics on the main port");
    assert_eq!(on_admin.status(), StatusCode::OK);
    let text = on_admin.text().await.expect("a body");
    assert!(
        text.contains(r#"cress_api_http_requests_total{route="/health/live",method="GET",status="200"} 1"#),
        "the main listener's requests are counted:\n{text}"
    );
}

/// The `request served` line of the request with id `id`, waited for.
fn served_line(server: &ServerProcess, id: &str) -> Value {
    let line = server
        .wait_for_line(|line| line.contains(id) && line.contains("request served"), PATIENCE)
        .unwrap_or_else(|| panic!("no request line for {id} in:\n{}", server.log()));
    serde_json::from_str(&line).expect("a JSON line")
}

#[tokio::test]
async fn request_log_latency_counts_the_upload_of_the_body_and_the_time_limit() {
    // Arrange: an import whose body arrives in three parts 900 ms apart (1.8 s in all, logged
    // as at least 1 s: the server may start its clock late on a busy machine), and an upload that
    // stalls, cut when nothing came for the five-second time limit (three seconds of margin over
    // the slow upload's pauses).
    let dir = tempfile::tempdir().expect("a temporary folder");
    let database = sqlite_env(dir.path());
    let server = ServerProcess::start(
        dir.path(),
        &[
            ("DATABASE_URL", &database),
            ("JWT_SECRET", crate::helpers::TEST_JWT_SECRET),
            ("REQUEST_TIMEOUT_SECONDS", "5"),
        ],
    );
    let token = crate::helpers::sign_test_token(&cress_api::core::Role::Admin);
    let body = "name,category,region_code\nCoopérative lente,cooperative,76\n";
    let (first, rest) = body.as_bytes().split_at(20);
    let (second, third) = rest.split_at(10);
    let send_slowly = |id: &str, length: usize, parts: &[&[u8]]| {
        let mut stream = TcpStream::connect(&server.address).expect("the server accepts");
        stream.set_read_timeout(Some(PATIENCE)).expect("a read timeout");
        write!(
            stream,
            "POST /api/v1/organisations/import HTTP/1.1\r\nHost: {}\r\nAuthorization: Bearer {token}\r\nX-Request-Id: {id}\r\nContent-Type: text/csv\r\nContent-Length: {length}\r\nConnection: close\r\n\r\n",
            server.address
        )
        .expect("the head is sent");
        for (n, part) in parts.iter().enumerate() {
            if n > 0 {
                std::thread::sleep(Duration::from_millis(900));
            }
            stream.write_all(part).expect("a part is sent");
        }
        let mut answer = String::new();
        stream.read_to_string(&mut answer).expect("the answer is read");
        answer
    };
    // Act
    let imported = send_slowly("slow-upload", body.len(), &[first, second, third]);
    let cut = send_slowly("cut-upload", body.len(), &[first]);
    // Assert
    assert!(imported.starts_with("HTTP/1.1 200"), "{imported}");
    assert!(cut.starts_with("HTTP/1.1 408"), "{cut}");
    let slow = served_line(&server, "slow-upload");
    assert_eq!(slow["fields"]["status"], 200, "{slow}");
    let latency = slow["fields"]["latency_ms"].as_f64().expect("a latency");
    assert!(latency >= 1000.0, "the upload took 1.8 s, logged {latency} ms: {slow}");
    let timed_out = served_line(&server, "cut-upload");
    assert_eq!(timed_out["fields"]["status"], 408, "{timed_out}");
    let latency = timed_out["fields"]["latency_ms"].as_f64().expect("a latency");
    assert!(
        latency >= 5000.0,
        "cut after the five-second limit, logged {latency} ms: {timed_out}"
    );
}

#[tokio::test]
async fn server_starts_with_env_example_copied_as_env() {
    // Arrange: `.env.example` as a newcomer copies it (its empty values, such as
    // CORS_ORIGINS= and TRUSTED_PROXIES=, mean "none"); the test's own port and cheap hashes win
    // over the file, as the environment always does.
    let dir = tempfile::tempdir().expect("a temporary folder");
    let example = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/.env.example")).expect(".env.example");
    std::fs::write(dir.path().join(".env"), example).expect(".env is written");
    // Act
    let server = ServerProcess::start(dir.path(), &[]);
    let ready = reqwest::get(server.url("/health/ready")).await.expect("an answer");
    // Assert
    assert_eq!(ready.status(), StatusCode::OK, "log:\n{}", server.log());
    let metrics = reqwest::get(server.url("/metrics")).await.expect("an answer");
    assert_eq!(
        metrics.status(),
        StatusCode::NOT_FOUND,
        "METRICS=admin: not on the main port"
    );
}
