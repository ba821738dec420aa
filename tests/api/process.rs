//! The `cress-api` binary run as a server process, as an operator or a container runs it: its
//! log lines collected, its listening address read from them, signals sent to it.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::Value;

/// A running `cress-api serve`, killed when dropped if it has not exited.
pub struct ServerProcess {
    child: Child,
    lines: Arc<Mutex<Vec<String>>>,
    pub address: String,
}

impl ServerProcess {
    /// Starts `cress-api serve` in `dir` on a free port with an empty environment (so that the
    /// tests' own variables do not leak in) plus JSON logs, cheap password hashes and `env`,
    /// and waits (at most a minute) until it says where it listens. The test talks to it with
    /// reqwest, whose TLS needs a crypto provider: installed here, as the server in the test's
    /// own process would (a test run alone has no other).
    pub fn start(dir: &Path, env: &[(&str, &str)]) -> Self {
        let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
        let mut command = Command::new(env!("CARGO_BIN_EXE_cress-api"));
        command
            .current_dir(dir)
            .arg("serve")
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("BIND_ADDRESS", "127.0.0.1:0")
            .env("LOG_FORMAT", "json")
            .env("PASSWORD_HASH_MEMORY_KIB", "8")
            .env("PASSWORD_HASH_ITERATIONS", "1")
            // The metrics listener (on by default) on a free port too, so servers run side by side.
            .env("METRICS_BIND_ADDRESS", "127.0.0.1:0")
            .envs(env.iter().copied())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = command.spawn().expect("the binary starts");
        let lines = Arc::new(Mutex::new(Vec::new()));
        for stream in [
            Box::new(child.stdout.take().expect("stdout is piped")) as Box<dyn std::io::Read + Send>,
            Box::new(child.stderr.take().expect("stderr is piped")),
        ] {
            let lines = Arc::clone(&lines);
            std::thread::spawn(move || {
                for line in BufReader::new(stream).lines().map_while(Result::ok) {
                    lines.lock().expect("the log is not poisoned").push(line);
                }
            });
        }
        let mut server = Self {
            child,
            lines,
            address: String::new(),
        };
        let line = server
            .wait_for_line(|line| line.contains("serving the API"), Duration::from_secs(60))
            .unwrap_or_else(|| panic!("the server did not start; it said:\n{}", server.log()));
        let address = serde_json::from_str::<Value>(&line)
            .ok()
            .and_then(|json| json["fields"]["address"].as_str().map(str::to_owned));
        server.address = address.unwrap_or_else(|| panic!("no address in {line}"));
        server
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.address, path)
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Sends a signal (`TERM`, `INT`) with kill(1).
    pub fn signal(&self, name: &str) {
        let status = Command::new("kill")
            .arg(format!("-{name}"))
            .arg(self.pid().to_string())
            .status()
            .expect("kill runs");
        assert!(status.success(), "kill -{name} {} failed", self.pid());
    }

    /// Every line written so far, stdout and stderr.
    pub fn lines(&self) -> Vec<String> {
        self.lines.lock().expect("the log is not poisoned").clone()
    }

    pub fn log(&self) -> String {
        self.lines().join("\n")
    }

    /// The first line matching `found`, waiting at most `limit`.
    pub fn wait_for_line(&self, found: impl Fn(&str) -> bool, limit: Duration) -> Option<String> {
        let deadline = Instant::now() + limit;
        loop {
            if let Some(line) = self.lines().into_iter().find(|line| found(line)) {
                return Some(line);
            }
            if Instant::now() > deadline {
                return None;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Waits at most `limit` for the process to exit.
    pub fn wait_for_exit(&mut self, limit: Duration) -> Option<ExitStatus> {
        let deadline = Instant::now() + limit;
        loop {
            if let Some(status) = self.child.try_wait().expect("the process can be waited for") {
                // Let the readers take the last lines.
                std::thread::sleep(Duration::from_millis(200));
                return Some(status);
            }
            if Instant::now() > deadline {
                return None;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}
