//! `tether demo`: the simulator with a realistic agency world, the Tether server on SQLite, every
//! login of the world connected and checked, webhooks delivered to a local receiver, and where to
//! look next. Needs no accounts or keys; runs until Ctrl-C (or `--once`).

use crate::text::{self, Style};
use anyhow::Context;
use axum::routing::post;
use clap::Args;
use secrecy::{ExposeSecret, SecretString};
use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;
use tether_core::Status;
use tether_server::connect::{Expect, connect_issued, connect_token};
use tether_server::{App, Config, ManualClock, MetaApp, WorkerConfig};
use tether_sim::World;
use tether_store::{AssetFilter, KeyRing, SqlStore, Store};

/// The demo workspace's owner, who signs in to the dashboard.
pub const DEMO_OWNER: &str = "owner@northwind.example";

#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Which features matter: the demo agency runs a publishing scheduler; try `default`
    /// (every feature), `listening`, `messenger`, or a profile file.
    #[arg(long, value_name = "NAME|FILE", default_value = "scheduler")]
    profile: String,
    /// The server's port (0 picks a free one).
    #[arg(long, default_value_t = 4580)]
    port: u16,
    /// Print the results and exit instead of serving until Ctrl-C.
    #[arg(long)]
    once: bool,
}

pub async fn run(args: DemoArgs) -> anyhow::Result<ExitCode> {
    tether_server::install_tls_provider();
    let world = World::demo();
    let start = world.clock.start;
    let tokens = world.newest_user_tokens();
    let (app_id, app_secret) = (world.app.id.clone(), world.app.secret.clone());
    let sim = tether_sim::spawn(world).context("cannot start the simulator")?;
    let sim_url: url::Url = sim.base_url().parse().context("simulator URL")?;

    let listener = match tokio::net::TcpListener::bind(("127.0.0.1", args.port)).await {
        Ok(l) => l,
        // Something else holds the port: any free one will do for a demo.
        Err(_) => tokio::net::TcpListener::bind(("127.0.0.1", 0)).await?,
    };
    let addr = listener.local_addr()?;
    let public_url: url::Url = format!("http://{addr}").parse()?;

    let dir = std::env::temp_dir().join(format!("tether-demo-{}", std::process::id()));
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let db_path = dir.join("tether.db");
    let keys = KeyRing::parse(&SecretString::from(format!(
        "1:{}",
        KeyRing::generate_key().expose_secret()
    )))?;
    let store = SqlStore::connect(&db_path.display().to_string(), keys).await?;
    store.migrate().await?;

    let metrics_token = KeyRing::generate_key();
    let config = Config {
        networks: tether_server::NetworkApp::from_simulator(&sim_url, &tether_sim::http_client())
            .await,
        public_url: public_url.clone(),
        meta: MetaApp {
            app_id: app_id.clone(),
            app_secret: SecretString::from(app_secret),
            graph_url: sim_url.clone(),
            dialog_url: sim_url.clone(),
            webhook_verify_token: KeyRing::generate_key(),
        },
        profile: args.profile.clone(),
        link_key: KeyRing::generate_key(),
        link_ttl: Duration::from_secs(7 * 24 * 3600),
        oauth_state_ttl: Duration::from_secs(30 * 60),
        body_limit: 256 * 1024,
        timeouts: tether_server::listen::Timeouts::default(),
        worker: WorkerConfig::default(),
        // Everything the demo talks to is on this machine.
        allow_private_hosts: true,
        metrics_token: Some(metrics_token.clone()),
    };
    // The simulator's clock is frozen at the world's start; Tether follows it so "expires in 5
    // days" means the same on both sides.
    let clock = ManualClock::new(start);
    let app = App::build(config, store, Arc::new(clock)).await?;
    let s = app.state.clone();
    let admin = sim.admin();
    admin
        .set_redirect_uris(&[s.config.redirect_uri().as_str()])
        .await
        .context("cannot register the callback with the simulator")?;

    let ws = s
        .store
        .create_workspace("Northwind Social", s.clock.now())
        .await?;
    let key = s.store.create_api_key(ws.id, s.clock.now()).await?;
    // The dashboard's first owner, with a password made for this run.
    let password = tether_server::dashboard::session::generate_password();
    let phc = tether_server::dashboard::hash_password(&SecretString::from(password.clone()))?;
    s.store
        .create_user(
            ws.id,
            DEMO_OWNER,
            tether_store::Role::Owner,
            &phc,
            s.clock.now(),
        )
        .await?;
    let received = Arc::new(AtomicUsize::new(0));
    let receiver = spawn_receiver(received.clone()).await?;
    s.store
        .create_endpoint(
            ws.id,
            &format!("http://{receiver}/events"),
            "demo receiver",
            s.clock.now(),
        )
        .await?;

    let style = Style::for_stdout();
    let networks: Vec<&str> = std::iter::once(tether_core::Network::Meta.as_str())
        .chain(s.config.networks.iter().map(|n| n.network.as_str()))
        .collect();
    println!(
        "Tether demo: the agency \"Northwind Social\" connects the logins of its clients \
         ({} simulated at {}, profile: {}).\n",
        networks.join(", "),
        sim.base_url(),
        args.profile
    );
    // A login to point the reconnect example at, and a healthy one to break by hand.
    let mut example_login = None;
    let mut healthy: Option<(String, tether_store::Login, String)> = None;
    for (user, name, token) in tokens {
        let expect = Expect {
            name_hint: Some(&name),
            ..Expect::default()
        };
        match connect_token(&s, ws.id, SecretString::from(token), expect).await {
            Ok(c) => {
                if example_login.is_none() && c.report.login.status == Status::ActionRequired {
                    example_login = Some(c.login.clone());
                }
                if healthy.is_none() && c.report.all_connected() {
                    let asset = s
                        .store
                        .list_assets(
                            ws.id,
                            &AssetFilter {
                                login: Some(c.login.id),
                                limit: 1,
                                ..AssetFilter::default()
                            },
                        )
                        .await?;
                    if let Some(a) = asset.first() {
                        healthy = Some((user.clone(), c.login.clone(), a.id.to_string()));
                    }
                }
                println!(
                    "━━ {} {}",
                    c.login.person_name,
                    "━".repeat(60usize.saturating_sub(c.login.person_name.len()))
                );
                println!("{}", text::render(&c.report, style));
            }
            Err(e) => println!("━━ user {user}: not connected: {e}\n"),
        }
    }
    // Every other network the simulator hosts: the logins its part offers.
    for other in &s.config.networks {
        let http = tether_sim::http_client();
        for sim_login in other.simulated_logins(&http, s.clock.now()).await {
            let expect = Expect {
                name_hint: Some(&sim_login.name),
                ..Expect::default()
            };
            match connect_issued(&s, ws.id, other.network, sim_login.issued, expect).await {
                Ok(c) => {
                    println!(
                        "━━ {} ({}) {}",
                        c.login.person_name,
                        other.network,
                        "━".repeat(56usize.saturating_sub(c.login.person_name.len()))
                    );
                    println!("{}", text::render(&c.report, style));
                }
                Err(e) => println!(
                    "━━ {} on {}: not connected: {e}\n",
                    sim_login.name, other.network
                ),
            }
        }
    }
    let drained = app.worker.drain().await?;
    // The dashboard's counts: accounts, and logins broken before they could list any.
    let overview = s.store.count_overview(ws.id).await?;
    let counts: Vec<String> = overview
        .statuses
        .iter()
        .map(|(st, n)| format!("{n} {}", text::status_label(*st)))
        .collect();
    println!(
        "Accounts (and logins that reach none): {}.",
        counts.join(", ")
    );
    let remedies = tether_core::Remedies::builtin(tether_core::Network::Meta)?;
    let todo: Vec<String> = overview
        .fixes
        .iter()
        .map(|(a, n)| remedies.action_count(*a, *n))
        .collect();
    if !todo.is_empty() {
        println!("To do: {}.", todo.join("; "));
    }
    println!(
        "Webhooks: {} events delivered to the demo receiver ({} delivery attempts failed).",
        received.load(Ordering::SeqCst),
        drained.delivery_failures
    );
    let api = format!("{public_url}api/v1");
    let auth = format!("-H 'Authorization: Bearer {}'", key.secret.expose_secret());
    println!("\nWhere to look:");
    println!(
        "  Dashboard         {public_url}app   (sign in as {DEMO_OWNER}, password {password})"
    );
    println!(
        "  Database          {}   (removed when the demo exits)",
        db_path.display()
    );
    println!("  API               {api}   (OpenAPI: {api}/openapi.json)");
    println!(
        "  Metrics           curl -s -H 'Authorization: Bearer {}' {public_url}metrics",
        metrics_token.expose_secret()
    );
    println!("  API key           {}", key.secret.expose_secret());
    println!("  Accounts          curl -s {auth} '{api}/assets?status=action_required'");
    println!("  Who must act      curl -s {auth} '{api}/assets?owner=asset_admin'");
    if let Some(l) = &example_login {
        let (url, _) = tether_server::links::reconnect_url(&s, l);
        println!(
            "  Reconnect link    {url}   (for {}; opens the simulated Facebook dialog)",
            l.person_name
        );
    }
    if let Some((user, login, asset)) = &healthy {
        println!(
            "  Pre-flight        curl -s {auth} '{api}/assets/{asset}/preflight?feature=publish'"
        );
        println!(
            "  Break something   curl -s -X POST {}/_admin/users/{user}/change_password   ({}'s password changes)\n                    \
             curl -s -X POST {auth} '{api}/logins/{}/check'   (check now: disconnected, one webhook per account)",
            sim.base_url(),
            login.person_name,
            login.id
        );
    }
    if args.once {
        let _ = std::fs::remove_dir_all(&dir);
        return Ok(ExitCode::SUCCESS);
    }
    println!("\nServing until Ctrl-C.");
    let worker = tokio::spawn(tether_server::run_worker(
        app.worker.clone(),
        Duration::from_secs(1),
        crate::serve::shutdown_signal(),
    ));
    app.serve(listener, crate::serve::shutdown_signal()).await?;
    let _ = worker.await;
    let _ = std::fs::remove_dir_all(&dir);
    Ok(ExitCode::SUCCESS)
}

/// A local endpoint that accepts (and counts) the demo's webhook events.
async fn spawn_receiver(count: Arc<AtomicUsize>) -> anyhow::Result<SocketAddr> {
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0)).await?;
    let addr = listener.local_addr()?;
    let router = axum::Router::new().route(
        "/events",
        post(move || {
            let count = count.clone();
            async move {
                count.fetch_add(1, Ordering::SeqCst);
                "ok"
            }
        }),
    );
    tokio::spawn(async move {
        let _ = axum::serve(listener, router).await;
    });
    Ok(addr)
}
