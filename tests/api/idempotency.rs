//! Safe retries with `Idempotency-Key`: a replay answers the first answer without writing twice,
//! across callers, instances, crashes and concurrent retries.

use std::net::TcpListener;

use chrono::{DateTime, SubsecRound, TimeDelta, Utc};
use reqwest::{Method, Response, StatusCode};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use sqlx::Connection;

use cress_api::core::Role;
use cress_api::store::Store;

use crate::helpers::{Backend, TestApp, json_of, organisation, problem_of, settings_for, sign_token_for};
use crate::on_both_backends;

const ORGANISATIONS: &str = "/api/v1/organisations";
/// Whom the keys of `TestApp`'s administrator belong to: the whole principal of its token
/// (`sub` "test", see `helpers::sign_test_token`), as the server stores it.
const ADMIN_SUBJECT: &str = r#"["test","admin",null,null]"#;

/// Runs `$body` with `$conn`, a direct connection to the test database of `$app`.
macro_rules! with_connection {
    ($app:expr, $conn:ident => $body:expr) => {
        match $app.backend {
            Backend::Sqlite => {
                let mut $conn = sqlx::SqliteConnection::connect(&$app.database_url)
                    .await
                    .expect("the SQLite test database opens");
                $body
            }
            Backend::Postgres => {
                let mut $conn = sqlx::PgConnection::connect(&$app.database_url)
                    .await
                    .expect("the PostgreSQL test schema opens");
                $body
            }
        }
    };
}

/// The JSON bytes sent for `body`: the fingerprint is over the bytes, so the tests send them raw.
fn bytes_of(body: &Value) -> Vec<u8> {
    serde_json::to_vec(body).expect("JSON bytes")
}

/// A POST of `body` as JSON with `key`, with the token `token` (an administrator's if `None`).
async fn post_with_key(app: &TestApp, token: Option<&str>, path: &str, key: &str, body: &Value) -> Response {
    let request = match token {
        Some(token) => app.client.request(Method::POST, app.url(path)).bearer_auth(token),
        None => app.as_admin().request(Method::POST, path),
    };
    request
        .header("idempotency-key", key)
        .header("content-type", "application/json")
        .body(bytes_of(body))
        .send()
        .await
        .expect("the server answers")
}

/// An administrator's token whose `sub` is `subject`.
/// What the server fingerprints: method, path, query, content type and body, NUL-separated.
fn fingerprint(path: &str, body: &Value) -> String {
    let mut hasher = Sha256::new();
    for part in ["POST", path, "", "application/json"] {
        hasher.update(part.as_bytes());
        hasher.update([0]);
    }
    hasher.update(bytes_of(body));
    hasher.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

fn now() -> DateTime<Utc> {
    Utc::now().trunc_subsecs(6)
}

/// A key stored as if by a request of `subject`: `in_progress`, or `done` with an answer.
struct Row<'a> {
    subject: &'a str,
    key: &'a str,
    fingerprint: String,
    done: bool,
    started_at: DateTime<Utc>,
    expires_at: DateTime<Utc>,
}

async fn insert(app: &TestApp, row: Row<'_>) {
    let (state, status, body) = if row.done {
        ("done", Some(201_i32), Some(b"{}".to_vec()))
    } else {
        ("in_progress", None, None)
    };
    with_connection!(app, conn => {
        sqlx::query(
            "insert into idempotency_keys (subject, idempotency_key, fingerprint, state, started_at, expires_at, \
             response_status, response_body) values ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(row.subject)
        .bind(row.key)
        .bind(&row.fingerprint)
        .bind(state)
        .bind(row.started_at)
        .bind(row.expires_at)
        .bind(status)
        .bind(body)
        .execute(&mut conn)
        .await
        .expect("a key row is inserted");
    });
}

/// The stored keys as (subject, key, state), sorted.
async fn stored_keys(app: &TestApp) -> Vec<(String, String, String)> {
    let sql = "select subject, idempotency_key, state from idempotency_keys order by subject, idempotency_key";
    with_connection!(app, conn => sqlx::query_as(sql).fetch_all(&mut conn).await.expect("the keys are read"))
}

fn header<'a>(response: &'a Response, name: &str) -> Option<&'a str> {
    response.headers().get(name).and_then(|v| v.to_str().ok())
}

/// Status, Location, replay flag and JSON body of an answer.
async fn answer_of(response: Response) -> (StatusCode, Option<String>, bool, Value) {
    let status = response.status();
    let location = header(&response, "location").map(str::to_owned);
    let replayed = header(&response, "idempotent-replayed") == Some("true");
    let body = response.json().await.expect("a JSON body");
    (status, location, replayed, body)
}

on_both_backends! {
    async fn create_replays_the_first_answer_and_writes_once_when_the_same_key_comes_again(app: TestApp) {
        // Arrange
        let body = organisation("Mutuelle solidaire d'Occitanie", json!({"category": "mutual"}));
        let first = post_with_key(&app, None, ORGANISATIONS, "sync-0001", &body).await;
        let etag = header(&first, "etag").map(str::to_owned);
        let (status, location, replayed, created) = answer_of(first).await;
        assert_eq!(status, StatusCode::CREATED, "first answer {created}");
        assert!(!replayed, "a first answer is not a replay");
        assert!(location.is_some(), "the first answer has a Location");
        // Act
        let again = post_with_key(&app, None, ORGANISATIONS, "sync-0001", &body).await;
        // Assert
        assert_eq!(header(&again, "etag").map(str::to_owned), etag, "the same ETag");
        assert_eq!(header(&again, "content-type"), Some("application/json"), "the same content type");
        let (status, again_location, replayed, again_body) = answer_of(again).await;
        assert_eq!(status, StatusCode::CREATED, "the replay has the first status");
        assert!(replayed, "the replay says Idempotent-Replayed: true");
        assert_eq!(again_location, location, "the same Location");
        assert_eq!(again_body, created, "the same body");
        assert_eq!(app.organisation_count().await, 1, "one organisation, not two");
        assert_eq!(
            stored_keys(&app).await,
            vec![(ADMIN_SUBJECT.to_owned(), "sync-0001".to_owned(), "done".to_owned())]
        );
    }

    async fn create_returns_422_and_writes_nothing_when_the_key_comes_with_another_body(app: TestApp) {
        // Arrange
        let body = organisation("Coopérative des Causses", json!({"category": "cooperative"}));
        json_of(post_with_key(&app, None, ORGANISATIONS, "k-1", &body).await, StatusCode::CREATED).await;
        let other = organisation("Coopérative des Cévennes", json!({"category": "cooperative"}));
        // Act
        let response = post_with_key(&app, None, ORGANISATIONS, "k-1", &other).await;
        let on_another_path = post_with_key(&app, None, "/api/v1/clubs", "k-1", &body).await;
        // Assert
        problem_of(response, StatusCode::UNPROCESSABLE_ENTITY, "idempotency_key_reused").await;
        problem_of(on_another_path, StatusCode::UNPROCESSABLE_ENTITY, "idempotency_key_reused").await;
        let names: Vec<Value> = app.all_pages("/api/v1/organisations?limit=200").await.iter().map(|o| o["name"].clone()).collect();
        assert_eq!(names, vec![json!("Coopérative des Causses")], "only the first request wrote");
    }

    async fn create_runs_again_when_another_caller_sends_the_same_key(app: TestApp) {
        // Arrange
        let body = organisation("Fondation du Lodévois", json!({"category": "foundation"}));
        let ours = json_of(post_with_key(&app, None, ORGANISATIONS, "shared-key", &body).await, StatusCode::CREATED).await;
        let theirs = sign_token_for("partner-system-2", &Role::Admin);
        // Act
        let (status, _, replayed, created) = answer_of(post_with_key(&app, Some(&theirs), ORGANISATIONS, "shared-key", &body).await).await;
        // Assert: a second record (the duplicate name is allowed), then each caller replays its own.
        assert_eq!(status, StatusCode::CREATED, "another caller's request runs: {created}");
        assert!(!replayed, "not a replay of someone else's answer");
        assert_ne!(created["id"], ours["id"], "a record of its own");
        assert_eq!(app.organisation_count().await, 2);
        let (_, _, replayed, again) = answer_of(post_with_key(&app, Some(&theirs), ORGANISATIONS, "shared-key", &body).await).await;
        assert!(replayed && again["id"] == created["id"], "their replay is theirs: {again}");
        let (_, _, replayed, again) = answer_of(post_with_key(&app, None, ORGANISATIONS, "shared-key", &body).await).await;
        assert!(replayed && again["id"] == ours["id"], "our replay is ours: {again}");
    }

    async fn create_returns_409_with_retry_after_when_the_first_request_still_runs(app: TestApp) {
        // Arrange: the first request started 5 seconds ago, on this instance or another.
        let body = organisation("Association Terres d'ESS", json!({}));
        let at = now() - TimeDelta::seconds(5);
        insert(&app, Row {
            subject: ADMIN_SUBJECT,
            key: "running",
            fingerprint: fingerprint(ORGANISATIONS, &body),
            done: false,
            started_at: at,
            expires_at: at + TimeDelta::hours(24),
        })
        .await;
        // Act
        let response = post_with_key(&app, None, ORGANISATIONS, "running", &body).await;
        // Assert
        assert_eq!(header(&response, "retry-after"), Some("1"), "Retry-After");
        problem_of(response, StatusCode::CONFLICT, "idempotency_key_in_use").await;
        assert_eq!(app.organisation_count().await, 0, "nothing written");
    }

    async fn create_takes_the_key_over_when_the_first_request_started_over_a_minute_ago(app: TestApp) {
        // Arrange: an instance stopped while serving the first request, before it wrote anything.
        let body = organisation("Scop des Garrigues", json!({"category": "cooperative"}));
        let at = now() - TimeDelta::seconds(61);
        insert(&app, Row {
            subject: ADMIN_SUBJECT,
            key: "crashed",
            fingerprint: fingerprint(ORGANISATIONS, &body),
            done: false,
            started_at: at,
            expires_at: at + TimeDelta::hours(24),
        })
        .await;
        // Act
        let (status, location, replayed, created) = answer_of(post_with_key(&app, None, ORGANISATIONS, "crashed", &body).await).await;
        // Assert
        assert_eq!(status, StatusCode::CREATED, "the retry runs: {created}");
        assert!(!replayed, "it is not a replay");
        assert_eq!(app.organisation_count().await, 1);
        let (_, again_location, replayed, _) = answer_of(post_with_key(&app, None, ORGANISATIONS, "crashed", &body).await).await;
        assert!(replayed && again_location == location, "then its answer is replayed");
    }

    async fn create_runs_afresh_when_the_key_has_expired(app: TestApp) {
        // Arrange: the key was used 25 hours ago for another request; another caller's expired
        // key lies around too.
        let body = organisation("Régie de quartier de Sète", json!({}));
        let at = now() - TimeDelta::hours(25);
        for (subject, key) in [(ADMIN_SUBJECT, "old-key"), ("another-caller", "forgotten")] {
            insert(&app, Row {
                subject,
                key,
                fingerprint: "0".repeat(64),
                done: true,
                started_at: at,
                expires_at: at + TimeDelta::hours(24),
            })
            .await;
        }
        // Act
        let (status, _, replayed, created) = answer_of(post_with_key(&app, None, ORGANISATIONS, "old-key", &body).await).await;
        // Assert
        assert_eq!(status, StatusCode::CREATED, "an expired key is free: {created}");
        assert!(!replayed, "not a replay of the expired answer");
        assert_eq!(app.organisation_count().await, 1);
        assert_eq!(
            stored_keys(&app).await,
            vec![(ADMIN_SUBJECT.to_owned(), "old-key".to_owned(), "done".to_owned())],
            "expired keys are deleted"
        );
    }

    async fn create_replays_on_another_instance_when_both_serve_one_database(app: TestApp) {
        // Arrange
        let body = organisation("Cress Occitanie", json!({"category": "network"}));
        let (_, location, _, created) = answer_of(post_with_key(&app, None, ORGANISATIONS, "two-instances", &body).await).await;
        let settings = settings_for(&app.database_url);
        let store = Store::connect(&settings).await.expect("the second instance connects");
        let listener = TcpListener::bind("127.0.0.1:0").expect("a free port");
        let port = listener.local_addr().expect("a bound address").port();
        tokio::spawn(cress_api::run(&settings, store, listener).expect("the second instance starts"));
        // Act
        let response = app
            .client
            .post(format!("http://127.0.0.1:{port}{ORGANISATIONS}"))
            .bearer_auth(sign_token_for("test", &Role::Admin))
            .header("idempotency-key", "two-instances")
            .header("content-type", "application/json")
            .body(bytes_of(&body))
            .send()
            .await
            .expect("the second instance answers");
        // Assert
        let (status, again_location, replayed, again) = answer_of(response).await;
        assert_eq!(status, StatusCode::CREATED);
        assert!(replayed, "the second instance replays the first one's answer");
        assert_eq!((again_location, again), (location, created));
        assert_eq!(app.organisation_count().await, 1);
    }

    async fn create_replays_a_422_when_the_same_invalid_request_comes_again(app: TestApp) {
        // Arrange
        let body = organisation("Association sans région", json!({"region_code": "05"}));
        let first = post_with_key(&app, None, ORGANISATIONS, "invalid-once", &body).await;
        let first = problem_of(first, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
        // Act
        let again = post_with_key(&app, None, ORGANISATIONS, "invalid-once", &body).await;
        // Assert
        assert_eq!(header(&again, "idempotent-replayed"), Some("true"));
        let again = problem_of(again, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
        assert_eq!(again, first, "the same problem");
    }

    async fn create_writes_once_when_concurrent_retries_share_a_key(app: TestApp) {
        // Arrange
        let body = organisation("Mutuelle des Pyrénées", json!({"category": "mutual"}));
        let request = app
            .as_admin()
            .request(Method::POST, ORGANISATIONS)
            .header("idempotency-key", "burst")
            .header("content-type", "application/json")
            .body(bytes_of(&body));
        // Act
        let tasks: Vec<_> = (0..8)
            .map(|_| {
                let request = request.try_clone().expect("a clonable request");
                tokio::spawn(async move { request.send().await.expect("the server answers") })
            })
            .collect();
        let mut answers = Vec::new();
        for task in tasks {
            let response = task.await.expect("the task ends");
            let retry_after = header(&response, "retry-after").map(str::to_owned);
            let (status, location, replayed, body) = answer_of(response).await;
            answers.push((status, location, replayed, retry_after, body));
        }
        // Assert
        assert_eq!(app.organisation_count().await, 1, "one organisation");
        let created: Vec<_> = answers.iter().filter(|a| a.0 == StatusCode::CREATED).collect();
        assert_eq!(created.iter().filter(|a| !a.2).count(), 1, "one request ran: {answers:?}");
        assert!(created.iter().all(|a| a.1 == created[0].1 && a.4 == created[0].4), "replays are the original: {answers:?}");
        for (status, _, _, retry_after, body) in &answers {
            assert!(
                *status == StatusCode::CREATED
                    || (*status == StatusCode::CONFLICT && body["code"] == "idempotency_key_in_use" && retry_after.as_deref() == Some("1")),
                "every answer is the 201 or a 409 idempotency_key_in_use: {answers:?}"
            );
        }
    }

    async fn create_runs_again_when_the_first_attempt_failed_on_our_side(app: TestApp) {
        // Arrange: the organisations table is gone, so the first attempt fails with a 5xx.
        let rename = |from: &str, to: &str| format!("alter table {from} rename to {to}");
        with_connection!(app, conn => {
            sqlx::query(sqlx::AssertSqlSafe(rename("organisations", "organisations_away")))
                .execute(&mut conn)
                .await
                .expect("the table is renamed");
        });
        let body = organisation("Entreprise d'insertion du Gard", json!({"category": "ess_company"}));
        let failed = post_with_key(&app, None, ORGANISATIONS, "after-failure", &body).await;
        assert!(failed.status().is_server_error(), "the first attempt fails: {}", failed.status());
        assert_eq!(stored_keys(&app).await, vec![], "a 5xx releases the key");
        with_connection!(app, conn => {
            sqlx::query(sqlx::AssertSqlSafe(rename("organisations_away", "organisations")))
                .execute(&mut conn)
                .await
                .expect("the table is back");
        });
        // Act
        let (status, _, replayed, created) = answer_of(post_with_key(&app, None, ORGANISATIONS, "after-failure", &body).await).await;
        // Assert
        assert_eq!(status, StatusCode::CREATED, "the retry runs: {created}");
        assert!(!replayed, "the failure is not replayed");
        assert_eq!(app.organisation_count().await, 1);
    }

    async fn post_ignores_the_key_when_the_answer_carries_credentials(app: TestApp) {
        // Arrange
        let client = json!({"name": "SI de la Mutuelle", "role": "viewer"});
        let logout = json!({"refresh_token": "not-a-token"});
        // Act
        let first = json_of(post_with_key(&app, None, "/api/v1/clients", "creds", &client).await, StatusCode::CREATED).await;
        let second = post_with_key(&app, None, "/api/v1/clients", "creds", &client).await;
        let replayed = header(&second, "idempotent-replayed").is_some();
        let second = json_of(second, StatusCode::CREATED).await;
        let secret_path = format!("/api/v1/clients/{}/secret", first["id"].as_str().expect("an id"));
        let renewed = post_with_key(&app, None, &secret_path, "creds-2", &json!({})).await;
        let logged_out = post_with_key(&app, None, "/api/v1/auth/logout", "creds-3", &logout).await;
        // Assert
        assert!(!replayed && first["client_id"] != second["client_id"], "each request ran: {first} {second}");
        assert_eq!(renewed.status(), StatusCode::OK, "a new secret");
        assert!(logged_out.status().is_success(), "logout answers {}", logged_out.status());
        assert_eq!(stored_keys(&app).await, vec![], "no answer with credentials is stored");
    }

    async fn post_returns_400_when_the_key_is_malformed(app: TestApp) {
        // Arrange
        let body = organisation("Clé invalide", json!({}));
        for (key, why) in [("a".repeat(256), "256 characters"), ("deux mots".to_owned(), "a space")] {
            // Act
            let response = post_with_key(&app, None, ORGANISATIONS, &key, &body).await;
            // Assert
            let problem = problem_of(response, StatusCode::BAD_REQUEST, "invalid_idempotency_key").await;
            assert!(problem["detail"].as_str().is_some_and(|d| d.contains("255")), "{why}: {problem}");
        }
        assert_eq!(app.organisation_count().await, 0);
    }

    async fn post_answers_as_without_a_key_when_the_caller_is_not_authenticated(app: TestApp) {
        // Arrange
        let body = organisation("Sans jeton", json!({}));
        // Act
        let anonymous = app
            .as_anonymous()
            .request(Method::POST, ORGANISATIONS)
            .header("idempotency-key", "anon")
            .json(&body)
            .send()
            .await
            .expect("the server answers");
        let refused = post_with_key(&app, Some("not.a.token"), ORGANISATIONS, "anon", &body).await;
        // Assert
        problem_of(anonymous, StatusCode::UNAUTHORIZED, "unauthenticated").await;
        problem_of(refused, StatusCode::UNAUTHORIZED, "invalid_token").await;
        assert_eq!(stored_keys(&app).await, vec![], "nothing stored");
    }

    async fn post_returns_413_when_a_keyed_body_is_too_large(app: TestApp) {
        // Arrange
        let body = organisation(&"n".repeat(crate::helpers::BODY_LIMIT as usize), json!({}));
        // Act
        let response = post_with_key(&app, None, ORGANISATIONS, "large", &body).await;
        // Assert
        problem_of(response, StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large").await;
        assert_eq!(stored_keys(&app).await, vec![], "nothing stored");
    }

    async fn create_replays_only_to_the_same_principal_when_tokens_share_a_sub(app: TestApp) {
        // Arrange: an administrator creates with contacts; every other token has the same `sub`.
        let body = organisation(
            "Association des jardins partagés",
            json!({"email": "contact@jardins.example", "phone": "04 67 00 00 00"}),
        );
        let admin = sign_token_for("shared-subject", &Role::Admin);
        let created = json_of(post_with_key(&app, Some(&admin), ORGANISATIONS, "shared", &body).await, StatusCode::CREATED).await;
        // Act
        let viewer = post_with_key(&app, Some(&sign_token_for("shared-subject", &Role::Viewer)), ORGANISATIONS, "shared", &body).await;
        let manager_token = sign_token_for("shared-subject", &crate::helpers::manager_of("76"));
        let manager = post_with_key(&app, Some(&manager_token), ORGANISATIONS, "shared", &body).await;
        // Assert: the viewer is refused (not handed the administrator's 201 with its contacts)
        // and the manager's request runs as its own.
        assert_eq!(header(&viewer, "idempotent-replayed"), None);
        problem_of(viewer, StatusCode::FORBIDDEN, "forbidden").await;
        let (status, _, replayed, theirs) = answer_of(manager).await;
        assert_eq!(status, StatusCode::CREATED, "{theirs}");
        assert!(!replayed, "not a replay of the administrator's answer");
        assert_ne!(theirs["id"], created["id"]);
        let (_, _, replayed, again) = answer_of(post_with_key(&app, Some(&admin), ORGANISATIONS, "shared", &body).await).await;
        assert!(replayed && again["id"] == created["id"], "the administrator still replays its own: {again}");
    }

    async fn post_stores_nothing_when_the_policy_refuses_the_caller(app: TestApp) {
        // Arrange
        let body = organisation("Refusée", json!({"region_code": "11"}));
        let viewer = sign_token_for("viewer-1", &Role::Viewer);
        let manager = sign_token_for("manager-76", &crate::helpers::manager_of("76"));
        // Act: a viewer may write nothing; a manager of region 76 may not create in region 11.
        for n in 0..20 {
            let response = post_with_key(&app, Some(&viewer), ORGANISATIONS, &format!("viewer-{n}"), &body).await;
            problem_of(response, StatusCode::FORBIDDEN, "forbidden").await;
        }
        let response = post_with_key(&app, Some(&manager), ORGANISATIONS, "manager-1", &body).await;
        problem_of(response, StatusCode::FORBIDDEN, "forbidden").await;
        // Assert
        assert_eq!(stored_keys(&app).await, vec![], "no key kept for refused callers");
        assert_eq!(app.organisation_count().await, 0);
    }
}
