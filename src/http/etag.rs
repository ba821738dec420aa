//! Entity tags and conditional requests (RFC 9110 §8.8.3 and §13). Every single-resource answer
//! carries a strong `ETag` computed from the exact representation sent (so that it changes with
//! anything shown: the record, the names it joins, a status read as of today, what the caller
//! may see); `If-None-Match` on a GET answers 304 when the client's copy is current; `If-Match`
//! on a PATCH or DELETE refuses with 412 a change made from a stale copy, and nothing changes.
//!
//! A handler builds the body once with `Tagged::of`, checks `If-Match` against the current
//! record's representation inside the store's compare-and-set closure (so that the check and
//! the write see the same version), and answers with `ok`, `created` or `read`.

use actix_web::dev::Payload;
use actix_web::http::header::{self, HeaderMap, HeaderValue};
use actix_web::{FromRequest, HttpRequest, HttpResponse};
use serde::Serialize;
use sha2::{Digest, Sha256};
use utoipa::Modify;
use utoipa::openapi::header::{Header, HeaderBuilder};
use utoipa::openapi::path::{Operation, ParameterBuilder, ParameterIn};
use utoipa::openapi::schema::{Object, Type};
use utoipa::openapi::{OpenApi, Ref, RefOr, Required, ResponseBuilder};

use crate::domain::message::msg;
use crate::http::error::ApiError;
use crate::store::{StoreError, compare_and_set};

/// A JSON body with its strong entity tag.
#[derive(Debug, Clone)]
pub struct Tagged {
    body: Vec<u8>,
    etag: String,
}

impl Tagged {
    pub fn of<T: Serialize>(value: &T) -> Result<Self, ApiError> {
        let body = serde_json::to_vec(value).map_err(|e| ApiError::Internal(e.into()))?;
        let digest = Sha256::digest(&body);
        let hex: String = digest[..16].iter().map(|b| format!("{b:02x}")).collect();
        Ok(Self {
            body,
            etag: format!("\"{hex}\""),
        })
    }

    pub fn etag(&self) -> &str {
        &self.etag
    }
}

/// `200 OK` with the body and its `ETag`.
pub fn ok(tagged: Tagged) -> HttpResponse {
    HttpResponse::Ok()
        .content_type(mime_json())
        .insert_header((header::ETAG, tagged.etag))
        .body(tagged.body)
}

/// `201 Created` at `location`, with the body and its `ETag`.
pub fn created(location: String, tagged: Tagged) -> HttpResponse {
    HttpResponse::Created()
        .content_type(mime_json())
        .insert_header((header::LOCATION, location))
        .insert_header((header::ETAG, tagged.etag))
        .body(tagged.body)
}

/// The answer to a GET: `304 Not Modified` when `If-None-Match` names the current
/// representation (or is `*`), else `200 OK` with it.
pub fn read(conditions: &Conditions, tagged: Tagged) -> HttpResponse {
    let unchanged = match &conditions.if_none_match {
        None => false,
        Some(Condition::Any) => true,
        // Weak comparison for If-None-Match (RFC 9110 §13.1.2).
        Some(Condition::Tags(tags)) => tags.iter().any(|tag| opaque(tag) == opaque(&tagged.etag)),
    };
    if unchanged {
        HttpResponse::NotModified()
            .insert_header((header::ETAG, tagged.etag))
            .finish()
    } else {
        ok(tagged)
    }
}

fn mime_json() -> HeaderValue {
    HeaderValue::from_static("application/json")
}

/// The tag without its weakness indicator.
fn opaque(tag: &str) -> &str {
    tag.strip_prefix("W/").unwrap_or(tag)
}

/// The conditional headers of a request.
#[derive(Debug, Clone, Default)]
pub struct Conditions {
    if_match: Option<Condition>,
    if_none_match: Option<Condition>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Condition {
    /// `*`: any current representation.
    Any,
    /// The entity tags listed, as sent.
    Tags(Vec<String>),
}

impl Conditions {
    fn from_headers(headers: &HeaderMap) -> Self {
        Self {
            if_match: condition(headers, header::IF_MATCH),
            if_none_match: condition(headers, header::IF_NONE_MATCH),
        }
    }

    /// For a PATCH or DELETE: `Ok` when the request has no `If-Match` or `*`, or when it names
    /// the current representation, built by `current` only when needed (strong comparison: a
    /// weak tag never matches); else the 412 to answer.
    pub fn require_current(
        &self,
        what: &str,
        current: impl FnOnce() -> Result<Tagged, ApiError>,
    ) -> Result<(), ApiError> {
        let Some(Condition::Tags(tags)) = &self.if_match else {
            return Ok(());
        };
        let current = current()?;
        if tags.contains(&current.etag) {
            return Ok(());
        }
        // `what` names the record in English ("ESUS accreditation"); `kind` is its key for the
        // catalogues ("esus_accreditation"), on which French selects its article.
        Err(ApiError::PreconditionFailed(msg!(
            "etag-precondition-failed",
            what = what,
            kind = what.to_ascii_lowercase().replace(' ', "_"),
            tags = tags.join(", "),
            etag = &current.etag
        )))
    }
}

/// Deletes a record as it was checked: reads it (`load`), lets `check` decide on that reading
/// (the policy, `If-Match`) and give its version, and deletes that version only; when the
/// record changed meanwhile, starts again from the read, so the checks always judge what is
/// deleted (a stale `If-Match` then fails with 412).
pub async fn delete_checked<R, E>(
    what: &'static str,
    load: impl AsyncFn() -> Result<R, E>,
    check: impl Fn(&R) -> Result<i64, ApiError>,
    delete: impl AsyncFn(i64) -> Result<(), StoreError>,
) -> Result<(), ApiError>
where
    ApiError: From<E>,
{
    compare_and_set(what, async || {
        let current = load().await?;
        let version = check(&current)?;
        match delete(version).await {
            Err(StoreError::Contended(_)) => Ok(None),
            done => Ok(Some(done?)),
        }
    })
    .await
}

/// The list of entity tags of a conditional header (several headers are one list); `None` when
/// the header is absent. An unreadable value matches nothing.
fn condition(headers: &HeaderMap, name: header::HeaderName) -> Option<Condition> {
    let mut tags = Vec::new();
    let mut present = false;
    for value in headers.get_all(name) {
        present = true;
        let text = value.to_str().unwrap_or_default();
        for tag in text.split(',').map(str::trim).filter(|t| !t.is_empty()) {
            if tag == "*" {
                return Some(Condition::Any);
            }
            tags.push(tag.to_owned());
        }
    }
    present.then_some(Condition::Tags(tags))
}

impl FromRequest for Conditions {
    type Error = ApiError;
    type Future = std::future::Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        std::future::ready(Ok(Self::from_headers(req.headers())))
    }
}

/// Documents the conditional requests in the OpenAPI document, in one place: on every
/// single-resource path (ending with a `{…}` parameter), GET takes `If-None-Match` and may
/// answer 304, PATCH and DELETE take `If-Match` and may answer 412, and every 200 answer carries
/// an `ETag`; every 201 answer carries one too.
pub struct ConditionalRequests;

impl Modify for ConditionalRequests {
    fn modify(&self, openapi: &mut OpenApi) {
        for (path, item) in openapi.paths.paths.iter_mut() {
            let single = path.ends_with('}');
            if let Some(post) = item.post.as_mut() {
                add_etag_header(post, "201");
            }
            if !single {
                continue;
            }
            if let Some(get) = item.get.as_mut() {
                add_header_parameter(
                    get,
                    "If-None-Match",
                    "The `ETag` of the copy you hold: 304 Not Modified, without a body, when it is still current.",
                );
                add_etag_header(get, "200");
                let not_modified = ResponseBuilder::new()
                    .description("Not modified: `If-None-Match` names the current representation; keep your copy.")
                    .header("ETag", etag_header())
                    .build();
                get.responses.responses.insert("304".into(), RefOr::T(not_modified));
            }
            for operation in [item.patch.as_mut(), item.delete.as_mut()].into_iter().flatten() {
                add_header_parameter(
                    operation,
                    "If-Match",
                    "The `ETag` of the representation your change is based on: 412 Precondition Failed, and nothing changes, when the record has changed since (`*`: any current representation).",
                );
                add_etag_header(operation, "200");
                operation
                    .responses
                    .responses
                    .insert("412".into(), RefOr::Ref(Ref::from_response_name("PreconditionFailed")));
            }
        }
    }
}

fn etag_header() -> Header {
    HeaderBuilder::new()
        .schema(Some(Object::with_type(Type::String)))
        .description(Some(
            "Strong entity tag of this representation, for `If-None-Match` (GET) and `If-Match` (PATCH, DELETE).",
        ))
        .build()
}

fn add_etag_header(operation: &mut Operation, status: &str) {
    if let Some(RefOr::T(response)) = operation.responses.responses.get_mut(status) {
        response.headers.insert("ETag".into(), RefOr::T(etag_header()));
    }
}

fn add_header_parameter(operation: &mut Operation, name: &str, description: &str) {
    let parameter = ParameterBuilder::new()
        .name(name)
        .parameter_in(ParameterIn::Header)
        .required(Required::False)
        .description(Some(description))
        .schema(Some(Object::with_type(Type::String)))
        .build();
    operation
        .parameters
        .get_or_insert_with(Vec::new)
        .push(RefOr::T(parameter));
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::test::TestRequest;

    fn conditions(headers: &[(&str, &str)]) -> Conditions {
        let mut request = TestRequest::default();
        for header in headers {
            request = request.insert_header(*header);
        }
        Conditions::from_headers(request.to_http_request().headers())
    }

    #[test]
    fn the_etag_is_strong_and_follows_every_byte_of_the_representation() {
        let a = Tagged::of(&serde_json::json!({"name": "a", "version": 1})).unwrap();
        let same = Tagged::of(&serde_json::json!({"name": "a", "version": 1})).unwrap();
        let other = Tagged::of(&serde_json::json!({"name": "b", "version": 1})).unwrap();
        assert_eq!(a.etag(), same.etag());
        assert_ne!(a.etag(), other.etag());
        assert!(a.etag().starts_with('"') && a.etag().ends_with('"') && a.etag().len() == 34);
    }

    #[test]
    fn if_match_accepts_the_current_tag_or_star_and_refuses_stale_and_weak_tags() {
        let current = Tagged::of(&1).unwrap();
        let stale = Tagged::of(&2).unwrap();
        let check = |headers: &[(&str, &str)]| conditions(headers).require_current("record", || Ok(current.clone()));
        assert!(check(&[]).is_ok());
        assert!(check(&[("if-match", "*")]).is_ok());
        assert!(check(&[("if-match", current.etag())]).is_ok());
        let list = format!("{}, {}", stale.etag(), current.etag());
        assert!(check(&[("if-match", &list)]).is_ok());
        assert!(matches!(
            check(&[("if-match", stale.etag())]),
            Err(ApiError::PreconditionFailed(_))
        ));
        let weak = format!("W/{}", current.etag());
        assert!(check(&[("if-match", &weak)]).is_err());
        assert!(check(&[("if-match", "garbage")]).is_err());
    }

    #[test]
    fn if_none_match_gives_304_for_the_current_tag_weak_or_strong() {
        let current = Tagged::of(&1).unwrap();
        let weak = format!("W/{}", current.etag());
        for header in [current.etag(), weak.as_str(), "*"] {
            let answer = read(&conditions(&[("if-none-match", header)]), current.clone());
            assert_eq!(answer.status(), 304, "{header}");
            assert_eq!(answer.headers().get("etag").unwrap(), current.etag());
        }
        let stale = Tagged::of(&2).unwrap();
        assert_eq!(
            read(&conditions(&[("if-none-match", stale.etag())]), current.clone()).status(),
            200
        );
        assert_eq!(read(&conditions(&[]), current).status(), 200);
    }
}
