//! A refusal by the policy, before the HTTP layer turns it into an answer.

/// Why the policy refuses: an anonymous caller who may try again after logging in (401), or an
/// authenticated caller whose role does not allow it (403). The text says what would.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Denial {
    #[error("{0}")]
    Unauthenticated(String),
    #[error("{0}")]
    Forbidden(String),
}

impl Denial {
    /// The answer to an anonymous caller who must log in to `what` ("write", "read the audit trail").
    pub fn log_in_to(what: impl std::fmt::Display) -> Self {
        Self::Unauthenticated(format!(
            "log in to {what}: send Authorization: Bearer <token> (see POST /api/v1/auth/token)"
        ))
    }
}
