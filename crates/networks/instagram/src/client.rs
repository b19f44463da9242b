//! The HTTP side: the dialog address, the exchanges, the refresh and the check, with retries on
//! transient trouble. Tokens travel in the query as Instagram documents; no URL is ever logged or
//! put in an error.

use crate::classify::{Class, classify};
use crate::wire::{self, IgError, Me};
use jiff::{SignedDuration, Timestamp};
use secrecy::{ExposeSecret, SecretString};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;
use tether_core::{
    AssetFacts, AssetKind, BrokenReason, Catalog, InstagramFacts, LoginFacts, ObservedKind,
    ObservedProblem, PermissionGrant, PermissionStatus, TokenFacts, TokenValidity,
};
use tether_platform::kit::{after, directory, inspect_each};
use tether_platform::{
    AppConfig, BoxFut, CallStats, CheckError, Grant, Issued, LoginToCheck, Needs, Network,
    OAuthError, Reported, Snapshot, TokenDates,
};
use url::Url;

const GRAPH_VERSION: &str = "v24.0";
const ATTEMPTS: u32 = 3;
/// "allowed when the token is ≥24 h old" (docs/PLATFORMS-2.md 1.1).
const REFRESH_MIN_AGE: SignedDuration = SignedDuration::from_hours(24);
/// Refresh this long before the token lapses: a worker that is down for a week still finds it
/// refreshable.
const REFRESH_AHEAD: SignedDuration = SignedDuration::from_hours(24 * 10);

pub struct InstagramNetwork {
    http: reqwest::Client,
    app: AppConfig,
    /// `www.instagram.com` (the dialog), `api.instagram.com` (the code exchange) and
    /// `graph.instagram.com` (everything else); one address each, or `api_url` for all three.
    dialog: Url,
    api: Url,
    graph: Url,
    catalog: Catalog,
    http_requests: AtomicU64,
    platform_calls: AtomicU64,
    oauth_requests: AtomicU64,
}

/// How a request ended.
enum Outcome {
    Ok(String),
    Error(IgError, u16),
    Transport(String),
}

impl InstagramNetwork {
    pub fn new(app: AppConfig) -> Result<InstagramNetwork, String> {
        let parse = |s: &str| Url::parse(s).map_err(|e| e.to_string());
        let (dialog, api, graph) = match &app.api_url {
            Some(u) => (directory(u), directory(u), directory(u)),
            None => (
                parse("https://www.instagram.com/")?,
                parse("https://api.instagram.com/")?,
                parse("https://graph.instagram.com/")?,
            ),
        };
        let dialog = app.dialog_url.as_ref().map(directory).unwrap_or(dialog);
        let http = reqwest::Client::builder()
            .timeout(app.timeout.unwrap_or(Duration::from_secs(30)))
            .connect_timeout(Duration::from_secs(10))
            .build()
            .map_err(|e| format!("cannot build the HTTP client: {e}"))?;
        let catalog = app.catalog_for(tether_core::Network::Instagram)?;
        Ok(InstagramNetwork {
            http,
            app,
            dialog,
            api,
            graph,
            catalog,
            http_requests: AtomicU64::new(0),
            platform_calls: AtomicU64::new(0),
            oauth_requests: AtomicU64::new(0),
        })
    }

    fn graph_url(&self, path: &str) -> Url {
        self.graph
            .join(&format!("{GRAPH_VERSION}/{path}"))
            .expect("a relative path joins")
    }

    /// One request with retries on transport trouble, 5xx and transient errors.
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
                    // Without the URL: it carries the token.
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
            if status == 200 {
                return Outcome::Ok(body);
            }
            match wire::parse_error(&body) {
                Some(e) if classify(&e) == Class::Transient => last = Outcome::Error(e, status),
                Some(e) => return Outcome::Error(e, status),
                None if status >= 500 => {
                    last = Outcome::Transport(format!("HTTP {status} without an error body"))
                }
                None => {
                    return Outcome::Transport(format!(
                        "HTTP {status} with a body that is not an Instagram error"
                    ));
                }
            }
        }
        last
    }

    async fn me(&self, token: &SecretString) -> Outcome {
        let url = self.graph_url("me");
        self.send(
            || {
                self.http.get(url.clone()).query(&[
                    ("fields", "user_id,username,account_type"),
                    ("access_token", token.expose_secret()),
                ])
            },
            false,
        )
        .await
    }

    async fn check(&self, login: &LoginToCheck, now: Timestamp) -> Result<Snapshot, CheckError> {
        let granted = login
            .granted
            .clone()
            .ok_or(CheckError::GrantUnknown {
                network: "Instagram Login",
                hint: "pass the permissions its code exchange or last refresh returned (--granted a,b,c)",
            })?;
        if login.token.expose_secret().trim().is_empty() {
            return Err(CheckError::InvalidToken {
                index: 0,
                reason: "the token is empty",
            });
        }
        let dates = login.dates;
        let permissions: Vec<PermissionGrant> = granted
            .iter()
            .map(|p| PermissionGrant {
                name: p.clone(),
                status: PermissionStatus::Granted,
            })
            .collect();
        let token = |validity| TokenFacts {
            validity,
            // Unknown without the dates the exchange announced (a bare token given to diagnose).
            expires_at: dates.and_then(|d| d.expires_at),
            data_access_expires_at: None,
        };
        let known_user = login
            .known
            .as_ref()
            .and_then(|k| k.get("user_id"))
            .and_then(|v| v.as_str())
            .map(str::to_owned);
        let mut login_facts = LoginFacts {
            user_id: known_user.clone(),
            user_name: None,
            token: token(TokenValidity::Valid),
            permissions,
            granular_scopes: Vec::new(),
            observed: Vec::new(),
        };
        let account = |me: Option<&Me>, observed: Vec<ObservedProblem>| AssetFacts {
            kind: AssetKind::InstagramAccount,
            id: me
                .map(|m| m.user_id.clone())
                .or_else(|| known_user.clone())
                .unwrap_or_default(),
            name: me.and_then(|m| m.username.clone()),
            listed: true,
            tasks: Vec::new(),
            instagram: Some(InstagramFacts {
                linked_page_id: None,
                professional: me.and_then(Me::professional),
                product_tag_eligible: None,
            }),
            observed,
        };
        let mut assets = Vec::new();
        match self.me(&login.token).await {
            Outcome::Ok(body) => {
                let me = wire::parse_me(&body).ok_or_else(|| CheckError::PlatformUnavailable {
                    attempts: 1,
                    last: "the /me reply could not be read".into(),
                })?;
                login_facts.user_id = Some(me.user_id.clone());
                login_facts.user_name = me.username.clone();
                assets.push(account(Some(&me), Vec::new()));
            }
            Outcome::Transport(last) => {
                return Err(CheckError::PlatformUnavailable {
                    attempts: ATTEMPTS,
                    last,
                });
            }
            Outcome::Error(e, status) => {
                let pe = e.to_platform_error(Some(status));
                match classify(&e) {
                    Class::Broken(reason) => {
                        login_facts.token = token(TokenValidity::Broken {
                            reason,
                            platform_error: Some(pe),
                        });
                    }
                    Class::BrokenUnsure => {
                        let lapsed = dates.and_then(|d| d.expires_at).is_some_and(|t| t <= now);
                        let reason = if lapsed {
                            BrokenReason::Expired
                        } else {
                            BrokenReason::SessionInvalidated
                        };
                        login_facts.token = token(TokenValidity::Broken {
                            reason,
                            platform_error: Some(pe),
                        });
                    }
                    Class::PermissionMissing => {
                        login_facts.observed.push(ObservedProblem {
                            kind: ObservedKind::PermissionMissing {
                                permission: "instagram_business_basic".into(),
                            },
                            features: Vec::new(),
                            platform_error: Some(pe),
                        });
                        assets.push(account(None, Vec::new()));
                    }
                    Class::Restricted => {
                        let observed = vec![ObservedProblem {
                            kind: ObservedKind::AccountRestricted,
                            features: Vec::new(),
                            platform_error: Some(pe),
                        }];
                        assets.push(account(None, observed));
                    }
                    Class::Transient => {
                        return Err(CheckError::PlatformUnavailable {
                            attempts: ATTEMPTS,
                            last: pe.message,
                        });
                    }
                    Class::RateLimited | Class::QuotaReached => {
                        return Err(CheckError::RateLimited { retry_after: None });
                    }
                    Class::CheckerMisconfigured => {
                        return Err(CheckError::CheckerMisconfigured { platform_error: pe });
                    }
                    Class::CodeRejected | Class::Ambiguous | Class::Other => {
                        return Err(CheckError::UnrecognizedPlatformError { platform_error: pe });
                    }
                }
            }
        }
        // Whose account this is, for a next check whose /me fails. The scopes are not kept here:
        // the caller keeps them with the grant and hands them back as `LoginToCheck::granted`.
        let known = serde_json::json!({ "user_id": login_facts.user_id });
        Ok(Snapshot {
            login: login_facts,
            assets,
            known: Some(known),
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
                match classify(&e) {
                    Class::CodeRejected => OAuthError::CodeRejected {
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
                    Class::Broken(reason) => OAuthError::PersonRefused {
                        reason,
                        platform_error: pe,
                    },
                    _ => OAuthError::Unrecognized { platform_error: pe },
                }
            }
        }
    }

    /// `GET /access_token?grant_type=ig_exchange_token`: 60 days instead of one hour.
    async fn long_lived(&self, short: &str) -> Outcome {
        let url = self.graph_url("access_token");
        self.send(
            || {
                self.http.get(url.clone()).query(&[
                    ("grant_type", "ig_exchange_token"),
                    ("client_secret", self.app.client_secret.expose_secret()),
                    ("access_token", short),
                ])
            },
            true,
        )
        .await
    }
}

impl Network for InstagramNetwork {
    fn id(&self) -> tether_core::Network {
        tether_core::Network::Instagram
    }

    fn catalog(&self) -> &Catalog {
        &self.catalog
    }

    fn calls_per_check(&self) -> u32 {
        1
    }

    /// `www.instagram.com/oauth/authorize` (docs/PLATFORMS-2.md 1.1). Instagram has no way to ask
    /// again for a declined scope other than asking for it: `ask_again` changes nothing.
    fn authorize_url(&self, redirect: &Url, state: &str, scopes: &[&str], _ask_again: bool) -> Url {
        let mut url = self.dialog.join("oauth/authorize").expect("relative path");
        url.query_pairs_mut()
            .append_pair("client_id", &self.app.client_id)
            .append_pair("redirect_uri", redirect.as_str())
            .append_pair("response_type", "code")
            .append_pair("scope", &scopes.join(","))
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
            // "strip trailing #_" (docs/PLATFORMS-2.md 1.1).
            let code = code.trim_end_matches("#_");
            let url = self.api.join("oauth/access_token").expect("relative path");
            let form = [
                ("client_id", self.app.client_id.as_str()),
                ("client_secret", self.app.client_secret.expose_secret()),
                ("grant_type", "authorization_code"),
                ("redirect_uri", redirect.as_str()),
                ("code", code),
            ];
            let short = match self
                .send(|| self.http.post(url.clone()).form(&form), true)
                .await
            {
                Outcome::Ok(body) => wire::parse_code_reply(&body)
                    .ok_or_else(|| self.oauth_failure(Outcome::Ok(body)))?,
                other => return Err(self.oauth_failure(other)),
            };
            let long = match self.long_lived(&short.access_token).await {
                Outcome::Ok(body) => wire::parse_token_reply(&body)
                    .ok_or_else(|| self.oauth_failure(Outcome::Ok(body)))?,
                other => return Err(self.oauth_failure(other)),
            };
            Ok(Issued {
                access_token: SecretString::from(long.access_token),
                expires_at: after(now, long.expires_in),
                refresh_token: None,
                refresh_expires_at: None,
                user_id: short.user_id,
                granted: short.permissions,
            })
        })
    }

    /// At least 24 hours old, and well before it lapses: "Tokens that have not been refreshed in
    /// 60 days will expire and can no longer be refreshed."
    fn refresh_at(&self, dates: &TokenDates) -> Option<Timestamp> {
        let earliest = dates.issued_at.checked_add(REFRESH_MIN_AGE).ok()?;
        let ahead = dates
            .expires_at
            .and_then(|t| t.checked_sub(REFRESH_AHEAD).ok())
            .unwrap_or(earliest);
        Some(earliest.max(ahead))
    }

    /// `GET /refresh_access_token?grant_type=ig_refresh_token` ("Only GET requests work").
    fn refresh<'a>(
        &'a self,
        grant: &'a Grant,
        now: Timestamp,
    ) -> BoxFut<'a, Result<Issued, OAuthError>> {
        Box::pin(async move {
            let url = self.graph_url("refresh_access_token");
            let outcome = self
                .send(
                    || {
                        self.http.get(url.clone()).query(&[
                            ("grant_type", "ig_refresh_token"),
                            ("access_token", grant.access_token.expose_secret()),
                        ])
                    },
                    true,
                )
                .await;
            match outcome {
                Outcome::Ok(body) => {
                    let r = wire::parse_token_reply(&body)
                        .ok_or_else(|| self.oauth_failure(Outcome::Ok(body)))?;
                    Ok(Issued {
                        access_token: SecretString::from(r.access_token),
                        expires_at: after(now, r.expires_in),
                        refresh_token: None,
                        refresh_expires_at: None,
                        user_id: None,
                        granted: r.permissions,
                    })
                }
                // A refusal is never a verdict by itself (100 is ambiguous, 1.6): the caller's
                // next check of the token decides.
                Outcome::Error(e, status) => match classify(&e) {
                    Class::Transient | Class::RateLimited => {
                        Err(self.oauth_failure(Outcome::Error(e, status)))
                    }
                    _ => Err(OAuthError::RefreshRefused {
                        platform_error: e.to_platform_error(Some(status)),
                        until: grant.dates.expires_at,
                    }),
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
        // The envelope, or its inside (which has at least a message and a code).
        let inside = raw.get("message").is_some() && raw.get("code").is_some();
        let e = wire::parse_error(&raw.to_string())
            .or_else(|| {
                inside
                    .then(|| wire::parse_error(&serde_json::json!({ "error": raw }).to_string()))
                    .flatten()
            })
            .ok_or("not an Instagram error body (`{\"error\":{...}}` or its inside)")?;
        let error = e.to_platform_error(None);
        Ok(match classify(&e) {
            Class::Broken(reason) => Reported::LoginBroken { reason, error },
            // Without the token's dates, "invalid, expired or revoked" reads as invalidated;
            // the check that follows reads the dates.
            Class::BrokenUnsure => Reported::LoginBroken {
                reason: BrokenReason::SessionInvalidated,
                error,
            },
            // The body names no permission, and the call is the product's, not ours: which one
            // is missing is for the check that follows to tell.
            Class::PermissionMissing => Reported::Unrecognized,
            Class::Restricted => Reported::Problem {
                kind: ObservedKind::AccountRestricted,
                error,
            },
            Class::Transient | Class::RateLimited | Class::QuotaReached => Reported::Transient,
            Class::CheckerMisconfigured => Reported::CheckerMisconfigured,
            Class::Other => Reported::RequestRejected,
            Class::CodeRejected | Class::Ambiguous => Reported::Unrecognized,
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
