//! Every real Meta response in fixtures/meta (at the repository's root), parsed with the right parser and checked
//! for what it must mean. A fixture the table does not name fails the test, so new samples
//! cannot be skipped silently.

use jiff::Timestamp;
use serde_json::Value;
use std::collections::BTreeSet;
use std::time::Duration;
use tether_core::{AssetKind, BrokenReason, PermissionStatus, TokenValidity};
use tether_meta::classify::{Classification as C, RateBucket, TokenUsed, classify};
use tether_meta::usage::{Usage, parse_business_use_case_usage};
use tether_meta::wire::{
    BatchItem, DebugTokenData, Edge, GraphError, GraphResponse, InstagramRef, MeResponse,
    PageEntry, PermissionEntry, parse_batch, parse_debug_token, parse_graph,
};
use tether_meta::{LoginSnapshot, MeOutcome, build_snapshot, urls};

mod callbacks;

const DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../fixtures/meta");

/// Files in the directory that are not response samples.
const OUT_OF_SCOPE: &[&str] = &["SOURCES.md"];

type Check = fn(&str);

const TABLE: &[(&str, Check)] = &[
    // --- pushed to the app: signed_request and webhooks (tests/callbacks) ---------------------
    ("signed_request_deauthorize_test_vector.txt", |b| {
        callbacks::signed_request_vector(b, "0", 1624244156)
    }),
    ("signed_request_php_sdk_test_vector_padded.txt", |b| {
        callbacks::signed_request_vector(b, "123", 321)
    }),
    ("signed_request_data_deletion_decoded_payload.json", |b| {
        callbacks::signed_request_payload(b, Some("218471"), 1291836800)
    }),
    (
        "signed_request_deauthorize_user_decoded_payload.json",
        |b| callbacks::signed_request_payload(b, Some("12345678"), 1411072285),
    ),
    (
        "signed_request_deauthorize_page_tab_decoded_payload.json",
        |b| callbacks::signed_request_payload(b, None, 1411072285),
    ),
    (
        "webhook_permissions_connected_granted.json",
        callbacks::webhook_connected,
    ),
    (
        "webhook_permissions_granted_with_target_ids.json",
        callbacks::webhook_granted_with_targets,
    ),
    (
        "webhook_page_feed_post_add.json",
        callbacks::webhook_page_feed,
    ),
    // --- debug_token data -------------------------------------------------------------------
    ("debug_token_data_never_expires_expires_at_0.json", |b| {
        let d = data(b);
        assert!(d.is_valid);
        assert_eq!(d.app_id.as_deref(), Some("100000000000"));
        assert_eq!(d.user_id.as_deref(), Some("1207059"));
        assert_eq!(d.profile_id.as_deref(), Some("123456789"));
        assert_eq!(d.expires_at, Some(0));
        let s = valid_snapshot(&d);
        assert_eq!(s.login.token.validity, TokenValidity::Valid);
        assert_eq!(s.login.token.expires_at, None, "expires_at 0 means never");
    }),
    (
        "debug_token_data_valid_user_with_data_access_expires_at.json",
        |b| {
            let d = data(b);
            assert_eq!(d.token_type.as_deref(), Some("USER"));
            let s = valid_snapshot(&d);
            assert_eq!(s.login.token.expires_at, Some(ts(1561330800)));
            assert_eq!(s.login.token.data_access_expires_at, Some(ts(1563217616)));
            assert_eq!(
                s.login.permissions.len(),
                8,
                "scopes stand in when me did not list"
            );
            assert!(s.assets.is_empty());
        },
    ),
    ("debug_token_error_debug_only_access_token_190.json", |b| {
        let e = envelope(b);
        assert_eq!(e.code, 190);
        assert_eq!(classify(&e, TokenUsed::App, None), C::CheckerMisconfigured);
        assert_eq!(classify(&e, TokenUsed::User, None), C::CheckerMisconfigured);
    }),
    ("debug_token_error_missing_app_token_code100.json", |b| {
        let e = envelope(b);
        assert_eq!(classify(&e, TokenUsed::App, None), C::CheckerMisconfigured);
        assert_eq!(classify(&e, TokenUsed::User, None), C::CheckerMisconfigured);
    }),
    ("debug_token_expired_session_463.json", |b| {
        debug_broken(b, BrokenReason::Expired, Some(463));
        let s = broken_snapshot(&data(b));
        assert_eq!(s.login.token.expires_at, Some(ts(1668613551)));
        let names: Vec<_> = s
            .login
            .permissions
            .iter()
            .map(|p| p.name.as_str())
            .collect();
        assert_eq!(names, ["email", "public_profile"]);
    }),
    ("debug_token_garbage_token_cannot_parse.json", |b| {
        debug_broken(b, BrokenReason::Unreadable, None);
        assert_eq!(data(b).app_id, None);
    }),
    (
        "debug_token_garbage_token_could_not_be_decrypted.json",
        |b| debug_broken(b, BrokenReason::Unreadable, None),
    ),
    ("debug_token_invalid_signature.json", |b| {
        debug_broken(b, BrokenReason::Unreadable, None)
    }),
    ("debug_token_invalidated_explicit_api_call_466.json", |b| {
        debug_broken(b, BrokenReason::SessionInvalidated, Some(466))
    }),
    (
        "debug_token_invalidated_password_change_460_with_granular_scopes.json",
        |b| {
            debug_broken(b, BrokenReason::PasswordChanged, Some(460));
            let s = broken_snapshot(&data(b));
            assert_eq!(s.login.token.expires_at, None);
            assert_eq!(s.login.granular_scopes.len(), 4);
            assert!(
                s.login
                    .granular_scopes
                    .iter()
                    .all(|g| g.target_ids.is_none())
            );
        },
    ),
    ("debug_token_valid_app_token.json", |b| {
        let d = data(b);
        assert!(d.is_valid);
        assert_eq!(d.token_type.as_deref(), Some("APP"));
        assert_eq!(d.user_id, None);
        assert_eq!(valid_snapshot(&d).login.token.expires_at, None);
    }),
    ("debug_token_valid_ig_and_pages_granular_scopes.json", |b| {
        let s = valid_snapshot(&data(b));
        assert_eq!(s.login.token.expires_at, None);
        assert_eq!(
            kinds(&s),
            [
                (AssetKind::FacebookPage, "104518538110000".into(), false),
                // Granted, reached through no Page: listed, and not linked.
                (
                    AssetKind::InstagramAccount,
                    "17841400478070000".into(),
                    true
                ),
            ]
        );
        let ig = s.assets[1].instagram.as_ref().unwrap();
        assert_eq!(
            ig.linked_page_id, None,
            "not reached through any listed Page"
        );
    }),
    ("debug_token_valid_legacy_metadata_sso.json", |b| {
        let d = data(b);
        assert!(d.is_valid);
        assert_eq!(d.app_id.as_deref(), Some("100000000000"));
        assert_eq!(d.issued_at, Some(1347235328));
        assert_eq!(
            valid_snapshot(&d).login.token.expires_at,
            Some(ts(1352419328))
        );
    }),
    (
        "debug_token_valid_never_expires_granular_scopes_target_ids.json",
        |b| {
            let s = valid_snapshot(&data(b));
            let pages: Vec<_> = s
                .assets
                .iter()
                .map(|a| (a.kind, a.id.as_str(), a.listed))
                .collect();
            assert_eq!(
                pages,
                [
                    (AssetKind::FacebookPage, "105115561430000", false),
                    (AssetKind::FacebookPage, "104518538110000", false),
                    (AssetKind::FacebookPage, "103455271240000", false),
                ]
            );
            assert!(s.login.token.data_access_expires_at.is_some());
        },
    ),
    ("debug_token_valid_page_token_profile_id.json", |b| {
        let d = data(b);
        assert_eq!(d.token_type.as_deref(), Some("PAGE"));
        assert_eq!(d.profile_id.as_deref(), Some("103455271248220"));
        assert_eq!(
            d.granular_scopes[0].target_ids.as_deref(),
            Some(&["103455271248220".to_owned()][..])
        );
    }),
    (
        "debug_token_valid_short_lived_user_metadata_rerequest.json",
        |b| {
            let d = data(b);
            assert!(d.is_valid);
            assert_eq!(d.scopes, ["public_profile"]);
            assert_eq!(
                valid_snapshot(&d).login.token.expires_at,
                Some(ts(1668754800))
            );
        },
    ),
    ("debug_token_valid_with_granular_scopes.json", |b| {
        let d = data(b);
        assert_eq!(d.app_id.as_deref(), Some("{app-id}"));
        let s = valid_snapshot(&d);
        assert_eq!(
            kinds(&s),
            [(
                AssetKind::InstagramAccount,
                "{connected-ig-user-id}".into(),
                true
            )]
        );
    }),
    // --- Graph error envelopes ------------------------------------------------------------
    ("error_app_not_installed_190_458.json", |b| {
        user_broken(b, BrokenReason::AppRemoved);
        assert_eq!(
            classify(&envelope(b), TokenUsed::App, None),
            C::CheckerMisconfigured
        );
    }),
    ("error_checkpoint_190_459.json", |b| {
        user_broken(b, BrokenReason::Checkpoint)
    }),
    ("error_code100_missing_permission_or_feature.json", |b| {
        assert_eq!(
            user(b),
            C::MissingPermission {
                permission: Some("pages_read_engagement".into())
            }
        )
    }),
    ("error_code100_requires_appsecret_proof.json", |b| {
        assert_eq!(user(b), C::CheckerMisconfigured)
    }),
    ("error_code1_unknown_with_subcode_not_transient.json", |b| {
        let e = envelope(b);
        assert_eq!(e.is_transient, Some(false));
        assert_eq!(
            e.error_user_title.as_deref(),
            Some("Fundraisers Have a 90 Day Limit")
        );
        assert_eq!(
            e.error_user_msg.as_deref(),
            Some("Please choose another end date.")
        );
        assert_eq!(user(b), C::RequestRejected);
    }),
    ("error_doc_example_190_460_with_user_title.json", |b| {
        user_broken(b, BrokenReason::PasswordChanged);
        let e = envelope(b);
        assert_eq!(e.error_user_title.as_deref(), Some("A title"));
        assert_eq!(e.error_user_msg.as_deref(), Some("A message"));
        assert_eq!(e.fbtrace_id.as_deref(), Some("EJplcsCHuLu"));
    }),
    ("error_malformed_access_token_190_no_subcode.json", |b| {
        user_broken(b, BrokenReason::Unreadable)
    }),
    (
        "error_object_not_found_or_no_permission_code100.json",
        |b| assert_eq!(user(b), C::AssetAccess),
    ),
    ("error_password_changed_190_no_subcode_recorded.json", |b| {
        assert_eq!(envelope(b).error_subcode, None);
        user_broken(b, BrokenReason::PasswordChanged)
    }),
    (
        "error_permission_200_ad_account_owner_not_granted.json",
        |b| {
            assert_eq!(
                user(b),
                C::MissingPermission {
                    permission: Some("ads_management".into())
                }
            )
        },
    ),
    (
        "error_permission_200_user_not_authorized_action.json",
        |b| assert_eq!(user(b), C::MissingPermission { permission: None }),
    ),
    (
        "error_permission_code10_with_subcode_user_title.json",
        |b| {
            assert_eq!(envelope(b).error_subcode, Some(2332002));
            assert_eq!(user(b), C::MissingPermission { permission: None })
        },
    ),
    ("error_rate_limit_app_code4_is_transient.json", |b| {
        assert_eq!(envelope(b).is_transient, Some(true));
        assert_eq!(
            user(b),
            C::RateLimited {
                retry_after: None,
                bucket: RateBucket::App
            }
        )
    }),
    ("error_rate_limit_buc_page_80001_doc_sample.json", |b| {
        let bucket = RateBucket::BusinessUseCase { code: 80001 };
        assert_eq!(bucket.business_use_case_type(), Some("pages"));
        assert_eq!(
            user(b),
            C::RateLimited {
                retry_after: None,
                bucket
            }
        );
        let template = read("x_business_use_case_usage_header_doc_template.json");
        let usage = Usage::from_pairs([("X-Business-Use-Case-Usage", template.as_str())]);
        assert_eq!(
            classify(&envelope(b), TokenUsed::Page, Some(&usage)),
            C::RateLimited {
                retry_after: Some(Duration::from_secs(600)),
                bucket
            }
        );
    }),
    ("error_rate_limit_custom_613.json", |b| {
        assert_eq!(
            user(b),
            C::RateLimited {
                retry_after: None,
                bucket: RateBucket::Custom
            }
        )
    }),
    ("error_rate_limit_page_code32_doc_sample.json", |b| {
        assert_eq!(
            user(b),
            C::RateLimited {
                retry_after: None,
                bucket: RateBucket::Page
            }
        )
    }),
    ("error_service_unavailable_code2_is_transient.json", |b| {
        assert_eq!(user(b), C::Transient)
    }),
    ("error_session_expired_190_463.json", |b| {
        user_broken(b, BrokenReason::Expired)
    }),
    ("error_session_expired_190_463_no_fbtrace.json", |b| {
        assert_eq!(envelope(b).fbtrace_id, None);
        user_broken(b, BrokenReason::Expired)
    }),
    ("error_session_expired_190_no_subcode_recorded.json", |b| {
        assert_eq!(envelope(b).error_subcode, None);
        user_broken(b, BrokenReason::Expired)
    }),
    (
        "error_session_key_malformed_invalid_user_id_190.json",
        |b| user_broken(b, BrokenReason::Unreadable),
    ),
    (
        "error_token_could_not_be_decrypted_190_no_subcode.json",
        |b| user_broken(b, BrokenReason::Unreadable),
    ),
    ("error_unconfirmed_user_190_464.json", |b| {
        user_broken(b, BrokenReason::UnconfirmedUser)
    }),
    ("error_user_logged_out_190_467.json", |b| {
        user_broken(b, BrokenReason::LoggedOut)
    }),
    ("threads_error_100_subcode_33.json", |b| {
        assert_eq!(envelope(b).kind.as_deref(), Some("THApiException"));
        assert_eq!(user(b), C::AssetAccess)
    }),
    // --- batch ----------------------------------------------------------------------------
    ("batch_response_all_ok.json", |b| {
        let items = parse_batch(b).unwrap();
        assert_eq!(items.len(), 2);
        let names: Vec<_> = items
            .iter()
            .map(|i| me(i.as_ref().unwrap()).name.unwrap())
            .collect();
        assert_eq!(names, ["Tester", "Mark Zuckerberg"]);
        let usage = Usage::from_pairs(items[0].as_ref().unwrap().header_pairs());
        assert_eq!(usage.app.unwrap().call_count, Some(2.0));
    }),
    ("batch_response_first_item_error_100.json", |b| {
        let items = parse_batch(b).unwrap();
        let first = items[0].as_ref().unwrap();
        assert_eq!(first.code, 400);
        let GraphResponse::Error(e) = parse_graph::<Value>(first.body.as_deref().unwrap()).unwrap()
        else {
            panic!("item 0 must carry an error envelope")
        };
        assert_eq!(e.code, 100);
        assert_eq!(classify(&e, TokenUsed::User, None), C::AssetAccess);
        assert_eq!(
            me(items[1].as_ref().unwrap()).id.as_deref(),
            Some("123456789")
        );
    }),
    // --- me, permissions, accounts, Instagram ---------------------------------------------
    ("me_permissions_granted_and_declined.json", |b| {
        let edge: Edge<PermissionEntry> = ok(b);
        let statuses: Vec<_> = edge.data.iter().map(|p| p.status().unwrap()).collect();
        assert_eq!(
            statuses,
            [PermissionStatus::Granted, PermissionStatus::Declined]
        );
        let s = listed_snapshot(Some(edge.data), &[]);
        assert_eq!(s.login.permissions[1].name, "email");
        assert_eq!(s.login.permissions[1].status, PermissionStatus::Declined);
    }),
    ("me_accounts_item_with_tasks_and_access_token.json", |b| {
        let p: PageEntry = ok(b);
        assert_eq!(p.id, "1234567890");
        assert_eq!(p.tasks.len(), 6);
        assert!(p.tasks.contains(&"MANAGE".to_owned()));
    }),
    ("me_accounts_item_with_tasks_owner_business.json", |b| {
        let p: PageEntry = ok(b);
        assert_eq!(p.name.as_deref(), Some("Test Company Page"));
        assert_eq!(p.tasks.len(), 6);
    }),
    ("me_accounts_paged_with_next_and_summary.json", |b| {
        let edge: Edge<PageEntry> = ok(b);
        assert_eq!(edge.data.len(), 4);
        let cursor = edge.paging.as_ref().and_then(|p| p.next_cursor());
        assert_eq!(cursor.as_deref(), Some("after"));
        let url = urls::accounts_page("t", "p", &cursor.unwrap(), false);
        assert!(url.starts_with("me/accounts?fields="));
        assert!(url.contains("&limit=100&after=after&"));
    }),
    (
        "me_accounts_pages_with_and_without_instagram_business_account.json",
        |b| {
            let edge: Edge<PageEntry> = ok(b);
            assert_eq!(
                edge.paging.as_ref().unwrap().next_cursor(),
                None,
                "no next: last page"
            );
            let s = listed_snapshot(None, &edge.data);
            assert_eq!(
                kinds(&s),
                [
                    (AssetKind::FacebookPage, "1960059394258217".into(), true),
                    (
                        AssetKind::InstagramAccount,
                        "17841401382855558".into(),
                        true
                    ),
                    (AssetKind::FacebookPage, "177057932317550".into(), true),
                ]
            );
            let ig = s.assets[1].instagram.as_ref().unwrap();
            assert_eq!(ig.linked_page_id.as_deref(), Some("1960059394258217"));
            assert_eq!(ig.professional, Some(true));
        },
    ),
    ("me_accounts_two_pages_one_without_manage_task.json", |b| {
        let edge: Edge<PageEntry> = ok(b);
        assert!(edge.paging.is_none());
        let s = listed_snapshot(None, &edge.data);
        assert!(s.assets[0].tasks.contains(&"MANAGE".to_owned()));
        assert!(!s.assets[1].tasks.contains(&"MANAGE".to_owned()));
        assert_eq!(
            s.assets[1].name.as_deref(),
            Some("Unofficial: Tigger the Cat")
        );
    }),
    ("me_accounts_with_headers_http_transcript.txt", |b| {
        let (head, body) = b.split_once("\n\n").expect("headers, blank line, body");
        let headers = header_block(head.split_once('\n').unwrap().1);
        let usage = Usage::from_pairs(headers.iter().map(|(k, v)| (k.as_str(), v.as_str())));
        assert_eq!(usage.app.unwrap().call_count, Some(3.0));
        let edge: Edge<PageEntry> = ok(body);
        assert_eq!(edge.data[0].id, "104712934460896");
        assert!(edge.data[0].tasks.contains(&"MESSAGING".to_owned()));
        assert_eq!(edge.paging.unwrap().next_cursor(), None);
    }),
    ("page_with_instagram_business_account.json", |b| {
        let p: PageEntry = ok(b);
        assert_eq!(
            p.connected_instagram_account.as_ref().unwrap().id,
            "987654321"
        );
        let s = listed_snapshot(None, &[p]);
        assert_eq!(
            s.assets.len(),
            2,
            "one IG account even when both links name it"
        );
        assert_eq!(
            s.assets[1].instagram.as_ref().unwrap().professional,
            Some(true)
        );
    }),
    (
        "page_with_instagram_business_account_doc_sample.json",
        |b| {
            let p: PageEntry = ok(b);
            assert_eq!(
                p.instagram_business_account.unwrap().id,
                "17841405822304914"
            );
        },
    ),
    ("ig_user_fields.json", |b| {
        let ig: InstagramRef = ok(b);
        assert_eq!(
            (ig.id.as_str(), ig.username.as_deref()),
            ("173435464534", Some("tester2018"))
        );
    }),
    ("ig_user_fields_public_business_account.json", |b| {
        let ig: InstagramRef = ok(b);
        assert_eq!(ig.username.as_deref(), Some("facebookfordevelopers"));
    }),
    // --- usage headers --------------------------------------------------------------------
    (
        "x_app_usage_and_ad_account_usage_header_doc_samples.txt",
        |b| {
            let usage = usage_of(b);
            let app = usage.app.clone().unwrap();
            assert_eq!(
                (app.call_count, app.total_time, app.total_cputime),
                (Some(28.0), Some(25.0), Some(25.0))
            );
            let ads = usage.ad_account.unwrap();
            assert_eq!(ads.acc_id_util_pct, Some(9.67));
            assert_eq!(ads.reset_time_duration, Some(Duration::from_secs(100)));
            assert_eq!(ads.ads_api_access_tier.as_deref(), Some("standard_access"));
        },
    ),
    ("x_business_use_case_usage_header_doc_sample.txt", |b| {
        let usage = usage_of(b);
        let mut kinds: Vec<_> = usage
            .business
            .iter()
            .map(|e| e.kind.clone().unwrap())
            .collect();
        kinds.sort();
        // The repeated object id keeps both of its entries.
        assert_eq!(
            kinds,
            [
                "ads_insights",
                "ads_management",
                "pages",
                "{rate-limit-type}"
            ]
        );
        let placeholder = usage
            .business
            .iter()
            .find(|e| e.object_id == "{business-object-id}");
        assert_eq!(placeholder.unwrap().call_count, Some(100.0));
        assert_eq!(
            usage.regain_access_after(),
            Some(Duration::from_secs(19 * 60))
        );
        assert_eq!(usage.max_percent(), Some(100.0));
    }),
    ("x_business_use_case_usage_header_doc_template.json", |b| {
        let entries = parse_business_use_case_usage(b);
        assert_eq!(entries.len(), 1);
        assert_eq!(entries[0].object_id, "{business-id}");
        assert_eq!(
            entries[0].estimated_time_to_regain_access,
            Some(Duration::from_secs(600))
        );
    }),
    (
        "x_business_use_case_usage_header_messenger_sdk_test.txt",
        |b| {
            let usage = usage_of(b);
            assert_eq!(usage.business[0].kind.as_deref(), Some("messenger"));
            assert_eq!(usage.business[0].object_id, "123456789012345");
            assert_eq!(usage.regain_access_after(), None, "0 minutes is no wait");
            assert_eq!(usage.ad_account.unwrap().acc_id_util_pct, Some(9.67));
            assert_eq!(usage.app.unwrap().call_count, Some(0.0));
        },
    ),
];

#[test]
fn every_fixture_is_checked_or_declared_out_of_scope() {
    let present: BTreeSet<String> = std::fs::read_dir(DIR)
        .unwrap_or_else(|e| panic!("fixtures directory {DIR} must exist in the repository: {e}"))
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    let mut known: BTreeSet<&str> = OUT_OF_SCOPE.iter().copied().collect();
    for (name, _) in TABLE {
        assert!(known.insert(name), "{name} is listed twice");
    }
    let unlisted: Vec<_> = present
        .iter()
        .filter(|f| !known.contains(f.as_str()))
        .collect();
    assert!(
        unlisted.is_empty(),
        "fixtures the table does not mention: {unlisted:?}"
    );
    let missing: Vec<_> = known.iter().filter(|k| !present.contains(**k)).collect();
    assert!(
        missing.is_empty(),
        "table names files that are gone: {missing:?}"
    );
}

#[test]
fn every_meta_fixture_means_what_the_table_says() {
    let mut failures = Vec::new();
    for (name, check) in TABLE {
        let body = read(name);
        if let Err(panic) = std::panic::catch_unwind(|| check(&body)) {
            let why = panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default();
            failures.push(format!("{name}: {why}"));
        }
    }
    assert!(
        failures.is_empty(),
        "{} fixture(s) failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

// --- helpers ----------------------------------------------------------------------------------

fn read(name: &str) -> String {
    std::fs::read_to_string(format!("{DIR}/{name}")).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn ts(secs: i64) -> Timestamp {
    Timestamp::from_second(secs).unwrap()
}

fn data(body: &str) -> DebugTokenData {
    match parse_debug_token(body).expect("debug_token body parses") {
        GraphResponse::Ok(d) => d,
        GraphResponse::Error(e) => panic!("expected debug_token data, got error {e:?}"),
    }
}

fn envelope(body: &str) -> GraphError {
    match parse_graph::<Value>(body).expect("error body parses") {
        GraphResponse::Error(e) => e,
        GraphResponse::Ok(v) => panic!("expected an error envelope, got {v}"),
    }
}

fn ok<T: serde::de::DeserializeOwned>(body: &str) -> T {
    match parse_graph::<T>(body).expect("body parses") {
        GraphResponse::Ok(v) => v,
        GraphResponse::Error(e) => panic!("expected data, got error {e:?}"),
    }
}

fn me(item: &BatchItem) -> MeResponse {
    ok(item.body.as_deref().expect("item has a body"))
}

fn user(body: &str) -> C {
    classify(&envelope(body), TokenUsed::User, None)
}

fn user_broken(body: &str, reason: BrokenReason) {
    assert_eq!(user(body), C::LoginBroken(reason));
}

/// An invalid debug_token: the nested error (subcode key `subcode`) names the reason.
fn debug_broken(body: &str, reason: BrokenReason, subcode: Option<i64>) {
    let d = data(body);
    assert!(!d.is_valid);
    let err = d.error.clone().expect("invalid token carries data.error");
    assert_eq!(err.error_subcode, subcode);
    assert_eq!(
        classify(&err, TokenUsed::User, None),
        C::LoginBroken(reason)
    );
    let TokenValidity::Broken {
        reason: got,
        platform_error,
    } = broken_snapshot(&d).login.token.validity
    else {
        panic!("snapshot must be broken")
    };
    assert_eq!(got, reason);
    assert_eq!(platform_error.unwrap().code, "190");
}

fn our_app(d: &DebugTokenData) -> String {
    d.app_id.clone().unwrap_or_else(|| "1".into())
}

fn valid_snapshot(d: &DebugTokenData) -> LoginSnapshot {
    let me = MeOutcome::Listed {
        id: None,
        name: None,
        permissions: None,
    };
    build_snapshot(&our_app(d), d, &me, &[])
}

/// As the client builds it when `me` also failed with a 190 the platform gave no reason for.
fn broken_snapshot(d: &DebugTokenData) -> LoginSnapshot {
    let me = MeOutcome::Broken {
        reason: BrokenReason::Unknown,
        error: tether_core::PlatformError::new(190, None::<u8>, "x"),
    };
    build_snapshot(&our_app(d), d, &me, &[])
}

fn listed_snapshot(
    permissions: Option<Vec<PermissionEntry>>,
    pages: &[PageEntry],
) -> LoginSnapshot {
    let d = DebugTokenData {
        app_id: Some("1".into()),
        is_valid: true,
        ..Default::default()
    };
    let me = MeOutcome::Listed {
        id: Some("u".into()),
        name: None,
        permissions,
    };
    build_snapshot("1", &d, &me, pages)
}

fn kinds(s: &LoginSnapshot) -> Vec<(AssetKind, String, bool)> {
    s.assets
        .iter()
        .map(|a| (a.kind, a.id.clone(), a.listed))
        .collect()
}

/// Splits `name: value` header lines; lines that do not start a header continue the previous
/// one (the doc samples spread one JSON value over many lines).
fn header_block(text: &str) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    for line in text.lines() {
        let starts_header = line.split_once(':').is_some_and(|(n, _)| {
            !n.is_empty() && n.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        });
        match (starts_header, out.last_mut()) {
            (true, _) => {
                let (n, v) = line.split_once(':').unwrap();
                out.push((n.trim().to_owned(), v.trim().to_owned()));
            }
            (false, Some((_, v))) => {
                v.push('\n');
                v.push_str(line);
            }
            (false, None) => {}
        }
    }
    out
}

fn usage_of(text: &str) -> Usage {
    let headers = header_block(text);
    assert!(!headers.is_empty());
    Usage::from_pairs(headers.iter().map(|(k, v)| (k.as_str(), v.as_str())))
}
