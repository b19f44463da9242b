//! Outbound webhooks: retried with backoff under a stable id until accepted, logged per endpoint,
//! and a daily digest per workspace.

use crate::harness::{Engine, TestApp, on_each_engine};
use crate::journey::ALICE;
use reqwest::StatusCode;
use serde_json::json;
use std::sync::atomic::Ordering;

#[tokio::test]
async fn failed_deliveries_are_retried_under_the_same_id() {
    on_each_engine(|engine: Engine| async move {
        let t = TestApp::spawn(engine).await;
        t.inbox.answer.store(500, Ordering::SeqCst);
        t.connect(ALICE, &["read_insights"], &[], json!({})).await;
        let first = t.step().await;
        assert!(first.delivery_failures >= 1, "{first:?}");
        let failed_ids: Vec<String> = t
            .received()
            .iter()
            .map(|r| r.headers["webhook-id"].to_str().unwrap().to_owned())
            .collect();
        let (_, log) = t.get("/api/v1/webhook-deliveries").await;
        let entry = &log.as_array().unwrap()[0];
        assert_eq!(entry["attempts"], 1, "{log}");
        assert_eq!(entry["last_status"], 500);
        assert!(entry["delivered_at"].is_null());

        // Not due yet: nothing is sent again before the backoff.
        let again = t.step().await;
        assert_eq!(again.delivered + again.delivery_failures, 0, "{again:?}");

        t.inbox.answer.store(200, Ordering::SeqCst);
        t.advance(10).await;
        let retry = t.step().await;
        assert_eq!(retry.delivered, failed_ids.len(), "{retry:?}");
        let all = t.received();
        let ok_ids: Vec<String> = all[failed_ids.len()..]
            .iter()
            .map(|r| r.headers["webhook-id"].to_str().unwrap().to_owned())
            .collect();
        let mut a = failed_ids.clone();
        let mut b = ok_ids.clone();
        a.sort();
        b.sort();
        assert_eq!(a, b, "a retry carries the event's stable id");
        let (_, log) = t.get("/api/v1/webhook-deliveries").await;
        assert!(
            log.as_array()
                .unwrap()
                .iter()
                .all(|d| d["delivered_at"].is_string()),
            "{log}"
        );
    })
    .await;
}

#[tokio::test]
async fn a_digest_once_a_day_says_what_needs_attention() {
    let t = TestApp::spawn(Engine::Sqlite).await;
    t.connect(ALICE, &["read_insights"], &[], json!({})).await;
    t.step().await;
    assert!(
        t.events("workspace.digest").is_empty(),
        "not before the first day is over"
    );
    t.advance(25 * 3600).await;
    t.step().await;
    t.step().await;
    let digests = t.events("workspace.digest");
    assert_eq!(digests.len(), 1, "{digests:?}");
    let d = &digests[0]["data"];
    assert!(d["need_attention"].as_u64().unwrap() >= 1, "{d}");
    assert!(
        d["summary"].as_str().unwrap().contains("need attention"),
        "{d}"
    );
    t.advance(3600).await;
    t.step().await;
    assert_eq!(t.events("workspace.digest").len(), 1, "one per day");
}

/// SSRF: an endpoint may not point Tether at its own network. Refused when saved (loopback,
/// private, link-local, any spelling of them, credentials in the URL, absurd host names), and
/// again at delivery: the inbox on 127.0.0.1 (stored before the rule, or a name that now resolves
/// privately) receives nothing, and the delivery log says why instead of telling open ports from
/// closed ones.
#[tokio::test]
async fn endpoints_on_private_addresses_are_refused_when_saved_and_when_delivering() {
    let t = TestApp::spawn_strict(Engine::Sqlite).await;
    let long = format!("https://{}.example.com/", "a".repeat(250));
    for (url, code) in [
        ("http://127.0.0.1:9/hook", "private_address"),
        ("http://[::1]:9/hook", "private_address"),
        ("http://0x7f000001/hook", "private_address"),
        ("http://10.0.0.7/hook", "private_address"),
        (
            "http://169.254.169.254/latest/meta-data/",
            "private_address",
        ),
        ("http://localhost:9/hook", "private_address"),
        ("https://user:pass@hooks.example.com/in", "invalid_url"),
        (long.as_str(), "invalid_url"),
    ] {
        let (status, out) = t
            .post("/api/v1/webhook-endpoints", json!({"url": url}))
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{url}: {out}");
        assert_eq!(out["error"]["code"], code, "{url}: {out}");
    }

    // The harness's inbox endpoint (127.0.0.1) was stored directly: delivery refuses it.
    t.connect(ALICE, &["read_insights"], &[], json!({})).await;
    let step = t.step().await;
    assert!(step.delivery_failures >= 1, "{step:?}");
    assert!(t.received().is_empty(), "nothing reached 127.0.0.1");
    let (_, log) = t.get("/api/v1/webhook-deliveries").await;
    let entry = &log.as_array().unwrap()[0];
    let error = entry["last_error"].as_str().unwrap_or_default();
    assert!(error.contains("private"), "{log}");
    assert!(entry["last_status"].is_null(), "{log}");
}

/// One workspace's twenty endpoints that accept connections and never answer do not hold up
/// another workspace's event: the deliverer claims fairly and sends each delivery on its own.
#[tokio::test]
async fn one_workspaces_silent_endpoints_do_not_delay_another_workspaces_events() {
    on_each_engine(silent_endpoints).await;
}

async fn silent_endpoints(engine: Engine) {
    use tether_store::Store;
    let t = TestApp::spawn(engine).await;
    let silent = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = silent.local_addr().unwrap();
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = silent.accept().await {
            held.push(socket);
        }
    });
    let s = &t.app.state;
    let now = s.clock.now();
    let other = s
        .store
        .create_workspace("Other agency", now)
        .await
        .unwrap()
        .id;
    for i in 0..20 {
        s.store
            .create_endpoint(other, &format!("http://{addr}/hook{i}"), "silent", now)
            .await
            .unwrap();
    }
    for i in 0..40 {
        s.store
            .enqueue_event(other, "ping", &json!({ "n": i }), now)
            .await
            .unwrap();
    }
    s.store
        .enqueue_event(t.ws, "ping", &json!({ "mine": true }), now)
        .await
        .unwrap();
    let deliverer = tokio::spawn(tether_server::delivery::run(
        s.clone(),
        std::time::Duration::from_millis(50),
        std::future::pending(),
    ));
    let arrived = tokio::time::timeout(std::time::Duration::from_secs(5), async {
        while t.received().is_empty() {
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
    })
    .await;
    deliverer.abort();
    assert!(
        arrived.is_ok(),
        "this workspace's event waited behind the other's silent endpoints"
    );
    assert_eq!(t.received()[0].json()["data"]["mine"], true);
}

/// A backlog for one endpoint drains as fast as the endpoint answers: each finished delivery lets
/// the deliverer claim the next, instead of waiting for the next poll (an hour-long poll here).
#[tokio::test]
async fn a_backlog_drains_at_the_endpoints_pace_not_the_polls() {
    on_each_engine(backlog).await;
}

async fn backlog(engine: Engine) {
    use tether_store::Store;
    let t = TestApp::spawn(engine).await;
    let s = &t.app.state;
    let now = s.clock.now();
    for i in 0..40 {
        s.store
            .enqueue_event(t.ws, "ping", &json!({ "n": i }), now)
            .await
            .unwrap();
    }
    let deliverer = tokio::spawn(tether_server::delivery::run(
        s.clone(),
        std::time::Duration::from_secs(3600),
        std::future::pending(),
    ));
    let drained = tokio::time::timeout(std::time::Duration::from_secs(10), async {
        while t.received().len() < 40 {
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
    })
    .await;
    deliverer.abort();
    assert!(
        drained.is_ok(),
        "{} of 40 delivered: the deliverer waited for its poll",
        t.received().len()
    );
}

/// A worker stopped (SIGTERM) lets go of every lease it still holds before the process ends:
/// another worker takes its logins at once.
#[tokio::test]
async fn a_stopped_worker_releases_its_leases() {
    use tether_store::Store;
    let t = TestApp::spawn(Engine::Sqlite).await;
    t.connect(ALICE, &[], &[], json!({})).await;
    let s = &t.app.state;
    let owner = s.config.worker.owner.clone();
    let later = s.clock.now() + jiff::SignedDuration::from_hours(48);
    // As if a step had claimed them and then failed half way.
    let held = s
        .store
        .claim_due_logins(&owner, later, std::time::Duration::from_secs(600), 10, None)
        .await
        .unwrap();
    assert!(!held.is_empty());
    tether_server::run_worker(
        t.app.worker.clone(),
        std::time::Duration::from_millis(10),
        async {},
    )
    .await;
    let taken = s
        .store
        .claim_due_logins(
            "successor",
            later,
            std::time::Duration::from_secs(600),
            10,
            None,
        )
        .await
        .unwrap();
    assert_eq!(
        taken.len(),
        held.len(),
        "taken over at once, not after the lease"
    );
}
