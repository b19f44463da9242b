//! Fault soak: the real service (`App`, its worker and a SQLite store) against the simulator on
//! 127.0.0.1 for several virtual days while the simulator fails about a fifth of the platform
//! calls and real breaks happen to a few logins each day. It checks the rule the product lives
//! by: transient platform trouble never turns an account red or orange; a real break is never
//! shown green.
//!
//! ```text
//! cargo run --release -p tether-server --example soak_faults -- --users 10000 --pages 2 --days 3 \
//!     --fault-rate 0.2 --seed 1
//! ```
//!
//! Tether's clock follows the simulator's (real time plus the days it was moved on). Every
//! synthetic user's token is imported with `connect_token` (a full check each), under a profile of
//! the features the synthetic grants all allow; the worker's first check follows a week on, when
//! every login is past its first week (checked once a day from then on). Neither meets a fault,
//! and every asset must then be `connected`. Each virtual day is then one cycle:
//!
//! - real breaks on a seeded sample of the logins not yet broken (`--break-rate`, 1 %): a Page
//!   task removed (`CREATE_CONTENT`: that Page; `ANALYZE`: that Page and its Instagram account),
//!   a permission declined (`pages_manage_posts`: every Page; `instagram_basic`: every Instagram
//!   account), the token invalidated or the app removed (every asset). Those assets must turn red
//!   or orange with pre-flight refusing the feature the break stopped, and stay so;
//! - seeded faults (`--seed`): on `--fault-rate` (20 %) of the platform calls, in equal shares,
//!   Graph errors 1, 2, 4, 17, 32, 613 and 80001 with `is_transient` true and absent, 1 and 2 with
//!   it false, 1/99 (a refused request), 80001 with a regain time past the client's 60 s wait, HTTP
//!   500 and 503 with an HTML body and truncated JSON; on `--batch-fault-rate` (5 %) of the batch
//!   requests as a whole, HTTP 502 and 503, truncated JSON, Graph 2 and 4; 200 ms of latency on
//!   5 % of them; and on each of the first `--timeouts` days (1) one batch request held past the
//!   client's 30 s timeout (each costs half a minute of wall time);
//! - the clocks move through the day in `--step-hours` steps (3), the worker drained at each:
//!   the day's routine check runs at the first step, a failed check is retried at the next ones
//!   (its backoff is at most 30 minutes), a login that changed is checked again at each.
//!
//! The worker claims `--worker-batch` (2000) logins a step rather than its default 100: the Graph
//! client sleeps its retry backoff once per round of a check run, so with faults on every run the
//! default would spend minutes of each virtual day asleep.
//!
//! At the end of each cycle: assets of logins never broken that turned red or orange during it
//! (`false_reds`, read from the status history, so one that came back still counts) or that
//! pre-flight refuses, the day's break assets still shown working (`missed`), earlier ones shown
//! working again (`relapsed`), and the figures: checks, checks that failed transiently (verdict
//! kept, shown stale), platform calls, faults fired by kind, wall time. Stdout is one JSON line;
//! progress goes to stderr. The exit status is 1 when any of `false_reds`, `false_red_logins`,
//! `preflight_refused_unbroken`, `missed` or `relapsed` is not 0, with up to 10 examples of each
//! under `verdicts.examples`.
#![forbid(unsafe_code)]

mod breaks;
mod faults;
#[path = "../shared/follow_clock.rs"]
mod follow_clock;
mod judge;

use follow_clock::FollowClock;

use breaks::{BREAK_KINDS, Break, BreakKind, Person, inject, people};
use faults::{add_faults, share};
use judge::{Totals, judge};

use anyhow::{Context, bail, ensure};
use futures::StreamExt;
use jiff::Timestamp;
use rand::SeedableRng;
use rand::rngs::StdRng;
use rand::seq::{IndexedRandom, SliceRandom};
use secrecy::{ExposeSecret, SecretString};
use serde_json::{Value, json};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tether_core::{Feature, Status};
use tether_server::connect::{Expect, connect_token};
use tether_server::{App, Config, MetaApp, StepReport, WorkerConfig, service};
use tether_sim::{
    AdminClient, Effect, Endpoint, FaultSpec, GraphErrorSpec, HttpStatusSpec, LatencySpec,
    MalformedSpec, Match, PermissionStatus, Sample, World,
};
use tether_store::{AssetFilter, AssetId, KeyRing, LoginId, SqlStore, Store, WorkspaceId};

const HOUR: i64 = 3600;
const DAY: i64 = 24 * HOUR;
/// Past the Graph client's 30 s request timeout: the client gives up and retries.
const TIMEOUT_LATENCY_MS: u64 = 31_000;
/// What the profile asks for: the features the synthetic world's grants and tasks all allow.
const PROFILE: &str = r#"name = "soak"
description = "What the synthetic world's logins can all do: publish, analytics, webhooks, backfill."
features = ["publish", "analytics", "webhooks", "backfill"]
"#;

struct Args {
    users: usize,
    pages: usize,
    days: u32,
    fault_rate: f64,
    batch_fault_rate: f64,
    break_rate: f64,
    timeouts: u32,
    step_hours: i64,
    worker_batch: u32,
    import_concurrency: usize,
    seed: u64,
    dir: Option<String>,
}

fn parse_args() -> anyhow::Result<Args> {
    let mut args = Args {
        users: 10_000,
        pages: 2,
        days: 3,
        fault_rate: 0.2,
        batch_fault_rate: 0.05,
        break_rate: 0.01,
        timeouts: 1,
        step_hours: 3,
        worker_batch: 2000,
        import_concurrency: 1,
        seed: 1,
        dir: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().with_context(|| format!("{flag} needs a value"));
        match flag.as_str() {
            "--users" => args.users = value()?.parse().context("--users")?,
            "--pages" => args.pages = value()?.parse().context("--pages")?,
            "--days" => args.days = value()?.parse().context("--days")?,
            "--fault-rate" => args.fault_rate = value()?.parse().context("--fault-rate")?,
            "--batch-fault-rate" => {
                args.batch_fault_rate = value()?.parse().context("--batch-fault-rate")?;
            }
            "--break-rate" => args.break_rate = value()?.parse().context("--break-rate")?,
            "--timeouts" => args.timeouts = value()?.parse().context("--timeouts")?,
            "--step-hours" => args.step_hours = value()?.parse().context("--step-hours")?,
            "--import-concurrency" => {
                args.import_concurrency = value()?.parse().context("--import-concurrency")?;
            }
            "--worker-batch" => {
                args.worker_batch = value()?.parse().context("--worker-batch")?;
            }
            "--seed" => args.seed = value()?.parse().context("--seed")?,
            "--dir" => args.dir = Some(value()?),
            other => bail!(
                "unknown argument {other}; usage: soak_faults [--users N] [--pages N] [--days N] \
                 [--fault-rate F] [--batch-fault-rate F] [--break-rate F] [--timeouts DAYS] \
                 [--step-hours N] [--worker-batch N] [--import-concurrency N] [--seed N] \
                 [--dir DIR for the SQLite file]"
            ),
        }
    }
    ensure!(
        args.users > 0 && args.pages > 0 && args.days > 0 && args.worker_batch > 0,
        "--users, --pages, --days and --worker-batch must be at least 1"
    );
    // A week of settling plus the soak must stay clear of the synthetic tokens' 60-day expiry
    // and its warning.
    ensure!(args.days <= 30, "--days must be at most 30");
    for (name, rate) in [
        ("--fault-rate", args.fault_rate),
        ("--batch-fault-rate", args.batch_fault_rate),
        ("--break-rate", args.break_rate),
    ] {
        ensure!((0.0..1.0).contains(&rate), "{name} must be in [0, 1)");
    }
    ensure!(
        args.step_hours > 0 && DAY % (args.step_hours * HOUR) == 0,
        "--step-hours must divide a day"
    );
    Ok(args)
}

/// What one stretch of worker steps did.
#[derive(Debug, Default, Clone, Copy, serde::Serialize)]
struct Work {
    checks: usize,
    failed_transiently: usize,
    worker_platform_calls: u64,
    budget_exhausted: bool,
}

impl Work {
    fn add(&mut self, r: &StepReport) {
        self.checks += r.checked;
        self.failed_transiently += r.failed;
        self.worker_platform_calls += r.platform_calls;
        self.budget_exhausted |= r.budget_exhausted;
    }

    fn merge(&mut self, w: &Work) {
        self.checks += w.checks;
        self.failed_transiently += w.failed_transiently;
        self.worker_platform_calls += w.worker_platform_calls;
        self.budget_exhausted |= w.budget_exhausted;
    }
}

struct Soak {
    app: App,
    admin: AdminClient,
    clock: FollowClock,
    ws: WorkspaceId,
}

impl Soak {
    async fn sync_clock(&self) -> anyhow::Result<()> {
        self.clock.sync(&self.admin).await
    }

    /// Drains the worker until a drain finds nothing due (one drain stops after 100 steps).
    async fn drain(&self) -> anyhow::Result<Work> {
        self.sync_clock().await?;
        let mut work = Work::default();
        loop {
            let r = self.app.worker.drain().await?;
            work.add(&r);
            if r.checked + r.failed == 0 {
                return Ok(work);
            }
        }
    }

    async fn advance_and_drain(&self, secs: i64) -> anyhow::Result<Work> {
        self.admin.advance_seconds(secs).await?;
        self.drain().await
    }

    /// How many assets there are, and how many of them are not connected.
    async fn unhealthy(&self) -> anyhow::Result<(usize, usize)> {
        let assets = self.assets().await?;
        let bad = assets
            .values()
            .filter(|(_, _, st)| *st != Status::Connected)
            .count();
        Ok((assets.len(), bad))
    }

    /// Every asset of the workspace: its login and platform id, and its status now.
    async fn assets(&self) -> anyhow::Result<HashMap<AssetId, (LoginId, String, Status)>> {
        let s = &self.app.state;
        let mut out = HashMap::new();
        let mut filter = AssetFilter {
            limit: 1000,
            ..AssetFilter::default()
        };
        loop {
            let page = s.store.list_assets(self.ws, &filter).await?;
            let Some(last) = page.last() else { break };
            filter.after = Some(last.id);
            for a in page {
                out.insert(a.id, (a.login_id, a.platform_id, a.status));
            }
        }
        Ok(out)
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = parse_args()?;
    let world = World::synthetic(args.users, args.pages);
    let people = people(&world);
    let (app_id, app_secret) = (world.app.id.clone(), world.app.secret.clone());
    let sim = tether_sim::spawn(world)?;
    let admin = sim.admin().clone();
    let sim_url: url::Url = sim.base_url().parse()?;

    let dir = match &args.dir {
        Some(d) => std::path::PathBuf::from(d),
        None => std::env::temp_dir().join(format!("soak-faults-{}", uuid::Uuid::now_v7())),
    };
    std::fs::create_dir_all(&dir)?;
    let profile = dir.join("soak-profile.toml");
    std::fs::write(&profile, PROFILE)?;
    let db = dir.join("soak.db");
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
            webhook_verify_token: SecretString::from("soak".to_owned()),
        },
        profile: profile.display().to_string(),
        link_key: SecretString::from("soak-link-key".to_owned()),
        link_ttl: Duration::from_secs(3600),
        oauth_state_ttl: Duration::from_secs(600),
        body_limit: 64 * 1024,
        timeouts: tether_server::listen::Timeouts::default(),
        worker: WorkerConfig {
            owner: "soak-worker".into(),
            // The budget is not what is tested: room for a full check of every login and its
            // retries within one hour.
            calls_per_hour: u32::try_from(args.users * 8)
                .unwrap_or(u32::MAX)
                .max(20_000),
            batch: args.worker_batch,
            ..WorkerConfig::default()
        },
        allow_private_hosts: false,
        metrics_token: None,
    };
    let clock = FollowClock::default();
    let app = App::build(config, store, Arc::new(clock.clone())).await?;
    let s = &app.state;
    let ws = s.store.create_workspace("Soak", s.clock.now()).await?.id;
    let soak = Soak {
        app,
        admin,
        clock,
        ws,
    };
    soak.sync_clock().await?;
    let started = Instant::now();

    // Importing checks each login in full; the worker's first check follows a week on, when
    // every login is past its first week (checked once a day from then on) and its known token
    // facts are due again. Neither meets a fault, and both must leave every asset connected.
    let imported = import(&soak, args.users, args.import_concurrency).await?;
    let import_seconds = started.elapsed().as_secs_f64();
    let (assets, imported_unhealthy) = soak.unhealthy().await?;
    eprintln!(
        "soak_faults: imported {imported} logins ({assets} assets, {imported_unhealthy} not \
         connected) in {import_seconds:.1} s"
    );
    let first = soak.advance_and_drain(7 * DAY).await?;
    let (_, first_unhealthy) = soak.unhealthy().await?;
    eprintln!(
        "soak_faults: the worker's first check, a week on: {} checks, {} failed, {} assets not \
         connected; {:.1} s",
        first.checks,
        first.failed_transiently,
        first_unhealthy,
        started.elapsed().as_secs_f64()
    );
    ensure!(
        imported_unhealthy + first_unhealthy == 0 && first.failed_transiently == 0,
        "without faults, {imported_unhealthy} assets were not connected after the import and \
         {first_unhealthy} after the first check, {} checks failed: the soak needs a healthy \
         start",
        first.failed_transiently
    );
    // The next routine check is due a day after the first: on the first step of the first cycle.
    soak.advance_and_drain(DAY - args.step_hours * HOUR).await?;

    let mut rng = StdRng::seed_from_u64(args.seed);
    let mut broken: HashMap<String, Break> = HashMap::new();
    let mut cycles = Vec::new();
    let mut totals = Totals::default();
    for day in 1..=args.days {
        let cycle_started = Instant::now();
        let since = soak.app.state.clock.now();
        // Breaks first: the day's routine check, at its first step, must see them.
        let mut candidates: Vec<&Person> = people
            .iter()
            .filter(|p| !broken.contains_key(&p.user))
            .collect();
        candidates.shuffle(&mut rng);
        let n = ((args.users as f64 * args.break_rate).round() as usize).min(candidates.len());
        let mut breaks_by_kind: BTreeMap<BreakKind, usize> = BTreeMap::new();
        for p in candidates.into_iter().take(n) {
            let kind = *BREAK_KINDS.choose(&mut rng).expect("kinds");
            let (feature, must) = inject(&soak.admin, p, kind, &mut rng).await?;
            *breaks_by_kind.entry(kind).or_default() += 1;
            totals.assets_to_break += must.len();
            broken.insert(
                p.user.clone(),
                Break {
                    day,
                    kind,
                    feature,
                    must,
                },
            );
        }
        totals.breaks += n;
        let day_seed = args.seed.wrapping_mul(1_000).wrapping_add(u64::from(day));
        let (kinds, timeouts) = add_faults(&soak.admin, &args, day, day_seed).await?;

        soak.admin.reset_stats().await?;
        let mut work = Work::default();
        for step in 1..=(DAY / (args.step_hours * HOUR)) {
            let w = soak.advance_and_drain(args.step_hours * HOUR).await?;
            if step == 1 {
                eprintln!(
                    "soak_faults: day {day}: the routine step: {} checks, {} failed \
                     transiently, {:.1} s",
                    w.checks,
                    w.failed_transiently,
                    cycle_started.elapsed().as_secs_f64()
                );
            }
            work.merge(&w);
        }
        let stats = soak.admin.stats().await?;
        // Read back what fired, then end the day's faults: a timeout that never fired does not
        // carry over, and the verdicts below are read from the store and the pre-flight index.
        let listed = soak.admin.faults().await?;
        soak.admin.clear_faults().await?;
        let mut fired: BTreeMap<String, u64> = BTreeMap::new();
        let mut timeouts_left = 0;
        for f in listed["faults"].as_array().into_iter().flatten() {
            match f["id"].as_u64().and_then(|id| kinds.get(&id)) {
                Some(kind) => {
                    *fired.entry(kind.clone()).or_default() += f["fired"].as_u64().unwrap_or(0);
                }
                None => timeouts_left += 1,
            }
        }
        if timeouts > 0 {
            fired.insert("batch_timeout_31s".into(), timeouts - timeouts_left);
        }
        let faults_fired: u64 = fired.values().sum();

        let v = judge(&soak, &broken, day, since).await?;
        let seconds = cycle_started.elapsed().as_secs_f64();
        eprintln!(
            "soak_faults: day {day}: {} checks ({} failed transiently), {} platform calls, \
             {faults_fired} faults; {n} breaks: {} assets detected, {} missed; {} false reds; \
             {seconds:.1} s",
            work.checks,
            work.failed_transiently,
            stats.platform_calls,
            v.detected,
            v.missed,
            v.false_reds,
        );
        totals.add(&work, &stats, &fired, &v, seconds);
        cycles.push(json!({
            "day": day,
            "breaks_injected": breaks_by_kind,
            "work": work,
            "platform_calls": stats.platform_calls,
            "http_requests": stats.http_requests,
            "batch_requests": stats.batch_requests,
            "faults_fired": faults_fired,
            "faults_fired_by_kind": fired,
            "call_fault_share": share(&fired, stats.platform_calls, |k| {
                !k.starts_with("batch_") && !k.starts_with("latency")
            }),
            "batch_fault_share": share(&fired, stats.batch_requests, |k| k.starts_with("batch_")),
            "verdicts": v,
            "seconds": seconds,
        }));
    }
    let violations = totals.violations();

    let summary = json!({
        "users": args.users,
        "pages_per_user": args.pages,
        "assets": assets,
        "days": args.days,
        "fault_rate": args.fault_rate,
        "batch_fault_rate": args.batch_fault_rate,
        "break_rate": args.break_rate,
        "timeouts": args.timeouts,
        "step_hours": args.step_hours,
        "worker_batch": args.worker_batch,
        "seed": args.seed,
        "import_seconds": import_seconds,
        "first_check": first,
        "cycles": cycles,
        "totals": totals,
        "violations": violations,
        "seconds": started.elapsed().as_secs_f64(),
    });
    println!("{summary}");
    drop(soak);
    drop(sim);
    if args.dir.is_none() {
        let _ = std::fs::remove_dir_all(&dir);
    }
    if violations > 0 {
        eprintln!("soak_faults: {violations} violations of the rule (see `verdicts.examples`)");
        std::process::exit(1);
    }
    Ok(())
}

/// Imports every synthetic user's token as bench_routine does, one at a time: concurrent imports
/// on SQLite can fail with "database is locked".
async fn import(soak: &Soak, users: usize, concurrency: usize) -> anyhow::Result<usize> {
    let s = &soak.app.state;
    let ws = soak.ws;
    let mut results = futures::stream::iter(0..users)
        .map(|i| async move {
            let token = SecretString::from(format!("tok-user-{i}"));
            connect_token(s, ws, token, Expect::default()).await
        })
        .buffer_unordered(concurrency.max(1));
    let mut n = 0;
    while let Some(r) = results.next().await {
        r.context("importing a synthetic token")?;
        n += 1;
        if n % 1000 == 0 {
            eprintln!("soak_faults: imported {n}");
        }
    }
    Ok(n)
}
