//! Gives each test body a fresh store per engine and cleans up after it, also when it panics.

use jiff::Timestamp;
use secrecy::{ExposeSecret, SecretString};
use serde_json::{Value, json};
use sqlx::{AssertSqlSafe, Connection};
use std::future::Future;
use std::path::PathBuf;
use tether_core::vocab::{AssetKind, Network, Status};
use tether_store::{
    Asset, AssetFilter, AssetId, AssetVerdict, KeyRing, Login, LoginId, NewAsset, NewLogin,
    SqlStore, Store, WorkspaceId,
};
use uuid::Uuid;

/// A fresh, migrated database on one engine, and how to reach it again.
pub struct TestDb {
    pub store: SqlStore,
    pub url: String,
    /// The key ring text the store was opened with (tests extend it to rotate).
    pub ring: String,
    cleanup: Cleanup,
}

enum Cleanup {
    Dir(PathBuf),
    Postgres { admin_url: String, name: String },
}

pub fn ring(text: &str) -> KeyRing {
    KeyRing::parse(&SecretString::from(text.to_owned())).expect("test key ring parses")
}

pub fn new_ring_text(id: u8) -> String {
    format!("{id}:{}", KeyRing::generate_key().expose_secret())
}

/// Runs `body` against SQLite, then against PostgreSQL when TEST_DATABASE_URL is set.
pub async fn for_each_engine<F, Fut>(body: F)
where
    F: Fn(TestDb) -> Fut,
    Fut: Future<Output = ()>,
{
    body(TestDb::sqlite().await).await;
    match std::env::var("TEST_DATABASE_URL") {
        Ok(url) if !url.is_empty() => body(TestDb::postgres(&url).await).await,
        _ => eprintln!("TEST_DATABASE_URL not set: PostgreSQL leg skipped"),
    }
}

impl TestDb {
    pub async fn sqlite() -> TestDb {
        let dir = std::env::temp_dir().join(format!("tether-store-{}", Uuid::now_v7().simple()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let url = format!("sqlite://{}?mode=rwc", dir.join("tether.db").display());
        let ring_text = new_ring_text(1);
        let store = SqlStore::connect(&url, ring(&ring_text))
            .await
            .expect("sqlite store connects");
        TestDb {
            store,
            url,
            ring: ring_text,
            cleanup: Cleanup::Dir(dir),
        }
    }

    pub async fn postgres(admin_url: &str) -> TestDb {
        let name = create_postgres_database(admin_url).await;
        let url = with_database(admin_url, &name);
        let ring_text = new_ring_text(1);
        let store = SqlStore::connect(&url, ring(&ring_text))
            .await
            .expect("postgres store connects");
        TestDb {
            store,
            url,
            ring: ring_text,
            cleanup: Cleanup::Postgres {
                admin_url: admin_url.to_owned(),
                name,
            },
        }
    }

    pub fn engine(&self) -> &'static str {
        self.store.engine()
    }

    /// Opens a second store on the same database with another key ring.
    pub async fn reopen(&self, keys: KeyRing) -> SqlStore {
        SqlStore::connect(&self.url, keys).await.expect("reopen")
    }

    /// The SQLite database directory (database file, WAL and shared memory).
    pub fn sqlite_dir(&self) -> Option<&PathBuf> {
        match &self.cleanup {
            Cleanup::Dir(dir) => Some(dir),
            Cleanup::Postgres { .. } => None,
        }
    }

    /// Copies one login's sealed token bytes into another row, as an attacker with write access
    /// to the database could. Raw SQL on purpose: the store offers no such operation.
    pub async fn copy_sealed_token(&self, from: LoginId, to: LoginId) {
        const COPY: &str = "UPDATE logins SET token_sealed = \
             (SELECT token_sealed FROM logins WHERE id = $1) WHERE id = $2";
        if self.engine() == "sqlite" {
            let mut c = sqlx::SqliteConnection::connect(&self.url).await.unwrap();
            sqlx::query(COPY)
                .bind(from.0)
                .bind(to.0)
                .execute(&mut c)
                .await
                .unwrap();
        } else {
            let mut c = sqlx::PgConnection::connect(&self.url).await.unwrap();
            sqlx::query(COPY)
                .bind(from.0)
                .bind(to.0)
                .execute(&mut c)
                .await
                .unwrap();
        }
    }
}

fn with_database(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, format!("?{q}")),
        None => (url, String::new()),
    };
    let authority_end = base
        .find("://")
        .map(|i| i + 3)
        .and_then(|start| base[start..].find('/').map(|j| start + j))
        .unwrap_or(base.len());
    format!("{}/{name}{query}", &base[..authority_end])
}

/// A fresh database that nothing has migrated yet, removed on drop (for upgrade tests).
pub struct EmptyDb {
    pub url: String,
    pub engine: &'static str,
    _cleanup: Cleanup,
}

/// Runs `body` against an empty SQLite database, then an empty PostgreSQL one when
/// TEST_DATABASE_URL is set.
pub async fn for_each_empty_engine<F, Fut>(body: F)
where
    F: Fn(EmptyDb) -> Fut,
    Fut: Future<Output = ()>,
{
    let dir = std::env::temp_dir().join(format!("tether-store-{}", Uuid::now_v7().simple()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    body(EmptyDb {
        url: format!("sqlite://{}?mode=rwc", dir.join("tether.db").display()),
        engine: "sqlite",
        _cleanup: Cleanup::Dir(dir),
    })
    .await;
    if let Ok(admin_url) = std::env::var("TEST_DATABASE_URL")
        && !admin_url.is_empty()
    {
        let name = create_postgres_database(&admin_url).await;
        body(EmptyDb {
            url: with_database(&admin_url, &name),
            engine: "postgres",
            _cleanup: Cleanup::Postgres { admin_url, name },
        })
        .await;
    }
}

async fn create_postgres_database(admin_url: &str) -> String {
    let name = format!("tether_test_{}", Uuid::now_v7().simple());
    let mut admin = sqlx::PgConnection::connect(admin_url)
        .await
        .expect("TEST_DATABASE_URL must reach a PostgreSQL server");
    sqlx::query(AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .execute(&mut admin)
        .await
        .expect("create test database");
    admin.close().await.ok();
    name
}

impl Drop for Cleanup {
    fn drop(&mut self) {
        match self {
            Cleanup::Dir(dir) => {
                std::fs::remove_dir_all(dir).ok();
            }
            Cleanup::Postgres { admin_url, name } => {
                // Drop cannot await, so a private runtime on its own thread drops the database.
                // FORCE ends the store's pooled connections, which cannot be closed politely
                // from here: their tasks live on the (now blocked) test runtime.
                let (admin_url, name) = (admin_url.clone(), name.clone());
                std::thread::spawn(move || {
                    let rt = tokio::runtime::Builder::new_current_thread()
                        .enable_all()
                        .build()
                        .expect("runtime");
                    rt.block_on(async {
                        if let Ok(mut admin) = sqlx::PgConnection::connect(&admin_url).await {
                            let drop = format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)");
                            if let Err(e) =
                                sqlx::query(AssertSqlSafe(drop)).execute(&mut admin).await
                            {
                                eprintln!("could not drop test database {name}: {e}");
                            }
                        }
                    });
                })
                .join()
                .ok();
            }
        }
    }
}

pub fn t(seconds: i64) -> Timestamp {
    Timestamp::from_second(1_800_000_000 + seconds).unwrap()
}

pub fn new_login(user: &str, token: &str) -> NewLogin {
    NewLogin {
        network: Network::Meta,
        platform_user_id: user.to_owned(),
        person_name: format!("Person {user}"),
        token: SecretString::from(token.to_owned()),
        expires_at: Some(t(86_400 * 60)),
        data_access_expires_at: Some(t(86_400 * 90)),
    }
}

pub async fn workspace_with_login(store: &SqlStore, user: &str) -> (WorkspaceId, Login) {
    let ws = store
        .create_workspace(&format!("ws {user}"), t(0))
        .await
        .unwrap();
    let login = store
        .upsert_login(
            ws.id,
            new_login(user, &format!("EAA-token-of-{user}")),
            t(0),
        )
        .await
        .unwrap();
    (ws.id, login)
}

/// Every asset of a workspace (one generous page).
pub fn all_assets() -> AssetFilter {
    AssetFilter {
        limit: 1000,
        ..AssetFilter::default()
    }
}

pub async fn page(store: &SqlStore, ws: WorkspaceId, login: LoginId, id: &str) -> Asset {
    store
        .upsert_asset(
            ws,
            login,
            NewAsset {
                kind: AssetKind::FacebookPage,
                platform_id: id.to_owned(),
                name: format!("Page {id}"),
            },
        )
        .await
        .unwrap()
}

/// A verdict with no owners or features and a report naming the status.
pub fn verdict(asset: AssetId, status: Status, findings: Value) -> AssetVerdict {
    AssetVerdict {
        asset_id: asset,
        status,
        report: json!({"status": status.as_str(), "findings": findings}),
        findings,
        owners: vec![],
        unavailable: vec![],
        at_risk: vec![],
        fixes: vec![],
    }
}
