//! Conditional requests on every resource: a strong `ETag` on each single-resource answer,
//! `If-None-Match` on GET (304), `If-Match` on PATCH and DELETE (412 when stale, and nothing
//! changes), and concurrent writers of one record: exactly one wins.

use futures_util::future::join_all;
use reqwest::{Method, Response, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{TestApp, json_of, organisation, problem_of};
use crate::on_both_backends;

/// The `ETag` of an answer, which must have one.
fn etag_of(response: &Response) -> String {
    response
        .headers()
        .get("etag")
        .unwrap_or_else(|| panic!("{} answered without an ETag", response.url()))
        .to_str()
        .expect("a visible ETag")
        .to_owned()
}

/// Sends `method` to `path` as an administrator with one extra header (and a JSON body).
async fn send(app: &TestApp, method: Method, path: &str, header: (&str, &str), body: Option<&Value>) -> Response {
    let mut request = app.as_admin().request(method, path).header(header.0, header.1);
    if let Some(body) = body {
        request = request.json(body);
    }
    request.send().await.expect("the server answers")
}

/// One record of each kind: its address and a change to make to it.
struct Record {
    path: String,
    change: Value,
}

/// Creates one record of every kind and returns where they are.
async fn one_of_each(app: &TestApp) -> Vec<Record> {
    let org = app
        .create_organisation(organisation("Mutuelle des Causses", json!({})))
        .await;
    let org_id = org["id"].as_str().unwrap();
    let other = app
        .create_organisation(organisation("Commune de Lodève", json!({})))
        .await;
    let club = post_to(
        app,
        "/api/v1/clubs",
        json!({"name": "Club des collectivités", "region_code": "76", "host_organisation_id": org_id}),
    )
    .await;
    let member = post_to(app, &format!("{club}/members"), json!({"organisation_id": other["id"]})).await;
    let event = post_to(
        app,
        "/api/v1/events",
        json!({"title": "Forum", "kind": "meeting", "starts_at": "2027-03-10T09:00:00+01:00",
               "ends_at": "2027-03-10T12:00:00+01:00", "city": "Montpellier", "region_code": "76"}),
    )
    .await;
    let sponsorship = post_to(
        app,
        "/api/v1/sponsorships",
        json!({"sponsor_id": org_id, "beneficiary": {"type": "organisation", "id": other["id"]},
               "kind": "financial_patronage", "amount_cents": 1_500_000, "starts_on": "2026-01-01"}),
    )
    .await;
    let accreditation = post_to(
        app,
        &format!("/api/v1/organisations/{org_id}/esus-accreditations"),
        json!({"basis": "conditions", "applied_on": "2026-01-15"}),
    )
    .await;
    let user = post_to(
        app,
        "/api/v1/users",
        json!({"email": "lecteur@cress.example", "password": "une phrase de passe assez longue", "role": "viewer"}),
    )
    .await;
    let client = post_to(
        app,
        "/api/v1/clients",
        json!({"name": "SI partenaire", "role": "viewer"}),
    )
    .await;
    vec![
        Record {
            path: format!("/api/v1/organisations/{org_id}"),
            change: json!({"city": "Millau"}),
        },
        Record {
            path: club,
            change: json!({"audience": "Collectivités locales"}),
        },
        Record {
            path: member,
            change: json!({"role": "patron"}),
        },
        Record {
            path: event,
            change: json!({"title": "Forum régional"}),
        },
        Record {
            path: sponsorship,
            change: json!({"notes": "convention signée"}),
        },
        Record {
            path: accreditation,
            change: json!({"notes": "dossier complet"}),
        },
        Record {
            path: user,
            change: json!({"active": false}),
        },
        Record {
            path: client,
            change: json!({"name": "SI partenaire (production)"}),
        },
    ]
}

/// POSTs to a path built at run time and returns the new record's address.
async fn post_to(app: &TestApp, path: &str, body: Value) -> String {
    let response = app.post_json(path, &body).await;
    assert!(
        response.headers().get("etag").is_some(),
        "the 201 of {path} has an ETag"
    );
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    json_of(response, StatusCode::CREATED).await;
    location
}

on_both_backends! {
    async fn every_resource_answers_304_to_a_current_if_none_match_and_200_once_changed(app: TestApp) {
        for record in one_of_each(&app).await {
            let first = app.get(&record.path).await;
            let etag = etag_of(&first);
            assert!(etag.starts_with('"') && etag.ends_with('"'), "{}: a strong tag, {etag}", record.path);
            let body = json_of(first, StatusCode::OK).await;

            let again = send(&app, Method::GET, &record.path, ("if-none-match", &etag), None).await;
            assert_eq!(again.status(), StatusCode::NOT_MODIFIED, "{}", record.path);
            assert_eq!(etag_of(&again), etag);
            assert!(again.bytes().await.unwrap().is_empty(), "a 304 has no body");

            let changed = app.patch_json(&record.path, &record.change).await;
            let new_etag = etag_of(&changed);
            assert_ne!(new_etag, etag, "{}: a change changes the tag", record.path);
            let changed = json_of(changed, StatusCode::OK).await;
            assert_ne!(changed, body);

            let after = send(&app, Method::GET, &record.path, ("if-none-match", &etag), None).await;
            assert_eq!(etag_of(&after), new_etag, "{}: the PATCH answer's tag is the GET's", record.path);
            assert_eq!(json_of(after, StatusCode::OK).await, changed);
        }
    }

    async fn a_stale_if_match_is_refused_with_412_and_changes_nothing(app: TestApp) {
        for record in one_of_each(&app).await {
            let stale = etag_of(&app.get(&record.path).await);
            let current = etag_of(&app.patch_json(&record.path, &record.change).await);
            let before = json_of(app.get(&record.path).await, StatusCode::OK).await;

            let patch = send(&app, Method::PATCH, &record.path, ("if-match", &stale), Some(&json!({}))).await;
            problem_of(patch, StatusCode::PRECONDITION_FAILED, "precondition_failed").await;
            let delete = send(&app, Method::DELETE, &record.path, ("if-match", &stale), None).await;
            problem_of(delete, StatusCode::PRECONDITION_FAILED, "precondition_failed").await;
            let weak = format!("W/{current}");
            let delete = send(&app, Method::DELETE, &record.path, ("if-match", &weak), None).await;
            problem_of(delete, StatusCode::PRECONDITION_FAILED, "precondition_failed").await;
            assert_eq!(json_of(app.get(&record.path).await, StatusCode::OK).await, before, "{}", record.path);

            let noop = send(&app, Method::PATCH, &record.path, ("if-match", &current), Some(&json!({}))).await;
            assert_eq!(etag_of(&noop), current, "{}: an empty patch keeps the tag", record.path);
            json_of(noop, StatusCode::OK).await;
        }
    }

    async fn deleting_with_the_current_if_match_deletes(app: TestApp) {
        // Reverse order: what holds a record goes first (the member before its club…).
        for record in one_of_each(&app).await.into_iter().rev() {
            let current = etag_of(&app.get(&record.path).await);
            let deleted = send(&app, Method::DELETE, &record.path, ("if-match", &current), None).await;
            assert_eq!(deleted.status(), StatusCode::NO_CONTENT, "{}", record.path);
            assert_eq!(app.get(&record.path).await.status(), StatusCode::NOT_FOUND);
        }
    }

    async fn of_concurrent_writers_from_the_same_copy_exactly_one_wins_and_no_update_is_lost(app: TestApp) {
        let org = app.create_organisation(organisation("Coopérative du Larzac", json!({}))).await;
        let path = format!("/api/v1/organisations/{}", org["id"].as_str().unwrap());
        let etag = etag_of(&app.get(&path).await);
        let cities = ["Millau", "Rodez", "Albi", "Lodève", "Sète", "Nîmes"];
        let answers = join_all(cities.iter().map(|city| {
            let body = json!({"city": city});
            let path = path.clone();
            let etag = etag.clone();
            let app = &app;
            async move { send(app, Method::PATCH, &path, ("if-match", &etag), Some(&body)).await }
        }))
        .await;
        let mut winners = Vec::new();
        for (city, answer) in cities.iter().zip(answers) {
            match answer.status() {
                StatusCode::OK => winners.push(*city),
                _ => {
                    problem_of(answer, StatusCode::PRECONDITION_FAILED, "precondition_failed").await;
                }
            }
        }
        assert_eq!(winners.len(), 1, "exactly one writer wins: {winners:?}");
        let now = json_of(app.get(&path).await, StatusCode::OK).await;
        assert_eq!(now["city"], winners[0], "the winner's change is the one kept");
        assert_eq!(now["version"], 2, "one change, one new version");

        // Others read again and retry: every change lands, one after the other.
        for city in ["Castres", "Mende"] {
            let current = etag_of(&app.get(&path).await);
            let retried = send(&app, Method::PATCH, &path, ("if-match", &current), Some(&json!({"city": city}))).await;
            assert_eq!(json_of(retried, StatusCode::OK).await["city"], city);
        }
        assert_eq!(json_of(app.get(&path).await, StatusCode::OK).await["version"], 4);
    }
}
