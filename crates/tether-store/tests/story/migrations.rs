//! Migrations are embedded, applied on connect, and idempotent.

use crate::harness::{TestDb, for_each_engine, ring, t, workspace_with_login};
use secrecy::ExposeSecret;
use sqlx::Connection;
use tether_store::{KeyRing, SqlStore, Store, StoreError};

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
