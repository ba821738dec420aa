//! Login limits that hold under attack: parallel guesses count as sequential ones, the counts
//! are in the database (shared by instances, kept across restarts), and an attacker at one
//! address cannot lock the owner out at another. And sessions that end: refreshing never takes
//! a session past its absolute lifetime.

use std::net::TcpListener;

use reqwest::{Response, StatusCode};
use serde_json::{Value, json};

use cress_api::config::{IpRanges, Settings};
use cress_api::store::Store;

use crate::helpers::{TestApp, json_of, problem_of, settings_for};
use crate::on_both_backends;

const TOKEN: &str = "/api/v1/auth/token";
const USERS: &str = "/api/v1/users";
const EMAIL: &str = "claire@example.org";
const PASSWORD: &str = "une phrase de passe assez longue";

/// Another server on the database of `app` with `settings` changed by `change`; its base URL.
async fn instance(app: &TestApp, change: impl FnOnce(&mut Settings)) -> String {
    let mut settings = settings_for(&app.database_url);
    change(&mut settings);
    let store = Store::connect(&settings).await.expect("the instance connects");
    let listener = TcpListener::bind("127.0.0.1:0").expect("a free port");
    let port = listener.local_addr().expect("a bound address").port();
    tokio::spawn(cress_api::run(&settings, store, listener).expect("the instance starts"));
    format!("http://127.0.0.1:{port}")
}

/// A server that believes the `X-Forwarded-For` of 127.0.0.1, as behind a local proxy.
async fn behind_a_proxy(app: &TestApp, change: impl FnOnce(&mut Settings)) -> String {
    instance(app, |settings| {
        settings.server.trusted_proxies = IpRanges::parse("127.0.0.1").expect("a range");
        change(settings);
    })
    .await
}

async fn create_user(app: &TestApp) {
    let body = json!({"email": EMAIL, "password": PASSWORD, "role": "viewer"});
    json_of(app.post_json(USERS, &body).await, StatusCode::CREATED).await;
}

/// A login at `base` with `password`, from the client address `from` when a proxy is believed.
async fn login(app: &TestApp, base: &str, password: &str, from: Option<&str>) -> Response {
    let mut request = app
        .client
        .post(format!("{base}{TOKEN}"))
        .json(&json!({"email": EMAIL, "password": password}));
    if let Some(address) = from {
        request = request.header("x-forwarded-for", address);
    }
    request.send().await.expect("the server answers")
}

/// How many answers had each status.
fn count(statuses: &[StatusCode], status: StatusCode) -> usize {
    statuses.iter().filter(|s| **s == status).count()
}

on_both_backends! {
    async fn parallel_wrong_passwords_count_as_sequential_ones(app: TestApp) {
        // Arrange
        create_user(&app).await;
        // Act: 60 wrong passwords at once, then the right one.
        let burst: Vec<_> = (0..60)
            .map(|n| {
                let request = app.client.post(app.url(TOKEN)).json(&json!({"email": EMAIL, "password": format!("guess {n}")}));
                tokio::spawn(async move { request.send().await.expect("the server answers").status() })
            })
            .collect();
        let mut statuses = Vec::new();
        for answer in burst {
            statuses.push(answer.await.expect("the request task ends"));
        }
        let right = login(&app, &app.address, PASSWORD, None).await;
        // Assert: exactly 5 passwords were checked, as if sent one after the other.
        assert_eq!(count(&statuses, StatusCode::BAD_REQUEST), 5, "{statuses:?}");
        assert_eq!(count(&statuses, StatusCode::TOO_MANY_REQUESTS), 55, "{statuses:?}");
        problem_of(right, StatusCode::TOO_MANY_REQUESTS, "too_many_requests").await;
    }

    async fn the_right_password_in_a_parallel_burst_gets_no_more_than_its_sequential_chance(app: TestApp) {
        // Arrange
        create_user(&app).await;
        // Act: 40 wrong passwords and the right one, all at once.
        let burst: Vec<_> = (0..41)
            .map(|n| {
                let password = if n == 40 { PASSWORD.to_owned() } else { format!("guess {n}") };
                let request = app.client.post(app.url(TOKEN)).json(&json!({"email": EMAIL, "password": password}));
                tokio::spawn(async move { request.send().await.expect("the server answers").status() })
            })
            .collect();
        let mut statuses = Vec::new();
        for answer in burst {
            statuses.push(answer.await.expect("the request task ends"));
        }
        // Assert: what the same requests one after the other could give, in some order. The
        // right password is checked only while fewer than 5 failures are counted; when it is
        // (200) it clears its counter, and at most 5 more wrong ones are checked after it. So:
        // not logged in and exactly 5 wrong passwords checked, or logged in with 4 at most
        // before it and 5 at most after it; every other request 429.
        let (wrong, right) = (count(&statuses, StatusCode::BAD_REQUEST), count(&statuses, StatusCode::OK));
        let sequential = if right == 0 { 5..=5 } else { 5..=9 };
        assert!(right <= 1 && sequential.contains(&wrong), "{statuses:?}");
        assert_eq!(count(&statuses, StatusCode::TOO_MANY_REQUESTS), 41 - wrong - right, "{statuses:?}");
    }

    async fn failures_counted_by_one_instance_hold_on_another_and_after_a_restart(app: TestApp) {
        // Arrange: 5 wrong passwords on the first instance.
        create_user(&app).await;
        for _ in 0..5 {
            assert_eq!(login(&app, &app.address, "wrong", None).await.status(), StatusCode::BAD_REQUEST);
        }
        // Act: a second instance (a restart is a new instance on the same database).
        let other = instance(&app, |_| {}).await;
        let response = login(&app, &other, PASSWORD, None).await;
        // Assert
        assert!(response.headers().get("retry-after").is_some());
        problem_of(response, StatusCode::TOO_MANY_REQUESTS, "too_many_requests").await;
    }

    async fn an_attacker_at_one_address_cannot_lock_the_owner_out_at_another(app: TestApp) {
        // Arrange: behind a trusted proxy, an attacker at 198.51.100.7 guesses 30 times.
        create_user(&app).await;
        let base = behind_a_proxy(&app, |_| {}).await;
        let mut statuses = Vec::new();
        for _ in 0..30 {
            statuses.push(login(&app, &base, "wrong", Some("198.51.100.7")).await.status());
        }
        // Act
        let owner = login(&app, &base, PASSWORD, Some("203.0.113.9")).await;
        let attacker = login(&app, &base, PASSWORD, Some("198.51.100.7")).await;
        // Assert: the attacker is stopped after 5, the owner logs in from its own address.
        assert_eq!(count(&statuses, StatusCode::BAD_REQUEST), 5, "{statuses:?}");
        assert_eq!(count(&statuses, StatusCode::TOO_MANY_REQUESTS), 25, "{statuses:?}");
        json_of(owner, StatusCode::OK).await;
        problem_of(attacker, StatusCode::TOO_MANY_REQUESTS, "too_many_requests").await;
    }

    async fn an_attack_spread_over_addresses_meets_the_account_ceiling(app: TestApp) {
        // Arrange: a ceiling of 8 for the account; 4 guesses from each of 2 addresses, then
        // refused guesses from the first, which count nowhere.
        create_user(&app).await;
        let base = behind_a_proxy(&app, |settings| settings.auth.login_max_failures_per_account = 8).await;
        for address in ["198.51.100.1", "198.51.100.2"] {
            for _ in 0..4 {
                let status = login(&app, &base, "wrong", Some(address)).await.status();
                assert_eq!(status, StatusCode::BAD_REQUEST, "{address}");
            }
        }
        // Act
        let third = login(&app, &base, "wrong", Some("198.51.100.3")).await;
        let owner = login(&app, &base, PASSWORD, Some("203.0.113.9")).await;
        // Assert
        problem_of(third, StatusCode::TOO_MANY_REQUESTS, "too_many_requests").await;
        problem_of(owner, StatusCode::TOO_MANY_REQUESTS, "too_many_requests").await;
    }

    async fn refused_guesses_do_not_use_up_the_account_ceiling(app: TestApp) {
        // Arrange: a ceiling of 8; one address is stopped after 5 and keeps trying.
        create_user(&app).await;
        let base = behind_a_proxy(&app, |settings| settings.auth.login_max_failures_per_account = 8).await;
        for _ in 0..20 {
            login(&app, &base, "wrong", Some("198.51.100.7")).await;
        }
        // Act
        let owner = login(&app, &base, PASSWORD, Some("203.0.113.9")).await;
        // Assert: only the 5 checked guesses count on the account.
        json_of(owner, StatusCode::OK).await;
    }

    async fn a_forged_forwarded_address_changes_nothing_without_a_trusted_proxy(app: TestApp) {
        // Arrange: no proxy is trusted by the test servers.
        create_user(&app).await;
        for n in 0..5 {
            let address = format!("198.51.100.{n}");
            assert_eq!(login(&app, &app.address, "wrong", Some(&address)).await.status(), StatusCode::BAD_REQUEST);
        }
        // Act
        let response = login(&app, &app.address, PASSWORD, Some("203.0.113.9")).await;
        // Assert
        problem_of(response, StatusCode::TOO_MANY_REQUESTS, "too_many_requests").await;
    }

    async fn a_right_password_clears_the_failures_of_its_address(app: TestApp) {
        // Arrange
        create_user(&app).await;
        for _ in 0..4 {
            login(&app, &app.address, "wrong", None).await;
        }
        json_of(login(&app, &app.address, PASSWORD, None).await, StatusCode::OK).await;
        // Act: four more wrong guesses are allowed again.
        let mut statuses = Vec::new();
        for _ in 0..4 {
            statuses.push(login(&app, &app.address, "wrong", None).await.status());
        }
        let right: Value = json_of(login(&app, &app.address, PASSWORD, None).await, StatusCode::OK).await;
        // Assert
        assert_eq!(count(&statuses, StatusCode::BAD_REQUEST), 4, "{statuses:?}");
        assert!(right["access_token"].is_string());
    }

    async fn refreshing_never_takes_a_session_past_its_absolute_lifetime(app: TestApp) {
        // Arrange: sessions of 3 seconds at most.
        create_user(&app).await;
        let base = instance(&app, |settings| settings.auth.refresh_session_max_seconds = 3).await;
        let session = json_of(login(&app, &base, PASSWORD, None).await, StatusCode::OK).await;
        let refresh = |token: Value| {
            app.client
                .post(format!("{base}{TOKEN}"))
                .json(&json!({"grant_type": "refresh_token", "refresh_token": token}))
                .send()
        };
        let renewed = json_of(refresh(session["refresh_token"].clone()).await.expect("an answer"), StatusCode::OK).await;
        // Act: past the session's end, with the newest refresh token.
        tokio::time::sleep(std::time::Duration::from_millis(3200)).await;
        let late = refresh(renewed["refresh_token"].clone()).await.expect("an answer");
        // Assert
        let problem = problem_of(late, StatusCode::BAD_REQUEST, "invalid_grant").await;
        assert!(problem["detail"].as_str().is_some_and(|d| d.contains("session is over")), "{problem}");
    }
}
