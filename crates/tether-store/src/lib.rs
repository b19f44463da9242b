//! Tether's storage: one [`Store`] trait and one implementation, [`SqlStore`], over SQLite (the
//! embedded default, a file) or PostgreSQL (to run several workers), with embedded migrations,
//! sealed tokens, login leases for the scheduler and a transactional outbox.
//!
//! Every read of client data takes the workspace id: isolation is in each query's WHERE clause, not
//! in a layer callers could forget. Times are stored as integer microseconds (see the migrations).
#![forbid(unsafe_code)]

mod db;
mod model;
pub mod seal;
mod sql;

pub use db::SqlStore;
pub use model::*;
pub use seal::{KeyRing, KeyRingError, SealError, TokenAad, TokenKind};

use jiff::Timestamp;
use secrecy::SecretString;
use serde_json::Value;
use std::future::Future;
use std::time::Duration;

/// Why a store operation failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error(
        "unsupported database URL scheme `{0}`: expected `sqlite://PATH`, a file path, or `postgres://...`"
    )]
    BadUrl(String),
    #[error("database error: {0}")]
    Db(#[from] sqlx::Error),
    #[error("database migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("{what} {id} does not exist in this workspace")]
    NotFound { what: &'static str, id: uuid::Uuid },
    #[error("token of login {login}: {source}")]
    Seal {
        login: uuid::Uuid,
        #[source]
        source: SealError,
    },
    #[error("column {column} holds `{value}`, which this version does not understand")]
    Corrupt { column: &'static str, value: String },
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// Everything the service keeps. Implemented by [`SqlStore`] for both engines; a trait so domain
/// code and its tests do not depend on sqlx.
///
/// Methods return `impl Future + Send` (native async fn in traits) so callers can spawn them.
/// Times are kept to the microsecond: pass instants rounded with
/// `ts.round(jiff::Unit::Microsecond)` if they must compare equal after a round trip (STACK.md G8).
pub trait Store: Send + Sync {
    // --- workspaces and API keys ---
    fn create_workspace(
        &self,
        name: &str,
        now: Timestamp,
    ) -> impl Future<Output = Result<Workspace>> + Send;
    fn get_workspace(
        &self,
        id: WorkspaceId,
    ) -> impl Future<Output = Result<Option<Workspace>>> + Send;
    /// Creates a key and returns its secret, which is shown once and stored only as a hash.
    fn create_api_key(
        &self,
        ws: WorkspaceId,
        now: Timestamp,
    ) -> impl Future<Output = Result<NewApiKey>> + Send;
    /// The workspace a presented secret belongs to, if it is a live (unrevoked) key.
    fn authenticate_api_key(
        &self,
        secret: &SecretString,
    ) -> impl Future<Output = Result<Option<WorkspaceId>>> + Send;
    fn revoke_api_key(
        &self,
        ws: WorkspaceId,
        key: ApiKeyId,
        now: Timestamp,
    ) -> impl Future<Output = Result<bool>> + Send;

    // --- logins and their tokens ---
    /// Inserts a login, or on reconnect (same workspace, network, platform user) replaces its token,
    /// name and expiries while keeping its id, status and history. A new login is due at once.
    fn upsert_login(
        &self,
        ws: WorkspaceId,
        login: NewLogin,
        now: Timestamp,
    ) -> impl Future<Output = Result<Login>> + Send;
    fn get_login(
        &self,
        ws: WorkspaceId,
        id: LoginId,
    ) -> impl Future<Output = Result<Option<Login>>> + Send;
    fn list_logins(&self, ws: WorkspaceId) -> impl Future<Output = Result<Vec<Login>>> + Send;
    /// Opens the login's sealed token.
    fn login_token(
        &self,
        ws: WorkspaceId,
        id: LoginId,
    ) -> impl Future<Output = Result<SecretString>> + Send;
    /// Re-seals, in batches of `batch`, every token not sealed under the key ring's active key.
    /// `progress` is called after each batch.
    fn reseal_tokens(
        &self,
        batch: u32,
        progress: &mut (dyn FnMut(ResealProgress) + Send),
    ) -> impl Future<Output = Result<ResealProgress>> + Send;

    // --- assets, facts, diagnoses, history ---
    /// Inserts an asset (status `pending`) or renames an existing one; keeps its status.
    fn upsert_asset(
        &self,
        ws: WorkspaceId,
        login: LoginId,
        asset: NewAsset,
    ) -> impl Future<Output = Result<Asset>> + Send;
    fn get_asset(
        &self,
        ws: WorkspaceId,
        id: AssetId,
    ) -> impl Future<Output = Result<Option<Asset>>> + Send;
    /// All assets of the workspace, or of one login.
    fn list_assets(
        &self,
        ws: WorkspaceId,
        login: Option<LoginId>,
    ) -> impl Future<Output = Result<Vec<Asset>>> + Send;
    /// Replaces the latest facts about a login or one of its assets.
    fn put_facts(
        &self,
        ws: WorkspaceId,
        login: LoginId,
        subject: FactsSubject,
        facts: &Value,
        seen_at: Timestamp,
    ) -> impl Future<Output = Result<()>> + Send;
    fn get_facts(
        &self,
        ws: WorkspaceId,
        subject: FactsSubject,
    ) -> impl Future<Output = Result<Option<Stamped<Value>>>> + Send;
    /// Stores a login's new report and statuses in one transaction: every status that changed gets
    /// a transition row and an outbox event (`asset.status_changed`, or `asset.resolved` when an
    /// asset comes back to `connected`; `login.status_changed` for the login). Unchanged statuses
    /// write nothing but `last_verified_at`. Returns the transitions written.
    fn record_diagnosis(
        &self,
        ws: WorkspaceId,
        login: LoginId,
        diagnosis: &Diagnosis,
    ) -> impl Future<Output = Result<Vec<Transition>>> + Send;
    fn get_diagnosis(
        &self,
        ws: WorkspaceId,
        login: LoginId,
    ) -> impl Future<Output = Result<Option<Stamped<Value>>>> + Send;
    /// The login's status history (its own and its assets'), oldest first.
    fn list_transitions(
        &self,
        ws: WorkspaceId,
        login: LoginId,
    ) -> impl Future<Output = Result<Vec<Transition>>> + Send;

    // --- scheduling ---
    /// Leases up to `limit` logins whose check is due and whose lease (if any) has lapsed, most
    /// overdue first. Two owners never hold the same login at once.
    fn claim_due_logins(
        &self,
        owner: &str,
        now: Timestamp,
        lease: Duration,
        limit: u32,
    ) -> impl Future<Output = Result<Vec<Claim>>> + Send;
    /// Ends `owner`'s lease and schedules the next check. A failed check only counts a failure: the
    /// last verdict stays. False if `owner` no longer held the lease.
    fn release_login(
        &self,
        login: LoginId,
        owner: &str,
        outcome: CheckOutcome,
        next_check_at: Timestamp,
    ) -> impl Future<Output = Result<bool>> + Send;

    // --- outbox ---
    fn enqueue_event(
        &self,
        ws: WorkspaceId,
        event_type: &str,
        payload: &Value,
        now: Timestamp,
    ) -> impl Future<Output = Result<EventId>> + Send;
    /// Leases up to `limit` undelivered events that are due, oldest first.
    fn claim_events(
        &self,
        owner: &str,
        now: Timestamp,
        lease: Duration,
        limit: u32,
    ) -> impl Future<Output = Result<Vec<OutboxEvent>>> + Send;
    fn mark_delivered(
        &self,
        id: EventId,
        owner: &str,
        now: Timestamp,
    ) -> impl Future<Output = Result<bool>> + Send;
    /// Records a failed attempt and when to try again.
    fn mark_failed(
        &self,
        id: EventId,
        owner: &str,
        error: &str,
        next_attempt_at: Timestamp,
    ) -> impl Future<Output = Result<bool>> + Send;
    /// The workspace's events, oldest first (for the API and tests).
    fn list_events(&self, ws: WorkspaceId)
    -> impl Future<Output = Result<Vec<OutboxEvent>>> + Send;
}

/// What a check of one login concluded, for [`Store::release_login`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CheckOutcome {
    /// The platform answered; the diagnosis was recorded.
    Verified,
    /// A transient failure (5xx, timeout, rate limit): the verdict must not change.
    Failed,
}
