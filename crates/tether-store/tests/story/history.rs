//! Diagnoses: every status change is kept, in order, and announced once through the outbox.

use crate::harness::{TestDb, for_each_engine, t, verdict, workspace_with_login};
use serde_json::json;
use tether_core::vocab::{AssetKind, Status};
use tether_store::{Diagnosis, FactsSubject, NewAsset, Store};

#[tokio::test]
async fn transitions_are_recorded_in_order_and_announced_once() {
    for_each_engine(history).await;
}

fn diagnosis(
    login: Status,
    asset: tether_store::AssetId,
    status: Status,
    code: &str,
    at: i64,
) -> Diagnosis {
    Diagnosis {
        report: json!({"status": login.as_str(), "at": at}),
        login_status: login,
        login_findings: json!([]),
        login_owners: vec![],
        login_unavailable: vec![],
        login_at_risk: vec![],
        login_fixes: vec![],
        assets: vec![verdict(
            asset,
            status,
            if code.is_empty() {
                json!([])
            } else {
                json!([{"code": code}])
            },
        )],
        at: t(at),
        cause: None,
    }
}

async fn history(db: TestDb) {
    let s = &db.store;
    let (ws, login) = workspace_with_login(s, "dana").await;
    let page = s
        .upsert_asset(
            ws,
            login.id,
            NewAsset {
                kind: AssetKind::FacebookPage,
                platform_id: "77".into(),
                name: "Dana's".into(),
            },
        )
        .await
        .unwrap();
    assert_eq!(page.status, Status::Pending);
    // Re-discovering the asset renames it but keeps identity and status.
    let renamed = s
        .upsert_asset(
            ws,
            login.id,
            NewAsset {
                kind: AssetKind::FacebookPage,
                platform_id: "77".into(),
                name: "Dana's Shop".into(),
            },
        )
        .await
        .unwrap();
    assert_eq!(
        (renamed.id, renamed.name.as_str()),
        (page.id, "Dana's Shop")
    );

    use Status::*;
    let steps = [
        (Connected, Connected, "", 10),
        (Connected, Connected, "", 20), // unchanged: no history, no event
        (ActionRequired, ActionRequired, "permission_declined", 30),
        (Disconnected, Disconnected, "password_changed", 40),
        (Connected, Connected, "", 50),
    ];
    let mut written = 0;
    for (l, a, code, at) in steps {
        written += s
            .record_diagnosis(ws, login.id, &diagnosis(l, page.id, a, code, at))
            .await
            .unwrap()
            .len();
    }
    let history = s.list_transitions(ws, login.id).await.unwrap();
    assert_eq!(history.len(), written);
    let asset_path: Vec<_> = history
        .iter()
        .filter(|t| t.asset_id == Some(page.id))
        .map(|t| (t.old_status.unwrap(), t.new_status, t.at))
        .collect();
    assert_eq!(
        asset_path,
        vec![
            (Pending, Connected, t(10)),
            (Connected, ActionRequired, t(30)),
            (ActionRequired, Disconnected, t(40)),
            (Disconnected, Connected, t(50)),
        ],
        "{}",
        db.engine()
    );
    let declined = history
        .iter()
        .find(|tr| tr.asset_id == Some(page.id) && tr.at == t(30))
        .unwrap();
    assert_eq!(declined.findings, json!([{"code": "permission_declined"}]));
    assert_eq!(history.iter().filter(|t| t.asset_id.is_none()).count(), 4);

    let asset_events: Vec<_> = s
        .list_events(ws)
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.event_type.starts_with("asset."))
        .map(|e| {
            (
                e.event_type,
                e.payload["old_status"].clone(),
                e.payload["new_status"].clone(),
            )
        })
        .collect();
    assert_eq!(
        asset_events,
        vec![
            (
                "asset.status_changed".into(),
                json!("pending"),
                json!("connected")
            ),
            (
                "asset.status_changed".into(),
                json!("connected"),
                json!("action_required")
            ),
            (
                "asset.status_changed".into(),
                json!("action_required"),
                json!("disconnected")
            ),
            (
                "asset.resolved".into(),
                json!("disconnected"),
                json!("connected")
            ),
        ]
    );

    let now = s.get_asset(ws, page.id).await.unwrap().unwrap();
    assert_eq!((now.status, now.last_verified_at), (Connected, Some(t(50))));
    let report = s.get_diagnosis(ws, login.id).await.unwrap().unwrap();
    assert_eq!((report.value["at"].as_i64(), report.at), (Some(50), t(50)));
    let l = s.get_login(ws, login.id).await.unwrap().unwrap();
    assert_eq!((l.status, l.last_verified_at), (Connected, Some(t(50))));

    // Facts: latest wins, with the time they were seen.
    s.put_facts(
        ws,
        login.id,
        FactsSubject::Login(login.id),
        &json!({"scopes": ["a"]}),
        t(5),
    )
    .await
    .unwrap();
    s.put_facts(
        ws,
        login.id,
        FactsSubject::Login(login.id),
        &json!({"scopes": ["a", "b"]}),
        t(6),
    )
    .await
    .unwrap();
    let facts = s
        .get_facts(ws, FactsSubject::Login(login.id))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (facts.value, facts.at),
        (json!({"scopes": ["a", "b"]}), t(6))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn each_workspace_gets_one_digest_per_period() {
    for_each_engine(digest).await;
}

async fn digest(db: TestDb) {
    let s = &db.store;
    let (ws, login) = workspace_with_login(s, "pat").await;
    let (other, _) = workspace_with_login(s, "quinn").await;
    let mut listed: Vec<_> = s
        .list_workspaces()
        .await
        .unwrap()
        .into_iter()
        .map(|w| w.id)
        .collect();
    listed.sort();
    let mut want = vec![ws, other];
    want.sort();
    assert_eq!(listed, want, "{}", db.engine());

    const DAY: std::time::Duration = std::time::Duration::from_secs(86_400);
    // Two processes asking at once: one sends it.
    let (a, b) = tokio::join!(
        s.claim_digest(ws, t(1_000), DAY),
        s.claim_digest(ws, t(1_000), DAY)
    );
    assert!(a.unwrap() ^ b.unwrap());
    assert!(!s.claim_digest(ws, t(80_000), DAY).await.unwrap());
    assert!(
        s.claim_digest(other, t(80_000), DAY).await.unwrap(),
        "per workspace"
    );
    assert!(s.claim_digest(ws, t(1_000 + 86_400), DAY).await.unwrap());
    assert!(!s.claim_digest(ws, t(1_000 + 86_401), DAY).await.unwrap());

    let asset = s
        .upsert_asset(
            ws,
            login.id,
            NewAsset {
                kind: AssetKind::FacebookPage,
                platform_id: "8".into(),
                name: "P".into(),
            },
        )
        .await
        .unwrap();
    use Status::*;
    for (status, at) in [(Connected, 10), (AtRisk, 20), (Connected, 30)] {
        s.record_diagnosis(
            ws,
            login.id,
            &diagnosis(Connected, asset.id, status, "", at),
        )
        .await
        .unwrap();
    }
    let since = s.list_transitions_since(ws, t(20)).await.unwrap();
    assert_eq!(
        since
            .iter()
            .map(|tr| (tr.asset_id, tr.new_status, tr.at))
            .collect::<Vec<_>>(),
        vec![
            (Some(asset.id), AtRisk, t(20)),
            (Some(asset.id), Connected, t(30))
        ]
    );
    assert_eq!(s.list_transitions_since(ws, t(0)).await.unwrap().len(), 4);
    assert!(
        s.list_transitions_since(other, t(0))
            .await
            .unwrap()
            .is_empty()
    );
}

/// A check that started earlier but commits later (a slow platform call) is stamped after the
/// one that committed first: a login's history and events follow commit order.
#[tokio::test]
async fn history_follows_commit_order() {
    for_each_engine(commit_order).await;
}

async fn commit_order(db: TestDb) {
    let s = &db.store;
    let (ws, login) = workspace_with_login(s, "erin").await;
    let page = s
        .upsert_asset(
            ws,
            login.id,
            NewAsset {
                kind: AssetKind::FacebookPage,
                platform_id: "78".into(),
                name: "Erin's".into(),
            },
        )
        .await
        .unwrap();
    use Status::*;
    // The fast check (started at 50) commits first; the slow one (started at 40) after it.
    let fast = diagnosis(Connected, page.id, Connected, "", 50);
    let slow = diagnosis(
        ActionRequired,
        page.id,
        ActionRequired,
        "permission_declined",
        40,
    );
    s.record_diagnosis(ws, login.id, &fast).await.unwrap();
    let later = s.record_diagnosis(ws, login.id, &slow).await.unwrap();
    assert!(later.iter().all(|tr| tr.at > t(50)), "{later:?}");
    let history = s.list_asset_transitions(ws, page.id).await.unwrap();
    let statuses: Vec<Status> = history.iter().map(|t| t.new_status).collect();
    assert_eq!(
        statuses,
        [Connected, ActionRequired],
        "the last committed is the last shown"
    );
    assert!(history.windows(2).all(|w| w[0].at < w[1].at), "{history:?}");
    let events = s.list_events(ws).await.unwrap();
    let last = events.last().unwrap();
    assert_eq!(last.payload["new_status"], "action_required", "{last:?}");
}
