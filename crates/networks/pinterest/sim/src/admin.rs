//! `/_admin` of this part: change the world the way a person, an account's owner or Pinterest
//! would.

use crate::state::{Account, Fault, Shared};
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
        .route("/app/trial_access", post(trial_access))
        .route("/demo", post(demo))
        .route("/stats", get(stats))
        .route("/accounts", post(put_account))
        .route("/accounts/{id}/account_type", post(account_type))
        .route("/accounts/{id}/revoke_app", post(revoke_app))
        .route("/tokens", post(mint))
        .route("/tokens/{token}", get(token))
        .route("/tokens/{token}/expire", post(expire))
        .route("/refresh_tokens/{token}", get(refresh_token))
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

/// The app has only Trial access (or gets Standard access back): Pin creation on production is
/// refused with code 29 while it is on.
async fn trial_access(State(s): State<Shared>, Json(b): Json<Switch>) -> Response {
    s.lock().trial_access = b.enabled;
    StatusCode::NO_CONTENT.into_response()
}

/// The scopes a demo login holds: every scope a rule of catalog/pinterest needs, so a healthy
/// demo login is healthy whatever features the demo's profile uses.
const DEMO_SCOPES: &[&str] = &[
    "user_accounts:read",
    "boards:read",
    "boards:write",
    "pins:read",
    "pins:write",
    "ads:read",
    "ads:write",
];

/// Logins for the seeded accounts, as if each had just connected with everything the app asks
/// for: Harbor Bakery (a business account) is healthy; Ada removed the app from her Pinterest
/// account after connecting.
async fn demo(State(s): State<Shared>) -> Response {
    let now = s.now();
    let mut w = s.lock();
    let scopes: Vec<String> = DEMO_SCOPES.iter().map(|s| s.to_string()).collect();
    let mut out = Vec::new();
    for (account, revoke) in [(crate::HARBOR, false), (crate::ADA, true)] {
        let Some(a) = w.accounts.get(account).cloned() else {
            continue;
        };
        let minted = w.mint(account, scopes.clone(), now);
        let refresh_expires_at = w.refresh_tokens[&minted.refresh_token].expires_at;
        if revoke {
            w.revoke_account(account);
        }
        out.push(json!({
            "access_token": minted.access_token,
            "expires_in": crate::ACCESS_SECS,
            "refresh_token": minted.refresh_token,
            "refresh_token_expires_in": refresh_expires_at.as_second() - now.as_second(),
            "user_id": account,
            "name": a.business_name.clone().unwrap_or(a.username.clone()),
            "granted": scopes,
        }));
    }
    Json(json!(out)).into_response()
}

async fn stats(State(s): State<Shared>) -> Response {
    Json(json!(s.lock().stats)).into_response()
}

async fn put_account(State(s): State<Shared>, Json(a): Json<Account>) -> Response {
    s.lock().accounts.insert(a.id.clone(), a.clone());
    (StatusCode::CREATED, Json(json!(a))).into_response()
}

#[derive(Deserialize)]
struct AccountType {
    account_type: String,
}

/// The owner switches the account between personal (`PINNER`) and business (`BUSINESS`).
async fn account_type(
    State(s): State<Shared>,
    Path(id): Path<String>,
    Json(b): Json<AccountType>,
) -> Response {
    let kind = b.account_type.to_ascii_uppercase();
    if kind != "PINNER" && kind != "BUSINESS" {
        return (
            StatusCode::BAD_REQUEST,
            Json(json!({"error": "account_type is PINNER or BUSINESS"})),
        )
            .into_response();
    }
    match s.lock().accounts.get_mut(&id) {
        Some(a) => {
            a.account_type = kind;
            Json(json!(a)).into_response()
        }
        None => not_found("account"),
    }
}

/// The person removed the app from their Pinterest account: every token of theirs stops working.
async fn revoke_app(State(s): State<Shared>, Path(id): Path<String>) -> Response {
    let mut w = s.lock();
    if !w.accounts.contains_key(&id) {
        return not_found("account");
    }
    let n = w.revoke_account(&id);
    Json(json!({"revoked": n})).into_response()
}

#[derive(Deserialize)]
struct Mint {
    account: String,
    /// Any names, v5 or not: a login granted for an older API holds the old names.
    scopes: Vec<String>,
    /// Issued this many seconds before now.
    #[serde(default)]
    age_secs: i64,
}

/// Tokens as if the person had authorized `age_secs` ago: tests skip the dialog.
async fn mint(State(s): State<Shared>, Json(m): Json<Mint>) -> Response {
    let now = s.now();
    let mut w = s.lock();
    if !w.accounts.contains_key(&m.account) {
        return not_found("account");
    }
    let at = now - SignedDuration::from_secs(m.age_secs);
    let minted = w.mint(&m.account, m.scopes, at);
    let t = &w.tokens[&minted.access_token];
    let r = &w.refresh_tokens[&minted.refresh_token];
    Json(json!({
        "access_token": minted.access_token,
        "refresh_token": minted.refresh_token,
        "issued_at": t.issued_at,
        "expires_at": t.expires_at,
        "refresh_expires_at": r.expires_at,
    }))
    .into_response()
}

async fn token(State(s): State<Shared>, Path(token): Path<String>) -> Response {
    match s.lock().tokens.get(&token) {
        Some(t) => Json(json!(t)).into_response(),
        None => not_found("token"),
    }
}

async fn refresh_token(State(s): State<Shared>, Path(token): Path<String>) -> Response {
    match s.lock().refresh_tokens.get(&token) {
        Some(r) => Json(json!(r)).into_response(),
        None => not_found("refresh token"),
    }
}

/// The access token lapses now.
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

/// The refresh token lapses now (60 days without a refresh).
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
