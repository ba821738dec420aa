//! HTTP tests of the whole service: the real server, a real database, both backends.

mod helpers;

mod auth;
mod cli;
mod clubs;
mod errors;
mod esus;
mod events;
mod health;
mod idempotency;
mod openapi;
mod organisations;
mod schema;
mod seed;
mod sponsorships;
