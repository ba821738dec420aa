//! `/api/v1/clubs` and `/api/v1/clubs/{id}/members`: clubs, their host and their members, with
//! the rules of docs/domain.md, on both backends.

use reqwest::StatusCode;
use serde_json::{Value, json};

use cress_api::core::Role;

use crate::helpers::{TestApp, failing_fields, json_of, manager_of, organisation, partner_of, problem_of};
use crate::on_both_backends;

const UNKNOWN_ID: &str = "0193a1f2-7c4e-7d2a-9b1e-2f5c8a9d0e11";

/// The id of a JSON record, as text.
fn id_of(record: &Value) -> String {
    record["id"].as_str().expect("an id").to_owned()
}

/// Today as the server sees it (UTC).
fn today() -> chrono::NaiveDate {
    chrono::Utc::now().date_naive()
}

/// Creates the Cress Occitanie, the usual host of a club.
async fn cress(app: &TestApp) -> Value {
    app.create_organisation(organisation(
        "Cress Occitanie",
        json!({"category": "network", "legal_category_code": "9220"}),
    ))
    .await
}

/// A valid club body hosted by `host_id`; `overrides` replaces or adds fields.
fn club(name: &str, host_id: &str, overrides: Value) -> Value {
    let mut body = json!({"name": name, "region_code": "76", "host_organisation_id": host_id});
    if let (Some(body), Some(overrides)) = (body.as_object_mut(), overrides.as_object()) {
        for (key, value) in overrides {
            body.insert(key.clone(), value.clone());
        }
    }
    body
}

/// Creates a club and returns its JSON, failing the test if it is not created.
async fn create_club(app: &TestApp, body: Value) -> Value {
    json_of(app.post_json("/api/v1/clubs", &body).await, StatusCode::CREATED).await
}

/// Adds a member to a club and returns its JSON, failing the test if it is not added.
async fn add_member(app: &TestApp, club_id: &str, body: Value) -> Value {
    json_of(
        app.post_json(&format!("/api/v1/clubs/{club_id}/members"), &body).await,
        StatusCode::CREATED,
    )
    .await
}

/// Creates an organisation and adds it to the club with these membership fields.
async fn new_member(app: &TestApp, club_id: &str, name: &str, fields: Value) -> Value {
    let org = app.create_organisation(organisation(name, json!({}))).await;
    let mut body = json!({"organisation_id": org["id"]});
    if let (Some(body), Some(fields)) = (body.as_object_mut(), fields.as_object()) {
        for (key, value) in fields {
            body.insert(key.clone(), value.clone());
        }
    }
    add_member(app, club_id, body).await
}

/// Every club, following the cursors.
async fn all_clubs(app: &TestApp) -> Vec<Value> {
    app.all_pages("/api/v1/clubs?limit=200").await
}

/// The names of the members `path` lists, following the cursors.
async fn member_names(app: &TestApp, path: &str) -> Vec<String> {
    app.all_pages(path)
        .await
        .iter()
        .map(|m| m["organisation_name"].as_str().expect("a name").to_owned())
        .collect()
}

/// The club of Part C of docs/domain.md, hosted by the Cress.
async fn club_des_collectivites(app: &TestApp) -> (Value, Value) {
    let host = cress(app).await;
    let created = create_club(
        app,
        club(
            "Club des collectivités locales pour l'ESS",
            &id_of(&host),
            json!({"audience": "Élus et agents des collectivités locales"}),
        ),
    )
    .await;
    (host, created)
}

on_both_backends! {
    async fn create_returns_201_with_location_host_and_member_count_when_the_body_is_valid(app: TestApp) {
        let host = cress(&app).await;
        let body = json!({
            "name": "  Club des collectivités locales pour l'ESS ",
            "region_code": "76",
            "host_organisation_id": host["id"],
            "description": "Plusieurs visios par an et deux journées en présentiel.",
            "audience": " Élus et agents des collectivités locales "
        });

        let response = app.post_json("/api/v1/clubs", &body).await;

        let location = response.headers().get("location").map(|v| v.to_str().unwrap().to_owned());
        let created = json_of(response, StatusCode::CREATED).await;
        let id = id_of(&created);
        assert_eq!(location.as_deref(), Some(format!("/api/v1/clubs/{id}").as_str()));
        assert_eq!(created["name"], "Club des collectivités locales pour l'ESS", "name is trimmed");
        assert_eq!(created["audience"], "Élus et agents des collectivités locales", "audience is trimmed");
        assert_eq!(created["region_code"], "76");
        assert_eq!(created["host_organisation_id"], host["id"]);
        assert_eq!(created["host_organisation"], json!({"id": host["id"], "name": "Cress Occitanie"}));
        assert_eq!(created["active_member_count"], 0);
        assert_eq!(created["version"], 1);
        assert_eq!(created["created_at"], created["updated_at"]);
        let read = json_of(app.get(&format!("/api/v1/clubs/{id}")).await, StatusCode::OK).await;
        assert_eq!(read, created, "what is read back is what creation answered");
    }

    async fn create_returns_422_listing_every_required_field_when_they_are_missing(app: TestApp) {
        let response = app.post_json("/api/v1/clubs", &json!({})).await;

        let problem = problem_of(response, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
        let errors = problem["errors"].as_array().expect("errors listed");
        for field in ["name", "region_code", "host_organisation_id"] {
            assert!(errors.iter().any(|e| e["field"] == field && e["code"] == "required"), "{field} required in {problem}");
        }
        assert_eq!(errors.len(), 3, "only the three required fields: {problem}");
        assert!(all_clubs(&app).await.is_empty(), "nothing stored");
    }

    async fn create_returns_422_with_the_rule_broken_when_a_field_is_invalid(app: TestApp) {
        let host = id_of(&cress(&app).await);
        let cases = [
            (json!({"region_code": "05"}), "region_code", "unknown_code", "region 05 does not exist"),
            (json!({"region_code": "91"}), "region_code", "unknown_code", "pre-2016 region"),
            (json!({"region_code": "7"}), "region_code", "invalid_format", "one-digit region"),
            (json!({"region_code": null}), "region_code", "required", "region null"),
            (json!({"name": "   "}), "name", "blank", "blank name"),
            (json!({"name": "x".repeat(201)}), "name", "too_long", "name over 200 characters"),
            (json!({"description": "x".repeat(5001)}), "description", "too_long", "description over 5000 characters"),
            (json!({"audience": "x".repeat(501)}), "audience", "too_long", "audience over 500 characters"),
            (json!({"audience": "   "}), "audience", "blank", "blank audience: send null instead"),
            (json!({"description": "a\u{0}b"}), "description", "invalid_format", "NUL in the description"),
            (json!({"host_organisation_id": "cress"}), "host_organisation_id", "invalid_type", "host that is not a UUID"),
            (json!({"host_organisation_id": null}), "host_organisation_id", "required", "host null"),
            (json!({"host_organisation_id": UNKNOWN_ID}), "host_organisation_id", "not_found", "unknown host"),
            (json!({"members": []}), "members", "unknown_field", "unknown field"),
        ];
        for (fields, field, code, what) in cases {
            let response = app.post_json("/api/v1/clubs", &club("Club test", &host, fields)).await;

            let problem = problem_of(response, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
            let errors = problem["errors"].as_array().expect("errors listed");
            assert!(
                errors.iter().any(|e| e["field"] == field && e["code"] == code && e["message"].as_str().is_some_and(|m| !m.is_empty())),
                "{what}: expected {field}/{code} in {problem}"
            );
        }
        assert!(all_clubs(&app).await.is_empty(), "nothing invalid was stored");
    }

    async fn create_returns_422_naming_the_unknown_host_with_the_other_failing_fields(app: TestApp) {
        let body = json!({"name": "", "region_code": "05", "host_organisation_id": UNKNOWN_ID});

        let response = app.post_json("/api/v1/clubs", &body).await;

        let problem = problem_of(response, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
        let mut fields = failing_fields(&problem);
        fields.sort();
        assert_eq!(fields, ["host_organisation_id", "name", "region_code"], "in {problem}");
        let host_error = problem["errors"].as_array().unwrap().iter().find(|e| e["field"] == "host_organisation_id").unwrap();
        assert_eq!(host_error["code"], "not_found");
        assert!(host_error["message"].as_str().unwrap().contains(UNKNOWN_ID), "the message names the id: {problem}");
        assert!(all_clubs(&app).await.is_empty());
    }

    async fn create_accepts_every_region_code_when_it_is_one_of_the_18(app: TestApp) {
        let host = id_of(&cress(&app).await);
        let codes = ["01", "02", "03", "04", "06", "11", "24", "27", "28", "32", "44", "52", "53", "75", "76", "84", "93", "94"];
        for code in codes {
            let created = create_club(&app, club(&format!("Club {code}"), &host, json!({"region_code": code}))).await;
            assert_eq!(created["region_code"], code);
        }
        assert_eq!(all_clubs(&app).await.len(), 18);
    }

    async fn get_returns_404_problem_when_the_club_does_not_exist(app: TestApp) {
        problem_of(app.get(&format!("/api/v1/clubs/{UNKNOWN_ID}")).await, StatusCode::NOT_FOUND, "not_found").await;
        problem_of(app.get("/api/v1/clubs/not-a-uuid").await, StatusCode::NOT_FOUND, "not_found").await;
    }

    async fn update_changes_only_the_fields_sent_and_clears_the_null_ones(app: TestApp) {
        let (_, created) = club_des_collectivites(&app).await;
        let mutual = app.create_organisation(organisation("Mutuelle solidaire d'Occitanie", json!({"category": "mutual"}))).await;
        let path = format!("/api/v1/clubs/{}", id_of(&created));

        let response = app
            .patch_json(&path, &json!({"audience": null, "description": "Deux journées par an.", "host_organisation_id": mutual["id"]}))
            .await;

        let updated = json_of(response, StatusCode::OK).await;
        assert_eq!(updated["audience"], Value::Null, "null clears");
        assert_eq!(updated["description"], "Deux journées par an.");
        assert_eq!(updated["host_organisation"], json!({"id": mutual["id"], "name": "Mutuelle solidaire d'Occitanie"}));
        assert_eq!(updated["name"], created["name"], "absent stays");
        assert_eq!(updated["version"], 2);
        assert_eq!(updated["created_at"], created["created_at"]);
        assert_ne!(updated["updated_at"], created["updated_at"]);
        assert_eq!(json_of(app.get(&path).await, StatusCode::OK).await, updated);
    }

    async fn update_keeps_the_version_when_the_patch_changes_nothing(app: TestApp) {
        let (_, created) = club_des_collectivites(&app).await;
        let path = format!("/api/v1/clubs/{}", id_of(&created));

        let response = app.patch_json(&path, &json!({"name": " Club des collectivités locales pour l'ESS ", "region_code": "76"})).await;

        assert_eq!(json_of(response, StatusCode::OK).await, created, "same values after trimming: no change");
    }

    async fn update_returns_422_and_changes_nothing_when_the_result_breaks_a_rule(app: TestApp) {
        let (_, created) = club_des_collectivites(&app).await;
        let path = format!("/api/v1/clubs/{}", id_of(&created));
        let cases = [
            (json!({"name": null}), "name", "required", "a required field cannot be cleared"),
            (json!({"region_code": null}), "region_code", "required", "a required field cannot be cleared"),
            (json!({"host_organisation_id": null}), "host_organisation_id", "required", "a required field cannot be cleared"),
            (json!({"host_organisation_id": UNKNOWN_ID}), "host_organisation_id", "not_found", "an unknown host"),
            (json!({"region_code": "99"}), "region_code", "unknown_code", "an unknown region"),
            (json!({"audience": "x".repeat(501)}), "audience", "too_long", "audience over 500 characters"),
            (json!({"nmae": "typo"}), "nmae", "unknown_field", "an unknown field"),
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
    }

    async fn update_returns_404_when_the_club_does_not_exist(app: TestApp) {
        let response = app.patch_json(&format!("/api/v1/clubs/{UNKNOWN_ID}"), &json!({"name": "Club"})).await;

        problem_of(response, StatusCode::NOT_FOUND, "not_found").await;
    }

    async fn list_pages_through_every_club_once_in_name_order_ignoring_accents(app: TestApp) {
        let host = id_of(&cress(&app).await);
        for name in ["Zèbre club", "Élus pour l'ESS", "atelier des maires", "Club des collectivités", "Écoles", "Dune"] {
            create_club(&app, club(name, &host, json!({}))).await;
        }

        let items = app.all_pages("/api/v1/clubs?limit=2").await;

        let names: Vec<&str> = items.iter().map(|c| c["name"].as_str().unwrap()).collect();
        assert_eq!(names, ["atelier des maires", "Club des collectivités", "Dune", "Écoles", "Élus pour l'ESS", "Zèbre club"]);
        let first = json_of(app.get("/api/v1/clubs?limit=6").await, StatusCode::OK).await;
        assert_eq!(first["next_cursor"], Value::Null, "no next page when everything fits");
    }

    async fn list_filters_by_region_and_words_of_the_name_ignoring_case_and_accents(app: TestApp) {
        let host = id_of(&cress(&app).await);
        create_club(&app, club("Club des collectivités locales pour l'ESS", &host, json!({}))).await;
        create_club(&app, club("Club des élus de Bretagne", &host, json!({"region_code": "53"}))).await;
        create_club(&app, club("Réseau des mécènes", &host, json!({}))).await;
        let names = |items: Vec<Value>| items.iter().map(|c| c["name"].as_str().unwrap().to_owned()).collect::<Vec<_>>();

        assert_eq!(names(app.all_pages("/api/v1/clubs?region_code=53").await), ["Club des élus de Bretagne"]);
        assert_eq!(names(app.all_pages("/api/v1/clubs?q=COLLECTIVITES").await), ["Club des collectivités locales pour l'ESS"]);
        assert_eq!(names(app.all_pages("/api/v1/clubs?q=mecenes").await), ["Réseau des mécènes"]);
        assert_eq!(names(app.all_pages("/api/v1/clubs?q=club%20DES").await).len(), 2);
        assert_eq!(names(app.all_pages("/api/v1/clubs?q=club&region_code=76").await), ["Club des collectivités locales pour l'ESS"]);
        assert!(names(app.all_pages("/api/v1/clubs?q=%25").await).is_empty(), "a q of punctuation only matches nothing");
        assert!(names(app.all_pages("/api/v1/clubs?q=50%25").await).is_empty(), "% is taken literally");
    }

    async fn list_returns_400_when_a_parameter_is_invalid(app: TestApp) {
        for (query, code, what) in [
            ("region_code=05", "invalid_parameter", "unknown region"),
            ("limit=0", "invalid_parameter", "limit 0"),
            ("limit=201", "invalid_parameter", "limit over 200"),
            ("q=", "invalid_parameter", "empty q"),
            ("host=1", "invalid_parameter", "unknown parameter"),
            ("cursor=abc", "invalid_cursor", "not a cursor"),
        ] {
            let response = app.get(&format!("/api/v1/clubs?{query}")).await;
            let problem = problem_of(response, StatusCode::BAD_REQUEST, code).await;
            assert!(problem["detail"].as_str().unwrap().contains(query.split('=').next().unwrap()), "{what}: {problem}");
        }
    }

    async fn list_and_get_count_only_the_active_members_of_each_club(app: TestApp) {
        let (host, busy) = club_des_collectivites(&app).await;
        let quiet = create_club(&app, club("Atelier sans membres", &id_of(&host), json!({}))).await;
        let busy_id = id_of(&busy);
        let tomorrow = (today() + chrono::Days::new(1)).to_string();
        let yesterday = (today() - chrono::Days::new(1)).to_string();
        new_member(&app, &busy_id, "Active", json!({})).await;
        new_member(&app, &busy_id, "Leaves tomorrow", json!({"joined_on": "2025-01-01", "left_on": tomorrow})).await;
        new_member(&app, &busy_id, "Left yesterday", json!({"joined_on": "2025-01-01", "left_on": yesterday})).await;
        new_member(&app, &busy_id, "Left today", json!({"joined_on": "2025-01-01", "left_on": today().to_string()})).await;

        let clubs = all_clubs(&app).await;

        let counts: Vec<(&str, &Value)> = clubs.iter().map(|c| (c["name"].as_str().unwrap(), &c["active_member_count"])).collect();
        assert_eq!(counts, [("Atelier sans membres", &json!(0)), ("Club des collectivités locales pour l'ESS", &json!(2))]);
        let read = json_of(app.get(&format!("/api/v1/clubs/{busy_id}")).await, StatusCode::OK).await;
        assert_eq!(read["active_member_count"], 2);
        assert_eq!(read["host_organisation"]["name"], "Cress Occitanie");
        let quiet = json_of(app.get(&format!("/api/v1/clubs/{}", id_of(&quiet))).await, StatusCode::OK).await;
        assert_eq!(quiet["active_member_count"], 0);
    }

    async fn delete_returns_409_in_use_while_the_club_has_members_then_204_once_they_are_removed(app: TestApp) {
        let (_, created) = club_des_collectivites(&app).await;
        let club_id = id_of(&created);
        let path = format!("/api/v1/clubs/{club_id}");
        let first = new_member(&app, &club_id, "Mutuelle", json!({"role": "steering_committee"})).await;
        let second = new_member(&app, &club_id, "Mairie de Lodève", json!({"joined_on": "2024-01-01", "left_on": "2025-01-01"})).await;

        let response = app.delete(&path).await;

        let problem = problem_of(response, StatusCode::CONFLICT, "in_use").await;
        assert!(problem["detail"].as_str().unwrap().contains("2 members"), "detail names the members: {problem}");
        assert_eq!(json_of(app.get(&path).await, StatusCode::OK).await["active_member_count"], 1, "the club is still there");
        assert_eq!(member_names(&app, &format!("{path}/members?limit=10")).await.len(), 2, "members untouched");
        for member in [first, second] {
            let member_path = format!("{path}/members/{}", member["organisation_id"].as_str().unwrap());
            assert_eq!(app.delete(&member_path).await.status(), StatusCode::NO_CONTENT);
        }
        assert_eq!(app.delete(&path).await.status(), StatusCode::NO_CONTENT);
        problem_of(app.get(&path).await, StatusCode::NOT_FOUND, "not_found").await;
        problem_of(app.delete(&path).await, StatusCode::NOT_FOUND, "not_found").await;
    }

    async fn delete_organisation_returns_409_in_use_while_it_hosts_a_club(app: TestApp) {
        let (host, created) = club_des_collectivites(&app).await;
        let host_path = format!("/api/v1/organisations/{}", id_of(&host));

        let response = app.delete(&host_path).await;

        let problem = problem_of(response, StatusCode::CONFLICT, "in_use").await;
        assert!(problem["detail"].as_str().unwrap().contains("1 club it hosts"), "detail names the club: {problem}");
        assert_eq!(json_of(app.get(&host_path).await, StatusCode::OK).await, host, "the host is still there");
        assert_eq!(app.delete(&format!("/api/v1/clubs/{}", id_of(&created))).await.status(), StatusCode::NO_CONTENT);
        assert_eq!(app.delete(&host_path).await.status(), StatusCode::NO_CONTENT, "allowed once the club is gone");
    }

    async fn delete_organisation_returns_409_in_use_while_it_is_a_member(app: TestApp) {
        let (_, created) = club_des_collectivites(&app).await;
        let club_id = id_of(&created);
        let member = new_member(&app, &club_id, "Mutuelle solidaire d'Occitanie", json!({})).await;
        let org_path = format!("/api/v1/organisations/{}", member["organisation_id"].as_str().unwrap());

        let response = app.delete(&org_path).await;

        let problem = problem_of(response, StatusCode::CONFLICT, "in_use").await;
        assert!(problem["detail"].as_str().unwrap().contains("1 club membership"), "detail names the membership: {problem}");
        json_of(app.get(&org_path).await, StatusCode::OK).await;
        let member_path = format!("/api/v1/clubs/{club_id}/members/{}", member["organisation_id"].as_str().unwrap());
        assert_eq!(json_of(app.get(&member_path).await, StatusCode::OK).await, member, "the membership is untouched");
    }

    async fn add_member_returns_201_with_defaults_and_the_organisation_when_only_the_organisation_is_given(app: TestApp) {
        let (_, created) = club_des_collectivites(&app).await;
        let club_id = id_of(&created);
        let mutual = app.create_organisation(organisation("Mutuelle solidaire d'Occitanie", json!({"category": "mutual"}))).await;

        let response = app.post_json(&format!("/api/v1/clubs/{club_id}/members"), &json!({"organisation_id": mutual["id"]})).await;

        let location = response.headers().get("location").map(|v| v.to_str().unwrap().to_owned());
        let member = json_of(response, StatusCode::CREATED).await;
        let member_path = format!("/api/v1/clubs/{club_id}/members/{}", id_of(&mutual));
        assert_eq!(location.as_deref(), Some(member_path.as_str()));
        assert_eq!(member["club_id"], json!(club_id));
        assert_eq!(member["organisation_id"], mutual["id"]);
        assert_eq!(member["organisation_name"], "Mutuelle solidaire d'Occitanie");
        assert_eq!(member["organisation_category"], "mutual");
        assert_eq!(member["role"], "member", "role defaults to member");
        assert_eq!(member["joined_on"], json!(today().to_string()), "joined_on defaults to today");
        assert_eq!(member["left_on"], Value::Null);
        assert_eq!(member["active"], true);
        assert_eq!(member["version"], 1);
        assert_eq!(json_of(app.get(&member_path).await, StatusCode::OK).await, member);
        let club = json_of(app.get(&format!("/api/v1/clubs/{club_id}")).await, StatusCode::OK).await;
        assert_eq!(club["active_member_count"], 1);
    }

    async fn add_member_returns_201_with_the_role_and_dates_given(app: TestApp) {
        let (_, created) = club_des_collectivites(&app).await;
        let club_id = id_of(&created);

        let committee = new_member(&app, &club_id, "Mutuelle", json!({"role": "steering_committee", "joined_on": "2026-01-15"})).await;
        let patron = new_member(&app, &club_id, "Fondation", json!({"role": "patron"})).await;
        let former = new_member(&app, &club_id, "Ancienne", json!({"role": "facilitator", "joined_on": "2020-09-01", "left_on": "2020-09-01"})).await;

        assert_eq!((&committee["role"], &committee["joined_on"]), (&json!("steering_committee"), &json!("2026-01-15")));
        assert_eq!(patron["role"], "patron");
        assert_eq!((&former["left_on"], &former["active"]), (&json!("2020-09-01"), &json!(false)), "leaving the day it joined is allowed");
    }

    async fn add_member_returns_422_with_the_rule_broken_when_a_field_is_invalid(app: TestApp) {
        let (_, created) = club_des_collectivites(&app).await;
        let club_id = id_of(&created);
        let org = app.create_organisation(organisation("Mairie de Lodève", json!({"category": "local_authority"}))).await;
        let path = format!("/api/v1/clubs/{club_id}/members");
        let cases = [
            (json!({}), "organisation_id", "required", "no organisation"),
            (json!({"organisation_id": null}), "organisation_id", "required", "null organisation"),
            (json!({"organisation_id": UNKNOWN_ID}), "organisation_id", "not_found", "unknown organisation"),
            (json!({"organisation_id": "mairie"}), "organisation_id", "invalid_type", "not a UUID"),
            (json!({"organisation_id": org["id"], "role": "president"}), "role", "unknown_value", "unknown role"),
            (json!({"organisation_id": org["id"], "joined_on": "19/09/2026"}), "joined_on", "invalid_type", "French date"),
            (json!({"organisation_id": org["id"], "joined_on": "2026-01-15", "left_on": "2026-01-14"}), "left_on", "mismatch", "left before joining"),
            (json!({"organisation_id": org["id"], "left_on": "2000-01-01"}), "left_on", "mismatch", "left before today, the default joined_on"),
            (json!({"organisation_id": org["id"], "club_id": club_id}), "club_id", "unknown_field", "unknown field"),
        ];
        for (body, field, code, what) in cases {
            let response = app.post_json(&path, &body).await;
            let problem = problem_of(response, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
            assert!(
                problem["errors"].as_array().unwrap().iter().any(|e| e["field"] == field && e["code"] == code),
                "{what}: expected {field}/{code} in {problem}"
            );
        }
        assert!(member_names(&app, &format!("{path}?limit=10")).await.is_empty(), "nothing stored");
    }

    async fn add_member_returns_422_naming_the_unknown_organisation_and_the_dates_together(app: TestApp) {
        let (_, created) = club_des_collectivites(&app).await;
        let body = json!({"organisation_id": UNKNOWN_ID, "joined_on": "2026-01-15", "left_on": "2025-12-31"});

        let response = app.post_json(&format!("/api/v1/clubs/{}/members", id_of(&created)), &body).await;

        let problem = problem_of(response, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
        let mut fields = failing_fields(&problem);
        fields.sort();
        assert_eq!(fields, ["left_on", "organisation_id"], "in {problem}");
    }

    async fn add_member_returns_409_already_member_when_the_organisation_is_an_active_member(app: TestApp) {
        let (_, created) = club_des_collectivites(&app).await;
        let club_id = id_of(&created);
        let member = new_member(&app, &club_id, "Mutuelle", json!({"role": "steering_committee", "joined_on": "2026-01-15"})).await;

        let response = app
            .post_json(&format!("/api/v1/clubs/{club_id}/members"), &json!({"organisation_id": member["organisation_id"], "role": "patron"}))
            .await;

        let problem = problem_of(response, StatusCode::CONFLICT, "already_member").await;
        let detail = problem["detail"].as_str().unwrap();
        assert!(detail.contains("active member"), "detail says it is active: {problem}");
        assert!(detail.contains("PATCH"), "detail says how to change it: {problem}");
        let member_path = format!("/api/v1/clubs/{club_id}/members/{}", member["organisation_id"].as_str().unwrap());
        assert!(detail.contains(&member_path), "detail gives the membership's address: {problem}");
        assert_eq!(json_of(app.get(&member_path).await, StatusCode::OK).await, member, "nothing changed");
    }

    async fn add_member_returns_409_already_member_when_the_organisation_has_left(app: TestApp) {
        let (_, created) = club_des_collectivites(&app).await;
        let club_id = id_of(&created);
        let member = new_member(&app, &club_id, "Ancienne", json!({"joined_on": "2020-01-01", "left_on": "2023-06-30"})).await;

        let response = app.post_json(&format!("/api/v1/clubs/{club_id}/members"), &json!({"organisation_id": member["organisation_id"]})).await;

        let problem = problem_of(response, StatusCode::CONFLICT, "already_member").await;
        let detail = problem["detail"].as_str().unwrap();
        assert!(detail.contains("left on 2023-06-30"), "detail says it has left: {problem}");
        assert!(detail.contains("PATCH") && detail.contains("left_on null"), "detail says how to rejoin: {problem}");
        assert_eq!(member_names(&app, &format!("/api/v1/clubs/{club_id}/members?limit=10")).await, ["Ancienne"], "still one row");
    }

    async fn add_member_returns_404_when_the_club_does_not_exist(app: TestApp) {
        let org = app.create_organisation(organisation("Mutuelle", json!({}))).await;
        let path = format!("/api/v1/clubs/{UNKNOWN_ID}/members");

        problem_of(app.post_json(&path, &json!({"organisation_id": org["id"]})).await, StatusCode::NOT_FOUND, "not_found").await;
        problem_of(app.post_json(&path, &json!({"organisation_id": UNKNOWN_ID})).await, StatusCode::NOT_FOUND, "not_found").await;
        problem_of(app.get(&format!("{path}?limit=10")).await, StatusCode::NOT_FOUND, "not_found").await;
    }

    async fn list_members_carries_the_organisation_names_and_categories_in_name_order(app: TestApp) {
        let (_, created) = club_des_collectivites(&app).await;
        let club_id = id_of(&created);
        for (name, category) in [("Mutuelle solidaire", "mutual"), ("Département de l'Hérault", "local_authority"), ("Écoles", "association")] {
            let org = app.create_organisation(organisation(name, json!({"category": category}))).await;
            add_member(&app, &club_id, json!({"organisation_id": org["id"]})).await;
        }

        let items = app.all_pages(&format!("/api/v1/clubs/{club_id}/members?limit=50")).await;

        let listed: Vec<(&str, &str)> = items
            .iter()
            .map(|m| (m["organisation_name"].as_str().unwrap(), m["organisation_category"].as_str().unwrap()))
            .collect();
        assert_eq!(listed, [("Département de l'Hérault", "local_authority"), ("Écoles", "association"), ("Mutuelle solidaire", "mutual")]);
    }

    async fn list_members_pages_through_every_member_once_in_organisation_name_order(app: TestApp) {
        let (_, created) = club_des_collectivites(&app).await;
        let club_id = id_of(&created);
        for name in ["Zèbre", "économie", "Atelier", "Ébène", "Dune", "atelier bis", "Fabrique"] {
            new_member(&app, &club_id, name, json!({})).await;
        }
        let other = create_club(&app, club("Autre club", created["host_organisation_id"].as_str().unwrap(), json!({}))).await;
        new_member(&app, &id_of(&other), "Membre d'un autre club", json!({})).await;

        let names = member_names(&app, &format!("/api/v1/clubs/{club_id}/members?limit=2")).await;

        assert_eq!(names, ["Atelier", "atelier bis", "Dune", "Ébène", "économie", "Fabrique", "Zèbre"]);
    }

    async fn list_members_filters_by_active_and_role(app: TestApp) {
        let (_, created) = club_des_collectivites(&app).await;
        let club_id = id_of(&created);
        let tomorrow = (today() + chrono::Days::new(1)).to_string();
        new_member(&app, &club_id, "Active member", json!({})).await;
        new_member(&app, &club_id, "Committee leaving tomorrow", json!({"role": "steering_committee", "joined_on": "2025-01-01", "left_on": tomorrow})).await;
        new_member(&app, &club_id, "Patron left today", json!({"role": "patron", "joined_on": "2025-01-01", "left_on": today().to_string()})).await;
        new_member(&app, &club_id, "Patron left long ago", json!({"role": "patron", "joined_on": "2019-01-01", "left_on": "2020-01-01"})).await;
        new_member(&app, &club_id, "Patron still here", json!({"role": "patron", "joined_on": "2024-01-01"})).await;
        let path = |query: &str| format!("/api/v1/clubs/{club_id}/members?{query}");

        assert_eq!(
            member_names(&app, &path("active=true")).await,
            ["Active member", "Committee leaving tomorrow", "Patron still here"]
        );
        assert_eq!(member_names(&app, &path("active=false")).await, ["Patron left long ago", "Patron left today"]);
        assert_eq!(
            member_names(&app, &path("role=patron")).await,
            ["Patron left long ago", "Patron left today", "Patron still here"]
        );
        assert_eq!(member_names(&app, &path("role=patron&active=true")).await, ["Patron still here"]);
        assert_eq!(member_names(&app, &path("role=steering_committee")).await, ["Committee leaving tomorrow"]);
        assert!(member_names(&app, &path("role=facilitator")).await.is_empty());
        assert_eq!(member_names(&app, &path("limit=200")).await.len(), 5, "no filter: everyone");
        let items = app.all_pages(&path("active=true")).await;
        assert!(items.iter().all(|m| m["active"] == true), "each member says it is active: {items:?}");
        let items = app.all_pages(&path("active=false")).await;
        assert!(items.iter().all(|m| m["active"] == false), "each former member says it is not: {items:?}");
    }

    async fn list_members_returns_400_when_a_parameter_is_invalid(app: TestApp) {
        let (_, created) = club_des_collectivites(&app).await;
        let club_id = id_of(&created);
        let clubs_page = json_of(app.get("/api/v1/clubs?limit=1").await, StatusCode::OK).await;
        assert_eq!(clubs_page["next_cursor"], Value::Null);
        let other = create_club(&app, club("Autre", created["host_organisation_id"].as_str().unwrap(), json!({}))).await;
        let clubs_page = json_of(app.get("/api/v1/clubs?limit=1").await, StatusCode::OK).await;
        let club_cursor = clubs_page["next_cursor"].as_str().expect("a next page").to_owned();
        assert_ne!(id_of(&other), club_id);
        for (query, code) in [
            ("active=yes".to_owned(), "invalid_parameter"),
            ("role=president".to_owned(), "invalid_parameter"),
            ("limit=500".to_owned(), "invalid_parameter"),
            ("since=2020-01-01".to_owned(), "invalid_parameter"),
            (format!("cursor={club_cursor}"), "invalid_cursor"),
        ] {
            let response = app.get(&format!("/api/v1/clubs/{club_id}/members?{query}")).await;
            problem_of(response, StatusCode::BAD_REQUEST, code).await;
        }
    }

    async fn update_member_changes_the_role_and_rejoins_when_left_on_is_cleared(app: TestApp) {
        let (_, created) = club_des_collectivites(&app).await;
        let club_id = id_of(&created);
        let member = new_member(&app, &club_id, "Mutuelle", json!({"joined_on": "2022-01-01", "left_on": "2023-06-30"})).await;
        let path = format!("/api/v1/clubs/{club_id}/members/{}", member["organisation_id"].as_str().unwrap());

        let response = app.patch_json(&path, &json!({"role": "steering_committee", "left_on": null})).await;

        let updated = json_of(response, StatusCode::OK).await;
        assert_eq!(updated["role"], "steering_committee");
        assert_eq!(updated["left_on"], Value::Null, "null clears left_on: the organisation rejoins");
        assert_eq!(updated["active"], true);
        assert_eq!(updated["joined_on"], "2022-01-01", "absent stays");
        assert_eq!(updated["organisation_name"], "Mutuelle");
        assert_eq!(updated["version"], 2);
        assert_ne!(updated["updated_at"], member["updated_at"]);
        assert_eq!(json_of(app.get(&path).await, StatusCode::OK).await, updated);
        let club = json_of(app.get(&format!("/api/v1/clubs/{club_id}")).await, StatusCode::OK).await;
        assert_eq!(club["active_member_count"], 1, "counted again once rejoined");
    }

    async fn update_member_sets_left_on_and_keeps_the_version_when_nothing_changes(app: TestApp) {
        let (_, created) = club_des_collectivites(&app).await;
        let club_id = id_of(&created);
        let member = new_member(&app, &club_id, "Mutuelle", json!({"joined_on": "2022-01-01"})).await;
        let path = format!("/api/v1/clubs/{club_id}/members/{}", member["organisation_id"].as_str().unwrap());

        let unchanged = json_of(app.patch_json(&path, &json!({"role": "member", "joined_on": "2022-01-01"})).await, StatusCode::OK).await;
        let left = json_of(app.patch_json(&path, &json!({"left_on": "2024-12-31"})).await, StatusCode::OK).await;

        assert_eq!(unchanged, member, "same values: no change");
        assert_eq!((&left["left_on"], &left["active"], &left["version"]), (&json!("2024-12-31"), &json!(false), &json!(2)));
    }

    async fn update_member_returns_422_and_changes_nothing_when_the_result_breaks_a_rule(app: TestApp) {
        let (_, created) = club_des_collectivites(&app).await;
        let club_id = id_of(&created);
        let member = new_member(&app, &club_id, "Mutuelle", json!({"joined_on": "2022-01-01", "left_on": "2023-06-30"})).await;
        let path = format!("/api/v1/clubs/{club_id}/members/{}", member["organisation_id"].as_str().unwrap());
        let cases = [
            (json!({"left_on": "2021-12-31"}), "left_on", "mismatch", "left before the stored joined_on"),
            (json!({"joined_on": "2023-07-01"}), "left_on", "mismatch", "joined after the stored left_on"),
            (json!({"joined_on": "2024-01-01", "left_on": "2023-01-01"}), "left_on", "mismatch", "both dates out of order"),
            (json!({"role": null}), "role", "required", "role cannot be cleared"),
            (json!({"joined_on": null}), "joined_on", "required", "joined_on cannot be cleared"),
            (json!({"role": "president"}), "role", "unknown_value", "unknown role"),
            (json!({"organisation_id": UNKNOWN_ID}), "organisation_id", "unknown_field", "the member cannot be swapped"),
        ];
        for (patch, field, code, what) in cases {
            let response = app.patch_json(&path, &patch).await;
            let problem = problem_of(response, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
            assert!(
                problem["errors"].as_array().unwrap().iter().any(|e| e["field"] == field && e["code"] == code),
                "{what}: expected {field}/{code} in {problem}"
            );
        }
        assert_eq!(json_of(app.get(&path).await, StatusCode::OK).await, member, "nothing changed");
    }

    async fn member_operations_return_404_when_the_club_or_the_membership_does_not_exist(app: TestApp) {
        let (_, created) = club_des_collectivites(&app).await;
        let club_id = id_of(&created);
        let outsider = app.create_organisation(organisation("Pas membre", json!({}))).await;
        let outsider_id = id_of(&outsider);
        for path in [
            format!("/api/v1/clubs/{UNKNOWN_ID}/members/{outsider_id}"),
            format!("/api/v1/clubs/{club_id}/members/{outsider_id}"),
            format!("/api/v1/clubs/{club_id}/members/{UNKNOWN_ID}"),
            format!("/api/v1/clubs/{club_id}/members/not-a-uuid"),
        ] {
            problem_of(app.get(&path).await, StatusCode::NOT_FOUND, "not_found").await;
            problem_of(app.patch_json(&path, &json!({"role": "patron"})).await, StatusCode::NOT_FOUND, "not_found").await;
            problem_of(app.delete(&path).await, StatusCode::NOT_FOUND, "not_found").await;
        }
        let no_club = problem_of(app.get(&format!("/api/v1/clubs/{UNKNOWN_ID}/members/{outsider_id}")).await, StatusCode::NOT_FOUND, "not_found").await;
        assert!(no_club["detail"].as_str().unwrap().contains("no club with"), "says the club is missing: {no_club}");
        let no_member = problem_of(app.get(&format!("/api/v1/clubs/{club_id}/members/{outsider_id}")).await, StatusCode::NOT_FOUND, "not_found").await;
        assert!(no_member["detail"].as_str().unwrap().contains("no club member"), "says the membership is missing: {no_member}");
    }

    async fn remove_member_returns_204_then_the_membership_is_gone_and_can_be_added_again(app: TestApp) {
        let (_, created) = club_des_collectivites(&app).await;
        let club_id = id_of(&created);
        let member = new_member(&app, &club_id, "Mutuelle", json!({"role": "patron"})).await;
        let path = format!("/api/v1/clubs/{club_id}/members/{}", member["organisation_id"].as_str().unwrap());

        let response = app.delete(&path).await;

        assert_eq!(response.status(), StatusCode::NO_CONTENT);
        problem_of(app.get(&path).await, StatusCode::NOT_FOUND, "not_found").await;
        let club = json_of(app.get(&format!("/api/v1/clubs/{club_id}")).await, StatusCode::OK).await;
        assert_eq!(club["active_member_count"], 0);
        let again = add_member(&app, &club_id, json!({"organisation_id": member["organisation_id"]})).await;
        assert_eq!((&again["role"], &again["version"]), (&json!("member"), &json!(1)), "a fresh membership");
    }
}

on_both_backends! {
    async fn anyone_reads_clubs_and_members_but_only_the_regions_managers_change_them(app: TestApp) {
        let host = cress(&app).await;
        let created = create_club(&app, club("Club des collectivités", &id_of(&host), json!({}))).await;
        let club_id = id_of(&created);
        let path = format!("/api/v1/clubs/{club_id}");
        let members = format!("{path}/members");
        let joiner = app.create_organisation(organisation("Commune de Lodève", json!({}))).await;
        let body = json!({"organisation_id": joiner["id"]});

        let anonymous = app.as_anonymous();
        json_of(anonymous.get(&path).await, StatusCode::OK).await;
        json_of(anonymous.get("/api/v1/clubs").await, StatusCode::OK).await;
        json_of(anonymous.get(&members).await, StatusCode::OK).await;
        problem_of(anonymous.post_json(&members, &body).await, StatusCode::UNAUTHORIZED, "unauthenticated").await;
        problem_of(anonymous.patch_json(&path, &json!({"name": "X"})).await, StatusCode::UNAUTHORIZED, "unauthenticated").await;

        for role in [Role::Viewer, partner_of(&host["id"]), manager_of("53")] {
            let caller = app.as_role(&role);
            problem_of(caller.post_json(&members, &body).await, StatusCode::FORBIDDEN, "forbidden").await;
            problem_of(caller.patch_json(&path, &json!({"name": "X"})).await, StatusCode::FORBIDDEN, "forbidden").await;
            problem_of(caller.delete(&path).await, StatusCode::FORBIDDEN, "forbidden").await;
            problem_of(
                caller.post_json("/api/v1/clubs", &club("Autre", &id_of(&host), json!({}))).await,
                StatusCode::FORBIDDEN,
                "forbidden",
            )
            .await;
        }
        assert_eq!(json_of(app.get(&path).await, StatusCode::OK).await, created, "unchanged");
        assert_eq!(all_clubs(&app).await.len(), 1, "nothing created");

        let manager = app.as_role(&manager_of("76"));
        problem_of(manager.patch_json(&path, &json!({"region_code": "53"})).await, StatusCode::FORBIDDEN, "forbidden").await;
        json_of(manager.post_json(&members, &body).await, StatusCode::CREATED).await;
        let member = format!("{members}/{}", id_of(&joiner));
        json_of(anonymous.get(&member).await, StatusCode::OK).await;
        problem_of(app.as_role(&manager_of("53")).delete(&member).await, StatusCode::FORBIDDEN, "forbidden").await;
        json_of(manager.patch_json(&member, &json!({"role": "patron"})).await, StatusCode::OK).await;
        assert_eq!(manager.delete(&member).await.status(), StatusCode::NO_CONTENT);
        assert_eq!(manager.delete(&path).await.status(), StatusCode::NO_CONTENT);
    }
}
