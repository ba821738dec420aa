//! `cress-api copy-db`: the demo register, with accounts and tokens, moved from SQLite into a
//! fresh PostgreSQL database that the test creates (and drops), then served from there.

use std::net::TcpListener;
use std::process::{Command, Output};

use cress_api::core::Role;
use reqwest::StatusCode;
use serde_json::{Value, json};
use sqlx::Connection;

use crate::helpers::{Backend, TEST_JWT_SECRET, TestApp, json_of, settings_for};

/// A PostgreSQL database of the test's own, dropped at the end.
struct FreshDatabase {
    base: String,
    name: String,
    url: String,
}

impl FreshDatabase {
    async fn create(base: &str) -> Self {
        let name = format!("copy_{}", uuid::Uuid::new_v4().simple());
        let mut admin = sqlx::PgConnection::connect(base)
            .await
            .expect("TEST_DATABASE_URL connects");
        sqlx::query(sqlx::AssertSqlSafe(format!(r#"create database "{name}""#)))
            .execute(&mut admin)
            .await
            .expect("a test database can be created");
        let mut url = url::Url::parse(base).expect("TEST_DATABASE_URL is a URL");
        url.set_path(&name);
        url.set_query(None);
        Self {
            base: base.to_owned(),
            name,
            url: url.to_string(),
        }
    }

    async fn drop_it(self) {
        let mut admin = sqlx::PgConnection::connect(&self.base)
            .await
            .expect("TEST_DATABASE_URL connects");
        let _ = sqlx::query(sqlx::AssertSqlSafe(format!(
            r#"drop database if exists "{}" with (force)"#,
            self.name
        )))
        .execute(&mut admin)
        .await;
    }
}

fn cress_api(args: &[&str], env: &[(&str, &str)]) -> Output {
    let dir = tempfile::tempdir().expect("a temporary folder");
    Command::new(env!("CARGO_BIN_EXE_cress-api"))
        .current_dir(dir.path())
        .args(args)
        .env_clear()
        .envs(env.iter().copied())
        .output()
        .expect("the binary runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Every table of the SQLite file but the migrations' own and the search index's (filled by
/// SQLite itself), with its row count.
async fn sqlite_counts(url: &str) -> Vec<(String, i64)> {
    let mut connection = sqlx::SqliteConnection::connect(url)
        .await
        .expect("the SQLite file opens");
    let tables: Vec<String> = sqlx::query_scalar(
        r"select name from pragma_table_list
          where schema = 'main' and type = 'table' and name not like 'sqlite\_%' escape '\'
            and name != '_sqlx_migrations'
          order by name",
    )
    .fetch_all(&mut connection)
    .await
    .expect("the tables are listed");
    let mut counts = Vec::new();
    for table in tables {
        let count: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(r#"select count(*) from "{table}""#)))
            .fetch_one(&mut connection)
            .await
            .expect("a count");
        counts.push((table, count));
    }
    counts
}

async fn postgres_count(url: &str, table: &str) -> i64 {
    let mut connection = sqlx::PgConnection::connect(url).await.expect("the copy connects");
    sqlx::query_scalar(sqlx::AssertSqlSafe(format!(r#"select count(*) from "{table}""#)))
        .fetch_one(&mut connection)
        .await
        .unwrap_or_else(|e| panic!("{table} is in the copy: {e}"))
}

/// The lists a client reads, as JSON: what must be the same from either database.
async fn register_as_read(base: &str, token: &str) -> Vec<Value> {
    let client = reqwest::Client::new();
    let mut pages = Vec::new();
    for path in [
        "/api/v1/organisations?limit=200",
        "/api/v1/clubs?limit=200",
        "/api/v1/events?limit=200",
        "/api/v1/sponsorships?limit=200",
        "/api/v1/users?limit=200",
        "/api/v1/clients?limit=200",
    ] {
        let response = client
            .get(format!("{base}{path}"))
            .bearer_auth(token)
            .send()
            .await
            .expect("an answer");
        pages.push(json_of(response, StatusCode::OK).await);
    }
    pages
}

#[tokio::test]
async fn copy_db_copies_every_table_into_a_fresh_postgres_and_refuses_a_filled_one() {
    // Arrange: the demo data, a person who logged in (a refresh token) and a machine client.
    let Some(base) = std::env::var("TEST_DATABASE_URL").ok().filter(|u| !u.is_empty()) else {
        eprintln!("TEST_DATABASE_URL is unset: copy-db not tested");
        return;
    };
    let source = TestApp::spawn(Backend::Sqlite).await;
    let seeded = cress_api(
        &["seed", "--demo"],
        &[("DATABASE_URL", &source.database_url), ("JWT_SECRET", TEST_JWT_SECRET)],
    );
    assert!(seeded.status.success(), "seed --demo: {}", text(&seeded.stderr));
    let admin = source.token_for(&Role::Admin);
    let password = "une phrase de passe assez longue";
    let user = source
        .client
        .post(source.url("/api/v1/users"))
        .bearer_auth(&admin)
        .json(&json!({"email": "claire@cress-occitanie.example", "password": password, "role": "viewer"}))
        .send()
        .await
        .expect("an answer");
    json_of(user, StatusCode::CREATED).await;
    let login = source
        .post_json(
            "/api/v1/auth/token",
            &json!({"email": "claire@cress-occitanie.example", "password": password}),
        )
        .await;
    json_of(login, StatusCode::OK).await;
    let client = source
        .client
        .post(source.url("/api/v1/clients"))
        .bearer_auth(&admin)
        .json(&json!({"name": "SI de la mutuelle", "role": "viewer"}))
        .send()
        .await
        .expect("an answer");
    json_of(client, StatusCode::CREATED).await;
    let counts = sqlite_counts(&source.database_url).await;
    for table in [
        "organisations",
        "sponsorships",
        "users",
        "refresh_tokens",
        "api_clients",
    ] {
        assert!(
            counts.iter().any(|(t, n)| t == table && *n > 0),
            "the source has rows in {table}: {counts:?}"
        );
    }
    let target = FreshDatabase::create(&base).await;

    // Act
    let copied = cress_api(&["copy-db", "--from", &source.database_url, "--to", &target.url], &[]);
    let again = cress_api(&["copy-db", "--from", &source.database_url, "--to", &target.url], &[]);

    // Assert: every table, with as many rows, and the same register read through the API.
    let stdout = text(&copied.stdout);
    assert!(copied.status.success(), "copy-db: {stdout}{}", text(&copied.stderr));
    for (table, count) in &counts {
        assert_eq!(postgres_count(&target.url, table).await, *count, "rows of {table}");
        assert!(
            stdout
                .lines()
                .any(|line| line.split_whitespace().next() == Some(table.as_str())),
            "{table} is reported: {stdout}"
        );
    }
    let settings = settings_for(&target.url);
    let store = cress_api::store::Store::connect(&settings)
        .await
        .expect("the copy opens");
    let listener = TcpListener::bind("127.0.0.1:0").expect("a free port");
    let copy_base = format!("http://{}", listener.local_addr().expect("an address"));
    let server = cress_api::run(&settings, store, listener).expect("a server on the copy");
    let handle = server.handle();
    tokio::spawn(server);
    assert_eq!(
        register_as_read(&copy_base, &admin).await,
        register_as_read(&source.address, &admin).await,
        "the copy reads as the source"
    );
    assert!(
        !again.status.success(),
        "a second copy into the filled database is refused"
    );
    assert!(
        text(&again.stderr).contains("not empty"),
        "the refusal says why: {}",
        text(&again.stderr)
    );
    for (table, count) in &counts {
        assert_eq!(
            postgres_count(&target.url, table).await,
            *count,
            "{table} unchanged by the refusal"
        );
    }
    let relogin = reqwest::Client::new()
        .post(format!("{copy_base}/api/v1/auth/token"))
        .json(&json!({"email": "claire@cress-occitanie.example", "password": password}))
        .send()
        .await
        .expect("an answer");
    assert_eq!(
        relogin.status(),
        StatusCode::OK,
        "the copied password hash still verifies"
    );
    // The change log goes on after the copied changes (its sequence was moved past them).
    let before = json_of(
        reqwest::Client::new()
            .get(format!("{copy_base}/api/v1/changes?limit=200"))
            .bearer_auth(&admin)
            .send()
            .await
            .expect("an answer"),
        StatusCode::OK,
    )
    .await;
    let created = reqwest::Client::new()
        .post(format!("{copy_base}/api/v1/organisations"))
        .bearer_auth(&admin)
        .json(&json!({"name": "Après la copie", "category": "association", "region_code": "76"}))
        .send()
        .await
        .expect("an answer");
    assert_eq!(created.status(), StatusCode::CREATED, "a write on the copy is logged");
    let after = json_of(
        reqwest::Client::new()
            .get(format!(
                "{copy_base}/api/v1/changes?after={}",
                before["next_cursor"].as_str().expect("a cursor")
            ))
            .bearer_auth(&admin)
            .send()
            .await
            .expect("an answer"),
        StatusCode::OK,
    )
    .await;
    assert_eq!(after["items"][0]["data"]["name"], "Après la copie", "{after}");
    handle.stop(false).await;
    target.drop_it().await;
}
