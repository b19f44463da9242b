//! The platform's usage headers slow every worker before the platform throttles: a reading near
//! the limit, from this process or another on the same database, holds checks back for a while;
//! a low or old reading does not.

use crate::harness::{Engine, TestApp, on_each_engine};
use crate::journey::ALICE;
use serde_json::json;
use tether_core::Network;
use tether_store::{BudgetStore, PlatformUsage, Store};

/// Makes every login due now and runs one worker step.
async fn step_with_login_due(t: &TestApp) -> tether_server::StepReport {
    let s = &t.app.state;
    t.sync_clock().await;
    for l in s.store.list_logins(t.ws).await.unwrap() {
        s.store
            .schedule_check(t.ws, l.id, s.clock.now())
            .await
            .unwrap();
    }
    t.step().await
}

#[tokio::test]
async fn workers_slow_down_when_the_platform_says_the_app_nears_its_limit() {
    on_each_engine(|engine: Engine| async move {
        let t = TestApp::spawn(engine).await;
        t.connect(ALICE, &[], &[], json!({})).await;
        let _ = t.step().await;

        // The platform reports 95 % used: the check that brings the reading runs, the next
        // ones wait.
        t.admin.set_app_usage(Some(95)).await.unwrap();
        let first = step_with_login_due(&t).await;
        assert_eq!(first.checked, 1, "{first:?}");
        let held = step_with_login_due(&t).await;
        assert_eq!(
            (held.checked, held.platform_calls, held.slowed_by_usage),
            (0, 0, true),
            "{held:?}"
        );

        // Usage falls, but Tether only learns it with its next calls: it holds back while the
        // reading holds, then one step's calls bring the new one.
        t.admin.set_app_usage(None).await.unwrap();
        t.advance(60).await;
        assert_eq!(step_with_login_due(&t).await.checked, 0);
        t.advance(5 * 60).await;
        let probe = step_with_login_due(&t).await;
        assert_eq!(
            (probe.checked, probe.slowed_by_usage),
            (1, false),
            "{probe:?}"
        );
        assert_eq!(
            step_with_login_due(&t).await.checked,
            1,
            "the new reading is low"
        );

        // Another worker process on the same database saw the app at 92 %: this one holds back
        // too (the reading is shared through the database, like the call budget).
        let s = &t.app.state;
        s.store
            .note_usage(
                Network::Meta,
                PlatformUsage {
                    percent: 92,
                    at: s.clock.now(),
                },
            )
            .await
            .unwrap();
        let held = step_with_login_due(&t).await;
        assert_eq!((held.checked, held.slowed_by_usage), (0, true), "{held:?}");
    })
    .await;
}
