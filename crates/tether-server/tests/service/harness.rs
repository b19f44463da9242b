//! Boots the real service per test: the simulator on 127.0.0.1:0, a fresh database (SQLite file,
//! or a fresh PostgreSQL database when TEST_DATABASE_URL is set), the app on port 0, a webhook
//! receiver, and a workspace with an API key. Background work is stepped explicitly.

use axum::body::Bytes;
use axum::http::HeaderMap;
use reqwest::StatusCode;
use secrecy::{ExposeSecret, SecretString};
use serde_json::Value;
use sqlx::{AssertSqlSafe, Connection};
use std::future::Future;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU16, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tether_server::listen::{self, Timeouts};
use tether_server::{App, Config, ManualClock, MetaApp, NetworkApp, StepReport, WorkerConfig};
use tether_sim::{AdminClient, CallbackUpdate, Consent, SimHandle, World, answer_dialog};
use tether_store::{KeyRing, SqlStore, Store};
use uuid::Uuid;

pub const VERIFY_TOKEN: &str = "test-verify-token";
pub const METRICS_TOKEN: &str = "test-metrics-token";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Engine {
    Sqlite,
    Postgres,
}

/// Runs `body` on SQLite, then on PostgreSQL when TEST_DATABASE_URL is set.
pub async fn on_each_engine<F, Fut>(body: F)
where
    F: Fn(Engine) -> Fut,
    Fut: Future<Output = ()>,
{
    body(Engine::Sqlite).await;
    match std::env::var("TEST_DATABASE_URL") {
        Ok(url) if !url.is_empty() => body(Engine::Postgres).await,
        _ => eprintln!("TEST_DATABASE_URL not set: PostgreSQL leg skipped"),
    }
}

/// One webhook delivery as received.
#[derive(Debug, Clone)]
pub struct Received {
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Received {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).expect("webhook body is JSON")
    }
}

#[derive(Default)]
pub struct Inbox {
    pub received: Mutex<Vec<Received>>,
    /// The status the receiver answers with (200 unless a test makes it fail).
    pub answer: AtomicU16,
}

enum Cleanup {
    Dir(PathBuf),
    Postgres { admin_url: String, name: String },
}

pub struct TestApp {
    /// Held so the simulator runs as long as the test.
    _sim: SimHandle,
    pub admin: AdminClient,
    pub app: App,
    /// What the app was built with, for another process on the same store.
    pub config: Config,
    pub base: String,
    pub clock: ManualClock,
    pub http: reqwest::Client,
    pub key: String,
    pub inbox: Arc<Inbox>,
    pub endpoint_secret: String,
    /// The workspace the API key belongs to.
    pub ws: tether_store::WorkspaceId,
    cleanup: Cleanup,
    server: tokio::task::JoinHandle<()>,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        self.server.abort();
        match &self.cleanup {
            Cleanup::Dir(d) => {
                let _ = std::fs::remove_dir_all(d);
            }
            Cleanup::Postgres { admin_url, name } => {
                let (admin_url, name) = (admin_url.clone(), name.clone());
                // Dropped inside a runtime: drop the database from a plain thread.
                let _ = std::thread::spawn(move || {
                    let rt = tokio::runtime::Builder::new_current_thread()
                        .enable_all()
                        .build()
                        .unwrap();
                    rt.block_on(async {
                        if let Ok(mut c) = sqlx::PgConnection::connect(&admin_url).await {
                            let sql = format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)");
                            let _ = sqlx::query(AssertSqlSafe(sql)).execute(&mut c).await;
                        }
                    });
                })
                .join();
            }
        }
    }
}

async fn database(engine: Engine) -> (String, Cleanup) {
    match engine {
        Engine::Sqlite => {
            let dir =
                std::env::temp_dir().join(format!("tether-server-{}", Uuid::now_v7().simple()));
            std::fs::create_dir_all(&dir).unwrap();
            let url = dir.join("tether.db").display().to_string();
            (url, Cleanup::Dir(dir))
        }
        Engine::Postgres => {
            let admin_url = std::env::var("TEST_DATABASE_URL").unwrap();
            let name = format!("tether_srv_{}", Uuid::now_v7().simple());
            let mut c = sqlx::PgConnection::connect(&admin_url)
                .await
                .expect("postgres reachable");
            sqlx::query(AssertSqlSafe(format!("CREATE DATABASE \"{name}\"")))
                .execute(&mut c)
                .await
                .unwrap();
            let mut url = url::Url::parse(&admin_url).unwrap();
            url.set_path(&format!("/{name}"));
            (url.to_string(), Cleanup::Postgres { admin_url, name })
        }
    }
}

pub fn http() -> reqwest::Client {
    tether_server::install_tls_provider();
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap()
}

async fn spawn_inbox(inbox: Arc<Inbox>) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let router = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |headers: HeaderMap, body: Bytes| {
            let inbox = inbox.clone();
            async move {
                inbox
                    .received
                    .lock()
                    .unwrap()
                    .push(Received { headers, body });
                let code = inbox.answer.load(Ordering::SeqCst);
                StatusCode::from_u16(if code == 0 { 200 } else { code }).unwrap()
            }
        }),
    );
    tokio::spawn(async move {
        let _ = axum::serve(listener, router).await;
    });
    format!("http://{addr}/hook")
}

/// How a test app differs from the usual one.
struct Options {
    world: World,
    profile: String,
    /// The SMTP receiver of the mail tests and the webhook inbox are on 127.0.0.1.
    allow_private_hosts: bool,
    timeouts: Timeouts,
    https: bool,
    calls_per_hour: u32,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            world: World::demo(),
            profile: "scheduler".into(),
            allow_private_hosts: true,
            timeouts: Timeouts::default(),
            https: false,
            calls_per_hour: WorkerConfig::default().calls_per_hour,
        }
    }
}

impl TestApp {
    pub async fn spawn(engine: Engine) -> TestApp {
        TestApp::spawn_with(engine, World::demo(), "scheduler").await
    }

    pub async fn spawn_with(engine: Engine, world: World, profile: &str) -> TestApp {
        TestApp::spawn_full(
            engine,
            Options {
                world,
                profile: profile.to_owned(),
                ..Options::default()
            },
        )
        .await
    }

    /// As production runs: outbound connections to private addresses refused.
    pub async fn spawn_strict(engine: Engine) -> TestApp {
        TestApp::spawn_full(
            engine,
            Options {
                allow_private_hosts: false,
                ..Options::default()
            },
        )
        .await
    }

    /// With other limits on how long clients may take.
    pub async fn spawn_with_timeouts(engine: Engine, timeouts: Timeouts) -> TestApp {
        TestApp::spawn_full(
            engine,
            Options {
                timeouts,
                ..Options::default()
            },
        )
        .await
    }

    /// With this many platform calls an hour per network.
    pub async fn spawn_with_budget(engine: Engine, calls_per_hour: u32) -> TestApp {
        TestApp::spawn_full(
            engine,
            Options {
                calls_per_hour,
                ..Options::default()
            },
        )
        .await
    }

    /// Behind a TLS proxy: the public address is https, the test still speaks http to it.
    pub async fn spawn_behind_https(engine: Engine) -> TestApp {
        TestApp::spawn_full(
            engine,
            Options {
                https: true,
                ..Options::default()
            },
        )
        .await
    }

    async fn spawn_full(engine: Engine, options: Options) -> TestApp {
        let Options {
            world,
            profile,
            allow_private_hosts,
            timeouts,
            https,
            calls_per_hour,
        } = options;
        let start = world.clock.start;
        let (app_id, app_secret) = (world.app.id.clone(), world.app.secret.clone());
        let sim = tether_sim::spawn(world).expect("simulator starts");
        let admin = sim.admin().clone();
        let (db_url, cleanup) = database(engine).await;
        let ring = format!("1:{}", KeyRing::generate_key().expose_secret());
        let keys = KeyRing::parse(&SecretString::from(ring.clone())).unwrap();
        let store = SqlStore::connect(&db_url, keys)
            .await
            .expect("store connects");
        store.migrate().await.expect("migrations run");

        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let sim_url: url::Url = sim.base_url().parse().unwrap();
        let networks = NetworkApp::from_simulator(&sim_url, &reqwest::Client::new()).await;
        let config = Config {
            networks,
            public_url: if https {
                base.replace("http://", "https://").parse().unwrap()
            } else {
                base.parse().unwrap()
            },
            meta: MetaApp {
                app_id,
                app_secret: SecretString::from(app_secret),
                graph_url: sim_url.clone(),
                dialog_url: sim_url,
                webhook_verify_token: SecretString::from(VERIFY_TOKEN.to_owned()),
            },
            profile,
            link_key: SecretString::from("test-link-key".to_owned()),
            link_ttl: Duration::from_secs(3600),
            oauth_state_ttl: Duration::from_secs(600),
            body_limit: 64 * 1024,
            timeouts,
            worker: WorkerConfig {
                owner: "test-worker".into(),
                calls_per_hour,
                ..WorkerConfig::default()
            },
            // The SMTP receiver of the mail tests and the webhook inbox are on 127.0.0.1.
            allow_private_hosts,
            metrics_token: Some(SecretString::from(METRICS_TOKEN.to_owned())),
        };
        let clock = ManualClock::new(start);
        let app = App::build(config.clone(), store, Arc::new(clock.clone()))
            .await
            .expect("app builds");
        // Served as `tether serve` serves it, with its limits on slow clients.
        let router = app.router.clone();
        let server = tokio::spawn(async move {
            let _ = listen::serve(listener, router, timeouts, std::future::pending()).await;
        });
        admin
            .set_redirect_uris(&[&format!("{base}/oauth/meta/callback")])
            .await
            .unwrap();
        admin
            .set_callbacks(
                &CallbackUpdate::default()
                    .deauthorize_url(format!("{base}/hooks/meta/deauthorize"))
                    .data_deletion_url(format!("{base}/hooks/meta/data-deletion"))
                    .webhook(format!("{base}/hooks/meta/webhook"), VERIFY_TOKEN),
            )
            .await
            .expect("the simulator subscribes its webhook (handshake answered)");

        let s = &app.state;
        let ws = s
            .store
            .create_workspace("Agency", s.clock.now())
            .await
            .unwrap();
        let key = s.store.create_api_key(ws.id, s.clock.now()).await.unwrap();
        let inbox = Arc::new(Inbox::default());
        let hook_url = spawn_inbox(inbox.clone()).await;
        let (_, secret) = s
            .store
            .create_endpoint(ws.id, &hook_url, "test", s.clock.now())
            .await
            .unwrap();
        TestApp {
            _sim: sim,
            admin,
            app,
            config,
            base,
            clock,
            http: http(),
            key: key.secret.expose_secret().to_owned(),
            inbox,
            endpoint_secret: secret.expose_secret().to_owned(),
            ws: ws.id,
            cleanup,
            server,
        }
    }

    /// The simulator's address (every network's part is under its own prefix there).
    pub fn sim_url(&self) -> String {
        self._sim.base_url()
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    pub async fn get(&self, path: &str) -> (StatusCode, Value) {
        let r = self
            .http
            .get(self.url(path))
            .bearer_auth(&self.key)
            .send()
            .await
            .unwrap();
        let status = r.status();
        (status, r.json().await.unwrap_or(Value::Null))
    }

    /// The page at `url` (absolute, as a redirect names it), as a browser without a session gets
    /// it.
    pub async fn page(&self, url: &str) -> String {
        self.http
            .get(url)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
    }

    pub async fn post(&self, path: &str, body: Value) -> (StatusCode, Value) {
        let r = self
            .http
            .post(self.url(path))
            .bearer_auth(&self.key)
            .json(&body)
            .send()
            .await
            .unwrap();
        let status = r.status();
        (status, r.json().await.unwrap_or(Value::Null))
    }

    /// One worker round, with Tether's clock following the simulator's.
    /// Another process on the same store and clock, started now (a worker restarted after a
    /// catalog change): it reads what the store holds at start, as `tether serve` does.
    pub async fn restarted(&self) -> App {
        App::build(
            self.config.clone(),
            self.app.state.store.clone(),
            Arc::new(self.clock.clone()),
        )
        .await
        .expect("app builds")
    }

    pub async fn step(&self) -> StepReport {
        self.sync_clock().await;
        self.app.worker.step().await.expect("worker step")
    }

    pub async fn sync_clock(&self) {
        let c = self.admin.clock().await.unwrap();
        let now: jiff::Timestamp = c["now"].as_str().unwrap().parse().unwrap();
        self.clock.set(now);
    }

    /// Moves both clocks forward (the simulator's and Tether's).
    pub async fn advance(&self, secs: i64) {
        self.admin.advance_seconds(secs).await.unwrap();
        self.sync_clock().await;
    }

    pub fn received(&self) -> Vec<Received> {
        self.inbox.received.lock().unwrap().clone()
    }

    pub fn events(&self, event_type: &str) -> Vec<Value> {
        self.received()
            .iter()
            .map(Received::json)
            .filter(|e| e["type"] == event_type)
            .collect()
    }

    /// Starts a connect through the API and drives the simulator's dialog as `user`, leaving
    /// out the given permissions and Pages. Returns the callback's response (not followed).
    pub async fn connect(
        &self,
        user: &str,
        untick: &[&str],
        unselect: &[&str],
        body: Value,
    ) -> reqwest::Response {
        let (status, started) = self.post("/api/v1/connect/meta", body).await;
        assert_eq!(status, StatusCode::OK, "{started}");
        let url = started["authorization_url"].as_str().unwrap().to_owned();
        let redirect = self.consent(&url, user, untick, unselect, "allow").await;
        self.http.get(redirect).send().await.unwrap()
    }

    /// Answers the dialog at `url` as `user`; returns where the dialog redirects the browser.
    pub async fn consent(
        &self,
        url: &str,
        user: &str,
        untick: &[&str],
        unselect: &[&str],
        action: &str,
    ) -> String {
        let consent = Consent {
            user,
            untick,
            unselect,
            allow: action == "allow",
        };
        answer_dialog(&self.http, url, consent)
            .await
            .expect("the dialog redirects")
    }

    /// The workspace's assets as the API lists them.
    pub async fn assets(&self) -> Vec<Value> {
        let (s, v) = self.get("/api/v1/assets").await;
        assert_eq!(s, StatusCode::OK, "{v}");
        v["items"].as_array().unwrap().clone()
    }

    pub async fn asset_by_platform_id(&self, id: &str) -> Value {
        self.assets()
            .await
            .into_iter()
            .find(|a| a["platform_id"] == id)
            .unwrap_or_else(|| panic!("asset {id} listed"))
    }
}
