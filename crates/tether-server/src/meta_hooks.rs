//! What Meta pushes to the app: the deauthorize and data-deletion callbacks (a `signed_request`
//! signed with the app secret) and the `permissions` webhook (`X-Hub-Signature-256` over the raw
//! body). Each is verified before anything is read from it; a valid one updates the verdicts of
//! every login of that person at once and schedules a check to confirm.

use crate::check::rediagnose;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use std::collections::HashMap;
use tether_core::{
    BrokenReason, GranularScope, Network, PermissionGrant, PermissionStatus, TokenValidity,
};
use tether_meta::signed_request::{SignedRequestError, parse_signed_request};
use tether_meta::webhook::{
    PermissionVerb, SignatureError, hub_challenge, parse_permissions_webhook, verify_hub_signature,
};
use tether_store::Store;

/// The `signed_request` field of a form-encoded callback body.
fn signed_request_field(body: &[u8]) -> ApiResult<String> {
    url::form_urlencoded::parse(body)
        .find(|(k, _)| k == "signed_request")
        .map(|(_, v)| v.into_owned())
        .ok_or_else(|| {
            ApiError::bad_request(
                "missing_signed_request",
                "expected a form body with a signed_request field",
            )
        })
}

fn verify(s: &AppState, body: &[u8]) -> ApiResult<String> {
    let raw = signed_request_field(body)?;
    let req = parse_signed_request(&raw, &s.config.meta.app_secret).map_err(|e| match e {
        SignedRequestError::BadSignature => {
            ApiError::Forbidden("signed_request signature does not match the app secret".into())
        }
        other => ApiError::bad_request("malformed_signed_request", other.to_string()),
    })?;
    req.user_id.ok_or_else(|| {
        ApiError::bad_request(
            "malformed_signed_request",
            "signed_request names no user_id",
        )
    })
}

/// Marks every login of the person as having removed the app, and schedules confirmation.
async fn app_removed(s: &AppState, user_id: &str) -> ApiResult<usize> {
    let logins = s
        .store
        .find_logins_by_platform_user(Network::Meta, user_id)
        .await?;
    for login in &logins {
        rediagnose(s, login, |facts, _| {
            facts.token.validity = TokenValidity::Broken {
                reason: BrokenReason::AppRemoved,
                platform_error: None,
            };
        })
        .await?;
        s.store
            .schedule_check(login.workspace_id, login.id, s.clock.now())
            .await?;
    }
    tracing::info!(logins = logins.len(), "deauthorize callback applied");
    Ok(logins.len())
}

/// `POST /meta/deauthorize`
pub async fn deauthorize(State(s): State<AppState>, body: Bytes) -> ApiResult<Json<Value>> {
    let user = verify(&s, &body)?;
    let n = app_removed(&s, &user).await?;
    Ok(Json(json!({ "ok": true, "logins": n })))
}

/// `POST /meta/data-deletion`: the person asked Meta to have their data deleted. Their logins
/// are disconnected (announced as usual), then erased with everything kept about them, and each
/// workspace gets a `login.deleted` event. Meta expects `{url, confirmation_code}` back.
pub async fn data_deletion(State(s): State<AppState>, body: Bytes) -> ApiResult<Json<Value>> {
    let user = verify(&s, &body)?;
    app_removed(&s, &user).await?;
    let code = uuid::Uuid::now_v7().simple().to_string();
    let logins = s
        .store
        .find_logins_by_platform_user(Network::Meta, &user)
        .await?;
    for login in &logins {
        if s.store.delete_login(login.workspace_id, login.id).await? {
            crate::dashboard::overview::forget_counts(login.workspace_id);
            let payload = json!({
                "login_id": login.id.0,
                "reason": "data_deletion_request",
                "confirmation_code": code,
            });
            s.store
                .enqueue_event(login.workspace_id, "login.deleted", &payload, s.clock.now())
                .await?;
        }
    }
    tracing::info!(confirmation_code = %code, logins = logins.len(), "data deleted on request");
    let url = s.config.url(&format!("meta/data-deletion/{code}"));
    Ok(Json(
        json!({ "url": url.as_str(), "confirmation_code": code }),
    ))
}

/// `GET /meta/data-deletion/{code}`: the status page Meta links the person to.
pub async fn data_deletion_status(Path(code): Path<String>) -> Response {
    crate::html::Page::new("Data deletion request")
        .say(format!(
            "Request {code} is complete: the connection's access token, the accounts it reached and their history were deleted."
        ))
        .respond(StatusCode::OK)
}

/// `GET /meta/webhook`: Meta's subscription handshake.
pub async fn webhook_challenge(
    State(s): State<AppState>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    match hub_challenge(
        q.get("hub.mode").map(String::as_str),
        q.get("hub.verify_token").map(String::as_str),
        q.get("hub.challenge").map(String::as_str),
        &s.config.meta.webhook_verify_token,
    ) {
        Ok(challenge) => (StatusCode::OK, challenge).into_response(),
        Err(e) => ApiError::Forbidden(e.to_string()).into_response(),
    }
}

/// `POST /meta/webhook`: the `permissions` webhook.
pub async fn webhook(
    State(s): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Json<Value>> {
    let header = headers
        .get("x-hub-signature-256")
        .and_then(|v| v.to_str().ok());
    verify_hub_signature(&body, header, &s.config.meta.app_secret).map_err(|e| match e {
        SignatureError::Missing => ApiError::Unauthorized,
        other => ApiError::Forbidden(other.to_string()),
    })?;
    let changes = parse_permissions_webhook(&body)
        .map_err(|e| ApiError::bad_request("invalid_webhook", e.to_string()))?;
    let mut applied = 0;
    for change in changes {
        // `connected` is the app connection itself: revoked means the app was removed.
        if change.permission == "connected" {
            match change.verb {
                PermissionVerb::Revoked => applied += app_removed(&s, &change.user_id).await?,
                PermissionVerb::Granted => {
                    for login in s
                        .store
                        .find_logins_by_platform_user(Network::Meta, &change.user_id)
                        .await?
                    {
                        s.store
                            .schedule_check(login.workspace_id, login.id, s.clock.now())
                            .await?;
                    }
                }
            }
            continue;
        }
        let logins = s
            .store
            .find_logins_by_platform_user(Network::Meta, &change.user_id)
            .await?;
        for login in &logins {
            let c = change.clone();
            rediagnose(&s, login, move |facts, _| {
                let status = match c.verb {
                    PermissionVerb::Granted => PermissionStatus::Granted,
                    // A revoked permission is one the person took back: the app must ask again.
                    PermissionVerb::Revoked => PermissionStatus::Declined,
                };
                match facts
                    .permissions
                    .iter_mut()
                    .find(|g| g.name == c.permission)
                {
                    Some(g) => g.status = status,
                    None => facts.permissions.push(PermissionGrant {
                        name: c.permission.clone(),
                        status,
                    }),
                }
                facts.granular_scopes.retain(|g| g.scope != c.permission);
                if status == PermissionStatus::Granted
                    && let Some(ids) = c.target_ids.clone()
                {
                    facts.granular_scopes.push(GranularScope {
                        scope: c.permission.clone(),
                        target_ids: Some(ids),
                    });
                }
            })
            .await?;
            s.store
                .schedule_check(login.workspace_id, login.id, s.clock.now())
                .await?;
            applied += 1;
        }
    }
    Ok(Json(json!({ "ok": true, "applied": applied })))
}

/// Meta's pushes at `/hooks/meta/{kind}`, and at the `/meta/{kind}` addresses every deployment's
/// Meta app settings already hold (kept as aliases). No other network pushes yet: the seam has
/// no push method (docs/ARCHITECTURE.md, "The seam").
pub fn routes() -> axum::Router<AppState> {
    use axum::routing::{get, post};
    let mut r = axum::Router::new();
    for base in ["/hooks/meta", "/meta"] {
        r = r
            .route(&format!("{base}/deauthorize"), post(deauthorize))
            .route(&format!("{base}/data-deletion"), post(data_deletion))
            .route(
                &format!("{base}/data-deletion/{{code}}"),
                get(data_deletion_status),
            )
            .route(
                &format!("{base}/webhook"),
                get(webhook_challenge).post(webhook),
            );
    }
    r
}
