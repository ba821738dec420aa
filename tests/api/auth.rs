//! Authentication: tokens for people and machine clients, refresh rotation and replay, logout,
//! the login limits, every refused token, and the administrators' endpoints for accounts.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use cress_api::auth::{Claims, Keys};
use cress_api::config::AuthSettings;
use cress_api::core::Role;
use cress_api::domain::codes::RegionCode;
use reqwest::{Response, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{TEST_JWT_SECRET, TestApp, failing_fields, json_of, organisation, problem_of};
use crate::on_both_backends;

const TOKEN: &str = "/api/v1/auth/token";
const USERS: &str = "/api/v1/users";
const CLIENTS: &str = "/api/v1/clients";
const PASSWORD: &str = "une phrase de passe assez longue";

fn admin(app: &TestApp) -> String {
    app.token_for(&Role::Admin)
}

fn region(code: &str) -> RegionCode {
    RegionCode::parse(code).expect("a region code")
}

async fn send_as(app: &TestApp, method: reqwest::Method, path: &str, token: &str, body: Option<&Value>) -> Response {
    let mut request = app.client.request(method, app.url(path)).bearer_auth(token);
    if let Some(body) = body {
        request = request.json(body);
    }
    request.send().await.expect("the server answers")
}

async fn get_as(app: &TestApp, path: &str, token: &str) -> Response {
    send_as(app, reqwest::Method::GET, path, token, None).await
}

async fn post_as(app: &TestApp, path: &str, token: &str, body: &Value) -> Response {
    send_as(app, reqwest::Method::POST, path, token, Some(body)).await
}

/// Creates a user through the API as an administrator and returns its JSON.
async fn create_user(app: &TestApp, body: Value) -> Value {
    json_of(post_as(app, USERS, &admin(app), &body).await, StatusCode::CREATED).await
}

/// Creates a client through the API; returns (client_id, client_secret, JSON).
async fn create_client(app: &TestApp, body: Value) -> (String, String, Value) {
    let created = json_of(post_as(app, CLIENTS, &admin(app), &body).await, StatusCode::CREATED).await;
    (
        created["client_id"].as_str().expect("a client_id").to_owned(),
        created["client_secret"].as_str().expect("a client_secret").to_owned(),
        created,
    )
}

async fn login(app: &TestApp, email: &str, password: &str) -> Response {
    app.post_json(TOKEN, &json!({"email": email, "password": password}))
        .await
}

async fn form(app: &TestApp, fields: &[(&str, &str)]) -> Response {
    app.client
        .post(app.url(TOKEN))
        .form(fields)
        .send()
        .await
        .expect("the server answers")
}

async fn refresh(app: &TestApp, token: &str) -> Response {
    form(app, &[("grant_type", "refresh_token"), ("refresh_token", token)]).await
}

/// Asserts a 401 problem with this code whose `WWW-Authenticate` contains `challenge`.
async fn unauthorized(response: Response, code: &str, challenge: &str) -> Value {
    let header = response
        .headers()
        .get("www-authenticate")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    assert!(
        header.contains(challenge),
        "WWW-Authenticate {header:?} lacks {challenge:?}"
    );
    problem_of(response, StatusCode::UNAUTHORIZED, code).await
}

/// A grant refused as RFC 6749 §5.2 says: 400 `invalid_grant`, with `error` and
/// `error_description`, and no challenge (the client itself was not at fault).
async fn refused_grant(response: Response) -> Value {
    assert!(
        response.headers().get("www-authenticate").is_none(),
        "no challenge for a refused grant"
    );
    let problem = problem_of(response, StatusCode::BAD_REQUEST, "invalid_grant").await;
    assert_eq!(problem["error"], "invalid_grant");
    assert_eq!(problem["error_description"], problem["detail"]);
    problem
}

fn keys() -> Keys {
    Keys::from_secret(TEST_JWT_SECRET.as_bytes(), &AuthSettings::with_secret(TEST_JWT_SECRET))
}

fn b64(value: &Value) -> String {
    URL_SAFE_NO_PAD.encode(value.to_string())
}

/// Every token this server must refuse, with why.
fn hostile_tokens() -> Vec<(&'static str, String)> {
    let keys = keys();
    let good = keys.claims_for("attacker", &Role::Admin, 600);
    let signed = |claims: Claims| keys.sign(&claims).expect("a token");
    let claims_json = serde_json::to_value(&good).expect("claims as JSON");
    let payload = b64(&claims_json);
    let other_algorithm = jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS512),
        &good,
        &jsonwebtoken::EncodingKey::from_secret(TEST_JWT_SECRET.as_bytes()),
    )
    .expect("an HS512 token");
    let other_key = Keys::from_secret(
        b"another secret that is long enough, but not ours",
        &AuthSettings::with_secret("x"),
    );
    let valid = signed(good.clone());
    let (head, rest) = valid.split_once('.').expect("a JWT");
    let (_, signature) = rest.split_once('.').expect("a JWT");
    let mut tampered = claims_json.clone();
    tampered["sub"] = json!("someone-else");
    vec![
        (
            "alg none",
            format!("{}.{payload}.", b64(&json!({"alg": "none", "typ": "JWT"}))),
        ),
        (
            "alg None, signature kept",
            format!("{}.{payload}.{signature}", b64(&json!({"alg": "None", "typ": "JWT"}))),
        ),
        ("another algorithm (HS512) with our secret", other_algorithm),
        ("signed with another key", other_key.sign(&good).expect("a token")),
        (
            "claims changed after signing",
            format!("{head}.{}.{signature}", b64(&tampered)),
        ),
        (
            "expired",
            signed(Claims {
                exp: good.iat - 3600,
                ..good.clone()
            }),
        ),
        (
            "not yet valid",
            signed(Claims {
                nbf: good.iat + 3600,
                ..good.clone()
            }),
        ),
        (
            "wrong issuer",
            signed(Claims {
                iss: "someone-else".into(),
                ..good.clone()
            }),
        ),
        (
            "wrong audience",
            signed(Claims {
                aud: "another-api".into(),
                ..good.clone()
            }),
        ),
        (
            "unknown role",
            signed(Claims {
                role: "superuser".into(),
                ..good.clone()
            }),
        ),
        (
            "cress_manager without region",
            signed(Claims {
                role: "cress_manager".into(),
                ..good.clone()
            }),
        ),
        (
            "partner without org",
            signed(Claims {
                role: "partner".into(),
                ..good.clone()
            }),
        ),
        (
            "cress_manager with an unknown region",
            signed(Claims {
                role: "cress_manager".into(),
                region: Some("05".into()),
                ..good.clone()
            }),
        ),
        ("not a JWT", "garbage".to_owned()),
        ("two parts only", format!("{head}.{payload}")),
        (
            "header that is not JSON",
            format!("{}.{payload}.{signature}", URL_SAFE_NO_PAD.encode("not json")),
        ),
    ]
}

on_both_backends! {
    async fn token_returns_access_and_refresh_tokens_when_a_person_logs_in_with_json(app: TestApp) {
        create_user(&app, json!({"email": "Claire.Martin@Cress-Occitanie.example", "password": PASSWORD, "role": "admin"})).await;

        let response = login(&app, "claire.martin@cress-occitanie.example", PASSWORD).await;

        let cache = response.headers().get("cache-control").and_then(|v| v.to_str().ok()).map(str::to_owned);
        let body = json_of(response, StatusCode::OK).await;
        assert_eq!(cache.as_deref(), Some("no-store"));
        assert_eq!(body["token_type"], "Bearer");
        assert_eq!(body["expires_in"], 900);
        assert!(body["refresh_token"].as_str().is_some_and(|t| t.len() >= 40), "{body}");
        let access = body["access_token"].as_str().expect("an access token");
        json_of(get_as(&app, USERS, access).await, StatusCode::OK).await;
    }

    async fn token_accepts_the_oauth_password_form_that_swagger_ui_sends(app: TestApp) {
        create_user(&app, json!({"email": "viewer@example.org", "password": PASSWORD, "role": "viewer"})).await;

        // Swagger UI sends an empty client in HTTP Basic and an empty scope.
        let response = app
            .client
            .post(app.url(TOKEN))
            .header("authorization", "Basic Og==")
            .form(&[("grant_type", "password"), ("username", "VIEWER@example.org"), ("password", PASSWORD), ("scope", "")])
            .send()
            .await
            .expect("the server answers");

        let body = json_of(response, StatusCode::OK).await;
        let access = body["access_token"].as_str().expect("an access token");
        problem_of(get_as(&app, USERS, access).await, StatusCode::FORBIDDEN, "forbidden").await;
    }

    async fn token_returns_the_same_400_invalid_grant_when_the_email_is_unknown_or_the_password_wrong(app: TestApp) {
        create_user(&app, json!({"email": "claire@example.org", "password": PASSWORD, "role": "viewer"})).await;
        create_user(&app, json!({"email": "gone@example.org", "password": PASSWORD, "role": "viewer", "active": false})).await;

        let unknown = refused_grant(login(&app, "nobody@example.org", PASSWORD).await).await;
        let wrong = refused_grant(login(&app, "claire@example.org", "not the password").await).await;
        let inactive = refused_grant(login(&app, "gone@example.org", PASSWORD).await).await;

        assert_eq!(unknown, wrong, "unknown e-mail and wrong password answer alike");
        assert_eq!(unknown, inactive, "an inactive account answers alike");
        assert_eq!(unknown["error"], "invalid_grant");
    }

    async fn token_returns_422_listing_the_fields_when_json_lacks_email_and_password(app: TestApp) {
        let response = app.post_json(TOKEN, &json!({})).await;

        let problem = problem_of(response, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
        assert_eq!(failing_fields(&problem), ["email", "password"]);
    }

    async fn token_returns_400_with_an_oauth_error_when_the_grant_is_unknown_or_incomplete(app: TestApp) {
        let cases: [(&[(&str, &str)], &str); 4] = [
            (&[("grant_type", "authorization_code"), ("code", "x")], "unsupported_grant_type"),
            (&[("username", "a@example.org"), ("password", PASSWORD)], "invalid_request"),
            (&[("grant_type", "password"), ("username", "a@example.org")], "invalid_request"),
            (&[("grant_type", "refresh_token"), ("grant_type", "refresh_token")], "invalid_request"),
        ];
        for (fields, error) in cases {
            let problem = problem_of(form(&app, fields).await, StatusCode::BAD_REQUEST, error).await;
            assert_eq!(problem["error"], error, "{fields:?}");
        }
    }

    async fn token_returns_an_access_token_only_when_a_client_uses_client_credentials(app: TestApp) {
        let (client_id, secret, created) = create_client(&app, json!({"name": "SI partenaire", "role": "viewer"})).await;
        assert!(client_id.starts_with("cli_"), "{created}");

        let in_form = form(&app, &[("grant_type", "client_credentials"), ("client_id", &client_id), ("client_secret", &secret)]).await;
        let in_basic = app
            .client
            .post(app.url(TOKEN))
            .basic_auth(&client_id, Some(&secret))
            .form(&[("grant_type", "client_credentials")])
            .send()
            .await
            .expect("the server answers");

        for response in [in_form, in_basic] {
            let body = json_of(response, StatusCode::OK).await;
            assert_eq!(body["token_type"], "Bearer");
            assert!(body.get("refresh_token").is_none(), "no refresh token for a client: {body}");
            let access = body["access_token"].as_str().expect("an access token");
            problem_of(get_as(&app, USERS, access).await, StatusCode::FORBIDDEN, "forbidden").await;
        }
    }

    async fn token_returns_401_invalid_client_when_the_client_secret_is_wrong_or_the_client_inactive(app: TestApp) {
        let (client_id, _, _) = create_client(&app, json!({"name": "SI partenaire", "role": "viewer"})).await;
        let (inactive_id, inactive_secret, _) =
            create_client(&app, json!({"name": "SI fermé", "role": "viewer", "active": false})).await;

        let wrong = form(&app, &[("grant_type", "client_credentials"), ("client_id", &client_id), ("client_secret", "nope")]).await;
        let basic = app
            .client
            .post(app.url(TOKEN))
            .basic_auth(&client_id, Some("nope"))
            .form(&[("grant_type", "client_credentials")])
            .send()
            .await
            .expect("the server answers");
        let inactive = form(&app, &[("grant_type", "client_credentials"), ("client_id", &inactive_id), ("client_secret", &inactive_secret)]).await;
        let anonymous = form(&app, &[("grant_type", "client_credentials")]).await;

        let problem = unauthorized(wrong, "invalid_client", "Basic").await;
        assert_eq!(problem["error"], "invalid_client");
        unauthorized(basic, "invalid_client", "Basic").await;
        unauthorized(inactive, "invalid_client", "Basic").await;
        unauthorized(anonymous, "invalid_client", "Basic").await;
    }

    async fn refresh_rotates_the_token_and_a_replayed_one_revokes_its_whole_family(app: TestApp) {
        create_user(&app, json!({"email": "claire@example.org", "password": PASSWORD, "role": "viewer"})).await;
        let first = json_of(login(&app, "claire@example.org", PASSWORD).await, StatusCode::OK).await;
        let r1 = first["refresh_token"].as_str().expect("a refresh token").to_owned();
        let other_session = json_of(login(&app, "claire@example.org", PASSWORD).await, StatusCode::OK).await;

        let second = json_of(refresh(&app, &r1).await, StatusCode::OK).await;
        let r2 = second["refresh_token"].as_str().expect("a new refresh token").to_owned();
        assert_ne!(r1, r2, "the refresh token rotates");
        assert!(second["access_token"].as_str().is_some());

        let replay = refused_grant(refresh(&app, &r1).await).await;
        assert!(replay["detail"].as_str().unwrap_or_default().contains("revoked"), "{replay}");
        refused_grant(refresh(&app, &r2).await).await;
        let json = app.post_json(TOKEN, &json!({"grant_type": "refresh_token", "refresh_token": other_session["refresh_token"]})).await;
        json_of(json, StatusCode::OK).await;
    }

    async fn logout_revokes_the_refresh_token_and_answers_204_even_for_an_unknown_one(app: TestApp) {
        create_user(&app, json!({"email": "claire@example.org", "password": PASSWORD, "role": "viewer"})).await;
        let session = json_of(login(&app, "claire@example.org", PASSWORD).await, StatusCode::OK).await;
        let token = session["refresh_token"].as_str().expect("a refresh token");

        let response = app.post_json("/api/v1/auth/logout", &json!({"refresh_token": token})).await;
        let unknown = app.post_json("/api/v1/auth/logout", &json!({"refresh_token": "never-issued"})).await;

        assert_eq!(response.status(), StatusCode::NO_CONTENT);
        assert_eq!(unknown.status(), StatusCode::NO_CONTENT);
        refused_grant(refresh(&app, token).await).await;
    }

    async fn token_returns_429_with_retry_after_when_an_account_has_failed_too_often(app: TestApp) {
        create_user(&app, json!({"email": "claire@example.org", "password": PASSWORD, "role": "viewer"})).await;
        create_user(&app, json!({"email": "paul@example.org", "password": PASSWORD, "role": "viewer"})).await;
        for _ in 0..5 {
            refused_grant(login(&app, "claire@example.org", "wrong password").await).await;
        }

        let response = login(&app, "Claire@example.org", PASSWORD).await;

        let retry_after: u64 = response
            .headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse().ok())
            .expect("a Retry-After in seconds");
        assert!((1..=900).contains(&retry_after), "{retry_after}");
        problem_of(response, StatusCode::TOO_MANY_REQUESTS, "too_many_requests").await;
        json_of(login(&app, "paul@example.org", PASSWORD).await, StatusCode::OK).await;
    }

    async fn token_returns_429_when_one_address_has_failed_too_often_across_accounts(app: TestApp) {
        create_user(&app, json!({"email": "paul@example.org", "password": PASSWORD, "role": "viewer"})).await;
        for n in 0..20 {
            let response = login(&app, &format!("guess{n}@example.org"), "wrong password").await;
            assert_eq!(response.status(), StatusCode::BAD_REQUEST, "attempt {n}");
        }

        let response = login(&app, "paul@example.org", PASSWORD).await;

        assert!(response.headers().get("retry-after").is_some());
        problem_of(response, StatusCode::TOO_MANY_REQUESTS, "too_many_requests").await;
    }

    async fn protected_endpoint_returns_401_invalid_token_for_every_hostile_token(app: TestApp) {
        for (why, token) in hostile_tokens() {
            let response = get_as(&app, USERS, &token).await;
            assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "{why}");
            let problem = unauthorized(response, "invalid_token", "error=\"invalid_token\"").await;
            assert!(problem["detail"].as_str().is_some_and(|d| !d.is_empty()), "{why}: {problem}");
        }
    }

    async fn protected_endpoint_returns_401_invalid_token_when_the_authorization_header_is_malformed(app: TestApp) {
        let valid = admin(&app);
        let headers = [
            ("Basic dXNlcjpwYXNz".to_owned(), "another scheme"),
            ("Bearer".to_owned(), "no token"),
            ("Bearer ".to_owned(), "empty token"),
            (valid.clone(), "no scheme"),
            (format!("Bearer {valid} extra"), "two tokens"),
            (format!("Token {valid}"), "unknown scheme"),
        ];
        for (header, why) in headers {
            let response = app.client.get(app.url(USERS)).header("authorization", header).send().await.expect("an answer");
            assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "{why}");
            unauthorized(response, "invalid_token", "error=\"invalid_token\"").await;
        }
        json_of(get_as(&app, USERS, &valid).await, StatusCode::OK).await;
    }

    async fn account_endpoints_return_401_to_anonymous_and_403_to_every_role_but_admin(app: TestApp) {
        let org = app.create_organisation(organisation("Mutuelle solidaire", json!({"category": "mutual"}))).await;
        let org_id: uuid::Uuid = org["id"].as_str().expect("an id").parse().expect("a uuid");
        let user = create_user(&app, json!({"email": "claire@example.org", "password": PASSWORD, "role": "viewer"})).await;
        let (_, _, client) = create_client(&app, json!({"name": "SI", "role": "viewer"})).await;
        let user_path = format!("{USERS}/{}", user["id"].as_str().unwrap_or_default());
        let client_path = format!("{CLIENTS}/{}", client["id"].as_str().unwrap_or_default());
        let new_user = json!({"email": "new@example.org", "password": PASSWORD, "role": "viewer"});
        let new_client = json!({"name": "Nouveau", "role": "viewer"});
        let patch = json!({"active": false});
        let requests: Vec<(reqwest::Method, String, Option<Value>)> = vec![
            (reqwest::Method::GET, USERS.to_owned(), None),
            (reqwest::Method::POST, USERS.to_owned(), Some(new_user)),
            (reqwest::Method::GET, user_path.clone(), None),
            (reqwest::Method::PATCH, user_path.clone(), Some(patch.clone())),
            (reqwest::Method::DELETE, user_path.clone(), None),
            (reqwest::Method::GET, CLIENTS.to_owned(), None),
            (reqwest::Method::POST, CLIENTS.to_owned(), Some(new_client)),
            (reqwest::Method::GET, client_path.clone(), None),
            (reqwest::Method::PATCH, client_path.clone(), Some(patch)),
            (reqwest::Method::POST, format!("{client_path}/secret"), None),
            (reqwest::Method::DELETE, client_path.clone(), None),
        ];
        let roles = [
            Role::Viewer,
            Role::Partner { org: org_id },
            Role::CressManager { region: region("76") },
        ];
        for (method, path, body) in &requests {
            let mut anonymous = app.client.request(method.clone(), app.url(path));
            if let Some(body) = body {
                anonymous = anonymous.json(body);
            }
            let response = anonymous.send().await.expect("an answer");
            unauthorized(response, "unauthenticated", "Bearer").await;
            for role in &roles {
                let response = send_as(&app, method.clone(), path, &app.token_for(role), body.as_ref()).await;
                assert_eq!(response.status(), StatusCode::FORBIDDEN, "{method} {path} as {role:?}");
                problem_of(response, StatusCode::FORBIDDEN, "forbidden").await;
            }
        }
        let still = json_of(get_as(&app, &user_path, &admin(&app)).await, StatusCode::OK).await;
        assert_eq!(still, user, "nothing was changed by the refused requests");
        let clients = json_of(get_as(&app, CLIENTS, &admin(&app)).await, StatusCode::OK).await;
        assert_eq!(clients["items"].as_array().map(Vec::len), Some(1));
    }

    async fn users_create_never_returns_the_password_and_checks_role_scope_and_email(app: TestApp) {
        let org = app.create_organisation(organisation("Mutuelle solidaire", json!({"category": "mutual"}))).await;
        let created = create_user(&app, json!({"email": "  Partner@Mutuelle.example ", "password": PASSWORD, "role": "partner", "organisation_id": org["id"]})).await;
        assert_eq!(created["email"], "partner@mutuelle.example");
        assert_eq!(created["organisation_id"], org["id"]);
        assert_eq!(created["version"], 1);
        assert!(created.get("password").is_none() && created.get("password_hash").is_none(), "{created}");

        let cases = [
            (json!({"email": "a@example.org", "password": PASSWORD, "role": "cress_manager"}), "region_code", "required"),
            (json!({"email": "a@example.org", "password": PASSWORD, "role": "cress_manager", "region_code": "05"}), "region_code", "unknown_code"),
            (json!({"email": "a@example.org", "password": PASSWORD, "role": "viewer", "region_code": "76"}), "region_code", "not_allowed"),
            (json!({"email": "a@example.org", "password": PASSWORD, "role": "partner"}), "organisation_id", "required"),
            (json!({"email": "a@example.org", "password": PASSWORD, "role": "partner", "organisation_id": "0193a1f2-7c4e-7d2a-9b1e-2f5c8a9d0e11"}), "organisation_id", "not_found"),
            (json!({"email": "a@example.org", "password": "short", "role": "viewer"}), "password", "too_short"),
            (json!({"email": "not an email", "password": PASSWORD, "role": "viewer"}), "email", "invalid_format"),
            (json!({"email": "a@example.org", "password": PASSWORD, "role": "superuser"}), "role", "unknown_value"),
            (json!({"email": "a@example.org", "password": PASSWORD, "role": "viewer", "password_hash": "x"}), "password_hash", "unknown_field"),
        ];
        for (body, field, code) in cases {
            let problem = problem_of(post_as(&app, USERS, &admin(&app), &body).await, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
            let errors = problem["errors"].as_array().cloned().unwrap_or_default();
            assert!(errors.iter().any(|e| e["field"] == field && e["code"] == code), "{body}: expected {field}/{code} in {problem}");
        }
        let duplicate = post_as(&app, USERS, &admin(&app), &json!({"email": "PARTNER@mutuelle.example", "password": PASSWORD, "role": "viewer"})).await;
        let problem = problem_of(duplicate, StatusCode::CONFLICT, "duplicate").await;
        assert_eq!(problem["existing_id"], created["id"]);
        let all = json_of(get_as(&app, USERS, &admin(&app)).await, StatusCode::OK).await;
        assert_eq!(all["items"].as_array().map(Vec::len), Some(1), "nothing refused was stored: {all}");
    }

    async fn users_update_deactivation_ends_the_session_and_the_last_admin_stays(app: TestApp) {
        let user = create_user(&app, json!({"email": "claire@example.org", "password": PASSWORD, "role": "viewer"})).await;
        let path = format!("{USERS}/{}", user["id"].as_str().unwrap_or_default());
        let session = json_of(login(&app, "claire@example.org", PASSWORD).await, StatusCode::OK).await;

        let changed = json_of(send_as(&app, reqwest::Method::PATCH, &path, &admin(&app), Some(&json!({"active": false}))).await, StatusCode::OK).await;

        assert_eq!(changed["active"], false);
        assert_eq!(changed["version"], 2);
        let refresh_token = session["refresh_token"].as_str().unwrap_or_default();
        refused_grant(refresh(&app, refresh_token).await).await;
        refused_grant(login(&app, "claire@example.org", PASSWORD).await).await;
        let promoted = json_of(
            send_as(&app, reqwest::Method::PATCH, &path, &admin(&app), Some(&json!({"active": true, "role": "cress_manager", "region_code": "76"}))).await,
            StatusCode::OK,
        )
        .await;
        assert_eq!(promoted["region_code"], "76");
        let admin_user = create_user(&app, json!({"email": "admin@example.org", "password": PASSWORD, "role": "admin"})).await;
        let admin_path = format!("{USERS}/{}", admin_user["id"].as_str().unwrap_or_default());
        let demote = send_as(&app, reqwest::Method::PATCH, &admin_path, &admin(&app), Some(&json!({"role": "viewer"}))).await;
        problem_of(demote, StatusCode::CONFLICT, "last_admin").await;
        let delete = send_as(&app, reqwest::Method::DELETE, &admin_path, &admin(&app), None).await;
        problem_of(delete, StatusCode::CONFLICT, "last_admin").await;
        let gone = send_as(&app, reqwest::Method::DELETE, &path, &admin(&app), None).await;
        assert_eq!(gone.status(), StatusCode::NO_CONTENT);
        problem_of(get_as(&app, &path, &admin(&app)).await, StatusCode::NOT_FOUND, "not_found").await;
    }

    async fn clients_show_the_secret_once_and_a_renewed_secret_replaces_the_old(app: TestApp) {
        let (client_id, secret, created) = create_client(&app, json!({"name": "SI partenaire", "role": "cress_manager", "region_code": "76"})).await;
        let path = format!("{CLIENTS}/{}", created["id"].as_str().unwrap_or_default());

        let read = json_of(get_as(&app, &path, &admin(&app)).await, StatusCode::OK).await;
        let listed = json_of(get_as(&app, CLIENTS, &admin(&app)).await, StatusCode::OK).await;
        let renewed = json_of(post_as(&app, &format!("{path}/secret"), &admin(&app), &json!({})).await, StatusCode::OK).await;

        assert!(read.get("client_secret").is_none() && read.get("secret_hash").is_none(), "{read}");
        assert!(listed.to_string().find(&secret).is_none(), "the list shows no secret");
        let new_secret = renewed["client_secret"].as_str().expect("a new secret");
        assert_ne!(new_secret, secret);
        let old = form(&app, &[("grant_type", "client_credentials"), ("client_id", &client_id), ("client_secret", &secret)]).await;
        unauthorized(old, "invalid_client", "Basic").await;
        let new = form(&app, &[("grant_type", "client_credentials"), ("client_id", &client_id), ("client_secret", new_secret)]).await;
        let token = json_of(new, StatusCode::OK).await;
        let claims: Value = serde_json::from_slice(
            &URL_SAFE_NO_PAD.decode(token["access_token"].as_str().unwrap_or_default().split('.').nth(1).unwrap_or_default()).expect("base64"),
        )
        .expect("JSON claims");
        assert_eq!(claims["role"], "cress_manager");
        assert_eq!(claims["region"], "76");
        assert_eq!(claims["sub"], client_id.as_str());
    }

    async fn clients_update_follows_merge_patch_rules_and_checks_the_scope(app: TestApp) {
        let (_, _, created) = create_client(&app, json!({"name": "SI", "role": "cress_manager", "region_code": "76"})).await;
        let path = format!("{CLIENTS}/{}", created["id"].as_str().unwrap_or_default());
        let patch = |body: Value| {
            let path = path.clone();
            let token = admin(&app);
            let app = &app;
            async move { send_as(app, reqwest::Method::PATCH, &path, &token, Some(&body)).await }
        };

        let same = json_of(patch(json!({"name": "SI"})).await, StatusCode::OK).await;
        let viewer = json_of(patch(json!({"role": "viewer"})).await, StatusCode::OK).await;
        let unknown = patch(json!({"role": "partner", "organisation_id": "0193a1f2-7c4e-7d2a-9b1e-2f5c8a9d0e11", "name": " "})).await;
        let null_active = patch(json!({"active": null})).await;

        assert_eq!(same["version"], 1, "a patch that changes nothing keeps the version");
        assert_eq!(viewer["role"], "viewer");
        assert_eq!(viewer["region_code"], Value::Null, "a new role drops the old scope");
        assert_eq!(viewer["version"], 2);
        let problem = problem_of(unknown, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
        let mut fields = failing_fields(&problem);
        fields.sort();
        assert_eq!(fields, ["name", "organisation_id"], "{problem}");
        problem_of(null_active, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
        let read = json_of(get_as(&app, &path, &admin(&app)).await, StatusCode::OK).await;
        assert_eq!(read, viewer, "refused patches changed nothing");
    }

    async fn organisation_delete_returns_409_naming_the_partner_accounts_that_hold_it(app: TestApp) {
        let org = app.create_organisation(organisation("Mutuelle solidaire", json!({"category": "mutual"}))).await;
        create_user(&app, json!({"email": "p@mutuelle.example", "password": PASSWORD, "role": "partner", "organisation_id": org["id"]})).await;
        create_client(&app, json!({"name": "SI", "role": "partner", "organisation_id": org["id"]})).await;

        let response = app.delete(&format!("/api/v1/organisations/{}", org["id"].as_str().unwrap_or_default())).await;

        let problem = problem_of(response, StatusCode::CONFLICT, "in_use").await;
        let detail = problem["detail"].as_str().unwrap_or_default();
        assert!(detail.contains("1 partner user account") && detail.contains("1 partner API client"), "{detail}");
    }

    async fn organisation_delete_answers_a_manager_in_use_without_naming_accounts(app: TestApp) {
        // Arrange: held by an accreditation (which a manager reads) and by accounts (which it does not).
        let org = app.create_organisation(organisation("Coopérative des Causses", json!({"category": "cooperative"}))).await;
        let id = org["id"].as_str().unwrap_or_default().to_owned();
        create_user(&app, json!({"email": "p@causses.example", "password": PASSWORD, "role": "partner", "organisation_id": id})).await;
        create_client(&app, json!({"name": "SI", "role": "partner", "organisation_id": id})).await;
        let path = format!("/api/v1/organisations/{id}");
        let manager = app.token_for(&crate::helpers::manager_of("76"));
        // Act
        let accounts_only = send_as(&app, reqwest::Method::DELETE, &path, &manager, None).await;
        let applied = json!({"basis": "conditions", "applied_on": "2024-01-15"});
        json_of(app.post_json(&format!("{path}/esus-accreditations"), &applied).await, StatusCode::CREATED).await;
        let with_accreditation = send_as(&app, reqwest::Method::DELETE, &path, &manager, None).await;
        // Assert
        for (response, expected) in [
            (accounts_only, "records that only administrators may see"),
            (with_accreditation, "1 ESUS accreditation"),
        ] {
            let problem = problem_of(response, StatusCode::CONFLICT, "in_use").await;
            let detail = problem["detail"].as_str().unwrap_or_default();
            assert!(detail.ends_with(expected), "{detail}");
            assert!(!detail.contains("user account") && !detail.contains("API client"), "{detail}");
        }
    }

    async fn first_start_creates_the_admin_of_admin_email_only_when_there_is_no_user(app: TestApp) {
        let mut settings = crate::helpers::settings_for(&app.database_url);
        settings.auth.admin_email = Some("Root@Cress.example".into());
        settings.auth.admin_password = Some(PASSWORD.into());
        let store = cress_api::store::Store::connect(&settings).await.expect("the store");
        let passwords = cress_api::auth::password::Passwords::new(&settings.auth).expect("passwords");

        cress_api::auth::accounts::bootstrap_admin(&store, &passwords, &settings).await.expect("bootstrap");
        settings.auth.admin_email = Some("second@cress.example".into());
        cress_api::auth::accounts::bootstrap_admin(&store, &passwords, &settings).await.expect("second bootstrap");

        let token = json_of(login(&app, "root@cress.example", PASSWORD).await, StatusCode::OK).await;
        let users = json_of(get_as(&app, USERS, token["access_token"].as_str().unwrap_or_default()).await, StatusCode::OK).await;
        assert_eq!(users["items"].as_array().map(Vec::len), Some(1), "{users}");
        assert_eq!(users["items"][0]["role"], "admin");
        store.close().await;
    }
}

/// Every setting the binary reads, so that the tests' own environment does not leak in.
const BINARY_SETTINGS: [&str; 14] = [
    "DATABASE_URL",
    "JWT_SECRET",
    "JWT_PRIVATE_KEY_FILE",
    "JWT_PUBLIC_KEY_FILES",
    "JWT_ISSUER",
    "JWT_AUDIENCE",
    "ACCESS_TOKEN_TTL_SECONDS",
    "ADMIN_EMAIL",
    "ADMIN_PASSWORD",
    "CRESS_PASSWORD",
    "PASSWORD_HASH_MEMORY_KIB",
    "PASSWORD_HASH_ITERATIONS",
    "LOG_FORMAT",
    "RUST_LOG",
];

/// Runs `cress-api args…` in `dir` with a clean environment plus `env`, feeding `stdin`.
fn cress_api(dir: &std::path::Path, args: &[&str], env: &[(&str, &str)], stdin: &str) -> std::process::Output {
    use std::io::Write;
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_cress-api"));
    command.current_dir(dir).args(args);
    for name in BINARY_SETTINGS {
        command.env_remove(name);
    }
    command
        .env("PASSWORD_HASH_MEMORY_KIB", "8")
        .env("PASSWORD_HASH_ITERATIONS", "1")
        .envs(env.iter().copied())
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let mut child = command.spawn().expect("the binary runs");
    if let Some(mut input) = child.stdin.take() {
        input.write_all(stdin.as_bytes()).expect("stdin is written");
    }
    child.wait_with_output().expect("the binary ends")
}

fn stdout_of(output: &std::process::Output) -> String {
    assert!(
        output.status.success(),
        "exit {:?}, stderr {}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// A server on the SQLite file `database` with no key configured (the generated secret).
async fn server_with_generated_secret(database: &std::path::Path) -> String {
    let url = format!("sqlite://{}", database.display());
    let mut settings = crate::helpers::settings_for(&url);
    settings.auth.jwt_secret = None;
    let store = cress_api::store::Store::connect(&settings).await.expect("the store");
    store.migrate().await.expect("migrations");
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a port");
    let port = listener.local_addr().expect("an address").port();
    tokio::spawn(cress_api::run(&settings, store, listener).expect("the server starts"));
    format!("http://127.0.0.1:{port}")
}

#[tokio::test]
async fn cli_token_verifies_on_the_server_and_the_generated_secret_persists_across_restarts() {
    // Arrange
    let dir = tempfile::tempdir().expect("a temporary folder");
    let database = dir.path().join("cress.db");
    let url = format!("sqlite://{}", database.display());
    // Act: the command line makes the secret, then two servers start on it, one after the other.
    let token = stdout_of(&cress_api(
        dir.path(),
        &["token", "--role", "admin", "--sub", "ops"],
        &[("DATABASE_URL", &url)],
        "",
    ));
    let first = server_with_generated_secret(&database).await;
    let second = server_with_generated_secret(&database).await;
    // Assert
    let token = token.trim();
    assert_eq!(token.split('.').count(), 3, "stdout holds the token alone: {token:?}");
    let client = reqwest::Client::new();
    for server in [first, second] {
        let response = client
            .get(format!("{server}{USERS}"))
            .bearer_auth(token)
            .send()
            .await
            .expect("an answer");
        assert_eq!(response.status(), StatusCode::OK, "{server}");
    }
    let secret = dir.path().join("cress.db.jwt-secret");
    assert!(secret.is_file(), "the secret is kept beside the database");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&secret).expect("metadata").permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "owner-only permissions, not {mode:o}");
    }
    let again = stdout_of(&cress_api(
        dir.path(),
        &["token", "--role", "viewer"],
        &[("DATABASE_URL", &url)],
        "",
    ));
    let response = client
        .get(format!("{}{USERS}", server_with_generated_secret(&database).await))
        .bearer_auth(again.trim())
        .send()
        .await
        .expect("an answer");
    assert_eq!(
        response.status(),
        StatusCode::FORBIDDEN,
        "a later command uses the same secret"
    );
}

#[test]
fn cli_token_exits_non_zero_with_one_line_naming_jwt_secret_when_it_is_too_short() {
    // Arrange
    let dir = tempfile::tempdir().expect("a temporary folder");
    // Act
    let output = cress_api(
        dir.path(),
        &["token", "--role", "admin"],
        &[("JWT_SECRET", "short-secret")],
        "",
    );
    // Assert
    let stderr = String::from_utf8_lossy(&output.stderr);
    let lines: Vec<&str> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
    assert!(!output.status.success());
    assert_eq!(lines.len(), 1, "one line: {stderr:?}");
    assert!(lines[0].contains("JWT_SECRET"), "{stderr:?}");
    assert!(!stderr.contains("short-secret"), "the secret is not echoed: {stderr:?}");
    assert!(output.stdout.is_empty(), "no token printed");
}

#[test]
fn cli_token_refuses_a_scoped_role_without_its_scope() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let output = cress_api(
        dir.path(),
        &["token", "--role", "cress_manager"],
        &[("JWT_SECRET", TEST_JWT_SECRET)],
        "",
    );
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("region"));
    let output = cress_api(
        dir.path(),
        &["token", "--role", "cress_manager", "--region", "76", "--ttl", "60"],
        &[("JWT_SECRET", TEST_JWT_SECRET)],
        "",
    );
    let token = stdout_of(&output);
    let principal = keys().verify(token.trim()).expect("a valid token");
    assert_eq!(principal.role, Role::CressManager { region: region("76") });
}

#[test]
fn cli_token_gives_each_token_a_subject_of_its_own_unless_sub_is_given() {
    // Arrange
    let dir = tempfile::tempdir().expect("a temporary folder");
    let env = [("JWT_SECRET", TEST_JWT_SECRET)];
    let subject = |args: &[&str]| {
        let token = stdout_of(&cress_api(dir.path(), args, &env, ""));
        keys().verify(token.trim()).expect("a valid token").subject
    };
    // Act
    let first = subject(&["token", "--role", "admin"]);
    let second = subject(&["token", "--role", "viewer"]);
    let named = subject(&["token", "--role", "viewer", "--sub", "mutuelle-sync"]);
    // Assert
    assert_ne!(first, second, "two tokens, two subjects");
    assert!(
        first.starts_with("cress-api-cli:") && second.starts_with("cress-api-cli:"),
        "{first} {second}"
    );
    assert_eq!(named, "mutuelle-sync");
}

#[test]
fn cli_token_refuses_a_ttl_over_a_day_unless_allow_long_ttl_is_given() {
    // Arrange
    let dir = tempfile::tempdir().expect("a temporary folder");
    let env = [("JWT_SECRET", TEST_JWT_SECRET)];
    // Act
    let day = cress_api(dir.path(), &["token", "--role", "viewer", "--ttl", "86400"], &env, "");
    let year = cress_api(
        dir.path(),
        &["token", "--role", "viewer", "--ttl", "31536000"],
        &env,
        "",
    );
    let allowed = cress_api(
        dir.path(),
        &["token", "--role", "viewer", "--ttl", "31536000", "--allow-long-ttl"],
        &env,
        "",
    );
    // Assert
    stdout_of(&day);
    assert!(!year.status.success(), "a year without the flag");
    assert!(year.stdout.is_empty(), "no token printed");
    assert!(String::from_utf8_lossy(&year.stderr).contains("--allow-long-ttl"));
    let token = stdout_of(&allowed);
    assert!(keys().verify(token.trim()).is_ok());
}

on_both_backends! {
    async fn cli_user_create_reads_the_password_from_stdin_or_cress_password_and_the_user_logs_in(app: TestApp) {
        let dir = tempfile::tempdir().expect("a temporary folder");
        let env = [("DATABASE_URL", app.database_url.as_str()), ("JWT_SECRET", TEST_JWT_SECRET)];

        let from_stdin = cress_api(dir.path(), &["user", "create", "--email", "Ops@Cress.example", "--role", "admin", "--password-stdin"], &env, &format!("{PASSWORD}\n"));
        let mut with_env = env.to_vec();
        with_env.push(("CRESS_PASSWORD", PASSWORD));
        let from_env = cress_api(dir.path(), &["user", "create", "--email", "manager@cress.example", "--role", "cress_manager", "--region", "76"], &with_env, "");
        let without = cress_api(dir.path(), &["user", "create", "--email", "x@cress.example", "--role", "viewer"], &env, "");

        assert!(stdout_of(&from_stdin).contains("ops@cress.example"));
        stdout_of(&from_env);
        assert!(!without.status.success(), "no password, no user");
        assert!(String::from_utf8_lossy(&without.stderr).contains("CRESS_PASSWORD"));
        json_of(login(&app, "ops@cress.example", PASSWORD).await, StatusCode::OK).await;
        json_of(login(&app, "manager@cress.example", PASSWORD).await, StatusCode::OK).await;
        refused_grant(login(&app, "x@cress.example", PASSWORD).await).await;
    }

    async fn cli_client_create_prints_the_id_and_secret_that_the_server_accepts(app: TestApp) {
        let dir = tempfile::tempdir().expect("a temporary folder");
        let env = [("DATABASE_URL", app.database_url.as_str()), ("JWT_SECRET", TEST_JWT_SECRET)];

        let output = cress_api(dir.path(), &["client", "create", "--name", "SI de la mutuelle", "--role", "viewer"], &env, "");

        let stdout = stdout_of(&output);
        let value = |key: &str| {
            stdout.lines().find_map(|l| l.strip_prefix(&format!("{key}="))).unwrap_or_default().to_owned()
        };
        let (client_id, secret) = (value("client_id"), value("client_secret"));
        assert!(client_id.starts_with("cli_") && secret.len() >= 40, "{stdout}");
        let response = form(&app, &[("grant_type", "client_credentials"), ("client_id", &client_id), ("client_secret", &secret)]).await;
        json_of(response, StatusCode::OK).await;
    }
}

#[tokio::test]
async fn serve_creates_the_admin_of_admin_email_on_a_first_start_and_logs_that_it_generated_a_secret() {
    // Arrange
    let dir = tempfile::tempdir().expect("a temporary folder");
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_cress-api"));
    command.current_dir(dir.path()).arg("serve");
    for name in BINARY_SETTINGS {
        command.env_remove(name);
    }
    let log = std::fs::File::create(dir.path().join("serve.log")).expect("a log file");
    let mut server = command
        .env("BIND_ADDRESS", format!("127.0.0.1:{port}"))
        .env("ADMIN_EMAIL", "Root@Cress.example")
        .env("ADMIN_PASSWORD", PASSWORD)
        .env("PASSWORD_HASH_MEMORY_KIB", "8")
        .env("PASSWORD_HASH_ITERATIONS", "1")
        .env("LOG_FORMAT", "json")
        .stdout(log)
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("the server starts");
    let base = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::new();
    // Act
    let mut answer = None;
    for _ in 0..100 {
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        let login = client
            .post(format!("{base}{TOKEN}"))
            .json(&json!({"email": "root@cress.example", "password": PASSWORD}))
            .send()
            .await;
        if let Ok(response) = login {
            answer = Some(response);
            break;
        }
    }
    let _ = server.kill();
    let _ = server.wait();
    // Assert
    let body = json_of(answer.expect("the server answered within 10 s"), StatusCode::OK).await;
    let claims: Value = serde_json::from_slice(
        &URL_SAFE_NO_PAD
            .decode(
                body["access_token"]
                    .as_str()
                    .unwrap_or_default()
                    .split('.')
                    .nth(1)
                    .unwrap_or_default(),
            )
            .expect("base64"),
    )
    .expect("JSON claims");
    assert_eq!(claims["role"], "admin");
    let log = std::fs::read_to_string(dir.path().join("serve.log")).expect("the log");
    assert!(log.contains("generated a random token signing secret"), "{log}");
    assert!(dir.path().join("data").join("cress.db.jwt-secret").is_file());
}
