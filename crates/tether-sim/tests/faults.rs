//! Every fault kind, matched by endpoint, token and count.

mod common;

use std::time::{Duration, Instant};

use common::*;
use serde_json::{Value, json};
use tether_sim::FaultSpec;

fn spec(v: Value) -> FaultSpec {
    serde_json::from_value(v).expect("fault spec parses")
}

#[tokio::test]
async fn graph_error_fires_count_times_for_the_matching_token() {
    let sim = Sim::shapes();
    let admin = sim.handle.admin();
    let f = admin
        .add_fault(&spec(json!({
            "match": {"endpoint": "me", "token": "tok-u1"},
            "count": 2,
            "graph_error": {"code": 4, "is_transient": true}
        })))
        .await
        .unwrap();
    assert_eq!(f["remaining"], 2);
    // Another token and another endpoint are not affected.
    assert_eq!(sim.graph("me", "tok-u3", Some("id")).await.0, 200);
    assert_eq!(sim.debug("tok-u1").await.0, 200);
    for _ in 0..2 {
        let (status, v) = sim.graph("me", "tok-u1", Some("id")).await;
        assert_eq!(status, 400);
        assert_eq!(v["error"]["code"], 4);
        assert_eq!(v["error"]["is_transient"], true);
        assert_eq!(
            v["error"]["message"],
            "(#4) Application request limit reached"
        );
    }
    assert_eq!(sim.graph("me", "tok-u1", Some("id")).await.0, 200);
    assert_eq!(sim.handle.stats().faults_applied, 2);
}

#[tokio::test]
async fn buc_rate_limit_sets_the_usage_header() {
    let sim = Sim::shapes();
    sim.handle
        .admin()
        .add_fault(&spec(json!({
            "match": {"endpoint": "accounts"},
            "graph_error": {"code": 80001, "estimated_time_to_regain_access": 17, "buc_object_id": "p1"}
        })))
        .await
        .unwrap();
    let (status, headers, text) = sim
        .get_raw(&format!(
            "/v24.0/me/accounts?access_token=tok-u1&appsecret_proof={}",
            proof("tok-u1")
        ))
        .await;
    assert_eq!(status, 400);
    let v: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(v["error"]["code"], 80001);
    let buc: Value =
        serde_json::from_str(headers["x-business-use-case-usage"].to_str().unwrap()).unwrap();
    assert_eq!(buc["p1"][0]["estimated_time_to_regain_access"], 17);
    assert_eq!(buc["p1"][0]["type"], "pages");
    // Unlimited until cleared.
    assert_eq!(sim.graph("me/accounts", "tok-u1", None).await.0, 400);
    let cleared = sim.handle.admin().clear_faults().await.unwrap();
    assert_eq!(cleared["cleared"], 1);
    assert_eq!(sim.graph("me/accounts", "tok-u1", None).await.0, 200);
}

#[tokio::test]
async fn http_status_fault_serves_a_non_json_body() {
    let sim = Sim::shapes();
    sim.handle
        .admin()
        .add_fault(&spec(json!({"match": {"endpoint": "debug_token"}, "count": 1, "http_status": {"status": 503}})))
        .await
        .unwrap();
    let app = app_token();
    let path = format!(
        "/debug_token?input_token=tok-u1&access_token={}&appsecret_proof={}",
        url::form_urlencoded::byte_serialize(app.as_bytes()).collect::<String>(),
        proof(&app)
    );
    let (status, headers, text) = sim.get_raw(&path).await;
    assert_eq!(status, 503);
    assert!(
        headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    assert!(serde_json::from_str::<Value>(&text).is_err());
    assert_eq!(sim.get_raw(&path).await.0, 200);
}

#[tokio::test]
async fn malformed_json_is_a_truncated_200() {
    let sim = Sim::shapes();
    sim.handle
        .admin()
        .add_fault(&spec(
            json!({"match": {"endpoint": "me"}, "count": 1, "malformed_json": {}}),
        ))
        .await
        .unwrap();
    let (status, _, text) = sim
        .get_raw(&format!(
            "/me?fields=id,name&access_token=tok-u1&appsecret_proof={}",
            proof("tok-u1")
        ))
        .await;
    assert_eq!(status, 200);
    assert!(text.starts_with("{\""), "{text}");
    assert!(serde_json::from_str::<Value>(&text).is_err());
}

#[tokio::test]
async fn faults_inside_and_around_batches() {
    let sim = Sim::shapes();
    let admin = sim.handle.admin();
    admin
        .add_fault(&spec(json!({"match": {"endpoint": "debug_token", "token": "tok-u3"}, "graph_error": {"code": 2, "is_transient": true, "http_status": 500}})))
        .await
        .unwrap();
    let items = json!([
        debug_item("tok-u1"),
        debug_item("tok-u3"),
        me_item("tok-u3", "id")
    ]);
    let (status, _, v) = sim.batch(&items, false).await;
    assert_eq!(status, 200);
    assert_eq!(v[0]["code"], 200);
    assert_eq!(v[1]["code"], 500);
    let body: Value = serde_json::from_str(v[1]["body"].as_str().unwrap()).unwrap();
    assert_eq!(body["error"]["code"], 2);
    assert_eq!(v[2]["code"], 200);

    admin
        .add_fault(&spec(json!({"match": {"endpoint": "batch"}, "count": 1, "http_status": {"status": 502, "body": "Bad Gateway"}})))
        .await
        .unwrap();
    let app = app_token();
    let p = proof(&app);
    let batch = items.to_string();
    let (status, _, text) = sim
        .post_form(
            "/",
            &[
                ("access_token", app.as_str()),
                ("appsecret_proof", p.as_str()),
                ("batch", batch.as_str()),
            ],
        )
        .await;
    assert_eq!(status, 502);
    assert_eq!(text, "Bad Gateway");
    let listed: Value = sim.get("/_admin/faults").await.1;
    assert_eq!(listed["faults"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn latency_delays_each_request_without_serialising_them() {
    let sim = Sim::shapes();
    sim.handle
        .admin()
        .add_fault(&spec(
            json!({"match": {"endpoint": "any"}, "latency": {"ms": 400}}),
        ))
        .await
        .unwrap();
    let started = Instant::now();
    let (status, _) = sim.graph("me", "tok-u1", Some("id")).await;
    assert_eq!(status, 200);
    assert!(started.elapsed() >= Duration::from_millis(400));

    // Five delayed requests at once: if the delay held the state lock they would take 2 s.
    let started = Instant::now();
    let calls = (0..5).map(|_| sim.graph("me", "tok-u1", Some("id")));
    let results = futures::future::join_all(calls).await;
    assert!(results.iter().all(|(s, _)| *s == 200));
    assert!(
        started.elapsed() < Duration::from_millis(1_900),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn bad_fault_specs_are_refused() {
    let sim = Sim::shapes();
    let resp = sim
        .http
        .post(sim.url("/_admin/faults"))
        .json(&json!({"match": {"endpoint": "nowhere"}, "latency": {"ms": 1}}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 400);
    let v: Value = resp.json().await.unwrap();
    assert!(v["error"].as_str().unwrap().contains("nowhere"), "{v}");
}

#[tokio::test]
async fn a_sampled_fault_fires_on_a_share_of_calls_and_counts_its_firings() {
    let sim = Sim::shapes();
    let admin = sim.handle.admin();
    let added = admin
        .add_sampled_fault(
            &spec(json!({"match": {"endpoint": "me"}, "graph_error": {"code": 2}})),
            tether_sim::Sample {
                probability: 0.5,
                seed: 11,
            },
        )
        .await
        .unwrap();
    assert_eq!(added["sample"]["probability"], 0.5, "{added}");
    assert_eq!(added["fired"], 0, "{added}");
    let mut failed: u64 = 0;
    for _ in 0..40 {
        if sim.graph("me", "tok-u1", Some("id")).await.0 != 200 {
            failed += 1;
        }
    }
    // Binomial(40, 0.5): outside 8..=32 once in a million runs, and the seed fixes it anyway.
    assert!((8..=32).contains(&failed), "{failed}");
    let listed = admin.faults().await.unwrap();
    assert_eq!(listed["faults"][0]["fired"], failed, "{listed}");
    assert_eq!(sim.handle.stats().faults_applied, failed);

    for probability in [0.0, 1.5] {
        let resp = sim
            .http
            .post(sim.url("/_admin/faults"))
            .json(&json!({"graph_error": {"code": 2}, "sample": {"probability": probability}}))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status().as_u16(), 400, "{probability}");
    }
}
