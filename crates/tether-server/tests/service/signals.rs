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

/// The simulator's (and so Meta's) clock, in unix seconds: what it signs pushes with.
async fn sim_seconds(t: &TestApp) -> i64 {
    let c = t.admin.clock().await.unwrap();
    let now: jiff::Timestamp = c["now"].as_str().unwrap().parse().unwrap();
    now.as_second()
}

fn signed(payload: &Value) -> String {
    let sr =
        tether_meta::signed_request::sign_request(payload, &SecretString::from(SECRET.to_owned()));
    format!("signed_request={sr}")
}

async fn push(t: &TestApp, path: &str, body: &str) -> (StatusCode, Value) {
    let r = t
        .http
        .post(t.url(path))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body.to_owned())
        .send()
        .await
        .unwrap();
    (r.status(), r.json().await.unwrap())
}

async fn permissions_push(t: &TestApp, time: i64, verb: &str) -> (StatusCode, Value) {
    let body = json!({"object": "permissions", "entry": [{"id": ALICE, "time": time,
        "changes": [{"field": "pages_manage_posts", "value": {"verb": verb}}]}]})
    .to_string();
    let r = t
        .http
        .post(t.url("/meta/webhook"))
        .header("content-type", "application/json")
        .header(
            "x-hub-signature-256",
            hub_signature(SECRET, body.as_bytes()),
        )
        .body(body)
        .send()
        .await
        .unwrap();
    (r.status(), r.json().await.unwrap())
}

/// A captured push sent again changes nothing: not after the person reconnected, not as a
/// "granted" webhook over a declined permission, not when older than the last check.
#[tokio::test]
async fn replayed_pushes_change_nothing() {
    on_each_engine(|engine: Engine| async move {
        let t = TestApp::spawn(engine).await;
        t.connect(ALICE, &[], &[], json!({})).await;
        let sent = sim_seconds(&t).await;
        let deauth =
            signed(&json!({"algorithm": "HMAC-SHA256", "issued_at": sent, "user_id": ALICE}));
        let (s, out) = push(&t, "/meta/deauthorize", &deauth).await;
        assert_eq!(
            (s, &out["applied"], &out["replayed"]),
            (StatusCode::OK, &json!(1), &json!(false)),
            "{out}"
        );
        assert_eq!(
            t.asset_by_platform_id(HARBOR).await["status"],
            "disconnected"
        );
        // The same bytes again: answered, remembered, nothing applied.
        let (s, out) = push(&t, "/meta/deauthorize", &deauth).await;
        assert_eq!(
            (s, &out["applied"], &out["replayed"]),
            (StatusCode::OK, &json!(0), &json!(true)),
            "{out}"
        );

        // Alice reconnects a minute later.
        t.advance(60).await;
        t.connect(ALICE, &[], &[], json!({})).await;
        assert_eq!(t.asset_by_platform_id(HARBOR).await["status"], "connected");
        // The captured deauthorize, replayed: remembered.
        let (_, out) = push(&t, "/meta/deauthorize", &deauth).await;
        assert_eq!(out["replayed"], true, "{out}");
        // Re-signed with its old date (other bytes, so not remembered): older than the connect.
        let other =
            signed(&json!({"user_id": ALICE, "issued_at": sent, "algorithm": "HMAC-SHA256"}));
        let (s, out) = push(&t, "/meta/deauthorize", &other).await;
        assert_eq!((s, &out["applied"]), (StatusCode::OK, &json!(0)), "{out}");
        // A data-deletion request from before the reconnect erases nothing of the new login.
        let (s, out) = push(&t, "/meta/data-deletion", &other).await;
        assert_eq!(s, StatusCode::OK, "{out}");
        assert!(out["confirmation_code"].is_string(), "{out}");
        let harbor = t.asset_by_platform_id(HARBOR).await;
        assert_eq!(harbor["status"], "connected", "{harbor}");
        let (s, pf) = t
            .get(&format!(
                "/api/v1/assets/{}/preflight?feature=publish",
                harbor["id"].as_str().unwrap()
            ))
            .await;
        assert_eq!((s, &pf["allowed"]), (StatusCode::OK, &json!(true)), "{pf}");

        // Older than two days: refused for its age, whatever its signature.
        let old = signed(
            &json!({"algorithm": "HMAC-SHA256", "issued_at": sent - 3 * 86_400, "user_id": ALICE}),
        );
        let (s, out) = push(&t, "/meta/deauthorize", &old).await;
        assert_eq!(
            (s, &out["error"]["code"]),
            (StatusCode::BAD_REQUEST, &json!("stale_push")),
            "{out}"
        );
        // No date at all: a data-deletion request cannot be told from a replay.
        let undated = signed(&json!({"algorithm": "HMAC-SHA256", "user_id": ALICE}));
        let (s, out) = push(&t, "/meta/data-deletion", &undated).await;
        assert_eq!(
            (s, &out["error"]["code"]),
            (StatusCode::BAD_REQUEST, &json!("undated_push")),
            "{out}"
        );
        assert_eq!(t.asset_by_platform_id(HARBOR).await["status"], "connected");

        // A revoke dated before the last check is only a reason to check: the check says the
        // permission is still granted.
        t.advance(60).await;
        let login = harbor["login_id"].as_str().unwrap().to_owned();
        let (s, _) = t
            .post(&format!("/api/v1/logins/{login}/check"), json!({}))
            .await;
        assert_eq!(s, StatusCode::OK);
        let (s, out) = permissions_push(&t, sim_seconds(&t).await - 30, "revoked").await;
        assert_eq!((s, &out["applied"]), (StatusCode::OK, &json!(0)), "{out}");
        assert_eq!(t.asset_by_platform_id(HARBOR).await["status"], "connected");
        let step = t.step().await;
        assert_eq!(step.checked, 1, "the push scheduled a check: {step:?}");
        assert_eq!(t.asset_by_platform_id(HARBOR).await["status"], "connected");
    })
    .await;
}

/// A "granted" webhook never grants: the permission Alice declined stays declined until a check
/// says otherwise, and the check (a platform call) has the last word.
#[tokio::test]
async fn a_granted_permission_push_is_only_a_reason_to_check() {
    on_each_engine(|engine: Engine| async move {
        let t = TestApp::spawn(engine).await;
        t.connect(ALICE, &["pages_manage_posts"], &[], json!({}))
            .await;
        let before = t.asset_by_platform_id(HARBOR).await;
        assert_ne!(before["status"], "connected", "{before}");
        let (s, out) = permissions_push(&t, sim_seconds(&t).await, "granted").await;
        assert_eq!((s, &out["applied"]), (StatusCode::OK, &json!(0)), "{out}");
        assert_eq!(
            t.asset_by_platform_id(HARBOR).await["status"],
            before["status"]
        );
        let step = t.step().await;
        assert_eq!(step.checked, 1, "{step:?}");
        let id = before["id"].as_str().unwrap();
        let (_, pf) = t
            .get(&format!("/api/v1/assets/{id}/preflight?feature=publish"))
            .await;
        assert_eq!(
            pf["allowed"], false,
            "the platform still says declined: {pf}"
        );
    })
    .await;
}
