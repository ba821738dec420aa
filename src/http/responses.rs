//! The error answers shared by every operation, declared once as OpenAPI response components
//! (`#/components/responses/…`) with an example that matches what the server sends.

use utoipa::openapi::header::Header;
use utoipa::openapi::path::Operation;
use utoipa::openapi::schema::{Object, Type};
use utoipa::openapi::security::SecurityRequirement;
use utoipa::openapi::{ContentBuilder, OpenApi, Ref, RefOr, ResponseBuilder, response::Response};
use utoipa::{Modify, ToResponse};

use crate::http::error::{PROBLEM_JSON, Problem};

macro_rules! problem_responses {
    ($($name:ident => $status:literal, $code:literal, $description:literal, $detail:literal;)*) => {
        $(
            #[doc = $description]
            pub struct $name;

            impl<'r> ToResponse<'r> for $name {
                fn response() -> (&'r str, RefOr<Response>) {
                    let example = serde_json::json!({
                        "type": concat!("/problems/", $code),
                        "status": $status,
                        "detail": $detail,
                        "code": $code,
                    });
                    let example = if $code == "validation_failed" { with_field_errors(example) } else { example };
                    let content = ContentBuilder::new()
                        .schema(Some(utoipa::openapi::Ref::from_schema_name(<Problem as utoipa::ToSchema>::name())))
                        .example(Some(example))
                        .build();
                    let mut response = ResponseBuilder::new().description($description).content(PROBLEM_JSON, content);
                    for &(name, description) in headers_of($status, $code) {
                        response = response.header(name, Header::builder().schema(Some(Object::with_type(Type::String))).description(Some(description)).build());
                    }
                    let response = response.build();
                    (stringify!($name), RefOr::T(response))
                }
            }
        )*

        /// Every shared response, for the components of the OpenAPI document.
        pub fn all() -> Vec<(String, RefOr<Response>)> {
            vec![$({ let (name, response) = $name::response(); (name.to_owned(), response) }),*]
        }
    };
}

/// The error answers operations share, written once here rather than on each operation: added
/// to every operation that declares no answer of that status itself (its own declaration, with a
/// more precise description, wins):
/// - 500 and 503 everywhere but the health probes (which declare what they answer);
/// - 401 wherever a bearer token may be sent (a refused token), even where none is needed;
/// - 404 wherever the path names a record (`{id}`);
/// - 400, 413, 415 and 422 wherever a JSON body is read.
pub struct SharedErrors;

impl Modify for SharedErrors {
    fn modify(&self, openapi: &mut OpenApi) {
        for (path, item) in openapi
            .paths
            .paths
            .iter_mut()
            .filter(|(path, _)| !path.starts_with("/health"))
        {
            let operations = [
                &mut item.get,
                &mut item.post,
                &mut item.put,
                &mut item.patch,
                &mut item.delete,
            ];
            for operation in operations.into_iter().flatten() {
                let mut shared = vec![("500", "InternalError"), ("503", "Unavailable")];
                if accepts_token(operation) {
                    shared.push(("401", "Unauthorized"));
                }
                if path.contains('{') {
                    shared.push(("404", "NotFound"));
                }
                if operation.request_body.is_some() {
                    shared.extend([
                        ("400", "BadRequest"),
                        ("413", "PayloadTooLarge"),
                        ("415", "UnsupportedMediaType"),
                        ("422", "Unprocessable"),
                    ]);
                }
                for (status, name) in shared {
                    operation
                        .responses
                        .responses
                        .entry(status.to_owned())
                        .or_insert_with(|| RefOr::Ref(Ref::from_response_name(name)));
                }
            }
        }
    }
}

/// Whether an operation takes a bearer token: one of its security requirements names a scheme.
fn accepts_token(operation: &Operation) -> bool {
    let anonymous = SecurityRequirement::default();
    operation
        .security
        .iter()
        .flatten()
        .any(|requirement| *requirement != anonymous)
}

/// The headers a problem of this status and code carries.
fn headers_of(status: u16, code: &str) -> &'static [(&'static str, &'static str)] {
    match (status, code) {
        (401, _) => &[(
            "WWW-Authenticate",
            "`Bearer` with, when a token was refused, `error=\"invalid_token\"` and its reason.",
        )],
        (429 | 503, _) | (409, "idempotency_key_in_use") => &[("Retry-After", "Seconds to wait before trying again.")],
        (409, _) => &[(
            "Retry-After",
            "Only on a `concurrent_update`: seconds to wait before trying again.",
        )],
        _ => &[],
    }
}

fn with_field_errors(mut example: serde_json::Value) -> serde_json::Value {
    example["errors"] = serde_json::json!([
        {"field": "siren", "code": "invalid_checksum", "message": "775672273 fails the SIREN check digit (Luhn)"},
        {"field": "region_code", "code": "unknown_code", "message": "05 is not a region code"}
    ]);
    example
}

problem_responses! {
    BadRequest => 400, "malformed_json",
        "The request cannot be read: malformed JSON, or an invalid, unknown or repeated query parameter or cursor.",
        "the body is not valid JSON: EOF while parsing an object at line 1 column 12";
    Unauthorized => 401, "invalid_token",
        "No valid credentials: the operation needs a login (`unauthenticated`), or the bearer token was refused (`invalid_token`: malformed, badly signed, expired, not yet valid, for another issuer or audience, with an unknown role or without its scope). `WWW-Authenticate: Bearer` says why; on the token endpoint, a refused login or grant (`invalid_grant`, `invalid_client`, with an `error` member).",
        "the token has expired";
    Forbidden => 403, "forbidden",
        "The caller is known but its role does not allow this operation on this record.",
        "only administrators may read users";
    NotFound => 404, "not_found",
        "Nothing at this address: an unknown id, or an id that is not a UUID.",
        "no organisation with this id";
    Conflict => 409, "duplicate",
        "The request conflicts with the current state, such as an identifier (SIREN, SIRET, RNA) that another record already holds (`duplicate`; `existing_id` names that record), a record still referenced (`in_use`), or a write lost to other writers of the same record (`concurrent_update`, with `Retry-After`: send it again).",
        "another organisation already has siren 775672272";
    PreconditionFailed => 412, "precondition_failed",
        "`If-Match` does not name the current representation: the record changed since it was read. Nothing was changed; read it again (GET gives the current `ETag`) and re-apply the change.",
        "the organisation has changed since it was read (If-Match \"6b1f0c2a9e4d7f3a8c5b2e1d0f9a8b7c\", current ETag \"0d4e2b8f1a7c3e9d5b6a2f8c4e1d7b3a\")";
    PayloadTooLarge => 413, "payload_too_large",
        "The body is larger than the server accepts (`MAX_BODY_BYTES`).",
        "request body larger than 262144 bytes";
    UnsupportedMediaType => 415, "unsupported_media_type",
        "The body is not sent as JSON (`Content-Type: application/json`).",
        "the body must be JSON (Content-Type: application/json), not text/plain";
    NotAcceptable => 406, "not_acceptable",
        "`Accept` names no format this operation answers: lists answer `application/json` (the default) or `text/csv`.",
        "lists answer application/json or text/csv, not application/xml";
    Unprocessable => 422, "validation_failed",
        "Some fields break the rules; `errors` lists every failing field.",
        "2 fields are invalid: siren, region_code";
    TooManyRequests => 429, "too_many_requests",
        "Too many failed logins for this account or from this address; retry after `Retry-After` seconds.",
        "too many failed logins; try again in 840 seconds";
    InternalError => 500, "internal_error",
        "A fault of the server; it has been logged.",
        "an unexpected error occurred; it has been logged";
    IdempotencyKeyInUse => 409, "idempotency_key_in_use",
        "The first request with this `Idempotency-Key` is still running; retry after `Retry-After` seconds to get its answer.",
        "the first request with this Idempotency-Key is still running; retry shortly to get its answer";
    IdempotencyKeyReused => 422, "idempotency_key_reused",
        "This `Idempotency-Key` was used for another request (another path, query or body) within the last 24 hours; use a new key for a new request.",
        "this Idempotency-Key was used for another request within the last 24 hours; use a new key for a new request";
    Unavailable => 503, "service_unavailable",
        "The database does not answer (`service_unavailable`), or the request took longer than the server allows (`request_timeout`); retry after the `Retry-After` delay.",
        "the database does not answer; try again shortly";
}
