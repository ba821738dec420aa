//! `/api/v1/organisations`: create, read, list, change and delete, with the rules of docs/domain.md.

use reqwest::StatusCode;
use serde_json::{Value, json};

use cress_api::core::Role;

use crate::helpers::{failing_fields, json_of, manager_of, organisation, partner_of, problem_of};
use crate::on_both_backends;

on_both_backends! {
    async fn create_returns_201_with_location_and_normalised_fields_when_the_body_is_valid(app: TestApp) {
        let body = json!({
            "name": "  Mutuelle solidaire d'Occitanie  ",
            "category": "mutual",
            "siren": "775 672 272",
            "siret": "77567227200017",
            "legal_category_code": "8210",
            "region_code": "76",
            "street": "12 rue de la Loge",
            "postal_code": "34000",
            "city": "Montpellier",
            "commune_code": "34172",
            "website": "https://www.mutuelle-solidaire.example",
            "email": "contact@Mutuelle-Solidaire.EXAMPLE",
            "phone": "04 67 00 00 00",
            "description": "Mutuelle santé de l'ESS.",
            "founded_on": "1947-03-01"
        });

        let response = app.post_json("/api/v1/organisations", &body).await;

        let location = response.headers().get("location").map(|v| v.to_str().unwrap().to_owned());
        let created = json_of(response, StatusCode::CREATED).await;
        let id = created["id"].as_str().expect("an id");
        assert_eq!(location.as_deref(), Some(format!("/api/v1/organisations/{id}").as_str()));
        assert_eq!(created["name"], "Mutuelle solidaire d'Occitanie", "name is trimmed");
        assert_eq!(created["siren"], "775672272", "spaces are removed from a SIREN");
        assert_eq!(created["email"], "contact@mutuelle-solidaire.example", "the e-mail domain is lower-cased");
        assert_eq!(created["website"], "https://www.mutuelle-solidaire.example/");
        assert_eq!(created["is_ess"], true, "a mutual belongs to the ESS");
        assert_eq!(created["version"], 1);
        assert_eq!(created["founded_on"], "1947-03-01");
        assert_eq!(created["created_at"], created["updated_at"]);
        assert_eq!(created["esus"], Value::Null, "no ESUS accreditation yet");
        let read = json_of(app.get(&format!("/api/v1/organisations/{id}")).await, StatusCode::OK).await;
        assert_eq!(read, created, "what is read back is what creation answered");
    }

    async fn create_accepts_the_identifiers_of_domain_md_when_they_are_valid(app: TestApp) {
        let cases = [
            (json!({"siren": "775672272"}), "SIREN 775672272"),
            (json!({"siren": "356000000", "siret": "35600000000048", "category": "company"}), "La Poste and its head office"),
            (json!({"siren": "732829320"}), "SIREN 732829320"),
            (json!({"siren": "552\u{a0}100\u{202f}554 "}), "SIREN with no-break spaces, as the pattern allows"),
            (json!({"siret": " 732 829 320 00074"}), "SIRET with spaces, as the pattern allows"),
            (json!({"rna": "W751245606"}), "RNA W751245606"),
            (json!({"rna": "0653005592"}), "legacy RNA 0653005592"),
            (json!({"rna": " w75 1245\u{a0}607"}), "RNA in lowercase with spaces, as the pattern allows"),
            (json!({"postal_code": "20167", "commune_code": "2A004", "region_code": "94"}), "Corsica"),
        ];
        for (index, (fields, what)) in cases.into_iter().enumerate() {
            let response = app.post_json("/api/v1/organisations", &organisation(&format!("Org {index}"), fields)).await;
            assert_eq!(response.status(), StatusCode::CREATED, "{what} should be accepted: {}", response.text().await.unwrap());
        }
    }

    async fn create_returns_422_with_the_rule_broken_when_a_field_is_invalid(app: TestApp) {
        let cases = [
            (json!({"siren": "123456789"}), "siren", "invalid_checksum", "SIREN failing Luhn"),
            (json!({"siren": "12345678"}), "siren", "invalid_format", "8-digit SIREN"),
            (json!({"siren": "7756722720"}), "siren", "invalid_format", "10-digit SIREN"),
            (json!({"siren": "775672272\n"}), "siren", "invalid_format", "SIREN with a line break, which the pattern forbids"),
            (json!({"siren": "775\t672\t272"}), "siren", "invalid_format", "SIREN with tabs, which the pattern forbids"),
            (json!({"siret": "77567227200018"}), "siret", "invalid_checksum", "SIRET failing Luhn"),
            (json!({"siret": "775672272\u{2003}00017"}), "siret", "invalid_format", "SIRET with an em space, which the pattern forbids"),
            (json!({"siret": "35600000000000"}), "siret", "invalid_checksum", "La Poste SIRET whose digit sum is not a multiple of 5"),
            (json!({"siren": "732829320", "siret": "77567227200017"}), "siret", "mismatch", "SIRET of another SIREN"),
            (json!({"rna": "W75124560"}), "rna", "invalid_format", "RNA too short"),
            (json!({"rna": "X751245606"}), "rna", "invalid_format", "RNA not starting with W"),
            (json!({"region_code": "05"}), "region_code", "unknown_code", "region 05 does not exist"),
            (json!({"region_code": "21"}), "region_code", "unknown_code", "pre-2016 region"),
            (json!({"region_code": null}), "region_code", "required", "region cleared"),
            (json!({"postal_code": "2A004"}), "postal_code", "invalid_format", "Corsican postal codes are 20xxx"),
            (json!({"postal_code": "3400"}), "postal_code", "invalid_format", "4-digit postal code"),
            (json!({"commune_code": "3414"}), "commune_code", "invalid_format", "4-character commune code"),
            (json!({"legal_category_code": "92"}), "legal_category_code", "invalid_format", "2-digit legal category"),
            (json!({"legal_category_code": "9300"}), "category", "mismatch", "a foundation code on an association"),
            (json!({"email": "contact.example.org"}), "email", "invalid_format", "e-mail without @"),
            (json!({"website": "javascript:alert(1)"}), "website", "invalid_format", "website that is not http(s)"),
            (json!({"phone": "call me"}), "phone", "invalid_format", "phone with letters"),
            (json!({"name": "   "}), "name", "blank", "blank name"),
            (json!({"name": "x".repeat(201)}), "name", "too_long", "name over 200 characters"),
            (json!({"description": "x".repeat(5001)}), "description", "too_long", "description over 5000 characters"),
            (json!({"city": "Lod\u{0}ève"}), "city", "invalid_format", "NUL byte in a city"),
            (json!({"founded_on": "2999-01-01"}), "founded_on", "in_future", "founded in the future"),
            (json!({"category": "club"}), "category", "unknown_value", "unknown category"),
            (json!({"founded_on": "01/02/2003"}), "founded_on", "invalid_type", "French date format"),
        ];
        for (fields, field, code, what) in cases {
            let response = app.post_json("/api/v1/organisations", &organisation("Association test", fields)).await;

            let problem = problem_of(response, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
            let errors = problem["errors"].as_array().expect("errors listed");
            assert!(
                errors.iter().any(|e| e["field"] == field && e["code"] == code && e["message"].as_str().is_some_and(|m| !m.is_empty())),
                "{what}: expected {field}/{code} in {problem}"
            );
        }
        assert_eq!(app.organisation_count().await, 0, "nothing invalid was stored");
    }

    async fn create_returns_422_listing_every_failing_field_when_several_are_invalid(app: TestApp) {
        let body = json!({"name": "", "siren": "123456789", "email": "nope", "region_code": "99"});

        let response = app.post_json("/api/v1/organisations", &body).await;

        let problem = problem_of(response, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
        let mut fields = failing_fields(&problem);
        fields.sort();
        assert_eq!(fields, ["category", "email", "name", "region_code", "siren"], "in {problem}");
    }

    async fn create_accepts_a_network_with_an_association_legal_category(app: TestApp) {
        let body = organisation("Cress Occitanie", json!({"category": "network", "legal_category_code": "9220"}));

        let created = app.create_organisation(body).await;

        assert_eq!(created["is_ess"], false, "a network is not itself counted in the ESS");
    }

    async fn create_returns_409_naming_the_holder_when_the_siren_is_taken(app: TestApp) {
        let first = app.create_organisation(organisation("Première", json!({"siren": "775672272"}))).await;

        let response = app.post_json("/api/v1/organisations", &organisation("Seconde", json!({"siren": "775672272"}))).await;

        let problem = problem_of(response, StatusCode::CONFLICT, "duplicate").await;
        assert_eq!(problem["existing_id"], first["id"], "in {problem}");
        assert!(problem["detail"].as_str().unwrap().contains("775672272"), "detail names the SIREN: {problem}");
        assert_eq!(app.organisation_count().await, 1);
    }

    async fn create_returns_409_when_the_siret_or_rna_is_taken(app: TestApp) {
        app.create_organisation(organisation("A", json!({"siret": "77567227200017", "rna": "W751245606"}))).await;

        for (fields, what) in [(json!({"siret": "77567227200017"}), "siret"), (json!({"rna": "W751245606"}), "rna")] {
            let response = app.post_json("/api/v1/organisations", &organisation("B", fields)).await;
            let problem = problem_of(response, StatusCode::CONFLICT, "duplicate").await;
            assert!(problem["detail"].as_str().unwrap().contains(what), "detail names the {what}: {problem}");
        }
        assert_eq!(app.organisation_count().await, 1);
    }

    async fn get_returns_404_problem_when_the_organisation_does_not_exist(app: TestApp) {
        let response = app.get("/api/v1/organisations/0193a1f2-7c4e-7d2a-9b1e-2f5c8a9d0e11").await;

        problem_of(response, StatusCode::NOT_FOUND, "not_found").await;
    }

    async fn update_changes_only_the_fields_sent_and_clears_the_null_ones(app: TestApp) {
        let created = app
            .create_organisation(organisation("Mairie de Lodève", json!({
                "category": "local_authority", "phone": "04 67 88 86 00", "city": "Lodeve", "siren": "732829320"
            })))
            .await;
        let path = format!("/api/v1/organisations/{}", created["id"].as_str().unwrap());

        let response = app.patch_json(&path, &json!({"city": "Lodève", "commune_code": "34142", "phone": null})).await;

        let updated = json_of(response, StatusCode::OK).await;
        assert_eq!(updated["city"], "Lodève");
        assert_eq!(updated["commune_code"], "34142");
        assert_eq!(updated["phone"], Value::Null, "null clears");
        assert_eq!(updated["siren"], "732829320", "absent stays");
        assert_eq!(updated["name"], "Mairie de Lodève", "absent stays");
        assert_eq!(updated["version"], 2);
        assert_eq!(updated["created_at"], created["created_at"]);
        assert_ne!(updated["updated_at"], created["updated_at"]);
        assert_eq!(json_of(app.get(&path).await, StatusCode::OK).await, updated);
    }

    async fn update_keeps_the_version_when_the_patch_changes_nothing(app: TestApp) {
        let created = app.create_organisation(organisation("Asso", json!({"city": "Sète"}))).await;
        let path = format!("/api/v1/organisations/{}", created["id"].as_str().unwrap());

        let response = app.patch_json(&path, &json!({"city": " Sète ", "name": "Asso"})).await;

        assert_eq!(json_of(response, StatusCode::OK).await, created, "same values after trimming: no change");
    }

    async fn update_accepts_merge_patch_json(app: TestApp) {
        let created = app.create_organisation(organisation("Asso", json!({}))).await;
        let path = format!("/api/v1/organisations/{}", created["id"].as_str().unwrap());

        let response = app
            .send_raw(reqwest::Method::PATCH, &path, Some("application/merge-patch+json"), r#"{"city":"Sète"}"#.as_bytes().to_vec())
            .await;

        assert_eq!(json_of(response, StatusCode::OK).await["city"], "Sète");
    }

    async fn update_returns_422_and_changes_nothing_when_the_result_breaks_a_rule(app: TestApp) {
        let created = app
            .create_organisation(organisation("Asso", json!({"siren": "775672272", "legal_category_code": "9220"})))
            .await;
        let path = format!("/api/v1/organisations/{}", created["id"].as_str().unwrap());
        let cases = [
            (json!({"name": null}), "name", "a required field cannot be cleared"),
            (json!({"category": null}), "category", "a required field cannot be cleared"),
            (json!({"siret": "73282932000074"}), "siret", "a SIRET of another SIREN than the stored one"),
            (json!({"category": "cooperative"}), "category", "a category the stored legal category contradicts"),
            (json!({"siren": "123"}), "siren", "a malformed SIREN"),
            (json!({"nmae": "typo"}), "nmae", "an unknown field"),
        ];
        for (patch, field, what) in cases {
            let response = app.patch_json(&path, &patch).await;
            let problem = problem_of(response, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
            assert!(failing_fields(&problem).contains(&field.to_owned()), "{what}: {field} not listed in {problem}");
        }
        assert_eq!(json_of(app.get(&path).await, StatusCode::OK).await, created, "nothing changed");
    }

    async fn update_returns_409_when_the_new_siren_belongs_to_another_organisation(app: TestApp) {
        let holder = app.create_organisation(organisation("A", json!({"siren": "775672272"}))).await;
        let other = app.create_organisation(organisation("B", json!({}))).await;
        let path = format!("/api/v1/organisations/{}", other["id"].as_str().unwrap());

        let response = app.patch_json(&path, &json!({"siren": "775672272"})).await;

        let problem = problem_of(response, StatusCode::CONFLICT, "duplicate").await;
        assert_eq!(problem["existing_id"], holder["id"]);
        assert_eq!(json_of(app.get(&path).await, StatusCode::OK).await, other, "nothing changed");
    }

    async fn update_keeps_every_change_when_requests_run_concurrently(app: TestApp) {
        let created = app.create_organisation(organisation("Concurrente", json!({}))).await;
        let path = format!("/api/v1/organisations/{}", created["id"].as_str().unwrap());
        let fields = ["street", "city", "description", "phone"];
        let values = ["1 place de la République", "Béziers", "Changée en parallèle", "04 67 00 00 01"];

        let patches: Vec<Value> = fields.iter().zip(values).map(|(field, value)| json!({ *field: value })).collect();

        let responses = futures_util::future::join_all(patches.iter().map(|patch| app.patch_json(&path, patch))).await;

        for response in responses {
            let status = response.status();
            assert!(status == StatusCode::OK || status == StatusCode::CONFLICT, "unexpected {status}");
        }
        let stored = json_of(app.get(&path).await, StatusCode::OK).await;
        let applied = fields.iter().zip(values).filter(|(field, value)| stored[**field] == *value).count();
        assert_eq!(stored["version"].as_i64().unwrap(), 1 + applied as i64, "every applied change counted once: {stored}");
    }

    async fn delete_returns_204_then_the_organisation_is_gone(app: TestApp) {
        let created = app.create_organisation(organisation("Éphémère", json!({"siren": "775672272"}))).await;
        let path = format!("/api/v1/organisations/{}", created["id"].as_str().unwrap());

        let response = app.delete(&path).await;

        assert_eq!(response.status(), StatusCode::NO_CONTENT);
        problem_of(app.get(&path).await, StatusCode::NOT_FOUND, "not_found").await;
        problem_of(app.delete(&path).await, StatusCode::NOT_FOUND, "not_found").await;
        app.create_organisation(organisation("Reprise", json!({"siren": "775672272"}))).await;
    }

    async fn list_pages_through_every_organisation_once_in_name_order_ignoring_accents(app: TestApp) {
        let names = ["Zèbre solidaire", "économie partagée", "Atelier", "Ébène", "Dune", "Fabrique", "atelier bis"];
        for name in names {
            app.create_organisation(organisation(name, json!({}))).await;
        }

        let items = app.all_pages("/api/v1/organisations?limit=2").await;

        let listed: Vec<&str> = items.iter().map(|o| o["name"].as_str().unwrap()).collect();
        assert_eq!(listed, ["Atelier", "atelier bis", "Dune", "Ébène", "économie partagée", "Fabrique", "Zèbre solidaire"]);
        let reversed = app.all_pages("/api/v1/organisations?limit=3&sort=-name").await;
        let mut expected = listed.clone();
        expected.reverse();
        assert_eq!(reversed.iter().map(|o| o["name"].as_str().unwrap()).collect::<Vec<_>>(), expected);
    }

    async fn list_sorts_by_creation_both_ways_with_stable_pages(app: TestApp) {
        let mut ids = Vec::new();
        for index in 0..5 {
            ids.push(app.create_organisation(organisation(&format!("Org {index}"), json!({}))).await["id"].clone());
        }

        let oldest_first = app.all_pages("/api/v1/organisations?limit=2&sort=created_at").await;
        let newest_first = app.all_pages("/api/v1/organisations?limit=2&sort=-created_at").await;

        assert_eq!(oldest_first.iter().map(|o| o["id"].clone()).collect::<Vec<_>>(), ids);
        ids.reverse();
        assert_eq!(newest_first.iter().map(|o| o["id"].clone()).collect::<Vec<_>>(), ids);
    }

    async fn list_filters_by_region_category_is_ess_siren_and_search(app: TestApp) {
        app.create_organisation(organisation("Mairie de Lodève", json!({"category": "local_authority", "city": "Lodève"}))).await;
        app.create_organisation(organisation("Lodève Solidaire", json!({"siren": "775672272"}))).await;
        app.create_organisation(organisation("Scop de Rennes", json!({"category": "cooperative", "region_code": "53"}))).await;
        app.create_organisation(organisation("Cress Bretagne", json!({"category": "network", "region_code": "53"}))).await;
        let names = |items: Vec<Value>| {
            let mut names: Vec<String> = items.iter().map(|o| o["name"].as_str().unwrap().to_owned()).collect();
            names.sort();
            names
        };

        assert_eq!(names(app.all_pages("/api/v1/organisations?region_code=53").await), ["Cress Bretagne", "Scop de Rennes"]);
        assert_eq!(names(app.all_pages("/api/v1/organisations?category=cooperative").await), ["Scop de Rennes"]);
        assert_eq!(names(app.all_pages("/api/v1/organisations?is_ess=true").await), ["Lodève Solidaire", "Scop de Rennes"]);
        assert_eq!(names(app.all_pages("/api/v1/organisations?is_ess=false").await), ["Cress Bretagne", "Mairie de Lodève"]);
        assert_eq!(names(app.all_pages("/api/v1/organisations?siren=775672272").await), ["Lodève Solidaire"]);
        assert_eq!(names(app.all_pages("/api/v1/organisations?q=lodeve").await), ["Lodève Solidaire", "Mairie de Lodève"]);
        assert_eq!(names(app.all_pages("/api/v1/organisations?q=LODÈVE%20sol").await), ["Lodève Solidaire"]);
        assert_eq!(names(app.all_pages("/api/v1/organisations?q=lodeve&region_code=53").await), Vec::<String>::new());
        assert_eq!(names(app.all_pages("/api/v1/organisations?q=%25").await), Vec::<String>::new(), "punctuation only matches nothing");
    }

    async fn search_finds_the_same_names_whether_few_or_many_match_and_follows_renames_and_deletions(app: TestApp) {
        // More than 2,000 names holding "jardin" (SQLite then walks the names in order instead
        // of asking its trigram index) and a few holding "atelier" (asked of the index).
        let mut csv = String::from("name;category;region_code\n");
        for index in 0..2_010 {
            csv.push_str(&format!("Jardin partagé {index:04};association;76\n"));
        }
        for index in 0..12 {
            csv.push_str(&format!("L'Atelier {index:02};association;76\n"));
        }
        let imported = app
            .send_raw(reqwest::Method::POST, "/api/v1/organisations/import", Some("text/csv"), csv.into_bytes())
            .await;
        assert_eq!(json_of(imported, StatusCode::OK).await["created"], 2_022);
        let search = |query: &'static str| {
            let app = &app;
            async move {
                let page = json_of(app.get(&format!("/api/v1/organisations?q={query}&count=true&limit=3")).await, StatusCode::OK).await;
                let names: Vec<String> = page["items"].as_array().unwrap().iter().map(|o| o["name"].as_str().unwrap().to_owned()).collect();
                (page["total"].as_u64().unwrap(), names)
            }
        };

        assert_eq!(search("JARDIN").await, (2_010, vec!["Jardin partagé 0000".into(), "Jardin partagé 0001".into(), "Jardin partagé 0002".into()]));
        assert_eq!(search("partage%20200").await, (10, vec!["Jardin partagé 2000".into(), "Jardin partagé 2001".into(), "Jardin partagé 2002".into()]));
        assert_eq!(search("atelier").await, (12, vec!["L'Atelier 00".into(), "L'Atelier 01".into(), "L'Atelier 02".into()]));
        assert_eq!(search("l%20atelier%2011").await, (1, vec!["L'Atelier 11".into()]));
        assert_eq!(search("ateliers").await, (0, vec![]), "every letter counts, not only the trigrams");
        assert_eq!(search("at").await.0, 12, "a key shorter than a trigram still finds its names");

        let first = app.all_pages("/api/v1/organisations?q=atelier%2000").await;
        let renamed = app.patch_json(&format!("/api/v1/organisations/{}", first[0]["id"].as_str().unwrap()), &json!({"name": "Verger 00"})).await;
        json_of(renamed, StatusCode::OK).await;
        let second = app.all_pages("/api/v1/organisations?q=atelier%2001").await;
        let deleted = app.delete(&format!("/api/v1/organisations/{}", second[0]["id"].as_str().unwrap())).await;
        assert_eq!(deleted.status(), StatusCode::NO_CONTENT);

        assert_eq!(search("atelier").await, (10, vec!["L'Atelier 02".into(), "L'Atelier 03".into(), "L'Atelier 04".into()]));
        assert_eq!(search("verger").await, (1, vec!["Verger 00".into()]));
    }

    async fn list_returns_400_when_the_cursor_was_made_for_another_order(app: TestApp) {
        for index in 0..3 {
            app.create_organisation(organisation(&format!("Org {index}"), json!({}))).await;
        }
        let page = json_of(app.get("/api/v1/organisations?limit=1&sort=name").await, StatusCode::OK).await;
        let cursor = page["next_cursor"].as_str().expect("a next page");

        let response = app.get(&format!("/api/v1/organisations?limit=1&sort=-created_at&cursor={cursor}")).await;

        problem_of(response, StatusCode::BAD_REQUEST, "invalid_cursor").await;
    }
}

on_both_backends! {
    async fn contact_details_are_shown_only_to_admins_the_regions_managers_and_the_organisation_itself(app: TestApp) {
        let created = app
            .create_organisation(organisation(
                "Mutuelle des Causses",
                json!({"email": "contact@causses.example", "phone": "04 67 00 00 00"}),
            ))
            .await;
        let other = app.create_organisation(organisation("Autre structure", json!({}))).await;
        let path = format!("/api/v1/organisations/{}", created["id"].as_str().unwrap());
        let callers = [
            ("anonymous", app.as_anonymous(), false),
            ("viewer", app.as_role(&Role::Viewer), false),
            ("partner of another organisation", app.as_role(&partner_of(&other["id"])), false),
            ("manager of another region", app.as_role(&manager_of("53")), false),
            ("the organisation's partner", app.as_role(&partner_of(&created["id"])), true),
            ("manager of its region", app.as_role(&manager_of("76")), true),
            ("admin", app.as_admin(), true),
        ];
        for (who, caller, sees) in callers {
            let one = json_of(caller.get(&path).await, StatusCode::OK).await;
            let listed = json_of(caller.get("/api/v1/organisations?q=causses").await, StatusCode::OK).await;
            for shown in [&one, &listed["items"][0]] {
                assert_eq!(shown["name"], "Mutuelle des Causses", "{who}");
                assert_eq!(shown.get("email").is_some(), sees, "{who} sees the e-mail: {shown}");
                assert_eq!(shown.get("phone").is_some(), sees, "{who} sees the phone: {shown}");
                if sees {
                    assert_eq!(shown["email"], "contact@causses.example", "{who}");
                }
            }
        }
    }

    async fn a_cress_manager_changes_its_own_region_only_and_cannot_move_an_organisation_out_of_it(app: TestApp) {
        let created = app.create_organisation(organisation("Coopérative du Larzac", json!({}))).await;
        let path = format!("/api/v1/organisations/{}", created["id"].as_str().unwrap());
        let home = app.as_role(&manager_of("76"));
        let away = app.as_role(&manager_of("53"));

        problem_of(away.patch_json(&path, &json!({"city": "Millau"})).await, StatusCode::FORBIDDEN, "forbidden").await;
        problem_of(home.patch_json(&path, &json!({"region_code": "53"})).await, StatusCode::FORBIDDEN, "forbidden").await;
        problem_of(
            home.post_json("/api/v1/organisations", &organisation("Ailleurs", json!({"region_code": "53"}))).await,
            StatusCode::FORBIDDEN,
            "forbidden",
        )
        .await;
        problem_of(away.delete(&path).await, StatusCode::FORBIDDEN, "forbidden").await;
        let unchanged = json_of(app.get(&path).await, StatusCode::OK).await;
        assert_eq!(unchanged, created, "refused changes leave the organisation as it was");

        let changed = json_of(home.patch_json(&path, &json!({"city": "Millau"})).await, StatusCode::OK).await;
        assert_eq!(changed["city"], "Millau");
        assert_eq!(app.organisation_count().await, 1, "nothing created in another region");
    }

    async fn anonymous_callers_and_viewers_are_refused_every_change_before_the_body_is_read(app: TestApp) {
        let created = app.create_organisation(organisation("Association des Cévennes", json!({}))).await;
        let path = format!("/api/v1/organisations/{}", created["id"].as_str().unwrap());
        let anonymous = app.as_anonymous();
        let viewer = app.as_role(&Role::Viewer);
        let invalid = json!({"name": "", "region_code": "99"});
        problem_of(anonymous.post_json("/api/v1/organisations", &invalid).await, StatusCode::UNAUTHORIZED, "unauthenticated").await;
        problem_of(anonymous.patch_json(&path, &invalid).await, StatusCode::UNAUTHORIZED, "unauthenticated").await;
        problem_of(anonymous.delete(&path).await, StatusCode::UNAUTHORIZED, "unauthenticated").await;
        problem_of(viewer.post_json("/api/v1/organisations", &invalid).await, StatusCode::FORBIDDEN, "forbidden").await;
        problem_of(viewer.patch_json(&path, &invalid).await, StatusCode::FORBIDDEN, "forbidden").await;
        problem_of(viewer.delete(&path).await, StatusCode::FORBIDDEN, "forbidden").await;
        assert_eq!(json_of(app.get(&path).await, StatusCode::OK).await, created);
    }

    async fn partner_changes_its_profile_but_not_the_register_fields_of_its_organisation(app: TestApp) {
        // Arrange
        let org = app
            .create_organisation(organisation("Mutuelle des Garrigues", json!({
                "category": "mutual", "siren": "775672272", "siret": "77567227200017", "legal_category_code": "8210"
            })))
            .await;
        let path = format!("/api/v1/organisations/{}", org["id"].as_str().unwrap_or_default());
        let partner = partner_of(&org["id"]);
        // Act & Assert: each register field, changed, is a 403 naming it, and changes nothing.
        for (field, patch) in [
            ("region_code", json!({"region_code": "11"})),
            ("siren", json!({"siren": "732829320", "siret": null})),
            ("siret", json!({"siret": null})),
            ("rna", json!({"rna": "W751245606"})),
            ("category", json!({"category": "cooperative", "legal_category_code": null})),
            ("legal_category_code", json!({"legal_category_code": null})),
        ] {
            let response = app.as_role(&partner).patch_json(&path, &patch).await;
            let problem = problem_of(response, StatusCode::FORBIDDEN, "forbidden").await;
            assert!(problem["detail"].as_str().is_some_and(|d| d.contains(&format!("the {field} of its organisation"))), "{field}: {problem}");
        }
        assert_eq!(json_of(app.get(&path).await, StatusCode::OK).await, org, "nothing changed");
        // The same values as now are no change; the profile is the partner's.
        let profile = json!({
            "region_code": "76", "siren": "775672272", "category": "mutual",
            "description": "Mutuelle de santé des Garrigues.", "email": "contact@garrigues.example",
            "phone": "04 67 00 00 00", "website": "https://garrigues.example/",
            "street": "3 place de la Comédie", "postal_code": "34000", "city": "Montpellier"
        });
        let changed = json_of(app.as_role(&partner).patch_json(&path, &profile).await, StatusCode::OK).await;
        assert_eq!(changed["description"], "Mutuelle de santé des Garrigues.");
        assert_eq!(changed["city"], "Montpellier");
        // An address within its region only.
        for (patch, field) in [
            (json!({"postal_code": "75011", "city": "Paris"}), "postal_code"),
            (json!({"commune_code": "35238"}), "commune_code"),
            (json!({"postal_code": "97500"}), "postal_code"),
        ] {
            let response = app.as_role(&partner).patch_json(&path, &patch).await;
            let problem = problem_of(response, StatusCode::FORBIDDEN, "forbidden").await;
            assert!(problem["detail"].as_str().is_some_and(|d| d.contains(&format!("this {field} is"))), "{patch}: {problem}");
        }
        let within = json!({"postal_code": "34700", "city": "Lodève", "commune_code": "34142"});
        json_of(app.as_role(&partner).patch_json(&path, &within).await, StatusCode::OK).await;
        // The region's Cress may change them.
        let manager = manager_of("76");
        let moved = json_of(app.as_role(&manager).patch_json(&path, &json!({"category": "cooperative", "legal_category_code": null})).await, StatusCode::OK).await;
        assert_eq!(moved["category"], "cooperative");
    }
}

on_both_backends! {
    async fn list_pages_say_whether_more_follow_and_link_to_the_next(app: TestApp) {
        for name in ["Atelier A", "Atelier B", "Atelier C"] {
            app.create_organisation(organisation(name, json!({}))).await;
        }
        let first = app.get("/api/v1/organisations?q=atelier&limit=2").await;
        let link = first.headers()["link"].to_str().unwrap().to_owned();
        let page = json_of(first, StatusCode::OK).await;
        assert_eq!(page["has_more"], true);
        let next = page["next_cursor"].as_str().unwrap();
        let expected = format!("</api/v1/organisations?q=atelier&limit=2&cursor={next}>; rel=\"next\"");
        assert_eq!(link, expected);
        let target = link.trim_start_matches('<').split('>').next().unwrap();
        let last = app.get(target).await;
        assert!(last.headers().get("link").is_none(), "no link after the last page");
        let page = json_of(last, StatusCode::OK).await;
        assert_eq!(page["has_more"], false);
        assert!(page["next_cursor"].is_null());
        assert_eq!(page["items"][0]["name"], "Atelier C");
        // The feed resumes with `after`.
        let feed = app.get("/api/v1/changes?limit=1").await;
        let link = feed.headers()["link"].to_str().unwrap().to_owned();
        assert!(link.starts_with("</api/v1/changes?limit=1&after=") && link.ends_with(">; rel=\"next\""), "{link}");
    }
}
