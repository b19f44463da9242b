//! The network's public endpoints, with the bodies the real ones send (fixtures/pinterest;
//! docs/PLATFORMS-2.md 3.5). Both hosts live under one prefix: `oauth/` is www.pinterest.com,
//! `v5/*` is api.pinterest.com.

use crate::state::{ACCESS_SECS, APP_ID, APP_SECRET, Shared, Token, World};
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use jiff::Timestamp;
use serde_json::{Value, json};

type Params = Vec<(String, String)>;

fn param<'a>(params: &'a Params, name: &str) -> Option<&'a str> {
    params
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

/// The scopes `POST /v5/pins` needs (the spec's `security` of `pins/create`).
const CREATE_PIN: &[&str] = &["boards:read", "boards:write", "pins:read", "pins:write"];

pub async fn handle(
    State(state): State<Shared>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let path = uri.path().trim_matches('/').to_owned();
    let query: Params = url::form_urlencoded::parse(uri.query().unwrap_or("").as_bytes())
        .into_owned()
        .collect();
    let form: Params = url::form_urlencoded::parse(&body).into_owned().collect();
    if path == "oauth" {
        // The dialog's form posts everything it needs; the page's own query (the scopes asked
        // for) must not grant what the person switched off.
        let params = if method == Method::POST { form } else { query };
        return crate::dialog::handle(&state, &method, &params);
    }
    let now = state.now();
    let mut w = state.lock();
    w.stats.http_requests += 1;
    *w.stats.calls_by_path.entry(path.clone()).or_default() += 1;
    if let Some((status, body)) = w.take_fault(&path) {
        return reply(status, body);
    }
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|h| h.to_str().ok())
        .and_then(|a| a.strip_prefix("Bearer "))
        .map(str::trim)
        .unwrap_or("");
    match (method.as_str(), path.as_str()) {
        ("POST", "v5/oauth/token") => token(&mut w, &headers, &form, now),
        ("GET", "v5/user_account") => match token_of(&w, bearer, now) {
            Ok(t) => user_account(&w, t),
            Err(e) => *e,
        },
        ("POST", "v5/pins") => match token_of(&w, bearer, now) {
            Ok(t) => create_pin(&w, t, now),
            Err(e) => *e,
        },
        _ => reply(404, json!({"code": 404, "message": "Not found."})),
    }
}

fn reply(status: u16, body: Value) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
        .into_response()
}

/// The live 401 body (fixtures/pinterest/pinterest_v5_authentication_failed_401.json).
fn authentication_failed() -> Response {
    reply(
        401,
        json!({"code": 2, "message": "Authentication failed.", "status": "failure"}),
    )
}

/// Code 3 for a missing scope (the spec's example, fixtures/pinterest).
fn insufficient_scopes() -> Response {
    reply(
        401,
        json!({"code": 3, "message": "Your token does not have sufficient permissions to perform this operation. Please ensure your token is authorized with the correct set of scopes."}),
    )
}

/// The token a `/v5` call carries, still working at `now`, or the documented 401. Expired,
/// revoked and unknown tokens all answer code 2: Pinterest's error does not tell them apart
/// (docs/PLATFORMS-2.md 3.5, 3.6; the answer after a person removes the app is unconfirmed).
fn token_of<'a>(w: &'a World, bearer: &str, now: Timestamp) -> Result<&'a Token, Box<Response>> {
    match w.tokens.get(bearer) {
        Some(t) if !t.revoked && now < t.expires_at => Ok(t),
        _ => Err(Box::new(authentication_failed())),
    }
}

fn user_account(w: &World, t: &Token) -> Response {
    if !t.scopes.iter().any(|s| s == "user_accounts:read") {
        return insufficient_scopes();
    }
    let Some(a) = w.accounts.get(&t.account) else {
        return authentication_failed();
    };
    // The spec's `Account` fields (no example body exists to copy; SOURCES.md gaps).
    reply(
        200,
        json!({
            "account_type": a.account_type,
            "id": a.id,
            "profile_image": format!("https://i.pinimg.com/sim/{}.jpg", a.id),
            "website_url": "",
            "username": a.username,
            "about": "",
            "business_name": a.business_name,
            "board_count": 3,
            "pin_count": 42,
            "follower_count": 10,
            "following_count": 7,
            "monthly_views": 163,
        }),
    )
}

/// `POST /v5/pins`: only what tells a trial app from a standard one.
fn create_pin(w: &World, t: &Token, now: Timestamp) -> Response {
    if !CREATE_PIN.iter().all(|s| t.scopes.iter().any(|g| g == s)) {
        return insufficient_scopes();
    }
    if w.trial_access {
        // fixtures/pinterest/pinterest_v5_trial_access_create_pin_29.json; the status is 403 in
        // public notes (unconfirmed).
        return reply(
            403,
            json!({"code": 29, "message": "Apps with Trial access may not create Pins in production https://api.pinterest.com - use API Sandbox https://api-sandbox.pinterest.com instead."}),
        );
    }
    reply(
        201,
        json!({
            "id": format!("{}", 1_000_000_000 + now.as_second() % 1_000_000_000),
            "created_at": now.strftime("%Y-%m-%dT%H:%M:%S").to_string(),
        }),
    )
}

/// The client id and secret from `Authorization: Basic`.
fn basic(headers: &HeaderMap) -> Option<(String, String)> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let encoded = value.strip_prefix("Basic ")?.trim();
    let decoded = String::from_utf8(STANDARD.decode(encoded).ok()?).ok()?;
    let (id, secret) = decoded.split_once(':')?;
    Some((id.to_owned(), secret.to_owned()))
}

/// "The authorization grant is invalid" (fixtures/pinterest/pinterest_v5_refresh_invalid_grant_283_401.json):
/// a refresh token that is unknown, expired, revoked or already rotated; used for a refused code
/// too (unconfirmed there).
fn invalid_grant() -> Response {
    reply(
        401,
        json!({"code": 283, "message": "The authorization grant is invalid"}),
    )
}

/// `POST /v5/oauth/token` (HTTP Basic client authentication).
fn token(w: &mut World, headers: &HeaderMap, form: &Params, now: Timestamp) -> Response {
    match basic(headers) {
        Some((id, secret)) if id == APP_ID && secret == APP_SECRET => {}
        // The revoke endpoint's documented answer to a failed Basic authentication; unconfirmed
        // for /oauth/token.
        _ => return reply(401, json!({"code": 2, "message": "Authentication failed."})),
    }
    match param(form, "grant_type") {
        Some("authorization_code") => exchange_code(w, form, now),
        Some("refresh_token") => refresh(w, form, now),
        _ => reply(
            400,
            json!({"code": 1, "message": "Invalid request: grant_type"}),
        ),
    }
}

/// The reply of both grants: the spec's `OauthAccessTokenResponseCode` / `...Refresh` fields,
/// scopes space-separated.
fn token_reply(
    access_token: &str,
    refresh_token: &str,
    refresh_expires_at: Timestamp,
    scopes: &[String],
    response_type: &str,
    now: Timestamp,
) -> Response {
    reply(
        200,
        json!({
            "access_token": access_token,
            "refresh_token": refresh_token,
            "response_type": response_type,
            "token_type": "bearer",
            "expires_in": ACCESS_SECS,
            "refresh_token_expires_in": refresh_expires_at.as_second() - now.as_second(),
            "refresh_token_expires_at": refresh_expires_at.as_second(),
            "scope": scopes.join(" "),
        }),
    )
}

fn exchange_code(w: &mut World, form: &Params, now: Timestamp) -> Response {
    let code = param(form, "code").unwrap_or("");
    let Some(c) = w.codes.get_mut(code) else {
        return invalid_grant();
    };
    if c.used || now >= c.expires_at || param(form, "redirect_uri") != Some(c.redirect_uri.as_str())
    {
        return invalid_grant();
    }
    c.used = true;
    let (account, scopes) = (c.account.clone(), c.scopes.clone());
    let minted = w.mint(&account, scopes.clone(), now);
    let refresh_expires_at = w.refresh_tokens[&minted.refresh_token].expires_at;
    token_reply(
        &minted.access_token,
        &minted.refresh_token,
        refresh_expires_at,
        &scopes,
        "authorization_code",
        now,
    )
}

/// A new access token and a NEW refresh token for another 60 days (`REFRESH_SECS`); the one spent stops working
/// (docs/PLATFORMS-2.md 3.1: the refresh reply requires all three refresh fields).
/// `continuous_refresh=true` is accepted; the legacy 365-day refresh token is no longer issued
/// ("Pinterest no longer supports the legacy refresh token"), so the answer is the same without it.
fn refresh(w: &mut World, form: &Params, now: Timestamp) -> Response {
    let key = param(form, "refresh_token").unwrap_or("");
    let Some(r) = w.refresh_tokens.get_mut(key) else {
        return invalid_grant();
    };
    if r.used || r.revoked || now >= r.expires_at {
        return invalid_grant();
    }
    r.used = true;
    let (account, scopes) = (r.account.clone(), r.scopes.clone());
    w.stats.refreshes += 1;
    let minted = w.mint(&account, scopes.clone(), now);
    let refresh_expires_at = w.refresh_tokens[&minted.refresh_token].expires_at;
    token_reply(
        &minted.access_token,
        &minted.refresh_token,
        refresh_expires_at,
        &scopes,
        "refresh_token",
        now,
    )
}
