//! `/_admin` of this part: change the world the way a person or Instagram would.

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
        .route("/demo", post(demo))
        .route("/stats", get(stats))
        .route("/accounts", post(put_account))
        .route("/accounts/{id}/change_password", post(change_password))
        .route("/accounts/{id}/account_type", post(account_type))
        .route("/tokens", post(mint))
        .route("/tokens/{token}", get(token))
        .route("/tokens/{token}/expire", post(expire))
        .route("/faults", post(fault))
}

fn not_found(what: &str) -> Response {
    (
        StatusCode::NOT_FOUND,
        Json(json!({"error": format!("no such {what}")})),
    )
        .into_response()
}

/// The simulated app's credentials: what a demo or test configures Tether with, without naming
/// the network in its own code.
async fn app() -> Response {
    Json(json!({"client_id": crate::APP_ID, "client_secret": crate::APP_SECRET})).into_response()
}

/// Tokens for the seeded accounts, as if each had just connected: a healthy business account, a
/// creator who switched insights off, a personal account. The demo connects them without naming
/// the network.
async fn demo(State(s): State<Shared>) -> Response {
    let now = s.now();
    let mut w = s.lock();
    let mut out = Vec::new();
    for (account, leave_out) in [
        ("17841400000000101", None),
        (
            "17841400000000102",
            Some("instagram_business_manage_insights"),
        ),
        ("17841400000000103", None),
    ] {
        let Some(name) = w.accounts.get(account).map(|a| a.username.clone()) else {
            continue;
        };
        let granted: Vec<String> = crate::dialog::OFFERED
            .iter()
            .filter(|s| Some(**s) != leave_out)
            .map(|s| s.to_string())
            .collect();
        let token = w.mint(account, granted.clone(), now, true);
        out.push(json!({
            "access_token": token,
            "expires_in": crate::LONG_LIVED_SECS,
            "user_id": account,
            "name": name,
            "granted": granted,
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

/// Every token issued before stops working: "The session has been invalidated because the user
/// changed their password".
async fn change_password(State(s): State<Shared>, Path(id): Path<String>) -> Response {
    let mut w = s.lock();
    match w.accounts.get_mut(&id) {
        Some(a) => {
            a.password_version += 1;
            Json(json!(a)).into_response()
        }
        None => not_found("account"),
    }
}

#[derive(Deserialize)]
struct AccountType {
    account_type: String,
}

async fn account_type(
    State(s): State<Shared>,
    Path(id): Path<String>,
    Json(body): Json<AccountType>,
) -> Response {
    let mut w = s.lock();
    match w.accounts.get_mut(&id) {
        Some(a) => {
            a.account_type = body.account_type;
            Json(json!(a)).into_response()
        }
        None => not_found("account"),
    }
}

#[derive(Deserialize)]
struct Mint {
    account: String,
    scopes: Vec<String>,
    #[serde(default = "yes")]
    long_lived: bool,
    /// Issued this many seconds before now (a token old enough to refresh, or near its end).
    #[serde(default)]
    age_secs: i64,
}

fn yes() -> bool {
    true
}

/// A token as if the person had connected `age_secs` ago: tests and the demo skip the dialog.
async fn mint(State(s): State<Shared>, Json(m): Json<Mint>) -> Response {
    let now = s.now();
    let mut w = s.lock();
    if !w.accounts.contains_key(&m.account) {
        return not_found("account");
    }
    let issued = now - SignedDuration::from_secs(m.age_secs);
    let token = w.mint(&m.account, m.scopes, issued, m.long_lived);
    let t = &w.tokens[&token];
    Json(json!({
        "access_token": token,
        "issued_at": t.issued_at,
        "expires_at": t.expires_at,
    }))
    .into_response()
}

async fn token(State(s): State<Shared>, Path(token): Path<String>) -> Response {
    match s.lock().tokens.get(&token) {
        Some(t) => Json(json!(t)).into_response(),
        None => not_found("token"),
    }
}

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

async fn fault(State(s): State<Shared>, Json(f): Json<Fault>) -> Response {
    s.lock().faults.push(f);
    StatusCode::NO_CONTENT.into_response()
}
