//! The "done when": connect with a permission declined and a Page left out, break the
//! login by a password change, reconnect granting everything, and read it all in the history.

use crate::harness::{Engine, TestApp, on_each_engine};
use reqwest::StatusCode;
use serde_json::{Value, json};

pub const ALICE: &str = "100000000000001";
pub const HARBOR: &str = "300000000000001";
pub const SUMMIT: &str = "300000000000002";
pub const HARBOR_IG: &str = "17841400000000001";

fn findings(report: &Value) -> Vec<Value> {
    report["findings"].as_array().cloned().unwrap_or_default()
}

async fn journey(engine: Engine) {
    let t = TestApp::spawn(engine).await;

    // 1. Connect through the dialog: read_insights unticked, Summit Outdoor left out.
    let r = t
        .connect(ALICE, &["read_insights"], &[SUMMIT], json!({}))
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "{engine:?}");
    let result_url = r.headers()["location"].to_str().unwrap().to_owned();
    assert!(result_url.contains("/connect/result"), "{result_url}");
    let page = t.http.get(&result_url).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.unwrap();
    assert!(
        html.contains("Alice Moreau") && html.contains("Harbor Bakery"),
        "{html}"
    );
    assert!(
        html.contains("action required"),
        "the result page says what is missing: {html}"
    );

    let harbor = t.asset_by_platform_id(HARBOR).await;
    assert_eq!(harbor["status"], "action_required", "{harbor}");
    assert!(
        !t.assets().await.iter().any(|a| a["platform_id"] == SUMMIT),
        "a Page left out of the grant is not connected"
    );
    let id = harbor["id"].as_str().unwrap().to_owned();
    let login_id = harbor["login_id"].as_str().unwrap().to_owned();
    let (s, detail) = t.get(&format!("/api/v1/assets/{id}")).await;
    assert_eq!(s, StatusCode::OK);
    let declined = findings(&detail["report"])
        .into_iter()
        .find(|f| f["code"] == "permission_declined" && f["permission"] == "read_insights")
        .unwrap_or_else(|| panic!("permission_declined read_insights in {detail}"));
    assert_eq!(declined["owner"], "connecting_user");
    assert!(
        declined["features"]
            .as_array()
            .unwrap()
            .contains(&json!("analytics"))
    );
    let (_, pf) = t
        .get(&format!("/api/v1/assets/{id}/preflight?feature=analytics"))
        .await;
    assert_eq!(pf["allowed"], false, "{pf}");
    let (_, pf) = t
        .get(&format!("/api/v1/assets/{id}/preflight?feature=publish"))
        .await;
    assert_eq!(pf["allowed"], true, "{pf}");

    t.step().await;
    let first = t.events("asset.status_changed").len();
    assert!(first >= 1, "the first verdicts are announced");

    // 2. The password changes: the next check says disconnected, announced exactly once.
    t.admin.change_password(ALICE).await.unwrap();
    t.advance(2 * 3600).await;
    let step = t.step().await;
    assert_eq!(step.checked, 1, "{step:?}");
    let harbor = t.asset_by_platform_id(HARBOR).await;
    assert_eq!(harbor["status"], "disconnected");
    // The broken login still has every name it had: the Page, its Instagram account, the person.
    assert_eq!(harbor["name"], "Harbor Bakery", "{harbor}");
    assert_eq!(
        t.asset_by_platform_id(HARBOR_IG).await["name"],
        "harborbakery"
    );
    let (_, logins) = t.get("/api/v1/logins").await;
    assert_eq!(logins[0]["person_name"], "Alice Moreau", "{logins}");
    t.step().await;
    let about_harbor = |t: &TestApp| {
        t.events("asset.status_changed")
            .into_iter()
            .filter(|e| e["data"]["asset_id"] == id.as_str())
            .collect::<Vec<_>>()
    };
    let changed = about_harbor(&t);
    let last = changed.last().unwrap();
    assert_eq!(last["data"]["old_status"], "action_required");
    assert_eq!(last["data"]["new_status"], "disconnected");
    assert!(
        findings(&last["data"])
            .iter()
            .any(|f| f["code"] == "token_invalidated"),
        "{last}"
    );
    let count = changed.len();
    // Another check of the same broken login announces nothing new.
    t.advance(6 * 3600).await;
    t.step().await;
    t.step().await;
    assert_eq!(
        about_harbor(&t).len(),
        count,
        "one event per change, never one per check"
    );

    // 3. Reconnect granting everything: same login, connected, one `resolved`.
    let r = t
        .connect(ALICE, &[], &[], json!({ "login_id": login_id }))
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let harbor = t.asset_by_platform_id(HARBOR).await;
    assert_eq!(harbor["status"], "connected", "{harbor}");
    assert_eq!(
        harbor["login_id"],
        login_id.as_str(),
        "a reconnect keeps the login"
    );
    assert_eq!(t.asset_by_platform_id(SUMMIT).await["status"], "connected");
    t.step().await;
    let resolved: Vec<Value> = t
        .events("asset.resolved")
        .into_iter()
        .filter(|e| e["data"]["asset_id"] == id.as_str())
        .collect();
    assert_eq!(resolved.len(), 1, "{resolved:?}");

    // 4. The history shows all of it.
    let (_, history) = t.get(&format!("/api/v1/assets/{id}/history")).await;
    let steps: Vec<(Value, Value)> = history
        .as_array()
        .unwrap()
        .iter()
        .map(|h| (h["old_status"].clone(), h["new_status"].clone()))
        .collect();
    let tail: Vec<(Value, Value)> = steps.iter().rev().take(2).rev().cloned().collect();
    assert_eq!(
        tail,
        vec![
            (json!("action_required"), json!("disconnected")),
            (json!("disconnected"), json!("connected")),
        ],
        "{history}"
    );
    assert_eq!(steps.first().unwrap().1, "action_required");

    // Deliveries are signed the Standard Webhooks way.
    for got in t.received() {
        let id = got.headers["webhook-id"].to_str().unwrap();
        let ts: i64 = got.headers["webhook-timestamp"]
            .to_str()
            .unwrap()
            .parse()
            .unwrap();
        let want = tether_server::delivery::sign(
            &secrecy::SecretString::from(t.endpoint_secret.clone()),
            id,
            ts,
            &got.body,
        )
        .unwrap();
        assert_eq!(got.headers["webhook-signature"].to_str().unwrap(), want);
    }
}

#[tokio::test]
async fn connect_break_and_reconnect_end_to_end() {
    on_each_engine(journey).await;
}

#[tokio::test]
async fn a_platform_outage_during_a_sweep_keeps_every_verdict() {
    on_each_engine(|engine| async move {
        let t = TestApp::spawn(engine).await;
        t.connect(ALICE, &["read_insights"], &[], json!({})).await;
        let before: Vec<(Value, Value)> = t
            .assets()
            .await
            .iter()
            .map(|a| (a["id"].clone(), a["status"].clone()))
            .collect();
        for fault in [
            json!({"http_status": {"status": 500}}),
            json!({"malformed_json": {}}),
            json!({"graph_error": {"code": 4}}),
        ] {
            t.admin
                .add_fault(&serde_json::from_value(fault.clone()).unwrap())
                .await
                .unwrap();
            t.advance(24 * 3600).await;
            let step = t.step().await;
            assert_eq!(step.failed, 1, "{fault}: {step:?}");
            let after: Vec<(Value, Value)> = t
                .assets()
                .await
                .iter()
                .map(|a| (a["id"].clone(), a["status"].clone()))
                .collect();
            assert_eq!(after, before, "{fault}: no verdict changes");
            assert!(t.assets().await.iter().all(|a| a["stale"] == true));
            let (_, logins) = t.get("/api/v1/logins").await;
            assert!(logins[0]["last_error"].is_string(), "{logins}");
            t.admin.clear_faults().await.unwrap();
        }
        // Recovery: the platform answers again, the verdicts are fresh.
        t.advance(24 * 3600).await;
        assert_eq!(t.step().await.checked, 1);
        assert!(t.assets().await.iter().all(|a| a["stale"] == false));
    })
    .await;
}

#[tokio::test]
async fn routine_checks_cost_one_call_per_unchanged_login() {
    let t = TestApp::spawn(Engine::Sqlite).await;
    for user in [ALICE, "100000000000002", "100000000000003"] {
        t.connect(user, &[], &[], json!({})).await;
    }
    t.admin.reset_stats().await.unwrap();
    let mut checked = 0;
    for _ in 0..3 {
        t.advance(25 * 3600).await;
        let step = t.step().await;
        checked += step.checked;
    }
    let stats = t.admin.stats().await.unwrap();
    assert_eq!(checked, 9);
    assert_eq!(
        stats.platform_calls, 9,
        "one `me` call per unchanged login, no debug_token: {stats:?}"
    );
}

#[tokio::test]
async fn a_page_unticked_at_reconnect_is_for_the_person_to_tick_not_a_page_admin() {
    let t = TestApp::spawn(Engine::Sqlite).await;
    t.connect(ALICE, &[], &[], json!({})).await;
    let summit = t.asset_by_platform_id(SUMMIT).await;
    assert_eq!(summit["status"], "connected", "{summit}");
    let login_id = summit["login_id"].as_str().unwrap().to_owned();
    // Reconnecting, Alice leaves Summit Outdoor unticked in "choose the Pages".
    t.connect(ALICE, &[], &[SUMMIT], json!({ "login_id": login_id }))
        .await;
    let summit = t.asset_by_platform_id(SUMMIT).await;
    assert_eq!(summit["status"], "action_required", "{summit}");
    assert_eq!(summit["name"], "Summit Outdoor Co");
    let (_, detail) = t
        .get(&format!(
            "/api/v1/assets/{}",
            summit["id"].as_str().unwrap()
        ))
        .await;
    let f = &findings(&detail["report"])[0];
    assert_eq!(f["code"], "permission_not_granted_for_asset", "{detail}");
    assert_eq!(f["owner"], "connecting_user", "{f}");
    assert!(
        findings(&detail["report"])
            .iter()
            .all(|f| f["owner"] == "connecting_user"),
        "nothing is asked of a Page admin: {detail}"
    );
}

#[tokio::test]
async fn a_closed_data_access_window_reads_data_access_expired_not_a_failed_check() {
    let t = TestApp::spawn(Engine::Sqlite).await;
    t.connect(ALICE, &[], &[], json!({})).await;
    t.step().await;
    // Alice has not used the app for 90 days: Facebook still calls her token valid but refuses
    // her data.
    let c = t.admin.clock().await.unwrap();
    let now: jiff::Timestamp = c["now"].as_str().unwrap().parse().unwrap();
    t.admin
        .set_data_access_expires_at(ALICE, now - jiff::SignedDuration::from_hours(1))
        .await
        .unwrap();
    t.advance(25 * 3600).await;
    let step = t.step().await;
    assert_eq!((step.checked, step.failed), (1, 0), "{step:?}");
    let harbor = t.asset_by_platform_id(HARBOR).await;
    assert_eq!(harbor["status"], "disconnected", "{harbor}");
    assert_eq!(harbor["name"], "Harbor Bakery");
    assert_eq!(
        harbor["stale"], false,
        "a verdict, not a failed check: {harbor}"
    );
    let (_, logins) = t.get("/api/v1/logins").await;
    let login_id = logins[0]["id"].as_str().unwrap();
    let (_, login) = t.get(&format!("/api/v1/logins/{login_id}")).await;
    let f = &findings(&login["report"]["login"])[0];
    assert_eq!(f["code"], "data_access_expired", "{login}");
    assert_eq!(f["owner"], "connecting_user");
    assert_eq!(f["platform_error"]["code"], "200", "{f}");
}
