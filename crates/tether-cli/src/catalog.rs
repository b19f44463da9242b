//! `tether catalog apply FILE`: a platform change (a scope retired, a feature that needs a new
//! permission, an API version moved forward) arrives as a changed catalog with a higher
//! `revision`; this says what it does to the stored accounts, and with `--apply` records the new
//! verdicts and the catalog itself (what processes started afterwards judge by), without one
//! platform call.

use crate::serve::StoreArgs;
use anyhow::Context;
use clap::{Args, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;
use tether_core::Catalog;

#[derive(Debug, Subcommand)]
pub enum CatalogCommand {
    /// Re-judge every stored account of the catalog's network by a changed catalog (the same
    /// shape as `catalog/<network>/catalog.toml`, with a `[change]` table saying what changed and
    /// where the platform said so). A dry run unless --apply.
    Apply(ApplyArgs),
}

#[derive(Debug, Args)]
pub struct ApplyArgs {
    /// The changed catalog.
    pub file: PathBuf,
    /// Record the new verdicts: statuses, history and one event per status change.
    #[arg(long)]
    pub apply: bool,
    /// The deployment's profile, for workspaces that chose none (as given to `serve`).
    #[arg(long, env = "TETHER_PROFILE", default_value = "default")]
    pub profile: String,
    #[command(flatten)]
    pub store: StoreArgs,
}

pub async fn run(cmd: CatalogCommand) -> anyhow::Result<ExitCode> {
    let CatalogCommand::Apply(args) = cmd;
    let text = std::fs::read_to_string(&args.file)
        .with_context(|| format!("cannot read {}", args.file.display()))?;
    let origin = args.file.display().to_string();
    let changed = Catalog::from_toml_str(&text, &origin)?;
    let note = changed.change.clone().with_context(|| {
        format!("{origin}: a changed catalog needs a [change] table with `summary` and `source`")
    })?;
    let store = args.store.open().await?;
    let current = tether_server::check::check_revision(&store, &changed, &text).await?;
    if current.judges_like(&changed) {
        eprintln!(
            "note: the {} catalog judged by now ({}) already has these rules, so nothing moves",
            changed.network, current.origin
        );
    }
    let now = jiff::Timestamp::now();
    let impact =
        tether_server::check::catalog_change(&store, &changed, &args.profile, args.apply, now)
            .await?;
    if args.apply {
        tether_server::check::record_change(&store, &changed, &text, now).await?;
    }
    println!("{} change: {}", changed.label, note.summary);
    println!("source: {}", note.source);
    println!(
        "judged {} logins and {} accounts of {} from stored facts, no platform call",
        impact.logins_judged, impact.assets_judged, changed.network
    );
    if impact.assets_moved.is_empty() && impact.logins_moved.is_empty() {
        println!("no account changes status");
    }
    for ((from, to), n) in &impact.assets_moved {
        println!("  {n} accounts: {from} -> {to}");
    }
    for ((from, to), n) in &impact.logins_moved {
        println!("  {n} logins: {from} -> {to}");
    }
    for (ws, n) in &impact.workspaces {
        println!("  workspace {ws}: {n} accounts move");
    }
    println!(
        "time: {:.2} s in all, {:.2} s judging",
        impact.total.as_secs_f64(),
        impact.engine.as_secs_f64()
    );
    if args.apply {
        println!(
            "applied: {} status changes recorded, one event each",
            impact.transitions
        );
        println!(
            "recorded as {} catalog revision {}: servers and workers started from now on judge by \
             it (restart the running ones) until a build whose own {} catalog is revision {} or \
             higher runs",
            changed.network, changed.revision, changed.network, changed.revision
        );
    } else {
        println!("dry run: nothing recorded (add --apply)");
    }
    Ok(ExitCode::SUCCESS)
}
