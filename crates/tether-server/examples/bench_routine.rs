//! Platform calls per login per routine check, for `scripts/bench-service`: the real service
//! (`App`, its worker and store) against the simulator on 127.0.0.1, counted by the simulator.
//!
//! Tether's clock follows the simulator's (real time plus the days it was moved on).
//!
//! ```text
//! cargo run --release -p tether-server --example bench_routine -- --users 500 --pages 5 --days 14
//! ```
//!
//! Every synthetic user's token is imported with `connect_token` (a full inspection: `debug_token`
//! and `me`). Then both clocks move one day at a time and the worker drains what is due: each day is
//! one routine check of every login, which reuses what `debug_token` said last time unless it is
//! older than `known_max_age` (7 days) or something changed, so over a fortnight the average
//! includes the refreshes on age. The baseline, in the same run, forgets every login's known
//! token facts and checks once more: the full check, `debug_token` and `me`.
//!
//! Stdout is one JSON line with the counts; progress goes to stderr.
#![forbid(unsafe_code)]

#[path = "shared/follow_clock.rs"]
mod follow_clock;

use follow_clock::FollowClock;

use anyhow::{Context, bail, ensure};
use futures::StreamExt;
use secrecy::{ExposeSecret, SecretString};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tether_server::connect::{Expect, connect_token};
use tether_server::{App, Config, MetaApp, StepReport, WorkerConfig};
use tether_sim::{AdminClient, World};
use tether_store::{KeyRing, SqlStore, Store, WorkspaceId};

const DAY: i64 = 24 * 3600;

struct Args {
    users: usize,
    pages: usize,
    days: u32,
    dir: Option<String>,
    import_concurrency: usize,
}

fn parse_args() -> anyhow::Result<Args> {
    let mut args = Args {
        users: 500,
        pages: 5,
        days: 14,
        dir: None,
        import_concurrency: 1,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().with_context(|| format!("{flag} needs a value"));
        match flag.as_str() {
            "--users" => args.users = value()?.parse().context("--users")?,
            "--pages" => args.pages = value()?.parse().context("--pages")?,
            "--days" => args.days = value()?.parse().context("--days")?,
            "--dir" => args.dir = Some(value()?),
            "--import-concurrency" => {
                args.import_concurrency = value()?.parse().context("--import-concurrency")?;
            }
            other => bail!(
                "unknown argument {other}; usage: bench_routine [--users N] [--pages N] \
                 [--days N] [--dir DIR for the SQLite file] [--import-concurrency N]"
            ),
        }
    }
    ensure!(
        args.users > 0 && args.days > 0,
        "--users and --days must be at least 1"
    );
    // The synthetic tokens expire after 60 days; past 53 the expiry margin forces debug_token.
    ensure!(
        args.days <= 45,
        "--days must be at most 45 (the synthetic tokens expire at 60)"
    );
    Ok(args)
}

/// Calls the simulator counted and logins the worker checked over one stretch of work.
#[derive(Debug, Default, Clone, Copy, serde::Serialize)]
struct Tally {
    logins_checked: usize,
    failed: usize,
    platform_calls: u64,
    http_requests: u64,
    debug_token_calls: u64,
}

impl Tally {
    fn add(&mut self, other: Tally) {
        self.logins_checked += other.logins_checked;
        self.failed += other.failed;
        self.platform_calls += other.platform_calls;
        self.http_requests += other.http_requests;
        self.debug_token_calls += other.debug_token_calls;
    }

    fn per_login(&self) -> f64 {
        if self.logins_checked == 0 {
            return f64::NAN;
        }
        self.platform_calls as f64 / self.logins_checked as f64
    }
}

struct Bench {
    app: App,
    admin: AdminClient,
    clock: FollowClock,
}

impl Bench {
    async fn sync_clock(&self) -> anyhow::Result<()> {
        self.clock.sync(&self.admin).await
    }

    /// Drains the worker and counts what the simulator saw meanwhile.
    async fn drain(&self) -> anyhow::Result<Tally> {
        self.sync_clock().await?;
        self.admin.reset_stats().await?;
        let r: StepReport = self.app.worker.drain().await?;
        let stats = self.admin.stats().await?;
        if r.platform_calls != stats.platform_calls {
            eprintln!(
                "bench_routine: the worker counted {} calls, the simulator {}",
                r.platform_calls, stats.platform_calls
            );
        }
        if r.budget_exhausted {
            bail!("the worker's hourly call budget ran out: the figures would be cut short");
        }
        Ok(Tally {
            logins_checked: r.checked,
            failed: r.failed,
            platform_calls: stats.platform_calls,
            http_requests: stats.http_requests,
            debug_token_calls: stats
                .calls_by_endpoint
                .iter()
                .filter(|(k, _)| k.contains("debug_token"))
                .map(|(_, v)| *v)
                .sum(),
        })
    }

    async fn advance_and_drain(&self, secs: i64) -> anyhow::Result<Tally> {
        self.admin.advance_seconds(secs).await?;
        self.drain().await
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = parse_args()?;
    let world = World::synthetic(args.users, args.pages);
    let (app_id, app_secret) = (world.app.id.clone(), world.app.secret.clone());
    let sim = tether_sim::spawn(world)?;
    let admin = sim.admin().clone();
    let sim_url: url::Url = sim.base_url().parse()?;

    let dir = match &args.dir {
        Some(d) => std::path::PathBuf::from(d),
        None => std::env::temp_dir().join(format!("bench-routine-{}", uuid::Uuid::now_v7())),
    };
    std::fs::create_dir_all(&dir)?;
    let db = dir.join("routine.db");
    let ring = format!("1:{}", KeyRing::generate_key().expose_secret());
    let store = SqlStore::connect(
        &db.display().to_string(),
        KeyRing::parse(&SecretString::from(ring))?,
    )
    .await?;
    let config = Config {
        networks: Vec::new(),
        public_url: "http://127.0.0.1:9/".parse()?,
        meta: MetaApp {
            app_id,
            app_secret: SecretString::from(app_secret),
            graph_url: sim_url.clone(),
            dialog_url: sim_url,
            webhook_verify_token: SecretString::from("bench".to_owned()),
        },
        profile: "default".into(),
        link_key: SecretString::from("bench-link-key".to_owned()),
        link_ttl: Duration::from_secs(3600),
        oauth_state_ttl: Duration::from_secs(600),
        body_limit: 64 * 1024,
        timeouts: tether_server::listen::Timeouts::default(),
        worker: WorkerConfig {
            owner: "bench-worker".into(),
            // The budget is not what is measured here: room for full checks of every login.
            calls_per_hour: u32::try_from(args.users * 4)
                .unwrap_or(u32::MAX)
                .max(20_000),
            ..WorkerConfig::default()
        },
        allow_private_hosts: false,
        metrics_token: None,
    };
    let clock = FollowClock::default();
    let app = App::build(config, store, Arc::new(clock.clone())).await?;
    let b = Bench { app, admin, clock };
    b.sync_clock().await?;

    let s = &b.app.state;
    let ws = s.store.create_workspace("Bench", s.clock.now()).await?;
    let started = Instant::now();
    b.admin.reset_stats().await?;
    let imported = import(&b, ws.id, args.users, args.import_concurrency).await?;
    let import_stats = b.admin.stats().await?;
    eprintln!(
        "bench_routine: imported {imported} logins in {:.1} s ({} platform calls)",
        started.elapsed().as_secs_f64(),
        import_stats.platform_calls
    );

    // New logins are due at once: this first round runs right after the import.
    let first = b.drain().await?;
    let mut routine = Tally::default();
    let mut per_day = Vec::new();
    for day in 1..=args.days {
        let t = b.advance_and_drain(DAY).await?;
        eprintln!(
            "bench_routine: day {day}: {} logins checked, {} platform calls ({:.3}/login)",
            t.logins_checked,
            t.platform_calls,
            t.per_login()
        );
        per_day.push(t.per_login());
        routine.add(t);
    }

    // Baseline: the same logins with nothing known, i.e. a full check (debug_token + me).
    for login in s.store.list_logins(ws.id).await? {
        s.store
            .set_known_token(ws.id, login.id, &serde_json::Value::Null)
            .await?;
    }
    let baseline = b.advance_and_drain(DAY).await?;
    eprintln!(
        "bench_routine: baseline (known token facts forgotten): {} logins, {} calls ({:.3}/login)",
        baseline.logins_checked,
        baseline.platform_calls,
        baseline.per_login()
    );

    let summary = serde_json::json!({
        "users": args.users,
        "pages_per_user": args.pages,
        "days": args.days,
        "imported": imported,
        "import_platform_calls": import_stats.platform_calls,
        "first_check": first,
        "first_check_per_login": first.per_login(),
        "routine": routine,
        "routine_per_login": routine.per_login(),
        "routine_per_login_by_day": per_day,
        "baseline": baseline,
        "baseline_per_login": baseline.per_login(),
        "seconds": started.elapsed().as_secs_f64(),
    });
    println!("{summary}");
    drop(b);
    drop(sim);
    if args.dir.is_none() {
        let _ = std::fs::remove_dir_all(&dir);
    }
    Ok(())
}

/// Imports every synthetic user's token like the demo does: one at a time by default, as
/// concurrent imports on SQLite can fail with "database is locked".
async fn import(
    b: &Bench,
    ws: WorkspaceId,
    users: usize,
    concurrency: usize,
) -> anyhow::Result<usize> {
    let s = &b.app.state;
    let mut results = futures::stream::iter(0..users)
        .map(|i| async move {
            let token = SecretString::from(format!("tok-user-{i}"));
            connect_token(s, ws, token, Expect::default()).await
        })
        .buffer_unordered(concurrency);
    let mut n = 0;
    while let Some(r) = results.next().await {
        r.context("importing a synthetic token")?;
        n += 1;
    }
    Ok(n)
}
