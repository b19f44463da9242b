//! Starting a connection: the authorization URL of a network's login dialog.

use crate::auth::Workspace;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use axum::Json;
use axum::extract::{Path, State};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConnectRequest {
    /// Reconnect this login (keeps its id and history) instead of connecting a new one.
    pub login_id: Option<Uuid>,
    /// Let a reconnect come back as a different person (refused otherwise).
    #[serde(default)]
    pub allow_other_person: bool,
    /// Where the result page links back to (your app).
    pub return_to: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ConnectResponse {
    /// Send the person's browser here.
    pub authorization_url: String,
    /// The flow must be finished before this time.
    #[schema(value_type = String)]
    pub expires_at: jiff::Timestamp,
    /// The permissions asked for (what the workspace's profile needs).
    pub scopes: Vec<String>,
    /// Whether permissions declined before are asked for again.
    pub rerequest: bool,
}

/// Starts a network's login dialog for a new connection or a reconnect (`/connect/meta` for
/// Facebook Login, `/connect/instagram` for Instagram Login). A reconnect uses the login's own
/// network.
#[utoipa::path(post, path = "/connect/{network}", tag = "connect", request_body = ConnectRequest,
    params(("network" = String, Path, description = "the network: meta, instagram")),
    responses((status = 200, body = ConnectResponse), (status = 400, body = crate::error::ErrorBody),
              (status = 404, body = crate::error::ErrorBody)))]
pub async fn connect(
    State(s): State<AppState>,
    ws: Workspace,
    Path(network): Path<String>,
    body: axum::body::Bytes,
) -> ApiResult<Json<ConnectResponse>> {
    let network = network
        .parse::<tether_core::Network>()
        .ok()
        .filter(|n| s.checker.network(*n).is_some())
        .ok_or(ApiError::NotFound {
            what: "network on this server",
        })?;
    // An empty body means "a new connection, no options".
    let req: ConnectRequest = if body.iter().all(u8::is_ascii_whitespace) {
        ConnectRequest::default()
    } else {
        serde_json::from_slice(&body)
            .map_err(|e| ApiError::bad_request("malformed_json", e.to_string()))?
    };
    if let Some(rt) = &req.return_to
        && (!crate::outbound::plain(rt) || url::Url::parse(rt).is_err())
    {
        return Err(ApiError::bad_request(
            "invalid_return_to",
            "return_to must be a plain absolute http(s) URL: a host name or IPv4 address, an optional port, then only the characters RFC 3986 allows",
        ));
    }
    let login = match req.login_id {
        Some(id) => Some(super::logins::load(&s, ws, id).await?),
        None => None,
    };
    let started = crate::oauth::start(
        &s,
        ws.0,
        network,
        login.as_ref(),
        req.allow_other_person,
        req.return_to,
    )
    .await?;
    Ok(Json(ConnectResponse {
        authorization_url: started.url.to_string(),
        expires_at: started.expires_at,
        scopes: started.scopes,
        rerequest: started.rerequest,
    }))
}
