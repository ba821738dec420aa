//! Authentication and authorisation: access tokens, the caller of a request, passwords, login
//! limits, and the policy that decides every access.

pub mod accounts;
pub mod caller;
pub mod limiter;
pub mod password;
pub mod policy;
pub mod tokens;

pub use caller::Caller;
pub use policy::{Action, ListScope};
pub use tokens::{Claims, Keys, Principal};

use crate::config::Settings;
use crate::core::Role;

/// Everything the HTTP layer needs to authenticate: loaded once at start-up.
#[derive(Debug)]
pub struct Auth {
    pub keys: Keys,
    pub passwords: password::Passwords,
    pub limiter: limiter::LoginLimiter,
    pub access_ttl_seconds: u64,
    pub refresh_ttl_seconds: u64,
    pub refresh_session_max_seconds: u64,
}

impl Auth {
    pub fn load(settings: &Settings) -> anyhow::Result<Self> {
        Ok(Self {
            keys: Keys::load(settings)?,
            passwords: password::Passwords::new(&settings.auth)?,
            limiter: limiter::LoginLimiter::new(&settings.auth),
            access_ttl_seconds: settings.auth.access_token_ttl_seconds,
            refresh_ttl_seconds: settings.auth.refresh_token_ttl_seconds,
            refresh_session_max_seconds: settings.auth.refresh_session_max_seconds,
        })
    }

    /// A signed access token for `subject` with `role`, and its lifetime in seconds.
    pub fn access_token(&self, subject: &str, role: &Role) -> anyhow::Result<(String, u64)> {
        let claims = self.keys.claims_for(subject, role, self.access_ttl_seconds);
        Ok((self.keys.sign(&claims)?, self.access_ttl_seconds))
    }
}
