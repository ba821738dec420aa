//! Every error the API answers, as an RFC 9457 `application/problem+json` body.

use actix_web::http::{Method, StatusCode, header};
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;
use utoipa::ToSchema;
use validator::{ValidationErrors, ValidationErrorsKind};

use crate::core::Denial;
use crate::domain::message::{Lang, Message, msg};
use crate::domain::{Violation, Violations};
use crate::store::StoreError;
use crate::store::references::{Missing, MissingRecord};

/// The realm named in `WWW-Authenticate` challenges.
pub const REALM: &str = "cress-api";

/// The media type of every error body.
pub const PROBLEM_JSON: &str = "application/problem+json";

/// An error answer (RFC 9457). `code` is a stable word that clients can branch on; `errors`
/// lists every failing field of a 422.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "type": "/problems/validation_failed",
    "status": 422,
    "detail": "2 fields are invalid: siren, region_code",
    "code": "validation_failed",
    "errors": [
        {"field": "siren", "code": "invalid_checksum", "message": "775672273 fails the SIREN check digit (Luhn)"},
        {"field": "region_code", "code": "unknown_code", "message": "05 is not a region code"}
    ]
}))]
pub struct Problem {
    /// A URI reference naming the kind of problem: `/problems/{code}`.
    #[serde(rename = "type")]
    pub problem_type: String,
    /// A short summary of the kind of problem; the same for every occurrence of its `code`.
    #[schema(value_type = String)]
    pub title: Message,
    /// The HTTP status code.
    #[schema(minimum = 400, maximum = 599)]
    pub status: u16,
    /// What went wrong this time, for a person to read.
    #[schema(value_type = String)]
    pub detail: Message,
    /// A stable snake_case word for the kind of problem, for programs: one of the values listed,
    /// each explained at `/problems/{code}`.
    pub code: String,
    /// For 422: one entry per failing field (several per field are possible).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
    /// Bulk imports (`rows_invalid`): how many field errors the rows have in all; `errors` shows
    /// the first 100 of them, by row.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_count: Option<u64>,
    /// Bulk imports (`rows_invalid`): how many field errors there are of each `code`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_counts: Option<std::collections::BTreeMap<String, u64>>,
    /// For 409 on a duplicate: the id of the record that already holds the value.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub existing_id: Option<uuid::Uuid>,
    /// On the token endpoint: the OAuth 2.0 error code (RFC 6749 §5.2), such as
    /// `invalid_grant`, `invalid_client`, `invalid_request` or `unsupported_grant_type`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// On the token endpoint: what is wrong, for a person (RFC 6749 §5.2); the same as `detail`.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    pub error_description: Option<Message>,
}

/// How many row errors of a bulk import are shown: the answer stays small whatever the file.
pub const ROW_ERRORS_SHOWN: usize = 100;

/// The field errors of a bulk import's rows, in bounded memory: the first
/// [`ROW_ERRORS_SHOWN`] by row, how many there are in all and of each code, and how many rows
/// failed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RowErrors {
    first: Vec<FieldError>,
    pub total: u64,
    pub by_code: std::collections::BTreeMap<String, u64>,
    pub rows: u64,
}

impl RowErrors {
    /// Counts the row `row` (at `line` of its spreadsheet) as failed, with its `errors`.
    pub fn fail_row(&mut self, (row, line): (u64, Option<u64>), errors: Vec<FieldError>) {
        self.rows += 1;
        for error in errors {
            self.push(error.on_row(row).on_line(line));
        }
    }

    /// Counts `error` (which names its row), and keeps it while it is among the first.
    pub fn push(&mut self, error: FieldError) {
        self.total += 1;
        *self.by_code.entry(error.code.clone()).or_default() += 1;
        self.first.push(error);
        if self.first.len() >= 2 * ROW_ERRORS_SHOWN {
            self.keep_first();
        }
    }

    /// Takes in the errors of `other` (of other rows).
    pub fn merge(&mut self, other: RowErrors) {
        self.total += other.total;
        self.rows += other.rows;
        for (code, count) in other.by_code {
            *self.by_code.entry(code).or_default() += count;
        }
        self.first.extend(other.first);
        self.keep_first();
    }

    /// The first errors by row (within a row, in the order they were found).
    pub fn shown(&self) -> Vec<FieldError> {
        let mut shown = self.clone();
        shown.keep_first();
        shown.first
    }

    fn keep_first(&mut self) {
        self.first.sort_by_key(|e| e.row);
        self.first.truncate(ROW_ERRORS_SHOWN);
    }
}

/// One failing field of a request body (of one row, for a bulk import).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct FieldError {
    /// Bulk imports only: the row at fault, counted from 1 (a CSV file's header line is not a
    /// row; a JSON array's first element is row 1).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(minimum = 1)]
    pub row: Option<u64>,
    /// Bulk imports of a CSV or XLSX file only: where the row is as a spreadsheet numbers it
    /// (the header is line 1, so the first row is usually line 2).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(minimum = 2)]
    pub line: Option<u64>,
    /// The field, as a JSON path from the body's root (`siren`, `organisers[0].role`).
    pub field: String,
    /// A stable snake_case word, for programs: one of the values listed, each explained at
    /// `/problems/validation_failed`.
    pub code: String,
    /// What is wrong and how to mend it, for a person to read.
    #[schema(value_type = String)]
    pub message: Message,
}

impl FieldError {
    pub fn new(field: impl Into<String>, code: impl Into<String>, message: Message) -> Self {
        Self {
            row: None,
            line: None,
            field: field.into(),
            code: code.into(),
            message,
        }
    }

    /// The same error, on row `row` of a bulk import.
    pub fn on_row(self, row: u64) -> Self {
        Self { row: Some(row), ..self }
    }

    pub fn on_line(self, line: Option<u64>) -> Self {
        Self { line, ..self }
    }
}

fn collect_validator_errors(errors: &ValidationErrors, prefix: &str, out: &mut Vec<FieldError>) {
    for (field, kind) in errors.errors() {
        let path = if prefix.is_empty() {
            field.to_string()
        } else {
            format!("{prefix}.{field}")
        };
        match kind {
            ValidationErrorsKind::Field(list) => out.extend(
                list.iter()
                    .map(|e| FieldError::new(&path, validator_code(&e.code), describe_validator_error(e))),
            ),
            ValidationErrorsKind::Struct(inner) => collect_validator_errors(inner, &path, out),
            ValidationErrorsKind::List(items) => {
                for (index, inner) in items {
                    collect_validator_errors(inner, &format!("{path}[{index}]"), out);
                }
            }
        }
    }
}

/// validator's own codes (`length`, `range`) say which rule, not which way it failed.
fn validator_code(code: &str) -> String {
    match code {
        "length" => "too_long".into(),
        "range" => "out_of_range".into(),
        other => other.into(),
    }
}

fn describe_validator_error(error: &validator::ValidationError) -> Message {
    let param = |name: &str| error.params.get(name).map(|v| v.to_string());
    match error.code.as_ref() {
        "length" => match (param("min"), param("max")) {
            (Some(min), Some(max)) => msg!("length-between", min = min, max = max),
            (None, Some(max)) => msg!("length-at-most", max = max),
            (Some(min), None) => msg!("length-at-least", min = min),
            _ => msg!("length-wrong"),
        },
        "range" => match (param("min"), param("max")) {
            (Some(min), Some(max)) => msg!("range-between", min = min, max = max),
            (None, Some(max)) => msg!("range-at-most", max = max),
            (Some(min), None) => msg!("range-at-least", min = min),
            _ => msg!("range-out"),
        },
        other => msg!("rule-failed", rule = other),
    }
}

/// The one error type of the HTTP layer; each variant is one documented status.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// 400: the request cannot be read (malformed JSON, a bad query parameter or cursor).
    #[error("{detail}")]
    BadRequest { code: &'static str, detail: Message },
    /// 401: the operation needs a login and the request carries no credentials.
    #[error("{0}")]
    Unauthenticated(Message),
    /// 401: the bearer token was refused (malformed, badly signed, expired…); the text says why.
    #[error("{0}")]
    InvalidToken(Message),
    /// 403: the caller is known but not allowed.
    #[error("{0}")]
    Forbidden(Message),
    /// 404: nothing at this address.
    #[error("{0}")]
    NotFound(Message),
    /// 405: the path exists, the method does not.
    #[error("method not allowed")]
    MethodNotAllowed { allow: Vec<Method> },
    /// 409: the request conflicts with the current state (a duplicate identifier…).
    #[error("{detail}")]
    Conflict {
        code: &'static str,
        detail: Message,
        existing_id: Option<uuid::Uuid>,
    },
    /// 412: `If-Match` names a representation that is no longer the current one.
    #[error("{0}")]
    PreconditionFailed(Message),
    /// 406: the `Accept` header asks for no format this operation answers.
    #[error("{0}")]
    NotAcceptable(Message),
    /// 422: rows of a bulk import break the rules, so nothing was imported; `errors` lists them
    /// with their row numbers.
    #[error("{detail}")]
    RowsInvalid { detail: Message, errors: RowErrors },
    /// 413: the body is larger than the configured limit.
    #[error("request body larger than {limit} bytes")]
    PayloadTooLarge { limit: usize },
    /// 415: the body is not JSON.
    #[error("{0}")]
    UnsupportedMediaType(Message),
    /// 429: too many failed attempts; try again after `retry_after` seconds.
    #[error("{detail}")]
    TooManyRequests { retry_after: u64, detail: Message },
    /// An OAuth 2.0 error of the token endpoint (RFC 6749 §5.2): `error` is the OAuth code,
    /// also used as the problem code, and `detail` its `error_description`. A 401 (only
    /// `invalid_client`) challenges for HTTP Basic client authentication.
    #[error("{detail}")]
    OAuth {
        status: StatusCode,
        error: &'static str,
        detail: Message,
    },
    /// 422: the body is well-formed but some fields break the rules.
    #[error("the request is invalid")]
    Invalid(Vec<FieldError>),
    /// 422: the request is well-formed but cannot be processed as a whole (an idempotency key
    /// reused for another request…); `code` says why.
    #[error("{detail}")]
    Unprocessable { code: &'static str, detail: Message },
    /// 503: the database does not answer.
    #[error("the database is unavailable")]
    Unavailable,
    /// 408: an upload stopped arriving: nothing came for the configured limit
    /// (REQUEST_TIMEOUT_SECONDS).
    #[error("nothing of the body came for {seconds} seconds")]
    UploadStalled { seconds: u64 },
    /// 503: the request took longer than the configured limit (REQUEST_TIMEOUT_SECONDS).
    #[error("the request took longer than {seconds} seconds and was abandoned; try again shortly")]
    Timeout { seconds: u64 },
    /// 500: a fault of ours; details go to the log only.
    #[error("internal error")]
    Internal(#[from] anyhow::Error),
}

impl ApiError {
    pub fn bad_request(code: &'static str, detail: Message) -> Self {
        Self::BadRequest { code, detail }
    }

    /// 400 for a query parameter that does not parse or is out of range.
    pub fn invalid_parameter(name: &str, why: Message) -> Self {
        Self::bad_request("invalid_parameter", msg!("parameter-invalid", name = name, why = why))
    }

    pub fn invalid_field(field: &str, code: &str, message: Message) -> Self {
        Self::Invalid(vec![FieldError::new(field, code, message)])
    }

    /// The stable `code` of the problem body.
    pub fn code(&self) -> &'static str {
        match self {
            Self::BadRequest { code, .. } | Self::Conflict { code, .. } | Self::Unprocessable { code, .. } => code,
            Self::Unauthenticated(_) => "unauthenticated",
            Self::InvalidToken(_) => "invalid_token",
            Self::Forbidden(_) => "forbidden",
            Self::TooManyRequests { .. } => "too_many_requests",
            Self::OAuth { error, .. } => error,
            Self::NotFound(_) => "not_found",
            Self::MethodNotAllowed { .. } => "method_not_allowed",
            Self::PreconditionFailed(_) => "precondition_failed",
            Self::PayloadTooLarge { .. } => "payload_too_large",
            Self::UploadStalled { .. } => "upload_stalled",
            Self::NotAcceptable(_) => "not_acceptable",
            Self::RowsInvalid { .. } => "rows_invalid",
            Self::UnsupportedMediaType(_) => "unsupported_media_type",
            Self::Invalid(_) => "validation_failed",
            Self::Unavailable => "service_unavailable",
            Self::Timeout { .. } => "request_timeout",
            Self::Internal(_) => "internal_error",
        }
    }

    /// What went wrong, for people.
    pub fn detail(&self) -> Message {
        match self {
            Self::BadRequest { detail, .. }
            | Self::Conflict { detail, .. }
            | Self::RowsInvalid { detail, .. }
            | Self::TooManyRequests { detail, .. }
            | Self::OAuth { detail, .. }
            | Self::Unprocessable { detail, .. } => detail.clone(),
            Self::Unauthenticated(detail)
            | Self::InvalidToken(detail)
            | Self::Forbidden(detail)
            | Self::NotFound(detail)
            | Self::PreconditionFailed(detail)
            | Self::NotAcceptable(detail)
            | Self::UnsupportedMediaType(detail) => detail.clone(),
            Self::MethodNotAllowed { allow } => {
                let allow: Vec<&str> = allow.iter().map(Method::as_str).collect();
                msg!("method-not-allowed", methods = allow.join(", "))
            }
            Self::Invalid(errors) => {
                let mut fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
                fields.dedup();
                match fields.as_slice() {
                    [one] => msg!("field-invalid", field = *one),
                    many => msg!("fields-invalid", count = many.len(), fields = many.join(", ")),
                }
            }
            Self::PayloadTooLarge { limit } => msg!("payload-too-large", limit = *limit),
            Self::UploadStalled { seconds } => msg!("upload-stalled", seconds = *seconds),
            Self::Unavailable => msg!("database-unavailable"),
            Self::Timeout { seconds } => msg!("request-timeout", seconds = *seconds),
            Self::Internal(_) => msg!("internal-error"),
        }
    }

    pub fn to_problem(&self) -> Problem {
        let code = self.code();
        Problem {
            problem_type: format!("/problems/{code}"),
            title: crate::http::problems::title(code),
            status: self.status_code().as_u16(),
            detail: self.detail(),
            code: code.into(),
            errors: match self {
                Self::Invalid(errors) => errors.clone(),
                Self::RowsInvalid { errors, .. } => errors.shown(),
                _ => Vec::new(),
            },
            error_count: match self {
                Self::RowsInvalid { errors, .. } => Some(errors.total),
                _ => None,
            },
            error_counts: match self {
                Self::RowsInvalid { errors, .. } => Some(errors.by_code.clone()),
                _ => None,
            },
            existing_id: match self {
                Self::Conflict { existing_id, .. } => *existing_id,
                _ => None,
            },
            error: match self {
                Self::OAuth { error, .. } => Some((*error).to_owned()),
                _ => None,
            },
            error_description: match self {
                Self::OAuth { detail, .. } => Some(detail.clone()),
                _ => None,
            },
        }
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            Self::BadRequest { .. } => StatusCode::BAD_REQUEST,
            Self::Unauthenticated(_) | Self::InvalidToken(_) => StatusCode::UNAUTHORIZED,
            Self::Forbidden(_) => StatusCode::FORBIDDEN,
            Self::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            Self::OAuth { status, .. } => *status,
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::MethodNotAllowed { .. } => StatusCode::METHOD_NOT_ALLOWED,
            Self::Conflict { .. } => StatusCode::CONFLICT,
            Self::PreconditionFailed(_) => StatusCode::PRECONDITION_FAILED,
            Self::PayloadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            Self::UploadStalled { .. } => StatusCode::REQUEST_TIMEOUT,
            Self::NotAcceptable(_) => StatusCode::NOT_ACCEPTABLE,
            Self::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::Invalid(_) | Self::Unprocessable { .. } | Self::RowsInvalid { .. } => {
                StatusCode::UNPROCESSABLE_ENTITY
            }
            Self::Unavailable | Self::Timeout { .. } => StatusCode::SERVICE_UNAVAILABLE,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        if let Self::Internal(error) = self {
            tracing::error!(error.chain = format!("{error:#}"), "request failed");
        }
        let mut response = HttpResponse::build(self.status_code());
        response.content_type(PROBLEM_JSON);
        match self {
            Self::MethodNotAllowed { allow } => {
                let allow: Vec<&str> = allow.iter().map(Method::as_str).collect();
                response.insert_header((header::ALLOW, allow.join(", ")));
            }
            Self::Unavailable | Self::Timeout { .. } => {
                response.insert_header((header::RETRY_AFTER, "5"));
            }
            // Lost to another writer: the same request may well succeed a moment later.
            Self::Conflict {
                code: "concurrent_update",
                ..
            } => {
                response.insert_header((header::RETRY_AFTER, "1"));
            }
            Self::Unauthenticated(_) => {
                response.insert_header((header::WWW_AUTHENTICATE, format!("Bearer realm=\"{REALM}\"")));
            }
            Self::InvalidToken(reason) => {
                // In English whatever the request's language: a header holds ASCII only. The
                // reason is one of our own sentences (no quote, no backslash): safe to quote.
                let reason = reason.render(Lang::En).replace(['"', '\\'], "'");
                response.insert_header((
                    header::WWW_AUTHENTICATE,
                    format!("Bearer realm=\"{REALM}\", error=\"invalid_token\", error_description=\"{reason}\""),
                ));
            }
            Self::TooManyRequests { retry_after, .. } => {
                response.insert_header((header::RETRY_AFTER, retry_after.to_string()));
            }
            Self::OAuth { status, .. } if *status == StatusCode::UNAUTHORIZED => {
                response.insert_header((header::WWW_AUTHENTICATE, format!("Basic realm=\"{REALM}\"")));
            }
            _ => {}
        }
        response.json(self.to_problem())
    }
}

/// The answer to a request body: `validator`'s shape errors (lengths, ranges) and the domain's
/// violations together, each field listed once, or the parsed value when there are none.
pub fn checked<T>(shape: Result<(), ValidationErrors>, parsed: Result<T, Vec<Violation>>) -> Result<T, ApiError> {
    let mut errors = Vec::new();
    if let Err(shape) = shape {
        collect_validator_errors(&shape, "", &mut errors);
        errors.sort_by(|a, b| a.field.cmp(&b.field));
    }
    match parsed {
        Ok(value) if errors.is_empty() => Ok(value),
        Ok(_) => Err(ApiError::Invalid(errors)),
        Err(violations) => {
            for violation in violations {
                if errors.iter().all(|e| e.field != violation.field) {
                    errors.push(violation.into());
                }
            }
            Err(ApiError::Invalid(errors))
        }
    }
}

impl From<Violation> for FieldError {
    fn from(violation: Violation) -> Self {
        Self::new(violation.field, violation.invalid.code, violation.invalid.message)
    }
}

impl From<MissingRecord> for FieldError {
    fn from(missing: MissingRecord) -> Self {
        let invalid = missing.invalid();
        Self::new(missing.field, invalid.code, invalid.message)
    }
}

/// Every record the request names that does not exist: a 422 `not_found` on each field.
impl From<Missing> for ApiError {
    fn from(missing: Missing) -> Self {
        Self::Invalid(missing.0.into_iter().map(FieldError::from).collect())
    }
}

/// Every failing field the checks collected.
impl From<Violations> for ApiError {
    fn from(violations: Violations) -> Self {
        Self::Invalid(violations.into_vec().into_iter().map(FieldError::from).collect())
    }
}
impl From<Denial> for ApiError {
    fn from(denial: Denial) -> Self {
        match denial {
            Denial::Unauthenticated(detail) => Self::Unauthenticated(detail),
            Denial::Forbidden(detail) => Self::Forbidden(detail),
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::NotFound(what) => Self::NotFound(msg!("record-not-found", kind = kind_key(what))),
            StoreError::Duplicate {
                what,
                field,
                value,
                existing_id,
            } => Self::Conflict {
                code: "duplicate",
                detail: msg!("record-duplicate", kind = kind_key(what), field = field, value = value),
                existing_id,
            },
            StoreError::InUse {
                what,
                holders,
                with_accounts,
            } => Self::Conflict {
                code: "in_use",
                detail: msg!(
                    "record-in-use",
                    kind = kind_key(what),
                    holders = crate::store::references::describe(&holders, with_accounts)
                ),
                existing_id: None,
            },
            StoreError::Conflict { code, detail } => Self::Conflict {
                code,
                detail,
                existing_id: None,
            },
            StoreError::Contended(what) => Self::Conflict {
                code: "concurrent_update",
                detail: msg!("record-contended", kind = kind_key(what)),
                existing_id: None,
            },
            StoreError::Unavailable(error) => {
                tracing::warn!(error = %error, "database unavailable");
                Self::Unavailable
            }
            StoreError::Unexpected(error) => Self::Internal(error),
        }
    }
}

/// The kind of record a store error names ("API client"), as the catalogues select on it
/// ("api_client").
fn kind_key(what: &str) -> String {
    what.to_ascii_lowercase().replace(' ', "_")
}

/// Middleware: every error answer is a problem document, including those made outside our
/// handlers (actix-cors refusing a preflight, Swagger UI's own 404…). Answers that already are
/// `application/problem+json` pass unchanged; others keep their status and headers and get a
/// problem body whose detail is their plain-text message when they had a short one.
pub async fn problem_for_every_error(
    req: actix_web::dev::ServiceRequest,
    next: actix_web::middleware::Next<impl actix_web::body::MessageBody + 'static>,
) -> Result<actix_web::dev::ServiceResponse<actix_web::body::BoxBody>, actix_web::Error> {
    let response = match next.call(req).await {
        Ok(response) => response,
        // Ours already (a middleware's, such as the time limit): answered as it is.
        Err(error) if error.as_error::<ApiError>().is_some() => return Err(error),
        Err(error) => {
            let status = error.as_response_error().status_code();
            return Err(ForeignError {
                status,
                detail: error.to_string(),
            }
            .into());
        }
    };
    let status = response.status();
    let is_problem = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(PROBLEM_JSON.as_bytes()));
    if status.as_u16() < 400 || is_problem {
        return Ok(response.map_into_boxed_body());
    }
    let (request, response) = response.into_parts();
    let (head, body) = response.into_parts();
    let text = actix_web::body::to_bytes_limited(body, 1024)
        .await
        .ok()
        .and_then(|b| b.ok())
        .unwrap_or_default();
    let text = std::str::from_utf8(&text).unwrap_or_default().trim();
    let mut answer = generic_problem(status, text).into_response(status);
    for (name, value) in head.headers() {
        if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH {
            answer.headers_mut().insert(name.clone(), value.clone());
        }
    }
    Ok(actix_web::dev::ServiceResponse::new(request, answer))
}

/// An error raised by a middleware of actix or another crate, answered as a problem.
#[derive(Debug, thiserror::Error)]
#[error("{detail}")]
struct ForeignError {
    status: StatusCode,
    detail: String,
}

impl ResponseError for ForeignError {
    fn status_code(&self) -> StatusCode {
        self.status
    }

    fn error_response(&self) -> HttpResponse {
        generic_problem(self.status, &self.detail).into_response(self.status)
    }
}

/// A problem for a status that none of our handlers produced.
fn generic_problem(status: StatusCode, text: &str) -> Problem {
    let code = match status.as_u16() {
        400 => "bad_request",
        401 => "unauthenticated",
        403 => "forbidden",
        404 => "not_found",
        405 => "method_not_allowed",
        406 => "not_acceptable",
        408 => "request_timeout",
        413 => "payload_too_large",
        415 => "unsupported_media_type",
        429 => "too_many_requests",
        503 => "service_unavailable",
        s if s >= 500 => "internal_error",
        _ => "client_error",
    };
    let title = crate::http::problems::title(code);
    // A library's own words (actix's, a middleware's): shown as they are, they are not ours to
    // translate; without them, the title says it.
    let detail = if !text.is_empty() && text.len() <= 300 && !text.contains('<') {
        Message::verbatim(text)
    } else {
        title.clone()
    };
    Problem {
        problem_type: format!("/problems/{code}"),
        title,
        status: status.as_u16(),
        detail,
        code: code.to_owned(),
        errors: Vec::new(),
        error_count: None,
        error_counts: None,
        existing_id: None,
        error: None,
        error_description: None,
    }
}

impl Problem {
    fn into_response(self, status: StatusCode) -> HttpResponse {
        HttpResponse::build(status).content_type(PROBLEM_JSON).json(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_write_lost_to_other_writers_is_a_409_to_try_again_after_a_second() {
        let response = ApiError::from(StoreError::Contended("organisation")).error_response();
        assert_eq!(response.status(), StatusCode::CONFLICT);
        assert_eq!(
            response
                .headers()
                .get(header::RETRY_AFTER)
                .and_then(|v| v.to_str().ok()),
            Some("1")
        );
        let duplicate = ApiError::from(StoreError::Conflict {
            code: "open_accreditation",
            detail: msg!("internal-error"),
        })
        .error_response();
        assert!(
            !duplicate.headers().contains_key(header::RETRY_AFTER),
            "a conflict that a retry cannot solve says nothing of retrying"
        );
    }
}
