//! [`SqlStore`]: the one implementation of [`Store`], over SQLite or PostgreSQL.
//!
//! Each method body is written once inside `on_pool!`, which expands it per engine, so every query
//! is type-checked against both drivers without sqlx's `Any` (STACK.md G7).

use crate::seal::KeyRing;
use crate::sql;
use crate::*;
use jiff::Timestamp;
use secrecy::{ExposeSecret, SecretString};
use serde_json::Value;
use sqlx::migrate::Migrator;
use sqlx::postgres::{PgPool, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions};
use sqlx::types::Json;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;
use uuid::Uuid;

static SQLITE_MIGRATIONS: Migrator = sqlx::migrate!("migrations/sqlite");
static POSTGRES_MIGRATIONS: Migrator = sqlx::migrate!("migrations/postgres");

#[derive(Clone)]
enum Pool {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// Expands `body` once per pool type, so each query is type-checked against both drivers.
macro_rules! on_pool {
    ($pool:expr, |$p:ident| $body:expr) => {
        match $pool {
            Pool::Sqlite($p) => $body,
            Pool::Postgres($p) => $body,
        }
    };
}

mod history;
mod rows;
mod tokens;

use rows::*;

/// Opens a write transaction. SQLite's default deferred BEGIN would take the write lock only at
/// the first write, and a transaction that read first then fails with SQLITE_BUSY (not retried by
/// busy_timeout) when another writer got in between; IMMEDIATE takes the lock up front.
trait BeginWrite {
    type Db: sqlx::Database;
    async fn begin_write(&self) -> sqlx::Result<sqlx::Transaction<'static, Self::Db>>;
}
impl BeginWrite for SqlitePool {
    type Db = sqlx::Sqlite;
    async fn begin_write(&self) -> sqlx::Result<sqlx::Transaction<'static, sqlx::Sqlite>> {
        self.begin_with("BEGIN IMMEDIATE").await
    }
}
impl BeginWrite for PgPool {
    type Db = sqlx::Postgres;
    async fn begin_write(&self) -> sqlx::Result<sqlx::Transaction<'static, sqlx::Postgres>> {
        self.begin().await
    }
}

/// The store over a real database. Cheap to clone (pools and the key ring are shared).
#[derive(Clone)]
pub struct SqlStore {
    pool: Pool,
    keys: Arc<KeyRing>,
}

impl std::fmt::Debug for SqlStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqlStore")
            .field("engine", &self.engine())
            .field("keys", &self.keys)
            .finish()
    }
}

impl SqlStore {
    /// The SQL for this engine where the dialects differ (the claim queries: Postgres adds
    /// `FOR UPDATE SKIP LOCKED`; SQLite's single writer serializes the UPDATE by itself).
    fn dialect(&self, sqlite: &'static str, postgres: &'static str) -> &'static str {
        match self.pool {
            Pool::Sqlite(_) => sqlite,
            Pool::Postgres(_) => postgres,
        }
    }

    /// Connects and migrates. `postgres://` or `postgresql://` selects PostgreSQL; `sqlite:` or a
    /// plain file path selects SQLite (created if missing, WAL, 5 s busy timeout).
    pub async fn connect(url: &str, keys: KeyRing) -> Result<SqlStore> {
        let pool = if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Pool::Postgres(
                PgPoolOptions::new()
                    .max_connections(16)
                    .acquire_timeout(Duration::from_secs(10))
                    .connect(url)
                    .await?,
            )
        } else {
            let options = if url.starts_with("sqlite:") {
                SqliteConnectOptions::from_str(url)?
            } else if url.contains("://") {
                let scheme = url.split("://").next().unwrap_or_default();
                return Err(StoreError::BadUrl(scheme.to_owned()));
            } else {
                SqliteConnectOptions::new()
                    .filename(url)
                    .create_if_missing(true)
            };
            let options = options
                .journal_mode(SqliteJournalMode::Wal)
                .busy_timeout(Duration::from_secs(5))
                .foreign_keys(true);
            Pool::Sqlite(
                SqlitePoolOptions::new()
                    .max_connections(8)
                    .connect_with(options)
                    .await?,
            )
        };
        let store = SqlStore {
            pool,
            keys: Arc::new(keys),
        };
        store.migrate().await?;
        Ok(store)
    }

    /// Applies any migrations not yet applied; a no-op on an up-to-date database.
    pub async fn migrate(&self) -> Result<()> {
        match &self.pool {
            Pool::Sqlite(p) => SQLITE_MIGRATIONS.run(p).await?,
            Pool::Postgres(p) => POSTGRES_MIGRATIONS.run(p).await?,
        }
        Ok(())
    }

    /// `"sqlite"` or `"postgres"`.
    pub fn engine(&self) -> &'static str {
        match self.pool {
            Pool::Sqlite(_) => "sqlite",
            Pool::Postgres(_) => "postgres",
        }
    }

    /// The key ring tokens are sealed with.
    pub fn keys(&self) -> &KeyRing {
        &self.keys
    }

    /// Closes every connection (lets a test drop its database afterwards).
    pub async fn close(&self) {
        on_pool!(&self.pool, |p| p.close().await)
    }
}

impl Store for SqlStore {
    async fn create_workspace(&self, name: &str, now: Timestamp) -> Result<Workspace> {
        let ws = Workspace {
            id: WorkspaceId::new(),
            name: name.to_owned(),
            created_at: now,
        };
        on_pool!(&self.pool, |p| sqlx::query(sql::INSERT_WORKSPACE)
            .bind(ws.id.0)
            .bind(&ws.name)
            .bind(us(now))
            .execute(p)
            .await
            .map(|_| ()))?;
        Ok(ws)
    }

    async fn get_workspace(&self, id: WorkspaceId) -> Result<Option<Workspace>> {
        let row: Option<(Uuid, String, i64)> =
            on_pool!(&self.pool, |p| sqlx::query_as(sql::GET_WORKSPACE)
                .bind(id.0)
                .fetch_optional(p)
                .await)?;
        row.map(|(id, name, at)| {
            Ok(Workspace {
                id: WorkspaceId(id),
                name,
                created_at: ts("workspaces.created_at", at)?,
            })
        })
        .transpose()
    }

    async fn create_api_key(&self, ws: WorkspaceId, now: Timestamp) -> Result<NewApiKey> {
        let mut bytes = [0u8; 32];
        rand::fill(&mut bytes);
        let secret = format!("tk_{}", hex::encode(bytes));
        let prefix = secret[..10].to_owned();
        let id = ApiKeyId::new();
        on_pool!(&self.pool, |p| sqlx::query(sql::INSERT_API_KEY)
            .bind(id.0)
            .bind(ws.0)
            .bind(&prefix)
            .bind(hash_secret(&secret))
            .bind(us(now))
            .execute(p)
            .await
            .map(|_| ()))?;
        Ok(NewApiKey {
            id,
            prefix,
            secret: SecretString::from(secret),
        })
    }

    async fn authenticate_api_key(&self, secret: &SecretString) -> Result<Option<WorkspaceId>> {
        let hash = hash_secret(secret.expose_secret());
        let row: Option<(Uuid,)> =
            on_pool!(&self.pool, |p| sqlx::query_as(sql::AUTHENTICATE_API_KEY)
                .bind(&hash)
                .fetch_optional(p)
                .await)?;
        Ok(row.map(|(id,)| WorkspaceId(id)))
    }

    async fn revoke_api_key(&self, ws: WorkspaceId, key: ApiKeyId, now: Timestamp) -> Result<bool> {
        let done = on_pool!(&self.pool, |p| sqlx::query(sql::REVOKE_API_KEY)
            .bind(ws.0)
            .bind(key.0)
            .bind(us(now))
            .execute(p)
            .await
            .map(|r| r.rows_affected()))?;
        Ok(done == 1)
    }

    async fn upsert_login(&self, ws: WorkspaceId, new: NewLogin, now: Timestamp) -> Result<Login> {
        self.insert_or_reconnect(ws, new, now).await
    }

    async fn get_login(&self, ws: WorkspaceId, id: LoginId) -> Result<Option<Login>> {
        let row: Option<LoginRow> = on_pool!(&self.pool, |p| sqlx::query_as(sql::GET_LOGIN)
            .bind(ws.0)
            .bind(id.0)
            .fetch_optional(p)
            .await)?;
        row.map(login).transpose()
    }

    async fn list_logins(&self, ws: WorkspaceId) -> Result<Vec<Login>> {
        let rows: Vec<LoginRow> = on_pool!(&self.pool, |p| sqlx::query_as(sql::LIST_LOGINS)
            .bind(ws.0)
            .fetch_all(p)
            .await)?;
        rows.into_iter().map(login).collect()
    }

    async fn login_token(&self, ws: WorkspaceId, id: LoginId) -> Result<SecretString> {
        self.open_token(ws, id).await
    }

    async fn reseal_tokens(
        &self,
        batch: u32,
        progress: &mut (dyn FnMut(ResealProgress) + Send),
    ) -> Result<ResealProgress> {
        self.reseal(batch, progress).await
    }

    async fn upsert_asset(&self, ws: WorkspaceId, login: LoginId, new: NewAsset) -> Result<Asset> {
        let row: AssetRow = on_pool!(&self.pool, |p| {
            let mut tx = p.begin_write().await?;
            // The login must be this workspace's: assets inherit its workspace.
            let owned: Option<(Uuid,)> = sqlx::query_as(sql::LOGIN_IN_WORKSPACE)
                .bind(ws.0)
                .bind(login.0)
                .fetch_optional(&mut *tx)
                .await?;
            if owned.is_none() {
                return Err(StoreError::NotFound {
                    what: "login",
                    id: login.0,
                });
            }
            let row: AssetRow = sqlx::query_as(sql::UPSERT_ASSET)
                .bind(Uuid::now_v7())
                .bind(ws.0)
                .bind(login.0)
                .bind(new.kind.as_str())
                .bind(&new.platform_id)
                .bind(&new.name)
                .fetch_one(&mut *tx)
                .await?;
            tx.commit().await?;
            Ok::<_, StoreError>(row)
        })?;
        asset(row)
    }

    async fn get_asset(&self, ws: WorkspaceId, id: AssetId) -> Result<Option<Asset>> {
        let row: Option<AssetRow> = on_pool!(&self.pool, |p| sqlx::query_as(sql::GET_ASSET)
            .bind(ws.0)
            .bind(id.0)
            .fetch_optional(p)
            .await)?;
        row.map(asset).transpose()
    }

    async fn list_assets(&self, ws: WorkspaceId, login: Option<LoginId>) -> Result<Vec<Asset>> {
        let rows: Vec<AssetRow> = on_pool!(&self.pool, |p| match login {
            Some(login) => {
                sqlx::query_as(sql::LIST_LOGIN_ASSETS)
                    .bind(ws.0)
                    .bind(login.0)
                    .fetch_all(p)
                    .await
            }
            None =>
                sqlx::query_as(sql::LIST_ASSETS)
                    .bind(ws.0)
                    .fetch_all(p)
                    .await,
        })?;
        rows.into_iter().map(asset).collect()
    }

    async fn put_facts(
        &self,
        ws: WorkspaceId,
        login: LoginId,
        subject: FactsSubject,
        facts: &Value,
        seen_at: Timestamp,
    ) -> Result<()> {
        on_pool!(&self.pool, |p| {
            let mut tx = p.begin_write().await?;
            let owned: Option<(Uuid,)> = sqlx::query_as(sql::LOGIN_IN_WORKSPACE)
                .bind(ws.0)
                .bind(login.0)
                .fetch_optional(&mut *tx)
                .await?;
            if owned.is_none() {
                return Err(StoreError::NotFound {
                    what: "login",
                    id: login.0,
                });
            }
            sqlx::query(sql::PUT_FACTS)
                .bind(subject.uuid())
                .bind(ws.0)
                .bind(login.0)
                .bind(Json(facts))
                .bind(us(seen_at))
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
            Ok::<_, StoreError>(())
        })
    }

    async fn get_facts(
        &self,
        ws: WorkspaceId,
        subject: FactsSubject,
    ) -> Result<Option<Stamped<Value>>> {
        let row: Option<(Json<Value>, i64)> =
            on_pool!(&self.pool, |p| sqlx::query_as(sql::GET_FACTS)
                .bind(ws.0)
                .bind(subject.uuid())
                .fetch_optional(p)
                .await)?;
        row.map(|(v, at)| {
            Ok(Stamped {
                value: v.0,
                at: ts("facts.seen_at", at)?,
            })
        })
        .transpose()
    }

    async fn record_diagnosis(
        &self,
        ws: WorkspaceId,
        login: LoginId,
        d: &Diagnosis,
    ) -> Result<Vec<Transition>> {
        self.record(ws, login, d).await
    }

    async fn get_diagnosis(
        &self,
        ws: WorkspaceId,
        login: LoginId,
    ) -> Result<Option<Stamped<Value>>> {
        let row: Option<(Json<Value>, i64)> =
            on_pool!(&self.pool, |p| sqlx::query_as(sql::GET_DIAGNOSIS)
                .bind(ws.0)
                .bind(login.0)
                .fetch_optional(p)
                .await)?;
        row.map(|(v, at)| {
            Ok(Stamped {
                value: v.0,
                at: ts("diagnoses.diagnosed_at", at)?,
            })
        })
        .transpose()
    }

    async fn list_transitions(&self, ws: WorkspaceId, login: LoginId) -> Result<Vec<Transition>> {
        let rows: Vec<TransitionRow> =
            on_pool!(&self.pool, |p| sqlx::query_as(sql::LIST_TRANSITIONS)
                .bind(ws.0)
                .bind(login.0)
                .fetch_all(p)
                .await)?;
        rows.into_iter().map(transition).collect()
    }

    async fn claim_due_logins(
        &self,
        owner: &str,
        now: Timestamp,
        lease: Duration,
        limit: u32,
    ) -> Result<Vec<Claim>> {
        let until = us(now).saturating_add(micros_of(lease));
        let q = self.dialect(sql::CLAIM_LOGINS_SQLITE, sql::CLAIM_LOGINS_PG);
        let mut rows: Vec<(Uuid, Uuid)> = on_pool!(&self.pool, |p| sqlx::query_as(q)
            .bind(owner)
            .bind(until)
            .bind(us(now))
            .bind(i64::from(limit))
            .fetch_all(p)
            .await)?;
        // RETURNING has no defined order on either engine.
        rows.sort();
        Ok(rows
            .into_iter()
            .map(|(l, w)| Claim {
                login_id: LoginId(l),
                workspace_id: WorkspaceId(w),
            })
            .collect())
    }

    async fn release_login(
        &self,
        login: LoginId,
        owner: &str,
        outcome: CheckOutcome,
        next_check_at: Timestamp,
    ) -> Result<bool> {
        let q = match outcome {
            CheckOutcome::Verified => sql::RELEASE_VERIFIED,
            CheckOutcome::Failed => sql::RELEASE_FAILED,
        };
        let n = on_pool!(&self.pool, |p| sqlx::query(q)
            .bind(login.0)
            .bind(owner)
            .bind(us(next_check_at))
            .execute(p)
            .await
            .map(|r| r.rows_affected()))?;
        Ok(n == 1)
    }

    async fn enqueue_event(
        &self,
        ws: WorkspaceId,
        event_type: &str,
        payload: &Value,
        now: Timestamp,
    ) -> Result<EventId> {
        let id = EventId::new();
        on_pool!(&self.pool, |p| sqlx::query(sql::INSERT_EVENT)
            .bind(id.0)
            .bind(ws.0)
            .bind(event_type)
            .bind(Json(payload))
            .bind(us(now))
            .execute(p)
            .await
            .map(|_| ()))?;
        Ok(id)
    }

    async fn claim_events(
        &self,
        owner: &str,
        now: Timestamp,
        lease: Duration,
        limit: u32,
    ) -> Result<Vec<OutboxEvent>> {
        let until = us(now).saturating_add(micros_of(lease));
        let q = self.dialect(sql::CLAIM_EVENTS_SQLITE, sql::CLAIM_EVENTS_PG);
        let rows: Vec<EventRow> = on_pool!(&self.pool, |p| sqlx::query_as(q)
            .bind(owner)
            .bind(until)
            .bind(us(now))
            .bind(i64::from(limit))
            .fetch_all(p)
            .await)?;
        let mut events = rows.into_iter().map(event).collect::<Result<Vec<_>>>()?;
        events.sort_by_key(|e| (e.next_attempt_at, e.id));
        Ok(events)
    }

    async fn mark_delivered(&self, id: EventId, owner: &str, now: Timestamp) -> Result<bool> {
        let n = on_pool!(&self.pool, |p| sqlx::query(sql::MARK_DELIVERED)
            .bind(id.0)
            .bind(owner)
            .bind(us(now))
            .execute(p)
            .await
            .map(|r| r.rows_affected()))?;
        Ok(n == 1)
    }

    async fn mark_failed(
        &self,
        id: EventId,
        owner: &str,
        error: &str,
        next_attempt_at: Timestamp,
    ) -> Result<bool> {
        let n = on_pool!(&self.pool, |p| sqlx::query(sql::MARK_FAILED)
            .bind(id.0)
            .bind(owner)
            .bind(error)
            .bind(us(next_attempt_at))
            .execute(p)
            .await
            .map(|r| r.rows_affected()))?;
        Ok(n == 1)
    }

    async fn list_events(&self, ws: WorkspaceId) -> Result<Vec<OutboxEvent>> {
        let rows: Vec<EventRow> = on_pool!(&self.pool, |p| sqlx::query_as(sql::LIST_EVENTS)
            .bind(ws.0)
            .fetch_all(p)
            .await)?;
        rows.into_iter().map(event).collect()
    }
}
