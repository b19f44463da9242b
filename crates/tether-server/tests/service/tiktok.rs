//! TikTok through the service, end to end over real HTTP: connect through the API and the
//! simulator's `/tiktok` dialog, a healthy creator, the worker's refresh of the two-hour token
//! that rotates the refresh token and writes the new one back, an error inside an HTTP 200, and
//! the signed `authorization.removed` webhook at `/hooks/tiktok/webhook` (a forged one refused).

use crate::harness::{Engine, TestApp, on_each_engine};
use reqwest::StatusCode;
use secrecy::ExposeSecret;
use serde_json::{Value, json};
use tether_store::{GrantStore, LoginId};
use uuid::Uuid;

const TESS: &str = "-000Tess0TikTokOpenId0001";
const HOUR: i64 = 3_600;

async fn connect(t: &TestApp, account: &str) {
    let (status, started) = t.post("/api/v1/connect/tiktok", json!({})).await;
    assert_eq!(status, StatusCode::OK, "{started}");
    let url: url::Url = started["authorization_url"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(url.path().contains("/tiktok/v2/auth/authorize"), "{url}");
    let q: std::collections::HashMap<String, String> = url.query_pairs().into_owned().collect();
    let scopes: Vec<&str> = q["scope"].split(',').collect();
    assert!(scopes.contains(&"video.publish"), "{scopes:?}");
    let mut form: Vec<(&str, &str)> = vec![
        ("client_key", &q["client_key"]),
        ("redirect_uri", &q["redirect_uri"]),
        ("response_type", "code"),
        ("state", &q["state"]),
        ("account", account),
        ("decision", "allow"),
    ];
    for s in &scopes {
        form.push(("scope", s));
    }
    let mut post = url.clone();
    post.set_query(None);
    let no_redirects = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let back = no_redirects.post(post).form(&form).send().await.unwrap();
    assert_eq!(
        back.status(),
        StatusCode::FOUND,
        "{}",
        back.text().await.unwrap()
    );
    let location = back.headers()["location"].to_str().unwrap().to_owned();
    assert!(location.contains("/oauth/tiktok/callback?"), "{location}");
    let done = t.http.get(location).send().await.unwrap();
    assert_eq!(
        done.status(),
        StatusCode::SEE_OTHER,
        "{}",
        done.text().await.unwrap()
    );
}

async fn only_login(t: &TestApp) -> Value {
    let (status, v) = t.get("/api/v1/logins").await;
    assert_eq!(status, StatusCode::OK, "{v}");
    let items = v.as_array().unwrap();
    assert_eq!(items.len(), 1, "{v}");
    items[0].clone()
}

fn id_of(login: &Value) -> LoginId {
    LoginId(login["id"].as_str().unwrap().parse::<Uuid>().unwrap())
}

#[tokio::test]
async fn a_tiktok_creator_connects_and_the_rotated_refresh_token_is_written_back() {
    on_each_engine(rotates).await;
}

async fn rotates(engine: Engine) {
    let t = TestApp::spawn(engine).await;
    connect(&t, TESS).await;
    let login = only_login(&t).await;
    assert_eq!(login["network"], "tiktok");
    assert_eq!(login["platform_user_id"], TESS);
    assert_eq!(login["status"], "connected", "{login}");
    let asset = t.asset_by_platform_id(TESS).await;
    assert_eq!(asset["kind"], "tiktok_account");
    assert_eq!(asset["status"], "connected", "{asset}");

    let id = id_of(&login);
    let s = &t.app.state;
    let before = s.store.grant(t.ws, id).await.unwrap();
    // The two-hour token is near its end: the worker refreshes before checking.
    t.advance(HOUR + HOUR / 2 + 60).await;
    let r = t.step().await;
    assert_eq!((r.checked, r.failed), (1, 0), "{r:?}");
    let after = s.store.grant(t.ws, id).await.unwrap();
    assert_ne!(
        after.access_token.expose_secret(),
        before.access_token.expose_secret()
    );
    assert_ne!(
        after.refresh_token.as_ref().unwrap().expose_secret(),
        before.refresh_token.as_ref().unwrap().expose_secret(),
        "the rotated refresh token is written back"
    );
    assert_eq!(only_login(&t).await["status"], "connected");
}

#[tokio::test]
async fn an_error_inside_an_http_200_and_the_signed_removal_webhook() {
    let t = TestApp::spawn(Engine::Sqlite).await;
    connect(&t, TESS).await;
    // An HTTP 200 whose body says the API is down for a moment: nothing changes.
    let body = json!({"data": {}, "error": {"code": "internal_error", "message": "Something went wrong. Please try again later.", "log_id": "202612061200000000000000000000"}});
    t.http
        .post(format!("{}/tiktok/_admin/faults", t.sim_url()))
        .json(&json!({"path": "v2/user/info", "status": 200, "body": body, "times": 3}))
        .send()
        .await
        .unwrap();
    let r = t.step().await;
    assert_eq!((r.checked, r.failed), (0, 1), "{r:?}");
    assert_eq!(only_login(&t).await["status"], "connected");

    // TikTok says the creator removed the app: a forged signature is refused, the real one
    // disconnects the login at once.
    // The simulated app's key and secret (its `/_admin/app`).
    let (app_id, secret) = ("awsimtiktok0001", "tiktok-sim-secret");
    let sent = jiff::Timestamp::now().as_second();
    let event = json!({"client_key": app_id, "event": "authorization.removed", "create_time": sent,
                       "user_openid": TESS, "content": "{\"reason\": 1 }"})
    .to_string();
    let hook = t.url("/hooks/tiktok/webhook");
    let forged = t
        .http
        .post(&hook)
        .header(
            "TikTok-Signature",
            tether_tiktok::webhook::sign("not-the-secret", sent, event.as_bytes()),
        )
        .body(event.clone())
        .send()
        .await
        .unwrap();
    assert!(forged.status().is_client_error(), "{}", forged.status());
    assert_eq!(only_login(&t).await["status"], "connected");
    let real = t
        .http
        .post(&hook)
        .header(
            "TikTok-Signature",
            tether_tiktok::webhook::sign(secret, sent, event.as_bytes()),
        )
        .body(event)
        .send()
        .await
        .unwrap();
    assert!(real.status().is_success(), "{}", real.text().await.unwrap());
    let l = only_login(&t).await;
    assert_eq!(l["status"], "disconnected", "{l}");
}
