//! `tether diagnose NETWORK`: docs/REPORT.md's one-shot check, plus `--tokens-from` for many
//! tokens. Every registered network speaks the same options; the network is reached only
//! through `tether_platform::Network`.

use crate::text::{self, Style};
use anyhow::{Context, bail};
use clap::{Args, ValueEnum};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use jiff::Timestamp;
use secrecy::SecretString;
use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use tether_core::{Engine, EngineOptions, Report};
use tether_platform::{AppConfig, CheckError, LoginToCheck, Needs, Progress};
use tether_server::check::load_profile;
use tether_server::networks;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Json,
    Text,
}

fn network_names() -> Vec<&'static str> {
    networks::REGISTERED.iter().map(|r| r.id.as_str()).collect()
}

#[derive(Debug, Args)]
pub struct DiagnoseArgs {
    /// The network the token belongs to.
    #[arg(value_name = "NETWORK", value_parser = clap::builder::PossibleValuesParser::new(network_names()))]
    network: String,
    /// The user access token to check (or set TETHER_<NETWORK>_TOKEN, e.g. TETHER_META_TOKEN,
    /// which keeps it out of `ps`).
    #[arg(long, conflicts_with = "tokens_from")]
    token: Option<String>,
    /// A file with one token per line; prints one JSON report per line, in the file's order.
    #[arg(long, value_name = "FILE")]
    tokens_from: Option<PathBuf>,
    /// Your app's id on the network (its client id), or TETHER_<NETWORK>_APP_ID.
    #[arg(long)]
    app_id: Option<String>,
    /// Your app's secret (its client secret), or TETHER_<NETWORK>_APP_SECRET.
    #[arg(long)]
    app_secret: Option<String>,
    /// One base URL standing for every host of the network (the real hosts by default); tests
    /// and the demo pass the simulator's. `--graph-url` is its old name for Meta.
    #[arg(long, visible_alias = "graph-url", value_name = "URL")]
    api_url: Option<url::Url>,
    /// The permissions the platform said it granted when it issued the token, comma-separated:
    /// needed by networks that cannot inspect a token's scopes (Instagram Login), ignored by the
    /// others.
    #[arg(long, value_name = "SCOPES", value_delimiter = ',')]
    granted: Option<Vec<String>>,
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
    /// How many requests may be in flight at once.
    #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u16).range(1..=256))]
    concurrency: u16,
}

/// `--name`, else `TETHER_<NETWORK>_<SUFFIX>` (kept out of `ps`), else a clear error.
fn from_env(
    given: Option<String>,
    network: &str,
    suffix: &str,
    flag: &str,
) -> anyhow::Result<String> {
    let var = format!("TETHER_{}_{suffix}", network.to_ascii_uppercase());
    match given.or_else(|| std::env::var(&var).ok()) {
        Some(v) => Ok(v),
        None => bail!("{flag} is required (or set {var})"),
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

pub async fn run(args: DiagnoseArgs) -> anyhow::Result<ExitCode> {
    tether_server::install_tls_provider();
    let registration = networks::by_name(&args.network).map_err(anyhow::Error::msg)?;
    let net = &args.network;
    let app_id = from_env(args.app_id.clone(), net, "APP_ID", "--app-id")?;
    let app_secret = from_env(args.app_secret.clone(), net, "APP_SECRET", "--app-secret")?;
    let token = match (&args.tokens_from, args.token.clone()) {
        (Some(_), _) => None,
        (None, given) => Some(from_env(given, net, "TOKEN", "--token")?),
    };
    let network = (registration.build)(AppConfig {
        client_id: app_id,
        client_secret: SecretString::from(app_secret),
        api_url: args.api_url.clone(),
        // A one-shot check opens no dialog.
        dialog_url: None,
        timeout: None,
        verify_token: None,
        catalog: None,
    })
    .map_err(anyhow::Error::msg)
    .with_context(|| format!("cannot build the {net} client"))?;
    let catalog = network.catalog();
    let profile = load_profile(catalog, args.profile.as_deref().unwrap_or("all"))?;
    let engine = Engine::new(catalog, network.id(), &profile, EngineOptions::default());

    let many = args.tokens_from.is_some();
    let (line_numbers, tokens): (Vec<usize>, Vec<SecretString>) = match (&args.tokens_from, token) {
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

    let now = args.now.unwrap_or_else(Timestamp::now);
    let bar = progress_bar(many, tokens.len() as u64);
    let mut needs = Needs {
        concurrency: usize::from(args.concurrency),
        conditions: profile.conditions(catalog),
        ..Needs::at(now)
    };
    if let Some(bar) = &bar {
        let bar = bar.clone();
        needs.on_progress = Some(Arc::new(move |p: Progress| bar.set_position(p.done as u64)));
    }
    let logins: Vec<LoginToCheck> = tokens
        .into_iter()
        .map(|t| LoginToCheck {
            granted: args.granted.clone(),
            ..LoginToCheck::token(t)
        })
        .collect();
    let results = network.inspect(&logins, &needs).await;
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

    let style = Style::for_stdout();
    let mut stdout = std::io::stdout().lock();
    let mut worst = 0u8;
    for (line_no, result) in line_numbers.into_iter().zip(results) {
        match result {
            Ok(snapshot) => {
                let report = engine.diagnose(&snapshot.login, &snapshot.assets, now);
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
                        "error": { "kind": e.kind(), "message": e.to_string() },
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
    let stats = network.stats();
    tracing::info!(
        network = %network.id(),
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
