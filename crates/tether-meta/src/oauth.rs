//! Facebook Login: the dialog URL, and the exchanges of a code for a short-lived user token and
//! of that for a long-lived one (docs/PLATFORMS.md 1.1, docs/GRAPH_CALLS.md "Facebook Login").
//!
//! The exchanges carry `client_secret` in the query string, as Meta documents them, so their URL
//! is never logged and never put in an error: errors are built from the platform's reply only.

use crate::classify::{Classification, TokenUsed, classify};
use crate::client::GraphClient;
use crate::config::GraphConfig;
use crate::usage::Usage;
use crate::wire::{GraphError, GraphResponse, parse_graph};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use std::sync::atomic::Ordering;
use std::time::Duration;
use tether_core::{BrokenReason, PlatformError};
use url::Url;

/// A user access token the platform issued, with the lifetime it announced.
#[derive(Debug, Clone)]
pub struct IssuedToken {
    pub token: SecretString,
    /// `None` when the reply carried no `expires_in` (a token without an expiry date).
    pub expires_in: Option<Duration>,
}

pub use tether_platform::OAuthError;

/// `{dialog_base}/{version}/dialog/oauth?client_id&redirect_uri&state&scope=a,b&response_type=code`
/// plus `auth_type=rerequest` when permissions the person declined before must be asked again
/// (without it the dialog silently skips them).
pub fn authorize_url(
    cfg: &GraphConfig,
    redirect_uri: &Url,
    state: &str,
    scopes: &[&str],
    rerequest: bool,
) -> Url {
    let mut url = cfg.versioned(&cfg.dialog_base_url, "dialog/oauth");
    {
        let mut q = url.query_pairs_mut();
        q.append_pair("client_id", &cfg.app_id)
            .append_pair("redirect_uri", redirect_uri.as_str())
            .append_pair("state", state)
            .append_pair("scope", &scopes.join(","))
            .append_pair("response_type", "code");
        if rerequest {
            q.append_pair("auth_type", "rerequest");
        }
    }
    url
}

#[derive(Deserialize)]
struct TokenReply {
    #[serde(default)]
    access_token: Option<String>,
    #[serde(default)]
    expires_in: Option<serde_json::Value>,
}

enum Failure {
    Final(OAuthError),
    Transient(String),
    RateLimited(Option<Duration>),
}

impl GraphClient {
    /// Exchanges the `code` the dialog returned for a short-lived user token. `redirect_uri`
    /// must be the one the dialog was opened with. A code works once: when a timed-out attempt
    /// was in fact served, the retry is refused as used (`CodeRejected`), and the person starts
    /// again.
    pub async fn exchange_code(
        &self,
        code: &str,
        redirect_uri: &Url,
    ) -> Result<IssuedToken, OAuthError> {
        if code.trim().is_empty() {
            return Err(OAuthError::CodeRejected {
                message: "the authorization code is empty".into(),
            });
        }
        let cfg = &self.inner.config;
        self.token_request(&[
            ("client_id", cfg.app_id.as_str()),
            ("redirect_uri", redirect_uri.as_str()),
            ("client_secret", cfg.app_secret.expose_secret()),
            ("code", code),
        ])
        .await
    }

    /// Exchanges a short-lived user token for a long-lived one (about 60 days).
    pub async fn exchange_long_lived(
        &self,
        short: &SecretString,
    ) -> Result<IssuedToken, OAuthError> {
        if short.expose_secret().trim().is_empty() {
            return Err(OAuthError::CodeRejected {
                message: "the short-lived token is empty".into(),
            });
        }
        let cfg = &self.inner.config;
        self.token_request(&[
            ("grant_type", "fb_exchange_token"),
            ("client_id", cfg.app_id.as_str()),
            ("client_secret", cfg.app_secret.expose_secret()),
            ("fb_exchange_token", short.expose_secret()),
        ])
        .await
    }

    /// `GET {base}/{version}/oauth/access_token` with retries on transient trouble and short
    /// rate limits, like a batch request.
    async fn token_request(&self, query: &[(&str, &str)]) -> Result<IssuedToken, OAuthError> {
        let cfg = &self.inner.config;
        let url = cfg.versioned(&cfg.base_url, "oauth/access_token");
        let mut attempt = 0u32;
        loop {
            attempt += 1;
            let failure = match self.token_attempt(&url, query).await {
                Ok(token) => return Ok(token),
                Err(f) => f,
            };
            let exhausted = attempt >= cfg.retry.max_attempts;
            let wait = match failure {
                Failure::Final(e) => return Err(e),
                Failure::Transient(last) if exhausted => {
                    return Err(OAuthError::PlatformUnavailable {
                        attempts: attempt,
                        last,
                    });
                }
                Failure::Transient(last) => {
                    tracing::debug!(attempt, %last, "token exchange failed; retrying");
                    cfg.retry.delay(attempt)
                }
                Failure::RateLimited(retry_after) => match retry_after {
                    Some(d) if d > cfg.max_rate_limit_wait || exhausted => {
                        return Err(OAuthError::RateLimited { retry_after });
                    }
                    None if exhausted => return Err(OAuthError::RateLimited { retry_after }),
                    Some(d) => d,
                    None => cfg.retry.delay(attempt),
                },
            };
            tokio::time::sleep(wait).await;
        }
    }

    async fn token_attempt(
        &self,
        url: &Url,
        query: &[(&str, &str)],
    ) -> Result<IssuedToken, Failure> {
        self.inner.oauth_requests.fetch_add(1, Ordering::Relaxed);
        let sent = self
            .inner
            .http
            .get(url.clone())
            .query(query)
            .send()
            .await
            // The URL holds the client secret: it must not reach the message.
            .map_err(|e| Failure::Transient(format!("request failed: {}", e.without_url())))?;
        let status = sent.status().as_u16();
        let usage = Usage::from_pairs(
            sent.headers()
                .iter()
                .filter_map(|(k, v)| Some((k.as_str(), v.to_str().ok()?))),
        );
        let body = sent.text().await.map_err(|e| {
            Failure::Transient(format!("reading the reply failed: {}", e.without_url()))
        })?;
        match parse_graph::<TokenReply>(&body) {
            Ok(GraphResponse::Error(err)) => Err(failure_of(&err, &usage)),
            Ok(GraphResponse::Ok(reply)) if status == 200 => issued(reply),
            // A redirect (never followed), a proxy page, a truncated body.
            _ => Err(Failure::Transient(format!(
                "HTTP {status} with a body that is not a token reply"
            ))),
        }
    }
}

fn issued(reply: TokenReply) -> Result<IssuedToken, Failure> {
    let Some(token) = reply.access_token.filter(|t| !t.is_empty()) else {
        return Err(Failure::Final(OAuthError::Unrecognized {
            platform_error: PlatformError::new(
                0,
                None::<u8>,
                "the token reply carried no access_token",
            ),
        }));
    };
    let secs = match reply.expires_in {
        Some(serde_json::Value::Number(n)) => n.as_u64(),
        Some(serde_json::Value::String(s)) => s.trim().parse().ok(),
        _ => None,
    };
    Ok(IssuedToken {
        token: SecretString::from(token),
        // `0` is Meta's "never" elsewhere; read it the same way here.
        expires_in: secs.filter(|s| *s > 0).map(Duration::from_secs),
    })
}

/// Subcodes of code 100 on the code exchange: expired (36007), redirect_uri mismatch (36008),
/// already used (36009). Unconfirmed beyond public reports; the message checks below back them up.
const CODE_SUBCODES: std::ops::RangeInclusive<i64> = 36007..=36009;

fn failure_of(err: &GraphError, usage: &Usage) -> Failure {
    let msg = err.message.to_ascii_lowercase();
    let pe = err.to_platform_error();
    // "Error validating client secret." comes as code 1, which elsewhere means an outage.
    if msg.contains("client secret")
        || msg.contains("validating application")
        || msg.contains("invalid client_id")
        || err.code == 101
    {
        return Failure::Final(OAuthError::CheckerMisconfigured { platform_error: pe });
    }
    // A security checkpoint (190/459) or an unconfirmed account (190/464) is about the person,
    // not the code: a new code would be refused the same way until they clear it on Facebook.
    if err.code == 190
        && let Classification::LoginBroken(
            reason @ (BrokenReason::Checkpoint | BrokenReason::UnconfirmedUser),
        ) = classify(err, TokenUsed::User, None)
    {
        return Failure::Final(OAuthError::PersonRefused {
            reason,
            platform_error: pe,
        });
    }
    let code_refused = err.code == 190
        || (err.code == 100
            && (err
                .error_subcode
                .is_some_and(|s| CODE_SUBCODES.contains(&s))
                || msg.contains("verification code")
                || msg.contains("authorization code")
                || msg.contains("redirect_uri")));
    if code_refused {
        return Failure::Final(OAuthError::CodeRejected {
            message: err.message.clone(),
        });
    }
    match classify(err, TokenUsed::App, Some(usage)) {
        Classification::Transient => {
            Failure::Transient(format!("Graph error {}: {}", err.code, err.message))
        }
        Classification::RateLimited { retry_after, .. } => Failure::RateLimited(retry_after),
        Classification::CheckerMisconfigured => {
            Failure::Final(OAuthError::CheckerMisconfigured { platform_error: pe })
        }
        _ => Failure::Final(OAuthError::Unrecognized { platform_error: pe }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg() -> GraphConfig {
        GraphConfig::new("123", SecretString::from("s3cret"))
    }

    #[test]
    fn the_dialog_url_carries_every_parameter() {
        let redirect = Url::parse("https://app.example/cb?x=1").unwrap();
        let url = authorize_url(
            &cfg(),
            &redirect,
            "st&ate",
            &["pages_show_list", "ads_read"],
            false,
        );
        assert_eq!(url.host_str(), Some("www.facebook.com"));
        assert_eq!(url.path(), "/v24.0/dialog/oauth");
        let q: Vec<(String, String)> = url.query_pairs().into_owned().collect();
        let pairs: Vec<(&str, &str)> = q.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        assert_eq!(
            pairs,
            [
                ("client_id", "123"),
                ("redirect_uri", "https://app.example/cb?x=1"),
                ("state", "st&ate"),
                ("scope", "pages_show_list,ads_read"),
                ("response_type", "code"),
            ]
        );
        assert!(!url.as_str().contains("s3cret"));
        let mut sim = cfg();
        sim.dialog_base_url = Url::parse("http://127.0.0.1:9/prefix/").unwrap();
        let url = authorize_url(&sim, &redirect, "s", &[], true);
        assert_eq!(url.path(), "/prefix/v24.0/dialog/oauth");
        assert!(
            url.as_str()
                .ends_with("&response_type=code&auth_type=rerequest")
        );
    }

    fn err(code: i64, subcode: Option<i64>, message: &str) -> GraphError {
        GraphError {
            message: message.into(),
            kind: Some("OAuthException".into()),
            code,
            error_subcode: subcode,
            is_transient: None,
            error_user_title: None,
            error_user_msg: None,
            fbtrace_id: None,
        }
    }

    #[test]
    fn exchange_errors_are_sorted_by_who_must_act() {
        let usage = Usage::default();
        let code = |e: &GraphError| {
            matches!(
                failure_of(e, &usage),
                Failure::Final(OAuthError::CodeRejected { .. })
            )
        };
        let checker = |e: &GraphError| {
            matches!(
                failure_of(e, &usage),
                Failure::Final(OAuthError::CheckerMisconfigured { .. })
            )
        };
        assert!(code(&err(
            100,
            Some(36009),
            "This authorization code has been used."
        )));
        assert!(code(&err(
            100,
            Some(36007),
            "This authorization code has expired."
        )));
        assert!(code(&err(100, None, "Invalid verification code format.")));
        assert!(code(&err(190, Some(463), "Session has expired")));
        assert!(checker(&err(1, None, "Error validating client secret.")));
        assert!(checker(&err(
            101,
            None,
            "Error validating application. Invalid application ID."
        )));
        assert!(matches!(
            failure_of(&err(2, None, "Service temporarily unavailable"), &usage),
            Failure::Transient(_)
        ));
        assert!(matches!(
            failure_of(&err(4, None, "Application request limit reached"), &usage),
            Failure::RateLimited(None)
        ));
        assert!(matches!(
            failure_of(&err(100, None, "Invalid parameter"), &usage),
            Failure::Final(OAuthError::Unrecognized { .. })
        ));
    }
}
