//! What the API and the dashboard both do, said once: they call these, never each other. Each
//! answers in Tether's own types; the API turns them into its JSON views and the dashboard into
//! its pages.

use crate::check::{CheckResult, check_logins};
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use tether_store::{Login, Store};

/// How a "check now" ended.
#[derive(Debug)]
pub struct Checked {
    /// Whether the platform answered (and the verdict was recorded).
    pub verified: bool,
    /// Why it did not, when it did not.
    pub reason: Option<String>,
    /// Status changes it recorded.
    pub changes: usize,
    /// The login as it is now.
    pub login: Login,
}

/// Checks one login at once, whatever its network. A check that fails keeps the verdict.
#[tracing::instrument(skip_all, fields(login_id = %login.id, network = %login.network))]
pub async fn check_now(s: &AppState, login: Login) -> ApiResult<Checked> {
    if login.disconnected_at.is_some() {
        return Err(ApiError::Conflict(
            "this login was disconnected in Tether, so there is nothing to check; reconnect it first"
                .into(),
        ));
    }
    let now = s.clock.now();
    let result = check_logins(s, std::slice::from_ref(&login), now)
        .await?
        .pop();
    s.index.sync(&s.store).await?;
    let fresh = s
        .store
        .get_login(login.workspace_id, login.id)
        .await?
        .unwrap_or(login);
    let (verified, reason, changes) = match result {
        Some(CheckResult::Recorded(t)) => (true, None, t.len()),
        Some(CheckResult::Failed(r)) => (false, Some(r), 0),
        None => (false, Some("nothing was checked".to_owned()), 0),
    };
    Ok(Checked {
        verified,
        reason,
        changes,
        login: fresh,
    })
}

/// The last check could not reach the platform: the verdict shown is the last known one.
pub fn stale(l: &Login) -> bool {
    match (l.last_failed_at, l.last_verified_at) {
        (Some(f), Some(v)) => f > v,
        (Some(_), None) => true,
        _ => false,
    }
}

/// A webhook endpoint's address: absolute http(s) with a host, no credentials, and public
/// unless the operator allows private addresses (checked again at every delivery).
pub async fn endpoint_url(s: &AppState, raw: &str) -> ApiResult<url::Url> {
    use crate::outbound::{Refused, public, well_formed};
    let refused = |e: Refused| {
        let code = match e {
            Refused::Private { .. } => "private_address",
            Refused::Unresolvable { .. } => "unresolvable_host",
            _ => "invalid_url",
        };
        ApiError::bad_request(code, format!("url: {e}"))
    };
    let url = well_formed(raw).map_err(refused)?;
    public(&url, s.config.allow_private_hosts)
        .await
        .map_err(refused)?;
    Ok(url)
}
