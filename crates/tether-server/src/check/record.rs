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
    AssetFilter, AssetId, AssetVerdict, Diagnosis, FactsSubject, Login, LoginId, NewAsset,
    SqlStore, Store, StoreError, Transition,
};

/// The login's stored facts and its assets' stored facts, as last seen.
pub async fn stored_facts(
    store: &SqlStore,
    login: &Login,
) -> Result<(Option<LoginFacts>, Vec<AssetFacts>), StoreError> {
    let ws = login.workspace_id;
    let login_facts = store
        .get_facts(ws, FactsSubject::Login(login.id))
        .await?
        .and_then(|s| serde_json::from_value::<LoginFacts>(s.value).ok());
    let filter = AssetFilter {
        login: Some(login.id),
        limit: u32::MAX,
        ..AssetFilter::default()
    };
    let mut assets = Vec::new();
    for asset in store.list_assets(ws, &filter).await? {
        let facts = store
            .get_facts(ws, FactsSubject::Asset(asset.id))
            .await?
            .and_then(|s| serde_json::from_value::<AssetFacts>(s.value).ok())
            .unwrap_or_else(|| AssetFacts {
                kind: asset.kind,
                id: asset.platform_id.clone(),
                name: Some(asset.name.clone()),
                listed: true,
                tasks: Vec::new(),
                instagram: None,
                observed: Vec::new(),
            });
        assets.push(facts);
    }
    Ok((login_facts, assets))
}

/// Stores a diagnosed login: its assets (created on first sight), the facts they were judged on,
/// and the report with every status change and its events in one transaction.
pub async fn record(
    store: &SqlStore,
    login: &Login,
    facts: &LoginFacts,
    assets: &[AssetFacts],
    report: &Report,
    now: Timestamp,
) -> Result<Vec<Transition>, StoreError> {
    let ws = login.workspace_id;
    let mut verdicts = Vec::with_capacity(report.assets.len());
    for (asset_facts, asset_report) in assets.iter().zip(&report.assets) {
        let asset = store
            .upsert_asset(
                ws,
                login.id,
                NewAsset {
                    kind: asset_facts.kind,
                    platform_id: asset_facts.id.clone(),
                    name: asset_facts
                        .name
                        .clone()
                        .unwrap_or_else(|| asset_facts.id.clone()),
                },
            )
            .await?;
        store
            .put_facts(
                ws,
                login.id,
                FactsSubject::Asset(asset.id),
                &json(asset_facts),
                now,
            )
            .await?;
        verdicts.push(verdict(login.id, asset.id, Some(asset_facts), asset_report));
    }
    store
        .put_facts(
            ws,
            login.id,
            FactsSubject::Login(login.id),
            &json(facts),
            now,
        )
        .await?;
    store
        .record_diagnosis(ws, login.id, &diagnosis(login.id, report, verdicts, now))
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

/// Diagnoses what the platform just said about a login against what the store knows, records it,
/// and keeps what the network wants back at the next check: the worker's and connect's one path.
pub async fn record_snapshot(
    store: &SqlStore,
    checker: &Checker,
    login: &Login,
    snapshot: Snapshot,
    now: Timestamp,
) -> Result<(Report, Vec<Transition>), StoreError> {
    let known = snapshot.known;
    let (_, stored) = stored_facts(store, login).await?;
    let judge = checker
        .judge_for_network(store, login.workspace_id, login.network)
        .await?;
    let (assets, report) = judge.diagnose(&snapshot.login, snapshot.assets, stored, now);
    let transitions = record(store, login, &snapshot.login, &assets, &report, now).await?;
    remember_token(store, login, known).await?;
    Ok((report, transitions))
}

/// Keeps what token inspection said so the next routine check can skip it.
async fn remember_token(
    store: &SqlStore,
    login: &Login,
    known: Option<serde_json::Value>,
) -> Result<(), StoreError> {
    if let Some(known) = known {
        store
            .set_known_token(login.workspace_id, login.id, &known)
            .await?;
    }
    Ok(())
}

fn json<T: serde::Serialize>(value: &T) -> serde_json::Value {
    // Our own report and fact types always serialize: they hold no maps with non-string keys.
    serde_json::to_value(value).unwrap_or(serde_json::Value::Null)
}
