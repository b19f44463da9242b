//! Logins: the people who connected, their report, history, "check now" and reconnect links.

use super::views::{CheckView, LoginView, TransitionView};
use crate::auth::Workspace;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use axum::Json;
use axum::extract::{Path, State};
use serde::Serialize;
use serde_json::Value;
use tether_store::{Login, LoginId, Store};
use utoipa::ToSchema;
use uuid::Uuid;

pub(super) async fn load(s: &AppState, ws: Workspace, id: Uuid) -> ApiResult<Login> {
    s.store
        .get_login(ws.0, LoginId(id))
        .await?
        .ok_or(ApiError::NotFound { what: "login" })
}

/// Every login of the workspace.
#[utoipa::path(get, path = "/logins", tag = "logins",
    responses((status = 200, body = Vec<LoginView>), (status = 401, body = crate::error::ErrorBody)))]
pub async fn list_logins(
    State(s): State<AppState>,
    ws: Workspace,
) -> ApiResult<Json<Vec<LoginView>>> {
    let logins = s.store.list_logins(ws.0).await?;
    Ok(Json(logins.iter().map(LoginView::from).collect()))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LoginDetail {
    #[serde(flatten)]
    pub login: LoginView,
    /// The latest full report (docs/REPORT.md), `null` before the first check.
    #[schema(value_type = Option<Object>)]
    pub report: Option<Value>,
}

/// One login with its latest report.
#[utoipa::path(get, path = "/logins/{id}", tag = "logins",
    params(("id" = Uuid, Path, description = "login id")),
    responses((status = 200, body = LoginDetail), (status = 404, body = crate::error::ErrorBody)))]
pub async fn get_login(
    State(s): State<AppState>,
    ws: Workspace,
    Path(id): Path<Uuid>,
) -> ApiResult<Json<LoginDetail>> {
    let login = load(&s, ws, id).await?;
    let report = s
        .store
        .get_diagnosis(ws.0, login.id)
        .await?
        .map(|d| d.value);
    Ok(Json(LoginDetail {
        login: LoginView::from(&login),
        report,
    }))
}

/// Every status change of the login and its assets, oldest first.
#[utoipa::path(get, path = "/logins/{id}/history", tag = "logins",
    params(("id" = Uuid, Path, description = "login id")),
    responses((status = 200, body = Vec<TransitionView>), (status = 404, body = crate::error::ErrorBody)))]
pub async fn login_history(
    State(s): State<AppState>,
    ws: Workspace,
    Path(id): Path<Uuid>,
) -> ApiResult<Json<Vec<TransitionView>>> {
    let login = load(&s, ws, id).await?;
    let t = s.store.list_transitions(ws.0, login.id).await?;
    Ok(Json(t.iter().map(TransitionView::from).collect()))
}

/// Checks the login against the platform now (e.g. after a Page admin granted a task).
#[utoipa::path(post, path = "/logins/{id}/check", tag = "logins",
    params(("id" = Uuid, Path, description = "login id")),
    responses((status = 200, body = CheckView), (status = 404, body = crate::error::ErrorBody),
              (status = 409, description = "the login was disconnected in Tether", body = crate::error::ErrorBody),
              (status = 429, description = "this hour's platform calls for the login's network are spent (the budget the worker shares)", body = crate::error::ErrorBody)))]
pub async fn check_login(
    State(s): State<AppState>,
    ws: Workspace,
    Path(id): Path<Uuid>,
) -> ApiResult<Json<CheckView>> {
    let login = load(&s, ws, id).await?;
    Ok(Json(crate::service::check_now(&s, login).await?.into()))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ReconnectLink {
    /// Opens the platform's dialog for this login, asking again for what is missing. Needs no
    /// Tether account: send it to the person who connected.
    pub url: String,
    #[schema(value_type = String)]
    pub expires_at: jiff::Timestamp,
}

/// A signed, expiring reconnect link for the person who connected.
#[utoipa::path(post, path = "/logins/{id}/reconnect-link", tag = "logins",
    params(("id" = Uuid, Path, description = "login id")),
    responses((status = 200, body = ReconnectLink), (status = 404, body = crate::error::ErrorBody)))]
pub async fn reconnect_link(
    State(s): State<AppState>,
    ws: Workspace,
    Path(id): Path<Uuid>,
) -> ApiResult<Json<ReconnectLink>> {
    let login = load(&s, ws, id).await?;
    let (url, expires_at) = crate::links::reconnect_url(&s, &login);
    Ok(Json(ReconnectLink {
        url: url.to_string(),
        expires_at,
    }))
}
