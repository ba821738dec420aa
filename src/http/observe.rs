//! Request ids and the request span: every request gets an id (taken from `X-Request-Id` when
//! the caller sends a sensible one, generated otherwise), echoed in the response and carried by
//! the span, with method, route, status and latency.

use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Instant;

use actix_web::body::{BodySize, BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::web::Bytes;
use actix_web::{Error, HttpMessage};
use tracing::Span;
use tracing_actix_web::RootSpanBuilder;

pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The id of the request being served.
#[derive(Clone, Debug)]
pub struct RequestId(pub String);

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

/// The span of one request (its end is logged by [`log_request`]).
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

    /// The line that ends a request is written by [`log_request`], once its answer is sent.
    fn on_request_end<B: MessageBody>(_: Span, _: &Result<ServiceResponse<B>, Error>) {}
}

/// Writes the line that ends each request (`request served`, with `status` and `latency_ms`)
/// when its answer has been sent: the upload of the body and the streaming of a long answer (a
/// CSV export) count in full, and so does a request the caller hung up on. Runs inside the
/// request span, so the line carries the request id, method, route and caller.
pub async fn log_request(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let started = Instant::now();
    let span = Span::current();
    match next.call(req).await {
        Ok(response) => {
            let end = Served {
                span,
                status: response.status().as_u16(),
                started,
            };
            Ok(response.map_body(move |_, body| {
                BoxBody::new(Logged {
                    body: body.boxed(),
                    end,
                })
            }))
        }
        Err(error) => {
            Served {
                span,
                status: error.as_response_error().status_code().as_u16(),
                started,
            }
            .log();
            Err(error)
        }
    }
}

/// The end of a request, logged once.
struct Served {
    span: Span,
    status: u16,
    started: Instant,
}

impl Served {
    fn log(&self) {
        let latency_ms = (self.started.elapsed().as_secs_f64() * 1e6).round() / 1e3;
        tracing::info!(parent: &self.span, status = self.status, latency_ms, "request served");
    }
}

/// An answer's body that logs the request's end when it is dropped: after its last byte is
/// written, or when the connection closes first.
struct Logged {
    body: BoxBody,
    end: Served,
}

impl Drop for Logged {
    fn drop(&mut self) {
        self.end.log();
    }
}

impl MessageBody for Logged {
    type Error = Box<dyn std::error::Error>;

    fn size(&self) -> BodySize {
        self.body.size()
    }

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Bytes, Self::Error>>> {
        Pin::new(&mut self.get_mut().body).poll_next(cx)
    }
}
