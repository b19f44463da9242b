//! What the service needs to run. The CLI builds this from flags and environment; tests build it
//! directly.

use secrecy::SecretString;
use std::time::Duration;
use url::Url;

/// One Meta app: the credentials people grant access to, and where its Graph API and login dialog
/// live (the simulator's address in tests and the demo).
#[derive(Debug, Clone)]
pub struct MetaApp {
    pub app_id: String,
    pub app_secret: SecretString,
    pub graph_url: Url,
    pub dialog_url: Url,
    /// Answers Meta's webhook subscription handshake (`hub.verify_token`).
    pub webhook_verify_token: SecretString,
}

/// A network other than Meta this deployment connects: which one, and its app there.
#[derive(Debug, Clone)]
pub struct NetworkApp {
    pub network: tether_core::Network,
    pub app: tether_platform::AppConfig,
}

#[derive(Debug, Clone)]
pub struct Config {
    /// The address people's browsers and Meta reach this server at: OAuth redirects, result
    /// pages and reconnect links are built from it.
    pub public_url: Url,
    pub meta: MetaApp,
    /// Every other network people may connect (each must be registered in `networks.rs`).
    pub networks: Vec<NetworkApp>,
    /// A built-in profile name or a profile file: which features the product uses.
    pub profile: String,
    /// Signs reconnect links and result-page links.
    pub link_key: SecretString,
    /// How long a reconnect link stays valid.
    pub link_ttl: Duration,
    /// How long a started OAuth flow may take.
    pub oauth_state_ttl: Duration,
    /// Largest request body accepted (webhooks, API).
    pub body_limit: usize,
    /// How long clients may take to send a request head and a whole request.
    pub timeouts: crate::listen::Timeouts,
    pub worker: WorkerConfig,
    /// Lets the servers a workspace's owner points Tether at (its webhook endpoints, checked when
    /// saved and at every connection, and its mail server) be loopback,
    /// private, link-local or unspecified addresses. Off in production: an owner must not be able
    /// to make Tether probe the network it runs in. On for the demo and the tests, and for a mail
    /// relay on the same host.
    pub allow_private_hosts: bool,
    /// The bearer token `/metrics` asks for; without one `/metrics` is off. Metrics tell how
    /// busy each route and network is, which is not for anyone on the internet.
    pub metrics_token: Option<SecretString>,
}

#[derive(Debug, Clone)]
pub struct WorkerConfig {
    /// Names this worker's leases; unique per process.
    pub owner: String,
    /// Platform calls Tether may spend per hour on each network (each platform app has its own
    /// limits), routine checks and "check now" alike. Kept in the database, so every process on
    /// it spends from the same budget: give every process the same number.
    pub calls_per_hour: u32,
    /// Logins checked together (25 share one batch request).
    pub batch: u32,
    /// How long a claimed login stays leased; a crashed worker's logins come back after it.
    pub lease: Duration,
    /// How often the loop looks for due work when idle.
    pub poll: Duration,
    pub digest_period: Duration,
    /// Attempts before a webhook delivery is given up.
    pub max_delivery_attempts: u32,
}

impl Default for WorkerConfig {
    fn default() -> Self {
        WorkerConfig {
            owner: format!("worker-{}", uuid::Uuid::now_v7()),
            calls_per_hour: 20_000,
            batch: 100,
            lease: Duration::from_secs(120),
            poll: Duration::from_secs(1),
            digest_period: Duration::from_secs(24 * 3600),
            max_delivery_attempts: 8,
        }
    }
}

impl Config {
    /// Where Meta sends people back after the dialog.
    pub fn redirect_uri(&self) -> Url {
        self.callback(tether_core::Network::Meta)
    }

    /// Where a network's dialog sends people back: `/oauth/{network}/callback` (Meta's is the
    /// address every deployment's Meta app settings already hold).
    pub fn callback(&self, network: tether_core::Network) -> Url {
        self.url(&format!("oauth/{network}/callback"))
    }

    pub fn url(&self, path: &str) -> Url {
        let mut base = self.public_url.clone();
        if !base.path().ends_with('/') {
            base.set_path(&format!("{}/", base.path()));
        }
        base.join(path).unwrap_or(base)
    }
}

impl NetworkApp {
    /// Every registered network but Meta whose simulator part answers at `{sim}/{network}`, with
    /// the simulated app's credentials: how the demo and the tests connect every network the
    /// simulator hosts without naming one.
    pub async fn from_simulator(sim: &Url, http: &reqwest::Client) -> Vec<NetworkApp> {
        let mut out = Vec::new();
        for r in crate::networks::REGISTERED {
            if r.id == tether_core::Network::Meta {
                continue;
            }
            let Ok(base) = sim.join(&format!("{}/", r.id)) else {
                continue;
            };
            let Ok(resp) = http
                .get(base.join("_admin/app").expect("relative"))
                .send()
                .await
            else {
                continue;
            };
            let Ok(app) = resp.json::<serde_json::Value>().await else {
                continue;
            };
            let (Some(id), Some(secret)) =
                (app["client_id"].as_str(), app["client_secret"].as_str())
            else {
                continue;
            };
            out.push(NetworkApp {
                network: r.id,
                app: tether_platform::AppConfig {
                    client_id: id.to_owned(),
                    client_secret: SecretString::from(secret.to_owned()),
                    api_url: Some(base),
                    dialog_url: None,
                    timeout: None,
                    verify_token: None,
                    catalog: None,
                },
            });
        }
        out
    }
}

/// A login a simulator part offers the demo, as if it had just been connected.
#[derive(Debug, Clone)]
pub struct SimulatedLogin {
    pub name: String,
    pub issued: tether_platform::Issued,
}

impl NetworkApp {
    /// The logins this network's simulator part offers for a demo (`POST {api_url}/_admin/demo`);
    /// none when it offers none or is not a simulator.
    pub async fn simulated_logins(
        &self,
        http: &reqwest::Client,
        now: jiff::Timestamp,
    ) -> Vec<SimulatedLogin> {
        let Some(base) = &self.app.api_url else {
            return Vec::new();
        };
        let Ok(url) = base.join("_admin/demo") else {
            return Vec::new();
        };
        let Ok(resp) = http.post(url).send().await else {
            return Vec::new();
        };
        let Ok(list) = resp.json::<Vec<serde_json::Value>>().await else {
            return Vec::new();
        };
        list.iter()
            .filter_map(|v| {
                let token = v["access_token"].as_str()?;
                let after = |key: &str| {
                    v[key]
                        .as_i64()
                        .and_then(|s| now.checked_add(jiff::SignedDuration::from_secs(s)).ok())
                };
                Some(SimulatedLogin {
                    name: v["name"].as_str().unwrap_or("someone").to_owned(),
                    issued: tether_platform::Issued {
                        access_token: SecretString::from(token.to_owned()),
                        expires_at: after("expires_in"),
                        refresh_token: v["refresh_token"]
                            .as_str()
                            .map(|t| SecretString::from(t.to_owned())),
                        refresh_expires_at: after("refresh_token_expires_in"),
                        user_id: v["user_id"].as_str().map(str::to_owned),
                        granted: v["granted"].as_array().map(|a| {
                            a.iter()
                                .filter_map(|s| s.as_str().map(str::to_owned))
                                .collect()
                        }),
                    },
                })
            })
            .collect()
    }
}
