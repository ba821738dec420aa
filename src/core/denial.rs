//! A refusal by the policy, before the HTTP layer turns it into an answer.

use crate::domain::message::{Message, msg};

/// Why the policy refuses: an anonymous caller who may try again after logging in (401), or an
/// authenticated caller whose role does not allow it (403). The message says what would.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Denial {
    #[error("{0}")]
    Unauthenticated(Message),
    #[error("{0}")]
    Forbidden(Message),
}

impl Denial {
    /// The answer to an anonymous caller who must log in to `what` ("write", "read the audit trail").
    pub fn log_in_to(what: Message) -> Self {
        Self::Unauthenticated(msg!("denial-log-in-to", what = what))
    }
}
