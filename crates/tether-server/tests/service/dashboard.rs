//! The dashboard over plain HTTP: sign-in and its cookie, CSRF on every form, roles, invitations,
//! paging of the overview, and Disconnect (history kept, pre-flight says no, webhooks fire).
//! The browser journeys are in tests/browser.

use crate::harness::{Engine, TestApp, on_each_engine};
use reqwest::StatusCode;
use secrecy::SecretString;
use tether_server::dashboard::hash_password;
use tether_store::{Role, Store, WorkspaceId};

const PASSWORD: &str = "a long enough password";

/// A browser-like client: keeps cookies, does not follow redirects.
pub(crate) struct Visitor {
    pub(crate) http: reqwest::Client,
    pub(crate) cookies: Vec<(String, String)>,
}

impl Visitor {
    pub(crate) fn new() -> Visitor {
        Visitor {
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            cookies: Vec::new(),
        }
    }

    pub(crate) fn keep(&mut self, r: &reqwest::Response) {
        for v in r.headers().get_all("set-cookie") {
            let v = v.to_str().unwrap();
            let pair = v.split(';').next().unwrap();
            let (k, val) = pair.split_once('=').unwrap();
            self.cookies.retain(|(n, _)| n != k);
            if !val.is_empty() && !v.contains("Max-Age=0") {
                self.cookies.push((k.to_owned(), val.to_owned()));
            }
        }
    }

    pub(crate) fn cookie_header(&self) -> String {
        self.cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    pub(crate) async fn get(&mut self, url: &str) -> (StatusCode, String, Option<String>) {
        let req = self.http.get(url);
        self.send(req).await
    }

    pub(crate) async fn post(
        &mut self,
        url: &str,
        form: &[(&str, &str)],
    ) -> (StatusCode, String, Option<String>) {
        let req = self.http.post(url).form(form);
        self.send(req).await
    }

    /// Sends with this visitor's cookies and keeps what the server sets.
    async fn send(&mut self, req: reqwest::RequestBuilder) -> (StatusCode, String, Option<String>) {
        let r = req
            .header("cookie", self.cookie_header())
            .send()
            .await
            .unwrap();
        self.keep(&r);
        let status = r.status();
        let location = r
            .headers()
            .get("location")
            .map(|v| v.to_str().unwrap().to_owned());
        (status, r.text().await.unwrap(), location)
    }
}

/// The value of `<input … name="csrf" value="…">` on a page.
pub(crate) fn csrf(html: &str) -> String {
    let at = html
        .find("name=\"csrf\" value=\"")
        .expect("a form with a CSRF token");
    let rest = &html[at + 19..];
    rest[..rest.find('"').unwrap()].to_owned()
}

pub(crate) async fn workspace(t: &TestApp) -> WorkspaceId {
    t.app.state.store.list_workspaces().await.unwrap()[0].id
}

pub(crate) async fn add_user(t: &TestApp, ws: WorkspaceId, email: &str, role: Role) {
    let s = &t.app.state;
    let phc = hash_password(&SecretString::from(PASSWORD.to_owned())).unwrap();
    s.store
        .create_user(ws, email, role, &phc, s.clock.now())
        .await
        .unwrap();
}

pub(crate) async fn signed_in(t: &TestApp, email: &str) -> (Visitor, String) {
    let mut v = Visitor::new();
    let (status, html, _) = v.get(&t.url("/app/sign-in")).await;
    assert_eq!(status, StatusCode::OK);
    let token = csrf(&html);
    let (status, _, location) = v
        .post(
            &t.url("/app/sign-in"),
            &[
                ("csrf", &token),
                ("email", email),
                ("password", PASSWORD),
                ("next", "/app"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER, "signed in");
    assert_eq!(location.as_deref(), Some("/app"));
    let (status, html, _) = v.get(&t.url("/app")).await;
    assert_eq!(status, StatusCode::OK);
    let token = csrf(&html);
    (v, token)
}

#[tokio::test]
async fn sign_in_sets_a_safe_cookie_and_refuses_wrong_passwords() {
    on_each_engine(|engine| async move {
        let t = TestApp::spawn(engine).await;
        let ws = workspace(&t).await;
        add_user(&t, ws, "Owner@Example.com", Role::Owner).await;
        let mut v = Visitor::new();
        // Not signed in: every page goes to sign-in, remembering where it was going.
        let (status, _, location) = v.get(&t.url("/app/settings")).await;
        assert_eq!(status, StatusCode::SEE_OTHER);
        assert_eq!(
            location.as_deref(),
            Some("/app/sign-in?next=%2Fapp%2Fsettings")
        );
        let (_, html, _) = v.get(&t.url("/app/sign-in")).await;
        let token = csrf(&html);
        let (status, html, _) = v
            .post(
                &t.url("/app/sign-in"),
                &[
                    ("csrf", &token),
                    ("email", "owner@example.com"),
                    ("password", "wrong password"),
                ],
            )
            .await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert!(html.contains("do not match"), "{html}");
        assert!(!v.cookies.iter().any(|(k, _)| k == "tether_session"));
        // Without the form's token, even the right password is refused.
        let (status, _, _) = v
            .post(
                &t.url("/app/sign-in"),
                &[("email", "owner@example.com"), ("password", PASSWORD)],
            )
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        // Email in any case and with spaces signs in; the cookie is HttpOnly and SameSite.
        let r = v
            .http
            .post(t.url("/app/sign-in"))
            .header("cookie", v.cookie_header())
            .form(&[
                ("csrf", token.as_str()),
                ("email", "  OWNER@example.com "),
                ("password", PASSWORD),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        let set: Vec<String> = r
            .headers()
            .get_all("set-cookie")
            .iter()
            .map(|v| v.to_str().unwrap().to_owned())
            .collect();
        let session = set
            .iter()
            .find(|c| c.starts_with("tether_session="))
            .expect("session cookie");
        assert!(
            session.contains("HttpOnly") && session.contains("SameSite=Lax"),
            "{session}"
        );
        assert!(
            !session.contains("Secure"),
            "plain http in tests: {session}"
        );
        v.keep(&r);
        let (status, html, _) = v.get(&t.url("/app")).await;
        assert_eq!(status, StatusCode::OK);
        assert!(html.contains("owner@example.com"));
        // Signing out ends the session on the server too.
        let old = v.cookie_header();
        let token = csrf(&html);
        let (status, _, _) = v.post(&t.url("/app/sign-out"), &[("csrf", &token)]).await;
        assert_eq!(status, StatusCode::SEE_OTHER);
        let r = v
            .http
            .get(t.url("/app"))
            .header("cookie", old)
            .send()
            .await
            .unwrap();
        assert_eq!(
            r.status(),
            StatusCode::SEE_OTHER,
            "the old cookie no longer works"
        );
    })
    .await;
}

#[tokio::test]
async fn every_form_needs_the_sessions_csrf_token() {
    let t = TestApp::spawn(Engine::Sqlite).await;
    let ws = workspace(&t).await;
    add_user(&t, ws, "owner@example.com", Role::Owner).await;
    let (mut v, token) = signed_in(&t, "owner@example.com").await;
    let before = t.app.state.store.list_api_keys(ws).await.unwrap().len();
    for bad in ["", "forged", &token[1..]] {
        let (status, html, _) = v.post(&t.url("/app/settings/keys"), &[("csrf", bad)]).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{bad}");
        assert!(html.contains("nothing was done"), "{html}");
    }
    // Another session's token is no good either.
    add_user(&t, ws, "second@example.com", Role::Owner).await;
    let (_, other_token) = signed_in(&t, "second@example.com").await;
    let (status, _, _) = v
        .post(&t.url("/app/settings/keys"), &[("csrf", &other_token)])
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(
        t.app.state.store.list_api_keys(ws).await.unwrap().len(),
        before,
        "no key was made"
    );
    let (status, html, _) = v
        .post(&t.url("/app/settings/keys"), &[("csrf", &token)])
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("shown only once"));
    assert_eq!(
        t.app.state.store.list_api_keys(ws).await.unwrap().len(),
        before + 1
    );
}

#[tokio::test]
async fn an_owner_invites_a_member_who_cannot_change_settings() {
    let t = TestApp::spawn(Engine::Sqlite).await;
    let ws = workspace(&t).await;
    add_user(&t, ws, "owner@example.com", Role::Owner).await;
    let (mut owner, token) = signed_in(&t, "owner@example.com").await;
    let (status, html, _) = owner
        .post(
            &t.url("/app/settings/members"),
            &[
                ("csrf", &token),
                ("email", "new@example.com"),
                ("role", "member"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{html}");
    let at = html
        .find("/app/invite/")
        .expect("the invitation link is shown");
    let link = &html[at..];
    let link = &link[..link.find('"').unwrap()];
    // The invited person sets a password through the link, once.
    let mut invited = Visitor::new();
    let (status, page, _) = invited.get(&t.url(link)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("new@example.com"));
    let form_token = csrf(&page);
    let (status, page, _) = invited
        .post(
            &t.url(link),
            &[
                ("csrf", &form_token),
                ("password", "short"),
                ("confirm", "short"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(page.contains("at least 8"));
    let (status, _, _) = invited
        .post(
            &t.url(link),
            &[
                ("csrf", &form_token),
                ("password", PASSWORD),
                ("confirm", PASSWORD),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (status, _, _) = invited.get(&t.url(link)).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "the link works once");
    let (mut member, member_token) = signed_in(&t, "new@example.com").await;
    let (status, _, _) = member.get(&t.url("/app/settings")).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _, _) = member
        .post(&t.url("/app/settings/keys"), &[("csrf", &member_token)])
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (_, overview, _) = member.get(&t.url("/app")).await;
    assert!(
        !overview.contains("/app/settings\""),
        "no settings link for a member"
    );
}

#[tokio::test]
async fn disconnect_keeps_history_says_no_to_preflight_and_reconnect_works_again() {
    on_each_engine(|engine| async move {
        let t = TestApp::spawn(engine).await;
        let ws = workspace(&t).await;
        add_user(&t, ws, "owner@example.com", Role::Owner).await;
        let r = t
            .connect(crate::journey::ALICE, &[], &[], serde_json::json!({}))
            .await;
        assert!(r.status().is_redirection() || r.status().is_success());
        let assets = t.assets().await;
        let asset = assets[0]["id"].as_str().unwrap().to_owned();
        let login = assets[0]["login_id"].as_str().unwrap().to_owned();
        let (mut v, token) = signed_in(&t, "owner@example.com").await;
        let (status, page, _) = v
            .get(&t.url(&format!("/app/logins/{login}/disconnect")))
            .await;
        assert_eq!(status, StatusCode::OK);
        assert!(page.contains("erase"), "{page}");
        let (status, _, location) = v
            .post(
                &t.url(&format!("/app/logins/{login}/disconnect")),
                &[("csrf", &token)],
            )
            .await;
        assert_eq!(status, StatusCode::SEE_OTHER);
        assert_eq!(location.as_deref(), Some("/app"));
        let (_, overview, _) = v.get(&t.url("/app")).await;
        assert!(
            overview.contains("Disconnected in Tether"),
            "the outcome is reported"
        );
        // Pre-flight says no, with the reason; the history keeps every step.
        let (_, pre) = t
            .get(&format!("/api/v1/assets/{asset}/preflight?feature=publish"))
            .await;
        assert_eq!(pre["allowed"], false, "{pre}");
        assert_eq!(
            pre["findings"][0]["code"], "disconnected_in_tether",
            "{pre}"
        );
        let (_, history) = t.get(&format!("/api/v1/assets/{asset}/history")).await;
        assert!(history.as_array().unwrap().len() >= 2, "{history}");
        assert_eq!(
            history.as_array().unwrap().last().unwrap()["new_status"],
            "disconnected"
        );
        t.app.worker.drain().await.unwrap();
        assert!(
            t.events("asset.status_changed")
                .iter()
                .any(|e| e["data"]["new_status"] == "disconnected"
                    || e["data"]["status"] == "disconnected"
                    || e.to_string().contains("disconnected_in_tether")),
            "a webhook announced it"
        );
        // The delivery log says whose status changed and to what, linked to the account.
        let name = assets[0]["name"].as_str().unwrap();
        let (_, settings, _) = v.get(&t.url("/app/settings")).await;
        let log = &settings[settings.find("Delivery log").expect("a delivery log")..];
        assert!(
            log.contains(&format!(
                "<a href=\"/app/assets/{asset}\">{name} (Facebook Page): Disconnected</a>"
            )),
            "{log}"
        );
        // The worker never checks it again; the token is gone from the database. Nothing revives
        // it: an error reported about it and "check now" are refused, pre-flight still says no.
        let report = t.step().await;
        assert_eq!(report.checked, 0);
        let (status, out) = t
            .post(
                "/api/v1/platform-errors",
                serde_json::json!({"asset_id": asset, "error": {"error": {"message": "(#200) Requires pages_manage_posts", "type": "OAuthException", "code": 200}}}),
            )
            .await;
        assert_eq!(status, StatusCode::CONFLICT, "{out}");
        let (status, out) = t
            .post(&format!("/api/v1/logins/{login}/check"), serde_json::json!({}))
            .await;
        assert_eq!(status, StatusCode::CONFLICT, "{out}");
        assert_eq!(out["error"]["code"], "conflict", "{out}");
        let (_, pre) = t
            .get(&format!("/api/v1/assets/{asset}/preflight?feature=publish"))
            .await;
        assert_eq!(pre["allowed"], false, "{pre}");
        let id = tether_store::LoginId(login.parse().unwrap());
        assert!(matches!(
            t.app.state.store.login_token(ws, id).await,
            Err(tether_store::StoreError::Disconnected { .. })
        ));
        // Reconnecting the same person brings it back, same login, same history.
        t.connect(crate::journey::ALICE, &[], &[], serde_json::json!({}))
            .await;
        let l = t.app.state.store.get_login(ws, id).await.unwrap().unwrap();
        assert!(l.disconnected_at.is_none());
        let (_, pre) = t
            .get(&format!("/api/v1/assets/{asset}/preflight?feature=publish"))
            .await;
        assert_ne!(
            pre["findings"][0]["code"], "disconnected_in_tether",
            "{pre}"
        );
    })
    .await;
}

#[tokio::test]
async fn mistyped_addresses_and_button_addresses_get_the_dashboards_own_page() {
    let t = TestApp::spawn(Engine::Sqlite).await;
    let ws = workspace(&t).await;
    add_user(&t, ws, "owner@example.com", Role::Owner).await;
    let (mut v, _) = signed_in(&t, "owner@example.com").await;
    for path in [
        "/app/nothing-here",
        "/app/assets/not-an-id",
        "/app/logins/00000000-0000-0000-0000-000000000000",
    ] {
        let (status, html, _) = v.get(&t.url(path)).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
        assert!(html.contains("<h1>Not found</h1>"), "{path}: {html}");
    }
    // A button's address opened as a page says so, in the dashboard's frame.
    let (status, html, _) = v.get(&t.url("/app/connect")).await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
    assert!(html.contains("This address belongs to a button"), "{html}");
    assert!(html.contains("Back to your accounts"), "{html}");
    // The API keeps its JSON errors.
    let r = t.http.get(t.url("/api/v1/nothing")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let body: serde_json::Value = r.json().await.unwrap();
    assert!(body["error"]["code"].is_string(), "{body}");
}

#[tokio::test]
async fn revoking_a_key_removing_an_endpoint_or_a_person_asks_first() {
    let t = TestApp::spawn(Engine::Sqlite).await;
    let ws = workspace(&t).await;
    add_user(&t, ws, "owner@example.com", Role::Owner).await;
    add_user(&t, ws, "member@example.com", Role::Member).await;
    let (mut v, _) = signed_in(&t, "owner@example.com").await;
    let s = &t.app.state;
    let key = s.store.list_api_keys(ws).await.unwrap()[0].clone();
    let endpoint = s.store.list_endpoints(ws).await.unwrap()[0].clone();
    let member = s
        .store
        .list_users(ws)
        .await
        .unwrap()
        .into_iter()
        .find(|u| u.email == "member@example.com")
        .unwrap();
    let (_, settings, _) = v.get(&t.url("/app/settings")).await;
    for (path, asks) in [
        (
            format!("/app/settings/keys/{}/revoke", key.id),
            "Revoke the key",
        ),
        (
            format!("/app/settings/endpoints/{}/delete", endpoint.id),
            "Remove this webhook endpoint?",
        ),
        (
            format!("/app/settings/members/{}/remove", member.id),
            "Remove member@example.com?",
        ),
    ] {
        // Settings links to the question, not to the act.
        assert!(settings.contains(&format!("href=\"{path}\"")), "{path}");
        let (status, html, _) = v.get(&t.url(&path)).await;
        assert_eq!(status, StatusCode::OK, "{path}");
        assert!(html.contains(asks), "{path}: {html}");
        // Asking changed nothing: the key still works, the endpoint and the person are there.
        let state = || async {
            (
                s.store.list_api_keys(ws).await.unwrap(),
                s.store.list_endpoints(ws).await.unwrap().len(),
                s.store.list_users(ws).await.unwrap().len(),
            )
        };
        let before = state().await;
        let (status, _, _) = v.get(&t.url(&path)).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(before, state().await, "{path}");
        let token = csrf(&html);
        let (status, _, _) = v.post(&t.url(&path), &[("csrf", &token)]).await;
        assert_eq!(status, StatusCode::SEE_OTHER, "{path}");
    }
    assert!(
        s.store.list_api_keys(ws).await.unwrap()[0]
            .revoked_at
            .is_some()
    );
    assert!(s.store.list_endpoints(ws).await.unwrap().is_empty());
    assert_eq!(s.store.list_users(ws).await.unwrap().len(), 1);
}

#[tokio::test]
async fn bulk_actions_and_the_export_cover_the_filtered_list() {
    let t = TestApp::spawn(Engine::Sqlite).await;
    let ws = workspace(&t).await;
    add_user(&t, ws, "owner@example.com", Role::Owner).await;
    // Every demo person connected: Erin's password changed, Carla and Hugo lack a Page task.
    for (_, name, token) in tether_sim::World::demo().newest_user_tokens() {
        tether_server::connect::connect_token(
            &t.app.state,
            ws,
            SecretString::from(token),
            tether_server::connect::Expect {
                name_hint: Some(&name),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    }
    let (mut v, _) = signed_in(&t, "owner@example.com").await;

    let (status, html, _) = v.get(&t.url("/app/bulk/links?status=attention")).await;
    assert_eq!(status, StatusCode::OK);
    for person in ["Erin Walsh", "Ivy Novak", "Lena Vogt", "Ben Okafor"] {
        assert!(html.contains(person), "{person} must reconnect: {html}");
    }
    assert!(
        !html.contains("Carla Reyes"),
        "Carla's fix is a Page admin's, not a reconnect"
    );
    assert!(html.contains("/reconnect?"), "signed links: {html}");

    let (status, html, _) = v.get(&t.url("/app/bulk/admins")).await;
    assert_eq!(status, StatusCode::OK);
    // Riverside Gym and its Instagram account miss the same task: one message.
    assert_eq!(html.matches("Please give Carla Reyes").count(), 1, "{html}");
    assert!(html.contains("Riverside Gym, riversidegym"), "{html}");
    assert!(!html.contains("CREATE_CONTENT"), "{html}");

    let r = v
        .http
        .get(t.url("/app/export.csv?q=harbor"))
        .header("cookie", v.cookie_header())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    let csv = r.text().await.unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert!(
        lines[0].starts_with("Account,Kind,Network,Status,What to do"),
        "{csv}"
    );
    assert!(
        lines.len() > 1
            && lines[1..]
                .iter()
                .all(|l| l.to_lowercase().contains("harbor")),
        "{csv}"
    );
}

#[tokio::test]
async fn a_login_broken_at_connect_has_its_own_page_and_is_counted() {
    let t = TestApp::spawn(Engine::Sqlite).await;
    let ws = workspace(&t).await;
    add_user(&t, ws, "owner@example.com", Role::Owner).await;
    // Erin changed her password before connecting: nothing of hers can be listed.
    let erin = tether_server::connect::connect_token(
        &t.app.state,
        ws,
        SecretString::from("EAATdemoErinPasswordChanged05".to_owned()),
        tether_server::connect::Expect {
            name_hint: Some("Erin Walsh"),
            ..Default::default()
        },
    )
    .await
    .unwrap()
    .login;
    let (mut v, _) = signed_in(&t, "owner@example.com").await;
    let (_, html, _) = v.get(&t.url("/app")).await;
    assert!(html.contains("1 person must log in again"), "{html}");
    assert!(html.contains("1 disconnected"), "{html}");
    assert!(html.contains("Erin Walsh&#39;s Facebook login"), "{html}");
    assert!(
        html.contains(&format!("why-{}", erin.id)),
        "a question mark: {html}"
    );
    let (_, html, _) = v.get(&t.url("/app?status=disconnected")).await;
    assert!(
        !html.contains("No accounts match") && !html.contains("Nothing matches"),
        "{html}"
    );
    let (status, page, _) = v.get(&t.url(&format!("/app/logins/{}", erin.id))).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        page.contains("before its accounts could be listed"),
        "{page}"
    );
    assert!(page.contains("Erin Walsh must log in again"), "{page}");
    assert!(
        page.contains("Not in use: this login no longer works"),
        "{page}"
    );
}

#[tokio::test]
async fn a_person_in_several_workspaces_sees_them_side_by_side_and_opens_each() {
    let t = TestApp::spawn(Engine::Sqlite).await;
    let brand_a = workspace(&t).await;
    let s = &t.app.state;
    add_user(&t, brand_a, "owner@example.com", Role::Owner).await;
    // Brand A's accounts: Erin's login broke before it could list anything.
    tether_server::connect::connect_token(
        s,
        brand_a,
        SecretString::from("EAATdemoErinPasswordChanged05".to_owned()),
        tether_server::connect::Expect {
            name_hint: Some("Erin Walsh"),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let brand_b = s
        .store
        .create_workspace("Brand B", s.clock.now())
        .await
        .unwrap()
        .id;
    let stranger = s
        .store
        .create_workspace("Someone else", s.clock.now())
        .await
        .unwrap()
        .id;
    // Brand B's owner adds the same person from Settings: no new password, one more workspace.
    add_user(&t, brand_b, "b-owner@example.com", Role::Owner).await;
    let (mut b_owner, _) = signed_in(&t, "b-owner@example.com").await;
    let (_, settings, _) = b_owner.get(&t.url("/app/settings")).await;
    let token = csrf(&settings);
    let (status, _, _) = b_owner
        .post(
            &t.url("/app/settings/members"),
            &[
                ("csrf", &token),
                ("email", "OWNER@example.com"),
                ("role", "member"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, settings, _) = b_owner.get(&t.url("/app/settings")).await;
    assert!(
        settings.contains("now see this workspace too"),
        "{settings}"
    );
    assert!(settings.contains("owner@example.com"));

    let (mut v, _) = signed_in(&t, "owner@example.com").await;
    let (status, html, _) = v.get(&t.url("/app/workspaces")).await;
    assert_eq!(status, StatusCode::OK);
    // Side by side, what needs attention first: Brand A (Erin) before Brand B (nothing).
    let a = html
        .find("<strong>Agency</strong>")
        .expect("Brand A listed");
    let b = html
        .find("<strong>Brand B</strong>")
        .expect("Brand B listed");
    assert!(a < b, "{html}");
    assert!(html.contains("1 need attention"), "{html}");
    assert!(html.contains("1 person must log in again"), "{html}");
    assert!(html.contains("All working"), "{html}");

    // Open Brand B: the list is Brand B's; as a member there, no settings.
    let token = csrf(&html);
    let (status, _, location) = v
        .post(
            &t.url(&format!("/app/workspaces/{brand_b}/open")),
            &[("csrf", &token)],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(location.as_deref(), Some("/app?status=attention"));
    let (_, list, _) = v.get(&t.url("/app")).await;
    assert!(list.contains("of Brand B"), "{list}");
    assert!(
        !list.contains("Erin Walsh"),
        "Brand A's accounts stay in Brand A: {list}"
    );
    let (status, _, _) = v.get(&t.url("/app/settings")).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "a member in Brand B");
    // A workspace that is not hers is not found.
    let (status, _, _) = v
        .post(
            &t.url(&format!("/app/workspaces/{stranger}/open")),
            &[("csrf", &token)],
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (_, list, _) = v.get(&t.url("/app")).await;
    assert!(list.contains("of Brand B"), "nothing switched: {list}");
}

#[tokio::test]
async fn a_page_across_logins_and_a_closed_data_access_window_read_right() {
    let t = TestApp::spawn(Engine::Sqlite).await;
    let ws = workspace(&t).await;
    add_user(&t, ws, "owner@example.com", Role::Owner).await;
    for (_, name, token) in tether_sim::World::demo().newest_user_tokens() {
        tether_server::connect::connect_token(
            &t.app.state,
            ws,
            SecretString::from(token),
            tether_server::connect::Expect {
                name_hint: Some(&name),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    }
    let (mut v, _) = signed_in(&t, "owner@example.com").await;
    // Summit Outdoor Co: Alice's login works; Farid's expires in five days.
    let (status, html, _) = v
        .get(&t.url("/app/accounts/facebook_page/300000000000002"))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains("works through Alice Moreau&#39;s login"),
        "{html}"
    );
    assert!(
        html.contains("at risk, through Farid Haddad&#39;s login (until 28 Nov 2026)"),
        "{html}"
    );
    let (status, _, _) = v.get(&t.url("/app/accounts/facebook_page/nothing")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _, _) = v.get(&t.url("/app/accounts/no_such_kind/1")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // Lena has not used the app for 90 days: her login page says so, and what to do.
    let lena = t
        .app
        .state
        .store
        .find_logins_by_platform_user(tether_core::Network::Meta, "100000000000012")
        .await
        .unwrap()
        .remove(0);
    let (_, page, _) = v.get(&t.url(&format!("/app/logins/{}", lena.id))).await;
    assert!(page.contains("Lena Vogt must log in again"), "{page}");
    assert!(page.contains("has not used the app for 90 days"), "{page}");
    assert!(
        page.contains("data_access_expired"),
        "the code, for support: {page}"
    );
}

/// An Instagram Login account on the dashboard: a Connect button of its own, and a broken login
/// told in Instagram's words (never Facebook's, never a Page admin's).
#[tokio::test]
async fn an_instagram_login_is_told_in_instagrams_words() {
    let t = TestApp::spawn(Engine::Sqlite).await;
    let ws = workspace(&t).await;
    add_user(&t, ws, "ana@agency.example", Role::Owner).await;
    let (mut v, _) = signed_in(&t, "ana@agency.example").await;
    let (_, html, _) = v.get(&t.url("/app")).await;
    drop(v);
    assert!(html.contains("Connect a Facebook account"), "{html}");
    assert!(html.contains("Connect an Instagram account"), "{html}");
    assert!(
        html.contains("name=\"network\" value=\"instagram\""),
        "{html}"
    );

    crate::instagram::connect(&t, "17841400000000101", &[]).await;
    t.http
        .post(format!(
            "{}/instagram/_admin/accounts/17841400000000101/change_password",
            t.sim_url()
        ))
        .send()
        .await
        .unwrap();
    t.advance(2 * 86_400).await;
    t.step().await;
    // Two days on, the first session has expired: sign in again.
    let (mut v, _) = signed_in(&t, "ana@agency.example").await;
    let (_, html, _) = v.get(&t.url("/app?q=harbor.bakery")).await;
    assert!(html.contains("harbor.bakery"), "{html}");
    assert!(html.contains("Instagram account · Instagram"), "{html}");
    assert!(html.contains("must log in again"), "{html}");
    let asset = t.asset_by_platform_id("17841400000000101").await;
    let (status, page, _) = v
        .get(&t.url(&format!("/app/assets/{}", asset["id"].as_str().unwrap())))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("log in to Instagram"), "{page}");
    // The platform's own message (under "For support") may say what it says; our words may not.
    for wrong in [
        "Facebook's login",
        "Facebook Page",
        "on Facebook",
        "Page admin",
        "Business Integrations",
    ] {
        assert!(
            !page.contains(wrong),
            "an Instagram Login account page says {wrong}: {page}"
        );
    }
}

/// Clickjacking: no page may be framed by another site, the dashboard's and the API's alike.
#[tokio::test]
async fn no_page_can_be_framed_by_another_site() {
    let t = TestApp::spawn(Engine::Sqlite).await;
    for path in [
        "/app/sign-in",
        "/api/v1/logins",
        "/healthz",
        "/no-such-page",
    ] {
        let r = t.http.get(t.url(path)).send().await.unwrap();
        assert_eq!(r.headers()["x-frame-options"], "DENY", "{path}");
        assert_eq!(
            r.headers()["content-security-policy"],
            "frame-ancestors 'none'",
            "{path}"
        );
    }
}

/// Guessing one person's password is slow: after ten failures the email is refused for fifteen
/// minutes, even with the right password, known email or not; then it signs in again.
#[tokio::test]
async fn repeated_failed_sign_ins_lock_the_email_for_a_while() {
    let t = TestApp::spawn(Engine::Sqlite).await;
    let ws = workspace(&t).await;
    add_user(&t, ws, "owner@example.com", Role::Owner).await;
    let mut v = Visitor::new();
    let (_, html, _) = v.get(&t.url("/app/sign-in")).await;
    let token = csrf(&html);
    let url = t.url("/app/sign-in");
    let form = |email, password| {
        [
            ("csrf", token.as_str()),
            ("email", email),
            ("password", password),
        ]
    };
    for _ in 0..10 {
        for email in ["owner@example.com", "nobody@example.com"] {
            let (status, _, _) = v.post(&url, &form(email, "a guess")).await;
            assert_eq!(status, StatusCode::UNAUTHORIZED);
        }
    }
    for email in ["owner@example.com", " OWNER@example.com"] {
        let (status, html, _) = v.post(&url, &form(email, PASSWORD)).await;
        assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{email}");
        assert!(html.contains("Too many failed sign-ins"), "{html}");
    }
    // An unknown email is answered the same way: the lock says nothing of who has an account.
    let (status, _, _) = v.post(&url, &form("nobody@example.com", PASSWORD)).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    t.clock.advance(jiff::SignedDuration::from_mins(15));
    let (status, _, _) = v.post(&url, &form("owner@example.com", PASSWORD)).await;
    assert_eq!(status, StatusCode::SEE_OTHER, "the window is over");
}

/// Behind https every cookie is Secure (the flash message's too); a `next` with a control
/// character or a backslash goes to the overview instead of failing or leaving the site.
#[tokio::test]
async fn cookies_are_secure_under_https_and_next_is_only_a_dashboard_path() {
    let t = TestApp::spawn_behind_https(Engine::Sqlite).await;
    let ws = workspace(&t).await;
    add_user(&t, ws, "owner@example.com", Role::Owner).await;
    let mut v = Visitor::new();
    let (status, html, _) = v.get(&t.url("/app/sign-in?next=%2Fapp%01x")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains(r#"name="next" value="/app""#), "{html}");
    let token = csrf(&html);
    for next in [
        "/app\u{1}x",
        "/app/\r\nSet-Cookie: x=1",
        "/app/\\evil.example",
        "/application",
    ] {
        let r = v
            .http
            .post(t.url("/app/sign-in"))
            .header("cookie", v.cookie_header())
            .form(&[
                ("csrf", token.as_str()),
                ("email", "owner@example.com"),
                ("password", PASSWORD),
                ("next", next),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "{next:?}");
        assert_eq!(r.headers()["location"], "/app", "{next:?}");
        for c in r.headers().get_all("set-cookie") {
            assert!(c.to_str().unwrap().ends_with("; Secure"), "{c:?}");
        }
        v.keep(&r);
    }
    // A flash message's cookie (sign-out says "You are signed out.") is Secure too.
    let (_, html, _) = v.get(&t.url("/app")).await;
    let token = csrf(&html);
    let r = v
        .http
        .post(t.url("/app/sign-out"))
        .header("cookie", v.cookie_header())
        .form(&[("csrf", token.as_str())])
        .send()
        .await
        .unwrap();
    let set: Vec<_> = r.headers().get_all("set-cookie").iter().collect();
    assert!(
        set.iter()
            .any(|c| c.to_str().unwrap().starts_with("tether_flash=")),
        "{set:?}"
    );
    for c in set {
        assert!(c.to_str().unwrap().ends_with("; Secure"), "{c:?}");
    }
}

/// A profile is chosen by name from the server's list; a path typed into the form is not a
/// profile and is never read (`/dev/zero` would be read without end).
#[tokio::test]
async fn a_profile_is_a_name_never_a_path() {
    let t = TestApp::spawn(Engine::Sqlite).await;
    let ws = workspace(&t).await;
    add_user(&t, ws, "owner@example.com", Role::Owner).await;
    let (mut v, token) = signed_in(&t, "owner@example.com").await;
    for profile in [
        "/dev/zero",
        "../../etc/passwd",
        "/etc/tether/profile.toml",
        "nonsense",
    ] {
        let (status, html, _) = v
            .post(
                &t.url("/app/settings"),
                &[
                    ("csrf", &token),
                    ("profile", profile),
                    ("warning_days", "14"),
                ],
            )
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{profile}");
        assert!(
            html.contains("There is no profile called"),
            "{profile}: {html}"
        );
    }
    let stored = t.app.state.store.get_workspace(ws).await.unwrap().unwrap();
    assert_eq!(stored.profile, None, "nothing saved");
    // A built-in name is a profile.
    let (status, _, _) = v
        .post(
            &t.url("/app/settings"),
            &[
                ("csrf", &token),
                ("profile", "listening"),
                ("warning_days", "14"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let stored = t.app.state.store.get_workspace(ws).await.unwrap().unwrap();
    assert_eq!(stored.profile.as_deref(), Some("listening"));
}
