//! Tether's storage: one [`Store`] trait and one implementation, [`SqlStore`], over SQLite (the
//! embedded default, a file) or PostgreSQL (to run several workers), with embedded migrations,
//! sealed tokens and webhook secrets, login leases for the scheduler, single-use OAuth states,
//! per-asset reports with filters, and a transactional outbox fanned out to one delivery per
//! webhook endpoint.
//!
//! Every read of client data takes the workspace id: isolation is in each query's WHERE clause, not
//! in a layer callers could forget. The exceptions are named for what they serve: the scheduler's
//! claims, the deliverer's claims, platform callbacks ([`Store::find_logins_by_platform_user`]) and
//! the pre-flight index ([`Store::scan_assets`]). Times are stored as integer microseconds (see the
//! migrations). Every write of more than one row is one transaction; a busy or unreachable database
//! is [`StoreError::Unavailable`].
#![forbid(unsafe_code)]

mod db;
mod model;
pub mod seal;
mod sql;

pub use db::{SqlStore, Timeouts};
pub use model::*;
pub use seal::{EndpointAad, KeyRing, KeyRingError, SealAad, SealError, TokenAad, TokenKind};

use jiff::Timestamp;
use secrecy::SecretString;
use serde_json::Value;
use std::future::Future;
use std::time::Duration;
use tether_core::vocab::{Network, Status};

/// Why a store operation failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error(
        "unsupported database URL scheme `{0}`: expected `sqlite://PATH`, a file path, or `postgres://...`"
    )]
    BadUrl(String),
    /// The database is busy (SQLite locked past the busy timeout), unreachable, or no connection
    /// came free in time: worth retrying later (HTTP 503), nothing was written.
    #[error("database unavailable: {0}")]
    Unavailable(#[source] sqlx::Error),
    #[error("database error: {0}")]
    Db(#[source] sqlx::Error),
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
    #[error("signing secret of webhook endpoint {endpoint}: {source}")]
    EndpointSeal {
        endpoint: uuid::Uuid,
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
    /// Erases a login with everything kept about it: its sealed token, assets, facts, report and
    /// history (a person's data-deletion request). False if there is no such login in `ws`.
    fn delete_login(
        &self,
        ws: WorkspaceId,
        id: LoginId,
    ) -> impl Future<Output = Result<bool>> + Send;
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
    /// The workspace's assets that pass `filter`, ordered by id (one page of at most
    /// `filter.limit`; pass the last id as `filter.after` for the next).
    fn list_assets(
        &self,
        ws: WorkspaceId,
        filter: &AssetFilter,
    ) -> impl Future<Output = Result<Vec<Asset>>> + Send;
    /// How many assets the workspace has per status, in [`Status`] order; absent statuses are
    /// left out.
    fn count_assets_by_status(
        &self,
        ws: WorkspaceId,
    ) -> impl Future<Output = Result<Vec<(Status, u64)>>> + Send;
    /// The asset's latest report (REPORT.md `AssetReport`) and when it was diagnosed.
    fn get_asset_report(
        &self,
        ws: WorkspaceId,
        asset: AssetId,
    ) -> impl Future<Output = Result<Option<Stamped<Value>>>> + Send;
    /// The asset's status history, oldest first.
    fn list_asset_transitions(
        &self,
        ws: WorkspaceId,
        asset: AssetId,
    ) -> impl Future<Output = Result<Vec<Transition>>> + Send;
    /// For the server's in-memory pre-flight index, across ALL workspaces: assets diagnosed after
    /// `since` (`None`: all), ordered by `(updated_at, id)`, starting after the `after` key (the
    /// last record of the previous page). `updated_at` is the diagnosis time the caller passed,
    /// so follow changes with some overlap rather than from the exact last value seen.
    fn scan_assets(
        &self,
        since: Option<Timestamp>,
        after: Option<(Timestamp, AssetId)>,
        limit: u32,
    ) -> impl Future<Output = Result<Vec<AssetRecord>>> + Send;
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
    /// asset comes back to `connected`; `login.status_changed` for the login), fanned out to the
    /// workspace's endpoints. Each asset named gets its report, owners and features stored and
    /// `updated_at` set, changed or not; assets not named keep their state. A status change sets the
    /// login's `last_changed_at`. Returns the transitions written.
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
    /// The workspace's status changes at or after `since`, oldest first (for digests).
    fn list_transitions_since(
        &self,
        ws: WorkspaceId,
        since: Timestamp,
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
    /// Ends `owner`'s lease and schedules the next check, or an earlier one if
    /// [`Store::schedule_check`] asked for it while the lease was held. A failed check only counts
    /// a failure and keeps its reason (dated with the claim's time): no status changes. A verified
    /// one clears the reason and the count. False if `owner` no longer held the lease.
    fn release_login(
        &self,
        login: LoginId,
        owner: &str,
        outcome: CheckOutcome,
        next_check_at: Timestamp,
    ) -> impl Future<Output = Result<bool>> + Send;
    /// Brings the login's next check forward to `at` (never later than already planned); a
    /// request while the login is leased also survives that lease's release. False if there is
    /// no such login in `ws`.
    fn schedule_check(
        &self,
        ws: WorkspaceId,
        login: LoginId,
        at: Timestamp,
    ) -> impl Future<Output = Result<bool>> + Send;
    /// Every workspace's logins of this platform user (platform callbacks name only the user).
    fn find_logins_by_platform_user(
        &self,
        network: Network,
        platform_user_id: &str,
    ) -> impl Future<Output = Result<Vec<Login>>> + Send;
    /// Keeps what the platform client wants back at the next check ([`Login::known_token`]).
    fn set_known_token(
        &self,
        ws: WorkspaceId,
        login: LoginId,
        known: &Value,
    ) -> impl Future<Output = Result<()>> + Send;

    // --- OAuth flows ---
    /// Records a flow and returns the secret for its `state` parameter (32 random bytes,
    /// base64url, unpadded), shown once; only its SHA-256 is stored. A reconnect must name a login
    /// of the same workspace.
    fn create_oauth_state(
        &self,
        state: &NewOAuthState,
        now: Timestamp,
    ) -> impl Future<Output = Result<SecretString>> + Send;
    /// Marks the state used and returns it, atomically: of two consumes of one secret, even at
    /// once, exactly one gets it and the other `AlreadyUsed`. An expired state is `Expired` and
    /// is used up by the attempt.
    fn consume_oauth_state(
        &self,
        secret: &str,
        now: Timestamp,
    ) -> impl Future<Output = Result<Result<OAuthState, StateRejection>>> + Send;
    /// Deletes states that expired before `before` (used or not); returns how many. After that a
    /// callback with one of them is `Unknown` rather than `Expired`.
    fn purge_oauth_states(&self, before: Timestamp) -> impl Future<Output = Result<u64>> + Send;
    // --- outbox and webhook deliveries ---
    /// Writes an event and, in the same transaction, one delivery per endpoint the workspace has.
    fn enqueue_event(
        &self,
        ws: WorkspaceId,
        event_type: &str,
        payload: &Value,
        now: Timestamp,
    ) -> impl Future<Output = Result<EventId>> + Send;
    /// Adds an endpoint and returns its signing secret (`whsec_` + base64 of 24 random bytes),
    /// shown once and sealed at rest. Events written from now on are delivered to it.
    fn create_endpoint(
        &self,
        ws: WorkspaceId,
        url: &str,
        description: &str,
        now: Timestamp,
    ) -> impl Future<Output = Result<(Endpoint, SecretString)>> + Send;
    fn list_endpoints(&self, ws: WorkspaceId)
    -> impl Future<Output = Result<Vec<Endpoint>>> + Send;
    /// Deletes an endpoint with its deliveries (pending ones stop, its log goes too). False if
    /// there is no such endpoint in `ws`.
    fn delete_endpoint(
        &self,
        ws: WorkspaceId,
        id: EndpointId,
    ) -> impl Future<Output = Result<bool>> + Send;
    /// Leases up to `limit` deliveries that are due, not delivered, not given up and not leased
    /// (or whose lease lapsed), most overdue first, with what a deliverer needs to send them.
    /// A signing secret that does not open (a key missing from the ring) fails the whole claim
    /// with [`StoreError::EndpointSeal`]; the leased deliveries come back when the lease lapses.
    fn claim_deliveries(
        &self,
        owner: &str,
        now: Timestamp,
        lease: Duration,
        limit: u32,
    ) -> impl Future<Output = Result<Vec<DeliveryJob>>> + Send;
    /// Records a successful attempt. False if `owner` no longer held the delivery.
    fn delivery_succeeded(
        &self,
        id: DeliveryId,
        owner: &str,
        status: u16,
        now: Timestamp,
    ) -> impl Future<Output = Result<bool>> + Send;
    /// Records a failed attempt (`status` if the endpoint answered) and when to try again;
    /// `next_attempt_at: None` gives up. False if `owner` no longer held the delivery.
    fn delivery_failed(
        &self,
        id: DeliveryId,
        owner: &str,
        status: Option<u16>,
        error: &str,
        next_attempt_at: Option<Timestamp>,
        now: Timestamp,
    ) -> impl Future<Output = Result<bool>> + Send;
    /// The delivery log, newest first: the workspace's, or one endpoint's.
    fn list_deliveries(
        &self,
        ws: WorkspaceId,
        endpoint: Option<EndpointId>,
        limit: u32,
    ) -> impl Future<Output = Result<Vec<Delivery>>> + Send;
    /// The workspace's events, oldest first (for the API and tests).
    fn list_events(&self, ws: WorkspaceId)
    -> impl Future<Output = Result<Vec<OutboxEvent>>> + Send;

    // --- digests ---
    fn list_workspaces(&self) -> impl Future<Output = Result<Vec<Workspace>>> + Send;
    /// Takes the workspace's digest for this period: true (and the digest time moves to `now`)
    /// if the last digest is older than `period` or there was none. Of several processes asking
    /// at once, one gets true.
    fn claim_digest(
        &self,
        ws: WorkspaceId,
        now: Timestamp,
        period: Duration,
    ) -> impl Future<Output = Result<bool>> + Send;
}

/// What a check of one login concluded, for [`Store::release_login`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CheckOutcome {
    /// The platform answered; the diagnosis was recorded.
    Verified,
    /// A transient failure (5xx, timeout, rate limit): the verdict must not change. `reason` is
    /// shown to people (keep tokens out of it); it is cut to 1000 characters.
    Failed { reason: String },
}
