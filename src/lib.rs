//! cress-api: the shared register of the social and solidarity economy (ESS) for the regional
//! Cress and their partners, served as a JSON HTTP API documented by OpenAPI.
#![forbid(unsafe_code)]

pub mod app;
pub mod auth;
pub mod cli;
pub mod config;
pub mod copy_db;
pub mod core;
pub mod domain;
pub mod http;
pub mod seed;
pub mod store;
pub mod telemetry;

pub use app::{openapi, run};
