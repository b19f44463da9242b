//! `tether`: diagnose a login against a platform (or the simulator), run the simulator, run the demo.
//!
//! Exit statuses (docs/REPORT.md): 0 every asset connected, 1 something needs action, 2 the check
//! itself could not run (bad arguments, platform unreachable, the checker's own app rejected).
#![forbid(unsafe_code)]

mod admin;
mod catalog;
mod demo;
mod diagnose;
mod serve;
mod sim;
mod text;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

#[derive(Debug, Parser)]
#[command(
    name = "tether",
    version,
    about = "Connection health for social media products"
)]
struct Cli {
    /// Log as JSON lines (for log collectors) instead of text. Levels: TETHER_LOG=info,tether=debug…
    #[arg(long, global = true, env = "TETHER_LOG_JSON")]
    log_json: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Check one token (or many) once: which assets it reaches, which features work, why not,
    /// who must act. Stores nothing.
    Diagnose(diagnose::DiagnoseArgs),
    /// Run the platform simulator (Graph API shapes, admin API, virtual clock, faults).
    Sim(sim::SimArgs),
    /// Start the simulator with a realistic agency world and the server on SQLite, connect every
    /// login in it, and print where to look.
    Demo(demo::DemoArgs),
    /// Run the service: REST API, OAuth connect, Meta callbacks and webhooks, and the worker.
    Serve(serve::ServeArgs),
    /// Run a worker alone (checks and webhook delivery), next to `serve --no-worker`.
    Worker(serve::ServiceArgs),
    /// Manage workspaces.
    #[command(subcommand)]
    Workspace(admin::WorkspaceCommand),
    /// People who sign in to the dashboard.
    #[command(subcommand)]
    User(admin::UserCommand),
    /// Token encryption keys: generate one, re-seal everything under the active one.
    #[command(subcommand)]
    Keys(admin::KeysCommand),
    /// Create or upgrade the database schema (serve and worker also do it at start).
    Migrate(admin::MigrateArgs),
    /// A platform change as a data change: what a changed catalog does to the stored accounts.
    #[command(subcommand)]
    Catalog(catalog::CatalogCommand),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let log_json = cli.log_json;
    // A service logs what it does; a one-shot command reports errors as one clear message from
    // `main`, so its logs are opt-in.
    let default = match cli.command {
        Command::Serve(_) | Command::Worker(_) => "info,sqlx=warn",
        _ => "off",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_env("TETHER_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    if cli.log_json {
        builder.json().flatten_event(true).init();
    } else {
        builder
            .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
            .init();
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::from(2);
        }
    };
    let result = runtime.block_on(async {
        match cli.command {
            Command::Diagnose(args) => diagnose::run(args).await,
            Command::Sim(args) => sim::run(args).await,
            Command::Demo(args) => demo::run(args).await,
            Command::Serve(args) => serve::serve(args).await,
            Command::Worker(args) => serve::worker(args).await,
            Command::Workspace(cmd) => admin::workspace(cmd).await,
            Command::Keys(cmd) => admin::keys(cmd).await,
            Command::User(cmd) => admin::user(cmd).await,
            Command::Migrate(args) => admin::migrate(args).await,
            Command::Catalog(cmd) => catalog::run(cmd).await,
        }
    });
    match result {
        Ok(code) => code,
        Err(e) => {
            let message = describe(&e);
            if log_json {
                tracing::error!(error = %message, "tether stopped");
            } else {
                eprintln!("error: {message}");
            }
            ExitCode::from(2)
        }
    }
}

/// The error and its causes, each said once: database drivers repeat their cause in their own
/// message, and `{:#}` would print it again.
fn describe(e: &anyhow::Error) -> String {
    let mut out = e.to_string();
    for cause in e.chain().skip(1) {
        let text = cause.to_string();
        if !out.contains(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
    }
    out
}
