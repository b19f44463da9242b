//! The seam every network plugs into. A network is one crate that implements [`Network`] (its
//! client) plus its data under `catalog/<network>/`; the server, the worker, the CLI and the
//! dashboard reach it only through this trait and a [`Registration`] in one explicit list
//! (`tether_server::networks::REGISTERED`), the way crates.io registers its background jobs.
//!
//! Nothing here does IO: these are the words the callers and the networks share.
#![forbid(unsafe_code)]

mod error;
pub mod kit;

pub use error::{CheckError, OAuthError};

use jiff::Timestamp;
use secrecy::SecretString;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;
use tether_core::{AssetFacts, Catalog, Condition, LoginFacts};
use url::Url;

/// Boxed futures keep the trait object-safe; the allocation is nothing next to an HTTP round trip.
pub type BoxFut<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// A network's client as every caller sees it.
pub trait Network: Send + Sync + 'static {
    fn id(&self) -> tether_core::Network;

    /// What each feature needs on this network, its remedies and its words (`catalog/<id>/`).
    fn catalog(&self) -> &Catalog;

    /// The most platform calls one check of one login can cost: what the call budget reserves.
    fn calls_per_check(&self) -> u32;

    /// The consent dialog's address. `ask_again`: permissions the person declined before are
    /// asked for again (Meta skips them otherwise).
    fn authorize_url(&self, redirect: &Url, state: &str, scopes: &[&str], ask_again: bool) -> Url;

    /// The code from the dialog's redirect, exchanged for the longest-lived token the network
    /// gives (Meta's and Instagram's short-then-long exchange hides in here).
    fn exchange<'a>(
        &'a self,
        code: &'a str,
        redirect: &'a Url,
        now: Timestamp,
    ) -> BoxFut<'a, Result<Issued, OAuthError>>;

    /// When a token issued at `dates` should be refreshed; `None`: this network's tokens are not
    /// refreshed (Meta's long-lived user tokens are renewed by the person logging in again).
    fn refresh_at(&self, dates: &TokenDates) -> Option<Timestamp> {
        let _ = dates;
        None
    }

    /// Trades a grant for a fresh one. A network that rotates its refresh token returns the new
    /// one, which the caller must store before anything else uses the grant.
    fn refresh<'a>(
        &'a self,
        grant: &'a Grant,
        now: Timestamp,
    ) -> BoxFut<'a, Result<Issued, OAuthError>> {
        let _ = (grant, now);
        Box::pin(async { Err(OAuthError::RefreshNotSupported) })
    }

    /// Checks many logins; one result per login, in order. A failed check is never a verdict.
    fn inspect<'a>(
        &'a self,
        logins: &'a [LoginToCheck],
        needs: &'a Needs,
    ) -> BoxFut<'a, Vec<Result<Snapshot, CheckError>>>;

    fn stats(&self) -> CallStats;

    /// The share of the app's rate limit the platform's latest response said is used, in
    /// percent (Meta's `X-App-Usage`); `None`: this network reports none, or has not yet.
    fn usage_percent(&self) -> Option<u32> {
        None
    }

    /// Reads an error the product met on one of its own calls to this network (`POST
    /// /api/v1/platform-errors`), in the network's own body shape. `page_token`: the call used
    /// a token derived from the login's (Meta's Page tokens). `Err` says why the body is not
    /// this network's error.
    fn read_reported_error(
        &self,
        raw: &serde_json::Value,
        page_token: bool,
    ) -> Result<Reported, String>;

    /// Verifies and reads what the network pushed to `/hooks/{network}/{kind}`. Nothing of a
    /// push is believed before it is verified. A network that pushes nothing keeps the default.
    fn push(&self, push: &Push<'_>) -> Result<PushReply, PushError> {
        let _ = push;
        Err(PushError::UnknownKind)
    }
}

/// One request the network sent to `/hooks/{network}/{kind}`.
#[derive(Debug, Clone, Copy)]
pub struct Push<'a> {
    pub kind: &'a str,
    /// `GET` (a subscription handshake) or `POST`.
    pub method: &'a str,
    pub query: &'a [(String, String)],
    /// Header names in lower case.
    pub headers: &'a [(String, String)],
    /// The raw body, exactly as received: signatures are over these bytes.
    pub body: &'a [u8],
}

impl Push<'_> {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    pub fn query(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// What a verified push means, about one person. The service applies signals the same way for
/// every network.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signal {
    /// The person's id on the network.
    pub user_id: String,
    /// When the network sent it, as the signed bytes say. A signal without a time cannot be told
    /// from a replay, so it is only a reason to check (a data-deletion request without one is
    /// refused).
    pub sent_at: Option<Timestamp>,
    pub change: Change,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// The person removed the app: every login of theirs stops working.
    AppRemoved,
    /// The person asked for their data to be deleted: their logins are disconnected and erased.
    DataDeletion,
    /// A permission was taken back. A grant is never a signal of its own: only a check can say a
    /// permission is usable again ([`Change::CheckSoon`]).
    PermissionRevoked { permission: String },
    /// Something changed that only a check can tell: check the person's logins soon.
    CheckSoon,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PushReply {
    /// A subscription handshake: answer with this text.
    Challenge(String),
    Signals(Vec<Signal>),
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PushError {
    /// No signature where one is required.
    #[error("unsigned push: {0}")]
    Unsigned(String),
    /// A signature or handshake token that does not match.
    #[error("push refused: {0}")]
    Refused(String),
    /// Signed, but not a push this network sends: (a machine word, what is wrong).
    #[error("{1}")]
    Malformed(&'static str, String),
    #[error("this network sends no such push")]
    UnknownKind,
}

/// What an error the product reported says about the connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reported {
    /// The token no longer works, for this reason.
    LoginBroken {
        reason: tether_core::BrokenReason,
        error: tether_core::PlatformError,
    },
    /// A problem on the account the call was about (or on the login when none was named).
    Problem {
        kind: tether_core::ObservedKind,
        error: tether_core::PlatformError,
    },
    /// Outage or throttling: changes nothing.
    Transient,
    /// A refusal of that request only (bad input, content rules): says nothing about health.
    RequestRejected,
    /// The app's own credentials were refused: the app's team must act; no account changes.
    CheckerMisconfigured,
    /// Kept for support; never turns an account red.
    Unrecognized,
}

/// One login to check: its token and what the previous check left for this one (the network's
/// own opaque facts; Meta reuses `debug_token`'s answer when nothing suggests a change).
#[derive(Debug, Clone)]
pub struct LoginToCheck {
    pub token: SecretString,
    pub known: Option<serde_json::Value>,
    /// When the token was issued or last refreshed, if the caller keeps it: a network that does
    /// not report a token's expiry (Instagram Login) reads it from here.
    pub dates: Option<TokenDates>,
    /// The scopes the platform said it granted when it issued the token, for a network that
    /// cannot inspect a token's scopes (Instagram Login); ignored by networks that can.
    pub granted: Option<Vec<String>>,
}

impl LoginToCheck {
    pub fn token(token: SecretString) -> LoginToCheck {
        LoginToCheck {
            token,
            known: None,
            dates: None,
            granted: None,
        }
    }
}

/// What the platform said about one login.
#[derive(Debug, Clone, PartialEq)]
pub struct Snapshot {
    pub login: LoginFacts,
    pub assets: Vec<AssetFacts>,
    /// Kept by the caller (it holds no token) and handed back as `LoginToCheck::known`.
    pub known: Option<serde_json::Value>,
}

/// What a check must find out beyond what every check does.
#[derive(Clone)]
pub struct Needs {
    /// The caller's clock: token dates are judged at this time.
    pub now: Timestamp,
    /// Asset conditions the profile's features depend on; others are not asked for.
    pub conditions: Vec<Condition>,
    /// Requests in flight at once (at least 1).
    pub concurrency: usize,
    pub on_progress: Option<ProgressFn>,
}

impl Needs {
    pub fn at(now: Timestamp) -> Needs {
        Needs {
            now,
            conditions: Vec::new(),
            concurrency: 4,
            on_progress: None,
        }
    }
}

impl std::fmt::Debug for Needs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Needs")
            .field("now", &self.now)
            .field("conditions", &self.conditions)
            .field("concurrency", &self.concurrency)
            .finish_non_exhaustive()
    }
}

/// How far a run has got, reported after every round.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress {
    pub done: usize,
    pub total: usize,
}

pub type ProgressFn = Arc<dyn Fn(Progress) + Send + Sync>;

/// A token the platform issued, with the lifetimes it announced (never assumed from constants).
#[derive(Debug, Clone)]
pub struct Issued {
    pub access_token: SecretString,
    /// `None`: no expiry announced.
    pub expires_at: Option<Timestamp>,
    pub refresh_token: Option<SecretString>,
    pub refresh_expires_at: Option<Timestamp>,
    /// The platform's id of the person (or account) who granted it, when the exchange said.
    pub user_id: Option<String>,
    /// The scopes the exchange said were granted, when it said.
    pub granted: Option<Vec<String>>,
}

/// When a token was issued and until when it and its refresh token live.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TokenDates {
    pub issued_at: Timestamp,
    pub expires_at: Option<Timestamp>,
    pub refresh_expires_at: Option<Timestamp>,
}

/// What a refresh spends: the tokens and their dates.
#[derive(Debug, Clone)]
pub struct Grant {
    pub access_token: SecretString,
    pub refresh_token: Option<SecretString>,
    pub dates: TokenDates,
}

/// Counters since the client was built.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CallStats {
    /// HTTP requests sent (retries included).
    pub http_requests: u64,
    /// Platform calls sent (a batch item is one; they count separately toward rate limits).
    pub platform_calls: u64,
    /// Logins whose token inspection a routine check saved by reusing known facts.
    pub token_facts_reused: u64,
    /// Token exchanges and refreshes (retries included); not health-check traffic.
    pub oauth_requests: u64,
}

/// The app a deployment registered with the network: its client id and secret, and where the
/// network's hosts are (`None`: the real ones). One `api_url` stands for every host of the
/// network, so tests point a whole network at the simulator with one address.
#[derive(Debug, Clone)]
pub struct AppConfig {
    pub client_id: String,
    pub client_secret: SecretString,
    pub api_url: Option<Url>,
    /// Where the consent dialog is, when it is not under `api_url` (Meta's www.facebook.com).
    pub dialog_url: Option<Url>,
    pub timeout: Option<Duration>,
    /// The token a webhook subscription handshake must echo (Meta's `hub.verify_token`), for a
    /// network that pushes.
    pub verify_token: Option<SecretString>,
    /// A recorded catalog change that replaces the build's own catalog (`tether catalog apply`);
    /// `None`: the build's.
    pub catalog: Option<tether_core::Catalog>,
}

impl AppConfig {
    /// The catalog a network's client judges and calls by: the recorded change, else the build's.
    pub fn catalog_for(
        &self,
        network: tether_core::Network,
    ) -> Result<tether_core::Catalog, String> {
        match &self.catalog {
            Some(c) if c.network == network => Ok(c.clone()),
            Some(c) => Err(format!(
                "{network}'s client was given the {} catalog {}",
                c.network, c.origin
            )),
            None => tether_core::Catalog::builtin(network).map_err(|e| e.to_string()),
        }
    }
}

/// How a network joins Tether: one line in `tether_server::networks::REGISTERED`.
pub struct Registration {
    pub id: tether_core::Network,
    /// What it connects, for `--help` and the docs.
    pub summary: &'static str,
    pub build: fn(AppConfig) -> Result<Arc<dyn Network>, String>,
}

/// The simulator host's virtual clock, as a network's simulator part reads it: every part of one
/// simulator lives on the same time, which the host's `/_admin/clock` moves.
pub trait SimClock: Send + Sync + 'static {
    fn now(&self) -> Timestamp;
}
