//! A working login that reaches some assets only partly: permissions, Page tasks, per-Page
//! grants, Instagram accounts that cannot be used, groups.

use crate::harness::*;
use tether_sim::PermissionStatus;

#[tokio::test]
async fn healthy_admin_is_connected_everywhere() {
    let sim = TestSim::agency();
    let out = sim.diagnose(ADA_TOKEN).run().await;
    assert_eq!(out.status, 0, "{out}");
    let r = out.report();

    assert_eq!(r["checked_at"], "2026-11-23T09:00:00Z");
    let l = login(&r);
    assert_eq!(l["user_id"], ADA);
    assert_eq!(status(l), "connected");
    assert!(findings(l).is_empty(), "{l:#}");
    assert_eq!(l["token"]["valid"], true);
    // Issued 10 days before the clock start, valid 50 days from the start.
    assert_eq!(l["token"]["expires_at"], "2027-01-12T09:00:00Z");
    assert_eq!(l["token"]["data_access_expires_at"], "2027-02-21T09:00:00Z");
    assert_eq!(l["permissions"]["granted"].as_array().unwrap().len(), 19);
    assert_eq!(l["permissions"]["declined"], serde_json::json!([]));
    assert_eq!(l["permissions"]["expired"], serde_json::json!([]));

    // Pages in the order the platform lists them, each followed by its Instagram account.
    assert_eq!(
        asset_ids(&r),
        [PAGE_HARBOR, IG_HARBOR, PAGE_SUMMIT, IG_SUMMIT, PAGE_MAPLE]
    );
    for page in [PAGE_HARBOR, PAGE_SUMMIT, PAGE_MAPLE] {
        assert_eq!(asset(&r, page)["kind"], "facebook_page");
        assert_connected(&r, page, PAGE_FEATURES);
    }
    for ig in [IG_HARBOR, IG_SUMMIT] {
        assert_eq!(asset(&r, ig)["kind"], "instagram_account");
        assert_connected(&r, ig, IG_FEATURES);
    }
    assert_eq!(asset(&r, PAGE_HARBOR)["name"], "Harbor Bakery");
    assert_eq!(asset(&r, IG_HARBOR)["name"], "harborbakery");

    // The documented cost of a login with up to 100 Pages: one batch of two calls.
    let stats = sim.stats();
    assert_eq!(
        (stats.batch_requests, stats.platform_calls),
        (1, 2),
        "{stats:?}"
    );
}

#[tokio::test]
async fn page_granted_at_login_but_no_longer_reachable_is_access_lost() {
    let sim = TestSim::agency();
    let admin = sim.admin();
    admin
        .set_target_ids(
            ADA,
            "pages_manage_posts",
            Some(&[PAGE_HARBOR, PAGE_SUMMIT, PAGE_MAPLE]),
        )
        .await
        .unwrap();
    // Someone removed Ada from Maple Cafe after she connected it.
    admin.remove_tasks(PAGE_MAPLE, ADA).await.unwrap();
    let out = sim.diagnose(ADA_TOKEN).run().await;
    assert_eq!(out.status, 1, "{out}");
    let r = out.report();

    let maple = asset(&r, PAGE_MAPLE);
    assert_eq!(maple["kind"], "facebook_page");
    assert_eq!(findings(maple), sorted(&[("asset_access_lost", "")]));
    let f = finding(maple, "asset_access_lost", "");
    assert_eq!(f["owner"], "asset_admin");
    assert_eq!(feature_names(f), names(PAGE_FEATURES));
    assert_eq!(features_with(maple, "unavailable"), names(PAGE_FEATURES));
    // The login still works: this Page needs an admin, not a reconnect.
    assert_eq!(status(maple), "action_required");
    assert_eq!(status(login(&r)), "connected");

    assert_connected(&r, PAGE_HARBOR, PAGE_FEATURES);
    assert_connected(&r, PAGE_SUMMIT, PAGE_FEATURES);
}

#[tokio::test]
async fn declined_permission_blocks_its_feature_on_the_login_and_every_page() {
    let sim = TestSim::agency();
    sim.admin()
        .set_permission(ADA, "read_insights", PermissionStatus::Declined)
        .await
        .unwrap();
    let out = sim.diagnose(ADA_TOKEN).run().await;
    assert_eq!(out.status, 1, "{out}");
    let r = out.report();

    let l = login(&r);
    assert_eq!(status(l), "action_required");
    assert_eq!(l["token"]["valid"], true);
    assert_eq!(
        l["permissions"]["declined"],
        serde_json::json!(["read_insights"])
    );
    assert_eq!(
        findings(l),
        sorted(&[("permission_declined", "read_insights")])
    );
    let f = finding(l, "permission_declined", "read_insights");
    assert_eq!(f["owner"], "connecting_user");
    assert_eq!(feature_names(f), ["analytics"]);

    for page in [PAGE_HARBOR, PAGE_SUMMIT, PAGE_MAPLE] {
        let a = asset(&r, page);
        assert_eq!(status(a), "action_required", "{a:#}");
        assert_eq!(
            findings(a),
            sorted(&[("permission_declined", "read_insights")])
        );
        let f = finding(a, "permission_declined", "read_insights");
        assert_eq!(f["owner"], "connecting_user");
        assert_eq!(feature_names(f), ["analytics"]);
        assert_eq!(features_with(a, "unavailable"), ["analytics"]);
        assert_eq!(features_with(a, "available").len(), PAGE_FEATURES.len() - 1);
    }
    // Instagram insights need instagram_manage_insights, not read_insights.
    for ig in [IG_HARBOR, IG_SUMMIT] {
        assert_connected(&r, ig, IG_FEATURES);
    }
}

#[tokio::test]
async fn analyst_only_page_lacks_tasks_but_keeps_insights_and_backfill() {
    let sim = TestSim::agency();
    sim.admin()
        .set_tasks(PAGE_HARBOR, ADA, &["ANALYZE"])
        .await
        .unwrap();
    let out = sim.diagnose(ADA_TOKEN).run().await;
    assert_eq!(out.status, 1, "{out}");
    let r = out.report();

    // Tasks are per Page: the login itself is fine.
    assert!(findings(login(&r)).is_empty(), "{:#}", login(&r));

    let page = asset(&r, PAGE_HARBOR);
    assert_eq!(status(page), "action_required");
    assert_eq!(features_with(page, "available"), ["analytics", "backfill"]);
    assert_eq!(
        findings(page),
        sorted(&[
            ("task_missing", "CREATE_CONTENT"),
            ("task_missing", "CREATE_CONTENT"),
            ("task_missing", "MESSAGING"),
            ("task_missing", "MODERATE"),
            ("task_missing", "ADVERTISE"),
        ])
    );
    for f in page["findings"].as_array().unwrap() {
        assert_eq!(f["owner"], "asset_admin", "{f:#}");
    }
    let ads = finding(page, "task_missing", "ADVERTISE");
    assert_eq!(feature_names(ads), ["ads", "leads"]);
    let publish = finding_for(page, "task_missing", "CREATE_CONTENT", "publish");
    assert_eq!(feature_names(publish), ["publish", "publish_video"]);
    assert!(publish.get("tasks_any").is_none(), "{publish:#}");
    // Webhooks work with any of three tasks: a separate finding that offers all three.
    let webhooks = finding_for(page, "task_missing", "CREATE_CONTENT", "webhooks");
    assert_eq!(feature_names(webhooks), ["webhooks"]);
    assert_eq!(
        webhooks["tasks_any"],
        serde_json::json!(["CREATE_CONTENT", "MODERATE", "MANAGE"])
    );
    // Inbox works with either Messages or Community activity: the finding offers both.
    let inbox = finding(page, "task_missing", "MESSAGING");
    assert_eq!(
        inbox["tasks_any"],
        serde_json::json!(["MESSAGING", "MODERATE"])
    );
    assert_eq!(feature_names(inbox), ["inbox"]);

    // The Instagram account is used through the Page's tasks.
    let ig = asset(&r, IG_HARBOR);
    assert_eq!(status(ig), "action_required");
    assert_eq!(features_with(ig, "available"), ["analytics", "backfill"]);
    assert_eq!(
        findings(ig),
        sorted(&[
            ("task_missing", "CREATE_CONTENT"),
            ("task_missing", "CREATE_CONTENT"),
            ("task_missing", "MESSAGING"),
            ("task_missing", "MODERATE"),
        ])
    );

    assert_connected(&r, PAGE_SUMMIT, PAGE_FEATURES);
    assert_connected(&r, IG_SUMMIT, IG_FEATURES);
    assert_connected(&r, PAGE_MAPLE, PAGE_FEATURES);
}

#[tokio::test]
async fn moderator_only_page_cannot_publish_but_answers_people() {
    let sim = TestSim::agency();
    sim.admin()
        .set_tasks(
            PAGE_SUMMIT,
            ADA,
            &["ANALYZE", "ADVERTISE", "MESSAGING", "MODERATE"],
        )
        .await
        .unwrap();
    let out = sim.diagnose(ADA_TOKEN).run().await;
    assert_eq!(out.status, 1, "{out}");
    let r = out.report();
    assert!(findings(login(&r)).is_empty(), "{:#}", login(&r));

    let page = asset(&r, PAGE_SUMMIT);
    assert_eq!(status(page), "action_required");
    assert_eq!(
        features_with(page, "unavailable"),
        ["publish", "publish_video"]
    );
    assert_eq!(
        findings(page),
        sorted(&[("task_missing", "CREATE_CONTENT")])
    );
    let f = finding(page, "task_missing", "CREATE_CONTENT");
    assert_eq!(f["owner"], "asset_admin");
    assert_eq!(feature_names(f), ["publish", "publish_video"]);

    let ig = asset(&r, IG_SUMMIT);
    assert_eq!(status(ig), "action_required");
    assert_eq!(
        features_with(ig, "unavailable"),
        ["product_tagging", "publish", "publish_video"]
    );
    assert_eq!(findings(ig), sorted(&[("task_missing", "CREATE_CONTENT")]));
    let f = finding(ig, "task_missing", "CREATE_CONTENT");
    assert_eq!(f["owner"], "asset_admin");
    assert_eq!(
        f["tasks_any"],
        serde_json::json!(["CREATE_CONTENT", "MANAGE"])
    );
    assert_eq!(
        feature_names(f),
        ["product_tagging", "publish", "publish_video"]
    );

    assert_connected(&r, PAGE_HARBOR, PAGE_FEATURES);
    assert_connected(&r, IG_HARBOR, IG_FEATURES);
    assert_connected(&r, PAGE_MAPLE, PAGE_FEATURES);
}

#[tokio::test]
async fn page_left_out_of_a_per_page_grant_is_the_only_one_affected() {
    let sim = TestSim::agency();
    // At login Ada allowed posting for Harbor Bakery and Maple Cafe only.
    sim.admin()
        .set_target_ids(ADA, "pages_manage_posts", Some(&[PAGE_HARBOR, PAGE_MAPLE]))
        .await
        .unwrap();
    let out = sim.diagnose(ADA_TOKEN).run().await;
    assert_eq!(out.status, 1, "{out}");
    let r = out.report();
    assert!(findings(login(&r)).is_empty(), "{:#}", login(&r));

    let page = asset(&r, PAGE_SUMMIT);
    assert_eq!(status(page), "action_required");
    assert_eq!(
        findings(page),
        sorted(&[("permission_not_granted_for_asset", "pages_manage_posts")])
    );
    let f = finding(
        page,
        "permission_not_granted_for_asset",
        "pages_manage_posts",
    );
    assert_eq!(f["owner"], "connecting_user");
    assert_eq!(feature_names(f), ["publish", "publish_video"]);
    assert_eq!(
        features_with(page, "unavailable"),
        ["publish", "publish_video"]
    );

    assert_connected(&r, PAGE_HARBOR, PAGE_FEATURES);
    assert_connected(&r, PAGE_MAPLE, PAGE_FEATURES);
    assert_connected(&r, IG_HARBOR, IG_FEATURES);
    assert_connected(&r, IG_SUMMIT, IG_FEATURES);
}

#[tokio::test]
async fn expired_permission_blocks_publishing_until_granted_again() {
    let sim = TestSim::agency();
    sim.admin()
        .set_permission(ADA, "pages_manage_posts", PermissionStatus::Expired)
        .await
        .unwrap();
    let out = sim.diagnose(ADA_TOKEN).run().await;
    assert_eq!(out.status, 1, "{out}");
    let r = out.report();

    let l = login(&r);
    assert_eq!(status(l), "action_required");
    assert_eq!(
        l["permissions"]["expired"],
        serde_json::json!(["pages_manage_posts"])
    );
    assert_eq!(
        findings(l),
        sorted(&[("permission_expired", "pages_manage_posts")])
    );
    let f = finding(l, "permission_expired", "pages_manage_posts");
    assert_eq!(f["owner"], "connecting_user");
    assert_eq!(feature_names(f), ["publish", "publish_video"]);

    for page in [PAGE_HARBOR, PAGE_SUMMIT, PAGE_MAPLE] {
        let a = asset(&r, page);
        assert_eq!(status(a), "action_required");
        assert_eq!(
            findings(a),
            sorted(&[("permission_expired", "pages_manage_posts")])
        );
        assert_eq!(
            features_with(a, "unavailable"),
            ["publish", "publish_video"]
        );
    }
    for ig in [IG_HARBOR, IG_SUMMIT] {
        assert_connected(&r, ig, IG_FEATURES);
    }
}

#[tokio::test]
async fn instagram_unlinked_from_its_page_is_named() {
    let sim = TestSim::agency();
    let admin = sim.admin();
    // The grant names both accounts, so the check knows which one it should have reached.
    admin
        .set_target_ids(ADA, "instagram_basic", Some(&[IG_HARBOR, IG_SUMMIT]))
        .await
        .unwrap();
    admin.unlink_instagram(IG_HARBOR).await.unwrap();
    let out = sim.diagnose(ADA_TOKEN).run().await;
    assert_eq!(out.status, 1, "{out}");
    let r = out.report();

    let ig = asset(&r, IG_HARBOR);
    assert_eq!(ig["kind"], "instagram_account");
    assert_eq!(status(ig), "action_required");
    assert_eq!(findings(ig), sorted(&[("instagram_not_linked", "")]));
    let f = finding(ig, "instagram_not_linked", "");
    assert_eq!(f["owner"], "asset_admin");
    assert_eq!(feature_names(f), names(IG_FEATURES));
    assert_eq!(features_with(ig, "unavailable"), names(IG_FEATURES));

    assert_connected(&r, PAGE_HARBOR, PAGE_FEATURES);
    assert_connected(&r, PAGE_SUMMIT, PAGE_FEATURES);
    assert_connected(&r, IG_SUMMIT, IG_FEATURES);
}

#[tokio::test]
async fn personal_instagram_account_cannot_be_used() {
    let sim = TestSim::agency();
    sim.admin()
        .set_professional(IG_HARBOR, false)
        .await
        .unwrap();
    let out = sim.diagnose(ADA_TOKEN).run().await;
    assert_eq!(out.status, 1, "{out}");
    let r = out.report();

    let ig = asset(&r, IG_HARBOR);
    assert_eq!(status(ig), "action_required");
    assert_eq!(findings(ig), sorted(&[("instagram_not_professional", "")]));
    let f = finding(ig, "instagram_not_professional", "");
    assert_eq!(f["owner"], "account_owner");
    assert_eq!(feature_names(f), names(IG_FEATURES));
    assert_eq!(features_with(ig, "unavailable"), names(IG_FEATURES));

    assert_connected(&r, PAGE_HARBOR, PAGE_FEATURES);
    assert_connected(&r, IG_SUMMIT, IG_FEATURES);
}

#[tokio::test]
async fn facebook_group_is_unsupported_by_the_platform() {
    let sim = TestSim::agency();
    let admin = sim.admin();
    admin
        .set_permission(ADA, "publish_to_groups", PermissionStatus::Granted)
        .await
        .unwrap();
    admin
        .set_target_ids(ADA, "publish_to_groups", Some(&[GROUP]))
        .await
        .unwrap();
    let out = sim.diagnose(ADA_TOKEN).run().await;
    assert_eq!(out.status, 1, "{out}");
    let r = out.report();

    let group = asset(&r, GROUP);
    assert_eq!(group["kind"], "facebook_group");
    assert_eq!(status(group), "unsupported");
    assert_eq!(findings(group), sorted(&[("platform_unsupported", "")]));
    assert_eq!(
        finding(group, "platform_unsupported", "")["owner"],
        "platform"
    );
    assert!(
        verdicts(group).is_empty(),
        "no feature applies to a group: {group:#}"
    );

    // The app still asks for a retired scope: that is the app owner's to fix, not Ada's.
    let l = login(&r);
    assert_eq!(
        findings(l),
        sorted(&[("scope_retired", "publish_to_groups")])
    );
    assert_eq!(
        finding(l, "scope_retired", "publish_to_groups")["owner"],
        "app_owner"
    );

    for page in [PAGE_HARBOR, PAGE_SUMMIT, PAGE_MAPLE] {
        assert_connected(&r, page, PAGE_FEATURES);
    }
}

#[tokio::test]
async fn listening_profile_on_an_analyst_page_never_asks_for_publishing() {
    let sim = TestSim::agency();
    let admin = sim.admin();
    admin
        .set_tasks(PAGE_HARBOR, ADA, &["ANALYZE"])
        .await
        .unwrap();
    // Even a declined publishing permission is none of a listening tool's business.
    admin
        .set_permission(ADA, "pages_manage_posts", PermissionStatus::Declined)
        .await
        .unwrap();
    let out = sim
        .diagnose(ADA_TOKEN)
        .args(&["--profile", "listening"])
        .run()
        .await;
    assert_eq!(out.status, 1, "{out}");
    let r = out.report();

    let all_findings = || {
        std::iter::once(login(&r))
            .chain(r["assets"].as_array().unwrap())
            .flat_map(|v| v["findings"].as_array().unwrap())
    };
    for f in all_findings() {
        assert_ne!(f["permission"], "pages_manage_posts", "{f:#}");
        assert_ne!(f["task"], "CREATE_CONTENT", "{f:#}");
        for feature in f["features"].as_array().unwrap() {
            assert!(feature == "backfill" || feature == "comments", "{f:#}");
        }
    }
    assert!(findings(login(&r)).is_empty(), "{:#}", login(&r));
    assert_eq!(status(login(&r)), "connected");

    for id in [PAGE_HARBOR, IG_HARBOR] {
        let a = asset(&r, id);
        assert_eq!(status(a), "action_required", "{a:#}");
        assert_eq!(features_with(a, "available"), ["backfill"]);
        assert_eq!(features_with(a, "unavailable"), ["comments"]);
        assert_eq!(findings(a), sorted(&[("task_missing", "MODERATE")]));
    }
    for id in [PAGE_SUMMIT, IG_SUMMIT, PAGE_MAPLE] {
        assert_connected(&r, id, &["backfill", "comments"]);
    }
}
