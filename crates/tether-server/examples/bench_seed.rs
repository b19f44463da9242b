//! Seeds a database for `scripts/bench-service`: one workspace with an API key, and `--logins`
//! logins of `--assets-per-login` assets each (Pages, with an Instagram account on every other
//! one), each diagnosed by the real engine and stored with the store calls the server's write
//! path (`check::record`) makes, so the reports and findings are those the service would hold.
//!
//! ```text
//! TETHER_KEYS=1:BASE64KEY cargo run --release -p tether-server --example bench_seed -- \
//!     --database /tmp/x/tether.db --logins 20000 --assets-per-login 5 --ids-out /tmp/x/ids.txt
//! ```
//!
//! Stdout is one JSON line: the API key (a throwaway key of a throwaway database), the counts,
//! the status mix and the seconds taken. The asset ids go to `--ids-out`, one per line.
//!
//! Logins follow three templates: healthy (8 in 10), a Page that lost the CREATE_CONTENT task
//! (1 in 10) and a declined `pages_manage_posts` (1 in 10). Their diagnoses are spread over the
//! past day, as a worker checking them through the day would have left them: the server's
//! pre-flight follower re-reads only the last few seconds of changes, as it would in production.
#![forbid(unsafe_code)]

use anyhow::{Context, bail};
use futures::StreamExt;
use jiff::{SignedDuration, Timestamp, Unit};
use secrecy::{ExposeSecret, SecretString};
use std::collections::BTreeMap;
use std::io::Write;
use std::sync::Arc;
use std::time::Instant;
use tether_core::{
    AssetFacts, AssetKind, InstagramFacts, LoginFacts, Network, PermissionGrant, PermissionStatus,
    Status, TokenFacts, TokenValidity,
};
use tether_server::MetaApp;
use tether_server::check::{self, Checker};
use tether_store::{
    AssetId, FactsSubject, KeyRing, NewAsset, NewLogin, SqlStore, Store, WorkspaceId,
};

const TASKS: &[&str] = &[
    "ANALYZE",
    "ADVERTISE",
    "MESSAGING",
    "MODERATE",
    "CREATE_CONTENT",
    "MANAGE",
];

struct Args {
    database: String,
    logins: usize,
    assets_per_login: usize,
    ids_out: String,
    profile: String,
    concurrency: usize,
    /// Also store the facts rows (what the worker and `tether catalog apply` judge from).
    with_facts: bool,
    /// Then copy every seeded login this many times in SQL (see [`copy_logins`]).
    copies: u32,
}

fn parse_args() -> anyhow::Result<Args> {
    let mut args = Args {
        database: String::new(),
        logins: 20_000,
        assets_per_login: 5,
        ids_out: String::new(),
        profile: "default".into(),
        concurrency: 4,
        with_facts: false,
        copies: 0,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().with_context(|| format!("{flag} needs a value"));
        match flag.as_str() {
            "--database" => args.database = value()?,
            "--logins" => args.logins = value()?.parse().context("--logins")?,
            "--assets-per-login" => {
                args.assets_per_login = value()?.parse().context("--assets-per-login")?;
            }
            "--ids-out" => args.ids_out = value()?,
            "--profile" => args.profile = value()?,
            "--concurrency" => args.concurrency = value()?.parse().context("--concurrency")?,
            "--with-facts" => args.with_facts = true,
            "--copies" => args.copies = value()?.parse().context("--copies")?,
            other => bail!(
                "unknown argument {other}; usage: bench_seed --database FILE --ids-out FILE \
                 [--logins N] [--assets-per-login N] [--profile NAME] [--concurrency N] [--with-facts] [--copies N] \
                 (key ring in TETHER_KEYS)"
            ),
        }
    }
    if args.database.is_empty() || args.ids_out.is_empty() {
        bail!("--database and --ids-out are required");
    }
    if args.copies > 100 {
        bail!("--copies takes at most 100 (a copy's ids differ from the original's first byte)");
    }
    if args.logins == 0 || args.assets_per_login == 0 || args.concurrency == 0 {
        bail!("--logins, --assets-per-login and --concurrency must be at least 1");
    }
    Ok(args)
}

#[derive(Clone, Copy)]
enum Template {
    Healthy,
    MissingTask,
    DeclinedPermission,
}

impl Template {
    fn of(login: usize) -> Template {
        match login % 10 {
            3 => Template::MissingTask,
            7 => Template::DeclinedPermission,
            _ => Template::Healthy,
        }
    }
}

/// What `debug_token`, `me/permissions` and `me/accounts` would have said about login `i`.
fn facts(
    i: usize,
    per_login: usize,
    scopes: &[String],
    template: Template,
    at: Timestamp,
) -> (LoginFacts, Vec<AssetFacts>) {
    let permissions = scopes
        .iter()
        .map(|name| PermissionGrant {
            name: name.clone(),
            status: match template {
                Template::DeclinedPermission if name == "pages_manage_posts" => {
                    PermissionStatus::Declined
                }
                _ => PermissionStatus::Granted,
            },
        })
        .collect();
    let login = LoginFacts {
        user_id: Some(format!("{}", 200_000_000_000_000u64 + i as u64)),
        user_name: Some(format!("Bench Person {i}")),
        token: TokenFacts {
            validity: TokenValidity::Valid,
            expires_at: Some(at + SignedDuration::from_hours(50 * 24)),
            data_access_expires_at: Some(at + SignedDuration::from_hours(80 * 24)),
        },
        permissions,
        granular_scopes: Vec::new(),
        observed: Vec::new(),
    };
    let mut assets = Vec::with_capacity(per_login);
    let (mut last_page, mut last_tasks) = (String::new(), Vec::new());
    for j in 0..per_login {
        let n = (i * per_login + j) as u64;
        if j % 2 == 1 {
            assets.push(AssetFacts {
                kind: AssetKind::InstagramAccount,
                id: format!("{}", 17_841_400_000_000_000u64 + n),
                name: Some(format!("bench_{i}_{j}")),
                listed: true,
                // As tether-meta reads them: the Page's tasks are what the person can do
                // through it on Instagram.
                tasks: last_tasks.clone(),
                instagram: Some(InstagramFacts {
                    linked_page_id: Some(last_page.clone()),
                    professional: Some(true),
                    product_tag_eligible: Some(true),
                }),
                observed: Vec::new(),
            });
        } else {
            let id = format!("{}", 300_000_000_000_000u64 + n);
            let lost_task = matches!(template, Template::MissingTask) && j == 0;
            let tasks: Vec<String> = TASKS
                .iter()
                .filter(|t| !(lost_task && **t == "CREATE_CONTENT"))
                .map(|t| t.to_string())
                .collect();
            assets.push(AssetFacts {
                kind: AssetKind::FacebookPage,
                id: id.clone(),
                name: Some(format!("Bench Page {i}-{j}")),
                listed: true,
                tasks: tasks.clone(),
                instagram: None,
                observed: Vec::new(),
            });
            last_page = id;
            last_tasks = tasks;
        }
    }
    (login, assets)
}

struct Seeder {
    store: SqlStore,
    checker: Checker,
    scopes: Vec<String>,
    ws: WorkspaceId,
    per_login: usize,
    start: Timestamp,
    spacing: SignedDuration,
    with_facts: bool,
}

impl Seeder {
    /// Stores login `i` and its diagnosed assets; returns the asset ids and statuses.
    async fn seed(&self, i: usize) -> anyhow::Result<Vec<(AssetId, Status)>> {
        let at = (self.start + self.spacing * i32::try_from(i).unwrap_or(i32::MAX))
            .round(Unit::Microsecond)?;
        let template = Template::of(i);
        let (facts, assets) = facts(i, self.per_login, &self.scopes, template, at);
        let login = self
            .store
            .upsert_login(
                self.ws,
                NewLogin {
                    network: Network::Meta,
                    platform_user_id: facts.user_id.clone().unwrap_or_default(),
                    person_name: facts.user_name.clone().unwrap_or_default(),
                    token: SecretString::from(format!("bench-token-{i}")),
                    expires_at: facts.token.expires_at,
                    data_access_expires_at: facts.token.data_access_expires_at,
                },
                at,
            )
            .await?;
        let report = self.checker.engine.diagnose(&facts, &assets, at);
        let mut out = Vec::with_capacity(assets.len());
        let mut verdicts = Vec::with_capacity(assets.len());
        // What `check::record` stores, less the facts rows: neither the API nor the pre-flight
        // index reads those (only the worker does, and it is not part of this benchmark), and
        // leaving them out halves the seeding time.
        for (asset_facts, asset_report) in assets.iter().zip(&report.assets) {
            let asset = self
                .store
                .upsert_asset(
                    self.ws,
                    login.id,
                    NewAsset {
                        kind: asset_facts.kind,
                        platform_id: asset_facts.id.clone(),
                        name: asset_facts.name.clone().unwrap_or_default(),
                    },
                )
                .await?;
            out.push((asset.id, asset_report.status));
            if self.with_facts {
                self.store
                    .put_facts(
                        self.ws,
                        login.id,
                        FactsSubject::Asset(asset.id),
                        &serde_json::to_value(asset_facts)?,
                        at,
                    )
                    .await?;
            }
            verdicts.push(check::verdict(
                login.id,
                asset.id,
                Some(asset_facts),
                asset_report,
            ));
        }
        if self.with_facts {
            self.store
                .put_facts(
                    self.ws,
                    login.id,
                    FactsSubject::Login(login.id),
                    &serde_json::to_value(&facts)?,
                    at,
                )
                .await?;
        }
        let diagnosis = check::diagnosis(login.id, &report, verdicts, at);
        self.store
            .record_diagnosis(self.ws, login.id, &diagnosis)
            .await?;
        Ok(out)
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = parse_args()?;
    let ring = std::env::var("TETHER_KEYS").context("set TETHER_KEYS (tether keys generate)")?;
    let keys = KeyRing::parse(&SecretString::from(ring)).context("TETHER_KEYS")?;
    let store = SqlStore::connect(&args.database, keys)
        .await
        .with_context(|| format!("cannot open {}", args.database))?;
    // Never contacted: the seed diagnoses facts it makes up itself.
    let nowhere: url::Url = "http://127.0.0.1:9/".parse()?;
    let app = MetaApp {
        app_id: "1000000000000001".into(),
        app_secret: SecretString::from("bench-app-secret".to_owned()),
        graph_url: nowhere.clone(),
        dialog_url: nowhere,
        webhook_verify_token: SecretString::from("bench".to_owned()),
    };
    let checker = Checker::new(&app, &[], &args.profile, &Default::default())?;
    let scopes = checker.scopes();
    let now = Timestamp::now();
    let ws = store.create_workspace("Bench Agency", now).await?;
    let key = store.create_api_key(ws.id, now).await?;
    // A signed-in dashboard owner, so the bench can load the accounts overview.
    let phc = tether_server::dashboard::hash_password(&SecretString::from(
        "bench owner password".to_owned(),
    ))?;
    let owner = store
        .create_user(
            ws.id,
            "owner@bench.example",
            tether_store::Role::Owner,
            &phc,
            now,
        )
        .await?;
    let session = store
        .create_session(&owner, now + SignedDuration::from_hours(12), now)
        .await?;
    let day = SignedDuration::from_hours(24);
    let spacing = day / i32::try_from(args.logins).unwrap_or(i32::MAX);
    let seeder = Arc::new(Seeder {
        store,
        checker,
        scopes,
        ws: ws.id,
        per_login: args.assets_per_login,
        start: now - day,
        spacing,
        with_facts: args.with_facts,
    });

    let started = Instant::now();
    let mut out = std::io::BufWriter::new(
        std::fs::File::create(&args.ids_out)
            .with_context(|| format!("cannot create {}", args.ids_out))?,
    );
    let mut statuses: BTreeMap<&'static str, usize> = BTreeMap::new();
    let mut assets = 0usize;
    // SQLite takes one writer at a time; a few logins in flight overlap the engine, JSON and
    // sealing work of one with the commit of another.
    let mut results = futures::stream::iter(0..args.logins)
        .map(|i| {
            let seeder = seeder.clone();
            async move { seeder.seed(i).await }
        })
        .buffer_unordered(args.concurrency);
    let mut done = 0usize;
    while let Some(r) = results.next().await {
        for (id, status) in r? {
            writeln!(out, "{}", id.0)?;
            *statuses.entry(status.as_str()).or_default() += 1;
            assets += 1;
        }
        done += 1;
        if done.is_multiple_of(5000) {
            eprintln!(
                "bench_seed: {done}/{} logins ({:.0} s)",
                args.logins,
                started.elapsed().as_secs_f64()
            );
        }
    }
    out.flush()?;
    let (logins, assets) = if args.copies > 0 {
        copy_logins(&args.database, args.copies).await?;
        let n = 1 + args.copies as usize;
        (args.logins * n, assets * n)
    } else {
        (args.logins, assets)
    };
    let summary = serde_json::json!({
        "api_key": key.secret.expose_secret(),
        "session": session.expose_secret(),
        "workspace_id": ws.id.0,
        "logins": logins,
        "assets": assets,
        "statuses": statuses,
        "seconds": started.elapsed().as_secs_f64(),
    });
    println!("{summary}");
    Ok(())
}

/// Copies every login `copies` times with its assets, facts, report and fixes, in one SQL
/// statement per table (the history is not copied): a million stored assets in minutes, where
/// seeding each login through the store takes hours. A copy's ids are the original's with the
/// first byte replaced (0x80 + copy), its platform user id suffixed; its sealed token does not
/// open (the seal binds the original row), which nothing a catalog change or a listing does
/// reads. Copies are written one after the other, each in the original's order, so rows lie
/// in the order of their ids as a store that grew over time has them (interleaving the copies
/// would scatter a walk in id order over the whole file).
async fn copy_logins(database: &str, copies: u32) -> anyhow::Result<()> {
    // (table, columns that name a copied row: they take the copy's id)
    const TABLES: &[(&str, &[&str])] = &[
        ("logins", &["id"]),
        ("assets", &["id", "login_id"]),
        ("facts", &["subject_id", "login_id"]),
        ("diagnoses", &["login_id"]),
        ("fixes", &["login_id", "asset_id"]),
    ];
    let started = Instant::now();
    let postgres = database.starts_with("postgres");
    let pg = if postgres {
        Some(sqlx::PgPool::connect(database).await?)
    } else {
        None
    };
    let lite = if postgres {
        None
    } else {
        let url = if database.starts_with("sqlite:") {
            database.to_owned()
        } else {
            format!("sqlite://{database}")
        };
        Some(sqlx::SqlitePool::connect(&url).await?)
    };
    for (table, ids) in TABLES {
        let columns: Vec<String> = match (&pg, &lite) {
            (Some(p), _) => {
                sqlx::query_scalar(
                    "SELECT column_name::text FROM information_schema.columns \
                     WHERE table_name = $1 ORDER BY ordinal_position",
                )
                .bind(table)
                .fetch_all(p)
                .await?
            }
            (_, Some(l)) => {
                sqlx::query_scalar("SELECT name FROM pragma_table_info($1) ORDER BY cid")
                    .bind(table)
                    .fetch_all(l)
                    .await?
            }
            _ => unreachable!("one engine"),
        };
        let copied = |c: &str| {
            if ids.contains(&c) {
                if postgres {
                    format!(
                        "CASE WHEN {c} IS NULL THEN NULL ELSE (lpad(to_hex(128 + k), 2, '0') \
                         || substr(replace({c}::text, '-', ''), 3))::uuid END"
                    )
                } else {
                    format!(
                        "CASE WHEN {c} IS NULL THEN NULL \
                         ELSE unhex(printf('%02x', 128 + k) || substr(hex({c}), 3)) END"
                    )
                }
            } else if c == "platform_user_id" {
                format!("{c} || '~' || k")
            } else {
                c.to_owned()
            }
        };
        let list = columns.join(", ");
        let select: Vec<String> = columns.iter().map(|c| copied(c)).collect();
        let series = if postgres {
            format!("generate_series(1, {copies}) AS c(k)")
        } else {
            format!(
                "(WITH RECURSIVE c(k) AS (SELECT 1 UNION ALL SELECT k + 1 FROM c WHERE k < {copies}) \
                 SELECT k FROM c) c"
            )
        };
        let sql = format!(
            "INSERT INTO {table} ({list}) SELECT {} FROM {series} CROSS JOIN {table} ORDER BY k, {table}.{}",
            select.join(", "),
            if postgres { "ctid" } else { "rowid" }
        );
        match (&pg, &lite) {
            (Some(p), _) => sqlx::query(sqlx::AssertSqlSafe(sql))
                .execute(p)
                .await?
                .rows_affected(),
            (_, Some(l)) => sqlx::query(sqlx::AssertSqlSafe(sql))
                .execute(l)
                .await?
                .rows_affected(),
            _ => unreachable!("one engine"),
        };
        eprintln!(
            "bench_seed: {table} copied {copies} times ({:.0} s)",
            started.elapsed().as_secs_f64()
        );
    }
    // Planner statistics, and SQLite's log folded into the database file, as a database that
    // has been running a while has them.
    if let Some(p) = &pg {
        sqlx::query("ANALYZE").execute(p).await?;
    }
    if let Some(l) = &lite {
        sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
            .execute(l)
            .await?;
    }
    Ok(())
}
