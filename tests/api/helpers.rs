//! The test harness: the real server on a random port against an isolated, migrated database,
//! on SQLite always and on PostgreSQL when `TEST_DATABASE_URL` is set.

use std::net::TcpListener;
use std::sync::Once;

use reqwest::{Method, Response, StatusCode};
use serde_json::{Value, json};
use sqlx::Connection;
use tokio::sync::OnceCell;

use cress_api::auth::Keys;
use cress_api::config::{AuthSettings, DatabaseUrl, LogFormat, Settings};
use cress_api::core::Role;
use cress_api::store::Store;

/// The backend a test runs on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// An origin the test servers allow for CORS.
pub const ALLOWED_ORIGIN: &str = "https://app.cress-occitanie.example";
/// The token signing secret of the test servers (HS256).
pub const TEST_JWT_SECRET: &str = "a test secret that is long enough for HS256 tokens";
/// The body limit of the test servers, small so that 413 is cheap to provoke.
pub const BODY_LIMIT: u64 = 64 * 1024;
/// The import body limit of the test servers: above `BODY_LIMIT`, to show imports get their own.
pub const IMPORT_LIMIT: u64 = 4 * 1024 * 1024;

pub struct TestApp {
    pub address: String,
    pub client: reqwest::Client,
    pub backend: Backend,
    pub database_url: String,
    admin_token: String,
    _dir: Option<tempfile::TempDir>,
}

/// Requests sent by one caller: `app.as_anonymous().get(…)`, `app.as_role(&role).post_json(…)`.
pub struct As<'a> {
    app: &'a TestApp,
    token: Option<String>,
}

impl As<'_> {
    /// A request to `path` carrying this caller's token, if any.
    pub fn request(&self, method: Method, path: &str) -> reqwest::RequestBuilder {
        let request = self.app.client.request(method, self.app.url(path));
        match &self.token {
            Some(token) => request.bearer_auth(token),
            None => request,
        }
    }

    pub async fn get(&self, path: &str) -> Response {
        self.request(Method::GET, path)
            .send()
            .await
            .expect("the server answers")
    }

    pub async fn post_json(&self, path: &str, body: &Value) -> Response {
        self.request(Method::POST, path)
            .json(body)
            .send()
            .await
            .expect("the server answers")
    }

    pub async fn patch_json(&self, path: &str, body: &Value) -> Response {
        self.request(Method::PATCH, path)
            .json(body)
            .send()
            .await
            .expect("the server answers")
    }

    pub async fn delete(&self, path: &str) -> Response {
        self.request(Method::DELETE, path)
            .send()
            .await
            .expect("the server answers")
    }

    /// Sends a raw body with the given content type (or none).
    pub async fn send_raw(&self, method: Method, path: &str, content_type: Option<&str>, body: Vec<u8>) -> Response {
        let mut request = self.request(method, path).body(body);
        if let Some(content_type) = content_type {
            request = request.header("content-type", content_type);
        }
        request.send().await.expect("the server answers")
    }
}

/// Runs one scenario on both backends: `name::sqlite` always, `name::postgres` when
/// `TEST_DATABASE_URL` is set (it says so and passes otherwise; CI sets it).
#[macro_export]
macro_rules! on_both_backends {
    ($(async fn $name:ident($app:ident: TestApp) $body:block)*) => {
        $(
            mod $name {
                #[allow(unused_imports)]
                use super::*;

                async fn scenario($app: $crate::helpers::TestApp) $body

                #[tokio::test]
                async fn sqlite() {
                    scenario($crate::helpers::TestApp::spawn($crate::helpers::Backend::Sqlite).await).await
                }

                #[tokio::test]
                async fn postgres() {
                    match $crate::helpers::TestApp::spawn_postgres().await {
                        Some(app) => scenario(app).await,
                        None => eprintln!("TEST_DATABASE_URL is unset: PostgreSQL variant not run"),
                    }
                }
            }
        )*
    };
}

impl TestApp {
    pub async fn spawn(backend: Backend) -> Self {
        match backend {
            Backend::Sqlite => {
                let dir = tempfile::tempdir().expect("a temporary folder can be created");
                let url = format!("sqlite://{}", dir.path().join("cress.db").display());
                Self::start(Backend::Sqlite, url, Some(dir)).await
            }
            Backend::Postgres => Self::spawn_postgres().await.expect("TEST_DATABASE_URL is set"),
        }
    }

    /// A server on a fresh PostgreSQL schema, or `None` when `TEST_DATABASE_URL` is unset.
    pub async fn spawn_postgres() -> Option<Self> {
        let base = std::env::var("TEST_DATABASE_URL").ok().filter(|u| !u.is_empty())?;
        let url = fresh_postgres_schema(&base).await;
        Some(Self::start(Backend::Postgres, url, None).await)
    }

    /// A server on a fresh database of `backend` whose settings `customise` changes first.
    pub async fn spawn_with(backend: Backend, customise: impl FnOnce(&mut Settings)) -> Option<Self> {
        let (url, dir) = match backend {
            Backend::Sqlite => {
                let dir = tempfile::tempdir().expect("a temporary folder can be created");
                (format!("sqlite://{}", dir.path().join("cress.db").display()), Some(dir))
            }
            Backend::Postgres => {
                let base = std::env::var("TEST_DATABASE_URL").ok().filter(|u| !u.is_empty())?;
                (fresh_postgres_schema(&base).await, None)
            }
        };
        let mut settings = settings_for(&url);
        customise(&mut settings);
        Some(Self::start_with(backend, url, dir, settings).await)
    }

    /// Another server on this server's database, with its settings changed by `customise`:
    /// its address.
    pub async fn spawn_beside(&self, customise: impl FnOnce(&mut Settings)) -> String {
        let mut settings = settings_for(&self.database_url);
        customise(&mut settings);
        let store = Store::connect(&settings).await.expect("the test database connects");
        let listener = TcpListener::bind("127.0.0.1:0").expect("a free port");
        let port = listener.local_addr().expect("a bound address").port();
        let server = cress_api::run(&settings, store, listener).expect("the server starts");
        tokio::spawn(server);
        format!("http://127.0.0.1:{port}")
    }

    async fn start(backend: Backend, database_url: String, dir: Option<tempfile::TempDir>) -> Self {
        let settings = settings_for(&database_url);
        Self::start_with(backend, database_url, dir, settings).await
    }

    async fn start_with(
        backend: Backend,
        database_url: String,
        dir: Option<tempfile::TempDir>,
        settings: Settings,
    ) -> Self {
        init_test_logs();
        let store = Store::connect(&settings).await.expect("the test database connects");
        store.migrate().await.expect("the test database migrates");
        let listener = TcpListener::bind("127.0.0.1:0").expect("a free port");
        let port = listener.local_addr().expect("a bound address").port();
        let server = cress_api::run(&settings, store, listener).expect("the server starts");
        tokio::spawn(server);
        Self {
            address: format!("http://127.0.0.1:{port}"),
            // The suite reads the English messages: the French ones are `language.rs`'s.
            client: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .default_headers(english())
                .build()
                .expect("a client"),
            backend,
            database_url,
            admin_token: sign_test_token(&Role::Admin),
            _dir: dir,
        }
    }

    /// A valid access token for `role`, signed with the test servers' key.
    pub fn token_for(&self, role: &Role) -> String {
        sign_test_token(role)
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    /// Requests sent as an administrator: what the tests of the register's rules use.
    pub fn as_admin(&self) -> As<'_> {
        As {
            app: self,
            token: Some(self.admin_token.clone()),
        }
    }

    /// Requests sent without credentials.
    pub fn as_anonymous(&self) -> As<'_> {
        As { app: self, token: None }
    }

    /// Requests sent with a token of the caller `subject` in `role`.
    pub fn as_subject(&self, subject: &str, role: &Role) -> As<'_> {
        As {
            app: self,
            token: Some(sign_token_for(subject, role)),
        }
    }

    /// Requests sent with a token for `role`.
    pub fn as_role(&self, role: &Role) -> As<'_> {
        As {
            app: self,
            token: Some(self.token_for(role)),
        }
    }

    pub async fn get(&self, path: &str) -> Response {
        self.as_admin().get(path).await
    }

    pub async fn post_json(&self, path: &str, body: &Value) -> Response {
        self.as_admin().post_json(path, body).await
    }

    pub async fn patch_json(&self, path: &str, body: &Value) -> Response {
        self.as_admin().patch_json(path, body).await
    }

    pub async fn delete(&self, path: &str) -> Response {
        self.as_admin().delete(path).await
    }

    /// Sends a raw body with the given content type (or none), as an administrator.
    pub async fn send_raw(&self, method: Method, path: &str, content_type: Option<&str>, body: Vec<u8>) -> Response {
        self.as_admin().send_raw(method, path, content_type, body).await
    }

    /// Creates an organisation and returns its JSON, failing the test if it is not created.
    pub async fn create_organisation(&self, body: Value) -> Value {
        let response = self.post_json("/api/v1/organisations", &body).await;
        let status = response.status();
        let json: Value = response.json().await.expect("a JSON body");
        assert_eq!(status, StatusCode::CREATED, "creating {body} answered {json}");
        json
    }

    /// Every organisation, following the cursors of `path` (which has a query string).
    pub async fn all_pages(&self, path: &str) -> Vec<Value> {
        let mut items = Vec::new();
        let mut next = path.to_owned();
        for _ in 0..1000 {
            let page = json_of(self.get(&next).await, StatusCode::OK).await;
            items.extend(page["items"].as_array().expect("items is an array").iter().cloned());
            match page["next_cursor"].as_str() {
                Some(cursor) => next = format!("{path}&cursor={cursor}"),
                None => return items,
            }
        }
        panic!("more than 1000 pages for {path}");
    }

    /// How many organisations exist, read through the API.
    pub async fn organisation_count(&self) -> usize {
        self.all_pages("/api/v1/organisations?limit=200").await.len()
    }
}

/// A Cress manager of `region`.
pub fn manager_of(region: &str) -> Role {
    Role::CressManager {
        region: cress_api::domain::codes::RegionCode::parse(region).expect("a region code"),
    }
}

/// A partner account of the organisation `id` (a JSON string).
pub fn partner_of(id: &Value) -> Role {
    Role::Partner {
        org: id.as_str().and_then(|id| id.parse().ok()).expect("an organisation id"),
    }
}

/// A valid access token for `role`, signed with the test servers' key.
pub fn sign_test_token(role: &Role) -> String {
    sign_token_for("test", role)
}

/// A valid access token of the caller `subject` (its `sub`: whom audit entries and idempotency
/// keys belong to) with `role`, signed with the test servers' key.
pub fn sign_token_for(subject: &str, role: &Role) -> String {
    let keys = Keys::from_secret(TEST_JWT_SECRET.as_bytes(), &AuthSettings::with_secret(TEST_JWT_SECRET));
    keys.sign(&keys.claims_for(subject, role, 600)).expect("a token")
}

/// The body of a response that must have `status`, with the status checked first.
pub async fn json_of(response: Response, status: StatusCode) -> Value {
    let actual = response.status();
    let url = response.url().clone();
    let text = response.text().await.expect("a body");
    assert_eq!(actual, status, "{url} answered {actual} with {text}");
    serde_json::from_str(&text).unwrap_or_else(|_| panic!("{url} answered a body that is not JSON: {text}"))
}

/// Checks that `response` is an RFC 9457 problem with this status and code, and returns it.
pub async fn problem_of(response: Response, status: StatusCode, code: &str) -> Value {
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let body = json_of(response, status).await;
    assert_eq!(
        content_type, "application/problem+json",
        "problem content type for {body}"
    );
    assert_eq!(body["status"], json!(status.as_u16()), "status member of {body}");
    assert_eq!(body["code"], json!(code), "code of {body}");
    assert_eq!(body["type"], json!(format!("/problems/{code}")), "type of {body}");
    assert!(body["title"].as_str().is_some_and(|t| !t.is_empty()), "title of {body}");
    assert!(
        body["detail"].as_str().is_some_and(|t| !t.is_empty()),
        "detail of {body}"
    );
    body
}

/// The fields listed in a 422 problem, in order.
pub fn failing_fields(problem: &Value) -> Vec<String> {
    problem["errors"]
        .as_array()
        .map(|errors| {
            errors
                .iter()
                .map(|e| e["field"].as_str().unwrap_or_default().to_owned())
                .collect()
        })
        .unwrap_or_default()
}

/// A valid organisation body; `overrides` replaces or adds fields.
pub fn organisation(name: &str, overrides: Value) -> Value {
    let mut body = json!({"name": name, "category": "association", "region_code": "76"});
    if let (Some(body), Some(overrides)) = (body.as_object_mut(), overrides.as_object()) {
        for (key, value) in overrides {
            body.insert(key.clone(), value.clone());
        }
    }
    body
}

pub fn settings_for(database_url: &str) -> Settings {
    let database_url = if database_url.starts_with("postgres") {
        DatabaseUrl::Postgres(database_url.into())
    } else {
        DatabaseUrl::Sqlite(database_url.into())
    };
    Settings {
        bind_address: "127.0.0.1:0".parse().expect("a socket address"),
        database_url: Some(database_url),
        database_max_connections: 4,
        database_timeout_seconds: 5,
        log_format: LogFormat::Pretty,
        max_body_bytes: BODY_LIMIT,
        import_max_bytes: IMPORT_LIMIT,
        cors_origins: vec![ALLOWED_ORIGIN.to_owned()],
        auth: AuthSettings::with_secret(TEST_JWT_SECRET),
        server: cress_api::config::ServerSettings::default(),
        // Test receivers listen on 127.0.0.1: allowed, and looked for often.
        webhooks: cress_api::config::WebhookSettings {
            webhook_allowed_hosts: vec!["127.0.0.1".to_owned()],
            webhook_poll_milliseconds: 200,
            webhook_retry_base_milliseconds: 100,
            ..cress_api::config::WebhookSettings::default()
        },
    }
}

fn init_test_logs() {
    static LOGS: Once = Once::new();
    LOGS.call_once(|| {
        if std::env::var_os("TEST_LOG").is_some() {
            cress_api::telemetry::init(LogFormat::Pretty);
        }
    });
}

/// Creates a schema of its own for one test and returns a URL whose connections use it. Test
/// schemas are named `t_<unix seconds>_<random>`; those over an hour old are dropped first.
async fn fresh_postgres_schema(base: &str) -> String {
    static CLEANED: OnceCell<()> = OnceCell::const_new();
    let mut admin = sqlx::PgConnection::connect(base)
        .await
        .expect("TEST_DATABASE_URL connects");
    CLEANED
        .get_or_init(|| async {
            let now = chrono::Utc::now().timestamp();
            let old: Vec<String> =
                sqlx::query_scalar(r"select nspname::text from pg_namespace where nspname ~ '^t_[0-9]+_[0-9a-f]+$'")
                    .fetch_all(&mut admin)
                    .await
                    .unwrap_or_default();
            for schema in old {
                let created: i64 = schema.split('_').nth(1).and_then(|s| s.parse().ok()).unwrap_or(now);
                if now - created > 3600 {
                    let _ = sqlx::query(sqlx::AssertSqlSafe(format!(
                        r#"drop schema if exists "{schema}" cascade"#
                    )))
                    .execute(&mut admin)
                    .await;
                }
            }
        })
        .await;
    let schema = format!("t_{}_{}", chrono::Utc::now().timestamp(), uuid::Uuid::new_v4().simple());
    sqlx::query(sqlx::AssertSqlSafe(format!(r#"create schema "{schema}""#)))
        .execute(&mut admin)
        .await
        .expect("a test schema can be created");
    let separator = if base.contains('?') { '&' } else { '?' };
    format!("{base}{separator}options=-c%20search_path%3D{schema}")
}

/// A valid SIREN made from `seed` (its first eight digits) and a Luhn check digit.
pub fn siren_from(seed: u32) -> String {
    let base = format!("{:08}", seed % 100_000_000);
    let sum: u32 = base
        .bytes()
        .rev()
        .enumerate()
        .map(|(i, b)| {
            let d = u32::from(b - b'0');
            // The check digit will be rightmost: the payload's last digit is doubled.
            if i % 2 == 0 {
                let doubled = d * 2;
                if doubled > 9 { doubled - 9 } else { doubled }
            } else {
                d
            }
        })
        .sum();
    format!("{base}{}", (10 - sum % 10) % 10)
}

/// The CSV answer of `path` for the caller `as_`, checked to be CSV, as its header and rows.
pub async fn csv_of(response: Response) -> (Vec<String>, Vec<Vec<String>>) {
    let status = response.status();
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let bytes = response.bytes().await.expect("a body");
    assert_eq!(
        status,
        StatusCode::OK,
        "CSV answer: {}",
        String::from_utf8_lossy(&bytes)
    );
    assert!(content_type.starts_with("text/csv"), "content type {content_type}");
    let table = cress_api::http::csv::read_table(&bytes).expect("the answer is well-formed CSV");
    (table.header, table.records)
}

/// Headers asking for English answers (the server answers French to a request without
/// `Accept-Language`).
pub fn english() -> reqwest::header::HeaderMap {
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert(
        reqwest::header::ACCEPT_LANGUAGE,
        reqwest::header::HeaderValue::from_static("en"),
    );
    headers
}
