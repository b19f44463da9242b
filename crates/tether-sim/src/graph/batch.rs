//! `POST /` with `batch=[…]`: up to 50 calls in one HTTP request, answered in order.

use serde_json::{Value, json};

use super::errors::GraphError;
use super::{Call, Reply, apply_fault, run_call, split_version};
use crate::faults::Endpoint;
use crate::state::Inner;

pub const MAX_ITEMS: usize = 50;

fn param<'a>(params: &'a [(String, String)], name: &str) -> Option<&'a str> {
    params
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

/// Runs a batch request; `params` are the form fields (and query parameters) of the request.
pub fn run_batch(
    inner: &mut Inner,
    params: &[(String, String)],
    host_base: &str,
    version: Option<&str>,
) -> Reply {
    inner.stats.batch_requests += 1;
    let token = param(params, "access_token");
    let tokens: Vec<&str> = token.into_iter().collect();
    if let Some(effect) = inner.faults.take_call_fault(Endpoint::Batch, &tokens) {
        inner.stats.faults_applied += 1;
        let app_id = inner.world.app.id.clone();
        return apply_fault(effect, &app_id, || {
            run_items(inner, params, host_base, version)
        });
    }
    run_items(inner, params, host_base, version)
}

fn run_items(
    inner: &mut Inner,
    params: &[(String, String)],
    host_base: &str,
    version: Option<&str>,
) -> Reply {
    let token = param(params, "access_token");
    let proof = param(params, "appsecret_proof");
    let rejected = |inner: &mut Inner, e: GraphError| {
        // A batch refused as a whole still reached the platform once.
        inner.count_call("batch");
        Reply::err(e)
    };
    let Some(token) = token else {
        return rejected(inner, GraphError::token_required());
    };
    if let Err(e) = super::token::check_batch_token(&inner.world, token, proof) {
        return rejected(inner, e);
    }
    let Some(batch) = param(params, "batch") else {
        return rejected(inner, GraphError::param_required("batch"));
    };
    let items: Vec<Value> = match serde_json::from_str::<Value>(batch) {
        Ok(Value::Array(items)) => items,
        Ok(_) => return rejected(inner, GraphError::batch_malformed("not an array")),
        Err(e) => return rejected(inner, GraphError::batch_malformed(&e.to_string())),
    };
    if items.len() > MAX_ITEMS {
        return rejected(inner, GraphError::batch_too_large());
    }
    let include_headers = param(params, "include_headers") != Some("false");
    let api_version = version.unwrap_or("v24.0");
    let mut out = Vec::with_capacity(items.len());
    let mut buc = None;
    for item in &items {
        let reply = run_item(inner, item, token, proof, host_base, version);
        let mut entry = json!({"code": reply.status, "body": reply.body_text()});
        if include_headers {
            let people = inner.world.users.len();
            let usage = inner.usage.header(inner.now_hour(), people);
            let mut headers = vec![
                json!({"name": "Content-Type", "value": "text/javascript; charset=UTF-8"}),
                json!({"name": "Facebook-API-Version", "value": api_version}),
                json!({"name": "X-App-Usage", "value": usage}),
            ];
            if let Some(e) = &reply.error {
                headers.push(json!({"name": "WWW-Authenticate", "value": e.www_authenticate()}));
            }
            entry["headers"] = Value::Array(headers);
        }
        if reply.buc.is_some() {
            buc = reply.buc.clone();
        }
        out.push(entry);
    }
    let mut reply = Reply::ok(Value::Array(out));
    reply.buc = buc;
    reply
}

fn run_item(
    inner: &mut Inner,
    item: &Value,
    batch_token: &str,
    batch_proof: Option<&str>,
    host_base: &str,
    version: Option<&str>,
) -> Reply {
    let method = item.get("method").and_then(Value::as_str).unwrap_or("GET");
    let Some(relative_url) = item.get("relative_url").and_then(Value::as_str) else {
        inner.count_call("batch");
        return Reply::err(GraphError::param_required("relative_url"));
    };
    let (path, query) = relative_url.split_once('?').unwrap_or((relative_url, ""));
    let (item_version, path) = split_version(path);
    let mut params: Vec<(String, String)> = url::form_urlencoded::parse(query.as_bytes())
        .into_owned()
        .collect();
    // The batch-level token (and its proof) stands in for items that carry none.
    if !params.iter().any(|(k, _)| k == "access_token") {
        params.retain(|(k, _)| k != "appsecret_proof");
        params.push(("access_token".into(), batch_token.to_string()));
        if let Some(p) = batch_proof {
            params.push(("appsecret_proof".into(), p.to_string()));
        }
    }
    let call = Call {
        method,
        path,
        params: &params,
        host_base,
        version: item_version.or(version),
    };
    run_call(inner, &call)
}
