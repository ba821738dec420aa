//! `POST /api/v1/organisations/import`: CSV (BOM or not, `;` or `,`) and JSON arrays, per-row
//! errors, both modes, both conflict policies, duplicates in the file, malformed files that
//! change nothing, the managers' scope, and the body limit of imports.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use cress_api::core::Role;

use crate::changes::whole_feed;
use crate::helpers::{BODY_LIMIT, IMPORT_LIMIT, TestApp, json_of, manager_of, organisation, problem_of, siren_from};
use crate::on_both_backends;

const IMPORT: &str = "/api/v1/organisations/import";

/// Every organisation as listed to an admin, by name.
async fn by_name(app: &TestApp) -> Vec<Value> {
    app.all_pages("/api/v1/organisations?limit=200").await
}

async fn import_csv(app: &TestApp, query: &str, body: impl Into<Vec<u8>>) -> reqwest::Response {
    app.send_raw(Method::POST, &format!("{IMPORT}{query}"), Some("text/csv"), body.into())
        .await
}

/// The (row, field, code) of every error of a report or problem.
fn row_errors(body: &Value) -> Vec<(u64, String, String)> {
    body["errors"]
        .as_array()
        .expect("errors is an array")
        .iter()
        .map(|e| {
            (
                e["row"].as_u64().expect("a row number"),
                e["field"].as_str().unwrap_or_default().to_owned(),
                e["code"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect()
}

on_both_backends! {
    async fn csv_with_bom_and_semicolons_creates_every_row_with_quoted_cells(app: TestApp) {
        let siren = siren_from(12_345_678);
        let csv = format!(
            "\u{feff}name;category;siren;region_code;city;description\r\n\
             \"Mutuelle solidaire; Occitanie\";mutual;{siren};76;Montpellier;\"Deux lignes,\r\net des \"\"guillemets\"\"\"\r\n\
             Cress Bretagne;network;;53;Rennes;\r\n"
        );

        let report = json_of(import_csv(&app, "", csv).await, StatusCode::OK).await;

        assert_eq!(
            (report["rows"].clone(), report["created"].clone(), report["failed"].clone()),
            (json!(2), json!(2), json!(0)),
            "{report}"
        );
        assert_eq!(report["mode"], "all_or_nothing");
        assert_eq!(report["on_conflict"], "skip");
        let listed = by_name(&app).await;
        assert_eq!(listed.len(), 2);
        let mutual = listed.iter().find(|o| o["siren"] == json!(siren)).expect("the mutual is listed");
        assert_eq!(mutual["name"], "Mutuelle solidaire; Occitanie");
        assert_eq!(mutual["description"], "Deux lignes,\r\net des \"guillemets\"");
        let cress = listed.iter().find(|o| o["name"] == "Cress Bretagne").expect("the Cress is listed");
        assert_eq!(cress["description"], Value::Null, "an empty cell is null");
        assert_eq!(cress["siren"], Value::Null);
    }

    async fn csv_with_commas_and_no_bom_and_a_json_array_import_alike(app: TestApp) {
        let csv = "name,category,region_code,postal_code\nAtelier du lien,association,76,34700\n";
        let report = json_of(import_csv(&app, "", csv).await, StatusCode::OK).await;
        assert_eq!(report["created"], 1, "{report}");

        let body = json!([
            organisation("Coopérative des Cévennes", json!({"category": "cooperative", "siren": siren_from(2_000_001)})),
            organisation("Fondation du Littoral", json!({"category": "foundation", "founded_on": "1990-05-01"})),
        ]);
        let report = json_of(app.post_json(IMPORT, &body).await, StatusCode::OK).await;
        assert_eq!(report["created"], 2, "{report}");

        let names: Vec<Value> = by_name(&app).await.iter().map(|o| o["name"].clone()).collect();
        assert_eq!(names, [json!("Atelier du lien"), json!("Coopérative des Cévennes"), json!("Fondation du Littoral")]);
    }

    async fn all_or_nothing_writes_nothing_and_lists_every_failing_field_by_row(app: TestApp) {
        let csv = format!(
            "name,category,siren,region_code,email\n\
             Valide,association,{},76,\n\
             ,association,123456789,05,\n\
             Courriel,association,,76,pas-une-adresse\n",
            siren_from(3_000_001)
        );

        let problem = problem_of(import_csv(&app, "", csv).await, StatusCode::UNPROCESSABLE_ENTITY, "rows_invalid").await;

        let mut errors = row_errors(&problem);
        errors.sort();
        assert_eq!(
            errors,
            [
                (2, "name".to_owned(), "required".to_owned()),
                (2, "region_code".to_owned(), "unknown_code".to_owned()),
                (2, "siren".to_owned(), "invalid_checksum".to_owned()),
                (3, "email".to_owned(), "invalid_format".to_owned()),
            ],
            "{problem}"
        );
        assert!(problem["detail"].as_str().unwrap().contains("2 of 3 rows"), "{problem}");
        assert!(by_name(&app).await.is_empty(), "nothing was imported");
    }

    async fn valid_only_writes_the_valid_rows_and_reports_the_others(app: TestApp) {
        let body = json!([
            organisation("Première", json!({})),
            organisation("Mauvaise", json!({"region_code": "05"})),
            {"name": "Inconnue", "category": "association", "region_code": "76", "colour": "blue"},
            "pas un objet",
            organisation("Dernière", json!({})),
        ]);

        let report = json_of(app.post_json(&format!("{IMPORT}?mode=valid_only"), &body).await, StatusCode::OK).await;

        assert_eq!((report["rows"].clone(), report["created"].clone(), report["failed"].clone()), (json!(5), json!(2), json!(3)), "{report}");
        assert_eq!(
            row_errors(&report),
            [
                (2, "region_code".to_owned(), "unknown_code".to_owned()),
                (3, "colour".to_owned(), "unknown_field".to_owned()),
                (4, String::new(), "invalid_type".to_owned()),
            ],
            "{report}"
        );
        let names: Vec<Value> = by_name(&app).await.iter().map(|o| o["name"].clone()).collect();
        assert_eq!(names, [json!("Dernière"), json!("Première")]);
    }

    async fn known_sirens_are_skipped_by_default_and_updated_on_request(app: TestApp) {
        let siren = siren_from(4_000_004);
        let existing = app
            .create_organisation(organisation("Ancienne raison sociale", json!({"siren": siren, "phone": "04 67 00 00 00", "city": "Sète"})))
            .await;
        let csv = format!("name,category,siren,region_code,city\nNouvelle raison sociale,association,{siren},76,\nAutre,association,,76,Agde\n");

        let skipped = json_of(import_csv(&app, "", csv.clone()).await, StatusCode::OK).await;
        assert_eq!((skipped["created"].clone(), skipped["skipped"].clone()), (json!(1), json!(1)), "{skipped}");
        assert_eq!(skipped["skipped_rows"], json!([{"row": 1, "siren": siren, "existing_id": existing["id"]}]));
        let unchanged = json_of(app.get(&format!("/api/v1/organisations/{}", existing["id"].as_str().unwrap())).await, StatusCode::OK).await;
        assert_eq!(unchanged["name"], "Ancienne raison sociale");

        let csv = format!("name,category,siren,region_code,city\nNouvelle raison sociale,association,{siren},76,\n");
        let updated = json_of(import_csv(&app, "?on_conflict=update", csv.clone()).await, StatusCode::OK).await;
        assert_eq!((updated["updated"].clone(), updated["created"].clone()), (json!(1), json!(0)), "{updated}");
        let changed = json_of(app.get(&format!("/api/v1/organisations/{}", existing["id"].as_str().unwrap())).await, StatusCode::OK).await;
        assert_eq!(changed["name"], "Nouvelle raison sociale");
        assert_eq!(changed["city"], Value::Null, "an empty cell clears the field");
        assert_eq!(changed["phone"], "04 67 00 00 00", "a column absent from the file keeps its value");
        assert_eq!(changed["version"], 2);

        let again = json_of(import_csv(&app, "?on_conflict=update", csv).await, StatusCode::OK).await;
        assert_eq!((again["updated"].clone(), again["unchanged"].clone()), (json!(0), json!(1)), "{again}");
    }

    async fn identifiers_twice_in_the_file_or_held_by_another_fail_their_row(app: TestApp) {
        let siren = siren_from(5_000_005);
        app.create_organisation(organisation("Titulaire", json!({"rna": "W751245606"}))).await;
        let csv = format!(
            "name,category,siren,rna,region_code\n\
             Une,association,{siren},,76\n\
             Deux,association,{siren},,76\n\
             Trois,association,,W751245606,76\n"
        );

        let report = json_of(import_csv(&app, "?mode=valid_only", csv).await, StatusCode::OK).await;

        assert_eq!(
            row_errors(&report),
            [(2, "siren".to_owned(), "duplicate_in_file".to_owned()), (3, "rna".to_owned(), "duplicate".to_owned())],
            "{report}"
        );
        assert_eq!(report["created"], 1);
        assert_eq!(by_name(&app).await.len(), 2);
    }

    async fn malformed_files_answer_400_or_422_and_change_nothing(app: TestApp) {
        app.create_organisation(organisation("Déjà là", json!({}))).await;
        let header = "name,category,region_code\n";
        for (body, why) in [
            (format!("{header}Bonne,association,76\n\"Guillemet ouvert,association,76\n").into_bytes(), "unbalanced quote"),
            (format!("{header}Bonne,association,76\nTrop,association,76,en plus\n").into_bytes(), "wrong column count"),
            (Vec::new(), "empty file"),
        ] {
            let problem = problem_of(import_csv(&app, "?mode=valid_only", body).await, StatusCode::UNPROCESSABLE_ENTITY, "malformed_csv").await;
            assert!(problem["detail"].as_str().unwrap().contains("line") || why == "empty file", "{why}: {problem}");
        }
        let problem = problem_of(
            import_csv(&app, "?mode=valid_only", "name,category,region_code,colour\nBonne,association,76,bleu\n").await,
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
        )
        .await;
        assert_eq!(problem["errors"][0]["field"], "colour", "{problem}");
        assert_eq!(problem["errors"][0]["code"], "unknown_field", "{problem}");
        let problem = problem_of(
            app.post_json(IMPORT, &json!({"name": "Pas un tableau"})).await,
            StatusCode::BAD_REQUEST,
            "malformed_json",
        )
        .await;
        assert!(problem["detail"].as_str().unwrap().contains("array"), "{problem}");
        problem_of(
            app.send_raw(Method::POST, IMPORT, Some("application/xml"), b"<organisations/>".to_vec()).await,
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
        )
        .await;
        // Declared UTF-8 but not: the line is named (undeclared, such bytes read as Windows-1252).
        let latin = [header.as_bytes(), b"Bonne,association,76\nMal \xe9crit,association,76\n"].concat();
        let problem = problem_of(
            app.send_raw(Method::POST, &format!("{IMPORT}?mode=valid_only"), Some("text/csv; charset=utf-8"), latin).await,
            StatusCode::UNPROCESSABLE_ENTITY,
            "malformed_csv",
        )
        .await;
        assert!(problem["detail"].as_str().unwrap().contains("line 3"), "{problem}");
        problem_of(
            app.send_raw(Method::POST, IMPORT, Some("text/csv; charset=utf-16"), header.as_bytes().to_vec()).await,
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
        )
        .await;
        problem_of(import_csv(&app, "?mode=some", header).await, StatusCode::BAD_REQUEST, "invalid_parameter").await;
        let names: Vec<Value> = by_name(&app).await.iter().map(|o| o["name"].clone()).collect();
        assert_eq!(names, [json!("Déjà là")], "nothing was written");
    }

    async fn managers_import_into_their_region_only(app: TestApp) {
        let away_siren = siren_from(6_000_006);
        app.create_organisation(organisation("Bretonne", json!({"siren": away_siren, "region_code": "53"}))).await;
        let manager = app.as_role(&manager_of("76"));
        let csv = format!(
            "name,category,siren,region_code\n\
             Occitane,association,,76\n\
             Ailleurs,association,,53\n\
             Bretonne renommée,association,{away_siren},76\n"
        );
        let send = |query: &'static str, csv: String| {
            manager
                .request(Method::POST, &format!("{IMPORT}{query}"))
                .header("content-type", "text/csv")
                .body(csv)
                .send()
        };

        let problem = problem_of(send("", csv.clone()).await.expect("an answer"), StatusCode::UNPROCESSABLE_ENTITY, "rows_invalid").await;
        assert_eq!(
            row_errors(&problem),
            [(2, "region_code".to_owned(), "forbidden".to_owned())],
            "the known SIREN is skipped, not refused, by default: {problem}"
        );
        let report = json_of(send("?mode=valid_only&on_conflict=update", csv).await.expect("an answer"), StatusCode::OK).await;

        assert_eq!(
            row_errors(&report),
            [(2, "region_code".to_owned(), "forbidden".to_owned()), (3, "region_code".to_owned(), "forbidden".to_owned())],
            "an organisation of region 53 is not the manager's to update: {report}"
        );
        assert_eq!(report["created"], 1);
        let names: Vec<Value> = by_name(&app).await.iter().map(|o| o["name"].clone()).collect();
        assert_eq!(names, [json!("Bretonne"), json!("Occitane")]);
        for role in [cress_api::core::Role::Viewer] {
            let refused = app.as_role(&role).send_raw(Method::POST, IMPORT, Some("text/csv"), b"name\n".to_vec()).await;
            problem_of(refused, StatusCode::FORBIDDEN, "forbidden").await;
        }
        let anonymous = app.as_anonymous().send_raw(Method::POST, IMPORT, Some("text/csv"), b"name\n".to_vec()).await;
        problem_of(anonymous, StatusCode::UNAUTHORIZED, "unauthenticated").await;
    }

    async fn imports_may_exceed_the_body_limit_up_to_the_import_limit(app: TestApp) {
        let mut csv = String::from("name,category,siren,region_code,description\n");
        let filler = "x".repeat(200);
        let mut rows = 0;
        while (csv.len() as u64) <= BODY_LIMIT + 1024 {
            rows += 1;
            csv.push_str(&format!("Structure {rows},association,{},76,{filler}\n", siren_from(7_000_000 + rows)));
        }
        let report = json_of(
            app.as_admin()
                .request(Method::POST, IMPORT)
                .header("content-type", "text/csv")
                .header("idempotency-key", "import-1")
                .body(csv.clone())
                .send()
                .await
                .expect("the server answers"),
            StatusCode::OK,
        )
        .await;
        assert_eq!(report["created"], json!(rows), "{report}");
        // The idempotency key is ignored: the same import again finds its rows known.
        let again = app
            .as_admin()
            .request(Method::POST, IMPORT)
            .header("content-type", "text/csv")
            .header("idempotency-key", "import-1")
            .body(csv)
            .send()
            .await
            .expect("the server answers");
        assert!(again.headers().get("idempotent-replayed").is_none());
        let again = json_of(again, StatusCode::OK).await;
        assert_eq!((again["created"].clone(), again["skipped"].clone()), (json!(0), json!(rows)), "{again}");

        let too_large = vec![b'a'; usize::try_from(IMPORT_LIMIT).unwrap() + 1];
        problem_of(import_csv(&app, "", too_large).await, StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large").await;
        assert_eq!(app.organisation_count().await, rows as usize);
    }
}

on_both_backends! {
    async fn an_import_is_in_the_change_feed_and_the_audit_trail_like_any_write(app: TestApp) {
        let known = app
            .create_organisation(organisation("Ancien nom", json!({"siren": siren_from(1)})))
            .await;
        let csv = format!(
            "name,category,region_code,siren,city\nNouveau nom,association,76,{},Lodève\nRecyclerie,association,76,{},Millau\n",
            siren_from(1),
            siren_from(2)
        );
        let report = json_of(import_csv(&app, "?on_conflict=update", csv).await, StatusCode::OK).await;
        assert_eq!((report["created"].as_u64(), report["updated"].as_u64()), (Some(1), Some(1)), "{report}");

        let audit = app.all_pages("/api/v1/audit?resource=organisation").await;
        let updated: Vec<&Value> = audit.iter().filter(|e| e["action"] == "updated").collect();
        assert_eq!(updated.len(), 1, "{audit:?}");
        assert_eq!(updated[0]["id"], known["id"]);
        assert_eq!(updated[0]["changes"]["name"], json!({"old": "Ancien nom", "new": "Nouveau nom"}));
        assert_eq!(audit.iter().filter(|e| e["action"] == "created").count(), 2, "the known one and the imported one");

        let feed = json_of(app.get("/api/v1/changes?types=organisation").await, StatusCode::OK).await;
        let names: Vec<&str> = feed["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["data"]["name"].as_str().unwrap_or_default())
            .collect();
        assert_eq!(names.len(), 3, "{feed}");
        assert!(names.contains(&"Nouveau nom") && names.contains(&"Recyclerie"), "{names:?}");
    }
}

on_both_backends! {
    async fn an_import_of_several_batches_logs_each_row_once_in_the_feed(app: TestApp) {
        // More rows than one statement (and one change-log batch) holds: 1,000.
        const CREATED: u32 = 2_100;
        const UPDATED: u32 = 1_100;
        let csv = |name: &str, count: u32| {
            let mut csv = String::from("name,category,region_code,siren\n");
            for n in 0..count {
                csv.push_str(&format!("{name} {n},association,76,{}\n", siren_from(8_000_000 + n)));
            }
            csv
        };
        let report = json_of(import_csv(&app, "", csv("Structure", CREATED)).await, StatusCode::OK).await;
        assert_eq!(report["created"], json!(CREATED), "{report}");
        let report = json_of(
            import_csv(&app, "?on_conflict=update", csv("Renommée", UPDATED)).await,
            StatusCode::OK,
        )
        .await;
        assert_eq!(report["updated"], json!(UPDATED), "{report}");

        let feed = whole_feed(&app, Some(&Role::Admin), "&types=organisation").await;
        let created: Vec<&Value> = feed.iter().filter(|c| c["action"] == "created").collect();
        let updated: Vec<&Value> = feed.iter().filter(|c| c["action"] == "updated").collect();
        assert_eq!((created.len(), updated.len()), (CREATED as usize, UPDATED as usize));
        let ids: std::collections::HashSet<&str> = created.iter().filter_map(|c| c["id"].as_str()).collect();
        assert_eq!(ids.len(), CREATED as usize, "one creation per organisation");
        assert!(
            updated.iter().all(|c| c["version"] == json!(2)
                && c["data"]["name"].as_str().is_some_and(|name| name.starts_with("Renommée"))),
            "every update is logged once, as version 2 with its new name"
        );
        let last_created = feed.iter().rposition(|c| c["action"] == "created");
        let first_updated = feed.iter().position(|c| c["action"] == "updated");
        assert!(last_created < first_updated, "the second import's changes follow the first's");
    }
}

/// A CSV file of `size` bytes whose rows have every column and no value: each row fails.
fn csv_of_empty_rows(size: usize) -> Vec<u8> {
    let header = "name,category,siren,siret,rna,legal_category_code,region_code,street,postal_code,city,commune_code,website,email,phone,description,founded_on\n";
    let row = ",".repeat(15) + "\n";
    let mut body = header.as_bytes().to_vec();
    while body.len() + row.len() <= size {
        body.extend_from_slice(row.as_bytes());
    }
    body
}

/// Checks the bounded answer of an import whose `rows` rows each fail: the first 100 errors
/// by row, the total and the counts per code that add up to it.
fn assert_bounded_errors(answer: &Value, rows: u64) {
    let errors = answer["errors"].as_array().expect("errors");
    assert_eq!(errors.len(), 100, "the first 100 errors only");
    let numbers: Vec<u64> = errors.iter().map(|e| e["row"].as_u64().expect("a row")).collect();
    assert!(
        numbers.windows(2).all(|w| w[0] <= w[1]) && numbers[0] == 1,
        "the first errors by row: {numbers:?}"
    );
    let total = answer["error_count"].as_u64().expect("error_count");
    assert!(total >= rows, "at least one error per row: {total} for {rows} rows");
    let by_code: u64 = answer["error_counts"]
        .as_object()
        .expect("error_counts")
        .values()
        .map(|n| n.as_u64().expect("a count"))
        .sum();
    assert_eq!(by_code, total, "the counts per code add up: {}", answer["error_counts"]);
    assert_eq!(
        answer["error_counts"]["required"].as_u64(),
        Some(total),
        "every error is a missing field"
    );
}

on_both_backends! {
    async fn a_large_import_of_bad_rows_answers_the_first_100_errors_and_their_counts(app: TestApp) {
        // Arrange: 3.6 MB of rows without values (225,000 rows), as CSV; 1 MB of empty objects as JSON.
        let csv = csv_of_empty_rows(3_600_000);
        let rows = csv.iter().filter(|b| **b == b'\n').count() as u64 - 1;
        let json = format!("[{}{{}}]", "{},".repeat(333_000));
        // Act
        let csv_answer = import_csv(&app, "", csv).await;
        let json_answer = app.send_raw(Method::POST, IMPORT, Some("application/json"), json.into_bytes()).await;
        let valid_only = import_csv(&app, "?mode=valid_only", csv_of_empty_rows(200_000)).await;
        // Assert
        for (what, answer, rows) in [("CSV", csv_answer, rows), ("JSON", json_answer, 333_001)] {
            assert_eq!(answer.status(), StatusCode::UNPROCESSABLE_ENTITY, "{what}");
            let body = answer.bytes().await.expect("a body");
            assert!(body.len() < 64 * 1024, "{what}: a small answer, not {} bytes", body.len());
            let problem: Value = serde_json::from_slice(&body).expect("a problem");
            assert_eq!(problem["code"], "rows_invalid", "{what}");
            assert!(problem["detail"].as_str().is_some_and(|d| d.contains(&format!("{rows} of {rows} rows"))), "{what}: {}", problem["detail"]);
            assert_bounded_errors(&problem, rows);
        }
        let report = json_of(valid_only, StatusCode::OK).await;
        assert_eq!(report["created"], 0);
        assert_bounded_errors(&report, report["failed"].as_u64().expect("failed"));
        assert_eq!(app.organisation_count().await, 0, "nothing was written");
    }
}
