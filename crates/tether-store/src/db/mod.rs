//! [`SqlStore`]: the one implementation of [`Store`], over SQLite or PostgreSQL.
//!
//! Each method body is written once inside `on_pool!`, which expands it per engine, so every query
//! is type-checked against both drivers without sqlx's `Any` (STACK.md G7).

use crate::seal::KeyRing;
use crate::sql;
use crate::*;
use jiff::Timestamp;
use secrecy::SecretString;
use serde_json::Value;
use sqlx::postgres::PgPool;
use sqlx::sqlite::SqlitePool;
use sqlx::types::Json;
use std::sync::Arc;
use std::time::Duration;

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

mod assets;
mod budgets;
mod catalogs;
mod checks;
mod connect;
mod grants;
mod history;
mod mail;
mod oauth;
mod overview;
mod people;
mod pushes;
mod rejudge;
mod rows;
mod schedule;
mod tokens;
mod wake;
mod webhooks;
mod words;
mod workspaces;

pub use connect::Timeouts;
use rows::*;
pub use wake::DeliveryWake;

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
    /// The SQL for this engine where the dialects differ: Postgres adds row locks (`FOR UPDATE
    /// SKIP LOCKED` in claims, `FOR KEY SHARE` on the endpoints an event fans out to); SQLite's
    /// single writer serializes those statements by itself.
    fn dialect(&self, sqlite: &'static str, postgres: &'static str) -> &'static str {
        match self.pool {
            Pool::Sqlite(_) => sqlite,
            Pool::Postgres(_) => postgres,
        }
    }
}

impl Store for SqlStore {
    async fn create_workspace(&self, name: &str, now: Timestamp) -> Result<Workspace> {
        self.new_workspace(name, now).await
    }

    async fn get_workspace(&self, id: WorkspaceId) -> Result<Option<Workspace>> {
        self.workspace_row(id).await
    }

    async fn create_api_key(&self, ws: WorkspaceId, now: Timestamp) -> Result<NewApiKey> {
        self.new_api_key(ws, now).await
    }

    async fn authenticate_api_key(&self, secret: &SecretString) -> Result<Option<WorkspaceId>> {
        self.key_workspace(secret).await
    }

    async fn delete_login(&self, ws: WorkspaceId, id: LoginId) -> Result<bool> {
        let done = on_pool!(&self.pool, |p| sqlx::query(sql::DELETE_LOGIN)
            .bind(ws.0)
            .bind(id.0)
            .execute(p)
            .await
            .map(|r| r.rows_affected()))?;
        Ok(done == 1)
    }

    async fn revoke_api_key(&self, ws: WorkspaceId, key: ApiKeyId, now: Timestamp) -> Result<bool> {
        self.revoke_key(ws, key, now).await
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
        self.upsert_asset_row(ws, login, new).await
    }

    async fn get_asset(&self, ws: WorkspaceId, id: AssetId) -> Result<Option<Asset>> {
        self.get_asset_row(ws, id).await
    }

    async fn list_assets(&self, ws: WorkspaceId, filter: &AssetFilter) -> Result<Vec<Asset>> {
        self.filter_assets(ws, filter).await
    }

    async fn count_assets_by_status(&self, ws: WorkspaceId) -> Result<Vec<(Status, u64)>> {
        self.count_by_status(ws).await
    }

    async fn get_asset_report(
        &self,
        ws: WorkspaceId,
        asset: AssetId,
    ) -> Result<Option<Stamped<Value>>> {
        self.asset_report(ws, asset).await
    }

    async fn list_asset_transitions(
        &self,
        ws: WorkspaceId,
        asset: AssetId,
    ) -> Result<Vec<Transition>> {
        self.transitions(sql::LIST_ASSET_TRANSITIONS, ws, asset.0)
            .await
    }

    async fn scan_assets(
        &self,
        since: Option<Timestamp>,
        after: Option<(Timestamp, AssetId)>,
        limit: u32,
    ) -> Result<Vec<AssetRecord>> {
        self.scan(since, after, limit).await
    }

    async fn put_facts(
        &self,
        ws: WorkspaceId,
        login: LoginId,
        subject: FactsSubject,
        facts: &Value,
        seen_at: Timestamp,
    ) -> Result<()> {
        self.put_facts_row(ws, login, subject, facts, seen_at).await
    }

    async fn get_facts(
        &self,
        ws: WorkspaceId,
        subject: FactsSubject,
    ) -> Result<Option<Stamped<Value>>> {
        self.get_facts_row(ws, subject).await
    }

    async fn record_diagnosis(
        &self,
        ws: WorkspaceId,
        login: LoginId,
        d: &Diagnosis,
    ) -> Result<Vec<Transition>> {
        self.record(ws, login, None, d).await
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
        self.transitions(sql::LIST_TRANSITIONS, ws, login.0).await
    }

    async fn list_transitions_since(
        &self,
        ws: WorkspaceId,
        since: Timestamp,
    ) -> Result<Vec<Transition>> {
        let rows: Vec<TransitionRow> =
            on_pool!(&self.pool, |p| sqlx::query_as(sql::LIST_TRANSITIONS_SINCE)
                .bind(ws.0)
                .bind(us(since))
                .fetch_all(p)
                .await)?;
        rows.into_iter().map(transition).collect()
    }

    async fn release_leases(&self, owner: &str) -> Result<u64> {
        on_pool!(&self.pool, |p| {
            let mut tx = p.begin_write().await?;
            let logins = sqlx::query(sql::RELEASE_LOGIN_LEASES)
                .bind(owner)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            let deliveries = sqlx::query(sql::RELEASE_DELIVERY_LEASES)
                .bind(owner)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            tx.commit().await?;
            Ok::<_, StoreError>(logins + deliveries)
        })
    }

    async fn claim_due_logins(
        &self,
        owner: &str,
        now: Timestamp,
        lease: Duration,
        limit: u32,
        network: Option<Network>,
    ) -> Result<Vec<Claim>> {
        self.claim_logins(owner, now, lease, limit, network).await
    }

    async fn release_login(
        &self,
        login: LoginId,
        owner: &str,
        outcome: CheckOutcome,
        next_check_at: Timestamp,
    ) -> Result<bool> {
        self.release(login, owner, outcome, next_check_at).await
    }

    async fn note_check(
        &self,
        ws: WorkspaceId,
        login: LoginId,
        failure: Option<&str>,
        at: Timestamp,
    ) -> Result<()> {
        on_pool!(&self.pool, |p| sqlx::query(sql::NOTE_CHECK)
            .bind(ws.0)
            .bind(login.0)
            .bind(failure)
            .bind(us(at))
            .execute(p)
            .await
            .map(|_| ()))?;
        Ok(())
    }

    async fn schedule_check(&self, ws: WorkspaceId, login: LoginId, at: Timestamp) -> Result<bool> {
        self.bring_forward(ws, login, at).await
    }

    async fn find_logins_by_platform_user(
        &self,
        network: Network,
        platform_user_id: &str,
    ) -> Result<Vec<Login>> {
        let rows: Vec<LoginRow> = on_pool!(&self.pool, |p| sqlx::query_as(
            sql::FIND_LOGINS_BY_PLATFORM_USER
        )
        .bind(network.as_str())
        .bind(platform_user_id)
        .fetch_all(p)
        .await)?;
        rows.into_iter().map(login).collect()
    }

    async fn set_known_token(&self, ws: WorkspaceId, login: LoginId, known: &Value) -> Result<()> {
        let n = on_pool!(&self.pool, |p| sqlx::query(sql::SET_KNOWN_TOKEN)
            .bind(ws.0)
            .bind(login.0)
            .bind(Json(known))
            .execute(p)
            .await
            .map(|r| r.rows_affected()))?;
        if n == 1 {
            Ok(())
        } else {
            Err(StoreError::NotFound {
                what: "login",
                id: login.0,
            })
        }
    }

    async fn create_oauth_state(
        &self,
        state: &NewOAuthState,
        now: Timestamp,
    ) -> Result<SecretString> {
        self.new_state(state, now).await
    }

    async fn consume_oauth_state(
        &self,
        secret: &str,
        now: Timestamp,
    ) -> Result<Result<OAuthState, StateRejection>> {
        self.consume_state(secret, now).await
    }

    async fn purge_oauth_states(&self, before: Timestamp) -> Result<u64> {
        let n = on_pool!(&self.pool, |p| sqlx::query(sql::PURGE_OAUTH_STATES)
            .bind(us(before))
            .execute(p)
            .await
            .map(|r| r.rows_affected()))?;
        Ok(n)
    }

    async fn enqueue_event(
        &self,
        ws: WorkspaceId,
        event_type: &str,
        payload: &Value,
        now: Timestamp,
    ) -> Result<EventId> {
        self.enqueue(ws, event_type, payload, now).await
    }

    async fn enqueue_event_for(
        &self,
        ws: WorkspaceId,
        endpoint: EndpointId,
        event_type: &str,
        payload: &Value,
        now: Timestamp,
    ) -> Result<bool> {
        self.enqueue_for(ws, endpoint, event_type, payload, now)
            .await
    }

    async fn create_endpoint(
        &self,
        ws: WorkspaceId,
        url: &str,
        description: &str,
        now: Timestamp,
    ) -> Result<(Endpoint, SecretString)> {
        self.new_endpoint(ws, url, description, now).await
    }

    async fn list_endpoints(&self, ws: WorkspaceId) -> Result<Vec<Endpoint>> {
        let rows: Vec<EndpointRow> = on_pool!(&self.pool, |p| sqlx::query_as(sql::LIST_ENDPOINTS)
            .bind(ws.0)
            .fetch_all(p)
            .await)?;
        rows.into_iter().map(endpoint).collect()
    }

    async fn delete_endpoint(&self, ws: WorkspaceId, id: EndpointId) -> Result<bool> {
        let n = on_pool!(&self.pool, |p| sqlx::query(sql::DELETE_ENDPOINT)
            .bind(ws.0)
            .bind(id.0)
            .execute(p)
            .await
            .map(|r| r.rows_affected()))?;
        Ok(n == 1)
    }

    async fn claim_deliveries(
        &self,
        owner: &str,
        now: Timestamp,
        lease: Duration,
        limit: u32,
    ) -> Result<Vec<DeliveryJob>> {
        self.claim_jobs(owner, now, lease, limit, None).await
    }

    async fn claim_endpoint_deliveries(
        &self,
        owner: &str,
        now: Timestamp,
        lease: Duration,
        endpoint: EndpointId,
    ) -> Result<Vec<DeliveryJob>> {
        self.claim_jobs(owner, now, lease, 1, Some(endpoint)).await
    }

    async fn delivery_succeeded(
        &self,
        id: DeliveryId,
        owner: &str,
        status: u16,
        now: Timestamp,
    ) -> Result<bool> {
        self.delivery_ok(id, owner, status, now).await
    }

    async fn delivery_failed(
        &self,
        id: DeliveryId,
        owner: &str,
        status: Option<u16>,
        error: &str,
        next_attempt_at: Option<Timestamp>,
        now: Timestamp,
    ) -> Result<bool> {
        self.delivery_err(id, owner, status, error, next_attempt_at, now)
            .await
    }

    async fn list_deliveries(
        &self,
        ws: WorkspaceId,
        endpoint: Option<EndpointId>,
        limit: u32,
    ) -> Result<Vec<Delivery>> {
        let rows: Vec<DeliveryRow> =
            on_pool!(&self.pool, |p| sqlx::query_as(sql::LIST_DELIVERIES)
                .bind(ws.0)
                .bind(endpoint.map(|e| e.0))
                .bind(i64::from(limit))
                .fetch_all(p)
                .await)?;
        rows.into_iter().map(delivery).collect()
    }

    async fn list_events(&self, ws: WorkspaceId) -> Result<Vec<OutboxEvent>> {
        let rows: Vec<EventRow> = on_pool!(&self.pool, |p| sqlx::query_as(sql::LIST_EVENTS)
            .bind(ws.0)
            .fetch_all(p)
            .await)?;
        rows.into_iter().map(event).collect()
    }

    async fn create_user(
        &self,
        ws: WorkspaceId,
        email: &str,
        role: Role,
        password_hash: &str,
        now: Timestamp,
    ) -> Result<User> {
        self.new_user(ws, email, role, password_hash, now).await
    }

    async fn invite_user(
        &self,
        ws: WorkspaceId,
        email: &str,
        role: Role,
        expires_at: Timestamp,
        now: Timestamp,
    ) -> Result<(User, SecretString)> {
        self.invite(ws, email, role, expires_at, now).await
    }

    async fn get_invite(&self, secret: &str, now: Timestamp) -> Result<Option<User>> {
        self.invite_of(secret, now).await
    }

    async fn accept_invite(
        &self,
        secret: &str,
        password_hash: &str,
        now: Timestamp,
    ) -> Result<Option<User>> {
        self.accept(secret, password_hash, now).await
    }

    async fn find_user_for_sign_in(&self, email: &str) -> Result<Option<(User, String)>> {
        self.sign_in_user(email).await
    }

    async fn get_user(&self, ws: WorkspaceId, id: UserId) -> Result<Option<User>> {
        self.user_row(ws, id).await
    }

    async fn add_existing_user(
        &self,
        ws: WorkspaceId,
        email: &str,
        role: Role,
        now: Timestamp,
    ) -> Result<Option<User>> {
        self.add_existing(ws, email, role, now).await
    }

    async fn list_memberships(&self, user: UserId) -> Result<Vec<Membership>> {
        self.memberships(user).await
    }

    async fn switch_session(&self, secret: &str, ws: WorkspaceId, now: Timestamp) -> Result<bool> {
        self.switch(secret, ws, now).await
    }

    async fn list_users(&self, ws: WorkspaceId) -> Result<Vec<User>> {
        self.users(ws).await
    }

    async fn delete_user(&self, ws: WorkspaceId, id: UserId) -> Result<bool> {
        self.remove_user(ws, id).await
    }

    async fn set_user_password(
        &self,
        ws: WorkspaceId,
        id: UserId,
        password_hash: &str,
    ) -> Result<bool> {
        self.set_password(ws, id, password_hash).await
    }

    async fn create_session(
        &self,
        user: &User,
        expires_at: Timestamp,
        now: Timestamp,
    ) -> Result<SecretString> {
        self.new_session(user, expires_at, now).await
    }

    async fn get_session(&self, secret: &str, now: Timestamp) -> Result<Option<SessionUser>> {
        self.session_of(secret, now).await
    }

    async fn delete_session(&self, secret: &str) -> Result<bool> {
        self.end_session(secret).await
    }

    async fn purge_sessions(&self, before: Timestamp) -> Result<u64> {
        self.purge_expired_sessions(before).await
    }

    async fn list_api_keys(&self, ws: WorkspaceId) -> Result<Vec<ApiKey>> {
        self.api_keys(ws).await
    }

    async fn update_workspace_settings(
        &self,
        ws: WorkspaceId,
        profile: Option<&str>,
        warning_days: Option<u32>,
    ) -> Result<bool> {
        self.settings(ws, profile, warning_days).await
    }

    async fn list_overview(
        &self,
        ws: WorkspaceId,
        filter: &OverviewFilter,
    ) -> Result<OverviewPage> {
        self.overview_page(ws, filter).await
    }

    async fn count_overview(&self, ws: WorkspaceId) -> Result<OverviewCounts> {
        self.overview_counts(ws).await
    }

    async fn list_login_records(
        &self,
        ws: WorkspaceId,
        login: LoginId,
    ) -> Result<Vec<AssetRecord>> {
        self.login_records(ws, login).await
    }

    async fn list_account_reach(
        &self,
        ws: WorkspaceId,
        kind: AssetKind,
        platform_id: &str,
    ) -> Result<Vec<AssetRecord>> {
        self.account_reach(ws, kind, platform_id).await
    }

    async fn logins_missing_fixes(&self, limit: u32) -> Result<Vec<Login>> {
        let rows: Vec<LoginRow> =
            on_pool!(&self.pool, |p| sqlx::query_as(sql::LOGINS_MISSING_FIXES)
                .bind(i64::from(limit))
                .fetch_all(p)
                .await)?;
        rows.into_iter().map(login).collect()
    }

    async fn put_fixes(
        &self,
        ws: WorkspaceId,
        login: LoginId,
        login_fixes: &[Fix],
        assets: &[(AssetId, Vec<Fix>)],
    ) -> Result<()> {
        self.put_fix_rows(ws, login, login_fixes, assets).await
    }

    async fn disconnect_login(&self, ws: WorkspaceId, id: LoginId, now: Timestamp) -> Result<bool> {
        self.disconnect(ws, id, now).await
    }

    async fn list_workspaces(&self) -> Result<Vec<Workspace>> {
        self.workspaces().await
    }

    async fn claim_digest(
        &self,
        ws: WorkspaceId,
        now: Timestamp,
        period: Duration,
    ) -> Result<bool> {
        self.take_digest(ws, now, period).await
    }
}
