//! The dashboard's overview: a page of logins chosen by what their assets show, then those
//! logins' assets in one query, and the counts beside them.

use crate::harness::{TestDb, for_each_engine, new_login, page, t, verdict, workspace_with_login};
use serde_json::json;
use tether_core::vocab::{Feature, Network, Owner, Status};
use tether_store::{
    AssetId, AssetRecord, AssetVerdict, Diagnosis, Login, LoginId, OverviewFilter, SqlStore, Store,
    WorkspaceId,
};

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
        ..v
    }
}

async fn diagnose(
    s: &SqlStore,
    ws: WorkspaceId,
    login: LoginId,
    login_status: Status,
    assets: Vec<AssetVerdict>,
) {
    s.record_diagnosis(
        ws,
        login,
        &Diagnosis {
            report: json!({}),
            login_status,
            login_findings: json!([]),
            assets,
            at: t(10),
        },
    )
    .await
    .unwrap();
}

fn login_ids(logins: &[Login]) -> Vec<LoginId> {
    logins.iter().map(|l| l.id).collect()
}

fn asset_ids(records: &[AssetRecord]) -> Vec<AssetId> {
    records.iter().map(|r| r.asset.id).collect()
}

fn all() -> OverviewFilter {
    OverviewFilter {
        limit: 100,
        ..OverviewFilter::default()
    }
}

#[tokio::test]
async fn the_overview_pages_logins_by_what_their_assets_show() {
    for_each_engine(overview).await;
}

async fn overview(db: TestDb) {
    use Feature::*;
    use Owner::*;
    use Status::*;
    let s = &db.store;
    let (ws, l1) = workspace_with_login(s, "u1").await;
    let mut ig = new_login("u2", "IG-token");
    ig.network = Network::Instagram;
    let l2 = s.upsert_login(ws, ig, t(0)).await.unwrap();
    let mut logins = vec![l1.clone(), l2.clone()];
    for u in ["u3", "u4", "u5", "u6", "u7"] {
        logins.push(s.upsert_login(ws, new_login(u, "tok"), t(0)).await.unwrap());
    }
    let [_, _, l3, l4, l5, l6, l7] = <[Login; 7]>::try_from(logins.clone()).unwrap();

    let p1 = page(s, ws, l1.id, "1").await;
    let p2 = page(s, ws, l1.id, "2").await;
    // Created last, listed first of its login: assets are ordered by name within a login.
    let p0 = page(s, ws, l1.id, "0").await;
    diagnose(
        s,
        ws,
        l1.id,
        ActionRequired,
        vec![
            verdict(p0.id, Connected, json!([])),
            verdict(p1.id, Connected, json!([])),
            with(
                verdict(p2.id, ActionRequired, json!([])),
                &[AssetAdmin],
                &[Publish],
                &[],
            ),
        ],
    )
    .await;
    let ig = page(s, ws, l2.id, "ig").await;
    diagnose(
        s,
        ws,
        l2.id,
        AtRisk,
        vec![with(
            verdict(ig.id, AtRisk, json!([])),
            &[ConnectingUser],
            &[],
            &[Analytics],
        )],
    )
    .await;
    // l3 has no assets and was never diagnosed: pending.
    let p4 = page(s, ws, l4.id, "4").await;
    diagnose(
        s,
        ws,
        l4.id,
        ActionRequired,
        vec![with(
            verdict(p4.id, Disconnected, json!([])),
            &[ConnectingUser, Platform],
            &[Inbox],
            &[],
        )],
    )
    .await;
    let mut connected = Vec::new();
    for l in [&l5, &l6, &l7] {
        let p = page(s, ws, l.id, &format!("c{}", l.platform_user_id)).await;
        diagnose(
            s,
            ws,
            l.id,
            Connected,
            vec![verdict(p.id, Connected, json!([]))],
        )
        .await;
        connected.push(p.id);
    }
    // Another workspace's login and asset, in every way a match.
    let (other_ws, other) = workspace_with_login(s, "x").await;
    let other_page = page(s, other_ws, other.id, "x").await;
    diagnose(
        s,
        other_ws,
        other.id,
        ActionRequired,
        vec![with(
            verdict(other_page.id, ActionRequired, json!([])),
            &[AssetAdmin],
            &[Publish],
            &[],
        )],
    )
    .await;

    // Three pages of three logins, in id order, with their current state.
    let mut pages = Vec::new();
    let mut after = None;
    loop {
        let got = s
            .list_overview_logins(
                ws,
                &OverviewFilter {
                    after,
                    limit: 3,
                    ..all()
                },
            )
            .await
            .unwrap();
        if got.is_empty() {
            break;
        }
        after = got.last().map(|l| l.id);
        pages.push(login_ids(&got));
    }
    let mut ids = login_ids(&logins);
    ids.sort();
    assert_eq!(
        pages,
        vec![ids[..3].to_vec(), ids[3..6].to_vec(), ids[6..].to_vec()],
        "{}",
        db.engine()
    );
    let first = s.list_overview_logins(ws, &all()).await.unwrap();
    assert_eq!(first[0], s.get_login(ws, l1.id).await.unwrap().unwrap());
    assert_eq!(first[0].status, ActionRequired);
    assert!(
        s.list_overview_logins(ws, &OverviewFilter { limit: 0, ..all() })
            .await
            .unwrap()
            .is_empty()
    );

    let f = all;
    let cases: Vec<(OverviewFilter, Vec<LoginId>)> = vec![
        (
            OverviewFilter {
                network: Some(Network::Instagram),
                ..f()
            },
            vec![l2.id],
        ),
        (
            OverviewFilter {
                network: Some(Network::Meta),
                ..f()
            },
            vec![l1.id, l3.id, l4.id, l5.id, l6.id, l7.id],
        ),
        // l4 by its own status (its asset is disconnected), l1 by its asset p2.
        (
            OverviewFilter {
                status: Some(ActionRequired),
                ..f()
            },
            vec![l1.id, l4.id],
        ),
        (
            OverviewFilter {
                status: Some(Connected),
                ..f()
            },
            vec![l1.id, l5.id, l6.id, l7.id],
        ),
        (
            OverviewFilter {
                status: Some(Disconnected),
                ..f()
            },
            vec![l4.id],
        ),
        // The login without assets shows only by its own status...
        (
            OverviewFilter {
                status: Some(Pending),
                ..f()
            },
            vec![l3.id],
        ),
        // ...and never under an owner or feature.
        (
            OverviewFilter {
                owner: Some(ConnectingUser),
                ..f()
            },
            vec![l2.id, l4.id],
        ),
        (
            OverviewFilter {
                owner: Some(BusinessAdmin),
                ..f()
            },
            vec![],
        ),
        (
            OverviewFilter {
                feature: Some(Publish),
                ..f()
            },
            vec![l1.id],
        ),
        (
            OverviewFilter {
                feature: Some(Analytics),
                ..f()
            },
            vec![l2.id],
        ),
        (
            OverviewFilter {
                feature: Some(Inbox),
                owner: Some(Platform),
                ..f()
            },
            vec![l4.id],
        ),
        // One asset must match every filter: l4 is action_required itself but its asset has no
        // asset admin; p2 has both.
        (
            OverviewFilter {
                status: Some(ActionRequired),
                owner: Some(AssetAdmin),
                ..f()
            },
            vec![l1.id],
        ),
        (
            OverviewFilter {
                status: Some(ActionRequired),
                owner: Some(ConnectingUser),
                ..f()
            },
            vec![],
        ),
        (
            OverviewFilter {
                status: Some(Connected),
                feature: Some(Publish),
                ..f()
            },
            vec![],
        ),
        (
            OverviewFilter {
                network: Some(Network::Meta),
                feature: Some(Publish),
                ..f()
            },
            vec![l1.id],
        ),
        (
            OverviewFilter {
                network: Some(Network::Instagram),
                owner: Some(AssetAdmin),
                ..f()
            },
            vec![],
        ),
        (
            OverviewFilter {
                status: Some(Connected),
                after: Some(l1.id),
                limit: 2,
                ..f()
            },
            vec![l5.id, l6.id],
        ),
        (
            OverviewFilter {
                status: Some(Connected),
                after: Some(l6.id),
                limit: 2,
                ..f()
            },
            vec![l7.id],
        ),
    ];
    for (filter, want) in cases {
        let got = s.list_overview_logins(ws, &filter).await.unwrap();
        assert_eq!(login_ids(&got), want, "{}: {filter:?}", db.engine());
    }

    // Assets for a page of logins: by login, then name; only those matching the filter.
    let assets = |logins: Vec<LoginId>, filter: OverviewFilter| async move {
        asset_ids(&s.list_overview_assets(ws, &logins, &filter).await.unwrap())
    };
    let mut want = vec![
        (l1.id, vec![p0.id, p1.id, p2.id]),
        (l2.id, vec![ig.id]),
        (l4.id, vec![p4.id]),
    ];
    want.extend(
        [l5.id, l6.id, l7.id]
            .into_iter()
            .zip(connected.iter().map(|p| vec![*p])),
    );
    want.sort();
    let everything: Vec<AssetId> = want.iter().flat_map(|(_, a)| a.clone()).collect();
    assert_eq!(assets(ids.clone(), f()).await, everything);
    let got = s.list_overview_assets(ws, &[l2.id], &f()).await.unwrap();
    assert_eq!(
        got,
        vec![AssetRecord {
            asset: s.get_asset(ws, ig.id).await.unwrap().unwrap(),
            report: Some(json!({"status": "at_risk", "findings": []})),
        }],
        "each asset comes with its latest report"
    );
    assert!(assets(vec![], f()).await.is_empty());
    assert!(assets(vec![l3.id], f()).await.is_empty());
    // after, limit and network do not apply to assets.
    let ignored = OverviewFilter {
        after: Some(l7.id),
        limit: 0,
        network: Some(Network::Instagram),
        ..f()
    };
    assert_eq!(
        assets(vec![l1.id], ignored).await,
        vec![p0.id, p1.id, p2.id]
    );
    let asset_cases: Vec<(OverviewFilter, Vec<AssetId>)> = vec![
        (
            OverviewFilter {
                status: Some(ActionRequired),
                ..f()
            },
            vec![p2.id],
        ),
        (
            OverviewFilter {
                status: Some(Connected),
                ..f()
            },
            vec![p0.id, p1.id],
        ),
        (
            OverviewFilter {
                owner: Some(ConnectingUser),
                ..f()
            },
            vec![],
        ),
        (
            OverviewFilter {
                feature: Some(Publish),
                owner: Some(AssetAdmin),
                ..f()
            },
            vec![p2.id],
        ),
        (
            OverviewFilter {
                feature: Some(Publish),
                status: Some(Connected),
                ..f()
            },
            vec![],
        ),
    ];
    for (filter, want) in asset_cases {
        assert_eq!(
            assets(vec![l1.id], filter.clone()).await,
            want,
            "{filter:?}"
        );
    }
    assert_eq!(
        assets(
            ids.clone(),
            OverviewFilter {
                owner: Some(ConnectingUser),
                ..f()
            }
        )
        .await,
        if l2.id < l4.id {
            vec![ig.id, p4.id]
        } else {
            vec![p4.id, ig.id]
        }
    );

    // Another workspace's assets never come back, even when its login ids are passed.
    assert_eq!(assets(vec![other.id], f()).await, vec![]);
    assert_eq!(
        assets(vec![l1.id, other.id], f()).await,
        vec![p0.id, p1.id, p2.id]
    );
    assert!(
        s.list_overview_assets(other_ws, &[l1.id, l2.id], &f())
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        login_ids(&s.list_overview_logins(other_ws, &f()).await.unwrap()),
        vec![other.id]
    );

    // The counts beside the list.
    assert_eq!(
        s.count_assets_by_owner(ws).await.unwrap(),
        vec![(ConnectingUser, 2), (AssetAdmin, 1), (Platform, 1)]
    );
    assert_eq!(
        s.count_logins_by_status(ws).await.unwrap(),
        vec![
            (Connected, 3),
            (AtRisk, 1),
            (ActionRequired, 2),
            (Pending, 1)
        ]
    );
    assert_eq!(
        s.count_assets_by_owner(other_ws).await.unwrap(),
        vec![(AssetAdmin, 1)]
    );
    assert_eq!(
        s.count_logins_by_status(other_ws).await.unwrap(),
        vec![(ActionRequired, 1)]
    );
    let empty = s.create_workspace("empty", t(0)).await.unwrap().id;
    assert!(s.count_assets_by_owner(empty).await.unwrap().is_empty());
    assert!(s.count_logins_by_status(empty).await.unwrap().is_empty());
    assert!(
        s.list_overview_logins(empty, &f())
            .await
            .unwrap()
            .is_empty()
    );
}
