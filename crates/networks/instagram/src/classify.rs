//! What an Instagram Login error means (docs/PLATFORMS-2.md 1.6). Codes and subcodes decide;
//! messages only where the code alone cannot (190's kinds), since observed wordings differ from
//! the documented ones.

use crate::wire::IgError;
use tether_core::BrokenReason;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Class {
    /// The token no longer works, for this reason.
    Broken(BrokenReason),
    /// 190 without a reason ("Invalid OAuth 2.0 Access Token": invalid, expired or revoked, not
    /// distinguishable): expired if the token's own dates say so, else invalidated.
    BrokenUnsure,
    /// The call is not covered by the token's scopes (unconfirmed wording for Instagram Login).
    PermissionMissing,
    /// The account is restricted or checkpointed (2207050) or spam-restricted (2207051).
    Restricted,
    /// Retry: outage, `is_transient`, unknown errors 1 and 2.
    Transient,
    /// Throttled (4, 17, 32, 613 without an Instagram subcode).
    RateLimited,
    /// Publishing quota reached (9/2207042): time-bound, not a connection problem.
    QuotaReached,
    /// The app's client id or secret was refused.
    CheckerMisconfigured,
    /// The authorization code was used, expired or issued for another redirect.
    CodeRejected,
    /// "Unsupported request - method type": a wrong route or method, and also reported for a
    /// refresh of a timed-out token; 24/2207006, a media "not found" that may be a missing
    /// permission or an expired token. Never a verdict without a `/me` probe.
    Ambiguous,
    /// A content error or anything else: not about the connection.
    Other,
}

pub fn classify(e: &IgError) -> Class {
    let msg = e.message.to_ascii_lowercase();
    match (e.code, e.subcode) {
        (190, _) => {
            if msg.contains("session has expired") {
                Class::Broken(BrokenReason::Expired)
            } else if msg.contains("changed their password")
                || msg.contains("session has been invalidated")
            {
                Class::Broken(BrokenReason::PasswordChanged)
            } else if msg.contains("logged out") {
                Class::Broken(BrokenReason::LoggedOut)
            } else {
                Class::BrokenUnsure
            }
        }
        (_, Some(2207050)) | (_, Some(2207051)) => Class::Restricted,
        (9, Some(2207042)) => Class::QuotaReached,
        // "Possible permission error due to missing permission or expired token": re-verify the
        // token before reading it as a content error.
        (24, Some(2207006)) => Class::Ambiguous,
        (10, _) | (200..=299, _) => Class::PermissionMissing,
        (4 | 17 | 32 | 613, _) => Class::RateLimited,
        (1 | 2, _) => Class::Transient,
        _ if e.is_transient => Class::Transient,
        (100, _) if msg.starts_with("unsupported request") => Class::Ambiguous,
        (101, _) => Class::CheckerMisconfigured,
        (400, _) if msg.contains("matching code") || msg.contains("verification code") => {
            Class::CodeRejected
        }
        (400, _) if msg.contains("client secret") || msg.contains("invalid platform app") => {
            Class::CheckerMisconfigured
        }
        _ => Class::Other,
    }
}
