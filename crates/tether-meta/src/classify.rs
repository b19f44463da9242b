//! What a Graph error means for connection health (docs/PLATFORMS.md 1.7), decided by code and
//! subcode first and by message where recorded responses carry no subcode.
//!
//! The guiding rule: only an error that is unambiguously about the user's token may turn a login
//! red. Throttling, outages, and anything we do not recognise must not.

use crate::usage::Usage;
use crate::wire::GraphError;
use std::time::Duration;
use tether_core::BrokenReason;

/// Which token the failing call was made with. A 190 on the app token is the checker's own
/// credential failing, never the user's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenUsed {
    App,
    User,
    Page,
}

/// The rate-limit bucket an error code belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RateBucket {
    /// Code 4: the app's platform budget.
    App,
    /// Code 17: one user's budget.
    User,
    /// Code 32: Page-level throttling with a user token.
    Page,
    /// Code 341: application limit.
    ApplicationLimit,
    /// Code 613: custom (per-endpoint) throttling.
    Custom,
    /// Codes 80000–80014: Business Use Case limits.
    BusinessUseCase { code: i64 },
}

impl RateBucket {
    /// The BUC type name Meta uses for a code (secondary sources, docs/PLATFORMS.md 1.7).
    pub fn business_use_case_type(self) -> Option<&'static str> {
        let RateBucket::BusinessUseCase { code } = self else {
            return None;
        };
        Some(match code {
            80000 => "ads_insights",
            80001 => "pages",
            80002 => "instagram",
            80004 => "ads_management",
            80005 => "leadgen",
            80006 => "messenger",
            80008 => "whatsapp",
            80009 | 80014 => "catalog",
            _ => return None,
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Classification {
    /// The user's token no longer works.
    LoginBroken(BrokenReason),
    /// Codes 10 and 200–299 (and a 100 naming a permission).
    MissingPermission { permission: Option<String> },
    /// The person lost their role on, or access to, the object.
    AssetAccess,
    /// Code 3: the app lacks the capability (App Review, feature).
    AppFeatureMissing,
    /// Code 368: temporarily blocked for policy reasons.
    AccountRestricted,
    RateLimited {
        retry_after: Option<Duration>,
        bucket: RateBucket,
    },
    /// Worth retrying: outages, timeouts, unreadable bodies.
    Transient,
    /// The checker's own app token or secret was rejected: never the user's fault.
    CheckerMisconfigured,
    /// A valid refusal of this particular request, unrelated to connection health.
    RequestRejected,
    /// Kept verbatim; never turns an account red.
    Unrecognized { code: i64, subcode: Option<i64> },
}

/// Phrases that mean the checker's app credential or proof is wrong, whatever the code.
const CHECKER_PHRASES: &[&str] = &[
    "invalid appsecret_proof",
    "appsecret_proof argument",
    "requires either app secret proof or an app token",
    "must provide an app access token",
    "debug only access token",
];

/// A permission error that says the person's data is withheld because they have not been active:
/// the 90-day data-access window closed ("(#200) Access to this data is temporarily disabled for
/// non-active accounts ...", recorded in pxdl/fbpages-telegram-bot issue #9 and
/// tobilg/facebook-events-by-location-core issue #29). Only logging in again reopens it.
const DATA_ACCESS_PHRASES: &[&str] = &["disabled for non-active accounts"];

/// 190 messages seen without a subcode, mapped to the reason the subcode would have given.
const BROKEN_PHRASES: &[(&str, BrokenReason)] = &[
    ("changed their password", BrokenReason::PasswordChanged),
    ("session has expired", BrokenReason::Expired),
    ("has expired", BrokenReason::Expired),
    ("invalidated explicitly", BrokenReason::SessionInvalidated),
    ("user logged out", BrokenReason::LoggedOut),
    ("not a confirmed user", BrokenReason::UnconfirmedUser),
    ("app not installed", BrokenReason::AppRemoved),
    ("app is no longer installed", BrokenReason::AppRemoved),
    ("has not authorized application", BrokenReason::AppRemoved),
    ("log in to www.facebook.com", BrokenReason::Checkpoint),
    ("checkpoint", BrokenReason::Checkpoint),
    ("has not used the app", BrokenReason::Inactive),
    // 190/493 as recorded without its subcode (hello.js issue #548, 2018).
    ("hasn't engaged the app", BrokenReason::DataAccessExpired),
    ("cannot parse access token", BrokenReason::Unreadable),
    ("could not be decrypted", BrokenReason::Unreadable),
    (
        "invalid oauth access token signature",
        BrokenReason::Unreadable,
    ),
    ("malformed access token", BrokenReason::Unreadable),
    ("is malformed", BrokenReason::Unreadable),
];

fn broken_by_subcode(subcode: i64) -> Option<BrokenReason> {
    Some(match subcode {
        458 => BrokenReason::AppRemoved,
        459 => BrokenReason::Checkpoint,
        460 => BrokenReason::PasswordChanged,
        463 => BrokenReason::Expired,
        464 => BrokenReason::UnconfirmedUser,
        466 => BrokenReason::SessionInvalidated,
        467 => BrokenReason::LoggedOut,
        468 => BrokenReason::Inactive,
        // "The access token is invalid since the user hasn't engaged the app in longer than 90
        // days." (MrSwitch/hello.js issue #548): the data-access window, not the token, lapsed.
        493 => BrokenReason::DataAccessExpired,
        _ => return None,
    })
}

/// Classifies a Graph error. `usage` is what the usage headers of the same response said; it
/// supplies the wait of a rate limit.
pub fn classify(err: &GraphError, token: TokenUsed, usage: Option<&Usage>) -> Classification {
    let msg = err.message.to_ascii_lowercase();
    let has = |p: &str| msg.contains(p);

    if CHECKER_PHRASES.iter().any(|p| has(p)) {
        return Classification::CheckerMisconfigured;
    }
    if matches!(err.code, 10 | 200..=299) && DATA_ACCESS_PHRASES.iter().any(|p| has(p)) {
        return Classification::LoginBroken(BrokenReason::DataAccessExpired);
    }
    match err.code {
        190 | 102 if token == TokenUsed::App => Classification::CheckerMisconfigured,
        190 | 102 => classify_session(err, &msg),
        10 | 200..=299 => Classification::MissingPermission {
            permission: permission_named_in(&err.message),
        },
        3 => Classification::AppFeatureMissing,
        368 => Classification::AccountRestricted,
        4 | 17 | 32 | 341 | 613 | 80000..=80014 => Classification::RateLimited {
            retry_after: usage.and_then(Usage::regain_access_after),
            bucket: match err.code {
                4 => RateBucket::App,
                17 => RateBucket::User,
                32 => RateBucket::Page,
                341 => RateBucket::ApplicationLimit,
                613 => RateBucket::Custom,
                code => RateBucket::BusinessUseCase { code },
            },
        },
        1 if err.is_transient == Some(false) && err.error_subcode.is_some() => {
            // A non-transient "unknown error" with a subcode is the platform refusing this
            // request's content (e.g. 1965014), not an outage.
            Classification::RequestRejected
        }
        1 | 2 => Classification::Transient,
        100 => classify_100(err, &msg),
        506 | 1609005 => Classification::RequestRejected,
        code => Classification::Unrecognized {
            code,
            subcode: err.error_subcode,
        },
    }
}

fn classify_session(err: &GraphError, msg: &str) -> Classification {
    if err.error_subcode == Some(492)
        || msg.contains("in order to impersonate")
        || msg.contains("must be granted before impersonating")
    {
        return Classification::AssetAccess;
    }
    if let Some(reason) = err.error_subcode.and_then(broken_by_subcode) {
        return Classification::LoginBroken(reason);
    }
    let reason = BROKEN_PHRASES
        .iter()
        .find(|(p, _)| msg.contains(p))
        .map_or(BrokenReason::Unknown, |(_, r)| *r);
    Classification::LoginBroken(reason)
}

fn classify_100(err: &GraphError, msg: &str) -> Classification {
    if let Some(permission) = permission_named_in(&err.message) {
        return Classification::MissingPermission {
            permission: Some(permission),
        };
    }
    if err.error_subcode == Some(33)
        || (msg.contains("does not exist") && msg.contains("missing permission"))
    {
        return Classification::AssetAccess;
    }
    Classification::Unrecognized {
        code: err.code,
        subcode: err.error_subcode,
    }
}

/// Permission names that may appear in error messages (docs/PLATFORMS.md 1.5).
const KNOWN_PERMISSIONS: &[&str] = &[
    "pages_show_list",
    "pages_read_engagement",
    "pages_read_user_content",
    "pages_manage_posts",
    "pages_manage_engagement",
    "pages_manage_metadata",
    "pages_messaging",
    "pages_manage_ads",
    "pages_manage_cta",
    "pages_manage_instant_articles",
    "pages_events",
    "pages_user_gender",
    "pages_user_locale",
    "pages_user_timezone",
    "read_insights",
    "publish_video",
    "leads_retrieval",
    "ads_management",
    "ads_read",
    "business_management",
    "catalog_management",
    "instagram_basic",
    "instagram_content_publish",
    "instagram_manage_comments",
    "instagram_manage_insights",
    "instagram_manage_messages",
    "instagram_shopping_tag_products",
    "groups_access_member_info",
    "publish_to_groups",
    "manage_pages",
    "publish_pages",
    "publish_actions",
    "email",
];

/// The first permission an error message names: a quoted word followed by "permission"
/// (`requires the 'pages_read_engagement' permission`), else the first catalogue name in it
/// (`has NOT granted ads_management or ads_read`).
pub fn permission_named_in(message: &str) -> Option<String> {
    let lower = message.to_ascii_lowercase();
    let words: Vec<&str> = lower
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '\''))
        .filter(|w| !w.is_empty())
        .collect();
    for pair in words.windows(2) {
        let quoted = pair[0].trim_matches('\'');
        if pair[0].starts_with('\'')
            && pair[0].ends_with('\'')
            && pair[1].starts_with("permission")
            && quoted.contains('_')
        {
            return Some(quoted.to_owned());
        }
    }
    words
        .iter()
        .map(|w| w.trim_matches('\''))
        .find(|w| KNOWN_PERMISSIONS.contains(w) && *w != "email")
        .map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;

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
    fn subcodes_map_to_reasons() {
        for (sub, reason) in [
            (458, BrokenReason::AppRemoved),
            (459, BrokenReason::Checkpoint),
            (460, BrokenReason::PasswordChanged),
            (463, BrokenReason::Expired),
            (464, BrokenReason::UnconfirmedUser),
            (466, BrokenReason::SessionInvalidated),
            (467, BrokenReason::LoggedOut),
            (468, BrokenReason::Inactive),
            (493, BrokenReason::DataAccessExpired),
        ] {
            assert_eq!(
                classify(&err(190, Some(sub), "x"), TokenUsed::User, None),
                Classification::LoginBroken(reason)
            );
        }
        assert_eq!(
            classify(
                &err(102, None, "Session key invalid"),
                TokenUsed::User,
                None
            ),
            Classification::LoginBroken(BrokenReason::Unknown)
        );
    }

    #[test]
    fn closed_data_access_is_read_as_such() {
        let refused = err(
            200,
            None,
            "(#200) Access to this data is temporarily disabled for non-active accounts due to changes we are making to the Facebook Platform",
        );
        assert_eq!(
            classify(&refused, TokenUsed::User, None),
            Classification::LoginBroken(BrokenReason::DataAccessExpired)
        );
        let unengaged = err(
            190,
            None,
            "The access token is invalid since the user hasn't engaged the app in longer than 90 days.",
        );
        assert_eq!(
            classify(&unengaged, TokenUsed::User, None),
            Classification::LoginBroken(BrokenReason::DataAccessExpired)
        );
        // Any other permission error stays a permission error.
        assert_eq!(
            classify(
                &err(200, None, "(#200) Permissions error"),
                TokenUsed::User,
                None
            ),
            Classification::MissingPermission { permission: None }
        );
    }

    #[test]
    fn app_token_failures_are_the_checkers() {
        assert_eq!(
            classify(&err(190, Some(460), "x"), TokenUsed::App, None),
            Classification::CheckerMisconfigured
        );
        assert_eq!(
            classify(
                &err(
                    100,
                    None,
                    "Invalid appsecret_proof provided in the API argument"
                ),
                TokenUsed::User,
                None
            ),
            Classification::CheckerMisconfigured
        );
    }

    #[test]
    fn role_problems_are_not_broken_tokens() {
        assert_eq!(
            classify(&err(190, Some(492), "x"), TokenUsed::User, None),
            Classification::AssetAccess
        );
        let m = "The user must be an administrator of the page in order to impersonate it.";
        assert_eq!(
            classify(&err(190, None, m), TokenUsed::Page, None),
            Classification::AssetAccess
        );
    }

    #[test]
    fn rate_limits_carry_the_regain_time() {
        let usage = Usage::from_pairs([(
            "x-business-use-case-usage",
            r#"{"1":[{"type":"pages","estimated_time_to_regain_access":5}]}"#,
        )]);
        assert_eq!(
            classify(&err(80001, None, "x"), TokenUsed::Page, Some(&usage)),
            Classification::RateLimited {
                retry_after: Some(Duration::from_secs(300)),
                bucket: RateBucket::BusinessUseCase { code: 80001 }
            }
        );
        assert_eq!(
            RateBucket::BusinessUseCase { code: 80002 }.business_use_case_type(),
            Some("instagram")
        );
        assert_eq!(
            classify(&err(17, None, "x"), TokenUsed::User, None),
            Classification::RateLimited {
                retry_after: None,
                bucket: RateBucket::User
            }
        );
    }

    #[test]
    fn permission_names_are_extracted() {
        assert_eq!(
            permission_named_in(
                "(#10) This endpoint requires the 'pages_read_engagement' permission"
            )
            .as_deref(),
            Some("pages_read_engagement")
        );
        assert_eq!(
            permission_named_in(
                "(#200) Ad account owner has NOT granted ads_management or ads_read permission."
            )
            .as_deref(),
            Some("ads_management")
        );
        assert_eq!(
            permission_named_in("requires the 'some_new_scope' permission").as_deref(),
            Some("some_new_scope")
        );
        assert_eq!(permission_named_in("(#200) Permissions error"), None);
    }

    #[test]
    fn unknown_codes_stay_unrecognized() {
        assert_eq!(
            classify(&err(999, Some(7), "x"), TokenUsed::User, None),
            Classification::Unrecognized {
                code: 999,
                subcode: Some(7)
            }
        );
        assert_eq!(
            classify(&err(100, None, "Invalid parameter"), TokenUsed::User, None),
            Classification::Unrecognized {
                code: 100,
                subcode: None
            }
        );
    }
}
