//! The HTTP layer: one module per resource (handlers, request and response bodies), the shared
//! error type, extractors and pagination.

pub mod audit;
pub mod auth;
pub mod changes;
pub mod client_address;
pub mod clients;
pub mod clubs;
pub mod confidential;
pub mod csv;
pub mod delivery;
pub mod error;
pub mod esus;
pub mod etag;
pub mod events;
pub mod extract;
pub mod hardening;
pub mod health;
pub mod idempotency;
pub mod import;
pub mod kernel;
pub mod language;
pub mod links;
pub mod methods;
pub mod metrics;
pub mod observe;
pub mod organisations;
pub mod pagination;
pub mod patch;
pub mod problems;
pub mod responses;
pub mod schemas;
pub mod sponsorships;
pub mod users;
pub mod webhooks;
pub mod xlsx;

use std::sync::Arc;

use crate::store::Store;

/// What every handler may use; registered once as `web::Data<AppState>`.
#[derive(Clone, Debug)]
pub struct AppState {
    pub store: Store,
    /// Token keys, password hashing and login limits (see `crate::auth`).
    pub auth: Arc<crate::auth::Auth>,
    /// Sends webhook deliveries and checks their URLs (see `delivery`).
    pub sender: delivery::Sender,
}
