//! Request extractors that answer problem+json: JSON bodies and query strings whose errors name
//! the field at fault, and the handlers for actix's own path and payload errors.

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::error::PayloadError;
use actix_web::http::header::{self, HeaderMap};
use actix_web::web::{Bytes, BytesMut};
use actix_web::{FromRequest, HttpMessage, HttpRequest, web};
use futures_util::{Stream, StreamExt};
use serde::de::DeserializeOwned;

use crate::auth::Caller;
use crate::auth::tokens::TokenError;
use crate::domain::message::{Message, msg};
use crate::http::AppState;
use crate::http::error::{ApiError, FieldError};

/// A JSON request body. Accepts `application/json` and any `application/*+json` (such as
/// `application/merge-patch+json` for PATCH). Unreadable JSON is a 400; JSON of the wrong shape
/// (a wrong type, an unknown or duplicate field) is a 422 naming the field.
pub struct JsonBody<T>(pub T);

impl<T: DeserializeOwned + 'static> FromRequest for JsonBody<T> {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let bytes = json_bytes(req, payload);
        Box::pin(async move { parse_json(&bytes.await?).map(JsonBody) })
    }
}

/// The bytes of a JSON request body: a 415 for another media type, a 413 over the body limit, a
/// 400 when it cannot be read.
pub fn json_bytes(req: &HttpRequest, payload: &mut Payload) -> impl Future<Output = Result<Bytes, ApiError>> + use<> {
    let media_type = check_json_media_type(req);
    let limit = req.app_data::<BodyLimit>().map_or(DEFAULT_BODY_LIMIT, |l| l.0);
    let body = web::Bytes::from_request(req, payload);
    async move {
        media_type?;
        body.await.map_err(|error| {
            if error.as_response_error().status_code() == actix_web::http::StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::PayloadTooLarge { limit }
            } else {
                ApiError::bad_request("unreadable_body", msg!("extract-body-unreadable"))
            }
        })
    }
}

/// The body size limit, shared with actix's `PayloadConfig` so both answer the same.
#[derive(Clone, Copy, Debug)]
pub struct BodyLimit(pub usize);

pub(crate) const DEFAULT_BODY_LIMIT: usize = 262_144;

fn check_json_media_type(req: &HttpRequest) -> Result<(), ApiError> {
    let Some(value) = req.headers().get(header::CONTENT_TYPE) else {
        return Err(ApiError::UnsupportedMediaType(msg!("extract-content-type-missing")));
    };
    let essence = value
        .to_str()
        .unwrap_or_default()
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    let is_json = essence == "application/json"
        || essence
            .strip_prefix("application/")
            .is_some_and(|sub| sub.ends_with("+json"));
    if is_json {
        Ok(())
    } else {
        Err(ApiError::UnsupportedMediaType(msg!(
            "extract-content-type-not-json",
            media_type = essence
        )))
    }
}

/// Parses a JSON body in two passes: first the syntax alone, as a `Value` (any error is a 400,
/// including a lone surrogate escape or nesting deeper than serde_json's limit), then the shape
/// of `T` (any error is a 422 naming the field). The first pass is needed because serde_json reports some shape errors, such as a
/// number where an enum's string belongs, as syntax errors.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let malformed = |detail: Message| ApiError::bad_request("malformed_json", detail);
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(malformed(msg!("extract-body-empty")));
    }
    serde_json::from_slice::<serde_json::Value>(bytes)
        .map_err(|error| malformed(msg!("extract-json-invalid", reason = error.to_string())))?;
    if bytes.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
        return Err(malformed(msg!("extract-json-not-object")));
    }
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    serde_path_to_error::deserialize(&mut deserializer).map_err(shape_error)
}

/// Reads a JSON object already parsed (a row of a bulk import) as `T`, with the errors of
/// `parse_json`'s second pass: a 422 naming the field.
pub fn parse_value<T: DeserializeOwned>(value: serde_json::Value) -> Result<T, ApiError> {
    serde_path_to_error::deserialize(value).map_err(shape_error)
}

/// A body of the wrong shape: a 422 naming the field at fault, in serde's own words.
fn shape_error(error: serde_path_to_error::Error<serde_json::Error>) -> ApiError {
    let path = error.path().to_string();
    let message = strip_position(&error.into_inner().to_string());
    let (field, code) = field_and_code(&path, &message);
    ApiError::Invalid(vec![FieldError::new(field, code, shape_message(code, &message))])
}

/// serde's sentence about a body's shape, in words of the catalogues where it has a known form
/// (the names and values it quotes kept as they are); a wrong type stays in serde's words.
fn shape_message(code: &str, message: &str) -> Message {
    let quoted = message.split('`').nth(1).unwrap_or_default().to_owned();
    let expected = message
        .split_once(", expected ")
        .map(|(_, expected)| expected.trim_start_matches("one of ").to_owned())
        .unwrap_or_default();
    match code {
        "unknown_field" => msg!("json-unknown-field", name = quoted, expected = expected),
        "required" => msg!("json-missing-field"),
        "duplicate_field" => msg!("json-duplicate-field"),
        "unknown_value" => msg!("json-unknown-value", value = quoted, expected = expected),
        _ => Message::verbatim(message),
    }
}

/// serde_json appends " at line 1 column 7" to its messages: useful for syntax errors, noise for
/// a field that is already named.
fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(index) => message[..index].to_owned(),
        None => message.to_owned(),
    }
}

/// For errors about a field of an object (unknown or missing), serde's path stops at the object:
/// name the field itself from the message.
fn field_and_code(path: &str, message: &str) -> (String, &'static str) {
    let join = |name: &str| {
        if path == "." || path.is_empty() {
            name.to_owned()
        } else if path == name || path.ends_with(&format!(".{name}")) {
            path.to_owned()
        } else {
            format!("{path}.{name}")
        }
    };
    let quoted = message.split('`').nth(1).unwrap_or_default();
    if message.starts_with("unknown field") {
        (join(quoted), "unknown_field")
    } else if message.starts_with("missing field") {
        (join(quoted), "required")
    } else if message.starts_with("duplicate field") {
        (join(quoted), "duplicate_field")
    } else if message.starts_with("unknown variant") {
        (path.to_owned(), "unknown_value")
    } else {
        (path.to_owned(), "invalid_type")
    }
}

/// For PATCH bodies (`#[serde(default, deserialize_with = "present")]` on an
/// `Option<Option<T>>`): a field that is present, even as `null`, is `Some`; an absent one `None`.
pub fn present<'de, T: serde::Deserialize<'de>, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<Option<T>>, D::Error> {
    <Option<T> as serde::Deserialize>::deserialize(deserializer).map(Some)
}

/// What a merge patch leaves of one field: the patch's value (`null` included) when the patch
/// names the field (`present`), else the `current` one.
pub fn pick<T: Clone>(patch: &Option<Option<T>>, current: Option<T>) -> Option<T> {
    match patch {
        Some(value) => value.clone(),
        None => current,
    }
}

/// Query-string parameters. A malformed, unknown or repeated parameter is a 400 naming it.
pub struct Query<T>(pub T);

impl<T: DeserializeOwned> FromRequest for Query<T> {
    type Error = ApiError;
    type Future = std::future::Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        std::future::ready(parse_query(req.query_string()).map(Query))
    }
}

pub fn parse_query<T: DeserializeOwned>(query: &str) -> Result<T, ApiError> {
    let deserializer = serde_urlencoded::Deserializer::new(form_urlencoded::parse(query.as_bytes()));
    serde_path_to_error::deserialize(deserializer).map_err(|error| {
        let path = error.path().to_string();
        let message = error.into_inner().to_string();
        let (field, _) = field_and_code(&path, &message);
        if field.is_empty() || message.contains(&format!("`{field}`")) {
            ApiError::bad_request("invalid_parameter", msg!("extract-query-invalid", reason = message))
        } else {
            ApiError::invalid_parameter(&field, Message::verbatim(message))
        }
    })
}

/// actix's answer to a path segment that does not parse (an id that is not a UUID).
pub fn path_error(error: actix_web::error::PathError, req: &HttpRequest) -> actix_web::Error {
    tracing::debug!(error = %error, "path does not parse");
    // `PATCH /sponsorships/summary` reaches `PATCH /sponsorships/{id}`: the path is documented,
    // for other methods only, so the answer is a 405, not a 404 about the id.
    if let Some(allowed) = req.app_data::<web::Data<crate::http::methods::AllowedMethods>>()
        && let Some(methods) = allowed.for_path(req.path())
        && !methods.contains(req.method())
    {
        return ApiError::MethodNotAllowed {
            allow: methods.to_vec(),
        }
        .into();
    }
    ApiError::NotFound(msg!("extract-path-not-uuid", path = req.path())).into()
}

/// A whole body read from `payload`, up to `limit` bytes: a 413 as soon as it is known to be
/// larger (from `Content-Length` in `headers`, or while reading), a 400 when it cannot be read.
pub async fn read_limited(
    headers: &HeaderMap,
    mut payload: impl Stream<Item = Result<Bytes, PayloadError>> + Unpin,
    limit: usize,
) -> Result<Bytes, ApiError> {
    let declared = declared_length(headers, limit)?;
    let mut body = BytesMut::with_capacity(declared.unwrap_or(0));
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(unreadable_body)?;
        if body.len() + chunk.len() > limit {
            return Err(ApiError::PayloadTooLarge { limit });
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body.freeze())
}

/// The body's length as `Content-Length` in `headers` declares it, if it does: a 413 when it is
/// over `limit`, before any of the body is read.
pub fn declared_length(headers: &HeaderMap, limit: usize) -> Result<Option<usize>, ApiError> {
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    match declared {
        Some(length) if length > limit => Err(ApiError::PayloadTooLarge { limit }),
        _ => Ok(declared),
    }
}

/// A body that could not be read (the connection broke, a malformed chunk): a 400.
pub fn unreadable_body(_: PayloadError) -> ApiError {
    ApiError::bad_request("unreadable_body", msg!("extract-body-unreadable"))
}

/// The caller, from its `Authorization: Bearer` header: anonymous when there is no such header,
/// authenticated when the token passes every check, refused (401) otherwise.
impl FromRequest for Caller {
    type Error = ApiError;
    type Future = std::future::Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        std::future::ready(caller_of(req))
    }
}

fn caller_of(req: &HttpRequest) -> Result<Caller, ApiError> {
    let mut values = req.headers().get_all(header::AUTHORIZATION);
    let Some(value) = values.next() else {
        return Ok(Caller::Anonymous);
    };
    if values.next().is_some() {
        return Err(ApiError::InvalidToken(msg!("extract-authorization-repeated")));
    }
    let token = bearer_token(value.to_str().unwrap_or_default())
        .ok_or_else(|| ApiError::InvalidToken(msg!("extract-authorization-not-bearer")))?;
    let state = req
        .app_data::<web::Data<AppState>>()
        .ok_or_else(|| ApiError::Internal(anyhow::anyhow!("AppState is not registered")))?;
    match state.auth.keys.verify(token) {
        Ok(principal) => {
            if let Some(span) = req.extensions().get::<tracing_actix_web::RootSpan>() {
                span.record("caller", principal.subject.as_str());
            }
            Ok(Caller::Authenticated(principal))
        }
        Err(error) => {
            tracing::debug!(reason = %error, "bearer token refused");
            Err(ApiError::InvalidToken(token_refused(error)))
        }
    }
}

/// Why a token was refused, for `error_description`: the words of [`TokenError`]'s `Display`.
fn token_refused(error: TokenError) -> Message {
    match error {
        TokenError::Malformed => msg!("extract-token-malformed"),
        TokenError::Algorithm => msg!("extract-token-algorithm"),
        TokenError::UnknownKey => msg!("extract-token-unknown-key"),
        TokenError::Signature => msg!("extract-token-signature"),
        TokenError::Expired => msg!("extract-token-expired"),
        TokenError::NotYetValid => msg!("extract-token-not-yet-valid"),
        TokenError::Issuer => msg!("extract-token-issuer"),
        TokenError::Audience => msg!("extract-token-audience"),
        TokenError::Role => msg!("extract-token-role"),
        TokenError::Scope => msg!("extract-token-scope"),
    }
}

/// The token of `Bearer <token>` (the scheme is case-insensitive, RFC 9110 §11.1); `None` for
/// another scheme, an empty token or a token with characters no JWT has.
fn bearer_token(value: &str) -> Option<&str> {
    let (scheme, token) = value.trim().split_once(' ')?;
    let token = token.trim();
    let is_jwt_text = token
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'='));
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty() && is_jwt_text).then_some(token)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bearer_token_reads_the_bearer_scheme_only() {
        assert_eq!(bearer_token("Bearer abc.def.ghi"), Some("abc.def.ghi"));
        assert_eq!(bearer_token("bearer abc"), Some("abc"));
        assert_eq!(bearer_token("Basic dXNlcjpwYXNz"), None);
        assert_eq!(bearer_token("Bearer"), None);
        assert_eq!(bearer_token("Bearer "), None);
        assert_eq!(bearer_token("Bearer a b"), None);
        assert_eq!(bearer_token("abc.def.ghi"), None);
    }
}
