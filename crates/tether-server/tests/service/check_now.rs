//! "Check now" from the API and the dashboard: within the network's hourly call budget (shared
//! with the worker), one platform check for many concurrent requests, and a failure recorded
//! like the worker's (the verdict stays, marked stale with the reason).

use crate::harness::{Engine, TestApp, on_each_engine};
use crate::journey::ALICE;
use reqwest::StatusCode;
use serde_json::{Value, json};
use tether_store::Store;

async fn login_id(t: &TestApp) -> String {
    let (_, logins) = t.get("/api/v1/logins").await;
    logins[0]["id"].as_str().unwrap().to_owned()
}

async fn platform_calls(t: &TestApp) -> u64 {
    t.admin.stats().await.unwrap().platform_calls
}

#[tokio::test]
async fn check_now_keeps_to_the_budget_and_coalesces() {
    on_each_engine(|engine: Engine| async move {
        // Ten calls an hour: Meta costs at most two per check.
        let t = TestApp::spawn_with_budget(engine, 10).await;
        t.connect(ALICE, &[], &[], json!({})).await;
        let id = login_id(&t).await;
        let path = format!("/api/v1/logins/{id}/check");

        // Twenty at once make one check, not twenty.
        let before = platform_calls(&t).await;
        let answers = futures::future::join_all((0..20).map(|_| t.post(&path, json!({})))).await;
        for (s, body) in &answers {
            assert_eq!(*s, StatusCode::OK, "{body}");
            assert_eq!(body["outcome"], "verified", "{body}");
        }
        let spent = platform_calls(&t).await - before;
        assert!(
            spent <= 6,
            "twenty concurrent checks cost {spent} platform calls"
        );

        // One after another, until the hour's budget is spent: then 429, and no more calls.
        let mut refused = None;
        for _ in 0..10 {
            let (s, body) = t.post(&path, json!({})).await;
            if s == StatusCode::TOO_MANY_REQUESTS {
                refused = Some(body);
                break;
            }
            assert_eq!(s, StatusCode::OK, "{body}");
        }
        let refused = refused.expect("the budget runs out");
        assert_eq!(refused["error"]["code"], "rate_limited", "{refused}");
        assert!(
            platform_calls(&t).await - before <= 10,
            "never more than the budget"
        );
        // The worker spends from the same budget: a login due now waits for the next hour.
        let s = &t.app.state;
        let login = tether_store::LoginId(id.parse().unwrap());
        s.store
            .schedule_check(t.ws, login, s.clock.now())
            .await
            .unwrap();
        let step = t.step().await;
        assert_eq!(
            (step.platform_calls, step.budget_exhausted),
            (0, true),
            "{step:?}"
        );
        // An hour later the budget is back.
        t.advance(3600).await;
        let (s, body) = t.post(&path, json!({})).await;
        assert_eq!(s, StatusCode::OK, "{body}");
    })
    .await;
}

#[tokio::test]
async fn a_failed_check_now_keeps_the_verdict_and_says_it_is_stale() {
    on_each_engine(|engine: Engine| async move {
        let t = TestApp::spawn(engine).await;
        t.connect(ALICE, &[], &[], json!({})).await;
        let id = login_id(&t).await;
        t.advance(60).await;
        t.admin
            .add_fault(&serde_json::from_value(json!({"http_status": {"status": 500}})).unwrap())
            .await
            .unwrap();
        let (s, body) = t
            .post(&format!("/api/v1/logins/{id}/check"), json!({}))
            .await;
        assert_eq!(s, StatusCode::OK, "{body}");
        assert_eq!(body["outcome"], "failed", "{body}");
        let (_, login) = t.get(&format!("/api/v1/logins/{id}")).await;
        assert_eq!(login["status"], "connected", "the verdict stays: {login}");
        assert!(login["last_error"].is_string(), "{login}");
        let assets: Vec<Value> = t.assets().await;
        assert!(assets.iter().all(|a| a["stale"] == true), "{assets:?}");
        // The next check that reaches the platform clears it.
        t.admin.clear_faults().await.unwrap();
        t.advance(60).await;
        let (_, body) = t
            .post(&format!("/api/v1/logins/{id}/check"), json!({}))
            .await;
        assert_eq!(body["outcome"], "verified", "{body}");
        let (_, login) = t.get(&format!("/api/v1/logins/{id}")).await;
        assert!(login["last_error"].is_null(), "{login}");
        assert!(t.assets().await.iter().all(|a| a["stale"] == false));
    })
    .await;
}
