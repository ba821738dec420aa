//! The caller of a request: anonymous, or the principal of a valid access token (the HTTP layer
//! reads it from the `Authorization: Bearer` header: `http::extract`).

use crate::auth::tokens::Principal;
use crate::core::{Actor, Denial, Role};
use crate::domain::message::msg;

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
    pub fn actor(&self) -> Result<Actor, Denial> {
        match self {
            Self::Anonymous => Err(Denial::log_in_to(msg!("caller-to-write"))),
            Self::Authenticated(principal) => Ok(Actor::of_token(&principal.subject, principal.role.name().as_str())),
        }
    }
}
