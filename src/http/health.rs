//! `/health`: whether the process answers, and whether it can serve (its database answers).

use std::io::{Read, Write};
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr, TcpStream};
use std::time::Duration;

use actix_web::{HttpResponse, get, web};
use serde::Serialize;
use utoipa::ToSchema;

use crate::http::AppState;
use crate::http::error::ApiError;
use crate::http::responses::{InternalError, Unavailable};

/// How long readiness waits for the database before it says no.
const READY_TIMEOUT: Duration = Duration::from_secs(2);

pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(live).service(ready);
}

/// A health answer.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"status": "ok", "database": "sqlite"}))]
pub struct Health {
    /// Always `ok` when the server answers 200.
    #[schema(example = "ok")]
    pub status: &'static str,
    /// For readiness: the database backend that answered (`postgres` or `sqlite`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub database: Option<&'static str>,
}

/// Liveness: the process answers.
#[utoipa::path(tag = "health", responses((status = 200, description = "The process is alive.", body = Health)))]
#[get("/live")]
pub async fn live() -> HttpResponse {
    HttpResponse::Ok().json(Health {
        status: "ok",
        database: None,
    })
}

/// Readiness: the database answers, so requests can be served.
#[utoipa::path(
    tag = "health",
    responses(
        (status = 200, description = "Ready to serve.", body = Health),
        (status = 500, response = InternalError),
        (status = 503, response = Unavailable),
    )
)]
#[get("/ready")]
pub async fn ready(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    match tokio::time::timeout(READY_TIMEOUT, state.store.ping()).await {
        Ok(Ok(())) => Ok(HttpResponse::Ok().json(Health {
            status: "ok",
            database: Some(state.store.backend()),
        })),
        Ok(Err(error)) => {
            tracing::warn!(error = %error, "readiness check failed");
            Err(ApiError::Unavailable)
        }
        Err(_) => Err(ApiError::Unavailable),
    }
}

/// How long `cress-api healthcheck` waits for the server.
const CHECK_TIMEOUT: Duration = Duration::from_secs(5);

/// `cress-api healthcheck`: GET `/health/ready` from the server listening on `address` (an
/// unspecified address such as 0.0.0.0 means this machine) and succeed on a 200. A few lines of
/// HTTP/1.1 over a socket, so that the runtime image needs no HTTP client.
pub fn check(address: SocketAddr) -> anyhow::Result<()> {
    let mut address = address;
    if address.ip().is_unspecified() {
        address.set_ip(if address.is_ipv4() {
            Ipv4Addr::LOCALHOST.into()
        } else {
            Ipv6Addr::LOCALHOST.into()
        });
    }
    let status_line = ask_ready(address).map_err(|e| anyhow::anyhow!("no answer from {address}: {e}"))?;
    let status = status_line.split_whitespace().nth(1).unwrap_or_default();
    if status == "200" {
        Ok(())
    } else {
        anyhow::bail!("http://{address}/health/ready answered {status_line:?}")
    }
}

fn ask_ready(address: SocketAddr) -> std::io::Result<String> {
    let mut stream = TcpStream::connect_timeout(&address, CHECK_TIMEOUT)?;
    stream.set_read_timeout(Some(CHECK_TIMEOUT))?;
    stream.set_write_timeout(Some(CHECK_TIMEOUT))?;
    write!(
        stream,
        "GET /health/ready HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\r\n"
    )?;
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n") && head.len() < 256 && stream.read(&mut byte)? == 1 {
        head.push(byte[0]);
    }
    Ok(String::from_utf8_lossy(&head).trim_end().to_owned())
}
