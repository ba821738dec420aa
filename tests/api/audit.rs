//! The audit trail (`GET /api/v1/audit`) and the history of each record: who (subject, role,
//! kind), when, what, the old and new values; filters; who may read it; failed writes leave no
//! trace.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use cress_api::core::Role;

use crate::helpers::{TestApp, json_of, manager_of, organisation, partner_of, problem_of, sign_token_for};
use crate::on_both_backends;

/// A token for `role` whose `sub` is `subject` (a user's id, a client's `client_id`).
async fn send(app: &TestApp, token: &str, method: Method, path: &str, body: Option<Value>) -> reqwest::Response {
    let request = app.client.request(method, app.url(path)).bearer_auth(token);
    let request = match body {
        Some(body) => request.json(&body),
        None => request,
    };
    request.send().await.expect("the server answers")
}

fn id_of(value: &Value) -> &str {
    value["id"].as_str().expect("an id")
}

/// Every entry of `path` (with a query string), following the cursors.
async fn all_entries(app: &TestApp, path: &str) -> Vec<Value> {
    app.all_pages(path).await
}

const USER_SUB: &str = "0193a1f2-5b6c-7d8e-9f0a-1b2c3d4e5f60";
const CLIENT_SUB: &str = "cli_3kTz8qLmV0aN4xWb";

on_both_backends! {
    async fn every_write_records_its_actor_and_the_old_and_new_values(app: TestApp) {
        let person = sign_token_for(USER_SUB, &Role::Admin);
        let machine = sign_token_for(CLIENT_SUB, &manager_of("76"));
        let created = json_of(
            send(&app, &person, Method::POST, "/api/v1/organisations", Some(organisation("Recyclerie", json!({"city": "Lodève"})))).await,
            StatusCode::CREATED,
        )
        .await;
        let path = format!("/api/v1/organisations/{}", id_of(&created));
        json_of(send(&app, &machine, Method::PATCH, &path, Some(json!({"city": "Clermont-l'Hérault", "phone": "0467000000"}))).await, StatusCode::OK).await;
        assert_eq!(app.delete(&path).await.status(), StatusCode::NO_CONTENT);

        let history = all_entries(&app, &format!("{path}/history?limit=1")).await;

        assert_eq!(history.len(), 3, "{history:?}");
        let (deleted, updated, creation) = (&history[0], &history[1], &history[2]);
        assert_eq!(creation["action"], "created");
        assert_eq!(creation["actor"], json!({"subject": USER_SUB, "role": "admin", "kind": "user"}));
        assert_eq!(creation["changes"]["city"], json!({"old": null, "new": "Lodève"}));
        assert_eq!(creation["changes"]["name"], json!({"old": null, "new": "Recyclerie"}));
        assert!(creation["changes"].get("created_at").is_none(), "bookkeeping is not a change");
        assert_eq!(creation["version"], 1);
        assert_eq!(creation["region_code"], "76");
        assert_eq!(updated["actor"], json!({"subject": CLIENT_SUB, "role": "cress_manager", "kind": "client"}));
        assert_eq!(
            updated["changes"],
            json!({"city": {"old": "Lodève", "new": "Clermont-l'Hérault"}, "phone": {"old": null, "new": "0467000000"}})
        );
        assert_eq!(updated["data"]["phone"], "0467000000", "the audit is confidential: it shows everything");
        assert_eq!(updated["version"], 2);
        assert_eq!(deleted["action"], "deleted");
        assert_eq!(deleted["actor"]["kind"], "system", "a token made by the operator (sub `test`)");
        assert_eq!(deleted["data"], Value::Null);
        assert_eq!(deleted["changes"], Value::Null);
        let at = |e: &Value| e["at"].as_str().unwrap().to_owned();
        assert!(at(creation) <= at(updated) && at(updated) <= at(deleted), "newest first");
    }

    async fn accounts_are_audited_without_any_password_or_secret(app: TestApp) {
        let user = json_of(
            app.post_json("/api/v1/users", &json!({"email": "lecteur@cress.example", "password": "une phrase de passe assez longue", "role": "viewer"})).await,
            StatusCode::CREATED,
        )
        .await;
        let user_path = format!("/api/v1/users/{}", id_of(&user));
        json_of(app.patch_json(&user_path, &json!({"password": "une autre phrase de passe longue"})).await, StatusCode::OK).await;
        let client = json_of(app.post_json("/api/v1/clients", &json!({"name": "SI partenaire", "role": "viewer"})).await, StatusCode::CREATED).await;
        let client_path = format!("/api/v1/clients/{}", id_of(&client));
        let renewed = app.as_admin().request(Method::POST, &format!("{client_path}/secret")).send().await.unwrap();
        assert_eq!(renewed.status(), StatusCode::OK);

        let users = all_entries(&app, &format!("{user_path}/history?limit=50")).await;
        let clients = all_entries(&app, &format!("{client_path}/history?limit=50")).await;

        assert_eq!(users.len(), 2);
        assert_eq!(users[0]["changes"], json!({"password": {"old": "(hidden)", "new": "(hidden)"}}));
        assert_eq!(users[1]["data"]["email"], "lecteur@cress.example");
        assert_eq!(clients.len(), 2);
        assert_eq!(clients[0]["changes"], json!({"secret": {"old": "(hidden)", "new": "(hidden)"}}));
        let text = serde_json::to_string(&[users, clients]).unwrap();
        for secret in ["hash", "une phrase", "une autre", "$argon2", client["client_secret"].as_str().unwrap()] {
            assert!(!text.contains(secret), "{secret} must not be in the audit: {text}");
        }
        let feed = json_of(app.get("/api/v1/changes?limit=200").await, StatusCode::OK).await;
        assert_eq!(feed["items"], json!([]), "accounts are never in the feed");
    }

    async fn the_audit_is_filtered_by_resource_id_actor_and_period(app: TestApp) {
        let person = sign_token_for(USER_SUB, &Role::Admin);
        let first = app.create_organisation(organisation("Première", json!({}))).await;
        let start = json_of(app.get("/api/v1/audit?limit=1").await, StatusCode::OK).await["items"][0]["at"].as_str().unwrap().to_owned();
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        let second = json_of(
            send(&app, &person, Method::POST, "/api/v1/organisations", Some(organisation("Seconde", json!({})))).await,
            StatusCode::CREATED,
        )
        .await;
        let club = json_of(
            app.post_json("/api/v1/clubs", &json!({"name": "Club", "region_code": "76", "host_organisation_id": id_of(&first)})).await,
            StatusCode::CREATED,
        )
        .await;
        json_of(
            app.post_json(&format!("/api/v1/clubs/{}/members", id_of(&club)), &json!({"organisation_id": id_of(&second), "joined_on": "2025-01-01"})).await,
            StatusCode::CREATED,
        )
        .await;

        let ids = |entries: &[Value]| -> Vec<(String, String)> {
            entries.iter().map(|e| (e["resource"].as_str().unwrap().to_owned(), e["id"].as_str().unwrap().to_owned())).collect()
        };
        let organisations = all_entries(&app, "/api/v1/audit?resource=organisation&limit=1").await;
        assert_eq!(ids(&organisations), [("organisation".into(), id_of(&second).into()), ("organisation".into(), id_of(&first).into())]);
        let by_id = all_entries(&app, &format!("/api/v1/audit?id={}", id_of(&first))).await;
        assert_eq!(ids(&by_id), [("organisation".into(), id_of(&first).into())]);
        let by_actor = all_entries(&app, &format!("/api/v1/audit?actor={USER_SUB}")).await;
        assert_eq!(ids(&by_actor), [("organisation".into(), id_of(&second).into())]);
        let since = all_entries(&app, &format!("/api/v1/audit?from={}", start.replace('+', "%2B"))).await;
        assert_eq!(since.len(), 4, "the first organisation at `start` included: {since:?}");
        let before = all_entries(&app, &format!("/api/v1/audit?to={}", start.replace('+', "%2B"))).await;
        assert!(before.is_empty(), "`to` is exclusive: {before:?}");
        let club_history = all_entries(&app, &format!("/api/v1/clubs/{}/history?limit=1", id_of(&club))).await;
        assert_eq!(ids(&club_history), [("club_member".into(), id_of(&second).into()), ("club".into(), id_of(&club).into())]);
        for bad in ["resource=users", "id=12", "from=yesterday", "limit=0", "cursor=zz", "colour=blue",
                    "from=2026-02-01T00:00:00Z&to=2026-01-01T00:00:00Z"] {
            assert_eq!(app.get(&format!("/api/v1/audit?{bad}")).await.status(), StatusCode::BAD_REQUEST, "{bad}");
        }
    }

    async fn only_admins_and_the_regions_managers_read_the_audit(app: TestApp) {
        let home = app.create_organisation(organisation("Hérault", json!({}))).await;
        let away = app.create_organisation(organisation("Bretagne", json!({"region_code": "53"}))).await;
        json_of(app.post_json("/api/v1/clients", &json!({"name": "SI", "role": "viewer"})).await, StatusCode::CREATED).await;

        problem_of(app.as_anonymous().get("/api/v1/audit").await, StatusCode::UNAUTHORIZED, "unauthenticated").await;
        for role in [Role::Viewer, partner_of(&home["id"])] {
            problem_of(app.as_role(&role).get("/api/v1/audit").await, StatusCode::FORBIDDEN, "forbidden").await;
            let history = app.as_role(&role).get(&format!("/api/v1/organisations/{}/history", id_of(&home))).await;
            problem_of(history, StatusCode::FORBIDDEN, "forbidden").await;
        }
        let manager = json_of(app.as_role(&manager_of("76")).get("/api/v1/audit").await, StatusCode::OK).await;
        let seen: Vec<&str> = manager["items"].as_array().unwrap().iter().map(|e| e["id"].as_str().unwrap()).collect();
        assert_eq!(seen, [id_of(&home)], "its region only, never accounts");
        let outside = json_of(
            app.as_role(&manager_of("76")).get(&format!("/api/v1/organisations/{}/history", id_of(&away))).await,
            StatusCode::OK,
        )
        .await;
        assert_eq!(outside["items"], json!([]));
        let admin = json_of(app.get("/api/v1/audit").await, StatusCode::OK).await;
        assert_eq!(admin["items"].as_array().unwrap().len(), 3);
        problem_of(app.get(&format!("/api/v1/events/{}/history", id_of(&home))).await, StatusCode::NOT_FOUND, "not_found").await;
    }

    async fn a_failed_write_records_nothing(app: TestApp) {
        let org = app.create_organisation(organisation("Existante", json!({"siren": "356000000"}))).await;
        let path = format!("/api/v1/organisations/{}", id_of(&org));
        let before = json_of(app.get("/api/v1/audit?limit=200").await, StatusCode::OK).await;

        let invalid = app.post_json("/api/v1/organisations", &organisation("Invalide", json!({"siren": "12345678"}))).await;
        assert_eq!(invalid.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let duplicate = app.post_json("/api/v1/organisations", &organisation("Doublon", json!({"siren": "356000000"}))).await;
        assert_eq!(duplicate.status(), StatusCode::CONFLICT);
        let stale = app.as_admin().request(Method::PATCH, &path).header("if-match", "\"stale\"").json(&json!({"city": "Agde"})).send().await.unwrap();
        assert_eq!(stale.status(), StatusCode::PRECONDITION_FAILED);
        let refused = app.as_role(&manager_of("53")).patch_json(&path, &json!({"city": "Agde"})).await;
        assert_eq!(refused.status(), StatusCode::FORBIDDEN);
        let in_use = json_of(
            app.post_json("/api/v1/clubs", &json!({"name": "Club", "region_code": "76", "host_organisation_id": id_of(&org)})).await,
            StatusCode::CREATED,
        )
        .await;
        let before_delete = json_of(app.get("/api/v1/audit?limit=200").await, StatusCode::OK).await;
        assert_eq!(app.delete(&path).await.status(), StatusCode::CONFLICT, "the club {in_use} holds it");
        let unchanged = json_of(app.patch_json(&path, &json!({"siren": "356000000"})).await, StatusCode::OK).await;
        assert_eq!(unchanged["version"], 1, "a patch that changes nothing writes nothing");

        let after = json_of(app.get("/api/v1/audit?limit=200").await, StatusCode::OK).await;
        assert_eq!(after, before_delete);
        assert_eq!(after["items"].as_array().unwrap().len(), before["items"].as_array().unwrap().len() + 1, "only the club");
    }
}
