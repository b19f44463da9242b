//! The accounts overview: every login of the workspace with the assets under it, so one broken
//! Facebook profile is seen taking its Pages down with it. One page of logins and their assets
//! costs four queries however many accounts there are (two counts, the logins, their assets).

use super::words::{self, FindingView};
use super::{Chrome, DashError, DashResult, Member, render};
use crate::state::AppState;
use askama::Template;
use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::response::Response;
use jiff::Timestamp;
use serde::Deserialize;
use tether_core::{AssetReport, Feature, Network, Owner, Status};
use tether_store::{AssetRecord, Login, LoginId, OverviewFilter, Store};

/// Logins per page; each brings all of its assets that pass the filter.
pub const PAGE: u32 = 25;

#[derive(Debug, Default, Deserialize)]
pub struct OverviewQuery {
    #[serde(default)]
    status: String,
    #[serde(default)]
    network: String,
    #[serde(default)]
    feature: String,
    #[serde(default)]
    owner: String,
    #[serde(default)]
    after: String,
}

pub struct Choice {
    pub value: &'static str,
    pub label: String,
    pub selected: bool,
}

pub struct Count {
    pub text: String,
    pub href: String,
    pub class: &'static str,
}

pub struct AssetRow {
    pub id: String,
    pub name: String,
    pub kind: &'static str,
    pub status: &'static str,
    pub status_word: &'static str,
    pub verified: String,
    pub breaks_on: Option<String>,
    /// What the question-mark explains: each missing piece and what it breaks.
    pub why: Vec<String>,
    pub who: String,
}

pub struct LoginRow {
    pub id: String,
    pub person: String,
    pub network: &'static str,
    pub status: &'static str,
    pub status_word: &'static str,
    pub verified: String,
    pub breaks_on: Option<String>,
    pub stale: Option<String>,
    pub disconnected: bool,
    pub assets: Vec<AssetRow>,
}

#[derive(Template)]
#[template(path = "overview.html")]
pub struct OverviewPage {
    pub chrome: Chrome,
    pub status_counts: Vec<Count>,
    pub owner_counts: Vec<Count>,
    pub statuses: Vec<Choice>,
    pub networks: Vec<Choice>,
    pub features: Vec<Choice>,
    pub owners: Vec<Choice>,
    pub filtered: bool,
    pub logins: Vec<LoginRow>,
    pub next: Option<String>,
    pub first: Option<String>,
    pub total_assets: u64,
}

fn parse<T: std::str::FromStr>(raw: &str, what: &str) -> DashResult<Option<T>> {
    if raw.is_empty() {
        return Ok(None);
    }
    raw.parse()
        .map(Some)
        .map_err(|_| DashError::BadRequest(format!("There is no {what} called “{raw}”.")))
}

fn choices<T: Copy + PartialEq>(
    all: &'static [T],
    value: fn(T) -> &'static str,
    label: impl Fn(T) -> String,
    chosen: Option<T>,
) -> Vec<Choice> {
    all.iter()
        .map(|&v| Choice {
            value: value(v),
            label: label(v),
            selected: chosen == Some(v),
        })
        .collect()
}

/// `GET /app`
pub async fn overview(
    State(s): State<AppState>,
    member: Member,
    headers: HeaderMap,
    Query(q): Query<OverviewQuery>,
) -> DashResult<Response> {
    let ws = member.ws();
    let now = s.clock.now();
    let status: Option<Status> = parse(&q.status, "status")?;
    let network: Option<Network> = parse(&q.network, "network")?;
    let feature: Option<Feature> = parse(&q.feature, "feature")?;
    let owner: Option<Owner> = parse(&q.owner, "who must act")?;
    let after = if q.after.is_empty() {
        None
    } else {
        Some(LoginId(q.after.parse().map_err(|_| {
            DashError::BadRequest("That page link is damaged; start from the first page.".into())
        })?))
    };
    let filter = OverviewFilter {
        status,
        network,
        owner,
        feature,
        after,
        limit: PAGE + 1,
    };
    let by_status = s.store.count_assets_by_status(ws).await?;
    let by_owner = s.store.count_assets_by_owner(ws).await?;
    let mut logins = s.store.list_overview_logins(ws, &filter).await?;
    let more = logins.len() > PAGE as usize;
    logins.truncate(PAGE as usize);
    let ids: Vec<LoginId> = logins.iter().map(|l| l.id).collect();
    let records = s.store.list_overview_assets(ws, &ids, &filter).await?;

    let base = |extra: &[(&str, &str)]| -> String {
        let mut pairs: Vec<(&str, &str)> = vec![
            ("status", q.status.as_str()),
            ("network", q.network.as_str()),
            ("feature", q.feature.as_str()),
            ("owner", q.owner.as_str()),
        ];
        pairs.retain(|(k, v)| !v.is_empty() && !extra.iter().any(|(e, _)| e == k));
        pairs.extend(extra.iter().copied());
        let qs: Vec<String> = pairs
            .iter()
            .filter(|(_, v)| !v.is_empty())
            .map(|(k, v)| format!("{k}={}", words::query_escape(v)))
            .collect();
        if qs.is_empty() {
            "/app".to_owned()
        } else {
            format!("/app?{}", qs.join("&"))
        }
    };
    let total_assets: u64 = by_status.iter().map(|(_, n)| n).sum();
    let status_counts = by_status
        .iter()
        .map(|(st, n)| Count {
            text: format!("{n} {}", words::status(*st).to_lowercase()),
            href: format!("/app?status={}", st.as_str()),
            class: st.as_str(),
        })
        .collect();
    let owner_counts = by_owner
        .iter()
        .map(|(o, n)| Count {
            text: words::owner_count(*o, *n),
            href: format!("/app?owner={}", o.as_str()),
            class: "owner",
        })
        .collect();

    let mut rows: Vec<LoginRow> = logins.iter().map(|l| login_row(l, now)).collect();
    for r in records {
        if let Some(row) = rows
            .iter_mut()
            .find(|row| row.id == r.asset.login_id.to_string())
        {
            row.assets.push(asset_row(&r, now));
        }
    }
    let next = more
        .then(|| logins.last().map(|l| base(&[("after", &l.id.to_string())])))
        .flatten();
    let page = OverviewPage {
        chrome: Chrome::new(&member, &headers, "accounts"),
        status_counts,
        owner_counts,
        statuses: choices(
            Status::ALL,
            Status::as_str,
            |v| words::status(v).to_owned(),
            status,
        ),
        networks: choices(
            Network::ALL,
            Network::as_str,
            |v| words::network(v).to_owned(),
            network,
        ),
        features: choices(Feature::ALL, Feature::as_str, words::feature, feature),
        owners: choices(
            Owner::ALL,
            Owner::as_str,
            |v| words::owner_short(v).to_owned(),
            owner,
        ),
        filtered: status.is_some() || network.is_some() || feature.is_some() || owner.is_some(),
        logins: rows,
        next,
        first: after.map(|_| base(&[])),
        total_assets,
    };
    render(&page, &page.chrome)
}

fn verified(at: Option<Timestamp>, now: Timestamp) -> String {
    at.map(|t| format!("Verified {}", words::ago(t, now)))
        .unwrap_or_else(|| "Not verified yet".to_owned())
}

fn login_row(l: &Login, now: Timestamp) -> LoginRow {
    let breaks_on = (l.status == Status::AtRisk)
        .then(|| {
            [l.expires_at, l.data_access_expires_at]
                .into_iter()
                .flatten()
                .filter(|t| *t > now)
                .min()
                .map(words::date)
        })
        .flatten();
    LoginRow {
        id: l.id.to_string(),
        person: l.person_name.clone(),
        network: words::network(l.network),
        status: l.status.as_str(),
        status_word: words::status(l.status),
        verified: verified(l.last_verified_at, now),
        breaks_on,
        stale: crate::api::views::stale(l).then(|| {
            format!(
                "Could not reach {} at the last check; this is the last known state.",
                words::network(l.network)
            )
        }),
        disconnected: l.disconnected_at.is_some(),
        assets: Vec::new(),
    }
}

pub fn asset_row(r: &AssetRecord, now: Timestamp) -> AssetRow {
    let a = &r.asset;
    let report: Option<AssetReport> = r
        .report
        .as_ref()
        .and_then(|v| serde_json::from_value(v.clone()).ok());
    let findings: Vec<FindingView> = report
        .as_ref()
        .map(|rep| rep.findings.iter().map(FindingView::new).collect())
        .unwrap_or_default();
    let breaks_on = (a.status == Status::AtRisk)
        .then(|| {
            report
                .as_ref()
                .and_then(|rep| rep.findings.iter().filter_map(|f| f.until).min())
                .map(words::date)
        })
        .flatten();
    // One line per missing piece: several features needing the same task share its line.
    let mut merged: Vec<(&FindingView, Vec<&str>)> = Vec::new();
    for f in &findings {
        match merged
            .iter_mut()
            .find(|(g, _)| g.title == f.title && g.until == f.until)
        {
            Some((_, breaks)) => breaks.push(&f.breaks),
            None => merged.push((f, vec![&f.breaks])),
        }
    }
    let why = merged
        .iter()
        .map(|(f, breaks)| {
            let mut line = f.title.clone();
            let breaks: Vec<&str> = breaks.iter().copied().filter(|b| !b.is_empty()).collect();
            if !breaks.is_empty() {
                line.push_str(&format!(" — breaks {}", breaks.join(", ")));
            }
            if let Some(until) = &f.until {
                line.push_str(&format!(" from {until}"));
            }
            line.push_str(&format!(". {} must act.", f.owner_word));
            line
        })
        .collect();
    let who = a
        .owners
        .iter()
        .map(|o| words::owner_short(*o))
        .collect::<Vec<_>>()
        .join(", ");
    AssetRow {
        id: a.id.to_string(),
        name: a.name.clone(),
        kind: words::kind(a.kind),
        status: a.status.as_str(),
        status_word: words::status(a.status),
        verified: verified(a.last_verified_at, now),
        breaks_on,
        why,
        who,
    }
}
