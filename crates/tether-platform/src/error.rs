//! Why a check or a token exchange did not happen. None of these is a verdict on a login's health.

use jiff::Timestamp;
use std::time::Duration;
use tether_core::{BrokenReason, PlatformError};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CheckError {
    /// The platform kept failing (outage, timeouts, unreadable replies) through every retry.
    #[error("the platform stayed unavailable after {attempts} attempt(s); last failure: {last}")]
    PlatformUnavailable { attempts: u32, last: String },
    /// The platform throttled the checker and did not recover within the configured wait.
    #[error("rate limited by the platform{}", match retry_after {
        Some(d) => format!("; access expected back in {}s", d.as_secs()),
        None => String::new(),
    })]
    RateLimited { retry_after: Option<Duration> },
    /// The checker's own app token or app secret was rejected. Fix the app id/secret; the user
    /// has nothing to do.
    #[error("the checker's app credentials were rejected (code {}: {}); fix the app id/secret", platform_error.code_text(), platform_error.message)]
    CheckerMisconfigured { platform_error: PlatformError },
    /// The platform answered with an error Tether does not know how to read; kept verbatim.
    #[error("unrecognized platform error (code {}): {}", platform_error.code_text(), platform_error.message)]
    UnrecognizedPlatformError { platform_error: PlatformError },
    /// A valid token that is not a user (or system-user) token: Page and app tokens list no
    /// Pages and carry no tasks, so there is nothing to diagnose with them.
    #[error(
        "this is a {token_type} access token; diagnose the user access token of the person who connected (Page tokens are derived from it)"
    )]
    NotAUserToken { token_type: String },
    /// The network cannot tell a token's scopes and the caller did not say what was granted.
    #[error("{network} cannot tell which permissions a token holds: {hint}")]
    GrantUnknown {
        network: &'static str,
        hint: &'static str,
    },
    /// The token given cannot be sent at all (empty, or holds whitespace/control characters).
    #[error("the token cannot be checked: {reason}")]
    InvalidToken { index: usize, reason: &'static str },
}

impl CheckError {
    /// A stable machine word for a failed check (`--tokens-from` lines, the API).
    pub fn kind(&self) -> &'static str {
        match self {
            CheckError::PlatformUnavailable { .. } => "platform_unavailable",
            CheckError::RateLimited { .. } => "rate_limited",
            CheckError::CheckerMisconfigured { .. } => "checker_misconfigured",
            CheckError::UnrecognizedPlatformError { .. } => "unrecognized_platform_error",
            CheckError::InvalidToken { .. } => "invalid_token",
            CheckError::NotAUserToken { .. } => "not_a_user_token",
            CheckError::GrantUnknown { .. } => "grant_unknown",
        }
    }
}

/// Why a token exchange or refresh failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OAuthError {
    /// The code (or the short-lived token being exchanged) was refused: used, expired, invalid,
    /// or issued for another `redirect_uri`. The person must go through the dialog again.
    #[error("the platform refused the authorization code: {message}; start the login again")]
    CodeRejected { message: String },
    /// The app id or app secret was rejected. Fix the checker's configuration; the person has
    /// nothing to do.
    #[error("the checker's app credentials were rejected (code {}: {}); fix the app id/secret", platform_error.code_text(), platform_error.message)]
    CheckerMisconfigured { platform_error: PlatformError },
    /// Outage, timeouts or unreadable replies through every retry.
    #[error("the platform stayed unavailable after {attempts} attempt(s); last failure: {last}")]
    PlatformUnavailable { attempts: u32, last: String },
    #[error("rate limited by the platform{}", match retry_after {
        Some(d) => format!("; access expected back in {}s", d.as_secs()),
        None => String::new(),
    })]
    RateLimited { retry_after: Option<Duration> },
    /// The platform refused the person's login itself (a security checkpoint, an unconfirmed
    /// account, a password changed during the flow, a token that lapsed before its refresh):
    /// going through the dialog again does not help until the person deals with `reason`.
    #[error("the platform refused this person's login ({reason:?}): {}", platform_error.message)]
    PersonRefused {
        reason: BrokenReason,
        platform_error: PlatformError,
    },
    /// A refresh the platform refused because the grant can no longer be refreshed (expired,
    /// revoked): the person must connect again. `until` is when the grant lapsed, if known.
    #[error("the platform refused to refresh the token: {}", platform_error.message)]
    RefreshRefused {
        platform_error: PlatformError,
        until: Option<Timestamp>,
    },
    /// This network does not refresh tokens.
    #[error("this network's tokens are not refreshed")]
    RefreshNotSupported,
    /// An error Tether does not know how to read, kept verbatim.
    #[error("unrecognized platform error on the token exchange (code {}): {}", platform_error.code_text(), platform_error.message)]
    Unrecognized { platform_error: PlatformError },
}
