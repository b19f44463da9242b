//! Assets: listing with filters, one asset's report and history, and the pre-flight question.

use super::views::{AssetView, CheckView, Page, TransitionView, stale};
use super::{ApiQuery, word};
use crate::auth::Workspace;
use crate::error::{ApiError, ApiResult};
use crate::preflight::Preflight;
use crate::state::AppState;
use axum::Json;
use axum::extract::{Path, State};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::HashMap;
use std::collections::hash_map::Entry;
use tether_core::{AssetKind, Feature, Network, Owner, Status};
use tether_store::{Asset, AssetFilter, AssetId, LoginId, Store};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

const DEFAULT_LIMIT: u32 = 100;
const MAX_LIMIT: u32 = 1000;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct AssetQuery {
    /// connected, at_risk, action_required, disconnected, pending, unsupported
    status: Option<String>,
    /// meta, instagram, linkedin, pinterest, tiktok
    network: Option<String>,
    /// facebook_page, instagram_account, facebook_group, …
    kind: Option<String>,
    /// Who must act: connecting_user, asset_admin, business_admin, account_owner, app_owner, platform
    owner: Option<String>,
    /// Only assets where this feature is unavailable or at risk.
    feature: Option<String>,
    login_id: Option<Uuid>,
    /// The `next_after` of the previous page.
    after: Option<Uuid>,
    /// 1–1000, default 100.
    #[param(minimum = 1, maximum = 1000)]
    limit: Option<u32>,
}

/// The workspace's assets, filtered, in pages.
#[utoipa::path(get, path = "/assets", tag = "assets", params(AssetQuery),
    responses((status = 200, body = Page<AssetView>), (status = 400, body = crate::error::ErrorBody)))]
pub async fn list_assets(
    State(s): State<AppState>,
    ws: Workspace,
    ApiQuery(q): ApiQuery<AssetQuery>,
) -> ApiResult<Json<Page<AssetView>>> {
    let limit = q.limit.unwrap_or(DEFAULT_LIMIT);
    if !(1..=MAX_LIMIT).contains(&limit) {
        return Err(ApiError::bad_request(
            "invalid_filter",
            format!("limit must be between 1 and {MAX_LIMIT}"),
        ));
    }
    let filter = AssetFilter {
        login: q.login_id.map(LoginId),
        status: word::<Status>("status", q.status.as_deref())?,
        network: word::<Network>("network", q.network.as_deref())?,
        kind: word::<AssetKind>("kind", q.kind.as_deref())?,
        owner: word::<Owner>("owner", q.owner.as_deref())?,
        feature: word::<Feature>("feature", q.feature.as_deref())?,
        after: q.after.map(AssetId),
        limit: limit + 1,
    };
    let mut assets = s.store.list_assets(ws.0, &filter).await?;
    let more = assets.len() > limit as usize;
    assets.truncate(limit as usize);
    // Each login of the page read once (a page of 50 assets reaches a handful), never the
    // workspace's every login: an agency holds a hundred thousand.
    let mut stale_logins: HashMap<LoginId, bool> = HashMap::new();
    for a in &assets {
        if let Entry::Vacant(e) = stale_logins.entry(a.login_id) {
            let login = s.store.get_login(ws.0, a.login_id).await?;
            e.insert(login.as_ref().is_some_and(stale));
        }
    }
    let next_after = more.then(|| assets.last().map(|a| a.id.0)).flatten();
    let items = assets
        .iter()
        .map(|a| AssetView::new(a, stale_logins.get(&a.login_id).copied().unwrap_or(false)))
        .collect();
    Ok(Json(Page { items, next_after }))
}

async fn load(s: &AppState, ws: Workspace, id: Uuid) -> ApiResult<Asset> {
    s.store
        .get_asset(ws.0, AssetId(id))
        .await?
        .ok_or(ApiError::NotFound { what: "asset" })
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AssetDetail {
    #[serde(flatten)]
    pub asset: AssetView,
    /// docs/REPORT.md `AssetReport`: every feature's verdict and every finding with its remedy.
    #[schema(value_type = Option<Object>)]
    pub report: Option<Value>,
    /// Why the last check failed, when the verdict is stale.
    pub last_error: Option<String>,
}

/// One asset's report.
#[utoipa::path(get, path = "/assets/{id}", tag = "assets",
    params(("id" = Uuid, Path, description = "asset id")),
    responses((status = 200, body = AssetDetail), (status = 404, body = crate::error::ErrorBody)))]
pub async fn get_asset(
    State(s): State<AppState>,
    ws: Workspace,
    Path(id): Path<Uuid>,
) -> ApiResult<Json<AssetDetail>> {
    let asset = load(&s, ws, id).await?;
    let login = s.store.get_login(ws.0, asset.login_id).await?;
    let report = s
        .store
        .get_asset_report(ws.0, asset.id)
        .await?
        .map(|r| r.value);
    let is_stale = login.as_ref().is_some_and(stale);
    Ok(Json(AssetDetail {
        asset: AssetView::new(&asset, is_stale),
        report,
        last_error: login.and_then(|l| l.last_error).filter(|_| is_stale),
    }))
}

/// The asset's status changes, oldest first.
#[utoipa::path(get, path = "/assets/{id}/history", tag = "assets",
    params(("id" = Uuid, Path, description = "asset id")),
    responses((status = 200, body = Vec<TransitionView>), (status = 404, body = crate::error::ErrorBody)))]
pub async fn asset_history(
    State(s): State<AppState>,
    ws: Workspace,
    Path(id): Path<Uuid>,
) -> ApiResult<Json<Vec<TransitionView>>> {
    let asset = load(&s, ws, id).await?;
    let t = s.store.list_asset_transitions(ws.0, asset.id).await?;
    Ok(Json(t.iter().map(TransitionView::from).collect()))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct PreflightQuery {
    /// The feature about to be used: publish, publish_video, analytics, inbox, comments, …
    feature: String,
}

/// "Will this work?": answered from memory, meant to be called before every publish.
#[utoipa::path(get, path = "/assets/{id}/preflight", tag = "assets",
    params(("id" = Uuid, Path, description = "asset id"), PreflightQuery),
    responses((status = 200, body = Preflight), (status = 400, body = crate::error::ErrorBody),
              (status = 404, body = crate::error::ErrorBody)))]
pub async fn preflight(
    State(s): State<AppState>,
    ws: Workspace,
    Path(id): Path<Uuid>,
    ApiQuery(q): ApiQuery<PreflightQuery>,
) -> ApiResult<Json<Preflight>> {
    let feature = word::<Feature>("feature", Some(&q.feature))?
        .ok_or_else(|| ApiError::bad_request("invalid_query", "feature is required"))?;
    if let Some(answer) = s.index.ask(ws.0, AssetId(id), feature) {
        return Ok(Json(answer));
    }
    // Not indexed yet (written by another process a moment ago): catch up once.
    s.index.sync(&s.store).await?;
    s.index
        .ask(ws.0, AssetId(id), feature)
        .map(Json)
        .ok_or(ApiError::NotFound { what: "asset" })
}

/// Checks the asset's login now.
#[utoipa::path(post, path = "/assets/{id}/check", tag = "assets",
    params(("id" = Uuid, Path, description = "asset id")),
    responses((status = 200, body = CheckView), (status = 404, body = crate::error::ErrorBody),
              (status = 409, description = "the login was disconnected in Tether", body = crate::error::ErrorBody),
              (status = 429, description = "this hour's platform calls for the login's network are spent (the budget the worker shares)", body = crate::error::ErrorBody)))]
pub async fn check_asset(
    State(s): State<AppState>,
    ws: Workspace,
    Path(id): Path<Uuid>,
) -> ApiResult<Json<CheckView>> {
    let asset = load(&s, ws, id).await?;
    let login = super::logins::load(&s, ws, asset.login_id.0).await?;
    Ok(Json(crate::service::check_now(&s, login).await?.into()))
}
