//! Safe retries: a POST that carries `Idempotency-Key` is run once per caller and key; sent
//! again within 24 hours with the same request, it gets the first answer again (same status,
//! `Content-Type`, `Location`, `ETag` and body, plus `Idempotent-Replayed: true`) without
//! writing twice. The same key with another request is a 422 (`idempotency_key_reused`); a key
//! whose first request still runs is a 409 (`idempotency_key_in_use`, `Retry-After: 1`).
//!
//! One middleware around `/api/v1` does it for every documented POST operation, except those
//! whose answers carry credentials (`/auth/*`: tokens; `/clients*`: client secrets), which must
//! never be stored: there the header is ignored. Keys live in the database, scoped to the whole
//! principal of the caller's token (subject, role, region, organisation: see `owner_of`), so
//! they hold across restarts and instances and one caller never gets another's answer. Anonymous
//! requests and refused tokens pass through untouched (the handler answers 401), and an answer
//! refusing the caller (401, 403) is not kept: a caller the policy refuses stores nothing.

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderMap, HeaderName, HeaderValue};
use actix_web::http::{Method, StatusCode};
use actix_web::middleware::Next;
use actix_web::web::{self, Bytes};
use actix_web::{Error, FromRequest, HttpMessage, HttpResponse, ResponseError};
use chrono::{DateTime, TimeDelta, Utc};
use sha2::{Digest, Sha256};
use tracing::Instrument;
use utoipa::Modify;
use utoipa::openapi::path::{Operation, ParameterBuilder, ParameterIn};
use utoipa::openapi::schema::{ObjectBuilder, Type};
use utoipa::openapi::{OpenApi, Ref, RefOr, Required};

use crate::auth::Caller;
use crate::auth::tokens::Principal;
use crate::domain::message::{Message, msg};
use crate::http::AppState;
use crate::http::error::ApiError;
use crate::http::extract::{BodyLimit, DEFAULT_BODY_LIMIT, read_limited};
use crate::http::methods::AllowedMethods;
use crate::store::Store;
use crate::store::idempotency::{KeyState, StoredAnswer};

pub const IDEMPOTENCY_KEY: HeaderName = HeaderName::from_static("idempotency-key");
pub const IDEMPOTENT_REPLAYED: HeaderName = HeaderName::from_static("idempotent-replayed");

/// How long a key is kept after its first use.
const KEPT_FOR: TimeDelta = TimeDelta::hours(24);
/// A first request still "running" after this long ran on an instance that stopped (or lost
/// its database) before it could answer: a retry takes the key over.
const STALE_AFTER: TimeDelta = TimeDelta::seconds(60);
/// Expired keys deleted at most per new key, so that the clean-up costs little each time.
const PURGE_BATCH: i64 = 100;
/// Tries to hold a key that another request releases or takes over at the same moment.
const CLAIM_ATTEMPTS: usize = 3;
/// The longest key accepted, as most APIs with idempotency keys do.
const MAX_KEY_LEN: usize = 255;

/// Whether the POST operation at `path` (under `/api/v1`, as in the OpenAPI document) honours
/// `Idempotency-Key`: every one except those whose answers carry credentials, and the bulk
/// import, whose body may be far larger than `MAX_BODY_BYTES` (the limit this middleware buffers
/// up to) and which is safe to retry as it is (a failed import writes nothing; a repeated one
/// finds its rows known).
pub fn honours_key(path: &str) -> bool {
    let under = |prefix: &str| {
        path.strip_prefix(prefix)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
    };
    path.starts_with("/api/v1/")
        && !under("/api/v1/auth")
        && !under("/api/v1/clients")
        && path != crate::http::import::IMPORT_PATH
}

/// The middleware, wrapped around the `/api/v1` scope.
pub async fn idempotency(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let applies = req.method() == Method::POST
        && req.headers().contains_key(IDEMPOTENCY_KEY)
        && honours_key(req.path())
        && req
            .app_data::<web::Data<AllowedMethods>>()
            .is_some_and(|allowed| allowed.allows(req.path(), &Method::POST));
    if !applies {
        return next.call(req).await.map(ServiceResponse::map_into_boxed_body);
    }
    let subject = match Caller::extract(req.request()).await {
        Ok(Caller::Authenticated(principal)) => owner_of(&principal),
        // Anonymous or refused: the handler answers 401 and there is nothing to keep.
        _ => return next.call(req).await.map(ServiceResponse::map_into_boxed_body),
    };
    let Some(state) = req.app_data::<web::Data<AppState>>().cloned() else {
        return Err(ApiError::Internal(anyhow::anyhow!("AppState is not registered")).into());
    };
    let prepared = async {
        let key = key_of(req.headers())?;
        let body = read_body(&mut req).await?;
        Ok::<_, ApiError>((key, body))
    }
    .await;
    let (key, body) = match prepared {
        Ok(prepared) => prepared,
        Err(error) => return Ok(req.error_response(error)),
    };
    let fingerprint = fingerprint(&req, &body);
    req.set_payload(Payload::from(body));
    let started_at = match hold(&state.store, &subject, &key, &fingerprint).await {
        Ok(Holding::Held(started_at)) => started_at,
        Ok(Holding::Replay(answer)) => {
            tracing::debug!("idempotency key seen before: the first answer is replayed");
            return Ok(req.into_response(replay(&answer)));
        }
        Ok(Holding::InUse) => {
            let mut response = req.error_response(ApiError::Conflict {
                code: "idempotency_key_in_use",
                detail: msg!("idempotency-key-in-use"),
                existing_id: None,
            });
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
            return Ok(response);
        }
        Err(error) => return Ok(req.error_response(error)),
    };
    let held = Held {
        store: state.store.clone(),
        subject,
        key,
        started_at,
    };
    // The request and the record of its answer run as a task of their own, so that a caller
    // who hangs up (a client timing out, then retrying) does not stop them half-way: the retry
    // gets the answer rather than a second run.
    actix_web::rt::spawn(held.run(next, req).in_current_span())
        .await
        .map_err(|error| ApiError::Internal(anyhow::anyhow!("the request task failed: {error}")))?
}

/// Whose a key is: the whole principal of the token, so that two tokens with the same `sub`
/// but another role or scope (a viewer's and an administrator's, say) never share answers. A
/// JSON array, so that no subject can be made to look like another principal.
fn owner_of(principal: &Principal) -> String {
    let role = &principal.role;
    serde_json::json!([
        principal.subject,
        role.name().as_str(),
        role.region().map(|r| r.as_str()),
        role.org(),
    ])
    .to_string()
}

/// The key of the request: 1 to 255 visible ASCII characters, sent once.
fn key_of(headers: &HeaderMap) -> Result<String, ApiError> {
    let invalid = |detail: Message| ApiError::bad_request("invalid_idempotency_key", detail);
    let mut values = headers.get_all(IDEMPOTENCY_KEY);
    let value = values.next().ok_or_else(|| invalid(msg!("idempotency-key-missing")))?;
    if values.next().is_some() {
        return Err(invalid(msg!("idempotency-key-repeated")));
    }
    let bytes = value.as_bytes();
    if bytes.is_empty() || bytes.len() > MAX_KEY_LEN || !bytes.iter().all(u8::is_ascii_graphic) {
        return Err(invalid(msg!("idempotency-key-malformed")));
    }
    Ok(String::from_utf8_lossy(bytes).into_owned())
}

/// The raw body (still encoded as sent), within the body limit, answered as the JSON extractor
/// answers.
async fn read_body(req: &mut ServiceRequest) -> Result<Bytes, ApiError> {
    let limit = req.app_data::<BodyLimit>().map_or(DEFAULT_BODY_LIMIT, |l| l.0);
    let payload = req.take_payload();
    read_limited(req.headers(), payload, limit).await
}

/// SHA-256 of what makes a request this request: method, path, query, content type and body.
/// The parts are separated by NUL, which none of the first four may contain.
fn fingerprint(req: &ServiceRequest, body: &[u8]) -> String {
    let content_type = req
        .headers()
        .get(header::CONTENT_TYPE)
        .map_or(&[][..], HeaderValue::as_bytes);
    let mut hasher = Sha256::new();
    for part in [
        req.method().as_str().as_bytes(),
        req.path().as_bytes(),
        req.query_string().as_bytes(),
        content_type,
    ] {
        hasher.update(part);
        hasher.update([0]);
    }
    hasher.update(body);
    hasher.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

/// What a request may do with its key.
enum Holding {
    /// Run: the key is ours, `in_progress` since this time.
    Held(DateTime<Utc>),
    /// Answer what the first request answered.
    Replay(StoredAnswer),
    /// Wait: the first request with this key still runs.
    InUse,
}

/// Holds the key for this request, or says what to answer instead.
async fn hold(store: &Store, subject: &str, key: &str, fingerprint: &str) -> Result<Holding, ApiError> {
    // Housekeeping first: a failure here must not fail the request.
    if let Err(error) = store
        .purge_expired_idempotency_keys(crate::store::now(), PURGE_BATCH)
        .await
    {
        tracing::warn!(error = %error, "expired idempotency keys could not be deleted");
    }
    for _ in 0..CLAIM_ATTEMPTS {
        let now = crate::store::now();
        if store
            .claim_idempotency_key(subject, key, fingerprint, now, now + KEPT_FOR)
            .await?
        {
            return Ok(Holding::Held(now));
        }
        let Some(seen) = store.idempotency_key(subject, key).await? else {
            continue; // released meanwhile: claim it again
        };
        let take_over =
            |expires_at| store.take_over_idempotency_key(subject, key, seen.started_at, fingerprint, now, expires_at);
        if seen.expires_at <= now {
            if take_over(now + KEPT_FOR).await? {
                return Ok(Holding::Held(now));
            }
            continue;
        }
        if seen.fingerprint != fingerprint {
            return Err(ApiError::Unprocessable {
                code: "idempotency_key_reused",
                detail: msg!("idempotency-key-reused"),
            });
        }
        match seen.state {
            KeyState::Done(answer) => return Ok(Holding::Replay(answer)),
            KeyState::InProgress if seen.started_at + STALE_AFTER > now => return Ok(Holding::InUse),
            KeyState::InProgress => {
                tracing::warn!("an idempotency key left in progress for over a minute is taken over");
                if take_over(seen.expires_at).await? {
                    return Ok(Holding::Held(now));
                }
            }
        }
    }
    Ok(Holding::InUse)
}

/// The stored answer, as sent again.
fn replay(answer: &StoredAnswer) -> HttpResponse {
    let status = StatusCode::from_u16(answer.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut response = HttpResponse::build(status);
    for (name, value) in [
        (header::CONTENT_TYPE, &answer.content_type),
        (header::LOCATION, &answer.location),
        (header::ETAG, &answer.etag),
    ] {
        if let Some(value) = value.as_deref().and_then(|v| HeaderValue::from_str(v).ok()) {
            response.insert_header((name, value));
        }
    }
    response
        .insert_header((IDEMPOTENT_REPLAYED, HeaderValue::from_static("true")))
        .body(answer.body.clone())
}

/// A key held by the request being served.
struct Held {
    store: Store,
    subject: String,
    key: String,
    started_at: DateTime<Utc>,
}

impl Held {
    /// Runs the request; keeps its answer, unless it is one to try again later (see
    /// [`worth_keeping`]), which releases the key so that a retry runs again.
    async fn run(
        self,
        next: Next<impl MessageBody + 'static>,
        req: ServiceRequest,
    ) -> Result<ServiceResponse<BoxBody>, Error> {
        let response = match next.call(req).await {
            Ok(response) if worth_keeping(response.status(), response.headers()) => response,
            outcome => {
                self.release().await;
                return outcome.map(ServiceResponse::map_into_boxed_body);
            }
        };
        let (request, response) = response.into_parts();
        let (head, body) = response.into_parts();
        let body = match actix_web::body::to_bytes(body).await {
            Ok(body) => body,
            Err(error) => {
                self.release().await;
                let error: Box<dyn std::error::Error> = error.into();
                let error = ApiError::Internal(anyhow::anyhow!("the answer could not be read: {error}"));
                return Ok(ServiceResponse::new(request, error.error_response()));
            }
        };
        let text = |name: HeaderName| {
            head.headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        };
        let answer = StoredAnswer {
            status: head.status().as_u16(),
            content_type: text(header::CONTENT_TYPE),
            location: text(header::LOCATION),
            etag: text(header::ETAG),
            body: body.to_vec(),
        };
        match self
            .store
            .complete_idempotency_key(&self.subject, &self.key, self.started_at, &answer)
            .await
        {
            Ok(true) => {}
            Ok(false) => tracing::warn!("the idempotency key was taken over meanwhile: this answer is not kept"),
            Err(error) => tracing::error!(error = %error, "the answer of an idempotent request could not be kept"),
        }
        Ok(ServiceResponse::new(request, head.set_body(body).map_into_boxed_body()))
    }

    async fn release(&self) {
        if let Err(error) = self
            .store
            .release_idempotency_key(&self.subject, &self.key, self.started_at)
            .await
        {
            tracing::warn!(error = %error, "an idempotency key could not be released");
        }
    }
}

/// Documents the header on every POST operation that honours it, with its 409 and 422 answers
/// where the operation has none of that status yet.
pub struct IdempotencyKeys;

impl Modify for IdempotencyKeys {
    fn modify(&self, openapi: &mut OpenApi) {
        for (path, item) in openapi.paths.paths.iter_mut() {
            if let Some(operation) = item.post.as_mut().filter(|_| honours_key(path)) {
                document(operation);
            }
        }
    }
}

/// Whether an answer is the outcome of the request, to be replayed to its retries: not when it
/// failed on our side (5xx) or asks to be tried again later (`Retry-After`: a 409
/// `concurrent_update` lost to another writer, a 429), where a retry must run again; nor when it
/// refuses the caller (401, 403): a refused caller leaves nothing behind.
fn worth_keeping(status: StatusCode, headers: &HeaderMap) -> bool {
    !status.is_server_error()
        && !headers.contains_key(header::RETRY_AFTER)
        && !matches!(status, StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN)
}

fn document(operation: &mut Operation) {
    let parameter = ParameterBuilder::new()
        .name("Idempotency-Key")
        .parameter_in(ParameterIn::Header)
        .required(Required::False)
        .description(Some(
            "Makes a retry safe: a unique value per request (a UUID, say), 1 to 255 visible ASCII characters. \
             Sent again by the same caller (same token subject, role and scope) within 24 hours with the same request (path, query, content type and \
             body), it gets the first answer again (status, `Content-Type`, `Location`, `ETag`, body) with \
             `Idempotent-Replayed: true`, and nothing is written twice; answers that ask to try again later (5xx, \
             or with `Retry-After`) are not kept, so a retry runs again. With another request it is a 422 `idempotency_key_reused`; while the first request runs, a \
             409 `idempotency_key_in_use` with `Retry-After`. A malformed key is a 400 `invalid_idempotency_key`.",
        ))
        .schema(Some(
            ObjectBuilder::new()
                .schema_type(Type::String)
                .min_length(Some(1))
                .max_length(Some(MAX_KEY_LEN))
                .pattern(Some("^[\\x21-\\x7E]+$"))
                .examples([serde_json::json!("0193a1f2-7c4e-7d2a-9b1e-2f5c8a9d0e11")]),
        ))
        .build();
    operation
        .parameters
        .get_or_insert_with(Vec::new)
        .push(RefOr::T(parameter));
    let responses = &mut operation.responses.responses;
    for (status, name) in [
        ("400", "BadRequest"),
        ("409", "IdempotencyKeyInUse"),
        ("422", "IdempotencyKeyReused"),
    ] {
        responses
            .entry(status.to_owned())
            .or_insert_with(|| RefOr::Ref(Ref::from_response_name(name)));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn worth_keeping_holds_outcomes_but_not_answers_to_try_again_later() {
        let none = HeaderMap::new();
        let mut retry = HeaderMap::new();
        retry.insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
        for (status, headers, kept) in [
            (StatusCode::CREATED, &none, true),
            (StatusCode::UNPROCESSABLE_ENTITY, &none, true),
            (StatusCode::CONFLICT, &none, true),
            (StatusCode::NOT_FOUND, &none, true),
            (StatusCode::UNAUTHORIZED, &none, false),
            (StatusCode::FORBIDDEN, &none, false),
            (StatusCode::CONFLICT, &retry, false),
            (StatusCode::TOO_MANY_REQUESTS, &retry, false),
            (StatusCode::SERVICE_UNAVAILABLE, &retry, false),
            (StatusCode::INTERNAL_SERVER_ERROR, &none, false),
        ] {
            assert_eq!(worth_keeping(status, headers), kept, "{status} {headers:?}");
        }
    }

    #[test]
    fn honours_key_everywhere_but_where_answers_carry_credentials() {
        assert!(honours_key("/api/v1/organisations"));
        assert!(honours_key("/api/v1/clubs/{id}/members"));
        assert!(honours_key("/api/v1/clientsx"));
        assert!(!honours_key("/api/v1/auth/token"));
        assert!(!honours_key("/api/v1/auth/logout"));
        assert!(!honours_key("/api/v1/clients"));
        assert!(!honours_key("/api/v1/clients/{id}/secret"));
        assert!(!honours_key("/api/v1/organisations/import"));
        assert!(!honours_key("/health/ready"));
    }

    #[test]
    fn key_of_accepts_1_to_255_visible_ascii_characters_once() {
        let headers = |values: &[&[u8]]| {
            let mut map = HeaderMap::new();
            for value in values {
                map.append(IDEMPOTENCY_KEY, HeaderValue::from_bytes(value).expect("a header value"));
            }
            map
        };
        assert_eq!(key_of(&headers(&[b"a"])).ok().as_deref(), Some("a"));
        assert!(key_of(&headers(&[&[b'k'; 255]])).is_ok());
        for (bad, why) in [
            (headers(&[&[b'k'; 256]]), "256 characters"),
            (headers(&[b""]), "empty"),
            (headers(&[b"two words"]), "a space"),
            (headers(&[b"cl\xc3\xa9"]), "not ASCII"),
            (headers(&[b"a\tb"]), "a tab"),
            (headers(&[b"a", b"b"]), "two headers"),
        ] {
            let error = key_of(&bad).err();
            assert!(
                error.as_ref().is_some_and(|e| e.code() == "invalid_idempotency_key"),
                "{why}: {error:?}"
            );
        }
    }
}
