//! `POST /api/v1/organisations/import`: many organisations at once, from a CSV file, an Excel
//! workbook or a JSON array. The body goes to a temporary file as it arrives; the file is then
//! read on a thread of its own, each row checked as a creation is (the same request type,
//! `check_draft` and policy), and the valid rows are sent in batches to the store, which checks
//! them against the register and writes them as they come, in one transaction of multi-row
//! statements: all or nothing, with a batch or two in memory at any moment.

use std::collections::HashMap;
use std::ops::ControlFlow;
use std::time::Duration;

use actix_web::http::header;
use actix_web::web;
use actix_web::{HttpRequest, HttpResponse, post};
use futures_util::StreamExt as _;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::auth::Caller;
use crate::auth::policy::{self, Action};
use crate::core::{Resource, Target};
use crate::domain::message::{Lang, Message, msg};
use crate::domain::organisation::OrganisationDraft;
use crate::domain::organisation::OrganisationFields;
use crate::http::AppState;
use crate::http::csv::{TEXT_CSV, XLSX, read_text_records, unneutralised};
use crate::http::error::{ApiError, FieldError, Problem, RowErrors};
use crate::http::extract::{declared_length, parse_value, unreadable_body};
use crate::http::hardening::RequestTimeout;
use crate::http::language::content_language;
use crate::http::organisations::{UpdateOrganisationRequest, check_draft};
use crate::http::responses::Forbidden;
use crate::http::xlsx::column_titled;
use crate::store::organisations::{Holders, Identifier, ImportBatches, ImportUpdate, ImportWrites, Organisation};

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
    #[schema(value_type = Vec<SkippedRow>)]
    pub skipped_rows: SkippedRows,
}

/// The rows left alone, each kept in 32 bytes (a SIREN is 9 digits: a `u32`) and written out as
/// a [`SkippedRow`]: an import that skips 100,000 known rows holds 3 MB of them, not 10.
#[derive(Debug, Default)]
pub struct SkippedRows(Vec<(u64, u32, Uuid)>);

impl SkippedRows {
    /// The row `row`, skipped for its SIREN (nine digits, checked) held by `existing_id`.
    fn push(&mut self, row: u64, siren: &str, existing_id: Uuid) {
        self.0.push((row, siren.parse().unwrap_or_default(), existing_id));
    }

    fn len(&self) -> u64 {
        self.0.len() as u64
    }
}

impl Serialize for SkippedRows {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.0.iter().map(|&(row, siren, existing_id)| SkippedRow {
            row,
            siren: format!("{siren:09}"),
            existing_id,
        }))
    }
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
/// The body may be up to `IMPORT_MAX_BYTES` (64 MiB by default). A slow upload is not cut by
/// `REQUEST_TIMEOUT_SECONDS` as long as it keeps coming: only a pause that long ends it (408
/// `upload_stalled`); the same limit then applies to reading and writing the rows (503
/// `request_timeout`). `Idempotency-Key` is not
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
            (Vec<OrganisationDraft> = "application/json"),
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
        (status = 408, description = "The upload stalled: nothing of the body came for `REQUEST_TIMEOUT_SECONDS`; nothing was written.", body = Problem,
            content_type = "application/problem+json",
            example = json!({
                "type": "/problems/upload_stalled",
                "status": 408,
                "detail": "nothing of the body came for 30 seconds: the upload was abandoned and nothing was imported",
                "code": "upload_stalled"
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
    let time_limit = req.app_data::<RequestTimeout>().map(|t| t.0);
    let upload = Upload::receive(req.headers(), payload, limit, time_limit).await?;
    let mode = params.mode.unwrap_or_default();
    let on_conflict = params.on_conflict.unwrap_or_default();
    let actor = caller.actor()?;
    // The file is read and each row checked on a thread of its own, while the batches of valid
    // rows it sends are checked against the register and written in one transaction: a batch
    // or two at a time in memory, never the whole file.
    let (rows, batches) = tokio::sync::mpsc::channel(2);
    let reader = {
        let caller = caller.clone();
        tokio::task::spawn_blocking(move || read_rows(upload, format, &caller, on_conflict, &rows))
    };
    let mut plan = Plan::new(&caller, mode, on_conflict);
    let import = async {
        let written = state.store.import_organisations(batches, &mut plan, &actor).await;
        let read = reader.await.map_err(|e| ApiError::Internal(e.into()))?;
        // A store that failed stopped the reader: its error is the one to tell.
        written?;
        read
    };
    match time_limit {
        Some(limit) => tokio::time::timeout(limit, import).await.map_err(|_| {
            tracing::warn!(limit_seconds = limit.as_secs(), "import abandoned: it took too long");
            ApiError::Timeout {
                seconds: limit.as_secs(),
            }
        })??,
        None => import.await?,
    }
    let Some(read) = plan.read.take() else {
        return Err(ApiError::Internal(anyhow::anyhow!(
            "the import's reader ended without a word"
        )));
    };
    let mut errors = read.errors;
    errors.merge(std::mem::take(&mut plan.errors));
    let failed = errors.rows;
    if mode == ImportMode::AllOrNothing && failed > 0 {
        let detail = msg!("import-rows-invalid", count = failed, rows = read.rows);
        return Err(ApiError::RowsInvalid { detail, errors });
    }
    tracing::info!(
        rows = read.rows,
        created = plan.created,
        updated = plan.updated,
        failed,
        "organisations imported"
    );
    // The report's row errors are sentences in the request's language.
    Ok(streamed_json(ImportReport {
        mode,
        on_conflict,
        rows: read.rows,
        created: plan.created,
        updated: plan.updated,
        unchanged: plan.unchanged,
        skipped: plan.skipped_rows.len(),
        failed,
        errors: errors.shown(),
        error_count: errors.total,
        error_counts: errors.by_code,
        skipped_rows: plan.skipped_rows,
    }))
}

/// Bytes of the report written at a time.
const REPORT_CHUNK: usize = 64 * 1024;

/// `200 OK` with `report` as JSON, written on the blocking pool a chunk at a time as the client
/// reads it: a report that lists 100,000 skipped rows is 9 MB of JSON, which would otherwise be
/// held whole, twice (serialized, then copied into the connection's buffer), at the end of an
/// import. Its sentences are written in the request's language.
fn streamed_json(report: ImportReport) -> HttpResponse {
    let lang = Lang::current();
    let (out, chunks) = tokio::sync::mpsc::channel(2);
    tokio::task::spawn_blocking(move || {
        let mut writer = ChunkWriter {
            chunk: Vec::with_capacity(REPORT_CHUNK),
            out,
        };
        let written = lang.sync_scope(|| serde_json::to_writer(&mut writer, &report));
        // A failure breaks the answer off (never a short report that looks whole); a client
        // that went away stops the writing, with nothing left to tell it.
        match written {
            Ok(()) => drop(writer.send()),
            Err(error) => drop(writer.out.blocking_send(Err(error.into()))),
        }
    });
    let body = futures_util::stream::unfold(chunks, |mut chunks| async move {
        let chunk = chunks.recv().await?;
        Some((chunk, chunks))
    });
    HttpResponse::Ok()
        .insert_header(content_language())
        .content_type("application/json")
        .streaming(body)
}

/// A writer that sends what it is given on, `REPORT_CHUNK` bytes at a time.
struct ChunkWriter {
    chunk: Vec<u8>,
    out: tokio::sync::mpsc::Sender<std::io::Result<actix_web::web::Bytes>>,
}

impl ChunkWriter {
    fn send(&mut self) -> std::io::Result<()> {
        let chunk = std::mem::replace(&mut self.chunk, Vec::with_capacity(REPORT_CHUNK));
        self.out
            .blocking_send(Ok(chunk.into()))
            .map_err(|_| std::io::Error::from(std::io::ErrorKind::BrokenPipe))
    }
}

impl std::io::Write for ChunkWriter {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.chunk.extend_from_slice(bytes);
        if self.chunk.len() >= REPORT_CHUNK {
            self.send()?;
        }
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// An import's body, written to an unnamed temporary file as it arrives (never held in
/// memory), with what the reading of a CSV file needs to know of its bytes.
struct Upload {
    file: std::fs::File,
    /// Where the bytes stop being UTF-8, if they do: the byte, and the line it is on.
    not_utf8: Option<(u64, u64)>,
    /// The bytes begin with UTF-8's byte order mark.
    bom: bool,
}

impl Upload {
    /// Receives the body from `payload`, up to `limit` bytes: a 413 as soon as it is known to be
    /// larger (from `Content-Length` in `headers`, or while receiving). However long a steady
    /// upload takes, each piece of it must come within `time_limit` of the one before (else a
    /// 408: the upload stalled).
    async fn receive(
        headers: &header::HeaderMap,
        mut payload: web::Payload,
        limit: usize,
        time_limit: Option<Duration>,
    ) -> Result<Self, ApiError> {
        use std::io::{Seek, Write};
        declared_length(headers, limit)?;
        let spool =
            |e: std::io::Error| ApiError::Internal(anyhow::Error::new(e).context("the import's temporary file"));
        let mut file = std::io::BufWriter::with_capacity(SPOOL_BUFFER, tempfile::tempfile().map_err(spool)?);
        let mut utf8 = Utf8Check::default();
        let mut received = 0;
        loop {
            let next = match time_limit {
                Some(limit) => {
                    tokio::time::timeout(limit, payload.next())
                        .await
                        .map_err(|_| ApiError::UploadStalled {
                            seconds: limit.as_secs(),
                        })?
                }
                None => payload.next().await,
            };
            let Some(chunk) = next else { break };
            let chunk = chunk.map_err(unreadable_body)?;
            received += chunk.len();
            if received > limit {
                return Err(ApiError::PayloadTooLarge { limit });
            }
            utf8.feed(&chunk);
            // A write to a local file that is about to be read: the page cache takes it.
            file.write_all(&chunk).map_err(spool)?;
        }
        let mut file = file.into_inner().map_err(|e| spool(e.into_error()))?;
        file.rewind().map_err(spool)?;
        Ok(Self {
            file,
            not_utf8: utf8.failure(),
            bom: utf8.bom(),
        })
    }
}

/// Bytes written to an import's temporary file at a time.
const SPOOL_BUFFER: usize = 256 * 1024;

/// Whether bytes that come in pieces are UTF-8, and if not, where they stop being so.
#[derive(Default)]
struct Utf8Check {
    /// The start of a character cut by the end of the last piece.
    pending: Vec<u8>,
    /// Bytes checked, and line breaks among them.
    bytes: u64,
    lines: u64,
    failed_at: Option<(u64, u64)>,
    /// The first three bytes (fewer while they have not all come).
    head: Vec<u8>,
}

impl Utf8Check {
    fn feed(&mut self, piece: &[u8]) {
        let missing = 3 - self.head.len();
        self.head.extend_from_slice(&piece[..missing.min(piece.len())]);
        if self.failed_at.is_some() {
            return;
        }
        let joined;
        let bytes = if self.pending.is_empty() {
            piece
        } else {
            joined = [std::mem::take(&mut self.pending).as_slice(), piece].concat();
            &joined
        };
        let valid = match std::str::from_utf8(bytes) {
            Ok(_) => bytes.len(),
            Err(e) => {
                if e.error_len().is_some() {
                    let lines = bytes[..e.valid_up_to()].iter().filter(|b| **b == b'\n').count() as u64;
                    self.failed_at = Some((self.bytes + e.valid_up_to() as u64, self.lines + lines + 1));
                    return;
                }
                self.pending = bytes[e.valid_up_to()..].to_vec();
                e.valid_up_to()
            }
        };
        self.lines += bytes[..valid].iter().filter(|b| **b == b'\n').count() as u64;
        self.bytes += valid as u64;
    }

    /// Whether the bytes begin with UTF-8's byte order mark.
    fn bom(&self) -> bool {
        self.head == b"\xEF\xBB\xBF"
    }

    /// Where the bytes stop being UTF-8 (the byte, and its line), if they do.
    fn failure(&self) -> Option<(u64, u64)> {
        match self.failed_at {
            Some(at) => Some(at),
            None if !self.pending.is_empty() => Some((self.bytes, self.lines + 1)),
            None => None,
        }
    }
}

/// The characters of a file, decoded as UTF-8 or Windows-1252 a block at a time.
struct TextChars<R> {
    reader: R,
    decoder: encoding_rs::Decoder,
    block: Vec<u8>,
    text: String,
    at: usize,
    ended: bool,
    /// The file could not be read to its end (said once the characters run out).
    unreadable: std::rc::Rc<std::cell::Cell<bool>>,
}

impl<R: std::io::Read> Iterator for TextChars<R> {
    type Item = char;

    fn next(&mut self) -> Option<char> {
        loop {
            if let Some(c) = self.text[self.at..].chars().next() {
                self.at += c.len_utf8();
                return Some(c);
            }
            if self.ended {
                return None;
            }
            let read = loop {
                match self.reader.read(&mut self.block) {
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                    Err(_) => {
                        self.unreadable.set(true);
                        break 0;
                    }
                    Ok(read) => break read,
                }
            };
            self.ended = read == 0;
            self.text.clear();
            self.at = 0;
            let room = self.decoder.max_utf8_buffer_length(read).unwrap_or(read * 3);
            self.text.reserve(room);
            let _ = self
                .decoder
                .decode_to_string(&self.block[..read], &mut self.text, self.ended);
        }
    }
}

/// Reads the rows of an upload (on a thread that may block), checks each alone and sends the
/// valid ones to `out` in batches of `ROWS_PER_BATCH`, then what it found: the end, when the
/// whole file was read. A file that cannot be read is an error, and no end is sent; so is a
/// receiver that went away (the store failed, and says why), which stops the reading.
fn read_rows(
    upload: Upload,
    format: BodyFormat,
    caller: &Caller,
    on_conflict: OnConflict,
    out: &tokio::sync::mpsc::Sender<Read>,
) -> Result<(), ApiError> {
    let mut checking = Checking::new(caller, on_conflict, out);
    let file = std::io::BufReader::with_capacity(SPOOL_BUFFER, upload.file);
    match format {
        BodyFormat::Csv(charset) => {
            let windows = match charset {
                Charset::Utf8 => {
                    if let Some((byte, line)) = upload.not_utf8 {
                        return Err(malformed_csv(crate::http::csv::CsvError(msg!(
                            "csv-not-utf8",
                            line = line,
                            byte = byte
                        ))));
                    }
                    false
                }
                Charset::Windows1252 => true,
                Charset::Detect => !upload.bom && upload.not_utf8.is_some(),
            };
            let unreadable = std::rc::Rc::new(std::cell::Cell::new(false));
            let chars = TextChars {
                reader: file,
                decoder: if windows {
                    encoding_rs::WINDOWS_1252.new_decoder_without_bom_handling()
                } else {
                    encoding_rs::UTF_8.new_decoder_with_bom_removal()
                },
                block: vec![0; SPOOL_BUFFER],
                text: String::new(),
                at: 0,
                ended: false,
                unreadable: unreadable.clone(),
            };
            csv_rows(chars, |row| checking.check_row(row))?;
            if unreadable.get() {
                return Err(ApiError::Internal(anyhow::anyhow!(
                    "the import's temporary file could not be read"
                )));
            }
        }
        BodyFormat::Xlsx => xlsx_rows(file, |row| checking.check_row(row))?,
        BodyFormat::Json => json_rows(file, |row| checking.check_row(row))?,
    }
    checking.finish();
    Ok(())
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

/// One row of the file, numbered from 1, as a JSON object of its known fields, with its line as
/// a spreadsheet numbers it (CSV and XLSX).
struct Row {
    number: u64,
    line: Option<u64>,
    fields: Result<Map<String, Value>, FieldError>,
}

/// Reads the rows of a CSV text one by one into `each` (until it says to stop); its header must
/// name known columns only, once each.
fn csv_rows(chars: impl Iterator<Item = char>, each: impl FnMut(Row) -> ControlFlow<()>) -> Result<(), ApiError> {
    let records = read_text_records(chars).map_err(malformed_csv)?;
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
fn xlsx_rows(
    file: impl std::io::Read + std::io::Seek,
    each: impl FnMut(Row) -> ControlFlow<()>,
) -> Result<(), ApiError> {
    use calamine::Reader;
    let mut workbook = calamine::Xlsx::new(file).map_err(|e| unreadable_xlsx(Message::verbatim(e.to_string())))?;
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

/// The rows of a table (a CSV file, a sheet) into `each`, until it says to stop: its header must
/// name known columns only, once each, by name or by their spreadsheet title in either language;
/// each record comes with the line of its start.
fn table_rows(
    header: &[String],
    records: impl Iterator<Item = Result<(u64, Vec<String>), ApiError>>,
    mut each: impl FnMut(Row) -> ControlFlow<()>,
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
        if each(Row {
            number,
            line: Some(line),
            fields: Ok(fields),
        })
        .is_break()
        {
            break;
        }
    }
    Ok(())
}

/// Reads the elements of a JSON array one by one into `each` (never the whole array at once),
/// until it says to stop; an element that is not an object fails its row.
fn json_rows(file: impl std::io::Read, each: impl FnMut(Row) -> ControlFlow<()>) -> Result<(), ApiError> {
    struct Rows<F>(F);

    impl<'de, F: FnMut(Row) -> ControlFlow<()>> serde::de::Visitor<'de> for Rows<F> {
        type Value = ();

        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("a JSON array of organisations")
        }

        fn visit_seq<A: serde::de::SeqAccess<'de>>(mut self, mut seq: A) -> Result<(), A::Error> {
            let mut number = 0;
            while let Some(item) = seq.next_element::<Value>()? {
                number += 1;
                let row = (self.0)(Row {
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
                if row.is_break() {
                    return Err(serde::de::Error::custom(STOPPED));
                }
            }
            Ok(())
        }
    }

    /// Why the reading of the array stopped midway: `each` said so (what follows is not read).
    const STOPPED: &str = "the import stopped";

    let malformed = |error: serde_json::Error| {
        if error.to_string().starts_with(STOPPED) {
            return ApiError::Internal(anyhow::anyhow!(STOPPED));
        }
        let detail = if error.is_data() {
            msg!("import-json-not-array")
        } else {
            msg!("import-json-invalid", reason = error.to_string())
        };
        ApiError::bad_request("malformed_json", detail)
    };
    let mut reader = serde_json::Deserializer::from_reader(file);
    serde::Deserializer::deserialize_seq(&mut reader, Rows(each)).map_err(malformed)?;
    reader.end().map_err(malformed)
}

/// A row that passed its own checks.
struct Valid {
    number: u64,
    line: Option<u64>,
    /// The row's fields as given, for an update (`on_conflict=update`) only.
    fields: Option<Map<String, Value>>,
    new: OrganisationFields,
}

/// What the reader of an import sends as it goes.
enum Read {
    /// Rows that passed their own checks, with how many rows failed theirs up to the last one.
    Rows { valid: Vec<Valid>, failed_before: u64 },
    /// The file was read to its end: how many rows it has, and those that failed their own checks.
    End(Checked),
}

/// The rows of a file, each checked alone.
#[derive(Default)]
struct Checked {
    rows: u64,
    /// The rows that failed (`errors.rows` of them) and their errors.
    errors: RowErrors,
}

/// Valid rows sent to the writer at a time.
const ROWS_PER_BATCH: usize = 1000;

/// The rows being read: each checked alone ([`Checking::check_row`]), the valid ones sent on
/// in batches.
struct Checking<'a> {
    caller: &'a Caller,
    on_conflict: OnConflict,
    out: &'a tokio::sync::mpsc::Sender<Read>,
    batch: Vec<Valid>,
    checked: Checked,
    /// The identifiers of the rows read, by identifier (as in `Identifier::ALL`).
    seen: [Seen; 3],
}

impl<'a> Checking<'a> {
    fn new(caller: &'a Caller, on_conflict: OnConflict, out: &'a tokio::sync::mpsc::Sender<Read>) -> Self {
        Self {
            caller,
            on_conflict,
            out,
            batch: Vec::with_capacity(ROWS_PER_BATCH),
            checked: Checked::default(),
            seen: Default::default(),
        }
    }

    /// One row alone: its fields, whether the caller may create it, and its identifiers against
    /// the rows before it. A full batch is sent on; `Break` when nobody receives it any more.
    fn check_row(&mut self, row: Row) -> ControlFlow<()> {
        self.checked.rows += 1;
        let caller = self.caller;
        let keep_fields = self.on_conflict == OnConflict::Update;
        let checked = row.fields.map_err(|e| vec![e]).and_then(|fields| {
            let kept = keep_fields.then(|| fields.clone());
            let request: OrganisationDraft = parse_value(Value::Object(fields)).map_err(row_errors)?;
            let new = check_draft(request).map_err(row_errors)?;
            let target = Target::organisation(Uuid::nil(), &new.region_code);
            policy::require(caller, Action::Create, &target).map_err(row_errors)?;
            Ok(Valid {
                number: row.number,
                line: row.line,
                fields: kept,
                new,
            })
        });
        let checked = checked.and_then(|row| {
            let mut errors = Vec::new();
            for (identifier, seen) in Identifier::ALL.into_iter().zip(&mut self.seen) {
                let Some(value) = identifier.of(&row.new) else {
                    continue;
                };
                if let Some(first) = seen.first_or_note(value, row.number) {
                    errors.push(FieldError::new(
                        identifier.column(),
                        "duplicate_in_file",
                        msg!(
                            "import-duplicate-in-file",
                            first = first,
                            column = identifier.column(),
                            value = value
                        ),
                    ));
                }
            }
            if errors.is_empty() { Ok(row) } else { Err(errors) }
        });
        match checked {
            Ok(row) => self.batch.push(row),
            Err(errors) => self.checked.errors.fail_row((row.number, row.line), errors),
        }
        if self.batch.len() < ROWS_PER_BATCH {
            return ControlFlow::Continue(());
        }
        self.send_batch()
    }

    fn send_batch(&mut self) -> ControlFlow<()> {
        let valid = std::mem::replace(&mut self.batch, Vec::with_capacity(ROWS_PER_BATCH));
        let rows = Read::Rows {
            valid,
            failed_before: self.checked.errors.rows,
        };
        match self.out.blocking_send(rows) {
            Ok(()) => ControlFlow::Continue(()),
            Err(_) => ControlFlow::Break(()),
        }
    }

    /// The file is read: the last rows, then the end.
    fn finish(mut self) {
        if !self.batch.is_empty() && self.send_batch().is_break() {
            return;
        }
        // Nobody to tell if the writer is gone: its error is the import's answer.
        let _ = self.out.blocking_send(Read::End(self.checked));
    }
}

/// The values of one identifier in the rows read, each with the first row that has it: as a
/// number when it packs into one (every valid SIREN, SIRET and RNA does), so that a file of a
/// million rows keeps them in a few megabytes; as text otherwise.
#[derive(Default)]
struct Seen {
    packed: HashMap<u64, u64>,
    other: HashMap<String, u64>,
}

impl Seen {
    /// The first row that has `value`, or `None` after noting that `row` has it.
    fn first_or_note(&mut self, value: &str, row: u64) -> Option<u64> {
        let first = match packed(value) {
            Some(key) => self.packed.entry(key).or_insert(row),
            None => self.other.entry(value.to_owned()).or_insert(row),
        };
        (*first != row).then_some(*first)
    }
}

/// An identifier as one number, when it packs into one: up to 18 digits (base 11, the top bit
/// set), or up to 12 digits and capital letters (base 37). Digits count from 1, so that two
/// values have the same number exactly when they are the same.
fn packed(value: &str) -> Option<u64> {
    let bytes = value.as_bytes();
    if bytes.len() <= 18 && bytes.iter().all(u8::is_ascii_digit) {
        let number = bytes.iter().fold(0, |n, b| n * 11 + u64::from(b - b'0' + 1));
        return Some(number | 1 << 63);
    }
    if bytes.len() <= 12 && bytes.iter().all(|b| b.is_ascii_digit() || b.is_ascii_uppercase()) {
        let digit = |b: u8| {
            if b.is_ascii_digit() {
                b - b'0' + 1
            } else {
                b - b'A' + 11
            }
        };
        return Some(bytes.iter().fold(0, |n, b| n * 37 + u64::from(digit(*b))));
    }
    None
}

/// What the import does with the rows that passed their own checks, batch by batch, against
/// the organisations that hold their identifiers ([`ImportBatches`]).
struct Plan<'a> {
    caller: &'a Caller,
    mode: ImportMode,
    on_conflict: OnConflict,
    /// What the reader found, once it has read the whole file.
    read: Option<Checked>,
    created: u64,
    updated: u64,
    unchanged: u64,
    skipped_rows: SkippedRows,
    /// Rows that failed against the register (taken identifiers, updates refused), and their
    /// errors.
    errors: RowErrors,
}

impl<'a> Plan<'a> {
    fn new(caller: &'a Caller, mode: ImportMode, on_conflict: OnConflict) -> Self {
        Self {
            caller,
            mode,
            on_conflict,
            read: None,
            created: 0,
            updated: 0,
            unchanged: 0,
            skipped_rows: SkippedRows::default(),
            errors: RowErrors::default(),
        }
    }
}

impl ImportBatches for Plan<'_> {
    type Batch = Read;

    fn identifiers(&self, batch: &Read) -> Vec<(Identifier, String)> {
        let Read::Rows { valid, .. } = batch else {
            return Vec::new();
        };
        valid
            .iter()
            .flat_map(|row| {
                Identifier::ALL
                    .into_iter()
                    .filter_map(|identifier| identifier.of(&row.new).map(|value| (identifier, value.to_owned())))
            })
            .collect()
    }

    /// Known SIRENs (skipped or updated), and SIRETs and RNAs held by others (failed). Nothing
    /// is written once a row has failed in `all_or_nothing`: the rest is only checked.
    fn decide(&mut self, batch: Read, holders: &Holders) -> ImportWrites {
        let (valid, failed_before) = match batch {
            Read::Rows { valid, failed_before } => (valid, failed_before),
            Read::End(checked) => {
                self.read = Some(checked);
                return ImportWrites::default();
            }
        };
        let mut writes = ImportWrites::default();
        for row in valid {
            let siren = row.new.siren.clone();
            let known = siren
                .as_ref()
                .and_then(|siren| holders.get(&(Identifier::Siren, siren.clone())));
            match (known, self.on_conflict) {
                (None, _) => match taken(holders, &row.new, None) {
                    Ok(()) => writes.creates.push(row.new),
                    Err(errors) => self.errors.fail_row((row.number, row.line), errors),
                },
                (Some(existing), OnConflict::Skip) => {
                    self.skipped_rows
                        .push(row.number, siren.as_deref().unwrap_or_default(), existing.id)
                }
                (Some(existing), OnConflict::Update) => match updated(self.caller, existing, &row, holders) {
                    Ok(Some(update)) => writes.updates.push(update),
                    Ok(None) => self.unchanged += 1,
                    Err(errors) => self.errors.fail_row((row.number, row.line), errors),
                },
            }
        }
        if self.mode == ImportMode::AllOrNothing && failed_before + self.errors.rows > 0 {
            return ImportWrites::default();
        }
        self.created += writes.creates.len() as u64;
        self.updated += writes.updates.len() as u64;
        writes
    }

    /// Only a file read to its end, and in `all_or_nothing` only one whose every row passed.
    fn commit(&self) -> bool {
        self.read
            .as_ref()
            .is_some_and(|read| self.mode == ImportMode::ValidOnly || read.errors.rows + self.errors.rows == 0)
    }
}

/// A known organisation changed by its row as a PATCH with the row's fields would change it:
/// `None` when that changes nothing.
fn updated(
    caller: &Caller,
    existing: &Organisation,
    row: &Valid,
    holders: &Holders,
) -> Result<Option<ImportUpdate>, Vec<FieldError>> {
    let before = existing.target();
    policy::require(caller, Action::Update, &before).map_err(row_errors)?;
    let fields = row.fields.clone().unwrap_or_default();
    let patch = UpdateOrganisationRequest::from_fields(fields).map_err(row_errors)?;
    let request = patch.apply_to(&existing.fields).map_err(row_errors)?;
    let new = check_draft(request).map_err(row_errors)?;
    let after = Target::organisation(existing.id, &new.region_code);
    policy::require_change(caller, &before, &after).map_err(row_errors)?;
    taken(holders, &new, Some(existing.id))?;
    if new == existing.fields {
        return Ok(None);
    }
    Ok(Some(ImportUpdate {
        before: existing.clone(),
        new,
    }))
}

/// The identifiers of `fields` that an organisation other than `own` holds.
fn taken(holders: &Holders, fields: &OrganisationFields, own: Option<Uuid>) -> Result<(), Vec<FieldError>> {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn skipped_rows_are_written_as_the_rows_and_sirens_they_were_given() {
        let id = Uuid::from_u128(7);
        let mut skipped = SkippedRows::default();
        skipped.push(2, "012345675", id);
        skipped.push(100_000, "356000000", id);
        assert_eq!(
            serde_json::to_value(&skipped).unwrap(),
            serde_json::json!([
                {"row": 2, "siren": "012345675", "existing_id": id},
                {"row": 100_000, "siren": "356000000", "existing_id": id},
            ])
        );
    }

    /// Feeds `bytes` to a check in pieces of `size`.
    fn checked_in_pieces(bytes: &[u8], size: usize) -> Utf8Check {
        let mut check = Utf8Check::default();
        for piece in bytes.chunks(size) {
            check.feed(piece);
        }
        check
    }

    #[test]
    fn utf8_check_accepts_characters_cut_between_pieces_and_finds_where_bytes_stop_being_utf8() {
        let text = "nom\nCœur d'Hérault\nLodève\n".as_bytes();
        for size in 1..=text.len() {
            assert_eq!(checked_in_pieces(text, size).failure(), None, "pieces of {size}");
        }
        let latin = b"nom\nBonne\nMal \xe9crit\n";
        for size in 1..=latin.len() {
            assert_eq!(
                checked_in_pieces(latin, size).failure(),
                Some((14, 3)),
                "pieces of {size}"
            );
        }
        let cut = "nom\nCœ".as_bytes();
        assert_eq!(
            checked_in_pieces(&cut[..cut.len() - 1], 4).failure(),
            Some((5, 2)),
            "a character cut at the end"
        );
        assert!(checked_in_pieces(b"\xEF\xBB\xBFnom\n", 2).bom());
        assert!(!checked_in_pieces(b"\xEF\xBBnom\n", 1).bom());
    }

    #[test]
    fn text_chars_decode_utf8_and_windows_1252_across_blocks() {
        let decoded = |bytes: &[u8], encoding: &'static encoding_rs::Encoding, block: usize| -> String {
            TextChars {
                reader: bytes,
                decoder: encoding.new_decoder_with_bom_removal(),
                block: vec![0; block],
                text: String::new(),
                at: 0,
                ended: false,
                unreadable: Default::default(),
            }
            .collect()
        };
        let text = "\u{feff}nom;ville\nCœur d'Hérault;Lodève\n";
        for block in [1, 2, 3, 7, 4096] {
            assert_eq!(
                decoded(text.as_bytes(), encoding_rs::UTF_8, block),
                &text[3..],
                "blocks of {block}"
            );
            assert_eq!(
                decoded(b"Coop\xe9rative \x9cuvre", encoding_rs::WINDOWS_1252, block),
                "Coopérative œuvre",
                "blocks of {block}"
            );
        }
    }

    #[test]
    fn packed_identifiers_are_equal_exactly_when_the_identifiers_are() {
        let values = [
            "775672272",
            "77567227200010",
            "W751245606",
            "0653005592",
            "W75124560",
            "7756722720",
            "0",
            "00",
            "A",
            "9",
            "W",
            "ZZZZZZZZZZZZ",
            "999999999999999999",
        ];
        for a in values {
            assert!(packed(a).is_some(), "{a} packs");
            for b in values {
                assert_eq!(packed(a) == packed(b), a == b, "{a} and {b}");
            }
        }
        assert_eq!(packed("W75124560a"), None, "a small letter is kept as text");
        let mut seen = Seen::default();
        assert_eq!(seen.first_or_note("W751245606", 1), None);
        assert_eq!(seen.first_or_note("w751245606", 2), None);
        assert_eq!(seen.first_or_note("W751245606", 3), Some(1));
        assert_eq!(seen.first_or_note("w751245606", 4), Some(2));
    }
}
