//! Operator commands: workspaces and their first API key, token encryption keys.

use crate::serve::{StoreArgs, redact};
use anyhow::Context;
use clap::{Args, Subcommand};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use secrecy::ExposeSecret;
use std::io::IsTerminal;
use std::process::ExitCode;
use tether_store::{KeyRing, ResealProgress, Store};

#[derive(Debug, Subcommand)]
pub enum WorkspaceCommand {
    /// Create a workspace and print its id and first API key (shown once).
    Create {
        name: String,
        #[command(flatten)]
        store: StoreArgs,
    },
}

#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// Print a new random key ring entry (`ID:BASE64KEY`). Put it first in TETHER_KEYS (or the key
    /// file) to make it active, keep the old entries so existing tokens still open, then run
    /// `tether keys rotate`.
    Generate {
        /// The new key's id (1–255); use one not in your ring yet.
        #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u8).range(1..))]
        id: u8,
    },
    /// Re-seal every stored token and webhook secret under the active key, with progress.
    Rotate {
        #[command(flatten)]
        store: StoreArgs,
        /// Rows per transaction.
        #[arg(long, default_value_t = 500)]
        batch: u32,
    },
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Add a person who signs in to the dashboard (the first owner of a workspace, say). Prints
    /// a generated password once, unless one is given on standard input.
    Add {
        /// The workspace's id (`tether workspace create` printed it).
        #[arg(long)]
        workspace: uuid::Uuid,
        #[arg(long)]
        email: String,
        /// owner (sees and manages everything, invites people) or member (sees and fixes accounts).
        #[arg(long, default_value = "owner")]
        role: String,
        /// Read the password from the first line of standard input instead of generating one.
        #[arg(long)]
        password_stdin: bool,
        #[command(flatten)]
        store: StoreArgs,
    },
}

#[derive(Debug, Args)]
pub struct MigrateArgs {
    #[command(flatten)]
    pub store: StoreArgs,
}

pub async fn workspace(cmd: WorkspaceCommand) -> anyhow::Result<ExitCode> {
    match cmd {
        WorkspaceCommand::Create { name, store } => {
            let name = name.trim();
            anyhow::ensure!(!name.is_empty(), "the workspace needs a name");
            let db = store.open().await?;
            let now = tether_server::clock::micros(jiff::Timestamp::now());
            let ws = db.create_workspace(name, now).await?;
            let key = db.create_api_key(ws.id, now).await?;
            println!("workspace {} ({})", ws.name, ws.id);
            println!("api key   {}", key.secret.expose_secret());
            eprintln!(
                "The API key is shown only now; store it in your product's secrets. Database: {}",
                redact(&store.database)
            );
            Ok(ExitCode::SUCCESS)
        }
    }
}

pub async fn keys(cmd: KeysCommand) -> anyhow::Result<ExitCode> {
    match cmd {
        KeysCommand::Generate { id } => {
            println!("{id}:{}", KeyRing::generate_key().expose_secret());
            Ok(ExitCode::SUCCESS)
        }
        KeysCommand::Rotate { store, batch } => {
            let db = store.open().await?;
            let bar = if std::io::stderr().is_terminal() {
                ProgressBar::new(0)
            } else {
                ProgressBar::with_draw_target(Some(0), ProgressDrawTarget::hidden())
            };
            bar.set_style(
                ProgressStyle::with_template("re-sealing {bar:40} {pos}/{len} ({eta})")
                    .context("progress template")?,
            );
            let mut report = |p: ResealProgress| {
                bar.set_length(p.total);
                bar.set_position(p.done);
            };
            let done = db
                .reseal_tokens(batch.max(1), &mut report)
                .await
                .context("re-sealing failed; rows done so far stay re-sealed, run it again")?;
            bar.finish_and_clear();
            println!(
                "re-sealed {} of {} secrets under key {}",
                done.done,
                done.total,
                db.keys().active_id()
            );
            Ok(ExitCode::SUCCESS)
        }
    }
}

pub async fn migrate(args: MigrateArgs) -> anyhow::Result<ExitCode> {
    let db = args.store.open().await?;
    println!(
        "database {} is up to date ({})",
        redact(&args.store.database),
        db.engine()
    );
    Ok(ExitCode::SUCCESS)
}

pub async fn user(cmd: UserCommand) -> anyhow::Result<ExitCode> {
    let UserCommand::Add {
        workspace,
        email,
        role,
        password_stdin,
        store,
    } = cmd;
    let role: tether_store::Role = role
        .parse()
        .map_err(|_| anyhow::anyhow!("unknown role `{role}`: use owner or member"))?;
    let email = email.trim().to_owned();
    anyhow::ensure!(
        email.contains('@') && !email.contains(char::is_whitespace),
        "`{email}` is not an email address"
    );
    let (password, generated) = if password_stdin {
        let mut line = String::new();
        std::io::stdin()
            .read_line(&mut line)
            .context("cannot read the password from standard input")?;
        let line = line.trim_end_matches(['\r', '\n']).to_owned();
        anyhow::ensure!(
            line.chars().count() >= tether_server::dashboard::session::MIN_PASSWORD,
            "the password must have at least {} characters",
            tether_server::dashboard::session::MIN_PASSWORD
        );
        (line, false)
    } else {
        (tether_server::dashboard::session::generate_password(), true)
    };
    let db = store.open().await?;
    let ws = tether_store::WorkspaceId(workspace);
    anyhow::ensure!(
        db.get_workspace(ws).await?.is_some(),
        "there is no workspace {workspace} in {}",
        redact(&store.database)
    );
    let phc =
        tether_server::dashboard::hash_password(&secrecy::SecretString::from(password.clone()))?;
    let now = tether_server::clock::micros(jiff::Timestamp::now());
    let user = match db.create_user(ws, &email, role, &phc, now).await {
        Ok(u) => u,
        Err(tether_store::StoreError::Duplicate { .. }) => {
            anyhow::bail!("{email} already has an account (an email signs in to one workspace)")
        }
        Err(e) => return Err(e.into()),
    };
    println!("user      {} ({}, {})", user.email, role, user.id);
    if generated {
        println!("password  {password}");
        eprintln!(
            "The password is shown only now. Sign in at <public URL>/app and share it safely."
        );
    }
    Ok(ExitCode::SUCCESS)
}
