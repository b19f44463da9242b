//! Recording a diagnosis: assets created on first sight, the facts they were judged on, the
//! report with every status change and its events in one transaction, the fixes each finding
//! calls for, and what the network wants back at the next check.

use super::Checker;
use crate::fixes;
use jiff::Timestamp;
use std::collections::HashSet;
use tether_core::{
    Action, AssetFacts, AssetReport, Feature, FeatureVerdict, LoginFacts, Owner, Report,
};
use tether_platform::Snapshot;
use tether_store::{
    AssetId, AssetVerdict, CheckStore, CheckedFacts, Diagnosis, FactsSubject, Login, LoginId, Seen,
    SqlStore, Store, StoreError, Transition,
};

/// The login's stored facts and its assets' (with their ids), as last seen, in one read.
pub async fn stored_facts(store: &SqlStore, login: &Login) -> Result<CheckedFacts, StoreError> {
    store.checked_facts(login.workspace_id, login.id).await
}

/// What a check concluded about a login, ready to store.
#[derive(Debug, Clone, Copy)]
pub struct Judged<'a> {
    pub facts: &'a LoginFacts,
    /// The assets judged, in the report's order.
    pub assets: &'a [AssetFacts],
    pub report: &'a Report,
    /// What token inspection said, kept so the next routine check can skip it.
    pub known: Option<&'a serde_json::Value>,
}

/// Stores a judged login in one transaction: its assets (created on first sight), the facts they
/// were judged on, what token inspection said, and the report with every status change and its
/// events. `stored` gives the ids of the assets already stored.
pub async fn record(
    store: &SqlStore,
    login: &Login,
    stored: &CheckedFacts,
    judged: Judged<'_>,
    now: Timestamp,
) -> Result<Vec<Transition>, StoreError> {
    let ws = login.workspace_id;
    let Judged {
        facts,
        assets,
        report,
        known,
    } = judged;
    let ids: Vec<(AssetId, &AssetFacts)> = assets
        .iter()
        .map(|a| {
            let id = stored
                .assets
                .iter()
                .find(|(_, s)| s.kind == a.kind && s.id == a.id)
                .map_or_else(|| AssetId(uuid::Uuid::now_v7()), |(id, _)| *id);
            (id, a)
        })
        .collect();
    let verdicts = ids
        .iter()
        .zip(&report.assets)
        .map(|((id, facts), r)| verdict(login.id, *id, Some(facts), r))
        .collect();
    let seen = Seen {
        login: facts,
        assets: &ids,
        known_token: known,
    };
    store
        .record_check(
            ws,
            login.id,
            seen,
            &diagnosis(login.id, report, verdicts, now),
        )
        .await
        .inspect(|_| crate::dashboard::overview::forget_counts(ws))
}

/// What the store keeps of one asset's report: its status and findings for history and events,
/// the report itself, who must act and what breaks for filtering, and the fixes it calls for.
/// `facts` name the Page an Instagram account's fixes go through.
pub fn verdict(
    login: LoginId,
    asset_id: AssetId,
    facts: Option<&AssetFacts>,
    report: &AssetReport,
) -> AssetVerdict {
    let mut owners: Vec<Owner> = Vec::new();
    for f in &report.findings {
        if !owners.contains(&f.owner) {
            owners.push(f.owner);
        }
    }
    let of = |v: FeatureVerdict| {
        report
            .features
            .iter()
            .filter(|(_, verdict)| **verdict == v)
            .map(|(f, _)| *f)
            .collect::<Vec<_>>()
    };
    AssetVerdict {
        asset_id,
        status: report.status,
        findings: json(&report.findings),
        report: json(report),
        owners,
        unavailable: of(FeatureVerdict::Unavailable),
        at_risk: of(FeatureVerdict::AtRisk),
        fixes: fixes::fixes(
            login,
            Some(&fixes::Subject::of(report, facts)),
            &report.findings,
        ),
    }
}

/// A login's report with its assets' verdicts, ready for `Store::record_diagnosis`.
pub fn diagnosis(
    login: LoginId,
    report: &Report,
    assets: Vec<AssetVerdict>,
    at: Timestamp,
) -> Diagnosis {
    let findings = &report.login.findings;
    let mut owners: Vec<Owner> = findings.iter().map(|f| f.owner).collect();
    owners.sort();
    owners.dedup();
    // A dated finding endangers its features; any other finding on the login blocks them.
    let features = |at_risk: bool| {
        let mut out: Vec<Feature> = findings
            .iter()
            .filter(|f| (f.code.action() == Action::Renew) == at_risk)
            .flat_map(|f| f.features.iter().copied())
            .collect();
        out.sort();
        out.dedup();
        out
    };
    Diagnosis {
        report: json(report),
        login_status: report.login.status,
        login_findings: json(findings),
        login_owners: owners,
        login_unavailable: features(false),
        login_at_risk: features(true),
        login_fixes: fixes::fixes(login, None, findings),
        assets,
        at,
        cause: None,
    }
}

/// Writes the fixes of verdicts recorded before fixes were kept (store migration 0005), from the
/// stored reports and facts, without judging anything again: a database upgraded while a login
/// is broken counts it at once, not after its next check. Returns how many logins it wrote.
pub async fn backfill_fixes(store: &SqlStore) -> Result<usize, StoreError> {
    let mut done: HashSet<LoginId> = HashSet::new();
    loop {
        let batch = store.logins_missing_fixes(100).await?;
        let todo: Vec<Login> = batch
            .into_iter()
            .filter(|l| !done.contains(&l.id))
            .collect();
        if todo.is_empty() {
            return Ok(done.len());
        }
        for login in todo {
            let ws = login.workspace_id;
            let report: Option<Report> = store
                .get_diagnosis(ws, login.id)
                .await?
                .and_then(|d| serde_json::from_value(d.value).ok());
            let login_fixes = report
                .as_ref()
                .map(|r| fixes::fixes(login.id, None, &r.login.findings))
                .unwrap_or_default();
            let mut assets = Vec::new();
            for r in store.list_login_records(ws, login.id).await? {
                let Some(rep) = r
                    .report
                    .and_then(|v| serde_json::from_value::<AssetReport>(v).ok())
                else {
                    continue;
                };
                let facts: Option<AssetFacts> = store
                    .get_facts(ws, FactsSubject::Asset(r.asset.id))
                    .await?
                    .and_then(|f| serde_json::from_value(f.value).ok());
                let subject = fixes::Subject::of(&rep, facts.as_ref());
                assets.push((
                    r.asset.id,
                    fixes::fixes(login.id, Some(&subject), &rep.findings),
                ));
            }
            store.put_fixes(ws, login.id, &login_fixes, &assets).await?;
            done.insert(login.id);
        }
    }
}

/// Diagnoses what the platform just said about a login against what the store knows, records it
/// with what the network wants back at the next check: the worker's and connect's one path.
pub async fn record_snapshot(
    store: &SqlStore,
    checker: &Checker,
    login: &Login,
    snapshot: Snapshot,
    now: Timestamp,
) -> Result<(Report, Vec<Transition>), StoreError> {
    let stored = stored_facts(store, login).await?;
    let judge = checker
        .judge_for_network(store, login.workspace_id, login.network)
        .await?;
    let previous = stored.assets.iter().map(|(_, f)| f.clone()).collect();
    let (assets, report) = judge.diagnose(&snapshot.login, snapshot.assets, previous, now);
    let judged = Judged {
        facts: &snapshot.login,
        assets: &assets,
        report: &report,
        known: snapshot.known.as_ref(),
    };
    let transitions = record(store, login, &stored, judged, now).await?;
    Ok((report, transitions))
}

fn json<T: serde::Serialize>(value: &T) -> serde_json::Value {
    // Our own report and fact types always serialize: they hold no maps with non-string keys.
    serde_json::to_value(value).unwrap_or(serde_json::Value::Null)
}
