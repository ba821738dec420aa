//! The binary as an operator runs it: its subcommands, exit codes and error output.

use std::path::Path;
use std::process::{Command, Output};

use serde_json::Value;
use sqlx::Connection;

/// Every setting the binary reads from the environment, so the tests' own environment does
/// not leak into the runs.
const SETTINGS: [&str; 8] = [
    "BIND_ADDRESS",
    "DATABASE_URL",
    "DATABASE_MAX_CONNECTIONS",
    "DATABASE_TIMEOUT_SECONDS",
    "LOG_FORMAT",
    "MAX_BODY_BYTES",
    "CORS_ORIGINS",
    "RUST_LOG",
];

/// Runs `cress-api args…` in `dir` with a clean environment plus `env`.
fn cress_api(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_cress-api"));
    command.current_dir(dir).args(args);
    for name in SETTINGS {
        command.env_remove(name);
    }
    command.envs(env.iter().copied());
    command.output().expect("the binary runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// The names of the tables of a SQLite file.
async fn sqlite_tables(path: &Path) -> Vec<String> {
    let mut connection = sqlx::SqliteConnection::connect(&format!("sqlite://{}", path.display()))
        .await
        .expect("the SQLite file opens");
    sqlx::query_scalar("select name from sqlite_master where type = 'table' order by name")
        .fetch_all(&mut connection)
        .await
        .expect("sqlite_master can be read")
}

#[test]
fn openapi_prints_the_openapi_3_1_document_when_run() {
    // Arrange
    let dir = tempfile::tempdir().expect("a temporary folder");
    // Act
    let output = cress_api(dir.path(), &["openapi"], &[]);
    // Assert
    let stdout = text(&output.stdout);
    assert!(
        output.status.success(),
        "exit {:?}, stderr {}",
        output.status,
        text(&output.stderr)
    );
    let doc: Value = serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("stdout is not JSON ({e}): {stdout}"));
    let version = doc["openapi"].as_str().unwrap_or_default();
    assert!(version.starts_with("3.1"), "openapi version {version:?}");
    assert!(
        doc["paths"]["/api/v1/organisations"].is_object(),
        "the organisations path is documented"
    );
    assert_eq!(
        stdout,
        format!("{}\n", cress_api::app::openapi_json()),
        "the binary prints the generated document"
    );
    assert!(!dir.path().join("data").exists(), "openapi touches no database");
}

#[test]
fn migrate_exits_non_zero_with_one_line_naming_the_setting_when_a_setting_is_invalid() {
    let cases = [
        ("BIND_ADDRESS", "nonsense", "not a socket address"),
        ("LOG_FORMAT", "xml", "not a log format"),
        ("MAX_BODY_BYTES", "-5", "negative"),
        ("MAX_BODY_BYTES", "12", "below the smallest limit"),
        ("DATABASE_URL", "mysql://x", "an unsupported database"),
        ("CORS_ORIGINS", "not-an-origin", "not a URL"),
        ("CORS_ORIGINS", "https://app.example.org/path", "a URL with a path"),
        ("DATABASE_MAX_CONNECTIONS", "0", "no connections"),
        ("DATABASE_TIMEOUT_SECONDS", "soon", "not a number"),
    ];
    for (name, value, why) in cases {
        // Arrange
        let dir = tempfile::tempdir().expect("a temporary folder");
        // Act
        let output = cress_api(dir.path(), &["migrate"], &[(name, value)]);
        // Assert
        let stderr = text(&output.stderr);
        let lines: Vec<&str> = stderr.lines().filter(|line| !line.trim().is_empty()).collect();
        assert!(
            !output.status.success(),
            "{name}={value} ({why}): exit {:?}",
            output.status
        );
        assert_eq!(
            lines.len(),
            1,
            "{name}={value} ({why}): one line on stderr, got {stderr:?}"
        );
        assert!(
            lines[0].contains(name),
            "{name}={value} ({why}): the line names {name}: {stderr:?}"
        );
        assert!(
            !stderr.contains("panicked"),
            "{name}={value} ({why}): no panic: {stderr:?}"
        );
        assert!(
            !dir.path().join("data").exists(),
            "{name}={value} ({why}): no database was created"
        );
    }
}

#[test]
fn cli_exits_non_zero_with_one_line_when_the_subcommand_is_unknown() {
    // Arrange
    let dir = tempfile::tempdir().expect("a temporary folder");
    // Act
    let output = cress_api(dir.path(), &["frobnicate"], &[]);
    // Assert
    let stderr = text(&output.stderr);
    assert!(!output.status.success(), "exit {:?}", output.status);
    assert_eq!(stderr.trim_end().lines().count(), 1, "one line on stderr: {stderr:?}");
    assert!(
        stderr.contains("frobnicate"),
        "the line names the subcommand: {stderr:?}"
    );
}

#[tokio::test]
async fn migrate_creates_data_cress_db_in_the_working_directory_when_database_url_is_unset() {
    // Arrange
    let dir = tempfile::tempdir().expect("a temporary folder");
    // Act
    let output = cress_api(dir.path(), &["migrate"], &[]);
    // Assert
    assert!(
        output.status.success(),
        "exit {:?}, stderr {}",
        output.status,
        text(&output.stderr)
    );
    let database = dir.path().join("data").join("cress.db");
    assert!(database.is_file(), "{} exists", database.display());
    let tables = sqlite_tables(&database).await;
    assert!(
        tables.iter().any(|t| t == "organisations"),
        "organisations table in {tables:?}"
    );
}

#[tokio::test]
async fn migrate_succeeds_and_changes_nothing_when_run_twice() {
    // Arrange
    let dir = tempfile::tempdir().expect("a temporary folder");
    let first = cress_api(dir.path(), &["migrate"], &[]);
    assert!(
        first.status.success(),
        "first run: exit {:?}, stderr {}",
        first.status,
        text(&first.stderr)
    );
    let database = dir.path().join("data").join("cress.db");
    let before = sqlite_tables(&database).await;
    // Act
    let second = cress_api(dir.path(), &["migrate"], &[]);
    // Assert
    assert!(
        second.status.success(),
        "second run: exit {:?}, stderr {}",
        second.status,
        text(&second.stderr)
    );
    assert_eq!(
        sqlite_tables(&database).await,
        before,
        "the second run changes no table"
    );
}

#[tokio::test]
async fn migrate_uses_database_url_when_it_names_a_sqlite_file() {
    // Arrange
    let dir = tempfile::tempdir().expect("a temporary folder");
    let database = dir.path().join("elsewhere.db");
    let url = format!("sqlite://{}", database.display());
    // Act
    let output = cress_api(dir.path(), &["migrate"], &[("DATABASE_URL", &url)]);
    // Assert
    assert!(
        output.status.success(),
        "exit {:?}, stderr {}",
        output.status,
        text(&output.stderr)
    );
    let tables = sqlite_tables(&database).await;
    assert!(
        tables.iter().any(|t| t == "organisations"),
        "organisations table in {tables:?}"
    );
    assert!(!dir.path().join("data").exists(), "the default file is not created");
}
