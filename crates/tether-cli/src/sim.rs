//! `tether sim`: the platform simulator in the foreground, for trying Tether by hand and for the
//! benchmark scripts.

use anyhow::{Context, bail};
use clap::Args;
use std::net::{IpAddr, SocketAddr};
use std::process::ExitCode;
use tether_sim::{TokenKind, World};

#[derive(Debug, Args)]
pub struct SimArgs {
    /// `demo` (the agency world), `synthetic:USERSxPAGES` (e.g. synthetic:1000x5, for
    /// benchmarks), or a world file (TOML; see crates/tether-sim/README.md).
    #[arg(long, default_value = "demo")]
    pub world: String,
    /// Address to listen on. Loopback by default: the simulator has no authentication.
    #[arg(long, default_value = "127.0.0.1")]
    pub host: IpAddr,
    /// Port to listen on (0 picks a free one and prints it).
    #[arg(long, default_value_t = 4590)]
    pub port: u16,
}

pub fn load_world(spec: &str) -> anyhow::Result<World> {
    if spec == "demo" {
        return Ok(World::demo());
    }
    if let Some(size) = spec.strip_prefix("synthetic:") {
        let (users, pages) = size
            .split_once('x')
            .and_then(|(u, p)| Some((u.parse::<usize>().ok()?, p.parse::<usize>().ok()?)))
            .with_context(|| {
                format!("`{spec}`: expected synthetic:USERSxPAGES, e.g. synthetic:1000x5")
            })?;
        if users == 0 {
            bail!("`{spec}`: a synthetic world needs at least one user");
        }
        return Ok(World::synthetic(users, pages));
    }
    let text = std::fs::read_to_string(spec).with_context(|| {
        format!("cannot read world file {spec} (or use `demo`, `synthetic:NxM`)")
    })?;
    World::from_toml_str(&text, spec).with_context(|| format!("invalid world file {spec}"))
}

pub async fn run(args: SimArgs) -> anyhow::Result<ExitCode> {
    let world = load_world(&args.world)?;
    let summary = describe(&world);
    let sim = tether_sim::spawn_on(world, SocketAddr::new(args.host, args.port))
        .with_context(|| format!("cannot listen on {}:{}", args.host, args.port))?;
    println!("Tether simulator listening on {}", sim.base_url());
    println!("{summary}");
    println!(
        "Admin API under {}/_admin (world, clock, users, tokens, pages, instagram, faults, stats).",
        sim.base_url()
    );
    println!("Stop with Ctrl-C.");
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = sim.wait() => {}
    }
    Ok(ExitCode::SUCCESS)
}

/// The app credentials and a few user tokens, so a person can point `tether diagnose` at it.
/// (Simulator tokens are fake by construction; printing them is the point.)
fn describe(world: &World) -> String {
    let mut out = format!(
        "App id {} secret {} ({} users, {} Pages)\n",
        world.app.id,
        world.app.secret,
        world.users.len(),
        world.pages.len()
    );
    let tokens: Vec<_> = world
        .tokens
        .values()
        .filter(|t| matches!(t.kind, TokenKind::User))
        .collect();
    for t in tokens.iter().take(20) {
        let name = world
            .users
            .get(&t.user)
            .map(|u| u.name.as_str())
            .unwrap_or("?");
        out.push_str(&format!(
            "  user token {:<34} {} ({})\n",
            t.token, name, t.user
        ));
    }
    if tokens.len() > 20 {
        out.push_str(&format!("  … and {} more\n", tokens.len() - 20));
    }
    out
}
