//! Spreadsheets (issue 16): XLSX exports read back by a real reader, Excel's French CSV
//! dialect, and imports of what people have — XLSX, and CSV in UTF-8 or Windows-1252 — with
//! export → import round trips.

use std::io::{Cursor, Read};

use calamine::{Data, Reader};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{Backend, TestApp, json_of, organisation, problem_of, siren_from};
use crate::on_both_backends;

const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// The first sheet of an XLSX answer, as rows of cells.
async fn sheet_of(response: reqwest::Response) -> (Vec<u8>, Vec<Vec<Data>>) {
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["content-type"], XLSX);
    let bytes = response.bytes().await.unwrap().to_vec();
    let mut workbook = calamine::Xlsx::new(Cursor::new(bytes.clone())).expect("a readable workbook");
    let range = workbook.worksheet_range_at(0).expect("a sheet").expect("readable");
    (bytes, range.rows().map(<[Data]>::to_vec).collect())
}

/// The text of one member of an XLSX file (a zip of XML documents).
fn member(bytes: &[u8], name: &str) -> String {
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).expect("a zip");
    let mut text = String::new();
    archive
        .by_name(name)
        .expect("the member")
        .read_to_string(&mut text)
        .unwrap();
    text
}

/// The position of the column titled `title` (titles are in the request's language: English
/// for the test client).
fn column(header: &[Data], title: &str) -> usize {
    header
        .iter()
        .position(|cell| matches!(cell, Data::String(s) if s == title))
        .unwrap_or_else(|| panic!("no column {title} in {header:?}"))
}

/// An organisation of Ain (region 84) whose identifiers and codes would lose digits as numbers.
fn ain_organisation(name: &str, seed: u32) -> Value {
    let siren = siren_from(seed);
    organisation(
        name,
        json!({"region_code": "84", "postal_code": "01000", "commune_code": "01053", "city": "Bourg-en-Bresse",
               "siren": siren, "founded_on": "2001-07-01", "email": "contact@example.org"}),
    )
}

async fn get_as(app: &TestApp, path: &str, accept: &str) -> reqwest::Response {
    get_in(app, path, accept, "en").await
}

async fn get_in(app: &TestApp, path: &str, accept: &str, language: &str) -> reqwest::Response {
    app.as_admin()
        .request(reqwest::Method::GET, path)
        .header("accept", accept)
        .header("accept-language", language)
        .send()
        .await
        .unwrap()
}

async fn import(app: &TestApp, content_type: &str, body: Vec<u8>) -> reqwest::Response {
    app.as_admin()
        .request(reqwest::Method::POST, "/api/v1/organisations/import")
        .header("content-type", content_type)
        .body(body)
        .send()
        .await
        .unwrap()
}

/// The fields an import round trip must keep, of every organisation, by name.
async fn register_of(app: &TestApp) -> Vec<Value> {
    let mut rows: Vec<Value> = app
        .all_pages("/api/v1/organisations?limit=200")
        .await
        .into_iter()
        .map(|o| {
            json!([
                o["name"],
                o["category"],
                o["siren"],
                o["region_code"],
                o["postal_code"],
                o["commune_code"],
                o["city"],
                o["founded_on"],
                o["email"],
                o["description"]
            ])
        })
        .collect();
    rows.sort_by_key(|row| row[0].as_str().unwrap_or_default().to_owned());
    rows
}

on_both_backends! {
    async fn xlsx_exports_have_typed_cells_under_a_bold_frozen_header(app: TestApp) {
        let org = app.create_organisation(ain_organisation("Régie de Bourg", 4_101)).await;
        app.create_organisation(ain_organisation("=HYPERLINK(\"http://x\")", 4_102)).await;
        let response = get_as(&app, "/api/v1/organisations?region_code=84", XLSX).await;
        let disposition = response.headers()["content-disposition"].to_str().unwrap().to_owned();
        assert!(disposition.starts_with("attachment; filename=\"organisations-20") && disposition.ends_with(".xlsx\""), "{disposition}");
        let (bytes, rows) = sheet_of(response).await;
        let header = &rows[0];
        assert_eq!(rows.len(), 3, "a header and two organisations");
        let row = rows.iter().find(|r| r[column(header, "Name")] == Data::String("Régie de Bourg".into())).unwrap();
        assert_eq!(row[column(header, "SIREN")], Data::String(org["siren"].as_str().unwrap().into()), "a SIREN stays text");
        assert_eq!(row[column(header, "Postal code")], Data::String("01000".into()), "the leading zero stays");
        assert_eq!(row[column(header, "Region code")], Data::String("84".into()));
        match &row[column(header, "Founded on")] {
            Data::DateTime(date) => assert_eq!(date.as_datetime().unwrap().date().to_string(), "2001-07-01"),
            other => panic!("a date cell, not {other:?}"),
        }
        assert!(matches!(row[column(header, "Created at")], Data::DateTime(_)), "{:?}", row[column(header, "Created at")]);
        assert!(matches!(row[column(header, "Version")], Data::Float(v) if v == 1.0));
        assert!(matches!(row[column(header, "ESS")], Data::Bool(_)));
        let formula = rows.iter().find(|r| matches!(&r[column(header, "Name")], Data::String(s) if s.starts_with("=HYPERLINK"))).unwrap();
        assert!(matches!(&formula[column(header, "Name")], Data::String(_)), "a formula-looking name is a text cell");
        let sheet = member(&bytes, "xl/worksheets/sheet1.xml");
        assert!(sheet.contains("ySplit=\"1\"") && sheet.contains("state=\"frozen\""), "the header row is frozen");
        assert!(!sheet.contains("<f>"), "no formula anywhere");
        assert!(member(&bytes, "xl/styles.xml").contains("<b/>"), "the header is bold");
    }

    async fn xlsx_column_titles_follow_the_negotiated_language(app: TestApp) {
        app.create_organisation(ain_organisation("Régie de Bourg", 4_103)).await;
        let french = get_in(&app, "/api/v1/organisations", XLSX, "fr-FR,fr;q=0.9").await;
        assert_eq!(french.headers()["content-language"], "fr");
        let (_, rows) = sheet_of(french).await;
        for title in ["Nom", "Code postal", "Code région", "Date de création", "Créé le"] {
            column(&rows[0], title);
        }
        let english = get_in(&app, "/api/v1/organisations", XLSX, "en-GB").await;
        assert_eq!(english.headers()["content-language"], "en");
        let (_, rows) = sheet_of(english).await;
        for title in ["Name", "Postal code", "Region code", "Founded on", "Created at"] {
            column(&rows[0], title);
        }
        let csv = get_in(&app, "/api/v1/organisations", "text/csv", "fr").await;
        let (header, _) = crate::helpers::csv_of(csv).await;
        assert!(header.contains(&"postal_code".to_owned()), "CSV columns are field names, for programs: {header:?}");
    }

    async fn xlsx_shows_amounts_in_euros_with_two_decimals(app: TestApp) {
        let sponsor = app.create_organisation(organisation("Mutuelle solidaire", json!({}))).await;
        let beneficiary = app.create_organisation(organisation("Épicerie solidaire", json!({}))).await;
        json_of(app.post_json("/api/v1/sponsorships", &json!({
            "sponsor_id": sponsor["id"], "beneficiary": {"type": "organisation", "id": beneficiary["id"]},
            "kind": "financial_patronage", "amount_cents": 1_234_567, "starts_on": "2026-01-01", "status": "active"
        })).await, StatusCode::CREATED).await;
        let (bytes, rows) = sheet_of(get_as(&app, "/api/v1/sponsorships", XLSX).await).await;
        let at = column(&rows[0], "Amount (€)");
        assert!(matches!(rows[1][at], Data::Float(v) if (v - 12_345.67).abs() < 1e-9), "{:?}", rows[1][at]);
        assert!(member(&bytes, "xl/styles.xml").contains("#,##0.00"), "shown with two decimals");
    }

    async fn excel_csv_has_semicolons_a_byte_order_mark_and_a_file_name(app: TestApp) {
        app.create_organisation(ain_organisation("Coopérative de l'Ain; Bresse", 4_103)).await;
        let response = get_as(&app, "/api/v1/organisations", "text/csv; dialect=excel").await;
        assert_eq!(response.status(), StatusCode::OK);
        let disposition = response.headers()["content-disposition"].to_str().unwrap().to_owned();
        assert!(disposition.contains("filename=\"organisations-") && disposition.ends_with(".csv\""), "{disposition}");
        let bytes = response.bytes().await.unwrap();
        assert!(bytes.starts_with(b"\xEF\xBB\xBFid;name;category;"), "{:?}", String::from_utf8_lossy(&bytes[..40]));
        let text = String::from_utf8(bytes[3..].to_vec()).unwrap();
        assert!(text.contains("\"Coopérative de l'Ain; Bresse\""), "a cell with `;` is quoted");
        assert!(text.lines().count() >= 2 && text.contains("\r\n"));
        // The default stays RFC 4180, now with a file name too.
        let plain = get_as(&app, "/api/v1/organisations", "text/csv").await;
        assert!(plain.headers()["content-disposition"].to_str().unwrap().ends_with(".csv\""));
        assert!(plain.bytes().await.unwrap().starts_with(b"id,name,"));
        // A history is named after its list.
        let history = get_as(&app, "/api/v1/audit", "text/csv").await;
        assert!(history.headers()["content-disposition"].to_str().unwrap().contains("filename=\"audit-"));
    }

    async fn a_windows_1252_file_imports_with_its_accents(app: TestApp) {
        let text = "name;category;region_code;city;description\r\nCoopérative Économie Sociale;cooperative;76;Lodève;Café associatif « Ça tourne »\r\n";
        let (bytes, _, unmappable) = encoding_rs::WINDOWS_1252.encode(text);
        assert!(!unmappable);
        assert!(std::str::from_utf8(&bytes).is_err(), "not UTF-8");
        for content_type in ["text/csv", "text/csv; charset=windows-1252"] {
            let report = json_of(import(&app, content_type, bytes.to_vec()).await, StatusCode::OK).await;
            assert_eq!(report["rows"], 1, "{content_type}: {report}");
        }
        let listed = json_of(app.get("/api/v1/organisations?q=economie").await, StatusCode::OK).await;
        let items = listed["items"].as_array().unwrap();
        assert_eq!(items.len(), 2, "{listed}");
        for item in items {
            assert_eq!(item["name"], "Coopérative Économie Sociale");
            assert_eq!(item["city"], "Lodève");
            assert_eq!(item["description"], "Café associatif « Ça tourne »");
        }
        let problem = problem_of(import(&app, "text/csv; charset=shift_jis", bytes.to_vec()).await, StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type").await;
        assert!(problem["detail"].as_str().unwrap().contains("windows-1252"));
    }

    async fn xlsx_import_errors_name_the_line_of_the_sheet(app: TestApp) {
        let mut workbook = rust_xlsxwriter::Workbook::new();
        let sheet = workbook.add_worksheet();
        for (col, title) in ["name", "category", "region_code", "founded_on"].iter().enumerate() {
            sheet.write_string(0, col as u16, *title).unwrap();
        }
        sheet.write_string(1, 0, "Recyclerie du Larzac").unwrap();
        sheet.write_string(1, 1, "association").unwrap();
        sheet.write_number(1, 2, 76).unwrap();
        let date = rust_xlsxwriter::ExcelDateTime::from_ymd(2019, 3, 14).unwrap();
        let format = rust_xlsxwriter::Format::new().set_num_format("dd/mm/yyyy");
        sheet.write_datetime_with_format(1, 3, &date, &format).unwrap();
        // Row 3 is empty (skipped); the fourth line of the sheet names a region that does not exist.
        sheet.write_string(3, 0, "Ressourcerie").unwrap();
        sheet.write_string(3, 1, "association").unwrap();
        sheet.write_string(3, 2, "05").unwrap();
        let bytes = workbook.save_to_buffer().unwrap();
        let problem = problem_of(import(&app, XLSX, bytes.clone()).await, StatusCode::UNPROCESSABLE_ENTITY, "rows_invalid").await;
        let error = &problem["errors"][0];
        assert_eq!((error["row"].as_u64(), error["line"].as_u64(), error["field"].as_str()), (Some(2), Some(4), Some("region_code")), "{problem}");
        let report = json_of(
            app.as_admin().request(reqwest::Method::POST, "/api/v1/organisations/import?mode=valid_only")
                .header("content-type", XLSX).body(bytes).send().await.unwrap(),
            StatusCode::OK,
        ).await;
        assert_eq!(report["created"], 1, "{report}");
        let listed = json_of(app.get("/api/v1/organisations?q=larzac").await, StatusCode::OK).await;
        assert_eq!(listed["items"][0]["founded_on"], "2019-03-14", "a date cell reads as its date");
        assert_eq!(listed["items"][0]["region_code"], "76", "a number cell reads as its digits");
        problem_of(import(&app, XLSX, b"PK not a workbook".to_vec()).await, StatusCode::UNPROCESSABLE_ENTITY, "malformed_xlsx").await;
    }
}

/// Exports the register of `from` in `accept` and imports the file into a fresh server: the same
/// organisations, field for field.
async fn round_trip(accept: &str, content_type: &str, language: &str) {
    let from = TestApp::spawn(Backend::Sqlite).await;
    for (n, name) in [
        "Coopérative d'Ain",
        "Mutuelle « Bresse »",
        "=Formule;piège",
        "'Apostrophe",
    ]
    .iter()
    .enumerate()
    {
        let mut body = ain_organisation(name, 4_200 + n as u32);
        body["description"] = json!("Ligne 1\nLigne 2; avec \"guillemets\"");
        from.create_organisation(body).await;
    }
    let exported = get_in(&from, "/api/v1/organisations", accept, language).await;
    assert_eq!(exported.status(), StatusCode::OK);
    let bytes = exported.bytes().await.unwrap().to_vec();
    let to = TestApp::spawn(Backend::Sqlite).await;
    let report = json_of(import(&to, content_type, bytes).await, StatusCode::OK).await;
    assert_eq!(report["created"], 4, "{report}");
    assert_eq!(register_of(&to).await, register_of(&from).await, "{accept}");
}

#[tokio::test]
async fn an_xlsx_export_imports_as_the_same_organisations() {
    round_trip(XLSX, XLSX, "en").await;
}

#[tokio::test]
async fn an_xlsx_export_titled_in_french_imports_as_the_same_organisations() {
    round_trip(XLSX, XLSX, "fr").await;
}

#[tokio::test]
async fn an_excel_csv_export_imports_as_the_same_organisations() {
    round_trip("text/csv; dialect=excel", "text/csv", "fr").await;
}

#[tokio::test]
async fn an_rfc_4180_csv_export_imports_as_the_same_organisations() {
    round_trip("text/csv", "text/csv; charset=utf-8", "en").await;
}
