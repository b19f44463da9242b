//! The network's public endpoints, with the bodies the real ones send (fixtures/tiktok;
//! docs/PLATFORMS-2.md 4.2 to 4.4). Both hosts live under one prefix: `v2/auth/authorize/` is
//! www.tiktok.com, every other `v2/...` is open.tiktokapis.com.
//!
//! Open API replies carry `{"data": {...}, "error": {"code", "message", "log_id"}}`, with
//! `"code": "ok"` on success; some refusals arrive with HTTP 200 (docs/PLATFORMS-2.md 4.3 and
//! PLATFORMS.md 4: `spam_risk_too_many_posts`, `reached_active_user_cap`), so a client must read
//! the body whatever the status. The OAuth endpoints answer `{"error", "error_description",
//! "log_id"}`; their HTTP status is unconfirmed (400 here).

use crate::state::{ACCESS_SECS, APP_ID, APP_SECRET, Posting, Shared, Token, World};
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use jiff::Timestamp;
use serde_json::{Value, json};

type Params = Vec<(String, String)>;

fn param<'a>(params: &'a Params, name: &str) -> Option<&'a str> {
    params
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

const LOG_ID: &str = "20240829190020EBE0D84CCEA6DE000CB6";

pub async fn handle(
    State(state): State<Shared>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let path = uri.path().trim_matches('/').to_owned();
    let mut params: Params = url::form_urlencoded::parse(uri.query().unwrap_or("").as_bytes())
        .into_owned()
        .collect();
    let form = headers
        .get(header::CONTENT_TYPE)
        .and_then(|h| h.to_str().ok())
        .is_some_and(|c| c.starts_with("application/x-www-form-urlencoded"));
    if method == Method::POST && form {
        params.extend(url::form_urlencoded::parse(&body).into_owned());
    }
    if path == "v2/auth/authorize" {
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
        .unwrap_or("")
        .to_owned();
    match (method.as_str(), path.as_str()) {
        ("POST", "v2/oauth/token") => token(&mut w, &params, now),
        ("POST", "v2/oauth/revoke") => revoke(&mut w, &params),
        ("GET", "v2/user/info") => user_info(&w, &params, &bearer, now),
        ("POST", "v2/post/publish/creator_info/query") => creator_info(&w, &bearer, now),
        _ => api_error(404, "invalid_params", "Unsupported path"),
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

/// The OAuth endpoints' error shape.
fn oauth_error(status: u16, error: &str, description: &str) -> Response {
    reply(
        status,
        json!({"error": error, "error_description": description, "log_id": LOG_ID}),
    )
}

/// The Open API's error envelope, `data` empty.
fn api_error(status: u16, code: &str, message: &str) -> Response {
    reply(
        status,
        json!({"data": {}, "error": {"code": code, "message": message, "log_id": LOG_ID}}),
    )
}

fn ok(data: Value) -> Response {
    reply(
        200,
        json!({"data": data, "error": {"code": "ok", "message": "", "log_id": LOG_ID}}),
    )
}

fn token(w: &mut World, params: &Params, now: Timestamp) -> Response {
    if param(params, "client_key") != Some(APP_ID)
        || param(params, "client_secret") != Some(APP_SECRET)
    {
        return oauth_error(
            401,
            "invalid_client",
            "Client authentication failed (for example, unknown client, no client authentication included, or unsupported authentication method).",
        );
    }
    match param(params, "grant_type") {
        Some("authorization_code") => exchange_code(w, params, now),
        Some("refresh_token") => refresh(w, params, now),
        _ => oauth_error(
            400,
            "unsupported_grant_type",
            "The authorization grant type is not supported by the authorization server.",
        ),
    }
}

fn token_reply(
    open_id: &str,
    scopes: &[String],
    minted: &crate::state::Minted,
    now: Timestamp,
) -> Response {
    reply(
        200,
        json!({
            "access_token": minted.access_token,
            "expires_in": ACCESS_SECS,
            "open_id": open_id,
            "refresh_expires_in": minted.refresh_expires_at.as_second() - now.as_second(),
            "refresh_token": minted.refresh_token,
            "scope": scopes.join(","),
            "token_type": "Bearer",
        }),
    )
}

fn exchange_code(w: &mut World, params: &Params, now: Timestamp) -> Response {
    let code = param(params, "code").unwrap_or("");
    let Some(c) = w.codes.get_mut(code) else {
        return oauth_error(400, "invalid_grant", "Authorization code is expired.");
    };
    if param(params, "redirect_uri") != Some(c.redirect_uri.as_str()) {
        return oauth_error(
            400,
            "invalid_request",
            "Redirect_uri is not matched with the uri when requesting code.",
        );
    }
    if c.used || now >= c.expires_at {
        return oauth_error(400, "invalid_grant", "Authorization code is expired.");
    }
    c.used = true;
    let (open_id, scopes) = (c.open_id.clone(), c.scopes.clone());
    let minted = w.authorize(&open_id, scopes.clone(), now);
    token_reply(&open_id, &scopes, &minted, now)
}

/// A new 2-hour access token and a NEW refresh token in place of the one sent, which stops
/// working ("Refresh tokens are rotated", docs/PLATFORMS-2.md 4.2). The new one keeps the old
/// one's end (see `REFRESH_SECS`).
fn refresh(w: &mut World, params: &Params, now: Timestamp) -> Response {
    let refused = || {
        oauth_error(
            400,
            "invalid_grant",
            "The provided authorization grant (for example, authorization code or resource owner credentials) or refresh token is invalid, expired, revoked, does not match the redirection URI used in the authorization request, or was issued to another client.",
        )
    };
    let key = param(params, "refresh_token").unwrap_or("");
    let Some(r) = w.refresh_tokens.get_mut(key) else {
        return refused();
    };
    if r.dead || now >= r.expires_at {
        return refused();
    }
    r.dead = true;
    let r = r.clone();
    let minted = w.mint(&r.open_id, r.scopes.clone(), now, r.expires_at);
    token_reply(&r.open_id, &r.scopes, &minted, now)
}

/// `POST /v2/oauth/revoke/`: success body `{}`; the app leaves the creator's connected apps.
fn revoke(w: &mut World, params: &Params) -> Response {
    if param(params, "client_key") != Some(APP_ID)
        || param(params, "client_secret") != Some(APP_SECRET)
    {
        return oauth_error(401, "invalid_client", "Client authentication failed.");
    }
    let Some(t) = param(params, "token")
        .and_then(|k| w.tokens.get(k))
        .cloned()
    else {
        return oauth_error(
            400,
            "invalid_request",
            "The request parameters are malformed.",
        );
    };
    w.remove_app(&t.open_id);
    reply(200, json!({}))
}

/// The token a call carries, still working at `now`, or `access_token_invalid` (401, the error
/// handling page), the same for an expired, revoked or unknown token: TikTok's one word for all.
fn token_of<'a>(w: &'a World, bearer: &str, now: Timestamp) -> Result<&'a Token, Box<Response>> {
    let invalid = || {
        Box::new(api_error(
            401,
            "access_token_invalid",
            "The access token is invalid or not found in the request.",
        ))
    };
    let t = w.tokens.get(bearer).ok_or_else(invalid)?;
    if t.revoked || now >= t.expires_at {
        return Err(invalid());
    }
    Ok(t)
}

fn scope_not_authorized() -> Response {
    api_error(
        401,
        "scope_not_authorized",
        "The user did not authorize the scope required for completing this request.",
    )
}

/// `GET /v2/user/info/?fields=...`: `user.info.basic` fields only here (`open_id`, `union_id`,
/// `avatar_url`, `display_name`); another field needs its scope (`scope_permission_missed`).
fn user_info(w: &World, params: &Params, bearer: &str, now: Timestamp) -> Response {
    let t = match token_of(w, bearer, now) {
        Ok(t) => t,
        Err(e) => return *e,
    };
    if !t.scopes.iter().any(|s| s == "user.info.basic") {
        return scope_not_authorized();
    }
    let Some(c) = w.creators.get(&t.open_id) else {
        return api_error(500, "internal_error", "Internal error.");
    };
    let fields = param(params, "fields").unwrap_or("");
    let mut user = serde_json::Map::new();
    for f in fields.split(',').map(str::trim).filter(|f| !f.is_empty()) {
        let v = match f {
            "open_id" => json!(c.open_id),
            "union_id" => json!(c.union_id),
            "display_name" => json!(c.display_name),
            "avatar_url" => json!("https://p16-sign.tiktokcdn-us.com/sim-avatar.jpeg"),
            "username" | "bio_description" | "profile_deep_link" | "is_verified" => {
                if !t.scopes.iter().any(|s| s == "user.info.profile") {
                    return api_error(
                        400,
                        "scope_permission_missed",
                        "Access token is invalid, some fields need additional scopes.",
                    );
                }
                match f {
                    "username" => json!(c.username),
                    "is_verified" => json!(false),
                    _ => json!(""),
                }
            }
            _ => {
                return api_error(400, "invalid_params", &format!("Invalid field: {f}"));
            }
        };
        user.insert(f.to_owned(), v);
    }
    ok(json!({"user": user}))
}

/// `POST /v2/post/publish/creator_info/query/` (scope `video.publish`). A creator who may not post
/// now is told in the body, with HTTP 200 for the daily cap and the app's active-user cap (per a
/// secondary guide, docs/PLATFORMS-2.md 4.3) and 403 for a ban and for an unaudited client with a
/// public account. Which endpoint answers the unaudited error is unconfirmed: the sim answers it
/// here, and a private account of an unaudited client gets only `SELF_ONLY`.
fn creator_info(w: &World, bearer: &str, now: Timestamp) -> Response {
    let t = match token_of(w, bearer, now) {
        Ok(t) => t,
        Err(e) => return *e,
    };
    if !t.scopes.iter().any(|s| s == "video.publish") {
        return scope_not_authorized();
    }
    let Some(c) = w.creators.get(&t.open_id) else {
        return api_error(500, "internal_error", "Internal error.");
    };
    match c.posting {
        Posting::TooManyPosts => {
            return api_error(
                200,
                "spam_risk_too_many_posts",
                "The daily post cap from the API is reached for the current user.",
            );
        }
        Posting::Banned => {
            return api_error(
                403,
                "spam_risk_user_banned_from_posting",
                "The user is banned from making new posts.",
            );
        }
        Posting::Ok => {}
    }
    if !w.audited && !c.private_account {
        return api_error(
            403,
            "unaudited_client_can_only_post_to_private_accounts",
            "Unaudited clients can only post to a private account.",
        );
    }
    let options: Vec<&str> = if !w.audited {
        vec!["SELF_ONLY"]
    } else if c.private_account {
        vec!["FOLLOWER_OF_CREATOR", "MUTUAL_FOLLOW_FRIENDS", "SELF_ONLY"]
    } else {
        vec!["PUBLIC_TO_EVERYONE", "MUTUAL_FOLLOW_FRIENDS", "SELF_ONLY"]
    };
    ok(json!({
        "creator_avatar_url": "https://p16-sign.tiktokcdn-us.com/sim-avatar.jpeg",
        "creator_username": c.username,
        "creator_nickname": c.display_name,
        "privacy_level_options": options,
        "comment_disabled": false,
        "duet_disabled": false,
        "stitch_disabled": true,
        "max_video_post_duration_sec": 600,
    }))
}
