//! Which methods each documented path answers: a known path with another method is a 405 with
//! `Allow`, an unknown path a 404 (and `OPTIONS` and idempotency keys need to know the same).

use actix_web::http::Method;
use actix_web::{HttpRequest, HttpResponse, web};
use utoipa::openapi::OpenApi as OpenApiDoc;

use crate::domain::message::msg;
use crate::http::error::ApiError;

/// The methods of each documented path, so that a known path with another method is a 405
/// (with `Allow`) rather than a 404.
#[derive(Debug, Default)]
pub(crate) struct AllowedMethods(Vec<(Vec<Option<String>>, Vec<Method>)>);

impl AllowedMethods {
    pub(crate) fn from_doc(doc: &OpenApiDoc) -> Self {
        let paths = serde_json::to_value(&doc.paths).unwrap_or_default();
        let table = paths
            .get("paths")
            .or(Some(&paths))
            .and_then(|p| p.as_object())
            .into_iter()
            .flatten()
            .map(|(path, item)| {
                let segments = path
                    .split('/')
                    .map(|s| if s.starts_with('{') { None } else { Some(s.to_owned()) })
                    .collect();
                let methods = item
                    .as_object()
                    .into_iter()
                    .flat_map(|ops| ops.keys())
                    .filter_map(|m| Method::from_bytes(m.to_ascii_uppercase().as_bytes()).ok())
                    .collect();
                (segments, methods)
            })
            .collect();
        Self(table)
    }

    /// The methods of the documented path that `path` matches; when several do (such as
    /// `/sponsorships/summary` and `/sponsorships/{id}`), the one with the most literal segments.
    pub(crate) fn for_path(&self, path: &str) -> Option<&[Method]> {
        let segments: Vec<&str> = path.split('/').collect();
        self.0
            .iter()
            .filter(|(pattern, _)| {
                pattern.len() == segments.len()
                    && pattern
                        .iter()
                        .zip(&segments)
                        .all(|(p, s)| p.as_deref().map_or(!s.is_empty(), |p| p == *s))
            })
            .max_by_key(|(pattern, _)| pattern.iter().filter(|p| p.is_some()).count())
            .map(|(_, methods)| methods.as_slice())
    }

    /// Whether `path` is a documented path that answers `method`.
    pub(crate) fn allows(&self, path: &str, method: &Method) -> bool {
        self.for_path(path).is_some_and(|methods| methods.contains(method))
    }
}

/// What no route matched: a 405 for a known path, a 404 otherwise.
pub(crate) async fn no_route(req: HttpRequest, allowed: web::Data<AllowedMethods>) -> Result<HttpResponse, ApiError> {
    Err(match allowed.for_path(req.path()) {
        Some(methods) => ApiError::MethodNotAllowed {
            allow: methods.to_vec(),
        },
        None => ApiError::NotFound(msg!("methods-no-resource", path = req.path())),
    })
}
