//! What the API shows of stored records. Tokens and lease internals never appear here.

use jiff::Timestamp;
use serde::Serialize;
use serde_json::Value;
use tether_store::{Asset, Login, Transition};
use utoipa::ToSchema;
use uuid::Uuid;

#[derive(Debug, Serialize, ToSchema)]
pub struct LoginView {
    pub id: Uuid,
    #[schema(example = "meta")]
    pub network: String,
    /// The platform's (app-scoped) id of the person who connected.
    pub platform_user_id: String,
    pub person_name: String,
    #[schema(example = "connected")]
    pub status: String,
    #[schema(value_type = Option<String>)]
    pub expires_at: Option<Timestamp>,
    #[schema(value_type = Option<String>)]
    pub data_access_expires_at: Option<Timestamp>,
    /// Until when Tether renews the access token itself (the refresh token's end): the person
    /// must sign in again before it. `null` where the network issues no refresh token.
    #[schema(value_type = Option<String>)]
    pub refresh_expires_at: Option<Timestamp>,
    /// When the platform last confirmed this verdict.
    #[schema(value_type = Option<String>)]
    pub last_verified_at: Option<Timestamp>,
    /// The last check could not reach the platform: the verdict is the last known one.
    pub stale: bool,
    /// Why the last check failed, when it did.
    pub last_error: Option<String>,
    #[schema(value_type = String)]
    pub next_check_at: Timestamp,
    #[schema(value_type = String)]
    pub created_at: Timestamp,
}

impl From<&Login> for LoginView {
    fn from(l: &Login) -> LoginView {
        LoginView {
            id: l.id.0,
            network: l.network.as_str().to_owned(),
            platform_user_id: l.platform_user_id.clone(),
            person_name: l.person_name.clone(),
            status: l.status.as_str().to_owned(),
            expires_at: l.expires_at,
            data_access_expires_at: l.data_access_expires_at,
            refresh_expires_at: l.refresh_expires_at,
            last_verified_at: l.last_verified_at,
            stale: stale(l),
            last_error: l.last_error.clone(),
            next_check_at: l.next_check_at,
            created_at: l.created_at,
        }
    }
}

/// A verdict is stale when a check failed after the last one that succeeded.
pub use crate::service::stale;

#[derive(Debug, Serialize, ToSchema)]
pub struct AssetView {
    pub id: Uuid,
    pub login_id: Uuid,
    #[schema(example = "facebook_page")]
    pub kind: String,
    /// The platform's id of the Page / account.
    pub platform_id: String,
    pub name: String,
    #[schema(example = "action_required")]
    pub status: String,
    /// Who must act on its findings.
    #[schema(example = json!(["asset_admin"]))]
    pub owners: Vec<String>,
    /// Features that do not work now.
    pub unavailable: Vec<String>,
    /// Features that work until a known date.
    pub at_risk: Vec<String>,
    #[schema(value_type = Option<String>)]
    pub last_verified_at: Option<Timestamp>,
    pub stale: bool,
}

impl AssetView {
    pub fn new(a: &Asset, stale: bool) -> AssetView {
        AssetView {
            id: a.id.0,
            login_id: a.login_id.0,
            kind: a.kind.as_str().to_owned(),
            platform_id: a.platform_id.clone(),
            name: a.name.clone(),
            status: a.status.as_str().to_owned(),
            owners: a.owners.iter().map(|o| o.as_str().to_owned()).collect(),
            unavailable: a
                .unavailable
                .iter()
                .map(|f| f.as_str().to_owned())
                .collect(),
            at_risk: a.at_risk.iter().map(|f| f.as_str().to_owned()).collect(),
            last_verified_at: a.last_verified_at,
            stale,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TransitionView {
    pub id: Uuid,
    /// `null` for the login's own status.
    pub asset_id: Option<Uuid>,
    pub old_status: Option<String>,
    pub new_status: String,
    /// The findings at the time (docs/REPORT.md `Finding` list).
    #[schema(value_type = Vec<Object>)]
    pub findings: Value,
    #[schema(value_type = String)]
    pub at: Timestamp,
}

impl From<&Transition> for TransitionView {
    fn from(t: &Transition) -> TransitionView {
        TransitionView {
            id: t.id,
            asset_id: t.asset_id.map(|a| a.0),
            old_status: t.old_status.map(|s| s.as_str().to_owned()),
            new_status: t.new_status.as_str().to_owned(),
            findings: t.findings.clone(),
            at: t.at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// Pass as `after` to get the next page; `null` on the last page.
    pub next_after: Option<Uuid>,
}

/// What "check now" concluded.
#[derive(Debug, Serialize, ToSchema)]
pub struct CheckView {
    /// `verified` (the platform answered; verdicts updated) or `failed` (it could not be asked;
    /// verdicts unchanged).
    pub outcome: String,
    pub reason: Option<String>,
    /// Status changes this check caused.
    pub changes: usize,
    pub login: LoginView,
}

impl From<crate::service::Checked> for CheckView {
    fn from(c: crate::service::Checked) -> CheckView {
        CheckView {
            outcome: if c.verified { "verified" } else { "failed" }.to_owned(),
            reason: c.reason,
            changes: c.changes,
            login: LoginView::from(&c.login),
        }
    }
}
