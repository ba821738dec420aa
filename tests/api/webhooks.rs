//! Webhooks (issue 17): subscriptions, signed deliveries from the change log, at least once and
//! in order, retries and their budget, the address guard, two instances sharing the work, and
//! who manages which subscription. Receivers are real HTTP servers on 127.0.0.1.

use std::collections::HashMap;
use std::net::TcpListener;
use std::sync::atomic::{AtomicU16, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use reqwest::StatusCode;
use serde_json::{Value, json};
use sha2::Sha256;

use crate::helpers::{Backend, TestApp, json_of, organisation, partner_of, problem_of};
use crate::on_both_backends;

/// One request a receiver got.
#[derive(Debug, Clone)]
struct Received {
    path: String,
    id: String,
    timestamp: String,
    signature: String,
    body: Vec<u8>,
    /// The status it answered.
    answered: u16,
}

impl Received {
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).expect("a JSON body")
    }
}

#[derive(Default)]
struct ReceiverState {
    received: Mutex<Vec<Received>>,
    /// The status to answer.
    status: AtomicU16,
    /// Milliseconds to wait before answering.
    delay_ms: AtomicU64,
    /// Requests being answered now, by path, and the most seen at once.
    in_flight: Mutex<HashMap<String, (usize, usize)>>,
}

/// A receiver of deliveries on 127.0.0.1 that records every request.
struct Receiver {
    address: String,
    state: Arc<ReceiverState>,
}

async fn receive(request: HttpRequest, body: web::Bytes, state: web::Data<ReceiverState>) -> HttpResponse {
    let path = request.path().to_owned();
    {
        let mut flights = state.in_flight.lock().unwrap();
        let entry = flights.entry(path.clone()).or_default();
        entry.0 += 1;
        entry.1 = entry.1.max(entry.0);
    }
    let delay = state.delay_ms.load(Ordering::SeqCst);
    if delay > 0 {
        tokio::time::sleep(Duration::from_millis(delay)).await;
    }
    let header = |name: &str| {
        request
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    };
    let answered = state.status.load(Ordering::SeqCst);
    state.received.lock().unwrap().push(Received {
        path: path.clone(),
        id: header("webhook-id"),
        timestamp: header("webhook-timestamp"),
        signature: header("webhook-signature"),
        body: body.to_vec(),
        answered,
    });
    state.in_flight.lock().unwrap().entry(path).or_default().0 -= 1;
    HttpResponse::build(actix_web::http::StatusCode::from_u16(answered).unwrap()).body("received")
}

impl Receiver {
    async fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("a free port");
        let port = listener.local_addr().unwrap().port();
        let state = Arc::new(ReceiverState::default());
        state.status.store(200, Ordering::SeqCst);
        let data = web::Data::from(state.clone());
        let server = HttpServer::new(move || App::new().app_data(data.clone()).default_service(web::to(receive)))
            .workers(2)
            .disable_signals()
            .listen(listener)
            .expect("the receiver listens")
            .run();
        tokio::spawn(server);
        Self {
            address: format!("http://127.0.0.1:{port}"),
            state,
        }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    fn answer(&self, status: u16) {
        self.state.status.store(status, Ordering::SeqCst);
    }

    /// The requests acknowledged (answered 2xx) so far.
    fn delivered(&self) -> Vec<Received> {
        let received = self.state.received.lock().unwrap();
        received
            .iter()
            .filter(|r| (200..300).contains(&r.answered))
            .cloned()
            .collect()
    }

    fn all(&self) -> Vec<Received> {
        self.state.received.lock().unwrap().clone()
    }

    /// Waits (up to 20 s) until `n` requests were acknowledged; all of them.
    async fn wait_for(&self, n: usize) -> Vec<Received> {
        for _ in 0..400 {
            let delivered = self.delivered();
            if delivered.len() >= n {
                return delivered;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!(
            "{} deliveries acknowledged, {n} expected: {:?}",
            self.delivered().len(),
            self.all()
        );
    }
}

/// Whether one of the signatures of `received` verifies with `secret`, as the README tells
/// receivers to check it: HMAC-SHA256 of `{id}.{timestamp}.{body}` keyed with the base64-decoded
/// secret after `whsec_`.
fn signed_with(received: &Received, secret: &str) -> bool {
    let key = STANDARD
        .decode(secret.strip_prefix("whsec_").expect("a whsec_ secret"))
        .expect("base64");
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).unwrap();
    mac.update(format!("{}.{}.", received.id, received.timestamp).as_bytes());
    mac.update(&received.body);
    let expected = format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes()));
    received.signature.split(' ').any(|s| s == expected)
}

async fn subscribe(app: &TestApp, url: &str, extra: Value) -> Value {
    let mut body = json!({"url": url});
    for (k, v) in extra.as_object().unwrap() {
        body[k] = v.clone();
    }
    json_of(app.post_json("/api/v1/webhooks", &body).await, StatusCode::CREATED).await
}

/// Polls `path` as admin (up to 20 s) until `done` holds of its body.
async fn eventually(app: &TestApp, path: &str, done: impl Fn(&Value) -> bool) -> Value {
    let mut last = Value::Null;
    for _ in 0..400 {
        last = json_of(app.get(path).await, StatusCode::OK).await;
        if done(&last) {
            return last;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("{path} never got there: {last}");
}

on_both_backends! {
    async fn subscriptions_made_while_the_register_is_written_all_succeed(app: TestApp) {
        // A subscription reads the head of the change log, then writes: on SQLite that must wait
        // for the other writers, not be refused because one of them committed in between.
        let hooks: Vec<Value> = (0..24).map(|i| json!({"url": format!("https://si.mutuelle.example/hooks/{i}")})).collect();
        let organisations: Vec<Value> = (0..24).map(|i| organisation(&format!("Écrite {i}"), json!({}))).collect();
        let subscriptions = hooks.iter().map(|body| app.post_json("/api/v1/webhooks", body));
        let writes = organisations.iter().map(|body| app.post_json("/api/v1/organisations", body));
        let (subscribed, written) =
            futures_util::future::join(futures_util::future::join_all(subscriptions), futures_util::future::join_all(writes)).await;
        let statuses: Vec<StatusCode> = subscribed.iter().chain(&written).map(reqwest::Response::status).collect();
        assert!(statuses.iter().all(|s| *s == StatusCode::CREATED), "every write succeeds: {statuses:?}");
    }

    async fn subscribers_receive_each_change_signed_as_the_feed_shows_it_in_commit_order(app: TestApp) {
        let receiver = Receiver::start().await;
        let response = app
            .as_admin()
            .post_json("/api/v1/webhooks", &json!({"url": receiver.url("/hooks"), "types": ["organisation"]}))
            .await;
        assert_eq!(response.headers()["cache-control"], "no-store");
        let location = response.headers()["location"].to_str().unwrap().to_owned();
        let created = json_of(response, StatusCode::CREATED).await;
        let secret = created["secret"].as_str().unwrap().to_owned();
        assert!(secret.starts_with("whsec_") && STANDARD.decode(&secret[6..]).unwrap().len() == 32);
        assert_eq!(created["types"], json!(["organisation"]));
        assert_eq!(created["owner"]["role"], "admin");
        let shown = json_of(app.get(&location).await, StatusCode::OK).await;
        assert!(shown.get("secret").is_none(), "the secret is shown once: {shown}");

        let org = app.create_organisation(organisation("Régie de quartier de Lodève", json!({}))).await;
        let path = format!("/api/v1/organisations/{}", org["id"].as_str().unwrap());
        json_of(app.patch_json(&path, &json!({"city": "Lodève"})).await, StatusCode::OK).await;
        // A club is not among the types wanted: passed over.
        json_of(
            app.post_json("/api/v1/clubs", &json!({"name": "Club ESS", "region_code": "76", "host_organisation_id": org["id"]})).await,
            StatusCode::CREATED,
        ).await;
        let other = app.create_organisation(organisation("Mutuelle de l'Hérault", json!({}))).await;

        let delivered = receiver.wait_for(3).await;
        let feed = json_of(app.get("/api/v1/changes?types=organisation").await, StatusCode::OK).await;
        let items = feed["items"].as_array().unwrap();
        assert_eq!(delivered.len(), 3, "{delivered:?}");
        for (received, item) in delivered.iter().zip(items) {
            assert_eq!(received.json(), *item, "the body is the feed's item");
            assert_eq!(received.id, format!("msg_{}", item["position"].as_str().unwrap()));
            assert!(signed_with(received, &secret), "signature {received:?}");
            let at: i64 = received.timestamp.parse().unwrap();
            assert!((chrono::Utc::now().timestamp() - at).abs() < 60);
        }
        assert_eq!(delivered[2].json()["id"], other["id"]);
        let log = eventually(&app, &format!("{location}/deliveries"), |log| log["items"].as_array().unwrap().len() == 3).await;
        assert_eq!(log["attempts"], 0);
        assert_eq!(log["items"][0]["status"], 200);
        assert_eq!(log["items"][0]["response"], "received");
        assert_eq!(log["position"], items[2]["position"]);
    }

    async fn a_partner_never_receives_another_sponsors_amounts(app: TestApp) {
        let receiver = Receiver::start().await;
        let mine = app.create_organisation(organisation("Mutuelle solidaire", json!({}))).await;
        let theirs = app.create_organisation(organisation("Banque coopérative", json!({}))).await;
        let beneficiary = app.create_organisation(organisation("Association bénéficiaire", json!({}))).await;
        let partner = partner_of(&mine["id"]);
        let created = json_of(
            app.as_subject("si-mutuelle", &partner)
                .post_json("/api/v1/webhooks", &json!({"url": receiver.url("/partner"), "types": ["sponsorship"]}))
                .await,
            StatusCode::CREATED,
        ).await;
        assert_eq!(created["owner"]["role"], "partner");
        assert_eq!(created["owner"]["organisation_id"], mine["id"]);
        for sponsor in [&theirs, &mine] {
            json_of(
                app.post_json("/api/v1/sponsorships", &json!({
                    "sponsor_id": sponsor["id"],
                    "beneficiary": {"type": "organisation", "id": beneficiary["id"]},
                    "kind": "financial_patronage",
                    "amount_cents": 1_500_000,
                    "counterparts_cents": 150_000,
                    "starts_on": "2026-01-01",
                    "status": "active",
                    "public": false,
                    "notes": "Convention 2026"
                })).await,
                StatusCode::CREATED,
            ).await;
        }
        let delivered = receiver.wait_for(2).await;
        let (other, own) = (delivered[0].json(), delivered[1].json());
        assert_eq!(other["data"]["sponsor_id"], theirs["id"]);
        for key in ["amount_cents", "counterparts_cents", "notes"] {
            assert!(other["data"].get(key).is_none(), "another sponsor's {key} leaked: {other}");
            assert!(own["data"].get(key).is_some(), "its own {key} is delivered: {own}");
        }
        assert_eq!(own["data"]["amount_cents"], 1_500_000);

        // A subscription whose creator's account is gone (an API client id that names no
        // client) is switched off at its first delivery, with the reason.
        let orphan = json_of(
            app.as_subject("cli_deleted", &partner)
                .post_json("/api/v1/webhooks", &json!({"url": receiver.url("/orphan")}))
                .await,
            StatusCode::CREATED,
        ).await;
        app.create_organisation(organisation("Ressourcerie", json!({}))).await;
        let path = format!("/api/v1/webhooks/{}", orphan["id"].as_str().unwrap());
        let disabled = eventually(&app, &path, |w| w["active"] == false).await;
        assert_eq!(disabled["disabled_reason"], "its owner's account no longer exists");
        assert!(receiver.all().iter().all(|r| r.path != "/orphan"));
    }

    async fn a_receiver_that_was_down_gets_every_change_in_order_once_it_is_back(app: TestApp) {
        let receiver = Receiver::start().await;
        receiver.answer(503);
        let created = subscribe(&app, &receiver.url("/down"), json!({"types": ["organisation"], "actions": ["created"]})).await;
        let id = created["id"].as_str().unwrap().to_owned();
        let mut names = Vec::new();
        for n in 0..5 {
            let name = format!("Coopérative {n}");
            app.create_organisation(organisation(&name, json!({}))).await;
            names.push(name);
        }
        let log = eventually(&app, &format!("/api/v1/webhooks/{id}/deliveries"), |log| log["attempts"].as_i64() >= Some(2)).await;
        assert!(log["failing_since"].is_string() && log["next_attempt_at"].is_string(), "{log}");
        assert_eq!(log["items"][0]["status"], 503);
        assert_eq!(log["items"][0]["error"], "the receiver answered 503");
        receiver.answer(204);
        let delivered = receiver.wait_for(5).await;
        let got: Vec<String> = delivered.iter().map(|r| r.json()["data"]["name"].as_str().unwrap().to_owned()).collect();
        assert_eq!(got, names, "every change once, in commit order");
        // Every failed attempt was at the first change: nothing was skipped or reordered.
        let first = &delivered[0].id;
        assert!(receiver.all().iter().filter(|r| r.answered == 503).all(|r| &r.id == first));
        let log = eventually(&app, &format!("/api/v1/webhooks/{id}/deliveries"), |log| log["attempts"] == 0).await;
        assert!(log["failing_since"].is_null());
    }

    async fn a_receiver_answered_with_errors_the_ping_redelivery_and_rotation_work(app: TestApp) {
        let receiver = Receiver::start().await;
        let created = subscribe(&app, &receiver.url("/ops"), json!({"types": ["organisation"]})).await;
        let id = created["id"].as_str().unwrap().to_owned();
        let first_secret = created["secret"].as_str().unwrap().to_owned();
        let ping = json_of(app.post_json(&format!("/api/v1/webhooks/{id}/ping"), &json!({})).await, StatusCode::OK).await;
        assert_eq!(ping["status"], 200);
        assert!(ping["position"].is_null());
        let pinged = receiver.wait_for(1).await;
        assert_eq!(pinged[0].json()["type"], "ping");
        assert!(signed_with(&pinged[0], &first_secret));

        app.create_organisation(organisation("Scop du Larzac", json!({}))).await;
        let delivered = receiver.wait_for(2).await;
        let first_change = delivered[1].clone();

        let rotated = json_of(app.post_json(&format!("/api/v1/webhooks/{id}/secret"), &json!({})).await, StatusCode::OK).await;
        let new_secret = rotated["secret"].as_str().unwrap().to_owned();
        assert_ne!(new_secret, first_secret);
        let valid_until = chrono::DateTime::parse_from_rfc3339(rotated["previous_secret_valid_until"].as_str().unwrap()).unwrap();
        let hours = (valid_until.with_timezone(&chrono::Utc) - chrono::Utc::now()).num_minutes();
        assert!((23 * 60..=24 * 60).contains(&hours), "{hours} minutes");
        app.create_organisation(organisation("Scop de Millau", json!({}))).await;
        let delivered = receiver.wait_for(3).await;
        assert_eq!(delivered[2].signature.split(' ').count(), 2, "both secrets sign for a day");
        assert!(signed_with(&delivered[2], &new_secret) && signed_with(&delivered[2], &first_secret));

        // Deliver again after the ping's change: the two changes come again, with their ids.
        let before = json_of(app.get("/api/v1/changes?types=organisation").await, StatusCode::OK).await;
        let position_before_first = {
            let items = before["items"].as_array().unwrap();
            let at = items.iter().position(|i| format!("msg_{}", i["position"].as_str().unwrap()) == first_change.id).unwrap();
            if at == 0 { Value::Null } else { items[at - 1]["position"].clone() }
        };
        let log = json_of(
            app.post_json(&format!("/api/v1/webhooks/{id}/redeliver"), &json!({"after": position_before_first})).await,
            StatusCode::OK,
        ).await;
        assert!(log["items"].is_array());
        let again = receiver.wait_for(5).await;
        assert_eq!(again[3].id, first_change.id);
        assert_eq!(again[4].id, delivered[2].id);
        assert_eq!(again[3].body, first_change.body);

        // A position that is not one: 422 naming `after`.
        let problem = problem_of(
            app.post_json(&format!("/api/v1/webhooks/{id}/redeliver"), &json!({"after": "!!"})).await,
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
        ).await;
        assert_eq!(problem["errors"][0]["field"], "after");
    }

    async fn subscriptions_belong_to_their_creator_and_administrators(app: TestApp) {
        let org = app.create_organisation(organisation("Mutuelle solidaire", json!({}))).await;
        let partner = partner_of(&org["id"]);
        let body = json!({"url": "http://127.0.0.1:9/hooks", "active": false});
        let mine = json_of(app.as_subject("cli_a", &partner).post_json("/api/v1/webhooks", &body).await, StatusCode::CREATED).await;
        let admins = json_of(app.post_json("/api/v1/webhooks", &body).await, StatusCode::CREATED).await;
        let path = format!("/api/v1/webhooks/{}", mine["id"].as_str().unwrap());

        let listed = json_of(app.as_subject("cli_a", &partner).get("/api/v1/webhooks").await, StatusCode::OK).await;
        let ids: Vec<&Value> = listed["items"].as_array().unwrap().iter().map(|w| &w["id"]).collect();
        assert_eq!(ids, [&mine["id"]], "a partner lists its own only");
        let all = json_of(app.get("/api/v1/webhooks").await, StatusCode::OK).await;
        assert_eq!(all["items"].as_array().unwrap().len(), 2, "administrators list all");
        assert_eq!(all["items"][1]["id"], admins["id"]);

        // Another partner of the same organisation, another caller: not its business.
        problem_of(app.as_subject("cli_b", &partner).get(&path).await, StatusCode::NOT_FOUND, "not_found").await;
        problem_of(app.as_subject("cli_b", &partner).delete(&path).await, StatusCode::NOT_FOUND, "not_found").await;
        let changed = json_of(app.as_subject("cli_a", &partner).patch_json(&path, &json!({"description": "SI adhérents", "types": ["event", "event"]})).await, StatusCode::OK).await;
        assert_eq!(changed["types"], json!(["event"]));
        assert_eq!(changed["version"], 2);

        // Bad settings: every failing field at once.
        let problem = problem_of(
            app.as_subject("cli_a", &partner).patch_json(&path, &json!({"types": ["user"], "actions": [], "url": null})).await,
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
        ).await;
        let mut fields: Vec<&str> = problem["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
        fields.sort_unstable();
        assert_eq!(fields, ["actions", "types", "url"], "{problem}");

        // Viewers poll the feed; anonymous callers log in.
        problem_of(app.as_role(&cress_api::core::Role::Viewer).post_json("/api/v1/webhooks", &body).await, StatusCode::FORBIDDEN, "forbidden").await;
        problem_of(app.as_anonymous().get("/api/v1/webhooks").await, StatusCode::UNAUTHORIZED, "unauthenticated").await;

        let response = app.as_subject("cli_a", &partner).delete(&path).await;
        assert_eq!(response.status(), StatusCode::NO_CONTENT);
        problem_of(app.get(&path).await, StatusCode::NOT_FOUND, "not_found").await;
    }

    async fn unsafe_urls_are_refused_at_creation_and_at_delivery(app: TestApp) {
        // `app` allows 127.0.0.1 (as every test server); a strict server on the same database
        // allows nothing.
        let strict = app.spawn_beside(|s| {
            s.webhooks.webhook_allowed_hosts.clear();
        }).await;
        let client = reqwest::Client::new();
        let token = crate::helpers::sign_test_token(&cress_api::core::Role::Admin);
        for url in [
            "http://127.0.0.1:8080/hooks",
            "http://localhost/hooks",
            "http://169.254.169.254/latest/meta-data/",
            "http://[::1]/hooks",
            "http://10.0.0.8/hooks",
            "ftp://hooks.example/x",
            "https://user:secret@127.0.0.1/hooks",
        ] {
            let response = client
                .post(format!("{strict}/api/v1/webhooks"))
                .bearer_auth(&token)
                .json(&json!({"url": url}))
                .send()
                .await
                .unwrap();
            let problem = problem_of(response, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
            assert_eq!(problem["errors"][0]["field"], "url", "{url}: {problem}");
            assert_eq!(problem["errors"][0]["code"], "unsafe_url", "{url}: {problem}");
        }
        let listed = json_of(app.get("/api/v1/webhooks").await, StatusCode::OK).await;
        assert_eq!(listed["items"], json!([]), "nothing was created");
    }
}

/// A subscription accepted by a server that allows 127.0.0.1 is still refused at delivery by
/// one that does not: the guard is asked at every delivery.
async fn unsafe_at_delivery(backend: Backend) {
    // The server that accepts the URL looks for due subscriptions once a minute (the first time a
    // minute after it starts): the strict one delivers.
    let Some(app) = TestApp::spawn_with(backend, |s| s.webhooks.webhook_poll_milliseconds = 60_000).await else {
        return eprintln!("TEST_DATABASE_URL is unset: PostgreSQL variant not run");
    };
    let receiver = Receiver::start().await;
    let created = subscribe(&app, &receiver.url("/private"), json!({})).await;
    app.spawn_beside(|s| s.webhooks.webhook_allowed_hosts.clear()).await;
    app.create_organisation(organisation("Recyclerie", json!({}))).await;
    let id = created["id"].as_str().unwrap();
    let log = eventually(&app, &format!("/api/v1/webhooks/{id}/deliveries"), |log| {
        !log["items"].as_array().unwrap().is_empty()
    })
    .await;
    let attempt = &log["items"][0];
    assert!(attempt["status"].is_null(), "{attempt}");
    let error = attempt["error"].as_str().unwrap();
    assert!(
        error.contains("refused") && error.contains("127.0.0.1") && error.contains("loopback"),
        "{error}"
    );
    assert!(receiver.all().is_empty(), "nothing reached the private address");
}

#[tokio::test]
async fn unsafe_urls_are_refused_at_delivery_sqlite() {
    unsafe_at_delivery(Backend::Sqlite).await;
}

#[tokio::test]
async fn unsafe_urls_are_refused_at_delivery_postgres() {
    unsafe_at_delivery(Backend::Postgres).await;
}

/// Deliveries failing for longer than the retry budget switch the subscription off, with the
/// reason; switched on again, it starts where it stopped.
async fn retry_budget(backend: Backend) {
    let Some(app) = TestApp::spawn_with(backend, |s| s.webhooks.webhook_retry_for_seconds = 1).await else {
        return eprintln!("TEST_DATABASE_URL is unset: PostgreSQL variant not run");
    };
    let receiver = Receiver::start().await;
    receiver.answer(500);
    let created = subscribe(&app, &receiver.url("/budget"), json!({"types": ["organisation"]})).await;
    let path = format!("/api/v1/webhooks/{}", created["id"].as_str().unwrap());
    app.create_organisation(organisation("Épicerie solidaire", json!({})))
        .await;
    let disabled = eventually(&app, &path, |w| w["active"] == false).await;
    let reason = disabled["disabled_reason"].as_str().unwrap();
    assert!(
        reason.contains("the receiver answered 500") && reason.contains("active"),
        "{reason}"
    );
    let attempts = receiver.all().len();
    assert!(attempts >= 2, "retried before giving up: {attempts}");
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(receiver.all().len(), attempts, "no attempt once disabled");

    receiver.answer(200);
    let resumed = json_of(app.patch_json(&path, &json!({"active": true})).await, StatusCode::OK).await;
    assert!(resumed["disabled_reason"].is_null());
    let delivered = receiver.wait_for(1).await;
    assert_eq!(delivered[0].json()["data"]["name"], "Épicerie solidaire");
}

#[tokio::test]
async fn the_retry_budget_disables_a_subscription_sqlite() {
    retry_budget(Backend::Sqlite).await;
}

#[tokio::test]
async fn the_retry_budget_disables_a_subscription_postgres() {
    retry_budget(Backend::Postgres).await;
}

/// Two servers on one database share the deliveries: every change reaches each subscription
/// once and in order, and no subscription ever has two deliveries in flight at once.
async fn two_instances(backend: Backend) {
    let Some(app) = TestApp::spawn_with(backend, |_| {}).await else {
        return eprintln!("TEST_DATABASE_URL is unset: PostgreSQL variant not run");
    };
    app.spawn_beside(|_| {}).await;
    let receiver = Receiver::start().await;
    receiver.state.delay_ms.store(20, Ordering::SeqCst);
    for path in ["/a", "/b", "/c"] {
        subscribe(&app, &receiver.url(path), json!({"types": ["organisation"]})).await;
    }
    let mut names = Vec::new();
    for n in 0..12 {
        let name = format!("Association {n}");
        app.create_organisation(organisation(&name, json!({}))).await;
        names.push(name);
    }
    let delivered = receiver.wait_for(36).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(receiver.delivered().len(), 36, "nothing sent twice");
    for path in ["/a", "/b", "/c"] {
        let got: Vec<String> = delivered
            .iter()
            .filter(|r| r.path == path)
            .map(|r| r.json()["data"]["name"].as_str().unwrap().to_owned())
            .collect();
        assert_eq!(got, names, "{path}: every change once, in order");
        let (_, most) = receiver.state.in_flight.lock().unwrap()[path];
        assert_eq!(most, 1, "{path}: one delivery at a time");
    }
}

#[tokio::test]
async fn two_instances_share_the_deliveries_without_sending_one_twice_sqlite() {
    two_instances(Backend::Sqlite).await;
}

#[tokio::test]
async fn two_instances_share_the_deliveries_without_sending_one_twice_postgres() {
    two_instances(Backend::Postgres).await;
}

/// The position of a subscription is in the database: changes made while its receiver was down
/// reach it, in order, from the next server after a restart.
#[tokio::test]
async fn nothing_is_lost_across_a_restart_of_the_server() {
    use crate::process::ServerProcess;
    let dir = tempfile::tempdir().expect("a temporary folder");
    let database = format!("sqlite://{}", dir.path().join("cress.db").display());
    let env = [
        ("DATABASE_URL", database.as_str()),
        ("JWT_SECRET", crate::helpers::TEST_JWT_SECRET),
        ("WEBHOOK_ALLOWED_HOSTS", "127.0.0.1"),
        ("WEBHOOK_POLL_MILLISECONDS", "100"),
        ("WEBHOOK_RETRY_BASE_MILLISECONDS", "100"),
    ];
    let receiver = Receiver::start().await;
    receiver.answer(503);
    let mut first = ServerProcess::start(dir.path(), &env);
    let client = reqwest::Client::new();
    let token = crate::helpers::sign_test_token(&cress_api::core::Role::Admin);
    let post = |url: String, body: Value| client.post(url).bearer_auth(&token).json(&body).send();
    let created = post(first.url("/api/v1/webhooks"), json!({"url": receiver.url("/restart")}))
        .await
        .unwrap();
    assert_eq!(created.status(), StatusCode::CREATED);
    let mut names = Vec::new();
    for n in 0..3 {
        let name = format!("Coopérative d'activité {n}");
        let response = post(first.url("/api/v1/organisations"), organisation(&name, json!({})))
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::CREATED);
        names.push(name);
    }
    for _ in 0..200 {
        if !receiver.all().is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(!receiver.all().is_empty(), "the first server tried");
    first.signal("TERM");
    first
        .wait_for_exit(Duration::from_secs(30))
        .expect("the first server stops");

    receiver.answer(200);
    let _second = ServerProcess::start(dir.path(), &env);
    let delivered = receiver.wait_for(3).await;
    let got: Vec<String> = delivered
        .iter()
        .map(|r| r.json()["data"]["name"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(got, names);
}
