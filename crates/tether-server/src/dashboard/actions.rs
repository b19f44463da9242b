//! The actions on a login: Connect (a new one), Reconnect (the platform's dialog, asking again for
//! what is missing), Refresh (check now), and Disconnect. Each returns to the page it was started
//! from with what it needs to say what changed: the time it started and, from an account's tab,
//! that account's verdict before it.

use super::changes::Before;
use super::words;
use super::{Chrome, DashError, DashResult, Flash, Member, PathId, render};
use crate::check;
use crate::state::AppState;
use askama::Template;
use axum::Form;
use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use std::collections::HashMap;
use tether_core::{
    AssetReport, Feature, FeatureVerdict, Finding, FindingCode, LoginReport, Owner, Report, Status,
    TokenReport,
};
use tether_store::{AssetId, Login, LoginId, Store, WorkspaceId};
use uuid::Uuid;

pub async fn load_login(s: &AppState, ws: WorkspaceId, id: Uuid) -> DashResult<Login> {
    s.store
        .get_login(ws, LoginId(id))
        .await?
        .ok_or(DashError::NotFound)
}

#[derive(Deserialize)]
pub struct BackForm {
    /// The account's tab the action was started from, if any.
    #[serde(default)]
    asset: String,
}

/// Where an action on a login returns, and what that page needs to say what changed: the
/// account's tab (with its verdict before the action) or the login's page.
async fn back(
    s: &AppState,
    ws: WorkspaceId,
    login: &Login,
    asset: &str,
    via: &str,
) -> DashResult<String> {
    let since = s.clock.now().as_microsecond();
    let Ok(asset) = Uuid::parse_str(asset) else {
        return Ok(format!("/app/logins/{}?since={since}&via={via}", login.id));
    };
    let before = s
        .store
        .get_asset_report(ws, AssetId(asset))
        .await?
        .and_then(|r| serde_json::from_value::<AssetReport>(r.value).ok())
        .map(|r| format!("&before={}", Before::of(&r).encode()))
        .unwrap_or_default();
    Ok(format!(
        "/app/assets/{asset}?since={since}&via={via}{before}"
    ))
}

/// `POST /app/logins/{id}/reconnect`: the real dialog, asking again for what is missing; the
/// callback brings the person back to the page they started from.
pub async fn reconnect(
    State(s): State<AppState>,
    member: Member,
    PathId(id): PathId,
    Form(f): Form<BackForm>,
) -> DashResult<Response> {
    let login = load_login(&s, member.ws(), id).await?;
    let return_to = back(&s, member.ws(), &login, &f.asset, "reconnect").await?;
    let started = crate::oauth::start(
        &s,
        member.ws(),
        login.network,
        Some(&login),
        false,
        Some(return_to),
    )
    .await?;
    tracing::info!(login_id = %login.id, user_id = %member.user.id, "reconnect started from the dashboard");
    Ok(Redirect::to(started.url.as_str()).into_response())
}

#[derive(Deserialize)]
pub struct ConnectForm {
    /// Which network's dialog; Facebook's when the form does not say.
    #[serde(default)]
    network: Option<String>,
}

/// `POST /app/connect`: connect a new login; it comes back to `/app/connected`.
pub async fn connect(
    State(s): State<AppState>,
    member: Member,
    Form(f): Form<ConnectForm>,
) -> DashResult<Response> {
    let network = match f.network.as_deref() {
        None | Some("") => tether_core::Network::Meta,
        Some(word) => word
            .parse()
            .ok()
            .filter(|n| s.checker.network(*n).is_some())
            .ok_or(DashError::NotFound)?,
    };
    let started = crate::oauth::start(
        &s,
        member.ws(),
        network,
        None,
        false,
        Some(format!(
            "/app/connected?since={}",
            s.clock.now().as_microsecond()
        )),
    )
    .await?;
    Ok(Redirect::to(started.url.as_str()).into_response())
}

#[derive(Deserialize)]
pub struct ConnectedQuery {
    #[serde(default)]
    since: Option<i64>,
    /// Added by the OAuth callback: the login that was connected.
    #[serde(default)]
    login: Option<Uuid>,
}

/// `GET /app/connected`: where a connection started from the dashboard lands: the login's page,
/// which lists the accounts that arrived.
pub async fn connected(
    State(s): State<AppState>,
    member: Member,
    Query(q): Query<ConnectedQuery>,
) -> DashResult<Response> {
    let Some(id) = q.login else {
        return Ok(Redirect::to("/app").into_response());
    };
    let login = load_login(&s, member.ws(), id).await?;
    let since = q.since.unwrap_or_default();
    Ok(Redirect::to(&format!(
        "/app/logins/{}?since={since}&via=connect",
        login.id
    ))
    .into_response())
}

/// `POST /app/logins/{id}/refresh`: checks with the platform now (after a Page admin gave
/// access, say); the page it returns to says what changed.
pub async fn refresh(
    State(s): State<AppState>,
    member: Member,
    PathId(id): PathId,
    Form(f): Form<BackForm>,
) -> DashResult<Response> {
    let login = load_login(&s, member.ws(), id).await?;
    let to = back(&s, member.ws(), &login, &f.asset, "refresh").await?;
    let network = words::network(login.network);
    if login.disconnected_at.is_some() {
        return Ok(Flash::problem(format!(
            "This login was disconnected in Tether, so there is nothing to check. Press Reconnect to connect it to {network} again."
        ))
        .redirect(&to));
    }
    let checked = match crate::service::check_now(&s, login).await {
        Err(crate::error::ApiError::TooManyRequests(_)) => {
            return Ok(Flash::problem(format!(
                "Tether has used this hour's checks with {network}, so it cannot check now without risking the app's rate limit. The scheduled checks go on; try again later."
            ))
            .redirect(&to));
        }
        other => other?,
    };
    let flash = if checked.verified {
        Flash::ok(format!("Checked with {network} just now."))
    } else {
        Flash::problem(format!(
            "Could not reach {network} just now ({}). Nothing changed; the last known state is shown. Try again in a few minutes.",
            checked.reason.unwrap_or_else(|| "no answer".into())
        ))
    };
    Ok(flash.redirect(&to))
}

#[derive(Template)]
#[template(path = "disconnect.html")]
pub struct ConfirmPage {
    pub chrome: Chrome,
    pub login_id: String,
    pub person: String,
    pub network: &'static str,
    pub assets: Vec<String>,
    pub back: String,
}

/// `GET /app/logins/{id}/disconnect`: says what disconnecting does and asks to confirm.
pub async fn confirm_disconnect(
    State(s): State<AppState>,
    member: Member,
    headers: HeaderMap,
    PathId(id): PathId,
    Query(q): Query<HashMap<String, String>>,
) -> DashResult<Response> {
    let login = load_login(&s, member.ws(), id).await?;
    let assets = s.store.list_login_records(member.ws(), login.id).await?;
    let page = ConfirmPage {
        chrome: Chrome::new(&member, &headers, "accounts"),
        login_id: login.id.to_string(),
        person: login.person_name.clone(),
        network: words::network(login.network),
        assets: assets
            .iter()
            .map(|r| format!("{} ({})", r.asset.name, words::kind(r.asset.kind)))
            .collect(),
        back: q
            .get("asset")
            .and_then(|a| Uuid::parse_str(a).ok())
            .map(|a| format!("/app/assets/{a}"))
            .unwrap_or_else(|| format!("/app/logins/{}", login.id)),
    };
    render(&page, &page.chrome)
}

/// `POST /app/logins/{id}/disconnect`: erases the token, stops monitoring, and records every
/// account under the login as disconnected in Tether (announced by webhook like any change);
/// the login, its accounts and their history stay.
pub async fn disconnect(
    State(s): State<AppState>,
    member: Member,
    PathId(id): PathId,
) -> DashResult<Response> {
    let ws = member.ws();
    let login = load_login(&s, ws, id).await?;
    let now = s.clock.now();
    if !s.store.disconnect_login(ws, login.id, now).await? {
        return Err(DashError::NotFound);
    }
    let records = s.store.list_login_records(ws, login.id).await?;
    let previous: Option<Report> = s
        .store
        .get_diagnosis(ws, login.id)
        .await?
        .and_then(|d| serde_json::from_value(d.value).ok());
    let remedies = words::remedies_for(login.network)
        .ok_or_else(|| DashError::Internal(anyhow::anyhow!("the built-in remedies are invalid")))?;
    let finding = |asset_name: Option<&str>, features: Vec<Feature>| Finding {
        code: FindingCode::DisconnectedInTether,
        owner: Owner::ConnectingUser,
        remedy: remedies.render(
            FindingCode::DisconnectedInTether,
            &tether_core::remedies::RemedyContext {
                asset_name,
                features: &features,
                ..Default::default()
            },
        ),
        features,
        permission: None,
        task: None,
        tasks_any: vec![],
        role: None,
        until: None,
        platform_error: None,
    };
    let mut assets = Vec::with_capacity(records.len());
    let mut verdicts = Vec::with_capacity(records.len());
    for r in &records {
        let old: Option<AssetReport> = r
            .report
            .as_ref()
            .and_then(|v| serde_json::from_value(v.clone()).ok());
        let feature_list: Vec<Feature> = old
            .as_ref()
            .map(|o| o.features.keys().copied().collect())
            .unwrap_or_default();
        let report = AssetReport {
            kind: r.asset.kind,
            id: r.asset.platform_id.clone(),
            name: Some(r.asset.name.clone()),
            status: Status::Disconnected,
            features: feature_list
                .iter()
                .map(|f| (*f, FeatureVerdict::Unavailable))
                .collect(),
            findings: vec![finding(Some(&r.asset.name), feature_list.clone())],
        };
        verdicts.push(check::verdict(login.id, r.asset.id, None, &report));
        assets.push(report);
    }
    let report = Report {
        report_version: previous
            .as_ref()
            .map(|p| p.report_version)
            .unwrap_or(tether_core::REPORT_VERSION),
        checked_at: now,
        network: login.network,
        login: LoginReport {
            user_id: Some(login.platform_user_id.clone()),
            user_name: Some(login.person_name.clone()),
            status: Status::Disconnected,
            token: TokenReport {
                valid: false,
                expires_at: None,
                data_access_expires_at: None,
            },
            permissions: previous.map(|p| p.login.permissions).unwrap_or_default(),
            findings: vec![finding(None, vec![])],
        },
        assets,
    };
    s.store
        .record_diagnosis(
            ws,
            login.id,
            &check::diagnosis(login.id, &report, verdicts, now),
        )
        .await?;
    s.events_written();
    s.index.sync(&s.store).await?;
    super::overview::forget_counts(ws);
    tracing::info!(login_id = %login.id, user_id = %member.user.id, "login disconnected from the dashboard");
    Ok(Flash::ok(format!(
        "Disconnected {}'s {} login: Tether erased its token and stopped checking it. Its history is kept; Reconnect connects it again.",
        login.person_name,
        words::network(login.network)
    ))
    .redirect("/app"))
}
