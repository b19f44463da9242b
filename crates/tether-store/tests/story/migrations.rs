//! Migrations are embedded, applied on connect, idempotent, and upgrade a database with data; a
//! busy or unreachable database is `Unavailable` and leaves nothing half written.

use crate::harness::{
    EmptyDb, TestDb, all_assets, for_each_empty_engine, for_each_engine, new_ring_text, ring, t,
    workspace_with_login,
};
use jiff::Timestamp;
use secrecy::{ExposeSecret, SecretString};
use serde_json::json;
use sqlx::Connection;
use sqlx::types::Json;
use std::time::Duration;
use tether_core::vocab::{Action, Network, Status};
use tether_store::{
    AssetId, Fix, KeyRing, LoginId, OverviewFilter, OverviewItem, Role, SqlStore, Store,
    StoreError, Timeouts, TokenAad, TokenKind, WorkspaceId,
};
use uuid::Uuid;

#[tokio::test]
async fn migrations_are_idempotent_and_keep_data() {
    for_each_engine(idempotent).await;
}

async fn idempotent(db: TestDb) {
    let (ws, login) = workspace_with_login(&db.store, "erin").await;
    db.store.migrate().await.unwrap();
    db.store.migrate().await.unwrap();
    // A second process connecting to the same database migrates again (a no-op) and sees the data.
    let other = db.reopen(ring(&db.ring)).await;
    assert_eq!(
        other.get_login(ws, login.id).await.unwrap(),
        Some(login.clone())
    );
    assert_eq!(
        other
            .login_token(ws, login.id)
            .await
            .unwrap()
            .expose_secret(),
        "EAA-token-of-erin"
    );
    other.close().await;
}

#[tokio::test]
async fn a_plain_path_is_sqlite_and_unknown_schemes_are_refused() {
    let db = TestDb::sqlite().await;
    let path = db.sqlite_dir().unwrap().join("plain.db");
    let keys = || ring(&format!("1:{}", KeyRing::generate_key().expose_secret()));
    let store = SqlStore::connect(path.to_str().unwrap(), keys())
        .await
        .unwrap();
    assert_eq!(store.engine(), "sqlite");
    store.create_workspace("w", t(0)).await.unwrap();
    store.close().await;
    assert!(path.exists());
    // WAL lets readers (API) run while the worker writes.
    let mut c = sqlx::SqliteConnection::connect(path.to_str().unwrap())
        .await
        .unwrap();
    let (mode,): (String,) = sqlx::query_as("PRAGMA journal_mode")
        .fetch_one(&mut c)
        .await
        .unwrap();
    assert_eq!(mode, "wal");

    let err = SqlStore::connect("mysql://root:hunter2@db/x", keys())
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::BadUrl(ref s) if s == "mysql"));
    assert!(!err.to_string().contains("hunter2"), "{err}");
}

/// Seeds a 0001 database, then connects: the later migrations apply over the data.
#[tokio::test]
async fn the_service_migration_upgrades_a_database_with_data() {
    for_each_empty_engine(upgrade).await;
}

/// Rows as the 0001 schema held them, written with raw SQL before 0002 exists.
macro_rules! seed_0001 {
    ($conn:expr, $ws:expr, $login:expr, $asset:expr, $sealed:expr) => {{
        let c = &mut $conn;
        sqlx::query("INSERT INTO workspaces (id, name, created_at) VALUES ($1, 'old', 0)")
            .bind($ws)
            .execute(&mut *c)
            .await
            .unwrap();
        sqlx::query(
            "INSERT INTO logins (id, workspace_id, network, platform_user_id, person_name, \
             token_sealed, token_key_id, status, next_check_at, created_at) \
             VALUES ($1, $2, 'meta', 'u1', 'Old Person', $3, 1, 'connected', 100, 0)",
        )
        .bind($login)
        .bind($ws)
        .bind($sealed)
        .execute(&mut *c)
        .await
        .unwrap();
        sqlx::query(
            "INSERT INTO assets (id, workspace_id, login_id, kind, platform_id, name, status, \
             last_verified_at) VALUES ($1, $2, $3, 'facebook_page', 'p', 'Old Page', 'at_risk', 50)",
        )
        .bind($asset)
        .bind($ws)
        .bind($login)
        .execute(&mut *c)
        .await
        .unwrap();
        sqlx::query(
            "INSERT INTO outbox (id, workspace_id, event_type, payload, created_at, \
             next_attempt_at) VALUES ($1, $2, 'asset.status_changed', $3, 60, 60)",
        )
        .bind(Uuid::now_v7())
        .bind($ws)
        .bind(Json(json!({"old": true})))
        .execute(&mut *c)
        .await
        .unwrap();
    }};
}

async fn upgrade(db: EmptyDb) {
    let ring_text = new_ring_text(1);
    let keys = ring(&ring_text);
    let (ws, login, asset) = (Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7());
    let aad = TokenAad {
        login_id: login,
        network: Network::Meta,
        kind: TokenKind::User,
    };
    let sealed = keys.seal(&SecretString::from("EAA-old-token"), &aad);
    if db.engine == "sqlite" {
        let mut c = sqlx::SqliteConnection::connect(&db.url).await.unwrap();
        sqlx::migrate!("migrations/sqlite")
            .run_to(1, &mut c)
            .await
            .unwrap();
        seed_0001!(c, ws, login, asset, &sealed);
        c.close().await.unwrap();
    } else {
        let mut c = sqlx::PgConnection::connect(&db.url).await.unwrap();
        sqlx::migrate!("migrations/postgres")
            .run_to(1, &mut c)
            .await
            .unwrap();
        seed_0001!(c, ws, login, asset, &sealed);
        c.close().await.unwrap();
    }

    let s = SqlStore::connect(&db.url, ring(&ring_text)).await.unwrap();
    let (ws, login, asset) = (WorkspaceId(ws), LoginId(login), AssetId(asset));
    let l = s.get_login(ws, login).await.unwrap().unwrap();
    assert_eq!(
        (
            l.status,
            l.last_error,
            l.last_changed_at,
            l.known_token,
            l.person_name.as_str()
        ),
        (Status::Connected, None, None, None, "Old Person"),
        "{}",
        db.engine
    );
    assert_eq!(
        s.login_token(ws, login).await.unwrap().expose_secret(),
        "EAA-old-token"
    );
    let a = s.get_asset(ws, asset).await.unwrap().unwrap();
    let micros = |m| Timestamp::from_microsecond(m).unwrap();
    assert_eq!(
        (a.status, a.updated_at, a.owners, a.unavailable),
        (Status::AtRisk, micros(50), vec![], vec![])
    );
    assert!(s.get_asset_report(ws, asset).await.unwrap().is_none());
    assert_eq!(s.list_assets(ws, &all_assets()).await.unwrap().len(), 1);
    let events = s.list_events(ws).await.unwrap();
    assert_eq!(events.len(), 1);
    assert_eq!(
        (events[0].payload.clone(), events[0].created_at),
        (json!({"old": true}), micros(60))
    );
    // And the new tables work on the upgraded database.
    s.create_endpoint(ws, "https://x.example/", "", t(0))
        .await
        .unwrap();
    s.enqueue_event(ws, "test", &json!({}), t(1)).await.unwrap();
    assert_eq!(s.list_deliveries(ws, None, 10).await.unwrap().len(), 1);
    // 0003: the old rows read with the dashboard's defaults, and its tables work.
    let w = s.get_workspace(ws).await.unwrap().unwrap();
    assert_eq!(
        (w.name.as_str(), w.profile, w.warning_days),
        ("old", None, None)
    );
    assert_eq!(
        s.get_login(ws, login)
            .await
            .unwrap()
            .unwrap()
            .disconnected_at,
        None
    );
    let user = s
        .create_user(ws, "old@example.com", Role::Owner, "hash", t(2))
        .await
        .unwrap();
    let cookie = s.create_session(&user, t(100), t(2)).await.unwrap();
    assert!(
        s.get_session(cookie.expose_secret(), t(3))
            .await
            .unwrap()
            .is_some()
    );
    // 0005: the old asset is a row of the overview in its status's place, found by its
    // person's name, and counted.
    let page = s
        .list_overview(
            ws,
            &OverviewFilter {
                search: Some("OLD PERSON".into()),
                limit: 10,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(page.items.len(), 1, "{}", db.engine);
    assert!(matches!(&page.items[0], OverviewItem::Asset(r) if r.asset.id == asset));
    assert_eq!(
        s.count_overview(ws).await.unwrap().statuses,
        vec![(Status::AtRisk, 1)]
    );
    // Its verdict predates fixes: the server's start-up backfill finds it and writes them.
    let missing = s.logins_missing_fixes(10).await.unwrap();
    assert_eq!(
        missing.iter().map(|l| l.id).collect::<Vec<_>>(),
        [login],
        "{}",
        db.engine
    );
    let renew = Fix {
        action: Action::Renew,
        key: login.to_string(),
    };
    let fixes = vec![renew];
    s.put_fixes(ws, login, &fixes, &[(asset, fixes.clone())])
        .await
        .unwrap();
    assert!(s.logins_missing_fixes(10).await.unwrap().is_empty());
    assert_eq!(
        s.count_overview(ws).await.unwrap().fixes,
        vec![(Action::Renew, 1)],
        "the login's fix and its asset's are one"
    );
    s.close().await;
}

#[tokio::test]
async fn a_locked_sqlite_database_is_unavailable_and_nothing_is_half_written() {
    let db = TestDb::sqlite().await;
    let (ws, login) = workspace_with_login(&db.store, "rae").await;
    db.store
        .create_endpoint(ws, "https://r.example/", "", t(0))
        .await
        .unwrap();
    let quick = Timeouts {
        acquire: Duration::from_secs(5),
        busy: Duration::from_millis(100),
    };
    let s = SqlStore::connect_with(&db.url, ring(&db.ring), quick)
        .await
        .unwrap();

    // Another process holds the write lock.
    let mut other = sqlx::SqliteConnection::connect(&db.url).await.unwrap();
    sqlx::query("BEGIN IMMEDIATE")
        .execute(&mut other)
        .await
        .unwrap();
    let err = s
        .enqueue_event(ws, "test", &json!({}), t(1))
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Unavailable(_)), "{err:?}");
    assert!(err.to_string().starts_with("database unavailable"), "{err}");
    assert!(matches!(
        s.schedule_check(ws, login.id, t(0)).await,
        Err(StoreError::Unavailable(_))
    ));
    // Readers carry on (WAL) and see nothing of the refused writes.
    assert!(s.list_events(ws).await.unwrap().is_empty());
    assert!(s.list_deliveries(ws, None, 10).await.unwrap().is_empty());

    sqlx::query("ROLLBACK").execute(&mut other).await.unwrap();
    other.close().await.unwrap();
    s.enqueue_event(ws, "test", &json!({}), t(2)).await.unwrap();
    assert_eq!(s.list_deliveries(ws, None, 10).await.unwrap().len(), 1);
    s.close().await;
}

#[tokio::test]
async fn an_unreachable_or_closed_database_is_unavailable() {
    // Nothing listens on port 1 of 127.0.0.1: the connection is refused.
    let keys = ring(&new_ring_text(1));
    let err = SqlStore::connect_with(
        "postgres://tether@127.0.0.1:1/tether",
        keys,
        Timeouts {
            acquire: Duration::from_millis(300),
            busy: Duration::from_millis(300),
        },
    )
    .await
    .unwrap_err();
    assert!(matches!(err, StoreError::Unavailable(_)), "{err:?}");
    for_each_engine(closed).await;
}

async fn closed(db: TestDb) {
    db.store.close().await;
    assert!(
        matches!(
            db.store.list_workspaces().await,
            Err(StoreError::Unavailable(_))
        ),
        "{}",
        db.engine()
    );
}
