//! What networks push: `/hooks/{network}/{kind}` (and Meta's older `/meta/{kind}` addresses,
//! which every deployment's Meta app settings hold). The network verifies and reads the push
//! (`Network::push`); what it means is applied here the same way for every network: a removed
//! app breaks every login of that person at once, a data-deletion request erases them, a
//! permission change amends the stored facts, and each is confirmed by a check soon.

use crate::check::rediagnose;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::json;
use tether_core::{
    BrokenReason, GranularScope, Network, PermissionGrant, PermissionStatus, TokenValidity,
};
use tether_platform::{Push, PushError, PushReply, Signal};
use tether_store::{Login, Store};

pub fn routes() -> axum::Router<AppState> {
    axum::Router::new()
        .route("/hooks/{network}/{kind}", get(hook).post(hook))
        .route(
            "/hooks/{network}/data-deletion/{code}",
            get(data_deletion_status),
        )
        .route("/meta/{kind}", get(meta_alias).post(meta_alias))
        .route("/meta/data-deletion/{code}", get(meta_status_alias))
}

type Pairs = Query<Vec<(String, String)>>;

async fn hook(
    State(s): State<AppState>,
    Path((network, kind)): Path<(String, String)>,
    method: Method,
    Query(query): Pairs,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    receive(&s, &network, &kind, &method, &query, &headers, &body)
        .await
        .unwrap_or_else(IntoResponse::into_response)
}

async fn meta_alias(
    State(s): State<AppState>,
    Path(kind): Path<String>,
    method: Method,
    Query(query): Pairs,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    receive(
        &s,
        Network::Meta.as_str(),
        &kind,
        &method,
        &query,
        &headers,
        &body,
    )
    .await
    .unwrap_or_else(IntoResponse::into_response)
}

#[tracing::instrument(skip_all, fields(network = %network, kind = %kind))]
async fn receive(
    s: &AppState,
    network: &str,
    kind: &str,
    method: &Method,
    query: &[(String, String)],
    headers: &HeaderMap,
    body: &[u8],
) -> ApiResult<Response> {
    let network: Network = network
        .parse()
        .map_err(|_| ApiError::NotFound { what: "network" })?;
    let net = s.checker.network(network).ok_or(ApiError::NotFound {
        what: "network on this server",
    })?;
    let headers: Vec<(String, String)> = headers
        .iter()
        .filter_map(|(k, v)| Some((k.as_str().to_ascii_lowercase(), v.to_str().ok()?.to_owned())))
        .collect();
    let push = Push {
        kind,
        method: method.as_str(),
        query,
        headers: &headers,
        body,
    };
    let reply = net.push(&push).map_err(|e| match e {
        PushError::Unsigned(_) => ApiError::Unauthorized,
        PushError::Refused(why) => ApiError::Forbidden(why),
        PushError::Malformed(code, why) => ApiError::bad_request(code, why),
        PushError::UnknownKind => ApiError::NotFound { what: "push kind" },
    })?;
    let signals = match reply {
        PushReply::Challenge(text) => return Ok((StatusCode::OK, text).into_response()),
        PushReply::Signals(signals) => signals,
    };
    let mut applied = 0;
    let mut deletion: Option<String> = None;
    for signal in signals {
        match signal {
            Signal::AppRemoved { user_id } => applied += app_removed(s, network, &user_id).await?,
            Signal::DataDeletion { user_id } => {
                let code = deletion
                    .get_or_insert_with(|| crate::links::confirmation_code(s))
                    .clone();
                applied += delete_data(s, network, &user_id, &code).await?;
            }
            Signal::PermissionChanged {
                user_id,
                permission,
                granted,
                target_ids,
            } => {
                for login in logins_of(s, network, &user_id).await? {
                    let (permission, target_ids) = (permission.clone(), target_ids.clone());
                    rediagnose(s, &login, move |facts, _| {
                        let status = if granted {
                            PermissionStatus::Granted
                        } else {
                            // A permission taken back is one the person declined: ask again.
                            PermissionStatus::Declined
                        };
                        match facts.permissions.iter_mut().find(|g| g.name == permission) {
                            Some(g) => g.status = status,
                            None => facts.permissions.push(PermissionGrant {
                                name: permission.clone(),
                                status,
                            }),
                        }
                        facts.granular_scopes.retain(|g| g.scope != permission);
                        if granted && let Some(ids) = target_ids {
                            facts.granular_scopes.push(GranularScope {
                                scope: permission,
                                target_ids: Some(ids),
                            });
                        }
                    })
                    .await?;
                    schedule(s, &login).await?;
                    applied += 1;
                }
            }
            Signal::CheckSoon { user_id } => {
                for login in logins_of(s, network, &user_id).await? {
                    schedule(s, &login).await?;
                }
            }
        }
    }
    // A data-deletion request is answered with where the person can see it was done.
    if let Some(code) = deletion {
        let url = s
            .config
            .url(&format!("hooks/{network}/data-deletion/{code}"));
        return Ok(Json(json!({ "url": url.as_str(), "confirmation_code": code })).into_response());
    }
    Ok(Json(json!({ "ok": true, "applied": applied })).into_response())
}

async fn logins_of(s: &AppState, network: Network, user_id: &str) -> ApiResult<Vec<Login>> {
    Ok(s.store
        .find_logins_by_platform_user(network, user_id)
        .await?)
}

async fn schedule(s: &AppState, login: &Login) -> ApiResult<()> {
    s.store
        .schedule_check(login.workspace_id, login.id, s.clock.now())
        .await?;
    Ok(())
}

/// Marks every login of the person as having removed the app, and schedules confirmation.
async fn app_removed(s: &AppState, network: Network, user_id: &str) -> ApiResult<usize> {
    let logins = logins_of(s, network, user_id).await?;
    for login in &logins {
        rediagnose(s, login, |facts, _| {
            facts.token.validity = TokenValidity::Broken {
                reason: BrokenReason::AppRemoved,
                platform_error: None,
            };
        })
        .await?;
        schedule(s, login).await?;
    }
    tracing::info!(logins = logins.len(), "app removed");
    Ok(logins.len())
}

/// The person asked the network to have their data deleted. Their logins are disconnected
/// (announced as usual), then erased with everything kept about them, and each workspace gets a
/// `login.deleted` event.
async fn delete_data(
    s: &AppState,
    network: Network,
    user_id: &str,
    code: &str,
) -> ApiResult<usize> {
    app_removed(s, network, user_id).await?;
    let logins = logins_of(s, network, user_id).await?;
    for login in &logins {
        if s.store.delete_login(login.workspace_id, login.id).await? {
            s.index.forget_login(login.id);
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
    Ok(logins.len())
}

/// `GET /hooks/{network}/data-deletion/{code}`: the status page the network links the person to.
async fn data_deletion_status(
    State(s): State<AppState>,
    Path((_, code)): Path<(String, String)>,
) -> Response {
    status_page(&s, &code)
}

async fn meta_status_alias(State(s): State<AppState>, Path(code): Path<String>) -> Response {
    status_page(&s, &code)
}

/// Confirms only a request Tether carried out: a made-up code learns nothing.
fn status_page(s: &AppState, code: &str) -> Response {
    if !crate::links::issued_code(s, code) {
        return crate::html::Page::new("No such request")
            .say("Tether has no data-deletion request with this confirmation code.")
            .respond(StatusCode::NOT_FOUND);
    }
    crate::html::Page::new("Data deletion request")
        .say(format!(
            "Request {code} is complete: the connection's access token, the accounts it reached and their history were deleted."
        ))
        .respond(StatusCode::OK)
}
