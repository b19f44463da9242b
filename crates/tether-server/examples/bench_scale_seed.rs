//! Seeds a database for `scripts/bench-scale`: one workspace with an API key and a signed-in
//! owner, and every synthetic person of a running simulator (`tether sim --world
//! synthetic:USERSxPAGES`) connected the way the service connects a token (`connect_token`: a
//! full inspection against the simulator, then the check recorded), `--concurrency` at a time.
//!
//! ```text
//! TETHER_KEYS=1:BASE64KEY cargo run --release -p tether-server --example bench_scale_seed -- \
//!     --database postgres://… --sim http://127.0.0.1:4590 --users 100000 --concurrency 16
//! ```
//!
//! Stdout is one JSON line: the workspace, a throwaway API key and session of this throwaway
//! database, the logins connected, the platform calls they cost and the seconds taken.
#![forbid(unsafe_code)]

use anyhow::{Context, bail};
use futures::StreamExt;
use jiff::SignedDuration;
use secrecy::{ExposeSecret, SecretString};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tether_server::connect::{Expect, connect_token};
use tether_server::{App, Config, MetaApp, SystemClock, WorkerConfig};
use tether_store::{KeyRing, SqlStore, Store};

struct Args {
    database: String,
    sim: url::Url,
    users: usize,
    concurrency: usize,
    profile: String,
}

fn parse_args() -> anyhow::Result<Args> {
    let (mut database, mut sim, mut users, mut concurrency) = (None, None, 1_000, 16);
    let mut profile = "default".to_owned();
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().with_context(|| format!("{flag} needs a value"));
        match flag.as_str() {
            "--database" => database = Some(value()?),
            "--sim" => sim = Some(value()?.parse().context("--sim")?),
            "--users" => users = value()?.parse().context("--users")?,
            "--concurrency" => concurrency = value()?.parse().context("--concurrency")?,
            "--profile" => profile = value()?,
            other => bail!(
                "unknown argument {other}; usage: bench_scale_seed --database URL --sim URL \
                 [--users N] [--concurrency N] [--profile NAME] (key ring in TETHER_KEYS)"
            ),
        }
    }
    Ok(Args {
        database: database.context("--database is required")?,
        sim: sim.context("--sim is required")?,
        users,
        concurrency: concurrency.max(1),
        profile,
    })
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = parse_args()?;
    let ring = std::env::var("TETHER_KEYS").context("set TETHER_KEYS (tether keys generate)")?;
    let store = SqlStore::connect(&args.database, KeyRing::parse(&SecretString::from(ring))?)
        .await
        .context("cannot open the database")?;
    store.migrate().await?;
    // The synthetic world's app (tether-sim's world/synthetic.rs).
    let config = Config {
        networks: Vec::new(),
        public_url: "http://127.0.0.1:9/".parse()?,
        meta: MetaApp {
            app_id: "1000000000000001".into(),
            app_secret: SecretString::from("synthetic-app-secret".to_owned()),
            graph_url: args.sim.clone(),
            dialog_url: args.sim.clone(),
            webhook_verify_token: SecretString::from("bench".to_owned()),
        },
        profile: args.profile.clone(),
        link_key: SecretString::from("bench-link-key".to_owned()),
        link_ttl: Duration::from_secs(3600),
        oauth_state_ttl: Duration::from_secs(600),
        body_limit: 64 * 1024,
        timeouts: tether_server::listen::Timeouts::default(),
        worker: WorkerConfig::default(),
        allow_private_hosts: true,
        metrics_token: None,
    };
    let app = App::build(config, store, Arc::new(SystemClock)).await?;
    let s = &app.state;
    let now = s.clock.now();
    let ws = s.store.create_workspace("Scale Agency", now).await?;
    let key = s.store.create_api_key(ws.id, now).await?;
    let phc = tether_server::dashboard::hash_password(&SecretString::from(
        "bench owner password".to_owned(),
    ))?;
    let owner = s
        .store
        .create_user(
            ws.id,
            "owner@scale.example",
            tether_store::Role::Owner,
            &phc,
            now,
        )
        .await?;
    let session = s
        .store
        .create_session(&owner, now + SignedDuration::from_hours(12), now)
        .await?;

    let started = Instant::now();
    let mut results = futures::stream::iter(0..args.users)
        .map(|i| async move {
            let token = SecretString::from(format!("tok-user-{i}"));
            connect_token(s, ws.id, token, Expect::default()).await
        })
        .buffer_unordered(args.concurrency);
    let mut connected = 0usize;
    while let Some(r) = results.next().await {
        r.context("connecting a synthetic token")?;
        connected += 1;
        if connected.is_multiple_of(10_000) {
            eprintln!(
                "bench_scale_seed: {connected} logins in {:.0} s",
                started.elapsed().as_secs_f64()
            );
        }
    }
    let summary = serde_json::json!({
        "workspace": ws.id.0,
        "api_key": key.secret.expose_secret(),
        "session": session.expose_secret(),
        "logins": connected,
        "platform_calls": s.checker.stats().platform_calls,
        "seconds": started.elapsed().as_secs_f64(),
    });
    println!("{summary}");
    Ok(())
}
