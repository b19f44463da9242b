//! Background work, one explicit step at a time: check the logins that are due (within the
//! platform-call budget, batched), deliver webhooks, send daily digests. `serve` and `worker` loop
//! `step`; tests call it directly instead of sleeping.

use crate::check;
use crate::schedule::{Budget, Risk, next_check};
use crate::state::AppState;
use jiff::Timestamp;
use secrecy::SecretString;
use serde::Serialize;
use std::collections::BTreeMap;
use std::sync::Mutex;
use tether_core::{LoginFacts, Network, Status};
use tether_meta::{KnownToken, LoginToCheck as MetaLoginToCheck};
use tether_platform::{LoginToCheck, Needs, TokenDates};
use tether_store::{
    CheckOutcome, Grant, GrantStore, Login, LoginId, NewGrant, Store, StoreError, Transition,
};

#[derive(Debug, Default, Clone, Serialize)]
pub struct StepReport {
    pub checked: usize,
    pub failed: usize,
    /// Due logins left for later because the hour's call budget is spent.
    pub budget_exhausted: bool,
    pub platform_calls: u64,
    pub delivered: usize,
    pub delivery_failures: usize,
    pub digests: usize,
    /// Emails to people: alerts and daily summaries sent, and sends that failed (retried).
    pub alerts: usize,
    pub person_digests: usize,
    pub mail_failures: usize,
}

impl StepReport {
    pub fn idle(&self) -> bool {
        self.checked
            + self.failed
            + self.delivered
            + self.delivery_failures
            + self.digests
            + self.alerts
            + self.person_digests
            == 0
    }
}

pub struct Worker {
    state: AppState,
    budget: Mutex<Budget>,
    /// When finished or abandoned OAuth flows were last swept away.
    last_purge: Mutex<Option<Timestamp>>,
}

/// How one login's check ended.
#[derive(Debug)]
pub enum CheckResult {
    Recorded(Vec<Transition>),
    /// Nothing changed: the platform could not be asked. The reason is kept on the login.
    Failed(String),
}

impl Worker {
    pub fn new(state: AppState) -> Worker {
        let per_hour = state.config.worker.calls_per_hour;
        Worker {
            state,
            budget: Mutex::new(Budget::new(per_hour)),
            last_purge: Mutex::new(None),
        }
    }

    pub async fn step(&self) -> anyhow::Result<StepReport> {
        let mut report = StepReport::default();
        self.check_due(&mut report).await?;
        let (ok, failed) = crate::delivery::deliver_due(&self.state).await?;
        report.delivered = ok;
        report.delivery_failures = failed;
        report.digests = crate::delivery::send_digests(&self.state).await?;
        let mail = crate::mail::step(&self.state).await?;
        report.alerts = mail.alerts;
        report.person_digests = mail.digests;
        report.mail_failures = mail.failures;
        self.purge_expired().await?;
        Ok(report)
    }

    /// Hourly: OAuth states a day past their expiry are of no use, not even to explain a
    /// rejection ("expired" vs "unknown"); expired dashboard sessions no longer sign anyone in.
    async fn purge_expired(&self) -> Result<(), StoreError> {
        let now = self.state.clock.now();
        {
            let mut last = self.last_purge.lock().unwrap_or_else(|e| e.into_inner());
            if last.is_some_and(|t| now.duration_since(t) < jiff::SignedDuration::from_hours(1)) {
                return Ok(());
            }
            *last = Some(now);
        }
        let before = now
            .saturating_sub(jiff::SignedDuration::from_hours(24))
            .unwrap_or(now);
        let purged = self.state.store.purge_oauth_states(before).await?;
        if purged > 0 {
            tracing::info!(purged, "old OAuth states removed");
        }
        let sessions = self.state.store.purge_sessions(now).await?;
        if sessions > 0 {
            tracing::info!(sessions, "expired dashboard sessions removed");
        }
        Ok(())
    }

    /// Steps until a step finds nothing to do (bounded, for tests and the demo).
    pub async fn drain(&self) -> anyhow::Result<StepReport> {
        let mut total = StepReport::default();
        for _ in 0..100 {
            let r = self.step().await?;
            if r.idle() {
                break;
            }
            total.checked += r.checked;
            total.failed += r.failed;
            total.platform_calls += r.platform_calls;
            total.delivered += r.delivered;
            total.delivery_failures += r.delivery_failures;
            total.digests += r.digests;
            total.alerts += r.alerts;
            total.person_digests += r.person_digests;
            total.mail_failures += r.mail_failures;
            total.budget_exhausted |= r.budget_exhausted;
        }
        Ok(total)
    }

    async fn check_due(&self, report: &mut StepReport) -> anyhow::Result<()> {
        let s = &self.state;
        let now = s.clock.now();
        let cfg = &s.config.worker;
        let allowance = self
            .budget
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            // Reserved per login at the worst case; charged what was really spent.
            .allowance(now, s.checker.worst_calls_per_login());
        let limit = allowance.min(cfg.batch);
        if limit == 0 {
            report.budget_exhausted = true;
            return Ok(());
        }
        let claims = s
            .store
            .claim_due_logins(&cfg.owner, now, cfg.lease, limit)
            .await?;
        if claims.is_empty() {
            return Ok(());
        }
        let mut logins = Vec::with_capacity(claims.len());
        for c in &claims {
            if let Some(l) = s.store.get_login(c.workspace_id, c.login_id).await? {
                logins.push(l);
            }
        }
        let before = s.checker.stats().platform_calls;
        let results = check(s, &logins, now, Lease::Held).await?;
        let spent = s.checker.stats().platform_calls.saturating_sub(before);
        self.budget
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .spend(u32::try_from(spent).unwrap_or(u32::MAX));
        report.platform_calls += spent;
        for (login, result) in logins.iter().zip(results) {
            let (outcome, next) = match &result {
                CheckResult::Recorded(_) => {
                    report.checked += 1;
                    let fresh = s
                        .store
                        .get_login(login.workspace_id, login.id)
                        .await?
                        .unwrap_or_else(|| login.clone());
                    (CheckOutcome::Verified, next_check(&risk(&fresh, 0), now))
                }
                CheckResult::Failed(reason) => {
                    report.failed += 1;
                    let r = risk(login, login.consecutive_failures + 1);
                    (
                        CheckOutcome::Failed {
                            reason: reason.clone(),
                        },
                        next_check(&r, now),
                    )
                }
            };
            s.store
                .release_login(login.id, &cfg.owner, outcome, next)
                .await?;
        }
        s.index.sync(&s.store).await?;
        Ok(())
    }
}

fn risk(login: &Login, failures: u32) -> Risk {
    Risk {
        status: login.status,
        expires_at: login.expires_at,
        data_access_expires_at: login.data_access_expires_at,
        last_changed_at: login.last_changed_at,
        consecutive_failures: failures,
    }
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

/// Whether the caller holds the logins' leases: the per-login lock that lets a check spend a
/// single-use refresh token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Lease {
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
    for (network, idx) in by_network {
        let group: Vec<&Login> = idx.iter().map(|&i| &logins[i]).collect();
        let results = match (network, s.checker.network(network)) {
            (Network::Meta, _) => check_meta(s, &group, now).await?,
            (_, Some(net)) => check_other(s, net.as_ref(), &group, now, lease).await?,
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

/// The stored token, or why the check cannot run: a token that will not open (its key left the
/// ring) fails that login's check, not the batch.
fn unopened(l: &Login, e: StoreError) -> Result<String, StoreError> {
    match e {
        e @ StoreError::Seal { .. } => {
            tracing::error!(login_id = %l.id, error = %e, "stored token cannot be opened; is its key missing from TETHER_KEYS?");
            Ok(format!(
                "the stored token cannot be opened with the configured keys ({e})"
            ))
        }
        e => Err(e),
    }
}

/// Meta: up to 50 logins per batch request, `debug_token` reused while nothing changed.
async fn check_meta(
    s: &AppState,
    logins: &[&Login],
    now: Timestamp,
) -> Result<Vec<CheckResult>, StoreError> {
    let mut opened: Vec<Result<SecretString, String>> = Vec::with_capacity(logins.len());
    for l in logins {
        opened.push(match s.store.login_token(l.workspace_id, l.id).await {
            Ok(t) => Ok(t),
            Err(e) => Err(unopened(l, e)?),
        });
    }
    let checkable: Vec<(&Login, &SecretString)> = logins
        .iter()
        .zip(&opened)
        .filter_map(|(l, t)| t.as_ref().ok().map(|t| (*l, t)))
        .collect();
    let mut known: Vec<Option<KnownToken>> = Vec::with_capacity(checkable.len());
    for (l, _) in &checkable {
        // What debug_token said last time: a routine check reuses it unless something may have
        // changed (tether-meta decides), which halves the calls per check.
        known.push(
            l.known_token
                .clone()
                .and_then(|v| serde_json::from_value(v).ok()),
        );
    }
    let inputs: Vec<MetaLoginToCheck<'_>> = checkable
        .iter()
        .zip(&known)
        .map(|((_, token), known)| MetaLoginToCheck {
            token,
            known: known.as_ref(),
        })
        .collect();
    let mut snapshots = s
        .checker
        .client
        .inspect_known_logins(&inputs, now, &s.checker.inspect_options())
        .await
        .into_iter()
        .map(|r| r.map(|snap| tether_meta::network::snapshot(snap, now)));
    let mut out = Vec::with_capacity(logins.len());
    for (login, token) in logins.iter().zip(opened) {
        let result = match token {
            Err(reason) => {
                out.push(CheckResult::Failed(reason));
                continue;
            }
            Ok(_) => snapshots.next().expect("one snapshot per checkable login"),
        };
        out.push(record(s, login, result, now).await?);
    }
    Ok(out)
}

/// Every other network: the grant is refreshed first when it is due (the login's lease is the
/// per-login lock: no other worker checks, and so refreshes, this login until it is released, so
/// a single-use refresh token is never spent twice), then checked.
async fn check_other(
    s: &AppState,
    net: &dyn tether_platform::Network,
    logins: &[&Login],
    now: Timestamp,
    lease: Lease,
) -> Result<Vec<CheckResult>, StoreError> {
    let mut out: Vec<Option<CheckResult>> = (0..logins.len()).map(|_| None).collect();
    let mut inputs = Vec::with_capacity(logins.len());
    let mut positions = Vec::with_capacity(logins.len());
    for (i, l) in logins.iter().enumerate() {
        let grant = match s.store.grant(l.workspace_id, l.id).await {
            Ok(g) => g,
            Err(e) => {
                out[i] = Some(CheckResult::Failed(unopened(l, e)?));
                continue;
            }
        };
        let grant = match lease {
            Lease::Held => refresh_if_due(s, net, l, grant, now).await?,
            Lease::NotHeld => grant,
        };
        inputs.push(LoginToCheck {
            token: grant.access_token,
            known: l.known_token.clone(),
            dates: grant.issued_at.map(|issued_at| TokenDates {
                issued_at,
                expires_at: grant.expires_at,
                refresh_expires_at: grant.refresh_expires_at,
            }),
            granted: grant.granted,
        });
        positions.push(i);
    }
    // Logins of several workspaces (several profiles) share the run: ask for every condition
    // the network can tell; each workspace's judge reads only what its features need.
    let needs = Needs {
        conditions: tether_core::Condition::ALL.to_vec(),
        ..Needs::at(now)
    };
    let results = net.inspect(&inputs, &needs).await;
    for (i, r) in positions.into_iter().zip(results) {
        out[i] = Some(record(s, logins[i], r, now).await?);
    }
    Ok(out
        .into_iter()
        .map(|r| r.expect("every login has a result"))
        .collect())
}

/// Refreshes a grant the network wants refreshed by now, and writes the new one back before
/// anything else may use it. A refused refresh changes nothing: the check that follows tells
/// whether the token itself still works.
async fn refresh_if_due(
    s: &AppState,
    net: &dyn tether_platform::Network,
    login: &Login,
    grant: Grant,
    now: Timestamp,
) -> Result<Grant, StoreError> {
    let Some(issued_at) = grant.issued_at else {
        return Ok(grant);
    };
    let dates = TokenDates {
        issued_at,
        expires_at: grant.expires_at,
        refresh_expires_at: grant.refresh_expires_at,
    };
    if net.refresh_at(&dates).is_none_or(|at| at > now) {
        return Ok(grant);
    }
    let spend = tether_platform::Grant {
        access_token: grant.access_token.clone(),
        refresh_token: grant.refresh_token.clone(),
        dates,
    };
    match net.refresh(&spend, now).await {
        Ok(issued) => {
            let fresh = NewGrant {
                access_token: issued.access_token,
                refresh_token: issued.refresh_token.or(grant.refresh_token.clone()),
                issued_at: now,
                expires_at: issued.expires_at,
                refresh_expires_at: issued.refresh_expires_at.or(grant.refresh_expires_at),
                granted: issued.granted,
            };
            if !s
                .store
                .put_grant(login.workspace_id, login.id, &fresh)
                .await?
            {
                return Ok(grant);
            }
            tracing::info!(login_id = %login.id, network = %login.network, "token refreshed");
            Ok(Grant {
                access_token: fresh.access_token,
                refresh_token: fresh.refresh_token,
                issued_at: Some(now),
                expires_at: fresh.expires_at,
                refresh_expires_at: fresh.refresh_expires_at,
                granted: fresh.granted.or(grant.granted),
            })
        }
        Err(e) => {
            tracing::warn!(login_id = %login.id, network = %login.network, error = %e,
                "token refresh refused; checking the token as it is");
            Ok(grant)
        }
    }
}

async fn record(
    s: &AppState,
    login: &Login,
    result: Result<tether_platform::Snapshot, tether_platform::CheckError>,
    now: Timestamp,
) -> Result<CheckResult, StoreError> {
    Ok(match result {
        Ok(snapshot) => {
            let (_, t) = check::record_snapshot(&s.store, &s.checker, login, snapshot, now).await?;
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
    let (facts, mut assets) = check::stored_facts(&s.store, login).await?;
    let Some(mut facts) = facts else {
        return Ok(None);
    };
    amend(&mut facts, &mut assets);
    let judge = s.checker.judge_for(&s.store, login.workspace_id).await?;
    let report = judge.engine.diagnose(&facts, &assets, now);
    let t = check::record(&s.store, login, &facts, &assets, &report, now).await?;
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
