//! What every answer carries for safety (security headers, a `Server` header without a
//! version, `Cache-Control: no-store` on every answer to a request with a token), and the time
//! limit of every request.

use std::time::Duration;

use actix_web::Error;
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::middleware::Next;

use crate::http::error::ApiError;

/// The `Server` header: the product, never its version (which would help an attacker pick
/// exploits).
pub const SERVER: &str = "cress-api";

/// The API answers JSON only: nothing it returns may load, run or frame anything.
pub const API_CSP: &str = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

/// Swagger UI (vendored, served from `/swagger-ui/`): its scripts and style sheets are files of
/// its own origin (no inline script, no eval); React sets inline `style` attributes, so styles
/// need 'unsafe-inline'; its icons are `data:` SVG images; it fetches the OpenAPI document and
/// tokens from this origin; the password and client-credentials flows post no form elsewhere.
pub const SWAGGER_UI_CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
     img-src 'self' data:; connect-src 'self'; font-src 'self'; frame-ancestors 'none'; base-uri 'none'; \
     form-action 'self'";

/// Where Swagger UI's files are served.
pub const SWAGGER_UI_PREFIX: &str = "/swagger-ui/";

/// The time limit of every request, from `REQUEST_TIMEOUT_SECONDS` (app data).
#[derive(Clone, Copy, Debug)]
pub struct RequestTimeout(pub Duration);

/// Adds the security headers, unless a handler set its own.
pub async fn security_headers(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let csp = if req.path().starts_with(SWAGGER_UI_PREFIX) {
        SWAGGER_UI_CSP
    } else {
        API_CSP
    };
    let with_token = req.headers().contains_key(header::AUTHORIZATION);
    let mut response = next.call(req).await?;
    let headers = response.headers_mut();
    if with_token {
        // What a token may read depends on the token: no cache, private or shared, keeps it.
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    // A shared cache must not answer a request carrying a token with an answer kept for another.
    headers.append(header::VARY, HeaderValue::from_static("Authorization"));
    let defaults: [(HeaderName, &'static str); 5] = [
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::CONTENT_SECURITY_POLICY, csp),
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::REFERRER_POLICY, "no-referrer"),
        (header::SERVER, SERVER),
    ];
    for (name, value) in defaults {
        if !headers.contains_key(&name) {
            headers.insert(name, HeaderValue::from_static(value));
        }
    }
    Ok(response)
}

/// Answers 503 `request_timeout` when a request takes longer than the limit, reading of its
/// body included. The request's work is dropped at that point: a transaction still open rolls
/// back, so a request that timed out changed nothing (unless it had already committed). The
/// import keeps its own time: a long upload that keeps arriving is not cut, one that stalls is,
/// and so is the work after it.
pub async fn time_limit(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let Some(RequestTimeout(limit)) = req.app_data::<RequestTimeout>().copied() else {
        return next.call(req).await;
    };
    if req.path() == crate::http::import::IMPORT_PATH {
        return next.call(req).await;
    }
    match tokio::time::timeout(limit, next.call(req)).await {
        Ok(outcome) => outcome,
        Err(_) => {
            tracing::warn!(limit_seconds = limit.as_secs(), "request abandoned: it took too long");
            Err(ApiError::Timeout {
                seconds: limit.as_secs(),
            }
            .into())
        }
    }
}
