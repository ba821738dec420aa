//! HTTP tests of the whole service: the real server, a real database, both backends.

mod helpers;

mod cli;
mod errors;
mod health;
mod openapi;
mod organisations;
mod schema;
