//! Entry point: parses the command line, loads settings, starts tracing, runs the subcommand.

use std::process::ExitCode;

use clap::Parser;
use clap::error::ErrorKind;

use std::io::BufRead;

use anyhow::Context;
use secrecy::SecretString;

use cress_api::auth::Keys;
use cress_api::auth::accounts;
use cress_api::auth::password::Passwords;
use cress_api::cli::{Cli, ClientCommand, Command, RoleArgs, UserCommand};
use cress_api::config::Settings;
use cress_api::core::Role;
use cress_api::store::Store;
use cress_api::store::clients::ApiClientFields;
use cress_api::telemetry;

fn main() -> ExitCode {
    limit_malloc_arenas();
    match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(runtime) => runtime.block_on(serve_or_run()),
        Err(error) => {
            eprintln!("cress-api: cannot start the async runtime: {error}");
            ExitCode::FAILURE
        }
    }
}

/// glibc's allocator gives a thread that finds the others' arenas busy an arena of its own, up
/// to eight per core, and each arena keeps what was freed in it. With a thread per SQLite
/// connection, the worker threads and the import's reader, a server holding 40 MiB of live
/// data kept 55 MiB after a minute of mixed load; with two arenas (one per core of the machines
/// this runs on) 42 MiB, for the same rate of requests (docs/PERFORMANCE.md). Set before any
/// thread allocates; `MALLOC_ARENA_MAX` in the environment still wins, as glibc reads it first.
fn limit_malloc_arenas() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    if std::env::var_os("MALLOC_ARENA_MAX").is_none() {
        // SAFETY: mallopt sets one parameter of the allocator and is safe to call at any time;
        // no other thread has started yet.
        unsafe {
            libc::mallopt(libc::M_ARENA_MAX, 2);
        }
    }
}

/// glibc keeps what a burst of requests freed inside its arenas, counted in the server's
/// resident memory until reused; every ten seconds the server hands the unused pages back to the
/// system (`malloc_trim`). After a minute of mixed load on SQLite: 42 → 39 MiB
/// (docs/PERFORMANCE.md); a trim takes well under a millisecond, off the workers' threads.
async fn return_freed_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        let mut every = tokio::time::interval(std::time::Duration::from_secs(10));
        every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            every.tick().await;
            // SAFETY: malloc_trim only returns free memory of the allocator's arenas to the
            // system; glibc locks each arena while it does, so it is safe beside other threads.
            unsafe {
                libc::malloc_trim(0);
            }
        }
    }
}

async fn serve_or_run() -> ExitCode {
    if let Err(error) = load_dotenv() {
        eprintln!("cress-api: {error}");
        return ExitCode::from(2);
    }
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => return report_usage_error(&error),
    };
    // Commands that log to stderr would print the error twice.
    let logs_to_stderr = matches!(cli.command, Some(Command::Token(_)));
    match run(cli).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            if !logs_to_stderr {
                tracing::error!(error.chain = format!("{error:#}"), "cress-api stopped");
            }
            eprintln!("cress-api: {error:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    let settings = cli.settings;
    match cli.command.unwrap_or(Command::Serve) {
        Command::Openapi => {
            println!("{}", cress_api::app::openapi_json());
            Ok(())
        }
        Command::Migrate => {
            telemetry::init(settings.log_format);
            let store = Store::connect(&settings).await?;
            store.migrate().await?;
            tracing::info!(backend = store.backend(), "migrations applied");
            store.close().await;
            Ok(())
        }
        Command::Seed { .. } => {
            telemetry::init(settings.log_format);
            let store = Store::connect(&settings).await?;
            store.migrate().await?;
            let auth = cress_api::auth::Auth::load(&settings)?;
            let report = cress_api::seed::demo(store.clone(), auth).await?;
            println!(
                "demo data loaded: {} records created, {} already there ({})",
                report.created,
                report.existing,
                store.backend()
            );
            store.close().await;
            Ok(())
        }
        Command::CopyDb(args) => {
            telemetry::init_stderr(settings.log_format);
            let report = cress_api::copy_db::copy(&args.from, &args.to).await?;
            let total: u64 = report.tables.iter().map(|t| t.rows).sum();
            for table in &report.tables {
                println!("{:<24} {:>8} rows  sha256 {}", table.name, table.rows, table.checksum);
            }
            println!(
                "copied {total} rows in {} tables; row counts and checksums match",
                report.tables.len()
            );
            Ok(())
        }
        Command::Healthcheck => cress_api::http::health::check(settings.bind_address),
        Command::Serve => {
            telemetry::init(settings.log_format);
            tokio::spawn(return_freed_memory());
            cress_api::app::serve(settings).await
        }
        Command::Token(args) => {
            // Logs go to stderr here, so that stdout holds the token alone.
            telemetry::init_stderr(settings.log_format);
            let role = role_of(&args.role)?;
            let keys = Keys::load(&settings)?;
            let ttl = args.ttl.unwrap_or(settings.auth.access_token_ttl_seconds);
            if ttl > cress_api::cli::TOKEN_TTL_CAP_SECONDS && !args.allow_long_ttl {
                anyhow::bail!(
                    "--ttl {ttl} is over a day ({} seconds): add --allow-long-ttl to mint a token that cannot be revoked for so long",
                    cress_api::cli::TOKEN_TTL_CAP_SECONDS
                );
            }
            let subject = args
                .sub
                .unwrap_or_else(|| format!("cress-api-cli:{}", uuid::Uuid::now_v7()));
            let token = keys.sign(&keys.claims_for(&subject, &role, ttl))?;
            println!("{token}");
            Ok(())
        }
        Command::User(UserCommand::Create(args)) => {
            telemetry::init(settings.log_format);
            let role = role_of(&args.role)?;
            let password = read_password(args.password_stdin)?;
            let store = open_store(&settings).await?;
            let passwords = Passwords::new(&settings.auth)?;
            let user = accounts::create_user(&store, &passwords, &args.email, &password, &role).await;
            store.close().await;
            let user = user?;
            println!("created user {} ({}, {})", user.id, user.fields.email, user.fields.role);
            Ok(())
        }
        Command::Client(ClientCommand::Create(args)) => {
            telemetry::init(settings.log_format);
            let role = role_of(&args.role)?;
            let name = cress_api::domain::text::clean_text(&args.name, cress_api::http::clients::NAME_MAX, "--name")
                .map_err(|invalid| anyhow::anyhow!("{}", invalid.message))?;
            let store = open_store(&settings).await?;
            let created = create_client(&store, name, &role).await;
            store.close().await;
            let (client, secret) = created?;
            println!("client_id={}", client.client_id);
            println!("client_secret={secret}");
            eprintln!("Keep the secret now: it is stored as a digest and cannot be shown again.");
            Ok(())
        }
    }
}

fn role_of(args: &RoleArgs) -> anyhow::Result<Role> {
    Role::from_parts(args.role, args.region.as_deref(), args.org).map_err(|e| anyhow::anyhow!("{e} (--region, --org)"))
}

async fn open_store(settings: &Settings) -> anyhow::Result<Store> {
    let store = Store::connect(settings).await?;
    store.migrate().await?;
    Ok(store)
}

async fn create_client(
    store: &Store,
    name: String,
    role: &Role,
) -> anyhow::Result<(cress_api::store::clients::ApiClient, String)> {
    if let Role::Partner { org } = role {
        store
            .get_organisation(*org)
            .await
            .with_context(|| format!("--org {org}: no such organisation"))?;
    }
    let fields = ApiClientFields {
        name,
        role: role.name(),
        region_code: role.region().map(|r| r.as_str().to_owned()),
        organisation_id: role.org(),
        active: true,
    };
    cress_api::http::clients::create_api_client(store, &fields, &cress_api::core::Actor::system())
        .await
        .map_err(|e| anyhow::anyhow!("cannot create the client: {e}"))
}

/// The new user's password: the first line of standard input, or CRESS_PASSWORD. Never an
/// argument, which other users of the machine could read in the process list.
fn read_password(from_stdin: bool) -> anyhow::Result<SecretString> {
    let password = if from_stdin {
        let mut line = String::new();
        std::io::stdin()
            .lock()
            .read_line(&mut line)
            .context("cannot read the password from standard input")?;
        line.trim_end_matches(['\r', '\n']).to_owned()
    } else {
        std::env::var("CRESS_PASSWORD").map_err(|_| {
            anyhow::anyhow!("give the password with --password-stdin or the environment variable CRESS_PASSWORD")
        })?
    };
    if password.is_empty() {
        anyhow::bail!("the password is empty");
    }
    Ok(SecretString::from(password))
}

/// Reads `.env` when there is one; a malformed file is an error, a missing one is not.
fn load_dotenv() -> Result<(), String> {
    match dotenvy::dotenv() {
        Ok(_) => Ok(()),
        Err(error) if error.not_found() => Ok(()),
        Err(error) => Err(format!(".env: {error}")),
    }
}

/// One line naming the bad setting, instead of clap's multi-line report; help and version as usual.
fn report_usage_error(error: &clap::Error) -> ExitCode {
    match error.kind() {
        ErrorKind::DisplayHelp | ErrorKind::DisplayVersion | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
            let _ = error.print();
            ExitCode::SUCCESS
        }
        _ => {
            let rendered = error.render().to_string();
            let first = rendered.lines().next().unwrap_or_default();
            eprintln!("cress-api: {}", first.trim_start_matches("error: "));
            ExitCode::from(2)
        }
    }
}
