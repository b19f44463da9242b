//! What a Pinterest error means (docs/PLATFORMS-2.md 3.4, 3.5; fixtures/pinterest). HTTP 429 and
//! 5xx decide first (the spec gives code 30 both to "User not found." and to a rate limit); then
//! Pinterest's own code; the message only where one code means two things (code 3).

use crate::wire::PinError;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Class {
    /// Code 2 "Authentication failed." (HTTP 401): the token no longer authenticates. Pinterest
    /// does not say why (expired, the app removed from the account, a sandbox token on
    /// production; docs/PLATFORMS-2.md 3.6).
    AuthFailed,
    /// Code 3 "Your token does not have sufficient permissions ...": the token works, a scope the
    /// call needs is not in it. The body does not name the scope.
    ScopeMissing,
    /// The app's access tier refused the call, never the person's doing: code 29 ("You are not
    /// permitted to access that resource.", "Apps with Trial access may not create Pins in
    /// production ...") and code 3 "... does not have access to this restricted feature: ...".
    AppAccess,
    /// 403 "Not authorized to access the user account[ analytics]." (the spec puts 403 in
    /// `code`): no source says when; not a verdict.
    NotAuthorized,
    /// Code 7 "Not authorized to access board or Pin.": that board or Pin only.
    ObjectRefused,
    /// Code 654 "You must have a business account to operate as merchant.": a PINNER account.
    BusinessAccountRequired,
    /// Codes 2625 (merchant disapproved) and 2626 (under review).
    AccountRestricted,
    /// Code 8, or HTTP 429 whatever the code.
    RateLimited,
    /// HTTP 5xx: retried, never a verdict.
    Transient,
    /// Code 283 "The authorization grant is invalid" (token endpoint): the code or refresh token
    /// was refused.
    GrantInvalid,
    /// A request the API rejects (bad parameters, not found, method not allowed): says nothing
    /// about the connection.
    RequestRejected,
    /// Anything else, including code 3 with a message that is neither a scope nor a feature (the
    /// v1 "Authorization failed."): kept verbatim, never a verdict.
    Unrecognized,
}

/// `http_status`: the status the body came with, when known (`None` for an error the product
/// reported without it).
pub fn classify(e: &PinError, http_status: Option<u16>) -> Class {
    if http_status == Some(429) {
        return Class::RateLimited;
    }
    if http_status.is_some_and(|s| s >= 500) {
        return Class::Transient;
    }
    let msg = e.message.to_ascii_lowercase();
    match e.code {
        // Code 2 is also the spec's "AdAccount not found." (an example of `Pinterest.Lib.Error`):
        // only the 401 or the authentication message is a broken token.
        2 if http_status == Some(401) || msg.starts_with("authentication failed") => {
            Class::AuthFailed
        }
        2 => match http_status {
            Some(_) => Class::RequestRejected,
            None => Class::Unrecognized,
        },
        3 if msg.contains("restricted feature")
            || msg.contains("trial access")
            || msg.contains("standard access") =>
        {
            Class::AppAccess
        }
        3 if msg.contains("sufficient permissions") || msg.contains("scopes") => {
            Class::ScopeMissing
        }
        29 => Class::AppAccess,
        8 => Class::RateLimited,
        7 => Class::ObjectRefused,
        654 => Class::BusinessAccountRequired,
        2625 | 2626 => Class::AccountRestricted,
        283 => Class::GrantInvalid,
        403 if msg.starts_with("not authorized to access the user account") => Class::NotAuthorized,
        // Parameters, not found, conflicts, method not allowed: the request's own refusal.
        1 | 5 | 30 | 40 | 50 | 400 | 403 | 404 | 405 | 409 | 422 => Class::RequestRejected,
        _ => match http_status {
            // An unknown refusal of the token (401) or a 403 with an unknown code is not read as
            // a verdict; other 4xx are the request's own.
            Some(401 | 403) | None => Class::Unrecognized,
            Some(s) if (400..500).contains(&s) => Class::RequestRejected,
            Some(_) => Class::Unrecognized,
        },
    }
}
