//! The dashboard's overview: every asset, and every login that reaches none, worst first and then
//! by name; filters, a search, keyset pages; and the counts of rows and of distinct fixes.

use crate::harness::{TestDb, for_each_engine, new_login, page, t, verdict, workspace_with_login};
use serde_json::json;
use tether_core::vocab::{Action, Feature, Network, Owner, Status};
use tether_store::{
    AssetId, AssetVerdict, Diagnosis, Fix, LoginId, NewAsset, OverviewCounts, OverviewFilter,
    OverviewItem, OverviewPage, SqlStore, Store, WorkspaceId,
};

fn with(
    v: AssetVerdict,
    owners: &[Owner],
    unavailable: &[Feature],
    fixes: &[(Action, &str)],
) -> AssetVerdict {
    AssetVerdict {
        owners: owners.to_vec(),
        unavailable: unavailable.to_vec(),
        fixes: fix_list(fixes),
        ..v
    }
}

fn fix_list(fixes: &[(Action, &str)]) -> Vec<Fix> {
    fixes
        .iter()
        .map(|(action, key)| Fix {
            action: *action,
            key: (*key).to_owned(),
        })
        .collect()
}

/// Records a login's verdicts; its own findings are owned by the person and fixed by `fixes`.
async fn diagnose(
    s: &SqlStore,
    ws: WorkspaceId,
    login: LoginId,
    login_status: Status,
    login_fixes: &[(Action, &str)],
    assets: Vec<AssetVerdict>,
) {
    let broken = login_status == Status::Disconnected;
    s.record_diagnosis(
        ws,
        login,
        &Diagnosis {
            report: json!({"status": login_status.as_str()}),
            login_status,
            login_findings: json!([]),
            login_owners: if login_fixes.is_empty() {
                vec![]
            } else {
                vec![Owner::ConnectingUser]
            },
            login_unavailable: if broken {
                Feature::ALL.to_vec()
            } else {
                vec![]
            },
            login_at_risk: vec![],
            login_fixes: fix_list(login_fixes),
            assets,
            at: t(10),
            cause: None,
        },
    )
    .await
    .unwrap();
}

/// Each row as (asset name, or "login " + person name).
fn names(page: &OverviewPage) -> Vec<String> {
    page.items
        .iter()
        .map(|i| match i {
            OverviewItem::Asset(r) => r.asset.name.clone(),
            OverviewItem::Login { login_id, .. } => {
                let l = page.logins.iter().find(|l| l.id == *login_id).unwrap();
                format!("login {}", l.person_name)
            }
        })
        .collect()
}

fn all() -> OverviewFilter {
    OverviewFilter {
        limit: 100,
        ..OverviewFilter::default()
    }
}

async fn named(s: &SqlStore, ws: WorkspaceId, login: LoginId, id: &str, name: &str) -> AssetId {
    s.upsert_asset(
        ws,
        login,
        NewAsset {
            kind: tether_core::vocab::AssetKind::FacebookPage,
            platform_id: id.to_owned(),
            name: name.to_owned(),
        },
    )
    .await
    .unwrap()
    .id
}

#[tokio::test]
async fn the_overview_lists_what_needs_action_first() {
    for_each_engine(overview).await;
}

async fn overview(db: TestDb) {
    use Action::*;
    use Feature::*;
    use Owner::*;
    use Status::*;
    let s = &db.store;
    // Alice reaches three Pages: one missing a task (its Instagram account through the same Page
    // too), one fine, one she left unticked.
    let (ws, alice) = workspace_with_login(s, "alice").await;
    let harbor = named(s, ws, alice.id, "1", "Harbor Bakery").await;
    let harbor_ig = named(s, ws, alice.id, "1ig", "harborbakery").await;
    let summit = named(s, ws, alice.id, "2", "summit Outdoor").await;
    let fjord = named(s, ws, alice.id, "3", "Fjord Fitness").await;
    let task = [(GiveTask, "alice:1")];
    diagnose(
        s,
        ws,
        alice.id,
        Connected,
        &[],
        vec![
            with(
                verdict(harbor, ActionRequired, json!([])),
                &[AssetAdmin],
                &[Publish],
                &task,
            ),
            with(
                verdict(harbor_ig, ActionRequired, json!([])),
                &[AssetAdmin],
                &[Publish],
                &task,
            ),
            verdict(summit, Connected, json!([])),
            with(
                verdict(fjord, ActionRequired, json!([])),
                &[ConnectingUser],
                &[Publish, Analytics],
                &[(Reconnect, "alice")],
            ),
        ],
    )
    .await;
    // Erin's password changed before her Pages could be listed: a login reaching nothing.
    let erin = s
        .upsert_login(ws, new_login("erin", "tok-erin"), t(0))
        .await
        .unwrap();
    diagnose(s, ws, erin.id, Disconnected, &[(LogIn, "erin")], vec![]).await;
    // Ivy's broken login does reach a Page, which is the row (not the login).
    let ivy = s
        .upsert_login(ws, new_login("ivy", "tok-ivy"), t(0))
        .await
        .unwrap();
    let lumen = named(s, ws, ivy.id, "4", "Lumen Dental").await;
    diagnose(
        s,
        ws,
        ivy.id,
        Disconnected,
        &[(LogIn, "ivy")],
        vec![with(
            verdict(lumen, Disconnected, json!([])),
            &[ConnectingUser],
            Feature::ALL,
            &[(LogIn, "ivy")],
        )],
    )
    .await;
    // Ben connected on Instagram Login, not checked yet.
    let mut ben = new_login("ben", "tok-ben");
    ben.network = Network::Instagram;
    let ben = s.upsert_login(ws, ben, t(0)).await.unwrap();
    let ben_ig = page(s, ws, ben.id, "9").await;

    let rows = s.list_overview(ws, &all()).await.unwrap();
    assert_eq!(
        names(&rows),
        [
            "Lumen Dental",
            "login Person erin",
            "Fjord Fitness",
            "Harbor Bakery",
            "harborbakery",
            "Page 9",
            "summit Outdoor",
        ],
        "{}: worst first, then by name ignoring case; a login that reaches nothing is a row",
        db.engine()
    );
    assert_eq!(rows.next, None);
    let mut logins: Vec<LoginId> = rows.logins.iter().map(|l| l.id).collect();
    logins.sort();
    let mut want = vec![alice.id, erin.id, ivy.id, ben.id];
    want.sort();
    assert_eq!(logins, want, "every row's login comes with the page");
    let OverviewItem::Login { report, .. } = &rows.items[1] else {
        panic!("a login row")
    };
    assert_eq!(report.as_ref().unwrap()["status"], "disconnected");

    // Filters narrow rows, asset rows and login rows alike.
    let only = |f: OverviewFilter| async move { names(&s.list_overview(ws, &f).await.unwrap()) };
    assert_eq!(
        only(OverviewFilter {
            status: Some(Disconnected),
            ..all()
        })
        .await,
        ["Lumen Dental", "login Person erin"]
    );
    assert_eq!(
        only(OverviewFilter {
            not_green: true,
            ..all()
        })
        .await,
        [
            "Lumen Dental",
            "login Person erin",
            "Fjord Fitness",
            "Harbor Bakery",
            "harborbakery",
            "Page 9"
        ]
    );
    assert_eq!(
        only(OverviewFilter {
            owner: Some(AssetAdmin),
            ..all()
        })
        .await,
        ["Harbor Bakery", "harborbakery"]
    );
    assert_eq!(
        only(OverviewFilter {
            owner: Some(ConnectingUser),
            ..all()
        })
        .await,
        ["Lumen Dental", "login Person erin", "Fjord Fitness"]
    );
    assert_eq!(
        only(OverviewFilter {
            feature: Some(Analytics),
            ..all()
        })
        .await,
        ["Lumen Dental", "login Person erin", "Fjord Fitness"]
    );
    assert_eq!(
        only(OverviewFilter {
            network: Some(Network::Instagram),
            ..all()
        })
        .await,
        ["Page 9"]
    );
    assert_eq!(
        only(OverviewFilter {
            action: Some(LogIn),
            ..all()
        })
        .await,
        ["Lumen Dental", "login Person erin"]
    );
    assert_eq!(
        only(OverviewFilter {
            action: Some(GiveTask),
            ..all()
        })
        .await,
        ["Harbor Bakery", "harborbakery"]
    );
    // The search box: a Page's name or its person's, any case; LIKE's wildcards are literal.
    for (words, want) in [
        ("HARBOR", vec!["Harbor Bakery", "harborbakery"]),
        ("person ivy", vec!["Lumen Dental"]),
        ("erin", vec!["login Person erin"]),
        ("%", vec![]),
        ("_", vec![]),
    ] {
        assert_eq!(
            only(OverviewFilter {
                search: Some(words.into()),
                ..all()
            })
            .await,
            want,
            "{words:?}"
        );
    }
    assert_eq!(
        only(OverviewFilter {
            search: Some("harbor".into()),
            status: Some(Connected),
            ..all()
        })
        .await,
        Vec::<String>::new(),
        "filters combine"
    );

    // Pages of two: every row once, in order; the cursor is the last row of a page.
    let mut seen = Vec::new();
    let mut f = OverviewFilter { limit: 2, ..all() };
    loop {
        let p = s.list_overview(ws, &f).await.unwrap();
        assert!(p.items.len() <= 2);
        seen.extend(names(&p));
        match p.next {
            Some(c) => f.after = Some(c),
            None => break,
        }
    }
    assert_eq!(seen, names(&rows));
    assert!(
        s.list_overview(ws, &OverviewFilter { limit: 0, ..all() })
            .await
            .unwrap()
            .items
            .is_empty()
    );

    // Counts: rows per status; fixes once per key (Harbor and its Instagram account are one
    // message; Ivy's Page and her login are one log-in).
    assert_eq!(
        s.count_overview(ws).await.unwrap(),
        OverviewCounts {
            statuses: vec![
                (Disconnected, 2),
                (ActionRequired, 3),
                (Pending, 1),
                (Connected, 1)
            ],
            fixes: vec![(LogIn, 2), (Reconnect, 1), (GiveTask, 1)],
            networks: vec![Network::Meta, Network::Instagram],
        }
    );
    // A new diagnosis replaces the login's fixes: Alice's admin gave the task.
    diagnose(
        s,
        ws,
        alice.id,
        Connected,
        &[],
        vec![
            verdict(harbor, Connected, json!([])),
            verdict(harbor_ig, Connected, json!([])),
        ],
    )
    .await;
    assert_eq!(
        s.count_overview(ws).await.unwrap().fixes,
        vec![(LogIn, 2), (Reconnect, 1)],
        "Fjord's fix stands until Fjord is judged again"
    );

    // A reconnect that renames the person: the search follows.
    let mut renamed = new_login("ivy", "tok-ivy-2");
    renamed.person_name = "Ivy Novak".into();
    s.upsert_login(ws, renamed, t(20)).await.unwrap();
    assert_eq!(
        only(OverviewFilter {
            search: Some("novak".into()),
            ..all()
        })
        .await,
        ["Lumen Dental"]
    );

    // One login's assets, worst first.
    let records = s.list_login_records(ws, alice.id).await.unwrap();
    let order: Vec<&str> = records.iter().map(|r| r.asset.name.as_str()).collect();
    assert_eq!(
        order,
        [
            "Fjord Fitness",
            "Harbor Bakery",
            "harborbakery",
            "summit Outdoor"
        ]
    );
    assert_eq!(
        s.list_login_records(ws, ben.id).await.unwrap()[0].asset.id,
        ben_ig.id
    );

    // Another workspace sees none of it.
    let other = s.create_workspace("other", t(0)).await.unwrap().id;
    assert!(
        s.list_overview(other, &all())
            .await
            .unwrap()
            .items
            .is_empty()
    );
    assert_eq!(
        s.count_overview(other).await.unwrap(),
        OverviewCounts::default()
    );
    assert!(
        s.list_login_records(other, alice.id)
            .await
            .unwrap()
            .is_empty()
    );
}
