//! [`SqlStore`]: the one implementation of [`Store`], over SQLite or PostgreSQL.
//!
//! Each method body is written once inside `on_pool!`, which expands it per engine, so every query
//! is type-checked against both drivers without sqlx's `Any` (STACK.md G7).

use crate::seal::{KeyRing, TokenAad, TokenKind};
use crate::sql;
use crate::*;
use jiff::Timestamp;
use secrecy::{ExposeSecret, SecretString};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use sqlx::migrate::Migrator;
use sqlx::postgres::{PgPool, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions};
use sqlx::types::Json;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;
use tether_core::vocab::{AssetKind, Network, Status};
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

fn us(t: Timestamp) -> i64 {
    t.as_microsecond()
}

fn ts(column: &'static str, micros: i64) -> Result<Timestamp> {
    Timestamp::from_microsecond(micros).map_err(|_| StoreError::Corrupt {
        column,
        value: micros.to_string(),
    })
}

fn opt_ts(column: &'static str, micros: Option<i64>) -> Result<Option<Timestamp>> {
    micros.map(|m| ts(column, m)).transpose()
}

fn word<T: FromStr>(column: &'static str, value: &str) -> Result<T> {
    value.parse().map_err(|_| StoreError::Corrupt {
        column,
        value: value.to_owned(),
    })
}

fn micros_of(d: Duration) -> i64 {
    i64::try_from(d.as_micros()).unwrap_or(i64::MAX)
}

fn hash_secret(secret: &str) -> Vec<u8> {
    Sha256::digest(secret.as_bytes()).to_vec()
}

type LoginRow = (
    Uuid,
    Uuid,
    String,
    String,
    String,
    i64,
    Option<i64>,
    Option<i64>,
    String,
    Option<i64>,
    i64,
    Option<String>,
    Option<i64>,
    i64,
    i64,
);

fn login(r: LoginRow) -> Result<Login> {
    Ok(Login {
        id: LoginId(r.0),
        workspace_id: WorkspaceId(r.1),
        network: word("logins.network", &r.2)?,
        platform_user_id: r.3,
        person_name: r.4,
        token_key_id: u8::try_from(r.5).map_err(|_| StoreError::Corrupt {
            column: "logins.token_key_id",
            value: r.5.to_string(),
        })?,
        expires_at: opt_ts("logins.expires_at", r.6)?,
        data_access_expires_at: opt_ts("logins.data_access_expires_at", r.7)?,
        status: word("logins.status", &r.8)?,
        last_verified_at: opt_ts("logins.last_verified_at", r.9)?,
        next_check_at: ts("logins.next_check_at", r.10)?,
        lease_owner: r.11,
        lease_until: opt_ts("logins.lease_until", r.12)?,
        consecutive_failures: u32::try_from(r.13).unwrap_or(u32::MAX),
        created_at: ts("logins.created_at", r.14)?,
    })
}

type AssetRow = (
    Uuid,
    Uuid,
    Uuid,
    String,
    String,
    String,
    String,
    Option<i64>,
);

fn asset(r: AssetRow) -> Result<Asset> {
    Ok(Asset {
        id: AssetId(r.0),
        workspace_id: WorkspaceId(r.1),
        login_id: LoginId(r.2),
        kind: word::<AssetKind>("assets.kind", &r.3)?,
        platform_id: r.4,
        name: r.5,
        status: word("assets.status", &r.6)?,
        last_verified_at: opt_ts("assets.last_verified_at", r.7)?,
    })
}

type TransitionRow = (
    Uuid,
    Uuid,
    Uuid,
    Option<Uuid>,
    Option<String>,
    String,
    Json<Value>,
    i64,
);

fn transition(r: TransitionRow) -> Result<Transition> {
    Ok(Transition {
        id: r.0,
        workspace_id: WorkspaceId(r.1),
        login_id: LoginId(r.2),
        asset_id: r.3.map(AssetId),
        old_status: r
            .4
            .as_deref()
            .map(|s| word("transitions.old_status", s))
            .transpose()?,
        new_status: word("transitions.new_status", &r.5)?,
        findings: r.6.0,
        at: ts("transitions.at", r.7)?,
    })
}

type EventRow = (
    Uuid,
    Uuid,
    String,
    Json<Value>,
    i64,
    i64,
    i64,
    Option<String>,
    Option<i64>,
);

fn event(r: EventRow) -> Result<OutboxEvent> {
    Ok(OutboxEvent {
        id: EventId(r.0),
        workspace_id: WorkspaceId(r.1),
        event_type: r.2,
        payload: r.3.0,
        created_at: ts("outbox.created_at", r.4)?,
        attempts: u32::try_from(r.5).unwrap_or(u32::MAX),
        next_attempt_at: ts("outbox.next_attempt_at", r.6)?,
        last_error: r.7,
        delivered_at: opt_ts("outbox.delivered_at", r.8)?,
    })
}

fn user_aad(login: Uuid, network: Network) -> TokenAad {
    TokenAad {
        login_id: login,
        network,
        kind: TokenKind::User,
    }
}

/// An asset is "resolved" when it is back to working after being in trouble; coming out of
/// `pending` (first diagnosis) is an ordinary change, not a recovery.
fn is_recovery(old: Option<Status>, new: Status) -> bool {
    new == Status::Connected
        && matches!(
            old,
            Some(Status::AtRisk | Status::ActionRequired | Status::Disconnected)
        )
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
        let network = new.network.as_str();
        let row: LoginRow = on_pool!(&self.pool, |p| {
            let mut tx = p.begin_write().await?;
            let existing: Option<(Uuid,)> = sqlx::query_as(sql::FIND_LOGIN_ID)
                .bind(ws.0)
                .bind(network)
                .bind(&new.platform_user_id)
                .fetch_optional(&mut *tx)
                .await?;
            // The id must be known before sealing: it is part of the token's AAD.
            let id = existing.map_or_else(Uuid::now_v7, |(id,)| id);
            let sealed = self.keys.seal(&new.token, &user_aad(id, new.network));
            let key_id = i64::from(self.keys.active_id());
            let row: LoginRow = if existing.is_some() {
                sqlx::query_as(sql::RECONNECT_LOGIN)
                    .bind(ws.0)
                    .bind(id)
                    .bind(&new.person_name)
                    .bind(&sealed)
                    .bind(key_id)
                    .bind(new.expires_at.map(us))
                    .bind(new.data_access_expires_at.map(us))
                    .bind(us(now))
                    .fetch_one(&mut *tx)
                    .await?
            } else {
                sqlx::query_as(sql::INSERT_LOGIN)
                    .bind(id)
                    .bind(ws.0)
                    .bind(network)
                    .bind(&new.platform_user_id)
                    .bind(&new.person_name)
                    .bind(&sealed)
                    .bind(key_id)
                    .bind(new.expires_at.map(us))
                    .bind(new.data_access_expires_at.map(us))
                    .bind(Status::Pending.as_str())
                    .bind(us(now))
                    .fetch_one(&mut *tx)
                    .await?
            };
            tx.commit().await?;
            Ok::<_, StoreError>(row)
        })?;
        login(row)
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
        let row: Option<(String, Vec<u8>)> =
            on_pool!(&self.pool, |p| sqlx::query_as(sql::GET_LOGIN_TOKEN)
                .bind(ws.0)
                .bind(id.0)
                .fetch_optional(p)
                .await)?;
        let (network, sealed) = row.ok_or(StoreError::NotFound {
            what: "login",
            id: id.0,
        })?;
        let network: Network = word("logins.network", &network)?;
        self.keys
            .open(&sealed, &user_aad(id.0, network))
            .map_err(|source| StoreError::Seal {
                login: id.0,
                source,
            })
    }

    async fn reseal_tokens(
        &self,
        batch: u32,
        progress: &mut (dyn FnMut(ResealProgress) + Send),
    ) -> Result<ResealProgress> {
        let active = i64::from(self.keys.active_id());
        let (total,): (i64,) = on_pool!(&self.pool, |p| sqlx::query_as(sql::COUNT_STALE_TOKENS)
            .bind(active)
            .fetch_one(p)
            .await)?;
        let mut state = ResealProgress {
            done: 0,
            total: u64::try_from(total).unwrap_or_default(),
        };
        loop {
            let resealed: u64 = on_pool!(&self.pool, |p| {
                let mut tx = p.begin_write().await?;
                let rows: Vec<(Uuid, String, Vec<u8>, i64)> = sqlx::query_as(sql::STALE_TOKENS)
                    .bind(active)
                    .bind(i64::from(batch.max(1)))
                    .fetch_all(&mut *tx)
                    .await?;
                let mut n = 0u64;
                for (id, network, sealed, old_key) in rows {
                    let aad = user_aad(id, word("logins.network", &network)?);
                    // A row that does not open stops the rotation: skipping it would leave it
                    // stale forever, and dropping it would lose a connection.
                    let token = self
                        .keys
                        .open(&sealed, &aad)
                        .map_err(|source| StoreError::Seal { login: id, source })?;
                    sqlx::query(sql::RESEAL_TOKEN)
                        .bind(id)
                        .bind(old_key)
                        .bind(self.keys.seal(&token, &aad))
                        .bind(active)
                        .execute(&mut *tx)
                        .await?;
                    n += 1;
                }
                tx.commit().await?;
                Ok::<_, StoreError>(n)
            })?;
            if resealed == 0 {
                return Ok(state);
            }
            state.done += resealed;
            state.total = state.total.max(state.done);
            progress(state);
        }
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
        let at = us(d.at);
        on_pool!(&self.pool, |p| {
            let mut tx = p.begin_write().await?;
            let mut written = Vec::new();
            let old: Option<(String,)> = sqlx::query_as(sql::LOGIN_STATUS)
                .bind(ws.0)
                .bind(login.0)
                .fetch_optional(&mut *tx)
                .await?;
            let old: Status = match old {
                Some((s,)) => word("logins.status", &s)?,
                None => {
                    return Err(StoreError::NotFound {
                        what: "login",
                        id: login.0,
                    });
                }
            };
            sqlx::query(sql::SET_LOGIN_STATUS)
                .bind(ws.0)
                .bind(login.0)
                .bind(d.login_status.as_str())
                .bind(at)
                .execute(&mut *tx)
                .await?;
            if old != d.login_status {
                written.push((None, old, d.login_status, &d.login_findings));
            }
            for v in &d.assets {
                let old: Option<(String,)> = sqlx::query_as(sql::ASSET_OF_LOGIN)
                    .bind(ws.0)
                    .bind(login.0)
                    .bind(v.asset_id.0)
                    .fetch_optional(&mut *tx)
                    .await?;
                let old: Status = match old {
                    Some((s,)) => word("assets.status", &s)?,
                    None => {
                        return Err(StoreError::NotFound {
                            what: "asset",
                            id: v.asset_id.0,
                        });
                    }
                };
                sqlx::query(sql::SET_ASSET_STATUS)
                    .bind(ws.0)
                    .bind(v.asset_id.0)
                    .bind(v.status.as_str())
                    .bind(at)
                    .execute(&mut *tx)
                    .await?;
                if old != v.status {
                    written.push((Some(v.asset_id), old, v.status, &v.findings));
                }
            }
            sqlx::query(sql::PUT_DIAGNOSIS)
                .bind(login.0)
                .bind(ws.0)
                .bind(Json(&d.report))
                .bind(at)
                .execute(&mut *tx)
                .await?;
            let mut out = Vec::with_capacity(written.len());
            for (asset_id, old, new, findings) in written {
                let t = Transition {
                    id: Uuid::now_v7(),
                    workspace_id: ws,
                    login_id: login,
                    asset_id,
                    old_status: Some(old),
                    new_status: new,
                    findings: findings.clone(),
                    at: d.at,
                };
                sqlx::query(sql::INSERT_TRANSITION)
                    .bind(t.id)
                    .bind(ws.0)
                    .bind(login.0)
                    .bind(asset_id.map(|a| a.0))
                    .bind(old.as_str())
                    .bind(new.as_str())
                    .bind(Json(findings))
                    .bind(at)
                    .execute(&mut *tx)
                    .await?;
                let (event_type, subject) = match asset_id {
                    Some(_) if is_recovery(Some(old), new) => ("asset.resolved", "asset_id"),
                    Some(_) => ("asset.status_changed", "asset_id"),
                    None => ("login.status_changed", "login_id"),
                };
                let payload = json!({
                    subject: asset_id.map_or(login.0, |a| a.0),
                    "login_id": login.0,
                    "old_status": old.as_str(),
                    "new_status": new.as_str(),
                    "findings": findings,
                    "at": d.at.to_string(),
                    "transition_id": t.id,
                });
                sqlx::query(sql::INSERT_EVENT)
                    .bind(Uuid::now_v7())
                    .bind(ws.0)
                    .bind(event_type)
                    .bind(Json(&payload))
                    .bind(at)
                    .execute(&mut *tx)
                    .await?;
                out.push(t);
            }
            tx.commit().await?;
            Ok::<_, StoreError>(out)
        })
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
        let mut rows: Vec<(Uuid, Uuid)> = match &self.pool {
            Pool::Sqlite(p) => {
                sqlx::query_as(sql::CLAIM_LOGINS_SQLITE)
                    .bind(owner)
                    .bind(until)
                    .bind(us(now))
                    .bind(i64::from(limit))
                    .fetch_all(p)
                    .await?
            }
            Pool::Postgres(p) => {
                sqlx::query_as(sql::CLAIM_LOGINS_PG)
                    .bind(owner)
                    .bind(until)
                    .bind(us(now))
                    .bind(i64::from(limit))
                    .fetch_all(p)
                    .await?
            }
        };
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
        let rows: Vec<EventRow> = match &self.pool {
            Pool::Sqlite(p) => {
                sqlx::query_as(sql::CLAIM_EVENTS_SQLITE)
                    .bind(owner)
                    .bind(until)
                    .bind(us(now))
                    .bind(i64::from(limit))
                    .fetch_all(p)
                    .await?
            }
            Pool::Postgres(p) => {
                sqlx::query_as(sql::CLAIM_EVENTS_PG)
                    .bind(owner)
                    .bind(until)
                    .bind(us(now))
                    .bind(i64::from(limit))
                    .fetch_all(p)
                    .await?
            }
        };
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
