//! Who acts: the writer of a change, as the change log records it.

use uuid::Uuid;

use crate::domain::string_enum;

string_enum! {
    /// What kind of caller wrote.
    pub enum ActorKind("actor kind") {
        /// A person (the token of a user account: its `sub` is the user's id).
        User = "user",
        /// A machine client (its `sub` is its `client_id`, `cli_…`).
        Client = "client",
        /// The service itself: the command line, the demo seed, a token made by `cress-api token`.
        System = "system",
    }
}

/// Who writes: every store write takes one, and the log records it with the change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    /// The `sub` of the token, or `system`.
    pub subject: String,
    /// The role name of the token (`None` for the system).
    pub role: Option<String>,
    pub kind: ActorKind,
}

impl Actor {
    /// The command line (`user create`, `client create`) and the first administrator.
    pub fn system() -> Self {
        Self {
            subject: "system".to_owned(),
            role: None,
            kind: ActorKind::System,
        }
    }

    /// The writer of a token with this `sub` and role. The kind follows from the form of the
    /// `sub`, which this service chooses when it signs: a user's id (a UUID), an API client's
    /// `client_id` (`cli_…`), or any other name (`cress-api token --sub`, the demo seed).
    pub fn of_token(subject: &str, role: &str) -> Self {
        let kind = if Uuid::parse_str(subject).is_ok() {
            ActorKind::User
        } else if subject.starts_with("cli_") {
            ActorKind::Client
        } else {
            ActorKind::System
        };
        Self {
            subject: subject.to_owned(),
            role: Some(role.to_owned()),
            kind,
        }
    }
}
