//! The HTTP side: the dialog address, the code exchange, the rotating refresh and the one-call
//! check (`GET /v5/user_account`), with retries on transient trouble. Tokens travel in form bodies
//! and the `Authorization` header; no request is ever logged or put in an error with them.

use crate::classify::{Class, classify};
use crate::wire::{self, PinError};
use jiff::{SignedDuration, Timestamp};
use secrecy::{ExposeSecret, SecretString};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;
use tether_core::{
    AssetFacts, AssetKind, BrokenReason, Catalog, LoginFacts, ObservedKind, ObservedProblem,
    PermissionGrant, PermissionStatus, TokenFacts, TokenValidity,
};
use tether_platform::kit::{after, directory, inspect_each};
use tether_platform::{
    AppConfig, BoxFut, CallStats, CheckError, Grant, Issued, LoginToCheck, Needs, Network,
    OAuthError, Reported, Snapshot, TokenDates,
};
use url::Url;

const ATTEMPTS: u32 = 3;
/// Refresh this long before the access token lapses: a worker that is down for a week still
/// finds it refreshable, and the continuous refresh token (60 days) never comes near its end.
const REFRESH_AHEAD: SignedDuration = SignedDuration::from_hours(24 * 10);
/// When a grant's dates do not say when its access token lapses: "it expires every month"
/// (docs/PLATFORMS-2.md 3.1; 2592000 s in public code, unconfirmed officially). Only used to
/// schedule a refresh, never to judge a login.
const ACCESS_FALLBACK: SignedDuration = SignedDuration::from_hours(24 * 30);
/// `GET /v5/user_account` tells whose account this is; asked for on every sign-in whatever the
/// product's features, since a login Tether cannot name cannot be told apart from another.
pub const IDENTITY_SCOPE: &str = "user_accounts:read";

pub struct PinterestNetwork {
    http: reqwest::Client,
    app: AppConfig,
    /// `www.pinterest.com` (the dialog) and `api.pinterest.com` (`/v5/...`, the token endpoint
    /// included); `api_url` stands for both.
    www: Url,
    api: Url,
    catalog: Catalog,
    http_requests: AtomicU64,
    platform_calls: AtomicU64,
    oauth_requests: AtomicU64,
}

/// How a request ended.
enum Outcome {
    Ok(String),
    Error(PinError, u16),
    Transport(String),
}

fn epoch(secs: Option<i64>) -> Option<Timestamp> {
    secs.and_then(|s| Timestamp::from_second(s).ok())
}

/// What the previous check left: whose account it is, for a check whose `user_account` call is
/// refused for a scope (the account is still named, and still listed).
#[derive(Debug, Default, serde::Serialize, serde::Deserialize)]
struct Known {
    user_id: Option<String>,
    user_name: Option<String>,
    /// `PINNER` or `BUSINESS`, as last seen. Kept for when a rule can depend on it (tether-core
    /// has no Pinterest account-type condition today).
    account_type: Option<String>,
}

fn unavailable(last: String) -> CheckError {
    CheckError::PlatformUnavailable {
        attempts: ATTEMPTS,
        last,
    }
}

impl PinterestNetwork {
    pub fn new(app: AppConfig) -> Result<PinterestNetwork, String> {
        let parse = |s: &str| Url::parse(s).map_err(|e| e.to_string());
        let (www, api) = match &app.api_url {
            Some(u) => (directory(u), directory(u)),
            None => (
                parse("https://www.pinterest.com/")?,
                parse("https://api.pinterest.com/")?,
            ),
        };
        let www = app.dialog_url.as_ref().map(directory).unwrap_or(www);
        // reqwest with `rustls-no-provider` panics on Client::build without a provider (STACK.md
        // G1); installing twice is harmless, so the result is ignored.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let http = reqwest::Client::builder()
            .timeout(app.timeout.unwrap_or(Duration::from_secs(30)))
            .connect_timeout(Duration::from_secs(10))
            .build()
            .map_err(|e| format!("cannot build the HTTP client: {e}"))?;
        let catalog = app.catalog_for(tether_core::Network::Pinterest)?;
        Ok(PinterestNetwork {
            http,
            app,
            www,
            api,
            catalog,
            http_requests: AtomicU64::new(0),
            platform_calls: AtomicU64::new(0),
            oauth_requests: AtomicU64::new(0),
        })
    }

    fn api_url(&self, path: &str) -> Url {
        self.api
            .join(&format!("v5/{path}"))
            .expect("a relative path joins")
    }

    /// One request with retries on transport trouble and 5xx.
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
            if (200..300).contains(&status) {
                return Outcome::Ok(body);
            }
            match wire::parse_error(&body) {
                Some(e) if classify(&e, Some(status)) == Class::Transient => {
                    last = Outcome::Error(e, status)
                }
                Some(e) => return Outcome::Error(e, status),
                None if status >= 500 => {
                    last = Outcome::Transport(format!("HTTP {status} without an error body"))
                }
                // A 429 without Pinterest's body is still a rate limit.
                None if status == 429 => {
                    return Outcome::Error(
                        PinError {
                            code: 8,
                            message: "Too Many Requests".into(),
                        },
                        429,
                    );
                }
                None => {
                    return Outcome::Transport(format!(
                        "HTTP {status} with a body that is not a Pinterest error"
                    ));
                }
            }
        }
        last
    }

    async fn user_account(&self, token: &SecretString) -> Outcome {
        let url = self.api_url("user_account");
        self.send(
            || {
                self.http
                    .get(url.clone())
                    .bearer_auth(token.expose_secret())
            },
            false,
        )
        .await
    }

    /// `POST /v5/oauth/token` with HTTP Basic client authentication.
    async fn token_call(&self, form: &[(&str, &str)]) -> Outcome {
        let url = self.api_url("oauth/token");
        self.send(
            || {
                self.http
                    .post(url.clone())
                    .basic_auth(
                        &self.app.client_id,
                        Some(self.app.client_secret.expose_secret()),
                    )
                    .form(form)
            },
            true,
        )
        .await
    }

    async fn check(&self, login: &LoginToCheck, now: Timestamp) -> Result<Snapshot, CheckError> {
        let granted = login.granted.clone().ok_or(CheckError::GrantUnknown {
            network: "Pinterest",
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
        // The login stops working when its refresh token does (the worker refreshes the access
        // token well before it lapses, and every refresh brings a new refresh token), else with
        // the access token (docs/ARCHITECTURE.md "Dates"). A refresh token that ends first (a
        // legacy one near its year) still leaves the access token working until its own end.
        let login_end = match (dates.and_then(|d| d.refresh_expires_at), access_end) {
            (Some(r), Some(a)) => Some(r.max(a)),
            (r, a) => r.or(a),
        };
        let grants = |names: &[String]| -> Vec<PermissionGrant> {
            names
                .iter()
                .map(|p| PermissionGrant {
                    name: p.clone(),
                    status: PermissionStatus::Granted,
                })
                .collect()
        };
        let mut facts = LoginFacts {
            user_id: known.user_id.clone(),
            user_name: known.user_name.clone(),
            token: TokenFacts {
                validity: TokenValidity::Valid,
                expires_at: login_end,
                data_access_expires_at: None,
            },
            permissions: grants(&granted),
            granular_scopes: Vec::new(),
            observed: Vec::new(),
        };
        let mut account_type = known.account_type.clone();
        let mut asset_observed = Vec::new();

        match self.user_account(&login.token).await {
            Outcome::Ok(body) => {
                let account = wire::parse_account(&body).ok_or_else(|| {
                    unavailable("the user_account reply could not be read".into())
                })?;
                facts.user_name = account.name();
                facts.user_id = Some(account.id.clone());
                account_type.clone_from(&account.account_type);
            }
            Outcome::Transport(last) => return Err(unavailable(last)),
            Outcome::Error(e, status) => {
                let pe = e.to_platform_error(Some(status));
                match classify(&e, Some(status)) {
                    Class::AuthFailed => {
                        // Pinterest says only "Authentication failed."; the token's own end
                        // tells an expiry apart. Anything else (the app removed, a token
                        // Pinterest ended) is read as invalidated: the reason is unconfirmed
                        // (docs/PLATFORMS-2.md 3.6), the break is not.
                        let reason = if access_end.is_some_and(|t| t <= now) {
                            BrokenReason::Expired
                        } else {
                            BrokenReason::Unknown
                        };
                        facts.token = TokenFacts {
                            validity: TokenValidity::Broken {
                                reason,
                                platform_error: Some(pe),
                            },
                            expires_at: access_end,
                            data_access_expires_at: None,
                        };
                        return Ok(self.snapshot(facts, None, Vec::new(), &known));
                    }
                    // The token authenticates but does not hold the identity scope, whatever the
                    // stored grant says: the platform's answer wins, and the catalog's rules name
                    // what that costs. The account stays as last seen.
                    Class::ScopeMissing => {
                        facts.permissions.retain(|p| p.name != IDENTITY_SCOPE);
                    }
                    // The app may not read the account at all: every feature, the app's team.
                    Class::AppAccess => facts.observed.push(ObservedProblem {
                        kind: ObservedKind::AppFeatureMissing,
                        features: Vec::new(),
                        platform_error: Some(pe),
                    }),
                    Class::AccountRestricted => asset_observed.push(ObservedProblem {
                        kind: ObservedKind::AccountRestricted,
                        features: Vec::new(),
                        platform_error: Some(pe),
                    }),
                    Class::RateLimited => {
                        return Err(CheckError::RateLimited { retry_after: None });
                    }
                    Class::Transient => return Err(unavailable(pe.message)),
                    // Not a verdict: the check fails, the previous verdict stays (stale).
                    Class::NotAuthorized
                    | Class::ObjectRefused
                    | Class::BusinessAccountRequired
                    | Class::GrantInvalid
                    | Class::RequestRejected
                    | Class::Unrecognized => {
                        return Err(CheckError::UnrecognizedPlatformError { platform_error: pe });
                    }
                }
            }
        }
        if facts.user_id.is_none() {
            // No account to pin it on (never named): the login carries it.
            facts.observed.append(&mut asset_observed);
        }
        let asset = facts.user_id.clone().map(|id| AssetFacts {
            kind: AssetKind::PinterestAccount,
            id,
            name: facts.user_name.clone(),
            listed: true,
            tasks: Vec::new(),
            instagram: None,
            observed: asset_observed,
        });
        Ok(self.snapshot(facts, account_type, asset.into_iter().collect(), &known))
    }

    fn snapshot(
        &self,
        login: LoginFacts,
        account_type: Option<String>,
        assets: Vec<AssetFacts>,
        known: &Known,
    ) -> Snapshot {
        let next = Known {
            user_id: login.user_id.clone(),
            user_name: login.user_name.clone(),
            account_type: account_type.or_else(|| known.account_type.clone()),
        };
        Snapshot {
            login,
            assets,
            known: Some(serde_json::to_value(&next).expect("serializable")),
        }
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
                    Class::GrantInvalid => OAuthError::CodeRejected {
                        message: pe.message,
                    },
                    // The token endpoint authenticates the app with HTTP Basic: its code 2 is our
                    // client id or secret (the spec's example for the revoke endpoint, which
                    // authenticates the same way; unconfirmed for /oauth/token itself).
                    Class::AuthFailed => OAuthError::CheckerMisconfigured { platform_error: pe },
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

    /// The dates a token reply announced: the access token's end from `expires_in`, the refresh
    /// token's from `refresh_token_expires_at` (absolute) or else `refresh_token_expires_in`.
    fn issued(&self, r: wire::TokenReply, now: Timestamp) -> Issued {
        let refresh_expires_at =
            epoch(r.refresh_token_expires_at).or_else(|| after(now, r.refresh_token_expires_in));
        Issued {
            access_token: SecretString::from(r.access_token),
            expires_at: after(now, r.expires_in),
            refresh_token: r.refresh_token.map(SecretString::from),
            refresh_expires_at,
            user_id: None,
            granted: r.scope.as_deref().map(wire::scopes),
        }
    }
}

impl Network for PinterestNetwork {
    fn id(&self) -> tether_core::Network {
        tether_core::Network::Pinterest
    }

    fn catalog(&self) -> &Catalog {
        &self.catalog
    }

    /// `GET /v5/user_account`, the one call of a check.
    fn calls_per_check(&self) -> u32 {
        1
    }

    /// `www.pinterest.com/oauth/`, scopes comma-separated, the identity scope always first.
    /// Pinterest's screen allows all the app asks for or nothing: `ask_again` changes nothing.
    fn authorize_url(&self, redirect: &Url, state: &str, scopes: &[&str], _ask_again: bool) -> Url {
        let mut asked: Vec<&str> = vec![IDENTITY_SCOPE];
        for s in scopes {
            if !asked.contains(s) {
                asked.push(s);
            }
        }
        let mut url = self.www.join("oauth/").expect("a relative path joins");
        url.query_pairs_mut()
            .append_pair("client_id", &self.app.client_id)
            .append_pair("redirect_uri", redirect.as_str())
            .append_pair("response_type", "code")
            .append_pair("scope", &asked.join(","))
            .append_pair("state", state);
        url
    }

    fn exchange<'a>(
        &'a self,
        code: &'a str,
        redirect: &'a Url,
        now: Timestamp,
    ) -> BoxFut<'a, Result<Issued, OAuthError>> {
        Box::pin(async move {
            let form = [
                ("grant_type", "authorization_code"),
                ("code", code),
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

    /// Ten days before the access token lapses (or before the refresh token does, if that comes
    /// first). Without a recorded access-token end, 30 days after issue is assumed: refreshing
    /// early costs one call, lapsing costs the login.
    fn refresh_at(&self, dates: &TokenDates) -> Option<Timestamp> {
        let access_end = dates
            .expires_at
            .or_else(|| dates.issued_at.checked_add(ACCESS_FALLBACK).ok())?;
        let end = match dates.refresh_expires_at {
            Some(r) => access_end.min(r),
            None => access_end,
        };
        let due = end.checked_sub(REFRESH_AHEAD).ok()?;
        Some(due.max(dates.issued_at))
    }

    /// `grant_type=refresh_token` with `continuous_refresh=true` ("If your app was created before
    /// September 25, 2025, make sure to set the `continuous_refresh` parameter to `true`",
    /// docs/PLATFORMS-2.md 3.1). Every refresh returns a NEW refresh token with its own end
    /// (`OauthAccessTokenResponseRefresh` requires all three refresh fields): the old one stops
    /// working, so the caller must store the new one before anything else spends the grant.
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
                ("grant_type", "refresh_token"),
                ("refresh_token", refresh_token.expose_secret()),
                ("continuous_refresh", "true"),
            ];
            match self.token_call(&form).await {
                Outcome::Ok(body) => match wire::parse_token_reply(&body) {
                    Some(r) => Ok(self.issued(r, now)),
                    None => Err(self.oauth_failure(Outcome::Ok(body))),
                },
                // 283 "The authorization grant is invalid": expired, revoked, already rotated.
                Outcome::Error(e, status) if classify(&e, Some(status)) == Class::GrantInvalid => {
                    Err(OAuthError::RefreshRefused {
                        platform_error: e.to_platform_error(Some(status)),
                        until: grant.dates.refresh_expires_at,
                    })
                }
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
            "not a Pinterest error body (`{\"code\":int,\"message\":string}`, live 401s with `\"status\":\"failure\"`)",
        )?;
        let error = e.to_platform_error(None);
        Ok(match classify(&e, None) {
            // Without the token's dates, "Authentication failed." reads as invalidated; the check
            // that follows reads the dates.
            Class::AuthFailed => Reported::LoginBroken {
                reason: BrokenReason::Unknown,
                error,
            },
            // The body names no scope, and the call is the product's, not ours: which one is
            // missing is for the check that follows to tell.
            Class::ScopeMissing => Reported::Unrecognized,
            Class::AppAccess => Reported::Problem {
                kind: ObservedKind::AppFeatureMissing,
                error,
            },
            Class::AccountRestricted => Reported::Problem {
                kind: ObservedKind::AccountRestricted,
                error,
            },
            Class::RateLimited | Class::Transient => Reported::Transient,
            // A board or Pin of someone else's, parameters, not found: that request's own.
            Class::ObjectRefused | Class::RequestRejected => Reported::RequestRejected,
            // No finding says "not a business account" on Pinterest (no condition in
            // tether-core): kept for support, never red.
            Class::BusinessAccountRequired
            | Class::NotAuthorized
            | Class::GrantInvalid
            | Class::Unrecognized => Reported::Unrecognized,
        })
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

#[cfg(test)]
mod tests {
    use super::*;

    fn net() -> PinterestNetwork {
        PinterestNetwork::new(AppConfig {
            client_id: "1".into(),
            client_secret: SecretString::from("s".to_owned()),
            api_url: Some("http://127.0.0.1:9/".parse().unwrap()),
            dialog_url: None,
            timeout: None,
            verify_token: None,
            catalog: None,
        })
        .unwrap()
    }

    fn t(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    #[test]
    fn refreshes_ten_days_before_the_first_end() {
        let n = net();
        let issued_at = t("2026-01-01T00:00:00Z");
        let days = |d: i64| issued_at + SignedDuration::from_hours(24 * d);
        let dates = |expires: Option<i64>, refresh: Option<i64>| TokenDates {
            issued_at,
            expires_at: expires.map(days),
            refresh_expires_at: refresh.map(days),
        };
        // The access token's month, the refresh token's 60 days: the month decides.
        assert_eq!(n.refresh_at(&dates(Some(30), Some(60))), Some(days(20)));
        // A refresh token that ends first (a legacy grant near its end) decides.
        assert_eq!(n.refresh_at(&dates(Some(30), Some(25))), Some(days(15)));
        // No recorded access-token end: a month is assumed, never "no refresh".
        assert_eq!(n.refresh_at(&dates(None, None)), Some(days(20)));
        // Already late: as soon as possible, never before the grant was issued.
        assert_eq!(n.refresh_at(&dates(Some(3), Some(60))), Some(issued_at));
    }

    #[test]
    fn the_dialog_address_asks_for_the_identity_scope_first() {
        let url = net().authorize_url(
            &"https://tether.example/oauth/pinterest/callback"
                .parse()
                .unwrap(),
            "s",
            &["pins:read", "user_accounts:read", "boards:read"],
            true,
        );
        assert_eq!(url.path(), "/oauth/");
        let scope = url
            .query_pairs()
            .find(|(k, _)| k == "scope")
            .map(|(_, v)| v.into_owned());
        assert_eq!(
            scope.as_deref(),
            Some("user_accounts:read,pins:read,boards:read")
        );
        let real = PinterestNetwork::new(AppConfig {
            api_url: None,
            ..net().app.clone()
        })
        .unwrap();
        let url = real.authorize_url(&"https://t.example/cb".parse().unwrap(), "s", &[], false);
        assert!(
            url.as_str()
                .starts_with("https://www.pinterest.com/oauth/?")
        );
        assert_eq!(
            real.api_url("oauth/token").as_str(),
            "https://api.pinterest.com/v5/oauth/token"
        );
    }
}
