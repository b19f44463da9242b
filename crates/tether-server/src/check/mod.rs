//! The one check pipeline: from logins to recorded verdicts, for the worker, the OAuth callback,
//! push signals and "check now" alike. Each network's logins go through its client behind the
//! seam (`networks.rs`: Meta's batched, the others with their refresh); the pure engine judges
//! the facts (`checker.rs`: one judge per network, profile and warning window); the report,
//! facts and status changes are recorded together (`record.rs`).

mod catalog_change;
mod catalogs;
mod checker;
mod networks;
mod record;

pub use catalog_change::{Impact, catalog_change, catalog_change_in_pages};
pub use catalogs::{
    check_revision, current_catalog, outdated_catalogs, outdated_reason, record_change,
    recorded_catalogs,
};
pub use checker::{Checker, Judge, load_profile};
pub use record::{
    Judged, backfill_fixes, diagnosis, record, record_snapshot, stored_facts, verdict,
};

use crate::state::AppState;
use jiff::Timestamp;
use std::collections::BTreeMap;
use tether_core::{LoginFacts, Network, Status};
use tether_store::{Login, LoginId, Store, StoreError, Transition};

/// How one login's check ended.
#[derive(Debug)]
pub enum CheckResult {
    Recorded(Vec<Transition>),
    /// Nothing changed: the platform could not be asked. The reason is kept on the login.
    Failed(String),
}

/// Checks logins against their platforms (Meta's batched together) and records each verdict. A
/// login the platform could not be asked about keeps its verdict: its result is `Failed` with the
/// reason. Tokens are not refreshed here: only a worker holding a login's lease refreshes it.
pub async fn check_logins(
    s: &AppState,
    logins: &[Login],
    now: Timestamp,
) -> Result<Vec<CheckResult>, StoreError> {
    check(s, logins, now, Lease::NotHeld).await
}

/// The worker's check of logins whose leases it holds: due refreshes happen here.
pub async fn check_leased(
    s: &AppState,
    logins: &[Login],
    now: Timestamp,
) -> Result<Vec<CheckResult>, StoreError> {
    check(s, logins, now, Lease::Held).await
}

/// Whether the caller holds the logins' leases: the per-login lock that lets a check spend a
/// single-use refresh token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Lease {
    Held,
    NotHeld,
}

async fn check(
    s: &AppState,
    logins: &[Login],
    now: Timestamp,
    lease: Lease,
) -> Result<Vec<CheckResult>, StoreError> {
    let mut out: Vec<Option<CheckResult>> = (0..logins.len()).map(|_| None).collect();
    let mut by_network: BTreeMap<Network, Vec<usize>> = BTreeMap::new();
    for (i, l) in logins.iter().enumerate() {
        by_network.entry(l.network).or_default().push(i);
    }
    let outdated = outdated_catalogs(&s.store, &s.checker).await?;
    for (network, idx) in by_network {
        let group: Vec<&Login> = idx.iter().map(|&i| &logins[i]).collect();
        let results = match (network, s.checker.network(network)) {
            _ if let Some(&revision) = outdated.get(&network) => group
                .iter()
                .map(|_| CheckResult::Failed(outdated_reason(network, revision)))
                .collect(),
            (Network::Meta, _) => networks::check_meta(s, &group, now).await?,
            (_, Some(net)) => networks::check_other(s, net.as_ref(), &group, now, lease).await?,
            (_, None) => group
                .iter()
                .map(|_| CheckResult::Failed(format!("{network} is not configured on this server")))
                .collect(),
        };
        for (i, r) in idx.into_iter().zip(results) {
            out[i] = Some(r);
        }
    }
    Ok(out
        .into_iter()
        .map(|r| r.expect("every login has a result"))
        .collect())
}

/// Per-login store work in flight at once: each is a few round trips to the database, and one
/// login's wait is another's turn (every recording is its own transaction on its own login's row).
const AT_ONCE: usize = 8;

/// Runs `work` [`AT_ONCE`] at a time and gives the outputs in the order of `work`. Every piece
/// runs to its end (none is dropped half way because another failed). A `Vec`, not any
/// iterator: a lazy `map` closure over borrowed logins would make the caller's future fail the
/// `Send` bound the router needs.
pub(crate) async fn at_once<F: Future>(work: Vec<F>) -> Vec<F::Output> {
    use futures::StreamExt;
    futures::stream::iter(work)
        .buffered(AT_ONCE)
        .collect()
        .await
}

/// The stored token, or why the check cannot run: a token that will not open (its key left the
/// ring) fails that login's check, not the batch.
pub(crate) fn unopened(l: &Login, e: StoreError) -> Result<String, StoreError> {
    match e {
        StoreError::Disconnected { .. } => Ok("the login was disconnected in Tether".to_owned()),
        e @ StoreError::Seal { .. } => {
            tracing::error!(login_id = %l.id, error = %e, "stored token cannot be opened; is its key missing from TETHER_KEYS?");
            Ok(format!(
                "the stored token cannot be opened with the configured keys ({e})"
            ))
        }
        e => Err(e),
    }
}

pub(crate) async fn record_result(
    s: &AppState,
    login: &Login,
    result: Result<tether_platform::Snapshot, tether_platform::CheckError>,
    now: Timestamp,
) -> Result<CheckResult, StoreError> {
    Ok(match result {
        Ok(snapshot) => {
            let (_, t) = record_snapshot(&s.store, &s.checker, login, snapshot, now).await?;
            if !t.is_empty() {
                s.events_written();
            }
            log_transitions(login.id, &t);
            CheckResult::Recorded(t)
        }
        Err(e) => {
            tracing::warn!(login_id = %login.id, error = %e, "check failed; verdict kept");
            CheckResult::Failed(e.to_string())
        }
    })
}

/// Re-diagnoses a login from its stored facts after `amend` applied what a push signal said,
/// without calling the platform. Returns `None` when nothing is stored yet for the login.
pub async fn rediagnose(
    s: &AppState,
    login: &Login,
    amend: impl FnOnce(&mut LoginFacts, &mut Vec<tether_core::AssetFacts>),
) -> Result<Option<Vec<Transition>>, StoreError> {
    let now = s.clock.now();
    // A login disconnected in Tether stays disconnected: no signal, reported error or profile
    // change re-judges it from the facts it had before (only a reconnect brings it back).
    let current = s.store.get_login(login.workspace_id, login.id).await?;
    if current.is_none_or(|l| l.disconnected_at.is_some()) {
        return Ok(None);
    }
    let stored = stored_facts(&s.store, login).await?;
    let Some(mut facts) = stored.login.as_ref().map(|f| f.value.clone()) else {
        return Ok(None);
    };
    let mut assets = stored.assets.iter().map(|(_, f)| f.clone()).collect();
    amend(&mut facts, &mut assets);
    let judge = s
        .checker
        .judge_for_network(&s.store, login.workspace_id, login.network)
        .await?;
    let report = judge.engine.diagnose(&facts, &assets, now);
    let judged = record::Judged {
        facts: &facts,
        assets: &assets,
        report: &report,
        known: None,
    };
    let t = record(&s.store, login, &stored, judged, now).await?;
    if !t.is_empty() {
        s.events_written();
    }
    log_transitions(login.id, &t);
    s.index.sync(&s.store).await?;
    Ok(Some(t))
}

fn log_transitions(login: LoginId, t: &[Transition]) {
    for tr in t {
        tracing::info!(
            login_id = %login,
            asset_id = ?tr.asset_id.map(|a| a.to_string()),
            old = ?tr.old_status.map(Status::as_str),
            new = tr.new_status.as_str(),
            "status changed"
        );
    }
}
