//! Lists as CSV (`Accept: text/csv`): every list, the JSON fields as columns, the same filters,
//! the confidential columns of each caller, every row of a long list in one streamed answer,
//! 406 for formats no list answers, and a round trip through the import.

use std::collections::BTreeSet;

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{TestApp, csv_of, json_of, manager_of, organisation, partner_of, problem_of, siren_from};
use crate::on_both_backends;

const ORGANISATIONS: &str = "/api/v1/organisations";

async fn get_csv(app: &TestApp, path: &str) -> (Vec<String>, Vec<Vec<String>>) {
    csv_of(
        app.as_admin()
            .request(reqwest::Method::GET, path)
            .header("accept", "text/csv")
            .send()
            .await
            .expect("an answer"),
    )
    .await
}

/// The CSV columns a JSON item's non-null fields fill: nested objects flattened with `_`.
fn flattened_keys(item: &Value) -> BTreeSet<String> {
    fn walk(prefix: &str, value: &Value, keys: &mut BTreeSet<String>) {
        match value {
            Value::Object(fields) => {
                for (name, value) in fields {
                    let key = if prefix.is_empty() {
                        name.clone()
                    } else {
                        format!("{prefix}_{name}")
                    };
                    walk(&key, value, keys);
                }
            }
            // A null nested object (an organisation's `esus`) has no column of its own.
            Value::Null => {}
            _ => {
                keys.insert(prefix.to_owned());
            }
        }
    }
    let mut keys = BTreeSet::new();
    walk("", item, &mut keys);
    keys
}

/// The cells of one CSV row by column.
fn record(header: &[String], row: &[String]) -> std::collections::HashMap<String, String> {
    header.iter().cloned().zip(row.iter().cloned()).collect()
}

/// Makes one record of every listed kind, as admin; returns (organisation id, club id).
async fn one_of_each(app: &TestApp) -> (String, String) {
    let org = app
        .create_organisation(organisation(
            "Mutuelle, solidaire",
            json!({"category": "mutual", "siren": siren_from(10_000_001), "email": "contact@mutuelle.example", "city": "Sète"}),
        ))
        .await;
    let other = app
        .create_organisation(organisation("Cress Occitanie", json!({"category": "network"})))
        .await;
    let (org_id, other_id) = (
        org["id"].as_str().unwrap().to_owned(),
        other["id"].as_str().unwrap().to_owned(),
    );
    let accreditation = json!({"applied_on": "2026-01-05", "basis": "conditions", "notes": "Dossier complet."});
    let path = format!("{ORGANISATIONS}/{org_id}/esus-accreditations");
    let created = app.post_json(&path, &accreditation).await;
    assert_eq!(
        created.status(),
        StatusCode::CREATED,
        "{}",
        created.text().await.unwrap()
    );
    let club = json_of(
        app.post_json(
            "/api/v1/clubs",
            &json!({"name": "Club des collectivités", "region_code": "76", "host_organisation_id": other_id}),
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    let club_id = club["id"].as_str().unwrap().to_owned();
    let member = app
        .post_json(
            &format!("/api/v1/clubs/{club_id}/members"),
            &json!({"organisation_id": org_id, "joined_on": "2026-01-15"}),
        )
        .await;
    assert_eq!(member.status(), StatusCode::CREATED);
    let event = json!({
        "title": "Mois de l'ESS", "kind": "meeting", "status": "published",
        "starts_at": "2026-11-10T09:00:00+01:00", "ends_at": "2026-11-10T12:00:00+01:00",
        "region_code": "76", "city": "Montpellier",
        "organisers": [{"organisation_id": other_id, "role": "organiser"}],
        "themes": ["mois-de-l-ess", "territoires"]
    });
    assert_eq!(
        app.post_json("/api/v1/events", &event).await.status(),
        StatusCode::CREATED
    );
    let draft = json!({
        "title": "Brouillon", "kind": "meeting", "status": "draft",
        "starts_at": "2026-12-10T09:00:00+01:00", "ends_at": "2026-12-10T12:00:00+01:00", "region_code": "76", "city": "Montpellier"
    });
    assert_eq!(
        app.post_json("/api/v1/events", &draft).await.status(),
        StatusCode::CREATED
    );
    let sponsorship = json!({
        "sponsor_id": org_id, "beneficiary": {"type": "club", "id": club_id},
        "kind": "financial_patronage", "amount_cents": 150_000, "counterparts_cents": 10_000,
        "starts_on": "2026-01-01", "status": "active", "public": true, "notes": "Logo."
    });
    assert_eq!(
        app.post_json("/api/v1/sponsorships", &sponsorship).await.status(),
        StatusCode::CREATED
    );
    let user =
        json!({"email": "lecteur@cress.example", "password": "une phrase de passe assez longue", "role": "viewer"});
    assert_eq!(
        app.post_json("/api/v1/users", &user).await.status(),
        StatusCode::CREATED
    );
    let client = json!({"name": "SI partenaire", "role": "viewer"});
    assert_eq!(
        app.post_json("/api/v1/clients", &client).await.status(),
        StatusCode::CREATED
    );
    (org_id, club_id)
}

on_both_backends! {
    async fn every_list_answers_csv_with_its_json_fields_as_columns(app: TestApp) {
        let (org, club) = one_of_each(&app).await;
        let doc = json_of(app.get("/api-docs/openapi.json").await, StatusCode::OK).await;
        let mut documented = Vec::new();
        for (path, item) in doc["paths"].as_object().unwrap() {
            if item["get"]["responses"]["200"]["content"]["text/csv"].is_object() {
                documented.push(path.clone());
                assert!(item["get"]["responses"]["406"].is_object(), "{path} documents its 406");
            }
        }
        assert_eq!(documented.len(), 8, "every list documents CSV: {documented:?}");
        for path in documented {
            let path = path.replace("{id}", if path.starts_with("/api/v1/clubs") { &club } else { &org });
            let listed = json_of(app.get(&format!("{path}?limit=200")).await, StatusCode::OK).await;
            let items = listed["items"].as_array().unwrap();
            assert!(!items.is_empty(), "{path} lists something");
            let (header, rows) = get_csv(&app, &path).await;
            let columns: BTreeSet<String> = header.iter().cloned().collect();
            assert_eq!(columns.len(), header.len(), "{path}: no column twice");
            for item in items {
                assert!(flattened_keys(item).is_subset(&columns), "{path}: {header:?} holds every field of {item}");
            }
            assert_eq!(rows.len(), items.len(), "{path}: as many rows as items");
            for (item, row) in items.iter().zip(&rows) {
                let cells = record(&header, row);
                let id_key = if item["id"].is_string() { "id" } else { "organisation_id" };
                assert_eq!(Some(cells[id_key].as_str()), item[id_key].as_str(), "{path}: same order as JSON");
            }
        }
        let (header, rows) = get_csv(&app, "/api/v1/events").await;
        let cells = record(&header, &rows[0]);
        let themes: Value = serde_json::from_str(&cells["themes"]).expect("themes are JSON text");
        assert_eq!(themes.as_array().map(Vec::len), Some(2));
        let organisers: Value = serde_json::from_str(&cells["organisers"]).expect("organisers are JSON text");
        assert_eq!(organisers[0]["role"], "organiser");
        let (header, rows) = get_csv(&app, ORGANISATIONS).await;
        let mutual = rows.iter().map(|r| record(&header, r)).find(|r| r["name"] == "Mutuelle, solidaire").expect("listed");
        assert_eq!(mutual["esus_status"], "applied", "esus flattened");
        assert_eq!(mutual["esus_valid_until"], "");
        assert_eq!(mutual["is_ess"], "true");
    }

    async fn csv_lists_apply_the_filters_sort_and_cursor(app: TestApp) {
        for (name, region) in [("Alpha", "76"), ("Bravo", "53"), ("Charlie", "76"), ("Delta", "76")] {
            app.create_organisation(organisation(name, json!({"region_code": region}))).await;
        }
        let names = |rows: &[Vec<String>], header: &[String]| -> Vec<String> {
            rows.iter().map(|r| record(header, r)["name"].clone()).collect()
        };
        let (header, rows) = get_csv(&app, "/api/v1/organisations?region_code=76&sort=-name&limit=1").await;
        assert_eq!(names(&rows, &header), ["Delta", "Charlie", "Alpha"], "every matching row; limit does not cut the export");
        let page = json_of(app.get("/api/v1/organisations?region_code=76&limit=1").await, StatusCode::OK).await;
        let cursor = page["next_cursor"].as_str().unwrap();
        let (header, rows) = get_csv(&app, &format!("/api/v1/organisations?region_code=76&cursor={cursor}")).await;
        assert_eq!(names(&rows, &header), ["Charlie", "Delta"], "from the cursor on");
        let (header, rows) = get_csv(&app, "/api/v1/organisations?q=zulu").await;
        assert!(rows.is_empty());
        assert_eq!(header[0], "id", "the header even without rows");
        for bad in ["/api/v1/organisations?limit=0", "/api/v1/organisations?cursor=nope", "/api/v1/organisations?colour=blue"] {
            let response = app.as_admin().request(reqwest::Method::GET, bad).header("accept", "text/csv").send().await.unwrap();
            assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{bad}");
        }
    }

    async fn csv_columns_follow_the_confidentiality_of_json(app: TestApp) {
        let home = app.create_organisation(organisation("Occitane", json!({"email": "a@occitane.example", "phone": "04 67 00 00 00"}))).await;
        app.create_organisation(organisation("Bretonne", json!({"region_code": "53", "email": "b@bretonne.example"}))).await;
        let csv_as = |role: Option<cress_api::auth::Role>| {
            let request = match &role {
                Some(role) => app.as_role(role).request(reqwest::Method::GET, ORGANISATIONS),
                None => app.as_anonymous().request(reqwest::Method::GET, ORGANISATIONS),
            };
            async move { csv_of(request.header("accept", "text/csv").send().await.unwrap()).await }
        };
        for role in [None, Some(cress_api::auth::Role::Viewer)] {
            let (header, rows) = csv_as(role.clone()).await;
            assert!(!header.contains(&"email".to_owned()) && !header.contains(&"phone".to_owned()), "{role:?}: {header:?}");
            assert_eq!(rows.len(), 2);
        }
        for (role, occitane, bretonne) in [
            (manager_of("76"), "a@occitane.example", ""),
            (partner_of(&home["id"]), "a@occitane.example", ""),
            (cress_api::auth::Role::Admin, "a@occitane.example", "b@bretonne.example"),
        ] {
            let (header, rows) = csv_as(Some(role.clone())).await;
            let emails: Vec<(String, String)> = rows
                .iter()
                .map(|r| record(&header, r))
                .map(|r| (r["name"].clone(), r["email"].clone()))
                .collect();
            assert_eq!(
                emails,
                [("Bretonne".to_owned(), bretonne.to_owned()), ("Occitane".to_owned(), occitane.to_owned())],
                "{role:?}"
            );
        }
        // Anonymous callers see published events only, as in JSON.
        one_of_each(&app).await;
        let (header, rows) = csv_as_anonymous_events(&app).await;
        let titles: Vec<String> = rows.iter().map(|r| record(&header, r)["title"].clone()).collect();
        assert_eq!(titles, ["Mois de l'ESS"]);
        let (header, rows) = get_csv(&app, "/api/v1/events").await;
        assert_eq!(rows.len(), 2, "{header:?}");
        // Sponsorship amounts: absent for anonymous callers, present for admins.
        let anonymous = csv_of(app.as_anonymous().request(reqwest::Method::GET, "/api/v1/sponsorships").header("accept", "text/csv").send().await.unwrap()).await;
        assert!(!anonymous.0.contains(&"amount_cents".to_owned()), "{:?}", anonymous.0);
        let (header, rows) = get_csv(&app, "/api/v1/sponsorships").await;
        assert_eq!(record(&header, &rows[0])["amount_cents"], "150000");
        assert_eq!(record(&header, &rows[0])["beneficiary_type"], "club");
        // Accounts stay the administrators' business.
        let refused = app.as_role(&cress_api::auth::Role::Viewer).request(reqwest::Method::GET, "/api/v1/users").header("accept", "text/csv").send().await.unwrap();
        problem_of(refused, StatusCode::FORBIDDEN, "forbidden").await;
    }

    async fn lists_answer_json_by_default_and_406_for_other_formats(app: TestApp) {
        app.create_organisation(organisation("Alpha", json!({}))).await;
        for accept in [None, Some("application/json"), Some("*/*"), Some("text/csv;q=0.5, application/json")] {
            let mut request = app.as_admin().request(reqwest::Method::GET, ORGANISATIONS);
            if let Some(accept) = accept {
                request = request.header("accept", accept);
            }
            let response = request.send().await.unwrap();
            assert_eq!(response.headers()["content-type"], "application/json", "{accept:?}");
        }
        let response = app.as_admin().request(reqwest::Method::GET, ORGANISATIONS).header("accept", "application/xml").send().await.unwrap();
        problem_of(response, StatusCode::NOT_ACCEPTABLE, "not_acceptable").await;
    }

    async fn a_long_list_is_streamed_completely(app: TestApp) {
        let mut csv = String::from("name,category,siren,region_code\n");
        for n in 0..2000_u32 {
            csv.push_str(&format!("Structure {n:04},association,{},76\n", siren_from(20_000_000 + n)));
        }
        let report = app.send_raw(reqwest::Method::POST, "/api/v1/organisations/import", Some("text/csv"), csv.into_bytes()).await;
        assert_eq!(json_of(report, StatusCode::OK).await["created"], 2000);

        let response = app.as_admin().request(reqwest::Method::GET, ORGANISATIONS).header("accept", "text/csv").send().await.unwrap();
        assert!(response.headers().get("content-length").is_none(), "streamed, not buffered: {:?}", response.headers());
        let (header, rows) = csv_of(response).await;
        assert_eq!(rows.len(), 2000);
        let names: Vec<String> = rows.iter().map(|r| record(&header, r)["name"].clone()).collect();
        let expected: Vec<String> = (0..2000).map(|n| format!("Structure {n:04}")).collect();
        assert_eq!(names, expected, "every row once, in order");
    }

    async fn an_export_reimports_unchanged(app: TestApp) {
        for (name, overrides) in [
            ("Mutuelle « solidaire », Occitanie", json!({"category": "mutual", "siren": siren_from(30_000_003), "siret": null, "legal_category_code": "8210", "email": "contact@mutuelle.example", "phone": "04 67 00 00 00", "website": "https://mutuelle.example/", "founded_on": "1947-03-01"})),
            ("Cress Bretagne", json!({"category": "network", "region_code": "53", "description": "Ligne 1\nLigne 2; \"citée\"", "street": "1 rue de Rennes", "postal_code": "35000", "city": "Rennes", "commune_code": "35238"})),
            ("Association du lien", json!({"rna": "W751245606"})),
        ] {
            app.create_organisation(organisation(name, overrides)).await;
        }
        let export = app.as_admin().request(reqwest::Method::GET, ORGANISATIONS).header("accept", "text/csv").send().await.unwrap().bytes().await.unwrap();

        let empty = TestApp::spawn(app.backend).await;
        let report = empty.send_raw(reqwest::Method::POST, "/api/v1/organisations/import", Some("text/csv"), export.to_vec()).await;
        assert_eq!(json_of(report, StatusCode::OK).await["created"], 3);
        let writable = |items: Vec<Value>| -> Vec<Value> {
            items
                .into_iter()
                .map(|mut o| {
                    for read_only in ["id", "created_at", "updated_at", "version"] {
                        o.as_object_mut().unwrap().remove(read_only);
                    }
                    o
                })
                .collect()
        };
        let before = writable(app.all_pages("/api/v1/organisations?limit=200").await);
        let after = writable(empty.all_pages("/api/v1/organisations?limit=200").await);
        assert_eq!(after, before, "the same organisations, field for field");

        // Into the same register: the row with a SIREN is known and changes nothing; a row
        // without SIREN is a new organisation, unless another identifier is taken.
        let path = "/api/v1/organisations/import?on_conflict=update&mode=valid_only";
        let again = json_of(app.send_raw(reqwest::Method::POST, path, Some("text/csv"), export.to_vec()).await, StatusCode::OK).await;
        assert_eq!(
            [&again["unchanged"], &again["updated"], &again["created"], &again["failed"]],
            [&json!(1), &json!(0), &json!(1), &json!(1)],
            "{again}"
        );
        assert_eq!(again["errors"][0]["code"], "duplicate", "the RNA is taken: {again}");
    }
}

async fn csv_as_anonymous_events(app: &TestApp) -> (Vec<String>, Vec<Vec<String>>) {
    csv_of(
        app.as_anonymous()
            .request(reqwest::Method::GET, "/api/v1/events")
            .header("accept", "text/csv")
            .send()
            .await
            .unwrap(),
    )
    .await
}
