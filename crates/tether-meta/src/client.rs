//! The HTTP side: one batch request with bounded retries (docs/GRAPH_CALLS.md).

use crate::classify::{Classification, TokenUsed, classify};
use crate::config::{ConfigError, GraphConfig};
use crate::proof::{app_access_token, appsecret_proof};
use crate::usage::Usage;
use crate::wire::{BatchItem, GraphResponse, parse_batch, parse_graph};
use secrecy::{ExposeSecret, SecretString};
use serde_json::Value;
use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;
use tether_core::PlatformError;
use url::Url;

/// Graph allows at most 50 requests in one batch.
pub const MAX_BATCH_ITEMS: usize = 50;

pub use tether_platform::CallStats;

/// A Graph API client for checking user logins. Cheap to clone; clones share the connection
/// pool and the counters.
#[derive(Clone)]
pub struct GraphClient {
    pub(crate) inner: Arc<Inner>,
}

pub(crate) struct Inner {
    pub(crate) http: reqwest::Client,
    pub(crate) config: GraphConfig,
    batch_url: Url,
    app_token: SecretString,
    app_proof: String,
    http_requests: AtomicU64,
    platform_calls: AtomicU64,
    pub(crate) token_facts_reused: AtomicU64,
    pub(crate) oauth_requests: AtomicU64,
    /// The app's usage in percent from the latest batch response's `X-App-Usage` (NO_USAGE
    /// until one carried it).
    usage_percent: AtomicU64,
}

const NO_USAGE: u64 = u64::MAX;

impl fmt::Debug for GraphClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GraphClient")
            .field("config", &self.inner.config)
            .field("stats", &self.stats())
            .finish_non_exhaustive()
    }
}

/// Why a whole batch request failed after its retries.
#[derive(Debug, Clone)]
pub(crate) enum BatchFailure {
    Unavailable { attempts: u32, last: String },
    RateLimited { retry_after: Option<Duration> },
    Misconfigured(PlatformError),
    Unrecognized(PlatformError),
}

pub(crate) struct BatchReply {
    pub items: Vec<Option<BatchItem>>,
    pub usage: Usage,
}

enum Attempt {
    Done(BatchReply),
    Failed {
        class: Classification,
        error: Option<PlatformError>,
        detail: String,
    },
}

impl GraphClient {
    pub fn new(config: GraphConfig) -> Result<GraphClient, ConfigError> {
        config.validate()?;
        // reqwest with `rustls-no-provider` panics on Client::build without a provider (STACK.md
        // G1); installing twice is harmless, so the result is ignored.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(config.timeout)
            .connect_timeout(config.connect_timeout)
            .build()
            .map_err(ConfigError::HttpClient)?;
        let app_token = app_access_token(&config.app_id, &config.app_secret);
        let app_proof = appsecret_proof(&config.app_secret, app_token.expose_secret());
        Ok(GraphClient {
            inner: Arc::new(Inner {
                http,
                batch_url: config.batch_url(),
                config,
                app_token,
                app_proof,
                http_requests: AtomicU64::new(0),
                platform_calls: AtomicU64::new(0),
                token_facts_reused: AtomicU64::new(0),
                oauth_requests: AtomicU64::new(0),
                usage_percent: AtomicU64::new(NO_USAGE),
            }),
        })
    }

    /// The configuration the client was built with (for `authorize_url`).
    pub fn config(&self) -> &GraphConfig {
        &self.inner.config
    }

    /// The app's usage the latest batch response reported, in percent.
    pub fn usage_percent(&self) -> Option<u32> {
        match self.inner.usage_percent.load(Ordering::Relaxed) {
            NO_USAGE => None,
            p => Some(u32::try_from(p).unwrap_or(u32::MAX)),
        }
    }

    pub fn stats(&self) -> CallStats {
        CallStats {
            http_requests: self.inner.http_requests.load(Ordering::Relaxed),
            platform_calls: self.inner.platform_calls.load(Ordering::Relaxed),
            token_facts_reused: self.inner.token_facts_reused.load(Ordering::Relaxed),
            oauth_requests: self.inner.oauth_requests.load(Ordering::Relaxed),
        }
    }

    pub(crate) fn proof_for(&self, token: &str) -> String {
        appsecret_proof(&self.inner.config.app_secret, token)
    }

    /// Sends one batch of GET `relative_url`s, retrying whole-request transient failures and
    /// short rate limits.
    pub(crate) async fn send_batch(
        &self,
        relative_urls: &[String],
    ) -> Result<BatchReply, BatchFailure> {
        debug_assert!(relative_urls.len() <= MAX_BATCH_ITEMS);
        let batch: Vec<Value> = relative_urls
            .iter()
            .map(|u| serde_json::json!({"method": "GET", "relative_url": u}))
            .collect();
        let batch = Value::Array(batch).to_string();
        let policy = &self.inner.config.retry;
        let max_wait = self.inner.config.max_rate_limit_wait;
        let mut attempt = 0u32;
        loop {
            attempt += 1;
            let (class, error, detail) = match self.attempt(&batch, relative_urls.len()).await {
                Attempt::Done(reply) => return Ok(reply),
                Attempt::Failed {
                    class,
                    error,
                    detail,
                } => (class, error, detail),
            };
            let exhausted = attempt >= policy.max_attempts;
            tracing::debug!(attempt, exhausted, %detail, "Graph batch request failed");
            let wait = match class {
                Classification::Transient if exhausted => {
                    return Err(BatchFailure::Unavailable {
                        attempts: attempt,
                        last: detail,
                    });
                }
                Classification::Transient => policy.delay(attempt),
                Classification::RateLimited { retry_after, .. } => match retry_after {
                    Some(d) if d > max_wait || exhausted => {
                        return Err(BatchFailure::RateLimited { retry_after });
                    }
                    None if exhausted => return Err(BatchFailure::RateLimited { retry_after }),
                    Some(d) => d,
                    None => policy.delay(attempt),
                },
                Classification::CheckerMisconfigured => {
                    return Err(BatchFailure::Misconfigured(
                        error.unwrap_or(PlatformError::new(0, None::<u8>, detail)),
                    ));
                }
                _ => {
                    return Err(BatchFailure::Unrecognized(
                        error.unwrap_or(PlatformError::new(0, None::<u8>, detail)),
                    ));
                }
            };
            tokio::time::sleep(wait).await;
        }
    }

    async fn attempt(&self, batch: &str, items: usize) -> Attempt {
        let inner = &self.inner;
        inner.http_requests.fetch_add(1, Ordering::Relaxed);
        inner
            .platform_calls
            .fetch_add(items as u64, Ordering::Relaxed);
        let sent = inner
            .http
            .post(inner.batch_url.clone())
            .form(&[
                ("access_token", inner.app_token.expose_secret()),
                ("appsecret_proof", inner.app_proof.as_str()),
                ("include_headers", "false"),
                ("batch", batch),
            ])
            .send()
            .await;
        let transient = |detail: String| Attempt::Failed {
            class: Classification::Transient,
            error: None,
            detail,
        };
        let resp = match sent {
            Ok(r) => r,
            // Tokens travel in the form body, never the URL, but the URL is dropped anyway.
            Err(e) => return transient(format!("request failed: {}", e.without_url())),
        };
        let status = resp.status().as_u16();
        let usage = Usage::from_pairs(
            resp.headers()
                .iter()
                .filter_map(|(k, v)| Some((k.as_str(), v.to_str().ok()?))),
        );
        if let Some(p) = usage.app_percent() {
            // Percent figures are 0..=100 (more when over the limit); never negative.
            inner
                .usage_percent
                .store(p.max(0.0).round() as u64, Ordering::Relaxed);
        }
        let body = match resp.text().await {
            Ok(b) => b,
            Err(e) => {
                return transient(format!("reading the response failed: {}", e.without_url()));
            }
        };
        if status == 200
            && let Ok(items) = parse_batch(&body)
        {
            return Attempt::Done(BatchReply { items, usage });
        }
        match parse_graph::<Value>(&body) {
            Ok(GraphResponse::Error(err)) => Attempt::Failed {
                class: classify(&err, TokenUsed::App, Some(&usage)),
                detail: format!("HTTP {status}, Graph error {}: {}", err.code, err.message),
                error: Some(err.to_platform_error().with_status(status)),
            },
            // No Graph envelope: a proxy page, a truncated body, a 5xx. Retrying is the only
            // move that cannot blame anyone wrongly.
            _ => transient(format!(
                "HTTP {status} with a body that is not a Graph batch reply"
            )),
        }
    }
}
