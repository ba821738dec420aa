//! The command line: subcommands and their dispatch.

use clap::{Args, Parser, Subcommand};
use uuid::Uuid;

use crate::config::Settings;
use crate::core::role::RoleName;

/// The shared register of the social and solidarity economy (ESS) for the regional Cress.
///
/// Every setting can also come from the environment or a `.env` file (see `.env.example`).
#[derive(Parser, Debug)]
#[command(name = "cress-api", version, about, long_about = None)]
pub struct Cli {
    #[command(flatten)]
    pub settings: Settings,

    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Subcommand, Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// Serve the HTTP API (the default): migrates the database first.
    Serve,
    /// Apply the database migrations, then exit.
    Migrate,
    /// Print the OpenAPI document as JSON, then exit (no database needed).
    Openapi,
    /// Load a data set into the database (migrating it first), then exit.
    Seed {
        /// The demo data set: the Cress Occitanie, its club of local authorities, events,
        /// ESUS accreditations and a mutual's sponsorships. Running it twice adds nothing.
        #[arg(long, required = true)]
        demo: bool,
    },
    /// Print an access token signed with the configured key, for operators and scripts.
    Token(TokenArgs),
    /// Manage people's accounts.
    #[command(subcommand)]
    User(UserCommand),
    /// Manage machine clients.
    #[command(subcommand)]
    Client(ClientCommand),
    /// Copy a SQLite register into a fresh PostgreSQL database (migrated first, and refused
    /// when it holds any row), checking the row count and a checksum of every table.
    CopyDb(CopyDbArgs),
    /// Ask the server at BIND_ADDRESS whether it is ready (`/health/ready`): exit 0 when it
    /// answers 200, 1 otherwise. For container health checks, where there is no curl.
    Healthcheck,
}

#[derive(Args, Debug, Clone, PartialEq, Eq)]
pub struct CopyDbArgs {
    /// The SQLite database to copy, such as sqlite://data/cress.db (read only).
    #[arg(long, value_name = "SQLITE_URL")]
    pub from: String,
    /// The PostgreSQL database to fill, such as postgres://cress:secret@db:5432/cress.
    #[arg(long, value_name = "POSTGRES_URL")]
    pub to: String,
}

/// The role and scope of a token or an account.
#[derive(Args, Debug, Clone, PartialEq, Eq)]
pub struct RoleArgs {
    /// viewer, partner (needs --org), cress_manager (needs --region) or admin.
    #[arg(long, value_enum)]
    pub role: RoleName,
    /// The INSEE region code of a cress_manager, such as 76.
    #[arg(long, value_name = "CODE")]
    pub region: Option<String>,
    /// The organisation id of a partner.
    #[arg(long, value_name = "ID")]
    pub org: Option<Uuid>,
}

#[derive(Args, Debug, Clone, PartialEq, Eq)]
pub struct TokenArgs {
    #[command(flatten)]
    pub role: RoleArgs,
    /// Lifetime in seconds (default: ACCESS_TOKEN_TTL_SECONDS); at most a day (86400) unless
    /// --allow-long-ttl is given.
    #[arg(long, value_name = "SECONDS", value_parser = clap::value_parser!(u64).range(1..=31_536_000))]
    pub ttl: Option<u64>,
    /// Allow a --ttl over a day (up to a year): such a token cannot be revoked before it
    /// expires, so keep it for systems that cannot log in, and store it as a secret.
    #[arg(long)]
    pub allow_long_ttl: bool,
    /// The `sub` claim: who the token is for (what the audit trail and idempotency keys name).
    /// Default: a subject of its own for each token, `cress-api-cli:<uuid>`.
    #[arg(long, value_name = "NAME")]
    pub sub: Option<String>,
}

/// The longest `token --ttl` without `--allow-long-ttl`: a day.
pub const TOKEN_TTL_CAP_SECONDS: u64 = 86_400;

#[derive(Subcommand, Debug, Clone, PartialEq, Eq)]
pub enum UserCommand {
    /// Create a user. The password comes from standard input (`--password-stdin`) or from the
    /// environment variable CRESS_PASSWORD, never from the command line.
    Create(UserCreateArgs),
}

#[derive(Args, Debug, Clone, PartialEq, Eq)]
pub struct UserCreateArgs {
    #[arg(long)]
    pub email: String,
    #[command(flatten)]
    pub role: RoleArgs,
    /// Read the password from the first line of standard input.
    #[arg(long)]
    pub password_stdin: bool,
}

#[derive(Subcommand, Debug, Clone, PartialEq, Eq)]
pub enum ClientCommand {
    /// Create a machine client; prints its client id and secret, shown this once.
    Create(ClientCreateArgs),
}

#[derive(Args, Debug, Clone, PartialEq, Eq)]
pub struct ClientCreateArgs {
    /// What the client is, such as "SI de la Mutuelle solidaire".
    #[arg(long)]
    pub name: String,
    #[command(flatten)]
    pub role: RoleArgs,
}
