//! `tether diagnose meta`: docs/REPORT.md's one-shot check, plus `--tokens-from` for many tokens.

use crate::text::{self, Style};
use anyhow::{Context, bail};
use clap::{Args, Subcommand, ValueEnum};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use jiff::Timestamp;
use secrecy::SecretString;
use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use tether_core::Report;
use tether_meta::{CheckError, InspectOptions, Progress};
use tether_server::MetaApp;
use tether_server::check::Checker;

#[derive(Debug, Subcommand)]
pub enum Network {
    /// Facebook Pages and Instagram accounts reached through a Facebook Login user token.
    Meta(MetaArgs),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Json,
    Text,
}

#[derive(Debug, Args)]
pub struct MetaArgs {
    /// The user access token to check (or set TETHER_META_TOKEN, which keeps it out of `ps`).
    #[arg(
        long,
        env = "TETHER_META_TOKEN",
        hide_env_values = true,
        required_unless_present = "tokens_from",
        conflicts_with = "tokens_from"
    )]
    token: Option<String>,
    /// A file with one token per line; prints one JSON report per line, in the file's order.
    #[arg(long, value_name = "FILE")]
    tokens_from: Option<PathBuf>,
    /// Your Meta app's id.
    #[arg(long, env = "TETHER_META_APP_ID")]
    app_id: String,
    /// Your Meta app's secret (or set TETHER_META_APP_SECRET).
    #[arg(long, env = "TETHER_META_APP_SECRET", hide_env_values = true)]
    app_secret: String,
    /// Graph API base URL; tests and the demo pass the simulator's.
    #[arg(long, default_value = "https://graph.facebook.com")]
    graph_url: url::Url,
    /// Which features matter: a built-in profile name (default, scheduler, listening,
    /// messenger) or a profile file.
    #[arg(long, value_name = "NAME|FILE")]
    profile: Option<String>,
    /// Evaluate as of this time (RFC 3339), e.g. "what if" or reproducible tests.
    #[arg(long, value_name = "RFC3339")]
    now: Option<Timestamp>,
    /// Output format: text on a terminal, json otherwise.
    #[arg(long, value_enum)]
    format: Option<Format>,
    /// How many batch requests may be in flight at once.
    #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u16).range(1..=256))]
    concurrency: u16,
}

pub async fn run(network: Network) -> anyhow::Result<ExitCode> {
    match network {
        Network::Meta(args) => run_meta(args).await,
    }
}

/// The tokens of a `--tokens-from` file with the file line each stands on (1-based): blank lines
/// are skipped, but a person looks a failure up by its line in the file.
fn read_tokens(path: &PathBuf) -> anyhow::Result<Vec<(usize, SecretString)>> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read tokens file {}", path.display()))?;
    let tokens: Vec<(usize, SecretString)> = text
        .lines()
        .enumerate()
        .map(|(i, l)| (i + 1, l.trim()))
        .filter(|(_, l)| !l.is_empty())
        .map(|(n, l)| (n, SecretString::from(l.to_owned())))
        .collect();
    if tokens.is_empty() {
        bail!(
            "tokens file {} holds no tokens (one per line)",
            path.display()
        );
    }
    Ok(tokens)
}

/// The checker `diagnose` uses: the service's own, so both judge a login the same way.
fn checker(args: &MetaArgs) -> anyhow::Result<Checker> {
    let app = MetaApp {
        app_id: args.app_id.clone(),
        app_secret: SecretString::from(args.app_secret.clone()),
        graph_url: args.graph_url.clone(),
        // A one-shot check opens no dialog and receives no webhooks.
        dialog_url: "https://www.facebook.com".parse().context("dialog URL")?,
        webhook_verify_token: SecretString::from(String::new()),
    };
    Checker::new(&app, args.profile.as_deref().unwrap_or("all"))
}

async fn run_meta(args: MetaArgs) -> anyhow::Result<ExitCode> {
    tether_server::install_tls_provider();
    let checker = checker(&args)?;

    let many = args.tokens_from.is_some();
    let (line_numbers, tokens): (Vec<usize>, Vec<SecretString>) =
        match (&args.tokens_from, &args.token) {
            (Some(path), _) => read_tokens(path)?.into_iter().unzip(),
            (None, Some(t)) if !t.trim().is_empty() => {
                (vec![1], vec![SecretString::from(t.trim().to_owned())])
            }
            _ => bail!("--token is empty"),
        };
    let format = args.format.unwrap_or(if std::io::stdout().is_terminal() {
        Format::Text
    } else {
        Format::Json
    });

    let bar = progress_bar(many, tokens.len() as u64);
    let mut options = InspectOptions {
        concurrency: usize::from(args.concurrency),
        now: args.now,
        ..checker.inspect_options()
    };
    if let Some(bar) = &bar {
        let bar = bar.clone();
        options.on_progress = Some(Arc::new(move |p: Progress| bar.set_position(p.done as u64)));
    }
    let results = checker.client.inspect_logins(&tokens, &options).await;
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }

    // The checker's own credentials failing is one problem, not N: say it once, print no report.
    if let Some(Err(e @ CheckError::CheckerMisconfigured { .. })) = results
        .iter()
        .find(|r| matches!(r, Err(CheckError::CheckerMisconfigured { .. })))
    {
        bail!("{e}");
    }

    let now = args.now.unwrap_or_else(Timestamp::now);
    let style = Style::for_stdout();
    let mut stdout = std::io::stdout().lock();
    let mut worst = 0u8;
    for (line_no, result) in line_numbers.into_iter().zip(results) {
        match result {
            Ok(snapshot) => {
                let report = checker
                    .engine
                    .diagnose(&snapshot.login, &snapshot.assets, now);
                worst = worst.max(u8::from(!report.all_connected()));
                write_report(&mut stdout, &report, format, many, style)?;
            }
            Err(e) => {
                worst = 2;
                if many {
                    eprintln!("line {line_no}: {e}");
                    let line = serde_json::json!({
                        "report_version": tether_core::REPORT_VERSION,
                        "line": line_no,
                        "error": { "kind": error_kind(&e), "message": e.to_string() },
                    });
                    match format {
                        Format::Json => writeln!(stdout, "{line}")?,
                        Format::Text => writeln!(stdout, "line {line_no}: check failed: {e}\n")?,
                    }
                } else {
                    bail!("{e}");
                }
            }
        }
    }
    stdout.flush()?;
    let stats = checker.client.stats();
    tracing::info!(
        http_requests = stats.http_requests,
        platform_calls = stats.platform_calls,
        "diagnose finished"
    );
    Ok(ExitCode::from(worst))
}

fn write_report(
    out: &mut impl Write,
    report: &Report,
    format: Format,
    many: bool,
    style: Style,
) -> anyhow::Result<()> {
    match (format, many) {
        (Format::Json, true) => writeln!(out, "{}", serde_json::to_string(report)?)?,
        (Format::Json, false) => writeln!(out, "{}", serde_json::to_string_pretty(report)?)?,
        (Format::Text, _) => {
            write!(out, "{}", text::render(report, style))?;
            if many {
                writeln!(out, "\n{}", "─".repeat(72))?;
            }
        }
    }
    Ok(())
}

fn progress_bar(many: bool, len: u64) -> Option<ProgressBar> {
    if !many || !std::io::stderr().is_terminal() {
        return None;
    }
    let bar = ProgressBar::with_draw_target(Some(len), ProgressDrawTarget::stderr());
    bar.set_style(
        ProgressStyle::with_template("{spinner} checking logins {pos}/{len} [{bar:30}] {eta}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    Some(bar)
}

/// A stable machine word for a failed check, for `--tokens-from` output lines.
fn error_kind(e: &CheckError) -> &'static str {
    match e {
        CheckError::PlatformUnavailable { .. } => "platform_unavailable",
        CheckError::RateLimited { .. } => "rate_limited",
        CheckError::CheckerMisconfigured { .. } => "checker_misconfigured",
        CheckError::UnrecognizedPlatformError { .. } => "unrecognized_platform_error",
        CheckError::InvalidToken { .. } => "invalid_token",
        CheckError::NotAUserToken { .. } => "not_a_user_token",
    }
}
