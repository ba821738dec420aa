//! `POST /api/v1/organisations/import`: many organisations at once, from a CSV file or a JSON
//! array. Every row is checked as a creation is (the same request type, `check_draft` and
//! policy), then all the writes run in one transaction of multi-row statements.

use std::collections::HashMap;

use actix_web::http::header;
use actix_web::web;
use actix_web::{HttpRequest, HttpResponse, post};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use validator::Validate;

use crate::auth::Caller;
use crate::auth::policy::{self, Action};
use crate::core::{Resource, Target};
use crate::domain::message::{Message, msg};
use crate::domain::organisation::NewOrganisation;
use crate::http::AppState;
use crate::http::csv::{TEXT_CSV, XLSX, read_records, unneutralised};
use crate::http::error::{ApiError, FieldError, Problem, RowErrors};
use crate::http::extract::{parse_value, read_limited};
use crate::http::language::content_language;
use crate::http::organisations::{CreateOrganisationRequest, UpdateOrganisationRequest, check_draft};
use crate::http::responses::Forbidden;
use crate::http::xlsx::column_titled;
use crate::store::organisations::{Identifier, ImportUpdate, Organisation, OrganisationFields};

pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(import_organisations);
}

/// Where the import is served, for the middleware that must leave it alone.
pub const IMPORT_PATH: &str = "/api/v1/organisations/import";

/// The largest import body, from `IMPORT_MAX_BYTES` (app data).
#[derive(Clone, Copy, Debug)]
pub struct ImportLimit(pub usize);

const DEFAULT_IMPORT_LIMIT: usize = 64 * 1024 * 1024;

/// The fields of a row: those of a creation.
const FIELDS: [&str; 16] = [
    "name",
    "category",
    "siren",
    "siret",
    "rna",
    "legal_category_code",
    "region_code",
    "street",
    "postal_code",
    "city",
    "commune_code",
    "website",
    "email",
    "phone",
    "description",
    "founded_on",
];

/// The read-only fields of an organisation as listed (JSON or CSV export): accepted and
/// ignored, so that an export imports as it is.
const READ_ONLY: [&str; 8] = [
    "id",
    "is_ess",
    "esus",
    "esus_status",
    "esus_valid_until",
    "created_at",
    "updated_at",
    "version",
];

/// What to do when a row fails.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ImportMode {
    /// Import nothing if any row fails (422 `rows_invalid`, listing them).
    #[default]
    AllOrNothing,
    /// Import the valid rows and report the others.
    ValidOnly,
}

/// What to do with a row whose SIREN an organisation of the register already has.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum OnConflict {
    /// Leave that organisation as it is and report the row in `skipped_rows`.
    #[default]
    Skip,
    /// Update that organisation with the row, as a PATCH would.
    Update,
}

/// How to import.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ImportParams {
    /// `all_or_nothing` (default) or `valid_only`.
    #[param(inline)]
    pub mode: Option<ImportMode>,
    /// `skip` (default) or `update`.
    #[param(inline)]
    pub on_conflict: Option<OnConflict>,
}

/// A row left alone because its SIREN is known (`on_conflict=skip`).
#[derive(Debug, Serialize, ToSchema)]
pub struct SkippedRow {
    #[schema(minimum = 1)]
    pub row: u64,
    #[schema(pattern = "^[0-9]{9}$")]
    pub siren: String,
    /// The organisation that has this SIREN.
    pub existing_id: Uuid,
}

/// What an import did. Every row is counted once: `rows = created + updated + unchanged +
/// skipped + failed`.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "mode": "valid_only",
    "on_conflict": "skip",
    "rows": 4,
    "created": 2,
    "updated": 0,
    "unchanged": 0,
    "skipped": 1,
    "failed": 1,
    "errors": [
        {"row": 3, "field": "siren", "code": "invalid_checksum", "message": "775672273 fails the SIREN check digit (Luhn)"}
    ],
    "error_count": 1,
    "error_counts": {"invalid_checksum": 1},
    "skipped_rows": [
        {"row": 4, "siren": "775672272", "existing_id": "0193a1f2-7c4e-7d2a-9b1e-2f5c8a9d0e11"}
    ]
}))]
pub struct ImportReport {
    pub mode: ImportMode,
    pub on_conflict: OnConflict,
    /// Rows read (a CSV file's header line is not a row).
    pub rows: u64,
    /// Organisations created.
    pub created: u64,
    /// Organisations changed by their row (`on_conflict=update`).
    pub updated: u64,
    /// Rows with a known SIREN that change nothing (`on_conflict=update`).
    pub unchanged: u64,
    /// Rows with a known SIREN left alone (`on_conflict=skip`), listed in `skipped_rows`.
    pub skipped: u64,
    /// Rows not imported because they break a rule, listed in `errors`.
    pub failed: u64,
    /// The failing fields of the failing rows, by row: the first 100 (see `error_count`).
    pub errors: Vec<FieldError>,
    /// How many failing fields the rows have in all.
    pub error_count: u64,
    /// How many failing fields there are of each `code`.
    pub error_counts: std::collections::BTreeMap<String, u64>,
    pub skipped_rows: Vec<SkippedRow>,
}

/// Import organisations.
///
/// The body is a CSV file (`text/csv`, cells separated by `,` or `;` as the header line shows,
/// quoted as RFC 4180 says) whose header names the fields of a creation, an Excel workbook
/// (`application/vnd.openxmlformats-officedocument.spreadsheetml.sheet`: its first sheet, whose
/// first row names the fields; dates are read as dates, empty rows skipped), or a JSON array of
/// creation bodies (`application/json`). A CSV file is UTF-8, with or without a byte order mark,
/// or Windows-1252 (what Excel's "CSV (séparateur : point-virgule)" saves on a French Windows):
/// declared with `charset=windows-1252`, or found when the bytes are not UTF-8. A column is
/// named by its field (`postal_code`) or by its title in a workbook export, in French or
/// English (`Code postal`, `Postal code`). An empty cell is `null`. The read-only columns of a list or an export (`id`, `is_ess`, `esus`,
/// `esus_status`, `esus_valid_until`, `created_at`, `updated_at`, `version`) are accepted and
/// ignored, so that an export imports as it is; any other column is a 422 naming it, before any
/// row is read.
///
/// Every row is checked as a creation is; rows are counted from 1 (the header line is not a
/// row), and for a CSV or XLSX file each error also gives the row's `line` as a spreadsheet
/// numbers it (the header is line 1). A SIREN, SIRET or RNA found twice in the file fails the later row
/// (`duplicate_in_file`); one that another organisation holds fails the row (`duplicate`),
/// except a known SIREN, which `on_conflict` decides: `skip` (default) leaves that organisation
/// alone and lists the row in `skipped_rows`; `update` changes it with the columns of the row
/// (columns absent from the file keep their values, an empty cell clears one), under the rules
/// of a PATCH. Cress managers import into their own region only: other rows fail with
/// `forbidden` and are never written.
///
/// `mode=all_or_nothing` (default): any failing row makes a 422 `rows_invalid` listing the
/// failing fields with their `row` (the first 100 by row; `error_count` says how many there are
/// in all and `error_counts` how many of each code, so that the answer stays small whatever the
/// file), and nothing is written. `mode=valid_only`: the valid rows are
/// written and the others reported in the 200 answer. The writes run in one transaction: a
/// failure (another request taking an identifier or changing an organisation meanwhile, 409)
/// writes nothing. A malformed CSV file (not UTF-8, no header line, an unclosed quote, a row
/// with more or fewer cells than the header) is a 422 `malformed_csv`, malformed JSON or JSON
/// that is not an array a 400; neither writes anything.
///
/// The body may be up to `IMPORT_MAX_BYTES` (64 MiB by default). `Idempotency-Key` is not
/// honoured here: retrying an import is safe as it is, since a failed import wrote nothing and
/// a repeated one finds its rows known (`skip` reports them, `update` leaves them unchanged).
#[utoipa::path(
    tag = "organisations",
    params(ImportParams),
    request_body(
        description = "A CSV file or an Excel workbook whose header names the fields, or a JSON array of organisations.",
        content(
            (String = "text/csv", example = "name;category;siren;region_code;city\nCress Occitanie;network;;76;Montpellier\n\"Mutuelle solidaire; Occitanie\";mutual;775672272;76;Montpellier\n"),
            (String = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
            (Vec<CreateOrganisationRequest> = "application/json"),
        )
    ),
    security(("login" = []), ("machine_client" = []), ("token" = [])),
    responses(
        (status = 200, description = "Imported: what was created, updated, skipped, and (`valid_only`) the failing rows.", body = ImportReport),
        (status = 403, response = Forbidden),
        (status = 409, description = "Another request took a SIREN, SIRET or RNA of the file (`duplicate`) or changed an organisation to update (`concurrent_update`) meanwhile; nothing was written.",
            body = Problem, content_type = "application/problem+json",
            headers(("Retry-After" = String, description = "Only on a `concurrent_update`: seconds to wait before sending the import again.")),
            example = json!({
                "type": "/problems/concurrent_update",
                "status": 409,
                "detail": "the organisation was changed by another request meanwhile; read it again and retry",
                "code": "concurrent_update"
            })),
        (status = 413, description = "The body is larger than `IMPORT_MAX_BYTES`.", body = Problem,
            content_type = "application/problem+json",
            example = json!({
                "type": "/problems/payload_too_large",
                "status": 413,
                "detail": "request body larger than 67108864 bytes",
                "code": "payload_too_large"
            })),
        (status = 422, description = "A CSV body that is not a well-formed table (`malformed_csv`, naming the line), unknown CSV columns (`validation_failed`, one entry per column), or (`all_or_nothing`) failing rows (`rows_invalid`: the first 100 failing fields with their `row`, `error_count` and `error_counts`); nothing was written.",
            body = Problem, content_type = "application/problem+json",
            example = json!({
                "type": "/problems/rows_invalid",
                "status": 422,
                "detail": "1 of 2 rows is invalid; nothing was imported",
                "code": "rows_invalid",
                "errors": [{"row": 2, "field": "region_code", "code": "unknown_code", "message": "05 is not a region code"}],
                "error_count": 1,
                "error_counts": {"unknown_code": 1}
            })),
    )
)]
#[post("/organisations/import")]
pub async fn import_organisations(
    caller: Caller,
    req: HttpRequest,
    state: web::Data<AppState>,
    params: crate::http::extract::Query<ImportParams>,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    policy::require_kind(&caller, Action::Create, Resource::Organisation)?;
    let params = params.0;
    let format = body_format(&req)?;
    let limit = req.app_data::<ImportLimit>().map_or(DEFAULT_IMPORT_LIMIT, |l| l.0);
    let body = read_limited(req.headers(), payload, limit).await?;
    let mode = params.mode.unwrap_or_default();
    let on_conflict = params.on_conflict.unwrap_or_default();
    // Each row is checked as it is read: only the valid ones and the first errors stay in
    // memory, never the whole file as a table.
    let mut plan = Plan::checking(&caller, on_conflict);
    match format {
        BodyFormat::Csv(charset) => csv_rows(&utf8_of(&body, charset), |row| plan.check_row(row))?,
        BodyFormat::Xlsx => xlsx_rows(&body, |row| plan.check_row(row))?,
        BodyFormat::Json => json_rows(&body, |row| plan.check_row(row))?,
    }
    drop(body);
    let plan = plan.check_against_register(&state).await?;
    if mode == ImportMode::AllOrNothing && plan.failed > 0 {
        let detail = msg!("import-rows-invalid", count = plan.failed, rows = plan.rows);
        return Err(ApiError::RowsInvalid {
            detail,
            errors: plan.errors,
        });
    }
    state
        .store
        .import_organisations(&plan.creates, &plan.updates, &caller.actor()?)
        .await?;
    tracing::info!(
        rows = plan.rows,
        created = plan.creates.len(),
        updated = plan.updates.len(),
        failed = plan.failed,
        "organisations imported"
    );
    // The report's row errors are sentences in the request's language.
    Ok(HttpResponse::Ok().insert_header(content_language()).json(ImportReport {
        mode,
        on_conflict,
        rows: plan.rows,
        created: plan.creates.len() as u64,
        updated: plan.updates.len() as u64,
        unchanged: plan.unchanged,
        skipped: plan.skipped_rows.len() as u64,
        failed: plan.failed,
        errors: plan.errors.shown(),
        error_count: plan.errors.total,
        error_counts: plan.errors.by_code,
        skipped_rows: plan.skipped_rows,
    }))
}

enum BodyFormat {
    Csv(Charset),
    Json,
    Xlsx,
}

/// The character set of a CSV body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Charset {
    Utf8,
    /// Excel's "CSV (séparateur : point-virgule)" on a French Windows.
    Windows1252,
    /// None declared: UTF-8 when the bytes are, Windows-1252 otherwise.
    Detect,
}

/// CSV (`text/csv`: UTF-8, or Windows-1252 declared by `charset` or detected), XLSX or JSON,
/// from `Content-Type`; anything else is a 415.
fn body_format(req: &HttpRequest) -> Result<BodyFormat, ApiError> {
    let value = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_ascii_lowercase();
    let mut parts = value.split(';').map(str::trim);
    let essence = parts.next().unwrap_or_default();
    let charset = parts
        .filter_map(|p| p.strip_prefix("charset="))
        .map(|c| c.trim_matches('"'))
        .next();
    match essence {
        TEXT_CSV => match charset {
            None => Ok(BodyFormat::Csv(Charset::Detect)),
            Some("utf-8" | "utf8") => Ok(BodyFormat::Csv(Charset::Utf8)),
            Some("windows-1252" | "cp1252" | "iso-8859-1" | "latin1" | "iso-8859-15") => {
                Ok(BodyFormat::Csv(Charset::Windows1252))
            }
            Some(other) => Err(ApiError::UnsupportedMediaType(msg!(
                "import-charset-unsupported",
                charset = other
            ))),
        },
        XLSX => Ok(BodyFormat::Xlsx),
        "application/json" => Ok(BodyFormat::Json),
        "" => Err(ApiError::UnsupportedMediaType(msg!("import-content-type-missing"))),
        other => Err(ApiError::UnsupportedMediaType(msg!(
            "import-content-type-unsupported",
            xlsx = XLSX,
            other = other
        ))),
    }
}

/// A CSV body as UTF-8: as it is, or decoded from Windows-1252 (declared, or detected because
/// the bytes are not UTF-8 and carry no UTF-8 byte order mark).
fn utf8_of(body: &[u8], charset: Charset) -> std::borrow::Cow<'_, [u8]> {
    let windows = match charset {
        Charset::Utf8 => false,
        Charset::Windows1252 => true,
        Charset::Detect => !body.starts_with(b"\xEF\xBB\xBF") && std::str::from_utf8(body).is_err(),
    };
    if windows {
        let (text, _) = encoding_rs::WINDOWS_1252.decode_without_bom_handling(body);
        std::borrow::Cow::Owned(text.into_owned().into_bytes())
    } else {
        std::borrow::Cow::Borrowed(body)
    }
}

/// One row of the file, numbered from 1, as a JSON object of its known fields, with its line as
/// a spreadsheet numbers it (CSV and XLSX).
struct Row {
    number: u64,
    line: Option<u64>,
    fields: Result<Map<String, Value>, FieldError>,
}

/// Reads the rows of a CSV file one by one into `each`; its header must name known columns
/// only, once each.
fn csv_rows(body: &[u8], each: impl FnMut(Row)) -> Result<(), ApiError> {
    let records = read_records(body).map_err(malformed_csv)?;
    let header = records.header.clone();
    let lines = records.map(|record| record.map(|(line, cells)| (line as u64, cells)).map_err(malformed_csv));
    table_rows(&header, lines, each)
}

/// A CSV body that is text by its media type but not a well-formed table: content that cannot
/// be processed (422), as the schema (a string) cannot tell.
fn malformed_csv(e: crate::http::csv::CsvError) -> ApiError {
    ApiError::Unprocessable {
        code: "malformed_csv",
        detail: e.0,
    }
}

/// Reads the rows of the first sheet of an XLSX workbook into `each`: its first row is the
/// header; dates read as `YYYY-MM-DD`, whole numbers without decimals, empty rows skipped. The
/// sheet is read cell by cell as it is unzipped, a row at a time (only the workbook's shared
/// strings are held whole), so that a large sheet never stands in memory as a table.
fn xlsx_rows(body: &[u8], each: impl FnMut(Row)) -> Result<(), ApiError> {
    use calamine::Reader;
    let mut workbook = calamine::Xlsx::new(std::io::Cursor::new(body))
        .map_err(|e| unreadable_xlsx(Message::verbatim(e.to_string())))?;
    let name = workbook
        .sheet_names()
        .first()
        .cloned()
        .ok_or_else(|| unreadable_xlsx(msg!("import-xlsx-no-sheet")))?;
    let cells = workbook
        .worksheet_cells_reader(&name)
        .map_err(|e| unreadable_xlsx(Message::verbatim(e.to_string())))?;
    let mut rows = SheetRows {
        cells,
        pending: None,
        done: false,
    };
    let (_, header) = match rows.next() {
        Some(row) => row?,
        None => {
            return Err(unreadable_xlsx(msg!("import-xlsx-empty")));
        }
    };
    let width = header
        .iter()
        .rposition(|name| !name.trim().is_empty())
        .map_or(0, |last| last + 1);
    let header: Vec<String> = header
        .into_iter()
        .take(width)
        .map(|name| name.trim().to_owned())
        .collect();
    let records = rows.filter_map(move |row| match row {
        Err(error) => Some(Err(error)),
        Ok((line, mut record)) => {
            record.resize(width, String::new());
            let blank = record.iter().all(|cell| cell.trim().is_empty());
            (!blank).then_some(Ok((line, record)))
        }
    });
    table_rows(&header, records, each)
}

fn unreadable_xlsx(why: Message) -> ApiError {
    ApiError::Unprocessable {
        code: "malformed_xlsx",
        detail: msg!("import-xlsx-unreadable", why = why),
    }
}

/// The rows of a sheet, from its cells in the order the sheet stores them (row by row): each
/// with its line as a spreadsheet numbers it and its cells as text, by column.
struct SheetRows<'a, R: std::io::Read + std::io::Seek> {
    cells: calamine::XlsxCellReader<'a, R>,
    /// The first cell of the next row, read while finishing the previous one.
    pending: Option<(u32, u32, String)>,
    /// The reader has said it has no more cells (asking again is an error).
    done: bool,
}

impl<R: std::io::Read + std::io::Seek> SheetRows<'_, R> {
    fn next_cell(&mut self) -> Result<Option<(u32, u32, String)>, ApiError> {
        if self.done {
            return Ok(None);
        }
        match self.cells.next_cell() {
            Ok(Some(cell)) => {
                let (row, col) = cell.get_position();
                Ok(Some((row, col, cell_text(cell.get_value()))))
            }
            Ok(None) => {
                self.done = true;
                Ok(None)
            }
            Err(e) => {
                self.done = true;
                Err(unreadable_xlsx(Message::verbatim(e.to_string())))
            }
        }
    }
}

impl<R: std::io::Read + std::io::Seek> Iterator for SheetRows<'_, R> {
    type Item = Result<(u64, Vec<String>), ApiError>;

    fn next(&mut self) -> Option<Self::Item> {
        let first = match self.pending.take() {
            Some(cell) => cell,
            None => match self.next_cell() {
                Ok(Some(cell)) => cell,
                Ok(None) => return None,
                Err(error) => return Some(Err(error)),
            },
        };
        let row = first.0;
        let mut cells = vec![first];
        loop {
            match self.next_cell() {
                Ok(Some(cell)) if cell.0 == row => cells.push(cell),
                Ok(Some(cell)) => {
                    self.pending = Some(cell);
                    break;
                }
                Ok(None) => break,
                Err(error) => return Some(Err(error)),
            }
        }
        let width = cells.iter().map(|(_, col, _)| *col as usize + 1).max().unwrap_or(0);
        let mut record = vec![String::new(); width];
        for (_, col, text) in cells {
            record[col as usize] = text;
        }
        Some(Ok((u64::from(row) + 1, record)))
    }
}

/// A cell as text: dates as `YYYY-MM-DD` (or RFC 3339 with a time), whole numbers without
/// decimals, booleans as `true`/`false`, errors and empty cells empty.
fn cell_text(cell: &calamine::DataRef<'_>) -> String {
    use calamine::DataRef;
    match cell {
        DataRef::Empty | DataRef::Error(_) => String::new(),
        DataRef::String(s) => s.clone(),
        DataRef::SharedString(s) => (*s).to_owned(),
        DataRef::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{f:.0}"),
        DataRef::Float(f) => f.to_string(),
        DataRef::Int(i) => i.to_string(),
        DataRef::Bool(b) => b.to_string(),
        DataRef::DateTime(at) => match at.as_datetime() {
            Some(at) if at.time() == chrono::NaiveTime::MIN => at.date().to_string(),
            Some(at) => at.and_utc().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            None => at.as_f64().to_string(),
        },
        DataRef::DateTimeIso(s) | DataRef::DurationIso(s) => s.clone(),
    }
}

/// The rows of a table (a CSV file, a sheet) into `each`: its header must name known columns
/// only, once each, by name or by their spreadsheet title in either language; each record comes
/// with the line of its start.
fn table_rows(
    header: &[String],
    records: impl Iterator<Item = Result<(u64, Vec<String>), ApiError>>,
    mut each: impl FnMut(Row),
) -> Result<(), ApiError> {
    let known: Vec<&'static str> = FIELDS.iter().chain(READ_ONLY.iter()).copied().collect();
    let columns: Vec<Option<&'static str>> = header.iter().map(|text| column_titled(text, &known)).collect();
    let mut errors = Vec::new();
    for (index, (text, column)) in header.iter().zip(&columns).enumerate() {
        match column {
            None => errors.push(FieldError::new(
                text.clone(),
                "unknown_field",
                msg!("import-column-unknown", name = text, fields = FIELDS.join(", ")),
            )),
            Some(column) if columns[..index].contains(&Some(column)) => errors.push(FieldError::new(
                *column,
                "duplicate_field",
                msg!("import-column-twice", name = text),
            )),
            Some(_) => {}
        }
    }
    if !errors.is_empty() {
        return Err(ApiError::Invalid(errors));
    }
    let kept: Vec<(usize, &'static str)> = columns
        .iter()
        .enumerate()
        .filter_map(|(index, column)| column.filter(|c| FIELDS.contains(c)).map(|c| (index, c)))
        .collect();
    for (record, number) in records.zip(1..) {
        let (line, record) = record?;
        let fields = kept
            .iter()
            .map(|(index, name)| {
                let cell = unneutralised(&record[*index]);
                let value = if cell.is_empty() {
                    Value::Null
                } else {
                    Value::String(cell.to_owned())
                };
                ((*name).to_owned(), value)
            })
            .collect();
        each(Row {
            number,
            line: Some(line),
            fields: Ok(fields),
        });
    }
    Ok(())
}

/// Reads the elements of a JSON array one by one into `each` (never the whole array at once);
/// an element that is not an object fails its row.
fn json_rows(body: &[u8], each: impl FnMut(Row)) -> Result<(), ApiError> {
    struct Rows<F>(F);

    impl<'de, F: FnMut(Row)> serde::de::Visitor<'de> for Rows<F> {
        type Value = ();

        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("a JSON array of organisations")
        }

        fn visit_seq<A: serde::de::SeqAccess<'de>>(mut self, mut seq: A) -> Result<(), A::Error> {
            let mut number = 0;
            while let Some(item) = seq.next_element::<Value>()? {
                number += 1;
                (self.0)(Row {
                    number,
                    line: None,
                    fields: match item {
                        Value::Object(mut fields) => {
                            fields.retain(|name, _| !READ_ONLY.contains(&name.as_str()));
                            Ok(fields)
                        }
                        _ => Err(FieldError::new("", "invalid_type", msg!("import-element-not-object"))),
                    },
                });
            }
            Ok(())
        }
    }

    let malformed = |error: serde_json::Error| {
        let detail = if error.is_data() {
            msg!("import-json-not-array")
        } else {
            msg!("import-json-invalid", reason = error.to_string())
        };
        ApiError::bad_request("malformed_json", detail)
    };
    let mut reader = serde_json::Deserializer::from_slice(body);
    serde::Deserializer::deserialize_seq(&mut reader, Rows(each)).map_err(malformed)?;
    reader.end().map_err(malformed)
}

/// A row that passed its own checks.
struct Valid {
    number: u64,
    line: Option<u64>,
    fields: Map<String, Value>,
    new: NewOrganisation,
}

/// What the import would do, every row checked.
struct Plan {
    rows: u64,
    creates: Vec<NewOrganisation>,
    updates: Vec<ImportUpdate>,
    unchanged: u64,
    skipped_rows: Vec<SkippedRow>,
    failed: u64,
    errors: RowErrors,
}

/// The rows being checked: first each alone as it is read ([`Checking::check_row`]), then the
/// valid ones against the register ([`Checking::check_against_register`]).
struct Checking<'a> {
    caller: &'a Caller,
    on_conflict: OnConflict,
    plan: Plan,
    valid: Vec<Valid>,
    seen: HashMap<(Identifier, String), u64>,
}

impl Plan {
    /// Starts checking the rows of `caller`.
    fn checking(caller: &Caller, on_conflict: OnConflict) -> Checking<'_> {
        Checking {
            caller,
            on_conflict,
            plan: Self {
                rows: 0,
                creates: Vec::new(),
                updates: Vec::new(),
                unchanged: 0,
                skipped_rows: Vec::new(),
                failed: 0,
                errors: RowErrors::default(),
            },
            valid: Vec::new(),
            seen: HashMap::new(),
        }
    }

    fn fail(&mut self, (row, line): (u64, Option<u64>), errors: Vec<FieldError>) {
        self.failed += 1;
        for error in errors {
            self.errors.push(error.on_row(row).on_line(line));
        }
    }
}

impl Checking<'_> {
    /// One row alone: its fields, whether the caller may create it, and its identifiers against
    /// the rows before it.
    fn check_row(&mut self, row: Row) {
        self.plan.rows += 1;
        let caller = self.caller;
        let checked = row.fields.map_err(|e| vec![e]).and_then(|fields| {
            let request: CreateOrganisationRequest = parse_value(Value::Object(fields.clone())).map_err(row_errors)?;
            let new = check_draft(request.validate(), request.into()).map_err(row_errors)?;
            let target = Target::organisation(Uuid::nil(), new.region_code.as_str());
            policy::require(caller, Action::Create, &target).map_err(row_errors)?;
            Ok(Valid {
                number: row.number,
                line: row.line,
                fields,
                new,
            })
        });
        let checked = checked.and_then(|row| {
            let stored = OrganisationFields::from(&row.new);
            let mut errors = Vec::new();
            for identifier in Identifier::ALL {
                let Some(value) = identifier.of(&stored) else { continue };
                match self.seen.get(&(identifier, value.to_owned())) {
                    Some(first) => errors.push(FieldError::new(
                        identifier.column(),
                        "duplicate_in_file",
                        msg!(
                            "import-duplicate-in-file",
                            first = *first,
                            column = identifier.column(),
                            value = value
                        ),
                    )),
                    None => {
                        self.seen.insert((identifier, value.to_owned()), row.number);
                    }
                }
            }
            if errors.is_empty() { Ok(row) } else { Err(errors) }
        });
        match checked {
            Ok(row) => self.valid.push(row),
            Err(errors) => self.plan.fail((row.number, row.line), errors),
        }
    }

    /// The valid rows against the register: known SIRENs, and SIRETs and RNAs held by others.
    async fn check_against_register(self, state: &AppState) -> Result<Plan, ApiError> {
        let Self {
            caller,
            on_conflict,
            mut plan,
            valid,
            seen,
        } = self;
        let mut holders: HashMap<(Identifier, String), Organisation> = HashMap::new();
        for identifier in Identifier::ALL {
            let values: Vec<String> = seen
                .keys()
                .filter(|(i, _)| *i == identifier)
                .map(|(_, value)| value.clone())
                .collect();
            for organisation in state.store.organisations_by_identifier(identifier, &values).await? {
                if let Some(value) = identifier.of(&organisation.fields) {
                    holders.insert((identifier, value.to_owned()), organisation);
                }
            }
        }
        for row in valid {
            let siren = row.new.siren.as_ref().map(|s| s.as_ref().to_owned());
            let known = siren
                .as_ref()
                .and_then(|siren| holders.get(&(Identifier::Siren, siren.clone())));
            match (known, on_conflict) {
                (None, _) => match taken(&holders, &OrganisationFields::from(&row.new), None) {
                    Ok(()) => plan.creates.push(row.new),
                    Err(errors) => plan.fail((row.number, row.line), errors),
                },
                (Some(existing), OnConflict::Skip) => plan.skipped_rows.push(SkippedRow {
                    row: row.number,
                    siren: siren.unwrap_or_default(),
                    existing_id: existing.id,
                }),
                (Some(existing), OnConflict::Update) => match updated(caller, existing, &row, &holders) {
                    Ok(Some(update)) => plan.updates.push(update),
                    Ok(None) => plan.unchanged += 1,
                    Err(errors) => plan.fail((row.number, row.line), errors),
                },
            }
        }
        Ok(plan)
    }
}

/// A known organisation changed by its row as a PATCH with the row's fields would change it:
/// `None` when that changes nothing.
fn updated(
    caller: &Caller,
    existing: &Organisation,
    row: &Valid,
    holders: &HashMap<(Identifier, String), Organisation>,
) -> Result<Option<ImportUpdate>, Vec<FieldError>> {
    let before = existing.target();
    policy::require(caller, Action::Update, &before).map_err(row_errors)?;
    let patch: UpdateOrganisationRequest = parse_value(Value::Object(row.fields.clone())).map_err(row_errors)?;
    let new = check_draft(patch.validate(), patch.apply_to(&existing.fields)).map_err(row_errors)?;
    let after = Target::organisation(existing.id, new.region_code.as_str());
    policy::require_change(caller, &before, &after).map_err(row_errors)?;
    let fields = OrganisationFields::from(&new);
    taken(holders, &fields, Some(existing.id))?;
    if fields == existing.fields {
        return Ok(None);
    }
    Ok(Some(ImportUpdate {
        before: existing.clone(),
        new,
    }))
}

/// The identifiers of `fields` that an organisation other than `own` holds.
fn taken(
    holders: &HashMap<(Identifier, String), Organisation>,
    fields: &OrganisationFields,
    own: Option<Uuid>,
) -> Result<(), Vec<FieldError>> {
    let errors: Vec<FieldError> = Identifier::ALL
        .into_iter()
        .filter_map(|identifier| {
            let value = identifier.of(fields)?;
            let holder = holders.get(&(identifier, value.to_owned()))?;
            (Some(holder.id) != own).then(|| {
                FieldError::new(
                    identifier.column(),
                    "duplicate",
                    msg!(
                        "import-identifier-taken",
                        id = holder.id,
                        column = identifier.column(),
                        value = value
                    ),
                )
            })
        })
        .collect();
    if errors.is_empty() { Ok(()) } else { Err(errors) }
}

/// The errors of one row, from what a creation or a PATCH would have answered.
fn row_errors(error: impl Into<ApiError>) -> Vec<FieldError> {
    match error.into() {
        ApiError::Invalid(errors) => errors,
        ApiError::Forbidden(message) => vec![FieldError::new("region_code", "forbidden", message)],
        other => vec![FieldError::new("", other.code(), other.detail())],
    }
}
