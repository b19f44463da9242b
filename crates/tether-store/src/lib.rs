//! Tether's storage: one [`Store`] trait and one implementation, [`SqlStore`], over SQLite (the
//! embedded default, a file) or PostgreSQL (to run several workers), with embedded migrations,
//! sealed tokens and webhook secrets, login leases for the scheduler, single-use OAuth states,
//! per-asset reports with filters, a transactional outbox fanned out to one delivery per webhook
//! endpoint, and the dashboard's users, invitations, sessions and overview queries.
//!
//! Every read of client data takes the workspace id: isolation is in each query's WHERE clause, not
//! in a layer callers could forget. The exceptions are named for what they serve: the scheduler's
//! claims, the deliverer's claims, platform callbacks ([`Store::find_logins_by_platform_user`]),
//! the pre-flight index ([`Store::scan_assets`]), and the dashboard's sign-in, invitations and
//! sessions (found by email or secret). Times are stored as integer microseconds (see the
//! migrations). Every write of more than one row is one transaction; a busy or unreachable database
//! is [`StoreError::Unavailable`].
#![forbid(unsafe_code)]

pub mod budgets;
pub mod catalogs;
pub mod checks;
mod db;
pub mod grants;
pub mod mail;
mod model;
pub mod pushes;
pub mod rejudge;
pub mod seal;
mod sql;

pub use budgets::{BudgetStore, PlatformUsage, Taken};
pub use catalogs::{CatalogStore, StoredCatalog};
pub use checks::{CheckStore, CheckedFacts, Seen};
pub use db::{DeliveryWake, SqlStore, Timeouts};
pub use grants::{Grant, GrantStore, NewGrant};
pub use mail::{MailSecurity, MailSettings, MailStore, NewMailSettings, Recipient};
pub use model::*;
pub use pushes::{HandledPush, PushStore};
pub use rejudge::{RejudgeStore, Rejudged, StoredLogin};
pub use seal::{EndpointAad, KeyRing, KeyRingError, SealAad, SealError, TokenAad, TokenKind};

use jiff::Timestamp;
use secrecy::SecretString;
use serde_json::Value;
use std::future::Future;
use std::time::Duration;
use tether_core::vocab::{AssetKind, Network, Status};

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
    #[error("SMTP password of workspace {workspace}: {source}")]
    MailSeal {
        workspace: uuid::Uuid,
        #[source]
        source: SealError,
    },
    #[error("column {column} holds `{value}`, which this version does not understand")]
    Corrupt { column: &'static str, value: String },
    /// Something that must be unique is taken (a user's email).
    #[error("a {what} with {value} already exists")]
    Duplicate { what: &'static str, value: String },
    /// A person disconnected the login in Tether ([`Store::disconnect_login`]): it has no token
    /// until it is reconnected.
    #[error("login {login} was disconnected; its token is gone")]
    Disconnected { login: uuid::Uuid },
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
    /// name and expiries while keeping its id, status and history (and ends a disconnection). A
    /// new login is due at once.
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
    /// Opens the login's sealed token; [`StoreError::Disconnected`] if a person disconnected it.
    fn login_token(
        &self,
        ws: WorkspaceId,
        id: LoginId,
    ) -> impl Future<Output = Result<SecretString>> + Send;
    /// Re-seals, in batches of `batch`, every token not sealed under the key ring's active key
    /// (disconnected logins have none). `progress` is called after each batch.
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
    /// The asset's latest report (docs/REPORT.md `AssetReport`) and when it was diagnosed.
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
    /// Lets go of every lease `owner` still holds, logins' and deliveries' (a worker stopping):
    /// another worker may take them at once instead of when the leases lapse. Returns how many.
    fn release_leases(&self, owner: &str) -> impl Future<Output = Result<u64>> + Send;
    /// Leases up to `limit` logins whose check is due and whose lease (if any) has lapsed, most
    /// overdue first; disconnected logins never. Two owners never hold the same login at once.
    /// `network`: only that network's logins (each network has its own call budget).
    fn claim_due_logins(
        &self,
        owner: &str,
        now: Timestamp,
        lease: Duration,
        limit: u32,
        network: Option<Network>,
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
    /// Records how a check outside the worker's lease ended ("check now"): a failure keeps its
    /// reason dated `at`, the verdict stays (the login is shown stale, as after a worker's failed
    /// check); a success clears the reason. Nothing for a disconnected login.
    fn note_check(
        &self,
        ws: WorkspaceId,
        login: LoginId,
        failure: Option<&str>,
        at: Timestamp,
    ) -> impl Future<Output = Result<()>> + Send;
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
    /// A reconnect ends the login's earlier reconnect flows not yet used (their callbacks are
    /// then `Unknown`): a login has at most one pending, however often its link is opened.
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
    /// Writes an event delivered to this one endpoint only (a test `ping` from the dashboard),
    /// with its delivery, in one transaction. False, and nothing written, if there is no such
    /// endpoint in `ws`.
    fn enqueue_event_for(
        &self,
        ws: WorkspaceId,
        endpoint: EndpointId,
        event_type: &str,
        payload: &Value,
        now: Timestamp,
    ) -> impl Future<Output = Result<bool>> + Send;
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
    /// (or whose lease lapsed), with what a deliverer needs to send them: fairly, at most four in
    /// flight per endpoint and about eight per workspace, round-robin across workspaces, most
    /// overdue first within each (one workspace's dead endpoints cannot hold every slot).
    /// A signing secret that does not open (a key missing from the ring) fails the whole claim
    /// with [`StoreError::EndpointSeal`]; the leased deliveries come back when the lease lapses.
    fn claim_deliveries(
        &self,
        owner: &str,
        now: Timestamp,
        lease: Duration,
        limit: u32,
    ) -> impl Future<Output = Result<Vec<DeliveryJob>>> + Send;
    /// Leases the newest due delivery of one endpoint: the dashboard's "send a test event"
    /// delivers the event it just wrote, never another workspace's.
    fn claim_endpoint_deliveries(
        &self,
        owner: &str,
        now: Timestamp,
        lease: Duration,
        endpoint: EndpointId,
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

    // --- people who sign in to the dashboard ---
    // Sign-in, invitations and sessions are found by email or by secret alone, across workspaces;
    // everything else takes the workspace id.
    /// An active user with a password (an argon2 PHC string, hashed by the caller). The email is
    /// kept trimmed and lowercased and is unique across ALL workspaces (sign-in is by email
    /// alone): a taken one is [`StoreError::Duplicate`].
    fn create_user(
        &self,
        ws: WorkspaceId,
        email: &str,
        role: Role,
        password_hash: &str,
        now: Timestamp,
    ) -> impl Future<Output = Result<User>> + Send;
    /// A pending user and the secret of their invitation link (32 random bytes, base64url,
    /// unpadded), shown once; only its SHA-256 is stored. Inviting a still-pending email again in
    /// the same workspace replaces the secret, expiry and role and returns the same user (the old
    /// link stops working); an active user's email, or one pending in another workspace, is
    /// [`StoreError::Duplicate`].
    fn invite_user(
        &self,
        ws: WorkspaceId,
        email: &str,
        role: Role,
        expires_at: Timestamp,
        now: Timestamp,
    ) -> impl Future<Output = Result<(User, SecretString)>> + Send;
    /// The pending user an invitation secret names, if it is unexpired (for the accept page).
    fn get_invite(
        &self,
        secret: &str,
        now: Timestamp,
    ) -> impl Future<Output = Result<Option<User>>> + Send;
    /// Sets the password of the user the secret names and makes them active, in one statement:
    /// the secret is used up, so of two accepts at once exactly one succeeds. `None` if the
    /// secret is unknown, expired or already used.
    fn accept_invite(
        &self,
        secret: &str,
        password_hash: &str,
        now: Timestamp,
    ) -> impl Future<Output = Result<Option<User>>> + Send;
    /// For sign-in, across workspaces: the ACTIVE user with this email (trimmed and lowercased
    /// here) and their password hash. Pending users are not found.
    fn find_user_for_sign_in(
        &self,
        email: &str,
    ) -> impl Future<Output = Result<Option<(User, String)>>> + Send;
    fn get_user(
        &self,
        ws: WorkspaceId,
        id: UserId,
    ) -> impl Future<Output = Result<Option<User>>> + Send;
    /// Adds a person who already signs in (to another workspace) to `ws` with `role`: `None` if
    /// no active person has this email (invite them instead); [`StoreError::Duplicate`] if they
    /// are a member already.
    fn add_existing_user(
        &self,
        ws: WorkspaceId,
        email: &str,
        role: Role,
        now: Timestamp,
    ) -> impl Future<Output = Result<Option<User>>> + Send;
    /// Every workspace a person belongs to, by name.
    fn list_memberships(
        &self,
        user: UserId,
    ) -> impl Future<Output = Result<Vec<Membership>>> + Send;
    /// Points a live session at another workspace of its person's. False (nothing changed) if
    /// they do not belong to it, or the session is unknown or expired.
    fn switch_session(
        &self,
        secret: &str,
        ws: WorkspaceId,
        now: Timestamp,
    ) -> impl Future<Output = Result<bool>> + Send;
    /// The workspace's users, pending ones included, oldest first.
    fn list_users(&self, ws: WorkspaceId) -> impl Future<Output = Result<Vec<User>>> + Send;
    /// Takes the person out of `ws` and signs them out of it; a person left in no workspace is
    /// deleted with their sessions. False if there is no such person in `ws`.
    fn delete_user(&self, ws: WorkspaceId, id: UserId)
    -> impl Future<Output = Result<bool>> + Send;
    /// Replaces an active user's password and signs them out everywhere (deletes all their
    /// sessions), in one transaction. False if there is no such active user in `ws` (a pending
    /// user sets a password by accepting the invitation).
    fn set_user_password(
        &self,
        ws: WorkspaceId,
        id: UserId,
        password_hash: &str,
    ) -> impl Future<Output = Result<bool>> + Send;
    /// A new session of an active user; returns its secret (the cookie value: 32 random bytes,
    /// base64url, unpadded), shown once; only its SHA-256 is stored. A user that no longer
    /// exists, or is pending, is [`StoreError::NotFound`].
    fn create_session(
        &self,
        user: &User,
        expires_at: Timestamp,
        now: Timestamp,
    ) -> impl Future<Output = Result<SecretString>> + Send;
    /// The live session a cookie names: `None` if unknown or expired, or the user was deleted.
    fn get_session(
        &self,
        secret: &str,
        now: Timestamp,
    ) -> impl Future<Output = Result<Option<SessionUser>>> + Send;
    /// Signs one browser out. False if no session has this secret.
    fn delete_session(&self, secret: &str) -> impl Future<Output = Result<bool>> + Send;
    /// Deletes sessions that expired before `before`; returns how many.
    fn purge_sessions(&self, before: Timestamp) -> impl Future<Output = Result<u64>> + Send;

    // --- API keys and settings ---
    /// The workspace's API keys, newest first, revoked ones included.
    fn list_api_keys(&self, ws: WorkspaceId) -> impl Future<Output = Result<Vec<ApiKey>>> + Send;
    /// Sets the workspace's profile name and warning window (`None`: the default). False if
    /// there is no such workspace.
    fn update_workspace_settings(
        &self,
        ws: WorkspaceId,
        profile: Option<&str>,
        warning_days: Option<u32>,
    ) -> impl Future<Output = Result<bool>> + Send;

    // --- the dashboard overview ---
    /// A page of the overview's rows (assets, and logins that reach none) that pass `filter`,
    /// worst first ([`Status::triage`]), then by name, then id, with every login they belong to.
    /// A few queries whatever the size of the workspace.
    fn list_overview(
        &self,
        ws: WorkspaceId,
        filter: &OverviewFilter,
    ) -> impl Future<Output = Result<OverviewPage>> + Send;
    /// The overview's counts: rows per status, and distinct fixes per action.
    fn count_overview(
        &self,
        ws: WorkspaceId,
    ) -> impl Future<Output = Result<OverviewCounts>> + Send;
    /// One login's assets with their latest reports (`None` until the first diagnosis), worst
    /// first, then by name.
    fn list_login_records(
        &self,
        ws: WorkspaceId,
        login: LoginId,
    ) -> impl Future<Output = Result<Vec<AssetRecord>>> + Send;

    /// One account (by its platform id) as each of the workspace's logins reaches it, worst
    /// first, with the latest reports.
    fn list_account_reach(
        &self,
        ws: WorkspaceId,
        kind: AssetKind,
        platform_id: &str,
    ) -> impl Future<Output = Result<Vec<AssetRecord>>> + Send;

    /// Across ALL workspaces: up to `limit` logins whose verdicts were recorded before fixes
    /// were kept (a non-green asset or login without any), for a one-time backfill at start.
    fn logins_missing_fixes(&self, limit: u32) -> impl Future<Output = Result<Vec<Login>>> + Send;
    /// Replaces the fixes of a login's own findings and of each asset named, in one
    /// transaction, without touching any verdict (the backfill of [`Self::logins_missing_fixes`]).
    fn put_fixes(
        &self,
        ws: WorkspaceId,
        login: LoginId,
        login_fixes: &[Fix],
        assets: &[(AssetId, Vec<Fix>)],
    ) -> impl Future<Output = Result<()>> + Send;

    // --- disconnecting ---
    /// A person chose to disconnect the login in Tether: its sealed token is erased for good
    /// ([`Store::login_token`] is then [`StoreError::Disconnected`]), `disconnected_at` is set to
    /// `now`, and the scheduler never claims it again. The login, its assets, facts, reports and
    /// history stay; statuses are NOT changed here (the caller records a diagnosis). False if
    /// there is no such login in `ws`. A later [`Store::upsert_login`] of the same person (a
    /// reconnect) clears `disconnected_at` and stores the new token as usual.
    fn disconnect_login(
        &self,
        ws: WorkspaceId,
        id: LoginId,
        now: Timestamp,
    ) -> impl Future<Output = Result<bool>> + Send;

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
