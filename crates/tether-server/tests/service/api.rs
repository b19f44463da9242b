//! The REST API's contract: keys, isolation, filters, pages, errors in one shape, and the
//! OpenAPI document (snapshot-tested).

use crate::harness::{Engine, TestApp, on_each_engine};
use crate::journey::{ALICE, HARBOR};
use reqwest::StatusCode;
use secrecy::ExposeSecret;
use serde_json::{Value, json};
use tether_store::Store;

const CARLA: &str = "100000000000003";

#[tokio::test]
async fn keys_and_workspaces_are_walls() {
    on_each_engine(|engine: Engine| async move {
        let t = TestApp::spawn(engine).await;
        t.connect(ALICE, &[], &[], json!({})).await;
        let harbor = t.asset_by_platform_id(HARBOR).await;
        let id = harbor["id"].as_str().unwrap();

        for key in [None, Some("garbage"), Some("")] {
            let mut r = t.http.get(t.url("/api/v1/assets"));
            if let Some(k) = key {
                r = r.header("authorization", format!("Bearer {k}"));
            }
            let r = r.send().await.unwrap();
            assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
            let body: Value = r.json().await.unwrap();
            assert_eq!(body["error"]["code"], "unauthorized");
        }

        // Another workspace sees nothing of this one, not even that the ids exist.
        let s = &t.app.state;
        let other = s
            .store
            .create_workspace("Other", s.clock.now())
            .await
            .unwrap();
        let key = s
            .store
            .create_api_key(other.id, s.clock.now())
            .await
            .unwrap();
        let as_other = |path: String| {
            t.http
                .get(t.url(&path))
                .bearer_auth(key.secret.expose_secret())
                .send()
        };
        for path in [
            format!("/api/v1/assets/{id}"),
            format!("/api/v1/assets/{id}/history"),
            format!("/api/v1/assets/{id}/preflight?feature=publish"),
            format!("/api/v1/logins/{}", harbor["login_id"].as_str().unwrap()),
        ] {
            assert_eq!(
                as_other(path.clone()).await.unwrap().status(),
                StatusCode::NOT_FOUND,
                "{path}"
            );
        }
        let list: Value = as_other("/api/v1/assets".into())
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(list["items"], json!([]));
        // A token never leaves through the API.
        let (_, logins) = t.get("/api/v1/logins").await;
        let (_, login) = t
            .get(&format!(
                "/api/v1/logins/{}",
                logins[0]["id"].as_str().unwrap()
            ))
            .await;
        assert!(!login.to_string().contains("EAA"), "{login}");
    })
    .await;
}

#[tokio::test]
async fn filters_pages_and_clear_errors() {
    on_each_engine(|engine: Engine| async move {
        let t = TestApp::spawn(engine).await;
        t.connect(ALICE, &[], &[], json!({})).await;
        // Carla is only an analyst on her Page: publishing needs a Page admin.
        t.connect(CARLA, &[], &[], json!({})).await;
        let all = t.assets().await;
        assert!(all.len() >= 4, "{all:?}");

        let (_, page) = t.get("/api/v1/assets?owner=asset_admin").await;
        let items = page["items"].as_array().unwrap();
        assert!(!items.is_empty());
        assert!(items.iter().all(|a| {
            a["owners"]
                .as_array()
                .unwrap()
                .contains(&json!("asset_admin"))
        }));
        let (_, page) = t
            .get("/api/v1/assets?feature=publish&status=action_required")
            .await;
        let items = page["items"].as_array().unwrap();
        assert!(!items.is_empty(), "Carla's Page cannot publish");
        assert!(items.iter().all(|a| {
            a["status"] == "action_required"
                && a["unavailable"]
                    .as_array()
                    .unwrap()
                    .contains(&json!("publish"))
        }));
        let (_, page) = t.get("/api/v1/assets?status=connected&network=meta").await;
        let items = page["items"].as_array().unwrap();
        assert!(!items.is_empty(), "Alice's accounts are connected");
        assert!(items.iter().all(|a| a["status"] == "connected"));

        // Pages: two at a time until the end, every asset once.
        let mut seen = Vec::new();
        let mut after: Option<String> = None;
        loop {
            let path = match &after {
                Some(a) => format!("/api/v1/assets?limit=2&after={a}"),
                None => "/api/v1/assets?limit=2".to_owned(),
            };
            let (_, page) = t.get(&path).await;
            seen.extend(
                page["items"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|a| a["id"].clone()),
            );
            match page["next_after"].as_str() {
                Some(a) => after = Some(a.to_owned()),
                None => break,
            }
        }
        assert_eq!(seen.len(), all.len());

        for (path, code) in [
            ("/api/v1/assets?status=green", "invalid_filter"),
            ("/api/v1/assets?limit=0", "invalid_filter"),
            ("/api/v1/assets?colour=red", "invalid_query"),
            ("/api/v1/assets?login_id=nope", "invalid_query"),
        ] {
            let (s, body) = t.get(path).await;
            assert_eq!(s, StatusCode::BAD_REQUEST, "{path}");
            assert_eq!(body["error"]["code"], code, "{path}: {body}");
        }
        let (_, body) = t.get("/api/v1/assets?status=green").await;
        assert!(
            body["error"]["message"]
                .as_str()
                .unwrap()
                .contains("action_required"),
            "names the allowed words"
        );
        let id = all[0]["id"].as_str().unwrap();
        let (s, body) = t
            .get(&format!("/api/v1/assets/{id}/preflight?feature=teleport"))
            .await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{body}");
        let (s, _) = t
            .get(&format!(
                "/api/v1/assets/{}/preflight?feature=publish",
                uuid::Uuid::now_v7()
            ))
            .await;
        assert_eq!(s, StatusCode::NOT_FOUND);

        // Bodies: malformed JSON, wrong type, too large.
        let r = t
            .http
            .post(t.url("/api/v1/webhook-endpoints"))
            .bearer_auth(&t.key)
            .header("content-type", "application/json")
            .body("{nope")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::BAD_REQUEST);
        assert_eq!(
            r.json::<Value>().await.unwrap()["error"]["code"],
            "malformed_json"
        );
        let big = json!({"url": "http://127.0.0.1/x", "description": "x".repeat(100 * 1024)});
        let (s, body) = t.post("/api/v1/webhook-endpoints", big).await;
        assert_eq!(s, StatusCode::PAYLOAD_TOO_LARGE, "{body}");
        assert_eq!(body["error"]["code"], "payload_too_large");
        let (s, body) = t
            .post("/api/v1/webhook-endpoints", json!({"url": "ftp://x"}))
            .await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{body}");
        let (s, body) = t.get("/api/v1/nothing-here").await;
        assert_eq!(s, StatusCode::NOT_FOUND);
        assert_eq!(body["error"]["code"], "not_found");
    })
    .await;
}

#[tokio::test]
async fn check_now_and_a_refresh_after_a_page_admin_grants_a_task() {
    on_each_engine(|engine: Engine| async move {
        let t = TestApp::spawn(engine).await;
        t.connect(CARLA, &[], &[], json!({})).await;
        let gym = t.asset_by_platform_id("300000000000004").await;
        assert_eq!(gym["status"], "action_required", "{gym}");
        t.admin
            .set_tasks(
                "300000000000004",
                CARLA,
                &[
                    "MANAGE",
                    "CREATE_CONTENT",
                    "MODERATE",
                    "ADVERTISE",
                    "ANALYZE",
                ],
            )
            .await
            .unwrap();
        let (s, out) = t
            .post(
                &format!("/api/v1/assets/{}/check", gym["id"].as_str().unwrap()),
                json!({}),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{out}");
        assert_eq!(out["outcome"], "verified");
        assert_eq!(
            t.asset_by_platform_id("300000000000004").await["status"],
            "connected"
        );
    })
    .await;
}

#[tokio::test]
async fn the_openapi_document_is_stable() {
    let t = TestApp::spawn(Engine::Sqlite).await;
    let r = t
        .http
        .get(t.url("/api/v1/openapi.json"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let doc: Value = r.json().await.unwrap();
    insta::assert_json_snapshot!("openapi", doc);
    let metrics = t
        .http
        .get(t.url("/metrics"))
        .bearer_auth(crate::harness::METRICS_TOKEN)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(metrics.contains("tether_http_requests_total"), "{metrics}");
}

#[tokio::test]
async fn an_unreachable_database_is_a_clean_503() {
    let t = TestApp::spawn(Engine::Sqlite).await;
    let (s, _) = t.get("/api/v1/assets").await;
    assert_eq!(s, StatusCode::OK);
    t.app.state.store.close().await;
    let (s, body) = t.get("/api/v1/assets").await;
    assert_eq!(s, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert_eq!(body["error"]["code"], "unavailable");
    assert!(
        !body.to_string().contains("sqlx"),
        "internals are not shown: {body}"
    );
}
