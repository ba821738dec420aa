//! Settings: read once from the command line, the environment and `.env`, then passed down.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::ValueEnum;
use secrecy::SecretString;

/// Where the HTTP server listens, which database it serves, and how it behaves.
#[derive(clap::Args, Debug, Clone)]
pub struct Settings {
    /// Address and port the HTTP server listens on.
    #[arg(
        long,
        global = true,
        env = "BIND_ADDRESS",
        value_name = "BIND_ADDRESS",
        default_value = "127.0.0.1:8080"
    )]
    pub bind_address: SocketAddr,

    /// PostgreSQL (`postgres://…`) or SQLite (`sqlite://…`) URL. Unset: the SQLite file
    /// `data/cress.db` under the working directory, created and migrated on start.
    #[arg(long, global = true, env = "DATABASE_URL", value_name = "DATABASE_URL", value_parser = parse_database_url)]
    pub database_url: Option<DatabaseUrl>,

    /// Most database connections the server keeps open (on 2 cores, 4 to 16 is fastest).
    #[arg(long, global = true, env = "DATABASE_MAX_CONNECTIONS", value_name = "DATABASE_MAX_CONNECTIONS",
          default_value_t = 8, value_parser = clap::value_parser!(u32).range(1..=256))]
    pub database_max_connections: u32,

    /// Seconds a request waits for a database connection before it answers 503.
    #[arg(long, global = true, env = "DATABASE_TIMEOUT_SECONDS", value_name = "DATABASE_TIMEOUT_SECONDS",
          default_value_t = 5, value_parser = clap::value_parser!(u64).range(1..=300))]
    pub database_timeout_seconds: u64,

    /// Log lines as human-readable text (`pretty`) or one JSON object per line (`json`).
    #[arg(long, global = true, env = "LOG_FORMAT", value_name = "LOG_FORMAT", value_enum, default_value_t = LogFormat::Pretty)]
    pub log_format: LogFormat,

    /// Largest request body accepted, in bytes; larger bodies are answered 413.
    #[arg(long, global = true, env = "MAX_BODY_BYTES", value_name = "MAX_BODY_BYTES", default_value_t = 262_144,
          value_parser = clap::value_parser!(u64).range(1024..=1_073_741_824))]
    pub max_body_bytes: u64,

    /// Comma-separated browser origins allowed to call the API (CORS), such as
    /// `https://app.cress-occitanie.org`. Empty: no cross-origin browser access.
    #[arg(long, global = true, env = "CORS_ORIGINS", value_name = "CORS_ORIGINS", value_delimiter = ',',
          value_parser = parse_origin)]
    pub cors_origins: Vec<String>,
}

impl Settings {
    pub fn database_timeout(&self) -> Duration {
        Duration::from_secs(self.database_timeout_seconds)
    }

    pub fn max_body_bytes(&self) -> usize {
        usize::try_from(self.max_body_bytes).unwrap_or(usize::MAX)
    }
}

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    Pretty,
    Json,
}

/// Which database the register lives in.
#[derive(Debug, Clone)]
pub enum DatabaseUrl {
    Postgres(SecretString),
    Sqlite(SecretString),
}

/// The SQLite file served when `DATABASE_URL` is unset.
pub fn default_sqlite_path() -> PathBuf {
    PathBuf::from("data").join("cress.db")
}

fn parse_database_url(raw: &str) -> Result<DatabaseUrl, String> {
    let raw = raw.trim();
    if raw.starts_with("postgres://") || raw.starts_with("postgresql://") {
        Ok(DatabaseUrl::Postgres(raw.into()))
    } else if raw.starts_with("sqlite:") {
        Ok(DatabaseUrl::Sqlite(raw.into()))
    } else {
        Err("expected a postgres://… or sqlite:… URL".into())
    }
}

fn parse_origin(raw: &str) -> Result<String, String> {
    let raw = raw.trim();
    let url = url::Url::parse(raw).map_err(|e| format!("`{raw}` is not an origin: {e}"))?;
    let is_origin = matches!(url.scheme(), "http" | "https")
        && url.host().is_some()
        && url.path() == "/"
        && url.query().is_none()
        && !raw.ends_with('/');
    if !is_origin {
        return Err(format!("`{raw}` is not an origin such as https://app.example.org"));
    }
    Ok(raw.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_origin_accepts_scheme_host_and_port_only() {
        assert!(parse_origin("https://app.cress.org").is_ok());
        assert!(parse_origin("http://localhost:5173").is_ok());
        for bad in [
            "app.cress.org",
            "https://app.cress.org/",
            "https://a.org/x",
            "ftp://a.org",
            "*",
        ] {
            assert!(parse_origin(bad).is_err(), "{bad} should be refused");
        }
    }

    #[test]
    fn parse_database_url_recognises_both_backends() {
        assert!(matches!(
            parse_database_url("postgres://u@h/db"),
            Ok(DatabaseUrl::Postgres(_))
        ));
        assert!(matches!(
            parse_database_url("sqlite://x.db"),
            Ok(DatabaseUrl::Sqlite(_))
        ));
        assert!(parse_database_url("mysql://h/db").is_err());
    }
}
