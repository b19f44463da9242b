//! One account's tab: its features, one card per fix (who must do what, the steps), what each
//! feature needs against what the login holds, the other logins that reach the same account,
//! what the last Refresh or Reconnect changed, the message for a Page admin, and the history.

use super::access::{Access, access};
use super::changes::{self, Before, Outcome};
use super::rows::{Row, asset_row};
use super::words::{self, FindingView};
use super::{Chrome, DashError, DashResult, Member, PathId, message, needs, render};
use crate::state::AppState;
use askama::Template;
use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::response::Response;
use jiff::Timestamp;
use serde::Deserialize;
use tether_core::remedies::{Button, RemedyContext};
use tether_core::{
    Action, AssetFacts, AssetKind, AssetReport, Feature, FeatureVerdict, Finding, LoginReport,
    Remedy, Report, Status,
};
use tether_store::{AssetId, AssetRecord, FactsSubject, Login, Store, Transition};

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

/// One fix: every finding that the same action by the same person repairs.
pub struct Card {
    pub heading: String,
    pub owner: &'static str,
    pub owner_word: String,
    /// What the fix covers, when it covers more than one thing.
    pub items: Vec<String>,
    pub summary: String,
    pub steps: Vec<String>,
    pub link: Option<String>,
    pub breaks: String,
    pub until: Option<String>,
    /// The findings' codes, for support.
    pub codes: String,
    pub raw_errors: Vec<String>,
}

/// The same account through another login.
pub struct Reach {
    pub person: String,
    pub href: String,
    pub status: &'static str,
    pub status_word: &'static str,
    pub note: String,
}

pub struct Named {
    pub label: String,
    pub code: String,
}

#[derive(Template)]
#[template(path = "asset.html")]
pub struct DiagnosticsPage {
    pub chrome: Chrome,
    pub asset: Row,
    pub login_id: String,
    pub person: String,
    pub network: &'static str,
    pub login_status: &'static str,
    pub login_status_word: &'static str,
    /// Why the login reads better than this account, when it does.
    pub login_note: Option<String>,
    pub disconnected: Option<String>,
    pub stale: Option<String>,
    pub features: Vec<FeatureRow>,
    pub cards: Vec<Card>,
    /// `reconnect`, `refresh` or `none`: the button that fixes the first card.
    pub primary: &'static str,
    pub needs: Vec<needs::Need>,
    pub reach: Vec<Reach>,
    /// The page of this account across every login.
    pub reach_href: String,
    pub outcome: Option<Outcome>,
    pub escalation: Option<Remedy>,
    /// Status changes since the action that brought the person here.
    pub changed: Option<Vec<Change>>,
    pub access: Access,
    pub tasks: Vec<Named>,
    pub shows_tasks: bool,
    pub history: Vec<Change>,
    /// Shown unless no fix goes through the login dialog: a client who reconnects for a missing
    /// Page role or the app's own trouble spends their time and changes nothing.
    pub shares_link: bool,
    pub reconnect_link: String,
    pub link_expires: String,
    pub notice: Option<message::Notice>,
}

#[derive(Debug, Default, Deserialize)]
pub struct TabQuery {
    /// When the action that brought the person here started (microseconds).
    #[serde(default)]
    since: Option<i64>,
    /// The account's verdict before it ([`Before`]).
    #[serde(default)]
    before: Option<String>,
    /// `reconnect` or `refresh`.
    #[serde(default)]
    via: Option<String>,
}

/// `GET /app/assets/{id}`
pub async fn diagnostics(
    State(s): State<AppState>,
    member: Member,
    headers: HeaderMap,
    PathId(id): PathId,
    Query(q): Query<TabQuery>,
) -> DashResult<Response> {
    let ws = member.ws();
    let now = s.clock.now();
    let id = AssetId(id);
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
    let report_value = s.store.get_asset_report(ws, id).await?.map(|r| r.value);
    let record = AssetRecord {
        asset: asset.clone(),
        report: report_value.clone(),
    };
    let row = asset_row(&record, &login, now);
    let report: Option<AssetReport> = report_value.and_then(|v| serde_json::from_value(v).ok());
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
    let person = login.person_name.as_str();

    let findings: Vec<Finding> = report
        .as_ref()
        .map(|r| r.findings.clone())
        .unwrap_or_default();
    // Login-wide findings the account's report does not already carry.
    let extra: Vec<Finding> = login_report
        .as_ref()
        .map(|l| {
            l.findings
                .iter()
                .filter(|f| {
                    !findings
                        .iter()
                        .any(|g| g.code == f.code && g.permission == f.permission)
                })
                .cloned()
                .collect()
        })
        .unwrap_or_default();
    let all: Vec<&Finding> = findings.iter().chain(&extra).collect();
    let cards = cards_for(&all, person, login.network, Some((&asset.name, asset.kind)));
    let primary = primary_button(all.iter().copied(), login.network);
    let shares_link = all.is_empty() || all.iter().any(|f| fixed_by_reconnecting(f, login.network));

    let features = report
        .as_ref()
        .map(|r| {
            r.features
                .iter()
                .map(|(f, v)| FeatureRow {
                    name: words::feature_on(*f, login.network),
                    verdict: v.as_str(),
                    word: match v {
                        FeatureVerdict::Available => "Works",
                        FeatureVerdict::AtRisk => "Works, at risk",
                        FeatureVerdict::Unavailable => "Does not work",
                    },
                })
                .collect()
        })
        .unwrap_or_default();

    let (_, page_name) = message::access_page(&s, &asset, facts.as_ref()).await?;
    let notice = message::for_page_admin(person, &page_name, &all, login.network);

    let judge = s
        .checker
        .judge_for_network(&s.store, ws, login.network)
        .await?;
    let needs = needs::needs(
        judge.engine.catalog(),
        judge.engine.features(),
        asset.kind,
        login_report.as_ref(),
        facts.as_ref(),
        &findings,
    );
    let reach = s
        .store
        .list_account_reach(ws, asset.kind, &asset.platform_id)
        .await?
        .into_iter()
        .filter(|r| r.asset.id != asset.id)
        .collect::<Vec<_>>();
    let mut others = Vec::with_capacity(reach.len());
    for r in reach {
        if let Some(l) = s.store.get_login(ws, r.asset.login_id).await? {
            others.push(reach_of(&r, &l));
        }
    }

    let mut transitions = s.store.list_transitions(ws, login.id).await?;
    transitions.retain(|t| t.asset_id.is_none() || t.asset_id == Some(id));
    transitions.reverse();
    let since = q.since.and_then(|m| Timestamp::from_microsecond(m).ok());
    let outcome = q
        .before
        .as_deref()
        .and_then(Before::parse)
        .zip(report.as_ref())
        .map(|(b, r)| changes::compare(&b, r, login.network));
    let escalation = match (&outcome, q.via.as_deref()) {
        (Some(o), Some("reconnect")) if o.nothing && asset.status != Status::Connected => {
            words::remedies_for(login.network).map(|r| {
                r.escalation(&RemedyContext {
                    asset_name: Some(&asset.name),
                    person: Some(person),
                    ..RemedyContext::default()
                })
            })
        }
        _ => None,
    };
    let changed = since.map(|since| {
        transitions
            .iter()
            .filter(|t| t.at >= since)
            .map(|t| change(t, &asset.name, &login, now))
            .collect()
    });
    let history = transitions
        .iter()
        .map(|t| change(t, &asset.name, &login, now))
        .collect();

    let (link, link_expires) = crate::links::reconnect_url(&s, &login);
    let login_note = login_note(&login, asset.status);
    let page = DiagnosticsPage {
        chrome: Chrome::new(&member, &headers, "accounts"),
        asset: row,
        login_id: login.id.to_string(),
        person: login.person_name.clone(),
        network: words::network(login.network),
        login_status: login.status.as_str(),
        login_status_word: words::status(login.status),
        login_note,
        disconnected: login
            .disconnected_at
            .map(|t| format!("Disconnected in Tether on {}.", words::date_time(t))),
        stale: crate::service::stale(&login).then(|| {
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
        cards,
        primary,
        needs,
        reach: others,
        reach_href: format!("/app/accounts/{}/{}", asset.kind, asset.platform_id),
        outcome,
        escalation,
        changed,
        access: access(&login, login_report.as_ref(), now),
        shows_tasks: asset.kind == AssetKind::FacebookPage,
        tasks: facts
            .map(|f| {
                f.tasks
                    .iter()
                    .map(|t| Named {
                        label: words::task(t),
                        code: t.clone(),
                    })
                    .collect()
            })
            .unwrap_or_default(),
        history,
        shares_link,
        reconnect_link: link.to_string(),
        link_expires: words::date_time(link_expires),
        notice,
    };
    render(&page, &page.chrome)
}

/// A login's badge never reads better than its account without saying why.
pub fn login_note(login: &Login, asset: Status) -> Option<String> {
    (asset.triage() < login.status.triage() && asset != Status::Pending).then(|| {
        format!(
            "The login itself works; what this account lacks is on the account (below), not on {}'s login.",
            login.person_name
        )
    })
}

fn reach_of(r: &AssetRecord, login: &Login) -> Reach {
    let report: Option<AssetReport> = r
        .report
        .as_ref()
        .and_then(|v| serde_json::from_value(v.clone()).ok());
    let note = match &report {
        Some(rep) => {
            let works: Vec<String> = rep
                .features
                .iter()
                .filter(|(_, v)| **v != FeatureVerdict::Unavailable)
                .map(|(f, _)| words::label_on(*f, login.network))
                .collect();
            let until = rep.findings.iter().filter_map(|f| f.until).min();
            match (works.is_empty(), until) {
                (true, _) => "nothing works through this login".to_owned(),
                (false, Some(t)) if rep.status == Status::AtRisk => {
                    format!("{} work until {}", works.join(", "), words::date(t))
                }
                (false, _) => format!("{} work", works.join(", ")),
            }
        }
        None => "not checked yet".to_owned(),
    };
    Reach {
        person: login.person_name.clone(),
        href: format!("/app/assets/{}", r.asset.id),
        status: r.asset.status.as_str(),
        status_word: words::status(r.asset.status),
        note,
    }
}

/// Whether `finding`'s fix ends with the person who connected going through the login dialog
/// again (its remedy's button), as logging in again, ticking the account or a newly linked
/// Instagram account do.
fn fixed_by_reconnecting(finding: &Finding, network: tether_core::Network) -> bool {
    button_of(finding, network) == Some(Button::Reconnect)
}

/// The button that takes effect once `finding`'s fix is made, in its network's words.
fn button_of(finding: &Finding, network: tether_core::Network) -> Option<Button> {
    let action = finding.fix()?;
    words::remedies_for(network).map(|r| r.action(action).button)
}

/// `reconnect`, `refresh` or `none`: the button that fixes the first finding a person can fix
/// (an app review that breaks nothing yet is only information).
pub fn primary_button<'a>(
    findings: impl IntoIterator<Item = &'a Finding>,
    network: tether_core::Network,
) -> &'static str {
    findings
        .into_iter()
        .find(|f| f.fix().is_some())
        .and_then(|f| button_of(f, network))
        .map_or("none", |b| match b {
            Button::Reconnect => "reconnect",
            Button::Refresh => "refresh",
            Button::None => "none",
        })
}

/// One card per fix, in the order of the findings (worst first). `asset` is the account they are
/// about (none for a login's own findings).
pub fn cards_for(
    findings: &[&Finding],
    person: &str,
    network: tether_core::Network,
    asset: Option<(&str, AssetKind)>,
) -> Vec<Card> {
    let mut groups: Vec<(Action, Vec<&Finding>)> = Vec::new();
    for f in findings {
        let a = f.code.action();
        match groups.iter_mut().find(|(g, _)| *g == a) {
            Some((_, fs)) => fs.push(f),
            None => groups.push((a, vec![f])),
        }
    }
    groups
        .into_iter()
        .map(|(_, fs)| {
            let first = fs[0];
            let mut views = fs.iter().map(|f| FindingView::new(f, person, network));
            let view = views.next().expect("a group holds at least one finding");
            let rest: Vec<FindingView> = views.collect();
            let views = || std::iter::once(&view).chain(&rest);
            let many = !rest.is_empty();
            let mut steps: Vec<String> = Vec::new();
            for st in fs.iter().flat_map(|f| &f.remedy.steps) {
                if !steps.contains(st) {
                    steps.push(st.clone());
                }
            }
            let mut features: Vec<Feature> = fs.iter().flat_map(|f| f.features.clone()).collect();
            features.sort();
            features.dedup();
            Card {
                heading: if many {
                    words::todo_many(first, person, network, asset)
                } else {
                    words::todo(first, person, network, asset)
                },
                items: if many {
                    views().map(|v| v.title.clone()).collect()
                } else {
                    Vec::new()
                },
                summary: if many {
                    String::new()
                } else {
                    first.remedy.summary.clone()
                },
                steps,
                link: fs.iter().find_map(|f| f.remedy.link.clone()),
                breaks: words::features_on(&features, network),
                codes: views()
                    .map(|v| v.code.as_str())
                    .collect::<Vec<_>>()
                    .join("; "),
                raw_errors: views().filter_map(|v| v.raw_error.clone()).collect(),
                owner: view.owner,
                owner_word: view.owner_word.clone(),
                until: view.until.clone(),
            }
        })
        .collect()
}

pub fn change(t: &Transition, asset_name: &str, login: &Login, now: Timestamp) -> Change {
    let findings: Vec<Finding> = serde_json::from_value(t.findings.clone()).unwrap_or_default();
    Change {
        when: format!("{} ({})", words::date_time(t.at), words::ago(t.at, now)),
        what: if t.asset_id.is_some() {
            asset_name.to_owned()
        } else {
            words::login_name(login)
        },
        from: t.old_status.map(|s| (s.as_str(), words::status(s))),
        to: (t.new_status.as_str(), words::status(t.new_status)),
        // A change no check made (a catalog change) leads with its own words.
        why: t
            .cause
            .iter()
            .cloned()
            .chain(
                findings
                    .iter()
                    .map(|f| FindingView::new(f, &login.person_name, login.network).title),
            )
            .collect(),
    }
}
