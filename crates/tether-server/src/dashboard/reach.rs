//! One account as every login of the workspace reaches it: a Page two people connected works as
//! long as one of them can publish. Per feature: through whom it works, until when, and through
//! whom it does not.

use super::words;
use super::{Chrome, DashError, DashResult, Member, render};
use crate::state::AppState;
use askama::Template;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::Response;
use tether_core::{AssetKind, AssetReport, Feature, FeatureVerdict, Status};
use tether_store::Store;

/// One login's view of the account.
pub struct Through {
    pub person: String,
    pub href: String,
    pub status: &'static str,
    pub status_word: &'static str,
}

/// One feature across the logins.
pub struct FeatureLine {
    pub feature: String,
    /// `available`, `at_risk` or `unavailable`: the best of the logins.
    pub best: &'static str,
    pub said: String,
}

#[derive(Template)]
#[template(path = "reach.html")]
pub struct ReachPage {
    pub chrome: Chrome,
    pub name: String,
    pub kind: &'static str,
    pub status: &'static str,
    pub status_word: &'static str,
    pub through: Vec<Through>,
    pub features: Vec<FeatureLine>,
}

/// A feature's verdict through one person's login, and until when an at-risk one works.
type Seen = (String, FeatureVerdict, Option<jiff::Timestamp>);

/// `GET /app/accounts/{kind}/{platform_id}`
pub async fn page(
    State(s): State<AppState>,
    member: Member,
    headers: HeaderMap,
    Path((kind, platform_id)): Path<(String, String)>,
) -> DashResult<Response> {
    let ws = member.ws();
    let kind: AssetKind = kind.parse().map_err(|_| DashError::NotFound)?;
    let records = s.store.list_account_reach(ws, kind, &platform_id).await?;
    let first = records.first().ok_or(DashError::NotFound)?;
    let mut through = Vec::with_capacity(records.len());
    // Per feature: (login's person, verdict, until) for every login.
    let mut per_feature: Vec<(Feature, Vec<Seen>)> = Vec::new();
    for r in &records {
        let Some(login) = s.store.get_login(ws, r.asset.login_id).await? else {
            continue;
        };
        let report: Option<AssetReport> = r
            .report
            .as_ref()
            .and_then(|v| serde_json::from_value(v.clone()).ok());
        if let Some(rep) = &report {
            let until = rep.findings.iter().filter_map(|f| f.until).min();
            for (f, v) in &rep.features {
                let entry = (login.person_name.clone(), *v, until);
                match per_feature.iter_mut().find(|(g, _)| g == f) {
                    Some((_, list)) => list.push(entry),
                    None => per_feature.push((*f, vec![entry])),
                }
            }
        }
        through.push(Through {
            person: login.person_name.clone(),
            href: format!("/app/assets/{}", r.asset.id),
            status: r.asset.status.as_str(),
            status_word: words::status(r.asset.status),
        });
    }
    per_feature.sort_by_key(|(f, _)| *f);
    let features = per_feature
        .into_iter()
        .map(|(f, list)| {
            let best = list
                .iter()
                .map(|(_, v, _)| *v)
                .min_by_key(|v| v.rank())
                .unwrap_or(FeatureVerdict::Unavailable);
            let part = |v: FeatureVerdict| {
                list.iter()
                    .filter(|(_, w, _)| *w == v)
                    .map(|(p, _, until)| match (v, until) {
                        (FeatureVerdict::AtRisk, Some(t)) => {
                            format!("{p}'s login (until {})", words::date(*t))
                        }
                        _ => format!("{p}'s login"),
                    })
                    .collect::<Vec<_>>()
            };
            let mut said = Vec::new();
            let works = part(FeatureVerdict::Available);
            if !works.is_empty() {
                said.push(format!("works through {}", works.join(", ")));
            }
            let risky = part(FeatureVerdict::AtRisk);
            if !risky.is_empty() {
                said.push(format!("works, at risk, through {}", risky.join(", ")));
            }
            let broken = part(FeatureVerdict::Unavailable);
            if !broken.is_empty() {
                said.push(format!("does not work through {}", broken.join(", ")));
            }
            FeatureLine {
                feature: words::feature(f),
                best: best.as_str(),
                said: said.join("; "),
            }
        })
        .collect();
    // The account's status is the best any login gives it: it works if one of them works.
    let best = records
        .iter()
        .map(|r| r.asset.status)
        .filter(|st| *st != Status::Pending)
        .max_by_key(|st| st.triage())
        .unwrap_or(first.asset.status);
    let page = ReachPage {
        chrome: Chrome::new(&member, &headers, "accounts"),
        name: first.asset.name.clone(),
        kind: words::kind(kind),
        status: best.as_str(),
        status_word: words::status(best),
        through,
        features,
    };
    render(&page, &page.chrome)
}
