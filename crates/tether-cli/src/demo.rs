//! `tether demo`: the simulator with a realistic agency world, every login in it diagnosed over
//! real HTTP, the results printed for people. Needs no accounts or keys.

use crate::diagnose::MetaChecker;
use crate::text::{self, Style};
use anyhow::Context;
use clap::Args;
use jiff::Timestamp;
use secrecy::SecretString;
use std::process::ExitCode;
use tether_core::Status;
use tether_sim::{TokenKind, World};

#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Which features matter: the demo agency runs a publishing scheduler; try `default`
    /// (every feature), `listening`, `messenger`, or a profile file.
    #[arg(long, value_name = "NAME|FILE", default_value = "scheduler")]
    profile: String,
    /// Keep the simulator running afterwards so you can change the world and diagnose again.
    #[arg(long)]
    keep_running: bool,
}

pub async fn run(args: DemoArgs) -> anyhow::Result<ExitCode> {
    let world = World::demo();
    let now: Timestamp = world.clock.start;
    let mut logins: Vec<_> = world
        .tokens
        .values()
        .filter(|t| matches!(t.kind, TokenKind::User))
        .map(|t| {
            let name = world
                .users
                .get(&t.user)
                .map(|u| u.name.clone())
                .unwrap_or_default();
            (t.user.clone(), name, t.token.clone())
        })
        .collect();
    logins.sort();
    let app_id = world.app.id.clone();
    let app_secret = world.app.secret.clone();
    let sim = tether_sim::spawn(world).context("cannot start the simulator")?;

    let checker = MetaChecker::new(
        Some(&args.profile),
        sim.base_url().parse().context("simulator URL")?,
        app_id.clone(),
        SecretString::from(app_secret.clone()),
    )?;
    let (engine, client, profile) = (&checker.engine, &checker.client, &checker.profile);
    let tokens: Vec<SecretString> = logins
        .iter()
        .map(|(_, _, t)| SecretString::from(t.clone()))
        .collect();
    let options = checker.inspect_options();
    let results = client.inspect_logins(&tokens, &options).await;

    let style = Style::for_stdout();
    let mut tally: Vec<(Status, usize)> = Vec::new();
    println!(
        "Tether demo: the agency \"Northwind Social\" and {} logins of its clients, checked against the \
         built-in simulator at {} (profile: {}).\n",
        logins.len(),
        sim.base_url(),
        profile.name
    );
    for ((_, name, _), result) in logins.iter().zip(results) {
        println!(
            "━━ {name} {}",
            "━".repeat(60usize.saturating_sub(name.len()))
        );
        match result {
            Ok(snapshot) => {
                let report = engine.diagnose(&snapshot.login, &snapshot.assets, now);
                for a in &report.assets {
                    match tally.iter_mut().find(|(s, _)| *s == a.status) {
                        Some((_, n)) => *n += 1,
                        None => tally.push((a.status, 1)),
                    }
                }
                println!("{}", text::render(&report, style));
            }
            Err(e) => println!("check could not run: {e}\n"),
        }
    }
    tally.sort_by_key(|(s, _)| std::cmp::Reverse(s.rank()));
    let counts: Vec<String> = tally
        .iter()
        .map(|(s, n)| format!("{n} {}", text::status_label(*s)))
        .collect();
    let stats = client.stats();
    println!("Assets: {}.", counts.join(", "));
    println!(
        "Cost: {} platform calls in {} HTTP requests for {} logins.",
        stats.platform_calls,
        stats.http_requests,
        logins.len()
    );
    println!(
        // This run's simulator stops with it; `tether sim` listens on 4590 by default.
        "\nWhere to look next:\n  tether sim --world demo          # the same world, in the foreground, with its admin API\n  \
         tether diagnose meta --graph-url http://127.0.0.1:4590 --app-id {app_id} --app-secret {app_secret} --token <token> --now {now}\n  \
         JSON for programs: add --format json (REPORT.md); profiles: --profile listening|scheduler|messenger",
    );
    if args.keep_running {
        println!(
            "\nSimulator still running at {} — Ctrl-C to stop.",
            sim.base_url()
        );
        tokio::signal::ctrl_c().await.ok();
    }
    Ok(ExitCode::SUCCESS)
}
