//! The problem types (RFC 9457) this service answers, written once: each problem's `type` is
//! `/problems/{code}`, and `GET /problems/{code}` answers what the code means, its status and
//! what to do — an HTML page for a browser, JSON otherwise. The field-error codes of `errors[]`
//! are listed here too.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, get, web};
use serde::Serialize;
use utoipa::ToSchema;

use crate::http::error::ApiError;

pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(describe_problem);
}

/// One problem type.
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
pub struct ProblemType {
    /// The `code` of the problem (and the last segment of its `type`).
    pub code: &'static str,
    /// The HTTP status it comes with.
    pub status: u16,
    pub title: &'static str,
    /// What it means.
    pub meaning: &'static str,
    /// What to do about it.
    pub remedy: &'static str,
}

const fn problem(
    code: &'static str,
    status: u16,
    title: &'static str,
    meaning: &'static str,
    remedy: &'static str,
) -> ProblemType {
    ProblemType {
        code,
        status,
        title,
        meaning,
        remedy,
    }
}

/// Every problem code the service answers.
pub const PROBLEMS: &[ProblemType] = &[
    problem(
        "bad_request",
        400,
        "Bad request",
        "The request cannot be read as HTTP says it should.",
        "Check the request line and headers.",
    ),
    problem(
        "malformed_json",
        400,
        "Malformed JSON",
        "The body is not valid JSON, or not the JSON value the operation takes (an array for an import).",
        "Send well-formed JSON of the documented shape.",
    ),
    problem(
        "unreadable_body",
        400,
        "Unreadable body",
        "The body could not be read (not UTF-8, cut short).",
        "Send the whole body, encoded in UTF-8.",
    ),
    problem(
        "invalid_parameter",
        400,
        "Invalid query parameter",
        "A query parameter does not parse, is out of range or unknown; `detail` names it.",
        "Fix or remove the parameter named in `detail`.",
    ),
    problem(
        "invalid_cursor",
        400,
        "Invalid cursor",
        "The cursor (or `after` position) is not one this list made, or was made for another order.",
        "Pass `next_cursor` from the previous page unchanged, with the same `sort`.",
    ),
    problem(
        "invalid_idempotency_key",
        400,
        "Invalid Idempotency-Key",
        "The `Idempotency-Key` header is empty, too long (over 255 characters) or not printable ASCII.",
        "Send a fresh random key (a UUID) per operation.",
    ),
    problem(
        "invalid_request",
        400,
        "Invalid token request",
        "The token request misses a field, or sends the client credentials twice (OAuth 2.0 `invalid_request`).",
        "Send one grant with its fields, as the token endpoint documents.",
    ),
    problem(
        "invalid_grant",
        400,
        "Grant refused",
        "The e-mail or the password is wrong, or the refresh token is used, revoked or expired (OAuth 2.0 `invalid_grant`).",
        "Check the credentials, or log in again.",
    ),
    problem(
        "unsupported_grant_type",
        400,
        "Unsupported grant type",
        "The `grant_type` is none of `password`, `client_credentials`, `refresh_token`.",
        "Use one of the three.",
    ),
    problem(
        "unauthenticated",
        401,
        "Authentication required",
        "The operation needs a login and the request carries no token.",
        "Log in (`POST /api/v1/auth/token`) and send `Authorization: Bearer <access_token>`.",
    ),
    problem(
        "invalid_token",
        401,
        "Invalid token",
        "The access token is malformed, expired, or not signed by this service; `WWW-Authenticate` says why.",
        "Get a new token (refresh it, or log in again).",
    ),
    problem(
        "invalid_client",
        401,
        "Client authentication failed",
        "The client id or secret is wrong, or the client is deactivated (OAuth 2.0 `invalid_client`).",
        "Check the client's credentials; an administrator can renew its secret.",
    ),
    problem(
        "forbidden",
        403,
        "Forbidden",
        "The caller's role may not do this to this record; `detail` says what the role allows.",
        "Ask someone whose role allows it (the Cress of the region, an administrator).",
    ),
    problem(
        "not_found",
        404,
        "Not found",
        "No record has this id, or the caller may not know of it.",
        "Check the id; lists show what the caller may read.",
    ),
    problem(
        "method_not_allowed",
        405,
        "Method not allowed",
        "The address exists but not with this method; `Allow` lists those it takes.",
        "Use one of the methods in `Allow`.",
    ),
    problem(
        "not_acceptable",
        406,
        "Not acceptable",
        "None of the media types `Accept` allows can be answered.",
        "Accept `application/json` (lists also answer CSV and XLSX).",
    ),
    problem(
        "duplicate",
        409,
        "Already exists",
        "Another record holds this SIREN, SIRET, RNA, e-mail or membership; `existing_id` names it.",
        "Update the existing record instead, or correct the identifier.",
    ),
    problem(
        "in_use",
        409,
        "Still referenced",
        "The record cannot be deleted while others point at it; `detail` counts them.",
        "Delete or move what points at it first.",
    ),
    problem(
        "concurrent_update",
        409,
        "Changed concurrently",
        "Other requests changed the record at the same moment, ten times in a row.",
        "Send the same request again after `Retry-After`.",
    ),
    problem(
        "illegal_transition",
        409,
        "Illegal status change",
        "The record's current status does not allow this change (an ESUS accreditation refused, then granted).",
        "Read the record and make a change its status allows.",
    ),
    problem(
        "open_accreditation",
        409,
        "Open ESUS accreditation",
        "The organisation already has an applied or granted accreditation in force.",
        "Decide or end the open one first, or renew a granted one within 6 months of its end.",
    ),
    problem(
        "last_admin",
        409,
        "Last administrator",
        "The change would leave no active administrator.",
        "Make another account an administrator first.",
    ),
    problem(
        "already_member",
        409,
        "Already a member",
        "The organisation is already a member of the club.",
        "Change the existing membership instead.",
    ),
    problem(
        "idempotency_key_in_use",
        409,
        "Request in progress",
        "A request with this `Idempotency-Key` is still being processed.",
        "Wait for it, then send again to get its answer.",
    ),
    problem(
        "precondition_failed",
        412,
        "Precondition failed",
        "`If-Match` names a version that is no longer the current one: someone changed the record since it was read.",
        "Read the record again (new `ETag`), reapply the change, and send it with the new tag.",
    ),
    problem(
        "payload_too_large",
        413,
        "Request body too large",
        "The body is larger than the server takes (`MAX_BODY_BYTES`, or `IMPORT_MAX_BYTES` for an import).",
        "Send less: split an import into several files.",
    ),
    problem(
        "unsupported_media_type",
        415,
        "Unsupported media type",
        "The body's `Content-Type` is not one the operation takes.",
        "Send `application/json` (imports: CSV or XLSX too).",
    ),
    problem(
        "validation_failed",
        422,
        "Invalid request",
        "Some fields break the rules; `errors` lists each with its `field`, `code` and `message`.",
        "Correct every field listed, then send again.",
    ),
    problem(
        "rows_invalid",
        422,
        "Some rows are invalid",
        "Rows of an import break the rules; nothing was imported. `errors` lists the first 100 with their `row` (and `line` in the sheet), `error_count` counts them all.",
        "Correct the rows listed, or import with `mode=valid_only` to keep the valid ones.",
    ),
    problem(
        "malformed_csv",
        422,
        "Malformed CSV",
        "The CSV file is not a well-formed table (a quote never closed, a row with too many cells, declared UTF-8 but not); `detail` names the line.",
        "Save the file again from the spreadsheet, as CSV.",
    ),
    problem(
        "malformed_xlsx",
        422,
        "Unreadable workbook",
        "The body is not a readable Excel workbook (.xlsx), or its first sheet is empty.",
        "Save it again from Excel as .xlsx, with the column names on the first row.",
    ),
    problem(
        "too_many_rows",
        422,
        "Too many rows for a sheet",
        "The list has more rows than an Excel sheet holds (1,048,575).",
        "Narrow the list with its filters, or export it as CSV.",
    ),
    problem(
        "idempotency_key_reused",
        422,
        "Idempotency-Key reused",
        "This `Idempotency-Key` was used with another request (another body or address).",
        "Use a new key for each distinct request.",
    ),
    problem(
        "too_many_requests",
        429,
        "Too many requests",
        "Too many failed logins (or logins at once); `Retry-After` says when to try again.",
        "Wait the number of seconds in `Retry-After`.",
    ),
    problem(
        "client_error",
        400,
        "Client error",
        "The request was refused for a reason HTTP's status gives.",
        "Read `detail` and the status.",
    ),
    problem(
        "internal_error",
        500,
        "Internal error",
        "Something failed in the server; it is logged with the request's `X-Request-Id`.",
        "Try again; if it lasts, report the `X-Request-Id` to the Cress.",
    ),
    problem(
        "service_unavailable",
        503,
        "Service unavailable",
        "The database does not answer at the moment.",
        "Try again after `Retry-After`.",
    ),
    problem(
        "request_timeout",
        503,
        "Request timeout",
        "The request took longer than the server allows (`REQUEST_TIMEOUT_SECONDS`, upload included); nothing was written.",
        "Try again; split a large import.",
    ),
];

/// Every `code` of a field error (`errors[].code`), with what it means.
pub const FIELD_CODES: &[(&str, &str)] = &[
    ("required", "The field is required and missing or null."),
    ("blank", "The text is empty once spaces are taken off."),
    ("too_long", "The text is longer than the field allows."),
    ("too_short", "The text is shorter than the field needs (a password)."),
    (
        "too_many",
        "The list holds more items than allowed (themes, organisers).",
    ),
    (
        "invalid_format",
        "The value does not have the field's shape (an e-mail, a date, a SIREN of 9 digits…).",
    ),
    (
        "invalid_checksum",
        "A SIREN or SIRET whose check digit (Luhn) is wrong: a digit was mistyped.",
    ),
    (
        "unknown_code",
        "A well-formed code that does not exist (region, department, legal category…).",
    ),
    (
        "mismatch",
        "The value contradicts another field of the same record (a category and a legal category, an end before a start).",
    ),
    (
        "not_allowed",
        "The field may not be set in this state (a decision date on an application).",
    ),
    ("out_of_range", "A number or date outside the allowed range."),
    (
        "in_future",
        "A date or a count that can only be known once it has happened.",
    ),
    ("before_start", "An end date before the start date."),
    ("same_as_sponsor", "A sponsorship whose beneficiary is its own sponsor."),
    ("unsupported_currency", "A currency other than EUR."),
    (
        "invalid_type",
        "The JSON value has the wrong type (a number where a string belongs, an unknown enum value).",
    ),
    (
        "unknown_field",
        "A field (or import column) this operation does not know.",
    ),
    ("duplicate_field", "An import column named twice in the header."),
    (
        "not_found",
        "A referenced record (an organisation, a club) does not exist: create it first.",
    ),
    (
        "duplicate",
        "Another record holds this value (SIREN, SIRET, RNA, e-mail).",
    ),
    (
        "duplicate_in_file",
        "An earlier row of the same import holds this value.",
    ),
    (
        "forbidden",
        "The caller may not import or write this row (another region).",
    ),
    (
        "unsafe_url",
        "A webhook URL deliveries may not go to (a private address, a scheme other than http(s)).",
    ),
];

/// The problem type of `code`, if there is one.
pub fn find(code: &str) -> Option<&'static ProblemType> {
    PROBLEMS.iter().find(|p| p.code == code)
}

/// What a problem code means.
///
/// The `type` of every problem answer is `/problems/{code}`: this is that page. HTML for a
/// browser (`Accept: text/html`), else JSON: the code, its status, title, meaning and remedy.
#[utoipa::path(
    tag = "problems",
    params(("code" = String, Path, description = "A problem code, such as `validation_failed`.")),
    security(()),
    responses(
        (status = 200, description = "What the code means and what to do.", body = ProblemType,
            content_type = "application/json"),
    )
)]
#[get("/{code}")]
pub async fn describe_problem(req: HttpRequest, code: web::Path<String>) -> Result<HttpResponse, ApiError> {
    let problem = find(&code)
        .ok_or_else(|| ApiError::NotFound(format!("no problem type {}", code.chars().take(64).collect::<String>())))?;
    let wants_html = req
        .headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|accept| accept.contains("text/html"));
    if wants_html {
        Ok(HttpResponse::Ok()
            .content_type("text/html; charset=utf-8")
            .body(page(problem)))
    } else {
        Ok(HttpResponse::Ok().json(problem))
    }
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

/// The HTML page of a problem type (no script, no style: the content security policy allows none).
fn page(problem: &ProblemType) -> String {
    let mut html = format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{title} · cress-api</title></head>\
         <body><h1>{title}</h1><p><code>{code}</code> · HTTP {status}</p><h2>What it means</h2><p>{meaning}</p>\
         <h2>What to do</h2><p>{remedy}</p>",
        title = escape(problem.title),
        code = escape(problem.code),
        status = problem.status,
        meaning = escape(problem.meaning),
        remedy = escape(problem.remedy),
    );
    if matches!(problem.code, "validation_failed" | "rows_invalid") {
        html.push_str("<h2>Field error codes</h2><dl>");
        for (code, meaning) in FIELD_CODES {
            html.push_str(&format!("<dt><code>{code}</code></dt><dd>{}</dd>", escape(meaning)));
        }
        html.push_str("</dl>");
    }
    html.push_str("<p><a href=\"/swagger-ui/\">The API's documentation</a></p></body></html>\n");
    html
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_problem_code_and_field_code_is_listed_once() {
        let mut codes: Vec<&str> = PROBLEMS.iter().map(|p| p.code).collect();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), PROBLEMS.len());
        let mut fields: Vec<&str> = FIELD_CODES.iter().map(|(c, _)| *c).collect();
        fields.sort_unstable();
        fields.dedup();
        assert_eq!(fields.len(), FIELD_CODES.len());
    }

    #[test]
    fn the_page_escapes_its_text() {
        let html = page(&problem("x", 400, "<b>", "a & b", "c > d"));
        assert!(html.contains("&lt;b&gt;") && html.contains("a &amp; b") && html.contains("c &gt; d"));
    }
}
