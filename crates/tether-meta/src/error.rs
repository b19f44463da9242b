//! Why a login could not be checked. None of these is a verdict on the login's health.

use std::time::Duration;
use tether_core::PlatformError;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CheckError {
    /// The platform kept failing (outage, timeouts, unreadable replies) through every retry.
    #[error("the Graph API stayed unavailable after {attempts} attempt(s); last failure: {last}")]
    PlatformUnavailable { attempts: u32, last: String },
    /// The platform throttled the checker and did not recover within the configured wait.
    #[error("rate limited by the Graph API{}", match retry_after {
        Some(d) => format!("; access expected back in {}s", d.as_secs()),
        None => String::new(),
    })]
    RateLimited { retry_after: Option<Duration> },
    /// The checker's own app token or app secret was rejected. Fix the app id/secret; the user
    /// has nothing to do.
    #[error("the checker's Meta app credentials were rejected (code {}: {}); fix the app id/secret", platform_error.code, platform_error.message)]
    CheckerMisconfigured { platform_error: PlatformError },
    /// The `me` call failed with an error Tether does not know how to read; kept verbatim.
    #[error("unrecognized Graph error (code {}): {}", platform_error.code_text(), platform_error.message)]
    UnrecognizedPlatformError { platform_error: PlatformError },
    /// A valid token that is not a user (or system-user) token: Page and app tokens list no
    /// Pages and carry no tasks, so there is nothing to diagnose with them.
    #[error(
        "this is a {token_type} access token; diagnose the user access token of the person who connected (Page tokens are derived from it)"
    )]
    NotAUserToken { token_type: String },
    /// The token given cannot be sent at all (empty, or holds whitespace/control characters).
    #[error("the token cannot be checked: {reason}")]
    InvalidToken { index: usize, reason: &'static str },
}
