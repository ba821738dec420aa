//! Settings: read once from the command line, the environment and `.env`, then passed down.

use std::net::{IpAddr, SocketAddr};
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

    /// Largest body of a bulk import (`POST /api/v1/organisations/import`), in bytes; larger
    /// imports are answered 413. 64 MiB holds some 200,000 rows.
    #[arg(long, global = true, env = "IMPORT_MAX_BYTES", value_name = "IMPORT_MAX_BYTES", default_value_t = 67_108_864,
          value_parser = clap::value_parser!(u64).range(1024..=4_294_967_296))]
    pub import_max_bytes: u64,

    /// Comma-separated browser origins allowed to call the API (CORS), such as
    /// `https://app.cress-occitanie.org`. Empty: no cross-origin browser access.
    #[arg(long, global = true, env = "CORS_ORIGINS", value_name = "CORS_ORIGINS", value_delimiter = ',',
          value_parser = parse_origin)]
    pub cors_origins: Vec<String>,

    /// How tokens are signed and checked, accounts bootstrapped and logins limited.
    #[command(flatten)]
    pub auth: AuthSettings,

    /// How the HTTP server protects itself, stops, and exposes its metrics.
    #[command(flatten)]
    pub server: ServerSettings,

    /// Where webhooks may be delivered, how often the delivery worker looks for changes, and how
    /// long it retries.
    #[command(flatten)]
    pub webhooks: WebhookSettings,
}

/// The delivery of webhooks.
#[derive(clap::Args, Debug, Clone, PartialEq, Eq)]
pub struct WebhookSettings {
    /// Comma-separated host names (as written in webhook URLs: `localhost`, `127.0.0.1`,
    /// `hooks.internal`) that may be delivered to although they are or resolve to loopback,
    /// private, link-local or other non-public addresses, which are refused otherwise.
    #[arg(
        long,
        global = true,
        env = "WEBHOOK_ALLOWED_HOSTS",
        value_name = "WEBHOOK_ALLOWED_HOSTS",
        value_delimiter = ','
    )]
    pub webhook_allowed_hosts: Vec<String>,

    /// Milliseconds between two looks of the delivery worker for changes to deliver.
    #[arg(long, global = true, env = "WEBHOOK_POLL_MILLISECONDS", value_name = "WEBHOOK_POLL_MILLISECONDS",
          default_value_t = 1000, value_parser = clap::value_parser!(u64).range(10..=60_000))]
    pub webhook_poll_milliseconds: u64,

    /// Milliseconds before the first retry of a failed delivery; each retry waits twice as long
    /// as the one before (with jitter), up to an hour.
    #[arg(long, global = true, env = "WEBHOOK_RETRY_BASE_MILLISECONDS", value_name = "WEBHOOK_RETRY_BASE_MILLISECONDS",
          default_value_t = 5000, value_parser = clap::value_parser!(u64).range(10..=3_600_000))]
    pub webhook_retry_base_milliseconds: u64,

    /// Seconds a subscription may keep failing before it is disabled (3 days).
    #[arg(long, global = true, env = "WEBHOOK_RETRY_FOR_SECONDS", value_name = "WEBHOOK_RETRY_FOR_SECONDS",
          default_value_t = 259_200, value_parser = clap::value_parser!(u64).range(1..=2_592_000))]
    pub webhook_retry_for_seconds: u64,
}

impl Default for WebhookSettings {
    /// The defaults of the command line (a unit test keeps the two equal).
    fn default() -> Self {
        Self {
            webhook_allowed_hosts: Vec::new(),
            webhook_poll_milliseconds: 1000,
            webhook_retry_base_milliseconds: 5000,
            webhook_retry_for_seconds: 259_200,
        }
    }
}

impl WebhookSettings {
    /// Whether `host` (as a URL writes it) may be delivered to whatever it resolves to.
    pub fn allows_host(&self, host: &str) -> bool {
        let host = host.trim_start_matches('[').trim_end_matches(']');
        self.webhook_allowed_hosts.iter().any(|allowed| {
            !allowed.is_empty()
                && allowed
                    .trim_start_matches('[')
                    .trim_end_matches(']')
                    .eq_ignore_ascii_case(host)
        })
    }
}

/// Limits, shutdown and metrics of the HTTP server.
#[derive(clap::Args, Debug, Clone, PartialEq, Eq)]
pub struct ServerSettings {
    /// Seconds a request may take, from its headers to its answer (body upload included),
    /// before it is answered 503 `request_timeout`. An import's upload may take longer as long
    /// as it keeps coming (a pause this long is a 408 `upload_stalled`); the limit then counts
    /// the reading and writing of its rows.
    #[arg(long, global = true, env = "REQUEST_TIMEOUT_SECONDS", value_name = "REQUEST_TIMEOUT_SECONDS",
          default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub request_timeout_seconds: u64,

    /// Most client connections open at once (spread over the worker threads); more wait in
    /// the listen backlog.
    #[arg(long, global = true, env = "HTTP_MAX_CONNECTIONS", value_name = "HTTP_MAX_CONNECTIONS",
          default_value_t = 1024, value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    pub http_max_connections: u32,

    /// On SIGTERM or SIGINT: seconds given to the requests in flight to finish once the server
    /// stops accepting connections; then the rest are cut and the process exits.
    #[arg(long, global = true, env = "SHUTDOWN_GRACE_SECONDS", value_name = "SHUTDOWN_GRACE_SECONDS",
          default_value_t = 30, value_parser = clap::value_parser!(u64).range(0..=3600))]
    pub shutdown_grace_seconds: u64,

    /// Where `GET /metrics` (Prometheus) is served: `admin` (the default: on METRICS_BIND_ADDRESS
    /// only, 127.0.0.1 unless chosen otherwise), `main` (on BIND_ADDRESS, for every caller of the
    /// API: choose it only behind a proxy that hides it) or `off`.
    #[arg(long, global = true, env = "METRICS", value_name = "METRICS", value_enum, default_value_t = MetricsExposure::Admin)]
    pub metrics: MetricsExposure,

    /// With METRICS=admin: the address of the admin listener that serves `/metrics`.
    #[arg(
        long,
        global = true,
        env = "METRICS_BIND_ADDRESS",
        value_name = "METRICS_BIND_ADDRESS",
        default_value = "127.0.0.1:9090"
    )]
    pub metrics_bind_address: SocketAddr,

    /// Comma-separated addresses or ranges (`10.0.0.0/8`) of the reverse proxies in front of the
    /// server: only from them is `X-Forwarded-For` believed when telling the client's address
    /// (what the login limits count). Empty: the address of the connection is the client's.
    #[arg(long, global = true, env = "TRUSTED_PROXIES", value_name = "TRUSTED_PROXIES", default_value = "",
          value_parser = IpRanges::parse)]
    pub trusted_proxies: IpRanges,
}

impl Default for ServerSettings {
    /// The defaults of the command line (a unit test keeps the two equal).
    fn default() -> Self {
        Self {
            request_timeout_seconds: 30,
            http_max_connections: 1024,
            shutdown_grace_seconds: 30,
            metrics: MetricsExposure::Admin,
            metrics_bind_address: SocketAddr::from(([127, 0, 0, 1], 9090)),
            trusted_proxies: IpRanges::default(),
        }
    }
}

impl ServerSettings {
    pub fn request_timeout(&self) -> Duration {
        Duration::from_secs(self.request_timeout_seconds)
    }
}

/// A comma-separated list of [`IpRange`]s; empty for none.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IpRanges(pub Vec<IpRange>);

impl IpRanges {
    pub fn parse(raw: &str) -> Result<Self, String> {
        raw.split(',')
            .filter(|part| !part.trim().is_empty())
            .map(IpRange::parse)
            .collect::<Result<_, _>>()
            .map(Self)
    }
}

/// An address, or a range of addresses in CIDR notation (`192.168.0.0/16`, `fd00::/8`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IpRange {
    network: IpAddr,
    prefix: u8,
}

impl IpRange {
    pub fn parse(raw: &str) -> Result<Self, String> {
        let raw = raw.trim();
        let (address, prefix) = raw.split_once('/').map_or((raw, None), |(a, p)| (a, Some(p)));
        let network: IpAddr = address
            .parse()
            .map_err(|_| format!("{raw} is not an IP address nor a range such as 10.0.0.0/8"))?;
        let bits = if network.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            None => bits,
            Some(p) => p
                .parse::<u8>()
                .ok()
                .filter(|p| *p <= bits)
                .ok_or_else(|| format!("{raw}: the prefix length must be 0 to {bits}"))?,
        };
        Ok(Self { network, prefix })
    }

    /// Whether `address` is in the range (an IPv4-mapped IPv6 address counts as IPv4).
    pub fn contains(&self, address: IpAddr) -> bool {
        let address = match address {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(address, IpAddr::V4),
            v4 => v4,
        };
        match (self.network, address) {
            (IpAddr::V4(net), IpAddr::V4(a)) => same_prefix(&net.octets(), &a.octets(), self.prefix),
            (IpAddr::V6(net), IpAddr::V6(a)) => same_prefix(&net.octets(), &a.octets(), self.prefix),
            _ => false,
        }
    }
}

fn same_prefix(a: &[u8], b: &[u8], prefix: u8) -> bool {
    let (whole, rest) = (usize::from(prefix / 8), prefix % 8);
    a[..whole] == b[..whole] && (rest == 0 || (a[whole] ^ b[whole]) >> (8 - rest) == 0)
}

/// Where the Prometheus metrics are exposed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum MetricsExposure {
    /// Not at all.
    Off,
    /// At `/metrics` on the main listener.
    Main,
    /// At `/metrics` on a separate admin listener (METRICS_BIND_ADDRESS).
    Admin,
}

/// Token signing, accounts and login limits.
#[derive(clap::Args, Debug, Clone)]
pub struct AuthSettings {
    /// HS256 signing secret, at least 32 bytes. Unset (and no key files): a random secret is
    /// generated on first start and kept beside the SQLite file (`data/` on PostgreSQL).
    #[arg(long, global = true, env = "JWT_SECRET", value_name = "JWT_SECRET", hide_env_values = true,
          value_parser = parse_secret)]
    pub jwt_secret: Option<SecretString>,

    /// PEM file of the private key that signs tokens (Ed25519 for EdDSA, or RSA for RS256),
    /// instead of `JWT_SECRET`. Its `kid` is the file name up to its first dot.
    #[arg(
        long,
        global = true,
        env = "JWT_PRIVATE_KEY_FILE",
        value_name = "JWT_PRIVATE_KEY_FILE"
    )]
    pub jwt_private_key_file: Option<PathBuf>,

    /// Comma-separated PEM files of the public keys that verify tokens (the signing key's own
    /// public key among them; older ones during a rotation). Each `kid` is its file name up to
    /// its first dot.
    #[arg(
        long,
        global = true,
        env = "JWT_PUBLIC_KEY_FILES",
        value_name = "JWT_PUBLIC_KEY_FILES",
        value_delimiter = ','
    )]
    pub jwt_public_key_files: Vec<PathBuf>,

    /// The `iss` claim of the tokens this service issues and accepts.
    #[arg(
        long,
        global = true,
        env = "JWT_ISSUER",
        value_name = "JWT_ISSUER",
        default_value = "cress-api"
    )]
    pub jwt_issuer: String,

    /// The `aud` claim of the tokens this service issues and accepts.
    #[arg(
        long,
        global = true,
        env = "JWT_AUDIENCE",
        value_name = "JWT_AUDIENCE",
        default_value = "cress-api"
    )]
    pub jwt_audience: String,

    /// Lifetime of access tokens, in seconds (60 to 86400).
    #[arg(long, global = true, env = "ACCESS_TOKEN_TTL_SECONDS", value_name = "ACCESS_TOKEN_TTL_SECONDS",
          default_value_t = 900, value_parser = clap::value_parser!(u64).range(60..=86_400))]
    pub access_token_ttl_seconds: u64,

    /// Lifetime of refresh tokens, in seconds (300 to 31536000; default 14 days).
    #[arg(long, global = true, env = "REFRESH_TOKEN_TTL_SECONDS", value_name = "REFRESH_TOKEN_TTL_SECONDS",
          default_value_t = 1_209_600, value_parser = clap::value_parser!(u64).range(300..=31_536_000))]
    pub refresh_token_ttl_seconds: u64,

    /// Longest life of a session, in seconds from its login (300 to 31536000; default 30 days):
    /// refreshing never takes a session past it; then the person logs in again.
    #[arg(long, global = true, env = "REFRESH_SESSION_MAX_SECONDS", value_name = "REFRESH_SESSION_MAX_SECONDS",
          default_value_t = 2_592_000, value_parser = clap::value_parser!(u64).range(300..=31_536_000))]
    pub refresh_session_max_seconds: u64,

    /// E-mail of the administrator created on a start that finds no user at all.
    #[arg(long, global = true, env = "ADMIN_EMAIL", value_name = "ADMIN_EMAIL")]
    pub admin_email: Option<String>,

    /// Password of that first administrator (at least 12 characters).
    #[arg(long, global = true, env = "ADMIN_PASSWORD", value_name = "ADMIN_PASSWORD", hide_env_values = true,
          value_parser = parse_secret)]
    pub admin_password: Option<SecretString>,

    /// Failed logins allowed per account from one client address within the window, then 429.
    #[arg(long, global = true, env = "LOGIN_MAX_FAILURES_PER_ACCOUNT_AND_IP",
          value_name = "LOGIN_MAX_FAILURES_PER_ACCOUNT_AND_IP",
          default_value_t = 5, value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub login_max_failures_per_account_and_ip: u32,

    /// Failed logins allowed per account from all addresses together within the window, then
    /// 429: a ceiling far above the per-address limit, which only a spread-out attack reaches.
    #[arg(long, global = true, env = "LOGIN_MAX_FAILURES_PER_ACCOUNT", value_name = "LOGIN_MAX_FAILURES_PER_ACCOUNT",
          default_value_t = 100, value_parser = clap::value_parser!(u32).range(1..=100_000))]
    pub login_max_failures_per_account: u32,

    /// Failed logins allowed per client IP address, whatever the account, within the window.
    #[arg(long, global = true, env = "LOGIN_MAX_FAILURES_PER_IP", value_name = "LOGIN_MAX_FAILURES_PER_IP",
          default_value_t = 20, value_parser = clap::value_parser!(u32).range(1..=100_000))]
    pub login_max_failures_per_ip: u32,

    /// The window over which failed logins are counted, in seconds.
    #[arg(long, global = true, env = "LOGIN_FAILURE_WINDOW_SECONDS", value_name = "LOGIN_FAILURE_WINDOW_SECONDS",
          default_value_t = 900, value_parser = clap::value_parser!(u64).range(1..=86_400))]
    pub login_failure_window_seconds: u64,

    /// Memory cost of argon2id password hashes, in KiB (OWASP: 19456). Lower only in tests.
    #[arg(long, global = true, env = "PASSWORD_HASH_MEMORY_KIB", value_name = "PASSWORD_HASH_MEMORY_KIB",
          default_value_t = 19_456, value_parser = clap::value_parser!(u32).range(8..=4_194_304))]
    pub password_hash_memory_kib: u32,

    /// Iterations of argon2id password hashes (OWASP: 2). Lower only in tests.
    #[arg(long, global = true, env = "PASSWORD_HASH_ITERATIONS", value_name = "PASSWORD_HASH_ITERATIONS",
          default_value_t = 2, value_parser = clap::value_parser!(u32).range(1..=100))]
    pub password_hash_iterations: u32,
}

impl AuthSettings {
    /// Settings signing with `secret` (HS256), cheap password hashes and the default limits:
    /// for tests and tools that build settings in code rather than from the environment.
    pub fn with_secret(secret: &str) -> Self {
        Self {
            jwt_secret: Some(secret.into()),
            jwt_private_key_file: None,
            jwt_public_key_files: Vec::new(),
            jwt_issuer: "cress-api".into(),
            jwt_audience: "cress-api".into(),
            access_token_ttl_seconds: 900,
            refresh_token_ttl_seconds: 1_209_600,
            refresh_session_max_seconds: 2_592_000,
            admin_email: None,
            admin_password: None,
            login_max_failures_per_account_and_ip: 5,
            login_max_failures_per_account: 100,
            login_max_failures_per_ip: 20,
            login_failure_window_seconds: 900,
            password_hash_memory_kib: 8,
            password_hash_iterations: 1,
        }
    }
}

impl Settings {
    pub fn database_timeout(&self) -> Duration {
        Duration::from_secs(self.database_timeout_seconds)
    }

    pub fn max_body_bytes(&self) -> usize {
        usize::try_from(self.max_body_bytes).unwrap_or(usize::MAX)
    }

    pub fn import_max_bytes(&self) -> usize {
        usize::try_from(self.import_max_bytes).unwrap_or(usize::MAX)
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

/// A secret value; checked where it is used, so that a refusal never echoes it.
fn parse_secret(raw: &str) -> Result<SecretString, String> {
    Ok(raw.into())
}

/// One origin; an empty value (`CORS_ORIGINS=` in `.env`) is none and is left out of the list.
fn parse_origin(raw: &str) -> Result<String, String> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Ok(String::new());
    }
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
        assert_eq!(parse_origin(""), Ok(String::new()), "empty: no origin");
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

    /// The settings `T` as the command line gives them when nothing is set, read without the
    /// environment so that the machine's variables do not count.
    fn command_line_defaults<T: clap::Args + clap::FromArgMatches>() -> T {
        let command = T::augment_args(clap::Command::new("t"));
        let args: Vec<clap::Arg> = command
            .get_arguments()
            .map(|arg| arg.clone().env(None::<&str>))
            .collect();
        let matches = clap::Command::new("t").args(args).get_matches_from(["t"]);
        T::from_arg_matches(&matches).expect("the defaults parse")
    }

    #[test]
    fn server_settings_default_matches_the_command_line_defaults() {
        assert_eq!(command_line_defaults::<ServerSettings>(), ServerSettings::default());
    }

    #[test]
    fn webhook_settings_default_matches_the_command_line_defaults() {
        assert_eq!(command_line_defaults::<WebhookSettings>(), WebhookSettings::default());
    }

    #[test]
    fn webhook_allowed_hosts_match_whole_host_names_only() {
        let settings = WebhookSettings {
            webhook_allowed_hosts: vec![
                "127.0.0.1".into(),
                "Hooks.Internal".into(),
                "[::1]".into(),
                String::new(),
            ],
            ..WebhookSettings::default()
        };
        assert!(settings.allows_host("127.0.0.1"));
        assert!(settings.allows_host("hooks.internal"));
        assert!(settings.allows_host("::1"));
        assert!(settings.allows_host("[::1]"));
        assert!(!settings.allows_host("127.0.0.2"));
        assert!(!settings.allows_host("evil.hooks.internal"));
        assert!(!settings.allows_host(""));
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

    #[test]
    fn ip_range_contains_the_addresses_of_its_prefix_only() {
        let range = |raw: &str| IpRange::parse(raw).expect("a range");
        let ip = |raw: &str| raw.parse::<IpAddr>().expect("an address");
        assert!(range("172.16.0.0/12").contains(ip("172.31.255.1")));
        assert!(!range("172.16.0.0/12").contains(ip("172.32.0.1")));
        assert!(range("10.1.2.3").contains(ip("10.1.2.3")));
        assert!(!range("10.1.2.3").contains(ip("10.1.2.4")));
        assert!(range("10.0.0.0/8").contains(ip("::ffff:10.9.8.7")), "IPv4-mapped");
        assert!(range("fd00::/8").contains(ip("fd12::1")));
        assert!(!range("fd00::/8").contains(ip("fe80::1")));
        assert!(range("0.0.0.0/0").contains(ip("203.0.113.9")));
        for bad in ["10.0.0.0/33", "10.0.0/8", "fd00::/129", "proxy", ""] {
            assert!(IpRange::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(IpRanges::parse(""), Ok(IpRanges::default()), "empty: none");
        assert_eq!(
            IpRanges::parse(" 10.0.0.0/8, 192.168.0.0/16 ").map(|r| r.0.len()),
            Ok(2)
        );
        assert!(IpRanges::parse("10.0.0.0/8,nope").is_err());
    }
}
