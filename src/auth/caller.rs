//! The caller of a request, from its `Authorization: Bearer` header: anonymous when there is no
//! such header, authenticated when the token passes every check, refused (401) otherwise.

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpMessage, HttpRequest, web};

use crate::auth::role::Role;
use crate::auth::tokens::Principal;
use crate::http::AppState;
use crate::http::error::ApiError;
use crate::store::changes::Actor;

/// Who is calling. A handler takes it as an argument and asks `policy` what it may do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Caller {
    /// No `Authorization` header.
    Anonymous,
    /// A valid bearer token.
    Authenticated(Principal),
}

impl Caller {
    /// The role of an authenticated caller.
    pub fn role(&self) -> Option<&Role> {
        match self {
            Self::Anonymous => None,
            Self::Authenticated(principal) => Some(&principal.role),
        }
    }

    /// The `sub` of an authenticated caller, for logs and audit.
    pub fn subject(&self) -> Option<&str> {
        match self {
            Self::Anonymous => None,
            Self::Authenticated(principal) => Some(&principal.subject),
        }
    }

    /// Who writes, for the change log: the token's `sub` and role. Anonymous callers never
    /// get this far (every write asks the policy first), and would be asked to log in.
    pub fn actor(&self) -> Result<Actor, ApiError> {
        match self {
            Self::Anonymous => Err(ApiError::Unauthenticated(
                "log in to write: send Authorization: Bearer <token> (see POST /api/v1/auth/token)".into(),
            )),
            Self::Authenticated(principal) => Ok(Actor::of_token(&principal.subject, principal.role.name().as_str())),
        }
    }
}

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
        return Err(ApiError::InvalidToken(
            "send one Authorization header, not several".into(),
        ));
    }
    let token = bearer_token(value.to_str().unwrap_or_default())
        .ok_or_else(|| ApiError::InvalidToken("the Authorization header must be `Bearer <token>`".into()))?;
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
            Err(ApiError::InvalidToken(error.to_string()))
        }
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
