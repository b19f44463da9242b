//! Webhook endpoints of a workspace and their delivery log.

use super::{ApiJson, ApiQuery};
use crate::auth::Workspace;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use secrecy::ExposeSecret;
use serde::{Deserialize, Serialize};
use tether_store::{EndpointId, Store};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewEndpoint {
    /// Where events are POSTed.
    pub url: String,
    #[serde(default)]
    pub description: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct EndpointView {
    pub id: Uuid,
    pub url: String,
    pub description: String,
    #[schema(value_type = String)]
    pub created_at: jiff::Timestamp,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedEndpoint {
    #[serde(flatten)]
    pub endpoint: EndpointView,
    /// The signing secret (`whsec_…`), shown only now. Verify `webhook-signature` with it.
    pub secret: String,
}

/// Adds a webhook endpoint; every later event is delivered to it.
#[utoipa::path(post, path = "/webhook-endpoints", tag = "webhooks", request_body = NewEndpoint,
    responses((status = 201, body = CreatedEndpoint), (status = 400, body = crate::error::ErrorBody)))]
pub async fn create_endpoint(
    State(s): State<AppState>,
    ws: Workspace,
    ApiJson(body): ApiJson<NewEndpoint>,
) -> ApiResult<(StatusCode, Json<CreatedEndpoint>)> {
    let url = crate::service::endpoint_url(&s, &body.url).await?;
    let (e, secret) = s
        .store
        .create_endpoint(ws.0, url.as_str(), &body.description, s.clock.now())
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(CreatedEndpoint {
            endpoint: EndpointView {
                id: e.id.0,
                url: e.url,
                description: e.description,
                created_at: e.created_at,
            },
            secret: secret.expose_secret().to_owned(),
        }),
    ))
}

/// The workspace's webhook endpoints (without secrets).
#[utoipa::path(get, path = "/webhook-endpoints", tag = "webhooks",
    responses((status = 200, body = Vec<EndpointView>)))]
pub async fn list_endpoints(
    State(s): State<AppState>,
    ws: Workspace,
) -> ApiResult<Json<Vec<EndpointView>>> {
    let list = s.store.list_endpoints(ws.0).await?;
    Ok(Json(
        list.into_iter()
            .map(|e| EndpointView {
                id: e.id.0,
                url: e.url,
                description: e.description,
                created_at: e.created_at,
            })
            .collect(),
    ))
}

/// Removes an endpoint; nothing more is delivered to it.
#[utoipa::path(delete, path = "/webhook-endpoints/{id}", tag = "webhooks",
    params(("id" = Uuid, Path, description = "endpoint id")),
    responses((status = 204), (status = 404, body = crate::error::ErrorBody)))]
pub async fn delete_endpoint(
    State(s): State<AppState>,
    ws: Workspace,
    Path(id): Path<Uuid>,
) -> ApiResult<StatusCode> {
    if s.store.delete_endpoint(ws.0, EndpointId(id)).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::NotFound {
            what: "webhook endpoint",
        })
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct DeliveryQuery {
    endpoint_id: Option<Uuid>,
    /// 1–500, default 100.
    #[param(minimum = 1, maximum = 500)]
    limit: Option<u32>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DeliveryView {
    pub id: Uuid,
    /// The event id receivers see in `webhook-id`.
    pub event_id: Uuid,
    pub endpoint_id: Uuid,
    pub event_type: String,
    pub attempts: u32,
    pub last_status: Option<u16>,
    pub last_error: Option<String>,
    #[schema(value_type = Option<String>)]
    pub next_attempt_at: Option<jiff::Timestamp>,
    #[schema(value_type = Option<String>)]
    pub delivered_at: Option<jiff::Timestamp>,
    /// Given up after the last attempt.
    pub dead: bool,
    /// The login the event was about, if any.
    pub login_id: Option<Uuid>,
    /// The asset the event was about, if any.
    pub asset_id: Option<Uuid>,
}

/// The delivery log, newest first.
#[utoipa::path(get, path = "/webhook-deliveries", tag = "webhooks", params(DeliveryQuery),
    responses((status = 200, body = Vec<DeliveryView>)))]
pub async fn list_deliveries(
    State(s): State<AppState>,
    ws: Workspace,
    ApiQuery(q): ApiQuery<DeliveryQuery>,
) -> ApiResult<Json<Vec<DeliveryView>>> {
    let limit = q.limit.unwrap_or(100);
    if !(1..=500).contains(&limit) {
        return Err(ApiError::bad_request(
            "invalid_filter",
            "limit must be between 1 and 500",
        ));
    }
    let list = s
        .store
        .list_deliveries(ws.0, q.endpoint_id.map(EndpointId), limit)
        .await?;
    Ok(Json(
        list.into_iter()
            .map(|d| DeliveryView {
                id: d.id.0,
                event_id: d.event_id.0,
                endpoint_id: d.endpoint_id.0,
                event_type: d.event_type,
                attempts: d.attempts,
                last_status: d.last_status,
                last_error: d.last_error,
                next_attempt_at: d.next_attempt_at,
                delivered_at: d.delivered_at,
                dead: d.dead,
                login_id: d.about.login.map(|l| l.0),
                asset_id: d.about.asset.map(|a| a.0),
            })
            .collect(),
    ))
}
