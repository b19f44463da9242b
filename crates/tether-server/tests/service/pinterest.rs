//! Pinterest v5 through the service, end to end over real HTTP: connect through the API and the
//! simulator's `/pinterest` dialog, a healthy business account, a scope left out, the worker's
//! refresh that rotates the refresh token and writes the new one back (the old one is spent),
//! a refused refresh, an outage that changes nothing.

use crate::harness::{Engine, TestApp, on_each_engine};
use reqwest::StatusCode;
use secrecy::ExposeSecret;
use serde_json::{Value, json};
use tether_store::{GrantStore, LoginId};
use uuid::Uuid;

const HARBOR: &str = "549755885175";
const DAY: i64 = 86_400;

async fn connect(t: &TestApp, account: &str, untick: &[&str]) {
    let (status, started) = t.post("/api/v1/connect/pinterest", json!({})).await;
    assert_eq!(status, StatusCode::OK, "{started}");
    let url: url::Url = started["authorization_url"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(url.path().contains("/pinterest/oauth"), "{url}");
    let q: std::collections::HashMap<String, String> = url.query_pairs().into_owned().collect();
    let scopes: Vec<&str> = q["scope"].split(',').collect();
    assert!(scopes.contains(&"pins:write"), "{scopes:?}");
    let mut form: Vec<(&str, &str)> = vec![
        ("client_id", &q["client_id"]),
        ("redirect_uri", &q["redirect_uri"]),
        ("response_type", "code"),
        ("state", &q["state"]),
        ("account", account),
        ("decision", "allow"),
    ];
    for s in scopes.iter().filter(|s| !untick.contains(s)) {
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
    assert!(
        location.contains("/oauth/pinterest/callback?"),
        "{location}"
    );
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

async fn sim_get(t: &TestApp, path: &str) -> Value {
    t.http
        .get(format!("{}/pinterest/_admin/{path}", t.sim_url()))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

#[tokio::test]
async fn a_pinterest_account_connects_and_its_rotated_refresh_token_is_written_back() {
    on_each_engine(rotates).await;
}

async fn rotates(engine: Engine) {
    let t = TestApp::spawn(engine).await;
    connect(&t, HARBOR, &[]).await;
    let login = only_login(&t).await;
    assert_eq!(login["network"], "pinterest");
    assert_eq!(login["platform_user_id"], HARBOR);
    assert_eq!(login["status"], "connected", "{login}");
    let asset = t.asset_by_platform_id(HARBOR).await;
    assert_eq!(asset["kind"], "pinterest_account");
    assert_eq!(asset["status"], "connected", "{asset}");

    let id = id_of(&login);
    let s = &t.app.state;
    let before = s.store.grant(t.ws, id).await.unwrap();
    let old_refresh = before
        .refresh_token
        .as_ref()
        .unwrap()
        .expose_secret()
        .to_owned();
    // Inside the refresh window of the 30-day access token.
    t.advance(25 * DAY).await;
    let r = t.step().await;
    assert_eq!((r.checked, r.failed), (1, 0), "{r:?}");
    let after = s.store.grant(t.ws, id).await.unwrap();
    let new_refresh = after
        .refresh_token
        .as_ref()
        .unwrap()
        .expose_secret()
        .to_owned();
    assert_ne!(
        after.access_token.expose_secret(),
        before.access_token.expose_secret()
    );
    assert_ne!(
        new_refresh, old_refresh,
        "the rotated refresh token is written back"
    );
    assert!(after.refresh_expires_at.unwrap() > before.refresh_expires_at.unwrap());
    let spent = sim_get(&t, &format!("refresh_tokens/{old_refresh}")).await;
    assert_eq!(spent["used"], true, "{spent}");
    assert_eq!(only_login(&t).await["status"], "connected");

    // Past the first token's end, the next refresh spends the new refresh token.
    t.advance(25 * DAY).await;
    let r = t.step().await;
    assert_eq!((r.checked, r.failed), (1, 0), "{r:?}");
    let third = s.store.grant(t.ws, id).await.unwrap();
    assert_ne!(
        third.refresh_token.as_ref().unwrap().expose_secret(),
        new_refresh
    );
    assert_eq!(only_login(&t).await["status"], "connected");
}

#[tokio::test]
async fn a_scope_left_out_an_outage_and_a_refused_refresh() {
    let t = TestApp::spawn(Engine::Sqlite).await;
    connect(&t, HARBOR, &["pins:write"]).await;
    let asset = t.asset_by_platform_id(HARBOR).await;
    assert_eq!(asset["status"], "action_required", "{asset}");
    let (_, full) = t
        .get(&format!("/api/v1/assets/{}", asset["id"].as_str().unwrap()))
        .await;
    let findings = full["report"]["findings"].to_string();
    assert!(findings.contains("pins:write"), "{full:#}");

    // An outage: nothing changes.
    let down = json!({"code": 4197, "message": "Service unavailable"});
    t.http
        .post(format!("{}/pinterest/_admin/faults", t.sim_url()))
        .json(&json!({"path": "v5/user_account", "status": 503, "body": down, "times": 3}))
        .send()
        .await
        .unwrap();
    let r = t.step().await;
    assert_eq!((r.checked, r.failed), (0, 1), "{r:?}");
    assert_eq!(
        t.asset_by_platform_id(HARBOR).await["status"],
        "action_required"
    );

    // The refresh token is lost on Pinterest's side: the refusal writes nothing; the access
    // token's own end then breaks the login.
    let id = id_of(&only_login(&t).await);
    let g = t.app.state.store.grant(t.ws, id).await.unwrap();
    t.http
        .post(format!(
            "{}/pinterest/_admin/refresh_tokens/{}/expire",
            t.sim_url(),
            g.refresh_token.as_ref().unwrap().expose_secret()
        ))
        .send()
        .await
        .unwrap();
    t.advance(25 * DAY).await;
    t.step().await;
    let after = t.app.state.store.grant(t.ws, id).await.unwrap();
    assert_eq!(
        after.access_token.expose_secret(),
        g.access_token.expose_secret()
    );
    t.advance(10 * DAY).await;
    t.step().await;
    assert_eq!(only_login(&t).await["status"], "disconnected");
}
