//! The rows the dashboard lists accounts in (the overview, a login's page, bulk actions, emails):
//! each account, or a login that reaches none, with its status, who must do what first, and the
//! explanation behind its question mark.

use super::words::{self, FindingView};
use jiff::Timestamp;
use tether_core::{AssetKind, AssetReport, Finding, LoginReport, Network, Owner, Status};
use tether_store::{AssetRecord, Login, OverviewItem};

/// One row of the list: an account, or a login that reaches none.
pub struct Row {
    pub id: String,
    pub href: String,
    pub name: String,
    pub kind: String,
    pub status: &'static str,
    pub status_word: &'static str,
    /// What the question mark explains: each missing piece and what it breaks.
    pub why: Vec<String>,
    /// Who must do what first, and how many other fixes there are.
    pub todo: Option<String>,
    pub more: usize,
    pub person: String,
    pub person_href: String,
    pub verified: String,
    pub breaks_on: Option<String>,
    pub stale: bool,
}

pub fn verified(at: Option<Timestamp>, now: Timestamp) -> String {
    at.map(|t| format!("Verified {}", words::ago(t, now)))
        .unwrap_or_else(|| "Not verified yet".to_owned())
}

/// One line per missing piece, several features needing the same piece sharing its line.
pub fn why(findings: &[Finding], person: &str, net: Network) -> Vec<String> {
    let views: Vec<FindingView> = findings
        .iter()
        .map(|f| FindingView::new(f, person, net))
        .collect();
    let mut merged: Vec<(&FindingView, Vec<&str>)> = Vec::new();
    for f in &views {
        match merged
            .iter_mut()
            .find(|(g, _)| g.title == f.title && g.until == f.until)
        {
            Some((_, breaks)) => breaks.push(&f.breaks),
            None => merged.push((f, vec![&f.breaks])),
        }
    }
    merged
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
            if f.owner == Owner::Platform.as_str() {
                line.push_str(". Nothing can fix it.");
            } else {
                line.push_str(&format!(". {} must act.", f.owner_word));
            }
            line
        })
        .collect()
}

/// The first fix (findings come worst first) as a line naming who does what, and how many other
/// fixes there are.
pub fn todo(
    findings: &[Finding],
    person: &str,
    network: tether_core::Network,
    asset: Option<(&str, AssetKind)>,
) -> (Option<String>, usize) {
    let mut lines: Vec<String> = Vec::new();
    for f in findings {
        if f.fix().is_none() {
            continue;
        }
        let line = words::todo(f, person, network, asset);
        if !lines.contains(&line) {
            lines.push(line);
        }
    }
    let more = lines.len().saturating_sub(1);
    (lines.into_iter().next(), more)
}

pub fn row(item: &OverviewItem, logins: &[Login], now: Timestamp) -> Option<Row> {
    match item {
        OverviewItem::Asset(r) => {
            let login = logins.iter().find(|l| l.id == r.asset.login_id)?;
            Some(asset_row(r, login, now))
        }
        OverviewItem::Login { login_id, report } => {
            let login = logins.iter().find(|l| l.id == *login_id)?;
            let report: Option<LoginReport> = report
                .as_ref()
                .and_then(|v| serde_json::from_value::<tether_core::Report>(v.clone()).ok())
                .map(|r| r.login);
            Some(login_row(login, report.as_ref(), now))
        }
    }
}

pub fn asset_row(r: &AssetRecord, login: &Login, now: Timestamp) -> Row {
    let a = &r.asset;
    let report: Option<AssetReport> = r
        .report
        .as_ref()
        .and_then(|v| serde_json::from_value(v.clone()).ok());
    let findings = report.map(|r| r.findings).unwrap_or_default();
    let breaks_on = (a.status == Status::AtRisk)
        .then(|| {
            findings
                .iter()
                .filter_map(|f| f.until)
                .min()
                .map(words::date)
        })
        .flatten();
    let (todo, more) = todo(
        &findings,
        &login.person_name,
        login.network,
        Some((&a.name, a.kind)),
    );
    Row {
        id: a.id.to_string(),
        href: format!("/app/assets/{}", a.id),
        name: a.name.clone(),
        kind: format!(
            "{} · {}",
            words::kind(a.kind),
            words::network(login.network)
        ),
        status: a.status.as_str(),
        status_word: words::status(a.status),
        why: why(&findings, &login.person_name, login.network),
        todo,
        more,
        person: login.person_name.clone(),
        person_href: format!("/app/logins/{}", login.id),
        verified: verified(a.last_verified_at, now),
        breaks_on,
        stale: crate::service::stale(login),
    }
}

/// A login that reaches no account: its own findings say why.
pub fn login_row(login: &Login, report: Option<&LoginReport>, now: Timestamp) -> Row {
    let findings: &[Finding] = report.map(|r| &r.findings[..]).unwrap_or_default();
    let (todo, more) = todo(findings, &login.person_name, login.network, None);
    let reaches_nothing = if login.status == Status::Disconnected {
        "its accounts could not be listed"
    } else {
        "no Pages or accounts were shared"
    };
    Row {
        id: login.id.to_string(),
        href: format!("/app/logins/{}", login.id),
        name: words::login_name(login),
        kind: format!(
            "{} login · {reaches_nothing}",
            words::network(login.network)
        ),
        status: login.status.as_str(),
        status_word: words::status(login.status),
        why: why(findings, &login.person_name, login.network),
        todo,
        more,
        person: login.person_name.clone(),
        person_href: format!("/app/logins/{}", login.id),
        verified: verified(login.last_verified_at, now),
        breaks_on: None,
        stale: crate::service::stale(login),
    }
}
