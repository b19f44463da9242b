//! A login's page: the person, their login's status and why, every account it reaches, what to
//! do, and its history. Where a login broken before its Pages could be listed is explained, and
//! where a connection started from the overview lands to show which accounts arrived.

use super::access::{Access, access};
use super::asset::{Card, Change, cards_for, change, primary_button};
use super::rows::{Row, asset_row, verified};
use super::words;
use super::{Chrome, DashResult, Member, PathId, actions::load_login, render};
use crate::state::AppState;
use askama::Template;
use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::response::Response;
use jiff::Timestamp;
use serde::Deserialize;
use tether_core::{Finding, LoginReport, Report, Status};
use tether_store::Store;

#[derive(Template)]
#[template(path = "login.html")]
pub struct LoginPage {
    pub chrome: Chrome,
    pub login_id: String,
    pub person: String,
    pub network: &'static str,
    pub status: &'static str,
    pub status_word: &'static str,
    /// The login's badge next to its worst account, when that is worse.
    pub note: Option<String>,
    pub verified: String,
    pub stale: Option<String>,
    pub disconnected: Option<String>,
    /// After Connect from the overview: the accounts that arrived.
    pub arrived: bool,
    pub changed: Option<Vec<Change>>,
    pub cards: Vec<Card>,
    pub primary: &'static str,
    pub rows: Vec<Row>,
    pub access: Access,
    pub history: Vec<Change>,
    pub reconnect_link: String,
    pub link_expires: String,
}

#[derive(Debug, Default, Deserialize)]
pub struct LoginQuery {
    #[serde(default)]
    since: Option<i64>,
    /// `connect`, `reconnect` or `refresh`: the action that brought the person here.
    #[serde(default)]
    via: Option<String>,
}

/// `GET /app/logins/{id}`
pub async fn page(
    State(s): State<AppState>,
    member: Member,
    headers: HeaderMap,
    PathId(id): PathId,
    Query(q): Query<LoginQuery>,
) -> DashResult<Response> {
    let ws = member.ws();
    let now = s.clock.now();
    let login = load_login(&s, ws, id).await?;
    let person = login.person_name.as_str();
    let report: Option<LoginReport> = s
        .store
        .get_diagnosis(ws, login.id)
        .await?
        .and_then(|d| serde_json::from_value::<Report>(d.value).ok())
        .map(|r| r.login);
    let records = s.store.list_login_records(ws, login.id).await?;
    let rows: Vec<Row> = records.iter().map(|r| asset_row(r, &login, now)).collect();
    let findings: Vec<&Finding> = report.iter().flat_map(|r| &r.findings).collect();
    let cards = cards_for(&findings, person, login.network, None);
    let primary = primary_button(findings.iter().copied(), login.network);
    let worst = records
        .iter()
        .map(|r| r.asset.status)
        .filter(|st| *st != Status::Pending)
        .min_by_key(|st| st.triage());
    let note = match worst {
        Some(w) if w.triage() < login.status.triage() => {
            let n = records
                .iter()
                .filter(|r| r.asset.status.triage() < login.status.triage())
                .count();
            Some(format!(
                "The login itself is {}, but {n} of its {} accounts {} {}: see below.",
                words::status(login.status).to_lowercase(),
                records.len(),
                if n == 1 { "is" } else { "are" },
                words::status(w).to_lowercase(),
            ))
        }
        _ => None,
    };
    let mut transitions = s.store.list_transitions(ws, login.id).await?;
    transitions.reverse();
    let name_of = |t: &tether_store::Transition| {
        t.asset_id
            .and_then(|a| records.iter().find(|r| r.asset.id == a))
            .map(|r| r.asset.name.clone())
            .unwrap_or_default()
    };
    let since = q.since.and_then(|m| Timestamp::from_microsecond(m).ok());
    let arrived = q.via.as_deref() == Some("connect");
    let changed = since.filter(|_| !arrived).map(|since| {
        transitions
            .iter()
            .filter(|t| t.at >= since)
            .map(|t| change(t, &name_of(t), &login, now))
            .collect()
    });
    let history = transitions
        .iter()
        .map(|t| change(t, &name_of(t), &login, now))
        .collect();
    let (link, link_expires) = crate::links::reconnect_url(&s, &login);
    let page = LoginPage {
        chrome: Chrome::new(&member, &headers, "accounts"),
        login_id: login.id.to_string(),
        person: login.person_name.clone(),
        network: words::network(login.network),
        status: login.status.as_str(),
        status_word: words::status(login.status),
        note,
        verified: verified(login.last_verified_at, now),
        stale: crate::service::stale(&login).then(|| {
            format!(
                "The last check could not reach {}; what you see is the last known state.",
                words::network(login.network)
            )
        }),
        disconnected: login
            .disconnected_at
            .map(|t| format!("Disconnected in Tether on {}.", words::date_time(t))),
        arrived,
        changed,
        cards,
        primary,
        rows,
        access: access(&login, report.as_ref(), now),
        history,
        reconnect_link: link.to_string(),
        link_expires: words::date_time(link_expires),
    };
    render(&page, &page.chrome)
}
