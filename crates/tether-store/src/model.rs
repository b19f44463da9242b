//! The records the store hands out and takes in.

use jiff::Timestamp;
use secrecy::SecretString;
use serde_json::Value;
use std::fmt;
use tether_core::vocab::{AssetKind, Network, Status};
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

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Workspace {
    pub id: WorkspaceId,
    pub name: String,
    pub created_at: Timestamp,
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
    pub status: Status,
    pub last_verified_at: Option<Timestamp>,
    pub next_check_at: Timestamp,
    pub lease_owner: Option<String>,
    pub lease_until: Option<Timestamp>,
    pub consecutive_failures: u32,
    pub created_at: Timestamp,
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
    /// The login's report (REPORT.md `LoginReport`).
    pub report: Value,
    pub login_status: Status,
    /// The login-level findings, kept with a login transition.
    pub login_findings: Value,
    pub assets: Vec<AssetVerdict>,
    pub at: Timestamp,
}

#[derive(Debug, Clone, PartialEq)]
pub struct AssetVerdict {
    pub asset_id: AssetId,
    pub status: Status,
    /// The asset's findings (REPORT.md `Finding` list), kept with its transition.
    pub findings: Value,
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
}

/// A login leased to a worker.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Claim {
    pub login_id: LoginId,
    pub workspace_id: WorkspaceId,
}

#[derive(Debug, Clone, PartialEq)]
pub struct OutboxEvent {
    pub id: EventId,
    pub workspace_id: WorkspaceId,
    pub event_type: String,
    pub payload: Value,
    pub created_at: Timestamp,
    pub attempts: u32,
    pub next_attempt_at: Timestamp,
    pub last_error: Option<String>,
    pub delivered_at: Option<Timestamp>,
}

/// How far a re-seal has got: `done` of `total` tokens that were not under the active key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ResealProgress {
    pub done: u64,
    pub total: u64,
}
