//! What a TikTok error means (docs/PLATFORMS-2.md 4.3 and 4.6). The `error.code` word decides,
//! whatever the HTTP status (several refusals arrive with HTTP 200); the status only where the body
//! has no word; OAuth descriptions only where the word is too coarse (`invalid_request`).

use crate::wire::TtError;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Class {
    /// `access_token_invalid`: "The access token is invalid or not found in the request" (401).
    /// Expired, revoked and unknown tokens all answer it; the caller tells them apart by the
    /// token's dates (docs/PLATFORMS-2.md 4.3: "refresh once, then token_invalidated").
    TokenInvalid,
    /// `scope_not_authorized` (401) or `scope_permission_missed` (400): the creator did not grant
    /// the scope the call needs.
    ScopeMissing,
    /// The creator may not post now: `spam_risk_too_many_posts` (the daily post cap),
    /// `spam_risk_user_banned_from_posting`, `spam_risk_too_many_pending_share`.
    CreatorCannotPost,
    /// The app's own limit, for its team: `unaudited_client_can_only_post_to_private_accounts`,
    /// `reached_active_user_cap` (the app's daily cap of posting users), `url_ownership_unverified`.
    AppLimited,
    /// `internal_error` (500), `server_error`, `temporarily_unavailable`, any 5xx: retry later.
    Transient,
    /// `rate_limit_exceeded` (429).
    RateLimited,
    /// `invalid_client`, `unauthorized_client`: the app's client key or secret.
    CheckerMisconfigured,
    /// The authorization code was used, expired or issued for another redirect.
    CodeRejected,
    /// `invalid_grant` on a refresh, or a refresh token the request names as bad.
    GrantRefused,
    /// A refusal of that request only (`invalid_params`, `invalid_file_upload`,
    /// `privacy_level_option_mismatch`, `invalid_publish_id`, ...): says nothing about health.
    RequestRejected,
    /// Anything else, kept verbatim; never a verdict.
    Other,
}

pub fn classify(e: &TtError, http_status: Option<u16>) -> Class {
    let msg = e.message.to_ascii_lowercase();
    match e.code.as_str() {
        "access_token_invalid" => Class::TokenInvalid,
        "scope_not_authorized" | "scope_permission_missed" => Class::ScopeMissing,
        "spam_risk_too_many_posts"
        | "spam_risk_user_banned_from_posting"
        | "spam_risk_too_many_pending_share" => Class::CreatorCannotPost,
        "unaudited_client_can_only_post_to_private_accounts"
        | "reached_active_user_cap"
        | "url_ownership_unverified" => Class::AppLimited,
        "rate_limit_exceeded" => Class::RateLimited,
        "internal_error" | "server_error" | "temporarily_unavailable" => Class::Transient,
        "invalid_client" | "unauthorized_client" => Class::CheckerMisconfigured,
        "invalid_grant" if msg.contains("authorization code") || msg.contains("code is") => {
            Class::CodeRejected
        }
        "invalid_grant" => Class::GrantRefused,
        "invalid_request" if msg.contains("refresh") => Class::GrantRefused,
        "invalid_request" if msg.contains("redirect") || msg.contains("code") => {
            Class::CodeRejected
        }
        "invalid_params"
        | "invalid_file_upload"
        | "privacy_level_option_mismatch"
        | "token_not_authorized_for_specified_publish_id"
        | "invalid_publish_id"
        | "invalid_request"
        | "invalid_scope"
        | "unsupported_grant_type"
        | "unsupported_response_type"
        | "access_denied" => Class::RequestRejected,
        _ => match http_status {
            Some(429) => Class::RateLimited,
            Some(s) if s >= 500 => Class::Transient,
            _ => Class::Other,
        },
    }
}
