//! Errors the product met while calling the platform. They are the freshest signal there is: a
//! broken token or a lost permission changes the verdict at once (and a check is scheduled to
//! confirm it); transient trouble changes nothing.

use super::ApiJson;
use super::views::{AssetView, LoginView};
use crate::auth::Workspace;
use crate::check::rediagnose;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use tether_core::{
    AssetFacts, AssetKind, BrokenReason, Feature, LoginFacts, ObservedProblem, PlatformError,
    TokenValidity,
};
use tether_platform::Reported;
use tether_store::{AssetId, LoginId, Store};
use utoipa::ToSchema;
use uuid::Uuid;

/// What a reported error says about the stored facts.
enum Amend {
    Broken(BrokenReason, PlatformError),
    /// A problem seen on one asset (or, when the asset is unknown, on the login).
    Observed(ObservedProblem, Option<(AssetKind, String)>),
}

impl Amend {
    fn apply(self, facts: &mut LoginFacts, assets: &mut [AssetFacts]) {
        match self {
            Amend::Broken(reason, error) => {
                facts.token.validity = TokenValidity::Broken {
                    reason,
                    platform_error: Some(error),
                };
            }
            Amend::Observed(problem, target) => {
                let asset = target.and_then(|(kind, id)| {
                    assets.iter_mut().find(|a| a.kind == kind && a.id == id)
                });
                match asset {
                    Some(a) => a.observed.push(problem),
                    None => facts.observed.push(problem),
                }
            }
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PlatformErrorReport {
    /// The asset the failing call was about (or give `login_id`).
    pub asset_id: Option<Uuid>,
    pub login_id: Option<Uuid>,
    /// The call, for the record, e.g. `POST /{page-id}/feed`.
    pub call: Option<String>,
    /// The feature the call served, e.g. `publish`.
    pub feature: Option<String>,
    /// Which token the call used: `user` (default) or `page`.
    pub token: Option<String>,
    /// The platform's error exactly as received: `{"error":{…}}` or the inner object.
    #[schema(value_type = Object)]
    pub error: Value,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PlatformErrorOutcome {
    /// What Tether made of it: `login_broken`, `asset_problem`, `transient`, `request_rejected`,
    /// `checker_misconfigured` or `unrecognized`.
    pub classification: String,
    /// Status changes it caused.
    pub changes: usize,
    /// Whether a check was scheduled to confirm it.
    pub check_scheduled: bool,
    pub login: LoginView,
    pub asset: Option<AssetView>,
}

/// Reports an error the product got from the platform.
#[utoipa::path(post, path = "/platform-errors", tag = "signals", request_body = PlatformErrorReport,
    responses((status = 200, body = PlatformErrorOutcome), (status = 400, body = crate::error::ErrorBody),
              (status = 404, body = crate::error::ErrorBody),
              (status = 409, description = "the login was disconnected in Tether", body = crate::error::ErrorBody)))]
pub async fn report_platform_error(
    State(s): State<AppState>,
    ws: Workspace,
    ApiJson(body): ApiJson<PlatformErrorReport>,
) -> ApiResult<Json<PlatformErrorOutcome>> {
    let feature = super::word::<Feature>("feature", body.feature.as_deref())?;
    let page_token = match body.token.as_deref() {
        None | Some("user") => false,
        Some("page") => true,
        Some(other) => {
            return Err(ApiError::bad_request(
                "invalid_token_kind",
                format!("token must be `user` or `page`, not `{other}`"),
            ));
        }
    };
    let asset = match body.asset_id {
        Some(id) => Some(
            s.store
                .get_asset(ws.0, AssetId(id))
                .await?
                .ok_or(ApiError::NotFound { what: "asset" })?,
        ),
        None => None,
    };
    let login_id = match (&asset, body.login_id) {
        (Some(a), Some(l)) if a.login_id.0 != l => {
            return Err(ApiError::bad_request(
                "mismatch",
                "asset_id does not belong to login_id",
            ));
        }
        (Some(a), _) => a.login_id,
        (None, Some(l)) => LoginId(l),
        (None, None) => {
            return Err(ApiError::bad_request(
                "missing_subject",
                "give asset_id or login_id: which account the call was for",
            ));
        }
    };
    let login = s
        .store
        .get_login(ws.0, login_id)
        .await?
        .ok_or(ApiError::NotFound { what: "login" })?;
    if login.disconnected_at.is_some() {
        return Err(ApiError::Conflict(
            "this login was disconnected in Tether; an error about it changes nothing until it is reconnected"
                .into(),
        ));
    }
    let network = s.checker.network(login.network).ok_or(ApiError::NotFound {
        what: "network on this server",
    })?;
    let reported = network
        .read_reported_error(&body.error, page_token)
        .map_err(|why| {
            ApiError::bad_request(
                "invalid_platform_error",
                format!(
                    "error is {why}; send the platform's `error` as received from {}",
                    login.network
                ),
            )
        })?;
    tracing::info!(login_id = %login.id, asset_id = ?asset.as_ref().map(|a| a.id.to_string()),
        call = ?body.call, network = %login.network, "platform error reported");
    let target = asset.as_ref().map(|a| (a.kind, a.platform_id.clone()));
    let (label, amend) = match reported {
        Reported::LoginBroken { reason, error } => {
            ("login_broken", Some(Amend::Broken(reason, error)))
        }
        Reported::Problem { kind, error } => (
            "asset_problem",
            Some(Amend::Observed(
                ObservedProblem {
                    kind,
                    features: feature.into_iter().collect(),
                    platform_error: Some(error),
                },
                target,
            )),
        ),
        Reported::Transient => ("transient", None),
        Reported::RequestRejected => ("request_rejected", None),
        Reported::CheckerMisconfigured => {
            tracing::error!(login_id = %login.id, "a reported error says the app's own credentials are rejected");
            ("checker_misconfigured", None)
        }
        Reported::Unrecognized => ("unrecognized", None),
    };
    let mut changes = 0;
    if let Some(amend) = amend {
        let t = rediagnose(&s, &login, |facts, assets| amend.apply(facts, assets)).await?;
        changes = t.map_or(0, |t| t.len());
    }
    // Anything but plain transient trouble is confirmed by asking the platform soon.
    let check_scheduled = !matches!(label, "transient" | "request_rejected");
    if check_scheduled {
        s.store
            .schedule_check(ws.0, login.id, s.clock.now())
            .await?;
    }
    let login = s.store.get_login(ws.0, login.id).await?.unwrap_or(login);
    let asset = match asset {
        Some(a) => s.store.get_asset(ws.0, a.id).await?,
        None => None,
    };
    let stale = super::views::stale(&login);
    Ok(Json(PlatformErrorOutcome {
        classification: label.to_owned(),
        changes,
        check_scheduled,
        login: LoginView::from(&login),
        asset: asset.map(|a| AssetView::new(&a, stale)),
    }))
}
