//! Client configuration and its validation.

use secrecy::{ExposeSecret, SecretString};
use std::fmt;
use std::time::Duration;
use url::Url;

pub const DEFAULT_BASE_URL: &str = "https://graph.facebook.com";
/// Where the Facebook Login dialog lives (a different host from the Graph API).
pub const DEFAULT_DIALOG_BASE_URL: &str = "https://www.facebook.com";
pub const DEFAULT_API_VERSION: &str = "v24.0";

/// Bounded retries with exponential backoff for transient failures.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in total, the first included (1 = never retry).
    pub max_attempts: u32,
    pub base_delay: Duration,
    pub max_delay: Duration,
    /// Spread each delay over [delay/2, delay] so many checkers do not retry in step.
    pub jitter: bool,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 4,
            base_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(8),
            jitter: true,
        }
    }
}

impl RetryPolicy {
    /// The wait before retry number `retry` (1 = the first retry).
    pub fn delay(&self, retry: u32) -> Duration {
        let exp = retry.saturating_sub(1).min(30);
        let full = self
            .base_delay
            .saturating_mul(1u32 << exp)
            .min(self.max_delay);
        if self.jitter && !full.is_zero() {
            let half = full / 2;
            let spread = rand::random_range(0..=half.as_micros() as u64);
            half + Duration::from_micros(spread)
        } else {
            full
        }
    }
}

#[derive(Clone)]
pub struct GraphConfig {
    /// Scheme and host (and optional path prefix) of the Graph API; the version goes after it.
    pub base_url: Url,
    /// Scheme and host (and optional path prefix) of the Login dialog,
    /// `{dialog_base_url}/{version}/dialog/oauth`. A simulator serves both on one address.
    pub dialog_base_url: Url,
    /// `v<major>.<minor>`.
    pub api_version: String,
    pub app_id: String,
    pub app_secret: SecretString,
    /// Whole-request timeout (a batch of 50 items is one request).
    pub timeout: Duration,
    pub connect_timeout: Duration,
    pub retry: RetryPolicy,
    /// A rate limit whose platform-estimated regain time exceeds this fails the check with
    /// `RateLimited` instead of waiting.
    pub max_rate_limit_wait: Duration,
}

impl GraphConfig {
    /// Defaults for production Graph: v24.0, 30 s timeout, 4 attempts, wait at most 60 s.
    pub fn new(app_id: impl Into<String>, app_secret: SecretString) -> GraphConfig {
        GraphConfig {
            base_url: Url::parse(DEFAULT_BASE_URL).expect("default base URL is valid"),
            dialog_base_url: Url::parse(DEFAULT_DIALOG_BASE_URL)
                .expect("default dialog URL is valid"),
            api_version: DEFAULT_API_VERSION.to_owned(),
            app_id: app_id.into(),
            app_secret,
            timeout: Duration::from_secs(30),
            connect_timeout: Duration::from_secs(10),
            retry: RetryPolicy::default(),
            max_rate_limit_wait: Duration::from_secs(60),
        }
    }

    pub(crate) fn validate(&self) -> Result<(), ConfigError> {
        for url in [&self.base_url, &self.dialog_base_url] {
            if !matches!(url.scheme(), "http" | "https") {
                return Err(ConfigError::BaseUrlScheme(url.scheme().to_owned()));
            }
            if url.host_str().is_none() {
                return Err(ConfigError::BaseUrlHost);
            }
            if url.query().is_some() || url.fragment().is_some() {
                return Err(ConfigError::BaseUrlQuery);
            }
        }
        if !is_version(&self.api_version) {
            return Err(ConfigError::ApiVersion(self.api_version.clone()));
        }
        if self.app_id.is_empty() || !self.app_id.bytes().all(|b| b.is_ascii_digit()) {
            return Err(ConfigError::AppId(self.app_id.clone()));
        }
        if self.app_secret.expose_secret().trim().is_empty() {
            return Err(ConfigError::EmptyAppSecret);
        }
        if self.timeout.is_zero() || self.connect_timeout.is_zero() {
            return Err(ConfigError::ZeroTimeout);
        }
        if self.retry.max_attempts == 0 {
            return Err(ConfigError::ZeroAttempts);
        }
        if self.retry.base_delay > self.retry.max_delay {
            return Err(ConfigError::RetryDelays {
                base: self.retry.base_delay,
                max: self.retry.max_delay,
            });
        }
        Ok(())
    }

    /// `{base}/{version}/`, the batch endpoint.
    pub(crate) fn batch_url(&self) -> Url {
        self.versioned(&self.base_url, "")
    }

    /// `{base}/{version}/{tail}`, keeping any path prefix of `base`.
    pub(crate) fn versioned(&self, base: &Url, tail: &str) -> Url {
        let mut url = base.clone();
        let prefix = url.path().trim_end_matches('/').to_owned();
        url.set_path(&format!("{prefix}/{}/{tail}", self.api_version));
        url
    }
}

fn is_version(v: &str) -> bool {
    let Some(rest) = v.strip_prefix('v') else {
        return false;
    };
    let mut parts = rest.split('.');
    let ok =
        |p: Option<&str>| p.is_some_and(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()));
    ok(parts.next()) && ok(parts.next()) && parts.next().is_none()
}

impl fmt::Debug for GraphConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GraphConfig")
            .field("base_url", &self.base_url.as_str())
            .field("dialog_base_url", &self.dialog_base_url.as_str())
            .field("api_version", &self.api_version)
            .field("app_id", &self.app_id)
            .field("app_secret", &"[redacted]")
            .field("timeout", &self.timeout)
            .field("connect_timeout", &self.connect_timeout)
            .field("retry", &self.retry)
            .field("max_rate_limit_wait", &self.max_rate_limit_wait)
            .finish()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("Graph and dialog base URLs must be http or https, not `{0}`")]
    BaseUrlScheme(String),
    #[error("a Graph or dialog base URL has no host")]
    BaseUrlHost,
    #[error("Graph and dialog base URLs must not carry a query or fragment")]
    BaseUrlQuery,
    #[error("Graph API version `{0}` is not of the form v<major>.<minor> (e.g. v24.0)")]
    ApiVersion(String),
    #[error("Meta app id `{0}` is not a numeric app id")]
    AppId(String),
    #[error("Meta app secret is empty")]
    EmptyAppSecret,
    #[error("timeouts must be greater than zero")]
    ZeroTimeout,
    #[error("retry policy needs at least one attempt")]
    ZeroAttempts,
    #[error("retry base delay {base:?} exceeds max delay {max:?}")]
    RetryDelays { base: Duration, max: Duration },
    #[error("could not build the HTTP client: {0}")]
    HttpClient(#[source] reqwest::Error),
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg() -> GraphConfig {
        GraphConfig::new("123", SecretString::from("s3cret"))
    }

    #[test]
    fn defaults_validate_and_build_the_batch_url() {
        let c = cfg();
        c.validate().unwrap();
        assert_eq!(c.batch_url().as_str(), "https://graph.facebook.com/v24.0/");
        let mut prefixed = cfg();
        prefixed.base_url = Url::parse("http://127.0.0.1:9/graph/").unwrap();
        assert_eq!(
            prefixed.batch_url().as_str(),
            "http://127.0.0.1:9/graph/v24.0/"
        );
    }

    #[test]
    fn bad_values_are_named() {
        let mut c = cfg();
        c.api_version = "24".into();
        assert!(matches!(c.validate(), Err(ConfigError::ApiVersion(_))));
        let mut c = cfg();
        c.app_id = "12|3".into();
        assert!(matches!(c.validate(), Err(ConfigError::AppId(_))));
        let mut c = cfg();
        c.app_secret = SecretString::from(" ");
        assert!(matches!(c.validate(), Err(ConfigError::EmptyAppSecret)));
        let mut c = cfg();
        c.base_url = Url::parse("ftp://x").unwrap();
        assert!(matches!(c.validate(), Err(ConfigError::BaseUrlScheme(_))));
        let mut c = cfg();
        c.dialog_base_url = Url::parse("http://127.0.0.1:9/?x=1").unwrap();
        assert!(matches!(c.validate(), Err(ConfigError::BaseUrlQuery)));
        let mut c = cfg();
        c.retry.max_attempts = 0;
        assert!(matches!(c.validate(), Err(ConfigError::ZeroAttempts)));
    }

    #[test]
    fn debug_redacts_the_secret() {
        let text = format!("{:?}", cfg());
        assert!(!text.contains("s3cret"));
        assert!(text.contains("[redacted]"));
    }

    #[test]
    fn backoff_grows_and_is_capped() {
        let p = RetryPolicy {
            max_attempts: 5,
            base_delay: Duration::from_millis(100),
            max_delay: Duration::from_millis(350),
            jitter: false,
        };
        assert_eq!(p.delay(1), Duration::from_millis(100));
        assert_eq!(p.delay(2), Duration::from_millis(200));
        assert_eq!(p.delay(3), Duration::from_millis(350));
        let j = RetryPolicy { jitter: true, ..p };
        for _ in 0..50 {
            let d = j.delay(2);
            assert!(d >= Duration::from_millis(100) && d <= Duration::from_millis(200));
        }
    }
}
