//! `/_admin` of this part: change the world the way a creator, TikTok or the app's team would.

use crate::state::{Creator, Fault, OMAR, Posting, Shared, TESS};
use axum::Json;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use jiff::SignedDuration;
use serde::Deserialize;
use serde_json::json;

pub fn routes() -> Router<Shared> {
    Router::new()
        .route("/app", get(app))
        .route("/app/audited", post(audited))
        .route("/demo", post(demo))
        .route("/stats", get(stats))
        .route("/creators", post(put_creator))
        .route("/creators/{id}/remove_app", post(remove_app))
        .route("/creators/{id}/posting", post(posting))
        .route("/creators/{id}/private", post(private))
        .route("/tokens", post(mint))
        .route("/tokens/{token}", get(token))
        .route("/tokens/{token}/expire", post(expire))
        .route("/refresh_tokens/{token}/expire", post(expire_refresh))
        .route("/faults", post(fault))
}

fn not_found(what: &str) -> Response {
    (
        StatusCode::NOT_FOUND,
        Json(json!({"error": format!("no such {what}")})),
    )
        .into_response()
}

/// The simulated app's credentials: what a demo or test configures Tether with.
async fn app() -> Response {
    Json(json!({"client_id": crate::APP_ID, "client_secret": crate::APP_SECRET})).into_response()
}

#[derive(Deserialize)]
struct Switch {
    enabled: bool,
}

/// The app passes (or has not passed) TikTok's audit: unaudited clients post only SELF_ONLY, from
/// private accounts, for a few users a day.
async fn audited(State(s): State<Shared>, Json(b): Json<Switch>) -> Response {
    s.lock().audited = b.enabled;
    StatusCode::NO_CONTENT.into_response()
}

/// Logins for the seeded creators, as if each had just connected with every scope the app asks
/// for: Tess can post (healthy); Omar removed the app from his TikTok account after connecting.
async fn demo(State(s): State<Shared>) -> Response {
    let now = s.now();
    let mut w = s.lock();
    let scopes: Vec<String> = crate::dialog::OFFERED
        .iter()
        .map(|s| s.to_string())
        .collect();
    let mut out = Vec::new();
    for (open_id, removed) in [(TESS, false), (OMAR, true)] {
        let Some(c) = w.creators.get(open_id).cloned() else {
            continue;
        };
        let minted = w.authorize(open_id, scopes.clone(), now);
        if removed {
            w.remove_app(open_id);
        }
        out.push(json!({
            "access_token": minted.access_token,
            "expires_in": crate::ACCESS_SECS,
            "refresh_token": minted.refresh_token,
            "refresh_token_expires_in": crate::REFRESH_SECS,
            "user_id": open_id,
            "name": c.display_name,
            "granted": scopes,
        }));
    }
    Json(json!(out)).into_response()
}

async fn stats(State(s): State<Shared>) -> Response {
    Json(json!(s.lock().stats)).into_response()
}

async fn put_creator(State(s): State<Shared>, Json(c): Json<Creator>) -> Response {
    s.lock().creators.insert(c.open_id.clone(), c.clone());
    (StatusCode::CREATED, Json(json!(c))).into_response()
}

/// The creator removed the app from their TikTok account (or TikTok deauthorized it: account
/// deleted, banned, age changed): every token of theirs is revoked. The webhook TikTok would send
/// is built and signed by the test, not here.
async fn remove_app(State(s): State<Shared>, Path(id): Path<String>) -> Response {
    let mut w = s.lock();
    if !w.creators.contains_key(&id) {
        return not_found("creator");
    }
    let n = w.remove_app(&id);
    Json(json!({"revoked": n})).into_response()
}

#[derive(Deserialize)]
struct PostingBody {
    state: Posting,
}

/// Whether the creator may post now: `ok`, `too_many_posts` (daily cap) or `banned`.
async fn posting(
    State(s): State<Shared>,
    Path(id): Path<String>,
    Json(b): Json<PostingBody>,
) -> Response {
    match s.lock().creators.get_mut(&id) {
        Some(c) => {
            c.posting = b.state;
            Json(json!(c)).into_response()
        }
        None => not_found("creator"),
    }
}

/// The creator makes the account private (or public again).
async fn private(
    State(s): State<Shared>,
    Path(id): Path<String>,
    Json(b): Json<Switch>,
) -> Response {
    match s.lock().creators.get_mut(&id) {
        Some(c) => {
            c.private_account = b.enabled;
            Json(json!(c)).into_response()
        }
        None => not_found("creator"),
    }
}

#[derive(Deserialize)]
struct Mint {
    open_id: String,
    scopes: Vec<String>,
    /// Authorized this many seconds before now.
    #[serde(default)]
    age_secs: i64,
}

/// Tokens as if the creator had authorized `age_secs` ago: tests skip the dialog.
async fn mint(State(s): State<Shared>, Json(m): Json<Mint>) -> Response {
    let now = s.now();
    let mut w = s.lock();
    if !w.creators.contains_key(&m.open_id) {
        return not_found("creator");
    }
    let at = now - SignedDuration::from_secs(m.age_secs);
    let minted = w.authorize(&m.open_id, m.scopes.clone(), at);
    let t = &w.tokens[&minted.access_token];
    Json(json!({
        "access_token": minted.access_token,
        "refresh_token": minted.refresh_token,
        "issued_at": t.issued_at,
        "expires_at": t.expires_at,
        "refresh_expires_at": minted.refresh_expires_at,
        "scope": m.scopes.join(","),
    }))
    .into_response()
}

async fn token(State(s): State<Shared>, Path(token): Path<String>) -> Response {
    match s.lock().tokens.get(&token) {
        Some(t) => Json(json!(t)).into_response(),
        None => not_found("token"),
    }
}

/// The access token lapses now (its 2 hours are over).
async fn expire(State(s): State<Shared>, Path(token): Path<String>) -> Response {
    let now = s.now();
    match s.lock().tokens.get_mut(&token) {
        Some(t) => {
            t.expires_at = now - SignedDuration::from_secs(1);
            Json(json!(t)).into_response()
        }
        None => not_found("token"),
    }
}

/// The refresh token lapses now (its days are over).
async fn expire_refresh(State(s): State<Shared>, Path(token): Path<String>) -> Response {
    let now = s.now();
    match s.lock().refresh_tokens.get_mut(&token) {
        Some(r) => {
            r.expires_at = now - SignedDuration::from_secs(1);
            Json(json!(r)).into_response()
        }
        None => not_found("refresh token"),
    }
}

async fn fault(State(s): State<Shared>, Json(f): Json<Fault>) -> Response {
    s.lock().faults.push(f);
    StatusCode::NO_CONTENT.into_response()
}
