//! Losing PostgreSQL under traffic: a throwaway cluster of the test's own is stopped and started
//! again while a client keeps writing. Meanwhile readiness is 503 and requests answer 503
//! problems without hanging; afterwards the same server recovers on its own, and every write it
//! acknowledged is there.

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{organisation, problem_of, settings_for};

/// The database timeout of the server under test (DATABASE_TIMEOUT_SECONDS).
const DATABASE_TIMEOUT: u64 = 2;
/// Generous bounds for a noisy machine: waits, never speed assertions.
const PATIENCE: Duration = Duration::from_secs(90);

/// A PostgreSQL cluster in a temporary folder, on a free port; stopped when dropped.
struct Cluster {
    bin: PathBuf,
    dir: tempfile::TempDir,
    port: u16,
}

impl Cluster {
    /// `None` when no PostgreSQL server binaries are installed.
    fn create() -> Option<Self> {
        let bin = server_binaries()?;
        let dir = tempfile::tempdir().expect("a temporary folder");
        if is_root() {
            // initdb refuses to run as root: the cluster belongs to the postgres user.
            run(Command::new("chown").arg("postgres:postgres").arg(dir.path()));
        }
        let port = free_port();
        let cluster = Self { bin, dir, port };
        run(cluster.command("initdb").arg("-D").arg(cluster.data()).args([
            "-A",
            "trust",
            "-U",
            "postgres",
            "--no-sync",
            "-E",
            "UTF8",
        ]));
        cluster.start();
        Some(cluster)
    }

    fn data(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }

    /// A command of the PostgreSQL binaries, as the postgres user when we are root.
    fn command(&self, program: &str) -> Command {
        let program = self.bin.join(program);
        if is_root() {
            let mut command = Command::new("runuser");
            command.args(["-u", "postgres", "--"]).arg(program);
            command
        } else {
            Command::new(program)
        }
    }

    /// Starts the cluster, trying again a few times: while it was stopped, its port may have been
    /// lent for a moment to another socket of this machine (the log says so on failure).
    fn start(&self) {
        let options = format!(
            "-p {} -c listen_addresses=127.0.0.1 -k {}",
            self.port,
            self.dir.path().display()
        );
        let log = self.dir.path().join("server.log");
        let mut failures = Vec::new();
        for _ in 0..5 {
            let mut command = self.command("pg_ctl");
            command
                .arg("-D")
                .arg(self.data())
                .args(["-o", &options, "-l"])
                .arg(&log)
                .args(["-w", "-t", "120", "start"]);
            match try_run(&mut command) {
                Ok(()) => return,
                Err(failure) => failures.push(failure),
            }
            std::thread::sleep(Duration::from_secs(1));
        }
        let log = std::fs::read_to_string(&log).unwrap_or_default();
        let lines: Vec<&str> = log.lines().collect();
        let tail = &lines[lines.len().saturating_sub(20)..];
        panic!(
            "the cluster does not start on port {}: {}\nits log ends with:\n{}",
            self.port,
            failures.join("\n"),
            tail.join("\n")
        );
    }

    /// A fast shutdown: sessions are ended, transactions in flight rolled back.
    fn stop(&self) {
        run(self
            .command("pg_ctl")
            .arg("-D")
            .arg(self.data())
            .args(["-m", "fast", "-w", "-t", "120", "stop"]));
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let _ = self
            .command("pg_ctl")
            .arg("-D")
            .arg(self.data())
            .args(["-m", "immediate", "stop"])
            .output();
    }
}

/// The newest /usr/lib/postgresql/<version>/bin that has initdb and pg_ctl.
fn server_binaries() -> Option<PathBuf> {
    let mut found: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(Result::ok)
        .filter_map(|entry| {
            let version = entry.file_name().to_string_lossy().parse::<u32>().ok()?;
            let bin = entry.path().join("bin");
            (bin.join("initdb").is_file() && bin.join("pg_ctl").is_file()).then_some((version, bin))
        })
        .collect();
    found.sort();
    found.pop().map(|(_, bin)| bin)
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|output| String::from_utf8_lossy(&output.stdout).trim() == "0")
}

/// A free port below Linux's ephemeral range (32768 and up), so that the connections of the
/// other tests running meanwhile are not given it while the cluster is stopped.
fn free_port() -> u16 {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    let start = (nanos ^ std::process::id()) % 12_000;
    // 7,919 is prime to 12,000: the walk visits every port of the range once.
    (0..12_000u32)
        .map(|i| 20_000 + ((start + i * 7_919) % 12_000) as u16)
        .find(|port| TcpListener::bind(("127.0.0.1", *port)).is_ok())
        .expect("a free port between 20000 and 32000")
}

fn run(command: &mut Command) {
    if let Err(failure) = try_run(command) {
        panic!("{failure}");
    }
}

fn try_run(command: &mut Command) -> Result<(), String> {
    let output = command
        .output()
        .unwrap_or_else(|e| panic!("{command:?} cannot run: {e}"));
    if output.status.success() {
        Ok(())
    } else {
        Err(format!(
            "{command:?} failed: {}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        ))
    }
}

/// What the writing client saw: the ids acknowledged (201), and every status.
#[derive(Default)]
struct Writes {
    acknowledged: Vec<String>,
    statuses: Vec<u16>,
    stop: bool,
}

/// Writes organisations one after another until told to stop.
async fn keep_writing(base: String, writes: Arc<Mutex<Writes>>) {
    let client = reqwest::Client::builder().timeout(PATIENCE).build().expect("a client");
    for i in 0.. {
        if writes.lock().expect("not poisoned").stop {
            return;
        }
        let body = organisation(&format!("Écriture {i}"), json!({}));
        let status = match client
            .post(format!("{base}/api/v1/organisations"))
            .bearer_auth(crate::helpers::sign_test_token(&cress_api::core::Role::Admin))
            .json(&body)
            .send()
            .await
        {
            Ok(response) => {
                let status = response.status().as_u16();
                let json: Value = response.json().await.unwrap_or_default();
                let mut writes = writes.lock().expect("not poisoned");
                if status == 201 {
                    writes
                        .acknowledged
                        .push(json["id"].as_str().unwrap_or_default().to_owned());
                }
                status
            }
            Err(_) => 0,
        };
        writes.lock().expect("not poisoned").statuses.push(status);
        if status != 201 {
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

/// Waits until `done` holds, at most `PATIENCE`; `what` names it in the failure.
async fn wait_until(what: &str, mut done: impl AsyncFnMut() -> bool) {
    let deadline = Instant::now() + PATIENCE;
    while !done().await {
        assert!(Instant::now() < deadline, "waited {PATIENCE:?} in vain for {what}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

async fn ready_status(client: &reqwest::Client, base: &str) -> Option<StatusCode> {
    client
        .get(format!("{base}/health/ready"))
        .send()
        .await
        .ok()
        .map(|response| response.status())
}

fn count(writes: &Mutex<Writes>, status: u16) -> usize {
    writes
        .lock()
        .expect("not poisoned")
        .statuses
        .iter()
        .filter(|s| **s == status)
        .count()
}

#[tokio::test]
async fn service_answers_503_while_postgres_is_down_and_recovers_losing_no_acknowledged_write() {
    // Arrange
    let Some(cluster) = tokio::task::spawn_blocking(Cluster::create).await.expect("setup runs") else {
        eprintln!("no PostgreSQL server binaries under /usr/lib/postgresql/*/bin: outage test not run");
        return;
    };
    let mut settings = settings_for(&cluster.url());
    settings.database_timeout_seconds = DATABASE_TIMEOUT;
    let store = cress_api::store::Store::connect(&settings)
        .await
        .expect("the pool opens");
    store.migrate().await.expect("the cluster migrates");
    let listener = TcpListener::bind("127.0.0.1:0").expect("a free port");
    let base = format!("http://{}", listener.local_addr().expect("an address"));
    tokio::spawn(cress_api::run(&settings, store, listener).expect("the server starts"));
    let client = reqwest::Client::builder().timeout(PATIENCE).build().expect("a client");
    let writes = Arc::new(Mutex::new(Writes::default()));
    let writer = tokio::spawn(keep_writing(base.clone(), Arc::clone(&writes)));
    wait_until("writes before the outage", async || count(&writes, 201) >= 5).await;

    // Act: PostgreSQL goes away under traffic.
    let cluster = Arc::new(cluster);
    let stopping = Arc::clone(&cluster);
    tokio::task::spawn_blocking(move || stopping.stop())
        .await
        .expect("pg_ctl stop runs");
    let before_outage = count(&writes, 201);

    // Assert: readiness says so, and a request answers a 503 problem instead of hanging.
    wait_until("readiness 503", async || {
        ready_status(&client, &base).await == Some(StatusCode::SERVICE_UNAVAILABLE)
    })
    .await;
    let bounded = reqwest::Client::builder()
        .timeout(Duration::from_secs(DATABASE_TIMEOUT + 30))
        .build()
        .expect("a client");
    let list = bounded
        .get(format!("{base}/api/v1/organisations"))
        .send()
        .await
        .expect("an answer within the database timeout (and a generous margin), not a hang");
    problem_of(list, StatusCode::SERVICE_UNAVAILABLE, "service_unavailable").await;
    wait_until("refused writes during the outage", async || count(&writes, 503) >= 2).await;

    // Act: PostgreSQL comes back; the server is not restarted.
    let starting = Arc::clone(&cluster);
    tokio::task::spawn_blocking(move || starting.start())
        .await
        .expect("pg_ctl start runs");

    // Assert: it recovers on its own, and keeps every write it acknowledged.
    wait_until("readiness 200 again", async || {
        ready_status(&client, &base).await == Some(StatusCode::OK)
    })
    .await;
    wait_until("writes after the outage", async || {
        count(&writes, 201) >= before_outage + 5
    })
    .await;
    writes.lock().expect("not poisoned").stop = true;
    writer.await.expect("the writer ends");
    let Writes {
        acknowledged, statuses, ..
    } = std::mem::take(&mut *writes.lock().expect("not poisoned"));
    let unexpected: Vec<&u16> = statuses.iter().filter(|s| **s != 201 && **s != 503).collect();
    assert!(
        unexpected.is_empty(),
        "every write is acknowledged (201) or refused (503), never anything else: {unexpected:?} in {statuses:?}"
    );
    for id in &acknowledged {
        let response = client
            .get(format!("{base}/api/v1/organisations/{id}"))
            .send()
            .await
            .expect("an answer");
        assert_eq!(
            response.status(),
            StatusCode::OK,
            "acknowledged organisation {id} is kept"
        );
    }
}
