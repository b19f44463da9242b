//! The OAuth callback's bad days: a reused, expired or foreign state, a denied dialog, and a
//! reconnect that comes back as someone else. Each says so on a page and stores nothing.

use crate::harness::{Engine, TestApp, on_each_engine};
use crate::journey::ALICE;
use reqwest::StatusCode;
use serde_json::json;

const BEN: &str = "100000000000002";

async fn logins(t: &TestApp) -> usize {
    t.get("/api/v1/logins").await.1.as_array().unwrap().len()
}

async fn start(t: &TestApp) -> String {
    let (_, started) = t.post("/api/v1/connect/meta", json!({})).await;
    started["authorization_url"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn bad_callbacks_store_nothing() {
    on_each_engine(|engine: Engine| async move {
        let t = TestApp::spawn(engine).await;

        // Denied in the dialog.
        let url = start(&t).await;
        let back = t.consent(&url, ALICE, &[], &[], "cancel").await;
        assert!(back.contains("error=access_denied"), "{back}");
        let r = t.http.get(&back).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        assert!(r.text().await.unwrap().contains("Nothing was connected"));
        assert_eq!(logins(&t).await, 0);

        // A state we never issued.
        let r = t
            .http
            .get(t.url("/oauth/meta/callback?code=abc&state=forged"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::BAD_REQUEST);
        assert!(r.text().await.unwrap().contains("not started here"));

        // A state used twice: the second use is refused.
        let url = start(&t).await;
        let back = t.consent(&url, ALICE, &[], &[], "allow").await;
        assert_eq!(
            t.http.get(&back).send().await.unwrap().status(),
            StatusCode::SEE_OTHER
        );
        assert_eq!(logins(&t).await, 1);
        let again = t.http.get(&back).send().await.unwrap();
        assert_eq!(again.status(), StatusCode::BAD_REQUEST);
        assert!(again.text().await.unwrap().contains("already used"));

        // An expired state (the person took longer than the state lives).
        let url = start(&t).await;
        let back = t.consent(&url, BEN, &[], &[], "allow").await;
        t.clock.advance(jiff::SignedDuration::from_mins(11));
        let r = t.http.get(&back).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::BAD_REQUEST);
        assert!(r.text().await.unwrap().contains("expired"));
        assert_eq!(logins(&t).await, 1, "nothing stored for Ben");
    })
    .await;
}

#[tokio::test]
async fn a_reconnect_as_someone_else_is_refused_unless_allowed() {
    on_each_engine(|engine: Engine| async move {
        let t = TestApp::spawn(engine).await;
        t.connect(ALICE, &[], &[], json!({})).await;
        let (_, list) = t.get("/api/v1/logins").await;
        let alice = list[0]["id"].as_str().unwrap().to_owned();

        let r = t.connect(BEN, &[], &[], json!({ "login_id": alice })).await;
        assert_eq!(r.status(), StatusCode::CONFLICT);
        let html = r.text().await.unwrap();
        assert!(
            html.contains("Alice Moreau") && html.contains("Ben Okafor"),
            "{html}"
        );
        assert_eq!(logins(&t).await, 1);

        let r = t
            .connect(
                BEN,
                &[],
                &[],
                json!({ "login_id": alice, "allow_other_person": true }),
            )
            .await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        assert_eq!(logins(&t).await, 2);
    })
    .await;
}

#[tokio::test]
async fn a_reconnect_link_needs_no_account_and_cannot_be_altered() {
    on_each_engine(|engine: Engine| async move {
        let t = TestApp::spawn(engine).await;
        t.connect(ALICE, &["read_insights"], &[], json!({})).await;
        let (_, list) = t.get("/api/v1/logins").await;
        let alice = list[0]["id"].as_str().unwrap().to_owned();
        let (s, link) = t
            .post(&format!("/api/v1/logins/{alice}/reconnect-link"), json!({}))
            .await;
        assert_eq!(s, StatusCode::OK);
        let url = link["url"].as_str().unwrap().to_owned();

        // Opened without an API key: straight to the dialog, re-asking what was declined.
        let r = t.http.get(&url).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        let dialog = r.headers()["location"].to_str().unwrap().to_owned();
        assert!(dialog.contains("auth_type=rerequest"), "{dialog}");
        let back = t.consent(&dialog, ALICE, &[], &[], "allow").await;
        assert_eq!(
            t.http.get(&back).send().await.unwrap().status(),
            StatusCode::SEE_OTHER
        );
        assert!(t.assets().await.iter().all(|a| a["status"] == "connected"));

        let tampered = url.replace("login=", "login=0");
        let r = t.http.get(&tampered).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::FORBIDDEN);
        t.clock.advance(jiff::SignedDuration::from_hours(2));
        let r = t.http.get(&url).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::FORBIDDEN);
        assert!(r.text().await.unwrap().contains("expired"));
    })
    .await;
}

#[tokio::test]
async fn a_cancelled_reconnect_changes_nothing_and_a_checkpoint_is_named_as_such() {
    let t = TestApp::spawn(Engine::Sqlite).await;
    t.connect(ALICE, &[], &[], json!({})).await;
    let (_, listed) = t.get("/api/v1/logins").await;
    let login_id = listed[0]["id"].as_str().unwrap().to_owned();
    // Cancelling a reconnect: the connection stays as it was, and the page says so.
    let url = reconnect_url(&t, &login_id).await;
    let back = t.consent(&url, ALICE, &[], &[], "cancel").await;
    let html = t.page(&back).await;
    assert!(html.contains("Nothing was changed"), "{html}");
    assert!(html.contains("stays exactly as it was"), "{html}");
    assert!(
        !html.contains("stored nothing"),
        "not for an existing connection: {html}"
    );

    // Facebook put a security check on Alice: the page names it, not a spent code.
    t.admin.checkpoint(ALICE, true).await.unwrap();
    let url = reconnect_url(&t, &login_id).await;
    let back = t.consent(&url, ALICE, &[], &[], "allow").await;
    let r = t.http.get(&back).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::CONFLICT);
    let html = r.text().await.unwrap();
    assert!(html.contains("security check"), "{html}");
    assert!(!html.contains("already used"), "{html}");
    assert_eq!(logins(&t).await, 1, "nothing stored");
}

/// A reconnect of `login_id` started through the API: the dialog's URL.
async fn reconnect_url(t: &TestApp, login_id: &str) -> String {
    let (_, started) = t
        .post("/api/v1/connect/meta", json!({ "login_id": login_id }))
        .await;
    started["authorization_url"].as_str().unwrap().to_owned()
}
