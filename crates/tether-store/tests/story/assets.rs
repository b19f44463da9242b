//! Assets: per-asset reports, owners and features kept by every diagnosis; listings filtered by
//! each of them and paged by id; the cross-workspace scan that feeds the pre-flight index.

use crate::harness::{
    TestDb, all_assets, for_each_engine, new_login, page, t, verdict, workspace_with_login,
};
use serde_json::json;
use tether_core::vocab::{AssetKind, Feature, Network, Owner, Status};
use tether_store::{
    Asset, AssetFilter, AssetId, AssetRecord, AssetVerdict, Diagnosis, LoginId, NewAsset, SqlStore,
    Store, WorkspaceId,
};

#[tokio::test]
async fn assets_are_filtered_paged_and_reported() {
    for_each_engine(filters).await;
}

fn with(
    v: AssetVerdict,
    owners: &[Owner],
    unavailable: &[Feature],
    at_risk: &[Feature],
) -> AssetVerdict {
    AssetVerdict {
        owners: owners.to_vec(),
        unavailable: unavailable.to_vec(),
        at_risk: at_risk.to_vec(),
        fixes: vec![],
        ..v
    }
}

async fn diagnose(
    s: &SqlStore,
    ws: WorkspaceId,
    login: LoginId,
    assets: Vec<AssetVerdict>,
    at: i64,
) {
    s.record_diagnosis(
        ws,
        login,
        &Diagnosis {
            report: json!({"at": at}),
            login_status: Status::Connected,
            login_findings: json!([]),
            login_owners: vec![],
            login_unavailable: vec![],
            login_at_risk: vec![],
            login_fixes: vec![],
            assets,
            at: t(at),
            cause: None,
        },
    )
    .await
    .unwrap();
}

async fn instagram(s: &SqlStore, ws: WorkspaceId, login: LoginId, id: &str) -> Asset {
    s.upsert_asset(
        ws,
        login,
        NewAsset {
            kind: AssetKind::InstagramAccount,
            platform_id: id.to_owned(),
            name: format!("@{id}"),
        },
    )
    .await
    .unwrap()
}

fn ids(assets: &[Asset]) -> Vec<AssetId> {
    assets.iter().map(|a| a.id).collect()
}

async fn filters(db: TestDb) {
    let s = &db.store;
    let (ws, meta) = workspace_with_login(s, "kim").await;
    let mut ig_login = new_login("kim-ig", "IG-token");
    ig_login.network = Network::Instagram;
    let ig_login = s.upsert_login(ws, ig_login, t(0)).await.unwrap();
    let p1 = page(s, ws, meta.id, "1").await;
    let p2 = page(s, ws, meta.id, "2").await;
    let ig1 = instagram(s, ws, meta.id, "one").await;
    let ig2 = instagram(s, ws, ig_login.id, "two").await;
    use Feature::*;
    use Owner::*;
    diagnose(
        s,
        ws,
        meta.id,
        vec![
            verdict(p1.id, Status::Connected, json!([])),
            with(
                verdict(
                    p2.id,
                    Status::ActionRequired,
                    json!([{"code": "task_missing"}]),
                ),
                &[AssetAdmin],
                &[Publish],
                &[],
            ),
            with(
                verdict(ig1.id, Status::AtRisk, json!([])),
                &[ConnectingUser],
                &[],
                &[Analytics],
            ),
        ],
        10,
    )
    .await;
    diagnose(
        s,
        ws,
        ig_login.id,
        vec![with(
            verdict(ig2.id, Status::Disconnected, json!([])),
            &[Platform, ConnectingUser],
            &[Inbox, Publish],
            &[],
        )],
        20,
    )
    .await;
    let p3 = page(s, ws, meta.id, "3").await; // never diagnosed

    let got = s.get_asset(ws, ig2.id).await.unwrap().unwrap();
    assert_eq!(
        (got.owners, got.unavailable, got.at_risk, got.updated_at),
        (
            vec![ConnectingUser, Platform],
            vec![Publish, Inbox],
            vec![],
            t(20)
        ),
        "{}",
        db.engine()
    );
    assert_eq!(
        s.get_asset(ws, p3.id).await.unwrap().unwrap().updated_at,
        jiff::Timestamp::UNIX_EPOCH
    );

    let list = |f: AssetFilter| async move { ids(&s.list_assets(ws, &f).await.unwrap()) };
    let f = all_assets;
    assert_eq!(list(f()).await, vec![p1.id, p2.id, ig1.id, ig2.id, p3.id]);
    let cases: Vec<(AssetFilter, Vec<AssetId>)> = vec![
        (
            AssetFilter {
                login: Some(ig_login.id),
                ..f()
            },
            vec![ig2.id],
        ),
        (
            AssetFilter {
                status: Some(Status::ActionRequired),
                ..f()
            },
            vec![p2.id],
        ),
        (
            AssetFilter {
                status: Some(Status::Pending),
                ..f()
            },
            vec![p3.id],
        ),
        (
            AssetFilter {
                network: Some(Network::Instagram),
                ..f()
            },
            vec![ig2.id],
        ),
        (
            AssetFilter {
                network: Some(Network::Meta),
                ..f()
            },
            vec![p1.id, p2.id, ig1.id, p3.id],
        ),
        (
            AssetFilter {
                kind: Some(AssetKind::InstagramAccount),
                ..f()
            },
            vec![ig1.id, ig2.id],
        ),
        (
            AssetFilter {
                owner: Some(ConnectingUser),
                ..f()
            },
            vec![ig1.id, ig2.id],
        ),
        (
            AssetFilter {
                owner: Some(BusinessAdmin),
                ..f()
            },
            vec![],
        ),
        (
            AssetFilter {
                feature: Some(Publish),
                ..f()
            },
            vec![p2.id, ig2.id],
        ),
        (
            AssetFilter {
                feature: Some(Analytics),
                ..f()
            },
            vec![ig1.id],
        ),
        (
            AssetFilter {
                kind: Some(AssetKind::InstagramAccount),
                owner: Some(Platform),
                ..f()
            },
            vec![ig2.id],
        ),
        (
            AssetFilter {
                login: Some(meta.id),
                feature: Some(Inbox),
                ..f()
            },
            vec![],
        ),
        (AssetFilter { limit: 0, ..f() }, vec![]),
    ];
    for (filter, want) in cases {
        assert_eq!(list(filter.clone()).await, want, "{filter:?}");
    }

    // Keyset pages of two cover everything once, in id order.
    let mut paged = Vec::new();
    let mut after = None;
    loop {
        let got = list(AssetFilter {
            after,
            limit: 2,
            ..f()
        })
        .await;
        if got.is_empty() {
            break;
        }
        assert!(got.len() <= 2);
        after = got.last().copied();
        paged.extend(got);
    }
    assert_eq!(paged, list(f()).await);

    use Status::*;
    assert_eq!(
        s.count_assets_by_status(ws).await.unwrap(),
        vec![
            (Connected, 1),
            (AtRisk, 1),
            (ActionRequired, 1),
            (Disconnected, 1),
            (Pending, 1)
        ]
    );
    let report = s.get_asset_report(ws, p2.id).await.unwrap().unwrap();
    assert_eq!(report.at, t(10));
    assert_eq!(report.value["findings"], json!([{"code": "task_missing"}]));
    assert!(s.get_asset_report(ws, p3.id).await.unwrap().is_none());
    assert_eq!(
        s.get_login(ws, meta.id)
            .await
            .unwrap()
            .unwrap()
            .last_changed_at,
        Some(t(10))
    );

    // A diagnosis naming only p1 refreshes its report even without a change, and leaves the
    // others as they were.
    diagnose(
        s,
        ws,
        meta.id,
        vec![verdict(p1.id, Connected, json!([{"note": "fresh"}]))],
        30,
    )
    .await;
    let r = s.get_asset_report(ws, p1.id).await.unwrap().unwrap();
    assert_eq!(
        (r.at, r.value["findings"].clone()),
        (t(30), json!([{"note": "fresh"}]))
    );
    let p2_now = s.get_asset(ws, p2.id).await.unwrap().unwrap();
    assert_eq!(
        (p2_now.status, p2_now.updated_at, p2_now.owners),
        (ActionRequired, t(10), vec![AssetAdmin])
    );
    let login_now = s.get_login(ws, meta.id).await.unwrap().unwrap();
    assert_eq!(login_now.last_changed_at, Some(t(10)), "nothing changed");
    diagnose(s, ws, meta.id, vec![verdict(p1.id, AtRisk, json!([]))], 40).await;
    let login_now = s.get_login(ws, meta.id).await.unwrap().unwrap();
    assert_eq!(login_now.last_changed_at, Some(t(40)));
    let p1_history = s.list_asset_transitions(ws, p1.id).await.unwrap();
    assert_eq!(
        p1_history
            .iter()
            .map(|tr| (tr.old_status, tr.new_status, tr.at))
            .collect::<Vec<_>>(),
        vec![
            (Some(Pending), Connected, t(10)),
            (Some(Connected), AtRisk, t(40))
        ]
    );
    assert!(
        p1_history
            .iter()
            .all(|tr| tr.asset_id == Some(p1.id) && tr.workspace_id == ws)
    );

    // The scan crosses workspaces, ordered by (updated_at, id), and pages by that key.
    let (other_ws, other_login) = workspace_with_login(s, "lee").await;
    let other = page(s, other_ws, other_login.id, "x").await;
    diagnose(
        s,
        other_ws,
        other_login.id,
        vec![verdict(other.id, Connected, json!([]))],
        25,
    )
    .await;
    let key = |r: &AssetRecord| (r.asset.updated_at, r.asset.id);
    let full = s.scan_assets(None, None, 100).await.unwrap();
    assert_eq!(
        full.iter().map(|r| r.asset.id).collect::<Vec<_>>(),
        vec![p3.id, p2.id, ig1.id, ig2.id, other.id, p1.id]
    );
    assert!(full[0].report.is_none());
    assert_eq!(
        full[5].report,
        Some(json!({"status": "at_risk", "findings": []}))
    );
    let since = s.scan_assets(Some(t(20)), None, 100).await.unwrap();
    assert_eq!(
        since.iter().map(|r| r.asset.id).collect::<Vec<_>>(),
        vec![other.id, p1.id]
    );
    let mut paged = Vec::new();
    let mut after = None;
    loop {
        let got = s.scan_assets(None, after, 2).await.unwrap();
        let Some(last) = got.last() else { break };
        after = Some(key(last));
        paged.extend(got);
    }
    assert_eq!(paged, full);
    let mut paged = Vec::new();
    let mut after = None;
    loop {
        let got = s.scan_assets(Some(t(10)), after, 1).await.unwrap();
        let Some(last) = got.last() else { break };
        after = Some(key(last));
        paged.extend(got);
    }
    assert_eq!(paged, full[3..].to_vec());
}
