//! XLSX exports of the lists (`Accept: application/vnd.openxmlformats-officedocument.spreadsheetml.sheet`):
//! the same columns and rows as CSV, as an Excel workbook with typed cells — dates as dates,
//! times as date-times (UTC), amounts in cents as euros with two decimals, numbers and booleans
//! as such, identifiers and codes (SIREN, SIRET, postal codes) as text so that they stay whole —
//! under a bold, frozen header row.
//!
//! Memory stays constant whatever the length of the list: the worksheet is written in
//! `rust_xlsxwriter`'s constant-memory mode (each row goes to a temporary file as it is
//! written), pages are read 200 rows at a time, and the finished workbook is assembled into an
//! anonymous temporary file that the answer streams. Unlike CSV, the answer starts once the
//! workbook is complete, so a failure on a later page is a clean error answer. The writing and
//! the file's reading run on the blocking pool, never on the worker that serves requests.

use std::collections::HashMap;
use std::future::Future;
use std::io::{Read, Seek, SeekFrom};

use actix_web::web::Bytes;
use rust_xlsxwriter::{ExcelDateTime, Format, Workbook, Worksheet, XlsxError};
use serde::Serialize;
use serde_json::Value;

use crate::domain::message::{Lang, Message, msg};
use crate::http::csv::{EXPORT_PAGE, Page, cells_of};
use crate::http::error::ApiError;

/// The most rows a worksheet holds, header included (Excel's limit).
const MAX_ROWS: u32 = 1_048_576;
/// Bytes per chunk of the streamed answer.
const CHUNK: usize = 64 * 1024;

/// A finished workbook in a temporary file (deleted when dropped).
pub struct XlsxFile {
    file: std::fs::File,
    pub length: u64,
}

impl XlsxFile {
    /// The file's bytes, a chunk at a time, each read on the blocking pool.
    pub fn chunks(self) -> impl futures_util::Stream<Item = Result<Bytes, ApiError>> + 'static {
        futures_util::stream::unfold(Some(self.file), |file| async move {
            let mut file = file?;
            let read = actix_web::web::block(move || {
                let mut buffer = vec![0; CHUNK];
                let n = file.read(&mut buffer)?;
                buffer.truncate(n);
                Ok::<_, std::io::Error>((file, buffer))
            })
            .await;
            match read {
                Ok(Ok((_, buffer))) if buffer.is_empty() => None,
                Ok(Ok((file, buffer))) => Some((Ok(Bytes::from(buffer)), Some(file))),
                Ok(Err(error)) => Some((Err(ApiError::Internal(error.into())), None)),
                Err(error) => Some((Err(ApiError::Internal(anyhow::Error::new(error))), None)),
            }
        })
    }
}

/// The title of `column` in a workbook in `lang` (`column-<name>` in the catalogues): words for
/// a person, and amounts in cents titled in euros, as their cells show them.
pub fn title(column: &str, lang: Lang) -> String {
    Message::new(format!("column-{column}")).render(lang)
}

/// The column of `columns` that `text` names: the column itself or its title in either
/// language, ignoring case and surrounding spaces (what a person retyping a title may change).
pub fn column_titled(text: &str, columns: &[&'static str]) -> Option<&'static str> {
    let text = text.trim();
    columns.iter().copied().find(|column| {
        *column == text
            || Lang::ALL
                .into_iter()
                .any(|lang| title(column, lang).to_lowercase() == text.to_lowercase())
    })
}

/// The formats of the typed cells.
struct Formats {
    header: Format,
    date: Format,
    datetime: Format,
    euros: Format,
}

impl Formats {
    fn new() -> Self {
        Self {
            header: Format::new().set_bold(),
            date: Format::new().set_num_format("dd/mm/yyyy"),
            datetime: Format::new().set_num_format("dd/mm/yyyy hh:mm:ss"),
            euros: Format::new().set_num_format("#,##0.00\\ \"€\""),
        }
    }
}

/// A `YYYY-MM-DD` date, exactly.
fn date_of(text: &str) -> Option<ExcelDateTime> {
    let date = chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d").ok()?;
    if text.len() != 10 {
        return None;
    }
    use chrono::Datelike;
    ExcelDateTime::from_ymd(
        u16::try_from(date.year()).ok()?,
        u8::try_from(date.month()).ok()?,
        u8::try_from(date.day()).ok()?,
    )
    .ok()
}

/// An RFC 3339 instant, as a UTC date-time.
fn datetime_of(text: &str) -> Option<ExcelDateTime> {
    if text.len() < 20 || text.as_bytes().get(10) != Some(&b'T') {
        return None;
    }
    let at = chrono::DateTime::parse_from_rfc3339(text).ok()?;
    let seconds = at.timestamp() as f64 + f64::from(at.timestamp_subsec_micros()) / 1e6;
    ExcelDateTime::from_serial_datetime(seconds / 86_400.0 + 25_569.0).ok()
}

/// Writes one cell of `column` with the type its value has.
fn write_cell(
    sheet: &mut Worksheet,
    formats: &Formats,
    (row, col): (u32, u16),
    column: &str,
    value: &Value,
) -> Result<(), XlsxError> {
    match value {
        Value::Number(number) if column.ends_with("_cents") => {
            let cents = number.as_f64().unwrap_or_default();
            sheet.write_number_with_format(row, col, cents / 100.0, &formats.euros)?;
        }
        Value::Number(number) => {
            sheet.write_number(row, col, number.as_f64().unwrap_or_default())?;
        }
        Value::Bool(flag) => {
            sheet.write_boolean(row, col, *flag)?;
        }
        Value::String(text) => {
            if let Some(date) = date_of(text) {
                sheet.write_datetime_with_format(row, col, &date, &formats.date)?;
            } else if let Some(at) = datetime_of(text) {
                sheet.write_datetime_with_format(row, col, &at, &formats.datetime)?;
            } else {
                sheet.write_string(row, col, text)?;
            }
        }
        Value::Null => {}
        other => {
            sheet.write_string(row, col, other.to_string())?;
        }
    }
    Ok(())
}

fn failed(error: XlsxError) -> ApiError {
    ApiError::Internal(anyhow::Error::new(error).context("writing an XLSX export"))
}

/// Writes every row from `first` to the end of the list (`pages` reads the next ones) into a
/// workbook of one sheet with its column titles in `lang`, and returns the finished file.
///
/// The pages are read here, on the request's worker; the writing (CPU and temporary files) runs
/// on the blocking pool, a page at a time, so that a long export never holds up the worker's
/// other requests.
pub async fn write<T, F, Fut>(
    columns: &[&'static str],
    lang: Lang,
    first: Page<T>,
    pages: F,
) -> Result<XlsxFile, ApiError>
where
    T: Serialize,
    F: Fn(Option<String>, Option<i64>) -> Fut,
    Fut: Future<Output = Result<Page<T>, ApiError>>,
{
    let columns: Vec<&'static str> = columns.to_vec();
    let titles: Vec<String> = columns.iter().map(|column| title(column, lang)).collect();
    let mut sheet = blocking(move || Sheet::new(&titles)).await?;
    let mut page = first;
    loop {
        let (items, next) = page;
        let rows = items
            .iter()
            .map(|item| cells_of(item, &columns))
            .collect::<Result<Vec<_>, _>>()?;
        let written = columns.clone();
        sheet = blocking(move || sheet.append(&written, rows)).await?;
        match next {
            Some(cursor) => page = pages(Some(cursor), Some(EXPORT_PAGE)).await?,
            None => break,
        }
    }
    blocking(move || sheet.finish()).await
}

/// Runs `work` on the blocking pool.
async fn blocking<R: Send + 'static>(
    work: impl FnOnce() -> Result<R, ApiError> + Send + 'static,
) -> Result<R, ApiError> {
    actix_web::web::block(work)
        .await
        .map_err(|e| ApiError::Internal(anyhow::Error::new(e).context("writing an XLSX export")))?
}

/// A workbook being written: its one worksheet, in constant memory, and the next row.
struct Sheet {
    workbook: Workbook,
    sheet: Worksheet,
    formats: Formats,
    row: u32,
}

impl Sheet {
    /// A sheet whose first row holds `titles`, bold and frozen.
    fn new(titles: &[String]) -> Result<Self, ApiError> {
        let formats = Formats::new();
        let mut workbook = Workbook::new();
        let mut sheet = workbook.new_worksheet_with_constant_memory().map_err(failed)?;
        for (col, title) in titles.iter().enumerate() {
            let col = u16::try_from(col).unwrap_or(u16::MAX);
            sheet
                .write_string_with_format(0, col, title, &formats.header)
                .map_err(failed)?;
            sheet.set_column_width(col, 18).map_err(failed)?;
        }
        sheet.set_freeze_panes(1, 0).map_err(failed)?;
        Ok(Self {
            workbook,
            sheet,
            formats,
            row: 1,
        })
    }

    /// Writes `rows` (the cells of each, by column) under the previous ones.
    fn append(mut self, columns: &[&str], rows: Vec<HashMap<String, Value>>) -> Result<Self, ApiError> {
        for cells in rows {
            if self.row >= MAX_ROWS {
                return Err(ApiError::Unprocessable {
                    code: "too_many_rows",
                    detail: msg!("xlsx-too-many-rows", max = MAX_ROWS - 1),
                });
            }
            for (col, column) in columns.iter().enumerate() {
                if let Some(value) = cells.get(*column) {
                    let col = u16::try_from(col).unwrap_or(u16::MAX);
                    write_cell(&mut self.sheet, &self.formats, (self.row, col), column, value).map_err(failed)?;
                }
            }
            self.row += 1;
        }
        Ok(self)
    }

    /// The finished workbook, in a temporary file read from its start.
    fn finish(mut self) -> Result<XlsxFile, ApiError> {
        self.workbook.push_worksheet(self.sheet);
        let mut file = tempfile::tempfile().map_err(|e| ApiError::Internal(e.into()))?;
        self.workbook.save_to_writer(&mut file).map_err(failed)?;
        let length = file.seek(SeekFrom::End(0)).map_err(|e| ApiError::Internal(e.into()))?;
        file.seek(SeekFrom::Start(0))
            .map_err(|e| ApiError::Internal(e.into()))?;
        Ok(XlsxFile { file, length })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_are_titled_in_words_and_amounts_in_euros() {
        assert_eq!(title("amount_cents", Lang::En), "Amount (€)");
        assert_eq!(title("amount_cents", Lang::Fr), "Montant (€)");
        assert_eq!(title("postal_code", Lang::Fr), "Code postal");
        assert_eq!(title("siren", Lang::En), "SIREN");
    }

    #[test]
    fn every_exported_column_has_its_own_title_in_both_languages() {
        for (path, columns) in crate::http::csv::CSV_LISTS {
            crate::domain::message::assert_keys(columns.all().map(|c| (format!("column-{c}"), path.to_owned())));
            for lang in Lang::ALL {
                let mut titles = std::collections::HashSet::new();
                for column in columns.all() {
                    let title = title(column, lang).to_lowercase();
                    assert!(titles.insert(title.clone()), "{path}: two columns are titled `{title}`");
                }
            }
        }
    }

    #[test]
    fn a_title_in_either_language_names_its_column() {
        let columns = ["name", "postal_code", "siren"];
        assert_eq!(column_titled("Code postal", &columns), Some("postal_code"));
        assert_eq!(column_titled(" postal code ", &columns), Some("postal_code"));
        assert_eq!(column_titled("postal_code", &columns), Some("postal_code"));
        assert_eq!(column_titled("Nom", &columns), Some("name"));
        assert_eq!(column_titled("Postcode", &columns), None);
    }

    #[test]
    fn only_whole_dates_and_instants_become_date_cells() {
        assert!(date_of("2026-12-05").is_some());
        for text in ["2026-1-5", "2026-12-05 ", "31/12/2026", "75001", "2026-13-01"] {
            assert!(date_of(text).is_none(), "{text}");
        }
        let at = datetime_of("1970-01-02T00:00:00Z").unwrap();
        assert!((at.to_excel() - 25_570.0).abs() < 1e-9);
        assert!(datetime_of("2026-12-05T10:30:00+01:00").is_some());
        assert!(datetime_of("2026-12-05").is_none() && datetime_of("Lodève").is_none());
    }
}
