//! Tracing: one subscriber for the process, human-readable or JSON lines.

use std::io::IsTerminal;

use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, fmt};

use crate::config::LogFormat;

/// What is logged when `RUST_LOG` is unset.
const DEFAULT_FILTER: &str = "info,sqlx=warn,actix_server=warn";

/// Installs the global subscriber; `RUST_LOG` overrides the default filter. Safe to call twice.
pub fn init(format: LogFormat) {
    init_with(format, std::io::stdout, std::io::stdout().is_terminal());
}

/// As `init`, but logging to standard error: for commands whose standard output is their
/// result (`cress-api token`).
pub fn init_stderr(format: LogFormat) {
    init_with(format, std::io::stderr, std::io::stderr().is_terminal());
}

/// Colours only for a terminal: a log file or a collector gets plain text.
fn init_with<W>(format: LogFormat, writer: W, ansi: bool)
where
    W: for<'w> fmt::MakeWriter<'w> + Send + Sync + 'static,
{
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(DEFAULT_FILTER));
    let registry = tracing_subscriber::registry().with(filter);
    let _ = match format {
        LogFormat::Json => registry
            .with(
                fmt::layer()
                    .json()
                    .with_current_span(true)
                    .with_span_list(false)
                    .with_writer(writer),
            )
            .try_init(),
        LogFormat::Pretty => registry
            .with(fmt::layer().compact().with_ansi(ansi).with_writer(writer))
            .try_init(),
    };
}
