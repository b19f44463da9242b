//! HTTP front: the admin API under `/_admin`, every other network's part under its own prefix,
//! Facebook Login (`dialog/oauth`, `oauth/access_token`), every other path is the Graph API.

use std::sync::Arc;
use std::time::Duration;

use tether_platform::SimClock;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::faults::Endpoint;
use crate::graph::{self, Body, Call, Reply};
use crate::state::SimState;

/// A network's simulator part: its prefix on the host and its router on the host's clock.
type Part = (&'static str, fn(Arc<dyn SimClock>) -> Router);

/// Every network's part, one line each. Meta's Graph API is the root (its URLs predate the
/// prefixes, and every deployment's Meta app settings hold them).
#[rustfmt::skip]
const PARTS: &[Part] = &[
    ("/instagram", tether_instagram_sim::router),
    ("/linkedin", tether_linkedin_sim::router),
    ("/pinterest", tether_pinterest_sim::router),
    ("/tiktok", tether_tiktok_sim::router),
];

/// The simulator as an axum router, for in-process use or for serving on any listener.
pub fn router(state: SimState) -> Router {
    let clock: Arc<dyn SimClock> = Arc::new(state.clone());
    let mut app = Router::new()
        .nest("/_admin", crate::admin::routes())
        .fallback(graph_handler)
        .with_state(state);
    for (prefix, part) in PARTS {
        app = app.nest(prefix, part(clock.clone()));
    }
    app
}

fn form_pairs(bytes: &[u8]) -> impl Iterator<Item = (String, String)> + '_ {
    url::form_urlencoded::parse(bytes).into_owned()
}

async fn graph_handler(
    State(state): State<SimState>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let (version, path) = graph::split_version(uri.path());
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("127.0.0.1");
    let host_base = format!("http://{host}");
    let mut params: Vec<(String, String)> =
        form_pairs(uri.query().unwrap_or("").as_bytes()).collect();
    if method == Method::POST {
        params.extend(form_pairs(&body));
    }
    if let Some(resp) =
        crate::oauth::route(&state, &method, uri.path(), path, version, &params).await
    {
        return resp;
    }
    if !params.iter().any(|(k, _)| k == "access_token")
        && let Some(auth) = headers
            .get(header::AUTHORIZATION)
            .and_then(|h| h.to_str().ok())
        && let Some(t) = auth
            .strip_prefix("OAuth ")
            .or_else(|| auth.strip_prefix("Bearer "))
    {
        params.push(("access_token".into(), t.trim().to_string()));
    }
    let is_batch = method == Method::POST && path.trim_matches('/').is_empty();
    let endpoint = if is_batch {
        Endpoint::Batch
    } else {
        graph::endpoint_of(path)
    };
    let latency_ms = {
        let mut g = state.lock();
        g.stats.http_requests += 1;
        let tokens: Vec<&str> = ["access_token", "input_token"]
            .iter()
            .filter_map(|k| params.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str()))
            .collect();
        let ms = g.faults.take_latency_ms(endpoint, &tokens);
        if ms > 0 {
            g.stats.faults_applied += 1;
        }
        ms
    };
    // Sleeping outside the lock: slow requests must not hold up the others.
    if latency_ms > 0 {
        tokio::time::sleep(Duration::from_millis(latency_ms)).await;
    }
    let (reply, usage) = {
        let mut g = state.lock();
        let reply = if is_batch {
            graph::batch::run_batch(&mut g, &params, &host_base, version)
        } else {
            let call = Call {
                method: method.as_str(),
                path,
                params: &params,
                host_base: &host_base,
                version,
            };
            graph::run_call(&mut g, &call)
        };
        let usage = g.usage.header(g.now_hour(), g.world.users.len());
        (reply, usage)
    };
    respond(reply, &usage, version)
}

pub(crate) fn respond(reply: Reply, usage: &str, version: Option<&str>) -> Response {
    let status = StatusCode::from_u16(reply.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let content_type = match (&reply.body, reply.status) {
        (Body::Raw(_), s) if s != 200 => "text/html; charset=utf-8",
        _ => "application/json; charset=UTF-8",
    };
    let mut headers = HeaderMap::new();
    let mut put = |name: &'static str, value: String| {
        if let Ok(v) = HeaderValue::from_str(&value) {
            headers.insert(HeaderName::from_static(name), v);
        }
    };
    put("content-type", content_type.to_string());
    put("x-app-usage", usage.to_string());
    put(
        "facebook-api-version",
        version.unwrap_or("v24.0").to_string(),
    );
    put("x-fb-trace-id", graph::errors::fbtrace_id());
    if let Some(e) = &reply.error {
        put("www-authenticate", e.www_authenticate());
    }
    if let Some(buc) = &reply.buc {
        let value = json!({ buc.object_id.clone(): [{
            "type": buc.kind,
            "call_count": 100,
            "total_cputime": 30,
            "total_time": 30,
            "estimated_time_to_regain_access": buc.minutes,
        }]});
        put("x-business-use-case-usage", value.to_string());
    }
    (status, headers, reply.body_text()).into_response()
}
