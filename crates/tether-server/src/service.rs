//! What the API and the dashboard both do, said once: they call these, never each other. Each
//! answers in Tether's own types; the API turns them into its JSON views and the dashboard into
//! its pages.

use crate::check::{CheckResult, check_logins};
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Weak};
use tether_store::{BudgetStore, Login, LoginId, Store};

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

/// The logins a "check now" is running for. A "check now" that arrives while another check of
/// the same login runs waits for it and answers with its result instead of calling the platform
/// again. Counted by completed checks, not by time: two requests in the same instant coalesce too.
#[derive(Default)]
pub struct InFlight(Mutex<HashMap<LoginId, Weak<Slot>>>);

#[derive(Default)]
pub struct Slot {
    done: AtomicU64,
    last: tokio::sync::Mutex<Option<(bool, Option<String>)>>,
}

impl InFlight {
    fn slot(&self, login: LoginId) -> Arc<Slot> {
        let mut map = self.0.lock().unwrap_or_else(|e| e.into_inner());
        map.retain(|_, w| w.strong_count() > 0);
        if let Some(held) = map.get(&login).and_then(Weak::upgrade) {
            return held;
        }
        let fresh = Arc::new(Slot::default());
        map.insert(login, Arc::downgrade(&fresh));
        fresh
    }
}

/// Checks one login at once, whatever its network, within the network's hourly call budget
/// (shared with the worker). A check that fails keeps the verdict, marked stale with the reason.
/// Concurrent checks of one login make one platform check.
#[tracing::instrument(skip_all, fields(login_id = %login.id, network = %login.network))]
pub async fn check_now(s: &AppState, login: Login) -> ApiResult<Checked> {
    if login.disconnected_at.is_some() {
        return Err(ApiError::Conflict(
            "this login was disconnected in Tether, so there is nothing to check; reconnect it first"
                .into(),
        ));
    }
    let slot = s.checking.slot(login.id);
    let seen = slot.done.load(Ordering::SeqCst);
    let mut last = slot.last.lock().await;
    let current = s
        .store
        .get_login(login.workspace_id, login.id)
        .await?
        .ok_or(ApiError::NotFound { what: "login" })?;
    // A check that finished while this one waited is the answer.
    if slot.done.load(Ordering::SeqCst) > seen
        && let Some((verified, reason)) = last.clone()
    {
        return Ok(Checked {
            verified,
            reason,
            changes: 0,
            login: current,
        });
    }
    let now = s.clock.now();
    let cost = s
        .checker
        .network(login.network)
        .map_or(1, |n| n.calls_per_check());
    let taken = s
        .store
        .take_calls(login.network, now, s.config.worker.calls_per_hour, cost)
        .await?;
    if taken.granted < cost {
        s.store
            .give_back_calls(login.network, taken.window_start, taken.granted)
            .await?;
        let refills = taken
            .window_start
            .saturating_add(jiff::SignedDuration::from_hours(1))
            .unwrap_or(taken.window_start);
        return Err(ApiError::TooManyRequests(format!(
            "this hour's platform calls for {} are spent, so Tether cannot check now without risking \
             the app's rate limit; the scheduled checks go on. It refills at {refills}.",
            login.network
        )));
    }
    let (verified, reason, changes) = match check_logins(s, std::slice::from_ref(&current), now)
        .await?
        .pop()
    {
        Some(CheckResult::Recorded(t)) => (true, None, t.len()),
        Some(CheckResult::Failed(r)) => (false, Some(r), 0),
        None => (false, Some("nothing was checked".to_owned()), 0),
    };
    // Recorded as the worker records its own: a failure leaves the verdict, marked stale.
    s.store
        .note_check(login.workspace_id, login.id, reason.as_deref(), now)
        .await?;
    s.index.sync(&s.store).await?;
    let fresh = s
        .store
        .get_login(login.workspace_id, login.id)
        .await?
        .unwrap_or(current);
    *last = Some((verified, reason.clone()));
    slot.done.fetch_add(1, Ordering::SeqCst);
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
    if !crate::outbound::plain(raw) {
        return Err(refused(Refused::NotPlain));
    }
    Ok(url)
}
