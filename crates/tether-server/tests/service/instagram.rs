//! Instagram Login through the service, end to end over real HTTP: the API starts the dialog at
//! the simulator's `/instagram` part, the generic callback stores the login, the worker checks it,
//! refreshes its token when due and writes the new one back; refusals and outages change nothing
//! they must not.

use crate::harness::{Engine, TestApp, on_each_engine};
use reqwest::StatusCode;
use secrecy::ExposeSecret;
use serde_json::{Value, json};
use tether_store::{GrantStore, LoginId};
use uuid::Uuid;

const HARBOR: &str = "17841400000000101";
const PERSONAL: &str = "17841400000000103";
const DAY: i64 = 86_400;

/// Starts Instagram Login through the API and plays the person in the simulator's dialog.
pub(crate) async fn connect(t: &TestApp, account: &str, untick: &[&str]) -> reqwest::Response {
    let (status, started) = t.post("/api/v1/connect/instagram", json!({})).await;
    assert_eq!(status, StatusCode::OK, "{started}");
    let scopes: Vec<String> = started["scopes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap().to_owned())
        .collect();
    assert!(
        scopes.iter().all(|s| s.starts_with("instagram_business_")),
        "{scopes:?}"
    );
    let url: url::Url = started["authorization_url"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(url.path().ends_with("/instagram/oauth/authorize"), "{url}");
    let page = t.http.get(url.clone()).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    let q: std::collections::HashMap<String, String> = url.query_pairs().into_owned().collect();
    let mut form: Vec<(&str, &str)> = vec![
        ("client_id", &q["client_id"]),
        ("redirect_uri", &q["redirect_uri"]),
        ("state", &q["state"]),
        ("account", account),
        ("decision", "allow"),
    ];
    for s in scopes.iter().filter(|s| !untick.contains(&s.as_str())) {
        form.push(("scope", s));
    }
    let mut post = url.clone();
    post.set_query(None);
    let no_redirects = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let back = no_redirects.post(post).form(&form).send().await.unwrap();
    assert_eq!(back.status(), StatusCode::FOUND);
    let location = back.headers()["location"].to_str().unwrap().to_owned();
    assert!(
        location.contains("/oauth/instagram/callback?"),
        "{location}"
    );
    // A browser drops the fragment (`#_`) before asking the server.
    let location = location.trim_end_matches("#_").to_owned();
    t.http.get(location).send().await.unwrap()
}

/// The callback stored the login and sends the browser to the signed result page.
async fn assert_done(done: reqwest::Response) {
    let status = done.status();
    let location = done
        .headers()
        .get("location")
        .map(|l| l.to_str().unwrap().to_owned());
    assert_eq!(
        status,
        StatusCode::SEE_OTHER,
        "{}",
        done.text().await.unwrap()
    );
    assert!(location.unwrap().contains("/connect/result?"));
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

async fn sim_token(t: &TestApp, token: &str) -> Value {
    t.http
        .get(format!("{}/instagram/_admin/tokens/{token}", t.sim_url()))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

#[tokio::test]
async fn an_instagram_account_connects_through_the_dialog_and_is_healthy() {
    on_each_engine(connects).await;
}

async fn connects(engine: Engine) {
    let t = TestApp::spawn(engine).await;
    let done = connect(&t, HARBOR, &[]).await;
    assert_done(done).await;
    let login = only_login(&t).await;
    assert_eq!(login["network"], "instagram");
    assert_eq!(login["platform_user_id"], HARBOR);
    assert_eq!(login["person_name"], "harbor.bakery");
    assert_eq!(login["status"], "connected", "{login}");
    let asset = t.asset_by_platform_id(HARBOR).await;
    assert_eq!(asset["kind"], "instagram_account");
    assert_eq!(asset["status"], "connected", "{asset}");
    // What the exchange said is kept with the token: the scopes and when it was issued.
    let s = &t.app.state;
    let ws = t.ws;
    let g = s.store.grant(ws, id_of(&login)).await.unwrap();
    assert!(g.issued_at.is_some() && g.expires_at.is_some());
    let (_, started) = t.post("/api/v1/connect/instagram", json!({})).await;
    assert_eq!(
        json!(g.granted.unwrap()),
        started["scopes"],
        "what was asked was granted"
    );
}

#[tokio::test]
async fn a_scope_switched_off_and_a_personal_account_are_told_apart() {
    let t = TestApp::spawn(Engine::Sqlite).await;
    let done = connect(&t, PERSONAL, &["instagram_business_manage_insights"]).await;
    assert_done(done).await;
    let asset = t.asset_by_platform_id(PERSONAL).await;
    assert_eq!(asset["status"], "action_required", "{asset}");
    let (_, report) = t
        .get(&format!("/api/v1/assets/{}", asset["id"].as_str().unwrap()))
        .await;
    let codes: Vec<&str> = report["report"]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["code"].as_str().unwrap())
        .collect();
    assert!(codes.contains(&"instagram_not_professional"), "{report:#}");
    let login = only_login(&t).await;
    let (_, full) = t
        .get(&format!("/api/v1/logins/{}", login["id"].as_str().unwrap()))
        .await;
    let findings = full["report"]["login"]["findings"].to_string();
    assert!(
        findings.contains("instagram_business_manage_insights"),
        "{full:#}"
    );
    assert!(!findings.contains("Facebook"), "{findings}");
}

#[tokio::test]
async fn the_worker_refreshes_a_token_before_it_lapses_and_writes_it_back() {
    on_each_engine(refreshes).await;
}

async fn refreshes(engine: Engine) {
    let t = TestApp::spawn(engine).await;
    connect(&t, HARBOR, &[]).await;
    let login = only_login(&t).await;
    let id = id_of(&login);
    let s = &t.app.state;
    let ws = t.ws;
    let before = s.store.grant(ws, id).await.unwrap();

    // Fifty-two days on: inside the refresh window (ten days before the 60-day end).
    t.advance(52 * DAY).await;
    let r = t.step().await;
    assert_eq!(r.checked, 1, "{r:?}");
    let after = s.store.grant(ws, id).await.unwrap();
    assert_ne!(
        after.access_token.expose_secret(),
        before.access_token.expose_secret(),
        "the refreshed token is written back"
    );
    assert_eq!(after.issued_at, Some(s.clock.now()));
    assert!(after.expires_at.unwrap() > before.expires_at.unwrap());
    let old = sim_token(&t, before.access_token.expose_secret()).await;
    assert_eq!(
        old["refreshed"], true,
        "the simulator saw the refresh: {old}"
    );
    let fresh = sim_token(&t, after.access_token.expose_secret()).await;
    assert_eq!(fresh["account"], HARBOR);
    assert_eq!(only_login(&t).await["status"], "connected");

    // Past the old token's end, checks keep working with the new one.
    t.advance(10 * DAY).await;
    let r = t.step().await;
    assert_eq!((r.checked, r.failed), (1, 0), "{r:?}");
    assert_eq!(only_login(&t).await["status"], "connected");
}

#[tokio::test]
async fn a_refused_refresh_and_an_outage_change_nothing_a_changed_password_breaks_it() {
    let t = TestApp::spawn(Engine::Sqlite).await;
    connect(&t, HARBOR, &[]).await;
    let login = only_login(&t).await;
    let id = id_of(&login);
    let s = &t.app.state;
    let ws = t.ws;

    // An outage of /me: the check fails, the verdict stays, nothing turns red.
    let outage = json!({"error":{"message":"An unexpected error has occurred. Please retry your request later.","type":"OAuthException","is_transient":true,"code":2}});
    t.http
        .post(format!("{}/instagram/_admin/faults", t.sim_url()))
        .json(&json!({"path": "me", "status": 503, "body": outage, "times": 3}))
        .send()
        .await
        .unwrap();
    let r = t.step().await;
    assert_eq!((r.checked, r.failed), (0, 1), "{r:?}");
    let l = only_login(&t).await;
    assert_eq!(l["status"], "connected", "{l}");
    assert!(
        l["last_error"].as_str().unwrap().contains("unavailable"),
        "{l}"
    );

    // A refresh refused (the token was invalidated by a password change): the check that
    // follows says why, once.
    t.http
        .post(format!(
            "{}/instagram/_admin/accounts/{HARBOR}/change_password",
            t.sim_url()
        ))
        .send()
        .await
        .unwrap();
    t.advance(52 * DAY).await;
    let before = s.store.grant(ws, id).await.unwrap();
    let r = t.step().await;
    assert_eq!(r.checked, 1, "{r:?}");
    let after = s.store.grant(ws, id).await.unwrap();
    assert_eq!(
        after.access_token.expose_secret(),
        before.access_token.expose_secret(),
        "nothing was written back"
    );
    let l = only_login(&t).await;
    assert_eq!(l["status"], "disconnected", "{l}");
    let (_, full) = t
        .get(&format!("/api/v1/logins/{}", l["id"].as_str().unwrap()))
        .await;
    assert_eq!(
        full["report"]["login"]["findings"][0]["code"],
        "token_invalidated"
    );
}

/// An error the product met on its own Instagram call is read by Instagram's rules: a changed
/// password disconnects at once; a Facebook-only shape is refused, naming the network.
#[tokio::test]
async fn an_error_reported_for_an_instagram_account_is_read_by_instagrams_rules() {
    let t = TestApp::spawn(Engine::Sqlite).await;
    connect(&t, HARBOR, &[]).await;
    let asset = t.asset_by_platform_id(HARBOR).await;
    let id = asset["id"].as_str().unwrap();
    let (status, out) = t
        .post(
            "/api/v1/platform-errors",
            json!({"asset_id": id, "feature": "publish", "call": "POST /{ig-user-id}/media_publish",
                   "error": {"error": {"message": "Error validating access token: The session has been invalidated because the user changed their password or Facebook has changed the session for security reasons.", "type": "OAuthException", "code": 190}}}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{out}");
    assert_eq!(out["classification"], "login_broken", "{out}");
    assert_eq!(out["login"]["status"], "disconnected", "{out}");
    assert_eq!(out["check_scheduled"], true);

    let (status, out) = t
        .post(
            "/api/v1/platform-errors",
            json!({"asset_id": id, "error": {"status": 401, "serviceErrorCode": 65601}}),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{out}");
    assert!(
        out["error"]["message"]
            .as_str()
            .unwrap()
            .contains("instagram"),
        "{out}"
    );
}
