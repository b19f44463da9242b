//! The route table, checked: every API operation the OpenAPI document lists and every dashboard
//! route `src/dashboard/mod.rs` declares is walked with another workspace's credentials and this
//! workspace's ids. A new route that forgets the workspace check (or authentication) fails here
//! without anyone remembering to write a test for it.

use crate::dashboard::{Visitor, add_user, signed_in, workspace};
use crate::harness::{Engine, TestApp};
use crate::journey::{ALICE, HARBOR};
use reqwest::{Method, StatusCode};
use serde_json::json;
use std::collections::BTreeMap;
use tether_store::{Role, Store};

/// Dashboard routes anyone may open, and why.
const PUBLIC: &[&str] = &[
    "/app/sign-in",         // the way in
    "/app/sign-out",        // ends whatever session the cookie names, if any
    "/app/invite/{secret}", // the secret in the address is the credential
    "/app/static/app.css",
    "/app/static/app.js",
];

/// `(path, methods)` of every `.route("/app…", …)` in the dashboard's router.
fn dashboard_routes() -> Vec<(String, Vec<Method>)> {
    let source = include_str!("../../src/dashboard/mod.rs");
    let mut routes = Vec::new();
    for chunk in source.split(".route(").skip(1) {
        let chunk = chunk.trim_start();
        let Some(rest) = chunk.strip_prefix('"') else {
            continue;
        };
        let (path, handlers) = rest.split_once('"').unwrap();
        if !path.starts_with("/app") {
            continue;
        }
        let handlers = handlers
            .split(".method_not_allowed_fallback")
            .next()
            .unwrap();
        let mut methods = Vec::new();
        if handlers.contains("get(") {
            methods.push(Method::GET);
        }
        if handlers.contains("post(") {
            methods.push(Method::POST);
        }
        assert!(!methods.is_empty(), "{path}: no method found in {handlers}");
        routes.push((path.to_owned(), methods));
    }
    assert!(routes.len() > 20, "the route table was read: {routes:?}");
    routes
}

/// This workspace's ids, by the name a route gives its path parameter's kind.
struct Ids(BTreeMap<&'static str, String>);

impl Ids {
    /// `path` with this workspace's ids in it; `None` for a parameter with no id of its kind.
    fn fill(&self, path: &str) -> Option<String> {
        let kind = |before: &str| {
            let b = before.trim_end_matches('/');
            b.rsplit('/').next().unwrap_or_default().to_owned()
        };
        let mut out = String::new();
        let mut rest = path;
        while let Some(open) = rest.find('{') {
            let close = rest[open..].find('}')? + open;
            let before = &rest[..open];
            out.push_str(before);
            let name = &rest[open + 1..close];
            let value = match name {
                "id" => self.0.get(kind(&out).as_str())?.clone(),
                "network" => "meta".to_owned(),
                "kind" => "facebook_page".to_owned(),
                "platform_id" => HARBOR.to_owned(),
                _ => return None,
            };
            out.push_str(&value);
            rest = &rest[close + 1..];
        }
        out.push_str(rest);
        Some(out)
    }
}

#[tokio::test]
async fn every_route_keeps_to_its_workspace() {
    let t = TestApp::spawn(Engine::Sqlite).await;
    let s = &t.app.state;
    let ws = workspace(&t).await;
    t.connect(ALICE, &[], &[], json!({})).await;
    add_user(&t, ws, "owner-a@example.com", Role::Owner).await;
    let harbor = t.asset_by_platform_id(HARBOR).await;
    let key = s.store.create_api_key(ws, s.clock.now()).await.unwrap();
    let endpoint = s.store.list_endpoints(ws).await.unwrap()[0].id;
    let member = s
        .store
        .list_users(ws)
        .await
        .unwrap()
        .into_iter()
        .find(|m| m.email == "owner-a@example.com")
        .unwrap();
    let ids = Ids(BTreeMap::from([
        ("logins", harbor["login_id"].as_str().unwrap().to_owned()),
        ("assets", harbor["id"].as_str().unwrap().to_owned()),
        ("webhook-endpoints", endpoint.0.to_string()),
        ("endpoints", endpoint.0.to_string()),
        ("keys", key.id.0.to_string()),
        ("members", member.id.0.to_string()),
        ("workspaces", ws.0.to_string()),
    ]));
    // What this workspace's pages and answers would show of it.
    let ours = [
        harbor["login_id"].as_str().unwrap().to_owned(),
        harbor["id"].as_str().unwrap().to_owned(),
        "Harbor Bakery".to_owned(),
        "Alice Moreau".to_owned(),
        "owner-a@example.com".to_owned(),
    ];

    // Another agency, with its own key and owner.
    let other = s
        .store
        .create_workspace("Other agency", s.clock.now())
        .await
        .unwrap()
        .id;
    let other_key = s.store.create_api_key(other, s.clock.now()).await.unwrap();
    let other_key = secrecy::ExposeSecret::expose_secret(&other_key.secret).to_owned();
    add_user(&t, other, "owner-b@example.com", Role::Owner).await;

    // The API: every operation in the document.
    let (_, doc) = t.get("/api/v1/openapi.json").await;
    let mut walked = 0;
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let method: Method = method.to_uppercase().parse().unwrap();
            let filled = ids.fill(path).unwrap_or_else(|| panic!("no id for {path}"));
            // Required query parameters get their first documented word.
            let query: Vec<String> = op["parameters"]
                .as_array()
                .into_iter()
                .flatten()
                .filter(|p| p["in"] == "query" && p["required"] == true)
                .map(|p| {
                    format!(
                        "{}={}",
                        p["name"].as_str().unwrap(),
                        p["schema"]["enum"][0].as_str().unwrap()
                    )
                })
                .collect();
            let url = t.url(&format!("/api/v1{filled}?{}", query.join("&")));
            // Bodies that name this workspace's things where an operation takes them.
            let body = match path.as_str() {
                "/platform-errors" => json!({"asset_id": ids.0["assets"], "error": {"code": 190}}),
                "/webhook-endpoints" => json!({"url": "https://example.com/x"}),
                "/connect/{network}" => json!({"login_id": ids.0["logins"]}),
                _ => json!({}),
            };
            let anonymous = t
                .http
                .request(method.clone(), &url)
                .json(&body)
                .send()
                .await
                .unwrap();
            assert_eq!(
                anonymous.status(),
                StatusCode::UNAUTHORIZED,
                "{method} {path} without a key"
            );
            let r = t
                .http
                .request(method.clone(), &url)
                .bearer_auth(&other_key)
                .json(&body)
                .send()
                .await
                .unwrap();
            let status = r.status();
            let text = r.text().await.unwrap();
            let names_ours = path.contains("{id}")
                || method == Method::POST
                    && ["/platform-errors", "/connect/{network}"].contains(&path.as_str());
            if names_ours {
                assert_eq!(
                    status,
                    StatusCode::NOT_FOUND,
                    "{method} {path} with another workspace's key: {text}"
                );
            }
            for mine in &ours {
                assert!(
                    !text.contains(mine.as_str()),
                    "{method} {path} shows {mine} to another workspace: {text}"
                );
            }
            walked += 1;
        }
    }
    assert!(walked >= 16, "{walked} API operations walked");

    // The dashboard: every route, anonymous and as the other workspace's owner.
    let (mut b, token) = signed_in(&t, "owner-b@example.com").await;
    for (path, methods) in dashboard_routes() {
        if PUBLIC.contains(&path.as_str()) {
            continue;
        }
        let filled = ids
            .fill(&path)
            .unwrap_or_else(|| panic!("{path}: a parameter this test has no id for"));
        let url = t.url(&filled);
        for method in methods {
            let mut anonymous = Visitor::new();
            let (status, _, location) = match method {
                Method::GET => anonymous.get(&url).await,
                _ => anonymous.post(&url, &[]).await,
            };
            let to_sign_in = location
                .as_deref()
                .is_some_and(|l| l.starts_with("/app/sign-in"));
            assert!(
                to_sign_in || status == StatusCode::FORBIDDEN,
                "{method} {path} opened without signing in: {status}"
            );
            let (status, html, _) = match method {
                Method::GET => b.get(&url).await,
                _ => {
                    b.post(
                        &url,
                        &[("csrf", &token), ("asset", ""), ("email", "x@example.com")],
                    )
                    .await
                }
            };
            if path.contains("{id}") {
                assert_eq!(
                    status,
                    StatusCode::NOT_FOUND,
                    "{method} {path} as another workspace's owner"
                );
            }
            for mine in &ours {
                assert!(
                    !html.contains(mine.as_str()),
                    "{method} {path} shows {mine} to another workspace"
                );
            }
        }
    }
    // Nothing of this workspace was changed by any of it.
    let (_, assets) = t.get("/api/v1/assets").await;
    assert_eq!(
        assets["items"].as_array().unwrap().len(),
        t.assets().await.len()
    );
    let logins = s.store.list_logins(ws).await.unwrap();
    assert!(
        logins.iter().all(|l| l.disconnected_at.is_none()),
        "{logins:?}"
    );
    assert!(
        s.store
            .list_endpoints(ws)
            .await
            .unwrap()
            .iter()
            .any(|e| e.id == endpoint)
    );
}
