//! The client over real HTTP on 127.0.0.1 against an in-test Graph batch endpoint: batching,
//! paging, retries, rate limits, misconfiguration, and per-login verdicts.

mod fake_graph;
mod oauth;

use fake_graph::{APP_ID, DebugSpec, Fake, LoginSpec, MeSpec, Outer, SECRET, fixture};
use secrecy::SecretString;
use serde_json::json;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tether_core::{AssetKind, BrokenReason, ObservedKind, PermissionStatus, TokenValidity};
use tether_meta::{
    CallStats, CheckError, GraphClient, GraphConfig, InspectOptions, Progress, RetryPolicy,
};

struct Harness {
    fake: Arc<Fake>,
    client: GraphClient,
}

fn config(base: &str, secret: &str) -> GraphConfig {
    let mut cfg = GraphConfig::new(APP_ID, SecretString::from(secret));
    cfg.base_url = base.parse().unwrap();
    cfg.timeout = Duration::from_millis(500);
    cfg.retry = RetryPolicy {
        max_attempts: 3,
        base_delay: Duration::from_millis(5),
        max_delay: Duration::from_millis(20),
        jitter: true,
    };
    cfg.max_rate_limit_wait = Duration::from_secs(1);
    cfg
}

async fn harness(logins: &[(&str, LoginSpec)]) -> Harness {
    harness_with(logins, |_| {}).await
}

async fn harness_with(
    logins: &[(&str, LoginSpec)],
    tweak: impl FnOnce(&mut GraphConfig),
) -> Harness {
    let fake = Arc::new(Fake::default());
    fake.logins
        .lock()
        .unwrap()
        .extend(logins.iter().map(|(t, s)| (t.to_string(), s.clone())));
    let base = fake_graph::spawn(fake.clone()).await;
    let mut cfg = config(&base, SECRET);
    tweak(&mut cfg);
    Harness {
        fake,
        client: GraphClient::new(cfg).unwrap(),
    }
}

fn tokens(names: &[&str]) -> Vec<SecretString> {
    names.iter().map(|n| SecretString::from(*n)).collect()
}

fn script(h: &Harness, outer: Outer) {
    h.fake.script.lock().unwrap().push_back(outer);
}

fn graph_error(status: u16, body: &str, headers: Vec<(&'static str, String)>) -> Outer {
    Outer::Reply {
        status,
        body: body.to_owned(),
        headers,
    }
}

#[tokio::test]
async fn sixty_logins_cost_three_requests_and_two_calls_each_in_input_order() {
    let names: Vec<String> = (0..60).map(|i| format!("tok{i}")).collect();
    let specs: Vec<(&str, LoginSpec)> = names
        .iter()
        .map(|n| (n.as_str(), LoginSpec::valid(3)))
        .collect();
    let h = harness(&specs).await;
    let seen = Arc::new(Mutex::new(Vec::new()));
    let sink = seen.clone();
    let opts = InspectOptions {
        concurrency: 2,
        on_progress: Some(Arc::new(move |p: Progress| sink.lock().unwrap().push(p))),
        ..InspectOptions::default()
    };
    let refs: Vec<&str> = names.iter().map(String::as_str).collect();
    let results = h.client.inspect_logins(&tokens(&refs), &opts).await;

    assert_eq!(results.len(), 60);
    for (i, r) in results.iter().enumerate() {
        let snap = r.as_ref().unwrap();
        assert_eq!(
            snap.login.user_name.as_deref(),
            Some(format!("Name tok{i}").as_str())
        );
        assert_eq!(snap.login.token.validity, TokenValidity::Valid);
        assert_eq!(snap.login.token.expires_at, None);
        assert_eq!(snap.login.permissions[1].status, PermissionStatus::Declined);
        // 3 Pages, the 1st and 3rd with an Instagram account right after them.
        let kinds: Vec<AssetKind> = snap.assets.iter().map(|a| a.kind).collect();
        use AssetKind::{FacebookPage as P, InstagramAccount as I};
        assert_eq!(kinds, [P, I, P, P, I]);
    }
    assert_eq!(
        h.client.stats(),
        CallStats {
            http_requests: 3,
            platform_calls: 120,
            ..CallStats::default()
        }
    );
    assert_eq!(h.fake.requests.load(Ordering::SeqCst), 3);
    let last = *seen.lock().unwrap().last().unwrap();
    assert_eq!(
        last,
        Progress {
            done: 60,
            total: 60
        }
    );
}

#[tokio::test]
async fn paging_follows_next_in_further_rounds() {
    let h = harness(&[
        ("big", LoginSpec::valid(250)),
        ("small", LoginSpec::valid(1)),
    ])
    .await;
    let results = h
        .client
        .inspect_logins(&tokens(&["big", "small"]), &InspectOptions::default())
        .await;
    let big = results[0].as_ref().unwrap();
    let pages = big
        .assets
        .iter()
        .filter(|a| a.kind == AssetKind::FacebookPage)
        .count();
    let igs = big
        .assets
        .iter()
        .filter(|a| a.kind == AssetKind::InstagramAccount)
        .count();
    assert_eq!((pages, igs), (250, 125));
    assert_eq!(big.assets[0].id, "1000");
    assert_eq!(big.assets.last().unwrap().id, "1249");
    assert!(big.assets.iter().all(|a| a.listed));
    assert_eq!(results[1].as_ref().unwrap().assets.len(), 2);
    // 4 calls for the first login (debug, me, 2 extra pages), 2 for the second; 3 rounds.
    assert_eq!(
        h.client.stats(),
        CallStats {
            http_requests: 3,
            platform_calls: 6,
            ..CallStats::default()
        }
    );
    let urls = h.fake.relative_urls.lock().unwrap().clone();
    assert!(
        urls.iter()
            .any(|u| u.starts_with("me/accounts?") && u.contains("&limit=100&after=100&"))
    );
    assert!(urls.iter().any(|u| u.contains("&after=200&")));
}

#[tokio::test]
async fn broken_tokens_are_read_from_recorded_responses_without_touching_others() {
    let broken = LoginSpec {
        debug: DebugSpec::Body(fixture(
            "debug_token_invalidated_password_change_460_with_granular_scopes.json",
        )),
        me: MeSpec::Error(fixture(
            "error_password_changed_190_no_subcode_recorded.json",
        )),
        ..LoginSpec::valid(0)
    };
    // debug_token says valid, but the real call fails: the call wins.
    let lagging = LoginSpec {
        me: MeSpec::Error(fixture("error_session_expired_190_463.json")),
        ..LoginSpec::valid(0)
    };
    let h = harness(&[("a", broken), ("b", LoginSpec::valid(2)), ("c", lagging)]).await;
    let r = h
        .client
        .inspect_logins(&tokens(&["a", "b", "c"]), &InspectOptions::default())
        .await;

    let a = r[0].as_ref().unwrap();
    let TokenValidity::Broken {
        reason,
        platform_error,
    } = &a.login.token.validity
    else {
        panic!("a must be broken")
    };
    assert_eq!(*reason, BrokenReason::PasswordChanged);
    assert_eq!(platform_error.as_ref().unwrap().code, "190");
    // No listing: the token's scopes stand in as granted.
    assert_eq!(a.login.permissions.len(), 6);
    assert!(
        a.login
            .permissions
            .iter()
            .all(|p| p.status == PermissionStatus::Granted)
    );
    assert_eq!(
        r[1].as_ref().unwrap().login.token.validity,
        TokenValidity::Valid
    );
    assert!(matches!(
        r[2].as_ref().unwrap().login.token.validity,
        TokenValidity::Broken {
            reason: BrokenReason::Expired,
            ..
        }
    ));
    assert_eq!(h.client.stats().http_requests, 1);
}

#[tokio::test]
async fn granted_but_unlisted_assets_are_derived_after_listed_ones() {
    let spec = LoginSpec {
        debug: DebugSpec::Valid {
            app_id: APP_ID.into(),
            granular: json!([
                {"scope": "pages_show_list", "target_ids": ["1000", "555"]},
                {"scope": "instagram_basic", "target_ids": ["178000", "999"]},
                {"scope": "publish_to_groups", "target_ids": ["g1"]}
            ]),
        },
        ..LoginSpec::valid(1)
    };
    let h = harness(&[("t", spec)]).await;
    let snap = h
        .client
        .inspect_login(&SecretString::from("t"), &InspectOptions::default())
        .await
        .unwrap();
    let got: Vec<(AssetKind, &str, bool)> = snap
        .assets
        .iter()
        .map(|a| (a.kind, a.id.as_str(), a.listed))
        .collect();
    assert_eq!(
        got,
        [
            (AssetKind::FacebookPage, "1000", true),
            (AssetKind::InstagramAccount, "178000", true),
            (AssetKind::FacebookPage, "555", false),
            // Granted but reached through no Page: listed, and not linked.
            (AssetKind::InstagramAccount, "999", true),
            (AssetKind::FacebookGroup, "g1", false),
        ]
    );
}

#[tokio::test]
async fn product_tag_eligibility_is_asked_only_when_wanted() {
    let h = harness(&[("t", LoginSpec::valid(1))]).await;
    let opts = InspectOptions {
        product_tag_eligibility: true,
        ..InspectOptions::default()
    };
    let snap = h
        .client
        .inspect_login(&SecretString::from("t"), &opts)
        .await
        .unwrap();
    assert_eq!(
        snap.assets[1]
            .instagram
            .as_ref()
            .unwrap()
            .product_tag_eligible,
        Some(true)
    );
    let plain = h
        .client
        .inspect_login(&SecretString::from("t"), &InspectOptions::default())
        .await
        .unwrap();
    assert_eq!(
        plain.assets[1]
            .instagram
            .as_ref()
            .unwrap()
            .product_tag_eligible,
        None
    );
}

#[tokio::test]
async fn a_transient_batch_failure_is_retried() {
    let h = harness(&[("t", LoginSpec::valid(1))]).await;
    script(&h, graph_error(503, "<html>busy</html>", vec![]));
    script(
        &h,
        graph_error(
            500,
            &fixture("error_service_unavailable_code2_is_transient.json"),
            vec![],
        ),
    );
    let snap = h
        .client
        .inspect_login(&SecretString::from("t"), &InspectOptions::default())
        .await;
    assert!(snap.is_ok(), "{snap:?}");
    assert_eq!(h.client.stats().http_requests, 3);
}

#[tokio::test]
async fn exhausted_retries_are_platform_unavailable_never_broken() {
    let h = harness(&[("a", LoginSpec::valid(1)), ("b", LoginSpec::valid(1))]).await;
    for _ in 0..3 {
        script(
            &h,
            graph_error(
                500,
                &fixture("error_service_unavailable_code2_is_transient.json"),
                vec![],
            ),
        );
    }
    let r = h
        .client
        .inspect_logins(&tokens(&["a", "b"]), &InspectOptions::default())
        .await;
    for res in r {
        let Err(CheckError::PlatformUnavailable { attempts, last }) = res else {
            panic!("expected PlatformUnavailable, got {res:?}")
        };
        assert_eq!(attempts, 3);
        assert!(last.contains("Service temporarily unavailable"), "{last}");
    }
    assert_eq!(h.client.stats().http_requests, 3);
}

#[tokio::test]
async fn a_timeout_is_transient_and_recovers() {
    let h = harness(&[("t", LoginSpec::valid(1))]).await;
    script(&h, Outer::Delay(Duration::from_secs(2)));
    let snap = h
        .client
        .inspect_login(&SecretString::from("t"), &InspectOptions::default())
        .await;
    assert!(snap.is_ok(), "{snap:?}");
    assert_eq!(h.client.stats().http_requests, 2);
}

#[tokio::test]
async fn transient_and_null_items_are_retried_in_the_next_round() {
    let flaky = LoginSpec {
        me_transient: 1,
        me_null: 1,
        ..LoginSpec::valid(1)
    };
    let h = harness(&[("flaky", flaky), ("fine", LoginSpec::valid(1))]).await;
    let r = h
        .client
        .inspect_logins(&tokens(&["flaky", "fine"]), &InspectOptions::default())
        .await;
    assert!(r.iter().all(Result::is_ok), "{r:?}");
    // Round 1: 4 items; rounds 2 and 3 retry only flaky's `me`.
    assert_eq!(
        h.client.stats(),
        CallStats {
            http_requests: 3,
            platform_calls: 6,
            ..CallStats::default()
        }
    );
}

#[tokio::test]
async fn an_item_that_keeps_failing_is_unavailable_for_that_login_only() {
    let flaky = LoginSpec {
        me_transient: 10,
        ..LoginSpec::valid(1)
    };
    let h = harness(&[("flaky", flaky), ("fine", LoginSpec::valid(1))]).await;
    let r = h
        .client
        .inspect_logins(&tokens(&["flaky", "fine"]), &InspectOptions::default())
        .await;
    assert!(
        matches!(
            r[0],
            Err(CheckError::PlatformUnavailable { attempts: 3, .. })
        ),
        "{:?}",
        r[0]
    );
    assert!(r[1].is_ok());
}

#[tokio::test]
async fn a_long_rate_limit_fails_the_check_with_the_regain_time() {
    let h = harness(&[("t", LoginSpec::valid(1))]).await;
    let buc =
        r#"{"1234":[{"type":"pages","call_count":100,"estimated_time_to_regain_access":30}]}"#;
    script(
        &h,
        graph_error(
            400,
            &fixture("error_rate_limit_app_code4_is_transient.json"),
            vec![("x-business-use-case-usage", buc.into())],
        ),
    );
    let r = h
        .client
        .inspect_login(&SecretString::from("t"), &InspectOptions::default())
        .await;
    assert_eq!(
        r,
        Err(CheckError::RateLimited {
            retry_after: Some(Duration::from_secs(30 * 60))
        })
    );
    assert_eq!(
        h.client.stats().http_requests,
        1,
        "no retry into a long throttle"
    );
}

#[tokio::test]
async fn a_short_rate_limit_is_waited_out() {
    let h = harness(&[("t", LoginSpec::valid(1))]).await;
    script(
        &h,
        graph_error(
            400,
            &fixture("error_rate_limit_custom_613.json"),
            vec![(
                "x-app-usage",
                r#"{"call_count":100,"total_time":5,"total_cputime":5}"#.into(),
            )],
        ),
    );
    let r = h
        .client
        .inspect_login(&SecretString::from("t"), &InspectOptions::default())
        .await;
    assert!(r.is_ok(), "{r:?}");
    assert_eq!(h.client.stats().http_requests, 2);
}

#[tokio::test]
async fn a_wrong_app_secret_is_the_checkers_problem_for_every_login() {
    let fake = Arc::new(Fake::default());
    fake.logins.lock().unwrap().extend([
        ("a".to_string(), LoginSpec::valid(1)),
        ("b".to_string(), LoginSpec::valid(1)),
    ]);
    let base = fake_graph::spawn(fake.clone()).await;
    let client = GraphClient::new(config(&base, "not-the-secret")).unwrap();
    let r = client
        .inspect_logins(&tokens(&["a", "b"]), &InspectOptions::default())
        .await;
    for res in &r {
        let Err(CheckError::CheckerMisconfigured { platform_error }) = res else {
            panic!("expected CheckerMisconfigured, got {res:?}")
        };
        assert_eq!(platform_error.code, "190");
    }
    assert_eq!(
        client.stats().http_requests,
        1,
        "misconfiguration is not retried"
    );
}

#[tokio::test]
async fn a_debug_token_item_rejecting_the_app_token_stops_the_run() {
    let bad = LoginSpec {
        debug: DebugSpec::Body(fixture("debug_token_error_missing_app_token_code100.json")),
        ..LoginSpec::valid(1)
    };
    let h = harness(&[("a", bad), ("b", LoginSpec::valid(1))]).await;
    let r = h
        .client
        .inspect_logins(&tokens(&["a", "b"]), &InspectOptions::default())
        .await;
    assert!(
        r.iter()
            .all(|x| matches!(x, Err(CheckError::CheckerMisconfigured { .. }))),
        "{r:?}"
    );
}

#[tokio::test]
async fn a_token_of_another_app_is_unreadable_for_ours() {
    let foreign = LoginSpec {
        debug: DebugSpec::Valid {
            app_id: "999".into(),
            granular: json!([]),
        },
        ..LoginSpec::valid(1)
    };
    let h = harness(&[("t", foreign)]).await;
    let snap = h
        .client
        .inspect_login(&SecretString::from("t"), &InspectOptions::default())
        .await
        .unwrap();
    let TokenValidity::Broken {
        reason,
        platform_error,
    } = snap.login.token.validity
    else {
        panic!("expected broken")
    };
    assert_eq!(reason, BrokenReason::Unreadable);
    assert!(
        platform_error
            .unwrap()
            .message
            .contains("belongs to app 999")
    );
}

#[tokio::test]
async fn login_wide_problems_are_observed_not_broken() {
    let feature = LoginSpec {
        me: MeSpec::Error(r#"{"error":{"message":"(#3) Application does not have the capability to make this API call.","type":"OAuthException","code":3}}"#.into()),
        ..LoginSpec::valid(0)
    };
    let perm = LoginSpec {
        me: MeSpec::Error(fixture("error_code100_missing_permission_or_feature.json")),
        ..LoginSpec::valid(0)
    };
    let h = harness(&[("f", feature), ("p", perm)]).await;
    let r = h
        .client
        .inspect_logins(&tokens(&["f", "p"]), &InspectOptions::default())
        .await;
    let f = r[0].as_ref().unwrap();
    assert_eq!(f.login.token.validity, TokenValidity::Valid);
    assert_eq!(f.login.observed[0].kind, ObservedKind::AppFeatureMissing);
    assert_eq!(
        f.login.observed[0].platform_error.as_ref().unwrap().code,
        "3"
    );
    let p = r[1].as_ref().unwrap();
    assert_eq!(
        p.login.observed[0].kind,
        ObservedKind::PermissionMissing {
            permission: "pages_read_engagement".into()
        }
    );
}

#[tokio::test]
async fn a_refusal_the_closed_data_access_window_explains_is_data_access_expired() {
    // debug_token still calls the token valid (Meta: the person stays logged in after the 90-day
    // data-access window closes); `me` is refused with a permission error that names nothing.
    let lapsed = LoginSpec {
        debug: DebugSpec::Body(
            json!({"data": {"app_id": APP_ID, "type": "USER", "application": "t",
                "is_valid": true, "expires_at": 0, "data_access_expires_at": 1_800_000_000,
                "scopes": ["pages_show_list", "public_profile"], "user_id": "u-lapsed"}})
            .to_string(),
        ),
        me: MeSpec::Error(fixture(
            "error_permission_200_user_not_authorized_action.json",
        )),
        ..LoginSpec::valid(0)
    };
    let h = harness(&[("t", lapsed)]).await;
    let after = InspectOptions {
        now: Some(jiff::Timestamp::from_second(1_800_000_001).unwrap()),
        ..InspectOptions::default()
    };
    let snap = h
        .client
        .inspect_login(&SecretString::from("t"), &after)
        .await
        .expect("a verdict, not a failed check");
    let TokenValidity::Broken {
        reason,
        platform_error,
    } = &snap.login.token.validity
    else {
        panic!("expected broken: {:?}", snap.login.token)
    };
    assert_eq!(*reason, BrokenReason::DataAccessExpired);
    assert_eq!(platform_error.as_ref().unwrap().code, "200");

    // The same refusal while the window is open is explained by nothing: no verdict.
    let before = InspectOptions {
        now: Some(jiff::Timestamp::from_second(1_799_999_000).unwrap()),
        ..InspectOptions::default()
    };
    let r = h
        .client
        .inspect_login(&SecretString::from("t"), &before)
        .await;
    assert!(
        matches!(r, Err(CheckError::UnrecognizedPlatformError { .. })),
        "{r:?}"
    );
}

#[tokio::test]
async fn unrecognized_me_errors_are_kept_verbatim() {
    let odd = LoginSpec {
        me: MeSpec::Error(r#"{"error":{"message":"Something new","type":"OAuthException","code":9007,"error_subcode":77}}"#.into()),
        ..LoginSpec::valid(0)
    };
    let h = harness(&[("t", odd)]).await;
    let r = h
        .client
        .inspect_login(&SecretString::from("t"), &InspectOptions::default())
        .await;
    let Err(CheckError::UnrecognizedPlatformError { platform_error }) = r else {
        panic!("expected UnrecognizedPlatformError, got {r:?}")
    };
    assert_eq!(
        (
            platform_error.code.as_str(),
            platform_error.subcode.as_deref()
        ),
        ("9007", Some("77"))
    );
    assert_eq!(platform_error.message, "Something new");
}

#[tokio::test]
async fn unusable_tokens_are_refused_without_a_call() {
    let h = harness(&[("ok", LoginSpec::valid(0))]).await;
    let r = h
        .client
        .inspect_logins(&tokens(&["", "a b", "ok"]), &InspectOptions::default())
        .await;
    assert!(matches!(
        r[0],
        Err(CheckError::InvalidToken { index: 0, .. })
    ));
    assert!(matches!(
        r[1],
        Err(CheckError::InvalidToken { index: 1, .. })
    ));
    assert!(r[2].is_ok());
    assert_eq!(h.client.stats().platform_calls, 2);
}

#[tokio::test]
async fn debug_output_never_shows_secrets() {
    let h = harness_with(&[], |c| c.app_secret = SecretString::from("hunter2-secret")).await;
    let text = format!("{:?}", h.client);
    assert!(!text.contains("hunter2"), "{text}");
}
