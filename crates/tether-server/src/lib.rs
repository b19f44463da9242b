//! Tether's service: the REST API (`/api/v1`), Facebook Login connect and reconnect, the callbacks
//! and webhooks Meta pushes, the monitoring worker and outbound webhook delivery.
//!
//! [`App::build`] wires a store, a clock and a config into one [`AppState`]; `serve` runs the HTTP
//! side and [`Worker::step`] one round of background work, so tests boot the real app on port 0 and
//! step the worker explicitly.
#![forbid(unsafe_code)]

pub mod api;
pub mod auth;
pub mod check;
pub mod clock;
pub mod config;
pub mod connect;
pub mod dashboard;
pub mod delivery;
pub mod error;
pub mod fixes;
pub mod html;
pub mod links;
pub mod listen;
pub mod mail;
pub mod networks;
pub mod oauth;
pub mod outbound;
pub mod preflight;
pub mod schedule;
pub mod service;
pub mod signals;
pub mod state;
pub mod worker;

pub use clock::{Clock, ManualClock, SystemClock};
pub use config::{Config, MetaApp, NetworkApp, WorkerConfig};
pub use state::AppState;
pub use worker::{StepReport, Worker};

use axum::Router;
use axum::extract::{DefaultBodyLimit, MatchedPath, Request, State};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use std::future::Future;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};
use tether_store::{SqlStore, Store};
use tokio::net::TcpListener;

pub struct App {
    pub state: AppState,
    pub router: Router,
    pub worker: Arc<Worker>,
    pub openapi: utoipa::openapi::OpenApi,
}

/// One Prometheus recorder per process (the `metrics` facade is global).
fn prometheus() -> &'static PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE.get_or_init(|| {
        let recorder = PrometheusBuilder::new().build_recorder();
        let handle = recorder.handle();
        // Another recorder may already be installed (e.g. by an embedding program): then our
        // handle still renders, just without the facade's samples.
        let _ = metrics::set_global_recorder(recorder);
        handle
    })
}

/// Builds the HTTP clients' shared TLS provider (STACK.md G1) once.
pub fn install_tls_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

impl App {
    /// Wires the service. The store must be migrated.
    pub async fn build(
        config: Config,
        store: SqlStore,
        clock: Arc<dyn Clock>,
    ) -> anyhow::Result<App> {
        App::assemble(config, store, clock, preflight::PreflightIndex::default()).await
    }

    /// Wires a worker process (`tether worker`): it serves no requests, so it keeps no
    /// pre-flight index.
    pub async fn build_worker(
        config: Config,
        store: SqlStore,
        clock: Arc<dyn Clock>,
    ) -> anyhow::Result<App> {
        App::assemble(config, store, clock, preflight::PreflightIndex::off()).await
    }

    async fn assemble(
        config: Config,
        store: SqlStore,
        clock: Arc<dyn Clock>,
        index: preflight::PreflightIndex,
    ) -> anyhow::Result<App> {
        install_tls_provider();
        // The recorder must be in place before the first request records a sample.
        prometheus();
        let recorded = check::recorded_catalogs(&store).await?;
        let checker =
            check::Checker::new(&config.meta, &config.networks, &config.profile, &recorded)?;
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            // Webhook endpoints are a customer's say-so: public addresses only (outbound.rs).
            .dns_resolver(outbound::resolver(config.allow_private_hosts))
            .timeout(Duration::from_secs(10))
            .connect_timeout(Duration::from_secs(5))
            .build()?;
        let state = AppState(Arc::new(state::Inner {
            config,
            store,
            clock,
            checker,
            index,
            keys: auth::KeyCache::default(),
            sign_ins: Default::default(),
            checking: Default::default(),
            deliveries_due: Default::default(),
            http,
        }));
        state.index.sync(&state.store).await?;
        let backfilled = check::backfill_fixes(&state.store).await?;
        if backfilled > 0 {
            tracing::info!(
                logins = backfilled,
                "wrote the fixes of verdicts recorded before they were kept"
            );
        }
        let (api, openapi) = api::router();
        let openapi_json = api::contract::finish(&openapi);
        let limit = state.config.body_limit;
        let router = Router::new()
            .merge(dashboard::router(&state))
            .nest("/api/v1", api)
            .route(
                "/api/v1/openapi.json",
                get(move || {
                    let doc = openapi_json.clone();
                    async move { axum::Json(doc) }
                }),
            )
            .route("/oauth/{network}/callback", get(oauth::callback))
            .route("/connect/result", get(oauth::result_page))
            .route("/reconnect", get(oauth::reconnect))
            .merge(signals::routes())
            .route("/metrics", get(metrics_page))
            .route("/healthz", get(|| async { "ok" }))
            .fallback(|uri: axum::http::Uri| async move {
                // People reach /app addresses in a browser: they get the dashboard's page.
                if uri.path() == "/app" || uri.path().starts_with("/app/") {
                    dashboard::not_found().await
                } else {
                    error::ApiError::NotFound { what: "route" }.into_response()
                }
            })
            .layer(DefaultBodyLimit::max(limit))
            .layer(tower_http::timeout::RequestBodyDeadlineLayer::new(
                state.config.timeouts.body,
            ))
            .layer(middleware::from_fn(error::framework_errors))
            .layer(middleware::from_fn(track))
            .layer(middleware::map_response(no_framing))
            .layer(middleware::from_fn_with_state(
                state.clone(),
                dashboard::session::secure_cookies,
            ))
            .with_state(state.clone());
        let worker = Arc::new(Worker::new(state.clone()));
        Ok(App {
            state,
            router,
            worker,
            openapi,
        })
    }

    /// Serves HTTP on `listener` until `shutdown` completes.
    pub async fn serve(
        &self,
        listener: TcpListener,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        let timeouts = self.state.config.timeouts;
        listen::serve(listener, self.router.clone(), timeouts, shutdown).await
    }

    /// Keeps the pre-flight index following changes other processes write.
    pub fn spawn_index_follower(&self, every: Duration) -> tokio::task::JoinHandle<()> {
        let state = self.state.clone();
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(every).await;
                if let Err(e) = state.index.follow(&state.store).await {
                    tracing::warn!(error = %e, "pre-flight index sync failed; retrying");
                }
            }
        })
    }
}

/// Loops the worker until `shutdown` resolves; idle rounds wait `poll`. Deliveries run beside
/// the checks in their own loop, woken as events are written: one can never wait for the other.
pub async fn run_worker(worker: Arc<Worker>, poll: Duration, shutdown: impl Future<Output = ()>) {
    tokio::pin!(shutdown);
    let (stop, mut stopped) = tokio::sync::watch::channel(());
    let deliveries = tokio::spawn(delivery::run(worker.state().clone(), poll, async move {
        let _ = stopped.changed().await;
    }));
    loop {
        let idle = match worker.step_routine().await {
            Ok(r) => {
                if !r.idle() {
                    tracing::info!(
                        checked = r.checked,
                        failed = r.failed,
                        calls = r.platform_calls,
                        delivered = r.delivered,
                        delivery_failures = r.delivery_failures,
                        digests = r.digests,
                        "worker step"
                    );
                }
                r.idle()
            }
            Err(e) => {
                tracing::warn!(error = %e, "worker step failed; retrying");
                true
            }
        };
        let wait = if idle { poll } else { Duration::ZERO };
        tokio::select! {
            _ = &mut shutdown => break,
            _ = tokio::time::sleep(wait) => {}
        }
    }
    drop(stop);
    let _ = deliveries.await;
    // Anything still held (a step that failed half way) goes back now, not when its lease lapses.
    let s = worker.state();
    match s.store.release_leases(&s.config.worker.owner).await {
        Ok(0) => {}
        Ok(n) => tracing::info!(leases = n, "released at shutdown"),
        Err(e) => tracing::warn!(error = %e, "could not release leases at shutdown; they lapse"),
    }
}

async fn metrics_page(State(s): State<AppState>, headers: axum::http::HeaderMap) -> Response {
    let Some(token) = &s.config.metrics_token else {
        return error::ApiError::NotFound {
            what: "route (metrics are off: start the server with --metrics-token)",
        }
        .into_response();
    };
    let presented = headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    if !presented.is_some_and(|p| links::same_secret(token, p)) {
        return error::ApiError::Unauthorized.into_response();
    }
    metrics::gauge!("tether_preflight_index_assets").set(s.index.len() as f64);
    let stats = s.checker.stats();
    metrics::gauge!("tether_platform_calls").set(stats.platform_calls as f64);
    metrics::gauge!("tether_platform_http_requests").set(stats.http_requests as f64);
    (
        [("content-type", "text/plain; version=0.0.4")],
        prometheus().render(),
    )
        .into_response()
}

/// No page of Tether may be framed by another site: a framed dashboard could be clicked into
/// Revoke or Disconnect (clickjacking). Both the old header and the CSP directive, for every
/// browser.
async fn no_framing(mut resp: Response) -> Response {
    let h = resp.headers_mut();
    h.insert(
        "x-frame-options",
        axum::http::HeaderValue::from_static("DENY"),
    );
    h.insert(
        "content-security-policy",
        axum::http::HeaderValue::from_static("frame-ancestors 'none'"),
    );
    resp
}

/// Counts requests and their latency per route. Labels are bounded: a route is its pattern (or
/// `unmatched`) and a method outside the usual ones is `other`, so made-up methods and paths
/// cannot grow the metrics without end.
async fn track(req: Request, next: Next) -> Response {
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_else(|| "unmatched".to_owned());
    let method: &'static str = match req.method().as_str() {
        "GET" => "GET",
        "POST" => "POST",
        "PUT" => "PUT",
        "PATCH" => "PATCH",
        "DELETE" => "DELETE",
        "HEAD" => "HEAD",
        "OPTIONS" => "OPTIONS",
        _ => "other",
    };
    let started = Instant::now();
    let resp = next.run(req).await;
    let status = resp.status();
    metrics::histogram!("tether_http_request_seconds", "route" => route.clone(), "method" => method)
        .record(started.elapsed().as_secs_f64());
    metrics::counter!("tether_http_requests_total", "route" => route, "method" => method,
        "status" => status.as_u16().to_string())
    .increment(1);
    resp
}
