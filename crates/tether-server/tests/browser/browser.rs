//! Headless Chromium driven over WebDriver (chromedriver + fantoccini), with axe-core for the
//! accessibility checks and PNG screenshots kept as CI artifacts.
//!
//! The browser only ever talks to 127.0.0.1: the machine is offline, and a test that reached
//! another host would be a test that depends on the world (STACK.md 1.7).

use std::fmt::Write as _;
use std::io::{Read as _, Write as _};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use serde::Deserialize;
use serde_json::{Value, json};

/// The install command printed when the browser is required but missing.
const INSTALL: &str = "apt-get install -y chromium chromium-driver";

/// axe-core, vendored (see vendor/README.md): the tests need neither network nor npm at run time.
const AXE_SOURCE: &str = include_str!("vendor/axe.min.js");

/// The axe rule tags the pages are held to: WCAG 2.0, 2.1 and 2.2, levels A and AA. These carry
/// color-contrast, label, button-name, link-name, image-alt, document-title, html-has-lang and the
/// aria-* rules, among others.
pub const WCAG_TAGS: &[&str] = &["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"];

const WINDOW: (u32, u32) = (1280, 1000);

/// How long chromedriver may take to answer `/status` with `ready: true`. It is ready in tens of
/// milliseconds here; the bound only turns a hang into a readable failure.
const DRIVER_READY_WITHIN: Duration = Duration::from_secs(20);

/// Flags for Chromium on this offline machine (.library/env/machines/rust.md): without the
/// background-networking ones it keeps dialling Google's hosts, and the resolver rule makes
/// any host but 127.0.0.1 unresolvable, so a page that links out fails loudly instead of hanging.
const CHROMIUM_ARGS: &[&str] = &[
    "--headless",
    "--no-sandbox", // the tests run as root
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--no-default-browser-check",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage", // containers have a small /dev/shm
    "--no-proxy-server",
    "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
];

/// One axe rule that failed on the page, with every element that failed it.
#[derive(Debug, Clone, Deserialize)]
pub struct AxeViolation {
    /// The rule id, e.g. `color-contrast`.
    pub id: String,
    /// `minor`, `moderate`, `serious` or `critical`.
    pub impact: Option<String>,
    pub help: String,
    #[serde(rename = "helpUrl")]
    pub help_url: String,
    pub nodes: Vec<AxeNode>,
}

/// An element that failed a rule.
#[derive(Debug, Clone, Deserialize)]
pub struct AxeNode {
    /// CSS selectors to the element; more than one when it sits inside frames or shadow roots.
    pub target: Vec<String>,
    pub html: String,
    #[serde(rename = "failureSummary")]
    pub failure_summary: Option<String>,
}

pub struct Browser {
    pub client: fantoccini::Client,
    // Declared after `client` so the WebDriver session is dropped before its driver goes.
    driver: Driver,
}

/// The chromedriver process and the scratch directory holding Chromium's profile and the
/// driver's log. Dropping it shuts both down, on success and on a panicking test alike.
struct Driver {
    child: Child,
    port: u16,
    scratch: PathBuf,
}

impl Browser {
    /// None (printing why to stderr) if chromedriver/chromium are absent and BROWSER_TESTS is not
    /// "1"; panics with the install command if BROWSER_TESTS=1 and they are absent.
    /// BROWSER_TESTS=0 skips even when both are installed.
    pub async fn start() -> Option<Browser> {
        let wanted = std::env::var("BROWSER_TESTS").ok();
        if wanted.as_deref() == Some("0") {
            eprintln!("browser test skipped: BROWSER_TESTS=0");
            return None;
        }
        let (driver_bin, chromium_bin) = match (find_on_path("chromedriver"), find_chromium()) {
            (Some(d), Some(c)) => (d, c),
            (driver, chromium) => {
                let missing: Vec<&str> = [
                    driver.is_none().then_some("chromedriver"),
                    chromium.is_none().then_some("chromium"),
                ]
                .into_iter()
                .flatten()
                .collect();
                let why = format!("{} not found on PATH", missing.join(" and "));
                if wanted.as_deref() == Some("1") {
                    panic!("BROWSER_TESTS=1 but {why}; install with `{INSTALL}`");
                }
                eprintln!(
                    "browser test skipped: {why} (`{INSTALL}`, then BROWSER_TESTS=1 to require it)"
                );
                return None;
            }
        };

        let scratch = scratch_dir();
        let profile = scratch.join("profile");
        std::fs::create_dir_all(&profile)
            .unwrap_or_else(|e| panic!("creating {}: {e}", profile.display()));
        let mut driver = Driver::spawn(&driver_bin, &scratch);
        driver.wait_ready().await;

        let mut args: Vec<String> = CHROMIUM_ARGS.iter().map(|a| a.to_string()).collect();
        args.push(format!("--user-data-dir={}", profile.display()));
        args.push(format!("--window-size={},{}", WINDOW.0, WINDOW.1));
        let caps = json!({
            "browserName": "chrome",
            "goog:chromeOptions": { "binary": chromium_bin, "args": args },
        });
        let caps = match caps {
            Value::Object(map) => map,
            _ => unreachable!("json! of an object literal is an object"),
        };
        let client = fantoccini::ClientBuilder::new(
            hyper_util::client::legacy::connect::HttpConnector::new(),
        )
        .capabilities(caps)
        .connect(&driver.url())
        .await
        .unwrap_or_else(|e| {
            panic!(
                "starting Chromium through chromedriver failed: {e}\n{}",
                driver.log_tail()
            )
        });
        client
            .set_window_size(WINDOW.0, WINDOW.1)
            .await
            .expect("setting the window size");
        Some(Browser { client, driver })
    }

    pub async fn goto(&self, url: &str) {
        self.client
            .goto(url)
            .await
            .unwrap_or_else(|e| panic!("navigating to {url}: {e}"));
    }

    /// Saves a full-window PNG to artifacts_dir()/<name>.png and returns the path.
    pub async fn screenshot(&self, name: &str) -> PathBuf {
        let png = self
            .client
            .screenshot()
            .await
            .unwrap_or_else(|e| panic!("screenshot {name}: {e}"));
        let path = artifacts_dir().join(format!("{}.png", file_stem(name)));
        std::fs::write(&path, png).unwrap_or_else(|e| panic!("writing {}: {e}", path.display()));
        path
    }

    /// Runs axe-core on the current page with the WCAG 2 A/AA rules ([`WCAG_TAGS`]) and returns
    /// the violations.
    pub async fn axe(&self) -> Vec<AxeViolation> {
        self.inject_axe().await;
        // Only the fields the report needs cross the wire: full axe results run to megabytes.
        const RUN: &str = r#"
            const [tags, done] = arguments;
            axe.run(document, {
                runOnly: { type: 'tag', values: tags },
                resultTypes: ['violations'],
            }).then(
                (r) => done({ violations: r.violations.map((v) => ({
                    id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl,
                    nodes: v.nodes.map((n) => ({
                        target: n.target.map((t) => Array.isArray(t) ? t.join(' >>> ') : String(t)),
                        html: n.html, failureSummary: n.failureSummary,
                    })),
                })) }),
                (e) => done({ error: String(e && e.stack || e) }),
            );
        "#;
        let out = self
            .client
            .execute_async(RUN, vec![json!(WCAG_TAGS)])
            .await
            .unwrap_or_else(|e| panic!("running axe: {e}"));
        if let Some(error) = out.get("error") {
            panic!("axe.run failed: {error}");
        }
        let violations = out.get("violations").cloned().unwrap_or(Value::Null);
        serde_json::from_value(violations)
            .unwrap_or_else(|e| panic!("axe returned an unexpected shape ({e}): {out}"))
    }

    /// Panics with a readable list of every violation if there is any. A screenshot of the page
    /// is saved first, named after `page`, so the failure can be seen as well as read.
    pub async fn assert_accessible(&self, page: &str) {
        let violations = self.axe().await;
        if violations.is_empty() {
            return;
        }
        let url = self
            .client
            .current_url()
            .await
            .map(|u| u.to_string())
            .unwrap_or_else(|e| format!("<url unknown: {e}>"));
        let shot = self.screenshot(&format!("{page}-a11y-failure")).await;
        panic!(
            "{}\nscreenshot: {}",
            format_violations(page, &url, &violations),
            shot.display()
        );
    }

    pub async fn close(self) {
        let Browser { client, driver } = self;
        if let Err(e) = client.close().await {
            eprintln!("closing the WebDriver session: {e} (chromedriver is shut down anyway)");
        }
        drop(driver);
    }

    /// Each navigation starts a fresh document, so axe is injected again whenever it is missing.
    async fn inject_axe(&self) {
        let present = self
            .client
            .execute("return typeof window.axe === 'object';", vec![])
            .await
            .unwrap_or_else(|e| panic!("probing for axe: {e}"));
        if present == Value::Bool(true) {
            return;
        }
        self.client
            .execute(AXE_SOURCE, vec![])
            .await
            .unwrap_or_else(|e| panic!("injecting axe-core: {e}"));
    }
}

/// The report [`Browser::assert_accessible`] panics with: one block per rule, one line per element.
pub fn format_violations(page: &str, url: &str, violations: &[AxeViolation]) -> String {
    let nodes: usize = violations.iter().map(|v| v.nodes.len()).sum();
    let mut out = format!(
        "{page} ({url}) has {} accessibility violation(s) on {nodes} element(s) (axe-core, {}):",
        violations.len(),
        WCAG_TAGS.join("/")
    );
    for v in violations {
        let impact = v.impact.as_deref().unwrap_or("unknown impact");
        let _ = write!(
            out,
            "\n\n  {} [{impact}]: {}\n    {}",
            v.id, v.help, v.help_url
        );
        for n in &v.nodes {
            let _ = write!(out, "\n    - {}  {}", n.target.join(" "), n.html);
            if let Some(summary) = &n.failure_summary {
                for line in summary.lines() {
                    let _ = write!(out, "\n        {line}");
                }
            }
        }
    }
    out
}

/// $TETHER_ARTIFACTS or <workspace>/target/browser-artifacts, created.
pub fn artifacts_dir() -> PathBuf {
    let dir = std::env::var_os("TETHER_ARTIFACTS")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            // crates/tether-server -> the workspace root
            let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
            let root = manifest.ancestors().nth(2).unwrap_or(manifest);
            root.join("target").join("browser-artifacts")
        });
    std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("creating {}: {e}", dir.display()));
    dir
}

impl Driver {
    fn spawn(bin: &Path, scratch: &Path) -> Driver {
        let port = free_port();
        let log_path = scratch.join("chromedriver.log");
        let log = std::fs::File::create(&log_path)
            .unwrap_or_else(|e| panic!("creating {}: {e}", log_path.display()));
        let log_err = log.try_clone().expect("cloning the log file handle");
        let child = Command::new(bin)
            .arg(format!("--port={port}"))
            .stdin(Stdio::null())
            .stdout(log)
            .stderr(log_err)
            .spawn()
            .unwrap_or_else(|e| panic!("spawning {}: {e}", bin.display()));
        Driver {
            child,
            port,
            scratch: scratch.to_path_buf(),
        }
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Polls `/status` with a short, growing pause until chromedriver says it is ready; fails
    /// at once if the process exits, and after [`DRIVER_READY_WITHIN`] if it never gets ready.
    async fn wait_ready(&mut self) {
        tether_server::install_tls_provider();
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(2))
            .no_proxy()
            .build()
            .expect("building the HTTP client");
        let status = format!("{}/status", self.url());
        let deadline = Instant::now() + DRIVER_READY_WITHIN;
        let mut pause = Duration::from_millis(5);
        loop {
            let last = match http.get(&status).send().await {
                Ok(resp) => match resp.json::<Value>().await {
                    Ok(body) if body["value"]["ready"] == Value::Bool(true) => return,
                    Ok(body) => format!("not ready: {body}"),
                    Err(e) => format!("unreadable /status: {e}"),
                },
                Err(e) => e.to_string(),
            };
            if let Ok(Some(exit)) = self.child.try_wait() {
                panic!(
                    "chromedriver exited ({exit}) before it was ready\n{}",
                    self.log_tail()
                );
            }
            if Instant::now() >= deadline {
                panic!(
                    "chromedriver not ready after {DRIVER_READY_WITHIN:?} ({last})\n{}",
                    self.log_tail()
                );
            }
            tokio::time::sleep(pause).await;
            pause = (pause * 2).min(Duration::from_millis(100));
        }
    }

    fn log_tail(&self) -> String {
        let log =
            std::fs::read_to_string(self.scratch.join("chromedriver.log")).unwrap_or_default();
        let lines: Vec<&str> = log.lines().collect();
        let tail = lines[lines.len().saturating_sub(30)..].join("\n");
        format!("chromedriver log (last lines):\n{tail}")
    }
}

impl Drop for Driver {
    /// chromedriver's `/shutdown` quits every browser it started and then exits; killing it
    /// instead would orphan Chromium, which survives its driver.
    fn drop(&mut self) {
        let asked = request_shutdown(self.port);
        let deadline = Instant::now() + Duration::from_secs(5);
        let exited = asked.is_ok()
            && loop {
                match self.child.try_wait() {
                    Ok(Some(_)) => break true,
                    Ok(None) if Instant::now() < deadline => {
                        std::thread::sleep(Duration::from_millis(10));
                    }
                    _ => break false,
                }
            };
        if !exited {
            eprintln!(
                "chromedriver on port {} did not shut down cleanly ({asked:?}); killing it",
                self.port
            );
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
        let _ = std::fs::remove_dir_all(&self.scratch);
    }
}

/// A blocking GET of `/shutdown`: Drop cannot await, and the answer is one short local reply.
fn request_shutdown(port: u16) -> std::io::Result<()> {
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    let mut stream = TcpStream::connect_timeout(&addr, Duration::from_secs(1))?;
    stream.set_read_timeout(Some(Duration::from_secs(5)))?;
    stream.write_all(b"GET /shutdown HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")?;
    let mut reply = Vec::new();
    stream.read_to_end(&mut reply)?;
    Ok(())
}

/// Binds port 0 to have the kernel pick a free port, then releases it for chromedriver. Another
/// process could take it in between; on a test machine that window is too small to matter.
fn free_port() -> u16 {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).expect("binding 127.0.0.1:0");
    listener
        .local_addr()
        .expect("reading the bound port")
        .port()
}

/// A directory of this browser's own under the system temp dir: pid plus a counter keeps
/// parallel tests (nextest runs each in its own process) and repeated starts apart.
fn scratch_dir() -> PathBuf {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    std::env::temp_dir().join(format!("tether-browser-{}-{n}", std::process::id()))
}

fn find_on_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|candidate| candidate.is_file())
}

/// Debian names the binary `chromium`; other distributions `chromium-browser`.
fn find_chromium() -> Option<PathBuf> {
    ["chromium", "chromium-browser"]
        .into_iter()
        .find_map(find_on_path)
}

/// Screenshot names come from test code; keep them to characters safe in a file name.
fn file_stem(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                c
            } else {
                '_'
            }
        })
        .collect()
}
