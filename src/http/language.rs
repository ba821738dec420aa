//! The language of the answer: French or English, negotiated from `Accept-Language` (French when
//! the header is absent or accepts neither), for every sentence an answer carries — problem
//! titles, details and field messages, the token endpoint's `error_description`, the problem
//! pages and the column titles of spreadsheets. `code`s and field names never change.

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::error::InternalError;
use actix_web::http::header::{self, HeaderMap, HeaderValue};
use actix_web::middleware::Next;

use crate::domain::message::Lang;
use crate::http::error::PROBLEM_JSON;

/// Middleware: runs the request in its negotiated language ([`Lang::scope`]), so that every
/// [`Message`](crate::domain::message::Message) of its answer is written in it, including an
/// error answered by a middleware further in. Adds `Vary: Accept-Language` to every answer and
/// `Content-Language` to the answers whose words were chosen by it: problems, and the answers
/// that set it themselves (problem pages, spreadsheets).
pub async fn negotiate(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let accept = req.headers().get(header::ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok());
    let lang = Lang::negotiate(accept);
    match lang.scope(next.call(req)).await {
        Ok(mut response) => {
            let is_problem = response
                .headers()
                .get(header::CONTENT_TYPE)
                .is_some_and(|v| v.as_bytes().starts_with(PROBLEM_JSON.as_bytes()));
            mark(response.headers_mut(), lang, is_problem);
            Ok(response.map_into_boxed_body())
        }
        // An error is written here, in the request's language, rather than by actix once out of
        // scope; the answer written travels inside the error.
        Err(error) => {
            let mut answer = lang.sync_scope(|| error.error_response());
            mark(answer.headers_mut(), lang, true);
            Err(InternalError::from_response(error.to_string(), answer).into())
        }
    }
}

/// `Vary: Accept-Language` on every answer, and `Content-Language` on one whose words were
/// chosen by the language.
fn mark(headers: &mut HeaderMap, lang: Lang, chosen: bool) {
    headers.append(header::VARY, HeaderValue::from_static("Accept-Language"));
    if chosen {
        headers.insert(header::CONTENT_LANGUAGE, HeaderValue::from_static(lang.tag()));
    }
}

/// `Content-Language` for an answer whose words are in the current language.
pub fn content_language() -> (header::HeaderName, &'static str) {
    (header::CONTENT_LANGUAGE, Lang::current().tag())
}
