//! LinkedIn organizations through the service, end to end over real HTTP: the API starts the
//! dialog at the simulator's `/linkedin` part, the generic callback stores the login with its
//! refresh token, the worker checks roles per Page, refreshes before the access token lapses and
//! writes it back without ever moving the year's end; revokes, expiries, lost roles, outages and
//! reported errors each do what they must and nothing more.

use crate::dashboard::{add_user, signed_in};
use crate::harness::{Engine, TestApp, on_each_engine};
use reqwest::StatusCode;
use secrecy::ExposeSecret;
use serde_json::{Value, json};
use tether_core::{Catalog, Network};
use tether_server::Clock;
use tether_store::{GrantStore, LoginId, Role};
use uuid::Uuid;

const ADA: &str = "aLi5Ada0001";
const HARBOR: &str = "2414183";
const NORTHWIND: &str = "2414184";
const DAY: i64 = 86_400;

/// Starts LinkedIn through the API and plays the member in the simulator's dialog.
pub(crate) async fn connect(t: &TestApp, member: &str, untick: &[&str]) -> reqwest::Response {
    let (status, started) = t.post("/api/v1/connect/linkedin", json!({})).await;
    assert_eq!(status, StatusCode::OK, "{started}");
    let url: url::Url = started["authorization_url"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(
        url.path().ends_with("/linkedin/oauth/v2/authorization"),
        "{url}"
    );
    let q: std::collections::HashMap<String, String> = url.query_pairs().into_owned().collect();
    let scopes: Vec<&str> = q["scope"].split(' ').collect();
    assert_eq!(scopes[0], "r_basicprofile", "{scopes:?}");
    assert!(scopes.contains(&"w_organization_social"), "{scopes:?}");
    let page = t.http.get(url.clone()).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    let mut form: Vec<(&str, &str)> = vec![
        ("client_id", &q["client_id"]),
        ("redirect_uri", &q["redirect_uri"]),
        ("state", &q["state"]),
        ("member", member),
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
    assert_eq!(back.status(), StatusCode::FOUND);
    let location = back.headers()["location"].to_str().unwrap().to_owned();
    assert!(location.contains("/oauth/linkedin/callback?"), "{location}");
    let done = t.http.get(location).send().await.unwrap();
    assert_eq!(
        done.status(),
        StatusCode::SEE_OTHER,
        "{}",
        done.text().await.unwrap()
    );
    done
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

pub async fn sim(t: &TestApp, path: &str, body: Value) {
    let resp = t
        .http
        .post(format!("{}/linkedin/_admin/{path}", t.sim_url()))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert!(resp.status().is_success(), "{path}: {}", resp.status());
}

async fn asset_report(t: &TestApp, platform_id: &str) -> Value {
    let asset = t.asset_by_platform_id(platform_id).await;
    let (_, full) = t
        .get(&format!("/api/v1/assets/{}", asset["id"].as_str().unwrap()))
        .await;
    full
}

async fn check_now(t: &TestApp) {
    let id = only_login(t).await["id"].as_str().unwrap().to_owned();
    let (status, out) = t
        .post(&format!("/api/v1/logins/{id}/check"), json!({}))
        .await;
    assert_eq!(status, StatusCode::OK, "{out}");
}

/// A working LinkedIn login as it reads at the test clock's now. The refresh tests cross the day
/// the API version this build sends comes within its notice (`[api_version]` in
/// catalog/linkedin/catalog.toml): from then on a working login is at risk, for the app's team,
/// and says nothing else.
async fn assert_working(t: &TestApp) {
    let version = Catalog::builtin(Network::Linkedin)
        .unwrap()
        .api_version
        .unwrap();
    let (status, codes): (&str, &[&str]) = match version.ending(t.clock.now()) {
        Some(_) => ("at_risk", &["api_version_retiring"]),
        None => ("connected", &[]),
    };
    assert_eq!(only_login(t).await["status"], status);
    assert_eq!(login_codes(t).await, codes);
}

async fn login_codes(t: &TestApp) -> Vec<String> {
    let l = only_login(t).await;
    let (_, full) = t
        .get(&format!("/api/v1/logins/{}", l["id"].as_str().unwrap()))
        .await;
    full["report"]["login"]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["code"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn a_linkedin_member_connects_and_each_page_is_judged_by_their_roles() {
    on_each_engine(connects).await;
}

async fn connects(engine: Engine) {
    let t = TestApp::spawn(engine).await;
    connect(&t, ADA, &[]).await;
    let login = only_login(&t).await;
    assert_eq!(login["network"], "linkedin");
    assert_eq!(login["platform_user_id"], ADA);
    assert_eq!(login["person_name"], "Ada Park");
    assert_eq!(login["status"], "connected", "{login}");
    let harbor = t.asset_by_platform_id(HARBOR).await;
    assert_eq!(harbor["kind"], "linkedin_organization");
    assert_eq!(harbor["name"], "Harbor Bakery");
    assert_eq!(harbor["status"], "connected", "{harbor}");
    // An Analyst of Northwind Studio: a Super admin of that Page must give a role.
    let northwind = asset_report(&t, NORTHWIND).await;
    assert_eq!(northwind["status"], "action_required", "{northwind:#}");
    let findings = northwind["report"]["findings"].as_array().unwrap();
    assert!(!findings.is_empty());
    for f in findings {
        assert_eq!(f["code"], "role_missing", "{f:#}");
        assert_eq!(f["owner"], "asset_admin", "{f:#}");
        assert!(f["role"].is_string(), "{f:#}");
    }
    // The refresh token and the year it lives are kept with the token.
    let s = &t.app.state;
    let g = s.store.grant(t.ws, id_of(&login)).await.unwrap();
    assert!(g.refresh_token.is_some());
    let year = g
        .refresh_expires_at
        .unwrap()
        .duration_since(g.issued_at.unwrap());
    assert_eq!(year.as_secs(), 365 * DAY);
}

#[tokio::test]
async fn the_worker_refreshes_before_sixty_days_and_never_moves_the_years_end() {
    on_each_engine(refreshes).await;
}

async fn refreshes(engine: Engine) {
    let t = TestApp::spawn(engine).await;
    connect(&t, ADA, &[]).await;
    let id = id_of(&only_login(&t).await);
    let s = &t.app.state;
    let before = s.store.grant(t.ws, id).await.unwrap();

    // Ada must sign in again at the year's end, not at the access token's 60 days (Tether renews
    // that one itself): the API and the dashboard's login page say the year's end.
    let year_end = before.refresh_expires_at.unwrap();
    assert!(year_end > before.expires_at.unwrap());
    let view = only_login(&t).await;
    let said: jiff::Timestamp = view["refresh_expires_at"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(said, year_end, "{view}");
    add_user(&t, t.ws, "owner@example.com", Role::Owner).await;
    let (mut owner, _) = signed_in(&t, "owner@example.com").await;
    let (status, html, _) = owner.get(&t.url(&format!("/app/logins/{}", id.0))).await;
    assert_eq!(status, StatusCode::OK);
    let fact = |label: &str| {
        let open = format!("<dt>{label}</dt><dd>");
        let rest = &html[html.find(&open).expect(label) + open.len()..];
        rest[..rest.find("</dd>").unwrap()].to_owned()
    };
    let day = |t: jiff::Timestamp| t.strftime("%-d %b %Y").to_string();
    assert!(
        fact("Login expires").starts_with(&day(year_end)),
        "{}",
        fact("Login expires")
    );
    assert!(
        fact("Access token").contains(&day(before.expires_at.unwrap())),
        "{}",
        fact("Access token")
    );

    // Fifty-two days on: inside the refresh window (ten days before the 60-day end).
    t.advance(52 * DAY).await;
    let r = t.step().await;
    assert_eq!(r.checked, 1, "{r:?}");
    let after = s.store.grant(t.ws, id).await.unwrap();
    assert_ne!(
        after.access_token.expose_secret(),
        before.access_token.expose_secret(),
        "the refreshed token is written back"
    );
    assert!(after.expires_at.unwrap() > before.expires_at.unwrap());
    assert_eq!(
        after.refresh_expires_at, before.refresh_expires_at,
        "never extended"
    );
    assert_working(&t).await;

    // Past the first token's end, checks keep working with the new one.
    t.advance(10 * DAY).await;
    let r = t.step().await;
    assert_eq!((r.checked, r.failed), (1, 0), "{r:?}");
    assert_working(&t).await;

    // The refresh token is lost on LinkedIn's side: the refusal changes nothing while the access
    // token lasts, and the login is told to sign in again once it lapses.
    sim(
        &t,
        &format!(
            "refresh_tokens/{}/expire",
            after.refresh_token.as_ref().unwrap().expose_secret()
        ),
        json!({}),
    )
    .await;
    t.advance(45 * DAY).await;
    let r = t.step().await;
    assert_eq!(r.checked, 1, "{r:?}");
    assert_eq!(
        s.store
            .grant(t.ws, id)
            .await
            .unwrap()
            .access_token
            .expose_secret(),
        after.access_token.expose_secret(),
        "a refused refresh writes nothing"
    );
    assert_working(&t).await;
    t.advance(20 * DAY).await;
    t.step().await;
    assert_eq!(only_login(&t).await["status"], "disconnected");
    assert_eq!(login_codes(&t).await, ["token_expired"]);
}

#[tokio::test]
async fn a_revoke_a_lost_role_and_an_outage_each_do_what_they_must() {
    let t = TestApp::spawn(Engine::Sqlite).await;
    connect(&t, ADA, &[]).await;

    // An outage of introspection: the check fails, nothing turns red.
    let downstream = json!({"status": 500, "message": "Access token downstream verification failures return a 500"});
    sim(
        &t,
        "faults",
        json!({"path": "oauth/v2/introspectToken", "status": 500, "body": downstream, "times": 3}),
    )
    .await;
    let r = t.step().await;
    assert_eq!((r.checked, r.failed), (0, 1), "{r:?}");
    assert_eq!(t.asset_by_platform_id(HARBOR).await["status"], "connected");

    // A Super admin takes Ada's Super admin role on Harbor Bakery away.
    sim(
        &t,
        "acls",
        json!({"member": ADA, "organization": HARBOR, "role": "ADMINISTRATOR", "state": "REVOKED"}),
    )
    .await;
    check_now(&t).await;
    let harbor = asset_report(&t, HARBOR).await;
    assert_eq!(harbor["status"], "action_required", "{harbor:#}");
    let roles: Vec<&str> = harbor["report"]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["code"] == "role_missing")
        .map(|f| f["role"].as_str().unwrap())
        .collect();
    assert!(roles.contains(&"ADMINISTRATOR"), "{harbor:#}");

    // Ada removes the app in her LinkedIn settings.
    sim(&t, &format!("members/{ADA}/revoke_app"), json!({})).await;
    check_now(&t).await;
    assert_eq!(only_login(&t).await["status"], "disconnected");
    assert_eq!(login_codes(&t).await, ["app_removed"]);
    assert_eq!(
        t.asset_by_platform_id(HARBOR).await["status"],
        "disconnected"
    );
}

#[tokio::test]
async fn an_error_reported_for_a_linkedin_page_is_read_by_linkedins_rules() {
    let t = TestApp::spawn(Engine::Sqlite).await;
    connect(&t, ADA, &[]).await;
    let asset = t.asset_by_platform_id(HARBOR).await;
    let id = asset["id"].as_str().unwrap();
    // Revoked is believed only when our own check says it twice: a check is scheduled.
    let (status, out) = t
        .post(
            "/api/v1/platform-errors",
            json!({"asset_id": id, "feature": "publish", "call": "POST /rest/posts",
                   "error": {"status":401,"serviceErrorCode":65601,"code":"REVOKED_ACCESS_TOKEN","message":"The token used in the request has been revoked by the user"}}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{out}");
    assert_eq!(out["classification"], "unrecognized", "{out}");
    assert_eq!(out["check_scheduled"], true);
    assert_eq!(out["login"]["status"], "connected", "{out}");
    let (status, out) = t
        .post(
            "/api/v1/platform-errors",
            json!({"asset_id": id, "error": {"status":401,"serviceErrorCode":65602,"code":"EXPIRED_ACCESS_TOKEN","message":"The token used in the request has expired"}}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{out}");
    assert_eq!(out["classification"], "login_broken", "{out}");
    assert_eq!(out["login"]["status"], "disconnected", "{out}");
    // A Graph body is not LinkedIn's.
    let (status, out) = t
        .post(
            "/api/v1/platform-errors",
            json!({"asset_id": id, "error": {"error": {"message": "x", "type": "OAuthException", "code": 190}}}),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{out}");
    assert!(
        out["error"]["message"]
            .as_str()
            .unwrap()
            .contains("linkedin"),
        "{out}"
    );
}

/// Disconnected in the dashboard, a LinkedIn login's accounts are told in LinkedIn's words (the
/// report carries them, so no client is sent to Facebook), and their page names the features
/// as LinkedIn does.
#[tokio::test]
async fn a_linkedin_login_disconnected_in_the_dashboard_is_told_in_linkedins_words() {
    let t = TestApp::spawn(Engine::Sqlite).await;
    connect(&t, ADA, &[]).await;
    let login = only_login(&t).await;
    add_user(&t, t.ws, "owner@example.com", Role::Owner).await;
    let (mut v, token) = signed_in(&t, "owner@example.com").await;
    let disconnect = t.url(&format!("/app/logins/{}/disconnect", id_of(&login).0));
    let (status, _, _) = v.post(&disconnect, &[("csrf", &token)]).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let harbor = asset_report(&t, HARBOR).await;
    assert_eq!(harbor["status"], "disconnected", "{harbor}");
    let text = harbor.to_string();
    assert!(text.contains("its LinkedIn sign-in"), "{harbor}");
    assert!(!text.contains("Facebook"), "{harbor}");
    let (_, page, _) = v
        .get(&t.url(&format!("/app/assets/{}", harbor["id"].as_str().unwrap())))
        .await;
    assert!(page.contains("sign in to LinkedIn"), "{page}");
    assert!(!page.contains("Facebook"), "{page}");
    // Its features by LinkedIn's names, in the table and in what the fix mends.
    assert!(
        page.contains("<td data-label=\"Feature\">Page analytics</td>"),
        "{page}"
    );
    assert!(page.contains("publishing videos, Page analytics"), "{page}");
}

/// A member with no role on any LinkedIn Page connects: the page after it says where a LinkedIn
/// Page comes from (a role a Super admin gives), not Facebook's "choose the Pages" screen.
#[tokio::test]
async fn a_member_without_a_page_role_is_told_where_pages_come_from() {
    let t = TestApp::spawn(Engine::Sqlite).await;
    let cai = "aLi5Cai0003";
    sim(
        &t,
        "members",
        json!({"id": cai, "first_name": "Cai", "last_name": "Ng"}),
    )
    .await;
    let done = connect(&t, cai, &[]).await;
    let result = done.headers()["location"].to_str().unwrap().to_owned();
    let html = t.page(&result).await;
    assert!(html.contains("Connection complete"), "{html}");
    assert!(html.contains("No LinkedIn Page arrived"), "{html}");
    assert!(html.contains("Manage admins"), "{html}");
    assert!(!html.contains("Facebook"), "{html}");
}
