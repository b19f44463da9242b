//! The network's public endpoints, with the bodies the real ones send (fixtures/instagram).

use crate::state::{APP_ID, APP_SECRET, LONG_LIVED_SECS, Shared, Token};
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use jiff::{SignedDuration, Timestamp};
use serde_json::{Value, json};

const BASIC: &str = "instagram_business_basic";

type Params = Vec<(String, String)>;

fn param<'a>(params: &'a Params, name: &str) -> Option<&'a str> {
    params
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

/// `/v24.0/me` and `/me` are the same call.
fn strip_version(path: &str) -> &str {
    let trimmed = path.trim_start_matches('/');
    match trimmed.split_once('/') {
        Some((first, rest))
            if first.starts_with('v')
                && first[1..].chars().all(|c| c.is_ascii_digit() || c == '.') =>
        {
            rest
        }
        _ => trimmed,
    }
}

pub async fn handle(
    State(state): State<Shared>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let path = strip_version(uri.path()).trim_end_matches('/').to_owned();
    let mut params: Params = url::form_urlencoded::parse(uri.query().unwrap_or("").as_bytes())
        .into_owned()
        .collect();
    if method == Method::POST {
        params.extend(url::form_urlencoded::parse(&body).into_owned());
    }
    if path == "oauth/authorize" {
        return crate::dialog::handle(&state, &method, &params);
    }
    if param(&params, "access_token").is_none()
        && let Some(t) = headers
            .get(header::AUTHORIZATION)
            .and_then(|h| h.to_str().ok())
            .and_then(|a| a.strip_prefix("Bearer "))
    {
        params.push(("access_token".into(), t.trim().to_owned()));
    }
    let now = state.now();
    let mut w = state.lock();
    w.stats.http_requests += 1;
    *w.stats.calls_by_path.entry(path.clone()).or_default() += 1;
    if let Some((status, body)) = w.take_fault(&path) {
        return reply(status, body);
    }
    match (method.as_str(), path.as_str()) {
        ("POST", "oauth/access_token") => exchange_code(&mut w, &params, now),
        ("GET", "access_token") => long_lived(&mut w, &params, now),
        ("GET", "refresh_access_token") => refresh(&mut w, &params, now),
        ("GET", "me") => me(&w, &params, now),
        ("GET", p) if p.ends_with("/content_publishing_limit") => {
            match token_of(&w, &params, now) {
                Ok(t)
                    if t.scopes
                        .iter()
                        .any(|s| s == "instagram_business_content_publish") =>
                {
                    reply(
                        200,
                        json!({"data":[{"quota_usage":0,"config":{"quota_total":100,"quota_duration":86400}}]}),
                    )
                }
                Ok(_) => no_permission(),
                Err(e) => *e,
            }
        }
        (m, _) => unsupported(m),
    }
}

fn reply(status: u16, body: Value) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    (
        status,
        [(header::CONTENT_TYPE, "application/json; charset=UTF-8")],
        body.to_string(),
    )
        .into_response()
}

fn graph_error(
    status: u16,
    message: &str,
    kind: &str,
    code: i64,
    subcode: Option<i64>,
) -> Response {
    let mut e = json!({"message": message, "type": kind, "code": code});
    if let Some(s) = subcode {
        e["error_subcode"] = json!(s);
    }
    e["fbtrace_id"] = json!("AsimInstagramTrace0000001");
    reply(status, json!({ "error": e }))
}

/// What `graph.instagram.com` answers for a path or method it does not serve; also observed for a
/// refresh of a token that timed out (docs/PLATFORMS-2.md 1.6: ambiguous).
fn unsupported(method: &str) -> Response {
    graph_error(
        400,
        &format!(
            "Unsupported request - method type: {}",
            method.to_ascii_lowercase()
        ),
        "IGApiException",
        100,
        None,
    )
}

/// Unconfirmed for Instagram Login: the Graph API's wording for a call the token's scopes do not
/// cover.
fn no_permission() -> Response {
    graph_error(
        403,
        "(#10) Application does not have permission for this action",
        "IGApiException",
        10,
        None,
    )
}

fn oauth_error(message: &str) -> Response {
    reply(
        400,
        json!({"error_type": "OAuthException", "code": 400, "error_message": message}),
    )
}

fn fb_date(t: Timestamp) -> String {
    t.strftime("%A, %d-%b-%y %H:%M:%S UTC").to_string()
}

/// The token named by `access_token`, still working at `now`, or the error the platform sends.
fn token_of<'a>(
    w: &'a crate::state::World,
    params: &Params,
    now: Timestamp,
) -> Result<&'a Token, Box<Response>> {
    let invalid = || {
        Box::new(graph_error(
            400,
            "Invalid OAuth 2.0 Access Token",
            "IGApiException",
            190,
            None,
        ))
    };
    let t = param(params, "access_token")
        .and_then(|t| w.tokens.get(t))
        .ok_or_else(invalid)?;
    let account = w.accounts.get(&t.account).ok_or_else(invalid)?;
    if account.password_version != t.password_version {
        return Err(Box::new(graph_error(
            400,
            "Error validating access token: The session has been invalidated because the user changed their password or Facebook has changed the session for security reasons.",
            "OAuthException",
            190,
            None,
        )));
    }
    if now >= t.expires_at {
        return Err(Box::new(graph_error(
            400,
            &format!(
                "Error validating access token: Session has expired on {}. The current time is {}.",
                fb_date(t.expires_at),
                fb_date(now)
            ),
            "OAuthException",
            190,
            Some(0),
        )));
    }
    Ok(t)
}

fn exchange_code(w: &mut crate::state::World, params: &Params, now: Timestamp) -> Response {
    if param(params, "client_id") != Some(APP_ID)
        || param(params, "client_secret") != Some(APP_SECRET)
    {
        // Unconfirmed wording; what matters is that it is not a code problem.
        return oauth_error("Invalid platform app");
    }
    if param(params, "grant_type") != Some("authorization_code") {
        return oauth_error("Invalid grant_type");
    }
    let code = param(params, "code").unwrap_or("").trim_end_matches("#_");
    let Some(c) = w.codes.get_mut(code) else {
        return oauth_error("Matching code was not found or was already used");
    };
    if c.used || now >= c.expires_at {
        return oauth_error("Matching code was not found or was already used");
    }
    if param(params, "redirect_uri") != Some(c.redirect_uri.as_str()) {
        return oauth_error(
            "Error validating verification code. Please make sure your redirect_uri is identical to the one you used in the OAuth dialog request",
        );
    }
    c.used = true;
    let (account, scopes) = (c.account.clone(), c.scopes.clone());
    let token = w.mint(&account, scopes.clone(), now, false);
    reply(
        200,
        json!({"data": [{"access_token": token, "user_id": account, "permissions": scopes.join(",")}]}),
    )
}

fn long_lived(w: &mut crate::state::World, params: &Params, now: Timestamp) -> Response {
    if param(params, "grant_type") != Some("ig_exchange_token") {
        return unsupported("get");
    }
    if param(params, "client_secret") != Some(APP_SECRET) {
        return graph_error(
            400,
            "Error validating client secret.",
            "OAuthException",
            101,
            None,
        );
    }
    let t = match token_of(w, params, now) {
        Ok(t) => t.clone(),
        Err(e) => return *e,
    };
    let token = w.mint(&t.account, t.scopes.clone(), now, true);
    reply(
        200,
        json!({"access_token": token, "token_type": "bearer", "expires_in": LONG_LIVED_SECS}),
    )
}

/// Allowed for a long-lived token at least 24 hours old, unexpired, with instagram_business_basic
/// (docs/PLATFORMS-2.md 1.1). The reply carries the granted scopes, as observed.
fn refresh(w: &mut crate::state::World, params: &Params, now: Timestamp) -> Response {
    if param(params, "grant_type") != Some("ig_refresh_token") {
        return unsupported("get");
    }
    let t = match token_of(w, params, now) {
        Ok(t) => t.clone(),
        Err(e) => return *e,
    };
    let old_enough = now >= t.issued_at + SignedDuration::from_hours(24);
    if !t.long_lived || !old_enough || !t.scopes.iter().any(|s| s == BASIC) {
        return unsupported("get");
    }
    if let Some(old) = param(params, "access_token").and_then(|k| w.tokens.get_mut(k)) {
        old.refreshed = true;
    }
    let token = w.mint(&t.account, t.scopes.clone(), now, true);
    reply(
        200,
        json!({
            "access_token": token,
            "token_type": "bearer",
            "expires_in": LONG_LIVED_SECS,
            "permissions": t.scopes.join(","),
        }),
    )
}

fn me(w: &crate::state::World, params: &Params, now: Timestamp) -> Response {
    let t = match token_of(w, params, now) {
        Ok(t) => t,
        Err(e) => return *e,
    };
    if !t.scopes.iter().any(|s| s == BASIC) {
        return no_permission();
    }
    let Some(a) = w.accounts.get(&t.account) else {
        return unsupported("get");
    };
    let fields = param(params, "fields").unwrap_or("id,username");
    let mut out = serde_json::Map::new();
    for f in fields.split(',').map(str::trim) {
        match f {
            "user_id" => out.insert(f.into(), json!(a.id)),
            "username" => out.insert(f.into(), json!(a.username)),
            "account_type" => out.insert(f.into(), json!(a.account_type)),
            _ => None,
        };
    }
    // The app-scoped id always comes back, as on the real API.
    out.insert("id".into(), json!(format!("2{}", &a.id[1..])));
    reply(200, Value::Object(out))
}
