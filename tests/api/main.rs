//! HTTP tests of the whole service: the real server, a real database, both backends.

mod helpers;
mod process;

mod audit;
mod auth;
mod changes;
mod cli;
mod clubs;
mod conditional;
mod copy_db;
mod deployment;
mod errors;
mod esus;
mod events;
mod examples;
mod export;
mod hardening;
mod health;
mod hostile;
mod idempotency;
mod import;
mod language;
mod login_limits;
mod matrix;
mod openapi;
mod operations;
mod organisations;
mod outage;
mod problems;
mod schema;
mod seed;
mod sponsorships;
mod spreadsheets;
mod webhooks;
