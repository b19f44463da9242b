//! The HTTP side: the dialog address, the code exchange, the refresh, introspection and the
//! organization roles, with retries on transient trouble. Tokens travel in form bodies and the
//! `Authorization` header; no request is ever logged or put in an error with them.

use crate::classify::{Class, classify};
use crate::wire::{self, AclEntry, Introspection, LiError};
use jiff::{SignedDuration, Timestamp};
use secrecy::{ExposeSecret, SecretString};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;
use tether_core::{
    ApiVersion, AssetFacts, AssetKind, BrokenReason, Catalog, LoginFacts, ObservedKind,
    ObservedProblem, PermissionGrant, PermissionStatus, PlatformError, TokenFacts, TokenValidity,
};
use tether_platform::kit::{after, directory, inspect_each};
use tether_platform::{
    AppConfig, BoxFut, CallStats, CheckError, Grant, Issued, LoginToCheck, Needs, Network,
    OAuthError, Reported, Snapshot, TokenDates,
};
use url::Url;

const ATTEMPTS: u32 = 3;
/// Refresh this long before the access token lapses: a worker that is down for a week still
/// finds it refreshable.
const REFRESH_AHEAD: SignedDuration = SignedDuration::from_hours(24 * 10);
/// A "revoked" answer is asked again after this pause before it is believed: a token minted
/// seconds earlier can report it while LinkedIn propagates (docs/PLATFORMS-2.md 2.2).
const REVOKED_PAUSE: Duration = Duration::from_millis(1500);
/// A member with more roles than this is unusual; the pages stop here rather than loop.
const MAX_ACL_PAGES: usize = 20;
/// The scopes any organization call needs one of (docs/PLATFORMS.md 2.1): a login with none
/// cannot list its organizations, and the catalog's rules say so.
const ORGANIZATION_SCOPES: &[&str] = &[
    "r_organization_admin",
    "rw_organization_admin",
    "r_organization_social",
    "w_organization_social",
];
/// `/rest/me` tells whose login this is; asked for on every sign-in whatever the product's
/// features, since a login Tether cannot name cannot be told apart from another member's.
const IDENTITY_SCOPE: &str = "r_basicprofile";
const ACL_PROJECTION: &str = "(paging,elements*(*,roleAssignee~(localizedFirstName,localizedLastName),organization~(localizedName)))";

pub struct LinkedInNetwork {
    http: reqwest::Client,
    app: AppConfig,
    /// `www.linkedin.com` (the dialog, the token endpoints, introspection) and
    /// `api.linkedin.com` (`/rest`); `api_url` stands for both.
    www: Url,
    api: Url,
    catalog: Catalog,
    /// The `LinkedIn-Version` every `/rest` call sends, and its sunset: the catalog's
    /// `[api_version]`, so moving on is a data change.
    version: ApiVersion,
    revoked_pause: Duration,
    http_requests: AtomicU64,
    platform_calls: AtomicU64,
    oauth_requests: AtomicU64,
}

/// How a request ended.
enum Outcome {
    Ok(String),
    Error(LiError, u16),
    Transport(String),
}

fn epoch(secs: Option<i64>) -> Option<Timestamp> {
    secs.and_then(|s| Timestamp::from_second(s).ok())
}

/// What the previous check left: whose login, and the organizations it reached (carried when a
/// check cannot list them for a reason of the app's or the token's scopes, so a known Page is not
/// shown as lost for it).
#[derive(Debug, Default, serde::Serialize, serde::Deserialize)]
struct Known {
    user_id: Option<String>,
    user_name: Option<String>,
    #[serde(default)]
    organizations: Vec<KnownOrganization>,
}

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
struct KnownOrganization {
    id: String,
    name: Option<String>,
    roles: Vec<String>,
}

impl LinkedInNetwork {
    pub fn new(app: AppConfig) -> Result<LinkedInNetwork, String> {
        let parse = |s: &str| Url::parse(s).map_err(|e| e.to_string());
        let (www, api) = match &app.api_url {
            Some(u) => (directory(u), directory(u)),
            None => (
                parse("https://www.linkedin.com/")?,
                parse("https://api.linkedin.com/")?,
            ),
        };
        let www = app.dialog_url.as_ref().map(directory).unwrap_or(www);
        let http = reqwest::Client::builder()
            .timeout(app.timeout.unwrap_or(Duration::from_secs(30)))
            .connect_timeout(Duration::from_secs(10))
            .build()
            .map_err(|e| format!("cannot build the HTTP client: {e}"))?;
        let catalog = app.catalog_for(tether_core::Network::Linkedin)?;
        let version = catalog.api_version.clone().ok_or_else(|| {
            format!(
                "{} has no [api_version]: every LinkedIn /rest call must send LinkedIn-Version",
                catalog.origin
            )
        })?;
        Ok(LinkedInNetwork {
            http,
            app,
            www,
            api,
            catalog,
            version,
            revoked_pause: REVOKED_PAUSE,
            http_requests: AtomicU64::new(0),
            platform_calls: AtomicU64::new(0),
            oauth_requests: AtomicU64::new(0),
        })
    }

    /// The `LinkedIn-Version` this client sends.
    pub fn version(&self) -> &str {
        &self.version.version
    }

    /// How long a "revoked" answer waits for its second try (tests shorten it).
    pub fn with_revoked_pause(mut self, pause: Duration) -> LinkedInNetwork {
        self.revoked_pause = pause;
        self
    }

    fn www_url(&self, path: &str) -> Url {
        self.www.join(path).expect("a relative path joins")
    }

    fn rest_url(&self, resource: &str) -> Url {
        self.api
            .join(&format!("rest/{resource}"))
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
            if status == 200 {
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
                None if status == 429 => {
                    return Outcome::Error(
                        LiError {
                            status: Some(429),
                            service_code: None,
                            code: None,
                            message: "Too Many Requests".into(),
                        },
                        429,
                    );
                }
                None => {
                    return Outcome::Transport(format!(
                        "HTTP {status} with a body that is not a LinkedIn error"
                    ));
                }
            }
        }
        last
    }

    /// A `/rest` call; a "revoked" answer is asked again once after a pause before it stands.
    async fn rest(
        &self,
        token: &SecretString,
        resource: &str,
        query: &[(&str, String)],
    ) -> Outcome {
        let url = self.rest_url(resource);
        let call = || {
            self.send(
                || {
                    self.http
                        .get(url.clone())
                        .query(query)
                        .bearer_auth(token.expose_secret())
                        .header("LinkedIn-Version", self.version.version.as_str())
                        .header("X-Restli-Protocol-Version", "2.0.0")
                },
                false,
            )
        };
        match call().await {
            Outcome::Error(e, s) if classify(&e, Some(s)) == Class::Revoked => {
                tokio::time::sleep(self.revoked_pause).await;
                call().await
            }
            other => other,
        }
    }

    async fn introspect_once(&self, token: &SecretString) -> Outcome {
        let url = self.www_url("oauth/v2/introspectToken");
        let form = [
            ("client_id", self.app.client_id.as_str()),
            ("client_secret", self.app.client_secret.expose_secret()),
            ("token", token.expose_secret()),
        ];
        self.send(|| self.http.post(url.clone()).form(&form), false)
            .await
    }

    /// Introspection; `status: revoked` is asked again once, like a 65601.
    async fn introspect(&self, token: &SecretString) -> Result<Introspection, Outcome> {
        let mut retried = false;
        loop {
            match self.introspect_once(token).await {
                Outcome::Ok(body) => {
                    let Some(i) = wire::parse_introspection(&body) else {
                        return Err(Outcome::Transport(
                            "the introspection reply could not be read".into(),
                        ));
                    };
                    if !i.active && i.status.as_deref() == Some("revoked") && !retried {
                        retried = true;
                        tokio::time::sleep(self.revoked_pause).await;
                        continue;
                    }
                    return Ok(i);
                }
                other => return Err(other),
            }
        }
    }

    async fn acls(&self, token: &SecretString) -> Result<Vec<AclEntry>, Outcome> {
        let mut entries = Vec::new();
        let mut start = 0usize;
        for _ in 0..MAX_ACL_PAGES {
            let query = [
                ("q", "roleAssignee".to_owned()),
                ("state", "APPROVED".to_owned()),
                ("projection", ACL_PROJECTION.to_owned()),
                ("start", start.to_string()),
                ("count", "100".to_owned()),
            ];
            match self.rest(token, "organizationAcls", &query).await {
                Outcome::Ok(body) => {
                    let Some(page) = wire::parse_acls(&body, start) else {
                        return Err(Outcome::Transport(
                            "the organizationAcls reply could not be read".into(),
                        ));
                    };
                    start += page.entries.len();
                    let more = page.more && !page.entries.is_empty();
                    entries.extend(page.entries);
                    if !more {
                        break;
                    }
                }
                other => return Err(other),
            }
        }
        Ok(entries)
    }

    async fn check(&self, login: &LoginToCheck) -> Result<Snapshot, CheckError> {
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
        let granted_scopes = |scopes: &[String]| -> Vec<PermissionGrant> {
            scopes
                .iter()
                .map(|p| PermissionGrant {
                    name: p.clone(),
                    status: PermissionStatus::Granted,
                })
                .collect()
        };
        let stored_scopes = login.granted.clone().unwrap_or_default();
        let mut facts = LoginFacts {
            user_id: known.user_id.clone(),
            user_name: known.user_name.clone(),
            token: TokenFacts {
                validity: TokenValidity::Valid,
                expires_at: dates.and_then(|d| d.expires_at),
                data_access_expires_at: None,
            },
            permissions: granted_scopes(&stored_scopes),
            granular_scopes: Vec::new(),
            observed: Vec::new(),
        };
        let broken = |mut facts: LoginFacts, reason, pe: PlatformError, expires_at| {
            facts.token = TokenFacts {
                validity: TokenValidity::Broken {
                    reason,
                    platform_error: Some(pe),
                },
                expires_at,
                data_access_expires_at: None,
            };
            Ok(Snapshot {
                known: Some(serde_json::to_value(&known).expect("serializable")),
                login: facts,
                assets: Vec::new(),
            })
        };

        // 1. The token itself.
        let access_end = match self.introspect(&login.token).await {
            Ok(i) => {
                let access_end = epoch(i.expires_at).or(dates.and_then(|d| d.expires_at));
                if !i.active {
                    let (reason, word) = match i.status.as_deref() {
                        Some("expired") => (BrokenReason::Expired, "expired"),
                        Some("revoked") => (BrokenReason::AppRemoved, "revoked"),
                        // Valid credentials that do not match the token's app, or a status
                        // LinkedIn has not documented: not a working token, reason unknown.
                        _ => (BrokenReason::Unknown, "inactive"),
                    };
                    let pe = PlatformError {
                        code: word.to_owned(),
                        subcode: None,
                        http_status: Some(200),
                        message: format!("introspectToken: active false, status {word}"),
                    };
                    return broken(facts, reason, pe, access_end);
                }
                if let Some(scope) = &i.scope {
                    facts.permissions = granted_scopes(&wire::scopes(scope));
                }
                access_end
            }
            Err(Outcome::Error(e, status)) => {
                let pe = e.to_platform_error(Some(status));
                match classify(&e, Some(status)) {
                    // A token LinkedIn does not know, or our client id: the API tells which.
                    Class::ClientIdOrToken => match self.rest(&login.token, "me", &[]).await {
                        Outcome::Error(e2, s2) => match classify(&e2, Some(s2)) {
                            Class::Broken(reason) => {
                                return broken(
                                    facts,
                                    reason,
                                    e2.to_platform_error(Some(s2)),
                                    dates.and_then(|d| d.expires_at),
                                );
                            }
                            Class::Revoked => {
                                return broken(
                                    facts,
                                    BrokenReason::AppRemoved,
                                    e2.to_platform_error(Some(s2)),
                                    dates.and_then(|d| d.expires_at),
                                );
                            }
                            Class::Transient => return Err(unavailable(e2.message)),
                            Class::RateLimited => {
                                return Err(CheckError::RateLimited { retry_after: None });
                            }
                            // The token works (or at least authenticates): our client id is wrong.
                            _ => {
                                return Err(CheckError::CheckerMisconfigured {
                                    platform_error: pe,
                                });
                            }
                        },
                        Outcome::Ok(_) => {
                            return Err(CheckError::CheckerMisconfigured { platform_error: pe });
                        }
                        Outcome::Transport(last) => return Err(unavailable(last)),
                    },
                    other => return Err(self.failure(other, pe)),
                }
            }
            Err(Outcome::Transport(last)) => return Err(unavailable(last)),
            Err(Outcome::Ok(_)) => unreachable!("introspect returns replies it read as Ok"),
        };
        // The login stops working when the refresh token does (when there is one: the worker
        // refreshes the access token before it lapses), else with the access token.
        facts.token.expires_at = dates.and_then(|d| d.refresh_expires_at).or(access_end);
        let scopes: Vec<String> = facts.permissions.iter().map(|p| p.name.clone()).collect();

        // 2. Whose login, the first time.
        if facts.user_id.is_none() && scopes.iter().any(|s| s == IDENTITY_SCOPE) {
            match self.rest(&login.token, "me", &[]).await {
                Outcome::Ok(body) => {
                    if let Some(me) = wire::parse_me(&body) {
                        facts.user_name = me.name();
                        facts.user_id = Some(me.id);
                    }
                }
                Outcome::Error(e, status) => {
                    let pe = e.to_platform_error(Some(status));
                    match classify(&e, Some(status)) {
                        Class::Broken(reason) => return broken(facts, reason, pe, access_end),
                        Class::Revoked => {
                            return broken(facts, BrokenReason::AppRemoved, pe, access_end);
                        }
                        Class::VersionRetired => facts.observed.push(self.version_refused(pe)),
                        // Identity is the ACLs' to tell then.
                        Class::AccessDenied => {}
                        other => return Err(self.failure(other, pe)),
                    }
                }
                Outcome::Transport(last) => return Err(unavailable(last)),
            }
        }

        // 3. The member's roles per organization.
        let can_list = scopes
            .iter()
            .any(|s| ORGANIZATION_SCOPES.contains(&s.as_str()));
        let listed = if can_list {
            match self.acls(&login.token).await {
                Ok(entries) => Ok(entries),
                Err(Outcome::Error(e, status)) => {
                    let pe = e.to_platform_error(Some(status));
                    match classify(&e, Some(status)) {
                        Class::Broken(reason) => return broken(facts, reason, pe, access_end),
                        Class::Revoked => {
                            return broken(facts, BrokenReason::AppRemoved, pe, access_end);
                        }
                        // Why the organizations are not listed this time; the known ones are
                        // carried. The token holds an organization scope and is refused anyway:
                        // the app lacks the product, or its API version is sunset. The app's
                        // team acts.
                        Class::AccessDenied => Err(ObservedProblem {
                            kind: ObservedKind::AppFeatureMissing,
                            features: Vec::new(),
                            platform_error: Some(pe),
                        }),
                        Class::VersionRetired => Err(self.version_refused(pe)),
                        other => return Err(self.failure(other, pe)),
                    }
                }
                Err(Outcome::Transport(last)) => return Err(unavailable(last)),
                Err(Outcome::Ok(_)) => unreachable!("acls returns replies it read as Ok"),
            }
        } else {
            // The rules name the missing scope for every feature; the Pages stay as last seen.
            Ok(known
                .organizations
                .iter()
                .flat_map(|o| {
                    o.roles.iter().map(|r| AclEntry {
                        organization: o.id.clone(),
                        organization_name: o.name.clone(),
                        person: None,
                        person_name: None,
                        role: r.clone(),
                        state: "APPROVED".into(),
                    })
                })
                .collect())
        };
        let organizations: Vec<KnownOrganization> = match listed {
            Ok(entries) => {
                let mut by_org: BTreeMap<String, KnownOrganization> = BTreeMap::new();
                for e in entries.into_iter().filter(|e| e.state == "APPROVED") {
                    if facts.user_id.is_none() {
                        facts.user_id = e.person.clone();
                    }
                    if facts.user_name.is_none() {
                        facts.user_name = e.person_name.clone();
                    }
                    let o = by_org
                        .entry(e.organization.clone())
                        .or_insert(KnownOrganization {
                            id: e.organization.clone(),
                            name: None,
                            roles: Vec::new(),
                        });
                    if o.name.is_none() {
                        o.name = e.organization_name.clone();
                    }
                    if !o.roles.contains(&e.role) {
                        o.roles.push(e.role);
                    }
                }
                by_org
                    .into_values()
                    .map(|mut o| {
                        o.roles.sort();
                        o
                    })
                    .collect()
            }
            Err(problem) => {
                // `/rest/me` may have met the same refusal of the version already.
                if !facts.observed.iter().any(|p| p.kind == problem.kind) {
                    facts.observed.push(problem);
                }
                known.organizations.clone()
            }
        };
        let assets = organizations
            .iter()
            .map(|o| AssetFacts {
                kind: AssetKind::LinkedinOrganization,
                id: o.id.clone(),
                name: o.name.clone(),
                listed: true,
                tasks: o.roles.clone(),
                instagram: None,
                observed: Vec::new(),
            })
            .collect();
        let next = Known {
            user_id: facts.user_id.clone(),
            user_name: facts.user_name.clone(),
            organizations,
        };
        Ok(Snapshot {
            login: facts,
            assets,
            known: Some(serde_json::to_value(&next).expect("serializable")),
        })
    }

    /// LinkedIn refused the version every call sends: nothing works for any member until the
    /// app's team moves on. A 426 names the version as retired, and the catalog knows since when;
    /// a 400 `VERSION_MISSING` says none was sent, which no date explains.
    fn version_refused(&self, pe: PlatformError) -> ObservedProblem {
        tracing::warn!(
            version = %self.version.version,
            sunset = %self.version.sunset,
            code = %pe.code,
            "LinkedIn refused the API version this build sends; move [api_version] in catalog/linkedin/catalog.toml forward"
        );
        ObservedProblem {
            kind: ObservedKind::ApiVersionRetired {
                sunset: (pe.code == "NONEXISTENT_VERSION").then_some(self.version.sunset),
            },
            features: Vec::new(),
            platform_error: Some(pe),
        }
    }

    fn failure(&self, class: Class, pe: PlatformError) -> CheckError {
        match class {
            Class::Transient => unavailable(pe.message),
            Class::RateLimited => CheckError::RateLimited { retry_after: None },
            Class::CheckerMisconfigured => CheckError::CheckerMisconfigured { platform_error: pe },
            _ => CheckError::UnrecognizedPlatformError { platform_error: pe },
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
                    Class::CodeRejected => OAuthError::CodeRejected {
                        message: pe.message,
                    },
                    Class::CheckerMisconfigured | Class::ClientIdOrToken => {
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

    async fn token_call(&self, form: &[(&str, &str)]) -> Outcome {
        let url = self.www_url("oauth/v2/accessToken");
        self.send(|| self.http.post(url.clone()).form(form), true)
            .await
    }
}

fn unavailable(last: String) -> CheckError {
    CheckError::PlatformUnavailable {
        attempts: ATTEMPTS,
        last,
    }
}

impl Network for LinkedInNetwork {
    fn id(&self) -> tether_core::Network {
        tether_core::Network::Linkedin
    }

    fn catalog(&self) -> &Catalog {
        &self.catalog
    }

    /// Introspection, `/rest/me` on a login's first check, one page of ACLs.
    fn calls_per_check(&self) -> u32 {
        3
    }

    /// `www.linkedin.com/oauth/v2/authorization`, scopes space-separated. LinkedIn's screen
    /// allows all the app asks for or nothing: `ask_again` changes nothing.
    fn authorize_url(&self, redirect: &Url, state: &str, scopes: &[&str], _ask_again: bool) -> Url {
        let mut asked: Vec<&str> = vec![IDENTITY_SCOPE];
        for s in scopes {
            if !asked.contains(s) {
                asked.push(s);
            }
        }
        let mut url = self.www_url("oauth/v2/authorization");
        url.query_pairs_mut()
            .append_pair("response_type", "code")
            .append_pair("client_id", &self.app.client_id)
            .append_pair("redirect_uri", redirect.as_str())
            .append_pair("state", state)
            .append_pair("scope", &asked.join(" "));
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
                ("client_id", self.app.client_id.as_str()),
                ("client_secret", self.app.client_secret.expose_secret()),
            ];
            let reply = match self.token_call(&form).await {
                Outcome::Ok(body) => wire::parse_token_reply(&body)
                    .ok_or_else(|| self.oauth_failure(Outcome::Ok(body)))?,
                other => return Err(self.oauth_failure(other)),
            };
            Ok(Issued {
                access_token: SecretString::from(reply.access_token),
                expires_at: after(now, reply.expires_in),
                refresh_token: reply.refresh_token.map(SecretString::from),
                refresh_expires_at: after(now, reply.refresh_token_expires_in),
                user_id: None,
                granted: reply.scope.as_deref().map(wire::scopes),
            })
        })
    }

    /// Only a grant with a refresh token (programmatic refresh is for approved partners): ten
    /// days before the access token lapses.
    fn refresh_at(&self, dates: &TokenDates) -> Option<Timestamp> {
        dates.refresh_expires_at?;
        let ahead = dates.expires_at?.checked_sub(REFRESH_AHEAD).ok()?;
        Some(ahead.max(dates.issued_at))
    }

    /// `grant_type=refresh_token`: a new 60-day access token. The refresh token's own end never
    /// moves later than the one stored ("does not extend", docs/PLATFORMS.md 2.3): the reply's
    /// `refresh_token_expires_in` is read, and the earlier of the two kept.
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
                ("client_id", self.app.client_id.as_str()),
                ("client_secret", self.app.client_secret.expose_secret()),
            ];
            match self.token_call(&form).await {
                Outcome::Ok(body) => {
                    let r = wire::parse_token_reply(&body)
                        .ok_or_else(|| self.oauth_failure(Outcome::Ok(body)))?;
                    let reported = after(now, r.refresh_token_expires_in);
                    let refresh_expires_at = match (reported, grant.dates.refresh_expires_at) {
                        (Some(a), Some(b)) => Some(a.min(b)),
                        (a, b) => a.or(b),
                    };
                    Ok(Issued {
                        access_token: SecretString::from(r.access_token),
                        expires_at: after(now, r.expires_in),
                        refresh_token: r.refresh_token.map(SecretString::from),
                        refresh_expires_at,
                        user_id: None,
                        granted: r.scope.as_deref().map(wire::scopes),
                    })
                }
                Outcome::Error(e, status) => match classify(&e, Some(status)) {
                    Class::RefreshRefused | Class::CodeRejected | Class::Other => {
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
        Box::pin(inspect_each(logins, needs, move |l| self.check(l)))
    }

    fn read_reported_error(
        &self,
        raw: &serde_json::Value,
        _page_token: bool,
    ) -> Result<Reported, String> {
        let e = wire::parse_error(&raw.to_string()).ok_or(
            "not a LinkedIn error body (`{\"status\",\"serviceErrorCode\",\"code\",\"message\"}` or `{\"error\",\"error_description\"}`)",
        )?;
        let error = e.to_platform_error(None);
        Ok(match classify(&e, None) {
            Class::Broken(reason) => Reported::LoginBroken { reason, error },
            // Fresh tokens report it spuriously: the check scheduled for it asks twice.
            Class::Revoked => Reported::Unrecognized,
            // Which scope, role or product the product's call lacked, the body does not say
            // in our words; the check that follows tells.
            Class::AccessDenied => Reported::Unrecognized,
            Class::VersionRetired => Reported::Problem {
                kind: ObservedKind::AppFeatureMissing,
                error,
            },
            Class::Transient | Class::RateLimited => Reported::Transient,
            Class::CheckerMisconfigured => Reported::CheckerMisconfigured,
            Class::ClientIdOrToken | Class::CodeRejected | Class::RefreshRefused => {
                Reported::Unrecognized
            }
            Class::Other => Reported::RequestRejected,
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
