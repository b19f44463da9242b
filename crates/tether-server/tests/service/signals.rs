//! Push signals: Meta's deauthorize and data-deletion callbacks, the permissions webhook and the
//! errors a product reports. Valid ones change verdicts at once; forged or malformed ones change
//! nothing.

use crate::harness::{Engine, TestApp, VERIFY_TOKEN, on_each_engine};
use crate::journey::{ALICE, HARBOR};
use hmac::{Hmac, KeyInit, Mac};
use reqwest::StatusCode;
use secrecy::SecretString;
use serde_json::{Value, json};
use sha2::Sha256;

const SECRET: &str = "northwind-demo-app-secret";

async fn statuses(t: &TestApp) -> Vec<Value> {
    t.assets()
        .await
        .iter()
        .map(|a| a["status"].clone())
        .collect()
}

fn hub_signature(secret: &str, body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

#[tokio::test]
async fn deauthorize_disconnects_at_once_and_forgeries_change_nothing() {
    on_each_engine(|engine: Engine| async move {
        let t = TestApp::spawn(engine).await;
        t.connect(ALICE, &[], &[], json!({})).await;
        let healthy = statuses(&t).await;
        assert!(healthy.iter().all(|s| s == "connected"), "{healthy:?}");

        // Forged: signed with another secret, malformed, or missing.
        let payload = json!({"algorithm": "HMAC-SHA256", "issued_at": 1, "user_id": ALICE});
        let forged = tether_meta::signed_request::sign_request(
            &payload,
            &SecretString::from("not-the-secret".to_owned()),
        );
        for (body, want) in [
            (format!("signed_request={forged}"), StatusCode::FORBIDDEN),
            ("signed_request=garbage".to_owned(), StatusCode::BAD_REQUEST),
            ("nothing=here".to_owned(), StatusCode::BAD_REQUEST),
        ] {
            let r = t
                .http
                .post(t.url("/meta/deauthorize"))
                .header("content-type", "application/x-www-form-urlencoded")
                .body(body.clone())
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), want, "{body}");
            let err: Value = r.json().await.unwrap();
            assert!(err["error"]["code"].is_string(), "{err}");
        }
        assert_eq!(statuses(&t).await, healthy, "forgeries change nothing");

        // The real thing, sent by the simulator when Alice removes the app.
        let sent = t.admin.remove_app(ALICE).await.unwrap();
        assert_eq!(sent["delivered"][0]["status"], 200, "{sent}");
        let harbor = t.asset_by_platform_id(HARBOR).await;
        assert_eq!(
            harbor["status"], "disconnected",
            "at once, before any check"
        );
        let (_, detail) = t
            .get(&format!(
                "/api/v1/assets/{}",
                harbor["id"].as_str().unwrap()
            ))
            .await;
        assert!(
            detail["report"]["findings"]
                .as_array()
                .unwrap()
                .iter()
                .any(|f| f["code"] == "app_removed"),
            "{detail}"
        );
        // The scheduled confirmation check agrees.
        let step = t.step().await;
        assert_eq!(step.checked, 1, "{step:?}");
        assert!(statuses(&t).await.iter().all(|s| s == "disconnected"));

        // Data deletion: Meta gets a status URL and a confirmation code, and nothing answers from
        // the erased accounts any more (pre-flight included).
        let harbor_id = harbor["id"].as_str().unwrap().to_owned();
        let sent = t.admin.request_deletion(ALICE).await.unwrap();
        let (status, pf) = t
            .get(&format!(
                "/api/v1/assets/{harbor_id}/preflight?feature=publish"
            ))
            .await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{pf}");
        let reply = &sent["reply"];
        assert!(reply["confirmation_code"].is_string(), "{sent}");
        let status_page = t
            .http
            .get(reply["url"].as_str().unwrap())
            .send()
            .await
            .unwrap();
        assert_eq!(status_page.status(), StatusCode::OK);
        // A code Tether did not issue is not confirmed.
        let made_up = reply["url"].as_str().unwrap().replace(
            reply["confirmation_code"].as_str().unwrap(),
            "0123456789abcdef",
        );
        let page = t.http.get(made_up).send().await.unwrap();
        assert_eq!(page.status(), StatusCode::NOT_FOUND);
    })
    .await;
}

#[tokio::test]
async fn the_permissions_webhook_updates_verdicts_and_rejects_bad_signatures() {
    on_each_engine(|engine: Engine| async move {
        let t = TestApp::spawn(engine).await;
        t.connect(ALICE, &[], &[], json!({})).await;
        let harbor = t.asset_by_platform_id(HARBOR).await;
        let id = harbor["id"].as_str().unwrap().to_owned();
        let healthy = statuses(&t).await;

        // The handshake: right token answered (at the generic address and at the one every
        // Meta app's settings already hold), wrong one refused.
        for base in ["/hooks/meta", "/meta"] {
            let ok = t
                .http
                .get(t.url(&format!(
                    "{base}/webhook?hub.mode=subscribe&hub.challenge=12345&hub.verify_token={VERIFY_TOKEN}"
                )))
                .send()
                .await
                .unwrap();
            assert_eq!(ok.status(), StatusCode::OK, "{base}");
            assert_eq!(ok.text().await.unwrap(), "12345");
        }
        let bad = t
            .http
            .get(t.url("/meta/webhook?hub.mode=subscribe&hub.challenge=1&hub.verify_token=nope"))
            .send()
            .await
            .unwrap();
        assert_eq!(bad.status(), StatusCode::FORBIDDEN);

        let body = json!({"object": "permissions", "entry": [{"id": ALICE, "time": 1,
            "changes": [{"field": "pages_manage_posts", "value": {"verb": "revoked"}}]}]})
        .to_string();
        let post = |sig: Option<String>, body: String| {
            let mut r = t
                .http
                .post(t.url("/meta/webhook"))
                .header("content-type", "application/json")
                .body(body);
            if let Some(sig) = sig {
                r = r.header("x-hub-signature-256", sig);
            }
            r.send()
        };
        assert_eq!(post(None, body.clone()).await.unwrap().status(), StatusCode::UNAUTHORIZED);
        let wrong = hub_signature("not-the-secret", body.as_bytes());
        assert_eq!(post(Some(wrong), body.clone()).await.unwrap().status(), StatusCode::FORBIDDEN);
        let garbage = "{not json".to_owned();
        let sig = hub_signature(SECRET, garbage.as_bytes());
        assert_eq!(post(Some(sig), garbage).await.unwrap().status(), StatusCode::BAD_REQUEST);
        assert_eq!(statuses(&t).await, healthy, "nothing changed yet");

        // The simulator revokes the permission and signs its webhook: publishing stops at once.
        t.admin.revoke_permission(ALICE, "pages_manage_posts").await.unwrap();
        let (_, pf) = t.get(&format!("/api/v1/assets/{id}/preflight?feature=publish")).await;
        assert_eq!(pf["allowed"], false, "{pf}");
        assert!(pf["findings"].as_array().unwrap().iter().any(|f| f["permission"] == "pages_manage_posts"), "{pf}");
    })
    .await;
}

#[tokio::test]
async fn reported_platform_errors_change_verdicts_only_when_they_mean_something() {
    on_each_engine(|engine: Engine| async move {
        let t = TestApp::spawn(engine).await;
        t.connect(ALICE, &[], &[], json!({})).await;
        let harbor = t.asset_by_platform_id(HARBOR).await;
        let id = harbor["id"].as_str().unwrap().to_owned();

        // Transient trouble: nothing changes, nothing is scheduled.
        let (s, out) = t
            .post("/api/v1/platform-errors", json!({"asset_id": id, "call": "POST /feed",
                "error": {"error": {"message": "An unexpected error has occurred.", "type": "OAuthException", "code": 2, "is_transient": true}}}))
            .await;
        assert_eq!(s, StatusCode::OK, "{out}");
        assert_eq!(out["classification"], "transient");
        assert_eq!(out["changes"], 0);

        // Not a Graph error at all, or no subject: a clear 400.
        let (s, out) = t.post("/api/v1/platform-errors", json!({"asset_id": id, "error": {"oops": 1}})).await;
        assert_eq!(s, StatusCode::BAD_REQUEST);
        assert_eq!(out["error"]["code"], "invalid_platform_error");
        let (s, _) = t.post("/api/v1/platform-errors", json!({"error": {"code": 190}})).await;
        assert_eq!(s, StatusCode::BAD_REQUEST);
        let (s, _) = t.post("/api/v1/platform-errors", json!({"asset_id": id, "error": {"code": 2}, "surprise": true})).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "unknown fields are named, not ignored");

        // An unknown code: kept, no verdict change, a check is scheduled.
        let (_, out) = t
            .post("/api/v1/platform-errors", json!({"asset_id": id, "error": {"message": "new", "code": 987654}}))
            .await;
        assert_eq!(out["classification"], "unrecognized");
        assert_eq!(out["check_scheduled"], true);
        assert_eq!(t.asset_by_platform_id(HARBOR).await["status"], "connected");

        // The password changed: disconnected at once.
        let (_, out) = t
            .post("/api/v1/platform-errors", json!({"asset_id": id, "feature": "publish",
                "error": {"error": {"message": "Error validating access token: The session has been invalidated because the user changed their password or Facebook has changed the session for security reasons.",
                    "type": "OAuthException", "code": 190, "error_subcode": 460}}}))
            .await;
        assert_eq!(out["classification"], "login_broken", "{out}");
        assert_eq!(out["asset"]["status"], "disconnected");
    })
    .await;
}
