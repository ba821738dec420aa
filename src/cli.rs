//! The command line: subcommands and their dispatch.

use clap::{Parser, Subcommand};

use crate::config::Settings;

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
}
