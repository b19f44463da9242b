//! Shared helpers: a simulator on 127.0.0.1 and a plain reqwest client that talks to it.
#![allow(dead_code)]

use std::collections::BTreeSet;

use reqwest::header::HeaderMap;
use serde_json::Value;
use tether_sim::{SimHandle, World};

pub const APP_ID: &str = "111000111";
pub const SECRET: &str = "test-app-secret";

/// A small frozen world for shape and admin tests. Tokens:
/// - `tok-u1`: healthy; Pages p1 (IG business ig1), p2 (personal IG ig2), p3 (analyst only).
/// - `tok-u2`: only email + public_profile, expired a day ago (the 463 fixture's shape).
/// - `tok-u3`: pages_show_list restricted to p1 although u3 has tasks on p1 and p4.
/// - `tok-page-p1`: Page token of u1 for p1.
pub const SHAPES_WORLD: &str = r#"
[app]
id = "111000111"
name = "Shape Test App"
secret = "test-app-secret"

[clock]
start = "2026-01-10T12:00:00Z"
frozen = true

[[users]]
id = "u1"
name = "User One"
[users.grant]
granted = ["public_profile", "pages_show_list", "pages_read_engagement", "instagram_basic", "read_insights"]
declined = ["email"]
[users.grant.target_ids]
instagram_basic = ["ig1"]

[[users]]
id = "u2"
name = "User Two"
[users.grant]
granted = ["email", "public_profile"]

[[users]]
id = "u3"
name = "User Three"
[users.grant]
granted = ["public_profile", "pages_show_list"]
[users.grant.target_ids]
pages_show_list = ["p1"]

[[tokens]]
token = "tok-u1"
user = "u1"
issued_at = "-1d"
expires_in = "59d"

[[tokens]]
token = "tok-u2"
user = "u2"
issued_at = "-61d"
expires_in = "-1d"

[[tokens]]
token = "tok-u3"
user = "u3"
expires_in = "never"

[[tokens]]
token = "tok-page-p1"
user = "u1"
kind = "page"
page = "p1"
expires_in = "never"

[[pages]]
id = "p1"
name = "Page One"
category = "Bakery"
instagram = "ig1"
[pages.tasks]
u1 = "admin"
u3 = "admin"

[[pages]]
id = "p2"
name = "Page Two"
instagram = "ig2"
[pages.tasks]
u1 = "admin"

[[pages]]
id = "p3"
name = "Page Three"
[pages.tasks]
u1 = ["ANALYZE"]

[[pages]]
id = "p4"
name = "Page Four"
[pages.tasks]
u3 = "editor"

[[instagram]]
id = "ig1"
username = "one_business"
product_tag_eligible = true

[[instagram]]
id = "ig2"
username = "two_personal"
professional = false

[[instagram]]
id = "ig3"
username = "three_unlinked"
"#;

pub fn shapes_world() -> World {
    World::from_toml_str(SHAPES_WORLD, "shapes.toml").expect("test world is valid")
}

pub struct Sim {
    pub handle: SimHandle,
    pub http: reqwest::Client,
}

pub fn fixture(name: &str) -> Value {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
}

pub fn keys(v: &Value) -> BTreeSet<String> {
    v.as_object()
        .unwrap_or_else(|| panic!("not an object: {v}"))
        .keys()
        .cloned()
        .collect()
}

pub fn app_token() -> String {
    format!("{APP_ID}|{SECRET}")
}

pub fn proof(token: &str) -> String {
    tether_sim::appsecret_proof(SECRET, token)
}

impl Sim {
    pub fn start(world: World) -> Sim {
        Sim {
            handle: tether_sim::spawn(world).expect("simulator starts"),
            http: tether_sim::http_client(),
        }
    }

    pub fn shapes() -> Sim {
        Self::start(shapes_world())
    }

    pub fn url(&self, path_and_query: &str) -> String {
        format!("{}{path_and_query}", self.handle.base_url())
    }

    pub async fn get_raw(&self, path_and_query: &str) -> (u16, HeaderMap, String) {
        let resp = self
            .http
            .get(self.url(path_and_query))
            .send()
            .await
            .expect("request");
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        (status, headers, resp.text().await.expect("body"))
    }

    pub async fn get(&self, path_and_query: &str) -> (u16, Value) {
        let (status, _, text) = self.get_raw(path_and_query).await;
        (
            status,
            serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}")),
        )
    }

    /// `GET /v24.0/{path}` as `token`, with its proof and the given fields.
    pub async fn graph(&self, path: &str, token: &str, fields: Option<&str>) -> (u16, Value) {
        let mut q = url::form_urlencoded::Serializer::new(String::new());
        q.append_pair("access_token", token);
        q.append_pair("appsecret_proof", &proof(token));
        if let Some(f) = fields {
            q.append_pair("fields", f);
        }
        self.get(&format!("/v24.0/{path}?{}", q.finish())).await
    }

    pub async fn debug(&self, input: &str) -> (u16, Value) {
        let app = app_token();
        let mut q = url::form_urlencoded::Serializer::new(String::new());
        q.append_pair("input_token", input);
        q.append_pair("access_token", &app);
        q.append_pair("appsecret_proof", &proof(&app));
        self.get(&format!("/v24.0/debug_token?{}", q.finish()))
            .await
    }

    pub async fn post_form(&self, path: &str, form: &[(&str, &str)]) -> (u16, HeaderMap, String) {
        let resp = self
            .http
            .post(self.url(path))
            .form(form)
            .send()
            .await
            .expect("request");
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        (status, headers, resp.text().await.expect("body"))
    }

    /// A batch paid by the app token; `items` is the JSON array of requests.
    pub async fn batch(&self, items: &Value, include_headers: bool) -> (u16, HeaderMap, Value) {
        let app = app_token();
        let p = proof(&app);
        let batch = items.to_string();
        let inc = if include_headers { "true" } else { "false" };
        let form = [
            ("access_token", app.as_str()),
            ("appsecret_proof", p.as_str()),
            ("include_headers", inc),
            ("batch", batch.as_str()),
        ];
        let (status, headers, text) = self.post_form("/v24.0/", &form).await;
        let v = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}"));
        (status, headers, v)
    }
}

/// The `me` batch item of docs/GRAPH_CALLS.md for `token`.
pub fn me_item(token: &str, fields: &str) -> Value {
    let mut q = url::form_urlencoded::Serializer::new(String::new());
    q.append_pair("fields", fields);
    q.append_pair("access_token", token);
    q.append_pair("appsecret_proof", &proof(token));
    serde_json::json!({"method": "GET", "relative_url": format!("me?{}", q.finish())})
}

pub fn debug_item(token: &str) -> Value {
    let mut q = url::form_urlencoded::Serializer::new(String::new());
    q.append_pair("input_token", token);
    serde_json::json!({"method": "GET", "relative_url": format!("debug_token?{}", q.finish())})
}

pub const ME_FIELDS: &str = "id,name,permissions.limit(500){permission,status},accounts.limit(100){id,name,tasks,instagram_business_account{id,username,shopping_product_tag_eligibility},connected_instagram_account{id,username}}";
