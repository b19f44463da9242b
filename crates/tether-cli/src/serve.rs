//! `tether serve` (API + worker in one process) and `tether worker` (a worker alone, for
//! PostgreSQL deployments with several worker processes).

use anyhow::Context;
use clap::{Args, ValueEnum};
use secrecy::SecretString;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;
use tether_server::{App, Config, MetaApp, NetworkApp, SystemClock, WorkerConfig};
use tether_store::{KeyRing, SqlStore};

/// Where the data lives and how tokens are sealed: every command that opens the store takes these.
#[derive(Debug, Args, Clone)]
pub struct StoreArgs {
    /// A SQLite file path (created if missing) or a postgres:// URL.
    #[arg(long, env = "TETHER_DATABASE", default_value = "tether.db")]
    pub database: String,
    /// The key ring sealing tokens, `ID:BASE64KEY[,ID:BASE64KEY…]` (the highest id is active); see
    /// `tether keys generate`. Or give --key-file.
    #[arg(
        long,
        env = "TETHER_KEYS",
        hide_env_values = true,
        conflicts_with = "key_file"
    )]
    pub keys: Option<String>,
    /// A file holding the key ring.
    #[arg(long, env = "TETHER_KEY_FILE")]
    pub key_file: Option<PathBuf>,
}

impl StoreArgs {
    pub fn key_ring(&self) -> anyhow::Result<KeyRing> {
        match (&self.keys, &self.key_file) {
            (Some(k), _) => KeyRing::parse(&SecretString::from(k.clone()))
                .context("TETHER_KEYS / --keys is not a valid key ring"),
            (None, Some(path)) => KeyRing::from_file(path)
                .with_context(|| format!("key file {} is not a valid key ring", path.display())),
            (None, None) => anyhow::bail!(
                "no token encryption keys: set TETHER_KEYS or --key-file (create one with `tether keys generate`)"
            ),
        }
    }

    pub async fn open(&self) -> anyhow::Result<SqlStore> {
        let store = SqlStore::connect(&self.database, self.key_ring()?)
            .await
            .with_context(|| format!("cannot open the database {}", redact(&self.database)))?;
        store
            .migrate()
            .await
            .context("cannot migrate the database")?;
        Ok(store)
    }
}

/// A database URL without its password, for messages.
pub fn redact(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut u) if u.password().is_some() => {
            let _ = u.set_password(Some("***"));
            u.to_string()
        }
        _ => url.to_owned(),
    }
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, Args)]
pub struct ServiceArgs {
    #[command(flatten)]
    pub store: StoreArgs,
    /// The address people's browsers and Meta reach this server at (OAuth redirects and links).
    #[arg(
        long,
        env = "TETHER_PUBLIC_URL",
        default_value = "http://127.0.0.1:4580"
    )]
    pub public_url: url::Url,
    /// Your Meta app's id.
    #[arg(long, env = "TETHER_META_APP_ID")]
    pub meta_app_id: String,
    #[arg(long, env = "TETHER_META_APP_SECRET", hide_env_values = true)]
    pub meta_app_secret: String,
    /// Graph API base URL (the simulator's in tests and the demo).
    #[arg(
        long,
        env = "TETHER_GRAPH_URL",
        default_value = "https://graph.facebook.com"
    )]
    pub graph_url: url::Url,
    /// Where the Facebook Login dialog lives.
    #[arg(
        long,
        env = "TETHER_DIALOG_URL",
        default_value = "https://www.facebook.com"
    )]
    pub dialog_url: url::Url,
    /// The verify token you entered for the app's webhook subscription.
    #[arg(long, env = "TETHER_WEBHOOK_VERIFY_TOKEN", hide_env_values = true)]
    pub webhook_verify_token: String,
    /// Signs reconnect links; keep it secret and stable across restarts.
    #[arg(long, env = "TETHER_LINK_KEY", hide_env_values = true)]
    pub link_key: String,
    /// Which features the product uses: a built-in profile or a profile file.
    #[arg(long, env = "TETHER_PROFILE", default_value = "default")]
    pub profile: String,
    /// Platform calls per hour on each network, routine checks and check now alike; kept in the
    /// database and shared by every process on it (give each the same number).
    #[arg(long, env = "TETHER_CALLS_PER_HOUR", default_value_t = 20_000)]
    pub calls_per_hour: u32,
    /// Largest accepted request body, in bytes.
    #[arg(long, default_value_t = 256 * 1024)]
    pub body_limit: usize,
    /// Seconds a client may take to send a request's head (also how long an idle kept-alive
    /// connection stays open).
    #[arg(long, default_value_t = 10)]
    pub header_timeout: u64,
    /// Seconds a request's body may take to arrive in full before it is answered 408.
    #[arg(long, default_value_t = 30)]
    pub body_timeout: u64,
    /// Let workspaces' webhook endpoints and mail servers be loopback or private addresses (a
    /// receiver or relay on your own network).
    #[arg(long, env = "TETHER_ALLOW_PRIVATE_HOSTS")]
    pub allow_private_hosts: bool,
    /// The bearer token Prometheus presents at /metrics; /metrics is off without one.
    #[arg(long, env = "TETHER_METRICS_TOKEN", hide_env_values = true)]
    pub metrics_token: Option<String>,
    /// Another network people may connect, as NETWORK=CLIENT_ID (e.g. instagram=9900...); its
    /// secret comes from TETHER_<NETWORK>_APP_SECRET. Repeat for each network.
    #[arg(long = "network-app", value_name = "NETWORK=CLIENT_ID", value_parser = network_pair)]
    pub network_apps: Vec<(tether_core::Network, String)>,
    /// Where a network's hosts are, as NETWORK=URL (the simulator's part in tests and the demo;
    /// the real hosts otherwise).
    #[arg(long = "network-api-url", value_name = "NETWORK=URL", value_parser = network_pair)]
    pub network_api_urls: Vec<(tether_core::Network, String)>,
}

/// `instagram=9900...` → (Instagram, "9900..."), naming the networks Tether knows when wrong.
fn network_pair(s: &str) -> Result<(tether_core::Network, String), String> {
    let (name, value) = s
        .split_once('=')
        .ok_or_else(|| format!("`{s}` is not NETWORK=VALUE"))?;
    let reg = tether_server::networks::by_name(name.trim())?;
    Ok((reg.id, value.trim().to_owned()))
}

impl ServiceArgs {
    /// The other networks' apps: client id from the flag, secret from the environment.
    fn networks(&self) -> anyhow::Result<Vec<NetworkApp>> {
        let mut out = Vec::new();
        for (network, client_id) in &self.network_apps {
            let var = format!(
                "TETHER_{}_APP_SECRET",
                network.as_str().to_ascii_uppercase()
            );
            let secret = std::env::var(&var)
                .map_err(|_| anyhow::anyhow!("--network-app {network}=... needs {var}"))?;
            let api_url = self
                .network_api_urls
                .iter()
                .find(|(n, _)| n == network)
                .map(|(_, u)| {
                    u.parse::<url::Url>()
                        .map_err(|e| anyhow::anyhow!("--network-api-url {network}={u}: {e}"))
                })
                .transpose()?;
            out.push(NetworkApp {
                network: *network,
                app: tether_platform::AppConfig {
                    client_id: client_id.clone(),
                    client_secret: SecretString::from(secret),
                    api_url,
                    dialog_url: None,
                    timeout: None,
                    verify_token: None,
                    catalog: None,
                },
            });
        }
        Ok(out)
    }

    pub fn config(&self) -> anyhow::Result<Config> {
        Ok(Config {
            networks: self.networks()?,
            public_url: self.public_url.clone(),
            meta: MetaApp {
                app_id: self.meta_app_id.clone(),
                app_secret: SecretString::from(self.meta_app_secret.clone()),
                graph_url: self.graph_url.clone(),
                dialog_url: self.dialog_url.clone(),
                webhook_verify_token: SecretString::from(self.webhook_verify_token.clone()),
            },
            profile: self.profile.clone(),
            link_key: SecretString::from(self.link_key.clone()),
            link_ttl: Duration::from_secs(7 * 24 * 3600),
            oauth_state_ttl: Duration::from_secs(30 * 60),
            body_limit: self.body_limit,
            timeouts: tether_server::listen::Timeouts {
                header_read: Duration::from_secs(self.header_timeout),
                body: Duration::from_secs(self.body_timeout),
            },
            worker: WorkerConfig {
                calls_per_hour: self.calls_per_hour,
                ..WorkerConfig::default()
            },
            allow_private_hosts: self.allow_private_hosts,
            metrics_token: self.metrics_token.clone().map(SecretString::from),
        })
    }
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    #[command(flatten)]
    pub service: ServiceArgs,
    /// Address to listen on.
    #[arg(long, env = "TETHER_LISTEN", default_value = "127.0.0.1:4580")]
    pub listen: SocketAddr,
    /// Serve the API only; run workers separately with `tether worker`.
    #[arg(long)]
    pub no_worker: bool,
}

/// Refuses a bad profile before the database is created or migrated.
fn check_profile(spec: &str) -> anyhow::Result<()> {
    let catalog = tether_core::Catalog::builtin(tether_core::Network::Meta)
        .context("the built-in catalog is invalid")?;
    tether_server::check::load_profile(&catalog, spec).map(drop)
}

pub async fn serve(args: ServeArgs) -> anyhow::Result<ExitCode> {
    check_profile(&args.service.profile)?;
    let config = args.service.config()?;
    let poll = config.worker.poll;
    let store = args.service.store.open().await?;
    let app = App::build(config, store, Arc::new(SystemClock)).await?;
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .with_context(|| format!("cannot listen on {}", args.listen))?;
    let addr = listener.local_addr()?;
    tracing::info!(
        %addr,
        "tether serving http://{addr} (API under /api/v1, OpenAPI at /api/v1/openapi.json, metrics at /metrics with --metrics-token)"
    );
    let follower = app.spawn_index_follower(Duration::from_secs(2));
    let worker = (!args.no_worker).then(|| {
        tokio::spawn(tether_server::run_worker(
            app.worker.clone(),
            poll,
            shutdown_signal(),
        ))
    });
    app.serve(listener, shutdown_signal()).await?;
    follower.abort();
    if let Some(w) = worker {
        let _ = w.await;
    }
    Ok(ExitCode::SUCCESS)
}

pub async fn worker(args: ServiceArgs) -> anyhow::Result<ExitCode> {
    check_profile(&args.profile)?;
    let config = args.config()?;
    let poll = config.worker.poll;
    let store = args.store.open().await?;
    let app = App::build_worker(config, store, Arc::new(SystemClock)).await?;
    tracing::info!(owner = %app.state.config.worker.owner, "tether worker running");
    tether_server::run_worker(app.worker.clone(), poll, shutdown_signal()).await;
    Ok(ExitCode::SUCCESS)
}

/// Ctrl-C, or SIGTERM (how Docker, Kubernetes and systemd stop a process): in-flight requests
/// and deliveries finish, the worker stops between steps, and whatever it still holds is released
/// (`Store::release_leases`), so another worker takes over at once.
pub async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
