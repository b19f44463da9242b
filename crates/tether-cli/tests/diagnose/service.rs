//! The service as a new user runs it: `keys generate`, `workspace create`, `serve` (the real
//! binary on 127.0.0.1, Facebook Login through the in-process simulator), `keys rotate`,
//! `--log-json` and `demo --once`. The mistakes people make first are in `mistakes`.
//!
//! Every child runs with no `TETHER_*` variable from the developer's shell, in a scratch directory
//! that a guard removes; every server is killed by a guard, whatever the test's outcome.

use crate::harness::Outcome;
use crate::process::{Scratch, Server, free_port, http, run};
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::time::Duration;
use tether_sim::{Consent, SimHandle, World, answer_dialog};

const ALICE: &str = "100000000000001";
const HARBOR: &str = "300000000000001";
const SUMMIT: &str = "300000000000002";
const APP_ID: &str = "1000000000000001";
const APP_SECRET: &str = "northwind-demo-app-secret";

// ---- the user's setup -----------------------------------------------------------------------

/// What a new user has after `keys generate` and `workspace create`, with the simulated Facebook.
pub struct Setup {
    pub dir: Scratch,
    pub sim: SimHandle,
    pub db: String,
    pub k1: String,
    pub k2: String,
    pub api_key: String,
    pub http: reqwest::Client,
}

impl Setup {
    pub async fn new(name: &str) -> Setup {
        let dir = Scratch::new(name);
        let db = dir.path("tether.db");
        let k1 = generate_key(1).await;
        let k2 = generate_key(2).await;
        assert_ne!(k1[2..], k2[2..], "every key is new");
        let out = create_workspace(&db, &k1).await;
        let api_key = parse_workspace(&out);
        assert!(
            !out.stderr.contains(&api_key),
            "the key is printed once, on stdout:\n{out}"
        );
        let sim = tether_sim::spawn(World::demo()).expect("the simulator starts on 127.0.0.1");
        Setup {
            dir,
            sim,
            db,
            k1,
            k2,
            api_key,
            http: http(),
        }
    }

    /// The workspace's id, as the API key sees it.
    pub async fn workspace_id(&self) -> String {
        let db = tether_store::SqlStore::connect(
            &self.db,
            tether_store::KeyRing::parse(&secrecy::SecretString::from(self.k1.clone())).unwrap(),
        )
        .await
        .unwrap();
        let ws = tether_store::Store::list_workspaces(&db).await.unwrap();
        ws[0].id.to_string()
    }

    pub fn serve_args(&self, keys: &str, port: u16) -> Vec<String> {
        let sim = self.sim.base_url();
        let base = format!("http://127.0.0.1:{port}");
        [
            "serve",
            "--database",
            &self.db,
            "--keys",
            keys,
            "--listen",
            &format!("127.0.0.1:{port}"),
            "--public-url",
            &base,
            "--meta-app-id",
            APP_ID,
            "--meta-app-secret",
            APP_SECRET,
            "--graph-url",
            &sim,
            "--dialog-url",
            &sim,
            "--webhook-verify-token",
            "x",
            "--link-key",
            "y",
            "--profile",
            "scheduler",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect()
    }

    pub async fn serve(&self, keys: &str) -> Server {
        let port = free_port();
        Server::start(self.serve_args(keys, port), port).await
    }

    pub async fn get(&self, server: &Server, path: &str) -> (StatusCode, Value) {
        let r = self
            .http
            .get(server.url(path))
            .bearer_auth(&self.api_key)
            .send()
            .await
            .expect("GET answers");
        (r.status(), r.json().await.unwrap_or(Value::Null))
    }

    pub async fn post(&self, server: &Server, path: &str, body: Value) -> (StatusCode, Value) {
        let r = self
            .http
            .post(server.url(path))
            .bearer_auth(&self.api_key)
            .json(&body)
            .send()
            .await
            .expect("POST answers");
        (r.status(), r.json().await.unwrap_or(Value::Null))
    }

    /// Connects Alice through the API, the simulated dialog and the callback; returns her login id.
    pub async fn connect_alice(&self, server: &Server) -> String {
        let callback = server.url("/oauth/meta/callback");
        self.sim
            .admin()
            .set_redirect_uris(&[&callback])
            .await
            .expect("the simulator takes the redirect URI");
        let (status, started) = self.post(server, "/api/v1/connect/meta", json!({})).await;
        assert_eq!(status, StatusCode::OK, "{started}");
        let auth = started["authorization_url"]
            .as_str()
            .unwrap_or_else(|| panic!("authorization_url in {started}"));
        let parsed = url::Url::parse(auth).expect("authorization_url is a URL");
        assert!(
            auth.starts_with(&self.sim.base_url()) && parsed.path().ends_with("/dialog/oauth"),
            "the dialog is the simulator's: {auth}"
        );
        let query = |k: &str| {
            parsed
                .query_pairs()
                .find(|(name, _)| name == k)
                .map(|(_, v)| v.into_owned())
        };
        assert_eq!(query("redirect_uri").as_deref(), Some(callback.as_str()));
        assert_eq!(query("client_id").as_deref(), Some(APP_ID));

        let back = answer_dialog(&self.http, auth, Consent::allow_all(ALICE))
            .await
            .expect("the dialog redirects");
        assert!(back.starts_with(&callback), "{back}");
        let r = self.http.get(&back).send().await.expect("callback answers");
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "{r:?}");
        let result = r.headers()["location"]
            .to_str()
            .expect("location")
            .to_owned();
        assert!(result.contains("/connect/result"), "{result}");
        let result = if result.starts_with("http") {
            result
        } else {
            server.url(&result)
        };
        let page = self.http.get(&result).send().await.expect("result page");
        assert_eq!(page.status(), StatusCode::OK);
        let html = page.text().await.expect("result page text");
        assert!(html.contains("Alice Moreau"), "{html}");

        let (status, logins) = self.get(server, "/api/v1/logins").await;
        assert_eq!(status, StatusCode::OK, "{logins}");
        let logins = logins.as_array().expect("logins is a list");
        assert_eq!(logins.len(), 1, "{logins:?}");
        logins[0]["id"].as_str().expect("login id").to_owned()
    }

    /// Every token the simulator issued to Alice, the one Tether stores among them.
    pub async fn alice_tokens(&self) -> Vec<String> {
        let user = self.sim.admin().user(ALICE).await.expect("admin user");
        let tokens: Vec<String> = user["tokens"]
            .as_array()
            .expect("tokens list")
            .iter()
            .map(|t| t["token"].as_str().expect("token text").to_owned())
            .collect();
        assert!(tokens.len() >= 2, "the world's and the dialog's: {user}");
        tokens
    }

    /// Whether any file of the database (the file, its WAL and shared memory) holds `needle`.
    pub fn database_holds(&self, needle: &str) -> Option<PathBuf> {
        let entries = std::fs::read_dir(&self.dir.0).expect("list the scratch directory");
        entries
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| file_name(p).starts_with("tether.db"))
            .find(|p| {
                let bytes = std::fs::read(p).unwrap_or_default();
                bytes.windows(needle.len()).any(|w| w == needle.as_bytes())
            })
    }
}

fn file_name(p: &Path) -> String {
    p.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// `tether workspace create Agency` on `db`, as a new user runs it; it must succeed.
pub async fn create_workspace(db: &str, keys: &str) -> Outcome {
    let out = run(
        &[
            "workspace",
            "create",
            "Agency",
            "--database",
            db,
            "--keys",
            keys,
        ],
        &[],
        Duration::from_secs(10),
    )
    .await;
    assert_eq!(out.status, 0, "{out}");
    out
}

pub async fn generate_key(id: u8) -> String {
    let out = run(
        &["keys", "generate", "--id", &id.to_string()],
        &[],
        Duration::from_secs(10),
    )
    .await;
    assert_eq!(out.status, 0, "{out}");
    let line = out.stdout.trim().to_owned();
    assert!(line.starts_with(&format!("{id}:")), "{out}");
    assert_eq!(out.stdout.lines().count(), 1, "one ring entry:\n{out}");
    tether_store::KeyRing::parse(&secrecy::SecretString::from(line.clone()))
        .unwrap_or_else(|e| panic!("the printed entry is a valid key ring ({e}):\n{out}"));
    line
}

/// The key from `workspace Agency (ID)` then `api key   KEY`.
fn parse_workspace(out: &Outcome) -> String {
    let mut lines = out.stdout.lines();
    let first = lines.next().unwrap_or_default();
    let id = first
        .strip_prefix("workspace Agency (")
        .and_then(|r| r.strip_suffix(')'))
        .unwrap_or_else(|| panic!("workspace line:\n{out}"));
    assert!(is_uuid(id), "a UUID: {id}");
    let key = lines
        .next()
        .and_then(|l| l.strip_prefix("api key"))
        .map(str::trim)
        .unwrap_or_else(|| panic!("api key line:\n{out}"));
    assert!(key.len() >= 20, "a real key: {key}");
    key.to_owned()
}

/// Just enough of a UUID check for a printed id: 8-4-4-4-12 hex digits.
fn is_uuid(s: &str) -> bool {
    let groups: Vec<&str> = s.split('-').collect();
    let lens: Vec<usize> = groups.iter().map(|g| g.len()).collect();
    lens == [8, 4, 4, 4, 12] && s.chars().all(|c| c == '-' || c.is_ascii_hexdigit())
}

// ---- scenarios ------------------------------------------------------------------------------

#[tokio::test]
async fn a_new_user_serves_connects_and_reads_assets() {
    let s = Setup::new("connect").await;
    let server = s.serve(&s.k1).await;

    let (status, logins) = s.get(&server, "/api/v1/logins").await;
    assert_eq!(status, StatusCode::OK, "{logins}");
    assert_eq!(logins, json!([]));

    for key in [None, Some("not-a-key")] {
        let mut req = s.http.get(server.url("/api/v1/logins"));
        if let Some(k) = key {
            req = req.bearer_auth(k);
        }
        let r = req.send().await.expect("answers");
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "key {key:?}");
        let body: Value = r.json().await.expect("a JSON error");
        assert_eq!(body["error"]["code"], "unauthorized", "{body}");
        assert!(body["error"]["message"].is_string(), "{body}");
    }

    let login = s.connect_alice(&server).await;
    let (status, page) = s.get(&server, "/api/v1/assets").await;
    assert_eq!(status, StatusCode::OK, "{page}");
    let assets = page["items"].as_array().expect("items");
    for id in [HARBOR, SUMMIT] {
        let a = assets
            .iter()
            .find(|a| a["platform_id"] == id)
            .unwrap_or_else(|| panic!("asset {id} listed: {page:#}"));
        assert_eq!(a["login_id"], login.as_str(), "{a}");
        assert_eq!(a["status"], "connected", "{a}");
    }
    assert!(
        !server.stderr().contains(&s.api_key),
        "the API key is never logged:\n{}",
        server.stderr()
    );
    server.stop();
}

#[tokio::test]
async fn keys_rotate_reseals_tokens_so_the_old_key_can_go() {
    let s = Setup::new("rotate").await;
    let server = s.serve(&s.k1).await;
    let login = s.connect_alice(&server).await;
    server.stop();

    // Rotating under a ring that lacks the key the tokens are sealed with cannot work; it says
    // which key is missing and changes nothing.
    let out = run(
        &["keys", "rotate", "--database", &s.db, "--keys", &s.k2],
        &[],
        Duration::from_secs(10),
    )
    .await;
    out.assert_could_not_run(&["re-sealing failed", "key id 1"]);

    let ring = format!("{},{}", s.k2, s.k1);
    let out = run(
        &["keys", "rotate", "--database", &s.db, "--keys", &ring],
        &[],
        Duration::from_secs(10),
    )
    .await;
    assert_eq!(out.status, 0, "{out}");
    let line = out.stdout.trim();
    let counts = line
        .strip_prefix("re-sealed ")
        .and_then(|r| r.strip_suffix(" secrets under key 2"))
        .unwrap_or_else(|| panic!("the rotate summary:\n{out}"));
    let (done, total) = counts
        .split_once(" of ")
        .unwrap_or_else(|| panic!("X of Y:\n{out}"));
    assert_eq!(done, total, "{out}");
    assert!(total.parse::<u64>().expect("a count") >= 1, "{out}");
    assert!(
        out.stderr.is_empty(),
        "no progress bar off a terminal:\n{out}"
    );

    // The old key is dropped from the ring: the re-sealed token opens with the new one alone.
    let server = s.serve(&s.k2).await;
    let (status, detail) = s.get(&server, &format!("/api/v1/logins/{login}")).await;
    assert_eq!(status, StatusCode::OK, "{detail}");
    let (status, check) = s
        .post(&server, &format!("/api/v1/logins/{login}/check"), json!({}))
        .await;
    assert_eq!(status, StatusCode::OK, "{check}");
    assert_eq!(check["outcome"], "verified", "{check:#}");
    server.stop();

    // Serving with the old key alone: the re-sealed token no longer opens, and the check does not
    // pretend it verified anything.
    let server = s.serve(&s.k1).await;
    let (status, check) = s
        .post(&server, &format!("/api/v1/logins/{login}/check"), json!({}))
        .await;
    assert!(
        status != StatusCode::OK || check["outcome"] != "verified",
        "{status} {check:#}"
    );
    server.stop();

    // The search finds what is stored in the clear, so finding no secret means something.
    assert!(s.database_holds("Alice Moreau").is_some());
    let tokens = s.alice_tokens().await;
    let mut secrets: Vec<&str> = tokens.iter().map(String::as_str).collect();
    secrets.extend([s.k1.as_str(), s.k2.as_str(), s.api_key.as_str(), APP_SECRET]);
    for secret in secrets {
        assert_eq!(
            s.database_holds(secret),
            None,
            "the database holds a secret in the clear ({} chars starting {:?})",
            secret.len(),
            &secret[..6]
        );
    }
}

#[tokio::test]
async fn demo_once_prints_where_to_look() {
    let dir = Scratch::new("demo");
    let tmp = dir.0.display().to_string();
    let out = run(
        &["demo", "--once", "--port", "0"],
        &[("TMPDIR", &tmp)],
        Duration::from_secs(60),
    )
    .await;
    assert_eq!(out.status, 0, "{out}");
    // Every network the simulator hosts is connected too (Instagram Login's three accounts:
    // healthy, a permission switched off, a personal account).
    for needle in [
        "Where to look",
        "events delivered",
        "Reconnect link",
        "instagram login of harbor.bakery",
        "instagram_business_manage_insights",
        "instagram_not_professional",
    ] {
        assert!(out.stdout.contains(needle), "{needle}:\n{out}");
    }
    let key = out
        .stdout
        .lines()
        .find_map(|l| l.trim().strip_prefix("API key"))
        .map(str::trim)
        .unwrap_or_else(|| panic!("an API key line:\n{out}"));
    assert!(key.len() >= 20, "{key}");
    let delivered: u32 = out
        .stdout
        .lines()
        .find_map(|l| l.strip_prefix("Webhooks: "))
        .and_then(|l| l.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("a webhook count:\n{out}"));
    assert!(delivered >= 1, "{out}");
}

#[tokio::test]
async fn log_json_logs_json_lines_and_ctrl_c_stops_cleanly() {
    let s = Setup::new("logjson").await;
    let port = free_port();
    let mut args = s.serve_args(&s.k1, port);
    args.push("--log-json".into());
    let server = Server::start(args, port).await;
    s.connect_alice(&server).await;
    server.wait_for_log("login connected").await;
    let (status, stderr) = server.interrupt().await;
    assert_eq!(status.code(), Some(0), "Ctrl-C is a clean stop:\n{stderr}");

    let mut objects = 0;
    for line in stderr.lines() {
        // Every line, the start banner included, is one JSON object a log collector can take.
        let v: Value = serde_json::from_str(line)
            .unwrap_or_else(|e| panic!("not a JSON line ({e}): {line}\n--- stderr ---\n{stderr}"));
        assert!(
            v["level"].is_string() && v["timestamp"].is_string(),
            "{line}"
        );
        objects += 1;
    }
    assert!(objects >= 1, "the connect is logged:\n{stderr}");
    let connected = stderr
        .lines()
        .find(|l| l.contains("login connected"))
        .expect("the connect line");
    let v: Value = serde_json::from_str(connected).expect("JSON");
    assert_eq!(v["level"], "INFO", "{v}");
    assert!(v["login_id"].is_string(), "fields are flattened: {v}");
    assert!(!stderr.contains(&s.api_key), "{stderr}");
}

#[tokio::test]
async fn user_add_makes_an_owner_who_signs_in_to_the_dashboard() {
    let s = Setup::new("user-add").await;
    let ws = s.workspace_id().await;
    let add = |email: &str, ws: &str| {
        vec![
            "user".to_owned(),
            "add".to_owned(),
            "--workspace".to_owned(),
            ws.to_owned(),
            "--email".to_owned(),
            email.to_owned(),
            "--database".to_owned(),
            s.db.clone(),
            "--keys".to_owned(),
            s.k1.clone(),
        ]
    };
    let out = run(
        &add("Owner@Agency.example", &ws),
        &[],
        Duration::from_secs(20),
    )
    .await;
    assert_eq!(out.status, 0, "{out}");
    let password = out
        .stdout
        .lines()
        .find_map(|l| l.strip_prefix("password"))
        .map(str::trim)
        .unwrap_or_else(|| panic!("a generated password is printed:\n{out}"))
        .to_owned();
    assert!(password.len() >= 16, "{password}");
    assert!(!out.stderr.contains(&password), "printed once, on stdout");
    // The same email again, and a workspace that does not exist: exit 2 with what is wrong.
    let again = run(
        &add("owner@agency.example", &ws),
        &[],
        Duration::from_secs(20),
    )
    .await;
    assert_eq!(again.status, 2, "{again}");
    assert!(again.stderr.contains("already has an account"), "{again}");
    let nowhere = run(
        &add("x@agency.example", "00000000-0000-0000-0000-000000000000"),
        &[],
        Duration::from_secs(20),
    )
    .await;
    assert_eq!(nowhere.status, 2, "{nowhere}");
    assert!(nowhere.stderr.contains("no workspace"), "{nowhere}");
    assert!(
        s.database_holds(&password).is_none(),
        "only a hash is stored"
    );

    // Sign in to the served dashboard with it.
    let server = s.serve(&s.k1).await;
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let page = http.get(server.url("/app/sign-in")).send().await.unwrap();
    let cookie = page
        .headers()
        .get("set-cookie")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .unwrap()
        .to_owned();
    let html = page.text().await.unwrap();
    let at = html.find("name=\"csrf\" value=\"").unwrap() + 19;
    let csrf = &html[at..at + html[at..].find('"').unwrap()];
    let r = http
        .post(server.url("/app/sign-in"))
        .header("cookie", &cookie)
        .form(&[
            ("csrf", csrf),
            ("email", "owner@agency.example"),
            ("password", &password),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "signed in");
    let session = r
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("tether_session="))
        .and_then(|v| v.split(';').next())
        .unwrap()
        .to_owned();
    let overview = http
        .get(server.url("/app"))
        .header("cookie", session)
        .send()
        .await
        .unwrap();
    assert_eq!(overview.status(), StatusCode::OK);
    assert!(
        overview
            .text()
            .await
            .unwrap()
            .contains("No accounts are connected yet")
    );
    assert!(
        !server.stderr().contains(&password),
        "the password is never logged"
    );
    server.stop();
}
