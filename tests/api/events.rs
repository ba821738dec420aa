//! `/api/v1/events`: create, read, list, change and delete, with organisers and themes inline and the rules of docs/domain.md.

use reqwest::StatusCode;
use serde_json::{Value, json};
use sqlx::Connection;
use uuid::Uuid;

use cress_api::core::Role;

use crate::helpers::{Backend, TestApp, failing_fields, json_of, manager_of, organisation, partner_of, problem_of};
use crate::on_both_backends;

const EVENTS: &str = "/api/v1/events";

/// A valid event body, in person, ahead (March 2027); `overrides` replaces or adds fields.
fn event(title: &str, overrides: Value) -> Value {
    let mut body = json!({
        "title": title,
        "kind": "meeting",
        "starts_at": "2027-03-10T09:00:00+01:00",
        "ends_at": "2027-03-10T12:00:00+01:00",
        "city": "Montpellier",
        "region_code": "76"
    });
    if let (Some(body), Some(overrides)) = (body.as_object_mut(), overrides.as_object()) {
        for (key, value) in overrides {
            body.insert(key.clone(), value.clone());
        }
    }
    body
}

/// An event held from `starts_at` to `ends_at` (UTC or with offset).
fn event_at(title: &str, starts_at: &str, ends_at: &str, overrides: Value) -> Value {
    let mut body = event(title, overrides);
    body["starts_at"] = json!(starts_at);
    body["ends_at"] = json!(ends_at);
    body
}

async fn create_event(app: &TestApp, body: Value) -> Value {
    let response = app.post_json(EVENTS, &body).await;
    let status = response.status();
    let json: Value = response.json().await.expect("a JSON body");
    assert_eq!(status, StatusCode::CREATED, "creating {body} answered {json}");
    json
}

fn path_of(record: &Value, collection: &str) -> String {
    format!("{collection}/{}", record["id"].as_str().expect("an id"))
}

fn id_of(record: &Value) -> String {
    record["id"].as_str().expect("an id").to_owned()
}

async fn event_count(app: &TestApp) -> usize {
    app.all_pages("/api/v1/events?limit=200").await.len()
}

/// The titles of every event `query` lists, in order, following the cursors.
async fn titles(app: &TestApp, query: &str) -> Vec<String> {
    app.all_pages(&format!("{EVENTS}?{query}"))
        .await
        .iter()
        .map(|e| e["title"].as_str().expect("a title").to_owned())
        .collect()
}

/// Runs `$body` with `$conn` connected straight to the test database, for the records whose
/// endpoints are not this file's (clubs, sponsorships) and for looking at the tables.
macro_rules! with_connection {
    ($app:expr, $conn:ident => $body:expr) => {
        match $app.backend {
            Backend::Sqlite => {
                let mut $conn = sqlx::SqliteConnection::connect(&$app.database_url)
                    .await
                    .expect("the test database connects");
                $body
            }
            Backend::Postgres => {
                let mut $conn = sqlx::PgConnection::connect(&$app.database_url)
                    .await
                    .expect("the test database connects");
                $body
            }
        }
    };
}

/// A club hosted by `host` (an organisation id), written straight into the table.
async fn insert_club(app: &TestApp, host: &str) -> String {
    let id = Uuid::now_v7();
    let host = Uuid::parse_str(host).expect("a uuid");
    let at = chrono::DateTime::from_timestamp_micros(chrono::Utc::now().timestamp_micros()).expect("now");
    with_connection!(app, conn => {
        sqlx::query(
            "insert into clubs (id, name, name_search, region_code, host_organisation_id, created_at, updated_at, version) \
             values ($1, 'Club des collectivités', 'club des collectivites', '76', $2, $3, $3, 1)",
        )
        .bind(id)
        .bind(host)
        .bind(at)
        .execute(&mut conn)
        .await
        .expect("the club is inserted");
    });
    id.to_string()
}

/// A sponsorship of the event by `sponsor`, written straight into the table.
async fn insert_sponsorship(app: &TestApp, sponsor: &str, event: &str) {
    let sponsor = Uuid::parse_str(sponsor).expect("a uuid");
    let event = Uuid::parse_str(event).expect("a uuid");
    let at = chrono::DateTime::from_timestamp_micros(chrono::Utc::now().timestamp_micros()).expect("now");
    let starts_on = chrono::NaiveDate::from_ymd_opt(2026, 9, 1).expect("a date");
    with_connection!(app, conn => {
        sqlx::query(
            "insert into sponsorships (id, sponsor_id, beneficiary_type, beneficiary_event_id, kind, amount_cents, \
             currency, counterparts_cents, starts_on, status, public, created_at, updated_at, version) \
             values ($1, $2, 'event', $3, 'financial_patronage', 500000, 'EUR', 0, $4, 'active', true, $5, $5, 1)",
        )
        .bind(Uuid::now_v7())
        .bind(sponsor)
        .bind(event)
        .bind(starts_on)
        .bind(at)
        .execute(&mut conn)
        .await
        .expect("the sponsorship is inserted");
    });
}

/// How many organiser and theme rows the event `id` has in the tables.
async fn part_rows(app: &TestApp, id: &str) -> (i64, i64) {
    let id = Uuid::parse_str(id).expect("a uuid");
    with_connection!(app, conn => {
        let organisers: i64 = sqlx::query_scalar("select count(*) from event_organisers where event_id = $1")
            .bind(id)
            .fetch_one(&mut conn)
            .await
            .expect("counts");
        let themes: i64 = sqlx::query_scalar("select count(*) from event_themes where event_id = $1")
            .bind(id)
            .fetch_one(&mut conn)
            .await
            .expect("counts");
        (organisers, themes)
    })
}

on_both_backends! {
    async fn create_returns_201_with_location_organisers_and_themes_when_the_body_is_valid(app: TestApp) {
        let cress = app.create_organisation(organisation("Cress Occitanie", json!({"category": "network"}))).await;
        let mutual = app.create_organisation(organisation("Mutuelle solidaire d'Occitanie", json!({"category": "mutual"}))).await;
        let club = insert_club(&app, cress["id"].as_str().unwrap()).await;
        let body = json!({
            "title": "  Club des collectivités pour l'ESS : rencontre de Lodève ",
            "kind": "meeting",
            "status": "published",
            "starts_at": "2026-09-19T09:30:00+02:00",
            "ends_at": "2026-09-19T17:00:00+02:00",
            "online": false,
            "venue": "Salle du Peuple",
            "postal_code": "34700",
            "city": "Lodève",
            "commune_code": "34142",
            "region_code": "76",
            "club_id": club,
            "capacity": 80,
            "attendance": 60,
            "organisers": [
                {"organisation_id": mutual["id"], "role": "partner"},
                {"organisation_id": cress["id"], "role": "organiser"}
            ],
            "themes": ["territoires", "Developpement-Rural", "territoires"]
        });

        let response = app.post_json(EVENTS, &body).await;

        let location = response.headers().get("location").map(|v| v.to_str().unwrap().to_owned());
        let created = json_of(response, StatusCode::CREATED).await;
        assert_eq!(location, Some(path_of(&created, EVENTS)));
        assert_eq!(created["title"], "Club des collectivités pour l'ESS : rencontre de Lodève", "trimmed");
        assert_eq!(created["starts_at"], "2026-09-19T07:30:00Z", "returned in UTC");
        assert_eq!(created["ends_at"], "2026-09-19T15:00:00Z");
        assert_eq!(created["time_zone"], "Europe/Paris", "the default zone");
        assert_eq!(created["club_id"], json!(club));
        assert_eq!(created["attendance"], 60);
        assert_eq!(created["online_url"], Value::Null);
        assert_eq!(
            created["organisers"],
            json!([
                {"organisation_id": cress["id"], "organisation_name": "Cress Occitanie", "role": "organiser"},
                {"organisation_id": mutual["id"], "organisation_name": "Mutuelle solidaire d'Occitanie", "role": "partner"}
            ]),
            "organisers first, with their names"
        );
        assert_eq!(created["themes"], json!(["developpement-rural", "territoires"]), "lowered, deduplicated, sorted");
        assert_eq!(created["version"], 1);
        assert_eq!(created["created_at"], created["updated_at"]);
        let read = json_of(app.get(&path_of(&created, EVENTS)).await, StatusCode::OK).await;
        assert_eq!(read, created, "what is read back is what creation answered");
    }

    async fn create_applies_the_defaults_and_keeps_microseconds_when_fields_are_left_out(app: TestApp) {
        let body = event("Petit-déjeuner de l'ESS", json!({"starts_at": "2027-03-10T09:00:00.123456789+01:00"}));

        let created = create_event(&app, body).await;

        assert_eq!(created["status"], "draft");
        assert_eq!(created["online"], false);
        assert_eq!(created["time_zone"], "Europe/Paris");
        assert_eq!(created["starts_at"], "2027-03-10T08:00:00.123456Z", "UTC, truncated to the microsecond");
        assert_eq!(created["organisers"], json!([]));
        assert_eq!(created["themes"], json!([]));
        let read = json_of(app.get(&path_of(&created, EVENTS)).await, StatusCode::OK).await;
        assert_eq!(read["starts_at"], created["starts_at"], "the same instant read back on this backend");
    }

    async fn create_accepts_online_events_iana_zones_and_attendance_after_the_event(app: TestApp) {
        let cases = [
            (json!({"online": true, "online_url": "https://visio.cress-occitanie.example/club", "city": null, "region_code": null}), "online without a venue"),
            (json!({"online": true, "online_url": "http://visio.example/x", "region_code": "03", "city": null}), "online, with a region"),
            (json!({"online_url": "https://live.example/stream"}), "in person with a live stream"),
            (json!({"time_zone": "America/Cayenne", "region_code": "03", "city": "Cayenne"}), "Guyane"),
            (json!({"time_zone": "Indian/Reunion", "region_code": "04"}), "La Réunion"),
            (json!({"time_zone": "UTC"}), "UTC"),
            (json!({"starts_at": "2026-09-19T09:30:00+02:00", "ends_at": "2026-09-19T17:00:00+02:00", "capacity": 60, "attendance": 60}), "attendance equal to capacity, after the event"),
            (json!({"starts_at": "2026-09-19T09:30:00+02:00", "ends_at": "2026-09-19T17:00:00+02:00", "attendance": 0}), "nobody came"),
            (json!({"capacity": 1}), "capacity 1"),
            (json!({"status": "cancelled"}), "created cancelled"),
            (json!({"themes": (0..20).map(|n| format!("theme-{n}")).collect::<Vec<_>>()}), "20 themes"),
        ];
        for (index, (fields, what)) in cases.into_iter().enumerate() {
            let response = app.post_json(EVENTS, &event(&format!("Événement {index}"), fields)).await;
            assert_eq!(response.status(), StatusCode::CREATED, "{what} should be accepted: {}", response.text().await.unwrap());
        }
    }

    async fn create_returns_422_with_the_rule_broken_when_a_field_is_invalid(app: TestApp) {
        let past = json!({"starts_at": "2026-09-19T09:30:00+02:00", "ends_at": "2026-09-19T17:00:00+02:00"});
        let with_past = |extra: Value| {
            let mut fields = past.clone();
            for (k, v) in extra.as_object().unwrap() {
                fields[k] = v.clone();
            }
            fields
        };
        let cases = [
            (json!({"title": null}), "title", "required", "no title"),
            (json!({"title": "   "}), "title", "blank", "blank title"),
            (json!({"title": "x".repeat(201)}), "title", "too_long", "title over 200 characters"),
            (json!({"kind": null}), "kind", "required", "no kind"),
            (json!({"kind": "party"}), "kind", "unknown_value", "unknown kind"),
            (json!({"status": "archived"}), "status", "unknown_value", "unknown status"),
            (json!({"starts_at": null}), "starts_at", "required", "no start"),
            (json!({"starts_at": "2027-03-10T09:00:00"}), "starts_at", "invalid_format", "a start without offset"),
            (json!({"starts_at": "2027-03-10"}), "starts_at", "invalid_format", "a date for a start"),
            (json!({"ends_at": "10/03/2027 12:00"}), "ends_at", "invalid_format", "French date format"),
            (json!({"ends_at": "2027-03-10T09:00:00+01:00"}), "ends_at", "mismatch", "ends when it starts"),
            (json!({"ends_at": "2027-03-10T07:59:59Z"}), "ends_at", "mismatch", "ends before it starts"),
            (json!({"time_zone": "Europe/Lodeve"}), "time_zone", "unknown_code", "not an IANA zone"),
            (json!({"time_zone": "+02:00"}), "time_zone", "unknown_code", "an offset is not a zone"),
            (json!({"online": true}), "online_url", "required", "online without a link"),
            (json!({"online": true, "online_url": "ftp://visio.example/"}), "online_url", "invalid_format", "a link that is not http(s)"),
            (json!({"city": null}), "city", "required", "in person without a city"),
            (json!({"region_code": null}), "region_code", "required", "in person without a region"),
            (json!({"region_code": "05"}), "region_code", "unknown_code", "region 05"),
            (json!({"postal_code": "2A004"}), "postal_code", "invalid_format", "Corsican postal codes are 20xxx"),
            (json!({"commune_code": "3414"}), "commune_code", "invalid_format", "4-character commune code"),
            (json!({"venue": "x".repeat(201)}), "venue", "too_long", "venue over 200 characters"),
            (json!({"city": "Lod\u{0}ève"}), "city", "invalid_format", "NUL in a city"),
            (json!({"capacity": 0}), "capacity", "out_of_range", "capacity 0"),
            (with_past(json!({"attendance": -1})), "attendance", "out_of_range", "negative attendance"),
            (with_past(json!({"capacity": 50, "attendance": 51})), "attendance", "mismatch", "more came than the capacity"),
            (json!({"attendance": 10}), "attendance", "in_future", "attendance before the event"),
            (json!({"themes": ["Mois de l'ESS"]}), "themes[0]", "invalid_format", "a theme that is not a slug"),
            (json!({"themes": ["ok", "x".repeat(51)]}), "themes[1]", "too_long", "theme over 50 characters"),
            (json!({"themes": (0..21).map(|n| format!("t{n}")).collect::<Vec<_>>()}), "themes", "too_many", "21 themes"),
            (json!({"organisers": [{"role": "organiser"}]}), "organisers[0].organisation_id", "required", "organiser without organisation"),
            (json!({"organisers": [{"organisation_id": "0193a1f2-7c4e-7d2a-9b1e-2f5c8a9d0e11"}]}), "organisers[0].role", "required", "organiser without role"),
            (json!({"organisers": [{"organisation_id": "0193a1f2-7c4e-7d2a-9b1e-2f5c8a9d0e11", "role": "host"}]}), "organisers[0].role", "unknown_value", "unknown role"),
            (json!({"organisers": [{"organisation_id": "not-a-uuid", "role": "partner"}]}), "organisers[0].organisation_id", "invalid_type", "organisation id that is not a UUID"),
            (json!({"club_id": "nope"}), "club_id", "invalid_type", "club id that is not a UUID"),
            (json!({"colour": "red"}), "colour", "unknown_field", "unknown field"),
        ];
        for (fields, field, code, what) in cases {
            let response = app.post_json(EVENTS, &event("Événement refusé", fields)).await;

            let problem = problem_of(response, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
            let errors = problem["errors"].as_array().expect("errors listed");
            assert!(
                errors.iter().any(|e| e["field"] == field && e["code"] == code && e["message"].as_str().is_some_and(|m| !m.is_empty())),
                "{what}: expected {field}/{code} in {problem}"
            );
        }
        assert_eq!(event_count(&app).await, 0, "nothing invalid was stored");
    }

    async fn create_returns_422_saying_attendance_comes_after_the_event_when_it_has_not_ended(app: TestApp) {
        let body = event_at("Conférence en cours", "2026-01-01T09:00:00Z", "2099-01-01T09:00:00Z", json!({"attendance": 12}));

        let problem = problem_of(app.post_json(EVENTS, &body).await, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;

        assert_eq!(failing_fields(&problem), ["attendance"]);
        let message = problem["errors"][0]["message"].as_str().unwrap();
        assert!(message.contains("after the event") && message.contains("not ended"), "{message}");
    }

    async fn create_returns_422_listing_every_failing_field_when_several_are_invalid(app: TestApp) {
        let body = json!({
            "title": "",
            "starts_at": "2027-03-10T12:00:00Z",
            "ends_at": "2027-03-10T11:00:00Z",
            "online": true,
            "capacity": 0,
            "organisers": [{"organisation_id": "0193a1f2-7c4e-7d2a-9b1e-2f5c8a9d0e11", "role": "partner"},
                           {"organisation_id": "0193a1f2-7c4e-7d2a-9b1e-2f5c8a9d0e11", "role": "organiser"}]
        });

        let problem = problem_of(app.post_json(EVENTS, &body).await, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;

        let mut fields = failing_fields(&problem);
        fields.sort();
        assert_eq!(fields, ["capacity", "ends_at", "kind", "online_url", "organisers[1].organisation_id", "title"], "in {problem}");
        let duplicate = &problem["errors"].as_array().unwrap().iter().find(|e| e["field"] == "organisers[1].organisation_id").unwrap()["code"];
        assert_eq!(duplicate, "duplicate", "an organisation listed twice");
    }

    async fn create_returns_422_not_found_naming_the_field_when_an_organiser_or_the_club_does_not_exist(app: TestApp) {
        let cress = app.create_organisation(organisation("Cress Occitanie", json!({"category": "network"}))).await;
        let unknown = "0193a1f2-7c4e-7d2a-9b1e-2f5c8a9d0e11";
        let body = event("Rencontre", json!({
            "club_id": "0193a1f2-9d8e-7c6b-a5f4-e3d2c1b0a998",
            "organisers": [{"organisation_id": cress["id"], "role": "organiser"}, {"organisation_id": unknown, "role": "partner"}]
        }));

        let problem = problem_of(app.post_json(EVENTS, &body).await, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;

        assert_eq!(failing_fields(&problem), ["club_id", "organisers[1].organisation_id"], "in {problem}");
        for error in problem["errors"].as_array().unwrap() {
            assert_eq!(error["code"], "not_found", "in {problem}");
        }
        assert!(problem["errors"][1]["message"].as_str().unwrap().contains(unknown), "names the id: {problem}");
        assert_eq!(event_count(&app).await, 0, "nothing was stored");
        let club = insert_club(&app, cress["id"].as_str().unwrap()).await;
        let fixed = event("Rencontre", json!({"club_id": club, "organisers": [{"organisation_id": cress["id"], "role": "organiser"}]}));
        create_event(&app, fixed).await;
    }

    async fn get_returns_404_problem_when_the_event_does_not_exist(app: TestApp) {
        let response = app.get("/api/v1/events/0193a1f2-7c4e-7d2a-9b1e-2f5c8a9d0e11").await;

        let problem = problem_of(response, StatusCode::NOT_FOUND, "not_found").await;
        assert_eq!(problem["detail"], "no event with this id");
        problem_of(app.patch_json("/api/v1/events/0193a1f2-7c4e-7d2a-9b1e-2f5c8a9d0e11", &json!({"title": "x"})).await, StatusCode::NOT_FOUND, "not_found").await;
        problem_of(app.delete("/api/v1/events/0193a1f2-7c4e-7d2a-9b1e-2f5c8a9d0e11").await, StatusCode::NOT_FOUND, "not_found").await;
    }

    async fn update_applies_each_allowed_status_transition(app: TestApp) {
        for (steps, what) in [
            (vec!["published", "cancelled"], "draft → published → cancelled"),
            (vec!["cancelled"], "draft → cancelled"),
            (vec!["draft", "published", "published", "cancelled", "cancelled"], "staying in a status is no change"),
        ] {
            let created = create_event(&app, event(what, json!({}))).await;
            let path = path_of(&created, EVENTS);
            let mut version = 1;
            let mut status = "draft";
            for step in steps {
                let updated = json_of(app.patch_json(&path, &json!({"status": step})).await, StatusCode::OK).await;
                if step != status {
                    version += 1;
                }
                status = step;
                assert_eq!(updated["status"], step, "{what}");
                assert_eq!(updated["version"], version, "{what}: a change counts, staying does not");
            }
        }
    }

    async fn update_returns_409_illegal_transition_naming_both_statuses_when_the_change_is_refused(app: TestApp) {
        for (reach, requested) in [
            (vec!["published"], "draft"),
            (vec!["cancelled"], "draft"),
            (vec!["cancelled"], "published"),
            (vec!["published", "cancelled"], "published"),
            (vec!["published", "cancelled"], "draft"),
        ] {
            let created = create_event(&app, event("Changement refusé", json!({}))).await;
            let path = path_of(&created, EVENTS);
            for step in &reach {
                json_of(app.patch_json(&path, &json!({"status": step})).await, StatusCode::OK).await;
            }
            let current = *reach.last().unwrap();
            let before = json_of(app.get(&path).await, StatusCode::OK).await;

            let response = app.patch_json(&path, &json!({"status": requested, "title": "Nouveau titre"})).await;

            let problem = problem_of(response, StatusCode::CONFLICT, "illegal_transition").await;
            let detail = problem["detail"].as_str().unwrap();
            assert!(
                detail.contains(&format!("is {current}")) && detail.contains(&format!("become {requested}")),
                "{current} → {requested}: {detail}"
            );
            assert_eq!(json_of(app.get(&path).await, StatusCode::OK).await, before, "{current} → {requested}: nothing changed");
        }
    }

    async fn update_replaces_organisers_and_themes_when_given_and_keeps_them_when_absent(app: TestApp) {
        let cress = app.create_organisation(organisation("Cress Occitanie", json!({"category": "network"}))).await;
        let mutual = app.create_organisation(organisation("Mutuelle solidaire", json!({"category": "mutual"}))).await;
        let town = app.create_organisation(organisation("Mairie de Lodève", json!({"category": "local_authority"}))).await;
        let created = create_event(&app, event("Rencontre", json!({
            "organisers": [{"organisation_id": cress["id"], "role": "organiser"}, {"organisation_id": mutual["id"], "role": "partner"}],
            "themes": ["mois-de-l-ess"]
        }))).await;
        let path = path_of(&created, EVENTS);

        let replaced = json_of(app.patch_json(&path, &json!({
            "organisers": [{"organisation_id": town["id"], "role": "co_organiser"}, {"organisation_id": mutual["id"], "role": "organiser"}],
            "themes": ["territoires", "egalite-femmes-hommes"]
        })).await, StatusCode::OK).await;

        assert_eq!(replaced["organisers"], json!([
            {"organisation_id": mutual["id"], "organisation_name": "Mutuelle solidaire", "role": "organiser"},
            {"organisation_id": town["id"], "organisation_name": "Mairie de Lodève", "role": "co_organiser"}
        ]), "the whole list is replaced: the Cress is gone");
        assert_eq!(replaced["themes"], json!(["egalite-femmes-hommes", "territoires"]));
        assert_eq!(replaced["version"], 2);
        assert_ne!(replaced["updated_at"], created["updated_at"]);
        assert_eq!(json_of(app.get(&path).await, StatusCode::OK).await, replaced);

        let retitled = json_of(app.patch_json(&path, &json!({"title": "Rencontre de Lodève"})).await, StatusCode::OK).await;
        assert_eq!(retitled["organisers"], replaced["organisers"], "left out: kept");
        assert_eq!(retitled["themes"], replaced["themes"], "left out: kept");
        assert_eq!(retitled["version"], 3);

        let emptied = json_of(app.patch_json(&path, &json!({"organisers": [], "themes": null})).await, StatusCode::OK).await;
        assert_eq!(emptied["organisers"], json!([]));
        assert_eq!(emptied["themes"], json!([]));
        assert_eq!(emptied["version"], 4);
        assert_eq!(part_rows(&app, &id_of(&created)).await, (0, 0));
        let response = app.delete(&path_of(&cress, "/api/v1/organisations")).await;
        assert_eq!(response.status(), StatusCode::NO_CONTENT, "the Cress organises nothing any more");
    }

    async fn update_keeps_the_version_when_the_patch_changes_nothing(app: TestApp) {
        let cress = app.create_organisation(organisation("Cress Occitanie", json!({"category": "network"}))).await;
        let mutual = app.create_organisation(organisation("Mutuelle solidaire", json!({"category": "mutual"}))).await;
        let created = create_event(&app, event("Rencontre", json!({
            "organisers": [{"organisation_id": cress["id"], "role": "organiser"}, {"organisation_id": mutual["id"], "role": "partner"}],
            "themes": ["mois-de-l-ess", "territoires"]
        }))).await;
        let path = path_of(&created, EVENTS);

        let response = app.patch_json(&path, &json!({
            "title": " Rencontre ",
            "starts_at": "2027-03-10T08:00:00Z",
            "time_zone": "Europe/Paris",
            "organisers": [{"organisation_id": mutual["id"], "role": "partner"}, {"organisation_id": cress["id"], "role": "organiser"}],
            "themes": ["Territoires", "mois-de-l-ess", "territoires"]
        })).await;

        assert_eq!(json_of(response, StatusCode::OK).await, created, "the same event after normalising: no change");
        let role_changed = json_of(app.patch_json(&path, &json!({
            "organisers": [{"organisation_id": mutual["id"], "role": "co_organiser"}, {"organisation_id": cress["id"], "role": "organiser"}]
        })).await, StatusCode::OK).await;
        assert_eq!(role_changed["version"], 2, "a changed role is a change");
    }

    async fn update_accepts_merge_patch_json_and_resets_the_time_zone_on_null(app: TestApp) {
        let created = create_event(&app, event("Visio", json!({"time_zone": "America/Cayenne"}))).await;
        let path = path_of(&created, EVENTS);

        let response = app
            .send_raw(reqwest::Method::PATCH, &path, Some("application/merge-patch+json"), br#"{"time_zone":null,"capacity":40}"#.to_vec())
            .await;

        let updated = json_of(response, StatusCode::OK).await;
        assert_eq!(updated["time_zone"], "Europe/Paris");
        assert_eq!(updated["capacity"], 40);
    }

    async fn update_returns_422_and_changes_nothing_when_the_result_breaks_a_rule(app: TestApp) {
        let cress = app.create_organisation(organisation("Cress Occitanie", json!({"category": "network"}))).await;
        let created = create_event(&app, event("Rencontre", json!({
            "capacity": 30,
            "organisers": [{"organisation_id": cress["id"], "role": "organiser"}],
            "themes": ["mois-de-l-ess"]
        }))).await;
        let path = path_of(&created, EVENTS);
        let cases = [
            (json!({"title": null}), "title", "required", "a required field cannot be cleared"),
            (json!({"status": null}), "status", "required", "the status cannot be cleared"),
            (json!({"online": null}), "online", "required", "online cannot be cleared"),
            (json!({"ends_at": "2027-03-10T08:00:00Z"}), "ends_at", "mismatch", "an end at the stored start"),
            (json!({"starts_at": "2027-03-10T12:00:00+01:00"}), "ends_at", "mismatch", "a start at the stored end"),
            (json!({"online": true}), "online_url", "required", "online without a link"),
            (json!({"city": null}), "city", "required", "in person without a city"),
            (json!({"attendance": 20}), "attendance", "in_future", "attendance before the event"),
            (json!({"starts_at": "2026-09-19T09:00:00Z", "ends_at": "2026-09-19T12:00:00Z", "attendance": 31}), "attendance", "mismatch", "more than the stored capacity"),
            (json!({"organisers": [{"organisation_id": "0193a1f2-7c4e-7d2a-9b1e-2f5c8a9d0e11", "role": "partner"}]}), "organisers[0].organisation_id", "not_found", "an organisation that does not exist"),
            (json!({"club_id": "0193a1f2-9d8e-7c6b-a5f4-e3d2c1b0a998"}), "club_id", "not_found", "a club that does not exist"),
            (json!({"themes": ["ok", "pas ok"]}), "themes[1]", "invalid_format", "a theme that is not a slug"),
            (json!({"tilte": "typo"}), "tilte", "unknown_field", "an unknown field"),
        ];
        for (patch, field, code, what) in cases {
            let response = app.patch_json(&path, &patch).await;
            let problem = problem_of(response, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
            assert!(
                problem["errors"].as_array().unwrap().iter().any(|e| e["field"] == field && e["code"] == code),
                "{what}: {field}/{code} not listed in {problem}"
            );
        }
        assert_eq!(json_of(app.get(&path).await, StatusCode::OK).await, created, "nothing changed");
        assert_eq!(part_rows(&app, &id_of(&created)).await, (1, 1), "organisers and themes untouched");
    }

    async fn update_keeps_every_change_when_requests_run_concurrently(app: TestApp) {
        let created = create_event(&app, event("Concurrente", json!({}))).await;
        let path = path_of(&created, EVENTS);
        let patches = [
            json!({"venue": "Salle du Peuple"}),
            json!({"capacity": 120}),
            json!({"description": "Changée en parallèle"}),
            json!({"themes": ["territoires"]}),
        ];

        let responses = futures_util::future::join_all(patches.iter().map(|patch| app.patch_json(&path, patch))).await;

        for response in responses {
            let status = response.status();
            assert!(status == StatusCode::OK || status == StatusCode::CONFLICT, "unexpected {status}");
        }
        let stored = json_of(app.get(&path).await, StatusCode::OK).await;
        let applied = [
            stored["venue"] == "Salle du Peuple",
            stored["capacity"] == 120,
            stored["description"] == "Changée en parallèle",
            stored["themes"] == json!(["territoires"]),
        ]
        .into_iter()
        .filter(|applied| *applied)
        .count();
        assert_eq!(stored["version"].as_i64().unwrap(), 1 + applied as i64, "every applied change counted once: {stored}");
    }

    async fn delete_returns_409_in_use_while_the_event_has_organisers_then_204_once_cleared(app: TestApp) {
        let cress = app.create_organisation(organisation("Cress Occitanie", json!({"category": "network"}))).await;
        let created = create_event(&app, event("Éphémère", json!({
            "organisers": [{"organisation_id": cress["id"], "role": "organiser"}],
            "themes": ["mois-de-l-ess", "territoires"]
        }))).await;
        let path = path_of(&created, EVENTS);
        assert_eq!(part_rows(&app, &id_of(&created)).await, (1, 2));

        let refused = app.delete(&path).await;

        let problem = problem_of(refused, StatusCode::CONFLICT, "in_use").await;
        assert!(problem["detail"].as_str().unwrap().contains("1 organiser"), "names the holder: {problem}");
        assert_eq!(json_of(app.get(&path).await, StatusCode::OK).await, created, "the event is still there, whole");
        json_of(app.patch_json(&path, &json!({"organisers": []})).await, StatusCode::OK).await;

        let response = app.delete(&path).await;

        assert_eq!(response.status(), StatusCode::NO_CONTENT);
        problem_of(app.get(&path).await, StatusCode::NOT_FOUND, "not_found").await;
        problem_of(app.delete(&path).await, StatusCode::NOT_FOUND, "not_found").await;
        assert_eq!(part_rows(&app, &id_of(&created)).await, (0, 0), "themes deleted with it");
        let response = app.delete(&path_of(&cress, "/api/v1/organisations")).await;
        assert_eq!(response.status(), StatusCode::NO_CONTENT, "its organiser is free to go");
    }

    async fn delete_returns_409_in_use_and_keeps_the_event_while_a_sponsorship_targets_it(app: TestApp) {
        let mutual = app.create_organisation(organisation("Mutuelle solidaire", json!({"category": "mutual"}))).await;
        let created = create_event(&app, event("Conférence parrainée", json!({
            "organisers": [{"organisation_id": mutual["id"], "role": "organiser"}],
            "themes": ["mois-de-l-ess"]
        }))).await;
        let path = path_of(&created, EVENTS);
        insert_sponsorship(&app, mutual["id"].as_str().unwrap(), &id_of(&created)).await;

        let response = app.delete(&path).await;

        let problem = problem_of(response, StatusCode::CONFLICT, "in_use").await;
        assert!(problem["detail"].as_str().unwrap().contains("1 sponsorship"), "names the holder: {problem}");
        assert_eq!(json_of(app.get(&path).await, StatusCode::OK).await, created, "the event is still there, whole");
        assert_eq!(part_rows(&app, &id_of(&created)).await, (1, 1));
    }

    async fn organisation_delete_returns_409_in_use_while_it_organises_an_event(app: TestApp) {
        let mutual = app.create_organisation(organisation("Mutuelle solidaire", json!({"category": "mutual"}))).await;
        let created = create_event(&app, event("Conférence", json!({
            "organisers": [{"organisation_id": mutual["id"], "role": "partner"}]
        }))).await;
        let organisation_path = path_of(&mutual, "/api/v1/organisations");

        let response = app.delete(&organisation_path).await;

        let problem = problem_of(response, StatusCode::CONFLICT, "in_use").await;
        assert!(problem["detail"].as_str().unwrap().contains("1 event it organises"), "names the holder: {problem}");
        assert_eq!(json_of(app.get(&organisation_path).await, StatusCode::OK).await, mutual, "the organisation is still there");
        assert_eq!(json_of(app.get(&path_of(&created, EVENTS)).await, StatusCode::OK).await, created);
    }

    async fn list_pages_through_events_in_starts_at_order_with_equal_starts_broken_by_id(app: TestApp) {
        let starts = ["2027-05-01T10:00:00Z", "2027-04-01T10:00:00Z", "2027-04-15T08:00:00+02:00", "2027-04-15T06:00:00Z", "2027-04-15T06:00:00Z", "2027-04-01T09:59:59.999999Z"];
        let mut created = Vec::new();
        for (index, starts_at) in starts.iter().enumerate() {
            let body = event_at(&format!("E{index}"), starts_at, "2027-06-01T00:00:00Z", json!({}));
            created.push(create_event(&app, body).await);
        }
        let mut expected: Vec<(String, String)> = created
            .iter()
            .map(|e| (e["starts_at"].as_str().unwrap().to_owned(), id_of(e)))
            .collect();
        expected.sort();
        let expected_ids: Vec<String> = expected.iter().map(|(_, id)| id.clone()).collect();

        for limit in [1, 2, 4, 50] {
            let items = app.all_pages(&format!("{EVENTS}?limit={limit}")).await;
            let ids: Vec<String> = items.iter().map(id_of).collect();
            assert_eq!(ids, expected_ids, "limit {limit}: by starts_at, then id, each once");
        }
        let ties: Vec<&Value> = created.iter().filter(|e| e["starts_at"] == "2027-04-15T06:00:00Z").collect();
        assert_eq!(ties.len(), 3, "three events start at the same instant, one given with +02:00");
        let items = app.all_pages(&format!("{EVENTS}?limit=2&sort=-starts_at")).await;
        let mut reversed = expected_ids.clone();
        reversed.reverse();
        assert_eq!(items.iter().map(id_of).collect::<Vec<_>>(), reversed, "-starts_at is the exact reverse");
    }

    async fn list_returns_events_overlapping_the_window_with_exclusive_edges(app: TestApp) {
        create_event(&app, event_at("A", "2027-03-10T09:00:00Z", "2027-03-10T11:00:00Z", json!({}))).await;
        create_event(&app, event_at("B", "2027-03-10T11:00:00Z", "2027-03-10T13:00:00Z", json!({}))).await;
        create_event(&app, event_at("C", "2027-03-09T08:00:00Z", "2027-03-12T18:00:00Z", json!({}))).await;
        create_event(&app, event_at("D", "2027-03-11T09:00:00Z", "2027-03-11T10:00:00Z", json!({}))).await;
        create_event(&app, event_at("E", "2027-03-11T23:30:00+01:00", "2027-03-11T23:45:00+01:00", json!({}))).await;
        let cases = [
            ("from=2027-03-10T11:00:00Z", vec!["C", "B", "D", "E"], "A ends exactly at from: out"),
            ("from=2027-03-10T12:00:00%2B01:00", vec!["C", "B", "D", "E"], "the same instant with an offset"),
            ("to=2027-03-10T11:00:00Z", vec!["C", "A"], "B starts exactly at to: out"),
            ("from=2027-03-10T10:59:59Z&to=2027-03-10T11:00:01Z", vec!["C", "A", "B"], "a two-second window across A's end and B's start"),
            ("from=2027-03-10T12:00:00Z&to=2027-03-10T12:30:00Z", vec!["C", "B"], "inside B, inside C"),
            ("from=2027-03-13T00:00:00Z", vec![], "after everything"),
            ("from=2027-03-11&to=2027-03-11", vec!["C", "D", "E"], "a day in Europe/Paris, its last half hour included"),
            ("from=2027-03-11&to=2027-03-11T22:30:00Z", vec!["C", "D"], "E starts exactly at to: out"),
            ("to=2027-03-10", vec!["C", "A", "B"], "until the end of 10 March"),
        ];
        for (query, expected, what) in cases {
            assert_eq!(titles(&app, query).await, expected, "{what}: {query}");
        }
    }

    async fn list_filters_by_theme_and_organiser_in_any_role(app: TestApp) {
        let cress = app.create_organisation(organisation("Cress Occitanie", json!({"category": "network"}))).await;
        let mutual = app.create_organisation(organisation("Mutuelle solidaire", json!({"category": "mutual"}))).await;
        let organiser = |org: &Value, role: &str| json!({"organisation_id": org["id"], "role": role});
        create_event(&app, event_at("A", "2027-03-01T09:00:00Z", "2027-03-01T10:00:00Z", json!({
            "organisers": [organiser(&cress, "organiser")], "themes": ["mois-de-l-ess", "jeunesse"]
        }))).await;
        create_event(&app, event_at("B", "2027-03-02T09:00:00Z", "2027-03-02T10:00:00Z", json!({
            "organisers": [organiser(&cress, "partner"), organiser(&mutual, "organiser")], "themes": ["jeunesse"]
        }))).await;
        create_event(&app, event_at("C", "2027-03-03T09:00:00Z", "2027-03-03T10:00:00Z", json!({
            "organisers": [organiser(&mutual, "co_organiser")], "themes": ["mois-de-l-ess-2027"]
        }))).await;
        create_event(&app, event_at("D", "2027-03-04T09:00:00Z", "2027-03-04T10:00:00Z", json!({}))).await;
        let cress_id = cress["id"].as_str().unwrap();
        let mutual_id = mutual["id"].as_str().unwrap();

        assert_eq!(titles(&app, "theme=mois-de-l-ess").await, ["A"], "exact theme, not a prefix");
        assert_eq!(titles(&app, "theme=jeunesse").await, ["A", "B"]);
        assert_eq!(titles(&app, "theme=Jeunesse").await, ["A", "B"], "a theme is lowered like on input");
        assert_eq!(titles(&app, "theme=egalite-femmes-hommes").await, Vec::<String>::new());
        assert_eq!(titles(&app, &format!("organiser_id={cress_id}")).await, ["A", "B"], "organiser and partner");
        assert_eq!(titles(&app, &format!("organiser_id={mutual_id}")).await, ["B", "C"], "organiser and co-organiser");
        assert_eq!(titles(&app, &format!("organiser_id={mutual_id}&theme=jeunesse")).await, ["B"]);
        assert_eq!(titles(&app, "organiser_id=0193a1f2-7c4e-7d2a-9b1e-2f5c8a9d0e11").await, Vec::<String>::new());
    }

    async fn list_filters_by_region_club_status_kind_and_title_words(app: TestApp) {
        let cress = app.create_organisation(organisation("Cress Occitanie", json!({"category": "network"}))).await;
        let club = insert_club(&app, cress["id"].as_str().unwrap()).await;
        create_event(&app, event_at("Rencontre du club à Lodève", "2026-09-19T07:30:00Z", "2026-09-19T15:00:00Z", json!({
            "club_id": club, "status": "published", "city": "Lodève"
        }))).await;
        create_event(&app, event_at("Visio du club", "2027-01-10T09:00:00Z", "2027-01-10T10:00:00Z", json!({
            "club_id": club, "kind": "webinar", "online": true, "online_url": "https://visio.example/club", "city": null
        }))).await;
        let rennes = create_event(&app, event_at("Forum de l'ESS à Rennes", "2027-02-01T09:00:00Z", "2027-02-01T17:00:00Z", json!({
            "region_code": "53", "city": "Rennes", "kind": "conference", "status": "published"
        }))).await;
        json_of(app.patch_json(&path_of(&rennes, EVENTS), &json!({"status": "cancelled"})).await, StatusCode::OK).await;

        assert_eq!(titles(&app, "region_code=53").await, ["Forum de l'ESS à Rennes"]);
        assert_eq!(titles(&app, &format!("club_id={club}")).await, ["Rencontre du club à Lodève", "Visio du club"]);
        assert_eq!(titles(&app, "status=published").await, ["Rencontre du club à Lodève"]);
        assert_eq!(titles(&app, "status=cancelled").await, ["Forum de l'ESS à Rennes"]);
        assert_eq!(titles(&app, "status=draft").await, ["Visio du club"]);
        assert_eq!(titles(&app, "kind=webinar").await, ["Visio du club"]);
        assert_eq!(titles(&app, "q=lodeve").await, ["Rencontre du club à Lodève"], "accent-blind");
        assert_eq!(titles(&app, "q=CLUB").await, ["Rencontre du club à Lodève", "Visio du club"], "case-blind");
        assert_eq!(titles(&app, "q=l%27ess").await, ["Forum de l'ESS à Rennes"]);
        assert_eq!(titles(&app, "q=club&region_code=53").await, Vec::<String>::new());
        assert!(titles(&app, "q=%25").await.is_empty(), "a q of punctuation only matches nothing");
    }

    async fn list_embeds_the_organisers_and_themes_of_every_event_of_a_page(app: TestApp) {
        let cress = app.create_organisation(organisation("Cress Occitanie", json!({"category": "network"}))).await;
        let mutual = app.create_organisation(organisation("Mutuelle solidaire", json!({"category": "mutual"}))).await;
        let a = create_event(&app, event_at("A", "2027-03-01T09:00:00Z", "2027-03-01T10:00:00Z", json!({
            "organisers": [{"organisation_id": mutual["id"], "role": "partner"}, {"organisation_id": cress["id"], "role": "organiser"}],
            "themes": ["territoires", "mois-de-l-ess"]
        }))).await;
        let b = create_event(&app, event_at("B", "2027-03-02T09:00:00Z", "2027-03-02T10:00:00Z", json!({
            "organisers": [{"organisation_id": mutual["id"], "role": "organiser"}]
        }))).await;
        let c = create_event(&app, event_at("C", "2027-03-03T09:00:00Z", "2027-03-03T10:00:00Z", json!({"themes": ["jeunesse"]}))).await;

        let page = json_of(app.get(&format!("{EVENTS}?limit=2")).await, StatusCode::OK).await;
        let next = json_of(app.get(&format!("{EVENTS}?limit=2&cursor={}", page["next_cursor"].as_str().unwrap())).await, StatusCode::OK).await;

        assert_eq!(page["items"], json!([a, b]), "each event of the page as it reads alone");
        assert_eq!(next["items"], json!([c]));
        assert_eq!(next["next_cursor"], Value::Null);
    }

    async fn list_returns_400_when_a_parameter_is_invalid(app: TestApp) {
        create_event(&app, event("Rencontre", json!({}))).await;
        let page = json_of(app.get(&format!("{EVENTS}?limit=1")).await, StatusCode::OK).await;
        assert_eq!(page["next_cursor"], Value::Null);
        let cases = [
            ("from=demain", "invalid_parameter", "from"),
            ("to=2027-13-01", "invalid_parameter", "to"),
            ("from=2027-03-12&to=2027-03-11", "invalid_parameter", "to"),
            ("from=2027-03-11T10:00:00Z&to=2027-03-11T10:00:00Z", "invalid_parameter", "to"),
            ("theme=mois%20de%20l%27ess", "invalid_parameter", "theme"),
            ("region_code=05", "invalid_parameter", "region_code"),
            ("status=archived", "invalid_parameter", "status"),
            ("kind=party", "invalid_parameter", "kind"),
            ("sort=title", "invalid_parameter", "sort"),
            ("organiser_id=nope", "invalid_parameter", "organiser_id"),
            ("q=", "invalid_parameter", "q"),
            ("limit=0", "invalid_parameter", "limit"),
            ("colour=red", "invalid_parameter", "colour"),
            ("cursor=nope", "invalid_cursor", "cursor"),
        ];
        for (query, code, parameter) in cases {
            let problem = problem_of(app.get(&format!("{EVENTS}?{query}")).await, StatusCode::BAD_REQUEST, code).await;
            assert!(problem["detail"].as_str().unwrap().contains(parameter), "{query}: names {parameter} in {problem}");
        }
    }

    async fn list_returns_400_when_the_cursor_was_made_for_the_other_order(app: TestApp) {
        for index in 0..3 {
            create_event(&app, event(&format!("E{index}"), json!({}))).await;
        }
        let page = json_of(app.get(&format!("{EVENTS}?limit=1")).await, StatusCode::OK).await;
        let cursor = page["next_cursor"].as_str().expect("a next page");

        let response = app.get(&format!("{EVENTS}?limit=1&sort=-starts_at&cursor={cursor}")).await;

        problem_of(response, StatusCode::BAD_REQUEST, "invalid_cursor").await;
    }

    async fn openapi_examples_are_accepted_when_sent_as_given(app: TestApp) {
        let doc = serde_json::to_value(cress_api::openapi()).expect("the document serialises");
        let create = &doc["paths"]["/api/v1/events"]["post"]["requestBody"]["content"]["application/json"];
        let examples = create["examples"].as_object().expect("named examples");
        assert!(examples.len() >= 2, "the Lodève meeting and the Mois de l'ESS conference: {create}");
        for (name, example) in examples {
            let created = create_event(&app, example["value"].clone()).await;
            assert_eq!(created["time_zone"], "Europe/Paris", "{name}");
        }
        let schemas = &doc["components"]["schemas"];
        let conference = create_event(&app, schemas["CreateEventRequest"]["example"].clone()).await;
        assert_eq!(conference["themes"], json!(["jeunesse", "mois-de-l-ess"]));
        let patch = schemas["UpdateEventRequest"]["example"].clone();
        json_of(app.patch_json(&path_of(&conference, EVENTS), &patch).await, StatusCode::OK).await;
        let lodeve = examples["club_meeting_lodeve"]["value"].clone();
        assert_eq!((lodeve["commune_code"].clone(), lodeve["postal_code"].clone(), lodeve["region_code"].clone()), (json!("34142"), json!("34700"), json!("76")));
    }
}

on_both_backends! {
    async fn anonymous_callers_see_published_events_only_and_managers_change_their_regions_events(app: TestApp) {
        let draft = create_event(&app, event("Réunion préparatoire", json!({}))).await;
        let published = create_event(&app, event("Forum régional", json!({"status": "published"}))).await;
        let anonymous = app.as_anonymous();

        let listed = json_of(anonymous.get(EVENTS).await, StatusCode::OK).await;
        let titles: Vec<&str> = listed["items"].as_array().unwrap().iter().map(|e| e["title"].as_str().unwrap()).collect();
        assert_eq!(titles, ["Forum régional"]);
        let asked = json_of(anonymous.get(&format!("{EVENTS}?status=draft")).await, StatusCode::OK).await;
        assert_eq!(asked["items"], json!([]), "asking for drafts does not show them");
        json_of(anonymous.get(&path_of(&published, EVENTS)).await, StatusCode::OK).await;
        problem_of(anonymous.get(&path_of(&draft, EVENTS)).await, StatusCode::UNAUTHORIZED, "unauthenticated").await;
        json_of(app.as_role(&Role::Viewer).get(&path_of(&draft, EVENTS)).await, StatusCode::OK).await;
        assert_eq!(event_count(&app).await, 2, "an administrator lists both");

        let home = app.as_role(&manager_of("76"));
        let away = app.as_role(&manager_of("53"));
        let path = path_of(&draft, EVENTS);
        problem_of(away.patch_json(&path, &json!({"title": "Autre"})).await, StatusCode::FORBIDDEN, "forbidden").await;
        problem_of(home.patch_json(&path, &json!({"region_code": "53"})).await, StatusCode::FORBIDDEN, "forbidden").await;
        problem_of(away.post_json(EVENTS, &event("Ailleurs", json!({}))).await, StatusCode::FORBIDDEN, "forbidden").await;
        problem_of(
            home.post_json(EVENTS, &event("En ligne", json!({"online": true, "online_url": "https://visio.example/a", "city": null, "region_code": null}))).await,
            StatusCode::FORBIDDEN,
            "forbidden",
        )
        .await;
        problem_of(app.as_role(&partner_of(&json!(id_of(&draft)))).delete(&path).await, StatusCode::FORBIDDEN, "forbidden").await;
        assert_eq!(json_of(app.get(&path).await, StatusCode::OK).await, draft, "unchanged");
        assert_eq!(event_count(&app).await, 2, "nothing created");

        json_of(home.patch_json(&path, &json!({"title": "Réunion de préparation"})).await, StatusCode::OK).await;
        assert_eq!(home.delete(&path).await.status(), StatusCode::NO_CONTENT);
    }

    async fn a_manager_holds_its_events_only_by_the_clubs_of_its_own_region(app: TestApp) {
        // Arrange: a club in region 76 and one in region 11, each hosted by an organisation.
        let host = app.create_organisation(organisation("Cress Occitanie", json!({"category": "network"}))).await;
        let club = |name: &str, region: &str| json!({"name": name, "region_code": region, "host_organisation_id": host["id"]});
        let home = json_of(app.post_json("/api/v1/clubs", &club("Club occitan", "76")).await, StatusCode::CREATED).await;
        let away = json_of(app.post_json("/api/v1/clubs", &club("Club francilien", "11")).await, StatusCode::CREATED).await;
        let manager = app.as_role(&manager_of("76"));
        // Act
        let own = manager.post_json(EVENTS, &event("Rencontre du club", json!({"club_id": home["id"]}))).await;
        let other = manager.post_json(EVENTS, &event("Rencontre ailleurs", json!({"club_id": away["id"]}))).await;
        let created = json_of(own, StatusCode::CREATED).await;
        let path = format!("{EVENTS}/{}", created["id"].as_str().unwrap_or_default());
        let moved = manager.patch_json(&path, &json!({"club_id": away["id"]})).await;
        // Assert
        for response in [other, moved] {
            let problem = problem_of(response, StatusCode::FORBIDDEN, "forbidden").await;
            assert!(problem["detail"].as_str().is_some_and(|d| d.contains("region 11")), "{problem}");
        }
        assert_eq!(json_of(app.get(&path).await, StatusCode::OK).await["club_id"], home["id"], "unchanged");
        let by_admin = app.patch_json(&path, &json!({"club_id": away["id"]})).await;
        assert_eq!(json_of(by_admin, StatusCode::OK).await["club_id"], away["id"]);
    }
}
