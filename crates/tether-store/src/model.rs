//! The records the store hands out and takes in.

use jiff::Timestamp;
use secrecy::SecretString;
use serde_json::Value;
use std::fmt;
use std::str::FromStr;
use tether_core::vocab::{Action, AssetKind, Feature, Network, Owner, Status, UnknownWord};
use uuid::Uuid;

macro_rules! id_type {
    ($(#[$m:meta])* $name:ident) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(pub Uuid);

        impl $name {
            /// A new time-ordered (v7) id.
            pub fn new() -> Self {
                Self(Uuid::now_v7())
            }
        }
        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }
        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }
    };
}

id_type!(
    /// A tenant: a product's account in Tether.
    WorkspaceId);
id_type!(
    /// One API key of a workspace.
    ApiKeyId);
id_type!(
    /// One person's connection to one network.
    LoginId);
id_type!(
    /// A Page, Instagram account, group... reached through a login.
    AssetId);
id_type!(
    /// An outbox event; stable across delivery attempts, so receivers can deduplicate.
    EventId);
id_type!(
    /// An outbound webhook endpoint of a workspace.
    EndpointId);
id_type!(
    /// One event's delivery to one endpoint.
    DeliveryId);
id_type!(
    /// One OAuth connect or reconnect flow in progress.
    OAuthStateId);
id_type!(
    /// A person who signs in to the dashboard.
    UserId);
id_type!(
    /// One signed-in browser.
    SessionId);

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Workspace {
    pub id: WorkspaceId,
    pub name: String,
    pub created_at: Timestamp,
    /// The profile its logins are diagnosed with; `None`: the server's default.
    pub profile: Option<String>,
    /// How many days before an expiry an asset turns at risk; `None`: the profile's (or the
    /// engine's) default.
    pub warning_days: Option<u32>,
}

/// What a dashboard user may do in their workspace.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    Owner,
    Member,
}

impl Role {
    pub const ALL: &'static [Role] = &[Role::Owner, Role::Member];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Owner => "owner",
            Role::Member => "member",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Role {
    type Err = UnknownWord;
    fn from_str(s: &str) -> Result<Self, UnknownWord> {
        match s {
            "owner" => Ok(Role::Owner),
            "member" => Ok(Role::Member),
            _ => Err(UnknownWord {
                kind: "Role",
                word: s.to_owned(),
                known: &["owner", "member"],
            }),
        }
    }
}

/// A person who signs in to the dashboard. Their password hash is handed out only for sign-in
/// ([`crate::Store::find_user_for_sign_in`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub id: UserId,
    pub workspace_id: WorkspaceId,
    /// Stored trimmed and lowercased; unique across workspaces.
    pub email: String,
    pub role: Role,
    /// False while an invitation is pending (no password yet): cannot sign in.
    pub active: bool,
    /// When the pending invitation's link stops working; `None` once accepted (or never invited).
    pub invite_expires_at: Option<Timestamp>,
    pub created_at: Timestamp,
}

/// A workspace a person belongs to, and their role there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Membership {
    pub workspace_id: WorkspaceId,
    pub workspace_name: String,
    pub role: Role,
}

/// A live session and who it signs in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionUser {
    pub session_id: SessionId,
    pub user: User,
    pub expires_at: Timestamp,
}

/// An API key as listings show it (its secret is never kept).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiKey {
    pub id: ApiKeyId,
    /// The secret's first characters.
    pub prefix: String,
    pub created_at: Timestamp,
    pub revoked_at: Option<Timestamp>,
}

/// A freshly created API key. `secret` is shown once; only its hash is stored.
#[derive(Debug)]
pub struct NewApiKey {
    pub id: ApiKeyId,
    /// The secret's first characters, safe to show in listings.
    pub prefix: String,
    pub secret: SecretString,
}

/// A login to store. `Debug` is derived safely: `SecretString` redacts itself.
#[derive(Debug, Clone)]
pub struct NewLogin {
    pub network: Network,
    pub platform_user_id: String,
    pub person_name: String,
    pub token: SecretString,
    pub expires_at: Option<Timestamp>,
    pub data_access_expires_at: Option<Timestamp>,
}

/// A stored login; the token is fetched separately through [`crate::Store::login_token`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Login {
    pub id: LoginId,
    pub workspace_id: WorkspaceId,
    pub network: Network,
    pub platform_user_id: String,
    pub person_name: String,
    pub token_key_id: u8,
    pub expires_at: Option<Timestamp>,
    pub data_access_expires_at: Option<Timestamp>,
    /// Until when Tether can renew the access token itself with the refresh token (LinkedIn's
    /// sign-in year that never extends; the refresh tokens TikTok and Pinterest rotate): the
    /// person must sign in again before it. `None` where the network issues no refresh token.
    pub refresh_expires_at: Option<Timestamp>,
    pub status: Status,
    pub last_verified_at: Option<Timestamp>,
    pub next_check_at: Timestamp,
    pub lease_owner: Option<String>,
    pub lease_until: Option<Timestamp>,
    pub consecutive_failures: u32,
    pub created_at: Timestamp,
    /// Why the last check failed; `None` once a check succeeds. A failed check never changes a
    /// status, so a login with `last_error` shows a verdict that may be stale.
    pub last_error: Option<String>,
    /// When the last failed check was claimed (kept after a later success).
    pub last_failed_at: Option<Timestamp>,
    /// The last status change of the login or of any of its assets.
    pub last_changed_at: Option<Timestamp>,
    /// Opaque JSON the platform client wants back at the next check; cleared on reconnect. Must
    /// hold no token or secret: it is stored in clear.
    pub known_token: Option<Value>,
    /// When a person disconnected the login in Tether ([`crate::Store::disconnect_login`]): its
    /// token is gone and it is not checked until reconnected.
    pub disconnected_at: Option<Timestamp>,
    /// The last connect or reconnect: a push sent before it cannot undo the grant.
    pub connected_at: Timestamp,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAsset {
    pub kind: AssetKind,
    pub platform_id: String,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Asset {
    pub id: AssetId,
    pub workspace_id: WorkspaceId,
    pub login_id: LoginId,
    pub kind: AssetKind,
    pub platform_id: String,
    pub name: String,
    pub status: Status,
    pub last_verified_at: Option<Timestamp>,
    /// Who must act on the asset's findings, in vocabulary order.
    pub owners: Vec<Owner>,
    /// Features that do not work on the asset, in vocabulary order.
    pub unavailable: Vec<Feature>,
    /// Features that work but will stop, in vocabulary order.
    pub at_risk: Vec<Feature>,
    /// The time of the last diagnosis that touched the asset; the Unix epoch until the first.
    pub updated_at: Timestamp,
}

/// Which assets [`crate::Store::list_assets`] returns; every `Some` narrows the list.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AssetFilter {
    pub login: Option<LoginId>,
    pub status: Option<Status>,
    pub network: Option<Network>,
    pub kind: Option<AssetKind>,
    pub owner: Option<Owner>,
    /// Assets where this feature is unavailable or at risk.
    pub feature: Option<Feature>,
    /// Keyset pagination: only ids greater than this (the last id of the previous page).
    pub after: Option<AssetId>,
    /// At most this many (the caller caps it); 0 returns nothing.
    pub limit: u32,
}

/// Which rows the dashboard's overview lists: assets, and logins that reach no asset (a login
/// broken before its Pages could be listed), worst first, then by name. Every `Some` narrows it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct OverviewFilter {
    pub status: Option<Status>,
    /// Anything but `connected`.
    pub not_green: bool,
    /// Rows reached through a login of this network.
    pub network: Option<Network>,
    /// Rows this owner must act on.
    pub owner: Option<Owner>,
    /// Rows where this feature is unavailable or at risk (as [`AssetFilter::feature`]).
    pub feature: Option<Feature>,
    /// Rows one of whose fixes is this action.
    pub action: Option<Action>,
    /// Words the row's name or its person's name contains, case-insensitively.
    pub search: Option<String>,
    /// Keyset pagination: rows after this one (the last row of the previous page).
    pub after: Option<OverviewCursor>,
    /// At most this many rows (the caller caps it); 0 returns nothing.
    pub limit: u32,
}

/// Where an overview row sits in its order, so the next page can start after it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OverviewCursor {
    pub status: Status,
    /// The row's name as the store sorts it ([`sort_name`]).
    pub sort_name: String,
    pub id: Uuid,
}

/// How the overview orders names: case-insensitively.
pub fn sort_name(name: &str) -> String {
    name.to_lowercase()
}

/// One row of the overview.
#[derive(Debug, Clone, PartialEq)]
pub enum OverviewItem {
    Asset(AssetRecord),
    /// A login that reaches no asset, with its latest report (`None` until its first check).
    Login {
        login_id: LoginId,
        report: Option<Value>,
    },
}

/// A page of overview rows and every login they belong to.
#[derive(Debug, Clone, PartialEq)]
pub struct OverviewPage {
    pub items: Vec<OverviewItem>,
    pub logins: Vec<Login>,
    /// The cursor of the last row when more rows follow.
    pub next: Option<OverviewCursor>,
}

/// The overview's counts: rows per status, and distinct fixes per action.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct OverviewCounts {
    /// In triage order ([`Status::TRIAGE`]); statuses with none left out.
    pub statuses: Vec<(Status, u64)>,
    /// In [`Action`] order; actions with none left out.
    pub fixes: Vec<(Action, u64)>,
    /// The networks the workspace has logins on, in [`Network`] order.
    pub networks: Vec<Network>,
}

impl OverviewCounts {
    /// Every row of the overview.
    pub fn total(&self) -> u64 {
        self.statuses.iter().map(|(_, n)| n).sum()
    }

    /// The rows that are not green (the overview's "anything not green").
    pub fn not_green(&self) -> u64 {
        self.statuses
            .iter()
            .filter(|(s, _)| *s != Status::Connected)
            .map(|(_, n)| n)
            .sum()
    }
}

/// One fix a finding calls for. Findings whose fixes share action and key are one fix: the
/// overview counts them once and a bulk action sends one message.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Fix {
    pub action: Action,
    pub key: String,
}

/// An asset with its latest report, for [`crate::Store::scan_assets`].
#[derive(Debug, Clone, PartialEq)]
pub struct AssetRecord {
    pub asset: Asset,
    /// `None` until the asset's first diagnosis.
    pub report: Option<Value>,
}

/// Whose facts: the login's own (token, permissions) or one asset's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FactsSubject {
    Login(LoginId),
    Asset(AssetId),
}

impl FactsSubject {
    pub(crate) fn uuid(self) -> Uuid {
        match self {
            FactsSubject::Login(id) => id.0,
            FactsSubject::Asset(id) => id.0,
        }
    }
}

/// A stored value with the time it was observed.
#[derive(Debug, Clone, PartialEq)]
pub struct Stamped<T> {
    pub value: T,
    pub at: Timestamp,
}

/// The outcome of diagnosing one login, to record with [`crate::Store::record_diagnosis`].
#[derive(Debug, Clone, PartialEq)]
pub struct Diagnosis {
    /// The login's report (docs/REPORT.md `LoginReport`).
    pub report: Value,
    pub login_status: Status,
    /// The login-level findings, kept with a login transition.
    pub login_findings: Value,
    /// Who must act on the login's own findings, what they break, and their fixes (for a login
    /// that reaches no asset, these are what the overview filters and counts).
    pub login_owners: Vec<Owner>,
    pub login_unavailable: Vec<Feature>,
    pub login_at_risk: Vec<Feature>,
    pub login_fixes: Vec<Fix>,
    pub assets: Vec<AssetVerdict>,
    pub at: Timestamp,
    /// Why the verdict changed when no check changed it (a catalog change), in the words people
    /// read; kept with each transition it records.
    pub cause: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct AssetVerdict {
    pub asset_id: AssetId,
    pub status: Status,
    /// The asset's findings (docs/REPORT.md `Finding` list), kept with its transition.
    pub findings: Value,
    /// The asset's report (docs/REPORT.md `AssetReport`), stored on every diagnosis.
    pub report: Value,
    /// Who must act on the findings.
    pub owners: Vec<Owner>,
    pub unavailable: Vec<Feature>,
    pub at_risk: Vec<Feature>,
    pub fixes: Vec<Fix>,
}

/// One status change. `asset_id` is `None` for the login's own status.
#[derive(Debug, Clone, PartialEq)]
pub struct Transition {
    pub id: Uuid,
    pub workspace_id: WorkspaceId,
    pub login_id: LoginId,
    pub asset_id: Option<AssetId>,
    pub old_status: Option<Status>,
    pub new_status: Status,
    pub findings: Value,
    pub at: Timestamp,
    /// Why, when no check caused it (a catalog change's summary).
    pub cause: Option<String>,
}

/// A login leased to a worker.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Claim {
    pub login_id: LoginId,
    pub workspace_id: WorkspaceId,
}

/// Something that happened, announced to every endpoint of the workspace (one [`Delivery`] each).
#[derive(Debug, Clone, PartialEq)]
pub struct OutboxEvent {
    pub id: EventId,
    pub workspace_id: WorkspaceId,
    pub event_type: String,
    pub payload: Value,
    pub created_at: Timestamp,
}

/// An outbound webhook endpoint. Its signing secret is handed out only at creation and to the
/// deliverer ([`DeliveryJob::secret`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    pub id: EndpointId,
    pub workspace_id: WorkspaceId,
    pub url: String,
    pub description: String,
    pub created_at: Timestamp,
}

/// One delivery leased to a deliverer: what to send, where, and the secret to sign it with.
#[derive(Debug)]
pub struct DeliveryJob {
    pub id: DeliveryId,
    pub event: OutboxEvent,
    pub endpoint: Endpoint,
    /// `whsec_` + base64 (Standard Webhooks).
    pub secret: SecretString,
    /// Attempts made before this one.
    pub attempts: u32,
}

/// One event's delivery to one endpoint, as the delivery log shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    pub id: DeliveryId,
    pub event_id: EventId,
    pub endpoint_id: EndpointId,
    pub event_type: String,
    pub attempts: u32,
    /// The HTTP status of the last attempt, if the endpoint answered.
    pub last_status: Option<u16>,
    pub last_error: Option<String>,
    /// When it is (or was, while leased) due; `None` once delivered or given up.
    pub next_attempt_at: Option<Timestamp>,
    pub delivered_at: Option<Timestamp>,
    /// Given up: no further attempts.
    pub dead: bool,
    pub created_at: Timestamp,
    /// What the event was about, so a log of thirty status changes says whose.
    pub about: EventAbout,
}

/// The subject of an event, read from its payload; empty for a test ping or a digest.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EventAbout {
    pub login: Option<LoginId>,
    pub asset: Option<AssetId>,
    /// The status it changed to, for a status change.
    pub new_status: Option<Status>,
}

/// An OAuth flow to start; [`crate::Store::create_oauth_state`] returns the secret for its URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewOAuthState {
    pub workspace_id: WorkspaceId,
    pub network: Network,
    /// `Some` when this flow reconnects that login.
    pub reconnect: Option<LoginId>,
    /// A reconnect may come back as another person.
    pub allow_other_person: bool,
    pub scopes: Vec<String>,
    pub rerequest: bool,
    /// Where the result page links back to.
    pub return_to: Option<String>,
    pub expires_at: Timestamp,
}

/// A consumed OAuth flow: everything it was started with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OAuthState {
    pub id: OAuthStateId,
    pub workspace_id: WorkspaceId,
    pub network: Network,
    pub reconnect: Option<LoginId>,
    pub allow_other_person: bool,
    pub scopes: Vec<String>,
    pub rerequest: bool,
    pub return_to: Option<String>,
    pub expires_at: Timestamp,
    pub created_at: Timestamp,
}

/// Why an OAuth callback's state was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum StateRejection {
    #[error("unknown OAuth state")]
    Unknown,
    #[error("the OAuth flow expired; start again")]
    Expired,
    #[error("the OAuth state was already used")]
    AlreadyUsed,
}

/// How far a re-seal has got: `done` of `total` tokens that were not under the active key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ResealProgress {
    pub done: u64,
    pub total: u64,
}
