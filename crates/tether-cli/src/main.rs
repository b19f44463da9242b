//! `tether`: diagnose a login against a platform (or the simulator), run the simulator, run the demo.
//!
//! Exit statuses (REPORT.md): 0 every asset connected, 1 something needs action, 2 the check
//! itself could not run (bad arguments, platform unreachable, the checker's own app rejected).
#![forbid(unsafe_code)]

mod demo;
mod diagnose;
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
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Check one token (or many) once: which assets it reaches, which features work, why not,
    /// who must act. Stores nothing.
    Diagnose {
        #[command(subcommand)]
        network: diagnose::Network,
    },
    /// Run the platform simulator (Graph API shapes, admin API, virtual clock, faults).
    Sim(sim::SimArgs),
    /// Start the simulator with a realistic agency world and diagnose every login in it.
    Demo(demo::DemoArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("TETHER_LOG")
                // Errors reach the person as one clear message from `main`; logs are opt-in.
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("off")),
        )
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_writer(std::io::stderr)
        .init();
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
            Command::Diagnose { network } => diagnose::run(network).await,
            Command::Sim(args) => sim::run(args).await,
            Command::Demo(args) => demo::run(args).await,
        }
    });
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}
