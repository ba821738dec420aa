//! Entry point: parses the command line, loads settings, starts tracing, runs the subcommand.

use std::process::ExitCode;

use clap::Parser;
use clap::error::ErrorKind;

use cress_api::cli::{Cli, Command};
use cress_api::store::Store;
use cress_api::telemetry;

#[tokio::main]
async fn main() -> ExitCode {
    if let Err(error) = load_dotenv() {
        eprintln!("cress-api: {error}");
        return ExitCode::from(2);
    }
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => return report_usage_error(&error),
    };
    match run(cli).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            tracing::error!(error.chain = format!("{error:#}"), "cress-api stopped");
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
            let report = cress_api::seed::demo(store.clone()).await?;
            println!(
                "demo data loaded: {} records created, {} already there ({})",
                report.created,
                report.existing,
                store.backend()
            );
            store.close().await;
            Ok(())
        }
        Command::Serve => {
            telemetry::init(settings.log_format);
            cress_api::app::serve(settings).await
        }
    }
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
