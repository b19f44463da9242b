//! One account's diagnostics tab and the actions on its login: Reconnect, Refresh, the reconnect
//! link for a client, the message for a Page admin, and Disconnect.

use super::overview::{AssetRow, asset_row};
use super::words::{self, FindingView};
use super::{Chrome, DashError, DashResult, Flash, Member, render};
use crate::check;
use crate::state::AppState;
use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use jiff::Timestamp;
use serde::Deserialize;
use std::collections::HashMap;
use tether_core::{
    AssetFacts, AssetReport, Feature, FeatureVerdict, Finding, FindingCode, LoginReport, Owner,
    Report, Status, TokenReport,
};
use tether_store::{
    AssetId, FactsSubject, Login, LoginId, OverviewFilter, Store, Transition, WorkspaceId,
};
use uuid::Uuid;

pub struct FeatureRow {
    pub name: String,
    pub verdict: &'static str,
    pub word: &'static str,
}

pub struct Change {
    pub when: String,
    pub what: String,
    pub from: Option<(&'static str, &'static str)>,
    pub to: (&'static str, &'static str),
    pub why: Vec<String>,
}

pub struct Notice {
    pub subject: String,
    pub body: String,
    pub mailto: String,
}

#[derive(Template)]
#[template(path = "asset.html")]
pub struct DiagnosticsPage {
    pub chrome: Chrome,
    pub asset: AssetRow,
    pub login_id: String,
    pub person: String,
    pub network: &'static str,
    pub login_status: &'static str,
    pub login_status_word: &'static str,
    pub disconnected: Option<String>,
    pub stale: Option<String>,
    pub features: Vec<FeatureRow>,
    pub findings: Vec<FindingView>,
    pub login_findings: Vec<FindingView>,
    pub token_expires: String,
    pub data_access_expires: String,
    pub granted: Vec<String>,
    pub declined: Vec<String>,
    pub expired: Vec<String>,
    pub tasks: Vec<String>,
    pub shows_tasks: bool,
    pub history: Vec<Change>,
    /// What changed since the action that brought the person here (reconnect or refresh).
    pub changed: Option<Vec<Change>>,
    pub reconnect_link: String,
    pub link_expires: String,
    pub notice: Option<Notice>,
}

async fn load_login(s: &AppState, ws: WorkspaceId, id: &str) -> DashResult<Login> {
    let id = Uuid::parse_str(id).map_err(|_| DashError::NotFound)?;
    s.store
        .get_login(ws, LoginId(id))
        .await?
        .ok_or(DashError::NotFound)
}

/// `GET /app/assets/{id}`
pub async fn diagnostics(
    State(s): State<AppState>,
    member: Member,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> DashResult<Response> {
    let ws = member.ws();
    let now = s.clock.now();
    let id = AssetId(Uuid::parse_str(&id).map_err(|_| DashError::NotFound)?);
    let asset = s
        .store
        .get_asset(ws, id)
        .await?
        .ok_or(DashError::NotFound)?;
    let login = s
        .store
        .get_login(ws, asset.login_id)
        .await?
        .ok_or(DashError::NotFound)?;
    let report = s.store.get_asset_report(ws, id).await?;
    let record = tether_store::AssetRecord {
        asset: asset.clone(),
        report: report.as_ref().map(|r| r.value.clone()),
    };
    let row = asset_row(&record, now);
    let asset_report: Option<AssetReport> = report
        .as_ref()
        .and_then(|r| serde_json::from_value(r.value.clone()).ok());
    let login_report: Option<LoginReport> = s
        .store
        .get_diagnosis(ws, login.id)
        .await?
        .and_then(|d| serde_json::from_value::<Report>(d.value).ok())
        .map(|r| r.login);
    let facts: Option<AssetFacts> = s
        .store
        .get_facts(ws, FactsSubject::Asset(id))
        .await?
        .and_then(|f| serde_json::from_value(f.value).ok());

    let features = asset_report
        .as_ref()
        .map(|r| {
            r.features
                .iter()
                .map(|(f, v)| FeatureRow {
                    name: words::feature(*f),
                    verdict: v.as_str(),
                    word: match v {
                        FeatureVerdict::Available => "Available",
                        FeatureVerdict::AtRisk => "At risk",
                        FeatureVerdict::Unavailable => "Unavailable",
                    },
                })
                .collect()
        })
        .unwrap_or_default();
    let findings: Vec<FindingView> = asset_report
        .as_ref()
        .map(|r| r.findings.iter().map(FindingView::new).collect())
        .unwrap_or_default();
    // Login-wide findings already shown on the asset are not repeated.
    let login_findings = login_report
        .as_ref()
        .map(|l| {
            l.findings
                .iter()
                .filter(|f| {
                    !asset_report.as_ref().is_some_and(|r| {
                        r.findings
                            .iter()
                            .any(|g| g.code == f.code && g.permission == f.permission)
                    })
                })
                .map(FindingView::new)
                .collect()
        })
        .unwrap_or_default();
    let perms = login_report
        .as_ref()
        .map(|l| l.permissions.clone())
        .unwrap_or_default();
    let expiry = |t: Option<Timestamp>, known: bool| match (t, known) {
        (Some(t), _) => format!(
            "{} ({})",
            words::date_time(t),
            if t > now { "in the future" } else { "passed" }
        ),
        (None, true) => "Never".to_owned(),
        (None, false) => "Unknown until the first check".to_owned(),
    };
    let known = login.last_verified_at.is_some();
    let mut transitions = s.store.list_transitions(ws, login.id).await?;
    transitions.retain(|t| t.asset_id.is_none() || t.asset_id == Some(id));
    transitions.reverse();
    let changed = q
        .get("since")
        .and_then(|v| v.parse::<i64>().ok())
        .and_then(|m| Timestamp::from_microsecond(m).ok())
        .map(|since| {
            transitions
                .iter()
                .filter(|t| t.at >= since)
                .map(|t| change(t, &asset.name, now))
                .collect()
        });
    let history = transitions
        .iter()
        .map(|t| change(t, &asset.name, now))
        .collect();
    let (link, link_expires) = crate::links::reconnect_url(&s, &login);
    let notice = asset_report
        .as_ref()
        .and_then(|r| admin_notice(&login, &asset.name, &r.findings));
    let page = DiagnosticsPage {
        chrome: Chrome::new(&member, &headers, "accounts"),
        asset: row,
        login_id: login.id.to_string(),
        person: login.person_name.clone(),
        network: words::network(login.network),
        login_status: login.status.as_str(),
        login_status_word: words::status(login.status),
        disconnected: login
            .disconnected_at
            .map(|t| format!("Disconnected in Tether on {}.", words::date_time(t))),
        stale: crate::api::views::stale(&login).then(|| {
            format!(
                "The last check could not reach {}{}; what you see is the last known state.",
                words::network(login.network),
                login
                    .last_error
                    .as_deref()
                    .map(|e| format!(" ({e})"))
                    .unwrap_or_default()
            )
        }),
        features,
        findings,
        login_findings,
        token_expires: expiry(login.expires_at, known),
        data_access_expires: expiry(login.data_access_expires_at, known),
        granted: perms.granted.iter().map(|p| words::permission(p)).collect(),
        declined: perms
            .declined
            .iter()
            .map(|p| words::permission(p))
            .collect(),
        expired: perms.expired.iter().map(|p| words::permission(p)).collect(),
        shows_tasks: asset.kind == tether_core::AssetKind::FacebookPage,
        tasks: facts
            .map(|f| f.tasks.iter().map(|t| words::task(t)).collect())
            .unwrap_or_default(),
        history,
        changed,
        reconnect_link: link.to_string(),
        link_expires: words::date_time(link_expires),
        notice,
    };
    render(&page, &page.chrome)
}

fn change(t: &Transition, asset_name: &str, now: Timestamp) -> Change {
    let findings: Vec<Finding> = serde_json::from_value(t.findings.clone()).unwrap_or_default();
    Change {
        when: format!("{} ({})", words::date_time(t.at), words::ago(t.at, now)),
        what: if t.asset_id.is_some() {
            asset_name.to_owned()
        } else {
            "The Facebook login".to_owned()
        },
        from: t.old_status.map(|s| (s.as_str(), words::status(s))),
        to: (t.new_status.as_str(), words::status(t.new_status)),
        why: findings.iter().map(|f| FindingView::new(f).title).collect(),
    }
}

/// A message a Page admin can act on: exactly which access to give, to whom, on which Page.
fn admin_notice(login: &Login, asset: &str, findings: &[Finding]) -> Option<Notice> {
    let asks: Vec<&Finding> = findings
        .iter()
        .filter(|f| matches!(f.owner, Owner::AssetAdmin | Owner::BusinessAdmin))
        .collect();
    if asks.is_empty() {
        return None;
    }
    let mut body = format!(
        "Hello,\n\nWe manage {asset} through {person}'s Facebook account with our social media tool. \
         Some of it does not work because {person}'s access to {asset} is missing something only an admin can give:\n\n",
        person = login.person_name
    );
    for f in &asks {
        let view = FindingView::new(f);
        body.push_str(&format!("- {} (needed for {})\n", view.title, view.breaks));
    }
    body.push_str("\nHow to give it:\n");
    let mut seen: Vec<&String> = Vec::new();
    for step in asks.iter().flat_map(|f| f.remedy.steps.iter()) {
        if !seen.contains(&step) {
            seen.push(step);
            body.push_str(&format!("- {step}\n"));
        }
    }
    if let Some(link) = asks.iter().find_map(|f| f.remedy.link.as_ref()) {
        body.push_str(&format!("\nFacebook's help: {link}\n"));
    }
    body.push_str("\nPlease reply once it is done so we can check again. Thank you!\n");
    let subject = format!("Please give {} access to {asset}", login.person_name);
    // mailto takes percent-encoding, not the form encoding's `+` for spaces.
    let enc = |s: &str| words::query_escape(s).replace('+', "%20");
    Some(Notice {
        mailto: format!("mailto:?subject={}&body={}", enc(&subject), enc(&body)),
        subject,
        body,
    })
}

#[derive(Deserialize)]
pub struct BackForm {
    #[serde(default)]
    asset: String,
}

/// Where an action on a login returns: the asset's tab it was started from, or the overview,
/// with `since` so the page can show what the action changed.
fn back(asset: &str, since: Timestamp) -> String {
    let since = since.as_microsecond();
    match Uuid::parse_str(asset) {
        Ok(a) => format!("/app/assets/{a}?since={since}"),
        Err(_) => "/app".to_owned(),
    }
}

/// `POST /app/logins/{id}/reconnect`: the real Facebook dialog, asking again for what is missing;
/// the callback brings the person back to the tab they started from.
pub async fn reconnect(
    State(s): State<AppState>,
    member: Member,
    Path(id): Path<String>,
    Form(f): Form<BackForm>,
) -> DashResult<Response> {
    let login = load_login(&s, member.ws(), &id).await?;
    let return_to = back(&f.asset, s.clock.now());
    let started =
        crate::oauth::start(&s, member.ws(), Some(&login), false, Some(return_to)).await?;
    tracing::info!(login_id = %login.id, user_id = %member.user.id, "reconnect started from the dashboard");
    Ok(Redirect::to(started.url.as_str()).into_response())
}

/// `POST /app/connect`: connect a new Facebook login.
pub async fn connect(State(s): State<AppState>, member: Member) -> DashResult<Response> {
    let started = crate::oauth::start(
        &s,
        member.ws(),
        None,
        false,
        Some(format!("/app?since={}", s.clock.now().as_microsecond())),
    )
    .await?;
    Ok(Redirect::to(started.url.as_str()).into_response())
}

/// `POST /app/logins/{id}/refresh`: checks with the platform now (after a Page admin granted a
/// task, say) and says what changed.
pub async fn refresh(
    State(s): State<AppState>,
    member: Member,
    Path(id): Path<String>,
    Form(f): Form<BackForm>,
) -> DashResult<Response> {
    let login = load_login(&s, member.ws(), &id).await?;
    let since = s.clock.now();
    let to = back(&f.asset, since);
    if login.disconnected_at.is_some() {
        return Ok(Flash::problem(
            "This connection was disconnected in Tether, so there is nothing to check. Press Reconnect to connect it again.",
        )
        .redirect(&to));
    }
    let network = words::network(login.network);
    let view = crate::api::logins::check_now(&s, login).await?;
    let flash = match view.outcome.as_str() {
        "verified" if view.changes == 0 => Flash::ok(format!(
            "Checked with {network} just now: nothing changed, still {}.",
            words::status(view.login.status.parse().unwrap_or(Status::Pending)).to_lowercase()
        )),
        "verified" => Flash::ok(format!(
            "Checked with {network} just now: {} change{} (below).",
            view.changes,
            if view.changes == 1 { "" } else { "s" }
        )),
        _ => Flash::problem(format!(
            "Could not reach {network} just now ({}). Nothing changed; the last known state is shown. Try again in a few minutes.",
            view.reason.unwrap_or_else(|| "no answer".into())
        )),
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
    Path(id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> DashResult<Response> {
    let login = load_login(&s, member.ws(), &id).await?;
    let assets = s
        .store
        .list_overview_assets(member.ws(), &[login.id], &OverviewFilter::default())
        .await?;
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
            .unwrap_or_else(|| "/app".to_owned()),
    };
    render(&page, &page.chrome)
}

/// `POST /app/logins/{id}/disconnect`: erases the token, stops monitoring, and records every
/// account under the login as disconnected in Tether (announced by webhook like any change);
/// the login, its accounts and their history stay.
pub async fn disconnect(
    State(s): State<AppState>,
    member: Member,
    Path(id): Path<String>,
) -> DashResult<Response> {
    let ws = member.ws();
    let login = load_login(&s, ws, &id).await?;
    let now = s.clock.now();
    if !s.store.disconnect_login(ws, login.id, now).await? {
        return Err(DashError::NotFound);
    }
    let records = s
        .store
        .list_overview_assets(ws, &[login.id], &OverviewFilter::default())
        .await?;
    let previous: Option<Report> = s
        .store
        .get_diagnosis(ws, login.id)
        .await?
        .and_then(|d| serde_json::from_value(d.value).ok());
    let remedies = words::remedies()
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
        verdicts.push(check::verdict(r.asset.id, &report));
        assets.push(report);
    }
    let report = Report {
        report_version: previous.as_ref().map(|p| p.report_version).unwrap_or(1),
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
        .record_diagnosis(ws, login.id, &check::diagnosis(&report, verdicts, now))
        .await?;
    s.index.sync(&s.store).await?;
    tracing::info!(login_id = %login.id, user_id = %member.user.id, "login disconnected from the dashboard");
    Ok(Flash::ok(format!(
        "Disconnected {}'s {} login: Tether erased its token and stopped checking it. Its history is kept; Reconnect connects it again.",
        login.person_name,
        words::network(login.network)
    ))
    .redirect("/app"))
}
