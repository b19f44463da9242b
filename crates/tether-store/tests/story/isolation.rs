//! One workspace never sees another's data, through any read.

use crate::harness::{TestDb, all_assets, for_each_engine, t, verdict, workspace_with_login};
use serde_json::json;
use tether_core::vocab::{AssetKind, Network, Status};
use tether_store::{
    AssetFilter, Diagnosis, FactsSubject, NewAsset, OverviewCounts, OverviewFilter, Role, Store,
    StoreError, WorkspaceId,
};

#[tokio::test]
async fn workspaces_are_isolated() {
    for_each_engine(isolation).await;
}

async fn isolation(db: TestDb) {
    let s = &db.store;
    let (a, login_a) = workspace_with_login(s, "alice").await;
    let (b, login_b) = workspace_with_login(s, "bob").await;
    let page = NewAsset {
        kind: AssetKind::FacebookPage,
        platform_id: "1001".into(),
        name: "Alice's Page".into(),
    };
    let asset_a = s.upsert_asset(a, login_a.id, page.clone()).await.unwrap();
    s.put_facts(
        a,
        login_a.id,
        FactsSubject::Asset(asset_a.id),
        &json!({"tasks": ["CREATE_CONTENT"]}),
        t(1),
    )
    .await
    .unwrap();
    s.record_diagnosis(
        a,
        login_a.id,
        &Diagnosis {
            report: json!({"status": "connected"}),
            login_status: Status::Connected,
            login_findings: json!([]),
            login_owners: vec![],
            login_unavailable: vec![],
            login_at_risk: vec![],
            login_fixes: vec![],
            assets: vec![verdict(asset_a.id, Status::Connected, json!([]))],
            at: t(2),
            cause: None,
        },
    )
    .await
    .unwrap();

    // Workspace B sees only its own login and nothing of A's, by list or by id.
    let b_logins = s.list_logins(b).await.unwrap();
    assert_eq!(
        b_logins.iter().map(|l| l.id).collect::<Vec<_>>(),
        vec![login_b.id],
        "{}",
        db.engine()
    );
    assert!(s.get_login(b, login_a.id).await.unwrap().is_none());
    assert!(s.list_assets(b, &all_assets()).await.unwrap().is_empty());
    let of_a = AssetFilter {
        login: Some(login_a.id),
        ..all_assets()
    };
    assert!(s.list_assets(b, &of_a).await.unwrap().is_empty());
    assert!(s.get_asset(b, asset_a.id).await.unwrap().is_none());
    assert!(
        s.get_facts(b, FactsSubject::Asset(asset_a.id))
            .await
            .unwrap()
            .is_none()
    );
    assert!(s.get_diagnosis(b, login_a.id).await.unwrap().is_none());
    assert!(s.list_transitions(b, login_a.id).await.unwrap().is_empty());
    assert!(s.list_events(b).await.unwrap().is_empty());
    assert!(matches!(
        s.login_token(b, login_a.id).await,
        Err(StoreError::NotFound { what: "login", .. })
    ));

    // Nor can B write under A's login.
    assert!(matches!(
        s.upsert_asset(b, login_a.id, page).await,
        Err(StoreError::NotFound { what: "login", .. })
    ));
    assert!(
        s.put_facts(
            b,
            login_a.id,
            FactsSubject::Login(login_a.id),
            &json!({}),
            t(3)
        )
        .await
        .is_err()
    );
    let mut foreign = Diagnosis {
        report: json!({}),
        login_status: Status::Disconnected,
        login_findings: json!([]),
        login_owners: vec![],
        login_unavailable: vec![],
        login_at_risk: vec![],
        login_fixes: vec![],
        assets: vec![],
        at: t(4),
        cause: None,
    };
    assert!(s.record_diagnosis(b, login_a.id, &foreign).await.is_err());
    // B's own login cannot be used to reach A's asset either.
    foreign
        .assets
        .push(verdict(asset_a.id, Status::Disconnected, json!([])));
    assert!(s.record_diagnosis(b, login_b.id, &foreign).await.is_err());
    assert_eq!(
        s.get_asset(a, asset_a.id).await.unwrap().unwrap().status,
        Status::Connected
    );
    // ...and the failed transaction left B's login untouched.
    assert_eq!(
        s.get_login(b, login_b.id).await.unwrap().unwrap().status,
        Status::Pending
    );

    // Nor any of the service's newer reads.
    assert!(s.count_assets_by_status(b).await.unwrap().is_empty());
    assert!(s.get_asset_report(b, asset_a.id).await.unwrap().is_none());
    assert!(
        s.list_asset_transitions(b, asset_a.id)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(s.list_transitions_since(b, t(0)).await.unwrap().is_empty());
    assert!(!s.schedule_check(b, login_a.id, t(0)).await.unwrap());
    let (hook_a, _) = s
        .create_endpoint(a, "https://a.example/", "", t(0))
        .await
        .unwrap();
    s.enqueue_event(a, "test", &json!({}), t(5)).await.unwrap();
    assert!(s.list_endpoints(b).await.unwrap().is_empty());
    assert!(s.list_deliveries(b, None, 10).await.unwrap().is_empty());
    assert!(
        s.list_deliveries(b, Some(hook_a.id), 10)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(!s.delete_endpoint(b, hook_a.id).await.unwrap());
    assert_eq!(s.list_deliveries(a, None, 10).await.unwrap().len(), 1);
    assert_eq!(
        s.count_assets_by_status(a).await.unwrap(),
        vec![(Status::Connected, 1)]
    );
    assert!(s.get_asset_report(a, asset_a.id).await.unwrap().is_some());

    // Nor the dashboard's: overview, counts, users, keys; nor can B disconnect A's login.
    let overview = OverviewFilter {
        limit: 100,
        ..OverviewFilter::default()
    };
    // B's one login reaches nothing: it is B's only row.
    let page = s.list_overview(b, &overview).await.unwrap();
    assert_eq!(page.items.len(), 1);
    assert!(page.logins.iter().all(|l| l.workspace_id == b));
    assert!(
        s.list_login_records(b, login_a.id)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        s.count_overview(b).await.unwrap(),
        OverviewCounts {
            statuses: vec![(Status::Pending, 1)],
            fixes: vec![],
            networks: vec![Network::Meta],
        }
    );
    let ann = s
        .create_user(a, "ann@a.example", Role::Owner, "hash", t(6))
        .await
        .unwrap();
    s.create_api_key(a, t(6)).await.unwrap();
    assert!(s.list_users(b).await.unwrap().is_empty());
    assert!(s.get_user(b, ann.id).await.unwrap().is_none());
    assert!(!s.delete_user(b, ann.id).await.unwrap());
    assert!(!s.set_user_password(b, ann.id, "other").await.unwrap());
    assert!(s.list_api_keys(b).await.unwrap().is_empty());
    assert!(!s.disconnect_login(b, login_a.id, t(7)).await.unwrap());
    assert!(s.login_token(a, login_a.id).await.is_ok());
    assert_eq!(s.list_users(a).await.unwrap(), vec![ann]);
    assert_eq!(s.list_api_keys(a).await.unwrap().len(), 1);

    // A still sees all of its own.
    assert_eq!(
        s.list_assets(a, &all_assets()).await.unwrap(),
        vec![s.get_asset(a, asset_a.id).await.unwrap().unwrap()]
    );
    assert!(
        s.get_facts(a, FactsSubject::Asset(asset_a.id))
            .await
            .unwrap()
            .is_some()
    );
}

#[tokio::test]
async fn api_keys_authenticate_their_workspace_until_revoked() {
    for_each_engine(api_keys).await;
}

async fn api_keys(db: TestDb) {
    let s = &db.store;
    let a = s.create_workspace("a", t(0)).await.unwrap();
    let b = s.create_workspace("b", t(0)).await.unwrap();
    let key_a = s.create_api_key(a.id, t(1)).await.unwrap();
    let key_b = s.create_api_key(b.id, t(1)).await.unwrap();
    assert_eq!(
        s.authenticate_api_key(&key_a.secret).await.unwrap(),
        Some(a.id)
    );
    assert_eq!(
        s.authenticate_api_key(&key_b.secret).await.unwrap(),
        Some(b.id)
    );
    assert_eq!(
        s.authenticate_api_key(&secrecy::SecretString::from(key_a.prefix.clone()))
            .await
            .unwrap(),
        None
    );
    assert!(format!("{key_a:?}").contains(&key_a.prefix));
    // Another workspace cannot revoke A's key.
    assert!(!s.revoke_api_key(b.id, key_a.id, t(2)).await.unwrap());
    assert!(s.revoke_api_key(a.id, key_a.id, t(2)).await.unwrap());
    assert_eq!(s.authenticate_api_key(&key_a.secret).await.unwrap(), None);
    assert_eq!(
        s.authenticate_api_key(&key_b.secret).await.unwrap(),
        Some(b.id)
    );
    assert_eq!(s.get_workspace(a.id).await.unwrap(), Some(a.clone()));

    // Listings show every key, newest first, revoked ones with their time; never a secret.
    let key_a2 = s.create_api_key(a.id, t(3)).await.unwrap();
    let listed = s.list_api_keys(a.id).await.unwrap();
    assert_eq!(
        listed
            .iter()
            .map(|k| (k.id, k.prefix.as_str(), k.created_at, k.revoked_at))
            .collect::<Vec<_>>(),
        vec![
            (key_a2.id, key_a2.prefix.as_str(), t(3), None),
            (key_a.id, key_a.prefix.as_str(), t(1), Some(t(2)))
        ],
        "{}",
        db.engine()
    );
    assert_eq!(s.list_api_keys(b.id).await.unwrap().len(), 1);
}

#[tokio::test]
async fn workspace_settings_round_trip() {
    for_each_engine(|db: TestDb| async move {
        let s = &db.store;
        let a = s.create_workspace("a", t(0)).await.unwrap();
        let b = s.create_workspace("b", t(0)).await.unwrap();
        assert_eq!((a.profile.as_deref(), a.warning_days), (None, None));
        assert!(
            s.update_workspace_settings(a.id, Some("scheduler"), Some(14))
                .await
                .unwrap()
        );
        let got = s.get_workspace(a.id).await.unwrap().unwrap();
        assert_eq!(
            (got.name.as_str(), got.profile.as_deref(), got.warning_days),
            ("a", Some("scheduler"), Some(14)),
            "{}",
            db.engine()
        );
        assert_eq!(s.get_workspace(b.id).await.unwrap(), Some(b.clone()));
        let listed = s.list_workspaces().await.unwrap();
        assert!(listed.contains(&got) && listed.contains(&b));
        // Back to the defaults.
        assert!(s.update_workspace_settings(a.id, None, None).await.unwrap());
        assert_eq!(s.get_workspace(a.id).await.unwrap(), Some(a));
        assert!(
            !s.update_workspace_settings(WorkspaceId::new(), Some("x"), Some(1))
                .await
                .unwrap()
        );
    })
    .await;
}

#[tokio::test]
async fn deleting_a_login_erases_everything_about_it_and_nothing_else() {
    for_each_engine(|db: TestDb| async move {
        let s = &db.store;
        let (a, login_a) = workspace_with_login(s, "alice").await;
        let (b, login_b) = workspace_with_login(s, "bob").await;
        let page = NewAsset {
            kind: AssetKind::FacebookPage,
            platform_id: "1001".into(),
            name: "Alice's Page".into(),
        };
        let asset = s.upsert_asset(a, login_a.id, page).await.unwrap();
        s.put_facts(
            a,
            login_a.id,
            FactsSubject::Asset(asset.id),
            &json!({}),
            t(1),
        )
        .await
        .unwrap();
        s.record_diagnosis(
            a,
            login_a.id,
            &Diagnosis {
                report: json!({}),
                login_status: Status::ActionRequired,
                login_findings: json!([]),
                login_owners: vec![],
                login_unavailable: vec![],
                login_at_risk: vec![],
                login_fixes: vec![],
                assets: vec![verdict(asset.id, Status::ActionRequired, json!([]))],
                at: t(2),
                cause: None,
            },
        )
        .await
        .unwrap();

        assert!(
            !s.delete_login(b, login_a.id).await.unwrap(),
            "not from another workspace"
        );
        assert!(s.get_login(a, login_a.id).await.unwrap().is_some());
        assert!(
            s.delete_login(a, login_a.id).await.unwrap(),
            "{}",
            db.engine()
        );
        assert!(s.get_login(a, login_a.id).await.unwrap().is_none());
        assert!(s.list_assets(a, &all_assets()).await.unwrap().is_empty());
        assert!(s.list_transitions(a, login_a.id).await.unwrap().is_empty());
        assert!(
            s.get_facts(a, FactsSubject::Asset(asset.id))
                .await
                .unwrap()
                .is_none()
        );
        assert!(matches!(
            s.login_token(a, login_a.id).await,
            Err(StoreError::NotFound { .. })
        ));
        assert!(
            s.get_login(b, login_b.id).await.unwrap().is_some(),
            "others stay"
        );
        assert!(!s.delete_login(a, login_a.id).await.unwrap(), "once");
    })
    .await;
}
