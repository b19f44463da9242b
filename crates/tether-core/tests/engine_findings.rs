//! Per-feature findings: permissions, per-asset grants, tasks, conditions, access and observed
//! problems, one scenario each with small hand-built facts; and the report's shape.

mod common;

use common::*;
use tether_core::*;

#[test]
fn healthy_admin_is_connected_everywhere() {
    let e = engine("default");
    let r = e.diagnose(&healthy_login(), &[admin_page(), admin_instagram()], now());
    assert_eq!(r.report_version, 2);
    assert_eq!(r.checked_at, now());
    assert_eq!(r.network, Network::Meta);
    assert_eq!(r.login.status, Status::Connected);
    assert!(r.login.findings.is_empty(), "{:#?}", r.login.findings);
    assert!(r.login.token.valid);
    for a in &r.assets {
        assert_eq!(a.status, Status::Connected, "{a:#?}");
        assert!(a.findings.is_empty());
        assert!(a.features.values().all(|v| *v == FeatureVerdict::Available));
    }
    // Leads and ads are Page features; product tagging is an Instagram feature.
    assert_eq!(r.assets[0].features.len(), 9);
    assert!(!r.assets[0].features.contains_key(&Feature::ProductTagging));
    assert!(r.assets[1].features.contains_key(&Feature::ProductTagging));
    assert!(r.all_connected());
}

#[test]
fn analyst_only_page_can_read_insights_but_not_publish() {
    let e = engine("default");
    let r = e.diagnose(
        &healthy_login(),
        &[page("1", "Riverside Library", &["ANALYZE"])],
        now(),
    );
    assert_eq!(r.login.status, Status::Connected);
    let a = &r.assets[0];
    assert_eq!(a.status, Status::ActionRequired);
    assert_eq!(verdict(a, Feature::Analytics), FeatureVerdict::Available);
    assert_eq!(verdict(a, Feature::Backfill), FeatureVerdict::Available);
    assert_eq!(verdict(a, Feature::Publish), FeatureVerdict::Unavailable);
    let content: Vec<_> = find(&a.findings, FindingCode::TaskMissing)
        .into_iter()
        .filter(|f| f.task.as_deref() == Some("CREATE_CONTENT") && f.tasks_any.is_empty())
        .collect();
    assert_eq!(content.len(), 1);
    let f = content[0];
    assert_eq!(f.owner, Owner::AssetAdmin);
    assert_eq!(f.features, [Feature::Publish, Feature::PublishVideo]);
    assert!(
        f.remedy.summary.contains("\"Content\""),
        "{}",
        f.remedy.summary
    );
    assert!(f.remedy.summary.contains("Riverside Library"));
    assert!(
        f.remedy.steps.iter().any(|s| s.contains("Refresh")),
        "{:?}",
        f.remedy.steps
    );
    let inbox = a
        .findings
        .iter()
        .find(|f| f.features == [Feature::Inbox])
        .expect("inbox finding");
    assert_eq!(inbox.task.as_deref(), Some("MESSAGING"));
    assert_eq!(inbox.tasks_any, ["MESSAGING", "MODERATE"]);
    assert!(
        inbox
            .remedy
            .summary
            .contains("\"Messages or Community activity\""),
        "{}",
        inbox.remedy.summary
    );
}

#[test]
fn moderator_only_page_answers_people_but_cannot_publish() {
    let e = engine("default");
    let tasks = ["MODERATE", "MESSAGING", "ADVERTISE", "ANALYZE"];
    let r = e.diagnose(
        &healthy_login(),
        &[page("1", "Riverside Library", &tasks)],
        now(),
    );
    let a = &r.assets[0];
    for f in [
        Feature::Comments,
        Feature::Inbox,
        Feature::Webhooks,
        Feature::Ads,
        Feature::Leads,
        Feature::Analytics,
    ] {
        assert_eq!(verdict(a, f), FeatureVerdict::Available, "{f}");
    }
    assert_eq!(verdict(a, Feature::Publish), FeatureVerdict::Unavailable);
    assert_eq!(a.findings.len(), 1, "{:#?}", a.findings);
    assert_eq!(a.findings[0].task.as_deref(), Some("CREATE_CONTENT"));
}

#[test]
fn declined_permission_is_a_login_finding_repeated_on_the_page() {
    let e = engine("default");
    let mut login = healthy_login();
    set_permission(
        &mut login,
        "read_insights",
        Some(PermissionStatus::Declined),
    );
    let r = e.diagnose(&login, &[admin_page(), admin_instagram()], now());
    assert_eq!(r.login.status, Status::ActionRequired);
    assert_eq!(r.login.permissions.declined, ["read_insights"]);
    let f = one(&r.login.findings, FindingCode::PermissionDeclined);
    assert_eq!(f.permission.as_deref(), Some("read_insights"));
    assert_eq!(f.owner, Owner::ConnectingUser);
    assert_eq!(f.features, [Feature::Analytics]);
    assert!(
        f.remedy.summary.contains("Read Page and app insights"),
        "{}",
        f.remedy.summary
    );
    assert!(f.remedy.steps.iter().any(|s| s.contains("Reconnect")));
    let page = &r.assets[0];
    assert_eq!(page.status, Status::ActionRequired);
    assert_eq!(
        verdict(page, Feature::Analytics),
        FeatureVerdict::Unavailable
    );
    assert_eq!(
        one(&page.findings, FindingCode::PermissionDeclined).features,
        [Feature::Analytics]
    );
    // Instagram insights use instagram_manage_insights, not read_insights.
    assert_eq!(r.assets[1].status, Status::Connected);
}

#[test]
fn expired_and_missing_permissions_get_their_own_codes() {
    let e = engine("default");
    let mut login = healthy_login();
    set_permission(
        &mut login,
        "pages_messaging",
        Some(PermissionStatus::Expired),
    );
    set_permission(&mut login, "leads_retrieval", None);
    let r = e.diagnose(&login, &[admin_page()], now());
    let expired = one(&r.login.findings, FindingCode::PermissionExpired);
    assert_eq!(expired.permission.as_deref(), Some("pages_messaging"));
    assert_eq!(expired.features, [Feature::Inbox]);
    let missing = one(&r.login.findings, FindingCode::PermissionMissing);
    assert_eq!(missing.permission.as_deref(), Some("leads_retrieval"));
    assert_eq!(missing.features, [Feature::Leads]);
    assert_eq!(r.login.permissions.expired, ["pages_messaging"]);
}

#[test]
fn a_shared_permission_is_one_finding_naming_every_feature_it_blocks() {
    let e = engine("default");
    let mut login = healthy_login();
    set_permission(
        &mut login,
        "pages_show_list",
        Some(PermissionStatus::Declined),
    );
    set_permission(&mut login, "instagram_basic", None);
    let r = e.diagnose(&login, &[admin_page()], now());
    let f = one(&r.login.findings, FindingCode::PermissionDeclined);
    assert_eq!(f.features, Feature::ALL);
    // Sorted: severity first, then code, then subject.
    let codes: Vec<_> = r.login.findings.iter().map(|f| f.code).collect();
    assert_eq!(
        codes,
        [
            FindingCode::PermissionDeclined,
            FindingCode::PermissionMissing
        ]
    );
    let page = &r.assets[0];
    assert!(
        page.features
            .values()
            .all(|v| *v == FeatureVerdict::Unavailable)
    );
    // The Page does not need instagram_basic, so its own copy does not mention it.
    assert!(find(&page.findings, FindingCode::PermissionMissing).is_empty());
}

#[test]
fn any_of_permissions_name_the_preferred_or_the_declined_one() {
    let e = engine("default");
    let mut login = healthy_login();
    set_permission(&mut login, "ads_management", None);
    set_permission(&mut login, "ads_read", Some(PermissionStatus::Granted));
    let r = e.diagnose(&login, &[admin_page()], now());
    assert_eq!(
        verdict(&r.assets[0], Feature::Ads),
        FeatureVerdict::Available
    );
    assert_eq!(
        verdict(&r.assets[0], Feature::Leads),
        FeatureVerdict::Unavailable
    );

    set_permission(&mut login, "ads_read", None);
    let r = e.diagnose(&login, &[admin_page()], now());
    let f = one(&r.login.findings, FindingCode::PermissionMissing);
    assert_eq!(f.permission.as_deref(), Some("ads_management"));
    assert_eq!(f.features, [Feature::Ads, Feature::Leads]);

    set_permission(&mut login, "ads_read", Some(PermissionStatus::Declined));
    let r = e.diagnose(&login, &[admin_page()], now());
    let declined = one(&r.login.findings, FindingCode::PermissionDeclined);
    assert_eq!(
        (declined.permission.as_deref(), &declined.features[..]),
        (Some("ads_read"), &[Feature::Ads][..])
    );
}

#[test]
fn per_page_grant_that_leaves_a_page_out() {
    let e = engine("default");
    let mut login = healthy_login();
    login.granular_scopes = vec![
        GranularScope {
            scope: "pages_manage_posts".into(),
            target_ids: Some(vec!["999".into()]),
        },
        GranularScope {
            scope: "pages_show_list".into(),
            target_ids: None,
        },
    ];
    let other = page("999", "Other Page", &ALL_TASKS);
    let r = e.diagnose(&login, &[admin_page(), other], now());
    assert_eq!(r.login.status, Status::Connected);
    let a = &r.assets[0];
    assert_eq!(a.status, Status::ActionRequired);
    let f = one(&a.findings, FindingCode::PermissionNotGrantedForAsset);
    assert_eq!(f.permission.as_deref(), Some("pages_manage_posts"));
    assert_eq!(f.owner, Owner::ConnectingUser);
    assert_eq!(f.features, [Feature::Publish, Feature::PublishVideo]);
    assert!(
        f.remedy
            .steps
            .iter()
            .any(|s| s.contains("Riverside Library") && s.contains("tick")),
        "{:?}",
        f.remedy.steps
    );
    assert_eq!(r.assets[1].status, Status::Connected);
}

#[test]
fn instagram_grant_may_name_the_linked_page() {
    let e = engine("default");
    let mut login = healthy_login();
    login.granular_scopes = vec![GranularScope {
        scope: "instagram_basic".into(),
        target_ids: Some(vec!["104518538110000".into()]),
    }];
    let r = e.diagnose(&login, &[admin_instagram()], now());
    assert_eq!(r.assets[0].status, Status::Connected);
}

#[test]
fn instagram_conditions() {
    let e = engine("default");
    let mut unlinked = admin_instagram();
    unlinked.instagram.as_mut().unwrap().linked_page_id = None;
    let r = e.diagnose(&healthy_login(), &[unlinked], now());
    let f = one(&r.assets[0].findings, FindingCode::InstagramNotLinked);
    assert_eq!(f.owner, Owner::AssetAdmin);
    assert_eq!(f.features.len(), r.assets[0].features.len());

    let mut personal = admin_instagram();
    personal.instagram.as_mut().unwrap().professional = Some(false);
    let r = e.diagnose(&healthy_login(), &[personal], now());
    assert_eq!(
        one(&r.assets[0].findings, FindingCode::InstagramNotProfessional).owner,
        Owner::AccountOwner
    );
    assert_eq!(r.assets[0].status, Status::ActionRequired);

    let mut no_shop = admin_instagram();
    no_shop.instagram.as_mut().unwrap().product_tag_eligible = Some(false);
    let r = e.diagnose(&healthy_login(), &[no_shop], now());
    let f = one(
        &r.assets[0].findings,
        FindingCode::InstagramShoppingIneligible,
    );
    assert_eq!(
        (f.owner, &f.features[..]),
        (Owner::AccountOwner, &[Feature::ProductTagging][..])
    );
    assert_eq!(
        verdict(&r.assets[0], Feature::Publish),
        FeatureVerdict::Available
    );

    let mut unchecked = admin_instagram();
    let ig = unchecked.instagram.as_mut().unwrap();
    ig.professional = None;
    ig.product_tag_eligible = None;
    assert_eq!(
        e.diagnose(&healthy_login(), &[unchecked], now()).assets[0].status,
        Status::Connected
    );
}

#[test]
fn an_unlinked_instagram_account_is_told_to_link_not_to_ask_for_page_tasks() {
    let e = engine("scheduler");
    // Reached only through a grant: no Page, so no tasks either.
    let mut unlinked = instagram("17841400000000005", "maplecafe", None, &[]);
    unlinked.instagram = Some(tether_core::InstagramFacts::default());
    let r = e.diagnose(&healthy_login(), &[unlinked], now());
    let codes: Vec<FindingCode> = r.assets[0].findings.iter().map(|f| f.code).collect();
    assert_eq!(codes, [FindingCode::InstagramNotLinked]);
    assert_eq!(r.assets[0].status, Status::ActionRequired);
    assert!(
        r.assets[0]
            .features
            .values()
            .all(|v| *v == FeatureVerdict::Unavailable)
    );
}

#[test]
fn instagram_without_linked_page_tasks() {
    let e = engine("scheduler");
    let ig = instagram(
        "17841400478070000",
        "riverside.library",
        Some("1"),
        &["ANALYZE"],
    );
    let r = e.diagnose(&healthy_login(), &[ig], now());
    let f = r.assets[0]
        .findings
        .iter()
        .find(|f| f.features.contains(&Feature::Publish))
        .unwrap();
    assert_eq!(f.code, FindingCode::TaskMissing);
    assert_eq!(f.tasks_any, ["CREATE_CONTENT", "MANAGE"]);
    assert!(
        f.remedy.summary.contains("\"Content or Full control\""),
        "{}",
        f.remedy.summary
    );
}

#[test]
fn asset_no_longer_listed_lost_access() {
    let e = engine("default");
    let mut gone = admin_page();
    gone.listed = false;
    let r = e.diagnose(&healthy_login(), &[gone], now());
    let a = &r.assets[0];
    assert_eq!(a.status, Status::ActionRequired);
    assert!(
        a.features
            .values()
            .all(|v| *v == FeatureVerdict::Unavailable)
    );
    assert_eq!(a.findings.len(), 1);
    assert_eq!(
        (a.findings[0].code, a.findings[0].owner),
        (FindingCode::AssetAccessLost, Owner::AssetAdmin)
    );
    assert_eq!(r.login.status, Status::Connected);
}

#[test]
fn a_page_left_out_of_the_grant_is_the_connecting_persons_to_tick() {
    // Facebook's "choose the Pages" step: the person ticked Page 2 only. Riverside Library, known
    // from an earlier connection, is no longer listed and no per-asset grant names it.
    let e = engine("default");
    let mut login = healthy_login();
    login.granular_scopes = vec![
        GranularScope {
            scope: "pages_show_list".into(),
            target_ids: Some(vec!["2".into()]),
        },
        GranularScope {
            scope: "pages_manage_posts".into(),
            target_ids: Some(vec!["2".into()]),
        },
    ];
    let mut unticked = admin_page();
    unticked.listed = false;
    let r = e.diagnose(&login, &[unticked], now());
    let a = &r.assets[0];
    assert_eq!(a.status, Status::ActionRequired);
    assert_eq!(a.findings.len(), 1, "{:#?}", a.findings);
    let f = &a.findings[0];
    assert_eq!(
        (f.code, f.owner),
        (
            FindingCode::PermissionNotGrantedForAsset,
            Owner::ConnectingUser
        )
    );
    assert_eq!(f.permission.as_deref(), Some("pages_show_list"));
    assert_eq!(
        f.features.len(),
        a.features.len(),
        "it explains every feature"
    );
    assert!(f.remedy.steps.iter().any(|s| s.contains("Reconnect")));

    // Named in the grant yet not listed: the person lost their access, a Page admin's to give.
    let both = Some(vec!["104518538110000".into(), "2".into()]);
    login.granular_scopes[0].target_ids = both.clone();
    login.granular_scopes[1].target_ids = both;
    let mut gone = admin_page();
    gone.listed = false;
    let r = e.diagnose(&login, &[gone], now());
    assert_eq!(
        r.assets[0].findings[0].code,
        FindingCode::AssetAccessLost,
        "{:#?}",
        r.assets[0].findings
    );
}

#[test]
fn observed_problems_become_findings_with_the_platform_error() {
    let e = engine("default");
    let mut login = healthy_login();
    let code3 = PlatformError::new(
        3,
        None::<u8>,
        "(#3) Application does not have the capability",
    );
    login.observed.push(ObservedProblem {
        kind: ObservedKind::AppFeatureMissing,
        features: vec![Feature::Inbox],
        platform_error: Some(code3.clone()),
    });
    let mut restricted = admin_page();
    restricted.observed.push(ObservedProblem {
        kind: ObservedKind::AccountRestricted,
        features: vec![],
        platform_error: Some(PlatformError::new(368, None::<u8>, "blocked")),
    });
    let mut perm = admin_page();
    perm.id = "2".into();
    perm.observed.push(ObservedProblem {
        kind: ObservedKind::PermissionMissing {
            permission: "pages_manage_posts".into(),
        },
        features: vec![Feature::Publish],
        platform_error: None,
    });
    let r = e.diagnose(&login, &[restricted, perm], now());
    let f = one(&r.login.findings, FindingCode::AppFeatureMissing);
    assert_eq!(
        (f.owner, &f.features[..]),
        (Owner::AppOwner, &[Feature::Inbox][..])
    );
    assert_eq!(f.platform_error.as_ref(), Some(&code3));
    assert_eq!(r.login.status, Status::ActionRequired);

    let a = &r.assets[0];
    let f = one(&a.findings, FindingCode::AccountRestricted);
    assert_eq!(f.owner, Owner::AssetAdmin);
    assert_eq!(f.features.len(), a.features.len());
    assert_eq!(f.platform_error.as_ref().unwrap().code, "368");
    assert!(
        a.features
            .values()
            .all(|v| *v == FeatureVerdict::Unavailable)
    );
    assert_eq!(
        one(&a.findings, FindingCode::AppFeatureMissing).features,
        [Feature::Inbox]
    );

    let b = &r.assets[1];
    let f = one(&b.findings, FindingCode::PermissionMissing);
    assert_eq!(f.permission.as_deref(), Some("pages_manage_posts"));
    assert_eq!(verdict(b, Feature::Publish), FeatureVerdict::Unavailable);
    assert_eq!(verdict(b, Feature::PublishVideo), FeatureVerdict::Available);

    let mut lost = admin_page();
    lost.observed.push(ObservedProblem {
        kind: ObservedKind::AssetAccessLost,
        features: vec![],
        platform_error: None,
    });
    let r = e.diagnose(&healthy_login(), &[lost], now());
    assert_eq!(
        one(&r.assets[0].findings, FindingCode::AssetAccessLost).owner,
        Owner::AssetAdmin
    );
}

#[test]
fn groups_are_unsupported() {
    let e = engine("default");
    let r = e.diagnose(&healthy_login(), &[group()], now());
    let a = &r.assets[0];
    assert_eq!(a.status, Status::Unsupported);
    assert!(a.features.is_empty());
    let f = one(&a.findings, FindingCode::PlatformUnsupported);
    assert_eq!(f.owner, Owner::Platform);
    assert!(f.remedy.summary.contains("2024-04-22"));
    assert!(!r.all_connected());
}

#[test]
fn listening_profile_is_never_told_about_publishing() {
    let e = engine("listening");
    let mut login = healthy_login();
    set_permission(
        &mut login,
        "pages_manage_posts",
        Some(PermissionStatus::Declined),
    );
    set_permission(&mut login, "publish_video", None);
    let r = e.diagnose(
        &login,
        &[page("1", "Riverside Library", &["ANALYZE"])],
        now(),
    );
    let json = serde_json::to_string(&r).unwrap();
    assert!(
        !json.contains("\"permission\":\"pages_manage_posts\""),
        "{json}"
    );
    assert!(!json.contains("CREATE_CONTENT"), "{json}");
    assert!(r.login.findings.is_empty());
    let a = &r.assets[0];
    let features: Vec<_> = a.features.keys().copied().collect();
    assert_eq!(features, [Feature::Comments, Feature::Backfill]);
    assert_eq!(verdict(a, Feature::Backfill), FeatureVerdict::Available);
    // Reading comments needs Community activity, which an analyst lacks.
    assert_eq!(
        one(&a.findings, FindingCode::TaskMissing).task.as_deref(),
        Some("MODERATE")
    );
}

#[test]
fn permissions_block_is_sorted_and_report_serializes_to_the_contract() {
    let e = engine("messenger");
    let mut login = healthy_login();
    set_permission(
        &mut login,
        "read_insights",
        Some(PermissionStatus::Declined),
    );
    set_permission(&mut login, "email", Some(PermissionStatus::Declined));
    let r = e.diagnose(&login, &[admin_page()], now());
    let mut sorted = r.login.permissions.granted.clone();
    sorted.sort();
    assert_eq!(r.login.permissions.granted, sorted);
    assert_eq!(r.login.permissions.declined, ["email", "read_insights"]);
    // Analytics is not in the messenger profile: declining read_insights changes nothing.
    assert_eq!(r.login.status, Status::Connected);
    let v = serde_json::to_value(&r).unwrap();
    assert_eq!(v["login"]["status"], "connected");
    assert_eq!(v["assets"][0]["features"]["inbox"], "available");
    assert_eq!(v["checked_at"], "2026-11-22T10:00:00Z");
}

#[test]
fn every_remedy_in_every_report_is_filled_in() {
    let e = engine("default");
    let mut login = healthy_login();
    set_permission(
        &mut login,
        "pages_show_list",
        Some(PermissionStatus::Declined),
    );
    login.token.expires_at = Some(now() + days(2));
    let mut ig = admin_instagram();
    ig.instagram.as_mut().unwrap().linked_page_id = None;
    let r = e.diagnose(&login, &[page("1", "P", &[]), ig, group()], now());
    let all = r
        .login
        .findings
        .iter()
        .chain(r.assets.iter().flat_map(|a| &a.findings));
    for f in all {
        for text in std::iter::once(&f.remedy.summary).chain(&f.remedy.steps) {
            assert!(
                !text.contains('{') && !text.is_empty(),
                "{:?}: {text}",
                f.code
            );
        }
    }
}

#[test]
fn report_features_are_the_hot_path_verdicts() {
    let e = engine("default");
    let mut login = healthy_login();
    set_permission(
        &mut login,
        "pages_manage_metadata",
        Some(PermissionStatus::Declined),
    );
    let assets = [
        admin_page(),
        page("2", "Analyst", &["ANALYZE"]),
        admin_instagram(),
        group(),
    ];
    let r = e.diagnose(&login, &assets, now());
    let cl = e.compile_login(&login, now());
    for (facts, report) in assets.iter().zip(&r.assets) {
        let v = e.feature_verdicts(&cl, &e.compile_asset(&login, facts));
        let hot: std::collections::BTreeMap<_, _> = v.iter().collect();
        assert_eq!(hot, report.features);
    }
}

#[test]
fn instagram_task_remedy_sends_people_to_the_linked_page() {
    let e = engine("scheduler");
    let page = page("1", "Riverside Library", &["ANALYZE"]);
    let ig = instagram(
        "17841400478070000",
        "riverside.library",
        Some("1"),
        &["ANALYZE"],
    );
    let r = e.diagnose(&healthy_login(), &[page, ig], now());
    let f = r.assets[1]
        .findings
        .iter()
        .find(|f| f.code == FindingCode::TaskMissing)
        .unwrap();
    assert!(
        f.remedy
            .summary
            .starts_with("Your access to Riverside Library"),
        "{}",
        f.remedy.summary
    );
    assert!(
        f.remedy.summary.ends_with("on riverside.library."),
        "{}",
        f.remedy.summary
    );
    assert!(f.remedy.steps[0].contains("Full control of Riverside Library"));
}

/// The access unit is data: a network whose `[[task]]` entries are organization roles says so
/// (`[access] finding = "role_missing"`), and a missing one is named as a role, for the asset's
/// admin to grant, never as a Page task.
#[test]
fn a_catalog_whose_access_unit_is_a_role_yields_role_missing() {
    let text = r#"
network = "meta"
[access]
finding = "role_missing"
[[permission]]
name = "w_organization_social"
[[task]]
name = "CONTENT_ADMIN"
label = "Content admin"
[[asset_kind]]
kind = "facebook_page"
label = "Organization page"
[[rule]]
feature = "publish"
asset_kind = "facebook_page"
permissions = ["w_organization_social"]
tasks = ["CONTENT_ADMIN"]
source = "a test of the access unit"
"#;
    let c = Catalog::from_toml_str(text, "roles.toml").unwrap();
    assert_eq!(c.access_finding, FindingCode::RoleMissing);
    let e = Engine::new(
        &c,
        Network::Meta,
        &Profile::all(&c),
        EngineOptions::default(),
    );
    let mut login = healthy_login();
    login.permissions = vec![PermissionGrant {
        name: "w_organization_social".into(),
        status: PermissionStatus::Granted,
    }];
    login.granular_scopes.clear();
    let r = e.diagnose(&login, &[page("9", "Acme", &[])], now());
    let f = &r.assets[0].findings[0];
    assert_eq!(f.code, FindingCode::RoleMissing, "{f:#?}");
    assert_eq!(f.role.as_deref(), Some("CONTENT_ADMIN"));
    assert_eq!(f.task, None);
    assert_eq!(f.owner, Owner::AssetAdmin);

    let bad = text.replace("role_missing", "permission_missing");
    let err = Catalog::from_toml_str(&bad, "roles.toml").unwrap_err();
    assert!(err.to_string().contains("[access] finding"), "{err}");
}
