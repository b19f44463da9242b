//! `/_admin` of this part: change the world the way a member, a Page's Super admin or LinkedIn
//! would.

use crate::state::{Acl, Fault, Member, Organization, Shared, TokenState};
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
        .route("/app/refresh_tokens", post(refresh_tokens))
        .route("/app/organization_product", post(organization_product))
        .route("/demo", post(demo))
        .route("/stats", get(stats))
        .route("/members", post(put_member))
        .route("/members/{id}/revoke_app", post(revoke_app))
        .route("/organizations", post(put_organization))
        .route("/acls", post(put_acl))
        .route("/tokens", post(mint))
        .route("/tokens/{token}", get(token))
        .route("/tokens/{token}/expire", post(expire))
        .route("/refresh_tokens/{token}/expire", post(expire_refresh))
        .route("/versions/{version}/retire", post(retire_version))
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

/// Programmatic refresh tokens are for approved partners only: an app without them gets none.
async fn refresh_tokens(State(s): State<Shared>, Json(b): Json<Switch>) -> Response {
    s.lock().refresh_tokens_enabled = b.enabled;
    StatusCode::NO_CONTENT.into_response()
}

/// The app loses (or regains) the product that opens organization calls.
async fn organization_product(State(s): State<Shared>, Json(b): Json<Switch>) -> Response {
    s.lock().organization_product = b.enabled;
    StatusCode::NO_CONTENT.into_response()
}

/// Logins for the seeded members, as if each had just connected with everything the app asks
/// for: Ada is a Super admin (and lead gen forms manager) of Harbor Bakery (healthy) and only an
/// Analyst of Northwind Studio (a role is missing to publish there); Ben removed the app from his
/// LinkedIn settings after connecting.
async fn demo(State(s): State<Shared>) -> Response {
    let now = s.now();
    let mut w = s.lock();
    let scopes: Vec<String> = crate::dialog::OFFERED
        .iter()
        .filter(|s| !["openid", "profile", "email", "w_member_social"].contains(s))
        .map(|s| s.to_string())
        .collect();
    let mut out = Vec::new();
    for (member, revoke) in [("aLi5Ada0001", false), ("aLi5Ben0002", true)] {
        let Some(m) = w.members.get(member).cloned() else {
            continue;
        };
        let minted = w.authorize(member, scopes.clone(), now);
        if revoke {
            w.revoke_member(member);
        }
        out.push(json!({
            "access_token": minted.access_token,
            "expires_in": crate::ACCESS_SECS,
            "refresh_token": minted.refresh_token,
            "refresh_token_expires_in": crate::REFRESH_SECS,
            "user_id": member,
            "name": format!("{} {}", m.first_name, m.last_name),
            "granted": scopes,
        }));
    }
    Json(json!(out)).into_response()
}

async fn stats(State(s): State<Shared>) -> Response {
    Json(json!(s.lock().stats)).into_response()
}

async fn put_member(State(s): State<Shared>, Json(m): Json<Member>) -> Response {
    s.lock().members.insert(m.id.clone(), m.clone());
    (StatusCode::CREATED, Json(json!(m))).into_response()
}

async fn put_organization(State(s): State<Shared>, Json(o): Json<Organization>) -> Response {
    s.lock().organizations.insert(o.id.clone(), o.clone());
    (StatusCode::CREATED, Json(json!(o))).into_response()
}

/// Sets one role assignment's state (a Super admin granting or removing a role); `REVOKED`
/// takes it away.
async fn put_acl(State(s): State<Shared>, Json(a): Json<Acl>) -> Response {
    let mut w = s.lock();
    match w
        .acls
        .iter_mut()
        .find(|x| x.member == a.member && x.organization == a.organization && x.role == a.role)
    {
        Some(x) => x.state = a.state.clone(),
        None => w.acls.push(a.clone()),
    }
    Json(json!(a)).into_response()
}

/// The member removed the app (LinkedIn settings > Data privacy > Permitted services).
async fn revoke_app(State(s): State<Shared>, Path(id): Path<String>) -> Response {
    let mut w = s.lock();
    if !w.members.contains_key(&id) {
        return not_found("member");
    }
    let n = w.revoke_member(&id);
    Json(json!({"revoked": n})).into_response()
}

#[derive(Deserialize)]
struct Mint {
    member: String,
    scopes: Vec<String>,
    /// Authorized this many seconds before now.
    #[serde(default)]
    age_secs: i64,
}

/// Tokens as if the member had authorized `age_secs` ago: tests skip the dialog.
async fn mint(State(s): State<Shared>, Json(m): Json<Mint>) -> Response {
    let now = s.now();
    let mut w = s.lock();
    if !w.members.contains_key(&m.member) {
        return not_found("member");
    }
    let at = now - SignedDuration::from_secs(m.age_secs);
    let minted = w.authorize(&m.member, m.scopes, at);
    let t = &w.tokens[&minted.access_token];
    let refresh_expires_at = minted
        .refresh_token
        .as_ref()
        .map(|r| w.refresh_tokens[r].expires_at);
    Json(json!({
        "access_token": minted.access_token,
        "refresh_token": minted.refresh_token,
        "issued_at": t.issued_at,
        "expires_at": t.expires_at,
        "refresh_expires_at": refresh_expires_at,
    }))
    .into_response()
}

async fn token(State(s): State<Shared>, Path(token): Path<String>) -> Response {
    match s.lock().tokens.get(&token) {
        Some(t) => Json(json!(t)).into_response(),
        None => not_found("token"),
    }
}

/// The access token lapses now (its 60 days are over).
async fn expire(State(s): State<Shared>, Path(token): Path<String>) -> Response {
    let now = s.now();
    match s.lock().tokens.get_mut(&token) {
        Some(t) if t.state == TokenState::Active => {
            t.expires_at = now - SignedDuration::from_secs(1);
            Json(json!(t)).into_response()
        }
        Some(t) => Json(json!(t)).into_response(),
        None => not_found("token"),
    }
}

/// The refresh token lapses now (its 365 days are over).
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

/// LinkedIn sunsets an API version: calls that send it answer 426.
async fn retire_version(State(s): State<Shared>, Path(version): Path<String>) -> Response {
    s.lock().retired_versions.insert(version.clone());
    Json(json!({"retired": version})).into_response()
}

async fn fault(State(s): State<Shared>, Json(f): Json<Fault>) -> Response {
    s.lock().faults.push(f);
    StatusCode::NO_CONTENT.into_response()
}
