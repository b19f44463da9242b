//! What the simulator pushes to the app's server, received by a small axum app on 127.0.0.1:
//! signed deauthorize / data-deletion callbacks, the webhook handshake and signed webhooks.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::{get, post};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, KeyInit, Mac};
use serde_json::{Value, json};
use sha2::Sha256;
use tether_sim::CallbackUpdate;

use super::login::{allow, consent_form, login_sim};
use crate::common::*;

const VERIFY_TOKEN: &str = "vt-ok";

#[derive(Debug, Clone)]
struct Received {
    path: &'static str,
    headers: HeaderMap,
    body: Bytes,
}

#[derive(Clone, Default)]
struct Inbox(Arc<Mutex<Vec<Received>>>);

impl Inbox {
    fn take(&self) -> Vec<Received> {
        std::mem::take(&mut *self.0.lock().unwrap())
    }

    fn push(&self, path: &'static str, headers: HeaderMap, body: Bytes) {
        self.0.lock().unwrap().push(Received {
            path,
            headers,
            body,
        });
    }
}

async fn challenge(Query(q): Query<HashMap<String, String>>) -> (StatusCode, String) {
    let ok = q.get("hub.mode").map(String::as_str) == Some("subscribe")
        && q.get("hub.verify_token").map(String::as_str) == Some(VERIFY_TOKEN);
    match (ok, q.get("hub.challenge")) {
        (true, Some(c)) => (StatusCode::OK, c.clone()),
        _ => (StatusCode::FORBIDDEN, "bad verify token".into()),
    }
}

/// The app's server: `/hook` (handshake + webhook), `/deauth`, `/deletion`.
async fn receiver() -> (String, Inbox) {
    let inbox = Inbox::default();
    let app = Router::new()
        .route(
            "/hook",
            get(challenge).post(
                |State(i): State<Inbox>, h: HeaderMap, b: Bytes| async move {
                    i.push("/hook", h, b);
                    "ok"
                },
            ),
        )
        .route(
            "/deauth",
            post(
                |State(i): State<Inbox>, h: HeaderMap, b: Bytes| async move {
                    i.push("/deauth", h, b);
                    "ok"
                },
            ),
        )
        .route(
            "/deletion",
            post(
                |State(i): State<Inbox>, h: HeaderMap, b: Bytes| async move {
                    i.push("/deletion", h, b);
                    axum::Json(json!({
                        "url": "http://127.0.0.1/deletion-status?id=abc",
                        "confirmation_code": "abc"
                    }))
                },
            ),
        )
        .with_state(inbox.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (base, inbox)
}

fn mac() -> Hmac<Sha256> {
    <Hmac<Sha256> as KeyInit>::new_from_slice(SECRET.as_bytes()).unwrap()
}

/// Verifies a `signed_request` form body with the app secret; returns the payload.
fn verify_signed_request(r: &Received) -> Value {
    assert_eq!(
        r.headers["content-type"],
        "application/x-www-form-urlencoded"
    );
    let form: HashMap<String, String> = url::form_urlencoded::parse(&r.body).into_owned().collect();
    let signed = &form["signed_request"];
    assert!(!signed.contains('='), "Meta sends no padding: {signed}");
    let (sig, payload) = signed.split_once('.').unwrap();
    let mut m = mac();
    m.update(payload.as_bytes());
    m.verify_slice(&URL_SAFE_NO_PAD.decode(sig).unwrap())
        .expect("signature made with the app secret");
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap()
}

/// Verifies `X-Hub-Signature-256` over the raw body; returns the body.
fn verify_webhook(r: &Received) -> Value {
    assert_eq!(r.path, "/hook");
    let header = r.headers["x-hub-signature-256"].to_str().unwrap();
    let hex_sig = header.strip_prefix("sha256=").unwrap();
    let mut m = mac();
    m.update(&r.body);
    m.verify_slice(&hex::decode(hex_sig).unwrap())
        .expect("X-Hub-Signature-256 made with the app secret");
    serde_json::from_slice(&r.body).unwrap()
}

async fn now(sim: &Sim) -> i64 {
    sim.handle.admin().clock().await.unwrap()["unix"]
        .as_i64()
        .unwrap()
}

#[tokio::test]
async fn removing_the_app_posts_a_signed_deauthorize_callback() {
    let sim = Sim::shapes();
    let (base, inbox) = receiver().await;
    let admin = sim.handle.admin();
    let url = format!("{base}/deauth");
    let v = admin
        .set_callbacks(&CallbackUpdate::default().deauthorize_url(&url))
        .await
        .unwrap();
    assert_eq!(v["deauthorize_url"], url);
    assert_eq!(v["webhook_url"], Value::Null);

    let v = admin.remove_app("u1").await.unwrap();
    assert_eq!(v["user"]["app_installed"], false);
    assert_eq!(
        v["delivered"][0]["kind"], "deauthorize",
        "{}",
        v["delivered"]
    );
    assert_eq!(v["delivered"][0]["status"], 200);
    assert_eq!(v["delivered"][0]["url"], url);
    let got = inbox.take();
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].path, "/deauth");
    let payload = verify_signed_request(&got[0]);
    assert_eq!(
        payload,
        json!({"user_id": "u1", "algorithm": "HMAC-SHA256", "issued_at": now(&sim).await})
    );
    assert_eq!(sim.handle.stats().deliveries, 1);
}

#[tokio::test]
async fn a_deletion_request_returns_the_apps_reply() {
    let sim = Sim::shapes();
    let admin = sim.handle.admin();
    let err = admin.request_deletion("u2").await.unwrap_err().to_string();
    assert!(err.contains("data_deletion_url"), "{err}");

    let (base, inbox) = receiver().await;
    admin
        .set_callbacks(&CallbackUpdate::default().data_deletion_url(format!("{base}/deletion")))
        .await
        .unwrap();
    let v = admin.request_deletion("u2").await.unwrap();
    assert_eq!(v["reply"]["confirmation_code"], "abc");
    assert_eq!(v["delivered"][0]["kind"], "data_deletion");
    assert_eq!(v["delivered"][0]["status"], 200);
    let payload = verify_signed_request(&inbox.take()[0]);
    let issued = now(&sim).await;
    assert_eq!(
        payload,
        json!({"user_id": "u2", "algorithm": "HMAC-SHA256", "issued_at": issued, "expires": issued + 3600})
    );
    assert!(admin.request_deletion("nobody").await.is_err());
}

#[tokio::test]
async fn webhook_needs_the_handshake_then_gets_signed_permission_changes() {
    let sim = login_sim().await;
    let admin = sim.handle.admin();
    let (base, inbox) = receiver().await;
    let hook = format!("{base}/hook");

    let err = admin
        .set_callbacks(&CallbackUpdate::default().webhook(&hook, "wrong-token"))
        .await
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("HTTP 400") && err.contains("verification failed"),
        "{err}"
    );
    assert_eq!(admin.callbacks().await.unwrap()["webhook_url"], Value::Null);

    let v = admin
        .set_callbacks(&CallbackUpdate::default().webhook(&hook, VERIFY_TOKEN))
        .await
        .unwrap();
    assert_eq!(v["webhook_url"], hook);
    assert_eq!(v["webhook_verify_token_set"], true);
    assert_eq!(v["handshake"]["status"], 200);
    assert!(
        v.get("webhook_verify_token").is_none(),
        "the token is not echoed"
    );

    let time = now(&sim).await;
    let changes = |r: &Received| {
        let body = verify_webhook(r);
        assert_eq!(body["object"], "permissions");
        let entry = &body["entry"][0];
        assert_eq!(entry["time"], time);
        assert_eq!(entry["uid"], entry["id"]);
        (entry["id"].clone(), entry["changes"].clone())
    };

    let v = admin
        .set_permission(
            "u1",
            "read_insights",
            tether_sim::PermissionStatus::Declined,
        )
        .await
        .unwrap();
    assert_eq!(v["delivered"][0]["kind"], "permissions_webhook");
    assert_eq!(v["delivered"][0]["status"], 200);
    let got = inbox.take();
    assert_eq!(
        changes(&got[0]),
        (
            json!("u1"),
            json!([{"field": "read_insights", "value": {"verb": "revoked"}}])
        )
    );

    admin
        .set_target_ids("u1", "pages_show_list", Some(&["p1"]))
        .await
        .unwrap();
    assert_eq!(
        changes(&inbox.take()[0]).1,
        json!([{"field": "pages_show_list", "value": {"verb": "granted", "target_ids": ["p1"]}}])
    );
    admin
        .revoke_permission("u1", "instagram_basic")
        .await
        .unwrap();
    assert_eq!(
        changes(&inbox.take()[0]).1,
        json!([{"field": "instagram_basic", "value": {"verb": "revoked"}}])
    );
    // Nothing changed, nothing sent.
    let v = admin
        .set_permission("u1", "email", tether_sim::PermissionStatus::Declined)
        .await
        .unwrap();
    assert_eq!(v["delivered"], json!([]));
    assert!(inbox.take().is_empty());

    // The dialog's result: u3 extends its grant to Page p4 and a new permission.
    let choice = [
        ("perm", "pages_show_list"),
        ("perm", "pages_read_engagement"),
        ("page", "p1"),
        ("page", "p4"),
        ("action", "allow"),
    ];
    let scope = "pages_show_list,pages_read_engagement";
    allow(&sim, &consent_form(scope, "u3", &choice, &[])).await;
    assert_eq!(
        changes(&inbox.take()[0]),
        (
            json!("u3"),
            json!([
                {"field": "pages_show_list", "value": {"verb": "granted", "target_ids": ["p1", "p4"]}},
                {"field": "pages_read_engagement", "value": {"verb": "granted", "target_ids": ["p1", "p4"]}}
            ])
        )
    );
    // A person connecting again after removing the app: `connected` as in the fixture.
    admin.remove_app("u2").await.unwrap();
    allow(&sim, &consent_form("", "u2", &[("action", "allow")], &[])).await;
    assert_eq!(
        changes(&inbox.take()[0]).1,
        json!([
            {"field": "connected", "verb": "granted"},
            {"field": "public_profile", "value": {"verb": "granted"}}
        ])
    );
    let log = admin.deliveries().await.unwrap();
    assert_eq!(log["deliveries"].as_array().unwrap().len(), 5);
}

#[tokio::test]
async fn a_failed_delivery_is_reported_and_the_change_still_happens() {
    let sim = Sim::shapes();
    let admin = sim.handle.admin();
    // A port nothing listens on: bind one, then free it.
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap()
    };
    admin
        .set_callbacks(
            &CallbackUpdate::default().deauthorize_url(format!("http://{closed}/deauth")),
        )
        .await
        .unwrap();
    let v = admin.remove_app("u1").await.unwrap();
    assert_eq!(v["user"]["app_installed"], false);
    let d = &v["delivered"][0];
    assert_eq!(d["status"], Value::Null);
    assert!(!d["error"].as_str().unwrap().is_empty(), "{d}");
    let log = admin.deliveries().await.unwrap();
    assert_eq!(log["deliveries"][0]["kind"], "deauthorize");
    // Clearing a callback: null.
    let v = admin
        .set_callbacks(&CallbackUpdate {
            deauthorize_url: Some(None),
            ..CallbackUpdate::default()
        })
        .await
        .unwrap();
    assert_eq!(v["deauthorize_url"], Value::Null);
}
