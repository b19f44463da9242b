//! A small Graph batch endpoint on 127.0.0.1 for the client's HTTP tests: it checks the app
//! token and every `appsecret_proof`, answers `debug_token`, `me` (field expansion) and
//! `me/accounts` paging from per-token specs, and can be scripted to fail whole requests.

use axum::extract::State;
use axum::http::{HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use hmac::{Hmac, KeyInit, Mac};
use serde_json::{Value, json};
use sha2::Sha256;
use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

pub const APP_ID: &str = "1234";
pub const SECRET: &str = "sekret";
pub const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../fixtures/meta");

pub fn fixture(name: &str) -> String {
    std::fs::read_to_string(format!("{FIXTURES}/{name}")).unwrap()
}

fn proof(token: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(SECRET.as_bytes()).unwrap();
    mac.update(token.as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

#[derive(Clone)]
pub enum DebugSpec {
    /// A valid user token of `app_id` with these scopes and granular scopes.
    Valid { app_id: String, granular: Value },
    /// A recorded body, served as is.
    Body(String),
}

#[derive(Clone)]
pub enum MeSpec {
    /// A user named after the token with `pages` Pages; every second Page has an IG account.
    Pages(usize),
    /// An error envelope served with HTTP 400.
    Error(String),
}

#[derive(Clone)]
pub struct LoginSpec {
    pub debug: DebugSpec,
    pub me: MeSpec,
    /// The `me` item answers with a transient code-2 error this many times first.
    pub me_transient: usize,
    /// The `me` item comes back `null` this many times first.
    pub me_null: usize,
}

impl LoginSpec {
    pub fn valid(pages: usize) -> LoginSpec {
        LoginSpec {
            debug: DebugSpec::Valid {
                app_id: APP_ID.into(),
                granular: json!([]),
            },
            me: MeSpec::Pages(pages),
            me_transient: 0,
            me_null: 0,
        }
    }
}

/// A scripted answer to the next whole batch request.
pub enum Outer {
    Reply {
        status: u16,
        body: String,
        headers: Vec<(&'static str, String)>,
    },
    /// Sleep, then answer normally.
    Delay(Duration),
}

#[derive(Default)]
pub struct Fake {
    pub logins: Mutex<HashMap<String, LoginSpec>>,
    pub script: Mutex<VecDeque<Outer>>,
    pub requests: AtomicUsize,
    pub items: AtomicUsize,
    pub relative_urls: Mutex<Vec<String>>,
    /// Per-token counters for scripted item failures.
    served: Mutex<HashMap<String, usize>>,
}

pub async fn spawn(fake: Arc<Fake>) -> String {
    let app = axum::Router::new()
        .route("/{version}/", post(batch))
        .with_state(fake);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    format!("http://{addr}")
}

fn graph_error(code: i64, message: &str) -> String {
    json!({"error": {"message": message, "type": "OAuthException", "code": code, "fbtrace_id": "T"}})
        .to_string()
}

fn reply(status: u16, body: String, headers: &[(&'static str, String)]) -> Response {
    let mut resp = (StatusCode::from_u16(status).unwrap(), body).into_response();
    for (k, v) in headers {
        resp.headers_mut().insert(
            HeaderName::from_static(k),
            HeaderValue::from_str(v).unwrap(),
        );
    }
    resp
}

async fn batch(State(fake): State<Arc<Fake>>, body: String) -> Response {
    fake.requests.fetch_add(1, Ordering::SeqCst);
    let scripted = fake.script.lock().unwrap().pop_front();
    match scripted {
        Some(Outer::Reply {
            status,
            body,
            headers,
        }) => return reply(status, body, &headers),
        Some(Outer::Delay(d)) => tokio::time::sleep(d).await,
        None => {}
    }
    let form: HashMap<String, String> = url::form_urlencoded::parse(body.as_bytes())
        .into_owned()
        .collect();
    let app_token = format!("{APP_ID}|{SECRET}");
    if form.get("access_token") != Some(&app_token) {
        return reply(
            400,
            graph_error(190, "Invalid OAuth access token signature."),
            &[],
        );
    }
    if form.get("appsecret_proof") != Some(&proof(&app_token)) {
        let msg = "Invalid appsecret_proof provided in the API argument";
        return reply(400, graph_error(100, msg), &[]);
    }
    assert_eq!(
        form.get("include_headers").map(String::as_str),
        Some("false")
    );
    let items: Vec<Value> = serde_json::from_str(&form["batch"]).unwrap();
    assert!(items.len() <= 50, "batch of {} items", items.len());
    let out: Vec<Value> = items.iter().map(|i| fake.item(i)).collect();
    reply(200, Value::Array(out).to_string(), &[])
}

impl Fake {
    fn item(&self, item: &Value) -> Value {
        self.items.fetch_add(1, Ordering::SeqCst);
        assert_eq!(item["method"], "GET");
        let rel = item["relative_url"].as_str().unwrap().to_owned();
        self.relative_urls.lock().unwrap().push(rel.clone());
        let (path, query) = rel.split_once('?').unwrap();
        let q: HashMap<String, String> = url::form_urlencoded::parse(query.as_bytes())
            .into_owned()
            .collect();
        let ok = |body: Value| json!({"code": 200, "body": body.to_string()});
        let err = |body: String| json!({"code": 400, "body": body});
        if path == "debug_token" {
            let spec = self.spec(&q["input_token"]);
            return match spec.debug {
                DebugSpec::Body(b) => json!({"code": 200, "body": b}),
                DebugSpec::Valid { app_id, granular } => ok(json!({"data": {
                    "app_id": app_id, "type": "USER", "application": "t", "is_valid": true,
                    "expires_at": 0, "data_access_expires_at": 1_900_000_000,
                    "scopes": ["pages_show_list", "public_profile"],
                    "granular_scopes": granular, "user_id": format!("u-{}", q["input_token"])}})),
            };
        }
        let token = q["access_token"].clone();
        if q.get("appsecret_proof") != Some(&proof(&token)) {
            return err(graph_error(
                100,
                "Invalid appsecret_proof provided in the API argument",
            ));
        }
        let spec = self.spec(&token);
        let served = {
            let mut s = self.served.lock().unwrap();
            let n = s.entry(format!("{path}:{token}")).or_default();
            *n += 1;
            *n
        };
        if served <= spec.me_null {
            return Value::Null;
        }
        if served <= spec.me_null + spec.me_transient {
            return json!({"code": 500, "body": fixture("error_service_unavailable_code2_is_transient.json")});
        }
        let total = match spec.me {
            MeSpec::Error(body) => return err(body),
            MeSpec::Pages(n) => n,
        };
        let tag = q["fields"].contains("shopping_product_tag_eligibility");
        match path {
            "me" => {
                assert!(q["fields"].starts_with(
                    "id,name,permissions.limit(500){permission,status},accounts.limit(100){"
                ));
                ok(json!({
                    "id": format!("u-{token}"), "name": format!("Name {token}"),
                    "permissions": {"data": [
                        {"permission": "pages_show_list", "status": "granted"},
                        {"permission": "read_insights", "status": "declined"}]},
                    "accounts": pages(0, 100, total, tag)
                }))
            }
            "me/accounts" => {
                let after: usize = q["after"].parse().unwrap();
                let limit: usize = q["limit"].parse().unwrap();
                ok(pages(after, limit, total, tag))
            }
            other => err(graph_error(
                100,
                &format!("Unknown path components: /{other}"),
            )),
        }
    }

    fn spec(&self, token: &str) -> LoginSpec {
        self.logins
            .lock()
            .unwrap()
            .get(token)
            .cloned()
            .unwrap_or_else(|| panic!("unknown token {token}"))
    }
}

fn pages(from: usize, limit: usize, total: usize, tag: bool) -> Value {
    let to = (from + limit).min(total);
    let data: Vec<Value> = (from..to)
        .map(|i| {
            let mut page = json!({"id": format!("{}", 1000 + i), "name": format!("Page {i}"),
                "tasks": ["ANALYZE", "CREATE_CONTENT", "MANAGE"]});
            if i % 2 == 0 {
                let mut ig =
                    json!({"id": format!("{}", 178_000 + i), "username": format!("ig{i}")});
                if tag {
                    ig["shopping_product_tag_eligibility"] = json!(true);
                }
                page["instagram_business_account"] = ig;
            }
            page
        })
        .collect();
    let mut paging = json!({"cursors": {"before": from.to_string(), "after": to.to_string()}});
    if to < total {
        paging["next"] = json!(format!(
            "https://graph.facebook.com/v24.0/1/accounts?access_token=x&limit={limit}&after={to}"
        ));
    }
    json!({"data": data, "paging": paging})
}
