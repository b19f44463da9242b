//! Every Pinterest sample in fixtures/pinterest (at the repository's root), parsed with the right
//! reader and classified as docs/PLATFORMS-2.md 3.5 says, and read the way a product's reported
//! error is. A file the table does not name fails the test, so new samples cannot be skipped
//! silently.

use std::collections::BTreeSet;
use tether_core::{BrokenReason, ObservedKind};
use tether_pinterest::classify::{Class, classify};
use tether_pinterest::wire::{parse_error, parse_token_reply, scopes};
use tether_platform::{AppConfig, Network, Reported};

const DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../fixtures/pinterest");

fn read(name: &str) -> String {
    std::fs::read_to_string(format!("{DIR}/{name}")).unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// The class of an error body that came with `status` (the file name's HTTP status, if any).
fn class(body: &str, status: Option<u16>) -> Class {
    classify(&parse_error(body).expect("an error body"), status)
}

/// What the client makes of the body when the product reports it (no HTTP status).
fn reported(body: &str) -> Reported {
    let net = tether_pinterest::PinterestNetwork::new(AppConfig {
        client_id: "1".into(),
        client_secret: secrecy::SecretString::from("s".to_owned()),
        api_url: Some("http://127.0.0.1:9/".parse().unwrap()),
        dialog_url: None,
        timeout: None,
        verify_token: None,
        catalog: None,
    })
    .unwrap();
    net.read_reported_error(&serde_json::from_str(body).unwrap(), false)
        .unwrap()
}

type Check = fn(&str);

const TABLE: &[(&str, Check)] = &[
    ("pinterest_v5_authentication_failed_401.json", |b| {
        assert_eq!(class(b, Some(401)), Class::AuthFailed);
        assert_eq!(class(b, None), Class::AuthFailed);
        let e = parse_error(b).unwrap();
        assert_eq!(e.to_platform_error(Some(401)).code_text(), "2");
        assert!(matches!(
            reported(b),
            Reported::LoginBroken {
                reason: BrokenReason::Unknown,
                ..
            }
        ));
    }),
    ("pinterest_v5_authentication_failed_2_401_spec.json", |b| {
        assert_eq!(class(b, Some(401)), Class::AuthFailed);
    }),
    ("pinterest_v5_insufficient_scopes_3_401_spec.json", |b| {
        assert_eq!(class(b, Some(401)), Class::ScopeMissing);
        // The body names no scope: the check that follows tells which.
        assert_eq!(reported(b), Reported::Unrecognized);
    }),
    (
        "pinterest_v5_restricted_feature_pin_search_3_401.json",
        |b| {
            // Code 3 again, but the app's tier: never the person's scopes.
            assert_eq!(class(b, Some(401)), Class::AppAccess);
            assert!(matches!(
                reported(b),
                Reported::Problem {
                    kind: ObservedKind::AppFeatureMissing,
                    ..
                }
            ));
        },
    ),
    ("pinterest_v5_not_permitted_29_403_spec.json", |b| {
        assert_eq!(class(b, Some(403)), Class::AppAccess);
        assert!(matches!(
            reported(b),
            Reported::Problem {
                kind: ObservedKind::AppFeatureMissing,
                ..
            }
        ));
    }),
    ("pinterest_v5_trial_access_create_pin_29.json", |b| {
        assert_eq!(class(b, None), Class::AppAccess);
        assert_eq!(class(b, Some(403)), Class::AppAccess);
        match reported(b) {
            Reported::Problem {
                kind: ObservedKind::AppFeatureMissing,
                error,
            } => {
                assert_eq!(error.code, "29");
                assert!(error.message.starts_with("Apps with Trial access"));
            }
            other => panic!("{other:?}"),
        }
    }),
    (
        "pinterest_v5_user_account_not_authorized_403_spec.json",
        |b| {
            assert_eq!(class(b, Some(403)), Class::NotAuthorized);
            assert_eq!(reported(b), Reported::Unrecognized);
        },
    ),
    (
        "pinterest_v5_user_account_analytics_not_authorized_403_spec.json",
        |b| {
            assert_eq!(class(b, Some(403)), Class::NotAuthorized);
        },
    ),
    (
        "pinterest_v5_board_or_pin_not_authorized_7_401_spec.json",
        |b| {
            // A 401, but about one board or Pin: never a broken token.
            assert_eq!(class(b, Some(401)), Class::ObjectRefused);
            assert_eq!(reported(b), Reported::RequestRejected);
        },
    ),
    ("pinterest_v5_pin_not_found_50_404_spec.json", |b| {
        assert_eq!(class(b, Some(404)), Class::RequestRejected);
        assert_eq!(reported(b), Reported::RequestRejected);
    }),
    ("pinterest_v5_rate_limited_8_429_spec.json", |b| {
        assert_eq!(class(b, Some(429)), Class::RateLimited);
        assert_eq!(class(b, None), Class::RateLimited);
        assert_eq!(reported(b), Reported::Transient);
    }),
    (
        "pinterest_v5_rate_limited_8_429_write_window_spec.json",
        |b| {
            assert_eq!(class(b, Some(429)), Class::RateLimited);
        },
    ),
    ("pinterest_v5_rate_limited_30_429_spec.json", |b| {
        // Code 30 is also "User not found." (404): the HTTP status decides.
        assert_eq!(class(b, Some(429)), Class::RateLimited);
        assert_eq!(class(b, Some(404)), Class::RequestRejected);
    }),
    (
        "pinterest_v5_endpoint_ramped_down_4197_503_spec.json",
        |b| {
            assert_eq!(class(b, Some(503)), Class::Transient);
        },
    ),
    ("pinterest_v5_method_not_allowed_5_405_spec.json", |b| {
        // The older envelope (status, data, endpoint_name) on a v5 answer.
        let e = parse_error(b).unwrap();
        assert_eq!(e.code, 5);
        assert_eq!(e.message, "Method not allowed");
        assert_eq!(class(b, Some(405)), Class::RequestRejected);
    }),
    (
        "pinterest_v5_business_account_required_654_403_spec.json",
        |b| {
            assert_eq!(class(b, Some(403)), Class::BusinessAccountRequired);
            // No finding says "not a business account" on Pinterest: never red.
            assert_eq!(reported(b), Reported::Unrecognized);
        },
    ),
    (
        "pinterest_v5_merchant_disapproved_2625_403_spec.json",
        |b| {
            assert_eq!(class(b, Some(403)), Class::AccountRestricted);
            assert!(matches!(
                reported(b),
                Reported::Problem {
                    kind: ObservedKind::AccountRestricted,
                    ..
                }
            ));
        },
    ),
    (
        "pinterest_v5_merchant_under_review_2626_403_spec.json",
        |b| {
            assert_eq!(class(b, Some(403)), Class::AccountRestricted);
        },
    ),
    ("pinterest_v1_authorization_failed_401_legacy.json", |b| {
        // v1's code 3 "Authorization failed.": in v5 code 3 is a scope or a feature, and this
        // message is neither. Not a verdict.
        assert_eq!(class(b, Some(401)), Class::Unrecognized);
        assert_eq!(reported(b), Reported::Unrecognized);
    }),
    ("pinterest_v5_refresh_invalid_grant_283_401.json", |b| {
        assert_eq!(class(b, Some(401)), Class::GrantInvalid);
        // Not a token-health answer when the product reports it.
        assert_eq!(reported(b), Reported::Unrecognized);
    }),
    ("pinterest_v1_oauth_invalid_grant_283_legacy.json", |b| {
        assert_eq!(class(b, None), Class::GrantInvalid);
        // Token endpoint replies are not token replies.
        assert!(parse_token_reply(b).is_none());
    }),
];

#[test]
fn every_sample_reads_and_classifies() {
    for (name, check) in TABLE {
        check(&read(name));
    }
}

#[test]
fn the_table_names_every_sample() {
    let named: BTreeSet<&str> = TABLE.iter().map(|(n, _)| *n).collect();
    let on_disk: BTreeSet<String> = std::fs::read_dir(DIR)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n != "SOURCES.md")
        .collect();
    let missing: Vec<&String> = on_disk
        .iter()
        .filter(|n| !named.contains(n.as_str()))
        .collect();
    assert!(missing.is_empty(), "samples no row reads: {missing:?}");
}

#[test]
fn scopes_read_in_both_of_pinterests_spellings() {
    assert_eq!(
        scopes("boards:read,pins:read user_accounts:read, pins:read"),
        ["boards:read", "pins:read", "user_accounts:read"]
    );
}

#[test]
fn token_replies_read_numbers_sent_as_text() {
    // The shape of the spec's `OauthAccessTokenResponseRefresh` (no real body was found: see
    // fixtures/pinterest/SOURCES.md), with `expires_in` as text the way a mock in Pinterest's own
    // quickstart sends it.
    let t = parse_token_reply(
        r#"{"access_token":"pina_x","refresh_token":"pinr.y","response_type":"refresh_token","token_type":"bearer","expires_in":"2592000","refresh_token_expires_in":5184000,"refresh_token_expires_at":1767225600,"scope":"boards:read pins:read"}"#,
    )
    .unwrap();
    assert_eq!(t.expires_in, Some(2_592_000));
    assert_eq!(t.refresh_token.as_deref(), Some("pinr.y"));
    assert_eq!(t.refresh_token_expires_at, Some(1_767_225_600));
    assert_eq!(
        scopes(t.scope.as_deref().unwrap()),
        ["boards:read", "pins:read"]
    );
}

#[test]
fn code_2_is_a_broken_token_only_as_an_authentication_failure() {
    // The spec's `Pinterest.Lib.Error` example reuses code 2 for "AdAccount not found.".
    let body = r#"{"code":2,"message":"AdAccount not found."}"#;
    assert_eq!(class(body, Some(404)), Class::RequestRejected);
    assert_eq!(class(body, None), Class::Unrecognized);
    assert_eq!(reported(body), Reported::Unrecognized);
}
