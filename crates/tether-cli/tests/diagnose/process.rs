//! Child processes for the service scenarios: the real binary with a clean environment, bounded
//! waits, pipes drained on threads, and guards that kill servers and remove scratch directories
//! whatever a test's outcome.

use crate::harness::Outcome;
use reqwest::StatusCode;
use std::io::{BufRead, BufReader, Read};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// A directory of its own per test, removed when the test ends.
pub struct Scratch(pub PathBuf);

impl Scratch {
    pub fn new(name: &str) -> Scratch {
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!(
            "service-{name}-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("create the scratch directory");
        Scratch(dir)
    }

    pub fn path(&self, name: &str) -> String {
        self.0.join(name).display().to_string()
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The binary with nothing from the developer's environment that tether reads.
pub fn tether(args: &[String], env: &[(&str, &str)]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_tether"));
    cmd.args(args);
    for (key, _) in std::env::vars_os() {
        if key.to_string_lossy().starts_with("TETHER_") {
            cmd.env_remove(key);
        }
    }
    cmd.env("NO_COLOR", "1")
        .envs(env.iter().copied())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    cmd
}

/// Collects a pipe's lines on a thread, so a chatty child never blocks on a full pipe.
pub fn collect(pipe: impl Read + Send + 'static) -> Arc<Mutex<Vec<String>>> {
    let lines = Arc::new(Mutex::new(Vec::new()));
    let sink = lines.clone();
    std::thread::spawn(move || {
        for line in BufReader::new(pipe).lines() {
            let Ok(line) = line else { break };
            sink.lock().expect("lines lock").push(line);
        }
    });
    lines
}

pub fn joined(lines: &Mutex<Vec<String>>) -> String {
    let lines = lines.lock().expect("lines lock");
    lines.iter().map(|l| format!("{l}\n")).collect()
}

/// Runs a command that should finish by itself, within `limit`; a child still running then is
/// killed and the test fails (a command that starts serving when it should have refused).
pub async fn run<S: AsRef<str>>(args: &[S], env: &[(&str, &str)], limit: Duration) -> Outcome {
    let args: Vec<String> = args.iter().map(|a| a.as_ref().to_owned()).collect();
    let env: Vec<(String, String)> = env
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    tokio::task::spawn_blocking(move || {
        let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let mut child = Guard(tether(&args, &env).spawn().expect("the tether binary runs"));
        let stdout = collect(child.0.stdout.take().expect("stdout piped"));
        let stderr = collect(child.0.stderr.take().expect("stderr piped"));
        let deadline = Instant::now() + limit;
        let status = loop {
            if let Some(status) = child.0.try_wait().expect("wait for tether") {
                break status;
            }
            assert!(
                Instant::now() < deadline,
                "`tether {}` still running after {limit:?}:\n{}",
                args.join(" "),
                joined(&stderr)
            );
            std::thread::sleep(Duration::from_millis(20));
        };
        // The pipes close with the child; give the readers a moment to take the last lines.
        let drained = Instant::now() + Duration::from_secs(5);
        while Arc::strong_count(&stdout) + Arc::strong_count(&stderr) > 2
            && Instant::now() < drained
        {
            std::thread::sleep(Duration::from_millis(5));
        }
        Outcome {
            status: status.code().expect("tether exits with a status"),
            stdout: joined(&stdout),
            stderr: joined(&stderr),
        }
    })
    .await
    .expect("the runner thread does not panic")
}

/// Kills the child when dropped: no test leaves a server behind.
pub struct Guard(pub Child);

impl Drop for Guard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A `tether serve` child answering on `base`.
pub struct Server {
    child: Guard,
    pub base: String,
    stderr: Arc<Mutex<Vec<String>>>,
}

impl Server {
    /// Starts the binary and waits (bounded) until /healthz answers.
    pub async fn start(args: Vec<String>, port: u16) -> Server {
        let mut child = Guard(tether(&args, &[]).spawn().expect("the tether binary runs"));
        let _ = collect(child.0.stdout.take().expect("stdout piped"));
        let stderr = collect(child.0.stderr.take().expect("stderr piped"));
        let server = Server {
            child,
            base: format!("http://127.0.0.1:{port}"),
            stderr,
        };
        server.wait_healthy().await;
        server
    }

    pub async fn wait_healthy(&self) {
        let http = http();
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            if let Ok(r) = http.get(self.url("/healthz")).send().await
                && r.status() == StatusCode::OK
            {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "tether serve did not answer /healthz:\n{}",
                self.stderr()
            );
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub fn stderr(&self) -> String {
        joined(&self.stderr)
    }

    /// Waits (bounded) until the server has logged a line containing `needle`.
    pub async fn wait_for_log(&self, needle: &str) {
        let deadline = Instant::now() + Duration::from_secs(10);
        while !self.stderr().contains(needle) {
            assert!(
                Instant::now() < deadline,
                "no log line with {needle:?}:\n{}",
                self.stderr()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Stops the server as Ctrl-C does; its exit status and everything it wrote to stderr. Waits
    /// without blocking the runtime: the simulator it may still be talking to runs on it.
    pub async fn interrupt(mut self) -> (std::process::ExitStatus, String) {
        let pid = self.child.0.id().to_string();
        let sent = Command::new("kill")
            .args(["-INT", &pid])
            .status()
            .expect("kill runs");
        assert!(sent.success(), "SIGINT sent to {pid}");
        let deadline = Instant::now() + Duration::from_secs(10);
        let status = loop {
            if let Some(status) = self.child.0.try_wait().expect("wait for tether") {
                break status;
            }
            assert!(
                Instant::now() < deadline,
                "tether serve ignored Ctrl-C:\n{}",
                self.stderr()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        };
        // The pipe closes with the child; let the reader take the last lines.
        let deadline = Instant::now() + Duration::from_secs(5);
        while Arc::strong_count(&self.stderr) > 1 && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        (status, self.stderr())
    }

    /// Stops the server the hard way (as a crash or `kill -9` would) and waits for it to go.
    pub fn stop(mut self) {
        let _ = self.child.0.kill();
        let _ = self.child.0.wait();
    }
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port on 127.0.0.1")
        .port()
}

pub fn http() -> reqwest::Client {
    tether_server::install_tls_provider();
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(10))
        .build()
        .expect("an HTTP client")
}
