//! Request ids and the request span: every request gets an id (taken from `X-Request-Id` when
//! the caller sends a sensible one, generated otherwise), echoed in the response and carried by
//! the span, with method, route, status and latency.

use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{Error, HttpMessage};
use tracing::Span;
use tracing_actix_web::RootSpanBuilder;

pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The id of the request being served.
#[derive(Clone, Debug)]
pub struct RequestId(pub String);

/// When the request arrived, for its latency.
#[derive(Clone, Copy, Debug)]
struct Started(Instant);

/// Takes or makes the request id, and echoes it in `X-Request-Id`.
pub async fn request_id(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let id = req
        .headers()
        .get(&REQUEST_ID)
        .and_then(|value| value.to_str().ok())
        .filter(|value| is_sensible_id(value))
        .map(str::to_owned)
        .unwrap_or_else(|| uuid::Uuid::now_v7().to_string());
    req.extensions_mut().insert(RequestId(id.clone()));
    req.extensions_mut().insert(Started(Instant::now()));
    let mut response = next.call(req).await?;
    if let Ok(value) = HeaderValue::from_str(&id) {
        response.headers_mut().insert(REQUEST_ID, value);
    }
    Ok(response)
}

/// An id a caller may choose: 1 to 128 visible ASCII characters, so it is safe in logs and headers.
fn is_sensible_id(value: &str) -> bool {
    (1..=128).contains(&value.len()) && value.bytes().all(|b| b.is_ascii_graphic())
}

/// The span of one request, and a log line when it ends.
pub struct RequestSpan;

impl RootSpanBuilder for RequestSpan {
    fn on_request_start(request: &ServiceRequest) -> Span {
        let request_id = request
            .extensions()
            .get::<RequestId>()
            .map(|id| id.0.clone())
            .unwrap_or_default();
        let route = request.match_pattern().unwrap_or_else(|| "unmatched".into());
        tracing::info_span!(
            "request",
            request_id = %request_id,
            method = %request.method(),
            route = %route,
            // the `sub` of an authenticated caller (a user id or a client id), set by `Caller`
            caller = tracing::field::Empty,
        )
    }

    fn on_request_end<B: MessageBody>(span: Span, outcome: &Result<ServiceResponse<B>, Error>) {
        let (status, latency) = match outcome {
            Ok(response) => (
                response.status().as_u16(),
                response.request().extensions().get::<Started>().map(|s| s.0.elapsed()),
            ),
            Err(error) => (error.as_response_error().status_code().as_u16(), None),
        };
        let latency_ms = latency
            .map(|l| (l.as_secs_f64() * 1e6).round() / 1e3)
            .unwrap_or_default();
        tracing::info!(parent: &span, status, latency_ms, "request served");
    }
}
