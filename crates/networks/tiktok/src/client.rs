//! The HTTP side: the dialog address, the code exchange, the rotating refresh, user info and
//! creator_info, with retries on transient trouble; and the webhook push. Tokens travel in form
//! bodies and the `Authorization` header; no request is ever logged or put in an error with them.

use crate::classify::{Class, classify};
use crate::webhook;
use crate::wire::{self, TtError};
use jiff::{SignedDuration, Timestamp};
use secrecy::{ExposeSecret, SecretString};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;
use tether_core::{
    AssetFacts, AssetKind, BrokenReason, Catalog, Feature, LoginFacts, ObservedKind,
    ObservedProblem, PermissionGrant, PermissionStatus, PlatformError, TokenFacts, TokenValidity,
};
use tether_platform::kit::{after, directory, inspect_each};
use tether_platform::{
    AppConfig, BoxFut, CallStats, Change, CheckError, Grant, Issued, LoginToCheck, Needs, Network,
    OAuthError, Push, PushError, PushReply, Reported, Signal, Snapshot, TokenDates,
};
use url::Url;

const ATTEMPTS: u32 = 3;
/// Refresh when less than this is left of the 2-hour access token. The worker refreshes a login
/// only when it checks it (every 15 minutes to 24 hours, docs/ARCHITECTURE.md "check"), so the
/// access token has usually lapsed by the next check: that is harmless, the refresh token is what
/// keeps the login (a lapsed access token is refreshed before the check that follows, and is
/// never judged by itself, see `LAPSED_GRACE`). Half an hour ahead keeps a token that is checked
/// often (a login that changed recently, every 15 minutes) from ever lapsing.
const REFRESH_AHEAD: SignedDuration = SignedDuration::from_mins(30);
/// An access token past its own end, whose refresh token should still live, means the worker's
/// refresh did not succeed (or has not run): transient trouble must never turn it red, so such a
/// check is no verdict for this long (the worker retries the refresh at every check, at most 30
/// minutes apart after failures). Past it, the refresh has kept failing for a day: the login no
/// longer works unless someone logs in again (a refresh token lost to rotation, or revoked without
/// the webhook reaching us), and the check says so.
const LAPSED_GRACE: SignedDuration = SignedDuration::from_hours(24);
/// Every login asks for this (the identity the check proves the token with): "added by default
/// with Login Kit" (docs/PLATFORMS-2.md 4.1).
const IDENTITY_SCOPE: &str = "user.info.basic";
const USER_FIELDS: &str = "open_id,union_id,display_name";
/// Only private posting (`SELF_ONLY`) is what an unaudited client gets (content-sharing-guidelines,
/// docs/PLATFORMS-2.md 4.4). No creator account has it as its only option (public accounts get
/// PUBLIC_TO_EVERYONE, private ones FOLLOWER_OF_CREATOR, both with SELF_ONLY): unconfirmed that
/// creator_info shows the audit this way, read as the app's limit (never the creator's).
const PRIVATE_ONLY: &str = "SELF_ONLY";
const PUBLISH_FEATURES: &[Feature] = &[Feature::Publish, Feature::PublishVideo];

type Clock = Arc<dyn Fn() -> Timestamp + Send + Sync>;

pub struct TikTokNetwork {
    http: reqwest::Client,
    app: AppConfig,
    /// `www.tiktok.com` (the dialog) and `open.tiktokapis.com` (tokens and the API); `api_url`
    /// stands for both.
    www: Url,
    api: Url,
    catalog: Catalog,
    /// What a push's signed time is compared with (the wall clock; tests on a virtual clock set it).
    clock: Clock,
    http_requests: AtomicU64,
    platform_calls: AtomicU64,
    oauth_requests: AtomicU64,
}

/// How a request ended.
enum Outcome {
    Ok(String),
    Error(TtError, u16),
    Transport(String),
}

/// What the previous check left: whose login.
#[derive(Debug, Default, Clone, serde::Serialize, serde::Deserialize)]
struct Known {
    open_id: Option<String>,
    display_name: Option<String>,
}

impl TikTokNetwork {
    pub fn new(app: AppConfig) -> Result<TikTokNetwork, String> {
        let parse = |s: &str| Url::parse(s).map_err(|e| e.to_string());
        let (www, api) = match &app.api_url {
            Some(u) => (directory(u), directory(u)),
            None => (
                parse("https://www.tiktok.com/")?,
                parse("https://open.tiktokapis.com/")?,
            ),
        };
        let www = app.dialog_url.as_ref().map(directory).unwrap_or(www);
        // reqwest is built without a TLS provider of its own: the service's (ring), installed
        // here when nothing installed one before.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let http = reqwest::Client::builder()
            .timeout(app.timeout.unwrap_or(Duration::from_secs(30)))
            .connect_timeout(Duration::from_secs(10))
            .build()
            .map_err(|e| format!("cannot build the HTTP client: {e}"))?;
        let catalog = app.catalog_for(tether_core::Network::Tiktok)?;
        Ok(TikTokNetwork {
            http,
            app,
            www,
            api,
            catalog,
            clock: Arc::new(Timestamp::now),
            http_requests: AtomicU64::new(0),
            platform_calls: AtomicU64::new(0),
            oauth_requests: AtomicU64::new(0),
        })
    }

    /// The clock a push's timestamp is judged by (the wall clock by default).
    pub fn with_clock(mut self, clock: impl Fn() -> Timestamp + Send + Sync + 'static) -> Self {
        self.clock = Arc::new(clock);
        self
    }

    fn url(&self, host: &Url, path: &str) -> Url {
        host.join(path).expect("a relative path joins")
    }

    /// One request with retries on transport trouble and 5xx. The body is read whatever the
    /// status: an HTTP 200 may carry an error (`error.code != "ok"`), and an error status may
    /// carry a body that says more than the status.
    async fn send(&self, request: impl Fn() -> reqwest::RequestBuilder, oauth: bool) -> Outcome {
        let mut last = Outcome::Transport("no attempt".into());
        for attempt in 1..=ATTEMPTS {
            if attempt > 1 {
                tokio::time::sleep(Duration::from_millis(200 * u64::from(attempt - 1))).await;
            }
            if oauth {
                self.oauth_requests.fetch_add(1, Ordering::Relaxed);
            } else {
                self.http_requests.fetch_add(1, Ordering::Relaxed);
                self.platform_calls.fetch_add(1, Ordering::Relaxed);
            }
            let resp = match request().send().await {
                Ok(r) => r,
                Err(e) => {
                    last = Outcome::Transport(e.without_url().to_string());
                    continue;
                }
            };
            let status = resp.status().as_u16();
            let body = match resp.text().await {
                Ok(b) => b,
                Err(e) => {
                    last = Outcome::Transport(e.without_url().to_string());
                    continue;
                }
            };
            match wire::parse_error(&body) {
                Some(e) if classify(&e, Some(status)) == Class::Transient => {
                    last = Outcome::Error(e, status)
                }
                Some(e) => return Outcome::Error(e, status),
                None if status == 200 => return Outcome::Ok(body),
                None if status >= 500 => {
                    last = Outcome::Transport(format!("HTTP {status} without an error body"))
                }
                None if status == 429 => {
                    return Outcome::Error(
                        TtError {
                            code: "rate_limit_exceeded".into(),
                            message: "Too Many Requests".into(),
                            log_id: None,
                            oauth: false,
                        },
                        429,
                    );
                }
                None => {
                    return Outcome::Transport(format!(
                        "HTTP {status} with a body that is not a TikTok error"
                    ));
                }
            }
        }
        last
    }

    async fn user_info(&self, token: &SecretString) -> Outcome {
        let url = self.url(&self.api, "v2/user/info/");
        self.send(
            || {
                self.http
                    .get(url.clone())
                    .query(&[("fields", USER_FIELDS)])
                    .bearer_auth(token.expose_secret())
            },
            false,
        )
        .await
    }

    async fn creator_info(&self, token: &SecretString) -> Outcome {
        let url = self.url(&self.api, "v2/post/publish/creator_info/query/");
        self.send(
            || {
                self.http
                    .post(url.clone())
                    .bearer_auth(token.expose_secret())
                    .header("Content-Type", "application/json; charset=UTF-8")
                    .body("{}")
            },
            false,
        )
        .await
    }

    async fn token_call(&self, form: &[(&str, &str)]) -> Outcome {
        let url = self.url(&self.api, "v2/oauth/token/");
        self.send(|| self.http.post(url.clone()).form(form), true)
            .await
    }

    async fn check(&self, login: &LoginToCheck, now: Timestamp) -> Result<Snapshot, CheckError> {
        let granted = login.granted.clone().ok_or(CheckError::GrantUnknown {
            network: "TikTok",
            hint: "pass the scopes its code exchange or last refresh returned (--granted a,b,c)",
        })?;
        if login.token.expose_secret().trim().is_empty() {
            return Err(CheckError::InvalidToken {
                index: 0,
                reason: "the token is empty",
            });
        }
        let known: Known = login
            .known
            .clone()
            .and_then(|k| serde_json::from_value(k).ok())
            .unwrap_or_default();
        let dates = login.dates;
        let access_end = dates.and_then(|d| d.expires_at);
        let refresh_end = dates.and_then(|d| d.refresh_expires_at);
        // The login lasts as long as its refresh token (docs/ARCHITECTURE.md "Dates"): the access
        // token is refreshed long before it matters.
        let login_end = refresh_end.or(access_end);
        let mut facts = LoginFacts {
            user_id: known.open_id.clone(),
            user_name: known.display_name.clone(),
            token: TokenFacts {
                validity: TokenValidity::Valid,
                expires_at: login_end,
                data_access_expires_at: None,
            },
            permissions: granted
                .iter()
                .map(|p| PermissionGrant {
                    name: p.clone(),
                    status: PermissionStatus::Granted,
                })
                .collect(),
            granular_scopes: Vec::new(),
            observed: Vec::new(),
        };
        let broken = |mut facts: LoginFacts, reason, pe: PlatformError| {
            facts.token.validity = TokenValidity::Broken {
                reason,
                platform_error: Some(pe),
            };
            Ok(Snapshot {
                known: Some(serde_json::to_value(&known).expect("serializable")),
                login: facts,
                assets: Vec::new(),
            })
        };
        // `access_token_invalid` is TikTok's one word for expired, revoked and unknown tokens: the
        // dates tell which it can be.
        let token_invalid = |facts: LoginFacts, pe: PlatformError| {
            if refresh_end.is_some_and(|end| end <= now) {
                // The refresh token's own end has passed: nothing can renew it.
                return broken(facts, BrokenReason::Expired, pe);
            }
            if let Some(end) = access_end.filter(|end| *end <= now) {
                if refresh_end.is_some() && now.duration_since(end) < LAPSED_GRACE {
                    // Lapsed by design and not yet refreshed (a refresh that failed for a reason
                    // of the moment): no verdict; the next check refreshes first.
                    return Err(CheckError::PlatformUnavailable {
                        attempts: 1,
                        last: "the access token has lapsed and its refresh has not succeeded yet; the next check refreshes it first".into(),
                    });
                }
                // Past its end with no refresh token, or not refreshed for a day.
                return broken(facts, BrokenReason::Expired, pe);
            }
            // A token within its life that TikTok refuses: revoked (the creator removed the app,
            // the account deleted or banned, the developer revoked it; the webhook says which),
            // or refreshed away. Either way only a new login helps.
            broken(facts, BrokenReason::SessionInvalidated, pe)
        };

        // 1. The token itself, and whose it is.
        match self.user_info(&login.token).await {
            Outcome::Ok(body) => {
                if let Some(user) = wire::parse_user(&body) {
                    if let Some(id) = user.open_id.filter(|s| !s.is_empty()) {
                        facts.user_id = Some(id);
                    }
                    if let Some(name) = user.display_name.filter(|s| !s.trim().is_empty()) {
                        facts.user_name = Some(name);
                    }
                } else {
                    return Err(unavailable("the user info reply could not be read".into()));
                }
            }
            Outcome::Error(e, status) => {
                let pe = e.to_platform_error(Some(status));
                match classify(&e, Some(status)) {
                    Class::TokenInvalid => return token_invalid(facts, pe),
                    // The token works but was not granted the identity scope: the rules and the
                    // observation name it; the account stays as last seen.
                    Class::ScopeMissing => facts.observed.push(ObservedProblem {
                        kind: ObservedKind::PermissionMissing {
                            permission: IDENTITY_SCOPE.into(),
                        },
                        features: Vec::new(),
                        platform_error: Some(pe),
                    }),
                    other => return Err(failure(other, pe)),
                }
            }
            Outcome::Transport(last) => return Err(unavailable(last)),
        }

        // 2. Can this creator post now, and how (only for a login that may post at all).
        let mut account_observed = Vec::new();
        if granted.iter().any(|s| s == "video.publish") {
            let publish_problem = |kind, pe: Option<PlatformError>| ObservedProblem {
                kind,
                features: PUBLISH_FEATURES.to_vec(),
                platform_error: pe,
            };
            match self.creator_info(&login.token).await {
                Outcome::Ok(body) => {
                    let Some(info) = wire::parse_creator_info(&body) else {
                        return Err(unavailable(
                            "the creator_info reply could not be read".into(),
                        ));
                    };
                    let options = &info.privacy_level_options;
                    if !options.is_empty() && options.iter().all(|o| o == PRIVATE_ONLY) {
                        facts.observed.push(publish_problem(
                            ObservedKind::AppFeatureMissing,
                            Some(PlatformError {
                                code: "privacy_level_options".into(),
                                subcode: None,
                                http_status: Some(200),
                                message: "creator_info offers only SELF_ONLY: the app is unaudited and may post only privately".into(),
                            }),
                        ));
                    }
                }
                Outcome::Error(e, status) => {
                    let pe = e.to_platform_error(Some(status));
                    match classify(&e, Some(status)) {
                        Class::TokenInvalid => return token_invalid(facts, pe),
                        Class::ScopeMissing => facts.observed.push(publish_problem(
                            ObservedKind::PermissionMissing {
                                permission: "video.publish".into(),
                            },
                            Some(pe),
                        )),
                        // The creator's: a posting ban, or the daily cap (which lifts by itself;
                        // orange, never red, and dated by the next check).
                        Class::CreatorCannotPost => account_observed
                            .push(publish_problem(ObservedKind::AccountRestricted, Some(pe))),
                        // The app's: unaudited, or its daily cap of posting users.
                        Class::AppLimited => facts
                            .observed
                            .push(publish_problem(ObservedKind::AppFeatureMissing, Some(pe))),
                        other => return Err(failure(other, pe)),
                    }
                }
                Outcome::Transport(last) => return Err(unavailable(last)),
            }
        }

        let next = Known {
            open_id: facts.user_id.clone(),
            display_name: facts.user_name.clone(),
        };
        let assets = match &next.open_id {
            Some(id) => vec![AssetFacts {
                kind: AssetKind::TiktokAccount,
                id: id.clone(),
                name: next.display_name.clone(),
                listed: true,
                tasks: Vec::new(),
                instagram: None,
                observed: account_observed,
            }],
            None => {
                // No identity yet (the identity scope was not granted): the problems stay on the
                // login so they are not lost.
                facts.observed.extend(account_observed);
                Vec::new()
            }
        };
        Ok(Snapshot {
            login: facts,
            assets,
            known: Some(serde_json::to_value(&next).expect("serializable")),
        })
    }

    fn oauth_failure(&self, outcome: Outcome) -> OAuthError {
        match outcome {
            Outcome::Ok(_) => OAuthError::PlatformUnavailable {
                attempts: 1,
                last: "the token reply could not be read".into(),
            },
            Outcome::Transport(last) => OAuthError::PlatformUnavailable {
                attempts: ATTEMPTS,
                last,
            },
            Outcome::Error(e, status) => {
                let pe = e.to_platform_error(Some(status));
                match classify(&e, Some(status)) {
                    Class::CodeRejected | Class::GrantRefused => OAuthError::CodeRejected {
                        message: pe.message,
                    },
                    Class::CheckerMisconfigured => {
                        OAuthError::CheckerMisconfigured { platform_error: pe }
                    }
                    Class::Transient => OAuthError::PlatformUnavailable {
                        attempts: ATTEMPTS,
                        last: pe.message,
                    },
                    Class::RateLimited => OAuthError::RateLimited { retry_after: None },
                    _ => OAuthError::Unrecognized { platform_error: pe },
                }
            }
        }
    }

    fn issued(&self, r: wire::TokenReply, now: Timestamp) -> Issued {
        Issued {
            access_token: SecretString::from(r.access_token),
            expires_at: after(now, r.expires_in),
            refresh_token: r.refresh_token.map(SecretString::from),
            refresh_expires_at: after(now, r.refresh_expires_in),
            user_id: r.open_id.filter(|s| !s.is_empty()),
            granted: r.scope.as_deref().map(wire::scopes),
        }
    }
}

fn unavailable(last: String) -> CheckError {
    CheckError::PlatformUnavailable {
        attempts: ATTEMPTS,
        last,
    }
}

fn failure(class: Class, pe: PlatformError) -> CheckError {
    match class {
        Class::Transient => unavailable(pe.message),
        Class::RateLimited => CheckError::RateLimited { retry_after: None },
        Class::CheckerMisconfigured => CheckError::CheckerMisconfigured { platform_error: pe },
        _ => CheckError::UnrecognizedPlatformError { platform_error: pe },
    }
}

impl Network for TikTokNetwork {
    fn id(&self) -> tether_core::Network {
        tether_core::Network::Tiktok
    }

    fn catalog(&self) -> &Catalog {
        &self.catalog
    }

    /// User info, then creator_info for a login that may post.
    fn calls_per_check(&self) -> u32 {
        2
    }

    /// `www.tiktok.com/v2/auth/authorize/`, scopes comma-separated, `user.info.basic` always
    /// first (the check proves the token with it). TikTok's screen has no "ask again" switch.
    fn authorize_url(&self, redirect: &Url, state: &str, scopes: &[&str], _ask_again: bool) -> Url {
        let mut asked: Vec<&str> = vec![IDENTITY_SCOPE];
        for s in scopes {
            if !asked.contains(s) {
                asked.push(s);
            }
        }
        let mut url = self.url(&self.www, "v2/auth/authorize/");
        url.query_pairs_mut()
            .append_pair("client_key", &self.app.client_id)
            .append_pair("response_type", "code")
            .append_pair("scope", &asked.join(","))
            .append_pair("redirect_uri", redirect.as_str())
            .append_pair("state", state);
        url
    }

    /// `POST /v2/oauth/token/` with `grant_type=authorization_code`: the tokens, their lifetimes
    /// as announced, the creator's `open_id` and the granted `scope`.
    fn exchange<'a>(
        &'a self,
        code: &'a str,
        redirect: &'a Url,
        now: Timestamp,
    ) -> BoxFut<'a, Result<Issued, OAuthError>> {
        Box::pin(async move {
            let form = [
                ("client_key", self.app.client_id.as_str()),
                ("client_secret", self.app.client_secret.expose_secret()),
                ("code", code),
                ("grant_type", "authorization_code"),
                ("redirect_uri", redirect.as_str()),
            ];
            match self.token_call(&form).await {
                Outcome::Ok(body) => match wire::parse_token_reply(&body) {
                    Some(r) => Ok(self.issued(r, now)),
                    None => Err(self.oauth_failure(Outcome::Ok(body))),
                },
                other => Err(self.oauth_failure(other)),
            }
        })
    }

    /// Only a grant with a refresh token: when less than half an hour of the access token is left
    /// (see `REFRESH_AHEAD`), or at once when its end is unknown.
    fn refresh_at(&self, dates: &TokenDates) -> Option<Timestamp> {
        dates.refresh_expires_at?;
        let Some(end) = dates.expires_at else {
            return Some(dates.issued_at);
        };
        let ahead = end.checked_sub(REFRESH_AHEAD).ok()?;
        Some(ahead.max(dates.issued_at))
    }

    /// `grant_type=refresh_token`. "Refresh tokens are rotated: a successful refresh request will
    /// return a new refresh_token in place of the one you sent. The previous refresh token stops
    /// working once a new one is issued" (docs/PLATFORMS-2.md 4.2): the new one is returned for the
    /// caller to store before anything else spends the grant, with the end TikTok announced for it
    /// (`refresh_expires_in`; whether a refresh moves that end later is unconfirmed, so the reply
    /// is believed rather than a constant).
    fn refresh<'a>(
        &'a self,
        grant: &'a Grant,
        now: Timestamp,
    ) -> BoxFut<'a, Result<Issued, OAuthError>> {
        Box::pin(async move {
            let Some(refresh_token) = &grant.refresh_token else {
                return Err(OAuthError::RefreshNotSupported);
            };
            let form = [
                ("client_key", self.app.client_id.as_str()),
                ("client_secret", self.app.client_secret.expose_secret()),
                ("grant_type", "refresh_token"),
                ("refresh_token", refresh_token.expose_secret()),
            ];
            match self.token_call(&form).await {
                Outcome::Ok(body) => match wire::parse_token_reply(&body) {
                    Some(r) => Ok(self.issued(r, now)),
                    None => Err(self.oauth_failure(Outcome::Ok(body))),
                },
                Outcome::Error(e, status) => match classify(&e, Some(status)) {
                    // Spent, expired or revoked: only a new login helps; the next check decides
                    // whether the token itself still works.
                    Class::GrantRefused | Class::CodeRejected | Class::TokenInvalid => {
                        Err(OAuthError::RefreshRefused {
                            platform_error: e.to_platform_error(Some(status)),
                            until: grant.dates.refresh_expires_at,
                        })
                    }
                    _ => Err(self.oauth_failure(Outcome::Error(e, status))),
                },
                other => Err(self.oauth_failure(other)),
            }
        })
    }

    fn inspect<'a>(
        &'a self,
        logins: &'a [LoginToCheck],
        needs: &'a Needs,
    ) -> BoxFut<'a, Vec<Result<Snapshot, CheckError>>> {
        Box::pin(inspect_each(logins, needs, move |l| {
            self.check(l, needs.now)
        }))
    }

    fn read_reported_error(
        &self,
        raw: &serde_json::Value,
        _page_token: bool,
    ) -> Result<Reported, String> {
        let e = wire::error_of(raw).ok_or(
            "not a TikTok error body (`{\"data\",\"error\":{\"code\",\"message\",\"log_id\"}}` with a code other than ok, or `{\"error\",\"error_description\",\"log_id\"}`)",
        )?;
        let error = e.to_platform_error(None);
        Ok(match classify(&e, None) {
            // Expired and revoked look alike: the check that follows (after a refresh) tells.
            Class::TokenInvalid => Reported::Unrecognized,
            // Which scope the product's call lacked the body does not say in our words.
            Class::ScopeMissing => Reported::Unrecognized,
            Class::CreatorCannotPost => Reported::Problem {
                kind: ObservedKind::AccountRestricted,
                error,
            },
            Class::AppLimited => Reported::Problem {
                kind: ObservedKind::AppFeatureMissing,
                error,
            },
            Class::Transient | Class::RateLimited => Reported::Transient,
            Class::CheckerMisconfigured => Reported::CheckerMisconfigured,
            Class::RequestRejected => Reported::RequestRejected,
            Class::CodeRejected | Class::GrantRefused | Class::Other => Reported::Unrecognized,
        })
    }

    /// `POST /hooks/tiktok/webhook`: verified first (`TikTok-Signature`, constant-time, at most
    /// five minutes old), then read. `authorization.removed` is the creator's login ending
    /// ("The access_token for the user will have been already revoked when you receive the
    /// disconnect callback message", whatever `content.reason`: disconnected, account deleted or
    /// banned, age changed, developer revoke). The post lifecycle events (`video.upload.failed`,
    /// `video.publish.completed`, `post.publish.*`, `portability.*`) say nothing about the
    /// connection and are ignored. Any other event names a user for a reason TikTok added later:
    /// a check soon is cheap and can only tell the truth, so it becomes `CheckSoon`.
    fn push(&self, p: &Push<'_>) -> Result<PushReply, PushError> {
        match (p.kind, p.method) {
            ("webhook", "POST") => {}
            _ => return Err(PushError::UnknownKind),
        }
        let sent = webhook::verify(
            p.body,
            p.header("tiktok-signature"),
            self.app.client_secret.expose_secret(),
            (self.clock)(),
        )
        .map_err(|e| match e {
            webhook::SignatureError::Missing => PushError::Unsigned(e.to_string()),
            other => PushError::Refused(other.to_string()),
        })?;
        let event =
            webhook::parse_event(p.body).map_err(|e| PushError::Malformed("invalid_webhook", e))?;
        if event
            .client_key
            .as_deref()
            .is_some_and(|k| k != self.app.client_id)
        {
            return Err(PushError::Malformed(
                "wrong_app",
                "the webhook names another app's client_key".into(),
            ));
        }
        let Some(user_id) = event.user_openid.clone().filter(|u| !u.is_empty()) else {
            return Err(PushError::Malformed(
                "invalid_webhook",
                "the webhook names no user_openid".into(),
            ));
        };
        // The event's own time when it says one, else the signed delivery time.
        let sent_at = event
            .create_time
            .and_then(|s| Timestamp::from_second(s).ok())
            .or(Some(sent));
        let change = match event.event.as_str() {
            "authorization.removed" => Change::AppRemoved,
            e if e.starts_with("video.")
                || e.starts_with("post.publish.")
                || e.starts_with("portability.") =>
            {
                return Ok(PushReply::Signals(Vec::new()));
            }
            _ => Change::CheckSoon,
        };
        Ok(PushReply::Signals(vec![Signal {
            user_id,
            sent_at,
            change,
        }]))
    }

    fn stats(&self) -> CallStats {
        CallStats {
            http_requests: self.http_requests.load(Ordering::Relaxed),
            platform_calls: self.platform_calls.load(Ordering::Relaxed),
            token_facts_reused: 0,
            oauth_requests: self.oauth_requests.load(Ordering::Relaxed),
        }
    }
}
