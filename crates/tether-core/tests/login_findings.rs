//! Findings about the login itself: broken and expiring tokens, data access, retired scopes.

mod common;

use common::*;
use tether_core::*;

#[test]
fn expiring_in_three_days_puts_everything_at_risk() {
    let e = engine("default");
    let mut login = healthy_login();
    let until = now() + days(3);
    login.token.expires_at = Some(until);
    let r = e.diagnose(&login, &[admin_page()], now());
    assert_eq!(r.login.status, Status::AtRisk);
    let f = one(&r.login.findings, FindingCode::TokenExpiring);
    assert_eq!(f.until, Some(until));
    assert_eq!(f.owner, Owner::ConnectingUser);
    assert!(
        f.remedy.summary.contains("25 November 2026"),
        "{}",
        f.remedy.summary
    );
    let a = &r.assets[0];
    assert_eq!(a.status, Status::AtRisk);
    assert!(a.features.values().all(|v| *v == FeatureVerdict::AtRisk));
    assert_eq!(
        one(&a.findings, FindingCode::TokenExpiring).until,
        Some(until)
    );
}

#[test]
fn data_access_expiring_and_profile_warning_window() {
    let c = catalog();
    let mut login = healthy_login();
    login.token.data_access_expires_at = Some(now() + days(10));
    let default = Engine::new(
        &c,
        Network::Meta,
        &Profile::builtin("scheduler").unwrap(),
        EngineOptions::default(),
    );
    assert_eq!(
        default
            .diagnose(&login, &[admin_page()], now())
            .login
            .status,
        Status::Connected
    );
    let wide = Profile::from_toml_str(
        "name = \"wide\"\nall_features = true\nwarning_days = 14\n",
        "wide.toml",
        &c,
    )
    .unwrap();
    let r = Engine::new(&c, Network::Meta, &wide, EngineOptions::default()).diagnose(
        &login,
        &[admin_page()],
        now(),
    );
    assert_eq!(r.login.status, Status::AtRisk);
    assert_eq!(
        one(&r.login.findings, FindingCode::DataAccessExpiring).until,
        login.token.data_access_expires_at
    );
}

#[test]
fn never_expiring_token_is_connected() {
    let e = engine("default");
    let mut login = healthy_login();
    login.token.expires_at = None;
    login.token.data_access_expires_at = None;
    let r = e.diagnose(&login, &[admin_page()], now());
    assert_eq!(r.login.status, Status::Connected);
    assert_eq!(r.login.token.expires_at, None);
    assert!(r.all_connected());
}

#[test]
fn broken_token_disconnects_everything_with_the_reason_on_each_asset() {
    let e = engine("default");
    let cases = [
        (BrokenReason::Expired, FindingCode::TokenExpired),
        (BrokenReason::PasswordChanged, FindingCode::TokenInvalidated),
        (
            BrokenReason::SessionInvalidated,
            FindingCode::TokenInvalidated,
        ),
        (BrokenReason::LoggedOut, FindingCode::TokenInvalidated),
        (BrokenReason::Inactive, FindingCode::TokenInvalidated),
        (
            BrokenReason::DataAccessExpired,
            FindingCode::DataAccessExpired,
        ),
        (BrokenReason::Unreadable, FindingCode::TokenInvalidated),
        (BrokenReason::Unknown, FindingCode::TokenInvalidated),
        (BrokenReason::AppRemoved, FindingCode::AppRemoved),
        (BrokenReason::Checkpoint, FindingCode::CheckpointRequired),
        (
            BrokenReason::UnconfirmedUser,
            FindingCode::CheckpointRequired,
        ),
    ];
    for (reason, code) in cases {
        let mut login = healthy_login();
        let error = PlatformError::new(190, Some(460), "Error validating access token");
        login.token.validity = TokenValidity::Broken {
            reason,
            platform_error: Some(error.clone()),
        };
        let r = e.diagnose(&login, &[admin_page(), admin_instagram(), group()], now());
        assert_eq!(r.login.status, Status::Disconnected, "{reason:?}");
        assert!(!r.login.token.valid);
        assert_eq!(
            r.login.findings.len(),
            1,
            "{reason:?}: {:#?}",
            r.login.findings
        );
        let f = &r.login.findings[0];
        assert_eq!(
            (f.code, f.owner),
            (code, Owner::ConnectingUser),
            "{reason:?}"
        );
        assert_eq!(f.platform_error.as_ref(), Some(&error));
        assert_eq!(f.features, Feature::ALL);
        for a in &r.assets[..2] {
            assert_eq!(a.status, Status::Disconnected);
            assert!(
                a.features
                    .values()
                    .all(|v| *v == FeatureVerdict::Unavailable)
            );
            let copy = one(&a.findings, code);
            assert_eq!(copy.platform_error.as_ref(), Some(&error));
            assert_eq!(copy.features.len(), a.features.len());
        }
        assert_eq!(r.assets[2].status, Status::Unsupported);
    }
}

#[test]
fn checkpoint_and_app_removed_remedies_say_what_actually_helps() {
    let e = engine("default");
    let mut login = healthy_login();
    login.token.validity = TokenValidity::Broken {
        reason: BrokenReason::Checkpoint,
        platform_error: None,
    };
    let r = e.diagnose(&login, &[], now());
    let remedy = &r.login.findings[0].remedy;
    assert!(
        remedy.summary.contains("reconnecting alone does not help"),
        "{}",
        remedy.summary
    );
    assert!(remedy.steps[0].contains("facebook.com"));
    login.token.validity = TokenValidity::Broken {
        reason: BrokenReason::AppRemoved,
        platform_error: None,
    };
    let r = e.diagnose(&login, &[], now());
    assert_eq!(
        r.login.findings[0].remedy.link.as_deref(),
        Some("https://www.facebook.com/settings/?tab=business_tools")
    );
}

#[test]
fn valid_token_past_its_dates_is_disconnected() {
    let e = engine("default");
    let mut login = healthy_login();
    login.token.expires_at = Some(now());
    let r = e.diagnose(&login, &[admin_page()], now());
    assert_eq!(r.login.status, Status::Disconnected);
    assert!(!r.login.token.valid);
    assert_eq!(
        one(&r.login.findings, FindingCode::TokenExpired).until,
        Some(now())
    );
    assert_eq!(r.assets[0].status, Status::Disconnected);

    let mut login = healthy_login();
    login.token.data_access_expires_at = Some(now() - days(1));
    let r = e.diagnose(&login, &[admin_page()], now());
    assert_eq!(r.login.status, Status::Disconnected);
    assert_eq!(r.login.findings.len(), 1);
    assert_eq!(r.login.findings[0].code, FindingCode::DataAccessExpired);
    assert_eq!(
        one(&r.assets[0].findings, FindingCode::DataAccessExpired).owner,
        Owner::ConnectingUser
    );
}

#[test]
fn retired_scopes_are_told_to_the_app_owner_without_changing_status() {
    let e = engine("default");
    let mut login = healthy_login();
    set_permission(
        &mut login,
        "publish_actions",
        Some(PermissionStatus::Granted),
    );
    set_permission(&mut login, "manage_pages", Some(PermissionStatus::Granted));
    let r = e.diagnose(&login, &[admin_page()], now());
    assert_eq!(r.login.status, Status::Connected);
    let retired: Vec<_> = find(&r.login.findings, FindingCode::ScopeRetired);
    assert_eq!(retired.len(), 2);
    assert!(
        retired
            .iter()
            .all(|f| f.owner == Owner::AppOwner && f.features.is_empty())
    );
    let names: Vec<_> = retired
        .iter()
        .map(|f| f.permission.as_deref().unwrap())
        .collect();
    assert_eq!(names, ["manage_pages", "publish_actions"]);
    assert_eq!(r.assets[0].status, Status::Connected);
}
